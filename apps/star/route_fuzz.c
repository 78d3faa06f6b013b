/* libFuzzer: star's decoder of the home-cluster map (apps/star/route.h), the
 * text a node answers to GET /v1/clusters and the wallet's cache of it. A map
 * that decodes is within its bounds (K <= 16, 1..16 members a cluster, each
 * known ingest address well-formed), and every home cluster and pick it gives
 * is in range. star is a program, not a layer: apps/star/route.c is compiled in. */
#include <stdlib.h>
#include <string.h>

#include "apps/star/route.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static char text[STAR_ROUTE_TEXT_MAX + 1];
  static star_route_map_t m;
  if (size > STAR_ROUTE_TEXT_MAX) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  int unchanged;
  if (star_route_decode(&m, text, &unchanged)) return 0;
  if (unchanged) {
    if (m.cluster_count || m.galaxy_count) abort();
    return 0;
  }
  if (m.cluster_count > STAR_ROUTE_CLUSTERS || m.galaxy_count < 1 || m.galaxy_count > STAR_ROUTE_GALAXIES) abort();
  gx_pubkey_t pk;
  memset(pk.b, 0, sizeof pk.b);
  memcpy(pk.b, data, size < sizeof pk.b ? size : sizeof pk.b);
  for (uint32_t c = 0; c < m.cluster_count; c++) {
    if (m.n[c] < 1 || m.n[c] > STAR_ROUTE_MEMBERS) abort();
    for (uint32_t i = 0; i < m.n[c]; i++)
      if (m.ingest[c][i][0] && !star_route_addr_ok(m.ingest[c][i])) abort();
    int p = star_route_pick(&m, c, (uint32_t)size, 0);
    if (p >= (int)m.n[c] || (p < 0) != (star_route_known(&m, c) == 0)) abort();
  }
  if (m.cluster_count && star_route_home(&m, &pk) >= m.cluster_count) abort();
  return 0;
}
