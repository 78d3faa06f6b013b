/* libFuzzer: the link datagram opener, over arbitrary bytes and over
 * mutations of valid datagrams (the first byte picks which). Must never crash,
 * must never accept a datagram it did not see sealed, and seal and open hold
 * the payload limit (GX_LINK_PAYLOAD_MAX). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/gx_link.h"

static gx_link_t gx_fz_a, gx_fz_b;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) return 1;
  gx_keypair_t k[2];
  gx_pubkey_t pk[2];
  for (int i = 0; i < 2; i++) {
    gx_key_derive(&k[i], "link-fuzz", 0, (uint64_t)i);
    pk[i] = k[i].pk;
  }
  gx_link_init(&gx_fz_a, 0, &k[0], pk, 2, 1);
  gx_link_init(&gx_fz_b, 1, &k[1], pk, 2, 1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint16_t from;
  const uint8_t *p;
  size_t plen;
  if (size > 0 && data[0] == 0xAA && size - 1 > GX_LINK_PAYLOAD_MAX) {
    static uint8_t big[1 << 17];
    if (size - 1 + GX_LINK_OVERHEAD <= sizeof big && gx_link_seal(&gx_fz_a, 1, data + 1, size - 1, big, sizeof big))
      abort(); /* over the limit: never sealed */
    return 0;
  }
  if (size > 0 && data[0] == 0xAA && size < 1400) {
    /* seal the rest, flip one byte chosen by the input, and open */
    uint8_t dg[1500];
    size_t len = gx_link_seal(&gx_fz_a, 1, data + 1, size - 1, dg, sizeof dg);
    if (!len) abort();
    size_t at = (size > 1 ? data[1] : 0) % len;
    dg[at] ^= 0x01;
    if (gx_link_open(&gx_fz_b, dg, len, &from, &p, &plen) == GX_LINK_OK) abort();
    dg[at] ^= 0x01;
    if (gx_link_open(&gx_fz_b, dg, len, &from, &p, &plen) != GX_LINK_OK) abort();
    if (plen != size - 1 || memcmp(p, data + 1, plen)) abort();
    return 0;
  }
  gx_link_err_t e = gx_link_open(&gx_fz_b, data, size, &from, &p, &plen);
  if (size > GX_LINK_PAYLOAD_MAX + GX_LINK_OVERHEAD && e != GX_LINK_ERR_MALFORMED) abort();
  return 0;
}
