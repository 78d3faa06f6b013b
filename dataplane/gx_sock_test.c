/* gx_sock: real loopback UDP. Address parsing; IPv4 sockets with two
 * SO_REUSEPORT queues; dual-stack "::" receiving from IPv4 and IPv6 senders;
 * oversize datagrams dropped and counted; slots lent and returned; TX bursts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/gx_sock.h"

static void test_addr_parse(void **state) {
  (void)state;
  gx_addr_t a;
  char err[128], buf[GX_SOCK_ADDR_STRLEN];
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:7100", &a, 0, err, sizeof err), 0);
  assert_int_equal(a.family, 4);
  assert_int_equal(a.port, 7100);
  gx_sock_addr_format(&a, buf, sizeof buf);
  assert_string_equal(buf, "127.0.0.1:7100");
  assert_int_equal(gx_sock_addr_parse("[::1]:9", &a, 0, err, sizeof err), 0);
  assert_int_equal(a.family, 6);
  gx_sock_addr_format(&a, buf, sizeof buf);
  assert_string_equal(buf, "[::1]:9");
  assert_int_equal(gx_sock_addr_parse("localhost:80", &a, 0, err, sizeof err), 0);
  assert_int_equal(gx_sock_addr_parse("::1:80", &a, 0, err, sizeof err), -1);
  assert_int_equal(gx_sock_addr_parse("1.2.3.4:0", &a, 0, err, sizeof err), -1);
  assert_non_null(strstr(err, "bad port"));
  assert_int_equal(gx_sock_addr_parse("1.2.3.4:0", &a, 1, err, sizeof err), 0);
  assert_int_equal(gx_sock_addr_parse("1.2.3.4:70000", &a, 0, err, sizeof err), -1);
  assert_int_equal(gx_sock_addr_parse("1.2.3.4", &a, 0, err, sizeof err), -1);
  assert_int_equal(gx_sock_addr_parse("no.such.host.invalid:1", &a, 0, err, sizeof err), -1);
}

static void send_to(int family, const char *ip, uint16_t port, const void *buf, size_t len) {
  int fd = socket(family, SOCK_DGRAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    inet_pton(AF_INET, ip, &s4->sin_addr);
    sl = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &s6->sin6_addr);
    sl = sizeof *s6;
  }
  assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl), (ssize_t)len);
  close(fd);
}

/* Receives from all queues until want datagrams or ~2 s of empty polls. */
static int drain(gx_sock_t *s, int want, uint64_t *sum, uint8_t *family) {
  int got = 0;
  for (int spins = 0; got < want && spins < 400; spins++) {
    for (int qi = 0; qi < gx_sock_n_queues(s); qi++) {
      gx_dp_queue_t *q = gx_sock_queue(s, qi);
      gx_dgram_t d[GX_DP_BURST];
      int n = gx_dp_rx_burst(q, d, GX_DP_BURST);
      for (int i = 0; i < n; i++) {
        *sum += d[i].payload[0];
        if (family) *family = d[i].src.family;
      }
      gx_dp_rx_release(q, d, n);
      got += n;
    }
  }
  return got;
}

static void test_ipv4_two_queues(void **state) {
  (void)state;
  gx_sock_cfg_t cfg;
  gx_sock_cfg_defaults(&cfg);
  char err[128];
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:0", &cfg.bind, 1, err, sizeof err), 0);
  cfg.n_queues = 2;
  cfg.poll_timeout_ms = 5;
  gx_sock_t *s = gx_sock_open(&cfg, err, sizeof err);
  assert_non_null(s);
  uint16_t port = gx_sock_port(s);
  assert_true(port > 0);
  assert_true(gx_sock_rcvbuf(s) > 0);
  uint64_t want_sum = 0;
  for (int i = 0; i < 300; i++) { /* more than the slots: they must come back */
    uint8_t b[100];
    memset(b, (uint8_t)i, sizeof b);
    want_sum += (uint8_t)i;
    send_to(AF_INET, "127.0.0.1", port, b, sizeof b);
  }
  uint64_t sum = 0;
  uint8_t fam = 0;
  assert_int_equal(drain(s, 300, &sum, &fam), 300);
  assert_int_equal(sum, want_sum);
  assert_int_equal(fam, 4);
  uint64_t rx = 0;
  for (int i = 0; i < 2; i++) rx += gx_sock_counters(s, i)->rx_dgrams;
  assert_int_equal(rx, 300);
  /* oversize: dropped, counted, its slot reused */
  static uint8_t big[GX_SOCK_SLOT_SZ + 100];
  send_to(AF_INET, "127.0.0.1", port, big, sizeof big);
  uint8_t one = 7;
  send_to(AF_INET, "127.0.0.1", port, &one, 1);
  sum = 0;
  assert_int_equal(drain(s, 1, &sum, NULL), 1);
  assert_int_equal(sum, 7);
  uint64_t over = 0;
  for (int i = 0; i < 2; i++) over += gx_sock_counters(s, i)->rx_oversize;
  assert_int_equal(over, 1);
  /* a second open on the same port without SO_REUSEPORT peers fails cleanly */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  assert_int_not_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  close(fd);
  gx_sock_close(s);
}

