/* gx_fold: the galaxy tier's step from agreed LSH blocks to a Black Hole
 * (docs/CLUSTERS.md "Fold"). Sans-I/O and deterministic: no clocks, threads,
 * sockets, floats or global state; every galaxy that folds the same agreed
 * set on the same state gets the same black hole, verdicts and evidence.
 *
 *   gx_fold_cfg_t cfg; gx_fold_cfg_defaults(&cfg); cfg.cluster_count = K; ...
 *   void *mem = aligned_alloc(64, gx_fold_footprint(&cfg));
 *   gx_fold_t *f = gx_fold_new(mem, &cfg, clusters, &genesis_id);
 *   gx_fold_check(f, buf, len, &info);       // a received block: propose it?
 *   gx_fold_apply(f, ledger, epoch, blocks, lens, n, &res);  // agreed set
 *   ... store res.ledger (the pending black hole) ...
 *   gx_ledger_commit(ledger); gx_fold_commit(f);   // or both aborts
 *
 * Clusters are fixed at genesis in this version (cfg.cluster_count clusters,
 * each an ordered list of member identity keys); the dynamic-membership work
 * replaces them with on-chain changes.
 *
 * Check (a block received from the dataplane, before a galaxy proposes it):
 * strict decode (core/gx_lsh.h), known cluster, member count equal to the
 * cluster's, at most cfg.max_block_txs transfers, tx_root matches, the
 * certificate holds 2 f_c + 1 valid member signatures, height above the
 * cluster's folded height. It says nothing about transfers' signatures or
 * chain rules: those are the fold's.
 *
 * Apply (the agreed set of one galaxy epoch, blocks in any order, duplicates
 * allowed): each block is checked again as above (a Byzantine galaxy can get
 * junk into the agreed set; every galaxy rejects it the same way). Survivors
 * are ordered by (cluster, height, id) and folded cluster by cluster while
 * each block extends the cluster's chain: height = folded + 1, prev = the
 * folded block's id, and a base black hole this galaxy knows (one of the last
 * GX_FOLD_BASE_WINDOW, with the same id; not above the tip). A block whose
 * height is further ahead is deferred (neither folded nor rejected: propose
 * it again once the gap is filled); a second block at a height already folded
 * in this apply is rejected as `conflict`, with evidence against the members
 * that signed both. Then the sample: every transfer whose gx_lsh_sampled(tip
 * id, tx id, cfg.sample_per_65536) holds has both signatures checked; one bad
 * signature rejects the whole block (`bad_signature`) and records evidence
 * against every signer of its certificate, and the cluster's later blocks in
 * the set are deferred (their prev no longer extends the folded chain: the
 * cluster re-emits that height). The transfers of the folded blocks, one
 * ledger proposal per block in fold order, go through
 * gx_ledger_apply_epoch_ids with every transfer counted as verified (the
 * certificate and the sample vouch for them), so the ledger removes what
 * fails the chain rules (replays, gaps, broken links, overdrafts,
 * equivocations, the same transfer folded from two clusters) and records it
 * in the black hole's rejections.
 *
 * Trust: with sample 65536 (all) a galaxy trusts clusters for nothing; with
 * a sample s < 65536 a bad transfer signature certified by a cluster escapes
 * a galaxy with probability (1 - s/65536) per bad transfer, and the cluster
 * cannot aim at the unsampled ones: the sample depends on the black hole the
 * block is folded on top of, unknown when the cluster signed.
 *
 * Memory: gx_fold_footprint(cfg) bytes, 64-aligned, from the caller; nothing
 * allocates after gx_fold_new. Results point into the fold (and the ledger)
 * and stay valid until the next apply, commit or abort. Threads: one thread
 * owns a fold (the galaxy's commit thread). Errors: gx_fold_err_t; per-block
 * verdicts gx_fold_verdict_t with stable labels. Needs sodium_init(). */
#ifndef GX_FOLD_H
#define GX_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_lsh.h"
#include "validator/gx_ledger.h"

