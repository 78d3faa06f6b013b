/* gx_chunk: objects larger than one datagram (LSH blocks, up to GX_LSH_MAX_SZ)
 * sent as erasure-coded chunks and rebuilt in fixed memory (docs/PROTOCOL.md
 * "Object chunks").
 *
 * An object is any byte string of 1..GX_CHUNK_MAX_OBJECT bytes named by a
 * 32-byte id (for an LSH block: its block id). The sender cuts it into D data
 * chunks of `chunk` bytes (the last one zero-padded), groups them k at a time
 * (the last group may be short) and adds m Reed-Solomon parity chunks to every
 * group: GF(2^8), ISA-L, the Cauchy matrix gf_gen_cauchy1_matrix(k + m, k),
 * whose top k rows are the identity (data chunks travel as they are). A short
 * last group is coded as if its missing data chunks were zero ("virtual"
 * chunks, never sent). Any k of a group's k + m chunks rebuild it (any r of a
 * short group's r + m, virtual ones counting as held).
 *
 * Datagram (type 0x23, GX_CHUNK_HDR_SZ + chunk bytes, at most 1472):
 *    0  version u8 = 1
 *    1  type u8 = 0x23 (GX_MSG_LSH_CHUNK)
 *    2  id 32            the object's id
 *   34  length u32       object bytes, 1..GX_CHUNK_MAX_OBJECT
 *   38  group u16        < groups = ceil(D / k), D = ceil(length / chunk)
 *   40  index u8         < k + m: 0..k-1 data chunk group*k + index (in the
 *                        last group only index < D - (groups-1)*k), k.. parity
 *   41  k u8             1..GX_CHUNK_MAX_K, and k <= D
 *   42  m u8             0..GX_CHUNK_MAX_M
 *   43  chunk u16        min(length, GX_CHUNK_MIN_CHUNK)..min(length,
 *                        GX_CHUNK_PAYLOAD_MAX)
 *   45  payload          exactly chunk bytes; a data chunk's bytes past the
 *                        object's end are zero
 * The decoder (gx_chunk_decode) is strict: wrong version/type, fields out of
 * range (GX_PROTO_ERR_RANGE), fewer or more bytes than chunk
 * (SHORT/TRAILING), non-zero padding in a data chunk (RESERVED); every chunk
 * has exactly one encoding. The id is not checked here: the caller checks the
 * rebuilt object (decodes it, recomputes its id) and tells the reassembler.
 *
 * Sender (gx_chunk_enc_t): parameters k (default 32), m (default 8 = k/4: a
 * group survives the loss of any 8 of its 40 chunks, 25% overhead) and chunk
 * (default GX_CHUNK_PAYLOAD_MAX, 1427). For a given object it uses chunk' =
 * min(chunk, length), k' = min(k, D), m' = ceil(m * k' / k)
 * (gx_chunk_shape). It emits chunk index 0 of every group, then index 1, ...:
 * data first, then parity, so a burst of losses is spread over the groups.
 * All parity is computed at gx_chunk_enc_start into memory sized at creation.
 *
 * Receiver (gx_chunk_rx_t): `slots` objects in flight of at most max_object
 * bytes each, plus a ring of `done` recently finished ids. Every datagram
 * handed to gx_chunk_rx_add gets one verdict, counted in gx_chunk_stats_t:
 *   ok            stored (a chunk the object still needed)
 *   complete      stored, and it completed the object: *out points at the
 *                 rebuilt bytes, valid until gx_chunk_rx_accept/_reject
 *   malformed     gx_chunk_decode failed (reason in *why and malformed_by[]),
 *                 or length above this reassembler's max_object (RANGE)
 *   duplicate     that (group, index) is already held
 *   inconsistent  length, chunk, k or m differ from the object's first chunk
 *   excess        its group is already rebuilt (a chunk beyond k of a group)
 *   done          the object completed (waiting for the caller, or accepted
 *                 and still in the done ring)
 *   rejected      the object's id is in the done ring as bad
 *   full          a new object, but every slot holds a completed object the
 *                 caller has not accepted or rejected yet
 *   corrupt       it completed the object but the rebuilt padding is not
 *                 zero (a bad parity chunk): the object is dropped and its id
 *                 remembered as bad, as if the caller had rejected it
 * A chunk of a new object takes a free slot, else the least recently touched
 * slot still filling (touched = a chunk stored in it; that object is counted
 * evicted and forgotten). Parity chunks wait in the place of missing data
 * chunks, so a slot needs only the object's own bytes; a group is rebuilt as
 * soon as it holds enough chunks (only the parity rows x missing columns of
 * the code are inverted, then one ec_encode_data pass). The
 * caller accepts (id remembered as done) or rejects (remembered as bad) each
 * completed object, which frees its slot. A sender can at worst hold filling
 * slots until they are evicted, or make an id look bad (a forged chunk under a
 * real id) until it leaves the ring or the caller forgets it
 * (gx_chunk_rx_forget); chunk authenticity is the transport's job.
 *
 * Memory: gx_chunk_*_new allocates everything (gx_chunk_*_footprint bytes);
 * nothing allocates after. The encoder reads the caller's object in place from
 * gx_chunk_enc_start until the last datagram is taken: the caller keeps it
 * alive and unchanged meanwhile. A completed object lives in the reassembler.
 * Threads: gx_chunk_decode/encode/shape and the labels are pure, any thread;
 * an encoder or a reassembler belongs to one thread at a time.
 * Errors: gx_proto_err_t for datagrams; the _new functions return NULL for
 * bad parameters or no memory; other calls return 0/-1 as documented. */
