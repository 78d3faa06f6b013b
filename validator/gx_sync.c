/* Catch-up: a node that is behind (it sees consensus traffic or black-hole
 * signatures beyond its window) fetches the missing black holes and their
 * certificates from its sync peers' HTTP API (libcurl; their admin listener,
 * docs/API.md "Limits": "http://[TOKEN@]HOST:PORT", the token sent as
 * Authorization: Bearer, never logged), checks each
 * certificate against the committee of that block's epoch, the hash chain
 * and the state root (gx_ledger_apply_blackhole), hands each to the sink and
 * moves the epoch driver past them. On the commit stage's thread. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gx_log.h"
#include "validator/gx_commit_int.h"

#define GX_SYNC_FOLD_EVERY 16 /* black holes caught up between fold records (clusters) */

static size_t gx_sync_curl_write(char *ptr, size_t size, size_t nmemb, void *ud) {
  gx_sync_t *s = ud;
  size_t n = size * nmemb;
  if (s->len + n > s->cap) return 0; /* larger than any valid object: abort */
  memcpy(s->buf + s->len, ptr, n);
  s->len += n;
  return n;
}

/* A sync peer "http://[TOKEN@]HOST:PORT": its URL without the token, and the
 * token ("" when none). */
static void gx_sync_peer(const char *peer, char *base, size_t cap, char *token, size_t tcap) {
  const char *sep = strstr(peer, "://");
  const char *auth = sep ? sep + 3 : peer;
  const char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
  token[0] = '\0';
  if (!at || (slash && slash < at)) {
    snprintf(base, cap, "%s", peer);
    return;
  }
  snprintf(token, tcap, "%.*s", (int)(at - auth), auth);
  snprintf(base, cap, "%.*s%s", (int)(auth - peer), peer, at + 1);
}

/* GET url into buf; 200 -> 0, anything else -1. */
static int gx_sync_fetch(gx_sync_t *s, CURL *curl, const char *url) {
  s->len = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url);
  if (curl_easy_perform(curl) != CURLE_OK) return -1;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status == 200 ? 0 : -1;
}

static CURL *gx_sync_curl(gx_sync_t *s) {
  CURL *curl = curl_easy_init();
  if (!curl) return NULL;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gx_sync_curl_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 500L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  return curl;
}

/* Sets peer p's token on curl and writes its base URL (without the token). */
static void gx_sync_use_peer(gx_commit_t *c, CURL *curl, int p, char *base, size_t cap) {
  char token[300];
  gx_sync_peer(c->cfg.sync_peers[p], base, cap, token, sizeof token);
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, token[0] ? CURLAUTH_BEARER : CURLAUTH_NONE);
  curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, token[0] ? token : NULL);
}

int gx_sync_get(gx_commit_t *c, const char *path) {
  CURL *curl = c->cfg.n_sync_peers ? gx_sync_curl(&c->sync) : NULL;
  if (!curl) return -1;
  int got = -1;
  for (int p = 0; p < c->cfg.n_sync_peers && got && !atomic_load(&c->stop); p++) {
    char url[512], peer[300];
    gx_sync_use_peer(c, curl, p, peer, sizeof peer);
    snprintf(url, sizeof url, "%s%s", peer, path);
    got = gx_sync_fetch(&c->sync, curl, url);
  }
  curl_easy_cleanup(curl);
  return got;
}

/* Fetches, checks and applies black holes from peers until none has more.
 * Returns how many were applied. */
