/* galaxyd's HTTP servers: limits and deadlines around libmicrohttpd (http.h). */
#include "apps/galaxyd/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/gx_log.h"

typedef struct {
  char method[8];
  char path[128];
  gx_http_handler_t fn;
  void *ctx;
  int open;        /* needs no token */
  size_t body_max; /* takes a body of up to this; 0: none */
} gx_http_route_t;

/* A deferred answer (GX_HTTP_SUSPEND), one per connection slot. */
struct gx_http_wait {
  gx_http_t *h;
  uint32_t slot;
  struct MHD_Connection *c;
  int answered; /* under the server's wait lock */
  int status;
  size_t len;
  char type[64];
  char body[GX_HTTP_ANSWER_MAX];
};

/* One admitted connection. Its state moves with libmicrohttpd's callbacks,
 * all on the server's thread: the accept reserves it (PENDING), the
 * connection notification opens it and frees it. Per request: the URI log
 * callback (which sees the URL before libmicrohttpd unescapes it) starts a
 * request, the completion callback ends it. */
enum { GX_SLOT_FREE, GX_SLOT_PENDING, GX_SLOT_OPEN };
enum { GX_PHASE_REQUEST, GX_PHASE_RESPONSE };
typedef struct {
  int fd;
  uint8_t state, phase;
  uint8_t closing;   /* the deadline shut it down; libmicrohttpd has yet to notice */
  uint8_t seen;      /* a request line arrived since the last response */
  uint8_t started;   /* the headers-only first call of the request is done */
  uint8_t nul;       /* the raw URL holds an escaped NUL (%00) */
  uint8_t waiting;   /* suspended for a deferred answer */
  uint8_t has_query, query_long;
  uint32_t done;     /* responses completed on this connection */
  const gx_http_route_t *upload_route; /* the body route this request goes to */
  size_t upload_len;                   /* bytes of its body kept */
  char query[GX_HTTP_QUERY_MAX];
  uint64_t since_ms; /* start of the running deadline */
  size_t body_len;   /* request body bytes received (and discarded) */
  uint8_t key[16];   /* the client: IPv4 (as v4-mapped IPv6) or an IPv6 /64 */
} gx_http_slot_t;

/* Admitted connections per client: open addressing, linear probing, deletion
 * by backward shift; count 0 = empty. At most `connections` keys live at once
 * in a table of at least twice that. */
typedef struct {
  uint8_t key[16];
  uint32_t count;
} gx_http_ipc_t;

/* A refused connection: answered, being drained until its deadline. */
typedef struct {
  int fd;
  uint64_t deadline_ms;
} gx_http_refused_t;

struct gx_http {
  gx_http_cfg_t cfg;
  struct MHD_Daemon *d;
  int lfd, wake_fd, epoll_fd;
  pthread_t thread;
  int thread_up;
  atomic_int stop;
  gx_http_route_t routes[GX_HTTP_MAX_ROUTES];
  int n_routes;
  char *body; /* the handlers' response buffer (one thread: one at a time) */
  gx_http_slot_t *slots;
  uint32_t *free_slots, n_free;
  gx_http_slot_t *adding; /* the slot MHD_add_connection is opening */
  gx_http_ipc_t *ipc;
  uint32_t ipc_mask;
  uint64_t hash_seed;
  gx_http_refused_t *refused;
  uint32_t n_refused;
  struct pollfd *pfds; /* wake, epoll, listen, refused */
  uint8_t *uploads;    /* GX_HTTP_UPLOAD_MAX per slot */
  gx_http_wait_t *waits; /* one per slot */
  pthread_mutex_t wait_lock;
  uint32_t *resume_q, n_resume; /* answered waits, for the server's thread */
  int wait_lock_up;
  uint64_t accept_resume_ms; /* out of descriptors: accept again after this */
  char ans_full[512], ans_client[512], ans_timeout[512];
  size_t ans_full_len, ans_client_len, ans_timeout_len;
  uint64_t log_at_ms, logged[4];
  /* metrics (written by the server's thread, read at scrape) */
  _Atomic int64_t m_open;
  _Atomic uint64_t m_refused_full, m_refused_client, m_timeout_request, m_timeout_response,
      m_requests, m_unauthorized;
};

/* ---- JSON ------------------------------------------------------------------------------ */
/* Length of the valid UTF-8 sequence at p (2..4), or 0 (overlong, surrogate,
 * above U+10FFFF, cut short). */
static size_t gx_utf8_len(const unsigned char *p) {
  unsigned c = p[0];
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (c >= 0xF5) n = 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))) return 0;
  return n;
}

