/* gx_ingest: galaxyd's ingest pipeline runtime. Stages run on threads pinned
 * to configured cores and are joined by DPDK rte_rings; transfers travel as
 * fixed-size items from one rte_mempool sized at start-up. EAL must be up
 * (gx_eal_init; --no-huge where there are no hugepages) before gx_ingest_new.
 *
 *   RX+parse+dedup (one thread per gx_dp queue, any backend)
 *      |  verify ring (MP/MC)          <- ingress: full ring = drop, counted
 *   verify workers (N threads, batches of verify_batch: gx_verify_batch)
 *      |  mempool ring (MP/SC)         <- backpressure: workers wait
 *   mempool stage (owns gx_mempool_t; runs the chain half's typed requests)
 *      |  gossip ring (SP/SC)          <- backpressure
 *   gossip stage (gx_gossip batching, fanout)
 *      |  tx ring (SP/SC) of datagram buffers   <- backpressure
 *   RX thread of queue 0 transmits them (a gx_dp queue is used by one thread)
 *   housekeeping (1 s tick: drop warnings in the log, stage liveness)
 *
 * RX runs the parse and dedup itself (zero copy from the backend's buffer;
 * no hand-off before the cheap checks): batch envelope, dedup key (keyed
 * XXH3-128, gx_dedup.h), and for new transfers only the strict decode and the
 * admission gate; only new transfers are copied into an item (the verify
 * stage computes the tx id of those that pass).
 * Only ingress drops under overload; every drop is counted by reason. After
 * dropping one of an account's transfers, RX drops the account's later ones
 * too until the missing one comes again (tail drop: gx_ingest.c "Tail drop").
 * Verify: ingest/gx_verify.h (gate re-check, preverified cache, both
 * signatures with gx_xfer_verify_enc, one by one: batches amortise ring
 * operations, they do not change which signatures pass).
 *
 * LSH block intake (a galaxy; docs/CLUSTERS.md "Wiring into galaxyd" step 1):
 * with a sink installed (gx_ingest_set_lsh_sink, before start), RX hands every
 * 0x23 datagram (GX_MSG_LSH_CHUNK, core/gx_chunk.h) to its own reassembler
 * (one gx_chunk_rx_t per RX thread: lsh_slots objects in flight of at most
 * GX_LSH_MAX_SZ bytes, a done ring of lsh_done ids) instead of the batch
 * parser. A completed object is strictly decoded (gx_lsh_decode; neither the
 * tx root nor the certificate is checked here: gx_fold_check's job, on the
 * chain half) and its block id recomputed (gx_lsh_id) and compared with the
 * id the chunks announced; a bad one is rejected (gx_chunk_rx_reject: its
 * later chunks count as "rejected"). A good one goes to the sink on the RX
 * thread (gx_ingest_lsh_chunk below says what happens when it refuses). An
 * object's chunks must all reach one RX queue: one sender's flow does (the
 * kernel's SO_REUSEPORT hash, RSS), so a sender sends each object from one
 * socket. Without a sink, 0x23 datagrams are parse errors (reason="type"), as
 * for any other type the parser does not take. Memory per RX thread, made at
 * gx_ingest_new whether or not a sink comes (calloc: pages are touched only
 * when chunks arrive): gx_ingest_lsh_footprint(cfg), 19.5 MB at the default 8
 * slots (2.43 MB a slot) and 256 done ids; lsh_slots = 0 allocates none (and
 * no sink can be installed).
 *
 * Lifecycle: gx_ingest_cfg_defaults -> gx_ingest_new (rings, pools, dedup,
 * mempool, reassemblers; nothing allocates later) -> gx_ingest_metrics_register
 * -> gx_ingest_set_lsh_sink (a galaxy) -> gx_ingest_start (threads) -> ... ->
 * gx_ingest_stop (every thread joins within ~100 ms) -> gx_ingest_delete.
 * Threads: new/set_lsh_sink/start/stop/delete from one control thread; stats
 * and metrics from any thread; the mempool requests from any thread but the
 * stages'; the LSH sink is called on the RX threads.
 * Errors: -1 / NULL with a one-line reason in err. */
