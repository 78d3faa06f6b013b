/* libFuzzer: the coin's untrusted inputs. Byte 0 picks the target:
 *   0/1  secret/public key file as given (checksum and all);
 *   2/3  the same with a correct checksum appended, so the structural and
 *        key-consistency checks are reached;
 *   4    a coin share (96 bytes, then a node index byte) verified against a
 *        fixed dealt set; must never verify unless it equals the real share. */
#include "consensus/gx_coin.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gx_coin_pub_t fz_pub;
static gx_coin_secret_t fz_sec[4];
static int fz_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!fz_ready) {
    if (sodium_init() < 0) abort();
    uint8_t seed[32] = {9};
    if (gx_coin_deal(&fz_pub, fz_sec, 4, 1, seed) != GX_COIN_OK) abort();
    fz_ready = 1;
  }
  if (size < 1) return 0;
  uint8_t mode = data[0] % 5;
  data++;
  size--;
  gx_coin_pub_t pub;
  gx_coin_secret_t sec;
  static uint8_t buf[GX_COIN_SECRET_FILE_MAX + 64];
  switch (mode) {
  case 0: gx_coin_secret_file_decode(&pub, &sec, data, size); break;
  case 1: gx_coin_public_file_decode(&pub, data, size); break;
  case 2:
  case 3:
    if (size + 32 > sizeof buf) return 0;
    memcpy(buf, data, size);
    gx_hash((gx_hash_t *)(buf + size), GX_DOM_CONSENSUS, buf, size);
    if (mode == 2) {
      if (gx_coin_secret_file_decode(&pub, &sec, buf, size + 32) == GX_COIN_OK) {
        /* whatever is accepted re-encodes to the same bytes */
        uint8_t again[GX_COIN_SECRET_FILE_MAX];
        size_t n = gx_coin_secret_file_encode(again, &pub, &sec);
        if (n != size + 32 || memcmp(again, buf, n)) abort();
      }
    } else {
      gx_coin_public_file_decode(&pub, buf, size + 32);
    }
    break;
  case 4: {
    if (size < 97) return 0;
    gx_coin_share_t sh;
    memcpy(sh.share, data, 32);
    memcpy(sh.c, data + 32, 32);
    memcpy(sh.z, data + 64, 32);
    unsigned idx = data[96] % 4;
    uint8_t h[32];
    gx_coin_name(h, 1, 2, 2);
    if (gx_coin_share_verify(&fz_pub, idx, h, &sh) == GX_COIN_OK) {
      gx_coin_share_t real;
      gx_coin_share_make(&real, &fz_pub, &fz_sec[idx], h);
      if (memcmp(real.share, sh.share, 32) != 0) abort(); /* a forged share verified */
    }
    break;
  }
  }
  return 0;
}
