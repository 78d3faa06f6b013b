/* gx_coin: threshold coin (see gx_coin.h). */
#include "consensus/gx_coin.h"

#include "core/gx_util.h"

#include <sodium.h>
#include <string.h>

#define SC crypto_core_ristretto255_SCALARBYTES
#define PT crypto_core_ristretto255_BYTES

static const char *const gx_coin_errs[GX_COIN_ERR_COUNT] = {
  [GX_COIN_OK] = "ok",
  [GX_COIN_ERR_ARG] = "argument out of range",
  [GX_COIN_ERR_PROOF] = "coin share proof does not verify",
  [GX_COIN_ERR_POINT] = "invalid or identity point",
  [GX_COIN_ERR_FORMAT] = "key file: bad magic, length or checksum",
  [GX_COIN_ERR_KEY] = "key file: keys inconsistent",
};

const char *gx_coin_strerror(gx_coin_err_t err) {
  return (unsigned)err < GX_COIN_ERR_COUNT ? gx_coin_errs[err] : "unknown error";
}

/* 64 uniform bytes from BLAKE2b under the consensus domain: two 32-byte halves
 * hashed with a distinct counter byte after a purpose tag. */
static void gx_coin_wide(uint8_t out[64], const char *tag, const uint8_t *a, size_t alen) {
  uint8_t buf[8 + 32 * 6];
  size_t tl = strlen(tag);
  for (int half = 0; half < 2; half++) {
    size_t k = 0;
    memcpy(buf, tag, tl);
    k = tl;
    buf[k++] = (uint8_t)half;
    gx_hash2((gx_hash_t *)(out + 32 * half), GX_DOM_CONSENSUS, buf, k, a, alen);
  }
}

static void gx_coin_scalar_u32(uint8_t s[SC], uint32_t v) {
  memset(s, 0, SC);
  gx_st32(s, v);
}

static int gx_coin_scalar_canonical(const uint8_t s[SC]) {
  uint8_t wide[64] = {0}, red[SC];
  memcpy(wide, s, SC);
  crypto_core_ristretto255_scalar_reduce(red, wide);
  return sodium_memcmp(red, s, SC) == 0 && !sodium_is_zero(s, SC);
}

gx_coin_err_t gx_coin_deal(gx_coin_pub_t *pub, gx_coin_secret_t *secrets, unsigned n,
                           unsigned f, const uint8_t *seed) {
  if (n < 1 || n > GX_CONS_MAX_N || 3 * f + 1 > n) return GX_COIN_ERR_ARG;
  uint8_t coef[GX_CONS_MAX_N][SC];
  for (unsigned t = 0; t <= f; t++) {
    if (seed) {
      uint8_t in[33], wide[64];
      memcpy(in, seed, 32);
      in[32] = (uint8_t)t;
      gx_coin_wide(wide, "deal", in, sizeof in);
      crypto_core_ristretto255_scalar_reduce(coef[t], wide);
    } else {
      crypto_core_ristretto255_scalar_random(coef[t]);
    }
    if (sodium_is_zero(coef[t], SC)) coef[t][0] = 1; /* negligible; keeps x != 0 */
  }
  memset(pub, 0, sizeof *pub);
  pub->n = (uint16_t)n;
  pub->f = (uint16_t)f;
  if (crypto_scalarmult_ristretto255_base(pub->group_vk, coef[0]) != 0) return GX_COIN_ERR_POINT;
  for (unsigned i = 0; i < n; i++) {
    uint8_t x[SC], acc[SC];
    gx_coin_scalar_u32(x, i + 1);
    memcpy(acc, coef[f], SC);
    for (int t = (int)f - 1; t >= 0; t--) { /* Horner */
      crypto_core_ristretto255_scalar_mul(acc, acc, x);
      crypto_core_ristretto255_scalar_add(acc, acc, coef[t]);
    }
    secrets[i].index = (uint16_t)i;
    memcpy(secrets[i].x, acc, SC);
    if (crypto_scalarmult_ristretto255_base(pub->vk[i], acc) != 0) return GX_COIN_ERR_POINT;
  }
  sodium_memzero(coef, sizeof coef);
  return GX_COIN_OK;
}

void gx_coin_name(uint8_t h[32], uint64_t epoch, uint16_t instance, uint16_t round) {
  uint8_t in[12], wide[64];
  gx_st64(in, epoch);
  gx_st16(in + 8, instance);
  gx_st16(in + 10, round);
  gx_coin_wide(wide, "coin-name", in, sizeof in);
  crypto_core_ristretto255_from_hash(h, wide);
}

