/* star's wallet state: the chain file (v1 still read, v2 round trip, every
 * rejection), records (co-signing the same half again, eviction), reconcile
 * with the committed chain (pending kept, used, broken; the wallet ahead),
 * in-flight records, and the API answers star reads.
 * star is a program, not a layer: this test compiles apps/star/star_state.c
 * in (it needs only core) and links the cli layer's libraries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "apps/star/star_state.c"
#include "core/gx_key.h"

static gx_keypair_t ka, kb;

/* A transfer a -> b at a's seq iseq (prev pa) and b's seq cseq (prev pb). */
static void mk(uint8_t enc[GX_XFER_SZ], uint64_t iseq, const gx_hash_t *pa, uint64_t cseq, const gx_hash_t *pb,
               uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = ka.pk;
  x.counterparty = kb.pk;
  x.amount = 5;
  x.nonce = nonce;
  x.init_link.seq = iseq;
  if (pa) x.init_link.prev = *pa;
  x.cp_link.seq = cseq;
  if (pb) x.cp_link.prev = *pb;
  assert_int_equal(gx_xfer_sign_init(&x, ka.sk), 0);
  assert_int_equal(gx_xfer_sign_cp(&x, kb.sk), 0);
  gx_xfer_encode(&x, enc);
}

static void half_of(uint8_t half[GX_XFER_HALF_SZ], const uint8_t enc[GX_XFER_SZ]) {
  gx_xfer_t x;
  assert_int_equal(gx_xfer_decode(&x, enc, GX_XFER_SZ), GX_PROTO_OK);
  gx_xfer_half_encode(&x, half);
}

static void test_v1_still_reads(void **unused) {
  (void)unused;
  star_state_t s;
  char text[256];
  snprintf(text, sizeof text, "galaxy-chain v1\nseq 3\nhead %s\npending 4\n",
           "abababababababababababababababababababababababababababababababab");
  assert_null(star_state_decode(&s, text));
  assert_int_equal(s.chain.seq, 3);
  assert_int_equal(s.pending, 4);
  assert_int_equal(s.have_half, 0);
  assert_int_equal(s.chain.head.b[0], 0xab);
  assert_null(star_state_decode(&s, "galaxy-chain v1\nseq 0\nhead "
                                    "0000000000000000000000000000000000000000000000000000000000000000\npending 0\n"));
  /* the v1 rules still hold */
  assert_non_null(star_state_decode(&s, "galaxy-chain v1\nseq 0\nhead "
                                        "0000000000000000000000000000000000000000000000000000000000000000\npending 2\n"));
  assert_non_null(star_state_decode(&s, "galaxy-chain v1\nseq 1\nhead "
                                        "0000000000000000000000000000000000000000000000000000000000000000\npending 0\n"));
  /* written back as v2 */
  snprintf(text, sizeof text, "galaxy-chain v1\nseq 3\nhead %s\npending 0\n",
           "abababababababababababababababababababababababababababababababab");
  assert_null(star_state_decode(&s, text));
  char out[STAR_STATE_TEXT_MAX];
  size_t n = star_state_encode(&s, out, sizeof out);
  assert_true(n > 0 && !strncmp(out, "galaxy-chain v2\nseq 3\n", 22));
}

