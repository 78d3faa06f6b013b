/* gx_store unit tests: real files, real io_uring, real LMDB in a temp dir.
 * Record format (every bit flip caught), append/lookups/range, durability
 * visibility, segment roll-over, every-byte corruption detection, mid-log
 * corruption refusal + repair, torn tail, bad inputs (garbage and truncated
 * files, wrong format, garbage LMDB, missing segment, busy, unwritable), disk
 * full through RLIMIT_FSIZE, and readers on other threads during appends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/gx_util.h"
#include "storage/gx_store.h"

static char tmp_root[256];
static int case_no;

static int setup(void **s) {
  (void)s;
  snprintf(tmp_root, sizeof tmp_root, "/tmp/gx-store-test.XXXXXX");
  return mkdtemp(tmp_root) ? 0 : -1;
}

static int teardown(void **s) {
  (void)s;
  char cmd[600];
  snprintf(cmd, sizeof cmd, "chmod -R u+w %s; rm -rf %s", tmp_root, tmp_root);
  return system(cmd) == 0 ? 0 : -1;
}

static void new_dir(char *out, size_t cap) { snprintf(out, cap, "%s/s%d", tmp_root, ++case_no); }

/* ---- deterministic blocks ---- */

#define NKEYS 8
typedef struct {
  gx_store_block_t blk;
  uint8_t body[70000];
  gx_hash_t txs[4];
  gx_store_account_update_t upd[3];
} tblock_t;

static void key_of(uint8_t key[32], int i) {
  memset(key, 0, 32);
  key[0] = 0xAC;
  key[1] = (uint8_t)i;
}

static int hash_body(void *ctx, const uint8_t *body, uint32_t len, gx_hash_t *h) {
  (void)ctx;
  gx_hash(h, GX_DOM_BLACKHOLE, body, len);
  return 0;
}

static void make_block(tblock_t *t, uint64_t h, uint32_t body_len) {
  memset(&t->blk, 0, sizeof t->blk);
  for (uint32_t i = 0; i < body_len; i++) t->body[i] = (uint8_t)(h * 31 + i * 7);
  if (body_len >= 8) gx_st64(t->body, h);
  t->blk.height = h;
  t->blk.body = t->body;
  t->blk.body_len = body_len;
  gx_hash(&t->blk.hash, GX_DOM_BLACKHOLE, t->body, body_len);
  t->blk.tx_count = (uint32_t)(h % 5);
  for (uint32_t i = 0; i < t->blk.tx_count; i++) {
    uint8_t in[12];
    gx_st64(in, h);
    gx_st32(in + 8, i);
    gx_hash(&t->txs[i], GX_DOM_TX, in, sizeof in);
  }
  t->blk.tx_hashes = t->txs;
  t->blk.update_count = 1 + (uint32_t)(h % 3);
  for (uint32_t i = 0; i < t->blk.update_count; i++) {
    key_of(t->upd[i].key, (int)((h + i) % NKEYS));
    t->upd[i].state.balance = h * 100 + i;
    t->upd[i].state.seq = h;
    memset(t->upd[i].state.head.b, (int)(h & 0xff), 32);
  }
  t->blk.updates = t->upd;
}

/* Expected state of account k after height h (last block touching it). */
static int expected_account(int k, uint64_t h, gx_store_account_t *a) {
  for (uint64_t b = h; b >= 1; b--) {
    uint32_t n = 1 + (uint32_t)(b % 3);
    for (uint32_t i = n; i-- > 0;)
      if ((int)((b + i) % NKEYS) == k) {
        a->balance = b * 100 + i;
        a->seq = b;
        memset(a->head.b, (int)(b & 0xff), 32);
        return 1;
      }
  }
  return 0;
}

static void cfg_small(gx_store_cfg_t *cfg, const char *dir) {
  gx_store_cfg_defaults(cfg);
  cfg->dir = dir;
  cfg->segment_bytes = 64u << 10;
  cfg->write_buffer_bytes = 256u << 10;
  cfg->lmdb_map_bytes = 64u << 20;
  cfg->uring_depth = 8;
  cfg->hash_fn = hash_body;
  cfg->apply_interval_ms = 0; /* visible after every sync (test_deferred_apply covers the lag) */
}

