#include "apps/galaxyd/cfg.h"
#include "core/gx_chunk.h"

#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gx_key.h"
#include "core/gx_log.h"
#include "core/gx_util.h"
#include "dataplane/gx_sock.h"

void gx_node_cfg_problem(gx_node_cfg_t *cfg, const char *fmt, ...) {
  if (cfg->n_problems >= GX_CFG_MAX_PROBLEMS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cfg->problems[cfg->n_problems++], GX_CFG_PROBLEM_LEN, fmt, ap);
  va_end(ap);
}

void gx_node_cfg_defaults(gx_node_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->mode, sizeof cfg->mode, "socket");
  snprintf(cfg->role, sizeof cfg->role, "galaxy");
  snprintf(cfg->listen, sizeof cfg->listen, "[::]:7100");
  snprintf(cfg->rx_cores, sizeof cfg->rx_cores, "0");
  snprintf(cfg->verify_cores, sizeof cfg->verify_cores, "1");
  cfg->mempool_core = cfg->gossip_core = cfg->housekeeping_core = 0;
  cfg->rcvbuf_bytes = 8 << 20;
  cfg->eal_mem_mb = 256;
  cfg->hugepages = -1;
  /* 9100 (the old default) is node_exporter's; 7110/7111 sit beside the UDP
   * ingest port 7100 and clash with nothing common (docs/GALAXYD.md) */
  snprintf(cfg->api_listen, sizeof cfg->api_listen, "[::]:7110");
  snprintf(cfg->admin_listen, sizeof cfg->admin_listen, "127.0.0.1:7111");
  gx_http_cfg_defaults(&cfg->api, "api");
  gx_http_cfg_defaults(&cfg->admin, "admin");
  cfg->admin.connections = 64;
  cfg->api_metrics = 1;
  snprintf(cfg->log_level, sizeof cfg->log_level, "info");
  gx_ingest_cfg_defaults(&cfg->ingest);
}

void gx_node_cfg_section(gx_node_cfg_t *cfg, const char *name, gx_cfg_section_fn fn, void *ctx) {
  if (cfg->n_sections >= GX_CFG_MAX_SECTIONS) return;
  snprintf(cfg->sections[cfg->n_sections].name, sizeof cfg->sections[0].name, "%s", name);
  cfg->sections[cfg->n_sections].fn = fn;
  cfg->sections[cfg->n_sections].ctx = ctx;
  cfg->n_sections++;
}

/* ---- value parsers ---- */
static int gx_cfg_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
  uint64_t x;
  if (gx_parse_u64(v, &x) != 0 || x < lo || x > hi) return -1;
  *out = x;
  return 0;
}

/* "-1" (not pinned) or a CPU number */
static int gx_cfg_core(const char *v, int *out) {
  if (!strcmp(v, "-1")) {
    *out = -1;
    return 0;
  }
  uint64_t x;
  if (gx_cfg_u64(v, 0, CPU_SETSIZE - 1, &x)) return -1;
  *out = (int)x;
  return 0;
}

/* "0", "0,2", "1-3,5": up to max cores, in order. Returns the count or -1. */
static int gx_cfg_core_list(const char *v, int *out, int max) {
  int n = 0;
  const char *p = v;
  if (!*p) return -1;
  while (*p) {
    char *end;
    errno = 0;
    long a = strtol(p, &end, 10), b;
    if (end == p || a < 0 || a >= CPU_SETSIZE || errno) return -1;
    p = end;
    b = a;
    if (*p == '-') {
      p++;
      b = strtol(p, &end, 10);
      if (end == p || b < a || b >= CPU_SETSIZE) return -1;
      p = end;
    }
    for (long c = a; c <= b; c++) {
      if (n >= max) return -1;
      out[n++] = (int)c;
    }
    if (*p == ',') {
      p++;
      if (!*p) return -1;
    } else if (*p) {
      return -1;
    }
  }
  return n;
}

