/* gx_ba: binary agreement (see gx_ba.h). */
#include "consensus/gx_ba.h"

#include <string.h>

#include "core/gx_assert.h"

static const char *const gx_ba_res_names[GX_BA_RES_COUNT] = {
  [GX_BA_OK] = "ok",
  [GX_BA_DECIDED] = "decided",
  [GX_BA_DROP_ROUND] = "round beyond the configured maximum",
  [GX_BA_DROP_DUP] = "duplicate vote",
  [GX_BA_DROP_SHARE] = "coin share proof failed",
  [GX_BA_DROP_DONE] = "instance terminated",
};

const char *gx_ba_strerror(gx_ba_res_t r) {
  return (unsigned)r < GX_BA_RES_COUNT ? gx_ba_res_names[r] : "unknown";
}

size_t gx_ba_round_stride(unsigned f) {
  size_t s = sizeof(gx_ba_round_t) + (f + 1) * (2 + 32);
  return (s + 7) & ~(size_t)7;
}

size_t gx_ba_footprint(unsigned f, uint16_t max_rounds) {
  return gx_ba_round_stride(f) * max_rounds;
}

void gx_ba_bind(gx_ba_t *ba, uint8_t *mem) { ba->rounds = mem; }

static gx_ba_round_t *gx_ba_rd(const gx_ba_t *ba, const gx_ba_ctx_t *ctx, unsigned r) {
  GX_ASSERT(r < ctx->max_rounds, "BA %u: round %u outside its %u-round arena", ba->instance, r,
            ctx->max_rounds);
  return (gx_ba_round_t *)(ba->rounds + gx_ba_round_stride(ctx->f) * r);
}
static uint16_t *gx_ba_share_idx(gx_ba_round_t *rd) { return (uint16_t *)(rd + 1); }
static uint8_t (*gx_ba_share_pt(gx_ba_round_t *rd, unsigned f))[32] {
  return (uint8_t(*)[32])((uint8_t *)(rd + 1) + 2 * (f + 1));
}

void gx_ba_reset(gx_ba_t *ba, const gx_ba_ctx_t *ctx, uint16_t instance) {
  /* the owner validated the committee: thresholds assume n >= 3f+1, votes are u64 bitmaps */
  GX_ASSERT(ctx->n >= 3 * ctx->f + 1 && ctx->n <= 64 && ctx->self < ctx->n,
            "BA %u set up with n=%u f=%u self=%u (needs n >= 3f+1, n <= 64, self < n)", instance,
            ctx->n, ctx->f, ctx->self);
  ba->instance = instance;
  ba->round = 0;
  ba->input = ba->est = ba->decided = -1;
  ba->stalled = 0;
  ba->term[0] = ba->term[1] = 0;
  for (unsigned r = 0; r < ctx->max_rounds; r++) {
    gx_ba_round_t *rd = gx_ba_rd(ba, ctx, r);
    memset(rd, 0, sizeof *rd);
    rd->coin = -1;
  }
}

static void gx_ba_send_vote(const gx_ba_t *ba, const gx_ba_ctx_t *ctx, uint8_t type,
                            uint16_t round, uint8_t value) {
  uint8_t buf[GX_CMSG_MAX];
  size_t n = gx_cmsg_encode_vote(buf, type, ctx->epoch, ba->instance, round, value);
  if (n) ctx->sink->send(ctx->sink->ctx, GX_CMSG_ALL, buf, n);
}

static void gx_ba_send_share(const gx_ba_t *ba, const gx_ba_ctx_t *ctx, uint16_t round,
                             gx_coin_share_t *sh_out) {
  uint8_t h[32], buf[GX_CMSG_MAX];
  gx_coin_share_t sh;
  gx_coin_name(h, ctx->epoch, ba->instance, round);
  if (gx_coin_share_make(&sh, ctx->pub, ctx->sec, h) != GX_COIN_OK) return;
  if (sh_out) *sh_out = sh;
  size_t n = gx_cmsg_encode_coin(buf, ctx->epoch, ba->instance, round, sh.share, sh.c, sh.z);
  if (n) ctx->sink->send(ctx->sink->ctx, GX_CMSG_ALL, buf, n);
}