#ifndef GX_INGEST_H
#define GX_INGEST_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gx_chunk.h"
#include "core/gx_hash.h"
#include "core/gx_lsh.h"
#include "core/gx_metrics.h"
#include "core/gx_proto.h"
#include "dataplane/gx_dp.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_gossip.h"
#include "ingest/gx_mempool.h"

#define GX_INGEST_MAX_RX 16
#define GX_INGEST_MAX_VERIFY 64
#define GX_INGEST_MAX_BATCH 256
#define GX_INGEST_PARSE_OVERSIZE GX_PROTO_ERR__COUNT /* extra parse-error reason */
#define GX_INGEST_PARSE_REASONS (GX_PROTO_ERR__COUNT + 1)
#define GX_INGEST_LSH_SLOTS 8     /* default lsh_slots */
#define GX_INGEST_LSH_DONE 256    /* default lsh_done */

/* What became of a completed LSH block object (gx_ingest_lsh_chunk). */
typedef enum {
  GX_INGEST_LSH_NONE = 0,    /* the datagram completed no object */
  GX_INGEST_LSH_ACCEPTED,    /* a valid block with the announced id; the sink took it */
  GX_INGEST_LSH_BAD_DECODE,  /* the rebuilt bytes are not a valid LSH block (rejected) */
  GX_INGEST_LSH_BAD_ID,      /* a valid block, but its id is not the announced one (rejected) */
  GX_INGEST_LSH_SINK_FULL,   /* a good block the sink refused: dropped, id forgotten */
  GX_INGEST_LSH__COUNT
} gx_ingest_lsh_verdict_t;
/* Stable label ("bad_id"); "none" for GX_INGEST_LSH_NONE, "unknown" out of range. */
const char *gx_ingest_lsh_label(gx_ingest_lsh_verdict_t v);

/* The chain half's intake of LSH blocks, called on an RX thread (several RX
 * threads may call it at once) with a strictly decoded block whose id is id;
 * block (len bytes) is valid during the call only. Return 0 when the callee
 * copied it (into its own bounded queue), non-zero to refuse it (queue full).
 * It must not block: RX waits for it. */
typedef int (*gx_ingest_lsh_fn)(void *ctx, const gx_hash_t *id, const uint8_t *block, size_t len);

typedef struct {
  int n_verify;                        /* verify worker threads; default 1 */
  int rx_cores[GX_INGEST_MAX_RX];      /* core per RX queue; -1 = not pinned */
  int verify_cores[GX_INGEST_MAX_VERIFY];
  int mempool_core, gossip_core, housekeeping_core;
  uint32_t verify_batch;   /* transfers per verify batch; default 64 */
  int verify_nice;         /* nice of the verify workers, 0..19; default 0 (a higher one
                              makes them yield to RX and consensus on shared cores) */
  int rx_busy_poll;        /* 1: an idle RX thread polls on (DPDK on isolated cores: no
                              wake-up delay, a full core); 0 (default): after 32 empty
                              polls it sleeps 250 us, then 1 ms, between polls */
  uint32_t verify_ring;    /* verify ring slots (power of two); default 65536 */
  uint32_t link_ring;      /* mempool/gossip/tx ring slots; default 16384 */
  uint32_t items;          /* transfer items in the pool; default 131072 */
  uint64_t dedup_entries;  /* default 4,194,304 */
  uint32_t lsh_slots;      /* LSH block objects in flight per RX thread, 0..GX_CHUNK_MAX_SLOTS
                              (0: no intake); default GX_INGEST_LSH_SLOTS */
  uint32_t lsh_done;       /* finished object ids remembered per RX thread,
                              1..GX_CHUNK_MAX_DONE; default GX_INGEST_LSH_DONE */
  gx_mempool_cfg_t mempool;
  gx_gossip_cfg_t gossip;
  const char *name;        /* prefix of rte object names; default "gx" */
} gx_ingest_cfg_t;

