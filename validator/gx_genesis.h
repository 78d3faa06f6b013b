/* gx_genesis: the genesis file of a galaxy network and the validators' node
 * key files (docs/LEDGER.md "Genesis").
 *
 * The genesis file is INI text (libinih): [chain] name, proposal_max_txs and
 * the coin group key; one [validator I] section per validator (identity
 * public key, host:port, coin verification key); [balances] address = amount.
 * The loader is strict: unknown sections or keys, duplicates, bad hex, bad
 * addresses (checksum), amounts of 0 or above 2^62, missing fields, validator
 * indices that are not exactly 0..n-1, a coin key set that is not one
 * threshold sharing (gx_coin), and a total supply above 2^62 are rejected
 * with one line naming the problem (and its line number where it has one).
 *
 * The genesis id is H(CONSENSUS, "gx.genesis.v1" || canonical encoding); see
 * docs/LEDGER.md for the encoding. It is the prev of black hole 1.
 *
 * Star Clusters (docs/CLUSTERS.md; optional): [cluster C] coin_group_key and
 * one [cluster C star I] section per star (identity, host:port, coin key:
 * each cluster is its own threshold sharing), clusters 0..K-1 (K <= 16),
 * stars 0..n_c-1 (4 <= n_c <= 16); [chain] fold_sample (galaxies' signature
 * sample per 65536, default 4096) and lsh_max_txs (transfers per LSH block,
 * default 2048) are allowed only with clusters. No identity or address may
 * appear twice across validators and stars. Without clusters the id and the
 * text are exactly those of a flat genesis.
 *
 * Node key file (text, mode 0600, never overwritten): the validator's index
 * (a star's: its index in its cluster, with a `cluster C` line), the genesis
 * id it belongs to, its ed25519 identity key, and its coin secret share
 * (consensus/gx_coin.h secret file, hex).
 *
 * Memory: gx_genesis_t is caller-owned and large-ish (validators inline);
 * balances live in a caller array given to gx_genesis_init. Nothing
 * allocates. Threads: any. Errors: gx_genesis_err_t with a one-line message in
 * a caller buffer. Needs sodium_init(). */
#ifndef GX_GENESIS_H
#define GX_GENESIS_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/gx_coin.h"
#include "core/gx_key.h"
#include "validator/gx_committee.h"
#include "validator/gx_fold.h"
#include "validator/gx_ledger.h"

#define GX_GENESIS_MAX_VALIDATORS 64
#define GX_GENESIS_NAME_MAX 63   /* chain name: [A-Za-z0-9._-], 1..63 chars */
#define GX_GENESIS_HOST_MAX 63
#define GX_GENESIS_MAX_CLUSTERS 16
#define GX_GENESIS_CLUSTER_MAX 16 /* stars per cluster */
#define GX_GENESIS_CLUSTER_MIN 4

typedef enum {
  GX_GENESIS_OK = 0,
  GX_GENESIS_ERR_IO,       /* file unreadable or unwritable */
  GX_GENESIS_ERR_SYNTAX,   /* not INI, or a line inih cannot parse */
  GX_GENESIS_ERR_FIELD,    /* unknown/duplicate/missing/bad field */
  GX_GENESIS_ERR_RANGE,    /* too many validators or balances, supply > 2^62 */
  GX_GENESIS_ERR_COIN,     /* coin keys are not one valid threshold sharing */
  GX_GENESIS_ERR_KEY,      /* node key file bad or not of this genesis */
  GX_GENESIS_ERR__COUNT
} gx_genesis_err_t;
const char *gx_genesis_strerror(gx_genesis_err_t e);

typedef struct {
  gx_pubkey_t identity;               /* ed25519 identity (signs black holes) */
  char host[GX_GENESIS_HOST_MAX + 1]; /* name, IPv4 or IPv6 (without brackets) */
  uint16_t port;
  uint8_t coin_vk[32];                /* coin verification key share vk_i */
} gx_genesis_validator_t;

/* A Star Cluster fixed at genesis: its stars (as validators of the cluster's
 * own consensus) and the group key of its threshold coin. */
typedef struct {
  uint16_t n;
  gx_genesis_validator_t star[GX_GENESIS_CLUSTER_MAX];
  uint8_t coin_group_vk[32];
} gx_genesis_cluster_t;

