/* Wire protocol: round trips, every rejection reason, signatures, property
 * tests over random mutations, and the checked-in test vectors (both ways). */
#include "core/gx_test_util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/gx_util.h"

static void test_xfer_roundtrip_and_verify(void **st) {
  (void)st;
  gx_xfer_t x, y;
  uint8_t enc[GX_XFER_SZ], enc2[GX_XFER_SZ];
  gx_test_xfer(&x, enc, 1, 2, 500, 3, 1);
  assert_int_equal(gx_xfer_decode(&y, enc, sizeof enc), GX_PROTO_OK);
  gx_xfer_encode(&y, enc2);
  assert_memory_equal(enc, enc2, sizeof enc);
  assert_memory_equal(&x, &y, sizeof x);
  assert_int_equal(gx_xfer_verify_enc(enc), GX_XFER_VERIFY_OK);
  enc[130] ^= 1;
  assert_int_equal(gx_xfer_verify_enc(enc), GX_XFER_VERIFY_BAD_INIT_SIG);
  enc[130] ^= 1;
  enc[250] ^= 1;
  assert_int_equal(gx_xfer_verify_enc(enc), GX_XFER_VERIFY_BAD_CP_SIG);
  enc[250] ^= 1;
  enc[70] ^= 1; /* amount: both signatures cover it */
  assert_int_equal(gx_xfer_verify_enc(enc), GX_XFER_VERIFY_BAD_INIT_SIG);
}

static void test_half_roundtrip(void **st) {
  (void)st;
  gx_xfer_t x, y;
  uint8_t enc[GX_XFER_SZ], half[GX_XFER_HALF_SZ], half2[GX_XFER_HALF_SZ];
  gx_test_xfer(&x, enc, 1, 2, 5, 1, 1);
  gx_xfer_half_encode(&x, half);
  assert_int_equal(gx_xfer_half_decode(&y, half, sizeof half), GX_PROTO_OK);
  gx_xfer_half_encode(&y, half2);
  assert_memory_equal(half, half2, sizeof half);
  assert_int_equal(gx_xfer_verify_init(&y), GX_XFER_VERIFY_OK);
  /* a half is not a transfer and vice versa */
  assert_int_equal(gx_xfer_decode(&y, half, sizeof half), GX_PROTO_ERR_TYPE);
  assert_int_equal(gx_xfer_half_decode(&y, enc, sizeof enc), GX_PROTO_ERR_TYPE);
}

static void test_sign_with_wrong_key_refused(void **st) {
  (void)st;
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ];
  gx_keypair_t other;
  gx_test_xfer(&x, enc, 1, 2, 5, 1, 1);
  gx_key_derive(&other, "test", 0, 9);
  assert_int_equal(gx_xfer_sign_init(&x, other.sk), -1);
  assert_int_equal(gx_xfer_sign_cp(&x, other.sk), -1);
}

static void test_xfer_rejections(void **st) {
  (void)st;
  gx_xfer_t x, y;
  uint8_t enc[GX_XFER_SZ], m[GX_XFER_SZ + 1];
  gx_test_xfer(&x, enc, 1, 2, 5, 2, 1);
  assert_int_equal(gx_xfer_decode(&y, enc, 1), GX_PROTO_ERR_SHORT);
  assert_int_equal(gx_xfer_decode(&y, enc, GX_XFER_SZ - 1), GX_PROTO_ERR_SHORT);
  memcpy(m, enc, GX_XFER_SZ);
  m[GX_XFER_SZ] = 0;
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ + 1), GX_PROTO_ERR_TRAILING);
  memcpy(m, enc, GX_XFER_SZ); m[0] = 2;
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_VERSION);
  memcpy(m, enc, GX_XFER_SZ); m[1] = 0x7e;
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_TYPE);
  memcpy(m, enc, GX_XFER_SZ); memset(m + 66, 0, 8);
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_AMOUNT);
  memcpy(m, enc, GX_XFER_SZ); gx_st64(m + 66, GX_AMOUNT_MAX + 1);
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_AMOUNT);
  memcpy(m, enc, GX_XFER_SZ); memset(m + 74, 0, 8);
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_SEQ);
  memcpy(m, enc, GX_XFER_SZ); gx_st64(m + 74, 1); /* seq 1 with a non-zero prev */
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_PREV);
  memcpy(m, enc, GX_XFER_SZ); memset(m + 82, 0, 32); /* seq 2 with a zero prev */
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_PREV);
  memcpy(m, enc, GX_XFER_SZ); memset(m + 186, 0, 8); /* counterparty seq 0 */
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_SEQ);
  memcpy(m, enc, GX_XFER_SZ); memcpy(m + 34, m + 2, 32);
  assert_int_equal(gx_xfer_decode(&y, m, GX_XFER_SZ), GX_PROTO_ERR_SELF);
  for (int e = 0; e < GX_PROTO_ERR__COUNT; e++) {
    assert_non_null(gx_proto_strerror((gx_proto_err_t)e));
    assert_string_not_equal(gx_proto_err_label((gx_proto_err_t)e), "unknown");
  }
}

