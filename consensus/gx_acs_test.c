/* gx_acs (with gx_rbc and gx_ba inside): N real nodes exchanging real
 * datagrams through an in-test queue (shuffled, optionally lossy). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "consensus/gx_acs.h"
#include "core/gx_util.h"

#define TN 4
#define TQ 200000

typedef struct { uint16_t src, dst, len; uint8_t b[GX_CMSG_MAX]; } tmsg_t;

typedef struct {
  gx_acs_t *acs[TN];
  void *mem[TN];
  gx_coin_pub_t pub;
  gx_coin_secret_t sec[TN];
  tmsg_t *q;
  size_t qn;
  unsigned cur;
  uint64_t rng;
  unsigned drop_pct;
  uint64_t out_epochs[TN];
  gx_hash_t digest[TN][8];
  unsigned count[TN][8];
  uint8_t props[TN][8][6000];
  uint32_t plen[TN][8];
  int decided[TN][8][TN];
  int auto_propose;
} tnet_t;

static tnet_t *T;

static uint64_t trand(void) {
  T->rng = T->rng * 6364136223846793005ull + 1442695040888963407ull;
  return T->rng >> 33;
}

static void t_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  (void)ctx;
  for (unsigned d = 0; d < TN; d++) {
    if (d == T->cur || (dest != GX_CMSG_ALL && (unsigned)dest != d)) continue;
    assert_true(T->qn < TQ);
    tmsg_t *m = &T->q[T->qn++];
    m->src = (uint16_t)T->cur;
    m->dst = (uint16_t)d;
    m->len = (uint16_t)len;
    memcpy(m->b, msg, len);
  }
}

static void t_propose(unsigned i, uint64_t e);

static void t_deliver(void *ctx, const gx_acs_batch_t *b) {
  (void)ctx;
  unsigned i = T->cur;
  assert_int_equal(b->epoch, T->out_epochs[i]);
  T->out_epochs[i]++;
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, NULL, 0, 32);
  for (unsigned k = 0; k < b->count; k++) {
    unsigned j = b->proposer[k];
    uint8_t hdr[6];
    gx_st16(hdr, (uint16_t)j);
    gx_st32(hdr + 2, b->len[k]);
    crypto_generichash_blake2b_update(&st, hdr, 6);
    crypto_generichash_blake2b_update(&st, b->value[k], b->len[k]);
    if (T->plen[j][b->epoch] != UINT32_MAX) { /* honest proposer: exact value */
      assert_int_equal(b->len[k], T->plen[j][b->epoch]);
      assert_memory_equal(b->value[k], T->props[j][b->epoch], b->len[k]);
    }
  }
  crypto_generichash_blake2b_final(&st, T->digest[i][b->epoch].b, 32);
  T->count[i][b->epoch] = b->count;
  if (T->auto_propose && b->epoch + 1 < 8) t_propose(i, b->epoch + 1);
}

static void t_decide(void *ctx, uint64_t epoch, unsigned inst, int value) {
  (void)ctx;
  if (epoch < 8) {
    assert_int_equal(T->decided[T->cur][epoch][inst], -1); /* once */
    T->decided[T->cur][epoch][inst] = value;
  }
}

static void t_start(uint32_t max_prop, uint16_t slots, uint16_t keep) {
  T = calloc(1, sizeof *T);
  assert_non_null(T);
  T->q = calloc(TQ, sizeof *T->q);
  assert_non_null(T->q);
  T->rng = 42;
  memset(T->decided, -1, sizeof T->decided);
  memset(T->plen, 0xff, sizeof T->plen);
  uint8_t seed[32] = {3};
  assert_int_equal(gx_coin_deal(&T->pub, T->sec, TN, 1, seed), GX_COIN_OK);
  for (unsigned i = 0; i < TN; i++) {
    gx_acs_cfg_t cfg;
    gx_acs_cfg_defaults(&cfg);
    cfg.n = TN;
    cfg.f = 1;
    cfg.self = (uint16_t)i;
    cfg.max_proposal = max_prop;
    cfg.epoch_slots = slots;
    cfg.epoch_keep = keep;
    cfg.coin_pub = &T->pub;
    cfg.coin_sec = &T->sec[i];
    size_t sz = gx_acs_footprint(&cfg);
    assert_true(sz > 0);
    T->mem[i] = aligned_alloc(64, (sz + 63) & ~(size_t)63);
    gx_acs_out_t out = {NULL, t_send, t_deliver, t_decide};
    assert_int_equal(gx_acs_new(&T->acs[i], T->mem[i], sz, &cfg, &out), GX_ACS_OK);
  }
}

