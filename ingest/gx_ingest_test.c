/* gx_ingest: the whole pipeline in one process over real loopback UDP (EAL
 * without hugepages, gx_sock backend). Valid transfers are verified exactly
 * once and reach the mempool; corrupted signatures are counted as failed;
 * duplicates are dropped by dedup; garbage, truncated and oversized
 * datagrams are counted by reason; gossip carries transfers from node A to
 * node B; the mempool is reachable through the typed requests (gx_ingest_take_shard, _held, _committed); stop
 * returns; a transfer noted as verified elsewhere is not verified again. Also
 * the parse helper on its own. LSH block intake (a galaxy): a real certified
 * LSH block of a few hundred transfers sent as erasure-coded chunks over UDP
 * reaches the sink exactly once, also with chunks lost; duplicate, malformed,
 * inconsistent chunks, an object that is no LSH block and one under another id
 * are counted by verdict and never reach the sink; a refusing sink's block
 * gets in when it is sent again; without a sink a chunk is a parse error of
 * reason "type"; the per-datagram step (gx_ingest_lsh_chunk) on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/gx_chunk.h"
#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "core/gx_metrics.h"
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


/* ---- LSH block intake ---- */

enum { LB_TXS = 300, LB_MEMBERS = 4 };
static uint8_t lb_xfers[LB_TXS * GX_XFER_SZ];

/* LB_TXS signed transfers, each from its own account (seq 1). */
static void lb_mk_xfers(void) {
  for (int j = 0; j < LB_TXS; j++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "ingest-lsh", 1, (uint64_t)(2 * j));
    gx_key_derive(&b, "ingest-lsh", 1, (uint64_t)(2 * j + 1));
    gx_xfer_t x;
    memset(&x, 0, sizeof x);
    x.initiator = a.pk;
    x.counterparty = b.pk;
    x.amount = 5;
    x.nonce = (uint64_t)j;
    x.init_link.seq = 1;
    x.cp_link.seq = 1;
    assert_int_equal(gx_xfer_sign_init(&x, a.sk), 0);
    assert_int_equal(gx_xfer_sign_cp(&x, b.sk), 0);
    gx_xfer_encode(&x, lb_xfers + (size_t)j * GX_XFER_SZ);
  }
}

/* A certified LSH block of cluster `cluster` at height 1 holding the first
 * ntx of lb_xfers (4 members, 3 in, all 3 sign): what a Star Cluster emits.
 * Returns its length; *id its block id. */
static size_t lb_block(uint8_t *out, size_t cap, uint32_t cluster, uint32_t ntx, gx_hash_t *id) {
  gx_lsh_header_t h;
  memset(&h, 0, sizeof h);
  h.cluster = cluster;
  h.height = 1;
  memset(h.base.b, 0x42, 32);
  h.tx_count = ntx;
  h.member_count = LB_MEMBERS;
  gx_hash_t *ids = calloc(ntx, sizeof *ids), *scr = calloc(ntx, sizeof *scr);
  assert_true(ids && scr);
  assert_int_equal(gx_lsh_tx_root(&h.tx_root, lb_xfers, ntx, ids, scr), 0);
  free(ids);
  free(scr);
  gx_lsh_report_t r[LB_MEMBERS];
  memset(r, 0, sizeof r);
  for (uint32_t i = 0; i < 3; i++) r[i] = (gx_lsh_report_t){GX_LSH_REPORT_INCLUDED, ntx, 90};
  size_t len = gx_lsh_encode_unsigned(out, cap, &h, r, NULL, lb_xfers);
  assert_true(len > 0);
  gx_lsh_id_body(id, out, gx_lsh_body_size(LB_MEMBERS, 0));
  gx_lsh_sig_t sigs[3];
  for (uint16_t i = 0; i < 3; i++) {
    gx_keypair_t kp;
    gx_key_derive(&kp, "ingest-lsh-member", cluster, i);
    sigs[i].member = i;
    gx_lsh_sign(&sigs[i].sig, id, kp.sk);
  }
  len = gx_lsh_append_cert(out, cap, len, LB_MEMBERS, sigs, 3);
  assert_true(len > 0);
  gx_lsh_t b;
  assert_int_equal(gx_lsh_decode(&b, out, len), GX_PROTO_OK);
  return len;
}

