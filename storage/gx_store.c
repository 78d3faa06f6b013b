/* gx_store: log segments through io_uring + LMDB indexes. See gx_store.h and
 * docs/STORAGE.md. */
#include "storage/gx_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_assert.h"
#include "core/gx_util.h"

#define GX_STORE_FORMAT 1u
#define GX_STORE_ALIGN 4096u
#define GX_STORE_CHUNK (1u << 20)        /* bytes per io_uring write SQE */
#define GX_STORE_APPLY_BATCH 1024        /* records per LMDB txn during recovery */
#define GX_STORE_MAX_SEGMENTS (1u << 20)
#define GX_STORE_FSYNC_TAG UINT64_MAX

/* One account or tx entry of an LMDB apply batch (see gx_store_apply_range). */
typedef struct {
  const uint8_t *key; /* 32 bytes in the staging buffer; later entries have higher addresses */
  const uint8_t *val; /* account: 48 bytes in the buffer; tx: NULL */
  uint64_t height;
  uint32_t index;
} gx_store_kv_t;

struct gx_store {
  gx_store_cfg_t cfg;
  char dir[PATH_MAX - 64];
  int lock_fd;
  MDB_env *env;
  MDB_dbi db_meta, db_height, db_hash, db_tx, db_acct, db_cert;
  MDB_dbi db_aux[GX_STORE_AUX__COUNT]; /* gx_store_aux_put; 0: absent (read-only, old store) */
  struct io_uring ring;
  int ring_ok, direct, registered;
  uint32_t align; /* GX_STORE_ALIGN for O_DIRECT, 1 for buffered writes */
  /* writer's log tail */
  int seg_fd;
  uint64_t seg_index, seg_count, log_bytes_before;
  uint64_t durable_off; /* durable logical end of the current segment */
  /* staging buffer: file bytes [buf_base, buf_base + buf_len) of the current
   * segment; [apply_start, group_start) durable but not yet in LMDB,
   * [group_start, buf_len) appended but not yet synced */
  uint8_t *buf;
  size_t buf_cap, buf_len, group_start, apply_start;
  uint64_t buf_base;
  uint64_t last_height;
  uint32_t group_seq;   /* group number of the records being appended */
  uint64_t last_apply_ns;
  gx_store_kv_t *kv;    /* apply batch of kv_cap entries, sized at open */
  /* applier thread (see gx_store_applier_main) */
  pthread_t applier;
  int applier_started;
  /* certificates waiting for the applier's next LMDB transaction (cmu) */
  pthread_mutex_t cmu;
  gx_store_cert_slot_t *cert_pend, *cert_flush; /* GX_STORE_CERT_PENDING each */
  unsigned n_cert_pend;
  pthread_mutex_t amu;
  pthread_cond_t acv;
  int a_busy, a_stop, a_failed;
  size_t a_to;
  uint64_t a_seg, a_base;
  gx_store_error_t a_err;
  size_t kv_len, kv_cap;
  _Atomic uint64_t durable_height, applied_height;
  int failed;
  uint64_t recovered, truncated;
  int torn_tail;
  int index_existed; /* LMDB held a store before this open */
  gx_store_error_t err;
};

/* ---------- errors ---------- */

const char *gx_store_strerror(gx_store_err_t e) {
  static const char *const names[GX_STORE_ERR_COUNT] = {
      [GX_STORE_OK] = "ok",
      [GX_STORE_EINVAL] = "invalid argument",
      [GX_STORE_EHEIGHT] = "height is not the next height",
      [GX_STORE_ETOOBIG] = "block too large",
      [GX_STORE_ENOTFOUND] = "not found",
      [GX_STORE_ESMALL] = "buffer too small",
      [GX_STORE_EIO] = "I/O error",
      [GX_STORE_ENOSPC] = "no space left (disk, file size limit or LMDB map)",
      [GX_STORE_EACCES] = "permission denied",
      [GX_STORE_ECORRUPT] = "corrupt store",
      [GX_STORE_EVERSION] = "unsupported on-disk version",
      [GX_STORE_ELMDB] = "LMDB error",
      [GX_STORE_EBUSY] = "store is open by another process",
      [GX_STORE_EFAILED] = "store failed earlier: reopen it",
  };
  return (unsigned)e < GX_STORE_ERR_COUNT ? names[e] : "unknown storage error";
}

static gx_store_err_t gx_store_errno_code(int e) {
  switch (e) {
  case ENOSPC: case EFBIG: case EDQUOT: return GX_STORE_ENOSPC;
  case EACCES: case EPERM: case EROFS: return GX_STORE_EACCES;
  default: return GX_STORE_EIO;
  }
}

__attribute__((format(printf, 6, 7))) static gx_store_err_t
gx_store_seterr(gx_store_error_t *err, gx_store_err_t code, int sys_errno, const char *file,
                uint64_t offset, const char *fmt, ...) {
  if (!err) return code;
  err->code = code;
  err->sys_errno = sys_errno;
  snprintf(err->file, sizeof err->file, "%s", file ? file : "");
  err->offset = offset;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return code;
}

static gx_store_err_t gx_store_syserr(gx_store_error_t *err, const char *what, const char *file) {
  int e = errno;
  return gx_store_seterr(err, gx_store_errno_code(e), e, file, 0, "%s %s: %s", what, file,
                         strerror(e));
}

static gx_store_err_t gx_store_lmdberr(gx_store_error_t *err, const char *what, int rc,
                                       const char *file) {
  gx_store_err_t code = GX_STORE_ELMDB;
  if (rc == MDB_MAP_FULL) code = GX_STORE_ENOSPC;
  else if (rc == MDB_VERSION_MISMATCH) code = GX_STORE_EVERSION;
  else if (rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND) code = GX_STORE_ECORRUPT;
  else if (rc > 0) code = gx_store_errno_code(rc);
  /* LMDB reports a short write on a full disk as EIO: say what it is */
  struct statvfs vfs;
  int full = (rc == EIO || rc == ENOSPC) && file && statvfs(file, &vfs) == 0 && vfs.f_bavail == 0;
  if (full) code = GX_STORE_ENOSPC;
  return gx_store_seterr(err, code, rc > 0 ? rc : 0, file, 0, "%s %s: %s%s", what, file,
                         mdb_strerror(rc),
                         rc == MDB_MAP_FULL ? " (raise lmdb_map_bytes)"
                         : full            ? " (the filesystem is full)"
                                           : "");
}

int gx_store_parse_durability(const char *s) {
  if (!strcmp(s, "block")) return GX_STORE_DURABLE_BLOCK;
  if (!strcmp(s, "group")) return GX_STORE_DURABLE_GROUP;
  if (!strcmp(s, "none")) return GX_STORE_DURABLE_NONE;
  return -1;
}

const char *gx_store_durability_name(gx_store_durability_t d) {
  return d == GX_STORE_DURABLE_BLOCK ? "block" : d == GX_STORE_DURABLE_GROUP ? "group" : "none";
}

void gx_store_cfg_defaults(gx_store_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->segment_bytes = 1ull << 30;
  cfg->durability = GX_STORE_DURABLE_GROUP;
  cfg->lmdb_map_bytes = 64ull << 30;
  cfg->uring_depth = 64;
  cfg->write_buffer_bytes = 64u << 20;
  cfg->direct_io = -1;
  cfg->max_readers = 126;
  cfg->apply_interval_ms = 10;
}

/* ---------- paths and file helpers ---------- */

static void gx_store_seg_path(const char *dir, uint64_t index, char *out, size_t cap) {
  snprintf(out, cap, "%s/log/%016" PRIx64 ".seg", dir, index);
}

static int gx_store_fsync_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  int e = errno;
  close(fd);
  errno = e;
  return rc;
}

static int gx_store_pread_all(int fd, void *buf, size_t n, uint64_t off) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) {
      errno = EIO;
      return -1;
    }
    got += (size_t)r;
  }
  return 0;
}

static int gx_store_pwrite_all(int fd, const void *buf, size_t n, uint64_t off) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pwrite(fd, (const uint8_t *)buf + done, n - done, (off_t)(off + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += (size_t)r;
  }
  return 0;
}

/* Lists segment files: sets *count to the number of consecutive segments
 * 0..count-1 (error when one is missing or a name is out of order). */
static gx_store_err_t gx_store_list_segments(const char *dir, uint64_t *count, gx_store_error_t *err) {
  char logdir[PATH_MAX];
  snprintf(logdir, sizeof logdir, "%s/log", dir);
  DIR *d = opendir(logdir);
  if (!d) {
    if (errno == ENOENT) { *count = 0; return GX_STORE_OK; }
    return gx_store_syserr(err, "cannot read log directory", logdir);
  }
  uint64_t n = 0, max = 0;
  int any = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    const char *name = de->d_name;
    size_t len = strlen(name);
    if (len != 20 || strcmp(name + 16, ".seg") != 0) continue;
    uint64_t idx = 0;
    int ok = 1;
    for (int i = 0; i < 16; i++) {
      char c = name[i];
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) { ok = 0; break; }
      idx = idx << 4 | (uint64_t)v;
    }
    if (!ok) continue;
    if (idx >= GX_STORE_MAX_SEGMENTS) {
      closedir(d);
      return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, logdir, 0,
                             "segment number %s out of range in %s", name, logdir);
    }
    n++;
    if (!any || idx > max) max = idx;
    any = 1;
  }
  closedir(d);
  if (any && n != max + 1) {
    char p[PATH_MAX];
    /* find the first missing one for the message */
    uint64_t miss = 0;
    for (; miss <= max; miss++) {
      gx_store_seg_path(dir, miss, p, sizeof p);
      if (access(p, F_OK) != 0) break;
    }
    return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                           "segment file %s is missing (%" PRIu64 " segments up to %016" PRIx64 ")",
                           p, n, max);
  }
  *count = any ? max + 1 : 0;
  return GX_STORE_OK;
}

/* Reads and checks segment index's header. */
static gx_store_err_t gx_store_check_seg_hdr(const char *dir, uint64_t index, gx_store_seg_hdr_t *h,
                                             uint64_t *size, gx_store_error_t *err) {
  char p[PATH_MAX];
  gx_store_seg_path(dir, index, p, sizeof p);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return gx_store_syserr(err, "cannot open segment", p);
  struct stat sb;
  uint8_t hdr[GX_STORE_SEG_HDR_SZ];
  gx_store_err_t rc = GX_STORE_OK;
  if (fstat(fd, &sb) != 0) rc = gx_store_syserr(err, "cannot stat segment", p);
  else if ((uint64_t)sb.st_size < GX_STORE_SEG_HDR_SZ)
    rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                         "segment %s is truncated: %" PRIu64 " bytes, shorter than its header", p,
                         (uint64_t)sb.st_size);
  else if (gx_store_pread_all(fd, hdr, sizeof hdr, 0) != 0)
    rc = gx_store_syserr(err, "cannot read segment", p);
  else if (!memcmp(hdr, GX_STORE_SEG_MAGIC, 8) && gx_ld32(hdr + 8) != GX_STORE_SEG_VERSION &&
           gx_ld32(hdr + GX_STORE_SEG_HDR_SZ - 4) == gx_store_crc32c(hdr, GX_STORE_SEG_HDR_SZ - 4))
    rc = gx_store_seterr(err, GX_STORE_EVERSION, 0, p, 8,
                         "segment %s has log format version %u, this build reads version %u", p,
                         gx_ld32(hdr + 8), GX_STORE_SEG_VERSION);
  else if (gx_store_seg_hdr_decode(hdr, sizeof hdr, h) != 0 || h->index != index)
    rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                         "bad segment header in %s at offset 0", p);
  if (size) *size = rc == GX_STORE_OK ? (uint64_t)sb.st_size : 0;
  close(fd);
  return rc;
}

/* ---------- buffered segment reader (recovery, verify, repair) ---------- */

typedef struct {
  int fd;
  uint64_t size;
  uint8_t *buf;
  size_t cap;
  uint64_t buf_off;
  size_t buf_len;
} gx_store_reader_t;

