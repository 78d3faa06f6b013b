/* gx_hsim: deterministic simulator of the whole hierarchy in one process
 * (docs/CLUSTERS.md "Simulator"): K Star Clusters of C stars and G galaxies.
 *
 * Stars: each runs validator/gx_epoch over its cluster's committee (coin keys
 * from gx_committee_test_deal) and validator/gx_cluster: per cluster epoch it
 * proposes its pool's transfers, builds the LSH block from the agreed batch
 * (gx_cluster_build), signs it and sends the signature to its cluster; the
 * members whose collector reaches 2 f_c + 1 send the certified block to the
 * galaxies. Galaxies: each runs gx_epoch over the galaxy committee, and
 * validator/gx_lshpool, validator/gx_fold and its own validator/gx_ledger:
 * it pools the blocks it receives (gx_lshpool_add checks them), proposes per
 * galaxy epoch its pool's refs (gx_lshpool_refs, gx_fold_refs_encode), takes
 * from the agreed proposals every ref that at least f + 1 of them carry (so
 * an honest galaxy holds it), fetches the blocks it lacks from the proposers
 * of the ref, folds (gx_fold_apply), commits (gx_ledger_commit +
 * gx_fold_commit), prunes its pool and drops the blocks the fold rejected.
 * Stars follow the chain: every star learns each black hole (its fold record
 * and ledger result) through a delayed, droppable notice and prunes its pool.
 * Rewind: a star whose chain holds a block the galaxies rejected (or that
 * differs from the folded block at a height) asks, in its proposals, for the
 * rewind to the folded (height, id) after the first black hole that showed
 * it; a cluster rewinds (gx_cluster_rewind) before building when f_c + 1
 * agreed proposals ask for the same point, newer than its last rewind.
 *
 * One seed gives one exact run: a splitmix64 PRNG drives the network adversary
 * (delay, reorder, duplicate, drop with re-send on tick, a partition), the
 * Byzantine nodes, the workload and the timing. Byzantine stars: silent,
 * crash (down for a while, state kept), equiv (two proposals to two halves;
 * it swallows its clients' transfers), badsig (proposals with a badly signed
 * transfer: its cluster drops it and records a bad_signature fault; and a
 * rewind request no one else makes). --forge: in the last cluster 2 f_c + 1
 * members certify a block with a badly signed transfer (test-only; with
 * --sample 65536 every galaxy rejects it and names every signer). A silent
 * cluster: every star of cluster 0 silent. Byzantine galaxies: silent, junk
 * (refs to blocks that do not exist, junk bytes, junk fetch answers).
 * Workload: correctly signed transfers between funded accounts, routed to the
 * initiator's home cluster (gx_lsh_home_cluster), some to a wrong cluster or
 * to two clusters, re-sent after a timeout; double spends sent to two
 * clusters.
 *
 * Checks per run: the honest members of a cluster build byte-identical blocks
 * in every cluster epoch and honest galaxies agree on every batch; every
 * honest galaxy's black holes are identical at every height (encoded black
 * hole, fold entries and evidence); balances add up to the supply after every
 * commit; no transfer commits twice; every workload transfer commits; each
 * double spend commits once and the other is rejected as an equivocation with
 * a proof; blocks of clusters with at most f_c Byzantine stars are never
 * rejected; a badsig member's proposal always leaves its fault in the block;
 * with --forge the forged block is rejected with evidence naming exactly its
 * signers on every honest galaxy and the cluster folds again after its
 * rewind; every live cluster gets blocks folded and every honest galaxy
 * commits at least --epochs black holes (liveness within the run length).
 * A failure prints the seed, the nodes and the last events.
 *
 * Transfer signature results are shared by the stars through a table keyed
 * by tx id (a star's ingest checks a transfer once; gx_cluster_build's
 * verified() answers from it): the result depends only on the 290 bytes. The
 * galaxies' sample runs for real inside gx_fold_apply.
 *
 *   gx_hsim --seeds 1..100 [--clusters 2] [--cluster-size 4] [--galaxies 4]
 *           [--byz-star none|silent|crash|equiv|badsig|all]
 *           [--byz-galaxy none|silent|junk|all] [--forge] [--silent-cluster]
 *           [--sample S] [--epochs E] [--txs N] [-v | -vv]
 *
 * -v prints a line per run; -vv each run's nodes and last events too.
 * Exit: 0 every run passed, 1 a check failed, 2 bad usage. */
#include "apps/gx_cli.h"
#include "consensus/gx_acs.h"
#include "core/gx_hash.h"
#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "core/gx_util.h"
#include "validator/gx_cluster.h"
#include "validator/gx_committee.h"
#include "validator/gx_epoch.h"
#include "validator/gx_fold.h"
#include "validator/gx_ledger.h"
#include "validator/gx_lshpool.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sizes ---- */
#define H_MAXK 8              /* clusters */
#define H_MAXC 16             /* stars per cluster */
#define H_MAXG 16             /* galaxies */
#define H_MAXSTARS 64         /* K x C */
#define H_MAXNODE (H_MAXSTARS + H_MAXG)
#define H_CLIENT 0xffffu      /* source of client submissions and follower notices */
#define H_NACC 48             /* accounts */
#define H_NORMAL 36           /* 0..35: the workload's accounts */
#define H_DS0 36              /* 36..41: two double spends (spender, payee, payee) */
#define H_NDS 2
#define H_FORGE_V 42          /* the forged transfer: victim -> thief */
#define H_FORGE_T 43
#define H_BAD_A 44            /* badsig stars' transfer */
#define H_BAD_B 45
#define H_FUND 1000
#define H_MAXTX 256           /* workload transfers per run */
#define H_POOL 96
#define H_CHAIN 256
#define H_PSIG 32
#define H_HELD 512
#define H_GQ 32
#define H_MAXBH 2048          /* black holes per run */
#define H_MAXCE 2048          /* epochs per consensus group per run */
#define H_PROP_TXS 16         /* transfers per star proposal */
#define H_BLOCK_TXS 64        /* transfers per LSH block */
#define H_MAX_BLOCKS 16       /* LSH blocks per black hole */
#define H_LAG 6               /* a star holds its proposal while its chain is this far ahead of the fold */
#define H_REQ_SZ 81           /* proposal prefix with a rewind request: 1 || hb u64 || bh || height u64 || id */
#define H_TRACE 512         /* events kept (-vv prints them all, a failure the last H_TRACE_FAIL) */
#define H_TRACE_FAIL 48
#define H_QMAX 400000
#define H_CLIENT_EVERY 400
#define H_RESEND 15000
#define H_IDLE_G 4000
#define H_GATHER 1000
#define H_INFLIGHT 8

/* ---- PRNG ---- */
static uint64_t h_mix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t h_below(uint64_t *s, uint64_t n) { return n ? h_mix(s) % n : 0; }
static int h_chance(uint64_t *s, unsigned per_million) { return h_below(s, 1000000) < per_million; }

/* ---- behaviours ---- */
enum { B_HONEST = 0, B_SILENT, B_CRASH, B_EQUIV, B_BADSIG, B_FORGER, B_JUNK, B__COUNT };
static const char *const b_names[B__COUNT] = {"honest", "silent", "crash", "equiv",
                                               "badsig", "forger", "junk"};
#define BYZ_ALL 100

enum { M_CACS = 0, M_GACS, M_SIG, M_BLOCK, M_FETCH, M_FETCHED, M_NOTICE, M_SUBMIT, M__COUNT };
static const char *const m_names[M__COUNT] = {"cacs", "gacs", "sig", "block", "fetch", "fetched",
                                               "notice", "submit"};

typedef struct {
  uint64_t ready_at;
  uint16_t src, dst;
  uint8_t kind;
  uint32_t len;
  uint8_t data[];
} h_msg_t;

typedef struct {
  uint8_t x[GX_XFER_SZ];
  gx_hash_t id;
  uint64_t in_block; /* 0 pending, else the chain height of the block that holds it */
} h_pool_t;

typedef struct {
  gx_hash_t id;
  gx_sig_t sig;
  uint16_t member;
  uint8_t used;
} h_psig_t;

/* A rewind request: after black hole (hb, bh) the cluster's folded chain
 * ends at (height, id). */
typedef struct {
  uint64_t hb;
  gx_hash_t bh;
  uint64_t height;
  gx_hash_t id;
} h_req_t;

/* A block a galaxy keeps outside its pool: every block of the sets it folded
 * (the store keeps them, galaxyd's will) and fetched ones. */
typedef struct {
  gx_hash_t id;
  uint8_t *buf;
  size_t len;
} h_held_t;

/* An agreed galaxy batch waiting to be folded: the refs at least f + 1
 * proposals carry, and who carried each. */
typedef struct {
  uint64_t epoch;
  uint32_t n;
  gx_fold_ref_t *refs;
  uint32_t *mask;
  uint64_t fetch_at;
} h_gq_t;

typedef struct h_sim h_sim_t;

typedef struct {
  h_sim_t *s;
  unsigned id, group, member, is_galaxy;
  int behaviour;
  int crashed;
  uint64_t crash_at, restart_at;
  gx_epoch_t *ep;
  uint64_t proposed; /* epoch + 1 of its last proposal */
  uint64_t wake;     /* poll at (UINT64_MAX: nothing due) */
  uint64_t last_out; /* time of its last output (its round_ms report) */
  /* star */
  gx_cluster_t *cl;
  h_pool_t pool[H_POOL];
  unsigned pool_n;
  gx_hash_t chain[H_CHAIN]; /* ids of its chain by height, valid in [chain_lo, chain_h] */
  gx_sig_t chain_sig[H_CHAIN]; /* its signature of each (re-sent on tick) */
  uint64_t chain_h, chain_lo;
  uint64_t known_bh, last_rewind_hb;
  int req_ok;
  h_req_t req;
  h_psig_t psig[H_PSIG];
  unsigned psig_n;
  int forged;
  uint64_t gather_at;
  /* galaxy */
  void *lmem, *fmem;
  gx_ledger_t *ledger;
  gx_fold_t *fold;
  void *pmem;
  gx_lshpool_t *bpool;    /* checked blocks waiting for a fold (validator/gx_lshpool.h) */
  h_held_t *held;         /* the store: folded sets' blocks, fetched blocks */
  unsigned held_n;
  h_gq_t q[H_GQ];
  unsigned q_head, q_n;
  uint64_t last_prop_at;
  int forge_ev;
} h_node_t;

/* What the first honest galaxy to commit a black hole saw: the reference
 * the others are compared with, and what the stars' followers read. */
typedef struct {
  uint32_t cluster;
  uint64_t height;
  gx_hash_t id;
  uint8_t verdict;
  uint8_t decoded;
} h_ent_t;

typedef struct {
  int set;
  gx_hash_t id, digest;
  gx_fold_cluster_state_t cs[H_MAXK];
  h_ent_t *ent;
  uint32_t n_ent;
  gx_hash_t *tx;
  uint32_t n_tx;
  gx_ledger_rejection_t *rej;
  uint32_t n_rej;
  uint32_t n_eq;
  gx_pubkey_t *eq_acct;
  uint64_t *eq_seq;
} h_bh_t;

/* An agreed batch, kept for laggards (block sync). */
typedef struct {
  unsigned count;
  uint16_t proposer[GX_CONS_MAX_N];
  uint32_t len[GX_CONS_MAX_N];
  uint8_t *value[GX_CONS_MAX_N];
  gx_hash_t digest;
} h_rbatch_t;

enum { T_NORMAL = 0, T_DS = 1 };
enum { S_FLIGHT = 0, S_COMMITTED, S_REJECTED };
typedef struct {
  uint8_t x[GX_XFER_SZ];
  gx_hash_t id;
  uint8_t a, b, kind, status, reason, pair;
  uint32_t mask; /* clusters it was sent to */
  uint64_t sent_at, height;
  unsigned resends;
} h_tx_t;

typedef struct {
  uint64_t balance, seq;
  gx_hash_t head;
  uint8_t busy;
} h_acct_t;

struct h_sim {
  /* options */
  unsigned K, C, G, epochs, n_tx, sample, forge, silent_cluster, verbose;
  int byz_star, byz_galaxy;
  /* persistent buffers (kept across runs) */
  h_msg_t **q;
  h_bh_t *bh;
  h_rbatch_t **rb;          /* (K + 1) x H_MAXCE: clusters, then the galaxies */
  gx_hash_t *bdig;          /* K x H_MAXCE: the block each cluster epoch built */
  uint8_t *bdig_set;
  /* run */
  uint64_t seed, rng, now;
  unsigned n_stars, n_nodes, fc, fg;
  h_node_t node[H_MAXNODE];
  gx_committee_t com[H_MAXK + 1];
  gx_coin_secret_t sec[H_MAXK + 1][H_MAXC > H_MAXG ? H_MAXC : H_MAXG];
  gx_fold_cluster_t fcl[H_MAXK];
  gx_hash_t genesis;
  uint64_t supply;
  size_t qn;
  unsigned drop_ppm, dup_ppm, delay_max;
  uint64_t part_from, part_to;
  uint8_t part_side[H_MAXNODE];
  uint64_t bh_top;
  uint64_t ce_top[H_MAXK + 1]; /* highest epoch + 1 with a reference batch */
  /* workload */
  h_tx_t tx[H_MAXTX];
  unsigned ntx, issued;
  h_acct_t acc[H_NACC];
  uint64_t client_next, ds_at;
  uint8_t got_work[H_MAXK]; /* an honest star of the cluster pooled a transfer */
  int ds_sent;
  unsigned ds_tx[H_NDS][2];
  int ds_proof[H_NDS];
  /* forge */
  unsigned forge_k;
  uint64_t forger_mask, forge_epoch, forge_height, forge_rejected_at, forge_folded_at;
  int forged;
  gx_hash_t forge_id, forge_txid;
  uint8_t *forge_buf;
  size_t forge_len;
  uint8_t forge_tx[GX_XFER_SZ], bad_tx[GX_XFER_SZ];
  /* counters of this run */
  uint64_t lat_sum, lat_n, lat_max, pool_drops, dead_refused;
  uint64_t pool_res[GX_LSHPOOL_RES__COUNT];
  uint64_t msgs, bytes, drops, dups, ticks, syncs, fetches, fetch_bad, rewinds, badsig_faults,
      rejected_blocks, folded_blocks, junk_refs, evidence, ds_proofs, wrong_routed, two_routed;
  char fail[256];
  char trace[H_TRACE][160];
  unsigned tn;
};