static void gx_cfg_str(char *dst, size_t cap, const char *v, gx_node_cfg_t *cfg, const char *sec,
                       const char *key) {
  if (strlen(v) >= cap) gx_node_cfg_problem(cfg, "[%s] %s: value longer than %zu characters", sec, key, cap - 1);
  else snprintf(dst, cap, "%s", v);
}

/* Applies one key; 0, or -1 after recording the problem. */
static int gx_cfg_set(gx_node_cfg_t *cfg, const char *sec, const char *key, const char *v) {
  gx_ingest_cfg_t *ic = &cfg->ingest;
  uint64_t u;
#define BAD(fmt, ...) \
  do { gx_node_cfg_problem(cfg, "[%s] %s: " fmt, sec, key, __VA_ARGS__); return -1; } while (0)
#define U64(field, lo, hi, type)                                                         \
  do {                                                                                   \
    if (gx_cfg_u64(v, lo, hi, &u)) BAD("'%s' is not a number in %llu..%llu", v,         \
                                       (unsigned long long)(lo), (unsigned long long)(hi)); \
    field = (type)u;                                                                     \
    return 0;                                                                            \
  } while (0)
#define IS(s, k) (!strcmp(sec, s) && !strcmp(key, k))
  if (IS("node", "mode")) {
    if (strcmp(v, "socket") && strcmp(v, "dpdk")) BAD("'%s' is not socket or dpdk", v);
    gx_cfg_str(cfg->mode, sizeof cfg->mode, v, cfg, sec, key);
    return 0;
  }
  if (IS("node", "role")) {
    if (strcmp(v, "galaxy") && strcmp(v, "star")) BAD("'%s' is not galaxy or star", v);
    gx_cfg_str(cfg->role, sizeof cfg->role, v, cfg, sec, key);
    return 0;
  }
  if (IS("node", "listen")) { gx_cfg_str(cfg->listen, sizeof cfg->listen, v, cfg, sec, key); return 0; }
  if (IS("node", "key_file")) { gx_cfg_str(cfg->key_file, sizeof cfg->key_file, v, cfg, sec, key); return 0; }
  if (IS("node", "key_passphrase_file")) {
    gx_cfg_str(cfg->key_passphrase_file, sizeof cfg->key_passphrase_file, v, cfg, sec, key);
    return 0;
  }
  if (IS("cores", "rx")) { gx_cfg_str(cfg->rx_cores, sizeof cfg->rx_cores, v, cfg, sec, key); return 0; }
  if (IS("cores", "verify")) { gx_cfg_str(cfg->verify_cores, sizeof cfg->verify_cores, v, cfg, sec, key); return 0; }
  if (IS("cores", "mempool") || IS("cores", "gossip") || IS("cores", "housekeeping")) {
    int *f = !strcmp(key, "mempool") ? &cfg->mempool_core
             : !strcmp(key, "gossip") ? &cfg->gossip_core : &cfg->housekeeping_core;
    if (gx_cfg_core(v, f)) BAD("'%s' is not a CPU number (or -1 for not pinned)", v);
    return 0;
  }
  if (IS("ingest", "verify_batch")) U64(ic->verify_batch, 1, GX_INGEST_MAX_BATCH, uint32_t);
  if (IS("ingest", "verify_nice")) U64(ic->verify_nice, 0, 19, int);
  if (IS("ingest", "rx_busy_poll")) U64(ic->rx_busy_poll, 0, 1, int);
  if (IS("ingest", "verify_ring") || IS("ingest", "link_ring")) {
    if (gx_cfg_u64(v, 64, 1u << 24, &u) || (u & (u - 1)))
      BAD("'%s' is not a power of two in 64..16777216", v);
    if (!strcmp(key, "verify_ring")) ic->verify_ring = (uint32_t)u;
    else ic->link_ring = (uint32_t)u;
    return 0;
  }
  if (IS("ingest", "items")) U64(ic->items, 1024, 1u << 24, uint32_t);
  if (IS("ingest", "lsh_slots")) U64(ic->lsh_slots, 0, GX_CHUNK_MAX_SLOTS, uint32_t);
  if (IS("ingest", "lsh_done")) U64(ic->lsh_done, 1, GX_CHUNK_MAX_DONE, uint32_t);
  if (IS("ingest", "dedup_entries")) U64(ic->dedup_entries, GX_DEDUP_MIN_ENTRIES, GX_DEDUP_MAX_ENTRIES, uint64_t);
  if (IS("ingest", "rcvbuf_bytes")) U64(cfg->rcvbuf_bytes, 65536, 1u << 30, int);
  if (IS("ingest", "eal_mem_mb")) U64(cfg->eal_mem_mb, 64, 65536, unsigned);
  if (IS("ingest", "hugepages")) {
    if (!strcmp(v, "auto")) cfg->hugepages = -1;
    else if (!strcmp(v, "yes")) cfg->hugepages = 1;
    else if (!strcmp(v, "no")) cfg->hugepages = 0;
    else BAD("'%s' is not auto, yes or no", v);
    return 0;
  }
  if (IS("mempool", "capacity")) U64(ic->mempool.capacity, 1, 1ull << 30, uint64_t);
  if (IS("mempool", "max_future")) U64(ic->mempool.max_future, 1, 1024, uint32_t);
  if (IS("mempool", "max_accounts")) U64(ic->mempool.max_accounts, 1, 1ull << 28, uint64_t);
  /* the per-cause bounds of junk (ingest/gx_mempool.h); 0: derived at start */
  if (IS("mempool", "max_unknown")) U64(ic->mempool.max_unknown, 0, 1ull << 28, uint64_t);
  if (IS("mempool", "max_known")) U64(ic->mempool.max_known, 0, 1ull << 28, uint64_t);
  if (IS("mempool", "unknown_ttl")) U64(ic->mempool.unknown_ttl, 1, GX_CFG_MAX_UNKNOWN_TTL, uint32_t);
  if (IS("gossip", "peers")) { gx_cfg_str(cfg->peers, sizeof cfg->peers, v, cfg, sec, key); return 0; }
  if (IS("gossip", "fanout")) U64(ic->gossip.fanout, 1, GX_GOSSIP_MAX_FANOUT, uint32_t);
  if (IS("gossip", "seed")) U64(ic->gossip.seed, 0, UINT64_MAX, uint64_t);
  if (IS("metrics", "listen")) { /* the old name of [admin] listen */
    gx_cfg_str(cfg->admin_listen, sizeof cfg->admin_listen, v, cfg, sec, key);
    cfg->admin_legacy = 1;
    return 0;
  }
  if (!strcmp(sec, "api") || !strcmp(sec, "admin")) {
    int adm = !strcmp(sec, "admin");
    gx_http_cfg_t *hc = adm ? &cfg->admin : &cfg->api;
    int *yn = !strcmp(key, "metrics") && !adm ? &cfg->api_metrics
              : !strcmp(key, "token_metrics") && adm ? &cfg->admin_token_metrics : NULL;
    if (!strcmp(key, "listen")) {
      if (adm) gx_cfg_str(cfg->admin_listen, sizeof cfg->admin_listen, v, cfg, sec, key);
      else gx_cfg_str(cfg->api_listen, sizeof cfg->api_listen, v, cfg, sec, key);
      if (adm) cfg->admin_legacy = 0;
      return 0;
    }
    if (!strcmp(key, "connections")) U64(hc->connections, 1, GX_HTTP_MAX_CONNECTIONS, uint32_t);
    if (!strcmp(key, "connections_per_ip")) U64(hc->connections_per_ip, 1, GX_HTTP_MAX_CONNECTIONS, uint32_t);
    if (!strcmp(key, "request_timeout_ms")) U64(hc->request_timeout_ms, 100, 600000, uint32_t);
    if (!strcmp(key, "response_timeout_ms")) U64(hc->response_timeout_ms, 100, 3600000, uint32_t);
    if (yn) {
      if (!strcmp(v, "yes")) *yn = 1;
      else if (!strcmp(v, "no")) *yn = 0;
      else BAD("'%s' is not yes or no", v);
      return 0;
    }
    if (adm && !strcmp(key, "token_file")) {
      gx_cfg_str(cfg->admin_token_file, sizeof cfg->admin_token_file, v, cfg, sec, key);
      return 0;
    }
  }
  if (IS("log", "file")) {
    if (v[0] && v[0] != '/') BAD("'%s' is not an absolute path", v);
    gx_cfg_str(cfg->log_file, sizeof cfg->log_file, v, cfg, sec, key);
    return 0;
  }
  if (IS("log", "level")) {
    if (gx_log_parse_level(v) < 0) BAD("'%s' is not debug, info, warn or error", v);
    gx_cfg_str(cfg->log_level, sizeof cfg->log_level, v, cfg, sec, key);
    return 0;
  }
#undef IS
#undef U64
  for (int i = 0; i < cfg->n_sections; i++) {
    if (strcmp(cfg->sections[i].name, sec)) continue;
    char err[160] = "";
    if (cfg->sections[i].fn(cfg->sections[i].ctx, key, v, err, sizeof err) != 0)
      BAD("%s", err[0] ? err : "rejected");
    return 0;
  }
  static const char *const known[] = {"node",    "cores", "ingest", "mempool", "gossip",
                                      "metrics", "api",   "admin",  "log"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(sec, known[i])) BAD("unknown key%s", "");
  gx_node_cfg_problem(cfg, "[%s]: unknown section", sec);
  return -1;
#undef BAD
}

