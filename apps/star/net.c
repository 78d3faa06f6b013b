#include "apps/star/net.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int star_net_parse(const char *hostport, struct sockaddr_storage *addr, socklen_t *len, char *err,
                   size_t errlen) {
  char host[256];
  const char *port;
  if (hostport[0] == '[') {
    const char *close = strchr(hostport, ']');
    if (!close || close[1] != ':') { snprintf(err, errlen, "expected [IPV6]:PORT"); return -1; }
    snprintf(host, sizeof host, "%.*s", (int)(close - hostport - 1), hostport + 1);
    port = close + 2;
  } else {
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport) { snprintf(err, errlen, "expected HOST:PORT"); return -1; }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    port = colon + 1;
  }
  char *end;
  long p = strtol(port, &end, 10);
  if (!*port || *end || p < 1 || p > 65535) { snprintf(err, errlen, "bad port '%s'", port); return -1; }
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM}, *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc) { snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc)); return -1; }
  memcpy(addr, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

int star_net_open(star_net_t *n, const char *hostport, char *err, size_t errlen) {
  n->fd = -1;
  if (star_net_parse(hostport, &n->addr, &n->addrlen, err, errlen)) return -1;
  n->fd = socket(n->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n->fd < 0 || connect(n->fd, (struct sockaddr *)&n->addr, n->addrlen) < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    if (n->fd >= 0) close(n->fd);
    n->fd = -1;
    return -1;
  }
  int sz = 4 << 20;
  setsockopt(n->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  return 0;
}

int star_net_send(star_net_t *n, const void *buf, size_t len, char *err, size_t errlen) {
  if (send(n->fd, buf, len, 0) != (ssize_t)len) {
    snprintf(err, errlen, "%s", strerror(errno));
    return -1;
  }
  return 0;
}

void star_net_close(star_net_t *n) {
  if (n->fd >= 0) close(n->fd);
  n->fd = -1;
}

int star_net_send_checked(const char *hostport, const void *buf, size_t len, int wait_ms, char *err,
                          size_t errlen) {
  star_net_t n;
  if (star_net_open(&n, hostport, err, errlen) != 0) return -1;
  int rc = star_net_send(&n, buf, len, err, errlen);
  struct pollfd p = {.fd = n.fd, .events = 0};
  /* an ICMP error on a connected UDP socket: POLLERR, then the error itself */
  while (rc == 0 && wait_ms > 0) {
    int r = poll(&p, 1, wait_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (p.revents & POLLERR)) {
      int e = 0;
      socklen_t el = sizeof e;
      getsockopt(n.fd, SOL_SOCKET, SO_ERROR, &e, &el);
      snprintf(err, errlen, "%s", e == ECONNREFUSED ? "refused (nothing listens there)" : strerror(e ? e : EIO));
      rc = -1;
    }
    break;
  }
  star_net_close(&n);
  return rc;
}

typedef struct {
  char *buf;
  size_t cap, len;
} star_http_buf_t;

static size_t star_http_cb(char *p, size_t size, size_t n, void *ud) {
  star_http_buf_t *b = ud;
  size_t k = size * n, room = b->cap - 1 - b->len;
  size_t take = k < room ? k : room;
  memcpy(b->buf + b->len, p, take);
  b->len += take;
  b->buf[b->len] = 0;
  return k;
}

void star_url(char *out, size_t cap, const char *base, const char *path, const char *arg) {
  size_t n = strlen(base);
  while (n > 0 && base[n - 1] == '/') n--;
  snprintf(out, cap, "%.*s%s%s", (int)n, base, path, arg);
}

long star_http_get(const char *url, char *buf, size_t cap) { return star_http_get_ms(url, buf, cap, 3000); }

long star_http_get_ms(const char *url, char *buf, size_t cap, long timeout_ms) {
  CURL *c = curl_easy_init();
  if (!c || cap == 0) return -1;
  star_http_buf_t b = {buf, cap, 0};
  buf[0] = 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, star_http_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms < 1 ? 1L : timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  long status = -1;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  return status;
}
