/* gx_verify: good transfers pass with their tx id set; one flipped bit in the
 * initiator's signature and one in the counterparty's are each counted under
 * their reason; a preverified transfer passes without verification (its bad
 * signature goes unnoticed); the gate re-check drops stale and too-far
 * transfers unverified (too far: forgotten by dedup, stale: kept); done() sees
 * every transfer once, in order, with its result; NULL results, counts and
 * callback are allowed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "core/gx_key.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_mempool.h"
#include "ingest/gx_verify.h"

enum { NX = 8 };
static gx_keypair_t ka, kb;
static uint8_t good[NX][GX_XFER_SZ]; /* one account, seq 1..NX, chained */

static void mk_xfers(void) {
  gx_key_derive(&ka, "verify-test", 1, 0);
  gx_key_derive(&kb, "verify-test", 1, 1);
  gx_hash_t prev;
  memset(&prev, 0, sizeof prev);
  for (int i = 0; i < NX; i++) {
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    x.initiator = ka.pk;
    x.counterparty = kb.pk;
    x.amount = 1;
    x.nonce = (uint64_t)i;
    x.init_link.seq = (uint64_t)i + 1;
    x.init_link.prev = prev;
    x.cp_link = x.init_link;
    assert_int_equal(gx_xfer_sign_init(&x, ka.sk), 0);
    assert_int_equal(gx_xfer_sign_cp(&x, kb.sk), 0);
    gx_xfer_encode(&x, good[i]);
    gx_xfer_id(&prev, good[i]);
  }
}

/* Byte offsets of the two signatures in an encoded transfer: the initiator's
 * ends its half, the counterparty's ends the transfer. */
#define INIT_SIG_OFF (GX_XFER_HALF_SZ - 64)
#define CP_SIG_OFF (GX_XFER_SZ - 64)

typedef struct {
  gx_dedup_t *dedup, *pre;
  gx_verify_item_t items[NX];
  void *ptrs[NX];
  /* what done() saw */
  size_t n_done;
  gx_verify_item_t *done_it[NX];
  gx_verify_result_t done_r[NX];
  gx_hash_t done_id[NX];
} fx_t;

static void fx_done(void *arg, gx_verify_item_t *it, gx_verify_result_t r) {
  fx_t *f = arg;
  assert_true(f->n_done < NX);
  f->done_it[f->n_done] = it;
  f->done_r[f->n_done] = r;
  f->done_id[f->n_done] = it->id;
  f->n_done++;
}

static int fx_setup(void **state) {
  fx_t *f = test_calloc(1, sizeof *f);
  f->dedup = gx_dedup_new(1024);
  f->pre = gx_dedup_new(1024);
  assert_non_null(f->dedup);
  assert_non_null(f->pre);
  for (int i = 0; i < NX; i++) {
    memcpy(f->items[i].enc, good[i], GX_XFER_SZ);
    f->items[i].hops = (uint8_t)i;
    memset(&f->items[i].id, 0xee, sizeof f->items[i].id);
    gx_dedup_key(f->dedup, good[i], GX_XFER_SZ, &f->items[i].key);
    assert_int_equal(gx_dedup_insert(f->dedup, &f->items[i].key), 0); /* as RX does */
    f->ptrs[i] = &f->items[i];
  }
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  fx_t *f = *state;
  gx_dedup_delete(f->dedup);
  gx_dedup_delete(f->pre);
  test_free(f);
  return 0;
}

static gx_verify_ctx_t fx_ctx(fx_t *f, const gx_mempool_t *gate) {
  return (gx_verify_ctx_t){
      .gate = gate, .dedup = f->dedup, .preverified = f->pre, .done = fx_done, .arg = f};
}