static int gx_cfg_ini_handler(void *user, const char *section, const char *name, const char *value) {
  gx_cfg_set(user, section, name, value ? value : "");
  return 1; /* keep going: every problem is reported, not only the first */
}

/* libinih reads lines of at most GX_CFG_LINE_MAX characters and takes the
 * rest of a longer one as a line of its own: say so instead of reporting the
 * tail as an unknown key. 0, or -1 after reporting each long line. */
#define GX_CFG_LINE_MAX 199
static int gx_cfg_check_lines(gx_node_cfg_t *cfg, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0; /* ini_parse reports it */
  int bad = 0, line = 1;
  size_t len = 0;
  for (int ch; (ch = fgetc(f)) != EOF;) {
    if (ch != '\n') { len++; continue; }
    if (len > GX_CFG_LINE_MAX) {
      gx_node_cfg_problem(cfg, "%s:%d: a line of %zu characters; at most %d fit (libinih): shorten it "
                          "(e.g. fewer sync_peers or gossip peers, a shorter admin token)", path, line, len,
                          GX_CFG_LINE_MAX);
      bad = 1;
    }
    len = 0;
    line++;
  }
  if (len > GX_CFG_LINE_MAX) {
    gx_node_cfg_problem(cfg, "%s:%d: a line of %zu characters; at most %d fit (libinih)", path, line, len,
                        GX_CFG_LINE_MAX);
    bad = 1;
  }
  fclose(f);
  return bad ? -1 : 0;
}

