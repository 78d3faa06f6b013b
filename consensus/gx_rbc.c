/* gx_rbc: erasure-coded reliable broadcast (see gx_rbc.h). */
#include "consensus/gx_rbc.h"

#include "core/gx_assert.h"
#include "core/gx_util.h"

#include <isa-l/erasure_code.h>
#include <string.h>

static const char *const gx_rbc_res_names[GX_RBC_RES_COUNT] = {
  [GX_RBC_OK] = "ok",
  [GX_RBC_DELIVERED] = "delivered",
  [GX_RBC_DROP_INDEX] = "stripe index not allowed for this sender",
  [GX_RBC_DROP_SIZE] = "stripe larger than the configured maximum",
  [GX_RBC_DROP_CONFLICT] = "fragment conflicts with the sender's first fragment",
  [GX_RBC_DROP_PROOF] = "stripe fails its Merkle proof",
  [GX_RBC_DROP_DUP] = "duplicate",
};

const char *gx_rbc_strerror(gx_rbc_res_t r) {
  return (unsigned)r < GX_RBC_RES_COUNT ? gx_rbc_res_names[r] : "unknown";
}

/* Stripe length for a value of len bytes: ceil((len + 4) / k) rounded up to
 * a multiple of 64, so every data stripe coded in place starts 64-byte aligned. */
static uint32_t gx_rbc_stripe_len(unsigned k, uint64_t len) {
  uint64_t sl = (len + 4 + k - 1) / k;
  return (uint32_t)((sl + 63) & ~(uint64_t)63);
}

static uint32_t gx_rbc_stripe_max(unsigned k, uint32_t max_value) {
  return gx_rbc_stripe_len(k, max_value);
}

uint32_t gx_rbc_stride(unsigned n, unsigned f, uint32_t max_value) {
  unsigned k = n - 2 * f;
  return (gx_rbc_stripe_max(k, max_value) + 63u) & ~63u;
}

int gx_rbc_coder_init(gx_rbc_coder_t *c, unsigned n, unsigned f, unsigned self,
                      uint32_t max_value, uint8_t *parity) {
  if (n < 1 || n > GX_CONS_MAX_N || 3 * f + 1 > n || self >= n) return -1;
  if (gx_rbc_stripe_max(n - 2 * f, max_value) > GX_CMSG_MAX_STRIPE) return -1;
  c->n = n;
  c->f = f;
  c->k = n - 2 * f;
  c->self = self;
  c->max_value = max_value;
  c->stripe_max = gx_rbc_stripe_max(c->k, max_value);
  c->stride = gx_rbc_stride(n, f, max_value);
  c->parity = parity;
  gf_gen_cauchy1_matrix(c->enc_matrix, (int)n, (int)c->k);
  if (n > c->k)
    ec_init_tables((int)c->k, (int)(n - c->k), c->enc_matrix + c->k * c->k, c->enc_tbls);
  return 0;
}

static size_t gx_rbc_words(const gx_rbc_coder_t *c) {
  return (gx_cmsg_frag_count(c->stripe_max) + 63) / 64;
}

size_t gx_rbc_inst_footprint(const gx_rbc_coder_t *c) {
  return (size_t)c->n * c->stride + (size_t)c->k * c->stride +
         (size_t)c->n * gx_rbc_words(c) * sizeof(uint64_t);
}

void gx_rbc_inst_bind(gx_rbc_t *r, const gx_rbc_coder_t *c, uint8_t *mem) {
  for (unsigned j = 0; j < c->n; j++) r->slot[j].data = mem + (size_t)j * c->stride;
  r->vbuf = mem + (size_t)c->n * c->stride;
  uint64_t *bits = (uint64_t *)(mem + (size_t)(c->n + c->k) * c->stride);
  for (unsigned j = 0; j < c->n; j++) r->slot[j].fbits = bits + (size_t)j * gx_rbc_words(c);
}

void gx_rbc_reset(gx_rbc_t *r, uint16_t proposer) {
  r->proposer = proposer;
  r->echo_sent = r->ready_sent = r->done = 0;
  r->ready_from = 0;
  r->value = NULL;
  r->value_len = 0;
  for (unsigned j = 0; j < GX_CONS_MAX_N; j++) {
    r->slot[j].state = GX_RBC_SLOT_EMPTY;
    r->slot[j].frags_have = 0;
  }
}

