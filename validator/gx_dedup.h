/* gx_dedup: a fixed-memory cache of recently seen transaction ids, consulted
 * before any signature work (gossip delivers each transfer many times).
 *
 * Layout: a set-associative table of 2^k sets x GX_DEDUP_WAYS ways. The set is
 * chosen by id bytes 0..7, each way keeps a 64-bit tag (id bytes 8..15) in one
 * cache line per set and the full 32-byte id beside it. A lookup compares tags,
 * then the full id, so:
 *   - a false "duplicate" is impossible: a transfer is only reported as seen
 *     when its full id was inserted and is still cached;
 *   - a false "new" happens once an id is evicted: each set keeps its
 *     GX_DEDUP_WAYS most recently inserted ids (FIFO within the set), so the
 *     cache remembers about `entries` recent ids. A re-delivered old transfer
 *     is then verified again; the mempool still refuses it as a duplicate.
 *
 * Cost: O(1), no allocation after gx_dedup_new; one tag line + one id line.
 * Threads: any number of threads may call insert/remove concurrently (each set
 * has its own spin lock, held for a few dozen instructions).
 * Errors: gx_dedup_new returns NULL when memory cannot be had at start-up. */
#ifndef GX_DEDUP_H
#define GX_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_hash.h"

#define GX_DEDUP_WAYS 8
#define GX_DEDUP_MIN_ENTRIES 64
#define GX_DEDUP_MAX_ENTRIES ((uint64_t)1 << 28)

typedef struct gx_dedup gx_dedup_t;

/* entries: rounded up to a power of two within [MIN, MAX]. */
gx_dedup_t *gx_dedup_new(uint64_t entries);
void gx_dedup_delete(gx_dedup_t *d);
/* Bytes the table uses for a given entry count (for the RSS budget). */
size_t gx_dedup_footprint(uint64_t entries);
uint64_t gx_dedup_entries(const gx_dedup_t *d);

/* 1: id was already cached (duplicate, nothing changes); 0: id is new and is
 * now cached (evicting the oldest id of its set when the set is full). */
int gx_dedup_insert(gx_dedup_t *d, const gx_hash_t *id);
/* Read-only check: 1 when cached. */
int gx_dedup_contains(gx_dedup_t *d, const gx_hash_t *id);
/* Forgets id (e.g. it was inserted but could not be queued for verification,
 * so a later copy must not be dropped). 1 when it was cached. */
int gx_dedup_remove(gx_dedup_t *d, const gx_hash_t *id);

#endif
