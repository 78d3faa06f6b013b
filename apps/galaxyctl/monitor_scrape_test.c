/* galaxyctl monitor's pure half (apps/galaxyctl/monitor_scrape.h): /v1/status
 * and /metrics decoding (a node's real answers, every rejection, hostile
 * bytes cleaned), histogram quantiles, rates over the history and restarts,
 * rows, sorting, the table and detail text.
 * galaxyctl is a program, not a layer: this test compiles
 * apps/galaxyctl/monitor_scrape.c in (it needs only libc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "apps/galaxyctl/monitor_scrape.c"

/* /v1/status of a validator (docs/API.md) */
static const char status_json[] =
    "{\"chain\":true,\"name\":\"galaxy-local\",\"validator\":1,\"validators\":4,\"committee_changes\":2,"
    "\"height\":153,\"tip\":\"1dc0\",\"next_epoch\":153,\"blackholes\":153,\"empty_blackholes\":140,"
    "\"transfers_committed\":10000,\"certificates\":150,\"equivocations\":0,\"synced_blackholes\":3,"
    "\"supply\":20000000,\"total_balance\":20000000,\"syncing\":false,\"healthy\":true,\"failure\":\"\","
    "\"mempool\":12,\"verified\":10000,\"verify_failed\":0,\"duplicates\":30000,"
    "\"rejected\":{\"bad_signature\":0,\"replay\":0,\"seq_gap\":0}}";

/* A trimmed /metrics of a running galaxyd, the shapes of every family read. */
static const char metrics_text[] =
    "# HELP gx_parse_errors_total Datagrams rejected by the parser.\n"
    "# TYPE gx_parse_errors_total counter\n"
    "gx_parse_errors_total{reason=\"short\"} 2\n"
    "gx_parse_errors_total{reason=\"trailing\"} 0\n"
    "gx_ingress_drops_total{reason=\"verify_queue_full\"} 7\n"
    "gx_ingress_drops_total{reason=\"far_ahead\"} 0\n"
    "gx_gate_drops_total{stage=\"rx\",reason=\"stale\"} 3\n"
    "gx_gate_drops_total{stage=\"verify\",reason=\"stale\"} 4\n"
    "gx_gate_drops_total{stage=\"rx\",reason=\"too_far\"} 0\n"
    "gx_verify_ok_total 5000\n"
    "gx_verify_failed_total{signature=\"initiator\"} 1\n"
    "gx_verify_failed_total{signature=\"counterparty\"} 2\n"
    "gx_mempool_rejected_total{reason=\"duplicate\"} 5\n"
    "gx_mempool_transfers 12\n"
    "gx_mempool_capacity 100000\n"
    "gx_queue_depth{queue=\"verify\"} 4096\n"
    "gx_queue_depth{queue=\"mempool\"} 10\n"
    "gx_queue_capacity{queue=\"verify\"} 16384\n"
    "gx_queue_capacity{queue=\"mempool\"} 16384\n"
    "gx_blackhole_height 153\n"
    "gx_transfers_committed_total 4000\n"
    "gx_certificates_total 150\n"
    "gx_sync_blackholes_total 3\n"
    "gx_sync_failures_total 0\n"
    "gx_consensus_messages_in_total 900\n"
    "gx_consensus_messages_out_total 800\n"
    "gx_consensus_sent_bytes_total 2000000\n"
    "gx_consensus_dropped_total{reason=\"stale\"} 11\n"
    "gx_link_datagrams_total{outcome=\"accepted\"} 950\n"
    "gx_link_datagrams_total{outcome=\"bad_tag\"} 1\n"
    "# TYPE gx_epoch_commit_seconds histogram\n"
    "gx_epoch_commit_seconds_bucket{le=\"0.1\"} 10\n"
    "gx_epoch_commit_seconds_bucket{le=\"0.5\"} 90\n"
    "gx_epoch_commit_seconds_bucket{le=\"1\"} 100\n"
    "gx_epoch_commit_seconds_bucket{le=\"+Inf\"} 100\n"
    "gx_epoch_commit_seconds_sum 30.5\n"
    "gx_epoch_commit_seconds_count 100\n"
    "gx_build_info{version=\"0.4.0\",revision=\"abc\",mode=\"socket\"} 1\n";

static double drop_of(const gx_mon_metrics_t *m, const char *name) {
  for (uint32_t i = 0; i < m->n_drops; i++)
    if (!strcmp(m->drops[i].name, name)) return m->drops[i].v;
  return -1;
}

