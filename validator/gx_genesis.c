/* gx_genesis: genesis file and node key files. See gx_genesis.h. */
#include "validator/gx_genesis.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gx_util.h"

static const char *const gx_genesis_errs[GX_GENESIS_ERR__COUNT] = {
  [GX_GENESIS_OK] = "ok",
  [GX_GENESIS_ERR_IO] = "file unreadable or unwritable",
  [GX_GENESIS_ERR_SYNTAX] = "syntax error",
  [GX_GENESIS_ERR_FIELD] = "bad, unknown, duplicate or missing field",
  [GX_GENESIS_ERR_RANGE] = "value or count out of range",
  [GX_GENESIS_ERR_COIN] = "coin keys are not one threshold sharing",
  [GX_GENESIS_ERR_KEY] = "node key file bad or not of this genesis",
  [GX_GENESIS_ERR_MODE] = "secret file readable by others",
  [GX_GENESIS_ERR_PASS] = "no passphrase, a wrong one, or a damaged encrypted file",
};
const char *gx_genesis_strerror(gx_genesis_err_t e) {
  return (unsigned)e < GX_GENESIS_ERR__COUNT ? gx_genesis_errs[e] : "unknown genesis error";
}

static gx_genesis_err_t gx_gen_fail(char *err, size_t errlen, gx_genesis_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static gx_genesis_err_t gx_gen_fail(char *err, size_t errlen, gx_genesis_err_t code, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return code;
}

void gx_genesis_init(gx_genesis_t *g, gx_ledger_alloc_t *balances, uint32_t cap) {
  memset(g, 0, sizeof *g);
  g->balances = balances;
  g->balance_cap = balances ? cap : 0;
}

unsigned gx_genesis_f(const gx_genesis_t *g) { return g->n ? (g->n - 1u) / 3u : 0; }

gx_genesis_err_t gx_genesis_add_balance(gx_genesis_t *g, const gx_pubkey_t *account, uint64_t amount,
                                        char *err, size_t errlen) {
  if (amount == 0 || amount > GX_AMOUNT_MAX)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "amount %llu is not in 1..2^62",
                       (unsigned long long)amount);
  if (g->balance_count >= g->balance_cap)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "more than %u balances", g->balance_cap);
  if (g->supply + amount > GX_AMOUNT_MAX)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "total supply above 2^62");
  g->supply += amount;
  g->balances[g->balance_count].account = *account;
  g->balances[g->balance_count].amount = amount;
  g->balance_count++;
  return GX_GENESIS_OK;
}

/* The coin public set of the first committee (genesis checks). */
static void gx_genesis_coin_pub(const gx_genesis_t *g, gx_coin_pub_t *pub) {
  gx_committee_t c;
  gx_genesis_committee(g, &c);
  gx_committee_coin_pub(&c, pub);
}

void gx_genesis_committee(const gx_genesis_t *g, gx_committee_t *out) {
  memset(out, 0, sizeof *out);
  out->n = g->n;
  memcpy(out->coin_group_vk, g->coin_group_vk, 32);
  for (unsigned i = 0; i < g->n && i < GX_COMMITTEE_MAX; i++) {
    out->m[i].identity = g->v[i].identity;
    snprintf(out->m[i].host, sizeof out->m[i].host, "%s", g->v[i].host);
    out->m[i].port = g->v[i].port;
    memcpy(out->m[i].coin_vk, g->v[i].coin_vk, 32);
  }
  gx_committee_finish(out); /* a finished genesis has 1..64 distinct validators */
}

void gx_genesis_cluster_committee(const gx_genesis_t *g, unsigned c, gx_committee_t *out) {
  memset(out, 0, sizeof *out);
  if (c >= g->cluster_count) return;
  const gx_genesis_cluster_t *cl = &g->cluster[c];
  out->n = cl->n;
  memcpy(out->coin_group_vk, cl->coin_group_vk, 32);
  for (unsigned i = 0; i < cl->n && i < GX_GENESIS_CLUSTER_MAX; i++) {
    out->m[i].identity = cl->star[i].identity;
    snprintf(out->m[i].host, sizeof out->m[i].host, "%s", cl->star[i].host);
    out->m[i].port = cl->star[i].port;
    memcpy(out->m[i].coin_vk, cl->star[i].coin_vk, 32);
  }
  gx_committee_finish(out);
}

void gx_genesis_fold(const gx_genesis_t *g, gx_fold_cfg_t *cfg, gx_fold_cluster_t *clusters) {
  gx_fold_cfg_defaults(cfg);
  cfg->cluster_count = g->cluster_count;
  cfg->sample_per_65536 = g->fold_sample;
  cfg->max_block_txs = g->lsh_max_txs;
  uint32_t mb = g->lsh_max_txs ? GX_BH_MAX_TXS / g->lsh_max_txs : 1;
  cfg->max_blocks = mb > GX_FOLD_MAX_BLOCKS ? GX_FOLD_MAX_BLOCKS : mb;
  for (unsigned c = 0; clusters && c < g->cluster_count; c++) {
    memset(&clusters[c], 0, sizeof clusters[c]);
    clusters[c].n = g->cluster[c].n;
    for (unsigned i = 0; i < g->cluster[c].n; i++) clusters[c].members[i] = g->cluster[c].star[i].identity;
  }
}

void gx_genesis_ledger_cfg(const gx_genesis_t *g, gx_ledger_cfg_t *cfg) {
  cfg->max_proposers = g->n;
  cfg->max_proposal_txs = g->proposal_max_txs;
}

/* ---- canonical id ------------------------------------------------------------- */
typedef struct {
  crypto_generichash_blake2b_state st;
} gx_gen_hash_t;

static void gx_gen_put(gx_gen_hash_t *h, const void *p, size_t n) {
  crypto_generichash_blake2b_update(&h->st, p, n);
}

/* A validator or a star in the id: identity 32, coin key 32, u8 host length,
 * host, port u16. */
static void gx_gen_put_node(gx_gen_hash_t *h, const gx_genesis_validator_t *v) {
  uint8_t b[2];
  gx_gen_put(h, v->identity.b, 32);
  gx_gen_put(h, v->coin_vk, 32);
  b[0] = (uint8_t)strlen(v->host);
  gx_gen_put(h, b, 1);
  gx_gen_put(h, v->host, b[0]);
  gx_st16(b, v->port);
  gx_gen_put(h, b, 2);
}

/* Every node of the network (validators, then each cluster's stars), k-th;
 * NULL past the last: for the uniqueness checks and the ingest suffix of the id. */
static const gx_genesis_validator_t *gx_gen_node(const gx_genesis_t *g, unsigned k, char *name,
                                                 size_t cap) {
  if (k < g->n) {
    snprintf(name, cap, "[validator %u]", k);
    return &g->v[k];
  }
  k -= g->n;
  for (unsigned c = 0; c < g->cluster_count; c++) {
    if (k < g->cluster[c].n) {
      snprintf(name, cap, "[cluster %u star %u]", c, k);
      return &g->cluster[c].star[k];
    }
    k -= g->cluster[c].n;
  }
  return NULL;
}

int gx_genesis_has_ingest(const gx_genesis_t *g) {
  char name[48];
  const gx_genesis_validator_t *v;
  for (unsigned k = 0; (v = gx_gen_node(g, k, name, sizeof name)) != NULL; k++)
    if (v->ingest_port) return 1;
  return 0;
}

static void gx_genesis_compute_id(gx_genesis_t *g) {
  uint8_t personal[16] = {0};
  const char *tag = gx_domain_tag(GX_DOM_CONSENSUS);
  memcpy(personal, tag, strnlen(tag, 16));
  gx_gen_hash_t h;
  crypto_generichash_blake2b_init_salt_personal(&h.st, NULL, 0, GX_HASH_SZ, NULL, personal);
  uint8_t b[8];
  gx_gen_put(&h, "gx.genesis.v1", 13);
  b[0] = (uint8_t)strlen(g->name);
  gx_gen_put(&h, b, 1);
  gx_gen_put(&h, g->name, b[0]);
  gx_st32(b, g->proposal_max_txs);
  gx_gen_put(&h, b, 4);
  gx_st16(b, g->n);
  gx_gen_put(&h, b, 2);
  for (unsigned i = 0; i < g->n; i++) gx_gen_put_node(&h, &g->v[i]);
  gx_gen_put(&h, g->coin_group_vk, 32);
  gx_st32(b, g->balance_count);
  gx_gen_put(&h, b, 4);
  for (uint32_t i = 0; i < g->balance_count; i++) {
    gx_gen_put(&h, g->balances[i].account.b, 32);
    gx_st64(b, g->balances[i].amount);
    gx_gen_put(&h, b, 8);
  }
  if (g->cluster_count) { /* absent from a flat genesis: its id is unchanged */
    gx_gen_put(&h, "clusters", 8);
    gx_st16(b, g->cluster_count);
    gx_gen_put(&h, b, 2);
    gx_st32(b, g->fold_sample);
    gx_gen_put(&h, b, 4);
    gx_st32(b, g->lsh_max_txs);
    gx_gen_put(&h, b, 4);
    for (unsigned c = 0; c < g->cluster_count; c++) {
      const gx_genesis_cluster_t *cl = &g->cluster[c];
      gx_st16(b, cl->n);
      gx_gen_put(&h, b, 2);
      for (unsigned i = 0; i < cl->n; i++) gx_gen_put_node(&h, &cl->star[i]);
      gx_gen_put(&h, cl->coin_group_vk, 32);
    }
  }
  if (gx_genesis_has_ingest(g)) { /* absent when no node gives one: the id is unchanged */
    char name[48];
    gx_gen_put(&h, "ingest", 6);
    for (unsigned k = 0;; k++) { /* every node, as gx_gen_node orders them */
      const gx_genesis_validator_t *v = gx_gen_node(g, k, name, sizeof name);
      if (!v) break;
      b[0] = v->ingest_port ? (uint8_t)strlen(v->ingest_host) : 0;
      gx_gen_put(&h, b, 1);
      gx_gen_put(&h, v->ingest_host, b[0]);
      gx_st16(b, v->ingest_port);
      gx_gen_put(&h, b, 2);
    }
  }
  crypto_generichash_blake2b_final(&h.st, g->id.b, GX_HASH_SZ);
}

