/* gx_lsh: the LSH block, what a Star Cluster emits for each of its epochs, and
 * its cluster certificate (docs/PROTOCOL.md "LSH block", docs/CLUSTERS.md).
 *
 * An LSH block (type 0x22, replaces the old checkpoint) is one self-contained
 * message, in this order:
 *
 *   header    GX_LSH_HDR_SZ (124) bytes
 *     0  version u8 = 1
 *     1  type u8 = 0x22
 *     2  cluster u32        < GX_LSH_MAX_CLUSTERS
 *     6  height u64         1..2^62, this cluster's block height
 *    14  prev 32            id of this cluster's block height-1 (zero at 1)
 *    46  base_height u64    0..2^62, the black hole it builds on (0 = genesis)...
 *    54  base 32            ...and that black hole's id (the genesis id at 0)
 *    86  tx_root 32         Merkle root over leaf(tx id) of the transfers,
 *                           in block order (zero when tx_count is 0)
 *   118  tx_count u32       0..GX_LSH_MAX_TXS
 *   122  member_count u8    n_c, GX_LSH_MIN_MEMBERS..GX_LSH_MAX_MEMBERS
 *   123  fault_count u8     0..GX_LSH_MAX_FAULTS
 *   reports   member_count x GX_LSH_REPORT_SZ (9): metadata the cluster's ACS
 *             agreed on, one per member index
 *     0  flags u8           bit 0: this member's proposal is in the agreed
 *                           set; other bits zero
 *     1  proposed u32       transfers in its agreed proposal (0 when not in)
 *     5  round_ms u32       the member's own report of its last round time,
 *                           carried in its proposal (0 when not in)
 *             At least n_c - f_c members are in (f_c = (n_c - 1) / 3).
 *   faults    fault_count x GX_LSH_FAULT_SZ (36), members strictly increasing
 *             then kinds strictly increasing (one entry per (member, kind))
 *     0  member u16         < member_count
 *     2  kind u8            gx_lsh_fault_kind_t (1..GX_LSH_FAULT__COUNT-1)
 *     3  reserved u8 = 0
 *     4  evidence 32        id of the proof the cluster holds
 *   transfers tx_count x 290 bytes (each strictly decodable, gx_xfer_check)
 *   cert      count u16 (1..member_count), then count x (member index u16,
 *             ed25519 signature 64), indices strictly increasing and
 *             < member_count
 *
 * Block id: H(LSH, header || reports || faults): everything before the
 * transfers (tx_root binds them). A member certifies a block by signing
 * H(LSH_SIG, block id) with its identity key; a certificate is valid for a
 * cluster membership when at least 2 f_c + 1 distinct members' signatures
 * verify (no honest galaxy folds a block fewer honest stars vouched for).
 *
 * The decoder is strict (exact lengths, ranges, reserved bytes zero, order,
 * quorum of included members, every transfer strictly decodable) and zero
 * copy; it checks neither tx_root (gx_lsh_check_root) nor signatures
 * (gx_lsh_verify_cert): both cost hashing, and callers choose when.
 *
 * Home cluster: an account's transfers belong to the cluster
 * gx_lsh_home_cluster(initiator, K) (gx_shard_of over the key: fixed for the
 * account while K is fixed; the dynamic-membership work replaces it).
 *
 * Memory: callers own every buffer; gx_lsh_t points into the decoded input.
 * Threads: every function is pure and may be called from any thread.
 * Errors: gx_proto_err_t for the codec: short, trailing, version, type;
 * count for tx_count, member_count, fault_count or the certificate's count out
 * of range; reserved for a flags bit or reserved byte not zero; range for any
 * other field out of range, an order broken (faults, certificate indices), a
 * prev/tx_root that must be zero and is not (or the reverse for prev), a
 * member not in with a nonzero report, or fewer than n_c - f_c members in; a
 * bad transfer gives its own reason (gx_xfer_check). gx_lsh_cert_err_t for
 * certificates.
 * Signing and verifying need sodium_init(). */
#ifndef GX_LSH_H
#define GX_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_hash.h"
#include "core/gx_proto.h"

