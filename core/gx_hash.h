/* gx_hash: BLAKE2b-256 hashing with a distinct domain tag per object type, and
 * the binary Merkle tree used by black holes, LSH blocks and broadcast stripes.
 *
 * Domains are BLAKE2b personalization strings (16 bytes, see gx_hash.c and
 * docs/PROTOCOL.md); the same bytes hashed under two domains never collide.
 *
 * Merkle tree (docs/PROTOCOL.md "Merkle tree"): leaf = H(MERKLE_LEAF, data),
 * node = H(MERKLE_NODE, left || right). A level of odd length promotes its last
 * node unchanged (no duplication, so no two leaf lists share a root). The root
 * of zero leaves is all zeros.
 *
 * Memory: callers own every buffer; nothing allocates except gx_merkle_root,
 * which needs scratch of n hashes: pass it (no hidden malloc on hot paths).
 * Threads: every function is pure and may be called from any thread.
 * Errors: gx_merkle_* return -1 on bad arguments (index >= n, n > max). */
#ifndef GX_HASH_H
#define GX_HASH_H

#include <stddef.h>
#include <stdint.h>

#define GX_HASH_SZ 32
#define GX_MERKLE_MAX_DEPTH 32

typedef struct { uint8_t b[GX_HASH_SZ]; } gx_hash_t;

typedef enum {
  GX_DOM_TX = 0,          /* transaction id: hash of the full encoded transfer */
  GX_DOM_SIG_INIT,        /* message the initiator signs                       */
  GX_DOM_SIG_CP,          /* message the counterparty signs                    */
  GX_DOM_BLACKHOLE,       /* black hole id: hash of the encoded header         */
  GX_DOM_LSH,             /* LSH block id: header, reports, faults (gx_lsh.h)  */
  GX_DOM_MERKLE_LEAF,
  GX_DOM_MERKLE_NODE,
  GX_DOM_ADDRESS,         /* address checksum                                  */
  GX_DOM_STATE,           /* account state leaf                                */
  GX_DOM_BH_SIG,          /* message a validator signs to certify a black hole */
  GX_DOM_CONSENSUS,       /* consensus use (coin names, proposal ids)          */
  GX_DOM_LINK,            /* validator link keys                               */
  GX_DOM_DERIVE,          /* deterministic key derivation (test/load accounts) */
  GX_DOM_LSH_SIG,         /* message a cluster member signs to certify an LSH block */
  GX_DOM_COUNT
} gx_domain_t;

/* Name of a domain's personalization string ("gx.tx.v1" ...). */
const char *gx_domain_tag(gx_domain_t dom);

void gx_hash(gx_hash_t *out, gx_domain_t dom, const void *data, size_t len);
/* Hash of a || b (saves a copy). */
void gx_hash2(gx_hash_t *out, gx_domain_t dom, const void *a, size_t alen,
              const void *b, size_t blen);

int gx_hash_is_zero(const gx_hash_t *h);
int gx_hash_eq(const gx_hash_t *a, const gx_hash_t *b);

/* Leaf hash of arbitrary data. */
void gx_merkle_leaf(gx_hash_t *out, const void *data, size_t len);
/* Root of n leaf hashes; scratch must hold n hashes (may alias nothing). */
int gx_merkle_root(gx_hash_t *root, const gx_hash_t *leaves, size_t n, gx_hash_t *scratch);
/* The same root, reducing the n leaf hashes in place (they are overwritten):
 * for callers that built the leaves only to take the root. */
int gx_merkle_root_inplace(gx_hash_t *root, gx_hash_t *leaves, size_t n);
/* Authentication path for leaf index of n leaves; writes up to
 * GX_MERKLE_MAX_DEPTH hashes to branch, returns its length or -1. scratch: n hashes. */
int gx_merkle_branch(gx_hash_t *branch, const gx_hash_t *leaves, size_t n, size_t index,
                     gx_hash_t *scratch);
/* 0 when leaf at index of n leaves, with branch of branch_len, gives root. */
int gx_merkle_verify(const gx_hash_t *root, const gx_hash_t *leaf, size_t n, size_t index,
                     const gx_hash_t *branch, size_t branch_len);

#endif
