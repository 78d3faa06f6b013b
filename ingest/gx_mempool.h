/* gx_mempool: the bounded pool of verified transfers waiting for consensus.
 *
 * Order: transfers are held per initiator account, indexed by the initiator's
 * sequence number. Each account has next_seq, its lowest uncommitted sequence
 * (1 for an account the pool has not heard of; gx_mempool_on_committed moves
 * it). The pool holds only sequences in the window
 * [next_seq, next_seq + max_future): older ones are stale, farther ones are
 * refused (a client cannot park unbounded future transfers).
 *
 * Hand-out: gx_mempool_take() copies out "ready" transfers: for each account,
 * the consecutive run starting at the first sequence not yet handed out;
 * accounts are served in the order they became ready (FIFO), so the order is
 * deterministic for a given sequence of calls. Taken transfers stay in the
 * pool (they cannot be evicted) until gx_mempool_on_committed() removes them,
 * or gx_mempool_untake_all() makes them available again (proposal failed).
 *
 * Eviction when full (capacity transfers): a new transfer at distance
 * d = seq - next_seq evicts the held, not-taken transfer with the largest
 * distance D, provided D > d; among several at distance D the most recently
 * inserted goes. Otherwise the new transfer is refused (GX_MEMPOOL_ERR_FULL).
 * Accounts: at most max_accounts are tracked; an account holding no transfer
 * is kept (it remembers next_seq) until its slot is needed, least recently
 * emptied first. When every tracked account holds transfers, a transfer from a
 * new account is refused (GX_MEMPOOL_ERR_ACCOUNTS).
 *
 * Admission gate: gx_mempool_on_committed also publishes the account's new
 * next_seq in a fixed table (a power of two >= max_accounts slots, indexed by
 * the key's first 8 bytes, the full key stored, a sequence lock per slot) that
 * other threads read with gx_mempool_gate(): the ingest drops, before any
 * signature work, transfers this pool would refuse as stale or too far. It is
 * a hint that never refuses what the pool would take from an up-to-date view:
 * an account whose slot another account took, or one never committed, is
 * admitted; the published next_seq only lags the pool's by the moment between
 * on_committed and the next read.
 *
 * Sans-I/O and deterministic: no clocks, no threads, no randomness. All memory
 * is allocated by gx_mempool_new (lazily touched); nothing allocates after.
 * Threads: one owner thread calls everything; gx_mempool_size(),
 * gx_mempool_accounts() and gx_mempool_gate() may be called from others.
 * Errors: gx_mempool_err_t and gx_mempool_strerror(). */
#ifndef GX_MEMPOOL_H
#define GX_MEMPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"

typedef struct {
  uint64_t capacity;     /* transfers held at most; default 1,000,000 */
  uint32_t max_future;   /* window of sequences per account; default 64, max 1024 */
  uint64_t max_accounts; /* accounts tracked at most; default 262,144 */
} gx_mempool_cfg_t;

typedef enum {
  GX_MEMPOOL_OK = 0,
  GX_MEMPOOL_ERR_DUPLICATE, /* this transfer (same id) is already held        */
  GX_MEMPOOL_ERR_CONFLICT,  /* another transfer holds this (account, seq)     */
  GX_MEMPOOL_ERR_STALE,     /* seq below the account's next uncommitted seq   */
  GX_MEMPOOL_ERR_TOO_FAR,   /* seq at or beyond next_seq + max_future         */
  GX_MEMPOOL_ERR_FULL,      /* pool full and nothing farther ahead to evict   */
  GX_MEMPOOL_ERR_ACCOUNTS,  /* account table full of accounts with transfers  */
  GX_MEMPOOL_ERR_DECODE,    /* the bytes are not a valid transfer encoding    */
  GX_MEMPOOL_ERR_CONFIG,    /* gx_mempool_new: a limit out of range           */
  GX_MEMPOOL_ERR_NOMEM,     /* gx_mempool_new: memory                         */
  GX_MEMPOOL_ERR__COUNT
} gx_mempool_err_t;