/* ---- checks ------------------------------------------------------------------ */
static int gx_gen_name_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > GX_GENESIS_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static int gx_gen_cmp_alloc(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

static gx_genesis_err_t gx_genesis_check_clusters(const gx_genesis_t *g, char *err, size_t errlen) {
  if (g->cluster_count > GX_GENESIS_MAX_CLUSTERS)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "want at most %u clusters, have %u",
                       GX_GENESIS_MAX_CLUSTERS, g->cluster_count);
  if (!g->cluster_count) {
    if (g->fold_sample || g->lsh_max_txs)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                         "[chain] fold_sample and lsh_max_txs need [cluster] sections");
    return GX_GENESIS_OK;
  }
  if (g->fold_sample > 65536)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "[chain] fold_sample: %u is not in 0..65536",
                       g->fold_sample);
  if (g->lsh_max_txs == 0 || g->lsh_max_txs > GX_LSH_MAX_TXS)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "[chain] lsh_max_txs: %u is not in 1..%u",
                       g->lsh_max_txs, GX_LSH_MAX_TXS);
  for (unsigned c = 0; c < g->cluster_count; c++) {
    const gx_genesis_cluster_t *cl = &g->cluster[c];
    if (cl->n < GX_GENESIS_CLUSTER_MIN || cl->n > GX_GENESIS_CLUSTER_MAX)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE,
                         "[cluster %u]: want %u..%u stars (f_c = (n_c-1)/3 >= 1), have %u", c,
                         GX_GENESIS_CLUSTER_MIN, GX_GENESIS_CLUSTER_MAX, cl->n);
    gx_committee_t com;
    gx_genesis_cluster_committee(g, c, &com);
    gx_coin_pub_t cp, back;
    gx_committee_coin_pub(&com, &cp);
    uint8_t file[GX_COIN_PUBLIC_FILE_MAX];
    size_t flen = gx_coin_public_file_encode(file, &cp);
    gx_coin_err_t e = flen ? gx_coin_public_file_decode(&back, file, flen) : GX_COIN_ERR_ARG;
    if (e != GX_COIN_OK)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_COIN,
                         "[cluster %u] coin keys (coin_group_key and each star's coin_key): %s", c,
                         gx_coin_strerror(e));
  }
  unsigned total = g->n;
  for (unsigned c = 0; c < g->cluster_count; c++) total += g->cluster[c].n;
  for (unsigned i = g->n; i < total; i++) { /* validators among themselves: checked above */
    char ni[48], nj[48];
    const gx_genesis_validator_t *a = gx_gen_node(g, i, ni, sizeof ni);
    for (unsigned j = 0; j < i; j++) {
      const gx_genesis_validator_t *b = gx_gen_node(g, j, nj, sizeof nj);
      if (!memcmp(a->identity.b, b->identity.b, 32))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s identity: same key as %s", ni, nj);
      if (a->port == b->port && !strcmp(a->host, b->host))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s address: same as %s", ni, nj);
    }
  }
  return GX_GENESIS_OK;
}

/* Ingest addresses: well-formed, none twice, none a consensus address. */
static gx_genesis_err_t gx_genesis_check_ingest(const gx_genesis_t *g, char *err, size_t errlen) {
  char ni[48], nj[48];
  const gx_genesis_validator_t *a, *b;
  for (unsigned i = 0; (a = gx_gen_node(g, i, ni, sizeof ni)) != NULL; i++) {
    if (!a->ingest_port) {
      if (a->ingest_host[0])
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s ingest: host without a port", ni);
      continue;
    }
    char text[GX_GENESIS_HOST_MAX + 16], host[GX_GENESIS_HOST_MAX + 1];
    uint16_t port;
    snprintf(text, sizeof text, strchr(a->ingest_host, ':') ? "[%s]:%u" : "%s:%u", a->ingest_host,
             a->ingest_port);
    if (gx_genesis_parse_address(text, host, &port) || strcmp(host, a->ingest_host))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s ingest: '%s' is not host:port or [ipv6]:port", ni,
                         text);
    for (unsigned j = 0; (b = gx_gen_node(g, j, nj, sizeof nj)) != NULL; j++) {
      if (b->port == a->ingest_port && !strcmp(b->host, a->ingest_host))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s ingest: same as %s address (consensus)", ni, nj);
      if (j < i && b->ingest_port == a->ingest_port && !strcmp(b->ingest_host, a->ingest_host))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "%s ingest: same as %s ingest", ni, nj);
    }
  }
  return GX_GENESIS_OK;
}

gx_genesis_err_t gx_genesis_finish(gx_genesis_t *g, char *err, size_t errlen) {
  if (!gx_gen_name_ok(g->name))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                       "[chain] name: want 1..63 characters of A-Z a-z 0-9 . _ -");
  if (g->n == 0 || g->n > GX_GENESIS_MAX_VALIDATORS)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "want 1..64 validators, have %u", g->n);
  if (g->proposal_max_txs == 0 || (uint64_t)g->proposal_max_txs * g->n > GX_BH_MAX_TXS)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE,
                       "[chain] proposal_max_txs: want 1..%u for %u validators (n x it <= %u)",
                       GX_BH_MAX_TXS / g->n, g->n, GX_BH_MAX_TXS);
  for (unsigned i = 0; i < g->n; i++)
    for (unsigned j = 0; j < i; j++) {
      if (!memcmp(g->v[i].identity.b, g->v[j].identity.b, 32))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                           "[validator %u] identity: same key as validator %u", i, j);
      if (g->v[i].port == g->v[j].port && !strcmp(g->v[i].host, g->v[j].host))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                           "[validator %u] address: same as validator %u", i, j);
    }
  gx_coin_pub_t pub, back;
  gx_genesis_coin_pub(g, &pub);
  uint8_t file[GX_COIN_PUBLIC_FILE_MAX];
  size_t flen = gx_coin_public_file_encode(file, &pub);
  gx_coin_err_t ce = flen ? gx_coin_public_file_decode(&back, file, flen) : GX_COIN_ERR_ARG;
  if (ce != GX_COIN_OK)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_COIN,
                       "coin keys (coin_group_key and each validator's coin_key): %s",
                       gx_coin_strerror(ce));
  gx_genesis_err_t ce2 = gx_genesis_check_clusters(g, err, errlen);
  if (ce2 != GX_GENESIS_OK) return ce2;
  if ((ce2 = gx_genesis_check_ingest(g, err, errlen)) != GX_GENESIS_OK) return ce2;
  qsort(g->balances, g->balance_count, sizeof g->balances[0], gx_gen_cmp_alloc);
  uint64_t supply = 0;
  for (uint32_t i = 0; i < g->balance_count; i++) {
    if (i && !memcmp(g->balances[i - 1].account.b, g->balances[i].account.b, 32)) {
      char addr[GX_ADDR_LEN + 1];
      gx_addr_encode(addr, &g->balances[i].account);
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[balances] %s: listed twice", addr);
    }
    if (g->balances[i].amount == 0 || g->balances[i].amount > GX_AMOUNT_MAX ||
        supply + g->balances[i].amount > GX_AMOUNT_MAX)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "[balances] total supply above 2^62");
    supply += g->balances[i].amount;
  }
  g->supply = supply;
  gx_genesis_compute_id(g);
  return GX_GENESIS_OK;
}

/* ---- parsing ------------------------------------------------------------------ */
#define GX_GEN_F_IDENTITY 1
#define GX_GEN_F_ADDRESS 2
#define GX_GEN_F_COIN 4
#define GX_GEN_F_ALL 7    /* the required fields */
#define GX_GEN_F_INGEST 8 /* optional */

typedef struct {
  gx_genesis_t *g;
  char msg[256];
  gx_genesis_err_t code;
  int have_name, have_pmt, have_group;
  uint8_t vfields[GX_GENESIS_MAX_VALIDATORS];
  int have_sample, have_lsh;
  uint8_t cgroup[GX_GENESIS_MAX_CLUSTERS];
  uint8_t sfields[GX_GENESIS_MAX_CLUSTERS][GX_GENESIS_CLUSTER_MAX];
  const char *p;   /* reader position in the text */
  int line;        /* line the reader handed out last (1-based) */
  int next_line;   /* line the next chunk starts on */
  int err_line;    /* line of c->msg */
} gx_gen_ctx_t;

static int gx_gen_bad(gx_gen_ctx_t *c, gx_genesis_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int gx_gen_bad(gx_gen_ctx_t *c, gx_genesis_err_t code, const char *fmt, ...) {
  if (c->code == GX_GENESIS_OK) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->code = code;
    c->err_line = c->line;
    return 0;
  }
  return 1;
}

