#include "dataplane/gx_sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  gx_dp_queue_t q;
  int fd;
  int family; /* AF_INET or AF_INET6 (socket family) */
  int poll_ms;
  uint16_t free_slots[GX_SOCK_SLOTS];
  int n_free;
  gx_sock_counters_t c;
  struct mmsghdr msgs[GX_SOCK_SLOTS];
  struct iovec iov[GX_SOCK_SLOTS];
  struct sockaddr_storage src[GX_SOCK_SLOTS];
  uint16_t slot_of[GX_SOCK_SLOTS];
  uint8_t (*slots)[GX_SOCK_SLOT_SZ];
} gx_sock_queue_t;

struct gx_sock {
  gx_sock_cfg_t cfg;
  uint16_t port;
  int rcvbuf;
  int n;
  gx_sock_queue_t *queues[GX_SOCK_MAX_QUEUES];
};

void gx_sock_cfg_defaults(gx_sock_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->bind.family = 6; /* "::" dual-stack */
  cfg->n_queues = 1;
  cfg->rcvbuf_bytes = 8 << 20;
  cfg->sndbuf_bytes = 4 << 20;
  cfg->poll_timeout_ms = 1;
}

/* ---- addresses ---- */
static void gx_from_sockaddr(gx_addr_t *a, const struct sockaddr_storage *ss) {
  memset(a, 0, sizeof *a);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
    a->family = 4;
    a->port = ntohs(s4->sin_port);
    memcpy(a->ip, &s4->sin_addr, 4);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    a->port = ntohs(s6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      a->family = 4;
      memcpy(a->ip, s6->sin6_addr.s6_addr + 12, 4);
    } else {
      a->family = 6;
      memcpy(a->ip, s6->sin6_addr.s6_addr, 16);
    }
  }
}

/* Into a sockaddr of the socket's family; 0 length when it cannot be reached. */
static socklen_t gx_to_sockaddr(struct sockaddr_storage *ss, const gx_addr_t *a, int family) {
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    if (a->family != 4) return 0;
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
    return sizeof *s4;
  }
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(a->port);
  if (a->family == 4) {
    s6->sin6_addr.s6_addr[10] = 0xff;
    s6->sin6_addr.s6_addr[11] = 0xff;
    memcpy(s6->sin6_addr.s6_addr + 12, a->ip, 4);
  } else if (a->family == 6) {
    memcpy(s6->sin6_addr.s6_addr, a->ip, 16);
  } else {
    return 0;
  }
  return sizeof *s6;
}

int gx_sock_addr_parse(const char *text, gx_addr_t *out, int allow_port0, char *err,
                       size_t errlen) {
  char host[256];
  const char *port_s;
  memset(out, 0, sizeof *out);
  if (!text || !*text) {
    snprintf(err, errlen, "empty address (want HOST:PORT)");
    return -1;
  }
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host) {
      snprintf(err, errlen, "'%s': want [IPV6]:PORT", text);
      return -1;
    }
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = 0;
    port_s = close + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon || strchr(text, ':') != colon || (size_t)(colon - text) >= sizeof host) {
      snprintf(err, errlen, "'%s': want HOST:PORT (IPv6 as [ADDR]:PORT)", text);
      return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    port_s = colon + 1;
  }
  char *end;
  errno = 0;
  long port = strtol(port_s, &end, 10);
  if (!*port_s || *end || errno || port < 0 || port > 65535 || (port == 0 && !allow_port0)) {
    snprintf(err, errlen, "'%s': bad port '%s' (1..65535)", text, port_s);
    return -1;
  }
  char why[300];
  if (gx_sock_addr_resolve(host, (uint16_t)port, out, why, sizeof why) == 0) return 0;
  snprintf(err, errlen, "'%s': %s", text, why);
  return -1;
}