/* Length of the Merkle path of leaf index among n leaves (gx_merkle_branch). */
static unsigned gx_rbc_branch_len(unsigned n, unsigned index) {
  unsigned len = 0;
  while (n > 1) {
    if ((index ^ 1u) < n) len++;
    n = (n + 1) / 2;
    index >>= 1;
  }
  return len;
}

static void gx_rbc_leaves_root(gx_rbc_coder_t *c, uint8_t *const *stripe, uint32_t sl,
                               gx_hash_t *root) {
  for (unsigned j = 0; j < c->n; j++) gx_merkle_leaf(&c->leaves[j], stripe[j], sl);
  gx_merkle_root(root, c->leaves, c->n, c->scratch);
}

int gx_rbc_encode(gx_rbc_coder_t *c, gx_rbc_enc_t *enc, const uint8_t *value, uint32_t len) {
  if (gx_rbc_code(c, enc, value, len) != 0) return -1;
  return gx_rbc_recommit(c, enc);
}

int gx_rbc_code(gx_rbc_coder_t *c, gx_rbc_enc_t *enc, const uint8_t *value, uint32_t len) {
  if (len > c->max_value) return -1;
  uint32_t sl = gx_rbc_stripe_len(c->k, len);
  uint64_t total = (uint64_t)sl * c->k;
  uint8_t *area = enc->stripes; /* data region: k * stride >= total bytes */
  int in_place = value == area;
  /* framing: value || zero padding || u32 len, cut into k stripes of sl bytes.
   * Stripes wholly inside the value are coded where they lie (no copy); the
   * tail stripes are built in our area. */
  for (unsigned t = 0; t < c->k; t++) {
    uint64_t lo = (uint64_t)t * sl, hi = lo + sl;
    if (hi <= len) {
      enc->data[t] = in_place ? area + lo : (uint8_t *)(uintptr_t)(value + lo);
      continue;
    }
    uint8_t *d = area + lo;
    enc->data[t] = d;
    uint64_t have = len > lo ? len - lo : 0;
    if (have && !in_place) memcpy(d, value + lo, have);
    memset(d + have, 0, sl - have);
  }
  gx_st32(area + total - 4, len);
  for (unsigned p = 0; p < c->n - c->k; p++)
    enc->data[c->k + p] = enc->stripes + (size_t)(c->k + p) * c->stride;
  if (c->n > c->k)
    ec_encode_data((int)sl, (int)c->k, (int)(c->n - c->k), c->enc_tbls, enc->data, enc->data + c->k);
  enc->stripe_len = sl;
  return 0;
}

int gx_rbc_recommit(gx_rbc_coder_t *c, gx_rbc_enc_t *enc) {
  gx_rbc_leaves_root(c, enc->data, enc->stripe_len, &enc->root);
  for (unsigned j = 0; j < c->n; j++) {
    int bl = gx_merkle_branch(enc->branch[j], c->leaves, c->n, j, c->scratch);
    if (bl < 0) return -1;
    enc->branch_len[j] = (uint8_t)bl;
  }
  return 0;
}

static void gx_rbc_send_frags(uint8_t type, uint64_t epoch, uint16_t instance, int dest,
                              const gx_hash_t *root, unsigned index, const gx_hash_t *branch,
                              unsigned branch_len, uint32_t sl, const uint8_t *data,
                              const gx_cmsg_sink_t *sink) {
  uint8_t buf[GX_CMSG_MAX];
  for (uint32_t off = 0; off < sl; off += GX_CMSG_FRAG) {
    size_t n = gx_cmsg_encode_frag(buf, type, epoch, instance, root, (uint8_t)index, branch,
                                   (uint8_t)branch_len, sl, off, data + off);
    if (n) sink->send(sink->ctx, dest, buf, n);
  }
}

void gx_rbc_send_val(const gx_rbc_enc_t *enc, uint64_t epoch,
                     uint16_t instance, unsigned dest, const gx_cmsg_sink_t *sink) {
  gx_rbc_send_frags(GX_CMSG_RBC_VAL, epoch, instance, (int)dest, &enc->root, dest,
                    enc->branch[dest], enc->branch_len[dest], enc->stripe_len,
                    enc->data[dest], sink);
}