size_t gx_json_str(char *out, size_t cap, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t n = 0;
#define GX_PUT(ch)                  \
  do {                              \
    if (n + 1 < cap) out[n] = (ch); \
    n++;                            \
  } while (0)
  GX_PUT('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char ch = *p;
    if (ch == '"' || ch == '\\') {
      GX_PUT('\\');
      GX_PUT((char)ch);
    } else if (ch == '\n') {
      GX_PUT('\\');
      GX_PUT('n');
    } else if (ch == '\t') {
      GX_PUT('\\');
      GX_PUT('t');
    } else if (ch == '\r') {
      GX_PUT('\\');
      GX_PUT('r');
    } else if (ch < 0x20 || ch == 0x7f) {
      GX_PUT('\\');
      GX_PUT('u');
      GX_PUT('0');
      GX_PUT('0');
      GX_PUT(hex[ch >> 4]);
      GX_PUT(hex[ch & 15]);
    } else if (ch >= 0x80) { /* valid UTF-8 as is; any other byte as U+FFFD */
      size_t k = gx_utf8_len(p);
      if (k) {
        for (size_t i = 0; i < k; i++) GX_PUT((char)p[i]);
        p += k - 1;
      } else {
        const char *r = "\\ufffd";
        while (*r) GX_PUT(*r++);
      }
    } else {
      GX_PUT((char)ch);
    }
  }
  GX_PUT('"');
#undef GX_PUT
  if (cap) out[n < cap ? n : cap - 1] = '\0';
  return n;
}

int gx_http_error(char *body, size_t cap, size_t *len, const char **type, int status,
                  const char *code, const char *fmt, ...) {
  char msg[512], qmsg[6 * sizeof msg + 3], qcode[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  gx_json_str(qmsg, sizeof qmsg, msg);
  gx_json_str(qcode, sizeof qcode, code);
  int n = snprintf(body, cap, "{\"error\":%s,\"code\":%s}\n", qmsg, qcode);
  *len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap;
  *type = "application/json";
  return status;
}

/* ---- set-up ------------------------------------------------------------------------------ */
static uint64_t gx_http_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void gx_http_cfg_defaults(gx_http_cfg_t *cfg, const char *name) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->name, sizeof cfg->name, "%s", name);
  cfg->connections = 256;
  cfg->connections_per_ip = 16;
  cfg->request_timeout_ms = 5000;
  cfg->response_timeout_ms = 30000;
}

