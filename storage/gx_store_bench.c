/* Storage benchmarks, each beside a baseline measured in the same run on the
 * same filesystem (GX_BENCH_DIR, default /var/tmp):
 *
 *   storage/append_group/SIZE        gx_store_append x GROUP + gx_store_sync
 *   baseline/raw_write_fdatasync/SIZE write(2) x GROUP + fdatasync, one file
 *       GROUP = 16 blocks of 64 KiB or 4 blocks of 1 MiB (1 or 4 MiB per sync)
 *   storage/lmdb_apply               account updates/s through the store
 *                                    (10 blocks x 1000 updates per sync)
 *   baseline/lmdb_raw_put            the same puts straight into LMDB, one txn
 *                                    per 10,000, same env flags
 *   storage/append_vs_raw_interleaved/SIZE  the two loops above alternating
 *                                    group by group: counters store_MBps,
 *                                    raw_MBps, ratio, and per-group medians
 *                                    store_p50_us, raw_p50_us, ratio_p50
 *                                    (robust on a busy machine)
 *   storage/tx_lookup                gx_store_find_tx of random known txs,
 *                                    counters p50_ns, p99_ns
 *   baseline/lmdb_raw_get            mdb_get of the same keys, one read txn each */
#include "bench/gx_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_util.h"
#include "storage/gx_store.h"

static const char *bench_dir(void) {
  const char *d = getenv("GX_BENCH_DIR");
  return d && d[0] ? d : "/var/tmp";
}

static void rm_rf(const char *path) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) { /* best effort */ }
}

static uint64_t now_ns_pair(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* 0 when the directory exists afterwards. */
static int mkdir_p_ok(const char *path) { return mkdir(path, 0755) != 0 && errno != EEXIST; }

static uint64_t bench_rng(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return *s >> 11 ^ *s << 7;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = bench_rng(&seed);
    memcpy(p + i, &v, 8);
  }
}

static int group_of(size_t size) { return size >= (1u << 20) ? 4 : 16; }

/* ---- append throughput ---- */

static void bm_append_group(gx_bench_t *b) {
  size_t size = (size_t)gx_bench_arg(b);
  int group = group_of(size);
  char dir[512];
  snprintf(dir, sizeof dir, "%s/gx-bench-store.%d", bench_dir(), (int)getpid());
  rm_rf(dir);
  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = dir;
  cfg.durability = GX_STORE_DURABLE_GROUP;
  /* default 64 MiB write buffer: unapplied groups wait there for the LMDB apply */
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    gx_bench_skip(b, err.msg);
    return;
  }
  gx_store_info_t info;
  gx_store_info(st, &info);
  uint8_t *body = malloc(size);
  fill_random(body, size, 1);
  gx_hash_t txs[4];
  gx_store_account_update_t upd[4];
  memset(txs, 0, sizeof txs);
  memset(upd, 0, sizeof upd);
  gx_store_block_t blk = {.body = body, .body_len = (uint32_t)size, .tx_hashes = txs,
                          .tx_count = 4, .updates = upd, .update_count = 4};
  uint64_t h = 0;
  int failed = 0;
  while (gx_bench_loop(b)) {
    for (int i = 0; i < group; i++) {
      blk.height = ++h;
      memcpy(blk.hash.b, &h, 8);
      memcpy(txs[0].b, &h, 8);
      memcpy(upd[0].key, &h, 8);
      if (gx_store_append(st, &blk)) failed = 1;
    }
    if (gx_store_sync(st)) failed = 1;
  }
  gx_bench_bytes(b, gx_bench_iterations(b) * group * (int64_t)size);
  gx_bench_items(b, gx_bench_iterations(b) * group);
  gx_bench_counter(b, "direct_io", info.direct_io);
  gx_bench_counter(b, "fixed_buffers", info.registered_buffers);
  if (failed) gx_bench_skip(b, gx_store_last_error(st)->msg);
  gx_store_close(st);
  free(body);
  rm_rf(dir);
}
GX_BENCH_NAMED_ARGS("storage/append_group", bm_append_group, 65536, 1048576)