static gx_store_t *open_ok(const gx_store_cfg_t *cfg) {
  gx_store_t *st = NULL;
  gx_store_error_t err;
  gx_store_err_t rc = gx_store_open(cfg, &st, &err);
  if (rc) print_error("open %s: %s\n", cfg->dir, err.msg);
  assert_int_equal(rc, GX_STORE_OK);
  return st;
}

static void fill(gx_store_t *st, uint64_t from, uint64_t to, uint32_t body_len, int group) {
  static tblock_t t;
  for (uint64_t h = from; h <= to; h++) {
    make_block(&t, h, body_len ? body_len : 100 + (uint32_t)(h * 37 % 3000));
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_OK);
    if (group && h % (uint64_t)group == 0) assert_int_equal(gx_store_sync(st), GX_STORE_OK);
  }
  assert_int_equal(gx_store_sync(st), GX_STORE_OK);
}

static void check_block(gx_store_t *st, uint64_t h, uint32_t body_len) {
  static tblock_t t;
  static uint8_t buf[80000];
  make_block(&t, h, body_len ? body_len : 100 + (uint32_t)(h * 37 % 3000));
  gx_store_rec_t rec;
  assert_int_equal(gx_store_get(st, h, buf, sizeof buf, &rec), GX_STORE_OK);
  assert_int_equal(rec.height, h);
  assert_memory_equal(rec.hash.b, t.blk.hash.b, 32);
  assert_int_equal(rec.body_len, t.blk.body_len);
  assert_memory_equal(rec.body, t.body, rec.body_len);
  assert_int_equal(rec.tx_count, t.blk.tx_count);
  assert_int_equal(rec.update_count, t.blk.update_count);
  for (uint32_t i = 0; i < rec.update_count; i++) {
    gx_store_account_update_t u;
    gx_store_rec_update(&rec, i, &u);
    assert_memory_equal(u.key, t.upd[i].key, 32);
    assert_true(u.state.balance == t.upd[i].state.balance);
  }
  for (uint32_t i = 0; i < t.blk.tx_count; i++) {
    uint64_t th;
    uint32_t ti;
    assert_int_equal(gx_store_find_tx(st, &t.txs[i], &th, &ti), GX_STORE_OK);
    assert_true(th == h);
    assert_int_equal(ti, i);
  }
}

static void check_accounts(gx_store_t *st, uint64_t h) {
  for (int k = 0; k < NKEYS; k++) {
    uint8_t key[32];
    key_of(key, k);
    gx_store_account_t want, got;
    int present = expected_account(k, h, &want);
    gx_store_err_t rc = gx_store_account(st, key, &got);
    if (!present) {
      assert_int_equal(rc, GX_STORE_ENOTFOUND);
      continue;
    }
    assert_int_equal(rc, GX_STORE_OK);
    assert_true(got.balance == want.balance && got.seq == want.seq);
    assert_memory_equal(got.head.b, want.head.b, 32);
  }
}

static void seg_path(char *out, size_t cap, const char *dir, int idx) {
  snprintf(out, cap, "%s/log/%016x.seg", dir, idx);
}

static void flip_bit(const char *path, uint64_t off, int bit) {
  int fd = open(path, O_RDWR);
  assert_true(fd >= 0);
  uint8_t b;
  assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
  b ^= (uint8_t)(1u << bit);
  assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
  close(fd);
}

static uint64_t file_size(const char *path) {
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  return (uint64_t)sb.st_size;
}

/* ---- tests ---- */