/* A complete canned answer (status line, headers, JSON body) into out. */
static size_t gx_http_canned(char *out, size_t cap, const char *status_line, const char *extra,
                             const char *code, const char *msg) {
  char body[400];
  size_t blen;
  const char *type;
  gx_http_error(body, sizeof body, &blen, &type, 0, code, "%s", msg);
  int n = snprintf(out, cap,
                   "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                   "%sConnection: close\r\n\r\n%s",
                   status_line, blen, extra, body);
  return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

gx_http_t *gx_http_new(const gx_http_cfg_t *cfg, char *err, size_t errlen) {
  if (cfg->connections < 1 || cfg->connections > GX_HTTP_MAX_CONNECTIONS ||
      cfg->connections_per_ip < 1 || cfg->connections_per_ip > cfg->connections ||
      cfg->request_timeout_ms < 1 || cfg->response_timeout_ms < 1) {
    snprintf(err, errlen, "%s: limits out of range (connections 1..%d, per client 1..connections)",
             cfg->name, GX_HTTP_MAX_CONNECTIONS);
    return NULL;
  }
  size_t tlen = strlen(cfg->token);
  if (tlen && (tlen < GX_HTTP_TOKEN_MIN || tlen > GX_HTTP_TOKEN_MAX)) {
    snprintf(err, errlen, "%s: a token has %d..%d characters", cfg->name, GX_HTTP_TOKEN_MIN,
             GX_HTTP_TOKEN_MAX);
    return NULL;
  }
  gx_http_t *h = calloc(1, sizeof *h);
  if (!h) goto oom;
  h->cfg = *cfg;
  h->lfd = h->wake_fd = h->epoll_fd = -1;
  uint32_t n = cfg->connections, tab = 2;
  while (tab < 2 * n) tab <<= 1;
  h->ipc_mask = tab - 1;
  h->body = malloc(GX_HTTP_BODY_MAX);
  h->slots = calloc(n, sizeof *h->slots);
  h->free_slots = calloc(n, sizeof *h->free_slots);
  h->ipc = calloc(tab, sizeof *h->ipc);
  h->refused = calloc(GX_HTTP_REFUSE_SLOTS, sizeof *h->refused);
  h->pfds = calloc(3 + GX_HTTP_REFUSE_SLOTS, sizeof *h->pfds);
  h->uploads = malloc((size_t)n * GX_HTTP_UPLOAD_MAX);
  h->waits = calloc(n, sizeof *h->waits);
  h->resume_q = calloc(n, sizeof *h->resume_q);
  if (!h->body || !h->slots || !h->free_slots || !h->ipc || !h->refused || !h->pfds ||
      !h->uploads || !h->waits || !h->resume_q)
    goto oom;
  pthread_mutex_init(&h->wait_lock, NULL);
  h->wait_lock_up = 1;
  for (uint32_t i = 0; i < n; i++) {
    h->slots[i].fd = -1;
    h->free_slots[h->n_free++] = n - 1 - i;
    h->waits[i].h = h;
    h->waits[i].slot = i;
  }
  if (getrandom(&h->hash_seed, sizeof h->hash_seed, GRND_NONBLOCK) != sizeof h->hash_seed)
    h->hash_seed = gx_http_now_ms() ^ (uint64_t)(uintptr_t)h;
  char msg[200];
  h->ans_full_len = gx_http_canned(h->ans_full, sizeof h->ans_full, "503 Service Unavailable",
                                   "Retry-After: 1\r\n", "connections_full",
                                   "the server has no free connection (try again shortly)");
  snprintf(msg, sizeof msg, "too many connections from your address (at most %u at once)",
           cfg->connections_per_ip);
  h->ans_client_len = gx_http_canned(h->ans_client, sizeof h->ans_client, "503 Service Unavailable",
                                     "Retry-After: 1\r\n", "client_connections_full", msg);
  snprintf(msg, sizeof msg, "the request was not received within %u ms", cfg->request_timeout_ms);
  h->ans_timeout_len = gx_http_canned(h->ans_timeout, sizeof h->ans_timeout, "408 Request Timeout",
                                      "", "request_timeout", msg);
  return h;
oom:
  snprintf(err, errlen, "%s: out of memory", cfg->name);
  gx_http_delete(h);
  return NULL;
}

static int gx_http_add_route(gx_http_t *h, const char *method, const char *path,
                             gx_http_handler_t fn, void *ctx, int open, size_t body_max) {
  if (h->n_routes >= GX_HTTP_MAX_ROUTES || strlen(method) >= sizeof h->routes[0].method ||
      strlen(path) >= sizeof h->routes[0].path || body_max > GX_HTTP_UPLOAD_MAX)
    return -1;
  gx_http_route_t *r = &h->routes[h->n_routes++];
  snprintf(r->method, sizeof r->method, "%s", method);
  snprintf(r->path, sizeof r->path, "%s", path);
  r->fn = fn;
  r->ctx = ctx;
  r->open = open;
  r->body_max = body_max;
  return 0;
}

int gx_http_route(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                  void *ctx) {
  return gx_http_add_route(h, method, path, fn, ctx, 0, 0);
}

int gx_http_route_open(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                       void *ctx) {
  return gx_http_add_route(h, method, path, fn, ctx, 1, 0);
}

int gx_http_route_body(gx_http_t *h, const char *method, const char *path, size_t max_body,
                       gx_http_handler_t fn, void *ctx) {
  return gx_http_add_route(h, method, path, fn, ctx, 0, max_body ? max_body : 1);
}

/* ---- deferred answers -------------------------------------------------------------------- */
void gx_http_resume(gx_http_wait_t *w, int status, const char *body, size_t len, const char *type) {
  gx_http_t *h = w->h;
  if (len > sizeof w->body) len = sizeof w->body;
  pthread_mutex_lock(&h->wait_lock);
  if (!w->answered) {
    memcpy(w->body, body, len);
    w->len = len;
    w->status = status;
    snprintf(w->type, sizeof w->type, "%s", type ? type : "application/json");
    w->answered = 1;
    h->resume_q[h->n_resume++] = w->slot;
  }
  pthread_mutex_unlock(&h->wait_lock);
  uint64_t one = 1;
  if (h->wake_fd >= 0) (void)!write(h->wake_fd, &one, sizeof one);
}

/* On the server's thread: resumes the suspended connections that have their
 * answer (libmicrohttpd then calls the access handler again, which sends it).
 * A handler runs on this thread too, so a request answered while its handler
 * ran is suspended by now. */
static void gx_http_resume_run(gx_http_t *h) {
  pthread_mutex_lock(&h->wait_lock);
  for (uint32_t i = 0; i < h->n_resume; i++) {
    gx_http_slot_t *s = &h->slots[h->resume_q[i]];
    if (s->state != GX_SLOT_FREE && s->waiting == 1) {
      s->waiting = 2;
      MHD_resume_connection(h->waits[h->resume_q[i]].c);
    }
  }
  h->n_resume = 0;
  pthread_mutex_unlock(&h->wait_lock);
}

static double gx_http_m_open(void *arg) {
  gx_http_t *h = arg;
  return (double)atomic_load_explicit(&h->m_open, memory_order_relaxed);
}

gx_metrics_err_t gx_http_metrics_register(gx_http_t *h, gx_metrics_t *m) {
  char l[GX_METRICS_LABELS_MAX], l2[GX_METRICS_LABELS_MAX];
  const char *n = h->cfg.name;
  gx_metrics_err_t e;
  snprintf(l, sizeof l, "listener=\"%s\"", n);
  if ((e = gx_metrics_gauge_fn(m, "gx_http_connections", l,
                               "Connections admitted by an HTTP listener, open now.",
                               gx_http_m_open, h)))
    return e;
  snprintf(l2, sizeof l2, "listener=\"%s\",reason=\"connections_full\"", n);
  if ((e = gx_metrics_counter(m, "gx_http_refused_total", l2,
                              "Connections answered 503 at accept and closed, by reason.",
                              &h->m_refused_full)))
    return e;
  snprintf(l2, sizeof l2, "listener=\"%s\",reason=\"client_connections_full\"", n);
  if ((e = gx_metrics_counter(m, "gx_http_refused_total", l2,
                              "Connections answered 503 at accept and closed, by reason.",
                              &h->m_refused_client)))
    return e;
  snprintf(l2, sizeof l2, "listener=\"%s\",phase=\"request\"", n);
  if ((e = gx_metrics_counter(m, "gx_http_deadline_closed_total", l2,
                              "Connections closed by a deadline (whole request, or response).",
                              &h->m_timeout_request)))
    return e;
  snprintf(l2, sizeof l2, "listener=\"%s\",phase=\"response\"", n);
  if ((e = gx_metrics_counter(m, "gx_http_deadline_closed_total", l2,
                              "Connections closed by a deadline (whole request, or response).",
                              &h->m_timeout_response)))
    return e;
  if ((e = gx_metrics_counter(m, "gx_http_requests_total", l,
                              "Requests answered by an HTTP listener (any status).",
                              &h->m_requests)))
    return e;
  return gx_metrics_counter(m, "gx_http_unauthorized_total", l,
                            "Requests refused 401 for a missing or wrong bearer token.",
                            &h->m_unauthorized);
}

/* ---- clients ----------------------------------------------------------------------------- */
static void gx_http_client_key(const struct sockaddr_storage *ss, uint8_t key[16]) {
  memset(key, 0, 16);
  if (ss->ss_family == AF_INET) {
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
  } else if (ss->ss_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a)) memcpy(key, a, 16);
    else memcpy(key, a, 8); /* one client: one /64 */
  }
}

