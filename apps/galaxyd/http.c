#include "apps/galaxyd/http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
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

static enum MHD_Result gx_http_reply(struct MHD_Connection *c, int status, const char *body,
                                     size_t len, const char *type) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  MHD_add_response_header(resp, "Content-Type", type);
  enum MHD_Result r = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result gx_http_access(void *cls, struct MHD_Connection *c, const char *url,
                                      const char *method, const char *version,
                                      const char *upload, size_t *upload_size, void **con_cls) {
  (void)version;
  (void)upload;
  gx_http_t *h = cls;
  if (*con_cls == NULL) { /* first call: headers only */
    *con_cls = h;
    return MHD_YES;
  }
  *upload_size = 0; /* request bodies are not used (yet): discard */
  int path_known = 0;
  for (int i = 0; i < h->n_routes; i++) {
    gx_http_route_t *r = &h->routes[i];
    if (!gx_http_match(r->path, url)) continue;
    path_known = 1;
    if (strcmp(r->method, method)) continue;
    gx_http_req_t req = {method, url, NULL};
    size_t len = 0;
    const char *type = "text/plain; charset=utf-8";
    pthread_mutex_lock(&h->body_lock);
    int status = r->fn(r->ctx, &req, h->body, GX_HTTP_BODY_MAX, &len, &type);
    enum MHD_Result res = gx_http_reply(c, status, h->body, len, type);
    pthread_mutex_unlock(&h->body_lock);
    return res;
  }
  static const char nf[] = "not found\n", na[] = "method not allowed\n";
  if (path_known) return gx_http_reply(c, 405, na, sizeof na - 1, "text/plain; charset=utf-8");
  return gx_http_reply(c, 404, nf, sizeof nf - 1, "text/plain; charset=utf-8");
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
                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
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
