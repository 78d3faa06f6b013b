/* gx_ingest: the whole pipeline in one process over real loopback UDP (EAL
 * without hugepages, gx_sock backend). Valid transfers are verified exactly
 * once and reach the mempool; corrupted signatures are counted as failed;
 * duplicates are dropped by dedup; garbage, truncated and oversized
 * datagrams are counted by reason; gossip carries transfers from node A to
 * node B; the mempool is reachable through the typed requests (gx_ingest_take_shard, _held, _committed); stop
 * returns; a transfer noted as verified elsewhere is not verified again. Also
 * the parse helper on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_key.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_ingest.h"

enum { NPAIRS = 20, PER_PAIR = 10, NX = NPAIRS * PER_PAIR };
static uint8_t xfers[NX][GX_XFER_SZ];

/* NPAIRS accounts each paying PER_PAIR times (seq 1..PER_PAIR), signed. */
static void mk_xfers(void) {
  int j = 0;
  for (int p = 0; p < NPAIRS; p++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "ingest-test", 1, (uint64_t)(2 * p));
    gx_key_derive(&b, "ingest-test", 1, (uint64_t)(2 * p + 1));
    gx_hash_t prev;
    memset(&prev, 0, sizeof prev);
    for (uint64_t seq = 1; seq <= PER_PAIR; seq++, j++) {
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = a.pk;
      x.counterparty = b.pk;
      x.amount = 1;
      x.nonce = (uint64_t)j;
      x.init_link.seq = seq;
      x.init_link.prev = prev;
      x.cp_link = x.init_link;
      assert_int_equal(gx_xfer_sign_init(&x, a.sk), 0);
      assert_int_equal(gx_xfer_sign_cp(&x, b.sk), 0);
      gx_xfer_encode(&x, xfers[j]);
      gx_xfer_id(&prev, xfers[j]);
    }
  }
}

static int sender_fd = -1;
static void send_raw(uint16_t port, const void *buf, size_t len) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  ssize_t r = sendto(sender_fd, buf, len, 0, (struct sockaddr *)&sa, sizeof sa);
  assert_int_equal(r, (ssize_t)len);
  usleep(50); /* keep the socket buffer from overflowing on a loaded host */
}
static void send_batch(uint16_t port, const uint8_t *x, size_t n) {
  uint8_t d[GX_UDP_PAYLOAD_MAX];
  size_t len = gx_batch_encode(d, sizeof d, x, n, 0);
  assert_true(len > 0);
  send_raw(port, d, len);
}

typedef struct {
  gx_sock_t *sock;
  gx_ingest_t *ing;
} node_t;

static void node_start(node_t *nd, const char *name, const gx_addr_t *peer) {
  gx_sock_cfg_t sc;
  gx_sock_cfg_defaults(&sc);
  char err[256];
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:0", &sc.bind, 1, err, sizeof err), 0);
  nd->sock = gx_sock_open(&sc, err, sizeof err);
  assert_non_null(nd->sock);
  gx_ingest_cfg_t c;
  gx_ingest_cfg_defaults(&c);
  c.name = name;
  c.items = 4096;
  c.verify_ring = 1024;
  c.link_ring = 1024;
  c.dedup_entries = 1 << 16;
  c.mempool.capacity = 10000;
  c.mempool.max_accounts = 1000;
  c.n_verify = 2;
  c.verify_batch = 16;
  if (peer) {
    c.gossip.n_peers = 1;
    c.gossip.peers[0] = *peer;
  }
  gx_dp_queue_t *q = gx_sock_queue(nd->sock, 0);
  nd->ing = gx_ingest_new(&c, &q, 1, err, sizeof err);
  if (!nd->ing) fail_msg("gx_ingest_new: %s", err);
  assert_int_equal(gx_ingest_start(nd->ing, err, sizeof err), 0);
}

static void node_stop(node_t *nd) {
  gx_ingest_stop(nd->ing);
  gx_ingest_delete(nd->ing);
  gx_sock_close(nd->sock);
}

/* A one-queue pipeline with small rings (the overload and mempool-policy
 * tests): small_cfg, then the test's own settings, then small_start. */
