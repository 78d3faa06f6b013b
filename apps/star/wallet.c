#include "apps/star/wallet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/gx_cli.h"
#include "core/gx_util.h"

void star_wallet_dir(char *out, size_t cap, const char *flag_dir) {
  const char *env = getenv("STAR_DIR"), *home = getenv("HOME");
  if (flag_dir) snprintf(out, cap, "%s", flag_dir);
  else if (env && *env) snprintf(out, cap, "%s", env);
  else snprintf(out, cap, "%s/.star", home ? home : ".");
}

static int star_chain_parse(star_wallet_t *w, const char *text, const char *path) {
  char head_hex[80];
  unsigned long long seq, pending;
  if (sscanf(text, "galaxy-chain v1\nseq %llu\nhead %79s\npending %llu\n", &seq, head_hex,
             &pending) != 3)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: not a star chain file", path);
  if (gx_hex_decode(w->chain.head.b, GX_HASH_SZ, head_hex) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: head is not 64 hex characters", path);
  if ((seq == 0) != (gx_hash_is_zero(&w->chain.head) != 0) || (pending && pending != seq + 1))
    return gx_cli_fail(GX_EXIT_USAGE, "%s: inconsistent chain state", path);
  w->chain.seq = seq;
  w->pending = pending;
  return 0;
}

int star_wallet_open(star_wallet_t *w, const char *dir) {
  char path[600];
  memset(w, 0, sizeof *w);
  snprintf(w->dir, sizeof w->dir, "%s", dir);
  snprintf(path, sizeof path, "%s/key", dir);
  gx_key_err_t ke = gx_key_load(path, &w->key);
  if (ke == GX_KEY_ERR_IO && errno == ENOENT)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: %s (run `star keygen` first?)", path, strerror(errno));
  if (ke == GX_KEY_ERR_IO)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: cannot read the key: %s", path, strerror(errno));
  if (!ke) gx_cli_warn_loose_mode(path);
  if (ke) return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, gx_key_strerror(ke));
  snprintf(path, sizeof path, "%s/chain", dir);
  char text[512];
  long n = gx_file_read(path, text, sizeof text - 1);
  if (n < 0 && errno == ENOENT) return 0; /* fresh account */
  if (n < 0) return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, strerror(errno));
  text[n] = 0;
  return star_chain_parse(w, text, path);
}

int star_wallet_save_chain(const star_wallet_t *w) {
  char path[600], text[256], head[65];
  snprintf(path, sizeof path, "%s/chain", w->dir);
  gx_hex_encode(head, w->chain.head.b, GX_HASH_SZ);
  int n = snprintf(text, sizeof text, "galaxy-chain v1\nseq %llu\nhead %s\npending %llu\n",
                   (unsigned long long)w->chain.seq, head, (unsigned long long)w->pending);
  if (gx_file_write_atomic(path, text, (size_t)n, 0600, 0) != 0)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write chain state: %s", path, strerror(errno));
  return 0;
}
