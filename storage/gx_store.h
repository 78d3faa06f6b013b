/* gx_store: the black-hole store. An append-only log of segment files written
 * through io_uring (the full history), plus an LMDB environment for everything
 * looked up by key (height, block hash, tx hash, account state) and the
 * recovery metadata. Layout, record format and recovery rules: docs/STORAGE.md.
 *
 *   gx_store_cfg_t cfg; gx_store_cfg_defaults(&cfg); cfg.dir = "/var/lib/galaxy";
 *   gx_store_t *st; gx_store_error_t err;
 *   if (gx_store_open(&cfg, &st, &err)) { log err.msg; exit }
 *   gx_store_append(st, &blk);   // queued (mode group) or durable (mode block)
 *   gx_store_sync(st);           // one fdatasync for the group: durable
 *   gx_store_close(st);
 *
 * Durability: a block is durable once gx_store_durable_height() >= its height:
 * its log record was fdatasync'ed (a crash after that loses nothing: recovery
 * re-applies the log). It becomes visible to readers (lookups, range, state)
 * once gx_store_applied_height() >= its height: its index and state entries
 * were committed to LMDB, always after the log record was durable. A sync
 * hands durable blocks to the store's applier thread at most every
 * cfg.apply_interval_ms (one LMDB commit, with its own fdatasync, for many
 * groups, while the writer goes on); mode `block` and apply_interval_ms 0
 * apply before the sync returns; gx_store_apply() and close wait for it.
 * Mode `none` never syncs (benchmarks only).
 *
 * Memory: gx_store_open allocates everything (the staging buffer of
 * cfg.write_buffer_bytes, io_uring rings, LMDB handles); the append path never
 * allocates. Readers pass their own buffers. The store keeps no pointer to the
 * caller's block after gx_store_append returns.
 *
 * Threads: one writer thread owns the handle and calls append, sync, apply,
 * close, info and last_error; a writable handle runs one internal applier
 * thread (LMDB write transactions), started by open and joined by close. gx_store_durable_height, gx_store_applied_height
 * and the readers (locate, record_size, get, get_by_hash, height_of, find_tx,
 * account, accounts, range, verify) may be called concurrently from any
 * thread: LMDB read transactions (MDB_NOTLS) and pread on segment files.
 * A read-only handle (cfg.read_only) takes no lock and does no recovery: it
 * may be opened while a writer process runs (galaxyctl db).
 *
 * Errors: gx_store_err_t codes; gx_store_strerror() names them. Open, verify
 * and repair fill a gx_store_error_t with the detail (file, offset, errno, one
 * line of text); the writer functions keep theirs in gx_store_last_error().
 * A failed LMDB apply on the applier thread is returned by the writer's next
 * sync, apply or append (and poisons the handle, see below).
 * After a log write fails (disk full) the unsynced group is dropped (its
 * blocks were never durable: append them again once there is room), the log
 * is cut back to the durable end and the store stays usable. After an LMDB
 * failure following a durable log write the handle is poisoned (GX_STORE_EFAILED):
 * reopen it, recovery re-applies the log. */
#ifndef GX_STORE_H
#define GX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/gx_store_rec.h"

typedef enum {
  GX_STORE_OK = 0,
  GX_STORE_EINVAL,    /* bad argument or configuration */
  GX_STORE_EHEIGHT,   /* appended height is not last height + 1 */
  GX_STORE_ETOOBIG,   /* block larger than the staging buffer or format limits */
  GX_STORE_ENOTFOUND, /* no such height / hash / tx / account */
  GX_STORE_ESMALL,    /* caller's buffer is too small (see the size out-parameter) */
  GX_STORE_EIO,       /* system call failed (errno in the detail) */
  GX_STORE_ENOSPC,    /* disk full, file size limit or LMDB map full */
  GX_STORE_EACCES,    /* data directory or files not readable / writable */
  GX_STORE_ECORRUPT,  /* bad record, segment or index: detail names file and offset */
  GX_STORE_EVERSION,  /* on-disk format or LMDB version this build does not read */
  GX_STORE_ELMDB,     /* other LMDB failure (message in the detail) */
  GX_STORE_EBUSY,     /* another process has the store open for writing */
  GX_STORE_EFAILED,   /* handle poisoned by an earlier failure: reopen */
  GX_STORE_ERR_COUNT
} gx_store_err_t;

const char *gx_store_strerror(gx_store_err_t e);

typedef struct {
  gx_store_err_t code;
  int sys_errno;     /* errno behind EIO/ENOSPC/EACCES, else 0 */
  char file[256];    /* file concerned ("" when none) */
  uint64_t offset;   /* byte offset in file (ECORRUPT) */
  char msg[512];     /* one line: what went wrong, where */
} gx_store_error_t;

