/* gx_cert: validator signatures over Black Holes and the certificates they
 * form (docs/LEDGER.md "Certificates").
 *
 * A validator certifies a black hole by signing, with its ed25519 identity
 * key, the digest H(BH_SIG, black hole id). f+1 valid signatures by distinct
 * validators of the set (n validators, f = (n-1)/3) form the certificate: at
 * least one honest validator applied the block and got that id.
 *
 * Certificate encoding (stored beside the black hole, sent with it in sync):
 *   count u16 (1..64), then count x (validator index u16, signature 64),
 *   indices strictly increasing. Exactly 2 + 66*count bytes.
 * Signature gossip message (type 0x33, 108 bytes):
 *   version u8 = 1, type u8 = 0x33, height u64 (1..2^62), black hole id 32,
 *   validator index u16 (< 64), signature 64.
 * Decoders are strict (exact length, ranges, order) and never allocate.
 *
 * The collector gathers signatures for a window of GX_CERT_WINDOW heights
 * above a low watermark: at most one signature per (height, validator), each
 * verified before it is kept, so its memory is fixed and a Byzantine
 * validator can only fill its own entries.
 *
 * Memory: caller-owned structs only. Threads: the pure functions any thread;
 * a collector belongs to one thread. Errors: gx_cert_err_t, gx_cert_strerror().
 * Needs sodium_init(). */
#ifndef GX_CERT_H
#define GX_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_proto.h"

#define GX_CERT_MAX_VALIDATORS 64
#define GX_CERT_MAX_SZ (2 + 66 * GX_CERT_MAX_VALIDATORS)
#define GX_MSG_BH_SIG 0x33
#define GX_BH_SIG_MSG_SZ 108
#define GX_CERT_WINDOW 64

typedef enum {
  GX_CERT_OK = 0,
  GX_CERT_ERR_ARG,        /* bad argument (validator set, buffer) */
  GX_CERT_ERR_SHORT,      /* fewer bytes than the layout needs */
  GX_CERT_ERR_TRAILING,   /* bytes after the encoding */
  GX_CERT_ERR_VERSION,    /* version byte is not 1 */
  GX_CERT_ERR_TYPE,       /* type byte is not 0x33 */
  GX_CERT_ERR_COUNT,      /* signature count 0 or above 64 */
  GX_CERT_ERR_ORDER,      /* validator indices not strictly increasing */
  GX_CERT_ERR_RANGE,      /* height or validator index out of range */
  GX_CERT_ERR_SIGNATURE,  /* a signature does not verify */
  GX_CERT_ERR_QUORUM,     /* fewer than f+1 signatures */
  GX_CERT_ERR_OLD,        /* collector: height below the window (already done) */
  GX_CERT_ERR_FUTURE,     /* collector: height above the window */
  GX_CERT_ERR_DUPLICATE,  /* collector: this validator already signed this height */
  GX_CERT_ERR_CONFLICT,   /* collector: this validator signed another id at this height */
  GX_CERT_ERR_BLACKHOLE,  /* sync: bytes do not start with a black hole header */
  GX_CERT_ERR__COUNT
} gx_cert_err_t;
const char *gx_cert_strerror(gx_cert_err_t e);
/* Stable snake_case label for metrics ("conflict"). */
const char *gx_cert_err_label(gx_cert_err_t e);

/* The validator set: identity keys by index. */
typedef struct {
  uint16_t n; /* 1..64 */
  gx_pubkey_t key[GX_CERT_MAX_VALIDATORS];
} gx_cert_set_t;
/* f = (n-1)/3; a certificate needs f+1 signatures. */
unsigned gx_cert_quorum(const gx_cert_set_t *set);

