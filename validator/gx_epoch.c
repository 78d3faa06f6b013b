#include "validator/gx_epoch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_assert.h"

typedef struct gx_epoch_engine {
  struct gx_epoch *owner;
  int slot;                 /* index in owner->eng */
  gx_committee_t committee; /* n == 0: none */
  int member;               /* self's index in it, -1: not a member */
  gx_coin_pub_t coin_pub;
  gx_acs_t *acs;
  void *acs_mem;
} gx_epoch_engine_t;

struct gx_epoch {
  gx_epoch_cfg_t cfg;
  gx_epoch_out_t out;
  gx_epoch_engine_t eng[2]; /* eng[cur]: the running committee's; the other: the one before */
  int cur;
  uint64_t next;            /* next epoch to agree when there is no engine */
};

#define GX_CUR(ep) (&(ep)->eng[(ep)->cur])
#define GX_PREV(ep) (&(ep)->eng[1 - (ep)->cur])

/* The engines' callbacks: sends leave tagged with their committee (0 the
 * running one, 1 the one before); only the running engine delivers. */
static void gx_epoch_engine_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  gx_epoch_engine_t *e = ctx;
  e->owner->out.send(e->owner->out.ctx, e->slot == e->owner->cur ? 0 : 1, dest, msg, len);
}
static void gx_epoch_engine_deliver(void *ctx, const gx_acs_batch_t *b) {
  gx_epoch_engine_t *e = ctx;
  if (e->slot == e->owner->cur) e->owner->out.deliver(e->owner->out.ctx, b);
}

static void gx_epoch_engine_decide(void *ctx, uint64_t epoch, unsigned instance, int value) {
  gx_epoch_engine_t *e = ctx;
  if (e->slot == e->owner->cur) e->owner->out.decide(e->owner->out.ctx, epoch, instance, value);
}

static void gx_epoch_engine_free(gx_epoch_engine_t *e) {
  if (e->acs) gx_acs_delete(e->acs);
  free(e->acs_mem);
  gx_epoch_t *owner = e->owner;
  int slot = e->slot;
  memset(e, 0, sizeof *e);
  e->owner = owner;
  e->slot = slot;
  e->member = -1;
}

gx_epoch_t *gx_epoch_new(const gx_epoch_cfg_t *cfg, const gx_epoch_out_t *out, char *err,
                         size_t errlen) {
  if (!cfg->max_proposal || !out->send || !out->deliver) {
    snprintf(err, errlen, "epoch driver: needs a proposal size and send/deliver callbacks");
    return NULL;
  }
  gx_epoch_t *ep = calloc(1, sizeof *ep);
  if (!ep) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  ep->cfg = *cfg;
  ep->out = *out;
  for (int i = 0; i < 2; i++) {
    ep->eng[i].owner = ep;
    ep->eng[i].slot = i;
    ep->eng[i].member = -1;
  }
  return ep;
}

void gx_epoch_delete(gx_epoch_t *ep) {
  if (!ep) return;
  gx_epoch_engine_free(&ep->eng[0]);
  gx_epoch_engine_free(&ep->eng[1]);
  free(ep);
}

int gx_epoch_join(gx_epoch_t *ep, const gx_committee_t *c, const gx_pubkey_t *self,
                  const gx_coin_secret_t *share, uint64_t next_epoch, char *err, size_t errlen) {
  if (GX_CUR(ep)->acs) ep->next = gx_acs_next_epoch(GX_CUR(ep)->acs);
  /* the running engine becomes the previous one (kept for laggards); the
   * engine before it goes */
  ep->cur = 1 - ep->cur;
  gx_epoch_engine_t *e = GX_CUR(ep);
  gx_epoch_engine_free(e);
  if (next_epoch != ep->next && GX_PREV(ep)->acs) gx_epoch_engine_free(GX_PREV(ep)); /* not a boundary we ran to */
  e->committee = *c;
  e->member = gx_committee_index(c, self);
  ep->next = next_epoch;
  if (e->member < 0) return 0; /* a follower: no engine */
  if (!share) {
    snprintf(err, errlen, "no coin key share for committee of epoch %llu",
             (unsigned long long)c->first_epoch);
    return -1;
  }
  gx_committee_coin_pub(c, &e->coin_pub);
  gx_acs_cfg_t ac;
  gx_acs_cfg_defaults(&ac);
  ac.n = c->n;
  ac.f = c->f;
  ac.self = (uint16_t)e->member;
  ac.max_proposal = ep->cfg.max_proposal;
  if (ep->cfg.epoch_slots) {
    ac.epoch_slots = ep->cfg.epoch_slots;
    ac.epoch_keep = ep->cfg.epoch_keep;
  }
  ac.coin_pub = &e->coin_pub;
  ac.coin_sec = share;
  ac.unsafe_ba_skip_conf = ep->cfg.unsafe_ba_skip_conf;
  size_t sz = gx_acs_footprint(&ac);
  if (!sz) {
    snprintf(err, errlen, "consensus engine refuses the committee of epoch %llu (n %u, f %u, member %d, "
             "coin share %u)", (unsigned long long)c->first_epoch, c->n, c->f, e->member, share->index);
    return -1;
  }
  if (!(e->acs_mem = aligned_alloc(64, (sz + 63) & ~(size_t)63))) {
    snprintf(err, errlen, "out of memory for the consensus engine of %u members", c->n);
    return -1;
  }
  gx_acs_out_t out = {e, gx_epoch_engine_send, gx_epoch_engine_deliver,
                      ep->out.decide ? gx_epoch_engine_decide : NULL};
  gx_acs_err_t r = gx_acs_new(&e->acs, e->acs_mem, sz, &ac, &out);
  if (r != GX_ACS_OK) {
    free(e->acs_mem);
    e->acs_mem = NULL;
    e->acs = NULL;
    snprintf(err, errlen, "consensus engine: %s", gx_acs_strerror(r));
    return -1;
  }
  if (next_epoch) gx_acs_skip_to(e->acs, next_epoch);
  GX_ASSERT(gx_acs_next_epoch(e->acs) == next_epoch, "a new engine starts at epoch %llu",
            (unsigned long long)next_epoch);
  return 0;
}

