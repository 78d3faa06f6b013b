/* Socket ingest benchmarks (suite "sock"; bench/pairs.txt pairs sock/ingest
 * with baseline/raw_recvmmsg, goal >= 80%). Both run the same sender thread
 * (sendmmsg of 32 x 1454-byte batch datagrams, flat out, to 127.0.0.1) for
 * the same windows; items = datagrams received per second of wall time.
 *   baseline/raw_recvmmsg  a plain recvmmsg(32) loop on one socket
 *   baseline/io_uring_recvmsg_multishot  the io_uring alternative the issue
 *                          names: one multishot recvmsg over a provided-buffer
 *                          ring, same counting; measured to decide whether
 *                          gx_sock should switch (docs/GALAXYD.md)
 *   sock/ingest            galaxyd's pipeline: gx_sock queue -> RX stage
 *                          (parse + dedup) -> verify ring. The sender cycles
 *                          through 64 valid datagrams, so after the first lap
 *                          every transfer is a gossip duplicate dropped by
 *                          dedup (the steady state the issue describes). */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/gx_bench.h"
#include "core/gx_key.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_ingest.h"

enum { SB_DGRAMS = 64, SB_WINDOW_MS = 250 };
static uint8_t sb_dgram[SB_DGRAMS][GX_UDP_PAYLOAD_MAX];
static size_t sb_len[SB_DGRAMS];

static int sb_prepare(void) {
  static int done;
  if (done) return done > 0 ? 0 : -1;
  done = -1;
  if (sodium_init() < 0) return -1;
  char err[256];
  if (gx_eal_ensure(0, err, sizeof err) != 0) return -1;
  gx_keypair_t a, b;
  gx_key_derive(&a, "sock-bench", 1, 0);
  gx_key_derive(&b, "sock-bench", 1, 1);
  uint8_t xfers[GX_BATCH_MAX * GX_XFER_SZ];
  for (int d = 0; d < SB_DGRAMS; d++) {
    for (int i = 0; i < GX_BATCH_MAX; i++) {
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = a.pk;
      x.counterparty = b.pk;
      x.amount = 1;
      x.nonce = (uint64_t)(d * GX_BATCH_MAX + i);
      x.init_link.seq = x.cp_link.seq = 1;
      gx_xfer_sign_init(&x, a.sk);
      gx_xfer_sign_cp(&x, b.sk);
      gx_xfer_encode(&x, xfers + i * GX_XFER_SZ);
    }
    sb_len[d] = gx_batch_encode(sb_dgram[d], GX_UDP_PAYLOAD_MAX, xfers, GX_BATCH_MAX, 0);
  }
  done = 1;
  return 0;
}

typedef struct {
  uint16_t port;
  atomic_int stop;
  pthread_t t;
} sb_sender_t;

static void *sb_send_main(void *arg) {
  sb_sender_t *s = arg;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(s->port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  struct mmsghdr m[32];
  struct iovec iov[32];
  unsigned k = 0;
  while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
    for (int i = 0; i < 32; i++, k++) {
      iov[i] = (struct iovec){sb_dgram[k % SB_DGRAMS], sb_len[k % SB_DGRAMS]};
      m[i].msg_hdr = (struct msghdr){.msg_name = &to, .msg_namelen = sizeof to,
                                     .msg_iov = &iov[i], .msg_iovlen = 1};
    }
    if (sendmmsg(fd, m, 32, 0) < 0) usleep(10);
  }
  close(fd);
  return NULL;
}

static void sb_sender_start(sb_sender_t *s, uint16_t port) {
  s->port = port;
  atomic_store(&s->stop, 0);
  pthread_create(&s->t, NULL, sb_send_main, s);
}
static void sb_sender_stop(sb_sender_t *s) {
  atomic_store(&s->stop, 1);
  pthread_join(s->t, NULL);
}

static double sb_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sb_bound_socket(uint16_t *port);