static void gx_rbc_send_ready(gx_rbc_t *r, uint64_t epoch, const gx_hash_t *root,
                              unsigned self, const gx_cmsg_sink_t *sink) {
  uint8_t buf[GX_CMSG_MAX];
  /* Bracha: one READY per instance, for one root (callers check ready_sent) */
  GX_ASSERT(!r->ready_sent, "RBC %u sends a second READY", r->proposer);
  r->ready_sent = 1;
  r->ready_root = *root;
  r->ready_of[self] = *root;
  r->ready_from |= 1ull << self;
  size_t n = gx_cmsg_encode_ready(buf, epoch, r->proposer, root);
  sink->send(sink->ctx, GX_CMSG_ALL, buf, n);
}

static void gx_rbc_send_echo(const gx_rbc_t *r, const gx_rbc_coder_t *c, uint64_t epoch,
                             const gx_cmsg_sink_t *sink) {
  const gx_rbc_slot_t *s = &r->slot[c->self];
  gx_rbc_send_frags(GX_CMSG_RBC_ECHO, epoch, r->proposer, GX_CMSG_ALL, &s->root, c->self,
                    s->branch, s->branch_len, s->stripe_len, s->data, sink);
}

void gx_rbc_resend(const gx_rbc_t *r, const gx_rbc_coder_t *c, uint64_t epoch,
                   const gx_cmsg_sink_t *sink) {
  if (r->echo_sent && r->slot[c->self].state == GX_RBC_SLOT_VALID) gx_rbc_send_echo(r, c, epoch, sink);
  if (r->ready_sent) {
    uint8_t buf[GX_CMSG_MAX];
    size_t n = gx_cmsg_encode_ready(buf, epoch, r->proposer, &r->ready_root);
    sink->send(sink->ctx, GX_CMSG_ALL, buf, n);
  }
}

static unsigned gx_rbc_echo_count(const gx_rbc_t *r, const gx_rbc_coder_t *c,
                                  const gx_hash_t *root) {
  unsigned cnt = 0;
  for (unsigned j = 0; j < c->n; j++)
    if (r->slot[j].state == GX_RBC_SLOT_VALID && gx_hash_eq(&r->slot[j].root, root)) cnt++;
  return cnt;
}

static unsigned gx_rbc_ready_count(const gx_rbc_t *r, const gx_rbc_coder_t *c,
                                   const gx_hash_t *root) {
  unsigned cnt = 0;
  for (unsigned j = 0; j < c->n; j++)
    if ((r->ready_from >> j & 1) && gx_hash_eq(&r->ready_of[j], root)) cnt++;
  return cnt;
}

int gx_rbc_recover(gx_rbc_coder_t *c, uint8_t *const *src, const unsigned *idx, uint32_t sl,
                   uint8_t *out) {
  unsigned missing[GX_CONS_MAX_N], nmiss = 0;
  int have[GX_CONS_MAX_N] = {0};
  for (unsigned t = 0; t < c->k; t++)
    if (idx[t] < c->k) {
      memcpy(out + (size_t)idx[t] * sl, src[t], sl);
      have[idx[t]] = 1;
    }
  for (unsigned t = 0; t < c->k; t++)
    if (!have[t]) missing[nmiss++] = t;
  if (!nmiss) return 0;
  uint8_t b[GX_CONS_MAX_N * GX_CONS_MAX_N], inv[GX_CONS_MAX_N * GX_CONS_MAX_N];
  uint8_t rows[GX_CONS_MAX_N * GX_CONS_MAX_N];
  uint8_t *dst[GX_CONS_MAX_N];
  for (unsigned t = 0; t < c->k; t++) memcpy(b + t * c->k, c->enc_matrix + idx[t] * c->k, c->k);
  if (gf_invert_matrix(b, inv, (int)c->k) != 0) return -1;
  for (unsigned m = 0; m < nmiss; m++) {
    memcpy(rows + m * c->k, inv + missing[m] * c->k, c->k);
    dst[m] = out + (size_t)missing[m] * sl;
  }
  ec_init_tables((int)c->k, (int)nmiss, rows, c->dec_tbls);
  ec_encode_data((int)sl, (int)c->k, (int)nmiss, c->dec_tbls, (uint8_t **)src, dst);
  return 0;
}