static void test_v2_round_trip_and_rejections(void **unused) {
  (void)unused;
  star_state_t s, t;
  memset(&s, 0, sizeof s);
  uint8_t enc[GX_XFER_SZ];
  gx_hash_t h1;
  memset(h1.b, 0x11, 32);
  s.chain.seq = 1;
  s.chain.head = h1;
  mk(enc, 2, &h1, 1, NULL, 1);
  half_of(s.half, enc);
  s.pending = 2;
  s.have_half = 1;
  for (uint64_t i = 0; i < STAR_STATE_RECS + 3; i++) {
    mk(enc, 9 + i, &h1, 4, &h1, 100 + i);
    star_state_record(&s, enc, STAR_REC_SENT, 1000 + i);
  }
  assert_int_equal(s.nrec, STAR_STATE_RECS);
  static char out[STAR_STATE_TEXT_MAX];
  size_t n = star_state_encode(&s, out, sizeof out);
  assert_true(n < sizeof out - 1);
  assert_null(star_state_decode(&t, out));
  assert_memory_equal(&s, &t, sizeof s);
  /* the oldest went: times 1003..1010 are left */
  for (uint32_t i = 0; i < t.nrec; i++) assert_true(t.rec[i].time >= 1003);
  /* every truncation is refused */
  static char cut[STAR_STATE_TEXT_MAX];
  size_t recs_at = (size_t)(strstr(out, "\nhalf ") - out) + 1; /* the half is optional too */
  for (size_t k = 0; k < n; k++) {
    memcpy(cut, out, k);
    cut[k] = 0;
    const char *why = star_state_decode(&t, cut);
    if (k >= recs_at && out[k - 1] == '\n') { /* whole lines: no half, fewer records */
      assert_null(why);
      continue;
    }
    assert_non_null(why);
  }
  /* one flipped hex digit in the half: its signature is not checked here, but
   * a non-hex character is refused; a half at another sequence too */
  memcpy(cut, out, n + 1);
  char *half = strstr(cut, "\nhalf ") + 6;
  half[10] = 'g';
  assert_non_null(star_state_decode(&t, cut));
  assert_non_null(star_state_decode(&t, "galaxy-chain v3\n"));
  assert_non_null(star_state_decode(&t, ""));
  assert_non_null(star_state_decode(&t, "galaxy-chain v2"));
  /* a pending sequence without its half: a v1 reservation written back */
  assert_null(star_state_decode(&t, "galaxy-chain v2\nseq 0\nhead "
                                    "0000000000000000000000000000000000000000000000000000000000000000\npending 1\n"));
  assert_int_equal(t.have_half, 0);
  /* unknown lines, bad flags */
  assert_non_null(star_state_decode(&t, "galaxy-chain v2\nseq 0\nhead "
                                        "0000000000000000000000000000000000000000000000000000000000000000\npending 0\nx 1\n"));
  char rec[2 * GX_XFER_SZ + 1], text[1024];
  gx_hex_encode(rec, enc, GX_XFER_SZ);
  snprintf(text, sizeof text, "galaxy-chain v2\nseq 0\nhead %064d\npending 0\nrec 5 8 %s\n", 0, rec);
  assert_non_null(star_state_decode(&t, text));
  snprintf(text, sizeof text, "galaxy-chain v2\nseq 0\nhead %064d\npending 0\nrec 5 3 %s\n", 0, rec);
  assert_null(star_state_decode(&t, text));
  snprintf(text, sizeof text, "galaxy-chain v2\nseq 99999999999999999999\nhead %064d\npending 0\n", 0);
  assert_non_null(star_state_decode(&t, text));
}

static void test_cosign_record_replaced(void **unused) {
  (void)unused;
  star_state_t s;
  memset(&s, 0, sizeof s);
  uint8_t t1[GX_XFER_SZ], t2[GX_XFER_SZ], half[GX_XFER_HALF_SZ];
  gx_hash_t h;
  memset(h.b, 0x22, 32);
  mk(t1, 1, NULL, 1, NULL, 7);
  mk(t2, 1, NULL, 2, &h, 7); /* the same half co-signed at another sequence */
  half_of(half, t1);
  assert_true(star_state_same_half(half, t1) && star_state_same_half(t1, t2));
  assert_int_equal(star_state_find_half(&s, half), -1);
  assert_int_equal(star_state_record(&s, t1, STAR_REC_COSIGNED, 10), 0);
  assert_int_equal(star_state_find_half(&s, half), 0);
  assert_int_equal(star_state_record(&s, t1, STAR_REC_SENT, 11), 0);
  assert_int_equal(s.rec[0].flags, STAR_REC_COSIGNED | STAR_REC_SENT);
  assert_int_equal(star_state_record(&s, t2, STAR_REC_COSIGNED, 12), 0);
  assert_int_equal(s.nrec, 1);
  assert_memory_equal(s.rec[0].enc, t2, GX_XFER_SZ);
  assert_int_equal(s.rec[0].flags, STAR_REC_COSIGNED);
  gx_chain_link_t l;
  assert_int_equal(star_state_rec_link(&s, 0, &kb.pk, &l), 0);
  assert_int_equal(l.seq, 2);
  assert_int_equal(star_state_rec_link(&s, 0, &ka.pk, &l), 0);
  assert_int_equal(l.seq, 1);
  gx_keypair_t kc;
  gx_key_derive(&kc, "star-state-test", 0, 3);
  assert_int_equal(star_state_rec_link(&s, 0, &kc.pk, &l), -1);
}