/* Makes [off, off + n) resident if the file has it; returns a pointer to off
 * and sets *avail to the bytes from off in the buffer (may be < n at EOF). */
static const uint8_t *gx_store_reader_get(gx_store_reader_t *r, uint64_t off, size_t n,
                                          size_t *avail) {
  if (off >= r->size) { *avail = 0; return NULL; }
  if (n > r->cap) n = r->cap;
  if (off < r->buf_off || off + n > r->buf_off + r->buf_len) {
    size_t want = r->cap;
    if (r->size - off < want) want = (size_t)(r->size - off);
    if (gx_store_pread_all(r->fd, r->buf, want, off) != 0) { *avail = 0; return NULL; }
    r->buf_off = off;
    r->buf_len = want;
  }
  *avail = (size_t)(r->buf_off + r->buf_len - off);
  return r->buf + (off - r->buf_off);
}

typedef struct {
  gx_store_rec_status_t status; /* why the scan stopped; OK = clean end of file */
  int wrong_height, wrong_hash, io_error, too_big;
  uint64_t end;                 /* offset after the last good record */
  uint64_t next_height;
  int have_group;               /* a good record was scanned: last_group is its group */
  uint32_t last_group;
  int bad_hdr_ok;               /* the bad record's own header is intact: bad_group */
  uint32_t bad_group;
} gx_store_scan_t;

typedef int (*gx_store_scan_fn_t)(void *ctx, const gx_store_rec_t *rec, uint64_t off);

/* Scans records from off, expecting heights from want; stops at the first bad one. */
static void gx_store_scan(const gx_store_cfg_t *cfg, gx_store_reader_t *r, uint64_t off,
                          uint64_t want, gx_store_scan_fn_t fn, void *ctx, gx_store_scan_t *out) {
  memset(out, 0, sizeof *out);
  out->status = GX_STORE_REC_OK;
  while (off < r->size) {
    size_t avail;
    const uint8_t *p = gx_store_reader_get(r, off, GX_STORE_REC_HDR_SZ, &avail);
    if (!p) { out->io_error = errno ? errno : EIO; out->status = GX_STORE_REC_SHORT; break; }
    uint32_t rec_len, group;
    gx_store_rec_status_t st = gx_store_rec_check_header(p, avail, &rec_len, &group);
    out->bad_hdr_ok = st == GX_STORE_REC_OK;
    out->bad_group = group;
    if (st == GX_STORE_REC_OK) {
      if (rec_len > r->cap) {
        /* a record larger than this reader's buffer (written with a larger
         * write_buffer_bytes): grow it, within the format's limits */
        uint8_t *nb = realloc(r->buf, rec_len);
        if (nb) {
          r->buf = nb;
          r->cap = rec_len;
          r->buf_len = 0;
        }
      }
      if (rec_len > r->cap) { out->too_big = 1; st = GX_STORE_REC_BAD_LEN; }
      else {
        p = gx_store_reader_get(r, off, rec_len, &avail);
        gx_store_rec_t rec;
        st = p ? gx_store_rec_decode(p, avail, &rec) : GX_STORE_REC_SHORT;
        if (st == GX_STORE_REC_OK) {
          if (rec.height != want) { out->wrong_height = 1; st = GX_STORE_REC_BAD_HDR; }
          else if (cfg->hash_fn) {
            gx_hash_t h;
            if (cfg->hash_fn(cfg->hash_ctx, rec.body, rec.body_len, &h) != 0 ||
                !gx_hash_eq(&h, &rec.hash)) {
              out->wrong_hash = 1;
              st = GX_STORE_REC_BAD_CRC;
            }
          }
        }
        if (st == GX_STORE_REC_OK) {
          out->have_group = 1;
          out->last_group = rec.group;
          out->bad_hdr_ok = 0;
          if (fn && fn(ctx, &rec, off)) { out->end = off + rec.rec_len; out->next_height = want + 1; return; }
          off += rec.rec_len;
          want++;
          continue;
        }
      }
    }
    out->status = st;
    break;
  }
  if (out->status == GX_STORE_REC_OK) out->bad_hdr_ok = 0;
  out->end = off;
  out->next_height = want;
}

static const char *gx_store_scan_reason(const gx_store_scan_t *s) {
  if (s->wrong_height) return "unexpected height";
  if (s->wrong_hash) return "body does not hash to the record's block hash";
  if (s->too_big) return "record larger than the scan buffer";
  if (s->io_error) return "read error";
  return gx_store_rec_strerror(s->status);
}

/* Valid record headers anywhere in [from, size) of the file: how many, the
 * group of the first, and whether their groups differ. */
static uint64_t gx_store_groups_after(gx_store_reader_t *r, uint64_t from, uint32_t *first_group,
                                      int *mixed) {
  uint64_t count = 0;
  *mixed = 0;
  *first_group = 0;
  for (uint64_t off = from; off + GX_STORE_REC_HDR_SZ <= r->size;) {
    size_t avail;
    const uint8_t *p = gx_store_reader_get(r, off, r->cap, &avail);
    if (!p || avail < GX_STORE_REC_HDR_SZ) break;
    size_t lim = avail - GX_STORE_REC_HDR_SZ + 1;
    for (size_t i = 0; i < lim; i++) {
      if (p[i] != 'G' || gx_ld32(p + i) != GX_STORE_REC_MAGIC) continue;
      uint32_t rl, g;
      if (gx_store_rec_check_header(p + i, avail - i, &rl, &g) != GX_STORE_REC_OK) continue;
      if (count == 0) *first_group = g;
      else if (g != *first_group) *mixed = 1;
      count++;
    }
    off += lim;
  }
  return count;
}

/* ---------- LMDB ---------- */

typedef struct {
  uint64_t height, seg, off;
} gx_store_mark_t;

static void gx_store_be64(uint8_t out[8], uint64_t v) {
  for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static int gx_store_get_mark(gx_store_t *st, MDB_txn *txn, gx_store_mark_t *m) {
  MDB_val k = {7, "applied"}, v;
  int rc = mdb_get(txn, st->db_meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    m->height = 0; m->seg = 0; m->off = GX_STORE_SEG_HDR_SZ;
    return 0;
  }
  if (rc) return rc;
  if (v.mv_size != 24) return MDB_CORRUPTED;
  m->height = gx_ld64(v.mv_data);
  m->seg = gx_ld64((uint8_t *)v.mv_data + 8);
  m->off = gx_ld64((uint8_t *)v.mv_data + 16);
  return 0;
}

static int gx_store_put_mark(gx_store_t *st, MDB_txn *txn, const gx_store_mark_t *m) {
  uint8_t b[24];
  gx_st64(b, m->height);
  gx_st64(b + 8, m->seg);
  gx_st64(b + 16, m->off);
  MDB_val k = {7, "applied"}, v = {sizeof b, b};
  return mdb_put(txn, st->db_meta, &k, &v, 0);
}

/* Index and state entries of one record at (seg, off). */
static int gx_store_apply_record(gx_store_t *st, MDB_txn *txn, const gx_store_rec_t *rec,
                                 uint64_t seg, uint64_t off) {
  uint8_t hk[8], hv[56];
  gx_store_be64(hk, rec->height);
  gx_st64(hv, seg);
  gx_st64(hv + 8, off);
  gx_st32(hv + 16, rec->rec_len);
  gx_st32(hv + 20, 0);
  memcpy(hv + 24, rec->hash.b, 32);
  MDB_val k = {8, hk}, v = {sizeof hv, hv};
  int rc = mdb_put(txn, st->db_height, &k, &v, 0);
  if (rc) return rc;
  uint8_t hh[8];
  gx_st64(hh, rec->height);
  k.mv_size = 32; k.mv_data = (void *)rec->hash.b;
  v.mv_size = 8; v.mv_data = hh;
  if ((rc = mdb_put(txn, st->db_hash, &k, &v, 0))) return rc;
  for (uint32_t i = 0; i < rec->tx_count; i++) {
    uint8_t tv[12];
    gx_st64(tv, rec->height);
    gx_st32(tv + 8, i);
    k.mv_size = 32; k.mv_data = (void *)(rec->tx_hashes + 32ull * i);
    v.mv_size = sizeof tv; v.mv_data = tv;
    if ((rc = mdb_put(txn, st->db_tx, &k, &v, 0))) return rc;
  }
  for (uint32_t i = 0; i < rec->update_count; i++) {
    const uint8_t *u = rec->updates + (size_t)GX_STORE_UPDATE_SZ * i;
    k.mv_size = 32; k.mv_data = (void *)u;
    v.mv_size = 48; v.mv_data = (void *)(u + 32); /* balance, seq, head: same layout */
    if ((rc = mdb_put(txn, st->db_acct, &k, &v, 0))) return rc;
  }
  return 0;
}

static gx_store_err_t gx_store_open_lmdb(gx_store_t *st, gx_store_error_t *err) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/index", st->dir);
  if (!st->cfg.read_only && mkdir(p, 0755) != 0 && errno != EEXIST)
    return gx_store_syserr(err, "cannot create", p);
  int rc = mdb_env_create(&st->env);
  if (rc) return gx_store_lmdberr(err, "cannot create LMDB environment for", rc, p);
  mdb_env_set_maxdbs(st->env, 12);
  mdb_env_set_mapsize(st->env, st->cfg.lmdb_map_bytes);
  mdb_env_set_maxreaders(st->env, st->cfg.max_readers);
  unsigned flags = MDB_NOTLS;
  if (st->cfg.read_only) flags |= MDB_RDONLY;
  else if (st->cfg.durability == GX_STORE_DURABLE_NONE) flags |= MDB_NOSYNC;
  else flags |= MDB_NOMETASYNC; /* the log is the durable copy; recovery re-applies */
  rc = mdb_env_open(st->env, p, flags, 0644);
  if (rc) {
    if (rc == MDB_INVALID)
      return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                             "%s/data.mdb is not an LMDB environment (or its header is corrupt)", p);
    if (rc == MDB_VERSION_MISMATCH)
      return gx_store_seterr(err, GX_STORE_EVERSION, 0, p, 0,
                             "LMDB environment %s was written by an incompatible LMDB version (this is %s)",
                             p, MDB_VERSION_STRING);
    if (rc == ENOENT && st->cfg.read_only)
      return gx_store_seterr(err, GX_STORE_ENOTFOUND, ENOENT, p, 0, "no store at %s", st->dir);
    return gx_store_lmdberr(err, "cannot open LMDB environment", rc, p);
  }
  MDB_txn *txn;
  rc = mdb_txn_begin(st->env, NULL, st->cfg.read_only ? MDB_RDONLY : 0, &txn);
  if (rc) return gx_store_lmdberr(err, "cannot begin a transaction in", rc, p);
  unsigned create = st->cfg.read_only ? 0 : MDB_CREATE;
  struct { const char *name; MDB_dbi *dbi; } dbs[] = {
      {"meta", &st->db_meta}, {"height", &st->db_height}, {"hash", &st->db_hash},
      {"tx", &st->db_tx}, {"account", &st->db_acct}};
  for (size_t i = 0; i < GX_ARRAY_LEN(dbs); i++) {
    rc = mdb_dbi_open(txn, dbs[i].name, create, dbs[i].dbi);
    if (rc) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND)
        return gx_store_seterr(err, GX_STORE_ENOTFOUND, 0, p, 0,
                               "%s has no '%s' table: not a store, or never opened for writing", p,
                               dbs[i].name);
      if (rc == MDB_INCOMPATIBLE)
        return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                               "%s: '%s' is not a table of this store", p, dbs[i].name);
      return gx_store_lmdberr(err, "cannot open table in", rc, p);
    }
  }
  /* Certificates (written after their block, by gx_store_put_cert). A store
   * from before the table existed has none: read-only opens tolerate that. */
  rc = mdb_dbi_open(txn, "cert", create, &st->db_cert);
  if (rc == MDB_NOTFOUND && st->cfg.read_only) st->db_cert = 0;
  else if (rc) {
    mdb_txn_abort(txn);
    return gx_store_lmdberr(err, "cannot open table in", rc, p);
  }
  static const char *const aux_names[GX_STORE_AUX__COUNT] = {"lsh", "fold"};
  for (int i = 0; i < GX_STORE_AUX__COUNT; i++) { /* tables of the hierarchy: gx_store_aux_put */
    rc = mdb_dbi_open(txn, aux_names[i], create, &st->db_aux[i]);
    if (rc == MDB_NOTFOUND && st->cfg.read_only) st->db_aux[i] = 0;
    else if (rc) {
      mdb_txn_abort(txn);
      return gx_store_lmdberr(err, "cannot open table in", rc, p);
    }
  }
  MDB_val k = {6, "format"}, v;
  rc = mdb_get(txn, st->db_meta, &k, &v);
  st->index_existed = rc == 0;
  if (rc == MDB_NOTFOUND && !st->cfg.read_only) {
    uint8_t f[4];
    gx_st32(f, GX_STORE_FORMAT);
    v.mv_size = 4; v.mv_data = f;
    rc = mdb_put(txn, st->db_meta, &k, &v, 0);
  } else if (rc == 0) {
    uint32_t f = v.mv_size == 4 ? gx_ld32(v.mv_data) : 0;
    if (f != GX_STORE_FORMAT) {
      mdb_txn_abort(txn);
      return gx_store_seterr(err, GX_STORE_EVERSION, 0, p, 0,
                             "%s has store format %u, this build reads format %u", p, f,
                             GX_STORE_FORMAT);
    }
  } else if (rc == MDB_NOTFOUND) {
    rc = 0;
  }
  if (rc) {
    mdb_txn_abort(txn);
    return gx_store_lmdberr(err, "cannot read metadata of", rc, p);
  }
  rc = mdb_txn_commit(txn);
  if (rc) return gx_store_lmdberr(err, "cannot commit to", rc, p);
  return GX_STORE_OK;
}

