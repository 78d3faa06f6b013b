#include "core/gx_chain.h"

#include <sodium.h>
#include <string.h>

static const struct { const char *text, *label; } gx_chain_errs[GX_CHAIN_ERR__COUNT] = {
  [GX_CHAIN_OK] = {"ok", "ok"},
  [GX_CHAIN_ERR_REPLAY] = {"sequence number already used (replay)", "replay"},
  [GX_CHAIN_ERR_GAP] = {"sequence number skips ahead of the account's chain", "seq_gap"},
  [GX_CHAIN_ERR_PREV] = {"previous hash does not link to the account's last transaction",
                         "broken_link"},
};
const char *gx_chain_strerror(gx_chain_err_t err) {
  return (unsigned)err < GX_CHAIN_ERR__COUNT ? gx_chain_errs[err].text : "unknown chain error";
}
const char *gx_chain_err_label(gx_chain_err_t err) {
  return (unsigned)err < GX_CHAIN_ERR__COUNT ? gx_chain_errs[err].label : "unknown";
}

gx_chain_err_t gx_chain_check(const gx_chain_head_t *head, const gx_chain_link_t *link) {
  if (link->seq <= head->seq) return GX_CHAIN_ERR_REPLAY;
  if (link->seq != head->seq + 1) return GX_CHAIN_ERR_GAP;
  if (head->seq == 0) return gx_hash_is_zero(&link->prev) ? GX_CHAIN_OK : GX_CHAIN_ERR_PREV;
  return gx_hash_eq(&head->head, &link->prev) ? GX_CHAIN_OK : GX_CHAIN_ERR_PREV;
}

void gx_chain_advance(gx_chain_head_t *head, const gx_chain_link_t *link, const gx_hash_t *tx_id) {
  head->seq = link->seq;
  head->head = *tx_id;
}

int gx_chain_link_of(const gx_xfer_t *x, const gx_pubkey_t *account, const gx_chain_link_t **link) {
  if (memcmp(x->initiator.b, account->b, 32) == 0) { *link = &x->init_link; return 0; }
  if (memcmp(x->counterparty.b, account->b, 32) == 0) { *link = &x->cp_link; return 0; }
  return -1;
}

/* The digest the account signed in x, and whether its signature verifies. */
static int gx_signed_digest(gx_hash_t *d, const uint8_t enc[GX_XFER_SZ], const gx_xfer_t *x,
                            const gx_pubkey_t *account) {
  const gx_sig_t *sig;
  if (memcmp(x->initiator.b, account->b, 32) == 0) {
    gx_xfer_init_digest_enc(d, enc);
    sig = &x->init_sig;
  } else {
    gx_xfer_cp_digest_enc(d, enc);
    sig = &x->cp_sig;
  }
  return crypto_sign_verify_detached(sig->b, d->b, GX_HASH_SZ, account->b);
}

int gx_chain_is_equivocation(const uint8_t a[GX_XFER_SZ], const uint8_t b[GX_XFER_SZ],
                             const gx_pubkey_t *account) {
  gx_xfer_t xa, xb;
  const gx_chain_link_t *la, *lb;
  if (gx_xfer_decode(&xa, a, GX_XFER_SZ) || gx_xfer_decode(&xb, b, GX_XFER_SZ)) return 0;
  if (gx_chain_link_of(&xa, account, &la) || gx_chain_link_of(&xb, account, &lb)) return 0;
  if (la->seq != lb->seq) return 0;
  gx_hash_t da, db;
  if (gx_signed_digest(&da, a, &xa, account) || gx_signed_digest(&db, b, &xb, account)) return 0;
  return !gx_hash_eq(&da, &db);
}
