#include "apps/galaxyd/chain.h"

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
static size_t gx_pool_take_shard(void *ctx, uint32_t shard, uint32_t n_shards, uint8_t *out,
                                 size_t max, int *any_ready) {
  return gx_ingest_take_shard(ctx, shard, n_shards, out, max, any_ready);
}
static void gx_pool_held(void *ctx, const uint8_t *const *xfers, const gx_hash_t *ids, size_t n,
                         uint8_t *held) {
  gx_ingest_held(ctx, xfers, ids, n, held);
}
static void gx_pool_verified(void *ctx, const uint8_t xfer[GX_XFER_SZ]) {
  gx_ingest_note_verified(ctx, xfer);
}
static void gx_pool_committed(void *ctx, const gx_pubkey_t *accounts, const uint64_t *seqs,
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
  ch->pool = (gx_txpool_t){ingest, gx_pool_take_shard, gx_pool_held, gx_pool_verified, gx_pool_committed};
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

/* ---- JSON API ------------------------------------------------------------------------- */
static int gx_api_error(char *body, size_t cap, size_t *len, const char **type, int status,
                        const char *msg) {
  *len = (size_t)snprintf(body, cap, "{\"error\":\"%s\"}\n", msg);
  *type = "application/json";
  return status;
}

/* The path's last segment after prefix; NULL when empty or containing '/'. */
static const char *gx_api_arg(const gx_http_req_t *req, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(req->path, prefix, n) != 0) return NULL;
  const char *a = req->path + n;
  return (*a && !strchr(a, '/') && strlen(a) < 200) ? a : NULL;
}

static int gx_api_height(const char *s, uint64_t *h) { return gx_parse_u64(s, h) == 0 && *h > 0 ? 0 : -1; }

static int gx_api_status(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                         const char **type) {
  (void)req;
  gx_galaxy_t *ch = ctx;
  gx_ingest_snapshot_t is;
  memset(&is, 0, sizeof is);
  if (ch->ingest) gx_ingest_snapshot(ch->ingest, &is);
  *type = "application/json";
  if (!ch->commit) {
    *len = (size_t)snprintf(body, cap,
                            "{\"chain\":false,\"mempool\":%llu,\"verified\":%llu,\"duplicates\":%llu}\n",
                            (unsigned long long)is.mempool_size, (unsigned long long)is.verified_ok,
                            (unsigned long long)is.duplicates);
    return 200;
  }
  gx_commit_status_t s;
  gx_commit_status(ch->commit, &s);
  char tip[65];
  gx_hex_encode(tip, s.tip.b, 32);
  size_t n = (size_t)snprintf(
      body, cap,
      "{\"chain\":true,\"name\":\"%s\",\"validator\":%d,\"validators\":%u,\"committee_changes\":%llu,\"height\":%llu,"
      "\"tip\":\"%s\",\"next_epoch\":%llu,\"blackholes\":%llu,\"empty_blackholes\":%llu,"
      "\"transfers_committed\":%llu,\"certificates\":%llu,\"equivocations\":%llu,"
      "\"synced_blackholes\":%llu,\"supply\":%llu,\"total_balance\":%llu,\"syncing\":%s,\"healthy\":%s,\"failure\":\"%s\","
      "\"mempool\":%llu,\"verified\":%llu,\"verify_failed\":%llu,\"duplicates\":%llu,\"rejected\":{",
      ch->genesis_v.name, s.member, s.members, (unsigned long long)s.committee_changes,
      (unsigned long long)s.height, tip,
      (unsigned long long)s.next_epoch, (unsigned long long)s.blocks,
      (unsigned long long)s.empty_blocks, (unsigned long long)s.txs, (unsigned long long)s.certs,
      (unsigned long long)s.equivocations, (unsigned long long)s.synced_blocks,
      (unsigned long long)ch->genesis_v.supply, (unsigned long long)s.total_balance, s.syncing ? "true" : "false", s.running && !s.failure[0] ? "true" : "false", s.failure,
      (unsigned long long)is.mempool_size, (unsigned long long)is.verified_ok,
      (unsigned long long)is.verify_failed, (unsigned long long)is.duplicates);
  for (int r = 0; r < GX_LEDGER_REJ__COUNT && n < cap; r++)
    n += (size_t)snprintf(body + n, cap - n, "%s\"%s\":%llu", r ? "," : "",
                          gx_ledger_reject_label((gx_ledger_reject_t)r), (unsigned long long)s.rejected[r]);
  if (n < cap) n += (size_t)snprintf(body + n, cap - n, "}}\n");
  *len = n < cap ? n : cap;
  return 200;
}