static void test_record_format(void **s) {
  (void)s;
  static tblock_t t;
  static uint8_t rec[4096];
  make_block(&t, 42, 300);
  uint64_t n = gx_store_rec_size(&t.blk);
  assert_true(n > 300 && n < sizeof rec);
  gx_store_rec_encode(rec, &t.blk, 7);
  gx_store_rec_t out;
  assert_int_equal(gx_store_rec_decode(rec, n, &out), GX_STORE_REC_OK);
  assert_int_equal(out.height, 42);
  assert_int_equal(out.group, 7);
  assert_int_equal(out.rec_len, n);
  assert_memory_equal(out.body, t.body, 300);
  assert_memory_equal(out.tx_hashes, t.txs, 32ull * t.blk.tx_count);
  /* standard CRC-32C check value */
  assert_int_equal(gx_store_crc32c("123456789", 9), 0xE3069283u);
  /* every single-bit flip and every truncation is rejected */
  for (uint64_t i = 0; i < n; i++)
    for (int b = 0; b < 8; b++) {
      rec[i] ^= (uint8_t)(1u << b);
      assert_int_not_equal(gx_store_rec_decode(rec, n, &out), GX_STORE_REC_OK);
      rec[i] ^= (uint8_t)(1u << b);
    }
  for (uint64_t l = 0; l < n; l++) assert_int_not_equal(gx_store_rec_decode(rec, l, &out), GX_STORE_REC_OK);
  /* limits */
  t.blk.body_len = GX_STORE_MAX_BODY + 1;
  assert_true(gx_store_rec_size(&t.blk) == 0);
}

static void test_append_lookup(void **s) {
  (void)s;
  for (int direct = 0; direct <= 1; direct++) {
    char dir[300];
    new_dir(dir, sizeof dir);
    gx_store_cfg_t cfg;
    cfg_small(&cfg, dir);
    cfg.direct_io = direct ? -1 : 0;
    gx_store_t *st = open_ok(&cfg);
    gx_store_info_t info;
    gx_store_info(st, &info);
    if (!direct) assert_int_equal(info.direct_io, 0);
    assert_true(gx_store_durable_height(st) == 0);
    /* queued but unsynced blocks are invisible */
    static tblock_t t;
    make_block(&t, 1, 500);
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_OK);
    gx_store_loc_t loc;
    assert_int_equal(gx_store_locate(st, 1, &loc), GX_STORE_ENOTFOUND);
    assert_true(gx_store_durable_height(st) == 0);
    assert_int_equal(gx_store_sync(st), GX_STORE_OK);
    assert_true(gx_store_durable_height(st) == 1);
    /* heights must be consecutive */
    make_block(&t, 3, 10);
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_EHEIGHT);
    make_block(&t, 1, 10);
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_EHEIGHT);
    /* too big for the 256 KiB write buffer */
    make_block(&t, 2, 10);
    t.blk.body_len = 300000;
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_ETOOBIG);
    /* a small buffer is ESMALL, not an overflow */
    uint8_t small[64];
    gx_store_rec_t rec;
    assert_int_equal(gx_store_get(st, 1, small, sizeof small, &rec), GX_STORE_ESMALL);
    fill(st, 2, 120, 0, 7);
    assert_true(gx_store_durable_height(st) == 120);
    gx_store_info(st, &info);
    assert_true(info.segment_count > 2); /* 64 KiB segments rolled over */
    for (uint64_t h = 2; h <= 120; h++) check_block(st, h, 0);
    check_accounts(st, 120);
    static tblock_t t2;
    make_block(&t2, 77, 100 + 77 * 37 % 3000);
    uint64_t hh;
    assert_int_equal(gx_store_height_of(st, &t2.blk.hash, &hh), GX_STORE_OK);
    assert_true(hh == 77);
    static uint8_t buf[80000];
    assert_int_equal(gx_store_get_by_hash(st, &t2.blk.hash, buf, sizeof buf, &rec), GX_STORE_OK);
    assert_true(rec.height == 77);
    gx_hash_t nohash = {{0}};
    assert_int_equal(gx_store_height_of(st, &nohash, &hh), GX_STORE_ENOTFOUND);
    uint32_t ti;
    assert_int_equal(gx_store_find_tx(st, &nohash, &hh, &ti), GX_STORE_ENOTFOUND);
    assert_int_equal(gx_store_get(st, 121, buf, sizeof buf, &rec), GX_STORE_ENOTFOUND);
    gx_store_error_t err;
    assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
    assert_int_equal(gx_store_close(st), GX_STORE_OK);
    /* reopen: same content, appends continue */
    st = open_ok(&cfg);
    assert_true(gx_store_durable_height(st) == 120);
    gx_store_info(st, &info);
    assert_true(info.recovered_blocks == 0 && info.truncated_bytes == 0);
    fill(st, 121, 150, 0, 4);
    for (uint64_t h = 1; h <= 150; h += 13) check_block(st, h, h == 1 ? 500 : 0);
    check_accounts(st, 150);
    assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
    assert_int_equal(gx_store_close(st), GX_STORE_OK);
  }
}

