/* gx_assert: the cold failure path of GX_ASSERT (see gx_assert.h). */
#include "core/gx_assert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void gx_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "gx_assert: %s:%d: %s: ", file, line, expr);
  if (n < 0) n = 0;
  if ((size_t)n < sizeof buf) {
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    if (m > 0) n += m;
  }
  if ((size_t)n > sizeof buf - 2) n = (int)(sizeof buf - 2); /* truncated: keep room for '\n' */
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
  buf[n++] = '\n';
  for (int off = 0; off < n;) { /* one write in practice; loop only on a short write */
    ssize_t w = write(STDERR_FILENO, buf + off, (size_t)(n - off));
    if (w <= 0) break;
    off += (int)w;
  }
  abort();
}