/* ---- keys (fixed for the process: the seed varies everything else) ---- */
static gx_keypair_t h_star_kp[H_MAXK][H_MAXC], h_gal_kp[H_MAXG], h_acct_kp[H_NACC];

static void h_keys_init(void) {
  for (unsigned k = 0; k < H_MAXK; k++)
    for (unsigned i = 0; i < H_MAXC; i++) gx_key_derive(&h_star_kp[k][i], "gx_hsim.star", k, i);
  for (unsigned g = 0; g < H_MAXG; g++) gx_key_derive(&h_gal_kp[g], "gx_hsim.galaxy", 0, g);
  for (unsigned a = 0; a < H_NACC; a++) gx_key_derive(&h_acct_kp[a], "gx_hsim.account", 0, a);
}

/* ---- signature results by tx id (see the top of this file) ---- */
#define H_MEMO_BITS 13
typedef struct {
  gx_hash_t id;
  uint32_t gen;
  uint8_t ok;
} h_memo_t;
static h_memo_t h_memo[1u << H_MEMO_BITS];
static uint32_t h_memo_gen = 1;

static h_memo_t *h_memo_slot(const gx_hash_t *id, int *found) {
  uint32_t i = gx_ld32(id->b) & ((1u << H_MEMO_BITS) - 1);
  for (uint32_t k = 0; k < (1u << H_MEMO_BITS); k++) {
    h_memo_t *m = &h_memo[(i + k) & ((1u << H_MEMO_BITS) - 1)];
    if (m->gen != h_memo_gen) {
      *found = 0;
      return m;
    }
    if (gx_hash_eq(&m->id, id)) {
      *found = 1;
      return m;
    }
  }
  *found = 0;
  return NULL;
}

/* 1 when both signatures of x verify (checked once per run and tx id). */
static int h_memo_verify(const uint8_t x[GX_XFER_SZ], const gx_hash_t *id) {
  int found;
  h_memo_t *m = h_memo_slot(id, &found);
  if (found) return m->ok;
  int ok = gx_xfer_verify_enc(x) == GX_XFER_VERIFY_OK;
  if (m) {
    m->id = *id;
    m->gen = h_memo_gen;
    m->ok = (uint8_t)ok;
  }
  return ok;
}

static int h_verified(void *ctx, const gx_hash_t *id) {
  (void)ctx;
  int found;
  h_memo_t *m = h_memo_slot(id, &found);
  return found && m->ok;
}

