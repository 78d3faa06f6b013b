/* gx_commit: the commit stage's thread, lifecycle, restore, status and
 * metrics. The work is done by its parts (validator/gx_commit_int.h): the
 * epoch driver (gx_driver.c), apply (gx_apply.c), the galaxy sink
 * (gx_galaxy_sink.c) and catch-up (gx_sync.c). */
#include "validator/gx_commit.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_log.h"
#include "core/gx_util.h"
#include "validator/gx_commit_int.h"

uint64_t gx_commit_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gx_commit_cfg_defaults(gx_commit_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->durability = GX_STORE_DURABLE_GROUP;
  cfg->tick_ms = 200;
  cfg->idle_epoch_ms = 500;
  cfg->epoch_interval_ms = 100;
  cfg->core = -1;
}

void gx_commit_fail(gx_commit_t *c, const char *what) {
  snprintf(c->failure, sizeof c->failure, "%s", what);
  GX_ERROR("commit", "stopping the commit stage: %s", what);
  atomic_store(&c->stop, 1);
}

/* ---- the stage thread ---- */
static void gx_commit_copy_stats(gx_commit_t *c) {
  gx_acs_t *acs = gx_epoch_acs(c->drv.epoch);
  gx_acs_stats_t s = c->acs_base; /* the committees before, plus the running engine */
  if (acs) {
    const gx_acs_stats_t *e = gx_acs_stats(acs);
    s.msgs_in += e->msgs_in;
    s.msgs_out += e->msgs_out;
    s.bytes_out += e->bytes_out;
    for (int i = 0; i < GX_ACS_ERR_COUNT; i++) s.drop[i] += e->drop[i];
    if (e->drop[GX_ACS_DROP_FUTURE] > c->sync.last_future_drops + 16) c->sync.need = 1;
    c->sync.last_future_drops = e->drop[GX_ACS_DROP_FUTURE];
  }
  atomic_store(&c->st_acs_msgs_in, s.msgs_in);
  atomic_store(&c->st_acs_msgs_out, s.msgs_out);
  atomic_store(&c->st_acs_bytes_out, s.bytes_out);
  for (int i = GX_ACS_DROP_DECODE; i < GX_ACS_ERR_COUNT; i++) atomic_store(&c->st_acs_drops[i], s.drop[i]);
  for (int i = 0; i < GX_LINK_ERR__COUNT; i++)
    atomic_store(&c->st_link[i], c->drv.link_base[i] + c->drv.link.stats[i]);
}

