/* The epoch driver: the running committee's consensus engine (gx_epoch)
 * over authenticated links (gx_link on the gx_dp queue galaxyd built),
 * proposals taken from the pool by account shard, and committee changes at
 * epoch boundaries. On the commit stage's thread. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/gx_assert.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_pkt.h"
#include "validator/gx_commit_int.h"

/* Every sealed consensus datagram fits one UDP payload of a 1500-byte MTU,
 * IPv6 included: the DPDK link channel does not fragment (and the kernel
 * need not). */
_Static_assert(GX_CMSG_MAX + GX_LINK_OVERHEAD <= GX_PKT_UDP6_PAYLOAD_MAX,
               "a sealed consensus message must fit one IPv6 UDP payload");

/* ---- links ---- */
/* Sends the queued datagrams. Loss is tolerated by design (idempotent
 * re-sends): what the backend refuses is dropped (and counted there). */
void gx_driver_flush(gx_commit_t *c) {
  gx_driver_t *d = &c->drv;
  if (d->n_out) (void)gx_dp_tx_burst(d->net, d->out_dst, d->out_ptr, d->out_len, d->n_out);
  d->n_out = 0;
}

/* The next free outgoing slot (flushing when all are taken). */
static uint8_t *gx_driver_out_slot(gx_commit_t *c) {
  if (c->drv.n_out == GX_COMMIT_TX_BATCH) gx_driver_flush(c);
  return c->drv.out_buf + (size_t)c->drv.n_out * GX_COMMIT_DGRAM_MAX;
}

static void gx_driver_out_push(gx_commit_t *c, const gx_addr_t *dst, const uint8_t *slot, size_t len) {
  gx_driver_t *d = &c->drv;
  GX_ASSERT(d->n_out < GX_COMMIT_TX_BATCH, "outgoing batch over-filled (%d)", d->n_out);
  d->out_ptr[d->n_out] = slot;
  d->out_len[d->n_out] = (uint16_t)len;
  d->out_dst[d->n_out] = *dst;
  d->n_out++;
}

/* Seals msg for member `to` of the running committee (prev: of the one before). */
static void gx_driver_seal_to(gx_commit_t *c, int prev, unsigned to, const uint8_t *msg, size_t len) {
  gx_driver_t *d = &c->drv;
  uint8_t *slot = gx_driver_out_slot(c);
  size_t n = gx_link_seal(prev ? &d->prev_link : &d->link, (uint16_t)to, msg, len, slot,
                          GX_COMMIT_DGRAM_MAX);
  if (n) gx_driver_out_push(c, prev ? &d->prev_addr[to] : &d->peer_addr[to], slot, n);
}

static void gx_driver_send_to(gx_commit_t *c, unsigned to, const uint8_t *msg, size_t len) {
  gx_driver_seal_to(c, 0, to, msg, len);
}

void gx_driver_send_all(gx_commit_t *c, const uint8_t *msg, size_t len) {
  int self = gx_epoch_member(c->drv.epoch);
  const gx_committee_t *com = gx_epoch_committee(c->drv.epoch);
  if (self < 0) return; /* not a member: nothing to say */
  for (unsigned i = 0; i < com->n; i++)
    if ((int)i != self) gx_driver_send_to(c, i, msg, len);
}

static void gx_driver_engine_send(void *ctx, int committee, int dest, const uint8_t *msg, size_t len) {
  gx_commit_t *c = ctx;
  if (committee == 0) {
    if (dest == GX_CMSG_ALL) gx_driver_send_all(c, msg, len);
    else if (dest >= 0 && dest < gx_epoch_committee(c->drv.epoch)->n) gx_driver_send_to(c, (unsigned)dest, msg, len);
    return;
  }
  /* the previous committee's engine, answering laggards */
  const gx_committee_t *pc = gx_epoch_prev_committee(c->drv.epoch);
  int self = gx_epoch_prev_member(c->drv.epoch);
  if (!pc || self < 0) return;
  for (unsigned i = 0; i < pc->n; i++)
    if ((int)i != self && (dest == GX_CMSG_ALL || dest == (int)i)) gx_driver_seal_to(c, 1, i, msg, len);
}

