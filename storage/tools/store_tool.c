/* gx_store_tool: test-only helper for tests/test_storage*.sh (not installed).
 *
 *   gx_store_tool write DIR SEED [MAX_BLOCKS [FSIZE_LIMIT [MODE]]]
 *       appends deterministic pseudo-random blocks (accounts moving balances)
 *       in groups of 1..8, printing each durable height on stdout ("H\n", one
 *       write(2) per line) after gx_store_sync returns. Runs until MAX_BLOCKS
 *       (0 = forever, the crash test SIGKILLs it). FSIZE_LIMIT > 0 sets
 *       RLIMIT_FSIZE (SIGXFSZ ignored): a full disk. Exit 0 done, 3 on
 *       ENOSPC (message on stderr), 1 other failure.
 *   gx_store_tool check DIR SEED REPORTED
 *       opens (runs recovery), then checks every block 1..durable against the
 *       generator (body, hash, tx hashes and lookups, updates), the account
 *       state against a replay from genesis, durable >= REPORTED, and
 *       gx_store_verify. Exit 0 when all holds, 1 otherwise.
 *   gx_store_tool tear DIR RNG_SEED REPORTED
 *       simulates a power cut: garbles or truncates the last group written
 *       (never a record at or below REPORTED, never below the index's mark).
 *   gx_store_tool flip FILE OFFSET BIT     flips one bit in place
 *   gx_store_tool open DIR                 opens read-write, prints the result
 *
 * Store settings: 512 KiB segments, 1 MiB write buffer, group durability;
 * the writer's LMDB apply interval is 0, 5 or 50 ms (by its pid) so that
 * recovery re-applies durable-but-unapplied groups too. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gx_hash.h"
#include "core/gx_util.h"
#include "storage/gx_store.h"

#define NACC 32
#define MAX_TX 6
#define MAX_BODY (64u << 10)
#define GENESIS_BALANCE 1000000u

typedef struct {
  uint8_t key[NACC][32];
  gx_store_account_t acct[NACC];
  int touched[NACC];
  uint64_t seed;
} world_t;

typedef struct {
  gx_store_block_t blk;
  uint8_t body[MAX_BODY];
  gx_hash_t txs[MAX_TX];
  gx_store_account_update_t upd[NACC];
} gen_block_t;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void world_init(world_t *w, uint64_t seed) {
  memset(w, 0, sizeof *w);
  w->seed = seed;
  for (int i = 0; i < NACC; i++) {
    uint8_t in[16];
    gx_st64(in, seed);
    gx_st64(in + 8, (uint64_t)i);
    gx_hash_t h;
    gx_hash(&h, GX_DOM_ADDRESS, in, sizeof in);
    memcpy(w->key[i], h.b, 32);
    w->acct[i].balance = GENESIS_BALANCE;
  }
}

static int body_hash(void *ctx, const uint8_t *body, uint32_t len, gx_hash_t *out) {
  (void)ctx;
  gx_hash(out, GX_DOM_BLACKHOLE, body, len);
  return 0;
}

/* Advances the world by block h; with g != NULL also builds the block. */
static void gen_block(world_t *w, uint64_t h, gen_block_t *g) {
  uint64_t s = w->seed ^ (h * 0x2545f4914f6cdd1dull);
  int ntx = (int)(splitmix(&s) % MAX_TX);
  int touched[NACC] = {0};
  for (int i = 0; i < ntx; i++) {
    int from = (int)(splitmix(&s) % NACC), to = (int)(splitmix(&s) % NACC);
    uint64_t amt = splitmix(&s) % (w->acct[from].balance + 1);
    w->acct[from].balance -= amt;
    w->acct[to].balance += amt;
    w->acct[from].seq++;
    uint8_t in[24];
    gx_st64(in, w->seed);
    gx_st64(in + 8, h);
    gx_st64(in + 16, (uint64_t)i);
    gx_hash_t tx;
    gx_hash(&tx, GX_DOM_TX, in, sizeof in);
    w->acct[from].head = tx;
    touched[from] = touched[to] = 1;
    if (g) g->txs[i] = tx;
  }
  uint32_t nupd = 0;
  for (int i = 0; i < NACC; i++) {
    if (!touched[i]) continue;
    w->touched[i] = 1;
    if (g) {
      memcpy(g->upd[nupd].key, w->key[i], 32);
      g->upd[nupd].state = w->acct[i];
    }
    nupd++;
  }
  if (!g) return;
  uint32_t r = (uint32_t)splitmix(&s);
  uint32_t len = r % 40 == 0 ? MAX_BODY - (r % 4096) : 64 + r % 2000;
  uint64_t fill = splitmix(&s);
  for (uint32_t i = 0; i < len; i += 8) {
    uint64_t v = splitmix(&fill);
    memcpy(g->body + i, &v, len - i < 8 ? len - i : 8);
  }
  gx_st64(g->body, h);
  g->blk.height = h;
  g->blk.body = g->body;
  g->blk.body_len = len;
  gx_hash(&g->blk.hash, GX_DOM_BLACKHOLE, g->body, len);
  g->blk.tx_hashes = g->txs;
  g->blk.tx_count = (uint32_t)ntx;
  g->blk.updates = g->upd;
  g->blk.update_count = nupd;
}

