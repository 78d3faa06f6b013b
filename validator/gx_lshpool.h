/* gx_lshpool: the LSH blocks a galaxy holds between receiving them and
 * folding them (docs/CLUSTERS.md "Fold"). Sans-I/O and deterministic.
 *
 *   gx_lshpool_cfg_t cfg; gx_lshpool_cfg_defaults(&cfg);
 *   void *mem = aligned_alloc(64, gx_lshpool_footprint(&cfg));
 *   gx_lshpool_t *p = gx_lshpool_new(mem, &cfg);
 *   gx_lshpool_add(p, fold, buf, len, &info);      // a rebuilt block arrives
 *   n = gx_lshpool_refs(p, fold, refs, max);       // what to propose
 *   gx_lshpool_get(p, &id, &buf, &len);            // for gx_fold_apply / a peer's fetch
 *   gx_lshpool_prune(p, fold);                     // after gx_fold_commit
 *
 * Add checks the block with gx_fold_check (certificate, root, height above
 * the folded chain) and copies it into a slot: nothing unchecked is held.
 * Bounds: cfg.slots blocks of at most cfg.max_block_bytes each, and at most
 * cfg.per_cluster blocks of one cluster (a cluster racing ahead cannot take
 * the others' room). When the pool or the cluster's quota is full, the block
 * furthest ahead of its cluster's folded height goes first (it is the last
 * one that could be folded); a block further ahead than every held one is
 * refused (`full`).
 *
 * Rejected blocks: a block whose fold verdict is final (gx_fold_verdict_final)
 * sits above its cluster's folded height, so prune never drops it, and its
 * refs would name it again every epoch (the hierarchy simulator shows it
 * stalling the cluster's rebuilt block at that height). gx_lshpool_reject
 * drops it and remembers its id among the last cfg.rejected_kept: later
 * copies are refused (`rejected_before`).
 *
 * Refs: for each cluster, the held blocks that form a chain from the folded
 * (height, id) upwards (height + 1 whose prev is the folded id, then its
 * child...), at most per_propose per cluster, in (cluster, height) order,
 * at most max in all. Two held blocks at one height (a cluster that signed
 * twice) are both kept; refs follow the one with the smaller id, the fold
 * records the conflict if both are agreed.
 *
 * Memory: gx_lshpool_footprint(cfg) bytes, 64-aligned, from the caller.
 * Threads: one owner thread (the galaxy's commit thread). Errors:
 * gx_lshpool_res_t for add; getters return -1 when absent. */
#ifndef GX_LSHPOOL_H
#define GX_LSHPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "validator/gx_fold.h"

#define GX_LSHPOOL_ALIGN 64

typedef struct {
  uint32_t slots;            /* blocks held at most (default 64) */
  size_t max_block_bytes;    /* largest block (default: gx_lsh_size at 2048 txs, 64 members) */
  uint32_t per_cluster;      /* blocks of one cluster at most (default 16) */
  uint32_t per_propose;      /* refs per cluster in one proposal (default 4) */
  uint32_t rejected_kept;    /* ids of rejected blocks remembered (default 1024) */
} gx_lshpool_cfg_t;
void gx_lshpool_cfg_defaults(gx_lshpool_cfg_t *cfg);

typedef enum {
  GX_LSHPOOL_ADDED = 0,   /* held (possibly after evicting a block further ahead) */
  GX_LSHPOOL_HELD,        /* the same block id is already held */
  GX_LSHPOOL_REJECTED,    /* gx_fold_check said no: info.verdict says why */
  GX_LSHPOOL_TOO_BIG,     /* larger than max_block_bytes */
  GX_LSHPOOL_FULL,        /* no room, and this block is the furthest ahead */
  GX_LSHPOOL_REJECTED_BEFORE, /* its id was given to gx_lshpool_reject */
  GX_LSHPOOL_RES__COUNT
} gx_lshpool_res_t;
const char *gx_lshpool_res_label(gx_lshpool_res_t r);

typedef struct gx_lshpool gx_lshpool_t;

size_t gx_lshpool_footprint(const gx_lshpool_cfg_t *cfg);
gx_lshpool_t *gx_lshpool_new(void *mem, const gx_lshpool_cfg_t *cfg);
void *gx_lshpool_delete(gx_lshpool_t *p);

gx_lshpool_res_t gx_lshpool_add(gx_lshpool_t *p, const gx_fold_t *fold, const uint8_t *buf,
                                size_t len, gx_fold_info_t *info);
uint32_t gx_lshpool_refs(const gx_lshpool_t *p, const gx_fold_t *fold, gx_fold_ref_t *refs,
                         uint32_t max);
int gx_lshpool_get(const gx_lshpool_t *p, const gx_hash_t *id, const uint8_t **buf, size_t *len);
/* Drops the block (if held) and refuses its id from now on (the last
 * rejected_kept ids). */
void gx_lshpool_reject(gx_lshpool_t *p, const gx_hash_t *id);
/* Drops every block at or below its cluster's folded height; returns how many. */
uint32_t gx_lshpool_prune(gx_lshpool_t *p, const gx_fold_t *fold);
uint32_t gx_lshpool_count(const gx_lshpool_t *p);
/* Blocks evicted to make room, since new. */
uint64_t gx_lshpool_evicted(const gx_lshpool_t *p);

#endif
