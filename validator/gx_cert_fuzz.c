/* libFuzzer: the certificate decoder, the sync check and the 0x33 black hole
 * signature message. Whatever decodes must re-encode to exactly the input; a decoded
 * certificate is verified against a fixed set (must not crash, and random
 * bytes must not verify). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "validator/gx_cert.h"

static gx_cert_set_t set;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_cert_t c;
  uint8_t re[GX_CERT_MAX_SZ];
  if (gx_cert_decode(&c, data, size) == GX_CERT_OK) {
    size_t n = gx_cert_encode(&c, re, sizeof re);
    if (n != size || memcmp(re, data, size) != 0) abort();
    gx_hash_t id = {{0}};
    if (gx_cert_verify(&c, &set, &id) == GX_CERT_OK) abort();
  }
  /* sync check: the first bytes as a black hole header, the rest as a certificate */
  if (size >= GX_BH_HDR_SZ) {
    uint64_t h;
    gx_hash_t bid;
    if (gx_cert_check_blackhole(&set, data, GX_BH_HDR_SZ, data + GX_BH_HDR_SZ, size - GX_BH_HDR_SZ, &h, &bid) ==
        GX_CERT_OK)
      abort(); /* nobody can forge the set's signatures */
  }
  gx_bh_sig_msg_t m;
  if (gx_bh_sig_msg_decode(&m, data, size) == GX_CERT_OK) {
    uint8_t out[GX_BH_SIG_MSG_SZ];
    gx_bh_sig_msg_encode(&m, out);
    if (size != GX_BH_SIG_MSG_SZ || memcmp(out, data, size) != 0) abort();
  }
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) return 1;
  set.n = 4;
  for (int i = 0; i < 4; i++) {
    gx_keypair_t k;
    gx_key_derive(&k, "cert-fuzz", 0, (uint64_t)i);
    set.key[i] = k.pk;
  }
  return 0;
}
