/* libFuzzer: one ACS node (N = 4, f = 1, node 0) fed an arbitrary sequence of
 * datagrams from arbitrary senders, with ticks and its own proposals mixed in.
 * Records: [op u8][sender u8][len u16 LE][len bytes]. op % 8 == 0 ticks, op %
 * 8 == 1 proposes the record's bytes in epoch `sender`, otherwise the bytes
 * are a datagram from sender. Any memory error or UB is a finding. */
#include "consensus/gx_acs.h"
#include "core/gx_util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gx_coin_pub_t fz_pub;
static gx_coin_secret_t fz_sec[4];
static void *fz_mem;
static size_t fz_sz;
static gx_acs_cfg_t fz_cfg;
static uint64_t fz_sent;

static void fz_send(void *ctx, int dest, const uint8_t *msg, size_t len) {
  (void)ctx;
  (void)dest;
  gx_cmsg_t m;
  if (gx_cmsg_decode(&m, msg, len) != GX_CMSG_OK) abort(); /* we only emit valid datagrams */
  fz_sent++;
}
static void fz_deliver(void *ctx, const gx_acs_batch_t *b) {
  (void)ctx;
  /* the input plays all three peers (more than f), so no count is promised;
   * the entries must still be well formed */
  if (b->count > 4) abort();
  for (unsigned k = 0; k < b->count; k++)
    if (b->proposer[k] >= 4 || b->len[k] > 4096 || (b->len[k] && !b->value[k])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fz_mem) {
    if (sodium_init() < 0) abort();
    uint8_t seed[32] = {5};
    if (gx_coin_deal(&fz_pub, fz_sec, 4, 1, seed) != GX_COIN_OK) abort();
    gx_acs_cfg_defaults(&fz_cfg);
    fz_cfg.n = 4;
    fz_cfg.f = 1;
    fz_cfg.self = 0;
    fz_cfg.max_proposal = 4096;
    fz_cfg.epoch_slots = 3;
    fz_cfg.ba_max_rounds = 12;
    fz_cfg.coin_pub = &fz_pub;
    fz_cfg.coin_sec = &fz_sec[0];
    fz_sz = gx_acs_footprint(&fz_cfg);
    fz_mem = aligned_alloc(64, (fz_sz + 63) & ~(size_t)63);
    if (!fz_mem) abort();
  }
  gx_acs_t *acs;
  gx_acs_out_t out = {NULL, fz_send, fz_deliver, NULL};
  if (gx_acs_new(&acs, fz_mem, fz_sz, &fz_cfg, &out) != GX_ACS_OK) abort();
  size_t at = 0;
  while (at + 4 <= size) {
    uint8_t op = data[at], sender = data[at + 1];
    size_t len = gx_ld16(data + at + 2);
    at += 4;
    if (len > size - at) len = size - at;
    if (op % 8 == 0) gx_acs_tick(acs);
    else if (op % 8 == 1) gx_acs_propose(acs, sender % 4, data + at, (uint32_t)len);
    else gx_acs_on_message(acs, sender % 5, data + at, len);
    at += len;
  }
  gx_acs_delete(acs);
  return 0;
}
