/* gx_dedup: duplicates detected, keys sharing a set (and a low word) stay
 * distinct, FIFO eviction within a set, remove, keys differ per table (secret
 * hash key) but are stable within one, and concurrent inserters agree on
 * exactly one "new" per key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>
#include "ingest/gx_dedup.h"

static gx_dedup_key_t id_of(uint64_t set, uint64_t tag, uint8_t tail) {
  return (gx_dedup_key_t){set, (tag << 8) | tail};
}

static void test_insert_dup(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(1000);
  assert_non_null(d);
  assert_int_equal(gx_dedup_entries(d), 1024);
  for (uint64_t i = 0; i < 500; i++) {
    gx_dedup_key_t h;
    gx_dedup_key(d, (const uint8_t *)&i, sizeof i, &h);
    assert_int_equal(gx_dedup_insert(d, &h), 0);
    assert_int_equal(gx_dedup_insert(d, &h), 1);
  }
  /* the key is stable within a table and secret per table */
  uint8_t xfer[290] = {1, 2, 3};
  gx_dedup_key_t k1, k2, k3;
  gx_dedup_key(d, xfer, sizeof xfer, &k1);
  gx_dedup_key(d, xfer, sizeof xfer, &k2);
  assert_memory_equal(&k1, &k2, sizeof k1);
  gx_dedup_t *other = gx_dedup_new(1000);
  gx_dedup_key(other, xfer, sizeof xfer, &k3);
  assert_memory_not_equal(&k1, &k3, sizeof k1);
  xfer[289] ^= 1;
  gx_dedup_key(d, xfer, sizeof xfer, &k2);
  assert_memory_not_equal(&k1, &k2, sizeof k1);
  gx_dedup_delete(other);
  gx_dedup_delete(d);
}

static void test_shared_low_word_is_not_duplicate(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(64);
  gx_dedup_key_t a = id_of(3, 77, 1), b = id_of(3, 77, 2); /* same low word */
  assert_int_equal(gx_dedup_insert(d, &a), 0);
  assert_int_equal(gx_dedup_insert(d, &b), 0); /* differs beyond the tag: new */
  assert_int_equal(gx_dedup_insert(d, &a), 1);
  assert_int_equal(gx_dedup_insert(d, &b), 1);
  gx_dedup_key_t z = {0, 0}, z2 = {0, 2}; /* the all-zero key still works */
  assert_int_equal(gx_dedup_insert(d, &z), 0);
  assert_int_equal(gx_dedup_insert(d, &z2), 0);
  assert_int_equal(gx_dedup_insert(d, &z), 1);
  gx_dedup_delete(d);
}

static void test_fifo_eviction_and_remove(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(64); /* 8 sets of 8 ways */
  for (int i = 0; i < GX_DEDUP_WAYS; i++) {
    gx_dedup_key_t h = id_of(2, 100 + (uint64_t)i, 0);
    assert_int_equal(gx_dedup_insert(d, &h), 0);
  }
  gx_dedup_key_t ninth = id_of(2, 200, 0), first = id_of(2, 100, 0), second = id_of(2, 101, 0);
  assert_int_equal(gx_dedup_insert(d, &ninth), 0); /* evicts the oldest (first) */
  assert_false(gx_dedup_contains(d, &first));
  assert_true(gx_dedup_contains(d, &second));
  assert_int_equal(gx_dedup_remove(d, &second), 1);
  assert_int_equal(gx_dedup_remove(d, &second), 0);
  assert_int_equal(gx_dedup_insert(d, &second), 0);
  gx_dedup_key_t other = id_of(3, 100, 0); /* other sets untouched */
  assert_false(gx_dedup_contains(d, &other));
  gx_dedup_delete(d);
}

enum { THREADS = 4, IDS = 20000 };
static gx_dedup_t *shared;
static _Atomic int news;
static void *inserter(void *arg) {
  (void)arg;
  int mine = 0;
  for (uint64_t i = 0; i < IDS; i++) {
    gx_dedup_key_t h;
    gx_dedup_key(shared, (const uint8_t *)&i, sizeof i, &h);
    if (!gx_dedup_insert(shared, &h)) mine++;
  }
  atomic_fetch_add(&news, mine);
  return NULL;
}

static void test_concurrent(void **state) {
  (void)state;
  shared = gx_dedup_new(1 << 20); /* large enough that nothing is evicted */
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, inserter, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&news), IDS);
  gx_dedup_delete(shared);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_insert_dup),
      cmocka_unit_test(test_shared_low_word_is_not_duplicate),
      cmocka_unit_test(test_fifo_eviction_and_remove),
      cmocka_unit_test(test_concurrent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
