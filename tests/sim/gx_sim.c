/* gx_sim: deterministic simulator of N consensus nodes in one process.
 *
 * Every node runs consensus through validator/gx_epoch.h, the committee
 * engine galaxyd's commit stage drives (gx_epoch_new, gx_epoch_join with a
 * gx_committee_t of the sim's N nodes, the engine's calls, gx_epoch_due /
 * gx_epoch_join at committee boundaries): the simulator and the real network
 * run the same code.
 *
 * One seed gives one exact run: a splitmix64 PRNG drives the network adversary
 * (delay, reorder, duplicate, drop with re-send on tick, partition and heal),
 * the Byzantine nodes and the proposals. Every message travels as bytes and is
 * decoded by the receiving node (the wire codec runs on every delivery).
 * Each run checks agreement (honest nodes output identical batches and BA
 * decisions), validity (>= N-f proposals; honest proposers' values exact;
 * Byzantine entries were really broadcast by that node), totality (every
 * honest node outputs every epoch) and that no honest node decides twice.
 * A failure prints the seed and the last events.
 *
 * --reconfig E: from epoch E on the committee is a seeded permutation of the
 * same nodes (member index != node index) with fresh coin keys
 * (gx_committee_test_deal). Every node learns the change (gx_members_change)
 * before the run and switches as the commit stage does: after handling a
 * delivery, tick or block sync, outside the engine's callbacks,
 * gx_epoch_due + gx_epoch_join. Engines address members, the network nodes:
 * every message carries the committee generation it was sent under (0 the
 * genesis committee, 1 the one from E); a receiver hands it to its running
 * engine, to the kept previous one (gx_epoch_on_prev_message), or drops it.
 * Extra checks: every honest node switches exactly once, at epoch E, to the
 * permutation's member index.
 *
 * BA decisions reach the double-decision and BA agreement checks through
 * gx_epoch's decide callback (the running engine's).
 *
 *   gx_sim --seeds 1..500 --n 4,7,10 --byz all [--epochs 2] [--sched random|ba-attack]
 *          [--max-prop BYTES] [--reconfig E] [--unsafe-skip-conf] [--expect-stall] [-v]
 *
 * Exit: 0 every run passed, 1 a check failed, 2 bad usage. */
#include "apps/gx_cli.h"
#include "consensus/gx_acs.h"
#include "core/gx_hash.h"
#include "core/gx_key.h"
#include "core/gx_util.h"
#include "validator/gx_committee.h"
#include "validator/gx_epoch.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ---- */
static uint64_t sim_mix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint64_t sim_below(uint64_t *s, uint64_t n) { return n ? sim_mix(s) % n : 0; }
static int sim_chance(uint64_t *s, unsigned per_million) {
  return sim_below(s, 1000000) < per_million;
}

/* ---- behaviours ---- */
enum {
  B_HONEST = 0, B_SILENT, B_CRASH, B_EQUIV, B_BADSTRIPE, B_BADCOIN, B_FLIP, B_REPLAY,
  B_GARBAGE, B_COUNT
};
static const char *const b_names[B_COUNT] = {"honest", "silent", "crash", "equiv", "badstripe",
                                              "badcoin", "flip", "replay", "garbage"};

#define SIM_MAXN 16
#define SIM_MAXE 4
#define SIM_TRACE 48
#define SIM_QMAX 200000
#define SIM_REPLAY 256

typedef struct {
  uint64_t ready_at;
  uint16_t src, dst, len;
  uint8_t gen;                     /* committee generation it was sent under */
  uint8_t data[];
} sim_msg_t;

typedef struct {
  int behaviour;
  gx_epoch_t *ep;                  /* the node's consensus engine (validator/gx_epoch.h) */
  gx_members_t members;            /* the membership this node knows */
  unsigned gen;                    /* generation of its running committee */
  unsigned switches;               /* committee changes it took (gx_epoch_join at a boundary) */
  int pend;                        /* a proposal held for the next committee's engine */
  uint64_t pend_epoch;
  int crashed;
  uint64_t crash_at, restart_at;
  uint64_t delivered;              /* epochs output */
  gx_hash_t digest[SIM_MAXE];
  int8_t decided[SIM_MAXE][SIM_MAXN];
  uint8_t *replay[SIM_REPLAY];
  uint16_t replay_len[SIM_REPLAY];
  unsigned replay_n;
  unsigned incarnation;
} sim_node_t;

typedef struct {
  /* options */
  unsigned n, f, epochs, max_prop, reconfig;
  int sched_attack, skip_conf, verbose;
  /* run */
  uint64_t seed, rng, now;
  sim_node_t node[SIM_MAXN];
  gx_coin_pub_t pub;
  gx_coin_secret_t sec[SIM_MAXN];
  /* committees: generation 0 from epoch 0 (member i = node i, coin keys pub/sec),
   * generation 1 from epoch reconfig (a permutation, coin keys pub1/sec1 by member) */
  gx_committee_t com[2];
  uint8_t m2n[2][SIM_MAXN], n2m[2][SIM_MAXN];
  gx_coin_pub_t pub1;
  gx_coin_secret_t sec1[SIM_MAXN];
  uint64_t gen_drops;              /* messages of a committee the receiver does not run */
  uint64_t prev_msgs;              /* messages handed to a kept previous engine */
  uint64_t sync_switches;          /* switches taken right after a block sync */
  unsigned switched_ok;            /* honest nodes that switched once, to the right index */
  sim_msg_t **q;
  size_t qn;
  unsigned drop_ppm, dup_ppm, delay_max;
  uint64_t part_from, part_to, part_mask;
  int victim, target;
  /* validity: hashes of what each proposer broadcast, per epoch */
  gx_hash_t bcast[SIM_MAXE][SIM_MAXN][8];
  unsigned nbcast[SIM_MAXE][SIM_MAXN];
  /* agreement references */
  int have_ref[SIM_MAXE];
  gx_hash_t ref[SIM_MAXE];
  uint64_t synced;                 /* epochs a laggard took by block sync */
  int8_t ref_dec[SIM_MAXE][SIM_MAXN];
  /* adversary's knowledge of threshold coins: (epoch, instance, round) -> -1/0/1 */
  int8_t coin_known[SIM_MAXE][SIM_MAXN][64];
  /* counters */
  uint64_t msgs, bytes, drops, dups, ticks, stalls;
  char fail[256];
  char trace[SIM_TRACE][120];
  unsigned tn;
  /* current sender, for the sink */
  unsigned cur;
} sim_t;

static void sim_trace(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sim_trace(sim_t *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->trace[s->tn % SIM_TRACE], sizeof s->trace[0], fmt, ap);
  va_end(ap);
  s->tn++;
}

