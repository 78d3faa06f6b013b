/* Ring benchmarks: the DPDK rte_ring hand-off that joins the ingest stages
 * (ingest/gx_ingest.h), beside the cheapest possible hand-off of the same
 * pointers, a plain copy into a buffer and back out, measured in the same run:
 *
 *   rings/sp_sc_burst/BURST       rte_ring SP enqueue + SC dequeue of BURST pointers, one thread
 *   rings/mp_mc_burst/BURST       the same through the MP/MC (compare-and-swap) variants
 *   rings/two_thread_sp_sc/BURST  a producer thread enqueues, the harness thread dequeues
 *                                 (pinned to CPUs 1 and 0 when there are two): the cost of
 *                                 crossing cores, bounded by the same plain copy
 *   baseline/memcpy_pointers/BURST  BURST pointers copied into a buffer and back out
 *                                 (memcpy of a constant size, inlined: what a ring slot
 *                                 write + read must at least do)
 *
 * Items are pointers handed over. Rings live in memory this file allocates once
 * per run (rte_ring_init on aligned memory), so no EAL is needed. */
#include <pthread.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/gx_bench.h"

#define GX_RB_MAX_BURST 256
#define GX_RB_RING_SLOTS 4096

static void *gx_rb_objs[GX_RB_MAX_BURST];

static struct rte_ring *gx_rb_ring_new(unsigned flags) {
  ssize_t sz = rte_ring_get_memsize(GX_RB_RING_SLOTS);
  if (sz < 0) return NULL;
  struct rte_ring *r = aligned_alloc(RTE_CACHE_LINE_SIZE, ((size_t)sz + RTE_CACHE_LINE_SIZE - 1) &
                                                              ~(size_t)(RTE_CACHE_LINE_SIZE - 1));
  if (r && rte_ring_init(r, "gx_rb", GX_RB_RING_SLOTS, flags) != 0) {
    free(r);
    r = NULL;
  }
  return r;
}

static unsigned gx_rb_burst(gx_bench_t *b) {
  int64_t n = gx_bench_arg(b);
  return n < 1 ? 1 : n > GX_RB_MAX_BURST ? GX_RB_MAX_BURST : (unsigned)n;
}

static void gx_rb_one_thread(gx_bench_t *b, unsigned flags) {
  unsigned burst = gx_rb_burst(b), bad = 0;
  void *out[GX_RB_MAX_BURST];
  struct rte_ring *r = gx_rb_ring_new(flags);
  if (!r) {
    gx_bench_skip(b, "rte_ring_init failed");
    return;
  }
  while (gx_bench_loop(b)) {
    unsigned in = rte_ring_enqueue_burst(r, gx_rb_objs, burst, NULL);
    unsigned got = rte_ring_dequeue_burst(r, out, burst, NULL);
    bad |= in ^ got;
    __asm__ volatile("" : : "r"(out) : "memory");
  }
  if (bad) gx_bench_skip(b, "ring lost items");
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)burst);
  free(r);
}

static void bm_sp_sc(gx_bench_t *b) { gx_rb_one_thread(b, RING_F_SP_ENQ | RING_F_SC_DEQ); }
GX_BENCH_NAMED_ARGS("rings/sp_sc_burst", bm_sp_sc, 1, 8, 32, 128)

static void bm_mp_mc(gx_bench_t *b) { gx_rb_one_thread(b, 0); }
GX_BENCH_NAMED_ARGS("rings/mp_mc_burst", bm_mp_mc, 1, 8, 32, 128)

struct gx_rb_producer {
  struct rte_ring *r;
  unsigned burst;
  atomic_int stop;
};

static void gx_rb_pin(pthread_t t, int cpu) {
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  (void)pthread_setaffinity_np(t, sizeof set, &set); /* best effort: unpinned still measures */
}

static void *gx_rb_produce(void *arg) {
  struct gx_rb_producer *p = arg;
  gx_rb_pin(pthread_self(), 1);
  while (!atomic_load_explicit(&p->stop, memory_order_relaxed))
    if (rte_ring_sp_enqueue_burst(p->r, gx_rb_objs, p->burst, NULL) == 0) rte_pause();
  return NULL;
}

static void bm_two_thread(gx_bench_t *b) {
  struct gx_rb_producer p = {.r = gx_rb_ring_new(RING_F_SP_ENQ | RING_F_SC_DEQ),
                             .burst = gx_rb_burst(b)};
  void *out[GX_RB_MAX_BURST];
  pthread_t t;
  cpu_set_t saved;
  int have_saved = pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0;
  if (!p.r || pthread_create(&t, NULL, gx_rb_produce, &p) != 0) {
    free(p.r);
    gx_bench_skip(b, "cannot set up the ring or the producer thread");
    return;
  }
  gx_rb_pin(pthread_self(), 0);
  int64_t items = 0;
  while (gx_bench_loop(b)) {
    unsigned got;
    while ((got = rte_ring_sc_dequeue_burst(p.r, out, p.burst, NULL)) == 0) rte_pause();
    items += got;
  }
  atomic_store(&p.stop, 1);
  pthread_join(t, NULL);
  if (have_saved) (void)pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
  gx_bench_items(b, items);
  free(p.r);
}
GX_BENCH_NAMED_ARGS("rings/two_thread_sp_sc", bm_two_thread, 1, 8, 32, 128)

/* Constant sizes let the compiler inline the copy, as rte_ring inlines its own. */
static inline void gx_rb_copy(void **dst, void *const *src, unsigned n) {
  switch (n) {
    case 1: memcpy(dst, src, 1 * sizeof(void *)); break;
    case 8: memcpy(dst, src, 8 * sizeof(void *)); break;
    case 32: memcpy(dst, src, 32 * sizeof(void *)); break;
    case 128: memcpy(dst, src, 128 * sizeof(void *)); break;
    default: memcpy(dst, src, n * sizeof(void *)); break;
  }
}

static void bm_memcpy_pointers(gx_bench_t *b) {
  unsigned burst = gx_rb_burst(b);
  void *mid[GX_RB_MAX_BURST], *out[GX_RB_MAX_BURST];
  while (gx_bench_loop(b)) {
    gx_rb_copy(mid, gx_rb_objs, burst);
    __asm__ volatile("" : : "r"(mid) : "memory");
    gx_rb_copy(out, mid, burst);
    __asm__ volatile("" : : "r"(out) : "memory");
  }
  gx_bench_items(b, gx_bench_iterations(b) * (int64_t)burst);
}
GX_BENCH_NAMED_ARGS("baseline/memcpy_pointers", bm_memcpy_pointers, 1, 8, 32, 128)