typedef struct {
  uint64_t next, count;
} range_ctx_t;

static int range_cb(void *ctx, const gx_store_rec_t *rec) {
  range_ctx_t *c = ctx;
  if (rec->height != c->next) return 1;
  c->next++;
  c->count++;
  return 0;
}

static void test_range_and_block_mode(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.durability = GX_STORE_DURABLE_BLOCK;
  gx_store_t *st = open_ok(&cfg);
  static tblock_t t;
  for (uint64_t h = 1; h <= 40; h++) {
    make_block(&t, h, 0 + 100 + (uint32_t)(h * 37 % 3000));
    assert_int_equal(gx_store_append(st, &t.blk), GX_STORE_OK);
    assert_true(gx_store_durable_height(st) == h); /* durable on return */
  }
  static uint8_t buf[80000];
  range_ctx_t c = {5, 0};
  assert_int_equal(gx_store_range(st, 5, 30, buf, sizeof buf, range_cb, &c), GX_STORE_OK);
  assert_true(c.count == 26);
  c = (range_ctx_t){35, 0};
  assert_int_equal(gx_store_range(st, 35, 1000, buf, sizeof buf, range_cb, &c), GX_STORE_OK);
  assert_true(c.count == 6); /* clipped at the durable height */
  assert_int_equal(gx_store_range(st, 0, 3, buf, sizeof buf, range_cb, &c), GX_STORE_EINVAL);
  gx_store_close(st);
}

/* Every byte of every segment of a closed store: flip one bit, and either
 * open refuses or verify reports corruption. */
static void test_flip_every_byte(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.segment_bytes = 12288;
  gx_store_t *st = open_ok(&cfg);
  fill(st, 1, 9, 1500, 3);
  gx_store_info_t info;
  gx_store_info(st, &info);
  assert_true(info.segment_count >= 2);
  uint64_t nseg = info.segment_count;
  assert_int_equal(gx_store_close(st), GX_STORE_OK);
  gx_store_cfg_t ro = cfg;
  ro.read_only = 1;
  uint64_t checked = 0;
  for (uint64_t sgi = 0; sgi < nseg; sgi++) {
    char p[400];
    seg_path(p, sizeof p, dir, (int)sgi);
    uint64_t size = file_size(p);
    for (uint64_t off = 0; off < size; off++) {
      int bit = (int)((off * 5 + sgi) % 8);
      flip_bit(p, off, bit);
      gx_store_error_t err;
      gx_store_t *r = NULL;
      gx_store_err_t rc = gx_store_open(&ro, &r, &err);
      if (rc == GX_STORE_OK) {
        rc = gx_store_verify(r, &err);
        gx_store_close(r);
      }
      if (rc != GX_STORE_ECORRUPT)
        fail_msg("flip of bit %d at %s:%" PRIu64 " not detected (rc=%d)", bit, p, off, rc);
      assert_string_equal(err.file, p); /* names the file */
      flip_bit(p, off, bit);
      checked++;
    }
  }
  assert_true(checked > 12288);
  /* restored: clean again, and a normal open works */
  st = open_ok(&cfg);
  gx_store_error_t err;
  assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
  gx_store_close(st);
}

static void remove_index(const char *dir) {
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf %s/index", dir);
  assert_int_equal(system(cmd), 0);
}

/* Recovery re-applies the whole log when the index is gone; a bad record
 * followed by valid ones far away refuses to start, naming file and offset;
 * repair cuts there and rebuilds. */
