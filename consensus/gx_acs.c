/* gx_acs: asynchronous common subset over epochs (see gx_acs.h). */
#include "consensus/gx_acs.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_assert.h"

typedef struct {
  uint64_t epoch;
  uint8_t used, proposed, forged;
  uint8_t active; /* a message was accepted (or we proposed) since the last tick */
  uint8_t heard;  /* any message for this epoch arrived since the last tick */
  uint64_t input_given, noted;
  unsigned ones;
  gx_rbc_enc_t *enc;
  gx_rbc_t *rbc;
  gx_ba_t *ba;
} gx_acs_epoch_t;

struct gx_acs {
  gx_acs_cfg_t cfg;
  gx_coin_pub_t pub;
  gx_coin_secret_t sec;
  gx_acs_out_t out;
  gx_cmsg_sink_t sink;
  uint64_t lo, next_out;
  gx_acs_epoch_t *slots;
  gx_acs_stats_t st;
  gx_rbc_coder_t coder;
};

static const char *const gx_acs_errs[GX_ACS_ERR_COUNT] = {
  [GX_ACS_OK] = "ok",
  [GX_ACS_ERR_CONFIG] = "bad configuration",
  [GX_ACS_ERR_MEM] = "memory missing, too small or misaligned",
  [GX_ACS_ERR_SIZE] = "proposal larger than max_proposal",
  [GX_ACS_ERR_EPOCH] = "epoch already output or outside the window",
  [GX_ACS_ERR_PROPOSED] = "already proposed in this epoch",
  [GX_ACS_DROP_DECODE] = "malformed datagram",
  [GX_ACS_DROP_SENDER] = "sender index out of range",
  [GX_ACS_DROP_INSTANCE] = "instance index out of range",
  [GX_ACS_DROP_STALE] = "epoch older than the window",
  [GX_ACS_DROP_FUTURE] = "epoch beyond the window",
  [GX_ACS_DROP_RBC] = "refused by the broadcast",
  [GX_ACS_DROP_BA] = "refused by the agreement",
};

const char *gx_acs_strerror(gx_acs_err_t err) {
  return (unsigned)err < GX_ACS_ERR_COUNT ? gx_acs_errs[err] : "unknown error";
}

void gx_acs_cfg_defaults(gx_acs_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->epoch_slots = 4;
  cfg->epoch_keep = 1;
  cfg->ba_max_rounds = 60;
}

static int gx_acs_cfg_ok(const gx_acs_cfg_t *c) {
  return c->n >= 1 && c->n <= GX_CONS_MAX_N && 3u * c->f + 1 <= c->n && c->self < c->n &&
         c->epoch_slots >= c->epoch_keep + 2 && c->epoch_slots <= 1024 && c->ba_max_rounds >= 3 &&
         c->ba_max_rounds <= GX_CMSG_MAX_ROUND + 1 && c->coin_pub && c->coin_sec &&
         c->coin_pub->n == c->n && c->coin_pub->f == c->f && c->coin_sec->index == c->self &&
         (uint64_t)c->max_proposal + 4 <= (uint64_t)GX_CMSG_MAX_STRIPE * (c->n - 2u * c->f);
}

#define GX_AL(x) (((x) + 63) & ~(size_t)63)

/* Lays the arena out (base == NULL: only measures). */
static size_t gx_acs_layout(const gx_acs_cfg_t *cfg, uint8_t *base) {
  unsigned n = cfg->n, f = cfg->f, k = n - 2 * f;
  uint32_t stride = gx_rbc_stride(n, f, cfg->max_proposal);
  size_t words = (gx_cmsg_frag_count(stride) + 63) / 64; /* stride >= stripe_max */
  size_t inst_fp = GX_AL((size_t)n * stride + (size_t)k * stride + n * words * 8);
  size_t ba_fp = GX_AL(gx_ba_footprint(f, cfg->ba_max_rounds));
  size_t off = GX_AL(sizeof(gx_acs_t));
  gx_acs_t *acs = (gx_acs_t *)base;
  size_t slots_off = off;
  off += GX_AL(cfg->epoch_slots * sizeof(gx_acs_epoch_t));
  size_t parity_off = off;
  off += GX_AL((size_t)(n - k) * stride);
  if (base) {
    acs->slots = (gx_acs_epoch_t *)(base + slots_off);
    acs->coder.parity = base + parity_off;
  }
  for (unsigned s = 0; s < cfg->epoch_slots; s++) {
    gx_acs_epoch_t *ep = base ? &acs->slots[s] : NULL;
    if (ep) ep->enc = (gx_rbc_enc_t *)(base + off);
    off += GX_AL(sizeof(gx_rbc_enc_t));
    if (ep) ep->enc->stripes = base + off;
    off += GX_AL((size_t)n * stride);
    if (ep) ep->rbc = (gx_rbc_t *)(base + off);
    off += GX_AL(n * sizeof(gx_rbc_t));
    if (ep) ep->ba = (gx_ba_t *)(base + off);
    off += GX_AL(n * sizeof(gx_ba_t));
    for (unsigned j = 0; j < n; j++) {
      if (ep) gx_rbc_inst_bind(&ep->rbc[j], &acs->coder, base + off);
      off += inst_fp;
      if (ep) gx_ba_bind(&ep->ba[j], base + off);
      off += ba_fp;
    }
  }
  return off;
}

