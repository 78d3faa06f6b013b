/* galaxyctl db: inspect, verify and repair a black-hole store (storage/).
 *
 *   galaxyctl db --dir DIR stat            heights, segments, sizes, counts
 *   galaxyctl db --dir DIR verify          full check of log and index (exit 1 on damage)
 *   galaxyctl db --dir DIR dump HEIGHT     one block: hash, body (hex), and a black hole's
 *                                          header and transfers decoded (gx addresses),
 *                                          tx hashes, updates (with their gx address)
 *   galaxyctl db --dir DIR tx HASH         which block holds a transaction
 *   galaxyctl db --dir DIR account ADDR    account state (gx... address or 64 hex key)
 *   galaxyctl db --dir DIR repair          cut the log at the first bad record, rebuild the index
 *
 * --check-bh (verify, repair): also check that every body decodes as a Black
 * Hole (core/gx_proto.h) whose id is the hash stored with it.
 *
 * stat, verify, dump, tx and account open the store read-only (no lock, no
 * recovery) so they work beside a running galaxyd; repair needs it stopped.
 * Exit codes (apps/gx_cli.h): 0 ok, 1 not found / damaged / I/O failure,
 * 2 bad arguments, no store at DIR, or a store of an unsupported version. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/gx_cli.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"
#include "core/gx_util.h"
#include "storage/gx_store.h"

#define DB_USAGE "--dir DIR [--check-bh] stat|verify|dump HEIGHT|tx HASH|account ADDR|repair"

/* gx_store_hash_fn_t for --check-bh: the body is an encoded Black Hole. */
static int db_bh_hash(void *ctx, const uint8_t *body, uint32_t len, gx_hash_t *out) {
  (void)ctx;
  gx_bh_header_t h;
  const uint8_t *xfers;
  if (gx_bh_decode(&h, &xfers, body, len) != GX_PROTO_OK) return -1;
  gx_bh_id(out, &h);
  return 0;
}

static int db_open_fail(gx_store_err_t rc, const gx_store_error_t *err) {
  int code = rc == GX_STORE_EINVAL || rc == GX_STORE_ENOTFOUND || rc == GX_STORE_EVERSION
                 ? GX_EXIT_USAGE
                 : GX_EXIT_FAIL;
  return gx_cli_fail(code, "%s", err->msg[0] ? err->msg : gx_store_strerror(rc));
}

static void db_print_hash(const char *label, const uint8_t *b) {
  char hex[65];
  gx_hex_encode(hex, b, 32);
  printf("%s%s\n", label, hex);
}

static int db_stat(gx_store_t *st, const char *dir) {
  gx_store_info_t in;
  gx_store_info(st, &in);
  printf("dir: %s\n", dir);
  printf("durable_height: %" PRIu64 "\n", in.durable_height);
  printf("segments: %" PRIu64 "\n", in.segment_count);
  printf("log_bytes: %" PRIu64 "\n", in.log_bytes);
  printf("applied_position: segment %" PRIu64 " offset %" PRIu64 "\n", in.tail_segment,
         in.tail_offset);
  printf("accounts: %" PRIu64 "\n", in.accounts);
  printf("transactions: %" PRIu64 "\n", in.txs);
  printf("lmdb: %s/index (mdb_stat -a %s/index)\n", dir, dir);
  return GX_EXIT_OK;
}

/* A body that is a black hole (gx_bh_decode): its header and each transfer
 * decoded, parties as gx addresses. Anything else is left as the hex above. */
static void db_dump_blackhole(const uint8_t *body, uint32_t len) {
  gx_bh_header_t h;
  const uint8_t *xfers;
  if (gx_bh_decode(&h, &xfers, body, len) != GX_PROTO_OK) {
    printf("blackhole: no (the body does not decode as a black hole)\n");
    return;
  }
  char prev[65], er[65], sr[65];
  gx_hex_encode(prev, h.prev.b, 32);
  gx_hex_encode(er, h.entries_root.b, 32);
  gx_hex_encode(sr, h.state_root.b, 32);
  printf("blackhole: height %" PRIu64 " epoch %" PRIu64 " prev %s entries_root %s state_root %s "
         "transfers %u\n",
         h.height, h.epoch, prev, er, sr, h.tx_count);
  for (uint32_t i = 0; i < h.tx_count; i++) {
    const uint8_t *enc = xfers + (size_t)i * GX_XFER_SZ;
    gx_xfer_t x;
    if (gx_xfer_decode(&x, enc, GX_XFER_SZ) != GX_PROTO_OK) continue; /* gx_bh_decode checked it */
    gx_hash_t id;
    gx_xfer_id(&id, enc);
    char idh[65], from[GX_ADDR_LEN + 1], to[GX_ADDR_LEN + 1];
    gx_hex_encode(idh, id.b, 32);
    gx_addr_encode(from, &x.initiator);
    gx_addr_encode(to, &x.counterparty);
    printf("transfer[%u]: id %s from %s seq %" PRIu64 " to %s seq %" PRIu64 " amount %" PRIu64
           " nonce %" PRIu64 "\n",
           i, idh, from, x.init_link.seq, to, x.cp_link.seq, x.amount, x.nonce);
  }
}