static void test_recovery_and_repair(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.segment_bytes = 1u << 20;
  cfg.write_buffer_bytes = 64u << 10;
  gx_store_t *st = open_ok(&cfg);
  fill(st, 1, 60, 4000, 5);
  gx_store_loc_t l3, l60;
  assert_int_equal(gx_store_locate(st, 3, &l3), GX_STORE_OK);
  assert_int_equal(gx_store_locate(st, 60, &l60), GX_STORE_OK);
  gx_store_close(st);

  /* index deleted: everything re-applied from the log alone */
  remove_index(dir);
  st = open_ok(&cfg);
  gx_store_info_t info;
  gx_store_info(st, &info);
  assert_true(info.recovered_blocks == 60);
  assert_true(gx_store_durable_height(st) == 60);
  check_accounts(st, 60);
  for (uint64_t h = 1; h <= 60; h += 7) check_block(st, h, 4000);
  gx_store_close(st);

  /* bit flip in record 3 (below the mark): open works (not rescanned), the
   * read of 3 and verify report it */
  char p[400];
  seg_path(p, sizeof p, dir, 0);
  flip_bit(p, l3.offset + 100, 2);
  st = open_ok(&cfg);
  static uint8_t buf[80000];
  gx_store_rec_t rec;
  assert_int_equal(gx_store_get(st, 3, buf, sizeof buf, &rec), GX_STORE_ECORRUPT);
  gx_store_error_t err;
  assert_int_equal(gx_store_verify(st, &err), GX_STORE_ECORRUPT);
  assert_string_equal(err.file, p);
  assert_true(err.offset == l3.offset);
  gx_store_close(st);

  /* same flip with the index gone: recovery scans it, valid records follow
   * beyond one write buffer: corruption, refuse, name file and offset */
  remove_index(dir);
  gx_store_t *bad = NULL;
  assert_int_equal(gx_store_open(&cfg, &bad, &err), GX_STORE_ECORRUPT);
  assert_null(bad);
  assert_string_equal(err.file, p);
  assert_true(err.offset == l3.offset);
  assert_non_null(strstr(err.msg, "repair"));

  /* repair cuts at record 3 and rebuilds the index from the log */
  uint64_t kept = 99;
  assert_int_equal(gx_store_repair(&cfg, &kept, &err), GX_STORE_OK);
  assert_true(kept == 2);
  assert_true(file_size(p) == l3.offset);
  st = open_ok(&cfg);
  assert_true(gx_store_durable_height(st) == 2);
  check_accounts(st, 2);
  assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
  fill(st, 3, 10, 4000, 4); /* and it goes on */
  check_accounts(st, 10);
  gx_store_close(st);
}

/* A torn tail beyond the applied mark (last group) is cut, not refused. */
static void test_torn_tail(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.segment_bytes = 1u << 20;
  gx_store_t *st = open_ok(&cfg);
  fill(st, 1, 20, 2000, 5);
  gx_store_loc_t l18;
  assert_int_equal(gx_store_locate(st, 18, &l18), GX_STORE_OK);
  gx_store_close(st);
  char p[400];
  seg_path(p, sizeof p, dir, 0);
  /* pretend the index never saw 16..20 (as after a crash) by rebuilding it up
   * to 15 only: remove the index and cut the log after record 20 mid-record */
  uint64_t size = file_size(p);
  assert_int_equal(truncate(p, (off_t)(size - 700)), 0);
  remove_index(dir);
  st = open_ok(&cfg);
  assert_true(gx_store_durable_height(st) == 19);
  gx_store_info_t info;
  gx_store_info(st, &info);
  assert_true(info.truncated_bytes > 0);
  gx_store_close(st);
  /* garbage in the middle of the last record beyond the mark: torn as well */
  remove_index(dir);
  flip_bit(p, l18.offset + 500, 1);
  st = open_ok(&cfg);
  assert_true(gx_store_durable_height(st) == 17);
  check_accounts(st, 17);
  gx_store_close(st);
}

static void write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static gx_store_err_t open_err(const gx_store_cfg_t *cfg, gx_store_error_t *err) {
  gx_store_t *st = NULL;
  gx_store_err_t rc = gx_store_open(cfg, &st, err);
  if (st) gx_store_close(st);
  else assert_true(err->msg[0] != 0); /* a message for every failure */
  return rc;
}

