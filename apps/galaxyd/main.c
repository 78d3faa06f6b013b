/* galaxyd: the validator process. This file wires the parts together: config
 * (cfg.c), EAL, a dataplane backend (socket or DPDK), the ingest pipeline
 * (ingest/gx_ingest.h), the metrics registry and the HTTP server (http.c).
 * gx_node_t owns every part; gx_node_start/gx_node_stop bring them up and
 * down in order, so later stages (consensus, storage) slot in beside ingest.
 *
 * Usage: galaxyd [-c FILE] [--set SECTION.KEY=VALUE]... [--check-config]
 * Exit codes (apps/gx_cli.h): 0 clean shutdown, 1 runtime failure, 2 bad
 * config or usage (one line per problem on stderr). SIGTERM/SIGINT stop every
 * thread (within a second) and exit 0, logging the signal's name. SIGHUP
 * reopens the log file ([log] file: opened again and put on fd 2, so a
 * rotated file is let go) and keeps running; without a log file it logs
 * "SIGHUP: nothing to reopen (logging to stderr)". Signals are blocked in every
 * thread and taken synchronously by the main thread (sigwait), so nothing runs
 * in a signal handler. */
#include <getopt.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps/galaxyd/cfg.h"
#include "apps/galaxyd/api.h"
#include "apps/galaxyd/galaxy.h"
#include "apps/galaxyd/http.h"
#include "apps/gx_cli.h"
#include "core/gx_log.h"
#include "core/gx_metrics.h"
#include "dataplane/gx_dpdk.h"
#include "dataplane/gx_eal.h"
#include "dataplane/gx_sock.h"
#include "ingest/gx_ingest.h"

#define GX_NODE_MAX_OVERRIDES 64

typedef struct {
  gx_node_cfg_t cfg;
  gx_dpdk_cfg_t dpdk_cfg;
  gx_sock_t *sock;
  gx_dpdk_t *dpdk;
  gx_ingest_t *ingest;
  gx_http_t *api_http, *admin_http; /* [api] listen, [admin] listen */
  gx_metrics_t *metrics;
  gx_galaxy_t galaxy; /* [chain]: consensus, ledger, storage, API */
  int eal_up;
} gx_node_t;

static int gx_node_dpdk_key(void *ctx, const char *key, const char *value, char *err,
                            size_t errlen) {
  return gx_dpdk_cfg_set(ctx, key, value, err, errlen);
}

/* ---- metrics helpers ---- */
static double gx_proc_status_kb(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, field, n)) {
      kb = atof(line + n);
      break;
    }
  fclose(f);
  return kb * 1024.0;
}
static double gx_m_rss(void *a) { (void)a; return gx_proc_status_kb("VmRSS:"); }
static double gx_m_hwm(void *a) { (void)a; return gx_proc_status_kb("VmHWM:"); }

static int gx_http_metrics(void *ctx, const gx_http_req_t *req, char *body, size_t cap,
                           size_t *len, const char **type) {
  (void)req;
  gx_metrics_err_t err;
  long n = gx_metrics_render(ctx, body, cap, &err);
  if (n < 0) {
    *len = (size_t)snprintf(body, cap, "metrics: %s\n", gx_metrics_strerror(err));
    return 500;
  }
  *len = (size_t)n;
  *type = "text/plain; version=0.0.4; charset=utf-8";
  return 200;
}

/* One HTTP listener: its limits, /metrics (when serve_metrics; open: without
 * the token), the /v1 routes, its gx_http_* metrics. 0, or -1 (logged). */
static int gx_node_http(gx_node_t *n, gx_http_t **out, const gx_http_cfg_t *hc,
                        const gx_addr_t *addr, const char *what, const char *text,
                        int serve_metrics, int metrics_open) {
  char err[256] = "cannot add a route";
  gx_http_t *h = gx_http_new(hc, err, sizeof err);
  *out = h;
  int bad = !h;
  if (!bad && serve_metrics)
    bad = metrics_open ? gx_http_route_open(h, "GET", "/metrics", gx_http_metrics, n->metrics)
                       : gx_http_route(h, "GET", "/metrics", gx_http_metrics, n->metrics);
  if (!bad) bad = gx_api_routes(&n->galaxy, h);
  gx_metrics_err_t me = bad ? GX_METRICS_OK : gx_http_metrics_register(h, n->metrics);
  if (me) snprintf(err, sizeof err, "metrics: %s", gx_metrics_strerror(me));
  if (bad || me || gx_http_start(h, addr, err, sizeof err)) {
    GX_ERROR("galaxyd", "%s %s: %s", what, text, err);
    return -1;
  }
  return 0;
}

