/* The chain's JSON API (docs/API.md) over galaxyd's HTTP server. */
#include "apps/galaxyd/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/gx_key.h"
#include "core/gx_lsh.h"
#include "core/gx_txbody.h"
#include "core/gx_util.h"
#include "validator/gx_cert.h"

/* ---- JSON API ------------------------------------------------------------------------- */
#define GX_API_ERR(st, code, ...) gx_http_error(body, cap, len, type, st, code, __VA_ARGS__)
#define GX_API_NO_CHAIN() GX_API_ERR(503, "no_chain", "this node runs no chain")

/* The path's last segment after prefix; NULL when empty or containing '/'. */
static const char *gx_api_arg(const gx_http_req_t *req, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(req->path, prefix, n) != 0) return NULL;
  const char *a = req->path + n;
  return (*a && !strchr(a, '/') && strlen(a) < 200) ? a : NULL;
}

/* NULL when s is a height (decimal, >= 1, no leading zero, fits u64); else
 * the error code: trailing_characters when digits are followed by others. */
static const char *gx_api_height(const char *s, uint64_t *h) {
  if (gx_parse_u64(s, h) == 0 && *h > 0) return NULL;
  size_t d = strspn(s, "0123456789");
  return d > 0 && s[d] ? "trailing_characters" : "bad_height";
}

static int gx_api_height_error(char *body, size_t cap, size_t *len, const char **type,
                               const char *code) {
  if (!strcmp(code, "trailing_characters"))
    return GX_API_ERR(400, code, "characters after the height (expected a whole number >= 1)");
  return GX_API_ERR(400, code, "expected a height (a whole number >= 1)");
}

static int gx_api_status(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                         const char **type) {
  (void)req;
  gx_galaxy_t *ch = ctx;
  gx_ingest_snapshot_t is;
  memset(&is, 0, sizeof is);
  if (ch->ingest) gx_ingest_snapshot(ch->ingest, &is);
  *type = "application/json";
  if (!ch->commit) {
    *len = (size_t)snprintf(body, cap,
                            "{\"chain\":false,\"mempool\":%llu,\"verified\":%llu,\"duplicates\":%llu}\n",
                            (unsigned long long)is.mempool_size, (unsigned long long)is.verified_ok,
                            (unsigned long long)is.duplicates);
    return 200;
  }
  gx_commit_status_t s;
  gx_commit_status(ch->commit, &s);
  char tip[65], name[6 * sizeof ch->genesis_v.name + 3], failure[6 * sizeof s.failure + 3];
  gx_hex_encode(tip, s.tip.b, 32);
  gx_json_str(name, sizeof name, ch->genesis_v.name);
  gx_json_str(failure, sizeof failure, s.failure);
  size_t n = (size_t)snprintf(
      body, cap,
      "{\"chain\":true,\"name\":%s,\"validator\":%d,\"validators\":%u,\"committee_changes\":%llu,\"height\":%llu,"
      "\"tip\":\"%s\",\"next_epoch\":%llu,\"blackholes\":%llu,\"empty_blackholes\":%llu,"
      "\"transfers_committed\":%llu,\"certificates\":%llu,\"equivocations\":%llu,"
      "\"synced_blackholes\":%llu,\"supply\":%llu,\"total_balance\":%llu,\"syncing\":%s,\"healthy\":%s,\"failure\":%s,"
      "\"mempool\":%llu,\"verified\":%llu,\"verify_failed\":%llu,\"duplicates\":%llu,\"rejected\":{",
      name, s.member, s.members, (unsigned long long)s.committee_changes,
      (unsigned long long)s.height, tip,
      (unsigned long long)s.next_epoch, (unsigned long long)s.blocks,
      (unsigned long long)s.empty_blocks, (unsigned long long)s.txs, (unsigned long long)s.certs,
      (unsigned long long)s.equivocations, (unsigned long long)s.synced_blocks,
      (unsigned long long)ch->genesis_v.supply, (unsigned long long)s.total_balance, s.syncing ? "true" : "false", s.running && !s.failure[0] ? "true" : "false", failure,
      (unsigned long long)is.mempool_size, (unsigned long long)is.verified_ok,
      (unsigned long long)is.verify_failed, (unsigned long long)is.duplicates);
  for (int r = 0; r < GX_LEDGER_REJ__COUNT && n < cap; r++)
    n += (size_t)snprintf(body + n, cap - n, "%s\"%s\":%llu", r ? "," : "",
                          gx_ledger_reject_label((gx_ledger_reject_t)r), (unsigned long long)s.rejected[r]);
  if (n < cap) n += (size_t)snprintf(body + n, cap - n, "},\"role\":\"%s\"", ch->star ? "star" : "galaxy");
  /* a clustered genesis: the galaxies' folded chain of each cluster (docs/CLUSTERS.md) */
  gx_commit_hier_status_t hs;
  gx_commit_hier_status(ch->commit, &hs);
  if (hs.cluster_count && n < cap) {
    n += (size_t)snprintf(body + n, cap - n, ",\"lsh_blocks_held\":%llu,\"clusters\":[",
                          (unsigned long long)hs.held);
    for (uint32_t c = 0; c < hs.cluster_count && n < cap; c++) {
      char id[65];
      gx_hex_encode(id, hs.cluster[c].id.b, 32);
      n += (size_t)snprintf(body + n, cap - n,
                            "%s{\"cluster\":%u,\"folded_height\":%llu,\"folded\":\"%s\",\"blocks_folded\":%llu}",
                            c ? "," : "", c, (unsigned long long)hs.cluster[c].height, id,
                            (unsigned long long)hs.cluster[c].folded);
    }
    if (n < cap) n += (size_t)snprintf(body + n, cap - n, "]");
  }
  if (ch->star && n < cap) { /* this star's cluster, as it builds it */
    gx_star_status_t ss;
    gx_star_status(ch->star, &ss);
    n += (size_t)snprintf(body + n, cap - n,
                          ",\"star\":{\"cluster\":%u,\"member\":%u,\"members\":%u,\"height\":%llu,"
                          "\"certified\":%llu,\"folded\":%llu,\"blocks_built\":%llu,\"blocks_sent\":%llu,"
                          "\"transfers_built\":%llu,\"running\":%s}",
                          ss.cluster, ss.member, ss.members, (unsigned long long)ss.height,
                          (unsigned long long)ss.certified, (unsigned long long)ss.folded,
                          (unsigned long long)ss.blocks_built, (unsigned long long)ss.blocks_sent,
                          (unsigned long long)ss.txs_built, ss.running ? "true" : "false");
  }
  if (n < cap) n += (size_t)snprintf(body + n, cap - n, "}\n");
  *len = n < cap ? n : cap;
  return 200;
}