#define GX_LSH_HDR_SZ 124
#define GX_LSH_REPORT_SZ 9
#define GX_LSH_FAULT_SZ 36
#define GX_LSH_CERT_ENTRY_SZ 66
#define GX_LSH_MAX_CLUSTERS 1024
#define GX_LSH_MIN_MEMBERS 4
#define GX_LSH_MAX_MEMBERS 64
#define GX_LSH_MAX_FAULTS 64
#define GX_LSH_MAX_TXS 8192
/* Largest encoding: every field at its maximum. */
#define GX_LSH_MAX_SZ                                                                      \
  ((size_t)GX_LSH_HDR_SZ + GX_LSH_MAX_MEMBERS * GX_LSH_REPORT_SZ +                         \
   GX_LSH_MAX_FAULTS * GX_LSH_FAULT_SZ + (size_t)GX_LSH_MAX_TXS * GX_XFER_SZ + 2 +          \
   GX_LSH_MAX_MEMBERS * GX_LSH_CERT_ENTRY_SZ)

#define GX_LSH_REPORT_INCLUDED 0x01

typedef enum {
  GX_LSH_FAULT_EQUIVOCATION = 1, /* the member sent two different messages where one is allowed */
  GX_LSH_FAULT_BAD_SIGNATURE = 2,/* the member forwarded or proposed a badly signed transfer */
  GX_LSH_FAULT_INVALID_MSG = 3,  /* the member sent a consensus message that fails its rules */
  GX_LSH_FAULT_SILENT = 4,       /* the member's proposal missed the agreed set */
  GX_LSH_FAULT__COUNT
} gx_lsh_fault_kind_t;
/* Stable snake_case label ("equivocation"); "unknown" out of range. */
const char *gx_lsh_fault_label(uint8_t kind);

typedef struct {
  uint32_t cluster;
  uint64_t height;
  gx_hash_t prev;
  uint64_t base_height;
  gx_hash_t base;
  gx_hash_t tx_root;
  uint32_t tx_count;
  uint8_t member_count;
  uint8_t fault_count;
} gx_lsh_header_t;

typedef struct {
  uint8_t flags;      /* GX_LSH_REPORT_INCLUDED or 0 */
  uint32_t proposed;
  uint32_t round_ms;
} gx_lsh_report_t;

typedef struct {
  uint16_t member;
  uint8_t kind;       /* gx_lsh_fault_kind_t */
  gx_hash_t evidence;
} gx_lsh_fault_t;

typedef struct {
  uint16_t member;
  gx_sig_t sig;
} gx_lsh_sig_t;

/* A decoded block: the header by value, the rest pointers into the input. */
typedef struct {
  gx_lsh_header_t h;
  const uint8_t *body;     /* header || reports || faults: what the id hashes */
  size_t body_len;
  const uint8_t *reports;  /* member_count x GX_LSH_REPORT_SZ */
  const uint8_t *faults;   /* fault_count x GX_LSH_FAULT_SZ */
  const uint8_t *xfers;    /* tx_count x GX_XFER_SZ */
  const uint8_t *cert;     /* 2 + sig_count x GX_LSH_CERT_ENTRY_SZ */
  size_t cert_len;
  uint16_t sig_count;
} gx_lsh_t;

/* f_c of a cluster of n members: (n - 1) / 3. Quorum: 2 f_c + 1. */
uint32_t gx_lsh_quorum(uint32_t member_count);

/* Bytes of the body (header, reports, faults), and of a whole block. */
size_t gx_lsh_body_size(uint32_t member_count, uint32_t fault_count);
size_t gx_lsh_size(uint32_t tx_count, uint32_t member_count, uint32_t fault_count,
                   uint32_t sig_count);

/* Writes the body and transfers (everything but the certificate) into
 * out[cap]: h->member_count reports, h->fault_count faults, h->tx_count
 * transfers back to back (xfers may be NULL when tx_count is 0). Checks the
 * same rules the decoder checks except the transfers' contents and whether
 * tx_root matches them (a zero tx_count still needs a zero tx_root). Returns
 * bytes written, 0 on a rule broken or cap short. */
size_t gx_lsh_encode_unsigned(uint8_t *out, size_t cap, const gx_lsh_header_t *h,
                              const gx_lsh_report_t *reports, const gx_lsh_fault_t *faults,
                              const uint8_t *xfers);