int gx_node_cfg_load(gx_node_cfg_t *cfg, const char *path) {
  if (gx_cfg_check_lines(cfg, path)) return 0; /* reported; the parse would add noise */
  int rc = ini_parse(path, gx_cfg_ini_handler, cfg);
  if (rc < 0) {
    gx_node_cfg_problem(cfg, "%s: cannot read: %s", path, strerror(errno ? errno : ENOENT));
    return -1;
  }
  if (rc > 0) gx_node_cfg_problem(cfg, "%s:%d: syntax error", path, rc);
  return 0;
}

void gx_node_cfg_override(gx_node_cfg_t *cfg, const char *a) {
  const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
  if (!dot || !eq || dot > eq || dot == a || eq == dot + 1) {
    gx_node_cfg_problem(cfg, "--set %s: want SECTION.KEY=VALUE", a);
    return;
  }
  char sec[64], key[64];
  if ((size_t)(dot - a) >= sizeof sec || (size_t)(eq - dot - 1) >= sizeof key) {
    gx_node_cfg_problem(cfg, "--set %s: section or key too long", a);
    return;
  }
  memcpy(sec, a, (size_t)(dot - a));
  sec[dot - a] = 0;
  memcpy(key, dot + 1, (size_t)(eq - dot - 1));
  key[eq - dot - 1] = 0;
  gx_cfg_set(cfg, sec, key, eq + 1);
}