/* "host:port" or "[v6]:port". */
static int gx_gen_parse_address(const char *s, char host[GX_GENESIS_HOST_MAX + 1], uint16_t *port) {
  const char *colon, *h = s;
  size_t hl;
  int v6 = s[0] == '[';
  if (v6) {
    const char *rb = strchr(s, ']');
    if (!rb || rb[1] != ':') return -1;
    h = s + 1;
    hl = (size_t)(rb - h);
    colon = rb + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return -1;
    hl = (size_t)(colon - s);
  }
  if (hl == 0 || hl > GX_GENESIS_HOST_MAX) return -1;
  for (size_t i = 0; i < hl; i++) {
    char ch = h[i];
    int ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
             ch == '.' || (v6 ? ch == ':' : ((ch >= 'g' && ch <= 'z') || (ch >= 'G' && ch <= 'Z') || ch == '-'));
    if (!ok) return -1;
  }
  uint64_t p;
  if (gx_parse_u64(colon + 1, &p) || p == 0 || p > 65535) return -1;
  memcpy(host, h, hl);
  host[hl] = 0;
  *port = (uint16_t)p;
  return 0;
}

int gx_genesis_parse_address(const char *s, char host[GX_GENESIS_HOST_MAX + 1], uint16_t *port) {
  return gx_gen_parse_address(s, host, port);
}

/* identity / address / coin_key of a validator's or a star's section; *have
 * holds the GX_GEN_F_* bits given so far. 1 ok, 0 with the problem noted. */
static int gx_gen_node_field(gx_gen_ctx_t *c, const char *section, const char *key, const char *value,
                             gx_genesis_validator_t *v, uint8_t *have) {
  int bit;
  if (!strcmp(key, "identity")) {
    bit = GX_GEN_F_IDENTITY;
    if (!(*have & bit) && gx_hex_decode(v->identity.b, 32, value))
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] identity: want 64 hex digits", section);
  } else if (!strcmp(key, "address")) {
    bit = GX_GEN_F_ADDRESS;
    if (!(*have & bit) && gx_gen_parse_address(value, v->host, &v->port))
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] address: '%s' is not host:port or [ipv6]:port",
                        section, value);
  } else if (!strcmp(key, "coin_key")) {
    bit = GX_GEN_F_COIN;
    if (!(*have & bit) && gx_hex_decode(v->coin_vk, 32, value))
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] coin_key: want 64 hex digits", section);
  } else if (!strcmp(key, "ingest")) {
    bit = GX_GEN_F_INGEST;
    if (!(*have & bit) && gx_gen_parse_address(value, v->ingest_host, &v->ingest_port))
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] ingest: '%s' is not host:port or [ipv6]:port",
                        section, value);
  } else {
    return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] %s: unknown key", section, key);
  }
  if (*have & bit) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] %s: given twice", section, key);
  *have |= (uint8_t)bit;
  return 1;
}

static int gx_gen_handler(void *user, const char *section, const char *key, const char *value) {
  gx_gen_ctx_t *c = user;
  gx_genesis_t *g = c->g;
  if (c->code != GX_GENESIS_OK) return 1;
  if (!value) value = "";
  if (!strcmp(section, "chain")) {
    if (!strcmp(key, "name")) {
      if (c->have_name++) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] name: given twice");
      if (!gx_gen_name_ok(value))
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] name: want 1..63 characters of A-Z a-z 0-9 . _ -");
      snprintf(g->name, sizeof g->name, "%s", value);
      return 1;
    }
    if (!strcmp(key, "proposal_max_txs")) {
      uint64_t v;
      if (c->have_pmt++) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] proposal_max_txs: given twice");
      if (gx_parse_u64(value, &v) || v == 0 || v > GX_BH_MAX_TXS)
        return gx_gen_bad(c, GX_GENESIS_ERR_RANGE, "[chain] proposal_max_txs: '%s' is not in 1..%u", value,
                          GX_BH_MAX_TXS);
      g->proposal_max_txs = (uint32_t)v;
      return 1;
    }
    if (!strcmp(key, "coin_group_key")) {
      if (c->have_group++) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] coin_group_key: given twice");
      if (gx_hex_decode(g->coin_group_vk, 32, value))
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] coin_group_key: want 64 hex digits");
      return 1;
    }
    if (!strcmp(key, "fold_sample") || !strcmp(key, "lsh_max_txs")) {
      int sample = key[0] == 'f';
      uint64_t v, max = sample ? 65536 : GX_LSH_MAX_TXS, min = sample ? 0 : 1;
      if ((sample ? c->have_sample++ : c->have_lsh++))
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] %s: given twice", key);
      if (gx_parse_u64(value, &v) || v < min || v > max)
        return gx_gen_bad(c, GX_GENESIS_ERR_RANGE, "[chain] %s: '%s' is not in %llu..%llu", key, value,
                          (unsigned long long)min, (unsigned long long)max);
      if (sample) g->fold_sample = (uint32_t)v;
      else g->lsh_max_txs = (uint32_t)v;
      return 1;
    }
    return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[chain] %s: unknown key", key);
  }
  if (!strncmp(section, "cluster ", 8)) {
    /* "[cluster C]" or "[cluster C star I]" */
    char num[24];
    const char *p = section + 8, *sp = strchr(p, ' ');
    size_t nl = sp ? (size_t)(sp - p) : strlen(p);
    uint64_t ci, si = 0;
    int star = sp != NULL;
    if (nl == 0 || nl >= sizeof num) ci = UINT64_MAX;
    else {
      memcpy(num, p, nl);
      num[nl] = 0;
      if (gx_parse_u64(num, &ci) || (num[0] == '0' && num[1])) ci = UINT64_MAX;
    }
    if (ci >= GX_GENESIS_MAX_CLUSTERS)
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s]: cluster index must be 0..%u", section,
                        GX_GENESIS_MAX_CLUSTERS - 1);
    if (star) {
      const char *sn = sp + 1;
      if (strncmp(sn, "star ", 5) || gx_parse_u64(sn + 5, &si) || (sn[5] == '0' && sn[6]) ||
          si >= GX_GENESIS_CLUSTER_MAX)
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s]: want [cluster C star I], I in 0..%u", section,
                          GX_GENESIS_CLUSTER_MAX - 1);
    }
    gx_genesis_cluster_t *cl = &g->cluster[ci];
    if (ci + 1 > g->cluster_count) g->cluster_count = (uint16_t)(ci + 1);
    if (!star) {
      if (strcmp(key, "coin_group_key"))
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] %s: unknown key", section, key);
      if (c->cgroup[ci]++) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] coin_group_key: given twice", section);
      if (gx_hex_decode(cl->coin_group_vk, 32, value))
        return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s] coin_group_key: want 64 hex digits", section);
      return 1;
    }
    if (!gx_gen_node_field(c, section, key, value, &cl->star[si], &c->sfields[ci][si])) return 0;
    if (si + 1 > cl->n) cl->n = (uint16_t)(si + 1);
    return 1;
  }
  if (!strncmp(section, "validator ", 10)) {
    uint64_t idx;
    const char *num = section + 10;
    if (gx_parse_u64(num, &idx) || idx >= GX_GENESIS_MAX_VALIDATORS || (num[0] == '0' && num[1]))
      return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s]: validator index must be 0..63", section);
    if (!gx_gen_node_field(c, section, key, value, &g->v[idx], &c->vfields[idx])) return 0;
    if (idx + 1 > g->n) g->n = (uint16_t)(idx + 1);
    return 1;
  }
  if (!strcmp(section, "balances")) {
    gx_pubkey_t pk;
    gx_addr_err_t ae = gx_addr_decode(&pk, key);
    if (ae != GX_ADDR_OK) return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[balances] %s: %s", key, gx_addr_strerror(ae));
    uint64_t amount;
    if (gx_parse_u64(value, &amount) || amount == 0 || amount > GX_AMOUNT_MAX)
      return gx_gen_bad(c, GX_GENESIS_ERR_RANGE, "[balances] %s: amount '%s' is not in 1..2^62", key, value);
    char e[128];
    if (gx_genesis_add_balance(g, &pk, amount, e, sizeof e) != GX_GENESIS_OK)
      return gx_gen_bad(c, GX_GENESIS_ERR_RANGE, "[balances] %s: %s", key, e);
    return 1;
  }
  return gx_gen_bad(c, GX_GENESIS_ERR_FIELD, "[%s]: unknown section", section);
}

/* inih reader over a string that counts lines, so that every problem found
 * by the handler carries its own line number. */
static char *gx_gen_reader(char *str, int num, void *stream) {
  gx_gen_ctx_t *c = stream;
  if (!*c->p || num < 2) return NULL;
  int n = 0;
  c->line = c->next_line;
  while (n < num - 1 && c->p[0]) {
    char ch = *c->p++;
    str[n++] = ch;
    if (ch == '\n') { c->next_line++; break; }
  }
  str[n] = 0;
  return str;
}