/* A sink like galaxyd's: copies the block into its own bounded store, or
 * refuses while `refuse` is set. Called on the RX thread. */
enum { SINK_KEEP = 8 };
typedef struct {
  pthread_mutex_t lock;
  int refuse;
  unsigned calls, kept, refused;
  gx_hash_t ids[SINK_KEEP];
  size_t lens[SINK_KEEP];
  uint8_t *blocks[SINK_KEEP];
} sink_t;
static sink_t sink = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int sink_fn(void *ctx, const gx_hash_t *id, const uint8_t *block, size_t len) {
  sink_t *k = ctx;
  pthread_mutex_lock(&k->lock);
  k->calls++;
  int rc = -1;
  if (k->refuse) {
    k->refused++;
  } else if (k->kept < SINK_KEEP && (k->blocks[k->kept] = malloc(len))) {
    memcpy(k->blocks[k->kept], block, len);
    k->ids[k->kept] = *id;
    k->lens[k->kept] = len;
    k->kept++;
    rc = 0;
  }
  pthread_mutex_unlock(&k->lock);
  return rc;
}
static void sink_reset(void) {
  for (unsigned i = 0; i < sink.kept; i++) free(sink.blocks[i]);
  pthread_mutex_lock(&sink.lock);
  sink.refuse = 0;
  sink.calls = sink.kept = sink.refused = 0;
  pthread_mutex_unlock(&sink.lock);
}
static unsigned sink_calls(void) {
  pthread_mutex_lock(&sink.lock);
  unsigned n = sink.calls;
  pthread_mutex_unlock(&sink.lock);
  return n;
}
/* 1 when sink block i is exactly (id, block[len]). */
static int sink_holds(unsigned i, const gx_hash_t *id, const uint8_t *block, size_t len) {
  pthread_mutex_lock(&sink.lock);
  int ok = i < sink.kept && sink.lens[i] == len && gx_hash_eq(&sink.ids[i], id) &&
           memcmp(sink.blocks[i], block, len) == 0;
  pthread_mutex_unlock(&sink.lock);
  return ok;
}

static uint64_t lsh_chunks_total(const gx_ingest_snapshot_t *s) {
  uint64_t n = 0;
  for (int v = 0; v < GX_CHUNK__COUNT; v++) n += s->lsh_chunks[v];
  return n;
}
static uint64_t expect_chunks;
static int chunks_seen(const gx_ingest_snapshot_t *s) { return lsh_chunks_total(s) >= expect_chunks; }
static uint64_t expect_dgrams;
static int dgrams_seen(const gx_ingest_snapshot_t *s) { return s->dgrams >= expect_dgrams; }

/* Sends the started object's datagrams (in the encoder's order) but those
 * with drop(group, index) true; returns how many were sent. */
static unsigned send_chunks(uint16_t port, gx_chunk_enc_t *e,
                            int (*drop)(uint32_t group, uint32_t index)) {
  uint8_t d[GX_UDP_PAYLOAD_MAX];
  size_t n;
  unsigned sent = 0;
  while ((n = gx_chunk_enc_next(e, d)) > 0) {
    gx_chunk_t c;
    assert_int_equal(gx_chunk_decode(&c, d, n), GX_PROTO_OK);
    if (drop && drop(c.group, c.index)) continue;
    send_raw(port, d, n);
    sent++;
  }
  return sent;
}
/* Sends everything, then waits until ingest has taken it all. */
static void send_object(gx_ingest_t *ing, uint16_t port, gx_chunk_enc_t *e, const gx_hash_t *id,
                        const uint8_t *obj, size_t len, int (*drop)(uint32_t, uint32_t)) {
  assert_true(gx_chunk_enc_start(e, id, obj, (uint32_t)len) > 0);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  expect_chunks = lsh_chunks_total(&s) + send_chunks(port, e, drop);
  wait_for(ing, chunks_seen);
}
/* Data chunks 0..3 of every group lost (<= m = 4): parity stands in. */
static int skip_first4(uint32_t group, uint32_t index) {
  (void)group;
  return index < 4;
}