/* ---- whole-config checks ---- */
static void gx_cfg_check_core(gx_node_cfg_t *cfg, const cpu_set_t *allowed, int ncpu,
                              const char *what, int core, int *use) {
  if (core < 0) return;
  if (core >= ncpu) gx_node_cfg_problem(cfg, "[cores] %s: core %d does not exist (%d CPUs online)", what, core, ncpu);
  else if (!CPU_ISSET(core, allowed)) gx_node_cfg_problem(cfg, "[cores] %s: core %d is not in this process's CPU set", what, core);
  else if (use[core]++) cfg->cores_shared = 1;
}

static void gx_cfg_probe_port(gx_node_cfg_t *cfg, const gx_addr_t *a, int type, const char *what,
                              const char *text) {
  int fam = a->family == 4 ? AF_INET : AF_INET6;
  int fd = socket(fam, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    gx_node_cfg_problem(cfg, "%s %s: cannot make a socket: %s", what, text, strerror(errno));
    return;
  }
  int one = 1, zero = 0;
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fam == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t sl;
  if (fam == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(a->port);
    memcpy(&s4->sin_addr, a->ip, 4);
    sl = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    sl = sizeof *s6;
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0)
    gx_node_cfg_problem(cfg, "%s %s: %s", what, text,
                        errno == EADDRINUSE ? "port in use" : strerror(errno));
  close(fd);
}

/* The admin token: the first line of token_file, GX_HTTP_TOKEN_MIN..MAX
 * characters a URL's userinfo carries as is (letters, digits, - . _ ~); the
 * file may not be readable by others nor writable by group or others. */
static void gx_cfg_token(gx_node_cfg_t *cfg) {
  const char *path = cfg->admin_token_file;
  cfg->admin.token[0] = '\0';
  if (!path[0]) return;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    gx_node_cfg_problem(cfg, "[admin] token_file %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return;
  }
  char buf[GX_HTTP_TOKEN_MAX + 4];
  ssize_t n = S_ISREG(st.st_mode) ? read(fd, buf, sizeof buf - 1) : -1;
  close(fd);
  if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IROTH | S_IWOTH | S_IWGRP))) {
    gx_node_cfg_problem(cfg, "[admin] token_file %s: %s", path,
                        S_ISREG(st.st_mode) ? "readable or writable by others (chmod 600 or 640)"
                                            : "not a regular file");
    return;
  }
  if (n < 0) {
    gx_node_cfg_problem(cfg, "[admin] token_file %s: %s", path, strerror(errno));
    return;
  }
  buf[n] = '\0';
  size_t len = strcspn(buf, "\r\n");
  const char *rest = buf + len;
  if (*rest == '\r') rest++;
  if (*rest == '\n') rest++;
  if (*rest || len < GX_HTTP_TOKEN_MIN || len > GX_HTTP_TOKEN_MAX ||
      strspn(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") < len) {
    gx_node_cfg_problem(cfg, "[admin] token_file %s: want one line of %d..%d letters, digits, "
                        "'-', '.', '_' or '~' (e.g. openssl rand -hex 32)", path,
                        GX_HTTP_TOKEN_MIN, GX_HTTP_TOKEN_MAX);
    return;
  }
  memcpy(cfg->admin.token, buf, len);
  cfg->admin.token[len] = '\0';
}

