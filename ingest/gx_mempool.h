/* gx_mempool: the bounded pool of verified transfers waiting for consensus.
 *
 * Order: transfers are held per initiator account, indexed by the initiator's
 * sequence number. Each account has next_seq, its lowest uncommitted sequence
 * (1 for an account that never committed; gx_mempool_on_committed moves it).
 * The pool holds only sequences in the window [next_seq, next_seq +
 * max_future): older ones are stale, farther ones are refused (a client
 * cannot park unbounded future transfers).
 *
 * Known and unknown accounts. The pool remembers, in a fixed known table
 * (max_known accounts, never forgotten), every account that committed
 * (gx_mempool_on_committed) and, on a chain, every genesis account
 * (gx_mempool_genesis), with its next_seq. Once gx_mempool_genesis has been
 * called (the chain view; galaxyd with a [chain]), an account in neither is
 * *unknown*: it holds no funds, so none of its transfers can commit before it
 * receives some (a transfer at its seq 1 as counterparty). Its transfers
 * (the junk of the attack in docs/GALAXYD.md "Mempool", or a wallet's
 * transfer sent before its funding committed) are held apart:
 *   - at most max_unknown of them, over all unknown accounts; a new one past
 *     that evicts the oldest unknown one (FIFO by insertion);
 *   - never handed out (never ready), and first to go: a full pool evicts
 *     the oldest unknown transfer before any known account's, and an unknown
 *     account's transfer never evicts a known account's;
 *   - they expire after unknown_ttl rounds (gx_mempool_tick; galaxyd: one per
 *     committed black hole);
 *   - when the account commits (it was funded), they join its known chain
 *     (promoted) and can become ready.
 * Without the chain view (an ingest-only node) every account counts as known.
 *
 * Hand-out: gx_mempool_take() copies out "ready" transfers: for each known
 * account, the consecutive run starting at the first sequence not yet handed
 * out; accounts are served in the order they became ready (FIFO), so the
 * order is deterministic for a given sequence of calls. Taken transfers stay
 * in the pool (they cannot be evicted) until gx_mempool_on_committed()
 * removes them, or gx_mempool_untake_all() makes them available again
 * (proposal failed).
 *
 * Eviction when full (capacity transfers): the oldest unknown transfer goes
 * first. With none held, a known account's new transfer at distance d =
 * seq - next_seq evicts the held, not-taken transfer with the largest
 * distance D, provided D > d; among several at distance D the most recently
 * inserted goes. Otherwise the new transfer is refused (GX_MEMPOOL_ERR_FULL);
 * an unknown account's transfer never evicts a known account's.
 * Accounts: a record per account holding transfers, at most max_accounts for
 * known accounts and at most max_unknown for unknown ones (each holds at least
 * one transfer), so junk can never take a known account's record. A known
 * account holding no transfer keeps its record until a known account needs
 * it, least recently emptied first (nothing is lost: next_seq is in the
 * known table); an unknown one's record is freed when it empties. When every
 * known record holds transfers, a transfer from another known account is
 * refused (GX_MEMPOOL_ERR_ACCOUNTS): max_accounts known accounts with
 * transfers waiting at once, never junk.
 *
 * Admission gate: the known table is also the gate, read by other threads
 * with gx_mempool_gate(): the ingest drops, before any signature work,
 * transfers this pool would refuse as stale or too far, for every account:
 * a known one by its next_seq, any other by next_seq 1 (what the pool would
 * use). It never refuses what the pool would take: the table is insert-only
 * (an account's entry is never overwritten by another's), and its next_seq
 * only lags the pool's by the moment between on_committed and the next read.
 * An account that found no room in a full known table (counted: known_full)
 * is judged as never committed, by the gate at once and by the pool once
 * its record is gone: size max_known to the chain's accounts.
 *
 * Bounds (all allocated by gx_mempool_new, lazily touched): capacity
 * transfers (352 bytes each), max_accounts + max_unknown account records
 * (72 + 4 * max_future bytes each), a known table of a power of two >=
 * 2 * max_known slots (40 bytes each), hash heads. gx_mempool_footprint()
 * sums them. Nothing allocates after.
 *
 * Sans-I/O and deterministic: no clocks (rounds are gx_mempool_tick calls), no
 * threads, no randomness (hash_key comes from the caller).
 * Threads: one owner thread calls everything; gx_mempool_size(),
 * gx_mempool_accounts(), gx_mempool_ready(), gx_mempool_unknown(),
 * gx_mempool_known(), gx_mempool_chain_view(), gx_mempool_counters() and
 * gx_mempool_gate() may be called from others.
 * Errors: gx_mempool_err_t and gx_mempool_strerror(). */
#ifndef GX_MEMPOOL_H
#define GX_MEMPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"

