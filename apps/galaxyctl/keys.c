/* galaxyctl keygen and node-key: the member's half of the key ceremony
 * (docs/DEPLOY.md "4. Keys and the genesis"; validator/gx_genesis.h).
 *
 *   galaxyctl keygen --out FILE (--index I | --star C:I) [--address HOST:PORT]
 *       [--encrypt (--passphrase-fd N | --passphrase-file PATH) [--kdf interactive|moderate|sensitive]]
 *   galaxyctl keygen --public FILE [--address HOST:PORT] [--passphrase-fd N | --passphrase-file PATH]
 *   galaxyctl node-key --identity FILE --share FILE --genesis FILE --out FILE
 *       [--passphrase-fd N | --passphrase-file PATH] [--encrypt] [--kdf ...]
 *
 * keygen makes a fresh ed25519 identity on this host and writes it to FILE
 * (mode 0600, never overwritten), encrypted under a passphrase with
 * --encrypt; it prints the member line `I IDENTITY HOST:PORT` (a star: `C:I
 * IDENTITY HOST:PORT`) that goes into the genesis builder's member file
 * (galaxyctl genesis --members). Without --address the line ends after the
 * identity and the address is to be added. --public FILE prints the line of an
 * existing identity file again.
 *
 * node-key opens the coin share the genesis builder sealed to this identity,
 * checks the result against the genesis (same id, identity and coin keys at
 * this member's index) and writes the node key file galaxyd loads ([chain]
 * node_key; mode 0600, never overwritten). The node key is encrypted when the
 * identity file was (same passphrase, same argon2id limits unless --kdf) or
 * with --encrypt.
 *
 * A passphrase never comes from the command line: --passphrase-fd N reads
 * file descriptor N to its end, --passphrase-file PATH a file (mode 0600 or
 * 0640; e.g. a systemd credential, $CREDENTIALS_DIRECTORY/NAME); one final
 * line break is dropped. Secret files readable by others are refused.
 * Exit codes: apps/gx_cli.h. */
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "apps/gx_cli.h"
#include "core/gx_util.h"
#include "validator/gx_genesis.h"

typedef struct {
  const char *file;
  int fd; /* -1: none */
  char pw[GX_GENESIS_PASSPHRASE_MAX + 1];
  size_t len;
  int have;
} ctl_pw_t;

/* One passphrase option at argv[*i]; 1 when it was one (rc set), 0 when not. */
static int ctl_pw_opt(ctl_pw_t *p, int argc, char **argv, int *i, int *rc) {
  const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
  if (strcmp(a, "--passphrase-fd") && strcmp(a, "--passphrase-file")) return 0;
  if (p->file || p->fd >= 0) {
    *rc = gx_cli_fail(GX_EXIT_USAGE, "give one of --passphrase-fd and --passphrase-file, once");
    return 1;
  }
  if (!strcmp(a, "--passphrase-fd")) {
    uint64_t fd;
    *rc = gx_cli_parse_u64(a, v, 0, INT_MAX, &fd);
    if (!*rc) p->fd = (int)fd;
  } else if (!v || !v[0]) {
    *rc = gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
  } else {
    p->file = v;
  }
  (*i)++;
  return 1;
}

static int ctl_pw_given(const ctl_pw_t *p) { return p->file || p->fd >= 0; }

static int ctl_pw_read(ctl_pw_t *p) {
  if (p->have || !ctl_pw_given(p)) return GX_EXIT_OK;
  char err[400];
  gx_genesis_err_t e = p->file ? gx_genesis_passphrase_file(p->file, p->pw, sizeof p->pw, &p->len, err, sizeof err)
                               : gx_genesis_passphrase_fd(p->fd, p->pw, sizeof p->pw, &p->len, err, sizeof err);
  if (e != GX_GENESIS_OK) return gx_cli_fail(e == GX_GENESIS_ERR_IO ? GX_EXIT_FAIL : GX_EXIT_USAGE, "%s", err);
  p->have = 1;
  return GX_EXIT_OK;
}

static int ctl_exit_for(gx_genesis_err_t e) { return e == GX_GENESIS_ERR_IO ? GX_EXIT_FAIL : GX_EXIT_USAGE; }

