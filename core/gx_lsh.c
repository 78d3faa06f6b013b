/* gx_lsh: the LSH block codec, its id, tx root, cluster certificate, home
 * cluster and galaxy-side signature sampling. See gx_lsh.h for the layout. */
#include "core/gx_lsh.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

/* Offsets inside the header. */
enum {
  LO_CLUSTER = 2, LO_HEIGHT = 6, LO_PREV = 14, LO_BASE_HEIGHT = 46, LO_BASE = 54,
  LO_TX_ROOT = 86, LO_TX_COUNT = 118, LO_MEMBERS = 122, LO_FAULTS = 123,
};
/* Offsets inside a report, a fault and a certificate entry. */
enum { RO_FLAGS = 0, RO_PROPOSED = 1, RO_ROUND_MS = 5 };
enum { FO_MEMBER = 0, FO_KIND = 2, FO_RESERVED = 3, FO_EVIDENCE = 4 };
enum { CO_MEMBER = 0, CO_SIG = 2 };

static const char *const gx_lsh_fault_labels[GX_LSH_FAULT__COUNT] = {
  [GX_LSH_FAULT_EQUIVOCATION] = "equivocation",
  [GX_LSH_FAULT_BAD_SIGNATURE] = "bad_signature",
  [GX_LSH_FAULT_INVALID_MSG] = "invalid_msg",
  [GX_LSH_FAULT_SILENT] = "silent",
};

const char *gx_lsh_fault_label(uint8_t kind) {
  return kind >= 1 && kind < GX_LSH_FAULT__COUNT ? gx_lsh_fault_labels[kind] : "unknown";
}

static const struct { const char *text, *label; } gx_lsh_cert_errs[GX_LSH_CERT_ERR__COUNT] = {
  [GX_LSH_CERT_OK] = {"ok", "ok"},
  [GX_LSH_CERT_ERR_MEMBERS] = {"member list does not match the block's member count", "members"},
  [GX_LSH_CERT_ERR_SIGNATURE] = {"a certificate signature does not verify", "signature"},
  [GX_LSH_CERT_ERR_QUORUM] = {"fewer than 2f+1 member signatures", "quorum"},
};

const char *gx_lsh_cert_strerror(gx_lsh_cert_err_t e) {
  return (unsigned)e < GX_LSH_CERT_ERR__COUNT ? gx_lsh_cert_errs[e].text
                                               : "unknown certificate error";
}
const char *gx_lsh_cert_label(gx_lsh_cert_err_t e) {
  return (unsigned)e < GX_LSH_CERT_ERR__COUNT ? gx_lsh_cert_errs[e].label : "unknown";
}

static uint32_t gx_lsh_f(uint32_t member_count) {
  return member_count ? (member_count - 1) / 3 : 0;
}
uint32_t gx_lsh_quorum(uint32_t member_count) { return 2 * gx_lsh_f(member_count) + 1; }

size_t gx_lsh_body_size(uint32_t member_count, uint32_t fault_count) {
  return GX_LSH_HDR_SZ + (size_t)member_count * GX_LSH_REPORT_SZ +
         (size_t)fault_count * GX_LSH_FAULT_SZ;
}

size_t gx_lsh_size(uint32_t tx_count, uint32_t member_count, uint32_t fault_count,
                   uint32_t sig_count) {
  return gx_lsh_body_size(member_count, fault_count) + (size_t)tx_count * GX_XFER_SZ + 2 +
         (size_t)sig_count * GX_LSH_CERT_ENTRY_SZ;
}

/* ---- rules shared by the decoder and the encoder ------------------------------------ */
/* Each returns the reason of the first rule broken, in the documented order. */

