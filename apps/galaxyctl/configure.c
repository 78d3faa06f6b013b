/* galaxyctl configure: prepares this host for one galaxyd config, in the spirit
 * of Firedancer's `fdctl configure` (docs/OPERATIONS.md "Host set-up:
 * galaxyctl configure").
 *
 *   galaxyctl configure check|init|fini [--config FILE] [--stage NAME]... [--root DIR]
 *
 * Stages, in this order (--stage picks some; repeatable or comma separated):
 *   hugepages  2 MiB pages for EAL: DPDK mode ([dpdk] mem_mb) unless [dpdk]
 *              hugepages = no, socket mode only with [ingest] hugepages = yes
 *              ([ingest] eal_mem_mb); persisted as vm.nr_hugepages in
 *              /etc/sysctl.d/60-galaxyd-hugepages.conf (or named on the kernel
 *              command line). hugetlbfs is only reported: EAL runs --in-memory.
 *   sysctl     net.core.rmem_max and wmem_max >= [ingest] rcvbuf_bytes, persisted
 *              in /etc/sysctl.d/60-galaxyd.conf.
 *   vfio       DPDK mode with a PCI port: the NIC bound to vfio-pci (modprobe,
 *              driver_override, unbind, bind through sysfs); refuses a NIC whose
 *              kernel interface is up; the original driver is recorded for fini.
 *   irq        every IRQ's smp_affinity_list (and default_smp_affinity) moved
 *              off the pinned cores: [cores] rx, verify, mempool, gossip,
 *              [chain] core and, in DPDK mode, [dpdk] lcores (not housekeeping).
 *   governor   cpufreq scaling_governor = performance on the pinned cores.
 *   memlock    DPDK mode: the galaxyd@NAME unit's effective LimitMEMLOCK (unit +
 *              drop-ins) covers EAL's memory, else a drop-in
 *              90-galaxyd-memlock.conf; without the unit, limits.d/60-galaxyd.conf.
 *
 * check reads only. One line per stage on stdout, "STAGE STATUS TEXT", STATUS
 * ok | warn | fail, TEXT what is wrong and what to do. fail: the config cannot
 * run on this host (exit 1); warn: it runs, worse (exit 0).
 * init fixes what it can, stage by stage (STATUS changed, or ok/warn/fail when
 * it changed nothing: then it says "nothing to change"), never lowers a value
 * that is already high enough, and records every change (old and new value,
 * files it wrote and the files they replaced) in the state file
 * ROOT/var/lib/galaxyd/configure/state. A second init changes nothing.
 * The state directory must be this user's and writable by nobody else (it
 * says what fini writes where; /var/lib/galaxyd is the galaxyd user's), is
 * used through one descriptor, and is locked while init or fini runs.
 * fini undoes the recorded changes of the chosen stages, newest first, and
 * only those; a value changed since init is left alone (warn).
 *
 * Every path (/proc, /sys, /etc, /dev, /var/lib) is taken under ROOT
 * (--root, default /), so tests run on a fake tree; the config's own path is
 * not (default ROOT/etc/galaxyd/main.ini). Side effects outside ROOT: only
 * `modprobe vfio-pci`, and only when ROOT is /.
 * Memory: one state array allocated at start (CF_MAX_RECS records), fixed
 * buffers otherwise. Threads: main thread only. Errors: a stage's problems go
 * into its line; usage and config errors are one line on stderr, exit 2
 * (apps/gx_cli.h); a broken state file, exit 1. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "core/gx_util.h"

#define CF_USAGE "check|init|fini [--config FILE] [--stage NAME]... [--root DIR]: set up this host for a config"
#define CF_PATH 1024 /* a path, root included */
#define CF_VAL 256   /* a value read from /proc or /sys */
#define CF_TEXT 2048 /* one stage's line */
#define CF_CPUS 1024 /* CPU numbers handled (CPU_SETSIZE) */
#define CF_MAX_RECS 4096
#define CF_MAX_IRQS 8192
#define CF_FILE_MAX 65536 /* config snippets: sysctl.d, units, limits.d */
#define CF_MAX_CONF 256   /* files per sysctl.d / drop-in search */
#define CF_STATE_DIR "/var/lib/galaxyd/configure"
#define CF_SYSCTL_FILE "/etc/sysctl.d/60-galaxyd.conf"
#define CF_HUGE_FILE "/etc/sysctl.d/60-galaxyd-hugepages.conf"
#define CF_LIMITS_FILE "/etc/security/limits.d/60-galaxyd.conf"
#define CF_MEMLOCK_DROPIN "90-galaxyd-memlock.conf"
#define CF_HUGE_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB"

enum { CF_OK, CF_WARN, CF_FAIL };
enum { CF_CHECK, CF_INIT, CF_FINI };

/* ---- CPU sets ---- */
typedef struct {
  uint64_t w[CF_CPUS / 64];
} cf_cpus_t;

static void cf_cpu_add(cf_cpus_t *s, unsigned c) {
  if (c < CF_CPUS) s->w[c / 64] |= 1ull << (c % 64);
}
static int cf_cpu_has(const cf_cpus_t *s, unsigned c) { return c < CF_CPUS && ((s->w[c / 64] >> (c % 64)) & 1); }
static int cf_cpus_empty(const cf_cpus_t *s) {
  for (size_t i = 0; i < GX_ARRAY_LEN(s->w); i++)
    if (s->w[i]) return 0;
  return 1;
}
static int cf_cpus_meet(const cf_cpus_t *a, const cf_cpus_t *b) {
  for (size_t i = 0; i < GX_ARRAY_LEN(a->w); i++)
    if (a->w[i] & b->w[i]) return 1;
  return 0;
}
static cf_cpus_t cf_cpus_minus(const cf_cpus_t *a, const cf_cpus_t *b) {
  cf_cpus_t r;
  for (size_t i = 0; i < GX_ARRAY_LEN(a->w); i++) r.w[i] = a->w[i] & ~b->w[i];
  return r;
}
static cf_cpus_t cf_cpus_and(const cf_cpus_t *a, const cf_cpus_t *b) {
  cf_cpus_t r;
  for (size_t i = 0; i < GX_ARRAY_LEN(a->w); i++) r.w[i] = a->w[i] & b->w[i];
  return r;
}

/* "0-3,8" (the kernel's list format; "" is the empty set). 0 or -1. */
static int cf_cpus_parse_list(const char *t, cf_cpus_t *out) {
  memset(out, 0, sizeof *out);
  const char *p = t;
  while (*p) {
    char *end;
    errno = 0;
    unsigned long a = strtoul(p, &end, 10), b;
    if (end == p || !isdigit((unsigned char)*p) || errno || a >= CF_CPUS) return -1;
    p = end;
    b = a;
    if (*p == '-') {
      p++;
      if (!isdigit((unsigned char)*p)) return -1;
      b = strtoul(p, &end, 10);
      if (end == p || errno || b < a || b >= CF_CPUS) return -1;
      p = end;
    }
    for (unsigned long c = a; c <= b; c++) cf_cpu_add(out, (unsigned)c);
    if (*p == ',') {
      if (!*++p) return -1;
    } else if (*p) {
      return -1;
    }
  }
  return 0;
}

static void cf_cpus_list(const cf_cpus_t *s, char *buf, size_t cap) {
  size_t n = 0;
  buf[0] = 0;
  for (unsigned c = 0; c < CF_CPUS; c++) {
    if (!cf_cpu_has(s, c)) continue;
    unsigned e = c;
    while (e + 1 < CF_CPUS && cf_cpu_has(s, e + 1)) e++;
    int w = e == c ? snprintf(buf + n, cap - n, "%s%u", n ? "," : "", c)
                   : snprintf(buf + n, cap - n, "%s%u-%u", n ? "," : "", c, e);
    if (w < 0 || (size_t)w >= cap - n) break;
    n += (size_t)w;
    c = e;
  }
  if (!n) snprintf(buf, cap, "none");
}

/* "ff,ffffffff" (the kernel's mask format). 0 or -1. */
static int cf_cpus_parse_mask(const char *t, cf_cpus_t *out) {
  memset(out, 0, sizeof *out);
  size_t len = strlen(t);
  unsigned bit = 0;
  if (!len) return -1;
  for (size_t i = len; i-- > 0;) {
    char ch = t[i];
    if (ch == ',') continue;
    if (!isxdigit((unsigned char)ch)) return -1;
    unsigned v = (unsigned)(isdigit((unsigned char)ch) ? ch - '0' : tolower((unsigned char)ch) - 'a' + 10);
    for (unsigned k = 0; k < 4; k++, bit++)
      if ((v >> k) & 1) {
        if (bit >= CF_CPUS) return -1;
        cf_cpu_add(out, bit);
      }
  }
  return 0;
}

static void cf_cpus_mask(const cf_cpus_t *s, char *buf, size_t cap) {
  int hi = -1;
  for (unsigned c = 0; c < CF_CPUS; c++)
    if (cf_cpu_has(s, c)) hi = (int)c;
  size_t n = 0;
  buf[0] = 0;
  for (int g = hi < 0 ? 0 : hi / 32; g >= 0; g--) {
    uint32_t v = (uint32_t)(s->w[g / 2] >> (32 * (g % 2)));
    int w = n ? snprintf(buf + n, cap - n, ",%08x", v) : snprintf(buf + n, cap - n, "%x", v);
    if (w < 0 || (size_t)w >= cap - n) break;
    n += (size_t)w;
  }
}

/* Copies a string, cut to fit (every buffer here is bounded). */
static void cf_copy(char *dst, size_t cap, const char *src) {
  size_t n = strnlen(src, cap - 1);
  memcpy(dst, src, n);
  dst[n] = 0;
}

/* ---- the galaxyd config: only what configure needs ---- */
typedef struct {
  char file[CF_PATH];
  char instance[64]; /* galaxyd@NAME: the config file's name without .ini */
  int dpdk;
  int ingest_huge; /* -1 auto, 0 no, 1 yes */
  unsigned eal_mem_mb;
  uint64_t rcvbuf;
  int dpdk_huge;
  unsigned dpdk_mem_mb;
  char port[256];
  char pci[16]; /* "" when the port is a virtual device */
  char rx[128], verify[128], mempool[16], gossip[16], chain_core[16], lcores[64];
  cf_cpus_t pinned;
  char err[512];
} cf_cfg_t;

static int cf_cfg_bad(cf_cfg_t *c, const char *sec, const char *key, const char *v, const char *want) {
  if (!c->err[0]) snprintf(c->err, sizeof c->err, "[%s] %s: '%.100s' is not %s", sec, key, v, want);
  return 0;
}

static int cf_cfg_u(cf_cfg_t *c, const char *sec, const char *key, const char *v, uint64_t lo, uint64_t hi,
                    uint64_t *out) {
  uint64_t x;
  char want[80];
  snprintf(want, sizeof want, "a number in %llu..%llu", (unsigned long long)lo, (unsigned long long)hi);
  if (gx_parse_u64(v, &x) || x < lo || x > hi) return cf_cfg_bad(c, sec, key, v, want);
  *out = x;
  return 1;
}