static void bm_raw_write_fdatasync(gx_bench_t *b) {
  size_t size = (size_t)gx_bench_arg(b);
  int group = group_of(size);
  char path[512];
  snprintf(path, sizeof path, "%s/gx-bench-raw.%d", bench_dir(), (int)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    gx_bench_skip(b, "cannot create the baseline file");
    return;
  }
  uint8_t *body = malloc(size);
  fill_random(body, size, 1);
  int failed = 0;
  while (gx_bench_loop(b)) {
    for (int i = 0; i < group; i++)
      if (write(fd, body, size) != (ssize_t)size) failed = 1;
    if (fdatasync(fd) != 0) failed = 1;
  }
  gx_bench_bytes(b, gx_bench_iterations(b) * group * (int64_t)size);
  gx_bench_items(b, gx_bench_iterations(b) * group);
  if (failed) gx_bench_skip(b, "write or fdatasync failed");
  close(fd);
  unlink(path);
  free(body);
}
GX_BENCH_NAMED_ARGS("baseline/raw_write_fdatasync", bm_raw_write_fdatasync, 65536, 1048576)

#define PAIR_SAMPLES (1u << 16)
static uint64_t pair_store[PAIR_SAMPLES], pair_raw[PAIR_SAMPLES];
static int cmp_u64(const void *a, const void *b);

/* The two loops above alternate group by group on the same filesystem, so a
 * noisy machine (other builds, writeback of the other loop) hits both alike:
 * counters store_MBps, raw_MBps and ratio = store / raw. */
static void bm_append_vs_raw(gx_bench_t *b) {
  size_t size = (size_t)gx_bench_arg(b);
  int group = group_of(size);
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/gx-bench-pair.%d", bench_dir(), (int)getpid());
  rm_rf(dir);
  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = dir;
  /* default 64 MiB write buffer: unapplied groups wait there for the LMDB apply */
  if (getenv("GX_APPLY_MS")) cfg.apply_interval_ms = (uint32_t)atoi(getenv("GX_APPLY_MS"));
  if (getenv("GX_DIRECT_IO")) cfg.direct_io = atoi(getenv("GX_DIRECT_IO"));
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    gx_bench_skip(b, err.msg);
    return;
  }
  snprintf(path, sizeof path, "%s/raw", dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  uint8_t *body = malloc(size);
  fill_random(body, size, 1);
  gx_hash_t txs[4];
  gx_store_account_update_t upd[4];
  memset(txs, 0, sizeof txs);
  memset(upd, 0, sizeof upd);
  gx_store_block_t blk = {.body = body, .body_len = (uint32_t)size, .tx_hashes = txs,
                          .tx_count = 4, .updates = upd, .update_count = 4};
  uint64_t h = 0, t_store = 0, t_raw = 0;
  size_t n_pair = 0;
  int failed = fd < 0;
  while (!failed && gx_bench_loop(b)) {
    uint64_t t0 = now_ns_pair();
    for (int i = 0; i < group; i++) {
      blk.height = ++h;
      memcpy(blk.hash.b, &h, 8);
      memcpy(txs[0].b, &h, 8);
      memcpy(upd[0].key, &h, 8);
      if (gx_store_append(st, &blk)) failed = 1;
    }
    if (gx_store_sync(st)) failed = 1;
    uint64_t t1 = now_ns_pair();
    for (int i = 0; i < group; i++)
      if (write(fd, body, size) != (ssize_t)size) failed = 1;
    if (fdatasync(fd) != 0) failed = 1;
    uint64_t t2 = now_ns_pair();
    t_store += t1 - t0;
    t_raw += t2 - t1;
    if (n_pair < PAIR_SAMPLES) {
      pair_store[n_pair] = t1 - t0;
      pair_raw[n_pair++] = t2 - t1;
    }
  }
  double bytes = (double)gx_bench_iterations(b) * group * (double)size;
  if (t_store && t_raw) {
    gx_bench_counter(b, "store_MBps", bytes / ((double)t_store / 1e9) / 1e6);
    gx_bench_counter(b, "raw_MBps", bytes / ((double)t_raw / 1e9) / 1e6);
    gx_bench_counter(b, "ratio", (double)t_raw / (double)t_store);
    /* medians per group: robust to stalls caused by other processes */
    qsort(pair_store, n_pair, sizeof pair_store[0], cmp_u64);
    qsort(pair_raw, n_pair, sizeof pair_raw[0], cmp_u64);
    gx_bench_counter(b, "store_p50_us", (double)pair_store[n_pair / 2] / 1e3);
    gx_bench_counter(b, "raw_p50_us", (double)pair_raw[n_pair / 2] / 1e3);
    gx_bench_counter(b, "ratio_p50", (double)pair_raw[n_pair / 2] / (double)pair_store[n_pair / 2]);
  }
  if (failed) gx_bench_skip(b, "append, write or fdatasync failed");
  gx_store_close(st);
  if (fd >= 0) close(fd);
  free(body);
  rm_rf(dir);
}
GX_BENCH_NAMED_ARGS("storage/append_vs_raw_interleaved", bm_append_vs_raw, 65536, 1048576)

