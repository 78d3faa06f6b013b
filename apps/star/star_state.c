#include "apps/star/star_state.h"

#include <stdio.h>
#include <string.h>

#include "core/gx_hash.h"
#include "core/gx_util.h"

/* ---- small strict scanners over (pointer, length) spans ---------------------- */

static int star_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Exactly 2n hex digits in s[0..len). 0 or -1. */
static int star_hex_span(uint8_t *out, size_t n, const char *s, size_t len) {
  if (len != 2 * n) return -1;
  for (size_t i = 0; i < n; i++) {
    int hi = star_hexval(s[2 * i]), lo = star_hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

/* A decimal u64 in s[0..len): digits only, at least one, no overflow. */
static int star_u64_span(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 20) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

/* ---- the chain file ----------------------------------------------------------- */

/* The next line of text at *p: [*line, *len) without the '\n'; every line,
 * the last one included, must end with '\n'. 0, or -1 at the end. */
static int star_next_line(const char **p, const char **line, size_t *len) {
  if (!**p) return -1;
  const char *nl = strchr(*p, '\n');
  if (!nl) return -2;
  *line = *p;
  *len = (size_t)(nl - *p);
  *p = nl + 1;
  return 0;
}

/* "KEY VALUE" with one space: the value span, or NULL. */
static const char *star_kv(const char *line, size_t len, const char *key, size_t *vlen) {
  size_t k = strlen(key);
  if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ') return NULL;
  *vlen = len - k - 1;
  return line + k + 1;
}

static const char *star_state_decode_(star_state_t *s, const char *text) {
  const char *p = text, *line, *v;
  size_t len, vlen;
  int version;
  int r = star_next_line(&p, &line, &len);
  if (r) return "not a star chain file (empty or no newline)";
  if (len == 15 && !memcmp(line, "galaxy-chain v1", 15)) version = 1;
  else if (len == 15 && !memcmp(line, "galaxy-chain v2", 15)) version = 2;
  else return "not a star chain file (first line is not 'galaxy-chain v1' or 'v2')";
  if (star_next_line(&p, &line, &len) || !(v = star_kv(line, len, "seq", &vlen)) ||
      star_u64_span(v, vlen, &s->chain.seq) || s->chain.seq > GX_SEQ_MAX)
    return "line 2 is not 'seq N'";
  if (star_next_line(&p, &line, &len) || !(v = star_kv(line, len, "head", &vlen)) ||
      star_hex_span(s->chain.head.b, GX_HASH_SZ, v, vlen))
    return "line 3 is not 'head' and 64 hex characters";
  if (star_next_line(&p, &line, &len) || !(v = star_kv(line, len, "pending", &vlen)) ||
      star_u64_span(v, vlen, &s->pending))
    return "line 4 is not 'pending N'";
  if ((s->chain.seq == 0) != (gx_hash_is_zero(&s->chain.head) != 0))
    return "inconsistent chain state (seq 0 needs a zero head and only seq 0 has one)";
  if (s->pending && s->pending != s->chain.seq + 1)
    return "inconsistent chain state (pending is not seq + 1)";
  if (version == 1) return *p ? "text after the version 1 chain state" : NULL;
  while ((r = star_next_line(&p, &line, &len)) == 0) {
    if ((v = star_kv(line, len, "half", &vlen))) {
      gx_xfer_t x;
      if (!s->pending || s->have_half || s->nrec) return "a 'half' line where none belongs";
      if (star_hex_span(s->half, GX_XFER_HALF_SZ, v, vlen) ||
          gx_xfer_half_decode(&x, s->half, GX_XFER_HALF_SZ) != GX_PROTO_OK)
        return "the pending half is not a valid transfer half";
      if (x.init_link.seq != s->pending) return "the pending half is not at the pending sequence";
      s->have_half = 1;
    } else if ((v = star_kv(line, len, "rec", &vlen))) {
      if (s->nrec == STAR_STATE_RECS) return "more 'rec' lines than star keeps";
      star_rec_t *rc = &s->rec[s->nrec];
      const char *sp1 = memchr(v, ' ', vlen);
      const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', vlen - (size_t)(sp1 + 1 - v)) : NULL;
      uint64_t flags;
      gx_xfer_t x;
      if (!sp2 || star_u64_span(v, (size_t)(sp1 - v), &rc->time) ||
          star_u64_span(sp1 + 1, (size_t)(sp2 - sp1 - 1), &flags) || flags == 0 || flags > 7 ||
          star_hex_span(rc->enc, GX_XFER_SZ, sp2 + 1, vlen - (size_t)(sp2 + 1 - v)) ||
          gx_xfer_decode(&x, rc->enc, GX_XFER_SZ) != GX_PROTO_OK)
        return "a 'rec' line is not 'rec TIME FLAGS' and a transfer in hex";
      rc->flags = (uint32_t)flags;
      s->nrec++;
    } else {
      return "unknown line in the chain state";
    }
  }
  if (r == -2) return "the last line has no newline";
  return NULL;
}

const char *star_state_decode(star_state_t *s, const char *text) {
  memset(s, 0, sizeof *s);
  const char *why = star_state_decode_(s, text);
  if (why) memset(s, 0, sizeof *s);
  return why;
}

size_t star_state_encode(const star_state_t *s, char *out, size_t cap) {
  char head[2 * GX_HASH_SZ + 1], hex[2 * GX_XFER_SZ + 1];
  gx_hex_encode(head, s->chain.head.b, GX_HASH_SZ);
  int n = snprintf(out, cap, "galaxy-chain v2\nseq %llu\nhead %s\npending %llu\n",
                   (unsigned long long)s->chain.seq, head, (unsigned long long)s->pending);
  size_t len = n > 0 ? (size_t)n : 0;
  if (s->pending && s->have_half && len < cap) {
    gx_hex_encode(hex, s->half, GX_XFER_HALF_SZ);
    n = snprintf(out + len, cap - len, "half %s\n", hex);
    len += n > 0 ? (size_t)n : 0;
  }
  for (uint32_t i = 0; i < s->nrec && i < STAR_STATE_RECS && len < cap; i++) {
    gx_hex_encode(hex, s->rec[i].enc, GX_XFER_SZ);
    n = snprintf(out + len, cap - len, "rec %llu %u %s\n", (unsigned long long)s->rec[i].time,
                 (unsigned)s->rec[i].flags, hex);
    len += n > 0 ? (size_t)n : 0;
  }
  return len < cap ? len : cap - 1;
}

/* ---- records ------------------------------------------------------------------ */

int star_state_same_half(const uint8_t *a, const uint8_t *b) {
  return a[0] == b[0] && !memcmp(a + 2, b + 2, GX_XFER_HALF_SZ - 2);
}

uint32_t star_state_record(star_state_t *s, const uint8_t enc[GX_XFER_SZ], uint32_t flags, uint64_t now) {
  int f = star_state_find(s, enc);
  uint32_t i = f >= 0 ? (uint32_t)f : s->nrec;
  if (i == s->nrec && (flags & STAR_REC_COSIGNED)) {
    int h = star_state_find_half(s, enc);
    if (h >= 0) {
      i = (uint32_t)h;
      s->rec[i].flags = 0;
    }
  }
  if (i == s->nrec) {
    if (s->nrec < STAR_STATE_RECS) {
      s->nrec++;
    } else {
      i = 0;
      for (uint32_t j = 1; j < s->nrec; j++)
        if (s->rec[j].time < s->rec[i].time) i = j;
    }
    s->rec[i].flags = 0;
  }
  memcpy(s->rec[i].enc, enc, GX_XFER_SZ);
  s->rec[i].flags |= flags;
  s->rec[i].time = now;
  return i;
}

int star_state_find(const star_state_t *s, const uint8_t enc[GX_XFER_SZ]) {
  for (uint32_t i = 0; i < s->nrec; i++)
    if (!memcmp(s->rec[i].enc, enc, GX_XFER_SZ)) return (int)i;
  return -1;
}

int star_state_find_half(const star_state_t *s, const uint8_t half[GX_XFER_HALF_SZ]) {
  for (uint32_t i = 0; i < s->nrec; i++)
    if ((s->rec[i].flags & STAR_REC_COSIGNED) && star_state_same_half(s->rec[i].enc, half))
      return (int)i;
  return -1;
}

int star_state_rec_link(const star_state_t *s, uint32_t i, const gx_pubkey_t *self, gx_chain_link_t *link) {
  gx_xfer_t x;
  const gx_chain_link_t *l;
  if (i >= s->nrec || gx_xfer_decode(&x, s->rec[i].enc, GX_XFER_SZ) != GX_PROTO_OK ||
      gx_chain_link_of(&x, self, &l) != 0)
    return -1;
  *link = *l;
  return 0;
}

/* ---- reconcile ------------------------------------------------------------------ */

void star_state_reconcile(star_state_t *s, const gx_chain_head_t *committed, star_reconcile_t *r) {
  memset(r, 0, sizeof *r);
  r->before = s->chain;
  r->dropped = s->chain.seq > committed->seq ||
               (s->chain.seq == committed->seq && !gx_hash_eq(&s->chain.head, &committed->head));
  r->pending_seq = s->pending;
  s->chain = *committed;
  if (!s->pending) return;
  if (s->pending <= committed->seq) {
    r->fate = STAR_PENDING_USED;
  } else {
    gx_xfer_t x;
    int links = s->pending == committed->seq + 1;
    if (links && s->have_half && gx_xfer_half_decode(&x, s->half, GX_XFER_HALF_SZ) == GX_PROTO_OK)
      links = gx_hash_eq(&x.init_link.prev, &committed->head);
    r->fate = links ? STAR_PENDING_KEPT : STAR_PENDING_BROKEN;
  }
  if (r->fate != STAR_PENDING_KEPT) {
    s->pending = 0;
    s->have_half = 0;
    memset(s->half, 0, sizeof s->half);
  }
}

int star_state_in_flight(const star_state_t *s, const gx_pubkey_t *self, const gx_chain_head_t *committed,
                         const uint8_t *except_half, uint64_t now, uint64_t settle_s) {
  for (uint32_t i = 0; i < s->nrec; i++) {
    const star_rec_t *rc = &s->rec[i];
    gx_chain_link_t l;
    if (rc->flags & STAR_REC_SETTLED) continue;
    if (except_half && star_state_same_half(rc->enc, except_half)) continue;
    uint64_t age = now >= rc->time ? now - rc->time : 0;
    if (age >= settle_s || rc->time > now + 86400) continue; /* old, or a clock gone back a day */
    if (star_state_rec_link(s, i, self, &l) != 0) continue;
    if (l.seq == committed->seq + 1 && gx_hash_eq(&l.prev, &committed->head)) return (int)i;
  }
  return -1;
}

/* ---- JSON answers ------------------------------------------------------------------ */

#define STAR_JSON_DEPTH 16

static const char *star_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* p at '"': past the closing quote, or NULL (no end, a control byte). */
static const char *star_str_end(const char *p) {
  for (p++; *p != '"'; p++) {
    if (!*p || (unsigned char)*p < 0x20) return NULL;
    if (*p == '\\' && !*++p) return NULL;
  }
  return p + 1;
}

/* Past one JSON value at p, or NULL. Literals and numbers are taken as one
 * token of their characters (their exact grammar does not matter here). */
static const char *star_skip_value(const char *p, int depth) {
  if (depth > STAR_JSON_DEPTH) return NULL;
  if (*p == '"') return star_str_end(p);
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    int obj = *p == '{';
    p = star_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (obj) {
        if (*p != '"' || !(p = star_str_end(p))) return NULL;
        p = star_ws(p);
        if (*p != ':') return NULL;
        p = star_ws(p + 1);
      }
      if (!(p = star_skip_value(p, depth + 1))) return NULL;
      p = star_ws(p);
      if (*p == ',') p = star_ws(p + 1);
      else if (*p == close) return p + 1;
      else return NULL;
    }
  }
  const char *q = p;
  while (*q && strchr("+-.0123456789eEabcdfilnrstu", *q)) q++;
  return q == p ? NULL : q;
}

