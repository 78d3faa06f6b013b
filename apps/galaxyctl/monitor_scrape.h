/* monitor_scrape: the pure half of `galaxyctl monitor` (apps/galaxyctl/monitor.c,
 * docs/OPERATIONS.md "Watching a network"): it decodes what a node answers,
 * keeps a short history per node, and turns it into one table row.
 *
 *  - gx_mon_status_decode: a node's /v1/status JSON (docs/API.md) read by a
 *    bounded walker over the object's top-level members (height, role,
 *    validator, syncing, healthy, failure, ...). Absent members are allowed
 *    but height.
 *  - gx_mon_metrics_decode: a node's /metrics Prometheus text (format 0.0.4).
 *    Every sample line must be well formed (name, optional {labels}, value,
 *    optional timestamp); of the families, only those the monitor shows are
 *    kept (gx_transfers_committed_total, gx_verify_ok_total, the drop
 *    families, gx_queue_depth/capacity, gx_epoch_commit_seconds buckets, link
 *    and consensus counters; docs/GALAXYD.md names them all), into fixed
 *    arrays: more reasons than fit are summed into "other".
 *  - gx_mon_node_*: the history of one node: its last status, its last error,
 *    and a ring of GX_MON_RING metric samples from which rates (over
 *    rate_window seconds) and epoch latency quantiles (over lat_window
 *    seconds, the way Prometheus's histogram_quantile interpolates) come. A
 *    counter that went down (the node restarted) restarts the history.
 *  - gx_mon_row / gx_mon_sort / gx_mon_format_*: the table itself, the same
 *    text for the curses screen and for --once. Every string that came from a
 *    node is cleaned to printable ASCII before it is kept, so nothing a node
 *    sends can drive the terminal.
 *
 * Memory: every structure is caller-owned and fixed in size; nothing
 * allocates. Threads: any; a gx_mon_node_t is not locked here (monitor.c
 * guards each with its own mutex). Errors: the decoders return NULL, or a
 * static one-line reason (and leave *out zeroed); nothing is printed. Times
 * are seconds on the caller's monotonic clock. */
#ifndef GX_MON_SCRAPE_H
#define GX_MON_SCRAPE_H

#include <stddef.h>
#include <stdint.h>

#define GX_MON_NAME_MAX 32     /* a reason or queue name, NUL included */
#define GX_MON_DROPS_MAX 48    /* drop reasons kept (the last one is "other") */
#define GX_MON_QUEUES_MAX 8
#define GX_MON_KV_MAX 16       /* link outcomes, consensus drop reasons */
#define GX_MON_BUCKETS_MAX 32  /* histogram buckets, +Inf included */
#define GX_MON_RING 12         /* metric samples kept per node */
#define GX_MON_URL_MAX 256
#define GX_MON_ERR_MAX 160
#define GX_MON_LINE_MAX 160    /* one formatted table or detail line, NUL included */
#define GX_MON_DETAIL_MAX 64   /* detail lines */

/* ---- /v1/status --------------------------------------------------------- */
typedef struct {
  char role[16];       /* "role" when the node says; "" otherwise */
  char name[64];       /* chain name */
  char failure[128];   /* why the commit stage stopped ("" when it runs) */
  int chain;           /* 1 / 0, -1 absent */
  int syncing;         /* 1 / 0, -1 absent */
  int healthy;         /* 1 / 0, -1 absent */
  int has_validator;
  int64_t validator;   /* committee member index; -1: not a member */
  uint64_t validators, committee_changes, height, transfers, certificates, mempool, verified,
      synced;
} gx_mon_status_t;

const char *gx_mon_status_decode(const char *body, size_t len, gx_mon_status_t *out);

/* ---- /metrics ----------------------------------------------------------- */
typedef struct {
  char name[GX_MON_NAME_MAX];
  double v;
} gx_mon_kv_t;

