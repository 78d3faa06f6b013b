/* star load: pre-signs transfers between account pairs and sends them to a
 * galaxy in GX_MSG_TX_BATCH datagrams at a target rate.
 *
 * With --api, each account's chain continues from its committed state, so
 * a second run against the same network (same seed) makes new valid
 * transfers instead of replays.
 *
 * Accounts are derived with gx_key_derive("star-load", seed, i): pair p is
 * (account 2p pays account 2p+1), amount 1, both chains advancing by one per
 * transfer, so every transfer is valid against a genesis that funds the
 * even-numbered accounts (galaxyctl genesis --fund-load-seed). Transfers are
 * dealt round-robin over pairs. Memory: all transfers are signed before sending
 * (rate*duration*290 bytes; capped at STAR_LOAD_MAX_XFERS).
 *
 * Re-sending (--resend S, with --api): what a wallet does when its transfer
 * is lost. A galaxy under overload drops transfers at ingress, and a chain
 * with a hole commits nothing after it; every S seconds a second thread reads
 * each pair's committed sequence (GET /v1/account/ADDR of the payer) and, for
 * a pair that made no progress since the previous look while later transfers
 * were sent, or that is more than STAR_LOAD_RESEND_WINDOW transfers behind
 * (a galaxy refuses transfers that far ahead of their account's chain), sends
 * the STAR_LOAD_RESEND_WINDOW transfers after the committed one again (copies
 * the galaxy still holds cost it one dedup lookup).
 *
 * Routing (route set: a cluster map with ingest addresses, apps/star/route.h;
 * docs/STAR.md "Routing"): each transfer goes to its initiator's home
 * cluster. Transfers are batched per cluster (the transfers due in one pacing
 * step, in order, GX_BATCH_MAX a datagram); each datagram goes to the next
 * member of its cluster in turn, one connected socket per member (opened at
 * start: nothing is allocated in the send loop). A member that refuses (an
 * ICMP port unreachable comes back as ECONNREFUSED on the next send to it) is
 * left out for STAR_LOAD_DOWN_MS and the datagram goes to the next member; a
 * cluster with no member left counts its datagrams' transfers as unroutable.
 * --resend re-sends through the same route.
 *
 * Progress: one line per second on stderr; one summary line on stdout:
 *   summary transfers=N datagrams=N corrupted=N duplicates=N bytes=N seconds=S rate=R
 *           refused=N resent=N [clusters=K unroutable=N]   (the last two when routing)
 * Exit: 0 sent, 1 network failure, 2 bad arguments. */
#ifndef STAR_LOAD_H
#define STAR_LOAD_H

#include <stdint.h>

#include "apps/star/route.h"

#define STAR_LOAD_MAX_XFERS (2u * 1000 * 1000)
#define STAR_LOAD_RESEND_WINDOW 64 /* galaxyd's default [mempool] max_future */
#define STAR_LOAD_DOWN_MS 1000     /* a member that refused is left out this long */

typedef struct {
  const char *galaxy;       /* where every transfer goes; NULL when routing */
  const star_route_map_t *route; /* route by home cluster (galaxy NULL); NULL: don't */
  uint64_t pairs, rate, duration, seed;
  uint64_t corrupt_every;   /* flip a signature bit in every K-th transfer (0: never) */
  uint64_t duplicate_every; /* send every K-th datagram twice (0: never) */
  uint64_t threads;         /* signing threads (0: one per CPU) */
  const char *dump_path;    /* write each datagram as a hex line here */
  const char *api;          /* "http://host:port": continue each account's chain
                             * from its committed state (GET /v1/account/ADDR) */
  uint64_t resend_s;        /* with api: every resend_s seconds, re-send the next
                             * STAR_LOAD_RESEND_WINDOW transfers of every pair
                             * whose committed chain did not move since the last
                             * look while later transfers were sent, or is more
                             * than the window behind (0: never) */
} star_load_cfg_t;

int star_load_run(const star_load_cfg_t *cfg);

#endif