static int cf_cfg_str(cf_cfg_t *c, const char *sec, const char *key, const char *v, char *dst, size_t cap) {
  if (strlen(v) >= cap) return cf_cfg_bad(c, sec, key, v, "short enough");
  snprintf(dst, cap, "%s", v);
  return 1;
}

static int cf_cfg_huge(cf_cfg_t *c, const char *sec, const char *key, const char *v, int *out) {
  if (!strcmp(v, "auto"))
    *out = -1;
  else if (!strcmp(v, "yes"))
    *out = 1;
  else if (!strcmp(v, "no"))
    *out = 0;
  else
    return cf_cfg_bad(c, sec, key, v, "auto, yes or no");
  return 1;
}

static int cf_ini(void *user, const char *sec, const char *key, const char *v) {
  cf_cfg_t *c = user;
  uint64_t u;
#define CF_IS(s, k) (!strcmp(sec, s) && !strcmp(key, k))
  if (CF_IS("node", "mode")) {
    if (strcmp(v, "socket") && strcmp(v, "dpdk")) return cf_cfg_bad(c, sec, key, v, "socket or dpdk");
    c->dpdk = !strcmp(v, "dpdk");
  } else if (CF_IS("cores", "rx")) {
    return cf_cfg_str(c, sec, key, v, c->rx, sizeof c->rx);
  } else if (CF_IS("cores", "verify")) {
    return cf_cfg_str(c, sec, key, v, c->verify, sizeof c->verify);
  } else if (CF_IS("cores", "mempool")) {
    return cf_cfg_str(c, sec, key, v, c->mempool, sizeof c->mempool);
  } else if (CF_IS("cores", "gossip")) {
    return cf_cfg_str(c, sec, key, v, c->gossip, sizeof c->gossip);
  } else if (CF_IS("chain", "core")) {
    return cf_cfg_str(c, sec, key, v, c->chain_core, sizeof c->chain_core);
  } else if (CF_IS("ingest", "rcvbuf_bytes")) {
    if (!cf_cfg_u(c, sec, key, v, 1, INT_MAX, &u)) return 0;
    c->rcvbuf = u;
  } else if (CF_IS("ingest", "eal_mem_mb")) {
    if (!cf_cfg_u(c, sec, key, v, 64, 65536, &u)) return 0;
    c->eal_mem_mb = (unsigned)u;
  } else if (CF_IS("ingest", "hugepages")) {
    return cf_cfg_huge(c, sec, key, v, &c->ingest_huge);
  } else if (CF_IS("dpdk", "port")) {
    return cf_cfg_str(c, sec, key, v, c->port, sizeof c->port);
  } else if (CF_IS("dpdk", "lcores")) {
    return cf_cfg_str(c, sec, key, v, c->lcores, sizeof c->lcores);
  } else if (CF_IS("dpdk", "hugepages")) {
    return cf_cfg_huge(c, sec, key, v, &c->dpdk_huge);
  } else if (CF_IS("dpdk", "mem_mb")) {
    if (!cf_cfg_u(c, sec, key, v, 0, 1u << 20, &u)) return 0;
    c->dpdk_mem_mb = u ? (unsigned)u : 256;
  }
#undef CF_IS
  return 1;
}

/* A core list key into the pinned set; 0 or -1 (err set). */
static int cf_cfg_cores(cf_cfg_t *c, const char *what, const char *v, int single) {
  cf_cpus_t s;
  if (single && !strcmp(v, "-1")) return 0;
  if (!*v || cf_cpus_parse_list(v, &s) || (single && strpbrk(v, ",-"))) {
    snprintf(c->err, sizeof c->err, "%s: '%.100s' is not %s", what, v, single ? "a core or -1" : "a core list");
    return -1;
  }
  for (size_t i = 0; i < GX_ARRAY_LEN(s.w); i++) c->pinned.w[i] |= s.w[i];
  return 0;
}

/* "0000:3b:00.0" or "3b:00.0" (before any ",devargs"), lower case; 1 when PCI. */
static int cf_pci(const char *port, char *out, size_t cap) {
  char p[64];
  size_t n = strcspn(port, ",");
  if (n >= sizeof p) return 0;
  memcpy(p, port, n);
  p[n] = 0;
  const char *pat = strlen(p) == 7 ? "xx:xx.x" : "xxxx:xx:xx.x";
  if (strlen(p) != strlen(pat)) return 0;
  for (size_t i = 0; pat[i]; i++) {
    if (pat[i] == 'x' ? !isxdigit((unsigned char)p[i]) : p[i] != pat[i]) return 0;
    p[i] = (char)tolower((unsigned char)p[i]);
  }
  if (p[strlen(p) - 1] > '7') return 0;
  char full[80] = "0000:";
  memcpy(full + (strlen(p) == 7 ? 5 : 0), p, strlen(p) + 1);
  if (strlen(full) >= cap) return 0;
  cf_copy(out, cap, full);
  return 1;
}

static int cf_cfg_load(cf_cfg_t *c, const char *file) {
  memset(c, 0, sizeof *c);
  snprintf(c->file, sizeof c->file, "%s", file);
  c->ingest_huge = -1;
  c->eal_mem_mb = 256;
  c->rcvbuf = 8u << 20;
  c->dpdk_huge = -1;
  c->dpdk_mem_mb = 256;
  snprintf(c->rx, sizeof c->rx, "0");
  snprintf(c->verify, sizeof c->verify, "1");
  snprintf(c->mempool, sizeof c->mempool, "0");
  snprintf(c->gossip, sizeof c->gossip, "0");
  snprintf(c->chain_core, sizeof c->chain_core, "-1");
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  size_t bl = strlen(base);
  if (bl > 4 && !strcmp(base + bl - 4, ".ini")) bl -= 4;
  if (bl >= sizeof c->instance) bl = sizeof c->instance - 1;
  memcpy(c->instance, base, bl);
  c->instance[bl] = 0;
  int rc = ini_parse(file, cf_ini, c);
  if (rc < 0) {
    snprintf(c->err, sizeof c->err, "cannot read config %.200s: %s", file,
             rc == -1 ? strerror(errno) : "out of memory");
    return -1;
  }
  if (c->err[0] || rc > 0) {
    char e[sizeof c->err];
    snprintf(e, sizeof e, "%s", c->err[0] ? c->err : "not INI syntax");
    snprintf(c->err, sizeof c->err, "config %.200s line %d: %.250s", file, rc, e);
    if (rc <= 0) snprintf(c->err, sizeof c->err, "config %.200s: %.250s", file, e);
    return -1;
  }
  if (cf_cfg_cores(c, "[cores] rx", c->rx, 0) || cf_cfg_cores(c, "[cores] verify", c->verify, 0) ||
      cf_cfg_cores(c, "[cores] mempool", c->mempool, 1) || cf_cfg_cores(c, "[cores] gossip", c->gossip, 1) ||
      cf_cfg_cores(c, "[chain] core", c->chain_core, 1) ||
      (c->dpdk && c->lcores[0] && cf_cfg_cores(c, "[dpdk] lcores", c->lcores, 0))) {
    char e[sizeof c->err];
    snprintf(e, sizeof e, "%s", c->err);
    snprintf(c->err, sizeof c->err, "config %.200s: %.250s", file, e);
    return -1;
  }
  if (c->dpdk && !c->port[0]) {
    snprintf(c->err, sizeof c->err, "config %.200s: [node] mode = dpdk needs [dpdk] port", file);
    return -1;
  }
  if (c->dpdk) cf_pci(c->port, c->pci, sizeof c->pci);
  return 0;
}

/* ---- state: what init changed ---- */
typedef struct {
  char stage[16];
  char kind[8];   /* write | file | mkdir | bind */
  char path[512]; /* under ROOT; bind: the PCI address */
  char a[CF_VAL]; /* write: old value; file: backup name or "" (none); bind: original driver */
  char b[CF_VAL]; /* write: value init left; file: hash of what init wrote; bind: old driver_override */
  int dead;       /* undone by this fini */
} cf_rec_t;

typedef struct {
  char root[512]; /* "" for / */
  cf_cfg_t cfg;
  int op;
  cf_rec_t *recs;
  int n_recs, state_dirty;
  int sfd; /* the state directory (init, fini) */
  /* the running stage's line */
  const char *stage;
  char text[CF_TEXT];
  size_t len;
  int level, changed;
} cf_t;

/* ROOT + rel into out; -1 (ENAMETOOLONG) when it does not fit. */
static int cf_path(const cf_t *cf, char *out, size_t cap, const char *rel) {
  int w = snprintf(out, cap, "%s%s", cf->root, rel);
  if (w < 0 || (size_t)w >= cap) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return 0;
}

static void cf_vsay(cf_t *cf, int level, const char *fmt, va_list ap) {
  if (level > cf->level) cf->level = level;
  if (cf->len + 8 >= sizeof cf->text) return;
  if (cf->len) {
    memcpy(cf->text + cf->len, "; ", 3);
    cf->len += 2;
  }
  int w = vsnprintf(cf->text + cf->len, sizeof cf->text - cf->len, fmt, ap);
  if (w < 0) return;
  cf->len += (size_t)w;
  if (cf->len >= sizeof cf->text) {
    cf->len = sizeof cf->text - 1;
    memcpy(cf->text + cf->len - 3, "...", 3);
  }
}
static void cf_say(cf_t *cf, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cf_say(cf_t *cf, int level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cf_vsay(cf, level, fmt, ap);
  va_end(ap);
}
/* A change made (init) or undone (fini). */
static void cf_did(cf_t *cf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cf_did(cf_t *cf, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cf_vsay(cf, CF_OK, fmt, ap);
  va_end(ap);
  cf->changed = 1;
}

/* Reads a small file under ROOT into buf (NUL-terminated, trailing white space
 * cut). 0 or -1 with errno. */
static int cf_read(const cf_t *cf, const char *rel, char *buf, size_t cap) {
  char p[CF_PATH];
  if (cf_path(cf, p, sizeof p, rel)) return -1;
  long n = gx_file_read(p, buf, cap - 1);
  if (n < 0) return -1;
  buf[n] = 0;
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = 0;
  return 0;
}

static int cf_read_long(const cf_t *cf, const char *rel, long *out) {
  char b[64], *end;
  if (cf_read(cf, rel, b, sizeof b)) return -1;
  errno = 0;
  long v = strtol(b, &end, 10);
  if (end == b || *end || errno) {
    errno = EINVAL;
    return -1;
  }
  *out = v;
  return 0;
}

/* Writes "text\n" in one write(2) to an existing file under ROOT (sysfs and
 * procfs files are never created). 0 or -1 with errno. */
static int cf_write(const cf_t *cf, const char *rel, const char *text) {
  char p[CF_PATH], b[CF_VAL + 2];
  if (cf_path(cf, p, sizeof p, rel)) return -1;
  int n = snprintf(b, sizeof b, "%s\n", text);
  if (n < 0 || (size_t)n >= sizeof b) {
    errno = EINVAL;
    return -1;
  }
  int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t w = write(fd, b, (size_t)n);
  int e = errno;
  if (close(fd) < 0 && w >= 0) return -1;
  if (w != n) {
    errno = w < 0 ? e : EIO;
    return -1;
  }
  return 0;
}

static int cf_exists(const cf_t *cf, const char *rel) {
  char p[CF_PATH];
  struct stat st;
  return !cf_path(cf, p, sizeof p, rel) && lstat(p, &st) == 0;
}

static void cf_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static uint64_t cf_hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
  return h;
}

/* state values: printable, no spaces; "-" is empty; '%', bytes <= ' ', >= 0x7f
 * and a lone "-" as %XX. */
static void cf_esc(const char *in, char *out, size_t cap) {
  size_t n = 0;
  if (!*in) {
    snprintf(out, cap, "-");
    return;
  }
  for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 < cap; p++) {
    if (*p <= ' ' || *p >= 0x7f || *p == '%' || (*p == '-' && p == (const unsigned char *)in && !p[1]))
      n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    else
      out[n++] = (char)*p;
  }
  out[n] = 0;
}