static unsigned gx_pop(uint64_t x) { return (unsigned)__builtin_popcountll(x); }

static void gx_ba_store_share(gx_ba_round_t *rd, unsigned f, unsigned from, const uint8_t pt[32]) {
  if (rd->nshares > f) return;
  gx_ba_share_idx(rd)[rd->nshares] = (uint16_t)from;
  memcpy(gx_ba_share_pt(rd, f)[rd->nshares], pt, 32);
  rd->nshares++;
}

static gx_ba_res_t gx_ba_decide(gx_ba_t *ba, const gx_ba_ctx_t *ctx, int b) {
  /* callers only decide an undecided instance (progress returns early once decided) */
  GX_ASSERT(ba->decided < 0 && (b == 0 || b == 1), "BA %u decides %d after deciding %d",
            ba->instance, b, ba->decided);
  ba->decided = (int8_t)b;
  ba->term[b] |= 1ull << ctx->self;
  gx_ba_send_vote(ba, ctx, GX_CMSG_BA_TERM, 0, (uint8_t)b);
  return GX_BA_DECIDED;
}

/* Runs the rounds as far as the received messages allow. */
static gx_ba_res_t gx_ba_progress(gx_ba_t *ba, const gx_ba_ctx_t *ctx) {
  unsigned n = ctx->n, f = ctx->f;
  uint64_t me = 1ull << ctx->self;
  for (int b = 0; b < 2; b++)
    if (ba->decided < 0 && gx_pop(ba->term[b]) >= f + 1) return gx_ba_decide(ba, ctx, b);
  if (ba->decided >= 0 || ba->est < 0) return GX_BA_OK;
  for (;;) {
    if (ba->round >= ctx->max_rounds) { ba->stalled = 1; return GX_BA_OK; }
    uint16_t r = ba->round;
    gx_ba_round_t *rd = gx_ba_rd(ba, ctx, r);
    if (!(rd->sent_bval >> ba->est & 1)) {
      rd->sent_bval |= (uint8_t)(1u << ba->est);
      rd->bval[ba->est] |= me;
      gx_ba_send_vote(ba, ctx, GX_CMSG_BA_BVAL, r, (uint8_t)ba->est);
    }
    for (int b = 0; b < 2; b++) {
      unsigned cnt = gx_pop(rd->bval[b] | ba->term[b]);
      if (cnt >= f + 1 && !(rd->sent_bval >> b & 1)) {
        rd->sent_bval |= (uint8_t)(1u << b);
        rd->bval[b] |= me;
        gx_ba_send_vote(ba, ctx, GX_CMSG_BA_BVAL, r, (uint8_t)b);
        cnt = gx_pop(rd->bval[b] | ba->term[b]);
      }
      if (cnt >= 2 * f + 1) rd->bin_values |= (uint8_t)(1u << b);
    }
    if (!rd->bin_values) return GX_BA_OK;
    if (!rd->sent_aux) {
      int w = (rd->bin_values >> ba->est & 1) ? ba->est : (rd->bin_values & 1) ? 0 : 1;
      rd->sent_aux = (uint8_t)(1 + w);
      rd->aux[w] |= me;
      gx_ba_send_vote(ba, ctx, GX_CMSG_BA_AUX, r, (uint8_t)w);
    }
    if (!rd->sent_conf) {
      uint64_t who = 0;
      uint8_t vals = 0;
      for (int b = 0; b < 2; b++)
        if (rd->bin_values >> b & 1) {
          uint64_t s = rd->aux[b] | ba->term[b];
          if (s) vals |= (uint8_t)(1u << b);
          who |= s;
        }
      if (gx_pop(who) < n - f) return GX_BA_OK;
      rd->sent_conf = vals;
      rd->conf_got |= me;
      for (int b = 0; b < 2; b++)
        if (vals >> b & 1) rd->conf_has[b] |= me;
      if (!ctx->unsafe_skip_conf) gx_ba_send_vote(ba, ctx, GX_CMSG_BA_CONF, r, vals);
    }
    if (!rd->coin_out) {
      if (ctx->unsafe_skip_conf) {
        rd->vals = rd->sent_conf; /* the un-fixed BA: the AUX-phase set */
      } else {
        /* N-f CONF whose sets lie inside bin_values (TERM(b) = CONF({b})).
         * vals = {b} only when N-f of them are exactly {b}, else {0,1}: a
         * node that finishes AUX after the coin is out cannot pick a
         * singleton against it, since N-f CONFs include an honest one sent
         * before the coin was known (HoneyBadgerBFT-Python's rule). */
        uint64_t outside = 0, only[2];
        for (int b = 0; b < 2; b++)
          if (!(rd->bin_values >> b & 1)) outside |= rd->conf_has[b];
        uint64_t ok = rd->conf_got & ~outside;
        for (int b = 0; b < 2; b++) {
          only[b] = 0;
          if (!(rd->bin_values >> b & 1)) continue;
          only[b] = (rd->conf_has[b] & ~rd->conf_has[!b]) | ba->term[b];
          ok |= ba->term[b];
        }
        if (gx_pop(only[1]) >= n - f) rd->vals = 2;
        else if (gx_pop(only[0]) >= n - f) rd->vals = 1;
        else if (gx_pop(ok) >= n - f) rd->vals = 3;
        else return GX_BA_OK;
      }
      rd->coin_out = 1;
      int fixed = gx_ba_fixed_coin(r);
      if (fixed >= 0) {
        rd->coin = (int8_t)fixed;
      } else {
        gx_coin_share_t sh;
        memset(&sh, 0, sizeof sh);
        gx_ba_send_share(ba, ctx, r, &sh);
        if (!(rd->share_from & me)) {
          rd->share_from |= me;
          gx_ba_store_share(rd, f, ctx->self, sh.share);
        }
      }
    }
    if (rd->coin < 0) {
      if (rd->nshares < f + 1) return GX_BA_OK;
      uint8_t pt[32];
      int bit;
      if (gx_coin_combine(pt, &bit, ctx->pub, gx_ba_share_idx(rd),
                          (const uint8_t(*)[32])gx_ba_share_pt(rd, f), f + 1) != GX_COIN_OK)
        return GX_BA_OK; /* cannot happen with verified shares */
      if (ctx->coin_combines) (*ctx->coin_combines)++;
      rd->coin = (int8_t)bit;
    }
    /* end of round: vals only ever holds values of bin_values (each had 2f+1
     * BVALs, so an honest node proposed it), and so does a decision */
    uint8_t vals = rd->vals;
    GX_ASSERT(vals != 0 && (vals & ~rd->bin_values) == 0 && (rd->coin == 0 || rd->coin == 1),
              "BA %u round %u ends with vals %u outside bin_values %u (coin %d)", ba->instance, r,
              vals, rd->bin_values, rd->coin);
    if (vals == 1 || vals == 2) {
      int b = vals == 2;
      ba->est = (int8_t)b;
      if (b == rd->coin) return gx_ba_decide(ba, ctx, b);
    } else {
      ba->est = rd->coin;
    }
    ba->round++;
  }
}