static gx_proto_err_t gx_lsh_header_check(const gx_lsh_header_t *h) {
  if (h->cluster >= GX_LSH_MAX_CLUSTERS) return GX_PROTO_ERR_RANGE;
  if (h->height == 0 || h->height > GX_SEQ_MAX) return GX_PROTO_ERR_RANGE;
  if ((h->height == 1) != (gx_hash_is_zero(&h->prev) != 0)) return GX_PROTO_ERR_RANGE;
  if (h->base_height > GX_SEQ_MAX) return GX_PROTO_ERR_RANGE;
  if (h->tx_count > GX_LSH_MAX_TXS) return GX_PROTO_ERR_COUNT;
  if (h->tx_count == 0 && !gx_hash_is_zero(&h->tx_root)) return GX_PROTO_ERR_RANGE;
  if (h->member_count < GX_LSH_MIN_MEMBERS || h->member_count > GX_LSH_MAX_MEMBERS)
    return GX_PROTO_ERR_COUNT;
  if (h->fault_count > GX_LSH_MAX_FAULTS) return GX_PROTO_ERR_COUNT;
  return GX_PROTO_OK;
}

/* One report; *in counts the members in. */
static gx_proto_err_t gx_lsh_report_check(const gx_lsh_report_t *r, uint32_t *in) {
  if (r->flags & ~GX_LSH_REPORT_INCLUDED) return GX_PROTO_ERR_RESERVED;
  if (r->flags & GX_LSH_REPORT_INCLUDED) (*in)++;
  else if (r->proposed || r->round_ms) return GX_PROTO_ERR_RANGE;
  return GX_PROTO_OK;
}

static gx_proto_err_t gx_lsh_quorum_in(uint32_t in, uint32_t member_count) {
  return in < member_count - gx_lsh_f(member_count) ? GX_PROTO_ERR_RANGE : GX_PROTO_OK;
}

/* One fault's fields (the reserved byte apart: the decoder checks it). */
static gx_proto_err_t gx_lsh_fault_check(const gx_lsh_fault_t *f, uint32_t member_count) {
  if (f->member >= member_count) return GX_PROTO_ERR_RANGE;
  if (f->kind < 1 || f->kind >= GX_LSH_FAULT__COUNT) return GX_PROTO_ERR_RANGE;
  return GX_PROTO_OK;
}
/* 1 when f comes strictly after prev: member, then kind. */
static int gx_lsh_fault_after(const gx_lsh_fault_t *f, const gx_lsh_fault_t *prev) {
  return f->member > prev->member || (f->member == prev->member && f->kind > prev->kind);
}

/* ---- loads and stores --------------------------------------------------------------- */
static void gx_lsh_header_store(uint8_t *out, const gx_lsh_header_t *h) {
  out[0] = GX_PROTO_VERSION;
  out[1] = GX_MSG_LSH;
  gx_st32(out + LO_CLUSTER, h->cluster);
  gx_st64(out + LO_HEIGHT, h->height);
  memcpy(out + LO_PREV, h->prev.b, GX_HASH_SZ);
  gx_st64(out + LO_BASE_HEIGHT, h->base_height);
  memcpy(out + LO_BASE, h->base.b, GX_HASH_SZ);
  memcpy(out + LO_TX_ROOT, h->tx_root.b, GX_HASH_SZ);
  gx_st32(out + LO_TX_COUNT, h->tx_count);
  out[LO_MEMBERS] = h->member_count;
  out[LO_FAULTS] = h->fault_count;
}

static void gx_lsh_header_load(gx_lsh_header_t *h, const uint8_t *p) {
  h->cluster = gx_ld32(p + LO_CLUSTER);
  h->height = gx_ld64(p + LO_HEIGHT);
  memcpy(h->prev.b, p + LO_PREV, GX_HASH_SZ);
  h->base_height = gx_ld64(p + LO_BASE_HEIGHT);
  memcpy(h->base.b, p + LO_BASE, GX_HASH_SZ);
  memcpy(h->tx_root.b, p + LO_TX_ROOT, GX_HASH_SZ);
  h->tx_count = gx_ld32(p + LO_TX_COUNT);
  h->member_count = p[LO_MEMBERS];
  h->fault_count = p[LO_FAULTS];
}

static void gx_lsh_report_load(gx_lsh_report_t *r, const uint8_t *p) {
  r->flags = p[RO_FLAGS];
  r->proposed = gx_ld32(p + RO_PROPOSED);
  r->round_ms = gx_ld32(p + RO_ROUND_MS);
}

