#include "apps/galaxyd/galaxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_key.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_sock.h"
#include "validator/gx_cert.h"

#define GX_GALAXY_MAX_BALANCES (1u << 20)

static int gx_galaxy_submit_open(gx_galaxy_t *ch, char *err, size_t errlen);

void gx_galaxy_defaults(gx_galaxy_t *ch) {
  memset(ch, 0, sizeof *ch);
  snprintf(ch->durability, sizeof ch->durability, "group");
  ch->tick_ms = 200;
  ch->idle_epoch_ms = 500;
  ch->epoch_interval_ms = 100;
  ch->core = -1;
  gx_commit_cfg_defaults(&ch->commit_cfg);
  ch->submit.fd = -1;
  pthread_mutex_init(&ch->submit.lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ch->submit.cond, &ca);
  pthread_condattr_destroy(&ca);
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
  /* the submit path: our own ingest (socket mode; DPDK mode: gx_galaxy_open) */
  ch->max_future = cfg->ingest.mempool.max_future;
  ch->star_role = !strcmp(cfg->role, "star");
  if (strcmp(cfg->mode, "dpdk") != 0 && cfg->listen_addr.family && cfg->listen_addr.port)
    ch->submit.ingest = cfg->listen_addr;
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
  gx_mempool_cfg_t mr; /* the known table must hold every genesis account (gx_mempool.h) */
  gx_mempool_cfg_resolve(&cfg->ingest.mempool, &mr);
  if (ch->genesis_v.balance_count > mr.max_known)
    gx_node_cfg_problem(cfg, "[mempool] max_known: %llu is less than the %u accounts of the genesis "
                        "(the rest would be judged unfunded)", (unsigned long long)mr.max_known,
                        ch->genesis_v.balance_count);
  if (ch->node_key[0]) {
    if (gx_genesis_node_key_open(&ch->key, ch->node_key, cfg->key_passphrase_file, err, sizeof err) != GX_GENESIS_OK)
      gx_node_cfg_problem(cfg, "[chain] node_key: %s", err); /* err names the file: key or passphrase */
    else if (gx_genesis_node_key_check(&ch->key, &ch->genesis_v, err, sizeof err) != GX_GENESIS_OK)
      gx_node_cfg_problem(cfg, "[chain] node_key %s: %s", ch->node_key, err);
    else if (ch->key.star && !ch->star_role)
      gx_node_cfg_problem(cfg, "[chain] node_key %s is star %u of cluster %u: set [node] role = star",
                          ch->node_key, ch->key.index, ch->key.cluster);
    else if (!ch->key.star && ch->star_role)
      gx_node_cfg_problem(cfg, "[chain] node_key %s is validator %u (a galaxy): [node] role = star needs a "
                          "star's key (galaxyctl genesis --clusters)", ch->node_key, ch->key.index);
  }
  if (ch->star_role && !ch->commit_cfg.n_sync_peers)
    gx_node_cfg_problem(cfg, "[chain] sync_peers: a star follows the galaxies' black holes from their API: "
                        "give at least one galaxy's admin address");
  if (ch->star_role && strcmp(cfg->mode, "socket") != 0)
    gx_node_cfg_problem(cfg, "[node] role = star runs in socket mode only (the DPDK link channel is a galaxy's)");
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

/* Our consensus address: our member entry in the first committee (a
 * star's: in its cluster's). */
static int gx_galaxy_consensus_addr(const gx_galaxy_t *ch, gx_addr_t *a, char *err, size_t errlen) {
  gx_committee_t com;
  if (ch->key.star) gx_genesis_cluster_committee(&ch->genesis_v, ch->key.cluster, &com);
  else gx_genesis_committee(&ch->genesis_v, &com);
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

/* An exclusive UDP socket for consensus links at addr (port 0: any). */
static gx_sock_t *gx_galaxy_link_socket(const gx_addr_t *addr, char *err, size_t errlen) {
  gx_sock_cfg_t sc;
  gx_sock_cfg_defaults(&sc);
  sc.bind = *addr;
  sc.rcvbuf_bytes = sc.sndbuf_bytes = 16 << 20;
  sc.poll_timeout_ms = 0; /* the stage sleeps in gx_dp_rx_wait */
  sc.exclusive = 1;       /* a second node on our address fails, as it must */
  char why[256], text[GX_SOCK_ADDR_STRLEN + 8];
  gx_sock_t *sock = gx_sock_open(&sc, why, sizeof why);
  if (!sock) {
    gx_sock_addr_format(addr, text, sizeof text);
    snprintf(err, errlen, "cannot bind the consensus socket %s: %s", text, why);
  }
  return sock;
}

/* Ingest's rebuilt LSH blocks go to the commit stage's inbox (a galaxy of a
 * clustered genesis). On an RX thread. */
static int gx_galaxy_lsh_sink(void *ctx, const gx_hash_t *id, const uint8_t *block, size_t len) {
  (void)id;
  gx_galaxy_t *ch = ctx;
  return ch->commit ? gx_commit_offer_lsh(ch->commit, block, len) : -1;
}

/* What a star knows of the chain: its commit stage's tip (it follows the
 * galaxies) and the galaxies' folded chain of its cluster. */
static void gx_galaxy_star_chain(void *ctx, gx_star_chain_t *out) {
  gx_galaxy_t *ch = ctx;
  gx_commit_status_t st;
  gx_commit_status(ch->commit, &st);
  out->base_height = st.height;
  out->base = st.tip;
  gx_commit_hier_status_t hs;
  gx_commit_hier_status(ch->commit, &hs);
  if (ch->key.cluster < hs.cluster_count) {
    out->folded_height = hs.cluster[ch->key.cluster].height;
    out->folded = hs.cluster[ch->key.cluster].id;
    out->folded_base_height = hs.cluster[ch->key.cluster].base_height;
    out->folded_base = hs.cluster[ch->key.cluster].base;
  }
}

/* A star's stage: its cluster's consensus and LSH blocks, sent to every
 * galaxy's ingest address from the genesis. */
static int gx_galaxy_open_star(gx_galaxy_t *ch, gx_metrics_t *m, char *err, size_t errlen) {
  gx_star_cfg_t *sc = &ch->star_cfg;
  gx_star_cfg_defaults(sc);
  const gx_genesis_t *g = &ch->genesis_v;
  for (unsigned i = 0; i < g->n && sc->n_uplink < GX_STAR_MAX_UPLINK; i++) {
    if (!g->v[i].ingest_port) continue;
    char why[256];
    if (gx_sock_addr_resolve(g->v[i].ingest_host, g->v[i].ingest_port, &sc->uplink[sc->n_uplink], why,
                             sizeof why)) {
      snprintf(err, errlen, "galaxy %u's ingest address: %s", i, why);
      return -1;
    }
    sc->n_uplink++;
  }
  if (!sc->n_uplink) {
    snprintf(err, errlen, "the genesis gives no galaxy an ingest address: a star has nowhere to send its "
             "cluster's blocks (galaxyctl genesis --ingest-port-base)");
    return -1;
  }
  sc->genesis = g;
  sc->key = &ch->key;
  sc->link_queue = gx_sock_queue(ch->star_sock, 0);
  sc->pool = ch->commit_cfg.pool;
  sc->chain = gx_galaxy_star_chain;
  sc->chain_ctx = ch;
  sc->batch_max = ch->batch_max;
  sc->tick_ms = ch->tick_ms;
  sc->core = ch->core;
  if (!(ch->star = gx_star_new(sc, err, errlen))) return -1;
  gx_metrics_err_t me = gx_star_metrics_register(ch->star, m);
  if (me) {
    snprintf(err, errlen, "metrics: %s", gx_metrics_strerror(me));
    return -1;
  }
  return 0;
}

int gx_galaxy_open(gx_galaxy_t *ch, gx_ingest_t *ingest, gx_dpdk_t *dpdk, gx_metrics_t *m,
                   char *err, size_t errlen) {
  ch->ingest = ingest;
  if (!ch->enabled) return 0;
  if (ingest) { /* the mempool tells the chain's accounts from junk (ingest/gx_mempool.h) */
    gx_pubkey_t keys[256];
    uint64_t lost = 0;
    uint32_t i = 0, n = ch->genesis_v.balance_count;
    do {
      size_t k = 0;
      while (k < 256 && i < n) keys[k++] = ch->genesis_v.balances[i++].account;
      lost += gx_ingest_genesis_accounts(ingest, keys, k);
    } while (i < n);
    if (lost) GX_WARN("galaxyd", "mempool: %llu genesis accounts found no room in the known table",
                      (unsigned long long)lost);
  }
  gx_commit_cfg_t *cc = &ch->commit_cfg;
  gx_addr_t addr;
  if (gx_galaxy_consensus_addr(ch, &addr, err, errlen)) return -1;
  if (dpdk) { /* consensus datagrams through the DPDK port, on our genesis port */
    if (gx_galaxy_dpdk_check(ch, gx_dpdk_local(dpdk), err, errlen)) return -1;
    cc->link_queue = gx_dpdk_link_open(dpdk, addr.port, err, errlen);
    if (!cc->link_queue) return -1;
  } else if (ch->key.star) { /* the cluster's links on our genesis address; the commit
                                 stage only follows: a socket on a port of the system's */
    if (!(ch->star_sock = gx_galaxy_link_socket(&addr, err, errlen))) return -1;
    gx_addr_t any = addr;
    any.port = 0;
    if (!(ch->link_sock = gx_galaxy_link_socket(&any, err, errlen))) return -1;
    cc->link_queue = gx_sock_queue(ch->link_sock, 0);
  } else { /* an exclusive UDP socket of its own at our genesis address */
    if (!(ch->link_sock = gx_galaxy_link_socket(&addr, err, errlen))) return -1;
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
  if (dpdk) { /* the submit path sends to the port's address, through the kernel */
    const gx_pkt_local_t *lo = gx_dpdk_local(dpdk);
    gx_addr_t in = {.family = lo->has_ip4 ? 4 : 6, .port = lo->udp_port};
    memcpy(in.ip, lo->has_ip4 ? lo->ip4 : lo->ip6, lo->has_ip4 ? 4 : 16);
    if (lo->has_ip4 || lo->has_ip6) ch->submit.ingest = in;
  }
  if (gx_galaxy_submit_open(ch, err, errlen)) return -1;
  ch->commit = gx_commit_new(cc, err, errlen);
  if (!ch->commit) return -1;
  gx_metrics_err_t me = gx_commit_metrics_register(ch->commit, m);
  /* the consensus socket's drops too: a datagram over its 2048-byte slot never
   * reaches gx_link (gx_sock_rx_oversize_total{queue="link"}) */
  if (!me && ch->link_sock) me = gx_sock_metrics_register_as(ch->link_sock, m, "link");
  if (me) {
    snprintf(err, errlen, "metrics: %s", gx_metrics_strerror(me));
    return -1;
  }
  if (ch->key.star) return gx_galaxy_open_star(ch, m, err, errlen);
  if (ch->genesis_v.cluster_count && ingest &&
      gx_ingest_set_lsh_sink(ingest, gx_galaxy_lsh_sink, ch) != 0) {
    snprintf(err, errlen, "ingest cannot take LSH blocks ([ingest] lsh_slots is 0?): a galaxy of a "
             "clustered genesis needs them");
    return -1;
  }
  return 0;
}

/* ---- the submit path ---- */
static uint64_t gx_galaxy_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A UDP socket connected to our ingest address (a wildcard: its loopback). */
static int gx_galaxy_submit_open(gx_galaxy_t *ch, char *err, size_t errlen) {
  gx_galaxy_submit_t *sb = &ch->submit;
  gx_addr_t a = sb->ingest;
  if (!a.family) return 0; /* no address known: POST /v1/tx answers 503 */
  static const uint8_t zero[16];
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (a.family == 4) {
    if (!memcmp(a.ip, zero, 4)) a.ip[0] = 127, a.ip[3] = 1;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a.port);
    memcpy(&s4->sin_addr, a.ip, 4);
    sl = sizeof *s4;
  } else {
    if (!memcmp(a.ip, zero, 16)) a.ip[15] = 1;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a.port);
    memcpy(&s6->sin6_addr, a.ip, 16);
    sl = sizeof *s6;
  }
  sb->ingest = a;
  sb->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sb->fd < 0 || connect(sb->fd, (struct sockaddr *)&ss, sl) != 0) {
    char text[GX_SOCK_ADDR_STRLEN + 8];
    gx_sock_addr_format(&a, text, sizeof text);
    snprintf(err, errlen, "the API's submit socket to our ingest %s: %s", text, strerror(errno));
    if (sb->fd >= 0) close(sb->fd);
    sb->fd = -1;
    return -1;
  }
  return 0;
}