static char metrics_text[1 << 17];
static const char *render(gx_metrics_t *m) {
  gx_metrics_err_t me;
  assert_true(gx_metrics_render(m, metrics_text, sizeof metrics_text, &me) > 0);
  return metrics_text;
}

static void test_lsh_intake(void **state) {
  (void)state;
  lb_mk_xfers();
  static uint8_t blk[4][GX_LSH_HDR_SZ + LB_MEMBERS * GX_LSH_REPORT_SZ + LB_TXS * GX_XFER_SZ + 2 +
                       3 * GX_LSH_CERT_ENTRY_SZ];
  gx_hash_t id[4];
  size_t len[4];
  for (uint32_t i = 0; i < 4; i++) len[i] = lb_block(blk[i], sizeof blk[i], 7 + i, LB_TXS - i, &id[i]);

  gx_ingest_cfg_t c;
  small_cfg(&c, "gxl");
  node_t nd;
  gx_sock_cfg_t sc;
  gx_sock_cfg_defaults(&sc);
  char err[256];
  assert_int_equal(gx_sock_addr_parse("127.0.0.1:0", &sc.bind, 1, err, sizeof err), 0);
  nd.sock = gx_sock_open(&sc, err, sizeof err);
  assert_non_null(nd.sock);
  gx_dp_queue_t *q = gx_sock_queue(nd.sock, 0);
  nd.ing = gx_ingest_new(&c, &q, 1, err, sizeof err);
  if (!nd.ing) fail_msg("gx_ingest_new: %s", err);
  gx_ingest_t *ing = nd.ing;
  static gx_metrics_t reg;
  gx_metrics_init(&reg);
  assert_int_equal(gx_ingest_metrics_register(ing, &reg), GX_METRICS_OK);
  sink_reset();
  assert_int_equal(gx_ingest_set_lsh_sink(ing, sink_fn, &sink), 0);
  assert_int_equal(gx_ingest_start(ing, err, sizeof err), 0);
  assert_int_equal(gx_ingest_set_lsh_sink(ing, NULL, NULL), -1); /* not while running */
  uint16_t port = gx_sock_port(nd.sock);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);
  gx_chunk_enc_t *e = gx_chunk_enc_new((uint32_t)len[0], 16, 4, 0);
  assert_non_null(e);

  /* (a) every chunk: the sink gets exactly the block's bytes, once; the
   * parity that comes after the last data chunk is "done", and so is all of
   * a second copy */
  send_object(ing, port, e, &id[0], blk[0], len[0], NULL);
  const gx_chunk_shape_t *sh = gx_chunk_enc_shape(e);
  assert_true(sh->groups >= 4); /* 87 KB in chunks of 1427, 16 a group */
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(sink_calls(), 1);
  assert_true(sink_holds(0, &id[0], blk[0], len[0]));
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_ACCEPTED], 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_OK], sh->data - 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_COMPLETE], 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_DONE], sh->groups * sh->m);
  assert_int_equal(s.parse_errors, 0);
  send_object(ing, port, e, &id[0], blk[0], len[0], NULL);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_DONE], sh->groups * sh->m + sh->datagrams);
  assert_int_equal(sink_calls(), 1);

  /* (b) four chunks of every group lost: rebuilt from parity */
  send_object(ing, port, e, &id[1], blk[1], len[1], skip_first4);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(sink_calls(), 2);
  assert_true(sink_holds(1, &id[1], blk[1], len[1]));
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_ACCEPTED], 2);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_COMPLETE], 2);

  /* (c) what must not reach the sink */
  gx_ingest_snapshot_t s0;
  gx_ingest_snapshot(ing, &s0);
  uint8_t d[GX_UDP_PAYLOAD_MAX];
  assert_true(gx_chunk_enc_start(e, &id[2], blk[2], (uint32_t)len[2]) > 0);
  size_t n = gx_chunk_enc_next(e, d);
  send_raw(port, d, n);      /* ok: block 2's first chunk */
  send_raw(port, d, n);      /* duplicate */
  send_raw(port, d, n - 1);  /* malformed (short) */
  gx_chunk_enc_t *e8 = gx_chunk_enc_new((uint32_t)len[2], 8, 2, 0);
  assert_non_null(e8);
  assert_true(gx_chunk_enc_start(e8, &id[2], blk[2], (uint32_t)len[2]) > 0);
  assert_true(gx_chunk_enc_get(e8, 0, 1, d) > 0);
  send_raw(port, d, GX_CHUNK_HDR_SZ + gx_chunk_enc_shape(e8)->chunk); /* inconsistent: k 8, not 16 */
  expect_chunks = lsh_chunks_total(&s0) + 4;
  wait_for(ing, chunks_seen);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_OK] - s0.lsh_chunks[GX_CHUNK_OK], 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_DUPLICATE] - s0.lsh_chunks[GX_CHUNK_DUPLICATE], 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_MALFORMED] - s0.lsh_chunks[GX_CHUNK_MALFORMED], 1);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_INCONSISTENT] - s0.lsh_chunks[GX_CHUNK_INCONSISTENT], 1);
  assert_int_equal(s.parse_errors, 0); /* chunk verdicts, not parse errors */
  /* an object that is no LSH block (a block with one byte changed in its
   * first transfer: an amount above the maximum fails the strict decode) */
  static uint8_t junk[sizeof blk[3]];
  memcpy(junk, blk[3], len[3]);
  junk[gx_lsh_body_size(LB_MEMBERS, 0) + GX_XFER_OFF_INIT_SEQ - 1] = 0xff; /* amount's top byte */
  gx_lsh_t lb;
  assert_int_not_equal(gx_lsh_decode(&lb, junk, len[3]), GX_PROTO_OK);
  gx_hash_t junk_id;
  memset(junk_id.b, 0x5a, 32);
  send_object(ing, port, e, &junk_id, junk, len[3], NULL);
  /* a valid block under an id that is not its own */
  gx_hash_t wrong = id[3];
  wrong.b[0] ^= 1;
  send_object(ing, port, e, &wrong, blk[3], len[3], NULL);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_BAD_DECODE], 1);
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_BAD_ID], 1);
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_ACCEPTED], 2);
  assert_int_equal(sink_calls(), 2);
  /* both ids are now remembered as bad: a copy's chunks are "rejected" */
  uint64_t rej = s.lsh_chunks[GX_CHUNK_REJECTED];
  send_object(ing, port, e, &wrong, blk[3], len[3], NULL);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_chunks[GX_CHUNK_REJECTED] - rej, gx_chunk_enc_shape(e)->datagrams);
  assert_int_equal(sink_calls(), 2);

  /* (d) a refusing sink: counted, not remembered; sent again, it gets in */
  pthread_mutex_lock(&sink.lock);
  sink.refuse = 1;
  pthread_mutex_unlock(&sink.lock);
  send_object(ing, port, e, &id[3], blk[3], len[3], NULL);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_SINK_FULL], 1);
  assert_int_equal(sink_calls(), 3);
  pthread_mutex_lock(&sink.lock);
  sink.refuse = 0;
  pthread_mutex_unlock(&sink.lock);
  send_object(ing, port, e, &id[3], blk[3], len[3], NULL);
  gx_ingest_snapshot(ing, &s);
  assert_int_equal(s.lsh_blocks[GX_INGEST_LSH_ACCEPTED], 3);
  assert_int_equal(sink_calls(), 4);
  assert_true(sink_holds(2, &id[3], blk[3], len[3]));

  /* the same counts on /metrics */
  const char *txt = render(&reg);
  assert_non_null(strstr(txt, "gx_lsh_blocks_total{verdict=\"accepted\"} 3\n"));
  assert_non_null(strstr(txt, "gx_lsh_blocks_total{verdict=\"bad_decode\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_blocks_total{verdict=\"bad_id\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_blocks_total{verdict=\"sink_full\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_chunks_total{verdict=\"duplicate\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_chunks_total{verdict=\"malformed\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_chunks_total{verdict=\"inconsistent\"} 1\n"));
  assert_non_null(strstr(txt, "gx_lsh_chunks_total{verdict=\"complete\"} 6\n"));
  assert_non_null(strstr(txt, "gx_lsh_objects_evicted_total "));
  assert_non_null(strstr(txt, "gx_parse_errors_total{reason=\"type\"} 0\n"));

  gx_chunk_enc_delete(e8);
  gx_chunk_enc_delete(e);
  close(sender_fd);
  sender_fd = -1;
  node_stop(&nd);
  gx_metrics_fini(&reg);
  sink_reset();
}