static void test_status(void **unused) {
  (void)unused;
  gx_mon_status_t s;
  assert_null(gx_mon_status_decode(status_json, strlen(status_json), &s));
  assert_int_equal(s.height, 153);
  assert_int_equal(s.chain, 1);
  assert_int_equal(s.syncing, 0);
  assert_int_equal(s.healthy, 1);
  assert_int_equal(s.has_validator, 1);
  assert_int_equal(s.validator, 1);
  assert_int_equal(s.validators, 4);
  assert_int_equal(s.committee_changes, 2);
  assert_int_equal(s.transfers, 10000);
  assert_int_equal(s.certificates, 150);
  assert_int_equal(s.synced, 3);
  assert_int_equal(s.mempool, 12);
  assert_string_equal(s.name, "galaxy-local");
  assert_string_equal(s.role, "");
  /* a role, a non-member, a failure with escapes and hostile bytes, whitespace */
  const char *j = " { \"height\" : 7 , \"role\":\"star\", \"validator\":-1, \"syncing\":true,"
                  "\"healthy\":false, \"failure\":\"disk \\\"full\\\" \\u001b[2J\" } \n";
  assert_null(gx_mon_status_decode(j, strlen(j), &s));
  assert_int_equal(s.height, 7);
  assert_string_equal(s.role, "star");
  assert_int_equal(s.validator, -1);
  assert_int_equal(s.syncing, 1);
  assert_int_equal(s.healthy, 0);
  assert_string_equal(s.failure, "disk \"full\" ?[2J");
  for (const char *p = s.failure; *p; p++) assert_true(*p >= 0x20 && *p < 0x7f);
  /* absent members stay unknown */
  assert_null(gx_mon_status_decode("{\"height\":0}", 12, &s));
  assert_int_equal(s.chain, -1);
  assert_int_equal(s.syncing, -1);
  assert_int_equal(s.has_validator, 0);
  /* rejections, each leaving the output zeroed */
  static const struct { const char *body, *why; } bad[] = {
      {"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {"{}", "no height"},
      {"{\"chain\":true}", "no height"},
      {"{\"height\":-1}", "height is not a whole number"},
      {"{\"height\":1.5}", "height is not a whole number"},
      {"{\"height\":18446744073709551616}", "height is not a whole number"},
      {"{\"height\":1}x", "bytes after the object"},
      {"{\"height\":1", "members not separated by ','"},
      {"{\"height\":1 \"a\":2}", "members not separated by ','"},
      {"{\"height\":\"1", "a malformed value"},
      {"{\"height\":{\"a\":[1,2}}", "a malformed value"},
      {"{height:1}", "a member without a quoted name"},
      {"{\"height\" 1}", "a member without ':'"},
      {"{\"heig", "an unterminated string"},
      {"{\"height\":1,\"role\":\"a\x1b\"}", "a malformed value"}, /* a raw control byte */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&s, 0x5a, sizeof s);
    const char *why = gx_mon_status_decode(bad[i].body, strlen(bad[i].body), &s);
    assert_non_null(why);
    assert_string_equal(why, bad[i].why);
    assert_int_equal(s.height, 0);
  }
  /* nesting: 10 deep is fine, 20 is beyond the bound */
  char deep[200];
  for (int d = 10; d <= 20; d += 10) {
    size_t k = (size_t)snprintf(deep, sizeof deep, "{\"height\":1,\"x\":");
    for (int i = 0; i < d; i++) deep[k++] = '[';
    for (int i = 0; i < d; i++) deep[k++] = ']';
    deep[k++] = '}';
    if (d == 10) assert_null(gx_mon_status_decode(deep, k, &s));
    else assert_string_equal(gx_mon_status_decode(deep, k, &s), "a malformed value");
  }
  /* the length is the bound, not a NUL */
  assert_null(gx_mon_status_decode("{\"height\":12}garbage", 13, &s));
  assert_int_equal(s.height, 12);
}

