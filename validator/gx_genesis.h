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
 * Ingest addresses (optional, docs/LEDGER.md "Genesis"): `ingest = HOST:PORT`
 * in a [validator I] or [cluster C star I] section, the node's public UDP
 * ingest address for clients (routing to home clusters, docs/CLUSTERS.md) and
 * LSH chunk uplink. No two nodes may share one, and none may be any node's
 * consensus address. They enter the id only when at least one is given (a
 * suffix after the rest of the encoding), so a genesis without them keeps
 * its text and id.
 *
 * Node key file (text, mode 0600, never overwritten): the validator's index
 * (a star's: its index in its cluster, with a `cluster C` line), the genesis
 * id it belongs to, its ed25519 identity key, and its coin secret share
 * (consensus/gx_coin.h secret file, hex).
 *
 * Key ceremony without a holder of every secret (docs/DEPLOY.md "Keys"):
 * each member makes its identity key file on its own host (`galaxyctl
 * keygen`) and hands out one member line (index, identity, address); the
 * genesis builder reads the member lines (gx_genesis_members_parse), deals the
 * coin keys and seals each member's coin share to that member's identity
 * (gx_genesis_share_seal: crypto_box_seal to the X25519 key converted from the
 * ed25519 identity); the member opens it with its identity key
 * (gx_genesis_share_open) into its node key file. The dealer learns the coin
 * shares (until a distributed key generation, issue 15), never an identity.
 *
 * Secret files (node key, identity key, passphrase) are refused when another
 * user may read them or group or others may write them (mode & 026: 0600 and
 * 0640 pass), or when they are not regular files. A node or identity key file
 * may be passphrase-encrypted (gx_genesis_enc_t: argon2id, crypto_pwhash, then
 * crypto_secretbox); the encrypted text is a strict format of its own.
 *
 * Memory: gx_genesis_t is caller-owned and large-ish (validators inline);
 * balances live in a caller array given to gx_genesis_init. Parsing and
 * formatting do not allocate; the file loaders allocate their read buffers
 * (freed, secrets wiped, before they return), argon2id its memlimit. Threads: any. Errors: gx_genesis_err_t with a one-line message in
 * a caller buffer (the functions that read files return it prefixed with the
 * path). Needs sodium_init(). */
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
  GX_GENESIS_ERR_MODE,     /* a secret file readable by others (or not a regular file) */
  GX_GENESIS_ERR_PASS,     /* no passphrase, a wrong one, or a damaged encrypted file */
  GX_GENESIS_ERR__COUNT
} gx_genesis_err_t;
const char *gx_genesis_strerror(gx_genesis_err_t e);

