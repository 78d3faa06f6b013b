/* gx_metrics: registration rules, family grouping, summed counters, gauges,
 * histograms, overflow of the output buffer, and promtool-clean text (the
 * live text is also checked by promtool in tests/test_metrics.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/gx_metrics.h"

static gx_metrics_t reg;
static char out[16384];

static int setup(void **state) {
  (void)state;
  gx_metrics_init(&reg);
  return 0;
}
static int teardown(void **state) {
  (void)state;
  gx_metrics_fini(&reg);
  return 0;
}

static void test_counter_and_family(void **state) {
  (void)state;
  static _Atomic uint64_t a = 5, b = 7;
  assert_int_equal(gx_metrics_counter(&reg, "gx_parse_errors_total", "reason=\"short\"",
                                      "Datagrams rejected by the parser.", &a), GX_METRICS_OK);
  assert_int_equal(gx_metrics_counter(&reg, "gx_parse_errors_total", "reason=\"trailing\"",
                                      "Datagrams rejected by the parser.", &b), GX_METRICS_OK);
  gx_metrics_add(&a, 3);
  long n = gx_metrics_render(&reg, out, sizeof out, NULL);
  assert_true(n > 0);
  assert_int_equal((long)strlen(out), n);
  assert_non_null(strstr(out, "# HELP gx_parse_errors_total Datagrams rejected by the parser.\n"
                              "# TYPE gx_parse_errors_total counter\n"
                              "gx_parse_errors_total{reason=\"short\"} 8\n"
                              "gx_parse_errors_total{reason=\"trailing\"} 7\n"));
  /* one HELP for the family */
  assert_ptr_equal(strstr(out, "# HELP"), strrchr(out, '#') - strlen("# HELP gx_parse_errors_total Datagrams rejected by the parser.\n"));
}

static void test_rules(void **state) {
  (void)state;
  static _Atomic uint64_t c;
  static _Atomic int64_t g;
  assert_int_equal(gx_metrics_counter(&reg, "gx_rx_datagrams", NULL, "x", &c), GX_METRICS_ERR_NAME);
  assert_int_equal(gx_metrics_counter(&reg, "9bad_total", NULL, "x", &c), GX_METRICS_ERR_NAME);
  assert_int_equal(gx_metrics_counter(&reg, "gx:bad_total", NULL, "x", &c), GX_METRICS_ERR_NAME);
  assert_int_equal(gx_metrics_gauge(&reg, "gx_depth_total", NULL, "x", &g), GX_METRICS_ERR_NAME);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", "reason=short", "x", &c), GX_METRICS_ERR_LABELS);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", "le=\"1\"", "x", &c), GX_METRICS_ERR_LABELS);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", "a=\"1\",", "x", &c), GX_METRICS_ERR_LABELS);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", NULL, "", &c), GX_METRICS_ERR_HELP);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", "a=\"1\",b=\"x y\"", "x", &c), GX_METRICS_OK);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", "a=\"1\",b=\"x y\"", "x", &c), GX_METRICS_ERR_DUP);
  assert_int_equal(gx_metrics_counter(&reg, "gx_a_total", NULL, "other help", &c), GX_METRICS_ERR_KIND);
  assert_int_equal(gx_metrics_gauge(&reg, "gx_b", NULL, "x", &g), GX_METRICS_OK);
  assert_int_equal(gx_metrics_info(&reg, "gx_b", "v=\"1\"", "x"), GX_METRICS_OK);
  uint64_t bad[] = {5, 5};
  gx_metrics_hist_t h;
  assert_int_equal(gx_metrics_hist_init(&h, bad, 2, 1e-9), GX_METRICS_ERR_BUCKETS);
  assert_int_equal(gx_metrics_hist_init(&h, bad, 0, 1e-9), GX_METRICS_ERR_BUCKETS);
  assert_string_equal(gx_metrics_strerror(GX_METRICS_ERR_DUP),
                      "metric with this name and labels already registered");
}

