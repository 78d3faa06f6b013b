/* gx_cli: shared conventions of the command-line tools (star, galaxyctl, galaxyd).
 *
 * Exit codes: 0 success; 1 a runtime failure (network, disk, peer); 2 bad input
 * (usage, bad file, bad hex, bad key, bad address, bad amount, bad config).
 * Errors: one line on stderr, "PROG: what went wrong", naming the problem.
 *
 * galaxyctl subcommands register themselves at load time, so each module owns
 * its own command file under apps/galaxyctl/:
 *   static int ctl_db(int argc, char **argv) { ... }   // argv[0] == "db"
 *   GX_CTL_COMMAND("db", "stat|verify|dump HEIGHT|tx HASH|account ADDR|repair", ctl_db);
 * Threads: main thread only. */
#ifndef GX_CLI_H
#define GX_CLI_H

#include <stdarg.h>

#define GX_EXIT_OK 0
#define GX_EXIT_FAIL 1
#define GX_EXIT_USAGE 2

/* Prints "prog: message" on stderr, returns code (for `return gx_cli_fail(...)`). */
int gx_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gx_cli_set_prog(const char *prog);

typedef int (*gx_ctl_fn_t)(int argc, char **argv);
void gx_ctl_register(const char *name, const char *usage, gx_ctl_fn_t fn);

#define GX_CTL_COMMAND(name, usage, fn)                                                  \
  __attribute__((constructor)) static void gx_ctl_reg_##fn(void) {                       \
    gx_ctl_register(name, usage, fn);                                                    \
  }

#endif
