/* gx_eal: the one place that starts DPDK's EAL. Both dataplanes use EAL: socket
 * mode for rte_ring/rte_mempool between pipeline stages, DPDK mode also for
 * ports. On hosts without hugepages EAL runs with --no-huge -m MEM --in-memory.
 *
 * Lifecycle: gx_eal_init() once per process, from the main thread, before any
 * rte_ring/rte_mempool is made; gx_eal_cleanup() once at exit. A second init
 * returns an error (EAL itself cannot be restarted in one process).
 * Memory: argument strings are copied. Errors: -1 and a one-line reason in err
 * (which EAL flag or resource failed). */
#ifndef GX_EAL_H
#define GX_EAL_H

#include <stddef.h>

#define GX_EAL_MAX_DEVS 8

typedef struct {
  const char *lcores;     /* EAL -l list, "0-3" or "1,3,5"; NULL: the current CPU only */
  int hugepages;          /* -1: use if free hugepages exist; 0: --no-huge; 1: require */
  unsigned mem_mb;        /* memory with --no-huge (-m); 0: 256 */
  const char *vdevs[GX_EAL_MAX_DEVS];     /* "--vdev" values, e.g. "net_ring0" */
  int n_vdevs;
  const char *pci_allow[GX_EAL_MAX_DEVS]; /* "-a" values; none: --no-pci */
  int n_pci;
  const char *file_prefix; /* NULL: "gx<pid>" (keeps concurrent processes apart) */
  int log_level;           /* 0: EAL default; else --log-level value (1..8) */
} gx_eal_cfg_t;

void gx_eal_cfg_defaults(gx_eal_cfg_t *cfg);
/* Free hugepages on this host (from /proc/meminfo), 0 when none. */
long gx_eal_free_hugepages(void);
int gx_eal_init(const gx_eal_cfg_t *cfg, char *err, size_t errlen);
/* For benchmarks and tools that need rte_ring/rte_mempool in a process that
 * may already have EAL: 0 when EAL is up (started here with the defaults and
 * mem_mb of memory without hugepages, or earlier by someone else). */
int gx_eal_ensure(unsigned mem_mb, char *err, size_t errlen);
/* 1 after a successful gx_eal_init. */
int gx_eal_ready(void);
/* Whether EAL runs on hugepages (valid after init). */
int gx_eal_using_hugepages(void);
void gx_eal_cleanup(void);

#endif
