/* galaxyctl monitor: a live table of any set of galaxyd nodes (ncurses), in
 * the spirit of Firedancer's `fdctl monitor` (docs/OPERATIONS.md "Watching a
 * network").
 *
 *   galaxyctl monitor --urls URL,URL...            nodes by their HTTP API
 *   galaxyctl monitor --genesis FILE --api-port-offset N | --api-port P
 *   galaxyctl monitor ... --once                   one plain table on stdout
 *
 * One poller thread per node asks URL/v1/status and URL/metrics every
 * --interval ms with libcurl (connect and transfer timeouts, aborted at once
 * when the monitor stops), decodes them (apps/galaxyctl/monitor_scrape.h) and
 * publishes the result under the node's mutex. The main thread only reads
 * those and draws: a dead node never blocks the screen. Keys: s (next sort
 * column), 1..9 (sort by that column; again: reverse), r (reverse), Up/Down
 * (select), Enter or d (the selected node's detail; Esc, Enter or d back),
 * q or Ctrl-C (quit: the terminal is restored, exit 0).
 *
 * SIGTERM or SIGHUP end it the same way, with exit 128 + the signal.
 *
 * --once (or stdout or stdin not a terminal): polls every node twice,
 * --interval apart (for rates), prints the table and exits 0 when every node
 * answered, 1 otherwise. Exit 2: bad arguments (apps/gx_cli.h).
 *
 * Memory: every node's slot (history, answer buffers of 64 KiB and 1 MiB) is
 * allocated once before the pollers start; polling allocates nothing of ours
 * (libcurl keeps its own). Errors: one line on stderr at start-up; after
 * that, a node's failures are shown in its row and detail, never printed. */
#include <curl/curl.h>
#include <curses.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apps/galaxyctl/monitor_scrape.h"
#include "apps/gx_cli.h"
#include "validator/gx_genesis.h"

#define MON_USAGE                                                                              \
  "[--urls URL,URL...] [--genesis FILE --api-port-offset N|--api-port P] [--token-file F]\n" \
  "             [--interval MS] [--timeout MS] [--sort COLUMN] [--once]"
#define MON_MAX_NODES 128
#define MON_STATUS_MAX (64u << 10)   /* bytes of a /v1/status answer we take */
#define MON_METRICS_MAX (1u << 20)   /* bytes of a /metrics answer we take */
#define MON_TOKEN_MAX 256

typedef struct {
  char *buf;
  size_t len, cap;
  int overflow;
} mon_body_t;

typedef struct {
  pthread_mutex_t lock;
  gx_mon_node_t node;          /* under lock */
  pthread_t thread;
  int started;
  /* the poller's own */
  char url[GX_MON_URL_MAX];
  mon_body_t status, metrics;
  gx_mon_metrics_t m;
} mon_slot_t;

static struct {
  mon_slot_t *slot;
  unsigned n;
  char token[MON_TOKEN_MAX];
  long interval_ms, timeout_ms;
  int rounds;                  /* polls per node; 0: until stopped */
  atomic_int stop;
  pthread_mutex_t wake_lock;   /* the pollers wait on wake (CLOCK_MONOTONIC) between polls */
  pthread_cond_t wake;
} mon;

static volatile sig_atomic_t mon_signal;

static void mon_on_signal(int sig) { mon_signal = sig; }

static double mon_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- polling -------------------------------------------------------------------- */

static size_t mon_write(char *p, size_t size, size_t nmemb, void *ud) {
  mon_body_t *b = ud;
  size_t n = size * nmemb;
  if (n > b->cap - b->len) {
    b->overflow = 1;
    return 0; /* too large: curl stops with a write error */
  }
  memcpy(b->buf + b->len, p, n);
  b->len += n;
  return n;
}

static int mon_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
  return atomic_load(&mon.stop) ? 1 : 0;
}