size_t gx_acs_footprint(const gx_acs_cfg_t *cfg) {
  if (!gx_acs_cfg_ok(cfg)) return 0;
  return gx_acs_layout(cfg, NULL);
}

static void gx_acs_sink_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  gx_acs_t *acs = ctx;
  unsigned copies = dest == GX_CMSG_ALL ? acs->cfg.n - 1u : 1u;
  acs->st.msgs_out += copies;
  acs->st.bytes_out += copies * (uint64_t)len;
  acs->out.send(acs->out.ctx, dest, msg, len);
}

gx_acs_err_t gx_acs_new(gx_acs_t **out_acs, void *mem, size_t mem_sz, const gx_acs_cfg_t *cfg,
                        const gx_acs_out_t *out) {
  *out_acs = NULL;
  if (!gx_acs_cfg_ok(cfg) || !out || !out->send || !out->deliver) return GX_ACS_ERR_CONFIG;
  if (!mem || ((uintptr_t)mem & 63) || mem_sz < gx_acs_layout(cfg, NULL)) return GX_ACS_ERR_MEM;
  gx_acs_t *acs = mem;
  memset(acs, 0, sizeof *acs);
  acs->cfg = *cfg;
  acs->pub = *cfg->coin_pub;
  acs->sec = *cfg->coin_sec;
  acs->cfg.coin_pub = &acs->pub;
  acs->cfg.coin_sec = &acs->sec;
  acs->out = *out;
  acs->sink.ctx = acs;
  acs->sink.send = gx_acs_sink_send;
  if (gx_rbc_coder_init(&acs->coder, cfg->n, cfg->f, cfg->self, cfg->max_proposal, NULL) != 0)
    return GX_ACS_ERR_CONFIG;
  gx_acs_layout(cfg, mem); /* binds slots, instance buffers and the coder's parity */
  for (unsigned s = 0; s < cfg->epoch_slots; s++) acs->slots[s].used = 0;
  *out_acs = acs;
  return GX_ACS_OK;
}

void gx_acs_delete(gx_acs_t *acs) {
  if (acs) sodium_memzero(&acs->sec, sizeof acs->sec);
}

uint64_t gx_acs_next_epoch(const gx_acs_t *acs) { return acs->next_out; }
int gx_acs_epoch_active(const gx_acs_t *acs, uint64_t epoch) {
  if (epoch < acs->lo || epoch >= acs->lo + acs->cfg.epoch_slots) return 0;
  const gx_acs_epoch_t *ep = &acs->slots[epoch % acs->cfg.epoch_slots];
  return ep->used && ep->epoch == epoch;
}
const gx_acs_stats_t *gx_acs_stats(const gx_acs_t *acs) { return &acs->st; }

void gx_acs_window(const gx_acs_t *acs, uint64_t *lo, uint64_t *hi) {
  *lo = acs->lo;
  *hi = acs->lo + acs->cfg.epoch_slots;
}

static void gx_acs_try_output(gx_acs_t *acs);

/* Moves the next epoch to output forward to next and the window's low end
 * with it (keeping epoch_keep finished epochs). Both only ever grow, and the
 * window always holds the next epoch to output. */
static void gx_acs_advance(gx_acs_t *acs, uint64_t next) {
  uint64_t lo = acs->lo;
  GX_ASSERT(next > acs->next_out, "next epoch to output moves from %llu to %llu",
            (unsigned long long)acs->next_out, (unsigned long long)next);
  acs->next_out = next;
  if (next > acs->cfg.epoch_keep && next - acs->cfg.epoch_keep > acs->lo)
    acs->lo = next - acs->cfg.epoch_keep;
  GX_ASSERT(acs->lo >= lo && acs->lo <= next && next - acs->lo <= acs->cfg.epoch_keep,
            "epoch window [%llu, +%u) moved from low end %llu around next epoch %llu",
            (unsigned long long)acs->lo, acs->cfg.epoch_slots, (unsigned long long)lo,
            (unsigned long long)next);
}