/* (e) no sink installed (a flat network): a chunk datagram is a parse error
 * of reason "type", as before the intake existed; nothing is reassembled.
 * lsh_slots 0: no reassembler, and no sink can be installed. */
static void test_lsh_no_sink(void **state) {
  (void)state;
  static uint8_t blk[GX_LSH_HDR_SZ + LB_MEMBERS * GX_LSH_REPORT_SZ + 20 * GX_XFER_SZ + 2 +
                     3 * GX_LSH_CERT_ENTRY_SZ];
  gx_hash_t id;
  size_t len = lb_block(blk, sizeof blk, 1, 20, &id);
  gx_ingest_cfg_t c;
  small_cfg(&c, "gxn");
  node_t nd;
  small_start(&nd, &c);
  static gx_metrics_t reg;
  gx_metrics_init(&reg);
  assert_int_equal(gx_ingest_metrics_register(nd.ing, &reg), GX_METRICS_OK);
  sender_fd = socket(AF_INET, SOCK_DGRAM, 0);
  gx_chunk_enc_t *e = gx_chunk_enc_new((uint32_t)len, 32, 8, 0);
  assert_true(gx_chunk_enc_start(e, &id, blk, (uint32_t)len) > 0);
  unsigned sent = send_chunks(gx_sock_port(nd.sock), e, NULL);
  expect_dgrams = sent;
  wait_for(nd.ing, dgrams_seen);
  gx_ingest_snapshot_t s;
  gx_ingest_snapshot(nd.ing, &s);
  assert_int_equal(s.dgrams, sent);
  assert_int_equal(s.parse_errors, sent);
  assert_int_equal(lsh_chunks_total(&s), 0);
  char want[96];
  snprintf(want, sizeof want, "gx_parse_errors_total{reason=\"type\"} %u\n", sent);
  assert_non_null(strstr(render(&reg), want));
  gx_chunk_enc_delete(e);
  close(sender_fd);
  sender_fd = -1;
  node_stop(&nd);
  gx_metrics_fini(&reg);

  gx_ingest_cfg_defaults(&c);
  assert_int_equal(c.lsh_slots, GX_INGEST_LSH_SLOTS);
  size_t fp = gx_ingest_lsh_footprint(&c);
  print_message("# LSH reassembler per RX thread at the defaults: %zu bytes\n", fp);
  assert_true(fp > (size_t)c.lsh_slots * GX_LSH_MAX_SZ && fp < 21u * 1000 * 1000);
  small_cfg(&c, "gxz");
  c.lsh_slots = 0;
  assert_int_equal(gx_ingest_lsh_footprint(&c), 0);
  small_start(&nd, &c);
  assert_int_equal(gx_ingest_set_lsh_sink(nd.ing, sink_fn, &sink), -1);
  node_stop(&nd);
  char err[256];
  gx_dp_queue_t *q = NULL;
  small_cfg(&c, "gxy");
  c.lsh_slots = GX_CHUNK_MAX_SLOTS + 1;
  assert_null(gx_ingest_new(&c, &q, 1, err, sizeof err));
  assert_non_null(strstr(err, "lsh_slots"));
  c.lsh_slots = 1;
  c.lsh_done = 0;
  assert_null(gx_ingest_new(&c, &q, 1, err, sizeof err));
  assert_non_null(strstr(err, "lsh_done"));
}

