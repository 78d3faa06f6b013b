/* Verification benchmarks (suite "verify"; bench/pairs.txt pairs them with
 * core's baseline/raw_libsodium_verify, whose items are single signatures, so
 * a transfer's bound is 0.5 x raw and N workers' bound is 0.5*N x raw):
 *   verify/batch      one thread verifying batches of 64 transfers (gx_xfer_verify_enc)
 *   verify/stage      one thread running the verify stage's per-batch work on
 *                     batches of 64 items (gx_verify_batch: gate re-check, the
 *                     preverified cache, both signatures, tx id, a done()
 *                     callback) with what galaxyd gives it: a mempool gate
 *                     and an empty preverified cache; so stage / batch is the
 *                     stage's overhead over bare verification.
 *   verify/workers/N  the real galaxyd pipeline (gx_ingest: RX+parse+dedup,
 *                     N pinned verify workers, mempool) fed K unique pre-signed
 *                     transfers from an in-memory gx_dp queue; items = verified
 *                     transfers per second of wall time from start to the
 *                     last verification. Runs with N > online CPUs are skipped.
 *                     Workers are pinned to cores 0..N-1 like galaxyd's
 *                     [cores] verify; GX_BENCH_NOPIN=1 leaves them unpinned. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "dataplane/gx_eal.h"
#include "ingest/gx_ingest.h"
#include "ingest/gx_verify.h"

enum { VB_PAIRS = 1000, VB_PER_PAIR = 20, VB_K = VB_PAIRS * VB_PER_PAIR, VB_DGRAMS = VB_K / GX_BATCH_MAX };

static uint8_t *vb_xfers;           /* VB_K * GX_XFER_SZ */
static uint8_t (*vb_dgrams)[GX_UDP_PAYLOAD_MAX];
static uint16_t vb_lens[VB_DGRAMS];

typedef struct { int lo, hi; } vb_range_t;
static void *vb_sign(void *arg) {
  vb_range_t *r = arg;
  for (int p = r->lo; p < r->hi; p++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "verify-bench", 1, (uint64_t)(2 * p));
    gx_key_derive(&b, "verify-bench", 1, (uint64_t)(2 * p + 1));
    gx_hash_t prev;
    memset(&prev, 0, sizeof prev);
    for (int s = 0; s < VB_PER_PAIR; s++) {
      /* interleave pairs so each datagram mixes accounts, like real gossip */
      uint8_t *enc = vb_xfers + ((size_t)s * VB_PAIRS + (size_t)p) * GX_XFER_SZ;
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = a.pk;
      x.counterparty = b.pk;
      x.amount = 1;
      x.nonce = (uint64_t)p;
      x.init_link.seq = (uint64_t)s + 1;
      x.init_link.prev = prev;
      x.cp_link = x.init_link;
      gx_xfer_sign_init(&x, a.sk);
      gx_xfer_sign_cp(&x, b.sk);
      gx_xfer_encode(&x, enc);
      gx_xfer_id(&prev, enc);
    }
  }
  return NULL;
}

static int vb_prepare(void) {
  static int done;
  if (done) return done > 0 ? 0 : -1;
  done = -1;
  if (sodium_init() < 0) return -1;
  char err[256];
  if (gx_eal_ensure(0, err, sizeof err) != 0) {
    fprintf(stderr, "verify bench: %s\n", err);
    return -1;
  }
  vb_xfers = malloc((size_t)VB_K * GX_XFER_SZ);
  vb_dgrams = malloc(sizeof *vb_dgrams * VB_DGRAMS);
  if (!vb_xfers || !vb_dgrams) return -1;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int nt = ncpu > 8 ? 8 : ncpu < 1 ? 1 : (int)ncpu;
  pthread_t t[8];
  vb_range_t r[8];
  for (int i = 0; i < nt; i++) {
    r[i] = (vb_range_t){VB_PAIRS * i / nt, VB_PAIRS * (i + 1) / nt};
    pthread_create(&t[i], NULL, vb_sign, &r[i]);
  }
  for (int i = 0; i < nt; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < VB_DGRAMS; i++)
    vb_lens[i] = (uint16_t)gx_batch_encode(vb_dgrams[i], GX_UDP_PAYLOAD_MAX,
                                           vb_xfers + (size_t)i * GX_BATCH_MAX * GX_XFER_SZ,
                                           GX_BATCH_MAX, 0);
  done = 1;
  return 0;
}

/* ---- an in-memory gx_dp queue: hands out the pre-built datagrams once ---- */
typedef struct {
  gx_dp_queue_t q;
  int next;
} vb_memq_t;

static int vb_rx(gx_dp_queue_t *q, gx_dgram_t *out, int max) {
  vb_memq_t *m = q->backend;
  int n = 0;
  while (n < max && m->next < VB_DGRAMS) {
    out[n] = (gx_dgram_t){vb_dgrams[m->next], vb_lens[m->next], {4, 0, 1, {127, 0, 0, 1}}, NULL};
    m->next++;
    n++;
  }
  if (!n) {
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
  }
  return n;
}
static void vb_release(gx_dp_queue_t *q, gx_dgram_t *d, int n) { (void)q; (void)d; (void)n; }
static int vb_tx(gx_dp_queue_t *q, const gx_addr_t *dst, const uint8_t *const *p,
                 const uint16_t *l, int n) {
  (void)q; (void)dst; (void)p; (void)l;
  return n;
}
static const gx_dp_ops_t vb_ops = {"memory", vb_rx, vb_release, vb_tx};