/* ---- trace, failure ---- */
static void h_trace(h_sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void h_trace(h_sim_t *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(s->trace[s->tn % H_TRACE], sizeof s->trace[0], "t=%" PRIu64 " ", s->now);
  if (n > 0 && (size_t)n < sizeof s->trace[0])
    vsnprintf(s->trace[s->tn % H_TRACE] + n, sizeof s->trace[0] - (size_t)n, fmt, ap);
  va_end(ap);
  s->tn++;
}

static void h_failf(h_sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void h_failf(h_sim_t *s, const char *fmt, ...) {
  if (s->fail[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->fail, sizeof s->fail, fmt, ap);
  va_end(ap);
}

static int h_honest(const h_node_t *nd) { return nd->behaviour == B_HONEST; }
/* Runs its consensus engine as written (what it proposes may be Byzantine):
 * its outputs must agree with the honest ones, and can serve a laggard. */
static int h_acs_ok(const h_node_t *nd) { return nd->behaviour != B_SILENT && nd->behaviour != B_EQUIV; }
static h_node_t *h_star(h_sim_t *s, unsigned k, unsigned i) { return &s->node[k * s->C + i]; }
static h_node_t *h_gal(h_sim_t *s, unsigned g) { return &s->node[s->n_stars + g]; }
/* A cluster with at most f_c Byzantine stars (its blocks must never be rejected). */
static int h_cluster_sound(const h_sim_t *s, unsigned k) {
  return !(s->forge && k == s->forge_k) && !(s->silent_cluster && k == 0);
}
/* The star that counts a cluster's events once: its lowest honest member. */
static h_node_t *h_counter_star(h_sim_t *s, unsigned k) {
  for (unsigned i = 0; i < s->C; i++)
    if (h_honest(h_star(s, k, i))) return h_star(s, k, i);
  return h_star(s, k, 0);
}
static h_node_t *h_counter_gal(h_sim_t *s) {
  for (unsigned g = 0; g < s->G; g++)
    if (h_honest(h_gal(s, g))) return h_gal(s, g);
  return h_gal(s, 0);
}
static int h_cluster_live(const h_sim_t *s, unsigned k) { return !(s->silent_cluster && k == 0); }
static int h_rejecting(unsigned v) {
  return v != GX_FOLD_V_OK && v != GX_FOLD_V_DEFERRED && v != GX_FOLD_V_STALE &&
         v != GX_FOLD_V_DUPLICATE && v != GX_FOLD_V_OVERFLOW;
}

/* ---- network ---- */
static void h_enqueue(h_sim_t *s, unsigned kind, unsigned src, unsigned dst, const uint8_t *data,
                      size_t len) {
  if (s->qn >= H_QMAX) {
    s->drops++;
    return;
  }
  h_msg_t *m = malloc(sizeof *m + len);
  if (!m) {
    s->drops++;
    return;
  }
  m->src = (uint16_t)src;
  m->dst = (uint16_t)dst;
  m->kind = (uint8_t)kind;
  m->len = (uint32_t)len;
  if (len) memcpy(m->data, data, len);
  uint64_t d = h_below(&s->rng, s->delay_max + 1);
  if (h_chance(&s->rng, 20000)) d += h_below(&s->rng, 20ull * s->delay_max + 1); /* long delay */
  m->ready_at = s->now + d;
  s->q[s->qn++] = m;
  s->msgs++;
  s->bytes += len;
}

static int h_cut(const h_sim_t *s, const h_msg_t *m) {
  if (s->now < s->part_from || s->now >= s->part_to) return 0;
  if (m->src == H_CLIENT) return 0;
  return s->part_side[m->src] != s->part_side[m->dst];
}

static int h_down(const h_node_t *nd) { return nd->crashed || nd->behaviour == B_SILENT; }

/* A galaxy's block pool: the defaults, with slots sized for this run's blocks. */
static void h_pool_cfg(const h_sim_t *s, gx_lshpool_cfg_t *pc) {
  gx_lshpool_cfg_defaults(pc);
  pc->max_block_bytes = gx_lsh_size(H_BLOCK_TXS + 1, s->C, GX_LSH_MAX_FAULTS, s->C);
}

/* ---- consensus engines ---- */
/* gx_epoch's send: dest is a member index of the node's group (or
 * GX_CMSG_ALL); the network carries it to that member's node. */
static void h_send(void *ctx, int committee, int dest, const uint8_t *msg, size_t len) {
  h_node_t *nd = ctx;
  h_sim_t *s = nd->s;
  if (committee != 0 || h_down(nd)) return;
  unsigned n = nd->is_galaxy ? s->G : s->C;
  for (unsigned mi = 0; mi < n; mi++) {
    if (mi == nd->member || (dest != GX_CMSG_ALL && (unsigned)dest != mi)) continue;
    unsigned d = nd->is_galaxy ? h_gal(s, mi)->id : h_star(s, nd->group, mi)->id;
    h_enqueue(s, nd->is_galaxy ? M_GACS : M_CACS, nd->id, d, msg, len);
  }
}

static unsigned h_group(const h_sim_t *s, const h_node_t *nd) { return nd->is_galaxy ? s->K : nd->group; }

/* The first output of (group, epoch) by a node that runs its engine as
 * written is the reference: kept for block sync, and every other such
 * output must equal it (agreement). */
static void h_ref_batch(h_sim_t *s, h_node_t *nd, const gx_acs_batch_t *b) {
  if (!h_acs_ok(nd)) return;
  unsigned gi = h_group(s, nd);
  if (b->epoch >= H_MAXCE) {
    h_failf(s, "group %u ran past %d epochs", gi, H_MAXCE);
    return;
  }
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, NULL, 0, 32);
  for (unsigned k = 0; k < b->count; k++) {
    uint8_t hdr[6];
    gx_hash_t h;
    gx_hash(&h, GX_DOM_CONSENSUS, b->value[k], b->len[k]);
    gx_st16(hdr, b->proposer[k]);
    gx_st32(hdr + 2, b->len[k]);
    crypto_generichash_blake2b_update(&st, hdr, sizeof hdr);
    crypto_generichash_blake2b_update(&st, h.b, 32);
  }
  gx_hash_t d;
  crypto_generichash_blake2b_final(&st, d.b, 32);
  h_rbatch_t **slot = &s->rb[gi * H_MAXCE + b->epoch];
  if (*slot) {
    if (!gx_hash_eq(&(*slot)->digest, &d))
      h_failf(s, "agreement: node %u output another batch for epoch %" PRIu64 " of group %u", nd->id,
              b->epoch, gi);
    return;
  }
  h_rbatch_t *r = calloc(1, sizeof *r);
  if (!r) {
    h_failf(s, "out of memory");
    return;
  }
  r->count = b->count;
  r->digest = d;
  for (unsigned k = 0; k < b->count; k++) {
    r->proposer[k] = b->proposer[k];
    r->len[k] = b->len[k];
    r->value[k] = malloc(b->len[k] ? b->len[k] : 1);
    if (!r->value[k]) {
      h_failf(s, "out of memory");
      return;
    }
    if (b->len[k]) memcpy(r->value[k], b->value[k], b->len[k]);
  }
  *slot = r;
  if (b->epoch + 1 > s->ce_top[gi]) s->ce_top[gi] = b->epoch + 1;
}

static void h_star_batch(h_sim_t *s, h_node_t *nd, const gx_acs_batch_t *b);
static void h_gal_batch(h_sim_t *s, h_node_t *g, const gx_acs_batch_t *b);

static void h_deliver(void *ctx, const gx_acs_batch_t *b) {
  h_node_t *nd = ctx;
  h_sim_t *s = nd->s;
  h_trace(s, "node %u OUTPUT epoch %" PRIu64 " (%u proposals)", nd->id, b->epoch, b->count);
  nd->last_out = s->now;
  h_ref_batch(s, nd, b);
  if (nd->is_galaxy) h_gal_batch(s, nd, b);
  else h_star_batch(s, nd, b);
  nd->wake = s->now;
}

/* ---- stars ---- */
static int h_pool_find(const h_node_t *nd, const gx_hash_t *id) {
  for (unsigned i = 0; i < nd->pool_n; i++)
    if (gx_hash_eq(&nd->pool[i].id, id)) return (int)i;
  return -1;
}

static void h_pool_remove(h_node_t *nd, const gx_hash_t *id) {
  int i = h_pool_find(nd, id);
  if (i < 0) return;
  memmove(&nd->pool[i], &nd->pool[i + 1], (nd->pool_n - (unsigned)i - 1) * sizeof nd->pool[0]);
  nd->pool_n--;
}

/* The id of this star's chain block at height (height 0: zero); 0 if unknown. */
static int h_chain_get(const h_node_t *nd, uint64_t height, gx_hash_t *id) {
  if (height == 0) {
    memset(id, 0, sizeof *id);
    return 1;
  }
  if (height < nd->chain_lo || height > nd->chain_h || height + H_CHAIN <= nd->chain_h) return 0;
  *id = nd->chain[height % H_CHAIN];
  return 1;
}

static void h_chain_set(h_node_t *nd, uint64_t height, const gx_hash_t *id) {
  nd->chain[height % H_CHAIN] = *id;
  nd->chain_h = height;
  if (nd->chain_lo > height) nd->chain_lo = height;
}

/* The rewind this star asks for: the first black hole after its last rewind
 * whose fold record shows a block of its chain rejected, or another block
 * folded at a height of its chain. Every honest member of a cluster builds
 * the same chain, so once they know that black hole they ask for the same. */
static void h_star_req(h_sim_t *s, h_node_t *nd) {
  nd->req_ok = 0;
  unsigned k = nd->group;
  for (uint64_t hb = nd->last_rewind_hb + 1; hb <= nd->known_bh; hb++) {
    const h_bh_t *r = &s->bh[hb];
    int hit = 0;
    gx_hash_t cid;
    for (uint32_t i = 0; i < r->n_ent && !hit; i++) {
      const h_ent_t *e = &r->ent[i];
      if (e->decoded && e->cluster == k && h_rejecting(e->verdict) && h_chain_get(nd, e->height, &cid) &&
          gx_hash_eq(&cid, &e->id))
        hit = 1;
    }
    const gx_fold_cluster_state_t *cs = &r->cs[k];
    if (!hit && cs->height >= 1 && h_chain_get(nd, cs->height, &cid) && !gx_hash_eq(&cid, &cs->id)) hit = 1;
    if (hit) {
      nd->req_ok = 1;
      nd->req.hb = hb;
      nd->req.bh = r->id;
      nd->req.height = cs->height;
      nd->req.id = cs->id;
      return;
    }
  }
}

/* To every galaxy (some: to each with probability 1/2, at least one; the
 * others fetch it when it is agreed, or get it from a re-send on tick). */
static void h_star_send_block(h_sim_t *s, h_node_t *nd, const uint8_t *buf, size_t len, int some) {
  unsigned first = some ? (unsigned)h_below(&s->rng, s->G) : 0;
  for (unsigned g = 0; g < s->G; g++)
    if (!some || g == first || h_below(&s->rng, 2)) h_enqueue(s, M_BLOCK, nd->id, h_gal(s, g)->id, buf, len);
}

static void h_star_add_sig(h_sim_t *s, h_node_t *nd, const gx_hash_t *id, unsigned member,
                           const gx_sig_t *sig) {
  const uint8_t *cert = NULL;
  size_t cert_len = 0;
  gx_cluster_err_t e = gx_cluster_add_sig(nd->cl, id, (uint16_t)member, sig, &cert, &cert_len);
  if (e == GX_CLUSTER_EUNKNOWN) { /* not built here yet: keep it for a while */
    h_psig_t *p = &nd->psig[nd->psig_n++ % H_PSIG];
    p->id = *id;
    p->sig = *sig;
    p->member = (uint16_t)member;
    p->used = 1;
    return;
  }
  if (e == GX_CLUSTER_OK && cert) {
    gx_lsh_t b;
    uint64_t height = gx_lsh_decode(&b, cert, cert_len) == GX_PROTO_OK ? b.h.height : 0;
    h_trace(s, "star %u certified cluster %u height %" PRIu64, nd->id, nd->group, height);
    h_star_send_block(s, nd, cert, cert_len, 1);
  }
}

/* Sign the block of our chain at height and send the signature to the
 * cluster (resend: the signature made then). */
static void h_star_sign(h_sim_t *s, h_node_t *nd, uint64_t height, int resend) {
  if (h_down(nd)) return;
  const gx_hash_t *id = &nd->chain[height % H_CHAIN];
  gx_sig_t *sig = &nd->chain_sig[height % H_CHAIN];
  if (!resend) {
    gx_lsh_sign(sig, id, h_star_kp[nd->group][nd->member].sk);
    h_star_add_sig(s, nd, id, nd->member, sig);
  }
  uint8_t m[GX_HASH_SZ + GX_SIG_SZ];
  memcpy(m, id->b, GX_HASH_SZ);
  memcpy(m + GX_HASH_SZ, sig->b, GX_SIG_SZ);
  for (unsigned i = 0; i < s->C; i++)
    if (i != nd->member) h_enqueue(s, M_SIG, nd->id, h_star(s, nd->group, i)->id, m, sizeof m);
}

static void h_star_rewind(h_sim_t *s, h_node_t *nd, const h_req_t *rq) {
  gx_cluster_err_t e = gx_cluster_rewind(nd->cl, rq->height, &rq->id, rq->hb, &rq->bh);
  if (e != GX_CLUSTER_OK) {
    h_trace(s, "star %u: rewind to %" PRIu64 " refused: %s", nd->id, rq->height, gx_cluster_strerror(e));
    return;
  }
  nd->chain_lo = rq->height;
  h_chain_set(nd, rq->height, &rq->id);
  for (unsigned i = 0; i < nd->pool_n; i++)
    if (nd->pool[i].in_block > rq->height) nd->pool[i].in_block = 0;
  nd->last_rewind_hb = rq->hb;
  if (nd == h_counter_star(s, nd->group)) s->rewinds++;
  h_trace(s, "star %u REWIND cluster %u to height %" PRIu64 " (black hole %" PRIu64 ")", nd->id,
          nd->group, rq->height, rq->hb);
}

static int h_req_eq(const h_req_t *a, const h_req_t *b) {
  return a->hb == b->hb && a->height == b->height && gx_hash_eq(&a->bh, &b->bh) &&
         gx_hash_eq(&a->id, &b->id);
}

/* --forge: the Byzantine majority puts a badly signed transfer into the block
 * it just built, certifies that with its 2 f_c + 1 keys, makes it the tip of
 * its own chain and sends it to the galaxies (it never signs the real one). */
static void h_star_forge(h_sim_t *s, h_node_t *nd, const gx_cluster_block_t *out) {
  nd->forged = 1;
  const uint32_t n = s->C;
  if (!s->forged) {
    const uint8_t *p = out->block;
    gx_lsh_header_t h;
    memset(&h, 0, sizeof h);
    h.cluster = gx_ld32(p + 2);
    h.height = gx_ld64(p + 6);
    memcpy(h.prev.b, p + 14, GX_HASH_SZ);
    h.base_height = gx_ld64(p + 46);
    memcpy(h.base.b, p + 54, GX_HASH_SZ);
    h.tx_count = gx_ld32(p + 118) + 1;
    h.member_count = p[122];
    h.fault_count = p[123];
    gx_lsh_report_t rep[GX_LSH_MAX_MEMBERS];
    gx_lsh_fault_t flt[GX_LSH_MAX_FAULTS];
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t *r = p + GX_LSH_HDR_SZ + (size_t)i * GX_LSH_REPORT_SZ;
      rep[i].flags = r[0];
      rep[i].proposed = gx_ld32(r + 1);
      rep[i].round_ms = gx_ld32(r + 5);
    }
    for (uint32_t j = 0; j < h.fault_count; j++) {
      const uint8_t *f = p + GX_LSH_HDR_SZ + (size_t)n * GX_LSH_REPORT_SZ + (size_t)j * GX_LSH_FAULT_SZ;
      flt[j].member = gx_ld16(f);
      flt[j].kind = f[2];
      memcpy(flt[j].evidence.b, f + 4, GX_HASH_SZ);
    }
    size_t body = gx_lsh_body_size(n, h.fault_count);
    static uint8_t xf[(H_BLOCK_TXS + 1) * GX_XFER_SZ];
    static gx_hash_t ids[H_BLOCK_TXS + 1], scratch[H_BLOCK_TXS + 1];
    memcpy(xf, p + body, (size_t)out->tx_count * GX_XFER_SZ);
    memcpy(xf + (size_t)out->tx_count * GX_XFER_SZ, s->forge_tx, GX_XFER_SZ);
    if (gx_lsh_tx_root(&h.tx_root, xf, h.tx_count, ids, scratch) != 0) {
      h_failf(s, "forge: tx root");
      return;
    }
    size_t cap = gx_lsh_size(h.tx_count, n, h.fault_count, n);
    s->forge_buf = malloc(cap);
    if (!s->forge_buf) {
      h_failf(s, "out of memory");
      return;
    }
    size_t len = gx_lsh_encode_unsigned(s->forge_buf, cap, &h, rep, flt, xf);
    gx_lsh_id_body(&s->forge_id, s->forge_buf, body);
    gx_lsh_sig_t sigs[GX_LSH_MAX_MEMBERS];
    uint16_t ns = 0;
    for (uint32_t m = 0; m < n; m++)
      if (s->forger_mask >> m & 1) {
        sigs[ns].member = (uint16_t)m;
        gx_lsh_sign(&sigs[ns].sig, &s->forge_id, h_star_kp[nd->group][m].sk);
        ns++;
      }
    len = len ? gx_lsh_append_cert(s->forge_buf, cap, len, (uint8_t)n, sigs, ns) : 0;
    if (!len) {
      h_failf(s, "forge: encoding refused");
      return;
    }
    s->forge_len = len;
    s->forge_height = h.height;
    s->forged = 1;
    h_trace(s, "cluster %u FORGES height %" PRIu64 " with %u signers", nd->group, h.height, ns);
  }
  if (out->height != s->forge_height) {
    h_failf(s, "forger %u built height %" PRIu64 ", the forged block is at %" PRIu64, nd->id, out->height,
            s->forge_height);
    return;
  }
  uint64_t base_height = gx_ld64(s->forge_buf + 46);
  gx_hash_t base;
  memcpy(base.b, s->forge_buf + 54, GX_HASH_SZ);
  if (gx_cluster_rewind(nd->cl, s->forge_height, &s->forge_id, base_height, &base) != GX_CLUSTER_OK) {
    h_failf(s, "forger %u: rewind to the forged block refused", nd->id);
    return;
  }
  h_chain_set(nd, s->forge_height, &s->forge_id);
  h_star_send_block(s, nd, s->forge_buf, s->forge_len, 0);
}

/* The fault entries of an (unsigned) block built by gx_cluster_build. */
static int h_block_has_fault(const uint8_t *blk, uint32_t n, unsigned member, unsigned kind) {
  uint32_t nf = blk[123];
  for (uint32_t j = 0; j < nf; j++) {
    const uint8_t *f = blk + GX_LSH_HDR_SZ + (size_t)n * GX_LSH_REPORT_SZ + (size_t)j * GX_LSH_FAULT_SZ;
    if (gx_ld16(f) == member && f[2] == kind) return 1;
  }
  return 0;
}

/* One agreed cluster epoch: rewind when f_c + 1 included proposals ask for
 * the same new point, build the block, check it against the other honest
 * members', sign it. */
static void h_star_batch(h_sim_t *s, h_node_t *nd, const gx_acs_batch_t *b) {
  const unsigned k = nd->group, n = s->C;
  gx_acs_batch_t in;
  memset(&in, 0, sizeof in);
  in.epoch = b->epoch;
  in.count = b->count;
  h_req_t rq[GX_CONS_MAX_N];
  int has[GX_CONS_MAX_N] = {0};
  for (unsigned i = 0; i < b->count; i++) {
    const uint8_t *v = b->value[i];
    uint32_t len = b->len[i];
    in.proposer[i] = b->proposer[i];
    if (len >= 1 && v[0] == 0) {
      in.value[i] = v + 1;
      in.len[i] = len - 1;
    } else if (len >= H_REQ_SZ && v[0] == 1) {
      rq[i].hb = gx_ld64(v + 1);
      memcpy(rq[i].bh.b, v + 9, GX_HASH_SZ);
      rq[i].height = gx_ld64(v + 41);
      memcpy(rq[i].id.b, v + 49, GX_HASH_SZ);
      has[i] = 1;
      in.value[i] = v + H_REQ_SZ;
      in.len[i] = len - H_REQ_SZ;
    } else { /* not a star's proposal: gx_cluster_build finds it invalid */
      in.value[i] = v;
      in.len[i] = len;
    }
  }
  int best = -1;
  for (unsigned i = 0; i < b->count; i++) {
    if (!has[i] || rq[i].hb <= nd->last_rewind_hb) continue;
    unsigned same = 0;
    for (unsigned j = 0; j < b->count; j++) same += has[j] && h_req_eq(&rq[i], &rq[j]);
    if (same >= s->fc + 1 && (best < 0 || rq[i].hb < rq[best].hb)) best = (int)i;
  }
  if (best >= 0) h_star_rewind(s, nd, &rq[best]);

  gx_cluster_block_t out;
  gx_cluster_err_t e = gx_cluster_build(nd->cl, &in, h_verified, s, &out);
  if (e != GX_CLUSTER_OK) {
    if (h_honest(nd))
      h_failf(s, "star %u: build of cluster %u epoch %" PRIu64 ": %s", nd->id, k, b->epoch,
              gx_cluster_strerror(e));
    return;
  }
  h_chain_set(nd, out.height, &out.id);
  if (h_honest(nd) && b->epoch < H_MAXCE) {
    gx_hash_t d;
    gx_hash(&d, GX_DOM_CONSENSUS, out.block, out.block_len);
    size_t at = (size_t)k * H_MAXCE + b->epoch;
    if (!s->bdig_set[at]) {
      s->bdig_set[at] = 1;
      s->bdig[at] = d;
    } else if (!gx_hash_eq(&s->bdig[at], &d)) {
      h_failf(s, "cluster %u epoch %" PRIu64 ": star %u built another block (height %" PRIu64 ")", k,
              b->epoch, nd->id, out.height);
    }
    /* a badsig member's proposal always leaves its fault in the block */
    for (unsigned i = 0; i < b->count; i++) {
      unsigned p = b->proposer[i];
      if (p >= n || h_star(s, k, p)->behaviour != B_BADSIG) continue;
      if (!h_block_has_fault(out.block, n, p, GX_LSH_FAULT_BAD_SIGNATURE))
        h_failf(s, "cluster %u epoch %" PRIu64 ": no bad_signature fault for badsig member %u", k, b->epoch, p);
      else if (nd == h_counter_star(s, k))
        s->badsig_faults++;
    }
  }
  h_trace(s, "star %u built cluster %u height %" PRIu64 " (%u transfers, %u bad signature)", nd->id, k,
          out.height, out.tx_count, out.bad_signature);
  /* the pool: what the block holds waits for the black hole */
  size_t body = gx_lsh_body_size(n, out.block[123]);
  for (uint32_t t = 0; t < out.tx_count; t++) {
    gx_hash_t id;
    gx_xfer_id(&id, out.block + body + (size_t)t * GX_XFER_SZ);
    int pi = h_pool_find(nd, &id);
    if (pi >= 0) nd->pool[pi].in_block = out.height;
  }
  if (nd->behaviour == B_FORGER && !nd->forged && b->epoch >= s->forge_epoch) {
    h_star_forge(s, nd, &out);
  } else {
    h_star_sign(s, nd, out.height, 0);
    for (unsigned i = 0; i < H_PSIG; i++) {
      h_psig_t *p = &nd->psig[i];
      if (p->used && gx_hash_eq(&p->id, &out.id)) {
        p->used = 0;
        h_star_add_sig(s, nd, &p->id, p->member, &p->sig);
      }
    }
  }
  h_star_req(s, nd);
}

static void h_star_on_sig(h_sim_t *s, h_node_t *nd, const h_msg_t *m) {
  const h_node_t *src = &s->node[m->src];
  if (m->len != GX_HASH_SZ + GX_SIG_SZ || src->is_galaxy || src->group != nd->group) return;
  gx_hash_t id;
  gx_sig_t sig;
  memcpy(id.b, m->data, GX_HASH_SZ);
  memcpy(sig.b, m->data + GX_HASH_SZ, GX_SIG_SZ);
  h_star_add_sig(s, nd, &id, src->member, &sig); /* the link names the sender */
}

/* A client's transfer: the star's ingest checks it once and pools it. */
static void h_star_on_submit(h_sim_t *s, h_node_t *nd, const h_msg_t *m) {
  if (m->len != GX_XFER_SZ || gx_xfer_check(m->data, m->len) != GX_PROTO_OK) return;
  gx_hash_t id;
  gx_xfer_id(&id, m->data);
  if (h_pool_find(nd, &id) >= 0 || nd->pool_n >= H_POOL || !h_memo_verify(m->data, &id)) return;
  h_pool_t *p = &nd->pool[nd->pool_n++];
  memcpy(p->x, m->data, GX_XFER_SZ);
  p->id = id;
  p->in_block = 0;
  nd->wake = s->now;
  if (h_honest(nd)) s->got_work[nd->group] = 1;
}

/* A follower's notice: black holes up to h are certified; read their fold
 * records and ledger results in order. */
static void h_star_on_notice(h_sim_t *s, h_node_t *nd, const h_msg_t *m) {
  if (m->len != 8) return;
  uint64_t h = gx_ld64(m->data);
  if (h > s->bh_top) h = s->bh_top;
  if (h <= nd->known_bh) return;
  for (uint64_t hh = nd->known_bh + 1; hh <= h; hh++) {
    const h_bh_t *r = &s->bh[hh];
    for (uint32_t i = 0; i < r->n_tx; i++) h_pool_remove(nd, &r->tx[i]);
    for (uint32_t i = 0; i < r->n_rej; i++) h_pool_remove(nd, &r->rej[i].id);
  }
  nd->known_bh = h;
  h_star_req(s, nd);
  nd->wake = s->now;
}

/* Propose in the next cluster epoch when there is something to propose (its
 * pool, a rewind) or the peers run it already, unless its chain is H_LAG
 * blocks ahead of the fold it knows (the signature window must not lose a
 * block the galaxies have not folded). */
static void h_star_poll(h_sim_t *s, h_node_t *nd) {
  if (h_down(nd) || !nd->ep || !gx_epoch_acs(nd->ep)) return;
  uint64_t e = gx_epoch_next(nd->ep);
  if (nd->proposed >= e + 1) return;
  uint64_t hf = s->bh[nd->known_bh].cs[nd->group].height;
  uint64_t lag = nd->chain_h > hf ? nd->chain_h - hf : 0;
  if (lag >= H_LAG && !nd->req_ok) return;
  unsigned pending = 0;
  for (unsigned i = 0; i < nd->pool_n; i++) pending += nd->pool[i].in_block == 0;
  if (nd->behaviour == B_FORGER && !nd->forged) pending++; /* it drives epochs until it forged */
  if (!nd->req_ok && !gx_epoch_active(nd->ep, e)) {
    /* gather transfers for H_GATHER steps from the first pending one */
    if (!pending) {
      nd->gather_at = 0;
      return;
    }
    if (!nd->gather_at) nd->gather_at = s->now + H_GATHER;
    if (s->now < nd->gather_at) {
      nd->wake = nd->gather_at;
      return;
    }
  }
  nd->gather_at = 0;
  static uint8_t buf[H_REQ_SZ + GX_CLUSTER_PROP_HDR_SZ + H_PROP_TXS * GX_XFER_SZ];
  static uint8_t xf[H_PROP_TXS * GX_XFER_SZ];
  size_t off = 1;
  buf[0] = 0;
  if (nd->req_ok) {
    buf[0] = 1;
    gx_st64(buf + 1, nd->req.hb);
    memcpy(buf + 9, nd->req.bh.b, GX_HASH_SZ);
    gx_st64(buf + 41, nd->req.height);
    memcpy(buf + 49, nd->req.id.b, GX_HASH_SZ);
    off = H_REQ_SZ;
  } else if (nd->behaviour == B_BADSIG) { /* and a rewind no one else asks for: to the start */
    buf[0] = 1;
    gx_st64(buf + 1, nd->known_bh ? nd->known_bh : 1);
    memcpy(buf + 9, s->bh[nd->known_bh].id.b, GX_HASH_SZ);
    gx_st64(buf + 41, 0);
    memset(buf + 49, 0, GX_HASH_SZ);
    off = H_REQ_SZ;
  }
  unsigned limit = H_PROP_TXS - (nd->behaviour == B_BADSIG ? 1u : 0u), cnt = 0;
  for (unsigned i = 0; i < nd->pool_n && cnt < limit; i++)
    if (nd->pool[i].in_block == 0) memcpy(xf + (size_t)cnt++ * GX_XFER_SZ, nd->pool[i].x, GX_XFER_SZ);
  if (nd->behaviour == B_BADSIG) memcpy(xf + (size_t)cnt++ * GX_XFER_SZ, s->bad_tx, GX_XFER_SZ);
  uint64_t rt = s->now - nd->last_out;
  uint32_t round_ms = rt > 1000000 ? 1000000u : (uint32_t)rt;
  const h_bh_t *base = &s->bh[nd->known_bh];
  size_t len = gx_cluster_proposal_encode(buf + off, sizeof buf - off, round_ms, nd->known_bh, &base->id,
                                          xf, cnt);
  if (!len) {
    h_failf(s, "star %u: proposal does not encode", nd->id);
    return;
  }
  len += off;
  nd->proposed = e + 1;
  h_trace(s, "star %u proposes cluster %u epoch %" PRIu64 ": %u transfers%s", nd->id, nd->group, e, cnt,
          nd->req_ok ? ", rewind" : "");
  if (nd->behaviour == B_EQUIV) { /* half the cluster gets another value */
    static uint8_t other[sizeof buf];
    memcpy(other, buf, off);
    size_t l2 = gx_cluster_proposal_encode(other + off, sizeof other - off, round_ms + 1, nd->known_bh,
                                           &base->id, xf, cnt / 2) + off;
    gx_acs_t *acs = gx_epoch_acs(nd->ep);
    for (unsigned d = 0; d < s->C; d++)
      if (d != nd->member)
        gx_acs_send_forged_val(acs, e, d % 2 ? other : buf, (uint32_t)(d % 2 ? l2 : len), d, -1);
    nd->pool_n = 0; /* and it swallows the clients' transfers (they re-send elsewhere) */
    return;
  }
  gx_acs_err_t ae = gx_epoch_propose(nd->ep, e, buf, (uint32_t)len);
  if (ae != GX_ACS_OK && h_honest(nd))
    h_failf(s, "star %u: propose epoch %" PRIu64 ": %s", nd->id, e, gx_acs_strerror(ae));
}

/* Re-sends on tick: its signatures of blocks not yet certified here, the
 * next two certified blocks the fold it knows has not taken, a notice poll. */
static void h_star_tick(h_sim_t *s, h_node_t *nd) {
  gx_epoch_tick(nd->ep);
  uint64_t hf = s->bh[nd->known_bh].cs[nd->group].height;
  for (uint64_t h = nd->chain_h; h >= 1 && h + GX_CLUSTER_WINDOW > nd->chain_h; h--) {
    gx_hash_t id;
    if (!h_chain_get(nd, h, &id)) break;
    const uint8_t *buf;
    size_t len;
    int next = h > hf && h <= hf + 2; /* the blocks the fold needs next */
    if (s->forged && gx_hash_eq(&id, &s->forge_id)) {
      if (next) h_star_send_block(s, nd, s->forge_buf, s->forge_len, 0);
    } else if (gx_cluster_certified(nd->cl, &id, &buf, &len) == 0) {
      if (next) h_star_send_block(s, nd, buf, len, 0);
    } else {
      h_star_sign(s, nd, h, 1);
    }
  }
  if (nd->known_bh < s->bh_top) {
    uint8_t m[8];
    gx_st64(m, s->bh_top);
    h_enqueue(s, M_NOTICE, H_CLIENT, nd->id, m, sizeof m);
  }
}

/* ---- galaxies ---- */
static int h_gal_find(const h_node_t *g, const gx_hash_t *id) {
  for (unsigned i = 0; i < g->held_n; i++)
    if (gx_hash_eq(&g->held[i].id, id)) return (int)i;
  return -1;
}

/* A block this galaxy has: in its pool or its store. 0, or -1. */
static int h_gal_get(const h_node_t *g, const gx_hash_t *id, const uint8_t **buf, size_t *len) {
  if (gx_lshpool_get(g->bpool, id, buf, len) == 0) return 0;
  int i = h_gal_find(g, id);
  if (i < 0) return -1;
  *buf = g->held[i].buf;
  *len = g->held[i].len;
  return 0;
}

static int h_gal_has(const h_node_t *g, const gx_hash_t *id) {
  const uint8_t *b;
  size_t l;
  return h_gal_get(g, id, &b, &l) == 0;
}

static int h_gal_store(h_sim_t *s, h_node_t *g, const gx_hash_t *id, const uint8_t *buf, size_t len) {
  if (h_gal_find(g, id) >= 0) return 0;
  if (g->held_n >= H_HELD) {
    h_failf(s, "galaxy %u stores %d blocks", g->member, H_HELD);
    return -1;
  }
  h_held_t *hd = &g->held[g->held_n];
  hd->buf = malloc(len);
  if (!hd->buf) {
    h_failf(s, "out of memory");
    return -1;
  }
  memcpy(hd->buf, buf, len);
  hd->len = len;
  hd->id = *id;
  g->held_n++;
  return 0;
}

/* A block from a star goes to the pool (gx_lshpool_add runs gx_fold_check:
 * a galaxy proposes only checked blocks; a block a fold rejected for good is
 * refused as rejected_before). */
static void h_gal_receive(h_sim_t *s, h_node_t *g, const uint8_t *buf, size_t len) {
  gx_fold_info_t info;
  gx_lshpool_res_t r = gx_lshpool_add(g->bpool, g->fold, buf, len, &info);
  s->pool_res[r]++;
  if (r == GX_LSHPOOL_REJECTED_BEFORE) s->dead_refused++;
  if (r == GX_LSHPOOL_ADDED) g->wake = s->now;
}

/* A fetched block of an agreed set: any copy whose root and certificate
 * hold (a Byzantine peer's copy with a broken certificate would change the
 * verdict; copies of one id differ only in their certificates). -1 refused. */
static int h_gal_fetched_ok(h_sim_t *s, h_node_t *g, const gx_hash_t *id, const uint8_t *buf, size_t len) {
  gx_fold_verdict_t v = gx_fold_check(g->fold, buf, len, NULL);
  if (v == GX_FOLD_V_MALFORMED || v == GX_FOLD_V_ROOT || v == GX_FOLD_V_CERT) return -1;
  if (h_gal_store(s, g, id, buf, len)) return -1;
  g->wake = s->now;
  return 0;
}

/* Blocks a fold rejected for good leave the pool and never come back
 * (gx_lshpool_reject): above the folded height, prune would never drop them,
 * and their refs would name them again in every epoch. */
static void h_gal_drop(h_sim_t *s, h_node_t *g, const gx_hash_t *drop, unsigned n_drop) {
  for (unsigned d = 0; d < n_drop; d++) {
    if (gx_lshpool_get(g->bpool, &drop[d], NULL, NULL) == 0) s->pool_drops++;
    gx_lshpool_reject(g->bpool, &drop[d]);
  }
}

/* The refs this galaxy proposes: its pool's chains from the folded tips
 * (gx_lshpool_refs), at most H_MAX_BLOCKS. */
static uint32_t h_gal_refs(h_sim_t *s, h_node_t *g, gx_fold_ref_t *refs) {
  (void)s;
  return gx_fold_refs_sort(refs, gx_lshpool_refs(g->bpool, g->fold, refs, H_MAX_BLOCKS));
}

/* An agreed galaxy batch: the refs at least f + 1 agreed proposals carry
 * (gx_fold_refs_agreed: an honest galaxy holds each one, so a Byzantine
 * galaxy's refs to blocks that do not exist cannot stall the others), in ref
 * order, queued for the fold. */
static void h_gal_batch(h_sim_t *s, h_node_t *g, const gx_acs_batch_t *b) {
  static gx_fold_agreed_ref_t scratch[H_MAXG * GX_FOLD_MAX_REFS], agreed[H_MAXG * GX_FOLD_MAX_REFS];
  if (g->q_n >= H_GQ) {
    h_failf(s, "galaxy %u: %d agreed batches wait for blocks", g->member, H_GQ);
    return;
  }
  h_gq_t *e = &g->q[(g->q_head + g->q_n) % H_GQ];
  memset(e, 0, sizeof *e);
  e->epoch = b->epoch;
  e->refs = malloc(GX_FOLD_MAX_INPUT * sizeof *e->refs);
  e->mask = malloc(GX_FOLD_MAX_INPUT * sizeof *e->mask);
  if (!e->refs || !e->mask) {
    free(e->refs);
    free(e->mask);
    h_failf(s, "out of memory");
    return;
  }
  g->q_n++;
  uint32_t n = gx_fold_refs_agreed(b->value, b->len, b->proposer, b->count, s->fg + 1, scratch, agreed,
                                   GX_FOLD_MAX_INPUT, NULL);
  for (uint32_t i = 0; i < n; i++) {
    e->refs[i] = agreed[i].ref;
    e->mask[i] = (uint32_t)agreed[i].holders;
  }
  e->n = n;
  if (g == h_counter_gal(s)) /* every distinct ref, less the agreed ones */
    s->junk_refs += gx_fold_refs_agreed(b->value, b->len, b->proposer, b->count, 1, scratch, agreed,
                                        H_MAXG * GX_FOLD_MAX_REFS, NULL) - n;
}

static void h_gal_fetch(h_sim_t *s, h_node_t *g, const h_gq_t *e) {
  for (uint32_t r = 0; r < e->n; r++) {
    if (h_gal_has(g, &e->refs[r].id)) continue;
    for (unsigned m = 0; m < s->G; m++)
      if ((e->mask[r] >> m & 1) && m != g->member) {
        h_enqueue(s, M_FETCH, g->id, h_gal(s, m)->id, e->refs[r].id.b, GX_HASH_SZ);
        s->fetches++;
      }
  }
}

static void h_gal_on_fetch(h_sim_t *s, h_node_t *g, const h_msg_t *m) {
  if (m->len != GX_HASH_SZ || !s->node[m->src].is_galaxy) return;
  gx_hash_t id;
  memcpy(id.b, m->data, GX_HASH_SZ);
  const uint8_t *buf;
  size_t blen;
  int have = h_gal_get(g, &id, &buf, &blen) == 0;
  if (g->behaviour == B_JUNK) { /* random bytes, or the block with a broken certificate */
    uint8_t junk[512];
    size_t len = 1 + h_below(&s->rng, sizeof junk);
    for (size_t k = 0; k < len; k++) junk[k] = (uint8_t)h_mix(&s->rng);
    if (have && h_below(&s->rng, 2)) {
      uint8_t *copy = malloc(blen);
      if (!copy) return;
      memcpy(copy, buf, blen);
      copy[blen - 1 - h_below(&s->rng, 64)] ^= 0x10;
      h_enqueue(s, M_FETCHED, g->id, m->src, copy, blen);
      free(copy);
    } else {
      h_enqueue(s, M_FETCHED, g->id, m->src, junk, len);
    }
    return;
  }
  if (have) h_enqueue(s, M_FETCHED, g->id, m->src, buf, blen);
}

static void h_gal_on_fetched(h_sim_t *s, h_node_t *g, const h_msg_t *m) {
  gx_lsh_t b;
  if (gx_lsh_decode(&b, m->data, m->len) != GX_PROTO_OK) {
    s->fetch_bad++;
    return;
  }
  gx_hash_t id;
  gx_lsh_id(&id, &b);
  int wanted = 0;
  for (unsigned q = 0; q < g->q_n && !wanted; q++) {
    const h_gq_t *e = &g->q[(g->q_head + q) % H_GQ];
    for (uint32_t r = 0; r < e->n && !wanted; r++) wanted = gx_hash_eq(&e->refs[r].id, &id);
  }
  if (!wanted || h_gal_has(g, &id)) return;
  if (h_gal_fetched_ok(s, g, &id, m->data, m->len) != 0) s->fetch_bad++;
}

static void h_ref_record(h_sim_t *s, h_bh_t *r, uint64_t h, const gx_fold_result_t *res,
                         const gx_hash_t *digest);
static void h_ref_after_commit(h_sim_t *s, h_node_t *g, uint64_t h);

/* Fold one agreed set, compare with the reference, commit. */
static void h_gal_apply(h_sim_t *s, h_node_t *g, const h_gq_t *e) {
  static const uint8_t *blocks[GX_FOLD_MAX_INPUT];
  static size_t lens[GX_FOLD_MAX_INPUT];
  for (uint32_t r = 0; r < e->n; r++) {
    if (h_gal_get(g, &e->refs[r].id, &blocks[r], &lens[r]) != 0) {
      h_failf(s, "galaxy %u folds without a block", g->member);
      return;
    }
  }
  gx_fold_result_t res;
  gx_fold_err_t fe = gx_fold_apply(g->fold, g->ledger, e->epoch, blocks, lens, e->n, &res);
  uint64_t h = e->epoch + 1;
  if (fe != GX_FOLD_OK) {
    h_failf(s, "galaxy %u: fold of epoch %" PRIu64 ": %s (%s)", g->member, e->epoch, gx_fold_strerror(fe),
            gx_ledger_strerror(res.ledger_err));
    return;
  }
  if (gx_ledger_height(g->ledger) + 1 != h) {
    h_failf(s, "galaxy %u folded epoch %" PRIu64 " at height %" PRIu64, g->member, e->epoch,
            gx_ledger_height(g->ledger));
    return;
  }
  /* the black hole, the fold record and the evidence (the signers of a
   * block depend on the certificate copy a galaxy holds: left out) */
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, NULL, 0, 32);
  uint8_t w[8];
  gx_st64(w, res.ledger.encoded_len);
  crypto_generichash_blake2b_update(&st, w, 8);
  crypto_generichash_blake2b_update(&st, res.ledger.encoded, res.ledger.encoded_len);
  for (uint32_t i = 0; i < res.entry_count; i++) {
    const gx_fold_entry_t *en = &res.entries[i];
    uint8_t rec[1 + 4 + 8 + 32];
    rec[0] = (uint8_t)en->verdict;
    gx_st32(rec + 1, en->cluster);
    gx_st64(rec + 5, en->height);
    memcpy(rec + 13, en->id.b, GX_HASH_SZ);
    crypto_generichash_blake2b_update(&st, rec, sizeof rec);
  }
  for (uint32_t i = 0; i < res.evidence_count; i++) {
    const gx_fold_evidence_t *ev = &res.evidence[i];
    uint8_t rec[1 + 4 + 8 + 32 + 32 + 4];
    rec[0] = ev->kind;
    gx_st32(rec + 1, ev->cluster);
    gx_st64(rec + 5, ev->height);
    memcpy(rec + 13, ev->block.b, GX_HASH_SZ);
    memcpy(rec + 45, ev->other.b, GX_HASH_SZ);
    gx_st32(rec + 77, ev->tx_index);
    crypto_generichash_blake2b_update(&st, rec, sizeof rec);
  }
  gx_hash_t digest;
  crypto_generichash_blake2b_final(&st, digest.b, 32);
  int first = 0;
  if (h_honest(g)) {
    if (h >= H_MAXBH) {
      h_failf(s, "more than %d black holes", H_MAXBH);
      return;
    }
    h_bh_t *r = &s->bh[h];
    if (!r->set) {
      first = 1;
      h_ref_record(s, r, h, &res, &digest);
    } else if (!gx_hash_eq(&r->digest, &digest)) {
      h_failf(s, "black hole %" PRIu64 " of galaxy %u differs from the first honest galaxy's", h, g->member);
    }
    for (uint32_t i = 0; i < res.evidence_count; i++) {
      const gx_fold_evidence_t *ev = &res.evidence[i];
      if (ev->kind == GX_FOLD_EV_BAD_SIGNATURE && s->forged && gx_hash_eq(&ev->block, &s->forge_id)) {
        if (ev->cluster != s->forge_k || ev->signers != s->forger_mask)
          h_failf(s, "galaxy %u: evidence against cluster %u signers %#" PRIx64 ", the forgers are %#" PRIx64,
                  g->member, ev->cluster, ev->signers, s->forger_mask);
        g->forge_ev = 1;
      } else if (ev->kind == GX_FOLD_EV_CONFLICT && s->forge && ev->cluster == s->forge_k && ev->signers &&
                 !(ev->signers & ~s->forger_mask)) {
        /* the forgers signed the forged block and the rebuilt one at its height */
      } else {
        h_failf(s, "galaxy %u recorded %s evidence against cluster %u height %" PRIu64 " (signers %#" PRIx64 ")",
                g->member, ev->kind == GX_FOLD_EV_CONFLICT ? "conflict" : "bad_signature", ev->cluster,
                ev->height, ev->signers);
      }
      if (first) s->evidence++;
    }
  }
  h_trace(s, "galaxy %u folds epoch %" PRIu64 ": %u of %u blocks, %u transfers, %u rejected", g->member,
          e->epoch, res.folded_count, res.entry_count, res.ledger.tx_count, res.ledger.rejection_count);
  /* the store keeps every block of the set (a laggard folds the same set) */
  static gx_hash_t rejected[GX_FOLD_MAX_INPUT];
  unsigned n_rej = 0;
  for (uint32_t r = 0; r < e->n && !s->fail[0]; r++) h_gal_store(s, g, &e->refs[r].id, blocks[r], lens[r]);
  for (uint32_t i = 0; i < res.entry_count; i++)
    if (gx_fold_verdict_final(res.entries[i].verdict)) rejected[n_rej++] = res.entries[i].id;
  if (gx_ledger_commit(g->ledger) != GX_LEDGER_OK || gx_fold_commit(g->fold) != GX_FOLD_OK) {
    h_failf(s, "galaxy %u: commit of height %" PRIu64 " refused", g->member, h);
    return;
  }
  gx_lshpool_prune(g->bpool, g->fold);
  h_gal_drop(s, g, rejected, n_rej); /* never propose a rejected block again */
  if (h_honest(g) && gx_ledger_total(g->ledger) != s->supply)
    h_failf(s, "galaxy %u height %" PRIu64 ": balances add up to %" PRIu64 ", the supply is %" PRIu64,
            g->member, h, gx_ledger_total(g->ledger), s->supply);
  if (first) h_ref_after_commit(s, g, h);
}

