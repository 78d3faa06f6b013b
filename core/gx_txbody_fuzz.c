/* libFuzzer: the request-body decoder of a transfer (gx_txbody). The first
 * input byte picks binary (odd) or hex (even); the rest is the body. Whatever
 * decodes is a transfer that re-encodes to the decoded bytes: in binary, the
 * body itself; in hex, the body's digits (case aside) once whitespace around
 * them is trimmed. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_txbody.h"
#include "core/gx_util.h"

static int gx_sp(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  int binary = data[0] & 1;
  const uint8_t *body = data + 1;
  size_t len = size - 1;
  uint8_t enc[GX_XFER_SZ], re[GX_XFER_SZ];
  gx_xfer_t x;
  gx_proto_err_t pe;
  gx_txbody_err_t e = gx_txbody_decode(body, len, binary, enc, &x, &pe);
  if ((unsigned)e >= GX_TXBODY_ERR__COUNT) abort();
  if (!gx_txbody_label(e, pe)[0]) abort();
  if ((e == GX_TXBODY_PROTO) != (pe != GX_PROTO_OK) && e != GX_TXBODY_HALF) abort();
  if (len > GX_TXBODY_MAX && e != GX_TXBODY_TOO_LONG) abort();
  if (e != GX_TXBODY_OK) return 0;
  gx_xfer_encode(&x, re);
  if (memcmp(re, enc, sizeof enc) != 0) abort();
  if (binary) {
    if (len != GX_XFER_SZ || memcmp(body, enc, len) != 0) abort();
  } else {
    size_t a = 0, b = len;
    while (a < b && gx_sp(body[a])) a++;
    while (b > a && gx_sp(body[b - 1])) b--;
    char hex[2 * GX_XFER_SZ + 1];
    gx_hex_encode(hex, enc, sizeof enc);
    if (b - a != 2 * GX_XFER_SZ) abort();
    for (size_t i = 0; i < b - a; i++)
      if ((body[a + i] >= 'A' && body[a + i] <= 'F' ? body[a + i] + 32 : body[a + i]) != hex[i]) abort();
  }
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return sodium_init() < 0;
}