static int gx_api_account(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                          const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  const char *a = gx_api_arg(req, "/v1/account/");
  if (!a) return GX_API_ERR(400, "missing_argument", "expected /v1/account/ADDRESS");
  gx_pubkey_t pk;
  gx_addr_err_t ae = gx_addr_decode(&pk, a);
  if (ae && strlen(a) > GX_ADDR_LEN) {
    char head[GX_ADDR_LEN + 1];
    memcpy(head, a, GX_ADDR_LEN);
    head[GX_ADDR_LEN] = '\0';
    if (gx_addr_decode(&pk, head) == GX_ADDR_OK)
      return GX_API_ERR(400, "trailing_characters", "characters after the %d-character address",
                        GX_ADDR_LEN);
  }
  if (ae == GX_ADDR_ERR_CHECKSUM) return GX_API_ERR(400, "bad_checksum", "%s", gx_addr_strerror(ae));
  if (ae) return GX_API_ERR(400, "bad_address", "%s", gx_addr_strerror(ae));
  gx_ledger_account_t acct;
  if (gx_commit_account(ch->commit, &pk, &acct) != 0)
    return GX_API_ERR(404, "unknown_account", "unknown account (no balance, no transfer)");
  char head[65];
  gx_hex_encode(head, acct.head.b, 32);
  *len = (size_t)snprintf(body, cap, "{\"address\":\"%s\",\"balance\":%llu,\"seq\":%llu,\"head\":\"%s\"}\n",
                          a, (unsigned long long)acct.balance, (unsigned long long)acct.seq, head);
  *type = "application/json";
  return 200;
}

/* The JSON of what this node knows of a transfer (docs/API.md "/v1/tx"):
 * GET /v1/tx/ID (accepted < 0: no "accepted" field) and POST /v1/tx (accepted
 * 0: not sent now, 1: sent to ingest). Returns the status. */
