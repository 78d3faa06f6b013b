#include "core/gx_proto.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_util.h"

static const struct { const char *text, *label; } gx_proto_errs[GX_PROTO_ERR__COUNT] = {
  [GX_PROTO_OK] = {"ok", "ok"},
  [GX_PROTO_ERR_SHORT] = {"message shorter than its layout", "short"},
  [GX_PROTO_ERR_TRAILING] = {"trailing bytes after the message", "trailing"},
  [GX_PROTO_ERR_VERSION] = {"unknown protocol version", "version"},
  [GX_PROTO_ERR_TYPE] = {"unknown or unexpected message type", "type"},
  [GX_PROTO_ERR_COUNT] = {"element count zero or above its maximum", "count"},
  [GX_PROTO_ERR_AMOUNT] = {"amount zero or above the maximum", "amount"},
  [GX_PROTO_ERR_SEQ] = {"sequence number zero or above the maximum", "seq"},
  [GX_PROTO_ERR_PREV] = {"previous hash must be zero exactly at sequence 1", "prev"},
  [GX_PROTO_ERR_SELF] = {"initiator and counterparty are the same account", "self"},
  [GX_PROTO_ERR_RESERVED] = {"reserved field is not zero", "reserved"},
  [GX_PROTO_ERR_RANGE] = {"field outside its documented range", "range"},
  [GX_PROTO_ERR_ENTRY] = {"black hole entry 0 differs from the header's previous hash", "entry"},
  [GX_PROTO_ERR_BUFSZ] = {"output buffer too small", "bufsz"},
};

const char *gx_proto_strerror(gx_proto_err_t err) {
  return (unsigned)err < GX_PROTO_ERR__COUNT ? gx_proto_errs[err].text : "unknown error";
}
const char *gx_proto_err_label(gx_proto_err_t err) {
  return (unsigned)err < GX_PROTO_ERR__COUNT ? gx_proto_errs[err].label : "unknown";
}

/* Envelope: exact length and the expected version/type. */
static gx_proto_err_t gx_envelope(const uint8_t *buf, size_t len, size_t want, uint8_t type) {
  if (len < 2) return GX_PROTO_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_PROTO_ERR_VERSION;
  if (buf[1] != type) return GX_PROTO_ERR_TYPE;
  if (len < want) return GX_PROTO_ERR_SHORT;
  if (len > want) return GX_PROTO_ERR_TRAILING;
  return GX_PROTO_OK;
}

int gx_msg_type(const uint8_t *buf, size_t len, gx_proto_err_t *err) {
  if (len < 2) { *err = GX_PROTO_ERR_SHORT; return -1; }
  if (buf[0] != GX_PROTO_VERSION) { *err = GX_PROTO_ERR_VERSION; return -1; }
  *err = GX_PROTO_OK;
  return buf[1];
}

/* ---- transfer ---------------------------------------------------------------- */
/* Offsets inside the 290-byte encoding. */
enum {
  XO_INIT = GX_XFER_OFF_INITIATOR, XO_CP = 34, XO_AMOUNT = 66, XO_ISEQ = GX_XFER_OFF_INIT_SEQ,
  XO_IPREV = 82, XO_NONCE = 114,
  XO_ISIG = 122, XO_CSEQ = 186, XO_CPREV = 194, XO_CSIG = 226,
};

static void gx_link_store(uint8_t *p, const gx_chain_link_t *l) {
  gx_st64(p, l->seq);
  memcpy(p + 8, l->prev.b, GX_HASH_SZ);
}

/* 1 when the 32 bytes at p are all zero (public data: no constant time needed). */
static int gx_zero32(const uint8_t *p) {
  uint64_t w[4];
  memcpy(w, p, sizeof w);
  return (w[0] | w[1] | w[2] | w[3]) == 0;
}

/* The rules of an encoded chain link (seq, prev), checked in place. */
static gx_proto_err_t gx_link_check(const uint8_t *p) {
  uint64_t seq = gx_ld64(p);
  if (seq == 0 || seq > GX_SEQ_MAX) return GX_PROTO_ERR_SEQ;
  if ((seq == 1) != gx_zero32(p + 8)) return GX_PROTO_ERR_PREV;
  return GX_PROTO_OK;
}