gx_acs_err_t gx_acs_skip_to(gx_acs_t *acs, uint64_t epoch) {
  if (epoch <= acs->next_out) return GX_ACS_ERR_EPOCH;
  gx_acs_advance(acs, epoch);
  gx_acs_try_output(acs);
  return GX_ACS_OK;
}

static gx_ba_ctx_t gx_acs_ba_ctx(gx_acs_t *acs, uint64_t epoch) {
  gx_ba_ctx_t c = {
    .n = acs->cfg.n, .f = acs->cfg.f, .self = acs->cfg.self,
    .max_rounds = acs->cfg.ba_max_rounds, .epoch = epoch,
    .pub = &acs->pub, .sec = &acs->sec, .sink = &acs->sink,
    .coin_verifies = &acs->st.coin_verifies, .coin_combines = &acs->st.coin_combines,
    .unsafe_skip_conf = acs->cfg.unsafe_ba_skip_conf,
  };
  return c;
}

/* The slot holding epoch e, started fresh if needed; NULL outside the window. */
static gx_acs_epoch_t *gx_acs_slot(gx_acs_t *acs, uint64_t e, gx_acs_err_t *why) {
  if (e < acs->lo) { *why = GX_ACS_DROP_STALE; return NULL; }
  if (e - acs->lo >= acs->cfg.epoch_slots) { *why = GX_ACS_DROP_FUTURE; return NULL; }
  gx_acs_epoch_t *ep = &acs->slots[e % acs->cfg.epoch_slots];
  if (!ep->used || ep->epoch != e) {
    /* the window never moves back, so a recycled slot's epoch has left it */
    GX_ASSERT(!ep->used || ep->epoch < acs->lo,
              "starting epoch %llu in the slot of epoch %llu, still in the window from %llu",
              (unsigned long long)e, (unsigned long long)ep->epoch, (unsigned long long)acs->lo);
    gx_ba_ctx_t c = gx_acs_ba_ctx(acs, e);
    ep->epoch = e;
    ep->used = 1;
    ep->proposed = ep->forged = 0;
    ep->active = ep->heard = 0;
    ep->input_given = ep->noted = 0;
    ep->ones = 0;
    for (unsigned j = 0; j < acs->cfg.n; j++) {
      gx_rbc_reset(&ep->rbc[j], (uint16_t)j);
      gx_ba_reset(&ep->ba[j], &c, (uint16_t)j);
    }
  }
  return ep;
}

/* Feeds RBC verdicts and N-f rule into the agreements until nothing changes. */
static void gx_acs_settle(gx_acs_t *acs, gx_acs_epoch_t *ep) {
  unsigned n = acs->cfg.n, f = acs->cfg.f;
  gx_ba_ctx_t c = gx_acs_ba_ctx(acs, ep->epoch);
  int changed;
  do {
    changed = 0;
    for (unsigned j = 0; j < n; j++) {
      uint64_t bit = 1ull << j;
      if (ep->rbc[j].done && !(ep->input_given & bit)) {
        ep->input_given |= bit;
        gx_ba_input(&ep->ba[j], &c, ep->rbc[j].done == GX_RBC_DONE_VALUE);
        changed = 1;
      }
      if (ep->ba[j].decided >= 0 && !(ep->noted & bit)) {
        ep->noted |= bit;
        if (ep->ba[j].decided == 1) ep->ones++;
        if (acs->out.decide) acs->out.decide(acs->out.ctx, ep->epoch, j, ep->ba[j].decided);
        changed = 1;
      }
    }
    if (ep->ones >= n - f)
      for (unsigned j = 0; j < n; j++)
        if (!(ep->input_given >> j & 1)) {
          ep->input_given |= 1ull << j;
          gx_ba_input(&ep->ba[j], &c, 0);
          changed = 1;
        }
  } while (changed);
}