static int gx_api_outcome(char *body, size_t cap, size_t *len, const char *idhex,
                          const gx_galaxy_outcome_t *o, int accepted) {
  int post = accepted >= 0;
  size_t n = (size_t)snprintf(body, cap, "{\"id\":\"%s\",", idhex);
  if (post && n < cap) n += (size_t)snprintf(body + n, cap - n, "\"accepted\":%s,", accepted ? "true" : "false");
  int status;
  if (n >= cap) n = cap;
  switch (o->state) {
    case GX_GALAXY_TX_COMMITTED:
      status = 200;
      n += (size_t)snprintf(body + n, cap - n, "\"committed\":true,\"height\":%llu,\"index\":%u}\n",
                            (unsigned long long)o->height, o->index);
      break;
    case GX_GALAXY_TX_REJECTED: {
      const char *why = gx_ledger_reject_label(o->reason);
      status = post ? 422 : 404;
      if (o->height)
        n += (size_t)snprintf(body + n, cap - n,
                              "\"committed\":false,\"rejected\":\"%s\",\"height\":%llu,\"stage\":\"ledger\","
                              "\"error\":\"transfer rejected by the ledger at height %llu: %s\",\"code\":\"rejected\"}\n",
                              why, (unsigned long long)o->height, (unsigned long long)o->height, why);
      else
        n += (size_t)snprintf(body + n, cap - n,
                              "\"committed\":false,\"rejected\":\"%s\",\"stage\":\"submit\","
                              "\"error\":\"transfer refused at submission: %s\",\"code\":\"rejected\"}\n",
                              why, why);
      break;
    }
    case GX_GALAXY_TX_STOPPING:
      status = 503;
      n += (size_t)snprintf(body + n, cap - n,
                            "\"committed\":false,\"pending\":true,\"error\":\"the node is starting or stopping: "
                            "ask /v1/tx/ID later\",\"code\":\"unavailable\"}\n");
      break;
    default:
      if (post) {
        status = 202;
        n += (size_t)snprintf(body + n, cap - n, "\"committed\":false,\"pending\":true}\n");
      } else {
        status = 404;
        n += (size_t)snprintf(body + n, cap - n,
                              "\"committed\":false,\"error\":\"transfer not committed\",\"code\":\"not_committed\"}\n");
      }
  }
  *len = n < cap ? n : cap;
  return status;
}

static int gx_api_tx(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                     const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  const char *a = gx_api_arg(req, "/v1/tx/");
  gx_hash_t id;
  if (!a) return GX_API_ERR(400, "missing_argument", "expected /v1/tx/ID");
  if (strlen(a) > 64 && strspn(a, "0123456789abcdefABCDEF") >= 64)
    return GX_API_ERR(400, "trailing_characters", "characters after the 64-hex transaction id");
  if (strlen(a) != 64 || gx_hex_decode(id.b, 32, a) != 0)
    return GX_API_ERR(400, "bad_hash", "expected a 64-hex transaction id");
  gx_galaxy_outcome_t o;
  char err[256];
  if (gx_galaxy_outcome(ch, &id, &o, err, sizeof err) != 0)
    return GX_API_ERR(500, "store_error", "%s", err);
  *type = "application/json";
  return gx_api_outcome(body, cap, len, a, &o, -1);
}

/* ---- POST /v1/tx ---- */
/* The waiting thread's answer to a parked POST /v1/tx?wait=S. */
static void gx_api_submit_done(gx_galaxy_t *ch, gx_http_wait_t *w, const gx_hash_t *id,
                               const gx_galaxy_outcome_t *o) {
  (void)ch;
  char body[GX_HTTP_ANSWER_MAX], idhex[65];
  size_t len;
  gx_hex_encode(idhex, id->b, 32);
  int status = gx_api_outcome(body, sizeof body, &len, idhex, o, 1);
  gx_http_resume(w, status, body, len, "application/json");
}