static int cf_unesc(const char *in, char *out, size_t cap) {
  size_t n = 0;
  if (!strcmp(in, "-")) {
    out[0] = 0;
    return 0;
  }
  for (const char *p = in; *p; p++) {
    if (n + 1 >= cap) return -1;
    if (*p == '%') {
      unsigned v;
      if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]) || sscanf(p + 1, "%2x", &v) != 1) return -1;
      out[n++] = (char)v;
      p += 2;
    } else {
      out[n++] = *p;
    }
  }
  out[n] = 0;
  return 0;
}

/* a record's path: an absolute path without "..", or for bind a PCI address */
static int cf_state_path_ok(const char *kind, const char *path) {
  char pci[16];
  if (!strcmp(kind, "bind")) return cf_pci(path, pci, sizeof pci) && !strcmp(pci, path);
  int clean =
      !strstr(path, "/../") && !strstr(path, "/./") && (strlen(path) < 3 || strcmp(path + strlen(path) - 3, "/.."));
  if (!strcmp(kind, "write")) return clean && (!strncmp(path, "/proc/", 6) || !strncmp(path, "/sys/", 5));
  if (!strcmp(kind, "file") || !strcmp(kind, "mkdir")) return clean && !strncmp(path, "/etc/", 5);
  return 0;
}

#define CF_STATE_MAGIC "galaxyctl-configure-state 1"
#define CF_REC_TEXT (16 + 8 + 3 * 512 + 2 * 3 * CF_VAL + 8) /* one record, escaped */

/* mkdir -p of an absolute path (mode for the ones made). 0 or -1. */
static int cf_mkdirs(const char *path, unsigned mode) {
  char p[CF_PATH];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) return -1;
    *s = '/';
  }
  if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

/* The state directory ROOT/var/lib/galaxyd/configure, opened once and used
 * through its descriptor: it must be ours (this user's, not a link, writable
 * by nobody else), since fini writes where the state says. /var/lib/galaxyd
 * itself belongs to the galaxyd user, who could otherwise plant a state or
 * swap the directory. Locked: one init or fini at a time. 0 or -1 (err). */
static int cf_state_open(cf_t *cf, char *err, size_t errlen) {
  char d[CF_PATH];
  struct stat st;
  if (cf_path(cf, d, sizeof d, CF_STATE_DIR)) {
    snprintf(err, errlen, "state path too long");
    return -1;
  }
  if (cf_mkdirs(d, 0700)) {
    snprintf(err, errlen, "cannot create %s: %s%s", d, strerror(errno), errno == EACCES ? " (run as root)" : "");
    return -1;
  }
  cf->sfd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cf->sfd < 0 || fstat(cf->sfd, &st) < 0) {
    snprintf(err, errlen, "cannot open %s: %s", d, strerror(errno));
    return -1;
  }
  if (st.st_uid != geteuid() || (st.st_mode & 022)) {
    snprintf(err, errlen, "state directory %s belongs to uid %u or others may write it: refusing (remove it if unsure)",
             d, (unsigned)st.st_uid);
    return -1;
  }
  if (flock(cf->sfd, LOCK_EX | LOCK_NB) < 0) {
    snprintf(err, errlen, "%s: %s", d,
             errno == EWOULDBLOCK ? "another galaxyctl configure init or fini is running" : strerror(errno));
    return -1;
  }
  return 0;
}