/* ---- lifecycle ---- */
static int gx_node_start(gx_node_t *n) {
  gx_node_cfg_t *c = &n->cfg;
  char err[256];
  int dpdk_mode = !strcmp(c->mode, "dpdk");
  gx_eal_cfg_t eal;
  gx_eal_cfg_defaults(&eal);
  if (dpdk_mode) {
    gx_dpdk_eal_cfg(&n->dpdk_cfg, &eal);
  } else {
    eal.hugepages = c->hugepages;
    eal.mem_mb = c->eal_mem_mb;
  }
  if (gx_eal_init(&eal, err, sizeof err) != 0) {
    GX_ERROR("galaxyd", "%s", err);
    return -1;
  }
  n->eal_up = 1;
  GX_INFO("galaxyd", "EAL up (%s)", gx_eal_using_hugepages() ? "hugepages" : "no hugepages");
  gx_dp_queue_t *queues[GX_INGEST_MAX_RX];
  int nq = 0;
  if (dpdk_mode) {
    n->dpdk = gx_dpdk_open(&n->dpdk_cfg, err, sizeof err);
    if (!n->dpdk) {
      GX_ERROR("galaxyd", "dpdk: %s", err);
      return -1;
    }
    nq = gx_dpdk_n_queues(n->dpdk);
    for (int i = 0; i < nq && i < GX_INGEST_MAX_RX; i++) queues[i] = gx_dpdk_queue(n->dpdk, i);
  } else {
    gx_sock_cfg_t sc;
    gx_sock_cfg_defaults(&sc);
    sc.bind = c->listen_addr;
    sc.n_queues = c->n_rx;
    sc.rcvbuf_bytes = c->rcvbuf_bytes;
    n->sock = gx_sock_open(&sc, err, sizeof err);
    if (!n->sock) {
      GX_ERROR("galaxyd", "socket dataplane: %s", err);
      return -1;
    }
    nq = gx_sock_n_queues(n->sock);
    for (int i = 0; i < nq; i++) queues[i] = gx_sock_queue(n->sock, i);
    int rb = gx_sock_rcvbuf(n->sock);
    if (rb < c->rcvbuf_bytes)
      GX_WARN("galaxyd", "kernel granted a %d-byte receive buffer of %d asked "
                         "(raise net.core.rmem_max or run with CAP_NET_ADMIN)", rb, c->rcvbuf_bytes);
  }
  if (nq > GX_INGEST_MAX_RX) nq = GX_INGEST_MAX_RX;
  n->ingest = gx_ingest_new(&c->ingest, queues, nq, err, sizeof err);
  if (!n->ingest) {
    GX_ERROR("galaxyd", "ingest: %s", err);
    return -1;
  }
  n->metrics = gx_metrics_global();
  gx_metrics_err_t me = gx_ingest_metrics_register(n->ingest, n->metrics);
  if (!me && n->sock) me = gx_sock_metrics_register(n->sock, n->metrics);
  if (!me && n->dpdk) me = gx_dpdk_metrics_register(n->dpdk, n->metrics);
  char lb[160];
  snprintf(lb, sizeof lb, "version=\"%s\",revision=\"%s\",mode=\"%s\"", GX_VERSION, GX_BUILD_REV,
           c->mode);
  if (!me) me = gx_metrics_info(n->metrics, "gx_build_info", lb, "Build and run mode of this galaxyd.");
  if (!me) me = gx_metrics_gauge_fn(n->metrics, "gx_process_resident_memory_bytes", NULL,
                                    "Resident set size of the galaxyd process.", gx_m_rss, NULL);
  if (!me) me = gx_metrics_gauge_fn(n->metrics, "gx_process_peak_resident_memory_bytes", NULL,
                                    "Peak resident set size (VmHWM) of the galaxyd process.",
                                    gx_m_hwm, NULL);
  if (me) {
    GX_ERROR("galaxyd", "metrics: %s", gx_metrics_strerror(me));
    return -1;
  }
  if (gx_galaxy_open(&n->galaxy, n->ingest, n->dpdk, n->metrics, err, sizeof err) != 0) {
    GX_ERROR("galaxyd", "chain: %s", err);
    return -1;
  }
  /* two listeners, each with its own thread and connection budget: public
   * API load cannot starve metrics and catch-up sync (docs/API.md "Limits") */
  if (c->api_listen[0] && gx_node_http(n, &n->api_http, &c->api, &c->api_addr, "[api] listen",
                                       c->api_listen, c->api_metrics, 1))
    return -1;
  if (c->admin_listen[0] &&
      gx_node_http(n, &n->admin_http, &c->admin, &c->admin_addr,
                   c->admin_legacy ? "[metrics] listen" : "[admin] listen", c->admin_listen, 1,
                   !c->admin_token_metrics))
    return -1;
  if (gx_ingest_start(n->ingest, err, sizeof err) != 0) {
    GX_ERROR("galaxyd", "ingest: %s", err);
    return -1;
  }
  if (gx_galaxy_start(&n->galaxy, err, sizeof err) != 0) {
    GX_ERROR("galaxyd", "chain: %s", err);
    return -1;
  }
  char where[GX_SOCK_ADDR_STRLEN + GX_DPDK_PORT_MAX + 16];
  if (n->sock) {
    gx_addr_t la = c->listen_addr;
    la.port = gx_sock_port(n->sock);
    gx_sock_addr_format(&la, where, sizeof where);
  } else {
    snprintf(where, sizeof where, "DPDK port %s UDP %u", n->dpdk_cfg.port,
             gx_dpdk_local(n->dpdk)->udp_port);
  }
  GX_INFO("galaxyd", "listening on %s (%s, %d RX queue%s, %d verify worker%s), API on %s, "
                     "admin and metrics on %s%s, %d gossip peer%s",
          where, c->mode, nq, nq == 1 ? "" : "s", c->ingest.n_verify,
          c->ingest.n_verify == 1 ? "" : "s", c->api_listen[0] ? c->api_listen : "(off)",
          c->admin_listen[0] ? c->admin_listen : "(off)", c->admin.token[0] ? " (token)" : "",
          c->ingest.gossip.n_peers, c->ingest.gossip.n_peers == 1 ? "" : "s");
  return 0;
}

