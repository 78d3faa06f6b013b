#include "apps/galaxyd/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct {
  char method[8];
  char path[128];
  gx_http_handler_t fn;
  void *ctx;
} gx_http_route_t;

struct gx_http {
  struct MHD_Daemon *d;
  gx_http_route_t routes[GX_HTTP_MAX_ROUTES];
  int n_routes;
  pthread_mutex_t body_lock; /* one shared body buffer: handlers run one at a time */
  char *body;
};

/* Per request: created by the URI log callback (which sees the URL before
 * libmicrohttpd unescapes it), freed when the request completes. */
typedef struct {
  int started;     /* the headers-only first call is done */
  int nul;         /* the raw URL holds an escaped NUL (%00) */
  size_t body_len; /* request body bytes received (and discarded) */
} gx_http_conn_t;

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

/* ---- server ---------------------------------------------------------------------------- */
gx_http_t *gx_http_new(void) {
  gx_http_t *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->body = malloc(GX_HTTP_BODY_MAX);
  if (!h->body) {
    free(h);
    return NULL;
  }
  pthread_mutex_init(&h->body_lock, NULL);
  return h;
}

int gx_http_route(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                  void *ctx) {
  if (h->n_routes >= GX_HTTP_MAX_ROUTES || strlen(method) >= sizeof h->routes[0].method ||
      strlen(path) >= sizeof h->routes[0].path)
    return -1;
  gx_http_route_t *r = &h->routes[h->n_routes++];
  snprintf(r->method, sizeof r->method, "%s", method);
  snprintf(r->path, sizeof r->path, "%s", path);
  r->fn = fn;
  r->ctx = ctx;
  return 0;
}

static int gx_http_match(const char *pattern, const char *path) {
  size_t n = strlen(pattern);
  if (n && pattern[n - 1] == '*') return !strncmp(pattern, path, n - 1);
  return !strcmp(pattern, path);
}

/* libmicrohttpd leaves the body out of the answer to HEAD by itself (same
 * status and headers, Content-Length included). */
static enum MHD_Result gx_http_reply(struct MHD_Connection *c, int status, const char *body,
                                     size_t len, const char *type, const char *allow) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", type);
  if (allow) MHD_add_response_header(resp, "Allow", allow);
  enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result gx_http_reply_error(struct MHD_Connection *c, int status, const char *allow,
                                           const char *code, const char *msg) {
  char body[1024];
  size_t len;
  const char *type;
  gx_http_error(body, sizeof body, &len, &type, status, code, "%s", msg);
  return gx_http_reply(c, status, body, len, type, allow);
}

static void *gx_http_uri_log(void *cls, const char *uri, struct MHD_Connection *c) {
  (void)cls;
  (void)c;
  gx_http_conn_t *s = calloc(1, sizeof *s);
  if (s && uri)
    for (const char *p = uri; (p = strchr(p, '%')) != NULL; p++)
      if (p[1] == '0' && p[2] == '0') s->nul = 1;
  return s;
}

static void gx_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

static enum MHD_Result gx_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload, size_t *upload_size, void **con_cls) {
  (void)version;
  (void)upload;
  gx_http_t *h = cls;
  gx_http_conn_t *s = *con_cls;
  if (!s) return MHD_NO; /* out of memory in the URI log callback */
  if (!s->started) { /* first call: headers only */
    s->started = 1;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > GX_HTTP_REQ_BODY_MAX)
      return gx_http_reply_error(c, 413, NULL, "body_too_large",
                                 "request body too large (the API takes no request body)");
    return MHD_YES;
  }
  if (*upload_size) { /* request bodies are not used: count and discard */
    s->body_len += *upload_size;
    *upload_size = 0;
    if (s->body_len > GX_HTTP_REQ_BODY_MAX)
      return gx_http_reply_error(c, 413, NULL, "body_too_large",
                                 "request body too large (the API takes no request body)");
    return MHD_YES;
  }
  int is_head = !strcmp(method, "HEAD");
  int path_known = 0;
  for (int i = 0; i < h->n_routes; i++) {
    gx_http_route_t *r = &h->routes[i];
    if (!gx_http_match(r->path, url)) continue;
    path_known = 1;
    if (strcmp(r->method, method) && !(is_head && !strcmp(r->method, "GET"))) continue;
    if (s->body_len)
      return gx_http_reply_error(c, 400, NULL, "body_not_allowed",
                                 "a GET or HEAD request takes no body");
    if (s->nul)
      return gx_http_reply_error(c, 400, NULL, "nul_in_url",
                                 "the URL holds an escaped NUL byte (%00)");
    gx_http_req_t req = {r->method, url, NULL};
    size_t len = 0;
    const char *type = "text/plain; charset=utf-8";
    pthread_mutex_lock(&h->body_lock);
    int status = r->fn(r->ctx, &req, h->body, GX_HTTP_BODY_MAX, &len, &type);
    enum MHD_Result res = gx_http_reply(c, status, h->body, len, type, NULL);
    pthread_mutex_unlock(&h->body_lock);
    return res;
  }
  if (path_known)
    return gx_http_reply_error(c, 405, "GET, HEAD", "method_not_allowed",
                               "method not allowed (allowed: GET, HEAD)");
  return gx_http_reply_error(c, 404, NULL, "unknown_path", "no such path");
}

int gx_http_start(gx_http_t *h, const gx_addr_t *a, char *err, size_t errlen) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (a->family == 4) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    flags |= MHD_USE_DUAL_STACK;
  }
  h->d = MHD_start_daemon(flags, a->port, NULL, NULL, gx_http_access, h, MHD_OPTION_SOCK_ADDR,
                          (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_URI_LOG_CALLBACK,
                          gx_http_uri_log, (void *)NULL, MHD_OPTION_NOTIFY_COMPLETED,
                          gx_http_completed, (void *)NULL, MHD_OPTION_END);
  if (!h->d) {
    snprintf(err, errlen, "cannot start the HTTP server on port %u: %s", a->port,
             errno ? strerror(errno) : "libmicrohttpd refused");
    return -1;
  }
  return 0;
}

void gx_http_delete(gx_http_t *h) {
  if (!h) return;
  if (h->d) MHD_stop_daemon(h->d);
  pthread_mutex_destroy(&h->body_lock);
  free(h->body);
  free(h);
}