static void test_dual_stack_and_tx(void **state) {
  (void)state;
  gx_sock_cfg_t cfg;
  gx_sock_cfg_defaults(&cfg);
  char err[128];
  assert_int_equal(gx_sock_addr_parse("[::]:0", &cfg.bind, 1, err, sizeof err), 0);
  cfg.poll_timeout_ms = 5;
  gx_sock_t *s = gx_sock_open(&cfg, err, sizeof err);
  if (!s) { /* a host without IPv6: nothing to test here */
    skip();
  }
  uint16_t port = gx_sock_port(s);
  uint8_t b = 1;
  uint64_t sum = 0;
  uint8_t fam = 0;
  send_to(AF_INET, "127.0.0.1", port, &b, 1);
  assert_int_equal(drain(s, 1, &sum, &fam), 1);
  assert_int_equal(fam, 4);
  send_to(AF_INET6, "::1", port, &b, 1);
  assert_int_equal(drain(s, 1, &sum, &fam), 1);
  assert_int_equal(fam, 6);
  /* TX: one IPv4 and one IPv6 destination, from the queue's own socket */
  gx_sock_cfg_t c2 = cfg;
  gx_sock_t *peer = gx_sock_open(&c2, err, sizeof err);
  assert_non_null(peer);
  gx_addr_t dst[2];
  char a4[32], a6[32];
  snprintf(a4, sizeof a4, "127.0.0.1:%u", gx_sock_port(peer));
  snprintf(a6, sizeof a6, "[::1]:%u", gx_sock_port(peer));
  assert_int_equal(gx_sock_addr_parse(a4, &dst[0], 0, err, sizeof err), 0);
  assert_int_equal(gx_sock_addr_parse(a6, &dst[1], 0, err, sizeof err), 0);
  const uint8_t p0[] = {10}, p1[] = {20};
  const uint8_t *payloads[2] = {p0, p1};
  uint16_t lens[2] = {1, 1};
  assert_int_equal(gx_dp_tx_burst(gx_sock_queue(s, 0), dst, payloads, lens, 2), 2);
  sum = 0;
  assert_int_equal(drain(peer, 2, &sum, NULL), 2);
  assert_int_equal(sum, 30);
  assert_int_equal(gx_sock_counters(s, 0)->tx_dgrams, 2);
  gx_sock_close(peer);
  gx_sock_close(s);
}

static void test_bad_cfg(void **state) {
  (void)state;
  gx_sock_cfg_t cfg;
  gx_sock_cfg_defaults(&cfg);
  char err[128];
  cfg.n_queues = 0;
  assert_null(gx_sock_open(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "queues"));
  gx_sock_cfg_defaults(&cfg);
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:0", &cfg.bind, 1, err, sizeof err), 0);
  gx_sock_t *s = gx_sock_open(&cfg, err, sizeof err);
  assert_non_null(s);
  /* a second gx_sock on the same port joins the SO_REUSEPORT group */
  cfg.bind.port = gx_sock_port(s);
  gx_sock_t *s2 = gx_sock_open(&cfg, err, sizeof err);
  assert_non_null(s2);
  assert_int_equal(gx_sock_port(s2), gx_sock_port(s));
  gx_sock_close(s2);
  /* an exclusive socket owns its port: a second one fails and says why */
  gx_sock_close(s);
  cfg.exclusive = 1;
  s = gx_sock_open(&cfg, err, sizeof err);
  assert_non_null(s);
  s2 = gx_sock_open(&cfg, err, sizeof err);
  assert_null(s2);
  assert_non_null(strstr(err, "Address already in use"));
  gx_sock_close(s);
  cfg.n_queues = 2;
  assert_null(gx_sock_open(&cfg, err, sizeof err));
  assert_non_null(strstr(err, "exclusive"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addr_parse),
      cmocka_unit_test(test_ipv4_two_queues),
      cmocka_unit_test(test_dual_stack_and_tx),
      cmocka_unit_test(test_bad_cfg),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