static void test_reconcile(void **unused) {
  (void)unused;
  star_state_t s;
  star_reconcile_t r;
  uint8_t t[GX_XFER_SZ];
  gx_hash_t h4, h5;
  memset(h4.b, 4, 32);
  memset(h5.b, 5, 32);
  gx_chain_head_t c4 = {4, h4}, c5 = {5, h5};
  /* the wallet one ahead (a transfer that never committed), pending at 6 on it */
  memset(&s, 0, sizeof s);
  s.chain = c5;
  mk(t, 6, &h5, 1, NULL, 1);
  half_of(s.half, t);
  s.pending = 6;
  s.have_half = 1;
  star_state_reconcile(&s, &c4, &r);
  assert_true(r.dropped);
  assert_int_equal(r.before.seq, 5);
  assert_int_equal(r.fate, STAR_PENDING_BROKEN);
  assert_int_equal(s.pending, 0);
  assert_int_equal(s.have_half, 0);
  assert_int_equal(s.chain.seq, 4);
  /* pending at 5 on 4: kept while the committed chain is at 4 */
  mk(t, 5, &h4, 1, NULL, 2);
  half_of(s.half, t);
  s.pending = 5;
  s.have_half = 1;
  star_state_reconcile(&s, &c4, &r);
  assert_false(r.dropped);
  assert_int_equal(r.fate, STAR_PENDING_KEPT);
  assert_int_equal(s.pending, 5);
  /* ... and used once sequence 5 is committed (by it or another) */
  star_state_reconcile(&s, &c5, &r);
  assert_int_equal(r.fate, STAR_PENDING_USED);
  assert_int_equal(s.pending, 0);
  /* a v1 pending reservation (no half) is kept while it is seq + 1 */
  s.chain = c4;
  s.pending = 5;
  s.have_half = 0;
  star_state_reconcile(&s, &c4, &r);
  assert_int_equal(r.fate, STAR_PENDING_KEPT);
  /* the same seq, another head: the wallet was beside the chain */
  gx_chain_head_t other = {4, h5};
  s.pending = 0;
  star_state_reconcile(&s, &other, &r);
  assert_true(r.dropped);
  /* behind: the chain moved on without this wallet (not "dropped") */
  s.chain = c4;
  star_state_reconcile(&s, &c5, &r);
  assert_false(r.dropped);
  assert_int_equal(s.chain.seq, 5);
}

static void test_in_flight(void **unused) {
  (void)unused;
  star_state_t s;
  memset(&s, 0, sizeof s);
  uint8_t t[GX_XFER_SZ], u[GX_XFER_SZ], half[GX_XFER_HALF_SZ];
  gx_hash_t h4;
  memset(h4.b, 4, 32);
  gx_chain_head_t c4 = {4, h4}, c0 = {0, {{0}}};
  mk(t, 1, NULL, 5, &h4, 1); /* b co-signed it at 5 on 4 */
  star_state_record(&s, t, STAR_REC_COSIGNED, 100);
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 105, 10), 0);
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 110, 10), -1); /* settled by age */
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c0, NULL, 105, 10), -1); /* does not link */
  assert_int_equal(star_state_in_flight(&s, &ka.pk, &c0, NULL, 105, 10), 0);  /* a's link: 1 on 0 */
  half_of(half, t);
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, half, 105, 10), -1); /* the half being co-signed */
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 105, 0), -1);  /* --settle 0 */
  s.rec[0].flags |= STAR_REC_SETTLED;
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 105, 10), -1);
  mk(u, 1, NULL, 5, &h4, 2);
  star_state_record(&s, u, STAR_REC_SENT, 100);
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 101, 10), 1);
  assert_int_equal(star_state_in_flight(&s, &kb.pk, &c4, NULL, 99, 10), 1); /* clock went back a little */
}

