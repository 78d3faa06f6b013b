/* galaxyd's HTTP servers (libmicrohttpd): a fixed route table of (method,
 * path) -> handler behind one listening socket, with bounded connections.
 * galaxyd runs two (main.c): the public API ([api] listen) and the admin
 * listener ([admin] listen: /metrics, the same /v1 routes, catch-up sync
 * between validators), each with its own thread, connection budget and
 * deadlines, so load on one cannot starve the other. docs/API.md "Limits".
 *
 * Limits (gx_http_cfg_t), enforced by the server's own thread, which accepts
 * the connections itself and hands the admitted ones to libmicrohttpd
 * (MHD_add_connection; external epoll polling, so handlers, libmicrohttpd's
 * callbacks and the deadline sweep all run on that one thread):
 *   - at most `connections` admitted connections, at most
 *     `connections_per_ip` of them from one client (an IPv4 address, or an
 *     IPv6 /64);
 *   - a connection over either limit is answered at once, without reading its
 *     request: 503 JSON `connections_full` or `client_connections_full` with
 *     `Retry-After: 1` and `Connection: close`; it is then drained (its
 *     request read and dropped, so that closing does not reset the answer)
 *     for at most GX_HTTP_REFUSE_LINGER_MS, GX_HTTP_REFUSE_SLOTS at a time
 *     (when all are busy the oldest is closed early);
 *   - a deadline for a whole request (request line, headers and body):
 *     `request_timeout_ms` from the accept, or from the end of the previous
 *     response on a kept-alive connection. Unlike libmicrohttpd's inactivity
 *     timeout, a byte does not extend it. A request still incomplete at the
 *     deadline gets 408 JSON `request_timeout` and the connection is shut
 *     down (an idle kept-alive connection is closed silently);
 *   - a deadline for sending a response, `response_timeout_ms` from the
 *     moment it is queued (a client that does not read is cut off).
 * Connections beyond the listen backlog wait in the kernel (SYN retries),
 * they are not reset. Counted in gx_http_* metrics (gx_http_metrics_register).
 *
 * A handler writes its body into the response buffer it is given (cap bytes,
 * GX_HTTP_BODY_MAX, one per server) and returns the HTTP status; it runs on
 * the server's thread (two servers: two threads at once), so it may only read
 * thread-safe state (atomics, the metrics registry) or call into stages
 * through their cross-thread APIs.
 * A path ending in '*' matches every path with that prefix. A GET route
 * answers HEAD too (same status and headers, no body).
 * With a token (cfg.token), every route but those added with
 * gx_http_route_open needs `Authorization: Bearer TOKEN`; otherwise 401 JSON
 * `unauthorized` with `WWW-Authenticate: Bearer`, for unknown paths too.
 * A route added with gx_http_route_body takes a request body of up to its
 * max_body bytes (413 above), kept per connection and handed to the handler
 * (req->body); the others take none. A handler may set *req->retry_after
 * (seconds: a Retry-After header), and may answer later: it returns
 * GX_HTTP_SUSPEND after handing req->wait to whoever answers, which calls
 * gx_http_resume(wait, ...) exactly once, from any thread (even before the
 * handler returns). The connection is suspended meanwhile (no deadline runs:
 * the answerer bounds the wait) and keeps its slot.
 * The server's own answers are JSON errors (gx_http_error, docs/API.md):
 * unknown path 404 `unknown_path`; known path, other method 405
 * `method_not_allowed` with `Allow` (the path's methods; GET brings HEAD); a
 * query longer than GX_HTTP_QUERY_MAX 414 `uri_too_long`; a body on a request 400
 * `body_not_allowed` (413 `body_too_large` above GX_HTTP_REQ_BODY_MAX); an
 * escaped NUL (%00) in the URL 400 `nul_in_url` (libmicrohttpd unescapes the
 * path in place, so a handler would see it cut short).
 * Memory: gx_http_new allocates everything (route table, body buffer,
 * connection slots with their upload and deferred-answer buffers, refusal
 * slots); nothing is allocated per connection or
 * request by this file (libmicrohttpd keeps a pool per connection, at most
 * 32 KiB). Threads: new, route, metrics_register, start and delete from one
 * control thread; gx_http_resume from any. Errors: gx_http_new and gx_http_start return NULL / -1
 * with a reason (bad limits, address in use...). */
#ifndef GALAXYD_HTTP_H
#define GALAXYD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_metrics.h"
#include "dataplane/gx_dp.h"