static uint32_t gx_http_ipc_home(const gx_http_t *h, const uint8_t key[16]) {
  return (uint32_t)XXH3_64bits_withSeed(key, 16, h->hash_seed) & h->ipc_mask;
}

static uint32_t gx_http_ipc_find(const gx_http_t *h, const uint8_t key[16]) {
  uint32_t i = gx_http_ipc_home(h, key);
  while (h->ipc[i].count && memcmp(h->ipc[i].key, key, 16)) i = (i + 1) & h->ipc_mask;
  return i;
}

static void gx_http_ipc_del(gx_http_t *h, const uint8_t key[16]) {
  uint32_t i = gx_http_ipc_find(h, key);
  if (!h->ipc[i].count || --h->ipc[i].count) return;
  for (uint32_t j = i;;) { /* backward shift: keep every key reachable from its home */
    j = (j + 1) & h->ipc_mask;
    if (!h->ipc[j].count) break;
    uint32_t k = gx_http_ipc_home(h, h->ipc[j].key);
    if (i <= j ? (i < k && k <= j) : (i < k || k <= j)) continue;
    h->ipc[i] = h->ipc[j];
    i = j;
  }
  h->ipc[i].count = 0;
}

static void gx_http_slot_free(gx_http_t *h, gx_http_slot_t *s) {
  if (s->state == GX_SLOT_FREE) return;
  gx_http_ipc_del(h, s->key);
  s->state = GX_SLOT_FREE;
  s->fd = -1;
  h->free_slots[h->n_free++] = (uint32_t)(s - h->slots);
  atomic_fetch_sub_explicit(&h->m_open, 1, memory_order_relaxed);
}

static gx_http_slot_t *gx_http_slot_by_fd(gx_http_t *h, int fd) {
  for (uint32_t i = 0; fd >= 0 && i < h->cfg.connections; i++)
    if (h->slots[i].state != GX_SLOT_FREE && h->slots[i].fd == fd) return &h->slots[i];
  return NULL;
}

/* The slot of a connection: its socket context, else (never expected) by descriptor. */
static gx_http_slot_t *gx_http_slot_of(gx_http_t *h, struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  if (ci && ci->socket_context) return ci->socket_context;
  ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  return ci ? gx_http_slot_by_fd(h, ci->connect_fd) : NULL;
}

static void gx_http_notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                                enum MHD_ConnectionNotificationCode code) {
  gx_http_t *h = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    gx_http_slot_t *s = h->adding;
    if (!s) {
      const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      s = ci ? gx_http_slot_by_fd(h, ci->connect_fd) : NULL;
    }
    if (s) s->state = GX_SLOT_OPEN;
    *socket_context = s;
    h->adding = NULL;
    return;
  }
  gx_http_slot_t *s = *socket_context ? *socket_context : gx_http_slot_of(h, c);
  if (s) gx_http_slot_free(h, s);
  *socket_context = NULL;
}

/* ---- refusing ---------------------------------------------------------------------------- */
static void gx_http_refused_close(gx_http_t *h, uint32_t i) {
  close(h->refused[i].fd);
  h->refused[i] = h->refused[--h->n_refused];
}