static void sim_failf(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sim_failf(sim_t *s, const char *fmt, ...) {
  if (s->fail[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->fail, sizeof s->fail, fmt, ap);
  va_end(ap);
}

static int sim_is_honest(const sim_t *s, unsigned i) { return s->node[i].behaviour == B_HONEST; }

/* ---- proposals ---- */
static uint32_t sim_value(sim_t *s, uint8_t *buf, uint64_t epoch, unsigned node, unsigned variant) {
  uint64_t r = s->seed ^ (epoch << 40) ^ ((uint64_t)node << 20) ^ ((uint64_t)variant << 8) ^ 0x5eed;
  uint32_t len = (uint32_t)sim_below(&r, s->max_prop + 1ull);
  if (sim_below(&r, 4) == 0) len = (uint32_t)sim_below(&r, 16); /* some tiny ones */
  for (uint32_t i = 0; i < len; i++) buf[i] = (uint8_t)sim_mix(&r);
  if (len >= 2) { buf[0] = (uint8_t)node; buf[1] = (uint8_t)epoch; }
  return len;
}

static void sim_record(sim_t *s, uint64_t epoch, unsigned node, const uint8_t *v, uint32_t len) {
  if (epoch >= SIM_MAXE) return;
  unsigned *k = &s->nbcast[epoch][node];
  if (*k < 8) gx_hash(&s->bcast[epoch][node][(*k)++], GX_DOM_CONSENSUS, v, len);
}

/* ---- network ---- */
static void sim_enqueue(sim_t *s, unsigned gen, unsigned src, unsigned dst, const uint8_t *msg,
                        size_t len) {
  if (s->qn >= SIM_QMAX) { s->drops++; return; }
  sim_msg_t *m = malloc(sizeof *m + len);
  if (!m) { s->drops++; return; }
  m->src = (uint16_t)src;
  m->dst = (uint16_t)dst;
  m->len = (uint16_t)len;
  m->gen = (uint8_t)gen;
  memcpy(m->data, msg, len);
  uint64_t d = sim_below(&s->rng, s->delay_max + 1);
  if (sim_chance(&s->rng, 20000)) d += sim_below(&s->rng, 20 * s->delay_max + 1); /* long delay */
  m->ready_at = s->now + d;
  s->q[s->qn++] = m;
  s->msgs++;
  s->bytes += len;
}

static void sim_replay_store(sim_node_t *nd, const uint8_t *msg, size_t len) {
  unsigned k = nd->replay_n++ % SIM_REPLAY;
  free(nd->replay[k]);
  nd->replay[k] = malloc(len);
  if (!nd->replay[k]) return;
  memcpy(nd->replay[k], msg, len);
  nd->replay_len[k] = (uint16_t)len;
}

/* Byzantine rewriting of one outgoing copy; returns the length to send (0: none). */
static size_t sim_byz_rewrite(sim_t *s, unsigned src, unsigned dst, uint8_t *buf, size_t len) {
  sim_node_t *nd = &s->node[src];
  int type = len > 1 ? buf[1] : 0;
  switch (nd->behaviour) {
  case B_BADSTRIPE:
    if ((type == GX_CMSG_RBC_VAL || type == GX_CMSG_RBC_ECHO) && sim_chance(&s->rng, 500000)) {
      size_t at = GX_CMSG_HDR + 44 + sim_below(&s->rng, len - GX_CMSG_HDR - 44);
      buf[at] ^= (uint8_t)(1u << sim_below(&s->rng, 8));
    }
    break;
  case B_BADCOIN:
    if (type == GX_CMSG_COIN) buf[GX_CMSG_HDR + 2 + sim_below(&s->rng, 96)] ^= 0x20;
    break;
  case B_FLIP:
    if (type >= GX_CMSG_BA_BVAL && type <= GX_CMSG_BA_TERM && ((dst + s->seed) & 1)) {
      uint8_t *v = &buf[GX_CMSG_HDR + 2];
      *v = type == GX_CMSG_BA_CONF ? (uint8_t)(*v == 3 ? 3 : 3 - *v) : (uint8_t)(*v ^ 1);
    }
    break;
  case B_GARBAGE:
    if (sim_chance(&s->rng, 300000)) {
      if (sim_chance(&s->rng, 500000)) { /* random bytes */
        len = 1 + sim_below(&s->rng, GX_CMSG_MAX);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)sim_mix(&s->rng);
      } else { /* valid header, mutated body or length */
        for (int k = 0; k < 3; k++) { /* the byte, then where (the order gcc and clang gave it) */
          uint8_t x = (uint8_t)sim_mix(&s->rng);
          buf[2 + sim_below(&s->rng, len - 2)] = x;
        }
        if (sim_chance(&s->rng, 300000)) len = sim_below(&s->rng, len + 1);
      }
    }
    break;
  default:
    break;
  }
  return len;
}

static void sim_coin_learn(sim_t *s, const uint8_t *msg, size_t len);

/* gx_epoch's send: dest is a member index (or GX_CMSG_ALL) of the sender's
 * running committee (committee 0) or of the one before it (committee 1, the
 * engine kept for laggards); the network carries it to that member's node,
 * tagged with the committee's generation. */
static void sim_send(void *ctx, int committee, int dest, const uint8_t *msg, size_t len) {
  sim_t *s = ctx;
  unsigned src = s->cur;
  sim_node_t *nd = &s->node[src];
  if (nd->crashed || nd->behaviour == B_SILENT) return;
  if (committee < 0 || (unsigned)committee > nd->gen) return;
  unsigned gen = nd->gen - (unsigned)committee;
  const gx_committee_t *c = &s->com[gen];
  unsigned self = s->n2m[gen][src];
  if (sim_is_honest(s, src)) sim_coin_learn(s, msg, len);
  if (nd->behaviour == B_REPLAY) sim_replay_store(nd, msg, len);
  for (unsigned mi = 0; mi < c->n; mi++) {
    if (mi == self || (dest != GX_CMSG_ALL && (unsigned)dest != mi)) continue;
    unsigned d = s->m2n[gen][mi];
    uint8_t buf[GX_CMSG_MAX];
    memcpy(buf, msg, len);
    size_t l = len;
    if (!sim_is_honest(s, src)) l = sim_byz_rewrite(s, src, d, buf, len);
    if (l) sim_enqueue(s, gen, src, d, buf, l);
    if (nd->behaviour == B_REPLAY && nd->replay_n && sim_chance(&s->rng, 200000)) {
      unsigned k = (unsigned)sim_below(&s->rng, nd->replay_n < SIM_REPLAY ? nd->replay_n : SIM_REPLAY);
      if (nd->replay[k]) sim_enqueue(s, gen, src, d, nd->replay[k], nd->replay_len[k]);
    }
  }
  if (nd->behaviour == B_BADCOIN && sim_chance(&s->rng, 100000)) { /* invent a share */
    uint8_t b[GX_CMSG_MAX], junk[96];
    for (int i = 0; i < 96; i++) junk[i] = (uint8_t)sim_mix(&s->rng);
    uint64_t e = s->node[src].delivered;
    /* two draws, in a fixed order (as function arguments their order was the
     * compiler's: gcc's right-to-left is kept, so clang now gives the same runs) */
    uint16_t round = (uint16_t)(2 + 3 * sim_below(&s->rng, 3));
    uint16_t inst = (uint16_t)sim_below(&s->rng, s->n);
    size_t l = gx_cmsg_encode_coin(b, e, inst, round, junk, junk + 32, junk + 64);
    for (unsigned d = 0; d < s->n; d++)
      if (d != src) sim_enqueue(s, gen, src, d, b, l);
  }
}

/* ---- the adversary's view of the coin (for the ba-attack scheduler) ---- */
static int sim_coin_value(sim_t *s, uint64_t e, unsigned inst, unsigned r) {
  int fixed = gx_ba_fixed_coin((uint16_t)r);
  if (fixed >= 0) return fixed;
  if (e >= SIM_MAXE || inst >= SIM_MAXN || r >= 64) return -1;
  return s->coin_known[e][inst][r];
}

/* An honest share going out reveals the coin to an adversary holding f shares. */
static void sim_coin_learn(sim_t *s, const uint8_t *msg, size_t len) {
  gx_cmsg_t m;
  if (!s->sched_attack || gx_cmsg_decode(&m, msg, len) != GX_CMSG_OK || m.type != GX_CMSG_COIN)
    return;
  if (m.epoch >= SIM_MAXE || m.instance >= SIM_MAXN || m.u.coin.round >= 64) return;
  int8_t *k = &s->coin_known[m.epoch][m.instance][m.u.coin.round];
  if (*k >= 0) return;
  /* the keys of the committee that runs the epoch */
  const gx_coin_pub_t *pub = &s->pub;
  const gx_coin_secret_t *sec = s->sec;
  if (s->reconfig && m.epoch >= s->reconfig) {
    pub = &s->pub1;
    sec = s->sec1;
  }
  uint8_t h[32], pts[SIM_MAXN][32], out[32];
  uint16_t idx[SIM_MAXN];
  gx_coin_name(h, m.epoch, m.instance, m.u.coin.round);
  for (unsigned i = 0; i <= s->f; i++) {
    gx_coin_share_t sh;
    gx_coin_share_make(&sh, pub, &sec[i], h);
    memcpy(pts[i], sh.share, 32);
    idx[i] = (uint16_t)i;
  }
  int bit;
  if (gx_coin_combine(out, &bit, pub, idx, (const uint8_t(*)[32])pts, s->f + 1) == GX_COIN_OK)
    *k = (int8_t)bit;
}

/* ba-attack: may this message be delivered now? Messages to the victim that
 * carry the coin value are held until the coin is known and then held back
 * (the opposite value goes first), as in HoneyBadgerBFT issue #59. */
static int sim_attack_hold(sim_t *s, const sim_msg_t *m) {
  if (!s->sched_attack) return 0;
  gx_cmsg_t c;
  if (gx_cmsg_decode(&c, m->data, m->len) != GX_CMSG_OK) return 0;
  /* split the inputs: the target proposer's broadcast reaches the even nodes
   * late, so they input 0 to its BA (after N-f others decided 1) while the
   * odd ones input 1 */
  if (c.type <= GX_CMSG_RBC_READY && c.instance == s->target && m->dst % 2 == 0 &&
      s->now < m->ready_at + 3000)
    return 1;
  if ((int)m->dst != s->victim) return 0;
  if (c.type < GX_CMSG_BA_BVAL || c.type > GX_CMSG_BA_CONF) return 0;
  if (s->now > m->ready_at + 4000) return 0; /* eventual delivery */
  int coin = sim_coin_value(s, c.epoch, c.instance, c.u.vote.round);
  if (coin < 0) return 1;
  if (c.type == GX_CMSG_BA_CONF) return c.u.vote.value != (coin ? 1 : 2);
  return c.u.vote.value == coin;
}

static void sim_decide(void *ctx, uint64_t epoch, unsigned inst, int value);

/* ---- committees ---- */
/* Node identities: fixed ed25519 keys per node index (gx_key_derive). */
static gx_pubkey_t sim_ids[SIM_MAXN];

static void sim_ids_init(void) {
  for (unsigned i = 0; i < SIM_MAXN; i++) {
    gx_keypair_t kp;
    gx_key_derive(&kp, "gx_sim.node", 0, i);
    sim_ids[i] = kp.pk;
    gx_key_wipe(&kp);
  }
}

static void sim_member_set(gx_member_t *m, unsigned node, const uint8_t coin_vk[32]) {
  m->identity = sim_ids[node];
  snprintf(m->host, sizeof m->host, "sim");
  m->port = (uint16_t)node;
  if (coin_vk) memcpy(m->coin_vk, coin_vk, 32);
}

/* The genesis committee (member i = node i, the dealt coin keys pub/sec) and,
 * with --reconfig, the committee from epoch reconfig: a permutation of the
 * nodes drawn from the seed (its own PRNG, so the network's draws do not move)
 * with fresh coin keys from the test dealer. Every node learns both. */
static int sim_committees(sim_t *s, const uint8_t dseed[32]) {
  gx_committee_t *c0 = &s->com[0];
  memset(c0, 0, sizeof *c0);
  c0->n = (uint16_t)s->n;
  memcpy(c0->coin_group_vk, s->pub.group_vk, 32);
  for (unsigned i = 0; i < s->n; i++) {
    sim_member_set(&c0->m[i], i, s->pub.vk[i]);
    s->m2n[0][i] = s->n2m[0][i] = (uint8_t)i;
  }
  if (gx_committee_finish(c0) != GX_COMMITTEE_OK || c0->f != s->f) return -1;
  for (unsigned i = 0; i < s->n; i++) gx_members_init(&s->node[i].members, c0);
  if (!s->reconfig) return 0;
  gx_committee_t *c1 = &s->com[1];
  memset(c1, 0, sizeof *c1);
  c1->n = (uint16_t)s->n;
  c1->first_epoch = s->reconfig;
  unsigned perm[SIM_MAXN];
  for (unsigned k = 0; k < s->n; k++) perm[k] = k;
  uint64_t r = s->seed ^ 0x7265636f6e666967ull; /* "reconfig" */
  for (unsigned k = s->n; k-- > 1;) {
    unsigned j = (unsigned)sim_below(&r, k + 1), t = perm[k];
    perm[k] = perm[j];
    perm[j] = t;
  }
  for (unsigned k = 0; k < s->n; k++) {
    sim_member_set(&c1->m[k], perm[k], NULL);
    s->m2n[1][k] = (uint8_t)perm[k];
    s->n2m[1][perm[k]] = (uint8_t)k;
  }
  uint8_t seed1[32];
  memcpy(seed1, dseed, 32);
  seed1[9] = 'R';
  seed1[10] = (uint8_t)s->reconfig;
  if (gx_committee_test_deal(c1, s->sec1, seed1) != GX_COMMITTEE_OK || c1->f != s->f) return -1;
  gx_committee_coin_pub(c1, &s->pub1);
  for (unsigned i = 0; i < s->n; i++)
    if (gx_members_change(&s->node[i].members, c1, 0) != GX_COMMITTEE_OK) return -1;
  return 0;
}

/* The generation of a committee the sim made (-1: not one of them). */
static int sim_gen_of(const sim_t *s, const gx_committee_t *c) {
  for (int g = 0; g < 2; g++)
    if (s->com[g].n && gx_hash_eq(&s->com[g].id, &c->id)) return g;
  return -1;
}

/* The generation of the committee that runs epoch. */
static unsigned sim_epoch_gen(const sim_t *s, uint64_t epoch) {
  return s->reconfig && epoch >= s->reconfig ? 1 : 0;
}

/* Node i's coin share for committee c (the driver's share_for). */
static const gx_coin_secret_t *sim_share_for(const sim_t *s, unsigned i, const gx_committee_t *c) {
  int g = sim_gen_of(s, c);
  if (g == 0) return &s->sec[i];
  if (g == 1) return &s->sec1[s->n2m[1][i]];
  return NULL;
}

/* ---- nodes ---- */
static void sim_deliver(void *ctx, const gx_acs_batch_t *b);
static void sim_propose(sim_t *s, unsigned i, uint64_t epoch);

static int sim_node_start(sim_t *s, unsigned i) {
  sim_node_t *nd = &s->node[i];
  gx_epoch_delete(nd->ep);
  nd->ep = NULL;
  nd->gen = 0;
  nd->pend = 0;
  gx_epoch_cfg_t cfg = {
    .max_proposal = s->max_prop,
    .epoch_slots = 3, /* one finished epoch kept, the current one, one ahead */
    .epoch_keep = 1,
    .unsafe_ba_skip_conf = s->skip_conf,
  };
  gx_epoch_out_t out = {s, sim_send, sim_deliver, sim_decide};
  char err[200];
  nd->ep = gx_epoch_new(&cfg, &out, err, sizeof err);
  if (!nd->ep) return -1;
  const gx_committee_t *c = gx_members_at(&nd->members, 0);
  if (!c || sim_gen_of(s, c) != 0) return -1;
  unsigned prev = s->cur;
  s->cur = i;
  int rc = gx_epoch_join(nd->ep, c, &sim_ids[i], sim_share_for(s, i, c), 0, err, sizeof err);
  s->cur = prev;
  if (rc || !gx_epoch_acs(nd->ep)) return -1;
  nd->incarnation++;
  return 0;
}

/* What the honest nodes' engines counted (shows the adversaries bite). */
static struct {
  uint64_t rbc_bad, rbc_proof, rbc_conflict, decode, stale, future, share_bad, combines,
      verifies, max_round;
} sim_tot;

static void sim_tot_add(const gx_acs_stats_t *st) {
  sim_tot.rbc_bad += st->rbc_bad;
  sim_tot.rbc_proof += st->rbc[GX_RBC_DROP_PROOF];
  sim_tot.rbc_conflict += st->rbc[GX_RBC_DROP_CONFLICT];
  sim_tot.decode += st->drop[GX_ACS_DROP_DECODE];
  sim_tot.stale += st->drop[GX_ACS_DROP_STALE];
  sim_tot.future += st->drop[GX_ACS_DROP_FUTURE];
  sim_tot.share_bad += st->ba[GX_BA_DROP_SHARE];
  sim_tot.combines += st->coin_combines;
  sim_tot.verifies += st->coin_verifies;
  if (st->ba_max_round > sim_tot.max_round) sim_tot.max_round = st->ba_max_round;
}

/* The commit stage's switch, after node i handled a delivery, tick or block
 * sync (never inside the engine's callbacks): when its membership says the
 * next epoch belongs to another committee, gx_epoch_join runs it from there;
 * then the proposal held for that epoch goes to the new engine. */
static void sim_after(sim_t *s, unsigned i) {
  sim_node_t *nd = &s->node[i];
  if (!nd->ep) return;
  const gx_committee_t *due = gx_epoch_due(nd->ep, &nd->members);
  if (due) {
    int g = sim_gen_of(s, due);
    uint64_t next = gx_epoch_next(nd->ep);
    gx_acs_t *old = gx_epoch_acs(nd->ep);
    if (old) { /* keep the old engine's counters, as the driver does */
      const gx_acs_stats_t *st = gx_acs_stats(old);
      if (sim_is_honest(s, i)) sim_tot_add(st);
      s->stalls += st->ba_stalled;
    }
    char err[200];
    unsigned prev = s->cur;
    s->cur = i;
    int rc = gx_epoch_join(nd->ep, due, &sim_ids[i], sim_share_for(s, i, due), next, err, sizeof err);
    s->cur = prev;
    nd->switches++;
    sim_trace(s, "t=%" PRIu64 " node %u SWITCH to committee %d at epoch %" PRIu64 ": member %d", s->now,
              i, g, next, gx_epoch_member(nd->ep));
    if (rc || g < 0) {
      sim_failf(s, "node %u: committee switch at epoch %" PRIu64 " failed: %s", i, next,
                rc ? err : "unknown committee");
      return;
    }
    nd->gen = (unsigned)g;
    if (sim_is_honest(s, i)) {
      if (nd->switches != 1)
        sim_failf(s, "node %u switched committee %u times", i, nd->switches);
      if (next != s->reconfig || due->first_epoch != s->reconfig)
        sim_failf(s, "node %u switched at epoch %" PRIu64 ", the change is at %u", i, next, s->reconfig);
      if (gx_epoch_member(nd->ep) != s->n2m[1][i])
        sim_failf(s, "node %u: member index %d after the switch, the committee says %u", i,
                  gx_epoch_member(nd->ep), s->n2m[1][i]);
    }
  }
  if (nd->pend && !gx_epoch_due(nd->ep, &nd->members)) {
    nd->pend = 0;
    sim_propose(s, i, nd->pend_epoch);
  }
}

/* After output of epoch - 1: propose in epoch, unless another committee runs
 * it (the proposal waits for the switch in sim_after). */
static void sim_next(sim_t *s, unsigned i, uint64_t epoch) {
  sim_node_t *nd = &s->node[i];
  const gx_committee_t *c = gx_members_at(&nd->members, epoch);
  if (c && !gx_hash_eq(&c->id, &gx_epoch_committee(nd->ep)->id)) {
    nd->pend = 1;
    nd->pend_epoch = epoch;
    return;
  }
  sim_propose(s, i, epoch);
}

static void sim_propose(sim_t *s, unsigned i, uint64_t epoch) {
  sim_node_t *nd = &s->node[i];
  if (epoch >= s->epochs || nd->behaviour == B_SILENT || nd->crashed) return;
  uint8_t *v = malloc(s->max_prop + 1);
  if (!v) return;
  unsigned prev = s->cur;
  s->cur = i;
  /* the forged broadcasts address the members of the running committee */
  gx_acs_t *acs = gx_epoch_acs(nd->ep);
  unsigned cn = s->com[nd->gen].n, self = s->n2m[nd->gen][i];
  if (nd->behaviour == B_EQUIV && !acs) {
    /* not a member: nothing to forge */
  } else if (nd->behaviour == B_EQUIV && sim_below(&s->rng, 2)) {
    /* one value, one root, but a damaged stripe: an inconsistent codeword */
    uint32_t la = sim_value(s, v, epoch, i, 3);
    int bad = (int)sim_below(&s->rng, s->n);
    sim_trace(s, "node %u forges an inconsistent codeword (stripe %d) in epoch %" PRIu64, i, bad, epoch);
    for (unsigned d = 0; d < cn; d++)
      if (d != self) gx_acs_send_forged_val(acs, epoch, v, la, d, bad);
  } else if (nd->behaviour == B_EQUIV) {
    uint32_t la = sim_value(s, v, epoch, i, 1);
    sim_record(s, epoch, i, v, la);
    for (unsigned d = 0; d < cn; d++)
      if (d != self && d % 2 == 0) gx_acs_send_forged_val(acs, epoch, v, la, d, -1);
    uint32_t lb = sim_value(s, v, epoch, i, 2);
    sim_record(s, epoch, i, v, lb);
    for (unsigned d = 0; d < cn; d++)
      if (d != self && d % 2 == 1) gx_acs_send_forged_val(acs, epoch, v, lb, d, -1);
  } else {
    uint32_t len = sim_value(s, v, epoch, i, nd->incarnation * 7);
    sim_record(s, epoch, i, v, len);
    gx_acs_err_t e = gx_epoch_propose(nd->ep, epoch, v, len);
    if (e != GX_ACS_OK && sim_is_honest(s, i))
      sim_failf(s, "node %u: propose epoch %" PRIu64 ": %s", i, epoch, gx_acs_strerror(e));
  }
  s->cur = prev;
  free(v);
}

static void sim_deliver(void *ctx, const gx_acs_batch_t *b) {
  sim_t *s = ctx;
  unsigned i = s->cur;
  sim_node_t *nd = &s->node[i];
  sim_trace(s, "t=%" PRIu64 " node %u OUTPUT epoch %" PRIu64 " (%u proposals)", s->now, i, b->epoch,
            b->count);
  if (!sim_is_honest(s, i)) {
    nd->delivered = b->epoch + 1;
    sim_next(s, i, b->epoch + 1);
    return;
  }
  if (b->epoch != nd->delivered) {
    sim_failf(s, "node %u output epoch %" PRIu64 " but expected %" PRIu64 " (twice / out of order)",
              i, b->epoch, nd->delivered);
    return;
  }
  if (b->epoch >= s->epochs) return;
  if (b->count < s->n - s->f)
    sim_failf(s, "validity: node %u epoch %" PRIu64 " output %u < N-f proposals", i, b->epoch, b->count);
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, NULL, 0, 32);
  unsigned gen = sim_epoch_gen(s, b->epoch); /* proposers are members of the epoch's committee */
  for (unsigned k = 0; k < b->count; k++) {
    if (b->proposer[k] >= s->com[gen].n) {
      sim_failf(s, "validity: node %u epoch %" PRIu64 " output proposer %u of a %u-member committee", i,
                b->epoch, b->proposer[k], s->com[gen].n);
      return;
    }
    unsigned j = s->m2n[gen][b->proposer[k]];
    gx_hash_t h;
    gx_hash(&h, GX_DOM_CONSENSUS, b->value[k], b->len[k]);
    int found = 0;
    for (unsigned v = 0; v < s->nbcast[b->epoch][j]; v++)
      if (gx_hash_eq(&h, &s->bcast[b->epoch][j][v])) found = 1;
    if (!found)
      sim_failf(s, "validity: node %u epoch %" PRIu64 " output a value proposer %u (%s) never broadcast",
                i, b->epoch, j, b_names[s->node[j].behaviour]);
    uint8_t hdr[6];
    gx_st16(hdr, (uint16_t)j);
    gx_st32(hdr + 2, b->len[k]);
    crypto_generichash_blake2b_update(&st, hdr, sizeof hdr);
    crypto_generichash_blake2b_update(&st, h.b, 32);
  }
  crypto_generichash_blake2b_final(&st, nd->digest[b->epoch].b, 32);
  if (!s->have_ref[b->epoch]) {
    s->have_ref[b->epoch] = 1;
    s->ref[b->epoch] = nd->digest[b->epoch];
  } else if (!gx_hash_eq(&s->ref[b->epoch], &nd->digest[b->epoch])) {
    sim_failf(s, "agreement: node %u epoch %" PRIu64 " output differs from another honest node", i,
              b->epoch);
  }
  nd->delivered = b->epoch + 1;
  sim_next(s, i, b->epoch + 1);
}