static void gx_link_load(gx_chain_link_t *l, const uint8_t *p) {
  l->seq = gx_ld64(p);
  memcpy(l->prev.b, p + 8, GX_HASH_SZ);
}

static void gx_xfer_half_fields(const gx_xfer_t *x, uint8_t *out, uint8_t type) {
  out[0] = GX_PROTO_VERSION;
  out[1] = type;
  memcpy(out + XO_INIT, x->initiator.b, 32);
  memcpy(out + XO_CP, x->counterparty.b, 32);
  gx_st64(out + XO_AMOUNT, x->amount);
  gx_link_store(out + XO_ISEQ, &x->init_link);
  gx_st64(out + XO_NONCE, x->nonce);
  memcpy(out + XO_ISIG, x->init_sig.b, GX_SIG_SZ);
}

void gx_xfer_half_encode(const gx_xfer_t *x, uint8_t out[GX_XFER_HALF_SZ]) {
  gx_xfer_half_fields(x, out, GX_MSG_TRANSFER_HALF);
}

void gx_xfer_encode(const gx_xfer_t *x, uint8_t out[GX_XFER_SZ]) {
  gx_xfer_half_fields(x, out, GX_MSG_TRANSFER);
  gx_link_store(out + XO_CSEQ, &x->cp_link);
  memcpy(out + XO_CSIG, x->cp_sig.b, GX_SIG_SZ);
}

/* The rules of the initiator's half, checked in place, in the order that
 * decides which reason a transfer breaking several rules gets. */
static gx_proto_err_t gx_xfer_half_check(const uint8_t *buf) {
  if (memcmp(buf + XO_INIT, buf + XO_CP, 32) == 0) return GX_PROTO_ERR_SELF;
  uint64_t amount = gx_ld64(buf + XO_AMOUNT);
  if (amount == 0 || amount > GX_AMOUNT_MAX) return GX_PROTO_ERR_AMOUNT;
  return gx_link_check(buf + XO_ISEQ);
}

static void gx_xfer_half_load(gx_xfer_t *x, const uint8_t *buf) {
  memcpy(x->initiator.b, buf + XO_INIT, 32);
  memcpy(x->counterparty.b, buf + XO_CP, 32);
  x->amount = gx_ld64(buf + XO_AMOUNT);
  x->nonce = gx_ld64(buf + XO_NONCE);
  memcpy(x->init_sig.b, buf + XO_ISIG, GX_SIG_SZ);
  gx_link_load(&x->init_link, buf + XO_ISEQ);
}

gx_proto_err_t gx_xfer_half_decode(gx_xfer_t *x, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_XFER_HALF_SZ, GX_MSG_TRANSFER_HALF);
  if (e || (e = gx_xfer_half_check(buf))) return e;
  gx_xfer_half_load(x, buf);
  memset(&x->cp_link, 0, sizeof x->cp_link);
  memset(&x->cp_sig, 0, sizeof x->cp_sig);
  return GX_PROTO_OK;
}

gx_proto_err_t gx_xfer_check(const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_XFER_SZ, GX_MSG_TRANSFER);
  if (e || (e = gx_xfer_half_check(buf))) return e;
  return gx_link_check(buf + XO_CSEQ);
}

gx_proto_err_t gx_xfer_decode(gx_xfer_t *x, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_xfer_check(buf, len);
  if (e) return e;
  gx_xfer_half_load(x, buf);
  memcpy(x->cp_sig.b, buf + XO_CSIG, GX_SIG_SZ);
  gx_link_load(&x->cp_link, buf + XO_CSEQ);
  return GX_PROTO_OK;
}

void gx_xfer_id(gx_hash_t *id, const uint8_t enc[GX_XFER_SZ]) {
  gx_hash(id, GX_DOM_TX, enc, GX_XFER_SZ);
}

