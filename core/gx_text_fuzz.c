/* libFuzzer: text decoders of user input: addresses, hex, key files, numbers. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[1024];
  if (size >= sizeof text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  gx_pubkey_t pk;
  if (gx_addr_decode(&pk, text) == GX_ADDR_OK) {
    char re[GX_ADDR_LEN + 1];
    gx_addr_encode(re, &pk);
    if (strcasecmp(re, text) != 0) abort();
  }
  uint8_t out[512];
  long n = gx_hex_decode_var(out, sizeof out, text);
  if (n > (long)sizeof out) abort();
  uint64_t v;
  (void)gx_parse_u64(text, &v);
  gx_keypair_t kp;
  (void)gx_key_parse((const char *)data, size, &kp);
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0;
}