static int db_dump(gx_store_t *st, const char *arg) {
  uint64_t h;
  if (gx_parse_u64(arg, &h) != 0 || h == 0)
    return gx_cli_fail(GX_EXIT_USAGE, "bad height '%s' (a decimal number >= 1)", arg);
  uint32_t len;
  gx_store_err_t rc = gx_store_record_size(st, h, &len);
  if (rc == GX_STORE_ENOTFOUND)
    return gx_cli_fail(GX_EXIT_FAIL, "no block at height %" PRIu64 " (durable height %" PRIu64 ")",
                       h, gx_store_durable_height(st));
  if (rc) return gx_cli_fail(GX_EXIT_FAIL, "height %" PRIu64 ": %s", h, gx_store_strerror(rc));
  uint8_t *buf = malloc(len);
  char *hex = malloc(2 * (size_t)len + 1);
  if (!buf || !hex) {
    free(buf);
    free(hex);
    return gx_cli_fail(GX_EXIT_FAIL, "out of memory for a %u-byte record", len);
  }
  gx_store_rec_t rec;
  rc = gx_store_get(st, h, buf, len, &rec);
  if (rc) {
    free(buf);
    free(hex);
    return gx_cli_fail(GX_EXIT_FAIL, "block %" PRIu64 ": %s (run `galaxyctl db verify`)", h,
                       gx_store_strerror(rc));
  }
  gx_store_loc_t loc;
  gx_store_locate(st, h, &loc);
  printf("height: %" PRIu64 "\n", rec.height);
  db_print_hash("hash: ", rec.hash.b);
  printf("location: segment %" PRIu64 " offset %" PRIu64 " length %u\n", loc.segment, loc.offset,
         rec.rec_len);
  printf("body_len: %u\n", rec.body_len);
  gx_hex_encode(hex, rec.body, rec.body_len);
  printf("body: %s\n", hex);
  printf("tx_count: %u\n", rec.tx_count);
  for (uint32_t i = 0; i < rec.tx_count; i++) {
    char label[32];
    snprintf(label, sizeof label, "tx[%u]: ", i);
    db_print_hash(label, rec.tx_hashes + 32ull * i);
  }
  db_dump_blackhole(rec.body, rec.body_len);
  printf("update_count: %u\n", rec.update_count);
  for (uint32_t i = 0; i < rec.update_count; i++) {
    gx_store_account_update_t u;
    gx_store_rec_update(&rec, i, &u);
    char k[65], hd[65], addr[GX_ADDR_LEN + 1];
    gx_hex_encode(k, u.key, 32);
    gx_hex_encode(hd, u.state.head.b, 32);
    gx_pubkey_t pk;
    memcpy(pk.b, u.key, 32);
    gx_addr_encode(addr, &pk);
    printf("update[%u]: key %s balance %" PRIu64 " seq %" PRIu64 " head %s address %s\n", i, k,
           u.state.balance, u.state.seq, hd, addr);
  }
  free(buf);
  free(hex);
  return GX_EXIT_OK;
}

static int db_tx(gx_store_t *st, const char *arg) {
  gx_hash_t tx;
  if (gx_hex_decode(tx.b, 32, arg) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "bad transaction hash '%s' (64 hex characters)", arg);
  uint64_t h;
  uint32_t idx;
  gx_store_err_t rc = gx_store_find_tx(st, &tx, &h, &idx);
  if (rc == GX_STORE_ENOTFOUND) return gx_cli_fail(GX_EXIT_FAIL, "transaction %s not found", arg);
  if (rc) return gx_cli_fail(GX_EXIT_FAIL, "transaction lookup: %s", gx_store_strerror(rc));
  printf("height: %" PRIu64 "\nindex: %u\n", h, idx);
  return GX_EXIT_OK;
}