static void gx_node_stop(gx_node_t *n) {
  gx_galaxy_stop(&n->galaxy); /* it calls into the mempool stage: stop it first */
  if (n->ingest) gx_ingest_stop(n->ingest);
  gx_http_delete(n->api_http); /* after the chain answered its waiting requests, */
  gx_http_delete(n->admin_http); /* before the registry's storage goes away */
  n->api_http = n->admin_http = NULL;
  gx_galaxy_close(&n->galaxy);
  gx_ingest_delete(n->ingest);
  n->ingest = NULL;
  gx_sock_close(n->sock);
  n->sock = NULL;
  if (n->dpdk) gx_dpdk_close(n->dpdk);
  n->dpdk = NULL;
  if (n->eal_up) gx_eal_cleanup();
  n->eal_up = 0;
}

/* [log] file: open (append, create 0640) and put it on fd 2, where the one
 * logger and everything else galaxyd prints write; at start and on SIGHUP.
 * dup2 swaps the file atomically: no line is lost or split between files. */
static int gx_galaxyd_log_open(const char *path, char *err, size_t errlen) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    snprintf(err, errlen, "[log] file %s: %s", path, strerror(errno));
    return -1;
  }
  if (dup2(fd, STDERR_FILENO) < 0) {
    snprintf(err, errlen, "[log] file %s: dup2: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  close(fd);
  return 0;
}

static void gx_usage(FILE *f) {
  fprintf(f,
          "usage: galaxyd [-c FILE] [--set SECTION.KEY=VALUE]... [--check-config]\n"
          "  -c, --config FILE   INI configuration (deploy/galaxyd.ini documents every key)\n"
          "  -s, --set S.K=V     override one key (repeatable), e.g. --set gossip.fanout=4\n"
          "      --check-config  print the resolved configuration and every problem; exit 2\n"
          "                      when there is any\n"
          "  -h, --help          this text\n"
          "      --version       print the version: galaxyd VERSION (rev GIT_REVISION)\n"
          "signals: SIGTERM, SIGINT stop (logged); SIGHUP reopens the [log] file\n");
}

int main(int argc, char **argv) {
  gx_cli_set_prog("galaxyd");
  static gx_node_t node;
  gx_node_t *n = &node;
  const char *config = NULL, *overrides[GX_NODE_MAX_OVERRIDES];
  int n_over = 0, check = 0;
  enum { OPT_CHECK = 1000, OPT_VERSION };
  static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                       {"set", required_argument, 0, 's'},
                                       {"check-config", no_argument, 0, OPT_CHECK},
                                       {"version", no_argument, 0, OPT_VERSION},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
    switch (o) {
      case 'c': config = optarg; break;
      case 's':
        if (n_over >= GX_NODE_MAX_OVERRIDES) return gx_cli_fail(GX_EXIT_USAGE, "too many --set");
        overrides[n_over++] = optarg;
        break;
      case OPT_CHECK: check = 1; break;
      case OPT_VERSION: return gx_cli_version();
      case 'h': gx_usage(stdout); return GX_EXIT_OK;
      default: gx_usage(stderr); return GX_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    gx_usage(stderr);
    return gx_cli_fail(GX_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
  }
  gx_node_cfg_t *c = &n->cfg;
  gx_node_cfg_defaults(c);
  gx_dpdk_cfg_defaults(&n->dpdk_cfg);
  gx_node_cfg_section(c, "dpdk", gx_node_dpdk_key, &n->dpdk_cfg);
  gx_galaxy_defaults(&n->galaxy);
  gx_node_cfg_section(c, "chain", gx_galaxy_cfg_key, &n->galaxy);
  if (config) gx_node_cfg_load(c, config);
  for (int i = 0; i < n_over; i++) gx_node_cfg_override(c, overrides[i]);
  gx_node_cfg_finish(c, 1);
  gx_galaxy_check(&n->galaxy, c);
  int dpdk_mode = !strcmp(c->mode, "dpdk");
  char report[4096] = "";
  if (dpdk_mode) {
    char err[400];
    if (gx_dpdk_cfg_validate(&n->dpdk_cfg, err, sizeof err) != 0)
      gx_node_cfg_problem(c, "[dpdk] %s", err);
    else if (check && gx_dpdk_check(&n->dpdk_cfg, report, sizeof report) != 0)
      gx_node_cfg_problem(c, "[dpdk] cannot start DPDK mode (see the report above)");
    if (n->dpdk_cfg.rx_queues != c->n_rx && c->n_rx > 0)
      gx_node_cfg_problem(c, "[cores] rx lists %d core%s but [dpdk] rx_queues is %u", c->n_rx,
                          c->n_rx == 1 ? "" : "s", n->dpdk_cfg.rx_queues);
    if (!c->n_problems && gx_galaxy_dpdk_check(&n->galaxy, &n->dpdk_cfg.local, err, sizeof err))
      gx_node_cfg_problem(c, "%s", err);
  }
  if (check) {
    gx_node_cfg_print(c, stdout);
    gx_galaxy_print(&n->galaxy, stdout);
    if (report[0]) printf("\n# dpdk pre-flight\n%s", report);
  }
  for (int i = 0; i < c->n_problems; i++) gx_cli_fail(GX_EXIT_USAGE, "%s", c->problems[i]);
  if (c->n_problems) return GX_EXIT_USAGE;
  if (check) {
    if (c->cores_shared) printf("# note: some cores run more than one stage\n");
    printf("# config OK\n");
    return GX_EXIT_OK;
  }
  gx_log_set_level((gx_log_level_t)gx_log_parse_level(c->log_level));
  char logerr[400];
  if (c->log_file[0] && gx_galaxyd_log_open(c->log_file, logerr, sizeof logerr) != 0)
    return gx_cli_fail(GX_EXIT_FAIL, "%s", logerr);
  if (c->cores_shared)
    GX_WARN("galaxyd", "some cores run more than one stage ([cores]); fine for small hosts, "
                       "slower under load");
  if (sodium_init() < 0) return gx_cli_fail(GX_EXIT_FAIL, "libsodium failed to initialise");
  /* every thread inherits this mask: only the main thread takes the signals */
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (gx_node_start(n) != 0) {
    gx_node_stop(n);
    return GX_EXIT_FAIL;
  }
  int sig = 0;
  for (;;) {
    if (sigwait(&sigs, &sig) != 0) continue;
    if (sig != SIGHUP) break;
    if (!c->log_file[0]) {
      GX_INFO("galaxyd", "SIGHUP: nothing to reopen (logging to stderr)");
    } else if (gx_galaxyd_log_open(c->log_file, logerr, sizeof logerr) != 0) {
      GX_ERROR("galaxyd", "SIGHUP: %s (still writing to the old file)", logerr);
    } else {
      GX_INFO("galaxyd", "SIGHUP: log file %s reopened", c->log_file);
    }
  }
  GX_INFO("galaxyd", "%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  gx_node_stop(n);
  GX_INFO("galaxyd", "stopped");
  return GX_EXIT_OK;
}