typedef struct {
  uint64_t capacity;     /* transfers held at most; default 1,000,000 */
  uint32_t max_future;   /* window of sequences per account; default 64, max 1024 */
  uint64_t max_accounts; /* known accounts with a record at most; default 262,144 */
  /* 0 in any of the following: the default derived at gx_mempool_new */
  uint64_t max_unknown;  /* unknown accounts' transfers held at most; default the smaller
                            of capacity / 16 and max_accounts / 4 (at least 1) */
  uint64_t max_known;    /* accounts the known table remembers; default 4 * max_accounts
                            within [4,096, 1,048,576] (galaxyd: 1,048,576, the ledger's
                            default account table) */
  uint32_t unknown_ttl;  /* rounds an unknown account's transfer is held at most; default 64
                            (gx_mempool_cfg_defaults sets it; 0 means it too) */
  uint64_t hash_key;     /* keys the account hashes (any value; galaxyd: random) */
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
/* cfg with its 0 (derived) limits resolved as gx_mempool_new resolves them
 * (galaxyd's --check-config prints them). Any thread. */
void gx_mempool_cfg_resolve(const gx_mempool_cfg_t *cfg, gx_mempool_cfg_t *out);
/* Bytes gx_mempool_new reserves for cfg (virtual; touched as it fills). */
size_t gx_mempool_footprint(const gx_mempool_cfg_t *cfg);
gx_mempool_t *gx_mempool_new(const gx_mempool_cfg_t *cfg, gx_mempool_err_t *err);
void gx_mempool_delete(gx_mempool_t *mp);

/* What an insert evicted to make room, and how it holds the new transfer. */
typedef struct {
  int evicted;                /* 1: another transfer was evicted; enc and id are its */
  int evicted_unknown;        /* 1: that one was an unknown account's (oldest first) */
  int unknown;                /* 1: the new transfer's account is unknown: held in the
                                 unknown quota, not handed out before the account commits */
  int conflict;               /* GX_MEMPOOL_ERR_CONFLICT: enc and id are the transfer held at
                                 that (account, seq), the other side of a double spend */
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
/* The chain view: accounts (n may be 0) exist at genesis (funded, next_seq 1
 * unless they committed since). The first call turns the chain view on (see
 * above); later calls add more. Returns how many found no room in the known
 * table (0: all remembered; the rest are counted in known_full). */
uint64_t gx_mempool_genesis(gx_mempool_t *mp, const gx_pubkey_t *accounts, size_t n);
/* One round passes (galaxyd: a black hole committed): unknown accounts'
 * transfers inserted unknown_ttl rounds ago expire. Returns how many. They
 * stay in the caller's dedup (a copy sent again is a duplicate until dedup
 * forgets it). */
uint64_t gx_mempool_tick(gx_mempool_t *mp);
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
uint64_t gx_mempool_unknown(const gx_mempool_t *mp);   /* unknown accounts' transfers held */
uint64_t gx_mempool_known(const gx_mempool_t *mp);     /* accounts in the known table */
/* Any thread: 1 once gx_mempool_genesis turned the chain view on. */
int gx_mempool_chain_view(const gx_mempool_t *mp);
/* The effective limits (the cfg's 0 fields resolved). */
void gx_mempool_limits(const gx_mempool_t *mp, gx_mempool_cfg_t *out);

/* Counters of what the pool did with unknown accounts (written by the owner,
 * readable by any thread, e.g. as metrics cells). */
typedef struct {
  _Atomic uint64_t unknown_inserted; /* unknown accounts' transfers taken in */
  _Atomic uint64_t unknown_evicted;  /* of those, evicted (oldest first) for room */
  _Atomic uint64_t unknown_expired;  /* of those, expired after unknown_ttl rounds */
  _Atomic uint64_t unknown_promoted; /* of those, joined their account's chain when it committed */
  _Atomic uint64_t known_full;       /* accounts the full known table could not remember */
} gx_mempool_counters_t;
const gx_mempool_counters_t *gx_mempool_counters(const gx_mempool_t *mp);
uint64_t gx_mempool_next_seq(gx_mempool_t *mp, const gx_pubkey_t *account); /* 1 if unknown */

typedef enum {
  GX_MEMPOOL_GATE_ADMIT = 0, /* the pool may take it */
  GX_MEMPOOL_GATE_STALE,     /* initiator seq below the published next_seq: for ever */
  GX_MEMPOOL_GATE_TOO_FAR,   /* at or beyond next_seq + max_future: for now */
} gx_mempool_gate_t;
/* Any thread: the gate's verdict on an encoded transfer (no decoding; one
 * probe of the known table, about 10 ns). An account not in the known table is
 * judged by next_seq 1, as the pool judges it: seq >= 1 + max_future is
 * TOO_FAR. ahead (may be NULL): on ADMIT, how far the transfer's seq is past
 * the account's known next_seq (0 when the account is not known). next (may
 * be NULL): that known next_seq, 0 when the account is not known. */
gx_mempool_gate_t gx_mempool_gate(const gx_mempool_t *mp, const uint8_t enc[GX_XFER_SZ],
                                  uint64_t *ahead, uint64_t *next);

#endif