#define GX_FOLD_MAX_CLUSTERS 256
#define GX_FOLD_MAX_BLOCKS 64   /* LSH blocks per black hole (ledger proposals) */
#define GX_FOLD_MAX_INPUT 256   /* blocks in one agreed set */
#define GX_FOLD_BASE_WINDOW 256 /* black holes a block may build on, back from the tip */
#define GX_FOLD_ALIGN 64

typedef enum {
  GX_FOLD_OK = 0,
  GX_FOLD_EINVAL,   /* bad argument or configuration */
  GX_FOLD_EPENDING, /* an apply is pending: commit or abort it first */
  GX_FOLD_ENOPENDING,
  GX_FOLD_ELEDGER,  /* the ledger refused (see ledger_err) */
  GX_FOLD_ERR__COUNT
} gx_fold_err_t;
const char *gx_fold_strerror(gx_fold_err_t e);

/* What happened to one LSH block. */
typedef enum {
  GX_FOLD_V_OK = 0,         /* check: acceptable; apply: folded */
  GX_FOLD_V_MALFORMED,      /* does not decode (core/gx_lsh.h) */
  GX_FOLD_V_CLUSTER,        /* unknown cluster id */
  GX_FOLD_V_MEMBERS,        /* member count differs from the cluster's */
  GX_FOLD_V_TOO_BIG,        /* more transfers than cfg.max_block_txs */
  GX_FOLD_V_ROOT,           /* tx_root does not match the transfers */
  GX_FOLD_V_CERT,           /* certificate: bad signature or short of 2 f_c + 1 */
  GX_FOLD_V_STALE,          /* height at or below the cluster's folded height */
  GX_FOLD_V_DEFERRED,       /* apply: does not extend the folded chain yet */
  GX_FOLD_V_BROKEN_PREV,    /* apply: next height but prev is not the folded id */
  GX_FOLD_V_BASE,           /* apply: base black hole unknown, too old, ahead or another id */
  GX_FOLD_V_CONFLICT,       /* apply: a block of the same cluster and height was folded */
  GX_FOLD_V_BAD_SIGNATURE,  /* apply: a sampled transfer signature fails */
  GX_FOLD_V_DUPLICATE,      /* apply: the same block id twice in the set */
  GX_FOLD_V_OVERFLOW,       /* apply: beyond GX_FOLD_MAX_BLOCKS this black hole (deferred) */
  GX_FOLD_V__COUNT
} gx_fold_verdict_t;
/* Stable snake_case label ("bad_signature") for metrics, logs and the API. */
const char *gx_fold_verdict_label(gx_fold_verdict_t v);
/* 1 when a block with this apply verdict can never fold, whatever copy of it
 * comes (the verdict follows from its id, which binds its body and, through
 * the tx root, its transfers): cluster, members, too_big, bad_signature,
 * broken_prev, base, conflict. 0 for the rest: root and cert depend on the
 * copy (its transfers, its certificate), malformed has no id, and ok,
 * deferred, stale, duplicate and overflow are not rejections. A galaxy
 * forgets final ones for good (gx_lshpool_reject). */
int gx_fold_verdict_final(gx_fold_verdict_t v);

typedef struct {
  uint32_t cluster_count;     /* K, 1..GX_FOLD_MAX_CLUSTERS */
  uint32_t sample_per_65536;  /* genesis: transfer signatures a galaxy checks, 0..65536 */
  uint32_t max_block_txs;     /* transfers per LSH block, 1..GX_LSH_MAX_TXS; must be <=
                               * the ledger's max_proposal_txs (default 2048) */
  uint32_t max_blocks;        /* LSH blocks per black hole, 1..GX_FOLD_MAX_BLOCKS; must be <=
                               * the ledger's max_proposers (default 16) */
} gx_fold_cfg_t;
void gx_fold_cfg_defaults(gx_fold_cfg_t *cfg);
/* Sets the ledger limits a fold needs (max_proposers = max_blocks,
 * max_proposal_txs = max_block_txs); a consensus parameter like the rest. */
void gx_fold_ledger_cfg(const gx_fold_cfg_t *cfg, gx_ledger_cfg_t *lc);

/* A cluster's membership: identity keys by member index. */
typedef struct {
  uint32_t n; /* GX_LSH_MIN_MEMBERS..GX_LSH_MAX_MEMBERS */
  gx_pubkey_t members[GX_LSH_MAX_MEMBERS];
} gx_fold_cluster_t;

