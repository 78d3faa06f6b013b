/* gx_committee: who runs consensus in an epoch, as a value derived from the
 * chain (docs/ARCHITECTURE.md "Membership").
 *
 * A committee is the ordered member list of the epochs from first_epoch on:
 * each member's identity key (links, certificate signatures), consensus
 * address and threshold-coin verification key, with n, f = (n-1)/3 and the
 * coin group key. A member's index in the list is its consensus index (ACS
 * instance, link key slot, certificate signer index, shard rotation).
 *
 * gx_members_t is the membership of a chain: the genesis committee plus the
 * committee changes applied so far, each taking effect at an epoch boundary.
 * It is the only reader of the genesis validator list; the ACS configuration
 * (gx_committee_coin_pub), the links (gx_committee_link_keys, addresses), the
 * certificates (gx_committee_cert_set) and sharding (gx_committee_shard) all
 * read a committee. Until the dynamic-membership work puts join and leave
 * requests on chain, a change enters through gx_members_change (the test
 * dealer of gx_committee_test_deal produces its coin keys).
 *
 * The black hole of epoch e has height e + 1 and is certified by the
 * committee of epoch e.
 *
 * Memory: caller-owned values, no allocation. Threads: any, on values the
 * caller owns (no internal locking). Deterministic: no clocks, no I/O.
 * Errors: gx_committee_err_t, gx_committee_strerror(). */
#ifndef GX_COMMITTEE_H
#define GX_COMMITTEE_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/gx_coin.h"
#include "core/gx_key.h"
#include "validator/gx_cert.h"

#define GX_COMMITTEE_MAX 64       /* members (GX_CONS_MAX_N) */
#define GX_COMMITTEE_HOST_MAX 63
#define GX_MEMBERS_HISTORY 8      /* committees remembered (the current and 7 before it) */

typedef enum {
  GX_COMMITTEE_OK = 0,
  GX_COMMITTEE_ERR_ARG,     /* n out of 1..64, duplicate identity, bad coin set */
  GX_COMMITTEE_ERR_EPOCH,   /* a change must start after the current committee's first epoch
                               and after every epoch already run */
  GX_COMMITTEE_ERR__COUNT
} gx_committee_err_t;
const char *gx_committee_strerror(gx_committee_err_t e);

typedef struct {
  gx_pubkey_t identity;                   /* ed25519: links and certificate signatures */
  char host[GX_COMMITTEE_HOST_MAX + 1];   /* consensus address (name, IPv4 or IPv6) */
  uint16_t port;
  uint8_t coin_vk[32];                    /* threshold-coin verification key share */
} gx_member_t;

typedef struct {
  uint64_t first_epoch;                   /* the first epoch this committee runs */
  uint16_t n, f;
  uint8_t coin_group_vk[32];
  gx_member_t m[GX_COMMITTEE_MAX];
  gx_hash_t id;                           /* names the committee (gx_committee_finish) */
} gx_committee_t;

/* Sets f = (n-1)/3 and the id (a hash of every field above it). Checks n in
 * 1..64 and distinct identities. */
gx_committee_err_t gx_committee_finish(gx_committee_t *c);
/* The member index of identity, or -1 when it is not a member. */
int gx_committee_index(const gx_committee_t *c, const gx_pubkey_t *identity);
/* The consensus engine's coin public set. */
void gx_committee_coin_pub(const gx_committee_t *c, gx_coin_pub_t *pub);
/* Certificate signers: f+1 of these sign each black hole of the committee's epochs. */
void gx_committee_cert_set(const gx_committee_t *c, gx_cert_set_t *set);
/* keys[i] = member i's identity (gx_link_init's peer keys). */
void gx_committee_link_keys(const gx_committee_t *c, gx_pubkey_t keys[GX_COMMITTEE_MAX]);
/* The account shard member proposes in epoch, of n shards: (member + epoch)
 * mod n, so every shard has exactly one proposer per epoch and a different
 * one the next. */
uint32_t gx_committee_shard(const gx_committee_t *c, unsigned member, uint64_t epoch);

/* Test dealer: fresh threshold-coin keys for c (n set, members filled): sets
 * every coin_vk and the group key, writes member i's secret share to
 * secrets[i], and finishes c. seed: 32 bytes (reproducible) or NULL. Stands
 * in for the galaxies' distributed dealing until that exists. */
gx_committee_err_t gx_committee_test_deal(gx_committee_t *c, gx_coin_secret_t *secrets,
                                          const uint8_t *seed);

/* ---- the membership of a chain ---- */
typedef struct {
  gx_committee_t hist[GX_MEMBERS_HISTORY]; /* by ascending first_epoch, ring */
  unsigned count, head;                    /* committees held; index of the oldest */
} gx_members_t;

/* Starts with the genesis committee (first_epoch 0; validator/gx_genesis.h's
 * gx_genesis_committee makes it). */
void gx_members_init(gx_members_t *m, const gx_committee_t *genesis_committee);
/* The committee that runs epoch, or NULL when epoch is older than the
 * history kept. */
const gx_committee_t *gx_members_at(const gx_members_t *m, uint64_t epoch);
/* The newest committee (it may start after the current epoch). */
const gx_committee_t *gx_members_latest(const gx_members_t *m);
/* Adds a finished committee that takes over at next->first_epoch, which must
 * be later than the latest committee's first epoch and than running_epoch
 * (the epoch being agreed now): a change takes effect at a boundary ahead. */
gx_committee_err_t gx_members_change(gx_members_t *m, const gx_committee_t *next,
                                     uint64_t running_epoch);

#endif