/* GET base+path into b. GX_MON_UP on a 200; otherwise the state and a line in err. */
static gx_mon_state_t mon_fetch(CURL *c, const char *base, const char *path, mon_body_t *b,
                                int *http, char *err, size_t errlen) {
  char url[GX_MON_URL_MAX + 16], cerr[CURL_ERROR_SIZE] = "";
  snprintf(url, sizeof url, "%s%s", base, path);
  b->len = 0;
  b->overflow = 0;
  *http = 0;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK) {
    if (b->overflow)
      snprintf(err, errlen, "%s: answer larger than %zu bytes", path, b->cap);
    else
      snprintf(err, errlen, "%s: %s", path, cerr[0] ? cerr : curl_easy_strerror(rc));
    return rc == CURLE_COULDNT_CONNECT ? GX_MON_DOWN : GX_MON_UNREACH;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  *http = (int)code;
  if (code != 200) {
    snprintf(err, errlen, "%s: HTTP %ld", path, code);
    return GX_MON_HTTP;
  }
  return GX_MON_UP;
}

static void mon_poll_once(mon_slot_t *s, CURL *c) {
  char err[GX_MON_ERR_MAX] = "";
  int http = 0, mhttp = 0;
  gx_mon_status_t st;
  const gx_mon_status_t *stp = NULL;
  const gx_mon_metrics_t *mp = NULL;
  gx_mon_state_t state = mon_fetch(c, s->url, "/v1/status", &s->status, &http, err, sizeof err);
  if (state == GX_MON_UP) {
    const char *why = gx_mon_status_decode(s->status.buf, s->status.len, &st);
    if (why) {
      state = GX_MON_BAD;
      snprintf(err, sizeof err, "/v1/status: %s", why);
    } else {
      stp = &st;
    }
  }
  if (stp && mon_fetch(c, s->url, "/metrics", &s->metrics, &mhttp, err, sizeof err) == GX_MON_UP) {
    unsigned line;
    const char *why = gx_mon_metrics_decode(s->metrics.buf, s->metrics.len, &s->m, &line);
    if (why) snprintf(err, sizeof err, "/metrics line %u: %s", line, why);
    else mp = &s->m;
  }
  double t = mon_now();
  pthread_mutex_lock(&s->lock);
  gx_mon_node_update(&s->node, t, state, http, stp, mp, err);
  pthread_mutex_unlock(&s->lock);
}

static void *mon_poll_main(void *arg) {
  mon_slot_t *s = arg;
  CURL *c = curl_easy_init();
  if (!c) {
    pthread_mutex_lock(&s->lock);
    gx_mon_node_update(&s->node, mon_now(), GX_MON_UNREACH, 0, NULL, NULL, "libcurl failed to start");
    pthread_mutex_unlock(&s->lock);
    return NULL;
  }
  long connect_ms = mon.timeout_ms < 500 ? mon.timeout_ms : 500;
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, mon.timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, mon_write);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, mon_progress);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "galaxyctl-monitor/" GX_VERSION);
  if (mon.token[0]) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, mon.token);
  }
  double next = mon_now();
  for (int round = 0; !atomic_load(&mon.stop) && (!mon.rounds || round < mon.rounds); round++) {
    struct timespec until = {(time_t)next, (long)((next - (double)(time_t)next) * 1e9)};
    pthread_mutex_lock(&mon.wake_lock); /* until the next poll, or a stop (broadcast) */
    while (!atomic_load(&mon.stop) && mon_now() < next)
      if (pthread_cond_timedwait(&mon.wake, &mon.wake_lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&mon.wake_lock);
    if (atomic_load(&mon.stop)) break;
    mon_poll_once(s, c);
    next += (double)mon.interval_ms / 1e3;
    if (next < mon_now()) next = mon_now(); /* a slow poll: no burst to catch up */
  }
  curl_easy_cleanup(c);
  return NULL;
}