/* Keys the links and resolves the peers' addresses for the running committee. */
static int gx_driver_rekey_links(gx_commit_t *c, char *err, size_t errlen) {
  gx_driver_t *d = &c->drv;
  const gx_committee_t *com = gx_epoch_committee(d->epoch);
  int self = gx_epoch_member(d->epoch);
  /* the running links become the previous committee's (laggards) */
  for (int i = 0; i < GX_LINK_ERR__COUNT; i++) d->link_base[i] += d->link.stats[i];
  gx_link_wipe(&d->prev_link);
  d->prev_link = d->link;
  memcpy(d->prev_addr, d->peer_addr, sizeof d->prev_addr);
  memset(d->link.stats, 0, sizeof d->link.stats);
  for (unsigned i = 0; i < com->n; i++) {
    char why[256];
    if (gx_sock_addr_resolve(com->m[i].host, com->m[i].port, &d->peer_addr[i], why, sizeof why)) {
      snprintf(err, errlen, "committee member %u address: %s", i, why);
      return -1;
    }
  }
  memset(&d->link, 0, sizeof d->link);
  if (self < 0) return 0;
  gx_pubkey_t keys[GX_COMMITTEE_MAX];
  gx_committee_link_keys(com, keys);
  /* a boot id of its own per committee: counters restart with the new keys */
  if (gx_link_init(&d->link, (uint16_t)self, &c->cfg.key->identity, keys, com->n,
                   d->boot + com->first_epoch) != 0) {
    snprintf(err, errlen, "cannot derive link keys from the committee's identities");
    return -1;
  }
  return 0;
}

const gx_committee_t *gx_driver_committee_at(const gx_commit_t *c, uint64_t epoch) {
  return gx_members_at(&c->drv.members, epoch);
}

static const gx_coin_secret_t *gx_driver_share(const gx_driver_t *d, const gx_committee_t *com) {
  for (unsigned i = 0; i < d->n_shares; i++)
    if (gx_hash_eq(&d->shares[i].committee_id, &com->id)) return &d->shares[i].share;
  return NULL;
}

/* Runs committee com from epoch next on: engine, links, certificates. */
static int gx_driver_join(gx_commit_t *c, const gx_committee_t *com, uint64_t next, char *err,
                          size_t errlen) {
  gx_driver_t *d = &c->drv;
  if (gx_epoch_acs(d->epoch)) { /* keep the engine's counters across engines */
    const gx_acs_stats_t *s = gx_acs_stats(gx_epoch_acs(d->epoch));
    c->acs_base.msgs_in += s->msgs_in;
    c->acs_base.msgs_out += s->msgs_out;
    c->acs_base.bytes_out += s->bytes_out;
    for (int i = 0; i < GX_ACS_ERR_COUNT; i++) c->acs_base.drop[i] += s->drop[i];
  }
  if (gx_epoch_join(d->epoch, com, &c->cfg.key->identity.pk, gx_driver_share(d, com), next, err, errlen))
    return -1;
  if (gx_driver_rekey_links(c, err, errlen)) return -1;
  gx_cert_set_t set;
  gx_committee_cert_set(com, &set);
  gx_galaxy_sink_rekey(c, &set, next + 1); /* the black hole of epoch e has height e + 1 */
  d->proposed_epoch = 0;
  c->sync.last_future_drops = 0; /* the new engine counts from 0 */
  atomic_store(&c->st_member, gx_epoch_member(d->epoch));
  atomic_store(&c->st_members, com->n);
  return 0;
}

