/* gx_txbody: a transfer as a client submits it in a request body (galaxyd's
 * POST /v1/tx, docs/API.md): either the 290 encoded bytes as they are
 * (binary), or those bytes as hex text (580 digits, either case, what
 * `star cosign` prints), with optional whitespace (a newline) before and
 * after. The bytes are then strictly decoded as a full transfer
 * (gx_xfer_decode); an initiator's half that decodes is named as such.
 *
 * The decoder takes untrusted bytes of any length (at most GX_TXBODY_MAX are
 * looked at; longer is too_long), never reads past len, never allocates.
 * Memory: the caller owns body and the outputs. Threads: pure, any thread.
 * Errors: a gx_txbody_err_t; gx_txbody_label() names it, with the
 * gx_proto_err_t reason for a body that holds bytes that are not a transfer
 * ("short", "trailing", "amount"...: gx_proto_err_label). */
#ifndef GX_TXBODY_H
#define GX_TXBODY_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"

#define GX_TXBODY_MAX 1024 /* bytes of body looked at; hex of a transfer is 580 */

typedef enum {
  GX_TXBODY_OK = 0,
  GX_TXBODY_EMPTY,    /* no bytes (or only whitespace, as hex) */
  GX_TXBODY_TOO_LONG, /* more than GX_TXBODY_MAX bytes */
  GX_TXBODY_NOT_HEX,  /* hex body: a character that is not a hex digit, an odd count,
                         or whitespace between digits */
  GX_TXBODY_HALF,     /* the bytes are an initiator's half (186 bytes, type 0x02): the
                         counterparty must co-sign it first (star cosign) */
  GX_TXBODY_PROTO,    /* the bytes are not a transfer: *proto says why */
  GX_TXBODY_ERR__COUNT
} gx_txbody_err_t;

/* Decodes body[len]: binary (1) takes the bytes as they are, else hex text.
 * On GX_TXBODY_OK, enc holds the 290 encoded bytes and x (may be NULL) the
 * decoded transfer. proto (may be NULL) gets the gx_xfer_decode verdict
 * (GX_PROTO_OK unless the error is GX_TXBODY_PROTO). Signatures are not
 * checked here (gx_xfer_verify_enc). */
gx_txbody_err_t gx_txbody_decode(const uint8_t *body, size_t len, int binary,
                                 uint8_t enc[GX_XFER_SZ], gx_xfer_t *x, gx_proto_err_t *proto);
/* Stable snake_case label: "ok", "empty", "too_long", "not_hex", "half_transfer",
 * or for GX_TXBODY_PROTO gx_proto_err_label(proto) ("short", "trailing"...). */
const char *gx_txbody_label(gx_txbody_err_t err, gx_proto_err_t proto);

#endif
