/* gx_acs: asynchronous common subset (HoneyBadger BFT's ACS) over numbered
 * epochs: per epoch, N reliable broadcasts (gx_rbc) + N binary agreements
 * (gx_ba). RBC_j delivering a valid value inputs 1 to BA_j (a "bad" verdict
 * inputs 0); once N-f agreements decided 1, every BA without input gets 0;
 * when all N decided, the epoch outputs the values of the BA_j that decided 1
 * (proposer order). Epochs output strictly in order.
 *
 * Sans-I/O: no threads, sockets, clocks, floats or globals. The caller feeds
 * authenticated datagrams (gx_acs_on_message), its own proposals
 * (gx_acs_propose) and periodic ticks (gx_acs_tick); everything to send goes
 * to out->send (dest = node index or GX_CMSG_ALL = all others), every batch to
 * out->deliver, every BA decision to out->decide (optional, for checks).
 * Lossy links: every message is idempotent; gx_acs_tick re-sends all we have
 * sent (VAL fragments, ECHO fragments, READY, the BA votes of every round so
 * far or TERM, coin shares) for every epoch still held that is stuck (no
 * message accepted for it since the previous tick) or, once finished, that a
 * peer still sends messages about; so any loss pattern with eventual delivery
 * makes progress, and an epoch that is moving is not flooded with copies.
 *
 * Epoch window: the node holds cfg.epoch_slots epochs at once: up to
 * cfg.epoch_keep finished ones (still re-sent, for peers that lag) plus the
 * next to output plus future ones. Messages outside the window are dropped and
 * counted (stats.drop_stale / drop_future): a Byzantine peer sending far-future
 * epochs costs a counter, never memory. A finished epoch's state is freed
 * (its slot recycled) once it is more than epoch_keep epochs old.
 *
 * Memory: gx_acs_footprint(cfg) bytes, passed to gx_acs_new (caller owns it,
 * 64-byte aligned); nothing allocates afterwards. A batch's value pointers
 * stay valid until its epoch slot is recycled (epoch_keep more epochs).
 * Threads: one thread per node object; callbacks run on it and must not
 * re-enter the same object.
 * Errors: gx_acs_err_t from new/propose/on_message (on_message's codes are
 * drop reasons, already counted in stats; never fatal). */
#ifndef GX_ACS_H
#define GX_ACS_H

#include "consensus/gx_ba.h"
#include "consensus/gx_cmsg.h"
#include "consensus/gx_coin.h"
#include "consensus/gx_rbc.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint16_t n, f, self;
  uint32_t max_proposal;   /* bytes; same on every node (genesis config) */
  uint16_t epoch_slots;    /* epochs held at once, >= epoch_keep + 2 */
  uint16_t epoch_keep;     /* finished epochs kept (re-sent) for laggards */
  uint16_t ba_max_rounds;  /* per BA instance, <= GX_CMSG_MAX_ROUND + 1 */
  const gx_coin_pub_t *coin_pub;    /* copied at gx_acs_new */
  const gx_coin_secret_t *coin_sec; /* copied at gx_acs_new */
  int unsafe_ba_skip_conf; /* TEST ONLY: run the un-fixed BA (issue #59 demo) */
} gx_acs_cfg_t;

/* Defaults: epoch_slots 4, epoch_keep 1, ba_max_rounds 60. */
void gx_acs_cfg_defaults(gx_acs_cfg_t *cfg);

typedef struct {
  uint64_t epoch;
  unsigned count;                    /* >= n - f */
  uint16_t proposer[GX_CONS_MAX_N];
  const uint8_t *value[GX_CONS_MAX_N];
  uint32_t len[GX_CONS_MAX_N];
} gx_acs_batch_t;

typedef struct {
  void *ctx;
  void (*send)(void *ctx, int dest, const uint8_t *msg, size_t len);
  void (*deliver)(void *ctx, const gx_acs_batch_t *batch);
  void (*decide)(void *ctx, uint64_t epoch, unsigned instance, int value); /* may be NULL */
} gx_acs_out_t;