typedef struct {
  char name[GX_GENESIS_NAME_MAX + 1];
  uint32_t proposal_max_txs;          /* consensus parameter (gx_ledger_cfg_t) */
  uint16_t n;
  gx_genesis_validator_t v[GX_GENESIS_MAX_VALIDATORS];
  uint8_t coin_group_vk[32];
  gx_ledger_alloc_t *balances;        /* caller's array, sorted by key once loaded */
  uint32_t balance_count, balance_cap;
  uint64_t supply;                    /* sum of balances */
  uint16_t cluster_count;             /* 0: a flat network of galaxies only */
  uint32_t fold_sample;               /* with clusters: per 65536, 0..65536 */
  uint32_t lsh_max_txs;               /* with clusters: 1..GX_LSH_MAX_TXS */
  gx_genesis_cluster_t cluster[GX_GENESIS_MAX_CLUSTERS];
  gx_hash_t id;                       /* set by load / gx_genesis_finish */
} gx_genesis_t;

/* Empties g and gives it a balance array of cap entries. */
void gx_genesis_init(gx_genesis_t *g, gx_ledger_alloc_t *balances, uint32_t cap);
/* f = (n-1)/3, the faults tolerated; certificates and coins need f+1. */
unsigned gx_genesis_f(const gx_genesis_t *g);
/* Adds a balance (not yet sorted); RANGE when full or amount out of range. */
gx_genesis_err_t gx_genesis_add_balance(gx_genesis_t *g, const gx_pubkey_t *account, uint64_t amount,
                                        char *err, size_t errlen);
/* Checks everything (as the loader does), sorts balances, computes supply and id. */
gx_genesis_err_t gx_genesis_finish(gx_genesis_t *g, char *err, size_t errlen);

/* Parses genesis text (NUL-terminated) into g (gx_genesis_init first). */
gx_genesis_err_t gx_genesis_parse(gx_genesis_t *g, const char *text, char *err, size_t errlen);
gx_genesis_err_t gx_genesis_load(gx_genesis_t *g, const char *path, char *err, size_t errlen);
/* Writes the canonical text of a finished genesis; returns its length, or 0
 * when cap is too small. gx_genesis_text_size() bounds it. */
size_t gx_genesis_text_size(const gx_genesis_t *g);
size_t gx_genesis_format(const gx_genesis_t *g, char *out, size_t cap);

/* The first committee (epoch 0 on): the validators in index order with their
 * addresses and coin keys. The only way membership leaves the genesis:
 * consensus, links, certificates and sharding read committees
 * (validator/gx_committee.h). */
void gx_genesis_committee(const gx_genesis_t *g, gx_committee_t *out);
/* Sets the consensus parameters of cfg: max_proposers = n,
 * max_proposal_txs = proposal_max_txs (other fields are left alone). */
void gx_genesis_ledger_cfg(const gx_genesis_t *g, gx_ledger_cfg_t *cfg);

/* Defaults a clustered genesis takes for fold_sample and lsh_max_txs. */
#define GX_GENESIS_FOLD_SAMPLE_DEFAULT 4096
#define GX_GENESIS_LSH_MAX_TXS_DEFAULT 2048
/* Cluster c's committee (its stars, their addresses and coin keys; epoch 0 on). */
void gx_genesis_cluster_committee(const gx_genesis_t *g, unsigned c, gx_committee_t *out);
/* A galaxy's fold configuration and the clusters' memberships (clusters:
 * cluster_count entries): cluster_count, sample, max_block_txs = lsh_max_txs,
 * max_blocks = min(GX_FOLD_MAX_BLOCKS, GX_BH_MAX_TXS / lsh_max_txs). */
void gx_genesis_fold(const gx_genesis_t *g, gx_fold_cfg_t *cfg, gx_fold_cluster_t *clusters);

/* ---- node key files ------------------------------------------------------------ */
typedef struct {
  uint16_t index;                     /* validator index, or the star's index in its cluster */
  uint8_t star;                       /* 0: a validator (galaxy); 1: a star of `cluster` */
  uint16_t cluster;
  gx_hash_t genesis_id;
  gx_keypair_t identity;
  gx_coin_pub_t coin_pub;
  gx_coin_secret_t coin;
} gx_genesis_node_key_t;

/* Text of a node key file; returns its length or 0 when cap is short. */
size_t gx_genesis_node_key_format(const gx_genesis_node_key_t *k, char *out, size_t cap);
#define GX_GENESIS_NODE_KEY_MAX (512 + 2 * GX_COIN_SECRET_FILE_MAX)
gx_genesis_err_t gx_genesis_node_key_parse(gx_genesis_node_key_t *k, const char *text, size_t len,
                                           char *err, size_t errlen);
gx_genesis_err_t gx_genesis_node_key_load(gx_genesis_node_key_t *k, const char *path, char *err,
                                          size_t errlen);
/* The key belongs to g: same genesis id, identity and coin keys at its index. */
gx_genesis_err_t gx_genesis_node_key_check(const gx_genesis_node_key_t *k, const gx_genesis_t *g,
                                           char *err, size_t errlen);
/* Wipes the secrets. */
void gx_genesis_node_key_wipe(gx_genesis_node_key_t *k);

#endif
