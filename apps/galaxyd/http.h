/* galaxyd's HTTP server (libmicrohttpd, its own polling thread): a fixed route
 * table of (method, path) -> handler. GET /metrics is registered by main.c;
 * the JSON API (/v1/...) adds its routes the same way.
 *
 * A handler writes its body into the response buffer it is given (cap bytes,
 * sized at start-up; GX_HTTP_BODY_MAX) and returns the HTTP status; it runs on
 * the server's thread, so it may only read thread-safe state (atomics, the
 * metrics registry) or call into stages through their cross-thread APIs.
 * A path ending in '*' matches every path with that prefix. A GET route
 * answers HEAD too (same status and headers, no body).
 * The server's own answers are JSON errors (gx_http_error, docs/API.md):
 * unknown path 404 `unknown_path`; known path, other method 405
 * `method_not_allowed` with `Allow: GET, HEAD`; a body on a request 400
 * `body_not_allowed` (413 `body_too_large` above GX_HTTP_REQ_BODY_MAX); an
 * escaped NUL (%00) in the URL 400 `nul_in_url` (libmicrohttpd unescapes the
 * path in place, so a handler would see it cut short).
 * Errors: gx_http_start returns -1 with a reason (address in use...). */
#ifndef GALAXYD_HTTP_H
#define GALAXYD_HTTP_H

#include <stddef.h>

#include "dataplane/gx_dp.h"

#define GX_HTTP_MAX_ROUTES 32
#define GX_HTTP_BODY_MAX (1 << 20)
#define GX_HTTP_REQ_BODY_MAX (64 << 10) /* request bodies are read (and dropped) up to this */

typedef struct {
  const char *method, *path, *query; /* query: the raw "a=1&b=2" or NULL */
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

gx_http_t *gx_http_new(void);
/* Before gx_http_start. 0, or -1 when the table is full. */
int gx_http_route(gx_http_t *h, const char *method, const char *path, gx_http_handler_t fn,
                  void *ctx);
int gx_http_start(gx_http_t *h, const gx_addr_t *addr, char *err, size_t errlen);
/* Stops the server thread (waits for running handlers) and frees everything. */
void gx_http_delete(gx_http_t *h);

#endif