/* Counters of one RX stage (written by its thread only). */
typedef struct {
  _Atomic uint64_t dgrams, bytes, rx_errors;
  _Atomic uint64_t parse_err[GX_INGEST_PARSE_REASONS];
  _Atomic uint64_t transfers;          /* decoded transfers          */
  _Atomic uint64_t duplicates;         /* dropped by dedup           */
  _Atomic uint64_t drop_queue_full;    /* verify ring full           */
  _Atomic uint64_t drop_pool_empty;    /* no free item               */
  _Atomic uint64_t drop_far_ahead;     /* verify ring > 3/4 full and the transfer is
                                          >= GX_INGEST_CONGESTED_AHEAD past its account's head */
  _Atomic uint64_t drop_behind_hole;   /* an earlier transfer of its account was dropped
                                          here and has not come again (tail drop) */
  _Atomic uint64_t drop_unknown_busy;  /* on a chain, the verify ring more than
                                          1/GX_INGEST_UNKNOWN_BUSY_DIV full and the transfer's
                                          account unknown to the mempool (gx_mempool.h) */
  _Atomic uint64_t gate_stale, gate_too_far; /* the mempool would refuse them */
  _Atomic uint64_t tx_dgrams, tx_drops;/* gossip datagrams sent by queue 0 */
  /* LSH block intake (sink installed): the reassembler's chunk verdicts
   * (gx_chunk_stats_t.chunks, copied after each burst), objects it evicted
   * unfinished, and what became of the completed objects */
  _Atomic uint64_t lsh_chunks[GX_CHUNK__COUNT];
  _Atomic uint64_t lsh_evicted;
  _Atomic uint64_t lsh_blocks[GX_INGEST_LSH__COUNT];
} __attribute__((aligned(64))) gx_ingest_rx_stats_t;

typedef struct {
  _Atomic uint64_t ok, bad_init, bad_cp, batches, waits;
  _Atomic uint64_t gate_stale, gate_too_far; /* became refusable while queued: not verified */
  _Atomic uint64_t preverified;              /* in ok: verified by the commit stage already */
} __attribute__((aligned(64))) gx_ingest_verify_stats_t;

typedef struct {
  _Atomic uint64_t inserted, evicted, rejected[GX_MEMPOOL_ERR__COUNT], waits;
  _Atomic uint64_t unknown_held, unknown_evicted, unknown_expired; /* unknown accounts' (in
                                                           inserted, evicted): gx_mempool.h */
  _Atomic uint64_t gossip_forwarded, gossip_copies, gossip_dgrams, gossip_hops_exceeded,
      gossip_waits;
  _Atomic uint64_t housekeeping_ticks;
  _Atomic uint64_t equivocations;  /* double spends seen (both sides verified here) */
} gx_ingest_stats_t;

/* A plain snapshot for tests and logs (sums over threads). */
typedef struct {
  uint64_t dgrams, bytes, parse_errors, transfers, duplicates, ingress_drops, gate_drops;
  uint64_t verified_ok, verify_failed, mempool_inserted, mempool_rejected, mempool_size;
  uint64_t gossip_forwarded, gossip_dgrams, tx_dgrams, tx_drops;
  uint64_t lsh_chunks[GX_CHUNK__COUNT];     /* chunk datagrams by gx_chunk verdict */
  uint64_t lsh_evicted;                     /* objects evicted unfinished */
  uint64_t lsh_blocks[GX_INGEST_LSH__COUNT];/* completed objects by verdict */
} gx_ingest_snapshot_t;

typedef struct gx_ingest gx_ingest_t;

