/* gx_store_rec: the on-disk format of the black-hole log (docs/STORAGE.md
 * "Log format"), as pure encode/decode functions over caller buffers.
 *
 * A segment file is a 4096-byte segment header followed by records packed back
 * to back. A record is a 60-byte header (magic, version, flags, envelope length,
 * group number, height, block hash, header CRC32C), the envelope (caller's body,
 * tx hashes, account updates) and a CRC32C of everything before it. The group
 * number counts fdatasync groups: every record written by one sync carries the
 * same one, the next sync's records the next (recovery uses it to tell a torn
 * last group from corruption in an older, synced one). All integers are
 * little-endian. CRC32C is ISA-L crc32_iscsi (standard CRC-32C: init and final
 * xor 0xffffffff).
 *
 * Memory: callers own every buffer; a decoded record points into the buffer it
 * was decoded from (valid while that buffer is). Nothing allocates.
 * Threads: every function is pure and may be called from any thread.
 * Errors: decode functions return a gx_store_rec_status_t saying why bytes are
 * not a record; GX_STORE_REC_SHORT means "more bytes needed", which at the end
 * of a log is a torn tail. */
#ifndef GX_STORE_REC_H
#define GX_STORE_REC_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_hash.h"

#define GX_STORE_REC_MAGIC 0x31525847u /* "GXR1" */
#define GX_STORE_REC_VERSION 1
#define GX_STORE_REC_HDR_SZ 60u   /* record header, ends with its CRC32C */
#define GX_STORE_REC_ENV_HDR_SZ 16u /* body_len, tx_count, update_count, reserved */
#define GX_STORE_REC_OVERHEAD (GX_STORE_REC_HDR_SZ + GX_STORE_REC_ENV_HDR_SZ + 4u)
#define GX_STORE_UPDATE_SZ 80u    /* key[32] balance u64 seq u64 head[32] */
#define GX_STORE_MAX_BODY (16u << 20)   /* largest caller body: 16 MiB */
#define GX_STORE_MAX_TXS (1u << 20)
#define GX_STORE_MAX_UPDATES (1u << 20)

#define GX_STORE_SEG_HDR_SZ 4096u
#define GX_STORE_SEG_MAGIC "GXLOGSEG"
#define GX_STORE_SEG_VERSION 1

/* An account's state as stored: keyed by its 32-byte public key. */
typedef struct {
  uint64_t balance;
  uint64_t seq;
  gx_hash_t head; /* hash of the account's latest chain entry */
} gx_store_account_t;

/* New absolute state of one account after a block (re-applying it is idempotent). */
typedef struct {
  uint8_t key[32];
  gx_store_account_t state;
} gx_store_account_update_t;

/* What the caller hands to gx_store_append: the encoded Black Hole (opaque) and
 * what storage must index. Heights start at 1 and are consecutive. */
typedef struct {
  uint64_t height;
  gx_hash_t hash;
  const uint8_t *body;
  uint32_t body_len;
  const gx_hash_t *tx_hashes;
  uint32_t tx_count;
  const gx_store_account_update_t *updates;
  uint32_t update_count;
} gx_store_block_t;

/* A decoded record: pointers into the decoded buffer. tx hash i is the 32
 * bytes at tx_hashes + 32*i; update i is decoded by gx_store_rec_update(). */
typedef struct {
  uint64_t height;
  gx_hash_t hash;
  const uint8_t *body;
  uint32_t body_len;
  const uint8_t *tx_hashes;
  uint32_t tx_count;
  const uint8_t *updates;
  uint32_t update_count;
  uint32_t rec_len; /* whole record on disk, header to trailing CRC */
  uint32_t group;   /* fdatasync group number (wraps) */
} gx_store_rec_t;

typedef enum {
  GX_STORE_REC_OK = 0,
  GX_STORE_REC_SHORT,     /* buffer ends before the record does */
  GX_STORE_REC_BAD_MAGIC, /* not a record start (zeros: end of written data) */
  GX_STORE_REC_BAD_HDR,   /* header CRC, version, flags or reserved bits wrong */
  GX_STORE_REC_BAD_LEN,   /* envelope length out of bounds or inconsistent */
  GX_STORE_REC_BAD_CRC,   /* record CRC32C mismatch */
} gx_store_rec_status_t;

const char *gx_store_rec_strerror(gx_store_rec_status_t st);

/* CRC-32C (Castagnoli) of n bytes, via ISA-L. */
uint32_t gx_store_crc32c(const void *p, size_t n);

/* Bytes a block takes in the log, or 0 when it breaks a limit. */
uint64_t gx_store_rec_size(const gx_store_block_t *blk);
/* Encodes blk into out (exactly gx_store_rec_size(blk) bytes) as part of group. */
void gx_store_rec_encode(uint8_t *out, const gx_store_block_t *blk, uint32_t group);

/* Checks only the 60-byte header at p (len >= GX_STORE_REC_HDR_SZ needed, else
 * SHORT); on OK sets *rec_len and *group. Used to resynchronise when scanning. */
gx_store_rec_status_t gx_store_rec_check_header(const uint8_t *p, size_t len, uint32_t *rec_len,
                                                uint32_t *group);
/* Decodes and fully checks the record at the start of buf[len]. */
gx_store_rec_status_t gx_store_rec_decode(const uint8_t *buf, size_t len, gx_store_rec_t *out);
/* Update i (< rec->update_count) of a decoded record. */
void gx_store_rec_update(const gx_store_rec_t *rec, uint32_t i, gx_store_account_update_t *out);

/* Segment header. */
typedef struct {
  uint64_t index;        /* segment number, file name is %016llx.seg */
  uint64_t first_height; /* height of its first record */
  uint64_t segment_bytes;
} gx_store_seg_hdr_t;

void gx_store_seg_hdr_encode(uint8_t out[GX_STORE_SEG_HDR_SZ], const gx_store_seg_hdr_t *h);
/* 0 when buf[len] starts with a valid segment header, -1 otherwise. */
int gx_store_seg_hdr_decode(const uint8_t *buf, size_t len, gx_store_seg_hdr_t *out);

/* Scans a whole segment image (header + records) as recovery does: returns the
 * number of valid consecutive records starting at first_height (or at the
 * header's first height when first_height is 0), sets *end to the offset after
 * the last valid record and *status to why scanning stopped (OK: clean end of
 * image). -1 when the segment header is bad. */
long gx_store_seg_scan(const uint8_t *buf, size_t len, uint64_t first_height, size_t *end,
                       gx_store_rec_status_t *status);

#endif
