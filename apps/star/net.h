/* star net: one connected UDP socket to a galaxy, resolved from HOST:PORT
 * ("127.0.0.1:9000", "[::1]:9000", "localhost:9000").
 * Threads: one owner. Errors: -1 with a one-line reason in err. */
#ifndef STAR_NET_H
#define STAR_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct {
  int fd;
  struct sockaddr_storage addr;
  socklen_t addrlen;
} star_net_t;

int star_net_parse(const char *hostport, struct sockaddr_storage *addr, socklen_t *len, char *err,
                   size_t errlen);
int star_net_open(star_net_t *n, const char *hostport, char *err, size_t errlen);
int star_net_send(star_net_t *n, const void *buf, size_t len, char *err, size_t errlen);
void star_net_close(star_net_t *n);
/* Sends one datagram to hostport from a fresh connected socket, then waits up
 * to wait_ms for the host to refuse it (an ICMP port unreachable: nothing
 * listens there). 0 sent and not refused within wait_ms (UDP: not a proof
 * of delivery), -1 with the reason (cannot resolve, socket, send, refused). */
#define STAR_NET_REFUSE_WAIT_MS 100
int star_net_send_checked(const char *hostport, const void *buf, size_t len, int wait_ms, char *err,
                          size_t errlen);
/* Joins API base, path ("/v1/tx/") and arg into out: trailing slashes of the
 * base are dropped, so "http://h:p/" and "http://h:p" give the same URL. */
void star_url(char *out, size_t cap, const char *base, const char *path, const char *arg);
/* GET url (libcurl) into buf (NUL-terminated, truncated to cap), giving up
 * after timeout_ms in all (connect included; at least 1 ms); returns the HTTP
 * status, or -1 when the server cannot be reached or does not answer in time.
 * star_http_get: the same with 3 s. */
long star_http_get_ms(const char *url, char *buf, size_t cap, long timeout_ms);
long star_http_get(const char *url, char *buf, size_t cap);

#endif