uint64_t gx_sync_run(gx_commit_t *c) {
  gx_sync_t *s = &c->sync;
  if (!c->cfg.n_sync_peers) return 0;
  CURL *curl = gx_sync_curl(s);
  if (!curl) return 0;
  atomic_store(&c->st_syncing, 1);
  uint64_t applied = 0;
  uint8_t cert[GX_CERT_MAX_SZ];
  for (int more = 1; more && !atomic_load(&c->stop);) {
    more = 0;
    uint64_t h = gx_ledger_height(c->ledger) + 1;
    /* black hole h is of epoch h - 1, certified by that epoch's committee */
    const gx_committee_t *com = gx_driver_committee_at(c, h - 1);
    if (!com) break;
    gx_cert_set_t set;
    gx_committee_cert_set(com, &set);
    for (int p = 0; p < c->cfg.n_sync_peers; p++) {
      char url[512], peer[300];
      gx_sync_use_peer(c, curl, p, peer, sizeof peer);
      snprintf(url, sizeof url, "%s/v1/raw/cert/%llu", peer, (unsigned long long)h);
      if (gx_sync_fetch(s, curl, url) != 0 || s->len > sizeof cert) continue;
      size_t cert_len = s->len;
      memcpy(cert, s->buf, cert_len);
      snprintf(url, sizeof url, "%s/v1/raw/blackhole/%llu", peer, (unsigned long long)h);
      if (gx_sync_fetch(s, curl, url) != 0) continue;
      uint64_t cert_h;
      gx_hash_t id;
      gx_cert_err_t ce = gx_cert_check_blackhole(&set, s->buf, s->len, cert, cert_len, &cert_h, &id);
      if (ce != GX_CERT_OK || cert_h != h) {
        GX_WARN("commit", "sync: black hole %llu from %s: bad certificate (%s)", (unsigned long long)h,
                peer, gx_cert_strerror(ce));
        atomic_fetch_add(&c->st_sync_fail, 1);
        continue;
      }
      pthread_mutex_lock(&c->ledger_lock);
      gx_ledger_block_t blk;
      gx_ledger_err_t le = gx_ledger_apply_blackhole(c->ledger, s->buf, s->len, NULL, NULL, &blk);
      pthread_mutex_unlock(&c->ledger_lock);
      if (le != GX_LEDGER_OK) {
        GX_WARN("commit", "sync: black hole %llu from %s rejected: %s", (unsigned long long)h,
                peer, gx_ledger_strerror(le));
        atomic_fetch_add(&c->st_sync_fail, 1);
        continue;
      }
      if (c->sink.finish(c->sink.ctx, &blk, 1) != 0) break;
      gx_cert_t certd;
      if (gx_cert_decode(&certd, cert, cert_len) == GX_CERT_OK) gx_galaxy_sink_store_cert(c, h, &certd);
      atomic_fetch_add(&c->st_synced, 1);
      applied++;
      /* clusters: their folded chains, now and then during a long catch-up
       * (a star's view of the galaxies must not go stale) and at its end */
      if (applied % GX_SYNC_FOLD_EVERY == 0) gx_hier_synced(c);
      more = 1;
      break;
    }
  }
  curl_easy_cleanup(curl);
  if (applied % GX_SYNC_FOLD_EVERY) gx_hier_synced(c);
  if (applied) {
    uint64_t next = gx_ledger_height(c->ledger); /* epoch of the next black hole */
    gx_epoch_skip_to(c->drv.epoch, next);
    gx_driver_follow(c); /* a committee change may lie in what we caught up */
    atomic_store(&c->st_next_epoch, next);
    GX_INFO("commit", "synced %llu black holes from peers; resuming consensus at epoch %llu",
            (unsigned long long)applied, (unsigned long long)next);
  }
  atomic_store(&c->st_syncing, 0);
  return applied;
}

int gx_sync_open(gx_commit_t *c, char *err, size_t errlen) {
  gx_sync_t *s = &c->sync;
  size_t max_txs = c->max_bh_txs;
  s->cap = gx_bh_size((uint32_t)max_txs) + GX_STORE_REC_OVERHEAD +
           max_txs * (GX_HASH_SZ + 2 * GX_STORE_UPDATE_SZ); /* > any LSH block too */
  s->buf = malloc(s->cap);
  if (!s->buf) {
    snprintf(err, errlen, "out of memory for the catch-up buffer (%zu bytes)", s->cap);
    return -1;
  }
  return 0;
}

void gx_sync_close(gx_commit_t *c) { free(c->sync.buf); }