const char *gx_mempool_strerror(gx_mempool_err_t err);
/* Stable snake_case label for metrics ("too_far"). */
const char *gx_mempool_err_label(gx_mempool_err_t err);

typedef struct gx_mempool gx_mempool_t;

void gx_mempool_cfg_defaults(gx_mempool_cfg_t *cfg);
/* Bytes gx_mempool_new reserves for cfg (virtual; touched as it fills). */
size_t gx_mempool_footprint(const gx_mempool_cfg_t *cfg);
gx_mempool_t *gx_mempool_new(const gx_mempool_cfg_t *cfg, gx_mempool_err_t *err);
void gx_mempool_delete(gx_mempool_t *mp);

/* What an insert evicted to make room in a full pool. */
typedef struct {
  int evicted;                /* 1: another transfer was evicted; enc and id are its */
  uint8_t enc[GX_XFER_SZ];
  gx_hash_t id;
} gx_mempool_evicted_t;

/* Adds one verified transfer (290 encoded bytes, id = gx_xfer_id of them).
 * ev (may be NULL) says whether, and which, transfer was evicted for it (the
 * ingest forgets it in dedup, so that a re-sent copy can come back). */
gx_mempool_err_t gx_mempool_insert(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                   const gx_hash_t *id, gx_mempool_evicted_t *ev);
/* Copies up to max ready transfers into out (max * GX_XFER_SZ bytes) and their
 * ids into ids (may be NULL); returns how many. */
size_t gx_mempool_take(gx_mempool_t *mp, uint8_t *out, gx_hash_t *ids, size_t max);
/* The same for the accounts of one shard only (gx_shard_of(initiator,
 * n_shards) == shard; n_shards <= 1: every account): the other accounts stay
 * ready, in their place, untouched (the proposer takes just what it proposes). */
size_t gx_mempool_take_shard(gx_mempool_t *mp, uint8_t *out, gx_hash_t *ids, size_t max,
                             uint32_t shard, uint32_t n_shards);
/* The account committed everything up to and including seq: its transfers
 * with seq <= that are removed (included or obsolete) and next_seq = seq + 1. */
void gx_mempool_on_committed(gx_mempool_t *mp, const gx_pubkey_t *account, uint64_t seq);
/* Removes this transfer (if held): the ledger rejected it, so proposing it
 * again would only be rejected again. 1 when it was held. */
int gx_mempool_drop(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ], const gx_hash_t *id);
/* Every taken, uncommitted transfer becomes ready again. O(tracked accounts). */
void gx_mempool_untake_all(gx_mempool_t *mp);

/* 1 when a transfer with this id is held (looked up via its account/seq). */
int gx_mempool_contains(gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ], const gx_hash_t *id);
uint64_t gx_mempool_size(const gx_mempool_t *mp);
uint64_t gx_mempool_accounts(const gx_mempool_t *mp);  /* accounts holding transfers */
uint64_t gx_mempool_ready(const gx_mempool_t *mp);     /* accounts with a ready head */
uint64_t gx_mempool_next_seq(gx_mempool_t *mp, const gx_pubkey_t *account); /* 1 if unknown */

typedef enum {
  GX_MEMPOOL_GATE_ADMIT = 0, /* the pool may take it (or the gate does not know the account) */
  GX_MEMPOOL_GATE_STALE,     /* initiator seq below the published next_seq: for ever */
  GX_MEMPOOL_GATE_TOO_FAR,   /* at or beyond next_seq + max_future: for now */
} gx_mempool_gate_t;
/* Any thread: the gate's verdict on an encoded transfer (no decoding, no
 * hashing: about 10 ns). ahead (may be NULL): on ADMIT, how far the transfer's
 * seq is past the account's published next_seq (0 when the gate does not know
 * the account). next (may be NULL): that published next_seq, 0 when the gate
 * does not know the account. */
gx_mempool_gate_t gx_mempool_gate(const gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                  uint64_t *ahead, uint64_t *next);

#endif