/* Fold what is complete, then propose in the next galaxy epoch once every
 * earlier one is folded: when it holds blocks to propose, the peers run the
 * epoch, or H_IDLE_G passed. */
static void h_gal_poll(h_sim_t *s, h_node_t *g) {
  if (h_down(g)) return;
  while (g->q_n && !s->fail[0]) {
    h_gq_t *e = &g->q[g->q_head];
    int missing = 0;
    for (uint32_t r = 0; r < e->n && !missing; r++) missing = !h_gal_has(g, &e->refs[r].id);
    if (missing) {
      if (!e->fetch_at) {
        h_gal_fetch(s, g, e);
        e->fetch_at = s->now;
      }
      return;
    }
    h_gal_apply(s, g, e);
    free(e->refs);
    free(e->mask);
    e->refs = NULL;
    e->mask = NULL;
    g->q_head = (g->q_head + 1) % H_GQ;
    g->q_n--;
  }
  if (!g->ep || !gx_epoch_acs(g->ep) || s->fail[0]) return;
  uint64_t e = gx_epoch_next(g->ep);
  if (g->proposed >= e + 1 || gx_ledger_height(g->ledger) != e) return;
  static gx_fold_ref_t refs[H_MAX_BLOCKS];
  uint32_t n = h_gal_refs(s, g, refs);
  if (!n && !gx_epoch_active(g->ep, e) && s->now < g->last_prop_at + H_IDLE_G) {
    g->wake = g->last_prop_at + H_IDLE_G;
    return;
  }
  static uint8_t buf[2 + GX_FOLD_MAX_REFS * GX_FOLD_REF_SZ];
  size_t len = gx_fold_refs_encode(buf, sizeof buf, refs, n);
  if (g->behaviour == B_JUNK) {
    unsigned mode = (unsigned)h_below(&s->rng, 3);
    if (mode == 0) { /* junk bytes */
      len = 1 + h_below(&s->rng, 200);
      for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)h_mix(&s->rng);
    } else { /* refs to blocks that do not exist, with (mode 2) the real ones */
      static gx_fold_ref_t fake[GX_FOLD_MAX_REFS];
      uint32_t m = mode == 2 ? n : 0;
      if (m) memcpy(fake, refs, n * sizeof *refs);
      unsigned add = 1 + (unsigned)h_below(&s->rng, 5);
      for (unsigned i = 0; i < add && m < GX_FOLD_MAX_REFS; i++, m++) {
        gx_fold_cluster_state_t cs;
        fake[m].cluster = (uint32_t)h_below(&s->rng, s->K);
        gx_fold_cluster_state(g->fold, fake[m].cluster, &cs);
        fake[m].height = cs.height + 1 + h_below(&s->rng, 3);
        for (int b = 0; b < GX_HASH_SZ; b++) fake[m].id.b[b] = (uint8_t)h_mix(&s->rng);
      }
      m = gx_fold_refs_sort(fake, m);
      len = gx_fold_refs_encode(buf, sizeof buf, fake, m);
    }
  }
  g->proposed = e + 1;
  g->last_prop_at = s->now;
  h_trace(s, "galaxy %u proposes epoch %" PRIu64 ": %u refs", g->member, e, n);
  gx_acs_err_t ae = gx_epoch_propose(g->ep, e, buf, (uint32_t)len);
  if (ae != GX_ACS_OK && h_honest(g))
    h_failf(s, "galaxy %u: propose epoch %" PRIu64 ": %s", g->member, e, gx_acs_strerror(ae));
}

