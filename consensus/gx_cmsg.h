/* gx_cmsg: wire codec of the consensus messages (docs/CONSENSUS.md "Wire").
 *
 * Every datagram: byte 0 = protocol version (1), byte 1 = type (0x40..0x47),
 * bytes 2..9 = epoch (u64 LE), bytes 10..11 = instance (u16 LE: the proposer
 * index of the RBC / BA instance). The body follows; every integer is little
 * endian, every length is explicit and bounded, and a datagram is at most
 * GX_CMSG_MAX (1416) bytes, so that with the link's 36 bytes it fits one UDP
 * payload of a 1500-byte MTU, IPv6 included (1452): nothing is fragmented,
 * and the DPDK dataplane (which does not reassemble) carries it. RBC stripes larger
 * than GX_CMSG_FRAG bytes travel as several fragments (each message names its
 * offset; offsets are multiples of GX_CMSG_FRAG).
 *
 * Decoding is strict: unknown version/type, short or long datagrams, trailing
 * bytes and non-canonical values are rejected with a reason code. The sender is
 * not on the wire: the authenticated link gives it.
 *
 * Memory: gx_cmsg_decode points into the caller's bytes (no copy, no
 * allocation); encoders write into a caller buffer of GX_CMSG_MAX bytes.
 * Threads: pure functions, any thread.
 * Errors: gx_cmsg_decode returns GX_CMSG_OK or a gx_cmsg_err_t reason;
 * encoders return the encoded length, or 0 when an argument is out of range. */
#ifndef GX_CMSG_H
#define GX_CMSG_H

#include "core/gx_hash.h"

#include <stddef.h>
#include <stdint.h>

#define GX_CMSG_VERSION 1
#define GX_CMSG_MAX 1416        /* + gx_link overhead (36) = one IPv6 UDP payload, 1500 MTU */
#define GX_CMSG_HDR 12          /* version, type, epoch, instance */
#define GX_CMSG_FRAG 1152       /* stripe bytes per RBC fragment (all but the last):
                                   header 12 + fixed 44 + 6-hash branch 192 + 1152 <= 1416 */
#define GX_CONS_MAX_N 64        /* validators per consensus group */
#define GX_CMSG_MAX_BRANCH 6    /* Merkle path length for <= 64 stripes */
#define GX_CMSG_MAX_STRIPE (64u << 20) /* absolute stripe size bound (64 MiB) */
#define GX_CMSG_MAX_ROUND 1023  /* BA rounds representable on the wire */

typedef enum {
  GX_CMSG_RBC_VAL = 0x40,   /* proposer -> node i: fragment of stripe i     */
  GX_CMSG_RBC_ECHO = 0x41,  /* node i -> all: fragment of its stripe i      */
  GX_CMSG_RBC_READY = 0x42, /* root                                          */
  GX_CMSG_BA_BVAL = 0x43,   /* round, value                                  */
  GX_CMSG_BA_AUX = 0x44,    /* round, value                                  */
  GX_CMSG_BA_CONF = 0x45,   /* round, value set                              */
  GX_CMSG_BA_TERM = 0x46,   /* decided value                                 */
  GX_CMSG_COIN = 0x47,      /* round, coin share + DLEQ proof                */
} gx_cmsg_type_t;

typedef enum {
  GX_CMSG_OK = 0,
  GX_CMSG_ERR_SHORT,     /* fewer bytes than the header or body needs */
  GX_CMSG_ERR_VERSION,   /* byte 0 is not GX_CMSG_VERSION */
  GX_CMSG_ERR_TYPE,      /* byte 1 is not a consensus type */
  GX_CMSG_ERR_LENGTH,    /* trailing bytes, or a length field disagrees */
  GX_CMSG_ERR_RANGE,     /* a field is out of range or not canonical */
  GX_CMSG_ERR_COUNT
} gx_cmsg_err_t;

const char *gx_cmsg_strerror(gx_cmsg_err_t err);

/* Where the state machines put outgoing datagrams: dest is a node index, or
 * GX_CMSG_ALL for every other node. The bytes are valid only during the call;
 * the callee copies or sends them and must not call back into the machine. */
#define GX_CMSG_ALL (-1)
typedef struct {
  void *ctx;
  void (*send)(void *ctx, int dest, const uint8_t *msg, size_t len);
} gx_cmsg_sink_t;
const char *gx_cmsg_type_name(unsigned type);

/* A decoded message. Pointers (branch, data) alias the decoded datagram. */
typedef struct {
  uint8_t type;
  uint64_t epoch;
  uint16_t instance;
  union {
    struct {               /* RBC_VAL, RBC_ECHO */
      gx_hash_t root;
      uint8_t stripe_index;
      uint8_t branch_len;
      uint32_t stripe_len; /* whole stripe, bytes (>= 1) */
      uint32_t frag_off;   /* multiple of GX_CMSG_FRAG, < stripe_len */
      uint16_t frag_len;   /* min(GX_CMSG_FRAG, stripe_len - frag_off) */
      const uint8_t *branch; /* branch_len * 32 bytes */
      const uint8_t *data;   /* frag_len bytes */
    } frag;
    struct { gx_hash_t root; } ready;
    struct { uint16_t round; uint8_t value; } vote; /* BVAL, AUX: value 0/1;
                                                    CONF: set 1..3 (bit v = value v);
                                                    TERM: value 0/1, round 0 */
    struct { uint16_t round; uint8_t share[32], c[32], z[32]; } coin;
  } u;
} gx_cmsg_t;

gx_cmsg_err_t gx_cmsg_decode(gx_cmsg_t *m, const uint8_t *buf, size_t len);

/* Encoders: out must hold GX_CMSG_MAX bytes. */
size_t gx_cmsg_encode_frag(uint8_t *out, uint8_t type, uint64_t epoch, uint16_t instance,
                           const gx_hash_t *root, uint8_t stripe_index, const gx_hash_t *branch,
                           uint8_t branch_len, uint32_t stripe_len, uint32_t frag_off,
                           const uint8_t *frag_data);
size_t gx_cmsg_encode_ready(uint8_t *out, uint64_t epoch, uint16_t instance, const gx_hash_t *root);
/* BVAL, AUX, CONF, TERM (TERM: round must be 0). */
size_t gx_cmsg_encode_vote(uint8_t *out, uint8_t type, uint64_t epoch, uint16_t instance,
                           uint16_t round, uint8_t value);
size_t gx_cmsg_encode_coin(uint8_t *out, uint64_t epoch, uint16_t instance, uint16_t round,
                           const uint8_t share[32], const uint8_t c[32], const uint8_t z[32]);

/* Fragments in a stripe of stripe_len bytes, and the length of fragment at off. */
static inline uint32_t gx_cmsg_frag_count(uint32_t stripe_len) {
  return (stripe_len + GX_CMSG_FRAG - 1) / GX_CMSG_FRAG;
}
static inline uint32_t gx_cmsg_frag_len(uint32_t stripe_len, uint32_t off) {
  uint32_t rest = stripe_len - off;
  return rest < GX_CMSG_FRAG ? rest : GX_CMSG_FRAG;
}

#endif
