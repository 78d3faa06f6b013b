/* libFuzzer target: the log-record decoder and the segment scanner recovery
 * runs, over untrusted bytes (a damaged or hostile data directory).
 * Input: [1 byte mode][bytes]. Mode bit 0 clear: the bytes are one record;
 * a record that decodes must re-encode to the same bytes. Mode bit 0 set: the
 * bytes follow a valid segment header and are scanned as a segment image;
 * the scan must stop inside the image on a record boundary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/gx_store_rec.h"

static gx_store_account_update_t fz_upd[1024];
static uint8_t fz_img[GX_STORE_SEG_HDR_SZ + 70000];
static uint8_t fz_re[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 65536) return 0;
  uint8_t mode = data[0];
  data++;
  size--;
  if (!(mode & 1)) {
    gx_store_rec_t rec;
    if (gx_store_rec_decode(data, size, &rec) != GX_STORE_REC_OK) return 0;
    if (rec.rec_len > size || rec.update_count > 1024) abort();
    for (uint32_t i = 0; i < rec.update_count; i++) gx_store_rec_update(&rec, i, &fz_upd[i]);
    gx_store_block_t blk = {.height = rec.height, .hash = rec.hash, .body = rec.body,
                            .body_len = rec.body_len, .tx_hashes = (const gx_hash_t *)rec.tx_hashes,
                            .tx_count = rec.tx_count, .updates = fz_upd,
                            .update_count = rec.update_count};
    if (gx_store_rec_size(&blk) != rec.rec_len) abort();
    gx_store_rec_encode(fz_re, &blk, rec.group);
    if (memcmp(fz_re, data, rec.rec_len) != 0) abort();
    return 0;
  }
  gx_store_seg_hdr_t h = {.index = 0, .first_height = 1, .segment_bytes = 1u << 30};
  gx_store_seg_hdr_encode(fz_img, &h);
  memcpy(fz_img + GX_STORE_SEG_HDR_SZ, data, size);
  size_t end = 0;
  gx_store_rec_status_t st;
  long n = gx_store_seg_scan(fz_img, GX_STORE_SEG_HDR_SZ + size, 0, &end, &st);
  if (n < 0 || end < GX_STORE_SEG_HDR_SZ || end > GX_STORE_SEG_HDR_SZ + size) abort();
  if (st == GX_STORE_REC_OK && end != GX_STORE_SEG_HDR_SZ + size) abort();
  /* a damaged header is rejected */
  fz_img[mode % GX_STORE_SEG_HDR_SZ] ^= 0x40;
  if (gx_store_seg_scan(fz_img, GX_STORE_SEG_HDR_SZ + size, 0, &end, &st) != -1) abort();
  return 0;
}