int gx_sock_addr_resolve(const char *host, uint16_t port, gx_addr_t *out, char *err,
                         size_t errlen) {
  memset(out, 0, sizeof *out);
  out->port = port;
  if (inet_pton(AF_INET, host, out->ip) == 1) {
    out->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, host, out->ip) == 1) {
    out->family = 6;
    return 0;
  }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res = NULL;
  int rc = getaddrinfo(host, NULL, &hints, &res);
  if (rc != 0 || !res) {
    snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
    return -1;
  }
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  memcpy(&ss, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  gx_from_sockaddr(out, &ss);
  out->port = port;
  return 0;
}

void gx_sock_addr_format(const gx_addr_t *a, char *buf, size_t cap) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (a->family == 4) {
    inet_ntop(AF_INET, a->ip, ip, sizeof ip);
    snprintf(buf, cap, "%s:%u", ip, a->port);
  } else if (a->family == 6) {
    inet_ntop(AF_INET6, a->ip, ip, sizeof ip);
    snprintf(buf, cap, "[%s]:%u", ip, a->port);
  } else {
    snprintf(buf, cap, "unset");
  }
}

int gx_sock_addr_eq(const gx_addr_t *a, const gx_addr_t *b) {
  return a->family == b->family && a->port == b->port &&
         !memcmp(a->ip, b->ip, a->family == 4 ? 4 : 16);
}

/* ---- ops ---- */
static int gx_sock_rx_burst(gx_dp_queue_t *dq, gx_dgram_t *out, int max) {
  gx_sock_queue_t *q = dq->backend;
  int k = max < q->n_free ? max : q->n_free;
  if (k <= 0) return 0;
  for (int i = 0; i < k; i++) {
    uint16_t slot = q->free_slots[q->n_free - 1 - i];
    q->slot_of[i] = slot;
    q->iov[i] = (struct iovec){q->slots[slot], GX_SOCK_SLOT_SZ};
    q->msgs[i].msg_hdr = (struct msghdr){.msg_name = &q->src[i],
                                         .msg_namelen = sizeof q->src[i],
                                         .msg_iov = &q->iov[i],
                                         .msg_iovlen = 1};
    q->msgs[i].msg_len = 0;
  }
  int r = recvmmsg(q->fd, q->msgs, (unsigned)k, MSG_DONTWAIT, NULL);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && q->poll_ms > 0) {
    struct pollfd p = {q->fd, POLLIN, 0};
    if (poll(&p, 1, q->poll_ms) > 0) r = recvmmsg(q->fd, q->msgs, (unsigned)k, MSG_DONTWAIT, NULL);
  }
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    gx_metrics_add(&q->c.rx_errors, 1);
    return 0; /* transient socket errors (ICMP-reported) are not fatal */
  }
  /* the top k free slots were lent to recvmmsg: take them off the stack,
   * then put back the ones not delivered (not filled, or truncated) */
  q->n_free -= k;
  int n = 0;
  uint64_t bytes = 0;
  for (int i = 0; i < k; i++) {
    uint16_t slot = q->slot_of[i];
    if (i >= r || (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
      if (i < r) gx_metrics_add(&q->c.rx_oversize, 1);
      q->free_slots[q->n_free++] = slot;
      continue;
    }
    out[n].payload = q->slots[slot];
    out[n].len = (uint16_t)q->msgs[i].msg_len;
    out[n].handle = (void *)(uintptr_t)slot;
    gx_from_sockaddr(&out[n].src, &q->src[i]);
    bytes += q->msgs[i].msg_len;
    n++;
  }
  gx_metrics_add(&q->c.rx_dgrams, (uint64_t)n);
  gx_metrics_add(&q->c.rx_bytes, bytes);
  return n;
}

static void gx_sock_rx_release(gx_dp_queue_t *dq, gx_dgram_t *d, int n) {
  gx_sock_queue_t *q = dq->backend;
  for (int i = 0; i < n && q->n_free < GX_SOCK_SLOTS; i++)
    q->free_slots[q->n_free++] = (uint16_t)(uintptr_t)d[i].handle;
}

