#include "apps/galaxyd/galaxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_sock.h"
#include "validator/gx_cert.h"

#define GX_GALAXY_MAX_BALANCES (1u << 20)

void gx_galaxy_defaults(gx_galaxy_t *ch) {
  memset(ch, 0, sizeof *ch);
  snprintf(ch->durability, sizeof ch->durability, "group");
  ch->tick_ms = 200;
  ch->idle_epoch_ms = 500;
  ch->epoch_interval_ms = 100;
  ch->core = -1;
  gx_commit_cfg_defaults(&ch->commit_cfg);
}

static int gx_galaxy_uint(const char *v, unsigned max, unsigned *out) {
  uint64_t x;
  if (gx_parse_u64(v, &x) || x > max) return -1;
  *out = (unsigned)x;
  return 0;
}

int gx_galaxy_cfg_key(void *ctx, const char *key, const char *value, char *err, size_t errlen) {
  gx_galaxy_t *ch = ctx;
#define GX_STR(name, field)                                                                \
  if (!strcmp(key, name)) {                                                                \
    if (strlen(value) >= sizeof ch->field) {                                               \
      snprintf(err, errlen, "%s: longer than %zu characters", name, sizeof ch->field - 1); \
      return -1;                                                                           \
    }                                                                                      \
    snprintf(ch->field, sizeof ch->field, "%s", value);                                    \
    return 0;                                                                              \
  }
  GX_STR("genesis", genesis)
  GX_STR("node_key", node_key)
  GX_STR("data_dir", data_dir)
  GX_STR("sync_peers", sync_peers)
  GX_STR("durability", durability)
  GX_STR("byzantine", byzantine)
#undef GX_STR
  unsigned u;
  if (!strcmp(key, "batch_max")) {
    if (gx_galaxy_uint(value, GX_BH_MAX_TXS, &ch->batch_max)) goto bad;
    return 0;
  }
  if (!strcmp(key, "tick_ms")) {
    if (gx_galaxy_uint(value, 60000, &ch->tick_ms) || !ch->tick_ms) goto bad;
    return 0;
  }
  if (!strcmp(key, "idle_epoch_ms")) {
    if (gx_galaxy_uint(value, 600000, &ch->idle_epoch_ms)) goto bad;
    return 0;
  }
  if (!strcmp(key, "epoch_interval_ms")) {
    if (gx_galaxy_uint(value, 60000, &ch->epoch_interval_ms)) goto bad;
    return 0;
  }
  if (!strcmp(key, "core")) {
    if (!strcmp(value, "-1")) { ch->core = -1; return 0; }
    if (gx_galaxy_uint(value, 4095, &u)) goto bad;
    ch->core = (int)u;
    return 0;
  }
  snprintf(err, errlen, "unknown key '%s'", key);
  return -1;
bad:
  snprintf(err, errlen, "%s = '%s': not a valid value", key, value);
  return -1;
}