#define GX_HTTP_MAX_ROUTES 32
#define GX_HTTP_BODY_MAX (1 << 20)
#define GX_HTTP_REQ_BODY_MAX (64 << 10) /* request bodies are read (and dropped) up to this */
#define GX_HTTP_UPLOAD_MAX 4096         /* the most a gx_http_route_body route may take */
#define GX_HTTP_QUERY_MAX 256           /* raw query string, '?' excluded, NUL included */
#define GX_HTTP_ANSWER_MAX 2048         /* body of an answer given by gx_http_resume */
#define GX_HTTP_SUSPEND 0               /* a handler's return: the answer comes later */
#define GX_HTTP_MAX_CONNECTIONS 4096    /* the most `connections` may be */
#define GX_HTTP_REFUSE_SLOTS 1024       /* refused connections being drained at once */
#define GX_HTTP_REFUSE_LINGER_MS 1000   /* how long a refused connection is drained */
#define GX_HTTP_SWEEP_MS 100            /* deadlines are checked this often */
#define GX_HTTP_TOKEN_MIN 16
#define GX_HTTP_TOKEN_MAX 256

typedef struct {
  char name[8];                 /* "api", "admin": thread gx-http-NAME, metric label */
  uint32_t connections;         /* admitted at once, 1..GX_HTTP_MAX_CONNECTIONS */
  uint32_t connections_per_ip;  /* from one IPv4 address or IPv6 /64, 1..connections */
  uint32_t request_timeout_ms;  /* whole request, from accept or the previous response */
  uint32_t response_timeout_ms; /* sending one response */
  char token[GX_HTTP_TOKEN_MAX + 1]; /* bearer token; "" none */
} gx_http_cfg_t;

typedef struct gx_http_wait gx_http_wait_t;

typedef struct {
  const char *method, *path, *query; /* query: the raw "a=1&b=2" (still %-escaped) or NULL */
  const char *content_type;          /* the request's Content-Type header or NULL */
  const uint8_t *body;               /* gx_http_route_body routes: the body (NULL, 0: none) */
  size_t body_len;
  unsigned *retry_after;             /* set to N > 0: the answer says Retry-After: N */
  gx_http_wait_t *wait;              /* for an answer later (GX_HTTP_SUSPEND) */
} gx_http_req_t;

/* Returns the status; writes body (and its length) and a content type. */
typedef int (*gx_http_handler_t)(void *ctx, const gx_http_req_t *req, char *body, size_t cap,
                                 size_t *len, const char **content_type);

typedef struct gx_http gx_http_t;

/* Writes s as a JSON string literal into out: quotes included, '"', '\\' and
 * control bytes escaped, valid UTF-8 kept, any other byte as \ufffd (at most
 * 6 * strlen(s) + 3 bytes), NUL-terminated; cut short (not valid JSON then) when cap is too
 * small. Returns the length it needs, as snprintf does. */
size_t gx_json_str(char *out, size_t cap, const char *s);
/* Writes the JSON error {"error":"<message>","code":"<code>"} into body (a
 * handler's buffer), sets *len and *type, returns status. */
int gx_http_error(char *body, size_t cap, size_t *len, const char **type, int status,
                  const char *code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The defaults of docs/GALAXYD.md ([api]: 256 connections, 16 per client,
 * 5 s per request, 30 s per response; no token) under name. */
void gx_http_cfg_defaults(gx_http_cfg_t *cfg, const char *name);
/* NULL with a reason when the limits are out of range or memory is short. */
gx_http_t *gx_http_new(const gx_http_cfg_t *cfg, char *err, size_t errlen);
/* Before gx_http_start. 0, or -1 when the table is full. gx_http_route_open:
 * the route needs no token. */
int gx_http_route(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                  void *ctx);
int gx_http_route_open(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                       void *ctx);
/* A route whose requests carry a body of up to max_body (<= GX_HTTP_UPLOAD_MAX) bytes. */
int gx_http_route_body(gx_http_t *h, const char *method, const char *path, size_t max_body,
                       gx_http_handler_t fn, void *ctx);
/* Answers a request whose handler returned GX_HTTP_SUSPEND: copies body (at
 * most GX_HTTP_ANSWER_MAX bytes, cut there) and type; the server's thread
 * sends it. Any thread, exactly once per suspended request. */
void gx_http_resume(gx_http_wait_t *w, int status, const char *body, size_t len, const char *type);
/* Registers the server's gx_http_* series (label listener="NAME") in m, whose
 * storage lives in h: delete h only after the last render. */
gx_metrics_err_t gx_http_metrics_register(gx_http_t *h, gx_metrics_t *m);
/* Binds addr (TCP; an IPv6 address listens dual stack), starts the thread. */
int gx_http_start(gx_http_t *h, const gx_addr_t *addr, char *err, size_t errlen);
/* Stops the server thread (after the running handler), closes every
 * connection and frees everything. NULL is fine. */
void gx_http_delete(gx_http_t *h);

#endif
