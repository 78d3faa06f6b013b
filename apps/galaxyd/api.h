/* galaxyd's JSON API (docs/API.md), served on the HTTP server:
 *   GET /v1/status                 height, tip, counters, committee, health
 *   GET /v1/account/ADDR           balance, sequence, head of an account
 *   GET /v1/tx/HASH                committed? at which height and index; or rejected, why
 *   POST /v1/tx[?wait=S]           submit a transfer (hex or binary) to our own ingest;
 *                                  with wait, its outcome (a parked request, galaxy.h)
 *   GET /v1/blackhole/HEIGHT       header and transfer ids of a black hole
 *   GET /v1/raw/blackhole/HEIGHT   the encoded black hole (binary, for sync)
 *   GET /v1/raw/cert/HEIGHT        its certificate (binary, for sync)
 *   GET /v1/equivocations          double spends ingest saw, with both transfers
 *   GET /v1/clusters[?known=ID]    the home-cluster map of our genesis: clusters,
 *                                  members with their ingest addresses, galaxies
 *   GET /v1/clusters/home/ADDR     an account's home cluster and its members
 * Errors are JSON {"error":"<message>","code":"<stable code>"} with an HTTP
 * status (docs/API.md lists the codes); never a crash.
 * Threads: the handlers run on the HTTP server's thread and use only the
 * commit stage's and the ingest pipeline's thread-safe readers, and the
 * submit path of apps/galaxyd/galaxy.h (its waiting thread answers parked
 * POSTs through gx_http_resume). Works without
 * a chain (an ingest-only node): status says so, the rest answer 503. */
#ifndef GALAXYD_API_H
#define GALAXYD_API_H

#include "apps/galaxyd/galaxy.h"
#include "apps/galaxyd/http.h"

/* Adds the /v1 routes for ch. 0, or -1 when the server refuses a route. */
int gx_api_routes(gx_galaxy_t *ch, gx_http_t *http);

#endif
