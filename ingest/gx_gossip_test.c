/* gx_gossip: every transfer reaches exactly min(fanout, peers) distinct peers,
 * once; datagrams decode as GX_MSG_TX_BATCH with <= 5 transfers and hops+1;
 * the hop limit; flush; the same seed gives the same choices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ingest/gx_gossip.h"

enum { NX = 200, NP = 7 };
static uint8_t xfers[NX][GX_XFER_SZ];
static int seen[NX][NP];   /* copies of transfer i sent to peer p */
static int n_dgrams;
static uint8_t max_hops_seen;
static uint64_t choice_log[NX * GX_GOSSIP_MAX_FANOUT];
static int n_choices;

static void mk_xfers(void) {
  for (int i = 0; i < NX; i++) {
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    x.initiator.b[0] = 1;
    x.counterparty.b[0] = 2;
    x.amount = 1;
    x.nonce = (uint64_t)i;
    x.init_link.seq = x.cp_link.seq = 1;
    gx_xfer_encode(&x, xfers[i]);
  }
}

static void emit(void *ctx, const gx_addr_t *dst, const uint8_t *dgram, size_t len) {
  (void)ctx;
  const uint8_t *ptr[GX_BATCH_MAX];
  size_t count;
  uint8_t hops;
  assert_int_equal(gx_batch_decode(dgram, len, ptr, NULL, &count, &hops), GX_PROTO_OK);
  assert_true(count >= 1 && count <= GX_BATCH_MAX);
  if (hops > max_hops_seen) max_hops_seen = hops;
  int p = dst->port - 1000;
  assert_true(p >= 0 && p < NP);
  for (size_t k = 0; k < count; k++) {
    gx_xfer_t x;
    assert_int_equal(gx_xfer_decode(&x, ptr[k], GX_XFER_SZ), GX_PROTO_OK);
    seen[x.nonce][p]++;
    choice_log[n_choices++ % (NX * GX_GOSSIP_MAX_FANOUT)] = x.nonce * 100 + (uint64_t)p;
  }
  n_dgrams++;
}

static void cfg_peers(gx_gossip_cfg_t *c, int n) {
  gx_gossip_cfg_defaults(c);
  c->n_peers = n;
  for (int p = 0; p < n; p++) {
    c->peers[p].family = 4;
    c->peers[p].ip[0] = 127;
    c->peers[p].ip[3] = 1;
    c->peers[p].port = (uint16_t)(1000 + p);
  }
}

static void run(uint64_t seed, uint8_t hops) {
  memset(seen, 0, sizeof seen);
  n_dgrams = 0;
  n_choices = 0;
  max_hops_seen = 0;
  gx_gossip_cfg_t c;
  cfg_peers(&c, NP);
  c.seed = seed;
  gx_gossip_t g;
  assert_int_equal(gx_gossip_init(&g, &c, emit, NULL), 0);
  for (int i = 0; i < NX; i++) assert_int_equal(gx_gossip_add(&g, xfers[i], hops), 3);
  gx_gossip_flush(&g);
  assert_int_equal(g.forwarded, NX);
  assert_int_equal(g.copies, 3 * NX);
  assert_int_equal(g.datagrams, (uint64_t)n_dgrams);
  /* 600 copies over 7 peers in datagrams of <= 5: at least 120 datagrams, and
   * at most one partial datagram per peer */
  assert_true(n_dgrams >= 120 && n_dgrams <= 120 + NP);
}

static void test_fanout_exactly_once(void **state) {
  (void)state;
  mk_xfers();
  run(42, 0);
  for (int i = 0; i < NX; i++) {
    int peers = 0;
    for (int p = 0; p < NP; p++) {
      assert_true(seen[i][p] <= 1); /* never twice to one peer */
      peers += seen[i][p];
    }
    assert_int_equal(peers, 3);
  }
  assert_int_equal(max_hops_seen, 1);
}

static void test_deterministic_by_seed(void **state) {
  (void)state;
  static uint64_t first[NX * GX_GOSSIP_MAX_FANOUT];
  run(7, 3);
  memcpy(first, choice_log, sizeof first);
  run(7, 3);
  assert_memory_equal(first, choice_log, sizeof first);
  assert_int_equal(max_hops_seen, 4);
  run(8, 3);
  assert_memory_not_equal(first, choice_log, sizeof first);
}

static void test_hops_and_few_peers(void **state) {
  (void)state;
  gx_gossip_cfg_t c;
  cfg_peers(&c, 2);
  gx_gossip_t g;
  memset(seen, 0, sizeof seen);
  assert_int_equal(gx_gossip_init(&g, &c, emit, NULL), 0);
  assert_int_equal(gx_gossip_add(&g, xfers[0], GX_BATCH_MAX_HOPS), 0);
  assert_int_equal(g.hops_exceeded, 1);
  assert_int_equal(gx_gossip_add(&g, xfers[1], GX_BATCH_MAX_HOPS - 1), 2); /* fanout capped */
  assert_int_equal(g.datagrams, 0); /* held until flush */
  gx_gossip_flush(&g);
  assert_int_equal(g.datagrams, 2);
  assert_int_equal(seen[1][0] + seen[1][1], 2);
  gx_gossip_cfg_t none;
  gx_gossip_cfg_defaults(&none);
  assert_int_equal(gx_gossip_init(&g, &none, emit, NULL), 0);
  assert_int_equal(gx_gossip_add(&g, xfers[2], 0), 0);
  none.fanout = 0;
  assert_int_equal(gx_gossip_init(&g, &none, emit, NULL), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fanout_exactly_once),
      cmocka_unit_test(test_deterministic_by_seed),
      cmocka_unit_test(test_hops_and_few_peers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
