/* star sync: the wallet follows the committed chain (docs/STAR.md "Following
 * the chain"). The committed state of the account is read from a galaxy's API
 * (/v1/account/ADDR) and handed to star_state_reconcile; before that, a caller
 * about to sign a new link of the chain may first wait, for a bounded time,
 * for a transfer this wallet co-signed or sent moments ago (and that still
 * links onto the committed head) to commit or be rejected, so the new link
 * builds on it instead of competing with it.
 * Threads: single-threaded CLI. Memory: caller's. Errors: a star_sync_rc_t
 * plus a one-line reason in err; notes (what changed, what it waits for) go
 * to stderr only when asked for. */
#ifndef STAR_SYNC_H
#define STAR_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "apps/star/route.h"
#include "apps/star/star_state.h"
#include "apps/star/wallet.h"

typedef enum {
  STAR_SYNC_OK = 0,
  STAR_SYNC_UNREACHABLE, /* no answer from the API (err: "cannot reach API at URL") */
  STAR_SYNC_BAD_ANSWER,  /* an answer that is not the account (err says what came) */
} star_sync_rc_t;

/* The committed account pk at api; an unknown account reads as seq 0, balance 0. */
star_sync_rc_t star_sync_account(const char *api, const gx_pubkey_t *pk, star_account_t *a, char *err,
                                 size_t errlen);

/* The state of transfer idhex at api, giving up after timeout_ms; *reachable
 * is 0 when the API did not answer (the result is then STAR_TX_BAD_ANSWER). */
star_tx_state_t star_sync_tx(const char *api, const char *idhex, long timeout_ms, uint64_t *height,
                             char reason[32], int *reachable);

/* Reconciles w->st with the committed chain of w's account (not saved: the
 * caller saves). settle_s > 0: first waits for in-flight records
 * (star_state_in_flight, except the half except_half) until each commits, is
 * rejected, or settle_s seconds after it was signed or sent; the ones waited
 * for are marked STAR_REC_SETTLED. notes: print what changed. *acct (may be
 * NULL) gets the committed account. */
star_sync_rc_t star_sync(star_wallet_t *w, const char *api, uint64_t settle_s, const uint8_t *except_half,
                         int notes, star_account_t *acct, char *err, size_t errlen);

/* The home-cluster map (apps/star/route.h) for routing, from the API and
 * the wallet directory's cache DIR/clusters (the API's answer as it came):
 * with an API, GET /v1/clusters?known=CACHED_ID; unchanged: the cache; a map
 * of another genesis (or no cache): that map, written to DIR/clusters
 * (atomically; not when DIR does not exist); no answer: the cache. Without
 * an API: the cache. An API that answers without a map (a galaxyd without
 * /v1/clusters, no chain) gives none: the cache may be another network's.
 * 1 with *m set, 0 none (then *m is zeroed). notes: one line to stderr when
 * the map changed, the cache was bad or the API did not answer. */
int star_route_get(const char *dir, const char *api, star_route_map_t *m, int notes);

#endif
