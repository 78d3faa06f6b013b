/* gx_cert: black hole signatures, certificates, the 0x33 gossip message and
 * the collector. See gx_cert.h. */
#include "validator/gx_cert.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_util.h"

static const struct { const char *text, *label; } gx_cert_errs[GX_CERT_ERR__COUNT] = {
  [GX_CERT_OK] = {"ok", "ok"},
  [GX_CERT_ERR_ARG] = {"bad argument", "arg"},
  [GX_CERT_ERR_SHORT] = {"fewer bytes than the layout needs", "short"},
  [GX_CERT_ERR_TRAILING] = {"trailing bytes after the message", "trailing"},
  [GX_CERT_ERR_VERSION] = {"unsupported version", "version"},
  [GX_CERT_ERR_TYPE] = {"not a black hole signature message", "type"},
  [GX_CERT_ERR_COUNT] = {"signature count zero or above 64", "count"},
  [GX_CERT_ERR_ORDER] = {"validator indices not strictly increasing", "order"},
  [GX_CERT_ERR_RANGE] = {"height or validator index out of range", "range"},
  [GX_CERT_ERR_SIGNATURE] = {"signature does not verify", "signature"},
  [GX_CERT_ERR_QUORUM] = {"fewer than f+1 signatures", "quorum"},
  [GX_CERT_ERR_OLD] = {"height already certified", "old"},
  [GX_CERT_ERR_FUTURE] = {"height too far ahead", "future"},
  [GX_CERT_ERR_DUPLICATE] = {"validator already signed this height", "duplicate"},
  [GX_CERT_ERR_CONFLICT] = {"validator signed another black hole at this height", "conflict"},
  [GX_CERT_ERR_BLACKHOLE] = {"not a black hole header", "blackhole"},
};
const char *gx_cert_strerror(gx_cert_err_t e) {
  return (unsigned)e < GX_CERT_ERR__COUNT ? gx_cert_errs[e].text : "unknown certificate error";
}
const char *gx_cert_err_label(gx_cert_err_t e) {
  return (unsigned)e < GX_CERT_ERR__COUNT ? gx_cert_errs[e].label : "unknown";
}

unsigned gx_cert_quorum(const gx_cert_set_t *set) { return (set->n - 1u) / 3u + 1u; }

void gx_cert_digest(gx_hash_t *d, const gx_hash_t *bh_id) {
  gx_hash(d, GX_DOM_BH_SIG, bh_id->b, GX_HASH_SZ);
}

void gx_cert_sign(gx_sig_t *sig, const gx_hash_t *bh_id, const uint8_t sk[64]) {
  gx_hash_t d;
  gx_cert_digest(&d, bh_id);
  crypto_sign_detached(sig->b, NULL, d.b, GX_HASH_SZ, sk);
}

int gx_cert_verify_sig(const gx_pubkey_t *key, const gx_hash_t *bh_id, const gx_sig_t *sig) {
  gx_hash_t d;
  gx_cert_digest(&d, bh_id);
  return crypto_sign_verify_detached(sig->b, d.b, GX_HASH_SZ, key->b) == 0 ? 0 : -1;
}

/* ---- certificate codec ------------------------------------------------------- */
size_t gx_cert_size(const gx_cert_t *c) { return 2 + 66 * (size_t)c->count; }

size_t gx_cert_encode(const gx_cert_t *c, uint8_t *out, size_t cap) {
  if (c->count == 0 || c->count > GX_CERT_MAX_VALIDATORS) return 0;
  for (unsigned i = 0; i < c->count; i++)
    if (c->index[i] >= GX_CERT_MAX_VALIDATORS || (i && c->index[i] <= c->index[i - 1])) return 0;
  size_t n = gx_cert_size(c);
  if (cap < n) return 0;
  gx_st16(out, c->count);
  for (unsigned i = 0; i < c->count; i++) {
    gx_st16(out + 2 + 66 * i, c->index[i]);
    memcpy(out + 4 + 66 * i, c->sig[i].b, GX_SIG_SZ);
  }
  return n;
}