void gx_driver_follow(gx_commit_t *c) {
  gx_driver_t *d = &c->drv;
  uint64_t next = gx_epoch_next(d->epoch);
  if (d->change_pending) { /* racy peek; the lock below decides */
    pthread_mutex_lock(&d->change_lock);
    if (d->change_pending) {
      gx_committee_err_t e = gx_members_change(&d->members, &d->change, next);
      if (e != GX_COMMITTEE_OK) {
        GX_WARN("commit", "committee change at epoch %llu refused: %s",
                (unsigned long long)d->change.first_epoch, gx_committee_strerror(e));
      } else if (d->change_has_share) {
        gx_commit_share_t *s = &d->shares[d->n_shares < GX_MEMBERS_HISTORY ? d->n_shares++ : 0];
        if (d->n_shares == GX_MEMBERS_HISTORY) { /* forget the oldest share */
          memmove(&d->shares[0], &d->shares[1], sizeof d->shares - sizeof d->shares[0]);
          s = &d->shares[GX_MEMBERS_HISTORY - 1];
        }
        s->committee_id = d->change.id;
        s->share = d->change_share;
      }
      sodium_memzero(&d->change_share, sizeof d->change_share);
      d->change_pending = 0;
    }
    pthread_mutex_unlock(&d->change_lock);
  }
  const gx_committee_t *due = gx_epoch_due(d->epoch, &d->members);
  if (!due) return;
  char err[256];
  if (gx_driver_join(c, due, next, err, sizeof err)) {
    char why[400];
    snprintf(why, sizeof why, "cannot switch to the committee of epoch %llu: %s",
             (unsigned long long)due->first_epoch, err);
    gx_commit_fail(c, why);
    return;
  }
  atomic_fetch_add(&c->st_committee_changes, 1);
  GX_INFO("commit", "epoch %llu: committee of %u members (f=%u) takes over; this node is %s",
          (unsigned long long)next, due->n, due->f,
          gx_epoch_member(d->epoch) < 0 ? "not a member (follows through catch-up)" : "a member");
}

int gx_commit_change_committee(gx_commit_t *c, const gx_committee_t *next,
                               const gx_coin_secret_t *share, char *err, size_t errlen) {
  gx_driver_t *d = &c->drv;
  if (next->n > c->cfg.max_members) {
    snprintf(err, errlen, "a committee of %u members is larger than this node was sized for (%u)",
             next->n, c->cfg.max_members);
    return -1;
  }
  if (next->first_epoch <= atomic_load(&c->st_next_epoch)) {
    snprintf(err, errlen, "epoch %llu has already started", (unsigned long long)next->first_epoch);
    return -1;
  }
  pthread_mutex_lock(&d->change_lock);
  int busy = d->change_pending;
  if (!busy) {
    d->change = *next;
    d->change_has_share = share != NULL;
    if (share) d->change_share = *share;
    d->change_pending = 1;
  }
  pthread_mutex_unlock(&d->change_lock);
  if (busy) snprintf(err, errlen, "another committee change is being taken in");
  return busy ? -1 : 0;
}

/* ---- proposing ---- */
static void gx_driver_byzantine_garbage(gx_commit_t *c) {
  uint8_t junk[600];
  randombytes_buf(junk, sizeof junk);
  junk[0] = 1;
  for (unsigned t = 0x40; t < 0x48; t++) { /* authenticated, consensus-typed garbage */
    junk[1] = (uint8_t)t;
    gx_driver_send_all(c, junk, 20 + (size_t)(junk[2] % 500));
  }
  const gx_committee_t *com = gx_epoch_committee(c->drv.epoch);
  for (unsigned i = 0; i < com->n; i++) /* and unauthenticated garbage */
    if ((int)i != gx_epoch_member(c->drv.epoch)) {
      uint8_t *slot = gx_driver_out_slot(c);
      memcpy(slot, junk, sizeof junk);
      gx_driver_out_push(c, &c->drv.peer_addr[i], slot, sizeof junk);
    }
}

/* Nanoseconds until epoch_interval_ms since our last proposal has passed (0:
 * it has). Until then we hold our proposal so that transfers gather into
 * fewer, larger epochs: each epoch costs every validator a fixed amount of
 * consensus messages, signatures, fsyncs and LMDB commits whatever its size,
 * and on a saturated host that CPU comes out of signature verification. A
 * peer that starts the epoch first ends the wait (gx_epoch_active), so the
 * validators move together and no one is held up by our timer. */
uint64_t gx_driver_interval_left(const gx_commit_t *c, uint64_t now) {
  const gx_driver_t *d = &c->drv;
  uint64_t gap = (uint64_t)c->cfg.epoch_interval_ms * 1000000ull;
  if (!gap || !d->last_proposal_ns || now - d->last_proposal_ns >= gap) return 0;
  if (d->proposed_epoch == gx_epoch_next(d->epoch) + 1) return 0; /* proposed already */
  return gap - (now - d->last_proposal_ns);
}