/* Answers fd at once (its request unread), half-closes it and drains it. */
static void gx_http_refuse(gx_http_t *h, int fd, int per_client, uint64_t now) {
  if (per_client) atomic_fetch_add_explicit(&h->m_refused_client, 1, memory_order_relaxed);
  else atomic_fetch_add_explicit(&h->m_refused_full, 1, memory_order_relaxed);
  if (h->n_refused == GX_HTTP_REFUSE_SLOTS) { /* close the oldest early: it has its answer */
    uint32_t old = 0;
    for (uint32_t i = 1; i < h->n_refused; i++)
      if (h->refused[i].deadline_ms < h->refused[old].deadline_ms) old = i;
    gx_http_refused_close(h, old);
  }
  const char *a = per_client ? h->ans_client : h->ans_full;
  size_t len = per_client ? h->ans_client_len : h->ans_full_len;
  if (send(fd, a, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    close(fd);
    return;
  }
  shutdown(fd, SHUT_WR);
  h->refused[h->n_refused++] = (gx_http_refused_t){fd, now + GX_HTTP_REFUSE_LINGER_MS};
}

/* Reads and drops what a refused client sent; closes it at its end. */
static void gx_http_refused_drain(gx_http_t *h, uint32_t i) {
  char buf[4096];
  for (int k = 0; k < 16; k++) {
    ssize_t r = recv(h->refused[i].fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    gx_http_refused_close(h, i); /* end of stream, or an error */
    return;
  }
}

/* ---- accepting --------------------------------------------------------------------------- */
static void gx_http_accept(gx_http_t *h) {
  for (int k = 0; k < 64; k++) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(h->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    uint64_t now = gx_http_now_ms();
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        h->accept_resume_ms = now + GX_HTTP_SWEEP_MS; /* connections wait in the backlog */
        GX_WARN("http", "%s: cannot accept: %s (waiting %d ms)", h->cfg.name, strerror(errno),
                GX_HTTP_SWEEP_MS);
      }
      return;
    }
    uint8_t key[16];
    gx_http_client_key(&ss, key);
    uint32_t ci = gx_http_ipc_find(h, key);
    if (h->ipc[ci].count >= h->cfg.connections_per_ip) {
      gx_http_refuse(h, fd, 1, now);
      continue;
    }
    if (!h->n_free) {
      gx_http_refuse(h, fd, 0, now);
      continue;
    }
    gx_http_slot_t *s = &h->slots[h->free_slots[--h->n_free]];
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->state = GX_SLOT_PENDING;
    s->phase = GX_PHASE_REQUEST;
    s->since_ms = now;
    memcpy(s->key, key, 16);
    if (!h->ipc[ci].count) memcpy(h->ipc[ci].key, key, 16);
    h->ipc[ci].count++;
    atomic_fetch_add_explicit(&h->m_open, 1, memory_order_relaxed);
    h->adding = s;
    enum MHD_Result r = MHD_add_connection(h->d, fd, (const struct sockaddr *)&ss, sl);
    h->adding = NULL;
    /* refused by libmicrohttpd (it closed fd), or opened without a notification */
    if (r != MHD_YES && s->state == GX_SLOT_PENDING) gx_http_slot_free(h, s);
    else if (s->state == GX_SLOT_PENDING) s->state = GX_SLOT_OPEN;
  }
}

/* ---- deadlines --------------------------------------------------------------------------- */
/* Shuts down the connections past their deadline. The descriptor stays
 * libmicrohttpd's: it sees the shutdown on its next run, closes the
 * connection and notifies (the slot is freed then). Same thread, so the
 * descriptor cannot be closed or reused under us; a request-phase connection
 * has no response of libmicrohttpd's in flight, so the 408 cannot interleave. */