static int gx_api_account(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                          const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return gx_api_error(body, cap, len, type, 503, "this node runs no chain");
  const char *a = gx_api_arg(req, "/v1/account/");
  if (!a) return gx_api_error(body, cap, len, type, 400, "expected /v1/account/ADDRESS");
  gx_pubkey_t pk;
  gx_addr_err_t ae = gx_addr_decode(&pk, a);
  if (ae) return gx_api_error(body, cap, len, type, 400, gx_addr_strerror(ae));
  gx_ledger_account_t acct;
  if (gx_commit_account(ch->commit, &pk, &acct) != 0)
    return gx_api_error(body, cap, len, type, 404, "unknown account");
  char head[65];
  gx_hex_encode(head, acct.head.b, 32);
  *len = (size_t)snprintf(body, cap, "{\"address\":\"%s\",\"balance\":%llu,\"seq\":%llu,\"head\":\"%s\"}\n",
                          a, (unsigned long long)acct.balance, (unsigned long long)acct.seq, head);
  *type = "application/json";
  return 200;
}

static int gx_api_tx(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                     const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return gx_api_error(body, cap, len, type, 503, "this node runs no chain");
  const char *a = gx_api_arg(req, "/v1/tx/");
  gx_hash_t id;
  if (!a || strlen(a) != 64 || gx_hex_decode(id.b, 32, a) != 0)
    return gx_api_error(body, cap, len, type, 400, "expected /v1/tx/ID with a 64-hex transaction id");
  uint64_t height;
  uint32_t index;
  gx_store_err_t e = gx_store_find_tx(gx_commit_store(ch->commit), &id, &height, &index);
  *type = "application/json";
  if (e == GX_STORE_ENOTFOUND) {
    *len = (size_t)snprintf(body, cap, "{\"id\":\"%s\",\"committed\":false}\n", a);
    return 404;
  }
  if (e != GX_STORE_OK) return gx_api_error(body, cap, len, type, 500, gx_store_strerror(e));
  *len = (size_t)snprintf(body, cap, "{\"id\":\"%s\",\"committed\":true,\"height\":%llu,\"index\":%u}\n",
                          a, (unsigned long long)height, index);
  return 200;
}

/* Reads the record of height into body; returns the status. */
static int gx_api_read(gx_galaxy_t *ch, const char *prefix, const gx_http_req_t *req, char *body,
                       size_t cap, size_t *len, const char **type, gx_store_rec_t *rec,
                       uint64_t *height) {
  const char *a = gx_api_arg(req, prefix);
  if (!a || gx_api_height(a, height) != 0)
    return gx_api_error(body, cap, len, type, 400, "expected a height (a whole number >= 1)");
  gx_store_t *st = gx_commit_store(ch->commit);
  uint32_t rec_len;
  gx_store_err_t e = gx_store_record_size(st, *height, &rec_len);
  if (e == GX_STORE_ENOTFOUND || (e == GX_STORE_OK && *height > gx_store_durable_height(st)))
    return gx_api_error(body, cap, len, type, 404, "no black hole at that height yet");
  if (e != GX_STORE_OK) return gx_api_error(body, cap, len, type, 500, gx_store_strerror(e));
  if (rec_len > cap) return gx_api_error(body, cap, len, type, 507, "black hole larger than the API buffer");
  e = gx_store_get(st, *height, (uint8_t *)body, cap, rec);
  if (e != GX_STORE_OK) return gx_api_error(body, cap, len, type, 500, gx_store_strerror(e));
  return 200;
}