/* Proposals are split by account shard so that members propose different
 * transfers (every mempool holds about the same ones, thanks to gossip): in
 * epoch e, member i proposes the accounts of shard (i + e) mod n of the
 * running committee (gx_committee_shard). Every shard has exactly one
 * proposer per epoch and a different one the next epoch, so a silent or
 * excluded member delays a shard by one epoch, never more. The pool hands out
 * only our shard's transfers; what we proposed and was not included goes back
 * when the epoch commits. */
void gx_driver_maybe_propose(gx_commit_t *c, uint64_t now) {
  gx_driver_t *d = &c->drv;
  if (gx_epoch_member(d->epoch) < 0) return;
  uint64_t epoch = gx_epoch_next(d->epoch);
  if (d->proposed_epoch == epoch + 1) return;
  if (gx_driver_interval_left(c, now) && !gx_epoch_active(d->epoch, epoch)) return;
  size_t got = 0;
  int any_ready = 0;
  gx_txpool_t *pool = c->cfg.pool;
  const gx_committee_t *com = gx_epoch_committee(d->epoch);
  size_t value_len;
  if (c->hier.on) { /* clusters: the refs of the LSH blocks we hold (gx_hier.c) */
    uint32_t refs = 0;
    value_len = gx_hier_proposal(c, d->proposal, d->proposal_cap, &refs);
    got = refs;
  } else {
    if (pool)
      got = pool->take_shard(pool->ctx, gx_epoch_shard(d->epoch, epoch), com->n, d->proposal,
                             c->cfg.batch_max, &any_ready);
    GX_ASSERT(got <= c->cfg.batch_max, "the pool handed out %zu transfers, %u asked", got, c->cfg.batch_max);
    value_len = got * GX_XFER_SZ;
  }
  if (got == 0 && !any_ready) {
    /* Nothing to propose: wait a little, unless peers already run this epoch.
     * (Transfers of other shards only: propose our empty batch now, so the
     * epoch that carries them is not held up by our instance.) */
    if (!d->epoch_started_ns) d->epoch_started_ns = now;
    if (now - d->epoch_started_ns < (uint64_t)c->cfg.idle_epoch_ms * 1000000ull) return;
  }
  if (!d->epoch_started_ns || got || any_ready) d->epoch_started_ns = now;
  gx_acs_err_t e = gx_epoch_propose(d->epoch, epoch, d->proposal, (uint32_t)value_len);
  if (e != GX_ACS_OK && e != GX_ACS_ERR_PROPOSED) {
    GX_WARN("commit", "proposal for epoch %llu refused: %s", (unsigned long long)epoch,
            gx_acs_strerror(e));
    return;
  }
  d->proposed_epoch = epoch + 1;
  d->last_proposal_ns = now;
  if ((c->cfg.byzantine & GX_COMMIT_BYZ_EQUIVOCATE) && got && !c->hier.on) {
    /* a different value to every other peer: drop the last transfer */
    for (unsigned i = 0; i < com->n; i += 2)
      if ((int)i != gx_epoch_member(d->epoch))
        gx_acs_send_forged_val(gx_epoch_acs(d->epoch), epoch, d->proposal,
                               (uint32_t)((got - 1) * GX_XFER_SZ), i, -1);
  }
}