static void gx_lsh_fault_load(gx_lsh_fault_t *f, const uint8_t *p) {
  f->member = gx_ld16(p + FO_MEMBER);
  f->kind = p[FO_KIND];
  memcpy(f->evidence.b, p + FO_EVIDENCE, GX_HASH_SZ);
}

/* ---- encoder ------------------------------------------------------------------------ */
size_t gx_lsh_encode_unsigned(uint8_t *out, size_t cap, const gx_lsh_header_t *h,
                              const gx_lsh_report_t *reports, const gx_lsh_fault_t *faults,
                              const uint8_t *xfers) {
  if (gx_lsh_header_check(h)) return 0;
  uint32_t in = 0;
  for (uint32_t i = 0; i < h->member_count; i++)
    if (gx_lsh_report_check(&reports[i], &in)) return 0;
  if (gx_lsh_quorum_in(in, h->member_count)) return 0;
  for (uint32_t i = 0; i < h->fault_count; i++) {
    if (gx_lsh_fault_check(&faults[i], h->member_count)) return 0;
    if (i && !gx_lsh_fault_after(&faults[i], &faults[i - 1])) return 0;
  }
  if (h->tx_count && !xfers) return 0;
  size_t body = gx_lsh_body_size(h->member_count, h->fault_count);
  size_t n = body + (size_t)h->tx_count * GX_XFER_SZ;
  if (cap < n) return 0;
  gx_lsh_header_store(out, h);
  uint8_t *p = out + GX_LSH_HDR_SZ;
  for (uint32_t i = 0; i < h->member_count; i++, p += GX_LSH_REPORT_SZ) {
    p[RO_FLAGS] = reports[i].flags;
    gx_st32(p + RO_PROPOSED, reports[i].proposed);
    gx_st32(p + RO_ROUND_MS, reports[i].round_ms);
  }
  for (uint32_t i = 0; i < h->fault_count; i++, p += GX_LSH_FAULT_SZ) {
    gx_st16(p + FO_MEMBER, faults[i].member);
    p[FO_KIND] = faults[i].kind;
    p[FO_RESERVED] = 0;
    memcpy(p + FO_EVIDENCE, faults[i].evidence.b, GX_HASH_SZ);
  }
  if (h->tx_count) memcpy(p, xfers, (size_t)h->tx_count * GX_XFER_SZ);
  return n;
}

size_t gx_lsh_append_cert(uint8_t *out, size_t cap, size_t len, uint8_t member_count,
                          const gx_lsh_sig_t *sigs, uint16_t count) {
  if (count == 0 || count > member_count) return 0;
  for (uint32_t i = 0; i < count; i++)
    if (sigs[i].member >= member_count || (i && sigs[i].member <= sigs[i - 1].member)) return 0;
  size_t n = 2 + (size_t)count * GX_LSH_CERT_ENTRY_SZ;
  if (len > cap || cap - len < n) return 0;
  uint8_t *p = out + len;
  gx_st16(p, count);
  p += 2;
  for (uint32_t i = 0; i < count; i++, p += GX_LSH_CERT_ENTRY_SZ) {
    gx_st16(p + CO_MEMBER, sigs[i].member);
    memcpy(p + CO_SIG, sigs[i].sig.b, GX_SIG_SZ);
  }
  return len + n;
}