int gx_galaxy_submit_send(gx_galaxy_t *ch, const uint8_t enc[GX_XFER_SZ], char *err, size_t errlen) {
  gx_galaxy_submit_t *sb = &ch->submit;
  if (sb->fd < 0) {
    snprintf(err, errlen, "this node knows no ingest address to send to ([node] listen port 0?)");
    return -1;
  }
  uint8_t dg[GX_BATCH_HDR_SZ + GX_XFER_SZ];
  size_t n = gx_batch_encode(dg, sizeof dg, enc, 1, 0);
  for (int attempt = 0; attempt < 2; attempt++) { /* a refusal reported late fails one send */
    ssize_t r = send(sb->fd, dg, n, MSG_DONTWAIT);
    if (r == (ssize_t)n) return 0;
    if (r >= 0 || errno != ECONNREFUSED) break;
  }
  char text[GX_SOCK_ADDR_STRLEN + 8];
  gx_sock_addr_format(&sb->ingest, text, sizeof text);
  snprintf(err, errlen, "cannot send to our ingest at %s: %s", text, strerror(errno));
  return -1;
}

int gx_galaxy_outcome(gx_galaxy_t *ch, const gx_hash_t *id, gx_galaxy_outcome_t *out, char *err,
                      size_t errlen) {
  memset(out, 0, sizeof *out);
  uint64_t height;
  uint32_t index;
  gx_store_err_t e = gx_store_find_tx(gx_commit_store(ch->commit), id, &height, &index);
  if (e == GX_STORE_OK) {
    out->state = GX_GALAXY_TX_COMMITTED;
    out->height = height;
    out->index = index;
    return 0;
  }
  if (e != GX_STORE_ENOTFOUND) {
    snprintf(err, errlen, "%s", gx_store_strerror(e));
    return -1;
  }
  gx_commit_rejection_t r;
  if (gx_commit_rejected(ch->commit, id, &r) == 0) {
    out->state = GX_GALAXY_TX_REJECTED;
    out->reason = r.reason;
    out->height = r.height;
  }
  return 0;
}