/* A cluster's folded chain, as of the last commit. */
typedef struct {
  uint64_t height;       /* last folded LSH height (0: none) */
  gx_hash_t id;          /* its id (zero at 0) */
  uint64_t folded;       /* blocks folded so far */
  uint64_t rejected;     /* blocks rejected by apply (not counting check-time drops) */
  uint64_t base_height;  /* the base black hole of the block at height (0, zero id: */
  gx_hash_t base;        /* genesis, or none yet): where a rejoining member resumes */
} gx_fold_cluster_state_t;

typedef struct gx_fold gx_fold_t;

size_t gx_fold_footprint(const gx_fold_cfg_t *cfg);
/* clusters: cfg->cluster_count memberships (copied). genesis_id: the black
 * hole id at height 0 (the base of a cluster's first blocks). NULL on a bad
 * cfg, membership or alignment. */
gx_fold_t *gx_fold_new(void *mem, const gx_fold_cfg_t *cfg, const gx_fold_cluster_t *clusters,
                       const gx_hash_t *genesis_id);
void *gx_fold_delete(gx_fold_t *f);

/* Restart: sets a cluster's folded chain (from storage) and the known black
 * hole ids (height, id), oldest first, at most GX_FOLD_BASE_WINDOW. */
gx_fold_err_t gx_fold_restore_cluster(gx_fold_t *f, uint32_t cluster,
                                      const gx_fold_cluster_state_t *st);
gx_fold_err_t gx_fold_note_blackhole(gx_fold_t *f, uint64_t height, const gx_hash_t *id);

/* What check says about a block. */
typedef struct {
  gx_fold_verdict_t verdict;
  gx_proto_err_t proto;   /* GX_FOLD_V_MALFORMED: the decoder's reason */
  uint32_t cluster;       /* valid from a successful decode on */
  uint64_t height;
  gx_hash_t id;
} gx_fold_info_t;
gx_fold_verdict_t gx_fold_check(const gx_fold_t *f, const uint8_t *buf, size_t len,
                                gx_fold_info_t *info);

/* Evidence against cluster members, checkable by anyone holding the block(s). */
typedef enum {
  GX_FOLD_EV_BAD_SIGNATURE = 1, /* block certified with a transfer whose signature fails */
  GX_FOLD_EV_CONFLICT = 2,      /* two certified blocks of one cluster at one height */
} gx_fold_evidence_kind_t;
typedef struct {
  uint8_t kind;          /* gx_fold_evidence_kind_t */
  uint32_t cluster;
  uint64_t height;
  gx_hash_t block;       /* the rejected block */
  gx_hash_t other;       /* CONFLICT: the folded block at that height; else zero */
  uint32_t tx_index;     /* BAD_SIGNATURE: the transfer's index in the block */
  uint64_t signers;      /* members accused: bit i = member i */
} gx_fold_evidence_t;

/* One block of the agreed set and what apply did with it. */
typedef struct {
  gx_fold_verdict_t verdict;
  uint32_t cluster;
  uint64_t height;
  gx_hash_t id;
  uint32_t index;        /* its position in the caller's blocks[] */
} gx_fold_entry_t;

typedef struct {
  gx_ledger_block_t ledger;          /* the pending black hole (ledger result) */
  gx_ledger_err_t ledger_err;        /* GX_FOLD_ELEDGER: why */
  const gx_fold_entry_t *entries;    /* every block of the set: folded ones first, */
  uint32_t entry_count;              /* in fold order, then the rest in input order */
  uint32_t folded_count;             /* entries[0..folded_count) were folded */
  uint64_t verdicts[GX_FOLD_V__COUNT];
  const gx_fold_evidence_t *evidence;
  uint32_t evidence_count;
  uint32_t sig_checked;              /* sampled transfers whose signatures were checked */
} gx_fold_result_t;

/* Folds the agreed set blocks[0..n) (n <= GX_FOLD_MAX_INPUT) on top of the
 * ledger's tip into the ledger's pending black hole of `epoch`. */
