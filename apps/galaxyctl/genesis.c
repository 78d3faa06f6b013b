/* galaxyctl genesis: makes a genesis file and node key files for a local
 * network, or checks a genesis file (and a node key against it).
 *
 *   galaxyctl genesis --validators N --out DIR [--base-port P] [--host H[,H...]]
 *       [--name NAME] [--proposal-max-txs T]
 *       [--fund-load-seed S --fund-load-accounts K --fund-amount A]
 *       [--fund ADDR=AMOUNT ...] [--allow-f0]
 *       [--clusters K --cluster-size C [--fold-sample S] [--lsh-max-txs T]]
 *       [--ingest-port-base Q]
 *   galaxyctl genesis --members FILE --out DIR [--name NAME] [--proposal-max-txs T]
 *       [--fund-load-seed S --fund-load-accounts K --fund-amount A]
 *       [--fund ADDR=AMOUNT ...] [--allow-f0] [--fold-sample S] [--lsh-max-txs T]
 *       [--ingest-port Q]
 *   galaxyctl genesis --check FILE [--key NODE_KEY_FILE [--passphrase-file PATH]] [--replay DUMP]
 *
 * --members FILE builds the genesis of a real deployment from the members'
 * public identity keys and addresses (gx_genesis_members_parse: `I IDENTITY
 * HOST:PORT` per validator, `C:I IDENTITY HOST:PORT` per star, each line
 * printed by `galaxyctl keygen` on the member's host). It deals the coin keys
 * (the validators', and each cluster's) and writes DIR/genesis.ini and one
 * coin share file per member, sealed to its identity (DIR/share-<i>.sealed,
 * DIR/share-<c>-<i>.sealed: gx_genesis_share_seal); it never sees an
 * identity secret, and wipes the coin shares before it exits. Each member
 * assembles its node key with `galaxyctl node-key` (apps/galaxyctl/keys.c).
 *
 * --clusters K --cluster-size C adds K Star Clusters of C stars each
 * (docs/CLUSTERS.md): star (c, i) gets the consensus address of the first
 * host at port base + N + c*C + i, its own key file DIR/star-<c>-<i>.key, and
 * each cluster its own coin dealing.
 *
 * Ingest addresses (`ingest =` in the genesis: where clients send transfers,
 * docs/CLUSTERS.md "Routing"): --ingest-port-base Q gives validator i the
 * address of its host at port Q + i and star (c, i) the first host at port
 * Q + N + c*C + i (the consensus ports' layout, from Q); --members takes a
 * member's from the optional fourth field of its line, and --ingest-port Q
 * gives every member without one its consensus host at port Q. Without them
 * the genesis has none (clients then send where they are told: star --galaxy).
 *
 * --replay dry-runs transfers against the genesis through the ledger (no
 * network, no store): DUMP is `star load --dump` output, one transaction batch
 * datagram (0x10) per line in hex. Transfers are cut, in file order, into
 * epochs of n x proposal_max_txs, split into n proposals; each epoch is
 * applied and committed. Prints one summary line with the counts per reason;
 * exit 1 when the supply is not conserved.
 *
 * N = 2 or 3 (f = 0: no fault tolerated, yet more than one machine to fail)
 * is refused unless --allow-f0; N = 1 (a single-node chain) is allowed.
 *
 * Writes DIR/genesis.ini (0644) and DIR/node-<i>.key (0600) for i < N (and the
 * stars' DIR/star-<c>-<i>.key); never
 * overwrites an existing file (checked for all files before writing any).
 * Load accounts: gx_key_derive("star-load", S, j) for j < 2K; the even ones
 * (the payers of `star load --seed S --accounts K`) get A each.
 * Exit codes: apps/gx_cli.h. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "consensus/gx_coin.h"
#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "core/gx_util.h"
#include "validator/gx_genesis.h"
#include "validator/gx_ledger.h"

#define CTL_GENESIS_MAX_FUND 256
#define CTL_GENESIS_MAX_LOAD (1u << 20)

typedef struct {
  uint64_t rejected[GX_LEDGER_REJ__COUNT], accepted, total, dups, blocks;
} ctl_replay_t;

/* One epoch: `have` transfers at xf, cut into up to n proposals of at most
 * proposal_max_txs each; applied and committed. */
static int ctl_replay_epoch(gx_ledger_t *l, const gx_genesis_t *g, const uint8_t *xf, uint32_t have,
                            ctl_replay_t *r) {
  const uint8_t *props[GX_GENESIS_MAX_VALIDATORS];
  uint32_t lens[GX_GENESIS_MAX_VALIDATORS];
  uint32_t left = have;
  for (unsigned p = 0; p < g->n; p++) {
    uint32_t k = left < g->proposal_max_txs ? left : g->proposal_max_txs;
    props[p] = xf + (size_t)(have - left) * GX_XFER_SZ;
    lens[p] = k * GX_XFER_SZ;
    left -= k;
  }
  gx_ledger_block_t blk;
  gx_ledger_err_t e = gx_ledger_apply_epoch(l, r->blocks + 1, props, lens, g->n, NULL, NULL, &blk);
  if (e == GX_LEDGER_OK) e = gx_ledger_commit(l);
  if (e != GX_LEDGER_OK)
    return gx_cli_fail(GX_EXIT_FAIL, "epoch %llu: %s", (unsigned long long)r->blocks + 1, gx_ledger_strerror(e));
  for (int i = 0; i < GX_LEDGER_REJ__COUNT; i++) r->rejected[i] += blk.rejected[i];
  r->accepted += blk.tx_count;
  r->dups += blk.duplicates;
  r->blocks++;
  return GX_EXIT_OK;
}

