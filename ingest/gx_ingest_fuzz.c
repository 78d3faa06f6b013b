/* libFuzzer: galaxyd's ingest path on untrusted datagrams, without the
 * threads: parse + dedup (gx_ingest_parse), mempool insert, gossip batching,
 * and the LSH block intake (gx_ingest_lsh_chunk) for 0x23 datagrams, as the
 * RX stage runs it when a sink is installed.
 * Input: up to 32 datagrams, each as [len u16 LE][bytes]. Checks: a datagram
 * parsed again yields no new transfer (dedup never forgets within a run) and
 * the same total; the verdict always equals gx_batch_decode's (dedup-first
 * parsing only skips decoding duplicates; a chunk datagram is "type" there);
 * an inserted transfer is found in the mempool and the pool never exceeds its
 * capacity; every gossip datagram decodes, holds at most 5 transfers and
 * carries hops + 1. Intake: a chunk is malformed exactly when gx_chunk_decode
 * (or the reassembler's size limit) refuses it; a block verdict comes exactly
 * with a completed object; the sink (which refuses every other block) sees
 * only strictly decodable blocks whose id is the announced one; the chunk
 * verdicts add up to the chunk datagrams fed. Seeds (tests/corpus/
 * gx_ingest_fuzz/lsh_*) hold real certified blocks in chunks, whole and with
 * a chunk lost. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_chunk.h"
#include "core/gx_lsh.h"
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

/* The intake's sink: only good blocks reach it; it refuses the first, third,
 * ... (the sink_full path) and takes the others. */
static unsigned fz_sink_calls;
static int fz_sink(void *ctx, const gx_hash_t *id, const uint8_t *block, size_t len) {
  (void)ctx;
  gx_lsh_t b;
  gx_hash_t got;
  if (gx_lsh_decode(&b, block, len) != GX_PROTO_OK) abort();
  gx_lsh_id(&got, &b);
  if (!gx_hash_eq(&got, id)) abort();
  return (fz_sink_calls++ & 1) == 0;
}

/* Objects of up to FZ_MAX_OBJECT bytes (blocks of ~150 transfers): enough
 * for multi-group objects, small enough to make per input. */
#define FZ_MAX_OBJECT (GX_CHUNK_MAX_K * GX_CHUNK_PAYLOAD_MAX)
#define FZ_DGRAMS 32

static void fz_lsh(gx_chunk_rx_t *r, const uint8_t *dg, size_t len, uint64_t *fed) {
  gx_ingest_lsh_verdict_t bv;
  gx_proto_err_t why;
  unsigned calls = fz_sink_calls;
  gx_chunk_verdict_t v = gx_ingest_lsh_chunk(r, dg, len, fz_sink, NULL, &bv, &why);
  (*fed)++;
  gx_chunk_t c;
  gx_proto_err_t e = gx_chunk_decode(&c, dg, len);
  if (e == GX_PROTO_OK && c.len > FZ_MAX_OBJECT) e = GX_PROTO_ERR_RANGE;
  if ((v == GX_CHUNK_MALFORMED) != (e != GX_PROTO_OK)) abort();
  if (v == GX_CHUNK_MALFORMED && why != e) abort();
  if ((v == GX_CHUNK_COMPLETE) != (bv != GX_INGEST_LSH_NONE)) abort();
  if ((unsigned)bv >= GX_INGEST_LSH__COUNT) abort();
  int sunk = bv == GX_INGEST_LSH_ACCEPTED || bv == GX_INGEST_LSH_SINK_FULL;
  if (fz_sink_calls != calls + (unsigned)sunk) abort();
  const gx_chunk_stats_t *st = gx_chunk_rx_stats(r);
  uint64_t sum = 0;
  for (int i = 0; i < GX_CHUNK__COUNT; i++) sum += st->chunks[i];
  if (sum != *fed) abort();
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
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, FZ_MAX_OBJECT, 4);
  uint64_t fed = 0;
  fz_sink_calls = 0;
  if (!d || !mp || !r) abort();
  size_t off = 0;
  for (int k = 0; k < FZ_DGRAMS && off + 2 <= size; k++) {
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
    if (len >= 2 && dg[0] == GX_PROTO_VERSION && dg[1] == GX_MSG_LSH_CHUNK) {
      /* without a sink: a parse error (type, or short/oversize first) */
      if (e == GX_PROTO_OK) abort();
      fz_lsh(r, dg, len, &fed);
      continue;
    }
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
  gx_chunk_rx_delete(r);
  gx_mempool_delete(mp);
  gx_dedup_delete(d);
  return 0;
}
