/* libFuzzer: black hole decoders (blocks arrive from peers during sync).
 * Decoded blocks must re-encode to the input. The LSH block has its own
 * target, core/gx_lsh_fuzz.c. */
#include <stdlib.h>
#include <string.h>

#include "core/gx_proto.h"

static uint8_t gx_fz_re[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_bh_header_t h;
  const uint8_t *xfers;
  if (gx_bh_decode(&h, &xfers, data, size) == GX_PROTO_OK) {
    size_t len = gx_bh_encode(gx_fz_re, sizeof gx_fz_re, &h, xfers);
    if (len != size || memcmp(gx_fz_re, data, size) != 0) abort();
  }
  if (gx_bh_header_decode(&h, data, size) == GX_PROTO_OK) {
    gx_bh_header_encode(&h, gx_fz_re);
    if (size != GX_BH_HDR_SZ || memcmp(gx_fz_re, data, size) != 0) abort();
  }
  return 0;
}