/* ---- LMDB state apply ---- */

#define APPLY_UPDATES 1000
#define APPLY_BLOCKS 10
#define APPLY_ACCOUNTS 100000

static void account_key(uint8_t key[32], uint64_t i) {
  memset(key, 0, 32);
  uint64_t x = i * 0x9e3779b97f4a7c15ull;
  memcpy(key, &x, 8);
  memcpy(key + 8, &i, 8);
}

static void bm_lmdb_apply(gx_bench_t *b) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/gx-bench-apply.%d", bench_dir(), (int)getpid());
  rm_rf(dir);
  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = dir;
  cfg.write_buffer_bytes = 16u << 20;
  gx_store_t *st;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &st, &err)) {
    gx_bench_skip(b, err.msg);
    return;
  }
  static gx_store_account_update_t upd[APPLY_UPDATES];
  gx_store_block_t blk = {.updates = upd, .update_count = APPLY_UPDATES};
  uint64_t h = 0, rs = 7;
  int failed = 0;
  while (gx_bench_loop(b)) {
    for (int k = 0; k < APPLY_BLOCKS; k++) {
      gx_bench_pause(b);
      for (int i = 0; i < APPLY_UPDATES; i++) {
        account_key(upd[i].key, bench_rng(&rs) % APPLY_ACCOUNTS);
        upd[i].state.balance = h;
        upd[i].state.seq = h;
      }
      gx_bench_resume(b);
      blk.height = ++h;
      memcpy(blk.hash.b, &h, 8);
      if (gx_store_append(st, &blk)) failed = 1;
    }
    if (gx_store_sync(st)) failed = 1;
  }
  gx_bench_items(b, gx_bench_iterations(b) * APPLY_BLOCKS * APPLY_UPDATES);
  if (failed) gx_bench_skip(b, gx_store_last_error(st)->msg);
  gx_store_close(st);
  rm_rf(dir);
}
GX_BENCH_NAMED("storage/lmdb_apply", bm_lmdb_apply, 1)