/* ---------- writer: segments and io_uring ---------- */

static gx_store_err_t gx_store_open_seg_fd(gx_store_t *st, uint64_t index, int create,
                                           gx_store_error_t *err) {
  char p[PATH_MAX];
  gx_store_seg_path(st->dir, index, p, sizeof p);
  int base = O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
  int fd = -1;
  if (st->direct) {
    fd = open(p, base | O_DIRECT, 0644);
    if (fd < 0 && errno == EINVAL && st->cfg.direct_io < 0) {
      st->direct = 0; /* filesystem without O_DIRECT (tmpfs): buffered writes */
      st->align = 1;
    }
  }
  if (fd < 0 && !st->direct) fd = open(p, base, 0644);
  if (fd < 0) return gx_store_syserr(err, "cannot open segment for writing", p);
  st->seg_fd = fd;
  return GX_STORE_OK;
}

/* Writes buffer bytes [from, to) at file offset buf_base + from, then (unless
 * mode none) fdatasync, all through the ring: one submission per ring-full. */
static gx_store_err_t gx_store_write_group(gx_store_t *st, size_t from, size_t to) {
  char p[PATH_MAX];
  gx_store_seg_path(st->dir, st->seg_index, p, sizeof p);
  int want_sync = st->cfg.durability != GX_STORE_DURABLE_NONE;
  size_t next = from;
  unsigned inflight = 0;
  int sync_queued = 0, sync_done = !want_sync, fixups = 0;
  int first_err = 0;
  while (next < to || inflight > 0 || !sync_done) {
    while (next < to) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);
      if (!sqe) break;
      size_t len = to - next < GX_STORE_CHUNK ? to - next : GX_STORE_CHUNK;
      if (st->registered)
        io_uring_prep_write_fixed(sqe, st->seg_fd, st->buf + next, (unsigned)len,
                                  st->buf_base + next, 0);
      else
        io_uring_prep_write(sqe, st->seg_fd, st->buf + next, (unsigned)len, st->buf_base + next);
      io_uring_sqe_set_data64(sqe, (uint64_t)next << 32 | len);
      next += len;
      inflight++;
    }
    if (next >= to && !sync_queued && want_sync && !first_err) {
      struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);
      if (sqe) {
        io_uring_prep_fsync(sqe, st->seg_fd, IORING_FSYNC_DATASYNC);
        sqe->flags |= IOSQE_IO_DRAIN; /* runs after every write before it */
        io_uring_sqe_set_data64(sqe, GX_STORE_FSYNC_TAG);
        sync_queued = 1;
        inflight++;
      }
    }
    if (inflight == 0) {
      if (first_err || !want_sync) break;
      continue;
    }
    int rc = io_uring_submit_and_wait(&st->ring, 1);
    if (rc < 0 && rc != -EINTR) {
      first_err = -rc;
      st->failed = 1; /* requests may still be in flight: this ring is unusable */
      break;
    }
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&st->ring, head, cqe) {
      seen++;
      inflight--;
      uint64_t tag = io_uring_cqe_get_data64(cqe);
      if (tag == GX_STORE_FSYNC_TAG) {
        sync_done = 1;
        if (cqe->res < 0 && !first_err) first_err = -cqe->res;
        continue;
      }
      size_t at = (size_t)(tag >> 32), len = (size_t)(tag & 0xffffffffu);
      if (cqe->res < 0 && (!st->direct || cqe->res != -EINVAL)) {
        if (!first_err) first_err = -cqe->res;
      } else if ((cqe->res < 0 || (size_t)cqe->res < len) && !first_err) {
        /* Short write (file size limit, disk nearly full), or O_DIRECT's EINVAL
         * when the kernel clipped the length at RLIMIT_FSIZE: finish it by
         * hand, which either completes or reports the real cause. */
        size_t done = cqe->res < 0 ? 0 : (size_t)cqe->res;
        /* O_DIRECT cannot write the unaligned rest: use a buffered descriptor */
        int fd = st->direct ? open(p, O_WRONLY | O_CLOEXEC) : st->seg_fd;
        if (fd < 0 || gx_store_pwrite_all(fd, st->buf + at + done, len - done,
                                          st->buf_base + at + done) != 0)
          first_err = errno;
        if (fd >= 0 && fd != st->seg_fd) close(fd);
        fixups++;
      }
    }
    io_uring_cq_advance(&st->ring, seen);
    if (first_err && next >= to && inflight == 0) break;
    if (first_err && next < to) next = to; /* stop queueing after a failure */
  }
  if (!first_err && fixups && want_sync && fdatasync(st->seg_fd) != 0) first_err = errno;
  if (first_err) {
    return gx_store_seterr(&st->err, gx_store_errno_code(first_err), first_err, p,
                           st->buf_base + from, "log write to %s at offset %" PRIu64 " failed: %s",
                           p, st->buf_base + from, strerror(first_err));
  }
  return GX_STORE_OK;
}

/* Account and tx entries of an apply batch, sorted by key before the puts:
 * LMDB touches each leaf page once, in order (about twice as fast as random
 * order), and only the last update of an account in the batch is written. */
static int gx_store_kv_cmp(const void *a, const void *b) {
  const gx_store_kv_t *x = a, *y = b;
  if ((x->val == NULL) != (y->val == NULL)) return x->val == NULL ? 1 : -1;
  int c = memcmp(x->key, y->key, 32);
  if (c) return c;
  return x->key < y->key ? -1 : x->key > y->key; /* stable: log order */
}

static int gx_store_kv_flush(gx_store_t *st, MDB_txn *txn) {
  qsort(st->kv, st->kv_len, sizeof *st->kv, gx_store_kv_cmp);
  for (size_t i = 0; i < st->kv_len; i++) {
    const gx_store_kv_t *e = &st->kv[i];
    /* a later entry for the same key replaces this one */
    if (i + 1 < st->kv_len && (st->kv[i + 1].val == NULL) == (e->val == NULL) &&
        !memcmp(st->kv[i + 1].key, e->key, 32))
      continue;
    uint8_t tv[12];
    MDB_val k = {32, (void *)e->key}, v;
    if (e->val) {
      v.mv_size = 48;
      v.mv_data = (void *)e->val;
    } else {
      gx_st64(tv, e->height);
      gx_st32(tv + 8, e->index);
      v.mv_size = sizeof tv;
      v.mv_data = tv;
    }
    int rc = mdb_put(txn, e->val ? st->db_acct : st->db_tx, &k, &v, 0);
    if (rc) return rc;
  }
  st->kv_len = 0;
  return 0;
}

static int gx_store_kv_add(gx_store_t *st, MDB_txn *txn, const uint8_t *key, const uint8_t *val,
                           uint64_t height, uint32_t index) {
  if (st->kv_len == st->kv_cap) {
    int rc = gx_store_kv_flush(st, txn);
    if (rc) return rc;
  }
  st->kv[st->kv_len++] = (gx_store_kv_t){key, val, height, index};
  return 0;
}

/* Writes the pending certificates in txn (the applier's, or close's). */
static int gx_store_flush_certs(gx_store_t *st, MDB_txn *txn) {
  if (!st->cert_pend) return 0;
  pthread_mutex_lock(&st->cmu);
  unsigned n = st->n_cert_pend;
  memcpy(st->cert_flush, st->cert_pend, n * sizeof *st->cert_pend);
  st->n_cert_pend = 0;
  pthread_mutex_unlock(&st->cmu);
  GX_ASSERT(n <= GX_STORE_CERT_PENDING, "certificate queue holds %u, room for %u", n,
            (unsigned)GX_STORE_CERT_PENDING);
  int rc = 0;
  for (unsigned i = 0; i < n && !rc; i++) {
    uint8_t key[8];
    gx_store_be64(key, st->cert_flush[i].height);
    MDB_val k = {8, key}, v = {st->cert_flush[i].len, st->cert_flush[i].bytes};
    rc = mdb_put(txn, st->db_cert, &k, &v, 0);
  }
  return rc;
}

/* One LMDB write transaction for the records in buf[from, to), which lie at
 * file offset base + from.. of segment seg. Runs on the applier thread (or on
 * the writer while the applier is idle): one at a time. */
static gx_store_err_t gx_store_apply_range(gx_store_t *st, size_t from, size_t to, uint64_t seg,
                                           uint64_t base, gx_store_error_t *err) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/index", st->dir);
  MDB_txn *txn;
  int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
  if (rc) return gx_store_lmdberr(err, "cannot begin a write transaction in", rc, p);
  size_t off = from;
  gx_store_rec_t rec = {0};
  st->kv_len = 0;
  /* the staged range holds the records appended after the last applied one,
   * heights consecutive, all of them durable already */
  uint64_t want = atomic_load(&st->applied_height) + 1, durable = atomic_load(&st->durable_height);
  GX_ASSERT(from < to, "applying an empty staged range at %zu", from);
  while (off < to && !rc) {
    if (gx_store_rec_decode(st->buf + off, to - off, &rec) != GX_STORE_REC_OK) {
      mdb_txn_abort(txn);
      return gx_store_seterr(err, GX_STORE_EFAILED, 0, p, 0, "internal: staged record unreadable");
    }
    GX_ASSERT(rec.height == want && rec.height <= durable,
              "applying height %" PRIu64 " to LMDB, expected %" PRIu64 " (durable height %" PRIu64 ")",
              rec.height, want, durable);
    want++;
    uint8_t hk[8], hv[56], hh[8];
    gx_store_be64(hk, rec.height);
    gx_st64(hv, seg);
    gx_st64(hv + 8, base + off);
    gx_st32(hv + 16, rec.rec_len);
    gx_st32(hv + 20, 0);
    memcpy(hv + 24, rec.hash.b, 32);
    MDB_val k = {8, hk}, v = {sizeof hv, hv};
    if ((rc = mdb_put(txn, st->db_height, &k, &v, 0))) break;
    gx_st64(hh, rec.height);
    k.mv_size = 32; k.mv_data = rec.hash.b;
    v.mv_size = 8; v.mv_data = hh;
    if ((rc = mdb_put(txn, st->db_hash, &k, &v, 0))) break;
    for (uint32_t i = 0; i < rec.tx_count && !rc; i++)
      rc = gx_store_kv_add(st, txn, rec.tx_hashes + 32ull * i, NULL, rec.height, i);
    for (uint32_t i = 0; i < rec.update_count && !rc; i++) {
      const uint8_t *u = rec.updates + (size_t)GX_STORE_UPDATE_SZ * i;
      rc = gx_store_kv_add(st, txn, u, u + 32, rec.height, i);
    }
    off += rec.rec_len;
  }
  if (!rc) rc = gx_store_kv_flush(st, txn);
  if (!rc) rc = gx_store_flush_certs(st, txn);
  gx_store_mark_t m = {rec.height, seg, base + to};
  if (!rc) rc = gx_store_put_mark(st, txn, &m);
  if (rc) {
    mdb_txn_abort(txn);
    return gx_store_lmdberr(err, "cannot apply blocks to", rc, p);
  }
  if ((rc = mdb_txn_commit(txn))) return gx_store_lmdberr(err, "cannot commit blocks to", rc, p);
  atomic_store(&st->applied_height, rec.height);
  return GX_STORE_OK;
}