static void gx_coin_challenge(uint8_t c[SC], const uint8_t vk[PT], const uint8_t h[PT],
                              const uint8_t s[PT], const uint8_t a[PT], const uint8_t b[PT]) {
  uint8_t in[5 * PT], wide[64];
  memcpy(in, vk, PT);
  memcpy(in + PT, h, PT);
  memcpy(in + 2 * PT, s, PT);
  memcpy(in + 3 * PT, a, PT);
  memcpy(in + 4 * PT, b, PT);
  gx_coin_wide(wide, "dleq", in, sizeof in);
  crypto_core_ristretto255_scalar_reduce(c, wide);
}

gx_coin_err_t gx_coin_share_make(gx_coin_share_t *out, const gx_coin_pub_t *pub,
                                 const gx_coin_secret_t *sec, const uint8_t h[32]) {
  if (sec->index >= pub->n) return GX_COIN_ERR_ARG;
  uint8_t in[SC + PT], wide[64], k[SC], a[PT], b[PT], cx[SC];
  memcpy(in, sec->x, SC);
  memcpy(in + SC, h, PT);
  gx_coin_wide(wide, "dleq-nonce", in, sizeof in);
  crypto_core_ristretto255_scalar_reduce(k, wide);
  if (crypto_scalarmult_ristretto255(out->share, sec->x, h) != 0 ||
      crypto_scalarmult_ristretto255_base(a, k) != 0 ||
      crypto_scalarmult_ristretto255(b, k, h) != 0)
    return GX_COIN_ERR_POINT;
  gx_coin_challenge(out->c, pub->vk[sec->index], h, out->share, a, b);
  crypto_core_ristretto255_scalar_mul(cx, out->c, sec->x);
  crypto_core_ristretto255_scalar_sub(out->z, k, cx); /* z = k - c x */
  sodium_memzero(k, sizeof k);
  sodium_memzero(in, sizeof in);
  return GX_COIN_OK;
}

gx_coin_err_t gx_coin_share_verify(const gx_coin_pub_t *pub, unsigned index, const uint8_t h[32],
                                   const gx_coin_share_t *sh) {
  if (index >= pub->n) return GX_COIN_ERR_ARG;
  if (!crypto_core_ristretto255_is_valid_point(sh->share)) return GX_COIN_ERR_POINT;
  if (!gx_coin_scalar_canonical(sh->c) || !gx_coin_scalar_canonical(sh->z))
    return GX_COIN_ERR_PROOF;
  uint8_t t1[PT], t2[PT], a[PT], b[PT], c2[SC];
  /* A = g^z vk^c, B = h^z s^c */
  if (crypto_scalarmult_ristretto255_base(t1, sh->z) != 0 ||
      crypto_scalarmult_ristretto255(t2, sh->c, pub->vk[index]) != 0)
    return GX_COIN_ERR_PROOF;
  crypto_core_ristretto255_add(a, t1, t2);
  if (crypto_scalarmult_ristretto255(t1, sh->z, h) != 0 ||
      crypto_scalarmult_ristretto255(t2, sh->c, sh->share) != 0)
    return GX_COIN_ERR_PROOF;
  crypto_core_ristretto255_add(b, t1, t2);
  gx_coin_challenge(c2, pub->vk[index], h, sh->share, a, b);
  return sodium_memcmp(c2, sh->c, SC) == 0 ? GX_COIN_OK : GX_COIN_ERR_PROOF;
}

/* Lagrange interpolation in the exponent: value at x = at of the polynomial
 * through (xs[k], pts[k]), k < count. The count denominators are inverted
 * together (one inversion, Montgomery's trick). */