static int gx_api_raw_bh(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                         const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return gx_api_error(body, cap, len, type, 503, "this node runs no chain");
  gx_store_rec_t rec;
  uint64_t h;
  int st = gx_api_read(ch, "/v1/raw/blackhole/", req, body, cap, len, type, &rec, &h);
  if (st != 200) return st;
  memmove(body, rec.body, rec.body_len);
  *len = rec.body_len;
  *type = "application/octet-stream";
  return 200;
}

static int gx_api_raw_cert(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                           const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return gx_api_error(body, cap, len, type, 503, "this node runs no chain");
  const char *a = gx_api_arg(req, "/v1/raw/cert/");
  uint64_t h;
  if (!a || gx_api_height(a, &h) != 0)
    return gx_api_error(body, cap, len, type, 400, "expected a height (a whole number >= 1)");
  if (gx_commit_cert(ch->commit, h, (uint8_t *)body, cap, len) != 0)
    return gx_api_error(body, cap, len, type, 404, "no certificate for that height here");
  *type = "application/octet-stream";
  return 200;
}

static int gx_api_blackhole(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                            const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return gx_api_error(body, cap, len, type, 503, "this node runs no chain");
  gx_store_rec_t rec;
  uint64_t h;
  int st = gx_api_read(ch, "/v1/blackhole/", req, body, cap, len, type, &rec, &h);
  if (st != 200) return st;
  gx_bh_header_t hdr;
  if (rec.body_len < GX_BH_HDR_SZ || gx_bh_header_decode(&hdr, rec.body, GX_BH_HDR_SZ) != GX_PROTO_OK)
    return gx_api_error(body, cap, len, type, 500, "stored black hole does not decode");
  /* The JSON is built after the record: copy the ids out first (body is the buffer). */
  uint32_t n = rec.tx_count;
  size_t ids_bytes = (size_t)n * 32;
  uint8_t *ids = malloc(ids_bytes ? ids_bytes : 1);
  if (!ids) return gx_api_error(body, cap, len, type, 500, "out of memory");
  memcpy(ids, rec.tx_hashes, ids_bytes);
  char id[65], prev[65], er[65], sr[65];
  gx_hex_encode(id, rec.hash.b, 32);
  gx_hex_encode(prev, hdr.prev.b, 32);
  gx_hex_encode(er, hdr.entries_root.b, 32);
  gx_hex_encode(sr, hdr.state_root.b, 32);
  size_t k = (size_t)snprintf(body, cap,
                              "{\"height\":%llu,\"id\":\"%s\",\"epoch\":%llu,\"prev\":\"%s\","
                              "\"entries_root\":\"%s\",\"state_root\":\"%s\",\"tx_count\":%u,\"txs\":[",
                              (unsigned long long)hdr.height, id, (unsigned long long)hdr.epoch, prev,
                              er, sr, hdr.tx_count);
  for (uint32_t i = 0; i < n && k + 80 < cap; i++) {
    char t[65];
    gx_hex_encode(t, ids + 32 * (size_t)i, 32);
    k += (size_t)snprintf(body + k, cap - k, "%s\"%s\"", i ? "," : "", t);
  }
  free(ids);
  k += (size_t)snprintf(body + k, cap - k, "]}\n");
  *len = k < cap ? k : cap;
  *type = "application/json";
  return 200;
}

int gx_galaxy_routes(gx_galaxy_t *ch, gx_http_t *http) {
  return gx_http_route(http, "GET", "/v1/status", gx_api_status, ch) ||
         gx_http_route(http, "GET", "/v1/account/*", gx_api_account, ch) ||
         gx_http_route(http, "GET", "/v1/tx/*", gx_api_tx, ch) ||
         gx_http_route(http, "GET", "/v1/blackhole/*", gx_api_blackhole, ch) ||
         gx_http_route(http, "GET", "/v1/raw/blackhole/*", gx_api_raw_bh, ch) ||
         gx_http_route(http, "GET", "/v1/raw/cert/*", gx_api_raw_cert, ch);
}
