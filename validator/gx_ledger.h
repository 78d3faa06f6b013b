/* gx_ledger: the validator's account state and the deterministic step from an
 * epoch's agreed proposals to a Black Hole (docs/LEDGER.md is the reference).
 *
 *   gx_ledger_cfg_t cfg; gx_ledger_cfg_defaults(&cfg); cfg.max_accounts = ...;
 *   void *mem = aligned_alloc(64, gx_ledger_footprint(&cfg));
 *   gx_ledger_t *l = gx_ledger_new(mem, &cfg);
 *   gx_ledger_genesis(l, &genesis_id, accounts, n);      // height 0
 *   gx_ledger_apply_epoch(l, epoch, proposals, lens, n, &vf, &blk);  // pending
 *   ... store blk.encoded, blk.tx_ids and blk.updates ...
 *   gx_ledger_commit(l);                                   // or gx_ledger_abort(l)
 *
 * Apply an epoch: each proposal is concatenated 290-byte transfers; a proposal
 * that is not a whole number of strictly decodable transfers, or holds more
 * than cfg.max_proposal_txs, is dropped whole and counted as `malformed`.
 * Transfers are deduplicated by tx id, sorted by (initiator key, initiator
 * seq, tx id), then validated in passes against the state plus everything
 * accepted before them in the block: both signatures (unless the caller's
 * verified() says this node already checked this exact tx id), both parties'
 * chain links, the initiator's balance and the counterparty's ceiling. A
 * transfer failing only with seq_gap or overdraft is retried in the next pass;
 * passes stop when one accepts nothing, or after GX_LEDGER_MAX_PASSES. The
 * accepted transfers, in the order they were accepted, form the Black Hole.
 *
 * Apply a stored Black Hole (sync, recovery): checks height, prev, entries
 * root, re-validates every transfer in its stored order (one pass, any
 * rejection is an error) and requires the identical state root.
 *
 * Both apply calls leave the block pending: the state already reflects it for
 * lookups, the result's buffers stay valid, and gx_ledger_commit() makes it
 * final (height, tip id, state root advance) while gx_ledger_abort() restores
 * the state before the block. A failed apply leaves nothing pending.
 *
 * Determinism: no clocks, threads, floats, I/O or global state; the result
 * depends only on the state and the inputs (the hash-table key in cfg changes
 * the memory layout, never a result). Correctness never depends on the
 * verified() callback: a wrong "yes" only skips work this node already did for
 * the same bytes (a tx id is the hash of all 290 bytes).
 *
 * Memory: the caller provides gx_ledger_footprint(cfg) bytes aligned to 64;
 * nothing allocates after gx_ledger_new. Results point into the ledger and are
 * valid until the next apply, commit or abort. Threads: one thread owns a
 * ledger; gx_ledger_* are not thread safe. Errors: gx_ledger_err_t,
 * gx_ledger_strerror(). Needs sodium_init(). */
#ifndef GX_LEDGER_H
#define GX_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_chain.h"
#include "core/gx_proto.h"

#define GX_LEDGER_MAX_PROPOSERS 64   /* proposals per epoch (GX_CONS_MAX_N) */
#define GX_LEDGER_MAX_PASSES 32      /* validation passes per epoch */
#define GX_LEDGER_ALIGN 64

typedef enum {
  GX_LEDGER_OK = 0,
  GX_LEDGER_EINVAL,    /* bad argument or configuration */
  GX_LEDGER_EFULL,     /* account table full: raise max_accounts (nothing applied) */
  GX_LEDGER_EPENDING,  /* a block is pending: commit or abort it first */
  GX_LEDGER_ENOPENDING,/* commit/abort/encode with no pending block */
  GX_LEDGER_EGENESIS,  /* genesis missing, set twice, duplicate account or supply > 2^62 */
  GX_LEDGER_EDECODE,   /* stored black hole does not decode (gx_bh_decode) */
  GX_LEDGER_ETOOBIG,   /* more transfers than this ledger is configured for */
  GX_LEDGER_EHEIGHT,   /* black hole height is not tip + 1 */
  GX_LEDGER_EPREV,     /* black hole prev is not the tip's id */
  GX_LEDGER_EENTRIES,  /* entries root does not match the transfers */
  GX_LEDGER_ETX,       /* a transfer in the black hole fails validation */
  GX_LEDGER_ESTATE,    /* state root differs from the one recomputed */
  GX_LEDGER_ESMALL,    /* output buffer too small */
  GX_LEDGER_ERR__COUNT
} gx_ledger_err_t;
const char *gx_ledger_strerror(gx_ledger_err_t e);

/* Why an agreed transfer was left out of the block. Counts are per transfer,
 * except MALFORMED, which counts dropped proposals. */
