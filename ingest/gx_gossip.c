#include "ingest/gx_gossip.h"

#include <string.h>

void gx_gossip_cfg_defaults(gx_gossip_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->fanout = 3;
  cfg->seed = 1;
}

int gx_gossip_init(gx_gossip_t *g, const gx_gossip_cfg_t *cfg, gx_gossip_emit_fn emit,
                   void *ctx) {
  if (cfg->n_peers < 0 || cfg->n_peers > GX_GOSSIP_MAX_PEERS || cfg->fanout < 1 ||
      cfg->fanout > GX_GOSSIP_MAX_FANOUT || !emit)
    return -1;
  memset(g, 0, sizeof *g);
  g->cfg = *cfg;
  g->rng = cfg->seed ? cfg->seed : 0x9E3779B97F4A7C15ull; /* xorshift state must be non-zero */
  g->emit = emit;
  g->ctx = ctx;
  return 0;
}

static uint64_t gx_gossip_rand(gx_gossip_t *g) { /* xorshift64* */
  g->rng ^= g->rng >> 12;
  g->rng ^= g->rng << 25;
  g->rng ^= g->rng >> 27;
  return g->rng * 0x2545F4914F6CDD1Dull;
}

static void gx_gossip_emit_peer(gx_gossip_t *g, int p) {
  gx_gossip_pending_t *pd = &g->pend[p];
  if (!pd->count) return;
  /* the pending buffer holds the transfers after a 4-byte header gap */
  size_t len = GX_BATCH_HDR_SZ + (size_t)pd->count * GX_XFER_SZ;
  pd->buf[0] = GX_PROTO_VERSION;
  pd->buf[1] = GX_MSG_TX_BATCH;
  pd->buf[2] = pd->count;
  pd->buf[3] = pd->hops;
  g->emit(g->ctx, &g->cfg.peers[p], pd->buf, len);
  g->datagrams++;
  pd->count = 0;
  pd->hops = 0;
}

int gx_gossip_add(gx_gossip_t *g, const uint8_t enc[GX_XFER_SZ], uint8_t hops) {
  if (g->cfg.n_peers == 0) return 0;
  if (hops >= GX_BATCH_MAX_HOPS) {
    g->hops_exceeded++;
    return 0;
  }
  uint8_t out_hops = (uint8_t)(hops + 1);
  int n = g->cfg.n_peers, k = (int)g->cfg.fanout < n ? (int)g->cfg.fanout : n;
  uint8_t idx[GX_GOSSIP_MAX_PEERS];
  for (int i = 0; i < n; i++) idx[i] = (uint8_t)i;
  for (int i = 0; i < k; i++) {
    int j = i + (int)(gx_gossip_rand(g) % (uint64_t)(n - i));
    uint8_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    gx_gossip_pending_t *pd = &g->pend[idx[i]];
    memcpy(pd->buf + GX_BATCH_HDR_SZ + (size_t)pd->count * GX_XFER_SZ, enc, GX_XFER_SZ);
    pd->count++;
    if (out_hops > pd->hops) pd->hops = out_hops;
    g->copies++;
    if (pd->count == GX_BATCH_MAX) gx_gossip_emit_peer(g, idx[i]);
  }
  g->forwarded++;
  return k;
}

void gx_gossip_flush(gx_gossip_t *g) {
  for (int p = 0; p < g->cfg.n_peers; p++) gx_gossip_emit_peer(g, p);
}