static void sim_decide(void *ctx, uint64_t epoch, unsigned inst, int value) {
  sim_t *s = ctx;
  unsigned i = s->cur;
  sim_trace(s, "t=%" PRIu64 " node %u BA decide epoch %" PRIu64 " instance %u -> %d", s->now, i,
            epoch, inst, value);
  if (!sim_is_honest(s, i) || epoch >= SIM_MAXE) return;
  sim_node_t *nd = &s->node[i];
  if (nd->decided[epoch][inst] >= 0)
    sim_failf(s, "node %u decided BA (epoch %" PRIu64 ", instance %u) twice", i, epoch, inst);
  nd->decided[epoch][inst] = (int8_t)value;
  if (s->ref_dec[epoch][inst] < 0) s->ref_dec[epoch][inst] = (int8_t)value;
  else if (s->ref_dec[epoch][inst] != value)
    sim_failf(s, "agreement: BA (epoch %" PRIu64 ", instance %u) decided %d and %d", epoch, inst,
              s->ref_dec[epoch][inst], value);
}

static void sim_tick(sim_t *s, unsigned i) {
  sim_node_t *nd = &s->node[i];
  if (nd->crashed || nd->behaviour == B_SILENT || !nd->ep) return;
  s->cur = i;
  s->ticks++;
  gx_epoch_tick(nd->ep);
  sim_after(s, i);
}