/* [api] and [admin]: addresses, port probes, limits, the token. */
static void gx_cfg_http(gx_node_cfg_t *cfg, int probe_ports) {
  char err[200];
  struct {
    const char *name, *text;
    gx_addr_t *addr;
    gx_http_cfg_t *hc;
  } l[2] = {{"[api] listen", cfg->api_listen, &cfg->api_addr, &cfg->api},
            {cfg->admin_legacy ? "[metrics] listen" : "[admin] listen", cfg->admin_listen,
             &cfg->admin_addr, &cfg->admin}};
  int ok[2] = {0, 0};
  for (int i = 0; i < 2; i++) {
    memset(l[i].addr, 0, sizeof *l[i].addr);
    if (l[i].hc->connections_per_ip > l[i].hc->connections)
      gx_node_cfg_problem(cfg, "[%s] connections_per_ip: %u is more than connections (%u)",
                          l[i].hc->name, l[i].hc->connections_per_ip, l[i].hc->connections);
    if (!l[i].text[0]) continue;
    if (gx_sock_addr_parse(l[i].text, l[i].addr, 1, err, sizeof err)) {
      gx_node_cfg_problem(cfg, "%s: %s", l[i].name, err);
      continue;
    }
    ok[i] = 1;
    if (probe_ports && l[i].addr->port)
      gx_cfg_probe_port(cfg, l[i].addr, SOCK_STREAM, l[i].name, l[i].text);
  }
  if (ok[0] && ok[1] && cfg->api_addr.port == cfg->admin_addr.port) {
    static const uint8_t zero[16];
    const gx_addr_t *a = &cfg->api_addr, *b = &cfg->admin_addr;
    size_t la = a->family == 4 ? 4 : 16, lb = b->family == 4 ? 4 : 16;
    if (!memcmp(a->ip, zero, la) || !memcmp(b->ip, zero, lb) ||
        (a->family == b->family && !memcmp(a->ip, b->ip, la)))
      gx_node_cfg_problem(cfg, "[api] listen %s and %s %s: the same port (two listeners)",
                          cfg->api_listen, l[1].name, cfg->admin_listen);
  }
  gx_cfg_token(cfg);
}