static void bm_raw_recvmmsg(gx_bench_t *b) {
  if (sb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed");
    return;
  }
  uint16_t port;
  int fd = sb_bound_socket(&port);
  struct timeval tv = {0, 10000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static uint8_t slots[32][2048];
  struct mmsghdr m[32];
  struct iovec iov[32];
  sb_sender_t snd;
  sb_sender_start(&snd, port);
  int64_t got = 0;
  while (gx_bench_loop(b)) {
    double end = sb_now() + SB_WINDOW_MS / 1000.0;
    while (sb_now() < end) {
      for (int i = 0; i < 32; i++) {
        iov[i] = (struct iovec){slots[i], sizeof slots[i]};
        m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
      }
      int r = recvmmsg(fd, m, 32, 0, NULL);
      if (r > 0) got += r;
    }
  }
  sb_sender_stop(&snd);
  close(fd);
  gx_bench_items(b, got);
}
GX_BENCH_NAMED("baseline/raw_recvmmsg", bm_raw_recvmmsg, 1)

static int sb_bound_socket(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int buf = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  socklen_t sl = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  *port = ntohs(sa.sin_port);
  return fd;
}

enum { SB_URING_BUFS = 512, SB_URING_BUFSZ = 2048, SB_URING_BGID = 7 };

static void sb_uring_arm(struct io_uring *ring, int fd, struct msghdr *mh) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
  io_uring_prep_recvmsg_multishot(sqe, fd, mh, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = SB_URING_BGID;
  io_uring_submit(ring);
}

static void bm_uring_multishot(gx_bench_t *b) {
  if (sb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed");
    return;
  }
  uint16_t port;
  int fd = sb_bound_socket(&port);
  struct io_uring ring;
  if (io_uring_queue_init(1024, &ring, 0) != 0) {
    close(fd);
    gx_bench_skip(b, "io_uring unavailable");
    return;
  }
  struct io_uring_buf_ring *br = NULL;
  uint8_t *bufs = NULL;
  if (posix_memalign((void **)&br, 4096, SB_URING_BUFS * sizeof(struct io_uring_buf)) != 0 ||
      !(bufs = malloc((size_t)SB_URING_BUFS * SB_URING_BUFSZ))) {
    gx_bench_skip(b, "out of memory");
    free(br);
    io_uring_queue_exit(&ring);
    close(fd);
    return;
  }
  struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)br,
                                 .ring_entries = SB_URING_BUFS, .bgid = SB_URING_BGID};
  if (io_uring_register_buf_ring(&ring, &reg, 0) != 0) {
    gx_bench_skip(b, "provided buffer rings unsupported by this kernel");
    free(br);
    free(bufs);
    io_uring_queue_exit(&ring);
    close(fd);
    return;
  }
  int mask = io_uring_buf_ring_mask(SB_URING_BUFS);
  io_uring_buf_ring_init(br);
  for (int i = 0; i < SB_URING_BUFS; i++)
    io_uring_buf_ring_add(br, bufs + (size_t)i * SB_URING_BUFSZ, SB_URING_BUFSZ, (unsigned short)i,
                          mask, i);
  io_uring_buf_ring_advance(br, SB_URING_BUFS);
  struct msghdr mh = {.msg_namelen = sizeof(struct sockaddr_in)};
  sb_uring_arm(&ring, fd, &mh);
  sb_sender_t snd;
  sb_sender_start(&snd, port);
  int64_t got = 0;
  while (gx_bench_loop(b)) {
    double end = sb_now() + SB_WINDOW_MS / 1000.0;
    while (sb_now() < end) {
      struct io_uring_cqe *cqe;
      struct __kernel_timespec ts = {0, 10000000};
      if (io_uring_wait_cqe_timeout(&ring, &cqe, &ts) != 0) continue;
      unsigned head, seen = 0, rearm = 0;
      io_uring_for_each_cqe(&ring, head, cqe) {
        seen++;
        if (!(cqe->flags & IORING_CQE_F_MORE)) rearm = 1;
        if (cqe->res < 0 || !(cqe->flags & IORING_CQE_F_BUFFER)) continue;
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        uint8_t *p = bufs + (size_t)bid * SB_URING_BUFSZ;
        if (io_uring_recvmsg_validate(p, cqe->res, &mh)) got++;
        io_uring_buf_ring_add(br, p, SB_URING_BUFSZ, (unsigned short)bid, mask, 0);
        io_uring_buf_ring_advance(br, 1);
      }
      io_uring_cq_advance(&ring, seen);
      if (rearm) sb_uring_arm(&ring, fd, &mh);
    }
  }
  sb_sender_stop(&snd);
  io_uring_unregister_buf_ring(&ring, SB_URING_BGID);
  io_uring_queue_exit(&ring);
  free(br);
  free(bufs);
  close(fd);
  gx_bench_items(b, got);
}
GX_BENCH_NAMED("baseline/io_uring_recvmsg_multishot", bm_uring_multishot, 1)

static void bm_sock_ingest(gx_bench_t *b) {
  if (sb_prepare() != 0) {
    gx_bench_skip(b, "set-up failed");
    return;
  }
  gx_sock_cfg_t sc;
  gx_sock_cfg_defaults(&sc);
  char err[256];
  gx_sock_addr_parse("127.0.0.1:0", &sc.bind, 1, err, sizeof err);
  gx_sock_t *sock = gx_sock_open(&sc, err, sizeof err);
  if (!sock) {
    gx_bench_skip(b, err);
    return;
  }
  gx_ingest_cfg_t c;
  gx_ingest_cfg_defaults(&c);
  static int run;
  char name[32];
  snprintf(name, sizeof name, "sb%d", run++);
  c.name = name;
  c.dedup_entries = 1 << 16;
  c.mempool.capacity = 65536;
  gx_dp_queue_t *q = gx_sock_queue(sock, 0);
  gx_ingest_t *ing = gx_ingest_new(&c, &q, 1, err, sizeof err);
  if (!ing || gx_ingest_start(ing, err, sizeof err) != 0) {
    gx_bench_skip(b, err);
    gx_ingest_delete(ing);
    gx_sock_close(sock);
    return;
  }
  sb_sender_t snd;
  sb_sender_start(&snd, gx_sock_port(sock));
  int64_t got = 0;
  gx_ingest_snapshot_t s0, s1;
  while (gx_bench_loop(b)) {
    gx_ingest_snapshot(ing, &s0);
    usleep(SB_WINDOW_MS * 1000);
    gx_ingest_snapshot(ing, &s1);
    got += (int64_t)(s1.dgrams - s0.dgrams);
  }
  sb_sender_stop(&snd);
  gx_ingest_snapshot(ing, &s1);
  gx_bench_counter(b, "parse_errors", (double)s1.parse_errors);
  gx_bench_counter(b, "dup_share", s1.transfers ? (double)s1.duplicates / (double)s1.transfers : 0);
  gx_ingest_stop(ing);
  gx_ingest_delete(ing);
  gx_sock_close(sock);
  gx_bench_items(b, got);
}
GX_BENCH_NAMED("sock/ingest", bm_sock_ingest, 1)
