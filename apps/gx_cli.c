#include "apps/gx_cli.h"

#include <string.h>
#include <sys/stat.h>

static const char *gx_cli_prog = "galaxy";

void gx_cli_set_prog(const char *prog) { gx_cli_prog = prog; }

int gx_cli_fail(int code, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "%s: %s\n", gx_cli_prog, line);
  return code;
}

int gx_cli_version(void) {
  printf("%s %s (rev %s)\n", gx_cli_prog, GX_VERSION, GX_BUILD_REV);
  return GX_EXIT_OK;
}

int gx_cli_parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out) {
  if (!text) return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", opt);
  if (text[0] == '-' && text[1] == '-')
    return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value (got option '%.100s')", opt, text);
  if (!text[0]) return gx_cli_fail(GX_EXIT_USAGE, "%s '': empty (want a whole number)", opt);
  if (text[0] == '-') {
    int digits = text[1] != 0;
    for (const char *p = text + 1; *p; p++) digits &= *p >= '0' && *p <= '9';
    if (digits)
      return gx_cli_fail(GX_EXIT_USAGE, "%s '%.100s': negative (want a whole number >= %llu)", opt,
                         text, (unsigned long long)min);
  }
  uint64_t v = 0;
  int over = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9')
      return gx_cli_fail(GX_EXIT_USAGE, "%s '%.100s': not a whole number", opt, text);
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) over = 1;
    else v = v * 10 + d;
  }
  if (over || v > max)
    return gx_cli_fail(GX_EXIT_USAGE, "%s %.100s: too large (maximum %llu)", opt, text,
                       (unsigned long long)max);
  if (v < min)
    return gx_cli_fail(GX_EXIT_USAGE, "%s %.100s: must be at least %llu", opt, text,
                       (unsigned long long)min);
  *out = v;
  return 0;
}

int gx_cli_warn_loose_mode(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || !(st.st_mode & 077)) return 0;
  fprintf(stderr, "%s: warning: %s is accessible by group/others (mode %04o); run: chmod 600 %s\n",
          gx_cli_prog, path, (unsigned)(st.st_mode & 0777), path);
  return 1;
}