gx_genesis_err_t gx_genesis_parse(gx_genesis_t *g, const char *text, char *err, size_t errlen) {
  gx_gen_ctx_t *c = calloc(1, sizeof *c); /* start-up path only */
  if (!c) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "out of memory");
  gx_ledger_alloc_t *bal = g->balances;
  uint32_t cap = g->balance_cap;
  gx_genesis_init(g, bal, cap);
  c->g = g;
  c->p = text;
  c->next_line = 1;
  int rc = ini_parse_stream(gx_gen_reader, c, gx_gen_handler, c);
  gx_genesis_err_t code;
  if (rc != 0) {
    if (c->code != GX_GENESIS_OK && c->err_line <= rc)
      code = gx_gen_fail(err, errlen, c->code, "line %d: %s", c->err_line, c->msg);
    else
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_SYNTAX,
                         "line %d: syntax error (want [section], key = value, or # comment)", rc);
    free(c);
    return code;
  }
  code = GX_GENESIS_OK;
  if (!c->have_name) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[chain] name: missing");
  else if (!c->have_pmt) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[chain] proposal_max_txs: missing");
  else if (!c->have_group) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[chain] coin_group_key: missing");
  else if (g->n == 0) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "no [validator 0] section");
  for (unsigned i = 0; code == GX_GENESIS_OK && i < g->n; i++) {
    if ((c->vfields[i] & GX_GEN_F_ALL) == GX_GEN_F_ALL) continue;
    if (!c->vfields[i])
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[validator %u]: missing (validators must be 0..%u)", i,
                         g->n - 1u);
    else
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[validator %u] %s: missing", i,
                         !(c->vfields[i] & GX_GEN_F_IDENTITY) ? "identity"
                         : !(c->vfields[i] & GX_GEN_F_ADDRESS) ? "address" : "coin_key");
  }
  for (unsigned k = 0; code == GX_GENESIS_OK && k < g->cluster_count; k++) {
    if (!c->cgroup[k] && !g->cluster[k].n) {
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[cluster %u]: missing (clusters must be 0..%u)", k,
                         g->cluster_count - 1u);
      break;
    }
    if (!c->cgroup[k]) {
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[cluster %u] coin_group_key: missing", k);
      break;
    }
    for (unsigned i = 0; code == GX_GENESIS_OK && i < g->cluster[k].n; i++) {
      uint8_t f = c->sfields[k][i];
      if ((f & GX_GEN_F_ALL) == GX_GEN_F_ALL) continue;
      if (!f)
        code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                           "[cluster %u star %u]: missing (stars must be 0..%u)", k, i, g->cluster[k].n - 1u);
      else
        code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "[cluster %u star %u] %s: missing", k, i,
                           !(f & GX_GEN_F_IDENTITY) ? "identity" : !(f & GX_GEN_F_ADDRESS) ? "address" : "coin_key");
    }
  }
  if (code == GX_GENESIS_OK && g->cluster_count) {
    if (!c->have_sample) g->fold_sample = GX_GENESIS_FOLD_SAMPLE_DEFAULT;
    if (!c->have_lsh) g->lsh_max_txs = GX_GENESIS_LSH_MAX_TXS_DEFAULT;
  } else if (code == GX_GENESIS_OK && (c->have_sample || c->have_lsh)) {
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                       "[chain] fold_sample and lsh_max_txs need [cluster] sections");
  }
  free(c);
  if (code != GX_GENESIS_OK) return code;
  return gx_genesis_finish(g, err, errlen);
}

gx_genesis_err_t gx_genesis_load(gx_genesis_t *g, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t r = fread(buf + len, 1, cap - len - 1, f);
    len += r;
    if (len < cap - 1) break;
    if (cap >= (size_t)1 << 30) { free(buf); buf = NULL; break; }
    char *nb = realloc(buf, cap * 2);
    if (!nb) { free(buf); buf = NULL; break; }
    buf = nb;
    cap *= 2;
  }
  int rerr = ferror(f);
  fclose(f);
  if (!buf || rerr) {
    free(buf);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: cannot read (too large or I/O error)", path);
  }
  buf[len] = 0;
  if (strlen(buf) != len) {
    free(buf);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_SYNTAX, "%s: contains a NUL byte", path);
  }
  char e[300];
  gx_genesis_err_t code = gx_genesis_parse(g, buf, e, sizeof e);
  free(buf);
  if (code != GX_GENESIS_OK) return gx_gen_fail(err, errlen, code, "%s: %s", path, e);
  return GX_GENESIS_OK;
}

/* ---- formatting ----------------------------------------------------------------- */
size_t gx_genesis_text_size(const gx_genesis_t *g) {
  size_t stars = 0;
  for (unsigned c = 0; c < g->cluster_count; c++) stars += g->cluster[c].n;
  return 512 + (size_t)g->n * 420 + (size_t)g->balance_count * 120 + (size_t)g->cluster_count * 160 +
         stars * 420;
}

/* One validator's or star's section body. */
#define GX_GEN_NODE_FIELDS(v)                                                  \
  do {                                                                         \
    gx_hex_encode(hex, (v)->identity.b, 32);                                   \
    GX_OUT("identity = %s\n", hex);                                            \
    if (strchr((v)->host, ':')) GX_OUT("address = [%s]:%u\n", (v)->host, (v)->port); \
    else GX_OUT("address = %s:%u\n", (v)->host, (v)->port);                    \
    gx_hex_encode(hex, (v)->coin_vk, 32);                                      \
    GX_OUT("coin_key = %s\n", hex);                                            \
    if ((v)->ingest_port && strchr((v)->ingest_host, ':'))                     \
      GX_OUT("ingest = [%s]:%u\n", (v)->ingest_host, (v)->ingest_port);        \
    else if ((v)->ingest_port)                                                 \
      GX_OUT("ingest = %s:%u\n", (v)->ingest_host, (v)->ingest_port);          \
  } while (0)

size_t gx_genesis_format(const gx_genesis_t *g, char *out, size_t cap) {
  size_t o = 0;
  char hex[65], idhex[65];
#define GX_OUT(...)                                                            \
  do {                                                                         \
    int w_ = snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__);            \
    if (w_ < 0 || (size_t)w_ >= (o < cap ? cap - o : 0)) return 0;             \
    o += (size_t)w_;                                                           \
  } while (0)
  gx_hex_encode(idhex, g->id.b, 32);
  GX_OUT("# Galaxy genesis file, written by galaxyctl genesis. Public: holds no secret.\n"
         "# genesis id %s\n"
         "# %u validators (f = %u), %u funded accounts, supply %llu\n\n",
         idhex, g->n, gx_genesis_f(g), g->balance_count, (unsigned long long)g->supply);
  gx_hex_encode(hex, g->coin_group_vk, 32);
  GX_OUT("[chain]\nname = %s\nproposal_max_txs = %u\ncoin_group_key = %s\n", g->name, g->proposal_max_txs, hex);
  if (g->cluster_count) GX_OUT("fold_sample = %u\nlsh_max_txs = %u\n", g->fold_sample, g->lsh_max_txs);
  for (unsigned i = 0; i < g->n; i++) {
    GX_OUT("\n[validator %u]\n", i);
    GX_GEN_NODE_FIELDS(&g->v[i]);
  }
  for (unsigned c = 0; c < g->cluster_count; c++) {
    const gx_genesis_cluster_t *cl = &g->cluster[c];
    gx_hex_encode(hex, cl->coin_group_vk, 32);
    GX_OUT("\n[cluster %u]\ncoin_group_key = %s\n", c, hex);
    for (unsigned i = 0; i < cl->n; i++) {
      GX_OUT("\n[cluster %u star %u]\n", c, i);
      GX_GEN_NODE_FIELDS(&cl->star[i]);
    }
  }
  GX_OUT("\n[balances]\n");
  for (uint32_t i = 0; i < g->balance_count; i++) {
    char addr[GX_ADDR_LEN + 1];
    gx_addr_encode(addr, &g->balances[i].account);
    GX_OUT("%s = %llu\n", addr, (unsigned long long)g->balances[i].amount);
  }
#undef GX_OUT
#undef GX_GEN_NODE_FIELDS
  return o;
}

/* ---- node key files --------------------------------------------------------------- */
#define GX_NODE_KEY_HEADER "galaxy-node-key v1"

size_t gx_genesis_node_key_format(const gx_genesis_node_key_t *k, char *out, size_t cap) {
  uint8_t coin[GX_COIN_SECRET_FILE_MAX];
  size_t clen = gx_coin_secret_file_encode(coin, &k->coin_pub, &k->coin);
  if (!clen) return 0;
  char gid[65], pk[65], seed[65];
  char *coinhex = malloc(2 * clen + 1);
  if (!coinhex) return 0;
  gx_hex_encode(gid, k->genesis_id.b, 32);
  gx_hex_encode(pk, k->identity.pk.b, 32);
  gx_hex_encode(seed, k->identity.sk, 32);
  gx_hex_encode(coinhex, coin, clen);
  char cl[24] = "";
  if (k->star) snprintf(cl, sizeof cl, "cluster %u\n", k->cluster);
  int w = snprintf(out, cap, GX_NODE_KEY_HEADER "\nindex %u\n%sgenesis %s\npublic %s\nsecret %s\ncoin %s\n",
                   k->index, cl, gid, pk, seed, coinhex);
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(coin, sizeof coin);
  sodium_memzero(coinhex, 2 * clen + 1);
  free(coinhex);
  return (w < 0 || (size_t)w >= cap) ? 0 : (size_t)w;
}

/* Next "name value\n" line of text: value is NUL-terminated in buf. */
static int gx_nk_field(const char **p, const char *end, const char *name, char *buf, size_t cap) {
  size_t nl = strlen(name);
  const char *eol = memchr(*p, '\n', (size_t)(end - *p));
  if (!eol || (size_t)(eol - *p) <= nl + 1 || memcmp(*p, name, nl) || (*p)[nl] != ' ') return -1;
  size_t vl = (size_t)(eol - (*p + nl + 1));
  if (vl >= cap) return -1;
  memcpy(buf, *p + nl + 1, vl);
  buf[vl] = 0;
  *p = eol + 1;
  return 0;
}