static gx_coin_err_t gx_coin_interp(uint8_t out[PT], const uint32_t *xs,
                                    const uint8_t (*pts)[PT], unsigned count, uint32_t at) {
  uint8_t num[GX_CONS_MAX_N][SC], den[GX_CONS_MAX_N][SC], pre[GX_CONS_MAX_N][SC];
  uint8_t xa[SC], xk[SC], xm[SC], t[SC], inv[SC];
  if (count == 0 || count > GX_CONS_MAX_N) return GX_COIN_ERR_ARG;
  gx_coin_scalar_u32(xa, at);
  for (unsigned k = 0; k < count; k++) {
    gx_coin_scalar_u32(num[k], 1);
    gx_coin_scalar_u32(den[k], 1);
    gx_coin_scalar_u32(xk, xs[k]);
    for (unsigned m = 0; m < count; m++) {
      if (m == k) continue;
      gx_coin_scalar_u32(xm, xs[m]);
      crypto_core_ristretto255_scalar_sub(t, xa, xm);
      crypto_core_ristretto255_scalar_mul(num[k], num[k], t);
      crypto_core_ristretto255_scalar_sub(t, xk, xm);
      crypto_core_ristretto255_scalar_mul(den[k], den[k], t);
    }
    if (k == 0) memcpy(pre[0], den[0], SC);
    else crypto_core_ristretto255_scalar_mul(pre[k], pre[k - 1], den[k]);
  }
  if (crypto_core_ristretto255_scalar_invert(inv, pre[count - 1]) != 0) return GX_COIN_ERR_ARG;
  uint8_t acc[PT];
  int have = 0;
  for (unsigned k = count; k-- > 0;) {
    uint8_t dinv[SC], lam[SC], term[PT];
    if (k > 0) crypto_core_ristretto255_scalar_mul(dinv, inv, pre[k - 1]); /* 1/den[k] */
    else memcpy(dinv, inv, SC);
    crypto_core_ristretto255_scalar_mul(inv, inv, den[k]);                  /* 1/pre[k-1] */
    crypto_core_ristretto255_scalar_mul(lam, num[k], dinv);
    if (sodium_is_zero(lam, SC)) continue; /* at == some other xs */
    if (crypto_scalarmult_ristretto255(term, lam, pts[k]) != 0) return GX_COIN_ERR_POINT;
    if (have) crypto_core_ristretto255_add(acc, acc, term);
    else memcpy(acc, term, PT);
    have = 1;
  }
  if (!have) return GX_COIN_ERR_POINT;
  memcpy(out, acc, PT);
  return GX_COIN_OK;
}

gx_coin_err_t gx_coin_combine(uint8_t out_point[32], int *bit, const gx_coin_pub_t *pub,
                              const uint16_t *index, const uint8_t (*share)[32],
                              unsigned count) {
  if (count != (unsigned)pub->f + 1) return GX_COIN_ERR_ARG;
  uint32_t xs[GX_CONS_MAX_N];
  for (unsigned k = 0; k < count; k++) {
    if (index[k] >= pub->n) return GX_COIN_ERR_ARG;
    for (unsigned m = 0; m < k; m++)
      if (index[m] == index[k]) return GX_COIN_ERR_ARG;
    xs[k] = (uint32_t)index[k] + 1;
  }
  gx_coin_err_t e = gx_coin_interp(out_point, xs, share, count, 0);
  if (e != GX_COIN_OK) return e;
  gx_hash_t hv;
  gx_hash2(&hv, GX_DOM_CONSENSUS, "coin-value", 10, out_point, PT);
  *bit = hv.b[0] & 1;
  return GX_COIN_OK;
}

/* ---- key files ---- */
static const uint8_t gx_coin_magic_sec[8] = {'G', 'X', 'C', 'O', 'I', 'N', 'K', '1'};
static const uint8_t gx_coin_magic_pub[8] = {'G', 'X', 'C', 'O', 'I', 'N', 'P', '1'};

static size_t gx_coin_put_set(uint8_t *p, const gx_coin_pub_t *pub) {
  memcpy(p, pub->group_vk, PT);
  for (unsigned i = 0; i < pub->n; i++) memcpy(p + PT + PT * i, pub->vk[i], PT);
  return PT + (size_t)PT * pub->n;
}

static int gx_coin_pub_ok(const gx_coin_pub_t *pub) {
  return pub->n >= 1 && pub->n <= GX_CONS_MAX_N && 3u * pub->f + 1 <= pub->n;
}

size_t gx_coin_secret_file_encode(uint8_t *out, const gx_coin_pub_t *pub,
                                  const gx_coin_secret_t *sec) {
  if (!gx_coin_pub_ok(pub) || sec->index >= pub->n) return 0;
  size_t k = 0;
  memcpy(out, gx_coin_magic_sec, 8);
  k = 8;
  gx_st16(out + k, pub->n); k += 2;
  gx_st16(out + k, pub->f); k += 2;
  gx_st16(out + k, sec->index); k += 2;
  memcpy(out + k, sec->x, SC); k += SC;
  k += gx_coin_put_set(out + k, pub);
  gx_hash((gx_hash_t *)(out + k), GX_DOM_CONSENSUS, out, k);
  return k + 32;
}

size_t gx_coin_public_file_encode(uint8_t *out, const gx_coin_pub_t *pub) {
  if (!gx_coin_pub_ok(pub)) return 0;
  size_t k = 0;
  memcpy(out, gx_coin_magic_pub, 8);
  k = 8;
  gx_st16(out + k, pub->n); k += 2;
  gx_st16(out + k, pub->f); k += 2;
  k += gx_coin_put_set(out + k, pub);
  gx_hash((gx_hash_t *)(out + k), GX_DOM_CONSENSUS, out, k);
  return k + 32;
}