static int db_account(gx_store_t *st, const char *arg) {
  uint8_t key[32];
  if (strlen(arg) == 64) {
    if (gx_hex_decode(key, 32, arg) != 0)
      return gx_cli_fail(GX_EXIT_USAGE, "bad account key '%s' (64 hex characters)", arg);
  } else {
    gx_pubkey_t pk;
    gx_addr_err_t ae = gx_addr_decode(&pk, arg);
    if (ae != GX_ADDR_OK)
      return gx_cli_fail(GX_EXIT_USAGE, "bad address '%s': %s", arg, gx_addr_strerror(ae));
    memcpy(key, pk.b, 32);
  }
  gx_store_account_t a;
  gx_store_err_t rc = gx_store_account(st, key, &a);
  if (rc == GX_STORE_ENOTFOUND) return gx_cli_fail(GX_EXIT_FAIL, "account %s not found", arg);
  if (rc) return gx_cli_fail(GX_EXIT_FAIL, "account lookup: %s", gx_store_strerror(rc));
  printf("balance: %" PRIu64 "\nseq: %" PRIu64 "\n", a.balance, a.seq);
  db_print_hash("head: ", a.head.b);
  return GX_EXIT_OK;
}

static int ctl_db(int argc, char **argv) {
  const char *dir = NULL;
  int check_bh = 0;
  int i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--dir")) {
      if (i + 1 >= argc) return gx_cli_fail(GX_EXIT_USAGE, "db: --dir needs a directory");
      dir = argv[++i];
    } else if (!strncmp(argv[i], "--dir=", 6)) {
      dir = argv[i] + 6;
    } else if (!strcmp(argv[i], "--check-bh")) {
      check_bh = 1;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: galaxyctl db %s\n"
             "  stat            heights, segments, sizes, counts\n"
             "  verify          full check of log and index (exit 1 on damage)\n"
             "  dump HEIGHT     one block: hash, body (hex), a black hole decoded (gx addresses),\n"
             "                  tx hashes, updates\n"
             "  tx HASH         which block holds a transaction\n"
             "  account ADDR    account state (gx... address or 64 hex key)\n"
             "  repair          cut the log at the first bad record, rebuild the index (galaxyd stopped)\n"
             "  --check-bh      (verify, repair) also decode every body as a Black Hole\n",
             DB_USAGE);
      return GX_EXIT_OK;
    } else if (argv[i][0] == '-') {
      return gx_cli_fail(GX_EXIT_USAGE, "db: unknown option '%s' (usage: db %s)", argv[i], DB_USAGE);
    } else {
      break;
    }
  }
  if (!dir || !dir[0]) return gx_cli_fail(GX_EXIT_USAGE, "db: --dir DIR is required (usage: db %s)", DB_USAGE);
  if (i >= argc) return gx_cli_fail(GX_EXIT_USAGE, "db: missing subcommand (usage: db %s)", DB_USAGE);
  const char *cmd = argv[i];
  int nargs = argc - i - 1;
  int want = !strcmp(cmd, "dump") || !strcmp(cmd, "tx") || !strcmp(cmd, "account") ? 1
           : !strcmp(cmd, "stat") || !strcmp(cmd, "verify") || !strcmp(cmd, "repair") ? 0 : -1;
  if (want < 0) return gx_cli_fail(GX_EXIT_USAGE, "db: unknown subcommand '%s' (usage: db %s)", cmd, DB_USAGE);
  if (nargs != want)
    return gx_cli_fail(GX_EXIT_USAGE, "db %s: expected %d argument%s, got %d", cmd, want,
                       want == 1 ? "" : "s", nargs);
  const char *arg = want ? argv[i + 1] : NULL;

  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = dir;
  cfg.lmdb_map_bytes = 64ull << 30;
  if (check_bh) cfg.hash_fn = db_bh_hash;
  gx_store_error_t err;
  if (!strcmp(cmd, "repair")) {
    uint64_t kept;
    gx_store_err_t rc = gx_store_repair(&cfg, &kept, &err);
    if (rc) return db_open_fail(rc, &err);
    printf("repaired: log and index consistent up to height %" PRIu64 "\n", kept);
    return GX_EXIT_OK;
  }
  cfg.read_only = 1;
  gx_store_t *st;
  gx_store_err_t rc = gx_store_open(&cfg, &st, &err);
  if (rc) return db_open_fail(rc, &err);
  int out;
  if (!strcmp(cmd, "stat")) out = db_stat(st, dir);
  else if (!strcmp(cmd, "dump")) out = db_dump(st, arg);
  else if (!strcmp(cmd, "tx")) out = db_tx(st, arg);
  else if (!strcmp(cmd, "account")) out = db_account(st, arg);
  else {
    rc = gx_store_verify(st, &err);
    if (rc == GX_STORE_OK) {
      printf("ok: %" PRIu64 " blocks, every record and index entry checked\n",
             gx_store_durable_height(st));
      out = GX_EXIT_OK;
    } else {
      out = gx_cli_fail(GX_EXIT_FAIL, "verify failed: %s", err.msg);
    }
  }
  gx_store_close(st);
  return out;
}

GX_CTL_COMMAND("db", DB_USAGE, ctl_db);