static void test_batch(void **st) {
  (void)st;
  uint8_t xfers[GX_BATCH_MAX * GX_XFER_SZ], dgram[GX_UDP_PAYLOAD_MAX + 8];
  gx_xfer_t x, dec[GX_BATCH_MAX];
  for (int i = 0; i < GX_BATCH_MAX; i++) gx_test_xfer(&x, xfers + i * GX_XFER_SZ, i + 1, i + 10, 1, 1, 1);
  size_t len = gx_batch_encode(dgram, sizeof dgram, xfers, GX_BATCH_MAX, 2);
  assert_int_equal(len, gx_batch_size(GX_BATCH_MAX));
  assert_true(len <= GX_UDP_PAYLOAD_MAX);
  const uint8_t *ptrs[GX_BATCH_MAX];
  size_t n;
  uint8_t hops;
  assert_int_equal(gx_batch_decode(dgram, len, ptrs, dec, &n, &hops), GX_PROTO_OK);
  assert_int_equal(n, GX_BATCH_MAX);
  assert_int_equal(hops, 2);
  assert_ptr_equal(ptrs[4], dgram + 4 + 4 * GX_XFER_SZ);
  assert_int_equal(dec[3].amount, 1);
  assert_int_equal(gx_batch_encode(dgram, sizeof dgram, xfers, 0, 0), 0);
  assert_int_equal(gx_batch_encode(dgram, sizeof dgram, xfers, 6, 0), 0);
  assert_int_equal(gx_batch_encode(dgram, 100, xfers, 1, 0), 0);
  assert_int_equal(gx_batch_decode(dgram, len - 1, ptrs, NULL, &n, NULL), GX_PROTO_ERR_SHORT);
  assert_int_equal(gx_batch_decode(dgram, len + 1, ptrs, NULL, &n, NULL), GX_PROTO_ERR_TRAILING);
  dgram[2] = 0;
  assert_int_equal(gx_batch_decode(dgram, len, ptrs, NULL, &n, NULL), GX_PROTO_ERR_COUNT);
  dgram[2] = 6;
  assert_int_equal(gx_batch_decode(dgram, len, ptrs, NULL, &n, NULL), GX_PROTO_ERR_COUNT);
  dgram[2] = 5;
  dgram[3] = GX_BATCH_MAX_HOPS + 1;
  assert_int_equal(gx_batch_decode(dgram, len, ptrs, NULL, &n, NULL), GX_PROTO_ERR_RANGE);
  dgram[3] = 0;
  dgram[4 + 2 * GX_XFER_SZ] = 9; /* third transfer's version */
  assert_int_equal(gx_batch_decode(dgram, len, ptrs, NULL, &n, NULL), GX_PROTO_ERR_VERSION);
}