static void h_gal_tick(h_sim_t *s, h_node_t *g) {
  gx_epoch_tick(g->ep);
  if (g->q_n) {
    h_gq_t *e = &g->q[g->q_head];
    if (e->fetch_at) {
      h_gal_fetch(s, g, e);
      e->fetch_at = s->now;
    }
  }
}

/* ---- the reference chain and the workload ---- */
static h_tx_t *h_tx_find(h_sim_t *s, const gx_hash_t *id) {
  for (unsigned i = 0; i < s->ntx; i++)
    if (gx_hash_eq(&s->tx[i].id, id)) return &s->tx[i];
  return NULL;
}

static int h_acct_index(const gx_pubkey_t *pk) {
  for (int a = 0; a < H_NACC; a++)
    if (!memcmp(h_acct_kp[a].pk.b, pk->b, GX_PUBKEY_SZ)) return a;
  return -1;
}

/* The ledger's source of committed transfers (the store in galaxyd). */
static int h_tx_source(void *ctx, const gx_hash_t *id, uint8_t out[GX_XFER_SZ]) {
  h_sim_t *s = ctx;
  const h_tx_t *t = h_tx_find(s, id);
  if (t) {
    memcpy(out, t->x, GX_XFER_SZ);
    return 1;
  }
  if (gx_hash_eq(id, &s->forge_txid)) {
    memcpy(out, s->forge_tx, GX_XFER_SZ);
    return 1;
  }
  return 0;
}

static void h_tx_resolved(h_sim_t *s, h_tx_t *t) {
  if (t->kind == T_NORMAL) s->acc[t->a].busy = s->acc[t->b].busy = 0;
}

/* The first honest galaxy to commit height h: its fold record and ledger
 * result become the reference (copied before the commit frees them). */
static void h_ref_record(h_sim_t *s, h_bh_t *r, uint64_t h, const gx_fold_result_t *res,
                         const gx_hash_t *digest) {
  r->set = 1;
  r->id = res->ledger.id;
  r->digest = *digest;
  r->ent = malloc((res->entry_count + 1) * sizeof *r->ent);
  r->tx = malloc((res->ledger.tx_count + 1) * sizeof *r->tx);
  r->rej = malloc((res->ledger.rejection_count + 1) * sizeof *r->rej);
  r->eq_acct = malloc((res->ledger.equivocation_count + 1) * sizeof *r->eq_acct);
  r->eq_seq = malloc((res->ledger.equivocation_count + 1) * sizeof *r->eq_seq);
  if (!r->ent || !r->tx || !r->rej || !r->eq_acct || !r->eq_seq) {
    h_failf(s, "out of memory");
    return;
  }
  for (uint32_t i = 0; i < res->entry_count; i++) {
    const gx_fold_entry_t *e = &res->entries[i];
    h_ent_t *x = &r->ent[r->n_ent++];
    x->cluster = e->cluster;
    x->height = e->height;
    x->id = e->id;
    x->verdict = (uint8_t)e->verdict;
    x->decoded = e->verdict != GX_FOLD_V_MALFORMED && e->cluster < s->K;
    if (!x->decoded) continue;
    if (h_rejecting(e->verdict)) {
      s->rejected_blocks++;
      if (s->forged && gx_hash_eq(&e->id, &s->forge_id)) {
        if (!s->forge_rejected_at) s->forge_rejected_at = h;
      } else if (h_cluster_sound(s, e->cluster)) {
        h_failf(s, "cluster %u (at most f_c Byzantine stars) had its block at height %" PRIu64
                   " rejected: %s (black hole %" PRIu64 ")",
                e->cluster, e->height, gx_fold_verdict_label(e->verdict), h);
      }
    } else if (e->verdict == GX_FOLD_V_OK) {
      s->folded_blocks++;
      if (s->forged && gx_hash_eq(&e->id, &s->forge_id)) s->forge_folded_at = h;
    }
  }
  for (uint32_t i = 0; i < res->ledger.tx_count; i++) {
    r->tx[r->n_tx++] = res->ledger.tx_ids[i];
    h_tx_t *t = h_tx_find(s, &res->ledger.tx_ids[i]);
    if (!t) continue;
    if (t->status == S_COMMITTED) {
      h_failf(s, "transfer %u committed twice (heights %" PRIu64 " and %" PRIu64 ")", (unsigned)(t - s->tx),
              t->height, h);
      continue;
    }
    if (t->status == S_FLIGHT) {
      h_tx_resolved(s, t);
      if (t->kind == T_NORMAL && !t->resends) {
        uint64_t lat = s->now - t->sent_at;
        s->lat_sum += lat;
        s->lat_n++;
        if (lat > s->lat_max) s->lat_max = lat;
      }
    }
    t->status = S_COMMITTED;
    t->height = h;
  }
  for (uint32_t i = 0; i < res->ledger.rejection_count; i++) {
    const gx_ledger_rejection_t *rj = &res->ledger.rejections[i];
    r->rej[r->n_rej++] = *rj;
    h_tx_t *t = h_tx_find(s, &rj->id);
    if (!t || t->status != S_FLIGHT) continue; /* a copy of a committed one: a replay */
    t->status = S_REJECTED;
    t->reason = (uint8_t)rj->reason;
    t->height = h;
    h_tx_resolved(s, t);
    if (t->kind == T_NORMAL)
      h_failf(s, "transfer %u (%u -> %u) rejected at height %" PRIu64 ": %s", (unsigned)(t - s->tx), t->a,
              t->b, h, gx_ledger_reject_label(rj->reason));
  }
  for (uint32_t i = 0; i < res->ledger.equivocation_count; i++) {
    const gx_ledger_equivocation_t *q = &res->ledger.equivocations[i];
    r->eq_acct[r->n_eq] = q->account;
    r->eq_seq[r->n_eq++] = q->seq;
    for (unsigned p = 0; p < H_NDS; p++)
      if (!memcmp(q->account.b, h_acct_kp[H_DS0 + 3 * p].pk.b, GX_PUBKEY_SZ) && q->seq == 1) {
        s->ds_proof[p] = 1;
        s->ds_proofs++;
      }
  }
  for (uint32_t i = 0; i < res->ledger.update_count; i++) {
    const gx_ledger_update_t *u = &res->ledger.updates[i];
    int a = h_acct_index(&u->account);
    if (a < 0) continue;
    s->acc[a].balance = u->state.balance;
    s->acc[a].seq = u->state.seq;
    s->acc[a].head = u->state.head;
  }
}

