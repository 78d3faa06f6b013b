/* EAL start-up without hugepages or a NIC: init, an rte_ring round trip, a
 * refused second init. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <rte_ring.h>

#include "dataplane/gx_eal.h"

static void test_eal_init_ring_and_reinit(void **state) {
  (void)state;
  gx_eal_cfg_t cfg;
  char err[256];
  gx_eal_cfg_defaults(&cfg);
  cfg.hugepages = 0;
  assert_int_equal(gx_eal_init(&cfg, err, sizeof err), 0);
  assert_true(gx_eal_ready());
  struct rte_ring *r = rte_ring_create("gx_eal_test", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  assert_non_null(r);
  void *in[4] = {(void *)1, (void *)2, (void *)3, (void *)4}, *out[4];
  assert_int_equal(rte_ring_enqueue_burst(r, in, 4, NULL), 4);
  assert_int_equal(rte_ring_dequeue_burst(r, out, 4, NULL), 4);
  assert_ptr_equal(out[3], (void *)4);
  rte_ring_free(r);
  assert_int_equal(gx_eal_init(&cfg, err, sizeof err), -1);
  assert_non_null(strstr(err, "already"));
  gx_eal_cleanup();
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_eal_init_ring_and_reinit)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