/* Applies the transfers of a `star load --dump` file, epoch by epoch. */
static int ctl_genesis_replay(const gx_genesis_t *g, const char *dump) {
  FILE *f = fopen(dump, "r");
  if (!f) return gx_cli_fail(GX_EXIT_FAIL, "%s: %s", dump, strerror(errno));
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  gx_genesis_ledger_cfg(g, &cfg);
  cfg.max_accounts = 2 * g->balance_count + 4096;
  randombytes_buf(cfg.hash_key, sizeof cfg.hash_key);
  size_t fp = gx_ledger_footprint(&cfg);
  uint32_t per_epoch = (uint32_t)g->n * g->proposal_max_txs;
  void *mem = fp ? aligned_alloc(GX_LEDGER_ALIGN, (fp + GX_LEDGER_ALIGN - 1) & ~(size_t)(GX_LEDGER_ALIGN - 1)) : NULL;
  uint8_t *xf = malloc((size_t)per_epoch * GX_XFER_SZ);
  char *line = NULL;
  size_t line_cap = 0;
  int rc = GX_EXIT_OK;
  ctl_replay_t r = {0};
  uint64_t lineno = 0;
  uint32_t have = 0;
  gx_ledger_t *l = mem ? gx_ledger_new(mem, &cfg) : NULL;
  if (!l || !xf) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory for the ledger");
    goto out;
  }
  if (gx_ledger_genesis(l, &g->id, g->balances, g->balance_count) != GX_LEDGER_OK) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "ledger refused the genesis balances");
    goto out;
  }
  while (getline(&line, &line_cap, f) >= 0) {
    lineno++;
    uint8_t dg[GX_UDP_PAYLOAD_MAX];
    long n = gx_hex_decode_var(dg, sizeof dg, line);
    const uint8_t *ptrs[GX_BATCH_MAX];
    size_t count = 0;
    if (n <= 0 || gx_batch_decode(dg, (size_t)n, ptrs, NULL, &count, NULL) != GX_PROTO_OK) {
      rc = gx_cli_fail(GX_EXIT_USAGE, "%s: line %llu: not a hex transaction batch datagram", dump,
                       (unsigned long long)lineno);
      goto out;
    }
    for (size_t i = 0; i < count; i++) {
      memcpy(xf + (size_t)have * GX_XFER_SZ, ptrs[i], GX_XFER_SZ);
      have++;
      r.total++;
      if (have == per_epoch) {
        if ((rc = ctl_replay_epoch(l, g, xf, have, &r)) != GX_EXIT_OK) goto out;
        have = 0;
      }
    }
  }
  if (have && (rc = ctl_replay_epoch(l, g, xf, have, &r)) != GX_EXIT_OK) goto out;
  uint64_t supply = gx_ledger_total(l);
  printf("replay blocks=%llu transfers=%llu accepted=%llu duplicates=%llu", (unsigned long long)r.blocks,
         (unsigned long long)r.total, (unsigned long long)r.accepted, (unsigned long long)r.dups);
  for (int i = 0; i < GX_LEDGER_REJ__COUNT; i++)
    printf(" %s=%llu", gx_ledger_reject_label((gx_ledger_reject_t)i), (unsigned long long)r.rejected[i]);
  printf(" supply=%llu\n", (unsigned long long)supply);
  if (supply != g->supply)
    rc = gx_cli_fail(GX_EXIT_FAIL, "supply %llu after replay, genesis says %llu", (unsigned long long)supply,
                     (unsigned long long)g->supply);
out:
  free(line);
  free(xf);
  if (l) gx_ledger_delete(l);
  free(mem);
  fclose(f);
  return rc;
}

static int ctl_genesis_check(const char *file, const char *keyfile, const char *passfile, const char *replay) {
  gx_genesis_t *g = malloc(sizeof *g);
  gx_ledger_alloc_t *bal = malloc(sizeof *bal * (1u << 20));
  if (!g || !bal) {
    free(g);
    free(bal);
    return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  }
  gx_genesis_init(g, bal, 1u << 20);
  char err[400];
  gx_genesis_err_t e = gx_genesis_load(g, file, err, sizeof err);
  int rc = GX_EXIT_OK;
  if (e != GX_GENESIS_OK) {
    rc = gx_cli_fail(e == GX_GENESIS_ERR_IO ? GX_EXIT_FAIL : GX_EXIT_USAGE, "%s", err);
  } else if (keyfile) {
    gx_genesis_node_key_t *k = malloc(sizeof *k);
    if (!k) rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    else if ((e = gx_genesis_node_key_open(k, keyfile, passfile, err, sizeof err)) != GX_GENESIS_OK)
      rc = gx_cli_fail(e == GX_GENESIS_ERR_IO ? GX_EXIT_FAIL : GX_EXIT_USAGE, "%s", err);
    else if (gx_genesis_node_key_check(k, g, err, sizeof err) != GX_GENESIS_OK)
      rc = gx_cli_fail(GX_EXIT_USAGE, "%s: %s", keyfile, err);
    if (k) {
      if (rc == GX_EXIT_OK && k->star)
        printf("key %s: star %u of cluster %u of %s\n", keyfile, k->index, k->cluster, g->name);
      else if (rc == GX_EXIT_OK)
        printf("key %s: validator %u of %s\n", keyfile, k->index, g->name);
      gx_genesis_node_key_wipe(k);
      free(k);
    }
  }
  if (rc == GX_EXIT_OK) {
    char hex[65];
    gx_hex_encode(hex, g->id.b, 32);
    printf("genesis %s chain %s validators %u f %u accounts %u supply %llu", hex, g->name, g->n,
           gx_genesis_f(g), g->balance_count, (unsigned long long)g->supply);
    if (g->cluster_count)
      printf(" clusters %u stars %u fold_sample %u lsh_max_txs %u", g->cluster_count, g->cluster[0].n,
             g->fold_sample, g->lsh_max_txs);
    printf("\n");
    fflush(stdout);
    if (replay) rc = ctl_genesis_replay(g, replay);
  }
  free(bal);
  free(g);
  return rc;
}