static int mon_start_pollers(void) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old); /* signals go to the main thread */
  int rc = 0;
  for (unsigned i = 0; i < mon.n; i++) {
    if (pthread_create(&mon.slot[i].thread, NULL, mon_poll_main, &mon.slot[i]) != 0) {
      rc = -1;
      break;
    }
    mon.slot[i].started = 1;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

static void mon_stop_pollers(void) {
  pthread_mutex_lock(&mon.wake_lock);
  atomic_store(&mon.stop, 1);
  pthread_cond_broadcast(&mon.wake);
  pthread_mutex_unlock(&mon.wake_lock);
  for (unsigned i = 0; i < mon.n; i++)
    if (mon.slot[i].started) pthread_join(mon.slot[i].thread, NULL);
}

/* The rows of every node now, in slot order; *best the best height. */
static void mon_snapshot(const gx_mon_view_t *v, gx_mon_row_t *rows, uint64_t *best, int *have_best) {
  *best = 0;
  *have_best = 0;
  for (unsigned i = 0; i < mon.n; i++) {
    mon_slot_t *s = &mon.slot[i];
    pthread_mutex_lock(&s->lock);
    const gx_mon_node_t *np = &s->node;
    int h;
    uint64_t b = gx_mon_best_height(&np, 1, &h);
    pthread_mutex_unlock(&s->lock);
    if (h && (!*have_best || b > *best)) *best = b;
    *have_best |= h;
  }
  for (unsigned i = 0; i < mon.n; i++) {
    mon_slot_t *s = &mon.slot[i];
    pthread_mutex_lock(&s->lock);
    gx_mon_row(&s->node, v, *best, *have_best, &rows[i]);
    pthread_mutex_unlock(&s->lock);
  }
}

/* ---- --once ------------------------------------------------------------------------ */

static int mon_once(gx_mon_col_t sort, int reverse) {
  mon.rounds = 2;
  if (mon_start_pollers()) {
    mon_stop_pollers();
    return gx_cli_fail(GX_EXIT_FAIL, "monitor: cannot start a poller thread");
  }
  for (unsigned i = 0; i < mon.n; i++)
    if (mon.slot[i].started) pthread_join(mon.slot[i].thread, NULL), mon.slot[i].started = 0;
  gx_mon_view_t v = {5.0, 0.0}; /* latency since each node started: two polls hold few epochs */
  gx_mon_row_t *rows = calloc(mon.n, sizeof *rows);
  if (!rows) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  uint64_t best;
  int have_best, all_up = 1;
  mon_snapshot(&v, rows, &best, &have_best);
  gx_mon_sort(rows, mon.n, sort, reverse);
  char line[GX_MON_LINE_MAX];
  gx_mon_format_header(line);
  printf("%s\n", line);
  for (unsigned i = 0; i < mon.n; i++) {
    gx_mon_format_row(&rows[i], line);
    printf("%s\n", line);
    all_up &= rows[i].up;
  }
  fflush(stdout);
  free(rows);
  return all_up ? GX_EXIT_OK : GX_EXIT_FAIL;
}

/* ---- the screen ---------------------------------------------------------------------- */

enum { MON_PAIR_RED = 1, MON_PAIR_YELLOW, MON_PAIR_GREEN };

static attr_t mon_color_attr(gx_mon_color_t c) {
  if (!has_colors()) return c == GX_MON_RED ? A_BOLD : A_NORMAL;
  switch (c) {
    case GX_MON_RED: return COLOR_PAIR(MON_PAIR_RED) | A_BOLD;
    case GX_MON_YELLOW: return COLOR_PAIR(MON_PAIR_YELLOW);
    case GX_MON_GREEN: return COLOR_PAIR(MON_PAIR_GREEN);
    default: return A_NORMAL;
  }
}

typedef struct {
  gx_mon_col_t sort;
  int reverse;
  unsigned selected;           /* node index (slot) of the cursor */
  int detail;                  /* showing the selected node's detail */
  unsigned top;                /* first row shown */
} mon_ui_t;

static void mon_draw_table(mon_ui_t *ui, const gx_mon_view_t *v, gx_mon_row_t *rows) {
  uint64_t best;
  int have_best, rows_y = 3, H = LINES, W = COLS;
  mon_snapshot(v, rows, &best, &have_best);
  gx_mon_sort(rows, mon.n, ui->sort, ui->reverse);
  unsigned up = 0, pos = 0;
  for (unsigned i = 0; i < mon.n; i++) {
    up += (unsigned)rows[i].up;
    if (rows[i].idx == ui->selected) pos = i;
  }
  erase();
  char b[GX_MON_LINE_MAX * 2], hb[32];
  snprintf(hb, sizeof hb, have_best ? "%llu" : "-", (unsigned long long)best);
  snprintf(b, sizeof b, "galaxyctl monitor  %u nodes, %u up  best height %s  every %.1fs  sort: %s%s",
           mon.n, up, hb, (double)mon.interval_ms / 1e3, gx_mon_col_name(ui->sort),
           ui->reverse ? " (reversed)" : "");
  attron(A_BOLD);
  mvaddnstr(0, 0, b, W);
  attroff(A_BOLD);
  mvaddnstr(1, 0,
            "keys: s next sort column, 1-9 sort by column (again: reverse), r reverse, "
            "Up/Down select, Enter/d detail, q quit",
            W);
  char line[GX_MON_LINE_MAX];
  gx_mon_format_header(line);
  attron(A_BOLD | A_UNDERLINE);
  mvaddnstr(2, 0, line, W);
  attroff(A_BOLD | A_UNDERLINE);
  unsigned visible = H > rows_y ? (unsigned)(H - rows_y) : 0;
  if (pos < ui->top) ui->top = pos;
  if (visible && pos >= ui->top + visible) ui->top = pos - visible + 1;
  if (ui->top >= mon.n) ui->top = 0;
  unsigned off = gx_mon_status_offset();
  for (unsigned i = ui->top, y = (unsigned)rows_y; i < mon.n && y < (unsigned)H; i++, y++) {
    gx_mon_format_row(&rows[i], line);
    attr_t base = i == pos ? A_REVERSE : A_NORMAL;
    attron(base);
    mvaddnstr((int)y, 0, line, W);
    attroff(base);
    if ((int)off < W && strlen(line) > off) { /* the status cell again, in its colour */
      int w = W - (int)off < GX_MON_STATUS_WIDTH ? W - (int)off : GX_MON_STATUS_WIDTH;
      attron(base | mon_color_attr(rows[i].color));
      mvaddnstr((int)y, (int)off, line + off, w);
      attroff(base | mon_color_attr(rows[i].color));
    }
  }
  refresh();
}

static void mon_draw_detail(mon_ui_t *ui, const gx_mon_view_t *v, gx_mon_row_t *rows) {
  uint64_t best;
  int have_best;
  mon_snapshot(v, rows, &best, &have_best); /* the best height */
  static char lines[GX_MON_DETAIL_MAX][GX_MON_LINE_MAX];
  mon_slot_t *s = &mon.slot[ui->selected];
  pthread_mutex_lock(&s->lock);
  unsigned n = gx_mon_format_detail(&s->node, v, best, have_best, mon_now(), lines, GX_MON_DETAIL_MAX);
  gx_mon_color_t color = rows[ui->selected].color;
  pthread_mutex_unlock(&s->lock);
  erase();
  for (unsigned i = 0; i < n && (int)i < LINES - 1; i++) {
    attr_t a = i == 0 ? (A_BOLD | mon_color_attr(color)) : A_NORMAL;
    attron(a);
    mvaddnstr((int)i, 0, lines[i], COLS);
    attroff(a);
  }
  mvaddnstr(LINES - 1, 0, "detail: Esc, Enter or d back to the table; q quit", COLS);
  refresh();
}

/* Moves the cursor by delta rows in the current order. */
static void mon_move(mon_ui_t *ui, gx_mon_row_t *rows, const gx_mon_view_t *v, int delta) {
  uint64_t best;
  int have_best;
  mon_snapshot(v, rows, &best, &have_best);
  gx_mon_sort(rows, mon.n, ui->sort, ui->reverse);
  int pos = 0;
  for (unsigned i = 0; i < mon.n; i++)
    if (rows[i].idx == ui->selected) pos = (int)i;
  pos += delta;
  if (pos < 0) pos = 0;
  if (pos >= (int)mon.n) pos = (int)mon.n - 1;
  ui->selected = rows[pos].idx;
}

static int mon_ui(gx_mon_col_t sort, int reverse) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = mon_on_signal; /* no SA_RESTART: getch returns */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  gx_mon_row_t *rows = calloc(mon.n, sizeof *rows);
  if (!rows) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  if (mon_start_pollers()) {
    mon_stop_pollers();
    free(rows);
    return gx_cli_fail(GX_EXIT_FAIL, "monitor: cannot start a poller thread");
  }
  SCREEN *scr = newterm(NULL, stdout, stdin);
  if (!scr) {
    mon_stop_pollers();
    free(rows);
    const char *term = getenv("TERM");
    return gx_cli_fail(GX_EXIT_FAIL, "monitor: cannot drive the terminal (TERM=%s); --once prints a table",
                       term ? term : "");
  }
  set_term(scr);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  curs_set(0);
  set_escdelay(25);
  timeout(100);
  if (has_colors()) {
    start_color();
    short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
    init_pair(MON_PAIR_RED, COLOR_RED, bg);
    init_pair(MON_PAIR_YELLOW, COLOR_YELLOW, bg);
    init_pair(MON_PAIR_GREEN, COLOR_GREEN, bg);
  }
  gx_mon_view_t v = {5.0, 10.0};
  mon_ui_t ui = {sort, reverse, 0, 0, 0};
  double drawn = 0;
  int dirty = 1;
  while (!mon_signal) {
    double now = mon_now();
    if (dirty || now - drawn >= 0.25) {
      if (ui.detail) mon_draw_detail(&ui, &v, rows);
      else mon_draw_table(&ui, &v, rows);
      drawn = now;
      dirty = 0;
    }
    int ch = getch();
    if (ch == ERR) continue;
    dirty = 1;
    if (ch == 'q' || ch == 'Q') break;
    if (ui.detail) {
      if (ch == 27 || ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == 'd' || ch == KEY_BACKSPACE ||
          ch == KEY_LEFT)
        ui.detail = 0;
      continue;
    }
    if (ch == 's') {
      ui.sort = (gx_mon_col_t)((ui.sort + 1) % GX_MON_COL__SORTABLE);
      ui.reverse = 0;
    } else if (ch >= '1' && ch <= '9') {
      gx_mon_col_t c = (gx_mon_col_t)(ch - '1');
      if (c == ui.sort) ui.reverse = !ui.reverse;
      else ui.sort = c, ui.reverse = 0;
    } else if (ch == 'r') {
      ui.reverse = !ui.reverse;
    } else if (ch == KEY_UP || ch == 'k') {
      mon_move(&ui, rows, &v, -1);
    } else if (ch == KEY_DOWN || ch == 'j') {
      mon_move(&ui, rows, &v, 1);
    } else if (ch == KEY_PPAGE) {
      mon_move(&ui, rows, &v, -(LINES > 4 ? LINES - 4 : 1));
    } else if (ch == KEY_NPAGE) {
      mon_move(&ui, rows, &v, LINES > 4 ? LINES - 4 : 1);
    } else if (ch == KEY_HOME || ch == 'g') {
      mon_move(&ui, rows, &v, -(int)mon.n);
    } else if (ch == KEY_END || ch == 'G') {
      mon_move(&ui, rows, &v, (int)mon.n);
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == 'd') {
      ui.detail = 1;
    }
  }
  endwin();
  delscreen(scr);
  mon_stop_pollers();
  free(rows);
  int sig = mon_signal;
  return sig && sig != SIGINT ? 128 + sig : GX_EXIT_OK;
}