static void cfg_for(gx_store_cfg_t *cfg, const char *dir) {
  gx_store_cfg_defaults(cfg);
  cfg->dir = dir;
  cfg->segment_bytes = 512u << 10;
  cfg->write_buffer_bytes = 1u << 20;
  cfg->lmdb_map_bytes = 256u << 20;
  cfg->uring_depth = 16;
  cfg->hash_fn = body_hash;
}

static int parse_u64(const char *s, uint64_t *v, const char *what) {
  if (gx_parse_u64(s, v) != 0) {
    fprintf(stderr, "gx_store_tool: bad %s '%s'\n", what, s);
    return -1;
  }
  return 0;
}

static int cmd_write(int argc, char **argv) {
  uint64_t seed, max = 0, fsize = 0;
  if (argc < 4 || parse_u64(argv[3], &seed, "seed")) return 2;
  if (argc > 4 && parse_u64(argv[4], &max, "max blocks")) return 2;
  if (argc > 5 && parse_u64(argv[5], &fsize, "file size limit")) return 2;
  gx_store_cfg_t cfg;
  cfg_for(&cfg, argv[2]);
  if (argc > 6) {
    int d = gx_store_parse_durability(argv[6]);
    if (d < 0) return 2;
    cfg.durability = (gx_store_durability_t)d;
  }
  static const uint32_t apply_ms[] = {0, 5, 50};
  cfg.apply_interval_ms = apply_ms[getpid() % 3];
  if (fsize) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {fsize, fsize};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) { perror("setrlimit"); return 1; }
  }
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    fprintf(stderr, "gx_store_tool: open: %s\n", err.msg);
    return err.code == GX_STORE_ENOSPC ? 3 : 1;
  }
  static world_t w;
  static gen_block_t g;
  world_init(&w, seed);
  uint64_t h = gx_store_durable_height(st);
  for (uint64_t i = 1; i <= h; i++) gen_block(&w, i, NULL);
  uint64_t gs = seed ^ 0x5eed ^ h;
  int rc = 0;
  while (!max || h < max) {
    int group = 1 + (int)(splitmix(&gs) % 8);
    gx_store_err_t e = GX_STORE_OK;
    for (int i = 0; i < group && (!max || h < max) && !e; i++) {
      gen_block(&w, ++h, &g);
      e = gx_store_append(st, &g.blk);
    }
    if (!e) e = gx_store_sync(st);
    if (e) {
      fprintf(stderr, "gx_store_tool: %s: %s\n", gx_store_strerror(e), gx_store_last_error(st)->msg);
      rc = e == GX_STORE_ENOSPC ? 3 : 1;
      break;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%" PRIu64 "\n", gx_store_durable_height(st));
    if (write(1, line, (size_t)n) != n) { rc = 1; break; }
  }
  gx_store_error_t cerr;
  (void)cerr;
  if (gx_store_close(st) && !rc) rc = 1;
  return rc;
}