typedef enum {
  GX_LEDGER_REJ_BAD_SIGNATURE = 0, /* a signature does not verify */
  GX_LEDGER_REJ_REPLAY,            /* a party's seq <= its head (incl. already committed) */
  GX_LEDGER_REJ_SEQ_GAP,           /* a party's seq > head + 1 */
  GX_LEDGER_REJ_BROKEN_LINK,       /* a party's prev is not its head id */
  GX_LEDGER_REJ_OVERDRAFT,         /* initiator balance < amount */
  GX_LEDGER_REJ_BALANCE_OVERFLOW,  /* counterparty balance would pass 2^62 */
  GX_LEDGER_REJ_EQUIVOCATION,      /* a party signed another accepted tx at that seq */
  GX_LEDGER_REJ_MALFORMED,         /* proposal not a whole list of valid transfers */
  GX_LEDGER_REJ__COUNT
} gx_ledger_reject_t;
/* Stable snake_case label ("overdraft") for metrics and logs. */
const char *gx_ledger_reject_label(gx_ledger_reject_t r);

typedef struct {
  uint32_t max_accounts;      /* account table capacity (default 1<<20) */
  uint32_t max_proposers;     /* proposals per epoch, 1..64 (default 64) */
  uint32_t max_proposal_txs;  /* transfers per proposal (default 512); proposers *
                               * txs must be <= GX_BH_MAX_TXS. Consensus parameter:
                               * every validator must use the same value. */
  uint32_t max_equivocations; /* proofs kept per block (default 64) */
  uint8_t hash_key[16];       /* SipHash key of the account table (layout only) */
} gx_ledger_cfg_t;
void gx_ledger_cfg_defaults(gx_ledger_cfg_t *cfg);

typedef struct gx_ledger gx_ledger_t;

/* An account's state, keyed by its public key. */
typedef struct {
  uint64_t balance;
  uint64_t seq;
  gx_hash_t head; /* hash of the account's latest chain entry */
} gx_ledger_account_t;

/* New absolute state of one account after a block (re-applying it is idempotent). */
typedef struct {
  gx_pubkey_t account;
  gx_ledger_account_t state;
} gx_ledger_update_t;

/* Bytes of one account record in the state root: key[32] balance u64 seq u64
 * head[32] (the same layout as storage's update records). */
#define GX_LEDGER_UPDATE_SZ 80u

/* Bytes needed for cfg, 0 when cfg is out of range. */
size_t gx_ledger_footprint(const gx_ledger_cfg_t *cfg);
/* Formats mem (footprint bytes, 64-aligned); NULL on bad cfg or alignment. */
gx_ledger_t *gx_ledger_new(void *mem, const gx_ledger_cfg_t *cfg);
/* Forgets the ledger; returns the memory for the caller to free. */
void *gx_ledger_delete(gx_ledger_t *l);

/* An initial balance. */
typedef struct {
  gx_pubkey_t account;
  uint64_t amount;
} gx_ledger_alloc_t;

/* Sets height 0: tip id = genesis_id, accounts funded (seq 0, head zero),
 * state root = H(STATE, 32 zero bytes || the accounts as 80-byte update
 * records sorted by key). Amounts 0 are allowed; the sum must be <= 2^62. */
gx_ledger_err_t gx_ledger_genesis(gx_ledger_t *l, const gx_hash_t *genesis_id,
                                  const gx_ledger_alloc_t *accounts, uint32_t n);
/* Restart from storage: sets the tip to (height, id, state root) of the last
 * durable black hole, after gx_ledger_load_account for every stored account. */
gx_ledger_err_t gx_ledger_restore(gx_ledger_t *l, uint64_t height, const gx_hash_t *tip_id,
                                  const gx_hash_t *state_root);
gx_ledger_err_t gx_ledger_load_account(gx_ledger_t *l, const gx_pubkey_t *account,
                                       const gx_ledger_account_t *a);

/* Committed tip. */
uint64_t gx_ledger_height(const gx_ledger_t *l);
void gx_ledger_tip(const gx_ledger_t *l, gx_hash_t *id, gx_hash_t *state_root);
/* An account's state, pending block included; 0, or -1 if unknown. */
int gx_ledger_account(const gx_ledger_t *l, const gx_pubkey_t *key, gx_ledger_account_t *out);
uint32_t gx_ledger_account_count(const gx_ledger_t *l);
/* Sum of all balances, pending block included (walks the table: tests, audits). */
uint64_t gx_ledger_total(const gx_ledger_t *l);
/* The same sum, kept as the table changes: O(pending accounts), for readers on
 * a request path (GET /v1/status); equals gx_ledger_total. */
uint64_t gx_ledger_balance_sum(const gx_ledger_t *l);

/* "Did this node already verify both signatures of tx id?" 1 yes, 0 no. */
typedef int (*gx_ledger_verified_fn_t)(void *ctx, const gx_hash_t *tx_id);

/* Optional source of committed transfers by tx id (e.g. the store:
 * gx_store_find_tx + gx_store_get): copies the 290 bytes and returns 1, or 0
 * when unknown. With it, a transfer that conflicts with a party's *committed*
 * head transaction (same seq, different signed digest) is rejected as
 * `equivocation` with a proof instead of as `replay`. The bytes are checked
 * against the id; the block itself never depends on the source (both
 * reasons reject), only the counts and proofs do. */
