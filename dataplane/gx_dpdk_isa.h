/* gx_dpdk_isa: lets a .c file include DPDK's mbuf/ethdev headers although the
 * build strips pkg-config's -march (Makefile): their inline rte_memcpy needs
 * SSSE3+ on x86-64, which every CPU that runs Debian's DPDK (built for
 * corei7 = SSE4.2) has. Use:
 *   #include "dataplane/gx_dpdk_isa.h"
 *   GX_DPDK_ISA_BEGIN
 *   #include <rte_mbuf.h> ... the file's code ...
 *   GX_DPDK_ISA_END
 * Other architectures: both macros are empty. */
#ifndef GX_DPDK_ISA_H
#define GX_DPDK_ISA_H

#if defined(__x86_64__) && defined(__clang__)
#define GX_DPDK_ISA_BEGIN                                                                  \
  _Pragma("clang attribute push(__attribute__((target(\"sse4.2\"))), apply_to = function)")
#define GX_DPDK_ISA_END _Pragma("clang attribute pop")
#elif defined(__x86_64__)
#define GX_DPDK_ISA_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"sse4.2\")")
#define GX_DPDK_ISA_END _Pragma("GCC pop_options")
#else
#define GX_DPDK_ISA_BEGIN
#define GX_DPDK_ISA_END
#endif

#endif