static void test_blackhole(void **st) {
  (void)st;
  enum { N = 3 };
  uint8_t xfers[N * GX_XFER_SZ];
  gx_xfer_t x;
  gx_hash_t ids[N], scratch[2 * (N + 1)];
  for (int i = 0; i < N; i++) {
    gx_test_xfer(&x, xfers + i * GX_XFER_SZ, i + 1, i + 20, 9, 1, 1);
    gx_xfer_id(&ids[i], xfers + i * GX_XFER_SZ);
  }
  gx_bh_header_t h = {.height = 7, .epoch = 3, .tx_count = N}, d;
  memset(h.prev.b, 0x11, 32);
  memset(h.state_root.b, 0x22, 32);
  assert_int_equal(gx_bh_entries_root(&h.entries_root, &h.prev, ids, N, scratch), 0);
  uint8_t buf[4096];
  size_t len = gx_bh_encode(buf, sizeof buf, &h, xfers);
  assert_int_equal(len, gx_bh_size(N));
  const uint8_t *body;
  assert_int_equal(gx_bh_decode(&d, &body, buf, len), GX_PROTO_OK);
  assert_true(gx_bh_header_eq(&d, &h));
  assert_ptr_equal(body, buf + GX_BH_HDR_SZ + 32);
  /* the fold: changing prev changes the entries root */
  gx_hash_t other_prev, root2;
  memset(other_prev.b, 0x12, 32);
  gx_bh_entries_root(&root2, &other_prev, ids, N, scratch);
  assert_false(gx_hash_eq(&root2, &h.entries_root));
  gx_hash_t id1, id2;
  gx_bh_id(&id1, &h);
  h.state_root.b[0] ^= 1;
  gx_bh_id(&id2, &h);
  assert_false(gx_hash_eq(&id1, &id2));
  buf[GX_BH_HDR_SZ] ^= 1; /* entry 0 must equal the header's prev */
  assert_int_equal(gx_bh_decode(&d, &body, buf, len), GX_PROTO_ERR_ENTRY);
  buf[GX_BH_HDR_SZ] ^= 1;
  assert_int_equal(gx_bh_decode(&d, &body, buf, len - 1), GX_PROTO_ERR_SHORT);
  assert_int_equal(gx_bh_decode(&d, &body, buf, len + 1), GX_PROTO_ERR_TRAILING);
  gx_st32(buf + 114, GX_BH_MAX_TXS + 1);
  assert_int_equal(gx_bh_decode(&d, &body, buf, len), GX_PROTO_ERR_COUNT);
  gx_st32(buf + 114, N);
  gx_st64(buf + 2, 0);
  assert_int_equal(gx_bh_decode(&d, &body, buf, len), GX_PROTO_ERR_RANGE);
  /* empty black hole: just the header and entry 0 */
  h.tx_count = 0;
  len = gx_bh_encode(buf, sizeof buf, &h, NULL);
  assert_int_equal(len, GX_BH_HDR_SZ + 32);
  assert_int_equal(gx_bh_decode(&d, &body, buf, len), GX_PROTO_OK);
  /* announce carries the header */
  uint8_t ann[GX_BH_ANNOUNCE_SZ];
  gx_bh_announce_encode(&h, ann);
  assert_int_equal(gx_bh_announce_decode(&d, ann, sizeof ann), GX_PROTO_OK);
  assert_true(gx_bh_header_eq(&d, &h));
}

static void test_shard_and_peer_msgs(void **st) {
  (void)st;
  uint8_t xfer[GX_XFER_SZ];
  gx_xfer_t x;
  gx_test_xfer(&x, xfer, 1, 2, 3, 1, 1);
  assert_true(gx_shard_of(&x.initiator, 16) < 16);
  assert_int_equal(gx_shard_of(&x.initiator, 16), gx_shard_of(&x.initiator, 16));
  assert_int_equal(gx_shard_of(&x.initiator, 1), 0);
  assert_int_equal(gx_shard_of(&x.initiator, 0), 0);

  gx_hello_t hello = {.height = 5, .port = 9000}, hd;
  memset(hello.node.b, 3, 32);
  uint8_t hb[GX_HELLO_SZ];
  gx_hello_encode(&hello, hb);
  assert_int_equal(gx_hello_decode(&hd, hb, sizeof hb), GX_PROTO_OK);
  uint8_t hb2[GX_HELLO_SZ];
  gx_hello_encode(&hd, hb2);
  assert_memory_equal(hb, hb2, sizeof hb);
  hb[76] = 1;
  assert_int_equal(gx_hello_decode(&hd, hb, sizeof hb), GX_PROTO_ERR_RESERVED);

  gx_sync_req_t sr = {.from_height = 10, .count = 64}, sd;
  uint8_t sb[GX_SYNC_REQ_SZ];
  gx_sync_req_encode(&sr, sb);
  assert_int_equal(gx_sync_req_decode(&sd, sb, sizeof sb), GX_PROTO_OK);
  assert_int_equal(sd.count, 64);
  sb[10] = 65;
  assert_int_equal(gx_sync_req_decode(&sd, sb, sizeof sb), GX_PROTO_ERR_COUNT);
  gx_proto_err_t e;
  assert_int_equal(gx_msg_type(sb, sizeof sb, &e), GX_MSG_SYNC_REQ);
  assert_int_equal(gx_msg_type(sb, 1, &e), -1);
  assert_int_equal(e, GX_PROTO_ERR_SHORT);
}

