#include "core/gx_key.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/gx_util.h"

static const char *const gx_key_errs[GX_KEY_ERR__COUNT] = {
  [GX_KEY_OK] = "ok",
  [GX_KEY_ERR_IO] = "cannot read or write the key file",
  [GX_KEY_ERR_EXISTS] = "key file already exists; refusing to overwrite it",
  [GX_KEY_ERR_FORMAT] = "not a galaxy key file",
  [GX_KEY_ERR_HEX] = "key field is not 64 hex characters",
  [GX_KEY_ERR_MISMATCH] = "secret key does not match the public key in the file",
};
const char *gx_key_strerror(gx_key_err_t err) {
  return (unsigned)err < GX_KEY_ERR__COUNT ? gx_key_errs[err] : "unknown key error";
}

void gx_key_generate(gx_keypair_t *kp) { crypto_sign_keypair(kp->pk.b, kp->sk); }

void gx_key_from_seed(gx_keypair_t *kp, const uint8_t seed[32]) {
  crypto_sign_seed_keypair(kp->pk.b, kp->sk, seed);
}

void gx_key_derive(gx_keypair_t *kp, const char *label, uint64_t seed, uint64_t index) {
  uint8_t tail[16];
  gx_hash_t s;
  gx_st64(tail, seed);
  gx_st64(tail + 8, index);
  gx_hash2(&s, GX_DOM_DERIVE, label, strlen(label), tail, sizeof tail);
  gx_key_from_seed(kp, s.b);
  sodium_memzero(&s, sizeof s);
}

void gx_key_wipe(gx_keypair_t *kp) { sodium_memzero(kp, sizeof *kp); }

#define GX_KEY_HEADER "galaxy-key v1\n"

gx_key_err_t gx_key_save(const char *path, const gx_keypair_t *kp) {
  char text[256], pk_hex[65], seed_hex[65];
  gx_hex_encode(pk_hex, kp->pk.b, 32);
  gx_hex_encode(seed_hex, kp->sk, 32);
  int n = snprintf(text, sizeof text, GX_KEY_HEADER "public %s\nsecret %s\n", pk_hex, seed_hex);
  sodium_memzero(seed_hex, sizeof seed_hex);
  int rc = gx_file_write_atomic(path, text, (size_t)n, 0600, 1);
  int e = errno;
  sodium_memzero(text, sizeof text);
  if (rc == 0) return GX_KEY_OK;
  errno = e;
  return e == EEXIST ? GX_KEY_ERR_EXISTS : GX_KEY_ERR_IO;
}

/* Finds "NAME <64 hex>\n" as a whole line in text. */
static gx_key_err_t gx_key_field(const char *text, const char *name, uint8_t out[32]) {
  size_t nl = strlen(name);
  for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    if (strncmp(line, name, nl) != 0 || line[nl] != ' ') continue;
    const char *hex = line + nl + 1;
    size_t len = strcspn(hex, "\n");
    if (len != 64) return GX_KEY_ERR_HEX;
    char buf[65];
    memcpy(buf, hex, 64);
    buf[64] = 0;
    int rc = gx_hex_decode(out, 32, buf);
    sodium_memzero(buf, sizeof buf);
    return rc == 0 ? GX_KEY_OK : GX_KEY_ERR_HEX;
  }
  return GX_KEY_ERR_FORMAT;
}

gx_key_err_t gx_key_parse(const char *buf, size_t len, gx_keypair_t *kp) {
  char text[512];
  if (len >= sizeof text) return GX_KEY_ERR_FORMAT;
  memcpy(text, buf, len);
  text[len] = 0;
  gx_key_err_t err = GX_KEY_ERR_FORMAT;
  uint8_t pk[32], seed[32];
  if (len != strlen(text)) goto out; /* embedded NUL */
  if (strncmp(text, GX_KEY_HEADER, strlen(GX_KEY_HEADER)) != 0) goto out;
  if ((err = gx_key_field(text, "public", pk)) || (err = gx_key_field(text, "secret", seed))) goto out;
  gx_key_from_seed(kp, seed);
  err = memcmp(kp->pk.b, pk, 32) == 0 ? GX_KEY_OK : GX_KEY_ERR_MISMATCH;
  if (err) gx_key_wipe(kp);
out:
  sodium_memzero(text, sizeof text);
  sodium_memzero(seed, sizeof seed);
  return err;
}

gx_key_err_t gx_key_load(const char *path, gx_keypair_t *kp) {
  char text[512];
  long n = gx_file_read(path, text, sizeof text - 1);
  if (n < 0) return errno == EFBIG ? GX_KEY_ERR_FORMAT : GX_KEY_ERR_IO;
  gx_key_err_t err = gx_key_parse(text, (size_t)n, kp);
  sodium_memzero(text, sizeof text);
  return err;
}

static const char *const gx_addr_errs[GX_ADDR_ERR__COUNT] = {
  [GX_ADDR_OK] = "ok",
  [GX_ADDR_ERR_PREFIX] = "address must start with \"gx\"",
  [GX_ADDR_ERR_LENGTH] = "address must be 74 characters",
  [GX_ADDR_ERR_HEX] = "address has a character that is not a hex digit",
  [GX_ADDR_ERR_CHECKSUM] = "address checksum does not match (mistyped?)",
};
const char *gx_addr_strerror(gx_addr_err_t err) {
  return (unsigned)err < GX_ADDR_ERR__COUNT ? gx_addr_errs[err] : "unknown address error";
}

static void gx_addr_checksum(uint8_t out[4], const gx_pubkey_t *pk) {
  gx_hash_t h;
  gx_hash(&h, GX_DOM_ADDRESS, pk->b, 32);
  memcpy(out, h.b, 4);
}

void gx_addr_encode(char out[GX_ADDR_LEN + 1], const gx_pubkey_t *pk) {
  uint8_t sum[4];
  gx_addr_checksum(sum, pk);
  out[0] = 'g';
  out[1] = 'x';
  gx_hex_encode(out + 2, pk->b, 32);
  gx_hex_encode(out + 66, sum, 4);
}

gx_addr_err_t gx_addr_decode(gx_pubkey_t *pk, const char *s) {
  if (strncmp(s, "gx", 2) != 0) return GX_ADDR_ERR_PREFIX;
  if (strlen(s) != GX_ADDR_LEN) return GX_ADDR_ERR_LENGTH;
  char part[65];
  uint8_t sum[4], want[4];
  memcpy(part, s + 2, 64);
  part[64] = 0;
  if (gx_hex_decode(pk->b, 32, part) != 0) return GX_ADDR_ERR_HEX;
  memcpy(part, s + 66, 8);
  part[8] = 0;
  if (gx_hex_decode(sum, 4, part) != 0) return GX_ADDR_ERR_HEX;
  gx_addr_checksum(want, pk);
  return memcmp(sum, want, 4) == 0 ? GX_ADDR_OK : GX_ADDR_ERR_CHECKSUM;
}
