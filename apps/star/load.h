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
 * Progress: one line per second on stderr; one summary line on stdout:
 *   summary transfers=N datagrams=N corrupted=N duplicates=N bytes=N seconds=S rate=R
 * Exit: 0 sent, 1 network failure, 2 bad arguments. */
#ifndef STAR_LOAD_H
#define STAR_LOAD_H

#include <stdint.h>

#define STAR_LOAD_MAX_XFERS (2u * 1000 * 1000)

typedef struct {
  const char *galaxy;
  uint64_t pairs, rate, duration, seed;
  uint64_t corrupt_every;   /* flip a signature bit in every K-th transfer (0: never) */
  uint64_t duplicate_every; /* send every K-th datagram twice (0: never) */
  uint64_t threads;         /* signing threads (0: one per CPU) */
  const char *dump_path;    /* write each datagram as a hex line here */
  const char *api;          /* "http://host:port": continue each account's chain
                             * from its committed state (GET /v1/account/ADDR) */
} star_load_cfg_t;

int star_load_run(const star_load_cfg_t *cfg);

#endif