static void gx_http_sweep(gx_http_t *h, uint64_t now) {
  for (uint32_t i = 0; i < h->cfg.connections; i++) {
    gx_http_slot_t *s = &h->slots[i];
    if (s->state != GX_SLOT_OPEN || s->closing || s->waiting) continue;
    int req = s->phase == GX_PHASE_REQUEST;
    uint64_t limit = req ? h->cfg.request_timeout_ms : h->cfg.response_timeout_ms;
    if (now - s->since_ms < limit) continue;
    if (req && (s->seen || !s->done)) /* a request was under way (or never came): say so */
      (void)!send(s->fd, h->ans_timeout, h->ans_timeout_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(s->fd, SHUT_RDWR);
    s->closing = 1;
    atomic_fetch_add_explicit(req ? &h->m_timeout_request : &h->m_timeout_response, 1,
                              memory_order_relaxed);
  }
  for (uint32_t i = h->n_refused; i-- > 0;)
    if (now >= h->refused[i].deadline_ms) gx_http_refused_close(h, i);
}

/* At most one line per 10 s while connections are refused or cut off. */
static void gx_http_log(gx_http_t *h, uint64_t now) {
  if (now - h->log_at_ms < 10000) return;
  uint64_t v[4] = {atomic_load(&h->m_refused_full), atomic_load(&h->m_refused_client),
                   atomic_load(&h->m_timeout_request), atomic_load(&h->m_timeout_response)};
  if (memcmp(v, h->logged, sizeof v))
    GX_WARN("http", "%s: in the last %llu s: refused %llu (full) + %llu (per client), closed at "
                    "the request deadline %llu, at the response deadline %llu",
            h->cfg.name, (unsigned long long)((now - h->log_at_ms) / 1000),
            (unsigned long long)(v[0] - h->logged[0]), (unsigned long long)(v[1] - h->logged[1]),
            (unsigned long long)(v[2] - h->logged[2]), (unsigned long long)(v[3] - h->logged[3]));
  memcpy(h->logged, v, sizeof v);
  h->log_at_ms = now;
}

static void *gx_http_main(void *arg) {
  gx_http_t *h = arg;
  char tname[16];
  snprintf(tname, sizeof tname, "gx-http-%s", h->cfg.name);
  pthread_setname_np(pthread_self(), tname);
  h->log_at_ms = gx_http_now_ms();
  while (!atomic_load(&h->stop)) {
    uint64_t now = gx_http_now_ms();
    struct pollfd *p = h->pfds;
    nfds_t n = 0;
    p[n++] = (struct pollfd){.fd = h->wake_fd, .events = POLLIN};
    p[n++] = (struct pollfd){.fd = h->epoll_fd, .events = POLLIN};
    nfds_t li = n;
    p[n++] = (struct pollfd){.fd = now >= h->accept_resume_ms ? h->lfd : -1, .events = POLLIN};
    nfds_t ri = n;
    for (uint32_t i = 0; i < h->n_refused; i++)
      p[n++] = (struct pollfd){.fd = h->refused[i].fd, .events = POLLIN};
    int timeout = GX_HTTP_SWEEP_MS;
    MHD_UNSIGNED_LONG_LONG mt;
    if (MHD_get_timeout(h->d, &mt) == MHD_YES && mt < (MHD_UNSIGNED_LONG_LONG)timeout)
      timeout = (int)mt;
    if (poll(p, n, timeout) > 0) {
      if (p[0].revents) {
        uint64_t v;
        (void)!read(h->wake_fd, &v, sizeof v);
      }
      /* refused ones first: the indexes move when one closes (back to front) */
      for (nfds_t i = n - ri; i-- > 0;)
        if (p[ri + i].revents) gx_http_refused_drain(h, (uint32_t)i);
      if (p[li].revents) gx_http_accept(h);
    }
    gx_http_resume_run(h);
    MHD_run(h->d);
    now = gx_http_now_ms();
    gx_http_sweep(h, now);
    gx_http_log(h, now);
  }
  return NULL;
}

/* ---- requests ---------------------------------------------------------------------------- */
static void *gx_http_uri_log(void *cls, const char *uri, struct MHD_Connection *c) {
  gx_http_slot_t *s = gx_http_slot_of(cls, c);
  if (!s) return NULL;
  s->seen = 1;
  s->started = 0;
  s->nul = 0;
  s->body_len = 0;
  s->upload_route = NULL;
  s->upload_len = 0;
  s->has_query = s->query_long = 0;
  if (uri) {
    const char *q = strchr(uri, '?');
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
      if (p[1] == '0' && p[2] == '0' && (!q || p < q)) s->nul = 1; /* in the path */
    if (q) {
      size_t n = strlen(q + 1);
      s->has_query = 1;
      if (n >= sizeof s->query) s->query_long = 1;
      else memcpy(s->query, q + 1, n + 1);
    }
  }
  return s;
}

static void gx_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  gx_http_slot_t *s = *con_cls;
  *con_cls = NULL;
  if (!s || s->state == GX_SLOT_FREE) return;
  s->phase = GX_PHASE_REQUEST; /* kept alive: the next request's deadline runs from now */
  s->since_ms = gx_http_now_ms();
  s->done++;
  s->seen = 0;
  s->waiting = 0;
}

static int gx_http_match(const char *pattern, const char *path) {
  size_t n = strlen(pattern);
  if (n && pattern[n - 1] == '*') return !strncmp(pattern, path, n - 1);
  return !strcmp(pattern, path);
}

/* The route for (method, path): HEAD takes a GET route. NULL when none. */
static const gx_http_route_t *gx_http_find(const gx_http_t *h, const char *method,
                                           const char *path) {
  int is_head = !strcmp(method, "HEAD");
  for (int i = 0; i < h->n_routes; i++) {
    const gx_http_route_t *r = &h->routes[i];
    if (gx_http_match(r->path, path) &&
        (!strcmp(r->method, method) || (is_head && !strcmp(r->method, "GET"))))
      return r;
  }
  return NULL;
}

/* Every answer goes through here: the response deadline starts.
 * libmicrohttpd leaves the body out of the answer to HEAD by itself (same
 * status and headers, Content-Length included). */