static void bm_lmdb_raw_put(gx_bench_t *b) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/gx-bench-rawput.%d", bench_dir(), (int)getpid());
  rm_rf(dir);
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  if (mkdir_p_ok(dir)) {
    gx_bench_skip(b, "cannot create the baseline LMDB directory");
    return;
  }
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, 1ull << 30);
  mdb_env_set_maxdbs(env, 2);
  if (mdb_env_open(env, dir, MDB_NOTLS | MDB_NOMETASYNC, 0644)) {
    gx_bench_skip(b, "cannot open the baseline LMDB env");
    mdb_env_close(env);
    return;
  }
  mdb_txn_begin(env, NULL, 0, &txn);
  mdb_dbi_open(txn, "account", MDB_CREATE, &dbi);
  mdb_txn_commit(txn);
  uint8_t key[32], val[48];
  memset(val, 0, sizeof val);
  uint64_t rs = 7, h = 0;
  int failed = 0;
  while (gx_bench_loop(b)) {
    if (mdb_txn_begin(env, NULL, 0, &txn)) { failed = 1; break; }
    for (int i = 0; i < APPLY_BLOCKS * APPLY_UPDATES; i++) {
      account_key(key, bench_rng(&rs) % APPLY_ACCOUNTS);
      h++;
      memcpy(val, &h, 8);
      MDB_val k = {32, key}, v = {48, val};
      if (mdb_put(txn, dbi, &k, &v, 0)) failed = 1;
    }
    if (mdb_txn_commit(txn)) failed = 1;
  }
  gx_bench_items(b, gx_bench_iterations(b) * APPLY_BLOCKS * APPLY_UPDATES);
  if (failed) gx_bench_skip(b, "LMDB put failed");
  mdb_env_close(env);
  rm_rf(dir);
}
GX_BENCH_NAMED("baseline/lmdb_raw_put", bm_lmdb_raw_put, 1)

/* ---- tx lookup latency ---- */

#define LOOKUP_BLOCKS 2000
#define LOOKUP_TXS 100
#define LOOKUP_SAMPLES (1u << 20)

static gx_store_t *lk_store;
static char lk_dir[512];
static MDB_env *lk_raw;
static MDB_dbi lk_raw_dbi;
static uint64_t lk_ns[LOOKUP_SAMPLES];

static void tx_hash_of(gx_hash_t *h, uint64_t height, uint32_t i) {
  uint8_t in[12];
  gx_st64(in, height);
  gx_st32(in + 8, i);
  gx_hash(h, GX_DOM_TX, in, sizeof in);
}

static void lk_cleanup(void) {
  if (lk_store) gx_store_close(lk_store);
  if (lk_raw) mdb_env_close(lk_raw);
  if (lk_dir[0]) rm_rf(lk_dir);
}