/* Appends the certificate (count sigs, indices strictly increasing and <
 * member_count) after len bytes already in out; returns the new length, 0 on
 * a rule broken or cap short. */
size_t gx_lsh_append_cert(uint8_t *out, size_t cap, size_t len, uint8_t member_count,
                          const gx_lsh_sig_t *sigs, uint16_t count);

/* Strict decode (see the top of this file). */
gx_proto_err_t gx_lsh_decode(gx_lsh_t *b, const uint8_t *buf, size_t len);
/* Report i / fault i / certificate entry i of a decoded block (i below
 * member_count / fault_count / sig_count: a larger i is a caller's bug and
 * trips GX_ASSERT). */
void gx_lsh_report(const gx_lsh_t *b, uint32_t i, gx_lsh_report_t *out);
void gx_lsh_fault(const gx_lsh_t *b, uint32_t i, gx_lsh_fault_t *out);
void gx_lsh_cert_sig(const gx_lsh_t *b, uint32_t i, gx_lsh_sig_t *out);

/* Block id: H(LSH, body). */
void gx_lsh_id(gx_hash_t *id, const gx_lsh_t *b);
/* The same over an encoded body (the first gx_lsh_body_size bytes of an
 * encoding, before any decode: what a member signs while building). */
void gx_lsh_id_body(gx_hash_t *id, const uint8_t *body, size_t body_len);

/* Merkle root over leaf(tx id) of count encoded transfers; ids_out (count
 * hashes) receives the tx ids; scratch: count hashes. count 0: zero root.
 * Returns -1 when count > GX_LSH_MAX_TXS. */
int gx_lsh_tx_root(gx_hash_t *root, const uint8_t *xfers, uint32_t count, gx_hash_t *ids_out,
                   gx_hash_t *scratch);
/* 0 when b's tx_root matches its transfers (ids_out, scratch as above). */
int gx_lsh_check_root(const gx_lsh_t *b, gx_hash_t *ids_out, gx_hash_t *scratch);

/* Certify: *sig = ed25519 over H(LSH_SIG, id) with sk (64-byte libsodium). */
void gx_lsh_sign(gx_sig_t *sig, const gx_hash_t *id, const uint8_t sk[64]);

typedef enum {
  GX_LSH_CERT_OK = 0,
  GX_LSH_CERT_ERR_MEMBERS,   /* member list does not match the block's member_count */
  GX_LSH_CERT_ERR_SIGNATURE, /* a certificate signature does not verify */
  GX_LSH_CERT_ERR_QUORUM,    /* fewer than 2 f_c + 1 signatures */
  GX_LSH_CERT_ERR__COUNT
} gx_lsh_cert_err_t;
const char *gx_lsh_cert_strerror(gx_lsh_cert_err_t e);
const char *gx_lsh_cert_label(gx_lsh_cert_err_t e);

/* Checks b's certificate against the cluster's members (identity keys by
 * member index; n must equal b->h.member_count): there must be at least
 * gx_lsh_quorum(n) signatures (checked first, before any signature work) and
 * every one must verify. *signers (optional) receives a bitmask of the member
 * indices that signed (bit i: member i) on GX_LSH_CERT_OK, 0 otherwise. */
gx_lsh_cert_err_t gx_lsh_verify_cert(const gx_lsh_t *b, const gx_hash_t *id,
                                     const gx_pubkey_t *members, uint32_t n, uint64_t *signers);

/* The home cluster of an account among cluster_count (>= 1). */
uint32_t gx_lsh_home_cluster(const gx_pubkey_t *account, uint32_t cluster_count);

/* Galaxy-side signature sampling: 1 when the transfer with tx_id must have its
 * signatures checked by a galaxy folding on top of black hole prev_bh, with
 * sample_per_65536 in 0..65536 (0 none, 65536 all): the first two bytes of
 * H(CONSENSUS, prev_bh || tx_id), little endian, below sample_per_65536. The
 * cluster cannot know prev_bh when it signs. */
int gx_lsh_sampled(const gx_hash_t *prev_bh, const gx_hash_t *tx_id, uint32_t sample_per_65536);

#endif