int gx_galaxy_submit_admit(gx_galaxy_t *ch, unsigned *retry_s) {
  gx_galaxy_submit_t *sb = &ch->submit;
  uint64_t now = gx_galaxy_now_ns();
  pthread_mutex_lock(&sb->lock);
  if (!sb->refill_ns) sb->tokens = GX_GALAXY_SUBMIT_BURST;
  else sb->tokens += (double)(now - sb->refill_ns) * GX_GALAXY_SUBMIT_RATE / 1e9;
  if (sb->tokens > GX_GALAXY_SUBMIT_BURST) sb->tokens = GX_GALAXY_SUBMIT_BURST;
  sb->refill_ns = now;
  int ok = sb->tokens >= 1.0;
  if (ok) sb->tokens -= 1.0;
  else *retry_s = (unsigned)((1.0 - sb->tokens) / GX_GALAXY_SUBMIT_RATE) + 1;
  pthread_mutex_unlock(&sb->lock);
  return ok;
}

int gx_galaxy_wait_reserve(gx_galaxy_t *ch) {
  gx_galaxy_submit_t *sb = &ch->submit;
  int slot = -1;
  pthread_mutex_lock(&sb->lock);
  if (sb->stopping) slot = -2;
  for (int i = 0; i < GX_GALAXY_WAITERS && slot == -1; i++)
    if (!sb->waiters[i].state) {
      sb->waiters[i].state = 1;
      slot = i;
    }
  pthread_mutex_unlock(&sb->lock);
  return slot;
}