void gx_ingest_cfg_defaults(gx_ingest_cfg_t *cfg);
/* rxq: n_rxq queues of one backend (1..GX_INGEST_MAX_RX); queue 0 also sends
 * gossip. The queues must outlive the pipeline. */
gx_ingest_t *gx_ingest_new(const gx_ingest_cfg_t *cfg, gx_dp_queue_t *const *rxq, int n_rxq,
                           char *err, size_t errlen);
gx_metrics_err_t gx_ingest_metrics_register(gx_ingest_t *ing, gx_metrics_t *m);
int gx_ingest_start(gx_ingest_t *ing, char *err, size_t errlen);
void gx_ingest_stop(gx_ingest_t *ing);
void gx_ingest_delete(gx_ingest_t *ing);
void gx_ingest_snapshot(const gx_ingest_t *ing, gx_ingest_snapshot_t *out);

/* Installs the LSH block sink (fn NULL: none, 0x23 datagrams are parse errors
 * again). Only while the pipeline is not running (from the control thread,
 * before gx_ingest_start). -1 when it is running, or when lsh_slots is 0 and
 * fn is not NULL. */
int gx_ingest_set_lsh_sink(gx_ingest_t *ing, gx_ingest_lsh_fn fn, void *ctx);
/* Bytes one RX thread's reassembler takes with this configuration (0 when
 * lsh_slots is 0 or the LSH fields are out of range). */
size_t gx_ingest_lsh_footprint(const gx_ingest_cfg_t *cfg);

/* Double spends this node saw: an account's two different transfers at one
 * sequence number, both signatures of both verified here (the mempool held
 * one when the other arrived). The proof is the two transfers: anyone can
 * check it with gx_chain_is_equivocation (core/gx_chain.h). The last
 * GX_INGEST_EQUIV_KEPT are kept, one per (account, seq); the losing transfer
 * is not held, gossiped or proposed (the ledger would reject it anyway).
 * Any thread. */
#define GX_INGEST_EQUIV_KEPT 256
typedef struct {
  gx_pubkey_t account;
  uint64_t seq;
  uint8_t first[GX_XFER_SZ];   /* the one held (it may still commit) */
  uint8_t second[GX_XFER_SZ];  /* the one refused */
} gx_ingest_equivocation_t;
/* Copies up to max kept proofs, newest first; returns how many. *seen (may be
 * NULL): proofs recorded since start (kept or not). */
size_t gx_ingest_equivocations(gx_ingest_t *ing, gx_ingest_equivocation_t *out, size_t max,
                               uint64_t *seen);

/* ---- the mempool, for the chain half ----
 * Typed requests that the mempool stage runs on its own thread (inline when
 * the pipeline is not running); each returns once it ran. Any thread but the
 * stages'. validator/gx_txpool.h is the interface the chain half sees; galaxyd
 * joins the two.
 * take_shard: up to max ready transfers of shard (of n_shards) into out
 *   (GX_XFER_SZ each), marked taken; *any_ready: some shard has a ready one.
 * held: held[i] = 1 when the pool holds xfers[i] (ids[i] its tx id), i.e.
 *   this node verified both its signatures at ingest.
 * committed: accounts[i] committed up to seqs[i]; the dropped transfers were
 *   rejected by the ledger and leave the pool; what was taken and not
 *   committed becomes available again. One call is one round of the pool
 *   (gx_mempool_tick: unknown accounts' transfers expire after unknown_ttl).
 * genesis_accounts: the chain's genesis accounts (gx_mempool_genesis): turns
 *   on the chain view, in which transfers of accounts neither funded at
 *   genesis nor ever committed are held apart in a bounded quota, never
 *   proposed and never gossiped (they cannot commit; gx_mempool.h). galaxyd
 *   hands them in once, in chunks, before the pipeline starts; ingest cannot
 *   read the genesis (validator/ is not below it). Returns how many found no
 *   room in the known table. */
size_t gx_ingest_take_shard(gx_ingest_t *ing, uint32_t shard, uint32_t n_shards, uint8_t *out,
                            size_t max, int *any_ready);
