/* star wallet: the light client's on-disk state in one directory.
 *   DIR/key    ed25519 key file (core/gx_key.h), mode 0600
 *   DIR/chain  the account's chain state, text:
 *                galaxy-chain v1
 *                seq N          last transaction of this account (0: none)
 *                head HEX       its id (64 hex; zeros when seq is 0)
 *                pending N      seq reserved by `star pay` whose full transfer
 *                               has not been seen yet (0: none)
 * The chain file is replaced atomically (temp file, fsync, rename), so a crash
 * leaves either the old or the new state, never a mix.
 * Threads: single-threaded CLI. Errors: gx_cli-style exit codes, one line. */
#ifndef STAR_WALLET_H
#define STAR_WALLET_H

#include <stdint.h>

#include "core/gx_chain.h"
#include "core/gx_key.h"

typedef struct {
  char dir[512];
  gx_keypair_t key;
  gx_chain_head_t chain;
  uint64_t pending;
} star_wallet_t;

/* Resolves DIR: --dir, else $STAR_DIR, else $HOME/.star. */
void star_wallet_dir(char *out, size_t cap, const char *flag_dir);
/* Loads key and chain state; prints the problem and returns an exit code
 * (0 ok, 2 bad/missing files). A missing chain file means a fresh account. */
int star_wallet_open(star_wallet_t *w, const char *dir);
/* Atomically writes the chain state; 0 or exit code 1. */
int star_wallet_save_chain(const star_wallet_t *w);

#endif