void gx_galaxy_wait_release(gx_galaxy_t *ch, int slot) {
  pthread_mutex_lock(&ch->submit.lock);
  ch->submit.waiters[slot].state = 0;
  pthread_mutex_unlock(&ch->submit.lock);
}

void gx_galaxy_wait_arm(gx_galaxy_t *ch, int slot, const gx_hash_t *id, unsigned seconds,
                        gx_http_wait_t *w, gx_galaxy_wait_done_t done) {
  gx_galaxy_submit_t *sb = &ch->submit;
  gx_galaxy_waiter_t *wt = &sb->waiters[slot];
  pthread_mutex_lock(&sb->lock);
  if (sb->stopping || !sb->thread_up) { /* nobody would answer it: answer now */
    wt->state = 0;
    pthread_mutex_unlock(&sb->lock);
    gx_galaxy_outcome_t o = {.state = GX_GALAXY_TX_STOPPING};
    done(ch, w, id, &o);
    return;
  }
  wt->id = *id;
  wt->deadline_ns = gx_galaxy_now_ns() + (uint64_t)seconds * 1000000000ull;
  wt->w = w;
  wt->done = done;
  wt->state = 2;
  pthread_cond_broadcast(&sb->cond);
  pthread_mutex_unlock(&sb->lock);
}