static void small_cfg(gx_ingest_cfg_t *c, const char *name) {
  gx_ingest_cfg_defaults(c);
  c->name = name;
  c->items = 1024;
  c->verify_ring = 64;
  c->link_ring = 64;
  c->dedup_entries = 1 << 16;
}
static void small_start(node_t *nd, const gx_ingest_cfg_t *c) {
  gx_sock_cfg_t sc;
  gx_sock_cfg_defaults(&sc);
  char err[256];
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:0", &sc.bind, 1, err, sizeof err), 0);
  nd->sock = gx_sock_open(&sc, err, sizeof err);
  assert_non_null(nd->sock);
  gx_dp_queue_t *q = gx_sock_queue(nd->sock, 0);
  nd->ing = gx_ingest_new(c, &q, 1, err, sizeof err);
  if (!nd->ing) fail_msg("gx_ingest_new: %s", err);
  assert_int_equal(gx_ingest_start(nd->ing, err, sizeof err), 0);
}

/* Waits (bounded) until pred holds; the assertion after it is what counts. */
static void wait_for(gx_ingest_t *ing, int (*pred)(const gx_ingest_snapshot_t *)) {
  gx_ingest_snapshot_t s;
  for (int i = 0; i < 1000; i++) {
    gx_ingest_snapshot(ing, &s);
    if (pred(&s)) return;
    usleep(10000);
  }
}

static int all_accounted(const gx_ingest_snapshot_t *s) {
  return s->transfers >= 2 * NX - 20 && s->parse_errors >= 5 &&
         s->transfers == s->duplicates + s->verified_ok + s->verify_failed + s->ingress_drops &&
         s->mempool_inserted + s->mempool_rejected == s->verified_ok;
}
static uint64_t expect_b;
static int b_has_all(const gx_ingest_snapshot_t *s) { return s->mempool_size >= expect_b; }


static void test_pipeline_end_to_end(void **state) {
  (void)state;
  mk_xfers();
  /* every 10th transfer has a flipped signature bit (alternating sides) */
  int corrupt = 0;
  for (int j = 9; j < NX; j += 10, corrupt++) xfers[j][(corrupt & 1) ? 236 : 132] ^= 1;

  node_t a, b;
  node_start(&b, "gxb", NULL);
  gx_addr_t b_addr = {.family = 4, .port = gx_sock_port(b.sock), .ip = {127, 0, 0, 1}};
  node_start(&a, "gxa", &b_addr);
  uint16_t port = gx_sock_port(a.sock);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);

  /* valid (and corrupted) transfers, every datagram sent twice */
  for (int j = 0; j < NX; j += GX_BATCH_MAX) {
    send_batch(port, xfers[j], GX_BATCH_MAX);
    send_batch(port, xfers[j], GX_BATCH_MAX);
  }
  /* garbage: random bytes, truncated batch, trailing byte, oversize, wrong version */
  uint8_t junk[2000];
  randombytes_buf(junk, sizeof junk);
  junk[0] = 0x77;
  send_raw(port, junk, 100);
  uint8_t d[GX_UDP_PAYLOAD_MAX + 1];
  size_t len = gx_batch_encode(d, sizeof d, xfers[0], 2, 0);
  send_raw(port, d, len - 7);
  d[len] = 0;
  send_raw(port, d, len + 1);
  send_raw(port, junk, 1800);
  send_raw(port, junk, 1);

  wait_for(a.ing, all_accounted);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(a.ing, &s);
  /* exactly-once verification: every distinct transfer verified once, even
   * though each arrived twice (a loaded host may drop a datagram or two in
   * the kernel, never count one twice) */
  assert_true(s.verified_ok + s.verify_failed <= NX);
  assert_true(s.verified_ok + s.verify_failed >= NX - 10);
  assert_true(s.verify_failed <= NX / 10);
  assert_true(s.verify_failed >= NX / 10 - 2);
  assert_true(s.duplicates >= NX - 10);
  assert_int_equal(s.transfers, s.duplicates + s.verified_ok + s.verify_failed + s.ingress_drops);
  assert_int_equal(s.parse_errors, 5);
  assert_int_equal(s.ingress_drops, 0);
  assert_int_equal(s.mempool_inserted, s.verified_ok);
  assert_int_equal(s.mempool_size, s.verified_ok);

  /* gossip: B got A's verified transfers and verified each once */
  expect_b = s.verified_ok;
  wait_for(b.ing, b_has_all);
  gx_ingest_snapshot_t sb;
  gx_ingest_snapshot(b.ing, &sb);
  assert_int_equal(sb.verify_failed, 0);
  assert_int_equal(sb.mempool_size, s.verified_ok);
  gx_ingest_snapshot(a.ing, &s);
  assert_int_equal(s.gossip_forwarded, s.verified_ok);
  assert_true(s.tx_dgrams >= 1);

  /* the proposer path: take ready transfers on the mempool thread */
  static uint8_t out[NX * GX_XFER_SZ];
  size_t taken = gx_ingest_take_shard(b.ing, 0, 1, out, NX, NULL);
  assert_true(taken > 0 && taken <= sb.mempool_size);

  close(sender_fd);
  node_stop(&a);
  node_stop(&b);
}

