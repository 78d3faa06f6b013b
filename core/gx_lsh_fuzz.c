/* libFuzzer: the LSH block decoder (blocks arrive from star clusters). A
 * decoded block must re-encode, from its decoded pieces (header, reports,
 * faults, transfers, certificate entries), to exactly the input; every
 * accessor is called for every index; the tx root and the certificate are
 * checked (their verdict is free, they must not crash). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_key.h"
#include "core/gx_lsh.h"

static uint8_t gx_fz_re[GX_LSH_MAX_SZ];
static gx_hash_t gx_fz_ids[GX_LSH_MAX_TXS], gx_fz_scratch[GX_LSH_MAX_TXS];
static gx_pubkey_t gx_fz_members[GX_LSH_MAX_MEMBERS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_lsh_t b;
  if (gx_lsh_decode(&b, data, size) != GX_PROTO_OK) return 0;
  gx_lsh_report_t r[GX_LSH_MAX_MEMBERS];
  gx_lsh_fault_t f[GX_LSH_MAX_FAULTS];
  gx_lsh_sig_t s[GX_LSH_MAX_MEMBERS];
  if (b.h.member_count > GX_LSH_MAX_MEMBERS || b.h.fault_count > GX_LSH_MAX_FAULTS ||
      b.sig_count > b.h.member_count)
    abort();
  for (uint32_t i = 0; i < b.h.member_count; i++) gx_lsh_report(&b, i, &r[i]);
  for (uint32_t i = 0; i < b.h.fault_count; i++) gx_lsh_fault(&b, i, &f[i]);
  for (uint32_t i = 0; i < b.sig_count; i++) gx_lsh_cert_sig(&b, i, &s[i]);
  size_t len = gx_lsh_encode_unsigned(gx_fz_re, sizeof gx_fz_re, &b.h, r, f, b.xfers);
  if (len == 0 || len != b.body_len + (size_t)b.h.tx_count * GX_XFER_SZ) abort();
  len = gx_lsh_append_cert(gx_fz_re, sizeof gx_fz_re, len, b.h.member_count, s, b.sig_count);
  if (len != size || memcmp(gx_fz_re, data, size) != 0) abort();
  if (size != gx_lsh_size(b.h.tx_count, b.h.member_count, b.h.fault_count, b.sig_count)) abort();

  gx_hash_t id, id2;
  gx_lsh_id(&id, &b);
  gx_lsh_id_body(&id2, data, gx_lsh_body_size(b.h.member_count, b.h.fault_count));
  if (!gx_hash_eq(&id, &id2)) abort();
  (void)gx_lsh_check_root(&b, gx_fz_ids, gx_fz_scratch);
  uint64_t signers = 1;
  gx_lsh_cert_err_t e = gx_lsh_verify_cert(&b, &id, gx_fz_members, b.h.member_count, &signers);
  if (e == GX_LSH_CERT_OK ? signers == 0 : signers != 0) abort();
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) return 1;
  /* The members of tests/vectors/lsh.txt (seeds of 32 bytes 0x01, 0x02, ...),
   * so a seed whose certificate verifies reaches the OK path. */
  for (int i = 0; i < GX_LSH_MAX_MEMBERS; i++) {
    uint8_t seed[32];
    gx_keypair_t kp;
    memset(seed, i + 1, sizeof seed);
    gx_key_from_seed(&kp, seed);
    gx_fz_members[i] = kp.pk;
    gx_key_wipe(&kp);
  }
  return 0;
}