static void test_good_pass(void **state) {
  fx_t *f = *state;
  gx_verify_ctx_t ctx = fx_ctx(f, NULL);
  gx_verify_result_t res[NX];
  gx_verify_counts_t c = {{0}};
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, res, &c), NX);
  assert_int_equal(c.n[GX_VERIFY_OK], NX);
  for (int r = 1; r < GX_VERIFY__COUNT; r++) assert_int_equal(c.n[r], 0);
  assert_int_equal(f->n_done, NX);
  for (int i = 0; i < NX; i++) {
    gx_hash_t id;
    gx_xfer_id(&id, good[i]);
    assert_int_equal(res[i], GX_VERIFY_OK);
    assert_ptr_equal(f->done_it[i], &f->items[i]); /* in place, in order */
    assert_int_equal(f->done_r[i], GX_VERIFY_OK);
    assert_memory_equal(&f->done_id[i], &id, sizeof id); /* set before done() */
    assert_memory_equal(f->items[i].enc, good[i], GX_XFER_SZ);
    assert_int_equal(f->items[i].hops, i);
  }
  /* counts add up over batches */
  f->n_done = 0;
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, 3, NULL, &c), 3);
  assert_int_equal(c.n[GX_VERIFY_OK], NX + 3);
  assert_int_equal(f->n_done, 3);
}

static void test_flipped_bits(void **state) {
  fx_t *f = *state;
  f->items[1].enc[INIT_SIG_OFF + 5] ^= 0x10;
  f->items[4].enc[CP_SIG_OFF + 40] ^= 0x01;
  f->items[6].enc[CP_SIG_OFF] ^= 0x80;
  gx_verify_ctx_t ctx = fx_ctx(f, NULL);
  gx_verify_result_t res[NX];
  gx_verify_counts_t c = {{0}};
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, res, &c), NX - 3);
  assert_int_equal(c.n[GX_VERIFY_OK], NX - 3);
  assert_int_equal(c.n[GX_VERIFY_BAD_INIT], 1);
  assert_int_equal(c.n[GX_VERIFY_BAD_CP], 2);
  assert_int_equal(c.n[GX_VERIFY_PREVERIFIED], 0);
  assert_int_equal(res[1], GX_VERIFY_BAD_INIT);
  assert_int_equal(res[4], GX_VERIFY_BAD_CP);
  assert_int_equal(res[6], GX_VERIFY_BAD_CP);
  assert_int_equal(res[0], GX_VERIFY_OK);
  assert_int_equal(f->n_done, NX);
  assert_int_equal(f->done_r[1], GX_VERIFY_BAD_INIT);
  assert_int_equal(f->done_r[4], GX_VERIFY_BAD_CP);
  /* failed transfers get no id */
  uint8_t untouched[sizeof(gx_hash_t)];
  memset(untouched, 0xee, sizeof untouched);
  assert_memory_equal(&f->items[1].id, untouched, sizeof untouched);
  assert_memory_equal(&f->items[4].id, untouched, sizeof untouched);
  /* a signature failure leaves dedup alone (a copy is a duplicate still) */
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[1].key), 1);
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[4].key), 1);
}

static void test_preverified_skips(void **state) {
  fx_t *f = *state;
  /* both bad, but the commit stage "verified" them: not checked again */
  f->items[2].enc[CP_SIG_OFF + 7] ^= 0x04;
  f->items[3].enc[INIT_SIG_OFF] ^= 0x02;
  gx_dedup_key(f->dedup, f->items[2].enc, GX_XFER_SZ, &f->items[2].key);
  gx_dedup_key(f->dedup, f->items[3].enc, GX_XFER_SZ, &f->items[3].key);
  gx_dedup_insert(f->pre, &f->items[2].key);
  gx_dedup_insert(f->pre, &f->items[3].key);
  gx_dedup_insert(f->pre, &f->items[5].key); /* a good one preverified too */
  gx_verify_ctx_t ctx = fx_ctx(f, NULL);
  gx_verify_result_t res[NX];
  gx_verify_counts_t c = {{0}};
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, res, &c), NX);
  assert_int_equal(c.n[GX_VERIFY_PREVERIFIED], 3);
  assert_int_equal(c.n[GX_VERIFY_OK], NX - 3);
  assert_int_equal(c.n[GX_VERIFY_BAD_INIT] + c.n[GX_VERIFY_BAD_CP], 0);
  assert_int_equal(res[2], GX_VERIFY_PREVERIFIED);
  assert_int_equal(res[3], GX_VERIFY_PREVERIFIED);
  assert_int_equal(res[5], GX_VERIFY_PREVERIFIED);
  assert_true(gx_verify_passes(res[2]));
  gx_hash_t id;
  gx_xfer_id(&id, f->items[2].enc); /* the id of the bytes passed on */
  assert_memory_equal(&f->items[2].id, &id, sizeof id);
  /* without the cache the same batch is verified */
  ctx.preverified = NULL;
  memset(&c, 0, sizeof c);
  f->n_done = 0;
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, res, &c), NX - 2);
  assert_int_equal(res[2], GX_VERIFY_BAD_CP);
  assert_int_equal(res[3], GX_VERIFY_BAD_INIT);
  assert_int_equal(res[5], GX_VERIFY_OK);
}