int gx_node_cfg_finish(gx_node_cfg_t *cfg, int probe_ports) {
  gx_ingest_cfg_t *ic = &cfg->ingest;
  char err[200];
  int socket_mode = !strcmp(cfg->mode, "socket");
  if (gx_sock_addr_parse(cfg->listen, &cfg->listen_addr, 1, err, sizeof err))
    gx_node_cfg_problem(cfg, "[node] listen: %s", err);
  else if (probe_ports && socket_mode && cfg->listen_addr.port)
    gx_cfg_probe_port(cfg, &cfg->listen_addr, SOCK_DGRAM, "[node] listen", cfg->listen);
  gx_cfg_http(cfg, probe_ports);
  if (cfg->key_file[0]) {
    gx_keypair_t kp;
    gx_key_err_t ke = gx_key_load(cfg->key_file, &kp);
    if (ke != GX_KEY_OK)
      gx_node_cfg_problem(cfg, "[node] key_file %s: %s%s%s", cfg->key_file, gx_key_strerror(ke),
                          ke == GX_KEY_ERR_IO ? ": " : "", ke == GX_KEY_ERR_IO ? strerror(errno) : "");
    gx_key_wipe(&kp);
  }
  /* a systemd credential (LoadCredential=NAME:PATH): "$CREDENTIALS_DIRECTORY/NAME" */
  static const char cred[] = "$CREDENTIALS_DIRECTORY/";
  if (!strncmp(cfg->key_passphrase_file, cred, sizeof cred - 1)) {
    const char *dir = getenv("CREDENTIALS_DIRECTORY");
    char path[GX_CFG_STR];
    if (!dir || !dir[0])
      gx_node_cfg_problem(cfg, "[node] key_passphrase_file %s: $CREDENTIALS_DIRECTORY is not set "
                          "(systemd sets it for a unit with LoadCredential=)", cfg->key_passphrase_file);
    else if (snprintf(path, sizeof path, "%s/%s", dir, cfg->key_passphrase_file + sizeof cred - 1) >= (int)sizeof path)
      gx_node_cfg_problem(cfg, "[node] key_passphrase_file: longer than %zu characters", sizeof path - 1);
    else
      memcpy(cfg->key_passphrase_file, path, sizeof path);
  }
  /* cores */
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  sched_getaffinity(0, sizeof allowed, &allowed);
  int ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
  static int use[CPU_SETSIZE];
  memset(use, 0, sizeof use);
  int n = gx_cfg_core_list(cfg->rx_cores, ic->rx_cores, GX_INGEST_MAX_RX);
  if (n < 1) gx_node_cfg_problem(cfg, "[cores] rx: '%s' is not a core list (e.g. 0 or 0,2 or 0-3; at most %d)", cfg->rx_cores, GX_INGEST_MAX_RX);
  else cfg->n_rx = n;
  for (int i = 0; i < cfg->n_rx; i++) gx_cfg_check_core(cfg, &allowed, ncpu, "rx", ic->rx_cores[i], use);
  n = gx_cfg_core_list(cfg->verify_cores, ic->verify_cores, GX_INGEST_MAX_VERIFY);
  if (n < 1) gx_node_cfg_problem(cfg, "[cores] verify: '%s' is not a core list (e.g. 1 or 1-3; at most %d)", cfg->verify_cores, GX_INGEST_MAX_VERIFY);
  else ic->n_verify = n;
  for (int i = 0; n > 0 && i < ic->n_verify; i++) gx_cfg_check_core(cfg, &allowed, ncpu, "verify", ic->verify_cores[i], use);
  gx_cfg_check_core(cfg, &allowed, ncpu, "mempool", cfg->mempool_core, use);
  gx_cfg_check_core(cfg, &allowed, ncpu, "gossip", cfg->gossip_core, use);
  gx_cfg_check_core(cfg, &allowed, ncpu, "housekeeping", cfg->housekeeping_core, use);
  ic->mempool_core = cfg->mempool_core;
  ic->gossip_core = cfg->gossip_core;
  ic->housekeeping_core = cfg->housekeeping_core;
  /* peers */
  ic->gossip.n_peers = 0;
  char buf[sizeof cfg->peers];
  snprintf(buf, sizeof buf, "%s", cfg->peers);
  char *save = NULL;
  for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
    if (ic->gossip.n_peers >= GX_GOSSIP_MAX_PEERS) {
      gx_node_cfg_problem(cfg, "[gossip] peers: more than %d peers", GX_GOSSIP_MAX_PEERS);
      break;
    }
    if (gx_sock_addr_parse(t, &ic->gossip.peers[ic->gossip.n_peers], 0, err, sizeof err))
      gx_node_cfg_problem(cfg, "[gossip] peers: %s", err);
    else
      ic->gossip.n_peers++;
  }
  if (socket_mode && cfg->listen_addr.family == 4)
    for (int i = 0; i < ic->gossip.n_peers; i++)
      if (ic->gossip.peers[i].family == 6) {
        char a[GX_SOCK_ADDR_STRLEN];
        gx_sock_addr_format(&ic->gossip.peers[i], a, sizeof a);
        gx_node_cfg_problem(cfg, "[gossip] peers: %s is IPv6 but [node] listen is IPv4 (listen on [::] for both)", a);
      }
  if (ic->mempool.max_unknown > ic->mempool.capacity)
    gx_node_cfg_problem(cfg, "[mempool] max_unknown: %llu is more than capacity (%llu)",
                        (unsigned long long)ic->mempool.max_unknown,
                        (unsigned long long)ic->mempool.capacity);
  if (ic->items < 2 * ic->verify_batch)
    gx_node_cfg_problem(cfg, "[ingest] items: %u is less than two verify batches", ic->items);
  return cfg->n_problems;
}