/* The per-datagram step without threads: a refused block leaves no trace in
 * the done ring (the same chunks rebuild it again), an accepted one does. */
static void test_lsh_chunk_helper(void **state) {
  (void)state;
  static uint8_t blk[GX_LSH_HDR_SZ + LB_MEMBERS * GX_LSH_REPORT_SZ + 50 * GX_XFER_SZ + 2 +
                     3 * GX_LSH_CERT_ENTRY_SZ];
  gx_hash_t id;
  size_t len = lb_block(blk, sizeof blk, 2, 50, &id);
  gx_chunk_rx_t *r = gx_chunk_rx_new(2, (uint32_t)GX_LSH_MAX_SZ, 4);
  gx_chunk_enc_t *e = gx_chunk_enc_new((uint32_t)len, 4, 1, 0);
  assert_true(r && e);
  sink_reset();
  for (int round = 0; round < 3; round++) {
    pthread_mutex_lock(&sink.lock);
    sink.refuse = round == 0;
    pthread_mutex_unlock(&sink.lock);
    assert_true(gx_chunk_enc_start(e, &id, blk, (uint32_t)len) > 0);
    uint8_t d[GX_UDP_PAYLOAD_MAX];
    size_t n;
    unsigned complete = 0, done = 0;
    gx_ingest_lsh_verdict_t last = GX_INGEST_LSH_NONE;
    while ((n = gx_chunk_enc_next(e, d)) > 0) {
      gx_ingest_lsh_verdict_t bv;
      gx_proto_err_t why;
      gx_chunk_verdict_t v = gx_ingest_lsh_chunk(r, d, n, sink_fn, &sink, &bv, &why);
      assert_int_equal(why, GX_PROTO_OK);
      if (v == GX_CHUNK_COMPLETE) {
        complete++;
        last = bv;
      } else {
        assert_int_equal(bv, GX_INGEST_LSH_NONE);
        done += v == GX_CHUNK_DONE;
      }
    }
    if (round == 0) { /* refused: counted, the parity after it starts a new object */
      assert_int_equal(complete, 1);
      assert_int_equal(last, GX_INGEST_LSH_SINK_FULL);
      assert_int_equal(done, 0);
    } else if (round == 1) { /* the copy: rebuilt (with the parity held) and accepted */
      assert_int_equal(complete, 1);
      assert_int_equal(last, GX_INGEST_LSH_ACCEPTED);
    } else { /* accepted before: every chunk is "done" */
      assert_int_equal(complete, 0);
      assert_int_equal(done, gx_chunk_enc_shape(e)->datagrams);
    }
  }
  assert_int_equal(sink_calls(), 2);
  assert_true(sink_holds(0, &id, blk, len));
  gx_ingest_lsh_verdict_t bv;
  gx_proto_err_t why;
  uint8_t bad[3] = {GX_PROTO_VERSION, GX_MSG_LSH_CHUNK, 0};
  assert_int_equal(gx_ingest_lsh_chunk(r, bad, sizeof bad, sink_fn, &sink, &bv, &why),
                   GX_CHUNK_MALFORMED);
  assert_int_equal(why, GX_PROTO_ERR_SHORT);
  assert_string_equal(gx_ingest_lsh_label(GX_INGEST_LSH_BAD_ID), "bad_id");
  assert_string_equal(gx_ingest_lsh_label(GX_INGEST_LSH__COUNT), "unknown");
  gx_chunk_enc_delete(e);
  gx_chunk_rx_delete(r);
  sink_reset();
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
      cmocka_unit_test(test_lsh_intake),
      cmocka_unit_test(test_lsh_no_sink),
      cmocka_unit_test(test_lsh_chunk_helper),
      cmocka_unit_test(test_parse_helper),
      cmocka_unit_test(test_bad_cfg),
  };
  return cmocka_run_group_tests(tests, eal_up, eal_down);
}