void gx_xfer_init_digest_enc(gx_hash_t *d, const uint8_t *enc) {
  gx_hash(d, GX_DOM_SIG_INIT, enc + XO_INIT, XO_ISIG - XO_INIT);
}
void gx_xfer_cp_digest_enc(gx_hash_t *d, const uint8_t enc[GX_XFER_SZ]) {
  gx_hash(d, GX_DOM_SIG_CP, enc + XO_INIT, XO_CSIG - XO_INIT);
}
void gx_xfer_init_digest(gx_hash_t *d, const gx_xfer_t *x) {
  uint8_t enc[GX_XFER_SZ];
  gx_xfer_encode(x, enc);
  gx_xfer_init_digest_enc(d, enc);
}
void gx_xfer_cp_digest(gx_hash_t *d, const gx_xfer_t *x) {
  uint8_t enc[GX_XFER_SZ];
  gx_xfer_encode(x, enc);
  gx_xfer_cp_digest_enc(d, enc);
}

static int gx_sk_matches(const uint8_t sk[64], const gx_pubkey_t *pk) {
  uint8_t derived[32];
  crypto_sign_ed25519_sk_to_pk(derived, sk);
  return memcmp(derived, pk->b, 32) == 0;
}

int gx_xfer_sign_init(gx_xfer_t *x, const uint8_t sk[64]) {
  if (!gx_sk_matches(sk, &x->initiator)) return -1;
  gx_hash_t d;
  gx_xfer_init_digest(&d, x);
  return crypto_sign_detached(x->init_sig.b, NULL, d.b, GX_HASH_SZ, sk);
}

int gx_xfer_sign_cp(gx_xfer_t *x, const uint8_t sk[64]) {
  if (!gx_sk_matches(sk, &x->counterparty)) return -1;
  gx_hash_t d;
  gx_xfer_cp_digest(&d, x);
  return crypto_sign_detached(x->cp_sig.b, NULL, d.b, GX_HASH_SZ, sk);
}

gx_xfer_verify_t gx_xfer_verify_init(const gx_xfer_t *x) {
  gx_hash_t d;
  gx_xfer_init_digest(&d, x);
  return crypto_sign_verify_detached(x->init_sig.b, d.b, GX_HASH_SZ, x->initiator.b) == 0
             ? GX_XFER_VERIFY_OK
             : GX_XFER_VERIFY_BAD_INIT_SIG;
}

gx_xfer_verify_t gx_xfer_verify_enc(const uint8_t enc[GX_XFER_SZ]) {
  gx_hash_t d;
  gx_xfer_init_digest_enc(&d, enc);
  if (crypto_sign_verify_detached(enc + XO_ISIG, d.b, GX_HASH_SZ, enc + XO_INIT) != 0)
    return GX_XFER_VERIFY_BAD_INIT_SIG;
  gx_xfer_cp_digest_enc(&d, enc);
  if (crypto_sign_verify_detached(enc + XO_CSIG, d.b, GX_HASH_SZ, enc + XO_CP) != 0)
    return GX_XFER_VERIFY_BAD_CP_SIG;
  return GX_XFER_VERIFY_OK;
}

/* ---- batch ------------------------------------------------------------------- */
size_t gx_batch_size(size_t count) { return GX_BATCH_HDR_SZ + count * GX_XFER_SZ; }

size_t gx_batch_encode(uint8_t *out, size_t cap, const uint8_t *xfers, size_t count,
                       uint8_t hops) {
  if (count == 0 || count > GX_BATCH_MAX || hops > GX_BATCH_MAX_HOPS) return 0;
  size_t n = gx_batch_size(count);
  if (cap < n) return 0;
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_TX_BATCH;
  out[2] = (uint8_t)count;
  out[3] = hops;
  memcpy(out + GX_BATCH_HDR_SZ, xfers, count * GX_XFER_SZ);
  return n;
}

gx_proto_err_t gx_batch_decode(const uint8_t *buf, size_t len, const uint8_t *xfers[GX_BATCH_MAX],
                               gx_xfer_t *decoded, size_t *count, uint8_t *hops) {
  if (len < GX_BATCH_HDR_SZ) return len >= 2 && buf[0] != GX_PROTO_VERSION ? GX_PROTO_ERR_VERSION
                                                                          : GX_PROTO_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_PROTO_ERR_VERSION;
  if (buf[1] != GX_MSG_TX_BATCH) return GX_PROTO_ERR_TYPE;
  size_t n = buf[2];
  if (n == 0 || n > GX_BATCH_MAX) return GX_PROTO_ERR_COUNT;
  if (buf[3] > GX_BATCH_MAX_HOPS) return GX_PROTO_ERR_RANGE;
  if (len < gx_batch_size(n)) return GX_PROTO_ERR_SHORT;
  if (len > gx_batch_size(n)) return GX_PROTO_ERR_TRAILING;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *p = buf + GX_BATCH_HDR_SZ + i * GX_XFER_SZ;
    gx_proto_err_t e =
        decoded ? gx_xfer_decode(&decoded[i], p, GX_XFER_SZ) : gx_xfer_check(p, GX_XFER_SZ);
    if (e) return e;
    xfers[i] = p;
  }
  *count = n;
  if (hops) *hops = buf[3];
  return GX_PROTO_OK;
}