static void h_ref_after_commit(h_sim_t *s, h_node_t *g, uint64_t h) {
  h_bh_t *r = &s->bh[h];
  for (unsigned k = 0; k < s->K; k++) gx_fold_cluster_state(g->fold, k, &r->cs[k]);
  s->bh_top = h;
  uint8_t m[8];
  gx_st64(m, h);
  for (unsigned i = 0; i < s->n_stars; i++) h_enqueue(s, M_NOTICE, H_CLIENT, s->node[i].id, m, sizeof m);
}

static void h_make_tx(h_sim_t *s, uint8_t out[GX_XFER_SZ], unsigned a, unsigned b, uint64_t amount,
                      uint64_t nonce) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  x.initiator = h_acct_kp[a].pk;
  x.counterparty = h_acct_kp[b].pk;
  x.amount = amount;
  x.nonce = nonce;
  x.init_link.seq = s->acc[a].seq + 1;
  x.init_link.prev = s->acc[a].head;
  x.cp_link.seq = s->acc[b].seq + 1;
  x.cp_link.prev = s->acc[b].head;
  if (gx_xfer_sign_init(&x, h_acct_kp[a].sk) || gx_xfer_sign_cp(&x, h_acct_kp[b].sk))
    h_failf(s, "cannot sign a transfer");
  gx_xfer_encode(&x, out);
}

/* A transfer whose initiator signature fails but that still decodes. */
static void h_make_bad_tx(h_sim_t *s, uint8_t out[GX_XFER_SZ], unsigned a, unsigned b, uint64_t nonce) {
  h_make_tx(s, out, a, b, 3, nonce);
  for (unsigned at = 122; at < 186; at++) { /* a byte of init_sig */
    out[at] ^= 0x01;
    if (gx_xfer_check(out, GX_XFER_SZ) == GX_PROTO_OK && gx_xfer_verify_enc(out) != GX_XFER_VERIFY_OK) return;
    out[at] ^= 0x01;
  }
  h_failf(s, "cannot make a badly signed transfer");
}

static void h_submit(h_sim_t *s, const h_tx_t *t, unsigned k) {
  unsigned i = (unsigned)h_below(&s->rng, s->C);
  h_enqueue(s, M_SUBMIT, H_CLIENT, h_star(s, k, i)->id, t->x, GX_XFER_SZ);
}

static h_tx_t *h_tx_new(h_sim_t *s) {
  if (s->ntx >= H_MAXTX) {
    h_failf(s, "more than %d transfers", H_MAXTX);
    return NULL;
  }
  h_tx_t *t = &s->tx[s->ntx++];
  memset(t, 0, sizeof *t);
  return t;
}

/* The client: new transfers for idle accounts (round robin over the home
 * clusters), re-sends after a timeout (to its clusters, then anywhere: a
 * client does not know which cluster is down), the double spends. */
static void h_client(h_sim_t *s) {
  for (unsigned i = 0; i < s->ntx; i++) {
    h_tx_t *t = &s->tx[i];
    if (t->status != S_FLIGHT || s->now - t->sent_at < H_RESEND) continue;
    t->resends++;
    unsigned k;
    if (t->resends <= 2) {
      do k = (unsigned)h_below(&s->rng, s->K);
      while (!(t->mask >> k & 1));
    } else {
      k = (unsigned)h_below(&s->rng, s->K);
      t->mask |= 1u << k;
    }
    t->sent_at = s->now;
    h_submit(s, t, k);
  }
  unsigned inflight = 0;
  for (unsigned i = 0; i < s->ntx; i++) inflight += s->tx[i].kind == T_NORMAL && s->tx[i].status == S_FLIGHT;
  while (s->issued < s->n_tx && inflight < H_INFLIGHT && !s->fail[0]) {
    unsigned want = s->issued % s->K, start = (unsigned)h_below(&s->rng, H_NORMAL);
    int a = -1, b = -1;
    for (int pass = 0; pass < 2 && a < 0; pass++)
      for (unsigned j = 0; j < H_NORMAL && a < 0; j++) {
        unsigned c = (start + j) % H_NORMAL;
        if (!s->acc[c].busy && (pass || gx_lsh_home_cluster(&h_acct_kp[c].pk, s->K) == want)) a = (int)c;
      }
    start = (unsigned)h_below(&s->rng, H_NORMAL);
    for (unsigned j = 0; j < H_NORMAL && a >= 0 && b < 0; j++) {
      unsigned c = (start + j) % H_NORMAL;
      if (!s->acc[c].busy && (int)c != a) b = (int)c;
    }
    if (a < 0 || b < 0) break;
    h_tx_t *t = h_tx_new(s);
    if (!t) return;
    t->a = (uint8_t)a;
    t->b = (uint8_t)b;
    t->kind = T_NORMAL;
    h_make_tx(s, t->x, (unsigned)a, (unsigned)b, 1 + h_below(&s->rng, 9), s->issued);
    gx_xfer_id(&t->id, t->x);
    s->acc[a].busy = s->acc[b].busy = 1;
    unsigned home = gx_lsh_home_cluster(&h_acct_kp[a].pk, s->K), r = (unsigned)h_below(&s->rng, 100);
    unsigned other = s->K > 1 ? (home + 1 + (unsigned)h_below(&s->rng, s->K - 1)) % s->K : home;
    if (s->issued < s->K) { /* the first ones give every cluster work */
      t->mask = 1u << home;
    } else if (s->K > 1 && r < 15) {
      t->mask = 1u << other;
      s->wrong_routed++;
    } else if (s->K > 1 && r < 30) {
      t->mask = 1u << home | 1u << other;
      s->two_routed++;
    } else {
      t->mask = 1u << home;
    }
    t->sent_at = s->now;
    for (unsigned k = 0; k < s->K; k++)
      if (t->mask >> k & 1) h_submit(s, t, k);
    s->issued++;
    inflight++;
  }
  if (!s->ds_sent && s->now >= s->ds_at) { /* spender a pays b and c at the same seq */
    s->ds_sent = 1;
    for (unsigned p = 0; p < H_NDS; p++) {
      unsigned a = H_DS0 + 3 * p, home = gx_lsh_home_cluster(&h_acct_kp[a].pk, s->K);
      unsigned other = s->K > 1 ? (home + 1 + (unsigned)h_below(&s->rng, s->K - 1)) % s->K : home;
      for (unsigned v = 0; v < 2; v++) {
        h_tx_t *t = h_tx_new(s);
        if (!t) return;
        t->a = (uint8_t)a;
        t->b = (uint8_t)(a + 1 + v);
        t->kind = T_DS;
        t->pair = (uint8_t)p;
        h_make_tx(s, t->x, a, a + 1 + v, 5 + v, 777);
        gx_xfer_id(&t->id, t->x);
        t->mask = 1u << (v ? other : home);
        t->sent_at = s->now;
        s->ds_tx[p][v] = (unsigned)(t - s->tx);
        h_submit(s, t, v ? other : home);
      }
    }
  }
}

/* ---- catch-up ---- */
/* Block sync: a node whose next epoch a peer of its group has already freed
 * takes that epoch's agreed batch (the reference output) and
 * skips, as the application would from its peers. */
static void h_sync(h_sim_t *s) {
  for (unsigned i = 0; i < s->n_nodes && !s->fail[0]; i++) {
    h_node_t *nd = &s->node[i];
    if (h_down(nd) || !nd->ep || !gx_epoch_acs(nd->ep)) continue;
    unsigned gi = h_group(s, nd), n = nd->is_galaxy ? s->G : s->C;
    uint64_t next = gx_epoch_next(nd->ep);
    if (next >= H_MAXCE || !s->rb[gi * H_MAXCE + next]) continue;
    int freed = 0;
    for (unsigned j = 0; j < n && !freed; j++) {
      h_node_t *p = nd->is_galaxy ? h_gal(s, j) : h_star(s, nd->group, j);
      uint64_t lo, hi;
      if (p == nd || !h_acs_ok(p) || p->crashed || !gx_epoch_acs(p->ep)) continue;
      gx_acs_window(gx_epoch_acs(p->ep), &lo, &hi);
      if (lo > next) freed = 1;
    }
    if (!freed) continue;
    const h_rbatch_t *r = s->rb[gi * H_MAXCE + next];
    gx_acs_batch_t b;
    memset(&b, 0, sizeof b);
    b.epoch = next;
    b.count = r->count;
    for (unsigned k = 0; k < r->count; k++) {
      b.proposer[k] = r->proposer[k];
      b.value[k] = r->value[k];
      b.len[k] = r->len[k];
    }
    h_trace(s, "node %u BLOCK-SYNC epoch %" PRIu64 " of group %u", nd->id, next, gi);
    s->syncs++;
    h_deliver(nd, &b);
    gx_epoch_skip_to(nd->ep, next + 1);
  }
}

static void h_tick(h_sim_t *s, h_node_t *nd) {
  if (h_down(nd) || !nd->ep) return;
  s->ticks++;
  if (nd->is_galaxy) h_gal_tick(s, nd);
  else h_star_tick(s, nd);
  nd->wake = s->now;
}

static void h_poll(h_sim_t *s, h_node_t *nd) {
  if (nd->is_galaxy) h_gal_poll(s, nd);
  else h_star_poll(s, nd);
}

/* ---- a run ---- */
/* What keeps the run going (NULL: done). */
static const char *h_pending(h_sim_t *s, char *why, size_t cap) {
  if (!s->ds_sent) return "the double spends are not sent yet";
  if (s->issued < s->n_tx) {
    unsigned inflight = 0;
    for (unsigned i = 0; i < s->ntx; i++) inflight += s->tx[i].status == S_FLIGHT;
    snprintf(why, cap, "%u of %u transfers sent, %u of them not resolved (black hole %" PRIu64 ")", s->issued,
             s->n_tx, inflight, s->bh_top);
    return why;
  }
  for (unsigned i = 0; i < s->ntx; i++)
    if (s->tx[i].status == S_FLIGHT) {
      snprintf(why, cap, "transfer %u (%u -> %u, %s, sent to clusters %#x) never resolved", i, s->tx[i].a,
               s->tx[i].b, s->tx[i].kind == T_DS ? "double spend" : "normal", s->tx[i].mask);
      return why;
    }
  for (unsigned g = 0; g < s->G; g++) {
    h_node_t *gn = h_gal(s, g);
    if (h_honest(gn) && gx_ledger_height(gn->ledger) < s->epochs) {
      snprintf(why, cap, "galaxy %u committed %" PRIu64 " of %u black holes", g, gx_ledger_height(gn->ledger),
               s->epochs);
      return why;
    }
  }
  const h_bh_t *top = &s->bh[s->bh_top];
  for (unsigned k = 0; k < s->K; k++)
    if (h_cluster_live(s, k) && s->got_work[k] && top->cs[k].height == 0) {
      snprintf(why, cap, "cluster %u has no block folded (an honest star of it pooled a transfer)", k);
      return why;
    }
  if (s->forge) {
    if (!s->forged) return "the forging cluster never forged";
    if (s->sample == 65536 && !s->forge_rejected_at) return "the forged block was never rejected";
    if (top->cs[s->forge_k].height < s->forge_height) {
      snprintf(why, cap, "the forging cluster folded %" PRIu64 " blocks, the forged one was height %" PRIu64,
               top->cs[s->forge_k].height, s->forge_height);
      return why;
    }
  }
  return NULL;
}

/* The checks that need the whole run. */
static void h_final_checks(h_sim_t *s) {
  for (unsigned p = 0; p < H_NDS; p++) {
    const h_tx_t *x = &s->tx[s->ds_tx[p][0]], *y = &s->tx[s->ds_tx[p][1]];
    unsigned committed = (x->status == S_COMMITTED) + (y->status == S_COMMITTED);
    const h_tx_t *lost = x->status == S_COMMITTED ? y : x;
    if (committed != 1)
      h_failf(s, "double spend %u committed %u times", p, committed);
    else if (lost->status != S_REJECTED || lost->reason != GX_LEDGER_REJ_EQUIVOCATION)
      h_failf(s, "double spend %u: the other transfer was %s", p,
              lost->status == S_REJECTED ? gx_ledger_reject_label(lost->reason) : "never rejected");
    else if (!s->ds_proof[p])
      h_failf(s, "double spend %u left no equivocation proof", p);
  }
  if (s->forge && s->sample == 65536)
    for (unsigned g = 0; g < s->G; g++) {
      h_node_t *gn = h_gal(s, g);
      if (h_honest(gn) && gx_ledger_height(gn->ledger) >= s->forge_rejected_at && !gn->forge_ev)
        h_failf(s, "galaxy %u recorded no evidence against the forging signers", g);
    }
}

static int h_committee(h_sim_t *s, unsigned gi, unsigned n, const gx_keypair_t *keys) {
  gx_committee_t *c = &s->com[gi];
  memset(c, 0, sizeof *c);
  c->n = (uint16_t)n;
  for (unsigned i = 0; i < n; i++) {
    c->m[i].identity = keys[i].pk;
    snprintf(c->m[i].host, sizeof c->m[i].host, "sim");
    c->m[i].port = (uint16_t)i;
  }
  uint8_t seed[32] = {0};
  gx_st64(seed, s->seed);
  seed[8] = (uint8_t)gi;
  seed[9] = 'H';
  return gx_committee_test_deal(c, s->sec[gi], seed) == GX_COMMITTEE_OK ? 0 : -1;
}