static int gx_sock_tx_burst(gx_dp_queue_t *dq, const gx_addr_t *dst, const uint8_t *const *payloads,
                            const uint16_t *lens, int n) {
  gx_sock_queue_t *q = dq->backend;
  struct mmsghdr msgs[GX_DP_BURST];
  struct iovec iov[GX_DP_BURST];
  struct sockaddr_storage to[GX_DP_BURST];
  int sent = 0, accepted = 0;
  while (sent < n) {
    int k = 0, invalid = 0;
    for (; k < GX_DP_BURST && sent + k + invalid < n;) {
      int i = sent + k + invalid;
      socklen_t tl = gx_to_sockaddr(&to[k], &dst[i], q->family);
      if (!tl) {
        invalid++;
        gx_metrics_add(&q->c.tx_drops, 1);
        continue;
      }
      iov[k] = (struct iovec){(void *)payloads[i], lens[i]};
      msgs[k].msg_hdr = (struct msghdr){.msg_name = &to[k], .msg_namelen = tl,
                                        .msg_iov = &iov[k], .msg_iovlen = 1};
      k++;
    }
    sent += invalid;
    if (k == 0) continue;
    int r = sendmmsg(q->fd, msgs, (unsigned)k, MSG_DONTWAIT);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      /* refused (full buffer, ICMP error on the first): drop it, go on */
      gx_metrics_add(&q->c.tx_drops, 1);
      sent += 1;
      continue;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < r; i++) bytes += iov[i].iov_len;
    gx_metrics_add(&q->c.tx_dgrams, (uint64_t)r);
    gx_metrics_add(&q->c.tx_bytes, bytes);
    sent += r;
    accepted += r;
  }
  return accepted;
}

static int gx_sock_rx_wait(gx_dp_queue_t *dq, int timeout_ms) {
  gx_sock_queue_t *q = dq->backend;
  struct pollfd p = {q->fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms) > 0;
}

static const gx_dp_ops_t gx_sock_ops = {"socket", gx_sock_rx_burst, gx_sock_rx_release,
                                        gx_sock_tx_burst, gx_sock_rx_wait};