/* ?wait=S (0..GX_GALAXY_WAIT_MAX_S), the only parameter: NULL, or the error code. */
static const char *gx_api_submit_query(const char *q, unsigned *wait) {
  *wait = 0;
  if (!q) return NULL;
  char tmp[GX_HTTP_QUERY_MAX], *save = NULL;
  snprintf(tmp, sizeof tmp, "%s", q);
  for (char *t = strtok_r(tmp, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
    if (strncmp(t, "wait=", 5) != 0) return "unknown_parameter";
    uint64_t v;
    if (gx_parse_u64(t + 5, &v) != 0 || v > GX_GALAXY_WAIT_MAX_S) return "bad_wait";
    *wait = (unsigned)v;
  }
  return NULL;
}

/* Is a party's sequence used by a committed transfer other than x? 1 yes
 * (a replay: it can never commit), 0 no, 2 x itself committed, -1 the store
 * failed. From the store alone, the accounts read before the transfer: the
 * store only grows, so x missing after a party's sequence was seen used means
 * another transfer used it (the ledger's state runs ahead of the store's
 * indexes, and would call a transfer committing right now a replay). */
static int gx_api_replay(gx_galaxy_t *ch, const gx_xfer_t *x, const gx_hash_t *id) {
  gx_store_t *st = gx_commit_store(ch->commit);
  gx_store_account_t a;
  gx_store_err_t e = gx_store_account(st, x->initiator.b, &a);
  int used = e == GX_STORE_OK && a.seq >= x->init_link.seq;
  if (e != GX_STORE_OK && e != GX_STORE_ENOTFOUND) return -1;
  if (!used) {
    e = gx_store_account(st, x->counterparty.b, &a);
    if (e != GX_STORE_OK && e != GX_STORE_ENOTFOUND) return -1;
    used = e == GX_STORE_OK && a.seq >= x->cp_link.seq;
  }
  if (!used) return 0;
  uint64_t height;
  uint32_t index;
  e = gx_store_find_tx(st, id, &height, &index);
  if (e == GX_STORE_OK) return 2;
  return e == GX_STORE_ENOTFOUND ? 1 : -1;
}

static int gx_api_submit(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                         const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  unsigned retry;
  if (!gx_galaxy_submit_admit(ch, &retry)) {
    *req->retry_after = retry;
    return GX_API_ERR(429, "rate_limited", "too many submissions (at most %d a second, bursts of %d)",
                      GX_GALAXY_SUBMIT_RATE, GX_GALAXY_SUBMIT_BURST);
  }
  unsigned wait;
  const char *qerr = gx_api_submit_query(req->query, &wait);
  if (qerr && !strcmp(qerr, "bad_wait"))
    return GX_API_ERR(400, qerr, "wait must be a whole number of seconds, 0..%d", GX_GALAXY_WAIT_MAX_S);
  if (qerr) return GX_API_ERR(400, qerr, "unknown query parameter (POST /v1/tx takes wait=S)");
  int binary = req->content_type && !strncasecmp(req->content_type, "application/octet-stream", 24);
  uint8_t enc[GX_XFER_SZ];
  gx_xfer_t x;
  gx_proto_err_t pe;
  gx_txbody_err_t te = gx_txbody_decode(req->body, req->body_len, binary, enc, &x, &pe);
  *type = "application/json";
  if (te != GX_TXBODY_OK) {
    const char *why = gx_txbody_label(te, pe);
    const char *msg = te == GX_TXBODY_HALF ? "this is an initiator's half: the counterparty must co-sign it first"
                      : te == GX_TXBODY_NOT_HEX && req->body_len == GX_XFER_SZ
                          ? "not hex (send the 290 bytes with Content-Type: application/octet-stream)"
                      : te == GX_TXBODY_NOT_HEX ? "not hex (a transfer is 580 hex digits, or 290 bytes as application/octet-stream)"
                      : te == GX_TXBODY_EMPTY ? "no transfer in the body"
                      : te == GX_TXBODY_TOO_LONG ? "body too long for a transfer"
                      : gx_proto_strerror(pe);
    char qmsg[512];
    gx_json_str(qmsg, sizeof qmsg, msg);
    *len = (size_t)snprintf(body, cap, "{\"error\":%s,\"code\":\"bad_transfer\",\"reason\":\"%s\"}\n",
                            qmsg, why);
    return 400;
  }
  gx_hash_t id;
  char idhex[65], err[256];
  gx_xfer_id(&id, enc);
  gx_hex_encode(idhex, id.b, 32);
  gx_galaxy_outcome_t o;
  if (gx_galaxy_outcome(ch, &id, &o, err, sizeof err) != 0)
    return GX_API_ERR(500, "store_error", "%s", err);
  if (o.state != GX_GALAXY_TX_PENDING) /* committed, or rejected already: not sent again */
    return gx_api_outcome(body, cap, len, idhex, &o, 0);
  /* what ingest and the ledger would refuse for good, said now */
  int refuse = -1;
  if (gx_xfer_verify_enc(enc) != GX_XFER_VERIFY_OK) {
    refuse = GX_LEDGER_REJ_BAD_SIGNATURE;
  } else {
    int r = gx_api_replay(ch, &x, &id);
    if (r < 0) return GX_API_ERR(500, "store_error", "the store failed to read");
    if (r == 2) { /* it committed meanwhile */
      if (gx_galaxy_outcome(ch, &id, &o, err, sizeof err) != 0)
        return GX_API_ERR(500, "store_error", "%s", err);
      return gx_api_outcome(body, cap, len, idhex, &o, 0);
    }
    if (r == 1) refuse = GX_LEDGER_REJ_REPLAY;
  }
  if (refuse >= 0) {
    gx_commit_note_rejected(ch->commit, &id, (gx_ledger_reject_t)refuse);
    o.state = GX_GALAXY_TX_REJECTED;
    o.reason = (gx_ledger_reject_t)refuse;
    o.height = 0;
    return gx_api_outcome(body, cap, len, idhex, &o, 0);
  }
  gx_ledger_account_t ia = {0}; /* the gate's view: the ledger's, the newest there is */
  (void)gx_commit_account(ch->commit, &x.initiator, &ia);
  if (x.init_link.seq > ia.seq + ch->max_future) {
    char msg[200];
    snprintf(msg, sizeof msg, "sequence %llu is more than %u past the initiator's committed %llu: "
             "submit the ones before it first", (unsigned long long)x.init_link.seq, ch->max_future,
             (unsigned long long)ia.seq);
    *len = (size_t)snprintf(body, cap, "{\"id\":\"%s\",\"accepted\":false,\"committed\":false,"
                            "\"error\":\"%s\",\"code\":\"too_far\"}\n", idhex, msg);
    return 409;
  }
  int slot = -1;
  if (wait) {
    slot = gx_galaxy_wait_reserve(ch);
    if (slot == -2)
      return GX_API_ERR(503, "unavailable", "the node is stopping");
    if (slot < 0) {
      *req->retry_after = 1;
      return GX_API_ERR(503, "too_many_waiters", "%d requests wait already; submit without wait, "
                        "or later", GX_GALAXY_WAITERS);
    }
  }
  if (gx_galaxy_submit_send(ch, enc, err, sizeof err) != 0) {
    if (slot >= 0) gx_galaxy_wait_release(ch, slot);
    return GX_API_ERR(503, "ingest_unreachable", "%s", err);
  }
  if (!wait) return gx_api_outcome(body, cap, len, idhex, &o, 1);
  gx_galaxy_wait_arm(ch, slot, &id, wait, req->wait, gx_api_submit_done);
  return GX_HTTP_SUSPEND;
}

/* Reads the record of height into body; returns the status. */
static int gx_api_read(gx_galaxy_t *ch, const char *prefix, const gx_http_req_t *req, char *body,
                       size_t cap, size_t *len, const char **type, gx_store_rec_t *rec,
                       uint64_t *height) {
  const char *a = gx_api_arg(req, prefix);
  if (!a) return GX_API_ERR(400, "missing_argument", "expected %sHEIGHT", prefix);
  const char *bad = gx_api_height(a, height);
  if (bad) return gx_api_height_error(body, cap, len, type, bad);
  gx_store_t *st = gx_commit_store(ch->commit);
  uint32_t rec_len;
  gx_store_err_t e = gx_store_record_size(st, *height, &rec_len);
  if (e == GX_STORE_ENOTFOUND || (e == GX_STORE_OK && *height > gx_store_durable_height(st)))
    return GX_API_ERR(404, "height_not_reached", "no black hole at that height yet");
  if (e != GX_STORE_OK) return GX_API_ERR(500, "store_error", "%s", gx_store_strerror(e));
  if (rec_len > cap) return GX_API_ERR(507, "too_large", "black hole larger than the API buffer");
  e = gx_store_get(st, *height, (uint8_t *)body, cap, rec);
  if (e != GX_STORE_OK) return GX_API_ERR(500, "store_error", "%s", gx_store_strerror(e));
  return 200;
}

static int gx_api_raw_bh(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                         const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  gx_store_rec_t rec;
  uint64_t h;
  int st = gx_api_read(ch, "/v1/raw/blackhole/", req, body, cap, len, type, &rec, &h);
  if (st != 200) return st;
  memmove(body, rec.body, rec.body_len);
  *len = rec.body_len;
  *type = "application/octet-stream";
  return 200;
}

/* GET /v1/equivocations: the double spends this node's ingest saw (newest
 * first, at most GX_API_EQUIV_MAX): the account, the seq, both transfers
 * (id and the 290 bytes in hex): anyone can check the proof. */
#define GX_API_EQUIV_MAX 16
static int gx_api_equivocations(void *ctx, const gx_http_req_t *req, char *body, size_t cap,
                                size_t *len, const char **type) {
  (void)req;
  gx_galaxy_t *ch = ctx;
  if (!ch->ingest) return GX_API_ERR(503, "no_ingest", "this node runs no ingest");
  gx_ingest_equivocation_t eq[GX_API_EQUIV_MAX]; /* 16 x 620 bytes: each listener has its own thread */
  uint64_t seen = 0;
  size_t n = gx_ingest_equivocations(ch->ingest, eq, GX_API_EQUIV_MAX, &seen);
  *type = "application/json";
  size_t o = 0;
#define GX_API_PUT(...)                                                                      \
  do {                                                                                       \
    int w_ = snprintf(body + o, o < cap ? cap - o : 0, __VA_ARGS__);                         \
    if (w_ < 0 || (size_t)w_ >= (o < cap ? cap - o : 0))                                     \
      return GX_API_ERR(500, "too_large", "answer larger than the server's buffer");         \
    o += (size_t)w_;                                                                         \
  } while (0)
  GX_API_PUT("{\"seen\":%llu,\"kept\":%u,\"proofs\":[", (unsigned long long)seen, GX_INGEST_EQUIV_KEPT);
  for (size_t i = 0; i < n; i++) {
    char addr[GX_ADDR_LEN + 1], id1[65], id2[65], x1[2 * GX_XFER_SZ + 1], x2[2 * GX_XFER_SZ + 1];
    gx_hash_t h1, h2;
    gx_addr_encode(addr, &eq[i].account);
    gx_xfer_id(&h1, eq[i].first);
    gx_xfer_id(&h2, eq[i].second);
    gx_hex_encode(id1, h1.b, 32);
    gx_hex_encode(id2, h2.b, 32);
    gx_hex_encode(x1, eq[i].first, GX_XFER_SZ);
    gx_hex_encode(x2, eq[i].second, GX_XFER_SZ);
    GX_API_PUT("%s{\"account\":\"%s\",\"seq\":%llu,\"first\":{\"id\":\"%s\",\"hex\":\"%s\"},"
               "\"second\":{\"id\":\"%s\",\"hex\":\"%s\"}}",
               i ? "," : "", addr, (unsigned long long)eq[i].seq, id1, x1, id2, x2);
  }
  GX_API_PUT("]}\n");
#undef GX_API_PUT
  *len = o;
  return 200;
}

/* GET PREFIX HEIGHT of raw bytes the commit stage keeps by height (a
 * certificate, a fold record): get's 0 -> 200, else 404 with code/what. */
typedef int (*gx_api_height_get_t)(gx_commit_t *c, uint64_t height, uint8_t *out, size_t cap, size_t *len);
static int gx_api_raw_by_height(gx_galaxy_t *ch, const gx_http_req_t *req, const char *prefix,
                                gx_api_height_get_t get, const char *code, const char *what, char *body,
                                size_t cap, size_t *len, const char **type) {
  if (!ch->commit) return GX_API_NO_CHAIN();
  const char *a = gx_api_arg(req, prefix);
  uint64_t h;
  if (!a) return GX_API_ERR(400, "missing_argument", "expected %sHEIGHT", prefix);
  const char *bad = gx_api_height(a, &h);
  if (bad) return gx_api_height_error(body, cap, len, type, bad);
  if (get(ch->commit, h, (uint8_t *)body, cap, len) != 0) return GX_API_ERR(404, code, "%s", what);
  *type = "application/octet-stream";
  return 200;
}

static int gx_api_raw_cert(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                           const char **type) {
  return gx_api_raw_by_height(ctx, req, "/v1/raw/cert/", gx_commit_cert, "no_certificate",
                              "no certificate for that height here", body, cap, len, type);
}

/* An LSH block this galaxy holds or folded (clusters: a galaxy that lacks an
 * agreed block fetches it here, docs/CLUSTERS.md). */
static int gx_api_raw_lsh(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                          const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  const char *a = gx_api_arg(req, "/v1/raw/lsh/");
  gx_hash_t id;
  if (!a || strlen(a) != 2 * GX_HASH_SZ || gx_hex_decode(id.b, GX_HASH_SZ, a) != 0)
    return GX_API_ERR(400, "bad_argument", "expected /v1/raw/lsh/ID (64 hex digits)");
  int r = gx_commit_lsh(ch->commit, &id, (uint8_t *)body, cap, len);
  if (r == -2) return GX_API_ERR(500, "too_large", "the block does not fit a response");
  if (r != 0) return GX_API_ERR(404, "no_lsh_block", "no LSH block with that id here");
  *type = "application/octet-stream";
  return 200;
}

/* The clusters' folded chains recorded with a black hole (a star or a
 * catching-up galaxy takes them from here; gx_commit_fold_record). */
static int gx_api_raw_fold(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                           const char **type) {
  return gx_api_raw_by_height(ctx, req, "/v1/raw/fold/", gx_commit_fold_record, "no_fold_record",
                              "no record of the clusters' chains at that height here", body, cap, len, type);
}

static int gx_api_blackhole(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                            const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  gx_store_rec_t rec;
  uint64_t h;
  int st = gx_api_read(ch, "/v1/blackhole/", req, body, cap, len, type, &rec, &h);
  if (st != 200) return st;
  gx_bh_header_t hdr;
  if (rec.body_len < GX_BH_HDR_SZ || gx_bh_header_decode(&hdr, rec.body, GX_BH_HDR_SZ) != GX_PROTO_OK)
    return GX_API_ERR(500, "internal", "stored black hole does not decode");
  /* The JSON is built after the record: copy the ids out first (body is the buffer). */
  uint32_t n = rec.tx_count;
  size_t ids_bytes = (size_t)n * 32;
  uint8_t *ids = malloc(ids_bytes ? ids_bytes : 1);
  if (!ids) return GX_API_ERR(500, "internal", "out of memory");
  memcpy(ids, rec.tx_hashes, ids_bytes);
  char id[65], prev[65], er[65], sr[65];
  gx_hex_encode(id, rec.hash.b, 32);
  gx_hex_encode(prev, hdr.prev.b, 32);
  gx_hex_encode(er, hdr.entries_root.b, 32);
  gx_hex_encode(sr, hdr.state_root.b, 32);
  size_t k = (size_t)snprintf(body, cap,
                              "{\"height\":%llu,\"id\":\"%s\",\"epoch\":%llu,\"prev\":\"%s\","
                              "\"entries_root\":\"%s\",\"state_root\":\"%s\",\"tx_count\":%u,\"txs\":[",
                              (unsigned long long)hdr.height, id, (unsigned long long)hdr.epoch, prev,
                              er, sr, hdr.tx_count);
  for (uint32_t i = 0; i < n && k + 80 < cap; i++) {
    char t[65];
    gx_hex_encode(t, ids + 32 * (size_t)i, 32);
    k += (size_t)snprintf(body + k, cap - k, "%s\"%s\"", i ? "," : "", t);
  }
  free(ids);
  k += (size_t)snprintf(body + k, cap - k, "]}\n");
  *len = k < cap ? k : cap;
  *type = "application/json";
  return 200;
}

/* ---- the home-cluster map (docs/API.md "/v1/clusters") ---- */
#define GX_API_HOME_RULE "shard_of_initiator_v1" /* gx_lsh_home_cluster */

/* "host:port" or "[v6]:port". */
static void gx_api_hostport(char *out, size_t cap, const char *host, unsigned port) {
  snprintf(out, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

#define GX_API_PUT(...)                                                                      \
  do {                                                                                       \
    int w_ = snprintf(body + o, o < cap ? cap - o : 0, __VA_ARGS__);                         \
    if (w_ < 0 || (size_t)w_ >= (o < cap ? cap - o : 0))                                     \
      return GX_API_ERR(500, "too_large", "answer larger than the server's buffer");         \
    o += (size_t)w_;                                                                         \
  } while (0)

/* The JSON array of count nodes at v: index, identity, consensus address,
 * ingest address (null when the genesis gives none), appended at body + *at.
 * 200, or an error answer (then written over body). */
static int gx_api_members(char *body, size_t cap, size_t *at, size_t *len, const char **type,
                          const gx_genesis_validator_t *v, unsigned count) {
  size_t o = *at;
  GX_API_PUT("[");
  for (unsigned i = 0; i < count; i++) {
    char id[65], addr[GX_GENESIS_HOST_MAX + 10], ing[GX_GENESIS_HOST_MAX + 12];
    gx_hex_encode(id, v[i].identity.b, 32);
    gx_api_hostport(addr, sizeof addr, v[i].host, v[i].port);
    if (v[i].ingest_port) {
      char hp[GX_GENESIS_HOST_MAX + 10];
      gx_api_hostport(hp, sizeof hp, v[i].ingest_host, v[i].ingest_port);
      snprintf(ing, sizeof ing, "\"%s\"", hp);
    } else {
      snprintf(ing, sizeof ing, "null");
    }
    GX_API_PUT("%s{\"index\":%u,\"identity\":\"%s\",\"address\":\"%s\",\"ingest\":%s}", i ? "," : "", i, id,
               addr, ing);
  }
  GX_API_PUT("]");
  *at = o;
  return 200;
}

/* ?known=GENESIS_ID (64 hex), the only parameter: NULL, or the error code. */
static const char *gx_api_clusters_query(const char *q, int *have, gx_hash_t *known) {
  *have = 0;
  if (!q) return NULL;
  char tmp[GX_HTTP_QUERY_MAX], *save = NULL;
  snprintf(tmp, sizeof tmp, "%s", q);
  for (char *t = strtok_r(tmp, "&", &save); t; t = strtok_r(NULL, "&", &save)) {
    if (strncmp(t, "known=", 6) != 0) return "unknown_parameter";
    if (strlen(t + 6) != 64 || gx_hex_decode(known->b, 32, t + 6) != 0) return "bad_genesis";
    *have = 1;
  }
  return NULL;
}

/* GET /v1/clusters[?known=ID]: the clusters of our genesis, each member with
 * its ingest address, and the galaxies'. With known = our genesis id, only
 * {"genesis":ID,"unchanged":true}: a client's cached map is still right. */
static int gx_api_clusters(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                           const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  const gx_genesis_t *g = &ch->genesis_v;
  gx_hash_t known;
  int have_known;
  const char *qerr = gx_api_clusters_query(req->query, &have_known, &known);
  if (qerr && !strcmp(qerr, "bad_genesis")) return GX_API_ERR(400, qerr, "known must be a 64-hex genesis id");
  if (qerr) return GX_API_ERR(400, qerr, "unknown query parameter (GET /v1/clusters takes known=GENESIS_ID)");
  char gid[65];
  gx_hex_encode(gid, g->id.b, 32);
  *type = "application/json";
  size_t o = 0;
  if (have_known && gx_hash_eq(&known, &g->id)) {
    GX_API_PUT("{\"genesis\":\"%s\",\"unchanged\":true}\n", gid);
    *len = o;
    return 200;
  }
  GX_API_PUT("{\"genesis\":\"%s\",\"rule\":\"" GX_API_HOME_RULE "\",\"cluster_count\":%u,\"clusters\":[", gid,
             g->cluster_count);
  for (unsigned c = 0; c < g->cluster_count; c++) {
    GX_API_PUT("%s{\"id\":%u,\"members\":", c ? "," : "", c);
    int st = gx_api_members(body, cap, &o, len, type, g->cluster[c].star, g->cluster[c].n);
    if (st != 200) return st;
    GX_API_PUT("}");
  }
  GX_API_PUT("],\"galaxies\":");
  int st = gx_api_members(body, cap, &o, len, type, g->v, g->n);
  if (st != 200) return st;
  GX_API_PUT("}\n");
  *len = o;
  return 200;
}

/* GET /v1/clusters/home/ADDR: the home cluster of an account and its members. */
static int gx_api_clusters_home(void *ctx, const gx_http_req_t *req, char *body, size_t cap, size_t *len,
                                const char **type) {
  gx_galaxy_t *ch = ctx;
  if (!ch->commit) return GX_API_NO_CHAIN();
  const gx_genesis_t *g = &ch->genesis_v;
  const char *a = gx_api_arg(req, "/v1/clusters/home/");
  if (!a) return GX_API_ERR(400, "missing_argument", "expected /v1/clusters/home/ADDRESS");
  gx_pubkey_t pk;
  gx_addr_err_t ae = gx_addr_decode(&pk, a);
  if (ae == GX_ADDR_ERR_CHECKSUM) return GX_API_ERR(400, "bad_checksum", "%s", gx_addr_strerror(ae));
  if (ae) return GX_API_ERR(400, "bad_address", "%s", gx_addr_strerror(ae));
  char gid[65];
  gx_hex_encode(gid, g->id.b, 32);
  *type = "application/json";
  size_t o = 0;
  GX_API_PUT("{\"address\":\"%s\",\"genesis\":\"%s\",\"rule\":\"" GX_API_HOME_RULE "\",\"cluster_count\":%u,", a,
             gid, g->cluster_count);
  if (!g->cluster_count) {
    GX_API_PUT("\"cluster\":null,\"members\":[]}\n");
  } else {
    uint32_t c = gx_lsh_home_cluster(&pk, g->cluster_count);
    GX_API_PUT("\"cluster\":%u,\"members\":", c);
    int st = gx_api_members(body, cap, &o, len, type, g->cluster[c].star, g->cluster[c].n);
    if (st != 200) return st;
    GX_API_PUT("}\n");
  }
  *len = o;
  return 200;
}
#undef GX_API_PUT

int gx_api_routes(gx_galaxy_t *ch, gx_http_t *http) {
  return gx_http_route(http, "GET", "/v1/status", gx_api_status, ch) ||
         gx_http_route(http, "GET", "/v1/account/*", gx_api_account, ch) ||
         gx_http_route(http, "GET", "/v1/tx/*", gx_api_tx, ch) ||
         gx_http_route_body(http, "POST", "/v1/tx", GX_TXBODY_MAX, gx_api_submit, ch) ||
         gx_http_route(http, "GET", "/v1/blackhole/*", gx_api_blackhole, ch) ||
         gx_http_route(http, "GET", "/v1/raw/blackhole/*", gx_api_raw_bh, ch) ||
         gx_http_route(http, "GET", "/v1/raw/cert/*", gx_api_raw_cert, ch) ||
         gx_http_route(http, "GET", "/v1/raw/lsh/*", gx_api_raw_lsh, ch) ||
         gx_http_route(http, "GET", "/v1/raw/fold/*", gx_api_raw_fold, ch) ||
         gx_http_route(http, "GET", "/v1/equivocations", gx_api_equivocations, ch) ||
         gx_http_route(http, "GET", "/v1/clusters", gx_api_clusters, ch) ||
         gx_http_route(http, "GET", "/v1/clusters/home/*", gx_api_clusters_home, ch);
}