typedef enum {
  GX_ACS_OK = 0,
  GX_ACS_ERR_CONFIG,       /* bad cfg (n, f, self, sizes, keys) */
  GX_ACS_ERR_MEM,          /* NULL or misaligned memory */
  GX_ACS_ERR_SIZE,         /* proposal larger than max_proposal */
  GX_ACS_ERR_EPOCH,        /* epoch already output or outside the window */
  GX_ACS_ERR_PROPOSED,     /* already proposed in this epoch */
  GX_ACS_DROP_DECODE,      /* malformed datagram (see stats.decode[]) */
  GX_ACS_DROP_SENDER,      /* sender index out of range or ourselves */
  GX_ACS_DROP_INSTANCE,    /* instance index >= n */
  GX_ACS_DROP_STALE,       /* epoch older than the window */
  GX_ACS_DROP_FUTURE,      /* epoch beyond the window */
  GX_ACS_DROP_RBC,         /* refused by the broadcast (see stats.rbc[]) */
  GX_ACS_DROP_BA,          /* refused by the agreement (see stats.ba[]) */
  GX_ACS_ERR_COUNT
} gx_acs_err_t;

const char *gx_acs_strerror(gx_acs_err_t err);

typedef struct {
  uint64_t msgs_in, msgs_out, bytes_out;
  uint64_t drop[GX_ACS_ERR_COUNT];
  uint64_t decode[GX_CMSG_ERR_COUNT];
  uint64_t rbc[GX_RBC_RES_COUNT];
  uint64_t ba[GX_BA_RES_COUNT];
  uint64_t coin_verifies, coin_combines;
  uint64_t epochs_output, rbc_bad, ba_stalled;
  uint64_t ba_max_round;   /* highest BA round any instance reached */
} gx_acs_stats_t;

typedef struct gx_acs gx_acs_t;

size_t gx_acs_footprint(const gx_acs_cfg_t *cfg);
gx_acs_err_t gx_acs_new(gx_acs_t **out_acs, void *mem, size_t mem_sz, const gx_acs_cfg_t *cfg,
                        const gx_acs_out_t *out);
/* Wipes the key copy; the caller then frees mem. */
void gx_acs_delete(gx_acs_t *acs);

gx_acs_err_t gx_acs_propose(gx_acs_t *acs, uint64_t epoch, const uint8_t *value, uint32_t len);
gx_acs_err_t gx_acs_on_message(gx_acs_t *acs, unsigned sender, const uint8_t *msg, size_t len);
void gx_acs_tick(gx_acs_t *acs);

uint64_t gx_acs_next_epoch(const gx_acs_t *acs); /* next epoch to output */
/* 1 when epoch is under way here: we proposed in it or accepted a peer's
 * message for it (the application's cue to propose without further delay). */
int gx_acs_epoch_active(const gx_acs_t *acs, uint64_t epoch);
/* Epochs currently held: [*lo, *lo + epoch_slots). */
void gx_acs_window(const gx_acs_t *acs, uint64_t *lo, uint64_t *hi);
/* Catch-up: the application obtained the batches of every epoch < epoch
 * elsewhere (block sync from peers, checked by its own certificates) because
 * the peers already freed them; the node forgets those epochs and continues
 * at epoch. GX_ACS_ERR_EPOCH when epoch <= next epoch to output. */
gx_acs_err_t gx_acs_skip_to(gx_acs_t *acs, uint64_t epoch);
const gx_acs_stats_t *gx_acs_stats(const gx_acs_t *acs);

/* For tests and the simulator's Byzantine broadcaster: encodes value with
 * this node's coder and sends VAL fragments for (epoch, our instance) to dest
 * only, bypassing our own RBC state. damage_stripe >= 0: flips a byte of that
 * stripe and re-commits the Merkle root (an inconsistent codeword). */
gx_acs_err_t gx_acs_send_forged_val(gx_acs_t *acs, uint64_t epoch, const uint8_t *value,
                                    uint32_t len, unsigned dest, int damage_stripe);

#endif
