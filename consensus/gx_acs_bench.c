/* ACS throughput in the simulator (suite "acs"): N honest nodes in one
 * process, every node proposing `transfers` x 290 bytes per epoch, messages
 * delivered in FIFO order through real encode/decode, no loss. One iteration
 * = one epoch of all N nodes (so the work of N machines runs on one core).
 * Argument = N * 100000 + transfers.
 *   acs/epoch/ARG   items = epochs; counters: bytes_per_node_epoch (bytes each
 *                   node sends per epoch), tx_per_epoch, msgs_per_node_epoch
 *   baseline/acs_hash_floor/ARG  the BLAKE2b every node must do per epoch
 *                   (N instances x N stripe leaves) for all N nodes: the
 *                   hashing floor of the same epoch, as a bound */
#include "bench/gx_bench.h"
#include "consensus/gx_acs.h"
#include "core/gx_util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ACS_ARGS 401000, 404000, 416000, 701000, 704000, 716000, 1601000, 1604000
#define AB_ARENA ((size_t)8 << 30)

typedef struct {
  unsigned n, cur;
  gx_acs_t *acs[GX_CONS_MAX_N];
  void *mem[GX_CONS_MAX_N];
  uint8_t *arena;
  size_t rd, wr;
  uint64_t outputs, next_epoch;
  int overflow;
} ab_t;

static void ab_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  ab_t *a = ctx;
  for (unsigned d = 0; d < a->n; d++) {
    if (d == a->cur || (dest != GX_CMSG_ALL && (unsigned)dest != d)) continue;
    if (a->wr + 4 + len > AB_ARENA) { a->overflow = 1; return; }
    uint8_t *p = a->arena + a->wr;
    p[0] = (uint8_t)a->cur;
    p[1] = (uint8_t)d;
    gx_st16(p + 2, (uint16_t)len);
    memcpy(p + 4, msg, len);
    a->wr += 4 + len;
  }
}

static void ab_deliver(void *ctx, const gx_acs_batch_t *bt) {
  ab_t *a = ctx;
  (void)bt;
  a->outputs++;
}

static void ab_close(ab_t *a) {
  for (unsigned i = 0; i < a->n; i++) {
    if (a->acs[i]) gx_acs_delete(a->acs[i]);
    free(a->mem[i]);
  }
  if (a->arena && a->arena != MAP_FAILED) munmap(a->arena, AB_ARENA);
}

static void bm_acs_epoch(gx_bench_t *b) {
  int64_t arg = gx_bench_arg(b);
  ab_t a;
  memset(&a, 0, sizeof a);
  a.n = (unsigned)(arg / 100000);
  unsigned f = (a.n - 1) / 3;
  uint32_t len = (uint32_t)(arg % 100000) * 290u;
  static gx_coin_pub_t pub;
  static gx_coin_secret_t sec[GX_CONS_MAX_N];
  uint8_t seed[32] = {2};
  uint8_t *value = malloc(len);
  a.arena = mmap(NULL, AB_ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (sodium_init() < 0 || !value || a.arena == MAP_FAILED ||
      gx_coin_deal(&pub, sec, a.n, f, seed) != GX_COIN_OK) {
    gx_bench_skip(b, "set-up failed");
    free(value);
    ab_close(&a);
    return;
  }
  for (uint32_t i = 0; i < len; i++) value[i] = (uint8_t)(i * 7);
  for (unsigned i = 0; i < a.n; i++) {
    gx_acs_cfg_t cfg;
    gx_acs_cfg_defaults(&cfg);
    cfg.n = (uint16_t)a.n;
    cfg.f = (uint16_t)f;
    cfg.self = (uint16_t)i;
    cfg.max_proposal = len;
    cfg.epoch_slots = 2;
    cfg.epoch_keep = 0;
    cfg.coin_pub = &pub;
    cfg.coin_sec = &sec[i];
    size_t sz = gx_acs_footprint(&cfg);
    a.mem[i] = sz ? aligned_alloc(64, (sz + 63) & ~(size_t)63) : NULL;
    gx_acs_out_t out = {&a, ab_send, ab_deliver, NULL};
    if (!a.mem[i] || gx_acs_new(&a.acs[i], a.mem[i], sz, &cfg, &out) != GX_ACS_OK) {
      gx_bench_skip(b, "node set-up failed (memory?)");
      free(value);
      ab_close(&a);
      return;
    }
  }
  uint64_t epochs = 0;
  int warm = 2; /* two untimed epochs first: every page of both epoch slots and the queue touched */
  while (warm > 0 || gx_bench_loop(b)) {
    uint64_t e = a.next_epoch++;
    uint64_t want = a.outputs + a.n;
    for (unsigned i = 0; i < a.n; i++) {
      gx_st64(value, e);
      value[8] = (uint8_t)i;
      a.cur = i;
      gx_acs_propose(a.acs[i], e, value, len);
    }
    for (int guard = 0; a.outputs < want && guard < 100; guard++) {
      while (a.rd < a.wr) {
        uint8_t *p = a.arena + a.rd;
        unsigned src = p[0], dst = p[1];
        size_t l = gx_ld16(p + 2);
        a.rd += 4 + l;
        a.cur = dst;
        gx_acs_on_message(a.acs[dst], src, p + 4, l);
      }
      a.rd = a.wr = 0;
      if (a.outputs < want)
        for (unsigned i = 0; i < a.n; i++) { a.cur = i; gx_acs_tick(a.acs[i]); }
    }
    if (a.outputs < want || a.overflow) { gx_bench_skip(b, "epoch did not complete"); break; }
    if (warm > 0) { warm--; continue; }
    epochs++;
  }
  uint64_t bytes = 0, msgs = 0;
  for (unsigned i = 0; i < a.n; i++) {
    bytes += gx_acs_stats(a.acs[i])->bytes_out;
    msgs += gx_acs_stats(a.acs[i])->msgs_out;
  }
  if (a.next_epoch) { /* every epoch costs the same: average over all, warm-up included */
    gx_bench_counter(b, "bytes_per_node_epoch", (double)bytes / a.n / (double)a.next_epoch);
    gx_bench_counter(b, "msgs_per_node_epoch", (double)msgs / a.n / (double)a.next_epoch);
  }
  gx_bench_counter(b, "tx_per_epoch", (double)(arg % 100000) * a.n);
  gx_bench_items(b, (int64_t)epochs);
  free(value);
  ab_close(&a);
}
GX_BENCH_NAMED_ARGS("acs/epoch", bm_acs_epoch, ACS_ARGS)

static void bm_acs_hash_floor(gx_bench_t *b) {
  int64_t arg = gx_bench_arg(b);
  unsigned n = (unsigned)(arg / 100000), f = (n - 1) / 3, k = n - 2 * f;
  uint32_t len = (uint32_t)(arg % 100000) * 290u;
  size_t sl = ((size_t)len + 4 + k - 1) / k;
  uint8_t *stripe = malloc(sl);
  if (!stripe) { gx_bench_skip(b, "out of memory"); return; }
  memset(stripe, 1, sl);
  gx_hash_t h;
  while (gx_bench_loop(b))
    for (unsigned node = 0; node < n; node++)
      for (unsigned inst = 0; inst < n; inst++)
        for (unsigned j = 0; j < n; j++) gx_merkle_leaf(&h, stripe, sl);
  gx_bench_items(b, gx_bench_iterations(b));
  free(stripe);
}
GX_BENCH_NAMED_ARGS("baseline/acs_hash_floor", bm_acs_hash_floor, ACS_ARGS)