gx_genesis_err_t gx_genesis_node_key_parse(gx_genesis_node_key_t *k, const char *text, size_t len,
                                           char *err, size_t errlen) {
  const char *p = text, *end = text + len;
  static const char hdr[] = GX_NODE_KEY_HEADER "\n";
  memset(k, 0, sizeof *k);
  if (len < sizeof hdr - 1 || memcmp(text, hdr, sizeof hdr - 1))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "not a galaxy node key file (first line must be '%s')",
                       GX_NODE_KEY_HEADER);
  p += sizeof hdr - 1;
  char v[2 * GX_COIN_SECRET_FILE_MAX + 8];
  uint64_t idx;
  if (gx_nk_field(&p, end, "index", v, sizeof v) || gx_parse_u64(v, &idx) || idx >= GX_GENESIS_MAX_VALIDATORS)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 2: want 'index N' with N in 0..63");
  k->index = (uint16_t)idx;
  int ln = 3; /* a star's key has a `cluster C` line after the index */
  if ((size_t)(end - p) > 8 && !memcmp(p, "cluster ", 8)) {
    uint64_t cl;
    if (gx_nk_field(&p, end, "cluster", v, sizeof v) || gx_parse_u64(v, &cl) || cl >= GX_GENESIS_MAX_CLUSTERS ||
        idx >= GX_GENESIS_CLUSTER_MAX)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY,
                         "line 3: want 'cluster C' with C in 0..%u (and index below %u)",
                         GX_GENESIS_MAX_CLUSTERS - 1, GX_GENESIS_CLUSTER_MAX);
    k->star = 1;
    k->cluster = (uint16_t)cl;
    ln = 4;
  }
  if (gx_nk_field(&p, end, "genesis", v, sizeof v) || gx_hex_decode(k->genesis_id.b, 32, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'genesis <64 hex>'", ln);
  gx_pubkey_t pk;
  if (gx_nk_field(&p, end, "public", v, sizeof v) || gx_hex_decode(pk.b, 32, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'public <64 hex>'", ln + 1);
  uint8_t seed[32];
  if (gx_nk_field(&p, end, "secret", v, sizeof v) || gx_hex_decode(seed, 32, v)) {
    sodium_memzero(v, sizeof v);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'secret <64 hex>'", ln + 2);
  }
  gx_key_from_seed(&k->identity, seed);
  sodium_memzero(seed, sizeof seed);
  if (memcmp(k->identity.pk.b, pk.b, 32)) {
    gx_genesis_node_key_wipe(k);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "the secret does not derive the stated public key");
  }
  uint8_t coin[GX_COIN_SECRET_FILE_MAX];
  long clen = -1;
  if (!gx_nk_field(&p, end, "coin", v, sizeof v)) clen = gx_hex_decode_var(coin, sizeof coin, v);
  sodium_memzero(v, sizeof v);
  if (clen <= 0) {
    gx_genesis_node_key_wipe(k);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'coin <hex of the coin secret file>'",
                       ln + 3);
  }
  gx_coin_err_t ce = gx_coin_secret_file_decode(&k->coin_pub, &k->coin, coin, (size_t)clen);
  sodium_memzero(coin, sizeof coin);
  if (ce != GX_COIN_OK || k->coin.index != k->index) {
    gx_genesis_node_key_wipe(k);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "coin secret share: %s",
                       ce != GX_COIN_OK ? gx_coin_strerror(ce) : "index differs from the key's index");
  }
  if (p != end) {
    gx_genesis_node_key_wipe(k);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "trailing text after the coin line");
  }
  return GX_GENESIS_OK;
}

gx_genesis_err_t gx_genesis_node_key_load(gx_genesis_node_key_t *k, const char *path, char *err,
                                          size_t errlen) {
  return gx_genesis_node_key_open(k, path, NULL, err, errlen);
}

gx_genesis_err_t gx_genesis_node_key_open(gx_genesis_node_key_t *k, const char *path,
                                          const char *passphrase_file, char *err, size_t errlen) {
  memset(k, 0, sizeof *k);
  char pw[GX_GENESIS_PASSPHRASE_MAX + 1];
  size_t pwlen = 0;
  int have_pw = passphrase_file && passphrase_file[0];
  gx_genesis_err_t code;
  if (have_pw && (code = gx_genesis_passphrase_file(passphrase_file, pw, sizeof pw, &pwlen, err, errlen)) !=
                     GX_GENESIS_OK)
    return code;
  char *buf = malloc(GX_GENESIS_NODE_KEY_MAX);
  if (!buf) {
    sodium_memzero(pw, sizeof pw);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "out of memory");
  }
  size_t n = 0;
  int enc = 0;
  code = gx_genesis_secret_load(path, have_pw ? pw : NULL, pwlen, buf, GX_GENESIS_NODE_KEY_MAX, &n, &enc, NULL,
                                err, errlen);
  sodium_memzero(pw, sizeof pw);
  if (code == GX_GENESIS_OK) {
    char e[200];
    code = gx_genesis_node_key_parse(k, buf, n, e, sizeof e);
    if (code != GX_GENESIS_OK) gx_gen_fail(err, errlen, code, "%s: %s%s", path, enc ? "(decrypted) " : "", e);
  }
  sodium_memzero(buf, GX_GENESIS_NODE_KEY_MAX);
  free(buf);
  return code;
}

gx_genesis_err_t gx_genesis_node_key_check(const gx_genesis_node_key_t *k, const gx_genesis_t *g,
                                           char *err, size_t errlen) {
  if (!gx_hash_eq(&k->genesis_id, &g->id))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "node key belongs to another genesis");
  gx_coin_pub_t pub;
  if (k->star) { /* a star: its cluster's member and coin keys */
    if (k->cluster >= g->cluster_count)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "node key of cluster %u, but the genesis has %u clusters",
                         k->cluster, g->cluster_count);
    const gx_genesis_cluster_t *cl = &g->cluster[k->cluster];
    if (k->index >= cl->n)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "node key index %u, but cluster %u has %u stars",
                         k->index, k->cluster, cl->n);
    if (memcmp(k->identity.pk.b, cl->star[k->index].identity.b, 32))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "identity differs from [cluster %u star %u] identity",
                         k->cluster, k->index);
    gx_committee_t com;
    gx_genesis_cluster_committee(g, k->cluster, &com);
    gx_committee_coin_pub(&com, &pub);
  } else {
    if (k->index >= g->n)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "node key index %u, but the genesis has %u validators",
                         k->index, g->n);
    if (memcmp(k->identity.pk.b, g->v[k->index].identity.b, 32))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "identity differs from [validator %u] identity",
                         k->index);
    gx_genesis_coin_pub(g, &pub);
  }
  int same = pub.n == k->coin_pub.n && pub.f == k->coin_pub.f &&
             !memcmp(pub.group_vk, k->coin_pub.group_vk, 32);
  for (unsigned i = 0; same && i < pub.n; i++) same = !memcmp(pub.vk[i], k->coin_pub.vk[i], 32);
  if (!same)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "coin keys differ from the genesis coin keys");
  return GX_GENESIS_OK;
}

void gx_genesis_node_key_wipe(gx_genesis_node_key_t *k) { sodium_memzero(k, sizeof *k); }

/* ---- strict line fields of the key formats below ---------------------------------- */
/* Next "name value\n" line: value (1..cap-1 bytes, no NUL, no CR) copied to buf. */
static int gx_gen_line(const char **p, const char *end, const char *name, char *buf, size_t cap) {
  size_t nl = strlen(name);
  const char *eol = memchr(*p, '\n', (size_t)(end - *p));
  if (!eol || (size_t)(eol - *p) <= nl + 1 || memcmp(*p, name, nl) || (*p)[nl] != ' ') return -1;
  const char *v = *p + nl + 1;
  size_t vl = (size_t)(eol - v);
  if (vl >= cap || memchr(v, 0, vl) || memchr(v, '\r', vl)) return -1;
  memcpy(buf, v, vl);
  buf[vl] = 0;
  *p = eol + 1;
  return 0;
}

/* A decimal without sign or leading zeros, at most max. */
static int gx_gen_dec(const char *v, uint64_t max, uint64_t *out) {
  size_t n = strlen(v);
  if (n == 0 || n > 20 || (n > 1 && v[0] == '0') || strspn(v, "0123456789") != n) return -1;
  return gx_parse_u64(v, out) || *out > max ? -1 : 0;
}

/* Lower-case hex of 1..max bytes; the byte count or -1. */
static long gx_gen_hexl(uint8_t *out, size_t max, const char *v) {
  size_t n = strlen(v);
  if (n == 0 || n % 2 || n / 2 > max || strspn(v, "0123456789abcdef") != n) return -1;
  return gx_hex_decode_var(out, max, v);
}

static int gx_gen_hexl_fixed(uint8_t *out, size_t n, const char *v) {
  return strlen(v) == 2 * n && gx_gen_hexl(out, n, v) == (long)n ? 0 : -1;
}

/* "index I" and, when the next line is one, "cluster C". *ln: the next line. */
static gx_genesis_err_t gx_gen_index_lines(const char **p, const char *end, uint16_t *index, uint8_t *star,
                                           uint16_t *cluster, int *ln, char *err, size_t errlen) {
  char v[24];
  uint64_t idx, cl;
  if (gx_gen_line(p, end, "index", v, sizeof v) || gx_gen_dec(v, GX_GENESIS_MAX_VALIDATORS - 1, &idx))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 2: want 'index N' with N in 0..%u",
                       GX_GENESIS_MAX_VALIDATORS - 1);
  *index = (uint16_t)idx;
  *star = 0;
  *cluster = 0;
  *ln = 3;
  if ((size_t)(end - *p) > 8 && !memcmp(*p, "cluster ", 8)) {
    if (gx_gen_line(p, end, "cluster", v, sizeof v) || gx_gen_dec(v, GX_GENESIS_MAX_CLUSTERS - 1, &cl) ||
        idx >= GX_GENESIS_CLUSTER_MAX)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY,
                         "line 3: want 'cluster C' with C in 0..%u (and index below %u)",
                         GX_GENESIS_MAX_CLUSTERS - 1, GX_GENESIS_CLUSTER_MAX);
    *star = 1;
    *cluster = (uint16_t)cl;
    *ln = 4;
  }
  return GX_GENESIS_OK;
}

