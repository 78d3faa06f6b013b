/* gx_proto: the wire protocol (docs/PROTOCOL.md is the byte-exact reference).
 *
 * Every message starts with a version byte (GX_PROTO_VERSION) and a type byte.
 * All integers are little endian. Decoders are strict: unknown version or type,
 * wrong length, trailing bytes and non-canonical values are rejected with a
 * gx_proto_err_t reason; a rejected input never changes the output struct in a
 * way the caller may rely on. Decoders never allocate and never read past len.
 *
 * Objects: the transfer (290 bytes, signed by both parties), the initiator's
 * half (186 bytes, what `star pay` makes), the transaction batch datagram
 * (<= 1472 bytes), the Black Hole (header + body, HyloChain: the previous
 * black hole hash is entry 0), and peer messages. The LSH block (type 0x22,
 * a Star Cluster's block) has its own codec, core/gx_lsh.h.
 * Types 0x40..0x7F are consensus messages (consensus/, docs/CONSENSUS.md).
 *
 * Memory: callers own every buffer; decoders that return pointers return
 * pointers into the caller's input (zero copy), valid while that input lives.
 * Threads: all functions are pure and may be called from any thread.
 * Signing and verifying need sodium_init() to have been called once. */
#ifndef GX_PROTO_H
#define GX_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_hash.h"

#define GX_PROTO_VERSION 1
#define GX_UDP_PAYLOAD_MAX 1472

enum {
  GX_MSG_TRANSFER = 0x01,
  GX_MSG_TRANSFER_HALF = 0x02,
  GX_MSG_TX_BATCH = 0x10,
  GX_MSG_BLACKHOLE = 0x20,
  GX_MSG_LSH = 0x22,           /* LSH block, core/gx_lsh.h */
  GX_MSG_HELLO = 0x30,
  GX_MSG_BH_ANNOUNCE = 0x31,
  GX_MSG_SYNC_REQ = 0x32,
  GX_MSG_CONSENSUS_FIRST = 0x40,
  GX_MSG_CONSENSUS_LAST = 0x7F,
};

typedef enum {
  GX_PROTO_OK = 0,
  GX_PROTO_ERR_SHORT,      /* fewer bytes than the message needs            */
  GX_PROTO_ERR_TRAILING,   /* bytes left after the message                  */
  GX_PROTO_ERR_VERSION,    /* version byte is not GX_PROTO_VERSION          */
  GX_PROTO_ERR_TYPE,       /* type byte unknown or not the expected one     */
  GX_PROTO_ERR_COUNT,      /* element count zero or above its maximum       */
  GX_PROTO_ERR_AMOUNT,     /* amount zero or above GX_AMOUNT_MAX            */
  GX_PROTO_ERR_SEQ,        /* sequence number zero or above GX_SEQ_MAX      */
  GX_PROTO_ERR_PREV,       /* prev hash must be zero iff seq == 1           */
  GX_PROTO_ERR_SELF,       /* initiator == counterparty                     */
  GX_PROTO_ERR_RESERVED,   /* a reserved field is not zero                  */
  GX_PROTO_ERR_RANGE,      /* another field outside its documented range    */
  GX_PROTO_ERR_ENTRY,      /* black hole entry 0 differs from header prev   */
  GX_PROTO_ERR_BUFSZ,      /* encoder: output buffer too small              */
  GX_PROTO_ERR__COUNT
} gx_proto_err_t;

/* Human text ("trailing bytes after the message"). */
const char *gx_proto_strerror(gx_proto_err_t err);
/* Stable snake_case label for metrics ("trailing"). */
const char *gx_proto_err_label(gx_proto_err_t err);

#define GX_PUBKEY_SZ 32
#define GX_SIG_SZ 64
#define GX_AMOUNT_MAX ((uint64_t)1 << 62)
#define GX_SEQ_MAX ((uint64_t)1 << 62)

typedef struct { uint8_t b[GX_PUBKEY_SZ]; } gx_pubkey_t;
typedef struct { uint8_t b[GX_SIG_SZ]; } gx_sig_t;

/* One party's link into its own chain: its sequence number for this
 * transaction and the hash of its previous transaction (zero at seq 1). */
typedef struct {
  uint64_t seq;
  gx_hash_t prev;
} gx_chain_link_t;

