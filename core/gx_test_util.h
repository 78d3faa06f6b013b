/* Helpers shared by core's cmocka tests: deterministic keys and transfers. */
#ifndef GX_TEST_UTIL_H
#define GX_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_proto.h"

/* A signed transfer from key `a` to key `b` (gx_key_derive("test", 0, a/b)). */
static inline void gx_test_xfer(gx_xfer_t *x, uint8_t enc[GX_XFER_SZ], int a, int b,
                                uint64_t amount, uint64_t iseq, uint64_t cseq) {
  gx_keypair_t ka, kb;
  gx_key_derive(&ka, "test", 0, (uint64_t)a);
  gx_key_derive(&kb, "test", 0, (uint64_t)b);
  memset(x, 0, sizeof *x);
  x->initiator = ka.pk;
  x->counterparty = kb.pk;
  x->amount = amount;
  x->nonce = 7;
  x->init_link.seq = iseq;
  if (iseq > 1) memset(x->init_link.prev.b, 0xA1, 32);
  x->cp_link.seq = cseq;
  if (cseq > 1) memset(x->cp_link.prev.b, 0xB2, 32);
  assert_int_equal(gx_xfer_sign_init(x, ka.sk), 0);
  assert_int_equal(gx_xfer_sign_cp(x, kb.sk), 0);
  gx_xfer_encode(x, enc);
}

#endif