static uint64_t gx_store_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Keeps only what is not yet applied, or else the partial last block
 * (O_DIRECT rewrites it next time). */
static void gx_store_compact(gx_store_t *st) {
  size_t keep_from = st->apply_start < st->group_start ? st->apply_start : st->group_start;
  keep_from -= keep_from % st->align;
  if (keep_from == 0) return;
  memmove(st->buf, st->buf + keep_from, st->buf_len - keep_from);
  st->buf_base += keep_from;
  st->buf_len -= keep_from;
  st->group_start -= keep_from;
  st->apply_start -= keep_from;
}

/* ---- the applier thread: LMDB commits off the writer's path ----
 * The writer hands it [apply_start, group_start) (durable, not applied) and
 * goes on writing groups after group_start; the applier reads only that range
 * and, when done, advances apply_start. The writer compacts the buffer and
 * changes segment only while the applier is idle. amu guards a_* and, while
 * a_busy, apply_start. */
static void *gx_store_applier_main(void *arg) {
  gx_store_t *st = arg;
  pthread_mutex_lock(&st->amu);
  for (;;) {
    while (!st->a_busy && !st->a_stop) pthread_cond_wait(&st->acv, &st->amu);
    if (!st->a_busy) break;
    size_t from = st->apply_start, to = st->a_to;
    uint64_t seg = st->a_seg, base = st->a_base;
    pthread_mutex_unlock(&st->amu);
    gx_store_error_t e;
    memset(&e, 0, sizeof e);
    gx_store_err_t rc = gx_store_apply_range(st, from, to, seg, base, &e);
    pthread_mutex_lock(&st->amu);
    if (rc != GX_STORE_OK) {
      st->a_failed = 1;
      st->a_err = e;
    } else {
      st->apply_start = to;
    }
    st->a_busy = 0;
    pthread_cond_broadcast(&st->acv);
  }
  pthread_mutex_unlock(&st->amu);
  return NULL;
}

/* Waits until the applier is idle; reports (once) an apply that failed. */
static gx_store_err_t gx_store_applier_wait(gx_store_t *st) {
  if (!st->applier_started) return GX_STORE_OK;
  pthread_mutex_lock(&st->amu);
  while (st->a_busy) pthread_cond_wait(&st->acv, &st->amu);
  int failed = st->a_failed;
  if (failed) {
    st->err = st->a_err;
    st->a_failed = 0;
  }
  pthread_mutex_unlock(&st->amu);
  if (failed) {
    st->failed = 1; /* the log has it; reopening re-applies */
    return st->err.code;
  }
  return GX_STORE_OK;
}

/* 1 while the applier works, -1 when its last apply failed, else 0. */
static int gx_store_applier_state(gx_store_t *st) {
  if (!st->applier_started) return 0;
  pthread_mutex_lock(&st->amu);
  int state = st->a_busy ? 1 : st->a_failed ? -1 : 0;
  pthread_mutex_unlock(&st->amu);
  return state;
}

/* Starts applying [apply_start, group_start); the applier must be idle. */
static void gx_store_applier_start(gx_store_t *st) {
  st->last_apply_ns = gx_store_now_ns();
  pthread_mutex_lock(&st->amu);
  st->a_to = st->group_start;
  st->a_seg = st->seg_index;
  st->a_base = st->buf_base;
  st->a_busy = 1;
  pthread_cond_signal(&st->acv);
  pthread_mutex_unlock(&st->amu);
}

gx_store_err_t gx_store_apply(gx_store_t *st) {
  if (!st || st->cfg.read_only) return GX_STORE_EINVAL;
  if (st->failed) return GX_STORE_EFAILED;
  gx_store_err_t rc = gx_store_applier_wait(st);
  if (rc) return rc;
  if (st->apply_start < st->group_start) {
    if (st->applier_started) {
      gx_store_applier_start(st);
      if ((rc = gx_store_applier_wait(st))) return rc;
    } else {
      rc = gx_store_apply_range(st, st->apply_start, st->group_start, st->seg_index, st->buf_base,
                                &st->err);
      if (rc != GX_STORE_OK) {
        st->failed = 1;
        return rc;
      }
      st->apply_start = st->group_start;
    }
  }
  st->last_apply_ns = gx_store_now_ns();
  gx_store_compact(st);
  return GX_STORE_OK;
}

gx_store_err_t gx_store_sync(gx_store_t *st) {
  if (!st || st->cfg.read_only) return GX_STORE_EINVAL;
  if (st->failed) return GX_STORE_EFAILED;
  if (st->buf_len > st->group_start) {
    size_t from = st->group_start - st->group_start % st->align;
    size_t to = (st->buf_len + st->align - 1) / st->align * st->align;
    memset(st->buf + st->buf_len, 0, to - st->buf_len);
    gx_store_err_t rc = gx_store_write_group(st, from, to);
    if (rc != GX_STORE_OK) {
      /* Drop the group and cut the log back to its durable end. */
      if (ftruncate(st->seg_fd, (off_t)st->durable_off) != 0) st->failed = 1;
      if (st->err.sys_errno == EIO) st->failed = 1; /* fsync failure: page cache state unknown */
      st->buf_len = st->group_start;
      st->last_height = atomic_load(&st->durable_height);
      return rc;
    }
    st->durable_off = st->buf_base + st->buf_len;
    st->group_start = st->buf_len;
    st->group_seq++;
    GX_ASSERT(st->last_height >= atomic_load(&st->durable_height),
              "durable height would move back from %" PRIu64 " to %" PRIu64,
              (uint64_t)atomic_load(&st->durable_height), st->last_height);
    atomic_store(&st->durable_height, st->last_height);
  }
  /* LMDB: at once in mode block or with apply_interval_ms 0; else, when the
   * applier thread is idle, hand it what is durable once apply_interval_ms has
   * passed or a quarter of the buffer waits (it commits while we write on). */
  if (st->cfg.durability == GX_STORE_DURABLE_BLOCK || st->cfg.apply_interval_ms == 0)
    return gx_store_apply(st);
  int state = gx_store_applier_state(st);
  if (state < 0) return gx_store_applier_wait(st); /* reports the failed apply */
  if (state > 0) return GX_STORE_OK;
  gx_store_compact(st);
  if (st->apply_start == st->group_start) return GX_STORE_OK;
  uint64_t now = gx_store_now_ns();
  if (now - st->last_apply_ns >= (uint64_t)st->cfg.apply_interval_ms * 1000000ull ||
      st->group_start - st->apply_start >= st->buf_cap / 4)
    gx_store_applier_start(st);
  return GX_STORE_OK;
}

/* Starts segment index: header written and synced, directory synced. */
static gx_store_err_t gx_store_new_segment(gx_store_t *st, uint64_t index, gx_store_error_t *err) {
  char p[PATH_MAX], logdir[PATH_MAX];
  gx_store_seg_path(st->dir, index, p, sizeof p);
  snprintf(logdir, sizeof logdir, "%s/log", st->dir);
  if (st->seg_fd >= 0) {
    close(st->seg_fd);
    st->seg_fd = -1;
  }
  gx_store_err_t rc = gx_store_open_seg_fd(st, index, 1, err);
  if (rc) return rc;
  gx_store_seg_hdr_t h = {index, st->last_height + 1, st->cfg.segment_bytes};
  memset(st->buf, 0, GX_STORE_SEG_HDR_SZ);
  gx_store_seg_hdr_encode(st->buf, &h);
  if (gx_store_pwrite_all(st->seg_fd, st->buf, GX_STORE_SEG_HDR_SZ, 0) != 0 ||
      fdatasync(st->seg_fd) != 0) {
    rc = gx_store_syserr(err, "cannot write segment header to", p);
    unlink(p);
    return rc;
  }
  if (gx_store_fsync_dir(logdir) != 0) return gx_store_syserr(err, "cannot sync directory", logdir);
  st->seg_index = index;
  st->seg_count = index + 1;
  st->durable_off = GX_STORE_SEG_HDR_SZ;
  st->buf_base = GX_STORE_SEG_HDR_SZ;
  st->buf_len = 0;
  st->group_start = 0;
  st->apply_start = 0;
  return GX_STORE_OK;
}

gx_store_err_t gx_store_append(gx_store_t *st, const gx_store_block_t *blk) {
  if (!st || !blk || st->cfg.read_only) return GX_STORE_EINVAL;
  if (st->failed) return GX_STORE_EFAILED;
  if (blk->height != st->last_height + 1)
    return gx_store_seterr(&st->err, GX_STORE_EHEIGHT, 0, NULL, 0,
                           "appended height %" PRIu64 ", expected %" PRIu64, blk->height,
                           st->last_height + 1);
  if ((blk->body_len && !blk->body) || (blk->tx_count && !blk->tx_hashes) ||
      (blk->update_count && !blk->updates))
    return gx_store_seterr(&st->err, GX_STORE_EINVAL, 0, NULL, 0, "block with NULL arrays");
  uint64_t size = gx_store_rec_size(blk);
  if (size == 0 || size + GX_STORE_ALIGN > st->buf_cap)
    return gx_store_seterr(&st->err, GX_STORE_ETOOBIG, 0, NULL, 0,
                           "block %" PRIu64 " needs %" PRIu64 " log bytes, over the %zu-byte write buffer",
                           blk->height, size, st->buf_cap);
  gx_store_err_t rc;
  uint64_t end = st->buf_base + st->buf_len;
  if (end > GX_STORE_SEG_HDR_SZ && end + size > st->cfg.segment_bytes) {
    /* roll over: the old segment complete, durable and applied first */
    if ((rc = gx_store_sync(st)) || (rc = gx_store_apply(st))) return rc;
    if (ftruncate(st->seg_fd, (off_t)st->durable_off) != 0 || fdatasync(st->seg_fd) != 0) {
      char p[PATH_MAX];
      gx_store_seg_path(st->dir, st->seg_index, p, sizeof p);
      return gx_store_syserr(&st->err, "cannot finish segment", p);
    }
    st->log_bytes_before += st->durable_off;
    if ((rc = gx_store_new_segment(st, st->seg_index + 1, &st->err))) {
      st->failed = 1;
      return rc;
    }
  } else if (st->buf_len + size > st->buf_cap) {
    if ((rc = gx_store_sync(st)) || (rc = gx_store_apply(st))) return rc;
  }
  /* a full buffer was synced, applied and compacted (or a new segment begun)
   * above, and the record fits an empty one (size + GX_STORE_ALIGN <= buf_cap) */
  GX_ASSERT(st->buf_len + size <= st->buf_cap && st->group_start <= st->buf_len,
            "staging buffer over-filled: %zu + %" PRIu64 " bytes of %zu (group from %zu)", st->buf_len,
            size, st->buf_cap, st->group_start);
  gx_store_rec_encode(st->buf + st->buf_len, blk, st->group_seq);
  st->buf_len += size;
  st->last_height = blk->height;
  if (st->cfg.durability == GX_STORE_DURABLE_BLOCK) return gx_store_sync(st);
  return GX_STORE_OK;
}