static int ctl_parse_u64_arg(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
  return gx_cli_parse_u64(opt, v, lo, hi, out);
}

/* The dealer's part of a genesis (consensus/gx_coin.h's trusted dealer, until
 * issue 15's DKG): the validators' coin keys into pub and coin[0..n), then
 * each cluster's into spub[c] and scoin[c * GX_GENESIS_CLUSTER_MAX + i], and
 * the public halves into g. Identities are the caller's. Exit code. */
static int ctl_genesis_deal(gx_genesis_t *g, gx_coin_pub_t *pub, gx_coin_secret_t *coin, gx_coin_pub_t *spub,
                            gx_coin_secret_t *scoin) {
  gx_coin_err_t ce = gx_coin_deal(pub, coin, g->n, gx_genesis_f(g), NULL);
  if (ce != GX_COIN_OK) return gx_cli_fail(GX_EXIT_FAIL, "coin key dealing failed: %s", gx_coin_strerror(ce));
  memcpy(g->coin_group_vk, pub->group_vk, 32);
  for (unsigned i = 0; i < g->n; i++) memcpy(g->v[i].coin_vk, pub->vk[i], 32);
  for (unsigned c = 0; c < g->cluster_count; c++) {
    gx_genesis_cluster_t *cl = &g->cluster[c];
    ce = gx_coin_deal(&spub[c], scoin + (size_t)c * GX_GENESIS_CLUSTER_MAX, cl->n, (cl->n - 1u) / 3u, NULL);
    if (ce != GX_COIN_OK)
      return gx_cli_fail(GX_EXIT_FAIL, "cluster %u coin key dealing failed: %s", c, gx_coin_strerror(ce));
    memcpy(cl->coin_group_vk, spub[c].group_vk, 32);
    for (unsigned i = 0; i < cl->n; i++) memcpy(cl->star[i].coin_vk, spub[c].vk[i], 32);
  }
  return GX_EXIT_OK;
}

/* Finishes g (the checks of a loaded genesis; `where` names the member file
 * in the message, or NULL) and formats its text into *text (malloc'd, the
 * caller frees). Exit code. */
static int ctl_genesis_text(gx_genesis_t *g, const char *where, char **text, size_t *tlen) {
  char err[400];
  if (gx_genesis_finish(g, err, sizeof err) != GX_GENESIS_OK)
    return where ? gx_cli_fail(GX_EXIT_USAGE, "%s: %s", where, err) : gx_cli_fail(GX_EXIT_USAGE, "%s", err);
  size_t tcap = gx_genesis_text_size(g);
  *text = malloc(tcap);
  *tlen = *text ? gx_genesis_format(g, *text, tcap) : 0;
  if (!*tlen) return gx_cli_fail(GX_EXIT_FAIL, "cannot format the genesis file");
  return GX_EXIT_OK;
}

static int ctl_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* The --fund addresses and the load accounts, into g's balances. */
static int ctl_genesis_fund(gx_genesis_t *g, const char *const *fund, int nfund, uint64_t load_seed,
                            uint64_t load_accounts, uint64_t fund_amount) {
  char err[400];
  for (int i = 0; i < nfund; i++) {
    char addr[GX_ADDR_LEN + 1];
    const char *eq = strchr(fund[i], '=');
    uint64_t amount;
    gx_pubkey_t pk;
    if (!eq || (size_t)(eq - fund[i]) != GX_ADDR_LEN)
      return gx_cli_fail(GX_EXIT_USAGE, "--fund %s: want ADDRESS=AMOUNT with a %d-character gx address", fund[i],
                         GX_ADDR_LEN);
    memcpy(addr, fund[i], GX_ADDR_LEN);
    addr[GX_ADDR_LEN] = 0;
    gx_addr_err_t ae = gx_addr_decode(&pk, addr);
    if (ae != GX_ADDR_OK) return gx_cli_fail(GX_EXIT_USAGE, "--fund %s: %s", addr, gx_addr_strerror(ae));
    if (gx_parse_u64(eq + 1, &amount) || amount == 0 || amount > GX_AMOUNT_MAX)
      return gx_cli_fail(GX_EXIT_USAGE, "--fund %s: amount '%s' is not in 1..2^62", addr, eq + 1);
    if (gx_genesis_add_balance(g, &pk, amount, err, sizeof err) != GX_GENESIS_OK)
      return gx_cli_fail(GX_EXIT_USAGE, "--fund %s: %s", addr, err);
  }
  for (uint64_t j = 0; j < 2 * load_accounts; j += 2) {
    gx_keypair_t kp;
    gx_key_derive(&kp, "star-load", load_seed, j);
    gx_pubkey_t pk = kp.pk; /* only the public key is kept */
    gx_key_wipe(&kp);
    if (gx_genesis_add_balance(g, &pk, fund_amount, err, sizeof err) != GX_GENESIS_OK)
      return gx_cli_fail(GX_EXIT_USAGE, "load accounts: %s", err);
  }
  return GX_EXIT_OK;
}