/* ---- transfer ------------------------------------------------------------ */
#define GX_XFER_SZ 290
#define GX_XFER_HALF_SZ 186
/* Where an encoded transfer keeps the fields the ingest and the mempool's
 * admission gate read in place: the initiator key (32 bytes) and the
 * initiator's sequence number (u64 LE). */
#define GX_XFER_OFF_INITIATOR 2
#define GX_XFER_OFF_INIT_SEQ 74

typedef struct {
  gx_pubkey_t initiator;
  gx_pubkey_t counterparty;
  uint64_t amount;          /* moved from initiator to counterparty */
  gx_chain_link_t init_link;
  uint64_t nonce;
  gx_sig_t init_sig;        /* over gx_xfer_init_digest */
  gx_chain_link_t cp_link;  /* absent (zero) in a half   */
  gx_sig_t cp_sig;          /* over gx_xfer_cp_digest; absent in a half */
} gx_xfer_t;

void gx_xfer_encode(const gx_xfer_t *x, uint8_t out[GX_XFER_SZ]);
gx_proto_err_t gx_xfer_decode(gx_xfer_t *x, const uint8_t *buf, size_t len);
/* gx_xfer_decode's verdict without copying anything out (the ingest hot path:
 * about a tenth of the cost). Same reasons, same order. */
gx_proto_err_t gx_xfer_check(const uint8_t *buf, size_t len);
/* The initiator's half: fields up to and including init_sig. */
void gx_xfer_half_encode(const gx_xfer_t *x, uint8_t out[GX_XFER_HALF_SZ]);
gx_proto_err_t gx_xfer_half_decode(gx_xfer_t *x, const uint8_t *buf, size_t len);

/* Transaction id: H(TX, the 290 encoded bytes). */
void gx_xfer_id(gx_hash_t *id, const uint8_t enc[GX_XFER_SZ]);
/* What each party signs (ed25519 over these 32 bytes):
 *  initiator:    H(SIG_INIT, enc[2..122))  its half without the signature
 *  counterparty: H(SIG_CP,   enc[2..226))  the initiator's half, its signature
 *                                          included, plus its own link */
void gx_xfer_init_digest(gx_hash_t *d, const gx_xfer_t *x);
void gx_xfer_cp_digest(gx_hash_t *d, const gx_xfer_t *x);
/* The same digests straight from encoded bytes (no re-encoding on hot paths). */
void gx_xfer_init_digest_enc(gx_hash_t *d, const uint8_t *enc);
void gx_xfer_cp_digest_enc(gx_hash_t *d, const uint8_t enc[GX_XFER_SZ]);

/* sk: libsodium's 64-byte ed25519 secret key. Signing the initiator's half
 * requires sk to belong to x->initiator (else -1); same for the counterparty. */
int gx_xfer_sign_init(gx_xfer_t *x, const uint8_t sk[64]);
int gx_xfer_sign_cp(gx_xfer_t *x, const uint8_t sk[64]);

typedef enum {
  GX_XFER_VERIFY_OK = 0,
  GX_XFER_VERIFY_BAD_INIT_SIG = 1,
  GX_XFER_VERIFY_BAD_CP_SIG = 2,
} gx_xfer_verify_t;
gx_xfer_verify_t gx_xfer_verify_init(const gx_xfer_t *x);
/* Both signatures of an encoded (already strictly decoded) transfer. */
gx_xfer_verify_t gx_xfer_verify_enc(const uint8_t enc[GX_XFER_SZ]);

/* ---- transaction batch datagram ------------------------------------------ */
/* [ver][type=0x10][count 1..5][hops] count * 290-byte transfers. */
#define GX_BATCH_HDR_SZ 4
#define GX_BATCH_MAX 5
#define GX_BATCH_MAX_HOPS 16
size_t gx_batch_size(size_t count);
/* Writes count encoded transfers (each GX_XFER_SZ, back to back in xfers);
 * returns bytes written, or 0 when count is 0, above GX_BATCH_MAX, or cap is short. */
size_t gx_batch_encode(uint8_t *out, size_t cap, const uint8_t *xfers, size_t count,
                       uint8_t hops);
/* Zero-copy decode: xfers[i] point into buf; each transfer is strictly decoded
 * (and filled into decoded[i] when decoded is not NULL). */