typedef struct {
  gx_pubkey_t identity;               /* ed25519 identity (signs black holes) */
  char host[GX_GENESIS_HOST_MAX + 1]; /* name, IPv4 or IPv6 (without brackets) */
  uint16_t port;
  uint8_t coin_vk[32];                /* coin verification key share vk_i */
  /* Optional public ingest address ([node] listen of that node): where
   * clients send transfers and clusters send LSH chunks. ingest_port 0: not
   * given (ingest_host is then ""). */
  char ingest_host[GX_GENESIS_HOST_MAX + 1];
  uint16_t ingest_port;
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
/* 1 when at least one validator or star gives an ingest address. */
int gx_genesis_has_ingest(const gx_genesis_t *g);
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

/* Reads a node key file, plain or encrypted (gx_genesis_enc_t), refusing a
 * loose mode (ERR_MODE). passphrase_file: NULL or "" for none (an encrypted
 * file is then refused with ERR_PASS); else the file holding the passphrase
 * (gx_genesis_passphrase_file). gx_genesis_node_key_load(k, path, ...) is
 * gx_genesis_node_key_open(k, path, NULL, ...). Messages start with the path
 * of the file they are about. Allocates a few KiB while it runs (argon2id:
 * its memlimit); calls sodium_init() itself when the file is encrypted. */
gx_genesis_err_t gx_genesis_node_key_open(gx_genesis_node_key_t *k, const char *path,
                                          const char *passphrase_file, char *err, size_t errlen);

/* ---- secret files and passphrases ---------------------------------------------- */
/* Reads a secret file of at most cap bytes into buf (no NUL added): a regular
 * file, not readable by others nor writable by group or others (ERR_MODE,
 * naming the mode and the chmod that fixes it). ERR_IO: unreadable, too large. */
gx_genesis_err_t gx_genesis_secret_read(const char *path, char *buf, size_t cap, size_t *len, char *err,
                                        size_t errlen);
#define GX_GENESIS_PASSPHRASE_MAX 1024
/* A passphrase: everything up to end of file of a file descriptor (not
 * closed) or of a secret file (as gx_genesis_secret_read), less one final
 * "\n" or "\r\n"; 1..GX_GENESIS_PASSPHRASE_MAX bytes, no NUL, no line break
 * inside. pw gets a NUL after the *len bytes (cap > GX_GENESIS_PASSPHRASE_MAX). */
gx_genesis_err_t gx_genesis_passphrase_fd(int fd, char *pw, size_t cap, size_t *len, char *err,
                                          size_t errlen);
gx_genesis_err_t gx_genesis_passphrase_file(const char *path, char *pw, size_t cap, size_t *len, char *err,
                                            size_t errlen);

/* ---- passphrase-encrypted key files ---------------------------------------------- *
 *   galaxy-encrypted-key v1
 *   kdf argon2id13
 *   opslimit <1..16>
 *   memlimit <bytes: 8 MiB..1 GiB, a multiple of 1024>
 *   salt <32 hex>                   (crypto_pwhash_SALTBYTES)
 *   nonce <48 hex>                  (crypto_secretbox_NONCEBYTES)
 *   box <hex: crypto_secretbox of the plain key file, 16 + 1..GX_GENESIS_NODE_KEY_MAX bytes>
 * Key = crypto_pwhash(32, passphrase, salt, opslimit, memlimit, argon2id13).
 * The parser is strict: fields in this order, one space, lower-case hex of
 * exact length, decimals without leading zeros, nothing after the box line;
 * format(parse(x)) == x. Presets (galaxyctl --kdf): interactive (2, 64 MiB),
 * moderate (3, 256 MiB: the default), sensitive (4, 1 GiB). */
#define GX_GENESIS_ENC_HEADER "galaxy-encrypted-key v1"
#define GX_GENESIS_ENC_SALT 16
#define GX_GENESIS_ENC_NONCE 24
#define GX_GENESIS_ENC_MAC 16
#define GX_GENESIS_ENC_OPS_MAX 16
#define GX_GENESIS_ENC_MEM_MIN (8ull << 20)
#define GX_GENESIS_ENC_MEM_MAX (1ull << 30)
#define GX_GENESIS_ENC_PLAIN_MAX GX_GENESIS_NODE_KEY_MAX
#define GX_GENESIS_ENC_FILE_MAX (256 + 2 * (GX_GENESIS_ENC_MAC + GX_GENESIS_ENC_PLAIN_MAX))
typedef struct {
  uint32_t opslimit;
  uint64_t memlimit;
  uint8_t salt[GX_GENESIS_ENC_SALT];
  uint8_t nonce[GX_GENESIS_ENC_NONCE];
  size_t box_len;
  uint8_t box[GX_GENESIS_ENC_MAC + GX_GENESIS_ENC_PLAIN_MAX];
} gx_genesis_enc_t;

/* 0 and the preset's limits for "interactive", "moderate" or "sensitive"; -1 otherwise. */
int gx_genesis_kdf_preset(const char *name, uint32_t *opslimit, uint64_t *memlimit);
/* 1 when text starts with the encrypted header line. */
int gx_genesis_enc_is(const char *text, size_t len);
/* Encrypts plain (1..GX_GENESIS_ENC_PLAIN_MAX bytes) under the passphrase
 * with fresh salt and nonce. ERR_RANGE: limits or length out of range;
 * ERR_IO: the key derivation failed (out of memory). */
gx_genesis_err_t gx_genesis_enc_seal(gx_genesis_enc_t *e, const void *plain, size_t len, const char *pw,
                                     size_t pwlen, uint32_t opslimit, uint64_t memlimit, char *err,
                                     size_t errlen);
/* Decrypts into plain (cap >= box_len - 16). ERR_PASS: wrong passphrase or
 * a changed file (the MAC fails). */
gx_genesis_err_t gx_genesis_enc_open(const gx_genesis_enc_t *e, const char *pw, size_t pwlen, void *plain,
                                     size_t cap, size_t *len, char *err, size_t errlen);
/* Text of e; its length, or 0 when cap is short (GX_GENESIS_ENC_FILE_MAX is enough). */
size_t gx_genesis_enc_format(const gx_genesis_enc_t *e, char *out, size_t cap);
/* Strict parser of untrusted text (ERR_KEY, naming the line). */
gx_genesis_err_t gx_genesis_enc_parse(gx_genesis_enc_t *e, const char *text, size_t len, char *err,
                                      size_t errlen);
/* A secret file, decrypted when it is encrypted (pw NULL: refused, ERR_PASS):
 * the plain text in out (cap >= GX_GENESIS_ENC_PLAIN_MAX), *encrypted set.
 * On success, when the file was encrypted and enc is not NULL, *enc is its
 * envelope (a caller re-encrypting with the same limits reads them there). */
gx_genesis_err_t gx_genesis_secret_load(const char *path, const char *pw, size_t pwlen, char *out, size_t cap,
                                        size_t *len, int *encrypted, gx_genesis_enc_t *enc, char *err,
                                        size_t errlen);

/* ---- identity key files (galaxyctl keygen) ----------------------------------------- *
 *   galaxy-identity-key v1
 *   index <i>
 *   cluster <c>                     (a star's only)
 *   public <64 hex>
 *   secret <64 hex: the ed25519 seed>
 * Made on the member's own host; holds no genesis and no coin share. */
typedef struct {
  uint16_t index;
  uint8_t star;
  uint16_t cluster;
  gx_keypair_t key;
} gx_genesis_identity_t;
#define GX_GENESIS_IDENTITY_MAX 256
size_t gx_genesis_identity_format(const gx_genesis_identity_t *id, char *out, size_t cap);
gx_genesis_err_t gx_genesis_identity_parse(gx_genesis_identity_t *id, const char *text, size_t len, char *err,
                                           size_t errlen);

/* ---- member files (galaxyctl genesis --members) ------------------------------------- *
 * One member a line: `I IDENTITY HOST:PORT [INGEST_HOST:PORT]` (validator I) or
 * `C:I IDENTITY HOST:PORT [INGEST_HOST:PORT]` (star I of cluster C); IDENTITY
 * is 64 hex of an ed25519 public key that converts to X25519; the optional
 * fourth field is the member's ingest address; fields apart by spaces or tabs; blank lines
 * and lines starting with # are skipped. Fills g's validators (n) and
 * clusters (cluster_count, each n, identities, addresses) and nothing else
 * (gx_genesis_init first): validators 0..n-1 and each cluster's stars
 * 0..n_c-1 exactly once, clusters 0..K-1. Duplicate identities or addresses
 * are left to gx_genesis_finish. Errors name the line. */
gx_genesis_err_t gx_genesis_members_parse(gx_genesis_t *g, const char *text, size_t len, char *err,
                                          size_t errlen);
/* "host:port" or "[v6]:port" (the genesis address syntax); 0 or -1. */
int gx_genesis_parse_address(const char *s, char host[GX_GENESIS_HOST_MAX + 1], uint16_t *port);

/* ---- sealed coin shares ---------------------------------------------------------------- *
 *   galaxy-coin-share v1
 *   index <i>
 *   cluster <c>                     (a star's only)
 *   genesis <64 hex: the genesis id>
 *   identity <64 hex: the member's identity it is sealed to>
 *   sealed <hex: crypto_box_seal(genesis id 32 || coin secret file)>
 * Public: only the holder of the identity key opens it. The opened share is
 * checked (the coin file's own checks, its index, the genesis id); whether the
 * share belongs to a genesis is gx_genesis_node_key_check's question. */
#define GX_GENESIS_SEAL_OVERHEAD 48 /* crypto_box_SEALBYTES */
#define GX_GENESIS_SEALED_MAX (GX_GENESIS_SEAL_OVERHEAD + 32 + GX_COIN_SECRET_FILE_MAX)
#define GX_GENESIS_SHARE_FILE_MAX (256 + 2 * GX_GENESIS_SEALED_MAX)
typedef struct {
  uint16_t index;
  uint8_t star;
  uint16_t cluster;
  gx_hash_t genesis_id;
  gx_pubkey_t identity;
  size_t sealed_len;
  uint8_t sealed[GX_GENESIS_SEALED_MAX];
} gx_genesis_share_t;
/* Seals the coin share of a finished genesis' member: validator index (star
 * 0) or star index of cluster (star 1), whose identity the genesis lists.
 * ERR_FIELD: no such member, or its identity does not convert to X25519. */
gx_genesis_err_t gx_genesis_share_seal(gx_genesis_share_t *s, const gx_genesis_t *g, int star, unsigned cluster,
                                       unsigned index, const gx_coin_pub_t *pub, const gx_coin_secret_t *sec,
                                       char *err, size_t errlen);
size_t gx_genesis_share_format(const gx_genesis_share_t *s, char *out, size_t cap);
gx_genesis_err_t gx_genesis_share_parse(gx_genesis_share_t *s, const char *text, size_t len, char *err,
                                        size_t errlen);
/* Opens s with the member's identity key into a node key k (index, role,
 * genesis id, identity, coin share and public set). ERR_KEY: sealed to another
 * identity, cannot be opened, or the share inside is bad. */
gx_genesis_err_t gx_genesis_share_open(const gx_genesis_share_t *s, const gx_keypair_t *identity,
                                       gx_genesis_node_key_t *k, char *err, size_t errlen);

#endif