typedef struct {
  char name[GX_MON_NAME_MAX];
  double depth, cap;
} gx_mon_queue_t;

enum { /* gx_mon_metrics_t.have */
  GX_MON_HAVE_COMMITTED = 1u << 0,
  GX_MON_HAVE_VERIFIED = 1u << 1,
  GX_MON_HAVE_HEIGHT = 1u << 2,
  GX_MON_HAVE_EPOCH = 1u << 3,
};

typedef struct {
  unsigned have;
  double committed;      /* gx_transfers_committed_total */
  double verified;       /* gx_verify_ok_total */
  double height;         /* gx_blackhole_height */
  double mempool, mempool_cap;       /* gx_mempool_transfers, gx_mempool_capacity */
  double certificates, sync_ok, sync_failed;
  double cons_in, cons_out, cons_bytes;
  /* drops by reason: gx_ingress_drops_total{reason=R} as R, gx_gate_drops_total
   * as gate_R (both stages), gx_parse_errors_total as parse_R,
   * gx_verify_failed_total as bad_signature, gx_mempool_rejected_total as pool_R */
  uint32_t n_drops;
  gx_mon_kv_t drops[GX_MON_DROPS_MAX];
  uint32_t n_queues;
  gx_mon_queue_t queue[GX_MON_QUEUES_MAX];
  uint32_t n_link;                   /* gx_link_datagrams_total{outcome} */
  gx_mon_kv_t link[GX_MON_KV_MAX];
  uint32_t n_cdrop;                  /* gx_consensus_dropped_total{reason} */
  gx_mon_kv_t cdrop[GX_MON_KV_MAX];
  uint32_t n_buckets;                /* gx_epoch_commit_seconds, by le ascending */
  double le[GX_MON_BUCKETS_MAX], cum[GX_MON_BUCKETS_MAX];
} gx_mon_metrics_t;

/* On a malformed line returns the reason and sets *bad_line (1-based) when
 * bad_line is not NULL. */
const char *gx_mon_metrics_decode(const char *text, size_t len, gx_mon_metrics_t *out,
                                  unsigned *bad_line);

/* The q-quantile (0 < q < 1) of the observations between two cumulative
 * snapshots of one histogram (old may be NULL: since the start), linear
 * within a bucket, the highest finite bound when it falls in +Inf, as
 * Prometheus's histogram_quantile. Negative when there is no observation;
 * *count (may be NULL) gets the number of observations. */
double gx_mon_quantile(const gx_mon_metrics_t *old, const gx_mon_metrics_t *cur, double q,
                       double *count);

/* ---- one node's history -------------------------------------------------- */
typedef enum {
  GX_MON_WAIT = 0, /* not polled yet */
  GX_MON_UP,       /* /v1/status answered and decoded */
  GX_MON_DOWN,     /* connection refused */
  GX_MON_UNREACH,  /* timeout, no route, name not resolved */
  GX_MON_HTTP,     /* answered with another HTTP status than 200 */
  GX_MON_BAD,      /* answered 200 with a body that does not decode */
} gx_mon_state_t;

typedef struct {
  double t;
  gx_mon_metrics_t m;
} gx_mon_sample_t;

typedef struct {
  char url[GX_MON_URL_MAX];   /* base URL, no trailing slash */
  char label[48];             /* what the NODE column shows */
  unsigned idx;               /* position in the command line / genesis */
  gx_mon_state_t state;
  int http_code;              /* with GX_MON_HTTP */
  int have_status;            /* st holds the last decoded status */
  gx_mon_status_t st;
  char err[GX_MON_ERR_MAX];   /* the last error (status or metrics), "" none yet */
  double err_t, ok_t;         /* when it happened; the last good status */
  uint64_t polls, failures;
  uint32_t ring_n, ring_head; /* samples held; index of the newest */
  gx_mon_sample_t ring[GX_MON_RING];
} gx_mon_node_t;

