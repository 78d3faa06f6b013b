/* libFuzzer: the genesis file loader and the node key file parser. Neither
 * may crash; a genesis that loads must format and re-load to the same id. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "validator/gx_genesis.h"

static gx_genesis_t g, h;
static gx_ledger_alloc_t bal_g[256], bal_h[256];
static char text[1 << 17], again[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  char err[400];
  gx_genesis_init(&g, bal_g, 256);
  if (gx_genesis_parse(&g, text, err, sizeof err) == GX_GENESIS_OK) {
    size_t n = gx_genesis_format(&g, again, sizeof again);
    if (!n) abort();
    gx_genesis_init(&h, bal_h, 256);
    if (gx_genesis_parse(&h, again, err, sizeof err) != GX_GENESIS_OK) abort();
    if (memcmp(g.id.b, h.id.b, 32)) abort();
  }
  gx_genesis_node_key_t k;
  if (gx_genesis_node_key_parse(&k, (const char *)data, size, err, sizeof err) == GX_GENESIS_OK)
    gx_genesis_node_key_wipe(&k);
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0;
}