static void test_bad_inputs(void **s) {
  (void)s;
  char dir[300], p[400];
  gx_store_cfg_t cfg;
  gx_store_error_t err;
  static uint8_t junk[20000];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(i * 131 + 7);

  /* garbage segment file in a fresh directory */
  new_dir(dir, sizeof dir);
  cfg_small(&cfg, dir);
  snprintf(p, sizeof p, "%s", dir);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/log", dir);
  mkdir(p, 0755);
  seg_path(p, sizeof p, dir, 0);
  write_bytes(p, junk, sizeof junk);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ECORRUPT);
  assert_string_equal(err.file, p);
  /* truncated (shorter than its header) */
  write_bytes(p, junk, 100);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ECORRUPT);
  assert_non_null(strstr(err.msg, "truncated"));
  /* empty, once the index exists (from the opens above): what a crash while
   * creating the first segment leaves; recreated */
  write_bytes(p, junk, 0);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_OK);
  assert_true(file_size(p) >= GX_STORE_SEG_HDR_SZ);
  /* a segment of another log format version is not ours to touch */
  {
    uint8_t hdr[GX_STORE_SEG_HDR_SZ];
    gx_store_seg_hdr_t sh = {0, 1, 1u << 20};
    gx_store_seg_hdr_encode(hdr, &sh);
    gx_st32(hdr + 8, 2);
    gx_st32(hdr + GX_STORE_SEG_HDR_SZ - 4, gx_store_crc32c(hdr, GX_STORE_SEG_HDR_SZ - 4));
    write_bytes(p, hdr, sizeof hdr);
    assert_int_equal(open_err(&cfg, &err), GX_STORE_EVERSION);
    uint64_t kept;
    assert_int_equal(gx_store_repair(&cfg, &kept, &err), GX_STORE_EVERSION);
    assert_true(file_size(p) == GX_STORE_SEG_HDR_SZ); /* untouched */
  }

  /* a real store, then damage */
  new_dir(dir, sizeof dir);
  cfg_small(&cfg, dir);
  gx_store_t *st = open_ok(&cfg);
  fill(st, 1, 80, 0, 10);
  gx_store_info_t info;
  gx_store_info(st, &info);
  /* busy: a second writer is refused */
  gx_store_t *st2 = NULL;
  assert_int_equal(gx_store_open(&cfg, &st2, &err), GX_STORE_EBUSY);
  /* but a read-only handle works beside the writer */
  gx_store_cfg_t ro = cfg;
  ro.read_only = 1;
  assert_int_equal(gx_store_open(&ro, &st2, &err), GX_STORE_OK);
  assert_true(gx_store_durable_height(st2) == 80);
  check_block(st2, 44, 0);
  gx_store_close(st2);
  gx_store_close(st);
  assert_true(info.segment_count >= 3);

  /* segment truncated below the indexed position */
  seg_path(p, sizeof p, dir, (int)info.segment_count - 1);
  char save[420];
  snprintf(save, sizeof save, "%s.save", p);
  char cmd[1000];
  snprintf(cmd, sizeof cmd, "cp %s %s", p, save);
  assert_int_equal(system(cmd), 0);
  uint64_t size = file_size(p);
  assert_int_equal(truncate(p, (off_t)(size - 10)), 0);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ECORRUPT);
  assert_string_equal(err.file, p);
  assert_non_null(strstr(err.msg, "missing"));
  assert_int_equal(rename(save, p), 0);
  /* a segment in the middle is missing */
  seg_path(p, sizeof p, dir, 1);
  snprintf(save, sizeof save, "%s/moved", tmp_root);
  assert_int_equal(rename(p, save), 0);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ECORRUPT);
  assert_string_equal(err.file, p);
  assert_int_equal(rename(save, p), 0);
  /* stray files in log/ are ignored */
  snprintf(p, sizeof p, "%s/log/README", dir);
  write_bytes(p, "x", 1);
  st = open_ok(&cfg);
  gx_store_close(st);

  /* wrong store format version in the metadata */
  snprintf(p, sizeof p, "%s/index", dir);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  assert_int_equal(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 8);
  assert_int_equal(mdb_env_open(env, p, 0, 0644), 0);
  assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
  assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
  uint8_t f[4];
  gx_st32(f, 99);
  MDB_val k = {6, "format"}, v = {4, f};
  assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
  assert_int_equal(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_EVERSION);
  assert_non_null(strstr(err.msg, "format 99"));
  /* garbage LMDB file */
  snprintf(p, sizeof p, "%s/index/data.mdb", dir);
  write_bytes(p, junk, sizeof junk);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ECORRUPT);
  assert_non_null(strstr(err.msg, "LMDB"));
  /* repair rebuilds a destroyed index from the log */
  uint64_t kept;
  assert_int_equal(gx_store_repair(&cfg, &kept, &err), GX_STORE_OK);
  assert_true(kept == 80);
  st = open_ok(&cfg);
  check_accounts(st, 80);
  check_block(st, 80, 0);
  gx_store_close(st);

  /* data directory is a regular file */
  snprintf(p, sizeof p, "%s/plainfile", tmp_root);
  write_bytes(p, "x", 1);
  cfg_small(&cfg, p);
  assert_int_not_equal(open_err(&cfg, &err), GX_STORE_OK);
  /* read-only open of a directory that holds no store */
  new_dir(dir, sizeof dir);
  mkdir(dir, 0755);
  cfg_small(&cfg, dir);
  cfg.read_only = 1;
  assert_int_equal(open_err(&cfg, &err), GX_STORE_ENOTFOUND);
  /* not writable (root ignores permissions: tests/test_storage_faults.sh runs
   * this case as an unprivileged user) */
  if (geteuid() != 0) {
    new_dir(dir, sizeof dir);
    mkdir(dir, 0555);
    cfg_small(&cfg, dir);
    assert_int_equal(open_err(&cfg, &err), GX_STORE_EACCES);
    assert_non_null(strstr(err.msg, "not writable"));
  }
  /* bad configuration */
  cfg_small(&cfg, dir);
  cfg.write_buffer_bytes = 10;
  assert_int_equal(open_err(&cfg, &err), GX_STORE_EINVAL);
  cfg_small(&cfg, NULL);
  assert_int_equal(open_err(&cfg, &err), GX_STORE_EINVAL);
}

