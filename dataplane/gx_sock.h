/* gx_sock: the kernel-socket backend of dataplane/gx_dp.h (what ordinary
 * hosts run). One UDP socket per RX queue, all bound to the same address and
 * port with SO_REUSEPORT (the kernel spreads flows over them; cfg.exclusive
 * turns it off for a one-queue socket that must own its port), large receive
 * buffers (SO_RCVBUFFORCE when permitted, else SO_RCVBUF), batched
 * recvmmsg/sendmmsg. IPv4 and IPv6: binding "::" makes dual-stack sockets
 * (IPv4 peers appear as family 4); binding an IPv4 address makes IPv4-only
 * sockets.
 *
 * RX: rx_burst receives up to max datagrams without blocking; when none is
 * waiting it sleeps in poll() for at most poll_timeout_ms (so an idle RX
 * thread neither spins nor misses its stop flag; 0: never sleeps there, and
 * rx_wait sleeps in poll() for as long as its caller asks). Payloads live in the queue's
 * fixed slots (GX_SOCK_SLOTS of GX_SOCK_SLOT_SZ bytes) until rx_release. A
 * datagram larger than a slot is dropped and counted (rx_oversize).
 * TX: tx_burst sends payload i to dst[i] with sendmmsg from the queue's
 * socket (so replies leave from the node's port); datagrams the kernel refuses
 * are counted (tx_drops) and not retried.
 *
 * Lifecycle: gx_sock_open (sockets, slots) -> gx_sock_queue(s, i) per RX
 * thread -> gx_sock_close. Memory: gx_sock_t owns everything; nothing
 * allocates after open. Threads: a queue's ops from its one owner thread;
 * counters may be read from any thread (relaxed atomics).
 * Errors: gx_sock_open returns NULL and a one-line reason in err (which
 * socket call failed, with strerror: "bind [::]:7100: Address already in use").
 * Addresses: gx_sock_addr_parse / gx_sock_addr_format convert "1.2.3.4:7100",
 * "[::1]:7100", "localhost:7100" (resolved once, at parse time). */
#ifndef GX_SOCK_H
#define GX_SOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/gx_metrics.h"
#include "dataplane/gx_dp.h"

#define GX_SOCK_MAX_QUEUES 16
#define GX_SOCK_SLOTS (4 * GX_DP_BURST)
#define GX_SOCK_SLOT_SZ 2048
#define GX_SOCK_ADDR_STRLEN 56

typedef struct {
  gx_addr_t bind;       /* address and port; family 6 with ip "::" = dual-stack */
  int n_queues;         /* 1..GX_SOCK_MAX_QUEUES */
  int rcvbuf_bytes;     /* per socket; default 8 MiB */
  int sndbuf_bytes;     /* per socket; default 4 MiB */
  int poll_timeout_ms;  /* idle wait inside rx_burst; default 1; 0: none */
  int exclusive;        /* 1: no SO_REUSEPORT, a second bind fails (one queue only) */
} gx_sock_cfg_t;

typedef struct {
  _Atomic uint64_t rx_dgrams, rx_bytes, rx_oversize, rx_errors;
  _Atomic uint64_t tx_dgrams, tx_bytes, tx_drops;
  char pad[8];
} gx_sock_counters_t;

typedef struct gx_sock gx_sock_t;

void gx_sock_cfg_defaults(gx_sock_cfg_t *cfg);
gx_sock_t *gx_sock_open(const gx_sock_cfg_t *cfg, char *err, size_t errlen);
void gx_sock_close(gx_sock_t *s);
int gx_sock_n_queues(const gx_sock_t *s);
gx_dp_queue_t *gx_sock_queue(gx_sock_t *s, int i);
/* The bound port (useful when cfg asked for port 0). */
uint16_t gx_sock_port(const gx_sock_t *s);
/* Receive buffer the kernel actually granted (bytes, as getsockopt reports). */
int gx_sock_rcvbuf(const gx_sock_t *s);
const gx_sock_counters_t *gx_sock_counters(const gx_sock_t *s, int queue);
/* gx_sock_* metrics summed over queues (rx_oversize, rx_errors, tx_drops,
 * kernel drops are not visible here). 0 or a gx_metrics error. */
gx_metrics_err_t gx_sock_metrics_register(gx_sock_t *s, gx_metrics_t *m);
/* The same for a one-queue socket of another role, its series labelled
 * queue="NAME" (galaxyd's consensus link socket: "link"). */
gx_metrics_err_t gx_sock_metrics_register_as(gx_sock_t *s, gx_metrics_t *m, const char *name);

/* "HOST:PORT", "[V6]:PORT"; HOST may be a name (getaddrinfo, first result).
 * 0, or -1 with a reason in err. allow_port0: accept port 0. */
int gx_sock_addr_parse(const char *text, gx_addr_t *out, int allow_port0, char *err,
                       size_t errlen);
/* HOST (an IPv4 or IPv6 address without brackets, or a name: getaddrinfo,
 * first result) and PORT, as given apart (a genesis file's validator). 0, or
 * -1 with a reason in err. */
int gx_sock_addr_resolve(const char *host, uint16_t port, gx_addr_t *out, char *err,
                         size_t errlen);
/* "1.2.3.4:7100" / "[::1]:7100" into buf (GX_SOCK_ADDR_STRLEN is enough). */
void gx_sock_addr_format(const gx_addr_t *a, char *buf, size_t cap);
/* 1 when both name the same family, address and port. */
int gx_sock_addr_eq(const gx_addr_t *a, const gx_addr_t *b);

#endif