gx_cert_err_t gx_cert_decode(gx_cert_t *c, const uint8_t *buf, size_t len) {
  if (len < 2) return GX_CERT_ERR_SHORT;
  unsigned count = gx_ld16(buf);
  if (count == 0 || count > GX_CERT_MAX_VALIDATORS) return GX_CERT_ERR_COUNT;
  size_t need = 2 + 66 * (size_t)count;
  if (len < need) return GX_CERT_ERR_SHORT;
  if (len > need) return GX_CERT_ERR_TRAILING;
  for (unsigned i = 0; i < count; i++) {
    uint16_t idx = gx_ld16(buf + 2 + 66 * i);
    if (idx >= GX_CERT_MAX_VALIDATORS) return GX_CERT_ERR_RANGE;
    if (i && idx <= c->index[i - 1]) return GX_CERT_ERR_ORDER;
    c->index[i] = idx;
    memcpy(c->sig[i].b, buf + 4 + 66 * i, GX_SIG_SZ);
  }
  c->count = (uint16_t)count;
  return GX_CERT_OK;
}

gx_cert_err_t gx_cert_verify(const gx_cert_t *c, const gx_cert_set_t *set, const gx_hash_t *bh_id) {
  if (!set->n || set->n > GX_CERT_MAX_VALIDATORS) return GX_CERT_ERR_ARG;
  if (c->count == 0 || c->count > GX_CERT_MAX_VALIDATORS) return GX_CERT_ERR_COUNT;
  for (unsigned i = 0; i < c->count; i++) {
    if (c->index[i] >= set->n) return GX_CERT_ERR_RANGE;
    if (i && c->index[i] <= c->index[i - 1]) return GX_CERT_ERR_ORDER;
  }
  if (c->count < gx_cert_quorum(set)) return GX_CERT_ERR_QUORUM;
  gx_hash_t d;
  gx_cert_digest(&d, bh_id);
  for (unsigned i = 0; i < c->count; i++)
    if (crypto_sign_verify_detached(c->sig[i].b, d.b, GX_HASH_SZ, set->key[c->index[i]].b))
      return GX_CERT_ERR_SIGNATURE;
  return GX_CERT_OK;
}

gx_cert_err_t gx_cert_check_blackhole(const gx_cert_set_t *set, const uint8_t *bh, size_t bh_len,
                                      const uint8_t *cert, size_t cert_len, uint64_t *height,
                                      gx_hash_t *id) {
  gx_bh_header_t h;
  if (bh_len < GX_BH_HDR_SZ || gx_bh_header_decode(&h, bh, GX_BH_HDR_SZ) != GX_PROTO_OK)
    return GX_CERT_ERR_BLACKHOLE;
  gx_hash_t bid;
  gx_bh_id(&bid, &h);
  gx_cert_t c;
  gx_cert_err_t e = gx_cert_decode(&c, cert, cert_len);
  if (e == GX_CERT_OK) e = gx_cert_verify(&c, set, &bid);
  if (e != GX_CERT_OK) return e;
  if (height) *height = h.height;
  if (id) *id = bid;
  return GX_CERT_OK;
}

/* ---- 0x33 message ---------------------------------------------------------------- */
void gx_bh_sig_msg_encode(const gx_bh_sig_msg_t *m, uint8_t out[GX_BH_SIG_MSG_SZ]) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_BH_SIG;
  gx_st64(out + 2, m->height);
  memcpy(out + 10, m->bh_id.b, 32);
  gx_st16(out + 42, m->index);
  memcpy(out + 44, m->sig.b, GX_SIG_SZ);
}

gx_cert_err_t gx_bh_sig_msg_decode(gx_bh_sig_msg_t *m, const uint8_t *buf, size_t len) {
  if (len < 2) return GX_CERT_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_CERT_ERR_VERSION;
  if (buf[1] != GX_MSG_BH_SIG) return GX_CERT_ERR_TYPE;
  if (len < GX_BH_SIG_MSG_SZ) return GX_CERT_ERR_SHORT;
  if (len > GX_BH_SIG_MSG_SZ) return GX_CERT_ERR_TRAILING;
  uint64_t h = gx_ld64(buf + 2);
  uint16_t idx = gx_ld16(buf + 42);
  if (h == 0 || h > GX_SEQ_MAX || idx >= GX_CERT_MAX_VALIDATORS) return GX_CERT_ERR_RANGE;
  m->height = h;
  memcpy(m->bh_id.b, buf + 10, 32);
  m->index = idx;
  memcpy(m->sig.b, buf + 44, GX_SIG_SZ);
  return GX_CERT_OK;
}