static int ctl_file_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Writes text to path (0600, never overwriting), encrypted when pw is given. */
static int ctl_write_secret(const char *path, const char *text, size_t len, const ctl_pw_t *pw, uint32_t ops,
                            uint64_t mem) {
  char err[400];
  int rc = GX_EXIT_OK;
  gx_genesis_enc_t *e = NULL;
  char *etext = NULL;
  const char *out = text;
  size_t olen = len;
  if (pw) {
    e = malloc(sizeof *e);
    etext = malloc(GX_GENESIS_ENC_FILE_MAX);
    gx_genesis_err_t ge;
    if (!e || !etext) {
      rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
      goto out;
    }
    if ((ge = gx_genesis_enc_seal(e, text, len, pw->pw, pw->len, ops, mem, err, sizeof err)) != GX_GENESIS_OK) {
      rc = gx_cli_fail(ctl_exit_for(ge), "%s: %s", path, err);
      goto out;
    }
    olen = gx_genesis_enc_format(e, etext, GX_GENESIS_ENC_FILE_MAX);
    out = etext;
    if (!olen) {
      rc = gx_cli_fail(GX_EXIT_FAIL, "%s: cannot format the encrypted file", path);
      goto out;
    }
  }
  if (gx_file_write_atomic(path, out, olen, 0600, 1))
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: %s", path,
                     errno == EEXIST ? "exists: refusing to overwrite" : strerror(errno));
out:
  if (e) sodium_memzero(e, sizeof *e);
  free(e);
  free(etext);
  return rc;
}

static void ctl_member_line(const gx_genesis_identity_t *id, const char *address) {
  char hex[65];
  gx_hex_encode(hex, id->key.pk.b, 32);
  if (id->star) printf("%u:%u %s", id->cluster, id->index, hex);
  else printf("%u %s", id->index, hex);
  if (address) printf(" %s", address);
  printf("\n");
  fflush(stdout);
  if (!address)
    fprintf(stderr, "galaxyctl: note: add this member's consensus address (HOST:PORT) to the end of the "
                    "line above for the member file\n");
}

/* --kdf NAME into (ops, mem). */
static int ctl_kdf_opt(const char *v, uint32_t *ops, uint64_t *mem) {
  if (!v || !v[0]) return gx_cli_fail(GX_EXIT_USAGE, "--kdf needs a value");
  if (gx_genesis_kdf_preset(v, ops, mem))
    return gx_cli_fail(GX_EXIT_USAGE, "--kdf '%.40s': want interactive, moderate or sensitive", v);
  return GX_EXIT_OK;
}