/* Decode from K valid stripes under root, re-encode, check the root and the
 * framing. Sets r->done. */
static void gx_rbc_decode(gx_rbc_t *r, gx_rbc_coder_t *c, const gx_hash_t *root) {
  GX_ASSERT(r->done == GX_RBC_PENDING, "RBC %u decodes again after delivering (verdict %u)",
            r->proposer, r->done);
  unsigned chosen[GX_CONS_MAX_N], nch = 0;
  uint32_t sl = 0;
  for (unsigned j = 0; j < c->n; j++) {
    const gx_rbc_slot_t *s = &r->slot[j];
    if (s->state != GX_RBC_SLOT_VALID || !gx_hash_eq(&s->root, root)) continue;
    if (nch == 0) sl = s->stripe_len;
    else if (s->stripe_len != sl) { r->done = GX_RBC_DONE_BAD; return; } /* mixed sizes */
    if (nch < c->k) chosen[nch++] = j;
  }
  /* the caller counted k valid stripes under root the same way */
  GX_ASSERT(nch >= c->k, "RBC %u decoding from %u stripes, needs %u", r->proposer, nch, c->k);
  uint8_t *data[GX_CONS_MAX_N], *src[GX_CONS_MAX_N];
  for (unsigned t = 0; t < c->k; t++) {
    data[t] = r->vbuf + (size_t)t * sl;
    src[t] = r->slot[chosen[t]].data;
  }
  if (gx_rbc_recover(c, src, chosen, sl, r->vbuf) != 0) { r->done = GX_RBC_DONE_BAD; return; }
  /* re-encode the parity and recompute the root */
  uint8_t *all[GX_CONS_MAX_N];
  for (unsigned t = 0; t < c->k; t++) all[t] = data[t];
  for (unsigned p = 0; p < c->n - c->k; p++) all[c->k + p] = c->parity + (size_t)p * c->stride;
  if (c->n > c->k) ec_encode_data((int)sl, (int)c->k, (int)(c->n - c->k), c->enc_tbls, all, all + c->k);
  gx_hash_t again;
  gx_rbc_leaves_root(c, all, sl, &again);
  if (!gx_hash_eq(&again, root)) { r->done = GX_RBC_DONE_BAD; return; }
  /* framing: u32 len at the end, canonical stripe length, zero padding */
  uint64_t total = (uint64_t)sl * c->k;
  uint32_t len = gx_ld32(r->vbuf + total - 4);
  if ((uint64_t)len + 4 > total || len > c->max_value ||
      sl != gx_rbc_stripe_len(c->k, len)) {
    r->done = GX_RBC_DONE_BAD;
    return;
  }
  for (uint64_t i = len; i < total - 4; i++)
    if (r->vbuf[i]) { r->done = GX_RBC_DONE_BAD; return; }
  r->value = r->vbuf;
  r->value_len = len;
  r->done = GX_RBC_DONE_VALUE;
}

/* Thresholds after any change. */
static gx_rbc_res_t gx_rbc_progress(gx_rbc_t *r, gx_rbc_coder_t *c, uint64_t epoch,
                                    const gx_cmsg_sink_t *sink) {
  unsigned n = c->n, f = c->f;
  if (!r->ready_sent) {
    for (unsigned j = 0; j < n && !r->ready_sent; j++) {
      const gx_rbc_slot_t *s = &r->slot[j];
      if (s->state == GX_RBC_SLOT_VALID && gx_rbc_echo_count(r, c, &s->root) >= n - f)
        gx_rbc_send_ready(r, epoch, &s->root, c->self, sink);
    }
    for (unsigned j = 0; j < n && !r->ready_sent; j++)
      if ((r->ready_from >> j & 1) && gx_rbc_ready_count(r, c, &r->ready_of[j]) >= f + 1)
        gx_rbc_send_ready(r, epoch, &r->ready_of[j], c->self, sink);
  }
  if (r->done) return GX_RBC_OK;
  for (unsigned j = 0; j < n; j++) {
    if (!(r->ready_from >> j & 1)) continue;
    const gx_hash_t *root = &r->ready_of[j];
    if (gx_rbc_ready_count(r, c, root) >= 2 * f + 1 && gx_rbc_echo_count(r, c, root) >= c->k) {
      gx_rbc_decode(r, c, root);
      if (r->done) return GX_RBC_DELIVERED;
    }
  }
  return GX_RBC_OK;
}

