/* Codec and signature benchmarks. Each verify figure sits beside a raw
 * libsodium loop over the same message size in the same run:
 *   core/verify_transfer (one transfer, 2 signatures + 2 digests, repeated)
 *       vs  baseline/raw_libsodium_verify_one_sig x2 (one signature, repeated)
 *   core/sign_half  vs  baseline/raw_libsodium_sign
 * baseline/raw_libsodium_verify is the single-core rate the pipeline figures
 * (verify/, ledger/, dedup/, e2e) are held to: a raw crypto_sign_verify_detached
 * loop over 1024 distinct (key, message, signature) triples, because the
 * pipeline never verifies the same signature twice. Verifying one signature
 * over and over runs about 5% faster (measured 21.3k/s against 20.2k/s on
 * the 2-vCPU EPYC of docs/PERFORMANCE.md): libsodium's variable-time double
 * scalar multiplication branches on the scalars' bits, and a repeated
 * signature lets the branch predictor learn the whole pattern. */
#include <sodium.h>
#include <string.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"

static gx_xfer_t gx_pb_x;
static uint8_t gx_pb_enc[GX_XFER_SZ];
static gx_keypair_t gx_pb_a, gx_pb_b;

__attribute__((constructor)) static void gx_pb_init(void) {
  if (sodium_init() < 0) return;
  gx_key_derive(&gx_pb_a, "bench", 0, 1);
  gx_key_derive(&gx_pb_b, "bench", 0, 2);
  memset(&gx_pb_x, 0, sizeof gx_pb_x);
  gx_pb_x.initiator = gx_pb_a.pk;
  gx_pb_x.counterparty = gx_pb_b.pk;
  gx_pb_x.amount = 10;
  gx_pb_x.init_link.seq = 1;
  gx_pb_x.cp_link.seq = 1;
  gx_xfer_sign_init(&gx_pb_x, gx_pb_a.sk);
  gx_xfer_sign_cp(&gx_pb_x, gx_pb_b.sk);
  gx_xfer_encode(&gx_pb_x, gx_pb_enc);
}

static void bm_encode(gx_bench_t *b) {
  uint8_t out[GX_XFER_SZ];
  while (gx_bench_loop(b)) {
    gx_xfer_encode(&gx_pb_x, out);
    __asm__ volatile("" : : "r"(out) : "memory");
  }
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("core/encode_transfer", bm_encode, 0)

static void bm_decode(gx_bench_t *b) {
  gx_xfer_t x;
  int bad = 0;
  while (gx_bench_loop(b)) {
    bad |= gx_xfer_decode(&x, gx_pb_enc, GX_XFER_SZ);
    __asm__ volatile("" : : "r"(&x) : "memory");
  }
  if (bad) gx_bench_skip(b, "decode failed");
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("core/decode_transfer", bm_decode, 0)

static void bm_batch_decode(gx_bench_t *b) {
  uint8_t dgram[GX_UDP_PAYLOAD_MAX], xfers[GX_BATCH_MAX * GX_XFER_SZ];
  for (int i = 0; i < GX_BATCH_MAX; i++) memcpy(xfers + i * GX_XFER_SZ, gx_pb_enc, GX_XFER_SZ);
  size_t len = gx_batch_encode(dgram, sizeof dgram, xfers, GX_BATCH_MAX, 0);
  const uint8_t *ptrs[GX_BATCH_MAX];
  size_t n;
  while (gx_bench_loop(b)) gx_batch_decode(dgram, len, ptrs, NULL, &n, NULL);
  gx_bench_items(b, gx_bench_iterations(b) * GX_BATCH_MAX);
}
GX_BENCH_NAMED("core/decode_batch_per_transfer", bm_batch_decode, 0)

static void bm_txid(gx_bench_t *b) {
  gx_hash_t id;
  while (gx_bench_loop(b)) gx_xfer_id(&id, gx_pb_enc);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("core/transfer_id", bm_txid, 0)

static void bm_sign_half(gx_bench_t *b) {
  gx_xfer_t x = gx_pb_x;
  while (gx_bench_loop(b)) gx_xfer_sign_init(&x, gx_pb_a.sk);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("core/sign_half", bm_sign_half, 0)

static void bm_raw_sign(gx_bench_t *b) {
  uint8_t sig[64], msg[32] = {1};
  while (gx_bench_loop(b)) crypto_sign_detached(sig, NULL, msg, sizeof msg, gx_pb_a.sk);
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("baseline/raw_libsodium_sign", bm_raw_sign, 0)

/* One transfer = two signatures: items are transfers. */
static void bm_verify_transfer(gx_bench_t *b) {
  int bad = 0;
  while (gx_bench_loop(b)) bad |= gx_xfer_verify_enc(gx_pb_enc);
  if (bad) gx_bench_skip(b, "verify failed");
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("core/verify_transfer", bm_verify_transfer, 0)

/* libsodium verifying one 32-byte message and signature again and again;
 * items are signatures (the baseline of core/verify_transfer, which repeats
 * one transfer). */
static void bm_raw_verify_one(gx_bench_t *b) {
  uint8_t sig[64], msg[32] = {2};
  crypto_sign_detached(sig, NULL, msg, sizeof msg, gx_pb_a.sk);
  int bad = 0;
  while (gx_bench_loop(b)) bad |= crypto_sign_verify_detached(sig, msg, sizeof msg, gx_pb_a.pk.b);
  if (bad) gx_bench_skip(b, "verify failed");
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("baseline/raw_libsodium_verify_one_sig", bm_raw_verify_one, 0)

/* The single-core bound of the pipeline: libsodium verifying 1024 distinct
 * 32-byte messages under 1024 distinct keys, round robin; items are
 * signatures. */
enum { GX_PB_DISTINCT = 1024 };
static void bm_raw_verify(gx_bench_t *b) {
  static uint8_t pk[GX_PB_DISTINCT][32], sig[GX_PB_DISTINCT][64], msg[GX_PB_DISTINCT][32];
  static int ready;
  if (!ready) {
    for (int i = 0; i < GX_PB_DISTINCT; i++) {
      gx_keypair_t k;
      gx_key_derive(&k, "bench-distinct", 0, (uint64_t)i);
      memcpy(pk[i], k.pk.b, 32);
      memset(msg[i], 0, 32);
      memcpy(msg[i], &i, sizeof i);
      crypto_sign_detached(sig[i], NULL, msg[i], 32, k.sk);
    }
    ready = 1;
  }
  int bad = 0;
  unsigned i = 0;
  while (gx_bench_loop(b)) {
    bad |= crypto_sign_verify_detached(sig[i], msg[i], 32, pk[i]);
    i = (i + 1) % GX_PB_DISTINCT;
  }
  if (bad) gx_bench_skip(b, "verify failed");
  gx_bench_items(b, gx_bench_iterations(b));
}
GX_BENCH_NAMED("baseline/raw_libsodium_verify", bm_raw_verify, 0)