void gx_ingest_held(gx_ingest_t *ing, const uint8_t *const *xfers, const gx_hash_t *ids, size_t n,
                    uint8_t *held);
void gx_ingest_committed(gx_ingest_t *ing, const gx_pubkey_t *accounts, const uint64_t *seqs,
                         size_t n_accounts, const uint8_t *const *dropped,
                         const gx_hash_t *dropped_ids, size_t n_dropped);
uint64_t gx_ingest_genesis_accounts(gx_ingest_t *ing, const gx_pubkey_t *accounts, size_t n);
/* Any thread: both signatures of this encoded transfer were verified outside
 * the pipeline (the commit stage, for an agreed transfer not yet through our
 * workers); a worker that meets it later passes it on without verifying it
 * again. Remembered in a fixed cache of GX_INGEST_PREVERIFIED keys. */
#define GX_INGEST_PREVERIFIED 65536
#define GX_INGEST_CONGESTED_AHEAD 32
#define GX_INGEST_UNKNOWN_BUSY_DIV 16
void gx_ingest_note_verified(gx_ingest_t *ing, const uint8_t enc[GX_XFER_SZ]);

/* ---- the RX stage's per-datagram work, exposed for fuzzing and benches ---- */
typedef struct {
  size_t n_new;                        /* transfers not seen before      */
  const uint8_t *new_xfers[GX_BATCH_MAX];
  gx_dedup_key_t new_keys[GX_BATCH_MAX];
  size_t n_dup;
  uint8_t hops;
} gx_ingest_parsed_t;
/* Checks one datagram strictly (gx_batch_decode's verdict) and dedups its
 * transfers: GX_PROTO_OK, or the rejection reason (GX_INGEST_PARSE_OVERSIZE
 * above GX_UDP_PAYLOAD_MAX). Computes no tx id: the verify workers do, for
 * the transfers that verify. */
int gx_ingest_parse(gx_dedup_t *dedup, const uint8_t *buf, size_t len, gx_ingest_parsed_t *out);
/* Label of a parse-error reason ("trailing", "oversize"). */
const char *gx_ingest_parse_label(int reason);
/* The RX stage's work on one 0x23 datagram (buf[len], read only): hands it to
 * the reassembler r (gx_chunk_rx_add) and returns its verdict. When it
 * completed an object, *block (else GX_INGEST_LSH_NONE) says what became of
 * it, in this order:
 *   bad_decode  gx_lsh_decode refused the rebuilt bytes (*why: the reason);
 *   bad_id      it decodes, but gx_lsh_id differs from the announced id;
 *               both: gx_chunk_rx_reject (the id is remembered as bad, its
 *               later chunks count as "rejected"; a sender can make an id look
 *               bad, gx_chunk.h, so the chain half fetches a block it lacks);
 *   accepted    sink(ctx, id, bytes, len) returned 0: gx_chunk_rx_accept (the
 *               id is remembered as done, its late chunks count as "done");
 *   sink_full   the sink refused it: gx_chunk_rx_reject then
 *               gx_chunk_rx_forget. The slot is freed and the id is in the
 *               done ring neither as done (accept would make a resend "done")
 *               nor as bad (reject alone would make it "rejected"), so a
 *               resend is rebuilt and offered again; the chunks still in
 *               flight start a new object that a resend can complete (or
 *               that is evicted in time). The cost: the ring entry the
 *               reject took pushes the oldest remembered id out one place
 *               early.
 * On a malformed chunk *why is its reason; GX_PROTO_OK otherwise. */
gx_chunk_verdict_t gx_ingest_lsh_chunk(gx_chunk_rx_t *r, const uint8_t *buf, size_t len,
                                       gx_ingest_lsh_fn sink, void *ctx,
                                       gx_ingest_lsh_verdict_t *block, gx_proto_err_t *why);

#endif