const gx_committee_t *gx_epoch_due(const gx_epoch_t *ep, const gx_members_t *m) {
  const gx_committee_t *c = gx_members_at(m, gx_epoch_next(ep));
  const gx_committee_t *run = &ep->eng[ep->cur].committee;
  if (!c || (run->n && gx_hash_eq(&c->id, &run->id))) return NULL;
  return c;
}

const gx_committee_t *gx_epoch_committee(const gx_epoch_t *ep) { return &ep->eng[ep->cur].committee; }
int gx_epoch_member(const gx_epoch_t *ep) { return ep->eng[ep->cur].member; }
gx_acs_t *gx_epoch_acs(gx_epoch_t *ep) { return GX_CUR(ep)->acs; }
const gx_committee_t *gx_epoch_prev_committee(const gx_epoch_t *ep) {
  const gx_epoch_engine_t *p = &ep->eng[1 - ep->cur];
  return p->acs ? &p->committee : NULL;
}
int gx_epoch_prev_member(const gx_epoch_t *ep) {
  const gx_epoch_engine_t *p = &ep->eng[1 - ep->cur];
  return p->acs ? p->member : -1;
}

uint64_t gx_epoch_next(const gx_epoch_t *ep) {
  const gx_epoch_engine_t *e = &ep->eng[ep->cur];
  return e->acs ? gx_acs_next_epoch(e->acs) : ep->next;
}

uint32_t gx_epoch_shard(const gx_epoch_t *ep, uint64_t epoch) {
  const gx_epoch_engine_t *e = &ep->eng[ep->cur];
  return e->member < 0 ? 0 : gx_committee_shard(&e->committee, (unsigned)e->member, epoch);
}

gx_acs_err_t gx_epoch_propose(gx_epoch_t *ep, uint64_t epoch, const uint8_t *value, uint32_t len) {
  return GX_CUR(ep)->acs ? gx_acs_propose(GX_CUR(ep)->acs, epoch, value, len) : GX_ACS_ERR_CONFIG;
}

gx_acs_err_t gx_epoch_on_message(gx_epoch_t *ep, unsigned member, const uint8_t *msg, size_t len) {
  return GX_CUR(ep)->acs ? gx_acs_on_message(GX_CUR(ep)->acs, member, msg, len) : GX_ACS_ERR_CONFIG;
}

gx_acs_err_t gx_epoch_on_prev_message(gx_epoch_t *ep, unsigned member, const uint8_t *msg, size_t len) {
  return GX_PREV(ep)->acs ? gx_acs_on_message(GX_PREV(ep)->acs, member, msg, len) : GX_ACS_ERR_CONFIG;
}

void gx_epoch_tick(gx_epoch_t *ep) {
  if (GX_CUR(ep)->acs) gx_acs_tick(GX_CUR(ep)->acs);
  gx_epoch_engine_t *p = GX_PREV(ep);
  if (p->acs) {
    if (gx_epoch_next(ep) >= GX_CUR(ep)->committee.first_epoch + GX_EPOCH_KEEP_PREV) gx_epoch_engine_free(p);
    else gx_acs_tick(p->acs);
  }
}

int gx_epoch_active(const gx_epoch_t *ep, uint64_t epoch) {
  const gx_epoch_engine_t *e = &ep->eng[ep->cur];
  return e->acs ? gx_acs_epoch_active(e->acs, epoch) : 0;
}

void gx_epoch_skip_to(gx_epoch_t *ep, uint64_t epoch) {
  if (GX_CUR(ep)->acs) gx_acs_skip_to(GX_CUR(ep)->acs, epoch);
  else if (epoch > ep->next) ep->next = epoch;
}
