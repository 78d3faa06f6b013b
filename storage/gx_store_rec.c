#include "storage/gx_store_rec.h"

#include <isa-l/crc.h>
#include <string.h>

#include "core/gx_util.h"

const char *gx_store_rec_strerror(gx_store_rec_status_t st) {
  switch (st) {
  case GX_STORE_REC_OK: return "ok";
  case GX_STORE_REC_SHORT: return "record cut short";
  case GX_STORE_REC_BAD_MAGIC: return "bad record magic";
  case GX_STORE_REC_BAD_HDR: return "bad record header";
  case GX_STORE_REC_BAD_LEN: return "bad record length";
  case GX_STORE_REC_BAD_CRC: return "record CRC32C mismatch";
  }
  return "unknown record status";
}

uint32_t gx_store_crc32c(const void *p, size_t n) {
  uint32_t crc = 0xffffffffu;
  const unsigned char *b = p;
  while (n > 0) { /* crc32_iscsi takes an int length */
    int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
    crc = crc32_iscsi((unsigned char *)b, chunk, crc);
    b += chunk;
    n -= (size_t)chunk;
  }
  return crc ^ 0xffffffffu;
}

uint64_t gx_store_rec_size(const gx_store_block_t *blk) {
  if (blk->body_len > GX_STORE_MAX_BODY || blk->tx_count > GX_STORE_MAX_TXS ||
      blk->update_count > GX_STORE_MAX_UPDATES)
    return 0;
  return (uint64_t)GX_STORE_REC_OVERHEAD + blk->body_len + 32ull * blk->tx_count +
         (uint64_t)GX_STORE_UPDATE_SZ * blk->update_count;
}

void gx_store_rec_encode(uint8_t *out, const gx_store_block_t *blk, uint32_t group) {
  uint64_t total = gx_store_rec_size(blk);
  uint32_t env_len = (uint32_t)(total - GX_STORE_REC_HDR_SZ - 4);
  gx_st32(out, GX_STORE_REC_MAGIC);
  gx_st16(out + 4, GX_STORE_REC_VERSION);
  gx_st16(out + 6, 0);
  gx_st32(out + 8, env_len);
  gx_st32(out + 12, group);
  gx_st64(out + 16, blk->height);
  memcpy(out + 24, blk->hash.b, 32);
  gx_st32(out + 56, gx_store_crc32c(out, 56));
  uint8_t *e = out + GX_STORE_REC_HDR_SZ;
  gx_st32(e, blk->body_len);
  gx_st32(e + 4, blk->tx_count);
  gx_st32(e + 8, blk->update_count);
  gx_st32(e + 12, 0);
  e += GX_STORE_REC_ENV_HDR_SZ;
  if (blk->body_len) memcpy(e, blk->body, blk->body_len);
  e += blk->body_len;
  if (blk->tx_count) memcpy(e, blk->tx_hashes, 32ull * blk->tx_count);
  e += 32ull * blk->tx_count;
  for (uint32_t i = 0; i < blk->update_count; i++, e += GX_STORE_UPDATE_SZ) {
    const gx_store_account_update_t *u = &blk->updates[i];
    memcpy(e, u->key, 32);
    gx_st64(e + 32, u->state.balance);
    gx_st64(e + 40, u->state.seq);
    memcpy(e + 48, u->state.head.b, 32);
  }
  gx_st32(e, gx_store_crc32c(out, (size_t)(e - out)));
}

gx_store_rec_status_t gx_store_rec_check_header(const uint8_t *p, size_t len, uint32_t *rec_len,
                                                uint32_t *group) {
  if (len < 4) return GX_STORE_REC_SHORT;
  if (gx_ld32(p) != GX_STORE_REC_MAGIC) return GX_STORE_REC_BAD_MAGIC;
  if (len < GX_STORE_REC_HDR_SZ) return GX_STORE_REC_SHORT;
  if (gx_ld32(p + 56) != gx_store_crc32c(p, 56)) return GX_STORE_REC_BAD_HDR;
  if (gx_ld16(p + 4) != GX_STORE_REC_VERSION || gx_ld16(p + 6) != 0) return GX_STORE_REC_BAD_HDR;
  uint32_t env_len = gx_ld32(p + 8);
  uint64_t max_env = GX_STORE_REC_ENV_HDR_SZ + (uint64_t)GX_STORE_MAX_BODY +
                     32ull * GX_STORE_MAX_TXS + (uint64_t)GX_STORE_UPDATE_SZ * GX_STORE_MAX_UPDATES;
  if (env_len < GX_STORE_REC_ENV_HDR_SZ || env_len > max_env) return GX_STORE_REC_BAD_LEN;
  *rec_len = env_len + GX_STORE_REC_HDR_SZ + 4;
  *group = gx_ld32(p + 12);
  return GX_STORE_REC_OK;
}