/* ---- secret files and passphrases ------------------------------------------------- */
gx_genesis_err_t gx_genesis_secret_read(const char *path, char *buf, size_t cap, size_t *len, char *err,
                                        size_t errlen) {
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_MODE, "%s: not a regular file", path);
  }
  if (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
    close(fd);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_MODE,
                       "%s: mode %04o lets other users read or change this secret: refused "
                       "(chmod 600, or 640 for the service's group)",
                       path, (unsigned)(st.st_mode & 07777));
  }
  size_t got = 0;
  for (;;) {
    char extra;
    ssize_t r = got < cap ? read(fd, buf + got, cap - got) : read(fd, &extra, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (r == 0) break;
    if (got == cap) {
      close(fd);
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: larger than %zu bytes", path, cap);
    }
    got += (size_t)r;
  }
  close(fd);
  *len = got;
  return GX_GENESIS_OK;
}

/* Checks and copies the bytes read as a passphrase (what names the source). */
static gx_genesis_err_t gx_gen_pw_take(char *raw, size_t n, int more, char *pw, size_t cap, size_t *len,
                                       const char *what, char *err, size_t errlen) {
  gx_genesis_err_t code = GX_GENESIS_OK;
  if (n && raw[n - 1] == '\n') { /* one final line break */
    n--;
    if (n && raw[n - 1] == '\r') n--;
  }
  if (more || n > GX_GENESIS_PASSPHRASE_MAX)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS, "%s: passphrase longer than %d bytes", what,
                       GX_GENESIS_PASSPHRASE_MAX);
  else if (!n)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS, "%s: empty passphrase", what);
  else if (memchr(raw, 0, n) || memchr(raw, '\n', n) || memchr(raw, '\r', n))
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS, "%s: want the passphrase on one line (no NUL)", what);
  else if (cap <= n)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS, "%s: passphrase buffer too small", what);
  if (code == GX_GENESIS_OK) {
    memcpy(pw, raw, n);
    pw[n] = 0;
    *len = n;
  }
  return code;
}

gx_genesis_err_t gx_genesis_passphrase_fd(int fd, char *pw, size_t cap, size_t *len, char *err, size_t errlen) {
  char raw[GX_GENESIS_PASSPHRASE_MAX + 3], what[32];
  size_t n = 0;
  int more = 0;
  *len = 0;
  snprintf(what, sizeof what, "file descriptor %d", fd);
  for (;;) {
    char extra;
    ssize_t r = n < sizeof raw ? read(fd, raw + n, sizeof raw - n) : read(fd, &extra, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      sodium_memzero(raw, sizeof raw);
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: %s", what, strerror(e));
    }
    if (r == 0) break;
    if (n == sizeof raw) {
      more = 1;
      break;
    }
    n += (size_t)r;
  }
  gx_genesis_err_t code = gx_gen_pw_take(raw, n, more, pw, cap, len, what, err, errlen);
  sodium_memzero(raw, sizeof raw);
  return code;
}

gx_genesis_err_t gx_genesis_passphrase_file(const char *path, char *pw, size_t cap, size_t *len, char *err,
                                            size_t errlen) {
  char raw[GX_GENESIS_PASSPHRASE_MAX + 2];
  size_t n = 0;
  *len = 0;
  gx_genesis_err_t code = gx_genesis_secret_read(path, raw, sizeof raw, &n, err, errlen);
  if (code == GX_GENESIS_OK) code = gx_gen_pw_take(raw, n, 0, pw, cap, len, path, err, errlen);
  sodium_memzero(raw, sizeof raw);
  return code;
}

/* ---- passphrase-encrypted key files ---------------------------------------------- */
_Static_assert(GX_GENESIS_ENC_SALT == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(GX_GENESIS_ENC_NONCE == crypto_secretbox_NONCEBYTES, "nonce size");
_Static_assert(GX_GENESIS_ENC_MAC == crypto_secretbox_MACBYTES, "mac size");
_Static_assert(GX_GENESIS_SEAL_OVERHEAD == crypto_box_SEALBYTES, "seal size");

int gx_genesis_kdf_preset(const char *name, uint32_t *opslimit, uint64_t *memlimit) {
  if (!strcmp(name, "interactive")) {
    *opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
    *memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
  } else if (!strcmp(name, "moderate")) {
    *opslimit = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
    *memlimit = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
  } else if (!strcmp(name, "sensitive")) {
    *opslimit = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
    *memlimit = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
  } else {
    return -1;
  }
  return 0;
}

int gx_genesis_enc_is(const char *text, size_t len) {
  static const char hdr[] = GX_GENESIS_ENC_HEADER "\n";
  return len >= sizeof hdr - 1 && !memcmp(text, hdr, sizeof hdr - 1);
}

static int gx_gen_limits_ok(uint64_t ops, uint64_t mem) {
  return ops >= 1 && ops <= GX_GENESIS_ENC_OPS_MAX && mem >= GX_GENESIS_ENC_MEM_MIN &&
         mem <= GX_GENESIS_ENC_MEM_MAX && mem % 1024 == 0;
}

static gx_genesis_err_t gx_gen_kdf(uint8_t key[32], const char *pw, size_t pwlen, const uint8_t *salt,
                                   uint32_t ops, uint64_t mem, char *err, size_t errlen) {
  if (!pwlen) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS, "empty passphrase");
  if (sodium_init() < 0) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "libsodium failed to initialise");
  if (crypto_pwhash(key, 32, pw, pwlen, salt, ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO,
                       "argon2id key derivation failed (out of memory for its %llu MiB?)",
                       (unsigned long long)(mem >> 20));
  return GX_GENESIS_OK;
}

gx_genesis_err_t gx_genesis_enc_seal(gx_genesis_enc_t *e, const void *plain, size_t len, const char *pw,
                                     size_t pwlen, uint32_t opslimit, uint64_t memlimit, char *err,
                                     size_t errlen) {
  memset(e, 0, sizeof *e);
  if (!len || len > GX_GENESIS_ENC_PLAIN_MAX)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "plain text of %zu bytes: want 1..%u", len,
                       (unsigned)GX_GENESIS_ENC_PLAIN_MAX);
  if (!gx_gen_limits_ok(opslimit, memlimit))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "argon2id limits out of range (opslimit %u, memlimit %llu)",
                       opslimit, (unsigned long long)memlimit);
  e->opslimit = opslimit;
  e->memlimit = memlimit;
  randombytes_buf(e->salt, sizeof e->salt);
  randombytes_buf(e->nonce, sizeof e->nonce);
  uint8_t key[32];
  gx_genesis_err_t code = gx_gen_kdf(key, pw, pwlen, e->salt, opslimit, memlimit, err, errlen);
  if (code == GX_GENESIS_OK) {
    crypto_secretbox_easy(e->box, plain, len, e->nonce, key);
    e->box_len = len + GX_GENESIS_ENC_MAC;
  }
  sodium_memzero(key, sizeof key);
  return code;
}

gx_genesis_err_t gx_genesis_enc_open(const gx_genesis_enc_t *e, const char *pw, size_t pwlen, void *plain,
                                     size_t cap, size_t *len, char *err, size_t errlen) {
  *len = 0;
  if (!gx_gen_limits_ok(e->opslimit, e->memlimit) || e->box_len <= GX_GENESIS_ENC_MAC ||
      e->box_len > sizeof e->box)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "encrypted key: limits or length out of range");
  if (cap < e->box_len - GX_GENESIS_ENC_MAC)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_RANGE, "encrypted key: larger than the buffer");
  uint8_t key[32];
  gx_genesis_err_t code = gx_gen_kdf(key, pw, pwlen, e->salt, e->opslimit, e->memlimit, err, errlen);
  if (code == GX_GENESIS_OK) {
    if (crypto_secretbox_open_easy(plain, e->box, e->box_len, e->nonce, key) != 0)
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS,
                         "wrong passphrase (or the encrypted file was changed): cannot decrypt");
    else
      *len = e->box_len - GX_GENESIS_ENC_MAC;
  }
  sodium_memzero(key, sizeof key);
  return code;
}

size_t gx_genesis_enc_format(const gx_genesis_enc_t *e, char *out, size_t cap) {
  char salt[2 * GX_GENESIS_ENC_SALT + 1], nonce[2 * GX_GENESIS_ENC_NONCE + 1];
  if (e->box_len > sizeof e->box) return 0;
  gx_hex_encode(salt, e->salt, sizeof e->salt);
  gx_hex_encode(nonce, e->nonce, sizeof e->nonce);
  int w = snprintf(out, cap, GX_GENESIS_ENC_HEADER "\nkdf argon2id13\nopslimit %u\nmemlimit %llu\nsalt %s\nnonce %s\nbox ",
                   e->opslimit, (unsigned long long)e->memlimit, salt, nonce);
  if (w < 0 || (size_t)w + 2 * e->box_len + 2 > cap) return 0;
  gx_hex_encode(out + w, e->box, e->box_len);
  size_t o = (size_t)w + 2 * e->box_len;
  out[o++] = '\n';
  out[o] = 0;
  return o;
}

