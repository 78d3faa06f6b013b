/* libFuzzer: the decoders of the key ceremony's files (validator/gx_genesis.h):
 * the passphrase-encrypted key file, the identity key file, the sealed coin
 * share file and the member file. None may crash; each of the first three
 * that parses must format back to exactly its input (one text per value). A
 * share that parses is opened with a fixed identity (seed 32 x 0x01; the
 * seeds in tests/corpus/gx_genesis_keys_fuzz hold shares sealed to it), and
 * an input starting with 'P' is sealed to that identity and opened, so the
 * decoding of what is inside a share (genesis id, coin secret file) is fuzzed
 * too. No key derivation runs here (argon2id costs its memlimit). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "validator/gx_genesis.h"

static gx_genesis_t g;
static gx_genesis_enc_t enc;
static gx_genesis_share_t share;
static gx_genesis_identity_t id;
static gx_genesis_node_key_t nk;
static gx_keypair_t fixed;
static char again[GX_GENESIS_ENC_FILE_MAX + GX_GENESIS_SHARE_FILE_MAX];

static void same_text(const char *text, size_t size, size_t n) {
  if (n != size || memcmp(again, text, size)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  char err[400];
  if (gx_genesis_enc_parse(&enc, text, size, err, sizeof err) == GX_GENESIS_OK)
    same_text(text, size, gx_genesis_enc_format(&enc, again, sizeof again));
  if (gx_genesis_identity_parse(&id, text, size, err, sizeof err) == GX_GENESIS_OK) {
    same_text(text, size, gx_genesis_identity_format(&id, again, sizeof again));
    sodium_memzero(&id, sizeof id);
  }
  if (gx_genesis_share_parse(&share, text, size, err, sizeof err) == GX_GENESIS_OK) {
    same_text(text, size, gx_genesis_share_format(&share, again, sizeof again));
    share.identity = fixed.pk;
    if (gx_genesis_share_open(&share, &fixed, &nk, err, sizeof err) == GX_GENESIS_OK) {
      if (nk.index != share.index || nk.coin.index != share.index) abort();
      gx_genesis_node_key_wipe(&nk);
    }
  }
  gx_genesis_init(&g, NULL, 0);
  if (gx_genesis_members_parse(&g, text, size, err, sizeof err) == GX_GENESIS_OK && (g.n == 0 || g.n > 64))
    abort();
  /* 'P' || genesis id || coin secret file: what a share holds */
  if (size >= 1 + 32 && data[0] == 'P' && size - 1 + GX_GENESIS_SEAL_OVERHEAD <= sizeof share.sealed) {
    uint8_t xpk[32];
    memset(&share, 0, sizeof share);
    if (crypto_sign_ed25519_pk_to_curve25519(xpk, fixed.pk.b)) abort();
    crypto_box_seal(share.sealed, data + 1, size - 1, xpk);
    share.sealed_len = size - 1 + GX_GENESIS_SEAL_OVERHEAD;
    memcpy(share.genesis_id.b, data + 1, 32);
    share.identity = fixed.pk;
    share.index = size > 1 + 32 + 13 ? (uint16_t)(data[1 + 32 + 12] | data[1 + 32 + 13] << 8) : 0;
    if (gx_genesis_share_open(&share, &fixed, &nk, err, sizeof err) == GX_GENESIS_OK)
      gx_genesis_node_key_wipe(&nk);
  }
  return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) return 1;
  uint8_t seed[32];
  memset(seed, 1, sizeof seed);
  gx_key_from_seed(&fixed, seed);
  return 0;
}