static void t_stop(void) {
  for (unsigned i = 0; i < TN; i++) {
    gx_acs_delete(T->acs[i]);
    free(T->mem[i]);
  }
  free(T->q);
  free(T);
  T = NULL;
}

static void t_propose(unsigned i, uint64_t e) {
  uint32_t len = (uint32_t)((i * 1777 + e * 31) % 5000);
  if (i == 1) len = 0;
  for (uint32_t k = 0; k < len; k++) T->props[i][e][k] = (uint8_t)(k ^ i ^ e);
  T->plen[i][e] = len;
  unsigned prev = T->cur;
  T->cur = i;
  assert_int_equal(gx_acs_propose(T->acs[i], e, T->props[i][e], len), GX_ACS_OK);
  T->cur = prev;
}

/* Delivers queued messages in random order (dropping drop_pct percent) until
 * the queue is empty; then ticks everyone, up to rounds times. */
static void t_run(unsigned rounds, uint64_t want_epochs) {
  for (unsigned r = 0; r < rounds; r++) {
    while (T->qn) {
      size_t at = trand() % T->qn;
      tmsg_t m = T->q[at];
      T->q[at] = T->q[--T->qn];
      if (trand() % 100 < T->drop_pct) continue;
      T->cur = m.dst;
      gx_acs_on_message(T->acs[m.dst], m.src, m.b, m.len);
    }
    int done = 1;
    for (unsigned i = 0; i < TN; i++)
      if (T->out_epochs[i] < want_epochs) done = 0;
    if (done) return;
    for (unsigned i = 0; i < TN; i++) {
      T->cur = i;
      gx_acs_tick(T->acs[i]);
    }
  }
}

static void t_check_agree(uint64_t epochs) {
  for (uint64_t e = 0; e < epochs; e++)
    for (unsigned i = 0; i < TN; i++) {
      assert_true(T->out_epochs[i] > e);
      assert_true(T->count[i][e] >= TN - 1);
      assert_memory_equal(T->digest[i][e].b, T->digest[0][e].b, 32);
      for (unsigned j = 0; j < TN; j++) assert_int_equal(T->decided[i][e][j], T->decided[0][e][j]);
    }
}

static void test_all_honest_three_epochs(void **st) {
  (void)st;
  t_start(8192, 3, 1);
  T->auto_propose = 1;
  for (unsigned i = 0; i < TN; i++) t_propose(i, 0);
  t_run(1, 3); /* no loss: must finish without any re-send */
  t_check_agree(3);
  for (unsigned i = 0; i < TN; i++) {
    const gx_acs_stats_t *s = gx_acs_stats(T->acs[i]);
    assert_int_equal(s->epochs_output, T->out_epochs[i]);
    assert_int_equal(s->drop[GX_ACS_DROP_DECODE], 0);
    assert_int_equal(gx_acs_next_epoch(T->acs[i]), T->out_epochs[i]);
  }
  t_stop();
}

static void test_lossy_links_progress_by_tick(void **st) {
  (void)st;
  t_start(8192, 3, 1);
  T->auto_propose = 1;
  T->drop_pct = 30;
  for (unsigned i = 0; i < TN; i++) t_propose(i, 0);
  t_run(400, 2);
  t_check_agree(2);
  t_stop();
}