gx_genesis_err_t gx_genesis_enc_parse(gx_genesis_enc_t *e, const char *text, size_t len, char *err,
                                      size_t errlen) {
  memset(e, 0, sizeof *e);
  const char *p = text, *end = text + len;
  if (!gx_genesis_enc_is(text, len))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "not an encrypted key file (first line must be '%s')",
                       GX_GENESIS_ENC_HEADER);
  p += strlen(GX_GENESIS_ENC_HEADER) + 1;
  char v[2 * sizeof e->box + 8]; /* ~10 KiB of stack */
  uint64_t x;
  if (gx_gen_line(&p, end, "kdf", v, sizeof v) || strcmp(v, "argon2id13"))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 2: want 'kdf argon2id13'");
  if (gx_gen_line(&p, end, "opslimit", v, sizeof v) || gx_gen_dec(v, GX_GENESIS_ENC_OPS_MAX, &x) || x < 1)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 3: want 'opslimit N' with N in 1..%d",
                       GX_GENESIS_ENC_OPS_MAX);
  e->opslimit = (uint32_t)x;
  if (gx_gen_line(&p, end, "memlimit", v, sizeof v) || gx_gen_dec(v, GX_GENESIS_ENC_MEM_MAX, &x) ||
      !gx_gen_limits_ok(e->opslimit, x))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY,
                       "line 4: want 'memlimit BYTES', a multiple of 1024 in %llu..%llu",
                       (unsigned long long)GX_GENESIS_ENC_MEM_MIN, (unsigned long long)GX_GENESIS_ENC_MEM_MAX);
  e->memlimit = x;
  if (gx_gen_line(&p, end, "salt", v, sizeof v) || gx_gen_hexl_fixed(e->salt, sizeof e->salt, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 5: want 'salt <%zu lower-case hex>'",
                       2 * sizeof e->salt);
  if (gx_gen_line(&p, end, "nonce", v, sizeof v) || gx_gen_hexl_fixed(e->nonce, sizeof e->nonce, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 6: want 'nonce <%zu lower-case hex>'",
                       2 * sizeof e->nonce);
  long bl = -1;
  if (!gx_gen_line(&p, end, "box", v, sizeof v)) bl = gx_gen_hexl(e->box, sizeof e->box, v);
  if (bl <= GX_GENESIS_ENC_MAC)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line 7: want 'box <lower-case hex of %d..%zu bytes>'",
                       GX_GENESIS_ENC_MAC + 1, sizeof e->box);
  e->box_len = (size_t)bl;
  if (p != end) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "trailing text after the box line");
  return GX_GENESIS_OK;
}

gx_genesis_err_t gx_genesis_secret_load(const char *path, const char *pw, size_t pwlen, char *out, size_t cap,
                                        size_t *len, int *encrypted, gx_genesis_enc_t *enc, char *err,
                                        size_t errlen) {
  *len = 0;
  *encrypted = 0;
  char *buf = malloc(GX_GENESIS_ENC_FILE_MAX);
  gx_genesis_enc_t *e = malloc(sizeof *e);
  size_t n = 0;
  gx_genesis_err_t code = GX_GENESIS_OK;
  char why[200];
  if (!buf || !e) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_IO, "%s: out of memory", path);
  else code = gx_genesis_secret_read(path, buf, GX_GENESIS_ENC_FILE_MAX, &n, err, errlen);
  if (code == GX_GENESIS_OK && gx_genesis_enc_is(buf, n)) {
    *encrypted = 1;
    if ((code = gx_genesis_enc_parse(e, buf, n, why, sizeof why)) != GX_GENESIS_OK)
      gx_gen_fail(err, errlen, code, "%s: %s", path, why);
    else if (!pw)
      code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_PASS,
                         "%s: encrypted: needs its passphrase ([node] key_passphrase_file for galaxyd, "
                         "--passphrase-fd or --passphrase-file for galaxyctl)", path);
    else if ((code = gx_genesis_enc_open(e, pw, pwlen, out, cap, len, why, sizeof why)) != GX_GENESIS_OK)
      gx_gen_fail(err, errlen, code, "%s: %s", path, why);
    else if (enc)
      *enc = *e;
  } else if (code == GX_GENESIS_OK) {
    if (n > cap) code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "%s: larger than %zu bytes: not a key file", path, cap);
    else memcpy(out, buf, n), *len = n;
  }
  if (buf) sodium_memzero(buf, GX_GENESIS_ENC_FILE_MAX);
  if (e) sodium_memzero(e, sizeof *e);
  free(buf);
  free(e);
  return code;
}

/* ---- identity key files ---------------------------------------------------------------- */
#define GX_IDENTITY_HEADER "galaxy-identity-key v1"

size_t gx_genesis_identity_format(const gx_genesis_identity_t *id, char *out, size_t cap) {
  char pk[65], seed[65], cl[24] = "";
  gx_hex_encode(pk, id->key.pk.b, 32);
  gx_hex_encode(seed, id->key.sk, 32);
  if (id->star) snprintf(cl, sizeof cl, "cluster %u\n", id->cluster);
  int w = snprintf(out, cap, GX_IDENTITY_HEADER "\nindex %u\n%spublic %s\nsecret %s\n", id->index, cl, pk, seed);
  sodium_memzero(seed, sizeof seed);
  return (w < 0 || (size_t)w >= cap) ? 0 : (size_t)w;
}

gx_genesis_err_t gx_genesis_identity_parse(gx_genesis_identity_t *id, const char *text, size_t len, char *err,
                                           size_t errlen) {
  static const char hdr[] = GX_IDENTITY_HEADER "\n";
  const char *p = text, *end = text + len;
  memset(id, 0, sizeof *id);
  if (len < sizeof hdr - 1 || memcmp(text, hdr, sizeof hdr - 1))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "not a galaxy identity key file (first line must be '%s')",
                       GX_IDENTITY_HEADER);
  p += sizeof hdr - 1;
  int ln;
  gx_genesis_err_t code = gx_gen_index_lines(&p, end, &id->index, &id->star, &id->cluster, &ln, err, errlen);
  if (code != GX_GENESIS_OK) return code;
  char v[80];
  gx_pubkey_t pk;
  uint8_t seed[32];
  if (gx_gen_line(&p, end, "public", v, sizeof v) || gx_gen_hexl_fixed(pk.b, 32, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'public <64 lower-case hex>'", ln);
  if (gx_gen_line(&p, end, "secret", v, sizeof v) || gx_gen_hexl_fixed(seed, 32, v)) {
    sodium_memzero(v, sizeof v);
    sodium_memzero(seed, sizeof seed);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'secret <64 lower-case hex>'", ln + 1);
  }
  sodium_memzero(v, sizeof v);
  gx_key_from_seed(&id->key, seed);
  sodium_memzero(seed, sizeof seed);
  if (memcmp(id->key.pk.b, pk.b, 32)) {
    sodium_memzero(id, sizeof *id);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "the secret does not derive the stated public key");
  }
  if (p != end) {
    sodium_memzero(id, sizeof *id);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "trailing text after the secret line");
  }
  return GX_GENESIS_OK;
}

/* ---- member files ---------------------------------------------------------------------- */
gx_genesis_err_t gx_genesis_members_parse(gx_genesis_t *g, const char *text, size_t len, char *err,
                                          size_t errlen) {
  uint8_t vseen[GX_GENESIS_MAX_VALIDATORS] = {0};
  uint8_t sseen[GX_GENESIS_MAX_CLUSTERS][GX_GENESIS_CLUSTER_MAX];
  int vmax = -1, cmax = -1, smax[GX_GENESIS_MAX_CLUSTERS];
  int line = 0, lines = 0;
  memset(sseen, 0, sizeof sseen);
  for (unsigned c = 0; c < GX_GENESIS_MAX_CLUSTERS; c++) smax[c] = -1;
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    char buf[256];
    size_t ll = (size_t)(eol - p);
    line++;
    if (ll >= sizeof buf) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: longer than %zu characters", line, sizeof buf - 1);
    if (memchr(p, 0, ll)) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: NUL byte", line);
    memcpy(buf, p, ll);
    buf[ll] = 0;
    p = eol < end ? eol + 1 : end;
    while (ll && (buf[ll - 1] == '\r' || buf[ll - 1] == ' ' || buf[ll - 1] == '\t')) buf[--ll] = 0;
    char *s = buf + strspn(buf, " \t");
    if (!*s || *s == '#') continue;
    char *tok[5] = {0};
    int nt = 0;
    for (char *t = s; *t && nt < 5;) {
      size_t tl = strcspn(t, " \t");
      tok[nt++] = t;
      if (!t[tl]) break;
      t[tl] = 0;
      t += tl + 1;
      t += strspn(t, " \t");
    }
    if (nt != 3 && nt != 4)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD,
                         "line %d: want 'INDEX IDENTITY HOST:PORT', then optionally INGEST_HOST:PORT (INDEX: I for "
                         "validator I, C:I for star I of cluster C)", line);
    uint64_t c = 0, i;
    int star = 0;
    char *colon = strchr(tok[0], ':');
    if (colon) {
      *colon = 0;
      star = 1;
      if (gx_gen_dec(tok[0], GX_GENESIS_MAX_CLUSTERS - 1, &c) || gx_gen_dec(colon + 1, GX_GENESIS_CLUSTER_MAX - 1, &i))
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: star index: want C:I with C in 0..%u, I in 0..%u",
                           line, GX_GENESIS_MAX_CLUSTERS - 1, GX_GENESIS_CLUSTER_MAX - 1);
    } else if (gx_gen_dec(tok[0], GX_GENESIS_MAX_VALIDATORS - 1, &i)) {
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: validator index: want a number in 0..%u (or C:I for a star)",
                         line, GX_GENESIS_MAX_VALIDATORS - 1);
    }
    gx_pubkey_t pk;
    uint8_t x[32];
    if (strlen(tok[1]) != 64 || gx_hex_decode(pk.b, 32, tok[1]))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: identity: want 64 hex digits", line);
    if (crypto_sign_ed25519_pk_to_curve25519(x, pk.b) != 0)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: identity: not a usable ed25519 public key", line);
    char host[GX_GENESIS_HOST_MAX + 1];
    uint16_t port;
    if (gx_gen_parse_address(tok[2], host, &port))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: address '%s': want host:port or [ipv6]:port", line,
                         tok[2]);
    char ihost[GX_GENESIS_HOST_MAX + 1] = "";
    uint16_t iport = 0;
    if (nt == 4 && gx_gen_parse_address(tok[3], ihost, &iport))
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: ingest address '%s': want host:port or [ipv6]:port",
                         line, tok[3]);
    gx_genesis_validator_t *m;
    if (star) {
      if (sseen[c][i]++)
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: star %u:%u given twice", line, (unsigned)c,
                           (unsigned)i);
      if ((int)c > cmax) cmax = (int)c;
      if ((int)i > smax[c]) smax[c] = (int)i;
      m = &g->cluster[c].star[i];
    } else {
      if (vseen[i]++)
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "line %d: validator %u given twice", line, (unsigned)i);
      if ((int)i > vmax) vmax = (int)i;
      m = &g->v[i];
    }
    m->identity = pk;
    snprintf(m->host, sizeof m->host, "%s", host);
    m->port = port;
    snprintf(m->ingest_host, sizeof m->ingest_host, "%s", ihost);
    m->ingest_port = iport;
    lines++;
  }
  if (vmax < 0) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "no validator (want lines for validators 0..n-1)");
  for (int i = 0; i <= vmax; i++)
    if (!vseen[i])
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "validator %d missing (validators must be 0..%d)", i, vmax);
  for (int c = 0; c <= cmax; c++) {
    if (smax[c] < 0)
      return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "cluster %d has no star (clusters must be 0..%d)", c, cmax);
    for (int i = 0; i <= smax[c]; i++)
      if (!sseen[c][i])
        return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "star %d:%d missing (cluster %d's stars must be 0..%d)", c,
                           i, c, smax[c]);
    g->cluster[c].n = (uint16_t)(smax[c] + 1);
  }
  g->n = (uint16_t)(vmax + 1);
  g->cluster_count = (uint16_t)(cmax + 1);
  (void)lines;
  return GX_GENESIS_OK;
}

