#include "apps/star/load.h"
#include "apps/star/star_state.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "apps/star/net.h"
#include "core/gx_chain.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"
#include "core/gx_util.h"

/* Where each account's chain starts (its committed state, or fresh). */
typedef struct {
  gx_chain_head_t from, to;
} star_pair_start_t;

typedef struct {
  const star_load_cfg_t *cfg;
  uint8_t *xfers;      /* total * GX_XFER_SZ */
  uint64_t total;
  uint64_t pair_lo, pair_hi;
  const star_pair_start_t *start; /* NULL: every chain starts at seq 1 */
} star_signer_t;

typedef struct {
  char buf[1024];
  size_t len;
} star_http_body_t;

static size_t star_http_write(char *p, size_t size, size_t n, void *ud) {
  star_http_body_t *b = ud;
  size_t k = size * n;
  if (b->len + k >= sizeof b->buf) return 0;
  memcpy(b->buf + b->len, p, k);
  b->len += k;
  b->buf[b->len] = 0;
  return k;
}

/* GET /v1/account/ADDR: 0 with the head filled (unknown account: fresh), -1 on error. */
static int star_fetch_head(CURL *curl, const char *api, const gx_pubkey_t *pk, gx_chain_head_t *h) {
  char addr[GX_ADDR_LEN + 1], url[512];
  gx_addr_encode(addr, pk);
  star_url(url, sizeof url, api, "/v1/account/", addr);
  star_http_body_t b = {.len = 0};
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
  if (curl_easy_perform(curl) != CURLE_OK) return -1;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  memset(h, 0, sizeof *h);
  if (status == 404) return star_answer_code_is(b.buf, "unknown_account") ? 0 : -1;
  const char *seq = strstr(b.buf, "\"seq\":"), *head = strstr(b.buf, "\"head\":\"");
  if (status != 200 || !seq || !head) return -1;
  h->seq = strtoull(seq + 6, NULL, 10);
  char hex[65];
  memcpy(hex, head + 8, 64);
  hex[64] = 0;
  return gx_hex_decode(h->head.b, 32, hex);
}

static int star_fetch_starts(const star_load_cfg_t *c, star_pair_start_t *starts) {
  CURL *curl = curl_easy_init();
  if (!curl) return -1;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, star_http_write);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  int rc = 0;
  for (uint64_t p = 0; p < c->pairs && rc == 0; p++) {
    gx_keypair_t a, b;
    gx_key_derive(&a, "star-load", c->seed, 2 * p);
    gx_key_derive(&b, "star-load", c->seed, 2 * p + 1);
    rc = star_fetch_head(curl, c->api, &a.pk, &starts[p].from);
    if (!rc) rc = star_fetch_head(curl, c->api, &b.pk, &starts[p].to);
    gx_key_wipe(&a);
    gx_key_wipe(&b);
  }
  curl_easy_cleanup(curl);
  return rc;
}

