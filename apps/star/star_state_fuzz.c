/* libFuzzer: star's decoders of text it does not control (apps/star/star_state.h):
 * the chain file and the API's account and tx answers. Whatever decodes as a
 * chain file encodes to text that decodes to the same state, and encoding is
 * then stable; reconcile and the record helpers keep the state encodable.
 * star is a program, not a layer: apps/star/star_state.c is compiled in. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "apps/star/star_state.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char text[STAR_STATE_TEXT_MAX + 1], out[STAR_STATE_TEXT_MAX], again[STAR_STATE_TEXT_MAX];
  if (size > STAR_STATE_TEXT_MAX) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  star_state_t s, t;
  if (!star_state_decode(&s, text)) {
    size_t n = star_state_encode(&s, out, sizeof out);
    if (star_state_decode(&t, out) || memcmp(&s, &t, sizeof s)) abort();
    if (star_state_encode(&t, again, sizeof again) != n || memcmp(out, again, n)) abort();
    gx_chain_head_t c = {s.chain.seq ? s.chain.seq - 1 : 0, {{0}}};
    if (c.seq) c.head.b[0] = 1;
    star_reconcile_t r;
    gx_pubkey_t pk;
    memset(pk.b, size & 0xff, sizeof pk.b);
    (void)star_state_in_flight(&s, &pk, &c, NULL, 1000, 10);
    star_state_reconcile(&s, &c, &r);
    if (s.nrec) star_state_record(&s, s.rec[0].enc, STAR_REC_SENT, 5);
    n = star_state_encode(&s, out, sizeof out);
    if (star_state_decode(&t, out)) abort();
  }
  star_account_t a;
  (void)star_answer_account(text, &a);
  (void)star_answer_code_is(text, "unknown_account");
  uint64_t h;
  char reason[32];
  star_tx_state_t st = star_answer_tx(size & 1 ? 200 : 404, text, &h, reason);
  if (st == STAR_TX_REJECTED && (!reason[0] || strlen(reason) >= sizeof reason)) abort();
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0;
}