/* The value of key among the top-level members of the object in body: *val
 * and *vlen span it (a string without its quotes, escapes left as they are);
 * *is_str tells which. 0, or -1 (absent, or body is not an object). */
static int star_json_get(const char *body, const char *key, const char **val, size_t *vlen, int *is_str) {
  size_t klen = strlen(key);
  const char *p = star_ws(body);
  if (*p != '{') return -1;
  p = star_ws(p + 1);
  if (*p == '}') return -1;
  for (;;) {
    const char *k = p, *e;
    if (*p != '"' || !(e = star_str_end(p))) return -1;
    p = star_ws(e);
    if (*p != ':') return -1;
    p = star_ws(p + 1);
    const char *v = p;
    if (!(p = star_skip_value(p, 1))) return -1;
    if ((size_t)(e - k) == klen + 2 && !memcmp(k + 1, key, klen)) {
      *is_str = *v == '"';
      *val = *is_str ? v + 1 : v;
      *vlen = (size_t)(p - v) - (*is_str ? 2 : 0);
      return 0;
    }
    p = star_ws(p);
    if (*p == ',') p = star_ws(p + 1);
    else return -1;
  }
}

static int star_json_u64(const char *body, const char *key, uint64_t *out) {
  const char *v;
  size_t n;
  int is_str;
  if (star_json_get(body, key, &v, &n, &is_str) || is_str) return -1;
  return star_u64_span(v, n, out);
}