typedef int (*gx_ledger_tx_fn_t)(void *ctx, const gx_hash_t *tx_id, uint8_t out[GX_XFER_SZ]);
void gx_ledger_set_tx_source(gx_ledger_t *l, gx_ledger_tx_fn_t fn, void *ctx);

/* Proof that `account` signed two different transfers at `seq`: `first` was
 * accepted (in this block, or committed before), `second` rejected
 * (gx_chain_is_equivocation holds). */
typedef struct {
  gx_pubkey_t account;
  uint64_t seq;
  uint8_t first[GX_XFER_SZ];
  uint8_t second[GX_XFER_SZ];
} gx_ledger_equivocation_t;

/* One agreed transfer left out of the block (for the mempool and metrics). */
typedef struct {
  gx_hash_t id;
  gx_ledger_reject_t reason;
} gx_ledger_rejection_t;

/* The pending block. Pointers are into the ledger. */
typedef struct {
  gx_bh_header_t header;
  gx_hash_t id;                         /* black hole id */
  const uint8_t *encoded;               /* the whole encoded black hole */
  size_t encoded_len;
  const uint8_t *xfers;                 /* accepted transfers, block order */
  const gx_hash_t *tx_ids;
  uint32_t tx_count;
  const gx_ledger_update_t *updates;    /* final state of each touched account, key order */
  uint32_t update_count;
  const gx_ledger_equivocation_t *equivocations;
  uint32_t equivocation_count;
  uint32_t equivocations_unrecorded;    /* beyond max_equivocations */
  uint64_t rejected[GX_LEDGER_REJ__COUNT];
  const gx_ledger_rejection_t *rejections; /* every rejected transfer (not the */
  uint32_t rejection_count;                /* malformed proposals), canonical order */
  uint32_t duplicates;                  /* same tx id in several proposals */
  uint32_t passes;
  uint32_t sig_verified;                /* transfers whose signatures were checked here */
  /* gx_ledger_apply_blackhole with ETX: which transfer and why */
  uint32_t fail_index;
  gx_ledger_reject_t fail_reason;
} gx_ledger_block_t;

/* Builds the next black hole (height = tip + 1) from the agreed proposals of
 * `epoch`; see the top of this file. verified may be NULL. */
gx_ledger_err_t gx_ledger_apply_epoch(gx_ledger_t *l, uint64_t epoch,
                                      const uint8_t *const *proposals, const uint32_t *lens,
                                      uint32_t n, gx_ledger_verified_fn_t verified,
                                      void *verified_ctx, gx_ledger_block_t *out);
/* The same, with the caller's tx ids: ids[k] = gx_xfer_id of the k-th
 * transfer counted over all proposals in order (proposal p contributes
 * lens[p] / GX_XFER_SZ entries, rounded down, malformed proposals included),
 * so a caller that hashed them already (galaxyd's commit stage) does not pay
 * for it twice. ids NULL: computed here. The ledger trusts them: a wrong id
 * makes a wrong (but deterministic for the same ids) block. */
gx_ledger_err_t gx_ledger_apply_epoch_ids(gx_ledger_t *l, uint64_t epoch,
                                          const uint8_t *const *proposals, const uint32_t *lens,
                                          uint32_t n, const gx_hash_t *ids,
                                          gx_ledger_verified_fn_t verified, void *verified_ctx,
                                          gx_ledger_block_t *out);
/* Re-applies an encoded black hole received from a peer or read from storage. */
gx_ledger_err_t gx_ledger_apply_blackhole(gx_ledger_t *l, const uint8_t *buf, size_t len,
                                          gx_ledger_verified_fn_t verified, void *verified_ctx,
                                          gx_ledger_block_t *out);
gx_ledger_err_t gx_ledger_commit(gx_ledger_t *l);
gx_ledger_err_t gx_ledger_abort(gx_ledger_t *l);
/* Copies the pending black hole (gx_bh_encode) into out[cap]; *len its size. */
gx_ledger_err_t gx_ledger_encode_blackhole(const gx_ledger_t *l, uint8_t *out, size_t cap,
                                           size_t *len);

/* Storage recovery check (gx_store_hash_fn_t): *hash = id of the encoded
 * black hole in body (fully decoded with gx_bh_decode); -1 if it is not one.
 * ctx is unused. */
int gx_ledger_bh_hash(void *ctx, const uint8_t *body, uint32_t body_len, gx_hash_t *hash);

/* State root after a block: H(STATE, prev_root || updates as 80-byte records
 * (key, balance u64, seq u64, head) in key order). */
void gx_ledger_state_root(gx_hash_t *out, const gx_hash_t *prev_root,
                          const gx_ledger_update_t *updates, uint32_t n);

#endif
