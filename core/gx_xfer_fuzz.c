/* libFuzzer: transfer and half decoders. Whatever decodes must re-encode to
 * exactly the input (one encoding per message); gx_xfer_check gives
 * gx_xfer_decode's verdict on every input. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_xfer_t x;
  uint8_t re[GX_XFER_SZ];
  gx_proto_err_t verdict = gx_xfer_decode(&x, data, size);
  if (gx_xfer_check(data, size) != verdict) abort();
  if (verdict == GX_PROTO_OK) {
    gx_xfer_encode(&x, re);
    if (size != GX_XFER_SZ || memcmp(re, data, size) != 0) abort();
    (void)gx_xfer_verify_enc(data);
  }
  if (gx_xfer_half_decode(&x, data, size) == GX_PROTO_OK) {
    gx_xfer_half_encode(&x, re);
    if (size != GX_XFER_HALF_SZ || memcmp(re, data, size) != 0) abort();
  }
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0;
}
