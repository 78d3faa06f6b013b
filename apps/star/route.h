/* star route: the home-cluster map star sends transfers by (docs/STAR.md
 * "Routing", docs/API.md "/v1/clusters").
 *
 * A network with Star Clusters fixes at genesis which cluster each account
 * belongs to: the home cluster of a transfer is gx_lsh_home_cluster(initiator,
 * K), the rule a node names "shard_of_initiator_v1" (the initiator key's first
 * 8 bytes as a little-endian u64, mod K). A client sends a transfer to a
 * member of that cluster, at the member's ingest address (genesis `ingest =`).
 * The map is what a galaxy's GET /v1/clusters answers: the genesis id it
 * belongs to, K, and each cluster's members with their ingest addresses
 * (null when the genesis gives none); star keeps that answer as it came in
 * the wallet directory (DIR/clusters) and asks again with ?known=ID, to which
 * a node of the same genesis answers {"genesis":ID,"unchanged":true}.
 *
 * Pure functions (no I/O, no clocks, no allocation); the caller owns every
 * buffer; any thread. The decoder takes untrusted text (a node's answer, a
 * file): strictly checked types and ranges (the genesis id 64 hex, the rule
 * known, cluster ids 0..K-1 in order, member indices 0..n-1 in order, 1..16
 * members, K <= 16, at most 64 galaxies, addresses HOST:PORT or
 * [IPV6]:PORT), members of objects it does not know skipped, bounded depth
 * and length (STAR_ROUTE_TEXT_MAX). Errors: a static one-line reason. */
#ifndef STAR_ROUTE_H
#define STAR_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_key.h"

#define STAR_ROUTE_RULE "shard_of_initiator_v1"
#define STAR_ROUTE_CLUSTERS 16  /* GX_GENESIS_MAX_CLUSTERS */
#define STAR_ROUTE_MEMBERS 16   /* GX_GENESIS_CLUSTER_MAX */
#define STAR_ROUTE_GALAXIES 64  /* GX_GENESIS_MAX_VALIDATORS */
#define STAR_ROUTE_ADDR_MAX 72  /* "[" host (63) "]:" port (5) NUL */
#define STAR_ROUTE_TEXT_MAX (256 * 1024) /* the longest map text taken */

typedef struct {
  gx_hash_t genesis;
  uint32_t cluster_count; /* 0: a flat network (no routing) */
  uint32_t n[STAR_ROUTE_CLUSTERS];
  /* ingest[c][i]: member i of cluster c, "HOST:PORT" or "[V6]:PORT"; "" unknown */
  char ingest[STAR_ROUTE_CLUSTERS][STAR_ROUTE_MEMBERS][STAR_ROUTE_ADDR_MAX];
  uint32_t galaxy_count;
  char galaxy_ingest[STAR_ROUTE_GALAXIES][STAR_ROUTE_ADDR_MAX];
} star_route_map_t;

/* Decodes an answer of GET /v1/clusters (NUL-terminated). A full map: *m set,
 * *unchanged 0. {"genesis":ID,"unchanged":true}: only m->genesis set,
 * *unchanged 1. NULL when decoded, else the reason (*m zeroed). */
const char *star_route_decode(star_route_map_t *m, const char *text, int *unchanged);

/* 1 when s is HOST:PORT or [IPV6]:PORT as a genesis writes it (host 1..63
 * characters of letters, digits, '.', '-', or hex and ':' inside brackets;
 * port 1..65535, no leading zero). */
int star_route_addr_ok(const char *s);

/* The home cluster of an account (m->cluster_count >= 1). */
uint32_t star_route_home(const star_route_map_t *m, const gx_pubkey_t *account);

/* Members of cluster c with a known ingest address. */
uint32_t star_route_known(const star_route_map_t *m, uint32_t c);

/* The first member of cluster c, from start (mod n) on, with a known ingest
 * address and its bit clear in skip (bit i: member i); -1 when none. */
int star_route_pick(const star_route_map_t *m, uint32_t c, uint32_t start, uint32_t skip);

#endif