static int lk_setup(void) {
  if (lk_store) return 0;
  snprintf(lk_dir, sizeof lk_dir, "%s/gx-bench-lookup.%d", bench_dir(), (int)getpid());
  rm_rf(lk_dir);
  gx_store_cfg_t cfg;
  gx_store_cfg_defaults(&cfg);
  cfg.dir = lk_dir;
  cfg.durability = GX_STORE_DURABLE_NONE;
  gx_store_error_t err;
  if (gx_store_open(&cfg, &lk_store, &err)) return -1;
  atexit(lk_cleanup);
  static gx_hash_t txs[LOOKUP_TXS];
  static uint8_t body[512];
  gx_store_block_t blk = {.body = body, .body_len = sizeof body, .tx_hashes = txs,
                          .tx_count = LOOKUP_TXS};
  for (uint64_t h = 1; h <= LOOKUP_BLOCKS; h++) {
    for (uint32_t i = 0; i < LOOKUP_TXS; i++) tx_hash_of(&txs[i], h, i);
    blk.height = h;
    memcpy(blk.hash.b, &h, 8);
    if (gx_store_append(lk_store, &blk)) return -1;
    if (h % 100 == 0 && gx_store_sync(lk_store)) return -1;
  }
  if (gx_store_sync(lk_store) || gx_store_apply(lk_store)) return -1;
  /* the same keys in a bare LMDB env for the baseline */
  char raw[600];
  snprintf(raw, sizeof raw, "%s/raw", lk_dir);
  if (mkdir_p_ok(raw)) return -1;
  MDB_txn *txn;
  mdb_env_create(&lk_raw);
  mdb_env_set_mapsize(lk_raw, 1ull << 30);
  mdb_env_set_maxdbs(lk_raw, 2);
  if (mdb_env_open(lk_raw, raw, MDB_NOTLS | MDB_NOSYNC, 0644)) return -1;
  mdb_txn_begin(lk_raw, NULL, 0, &txn);
  mdb_dbi_open(txn, "tx", MDB_CREATE, &lk_raw_dbi);
  for (uint64_t h = 1; h <= LOOKUP_BLOCKS; h++)
    for (uint32_t i = 0; i < LOOKUP_TXS; i++) {
      gx_hash_t t;
      tx_hash_of(&t, h, i);
      uint8_t v[12];
      gx_st64(v, h);
      gx_st32(v + 8, i);
      MDB_val k = {32, t.b}, val = {12, v};
      mdb_put(txn, lk_raw_dbi, &k, &val, 0);
    }
  return mdb_txn_commit(txn) ? -1 : 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void report_percentiles(gx_bench_t *b, size_t n) {
  if (!n) return;
  qsort(lk_ns, n, sizeof lk_ns[0], cmp_u64);
  gx_bench_counter(b, "p50_ns", (double)lk_ns[n / 2]);
  gx_bench_counter(b, "p99_ns", (double)lk_ns[n * 99 / 100]);
}

static void bm_tx_lookup(gx_bench_t *b) {
  if (lk_setup()) {
    gx_bench_skip(b, "cannot build the lookup store");
    return;
  }
  uint64_t rs = 99;
  size_t n = 0;
  int failed = 0;
  while (gx_bench_loop(b)) {
    gx_hash_t t;
    uint64_t want = 1 + bench_rng(&rs) % LOOKUP_BLOCKS, h;
    uint32_t i = (uint32_t)(bench_rng(&rs) % LOOKUP_TXS), idx;
    tx_hash_of(&t, want, i);
    uint64_t t0 = now_ns();
    if (gx_store_find_tx(lk_store, &t, &h, &idx) || h != want || idx != i) failed = 1;
    uint64_t dt = now_ns() - t0;
    if (n < LOOKUP_SAMPLES) lk_ns[n++] = dt;
  }
  gx_bench_items(b, gx_bench_iterations(b));
  report_percentiles(b, n);
  if (failed) gx_bench_skip(b, "a lookup failed");
}
GX_BENCH_NAMED("storage/tx_lookup", bm_tx_lookup, 0)

static void bm_lmdb_raw_get(gx_bench_t *b) {
  if (lk_setup()) {
    gx_bench_skip(b, "cannot build the lookup store");
    return;
  }
  uint64_t rs = 99;
  size_t n = 0;
  int failed = 0;
  while (gx_bench_loop(b)) {
    gx_hash_t t;
    uint64_t want = 1 + bench_rng(&rs) % LOOKUP_BLOCKS;
    uint32_t i = (uint32_t)(bench_rng(&rs) % LOOKUP_TXS);
    tx_hash_of(&t, want, i);
    uint64_t t0 = now_ns();
    MDB_txn *txn;
    MDB_val k = {32, t.b}, v;
    if (mdb_txn_begin(lk_raw, NULL, MDB_RDONLY, &txn) || mdb_get(txn, lk_raw_dbi, &k, &v) ||
        gx_ld64(v.mv_data) != want)
      failed = 1;
    mdb_txn_abort(txn);
    uint64_t dt = now_ns() - t0;
    if (n < LOOKUP_SAMPLES) lk_ns[n++] = dt;
  }
  gx_bench_items(b, gx_bench_iterations(b));
  report_percentiles(b, n);
  if (failed) gx_bench_skip(b, "a lookup failed");
}
GX_BENCH_NAMED("baseline/lmdb_raw_get", bm_lmdb_raw_get, 0)
