/* gx_coin: Cachin-Kursawe-Shoup threshold common coin on ristretto255
 * (libsodium), with a dealer for genesis and strict key files.
 *
 * A dealer picks a degree-f polynomial p over the ristretto255 scalar field;
 * node i (0-based) holds x_i = p(i+1); the public set holds vk_i = g^x_i and
 * the group key vk = g^p(0). For a coin name (epoch, instance, round), h =
 * ristretto255_from_hash(H64(name)); node i's share is s_i = h^x_i with a
 * Chaum-Pedersen proof (c, z) that log_g vk_i = log_h s_i. Any f+1 verified
 * shares combine by Lagrange interpolation at 0 into h^x; the coin is the low
 * bit of BLAKE2b(h^x). Proof nonces are derived from (x_i, h), so a share is a
 * deterministic function of the key and the name (the simulator replays).
 *
 * Key files (docs/CONSENSUS.md "Key files"): a node key file carries the
 * node's index and secret share plus the public set; the public file carries
 * the public set. Both end in a BLAKE2b checksum; decoding checks the magic,
 * exact length, ranges (1 <= n <= 64, 3f+1 <= n, index < n), canonical
 * scalars, valid points, g^x_i == vk_i, that the vk_i lie on one degree-f
 * polynomial whose value at 0 is vk, and the checksum.
 *
 * Memory: caller-owned structs only, no allocation. Threads: any (pure
 * functions; gx_coin_deal with seed == NULL uses libsodium's RNG: call
 * sodium_init() first). Errors: gx_coin_err_t, gx_coin_strerror(). */
#ifndef GX_COIN_H
#define GX_COIN_H

#include "consensus/gx_cmsg.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
  GX_COIN_OK = 0,
  GX_COIN_ERR_ARG,       /* n, f or index out of range */
  GX_COIN_ERR_PROOF,     /* a share's DLEQ proof does not verify */
  GX_COIN_ERR_POINT,     /* invalid point, or an identity result */
  GX_COIN_ERR_FORMAT,    /* key file: bad magic, length or checksum */
  GX_COIN_ERR_KEY,       /* key file: scalar/point inconsistent with the set */
  GX_COIN_ERR_COUNT
} gx_coin_err_t;

const char *gx_coin_strerror(gx_coin_err_t err);

typedef struct {
  uint16_t n, f;
  uint8_t group_vk[32];
  uint8_t vk[GX_CONS_MAX_N][32];
} gx_coin_pub_t;

typedef struct {
  uint16_t index;
  uint8_t x[32]; /* canonical scalar */
} gx_coin_secret_t;

typedef struct {
  uint8_t share[32], c[32], z[32];
} gx_coin_share_t;

/* Dealer: fills pub and secrets[0..n). seed: 32 bytes for a reproducible deal
 * (tests, simulator) or NULL for libsodium randomness (genesis). */
gx_coin_err_t gx_coin_deal(gx_coin_pub_t *pub, gx_coin_secret_t *secrets, unsigned n,
                           unsigned f, const uint8_t *seed);

/* The point h for coin name (epoch, instance, round). */
void gx_coin_name(uint8_t h[32], uint64_t epoch, uint16_t instance, uint16_t round);

gx_coin_err_t gx_coin_share_make(gx_coin_share_t *out, const gx_coin_pub_t *pub,
                                 const gx_coin_secret_t *sec, const uint8_t h[32]);
gx_coin_err_t gx_coin_share_verify(const gx_coin_pub_t *pub, unsigned index, const uint8_t h[32],
                                   const gx_coin_share_t *share);
/* Combines count == f+1 verified share points (share[k] from node index[k],
 * indices distinct) into the coin value h^x; *bit = its coin bit. */
gx_coin_err_t gx_coin_combine(uint8_t out_point[32], int *bit, const gx_coin_pub_t *pub,
                              const uint16_t *index, const uint8_t (*share)[32],
                              unsigned count);

#define GX_COIN_SECRET_FILE_SZ(n) (8 + 2 + 2 + 2 + 32 + 32 + 32 * (size_t)(n) + 32)
#define GX_COIN_PUBLIC_FILE_SZ(n) (8 + 2 + 2 + 32 + 32 * (size_t)(n) + 32)
#define GX_COIN_SECRET_FILE_MAX GX_COIN_SECRET_FILE_SZ(GX_CONS_MAX_N)
#define GX_COIN_PUBLIC_FILE_MAX GX_COIN_PUBLIC_FILE_SZ(GX_CONS_MAX_N)

/* Encoders return the byte count (out must hold the *_FILE_SZ), 0 on bad args. */
size_t gx_coin_secret_file_encode(uint8_t *out, const gx_coin_pub_t *pub,
                                  const gx_coin_secret_t *sec);
size_t gx_coin_public_file_encode(uint8_t *out, const gx_coin_pub_t *pub);
gx_coin_err_t gx_coin_secret_file_decode(gx_coin_pub_t *pub, gx_coin_secret_t *sec,
                                         const uint8_t *buf, size_t len);
gx_coin_err_t gx_coin_public_file_decode(gx_coin_pub_t *pub, const uint8_t *buf, size_t len);

#endif