/* ---- arguments ------------------------------------------------------------------------- */

static int mon_add(const char *url, const char *label) {
  if (mon.n == MON_MAX_NODES) return gx_cli_fail(GX_EXIT_USAGE, "monitor: more than %d nodes", MON_MAX_NODES);
  mon_slot_t *s = &mon.slot[mon.n];
  const char *why = gx_mon_node_init(&s->node, mon.n, url, label);
  if (why) return gx_cli_fail(GX_EXIT_USAGE, "monitor: '%s': %s", url, why);
  snprintf(s->url, sizeof s->url, "%s", s->node.url);
  mon.n++;
  return 0;
}

static int mon_add_list(const char *list) {
  char one[GX_MON_URL_MAX + 1];
  for (const char *p = list;;) {
    size_t l = strcspn(p, ",");
    if (!l) return gx_cli_fail(GX_EXIT_USAGE, "--urls: an empty URL in '%s'", list);
    if (l >= sizeof one) return gx_cli_fail(GX_EXIT_USAGE, "--urls: a URL longer than %d characters", GX_MON_URL_MAX);
    memcpy(one, p, l);
    one[l] = 0;
    int rc = mon_add(one, NULL);
    if (rc) return rc;
    if (!p[l]) return 0;
    p += l + 1;
  }
}

