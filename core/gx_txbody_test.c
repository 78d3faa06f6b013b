/* gx_txbody: a transfer in a request body, binary and hex; every error
 * (empty, too long, not hex, a half, bytes that are not a transfer, with the
 * gx_proto reason) and the accepted forms of hex text (either case, a newline). */
#include "core/gx_test_util.h"

#include <sodium.h>
#include <stdio.h>

#include "core/gx_txbody.h"
#include "core/gx_util.h"

static void test_binary(void **st) {
  (void)st;
  gx_xfer_t x, y;
  uint8_t enc[GX_XFER_SZ], out[GX_XFER_SZ];
  gx_proto_err_t pe = GX_PROTO_ERR_SHORT;
  gx_test_xfer(&x, enc, 1, 2, 500, 3, 1);
  assert_int_equal(gx_txbody_decode(enc, sizeof enc, 1, out, &y, &pe), GX_TXBODY_OK);
  assert_int_equal(pe, GX_PROTO_OK);
  assert_memory_equal(out, enc, sizeof enc);
  assert_memory_equal(&x, &y, sizeof x);
  assert_int_equal(gx_txbody_decode(enc, 0, 1, out, NULL, NULL), GX_TXBODY_EMPTY);
  assert_int_equal(gx_txbody_decode(enc, 289, 1, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_int_equal(pe, GX_PROTO_ERR_SHORT);
  assert_string_equal(gx_txbody_label(GX_TXBODY_PROTO, pe), "short");
  uint8_t longer[GX_XFER_SZ + 1];
  memcpy(longer, enc, sizeof enc);
  longer[GX_XFER_SZ] = 0;
  assert_int_equal(gx_txbody_decode(longer, sizeof longer, 1, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_string_equal(gx_txbody_label(GX_TXBODY_PROTO, pe), "trailing");
  enc[0] = 9;
  assert_int_equal(gx_txbody_decode(enc, sizeof enc, 1, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_string_equal(gx_txbody_label(GX_TXBODY_PROTO, pe), "version");
  /* binary whitespace is data, not padding */
  uint8_t ws[GX_XFER_SZ];
  memset(ws, ' ', sizeof ws);
  assert_int_equal(gx_txbody_decode(ws, sizeof ws, 1, out, NULL, &pe), GX_TXBODY_PROTO);
}

static void test_hex(void **st) {
  (void)st;
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ], out[GX_XFER_SZ];
  char text[2 * GX_XFER_SZ + 16];
  gx_test_xfer(&x, enc, 1, 2, 7, 1, 1);
  gx_hex_encode(text, enc, sizeof enc);
  size_t n = strlen(text);
  assert_int_equal(n, 2 * GX_XFER_SZ);
  assert_int_equal(gx_txbody_decode((const uint8_t *)text, n, 0, out, NULL, NULL), GX_TXBODY_OK);
  assert_memory_equal(out, enc, sizeof enc);
  /* a newline after it (star cosign's file), whitespace before, upper case */
  char padded[sizeof text + 8];
  snprintf(padded, sizeof padded, " \t\n%s\r\n", text);
  for (char *p = padded; *p; p++)
    if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 'a' + 'A');
  memset(out, 0, sizeof out);
  assert_int_equal(gx_txbody_decode((const uint8_t *)padded, strlen(padded), 0, out, NULL, NULL), GX_TXBODY_OK);
  assert_memory_equal(out, enc, sizeof enc);
  /* not hex: a bad digit, an odd count, whitespace or a NUL among the digits */
  char bad[sizeof text];
  memcpy(bad, text, n + 1);
  bad[100] = 'g';
  assert_int_equal(gx_txbody_decode((const uint8_t *)bad, n, 0, out, NULL, NULL), GX_TXBODY_NOT_HEX);
  assert_int_equal(gx_txbody_decode((const uint8_t *)text, n - 1, 0, out, NULL, NULL), GX_TXBODY_NOT_HEX);
  bad[100] = ' ';
  assert_int_equal(gx_txbody_decode((const uint8_t *)bad, n, 0, out, NULL, NULL), GX_TXBODY_NOT_HEX);
  bad[100] = '\0';
  assert_int_equal(gx_txbody_decode((const uint8_t *)bad, n, 0, out, NULL, NULL), GX_TXBODY_NOT_HEX);
  assert_string_equal(gx_txbody_label(GX_TXBODY_NOT_HEX, GX_PROTO_OK), "not_hex");
  /* empty, whitespace only */
  assert_int_equal(gx_txbody_decode((const uint8_t *)" \n", 2, 0, out, NULL, NULL), GX_TXBODY_EMPTY);
  assert_int_equal(gx_txbody_decode((const uint8_t *)"", 0, 0, out, NULL, NULL), GX_TXBODY_EMPTY);
  /* hex of too few bytes: the transfer decoder's reason */
  gx_proto_err_t pe;
  assert_int_equal(gx_txbody_decode((const uint8_t *)"0101", 4, 0, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_string_equal(gx_txbody_label(GX_TXBODY_PROTO, pe), "short");
  /* hex of a transfer with an amount of 0 */
  uint8_t zero[GX_XFER_SZ];
  memcpy(zero, enc, sizeof enc);
  memset(zero + 66, 0, 8);
  char ztext[sizeof text];
  gx_hex_encode(ztext, zero, sizeof zero);
  gx_xfer_t tmp;
  gx_proto_err_t want = gx_xfer_decode(&tmp, zero, sizeof zero);
  assert_int_not_equal(want, GX_PROTO_OK);
  assert_int_equal(gx_txbody_decode((const uint8_t *)ztext, strlen(ztext), 0, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_int_equal(pe, want);
}

static void test_half_and_limits(void **st) {
  (void)st;
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ], half[GX_XFER_HALF_SZ], out[GX_XFER_SZ];
  char text[2 * GX_XFER_HALF_SZ + 1];
  gx_test_xfer(&x, enc, 3, 4, 9, 1, 1);
  gx_xfer_half_encode(&x, half);
  assert_int_equal(gx_txbody_decode(half, sizeof half, 1, out, NULL, NULL), GX_TXBODY_HALF);
  gx_hex_encode(text, half, sizeof half);
  assert_int_equal(gx_txbody_decode((const uint8_t *)text, strlen(text), 0, out, NULL, NULL), GX_TXBODY_HALF);
  assert_string_equal(gx_txbody_label(GX_TXBODY_HALF, GX_PROTO_OK), "half_transfer");
  static uint8_t big[GX_TXBODY_MAX + 1];
  memset(big, '0', sizeof big);
  assert_int_equal(gx_txbody_decode(big, sizeof big, 0, out, NULL, NULL), GX_TXBODY_TOO_LONG);
  assert_int_equal(gx_txbody_decode(big, sizeof big, 1, out, NULL, NULL), GX_TXBODY_TOO_LONG);
  assert_string_equal(gx_txbody_label(GX_TXBODY_TOO_LONG, GX_PROTO_OK), "too_long");
  /* exactly GX_TXBODY_MAX hex digits: decoded (512 bytes), then too many for a transfer */
  gx_proto_err_t pe;
  assert_int_equal(gx_txbody_decode(big, GX_TXBODY_MAX, 0, out, NULL, &pe), GX_TXBODY_PROTO);
  assert_int_equal(gx_txbody_decode(big, GX_TXBODY_MAX, 1, out, NULL, &pe), GX_TXBODY_PROTO);
}

static int gx_setup(void **st) {
  (void)st;
  return sodium_init() < 0 ? -1 : 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_binary),
    cmocka_unit_test(test_hex),
    cmocka_unit_test(test_half_and_limits),
  };
  return cmocka_run_group_tests(tests, gx_setup, NULL);
}
