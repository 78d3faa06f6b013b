/* gx_dedup: a fixed-memory cache of recently seen transfers, consulted before
 * any signature work (gossip delivers each transfer many times).
 *
 * Key: a 128-bit keyed hash of the transfer's 290 encoded bytes: XXH3-128
 * (libxxhash) under a 192-byte secret drawn from libsodium's randombytes at
 * gx_dedup_new. It costs about 25 ns per transfer, against 117 ns for
 * SipHash-2-4-128 (libsodium's crypto_shorthash_siphashx24) and 400 ns for of the BLAKE2b tx id, which the verify workers compute for new
 * transfers only. XXH3 is not a cryptographic MAC, which this cache does not
 * need: the key covers every byte, never leaves the process, and the secret
 * is never revealed, so an attacker cannot aim a collision at a transfer he
 * saw. The whole 128-bit key is stored and compared, so:
 *   - a false "duplicate" needs two different transfers with the same 128-bit
 *     keyed hash: about 2^-128 per pair for random inputs, and not steerable
 *     without the secret (the worst case, one node skipping one transfer until
 *     the key is evicted, other nodes still take it);
 *   - a false "new" happens once a key is evicted: each set keeps its
 *     GX_DEDUP_WAYS most recently inserted keys (FIFO within the set), so the
 *     cache remembers about `entries` recent transfers. A re-delivered old
 *     transfer is then verified again; the mempool still refuses it as a
 *     duplicate.
 * Layout: 2^k sets x GX_DEDUP_WAYS ways, set chosen by the key's low word;
 * one set is two cache lines (low words, high words).
 *
 * Cost: O(1), no allocation after gx_dedup_new.
 * Threads: any number of threads may call insert/contains/remove concurrently
 * (each set has its own spin lock, held for a few dozen instructions);
 * gx_dedup_key is pure.
 * Errors: gx_dedup_new returns NULL when memory cannot be had at start-up. */
#ifndef GX_DEDUP_H
#define GX_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#define GX_DEDUP_WAYS 8
#define GX_DEDUP_MIN_ENTRIES 64
#define GX_DEDUP_MAX_ENTRIES ((uint64_t)1 << 28)
#define GX_DEDUP_SECRET_SZ 192 /* >= XXH3_SECRET_SIZE_MIN (136) */

typedef struct {
  uint64_t lo, hi;
} gx_dedup_key_t;

typedef struct gx_dedup gx_dedup_t;

/* entries: rounded up to a power of two within [MIN, MAX]; a random hash key. */
gx_dedup_t *gx_dedup_new(uint64_t entries);
void gx_dedup_delete(gx_dedup_t *d);
/* Bytes the table uses for a given entry count (for the RSS budget). */
size_t gx_dedup_footprint(uint64_t entries);
uint64_t gx_dedup_entries(const gx_dedup_t *d);

/* The cache key of some bytes (a 290-byte encoded transfer). */
void gx_dedup_key(const gx_dedup_t *d, const uint8_t *bytes, size_t len, gx_dedup_key_t *key);
/* 1: key was already cached (duplicate, nothing changes); 0: key is new and is
 * now cached (evicting the oldest key of its set when the set is full). */
int gx_dedup_insert(gx_dedup_t *d, const gx_dedup_key_t *key);
/* Read-only check: 1 when cached. */
int gx_dedup_contains(gx_dedup_t *d, const gx_dedup_key_t *key);
/* Forgets key (e.g. the transfer was inserted but could not be queued for
 * verification, so a later copy must not be dropped). 1 when it was cached. */
int gx_dedup_remove(gx_dedup_t *d, const gx_dedup_key_t *key);

#endif