static int h_cmp_alloc(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b,
                GX_PUBKEY_SZ);
}

static int h_node_start(h_sim_t *s, h_node_t *nd) {
  char err[200];
  unsigned gi = h_group(s, nd);
  gx_epoch_cfg_t ec = {
    .max_proposal = nd->is_galaxy ? (uint32_t)(2 + GX_FOLD_MAX_REFS * GX_FOLD_REF_SZ)
                                  : (uint32_t)(H_REQ_SZ + GX_CLUSTER_PROP_HDR_SZ + H_PROP_TXS * GX_XFER_SZ),
    .epoch_slots = 3,
    .epoch_keep = 1,
  };
  gx_epoch_out_t out = {nd, h_send, h_deliver, NULL};
  nd->ep = gx_epoch_new(&ec, &out, err, sizeof err);
  if (!nd->ep) return -1;
  const gx_pubkey_t *self = nd->is_galaxy ? &h_gal_kp[nd->member].pk : &h_star_kp[nd->group][nd->member].pk;
  if (gx_epoch_join(nd->ep, &s->com[gi], self, &s->sec[gi][nd->member], 0, err, sizeof err) ||
      !gx_epoch_acs(nd->ep))
    return -1;
  if (!nd->is_galaxy) {
    gx_cluster_cfg_t cc;
    memset(&cc, 0, sizeof cc);
    cc.cluster = nd->group;
    cc.n = s->C;
    for (unsigned i = 0; i < s->C; i++) cc.members[i] = h_star_kp[nd->group][i].pk;
    cc.max_block_txs = H_BLOCK_TXS;
    cc.max_proposal_txs = H_PROP_TXS;
    cc.genesis_id = s->genesis;
    size_t fp = gx_cluster_footprint(&cc);
    void *mem = fp ? aligned_alloc(GX_CLUSTER_ALIGN, (fp + GX_CLUSTER_ALIGN - 1) & ~(size_t)(GX_CLUSTER_ALIGN - 1))
                   : NULL;
    nd->cl = mem ? gx_cluster_new(mem, &cc) : NULL;
    if (!nd->cl) {
      free(mem);
      return -1;
    }
    return 0;
  }
  gx_fold_cfg_t fc;
  gx_fold_cfg_defaults(&fc);
  fc.cluster_count = s->K;
  fc.sample_per_65536 = s->sample;
  fc.max_block_txs = H_BLOCK_TXS;
  fc.max_blocks = H_MAX_BLOCKS;
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_accounts = 256;
  gx_fold_ledger_cfg(&fc, &lc);
  size_t lfp = gx_ledger_footprint(&lc), ffp = gx_fold_footprint(&fc);
  nd->lmem = lfp ? aligned_alloc(GX_LEDGER_ALIGN, (lfp + 63) & ~(size_t)63) : NULL;
  nd->fmem = ffp ? aligned_alloc(GX_FOLD_ALIGN, (ffp + 63) & ~(size_t)63) : NULL;
  nd->held = calloc(H_HELD, sizeof *nd->held);
  gx_lshpool_cfg_t pc;
  h_pool_cfg(s, &pc);
  size_t pfp = gx_lshpool_footprint(&pc);
  nd->pmem = pfp ? aligned_alloc(GX_LSHPOOL_ALIGN, (pfp + 63) & ~(size_t)63) : NULL;
  nd->bpool = nd->pmem ? gx_lshpool_new(nd->pmem, &pc) : NULL;
  if (!nd->lmem || !nd->fmem || !nd->held || !nd->bpool) return -1;
  nd->ledger = gx_ledger_new(nd->lmem, &lc);
  if (!nd->ledger) return -1;
  gx_ledger_alloc_t al[H_NACC];
  for (unsigned a = 0; a < H_NACC; a++) {
    al[a].account = h_acct_kp[a].pk;
    al[a].amount = H_FUND;
  }
  qsort(al, H_NACC, sizeof al[0], h_cmp_alloc);
  if (gx_ledger_genesis(nd->ledger, &s->genesis, al, H_NACC) != GX_LEDGER_OK) return -1;
  gx_ledger_set_tx_source(nd->ledger, h_tx_source, s);
  nd->fold = gx_fold_new(nd->fmem, &fc, s->fcl, &s->genesis);
  return nd->fold ? 0 : -1;
}

static void h_free(h_sim_t *s) {
  for (size_t k = 0; k < s->qn; k++) free(s->q[k]);
  s->qn = 0;
  for (unsigned i = 0; i < s->n_nodes; i++) {
    h_node_t *nd = &s->node[i];
    gx_epoch_delete(nd->ep);
    nd->ep = NULL;
    if (nd->cl) free(gx_cluster_delete(nd->cl));
    nd->cl = NULL;
    if (nd->ledger) gx_ledger_delete(nd->ledger);
    if (nd->fold) gx_fold_delete(nd->fold);
    free(nd->lmem);
    free(nd->fmem);
    nd->lmem = nd->fmem = NULL;
    if (nd->held)
      for (unsigned h = 0; h < nd->held_n; h++) free(nd->held[h].buf);
    free(nd->held);
    nd->held = NULL;
    free(nd->pmem);
    nd->pmem = NULL;
    nd->bpool = NULL;
    for (unsigned q = 0; q < nd->q_n; q++) {
      h_gq_t *e = &nd->q[(nd->q_head + q) % H_GQ];
      free(e->refs);
      free(e->mask);
    }
    nd->q_n = 0;
  }
  for (uint64_t h = 0; h < H_MAXBH; h++) {
    h_bh_t *r = &s->bh[h];
    if (!r->set) continue;
    free(r->ent);
    free(r->tx);
    free(r->rej);
    free(r->eq_acct);
    free(r->eq_seq);
    memset(r, 0, sizeof *r);
  }
  for (unsigned gi = 0; gi <= s->K; gi++) {
    for (uint64_t e = 0; e < s->ce_top[gi] && e < H_MAXCE; e++) {
      h_rbatch_t *r = s->rb[gi * H_MAXCE + e];
      if (!r) continue;
      for (unsigned k = 0; k < r->count; k++) free(r->value[k]);
      free(r);
      s->rb[gi * H_MAXCE + e] = NULL;
    }
  }
  memset(s->bdig_set, 0, (size_t)H_MAXK * H_MAXCE);
  free(s->forge_buf);
  s->forge_buf = NULL;
}

/* Picks `count` honest nodes among n from base (stride 1) and gives them b
 * (B__COUNT: one of the list at random). */
static void h_pick_byz(h_sim_t *s, h_node_t *nodes, unsigned n, unsigned count, int b, const int *any,
                       unsigned any_n) {
  for (unsigned c = 0; c < count; c++) {
    unsigned i;
    do i = (unsigned)h_below(&s->rng, n);
    while (nodes[i].behaviour != B_HONEST);
    nodes[i].behaviour = b == BYZ_ALL ? any[h_below(&s->rng, any_n)] : b;
    if (nodes[i].behaviour == B_CRASH) {
      nodes[i].crash_at = h_below(&s->rng, 30000);
      nodes[i].restart_at = nodes[i].crash_at + 1 + h_below(&s->rng, 60000);
    }
  }
}

/* One run. Returns 0 when every check passed. */
static int h_run(h_sim_t *s, uint64_t seed) {
  h_sim_t keep = *s; /* options and persistent buffers */
  memset(s, 0, sizeof *s);
  s->K = keep.K;
  s->C = keep.C;
  s->G = keep.G;
  s->epochs = keep.epochs;
  s->n_tx = keep.n_tx;
  s->sample = keep.sample;
  s->forge = keep.forge;
  s->silent_cluster = keep.silent_cluster;
  s->verbose = keep.verbose;
  s->byz_star = keep.byz_star;
  s->byz_galaxy = keep.byz_galaxy;
  s->q = keep.q;
  s->bh = keep.bh;
  s->rb = keep.rb;
  s->bdig = keep.bdig;
  s->bdig_set = keep.bdig_set;
  s->seed = seed;
  s->rng = seed * 0x9e3779b97f4a7c15ull ^ ((uint64_t)s->K << 56) ^ ((uint64_t)s->C << 48) ^
           ((uint64_t)s->G << 40) ^ ((uint64_t)(s->byz_star + 1) << 32) ^ ((uint64_t)(s->byz_galaxy + 1) << 24) ^
           ((uint64_t)s->forge << 20) ^ ((uint64_t)s->silent_cluster << 19);
  if (++h_memo_gen == 0) {
    memset(h_memo, 0, sizeof h_memo);
    h_memo_gen = 1;
  }
  s->n_stars = s->K * s->C;
  s->n_nodes = s->n_stars + s->G;
  s->fc = (s->C - 1) / 3;
  s->fg = (s->G - 1) / 3;
  uint8_t gseed[24] = "gx_hsim genesis";
  gx_st64(gseed + 16, seed);
  gx_hash(&s->genesis, GX_DOM_CONSENSUS, gseed, sizeof gseed);
  s->supply = (uint64_t)H_NACC * H_FUND;
  /* network character of this run */
  s->drop_ppm = h_below(&s->rng, 4) == 0 ? 0 : (unsigned)h_below(&s->rng, 150000);
  s->dup_ppm = (unsigned)h_below(&s->rng, 50000);
  s->delay_max = 1 + (unsigned)h_below(&s->rng, 200);
  if (h_chance(&s->rng, 400000)) {
    s->part_from = h_below(&s->rng, 30000);
    s->part_to = s->part_from + 1 + h_below(&s->rng, 20000);
    for (unsigned i = 0; i < s->n_nodes; i++) s->part_side[i] = (uint8_t)h_below(&s->rng, 2);
  }
  /* nodes and behaviours */
  for (unsigned i = 0; i < s->n_nodes; i++) {
    h_node_t *nd = &s->node[i];
    nd->s = s;
    nd->id = i;
    nd->is_galaxy = i >= s->n_stars;
    nd->group = nd->is_galaxy ? 0 : i / s->C;
    nd->member = nd->is_galaxy ? i - s->n_stars : i % s->C;
    nd->behaviour = B_HONEST;
    nd->wake = 0;
  }
  static const int star_any[] = {B_SILENT, B_CRASH, B_EQUIV, B_BADSIG};
  static const int gal_any[] = {B_SILENT, B_JUNK};
  for (unsigned k = 0; k < s->K; k++) {
    h_node_t *c = h_star(s, k, 0);
    if (s->silent_cluster && k == 0) {
      for (unsigned i = 0; i < s->C; i++) c[i].behaviour = B_SILENT;
    } else if (s->forge && k == s->K - 1) {
      s->forge_k = k;
      for (unsigned f = 0; f < 2 * s->fc + 1; f++) {
        unsigned i;
        do i = (unsigned)h_below(&s->rng, s->C);
        while (c[i].behaviour != B_HONEST);
        c[i].behaviour = B_FORGER;
        s->forger_mask |= 1ull << i;
      }
    } else if (s->byz_star != B_HONEST) {
      h_pick_byz(s, c, s->C, s->fc, s->byz_star, star_any, 4);
    }
  }
  if (s->byz_galaxy != B_HONEST) h_pick_byz(s, h_gal(s, 0), s->G, s->fg, s->byz_galaxy, gal_any, 2);
  s->forge_epoch = h_below(&s->rng, 3);
  s->ds_at = h_below(&s->rng, 20000);
  /* committees, memberships, genesis */
  for (unsigned k = 0; k < s->K; k++) {
    if (h_committee(s, k, s->C, h_star_kp[k])) return h_failf(s, "cluster %u committee refused", k), 1;
    s->fcl[k].n = s->C;
    for (unsigned i = 0; i < s->C; i++) s->fcl[k].members[i] = h_star_kp[k][i].pk;
  }
  if (h_committee(s, s->K, s->G, h_gal_kp)) return h_failf(s, "galaxy committee refused"), 1;
  for (unsigned a = 0; a < H_NACC; a++) s->acc[a].balance = H_FUND;
  h_make_bad_tx(s, s->bad_tx, H_BAD_A, H_BAD_B, 1);
  h_make_bad_tx(s, s->forge_tx, H_FORGE_V, H_FORGE_T, 2);
  gx_xfer_id(&s->forge_txid, s->forge_tx);
  s->bh[0].set = 1;
  s->bh[0].id = s->genesis;
  for (unsigned i = 0; i < s->n_nodes; i++)
    if (h_node_start(s, &s->node[i])) return h_failf(s, "node %u: start failed", i), 1;

  const uint64_t max_steps = 3000000;
  char why[200];
  while (!s->fail[0]) {
    s->now++;
    if (s->now > max_steps) {
      const char *p = h_pending(s, why, sizeof why);
      h_failf(s, "liveness: %s after %" PRIu64 " steps", p ? p : "?", max_steps);
      break;
    }
    for (unsigned i = 0; i < s->n_stars; i++) { /* crash / restart (state kept) */
      h_node_t *nd = &s->node[i];
      if (nd->behaviour != B_CRASH) continue;
      if (!nd->crashed && s->now == nd->crash_at) {
        nd->crashed = 1;
        h_trace(s, "star %u CRASH", i);
      } else if (nd->crashed && s->now == nd->restart_at) {
        nd->crashed = 0;
        nd->wake = s->now;
        h_trace(s, "star %u RESTART", i);
      }
    }
    if (s->now >= s->client_next) {
      h_client(s);
      s->client_next = s->now + H_CLIENT_EVERY;
    }
    for (unsigned i = 0; i < s->n_nodes && !s->fail[0]; i++)
      if (s->node[i].wake <= s->now) {
        s->node[i].wake = UINT64_MAX;
        h_poll(s, &s->node[i]);
      }
    if (h_chance(&s->rng, 500)) h_tick(s, &s->node[h_below(&s->rng, s->n_nodes)]);
    if ((s->now & 255) == 0 && !h_pending(s, why, sizeof why)) break;
    h_msg_t *m = NULL;
    size_t at = 0;
    for (int tries = 0; tries < 8 && s->qn; tries++) {
      at = h_below(&s->rng, s->qn);
      if (s->q[at]->ready_at <= s->now) {
        m = s->q[at];
        break;
      }
    }
    if (!m) {
      int any_ready = 0;
      for (size_t k = 0; k < s->qn && !any_ready; k++) any_ready = s->q[k]->ready_at <= s->now;
      if (any_ready) continue;
      if (!h_pending(s, why, sizeof why)) break;
      uint64_t next = s->client_next;
      for (size_t k = 0; k < s->qn; k++)
        if (s->q[k]->ready_at < next) next = s->q[k]->ready_at;
      for (unsigned i = 0; i < s->n_nodes; i++)
        if (s->node[i].wake < next) next = s->node[i].wake;
      if (s->qn == 0 || h_chance(&s->rng, 20000)) { /* an idle network: catch up, re-send */
        h_sync(s);
        for (unsigned i = 0; i < s->n_nodes; i++) h_tick(s, &s->node[i]);
      }
      if (next > s->now + 1) s->now = next - 1;
      continue;
    }
    int dup = h_chance(&s->rng, s->dup_ppm);
    if (!dup) s->q[at] = s->q[--s->qn];
    h_node_t *dn = &s->node[m->dst];
    if (h_chance(&s->rng, s->drop_ppm) || h_cut(s, m) || h_down(dn)) {
      s->drops++;
    } else {
      if (dup) s->dups++;
      if (m->kind == M_BLOCK || m->kind == M_FETCH || m->kind == M_FETCHED)
        h_trace(s, "%u->%u %s (%u bytes)", m->src, m->dst, m_names[m->kind], m->len);
      switch (m->kind) {
      case M_CACS:
      case M_GACS:
        gx_epoch_on_message(dn->ep, s->node[m->src].member, m->data, m->len);
        break;
      case M_SIG:
        if (!dn->is_galaxy) h_star_on_sig(s, dn, m);
        break;
      case M_BLOCK:
        if (dn->is_galaxy) h_gal_receive(s, dn, m->data, m->len);
        break;
      case M_FETCH:
        if (dn->is_galaxy) h_gal_on_fetch(s, dn, m);
        break;
      case M_FETCHED:
        if (dn->is_galaxy) h_gal_on_fetched(s, dn, m);
        break;
      case M_NOTICE:
        if (!dn->is_galaxy) h_star_on_notice(s, dn, m);
        break;
      case M_SUBMIT:
        if (!dn->is_galaxy) h_star_on_submit(s, dn, m);
        break;
      default:
        break;
      }
    }
    if (!dup) free(m);
    else m->ready_at = s->now + h_below(&s->rng, s->delay_max + 1);
  }
  if (!s->fail[0]) h_final_checks(s);
  return s->fail[0] ? 1 : 0;
}