int star_answer_account(const char *body, star_account_t *a) {
  const char *v;
  size_t n;
  int is_str;
  memset(a, 0, sizeof *a);
  if (star_json_u64(body, "balance", &a->balance) || star_json_u64(body, "seq", &a->seq) ||
      star_json_get(body, "head", &v, &n, &is_str) || !is_str || star_hex_span(a->head.b, GX_HASH_SZ, v, n) ||
      (a->seq == 0) != (gx_hash_is_zero(&a->head) != 0)) {
    memset(a, 0, sizeof *a);
    return -1;
  }
  return 0;
}

int star_answer_code_is(const char *body, const char *code) {
  const char *v;
  size_t n;
  int is_str;
  return !star_json_get(body, "code", &v, &n, &is_str) && is_str && n == strlen(code) && !memcmp(v, code, n);
}

star_tx_state_t star_answer_tx(long status, const char *body, uint64_t *height, char reason[32]) {
  const char *v;
  size_t n;
  int is_str;
  reason[0] = 0;
  int committed = -1; /* absent */
  if (!star_json_get(body, "committed", &v, &n, &is_str) && !is_str) {
    if (n == 4 && !memcmp(v, "true", 4)) committed = 1;
    else if (n == 5 && !memcmp(v, "false", 5)) committed = 0;
  }
  if (status == 200 && committed != 0 && !star_json_u64(body, "height", height)) return STAR_TX_COMMITTED;
  if (committed == 0 && !star_json_get(body, "rejected", &v, &n, &is_str) && is_str && n > 0 && n < 32 &&
      strspn(v, "abcdefghijklmnopqrstuvwxyz_") >= n) {
    memcpy(reason, v, n);
    reason[n] = 0;
    return STAR_TX_REJECTED;
  }
  if (status == 404 || (status == 200 && committed == 0)) return STAR_TX_NOT_COMMITTED;
  return STAR_TX_BAD_ANSWER;
}