gx_rbc_res_t gx_rbc_on_frag(gx_rbc_t *r, gx_rbc_coder_t *c, uint64_t epoch, unsigned sender,
                            const gx_cmsg_t *m, const gx_cmsg_sink_t *sink) {
  unsigned idx;
  if (m->type == GX_CMSG_RBC_VAL) {
    if (sender != r->proposer) return GX_RBC_DROP_INDEX;
    idx = c->self;
  } else {
    idx = sender;
  }
  if (m->u.frag.stripe_index != idx) return GX_RBC_DROP_INDEX;
  if (m->u.frag.stripe_len > c->stripe_max) return GX_RBC_DROP_SIZE;
  if (m->u.frag.branch_len != gx_rbc_branch_len(c->n, idx)) return GX_RBC_DROP_PROOF;
  gx_rbc_slot_t *s = &r->slot[idx];
  if (s->state == GX_RBC_SLOT_EMPTY) {
    s->root = m->u.frag.root;
    s->branch_len = m->u.frag.branch_len;
    memcpy(s->branch, m->u.frag.branch, 32u * s->branch_len);
    s->stripe_len = m->u.frag.stripe_len;
    s->frags_have = 0;
    memset(s->fbits, 0, ((gx_cmsg_frag_count(s->stripe_len) + 63) / 64) * sizeof(uint64_t));
    s->state = GX_RBC_SLOT_FILLING;
  } else if (!gx_hash_eq(&s->root, &m->u.frag.root) || s->stripe_len != m->u.frag.stripe_len ||
             memcmp(s->branch, m->u.frag.branch, 32u * s->branch_len) != 0) {
    return GX_RBC_DROP_CONFLICT;
  }
  if (s->state != GX_RBC_SLOT_FILLING) return GX_RBC_DROP_DUP;
  uint32_t fi = m->u.frag.frag_off / GX_CMSG_FRAG;
  /* the decoder checked offset and length against stripe_len, checked above
   * against stripe_max <= stride: the fragment lies inside the slot's buffers */
  GX_ASSERT((uint64_t)m->u.frag.frag_off + m->u.frag.frag_len <= s->stripe_len &&
                s->stripe_len <= c->stride && fi < gx_cmsg_frag_count(s->stripe_len),
            "RBC %u fragment at %u+%u outside stripe of %u bytes (stride %u)", r->proposer,
            m->u.frag.frag_off, m->u.frag.frag_len, s->stripe_len, c->stride);
  if (s->fbits[fi / 64] >> (fi % 64) & 1) return GX_RBC_DROP_DUP;
  s->fbits[fi / 64] |= 1ull << (fi % 64);
  memcpy(s->data + m->u.frag.frag_off, m->u.frag.data, m->u.frag.frag_len);
  if (++s->frags_have < gx_cmsg_frag_count(s->stripe_len)) return GX_RBC_OK;
  gx_hash_t leaf;
  gx_merkle_leaf(&leaf, s->data, s->stripe_len);
  if (gx_merkle_verify(&s->root, &leaf, c->n, idx, s->branch, s->branch_len) != 0) {
    s->state = GX_RBC_SLOT_BAD;
    return GX_RBC_DROP_PROOF;
  }
  s->state = GX_RBC_SLOT_VALID;
  if (idx == c->self && !r->echo_sent) {
    r->echo_sent = 1;
    gx_rbc_send_echo(r, c, epoch, sink);
  }
  return gx_rbc_progress(r, c, epoch, sink);
}

gx_rbc_res_t gx_rbc_on_ready(gx_rbc_t *r, gx_rbc_coder_t *c, uint64_t epoch, unsigned sender,
                             const gx_cmsg_t *m, const gx_cmsg_sink_t *sink) {
  if (r->ready_from >> sender & 1) return GX_RBC_DROP_DUP;
  r->ready_from |= 1ull << sender;
  r->ready_of[sender] = m->u.ready.root;
  return gx_rbc_progress(r, c, epoch, sink);
}
