/* gx_chain: per-account chain rules (docs/PROTOCOL.md "Chain rules").
 *
 * Every account has a chain of the transactions it signed, as initiator or as
 * counterparty. Sequence numbers start at 1 and grow by one; each link's prev
 * is the id of the account's previous transaction (zero at 1). Two different
 * transactions at the same (account, seq), each signed by that account, are an
 * equivocation, provable from the two encoded transfers alone.
 *
 * Memory: caller-owned. Threads: any. Pure functions (no clocks, no I/O). */
#ifndef GX_CHAIN_H
#define GX_CHAIN_H

#include "core/gx_proto.h"

/* An account's chain head: its last transaction (seq 0 = no transaction yet). */
typedef struct {
  uint64_t seq;
  gx_hash_t head;
} gx_chain_head_t;

typedef enum {
  GX_CHAIN_OK = 0,
  GX_CHAIN_ERR_REPLAY,  /* seq <= head: already used (a replay or an equivocation) */
  GX_CHAIN_ERR_GAP,     /* seq > head + 1: a transaction is missing                */
  GX_CHAIN_ERR_PREV,    /* seq == head + 1 but prev is not the head's id           */
  GX_CHAIN_ERR__COUNT
} gx_chain_err_t;
const char *gx_chain_strerror(gx_chain_err_t err);
const char *gx_chain_err_label(gx_chain_err_t err);

/* May link be the account's next transaction? */
gx_chain_err_t gx_chain_check(const gx_chain_head_t *head, const gx_chain_link_t *link);
/* Moves the head to (link->seq, tx_id). Call after gx_chain_check said OK. */
void gx_chain_advance(gx_chain_head_t *head, const gx_chain_link_t *link, const gx_hash_t *tx_id);

/* The role and link of an account inside a transfer; 0 when it is a party. */
int gx_chain_link_of(const gx_xfer_t *x, const gx_pubkey_t *account, const gx_chain_link_t **link);

/* 1 when the encoded transfers a and b prove that account equivocated: both
 * decode, both carry a valid signature by account over a link with the same
 * seq, and the two signed digests differ. 0 otherwise. */
int gx_chain_is_equivocation(const uint8_t a[GX_XFER_SZ], const uint8_t b[GX_XFER_SZ],
                             const gx_pubkey_t *account);

#endif
