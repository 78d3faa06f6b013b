/* libFuzzer: gx_mempool under arbitrary operation sequences (the pool takes
 * gossip from anyone). Each 3-byte step: op, account, seq. Invariants: size
 * never exceeds capacity and moves by exactly one per accepted insert (minus
 * an eviction); a refused insert changes nothing; between untakes and commits
 * no transfer is handed out twice; a commit records the account's next seq;
 * the admission gate agrees with insert on stale and too-far transfers. */
#include <stdlib.h>
#include <string.h>

#include "ingest/gx_mempool.h"

enum { CAP = 24, FUT = 8, ACCTS = 6 };

static void fz_xfer(uint8_t enc[GX_XFER_SZ], gx_hash_t *id, uint8_t acct, uint64_t seq,
                    uint8_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator.b[0] = acct;
  x.initiator.b[1] = 1;
  x.counterparty.b[0] = 0xEE;
  x.amount = 1;
  x.nonce = nonce;
  x.init_link.seq = x.cp_link.seq = seq;
  if (seq > 1) {
    memset(x.init_link.prev.b, 1, 32);
    memset(x.cp_link.prev.b, 1, 32);
  }
  gx_xfer_encode(&x, enc);
  gx_xfer_id(id, enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_mempool_cfg_t c = {CAP, FUT, ACCTS};
  gx_mempool_t *mp = gx_mempool_new(&c, NULL);
  if (!mp) abort();
  static uint8_t out[CAP * GX_XFER_SZ];
  static gx_hash_t ids[CAP], taken[4096];
  size_t n_taken = 0;
  for (size_t i = 0; i + 3 <= size; i += 3) {
    uint8_t op = data[i] % 8, acct = (uint8_t)(data[i + 1] % 10);
    uint64_t seq = 1 + data[i + 2] % 20;
    uint8_t enc[GX_XFER_SZ];
    gx_hash_t id;
    if (op < 5) {
      fz_xfer(enc, &id, acct, seq, (uint8_t)(data[i] >> 3 & 1));
      uint64_t before = gx_mempool_size(mp);
      gx_mempool_evicted_t ev = {0};
      gx_mempool_gate_t g = gx_mempool_gate(mp, enc, NULL, NULL);
      gx_pubkey_t who;
      memcpy(who.b, enc + GX_XFER_OFF_INITIATOR, 32);
      int known = gx_mempool_next_seq(mp, &who) > 1; /* not forgotten by the account table */
      gx_mempool_err_t r = gx_mempool_insert(mp, enc, &id, &ev);
      /* the gate (read by other threads) never refuses what insert takes
       * while the pool still remembers the account's commits */
      if (known && g == GX_MEMPOOL_GATE_STALE && r != GX_MEMPOOL_ERR_STALE) abort();
      if (known && g == GX_MEMPOOL_GATE_TOO_FAR && r != GX_MEMPOOL_ERR_TOO_FAR) abort();
      uint64_t after = gx_mempool_size(mp);
      if (r == GX_MEMPOOL_OK && after != before + 1 - (uint64_t)ev.evicted) abort();
      if (r != GX_MEMPOOL_OK && after != before) abort();
    } else if (op < 7) {
      size_t n = gx_mempool_take(mp, out, ids, 1 + data[i + 2] % CAP);
      for (size_t k = 0; k < n; k++) {
        for (size_t j = 0; j < n_taken; j++)
          if (gx_hash_eq(&taken[j], &ids[k])) abort();
        if (n_taken < 4096) taken[n_taken++] = ids[k];
      }
    } else if (data[i + 2] & 1) {
      gx_mempool_untake_all(mp);
      n_taken = 0;
    } else {
      gx_pubkey_t k;
      memset(&k, 0, sizeof k);
      k.b[0] = acct;
      k.b[1] = 1;
      gx_mempool_on_committed(mp, &k, seq);
      n_taken = 0; /* committed transfers left: an account slot may be recycled */
      if (gx_mempool_next_seq(mp, &k) < seq + 1 && gx_mempool_accounts(mp) < ACCTS) abort();
    }
    if (gx_mempool_size(mp) > CAP) abort();
  }
  gx_mempool_delete(mp);
  return 0;
}