gx_proto_err_t gx_batch_decode(const uint8_t *buf, size_t len, const uint8_t *xfers[GX_BATCH_MAX],
                               gx_xfer_t *decoded, size_t *count, uint8_t *hops);

/* ---- black hole ------------------------------------------------------------ */
#define GX_BH_HDR_SZ 118
#define GX_BH_MAX_TXS 32768
typedef struct {
  uint64_t height;        /* >= 1 */
  uint64_t epoch;         /* consensus epoch that produced it */
  gx_hash_t prev;         /* previous black hole id (height 1: the genesis id) */
  gx_hash_t entries_root; /* Merkle root over entry 0 (prev) and the tx ids */
  gx_hash_t state_root;   /* root of account state after applying the block */
  uint32_t tx_count;      /* 0..GX_BH_MAX_TXS */
} gx_bh_header_t;

void gx_bh_header_encode(const gx_bh_header_t *h, uint8_t out[GX_BH_HDR_SZ]);
gx_proto_err_t gx_bh_header_decode(gx_bh_header_t *h, const uint8_t *buf, size_t len);
/* Field-by-field equality (structs have padding: never memcmp them). */
int gx_bh_header_eq(const gx_bh_header_t *a, const gx_bh_header_t *b);
/* Black hole id: H(BLACKHOLE, the 118 header bytes). */
void gx_bh_id(gx_hash_t *id, const gx_bh_header_t *h);
size_t gx_bh_size(uint32_t tx_count);
/* header || entry 0 (prev, 32 bytes) || tx_count transfers. Returns bytes or 0. */
size_t gx_bh_encode(uint8_t *out, size_t cap, const gx_bh_header_t *h, const uint8_t *xfers);
/* Strict: each transfer decodes, entry 0 equals header.prev. *xfers points at
 * the first transfer inside buf. Does not check roots (see gx_bh_entries_root). */
gx_proto_err_t gx_bh_decode(gx_bh_header_t *h, const uint8_t **xfers, const uint8_t *buf,
                            size_t len);
/* Merkle root over leaf(prev) then leaf(tx id) for each transfer: the fold.
 * scratch: 2*(n+1) hashes. */
int gx_bh_entries_root(gx_hash_t *root, const gx_hash_t *prev, const gx_hash_t *tx_ids,
                       size_t n, gx_hash_t *scratch);

/* ---- shards --------------------------------------------------------------------- */
/* LSH shard of an account: the same account always maps to the same shard. */
uint32_t gx_shard_of(const gx_pubkey_t *account, uint32_t shard_count);

/* ---- peer messages ------------------------------------------------------------ */
#define GX_HELLO_SZ 78
typedef struct {
  gx_pubkey_t node;   /* validator identity key */
  uint64_t height;    /* last committed black hole */
  gx_hash_t head;     /* its id */
  uint16_t port;      /* UDP port the node listens on */
  uint16_t flags;     /* reserved, zero */
} gx_hello_t;
void gx_hello_encode(const gx_hello_t *m, uint8_t out[GX_HELLO_SZ]);
gx_proto_err_t gx_hello_decode(gx_hello_t *m, const uint8_t *buf, size_t len);

#define GX_BH_ANNOUNCE_SZ (2 + GX_BH_HDR_SZ)
/* A new black hole's header, gossiped after commit: [ver][0x31] header. */
void gx_bh_announce_encode(const gx_bh_header_t *h, uint8_t out[GX_BH_ANNOUNCE_SZ]);
gx_proto_err_t gx_bh_announce_decode(gx_bh_header_t *h, const uint8_t *buf, size_t len);

#define GX_SYNC_REQ_SZ 12
#define GX_SYNC_REQ_MAX 64
typedef struct {
  uint64_t from_height; /* >= 1 */
  uint16_t count;       /* 1..GX_SYNC_REQ_MAX */
} gx_sync_req_t;
void gx_sync_req_encode(const gx_sync_req_t *m, uint8_t out[GX_SYNC_REQ_SZ]);
gx_proto_err_t gx_sync_req_decode(gx_sync_req_t *m, const uint8_t *buf, size_t len);

/* Peeks at the common 2-byte envelope: returns the type, or -1 with *err set. */
int gx_msg_type(const uint8_t *buf, size_t len, gx_proto_err_t *err);

#endif