/* ---- decoder ------------------------------------------------------------------------ */
gx_proto_err_t gx_lsh_decode(gx_lsh_t *b, const uint8_t *buf, size_t len) {
  if (len < 2) return GX_PROTO_ERR_SHORT;
  if (buf[0] != GX_PROTO_VERSION) return GX_PROTO_ERR_VERSION;
  if (buf[1] != GX_MSG_LSH) return GX_PROTO_ERR_TYPE;
  if (len < GX_LSH_HDR_SZ) return GX_PROTO_ERR_SHORT;
  gx_lsh_header_t *h = &b->h;
  gx_lsh_header_load(h, buf);
  gx_proto_err_t e = gx_lsh_header_check(h);
  if (e) return e;

  /* Lengths: everything up to the certificate's count, then the entries. */
  size_t body = gx_lsh_body_size(h->member_count, h->fault_count);
  size_t cert_off = body + (size_t)h->tx_count * GX_XFER_SZ;
  if (len < cert_off + 2) return GX_PROTO_ERR_SHORT;
  uint16_t sigs = gx_ld16(buf + cert_off);
  if (sigs == 0 || sigs > h->member_count) return GX_PROTO_ERR_COUNT;
  size_t want = cert_off + 2 + (size_t)sigs * GX_LSH_CERT_ENTRY_SZ;
  if (len < want) return GX_PROTO_ERR_SHORT;
  if (len > want) return GX_PROTO_ERR_TRAILING;

  const uint8_t *p = buf + GX_LSH_HDR_SZ;
  uint32_t in = 0;
  for (uint32_t i = 0; i < h->member_count; i++, p += GX_LSH_REPORT_SZ) {
    gx_lsh_report_t r;
    gx_lsh_report_load(&r, p);
    if ((e = gx_lsh_report_check(&r, &in))) return e;
  }
  if ((e = gx_lsh_quorum_in(in, h->member_count))) return e;

  gx_lsh_fault_t prev_fault = {0};
  for (uint32_t i = 0; i < h->fault_count; i++, p += GX_LSH_FAULT_SZ) {
    gx_lsh_fault_t f;
    gx_lsh_fault_load(&f, p);
    if ((e = gx_lsh_fault_check(&f, h->member_count))) return e;
    if (p[FO_RESERVED]) return GX_PROTO_ERR_RESERVED;
    if (i && !gx_lsh_fault_after(&f, &prev_fault)) return GX_PROTO_ERR_RANGE;
    prev_fault = f;
  }

  for (uint32_t i = 0; i < h->tx_count; i++, p += GX_XFER_SZ)
    if ((e = gx_xfer_check(p, GX_XFER_SZ))) return e;

  const uint8_t *c = buf + cert_off + 2;
  for (uint32_t i = 0; i < sigs; i++, c += GX_LSH_CERT_ENTRY_SZ) {
    uint16_t m = gx_ld16(c + CO_MEMBER);
    if (m >= h->member_count) return GX_PROTO_ERR_RANGE;
    if (i && m <= gx_ld16(c - GX_LSH_CERT_ENTRY_SZ + CO_MEMBER)) return GX_PROTO_ERR_RANGE;
  }

  b->body = buf;
  b->body_len = body;
  b->reports = buf + GX_LSH_HDR_SZ;
  b->faults = b->reports + (size_t)h->member_count * GX_LSH_REPORT_SZ;
  b->xfers = buf + body;
  b->cert = buf + cert_off;
  b->cert_len = want - cert_off;
  b->sig_count = sigs;
  return GX_PROTO_OK;
}

void gx_lsh_report(const gx_lsh_t *b, uint32_t i, gx_lsh_report_t *out) {
  GX_ASSERT(i < b->h.member_count, "report %u of a block of %u members", i,
            (unsigned)b->h.member_count);
  gx_lsh_report_load(out, b->reports + (size_t)i * GX_LSH_REPORT_SZ);
}

void gx_lsh_fault(const gx_lsh_t *b, uint32_t i, gx_lsh_fault_t *out) {
  GX_ASSERT(i < b->h.fault_count, "fault %u of a block of %u faults", i,
            (unsigned)b->h.fault_count);
  gx_lsh_fault_load(out, b->faults + (size_t)i * GX_LSH_FAULT_SZ);
}

void gx_lsh_cert_sig(const gx_lsh_t *b, uint32_t i, gx_lsh_sig_t *out) {
  GX_ASSERT(i < b->sig_count, "certificate entry %u of %u", i, (unsigned)b->sig_count);
  const uint8_t *p = b->cert + 2 + (size_t)i * GX_LSH_CERT_ENTRY_SZ;
  out->member = gx_ld16(p + CO_MEMBER);
  memcpy(out->sig.b, p + CO_SIG, GX_SIG_SZ);
}

