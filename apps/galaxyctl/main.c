/* galaxyctl: operator tool. Subcommands live in their own files and register
 * through GX_CTL_COMMAND (apps/gx_cli.h). */
#include "apps/gx_cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define GX_CTL_MAX 32
static struct { const char *name, *usage; gx_ctl_fn_t fn; } gx_ctl_cmds[GX_CTL_MAX];
static int gx_ctl_n;

void gx_ctl_register(const char *name, const char *usage, gx_ctl_fn_t fn) {
  if (gx_ctl_n < GX_CTL_MAX) {
    gx_ctl_cmds[gx_ctl_n].name = name;
    gx_ctl_cmds[gx_ctl_n].usage = usage;
    gx_ctl_cmds[gx_ctl_n].fn = fn;
    gx_ctl_n++;
  }
}

static int gx_ctl_usage(FILE *f) {
  fprintf(f, "usage: galaxyctl COMMAND [ARGS]\ncommands:\n");
  for (int i = 0; i < gx_ctl_n; i++)
    fprintf(f, "  %-10s %s\n", gx_ctl_cmds[i].name, gx_ctl_cmds[i].usage);
  fprintf(f, "galaxyctl COMMAND --help: that command's usage; galaxyctl --version: the version\n");
  return f == stdout ? GX_EXIT_OK : GX_EXIT_USAGE;
}

int main(int argc, char **argv) {
  gx_cli_set_prog("galaxyctl");
  if (sodium_init() < 0) return gx_cli_fail(GX_EXIT_FAIL, "libsodium failed to initialise");
  if (argc < 2) return gx_ctl_usage(stderr);
  if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
    return gx_ctl_usage(stdout);
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) return gx_cli_version();
  for (int i = 0; i < gx_ctl_n; i++)
    if (!strcmp(argv[1], gx_ctl_cmds[i].name)) return gx_ctl_cmds[i].fn(argc - 1, argv + 1);
  gx_cli_fail(GX_EXIT_USAGE, "unknown command '%s'", argv[1]);
  return gx_ctl_usage(stderr);
}