#ifndef GX_CHUNK_H
#define GX_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_hash.h"
#include "core/gx_lsh.h"
#include "core/gx_proto.h"

#define GX_MSG_LSH_CHUNK 0x23
#define GX_CHUNK_HDR_SZ 45
#define GX_CHUNK_PAYLOAD_MAX (GX_UDP_PAYLOAD_MAX - GX_CHUNK_HDR_SZ) /* 1427 */
#define GX_CHUNK_MIN_CHUNK 512        /* smallest chunk of an object of >= 512 bytes */
#define GX_CHUNK_MAX_OBJECT 2410000u  /* >= GX_LSH_MAX_SZ (2,382,910) */
#define GX_CHUNK_MAX_K 32
#define GX_CHUNK_MAX_M 32
#define GX_CHUNK_DEFAULT_K 32
#define GX_CHUNK_DEFAULT_M 8
#define GX_CHUNK_MAX_SLOTS 64
#define GX_CHUNK_MAX_DONE 4096

_Static_assert(GX_CHUNK_MAX_OBJECT >= GX_LSH_MAX_SZ, "an LSH block must fit one object");
_Static_assert(GX_CHUNK_MAX_K + GX_CHUNK_MAX_M <= 64, "a group's chunks fit a 64-bit mask");

/* One decoded datagram; payload points into the input. */
typedef struct {
  gx_hash_t id;
  uint32_t len;     /* object length */
  uint16_t group;
  uint8_t index;
  uint8_t k, m;
  uint16_t chunk;   /* payload bytes */
  const uint8_t *payload;
} gx_chunk_t;

gx_proto_err_t gx_chunk_decode(gx_chunk_t *c, const uint8_t *buf, size_t len);
/* Writes c (its payload: c->chunk bytes) into out[cap]; returns the datagram's
 * length, 0 when c breaks a rule the decoder checks or cap is short. */
size_t gx_chunk_encode(uint8_t *out, size_t cap, const gx_chunk_t *c);

/* How a sender with parameters (chunk, k, m) cuts an object of len bytes. */
typedef struct {
  uint32_t len;
  uint16_t chunk;       /* min(chunk, len) */
  uint8_t k, m;         /* min(k, data), ceil(m * k' / k) */
  uint32_t data;        /* D = ceil(len / chunk') */
  uint32_t groups;      /* ceil(D / k') */
  uint32_t datagrams;   /* D + groups * m' */
} gx_chunk_shape_t;
/* 0, or -1 when len is 0 or above GX_CHUNK_MAX_OBJECT, k not in
 * 1..GX_CHUNK_MAX_K, m above GX_CHUNK_MAX_M, or chunk not in
 * GX_CHUNK_MIN_CHUNK..GX_CHUNK_PAYLOAD_MAX. */
int gx_chunk_shape(gx_chunk_shape_t *s, uint32_t len, uint16_t chunk, uint8_t k, uint8_t m);

/* ---- sender ---------------------------------------------------------------- */
typedef struct gx_chunk_enc gx_chunk_enc_t;

/* chunk 0 means GX_CHUNK_PAYLOAD_MAX. NULL/0 on a parameter out of range
 * (max_object 1..GX_CHUNK_MAX_OBJECT, k, m, chunk as gx_chunk_shape). */
