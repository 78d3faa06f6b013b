#include "apps/star/load.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "apps/star/net.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"
#include "core/gx_util.h"

typedef struct {
  const star_load_cfg_t *cfg;
  uint8_t *xfers;      /* total * GX_XFER_SZ */
  uint64_t total;
  uint64_t pair_lo, pair_hi;
} star_signer_t;

/* Transfer j belongs to pair j % pairs, as that pair's (j / pairs + 1)-th. */
static void *star_sign_pairs(void *arg) {
  star_signer_t *s = arg;
  const star_load_cfg_t *c = s->cfg;
  for (uint64_t p = s->pair_lo; p < s->pair_hi; p++) {
    gx_keypair_t from, to;
    gx_key_derive(&from, "star-load", c->seed, 2 * p);
    gx_key_derive(&to, "star-load", c->seed, 2 * p + 1);
    gx_hash_t prev;
    memset(&prev, 0, sizeof prev);
    uint64_t seq = 1;
    for (uint64_t j = p; j < s->total; j += c->pairs, seq++) {
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = from.pk;
      x.counterparty = to.pk;
      x.amount = 1;
      x.nonce = j;
      x.init_link.seq = seq;
      x.init_link.prev = prev;
      x.cp_link = x.init_link; /* both chains move together in a pair */
      gx_xfer_sign_init(&x, from.sk);
      gx_xfer_sign_cp(&x, to.sk);
      uint8_t *enc = s->xfers + j * GX_XFER_SZ;
      gx_xfer_encode(&x, enc);
      gx_xfer_id(&prev, enc);
    }
    gx_key_wipe(&from);
    gx_key_wipe(&to);
  }
  return NULL;
}

static double star_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int star_load_run(const star_load_cfg_t *c) {
  star_net_t net;
  char err[256];
  if (star_net_open(&net, c->galaxy, err, sizeof err) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", c->galaxy, err);
  uint64_t total = c->rate * c->duration;
  if (total > STAR_LOAD_MAX_XFERS) {
    fprintf(stderr, "star load: capping at %u pre-signed transfers (rate*duration = %llu)\n",
            STAR_LOAD_MAX_XFERS, (unsigned long long)total);
    total = STAR_LOAD_MAX_XFERS;
  }
  uint8_t *xfers = malloc(total * GX_XFER_SZ);
  if (!xfers) {
    star_net_close(&net);
    return gx_cli_fail(GX_EXIT_FAIL, "out of memory for %llu transfers", (unsigned long long)total);
  }
  /* Pre-sign on all CPUs, pairs split between threads. */
  uint64_t nthreads = c->threads ? c->threads : (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
  if (nthreads > c->pairs) nthreads = c->pairs;
  if (nthreads < 1) nthreads = 1;
  pthread_t tids[256];
  star_signer_t signers[256];
  double t0 = star_now();
  for (uint64_t t = 0; t < nthreads; t++) {
    signers[t] = (star_signer_t){c, xfers, total, c->pairs * t / nthreads, c->pairs * (t + 1) / nthreads};
    pthread_create(&tids[t], NULL, star_sign_pairs, &signers[t]);
  }
  for (uint64_t t = 0; t < nthreads; t++) pthread_join(tids[t], NULL);
  fprintf(stderr, "star load: signed %llu transfers for %llu pairs in %.1fs, sending at %llu/s\n",
          (unsigned long long)total, (unsigned long long)c->pairs, star_now() - t0,
          (unsigned long long)c->rate);

  uint64_t corrupted = 0;
  if (c->corrupt_every)
    for (uint64_t j = c->corrupt_every - 1; j < total; j += c->corrupt_every) {
      /* alternate between the initiator's and the counterparty's signature */
      size_t off = (corrupted & 1) ? 226 + 10 : 122 + 10;
      xfers[j * GX_XFER_SZ + off] ^= 0x01;
      corrupted++;
    }

  FILE *dump = NULL;
  if (c->dump_path && !(dump = fopen(c->dump_path, "w"))) {
    free(xfers);
    star_net_close(&net);
    return gx_cli_fail(GX_EXIT_FAIL, "%s: %s", c->dump_path, strerror(errno));
  }

  enum { CHUNK = 32 };
  static uint8_t dgrams[CHUNK * 2][GX_UDP_PAYLOAD_MAX];
  struct mmsghdr msgs[CHUNK * 2];
  struct iovec iov[CHUNK * 2];
  uint64_t sent = 0, datagrams = 0, dups = 0, bytes = 0, send_errors = 0;
  double start = star_now(), next_report = start + 1.0;
  while (sent < total) {
    /* pace: how many transfers should have gone by now */
    double elapsed = star_now() - start;
    uint64_t due = (uint64_t)(elapsed * (double)c->rate) + GX_BATCH_MAX;
    if (due > total) due = total;
    if (sent >= due) {
      struct timespec ts = {0, 200000};
      nanosleep(&ts, NULL);
    }
    int n = 0;
    while (n < CHUNK && sent < due) {
      uint64_t k = total - sent < GX_BATCH_MAX ? total - sent : GX_BATCH_MAX;
      size_t len = gx_batch_encode(dgrams[n], GX_UDP_PAYLOAD_MAX, xfers + sent * GX_XFER_SZ, k, 0);
      iov[n] = (struct iovec){dgrams[n], len};
      msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[n], .msg_iovlen = 1}};
      if (dump) {
        char hex[2 * GX_UDP_PAYLOAD_MAX + 1];
        gx_hex_encode(hex, dgrams[n], len);
        fprintf(dump, "%s\n", hex);
      }
      sent += k;
      datagrams++;
      bytes += len;
      n++;
      if (c->duplicate_every && datagrams % c->duplicate_every == 0) {
        iov[n] = iov[n - 1];
        msgs[n] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[n], .msg_iovlen = 1}};
        dups++;
        bytes += len;
        n++;
      }
    }
    for (int off = 0; off < n;) {
      int r = sendmmsg(net.fd, msgs + off, (unsigned)(n - off), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS || errno == EAGAIN) { usleep(100); continue; }
        send_errors++;
        if (errno == ECONNREFUSED) { off++; continue; } /* ICMP from an earlier datagram */
        fprintf(stderr, "star load: send failed: %s\n", strerror(errno));
        free(xfers);
        if (dump) fclose(dump);
        star_net_close(&net);
        return GX_EXIT_FAIL;
      }
      off += r;
    }
    double now = star_now();
    if (now >= next_report) {
      fprintf(stderr, "star load: %.0fs sent %llu/%llu transfers (%.0f/s) datagrams=%llu\n",
              now - start, (unsigned long long)sent, (unsigned long long)total,
              (double)sent / (now - start), (unsigned long long)datagrams);
      next_report += 1.0;
    }
  }
  double secs = star_now() - start;
  printf("summary transfers=%llu datagrams=%llu corrupted=%llu duplicates=%llu bytes=%llu "
         "seconds=%.2f rate=%.0f refused=%llu\n",
         (unsigned long long)sent, (unsigned long long)datagrams, (unsigned long long)corrupted,
         (unsigned long long)dups, (unsigned long long)bytes, secs, (double)sent / secs,
         (unsigned long long)send_errors);
  if (dump) fclose(dump);
  free(xfers);
  star_net_close(&net);
  return 0;
}