gx_fold_err_t gx_fold_apply(gx_fold_t *f, gx_ledger_t *ledger, uint64_t epoch,
                            const uint8_t *const *blocks, const size_t *lens, uint32_t n,
                            gx_fold_result_t *out);
/* After gx_ledger_commit: the folded blocks become the clusters' chains and
 * the new tip joins the known black holes. */
gx_fold_err_t gx_fold_commit(gx_fold_t *f);
/* After gx_ledger_abort: forgets the pending apply. */
gx_fold_err_t gx_fold_abort(gx_fold_t *f);

/* ---- what a galaxy proposes in the galaxies' ACS ----
 * The LSH blocks it holds in full and checked (gx_fold_check OK), as refs:
 *   count u16 (0..GX_FOLD_MAX_REFS), then count x (cluster u32, height u64,
 *   block id 32), strictly increasing in (cluster, height, id).
 * The agreed set of a galaxy epoch is every ref that at least f + 1 of the
 * agreed proposals carry (gx_fold_refs_agreed; a malformed proposal
 * contributes nothing): then at least one honest galaxy holds each block of
 * the set and a galaxy that lacks one can fetch it from a proposer of that
 * ref before gx_fold_apply. Not the union: one Byzantine galaxy naming a
 * block nobody has would stall every honest galaxy (the hierarchy simulator
 * shows it). A fetched copy is taken only through gx_lshpool_add (copies of
 * one id may differ in their certificates). Decoder strict; never
 * allocates. */
#define GX_FOLD_REF_SZ 44
#define GX_FOLD_MAX_REFS 64
typedef struct {
  uint32_t cluster;
  uint64_t height;
  gx_hash_t id;
} gx_fold_ref_t;
size_t gx_fold_refs_size(uint32_t count);
/* refs must be strictly increasing; returns bytes written or 0. */
size_t gx_fold_refs_encode(uint8_t *out, size_t cap, const gx_fold_ref_t *refs, uint32_t count);
/* GX_PROTO_OK, or SHORT / TRAILING / COUNT / RANGE (order, cluster or height
 * out of range). refs: GX_FOLD_MAX_REFS entries. */
gx_proto_err_t gx_fold_refs_decode(gx_fold_ref_t *refs, uint32_t *count, const uint8_t *buf,
                                   size_t len);
/* A ref of the agreed set and the proposers that carried it (bit p: member
 * p of the galaxy committee; fetch a missing block from one of them). */
typedef struct {
  gx_fold_ref_t ref;
  uint64_t holders;
} gx_fold_agreed_ref_t;
/* The agreed set of a batch of galaxy proposals (values[i] from proposer
 * proposers[i] < 64, i < count): the refs carried by at least threshold
 * (f + 1) of them, in ref order, into out[0..cap). scratch: count x
 * GX_FOLD_MAX_REFS entries (every distinct ref before the threshold).
 * *malformed (optional) counts proposals that do not decode. Returns how many
 * refs out holds (refs beyond cap are left out, in ref order). */
uint32_t gx_fold_refs_agreed(const uint8_t *const *values, const uint32_t *lens,
                             const uint16_t *proposers, uint32_t count, uint32_t threshold,
                             gx_fold_agreed_ref_t *scratch, gx_fold_agreed_ref_t *out, uint32_t cap,
                             uint32_t *malformed);
/* The refs this galaxy would propose from candidate blocks it holds: decoded
 * and checked by the caller; sorts and deduplicates in place, returns count. */
uint32_t gx_fold_refs_sort(gx_fold_ref_t *refs, uint32_t n);

/* A cluster's folded chain as the pending apply leaves it (the committed
 * one when no apply is pending): what a galaxy records next to the black
 * hole before making it durable. */
gx_fold_err_t gx_fold_pending_state(const gx_fold_t *f, uint32_t cluster,
                                    gx_fold_cluster_state_t *out);
/* A cluster's folded chain (committed). */
gx_fold_err_t gx_fold_cluster_state(const gx_fold_t *f, uint32_t cluster,
                                    gx_fold_cluster_state_t *out);
uint32_t gx_fold_cluster_count(const gx_fold_t *f);

#endif