static void gx_acs_try_output(gx_acs_t *acs) {
  unsigned n = acs->cfg.n;
  for (;;) {
    uint64_t e = acs->next_out;
    if (e < acs->lo || e - acs->lo >= acs->cfg.epoch_slots) return;
    gx_acs_epoch_t *ep = &acs->slots[e % acs->cfg.epoch_slots];
    if (!ep->used || ep->epoch != e) return;
    uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
    if (ep->noted != all) return;
    gx_acs_batch_t b;
    b.epoch = e;
    b.count = 0;
    for (unsigned j = 0; j < n; j++) {
      if (ep->ba[j].decided != 1) continue;
      if (!ep->rbc[j].done) return; /* value still on its way */
      if (ep->rbc[j].done != GX_RBC_DONE_VALUE) continue; /* impossible: BA validity */
      b.proposer[b.count] = (uint16_t)j;
      b.value[b.count] = ep->rbc[j].value;
      b.len[b.count] = ep->rbc[j].value_len;
      b.count++;
    }
    /* ACS: at most f BAs get 0 before n-f decided 1 (only bad broadcasts,
     * which only Byzantine proposers cause), so a finished epoch holds at
     * least n-f values while at most f nodes are Byzantine */
    GX_ASSERT(b.count >= n - acs->cfg.f && b.count <= n,
              "epoch %llu delivers %u proposals, fewer than n-f = %u", (unsigned long long)e, b.count,
              n - acs->cfg.f);
    acs->st.epochs_output++;
    gx_acs_advance(acs, e + 1);
    acs->out.deliver(acs->out.ctx, &b);
  }
}

/* Loop-back sink for our own VAL: decode and feed our own RBC instance. */
typedef struct { gx_acs_t *acs; gx_acs_epoch_t *ep; } gx_acs_loop_t;
static void gx_acs_loop_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  gx_acs_loop_t *l = ctx;
  gx_cmsg_t m;
  (void)dest;
  if (gx_cmsg_decode(&m, msg, len) != GX_CMSG_OK) return;
  gx_rbc_on_frag(&l->ep->rbc[m.instance], &l->acs->coder, l->ep->epoch, l->acs->cfg.self, &m,
                 &l->acs->sink);
}

gx_acs_err_t gx_acs_propose(gx_acs_t *acs, uint64_t epoch, const uint8_t *value, uint32_t len) {
  if (len > acs->cfg.max_proposal) return GX_ACS_ERR_SIZE;
  if (epoch < acs->next_out) return GX_ACS_ERR_EPOCH;
  gx_acs_err_t why;
  gx_acs_epoch_t *ep = gx_acs_slot(acs, epoch, &why);
  if (!ep) return GX_ACS_ERR_EPOCH;
  if (ep->proposed || ep->forged) return GX_ACS_ERR_PROPOSED;
  memcpy(ep->enc->stripes, value, len); /* ours to re-send until the epoch is freed */
  if (gx_rbc_encode(&acs->coder, ep->enc, ep->enc->stripes, len) != 0) return GX_ACS_ERR_SIZE;
  ep->proposed = 1;
  ep->active = 1;
  unsigned self = acs->cfg.self;
  for (unsigned j = 0; j < acs->cfg.n; j++)
    if (j != self) gx_rbc_send_val(ep->enc, epoch, (uint16_t)self, j, &acs->sink);
  gx_acs_loop_t l = {acs, ep};
  gx_cmsg_sink_t loop = {&l, gx_acs_loop_send};
  gx_rbc_send_val(ep->enc, epoch, (uint16_t)self, self, &loop);
  gx_acs_settle(acs, ep);
  gx_acs_try_output(acs);
  return GX_ACS_OK;
}

gx_acs_err_t gx_acs_send_forged_val(gx_acs_t *acs, uint64_t epoch, const uint8_t *value,
                                    uint32_t len, unsigned dest, int damage_stripe) {
  gx_acs_err_t why;
  if (dest >= acs->cfg.n || dest == acs->cfg.self) return GX_ACS_ERR_CONFIG;
  gx_acs_epoch_t *ep = gx_acs_slot(acs, epoch, &why);
  if (!ep) return GX_ACS_ERR_EPOCH;
  if (ep->proposed) return GX_ACS_ERR_PROPOSED;
  if (len > acs->cfg.max_proposal) return GX_ACS_ERR_SIZE;
  memcpy(ep->enc->stripes, value, len);
  if (gx_rbc_encode(&acs->coder, ep->enc, ep->enc->stripes, len) != 0) return GX_ACS_ERR_SIZE;
  if (damage_stripe >= 0 && (unsigned)damage_stripe < acs->cfg.n) {
    ep->enc->data[damage_stripe][0] ^= 0x5a;
    if (gx_rbc_recommit(&acs->coder, ep->enc) != 0) return GX_ACS_ERR_SIZE;
  }
  ep->forged = 1;
  gx_rbc_send_val(ep->enc, epoch, acs->cfg.self, dest, &acs->sink);
  return GX_ACS_OK;
}

