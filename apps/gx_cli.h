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
#include <stdint.h>
#include <stdio.h>

/* The project's version; every tool prints "PROG GX_VERSION (rev GX_BUILD_REV)"
 * for --version (GX_BUILD_REV comes from the Makefile: the git revision). */
#define GX_VERSION "0.4.0"
#ifndef GX_BUILD_REV
#define GX_BUILD_REV "unknown"
#endif

#define GX_EXIT_OK 0
#define GX_EXIT_FAIL 1
#define GX_EXIT_USAGE 2

/* Prints "prog: message" on stderr, returns code (for `return gx_cli_fail(...)`). */
int gx_cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gx_cli_set_prog(const char *prog);
/* Prints "PROG VERSION (rev REV)" on stdout; returns GX_EXIT_OK. */
int gx_cli_version(void);

/* Parses the value of option opt (e.g. "--amount") as a decimal whole number
 * in [min, max]. Leading zeros are accepted ("010" is 10). On a problem prints
 * one line naming it and returns GX_EXIT_USAGE:
 *   text NULL       "PROG: --amount needs a value"
 *   another option  "PROG: --amount needs a value (got option '--to')"
 *   empty           "PROG: --amount '': empty (want a whole number)"
 *   "-5"            "PROG: --amount '-5': negative (want a whole number >= MIN)"
 *   "01x", "1.5"    "PROG: --amount '01x': not a whole number"
 *   above max       "PROG: --amount 99999999999: too large (maximum MAX)"
 *   below min       "PROG: --amount 0: must be at least MIN"
 * Returns 0 and sets *out on success. */
int gx_cli_parse_u64(const char *opt, const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* Warns on stderr when the file at path is readable or writable by group or
 * others (mode & 077), naming the file and the chmod that fixes it. Returns 1
 * when it warned, 0 otherwise (also when stat fails: the caller's open says why). */
int gx_cli_warn_loose_mode(const char *path);

typedef int (*gx_ctl_fn_t)(int argc, char **argv);
void gx_ctl_register(const char *name, const char *usage, gx_ctl_fn_t fn);

#define GX_CTL_COMMAND(name, usage, fn)                                                  \
  __attribute__((constructor)) static void gx_ctl_reg_##fn(void) {                       \
    gx_ctl_register(name, usage, fn);                                                    \
  }

#endif