/* Disk full through RLIMIT_FSIZE in a child: a clear ENOSPC, the durable
 * blocks intact, and the store usable again once there is room. */
static void test_disk_full(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.segment_bytes = 4u << 20;
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {300u << 10, 300u << 10};
    setrlimit(RLIMIT_FSIZE, &rl);
    gx_store_t *st;
    gx_store_error_t err;
    if (gx_store_open(&cfg, &st, &err)) _exit(10);
    static tblock_t t;
    gx_store_err_t rc = GX_STORE_OK;
    uint64_t h = 0;
    while (!rc && h < 1000) {
      for (int i = 0; i < 3 && !rc; i++) {
        make_block(&t, ++h, 9000);
        rc = gx_store_append(st, &t.blk);
      }
      if (!rc) rc = gx_store_sync(st);
    }
    uint64_t d = gx_store_durable_height(st);
    const gx_store_error_t *e = gx_store_last_error(st);
    int ok = rc == GX_STORE_ENOSPC && strstr(e->msg, "File too large") && e->file[0];
    if (!ok) print_error("disk full: rc=%d msg=%s\n", rc, e->msg);
    /* still usable: the group was dropped; a smaller retry fits or fails cleanly */
    make_block(&t, d + 1, 9000);
    gx_store_err_t again = gx_store_append(st, &t.blk);
    if (!again) again = gx_store_sync(st);
    ok = ok && (again == GX_STORE_OK || again == GX_STORE_ENOSPC);
    d = gx_store_durable_height(st);
    if (!ok) print_error("disk full retry: rc=%d msg=%s\n", again, e->msg);
    if (write(pfd[1], &d, sizeof d) != sizeof d) _exit(11);
    gx_store_close(st);
    _exit(ok ? 0 : 12);
  }
  close(pfd[1]);
  uint64_t durable = 0;
  assert_int_equal(read(pfd[0], &durable, sizeof durable), sizeof durable);
  close(pfd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_true(durable > 5);
  /* consistent: every durable block there, state matches, verify passes */
  gx_store_t *st = open_ok(&cfg);
  uint64_t top = gx_store_durable_height(st);
  assert_true(top >= durable);
  for (uint64_t h = 1; h <= top; h++) check_block(st, h, 9000);
  check_accounts(st, top);
  gx_store_error_t err;
  assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
  fill(st, top + 1, top + 20, 9000, 4);
  check_accounts(st, top + 20);
  gx_store_close(st);
}