const gx_store_error_t *gx_store_last_error(const gx_store_t *st) { return &st->err; }

uint64_t gx_store_durable_height(const gx_store_t *st) {
  return atomic_load(&((gx_store_t *)st)->durable_height);
}

uint64_t gx_store_applied_height(const gx_store_t *st) {
  return atomic_load(&((gx_store_t *)st)->applied_height);
}

/* ---------- recovery ---------- */

typedef struct {
  gx_store_t *st;
  MDB_txn *txn;
  uint64_t seg, n, last_height, end;
  int rc;
} gx_store_apply_ctx_t;

static int gx_store_apply_cb(void *vctx, const gx_store_rec_t *rec, uint64_t off) {
  gx_store_apply_ctx_t *c = vctx;
  gx_store_t *st = c->st;
  if (!c->txn && (c->rc = mdb_txn_begin(st->env, NULL, 0, &c->txn))) return 1;
  if ((c->rc = gx_store_apply_record(st, c->txn, rec, c->seg, off))) return 1;
  c->last_height = rec->height;
  c->end = off + rec->rec_len;
  c->n++;
  if (c->n % GX_STORE_APPLY_BATCH == 0) {
    gx_store_mark_t m = {c->last_height, c->seg, c->end};
    if ((c->rc = gx_store_put_mark(st, c->txn, &m))) return 1;
    c->rc = mdb_txn_commit(c->txn);
    c->txn = NULL;
    if (c->rc) return 1;
  }
  return 0;
}

static gx_store_err_t gx_store_apply_commit(gx_store_apply_ctx_t *c, gx_store_error_t *err,
                                            const char *where) {
  if (c->rc) {
    if (c->txn) mdb_txn_abort(c->txn);
    c->txn = NULL;
    return gx_store_lmdberr(err, "cannot re-apply blocks to", c->rc, where);
  }
  if (!c->txn) return GX_STORE_OK;
  gx_store_mark_t m = {c->last_height, c->seg, c->end};
  int rc = gx_store_put_mark(c->st, c->txn, &m);
  if (!rc) rc = mdb_txn_commit(c->txn);
  else mdb_txn_abort(c->txn);
  c->txn = NULL;
  if (rc) return gx_store_lmdberr(err, "cannot re-apply blocks to", rc, where);
  return GX_STORE_OK;
}

/* Open-time recovery from the applied mark: checks the mark against the log,
 * decides torn tail vs corruption, truncates, re-applies, and sets up the tail. */
static gx_store_err_t gx_store_recover(gx_store_t *st, gx_store_error_t *err) {
  char p[PATH_MAX], idx[PATH_MAX];
  snprintf(idx, sizeof idx, "%s/index", st->dir);
  gx_store_err_t rc;
  uint64_t nseg;
  if ((rc = gx_store_list_segments(st->dir, &nseg, err))) return rc;
  MDB_txn *txn;
  gx_store_mark_t mark;
  int mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
  if (!mrc) {
    mrc = gx_store_get_mark(st, txn, &mark);
    mdb_txn_abort(txn);
  }
  if (mrc) return gx_store_lmdberr(err, "cannot read the applied mark in", mrc, idx);
  atomic_store(&st->durable_height, mark.height);
  atomic_store(&st->applied_height, mark.height);
  st->last_height = mark.height;
  if (nseg == 1 && mark.height == 0 && st->index_existed && !st->cfg.read_only) {
    /* A crash while the very first segment was being created leaves a short
     * file with a torn header (its header is synced before any record). */
    gx_store_seg_hdr_t h0;
    uint64_t size0 = 0;
    gx_store_error_t ignore;
    gx_store_seg_path(st->dir, 0, p, sizeof p);
    struct stat sb0;
    uint8_t head[8] = {0};
    int fd0 = open(p, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd0 >= 0 ? pread(fd0, head, sizeof head, 0) : -1;
    if (fd0 >= 0) close(fd0);
    static const uint8_t zero8[8];
    int ours = got <= 0 || !memcmp(head, GX_STORE_SEG_MAGIC, (size_t)got) ||
               !memcmp(head, zero8, (size_t)got); /* empty, or our header's start, or unwritten */
    if (stat(p, &sb0) == 0 && (uint64_t)sb0.st_size <= GX_STORE_SEG_HDR_SZ && ours &&
        gx_store_check_seg_hdr(st->dir, 0, &h0, &size0, &ignore) == GX_STORE_ECORRUPT) {
      if (unlink(p) != 0) return gx_store_syserr(err, "cannot remove torn segment", p);
      st->truncated += (uint64_t)sb0.st_size;
      st->torn_tail = 1;
      nseg = 0;
    }
  }
  if (nseg == 0) {
    if (mark.height != 0)
      return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, st->dir, 0,
                             "index says %" PRIu64 " blocks are stored but %s/log has no segments",
                             mark.height, st->dir);
    if (st->cfg.read_only) return GX_STORE_OK;
    return gx_store_new_segment(st, 0, err);
  }
  if (mark.seg >= nseg) {
    gx_store_seg_path(st->dir, mark.seg, p, sizeof p);
    return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, mark.off,
                           "index reaches %s offset %" PRIu64 " but that segment is missing", p,
                           mark.off);
  }
  /* Headers of every segment up to the mark must be intact. */
  uint64_t size = 0, sizes_before = 0;
  gx_store_seg_hdr_t h;
  for (uint64_t i = 0; i <= mark.seg; i++) {
    if ((rc = gx_store_check_seg_hdr(st->dir, i, &h, &size, err))) return rc;
    if (i < mark.seg) sizes_before += size;
  }
  gx_store_seg_path(st->dir, mark.seg, p, sizeof p);
  if (size < mark.off)
    return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, size,
                           "%s is %" PRIu64 " bytes but the index reaches offset %" PRIu64
                           ": durable blocks are missing from the log",
                           p, size, mark.off);
  if (st->cfg.read_only) {
    st->seg_index = mark.seg;
    st->seg_count = nseg;
    st->durable_off = mark.off;
    st->log_bytes_before = sizes_before;
    return GX_STORE_OK;
  }
  /* The record that ends at the mark must still be there. */
  if (mark.height > 0) {
    gx_store_loc_t loc;
    if (gx_store_locate(st, mark.height, &loc) != GX_STORE_OK || loc.segment != mark.seg ||
        loc.offset + loc.rec_len != mark.off)
      return gx_store_seterr(err, GX_STORE_ECORRUPT, 0, idx, 0,
                             "index of height %" PRIu64 " disagrees with the applied mark", mark.height);
  }
  size_t cap = st->buf_cap + GX_STORE_SEG_HDR_SZ; /* no record is larger */
  gx_store_reader_t r = {.fd = -1};
  int have_prev = 0;     /* group of the last good record before the scan point */
  uint32_t prev_group = 0;
  r.buf = malloc(cap);
  r.cap = cap;
  if (!r.buf) return gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "out of memory for recovery");
  if (mark.height > 0) {
    gx_store_loc_t loc;
    gx_store_locate(st, mark.height, &loc);
    r.fd = open(p, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0) { rc = gx_store_syserr(err, "cannot open segment", p); goto out; }
    r.size = size;
    gx_store_scan_t s;
    gx_store_scan(&st->cfg, &r, loc.offset, mark.height, NULL, NULL, &s);
    have_prev = s.have_group && s.end >= mark.off;
    prev_group = s.last_group;
    if (s.end < mark.off) {
      rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, loc.offset,
                           "last applied record (height %" PRIu64 ") in %s at offset %" PRIu64
                           " is bad: %s",
                           mark.height, p, loc.offset, gx_store_scan_reason(&s));
      goto out;
    }
    close(r.fd);
    r.fd = -1;
    r.buf_len = 0;
  }
  /* Scan forward from the mark, segment by segment. */
  uint64_t seg = mark.seg, off = mark.off, want = mark.height + 1;
  for (;;) {
    gx_store_seg_path(st->dir, seg, p, sizeof p);
    r.fd = open(p, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (r.fd < 0 || fstat(r.fd, &sb) != 0) { rc = gx_store_syserr(err, "cannot open segment", p); goto out; }
    r.size = (uint64_t)sb.st_size;
    r.buf_len = 0;
    gx_store_scan_t s;
    gx_store_scan(&st->cfg, &r, off, want, NULL, NULL, &s);
    int later_valid = 0;
    for (uint64_t j = seg + 1; j < nseg && !later_valid; j++) {
      gx_store_seg_hdr_t hj;
      gx_store_error_t ignore;
      if (gx_store_check_seg_hdr(st->dir, j, &hj, NULL, &ignore) == GX_STORE_OK) later_valid = 1;
    }
    int clean_end = s.status == GX_STORE_REC_OK;
    /* Zero padding after the last record (O_DIRECT) is a clean end too. */
    if (!clean_end && s.status == GX_STORE_REC_BAD_MAGIC && !s.wrong_height) {
      int zeros = 1;
      size_t avail;
      for (uint64_t o = s.end; o < r.size && zeros;) {
        const uint8_t *q = gx_store_reader_get(&r, o, r.cap, &avail);
        if (!q) break;
        for (size_t i = 0; i < avail; i++) if (q[i]) { zeros = 0; break; }
        o += avail;
      }
      clean_end = zeros;
    }
    if (s.have_group) {
      have_prev = 1;
      prev_group = s.last_group;
    }
    if (!clean_end) {
      /* A bad record: the torn last group (written, not yet synced, when the
       * power went), or corruption of synced data? Only the last group can
       * be torn: a group is written after the one before it is synced. So it
       * is corruption when a good record header of another group follows it
       * (or a later segment exists), or a CRC-valid record has the wrong
       * height or body hash. */
      int corrupt = later_valid || s.wrong_height || s.wrong_hash || s.too_big || s.io_error;
      if (!corrupt) {
        uint32_t b;
        int mixed;
        uint64_t n = gx_store_groups_after(&r, s.end + 1, &b, &mixed);
        if (n > 0) {
          if (mixed) corrupt = 1;
          else if (s.bad_hdr_ok) corrupt = s.bad_group != b;
          else if (have_prev) corrupt = !(prev_group == b || (uint32_t)(prev_group + 1) == b);
        }
      }
      if (corrupt) {
        rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, s.end,
                             "corrupt log: %s at %s offset %" PRIu64
                             " (height %" PRIu64 "); run `galaxyctl db --dir %s repair` to cut the log there",
                             gx_store_scan_reason(&s), p, s.end, s.next_height, st->dir);
        goto out;
      }
    }
    if (s.end < r.size) st->truncated += r.size - s.end;
    if (!clean_end) st->torn_tail = 1;
    /* Re-apply what is there (after making it durable). */
    if (s.next_height > want) {
      int wfd = open(p, O_WRONLY | O_CLOEXEC);
      if (wfd < 0 || fdatasync(wfd) != 0) {
        rc = gx_store_syserr(err, "cannot sync segment", p);
        if (wfd >= 0) close(wfd);
        goto out;
      }
      close(wfd);
      gx_store_apply_ctx_t c = {.st = st, .seg = seg};
      r.buf_len = 0;
      gx_store_scan_t s2;
      gx_store_scan(&st->cfg, &r, off, want, gx_store_apply_cb, &c, &s2);
      if ((rc = gx_store_apply_commit(&c, err, idx))) goto out;
      st->recovered += c.n;
      st->last_height = c.last_height;
      atomic_store(&st->durable_height, c.last_height);
    }
    if (s.end < r.size || !clean_end) {
      /* cut the torn tail and drop any later (torn, headerless) segments */
      int wfd = open(p, O_WRONLY | O_CLOEXEC);
      if (wfd < 0 || ftruncate(wfd, (off_t)s.end) != 0 || fdatasync(wfd) != 0) {
        rc = gx_store_syserr(err, "cannot truncate torn tail of", p);
        if (wfd >= 0) close(wfd);
        goto out;
      }
      close(wfd);
    }
    close(r.fd);
    r.fd = -1;
    want = s.next_height;
    if (!clean_end || seg + 1 >= nseg || !later_valid) {
      for (uint64_t j = nseg; j-- > seg + 1;) {
        char q[PATH_MAX];
        gx_store_seg_path(st->dir, j, q, sizeof q);
        struct stat qb;
        if (stat(q, &qb) == 0) st->truncated += (uint64_t)qb.st_size;
        if (unlink(q) != 0) { rc = gx_store_syserr(err, "cannot remove torn segment", q); goto out; }
      }
      if (nseg > seg + 1) {
        char logdir[PATH_MAX];
        snprintf(logdir, sizeof logdir, "%s/log", st->dir);
        gx_store_fsync_dir(logdir);
      }
      st->seg_index = seg;
      st->seg_count = seg + 1;
      st->durable_off = s.end;
      break;
    }
    /* next segment: its header was checked valid above; its first height must follow */
    gx_store_seg_hdr_t hn;
    if ((rc = gx_store_check_seg_hdr(st->dir, seg + 1, &hn, NULL, err))) goto out;
    if (hn.first_height != want) {
      gx_store_seg_path(st->dir, seg + 1, p, sizeof p);
      rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                           "segment %s starts at height %" PRIu64 ", expected %" PRIu64, p,
                           hn.first_height, want);
      goto out;
    }
    sizes_before += s.end;
    seg++;
    off = GX_STORE_SEG_HDR_SZ;
  }
  st->log_bytes_before = sizes_before;
  st->group_seq = have_prev ? prev_group + 1 : 0;
  atomic_store(&st->applied_height, atomic_load(&st->durable_height));
  st->last_apply_ns = gx_store_now_ns();
  /* Writer tail: reopen the last segment; keep its partial last block staged. */
  if ((rc = gx_store_open_seg_fd(st, st->seg_index, 0, err))) goto out;
  st->buf_base = st->durable_off - st->durable_off % st->align;
  st->buf_len = (size_t)(st->durable_off - st->buf_base);
  st->group_start = st->apply_start = st->buf_len;
  if (st->buf_len) {
    gx_store_seg_path(st->dir, st->seg_index, p, sizeof p);
    int rfd = open(p, O_RDONLY | O_CLOEXEC);
    if (rfd < 0 || gx_store_pread_all(rfd, st->buf, st->buf_len, st->buf_base) != 0) {
      rc = gx_store_syserr(err, "cannot read the log tail of", p);
      if (rfd >= 0) close(rfd);
      goto out;
    }
    close(rfd);
  }
  rc = GX_STORE_OK;
