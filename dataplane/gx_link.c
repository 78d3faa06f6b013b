#include "dataplane/gx_link.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_proto.h"
#include "core/gx_util.h"

_Static_assert(GX_LINK_PAYLOAD_MAX + GX_LINK_OVERHEAD == GX_UDP_PAYLOAD_MAX,
               "a link datagram at the payload limit fills one UDP payload");

static const struct { const char *text, *label; } gx_link_errs[GX_LINK_ERR__COUNT] = {
  [GX_LINK_OK] = {"ok", "accepted"},
  [GX_LINK_ERR_MALFORMED] = {"malformed link datagram", "malformed"},
  [GX_LINK_ERR_UNKNOWN_PEER] = {"sender is not a peer validator", "unknown_peer"},
  [GX_LINK_ERR_BAD_TAG] = {"authentication tag does not verify (spoofed or corrupted)", "bad_tag"},
  [GX_LINK_ERR_REPLAY] = {"replayed or too old", "replay"},
  [GX_LINK_ERR_BUFSZ] = {"output buffer too small", "bufsz"},
};
const char *gx_link_strerror(gx_link_err_t e) {
  return (unsigned)e < GX_LINK_ERR__COUNT ? gx_link_errs[e].text : "unknown link error";
}
const char *gx_link_err_label(gx_link_err_t e) {
  return (unsigned)e < GX_LINK_ERR__COUNT ? gx_link_errs[e].label : "unknown";
}

int gx_link_init(gx_link_t *l, uint16_t self_index, const gx_keypair_t *identity,
                 const gx_pubkey_t *peer_keys, uint16_t n_validators, uint64_t boot) {
  memset(l, 0, sizeof *l);
  if (n_validators > GX_LINK_MAX_PEERS || self_index >= n_validators || boot == 0) return -1;
  uint8_t my_x_sk[32], my_x_pk[32];
  if (crypto_sign_ed25519_sk_to_curve25519(my_x_sk, identity->sk) != 0 ||
      crypto_sign_ed25519_pk_to_curve25519(my_x_pk, identity->pk.b) != 0)
    return -1;
  l->self = self_index;
  l->n_peers = n_validators;
  l->boot = boot;
  int rc = 0;
  for (uint16_t i = 0; i < n_validators; i++) {
    if (i == self_index) continue;
    uint8_t peer_x[32];
    gx_link_peer_t *p = &l->peers[i];
    if (crypto_sign_ed25519_pk_to_curve25519(peer_x, peer_keys[i].b) != 0) { rc = -1; break; }
    /* The lower index plays the kx "client": both ends derive the same pair. */
    int ok = self_index < i
                 ? crypto_kx_client_session_keys(p->rx_key, p->tx_key, my_x_pk, my_x_sk, peer_x)
                 : crypto_kx_server_session_keys(p->rx_key, p->tx_key, my_x_pk, my_x_sk, peer_x);
    if (ok != 0) { rc = -1; break; }
    p->present = 1;
  }
  sodium_memzero(my_x_sk, sizeof my_x_sk);
  if (rc) gx_link_wipe(l);
  return rc;
}

static void gx_link_nonce(uint8_t nonce[24], uint64_t boot, uint64_t counter) {
  memset(nonce, 0, 24);
  gx_st64(nonce, boot);
  gx_st64(nonce + 8, counter);
}

size_t gx_link_seal(gx_link_t *l, uint16_t to, const uint8_t *payload, size_t len, uint8_t *out,
                    size_t cap) {
  if (to >= l->n_peers || !l->peers[to].present) return 0;
  if (len > GX_LINK_PAYLOAD_MAX || cap < len + GX_LINK_OVERHEAD) return 0;
  gx_link_peer_t *p = &l->peers[to];
  uint64_t counter = ++p->tx_counter;
  out[0] = 1;
  out[1] = GX_LINK_MSG_TYPE;
  gx_st16(out + 2, l->self);
  gx_st64(out + 4, l->boot);
  gx_st64(out + 12, counter);
  memmove(out + GX_LINK_HDR_SZ, payload, len);
  uint8_t nonce[24];
  gx_link_nonce(nonce, l->boot, counter);
  unsigned long long taglen;
  uint8_t empty[1] = {0};
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(empty, out + GX_LINK_HDR_SZ + len, &taglen,
                                                      empty, 0, out, GX_LINK_HDR_SZ + len, NULL,
                                                      nonce, p->tx_key);
  return len + GX_LINK_OVERHEAD;
}