/* ---- black hole ------------------------------------------------------------------- */
void gx_bh_header_encode(const gx_bh_header_t *h, uint8_t out[GX_BH_HDR_SZ]) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_BLACKHOLE;
  gx_st64(out + 2, h->height);
  gx_st64(out + 10, h->epoch);
  memcpy(out + 18, h->prev.b, 32);
  memcpy(out + 50, h->entries_root.b, 32);
  memcpy(out + 82, h->state_root.b, 32);
  gx_st32(out + 114, h->tx_count);
}

static gx_proto_err_t gx_bh_header_load(gx_bh_header_t *h, const uint8_t *buf) {
  h->height = gx_ld64(buf + 2);
  h->epoch = gx_ld64(buf + 10);
  memcpy(h->prev.b, buf + 18, 32);
  memcpy(h->entries_root.b, buf + 50, 32);
  memcpy(h->state_root.b, buf + 82, 32);
  h->tx_count = gx_ld32(buf + 114);
  if (h->height == 0 || h->height > GX_SEQ_MAX) return GX_PROTO_ERR_RANGE;
  if (h->tx_count > GX_BH_MAX_TXS) return GX_PROTO_ERR_COUNT;
  return GX_PROTO_OK;
}

gx_proto_err_t gx_bh_header_decode(gx_bh_header_t *h, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_BH_HDR_SZ, GX_MSG_BLACKHOLE);
  return e ? e : gx_bh_header_load(h, buf);
}

int gx_bh_header_eq(const gx_bh_header_t *a, const gx_bh_header_t *b) {
  uint8_t ea[GX_BH_HDR_SZ], eb[GX_BH_HDR_SZ];
  gx_bh_header_encode(a, ea);
  gx_bh_header_encode(b, eb);
  return memcmp(ea, eb, sizeof ea) == 0;
}

void gx_bh_id(gx_hash_t *id, const gx_bh_header_t *h) {
  uint8_t enc[GX_BH_HDR_SZ];
  gx_bh_header_encode(h, enc);
  gx_hash(id, GX_DOM_BLACKHOLE, enc, sizeof enc);
}

size_t gx_bh_size(uint32_t tx_count) {
  return GX_BH_HDR_SZ + GX_HASH_SZ + (size_t)tx_count * GX_XFER_SZ;
}

size_t gx_bh_encode(uint8_t *out, size_t cap, const gx_bh_header_t *h, const uint8_t *xfers) {
  if (h->tx_count > GX_BH_MAX_TXS) return 0;
  size_t n = gx_bh_size(h->tx_count);
  if (cap < n) return 0;
  gx_bh_header_encode(h, out);
  memcpy(out + GX_BH_HDR_SZ, h->prev.b, GX_HASH_SZ);
  if (h->tx_count) memcpy(out + GX_BH_HDR_SZ + GX_HASH_SZ, xfers, (size_t)h->tx_count * GX_XFER_SZ);
  return n;
}

/* Strict check of n back-to-back transfers. */
static gx_proto_err_t gx_xfers_check(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    gx_proto_err_t e = gx_xfer_check(p + i * GX_XFER_SZ, GX_XFER_SZ);
    if (e) return e;
  }
  return GX_PROTO_OK;
}