gx_store_rec_status_t gx_store_rec_decode(const uint8_t *buf, size_t len, gx_store_rec_t *out) {
  uint32_t rec_len, group;
  gx_store_rec_status_t st = gx_store_rec_check_header(buf, len, &rec_len, &group);
  if (st != GX_STORE_REC_OK) return st;
  if (len < rec_len) return GX_STORE_REC_SHORT;
  if (gx_ld32(buf + rec_len - 4) != gx_store_crc32c(buf, rec_len - 4)) return GX_STORE_REC_BAD_CRC;
  const uint8_t *e = buf + GX_STORE_REC_HDR_SZ;
  uint32_t env_len = rec_len - GX_STORE_REC_HDR_SZ - 4;
  uint32_t body_len = gx_ld32(e), tx_count = gx_ld32(e + 4), update_count = gx_ld32(e + 8);
  if (gx_ld32(e + 12) != 0 || body_len > GX_STORE_MAX_BODY || tx_count > GX_STORE_MAX_TXS ||
      update_count > GX_STORE_MAX_UPDATES)
    return GX_STORE_REC_BAD_LEN;
  uint64_t want = GX_STORE_REC_ENV_HDR_SZ + (uint64_t)body_len + 32ull * tx_count +
                  (uint64_t)GX_STORE_UPDATE_SZ * update_count;
  if (want != env_len) return GX_STORE_REC_BAD_LEN;
  out->height = gx_ld64(buf + 16);
  memcpy(out->hash.b, buf + 24, 32);
  e += GX_STORE_REC_ENV_HDR_SZ;
  out->body = e;
  out->body_len = body_len;
  out->tx_hashes = e + body_len;
  out->tx_count = tx_count;
  out->updates = out->tx_hashes + 32ull * tx_count;
  out->update_count = update_count;
  out->rec_len = rec_len;
  out->group = group;
  return GX_STORE_REC_OK;
}

void gx_store_rec_update(const gx_store_rec_t *rec, uint32_t i, gx_store_account_update_t *out) {
  const uint8_t *u = rec->updates + (size_t)GX_STORE_UPDATE_SZ * i;
  memcpy(out->key, u, 32);
  out->state.balance = gx_ld64(u + 32);
  out->state.seq = gx_ld64(u + 40);
  memcpy(out->state.head.b, u + 48, 32);
}

void gx_store_seg_hdr_encode(uint8_t out[GX_STORE_SEG_HDR_SZ], const gx_store_seg_hdr_t *h) {
  memset(out, 0, GX_STORE_SEG_HDR_SZ);
  memcpy(out, GX_STORE_SEG_MAGIC, 8);
  gx_st32(out + 8, GX_STORE_SEG_VERSION);
  gx_st64(out + 16, h->index);
  gx_st64(out + 24, h->first_height);
  gx_st64(out + 32, h->segment_bytes);
  gx_st32(out + GX_STORE_SEG_HDR_SZ - 4, gx_store_crc32c(out, GX_STORE_SEG_HDR_SZ - 4));
}

int gx_store_seg_hdr_decode(const uint8_t *buf, size_t len, gx_store_seg_hdr_t *out) {
  if (len < GX_STORE_SEG_HDR_SZ) return -1;
  if (memcmp(buf, GX_STORE_SEG_MAGIC, 8) != 0) return -1;
  if (gx_ld32(buf + GX_STORE_SEG_HDR_SZ - 4) != gx_store_crc32c(buf, GX_STORE_SEG_HDR_SZ - 4))
    return -1;
  if (gx_ld32(buf + 8) != GX_STORE_SEG_VERSION || gx_ld32(buf + 12) != 0) return -1;
  out->index = gx_ld64(buf + 16);
  out->first_height = gx_ld64(buf + 24);
  out->segment_bytes = gx_ld64(buf + 32);
  if (out->first_height == 0) return -1;
  return 0;
}

long gx_store_seg_scan(const uint8_t *buf, size_t len, uint64_t first_height, size_t *end,
                       gx_store_rec_status_t *status) {
  gx_store_seg_hdr_t h;
  if (gx_store_seg_hdr_decode(buf, len, &h) != 0) return -1;
  uint64_t want = first_height ? first_height : h.first_height;
  size_t off = GX_STORE_SEG_HDR_SZ;
  long n = 0;
  *status = GX_STORE_REC_OK;
  while (off < len) {
    gx_store_rec_t rec;
    gx_store_rec_status_t st = gx_store_rec_decode(buf + off, len - off, &rec);
    if (st == GX_STORE_REC_OK && rec.height != want) st = GX_STORE_REC_BAD_HDR;
    if (st != GX_STORE_REC_OK) {
      *status = st;
      break;
    }
    off += rec.rec_len;
    want++;
    n++;
  }
  *end = off;
  return n;
}