/* Overload: a tiny verify ring and item pool flooded faster than one worker
 * verifies. Only ingress drops, every drop is counted, and every transfer is
 * accounted for: decoded = duplicates + verified + failed + ingress drops. */
static int settled(const gx_ingest_snapshot_t *s) {
  return s->transfers >= NX - 10 &&
         s->transfers == s->duplicates + s->verified_ok + s->verify_failed + s->ingress_drops &&
         s->mempool_inserted + s->mempool_rejected == s->verified_ok;
}

static void test_overload_drops_only_at_ingress(void **state) {
  (void)state;
  gx_ingest_cfg_t c;
  small_cfg(&c, "gxo");
  c.verify_batch = 8;
  c.mempool.capacity = 10000;
  c.mempool.max_accounts = 1000;
  node_t nd;
  small_start(&nd, &c);
  gx_ingest_t *ing = nd.ing;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(gx_sock_port(nd.sock))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  for (int j = 0; j < NX; j += GX_BATCH_MAX) { /* flat out: no pacing */
    uint8_t d[GX_UDP_PAYLOAD_MAX];
    size_t len = gx_batch_encode(d, sizeof d, xfers[j], GX_BATCH_MAX, 0);
    sendto(fd, d, len, 0, (struct sockaddr *)&sa, sizeof sa);
  }
  close(fd);
  wait_for(ing, settled);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  assert_true(settled(&s));
  assert_true(s.ingress_drops > 0);            /* 200 transfers, 63 ring slots */
  assert_true(s.verified_ok + s.verify_failed > 0);
  assert_int_equal(s.mempool_inserted, s.verified_ok); /* nothing lost after verify */
  node_stop(&nd);
}

/* A transfer the full mempool evicts is forgotten by dedup too: the copy a
 * wallet re-sends once there is room gets in (and is no "duplicate"). */
static uint64_t expect_inserted;
static int inserted_enough(const gx_ingest_snapshot_t *s) {
  return s->mempool_inserted >= expect_inserted;
}
typedef struct {
  const uint8_t *enc;
  gx_pubkey_t account;
  uint64_t commit_seq; /* 0: only look */
  int held;
} ev_call_t;
/* Commits c->account up to c->commit_seq (when set), then looks c->enc up:
 * the chain half's two mempool requests. */
static int ev_run(gx_ingest_t *ing, ev_call_t *c) {
  if (c->commit_seq) gx_ingest_committed(ing, &c->account, &c->commit_seq, 1, NULL, NULL, 0);
  gx_hash_t id;
  gx_xfer_id(&id, c->enc);
  uint8_t held = 0;
  const uint8_t *enc = c->enc;
  gx_ingest_held(ing, &enc, &id, 1, &held);
  c->held = held;
  return 0;
}

static void test_evicted_transfer_can_come_back(void **state) {
  (void)state;
  gx_ingest_cfg_t c;
  small_cfg(&c, "gxe");
  c.mempool.capacity = 3;
  c.mempool.max_accounts = 16;
  node_t nd;
  small_start(&nd, &c);
  gx_ingest_t *ing = nd.ing;
  uint16_t port = gx_sock_port(nd.sock);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);
  const uint8_t *a1 = xfers[0], *a2 = xfers[1], *a6 = xfers[5], *b1 = xfers[PER_PAIR];
  gx_xfer_t ax;
  assert_int_equal(gx_xfer_decode(&ax, a1, GX_XFER_SZ), GX_PROTO_OK);
  send_batch(port, a1, 1);
  send_batch(port, a2, 1);
  send_batch(port, a6, 1); /* the pool is full: A1, A2, A6 */
  expect_inserted = 3;
  wait_for(ing, inserted_enough);
  send_batch(port, b1, 1); /* B1 (distance 0) evicts A6 (distance 5) */
  expect_inserted = 4;
  wait_for(ing, inserted_enough);
  ev_call_t call = {.enc = a6, .account = ax.initiator};
  assert_int_equal(ev_run(ing, &call), 0);
  assert_int_equal(call.held, 0);
  call.commit_seq = 2; /* A1 and A2 commit: room for A6 again */
  assert_int_equal(ev_run(ing, &call), 0);
  send_batch(port, a6, 1); /* the wallet re-sends it */
  expect_inserted = 5;
  wait_for(ing, inserted_enough);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.mempool_inserted, 5);
  assert_int_equal(s.duplicates, 0);
  call.commit_seq = 0;
  assert_int_equal(ev_run(ing, &call), 0);
  assert_int_equal(call.held, 1);
  close(sender_fd);
  sender_fd = -1;
  node_stop(&nd);
}

