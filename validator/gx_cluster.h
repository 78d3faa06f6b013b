/* gx_cluster: a Star Cluster member's deterministic step from one agreed
 * epoch of its cluster's ACS to an LSH block, and the certificate it gathers
 * (docs/CLUSTERS.md "Cluster epoch").
 *
 * Each member proposes, in its cluster's ACS (validator/gx_epoch.h over the
 * cluster's committee), a proposal value:
 *   round_ms u32        its own report of its last round time
 *   base_height u64     the newest certified black hole it knows...
 *   base 32             ...and its id
 *   transfers           k x 290 bytes (k >= 0), the shard it took from its pool
 * (GX_CLUSTER_PROP_HDR_SZ + 290 k bytes).
 *
 * gx_cluster_build turns the agreed batch (n_c - f_c .. n_c proposals) into
 * the cluster's next block, the same bytes at every honest member:
 *  - reports: member i is included iff its proposal is in the batch; proposed
 *    = the transfers its proposal holds, round_ms its report;
 *  - faults: a proposal that is not a header plus whole transfers, or holds a
 *    transfer that does not decode, is `invalid_msg` (evidence: H(CONSENSUS,
 *    the proposal)); one holding a transfer whose signatures fail is
 *    `bad_signature` (evidence: that tx id); at most one entry per (member,
 *    kind), the first evidence in batch order;
 *  - transfers: every decodable, correctly signed transfer of the batch, once
 *    (by tx id), ordered by (initiator, initiator seq, tx id), at most
 *    max_block_txs (the rest are `left` for the pool: proposed again later);
 *  - base: the newest (base_height, base) that at least f_c + 1 included
 *    proposals report exactly (so at least one honest member knows it), never
 *    older than the previous block's base; height = previous + 1, prev = the
 *    previous block's id.
 * Galaxies, not clusters, apply chain rules (sequence links, balances): the
 * cluster only drops what is provably bad (undecodable or badly signed).
 *
 * The member signs the block id (gx_lsh_sign) and sends its signature to the
 * others; the collector (gx_cluster_sigs_*) keeps the last GX_CLUSTER_WINDOW
 * built blocks, verifies each signature against the member's key, and once
 * 2 f_c + 1 have verified, appends the certificate: the block is ready to go
 * to the galaxies.
 *
 * Feedback: when the galaxies reject one of the cluster's blocks, its chain
 * no longer extends the folded one; gx_cluster_rewind restarts it from the
 * folded (height, id) (all members must rewind at the same epoch: the caller
 * takes the point from agreed data, e.g. a black hole).
 *
 * Sans-I/O and deterministic: no clocks, threads, sockets, floats or global
 * state. Memory: gx_cluster_footprint(cfg) bytes, 64-aligned, from the caller;
 * nothing allocates after gx_cluster_new; results point into the cluster and
 * stay valid until the next build. Threads: one owner thread. Errors:
 * gx_cluster_err_t. Needs sodium_init(). */
#ifndef GX_CLUSTER_H
#define GX_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/gx_acs.h"
#include "core/gx_lsh.h"

#define GX_CLUSTER_PROP_HDR_SZ 44
#define GX_CLUSTER_WINDOW 8 /* built blocks whose signatures are still collected */
#define GX_CLUSTER_ALIGN 64

typedef enum {
  GX_CLUSTER_OK = 0,
  GX_CLUSTER_EINVAL,     /* bad argument or configuration */
  GX_CLUSTER_EMEMBER,    /* signature: member index out of range */
  GX_CLUSTER_EUNKNOWN,   /* signature: no built block with that id in the window */
  GX_CLUSTER_EDUPLICATE, /* signature: this member's signature is already held */
  GX_CLUSTER_ESIGNATURE, /* signature: does not verify */
  GX_CLUSTER_ERR__COUNT
} gx_cluster_err_t;
const char *gx_cluster_strerror(gx_cluster_err_t e);
const char *gx_cluster_err_label(gx_cluster_err_t e);