static void test_gate(void **state) {
  fx_t *f = *state;
  gx_mempool_cfg_t mc;
  gx_mempool_cfg_defaults(&mc);
  mc.capacity = 1024;
  mc.max_future = 4;
  mc.max_accounts = 64;
  gx_mempool_err_t me;
  gx_mempool_t *mp = gx_mempool_new(&mc, &me);
  assert_non_null(mp);
  /* account a committed up to seq 2: next 3, window 3..6 */
  gx_mempool_on_committed(mp, &ka.pk, 2);
  gx_verify_ctx_t ctx = fx_ctx(f, mp);
  gx_verify_result_t res[NX];
  gx_verify_counts_t c = {{0}};
  f->items[3].enc[CP_SIG_OFF] ^= 0x01; /* seq 4, bad: checked, as it is admitted */
  f->items[7].enc[CP_SIG_OFF] ^= 0x01; /* seq 8, bad: never checked (too far) */
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, res, &c), 3);
  /* seq 1, 2: stale; 3, 5, 6: ok; 4: bad cp; 7, 8: too far */
  assert_int_equal(res[0], GX_VERIFY_GATE_STALE);
  assert_int_equal(res[1], GX_VERIFY_GATE_STALE);
  assert_int_equal(res[2], GX_VERIFY_OK);
  assert_int_equal(res[3], GX_VERIFY_BAD_CP);
  assert_int_equal(res[4], GX_VERIFY_OK);
  assert_int_equal(res[5], GX_VERIFY_OK);
  assert_int_equal(res[6], GX_VERIFY_GATE_TOO_FAR);
  assert_int_equal(res[7], GX_VERIFY_GATE_TOO_FAR);
  assert_int_equal(c.n[GX_VERIFY_GATE_STALE], 2);
  assert_int_equal(c.n[GX_VERIFY_GATE_TOO_FAR], 2);
  assert_int_equal(c.n[GX_VERIFY_OK], 3);
  assert_int_equal(c.n[GX_VERIFY_BAD_CP], 1);
  /* stale ones can never be taken: still duplicates; too-far ones are welcome
   * later: forgotten */
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[0].key), 1);
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[6].key), 0);
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[7].key), 0);
  assert_int_equal(gx_dedup_contains(f->dedup, &f->items[2].key), 1);
  /* the gate comes before the preverified cache */
  gx_dedup_insert(f->pre, &f->items[0].key);
  memset(&c, 0, sizeof c);
  f->n_done = 0;
  gx_verify_batch(&ctx, f->ptrs, 1, res, &c);
  assert_int_equal(res[0], GX_VERIFY_GATE_STALE);
  gx_mempool_delete(mp);
}

static void test_bare_context(void **state) {
  fx_t *f = *state;
  gx_verify_ctx_t ctx = {0}; /* no gate, no caches, no callback, no outputs */
  f->items[0].enc[CP_SIG_OFF] ^= 0x01;
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, NX, NULL, NULL), NX - 1);
  assert_int_equal(gx_verify_batch(&ctx, f->ptrs, 0, NULL, NULL), 0);
  for (int r = 0; r < GX_VERIFY__COUNT; r++)
    assert_string_not_equal(gx_verify_result_label((gx_verify_result_t)r), "unknown");
  assert_string_equal(gx_verify_result_label(GX_VERIFY_BAD_INIT), "bad_init");
}

static int group_setup(void **state) {
  (void)state;
  mk_xfers();
  return 0;
}

int main(void) {
  if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
  const struct CMUnitTest tests[] = {
      T(test_good_pass), T(test_flipped_bits), T(test_preverified_skips), T(test_gate),
      T(test_bare_context),
  };
  return cmocka_run_group_tests(tests, group_setup, NULL);
}
