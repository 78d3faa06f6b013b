/* libFuzzer: the transaction batch datagram decoder (what every galaxy parses
 * off the wire). Decoded batches must re-encode to the input. */
#include <stdlib.h>
#include <string.h>

#include "core/gx_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *ptrs[GX_BATCH_MAX];
  gx_xfer_t dec[GX_BATCH_MAX];
  size_t n;
  uint8_t hops;
  if (gx_batch_decode(data, size, ptrs, dec, &n, &hops) != GX_PROTO_OK) return 0;
  uint8_t re[GX_UDP_PAYLOAD_MAX], xfers[GX_BATCH_MAX * GX_XFER_SZ];
  for (size_t i = 0; i < n; i++) gx_xfer_encode(&dec[i], xfers + i * GX_XFER_SZ);
  size_t len = gx_batch_encode(re, sizeof re, xfers, n, hops);
  if (len != size || memcmp(re, data, size) != 0) abort();
  return 0;
}