/* The validators of a genesis file, at their genesis host and port + offset
 * (offset >= 0) or at port (offset < 0). */
static int mon_add_genesis(const char *file, long offset, long port) {
  gx_genesis_t *g = malloc(sizeof *g);
  gx_ledger_alloc_t *bal = malloc(sizeof *bal * (1u << 20));
  int rc = 0;
  if (!g || !bal) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    goto done;
  }
  gx_genesis_init(g, bal, 1u << 20);
  char err[400];
  gx_genesis_err_t e = gx_genesis_load(g, file, err, sizeof err);
  if (e != GX_GENESIS_OK) {
    rc = gx_cli_fail(e == GX_GENESIS_ERR_IO ? GX_EXIT_FAIL : GX_EXIT_USAGE, "%s", err);
    goto done;
  }
  for (unsigned i = 0; i < g->n && !rc; i++) {
    long p = offset >= 0 ? (long)g->v[i].port + offset : port;
    if (p < 1 || p > 65535) {
      rc = gx_cli_fail(GX_EXIT_USAGE, "--api-port-offset %ld: validator %u's port %u + %ld is past 65535",
                       offset, i, g->v[i].port, offset);
      break;
    }
    int v6 = strchr(g->v[i].host, ':') != NULL;
    char url[GX_MON_URL_MAX], label[48];
    snprintf(url, sizeof url, "http://%s%s%s:%ld", v6 ? "[" : "", g->v[i].host, v6 ? "]" : "", p);
    snprintf(label, sizeof label, "v%u %s%s%s:%ld", i, v6 ? "[" : "", g->v[i].host, v6 ? "]" : "", p);
    rc = mon_add(url, label);
  }