out:
  if (r.fd >= 0) close(r.fd);
  free(r.buf);
  return rc;
}

/* ---------- open / close ---------- */

static gx_store_err_t gx_store_lock(gx_store_t *st, gx_store_error_t *err) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/LOCK", st->dir);
  st->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (st->lock_fd < 0) {
    int e = errno;
    return gx_store_seterr(err, gx_store_errno_code(e), e, st->dir, 0,
                           "data directory %s is not writable: %s", st->dir, strerror(e));
  }
  if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0)
    return gx_store_seterr(err, GX_STORE_EBUSY, errno, p, 0,
                           "%s is locked by another process (galaxyd running?)", st->dir);
  return GX_STORE_OK;
}

static gx_store_err_t gx_store_setup_io(gx_store_t *st, gx_store_error_t *err) {
  int rc = io_uring_queue_init(st->cfg.uring_depth, &st->ring, 0);
  if (rc < 0)
    return gx_store_seterr(err, GX_STORE_EIO, -rc, NULL, 0, "io_uring setup failed: %s", strerror(-rc));
  st->ring_ok = 1;
  struct iovec iov = {st->buf, st->buf_cap + GX_STORE_ALIGN};
  st->registered = io_uring_register_buffers(&st->ring, &iov, 1) == 0;
  /* Probe O_DIRECT on the log directory. */
  st->direct = 0;
  st->align = 1;
  if (st->cfg.direct_io != 0) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/log/.direct-probe", st->dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
    int ok = fd >= 0 && pwrite(fd, st->buf, GX_STORE_ALIGN, 0) == (ssize_t)GX_STORE_ALIGN;
    if (fd >= 0) close(fd);
    unlink(p);
    if (ok) {
      st->direct = 1;
      st->align = GX_STORE_ALIGN;
    } else if (st->cfg.direct_io == 1) {
      return gx_store_seterr(err, GX_STORE_EINVAL, EINVAL, st->dir, 0,
                             "O_DIRECT writes are not supported under %s/log", st->dir);
    }
  }
  return GX_STORE_OK;
}

gx_store_err_t gx_store_open(const gx_store_cfg_t *cfg, gx_store_t **out, gx_store_error_t *err) {
  gx_store_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  *out = NULL;
  if (!cfg || !cfg->dir || !cfg->dir[0])
    return gx_store_seterr(err, GX_STORE_EINVAL, 0, NULL, 0, "no data directory configured");
  if (strlen(cfg->dir) >= sizeof ((gx_store_t *)0)->dir)
    return gx_store_seterr(err, GX_STORE_EINVAL, 0, NULL, 0, "data directory path too long");
  if (cfg->segment_bytes < 2 * GX_STORE_SEG_HDR_SZ || cfg->write_buffer_bytes < (1u << 16) ||
      cfg->write_buffer_bytes > (1u << 30) || cfg->uring_depth < 2 || cfg->uring_depth > 4096 ||
      (unsigned)cfg->durability > GX_STORE_DURABLE_NONE || cfg->lmdb_map_bytes < (1u << 20) ||
      cfg->max_readers == 0)
    return gx_store_seterr(err, GX_STORE_EINVAL, 0, NULL, 0,
                           "bad storage configuration (segment_bytes >= 8192, write_buffer_bytes "
                           "64 KiB..1 GiB, uring_depth 2..4096, lmdb_map_bytes >= 1 MiB)");
  gx_store_t *st = calloc(1, sizeof *st);
  if (!st) return gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "out of memory");
  st->cfg = *cfg;
  snprintf(st->dir, sizeof st->dir, "%s", cfg->dir);
  st->cfg.dir = st->dir;
  st->lock_fd = -1;
  st->seg_fd = -1;
  st->align = 1;
  gx_store_err_t rc;
  struct stat sb;
  if (cfg->read_only) {
    if (stat(st->dir, &sb) != 0) {
      int e = errno;
      rc = gx_store_seterr(err, e == ENOENT ? GX_STORE_ENOTFOUND : gx_store_errno_code(e), e,
                           st->dir, 0, "cannot open data directory %s: %s", st->dir, strerror(e));
      goto fail;
    }
  } else {
    char logdir[PATH_MAX];
    snprintf(logdir, sizeof logdir, "%s/log", st->dir);
    if (mkdir(st->dir, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      rc = gx_store_seterr(err, gx_store_errno_code(e), e, st->dir, 0,
                           "cannot create data directory %s: %s", st->dir, strerror(e));
      goto fail;
    }
    if (mkdir(logdir, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      rc = gx_store_seterr(err, gx_store_errno_code(e), e, st->dir, 0,
                           "data directory %s is not writable: %s", st->dir, strerror(e));
      goto fail;
    }
    if (stat(st->dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      rc = gx_store_seterr(err, GX_STORE_EINVAL, ENOTDIR, st->dir, 0, "%s is not a directory", st->dir);
      goto fail;
    }
    if ((rc = gx_store_lock(st, err))) goto fail;
    st->buf_cap = (cfg->write_buffer_bytes + GX_STORE_ALIGN - 1) / GX_STORE_ALIGN * GX_STORE_ALIGN;
    if (posix_memalign((void **)&st->buf, GX_STORE_ALIGN, st->buf_cap + GX_STORE_ALIGN) != 0) {
      rc = gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "cannot allocate %zu-byte write buffer",
                           st->buf_cap);
      goto fail;
    }
    memset(st->buf, 0, st->buf_cap + GX_STORE_ALIGN);
    st->kv_cap = st->buf_cap / 64 < (1u << 18) ? st->buf_cap / 64 : (1u << 18);
    st->kv = calloc(st->kv_cap, sizeof(gx_store_kv_t));
    if (!st->kv) {
      rc = gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "cannot allocate the apply batch");
      goto fail;
    }
    if ((rc = gx_store_setup_io(st, err))) goto fail;
  }
  if ((rc = gx_store_open_lmdb(st, err))) goto fail;
  if ((rc = gx_store_recover(st, err))) goto fail;
  st->last_apply_ns = gx_store_now_ns();
  if (!cfg->read_only) {
    st->cert_pend = calloc(GX_STORE_CERT_PENDING, sizeof *st->cert_pend);
    st->cert_flush = calloc(GX_STORE_CERT_PENDING, sizeof *st->cert_flush);
    if (!st->cert_pend || !st->cert_flush) {
      rc = gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "cannot allocate the certificate queue");
      goto fail;
    }
    pthread_mutex_init(&st->cmu, NULL);
    pthread_mutex_init(&st->amu, NULL);
    pthread_cond_init(&st->acv, NULL);
    if (pthread_create(&st->applier, NULL, gx_store_applier_main, st) != 0) {
      pthread_mutex_destroy(&st->amu);
      pthread_cond_destroy(&st->acv);
      rc = gx_store_seterr(err, GX_STORE_EIO, EAGAIN, NULL, 0, "cannot start the LMDB applier thread");
      goto fail;
    }
    st->applier_started = 1;
  }
  *out = st;
  return GX_STORE_OK;
fail:
  st->failed = 1;
  gx_store_close(st);
  return rc;
}

gx_store_err_t gx_store_close(gx_store_t *st) {
  if (!st) return GX_STORE_OK;
  gx_store_err_t rc = GX_STORE_OK;
  if (!st->failed && !st->cfg.read_only && st->seg_fd >= 0) {
    rc = gx_store_sync(st);
    if (rc == GX_STORE_OK) rc = gx_store_apply(st);
    /* trim O_DIRECT padding so every byte of the file is covered by a CRC */
    if (rc == GX_STORE_OK && ftruncate(st->seg_fd, (off_t)st->durable_off) != 0) rc = GX_STORE_EIO;
    if (rc == GX_STORE_OK && st->cfg.durability != GX_STORE_DURABLE_NONE &&
        fdatasync(st->seg_fd) != 0)
      rc = GX_STORE_EIO;
  }
  if (st->applier_started) {
    pthread_mutex_lock(&st->amu);
    while (st->a_busy) pthread_cond_wait(&st->acv, &st->amu);
    st->a_stop = 1;
    pthread_cond_signal(&st->acv);
    pthread_mutex_unlock(&st->amu);
    pthread_join(st->applier, NULL);
    pthread_mutex_destroy(&st->amu);
    pthread_cond_destroy(&st->acv);
    st->applier_started = 0;
  }
  if (st->env && st->cert_pend && !st->failed && st->n_cert_pend) { /* certificates after the last apply */
    MDB_txn *txn;
    if (mdb_txn_begin(st->env, NULL, 0, &txn) == 0) {
      if (gx_store_flush_certs(st, txn) == 0) mdb_txn_commit(txn);
      else mdb_txn_abort(txn);
    }
  }
  if (st->cert_pend) pthread_mutex_destroy(&st->cmu);
  if (st->env) {
    if (!st->cfg.read_only && !st->failed) mdb_env_sync(st->env, 1);
    mdb_env_close(st->env);
  }
  if (st->seg_fd >= 0) close(st->seg_fd);
  if (st->ring_ok) io_uring_queue_exit(&st->ring);
  if (st->lock_fd >= 0) close(st->lock_fd);
  free(st->buf);
  free(st->kv);
  free(st->cert_pend);
  free(st->cert_flush);
  free(st);
  return rc;
}