static void test_metrics(void **unused) {
  (void)unused;
  gx_mon_metrics_t m;
  unsigned line = 99;
  assert_null(gx_mon_metrics_decode(metrics_text, strlen(metrics_text), &m, &line));
  assert_int_equal(line, 0);
  assert_int_equal(m.have, GX_MON_HAVE_COMMITTED | GX_MON_HAVE_VERIFIED | GX_MON_HAVE_HEIGHT | GX_MON_HAVE_EPOCH);
  assert_true(m.committed == 4000 && m.verified == 5000 && m.height == 153);
  assert_true(m.mempool == 12 && m.mempool_cap == 100000);
  assert_true(m.certificates == 150 && m.sync_ok == 3 && m.sync_failed == 0);
  assert_true(m.cons_in == 900 && m.cons_out == 800 && m.cons_bytes == 2e6);
  assert_true(drop_of(&m, "parse_short") == 2);
  assert_true(drop_of(&m, "parse_trailing") == 0);
  assert_true(drop_of(&m, "verify_queue_full") == 7);
  assert_true(drop_of(&m, "gate_stale") == 7); /* both stages */
  assert_true(drop_of(&m, "gate_too_far") == 0);
  assert_true(drop_of(&m, "bad_signature") == 3); /* both signatures */
  assert_true(drop_of(&m, "pool_duplicate") == 5);
  assert_int_equal(m.n_drops, 8);
  assert_int_equal(m.n_queues, 2);
  assert_string_equal(m.queue[0].name, "verify");
  assert_true(m.queue[0].depth == 4096 && m.queue[0].cap == 16384);
  assert_int_equal(m.n_link, 2);
  assert_string_equal(m.link[1].name, "bad_tag");
  assert_int_equal(m.n_cdrop, 1);
  assert_int_equal(m.n_buckets, 4);
  assert_true(m.le[0] == 0.1 && m.le[2] == 1 && isinf(m.le[3]) && m.cum[1] == 90);

  /* buckets out of order, a timestamp, CRLF, blank and comment lines */
  const char *t = "\n  # x\ngx_epoch_commit_seconds_bucket{le=\"+Inf\"} 4 1700000000\r\n"
                  "gx_epoch_commit_seconds_bucket{le=\"1\"} 3\n"
                  "gx_epoch_commit_seconds_bucket{le=\"0.5\"} 1\n"
                  "other_metric{a=\"\\\"\\\\\\n\"} +Inf\n";
  assert_null(gx_mon_metrics_decode(t, strlen(t), &m, NULL));
  assert_int_equal(m.n_buckets, 3);
  assert_true(m.le[0] == 0.5 && m.le[1] == 1 && isinf(m.le[2]) && m.cum[2] == 4);

  /* more drop reasons than fit: the last entry is "other" and takes the rest */
  char many[8192];
  size_t k = 0;
  for (int i = 0; i < GX_MON_DROPS_MAX + 10; i++)
    k += (size_t)snprintf(many + k, sizeof many - k, "gx_ingress_drops_total{reason=\"r%d\"} 1\n", i);
  assert_null(gx_mon_metrics_decode(many, k, &m, NULL));
  assert_int_equal(m.n_drops, GX_MON_DROPS_MAX);
  assert_string_equal(m.drops[GX_MON_DROPS_MAX - 1].name, "other");
  assert_true(m.drops[GX_MON_DROPS_MAX - 1].v == 11);
  /* a reason with bytes outside a name is cleaned */
  const char *h = "gx_ingress_drops_total{reason=\"a\x1b[31mb\"} 1\n";
  assert_null(gx_mon_metrics_decode(h, strlen(h), &m, NULL));
  assert_string_equal(m.drops[0].name, "a??31mb");

  static const struct { const char *text, *why; unsigned line; } bad[] = {
      {"gx_a 1\n{x=\"1\"} 2\n", "a sample line without a metric name", 2},
      {"gx_a\n", "no value after the metric name", 1},
      {"gx_a{x=\"1\"}\n", "no value after the metric name", 1},
      {"gx_a x\n", "a value that is not a number", 1},
      {"gx_a 1 2 3\n", "junk after the value", 1},
      {"gx_a 1 12x\n", "junk after the value", 1},
      {"gx_a{x=1} 1\n", "a label without =\"value\"", 1},
      {"gx_a{x=\"1} 1\n", "an unterminated label value", 1},
      {"gx_a{x=\"\\q\"} 1\n", "a bad escape in a label value", 1},
      {"gx_a{9=\"1\"} 1\n", "a malformed label name", 1},
      {"# ok\n\ngx_a{x=\"1\"", "a malformed label name", 3},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *why = gx_mon_metrics_decode(bad[i].text, strlen(bad[i].text), &m, &line);
    assert_non_null(why);
    assert_string_equal(why, bad[i].why);
    assert_int_equal(line, bad[i].line);
    assert_int_equal(m.n_drops, 0);
  }
  char longname[200];
  memset(longname, 'a', 150);
  memcpy(longname + 150, " 1\n", 4);
  assert_string_equal(gx_mon_metrics_decode(longname, strlen(longname), &m, NULL), "a metric name too long");
}

