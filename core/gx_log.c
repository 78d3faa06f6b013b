#include "core/gx_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int gx_log_level = -1;

void gx_log_set_level(gx_log_level_t level) { atomic_store(&gx_log_level, (int)level); }

int gx_log_parse_level(const char *s) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++)
    if (s && strcmp(s, names[i]) == 0) return i;
  return -1;
}

void gx_log(gx_log_level_t level, const char *module, const char *fmt, ...) {
  int cur = atomic_load(&gx_log_level);
  if (cur < 0) {
    cur = gx_log_parse_level(getenv("GX_LOG"));
    if (cur < 0) cur = GX_LOG_INFO;
    atomic_store(&gx_log_level, cur);
  }
  if ((int)level < cur) return;
  static const char *const lv[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
  char line[1024];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                   tm.tm_sec, ts.tv_nsec / 1000000, lv[level & 3], module ? module : "-");
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