typedef enum {
  GX_STORE_DURABLE_BLOCK = 0, /* each append is synced before it returns */
  GX_STORE_DURABLE_GROUP,     /* appends queue; gx_store_sync() makes the group durable */
  GX_STORE_DURABLE_NONE,      /* never fdatasync (benchmarks only) */
} gx_store_durability_t;

/* Parses "block", "group", "none"; -1 when unknown. */
int gx_store_parse_durability(const char *s);
const char *gx_store_durability_name(gx_store_durability_t d);

/* Verifies a block body on recovery: set *hash to the body's block hash
 * (return 0) or return -1 when the body is not a block. Optional. */
typedef int (*gx_store_hash_fn_t)(void *ctx, const uint8_t *body, uint32_t body_len,
                                  gx_hash_t *hash);

typedef struct {
  const char *dir;               /* data directory; created if missing */
  uint64_t segment_bytes;        /* roll to a new segment past this; default 1 GiB */
  gx_store_durability_t durability; /* default group */
  uint64_t lmdb_map_bytes;       /* LMDB map size; default 64 GiB (sparse) */
  uint32_t uring_depth;          /* io_uring entries; default 64 */
  uint32_t write_buffer_bytes;   /* staging buffer = largest unsynced group; default 64 MiB */
  int direct_io;                 /* -1 auto (default), 0 buffered, 1 O_DIRECT or fail */
  int read_only;                 /* inspect only: no lock, no recovery, no writes */
  uint32_t max_readers;          /* LMDB reader slots; default 126 */
  gx_store_hash_fn_t hash_fn;    /* body hash check during recovery and verify */
  void *hash_ctx;
  uint32_t apply_interval_ms;    /* hand blocks to the LMDB applier at most this often;
                                    default 10; 0 = apply within every sync */
} gx_store_cfg_t;

void gx_store_cfg_defaults(gx_store_cfg_t *cfg);

typedef struct gx_store gx_store_t;

/* What the store is doing, for the start-up log line and `galaxyctl db stat`. */
typedef struct {
  int direct_io;            /* 1: O_DIRECT writes, 0: buffered */
  int registered_buffers;   /* 1: io_uring fixed buffers */
  gx_store_durability_t durability;
  uint64_t last_height;     /* appended (writer's view) */
  uint64_t durable_height;  /* in the log, fdatasync'ed */
  uint64_t applied_height;  /* in LMDB: visible to readers */
  uint64_t segment_count;
  uint64_t log_bytes;       /* sum of segment sizes up to the durable end */
  uint64_t tail_segment, tail_offset; /* durable end of the log */
  uint64_t recovered_blocks;/* re-applied from the log at open */
  uint64_t truncated_bytes; /* bytes cut at open: torn tail and O_DIRECT zero padding */
  int torn_tail;            /* open found a torn last group (not just padding) and cut it */
  uint64_t accounts, txs;   /* LMDB entry counts */
} gx_store_info_t;

/* "O_DIRECT writes, io_uring fixed buffers", "buffered writes", ... for the
 * start-up log line. */
const char *gx_store_io_name(const gx_store_info_t *in);

gx_store_err_t gx_store_open(const gx_store_cfg_t *cfg, gx_store_t **out, gx_store_error_t *err);
/* Syncs what is queued (unless mode none), flushes LMDB, closes. NULL is fine. */
gx_store_err_t gx_store_close(gx_store_t *st);

/* Queues blk (height must be last + 1). Mode block: durable on return. */
gx_store_err_t gx_store_append(gx_store_t *st, const gx_store_block_t *blk);
/* Writes the queued group with one fdatasync (durable on return), then applies
 * durable blocks to LMDB if apply_interval_ms has passed (see above). */
gx_store_err_t gx_store_sync(gx_store_t *st);
/* Applies every durable block to LMDB now (one write transaction). */
gx_store_err_t gx_store_apply(gx_store_t *st);
const gx_store_error_t *gx_store_last_error(const gx_store_t *st);

uint64_t gx_store_durable_height(const gx_store_t *st);
uint64_t gx_store_applied_height(const gx_store_t *st);
void gx_store_info(gx_store_t *st, gx_store_info_t *out);

/* Where a block sits in the log. */
typedef struct {
  uint64_t height;
  gx_hash_t hash;
  uint64_t segment, offset;
  uint32_t rec_len;
} gx_store_loc_t;

gx_store_err_t gx_store_locate(gx_store_t *st, uint64_t height, gx_store_loc_t *out);
gx_store_err_t gx_store_height_of(gx_store_t *st, const gx_hash_t *hash, uint64_t *height);
/* Bytes gx_store_get needs for the record of height. */
gx_store_err_t gx_store_record_size(gx_store_t *st, uint64_t height, uint32_t *rec_len);
/* Reads and checks (CRC, height, hash) the record of height into buf[cap];
 * rec points into buf. ESMALL when cap < record size. ECORRUPT on a bad record. */
