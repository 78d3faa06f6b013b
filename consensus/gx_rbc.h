/* gx_rbc: erasure-coded reliable broadcast (Bracha's VAL/ECHO/READY with
 * Cachin-Tessaro coding), one instance per (epoch, proposer).
 *
 * The proposer's value v (at most max_value bytes) is framed as
 * v || zero padding || u32 len, cut into K = N-2f data stripes of equal
 * length, extended to N stripes by Reed-Solomon (ISA-L Cauchy matrix), and
 * committed by the gx_merkle root over the N stripes. VAL(root, branch_i,
 * stripe_i) goes to node i; node i broadcasts ECHO with the same stripe; READY
 * after N-f valid ECHOs (or f+1 READYs) for a root; after 2f+1 READYs and K
 * valid ECHOs for that root a node decodes, re-encodes, recomputes the root
 * and delivers the value only when the root matches and the framing is
 * canonical; otherwise it delivers "bad" (the same verdict at every honest
 * node). Stripes travel in GX_CMSG_FRAG-byte fragments (gx_cmsg.h).
 *
 * Memory: the coder and instances live in memory the owner (gx_acs) carves
 * from one arena at start-up: gx_rbc_inst_footprint() bytes per instance.
 * Nothing here allocates. Threads: one owner thread per coder/instance.
 * Errors: gx_rbc_on_frag/on_ready return a gx_rbc_res_t (drops are reasons,
 * counted by the owner, never fatal). */
#ifndef GX_RBC_H
#define GX_RBC_H

#include "consensus/gx_cmsg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  unsigned n, f, k, self;
  uint32_t max_value;     /* bytes of value (before framing) */
  uint32_t stripe_max;    /* largest stripe: ceil((max_value+4)/k) */
  uint32_t stride;        /* stripe_max rounded up to 64 */
  uint8_t enc_matrix[GX_CONS_MAX_N * GX_CONS_MAX_N];
  uint8_t enc_tbls[32 * GX_CONS_MAX_N * GX_CONS_MAX_N / 2];
  uint8_t dec_tbls[32 * GX_CONS_MAX_N * GX_CONS_MAX_N / 2];
  uint8_t *parity;        /* (n-k) * stride scratch, from the owner's arena */
  gx_hash_t leaves[GX_CONS_MAX_N], scratch[GX_CONS_MAX_N];
} gx_rbc_coder_t;

typedef enum {
  GX_RBC_OK = 0,          /* accepted (maybe nothing new) */
  GX_RBC_DELIVERED,       /* this message completed the broadcast */
  GX_RBC_DROP_INDEX,      /* stripe index is not the one this sender may send */
  GX_RBC_DROP_SIZE,       /* stripe larger than the configured maximum */
  GX_RBC_DROP_CONFLICT,   /* fragment disagrees with this sender's first one */
  GX_RBC_DROP_PROOF,      /* completed stripe fails its Merkle proof */
  GX_RBC_DROP_DUP,        /* already have it */
  GX_RBC_RES_COUNT
} gx_rbc_res_t;

const char *gx_rbc_strerror(gx_rbc_res_t r);

/* Per-sender assembly of one stripe. */
typedef struct {
  gx_hash_t root;
  gx_hash_t branch[GX_CMSG_MAX_BRANCH];
  uint8_t branch_len;
  uint8_t state;          /* GX_RBC_SLOT_* */
  uint32_t stripe_len;
  uint32_t frags_have;
  uint64_t *fbits;        /* received-fragment bitmap */
  uint8_t *data;          /* stride bytes */
} gx_rbc_slot_t;

enum { GX_RBC_SLOT_EMPTY = 0, GX_RBC_SLOT_FILLING, GX_RBC_SLOT_VALID, GX_RBC_SLOT_BAD };
enum { GX_RBC_PENDING = 0, GX_RBC_DONE_VALUE, GX_RBC_DONE_BAD };