size_t gx_chunk_enc_footprint(uint32_t max_object, uint8_t k, uint8_t m, uint16_t chunk);
gx_chunk_enc_t *gx_chunk_enc_new(uint32_t max_object, uint8_t k, uint8_t m, uint16_t chunk);
void gx_chunk_enc_delete(gx_chunk_enc_t *e);
/* Starts an object (any earlier one is dropped) and computes its parity;
 * returns how many datagrams it makes, 0 when len is 0 or above max_object. */
uint32_t gx_chunk_enc_start(gx_chunk_enc_t *e, const gx_hash_t *id, const uint8_t *obj,
                            uint32_t len);
/* The started object's shape. */
const gx_chunk_shape_t *gx_chunk_enc_shape(const gx_chunk_enc_t *e);
/* The next datagram into out; returns its length, 0 once all were given. */
size_t gx_chunk_enc_next(gx_chunk_enc_t *e, uint8_t out[GX_UDP_PAYLOAD_MAX]);
/* Datagram (group, index) of the started object (a re-send), any order;
 * 0 when there is no such chunk. */
size_t gx_chunk_enc_get(gx_chunk_enc_t *e, uint32_t group, uint32_t index,
                        uint8_t out[GX_UDP_PAYLOAD_MAX]);

/* ---- receiver -------------------------------------------------------------- */
typedef enum {
  GX_CHUNK_OK = 0,
  GX_CHUNK_COMPLETE,
  GX_CHUNK_MALFORMED,
  GX_CHUNK_DUPLICATE,
  GX_CHUNK_INCONSISTENT,
  GX_CHUNK_EXCESS,
  GX_CHUNK_DONE,
  GX_CHUNK_REJECTED,
  GX_CHUNK_FULL,
  GX_CHUNK_CORRUPT,
  GX_CHUNK__COUNT
} gx_chunk_verdict_t;
/* Stable snake_case label ("inconsistent"); "unknown" out of range. */
const char *gx_chunk_verdict_label(gx_chunk_verdict_t v);

typedef struct {
  uint64_t chunks[GX_CHUNK__COUNT];             /* datagrams by verdict */
  uint64_t malformed_by[GX_PROTO_ERR__COUNT];   /* malformed ones by reason */
  uint64_t completed;  /* objects rebuilt and handed to the caller */
  uint64_t accepted;   /* ... that the caller accepted */
  uint64_t rejected;   /* ... that the caller rejected, plus corrupt ones */
  uint64_t evicted;    /* objects dropped unfinished to make room */
} gx_chunk_stats_t;

/* A completed object: valid until gx_chunk_rx_accept or _reject on it. */
typedef struct {
  gx_hash_t id;
  const uint8_t *data;
  uint32_t len;
  uint32_t slot;
} gx_chunk_obj_t;

typedef struct gx_chunk_rx gx_chunk_rx_t;

/* slots 1..GX_CHUNK_MAX_SLOTS, max_object 1..GX_CHUNK_MAX_OBJECT, done
 * 1..GX_CHUNK_MAX_DONE; 0/NULL otherwise. About 80 KB + slots x (max_object
 * x 1.02 + 1.4 KB) bytes: 4 slots of GX_CHUNK_MAX_OBJECT take 9.9 MB. */
size_t gx_chunk_rx_footprint(uint32_t slots, uint32_t max_object, uint32_t done);
gx_chunk_rx_t *gx_chunk_rx_new(uint32_t slots, uint32_t max_object, uint32_t done);
void gx_chunk_rx_delete(gx_chunk_rx_t *r);

/* One datagram of len bytes (read only, never past len). On GX_CHUNK_COMPLETE
 * *out describes the object; on GX_CHUNK_MALFORMED *why (optional) gets the
 * reason, else GX_PROTO_OK. */
gx_chunk_verdict_t gx_chunk_rx_add(gx_chunk_rx_t *r, const uint8_t *buf, size_t len,
                                   gx_chunk_obj_t *out, gx_proto_err_t *why);
/* The caller's verdict on a completed object: frees its slot and remembers
 * its id in the done ring as good (accept) or bad (reject). -1 when o is not
 * a completed object still held. */
int gx_chunk_rx_accept(gx_chunk_rx_t *r, const gx_chunk_obj_t *o);
int gx_chunk_rx_reject(gx_chunk_rx_t *r, const gx_chunk_obj_t *o);
/* Removes id from the done ring (its chunks start a new object again);
 * 1 when it was there. */
int gx_chunk_rx_forget(gx_chunk_rx_t *r, const gx_hash_t *id);
const gx_chunk_stats_t *gx_chunk_rx_stats(const gx_chunk_rx_t *r);

#endif
