/* Certificates kept beside black holes: put, get, overwrite, absent heights,
 * bad arguments, survival across reopen, read-only handles, the put queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/gx_store.h"

/* A writable store in a new directory made from the template dir. */
static gx_store_t *open_fresh(char *dir, gx_store_cfg_t *cfg) {
  assert_non_null(mkdtemp(dir));
  gx_store_cfg_defaults(cfg);
  cfg->dir = dir;
  gx_store_t *s;
  gx_store_error_t err;
  assert_int_equal(gx_store_open(cfg, &s, &err), GX_STORE_OK);
  return s;
}

static void remove_dir(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_cert_put_get_reopen(void **st) {
  (void)st;
  char dir[] = "/tmp/gx-cert-test.XXXXXX";
  gx_store_cfg_t cfg;
  gx_store_error_t err;
  gx_store_t *s = open_fresh(dir, &cfg);
  uint8_t a[130], b[200], out[300];
  memset(a, 0xA1, sizeof a);
  memset(b, 0xB2, sizeof b);
  size_t len = 0;
  assert_int_equal(gx_store_get_cert(s, 5, out, sizeof out, &len), GX_STORE_ENOTFOUND);
  assert_int_equal(gx_store_put_cert(s, 5, a, sizeof a), GX_STORE_OK);
  assert_int_equal(gx_store_put_cert(s, 6, b, sizeof b), GX_STORE_OK);
  assert_int_equal(gx_store_get_cert(s, 5, out, sizeof out, &len), GX_STORE_OK);
  assert_int_equal(len, sizeof a);
  assert_memory_equal(out, a, sizeof a);
  assert_int_equal(gx_store_get_cert(s, 6, out, 10, &len), GX_STORE_ESMALL);
  assert_int_equal(gx_store_put_cert(s, 0, a, sizeof a), GX_STORE_EINVAL);
  assert_int_equal(gx_store_put_cert(s, 7, a, 0), GX_STORE_EINVAL);
  assert_int_equal(gx_store_put_cert(s, 7, a, GX_STORE_MAX_CERT + 1), GX_STORE_EINVAL);
  assert_int_equal(gx_store_put_cert(s, 5, b, sizeof b), GX_STORE_OK); /* a newer one replaces */
  assert_int_equal(gx_store_close(s), GX_STORE_OK);
  cfg.read_only = 1;
  assert_int_equal(gx_store_open(&cfg, &s, &err), GX_STORE_OK);
  assert_int_equal(gx_store_get_cert(s, 5, out, sizeof out, &len), GX_STORE_OK);
  assert_int_equal(len, sizeof b);
  assert_memory_equal(out, b, sizeof b);
  assert_int_equal(gx_store_put_cert(s, 9, a, sizeof a), GX_STORE_EINVAL); /* read-only */
  assert_int_equal(gx_store_close(s), GX_STORE_OK);
  remove_dir(dir);
}

/* More certificates than the queue holds, with no block applied in between:
 * the overflow is written at once, every one reads back before and after a
 * reopen (close writes the queue). */
static void test_cert_queue_overflow(void **st) {
  (void)st;
  char dir[] = "/tmp/gx-cert-test.XXXXXX";
  gx_store_cfg_t cfg;
  gx_store_error_t err;
  gx_store_t *s = open_fresh(dir, &cfg);
  enum { N = GX_STORE_CERT_PENDING + 10 };
  uint8_t c[40], out[64];
  size_t len;
  for (uint64_t h = 1; h <= N; h++) {
    memset(c, (int)h, sizeof c);
    assert_int_equal(gx_store_put_cert(s, h, c, sizeof c), GX_STORE_OK);
  }
  for (int pass = 0; pass < 2; pass++) {
    for (uint64_t h = 1; h <= N; h++) {
      memset(c, (int)h, sizeof c);
      assert_int_equal(gx_store_get_cert(s, h, out, sizeof out, &len), GX_STORE_OK);
      assert_int_equal(len, sizeof c);
      assert_memory_equal(out, c, sizeof c);
    }
    assert_int_equal(gx_store_close(s), GX_STORE_OK);
    if (pass == 0) assert_int_equal(gx_store_open(&cfg, &s, &err), GX_STORE_OK);
  }
  remove_dir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_cert_put_get_reopen),
                                     cmocka_unit_test(test_cert_queue_overflow)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