/* The digest a validator signs: H(BH_SIG, black hole id). */
void gx_cert_digest(gx_hash_t *d, const gx_hash_t *bh_id);
/* sk: libsodium 64-byte ed25519 secret key. */
void gx_cert_sign(gx_sig_t *sig, const gx_hash_t *bh_id, const uint8_t sk[64]);
/* 0 when sig is key's signature over bh_id, -1 otherwise. */
int gx_cert_verify_sig(const gx_pubkey_t *key, const gx_hash_t *bh_id, const gx_sig_t *sig);

typedef struct {
  uint16_t count;
  uint16_t index[GX_CERT_MAX_VALIDATORS];
  gx_sig_t sig[GX_CERT_MAX_VALIDATORS];
} gx_cert_t;

size_t gx_cert_size(const gx_cert_t *c);
/* Returns bytes written (gx_cert_size), 0 when c is not canonical (count,
 * order) or cap is short. */
size_t gx_cert_encode(const gx_cert_t *c, uint8_t *out, size_t cap);
gx_cert_err_t gx_cert_decode(gx_cert_t *c, const uint8_t *buf, size_t len);
/* Every index < set->n, every signature valid over bh_id, count >= f+1. */
gx_cert_err_t gx_cert_verify(const gx_cert_t *c, const gx_cert_set_t *set, const gx_hash_t *bh_id);

/* Sync: the encoded certificate `cert` must certify the black hole encoded in
 * bh (only its header is read here: gx_ledger_apply_blackhole checks the body,
 * the chain and the roots). Fills *height and *id on success. */
gx_cert_err_t gx_cert_check_blackhole(const gx_cert_set_t *set, const uint8_t *bh, size_t bh_len,
                                      const uint8_t *cert, size_t cert_len, uint64_t *height,
                                      gx_hash_t *id);

/* One validator's signature on a black hole, as gossiped. */
typedef struct {
  uint64_t height;
  gx_hash_t bh_id;
  uint16_t index;
  gx_sig_t sig;
} gx_bh_sig_msg_t;
void gx_bh_sig_msg_encode(const gx_bh_sig_msg_t *m, uint8_t out[GX_BH_SIG_MSG_SZ]);
gx_cert_err_t gx_bh_sig_msg_decode(gx_bh_sig_msg_t *m, const uint8_t *buf, size_t len);

/* ---- collector ------------------------------------------------------------ */
typedef struct {
  uint64_t height;          /* 0: slot unused */
  int have_id;              /* our own black hole id for this height is known */
  int done;                 /* certificate already produced */
  gx_hash_t id;
  uint64_t signed_mask;     /* validators with a stored signature */
  gx_hash_t claimed[GX_CERT_MAX_VALIDATORS]; /* id each one signed */
  gx_sig_t sig[GX_CERT_MAX_VALIDATORS];
} gx_cert_slot_t;

typedef struct {
  gx_cert_set_t set;
  uint64_t low;             /* lowest height still collected */
  gx_cert_slot_t slot[GX_CERT_WINDOW];
  uint64_t conflicts;       /* validators seen signing two ids at one height */
} gx_cert_collector_t;

/* Collects heights [low, low + GX_CERT_WINDOW). */
gx_cert_err_t gx_cert_collector_init(gx_cert_collector_t *c, const gx_cert_set_t *set, uint64_t low);
/* Our black hole at height has id (after commit). May complete a certificate
 * from signatures that arrived earlier: returns 1 and fills *out then, else 0;
 * negative gx_cert_err_t on error. */
int gx_cert_collector_expect(gx_cert_collector_t *c, uint64_t height, const gx_hash_t *id,
                             gx_cert_t *out);
/* Adds one gossiped signature (verified here). Returns 1 and fills *out when
 * this signature completes the certificate of m->height (once per height),
 * 0 when kept or already complete, negative gx_cert_err_t when refused. */
int gx_cert_collector_add(gx_cert_collector_t *c, const gx_bh_sig_msg_t *m, gx_cert_t *out);
/* Forgets heights below low (certificates stored). */
void gx_cert_collector_advance(gx_cert_collector_t *c, uint64_t low);

#endif