static const char *h_byz_name(int b) { return b == BYZ_ALL ? "all" : b == B_HONEST ? "none" : b_names[b]; }

static void h_args(const h_sim_t *s, char *out, size_t cap) {
  snprintf(out, cap, "--clusters %u --cluster-size %u --galaxies %u --byz-star %s --byz-galaxy %s%s%s --sample %u --epochs %u --txs %u",
           s->K, s->C, s->G, h_byz_name(s->byz_star), h_byz_name(s->byz_galaxy), s->forge ? " --forge" : "",
           s->silent_cluster ? " --silent-cluster" : "", s->sample, s->epochs, s->n_tx);
}

static void h_print_run(const h_sim_t *s, unsigned last) {
  char args[300];
  h_args(s, args, sizeof args);
  printf("%s seed=%" PRIu64 " %s: %s\n", s->fail[0] ? "FAIL" : "RUN", s->seed, args,
         s->fail[0] ? s->fail : "passed");
  printf("  stars:");
  for (unsigned i = 0; i < s->n_stars; i++) {
    const h_node_t *nd = &s->node[i];
    printf(" %u.%u=%s(h%" PRIu64 ",bh%" PRIu64 ")", nd->group, nd->member, b_names[nd->behaviour], nd->chain_h,
           nd->known_bh);
  }
  printf("\n  galaxies:");
  for (unsigned g = 0; g < s->G; g++) {
    const h_node_t *nd = &s->node[s->n_stars + g];
    printf(" %u=%s(height %" PRIu64 ", %u waiting)", g, b_names[nd->behaviour],
           nd->ledger ? gx_ledger_height(nd->ledger) : 0, nd->q_n);
  }
  printf("\n  network: drop %u ppm, dup %u ppm, delay <= %u, partition [%" PRIu64 ", %" PRIu64 ")\n",
         s->drop_ppm, s->dup_ppm, s->delay_max, s->part_from, s->part_to);
  printf("  last events:\n");
  unsigned keep = s->tn < H_TRACE ? s->tn : H_TRACE, from = s->tn - (last < keep ? last : keep);
  for (unsigned k = from; k < s->tn; k++) printf("    %s\n", s->trace[k % H_TRACE]);
  printf("  replay: gx_hsim --seeds %" PRIu64 " %s\n", s->seed, args);
}

static int h_parse_range(const char *a, uint64_t *lo, uint64_t *hi) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", a);
  char *dots = strstr(buf, "..");
  if (dots) {
    *dots = 0;
    return gx_parse_u64(buf, lo) || gx_parse_u64(dots + 2, hi) || *hi < *lo ? -1 : 0;
  }
  if (gx_parse_u64(buf, lo)) return -1;
  *hi = *lo;
  return 0;
}

static int h_parse_num(const char *opt, const char *v, uint64_t min, uint64_t max, unsigned *out) {
  uint64_t x;
  if (!v || gx_parse_u64(v, &x) || x < min || x > max)
    return gx_cli_fail(GX_EXIT_USAGE, "bad %s '%s' (%" PRIu64 "..%" PRIu64 ")", opt, v ? v : "", min, max);
  *out = (unsigned)x;
  return 0;
}

static int h_usage(void) {
  fprintf(stderr,
          "usage: gx_hsim [--seeds A..B] [--clusters K] [--cluster-size C] [--galaxies G]\n"
          "               [--byz-star none|silent|crash|equiv|badsig|all] [--byz-galaxy none|silent|junk|all]\n"
          "               [--forge] [--silent-cluster] [--sample S] [--epochs E] [--txs N] [-v | -vv]\n");
  return GX_EXIT_USAGE;
}

int main(int argc, char **argv) {
  gx_cli_set_prog("gx_hsim");
  if (sodium_init() < 0) return gx_cli_fail(GX_EXIT_FAIL, "libsodium failed to initialise");
  static h_sim_t sim;
  h_sim_t *s = &sim;
  uint64_t lo = 1, hi = 20;
  s->K = 2;
  s->C = 4;
  s->G = 4;
  s->epochs = 4;
  s->n_tx = 16;
  s->sample = 4096;
  s->byz_star = B_HONEST;
  s->byz_galaxy = B_HONEST;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (!strcmp(a, "--seeds") && v) {
      if (h_parse_range(v, &lo, &hi)) return gx_cli_fail(GX_EXIT_USAGE, "bad --seeds '%s' (A..B)", v);
      i++;
    } else if (!strcmp(a, "--clusters")) {
      rc = h_parse_num(a, v, 1, H_MAXK, &s->K);
      i++;
    } else if (!strcmp(a, "--cluster-size")) {
      rc = h_parse_num(a, v, GX_LSH_MIN_MEMBERS, H_MAXC, &s->C);
      i++;
    } else if (!strcmp(a, "--galaxies")) {
      rc = h_parse_num(a, v, 4, H_MAXG, &s->G);
      i++;
    } else if (!strcmp(a, "--epochs")) {
      rc = h_parse_num(a, v, 1, 1000, &s->epochs);
      i++;
    } else if (!strcmp(a, "--txs")) {
      rc = h_parse_num(a, v, 1, H_MAXTX - 2 * H_NDS, &s->n_tx);
      i++;
    } else if (!strcmp(a, "--sample")) {
      rc = h_parse_num(a, v, 0, 65536, &s->sample);
      i++;
    } else if (!strcmp(a, "--byz-star") && v) {
      s->byz_star = -1;
      if (!strcmp(v, "none")) s->byz_star = B_HONEST;
      else if (!strcmp(v, "all")) s->byz_star = BYZ_ALL;
      for (int b = B_SILENT; b <= B_BADSIG; b++)
        if (!strcmp(v, b_names[b])) s->byz_star = b;
      if (s->byz_star < 0) return gx_cli_fail(GX_EXIT_USAGE, "bad --byz-star '%s'", v);
      i++;
    } else if (!strcmp(a, "--byz-galaxy") && v) {
      s->byz_galaxy = !strcmp(v, "none") ? B_HONEST : !strcmp(v, "silent") ? B_SILENT
                    : !strcmp(v, "junk") ? B_JUNK : !strcmp(v, "all") ? BYZ_ALL : -1;
      if (s->byz_galaxy < 0) return gx_cli_fail(GX_EXIT_USAGE, "bad --byz-galaxy '%s'", v);
      i++;
    } else if (!strcmp(a, "--forge")) {
      s->forge = 1;
    } else if (!strcmp(a, "--silent-cluster")) {
      s->silent_cluster = 1;
    } else if (!strcmp(a, "-v")) {
      s->verbose = 1;
    } else if (!strcmp(a, "-vv")) {
      s->verbose = 2;
    } else {
      return h_usage();
    }
    if (rc) return rc;
  }
  if (s->K * s->C > H_MAXSTARS)
    return gx_cli_fail(GX_EXIT_USAGE, "--clusters x --cluster-size is at most %d stars", H_MAXSTARS);
  if ((s->forge || s->silent_cluster) && s->K < 2)
    return gx_cli_fail(GX_EXIT_USAGE, "--forge and --silent-cluster need --clusters 2 or more");
  if (s->forge && s->silent_cluster && s->K < 3)
    return gx_cli_fail(GX_EXIT_USAGE, "--forge with --silent-cluster needs --clusters 3 or more");
  s->q = calloc(H_QMAX, sizeof *s->q);
  s->bh = calloc(H_MAXBH, sizeof *s->bh);
  s->rb = calloc((size_t)(H_MAXK + 1) * H_MAXCE, sizeof *s->rb);
  s->bdig = calloc((size_t)H_MAXK * H_MAXCE, sizeof *s->bdig);
  s->bdig_set = calloc((size_t)H_MAXK * H_MAXCE, 1);
  if (!s->q || !s->bh || !s->rb || !s->bdig || !s->bdig_set) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  h_keys_init();
  uint64_t runs = 0, failed = 0, msgs = 0, bytes = 0, steps = 0, bhs = 0, folded = 0, rejected = 0,
           rewinds = 0, badsig = 0, evidence = 0, fetches = 0, fetch_bad = 0, junk_refs = 0, ds_proofs = 0,
           syncs = 0, forge_rej = 0, forge_fold = 0, wrong = 0, two = 0, drops = 0, pool_drops = 0,
           dead_refused = 0, pool_res[GX_LSHPOOL_RES__COUNT] = {0};
  for (uint64_t seed = lo; seed <= hi; seed++) {
    int rc = h_run(s, seed);
    runs++;
    msgs += s->msgs;
    bytes += s->bytes;
    steps += s->now;
    bhs += s->bh_top;
    folded += s->folded_blocks;
    rejected += s->rejected_blocks;
    rewinds += s->rewinds;
    badsig += s->badsig_faults;
    evidence += s->evidence;
    fetches += s->fetches;
    fetch_bad += s->fetch_bad;
    junk_refs += s->junk_refs;
    ds_proofs += s->ds_proofs;
    syncs += s->syncs;
    forge_rej += s->forge_rejected_at != 0;
    forge_fold += s->forge_folded_at != 0;
    wrong += s->wrong_routed;
    two += s->two_routed;
    drops += s->drops;
    pool_drops += s->pool_drops;
    dead_refused += s->dead_refused;
    for (int r = 0; r < GX_LSHPOOL_RES__COUNT; r++) pool_res[r] += s->pool_res[r];
    if (rc) {
      failed++;
      h_print_run(s, H_TRACE_FAIL);
    } else if (s->verbose > 1) {
      h_print_run(s, H_TRACE);
    } else if (s->verbose) {
      printf("seed=%" PRIu64 " ok steps=%" PRIu64 " msgs=%" PRIu64 " drops=%" PRIu64 " bh=%" PRIu64 " lsh=", seed,
             s->now, s->msgs, s->drops, s->bh_top);
      for (unsigned k = 0; k < s->K; k++)
        printf("%s%" PRIu64 "/%" PRIu64, k ? "," : "", s->bh[s->bh_top].cs[k].height,
               s->bh[s->bh_top].cs[k].rejected);
      printf(" lat=%" PRIu64 "/%" PRIu64, s->lat_n ? s->lat_sum / s->lat_n : 0, s->lat_max);
      printf(" folded=%" PRIu64 " rejected=%" PRIu64 " rewinds=%" PRIu64 " fetches=%" PRIu64 " syncs=%" PRIu64 "\n",
             s->folded_blocks, s->rejected_blocks, s->rewinds, s->fetches, s->syncs);
    }
    h_free(s);
    if (seed == UINT64_MAX) break;
  }
  printf("gx_hsim: %" PRIu64 " runs, %" PRIu64 " failed, %" PRIu64 " black holes, %" PRIu64
         " LSH blocks folded, %" PRIu64 " rejected, %" PRIu64 " rewinds, %" PRIu64 " msgs, %" PRIu64
         " bytes, %" PRIu64 " dropped, %" PRIu64 " steps\n",
         runs, failed, bhs, folded, rejected, rewinds, msgs, bytes, drops, steps);
  printf("gx_hsim: %" PRIu64 " bad_signature faults recorded, %" PRIu64 " forged blocks rejected (%" PRIu64
         " folded), %" PRIu64 " evidence records, %" PRIu64 " equivocation proofs, %" PRIu64
         " fetches (%" PRIu64 " bad answers), %" PRIu64 " refs below f+1 left out, %" PRIu64
         " block syncs, %" PRIu64 " transfers sent to a wrong cluster, %" PRIu64 " to two\n",
         badsig, forge_rej, forge_fold, evidence, ds_proofs, fetches, fetch_bad, junk_refs, syncs, wrong, two);
  printf("gx_hsim: galaxies' block pools: %" PRIu64 " added, %" PRIu64 " held already, %" PRIu64
         " refused by gx_fold_check, %" PRIu64 " full; %" PRIu64 " rebuilt without a rejected block, %" PRIu64
         " rejected blocks refused again\n",
         pool_res[GX_LSHPOOL_ADDED], pool_res[GX_LSHPOOL_HELD], pool_res[GX_LSHPOOL_REJECTED],
         pool_res[GX_LSHPOOL_FULL], pool_drops, dead_refused);
  free(s->q);
  free(s->bh);
  free(s->rb);
  free(s->bdig);
  free(s->bdig_set);
  return failed ? GX_EXIT_FAIL : GX_EXIT_OK;
}
