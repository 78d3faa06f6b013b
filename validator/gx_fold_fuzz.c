/* libFuzzer target: the galaxies' ACS proposal of LSH block refs
 * (gx_fold_refs_decode): never crashes; what decodes re-encodes to the same
 * bytes, survives sort unchanged, and two proposers carrying it agree on it
 * (none at a threshold of three). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "validator/gx_fold.h"

static int same(const gx_fold_ref_t *a, const gx_fold_ref_t *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (a[i].cluster != b[i].cluster || a[i].height != b[i].height || !gx_hash_eq(&a[i].id, &b[i].id))
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_fold_ref_t refs[GX_FOLD_MAX_REFS], copy[GX_FOLD_MAX_REFS], set[GX_FOLD_MAX_REFS];
  uint32_t n = 0;
  if (gx_fold_refs_decode(refs, &n, data, size) != GX_PROTO_OK) return 0;
  static uint8_t out[2 + GX_FOLD_MAX_REFS * GX_FOLD_REF_SZ];
  size_t len = gx_fold_refs_encode(out, sizeof out, refs, n);
  if (len != size || memcmp(out, data, size) != 0) abort();
  memcpy(copy, refs, n * sizeof *refs);
  if (gx_fold_refs_sort(copy, n) != n || !same(copy, refs, n)) abort();
  /* the same proposal from two proposers: everything is carried twice */
  const uint8_t *vals[2] = {data, data};
  uint32_t lens[2] = {(uint32_t)size, (uint32_t)size};
  uint16_t who[2] = {0, 5};
  static gx_fold_agreed_ref_t scratch[2 * GX_FOLD_MAX_REFS], agreed[GX_FOLD_MAX_REFS];
  uint32_t bad = 9;
  if (gx_fold_refs_agreed(vals, lens, who, 2, 2, scratch, agreed, GX_FOLD_MAX_REFS, &bad) != n || bad) abort();
  for (uint32_t i = 0; i < n; i++) {
    set[i] = agreed[i].ref;
    if (agreed[i].holders != ((1u << 0) | (1u << 5))) abort();
  }
  if (!same(set, refs, n)) abort();
  if (gx_fold_refs_agreed(vals, lens, who, 2, 3, scratch, agreed, GX_FOLD_MAX_REFS, NULL) != 0) abort();
  return 0;
}