static void test_quantile(void **unused) {
  (void)unused;
  gx_mon_metrics_t a, b;
  assert_null(gx_mon_metrics_decode(metrics_text, strlen(metrics_text), &b, NULL));
  double n;
  /* 100 observations: 10 <= 0.1, 80 in (0.1, 0.5], 10 in (0.5, 1] */
  assert_true(fabs(gx_mon_quantile(NULL, &b, 0.5, &n) - (0.1 + 0.4 * 40.0 / 80.0)) < 1e-9);
  assert_true(n == 100);
  assert_true(fabs(gx_mon_quantile(NULL, &b, 0.05, NULL) - 0.05) < 1e-9);
  assert_true(fabs(gx_mon_quantile(NULL, &b, 0.99, NULL) - (0.5 + 0.5 * 9.0 / 10.0)) < 1e-9);
  /* between two snapshots: only what happened in between counts */
  a = b;
  a.cum[0] = 10, a.cum[1] = 89, a.cum[2] = 89, a.cum[3] = 89; /* then 1 in (0.1,0.5] and 10 in (0.5,1] */
  assert_true(fabs(gx_mon_quantile(&a, &b, 0.5, &n) - (0.5 + 0.5 * (5.5 - 1) / 10.0)) < 1e-9);
  assert_true(n == 11);
  /* nothing observed: unknown */
  assert_true(gx_mon_quantile(&b, &b, 0.5, &n) < 0 && n == 0);
  /* in +Inf: the highest finite bound */
  a = b;
  a.cum[3] = 200;
  assert_true(gx_mon_quantile(NULL, &a, 0.99, NULL) == 1);
  /* no +Inf bucket, or no buckets: unknown */
  a = b;
  a.n_buckets = 3;
  assert_true(gx_mon_quantile(NULL, &a, 0.5, NULL) < 0);
  a.n_buckets = 0;
  assert_true(gx_mon_quantile(NULL, &a, 0.5, NULL) < 0);
  /* another bucket layout in the old snapshot: since the start */
  a = b;
  a.le[0] = 0.2;
  assert_true(fabs(gx_mon_quantile(&a, &b, 0.5, NULL) - 0.3) < 1e-9);
}

/* A metrics sample with the counters set. */
static void sample(gx_mon_metrics_t *m, double committed, double verified, double drops, double epochs) {
  assert_null(gx_mon_metrics_decode(metrics_text, strlen(metrics_text), m, NULL));
  m->committed = committed;
  m->verified = verified;
  m->drops[2].v = drops; /* verify_queue_full */
  for (uint32_t i = 0; i < m->n_buckets; i++) m->cum[i] = epochs; /* all in the first bucket */
}

