/* gx_cmsg: strict encode/decode of consensus datagrams (see gx_cmsg.h). */
#include "consensus/gx_cmsg.h"

#include "core/gx_util.h"

#include <string.h>

#define GX_CMSG_FRAG_FIXED (GX_CMSG_HDR + 32 + 1 + 1 + 4 + 4 + 2)

static const char *const gx_cmsg_errs[GX_CMSG_ERR_COUNT] = {
  [GX_CMSG_OK] = "ok",
  [GX_CMSG_ERR_SHORT] = "datagram too short",
  [GX_CMSG_ERR_VERSION] = "unknown protocol version",
  [GX_CMSG_ERR_TYPE] = "not a consensus message type",
  [GX_CMSG_ERR_LENGTH] = "length mismatch or trailing bytes",
  [GX_CMSG_ERR_RANGE] = "field out of range or not canonical",
};

const char *gx_cmsg_strerror(gx_cmsg_err_t err) {
  return (unsigned)err < GX_CMSG_ERR_COUNT ? gx_cmsg_errs[err] : "unknown error";
}

const char *gx_cmsg_type_name(unsigned type) {
  switch (type) {
  case GX_CMSG_RBC_VAL: return "VAL";
  case GX_CMSG_RBC_ECHO: return "ECHO";
  case GX_CMSG_RBC_READY: return "READY";
  case GX_CMSG_BA_BVAL: return "BVAL";
  case GX_CMSG_BA_AUX: return "AUX";
  case GX_CMSG_BA_CONF: return "CONF";
  case GX_CMSG_BA_TERM: return "TERM";
  case GX_CMSG_COIN: return "COIN";
  default: return "?";
  }
}

static void gx_cmsg_hdr(uint8_t *out, uint8_t type, uint64_t epoch, uint16_t instance) {
  out[0] = GX_CMSG_VERSION;
  out[1] = type;
  gx_st64(out + 2, epoch);
  gx_st16(out + 10, instance);
}

gx_cmsg_err_t gx_cmsg_decode(gx_cmsg_t *m, const uint8_t *buf, size_t len) {
  memset(m, 0, sizeof *m);
  if (len < GX_CMSG_HDR) return GX_CMSG_ERR_SHORT;
  if (len > GX_CMSG_MAX) return GX_CMSG_ERR_LENGTH;
  if (buf[0] != GX_CMSG_VERSION) return GX_CMSG_ERR_VERSION;
  m->type = buf[1];
  m->epoch = gx_ld64(buf + 2);
  m->instance = gx_ld16(buf + 10);
  if (m->type < GX_CMSG_RBC_VAL || m->type > GX_CMSG_COIN) return GX_CMSG_ERR_TYPE;
  if (m->instance >= GX_CONS_MAX_N) return GX_CMSG_ERR_RANGE;
  const uint8_t *p = buf + GX_CMSG_HDR;
  size_t body = len - GX_CMSG_HDR;
  switch (m->type) {
  case GX_CMSG_RBC_VAL:
  case GX_CMSG_RBC_ECHO: {
    if (len < GX_CMSG_FRAG_FIXED) return GX_CMSG_ERR_SHORT;
    memcpy(m->u.frag.root.b, p, 32);
    m->u.frag.stripe_index = p[32];
    m->u.frag.branch_len = p[33];
    m->u.frag.stripe_len = gx_ld32(p + 34);
    m->u.frag.frag_off = gx_ld32(p + 38);
    m->u.frag.frag_len = gx_ld16(p + 42);
    if (m->u.frag.stripe_index >= GX_CONS_MAX_N) return GX_CMSG_ERR_RANGE;
    if (m->u.frag.branch_len > GX_CMSG_MAX_BRANCH) return GX_CMSG_ERR_RANGE;
    uint32_t sl = m->u.frag.stripe_len, off = m->u.frag.frag_off;
    if (sl == 0 || sl > GX_CMSG_MAX_STRIPE) return GX_CMSG_ERR_RANGE;
    if (off % GX_CMSG_FRAG != 0 || off >= sl) return GX_CMSG_ERR_RANGE;
    if (m->u.frag.frag_len != gx_cmsg_frag_len(sl, off)) return GX_CMSG_ERR_RANGE;
    size_t need = (size_t)GX_CMSG_FRAG_FIXED + 32u * m->u.frag.branch_len + m->u.frag.frag_len;
    if (len < need) return GX_CMSG_ERR_SHORT;
    if (len != need) return GX_CMSG_ERR_LENGTH;
    m->u.frag.branch = p + 44;
    m->u.frag.data = p + 44 + 32u * m->u.frag.branch_len;
    return GX_CMSG_OK;
  }
  case GX_CMSG_RBC_READY:
    if (body < 32) return GX_CMSG_ERR_SHORT;
    if (body != 32) return GX_CMSG_ERR_LENGTH;
    memcpy(m->u.ready.root.b, p, 32);
    return GX_CMSG_OK;
  case GX_CMSG_BA_BVAL:
  case GX_CMSG_BA_AUX:
  case GX_CMSG_BA_CONF:
  case GX_CMSG_BA_TERM:
    if (body < 3) return GX_CMSG_ERR_SHORT;
    if (body != 3) return GX_CMSG_ERR_LENGTH;
    m->u.vote.round = gx_ld16(p);
    m->u.vote.value = p[2];
    if (m->u.vote.round > GX_CMSG_MAX_ROUND) return GX_CMSG_ERR_RANGE;
    if (m->type == GX_CMSG_BA_CONF) {
      if (m->u.vote.value < 1 || m->u.vote.value > 3) return GX_CMSG_ERR_RANGE;
    } else if (m->u.vote.value > 1) {
      return GX_CMSG_ERR_RANGE;
    }
    if (m->type == GX_CMSG_BA_TERM && m->u.vote.round != 0) return GX_CMSG_ERR_RANGE;
    return GX_CMSG_OK;
  case GX_CMSG_COIN:
    if (body < 2 + 96) return GX_CMSG_ERR_SHORT;
    if (body != 2 + 96) return GX_CMSG_ERR_LENGTH;
    m->u.coin.round = gx_ld16(p);
    if (m->u.coin.round > GX_CMSG_MAX_ROUND) return GX_CMSG_ERR_RANGE;
    memcpy(m->u.coin.share, p + 2, 32);
    memcpy(m->u.coin.c, p + 34, 32);
    memcpy(m->u.coin.z, p + 66, 32);
    return GX_CMSG_OK;
  default:
    return GX_CMSG_ERR_TYPE;
  }
}

