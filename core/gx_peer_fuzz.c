/* libFuzzer: peer message decoders (hello, black hole announce, sync request)
 * and the envelope peek. Decoded messages must re-encode to the input. */
#include <stdlib.h>
#include <string.h>

#include "core/gx_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_proto_err_t e;
  (void)gx_msg_type(data, size, &e);
  gx_hello_t hello;
  gx_bh_header_t h;
  gx_sync_req_t sr;
  uint8_t re[GX_BH_ANNOUNCE_SZ + GX_HELLO_SZ];
  if (gx_hello_decode(&hello, data, size) == GX_PROTO_OK) {
    gx_hello_encode(&hello, re);
    if (size != GX_HELLO_SZ || memcmp(re, data, size)) abort();
  }
  if (gx_bh_announce_decode(&h, data, size) == GX_PROTO_OK) {
    gx_bh_announce_encode(&h, re);
    if (size != GX_BH_ANNOUNCE_SZ || memcmp(re, data, size)) abort();
  }
  if (gx_sync_req_decode(&sr, data, size) == GX_PROTO_OK) {
    gx_sync_req_encode(&sr, re);
    if (size != GX_SYNC_REQ_SZ || memcmp(re, data, size)) abort();
  }
  return 0;
}