/* Random mutations of a valid transfer never crash, and whatever still decodes
 * is a different message that re-encodes to exactly the mutated bytes. */
static void test_property_mutations(void **st) {
  (void)st;
  gx_xfer_t x, y;
  uint8_t enc[GX_XFER_SZ], m[GX_XFER_SZ], re[GX_XFER_SZ];
  gx_test_xfer(&x, enc, 1, 2, 77, 4, 2);
  uint64_t rng = 0x9e3779b97f4a7c15ULL;
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; iter++) {
    memcpy(m, enc, sizeof m);
    int flips = 1 + (int)(rng % 4);
    for (int k = 0; k < flips; k++) {
      rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
      m[rng % GX_XFER_SZ] ^= (uint8_t)(1u << ((rng >> 32) % 8));
    }
    size_t len = GX_XFER_SZ - (iter % 50 == 0 ? (rng % 5) : 0);
    if (len == GX_XFER_SZ && memcmp(m, enc, GX_XFER_SZ) == 0) continue; /* flips cancelled */
    if (gx_xfer_decode(&y, m, len) == GX_PROTO_OK) {
      accepted++;
      gx_xfer_encode(&y, re);
      assert_memory_equal(re, m, GX_XFER_SZ);
      assert_memory_not_equal(m, enc, GX_XFER_SZ);
      /* the signatures no longer match the content (or the content is unchanged
       * and only a signature bit flipped) */
      assert_int_not_equal(gx_xfer_verify_enc(m), GX_XFER_VERIFY_OK);
    } else {
      rejected++;
    }
  }
  assert_true(accepted > 0 && rejected > 0);
  /* identity on many distinct valid transfers */
  for (int i = 0; i < 50; i++) {
    gx_test_xfer(&x, enc, i + 1, i + 100, (uint64_t)i + 1, (uint64_t)(i % 3) + 1, (uint64_t)(i % 5) + 1);
    assert_int_equal(gx_xfer_decode(&y, enc, GX_XFER_SZ), GX_PROTO_OK);
    gx_xfer_encode(&y, re);
    assert_memory_equal(re, enc, GX_XFER_SZ);
  }
}

/* ---- test vectors: tests/vectors/transfers.txt ------------------------------- */
/* Each vector: "vector NAME" then "field value" lines, ending with "hex" and "id".
 * Keys come from gx_key_derive("vector", 0, index). Regenerate with
 * GX_VECTORS_REGEN=1 (only when the protocol version changes). */
typedef struct {
  char name[64];
  uint64_t from, to, amount, nonce, iseq, cseq;
  char iprev[65], cprev[65], hex[2 * GX_XFER_SZ + 1], id[65];
} gx_vector_t;

static const gx_vector_t gx_vector_defs[] = {
  {"first-transfer-of-both", 1, 2, 1, 0, 1, 1, "", "", "", ""},
  {"later-links", 3, 4, 123456789, 42, 7, 12, "a1", "b2", "", ""},
  {"max-amount", 5, 6, (uint64_t)1 << 62, UINT64_MAX, (uint64_t)1 << 62, 2, "ff", "01", "", ""},
};

static void gx_vector_build(const gx_vector_t *v, gx_xfer_t *x, uint8_t enc[GX_XFER_SZ]) {
  gx_keypair_t a, b;
  gx_key_derive(&a, "vector", 0, v->from);
  gx_key_derive(&b, "vector", 0, v->to);
  memset(x, 0, sizeof *x);
  x->initiator = a.pk;
  x->counterparty = b.pk;
  x->amount = v->amount;
  x->nonce = v->nonce;
  x->init_link.seq = v->iseq;
  x->cp_link.seq = v->cseq;
  if (v->iseq > 1) memset(x->init_link.prev.b, (int)strtol(v->iprev, NULL, 16), 32);
  if (v->cseq > 1) memset(x->cp_link.prev.b, (int)strtol(v->cprev, NULL, 16), 32);
  gx_xfer_sign_init(x, a.sk);
  gx_xfer_sign_cp(x, b.sk);
  gx_xfer_encode(x, enc);
}