/* Block sync: an honest node whose next epoch every honest peer has already
 * freed takes that epoch's agreed batch from them (the application's job in
 * a deployment; the simulator hands over the reference output) and skips. */
static void sim_sync(sim_t *s) {
  for (unsigned i = 0; i < s->n; i++) {
    sim_node_t *nd = &s->node[i];
    if (!sim_is_honest(s, i) || nd->delivered >= s->epochs || !s->have_ref[nd->delivered]) continue;
    int freed = 0;
    for (unsigned j = 0; j < s->n; j++) {
      uint64_t lo, hi;
      if (j == i || !sim_is_honest(s, j) || !gx_epoch_acs(s->node[j].ep)) continue;
      gx_acs_window(gx_epoch_acs(s->node[j].ep), &lo, &hi);
      if (lo > nd->delivered) freed = 1;
    }
    if (!freed) continue;
    uint64_t e = nd->delivered;
    s->cur = i;
    sim_trace(s, "t=%" PRIu64 " node %u BLOCK-SYNC epoch %" PRIu64 " (peers freed it)", s->now, i, e);
    nd->digest[e] = s->ref[e];
    nd->delivered = e + 1;
    s->synced++;
    if (!gx_epoch_acs(nd->ep) || gx_epoch_next(nd->ep) > e) { /* gx_acs_skip_to would refuse */
      sim_failf(s, "node %u: skip_to(%" PRIu64 ") refused", i, e + 1);
      return;
    }
    gx_epoch_skip_to(nd->ep, e + 1);
    unsigned sw = nd->switches;
    sim_after(s, i); /* skipping past the boundary switches committee too */
    if (nd->switches != sw) s->sync_switches++;
    if (nd->delivered == e + 1) sim_propose(s, i, e + 1); /* unless skip_to output e+1 too */
  }
}

