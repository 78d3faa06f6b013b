/* libFuzzer: the ledger's two decoders of untrusted bytes. The input is cut
 * into up to 4 proposals (a 1-byte split count, then 2-byte lengths) for
 * gx_ledger_apply_epoch, and also handed whole to gx_ledger_apply_blackhole.
 * Neither may crash, and the supply must be conserved. The seed corpus holds
 * validly signed transfers between funded accounts, so mutations reach the
 * chain and balance checks, not only the decoder. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_util.h"
#include "validator/gx_ledger.h"

static gx_ledger_t *ledger;
static const uint64_t supply = 4 * 1000;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *props[4];
  uint32_t lens[4];
  uint32_t n = 0;
  if (size >= 1) {
    unsigned k = data[0] % 5;
    size_t off = 1 + 2 * (size_t)k;
    if (off <= size) {
      for (unsigned i = 0; i < k; i++) {
        size_t len = gx_ld16(data + 1 + 2 * i);
        if (len > size - off) len = size - off;
        props[n] = data + off;
        lens[n] = (uint32_t)len;
        n++;
        off += len;
      }
    }
  }
  gx_ledger_block_t blk;
  if (gx_ledger_apply_epoch(ledger, 1, props, lens, n, NULL, NULL, &blk) == GX_LEDGER_OK) {
    if (gx_ledger_total(ledger) != supply || gx_ledger_balance_sum(ledger) != supply) abort();
    gx_ledger_abort(ledger);
  }
  if (gx_ledger_apply_blackhole(ledger, data, size, NULL, NULL, &blk) == GX_LEDGER_OK) {
    if (gx_ledger_total(ledger) != supply || gx_ledger_balance_sum(ledger) != supply) abort();
    gx_ledger_abort(ledger);
  }
  return 0;
}

static int cmp_alloc(const void *a, const void *b) {
  return memcmp(((const gx_ledger_alloc_t *)a)->account.b, ((const gx_ledger_alloc_t *)b)->account.b, 32);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) return 1;
  gx_ledger_cfg_t cfg;
  gx_ledger_cfg_defaults(&cfg);
  cfg.max_accounts = 64;
  cfg.max_proposers = 4;
  cfg.max_proposal_txs = 32;
  void *mem = aligned_alloc(GX_LEDGER_ALIGN, (gx_ledger_footprint(&cfg) + 63) & ~(size_t)63);
  ledger = gx_ledger_new(mem, &cfg);
  gx_ledger_alloc_t al[4];
  for (int i = 0; i < 4; i++) {
    gx_keypair_t k;
    gx_key_derive(&k, "ledger-fuzz", 0, (uint64_t)i);
    al[i].account = k.pk;
    al[i].amount = supply / 4;
  }
  qsort(al, 4, sizeof al[0], cmp_alloc);
  gx_hash_t gid = {{0}};
  return ledger && gx_ledger_genesis(ledger, &gid, al, 4) == GX_LEDGER_OK ? 0 : 1;
}