typedef struct {
  uint32_t cluster;                       /* this cluster's id */
  uint32_t n;                             /* members, GX_LSH_MIN_MEMBERS..GX_LSH_MAX_MEMBERS */
  gx_pubkey_t members[GX_LSH_MAX_MEMBERS];
  uint32_t max_block_txs;                 /* 1..GX_LSH_MAX_TXS (the galaxies' limit) */
  uint32_t max_proposal_txs;              /* transfers per proposal, 1..GX_LSH_MAX_TXS */
  gx_hash_t genesis_id;                   /* black hole 0: the first base */
} gx_cluster_cfg_t;

typedef struct gx_cluster gx_cluster_t;

size_t gx_cluster_footprint(const gx_cluster_cfg_t *cfg);
gx_cluster_t *gx_cluster_new(void *mem, const gx_cluster_cfg_t *cfg);
void *gx_cluster_delete(gx_cluster_t *c);

/* A proposal value; returns its length, 0 when cap is short or count above
 * the limit. */
size_t gx_cluster_proposal_encode(uint8_t *out, size_t cap, uint32_t round_ms,
                                  uint64_t base_height, const gx_hash_t *base,
                                  const uint8_t *xfers, uint32_t count);

/* "Did this member already verify both signatures of tx id?" (its ingest
 * did): 1 yes, 0 no. Only skips work: a wrong yes makes this member build a
 * block the others may not, and it will not be certified. */
typedef int (*gx_cluster_verified_fn_t)(void *ctx, const gx_hash_t *tx_id);

typedef struct {
  const uint8_t *block;        /* the unsigned block (body + transfers) */
  size_t block_len;
  gx_hash_t id;
  uint64_t height;
  uint32_t tx_count;
  const uint8_t *left;         /* good transfers beyond max_block_txs, for the pool */
  uint32_t left_count;
  uint32_t duplicates;         /* the same transfer in several proposals */
  uint32_t bad_signature;      /* transfers dropped for a bad signature */
  uint32_t malformed;          /* proposals dropped as invalid */
  uint32_t sig_verified;       /* transfers whose signatures were checked here */
} gx_cluster_block_t;

/* Builds the next block from the agreed batch (proposer indices are member
 * indices) and keeps it in the collector window. */
gx_cluster_err_t gx_cluster_build(gx_cluster_t *c, const gx_acs_batch_t *batch,
                                  gx_cluster_verified_fn_t verified, void *verified_ctx,
                                  gx_cluster_block_t *out);

/* A member's signature over a built block's id (ours included: the caller
 * signs with gx_lsh_sign and adds it too). When this signature completes the
 * quorum, *certified points at the whole certified block (valid until the
 * window drops it) and *certified_len is its length; otherwise they are NULL
 * and 0. A block gets certified once. */
gx_cluster_err_t gx_cluster_add_sig(gx_cluster_t *c, const gx_hash_t *id, uint16_t member,
                                    const gx_sig_t *sig, const uint8_t **certified,
                                    size_t *certified_len);

/* The certified bytes of a built block, if it has its quorum: 0 and the
 * pointer, or -1. */
int gx_cluster_certified(const gx_cluster_t *c, const gx_hash_t *id, const uint8_t **block,
                         size_t *len);

/* The chain tip this cluster builds on next. */
uint64_t gx_cluster_height(const gx_cluster_t *c);
void gx_cluster_tip(const gx_cluster_t *c, gx_hash_t *id, uint64_t *base_height);

/* Restart the chain from (height, id) with base (base_height, base): after the
 * galaxies rejected a block. Forgets the window's blocks above height. */
gx_cluster_err_t gx_cluster_rewind(gx_cluster_t *c, uint64_t height, const gx_hash_t *id,
                                   uint64_t base_height, const gx_hash_t *base);

#endif