/* ---------- readers ---------- */

const char *gx_store_io_name(const gx_store_info_t *in) {
  if (in->direct_io) return in->registered_buffers ? "O_DIRECT writes, io_uring fixed buffers"
                                                   : "O_DIRECT writes, io_uring";
  return in->registered_buffers ? "buffered writes, io_uring fixed buffers" : "buffered writes, io_uring";
}

void gx_store_info(gx_store_t *st, gx_store_info_t *out) {
  memset(out, 0, sizeof *out);
  out->direct_io = st->direct;
  out->registered_buffers = st->registered;
  out->durability = st->cfg.durability;
  out->durable_height = gx_store_durable_height(st);
  out->applied_height = gx_store_applied_height(st);
  out->last_height = st->cfg.read_only ? out->durable_height : st->last_height;
  out->segment_count = st->seg_count;
  out->tail_segment = st->seg_index;
  out->tail_offset = st->durable_off;
  out->log_bytes = st->log_bytes_before + st->durable_off;
  out->recovered_blocks = st->recovered;
  out->truncated_bytes = st->truncated;
  out->torn_tail = st->torn_tail;
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn) == 0) {
    MDB_stat ms;
    if (mdb_stat(txn, st->db_acct, &ms) == 0) out->accounts = ms.ms_entries;
    if (mdb_stat(txn, st->db_tx, &ms) == 0) out->txs = ms.ms_entries;
    mdb_txn_abort(txn);
  }
}

static gx_store_err_t gx_store_lmdb_code(int rc) {
  if (rc == MDB_NOTFOUND) return GX_STORE_ENOTFOUND;
  if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND) return GX_STORE_ECORRUPT;
  return GX_STORE_ELMDB;
}

static gx_store_err_t gx_store_locate_txn(gx_store_t *st, MDB_txn *txn, uint64_t height,
                                          gx_store_loc_t *out) {
  uint8_t hk[8];
  gx_store_be64(hk, height);
  MDB_val k = {8, hk}, v;
  int rc = mdb_get(txn, st->db_height, &k, &v);
  if (rc) return gx_store_lmdb_code(rc);
  if (v.mv_size != 56) return GX_STORE_ECORRUPT;
  const uint8_t *p = v.mv_data;
  out->height = height;
  out->segment = gx_ld64(p);
  out->offset = gx_ld64(p + 8);
  out->rec_len = gx_ld32(p + 16);
  memcpy(out->hash.b, p + 24, 32);
  return GX_STORE_OK;
}

gx_store_err_t gx_store_locate(gx_store_t *st, uint64_t height, gx_store_loc_t *out) {
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  gx_store_err_t rc = gx_store_locate_txn(st, txn, height, out);
  mdb_txn_abort(txn);
  return rc;
}

gx_store_err_t gx_store_record_size(gx_store_t *st, uint64_t height, uint32_t *rec_len) {
  gx_store_loc_t loc;
  gx_store_err_t rc = gx_store_locate(st, height, &loc);
  if (rc == GX_STORE_OK) *rec_len = loc.rec_len;
  return rc;
}

static gx_store_err_t gx_store_read_loc(gx_store_t *st, const gx_store_loc_t *loc, uint8_t *buf,
                                        size_t cap, gx_store_rec_t *rec) {
  if (cap < loc->rec_len) return GX_STORE_ESMALL;
  char p[PATH_MAX];
  gx_store_seg_path(st->dir, loc->segment, p, sizeof p);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? GX_STORE_ECORRUPT : gx_store_errno_code(errno);
  int r = gx_store_pread_all(fd, buf, loc->rec_len, loc->offset);
  int e = errno;
  close(fd);
  if (r != 0) return e == EIO ? GX_STORE_ECORRUPT : gx_store_errno_code(e);
  if (gx_store_rec_decode(buf, loc->rec_len, rec) != GX_STORE_REC_OK || rec->height != loc->height ||
      rec->rec_len != loc->rec_len || !gx_hash_eq(&rec->hash, &loc->hash))
    return GX_STORE_ECORRUPT;
  return GX_STORE_OK;
}

gx_store_err_t gx_store_get(gx_store_t *st, uint64_t height, uint8_t *buf, size_t cap,
                            gx_store_rec_t *rec) {
  if (!st || !buf || !rec) return GX_STORE_EINVAL;
  gx_store_loc_t loc;
  gx_store_err_t rc = gx_store_locate(st, height, &loc);
  if (rc) return rc;
  return gx_store_read_loc(st, &loc, buf, cap, rec);
}

gx_store_err_t gx_store_height_of(gx_store_t *st, const gx_hash_t *hash, uint64_t *height) {
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  MDB_val k = {32, (void *)hash->b}, v;
  int rc = mdb_get(txn, st->db_hash, &k, &v);
  gx_store_err_t out = GX_STORE_OK;
  if (rc) out = gx_store_lmdb_code(rc);
  else if (v.mv_size != 8) out = GX_STORE_ECORRUPT;
  else *height = gx_ld64(v.mv_data);
  mdb_txn_abort(txn);
  return out;
}

gx_store_err_t gx_store_get_by_hash(gx_store_t *st, const gx_hash_t *hash, uint8_t *buf,
                                    size_t cap, gx_store_rec_t *rec) {
  uint64_t h;
  gx_store_err_t rc = gx_store_height_of(st, hash, &h);
  if (rc) return rc;
  return gx_store_get(st, h, buf, cap, rec);
}

gx_store_err_t gx_store_find_tx(gx_store_t *st, const gx_hash_t *tx, uint64_t *height,
                                uint32_t *index) {
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  MDB_val k = {32, (void *)tx->b}, v;
  int rc = mdb_get(txn, st->db_tx, &k, &v);
  gx_store_err_t out = GX_STORE_OK;
  if (rc) out = gx_store_lmdb_code(rc);
  else if (v.mv_size != 12) out = GX_STORE_ECORRUPT;
  else {
    *height = gx_ld64(v.mv_data);
    *index = gx_ld32((uint8_t *)v.mv_data + 8);
  }
  mdb_txn_abort(txn);
  return out;
}

static void gx_store_decode_account(const uint8_t *p, gx_store_account_t *a) {
  a->balance = gx_ld64(p);
  a->seq = gx_ld64(p + 8);
  memcpy(a->head.b, p + 16, 32);
}

gx_store_err_t gx_store_account(gx_store_t *st, const uint8_t key[32], gx_store_account_t *out) {
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  MDB_val k = {32, (void *)key}, v;
  int rc = mdb_get(txn, st->db_acct, &k, &v);
  gx_store_err_t r = GX_STORE_OK;
  if (rc) r = gx_store_lmdb_code(rc);
  else if (v.mv_size != 48) r = GX_STORE_ECORRUPT;
  else gx_store_decode_account(v.mv_data, out);
  mdb_txn_abort(txn);
  return r;
}

gx_store_err_t gx_store_put_cert(gx_store_t *st, uint64_t height, const uint8_t *cert, size_t len) {
  if (st->cfg.read_only || !st->db_cert || height == 0 || len == 0 || len > GX_STORE_MAX_CERT)
    return GX_STORE_EINVAL;
  if (st->cert_pend) { /* queue it for the applier: never wait on its transaction here */
    pthread_mutex_lock(&st->cmu);
    unsigned i = 0;
    while (i < st->n_cert_pend && st->cert_pend[i].height != height) i++;
    int queued = i < GX_STORE_CERT_PENDING;
    if (queued) {
      st->cert_pend[i].height = height;
      st->cert_pend[i].len = (uint32_t)len;
      memcpy(st->cert_pend[i].bytes, cert, len);
      if (i == st->n_cert_pend) st->n_cert_pend++;
    }
    pthread_mutex_unlock(&st->cmu);
    if (queued) return GX_STORE_OK;
  }
  uint8_t key[8]; /* queue full: write it now */
  for (int i = 0; i < 8; i++) key[i] = (uint8_t)(height >> (56 - 8 * i)); /* big endian: ordered */
  MDB_txn *txn;
  int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
  if (rc) return gx_store_lmdb_code(rc);
  MDB_val k = {8, key}, v = {len, (void *)cert};
  rc = mdb_put(txn, st->db_cert, &k, &v, 0);
  if (rc) {
    mdb_txn_abort(txn);
    return gx_store_lmdb_code(rc);
  }
  rc = mdb_txn_commit(txn);
  return rc ? gx_store_lmdb_code(rc) : GX_STORE_OK;
}

gx_store_err_t gx_store_get_cert(gx_store_t *st, uint64_t height, uint8_t *out, size_t cap,
                                 size_t *len) {
  if (!st->db_cert) return GX_STORE_ENOTFOUND;
  if (st->cert_pend) { /* queued, not yet in LMDB */
    gx_store_err_t r = GX_STORE_ENOTFOUND;
    pthread_mutex_lock(&st->cmu);
    for (unsigned i = 0; i < st->n_cert_pend; i++)
      if (st->cert_pend[i].height == height) {
        if (st->cert_pend[i].len > cap) {
          r = GX_STORE_ESMALL;
        } else {
          memcpy(out, st->cert_pend[i].bytes, st->cert_pend[i].len);
          *len = st->cert_pend[i].len;
          r = GX_STORE_OK;
        }
        break;
      }
    pthread_mutex_unlock(&st->cmu);
    if (r != GX_STORE_ENOTFOUND) return r;
  }
  uint8_t key[8];
  for (int i = 0; i < 8; i++) key[i] = (uint8_t)(height >> (56 - 8 * i));
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  MDB_val k = {8, key}, v;
  int rc = mdb_get(txn, st->db_cert, &k, &v);
  gx_store_err_t r = GX_STORE_OK;
  if (rc) r = gx_store_lmdb_code(rc);
  else if (v.mv_size > cap) r = GX_STORE_ESMALL;
  else {
    memcpy(out, v.mv_data, v.mv_size);
    *len = v.mv_size;
  }
  mdb_txn_abort(txn);
  return r;
}

gx_store_err_t gx_store_aux_put(gx_store_t *st, const gx_store_aux_t *items, size_t n) {
  if (st->cfg.read_only) return GX_STORE_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (items[i].table >= GX_STORE_AUX__COUNT || !st->db_aux[items[i].table] || !items[i].key_len ||
        items[i].key_len > GX_STORE_AUX_KEY_MAX || !items[i].len)
      return GX_STORE_EINVAL;
  MDB_txn *txn;
  int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
  if (rc) return gx_store_lmdb_code(rc);
  for (size_t i = 0; i < n && !rc; i++) {
    MDB_val k = {items[i].key_len, (void *)items[i].key}, v = {items[i].len, (void *)items[i].value};
    rc = mdb_put(txn, st->db_aux[items[i].table], &k, &v, 0);
  }
  if (rc) {
    mdb_txn_abort(txn);
    return gx_store_lmdb_code(rc);
  }
  rc = mdb_txn_commit(txn);
  return rc ? gx_store_lmdb_code(rc) : GX_STORE_OK;
}

gx_store_err_t gx_store_aux_get(gx_store_t *st, gx_store_aux_table_t table, const void *key,
                                size_t key_len, uint8_t *out, size_t cap, size_t *len) {
  if (table >= GX_STORE_AUX__COUNT || !key_len || key_len > GX_STORE_AUX_KEY_MAX) return GX_STORE_EINVAL;
  if (!st->db_aux[table]) return GX_STORE_ENOTFOUND;
  MDB_txn *txn;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  MDB_val k = {key_len, (void *)key}, v;
  int rc = mdb_get(txn, st->db_aux[table], &k, &v);
  gx_store_err_t r = GX_STORE_OK;
  if (rc) r = gx_store_lmdb_code(rc);
  else {
    *len = v.mv_size;
    if (v.mv_size > cap) r = GX_STORE_ESMALL;
    else memcpy(out, v.mv_data, v.mv_size);
  }
  mdb_txn_abort(txn);
  return r;
}

