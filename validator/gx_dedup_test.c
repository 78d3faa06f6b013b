/* gx_dedup: duplicates detected, no false duplicate even when tags collide,
 * FIFO eviction within a set, remove, and concurrent inserters agreeing on
 * exactly one "new" per id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/gx_util.h"
#include "validator/gx_dedup.h"

static gx_hash_t id_of(uint64_t set, uint64_t tag, uint8_t tail) {
  gx_hash_t h;
  memset(&h, 0, sizeof h);
  gx_st64(h.b, set);
  gx_st64(h.b + 8, tag);
  h.b[31] = tail;
  return h;
}

static void test_insert_dup(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(1000);
  assert_non_null(d);
  assert_int_equal(gx_dedup_entries(d), 1024);
  for (uint64_t i = 0; i < 500; i++) {
    gx_hash_t h;
    gx_hash(&h, GX_DOM_TX, &i, sizeof i);
    assert_int_equal(gx_dedup_insert(d, &h), 0);
    assert_int_equal(gx_dedup_insert(d, &h), 1);
  }
  gx_dedup_delete(d);
}

static void test_tag_collision_is_not_duplicate(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(64);
  gx_hash_t a = id_of(3, 77, 1), b = id_of(3, 77, 2); /* same set and tag */
  assert_int_equal(gx_dedup_insert(d, &a), 0);
  assert_int_equal(gx_dedup_insert(d, &b), 0); /* differs beyond the tag: new */
  assert_int_equal(gx_dedup_insert(d, &a), 1);
  assert_int_equal(gx_dedup_insert(d, &b), 1);
  gx_hash_t z = id_of(5, 0, 1), z2 = id_of(5, 1, 1); /* tag 0 maps to 1 */
  assert_int_equal(gx_dedup_insert(d, &z), 0);
  assert_int_equal(gx_dedup_insert(d, &z2), 0);
  assert_int_equal(gx_dedup_insert(d, &z), 1);
  gx_dedup_delete(d);
}

static void test_fifo_eviction_and_remove(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(64); /* 8 sets of 8 ways */
  for (int i = 0; i < GX_DEDUP_WAYS; i++) {
    gx_hash_t h = id_of(2, 100 + (uint64_t)i, 0);
    assert_int_equal(gx_dedup_insert(d, &h), 0);
  }
  gx_hash_t ninth = id_of(2, 200, 0), first = id_of(2, 100, 0), second = id_of(2, 101, 0);
  assert_int_equal(gx_dedup_insert(d, &ninth), 0); /* evicts the oldest (first) */
  assert_false(gx_dedup_contains(d, &first));
  assert_true(gx_dedup_contains(d, &second));
  assert_int_equal(gx_dedup_remove(d, &second), 1);
  assert_int_equal(gx_dedup_remove(d, &second), 0);
  assert_int_equal(gx_dedup_insert(d, &second), 0);
  gx_hash_t other = id_of(3, 100, 0); /* other sets untouched */
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
    gx_hash_t h;
    gx_hash(&h, GX_DOM_TX, &i, sizeof i);
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
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_insert_dup),
      cmocka_unit_test(test_tag_collision_is_not_duplicate),
      cmocka_unit_test(test_fifo_eviction_and_remove),
      cmocka_unit_test(test_concurrent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
