/* gx_epoch: the consensus engine of a committee. It runs the asynchronous BFT
 * (consensus/gx_acs.h) of the committee that runs the current epoch, and is
 * the one place where a committee change takes effect: gx_epoch_join
 * rebuilds the engine for the new committee (n, f, this node's member index,
 * coin keys) at an epoch boundary. The galaxy commit stage and the simulator
 * drive the same code.
 *
 * Sans-I/O and deterministic: no clocks, threads or sockets. Messages leave
 * through out->send with a member index of the current committee (or
 * GX_CMSG_ALL); the caller seals them for the wire (dataplane/gx_link.h) and
 * hands received ones to gx_epoch_on_message with the sender's member index.
 * Agreed batches arrive through out->deliver (proposers are member indices
 * of that epoch's committee).
 *
 * Typical use, after every delivered batch or catch-up:
 *   const gx_committee_t *due = gx_epoch_due(ep, &members);
 *   if (due) gx_epoch_join(ep, due, &self, share_for(due), gx_epoch_next(ep));
 * then re-key the links and the certificate set from gx_epoch_committee(ep).
 *
 * Laggards: after a switch the previous committee's engine is kept for
 * GX_EPOCH_KEEP_PREV epochs of the new one, so a member that has not yet
 * agreed the last epoch of the old committee gets its messages (the engine
 * re-sends its finished epochs on tick): messages the caller authenticates
 * with the previous committee's link keys go to gx_epoch_on_prev_message,
 * and that engine's sends come out with committee = 1. It delivers nothing
 * (its epochs are done here).
 *
 * Memory: gx_epoch_new allocates the driver; gx_epoch_join allocates the
 * engine for the committee's size and frees the previous one (once per
 * committee change, never per message). Threads: one caller at a time; never
 * call gx_epoch_join or gx_epoch_delete from inside an out callback.
 * Errors: gx_acs_err_t from the engine; NULL / -1 with a reason in err. */
#ifndef GX_EPOCH_H
#define GX_EPOCH_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/gx_acs.h"
#include "validator/gx_committee.h"

typedef struct {
  uint32_t max_proposal;      /* bytes per proposal; same on every node (genesis) */
  uint16_t epoch_slots;       /* 0: the engine's default */
  uint16_t epoch_keep;        /* 0 with epoch_slots 0: the engine's default */
  int unsafe_ba_skip_conf;    /* TEST ONLY (gx_acs_cfg_t) */
} gx_epoch_cfg_t;

/* What the driver does with the engines' output. committee: 0 the running
 * committee, 1 the one before it (see "Laggards" below). */
typedef struct {
  void *ctx;
  void (*send)(void *ctx, int committee, int dest, const uint8_t *msg, size_t len);
  void (*deliver)(void *ctx, const gx_acs_batch_t *batch);
  /* optional: a BA instance (a member index) of the running committee decided */
  void (*decide)(void *ctx, uint64_t epoch, unsigned instance, int value);
} gx_epoch_out_t;

typedef struct gx_epoch gx_epoch_t;

gx_epoch_t *gx_epoch_new(const gx_epoch_cfg_t *cfg, const gx_epoch_out_t *out, char *err,
                         size_t errlen);
void gx_epoch_delete(gx_epoch_t *ep);

/* Runs committee c from epoch next_epoch on: self's member index is looked
 * up in c; a node that is not a member runs no engine (it follows the chain
 * through catch-up). share: self's coin secret share for c (ignored when not a
 * member). Returns 0, or -1 with a reason (the previous engine is gone then). */
int gx_epoch_join(gx_epoch_t *ep, const gx_committee_t *c, const gx_pubkey_t *self,
                  const gx_coin_secret_t *share, uint64_t next_epoch, char *err, size_t errlen);
/* The committee that must run the next epoch according to m when it is not
 * the one running (a change is due), else NULL. */
const gx_committee_t *gx_epoch_due(const gx_epoch_t *ep, const gx_members_t *m);

const gx_committee_t *gx_epoch_committee(const gx_epoch_t *ep);
int gx_epoch_member(const gx_epoch_t *ep);       /* self's index, -1: not a member */
gx_acs_t *gx_epoch_acs(gx_epoch_t *ep);          /* NULL when not a member */
uint64_t gx_epoch_next(const gx_epoch_t *ep);    /* the next epoch to agree */
/* The account shard this node proposes in epoch (gx_committee_shard). */
uint32_t gx_epoch_shard(const gx_epoch_t *ep, uint64_t epoch);

/* The engine's calls (gx_acs.h); without an engine they do nothing and
 * return GX_ACS_ERR_CONFIG. */
gx_acs_err_t gx_epoch_propose(gx_epoch_t *ep, uint64_t epoch, const uint8_t *value, uint32_t len);
gx_acs_err_t gx_epoch_on_message(gx_epoch_t *ep, unsigned member, const uint8_t *msg, size_t len);
#define GX_EPOCH_KEEP_PREV 4
/* A message from member of the previous committee (laggards); the
 * previous committee, or NULL when none is kept. */
gx_acs_err_t gx_epoch_on_prev_message(gx_epoch_t *ep, unsigned member, const uint8_t *msg, size_t len);
const gx_committee_t *gx_epoch_prev_committee(const gx_epoch_t *ep);
int gx_epoch_prev_member(const gx_epoch_t *ep);
void gx_epoch_tick(gx_epoch_t *ep);
int gx_epoch_active(const gx_epoch_t *ep, uint64_t epoch);
/* Catch-up: epochs before epoch were agreed elsewhere. */
void gx_epoch_skip_to(gx_epoch_t *ep, uint64_t epoch);

#endif