/* ---- ids and roots ------------------------------------------------------------------ */
void gx_lsh_id_body(gx_hash_t *id, const uint8_t *body, size_t body_len) {
  gx_hash(id, GX_DOM_LSH, body, body_len);
}
void gx_lsh_id(gx_hash_t *id, const gx_lsh_t *b) { gx_lsh_id_body(id, b->body, b->body_len); }

int gx_lsh_tx_root(gx_hash_t *root, const uint8_t *xfers, uint32_t count, gx_hash_t *ids_out,
                   gx_hash_t *scratch) {
  if (count > GX_LSH_MAX_TXS) return -1;
  for (uint32_t i = 0; i < count; i++) {
    gx_xfer_id(&ids_out[i], xfers + (size_t)i * GX_XFER_SZ);
    gx_merkle_leaf(&scratch[i], ids_out[i].b, GX_HASH_SZ);
  }
  return gx_merkle_root_inplace(root, scratch, count);
}

int gx_lsh_check_root(const gx_lsh_t *b, gx_hash_t *ids_out, gx_hash_t *scratch) {
  gx_hash_t root;
  if (gx_lsh_tx_root(&root, b->xfers, b->h.tx_count, ids_out, scratch)) return -1;
  return gx_hash_eq(&root, &b->h.tx_root) ? 0 : -1;
}

/* ---- certificate -------------------------------------------------------------------- */
static void gx_lsh_sig_digest(gx_hash_t *d, const gx_hash_t *id) {
  gx_hash(d, GX_DOM_LSH_SIG, id->b, GX_HASH_SZ);
}

void gx_lsh_sign(gx_sig_t *sig, const gx_hash_t *id, const uint8_t sk[64]) {
  gx_hash_t d;
  gx_lsh_sig_digest(&d, id);
  crypto_sign_ed25519_detached(sig->b, NULL, d.b, GX_HASH_SZ, sk);
}

gx_lsh_cert_err_t gx_lsh_verify_cert(const gx_lsh_t *b, const gx_hash_t *id,
                                     const gx_pubkey_t *members, uint32_t n, uint64_t *signers) {
  if (signers) *signers = 0;
  if (n != b->h.member_count) return GX_LSH_CERT_ERR_MEMBERS;
  if (b->sig_count < gx_lsh_quorum(n)) return GX_LSH_CERT_ERR_QUORUM;
  gx_hash_t d;
  gx_lsh_sig_digest(&d, id);
  uint64_t mask = 0;
  for (uint32_t i = 0; i < b->sig_count; i++) {
    gx_lsh_sig_t s;
    gx_lsh_cert_sig(b, i, &s);
    /* The decoder keeps indices strictly increasing and below member_count
     * (at most GX_LSH_MAX_MEMBERS = 64): distinct signers, a valid bit. */
    GX_ASSERT(s.member < n && !(mask >> s.member & 1), "certificate entry %u names member %u",
              i, (unsigned)s.member);
    if (crypto_sign_ed25519_verify_detached(s.sig.b, d.b, GX_HASH_SZ, members[s.member].b))
      return GX_LSH_CERT_ERR_SIGNATURE;
    mask |= (uint64_t)1 << s.member;
  }
  if (signers) *signers = mask;
  return GX_LSH_CERT_OK;
}

/* ---- clusters and sampling ---------------------------------------------------------- */
uint32_t gx_lsh_home_cluster(const gx_pubkey_t *account, uint32_t cluster_count) {
  return gx_shard_of(account, cluster_count);
}

int gx_lsh_sampled(const gx_hash_t *prev_bh, const gx_hash_t *tx_id, uint32_t sample_per_65536) {
  if (sample_per_65536 == 0) return 0;
  if (sample_per_65536 >= 65536) return 1;
  gx_hash_t h;
  gx_hash2(&h, GX_DOM_CONSENSUS, prev_bh->b, GX_HASH_SZ, tx_id->b, GX_HASH_SZ);
  return gx_ld16(h.b) < sample_per_65536;
}