static void test_propose_errors_and_window(void **st) {
  (void)st;
  t_start(8192, 3, 1);
  static uint8_t v[8193];
  T->cur = 0;
  assert_int_equal(gx_acs_propose(T->acs[0], 0, v, 8193), GX_ACS_ERR_SIZE);
  assert_int_equal(gx_acs_propose(T->acs[0], 3, v, 10), GX_ACS_ERR_EPOCH); /* beyond window */
  assert_int_equal(gx_acs_propose(T->acs[0], 0, v, 10), GX_ACS_OK);
  assert_int_equal(gx_acs_propose(T->acs[0], 0, v, 10), GX_ACS_ERR_PROPOSED);
  /* a peer flooding far-future epochs hits the window: counted, not stored */
  uint8_t buf[GX_CMSG_MAX];
  for (uint64_t e = 3; e < 1003; e++) {
    size_t n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_BVAL, e, 1, 0, 1);
    assert_int_equal(gx_acs_on_message(T->acs[0], 2, buf, n), GX_ACS_DROP_FUTURE);
  }
  assert_int_equal(gx_acs_stats(T->acs[0])->drop[GX_ACS_DROP_FUTURE], 1000);
  uint64_t lo, hi;
  gx_acs_window(T->acs[0], &lo, &hi);
  assert_int_equal(lo, 0);
  assert_int_equal(hi, 3);
  /* malformed, bad sender, bad instance */
  memset(buf, 0xEE, 40);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, 40), GX_ACS_DROP_DECODE);
  size_t n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_BVAL, 0, 1, 0, 1);
  assert_int_equal(gx_acs_on_message(T->acs[0], 0, buf, n), GX_ACS_DROP_SENDER);
  assert_int_equal(gx_acs_on_message(T->acs[0], TN, buf, n), GX_ACS_DROP_SENDER);
  n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_BVAL, 0, TN, 0, 1);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_DROP_INSTANCE);
  /* finish epochs 0..2, then epoch 0 is stale (keep 1) */
  T->auto_propose = 1;
  for (unsigned i = 1; i < TN; i++) t_propose(i, 0);
  t_run(1, 3);
  t_check_agree(3);
  n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_BVAL, 0, 1, 0, 1);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_DROP_STALE);
  assert_int_equal(gx_acs_propose(T->acs[0], 1, v, 10), GX_ACS_ERR_EPOCH);
  /* catch-up refuses going backwards, accepts forwards */
  assert_int_equal(gx_acs_skip_to(T->acs[0], 2), GX_ACS_ERR_EPOCH);
  assert_int_equal(gx_acs_skip_to(T->acs[0], 10), GX_ACS_OK);
  assert_int_equal(gx_acs_next_epoch(T->acs[0]), 10);
  t_stop();
}

static void test_inconsistent_codeword_excluded(void **st) {
  (void)st;
  t_start(4096, 3, 1);
  uint8_t v[3000];
  for (unsigned k = 0; k < sizeof v; k++) v[k] = (uint8_t)k;
  T->cur = 3; /* node 3 commits to a damaged codeword and sends it to all */
  for (unsigned d = 0; d < 3; d++)
    assert_int_equal(gx_acs_send_forged_val(T->acs[3], 0, v, sizeof v, d, 1), GX_ACS_OK);
  for (unsigned i = 0; i < 3; i++) t_propose(i, 0);
  t_run(50, 1);
  t_run(3, 99); /* let the broadcast itself finish: it must end "bad" everywhere */
  for (unsigned i = 0; i < 3; i++) {
    assert_int_equal(T->out_epochs[i], 1);
    assert_int_equal(T->decided[i][0][3], 0); /* node 3's value excluded */
    assert_int_equal(T->count[i][0], 3);
    assert_memory_equal(T->digest[i][0].b, T->digest[0][0].b, 32);
    assert_true(gx_acs_stats(T->acs[i])->rbc_bad >= 1);
  }
  t_stop();
}