/* Reads name in the state directory (ours, a plain file). Bytes or -1 (errno). */
static long cf_at_read(const cf_t *cf, const char *name, char *buf, size_t max) {
  int fd = openat(cf->sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0) {
    if (errno == ELOOP) errno = EPERM; /* a link */
    return -1;
  }
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  size_t n = 0;
  while (n < max) {
    ssize_t r = read(fd, buf + n, max - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  char extra;
  int more = n == max && read(fd, &extra, 1) == 1;
  close(fd);
  if (more) {
    errno = EFBIG;
    return -1;
  }
  return (long)n;
}

/* Replaces name in the state directory (mode 0600): temporary file, fsync, rename. 0 or -1. */
static int cf_at_write(const cf_t *cf, const char *name, const char *data, size_t len) {
  char tmp[300];
  snprintf(tmp, sizeof tmp, ".%.250s.tmp", name);
  unlinkat(cf->sfd, tmp, 0);
  int fd = openat(cf->sfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  int ok = off == len && fsync(fd) == 0;
  int e = errno;
  if (close(fd) < 0) ok = 0;
  if (!ok || renameat(cf->sfd, tmp, cf->sfd, name) < 0) {
    e = ok ? errno : e;
    unlinkat(cf->sfd, tmp, 0);
    errno = e;
    return -1;
  }
  fsync(cf->sfd);
  return 0;
}

/* Loads the state (missing: empty). 0, or -1 with the reason in err. */
static int cf_state_load(cf_t *cf, char *err, size_t errlen) {
  char p[CF_PATH];
  if (cf_path(cf, p, sizeof p, CF_STATE_DIR "/state")) p[0] = 0;
  size_t cap = (size_t)CF_MAX_RECS * CF_REC_TEXT + 64;
  char *buf = malloc(cap);
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  long n = cf_at_read(cf, "state", buf, cap - 1);
  if (n < 0) {
    free(buf);
    if (errno == ENOENT) return 0;
    snprintf(err, errlen, "state file %s: %s", p,
             errno == EPERM ? "not a plain file of this user that only it may write: refusing" : strerror(errno));
    return -1;
  }
  buf[n] = 0;
  int line = 0, rc = 0;
  char *save = NULL;
  for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    line++;
    if (line == 1) {
      if (strcmp(l, CF_STATE_MAGIC)) {
        snprintf(err, errlen, "state file %s: not a galaxyctl configure state (first line)", p);
        rc = -1;
        break;
      }
      continue;
    }
    char *f[6], *s2 = NULL;
    int nf = 0;
    for (char *t = strtok_r(l, " ", &s2); t && nf < 6; t = strtok_r(NULL, " ", &s2)) f[nf++] = t;
    if (cf->n_recs >= CF_MAX_RECS) {
      snprintf(err, errlen, "state file %s: more than %d records", p, CF_MAX_RECS);
      rc = -1;
      break;
    }
    cf_rec_t *r = &cf->recs[cf->n_recs];
    memset(r, 0, sizeof *r);
    if (nf != 5 || strlen(f[0]) >= sizeof r->stage || strlen(f[1]) >= sizeof r->kind ||
        cf_unesc(f[2], r->path, sizeof r->path) || cf_unesc(f[3], r->a, sizeof r->a) ||
        cf_unesc(f[4], r->b, sizeof r->b) || !cf_state_path_ok(f[1], r->path) ||
        (!strcmp(f[1], "file") && r->a[0] && (strchr(r->a, '/') || r->a[0] == '.')) ||
        (!strcmp(f[1], "bind") &&
         strspn(r->a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(r->a))) {
      snprintf(err, errlen, "state file %s line %d: not STAGE write|file|mkdir|bind PATH A B", p, line);
      rc = -1;
      break;
    }
    snprintf(r->stage, sizeof r->stage, "%s", f[0]);
    snprintf(r->kind, sizeof r->kind, "%s", f[1]);
    cf->n_recs++;
  }
  if (!rc && line == 0) {
    snprintf(err, errlen, "state file %s: empty", p);
    rc = -1;
  }
  free(buf);
  return rc;
}

static int cf_state_save(cf_t *cf, char *err, size_t errlen) {
  char p[CF_PATH];
  int live = 0;
  for (int i = 0; i < cf->n_recs; i++) live += !cf->recs[i].dead;
  if (cf_path(cf, p, sizeof p, CF_STATE_DIR "/state")) p[0] = 0;
  if (!live) {
    if (unlinkat(cf->sfd, "state", 0) < 0 && errno != ENOENT) {
      snprintf(err, errlen, "cannot remove %s: %s", p, strerror(errno));
      return -1;
    }
    return 0;
  }
  size_t cap = (size_t)live * CF_REC_TEXT + 64, n = 0;
  char *buf = malloc(cap);
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  n += (size_t)snprintf(buf, cap, "%s\n", CF_STATE_MAGIC);
  for (int i = 0; i < cf->n_recs; i++) {
    const cf_rec_t *r = &cf->recs[i];
    if (r->dead) continue;
    char ep[3 * sizeof r->path + 4], ea[3 * CF_VAL + 4], eb[3 * CF_VAL + 4];
    cf_esc(r->path, ep, sizeof ep);
    cf_esc(r->a, ea, sizeof ea);
    cf_esc(r->b, eb, sizeof eb);
    n += (size_t)snprintf(buf + n, cap - n, "%s %s %s %s %s\n", r->stage, r->kind, ep, ea, eb);
  }
  int rc = 0;
  if (cf_at_write(cf, "state", buf, n)) {
    snprintf(err, errlen, "cannot write %s: %s", p, strerror(errno));
    rc = -1;
  }
  free(buf);
  return rc;
}

static cf_rec_t *cf_rec_find(cf_t *cf, const char *kind, const char *path) {
  for (int i = 0; i < cf->n_recs; i++)
    if (!cf->recs[i].dead && !strcmp(cf->recs[i].kind, kind) && !strcmp(cf->recs[i].path, path)) return &cf->recs[i];
  return NULL;
}

/* Records a change; an existing record of the same path keeps its first
 * "before" (a) and takes the new "after" (b). NULL when the state is full. */
static cf_rec_t *cf_rec(cf_t *cf, const char *kind, const char *path, const char *a, const char *b) {
  cf_rec_t *r = cf_rec_find(cf, kind, path);
  if (!r) {
    if (cf->n_recs >= CF_MAX_RECS) return NULL;
    r = &cf->recs[cf->n_recs++];
    memset(r, 0, sizeof *r);
    snprintf(r->stage, sizeof r->stage, "%s", cf->stage);
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    cf_copy(r->path, sizeof r->path, path);
    cf_copy(r->a, sizeof r->a, a);
  }
  cf_copy(r->b, sizeof r->b, b);
  cf->state_dirty = 1;
  return r;
}

/* init: writes value to a sysfs/procfs file, reads back what the kernel
 * kept (into got) and records old -> got. 0, or -1 after saying why. */
static int cf_set(cf_t *cf, const char *rel, const char *old, const char *value, char *got, size_t gotcap) {
  if (cf_write(cf, rel, value)) {
    cf_say(cf, CF_FAIL, "cannot write %s = %s: %s%s", rel, value, strerror(errno),
           errno == EACCES || errno == EPERM ? " (run as root)" : "");
    return -1;
  }
  if (cf_read(cf, rel, got, gotcap)) snprintf(got, gotcap, "%s", value);
  if (!cf_rec(cf, "write", rel, old, got)) {
    cf_say(cf, CF_FAIL, "state full (%d records): %s changed but not recorded", CF_MAX_RECS, rel);
    return -1;
  }
  return 0;
}

/* ---- files init writes (sysctl.d, limits.d, unit drop-ins) ---- */
static void cf_backup_name(const char *rel, char *out, size_t cap) {
  size_t n = 0;
  for (const char *p = rel + 1; *p && n + 6 < cap; p++) out[n++] = *p == '/' ? '_' : *p;
  snprintf(out + n, cap - n, ".orig");
}

/* Makes ROOT+rel hold content (mode 0644): creates its directory (recorded),
 * backs up a file it replaces (the first time). 1 written, 0 already so,
 * -1 after saying why. */
static int cf_put_file(cf_t *cf, const char *rel, const char *content) {
  char p[CF_PATH], dir[CF_PATH];
  static char old[CF_FILE_MAX + 1];
  size_t clen = strlen(content);
  if (cf_path(cf, p, sizeof p, rel)) {
    cf_say(cf, CF_FAIL, "%s: path too long", rel);
    return -1;
  }
  long n = gx_file_read(p, old, CF_FILE_MAX);
  if (n < 0 && errno != ENOENT) {
    cf_say(cf, CF_FAIL, "cannot read %s: %s", rel, strerror(errno));
    return -1;
  }
  if (n >= 0 && (size_t)n == clen && !memcmp(old, content, clen)) return 0;
  cf_rec_t *r = cf_rec_find(cf, "file", rel);
  char backup[CF_VAL] = "";
  if (!r && n >= 0) { /* a file init did not write: keep it beside the state for fini */
    cf_backup_name(rel, backup, sizeof backup);
    if (cf_at_write(cf, backup, old, (size_t)n)) {
      cf_say(cf, CF_FAIL, "cannot back up %s: %s", rel, strerror(errno));
      return -1;
    }
  }
  /* the directories it needs, each one made recorded (fini removes it when empty) */
  snprintf(dir, sizeof dir, "%s", rel);
  char *s = strrchr(dir, '/');
  if (s && s != dir) {
    *s = 0;
    char made[8][CF_PATH / 2];
    int nm = 0;
    for (char *q = dir + 1;; q++) {
      if (*q != '/' && *q) continue;
      char c = *q;
      *q = 0;
      char full[CF_PATH];
      if (cf_path(cf, full, sizeof full, dir) == 0 && !cf_exists(cf, dir)) {
        if (mkdir(full, 0755) < 0 && errno != EEXIST) {
          cf_say(cf, CF_FAIL, "cannot create %s: %s", dir, strerror(errno));
          return -1;
        }
        if (nm < 8) cf_copy(made[nm++], sizeof made[0], dir);
      }
      *q = c;
      if (!c) break;
    }
    for (int i = 0; i < nm; i++) cf_rec(cf, "mkdir", made[i], "", "");
  }
  if (gx_file_write_atomic(p, content, clen, 0644, 0)) {
    cf_say(cf, CF_FAIL, "cannot write %s: %s%s", rel, strerror(errno), errno == EACCES ? " (run as root)" : "");
    return -1;
  }
  char h[24];
  snprintf(h, sizeof h, "%016llx", (unsigned long long)cf_hash(content, clen));
  if (!cf_rec(cf, "file", rel, backup, h)) {
    cf_say(cf, CF_FAIL, "state full: %s written but not recorded", rel);
    return -1;
  }
  return 1;
}

/* ---- sysctl.d: what a boot applies ---- */
typedef struct {
  char name[256];
  char path[CF_PATH / 2];
} cf_conf_t;

static int cf_conf_cmp(const void *a, const void *b) {
  return strcmp(((const cf_conf_t *)a)->name, ((const cf_conf_t *)b)->name);
}

/* The *.conf files of dirs (highest priority first: a name found in an
 * earlier dir masks the same name in a later one), sorted by name. */
static int cf_conf_files(const cf_t *cf, const char *const *dirs, int ndirs, cf_conf_t *out, int max) {
  int n = 0;
  for (int d = 0; d < ndirs; d++) {
    char p[CF_PATH];
    if (cf_path(cf, p, sizeof p, dirs[d])) continue;
    DIR *dh = opendir(p);
    if (!dh) continue;
    struct dirent *e;
    while ((e = readdir(dh)) && n < max) {
      size_t l = strlen(e->d_name);
      if (l < 6 || l >= sizeof out[0].name || strcmp(e->d_name + l - 5, ".conf")) continue;
      int dup = 0;
      for (int i = 0; i < n && !dup; i++) dup = !strcmp(out[i].name, e->d_name);
      if (dup) continue;
      snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
      if (snprintf(out[n].path, sizeof out[n].path, "%s/%s", dirs[d], e->d_name) >= (int)sizeof out[n].path) continue;
      n++;
    }
    closedir(dh);
  }
  qsort(out, (size_t)n, sizeof *out, cf_conf_cmp);
  return n;
}

/* The value of key a boot would set (systemd-sysctl's order, then
 * /etc/sysctl.conf), and the file that sets it last. 1 when set, 0 when not. */
static int cf_sysctl_persisted(const cf_t *cf, const char *key, long *val, char *from, size_t fromcap) {
  static const char *const dirs[] = {"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d",
                                     "/lib/sysctl.d"};
  static cf_conf_t files[CF_MAX_CONF + 1];
  static char buf[CF_FILE_MAX + 1];
  int n = cf_conf_files(cf, dirs, (int)GX_ARRAY_LEN(dirs), files, CF_MAX_CONF), found = 0, has99 = 0;
  for (int i = 0; i < n; i++) has99 |= !strcmp(files[i].name, "99-sysctl.conf");
  if (!has99) snprintf(files[n++].path, sizeof files[0].path, "/etc/sysctl.conf");
  for (int i = 0; i < n; i++) {
    char p[CF_PATH];
    if (cf_path(cf, p, sizeof p, files[i].path)) continue;
    long len = gx_file_read(p, buf, CF_FILE_MAX);
    if (len < 0) continue;
    buf[len] = 0;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      while (isspace((unsigned char)*l) || *l == '-') l++;
      if (*l == '#' || *l == ';' || !*l) continue;
      char *eq = strchr(l, '=');
      if (!eq) continue;
      char *ke = eq;
      while (ke > l && isspace((unsigned char)ke[-1])) ke--;
      char k[128];
      size_t kl = (size_t)(ke - l);
      if (kl >= sizeof k) continue;
      for (size_t j = 0; j < kl; j++) k[j] = l[j] == '/' ? '.' : l[j];
      k[kl] = 0;
      if (strcmp(k, key)) continue;
      char *v = eq + 1, *end;
      while (isspace((unsigned char)*v)) v++;
      errno = 0;
      long x = strtol(v, &end, 10);
      if (end == v || errno) continue;
      *val = x;
      found = 1;
      snprintf(from, fromcap, "%s", files[i].path);
    }
  }
  return found;
}

/* The text of a sysctl.d file holding keys = vals, keeping the other lines of
 * what is there now (old, may be NULL). */
static void cf_sysctl_text(const char *old, const char *const *keys, const long *vals, int n, char *out, size_t cap) {
  static const char hdr[] =
      "# written by `galaxyctl configure init` for galaxyd; `galaxyctl configure fini` takes it back\n";
  size_t len = (size_t)snprintf(out, cap, "%s", hdr);
  static char copy[CF_FILE_MAX + 1];
  snprintf(copy, sizeof copy, "%s", old ? old : "");
  char *save = NULL;
  for (char *l = strtok_r(copy, "\n", &save); l && len < cap; l = strtok_r(NULL, "\n", &save)) {
    if (!strncmp(l, hdr, sizeof hdr - 2)) continue;
    const char *k = l;
    while (isspace((unsigned char)*k) || *k == '-') k++;
    int ours = 0;
    for (int i = 0; i < n && !ours; i++) {
      size_t kl = strlen(keys[i]);
      ours = !strncmp(k, keys[i], kl) && (isspace((unsigned char)k[kl]) || k[kl] == '=');
    }
    if (!ours) len += (size_t)snprintf(out + len, cap - len, "%s\n", l);
  }
  for (int i = 0; i < n && len < cap; i++)
    len += (size_t)snprintf(out + len, cap - len, "%s = %ld\n", keys[i], vals[i]);
}

/* init: persists keys = vals in the sysctl.d file rel. 1 written, 0 already, -1 failed. */
static int cf_persist_sysctl(cf_t *cf, const char *rel, const char *const *keys, const long *vals, int n) {
  static char old[CF_FILE_MAX + 1], text[CF_FILE_MAX + 512];
  char p[CF_PATH];
  long len = cf_path(cf, p, sizeof p, rel) ? -1 : gx_file_read(p, old, CF_FILE_MAX);
  if (len >= 0) old[len] = 0;
  cf_sysctl_text(len >= 0 ? old : NULL, keys, vals, n, text, sizeof text);
  return cf_put_file(cf, rel, text);
}

/* hugepages=N for 2 MiB pages on the kernel command line, or -1. */
static long cf_cmdline_hugepages(const cf_t *cf) {
  char buf[4096], *save = NULL;
  long n = -1;
  int two_mb = 1; /* hugepages= counts the size of the hugepagesz= before it, else the default */
  if (cf_read(cf, "/proc/cmdline", buf, sizeof buf)) return -1;
  for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
    if (!strncmp(t, "hugepagesz=", 11))
      two_mb = !strcmp(t + 11, "2M") || !strcmp(t + 11, "2048K");
    else if (!strncmp(t, "default_hugepagesz=", 19) && strcmp(t + 19, "2M") && strcmp(t + 19, "2048K"))
      two_mb = 0;
    else if (!strncmp(t, "hugepages=", 10) && two_mb)
      n = strtol(t + 10, NULL, 10);
  }
  return n;
}

static long cf_meminfo_kb(const cf_t *cf, const char *field) {
  static char buf[16384];
  if (cf_read(cf, "/proc/meminfo", buf, sizeof buf)) return -1;
  char *p = strstr(buf, field);
  return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

/* ---- stage: hugepages ---- */
static void cf_hugepages(cf_t *cf) {
  const cf_cfg_t *c = &cf->cfg;
  int init = cf->op == CF_INIT, required, hinted = 0;
  unsigned mb;
  const char *src;
  if (c->dpdk) {
    if (c->dpdk_huge == 0) {
      cf_say(cf, CF_OK, "not used: [dpdk] hugepages = no (EAL runs --no-huge)");
      return;
    }
    /* a NIC wants DMA memory from hugepages; a virtual device runs --no-huge (slower) */
    required = c->dpdk_huge == 1 || c->pci[0];
    mb = c->dpdk_mem_mb;
    src = "[dpdk] mem_mb";
  } else {
    if (c->ingest_huge != 1) {
      cf_say(cf, CF_OK, "not needed in socket mode ([ingest] hugepages = %s)", c->ingest_huge ? "auto" : "no");
      return;
    }
    required = 1;
    mb = c->eal_mem_mb;
    src = "[ingest] eal_mem_mb";
  }
  int lack = required ? CF_FAIL : CF_WARN;
  long need = ((long)mb + 1) / 2, nr, fr;
  const char *nrp = CF_HUGE_DIR "/nr_hugepages";
  if (cf_read_long(cf, nrp, &nr)) {
    cf_say(cf, lack, "no 2 MiB hugepages on this kernel (%s: %s)", nrp, strerror(errno));
    return;
  }
  if (nr < need) {
    if (!init) {
      cf_say(cf, lack, "%ld 2 MiB hugepages reserved, %s = %u needs %ld%s; fix: galaxyctl configure init", nr, src, mb,
             need, required ? "" : " (galaxyd falls back to --no-huge, slower)");
      hinted = 1;
    } else {
      char old[32], val[32], got[CF_VAL];
      snprintf(old, sizeof old, "%ld", nr);
      snprintf(val, sizeof val, "%ld", need);
      if (cf_set(cf, nrp, old, val, got, sizeof got) == 0) {
        long g = strtol(got, NULL, 10);
        if (g < need)
          cf_say(
              cf, lack,
              "asked the kernel for %ld hugepages, it gave %ld (memory fragmented: reserve them at boot, hugepages=%ld "
              "on the kernel command line)",
              need, g, need);
        else
          cf_did(cf, "reserved %ld 2 MiB hugepages (was %ld) for %s = %u", g, nr, src, mb);
        cf->changed = 1;
        nr = g;
      }
    }
  } else {
    if (cf_read_long(cf, CF_HUGE_DIR "/free_hugepages", &fr)) fr = nr;
    if (fr < need)
      cf_say(cf, CF_WARN,
             "%ld reserved but only %ld free, %ld needed (in use by a running galaxyd or another DPDK program?)", nr,
             fr, need);
    else
      cf_say(cf, CF_OK, "%ld 2 MiB hugepages reserved (%ld free), %ld needed for %s = %u", nr, fr, need, src, mb);
  }
  /* persisted? */
  long keep = nr > need ? nr : need, cmd = cf_cmdline_hugepages(cf), pv = 0;
  char from[CF_PATH];
  if (cmd >= need) {
    cf_say(cf, CF_OK, "persisted: hugepages=%ld on the kernel command line", cmd);
  } else if (cf_meminfo_kb(cf, "Hugepagesize:") > 0 && cf_meminfo_kb(cf, "Hugepagesize:") != 2048) {
    cf_say(cf, CF_WARN,
           "not persisted, and vm.nr_hugepages counts the default %ld kB pages: add hugepagesz=2M hugepages=%ld to the "
           "kernel command line",
           cf_meminfo_kb(cf, "Hugepagesize:"), keep);
  } else if (cf_sysctl_persisted(cf, "vm.nr_hugepages", &pv, from, sizeof from) && pv >= need) {
    cf_say(cf, CF_OK, "persisted: vm.nr_hugepages = %ld in %s", pv, from);
  } else if (!init) {
    cf_say(cf, CF_WARN, "not persisted (lost at reboot)%s",
           hinted ? "" : "; fix: galaxyctl configure init (writes " CF_HUGE_FILE ")");
  } else {
    const char *k[1] = {"vm.nr_hugepages"};
    int w = cf_persist_sysctl(cf, CF_HUGE_FILE, k, &keep, 1);
    if (w >= 0 && cf_sysctl_persisted(cf, "vm.nr_hugepages", &pv, from, sizeof from) && pv >= need) {
      if (w > 0) cf_did(cf, "persisted vm.nr_hugepages = %ld in %s", keep, CF_HUGE_FILE);
    } else if (w >= 0) {
      cf_say(cf, CF_WARN, "%s, read after %s at boot, sets vm.nr_hugepages = %ld", from, CF_HUGE_FILE, pv);
    }
  }
  static char mounts[16384];
  char *m = cf_read(cf, "/proc/mounts", mounts, sizeof mounts) ? NULL : strstr(mounts, " hugetlbfs ");
  if (m) {
    char *ls = m;
    while (ls > mounts && ls[-1] != '\n') ls--;
    char *sp = strchr(ls, ' ');
    cf_say(cf, CF_OK, "hugetlbfs mounted at %.*s", sp && sp < m ? (int)(m - sp - 1) : 0, sp ? sp + 1 : "");
  } else {
    cf_say(cf, CF_OK, "no hugetlbfs mount (none needed: EAL runs --in-memory)");
  }
}

/* ---- stage: sysctl ---- */
static void cf_sysctl(cf_t *cf) {
  static const char *const keys[2] = {"net.core.rmem_max", "net.core.wmem_max"};
  static const char *const paths[2] = {"/proc/sys/net/core/rmem_max", "/proc/sys/net/core/wmem_max"};
  long need = (long)cf->cfg.rcvbuf, now[2], pv[2];
  int init = cf->op == CF_INIT, bad_now = 0, bad_persist = 0;
  char from[2][CF_PATH], low[160] = "";
  size_t ll = 0;
  for (int i = 0; i < 2; i++) {
    if (cf_read_long(cf, paths[i], &now[i])) {
      cf_say(cf, CF_WARN, "cannot read %s: %s", paths[i], strerror(errno));
      return;
    }
    if (now[i] >= need) continue;
    if (!init) {
      int w = snprintf(low + ll, sizeof low - ll, "%s%s = %ld", ll ? ", " : "", keys[i], now[i]);
      if (w > 0 && (size_t)w < sizeof low - ll) ll += (size_t)w;
      bad_now = 1;
      continue;
    }
    char old[32], val[32], got[CF_VAL];
    snprintf(old, sizeof old, "%ld", now[i]);
    snprintf(val, sizeof val, "%ld", need);
    if (cf_set(cf, paths[i], old, val, got, sizeof got) == 0) {
      cf_did(cf, "%s %ld -> %s", keys[i], now[i], got);
      now[i] = strtol(got, NULL, 10);
    }
  }
  if (bad_now)
    cf_say(cf, CF_WARN,
           "%s: below [ingest] rcvbuf_bytes = %ld (galaxyd's socket buffers get less); fix: galaxyctl configure init",
           low, need);
  for (int i = 0; i < 2; i++) {
    from[i][0] = 0;
    if (!cf_sysctl_persisted(cf, keys[i], &pv[i], from[i], sizeof from[i])) pv[i] = -1;
    bad_persist |= pv[i] < need;
  }
  if (!bad_persist) {
    if (!bad_now && !cf->changed)
      cf_say(cf, CF_OK, "%s = %ld, %s = %ld, both >= %ld ([ingest] rcvbuf_bytes), persisted in %s", keys[0], now[0],
             keys[1], now[1], need, from[0]);
    return;
  }
  if (!init) {
    cf_say(cf, CF_WARN, "not persisted (lost at reboot)%s",
           bad_now ? "" : "; fix: galaxyctl configure init (writes " CF_SYSCTL_FILE ")");
    return;
  }
  long vals[2] = {now[0] > need ? now[0] : need, now[1] > need ? now[1] : need};
  int w = cf_persist_sysctl(cf, CF_SYSCTL_FILE, keys, vals, 2);
  if (w < 0) return;
  for (int i = 0; i < 2; i++)
    if (!cf_sysctl_persisted(cf, keys[i], &pv[i], from[i], sizeof from[i]) || pv[i] < need) {
      cf_say(cf, CF_WARN, "%s, read after %s at boot, sets %s = %ld", from[i], CF_SYSCTL_FILE, keys[i], pv[i]);
      return;
    }
  if (w > 0) cf_did(cf, "persisted in %s", CF_SYSCTL_FILE);
}

/* ---- stage: vfio ---- */
/* The driver a PCI device is bound to (basename of its driver link), "" when none. */
static void cf_pci_driver(const cf_t *cf, const char *pci, char *out, size_t cap) {
  char rel[128], p[CF_PATH], link[CF_PATH];
  snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/driver", pci);
  out[0] = 0;
  if (cf_path(cf, p, sizeof p, rel)) return;
  ssize_t n = readlink(p, link, sizeof link - 1);
  if (n <= 0) return;
  link[n] = 0;
  const char *b = strrchr(link, '/');
  cf_copy(out, cap, b ? b + 1 : link);
}

/* Waits (at most 2 s) until the device's driver is want ("" = none). */
static int cf_pci_wait(const cf_t *cf, const char *pci, const char *want) {
  char d[64];
  for (int i = 0; i < 200; i++) {
    cf_pci_driver(cf, pci, d, sizeof d);
    if (!strcmp(d, want)) return 0;
    cf_sleep_ms(10);
  }
  return -1;
}

/* The device's kernel interfaces that are up, "" when none. */
static void cf_pci_ifaces_up(const cf_t *cf, const char *pci, char *out, size_t cap) {
  char rel[128], p[CF_PATH];
  size_t n = 0;
  out[0] = 0;
  snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/net", pci);
  if (cf_path(cf, p, sizeof p, rel)) return;
  DIR *dh = opendir(p);
  if (!dh) return;
  struct dirent *e;
  while ((e = readdir(dh))) {
    if (e->d_name[0] == '.' || strlen(e->d_name) > 32) continue;
    char r2[256], st[32];
    snprintf(r2, sizeof r2, "%.128s/%.32s/operstate", rel, e->d_name);
    if (cf_read(cf, r2, st, sizeof st) || strcmp(st, "up")) continue;
    int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", e->d_name);
    if (w > 0 && (size_t)w < cap - n) n += (size_t)w;
  }
  closedir(dh);
}

static int cf_modprobe_vfio(void) {
  pid_t pid;
  char *argv[] = {"modprobe", "vfio-pci", NULL};
  extern char **environ;
  if (posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ)) return -1;
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void cf_vfio(cf_t *cf) {
  const cf_cfg_t *c = &cf->cfg;
  const char *pci = c->pci;
  char rel[256], drv[64], ov[CF_VAL];
  if (!c->dpdk) {
    cf_say(cf, CF_OK, "not needed in socket mode");
    return;
  }
  if (!pci[0]) {
    cf_say(cf, CF_OK, "[dpdk] port %.64s is a virtual device: no NIC to bind", c->port);
    return;
  }
  snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s", pci);
  if (!cf_exists(cf, rel)) {
    cf_say(cf, CF_FAIL, "no PCI device %s on this host ([dpdk] port; lspci -D lists them)", pci);
    return;
  }
  cf_pci_driver(cf, pci, drv, sizeof drv);
  int have_vfio = cf_exists(cf, "/dev/vfio/vfio");
  if (!strcmp(drv, "vfio-pci")) {
    cf_say(cf, have_vfio ? CF_OK : CF_WARN, "%s bound to vfio-pci%s", pci,
           have_vfio ? "" : ", but /dev/vfio/vfio is missing");
    return;
  }
  const char *now = drv[0] ? drv : "no driver";
  snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/iommu_group", pci);
  if (!cf_exists(cf, rel)) {
    cf_say(cf, CF_FAIL,
           "%s is bound to %s, and has no IOMMU group: boot with intel_iommu=on iommu=pt (or amd_iommu=on), then "
           "galaxyctl configure init",
           pci, now);
    return;
  }
  char up[128];
  cf_pci_ifaces_up(cf, pci, up, sizeof up);
  if (up[0]) {
    cf_say(cf, CF_FAIL,
           "%s is bound to %s and its interface %s is up: make sure it is not this host's management interface, "
           "`ip link set %s down`, then galaxyctl configure init",
           pci, now, up, up);
    return;
  }
  if (cf->op != CF_INIT) {
    cf_say(cf, CF_FAIL, "%s is bound to %s, not vfio-pci; fix: galaxyctl configure init (the kernel loses the port)",
           pci, now);
    return;
  }
  if (!cf_exists(cf, "/sys/bus/pci/drivers/vfio-pci")) {
    if (cf->root[0] || cf_modprobe_vfio() || !cf_exists(cf, "/sys/bus/pci/drivers/vfio-pci")) {
      cf_say(cf, CF_FAIL, "driver vfio-pci not loaded and `modprobe vfio-pci` %s",
             cf->root[0] ? "cannot load it under --root" : "failed");
      return;
    }
    cf_did(cf, "loaded vfio-pci (modprobe; left loaded by fini)");
  }
  snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/driver_override", pci);
  if (cf_read(cf, rel, ov, sizeof ov)) ov[0] = 0;
  if (!strcmp(ov, "(null)")) ov[0] = 0;
  if (cf_write(cf, rel, "vfio-pci")) {
    cf_say(cf, CF_FAIL, "cannot write %s: %s", rel, strerror(errno));
    return;
  }
  /* recorded before the first move, so that fini can always put it back */
  if (!cf_rec(cf, "bind", pci, drv, ov)) {
    cf_say(cf, CF_FAIL, "state full: not binding %s", pci);
    return;
  }
  if (drv[0]) {
    snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/driver/unbind", pci);
    if (cf_write(cf, rel, pci) || cf_pci_wait(cf, pci, "")) {
      cf_say(cf, CF_FAIL, "unbinding %s from %s failed: %s", pci, drv,
             errno ? strerror(errno) : "still bound after 2 s");
      return;
    }
  }
  if (cf_write(cf, "/sys/bus/pci/drivers/vfio-pci/bind", pci) || cf_pci_wait(cf, pci, "vfio-pci")) {
    cf_say(cf, CF_FAIL, "binding %s to vfio-pci failed (%s); galaxyctl configure fini gives it back to %s", pci,
           errno ? strerror(errno) : "not bound after 2 s", now);
    return;
  }
  cf_did(cf, "%s: %s -> vfio-pci (until reboot: run init at boot)", pci, now);
}

/* ---- stage: irq ---- */
static int cf_int_cmp(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

/* irqbalance running under ROOT/proc? */
static int cf_irqbalance(const cf_t *cf) {
  char p[CF_PATH];
  if (cf_path(cf, p, sizeof p, "/proc")) return 0;
  DIR *dh = opendir(p);
  if (!dh) return 0;
  struct dirent *e;
  int found = 0, n = 0;
  while (!found && (e = readdir(dh)) && n++ < 65536) {
    if (!isdigit((unsigned char)e->d_name[0]) || strlen(e->d_name) > 12) continue;
    char rel[64], comm[32];
    snprintf(rel, sizeof rel, "/proc/%.12s/comm", e->d_name);
    found = !cf_read(cf, rel, comm, sizeof comm) && !strcmp(comm, "irqbalance");
  }
  closedir(dh);
  return found;
}

static void cf_irq(cf_t *cf) {
  const cf_cpus_t *pin = &cf->cfg.pinned;
  char buf[CF_VAL], pl[256], tl[256], ol[256];
  cf_cpus_t online;
  if (cf_cpus_empty(pin)) {
    cf_say(cf, CF_OK, "no core pinned by the config");
    return;
  }
  cf_cpus_list(pin, pl, sizeof pl);
  if (cf_read(cf, "/sys/devices/system/cpu/online", buf, sizeof buf) || cf_cpus_parse_list(buf, &online)) {
    cf_say(cf, CF_WARN, "cannot read /sys/devices/system/cpu/online");
    return;
  }
  cf_cpus_list(&online, ol, sizeof ol);
  cf_cpus_t off = cf_cpus_minus(pin, &online);
  if (!cf_cpus_empty(&off)) {
    char xl[256];
    cf_cpus_list(&off, xl, sizeof xl);
    cf_say(cf, CF_FAIL, "the config pins cores %s that are not online (online: %s): galaxyd refuses to start", xl, ol);
    return;
  }
  cf_cpus_t target = cf_cpus_minus(&online, pin);
  if (cf_cpus_empty(&target)) {
    cf_say(cf, CF_WARN,
           "the config pins every online CPU (%s): no core is left for IRQs (leave one to the kernel, e.g. for "
           "[cores] housekeeping)",
           ol);
    return;
  }
  cf_cpus_list(&target, tl, sizeof tl);
  static int irqs[CF_MAX_IRQS];
  int n = 0;
  char p[CF_PATH];
  DIR *dh = cf_path(cf, p, sizeof p, "/proc/irq") ? NULL : opendir(p);
  if (!dh) {
    cf_say(cf, CF_WARN, "cannot read /proc/irq: %s", strerror(errno));
    return;
  }
  struct dirent *e;
  while ((e = readdir(dh)) && n < CF_MAX_IRQS) {
    char *end;
    long v = strtol(e->d_name, &end, 10);
    if (isdigit((unsigned char)e->d_name[0]) && !*end && v >= 0 && v <= INT_MAX) irqs[n++] = (int)v;
  }
  closedir(dh);
  qsort(irqs, (size_t)n, sizeof irqs[0], cf_int_cmp);
  int on_pinned = 0, moved = 0, stuck = 0, init = cf->op == CF_INIT;
  char on_list[160] = "", stuck_list[160] = "";
  size_t onl = 0, stl = 0;
  for (int i = 0; i < n; i++) {
    char rel[64];
    cf_cpus_t cur;
    snprintf(rel, sizeof rel, "/proc/irq/%d/smp_affinity_list", irqs[i]);
    if (cf_read(cf, rel, buf, sizeof buf) || cf_cpus_parse_list(buf, &cur) || !cf_cpus_meet(&cur, pin)) continue;
    if (!init) {
      on_pinned++;
      if (onl + 12 < sizeof on_list)
        onl += (size_t)snprintf(on_list + onl, sizeof on_list - onl, "%s%d", onl ? "," : "", irqs[i]);
      continue;
    }
    /* keep the unpinned CPUs it had; none: all the unpinned online ones */
    cf_cpus_t to = cf_cpus_minus(&cur, pin);
    to = cf_cpus_and(&to, &online);
    if (cf_cpus_empty(&to)) to = target;
    char val[256], got[CF_VAL], old[CF_VAL];
    snprintf(old, sizeof old, "%s", buf);
    cf_cpus_list(&to, val, sizeof val);
    if (cf_write(cf, rel, val) == 0) {
      if (cf_read(cf, rel, got, sizeof got)) snprintf(got, sizeof got, "%s", val);
      if (!cf_rec(cf, "write", rel, old, got)) {
        cf_say(cf, CF_FAIL, "state full (%d records): stopped at IRQ %d", CF_MAX_RECS, irqs[i]);
        break;
      }
      moved++;
    } else { /* EIO: a kernel-managed IRQ (per-queue NVMe, some NICs): it stays */
      stuck++;
      if (stl + 12 < sizeof stuck_list)
        stl += (size_t)snprintf(stuck_list + stl, sizeof stuck_list - stl, "%s%d", stl ? "," : "", irqs[i]);
    }
  }
  /* new IRQs: default_smp_affinity */
  cf_cpus_t dm;
  int dm_bad = 0;
  if (!cf_read(cf, "/proc/irq/default_smp_affinity", buf, sizeof buf) && !cf_cpus_parse_mask(buf, &dm) &&
      cf_cpus_meet(&dm, pin)) {
    if (!init) {
      dm_bad = 1;
    } else {
      cf_cpus_t to = cf_cpus_minus(&dm, pin);
      to = cf_cpus_and(&to, &online);
      if (cf_cpus_empty(&to)) to = target;
      char val[300], got[CF_VAL];
      cf_cpus_mask(&to, val, sizeof val);
      if (cf_set(cf, "/proc/irq/default_smp_affinity", buf, val, got, sizeof got) == 0)
        cf_did(cf, "default_smp_affinity %s -> %s", buf, got);
    }
  }
  int balance = cf_irqbalance(cf);
  if (!init) {
    if (on_pinned || dm_bad)
      cf_say(cf, CF_WARN, "%d of %d IRQs may run on pinned cores %s (%s%s)%s; fix: galaxyctl configure init", on_pinned,
             n, pl, on_list[0] ? "IRQ " : "", on_list[0] ? on_list : "",
             dm_bad ? ", and so would new ones (default_smp_affinity)" : "");
    else
      cf_say(cf, CF_OK, "no IRQ on pinned cores %s (%d IRQs, on %s)", pl, n, tl);
  } else {
    if (moved) cf_did(cf, "moved %d IRQs off pinned cores %s", moved, pl);
    if (stuck) cf_say(cf, CF_WARN, "%d IRQs the kernel keeps on pinned cores (managed): %s", stuck, stuck_list);
    if (!moved && !stuck && !cf->changed) cf_say(cf, CF_OK, "no IRQ on pinned cores %s", pl);
  }
  if (balance)
    cf_say(cf, CF_WARN,
           "irqbalance is running and moves IRQs back: IRQBALANCE_BANNED_CPULIST=%s in /etc/default/irqbalance, "
           "then restart it",
           pl);
}

/* ---- stage: governor ---- */
static void cf_governor(cf_t *cf) {
  const cf_cpus_t *pin = &cf->cfg.pinned;
  int have = 0, init = cf->op == CF_INIT;
  char bad[256] = "", nope[256] = "", pl[256];
  size_t bl = 0, nl = 0;
  cf_cpus_list(pin, pl, sizeof pl);
  if (cf_cpus_empty(pin)) {
    cf_say(cf, CF_OK, "no core pinned by the config");
    return;
  }
  for (unsigned c = 0; c < CF_CPUS; c++) {
    if (!cf_cpu_has(pin, c)) continue;
    char rel[96], av[CF_VAL], gov[64];
    snprintf(rel, sizeof rel, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", c);
    if (cf_read(cf, rel, gov, sizeof gov)) continue;
    have++;
    if (!strcmp(gov, "performance")) continue;
    snprintf(rel, sizeof rel, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_available_governors", c);
    if (!cf_read(cf, rel, av, sizeof av)) {
      int found = 0;
      char *save = NULL;
      for (char *t = strtok_r(av, " ", &save); t && !found; t = strtok_r(NULL, " ", &save))
        found = !strcmp(t, "performance");
      if (!found) {
        if (nl + 16 < sizeof nope) nl += (size_t)snprintf(nope + nl, sizeof nope - nl, "%scpu%u", nl ? "," : "", c);
        continue;
      }
    }
    snprintf(rel, sizeof rel, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_governor", c);
    if (!init) {
      if (bl + 32 < sizeof bad) bl += (size_t)snprintf(bad + bl, sizeof bad - bl, "%scpu%u %s", bl ? ", " : "", c, gov);
      continue;
    }
    char got[CF_VAL];
    if (cf_set(cf, rel, gov, "performance", got, sizeof got) == 0) cf_did(cf, "cpu%u %s -> %s", c, gov, got);
  }
  if (!have) {
    cf_say(cf, CF_OK, "no cpufreq on the pinned cores (a VM, or the firmware sets the frequency): nothing to set");
    return;
  }
  if (bad[0])
    cf_say(cf, CF_WARN, "pinned cores not on the performance governor: %s; fix: galaxyctl configure init", bad);
  if (nope[0]) cf_say(cf, CF_WARN, "no performance governor offered on %s", nope);
  if (!bad[0] && !nope[0] && !cf->changed && cf->level == CF_OK)
    cf_say(cf, CF_OK, "performance on pinned cores %s (until reboot)", pl);
}

/* ---- stage: memlock ---- */
/* systemd's LimitMEMLOCK= value (soft part), bytes; -2 infinity, -1 bad. */
static long long cf_limit_bytes(const char *v) {
  char *end;
  if (!strncmp(v, "infinity", 8)) return -2;
  errno = 0;
  unsigned long long x = strtoull(v, &end, 10);
  if (end == v || errno) return -1;
  int shift = 0;
  switch (*end) {
  case 'K':
    shift = 10;
    end++;
    break;
  case 'M':
    shift = 20;
    end++;
    break;
  case 'G':
    shift = 30;
    end++;
    break;
  case 'T':
    shift = 40;
    end++;
    break;
  default: break;
  }
  if (*end && *end != ':' && !isspace((unsigned char)*end)) return -1;
  if (x > ((unsigned long long)LLONG_MAX >> shift)) return -2;
  return (long long)(x << shift);
}

/* The unit galaxyd@NAME's effective LimitMEMLOCK (unit then drop-ins in
 * systemd's order). Returns 1 with *bytes (-2 infinity, -3 systemd's default)
 * and the file that set it, 0 when no unit is installed. */
static int cf_unit_memlock(const cf_t *cf, long long *bytes, char *from, size_t fromcap, char *unit, size_t unitcap) {
  static const char *const dirs[] = {"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                                     "/lib/systemd/system", "/usr/lib/systemd/system"};
  char names[2][96], rel[CF_PATH];
  snprintf(names[0], sizeof names[0], "galaxyd@%s.service", cf->cfg.instance);
  snprintf(names[1], sizeof names[1], "galaxyd@.service");
  int found = 0;
  for (int n = 0; n < 2 && !found; n++)
    for (size_t d = 0; d < GX_ARRAY_LEN(dirs) && !found; d++) {
      snprintf(rel, sizeof rel, "%s/%s", dirs[d], names[n]);
      if (cf_exists(cf, rel)) {
        found = 1;
        snprintf(unit, unitcap, "%s", rel);
      }
    }
  if (!found) return 0;
  /* drop-in directories: instance before template, each in directory priority */
  static char ddirs[10][CF_PATH / 2];
  const char *dp[10];
  int nd = 0;
  for (int n = 0; n < 2; n++)
    for (size_t d = 0; d < GX_ARRAY_LEN(dirs); d++) {
      snprintf(ddirs[nd], sizeof ddirs[nd], "%s/%s.d", dirs[d], names[n]);
      dp[nd] = ddirs[nd];
      nd++;
    }
  static cf_conf_t files[CF_MAX_CONF + 1];
  snprintf(files[0].path, sizeof files[0].path, "%s", unit);
  int nf = 1 + cf_conf_files(cf, dp, nd, files + 1, CF_MAX_CONF);
  *bytes = -3;
  snprintf(from, fromcap, "systemd's default");
  static char buf[CF_FILE_MAX + 1];
  for (int i = 0; i < nf; i++) {
    char p[CF_PATH];
    if (cf_path(cf, p, sizeof p, files[i].path)) continue;
    long len = gx_file_read(p, buf, CF_FILE_MAX);
    if (len < 0) continue;
    buf[len] = 0;
    int service = 0;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      while (isspace((unsigned char)*l)) l++;
      if (*l == '[') service = !strncmp(l, "[Service]", 9);
      if (!service || strncmp(l, "LimitMEMLOCK=", 13)) continue;
      const char *v = l + 13;
      *bytes = *v ? cf_limit_bytes(v) : -3;
      snprintf(from, fromcap, "%s", files[i].path);
    }
  }
  return 1;
}

/* memlock for user galaxyd in limits.conf / limits.d: bytes, -2 unlimited, -1 none */
static long long cf_limits_memlock(const cf_t *cf, char *from, size_t fromcap) {
  static const char *const dirs[] = {"/etc/security/limits.d"};
  static cf_conf_t files[CF_MAX_CONF + 1];
  static char buf[CF_FILE_MAX + 1];
  snprintf(files[0].path, sizeof files[0].path, "/etc/security/limits.conf");
  int nf = 1 + cf_conf_files(cf, dirs, 1, files + 1, CF_MAX_CONF);
  long long soft = -1, hard = -1;
  for (int i = 0; i < nf; i++) {
    char p[CF_PATH];
    if (cf_path(cf, p, sizeof p, files[i].path)) continue;
    long len = gx_file_read(p, buf, CF_FILE_MAX);
    if (len < 0) continue;
    buf[len] = 0;
    char *save = NULL;
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      char dom[64], type[16], item[32], val[32];
      if (sscanf(l, " %63s %15s %31s %31s", dom, type, item, val) != 4 || dom[0] == '#') continue;
      if (strcmp(item, "memlock") || (strcmp(dom, "galaxyd") && strcmp(dom, "@galaxyd") && strcmp(dom, "*"))) continue;
      long long v = !strcmp(val, "unlimited") || !strcmp(val, "infinity") ? -2 : strtoll(val, NULL, 10) * 1024;
      if (!strcmp(type, "soft") || !strcmp(type, "-")) soft = v;
      if (!strcmp(type, "hard") || !strcmp(type, "-")) hard = v;
      snprintf(from, fromcap, "%s", files[i].path);
    }
  }
  if (soft == -1 || hard == -1) return -1;
  if (soft == -2) return hard; /* soft unlimited: as far as hard */
  return hard == -2 ? soft : (soft < hard ? soft : hard);
}

static void cf_memlock(cf_t *cf) {
  const cf_cfg_t *c = &cf->cfg;
  if (!c->dpdk) {
    cf_say(cf, CF_OK, "not needed in socket mode");
    return;
  }
  long long need = (long long)c->dpdk_mem_mb << 20, b;
  char from[CF_PATH], unit[CF_PATH], rel[CF_PATH];
  int init = cf->op == CF_INIT;
  if (cf_unit_memlock(cf, &b, from, sizeof from, unit, sizeof unit)) {
    if (b == -2 || b >= need) {
      cf_say(cf, CF_OK, "galaxyd@%s: LimitMEMLOCK=%s (%s)", c->instance, b == -2 ? "infinity" : "enough", from);
      return;
    }
    if (!init) {
      cf_say(
          cf, CF_FAIL,
          "galaxyd@%s: LimitMEMLOCK %s (%s) is below the %u MiB DPDK locks ([dpdk] mem_mb); fix: galaxyctl configure "
          "init (drop-in %s)",
          c->instance,
          b == -3   ? "is systemd's default"
          : b == -1 ? "unreadable"
                    : "set",
          from, c->dpdk_mem_mb, CF_MEMLOCK_DROPIN);
      return;
    }
    snprintf(rel, sizeof rel, "/etc/systemd/system/galaxyd@%s.service.d/%s", c->instance, CF_MEMLOCK_DROPIN);
    int w = cf_put_file(cf, rel,
                        "# written by `galaxyctl configure init`: DPDK locks its memory (vfio DMA mappings)\n"
                        "[Service]\nLimitMEMLOCK=infinity\n");
    if (w < 0) return;
    cf_unit_memlock(cf, &b, from, sizeof from, unit, sizeof unit);
    if (b == -2 || b >= need)
      cf_did(cf, "wrote %s (LimitMEMLOCK=infinity): systemctl daemon-reload && systemctl restart galaxyd@%s", rel,
             c->instance);
    else
      cf_say(cf, CF_FAIL, "%s, read after %s, lowers LimitMEMLOCK again", from, CF_MEMLOCK_DROPIN);
    return;
  }
  b = cf_limits_memlock(cf, from, sizeof from);
  if (b == -2 || b >= need) {
    cf_say(cf, CF_OK, "no galaxyd@.service; memlock for galaxyd: %s (%s)", b == -2 ? "unlimited" : "enough", from);
    return;
  }
  if (!init) {
    cf_say(cf, CF_WARN,
           "no galaxyd@.service installed, and no memlock limit for user galaxyd in /etc/security/limits.d: start "
           "galaxyd with `ulimit -l unlimited`; fix: galaxyctl configure init (writes %s)",
           CF_LIMITS_FILE);
    return;
  }
  int w = cf_put_file(cf, CF_LIMITS_FILE,
                      "# written by `galaxyctl configure init`: DPDK locks its memory\n"
                      "galaxyd - memlock unlimited\n");
  if (w > 0)
    cf_did(cf, "wrote %s (galaxyd - memlock unlimited; applies to PAM sessions: su, runuser -l, ssh)", CF_LIMITS_FILE);
}

/* ---- fini ---- */
static void cf_fini(cf_t *cf) {
  int undone = 0, left = 0;
  char list[400] = "";
  size_t ll = 0;
  for (int i = cf->n_recs - 1; i >= 0; i--) {
    cf_rec_t *r = &cf->recs[i];
    if (r->dead || strcmp(r->stage, cf->stage)) continue;
    char cur[CF_VAL], p[CF_PATH], item[CF_PATH + 2 * CF_VAL];
    item[0] = 0;
    if (!strcmp(r->kind, "write")) {
      if (cf_read(cf, r->path, cur, sizeof cur)) {
        snprintf(item, sizeof item, "%s gone (nothing to restore)", r->path);
      } else if (strcmp(cur, r->b)) {
        cf_say(cf, CF_WARN, "%s is %s, not the %s init set: left alone", r->path, cur, r->b);
        left++;
      } else if (cf_write(cf, r->path, r->a)) {
        cf_say(cf, CF_FAIL, "cannot restore %s = %s: %s", r->path, r->a, strerror(errno));
        continue; /* kept: fini again */
      } else {
        snprintf(item, sizeof item, "%s back to %s", r->path, r->a[0] ? r->a : "''");
      }
    } else if (!strcmp(r->kind, "file")) {
      static char buf[CF_FILE_MAX + 1];
      long n = cf_path(cf, p, sizeof p, r->path) ? -1 : gx_file_read(p, buf, CF_FILE_MAX);
      char h[24];
      snprintf(h, sizeof h, "%016llx", n < 0 ? 0ull : (unsigned long long)cf_hash(buf, (size_t)n));
      if (n < 0) {
        snprintf(item, sizeof item, "%s already gone", r->path);
      } else if (strcmp(h, r->b)) {
        cf_say(cf, CF_WARN, "%s changed since init: left alone", r->path);
        left++;
      } else if (r->a[0]) {
        long bn = cf_at_read(cf, r->a, buf, CF_FILE_MAX);
        if (bn < 0 || gx_file_write_atomic(p, buf, (size_t)bn, 0644, 0)) {
          cf_say(cf, CF_FAIL, "cannot restore %s from %s/%s: %s", r->path, CF_STATE_DIR, r->a, strerror(errno));
          continue;
        }
        unlinkat(cf->sfd, r->a, 0);
        snprintf(item, sizeof item, "%s back to the file init replaced", r->path);
      } else if (unlink(p) < 0) {
        cf_say(cf, CF_FAIL, "cannot remove %s: %s", r->path, strerror(errno));
        continue;
      } else {
        snprintf(item, sizeof item, "removed %s", r->path);
      }
    } else if (!strcmp(r->kind, "mkdir")) {
      if (!cf_path(cf, p, sizeof p, r->path) && rmdir(p) < 0 && errno != ENOENT)
        cf_say(cf, CF_OK, "%s not empty: kept", r->path);
    } else if (!strcmp(r->kind, "bind")) {
      char drv[64], rel[CF_PATH];
      const char *pci = r->path;
      cf_pci_driver(cf, pci, drv, sizeof drv);
      if (strcmp(drv, "vfio-pci") && strcmp(drv, "") && strcmp(drv, r->a)) {
        cf_say(cf, CF_WARN, "%s is bound to %s now, not vfio-pci: left alone", pci, drv);
        left++;
      } else { /* on vfio-pci, on no driver (a bind failed half way), or still on its own */
        if (!strcmp(drv, "vfio-pci")) {
          if (cf_write(cf, "/sys/bus/pci/drivers/vfio-pci/unbind", pci) || cf_pci_wait(cf, pci, "")) {
            cf_say(cf, CF_FAIL, "cannot unbind %s from vfio-pci: %s", pci, errno ? strerror(errno) : "still bound");
            continue;
          }
        }
        snprintf(rel, sizeof rel, "/sys/bus/pci/devices/%s/driver_override", pci);
        if (cf_write(cf, rel, r->b)) {
          cf_say(cf, CF_FAIL, "cannot reset %s: %s", rel, strerror(errno));
          continue;
        }
        if (r->a[0] && strcmp(drv, r->a)) {
          snprintf(rel, sizeof rel, "/sys/bus/pci/drivers/%s/bind", r->a);
          if (cf_write(cf, rel, pci) || cf_pci_wait(cf, pci, r->a)) {
            cf_say(cf, CF_FAIL, "cannot bind %s back to %s: %s", pci, r->a,
                   errno ? strerror(errno) : "not bound after 2 s");
            continue;
          }
        }
        snprintf(item, sizeof item, "%s back to %s", pci, r->a[0] ? r->a : "no driver");
      }
    }
    r->dead = 1;
    cf->state_dirty = 1;
    if (item[0]) {
      undone++;
      if (undone <= 4 && ll + 8 < sizeof list) {
        int w = snprintf(list + ll, sizeof list - ll, "%s%s", ll ? ", " : "", item);
        if (w > 0) ll = ll + (size_t)w < sizeof list ? ll + (size_t)w : sizeof list - 1;
      }
    }
  }
  if (undone) cf_did(cf, "%s", list);
  if (undone > 4) cf_say(cf, CF_OK, "and %d more", undone - 4);
  if (!undone && !left && cf->level == CF_OK) cf_say(cf, CF_OK, "nothing to undo");
}

/* ---- the command ---- */
static const struct {
  const char *name;
  void (*fn)(cf_t *);
} cf_stages[] = {{"hugepages", cf_hugepages}, {"sysctl", cf_sysctl},  {"vfio", cf_vfio}, {"irq", cf_irq},
                 {"governor", cf_governor},   {"memlock", cf_memlock}};
#define CF_NSTAGES ((int)GX_ARRAY_LEN(cf_stages))

static int cf_usage(FILE *f) {
  fprintf(f, "usage: galaxyctl configure check|init|fini [--config FILE] [--stage NAME]... [--root DIR]\n"
             "  check   report each stage: ok, warn or fail with what to do (changes nothing);\n"
             "          exit 1 when the config cannot run on this host\n"
             "  init    fix what it can (idempotent), recording every change in\n"
             "          ROOT" CF_STATE_DIR "/state\n"
             "  fini    undo what init recorded (and only that)\n"
             "  --config FILE  the galaxyd config (default ROOT/etc/galaxyd/main.ini)\n"
             "  --stage NAME   only these stages (repeat, or NAME,NAME): hugepages, sysctl, vfio, irq,\n"
             "                 governor, memlock (default: all, in that order; fini in reverse)\n"
             "  --root DIR     take /proc, /sys, /etc, /dev, /var/lib under DIR (tests; default /)\n");
  return f == stdout ? GX_EXIT_OK : GX_EXIT_USAGE;
}

static int cf_pick(int *want, const char *v) {
  char buf[256], *save = NULL;
  if (!v || !*v || strlen(v) >= sizeof buf) return gx_cli_fail(GX_EXIT_USAGE, "--stage needs a value");
  snprintf(buf, sizeof buf, "%s", v);
  for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    int k = -1;
    for (int i = 0; i < CF_NSTAGES; i++)
      if (!strcmp(t, cf_stages[i].name)) k = i;
    if (k < 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--stage '%s': unknown (hugepages, sysctl, vfio, irq, governor, memlock)", t);
    want[k] = 1;
  }
  return GX_EXIT_OK;
}

static int ctl_configure(int argc, char **argv) {
  static cf_t cf;
  int want[CF_NSTAGES] = {0}, any = 0, rc;
  const char *cfg = NULL, *root = "/";
  if (argc < 2) return cf_usage(stderr);
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) return cf_usage(stdout);
  memset(&cf, 0, sizeof cf);
  cf.sfd = -1;
  if (!strcmp(argv[1], "check"))
    cf.op = CF_CHECK;
  else if (!strcmp(argv[1], "init"))
    cf.op = CF_INIT;
  else if (!strcmp(argv[1], "fini"))
    cf.op = CF_FINI;
  else
    return gx_cli_fail(GX_EXIT_USAGE, "configure: '%s' is not check, init or fini", argv[1]);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return cf_usage(stdout);
    if (!strcmp(a, "--config") || !strcmp(a, "--root")) {
      if (!v || !*v) return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
      if (!strcmp(a, "--config"))
        cfg = v;
      else
        root = v;
      i++;
    } else if (!strcmp(a, "--stage")) {
      if ((rc = cf_pick(want, v))) return rc;
      any = 1;
      i++;
    } else {
      return gx_cli_fail(GX_EXIT_USAGE, "configure: unknown option '%s'", a);
    }
  }
  if (!any)
    for (int i = 0; i < CF_NSTAGES; i++) want[i] = 1;
  size_t rl = strlen(root);
  while (rl > 1 && root[rl - 1] == '/') rl--;
  if (rl >= sizeof cf.root) return gx_cli_fail(GX_EXIT_USAGE, "--root: path too long");
  if (!(rl == 1 && root[0] == '/')) {
    struct stat st;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
      return gx_cli_fail(GX_EXIT_USAGE, "--root %s: not a directory", root);
    memcpy(cf.root, root, rl);
    cf.root[rl] = 0;
  }
  char def[CF_PATH];
  if (!cfg) {
    snprintf(def, sizeof def, "%s/etc/galaxyd/main.ini", cf.root);
    cfg = def;
  }
  if (cf_cfg_load(&cf.cfg, cfg)) return gx_cli_fail(GX_EXIT_USAGE, "%s", cf.cfg.err);
  char err[CF_PATH + 200];
  if (cf.op != CF_CHECK) {
    cf.recs = calloc(CF_MAX_RECS, sizeof *cf.recs);
    if (!cf.recs) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    if (cf_state_open(&cf, err, sizeof err) || cf_state_load(&cf, err, sizeof err)) {
      free(cf.recs);
      if (cf.sfd >= 0) close(cf.sfd);
      return gx_cli_fail(GX_EXIT_FAIL, "%s", err);
    }
  }
  static const char *const words[] = {"ok", "warn", "fail"};
  int fails = 0, changed = 0;
  char changed_names[128] = "";
  for (int k = 0; k < CF_NSTAGES; k++) {
    int i = cf.op == CF_FINI ? CF_NSTAGES - 1 - k : k;
    if (!want[i]) continue;
    cf.stage = cf_stages[i].name;
    cf.len = 0;
    cf.text[0] = 0;
    cf.level = CF_OK;
    cf.changed = 0;
    if (cf.op == CF_FINI)
      cf_fini(&cf);
    else
      cf_stages[i].fn(&cf);
    const char *w = words[cf.level];
    if (cf.changed && cf.level == CF_OK) w = cf.op == CF_FINI ? "undone" : "changed"; /* fail, warn say more */
    if (cf.op == CF_INIT && !cf.changed)
      printf("%-9s %-7s nothing to change: %s\n", cf.stage, w, cf.text);
    else
      printf("%-9s %-7s %s\n", cf.stage, w, cf.text);
    fails += cf.level == CF_FAIL;
    if (cf.changed) {
      changed++;
      size_t l = strlen(changed_names);
      snprintf(changed_names + l, sizeof changed_names - l, "%s%s", l ? " " : "", cf.stage);
    }
  }
  rc = fails ? GX_EXIT_FAIL : GX_EXIT_OK;
  if (cf.op != CF_CHECK) {
    if (cf.state_dirty && cf_state_save(&cf, err, sizeof err)) rc = gx_cli_fail(GX_EXIT_FAIL, "%s", err);
    int live = 0;
    for (int i = 0; i < cf.n_recs; i++) live += !cf.recs[i].dead;
    if (cf.op == CF_INIT)
      changed ? printf("init: changed %s; recorded in %s" CF_STATE_DIR "/state\n", changed_names, cf.root)
              : printf("init: nothing changed%s\n", fails ? "" : " (this host is already set up for this config)");
    else
      changed ? printf("fini: undid %s; %d changes left in the state\n", changed_names, live)
              : printf("fini: nothing undone; %d changes left in the state\n", live);
    free(cf.recs);
    close(cf.sfd);
    char d[CF_PATH];
    if (!live && !cf_path(&cf, d, sizeof d, CF_STATE_DIR)) rmdir(d); /* empty: nothing of ours is left */
  }
  return rc;
}

GX_CTL_COMMAND("configure", CF_USAGE, ctl_configure);