static void test_vectors(void **st) {
  (void)st;
  char path[512];
  const char *root = getenv("GX_ROOT");
  snprintf(path, sizeof path, "%s/tests/vectors/transfers.txt", root ? root : ".");
  if (getenv("GX_VECTORS_REGEN")) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "# Transfer test vectors (docs/PROTOCOL.md). Keys: gx_key_derive(\"vector\", 0, N).\n"
               "# prev fields: 32 copies of the byte shown (seq 1: all zero). id = H(gx.tx.v1, bytes).\n");
    for (size_t i = 0; i < GX_ARRAY_LEN(gx_vector_defs); i++) {
      const gx_vector_t *v = &gx_vector_defs[i];
      gx_xfer_t x;
      uint8_t enc[GX_XFER_SZ];
      char hex[2 * GX_XFER_SZ + 1], idhex[65];
      gx_hash_t id;
      gx_vector_build(v, &x, enc);
      gx_xfer_id(&id, enc);
      gx_hex_encode(hex, enc, GX_XFER_SZ);
      gx_hex_encode(idhex, id.b, 32);
      fprintf(f, "vector %s\nfrom_key %llu\nto_key %llu\namount %llu\nnonce %llu\ninit_seq %llu\n"
                 "init_prev %s\ncp_seq %llu\ncp_prev %s\nhex %s\nid %s\n\n",
              v->name, (unsigned long long)v->from, (unsigned long long)v->to,
              (unsigned long long)v->amount, (unsigned long long)v->nonce,
              (unsigned long long)v->iseq, v->iseq > 1 ? v->iprev : "00",
              (unsigned long long)v->cseq, v->cseq > 1 ? v->cprev : "00", hex, idhex);
    }
    fclose(f);
  }
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[1024];
  size_t checked = 0;
  gx_vector_t v;
  memset(&v, 0, sizeof v);
  while (fgets(line, sizeof line, f)) {
    unsigned long long u;
    if (sscanf(line, "vector %63s", v.name) == 1) continue;
    if (sscanf(line, "from_key %llu", &u) == 1) v.from = u;
    else if (sscanf(line, "to_key %llu", &u) == 1) v.to = u;
    else if (sscanf(line, "amount %llu", &u) == 1) v.amount = u;
    else if (sscanf(line, "nonce %llu", &u) == 1) v.nonce = u;
    else if (sscanf(line, "init_seq %llu", &u) == 1) v.iseq = u;
    else if (sscanf(line, "cp_seq %llu", &u) == 1) v.cseq = u;
    else if (sscanf(line, "init_prev %64s", v.iprev) == 1) continue;
    else if (sscanf(line, "cp_prev %64s", v.cprev) == 1) continue;
    else if (sscanf(line, "hex %580s", v.hex) == 1) continue;
    else if (sscanf(line, "id %64s", v.id) == 1) {
      /* fields -> bytes */
      gx_xfer_t x, y;
      uint8_t enc[GX_XFER_SZ], from_hex[GX_XFER_SZ];
      char hex[2 * GX_XFER_SZ + 1], idhex[65];
      gx_hash_t id;
      gx_vector_build(&v, &x, enc);
      gx_hex_encode(hex, enc, GX_XFER_SZ);
      assert_string_equal(hex, v.hex);
      /* bytes -> fields */
      assert_int_equal(gx_hex_decode(from_hex, GX_XFER_SZ, v.hex), 0);
      assert_int_equal(gx_xfer_decode(&y, from_hex, GX_XFER_SZ), GX_PROTO_OK);
      assert_memory_equal(&x, &y, sizeof x);
      assert_int_equal(gx_xfer_verify_enc(from_hex), GX_XFER_VERIFY_OK);
      gx_xfer_id(&id, from_hex);
      gx_hex_encode(idhex, id.b, 32);
      assert_string_equal(idhex, v.id);
      checked++;
      memset(&v, 0, sizeof v);
    }
  }
  fclose(f);
  assert_int_equal(checked, GX_ARRAY_LEN(gx_vector_defs));
}

static int gx_setup(void **st) {
  (void)st;
  return sodium_init() < 0 ? -1 : 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_xfer_roundtrip_and_verify),
    cmocka_unit_test(test_half_roundtrip),
    cmocka_unit_test(test_sign_with_wrong_key_refused),
    cmocka_unit_test(test_xfer_rejections),
    cmocka_unit_test(test_batch),
    cmocka_unit_test(test_blackhole),
    cmocka_unit_test(test_shard_and_peer_msgs),
    cmocka_unit_test(test_property_mutations),
    cmocka_unit_test(test_vectors),
  };
  return cmocka_run_group_tests(tests, gx_setup, NULL);
}