static void bm_verify_workers(gx_bench_t *b) {
  int workers = (int)gx_bench_arg(b);
  if (workers > sysconf(_SC_NPROCESSORS_ONLN)) {
    gx_bench_skip(b, "more verify workers than online CPUs");
    return;
  }
  if (vb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed (EAL or memory)");
    return;
  }
  static int run;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int64_t total = 0;
  while (gx_bench_loop(b)) {
    gx_bench_pause(b); /* set-up and tear-down are not timed */
    vb_memq_t m = {{&vb_ops, NULL, 0}, 0};
    m.q.backend = &m;
    gx_dp_queue_t *q = &m.q;
    gx_ingest_cfg_t c;
    gx_ingest_cfg_defaults(&c);
    char name[32];
    snprintf(name, sizeof name, "vb%d", run++);
    c.name = name;
    c.n_verify = workers;
    /* pinned like galaxyd (worker i on core i); GX_BENCH_NOPIN=1 leaves them to
     * the scheduler (useful on a shared, busy host) */
    for (int i = 0; i < workers; i++) c.verify_cores[i] = getenv("GX_BENCH_NOPIN") ? -1 : (int)(i % ncpu);
    c.verify_ring = 32768; /* holds all K: RX never drops, workers never starve */
    c.link_ring = 32768;
    c.items = 32768;
    c.dedup_entries = 1 << 16;
    c.mempool.capacity = 65536;
    char err[256];
    gx_ingest_t *ing = gx_ingest_new(&c, &q, 1, err, sizeof err);
    if (!ing) {
      gx_bench_skip(b, err);
      return;
    }
    gx_bench_resume(b);
    gx_ingest_start(ing, err, sizeof err);
    gx_ingest_snapshot_t s;
    do {
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
      gx_ingest_snapshot(ing, &s);
    } while (s.verified_ok + s.verify_failed < VB_K);
    gx_bench_pause(b);
    gx_ingest_stop(ing);
    gx_ingest_delete(ing);
    gx_bench_resume(b);
    total += (int64_t)s.verified_ok;
  }
  gx_bench_items(b, total);
}
GX_BENCH_NAMED_ARGS("verify/workers", bm_verify_workers, 1, 2, 4, 8)

static void bm_verify_batch(gx_bench_t *b) {
  if (vb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed");
    return;
  }
  int bad = 0;
  int64_t n = 0;
  size_t off = 0;
  while (gx_bench_loop(b)) {
    for (int i = 0; i < 64; i++) {
      bad |= gx_xfer_verify_enc(vb_xfers + off * GX_XFER_SZ);
      off = (off + 1) % VB_K;
    }
    n += 64;
  }
  if (bad) gx_bench_skip(b, "a transfer failed to verify");
  gx_bench_items(b, n);
}
GX_BENCH_NAMED("verify/batch", bm_verify_batch, 0)

static void bm_verify_stage_done(void *arg, gx_verify_item_t *it, gx_verify_result_t r) {
  (void)it;
  if (!gx_verify_passes(r)) *(int *)arg = 1;
}

static void bm_verify_stage(gx_bench_t *b) {
  if (vb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed");
    return;
  }
  gx_verify_item_t *items = malloc(sizeof *items * VB_K);
  void **ptrs = malloc(sizeof *ptrs * VB_K);
  gx_dedup_t *dedup = gx_dedup_new(1 << 16), *pre = gx_dedup_new(GX_INGEST_PREVERIFIED);
  gx_mempool_cfg_t mc;
  gx_mempool_cfg_defaults(&mc);
  gx_mempool_err_t me;
  gx_mempool_t *mp = gx_mempool_new(&mc, &me);
  if (!items || !ptrs || !dedup || !pre || !mp) {
    gx_bench_skip(b, "set-up failed (memory)");
  } else {
    for (size_t i = 0; i < VB_K; i++) {
      memcpy(items[i].enc, vb_xfers + i * GX_XFER_SZ, GX_XFER_SZ);
      items[i].hops = 0;
      gx_dedup_key(dedup, items[i].enc, GX_XFER_SZ, &items[i].key);
      ptrs[i] = &items[i];
    }
    int bad = 0;
    gx_verify_ctx_t ctx = {.gate = mp, .dedup = dedup, .preverified = pre,
                           .done = bm_verify_stage_done, .arg = &bad};
    gx_verify_counts_t c = {{0}};
    int64_t n = 0;
    size_t off = 0;
    while (gx_bench_loop(b)) {
      gx_verify_batch(&ctx, ptrs + off, 64, NULL, &c);
      off = (off + 64) % (VB_K - VB_K % 64);
      n += 64;
    }
    if (bad) gx_bench_skip(b, "a transfer failed to verify");
    gx_bench_items(b, n);
  }
  gx_mempool_delete(mp);
  gx_dedup_delete(pre);
  gx_dedup_delete(dedup);
  free(ptrs);
  free(items);
}
GX_BENCH_NAMED("verify/stage", bm_verify_stage, 0)