static void test_history_rows(void **unused) {
  (void)unused;
  static gx_mon_node_t n, d;
  gx_mon_status_t st;
  static gx_mon_metrics_t m;
  gx_mon_view_t v = {5.0, 10.0};
  gx_mon_row_t r;
  assert_null(gx_mon_node_init(&n, 0, "127.0.0.1:7110/", NULL));
  assert_string_equal(n.url, "http://127.0.0.1:7110");
  assert_string_equal(n.label, "127.0.0.1:7110");
  assert_null(gx_mon_node_init(&d, 1, "https://[::1]:7111", "v1 dead"));
  assert_string_equal(d.label, "v1 dead");
  gx_mon_node_t tmp;
  assert_string_equal(gx_mon_node_init(&tmp, 0, "ftp://x", NULL), "a URL that is neither http:// nor https://");
  assert_string_equal(gx_mon_node_init(&tmp, 0, "//", NULL), "an empty URL");
  assert_string_equal(gx_mon_node_init(&tmp, 0, "http://a b", NULL), "a URL with a space or control byte");

  /* never polled */
  gx_mon_row(&n, &v, 0, 0, &r);
  assert_string_equal(r.status, "wait");
  assert_int_equal(r.has_height, 0);
  assert_true(r.commit < 0 && r.p50 < 0);

  assert_null(gx_mon_status_decode(status_json, strlen(status_json), &st));
  /* 100 committed/s, 200 verified/s, 10 drops/s, 5 epochs/s for 8 s */
  for (int t = 0; t <= 8; t++) {
    sample(&m, 1000 + 100 * t, 2000 + 200 * t, 10 * t, 5 * t);
    gx_mon_node_update(&n, 100 + t, GX_MON_UP, 200, &st, &m, NULL);
  }
  gx_mon_row(&n, &v, 160, 1, &r);
  assert_string_equal(r.status, "ok");
  assert_int_equal(r.up, 1);
  assert_int_equal(r.color, GX_MON_GREEN);
  assert_string_equal(r.role, "galaxy");
  assert_true(r.has_height && r.height == 153 && r.has_lag && r.lag == 7);
  assert_true(fabs(r.commit - 100) < 1e-9 && fabs(r.verify - 200) < 1e-9 && fabs(r.drops - 10) < 1e-9);
  assert_string_equal(r.top_drop, "verify_queue_full");
  assert_true(fabs(r.queue_fill - 0.25) < 1e-9);
  assert_string_equal(r.queue, "verify");
  assert_true(r.p50 > 0 && r.p50 <= 0.1 && r.p99 <= 0.1);
  assert_int_equal(r.syncing, 0);
  char line[GX_MON_LINE_MAX], head[GX_MON_LINE_MAX];
  gx_mon_format_header(head);
  gx_mon_format_row(&r, line);
  assert_non_null(strstr(head, "HEIGHT"));
  assert_non_null(strstr(head, "TOP-DROP"));
  assert_int_equal(strncmp(head + gx_mon_status_offset(), "STATUS", 6), 0);
  assert_int_equal(strncmp(line + gx_mon_status_offset(), "ok ", 3), 0);
  assert_non_null(strstr(line, " 153 "));
  assert_non_null(strstr(line, "verify_queue_f")); /* cut to its column */
  assert_non_null(strstr(line, "25%v"));

  /* no drops lately: the top reason since the start, at 0/s */
  for (int t = 9; t <= 15; t++) {
    sample(&m, 1000 + 100 * t, 2000 + 200 * t, 80, 5 * t);
    m.drops[0].v = 2; /* parse_short */
    gx_mon_node_update(&n, 100 + t, GX_MON_UP, 200, &st, &m, NULL);
  }
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_true(r.drops == 0);
  assert_string_equal(r.top_drop, "verify_queue_full");

  /* a restart (counters back down): the history starts again, rates unknown */
  sample(&m, 10, 10, 0, 1);
  gx_mon_node_update(&n, 116, GX_MON_UP, 200, &st, &m, NULL);
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_int_equal(n.ring_n, 1);
  assert_true(r.commit < 0 && r.verify < 0);
  sample(&m, 110, 10, 0, 1);
  gx_mon_node_update(&n, 118, GX_MON_UP, 200, &st, &m, NULL);
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_true(fabs(r.commit - 50) < 1e-9);

  /* metrics failing, status fine: still up, the error kept */
  gx_mon_node_update(&n, 119, GX_MON_UP, 200, &st, NULL, "/metrics: HTTP 404");
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_string_equal(r.status, "ok");
  assert_string_equal(n.err, "/metrics: HTTP 404");
  /* status syncing, then failed */
  st.syncing = 1;
  gx_mon_node_update(&n, 120, GX_MON_UP, 200, &st, &m, NULL);
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_string_equal(r.status, "sync");
  assert_int_equal(r.color, GX_MON_YELLOW);
  st.healthy = 0;
  gx_mon_node_update(&n, 121, GX_MON_UP, 200, &st, &m, NULL);
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_string_equal(r.status, "failed");
  assert_int_equal(r.color, GX_MON_RED);

  /* down: red, last height kept, no rates */
  gx_mon_node_update(&n, 122, GX_MON_DOWN, 0, NULL, NULL, "/v1/status: Connection refused");
  gx_mon_row(&n, &v, 153, 1, &r);
  assert_string_equal(r.status, "down");
  assert_int_equal(r.color, GX_MON_RED);
  assert_int_equal(r.up, 0);
  assert_true(r.has_height && r.height == 153);
  assert_true(r.commit < 0 && r.p99 < 0);
  gx_mon_node_update(&d, 122, GX_MON_HTTP, 401, NULL, NULL, "/v1/status: HTTP 401");
  gx_mon_row(&d, &v, 153, 1, &r);
  assert_string_equal(r.status, "http401");
  assert_int_equal(r.has_height, 0);
  gx_mon_node_update(&d, 123, GX_MON_UP, 200, NULL, NULL, "/v1/status: no height");
  gx_mon_row(&d, &v, 153, 1, &r);
  assert_string_equal(r.status, "bad");
  gx_mon_node_update(&d, 124, GX_MON_UNREACH, 0, NULL, NULL, "timeout");
  gx_mon_row(&d, &v, 153, 1, &r);
  assert_string_equal(r.status, "unreach");
  gx_mon_format_row(&r, line);
  assert_int_equal(strncmp(line, "  1 v1 dead", 11), 0);

  /* best height over the nodes that are up */
  int have;
  const gx_mon_node_t *both[2] = {&n, &d};
  gx_mon_best_height(both, 2, &have);
  assert_int_equal(have, 0);

  /* detail: member index, drops, last error */
  static char lines[GX_MON_DETAIL_MAX][GX_MON_LINE_MAX];
  unsigned k = gx_mon_format_detail(&n, &v, 153, 1, 130, lines, GX_MON_DETAIL_MAX);
  int member = 0, err = 0, drops = 0, zero = 0;
  for (unsigned i = 0; i < k; i++) {
    member |= strstr(lines[i], "committee member 1 of 4") != NULL;
    err |= strstr(lines[i], "last error (8 s ago): /v1/status: Connection refused") != NULL;
    drops |= strstr(lines[i], "drops by reason") != NULL;
    zero |= strstr(lines[i], "at 0:") != NULL;
  }
  assert_true(member && err && drops && zero);
  assert_int_equal(gx_mon_format_detail(&n, &v, 153, 1, 130, lines, 3), 3);
}

