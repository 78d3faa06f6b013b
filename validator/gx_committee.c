#include "validator/gx_committee.h"

#include <sodium.h>
#include <string.h>

#include "core/gx_hash.h"
#include "core/gx_util.h"

const char *gx_committee_strerror(gx_committee_err_t e) {
  switch (e) {
  case GX_COMMITTEE_OK: return "ok";
  case GX_COMMITTEE_ERR_ARG: return "bad committee (member count, duplicate identity or coin keys)";
  case GX_COMMITTEE_ERR_EPOCH: return "a committee change must take effect at a later epoch boundary";
  case GX_COMMITTEE_ERR__COUNT: break;
  }
  return "unknown committee error";
}

gx_committee_err_t gx_committee_finish(gx_committee_t *c) {
  if (c->n == 0 || c->n > GX_COMMITTEE_MAX) return GX_COMMITTEE_ERR_ARG;
  for (unsigned i = 0; i < c->n; i++)
    for (unsigned j = i + 1; j < c->n; j++)
      if (!memcmp(c->m[i].identity.b, c->m[j].identity.b, 32)) return GX_COMMITTEE_ERR_ARG;
  c->f = (uint16_t)((c->n - 1u) / 3u);
  /* id = H(first_epoch, n, group key, then per member identity, port, host, coin vk) */
  crypto_generichash_state st;
  crypto_generichash_init(&st, (const uint8_t *)"gx.committee.v1", 15, GX_HASH_SZ);
  uint8_t hdr[8 + 2 + 32];
  gx_st64(hdr, c->first_epoch);
  gx_st16(hdr + 8, c->n);
  memcpy(hdr + 10, c->coin_group_vk, 32);
  crypto_generichash_update(&st, hdr, sizeof hdr);
  for (unsigned i = 0; i < c->n; i++) {
    const gx_member_t *m = &c->m[i];
    uint8_t rec[32 + 2 + 1 + 32];
    size_t hl = strnlen(m->host, GX_COMMITTEE_HOST_MAX);
    memcpy(rec, m->identity.b, 32);
    gx_st16(rec + 32, m->port);
    rec[34] = (uint8_t)hl;
    memcpy(rec + 35, m->coin_vk, 32);
    crypto_generichash_update(&st, rec, sizeof rec);
    crypto_generichash_update(&st, (const uint8_t *)m->host, hl);
  }
  crypto_generichash_final(&st, c->id.b, GX_HASH_SZ);
  return GX_COMMITTEE_OK;
}

int gx_committee_index(const gx_committee_t *c, const gx_pubkey_t *identity) {
  for (unsigned i = 0; i < c->n; i++)
    if (!memcmp(c->m[i].identity.b, identity->b, 32)) return (int)i;
  return -1;
}

void gx_committee_coin_pub(const gx_committee_t *c, gx_coin_pub_t *pub) {
  memset(pub, 0, sizeof *pub);
  pub->n = c->n;
  pub->f = c->f;
  memcpy(pub->group_vk, c->coin_group_vk, 32);
  for (unsigned i = 0; i < c->n; i++) memcpy(pub->vk[i], c->m[i].coin_vk, 32);
}

void gx_committee_cert_set(const gx_committee_t *c, gx_cert_set_t *set) {
  memset(set, 0, sizeof *set);
  set->n = c->n;
  for (unsigned i = 0; i < c->n; i++) set->key[i] = c->m[i].identity;
}

void gx_committee_link_keys(const gx_committee_t *c, gx_pubkey_t keys[GX_COMMITTEE_MAX]) {
  for (unsigned i = 0; i < c->n; i++) keys[i] = c->m[i].identity;
}

uint32_t gx_committee_shard(const gx_committee_t *c, unsigned member, uint64_t epoch) {
  return (uint32_t)((member + epoch) % c->n);
}

gx_committee_err_t gx_committee_test_deal(gx_committee_t *c, gx_coin_secret_t *secrets,
                                          const uint8_t *seed) {
  if (c->n == 0 || c->n > GX_COMMITTEE_MAX) return GX_COMMITTEE_ERR_ARG;
  gx_coin_pub_t pub;
  if (gx_coin_deal(&pub, secrets, c->n, (c->n - 1u) / 3u, seed) != GX_COIN_OK) return GX_COMMITTEE_ERR_ARG;
  memcpy(c->coin_group_vk, pub.group_vk, 32);
  for (unsigned i = 0; i < c->n; i++) memcpy(c->m[i].coin_vk, pub.vk[i], 32);
  return gx_committee_finish(c);
}

/* ---- membership ---- */
void gx_members_init(gx_members_t *m, const gx_committee_t *genesis_committee) {
  memset(m, 0, sizeof *m);
  m->hist[0] = *genesis_committee;
  m->hist[0].first_epoch = 0;
  m->count = 1;
}

static const gx_committee_t *gx_members_nth(const gx_members_t *m, unsigned i) {
  return &m->hist[(m->head + i) % GX_MEMBERS_HISTORY];
}

const gx_committee_t *gx_members_latest(const gx_members_t *m) {
  return gx_members_nth(m, m->count - 1);
}

const gx_committee_t *gx_members_at(const gx_members_t *m, uint64_t epoch) {
  for (unsigned i = m->count; i-- > 0;) {
    const gx_committee_t *c = gx_members_nth(m, i);
    if (c->first_epoch <= epoch) return c;
  }
  return NULL;
}

gx_committee_err_t gx_members_change(gx_members_t *m, const gx_committee_t *next,
                                     uint64_t running_epoch) {
  if (next->n == 0 || next->n > GX_COMMITTEE_MAX) return GX_COMMITTEE_ERR_ARG;
  if (next->first_epoch <= gx_members_latest(m)->first_epoch || next->first_epoch <= running_epoch)
    return GX_COMMITTEE_ERR_EPOCH;
  if (m->count == GX_MEMBERS_HISTORY) { /* forget the oldest */
    m->head = (m->head + 1) % GX_MEMBERS_HISTORY;
    m->count--;
  }
  m->hist[(m->head + m->count) % GX_MEMBERS_HISTORY] = *next;
  m->count++;
  return GX_COMMITTEE_OK;
}