/* Parses the public set at p (n already known) and checks that the vk_i lie on
 * one degree-f polynomial through group_vk. */
static gx_coin_err_t gx_coin_get_set(gx_coin_pub_t *pub, const uint8_t *p) {
  memcpy(pub->group_vk, p, PT);
  if (!crypto_core_ristretto255_is_valid_point(pub->group_vk)) return GX_COIN_ERR_KEY;
  for (unsigned i = 0; i < pub->n; i++) {
    memcpy(pub->vk[i], p + PT + PT * i, PT);
    if (!crypto_core_ristretto255_is_valid_point(pub->vk[i])) return GX_COIN_ERR_KEY;
  }
  uint32_t xs[GX_CONS_MAX_N];
  unsigned t = pub->f + 1u;
  for (unsigned k = 0; k < t; k++) xs[k] = k + 1;
  uint8_t v[PT];
  if (gx_coin_interp(v, xs, (const uint8_t(*)[PT])pub->vk, t, 0) != GX_COIN_OK ||
      sodium_memcmp(v, pub->group_vk, PT) != 0)
    return GX_COIN_ERR_KEY;
  for (unsigned j = t; j < pub->n; j++)
    if (gx_coin_interp(v, xs, (const uint8_t(*)[PT])pub->vk, t, j + 1) != GX_COIN_OK ||
        sodium_memcmp(v, pub->vk[j], PT) != 0)
      return GX_COIN_ERR_KEY;
  return GX_COIN_OK;
}

static gx_coin_err_t gx_coin_check_frame(const uint8_t *buf, size_t len, const uint8_t magic[8],
                                         size_t hdr, size_t (*szf)(unsigned), unsigned *n,
                                         unsigned *f) {
  if (len < hdr + 32 || memcmp(buf, magic, 8) != 0) return GX_COIN_ERR_FORMAT;
  *n = gx_ld16(buf + 8);
  *f = gx_ld16(buf + 10);
  if (*n < 1 || *n > GX_CONS_MAX_N || 3u * *f + 1 > *n) return GX_COIN_ERR_FORMAT;
  if (len != szf(*n)) return GX_COIN_ERR_FORMAT;
  gx_hash_t sum;
  gx_hash(&sum, GX_DOM_CONSENSUS, buf, len - 32);
  if (sodium_memcmp(sum.b, buf + len - 32, 32) != 0) return GX_COIN_ERR_FORMAT;
  return GX_COIN_OK;
}

static size_t gx_coin_sec_sz(unsigned n) { return GX_COIN_SECRET_FILE_SZ(n); }
static size_t gx_coin_pub_sz(unsigned n) { return GX_COIN_PUBLIC_FILE_SZ(n); }

gx_coin_err_t gx_coin_secret_file_decode(gx_coin_pub_t *pub, gx_coin_secret_t *sec,
                                         const uint8_t *buf, size_t len) {
  unsigned n, f;
  memset(pub, 0, sizeof *pub);
  memset(sec, 0, sizeof *sec);
  gx_coin_err_t e = gx_coin_check_frame(buf, len, gx_coin_magic_sec, 14 + SC + PT,
                                        gx_coin_sec_sz, &n, &f);
  if (e != GX_COIN_OK) return e;
  pub->n = (uint16_t)n;
  pub->f = (uint16_t)f;
  sec->index = gx_ld16(buf + 12);
  if (sec->index >= n) return GX_COIN_ERR_FORMAT;
  memcpy(sec->x, buf + 14, SC);
  if (!gx_coin_scalar_canonical(sec->x)) return GX_COIN_ERR_KEY;
  if ((e = gx_coin_get_set(pub, buf + 14 + SC)) != GX_COIN_OK) return e;
  uint8_t v[PT];
  if (crypto_scalarmult_ristretto255_base(v, sec->x) != 0 ||
      sodium_memcmp(v, pub->vk[sec->index], PT) != 0)
    return GX_COIN_ERR_KEY;
  return GX_COIN_OK;
}

gx_coin_err_t gx_coin_public_file_decode(gx_coin_pub_t *pub, const uint8_t *buf, size_t len) {
  unsigned n, f;
  memset(pub, 0, sizeof *pub);
  gx_coin_err_t e = gx_coin_check_frame(buf, len, gx_coin_magic_pub, 12 + PT, gx_coin_pub_sz,
                                        &n, &f);
  if (e != GX_COIN_OK) return e;
  pub->n = (uint16_t)n;
  pub->f = (uint16_t)f;
  return gx_coin_get_set(pub, buf + 12);
}