static void ctl_genesis_summary(const gx_genesis_t *g) {
  char hex[65];
  gx_hex_encode(hex, g->id.b, 32);
  printf("genesis %s chain %s validators %u f %u accounts %u supply %llu", hex, g->name, g->n, gx_genesis_f(g),
         g->balance_count, (unsigned long long)g->supply);
  if (g->cluster_count)
    printf(" clusters %u stars %u fold_sample %u lsh_max_txs %u", g->cluster_count, g->cluster[0].n,
           g->fold_sample, g->lsh_max_txs);
  printf("\n");
}

/* The share file of member (star, c, i) under out. */
static void ctl_share_path(char *path, size_t cap, const char *out, int star, unsigned c, unsigned i) {
  if (star) snprintf(path, cap, "%s/share-%u-%u.sealed", out, c, i);
  else snprintf(path, cap, "%s/share-%u.sealed", out, i);
}

/* Options of a genesis build (both modes). */
typedef struct {
  const char *out, *name;
  uint64_t pmt, load_seed, load_accounts, fund_amount, fold_sample, lsh_max_txs;
  int allow_f0, have_fold_opts;
  const char *const *fund;
  int nfund;
  uint64_t ingest_port; /* --members --ingest-port: 0 none */
} ctl_gen_opts_t;

#define CTL_MEMBERS_MAX (1u << 16)

/* galaxyctl genesis --members FILE: the dealer of the coin keys only. */
static int ctl_genesis_members(const char *members, const ctl_gen_opts_t *o) {
  uint32_t cap = (uint32_t)(o->load_accounts + (uint64_t)o->nfund);
  gx_genesis_t *g = malloc(sizeof *g);
  gx_ledger_alloc_t *bal = malloc(sizeof *bal * (cap ? cap : 1));
  gx_coin_secret_t *coin = malloc(sizeof *coin * GX_GENESIS_MAX_VALIDATORS);
  gx_coin_secret_t *scoin = malloc(sizeof *scoin * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  gx_coin_pub_t *spub = malloc(sizeof *spub * (GX_GENESIS_MAX_CLUSTERS + 1));
  gx_genesis_share_t *sh = malloc(sizeof *sh);
  char *mtext = malloc(CTL_MEMBERS_MAX);
  char *stext = malloc(GX_GENESIS_SHARE_FILE_MAX);
  char *text = NULL;
  char err[400], path[4096];
  int rc = GX_EXIT_OK;
  if (!g || !bal || !coin || !scoin || !spub || !sh || !mtext || !stext) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    goto done;
  }
  long ml = gx_file_read(members, mtext, CTL_MEMBERS_MAX);
  if (ml < 0) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: %s", members, errno == EFBIG ? "larger than 64 KiB" : strerror(errno));
    goto done;
  }
  gx_genesis_init(g, bal, cap);
  if (gx_genesis_members_parse(g, mtext, (size_t)ml, err, sizeof err) != GX_GENESIS_OK) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s: %s", members, err);
    goto done;
  }
  unsigned n = g->n, clusters = g->cluster_count;
  if (n >= 2 && n <= 3 && !o->allow_f0) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s: %u validators give f = 0: the committee tolerates no faulty or stopped "
                     "validator (f >= 1 needs N >= 4); pass --allow-f0 to make it anyway", members, n);
    goto done;
  }
  if (o->have_fold_opts && !clusters) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "--fold-sample and --lsh-max-txs need stars (C:I lines) in the member file");
    goto done;
  }
  for (unsigned c = 0; o->ingest_port && c <= clusters; c++) /* members without an ingest field */
    for (unsigned i = 0; i < (c == 0 ? n : g->cluster[c - 1].n); i++) {
      gx_genesis_validator_t *m = c == 0 ? &g->v[i] : &g->cluster[c - 1].star[i];
      if (m->ingest_port) continue;
      snprintf(m->ingest_host, sizeof m->ingest_host, "%s", m->host);
      m->ingest_port = (uint16_t)o->ingest_port;
    }
  snprintf(g->name, sizeof g->name, "%s", o->name);
  g->proposal_max_txs = (uint32_t)(o->pmt ? o->pmt : GX_BH_MAX_TXS / n < 512 ? GX_BH_MAX_TXS / n : 512);
  if (clusters) {
    g->fold_sample = (uint32_t)o->fold_sample;
    g->lsh_max_txs = (uint32_t)o->lsh_max_txs;
  }
  if ((rc = ctl_genesis_fund(g, o->fund, o->nfund, o->load_seed, o->load_accounts, o->fund_amount)) != GX_EXIT_OK)
    goto done;
  /* the dealing: the validators' coin, then each cluster's */
  gx_coin_pub_t *pub = &spub[GX_GENESIS_MAX_CLUSTERS];
  for (unsigned c = 0; c < clusters; c++)
    if (g->cluster[c].n < GX_GENESIS_CLUSTER_MIN) {
      rc = gx_cli_fail(GX_EXIT_USAGE, "%s: cluster %u has %u stars: want %u..%u", members, c, g->cluster[c].n,
                       GX_GENESIS_CLUSTER_MIN, GX_GENESIS_CLUSTER_MAX);
      goto done;
    }
  size_t tlen = 0;
  if ((rc = ctl_genesis_deal(g, pub, coin, spub, scoin)) != GX_EXIT_OK ||
      (rc = ctl_genesis_text(g, members, &text, &tlen)) != GX_EXIT_OK)
    goto done;
  /* refuse before writing anything (a bad member file made nothing) */
  if (mkdir(o->out, 0755) && errno != EEXIST) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot create: %s", o->out, strerror(errno));
    goto done;
  }
  snprintf(path, sizeof path, "%s/genesis.ini", o->out);
  if (ctl_exists(path)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", path);
    goto done;
  }
  for (unsigned c = 0; c <= clusters; c++)
    for (unsigned i = 0; i < (c == 0 ? n : g->cluster[c - 1].n); i++) {
      ctl_share_path(path, sizeof path, o->out, c > 0, c ? c - 1 : 0, i);
      if (ctl_exists(path)) {
        rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", path);
        goto done;
      }
    }
  /* the shares, sealed to their members; public files (only the member opens one) */
  for (unsigned c = 0; c <= clusters; c++) {
    unsigned count = c == 0 ? n : g->cluster[c - 1].n;
    for (unsigned i = 0; i < count; i++) {
      int star = c > 0;
      const gx_coin_secret_t *sec = star ? &scoin[(size_t)(c - 1) * GX_GENESIS_CLUSTER_MAX + i] : &coin[i];
      unsigned cl = star ? c - 1 : 0;
      gx_genesis_err_t ge = gx_genesis_share_seal(sh, g, star, cl, i, star ? &spub[cl] : pub, sec, err, sizeof err);
      size_t slen = ge == GX_GENESIS_OK ? gx_genesis_share_format(sh, stext, GX_GENESIS_SHARE_FILE_MAX) : 0;
      ctl_share_path(path, sizeof path, o->out, star, cl, i);
      if (!slen) {
        rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot seal: %s", path, ge != GX_GENESIS_OK ? err : "format failed");
        goto done;
      }
      if (gx_file_write_atomic(path, stext, slen, 0644, 1)) {
        rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, strerror(errno));
        goto done;
      }
    }
  }
  snprintf(path, sizeof path, "%s/genesis.ini", o->out);
  if (gx_file_write_atomic(path, text, tlen, 0644, 1)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, strerror(errno));
    goto done;
  }
  ctl_genesis_summary(g);
