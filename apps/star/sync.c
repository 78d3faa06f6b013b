#include "apps/star/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/star/net.h"
#include "core/gx_util.h"

star_sync_rc_t star_sync_account(const char *api, const gx_pubkey_t *pk, star_account_t *a, char *err,
                                 size_t errlen) {
  char addr[GX_ADDR_LEN + 1], url[700], body[1024];
  gx_addr_encode(addr, pk);
  star_url(url, sizeof url, api, "/v1/account/", addr);
  long st = star_http_get(url, body, sizeof body);
  if (st < 0) {
    snprintf(err, errlen, "cannot reach API at %s", url);
    return STAR_SYNC_UNREACHABLE;
  }
  if (st == 404 && star_answer_code_is(body, "unknown_account")) {
    memset(a, 0, sizeof *a);
    return STAR_SYNC_OK;
  }
  if (st == 200 && star_answer_account(body, a) == 0) return STAR_SYNC_OK;
  body[strcspn(body, "\r\n")] = 0;
  snprintf(err, errlen, "%s: HTTP %ld: not an account: %.200s", url, st, body);
  return STAR_SYNC_BAD_ANSWER;
}

star_tx_state_t star_sync_tx(const char *api, const char *idhex, long timeout_ms, uint64_t *height,
                             char reason[32], int *reachable) {
  char url[700], body[1024];
  star_url(url, sizeof url, api, "/v1/tx/", idhex);
  long st = star_http_get_ms(url, body, sizeof body, timeout_ms);
  *reachable = st >= 0;
  reason[0] = 0;
  if (st < 0) return STAR_TX_BAD_ANSWER;
  return star_answer_tx(st, body, height, reason);
}

static uint64_t star_now(void) { return (uint64_t)time(NULL); }

/* Waits for record i until it commits or is rejected, at most until its time
 * + settle_s; marks it settled. */
static void star_sync_settle(star_wallet_t *w, const char *api, uint32_t i, uint64_t settle_s, uint64_t seq,
                             int notes) {
  star_rec_t *rc = &w->st.rec[i];
  gx_hash_t id;
  char idhex[65], reason[32];
  gx_xfer_id(&id, rc->enc);
  gx_hex_encode(idhex, id.b, 32);
  uint64_t now = star_now(), deadline = rc->time + settle_s;
  if (notes)
    fprintf(stderr, "star: waiting up to %llus for transfer %s (%s %llus ago) to commit before signing sequence %llu\n",
            (unsigned long long)(deadline - now), idhex, (rc->flags & STAR_REC_SENT) ? "sent" : "co-signed",
            (unsigned long long)(now - rc->time), (unsigned long long)seq);
  rc->flags |= STAR_REC_SETTLED;
  for (;;) {
    uint64_t height;
    int reachable;
    now = star_now();
    long left_ms = now < deadline ? (long)(deadline - now) * 1000 : 0;
    if (left_ms <= 0) break;
    star_tx_state_t s = star_sync_tx(api, idhex, left_ms < 2000 ? left_ms : 2000, &height, reason, &reachable);
    if (s == STAR_TX_COMMITTED) return;
    if (s == STAR_TX_REJECTED) {
      if (notes) fprintf(stderr, "star: transfer %s was rejected (%s)\n", idhex, reason);
      return;
    }
    if (!reachable) return; /* the account read that follows says so */
    usleep(200000);
  }
  if (notes)
    fprintf(stderr, "star: transfer %s did not commit within %llus: signing sequence %llu without it "
            "(should it still commit, the new transfer is rejected and the wallet follows the chain)\n",
            idhex, (unsigned long long)settle_s, (unsigned long long)seq);
}