/* Tail drop: once the RX stage dropped an account's transfer (here: too far
 * ahead of its committed head), it drops that account's later transfers too,
 * until the missing one comes again or the committed head passes it. */
static uint64_t expect_transfers;
static int seen_enough(const gx_ingest_snapshot_t *s) {
  return s->transfers >= expect_transfers &&
         s->transfers == s->duplicates + s->verified_ok + s->verify_failed + s->ingress_drops +
                             s->gate_drops &&
         s->mempool_inserted + s->mempool_rejected == s->verified_ok;
}

static int ing_holds(gx_ingest_t *ing, const uint8_t *enc) {
  ev_call_t call = {.enc = enc};
  assert_int_equal(ev_run(ing, &call), 0);
  return call.held;
}

static void ing_commit(gx_ingest_t *ing, const uint8_t *any_enc, uint64_t seq) {
  gx_xfer_t x;
  assert_int_equal(gx_xfer_decode(&x, any_enc, GX_XFER_SZ), GX_PROTO_OK);
  ev_call_t call = {.enc = any_enc, .account = x.initiator, .commit_seq = seq};
  assert_int_equal(ev_run(ing, &call), 0);
}

static void send_and_settle(gx_ingest_t *ing, uint16_t port, const uint8_t *enc) {
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  expect_transfers = s.transfers + 1;
  send_batch(port, enc, 1);
  wait_for(ing, seen_enough);
}

static void test_tail_drop_behind_a_hole(void **state) {
  (void)state;
  gx_ingest_cfg_t c;
  small_cfg(&c, "gxt");
  c.mempool.capacity = 100;
  c.mempool.max_accounts = 16;
  c.mempool.max_future = 4;
  node_t nd;
  small_start(&nd, &c);
  gx_ingest_t *ing = nd.ing;
  uint16_t port = gx_sock_port(nd.sock);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);
  const uint8_t *a = xfers[2 * PER_PAIR], *b = xfers[3 * PER_PAIR]; /* accounts A, B: seq 1.. */
  ing_commit(ing, a, 1); /* both known to the gate, next seq 2: window 2..5 */
  ing_commit(ing, b, 1);
  send_and_settle(ing, port, a + 5 * GX_XFER_SZ); /* A6: too far, dropped: a hole at 6 */
  send_and_settle(ing, port, b + 5 * GX_XFER_SZ); /* B6: the same for B */
  assert_false(ing_holds(ing, a + 5 * GX_XFER_SZ));
  ing_commit(ing, a, 3); /* A's window 4..7: A7 would fit, but A6 is missing */
  gx_ingest_snapshot_t s0, s1;
  gx_ingest_snapshot(ing, &s0);
  send_and_settle(ing, port, a + 6 * GX_XFER_SZ);
  gx_ingest_snapshot(ing, &s1);
  assert_false(ing_holds(ing, a + 6 * GX_XFER_SZ)); /* behind the hole: not verified */
  assert_int_equal(s1.ingress_drops - s0.ingress_drops, 1);
  assert_int_equal(s1.verified_ok, s0.verified_ok);
  send_and_settle(ing, port, a + 5 * GX_XFER_SZ); /* the wallet re-sends A6: it fills the hole */
  send_and_settle(ing, port, a + 6 * GX_XFER_SZ); /* and A7 follows */
  assert_true(ing_holds(ing, a + 5 * GX_XFER_SZ));
  assert_true(ing_holds(ing, a + 6 * GX_XFER_SZ));
  /* B's hole goes stale once its committed head passes it (B6 came another way) */
  ing_commit(ing, b, 6);
  send_and_settle(ing, port, b + 6 * GX_XFER_SZ);
  assert_true(ing_holds(ing, b + 6 * GX_XFER_SZ));
  close(sender_fd);
  sender_fd = -1;
  node_stop(&nd);
}