/* Cleans url (up to GX_MON_URL_MAX - 1 characters; a missing scheme gets
 * http://, trailing slashes go) into n and empties the history. NULL, or the
 * reason the URL is refused. */
const char *gx_mon_node_init(gx_mon_node_t *n, unsigned idx, const char *url, const char *label);
/* The outcome of one poll at time t: st NULL when /v1/status failed (state
 * and err say how), m NULL when /metrics did (err says why; the status may
 * still be good). */
void gx_mon_node_update(gx_mon_node_t *n, double t, gx_mon_state_t state, int http_code,
                        const gx_mon_status_t *st, const gx_mon_metrics_t *m, const char *err);

/* ---- the table ----------------------------------------------------------- */
typedef enum {
  GX_MON_COL_NODE = 0,
  GX_MON_COL_ROLE,
  GX_MON_COL_STATUS,
  GX_MON_COL_HEIGHT,
  GX_MON_COL_LAG,
  GX_MON_COL_COMMIT,
  GX_MON_COL_VERIFY,
  GX_MON_COL_DROPS,
  GX_MON_COL_QUEUE,
  GX_MON_COL_P50,
  GX_MON_COL_P99,
  GX_MON_COL_SYNC,
  GX_MON_COL__SORTABLE, /* the columns above can sort the table (keys 1..9 the first nine) */
} gx_mon_col_t;
const char *gx_mon_col_name(gx_mon_col_t c);
/* Column by name ("height", "p99", ...); -1 when unknown. */
int gx_mon_col_parse(const char *name);

typedef enum { GX_MON_PLAIN = 0, GX_MON_RED, GX_MON_YELLOW, GX_MON_GREEN } gx_mon_color_t;

typedef struct {
  unsigned idx;
  char node[48], role[16], status[16], top_drop[GX_MON_NAME_MAX], queue[GX_MON_NAME_MAX];
  gx_mon_color_t color;
  int status_rank;        /* problems first: down 0 .. ok 7 */
  int up;                 /* its last /v1/status answered and decoded */
  int has_height, has_lag;
  uint64_t height, lag;
  double commit, verify, drops; /* per second; negative: unknown */
  double queue_fill;      /* fullest queue, 0..1; negative: unknown */
  double p50, p99;        /* seconds; negative: unknown */
  int syncing;            /* 1 / 0, -1 unknown */
} gx_mon_row_t;

typedef struct {
  double rate_window;     /* seconds of history for rates (5) */
  double lat_window;      /* seconds of history for p50/p99 (10); 0: since the node started */
} gx_mon_view_t;

/* The highest height among the nodes that are up; 0 when none is. */
uint64_t gx_mon_best_height(const gx_mon_node_t *const *nodes, unsigned count, int *have);
void gx_mon_row(const gx_mon_node_t *n, const gx_mon_view_t *v, uint64_t best, int have_best,
                gx_mon_row_t *out);
/* Sorts by col (node, role, status ascending, the numbers largest first,
 * unknown values last), ties by node index; reverse flips the order of the
 * known values (unknown ones stay last). */
void gx_mon_sort(gx_mon_row_t *rows, unsigned count, gx_mon_col_t col, int reverse);
/* One line of the table (no newline), cut to GX_MON_LINE_MAX - 1. The status
 * cell starts at gx_mon_status_offset() and is GX_MON_STATUS_WIDTH wide. */
void gx_mon_format_header(char out[GX_MON_LINE_MAX]);
void gx_mon_format_row(const gx_mon_row_t *r, char out[GX_MON_LINE_MAX]);
#define GX_MON_STATUS_WIDTH 7
unsigned gx_mon_status_offset(void);
/* The detail of one node, up to max lines; returns how many. now: for the
 * age of the last error. */
unsigned gx_mon_format_detail(const gx_mon_node_t *n, const gx_mon_view_t *v, uint64_t best,
                              int have_best, double now, char (*lines)[GX_MON_LINE_MAX],
                              unsigned max);

#endif