done:
  free(bal);
  free(g);
  return rc;
}

static int mon_read_token(const char *path) {
  gx_cli_warn_loose_mode(path);
  FILE *f = fopen(path, "r");
  if (!f) return gx_cli_fail(GX_EXIT_USAGE, "--token-file %s: %s", path, strerror(errno));
  size_t n = fread(mon.token, 1, sizeof mon.token - 1, f);
  int more = fgetc(f) != EOF;
  fclose(f);
  mon.token[n] = 0;
  while (n && (mon.token[n - 1] == '\n' || mon.token[n - 1] == '\r' || mon.token[n - 1] == ' ')) mon.token[--n] = 0;
  if (more) return gx_cli_fail(GX_EXIT_USAGE, "--token-file %s: longer than %d bytes", path, MON_TOKEN_MAX - 1);
  if (!n) return gx_cli_fail(GX_EXIT_USAGE, "--token-file %s: empty", path);
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)mon.token[i] <= 0x20 || (unsigned char)mon.token[i] >= 0x7f)
      return gx_cli_fail(GX_EXIT_USAGE, "--token-file %s: the token has a space or control byte", path);
  return 0;
}

static int ctl_monitor(int argc, char **argv) {
  const char *urls[MON_MAX_NODES], *genesis = NULL, *token_file = NULL;
  unsigned nurls = 0;
  uint64_t offset = 0, port = 0, interval = 1000, timeout = 800;
  int have_offset = 0, have_port = 0, once = 0, rc = 0;
  gx_mon_col_t sort = GX_MON_COL_NODE;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    rc = 0;
    if (!strcmp(a, "--api-port-offset")) rc = gx_cli_parse_u64(a, v, 0, 65534, &offset), have_offset = 1, i++;
    else if (!strcmp(a, "--api-port")) rc = gx_cli_parse_u64(a, v, 1, 65535, &port), have_port = 1, i++;
    else if (!strcmp(a, "--interval")) rc = gx_cli_parse_u64(a, v, 100, 60000, &interval), i++;
    else if (!strcmp(a, "--timeout")) rc = gx_cli_parse_u64(a, v, 50, 10000, &timeout), i++;
    else if (!strcmp(a, "--once")) once = 1;
    else if (!strcmp(a, "--urls") || !strcmp(a, "--genesis") || !strcmp(a, "--token-file") ||
             !strcmp(a, "--sort")) {
      if (!v || !v[0] || (v[0] == '-' && v[1] == '-'))
        return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
      if (!strcmp(a, "--urls")) {
        if (nurls == MON_MAX_NODES) return gx_cli_fail(GX_EXIT_USAGE, "too many --urls");
        urls[nurls++] = v;
      } else if (!strcmp(a, "--genesis")) {
        genesis = v;
      } else if (!strcmp(a, "--token-file")) {
        token_file = v;
      } else {
        int c = gx_mon_col_parse(v);
        if (c < 0)
          return gx_cli_fail(GX_EXIT_USAGE, "--sort '%s': not a column (node, role, status, height, lag, "
                             "commit, verify, drops, queue, p50, p99, sync)", v);
        sort = (gx_mon_col_t)c;
      }
      i++;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("usage: galaxyctl monitor " MON_USAGE "\n"
             "  a live table of galaxyd nodes: role, status, height and lag behind the best node,\n"
             "  committed/s, verified/s, drops/s and the top drop reason, fullest queue, epoch\n"
             "  latency p50/p99, syncing (docs/OPERATIONS.md \"Watching a network\")\n"
             "  --urls URL,URL...     the nodes' HTTP API (/v1/status and /metrics), e.g.\n"
             "                        http://10.0.0.1:7110; may repeat; bare URLs work too\n"
             "  --genesis FILE        every validator of a genesis, at its genesis host and\n"
             "    --api-port-offset N   consensus port + N (make run and the tests: 100)\n"
             "    --api-port P          or port P on every host (a deployment: 7110 or 7111)\n"
             "  --token-file F        send the bearer token in F (an [admin] listener)\n"
             "  --interval MS         poll every MS ms (1000); --timeout MS per request (800)\n"
             "  --sort COLUMN         node role status height lag commit verify drops queue p50 p99 sync\n"
             "  --once                poll twice, print one table, exit 0 when every node answered\n"
             "                        (1 otherwise); also when stdout is not a terminal\n"
             "  keys: s next sort column, 1-9 sort by column (again: reverse), r reverse,\n"
             "        Up/Down select, Enter or d detail (Esc back), q or Ctrl-C quit\n");
      return GX_EXIT_OK;
    } else if (a[0] != '-') {
      if (nurls == MON_MAX_NODES) return gx_cli_fail(GX_EXIT_USAGE, "too many URLs");
      urls[nurls++] = a;
    } else {
      return gx_cli_fail(GX_EXIT_USAGE, "monitor: unknown option '%s' (try galaxyctl monitor --help)", a);
    }
    if (rc) return rc;
  }
  if (!genesis && !nurls)
    return gx_cli_fail(GX_EXIT_USAGE, "monitor needs --urls URL,URL... or --genesis FILE");
  if (!genesis && (have_offset || have_port))
    return gx_cli_fail(GX_EXIT_USAGE, "--api-port-offset and --api-port go with --genesis");
  if (genesis && have_offset == have_port)
    return gx_cli_fail(GX_EXIT_USAGE, "--genesis needs --api-port-offset N or --api-port P: a genesis "
                       "holds the validators' consensus addresses, not their HTTP ports");
  memset(&mon, 0, sizeof mon);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&mon.wake, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&mon.wake_lock, NULL);
  mon.interval_ms = (long)interval;
  mon.timeout_ms = (long)timeout;
  if (token_file && (rc = mon_read_token(token_file))) return rc;
  mon.slot = calloc(MON_MAX_NODES, sizeof *mon.slot);
  if (!mon.slot) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  if (genesis) rc = mon_add_genesis(genesis, have_offset ? (long)offset : -1, (long)port);
  for (unsigned i = 0; i < nurls && !rc; i++) rc = mon_add_list(urls[i]);
  for (unsigned i = 0; i < mon.n && !rc; i++) {
    mon_slot_t *s = &mon.slot[i];
    pthread_mutex_init(&s->lock, NULL);
    s->status.cap = MON_STATUS_MAX;
    s->metrics.cap = MON_METRICS_MAX;
    s->status.buf = malloc(s->status.cap);
    s->metrics.buf = malloc(s->metrics.cap);
    if (!s->status.buf || !s->metrics.buf) rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  }
  if (!rc) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    if (once || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) rc = mon_once(sort, 0);
    else rc = mon_ui(sort, 0);
    curl_global_cleanup();
  }
  for (unsigned i = 0; i < MON_MAX_NODES; i++) {
    free(mon.slot[i].status.buf);
    free(mon.slot[i].metrics.buf);
  }
  free(mon.slot);
  pthread_cond_destroy(&mon.wake);
  pthread_mutex_destroy(&mon.wake_lock);
  return rc;
}

GX_CTL_COMMAND("monitor", "--urls URL,URL... | --genesis FILE --api-port-offset N [--once]: live table of nodes",
               ctl_monitor);