/* Durable (log) runs ahead of applied (LMDB) with a long apply interval;
 * gx_store_apply makes it visible; a crash in between loses nothing. */
static void test_deferred_apply(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.segment_bytes = 1u << 20;
  cfg.write_buffer_bytes = 1u << 20; /* 40 blocks stay under a quarter: no pressure apply */
  cfg.apply_interval_ms = 60000;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    gx_store_t *st;
    gx_store_error_t err;
    if (gx_store_open(&cfg, &st, &err)) _exit(1);
    static tblock_t t;
    gx_store_loc_t loc;
    for (uint64_t h = 1; h <= 71; h++) {
      make_block(&t, h, 100 + (uint32_t)(h * 37 % 3000));
      if (gx_store_append(st, &t.blk)) _exit(2);
      if (h == 30) {
        if (gx_store_sync(st) || gx_store_durable_height(st) != 30) _exit(3);
        if (gx_store_applied_height(st) != 0) _exit(4);      /* durable, not visible */
        if (gx_store_locate(st, 1, &loc) != GX_STORE_ENOTFOUND) _exit(5);
        if (gx_store_apply(st) || gx_store_applied_height(st) != 30) _exit(6);
        if (gx_store_locate(st, 30, &loc) != GX_STORE_OK) _exit(7);
      }
      if (h == 70 && (gx_store_sync(st) || gx_store_durable_height(st) != 70)) _exit(8);
    }
    if (gx_store_applied_height(st) != 30) _exit(9);
    _exit(0); /* crash: 31..70 durable but not applied, 71 never synced */
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  cfg.apply_interval_ms = 0;
  gx_store_t *st = open_ok(&cfg);
  gx_store_info_t info;
  gx_store_info(st, &info);
  assert_true(info.recovered_blocks == 40);
  assert_true(gx_store_durable_height(st) == 70 && gx_store_applied_height(st) == 70);
  for (uint64_t h = 1; h <= 70; h++) check_block(st, h, 0);
  check_accounts(st, 70);
  gx_store_error_t err;
  assert_int_equal(gx_store_verify(st, &err), GX_STORE_OK);
  gx_store_close(st);
}

/* Readers on other threads see every durable block intact while the writer appends. */
typedef struct {
  gx_store_t *st;
  atomic_int stop;
  atomic_long reads, errors;
} reader_ctx_t;

static void *reader_main(void *arg) {
  reader_ctx_t *c = arg;
  uint8_t *buf = malloc(80000);
  uint64_t x = (uint64_t)(uintptr_t)&x;
  while (!atomic_load(&c->stop)) {
    uint64_t top = gx_store_applied_height(c->st);
    if (!top) continue;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t h = 1 + (x >> 33) % top;
    gx_store_rec_t rec;
    gx_store_err_t rc = gx_store_get(c->st, h, buf, 80000, &rec);
    if (rc || rec.height != h || gx_ld64(rec.body) != h) atomic_fetch_add(&c->errors, 1);
    atomic_fetch_add(&c->reads, 1);
  }
  free(buf);
  return NULL;
}

static void test_concurrent_readers(void **s) {
  (void)s;
  char dir[300];
  new_dir(dir, sizeof dir);
  gx_store_cfg_t cfg;
  cfg_small(&cfg, dir);
  cfg.apply_interval_ms = 2;
  reader_ctx_t c = {.st = open_ok(&cfg)};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, reader_main, &c), 0);
  fill(c.st, 1, 600, 0, 3);
  assert_int_equal(gx_store_apply(c.st), GX_STORE_OK);
  assert_true(gx_store_applied_height(c.st) == 600);
  atomic_store(&c.stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  assert_true(atomic_load(&c.reads) > 0);
  assert_int_equal(atomic_load(&c.errors), 0);
  gx_store_close(c.st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_record_format),     cmocka_unit_test(test_append_lookup),
      cmocka_unit_test(test_range_and_block_mode), cmocka_unit_test(test_flip_every_byte),
      cmocka_unit_test(test_recovery_and_repair), cmocka_unit_test(test_torn_tail),
      cmocka_unit_test(test_bad_inputs),        cmocka_unit_test(test_disk_full),
      cmocka_unit_test(test_deferred_apply),    cmocka_unit_test(test_concurrent_readers),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