/* ---- sealed coin shares ------------------------------------------------------------------ */
#define GX_SHARE_HEADER "galaxy-coin-share v1"

gx_genesis_err_t gx_genesis_share_seal(gx_genesis_share_t *s, const gx_genesis_t *g, int star, unsigned cluster,
                                       unsigned index, const gx_coin_pub_t *pub, const gx_coin_secret_t *sec,
                                       char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  const gx_genesis_validator_t *m = NULL;
  if (star && cluster < g->cluster_count && index < g->cluster[cluster].n) m = &g->cluster[cluster].star[index];
  else if (!star && index < g->n) m = &g->v[index];
  if (!m) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "no such member in the genesis");
  if (sec->index != index)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "coin share %u given for member %u", sec->index, index);
  uint8_t xpk[32];
  if (crypto_sign_ed25519_pk_to_curve25519(xpk, m->identity.b) != 0)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_FIELD, "the member's identity is not a usable ed25519 public key");
  uint8_t plain[32 + GX_COIN_SECRET_FILE_MAX];
  memcpy(plain, g->id.b, 32);
  size_t clen = gx_coin_secret_file_encode(plain + 32, pub, sec);
  if (!clen) {
    sodium_memzero(plain, sizeof plain);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_COIN, "cannot encode the coin share");
  }
  crypto_box_seal(s->sealed, plain, 32 + clen, xpk);
  sodium_memzero(plain, sizeof plain);
  s->sealed_len = 32 + clen + GX_GENESIS_SEAL_OVERHEAD;
  s->index = (uint16_t)index;
  s->star = (uint8_t)(star != 0);
  s->cluster = star ? (uint16_t)cluster : 0;
  s->genesis_id = g->id;
  s->identity = m->identity;
  return GX_GENESIS_OK;
}

size_t gx_genesis_share_format(const gx_genesis_share_t *s, char *out, size_t cap) {
  char gid[65], pk[65], cl[24] = "";
  if (s->sealed_len > sizeof s->sealed) return 0;
  gx_hex_encode(gid, s->genesis_id.b, 32);
  gx_hex_encode(pk, s->identity.b, 32);
  if (s->star) snprintf(cl, sizeof cl, "cluster %u\n", s->cluster);
  int w = snprintf(out, cap, GX_SHARE_HEADER "\nindex %u\n%sgenesis %s\nidentity %s\nsealed ", s->index, cl, gid, pk);
  if (w < 0 || (size_t)w + 2 * s->sealed_len + 2 > cap) return 0;
  gx_hex_encode(out + w, s->sealed, s->sealed_len);
  size_t o = (size_t)w + 2 * s->sealed_len;
  out[o++] = '\n';
  out[o] = 0;
  return o;
}

gx_genesis_err_t gx_genesis_share_parse(gx_genesis_share_t *s, const char *text, size_t len, char *err,
                                        size_t errlen) {
  static const char hdr[] = GX_SHARE_HEADER "\n";
  const char *p = text, *end = text + len;
  memset(s, 0, sizeof *s);
  if (len < sizeof hdr - 1 || memcmp(text, hdr, sizeof hdr - 1))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "not a sealed coin share file (first line must be '%s')",
                       GX_SHARE_HEADER);
  p += sizeof hdr - 1;
  int ln;
  gx_genesis_err_t code = gx_gen_index_lines(&p, end, &s->index, &s->star, &s->cluster, &ln, err, errlen);
  if (code != GX_GENESIS_OK) return code;
  char v[2 * GX_GENESIS_SEALED_MAX + 8];
  if (gx_gen_line(&p, end, "genesis", v, sizeof v) || gx_gen_hexl_fixed(s->genesis_id.b, 32, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'genesis <64 lower-case hex>'", ln);
  if (gx_gen_line(&p, end, "identity", v, sizeof v) || gx_gen_hexl_fixed(s->identity.b, 32, v))
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'identity <64 lower-case hex>'", ln + 1);
  long sl = -1;
  size_t min = GX_GENESIS_SEAL_OVERHEAD + 32 + GX_COIN_SECRET_FILE_SZ(1);
  if (!gx_gen_line(&p, end, "sealed", v, sizeof v)) sl = gx_gen_hexl(s->sealed, sizeof s->sealed, v);
  if (sl < (long)min)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "line %d: want 'sealed <lower-case hex of %zu..%zu bytes>'",
                       ln + 2, min, sizeof s->sealed);
  s->sealed_len = (size_t)sl;
  if (p != end) return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "trailing text after the sealed line");
  return GX_GENESIS_OK;
}

gx_genesis_err_t gx_genesis_share_open(const gx_genesis_share_t *s, const gx_keypair_t *identity,
                                       gx_genesis_node_key_t *k, char *err, size_t errlen) {
  memset(k, 0, sizeof *k);
  if (memcmp(s->identity.b, identity->pk.b, 32)) {
    char a[17], b[17];
    gx_hex_encode(a, s->identity.b, 8);
    gx_hex_encode(b, identity->pk.b, 8);
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY,
                       "sealed to identity %s..., not to this identity key (%s...)", a, b);
  }
  if (s->sealed_len < GX_GENESIS_SEAL_OVERHEAD + 32 || s->sealed_len > sizeof s->sealed)
    return gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "sealed share: bad length");
  uint8_t xpk[32], xsk[32], plain[GX_GENESIS_SEALED_MAX];
  gx_genesis_err_t code = GX_GENESIS_OK;
  if (crypto_sign_ed25519_pk_to_curve25519(xpk, identity->pk.b) != 0 ||
      crypto_sign_ed25519_sk_to_curve25519(xsk, identity->sk) != 0)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "the identity key does not convert to X25519");
  else if (crypto_box_seal_open(plain, s->sealed, s->sealed_len, xpk, xsk) != 0)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY,
                       "cannot open the sealed share with this identity key (changed, or sealed to another key)");
  size_t plen = s->sealed_len - GX_GENESIS_SEAL_OVERHEAD;
  if (code == GX_GENESIS_OK && memcmp(plain, s->genesis_id.b, 32))
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "the share inside names another genesis than its file");
  gx_coin_err_t ce = GX_COIN_OK;
  if (code == GX_GENESIS_OK && (ce = gx_coin_secret_file_decode(&k->coin_pub, &k->coin, plain + 32, plen - 32)) !=
                                   GX_COIN_OK)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "coin secret share: %s", gx_coin_strerror(ce));
  else if (code == GX_GENESIS_OK && k->coin.index != s->index)
    code = gx_gen_fail(err, errlen, GX_GENESIS_ERR_KEY, "coin secret share %u inside a file for index %u",
                       k->coin.index, s->index);
  sodium_memzero(xsk, sizeof xsk);
  sodium_memzero(plain, sizeof plain);
  if (code != GX_GENESIS_OK) {
    gx_genesis_node_key_wipe(k);
    return code;
  }
  k->index = s->index;
  k->star = s->star;
  k->cluster = s->cluster;
  k->genesis_id = s->genesis_id;
  k->identity = *identity;
  return GX_GENESIS_OK;
}