/* The waiting thread: looks every armed waiter up each GX_GALAXY_WAIT_POLL_MS
 * (outside the lock: only this thread frees an armed slot), answers the ones
 * with an outcome or out of time; when stopping, answers all. */
static void *gx_galaxy_wait_main(void *arg) {
  gx_galaxy_t *ch = arg;
  gx_galaxy_submit_t *sb = &ch->submit;
  pthread_setname_np(pthread_self(), "gx-submit-wait");
  pthread_mutex_lock(&sb->lock);
  while (!sb->stopping) {
    int armed[GX_GALAXY_WAITERS], n = 0;
    for (int i = 0; i < GX_GALAXY_WAITERS; i++)
      if (sb->waiters[i].state == 2) armed[n++] = i;
    if (!n) {
      pthread_cond_wait(&sb->cond, &sb->lock);
      continue;
    }
    pthread_mutex_unlock(&sb->lock);
    uint64_t now = gx_galaxy_now_ns();
    for (int k = 0; k < n; k++) {
      gx_galaxy_waiter_t *wt = &sb->waiters[armed[k]];
      gx_galaxy_outcome_t o;
      char err[256];
      if (gx_galaxy_outcome(ch, &wt->id, &o, err, sizeof err) != 0) o.state = GX_GALAXY_TX_PENDING;
      if (o.state == GX_GALAXY_TX_PENDING && now < wt->deadline_ns) continue;
      wt->done(ch, wt->w, &wt->id, &o);
      pthread_mutex_lock(&sb->lock);
      wt->state = 0;
      pthread_mutex_unlock(&sb->lock);
    }
    pthread_mutex_lock(&sb->lock);
    if (sb->stopping) break;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += GX_GALAXY_WAIT_POLL_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&sb->cond, &sb->lock, &ts);
  }
  for (int i = 0; i < GX_GALAXY_WAITERS; i++) { /* stopping: nobody waits any longer */
    gx_galaxy_waiter_t *wt = &sb->waiters[i];
    if (wt->state != 2) continue;
    gx_galaxy_outcome_t o = {.state = GX_GALAXY_TX_STOPPING};
    pthread_mutex_unlock(&sb->lock);
    wt->done(ch, wt->w, &wt->id, &o);
    pthread_mutex_lock(&sb->lock);
    wt->state = 0;
  }
  pthread_mutex_unlock(&sb->lock);
  return NULL;
}

/* ---- lifecycle ---- */
int gx_galaxy_start(gx_galaxy_t *ch, char *err, size_t errlen) {
  if (!ch->commit) return 0;
  if (gx_commit_start(ch->commit, err, errlen) != 0) return -1;
  if (ch->star && gx_star_start(ch->star, err, errlen) != 0) return -1;
  if (pthread_create(&ch->submit.thread, NULL, gx_galaxy_wait_main, ch) != 0) {
    snprintf(err, errlen, "cannot start the submit waiting thread");
    return -1;
  }
  pthread_mutex_lock(&ch->submit.lock);
  ch->submit.thread_up = 1;
  pthread_mutex_unlock(&ch->submit.lock);
  return 0;
}

void gx_galaxy_stop(gx_galaxy_t *ch) {
  gx_galaxy_submit_t *sb = &ch->submit;
  pthread_mutex_lock(&sb->lock);
  sb->stopping = 1;
  int up = sb->thread_up;
  pthread_cond_broadcast(&sb->cond);
  pthread_mutex_unlock(&sb->lock);
  if (up) pthread_join(sb->thread, NULL); /* it answers every waiting request */
  gx_star_stop(ch->star);
  if (ch->commit) gx_commit_stop(ch->commit);
}

void gx_galaxy_close(gx_galaxy_t *ch) {
  gx_star_delete(ch->star);
  ch->star = NULL;
  gx_sock_close(ch->star_sock);
  ch->star_sock = NULL;
  gx_commit_delete(ch->commit);
  ch->commit = NULL;
  if (ch->submit.fd >= 0) close(ch->submit.fd);
  ch->submit.fd = -1;
  gx_sock_close(ch->link_sock);
  ch->link_sock = NULL;
  gx_genesis_node_key_wipe(&ch->key);
  free(ch->balances);
  ch->balances = NULL;
}

