/* gx_link: authenticated datagrams between validators.
 *
 * Every validator-to-validator datagram (consensus, certificates, sync) is
 * wrapped as
 *   [version 1][type 0x3F][sender u16][boot u64][counter u64][payload ...][tag 16]
 * where tag is an XChaCha20-Poly1305 (libsodium AEAD) tag over everything before
 * it, under the key that the sender/receiver pair shares (crypto_kx over X25519
 * keys converted from the validators' ed25519 identity keys: no extra key
 * material in the genesis file). The payload travels in clear; the link
 * authenticates, it does not hide (consensus data is public).
 *
 * Replay protection: `boot` is chosen by the sender at start-up and must grow
 * across restarts (galaxyd uses the wall-clock nanoseconds at start); `counter`
 * grows by one per datagram. The receiver keeps, per peer, the highest boot seen
 * and a 1024-datagram sliding window of counters (as IPsec/WireGuard do): an
 * older boot, a counter below the window, or one already seen is a replay.
 * Nonce = boot || counter || 8 zero bytes, unique per key as long as boot grows.
 *
 * Memory: gx_link_t is one caller-allocated struct sized for GX_LINK_MAX_PEERS
 * peers (no allocation). Threads: seal and open both mutate state (counters,
 * windows); call them from one thread, or hold one link per thread direction
 * (sealing touches only tx state, opening only rx state: one sealing thread and
 * one opening thread may run concurrently).
 * Errors: gx_link_open returns a gx_link_err_t reason, each with a metrics label. */
#ifndef GX_LINK_H
#define GX_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_key.h"

#define GX_LINK_MSG_TYPE 0x3F
#define GX_LINK_HDR_SZ 20
#define GX_LINK_TAG_SZ 16
#define GX_LINK_OVERHEAD (GX_LINK_HDR_SZ + GX_LINK_TAG_SZ)
/* Largest payload (docs/PROTOCOL.md): one 1472-byte IPv4 UDP payload less the
 * overhead. Seal refuses more; open counts a longer one as malformed. */
#define GX_LINK_PAYLOAD_MAX (1472 - GX_LINK_OVERHEAD)
#define GX_LINK_MAX_PEERS 64
#define GX_LINK_WINDOW 1024

typedef enum {
  GX_LINK_OK = 0,
  GX_LINK_ERR_MALFORMED,   /* shorter than header + tag, payload over GX_LINK_PAYLOAD_MAX,
                              or wrong version/type */
  GX_LINK_ERR_UNKNOWN_PEER,/* sender index not in the validator set, or ourselves */
  GX_LINK_ERR_BAD_TAG,     /* authentication failed: spoofed or corrupted */
  GX_LINK_ERR_REPLAY,      /* boot older than the peer's, or counter seen / too old */
  GX_LINK_ERR_BUFSZ,       /* seal: output buffer too small (never an open outcome, not a metric) */
  GX_LINK_ERR__COUNT
} gx_link_err_t;

const char *gx_link_strerror(gx_link_err_t e);
const char *gx_link_err_label(gx_link_err_t e);

typedef struct {
  uint8_t rx_key[32], tx_key[32];
  uint64_t rx_boot;       /* highest boot accepted from the peer (0: none yet) */
  uint64_t rx_top;        /* highest counter accepted in rx_boot */
  uint64_t rx_window[GX_LINK_WINDOW / 64];
  uint64_t tx_counter;
  int present;
} gx_link_peer_t;

typedef struct {
  uint16_t self;
  uint16_t n_peers;
  uint64_t boot;
  uint64_t stats[GX_LINK_ERR__COUNT]; /* opens by outcome (OK counts accepted) */
  gx_link_peer_t peers[GX_LINK_MAX_PEERS];
} gx_link_t;

/* self_index: our index in the validator set; identity: our ed25519 key;
 * peer_keys: every validator's identity public key, indexed by validator index
 * (our own entry is ignored). boot: see above. 0 or -1 (bad index, bad key). */
int gx_link_init(gx_link_t *l, uint16_t self_index, const gx_keypair_t *identity,
                 const gx_pubkey_t *peer_keys, uint16_t n_validators, uint64_t boot);

/* Wraps payload for peer `to` into out (cap >= len + GX_LINK_OVERHEAD); returns
 * the datagram length, or 0 (unknown peer, buffer too small, len over
 * GX_LINK_PAYLOAD_MAX). */
size_t gx_link_seal(gx_link_t *l, uint16_t to, const uint8_t *payload, size_t len, uint8_t *out,
                    size_t cap);

/* Checks a received datagram. On GX_LINK_OK, *from is the authenticated sender
 * and *payload, *payload_len point into dgram. Every outcome is counted in stats. */
gx_link_err_t gx_link_open(gx_link_t *l, const uint8_t *dgram, size_t len, uint16_t *from,
                           const uint8_t **payload, size_t *payload_len);

void gx_link_wipe(gx_link_t *l);

#endif
