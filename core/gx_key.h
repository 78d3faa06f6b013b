/* gx_key: ed25519 key files and account addresses.
 *
 * Key file (text, mode 0600, docs/PROTOCOL.md "Key file"):
 *   galaxy-key v1
 *   public <64 hex>
 *   secret <64 hex>      (the 32-byte ed25519 seed)
 * Loading checks the header, both hex fields, and that the seed derives the
 * public key; anything else is rejected with a gx_key_err_t.
 *
 * Address: "gx" + 64 hex of the public key + 8 hex of a checksum, the first 4
 * bytes of H(ADDRESS, public key): 74 characters. Typos are caught by the
 * checksum; upper-case hex is accepted.
 *
 * Memory: caller-owned structs; the secret key is wiped by gx_key_wipe().
 * Threads: any. Needs sodium_init(). */
#ifndef GX_KEY_H
#define GX_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"

typedef struct {
  gx_pubkey_t pk;
  uint8_t sk[64]; /* libsodium ed25519 secret key: seed || public key */
} gx_keypair_t;

typedef enum {
  GX_KEY_OK = 0,
  GX_KEY_ERR_IO,        /* file unreadable or unwritable (errno is kept)   */
  GX_KEY_ERR_EXISTS,    /* refusing to overwrite an existing key file       */
  GX_KEY_ERR_FORMAT,    /* not a galaxy key file (header or fields missing) */
  GX_KEY_ERR_HEX,       /* a key field is not 64 hex characters             */
  GX_KEY_ERR_MISMATCH,  /* the secret does not derive the stated public key */
  GX_KEY_ERR__COUNT
} gx_key_err_t;

const char *gx_key_strerror(gx_key_err_t err);

void gx_key_generate(gx_keypair_t *kp);
void gx_key_from_seed(gx_keypair_t *kp, const uint8_t seed[32]);
void gx_key_wipe(gx_keypair_t *kp);
/* Deterministic key number `index` of a named family and a seed: the ed25519
 * seed is H(DERIVE, label || seed || index). For load generation and local test
 * networks only (`star load` accounts, funded by `galaxyctl genesis`): anyone
 * who knows (label, seed) knows the secret. */
void gx_key_derive(gx_keypair_t *kp, const char *label, uint64_t seed, uint64_t index);
gx_key_err_t gx_key_save(const char *path, const gx_keypair_t *kp);
gx_key_err_t gx_key_load(const char *path, gx_keypair_t *kp);
/* The key file's text from a buffer (what gx_key_load does after reading). */
gx_key_err_t gx_key_parse(const char *buf, size_t len, gx_keypair_t *kp);

#define GX_ADDR_LEN 74
typedef enum {
  GX_ADDR_OK = 0,
  GX_ADDR_ERR_PREFIX,   /* does not start with "gx"             */
  GX_ADDR_ERR_LENGTH,   /* not 74 characters                    */
  GX_ADDR_ERR_HEX,      /* a character is not a hex digit       */
  GX_ADDR_ERR_CHECKSUM, /* checksum does not match (a typo?)    */
  GX_ADDR_ERR__COUNT
} gx_addr_err_t;
const char *gx_addr_strerror(gx_addr_err_t err);
void gx_addr_encode(char out[GX_ADDR_LEN + 1], const gx_pubkey_t *pk);
gx_addr_err_t gx_addr_decode(gx_pubkey_t *pk, const char *s);

#endif