star_sync_rc_t star_sync(star_wallet_t *w, const char *api, uint64_t settle_s, const uint8_t *except_half,
                         int notes, star_account_t *acct, char *err, size_t errlen) {
  star_account_t a;
  gx_chain_head_t committed;
  star_sync_rc_t rc;
  /* each round settles one record for good, so this ends */
  for (uint32_t round = 0;; round++) {
    if ((rc = star_sync_account(api, &w->key.pk, &a, err, errlen)) != STAR_SYNC_OK) return rc;
    committed.seq = a.seq;
    committed.head = a.head;
    int i = settle_s && round <= STAR_STATE_RECS
                ? star_state_in_flight(&w->st, &w->key.pk, &committed, except_half, star_now(), settle_s)
                : -1;
    if (i < 0) break;
    star_sync_settle(w, api, (uint32_t)i, settle_s, committed.seq + 1, notes);
  }
  star_reconcile_t r;
  star_state_reconcile(&w->st, &committed, &r);
  if (acct) *acct = a;
  if (!notes) return STAR_SYNC_OK;
  /* co-signing the same half again: its transfer was the wallet's head and
   * still links onto the committed chain; the caller re-applies it */
  int again = 0;
  for (uint32_t i = 0; r.dropped && except_half && i < w->st.nrec; i++) {
    gx_hash_t id;
    gx_xfer_id(&id, w->st.rec[i].enc);
    again |= gx_hash_eq(&id, &r.before.head) && star_state_same_half(w->st.rec[i].enc, except_half);
  }
  if (r.dropped && !again)
    fprintf(stderr, "star: the wallet was at sequence %llu, the committed chain is at sequence %llu: "
            "following the committed chain (what was signed after it did not commit)\n",
            (unsigned long long)r.before.seq, (unsigned long long)committed.seq);
  if (r.fate == STAR_PENDING_USED)
    fprintf(stderr, "star: the transfer pending at sequence %llu is no longer pending: "
            "sequence %llu is used on the committed chain\n",
            (unsigned long long)r.pending_seq, (unsigned long long)r.pending_seq);
  else if (r.fate == STAR_PENDING_BROKEN)
    fprintf(stderr, "star: the transfer pending at sequence %llu was dropped: it no longer links onto "
            "the committed chain (at sequence %llu)\n",
            (unsigned long long)r.pending_seq, (unsigned long long)committed.seq);
  return STAR_SYNC_OK;
}

/* ---- the home-cluster map ---------------------------------------------------------- */
int star_route_get(const char *dir, const char *api, star_route_map_t *m, int notes) {
  char path[600];
  char *text = malloc(STAR_ROUTE_TEXT_MAX + 1); /* once per command, never in a loop */
  star_route_map_t *cache = malloc(sizeof *cache);
  int have_cache = 0, rc = 0, unchanged;
  memset(m, 0, sizeof *m);
  if (!text || !cache) {
    free(text);
    free(cache);
    return 0;
  }
  snprintf(path, sizeof path, "%s/clusters", dir);
  long n = gx_file_read(path, text, STAR_ROUTE_TEXT_MAX);
  if (n >= 0) {
    text[n] = 0;
    const char *why = (size_t)n == strlen(text) ? star_route_decode(cache, text, &unchanged) : "a NUL byte";
    if (!why && unchanged) why = "not a map";
    if (why && notes) fprintf(stderr, "star: warning: %s: %s: ignored (fetched again from the API)\n", path, why);
    have_cache = !why;
  } else if (errno != ENOENT && notes) {
    fprintf(stderr, "star: warning: %s: %s: ignored\n", path, strerror(errno));
  }
  if (api) {
    char url[800], gid[65];
    star_url(url, sizeof url, api, "/v1/clusters", "");
    if (have_cache) {
      gx_hex_encode(gid, cache->genesis.b, 32);
      snprintf(url + strlen(url), sizeof url - strlen(url), "?known=%s", gid);
    }
    long st = star_http_get(url, text, STAR_ROUTE_TEXT_MAX + 1);
    const char *why = st == 200 ? star_route_decode(m, text, &unchanged) : "no map";
    if (st < 0) {
      if (notes && have_cache)
        fprintf(stderr, "star: warning: cannot reach API at %s: routing by the cached map %s\n", url, path);
      if (have_cache) *m = *cache, rc = 1;
    } else if (why) {
      if (notes && st == 200) fprintf(stderr, "star: warning: %s: not a cluster map (%s): not routing\n", url, why);
      memset(m, 0, sizeof *m);
    } else if (unchanged && have_cache && gx_hash_eq(&m->genesis, &cache->genesis)) {
      *m = *cache;
      rc = 1;
    } else if (unchanged) { /* unchanged, but not what we asked about */
      if (notes) fprintf(stderr, "star: warning: %s: an unchanged answer for another genesis: not routing\n", url);
      memset(m, 0, sizeof *m);
    } else {
      rc = 1;
      if (notes && have_cache && !gx_hash_eq(&m->genesis, &cache->genesis))
        fprintf(stderr, "star: the API's network has another genesis than the cached cluster map: map refreshed\n");
      struct stat sb;
      if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
          gx_file_write_atomic(path, text, strlen(text), 0644, 0) != 0 && notes)
        fprintf(stderr, "star: warning: %s: cannot write: %s\n", path, strerror(errno));
    }
  } else if (have_cache) {
    *m = *cache;
    rc = 1;
  }
  free(text);
  free(cache);
  return rc;
}