static void *gx_commit_main(void *arg) {
  gx_commit_t *c = arg;
  if (c->cfg.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c->cfg.core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  pthread_setname_np(pthread_self(), "gx-commit");
  atomic_store(&c->running, 1);
  gx_sync_run(c); /* catch up before taking part */
  uint64_t next_tick = gx_commit_now_ns() + (uint64_t)c->cfg.tick_ms * 1000000ull;
  uint64_t last_sync_try = 0;
  while (!atomic_load(&c->stop)) {
    uint64_t now = gx_commit_now_ns();
    gx_hier_poll(c); /* LSH blocks from ingest into the pool, before we propose */
    gx_driver_maybe_propose(c, now);
    int timeout = now >= next_tick ? 0 : (int)((next_tick - now) / 1000000ull);
    if (timeout > 20) timeout = 20; /* re-check proposals and stop regularly */
    uint64_t hold = gx_driver_interval_left(c, now);
    if (hold && (int)(hold / 1000000ull) < timeout)
      timeout = (int)(hold / 1000000ull) + 1; /* wake when our proposal is due */
    gx_driver_flush(c);
    gx_driver_poll(c, timeout);
    gx_driver_follow(c); /* an epoch boundary may have passed */
    now = gx_commit_now_ns();
    if (now >= next_tick) {
      gx_driver_tick(c);
      gx_commit_copy_stats(c);
      next_tick = now + (uint64_t)c->cfg.tick_ms * 1000000ull;
      if (gx_epoch_member(c->drv.epoch) < 0) c->sync.need = 1; /* a follower catches up */
      if (c->sync.need && now - last_sync_try > 1000000000ull) {
        last_sync_try = now;
        c->sync.need = 0;
        gx_sync_run(c);
      }
    }
  }
  gx_commit_copy_stats(c);
  atomic_store(&c->running, 0);
  return NULL;
}

/* ---- lifecycle ------------------------------------------------------------------------ */
static int gx_commit_store_hash(void *ctx, const uint8_t *body, uint32_t len, gx_hash_t *hash) {
  (void)ctx;
  gx_bh_header_t h;
  if (len < GX_BH_HDR_SZ || gx_bh_header_decode(&h, body, GX_BH_HDR_SZ) != GX_PROTO_OK) return -1;
  gx_bh_id(hash, &h);
  return 0;
}

static int gx_commit_load_account(void *ctx, const uint8_t key[32], const gx_store_account_t *a) {
  gx_pubkey_t k;
  memcpy(k.b, key, 32);
  gx_ledger_account_t la = {.balance = a->balance, .seq = a->seq, .head = a->head};
  return gx_ledger_load_account(ctx, &k, &la) == GX_LEDGER_OK ? 0 : -1;
}

/* Restores the ledger: genesis balances, then every stored account, then the tip. */
static int gx_commit_restore(gx_commit_t *c, char *err, size_t errlen) {
  const gx_genesis_t *g = c->g;
  gx_ledger_err_t le = gx_ledger_genesis(c->ledger, &g->id, g->balances, g->balance_count);
  if (le) { snprintf(err, errlen, "genesis: %s", gx_ledger_strerror(le)); return -1; }
  uint64_t h = gx_store_durable_height(c->store);
  if (h == 0) return 0;
  if (gx_store_accounts(c->store, gx_commit_load_account, c->ledger) != GX_STORE_OK) {
    snprintf(err, errlen, "cannot load account state from the store: %s",
             gx_store_last_error(c->store)->msg);
    return -1;
  }
  uint32_t rec_len;
  gx_store_rec_t rec;
  gx_bh_header_t hdr;
  if (gx_store_record_size(c->store, h, &rec_len) != GX_STORE_OK || rec_len > c->sync.cap ||
      gx_store_get(c->store, h, c->sync.buf, c->sync.cap, &rec) != GX_STORE_OK ||
      rec.body_len < GX_BH_HDR_SZ || gx_bh_header_decode(&hdr, rec.body, GX_BH_HDR_SZ) != GX_PROTO_OK) {
    snprintf(err, errlen, "cannot read black hole %llu from the store", (unsigned long long)h);
    return -1;
  }
  if (hdr.height != h) {
    snprintf(err, errlen, "black hole %llu in the store says height %llu", (unsigned long long)h,
             (unsigned long long)hdr.height);
    return -1;
  }
  if ((le = gx_ledger_restore(c->ledger, h, &rec.hash, &hdr.state_root))) {
    snprintf(err, errlen, "restoring the ledger at height %llu: %s", (unsigned long long)h,
             gx_ledger_strerror(le));
    return -1;
  }
  atomic_store(&c->st_height, h);
  return 0;
}

gx_commit_t *gx_commit_new(const gx_commit_cfg_t *cfg, char *err, size_t errlen) {
  const gx_genesis_t *g = cfg->genesis;
  if (!g || !cfg->key || !cfg->data_dir) {
    snprintf(err, errlen, "commit stage needs a genesis, a node key and a data directory");
    return NULL;
  }
  if (gx_genesis_node_key_check(cfg->key, g, err, errlen) != GX_GENESIS_OK) return NULL;
  gx_commit_t *c = calloc(1, sizeof *c);
  if (!c) { snprintf(err, errlen, "out of memory"); return NULL; }
  c->cfg = *cfg;
  c->g = g;
  if (!c->cfg.batch_max || c->cfg.batch_max > g->proposal_max_txs) c->cfg.batch_max = g->proposal_max_txs;
  if (!c->cfg.tick_ms) c->cfg.tick_ms = 200;
  if (c->cfg.max_members < g->n) c->cfg.max_members = g->n;
  if ((uint64_t)c->cfg.max_members * g->proposal_max_txs > GX_BH_MAX_TXS)
    c->cfg.max_members = (uint16_t)(GX_BH_MAX_TXS / g->proposal_max_txs);
  c->max_bh_txs = (size_t)c->cfg.max_members * g->proposal_max_txs;
  if (gx_hier_max_txs(g) > c->max_bh_txs) c->max_bh_txs = gx_hier_max_txs(g);
  if (c->max_bh_txs > GX_BH_MAX_TXS) c->max_bh_txs = GX_BH_MAX_TXS;
  pthread_mutex_init(&c->ledger_lock, NULL);
  static const uint64_t epoch_bounds[] = {1000000, 5000000, 10000000, 25000000, 50000000,
      100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000};
  gx_metrics_hist_init(&c->epoch_hist, epoch_bounds, (int)GX_ARRAY_LEN(epoch_bounds), 1e-9);
  gx_metrics_hist_init(&c->apply_hist, epoch_bounds, (int)GX_ARRAY_LEN(epoch_bounds), 1e-9);

  /* the parts, all memory sized now */
  if (gx_sync_open(c, err, errlen) || gx_apply_open(c, err, errlen) ||
      gx_galaxy_sink_open(c, err, errlen) || gx_hier_open(c, err, errlen) ||
      gx_driver_open(c, err, errlen))
    goto fail;

  /* ledger: sized for committees of up to max_members proposers */
  gx_ledger_cfg_t lc;
  gx_ledger_cfg_defaults(&lc);
  lc.max_proposers = c->cfg.max_members;
  lc.max_proposal_txs = g->proposal_max_txs;
  gx_hier_ledger_cfg(g, &lc); /* clusters: one proposal per folded LSH block */
  size_t lsz = gx_ledger_footprint(&lc);
  if (!lsz || !(c->ledger_mem = aligned_alloc(GX_LEDGER_ALIGN, (lsz + 63) & ~(size_t)63)) ||
      !(c->ledger = gx_ledger_new(c->ledger_mem, &lc))) {
    snprintf(err, errlen, "cannot create the ledger (%zu bytes)", lsz);
    goto fail;
  }

  /* store */
  gx_store_cfg_t sc;
  gx_store_cfg_defaults(&sc);
  sc.dir = cfg->data_dir;
  sc.durability = cfg->durability;
  sc.hash_fn = gx_commit_store_hash;
  gx_store_error_t se;
  if (gx_store_open(&sc, &c->store, &se) != GX_STORE_OK) {
    snprintf(err, errlen, "%s", se.msg);
    goto fail;
  }
  if (gx_commit_restore(c, err, errlen) != 0 || gx_hier_restore(c, err, errlen) != 0) goto fail;
  uint64_t height = gx_ledger_height(c->ledger);

  /* consensus: the committee of the next epoch (epoch e makes height e + 1) */
  if (gx_driver_start_at(c, height, err, errlen)) goto fail;
  atomic_store(&c->st_next_epoch, height);
  const gx_committee_t *com = gx_epoch_committee(c->drv.epoch);
  GX_INFO("commit", "member %d of a committee of %u (f=%u) at height %llu, store %s", gx_epoch_member(c->drv.epoch),
          com->n, com->f, (unsigned long long)height, cfg->data_dir);
  return c;
fail:
  gx_commit_delete(c);
  return NULL;
}

int gx_commit_start(gx_commit_t *c, char *err, size_t errlen) {
  if (gx_ledger_height(c->ledger) > 0) gx_galaxy_sink_seed_pool(c);
  atomic_store(&c->stop, 0);
  if (pthread_create(&c->thread, NULL, gx_commit_main, c) != 0) {
    snprintf(err, errlen, "cannot start the commit thread");
    return -1;
  }
  atomic_store(&c->running, 1);
  return 0;
}

void gx_commit_stop(gx_commit_t *c) {
  if (!c || !c->thread) return;
  atomic_store(&c->stop, 1);
  pthread_join(c->thread, NULL);
  c->thread = 0;
}

void gx_commit_delete(gx_commit_t *c) {
  if (!c) return;
  gx_commit_stop(c);
  gx_driver_close(c);
  if (c->store) gx_store_close(c->store);
  if (c->ledger) gx_ledger_delete(c->ledger);
  free(c->ledger_mem);
  gx_hier_close(c);
  gx_galaxy_sink_close(c);
  gx_apply_close(c);
  gx_sync_close(c);
  pthread_mutex_destroy(&c->ledger_lock);
  free(c);
}

void gx_commit_status(gx_commit_t *c, gx_commit_status_t *o) {
  memset(o, 0, sizeof *o);
  o->height = atomic_load(&c->st_height);
  o->next_epoch = atomic_load(&c->st_next_epoch);
  o->blocks = atomic_load(&c->st_blocks);
  o->txs = atomic_load(&c->st_txs);
  o->certs = atomic_load(&c->st_certs);
  o->empty_blocks = atomic_load(&c->st_empty);
  o->equivocations = atomic_load(&c->st_equiv);
  o->synced_blocks = atomic_load(&c->st_synced);
  o->sync_failures = atomic_load(&c->st_sync_fail);
  for (int r = 0; r < GX_LEDGER_REJ__COUNT; r++) o->rejected[r] = atomic_load(&c->st_rejected[r]);
  pthread_mutex_lock(&c->ledger_lock);
  gx_hash_t state_root;
  gx_ledger_tip(c->ledger, &o->tip, &state_root);
  o->total_balance = gx_ledger_balance_sum(c->ledger); /* not a table walk: any client asks */
  pthread_mutex_unlock(&c->ledger_lock);
  o->running = atomic_load(&c->running);
  o->syncing = atomic_load(&c->st_syncing);
  o->member = atomic_load(&c->st_member);
  o->members = (unsigned)atomic_load(&c->st_members);
  o->committee_changes = atomic_load(&c->st_committee_changes);
  snprintf(o->failure, sizeof o->failure, "%s", c->failure);
}

gx_store_t *gx_commit_store(gx_commit_t *c) { return c->store; }

int gx_commit_account(gx_commit_t *c, const gx_pubkey_t *key, gx_ledger_account_t *out) {
  pthread_mutex_lock(&c->ledger_lock);
  int rc = gx_ledger_account(c->ledger, key, out);
  pthread_mutex_unlock(&c->ledger_lock);
  return rc;
}

static double gx_commit_height_fn(void *arg) {
  return (double)atomic_load(&((gx_commit_t *)arg)->st_height);
}

gx_metrics_err_t gx_commit_metrics_register(gx_commit_t *c, gx_metrics_t *m) {
  gx_metrics_err_t e = 0;
#define GX_C(name, labels, help, cell) \
  if (!e) e = gx_metrics_counter(m, name, labels, help, cell)
  GX_C("gx_blackholes_committed_total", NULL, "Black holes committed (appended and durable).", &c->st_blocks);
  GX_C("gx_blackholes_empty_total", NULL, "Committed black holes without transfers.", &c->st_empty);
  GX_C("gx_transfers_committed_total", NULL, "Transfers committed in black holes.", &c->st_txs);
  GX_C("gx_certificates_total", NULL, "Black hole certificates completed (f+1 signatures).", &c->st_certs);
  GX_C("gx_commit_signature_checks_total", NULL, "Agreed transfers the commit stage verified itself (this node had not verified them yet).", &c->st_sig_checked);
  GX_C("gx_committee_changes_total", NULL, "Committee switches at epoch boundaries since start.", &c->st_committee_changes);
  GX_C("gx_equivocations_total", NULL, "Equivocations detected and recorded with their proof.", &c->st_equiv);
  GX_C("gx_sync_blackholes_total", NULL, "Black holes fetched from peers and applied.", &c->st_synced);
  GX_C("gx_sync_failures_total", NULL, "Black holes from peers refused (certificate, chain, state).", &c->st_sync_fail);
  GX_C("gx_consensus_messages_in_total", NULL, "Authenticated consensus messages received.", &c->st_acs_msgs_in);
  GX_C("gx_consensus_messages_out_total", NULL, "Consensus messages sent.", &c->st_acs_msgs_out);
  GX_C("gx_consensus_sent_bytes_total", NULL, "Consensus bytes sent.", &c->st_acs_bytes_out);
  static const char *const drop_labels[GX_ACS_ERR_COUNT] = {
      [GX_ACS_DROP_DECODE] = "malformed", [GX_ACS_DROP_SENDER] = "sender",
      [GX_ACS_DROP_INSTANCE] = "instance", [GX_ACS_DROP_STALE] = "stale",
      [GX_ACS_DROP_FUTURE] = "future",     [GX_ACS_DROP_RBC] = "rbc_refused",
      [GX_ACS_DROP_BA] = "ba_refused"};
  for (int r = GX_ACS_DROP_DECODE; r < GX_ACS_ERR_COUNT; r++) {
    char labels[64];
    snprintf(labels, sizeof labels, "reason=\"%s\"", drop_labels[r]);
    GX_C("gx_consensus_dropped_total", labels, "Consensus messages dropped, by reason (stale: epoch already out).", &c->st_acs_drops[r]);
  }
  for (int r = 0; r < GX_LEDGER_REJ__COUNT; r++) {
    char labels[64];
    snprintf(labels, sizeof labels, "reason=\"%s\"", gx_ledger_reject_label((gx_ledger_reject_t)r));
    GX_C("gx_transfers_rejected_total", labels, "Agreed transfers left out of black holes, by reason.", &c->st_rejected[r]);
  }
  for (int r = 0; r < GX_LINK_ERR__COUNT; r++) {
    if (r == GX_LINK_ERR_BUFSZ) continue;
    char labels[64];
    snprintf(labels, sizeof labels, "outcome=\"%s\"", gx_link_err_label((gx_link_err_t)r));
    GX_C("gx_link_datagrams_total", labels, "Validator link datagrams received, by outcome.", &c->st_link[r]);
  }
#undef GX_C
  if (!e) e = gx_metrics_gauge_fn(m, "gx_blackhole_height", NULL, "Height of the last committed black hole.",
                                  gx_commit_height_fn, c);
  if (!e) e = gx_metrics_histogram(m, "gx_epoch_commit_seconds", NULL,
                                   "Time from proposing in an epoch to committing its black hole.", &c->epoch_hist);
  if (!e) e = gx_metrics_histogram(m, "gx_blackhole_apply_seconds", NULL,
                                   "Ledger validation plus durable store append of one black hole.", &c->apply_hist);
  if (!e) e = gx_hier_metrics_register(c, m);
  return e;
}