static void test_term_and_bad_share(void **st) {
  (void)st;
  t_start(100, 3, 1);
  uint8_t buf[GX_CMSG_MAX];
  T->cur = 0;
  /* f+1 = 2 TERM(1) for instance 2 decide it, even before any input */
  size_t n = gx_cmsg_encode_vote(buf, GX_CMSG_BA_TERM, 0, 2, 0, 1);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_OK);
  assert_int_equal(T->decided[0][0][2], -1);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_DROP_BA); /* duplicate */
  assert_int_equal(gx_acs_on_message(T->acs[0], 3, buf, n), GX_ACS_OK);
  assert_int_equal(T->decided[0][0][2], 1);
  /* a coin share with a bad proof is refused and counted */
  uint8_t h[32];
  gx_coin_share_t sh;
  gx_coin_name(h, 0, 1, 2);
  assert_int_equal(gx_coin_share_make(&sh, &T->pub, &T->sec[1], h), GX_COIN_OK);
  sh.z[0] ^= 1;
  n = gx_cmsg_encode_coin(buf, 0, 1, 2, sh.share, sh.c, sh.z);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_DROP_BA);
  assert_int_equal(gx_acs_stats(T->acs[0])->ba[GX_BA_DROP_SHARE], 1);
  sh.z[0] ^= 1; /* the genuine one is accepted; from the wrong sender it is not */
  n = gx_cmsg_encode_coin(buf, 0, 1, 2, sh.share, sh.c, sh.z);
  assert_int_equal(gx_acs_on_message(T->acs[0], 2, buf, n), GX_ACS_DROP_BA);
  assert_int_equal(gx_acs_on_message(T->acs[0], 1, buf, n), GX_ACS_OK);
  t_stop();
}

static void test_config_checks(void **st) {
  (void)st;
  gx_coin_pub_t pub;
  gx_coin_secret_t sec[4];
  uint8_t seed[32] = {1};
  assert_int_equal(gx_coin_deal(&pub, sec, 4, 1, seed), GX_COIN_OK);
  gx_acs_cfg_t cfg;
  gx_acs_cfg_defaults(&cfg);
  cfg.n = 4; cfg.f = 1; cfg.self = 2; cfg.max_proposal = 100;
  cfg.coin_pub = &pub; cfg.coin_sec = &sec[2];
  assert_true(gx_acs_footprint(&cfg) > 0);
  cfg.coin_sec = &sec[1]; /* key of another node */
  assert_int_equal(gx_acs_footprint(&cfg), 0);
  cfg.coin_sec = &sec[2];
  cfg.f = 2;
  assert_int_equal(gx_acs_footprint(&cfg), 0);
  cfg.f = 1;
  cfg.epoch_slots = 2; /* < keep + 2 */
  assert_int_equal(gx_acs_footprint(&cfg), 0);
  cfg.epoch_slots = 4;
  size_t sz = gx_acs_footprint(&cfg);
  void *mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
  gx_acs_t *acs;
  gx_acs_out_t out = {NULL, t_send, t_deliver, NULL};
  assert_int_equal(gx_acs_new(&acs, mem, sz - 1, &cfg, &out), GX_ACS_ERR_MEM);
  assert_int_equal(gx_acs_new(&acs, (uint8_t *)mem + 8, sz, &cfg, &out), GX_ACS_ERR_MEM);
  assert_int_equal(gx_acs_new(&acs, mem, sz, &cfg, &out), GX_ACS_OK);
  gx_acs_delete(acs);
  free(mem);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_all_honest_three_epochs),
    cmocka_unit_test(test_lossy_links_progress_by_tick),
    cmocka_unit_test(test_propose_errors_and_window),
    cmocka_unit_test(test_inconsistent_codeword_excluded),
    cmocka_unit_test(test_term_and_bad_share),
    cmocka_unit_test(test_config_checks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