static void test_sort(void **unused) {
  (void)unused;
  gx_mon_row_t r[4];
  memset(r, 0, sizeof r);
  for (unsigned i = 0; i < 4; i++) {
    r[i].idx = i;
    r[i].commit = r[i].verify = r[i].drops = r[i].queue_fill = r[i].p50 = r[i].p99 = -1;
    r[i].syncing = -1;
    snprintf(r[i].role, sizeof r[i].role, "galaxy");
    r[i].status_rank = 7;
  }
  r[0].has_height = 1, r[0].height = 10;
  r[1].has_height = 1, r[1].height = 30;
  r[3].has_height = 1, r[3].height = 20;
  r[2].status_rank = 0; /* down: no height */
  snprintf(r[2].role, sizeof r[2].role, "-");
  r[1].p99 = 0.5, r[3].p99 = 0.1;
  gx_mon_sort(r, 4, GX_MON_COL_HEIGHT, 0);
  assert_true(r[0].idx == 1 && r[1].idx == 3 && r[2].idx == 0 && r[3].idx == 2);
  gx_mon_sort(r, 4, GX_MON_COL_HEIGHT, 1); /* reversed: the unknown one still last */
  assert_true(r[0].idx == 0 && r[1].idx == 3 && r[2].idx == 1 && r[3].idx == 2);
  gx_mon_sort(r, 4, GX_MON_COL_STATUS, 0); /* problems first, then by index */
  assert_true(r[0].idx == 2 && r[1].idx == 0 && r[2].idx == 1 && r[3].idx == 3);
  gx_mon_sort(r, 4, GX_MON_COL_NODE, 1);
  assert_true(r[0].idx == 3 && r[1].idx == 2 && r[2].idx == 1 && r[3].idx == 0);
  gx_mon_sort(r, 4, GX_MON_COL_P99, 0);
  assert_true(r[0].idx == 1 && r[1].idx == 3 && r[2].idx == 0 && r[3].idx == 2);
  gx_mon_sort(r, 4, GX_MON_COL_ROLE, 0); /* unknown role last */
  assert_int_equal(r[3].idx, 2);
  gx_mon_sort(r, 4, GX_MON_COL_NODE, 0);
  assert_true(r[0].idx == 0 && r[3].idx == 3);
  for (int c = 0; c < GX_MON_COL__SORTABLE; c++)
    assert_int_equal(gx_mon_col_parse(gx_mon_col_name((gx_mon_col_t)c)), c);
  assert_int_equal(gx_mon_col_parse("HEIGHT"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status),    cmocka_unit_test(test_metrics), cmocka_unit_test(test_quantile),
      cmocka_unit_test(test_history_rows), cmocka_unit_test(test_sort),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