static int sim_done(const sim_t *s) {
  for (unsigned i = 0; i < s->n; i++)
    if (sim_is_honest(s, i) && s->node[i].delivered < s->epochs) return 0;
  return 1;
}

static int sim_cut(const sim_t *s, const sim_msg_t *m) {
  if (s->now < s->part_from || s->now >= s->part_to) return 0;
  return ((s->part_mask >> m->src) & 1) != ((s->part_mask >> m->dst) & 1);
}

static void sim_free(sim_t *s) {
  for (unsigned i = 0; i < s->n; i++) {
    if (!sim_is_honest(s, i) || !s->node[i].ep || !gx_epoch_acs(s->node[i].ep)) continue;
    sim_tot_add(gx_acs_stats(gx_epoch_acs(s->node[i].ep)));
  }
  for (size_t k = 0; k < s->qn; k++) free(s->q[k]);
  s->qn = 0;
  for (unsigned i = 0; i < s->n; i++) {
    gx_epoch_delete(s->node[i].ep);
    s->node[i].ep = NULL;
    for (unsigned k = 0; k < SIM_REPLAY; k++) free(s->node[i].replay[k]);
  }
}

/* One run. Returns 0 when every check passed. */
static int sim_run(sim_t *s, uint64_t seed, unsigned n, int byz_mode, uint64_t *stats_out) {
  sim_msg_t **q = s->q;
  unsigned epochs = s->epochs, max_prop = s->max_prop, reconfig = s->reconfig;
  int attack = s->sched_attack, skip = s->skip_conf, verbose = s->verbose;
  memset(s, 0, sizeof *s);
  s->q = q;
  s->epochs = epochs;
  s->max_prop = max_prop;
  s->reconfig = reconfig;
  s->sched_attack = attack;
  s->skip_conf = skip;
  s->verbose = verbose;
  s->seed = seed;
  s->n = n;
  s->f = (n - 1) / 3;
  s->rng = seed * 0x9e3779b97f4a7c15ull ^ ((uint64_t)n << 56) ^ ((uint64_t)(byz_mode + 1) << 48);
  memset(s->ref_dec, -1, sizeof s->ref_dec);
  memset(s->coin_known, -1, sizeof s->coin_known);
  uint8_t dseed[32] = {0};
  gx_st64(dseed, seed);
  dseed[8] = (uint8_t)n;
  if (gx_coin_deal(&s->pub, s->sec, n, s->f, dseed) != GX_COIN_OK) {
    sim_failf(s, "coin deal failed");
    return 1;
  }
  if (sim_committees(s, dseed) != 0) {
    sim_failf(s, "committee set-up failed");
    return 1;
  }
  /* network character of this run */
  s->drop_ppm = (unsigned)sim_below(&s->rng, 4) == 0 ? 0 : (unsigned)sim_below(&s->rng, 150000);
  s->dup_ppm = (unsigned)sim_below(&s->rng, 50000);
  s->delay_max = 1 + (unsigned)sim_below(&s->rng, 200);
  if (sim_chance(&s->rng, 400000)) {
    s->part_from = sim_below(&s->rng, 3000);
    s->part_to = s->part_from + 1 + sim_below(&s->rng, 20000);
    s->part_mask = sim_mix(&s->rng) & ((1ull << n) - 1);
  }
  /* Byzantine nodes */
  for (unsigned i = 0; i < n; i++) {
    s->node[i].behaviour = B_HONEST;
    memset(s->node[i].decided, -1, sizeof s->node[i].decided);
  }
  for (unsigned k = 0; k < s->f; k++) {
    unsigned i;
    do i = (unsigned)sim_below(&s->rng, n);
    while (s->node[i].behaviour != B_HONEST);
    int b = byz_mode == B_COUNT ? 1 + (int)sim_below(&s->rng, B_COUNT - 1) : byz_mode;
    if (attack) b = B_FLIP;
    s->node[i].behaviour = b;
    if (b == B_CRASH) {
      s->node[i].crash_at = sim_below(&s->rng, 3000);
      s->node[i].restart_at = s->node[i].crash_at + 1 + sim_below(&s->rng, 8000);
    }
  }
  s->victim = -1;
  s->target = -1;
  if (attack) {
    do s->victim = (int)sim_below(&s->rng, n);
    while (!sim_is_honest(s, (unsigned)s->victim));
    s->target = (int)sim_below(&s->rng, n);
    s->drop_ppm = 0;
    s->part_to = 0;
  }
  for (unsigned i = 0; i < n; i++) {
    if (sim_node_start(s, i) != 0) { sim_failf(s, "node %u: start failed", i); return 1; }
  }
  for (unsigned i = 0; i < n; i++) sim_propose(s, i, 0);

  uint64_t max_steps = 400000ull * n;
  while (!s->fail[0] && !sim_done(s)) {
    s->now++;
    if (s->now > max_steps) {
      sim_failf(s, "totality: not every honest node output %u epochs after %" PRIu64 " steps", s->epochs,
                max_steps);
      break;
    }
    for (unsigned i = 0; i < n; i++) { /* crash / restart */
      sim_node_t *nd = &s->node[i];
      if (nd->behaviour != B_CRASH) continue;
      if (!nd->crashed && nd->incarnation == 1 && s->now == nd->crash_at) {
        nd->crashed = 1;
        sim_trace(s, "t=%" PRIu64 " node %u CRASH", s->now, i);
      } else if (nd->crashed && s->now == nd->restart_at) {
        nd->crashed = 0;
        nd->delivered = 0;
        if (sim_node_start(s, i) != 0) { sim_failf(s, "node %u: restart failed", i); break; }
        sim_trace(s, "t=%" PRIu64 " node %u RESTART (fresh state)", s->now, i);
        sim_propose(s, i, 0);
        sim_after(s, i);
      }
    }
    if (sim_chance(&s->rng, 200)) sim_tick(s, (unsigned)sim_below(&s->rng, n));
    /* pick a deliverable message */
    sim_msg_t *m = NULL;
    size_t at = 0;
    for (int tries = 0; tries < 8 && s->qn; tries++) {
      at = sim_below(&s->rng, s->qn);
      if (s->q[at]->ready_at <= s->now && !sim_attack_hold(s, s->q[at])) { m = s->q[at]; break; }
    }
    if (!m) {
      /* nothing deliverable: let time pass; when the network is idle, everyone re-sends */
      int any_ready = 0;
      for (size_t k = 0; k < s->qn && !any_ready; k++)
        if (s->q[k]->ready_at <= s->now && !sim_attack_hold(s, s->q[k])) any_ready = 1;
      if (!any_ready) {
        uint64_t next = UINT64_MAX;
        for (size_t k = 0; k < s->qn; k++)
          if (s->q[k]->ready_at > s->now && s->q[k]->ready_at < next) next = s->q[k]->ready_at;
        if (next != UINT64_MAX && next < s->now + 50) s->now = next - 1;
        else if (s->qn == 0 || next == UINT64_MAX || next >= s->now + 50) {
          if (s->qn == 0 || sim_chance(&s->rng, 20000)) {
            sim_sync(s);
            for (unsigned i = 0; i < n; i++) sim_tick(s, i);
          }
          if (s->qn && next != UINT64_MAX) s->now = next - 1;
          else if (s->qn) s->now += 100; /* only held messages: their hold expires */
        }
      }
      continue;
    }
    int dup = sim_chance(&s->rng, s->dup_ppm);
    if (!dup) s->q[at] = s->q[--s->qn];
    sim_node_t *dn = &s->node[m->dst];
    const char *tn = m->len > 1 ? gx_cmsg_type_name(m->data[1]) : "?";
    if (sim_chance(&s->rng, s->drop_ppm) || sim_cut(s, m) || dn->crashed) {
      s->drops++;
      sim_trace(s, "t=%" PRIu64 " %u->%u %s dropped", s->now, m->src, m->dst, tn);
    } else if (dn->behaviour != B_SILENT && dn->ep) {
      /* the sender's member index in the committee the message was sent under */
      unsigned member = s->n2m[m->gen][m->src];
      gx_acs_err_t e;
      s->cur = m->dst;
      if (m->gen == dn->gen) {
        e = gx_epoch_on_message(dn->ep, member, m->data, m->len);
      } else if (m->gen + 1u == dn->gen && gx_epoch_prev_committee(dn->ep)) {
        e = gx_epoch_on_prev_message(dn->ep, member, m->data, m->len);
        s->prev_msgs++;
      } else { /* a committee this node does not run (yet, or any more) */
        s->drops++;
        s->gen_drops++;
        sim_trace(s, "t=%" PRIu64 " %u->%u %s of committee %u dropped (node runs %u)", s->now, m->src,
                  m->dst, tn, m->gen, dn->gen);
        goto next;
      }
      if (dup) s->dups++;
      sim_trace(s, "t=%" PRIu64 " %u->%u %s e=%" PRIu64 " i=%u len=%u: %s%s", s->now, m->src, m->dst, tn,
                m->len >= 10 ? gx_ld64(m->data + 2) : 0, m->len >= 12 ? gx_ld16(m->data + 10) : 0,
                m->len, gx_acs_strerror(e), m->gen == dn->gen ? "" : " (previous committee)");
      sim_after(s, m->dst);
    }
  next:
    if (!dup) free(m);
    else m->ready_at = s->now + sim_below(&s->rng, s->delay_max + 1);
  }
  for (unsigned i = 0; i < n; i++)
    if (s->node[i].ep && gx_epoch_acs(s->node[i].ep))
      s->stalls += gx_acs_stats(gx_epoch_acs(s->node[i].ep))->ba_stalled;
  if (s->reconfig && !s->fail[0]) { /* every honest node took the change once, at its new index */
    for (unsigned i = 0; i < n; i++) {
      const sim_node_t *nd = &s->node[i];
      if (!sim_is_honest(s, i)) continue;
      if (nd->switches != 1 || nd->gen != 1) {
        sim_failf(s, "node %u switched committee %u times (running generation %u)", i, nd->switches,
                  nd->gen);
        break;
      }
      if (gx_epoch_member(nd->ep) != s->n2m[1][i] ||
          gx_epoch_committee(nd->ep)->first_epoch != s->reconfig) {
        sim_failf(s,
                  "node %u runs member index %d of the committee of epoch %" PRIu64 ", expected %u of %u",
                  i, gx_epoch_member(nd->ep), gx_epoch_committee(nd->ep)->first_epoch, s->n2m[1][i],
                  s->reconfig);
        break;
      }
      s->switched_ok++;
    }
  }
  if (stats_out) stats_out[0] = s->now;
  return s->fail[0] ? 1 : 0;
}

