/* star wallet: the light client's on-disk state in one directory.
 *   DIR/key     ed25519 key file (core/gx_key.h), mode 0600
 *   DIR/chain   the account's chain state (apps/star/star_state.h): the chain
 *               the next transfer links to, the pending half of `star pay`,
 *               the transfers recently co-signed or sent. Version 1 files
 *               (star 0.4.0) still load; saving writes version 2.
 *   DIR/api     optional: the default API URL (`star init --api URL`)
 *   DIR/galaxy  optional: the default galaxy HOST:PORT (`star init --galaxy`)
 * The chain file is replaced atomically (temp file, fsync, rename), so a crash
 * leaves either the old or the new state, never a mix.
 * Threads: single-threaded CLI. Errors: gx_cli-style exit codes, one line
 * printed (the functions that print say so). */
#ifndef STAR_WALLET_H
#define STAR_WALLET_H

#include <stddef.h>
#include <stdint.h>

#include "apps/star/star_state.h"
#include "core/gx_key.h"

typedef struct {
  char dir[512];
  gx_keypair_t key;
  star_state_t st;
} star_wallet_t;

/* Resolves DIR: --dir, else $STAR_DIR, else $HOME/.star. */
void star_wallet_dir(char *out, size_t cap, const char *flag_dir);
/* Loads key and chain state; prints the problem and returns an exit code
 * (0 ok, 2 bad/missing files). A missing chain file means a fresh account. */
int star_wallet_open(star_wallet_t *w, const char *dir);
/* Atomically writes the chain state; 0 or exit code 1 (printed). */
int star_wallet_save_chain(const star_wallet_t *w);
/* Wipes the secret key (the public key stays usable). */
void star_wallet_close(star_wallet_t *w);

/* Reads the default DIR/NAME ("api", "galaxy"): its first line, trimmed, into
 * out. 1 when set, 0 when the file does not exist, -1 when it cannot be read
 * or is empty or too long (errno set; EINVAL for empty/too long). Prints nothing. */
int star_wallet_default(const char *dir, const char *name, char *out, size_t cap);
/* Writes DIR/NAME (one line, mode 0644, atomically). 0 or exit code 1 (printed). */
int star_wallet_set_default(const char *dir, const char *name, const char *value);

#endif