static int gx_sock_setbuf(int fd, int force_opt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

gx_sock_t *gx_sock_open(const gx_sock_cfg_t *cfg, char *err, size_t errlen) {
  if (cfg->n_queues < 1 || cfg->n_queues > GX_SOCK_MAX_QUEUES) {
    snprintf(err, errlen, "socket queues %d out of range 1..%d", cfg->n_queues, GX_SOCK_MAX_QUEUES);
    return NULL;
  }
  if (cfg->exclusive && cfg->n_queues != 1) {
    snprintf(err, errlen, "an exclusive socket has one queue, not %d", cfg->n_queues);
    return NULL;
  }
  if (cfg->bind.family != 4 && cfg->bind.family != 6) {
    snprintf(err, errlen, "bind address has no family");
    return NULL;
  }
  gx_sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->cfg = *cfg;
  gx_addr_t local = cfg->bind;
  char where[GX_SOCK_ADDR_STRLEN];
  for (int i = 0; i < cfg->n_queues; i++) {
    gx_sock_queue_t *q = calloc(1, sizeof *q);
    if (q) q->slots = calloc(GX_SOCK_SLOTS, GX_SOCK_SLOT_SZ);
    if (!q || !q->slots) {
      if (q) free(q);
      snprintf(err, errlen, "out of memory for socket queue %d", i);
      gx_sock_close(s);
      return NULL;
    }
    s->queues[s->n++] = q;
    q->fd = -1;
    q->q = (gx_dp_queue_t){&gx_sock_ops, q, i};
    q->poll_ms = cfg->poll_timeout_ms;
    for (int k = 0; k < GX_SOCK_SLOTS; k++) q->free_slots[k] = (uint16_t)(GX_SOCK_SLOTS - 1 - k);
    q->n_free = GX_SOCK_SLOTS;
    q->family = local.family == 4 ? AF_INET : AF_INET6;
    gx_sock_addr_format(&local, where, sizeof where);
    q->fd = socket(q->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0) {
      snprintf(err, errlen, "socket %s: %s", where, strerror(errno));
      gx_sock_close(s);
      return NULL;
    }
    int one = 1, zero = 0;
    if (!cfg->exclusive) setsockopt(q->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (q->family == AF_INET6) setsockopt(q->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (cfg->rcvbuf_bytes > 0) gx_sock_setbuf(q->fd, SO_RCVBUFFORCE, SO_RCVBUF, cfg->rcvbuf_bytes);
    if (cfg->sndbuf_bytes > 0) gx_sock_setbuf(q->fd, SO_SNDBUFFORCE, SO_SNDBUF, cfg->sndbuf_bytes);
    struct sockaddr_storage ss;
    socklen_t sl = gx_to_sockaddr(&ss, &local, q->family);
    if (bind(q->fd, (struct sockaddr *)&ss, sl) != 0) {
      snprintf(err, errlen, "bind %s: %s", where, strerror(errno));
      gx_sock_close(s);
      return NULL;
    }
    if (i == 0) { /* learn the port (cfg may say 0) for the other queues */
      struct sockaddr_storage got;
      socklen_t gl = sizeof got;
      getsockname(q->fd, (struct sockaddr *)&got, &gl);
      gx_addr_t a;
      gx_from_sockaddr(&a, &got);
      local.port = a.port;
      s->port = a.port;
      int rb = 0;
      socklen_t rl = sizeof rb;
      getsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rb, &rl);
      s->rcvbuf = rb;
    }
  }
  return s;
}

void gx_sock_close(gx_sock_t *s) {
  if (!s) return;
  for (int i = 0; i < s->n; i++) {
    if (s->queues[i]->fd >= 0) close(s->queues[i]->fd);
    free(s->queues[i]->slots);
    free(s->queues[i]);
  }
  free(s);
}

int gx_sock_n_queues(const gx_sock_t *s) { return s->n; }
gx_dp_queue_t *gx_sock_queue(gx_sock_t *s, int i) {
  return i >= 0 && i < s->n ? &s->queues[i]->q : NULL;
}
uint16_t gx_sock_port(const gx_sock_t *s) { return s->port; }
int gx_sock_rcvbuf(const gx_sock_t *s) { return s->rcvbuf; }
const gx_sock_counters_t *gx_sock_counters(const gx_sock_t *s, int queue) {
  return queue >= 0 && queue < s->n ? &s->queues[queue]->c : NULL;
}

gx_metrics_err_t gx_sock_metrics_register(gx_sock_t *s, gx_metrics_t *m) {
  return gx_sock_metrics_register_as(s, m, NULL);
}

gx_metrics_err_t gx_sock_metrics_register_as(gx_sock_t *s, gx_metrics_t *m, const char *name) {
  gx_metrics_err_t rc;
  /* one series per queue, all in one family per counter */
  for (int i = 0; i < s->n; i++) {
    char lb[48];
    if (name) snprintf(lb, sizeof lb, "queue=\"%.32s\"", name);
    else snprintf(lb, sizeof lb, "queue=\"%d\"", i);
    gx_sock_counters_t *c = &s->queues[i]->c;
    if ((rc = gx_metrics_counter(m, "gx_sock_rx_oversize_total", lb,
                                 "Datagrams dropped by the socket backend: larger than a receive slot.",
                                 &c->rx_oversize)) ||
        (rc = gx_metrics_counter(m, "gx_sock_rx_errors_total", lb,
                                 "recvmmsg errors on the socket backend.", &c->rx_errors)) ||
        (rc = gx_metrics_counter(m, "gx_sock_tx_datagrams_total", lb,
                                 "Datagrams sent by the socket backend.", &c->tx_dgrams)) ||
        (rc = gx_metrics_counter(m, "gx_sock_tx_bytes_total", lb,
                                 "UDP payload bytes sent by the socket backend.", &c->tx_bytes)) ||
        (rc = gx_metrics_counter(m, "gx_sock_tx_drops_total", lb,
                                 "Datagrams the kernel refused to send (unreachable family, full buffer, ICMP error).",
                                 &c->tx_drops)))
      return rc;
  }
  return GX_METRICS_OK;
}