void gx_galaxy_check(gx_galaxy_t *ch, gx_node_cfg_t *cfg) {
  if (!ch->genesis[0]) {
    if (ch->node_key[0] || ch->data_dir[0]) gx_node_cfg_problem(cfg, "[chain] genesis is required");
    return; /* ingest-only node */
  }
  ch->enabled = 1;
  if (!ch->node_key[0]) gx_node_cfg_problem(cfg, "[chain] node_key is required with a genesis");
  if (!ch->data_dir[0]) gx_node_cfg_problem(cfg, "[chain] data_dir is required with a genesis");
  int d = gx_store_parse_durability(ch->durability);
  if (d < 0) gx_node_cfg_problem(cfg, "[chain] durability '%s': use block, group or none", ch->durability);
  else ch->commit_cfg.durability = (gx_store_durability_t)d;
  ch->commit_cfg.byzantine = 0;
  if (ch->byzantine[0]) {
    char tmp[64], *save = NULL;
    snprintf(tmp, sizeof tmp, "%s", ch->byzantine);
    for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
      if (!strcmp(t, "garbage")) ch->commit_cfg.byzantine |= GX_COMMIT_BYZ_GARBAGE;
      else if (!strcmp(t, "equivocate")) ch->commit_cfg.byzantine |= GX_COMMIT_BYZ_EQUIVOCATE;
      else if (!strcmp(t, "badsig")) ch->commit_cfg.byzantine |= GX_COMMIT_BYZ_BADSIG;
      else gx_node_cfg_problem(cfg, "[chain] byzantine '%s': use garbage, equivocate, badsig", t);
    }
  }
  ch->commit_cfg.n_sync_peers = 0;
  if (ch->sync_peers[0]) {
    char tmp[1024], *save = NULL;
    snprintf(tmp, sizeof tmp, "%s", ch->sync_peers);
    for (char *t = strtok_r(tmp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
      if (ch->commit_cfg.n_sync_peers >= GX_COMMIT_MAX_SYNC_PEERS) {
        gx_node_cfg_problem(cfg, "[chain] sync_peers: more than %d", GX_COMMIT_MAX_SYNC_PEERS);
        break;
      }
      if (strncmp(t, "http://", 7) != 0) {
        gx_node_cfg_problem(cfg, "[chain] sync_peers '%s': expected http://HOST:PORT", t);
        continue;
      }
      int i = ch->commit_cfg.n_sync_peers++;
      snprintf(ch->sync_store[i], sizeof ch->sync_store[i], "%s", t);
      ch->commit_cfg.sync_peers[i] = ch->sync_store[i];
    }
  }
  char err[300];
  if (!ch->balances) ch->balances = calloc(GX_GALAXY_MAX_BALANCES, sizeof *ch->balances);
  if (!ch->balances) { gx_node_cfg_problem(cfg, "[chain] out of memory for genesis balances"); return; }
  gx_genesis_init(&ch->genesis_v, ch->balances, GX_GALAXY_MAX_BALANCES);
  if (gx_genesis_load(&ch->genesis_v, ch->genesis, err, sizeof err) != GX_GENESIS_OK) {
    gx_node_cfg_problem(cfg, "[chain] genesis %s: %s", ch->genesis, err);
    return;
  }
  if (ch->node_key[0]) {
    if (gx_genesis_node_key_load(&ch->key, ch->node_key, err, sizeof err) != GX_GENESIS_OK)
      gx_node_cfg_problem(cfg, "[chain] node_key %s: %s", ch->node_key, err);
    else if (gx_genesis_node_key_check(&ch->key, &ch->genesis_v, err, sizeof err) != GX_GENESIS_OK)
      gx_node_cfg_problem(cfg, "[chain] node_key %s: %s", ch->node_key, err);
  }
}

void gx_galaxy_print(const gx_galaxy_t *ch, FILE *out) {
  fprintf(out, "\n[chain]\ngenesis = %s\nnode_key = %s\ndata_dir = %s\nsync_peers = %s\n"
               "durability = %s\nbatch_max = %u\ntick_ms = %u\nidle_epoch_ms = %u\n"
               "epoch_interval_ms = %u\ncore = %d\n",
          ch->genesis, ch->node_key, ch->data_dir, ch->sync_peers, ch->durability, ch->batch_max,
          ch->tick_ms, ch->idle_epoch_ms, ch->epoch_interval_ms, ch->core);
  if (ch->byzantine[0]) fprintf(out, "byzantine = %s   # TEST ONLY\n", ch->byzantine);
  if (ch->enabled)
    fprintf(out, "# genesis: chain %s, %u validators, this node is validator %u\n",
            ch->genesis_v.name, ch->genesis_v.n, ch->key.index);
}

/* Our consensus address: our member entry in the first committee. */
static int gx_galaxy_consensus_addr(const gx_galaxy_t *ch, gx_addr_t *a, char *err, size_t errlen) {
  gx_committee_t com;
  gx_genesis_committee(&ch->genesis_v, &com);
  int i = gx_committee_index(&com, &ch->key.identity.pk);
  if (i < 0) {
    snprintf(err, errlen, "[chain] this node's identity is not a member of the first committee");
    return -1;
  }
  char why[256];
  if (gx_sock_addr_resolve(com.m[i].host, com.m[i].port, a, why, sizeof why)) {
    snprintf(err, errlen, "[chain] our genesis address: %s", why);
    return -1;
  }
  return 0;
}

int gx_galaxy_dpdk_check(const gx_galaxy_t *ch, const gx_pkt_local_t *local, char *err,
                         size_t errlen) {
  if (!ch->enabled) return 0;
  char text[GX_SOCK_ADDR_STRLEN + 8];
  gx_addr_t a;
  if (gx_galaxy_consensus_addr(ch, &a, err, errlen)) return -1;
  int ours = (a.family == 4 && local->has_ip4 && !memcmp(a.ip, local->ip4, 4)) ||
             (a.family == 6 && local->has_ip6 && !memcmp(a.ip, local->ip6, 16));
  gx_sock_addr_format(&a, text, sizeof text);
  if (!ours) {
    snprintf(err, errlen, "[chain] our genesis address %s is not an address of the DPDK port "
             "([dpdk] ipv4 / ipv6): in DPDK mode consensus goes through the port", text);
    return -1;
  }
  if (a.port == local->udp_port) {
    snprintf(err, errlen, "[chain] our genesis address %s uses the DPDK ingest port "
             "([dpdk] udp_port): consensus needs a port of its own", text);
    return -1;
  }
  return 0;
}