static enum MHD_Result gx_http_reply(gx_http_t *h, gx_http_slot_t *s, struct MHD_Connection *c,
                                     int status, const char *body, size_t len, const char *type,
                                     const char *hname, const char *hvalue) {
  s->phase = GX_PHASE_RESPONSE;
  s->since_ms = gx_http_now_ms();
  atomic_fetch_add_explicit(&h->m_requests, 1, memory_order_relaxed);
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", type);
  if (hname) MHD_add_response_header(resp, hname, hvalue);
  enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result gx_http_reply_error(gx_http_t *h, gx_http_slot_t *s,
                                           struct MHD_Connection *c, int status, const char *hname,
                                           const char *hvalue, const char *code, const char *msg) {
  char body[1024];
  size_t len;
  const char *type;
  gx_http_error(body, sizeof body, &len, &type, status, code, "%s", msg);
  return gx_http_reply(h, s, c, status, body, len, type, hname, hvalue);
}

/* "Bearer TOKEN" (scheme case-insensitive) with our token; compared in
 * constant time for a given length. */
static int gx_http_authorized(const gx_http_t *h, struct MHD_Connection *c) {
  const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  if (!a || strncasecmp(a, "Bearer ", 7)) return 0;
  a += 7;
  while (*a == ' ') a++;
  size_t n = strlen(h->cfg.token), m = strcspn(a, " \t");
  if (m != n || a[strspn(a + m, " \t") + m]) return 0;
  unsigned char diff = 0;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(a[i] ^ h->cfg.token[i]);
  return diff == 0;
}

#define GX_HTTP_TOO_LARGE(s, c)                                                       \
  gx_http_reply_error(h, s, c, 413, NULL, NULL, "body_too_large",                     \
                      (s)->upload_route ? "request body too large for this path"      \
                                        : "request body too large (this path takes no body)")

static enum MHD_Result gx_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload, size_t *upload_size, void **con_cls) {
  (void)version;
  gx_http_t *h = cls;
  gx_http_slot_t *s = *con_cls;
  if (!s || s->state == GX_SLOT_FREE || s->closing) return MHD_NO; /* the deadline answered */
  if (s->waiting) { /* resumed (or cut short by the server stopping) */
    gx_http_wait_t *w = &h->waits[s - h->slots];
    int ok;
    pthread_mutex_lock(&h->wait_lock);
    ok = w->answered;
    pthread_mutex_unlock(&h->wait_lock);
    if (!ok) return MHD_NO;
    return gx_http_reply(h, s, c, w->status, w->body, w->len, w->type, NULL, NULL);
  }
  if (!s->started) { /* first call: headers only */
    s->started = 1;
    const gx_http_route_t *r = gx_http_find(h, method, url);
    s->upload_route = r && r->body_max ? r : NULL;
    size_t max = s->upload_route ? s->upload_route->body_max : GX_HTTP_REQ_BODY_MAX;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > max) return GX_HTTP_TOO_LARGE(s, c);
    return MHD_YES;
  }
  if (*upload_size) { /* a body route keeps it; the others count and discard */
    size_t n = *upload_size;
    s->body_len += n;
    *upload_size = 0;
    if (s->upload_route) {
      if (s->body_len > s->upload_route->body_max) return GX_HTTP_TOO_LARGE(s, c);
      memcpy(h->uploads + (size_t)(s - h->slots) * GX_HTTP_UPLOAD_MAX + s->upload_len, upload, n);
      s->upload_len += n;
    } else if (s->body_len > GX_HTTP_REQ_BODY_MAX) {
      return GX_HTTP_TOO_LARGE(s, c);
    }
    return MHD_YES;
  }
  if (h->cfg.token[0]) {
    int open = 0;
    for (int i = 0; i < h->n_routes && !open; i++)
      open = h->routes[i].open && gx_http_match(h->routes[i].path, url);
    if (!open && !gx_http_authorized(h, c)) {
      atomic_fetch_add_explicit(&h->m_unauthorized, 1, memory_order_relaxed);
      return gx_http_reply_error(h, s, c, 401, "WWW-Authenticate", "Bearer realm=\"galaxyd\"",
                                 "unauthorized",
                                 "this listener needs Authorization: Bearer <token>");
    }
  }
  const gx_http_route_t *r = gx_http_find(h, method, url);
  if (!r) {
    char allow[64] = "";
    size_t n = 0;
    for (int i = 0; i < h->n_routes && n < sizeof allow - 16; i++) {
      if (!gx_http_match(h->routes[i].path, url) || strstr(allow, h->routes[i].method)) continue;
      n += (size_t)snprintf(allow + n, sizeof allow - n, "%s%s%s", n ? ", " : "",
                            h->routes[i].method, strcmp(h->routes[i].method, "GET") ? "" : ", HEAD");
    }
    if (!n) return gx_http_reply_error(h, s, c, 404, NULL, NULL, "unknown_path", "no such path");
    char msg[128];
    snprintf(msg, sizeof msg, "method not allowed (allowed: %s)", allow);
    return gx_http_reply_error(h, s, c, 405, "Allow", allow, "method_not_allowed", msg);
  }
  if (s->body_len && !r->body_max)
    return gx_http_reply_error(h, s, c, 400, NULL, NULL, "body_not_allowed",
                               "a GET or HEAD request takes no body");
  if (s->nul)
    return gx_http_reply_error(h, s, c, 400, NULL, NULL, "nul_in_url",
                               "the URL holds an escaped NUL byte (%00)");
  if (s->query_long)
    return gx_http_reply_error(h, s, c, 414, NULL, NULL, "uri_too_long",
                               "the query string is too long");
  gx_http_wait_t *w = &h->waits[s - h->slots];
  pthread_mutex_lock(&h->wait_lock);
  w->answered = 0;
  w->c = c;
  pthread_mutex_unlock(&h->wait_lock);
  unsigned retry = 0;
  gx_http_req_t req = {r->method, url, s->has_query ? s->query : NULL,
                       MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
                       r->body_max ? h->uploads + (size_t)(s - h->slots) * GX_HTTP_UPLOAD_MAX : NULL,
                       r->body_max ? s->upload_len : 0, &retry, w};
  size_t len = 0;
  const char *type = "text/plain; charset=utf-8";
  int status = r->fn(r->ctx, &req, h->body, GX_HTTP_BODY_MAX, &len, &type);
  if (status == GX_HTTP_SUSPEND) { /* gx_http_resume answers; no deadline meanwhile */
    s->waiting = 1;
    MHD_suspend_connection(c);
    return MHD_YES;
  }
  char ra[16];
  snprintf(ra, sizeof ra, "%u", retry);
  return gx_http_reply(h, s, c, status, h->body, len, type, retry ? "Retry-After" : NULL, ra);
}