/* ---- receiving ---- */
void gx_driver_poll(gx_commit_t *c, int timeout_ms) {
  gx_driver_t *d = &c->drv;
  gx_dgram_t in[GX_COMMIT_RECV_BATCH];
  if (!gx_dp_rx_wait(d->net, timeout_ms)) return;
  int n = gx_dp_rx_burst(d->net, in, GX_COMMIT_RECV_BATCH);
  for (int i = 0; i < n && !atomic_load(&c->stop); i++) {
    uint16_t from;
    const uint8_t *p;
    size_t plen;
    if (gx_epoch_member(d->epoch) >= 0 &&
        gx_link_open(&d->link, in[i].payload, in[i].len, &from, &p, &plen) == GX_LINK_OK) {
      if (plen >= 2 && p[1] == GX_MSG_BH_SIG) gx_galaxy_sink_on_sig(c, p, plen);
      else gx_epoch_on_message(d->epoch, from, p, plen);
    } else if (gx_epoch_prev_member(d->epoch) >= 0 &&
               gx_link_open(&d->prev_link, in[i].payload, in[i].len, &from, &p, &plen) == GX_LINK_OK) {
      /* a member of the previous committee still finishing its last epoch */
      if (plen >= 2 && p[1] == GX_MSG_BH_SIG) gx_galaxy_sink_on_sig(c, p, plen);
      else gx_epoch_on_prev_message(d->epoch, from, p, plen);
    }
  }
  if (n > 0) gx_dp_rx_release(d->net, in, n);
}

void gx_driver_tick(gx_commit_t *c) {
  gx_epoch_tick(c->drv.epoch);
  gx_galaxy_sink_resend(c);
  if (c->cfg.byzantine & GX_COMMIT_BYZ_GARBAGE) gx_driver_byzantine_garbage(c);
}

/* ---- lifecycle ---- */
int gx_driver_open(gx_commit_t *c, char *err, size_t errlen) {
  gx_driver_t *d = &c->drv;
  pthread_mutex_init(&d->change_lock, NULL);
  d->net = c->cfg.link_queue;
  if (!d->net) {
    snprintf(err, errlen, "commit stage needs the consensus link queue (galaxyd builds it)");
    return -1;
  }
  d->proposal_cap = (size_t)c->cfg.batch_max * GX_XFER_SZ + 1;
  if (d->proposal_cap < gx_fold_refs_size(GX_FOLD_MAX_REFS)) d->proposal_cap = gx_fold_refs_size(GX_FOLD_MAX_REFS);
  d->proposal = malloc(d->proposal_cap);
  d->out_buf = malloc((size_t)GX_COMMIT_TX_BATCH * GX_COMMIT_DGRAM_MAX);
  if (!d->proposal || !d->out_buf) {
    snprintf(err, errlen, "out of memory for the epoch driver's buffers");
    return -1;
  }
  d->boot = c->cfg.boot;
  if (!d->boot) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    d->boot = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  }
  gx_committee_t genesis;
  gx_genesis_committee(c->g, &genesis);
  gx_members_init(&d->members, &genesis);
  d->shares[0].committee_id = genesis.id;
  d->shares[0].share = c->cfg.key->coin;
  d->n_shares = 1;
  gx_epoch_cfg_t ec = {.max_proposal = c->g->proposal_max_txs * GX_XFER_SZ};
  if (c->hier.on && ec.max_proposal < gx_fold_refs_size(GX_FOLD_MAX_REFS))
    ec.max_proposal = (uint32_t)gx_fold_refs_size(GX_FOLD_MAX_REFS);
  gx_epoch_out_t out = {.ctx = c, .send = gx_driver_engine_send,
                        .deliver = c->hier.on ? gx_hier_deliver : gx_apply_deliver};
  d->epoch = gx_epoch_new(&ec, &out, err, errlen);
  if (!d->epoch) return -1;
  return 0;
}

/* Joins the committee of epoch `next` (after restore or catch-up). */
int gx_driver_start_at(gx_commit_t *c, uint64_t next, char *err, size_t errlen) {
  const gx_committee_t *com = gx_members_at(&c->drv.members, next);
  if (!com) {
    snprintf(err, errlen, "no committee known for epoch %llu", (unsigned long long)next);
    return -1;
  }
  return gx_driver_join(c, com, next, err, errlen);
}

void gx_driver_close(gx_commit_t *c) {
  gx_driver_t *d = &c->drv;
  gx_epoch_delete(d->epoch);
  d->epoch = NULL;
  gx_link_wipe(&d->link);
  gx_link_wipe(&d->prev_link);
  sodium_memzero(d->shares, sizeof d->shares);
  free(d->proposal);
  free(d->out_buf);
  pthread_mutex_destroy(&d->change_lock);
}