gx_store_err_t gx_store_accounts(gx_store_t *st, gx_store_account_fn_t fn, void *ctx) {
  MDB_txn *txn;
  MDB_cursor *cur;
  if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) return GX_STORE_ELMDB;
  if (mdb_cursor_open(txn, st->db_acct, &cur)) {
    mdb_txn_abort(txn);
    return GX_STORE_ELMDB;
  }
  MDB_val k, v;
  gx_store_err_t r = GX_STORE_OK;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (rc == 0) {
    if (k.mv_size != 32 || v.mv_size != 48) { r = GX_STORE_ECORRUPT; break; }
    gx_store_account_t a;
    gx_store_decode_account(v.mv_data, &a);
    if (fn(ctx, k.mv_data, &a)) break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  if (rc && rc != MDB_NOTFOUND) r = gx_store_lmdb_code(rc);
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return r;
}

gx_store_err_t gx_store_range(gx_store_t *st, uint64_t from, uint64_t to, uint8_t *buf,
                              size_t cap, gx_store_range_fn_t fn, void *ctx) {
  if (!st || !buf || !fn || from == 0 || from > to) return GX_STORE_EINVAL;
  uint64_t top = gx_store_applied_height(st);
  if (to > top) to = top;
  for (uint64_t h = from; h <= to; h++) {
    gx_store_rec_t rec;
    gx_store_err_t rc = gx_store_get(st, h, buf, cap, &rec);
    if (rc) return rc;
    if (fn(ctx, &rec)) break;
  }
  return GX_STORE_OK;
}

/* ---------- verify and repair ---------- */

typedef struct {
  gx_store_t *st;
  MDB_txn *txn;
  uint64_t seg, bad_height, bad_off;
  int bad;
} gx_store_verify_ctx_t;

static int gx_store_verify_cb(void *vctx, const gx_store_rec_t *rec, uint64_t off) {
  gx_store_verify_ctx_t *c = vctx;
  if (!c->txn) return 0;
  gx_store_loc_t loc;
  gx_store_err_t rc = gx_store_locate_txn(c->st, c->txn, rec->height, &loc);
  if (rc == GX_STORE_ENOTFOUND) return 0; /* beyond the applied mark */
  uint64_t hh = 0;
  if (rc || loc.segment != c->seg || loc.offset != off || loc.rec_len != rec->rec_len ||
      !gx_hash_eq(&loc.hash, &rec->hash) ||
      gx_store_height_of(c->st, &rec->hash, &hh) != GX_STORE_OK || hh != rec->height) {
    c->bad = 1;
    c->bad_height = rec->height;
    c->bad_off = off;
    return 1;
  }
  return 0;
}

/* Walks the whole log; stops at the first bad thing. end_seg, end_off: where a
 * repair would cut (the end of the last good record). */
static gx_store_err_t gx_store_walk(gx_store_t *st, const gx_store_cfg_t *cfg, MDB_txn *txn,
                                    uint64_t *end_seg, uint64_t *end_off, uint64_t *last_height,
                                    uint64_t applied_seg, uint64_t applied_off,
                                    gx_store_error_t *err) {
  uint64_t nseg;
  gx_store_err_t rc = gx_store_list_segments(cfg->dir, &nseg, err);
  if (rc) return rc;
  size_t cap = (size_t)cfg->write_buffer_bytes + GX_STORE_SEG_HDR_SZ; /* no record is larger */
  gx_store_reader_t r = {.fd = -1, .cap = cap};
  r.buf = malloc(cap);
  if (!r.buf) return gx_store_seterr(err, GX_STORE_EIO, ENOMEM, NULL, 0, "out of memory");
  uint64_t want = 1;
  *end_seg = 0;
  *end_off = GX_STORE_SEG_HDR_SZ;
  *last_height = 0;
  rc = GX_STORE_OK;
  for (uint64_t seg = 0; seg < nseg; seg++) {
    char p[PATH_MAX];
    gx_store_seg_path(cfg->dir, seg, p, sizeof p);
    gx_store_seg_hdr_t h;
    uint64_t size;
    if ((rc = gx_store_check_seg_hdr(cfg->dir, seg, &h, &size, err))) break;
    if (h.first_height != want) {
      rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, 0,
                           "segment %s starts at height %" PRIu64 ", expected %" PRIu64, p,
                           h.first_height, want);
      break;
    }
    r.fd = open(p, O_RDONLY | O_CLOEXEC);
    if (r.fd < 0) { rc = gx_store_syserr(err, "cannot open segment", p); break; }
    r.size = size;
    r.buf_len = 0;
    gx_store_verify_ctx_t c = {.st = st, .txn = txn, .seg = seg};
    gx_store_scan_t s;
    gx_store_scan(cfg, &r, GX_STORE_SEG_HDR_SZ, want, st ? gx_store_verify_cb : NULL, &c, &s);
    close(r.fd);
    r.fd = -1;
    if (c.bad) {
      rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, c.bad_off,
                           "index entry of height %" PRIu64 " does not match the log at %s offset %" PRIu64,
                           c.bad_height, p, c.bad_off);
      break;
    }
    *end_seg = seg;
    *end_off = s.end;
    *last_height = s.next_height - 1;
    want = s.next_height;
    if (s.status != GX_STORE_REC_OK) {
      /* zero padding or a torn tail beyond the applied mark is not corruption */
      int beyond = seg > applied_seg || (seg == applied_seg && s.end >= applied_off);
      if (!(beyond && seg + 1 == nseg && !s.wrong_height && !s.wrong_hash)) {
        rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, s.end,
                             "%s at %s offset %" PRIu64 " (height %" PRIu64 ")",
                             gx_store_scan_reason(&s), p, s.end, s.next_height);
      }
      break;
    }
  }
  free(r.buf);
  return rc;
}

gx_store_err_t gx_store_verify(gx_store_t *st, gx_store_error_t *err) {
  gx_store_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  if (!st) return gx_store_seterr(err, GX_STORE_EINVAL, 0, NULL, 0, "no store");
  MDB_txn *txn;
  int mrc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
  if (mrc) return gx_store_lmdberr(err, "cannot read", mrc, st->dir);
  gx_store_mark_t mark;
  if ((mrc = gx_store_get_mark(st, txn, &mark))) {
    mdb_txn_abort(txn);
    return gx_store_lmdberr(err, "cannot read the applied mark of", mrc, st->dir);
  }
  uint64_t es, eo, lh;
  gx_store_err_t rc = gx_store_walk(st, &st->cfg, txn, &es, &eo, &lh, mark.seg, mark.off, err);
  if (rc == GX_STORE_OK && lh < mark.height) {
    char p[PATH_MAX];
    gx_store_seg_path(st->dir, es, p, sizeof p);
    rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, p, eo,
                         "log ends at height %" PRIu64 " (%s offset %" PRIu64
                         ") but the index reaches height %" PRIu64,
                         lh, p, eo, mark.height);
  }
  if (rc == GX_STORE_OK) {
    MDB_stat ms;
    if (mdb_stat(txn, st->db_height, &ms) == 0 && ms.ms_entries != mark.height)
      rc = gx_store_seterr(err, GX_STORE_ECORRUPT, 0, st->dir, 0,
                           "height index has %zu entries, applied height is %" PRIu64,
                           (size_t)ms.ms_entries, mark.height);
  }
  mdb_txn_abort(txn);
  return rc;
}

gx_store_err_t gx_store_repair(const gx_store_cfg_t *cfg, uint64_t *kept, gx_store_error_t *err) {
  gx_store_error_t scratch;
  if (!err) err = &scratch;
  memset(err, 0, sizeof *err);
  *kept = 0;
  if (!cfg || !cfg->dir || cfg->read_only)
    return gx_store_seterr(err, GX_STORE_EINVAL, 0, NULL, 0, "repair needs a writable configuration");
  /* Lock the directory the way a writer does. */
  gx_store_t lk = {.lock_fd = -1};
  snprintf(lk.dir, sizeof lk.dir, "%s", cfg->dir);
  gx_store_err_t rc = gx_store_lock(&lk, err);
  if (rc) {
    if (lk.lock_fd >= 0) close(lk.lock_fd);
    return rc;
  }
  uint64_t es, eo, lh;
  gx_store_error_t found;
  memset(&found, 0, sizeof found);
  rc = gx_store_walk(NULL, cfg, NULL, &es, &eo, &lh, UINT64_MAX, UINT64_MAX, &found);
  if (rc != GX_STORE_OK && rc != GX_STORE_ECORRUPT) { /* EVERSION: never cut a foreign log */
    *err = found;
    close(lk.lock_fd);
    return rc;
  }
  uint64_t nseg = 0;
  gx_store_list_segments(cfg->dir, &nseg, err);
  if (rc == GX_STORE_ECORRUPT) {
    /* cut the log after the last good record, drop every later segment */
    char p[PATH_MAX];
    for (uint64_t j = nseg; j-- > es + 1;) {
      gx_store_seg_path(cfg->dir, j, p, sizeof p);
      if (unlink(p) != 0) {
        close(lk.lock_fd);
        return gx_store_syserr(err, "cannot remove segment", p);
      }
    }
    gx_store_seg_path(cfg->dir, es, p, sizeof p);
    gx_store_seg_hdr_t h;
    if (gx_store_check_seg_hdr(cfg->dir, es, &h, NULL, err) != GX_STORE_OK) {
      /* the first segment's header itself is bad: start an empty log */
      unlink(p);
    } else {
      int fd = open(p, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ftruncate(fd, (off_t)eo) != 0 || fdatasync(fd) != 0) {
        if (fd >= 0) close(fd);
        close(lk.lock_fd);
        return gx_store_syserr(err, "cannot truncate", p);
      }
      close(fd);
    }
    char logdir[PATH_MAX];
    snprintf(logdir, sizeof logdir, "%s/log", cfg->dir);
    gx_store_fsync_dir(logdir);
  }
  /* Rebuild every table from the log: clear them, then open re-applies all. */
  gx_store_t *st = calloc(1, sizeof *st);
  if (!st) { close(lk.lock_fd); return GX_STORE_EIO; }
  st->cfg = *cfg;
  snprintf(st->dir, sizeof st->dir, "%s", cfg->dir);
  st->cfg.dir = st->dir;
  st->lock_fd = st->seg_fd = -1;
  gx_store_err_t orc = gx_store_open_lmdb(st, err);
  if (orc == GX_STORE_ECORRUPT || orc == GX_STORE_EVERSION) {
    /* unreadable LMDB environment: start a new one, the log rebuilds it */
    char p[PATH_MAX];
    if (st->env) mdb_env_close(st->env);
    st->env = NULL;
    snprintf(p, sizeof p, "%s/index/data.mdb", cfg->dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/index/lock.mdb", cfg->dir);
    unlink(p);
    memset(err, 0, sizeof *err);
    orc = gx_store_open_lmdb(st, err);
  }
  if (orc == GX_STORE_OK) {
    MDB_txn *txn;
    int m = mdb_txn_begin(st->env, NULL, 0, &txn);
    MDB_dbi all[] = {st->db_height, st->db_hash, st->db_tx, st->db_acct};
    for (size_t i = 0; !m && i < GX_ARRAY_LEN(all); i++) m = mdb_drop(txn, all[i], 0);
    if (!m) {
      MDB_val k = {7, "applied"};
      m = mdb_del(txn, st->db_meta, &k, NULL);
      if (m == MDB_NOTFOUND) m = 0;
    }
    if (!m) m = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (m) orc = gx_store_lmdberr(err, "cannot clear tables of", m, cfg->dir);
  }
  st->failed = 1; /* nothing to flush */
  gx_store_close(st);
  close(lk.lock_fd);
  if (orc) return orc;
  gx_store_t *re;
  orc = gx_store_open(cfg, &re, err);
  if (orc) return orc;
  *kept = gx_store_durable_height(re);
  return gx_store_close(re);
}