/* A transfer whose signatures the commit stage verified already
 * (gx_ingest_note_verified) passes the verify workers without a check (its
 * broken signature goes unnoticed, and it reaches the mempool); the same
 * breakage on a transfer nobody noted is caught. */
static void test_preverified_skips_the_check(void **state) {
  (void)state;
  gx_ingest_cfg_t c;
  small_cfg(&c, "gxp");
  node_t nd;
  small_start(&nd, &c);
  gx_ingest_t *ing = nd.ing;
  uint16_t port = gx_sock_port(nd.sock);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);
  uint8_t noted[GX_XFER_SZ], other[GX_XFER_SZ];
  memcpy(noted, xfers[6 * PER_PAIR], GX_XFER_SZ);     /* account 6, seq 1 */
  memcpy(other, xfers[7 * PER_PAIR], GX_XFER_SZ);     /* account 7, seq 1 */
  noted[GX_XFER_SZ - 1] ^= 1;                          /* counterparty signature */
  other[GX_XFER_SZ - 1] ^= 1;
  gx_ingest_note_verified(ing, noted);
  send_and_settle(ing, port, noted);
  send_and_settle(ing, port, other);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.verified_ok, 1);
  assert_int_equal(s.verify_failed, 1);
  assert_int_equal(s.mempool_inserted, 1);
  assert_true(ing_holds(ing, noted));
  assert_false(ing_holds(ing, other));
  close(sender_fd);
  sender_fd = -1;
  node_stop(&nd);
}

static void test_parse_helper(void **state) {
  (void)state;
  gx_dedup_t *d = gx_dedup_new(1024);
  uint8_t buf[GX_UDP_PAYLOAD_MAX];
  size_t len = gx_batch_encode(buf, sizeof buf, xfers[0], 3, 2);
  gx_ingest_parsed_t p;
  assert_int_equal(gx_ingest_parse(d, buf, len, &p), GX_PROTO_OK);
  assert_int_equal(p.n_new, 3);
  assert_int_equal(p.hops, 2);
  assert_int_equal(gx_ingest_parse(d, buf, len, &p), GX_PROTO_OK);
  assert_int_equal(p.n_new, 0);
  assert_int_equal(p.n_dup, 3);
  assert_int_equal(gx_ingest_parse(d, buf, len - 1, &p), GX_PROTO_ERR_SHORT);
  assert_int_equal(gx_ingest_parse(d, buf, GX_UDP_PAYLOAD_MAX + 1, &p), GX_INGEST_PARSE_OVERSIZE);
  assert_string_equal(gx_ingest_parse_label(GX_INGEST_PARSE_OVERSIZE), "oversize");
  gx_dedup_delete(d);
}

static void test_bad_cfg(void **state) {
  (void)state;
  gx_ingest_cfg_t c;
  gx_ingest_cfg_defaults(&c);
  char err[256];
  gx_dp_queue_t *q = NULL;
  assert_null(gx_ingest_new(&c, &q, 0, err, sizeof err));
  assert_non_null(strstr(err, "RX queues"));
  c.verify_ring = 1000;
  assert_null(gx_ingest_new(&c, &q, 1, err, sizeof err));
  assert_non_null(strstr(err, "powers of two"));
}

static int eal_up(void **state) {
  (void)state;
  if (sodium_init() < 0) return -1;
  gx_eal_cfg_t e;
  gx_eal_cfg_defaults(&e);
  e.hugepages = 0;
  char err[256];
  if (gx_eal_init(&e, err, sizeof err) != 0) {
    fprintf(stderr, "# %s\n", err);
    return -1;
  }
  return 0;
}
static int eal_down(void **state) {
  (void)state;
  gx_eal_cleanup();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipeline_end_to_end),
      cmocka_unit_test(test_overload_drops_only_at_ingress),
      cmocka_unit_test(test_evicted_transfer_can_come_back),
      cmocka_unit_test(test_tail_drop_behind_a_hole),
      cmocka_unit_test(test_preverified_skips_the_check),
      cmocka_unit_test(test_parse_helper),
      cmocka_unit_test(test_bad_cfg),
  };
  return cmocka_run_group_tests(tests, eal_up, eal_down);
}
