#include "apps/gx_cli.h"

#include <stdio.h>

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