static void sim_print_failure(const sim_t *s, int byz_mode) {
  printf("FAIL seed=%" PRIu64 " n=%u f=%u byz=%s sched=%s: %s\n", s->seed, s->n, s->f,
         byz_mode == B_COUNT ? "all" : b_names[byz_mode], s->sched_attack ? "ba-attack" : "random",
         s->fail);
  printf("  nodes:");
  for (unsigned i = 0; i < s->n; i++) {
    printf(" %u=%s(out %" PRIu64 ")", i, b_names[s->node[i].behaviour], s->node[i].delivered);
    if (s->reconfig)
      printf("[member %u then %u, switched %u]", s->n2m[0][i], s->n2m[1][i], s->node[i].switches);
  }
  printf("\n  network: drop %u ppm, dup %u ppm, delay <= %u, partition [%" PRIu64 ", %" PRIu64
         ") mask %#" PRIx64 "\n",
         s->drop_ppm, s->dup_ppm, s->delay_max, s->part_from, s->part_to, s->part_mask);
  printf("  last events:\n");
  unsigned from = s->tn > SIM_TRACE ? s->tn - SIM_TRACE : 0;
  for (unsigned k = from; k < s->tn; k++) printf("    %s\n", s->trace[k % SIM_TRACE]);
  char rc[32] = "";
  if (s->reconfig) snprintf(rc, sizeof rc, " --reconfig %u", s->reconfig);
  printf("  replay: gx_sim --seeds %" PRIu64 " --n %u --byz %s --epochs %u --max-prop %u%s%s%s\n",
         s->seed, s->n, byz_mode == B_COUNT ? "all" : b_names[byz_mode], s->epochs, s->max_prop, rc,
         s->sched_attack ? " --sched ba-attack" : "", s->skip_conf ? " --unsafe-skip-conf" : "");
}

