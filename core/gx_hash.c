#include "core/gx_hash.h"

#include <sodium.h>
#include <string.h>

static const char *const gx_domain_tags[GX_DOM_COUNT] = {
  [GX_DOM_TX] = "gx.tx.v1",
  [GX_DOM_SIG_INIT] = "gx.sig.init.v1",
  [GX_DOM_SIG_CP] = "gx.sig.cp.v1",
  [GX_DOM_BLACKHOLE] = "gx.blackhole.v1",
  [GX_DOM_LSH] = "gx.lsh.v1",
  [GX_DOM_MERKLE_LEAF] = "gx.mleaf.v1",
  [GX_DOM_MERKLE_NODE] = "gx.mnode.v1",
  [GX_DOM_ADDRESS] = "gx.address.v1",
  [GX_DOM_STATE] = "gx.state.v1",
  [GX_DOM_BH_SIG] = "gx.bhsig.v1",
  [GX_DOM_CONSENSUS] = "gx.consensus.v1",
  [GX_DOM_LINK] = "gx.link.v1",
  [GX_DOM_DERIVE] = "gx.derive.v1",
  [GX_DOM_LSH_SIG] = "gx.lshsig.v1",
};

const char *gx_domain_tag(gx_domain_t dom) {
  return (unsigned)dom < GX_DOM_COUNT ? gx_domain_tags[dom] : "?";
}

static void gx_personal(uint8_t p[16], gx_domain_t dom) {
  memset(p, 0, 16);
  const char *t = gx_domain_tag(dom);
  memcpy(p, t, strnlen(t, 16));
}

void gx_hash2(gx_hash_t *out, gx_domain_t dom, const void *a, size_t alen, const void *b,
              size_t blen) {
  uint8_t personal[16];
  crypto_generichash_blake2b_state st;
  gx_personal(personal, dom);
  crypto_generichash_blake2b_init_salt_personal(&st, NULL, 0, GX_HASH_SZ, NULL, personal);
  if (alen) crypto_generichash_blake2b_update(&st, a, alen);
  if (blen) crypto_generichash_blake2b_update(&st, b, blen);
  crypto_generichash_blake2b_final(&st, out->b, GX_HASH_SZ);
}

void gx_hash(gx_hash_t *out, gx_domain_t dom, const void *data, size_t len) {
  uint8_t personal[16];
  gx_personal(personal, dom);
  crypto_generichash_blake2b_salt_personal(out->b, GX_HASH_SZ, data, len, NULL, 0, NULL,
                                           personal);
}

int gx_hash_is_zero(const gx_hash_t *h) { return sodium_is_zero(h->b, GX_HASH_SZ); }
int gx_hash_eq(const gx_hash_t *a, const gx_hash_t *b) {
  return memcmp(a->b, b->b, GX_HASH_SZ) == 0;
}

void gx_merkle_leaf(gx_hash_t *out, const void *data, size_t len) {
  gx_hash(out, GX_DOM_MERKLE_LEAF, data, len);
}

static void gx_merkle_node(gx_hash_t *out, const gx_hash_t *l, const gx_hash_t *r) {
  gx_hash2(out, GX_DOM_MERKLE_NODE, l->b, GX_HASH_SZ, r->b, GX_HASH_SZ);
}

/* Reduce one level in place: level[0..n) -> level[0..(n+1)/2). */
static size_t gx_merkle_level(gx_hash_t *level, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i + 1 < n; i += 2) {
    gx_hash_t t;
    gx_merkle_node(&t, &level[i], &level[i + 1]);
    level[m++] = t;
  }
  if (n & 1) level[m++] = level[n - 1];
  return m;
}

int gx_merkle_root_inplace(gx_hash_t *root, gx_hash_t *leaves, size_t n) {
  if (n == 0) { memset(root, 0, sizeof *root); return 0; }
  if (!leaves || n > ((size_t)1 << GX_MERKLE_MAX_DEPTH)) return -1;
  while (n > 1) n = gx_merkle_level(leaves, n);
  *root = leaves[0];
  return 0;
}

int gx_merkle_root(gx_hash_t *root, const gx_hash_t *leaves, size_t n, gx_hash_t *scratch) {
  if (n == 0) { memset(root, 0, sizeof *root); return 0; }
  if (!scratch || n > ((size_t)1 << GX_MERKLE_MAX_DEPTH)) return -1;
  memcpy(scratch, leaves, n * sizeof *leaves);
  return gx_merkle_root_inplace(root, scratch, n);
}

int gx_merkle_branch(gx_hash_t *branch, const gx_hash_t *leaves, size_t n, size_t index,
                     gx_hash_t *scratch) {
  if (index >= n || !scratch || n > ((size_t)1 << GX_MERKLE_MAX_DEPTH)) return -1;
  memcpy(scratch, leaves, n * sizeof *leaves);
  int len = 0;
  while (n > 1) {
    size_t sib = index ^ 1;
    if (sib < n) branch[len++] = scratch[sib]; /* promoted odd node: no sibling */
    n = gx_merkle_level(scratch, n);
    index >>= 1;
  }
  return len;
}

int gx_merkle_verify(const gx_hash_t *root, const gx_hash_t *leaf, size_t n, size_t index,
                     const gx_hash_t *branch, size_t branch_len) {
  if (index >= n || n > ((size_t)1 << GX_MERKLE_MAX_DEPTH)) return -1;
  gx_hash_t cur = *leaf;
  size_t used = 0;
  while (n > 1) {
    size_t sib = index ^ 1;
    if (sib < n) {
      if (used >= branch_len) return -1;
      gx_hash_t t;
      if (index & 1) gx_merkle_node(&t, &branch[used], &cur);
      else gx_merkle_node(&t, &cur, &branch[used]);
      cur = t;
      used++;
    }
    n = (n + 1) / 2;
    index >>= 1;
  }
  return (used == branch_len && gx_hash_eq(&cur, root)) ? 0 : -1;
}