gx_proto_err_t gx_bh_decode(gx_bh_header_t *h, const uint8_t **xfers, const uint8_t *buf,
                            size_t len) {
  if (len < GX_BH_HDR_SZ) return gx_envelope(buf, len, GX_BH_HDR_SZ, GX_MSG_BLACKHOLE);
  gx_proto_err_t e = gx_envelope(buf, GX_BH_HDR_SZ, GX_BH_HDR_SZ, GX_MSG_BLACKHOLE);
  if (e || (e = gx_bh_header_load(h, buf))) return e;
  size_t want = gx_bh_size(h->tx_count);
  if (len < want) return GX_PROTO_ERR_SHORT;
  if (len > want) return GX_PROTO_ERR_TRAILING;
  if (memcmp(buf + GX_BH_HDR_SZ, h->prev.b, GX_HASH_SZ) != 0) return GX_PROTO_ERR_ENTRY;
  const uint8_t *body = buf + GX_BH_HDR_SZ + GX_HASH_SZ;
  if ((e = gx_xfers_check(body, h->tx_count))) return e;
  *xfers = body;
  return GX_PROTO_OK;
}

int gx_bh_entries_root(gx_hash_t *root, const gx_hash_t *prev, const gx_hash_t *tx_ids, size_t n,
                       gx_hash_t *scratch) {
  gx_hash_t *leaves = scratch, *work = scratch + n + 1;
  gx_merkle_leaf(&leaves[0], prev->b, GX_HASH_SZ);
  for (size_t i = 0; i < n; i++) gx_merkle_leaf(&leaves[i + 1], tx_ids[i].b, GX_HASH_SZ);
  return gx_merkle_root(root, leaves, n + 1, work);
}

/* ---- shards ---------------------------------------------------------------------------- */
uint32_t gx_shard_of(const gx_pubkey_t *account, uint32_t shard_count) {
  if (shard_count <= 1) return 0;
  /* The account key is already uniform: its first 8 bytes pick the bucket. */
  return (uint32_t)(gx_ld64(account->b) % shard_count);
}

/* ---- peer messages ----------------------------------------------------------------------- */
void gx_hello_encode(const gx_hello_t *m, uint8_t out[GX_HELLO_SZ]) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_HELLO;
  memcpy(out + 2, m->node.b, 32);
  gx_st64(out + 34, m->height);
  memcpy(out + 42, m->head.b, 32);
  gx_st16(out + 74, m->port);
  gx_st16(out + 76, m->flags);
}

gx_proto_err_t gx_hello_decode(gx_hello_t *m, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_HELLO_SZ, GX_MSG_HELLO);
  if (e) return e;
  memcpy(m->node.b, buf + 2, 32);
  m->height = gx_ld64(buf + 34);
  memcpy(m->head.b, buf + 42, 32);
  m->port = gx_ld16(buf + 74);
  m->flags = gx_ld16(buf + 76);
  if (m->flags) return GX_PROTO_ERR_RESERVED;
  if (m->port == 0 || m->height > GX_SEQ_MAX) return GX_PROTO_ERR_RANGE;
  return GX_PROTO_OK;
}

void gx_bh_announce_encode(const gx_bh_header_t *h, uint8_t out[GX_BH_ANNOUNCE_SZ]) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_BH_ANNOUNCE;
  gx_bh_header_encode(h, out + 2);
}

gx_proto_err_t gx_bh_announce_decode(gx_bh_header_t *h, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_BH_ANNOUNCE_SZ, GX_MSG_BH_ANNOUNCE);
  return e ? e : gx_bh_header_decode(h, buf + 2, GX_BH_HDR_SZ);
}

void gx_sync_req_encode(const gx_sync_req_t *m, uint8_t out[GX_SYNC_REQ_SZ]) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_SYNC_REQ;
  gx_st64(out + 2, m->from_height);
  gx_st16(out + 10, m->count);
}

gx_proto_err_t gx_sync_req_decode(gx_sync_req_t *m, const uint8_t *buf, size_t len) {
  gx_proto_err_t e = gx_envelope(buf, len, GX_SYNC_REQ_SZ, GX_MSG_SYNC_REQ);
  if (e) return e;
  m->from_height = gx_ld64(buf + 2);
  m->count = gx_ld16(buf + 10);
  if (m->from_height == 0 || m->from_height > GX_SEQ_MAX) return GX_PROTO_ERR_RANGE;
  if (m->count == 0 || m->count > GX_SYNC_REQ_MAX) return GX_PROTO_ERR_COUNT;
  return GX_PROTO_OK;
}