gx_store_err_t gx_store_get(gx_store_t *st, uint64_t height, uint8_t *buf, size_t cap,
                            gx_store_rec_t *rec);
gx_store_err_t gx_store_get_by_hash(gx_store_t *st, const gx_hash_t *hash, uint8_t *buf,
                                    size_t cap, gx_store_rec_t *rec);
/* Transaction lookup: the block height holding tx and its index in that block. */
gx_store_err_t gx_store_find_tx(gx_store_t *st, const gx_hash_t *tx, uint64_t *height,
                                uint32_t *index);
gx_store_err_t gx_store_account(gx_store_t *st, const uint8_t key[32], gx_store_account_t *out);
/* A black hole's certificate (opaque bytes, at most GX_STORE_MAX_CERT): kept in
 * the LMDB "cert" table. put never waits for LMDB: on a writable store it
 * queues the certificate (GX_STORE_CERT_PENDING slots; get sees it at once)
 * and the applier writes the queue in its next transaction (close writes what
 * is left); only with the queue full does put commit its own transaction. It
 * is made after its block is durable (signatures arrive later), so a crash may
 * lose certificates of the last blocks; peers still serve them for sync. Any
 * thread; put from one writer at a time. ENOTFOUND when absent. */
#define GX_STORE_MAX_CERT 8192
#define GX_STORE_CERT_PENDING 64
typedef struct {
  uint64_t height;
  uint32_t len;
  uint8_t bytes[GX_STORE_MAX_CERT];
} gx_store_cert_slot_t;
gx_store_err_t gx_store_put_cert(gx_store_t *st, uint64_t height, const uint8_t *cert, size_t len);
gx_store_err_t gx_store_get_cert(gx_store_t *st, uint64_t height, uint8_t *out, size_t cap,
                                 size_t *len);

/* Side tables of the hierarchy (docs/CLUSTERS.md "Wiring into galaxyd"),
 * written by the commit stage next to its black holes: "lsh", LSH blocks by
 * block id (32-byte key), and "fold", the clusters' folded chains after each
 * black hole (key: height, 8 bytes big endian). put writes all items in one
 * LMDB transaction (durable when it returns, as LMDB commits are); a later
 * put of a key replaces it. get copies the value into out[cap] and sets *len
 * (ESMALL with *len set when it does not fit; ENOTFOUND when absent). Any
 * thread; put from one writer at a time. */
typedef enum { GX_STORE_AUX_LSH = 0, GX_STORE_AUX_FOLD = 1, GX_STORE_AUX__COUNT } gx_store_aux_table_t;
#define GX_STORE_AUX_KEY_MAX 64
typedef struct {
  gx_store_aux_table_t table;
  const void *key;
  size_t key_len;
  const void *value;
  size_t len;
} gx_store_aux_t;
gx_store_err_t gx_store_aux_put(gx_store_t *st, const gx_store_aux_t *items, size_t n);
gx_store_err_t gx_store_aux_get(gx_store_t *st, gx_store_aux_table_t table, const void *key,
                                size_t key_len, uint8_t *out, size_t cap, size_t *len);

/* Calls fn for each applied (visible) height in [from, to] in order, reading each record
 * into buf[cap] (ESMALL when one does not fit). fn returns non-zero to stop. */
typedef int (*gx_store_range_fn_t)(void *ctx, const gx_store_rec_t *rec);
gx_store_err_t gx_store_range(gx_store_t *st, uint64_t from, uint64_t to, uint8_t *buf,
                              size_t cap, gx_store_range_fn_t fn, void *ctx);

/* Calls fn for every account (key order); fn returns non-zero to stop. */
typedef int (*gx_store_account_fn_t)(void *ctx, const uint8_t key[32], const gx_store_account_t *a);
gx_store_err_t gx_store_accounts(gx_store_t *st, gx_store_account_fn_t fn, void *ctx);

/* Full check: every segment header and record (CRC, heights, optional body hash)
 * and every height/hash index entry against the log. First problem in err. */
gx_store_err_t gx_store_verify(gx_store_t *st, gx_store_error_t *err);

/* Offline repair (no handle may be open): cuts the log at the first bad record
 * (or at the first one the index does not reach, never), deletes later segments,
 * and rebuilds every LMDB table from the log. *kept = height of the last block
 * kept. A store with nothing bad is left as it is (returns OK). */
gx_store_err_t gx_store_repair(const gx_store_cfg_t *cfg, uint64_t *kept, gx_store_error_t *err);

#endif