void gx_node_cfg_print(const gx_node_cfg_t *c, FILE *o) {
  const gx_ingest_cfg_t *ic = &c->ingest;
  fprintf(o, "[node]\nrole = %s\nmode = %s\nlisten = %s\nkey_file = %s\nkey_passphrase_file = %s\n", c->role, c->mode, c->listen,
          c->key_file, c->key_passphrase_file);
  fprintf(o, "\n[cores]\nrx = %s\nverify = %s\nmempool = %d\ngossip = %d\nhousekeeping = %d\n",
          c->rx_cores, c->verify_cores, c->mempool_core, c->gossip_core, c->housekeeping_core);
  fprintf(o, "\n[ingest]\nverify_batch = %u\nverify_nice = %d\nrx_busy_poll = %d\nverify_ring = %u\n"
             "link_ring = %u\nitems = %u\ndedup_entries = %llu\nrcvbuf_bytes = %d\neal_mem_mb = %u\n"
             "hugepages = %s\nlsh_slots = %u\nlsh_done = %u\n",
          ic->verify_batch, ic->verify_nice, ic->rx_busy_poll, ic->verify_ring, ic->link_ring, ic->items,
          (unsigned long long)ic->dedup_entries, c->rcvbuf_bytes, c->eal_mem_mb,
          c->hugepages < 0 ? "auto" : c->hugepages ? "yes" : "no", ic->lsh_slots, ic->lsh_done);
  gx_mempool_cfg_t mr;
  gx_mempool_cfg_resolve(&ic->mempool, &mr);
  fprintf(o, "\n[mempool]\ncapacity = %llu\nmax_future = %u\nmax_accounts = %llu\n"
             "max_unknown = %llu\nmax_known = %llu\nunknown_ttl = %u\n"
             "; in effect: max_unknown = %llu, max_known = %llu\n",
          (unsigned long long)ic->mempool.capacity, ic->mempool.max_future,
          (unsigned long long)ic->mempool.max_accounts,
          (unsigned long long)ic->mempool.max_unknown, (unsigned long long)ic->mempool.max_known,
          ic->mempool.unknown_ttl, (unsigned long long)mr.max_unknown,
          (unsigned long long)mr.max_known);
  fprintf(o, "\n[gossip]\npeers = %s\nfanout = %u\nseed = %llu\n", c->peers, ic->gossip.fanout,
          (unsigned long long)ic->gossip.seed);
  const gx_http_cfg_t *a = &c->api, *d = &c->admin;
  fprintf(o, "\n[api]\nlisten = %s\nconnections = %u\nconnections_per_ip = %u\n"
             "request_timeout_ms = %u\nresponse_timeout_ms = %u\nmetrics = %s\n",
          c->api_listen, a->connections, a->connections_per_ip, a->request_timeout_ms,
          a->response_timeout_ms, c->api_metrics ? "yes" : "no");
  fprintf(o, "\n[admin]\nlisten = %s\nconnections = %u\nconnections_per_ip = %u\n"
             "request_timeout_ms = %u\nresponse_timeout_ms = %u\ntoken_file = %s\n"
             "token_metrics = %s\n",
          c->admin_listen, d->connections, d->connections_per_ip, d->request_timeout_ms,
          d->response_timeout_ms, c->admin_token_file, c->admin_token_metrics ? "yes" : "no");
  fprintf(o, "\n[log]\nlevel = %s\nfile = %s\n", c->log_level, c->log_file);
}