static void test_full(void **state) {
  (void)state;
  static _Atomic uint64_t c;
  char name[64];
  for (int i = 0; i < GX_METRICS_MAX; i++) {
    snprintf(name, sizeof name, "gx_m%d_total", i);
    assert_int_equal(gx_metrics_counter(&reg, name, NULL, "x", &c), GX_METRICS_OK);
  }
  assert_int_equal(gx_metrics_counter(&reg, "gx_one_more_total", NULL, "x", &c), GX_METRICS_ERR_FULL);
}

struct per_thread {
  _Atomic uint64_t ok;
  char pad[56];
};
static double gauge_fn(void *arg) { return *(double *)arg; }

static void test_sum_gauges_histogram(void **state) {
  (void)state;
  static struct per_thread w[3];
  gx_metrics_add(&w[0].ok, 1);
  gx_metrics_add(&w[1].ok, 10);
  gx_metrics_add(&w[2].ok, 100);
  assert_int_equal(gx_metrics_counter_sum(&reg, "gx_verify_ok_total", NULL, "Verified.",
                                          &w[0].ok, 3, sizeof w[0]), GX_METRICS_OK);
  static _Atomic int64_t depth = -3;
  assert_int_equal(gx_metrics_gauge(&reg, "gx_depth", "queue=\"verify\"", "Depth.", &depth), 0);
  static double half = 0.5;
  assert_int_equal(gx_metrics_gauge_fn(&reg, "gx_ratio", NULL, "Ratio.", gauge_fn, &half), 0);
  static gx_metrics_hist_t h;
  uint64_t bounds[] = {1000, 1000000};
  assert_int_equal(gx_metrics_hist_init(&h, bounds, 2, 1e-9), GX_METRICS_OK);
  gx_metrics_hist_observe(&h, 500);
  gx_metrics_hist_observe(&h, 1000);
  gx_metrics_hist_observe(&h, 5000);
  gx_metrics_hist_observe(&h, 2000000000);
  assert_int_equal(gx_metrics_histogram(&reg, "gx_verify_batch_duration_seconds",
                                        "stage=\"verify\"", "Batch time.", &h), GX_METRICS_OK);
  assert_int_equal(gx_metrics_info(&reg, "gx_build_info", "version=\"0.1\"", "Build."), 0);
  assert_true(gx_metrics_render(&reg, out, sizeof out, NULL) > 0);
  assert_non_null(strstr(out, "gx_verify_ok_total 111\n"));
  assert_non_null(strstr(out, "# TYPE gx_depth gauge\ngx_depth{queue=\"verify\"} -3\n"));
  assert_non_null(strstr(out, "gx_ratio 0.5\n"));
  assert_non_null(strstr(out, "# TYPE gx_verify_batch_duration_seconds histogram\n"
                              "gx_verify_batch_duration_seconds_bucket{stage=\"verify\",le=\"1e-06\"} 2\n"
                              "gx_verify_batch_duration_seconds_bucket{stage=\"verify\",le=\"0.001\"} 3\n"
                              "gx_verify_batch_duration_seconds_bucket{stage=\"verify\",le=\"+Inf\"} 4\n"
                              "gx_verify_batch_duration_seconds_sum{stage=\"verify\"} 2.0000065\n"
                              "gx_verify_batch_duration_seconds_count{stage=\"verify\"} 4\n"));
  assert_non_null(strstr(out, "gx_build_info{version=\"0.1\"} 1\n"));
}

static void test_nospace(void **state) {
  (void)state;
  static _Atomic uint64_t c = 42;
  assert_int_equal(gx_metrics_counter(&reg, "gx_c_total", NULL, "C.", &c), 0);
  char small[20];
  gx_metrics_err_t err = GX_METRICS_OK;
  assert_int_equal(gx_metrics_render(&reg, small, sizeof small, &err), -1);
  assert_int_equal(err, GX_METRICS_ERR_NOSPACE);
  assert_true(strlen(small) < sizeof small);
  assert_true(gx_metrics_render(&reg, out, sizeof out, &err) > 0);
  assert_int_equal(err, GX_METRICS_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_counter_and_family, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sum_gauges_histogram, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nospace, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
