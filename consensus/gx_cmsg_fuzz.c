/* libFuzzer: gx_cmsg_decode on arbitrary bytes; whatever decodes must
 * re-encode to exactly the same bytes (one canonical form per message). */
#include "consensus/gx_cmsg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gx_cmsg_t m;
  if (gx_cmsg_decode(&m, data, size) != GX_CMSG_OK) return 0;
  uint8_t out[GX_CMSG_MAX];
  size_t n = 0;
  switch (m.type) {
  case GX_CMSG_RBC_VAL:
  case GX_CMSG_RBC_ECHO: {
    gx_hash_t branch[GX_CMSG_MAX_BRANCH];
    memcpy(branch, m.u.frag.branch, 32u * m.u.frag.branch_len);
    n = gx_cmsg_encode_frag(out, m.type, m.epoch, m.instance, &m.u.frag.root, m.u.frag.stripe_index,
                            branch, m.u.frag.branch_len, m.u.frag.stripe_len, m.u.frag.frag_off,
                            m.u.frag.data);
    break;
  }
  case GX_CMSG_RBC_READY:
    n = gx_cmsg_encode_ready(out, m.epoch, m.instance, &m.u.ready.root);
    break;
  case GX_CMSG_COIN:
    n = gx_cmsg_encode_coin(out, m.epoch, m.instance, m.u.coin.round, m.u.coin.share, m.u.coin.c,
                            m.u.coin.z);
    break;
  default:
    n = gx_cmsg_encode_vote(out, m.type, m.epoch, m.instance, m.u.vote.round, m.u.vote.value);
    break;
  }
  if (n != size || memcmp(out, data, size) != 0) abort();
  return 0;
}