static int fail(const char *fmt, uint64_t a, uint64_t b) {
  fprintf(stderr, "gx_store_tool: check failed: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  return 1;
}

static int cmd_check(int argc, char **argv) {
  uint64_t seed, reported;
  if (argc < 5 || parse_u64(argv[3], &seed, "seed") || parse_u64(argv[4], &reported, "height"))
    return 2;
  gx_store_cfg_t cfg;
  cfg_for(&cfg, argv[2]);
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    fprintf(stderr, "gx_store_tool: open: %s\n", err.msg);
    return 1;
  }
  gx_store_info_t info;
  gx_store_info(st, &info);
  uint64_t top = gx_store_durable_height(st);
  int rc = 0;
  if (top < reported) rc = fail("durable height %" PRIu64 " < reported %" PRIu64, top, reported);
  static world_t w;
  static gen_block_t g;
  static uint8_t buf[MAX_BODY + 8192];
  world_init(&w, seed);
  for (uint64_t h = 1; h <= top && !rc; h++) {
    gen_block(&w, h, &g);
    gx_store_rec_t rec;
    gx_store_err_t e = gx_store_get(st, h, buf, sizeof buf, &rec);
    if (e) { rc = fail("get(%" PRIu64 ") failed: %" PRIu64, h, e); break; }
    if (!gx_hash_eq(&rec.hash, &g.blk.hash) || rec.body_len != g.blk.body_len ||
        memcmp(rec.body, g.body, rec.body_len) || rec.tx_count != g.blk.tx_count ||
        (rec.tx_count && memcmp(rec.tx_hashes, g.txs, 32ull * rec.tx_count)) ||
        rec.update_count != g.blk.update_count) {
      rc = fail("block %" PRIu64 " differs from the generator (%" PRIu64 ")", h, 0);
      break;
    }
    for (uint32_t i = 0; i < rec.update_count; i++) {
      gx_store_account_update_t u;
      gx_store_rec_update(&rec, i, &u);
      if (memcmp(&u.key, g.upd[i].key, 32) || u.state.balance != g.upd[i].state.balance ||
          u.state.seq != g.upd[i].state.seq || !gx_hash_eq(&u.state.head, &g.upd[i].state.head))
        rc = fail("block %" PRIu64 " update %" PRIu64 " differs", h, i);
    }
    uint64_t hh;
    uint32_t idx;
    if (gx_store_height_of(st, &g.blk.hash, &hh) || hh != h)
      rc = fail("hash index of %" PRIu64 " wrong (%" PRIu64 ")", h, hh);
    for (uint32_t i = 0; i < g.blk.tx_count && !rc; i++)
      if (gx_store_find_tx(st, &g.txs[i], &hh, &idx) || hh != h || idx != i)
        rc = fail("tx index of block %" PRIu64 " tx %" PRIu64 " wrong", h, i);
  }
  /* nothing beyond the durable height is visible */
  gx_store_loc_t loc;
  if (!rc && gx_store_locate(st, top + 1, &loc) != GX_STORE_ENOTFOUND)
    rc = fail("height %" PRIu64 " visible beyond durable %" PRIu64, top + 1, top);
  for (int i = 0; i < NACC && !rc; i++) {
    gx_store_account_t a;
    gx_store_err_t e = gx_store_account(st, w.key[i], &a);
    if (!w.touched[i]) {
      if (e != GX_STORE_ENOTFOUND) rc = fail("untouched account %" PRIu64 " present (%" PRIu64 ")", (uint64_t)i, e);
    } else if (e || a.balance != w.acct[i].balance || a.seq != w.acct[i].seq ||
               !gx_hash_eq(&a.head, &w.acct[i].head)) {
      rc = fail("account %" PRIu64 " differs from replay to height %" PRIu64, (uint64_t)i, top);
    }
  }
  uint64_t total = 0;
  for (int i = 0; i < NACC; i++) total += w.acct[i].balance;
  if (!rc && total != (uint64_t)NACC * GENESIS_BALANCE) rc = fail("supply %" PRIu64 " != %" PRIu64, total, 0);
  if (!rc && gx_store_verify(st, &err)) {
    fprintf(stderr, "gx_store_tool: verify: %s\n", err.msg);
    rc = 1;
  }
  if (!rc)
    printf("ok durable=%" PRIu64 " reported=%" PRIu64 " recovered=%" PRIu64 " truncated=%" PRIu64
           " torn=%d\n",
           top, reported, info.recovered_blocks, info.truncated_bytes, info.torn_tail);
  gx_store_close(st);
  return rc;
}

/* Tears the last group of the tail segment (the only data a power cut can
 * tear: every earlier group was fdatasync'ed before it was written), never a
 * record at or below the reported durable height. */
