/* star state: a wallet's chain state as a value, and the text star reads from
 * places it does not control. Pure functions (no I/O, no clocks, no
 * allocation); the caller owns every buffer; any thread.
 *
 *  - The chain file DIR/chain (docs/STAR.md "Chain state"), strictly decoded:
 *      galaxy-chain v2
 *      seq N              last transaction of this account the wallet builds on
 *      head HEX           its id (64 hex; zeros when seq is 0)
 *      pending N          sequence reserved by `star pay` (0: none); always seq + 1
 *      half HEX           that half (372 hex); absent for a reservation made
 *                         by star 0.4.0 (its version 1 file kept no half)
 *      rec TIME FLAGS HEX at most STAR_STATE_RECS transfers (580 hex) this wallet
 *                         co-signed or sent: TIME unix seconds of the last
 *                         co-sign or send, FLAGS STAR_REC_* (1..7)
 *    Version 1 (star 0.4.0 and older: the first four lines) still decodes,
 *    with a pending sequence but no half; encoding always writes version 2.
 *  - The galaxyd API's answers (docs/API.md): /v1/account/ADDR and /v1/tx/ID,
 *    read by a bounded walker over the JSON object's top-level members.
 *
 * Reconcile: the committed chain is the truth. star_state_reconcile sets the
 * chain to the committed (seq, head) and keeps the pending half only while it
 * can still commit (it links onto the committed head); records are kept (they
 * make `star cosign` idempotent and tell `star pay` which transfer may still be
 * in flight). Errors: decoders return NULL or a static one-line reason. */
#ifndef STAR_STATE_H
#define STAR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/gx_chain.h"
#include "core/gx_proto.h"

#define STAR_STATE_RECS 8
/* Bound on the encoded text (v2 with a half and every record). */
#define STAR_STATE_TEXT_MAX 8192

enum {
  STAR_REC_COSIGNED = 1, /* we signed it as the counterparty */
  STAR_REC_SENT = 2,     /* we sent it to a galaxy */
  STAR_REC_SETTLED = 4,  /* its outcome is known, or we stopped waiting for it */
};

typedef struct {
  uint64_t time; /* unix seconds of the last co-sign or send */
  uint32_t flags;
  uint8_t enc[GX_XFER_SZ];
} star_rec_t;

typedef struct {
  gx_chain_head_t chain; /* what the next transfer of this account links to */
  uint64_t pending;      /* seq reserved by star pay (chain.seq + 1), 0: none */
  int have_half;         /* 0 for a v1 file's pending reservation */
  uint8_t half[GX_XFER_HALF_SZ];
  uint32_t nrec;
  star_rec_t rec[STAR_STATE_RECS];
} star_state_t;

/* Decodes a chain file (NUL-terminated text). On a problem returns its reason
 * and leaves *s zeroed; NULL when decoded. */
const char *star_state_decode(star_state_t *s, const char *text);
/* Writes the v2 text into out (cap >= STAR_STATE_TEXT_MAX); returns its length. */
size_t star_state_encode(const star_state_t *s, char *out, size_t cap);

/* Adds enc as a record (flags or-ed into an existing record of the same
 * transfer, whose time becomes now). A record of another transfer with the
 * same initiator half and STAR_REC_COSIGNED is replaced (a re-co-signature of
 * that half). When full, the oldest record goes. Returns its index. */
uint32_t star_state_record(star_state_t *s, const uint8_t enc[GX_XFER_SZ], uint32_t flags, uint64_t now);
/* 1 when a and b (each a half or a full transfer) carry the same initiator
 * half: equal bytes but the message type (byte 1), up to the initiator's
 * signature. */
int star_state_same_half(const uint8_t *a, const uint8_t *b);
/* Index of the record of this transfer, or -1. */
int star_state_find(const star_state_t *s, const uint8_t enc[GX_XFER_SZ]);
/* Index of the record co-signed from this initiator half (or from the half
 * of this full transfer), or -1. */
int star_state_find_half(const star_state_t *s, const uint8_t half[GX_XFER_HALF_SZ]);
/* self's link in record i (0), or -1 when self is not a party. */
int star_state_rec_link(const star_state_t *s, uint32_t i, const gx_pubkey_t *self, gx_chain_link_t *link);

/* What star_state_reconcile changed. */
typedef enum {
  STAR_PENDING_NONE = 0, /* nothing was pending */
  STAR_PENDING_KEPT,     /* links onto the committed head: it can still commit */
  STAR_PENDING_USED,     /* its sequence is used on the committed chain (by it or another) */
  STAR_PENDING_BROKEN,   /* it no longer links onto the committed chain */
} star_pending_fate_t;
typedef struct {
  gx_chain_head_t before;    /* the wallet's chain before */
  int dropped;               /* the wallet was ahead of (or beside) the committed chain */
  uint64_t pending_seq;      /* the pending sequence before (0: none) */
  star_pending_fate_t fate;
} star_reconcile_t;
/* Sets the chain to committed and re-validates the pending half. */
void star_state_reconcile(star_state_t *s, const gx_chain_head_t *committed, star_reconcile_t *r);

/* A record that may still commit and link onto committed as self's next
 * transaction: self's link in it is (committed.seq + 1, committed.head), it is
 * not STAR_REC_SETTLED, it is not the half `except` (may be NULL), and it was
 * co-signed or sent less than settle_s seconds before now. Returns its index or -1. */
int star_state_in_flight(const star_state_t *s, const gx_pubkey_t *self, const gx_chain_head_t *committed,
                         const uint8_t *except_half, uint64_t now, uint64_t settle_s);

/* ---- the API's answers ----------------------------------------------------- */
typedef struct {
  uint64_t balance, seq;
  gx_hash_t head;
} star_account_t;
/* A 200 answer of /v1/account/ADDR: "balance", "seq", "head" required. 0 or -1. */
int star_answer_account(const char *body, star_account_t *a);
/* 1 when body is a JSON object whose "code" is code (e.g. "unknown_account"). */
int star_answer_code_is(const char *body, const char *code);

typedef enum {
  STAR_TX_COMMITTED = 0, /* *height set */
  STAR_TX_REJECTED,      /* reason set: the node's label ("overdraft", ...) */
  STAR_TX_NOT_COMMITTED, /* not (yet) committed, no known rejection */
  STAR_TX_BAD_ANSWER,    /* another status, or a body that does not say */
} star_tx_state_t;
/* An answer of /v1/tx/ID (status and body): committed ({"committed":true,
 * "height":H}, or a 200 with "height"), rejected ({"committed":false,
 * "rejected":"LABEL"}, LABEL of [a-z_], under 32 characters), not committed
 * (another 404). */
star_tx_state_t star_answer_tx(long status, const char *body, uint64_t *height, char reason[32]);

#endif
