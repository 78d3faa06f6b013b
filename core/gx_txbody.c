/* A transfer in a request body: binary or hex text (core/gx_txbody.h). */
#include "core/gx_txbody.h"

#include <string.h>

#include "core/gx_util.h"

static int gx_txbody_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

gx_txbody_err_t gx_txbody_decode(const uint8_t *body, size_t len, int binary,
                                 uint8_t enc[GX_XFER_SZ], gx_xfer_t *x, gx_proto_err_t *proto) {
  gx_proto_err_t pe_local;
  gx_xfer_t x_local;
  if (!proto) proto = &pe_local;
  if (!x) x = &x_local;
  *proto = GX_PROTO_OK;
  if (len > GX_TXBODY_MAX) return GX_TXBODY_TOO_LONG;
  uint8_t raw[GX_TXBODY_MAX / 2];
  const uint8_t *bytes = body;
  size_t n = len;
  if (!binary) { /* hex: trim whitespace around, then digits only (gx_hex_decode_var) */
    size_t a = 0, b = len;
    while (a < b && gx_txbody_space(body[a])) a++;
    while (b > a && gx_txbody_space(body[b - 1])) b--;
    if (a == b) return GX_TXBODY_EMPTY;
    char text[GX_TXBODY_MAX + 1];
    memcpy(text, body + a, b - a);
    text[b - a] = '\0';
    if (strlen(text) != b - a) return GX_TXBODY_NOT_HEX; /* a NUL byte among the digits */
    long got = gx_hex_decode_var(raw, sizeof raw, text);
    if (got < 0) return GX_TXBODY_NOT_HEX;
    bytes = raw;
    n = (size_t)got;
  } else if (!len) {
    return GX_TXBODY_EMPTY;
  }
  *proto = gx_xfer_decode(x, bytes, n);
  if (*proto != GX_PROTO_OK) {
    gx_xfer_t half;
    if (n == GX_XFER_HALF_SZ && gx_xfer_half_decode(&half, bytes, n) == GX_PROTO_OK)
      return GX_TXBODY_HALF;
    return GX_TXBODY_PROTO;
  }
  memcpy(enc, bytes, GX_XFER_SZ);
  return GX_TXBODY_OK;
}

const char *gx_txbody_label(gx_txbody_err_t err, gx_proto_err_t proto) {
  switch (err) {
    case GX_TXBODY_OK: return "ok";
    case GX_TXBODY_EMPTY: return "empty";
    case GX_TXBODY_TOO_LONG: return "too_long";
    case GX_TXBODY_NOT_HEX: return "not_hex";
    case GX_TXBODY_HALF: return "half_transfer";
    case GX_TXBODY_PROTO: return gx_proto_err_label(proto);
    default: return "unknown";
  }
}