/* Sliding-window replay check; marks the counter as seen when `commit`. */
static int gx_link_window(gx_link_peer_t *p, uint64_t boot, uint64_t counter, int commit) {
  if (boot < p->rx_boot) return -1;
  if (boot > p->rx_boot) {
    if (commit) {
      p->rx_boot = boot;
      p->rx_top = counter;
      memset(p->rx_window, 0, sizeof p->rx_window);
      p->rx_window[(counter / 64) % (GX_LINK_WINDOW / 64)] |= 1ULL << (counter % 64);
    }
    return 0;
  }
  if (counter + GX_LINK_WINDOW <= p->rx_top) return -1; /* below the window */
  uint64_t *word = &p->rx_window[(counter / 64) % (GX_LINK_WINDOW / 64)];
  if (counter > p->rx_top) {
    if (commit) {
      /* clear the words the window slides into (bits above rx_top in its own
       * word are still clear: they were cleared when that word was entered) */
      uint64_t first = p->rx_top / 64 + 1, last = counter / 64;
      if (last >= first) {
        if (last - first >= GX_LINK_WINDOW / 64) memset(p->rx_window, 0, sizeof p->rx_window);
        else
          for (uint64_t w = first; w <= last; w++) p->rx_window[w % (GX_LINK_WINDOW / 64)] = 0;
      }
      p->rx_top = counter;
      *word |= 1ULL << (counter % 64);
    }
    return 0;
  }
  if (*word & (1ULL << (counter % 64))) return -1;
  if (commit) *word |= 1ULL << (counter % 64);
  return 0;
}

gx_link_err_t gx_link_open(gx_link_t *l, const uint8_t *dgram, size_t len, uint16_t *from,
                           const uint8_t **payload, size_t *payload_len) {
  gx_link_err_t e;
  if (len < GX_LINK_OVERHEAD || len > GX_LINK_PAYLOAD_MAX + GX_LINK_OVERHEAD || dgram[0] != 1 ||
      dgram[1] != GX_LINK_MSG_TYPE) {
    e = GX_LINK_ERR_MALFORMED;
    goto out;
  }
  uint16_t sender = gx_ld16(dgram + 2);
  uint64_t boot = gx_ld64(dgram + 4), counter = gx_ld64(dgram + 12);
  if (sender >= l->n_peers || !l->peers[sender].present) {
    e = GX_LINK_ERR_UNKNOWN_PEER;
    goto out;
  }
  gx_link_peer_t *p = &l->peers[sender];
  /* cheap replay pre-check before the MAC (never commits state) */
  if (boot == 0 || gx_link_window(p, boot, counter, 0) != 0) {
    e = GX_LINK_ERR_REPLAY;
    goto out;
  }
  size_t body = len - GX_LINK_TAG_SZ;
  uint8_t nonce[24];
  gx_link_nonce(nonce, boot, counter);
  uint8_t empty[1] = {0};
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(empty, NULL, empty, 0, dgram + body, dgram,
                                                          body, nonce, p->rx_key) != 0) {
    e = GX_LINK_ERR_BAD_TAG;
    goto out;
  }
  gx_link_window(p, boot, counter, 1); /* only authenticated datagrams move the window */
  *from = sender;
  *payload = dgram + GX_LINK_HDR_SZ;
  *payload_len = body - GX_LINK_HDR_SZ;
  e = GX_LINK_OK;
out:
  l->stats[e]++;
  return e;
}

void gx_link_wipe(gx_link_t *l) { sodium_memzero(l, sizeof *l); }