done:
  if (coin) sodium_memzero(coin, sizeof *coin * GX_GENESIS_MAX_VALIDATORS);
  if (scoin) sodium_memzero(scoin, sizeof *scoin * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  free(coin);
  free(scoin);
  free(spub);
  free(sh);
  free(mtext);
  free(stext);
  free(text);
  free(bal);
  free(g);
  return rc;
}

static int ctl_genesis(int argc, char **argv) {
  uint64_t n = 0, base_port = 7000, load_seed = 0, load_accounts = 0, fund_amount = 0, pmt = 0;
  uint64_t clusters = 0, cluster_size = 0, fold_sample = GX_GENESIS_FOLD_SAMPLE_DEFAULT,
           lsh_max_txs = GX_GENESIS_LSH_MAX_TXS_DEFAULT, ingest_base = 0, ingest_port = 0;
  int have_fold_opts = 0;
  int have_seed = 0, have_accounts = 0, have_amount = 0, allow_f0 = 0;
  const char *out = NULL, *host = "127.0.0.1", *name = "galaxy-local", *check = NULL, *key = NULL,
             *replay = NULL, *members = NULL, *passfile = NULL;
  int have_host = 0, have_base = 0;
  const char *fund[CTL_GENESIS_MAX_FUND];
  int nfund = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (!strcmp(a, "--validators")) rc = ctl_parse_u64_arg(a, v, 1, GX_GENESIS_MAX_VALIDATORS, &n), i++;
    else if (!strcmp(a, "--base-port")) rc = ctl_parse_u64_arg(a, v, 1, 65535, &base_port), have_base = 1, i++;
    else if (!strcmp(a, "--proposal-max-txs")) rc = ctl_parse_u64_arg(a, v, 1, GX_BH_MAX_TXS, &pmt), i++;
    else if (!strcmp(a, "--fund-load-seed")) rc = ctl_parse_u64_arg(a, v, 0, UINT64_MAX, &load_seed), have_seed = 1, i++;
    else if (!strcmp(a, "--fund-load-accounts"))
      rc = ctl_parse_u64_arg(a, v, 1, CTL_GENESIS_MAX_LOAD, &load_accounts), have_accounts = 1, i++;
    else if (!strcmp(a, "--fund-amount")) rc = ctl_parse_u64_arg(a, v, 1, GX_AMOUNT_MAX, &fund_amount), have_amount = 1, i++;
    else if (!strcmp(a, "--allow-f0")) allow_f0 = 1;
    else if (!strcmp(a, "--clusters")) rc = ctl_parse_u64_arg(a, v, 1, GX_GENESIS_MAX_CLUSTERS, &clusters), i++;
    else if (!strcmp(a, "--cluster-size"))
      rc = ctl_parse_u64_arg(a, v, GX_GENESIS_CLUSTER_MIN, GX_GENESIS_CLUSTER_MAX, &cluster_size), i++;
    else if (!strcmp(a, "--fold-sample")) rc = ctl_parse_u64_arg(a, v, 0, 65536, &fold_sample), have_fold_opts = 1, i++;
    else if (!strcmp(a, "--lsh-max-txs"))
      rc = ctl_parse_u64_arg(a, v, 1, GX_LSH_MAX_TXS, &lsh_max_txs), have_fold_opts = 1, i++;
    else if (!strcmp(a, "--ingest-port-base")) rc = ctl_parse_u64_arg(a, v, 1, 65535, &ingest_base), i++;
    else if (!strcmp(a, "--ingest-port")) rc = ctl_parse_u64_arg(a, v, 1, 65535, &ingest_port), i++;
    else if (!strcmp(a, "--out") || !strcmp(a, "--host") || !strcmp(a, "--name") || !strcmp(a, "--fund") ||
             !strcmp(a, "--check") || !strcmp(a, "--key") || !strcmp(a, "--replay") || !strcmp(a, "--members") ||
             !strcmp(a, "--passphrase-file")) {
      if (!v || !v[0]) return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
      if (!strcmp(a, "--out")) out = v;
      else if (!strcmp(a, "--members")) members = v;
      else if (!strcmp(a, "--passphrase-file")) passfile = v;
      else if (!strcmp(a, "--host")) host = v, have_host = 1;
      else if (!strcmp(a, "--name")) name = v;
      else if (!strcmp(a, "--check")) check = v;
      else if (!strcmp(a, "--key")) key = v;
      else if (!strcmp(a, "--replay")) replay = v;
      else if (nfund >= CTL_GENESIS_MAX_FUND) return gx_cli_fail(GX_EXIT_USAGE, "more than %d --fund", CTL_GENESIS_MAX_FUND);
      else fund[nfund++] = v;
      i++;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("usage: galaxyctl genesis --validators N --out DIR [--base-port P] [--host H[,H...]] [--name NAME]\n"
             "         [--proposal-max-txs T] [--fund-load-seed S --fund-load-accounts K --fund-amount A]\n"
             "         [--fund ADDR=AMOUNT ...] [--allow-f0]\n"
             "         [--clusters K --cluster-size C [--fold-sample S] [--lsh-max-txs T]]\n"
             "         [--ingest-port-base Q]   (ingest addresses: validator i at Q+i, star (c,i) at Q+N+c*C+i)\n"
             "       galaxyctl genesis --members FILE --out DIR [--name NAME] [--proposal-max-txs T]\n"
             "         [--fund-load-seed S --fund-load-accounts K --fund-amount A] [--fund ADDR=AMOUNT ...]\n"
             "         [--allow-f0] [--fold-sample S] [--lsh-max-txs T] [--ingest-port Q]\n"
             "         (FILE: one 'I IDENTITY HOST:PORT [INGEST_HOST:PORT]' or 'C:I IDENTITY HOST:PORT\n"
             "          [INGEST_HOST:PORT]' line per member, as galaxyctl keygen prints, the ingest address\n"
             "          optional; --ingest-port Q: a member without one gets its host at port Q;\n"
             "          writes genesis.ini and the sealed coin shares)\n"
             "       galaxyctl genesis --check FILE [--key NODE_KEY_FILE [--passphrase-file PATH]]\n"
             "         [--replay STAR_LOAD_DUMP]\n");
      return GX_EXIT_OK;
    } else {
      return gx_cli_fail(GX_EXIT_USAGE, "genesis: unknown option '%s' (try galaxyctl genesis --help)", a);
    }
    if (rc) return rc;
  }
  if (check) {
    if (n || out || members || nfund || have_seed || have_accounts || have_amount || clusters || cluster_size ||
        have_fold_opts || ingest_base || ingest_port)
      return gx_cli_fail(GX_EXIT_USAGE, "genesis --check takes only --key, --passphrase-file and --replay");
    if (passfile && !key) return gx_cli_fail(GX_EXIT_USAGE, "--passphrase-file goes with --key");
    return ctl_genesis_check(check, key, passfile, replay);
  }
  if (key || replay || passfile)
    return gx_cli_fail(GX_EXIT_USAGE, "--key, --passphrase-file and --replay go with --check");
  if ((have_seed || have_accounts || have_amount) && !(have_seed && have_accounts && have_amount))
    return gx_cli_fail(GX_EXIT_USAGE, "--fund-load-seed, --fund-load-accounts and --fund-amount go together");
  if (members) {
    if (n || clusters || cluster_size || have_host || have_base || ingest_base)
      return gx_cli_fail(GX_EXIT_USAGE, "--members takes the validators, stars and addresses from its file: "
                         "not with --validators, --clusters, --cluster-size, --host, --base-port or "
                         "--ingest-port-base (--ingest-port Q: the same ingest port on each member's host)");
    if (!out) return gx_cli_fail(GX_EXIT_USAGE, "genesis needs --out DIR");
    ctl_gen_opts_t o = {.out = out, .name = name, .pmt = pmt, .load_seed = load_seed,
                        .load_accounts = load_accounts, .fund_amount = fund_amount, .fold_sample = fold_sample,
                        .lsh_max_txs = lsh_max_txs, .allow_f0 = allow_f0, .have_fold_opts = have_fold_opts,
                        .fund = fund, .nfund = nfund, .ingest_port = ingest_port};
    return ctl_genesis_members(members, &o);
  }
  if (!n) return gx_cli_fail(GX_EXIT_USAGE, "genesis needs --validators N (1..64)");
  if (!out) return gx_cli_fail(GX_EXIT_USAGE, "genesis needs --out DIR");
  /* N = 2 or 3 looks like a fault-tolerant committee but tolerates no fault
   * (f = (N-1)/3 = 0): any one validator down halts it. N = 1 is a plain
   * single-node chain and stays allowed. */
  if (n >= 2 && n <= 3 && !allow_f0)
    return gx_cli_fail(GX_EXIT_USAGE, "--validators %llu gives f = 0: the committee tolerates no faulty "
                       "or stopped validator (f >= 1 needs N >= 4); pass --allow-f0 to make it anyway",
                       (unsigned long long)n);
  if (!clusters != !cluster_size)
    return gx_cli_fail(GX_EXIT_USAGE, "--clusters and --cluster-size go together");
  if (have_fold_opts && !clusters)
    return gx_cli_fail(GX_EXIT_USAGE, "--fold-sample and --lsh-max-txs need --clusters");
  if (base_port + n + clusters * cluster_size - 1 > 65535)
    return gx_cli_fail(GX_EXIT_USAGE, "--base-port %llu: ports run past 65535", (unsigned long long)base_port);
  if (ingest_port)
    return gx_cli_fail(GX_EXIT_USAGE, "--ingest-port goes with --members (here: --ingest-port-base Q)");
  if (ingest_base && ingest_base + n + clusters * cluster_size - 1 > 65535)
    return gx_cli_fail(GX_EXIT_USAGE, "--ingest-port-base %llu: ports run past 65535", (unsigned long long)ingest_base);
  /* --host H (every validator) or H0,H1,...,H(N-1) (one each) */
  const char *hosts[GX_GENESIS_MAX_VALIDATORS];
  size_t host_len[GX_GENESIS_MAX_VALIDATORS];
  unsigned n_hosts = 0;
  for (const char *h = host;;) {
    size_t hl = strcspn(h, ",");
    if (n_hosts == n || n_hosts == GX_GENESIS_MAX_VALIDATORS)
      return gx_cli_fail(GX_EXIT_USAGE, "--host: more hosts than the %llu validators",
                         (unsigned long long)n);
    if (!hl) return gx_cli_fail(GX_EXIT_USAGE, "--host: empty host in '%s'", host);
    if (hl > GX_GENESIS_HOST_MAX)
      return gx_cli_fail(GX_EXIT_USAGE, "--host: longer than %d characters", GX_GENESIS_HOST_MAX);
    hosts[n_hosts] = h;
    host_len[n_hosts++] = hl;
    if (!h[hl]) break;
    h += hl + 1;
  }
  if (n_hosts != 1 && n_hosts != n)
    return gx_cli_fail(GX_EXIT_USAGE, "--host: give one host, or one per validator (%llu), not %u",
                       (unsigned long long)n, n_hosts);
  if (!pmt) pmt = GX_BH_MAX_TXS / n < 512 ? GX_BH_MAX_TXS / n : 512;

  uint32_t cap = (uint32_t)(load_accounts + (uint64_t)nfund);
  gx_genesis_t *g = malloc(sizeof *g);
  gx_ledger_alloc_t *bal = malloc(sizeof *bal * (cap ? cap : 1));
  gx_coin_secret_t *coin = malloc(sizeof *coin * GX_GENESIS_MAX_VALIDATORS);
  gx_keypair_t *ids = malloc(sizeof *ids * GX_GENESIS_MAX_VALIDATORS);
  /* stars: keys and coin shares by cluster */
  gx_keypair_t *sids = malloc(sizeof *sids * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  gx_coin_secret_t *scoin = malloc(sizeof *scoin * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  gx_coin_pub_t *spub = malloc(sizeof *spub * GX_GENESIS_MAX_CLUSTERS);
  gx_genesis_node_key_t *nk = malloc(sizeof *nk);
  size_t key_cap = GX_GENESIS_NODE_KEY_MAX;
  char *key_text = malloc(key_cap);
  char *text = NULL;
  int rc = GX_EXIT_OK;
  gx_coin_pub_t pub;
  if (!g || !bal || !coin || !ids || !nk || !key_text || !sids || !scoin || !spub) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    goto done;
  }
  gx_genesis_init(g, bal, cap);
  snprintf(g->name, sizeof g->name, "%s", name);
  g->n = (uint16_t)n;
  g->proposal_max_txs = (uint32_t)pmt;
  for (unsigned i = 0; i < n; i++) {
    const char *h = hosts[n_hosts == 1 ? 0 : i];
    size_t hl = host_len[n_hosts == 1 ? 0 : i];
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') { h++; hl -= 2; }
    memcpy(g->v[i].host, h, hl);
    g->v[i].host[hl] = 0;
    g->v[i].port = (uint16_t)(base_port + i);
    if (ingest_base) {
      memcpy(g->v[i].ingest_host, g->v[i].host, hl + 1);
      g->v[i].ingest_port = (uint16_t)(ingest_base + i);
    }
  }
  g->cluster_count = (uint16_t)clusters;
  if (clusters) {
    g->fold_sample = (uint32_t)fold_sample;
    g->lsh_max_txs = (uint32_t)lsh_max_txs;
  }
  for (unsigned c = 0; c < clusters; c++) {
    g->cluster[c].n = (uint16_t)cluster_size;
    for (unsigned i = 0; i < cluster_size; i++) {
      gx_genesis_validator_t *st = &g->cluster[c].star[i];
      const char *h = hosts[0];
      size_t hl = host_len[0];
      if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') { h++; hl -= 2; }
      memcpy(st->host, h, hl);
      st->host[hl] = 0;
      st->port = (uint16_t)(base_port + n + c * cluster_size + i);
      if (ingest_base) {
        memcpy(st->ingest_host, st->host, hl + 1);
        st->ingest_port = (uint16_t)(ingest_base + n + c * cluster_size + i);
      }
    }
  }
  if ((rc = ctl_genesis_fund(g, fund, nfund, load_seed, load_accounts, fund_amount)) != GX_EXIT_OK) goto done;
  /* refuse before writing anything */
  char path[4096];
  if (mkdir(out, 0755) && errno != EEXIST) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot create: %s", out, strerror(errno));
    goto done;
  }
  snprintf(path, sizeof path, "%s/genesis.ini", out);
  if (ctl_exists(path)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", path);
    goto done;
  }
  for (unsigned i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/node-%u.key", out, i);
    if (ctl_exists(path)) {
      rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", path);
      goto done;
    }
  }
  for (unsigned c = 0; c < clusters; c++)
    for (unsigned i = 0; i < cluster_size; i++) {
      snprintf(path, sizeof path, "%s/star-%u-%u.key", out, c, i);
      if (ctl_exists(path)) {
        rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", path);
        goto done;
      }
    }
  /* keys: identities, then the coin dealing (consensus/gx_coin.h) */
  for (unsigned i = 0; i < n; i++) {
    gx_key_generate(&ids[i]);
    g->v[i].identity = ids[i].pk;
  }
  for (unsigned c = 0; c < clusters; c++) {
    gx_keypair_t *ck = sids + (size_t)c * GX_GENESIS_CLUSTER_MAX;
    for (unsigned i = 0; i < cluster_size; i++) {
      gx_key_generate(&ck[i]);
      g->cluster[c].star[i].identity = ck[i].pk;
    }
  }
  size_t tlen = 0;
  if ((rc = ctl_genesis_deal(g, &pub, coin, spub, scoin)) != GX_EXIT_OK ||
      (rc = ctl_genesis_text(g, NULL, &text, &tlen)) != GX_EXIT_OK)
    goto done;
  for (unsigned i = 0; i < n; i++) {
    memset(nk, 0, sizeof *nk);
    nk->index = (uint16_t)i;
    nk->genesis_id = g->id;
    nk->identity = ids[i];
    nk->coin_pub = pub;
    nk->coin = coin[i];
    size_t klen = gx_genesis_node_key_format(nk, key_text, key_cap);
    gx_genesis_node_key_wipe(nk);
    snprintf(path, sizeof path, "%s/node-%u.key", out, i);
    if (!klen || gx_file_write_atomic(path, key_text, klen, 0600, 1)) {
      rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, klen ? strerror(errno) : "format failed");
      goto done;
    }
  }
  for (unsigned c = 0; c < clusters; c++)
    for (unsigned i = 0; i < cluster_size; i++) {
      memset(nk, 0, sizeof *nk);
      nk->index = (uint16_t)i;
      nk->star = 1;
      nk->cluster = (uint16_t)c;
      nk->genesis_id = g->id;
      nk->identity = sids[(size_t)c * GX_GENESIS_CLUSTER_MAX + i];
      nk->coin_pub = spub[c];
      nk->coin = scoin[(size_t)c * GX_GENESIS_CLUSTER_MAX + i];
      size_t klen = gx_genesis_node_key_format(nk, key_text, key_cap);
      gx_genesis_node_key_wipe(nk);
      snprintf(path, sizeof path, "%s/star-%u-%u.key", out, c, i);
      if (!klen || gx_file_write_atomic(path, key_text, klen, 0600, 1)) {
        rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, klen ? strerror(errno) : "format failed");
        goto done;
      }
    }
  snprintf(path, sizeof path, "%s/genesis.ini", out);
  if (gx_file_write_atomic(path, text, tlen, 0644, 1)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, strerror(errno));
    goto done;
  }
  ctl_genesis_summary(g);
done:
  if (ids) sodium_memzero(ids, sizeof *ids * GX_GENESIS_MAX_VALIDATORS);
  if (coin) sodium_memzero(coin, sizeof *coin * GX_GENESIS_MAX_VALIDATORS);
  if (sids) sodium_memzero(sids, sizeof *sids * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  if (scoin) sodium_memzero(scoin, sizeof *scoin * GX_GENESIS_MAX_CLUSTERS * GX_GENESIS_CLUSTER_MAX);
  free(sids);
  free(scoin);
  free(spub);
  if (key_text) sodium_memzero(key_text, key_cap);
  free(text);
  free(key_text);
  free(nk);
  free(ids);
  free(coin);
  free(bal);
  free(g);
  return rc;
}

GX_CTL_COMMAND("genesis", "--validators N --out DIR [...] | --members FILE --out DIR [...] | --check FILE [--key KEY]: make or check a genesis",
               ctl_genesis);
