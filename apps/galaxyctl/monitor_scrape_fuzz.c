/* libFuzzer: galaxyctl monitor's decoders of what a node answers
 * (apps/galaxyctl/monitor_scrape.h): the input is read as a /v1/status body
 * and as a /metrics text. Whatever decodes goes through the history (two
 * samples, the second one the first with its counters moved), a row, the
 * table line and the detail: counts stay within their arrays, buckets stay
 * sorted, and every line is NUL-terminated printable ASCII (nothing a node
 * sends may reach the terminal as a control byte).
 * galaxyctl is a program, not a layer: apps/galaxyctl/monitor_scrape.c is
 * compiled in. */
#include <stdlib.h>
#include <string.h>

#include "apps/galaxyctl/monitor_scrape.c"

static void printable(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == cap) abort();
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gx_mon_node_t node;
  static gx_mon_metrics_t m, m2;
  static char lines[GX_MON_DETAIL_MAX][GX_MON_LINE_MAX];
  gx_mon_status_t st;
  const char *text = (const char *)data;
  const char *swhy = gx_mon_status_decode(text, size, &st);
  unsigned line;
  const char *mwhy = gx_mon_metrics_decode(text, size, &m, &line);
  if (swhy) printable(swhy, 200);
  if (mwhy) {
    printable(mwhy, 200);
    if (!line) abort();
    return 0;
  }
  if (m.n_drops > GX_MON_DROPS_MAX || m.n_queues > GX_MON_QUEUES_MAX || m.n_link > GX_MON_KV_MAX ||
      m.n_cdrop > GX_MON_KV_MAX || m.n_buckets > GX_MON_BUCKETS_MAX)
    abort();
  for (uint32_t i = 1; i < m.n_buckets; i++)
    if (!(m.le[i - 1] < m.le[i])) abort();
  for (uint32_t i = 0; i < m.n_drops; i++) printable(m.drops[i].name, GX_MON_NAME_MAX);
  for (uint32_t i = 0; i < m.n_queues; i++) printable(m.queue[i].name, GX_MON_NAME_MAX);
  if (gx_mon_node_init(&node, 3, "127.0.0.1:7110", NULL)) abort();
  m2 = m;
  m2.committed += 100;
  m2.verified += 50;
  for (uint32_t i = 0; i < m2.n_drops; i++) m2.drops[i].v += i;
  for (uint32_t i = 0; i < m2.n_buckets; i++) m2.cum[i] += 2 * i;
  gx_mon_node_update(&node, 10, GX_MON_UP, 200, swhy ? NULL : &st, &m, swhy ? swhy : NULL);
  gx_mon_node_update(&node, 11, GX_MON_UP, 200, swhy ? NULL : &st, &m2, NULL);
  for (int lw = 0; lw <= 10; lw += 10) {
    gx_mon_view_t v = {5.0, lw};
    gx_mon_row_t r;
    gx_mon_row(&node, &v, swhy ? 0 : st.height + 3, !swhy, &r);
    double q = gx_mon_quantile(NULL, &m, 0.99, NULL);
    if (q >= 0 && m.n_buckets < 2) abort();
    char out[GX_MON_LINE_MAX];
    gx_mon_format_row(&r, out);
    printable(out, sizeof out);
    unsigned k = gx_mon_format_detail(&node, &v, 0, 0, 12, lines, GX_MON_DETAIL_MAX);
    if (k > GX_MON_DETAIL_MAX) abort();
    for (unsigned i = 0; i < k; i++) printable(lines[i], GX_MON_LINE_MAX);
  }
  return 0;
}