gx_acs_err_t gx_acs_on_message(gx_acs_t *acs, unsigned sender, const uint8_t *msg, size_t len) {
  gx_acs_err_t why = GX_ACS_OK;
  gx_cmsg_t m;
  acs->st.msgs_in++;
  if (sender >= acs->cfg.n || sender == acs->cfg.self) { why = GX_ACS_DROP_SENDER; goto drop; }
  gx_cmsg_err_t de = gx_cmsg_decode(&m, msg, len);
  if (de != GX_CMSG_OK) { acs->st.decode[de]++; why = GX_ACS_DROP_DECODE; goto drop; }
  if (m.instance >= acs->cfg.n) { why = GX_ACS_DROP_INSTANCE; goto drop; }
  gx_acs_epoch_t *ep = gx_acs_slot(acs, m.epoch, &why);
  if (!ep) goto drop;
  ep->heard = 1;
  if (m.type == GX_CMSG_RBC_VAL || m.type == GX_CMSG_RBC_ECHO || m.type == GX_CMSG_RBC_READY) {
    gx_rbc_t *r = &ep->rbc[m.instance];
    gx_rbc_res_t rr = m.type == GX_CMSG_RBC_READY
                          ? gx_rbc_on_ready(r, &acs->coder, m.epoch, sender, &m, &acs->sink)
                          : gx_rbc_on_frag(r, &acs->coder, m.epoch, sender, &m, &acs->sink);
    acs->st.rbc[rr]++;
    if (rr == GX_RBC_DELIVERED && r->done == GX_RBC_DONE_BAD) acs->st.rbc_bad++;
    if (rr > GX_RBC_DELIVERED) why = GX_ACS_DROP_RBC;
  } else {
    gx_ba_ctx_t c = gx_acs_ba_ctx(acs, m.epoch);
    gx_ba_t *ba = &ep->ba[m.instance];
    gx_ba_res_t br = gx_ba_on_msg(ba, &c, sender, &m);
    acs->st.ba[br]++;
    if (ba->stalled) acs->st.ba_stalled++;
    if (ba->round > acs->st.ba_max_round) acs->st.ba_max_round = ba->round;
    if (br > GX_BA_DECIDED) why = GX_ACS_DROP_BA;
  }
  if (why == GX_ACS_OK) ep->active = 1;
  gx_acs_settle(acs, ep);
  gx_acs_try_output(acs);
  if (why == GX_ACS_OK) return GX_ACS_OK;
drop:
  acs->st.drop[why]++;
  return why;
}

void gx_acs_tick(gx_acs_t *acs) {
  unsigned n = acs->cfg.n, self = acs->cfg.self;
  for (uint64_t e = acs->lo; e < acs->lo + acs->cfg.epoch_slots; e++) {
    gx_acs_epoch_t *ep = &acs->slots[e % acs->cfg.epoch_slots];
    if (!ep->used || ep->epoch != e) continue;
    /* An epoch that accepted a message since the last tick is moving: no
     * re-send yet (a big epoch re-sent whole every tick floods the links and
     * slows itself further). Each peer sends an epoch finitely many distinct
     * messages (copies are refused, not accepted), so a stuck epoch goes
     * quiet and gets its re-send one tick later. */
    int moving = ep->active, asked = ep->heard;
    ep->active = ep->heard = 0;
    if (moving) continue;
    /* A finished epoch is re-sent only while some peer still talks about it
     * (one that lags, or lost our messages); otherwise every finished epoch
     * kept for laggards would be re-sent whole on every tick. */
    if (e < acs->next_out && !asked) continue;
    if (ep->proposed) /* a peer whose valid ECHO we hold has its VAL already */
      for (unsigned j = 0; j < n; j++)
        if (j != self && ep->rbc[self].slot[j].state != GX_RBC_SLOT_VALID)
          gx_rbc_send_val(ep->enc, e, (uint16_t)self, j, &acs->sink);
    gx_ba_ctx_t c = gx_acs_ba_ctx(acs, e);
    for (unsigned j = 0; j < n; j++) {
      gx_rbc_resend(&ep->rbc[j], &acs->coder, e, &acs->sink);
      if (ep->ba[j].input >= 0 || ep->ba[j].decided >= 0) gx_ba_resend(&ep->ba[j], &c);
    }
  }
}