static void test_answers(void **unused) {
  (void)unused;
  star_account_t a;
  char body[512];
  snprintf(body, sizeof body,
           "{\"address\":\"gx00\",\"balance\":976,\"seq\":4,\"head\":\"%s\"}\n",
           "0946eee59dcc97a9caccde1182149ca4af7caea611ac6a1963319e884983cbc6");
  assert_int_equal(star_answer_account(body, &a), 0);
  assert_int_equal(a.balance, 976);
  assert_int_equal(a.seq, 4);
  assert_int_equal(a.head.b[0], 0x09);
  /* members in another order, a nested member, spaces */
  snprintf(body, sizeof body,
           " { \"x\" : {\"seq\":[1,2,{\"a\":\"}\"}]}, \"head\" : \"%064d\", \"seq\":0 , \"balance\" : 5 } ", 0);
  assert_int_equal(star_answer_account(body, &a), 0);
  assert_int_equal(a.seq, 0);
  assert_int_equal(a.balance, 5);
  assert_int_equal(star_answer_account("{\"balance\":42,\"seq\":7}", &a), -1);         /* no head */
  snprintf(body, sizeof body, "{\"balance\":1,\"seq\":0,\"head\":\"%064d\"", 1);        /* seq 0, head not zero */
  assert_int_equal(star_answer_account(body, &a), -1);
  assert_int_equal(star_answer_account("{\"balance\":-1,\"seq\":0,\"head\":\"\"}", &a), -1);
  assert_int_equal(star_answer_account("{\"balance\":\"1\",\"seq\":0}", &a), -1);
  assert_int_equal(star_answer_account("[1]", &a), -1);
  assert_int_equal(star_answer_account("{\"a\":\"\\", &a), -1);
  assert_true(star_answer_code_is("{\"error\":\"unknown account\",\"code\":\"unknown_account\"}", "unknown_account"));
  assert_false(star_answer_code_is("{\"error\":\"code unknown_account\"}", "unknown_account"));
  assert_false(star_answer_code_is("{\"error\":\"x\",\"code\":\"unknown_path\"}", "unknown_account"));

  uint64_t h = 0;
  char reason[32];
  assert_int_equal(star_answer_tx(200, "{\"id\":\"ab\",\"committed\":true,\"height\":12,\"index\":0}", &h, reason),
                   STAR_TX_COMMITTED);
  assert_int_equal(h, 12);
  assert_int_equal(star_answer_tx(404, "{\"id\":\"ab\",\"committed\":false,\"error\":\"transfer not committed\","
                                       "\"code\":\"not_committed\"}", &h, reason),
                   STAR_TX_NOT_COMMITTED);
  assert_int_equal(star_answer_tx(404, "{\"committed\":false,\"rejected\":\"overdraft\",\"height\":9}", &h, reason),
                   STAR_TX_REJECTED);
  assert_string_equal(reason, "overdraft");
  assert_int_equal(star_answer_tx(200, "{\"committed\":false,\"rejected\":\"seq_gap\"}", &h, reason), STAR_TX_REJECTED);
  assert_string_equal(reason, "seq_gap");
  /* a label that is not a label is not believed */
  assert_int_equal(star_answer_tx(404, "{\"committed\":false,\"rejected\":\"Over draft\"}", &h, reason),
                   STAR_TX_NOT_COMMITTED);
  assert_int_equal(star_answer_tx(404, "{\"error\":\"not committed\"}", &h, reason), STAR_TX_NOT_COMMITTED);
  assert_int_equal(star_answer_tx(500, "{\"error\":\"x\",\"code\":\"store_error\"}", &h, reason), STAR_TX_BAD_ANSWER);
  assert_int_equal(star_answer_tx(200, "{\"committed\":true}", &h, reason), STAR_TX_BAD_ANSWER);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  gx_key_derive(&ka, "star-state-test", 0, 1);
  gx_key_derive(&kb, "star-state-test", 0, 2);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_v1_still_reads),
    cmocka_unit_test(test_v2_round_trip_and_rejections),
    cmocka_unit_test(test_cosign_record_replaced),
    cmocka_unit_test(test_reconcile),
    cmocka_unit_test(test_in_flight),
    cmocka_unit_test(test_answers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