/* The chain half's view of the ingest pipeline's mempool (validator/gx_txpool.h). */
static size_t gx_galaxy_pool_take_shard(void *ctx, uint32_t shard, uint32_t n_shards, uint8_t *out,
                                 size_t max, int *any_ready) {
  return gx_ingest_take_shard(ctx, shard, n_shards, out, max, any_ready);
}
static void gx_galaxy_pool_held(void *ctx, const uint8_t *const *xfers, const gx_hash_t *ids, size_t n,
                         uint8_t *held) {
  gx_ingest_held(ctx, xfers, ids, n, held);
}
static void gx_galaxy_pool_verified(void *ctx, const uint8_t xfer[GX_XFER_SZ]) {
  gx_ingest_note_verified(ctx, xfer);
}
static void gx_galaxy_pool_committed(void *ctx, const gx_pubkey_t *accounts, const uint64_t *seqs,
                              size_t n_accounts, const uint8_t *const *dropped,
                              const gx_hash_t *dropped_ids, size_t n_dropped) {
  gx_ingest_committed(ctx, accounts, seqs, n_accounts, dropped, dropped_ids, n_dropped);
}

int gx_galaxy_open(gx_galaxy_t *ch, gx_ingest_t *ingest, gx_dpdk_t *dpdk, gx_metrics_t *m,
                   char *err, size_t errlen) {
  ch->ingest = ingest;
  if (!ch->enabled) return 0;
  gx_commit_cfg_t *cc = &ch->commit_cfg;
  gx_addr_t addr;
  if (gx_galaxy_consensus_addr(ch, &addr, err, errlen)) return -1;
  if (dpdk) { /* consensus datagrams through the DPDK port, on our genesis port */
    if (gx_galaxy_dpdk_check(ch, gx_dpdk_local(dpdk), err, errlen)) return -1;
    cc->link_queue = gx_dpdk_link_open(dpdk, addr.port, err, errlen);
    if (!cc->link_queue) return -1;
  } else { /* an exclusive UDP socket of its own at our genesis address */
    gx_sock_cfg_t sc;
    gx_sock_cfg_defaults(&sc);
    sc.bind = addr;
    sc.rcvbuf_bytes = sc.sndbuf_bytes = 16 << 20;
    sc.poll_timeout_ms = 0; /* the commit stage sleeps in gx_dp_rx_wait */
    sc.exclusive = 1;       /* a second node on our address fails, as it must */
    char why[256], text[GX_SOCK_ADDR_STRLEN + 8];
    ch->link_sock = gx_sock_open(&sc, why, sizeof why);
    if (!ch->link_sock) {
      gx_sock_addr_format(&addr, text, sizeof text);
      snprintf(err, errlen, "cannot bind the consensus socket %s: %s", text, why);
      return -1;
    }
    cc->link_queue = gx_sock_queue(ch->link_sock, 0);
  }
  cc->genesis = &ch->genesis_v;
  cc->key = &ch->key;
  cc->data_dir = ch->data_dir;
  cc->batch_max = ch->batch_max;
  cc->tick_ms = ch->tick_ms;
  cc->idle_epoch_ms = ch->idle_epoch_ms;
  cc->epoch_interval_ms = ch->epoch_interval_ms;
  cc->core = ch->core;
  ch->pool = (gx_txpool_t){ingest, gx_galaxy_pool_take_shard, gx_galaxy_pool_held, gx_galaxy_pool_verified, gx_galaxy_pool_committed};
  cc->pool = ingest ? &ch->pool : NULL;
  ch->commit = gx_commit_new(cc, err, errlen);
  if (!ch->commit) return -1;
  gx_metrics_err_t me = gx_commit_metrics_register(ch->commit, m);
  if (me) {
    snprintf(err, errlen, "metrics: %s", gx_metrics_strerror(me));
    return -1;
  }
  return 0;
}

int gx_galaxy_start(gx_galaxy_t *ch, char *err, size_t errlen) {
  return ch->commit ? gx_commit_start(ch->commit, err, errlen) : 0;
}

void gx_galaxy_stop(gx_galaxy_t *ch) {
  if (ch->commit) gx_commit_stop(ch->commit);
}

void gx_galaxy_close(gx_galaxy_t *ch) {
  gx_commit_delete(ch->commit);
  ch->commit = NULL;
  gx_sock_close(ch->link_sock);
  ch->link_sock = NULL;
  gx_genesis_node_key_wipe(&ch->key);
  free(ch->balances);
  ch->balances = NULL;
}