/* Transfer j belongs to pair j % pairs, as that pair's (j / pairs + 1)-th. */
static void *star_sign_pairs(void *arg) {
  star_signer_t *s = arg;
  const star_load_cfg_t *c = s->cfg;
  for (uint64_t p = s->pair_lo; p < s->pair_hi; p++) {
    gx_keypair_t from, to;
    gx_key_derive(&from, "star-load", c->seed, 2 * p);
    gx_key_derive(&to, "star-load", c->seed, 2 * p + 1);
    gx_chain_head_t from_head = {0}, to_head = {0};
    if (s->start) {
      from_head = s->start[p].from;
      to_head = s->start[p].to;
    }
    for (uint64_t j = p; j < s->total; j += c->pairs) {
      gx_xfer_t x;
      memset(&x, 0, sizeof x);
      x.initiator = from.pk;
      x.counterparty = to.pk;
      x.amount = 1;
      x.nonce = j;
      x.init_link.seq = from_head.seq + 1;
      x.init_link.prev = from_head.head;
      x.cp_link.seq = to_head.seq + 1;
      x.cp_link.prev = to_head.head;
      gx_xfer_sign_init(&x, from.sk);
      gx_xfer_sign_cp(&x, to.sk);
      uint8_t *enc = s->xfers + j * GX_XFER_SZ;
      gx_xfer_encode(&x, enc);
      gx_hash_t id;
      gx_xfer_id(&id, enc);
      gx_chain_advance(&from_head, &x.init_link, &id);
      gx_chain_advance(&to_head, &x.cp_link, &id);
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

/* ---- routing to home clusters ---- */
typedef struct {
  uint32_t k;                                                  /* clusters */
  uint32_t n[STAR_ROUTE_CLUSTERS];                             /* members */
  int fd[STAR_ROUTE_CLUSTERS][STAR_ROUTE_MEMBERS];             /* connected; -1: no address */
  _Atomic uint64_t down_until_ms[STAR_ROUTE_CLUSTERS][STAR_ROUTE_MEMBERS];
  _Atomic uint64_t refused, unroutable;
} star_dest_t;

static uint64_t star_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void star_dest_close(star_dest_t *d) {
  for (uint32_t c = 0; c < d->k; c++)
    for (uint32_t i = 0; i < d->n[c]; i++)
      if (d->fd[c][i] >= 0) close(d->fd[c][i]);
}

/* One connected socket per member with an ingest address. 0, or -1 when no
 * member at all can be reached (printed). */
static int star_dest_open(star_dest_t *d, const star_route_map_t *m) {
  memset(d, 0, sizeof *d);
  d->k = m->cluster_count;
  uint32_t open_ = 0;
  for (uint32_t c = 0; c < d->k; c++) {
    d->n[c] = m->n[c];
    for (uint32_t i = 0; i < STAR_ROUTE_MEMBERS; i++) d->fd[c][i] = -1;
    for (uint32_t i = 0; i < m->n[c]; i++) {
      star_net_t net;
      char err[256];
      if (!m->ingest[c][i][0]) continue;
      if (star_net_open(&net, m->ingest[c][i], err, sizeof err) != 0) {
        fprintf(stderr, "star load: cluster %u member %u (%s): %s: left out\n", c, i, m->ingest[c][i], err);
        continue;
      }
      d->fd[c][i] = net.fd;
      open_++;
    }
    if (!star_route_known(m, c))
      fprintf(stderr, "star load: cluster %u has no member with an ingest address: its accounts' transfers "
              "are unroutable\n", c);
  }
  if (!open_) {
    star_dest_close(d);
    return gx_cli_fail(GX_EXIT_FAIL, "the cluster map names no ingest address star can send to"), -1;
  }
  return 0;
}

/* Sends a datagram of count transfers to the next member of cluster c from
 * *rot on (advanced); a member that refused is left out a while, and the
 * next one tried. 0 sent, -1 no member left (counted unroutable). */
static int star_dest_send(star_dest_t *d, uint32_t c, uint32_t *rot, const uint8_t *dg, size_t len, size_t count) {
  uint32_t n = c < d->k ? d->n[c] : 0;
  uint64_t now = star_ms();
  for (uint32_t k = 0; k < n; k++) {
    uint32_t i = (*rot + k) % n;
    if (d->fd[c][i] < 0 || atomic_load(&d->down_until_ms[c][i]) > now) continue;
    for (int tries = 0; tries < 1000; tries++) {
      if (send(d->fd[c][i], dg, len, 0) == (ssize_t)len) {
        *rot = i + 1;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) { usleep(100); continue; }
      break;
    }
    if (errno == ECONNREFUSED) atomic_fetch_add(&d->refused, 1);
    atomic_store(&d->down_until_ms[c][i], now + STAR_LOAD_DOWN_MS);
  }
  atomic_fetch_add(&d->unroutable, count);
  return -1;
}

/* ---- re-sending stalled chains (--resend) ---- */
typedef struct {
  const star_load_cfg_t *cfg;
  const uint8_t *xfers;
  int fd;                /* no routing */
  star_dest_t *dest;     /* routing: the pair's home cluster */
  const uint8_t *home;   /* routing: per pair, its home cluster */
  uint32_t rot[STAR_ROUTE_CLUSTERS];
  uint64_t *first_seq;   /* per pair: the payer's committed seq when the load started */
  uint64_t *last_done;   /* per pair: transfers committed at the previous look */
  _Atomic uint64_t sent; /* transfers the main loop has sent (a prefix of xfers) */
  _Atomic int stop;
  _Atomic uint64_t resent;
  pthread_t thread;
} star_resender_t;

/* Sleeps up to s seconds; 1 when asked to stop. */
static int star_resend_wait(star_resender_t *r, uint64_t s) {
  for (uint64_t i = 0; i < s * 10; i++) {
    if (atomic_load(&r->stop)) return 1;
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
  }
  return atomic_load(&r->stop);
}

/* Stops the thread (when started) and frees the per-pair arrays; resent stays. */
static void star_resend_end(star_resender_t *r, int started) {
  if (started) {
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
  }
  free(r->first_seq);
  free(r->last_done);
  r->first_seq = r->last_done = NULL;
}

static void *star_resend_main(void *arg) {
  star_resender_t *r = arg;
  const star_load_cfg_t *c = r->cfg;
  CURL *curl = curl_easy_init();
  if (!curl) return NULL;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, star_http_write);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  uint8_t dgram[GX_UDP_PAYLOAD_MAX], batch[GX_BATCH_MAX * GX_XFER_SZ];
  while (!star_resend_wait(r, c->resend_s)) {
    uint64_t sent = atomic_load(&r->sent);
    for (uint64_t p = 0; p < c->pairs && !atomic_load(&r->stop); p++) {
      if (sent <= p) break;
      uint64_t pair_sent = (sent - p - 1) / c->pairs + 1; /* this pair's transfers sent */
      gx_pubkey_t payer; /* the initiator of the pair's first transfer */
      memcpy(payer.b, r->xfers + p * GX_XFER_SZ + 2, sizeof payer.b);
      gx_chain_head_t h;
      int rc = star_fetch_head(curl, c->api, &payer, &h);
      if (rc != 0 || h.seq < r->first_seq[p]) continue;
      uint64_t done = h.seq - r->first_seq[p];
      uint64_t stalled = done == r->last_done[p];
      r->last_done[p] = done;
      if (done >= pair_sent || (!stalled && pair_sent - done <= STAR_LOAD_RESEND_WINDOW)) continue;
      uint64_t end = done + STAR_LOAD_RESEND_WINDOW < pair_sent ? done + STAR_LOAD_RESEND_WINDOW : pair_sent;
      size_t n = 0;
      for (uint64_t i = done; i < end; i++) {
        memcpy(batch + n * GX_XFER_SZ, r->xfers + (p + i * c->pairs) * GX_XFER_SZ, GX_XFER_SZ);
        if (++n == GX_BATCH_MAX || i + 1 == end) {
          size_t len = gx_batch_encode(dgram, sizeof dgram, batch, n, 0);
          if (len && r->dest) {
            if (star_dest_send(r->dest, r->home[p], &r->rot[r->home[p]], dgram, len, n) == 0)
              atomic_fetch_add(&r->resent, n);
          } else if (len && send(r->fd, dgram, len, 0) == (ssize_t)len) {
            atomic_fetch_add(&r->resent, n);
          }
          n = 0;
        }
      }
    }
  }
  curl_easy_cleanup(curl);
  return NULL;
}

/* Routing: the transfers due now (xfers[from..to)), batched per home cluster
 * in their order, GX_BATCH_MAX a datagram, each datagram to the next member. */
typedef struct {
  star_dest_t dest;
  uint8_t *home; /* per pair */
  uint32_t rot[STAR_ROUTE_CLUSTERS];
  uint8_t batch[STAR_ROUTE_CLUSTERS][GX_BATCH_MAX * GX_XFER_SZ];
  uint32_t count[STAR_ROUTE_CLUSTERS];
  uint64_t datagrams, dups, bytes;
} star_router_t;

static void star_route_flush(star_router_t *rt, const star_load_cfg_t *c, uint32_t k, FILE *dump) {
  uint8_t dg[GX_UDP_PAYLOAD_MAX];
  size_t len = gx_batch_encode(dg, sizeof dg, rt->batch[k], rt->count[k], 0);
  if (dump) {
    char hex[2 * GX_UDP_PAYLOAD_MAX + 1];
    gx_hex_encode(hex, dg, len);
    fprintf(dump, "%s\n", hex);
  }
  rt->datagrams++;
  rt->bytes += len;
  if (star_dest_send(&rt->dest, k, &rt->rot[k], dg, len, rt->count[k]) == 0 && c->duplicate_every &&
      rt->datagrams % c->duplicate_every == 0) {
    uint32_t again = rt->rot[k] ? rt->rot[k] - 1 : 0; /* the same member */
    if (star_dest_send(&rt->dest, k, &again, dg, len, 0) == 0) rt->dups++, rt->bytes += len;
  }
  rt->count[k] = 0;
}

static void star_route_step(star_router_t *rt, const star_load_cfg_t *c, const uint8_t *xfers, uint64_t from,
                            uint64_t to, FILE *dump) {
  for (uint64_t j = from; j < to; j++) {
    uint32_t k = rt->home[j % c->pairs];
    memcpy(rt->batch[k] + (size_t)rt->count[k] * GX_XFER_SZ, xfers + j * GX_XFER_SZ, GX_XFER_SZ);
    if (++rt->count[k] == GX_BATCH_MAX) star_route_flush(rt, c, k, dump);
  }
  for (uint32_t k = 0; k < rt->dest.k; k++)
    if (rt->count[k]) star_route_flush(rt, c, k, dump);
}

int star_load_run(const star_load_cfg_t *c) {
  star_net_t net = {.fd = -1};
  char err[256];
  static star_router_t rt; /* ~24 KiB of batches: not on the stack */
  memset(&rt, 0, sizeof rt);
  if (c->route) {
    if (star_dest_open(&rt.dest, c->route) != 0) return GX_EXIT_FAIL;
    rt.home = calloc(c->pairs, 1);
    if (!rt.home) {
      star_dest_close(&rt.dest);
      return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    }
    for (uint64_t p = 0; p < c->pairs; p++) { /* the payer initiates every transfer of pair p */
      gx_keypair_t a;
      gx_key_derive(&a, "star-load", c->seed, 2 * p);
      rt.home[p] = (uint8_t)star_route_home(c->route, &a.pk);
      gx_key_wipe(&a);
    }
  } else if (star_net_open(&net, c->galaxy, err, sizeof err) != 0) {
    return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", c->galaxy, err);
  }
#define STAR_LOAD_CLOSE()                                                      \
  do {                                                                         \
    star_net_close(&net);                                                      \
    if (c->route) star_dest_close(&rt.dest);                                   \
    free(rt.home);                                                             \
  } while (0)
  uint64_t total = c->rate * c->duration;
  if (total > STAR_LOAD_MAX_XFERS) {
    fprintf(stderr, "star load: capping at %u pre-signed transfers (rate*duration = %llu)\n",
            STAR_LOAD_MAX_XFERS, (unsigned long long)total);
    total = STAR_LOAD_MAX_XFERS;
  }
  uint8_t *xfers = malloc(total * GX_XFER_SZ);
  if (!xfers) {
    STAR_LOAD_CLOSE();
    return gx_cli_fail(GX_EXIT_FAIL, "out of memory for %llu transfers", (unsigned long long)total);
  }
  star_pair_start_t *starts = NULL;
  if (c->api) {
    starts = calloc(c->pairs, sizeof *starts);
    if (!starts || star_fetch_starts(c, starts) != 0) {
      free(starts);
      free(xfers);
      STAR_LOAD_CLOSE();
      return gx_cli_fail(GX_EXIT_FAIL, "--api %s: cannot read the accounts' chain state", c->api);
    }
  }
  /* Pre-sign on all CPUs, pairs split between threads. */
  uint64_t nthreads = c->threads ? c->threads : (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
  if (nthreads > c->pairs) nthreads = c->pairs;
  if (nthreads < 1) nthreads = 1;
  pthread_t tids[256];
  star_signer_t signers[256];
  double t0 = star_now();
  for (uint64_t t = 0; t < nthreads; t++) {
    signers[t] = (star_signer_t){c, xfers, total, c->pairs * t / nthreads, c->pairs * (t + 1) / nthreads, starts};
    pthread_create(&tids[t], NULL, star_sign_pairs, &signers[t]);
  }
  for (uint64_t t = 0; t < nthreads; t++) pthread_join(tids[t], NULL);
  star_resender_t rs;
  memset(&rs, 0, sizeof rs);
  rs.cfg = c;
  rs.xfers = xfers;
  rs.fd = net.fd;
  if (c->route) {
    rs.dest = &rt.dest;
    rs.home = rt.home;
  }
  if (c->resend_s) {
    rs.first_seq = calloc(c->pairs, sizeof *rs.first_seq);
    rs.last_done = calloc(c->pairs, sizeof *rs.last_done);
    if (!rs.first_seq || !rs.last_done) {
      free(rs.first_seq);
      free(rs.last_done);
      free(starts);
      free(xfers);
      STAR_LOAD_CLOSE();
      return gx_cli_fail(GX_EXIT_FAIL, "out of memory for --resend");
    }
    for (uint64_t p = 0; p < c->pairs; p++) rs.first_seq[p] = starts ? starts[p].from.seq : 0;
  }
  free(starts);
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
    star_resend_end(&rs, 0);
    free(xfers);
    STAR_LOAD_CLOSE();
    return gx_cli_fail(GX_EXIT_FAIL, "%s: %s", c->dump_path, strerror(errno));
  }

  int resending = c->resend_s && pthread_create(&rs.thread, NULL, star_resend_main, &rs) == 0;
  if (c->resend_s && !resending)
    fprintf(stderr, "star load: cannot start the re-send thread; not re-sending\n");
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
    if (c->route) { /* by home cluster */
      uint64_t to = due - sent > CHUNK * GX_BATCH_MAX ? sent + CHUNK * GX_BATCH_MAX : due;
      if (sent < to) star_route_step(&rt, c, xfers, sent, to, dump);
      sent = sent < to ? to : sent;
      datagrams = rt.datagrams;
      dups = rt.dups;
      bytes = rt.bytes;
      atomic_store(&rs.sent, sent);
      double now = star_now();
      if (now >= next_report) {
        fprintf(stderr, "star load: %.0fs sent %llu/%llu transfers (%.0f/s) datagrams=%llu\n", now - start,
                (unsigned long long)sent, (unsigned long long)total, (double)sent / (now - start),
                (unsigned long long)datagrams);
        next_report += 1.0;
      }
      continue;
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
        star_resend_end(&rs, resending);
        free(xfers);
        if (dump) fclose(dump);
        STAR_LOAD_CLOSE();
        return GX_EXIT_FAIL;
      }
      off += r;
    }
    atomic_store(&rs.sent, sent);
    double now = star_now();
    if (now >= next_report) {
      fprintf(stderr, "star load: %.0fs sent %llu/%llu transfers (%.0f/s) datagrams=%llu\n",
              now - start, (unsigned long long)sent, (unsigned long long)total,
              (double)sent / (now - start), (unsigned long long)datagrams);
      next_report += 1.0;
    }
  }
  double secs = star_now() - start;
  star_resend_end(&rs, resending);
  if (c->route) send_errors = atomic_load(&rt.dest.refused);
  printf("summary transfers=%llu datagrams=%llu corrupted=%llu duplicates=%llu bytes=%llu "
         "seconds=%.2f rate=%.0f refused=%llu resent=%llu",
         (unsigned long long)sent, (unsigned long long)datagrams, (unsigned long long)corrupted,
         (unsigned long long)dups, (unsigned long long)bytes, secs, (double)sent / secs,
         (unsigned long long)send_errors, (unsigned long long)atomic_load(&rs.resent));
  if (c->route)
    printf(" clusters=%u unroutable=%llu", rt.dest.k, (unsigned long long)atomic_load(&rt.dest.unroutable));
  printf("\n");
  if (dump) fclose(dump);
  free(xfers);
  STAR_LOAD_CLOSE();
  return 0;
}