static int ctl_keygen(int argc, char **argv) {
  const char *out = NULL, *address = NULL, *show = NULL;
  int have_index = 0, have_star = 0, encrypt = 0, have_kdf = 0;
  uint64_t index = 0, cluster = 0;
  uint32_t ops;
  uint64_t mem;
  gx_genesis_kdf_preset("moderate", &ops, &mem);
  ctl_pw_t *pw = calloc(1, sizeof *pw);
  if (!pw) return gx_cli_fail(GX_EXIT_FAIL, "out of memory");
  pw->fd = -1;
  int rc = GX_EXIT_OK;
  for (int i = 1; i < argc && rc == GX_EXIT_OK; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (ctl_pw_opt(pw, argc, argv, &i, &rc)) continue;
    if (!strcmp(a, "--index")) {
      rc = gx_cli_parse_u64(a, v, 0, GX_GENESIS_MAX_VALIDATORS - 1, &index), have_index = 1, i++;
    } else if (!strcmp(a, "--star")) {
      const char *colon = v ? strchr(v, ':') : NULL;
      char c[24];
      if (!colon || (size_t)(colon - v) >= sizeof c) {
        rc = gx_cli_fail(GX_EXIT_USAGE, "--star '%.40s': want C:I (star I of cluster C)", v ? v : "");
      } else {
        memcpy(c, v, (size_t)(colon - v));
        c[colon - v] = 0;
        rc = gx_cli_parse_u64("--star (cluster)", c, 0, GX_GENESIS_MAX_CLUSTERS - 1, &cluster);
        if (!rc) rc = gx_cli_parse_u64("--star (index)", colon + 1, 0, GX_GENESIS_CLUSTER_MAX - 1, &index);
      }
      have_star = 1, i++;
    } else if (!strcmp(a, "--encrypt")) {
      encrypt = 1;
    } else if (!strcmp(a, "--kdf")) {
      rc = ctl_kdf_opt(v, &ops, &mem), have_kdf = 1, i++;
    } else if (!strcmp(a, "--out") || !strcmp(a, "--address") || !strcmp(a, "--public")) {
      if (!v || !v[0]) rc = gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
      else if (!strcmp(a, "--out")) out = v;
      else if (!strcmp(a, "--address")) address = v;
      else show = v;
      i++;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("usage: galaxyctl keygen --out FILE (--index I | --star C:I) [--address HOST:PORT]\n"
             "         [--encrypt (--passphrase-fd N | --passphrase-file PATH) [--kdf interactive|moderate|sensitive]]\n"
             "       galaxyctl keygen --public FILE [--address HOST:PORT] [--passphrase-fd N | --passphrase-file PATH]\n"
             "Makes this host's identity key (0600) and prints its member line for galaxyctl genesis --members.\n");
      free(pw);
      return GX_EXIT_OK;
    } else {
      rc = gx_cli_fail(GX_EXIT_USAGE, "keygen: unknown option '%s' (try galaxyctl keygen --help)", a);
    }
  }
  char host[GX_GENESIS_HOST_MAX + 1];
  uint16_t port;
  if (rc != GX_EXIT_OK) goto done;
  if (address && gx_genesis_parse_address(address, host, &port)) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "--address '%.80s': want HOST:PORT or [IPV6]:PORT", address);
    goto done;
  }
  char err[600], why[300], text[GX_GENESIS_ENC_PLAIN_MAX];
  gx_genesis_identity_t id;
  if (show) { /* the member line of an existing identity file */
    if (out || have_index || have_star || encrypt || have_kdf) {
      rc = gx_cli_fail(GX_EXIT_USAGE, "keygen --public takes only --address and a passphrase option");
      goto done;
    }
    size_t len;
    int enc;
    gx_genesis_err_t e;
    if ((rc = ctl_pw_read(pw)) != GX_EXIT_OK) goto done;
    e = gx_genesis_secret_load(show, pw->have ? pw->pw : NULL, pw->len, text, sizeof text, &len, &enc, NULL, err,
                               sizeof err);
    if (e == GX_GENESIS_OK && (e = gx_genesis_identity_parse(&id, text, len, why, sizeof why)) != GX_GENESIS_OK)
      snprintf(err, sizeof err, "%s: %s", show, why);
    sodium_memzero(text, sizeof text);
    if (e != GX_GENESIS_OK) {
      rc = gx_cli_fail(ctl_exit_for(e), "%s", err);
      goto done;
    }
    ctl_member_line(&id, address);
    sodium_memzero(&id, sizeof id);
    goto done;
  }
  if (!out) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "keygen needs --out FILE");
    goto done;
  }
  if (have_index == have_star) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "keygen needs one of --index I (validator I) and --star C:I (star I of cluster C)");
    goto done;
  }
  if (encrypt != ctl_pw_given(pw)) {
    rc = gx_cli_fail(GX_EXIT_USAGE, encrypt ? "--encrypt needs --passphrase-fd N or --passphrase-file PATH "
                                              "(never on the command line)"
                                            : "--passphrase-fd and --passphrase-file go with --encrypt");
    goto done;
  }
  if (have_kdf && !encrypt) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "--kdf goes with --encrypt");
    goto done;
  }
  if (ctl_file_exists(out)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", out);
    goto done;
  }
  if ((rc = ctl_pw_read(pw)) != GX_EXIT_OK) goto done;
  memset(&id, 0, sizeof id);
  id.index = (uint16_t)index;
  id.star = (uint8_t)have_star;
  id.cluster = (uint16_t)cluster;
  gx_key_generate(&id.key);
  size_t len = gx_genesis_identity_format(&id, text, sizeof text);
  if (!len) rc = gx_cli_fail(GX_EXIT_FAIL, "cannot format the identity key");
  else rc = ctl_write_secret(out, text, len, encrypt ? pw : NULL, ops, mem);
  sodium_memzero(text, sizeof text);
  if (rc == GX_EXIT_OK) ctl_member_line(&id, address);
  sodium_memzero(&id, sizeof id);