size_t gx_cmsg_encode_frag(uint8_t *out, uint8_t type, uint64_t epoch, uint16_t instance,
                           const gx_hash_t *root, uint8_t stripe_index, const gx_hash_t *branch,
                           uint8_t branch_len, uint32_t stripe_len, uint32_t frag_off,
                           const uint8_t *frag_data) {
  if ((type != GX_CMSG_RBC_VAL && type != GX_CMSG_RBC_ECHO) || instance >= GX_CONS_MAX_N ||
      stripe_index >= GX_CONS_MAX_N || branch_len > GX_CMSG_MAX_BRANCH || stripe_len == 0 ||
      stripe_len > GX_CMSG_MAX_STRIPE || frag_off % GX_CMSG_FRAG || frag_off >= stripe_len)
    return 0;
  uint32_t fl = gx_cmsg_frag_len(stripe_len, frag_off);
  gx_cmsg_hdr(out, type, epoch, instance);
  uint8_t *p = out + GX_CMSG_HDR;
  memcpy(p, root->b, 32);
  p[32] = stripe_index;
  p[33] = branch_len;
  gx_st32(p + 34, stripe_len);
  gx_st32(p + 38, frag_off);
  gx_st16(p + 42, (uint16_t)fl);
  for (unsigned i = 0; i < branch_len; i++) memcpy(p + 44 + 32 * i, branch[i].b, 32);
  memcpy(p + 44 + 32u * branch_len, frag_data, fl);
  return (size_t)GX_CMSG_FRAG_FIXED + 32u * branch_len + fl;
}

size_t gx_cmsg_encode_ready(uint8_t *out, uint64_t epoch, uint16_t instance,
                            const gx_hash_t *root) {
  if (instance >= GX_CONS_MAX_N) return 0;
  gx_cmsg_hdr(out, GX_CMSG_RBC_READY, epoch, instance);
  memcpy(out + GX_CMSG_HDR, root->b, 32);
  return GX_CMSG_HDR + 32;
}

size_t gx_cmsg_encode_vote(uint8_t *out, uint8_t type, uint64_t epoch, uint16_t instance,
                           uint16_t round, uint8_t value) {
  if (type < GX_CMSG_BA_BVAL || type > GX_CMSG_BA_TERM || instance >= GX_CONS_MAX_N ||
      round > GX_CMSG_MAX_ROUND)
    return 0;
  if (type == GX_CMSG_BA_CONF ? (value < 1 || value > 3) : value > 1) return 0;
  if (type == GX_CMSG_BA_TERM && round) return 0;
  gx_cmsg_hdr(out, type, epoch, instance);
  gx_st16(out + GX_CMSG_HDR, round);
  out[GX_CMSG_HDR + 2] = value;
  return GX_CMSG_HDR + 3;
}

size_t gx_cmsg_encode_coin(uint8_t *out, uint64_t epoch, uint16_t instance, uint16_t round,
                           const uint8_t share[32], const uint8_t c[32], const uint8_t z[32]) {
  if (instance >= GX_CONS_MAX_N || round > GX_CMSG_MAX_ROUND) return 0;
  gx_cmsg_hdr(out, GX_CMSG_COIN, epoch, instance);
  uint8_t *p = out + GX_CMSG_HDR;
  gx_st16(p, round);
  memcpy(p + 2, share, 32);
  memcpy(p + 34, c, 32);
  memcpy(p + 66, z, 32);
  return GX_CMSG_HDR + 2 + 96;
}
