/* libFuzzer: galaxyd's ingest path on untrusted datagrams, without the
 * threads: parse + dedup (gx_ingest_parse), mempool insert, gossip batching.
 * Input: up to 4 datagrams, each as [len u16 LE][bytes]. Checks: a datagram
 * parsed again yields no new transfer (dedup never forgets within a run) and
 * the same total; the verdict always equals gx_batch_decode's (dedup-first
 * parsing only skips decoding duplicates); an inserted transfer is found in the mempool and the pool
 * never exceeds its capacity; every gossip datagram decodes, holds at most 5
 * transfers and carries hops + 1. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_util.h"
#include "ingest/gx_dedup.h"
#include "ingest/gx_gossip.h"
#include "ingest/gx_ingest.h"
#include "ingest/gx_mempool.h"

static uint8_t fz_hops;

static void fz_emit(void *ctx, const gx_addr_t *dst, const uint8_t *dgram, size_t len) {
  (void)ctx;
  (void)dst;
  const uint8_t *ptrs[GX_BATCH_MAX];
  size_t n;
  uint8_t hops;
  if (gx_batch_decode(dgram, len, ptrs, NULL, &n, &hops) != GX_PROTO_OK) abort();
  if (n < 1 || n > GX_BATCH_MAX || hops != fz_hops + 1) abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0 ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_dedup_t *d = gx_dedup_new(4096);
  gx_mempool_cfg_t mc = {16, 8, 8};
  gx_mempool_t *mp = gx_mempool_new(&mc, NULL);
  gx_gossip_cfg_t gc;
  gx_gossip_cfg_defaults(&gc);
  gc.n_peers = 4;
  for (int i = 0; i < 4; i++) gc.peers[i] = (gx_addr_t){.family = 4, .port = (uint16_t)(1 + i)};
  static gx_gossip_t g;
  gx_gossip_init(&g, &gc, fz_emit, NULL);
  if (!d || !mp) abort();
  size_t off = 0;
  for (int k = 0; k < 4 && off + 2 <= size; k++) {
    size_t len = gx_ld16(data + off);
    off += 2;
    if (len > size - off) len = size - off;
    const uint8_t *dg = data + off;
    off += len;
    gx_ingest_parsed_t p, again;
    int e = gx_ingest_parse(d, dg, len, &p);
    /* same verdict as the plain decoder, whatever the dedup state */
    const uint8_t *ptrs[GX_BATCH_MAX];
    size_t cnt;
    gx_proto_err_t plain = len > GX_UDP_PAYLOAD_MAX
                               ? (gx_proto_err_t)GX_INGEST_PARSE_OVERSIZE
                               : gx_batch_decode(dg, len, ptrs, NULL, &cnt, NULL);
    if ((int)plain != e) abort();
    if (e == GX_PROTO_OK && cnt != p.n_new + p.n_dup) abort();
    if (e != GX_PROTO_OK) {
      if (p.n_new || p.n_dup) abort();
      continue;
    }
    if (gx_ingest_parse(d, dg, len, &again) != GX_PROTO_OK || again.n_new != 0 ||
        again.n_dup != p.n_new + p.n_dup)
      abort();
    fz_hops = p.hops;
    for (size_t i = 0; i < p.n_new; i++) {
      gx_hash_t id;
      gx_xfer_id(&id, p.new_xfers[i]);
      if (gx_mempool_insert(mp, p.new_xfers[i], &id, NULL) == GX_MEMPOOL_OK &&
          !gx_mempool_contains(mp, p.new_xfers[i], &id))
        abort();
      if (gx_mempool_size(mp) > mc.capacity) abort();
      gx_gossip_add(&g, p.new_xfers[i], p.hops);
    }
    gx_gossip_flush(&g);
  }
  gx_mempool_delete(mp);
  gx_dedup_delete(d);
  return 0;
}