gx_ba_res_t gx_ba_input(gx_ba_t *ba, const gx_ba_ctx_t *ctx, int value) {
  if (ba->input >= 0) return GX_BA_OK;
  ba->input = (int8_t)(value ? 1 : 0);
  if (ba->est < 0) ba->est = ba->input;
  return gx_ba_progress(ba, ctx);
}

gx_ba_res_t gx_ba_on_msg(gx_ba_t *ba, const gx_ba_ctx_t *ctx, unsigned sender,
                         const gx_cmsg_t *m) {
  /* the owner checked the sender; the decoder checked the vote's value range */
  GX_ASSERT(sender < ctx->n && (m->type == GX_CMSG_BA_CONF || m->type == GX_CMSG_COIN || m->u.vote.value <= 1),
            "BA %u given a message from sender %u of %u, type %u value %u", ba->instance, sender,
            ctx->n, m->type, m->u.vote.value);
  uint64_t bit = 1ull << sender;
  if (m->type == GX_CMSG_BA_TERM) {
    int b = m->u.vote.value;
    if ((ba->term[0] | ba->term[1]) & bit) return GX_BA_DROP_DUP;
    ba->term[b] |= bit;
    return ba->decided >= 0 ? GX_BA_OK : gx_ba_progress(ba, ctx);
  }
  if (ba->decided >= 0) return GX_BA_DROP_DONE;
  uint16_t r = m->type == GX_CMSG_COIN ? m->u.coin.round : m->u.vote.round;
  if (r >= ctx->max_rounds) return GX_BA_DROP_ROUND;
  if (r < ba->round) return GX_BA_DROP_DUP; /* finished round: nothing left to learn */
  gx_ba_round_t *rd = gx_ba_rd(ba, ctx, r);
  switch (m->type) {
  case GX_CMSG_BA_BVAL:
    if (rd->bval[m->u.vote.value] & bit) return GX_BA_DROP_DUP;
    rd->bval[m->u.vote.value] |= bit;
    break;
  case GX_CMSG_BA_AUX:
    if ((rd->aux[0] | rd->aux[1]) & bit) return GX_BA_DROP_DUP;
    rd->aux[m->u.vote.value] |= bit;
    break;
  case GX_CMSG_BA_CONF:
    if (rd->conf_got & bit) return GX_BA_DROP_DUP;
    rd->conf_got |= bit;
    for (int b = 0; b < 2; b++)
      if (m->u.vote.value >> b & 1) rd->conf_has[b] |= bit;
    break;
  case GX_CMSG_COIN: {
    if (gx_ba_fixed_coin(r) >= 0) return GX_BA_DROP_ROUND; /* no shares in fixed rounds */
    if ((rd->share_from & bit) || rd->nshares > ctx->f) return GX_BA_DROP_DUP;
    uint8_t h[32];
    gx_coin_share_t sh;
    memcpy(sh.share, m->u.coin.share, 32);
    memcpy(sh.c, m->u.coin.c, 32);
    memcpy(sh.z, m->u.coin.z, 32);
    gx_coin_name(h, ctx->epoch, ba->instance, r);
    if (ctx->coin_verifies) (*ctx->coin_verifies)++;
    if (gx_coin_share_verify(ctx->pub, sender, h, &sh) != GX_COIN_OK) return GX_BA_DROP_SHARE;
    rd->share_from |= bit;
    gx_ba_store_share(rd, ctx->f, sender, sh.share);
    break;
  }
  default:
    return GX_BA_OK;
  }
  return gx_ba_progress(ba, ctx);
}

void gx_ba_resend(const gx_ba_t *ba, const gx_ba_ctx_t *ctx) {
  if (ba->decided >= 0) {
    gx_ba_send_vote(ba, ctx, GX_CMSG_BA_TERM, 0, (uint8_t)ba->decided);
    return;
  }
  for (unsigned r = 0; r <= ba->round && r < ctx->max_rounds; r++) {
    const gx_ba_round_t *rd = gx_ba_rd(ba, ctx, r);
    for (int b = 0; b < 2; b++)
      if (rd->sent_bval >> b & 1) gx_ba_send_vote(ba, ctx, GX_CMSG_BA_BVAL, (uint16_t)r, (uint8_t)b);
    if (rd->sent_aux) gx_ba_send_vote(ba, ctx, GX_CMSG_BA_AUX, (uint16_t)r, (uint8_t)(rd->sent_aux - 1));
    if (rd->sent_conf && !ctx->unsafe_skip_conf)
      gx_ba_send_vote(ba, ctx, GX_CMSG_BA_CONF, (uint16_t)r, rd->sent_conf);
    if (rd->coin_out && gx_ba_fixed_coin((uint16_t)r) < 0) gx_ba_send_share(ba, ctx, (uint16_t)r, NULL);
  }
}