static int sim_parse_range(const char *a, uint64_t *lo, uint64_t *hi) {
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

int main(int argc, char **argv) {
  gx_cli_set_prog("gx_sim");
  if (sodium_init() < 0) return gx_cli_fail(GX_EXIT_FAIL, "libsodium failed to initialise");
  sim_ids_init();
  uint64_t lo = 1, hi = 100;
  unsigned ns[8] = {4}, nn = 1, epochs = 2, max_prop = 1024, reconfig = 0;
  int byz = B_COUNT, attack = 0, skip = 0, verbose = 0, expect_stall = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--seeds") && v) {
      if (sim_parse_range(v, &lo, &hi)) return gx_cli_fail(GX_EXIT_USAGE, "bad --seeds '%s' (A..B)", v);
      i++;
    } else if (!strcmp(a, "--n") && v) {
      nn = 0;
      char buf[64];
      snprintf(buf, sizeof buf, "%s", v);
      for (char *t = strtok(buf, ","); t && nn < 8; t = strtok(NULL, ",")) {
        uint64_t x;
        if (gx_parse_u64(t, &x) || x < 1 || x > SIM_MAXN)
          return gx_cli_fail(GX_EXIT_USAGE, "bad --n '%s' (1..%d, comma list)", v, SIM_MAXN);
        ns[nn++] = (unsigned)x;
      }
      i++;
    } else if (!strcmp(a, "--byz") && v) {
      byz = -1;
      if (!strcmp(v, "all")) byz = B_COUNT;
      else if (!strcmp(v, "none")) byz = B_HONEST;
      for (int b = 1; b < B_COUNT; b++)
        if (!strcmp(v, b_names[b])) byz = b;
      if (byz < 0) return gx_cli_fail(GX_EXIT_USAGE, "bad --byz '%s'", v);
      i++;
    } else if (!strcmp(a, "--epochs") && v) {
      uint64_t x;
      if (gx_parse_u64(v, &x) || x < 1 || x > SIM_MAXE) return gx_cli_fail(GX_EXIT_USAGE, "bad --epochs");
      epochs = (unsigned)x;
      i++;
    } else if (!strcmp(a, "--max-prop") && v) {
      uint64_t x;
      /* 0 never worked (every proposal is too large) and gx_epoch_new refuses it */
      if (gx_parse_u64(v, &x) || x < 1 || x > (1u << 20))
        return gx_cli_fail(GX_EXIT_USAGE, "bad --max-prop (1..%u)", 1u << 20);
      max_prop = (unsigned)x;
      i++;
    } else if (!strcmp(a, "--reconfig") && v) {
      uint64_t x;
      if (gx_parse_u64(v, &x) || x < 1 || x >= SIM_MAXE)
        return gx_cli_fail(GX_EXIT_USAGE, "bad --reconfig '%s' (an epoch >= 1, below --epochs)", v);
      reconfig = (unsigned)x;
      i++;
    } else if (!strcmp(a, "--sched") && v) {
      if (!strcmp(v, "ba-attack")) attack = 1;
      else if (strcmp(v, "random")) return gx_cli_fail(GX_EXIT_USAGE, "bad --sched '%s'", v);
      i++;
    } else if (!strcmp(a, "--unsafe-skip-conf")) {
      skip = 1;
    } else if (!strcmp(a, "--expect-stall")) {
      expect_stall = 1;
    } else if (!strcmp(a, "-v")) {
      verbose = 1;
    } else {
      fprintf(stderr,
              "usage: gx_sim [--seeds A..B] [--n 4,7,10] [--byz all|none|silent|crash|equiv|"
              "badstripe|badcoin|flip|replay|garbage]\n"
              "              [--epochs E] [--max-prop BYTES] [--reconfig E] [--sched random|ba-attack]\n"
              "              [--unsafe-skip-conf] [--expect-stall] [-v]\n");
      return GX_EXIT_USAGE;
    }
  }
  if (reconfig && reconfig >= epochs)
    return gx_cli_fail(GX_EXIT_USAGE, "--reconfig %u must be below --epochs %u", reconfig, epochs);
  sim_t *s = calloc(1, sizeof *s);
  sim_msg_t **q = calloc(SIM_QMAX, sizeof *q);
  if (!s || !q) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  uint64_t runs = 0, failed = 0, stalled_runs = 0, msgs = 0, bytes = 0, steps = 0, synced = 0;
  uint64_t switched_runs = 0, switches = 0, gen_drops = 0, prev_msgs = 0, sync_switches = 0;
  for (unsigned k = 0; k < nn; k++) {
    for (uint64_t seed = lo; seed <= hi; seed++) {
      s->q = q;
      s->epochs = epochs;
      s->max_prop = max_prop;
      s->reconfig = reconfig;
      s->sched_attack = attack;
      s->skip_conf = skip;
      s->verbose = verbose;
      uint64_t st[1] = {0};
      int rc = sim_run(s, seed, ns[k], byz, st);
      runs++;
      unsigned honest = 0;
      for (unsigned i = 0; i < s->n; i++) honest += sim_is_honest(s, i) ? 1u : 0u;
      if (reconfig && s->switched_ok == honest) switched_runs++;
      switches += s->switched_ok;
      gen_drops += s->gen_drops;
      prev_msgs += s->prev_msgs;
      sync_switches += s->sync_switches;
      msgs += s->msgs;
      bytes += s->bytes;
      steps += st[0];
      if (s->stalls) stalled_runs++;
      synced += s->synced;
      if (rc && !(expect_stall && s->stalls)) {
        failed++;
        sim_print_failure(s, byz);
      } else if (verbose) {
        char sw[64] = ""; /* only with --reconfig: the old per-run lines stay as they were */
        if (reconfig)
          snprintf(sw, sizeof sw, " switched=%u/%u@%u", s->switched_ok, honest, reconfig);
        printf("seed=%" PRIu64 " n=%u ok steps=%" PRIu64 " msgs=%" PRIu64 " bytes=%" PRIu64
               " drops=%" PRIu64 " ticks=%" PRIu64 "%s%s\n",
               seed, ns[k], st[0], s->msgs, s->bytes, s->drops, s->ticks, sw,
               rc ? " (stalled as expected)" : "");
      }
      sim_free(s);
      if (seed == UINT64_MAX) break;
    }
  }
  printf("gx_sim: %" PRIu64 " runs, %" PRIu64 " failed, %" PRIu64 " with a stalled BA, %" PRIu64
         " msgs, %" PRIu64 " bytes, %" PRIu64 " steps, %" PRIu64 " epochs block-synced\n",
         runs, failed, stalled_runs, msgs, bytes, steps, synced);
  printf("gx_sim: honest nodes saw: %" PRIu64 " bad-RBC verdicts, %" PRIu64 " bad stripe proofs, %" PRIu64
         " conflicting fragments, %" PRIu64 " malformed, %" PRIu64 " stale-epoch, %" PRIu64
         " future-epoch drops, %" PRIu64 " bad coin shares, %" PRIu64 " shares verified, %" PRIu64
         " coins combined, BA rounds up to %" PRIu64 "\n",
         sim_tot.rbc_bad, sim_tot.rbc_proof, sim_tot.rbc_conflict, sim_tot.decode, sim_tot.stale,
         sim_tot.future, sim_tot.share_bad, sim_tot.verifies, sim_tot.combines, sim_tot.max_round);
  if (reconfig)
    printf("gx_sim: reconfig at epoch %u: %" PRIu64 " of %" PRIu64
           " runs switched every honest node once, %" PRIu64 " honest switches (%" PRIu64
           " after a block sync), %" PRIu64
           " messages to a kept previous engine, %" PRIu64
           " messages of a committee the receiver does not run dropped\n",
           reconfig, switched_runs, runs, switches, sync_switches, prev_msgs, gen_drops);
  free(q);
  free(s);
  if (expect_stall) return stalled_runs ? GX_EXIT_OK : GX_EXIT_FAIL;
  return failed ? GX_EXIT_FAIL : GX_EXIT_OK;
}