static int cmd_tear(int argc, char **argv) {
  uint64_t rs, reported;
  if (argc < 5 || parse_u64(argv[3], &rs, "seed") || parse_u64(argv[4], &reported, "height"))
    return 2;
  gx_store_cfg_t cfg;
  cfg_for(&cfg, argv[2]);
  cfg.read_only = 1;
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    fprintf(stderr, "gx_store_tool: open: %s\n", err.msg);
    return 1;
  }
  gx_store_info_t info;
  gx_store_info(st, &info);
  gx_store_close(st);
  /* the tail segment is the highest-numbered one */
  char p[4096];
  uint64_t seg = info.tail_segment;
  for (;;) {
    snprintf(p, sizeof p, "%s/log/%016" PRIx64 ".seg", argv[2], seg + 1);
    if (access(p, F_OK) != 0) break;
    seg++;
  }
  snprintf(p, sizeof p, "%s/log/%016" PRIx64 ".seg", argv[2], seg);
  int fd = open(p, O_RDWR);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) { perror(p); return 1; }
  uint64_t size = (uint64_t)sb.st_size;
  uint8_t *img = malloc(size ? size : 1);
  if (!img || pread(fd, img, size, 0) != (ssize_t)size) { perror(p); return 1; }
  uint64_t off = GX_STORE_SEG_HDR_SZ, group_at = off, reported_end = 0;
  uint32_t group = 0;
  int any = 0;
  while (off < size) {
    gx_store_rec_t rec;
    if (gx_store_rec_decode(img + off, size - off, &rec) != GX_STORE_REC_OK) break;
    if (!any || rec.group != group) group_at = off;
    any = 1;
    group = rec.group;
    if (rec.height <= reported) reported_end = off + rec.rec_len;
    off += rec.rec_len;
  }
  free(img);
  uint64_t from = group_at > reported_end ? group_at : reported_end;
  if (from < info.tail_offset && seg == info.tail_segment) from = info.tail_offset;
  if (size <= from) { close(fd); printf("nothing to tear\n"); return 0; }
  uint64_t span = size - from;
  uint64_t at = from + splitmix(&rs) % span;
  int how = (int)(splitmix(&rs) % 3);
  if (how == 0) {
    if (ftruncate(fd, (off_t)at) != 0) { perror("ftruncate"); return 1; }
    printf("truncated %s at %" PRIu64 " (tearable from %" PRIu64 ")\n", p, at, from);
  } else {
    /* zeros (a sector never written) or garbage (a sector half written) */
    uint8_t junk[512];
    uint64_t len = 1 + splitmix(&rs) % sizeof junk;
    if (at + len > size) len = size - at;
    for (size_t i = 0; i < len; i++) junk[i] = how == 1 ? 0 : (uint8_t)splitmix(&rs);
    if (pwrite(fd, junk, len, (off_t)at) != (ssize_t)len) { perror("pwrite"); return 1; }
    printf("garbled %" PRIu64 " bytes of %s at %" PRIu64 " (tearable from %" PRIu64 ")\n", len, p,
           at, from);
  }
  close(fd);
  return 0;
}

static int cmd_flip(int argc, char **argv) {
  uint64_t off, bit;
  if (argc < 5 || parse_u64(argv[3], &off, "offset") || parse_u64(argv[4], &bit, "bit") || bit > 7)
    return 2;
  int fd = open(argv[2], O_RDWR);
  uint8_t b;
  if (fd < 0 || pread(fd, &b, 1, (off_t)off) != 1) { perror(argv[2]); return 1; }
  b ^= (uint8_t)(1u << bit);
  if (pwrite(fd, &b, 1, (off_t)off) != 1) { perror(argv[2]); return 1; }
  close(fd);
  return 0;
}

static int cmd_open(int argc, char **argv) {
  if (argc < 3) return 2;
  gx_store_cfg_t cfg;
  cfg_for(&cfg, argv[2]);
  gx_store_t *st;
  gx_store_error_t err;
  gx_store_err_t e = gx_store_open(&cfg, &st, &err);
  if (e) {
    printf("error %s: %s\n", gx_store_strerror(e), err.msg);
    return 1;
  }
  gx_store_info_t info;
  gx_store_info(st, &info);
  printf("ok durable=%" PRIu64 " (%s)\n", gx_store_durable_height(st), gx_store_io_name(&info));
  gx_store_close(st);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: gx_store_tool write|check|tear|flip|open ...\n");
    return 2;
  }
  if (!strcmp(argv[1], "write")) return cmd_write(argc, argv);
  if (!strcmp(argv[1], "check")) return cmd_check(argc, argv);
  if (!strcmp(argv[1], "tear")) return cmd_tear(argc, argv);
  if (!strcmp(argv[1], "flip")) return cmd_flip(argc, argv);
  if (!strcmp(argv[1], "open")) return cmd_open(argc, argv);
  fprintf(stderr, "gx_store_tool: unknown mode '%s'\n", argv[1]);
  return 2;
}