done:
  sodium_memzero(pw, sizeof *pw);
  free(pw);
  return rc;
}

static int ctl_node_key(int argc, char **argv) {
  const char *idf = NULL, *sharef = NULL, *genf = NULL, *out = NULL;
  int encrypt = 0, have_kdf = 0, rc = GX_EXIT_OK;
  uint32_t ops;
  uint64_t mem;
  gx_genesis_kdf_preset("moderate", &ops, &mem);
  ctl_pw_t *pw = calloc(1, sizeof *pw);
  gx_genesis_enc_t *enc = malloc(sizeof *enc);
  gx_genesis_share_t *sh = malloc(sizeof *sh);
  gx_genesis_node_key_t *k = malloc(sizeof *k);
  gx_genesis_identity_t *id = malloc(sizeof *id);
  gx_genesis_t *g = malloc(sizeof *g);
  gx_ledger_alloc_t *bal = malloc(sizeof *bal * (1u << 20));
  char *buf = malloc(GX_GENESIS_SHARE_FILE_MAX > GX_GENESIS_ENC_PLAIN_MAX ? GX_GENESIS_SHARE_FILE_MAX
                                                                         : GX_GENESIS_ENC_PLAIN_MAX);
  char err[900], why[300];
  if (!pw || !enc || !sh || !k || !id || !g || !bal || !buf) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "out of memory");
    goto done;
  }
  pw->fd = -1;
  memset(k, 0, sizeof *k);
  memset(id, 0, sizeof *id);
  for (int i = 1; i < argc && rc == GX_EXIT_OK; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (ctl_pw_opt(pw, argc, argv, &i, &rc)) continue;
    if (!strcmp(a, "--encrypt")) {
      encrypt = 1;
    } else if (!strcmp(a, "--kdf")) {
      rc = ctl_kdf_opt(v, &ops, &mem), have_kdf = 1, i++;
    } else if (!strcmp(a, "--identity") || !strcmp(a, "--share") || !strcmp(a, "--genesis") || !strcmp(a, "--out")) {
      if (!v || !v[0]) rc = gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", a);
      else if (!strcmp(a, "--identity")) idf = v;
      else if (!strcmp(a, "--share")) sharef = v;
      else if (!strcmp(a, "--genesis")) genf = v;
      else out = v;
      i++;
    } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      printf("usage: galaxyctl node-key --identity FILE --share FILE --genesis FILE --out FILE\n"
             "         [--passphrase-fd N | --passphrase-file PATH] [--encrypt] [--kdf interactive|moderate|sensitive]\n"
             "Opens the coin share sealed to this identity and writes the node key galaxyd loads ([chain] node_key).\n");
      goto done;
    } else {
      rc = gx_cli_fail(GX_EXIT_USAGE, "node-key: unknown option '%s' (try galaxyctl node-key --help)", a);
    }
  }
  if (rc != GX_EXIT_OK) goto done;
  if (!idf || !sharef || !genf || !out) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "node-key needs --identity FILE --share FILE --genesis FILE --out FILE");
    goto done;
  }
  if (encrypt && !ctl_pw_given(pw)) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "--encrypt needs --passphrase-fd N or --passphrase-file PATH");
    goto done;
  }
  if (ctl_file_exists(out)) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s exists: refusing to overwrite", out);
    goto done;
  }
  if ((rc = ctl_pw_read(pw)) != GX_EXIT_OK) goto done;
  /* the identity, decrypted when it is encrypted */
  size_t len;
  int id_enc = 0;
  gx_genesis_err_t e = gx_genesis_secret_load(idf, pw->have ? pw->pw : NULL, pw->len, buf, GX_GENESIS_ENC_PLAIN_MAX,
                                              &len, &id_enc, enc, err, sizeof err);
  if (e == GX_GENESIS_OK && (e = gx_genesis_identity_parse(id, buf, len, why, sizeof why)) != GX_GENESIS_OK)
    snprintf(err, sizeof err, "%s: %s", idf, why);
  sodium_memzero(buf, GX_GENESIS_ENC_PLAIN_MAX);
  if (e != GX_GENESIS_OK) {
    rc = gx_cli_fail(ctl_exit_for(e), "%s", err);
    goto done;
  }
  /* the genesis and the sealed share */
  gx_genesis_init(g, bal, 1u << 20);
  if ((e = gx_genesis_load(g, genf, err, sizeof err)) != GX_GENESIS_OK) {
    rc = gx_cli_fail(ctl_exit_for(e), "%s", err);
    goto done;
  }
  long sl = gx_file_read(sharef, buf, GX_GENESIS_SHARE_FILE_MAX);
  if (sl < 0) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "%s: %s", sharef, errno == EFBIG ? "too large for a share file" : strerror(errno));
    goto done;
  }
  if ((e = gx_genesis_share_parse(sh, buf, (size_t)sl, err, sizeof err)) != GX_GENESIS_OK) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s: %s", sharef, err);
    goto done;
  }
  if (sh->star != id->star || sh->index != id->index || sh->cluster != id->cluster) {
    char a[40], b[40];
    if (sh->star) snprintf(a, sizeof a, "star %u:%u", sh->cluster, sh->index);
    else snprintf(a, sizeof a, "validator %u", sh->index);
    if (id->star) snprintf(b, sizeof b, "star %u:%u", id->cluster, id->index);
    else snprintf(b, sizeof b, "validator %u", id->index);
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s is the share of %s, but %s is the identity of %s", sharef, a, idf, b);
    goto done;
  }
  if ((e = gx_genesis_share_open(sh, &id->key, k, err, sizeof err)) != GX_GENESIS_OK) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s: %s", sharef, err);
    goto done;
  }
  if ((e = gx_genesis_node_key_check(k, g, err, sizeof err)) != GX_GENESIS_OK) {
    rc = gx_cli_fail(GX_EXIT_USAGE, "%s with %s: %s", sharef, genf, err);
    goto done;
  }
  /* the node key, encrypted like the identity (or as asked) */
  size_t klen = gx_genesis_node_key_format(k, buf, GX_GENESIS_ENC_PLAIN_MAX);
  if (!klen) {
    rc = gx_cli_fail(GX_EXIT_FAIL, "cannot format the node key");
    goto done;
  }
  int out_enc = encrypt || id_enc;
  if (out_enc && id_enc && !have_kdf) {
    ops = enc->opslimit;
    mem = enc->memlimit;
  }
  rc = ctl_write_secret(out, buf, klen, out_enc ? pw : NULL, ops, mem);
  sodium_memzero(buf, GX_GENESIS_ENC_PLAIN_MAX);
  if (rc == GX_EXIT_OK) {
    char hex[65];
    gx_hex_encode(hex, g->id.b, 32);
    if (k->star)
      printf("node key %s: star %u of cluster %u of %s, genesis %s%s\n", out, k->index, k->cluster, g->name, hex,
             out_enc ? ", encrypted" : "");
    else
      printf("node key %s: validator %u of %s, genesis %s%s\n", out, k->index, g->name, hex,
             out_enc ? ", encrypted" : "");
  }
done:
  if (pw) sodium_memzero(pw, sizeof *pw);
  if (enc) sodium_memzero(enc, sizeof *enc);
  if (k) gx_genesis_node_key_wipe(k);
  if (id) sodium_memzero(id, sizeof *id);
  free(pw);
  free(enc);
  free(sh);
  free(k);
  free(id);
  free(g);
  free(bal);
  free(buf);
  return rc;
}

GX_CTL_COMMAND("keygen", "--out FILE (--index I | --star C:I) [--address H:P] [--encrypt ...]: this host's identity key",
               ctl_keygen);
GX_CTL_COMMAND("node-key", "--identity F --share F --genesis F --out F: open the sealed coin share into the node key",
               ctl_node_key);