/* ---- start, stop ------------------------------------------------------------------------- */
int gx_http_start(gx_http_t *h, const gx_addr_t *a, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  int fam = a->family == 4 ? AF_INET : AF_INET6;
  if (fam == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
    sl = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    sl = sizeof *s6;
  }
  int one = 1, zero = 0;
  h->lfd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (h->lfd < 0 || setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
      (fam == AF_INET6 && setsockopt(h->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero)) ||
      bind(h->lfd, (struct sockaddr *)&ss, sl) || listen(h->lfd, SOMAXCONN)) {
    snprintf(err, errlen, "cannot listen on TCP port %u: %s", a->port, strerror(errno));
    return -1;
  }
  unsigned backstop_s = (h->cfg.request_timeout_ms > h->cfg.response_timeout_ms
                             ? h->cfg.request_timeout_ms
                             : h->cfg.response_timeout_ms) / 1000 + 2;
  h->d = MHD_start_daemon(
      MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL, NULL, gx_http_access,
      h, MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * h->cfg.connections + 16),
      MHD_OPTION_CONNECTION_TIMEOUT, backstop_s, MHD_OPTION_URI_LOG_CALLBACK, gx_http_uri_log, h,
      MHD_OPTION_NOTIFY_COMPLETED, gx_http_completed, h, MHD_OPTION_NOTIFY_CONNECTION,
      gx_http_notify_conn, h, MHD_OPTION_END);
  const union MHD_DaemonInfo *di = h->d ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
  if (!di) {
    snprintf(err, errlen, "libmicrohttpd refused to start (epoll, external polling)");
    return -1;
  }
  h->epoll_fd = di->epoll_fd;
  h->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (h->wake_fd < 0) {
    snprintf(err, errlen, "eventfd: %s", strerror(errno));
    return -1;
  }
  int e = pthread_create(&h->thread, NULL, gx_http_main, h);
  if (e) {
    snprintf(err, errlen, "cannot start the HTTP thread: %s", strerror(e));
    return -1;
  }
  h->thread_up = 1;
  return 0;
}

void gx_http_delete(gx_http_t *h) {
  if (!h) return;
  if (h->thread_up) {
    atomic_store(&h->stop, 1);
    uint64_t one = 1;
    (void)!write(h->wake_fd, &one, sizeof one);
    pthread_join(h->thread, NULL);
  }
  if (h->d) {
    /* libmicrohttpd panics when stopped with a suspended connection: answer
     * any still waiting (its answerer should have), resume them all, and let
     * it take them off its suspended list; answers go out if they can. */
    static const char stopping[] = "{\"error\":\"the server is stopping\",\"code\":\"stopping\"}\n";
    for (uint32_t i = 0; i < h->cfg.connections; i++)
      if (h->slots[i].state != GX_SLOT_FREE && h->slots[i].waiting == 1)
        gx_http_resume(&h->waits[i], 503, stopping, sizeof stopping - 1, "application/json");
    for (int i = 0; i < 3; i++) {
      gx_http_resume_run(h);
      MHD_run(h->d);
    }
    MHD_stop_daemon(h->d); /* closes the rest (notifications on this thread) */
  }
  while (h->n_refused) gx_http_refused_close(h, h->n_refused - 1);
  if (h->lfd >= 0) close(h->lfd);
  if (h->wake_fd >= 0) close(h->wake_fd);
  if (h->wait_lock_up) pthread_mutex_destroy(&h->wait_lock);
  free(h->resume_q);
  free(h->waits);
  free(h->uploads);
  free(h->pfds);
  free(h->refused);
  free(h->ipc);
  free(h->free_slots);
  free(h->slots);
  free(h->body);
  free(h);
}