typedef struct {
  uint16_t proposer;
  uint8_t echo_sent, ready_sent, done;
  gx_hash_t ready_root;            /* what we sent READY for */
  uint64_t ready_from;             /* senders whose READY we hold */
  gx_hash_t ready_of[GX_CONS_MAX_N];
  gx_rbc_slot_t slot[GX_CONS_MAX_N]; /* slot j: stripe j as echoed by j; slot self from VAL */
  const uint8_t *value;            /* when done == GX_RBC_DONE_VALUE: into vbuf */
  uint32_t value_len;
  uint8_t *vbuf;                   /* k * stride bytes */
} gx_rbc_t;

/* A value encoded by a proposer, ready to be sent as VALs. */
typedef struct {
  uint32_t stripe_len;
  gx_hash_t root;
  gx_hash_t branch[GX_CONS_MAX_N][GX_CMSG_MAX_BRANCH];
  uint8_t branch_len[GX_CONS_MAX_N];
  uint8_t *stripes;                /* n * stride bytes of storage (owner's arena) */
  uint8_t *data[GX_CONS_MAX_N];    /* stripe j (data stripes may point into the value) */
} gx_rbc_enc_t;

/* Coder set-up: parity points at (n-k)*stride bytes; returns -1 on bad n/f. */
int gx_rbc_coder_init(gx_rbc_coder_t *c, unsigned n, unsigned f, unsigned self,
                      uint32_t max_value, uint8_t *parity);
uint32_t gx_rbc_stride(unsigned n, unsigned f, uint32_t max_value);
/* Arena bytes one instance needs beyond sizeof(gx_rbc_t). */
size_t gx_rbc_inst_footprint(const gx_rbc_coder_t *c);
/* Points the instance's buffers into mem (gx_rbc_inst_footprint bytes). */
void gx_rbc_inst_bind(gx_rbc_t *r, const gx_rbc_coder_t *c, uint8_t *mem);
/* Forgets everything (new epoch), keeps the buffers. */
void gx_rbc_reset(gx_rbc_t *r, uint16_t proposer);

/* Encodes value (len <= max_value) into enc (enc->stripes: n*stride bytes):
 * gx_rbc_code (framing + Reed-Solomon parity) then gx_rbc_recommit (Merkle).
 * Data stripes lying wholly inside value are coded in place and enc->data
 * points into value: keep value alive and unchanged while enc is used, or
 * pass value == enc->stripes (the value already copied there: fully in place). */
int gx_rbc_encode(gx_rbc_coder_t *c, gx_rbc_enc_t *enc, const uint8_t *value, uint32_t len);
int gx_rbc_code(gx_rbc_coder_t *c, gx_rbc_enc_t *enc, const uint8_t *value, uint32_t len);
/* Rebuilds the k data stripes (k * sl bytes, contiguous, into out) from the k
 * stripes src[t] of stripe index idx[t] (distinct, ascending). 0 or -1. */
int gx_rbc_recover(gx_rbc_coder_t *c, uint8_t *const *src, const unsigned *idx, uint32_t sl,
                   uint8_t *out);
/* Recomputes enc's root and branches from enc->stripes as they are now (a test
 * that damages a stripe first gets a consistent commitment to an inconsistent
 * codeword, which every honest node must reject after decoding). */
int gx_rbc_recommit(gx_rbc_coder_t *c, gx_rbc_enc_t *enc);
/* Sends node dest its VAL fragments of enc. */
void gx_rbc_send_val(const gx_rbc_enc_t *enc, uint64_t epoch,
                     uint16_t instance, unsigned dest, const gx_cmsg_sink_t *sink);

/* Handlers: m is a decoded VAL/ECHO (on_frag) or READY (on_ready) for this instance. */
gx_rbc_res_t gx_rbc_on_frag(gx_rbc_t *r, gx_rbc_coder_t *c, uint64_t epoch, unsigned sender,
                            const gx_cmsg_t *m, const gx_cmsg_sink_t *sink);
gx_rbc_res_t gx_rbc_on_ready(gx_rbc_t *r, gx_rbc_coder_t *c, uint64_t epoch, unsigned sender,
                             const gx_cmsg_t *m, const gx_cmsg_sink_t *sink);
/* Re-sends our ECHO and READY (idempotent). */
void gx_rbc_resend(const gx_rbc_t *r, const gx_rbc_coder_t *c, uint64_t epoch,
                   const gx_cmsg_sink_t *sink);

#endif
