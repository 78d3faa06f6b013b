/* gx_ba: asynchronous binary agreement, Mostefaoui-Moumen-Raynal with a CONF
 * round and TERM messages (docs/CONSENSUS.md "Binary agreement").
 *
 * Round r with estimate est:
 *   BVAL(r, est); relay BVAL(r, b) after f+1 senders; b enters bin_values
 *   after 2f+1. AUX(r, w) once, w the first value in bin_values (est if both).
 *   After N-f AUX whose values lie in bin_values: vals = those values;
 *   CONF(r, vals) -- the AUX-phase set (HoneyBadgerBFT-Python issue #57).
 *   After N-f CONF whose sets lie in bin_values: vals = {b} if N-f of them
 *   are exactly {b}, else {0,1}; release our coin share.
 *   Coin: rounds r % 3 == 0 -> 1, r % 3 == 1 -> 0 (fixed, no crypto),
 *   r % 3 == 2 -> threshold coin (gx_coin) named (epoch, instance, r).
 *   If vals == {b}: est = b, and decide b when b == coin; else est = coin.
 * On deciding b a node broadcasts TERM(b) and stops; a TERM(b) counts as
 * BVAL(b), AUX(b) and CONF({b}) from its sender in every round; f+1 TERM(b)
 * decide b. The CONF round is what defeats the scheduler attack of
 * HoneyBadgerBFT issue #59 (vals is fixed before any honest share is out).
 *
 * Memory: the instance's per-round state lives in arena memory bound by the
 * owner (gx_ba_footprint bytes for max_rounds rounds). Messages for rounds
 * >= max_rounds are dropped (counted); a run reaching max_rounds stalls
 * (gx_ba_t.stalled), which with an unpredictable coin has probability
 * about 2^-(max_rounds/3). Threads: owner thread only.
 * Errors: handlers return gx_ba_res_t (drop reasons). */
#ifndef GX_BA_H
#define GX_BA_H

#include "consensus/gx_cmsg.h"
#include "consensus/gx_coin.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
  GX_BA_OK = 0,
  GX_BA_DECIDED,          /* this message made the instance decide */
  GX_BA_DROP_ROUND,       /* round beyond max_rounds */
  GX_BA_DROP_DUP,         /* already have this vote from this sender */
  GX_BA_DROP_SHARE,       /* coin share failed its proof */
  GX_BA_DROP_DONE,        /* instance has terminated */
  GX_BA_RES_COUNT
} gx_ba_res_t;

const char *gx_ba_strerror(gx_ba_res_t r);

typedef struct {
  unsigned n, f, self;
  uint16_t max_rounds;
  uint64_t epoch;
  const gx_coin_pub_t *pub;
  const gx_coin_secret_t *sec;
  const gx_cmsg_sink_t *sink;
  uint64_t *coin_verifies;  /* counters the owner reads (may be NULL) */
  uint64_t *coin_combines;
  int unsafe_skip_conf;     /* TEST ONLY: the un-fixed BA (no CONF wait) */
} gx_ba_ctx_t;

typedef struct {
  uint64_t bval[2], aux[2], conf_got, conf_has[2], share_from;
  uint8_t sent_bval, sent_aux, sent_conf, bin_values, coin_out, vals;
  int8_t coin;
  uint8_t nshares;
  /* followed in the arena by (f+1) share indices (u16) and points (32 bytes) */
} gx_ba_round_t;

typedef struct {
  uint16_t instance;
  uint16_t round;
  int8_t input;           /* -1 until given */
  int8_t est;
  int8_t decided;         /* -1, 0, 1 */
  uint8_t stalled;
  uint64_t term[2];
  uint8_t *rounds;        /* max_rounds * gx_ba_round_stride bytes */
} gx_ba_t;

size_t gx_ba_round_stride(unsigned f);
size_t gx_ba_footprint(unsigned f, uint16_t max_rounds);
void gx_ba_bind(gx_ba_t *ba, uint8_t *mem);
void gx_ba_reset(gx_ba_t *ba, const gx_ba_ctx_t *ctx, uint16_t instance);

/* Gives the instance its input (once; later calls are ignored). */
gx_ba_res_t gx_ba_input(gx_ba_t *ba, const gx_ba_ctx_t *ctx, int value);
/* m: a decoded BVAL/AUX/CONF/TERM/COIN for this instance from sender. */
gx_ba_res_t gx_ba_on_msg(gx_ba_t *ba, const gx_ba_ctx_t *ctx, unsigned sender,
                         const gx_cmsg_t *m);
/* Re-sends everything we sent (TERM alone once decided). */
void gx_ba_resend(const gx_ba_t *ba, const gx_ba_ctx_t *ctx);

/* The fixed/threshold coin schedule: -1 for "threshold coin" rounds. */
static inline int gx_ba_fixed_coin(uint16_t round) {
  return round % 3 == 0 ? 1 : round % 3 == 1 ? 0 : -1;
}

#endif