/* ---- collector ---------------------------------------------------------------------- */
gx_cert_err_t gx_cert_collector_init(gx_cert_collector_t *c, const gx_cert_set_t *set, uint64_t low) {
  if (!c || !set || !set->n || set->n > GX_CERT_MAX_VALIDATORS || low == 0) return GX_CERT_ERR_ARG;
  memset(c, 0, sizeof *c);
  c->set = *set;
  c->low = low;
  return GX_CERT_OK;
}

static gx_cert_slot_t *gx_cert_slot(gx_cert_collector_t *c, uint64_t height, gx_cert_err_t *err) {
  if (height < c->low) { *err = GX_CERT_ERR_OLD; return NULL; }
  if (height - c->low >= GX_CERT_WINDOW) { *err = GX_CERT_ERR_FUTURE; return NULL; }
  gx_cert_slot_t *s = &c->slot[height % GX_CERT_WINDOW];
  if (s->height != height) {
    memset(s, 0, sizeof *s);
    s->height = height;
  }
  return s;
}

/* Builds the certificate from the first f+1 (lowest index) matching signatures. */
static int gx_cert_try_complete(gx_cert_collector_t *c, gx_cert_slot_t *s, gx_cert_t *out) {
  if (!s->have_id || s->done) return 0;
  unsigned need = gx_cert_quorum(&c->set), have = 0;
  for (unsigned i = 0; i < c->set.n && have < need; i++)
    if ((s->signed_mask >> i & 1) && gx_hash_eq(&s->claimed[i], &s->id)) have++;
  if (have < need) return 0;
  out->count = 0;
  for (unsigned i = 0; i < c->set.n && out->count < need; i++)
    if ((s->signed_mask >> i & 1) && gx_hash_eq(&s->claimed[i], &s->id)) {
      out->index[out->count] = (uint16_t)i;
      out->sig[out->count] = s->sig[i];
      out->count++;
    }
  s->done = 1;
  return 1;
}

int gx_cert_collector_expect(gx_cert_collector_t *c, uint64_t height, const gx_hash_t *id,
                             gx_cert_t *out) {
  gx_cert_err_t err = GX_CERT_OK;
  gx_cert_slot_t *s = gx_cert_slot(c, height, &err);
  if (!s) return -(int)err;
  if (s->have_id && !gx_hash_eq(&s->id, id)) return -(int)GX_CERT_ERR_ARG;
  s->have_id = 1;
  s->id = *id;
  return gx_cert_try_complete(c, s, out);
}

int gx_cert_collector_add(gx_cert_collector_t *c, const gx_bh_sig_msg_t *m, gx_cert_t *out) {
  if (m->index >= c->set.n) return -(int)GX_CERT_ERR_RANGE;
  gx_cert_err_t err = GX_CERT_OK;
  gx_cert_slot_t *s = gx_cert_slot(c, m->height, &err);
  if (!s) return -(int)err;
  if (s->signed_mask >> m->index & 1) {
    if (gx_hash_eq(&s->claimed[m->index], &m->bh_id)) return -(int)GX_CERT_ERR_DUPLICATE;
    /* Only a verified second signature counts as a conflict. */
    if (gx_cert_verify_sig(&c->set.key[m->index], &m->bh_id, &m->sig)) return -(int)GX_CERT_ERR_SIGNATURE;
    c->conflicts++;
    return -(int)GX_CERT_ERR_CONFLICT;
  }
  if (gx_cert_verify_sig(&c->set.key[m->index], &m->bh_id, &m->sig)) return -(int)GX_CERT_ERR_SIGNATURE;
  s->signed_mask |= (uint64_t)1 << m->index;
  s->claimed[m->index] = m->bh_id;
  s->sig[m->index] = m->sig;
  return gx_cert_try_complete(c, s, out);
}

void gx_cert_collector_advance(gx_cert_collector_t *c, uint64_t low) {
  if (low > c->low) c->low = low;
}
