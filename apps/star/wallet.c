#include "apps/star/wallet.h"

#include <errno.h>
#include <sodium.h>
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
  static char text[STAR_STATE_TEXT_MAX];
  long n = gx_file_read(path, text, sizeof text - 1);
  if (n < 0 && errno == ENOENT) return 0; /* fresh account */
  if (n < 0 && errno == EFBIG) return gx_cli_fail(GX_EXIT_USAGE, "%s: too large to be a star chain file", path);
  if (n < 0) return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, strerror(errno));
  text[n] = 0;
  const char *why = (size_t)n != strlen(text) ? "not a star chain file (NUL byte)" : star_state_decode(&w->st, text);
  if (why) {
    gx_key_wipe(&w->key);
    return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, why);
  }
  return 0;
}

int star_wallet_save_chain(const star_wallet_t *w) {
  char path[600];
  static char text[STAR_STATE_TEXT_MAX];
  snprintf(path, sizeof path, "%s/chain", w->dir);
  size_t n = star_state_encode(&w->st, text, sizeof text);
  if (gx_file_write_atomic(path, text, n, 0600, 0) != 0)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write chain state: %s", path, strerror(errno));
  return 0;
}

void star_wallet_close(star_wallet_t *w) { sodium_memzero(w->key.sk, sizeof w->key.sk); }

int star_wallet_default(const char *dir, const char *name, char *out, size_t cap) {
  char path[600], text[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  long n = gx_file_read(path, text, sizeof text - 1);
  if (n < 0 && errno == ENOENT) return 0;
  if (n < 0) return -1;
  text[n] = 0;
  size_t len = strcspn(text, "\r\n");
  while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t')) len--;
  size_t start = strspn(text, " \t");
  if (start >= len || len - start >= cap || memchr(text, 0, (size_t)n)) {
    errno = EINVAL;
    return -1;
  }
  memcpy(out, text + start, len - start);
  out[len - start] = 0;
  return 1;
}

int star_wallet_set_default(const char *dir, const char *name, const char *value) {
  char path[600], text[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int n = snprintf(text, sizeof text, "%s\n", value);
  if (n < 0 || (size_t)n >= sizeof text) return gx_cli_fail(GX_EXIT_USAGE, "%s: value too long", path);
  if (gx_file_write_atomic(path, text, (size_t)n, 0644, 0) != 0)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, strerror(errno));
  return 0;
}
