/* star: the light client. Creates keys, makes and co-signs transfers, submits
 * them to a galaxy over UDP, and generates load. See docs/STAR.md.
 * Exit codes: 0 ok, 1 runtime failure (network, disk), 2 bad input. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "apps/star/load.h"
#include "apps/star/net.h"
#include "apps/star/wallet.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"
#include "core/gx_util.h"

static const char star_usage[] =
    "usage: star COMMAND [OPTIONS]\n"
    "  keygen  [--dir DIR]                       create a key (mode 0600); never overwrites\n"
    "  address [--dir DIR]                       print this account's address\n"
    "  pay     --to ADDR --amount N [--nonce N] [--out FILE] [--dir DIR]\n"
    "                                            make and sign the initiator's half\n"
    "  cosign  FILE [--out FILE] [--dir DIR]     check a half addressed to us, add our link and signature\n"
    "  submit  FILE --galaxy HOST:PORT [--wait --api http://HOST:PORT [--timeout S]] [--dir DIR]\n"
    "                                            send a full transfer; advances our chain if we initiated it;\n"
    "                                            --wait: until it is committed (exit 1 on timeout)\n"
    "  show    FILE                              decode a half or full transfer and print its fields\n"
    "  balance [ADDR] --api http://HOST:PORT [--dir DIR]\n"
    "                                            committed balance and sequence (default: this wallet)\n"
    "  tx      ID --api http://HOST:PORT          is the transfer committed, at which height\n"
    "  load    --galaxy HOST:PORT --accounts N --rate R --duration S [--seed N]\n"
    "          [--corrupt-every K] [--duplicate-every K] [--dump FILE] [--threads T]\n"
    "          [--api http://HOST:PORT]   continue the accounts' chains from a galaxy's API\n"
    "          [--resend S]   (with --api) re-send a stalled account's next transfers every S s\n"
    "                                            pre-sign transfers between N account pairs and send them\n"
    "  --help, --version                         this text; the version\n"
    "DIR defaults to $STAR_DIR, else ~/.star. Numbers are decimal whole numbers (leading zeros\n"
    "are ignored: 010 is 10). Every option is checked before anything is sent or written.\n"
    "Exit codes: 0 ok, 1 failure, 2 bad input.\n";

enum { OPT_DIR = 256, OPT_TO, OPT_AMOUNT, OPT_NONCE, OPT_OUT, OPT_GALAXY, OPT_ACCOUNTS, OPT_RATE,
       OPT_DURATION, OPT_SEED, OPT_CORRUPT, OPT_DUP, OPT_DUMP, OPT_THREADS, OPT_API, OPT_WAIT,
       OPT_TIMEOUT, OPT_RESEND, OPT_HELP, OPT_VERSION };

static const struct option star_opts[] = {
  {"dir", required_argument, 0, OPT_DIR},         {"to", required_argument, 0, OPT_TO},
  {"amount", required_argument, 0, OPT_AMOUNT},   {"nonce", required_argument, 0, OPT_NONCE},
  {"out", required_argument, 0, OPT_OUT},         {"galaxy", required_argument, 0, OPT_GALAXY},
  {"accounts", required_argument, 0, OPT_ACCOUNTS}, {"rate", required_argument, 0, OPT_RATE},
  {"duration", required_argument, 0, OPT_DURATION}, {"seed", required_argument, 0, OPT_SEED},
  {"corrupt-every", required_argument, 0, OPT_CORRUPT},
  {"duplicate-every", required_argument, 0, OPT_DUP},
  {"dump", required_argument, 0, OPT_DUMP},       {"threads", required_argument, 0, OPT_THREADS},
  {"api", required_argument, 0, OPT_API},         {"wait", no_argument, 0, OPT_WAIT},
  {"timeout", required_argument, 0, OPT_TIMEOUT}, {"resend", required_argument, 0, OPT_RESEND},
  {"help", no_argument, 0, OPT_HELP},             {"version", no_argument, 0, OPT_VERSION},
  {0, 0, 0, 0},
};

typedef struct {
  const char *dir, *to, *amount, *nonce, *out, *galaxy, *accounts, *rate, *duration, *seed,
      *corrupt, *dup, *dump, *threads, *api, *timeout, *resend;
  int wait;
  const char *file; /* positional */
  int npos;
} star_args_t;

static int star_parse(int argc, char **argv, star_args_t *a) {
  memset(a, 0, sizeof *a);
  optind = 1;
  opterr = 0;
  int c;
  int li = -1;
  while ((c = getopt_long(argc, argv, ":", star_opts, &li)) != -1) {
    /* "--amount --to X": the value is missing, getopt took the next option */
    if (optarg && optarg[0] == '-' && optarg[1] == '-' && li >= 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--%s needs a value (got option '%s')", star_opts[li].name, optarg);
    li = -1;
    switch (c) {
      case OPT_DIR: a->dir = optarg; break;
      case OPT_TO: a->to = optarg; break;
      case OPT_AMOUNT: a->amount = optarg; break;
      case OPT_NONCE: a->nonce = optarg; break;
      case OPT_OUT: a->out = optarg; break;
      case OPT_GALAXY: a->galaxy = optarg; break;
      case OPT_ACCOUNTS: a->accounts = optarg; break;
      case OPT_RATE: a->rate = optarg; break;
      case OPT_DURATION: a->duration = optarg; break;
      case OPT_SEED: a->seed = optarg; break;
      case OPT_CORRUPT: a->corrupt = optarg; break;
      case OPT_DUP: a->dup = optarg; break;
      case OPT_DUMP: a->dump = optarg; break;
      case OPT_THREADS: a->threads = optarg; break;
      case OPT_API: a->api = optarg; break;
      case OPT_WAIT: a->wait = 1; break;
      case OPT_TIMEOUT: a->timeout = optarg; break;
      case OPT_RESEND: a->resend = optarg; break;
      case OPT_HELP: fputs(star_usage, stdout); exit(0);
      case OPT_VERSION: exit(gx_cli_version());
      case ':': return gx_cli_fail(GX_EXIT_USAGE, "%s needs a value", argv[optind - 1]);
      default: return gx_cli_fail(GX_EXIT_USAGE, "unknown option '%s' (see star --help)", argv[optind - 1]);
    }
  }
  for (int i = optind; i < argc; i++) {
    if (a->npos++ == 0) a->file = argv[i];
    else return gx_cli_fail(GX_EXIT_USAGE, "unexpected argument '%s'", argv[i]);
  }
  return 0;
}

/* Parses a u64 option in [min, max] (apps/gx_cli.h); prints the problem. */
static int star_u64(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  char opt[40];
  snprintf(opt, sizeof opt, "--%s", name);
  if (!s) return gx_cli_fail(GX_EXIT_USAGE, "%s is required", opt);
  return gx_cli_parse_u64(opt, s, min, max, out);
}

/* Writes one hex line to path (atomically) or stdout. */
static int star_write_hex(const char *path, const uint8_t *data, size_t len) {
  char hex[2 * GX_XFER_SZ + 2];
  gx_hex_encode(hex, data, len);
  hex[2 * len] = '\n';
  if (!path) {
    fwrite(hex, 1, 2 * len + 1, stdout);
    return 0;
  }
  if (gx_file_write_atomic(path, hex, 2 * len + 1, 0644, 0) != 0)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot write: %s", path, strerror(errno));
  return 0;
}

/* Reads a half or full transfer (one hex line). kind: 1 half, 2 full. */
static int star_read_xfer(const char *path, gx_xfer_t *x, uint8_t *enc, int *kind) {
  char text[2048];
  if (!path) return gx_cli_fail(GX_EXIT_USAGE, "a transfer FILE is required");
  long n = gx_file_read(path, text, sizeof text - 1);
  if (n < 0) {
    if (errno == EFBIG) return gx_cli_fail(GX_EXIT_USAGE, "%s: too large to be a transfer", path);
    return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, strerror(errno));
  }
  text[n] = 0;
  if ((size_t)n != strlen(text)) return gx_cli_fail(GX_EXIT_USAGE, "%s: bad hex (NUL byte)", path);
  long len = gx_hex_decode_var(enc, GX_XFER_SZ, text);
  if (len < 0) {
    size_t digits = strcspn(text, " \t\r\n");
    if (digits > 2 * GX_XFER_SZ) return gx_cli_fail(GX_EXIT_USAGE, "%s: too long to be a transfer", path);
    return gx_cli_fail(GX_EXIT_USAGE, "%s: bad hex", path);
  }
  gx_proto_err_t e;
  if (len == GX_XFER_HALF_SZ) {
    *kind = 1;
    e = gx_xfer_half_decode(x, enc, (size_t)len);
  } else {
    *kind = 2;
    e = gx_xfer_decode(x, enc, (size_t)len);
  }
  if (e) return gx_cli_fail(GX_EXIT_USAGE, "%s: not a valid transfer: %s", path, gx_proto_strerror(e));
  return 0;
}

static int star_keygen(star_args_t *a) {
  char dir[512], path[600];
  star_wallet_dir(dir, sizeof dir, a->dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot create directory: %s", dir, strerror(errno));
  snprintf(path, sizeof path, "%s/key", dir);
  gx_keypair_t kp;
  gx_key_generate(&kp);
  gx_key_err_t e = gx_key_save(path, &kp);
  if (e == GX_KEY_ERR_EXISTS) return gx_cli_fail(GX_EXIT_USAGE, "%s: %s", path, gx_key_strerror(e));
  if (e) return gx_cli_fail(GX_EXIT_FAIL, "%s: %s: %s", path, gx_key_strerror(e), strerror(errno));
  char addr[GX_ADDR_LEN + 1];
  gx_addr_encode(addr, &kp.pk);
  gx_key_wipe(&kp);
  printf("%s\n", addr);
  fprintf(stderr, "star: key written to %s\n", path);
  return 0;
}

static int star_open(star_args_t *a, star_wallet_t *w) {
  char dir[512];
  star_wallet_dir(dir, sizeof dir, a->dir);
  return star_wallet_open(w, dir);
}

static int star_address(star_args_t *a) {
  star_wallet_t w;
  int rc = star_open(a, &w);
  if (rc) return rc;
  char addr[GX_ADDR_LEN + 1];
  gx_addr_encode(addr, &w.key.pk);
  printf("%s\n", addr);
  gx_key_wipe(&w.key);
  return 0;
}

static int star_pay(star_args_t *a) {
  gx_xfer_t x;
  memset(&x, 0, sizeof x);
  if (!a->to) return gx_cli_fail(GX_EXIT_USAGE, "--to ADDR is required");
  gx_addr_err_t ae = gx_addr_decode(&x.counterparty, a->to);
  if (ae) return gx_cli_fail(GX_EXIT_USAGE, "--to '%s': %s", a->to, gx_addr_strerror(ae));
  if (!a->amount) return gx_cli_fail(GX_EXIT_USAGE, "--amount N is required");
  int rc = star_u64("amount", a->amount, 1, GX_AMOUNT_MAX, &x.amount);
  if (rc) return rc;
  if (a->nonce) {
    if ((rc = star_u64("nonce", a->nonce, 0, UINT64_MAX, &x.nonce))) return rc;
  } else {
    randombytes_buf(&x.nonce, sizeof x.nonce);
  }
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  if (memcmp(w.key.pk.b, x.counterparty.b, 32) == 0)
    return gx_cli_fail(GX_EXIT_USAGE, "--to is this account's own address");
  if (w.pending)
    return gx_cli_fail(GX_EXIT_USAGE,
                       "a transfer at sequence %llu is pending: submit its co-signed form first "
                       "(star submit) so the chain can link to it",
                       (unsigned long long)w.pending);
  x.initiator = w.key.pk;
  x.init_link.seq = w.chain.seq + 1;
  x.init_link.prev = w.chain.head;
  if (gx_xfer_sign_init(&x, w.key.sk) != 0) return gx_cli_fail(GX_EXIT_FAIL, "signing failed");
  uint8_t half[GX_XFER_HALF_SZ];
  gx_xfer_half_encode(&x, half);
  w.pending = x.init_link.seq;
  if ((rc = star_wallet_save_chain(&w))) return rc; /* reserve the sequence before releasing it */
  rc = star_write_hex(a->out, half, sizeof half);
  gx_key_wipe(&w.key);
  return rc;
}

static int star_cosign(star_args_t *a) {
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ];
  int kind = 0, rc;
  if ((rc = star_read_xfer(a->file, &x, enc, &kind))) return rc;
  if (kind != 1) return gx_cli_fail(GX_EXIT_USAGE, "%s: already co-signed (a full transfer)", a->file);
  if (gx_xfer_verify_init(&x) != GX_XFER_VERIFY_OK)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: the initiator's signature does not verify", a->file);
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  if (memcmp(w.key.pk.b, x.counterparty.b, 32) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: wrong key: this transfer is addressed to another account",
                       a->file);
  if (w.pending)
    return gx_cli_fail(GX_EXIT_USAGE, "a transfer this account initiated at sequence %llu is pending; "
                       "submit it first", (unsigned long long)w.pending);
  x.cp_link.seq = w.chain.seq + 1;
  x.cp_link.prev = w.chain.head;
  if (gx_xfer_sign_cp(&x, w.key.sk) != 0) return gx_cli_fail(GX_EXIT_FAIL, "signing failed");
  gx_xfer_encode(&x, enc);
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  gx_chain_advance(&w.chain, &x.cp_link, &id);
  if ((rc = star_wallet_save_chain(&w))) return rc;
  gx_key_wipe(&w.key);
  return star_write_hex(a->out, enc, sizeof enc);
}

static int star_submit(star_args_t *a) {
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ];
  int kind = 0, rc;
  if ((rc = star_read_xfer(a->file, &x, enc, &kind))) return rc;
  if (kind != 2) return gx_cli_fail(GX_EXIT_USAGE, "%s: only the initiator's half; the counterparty must co-sign it first (star cosign)", a->file);
  gx_xfer_verify_t v = gx_xfer_verify_enc(enc);
  if (v != GX_XFER_VERIFY_OK)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: the %s signature does not verify", a->file,
                       v == GX_XFER_VERIFY_BAD_INIT_SIG ? "initiator's" : "counterparty's");
  if (!a->galaxy) return gx_cli_fail(GX_EXIT_USAGE, "--galaxy HOST:PORT is required");
  if (a->wait && (!a->api || strncmp(a->api, "http://", 7) != 0))
    return gx_cli_fail(GX_EXIT_USAGE, "--wait needs --api http://HOST:PORT (a galaxy's API)");
  uint64_t timeout = 30;
  if (a->timeout && (rc = star_u64("timeout", a->timeout, 1, 86400, &timeout))) return rc;
  if (a->timeout && !a->wait) return gx_cli_fail(GX_EXIT_USAGE, "--timeout goes with --wait");
  /* If we initiated it, our chain links to it once sent (when a wallet exists):
   * open the wallet now, so a bad key or chain file stops us before sending. */
  char dir[512], keypath[600];
  star_wallet_dir(dir, sizeof dir, a->dir);
  snprintf(keypath, sizeof keypath, "%s/key", dir);
  star_wallet_t w;
  memset(&w, 0, sizeof w);
  int have_wallet = access(keypath, F_OK) == 0;
  if (have_wallet && (rc = star_wallet_open(&w, dir))) return rc;
  star_net_t net;
  char err[256];
  if (star_net_open(&net, a->galaxy, err, sizeof err) != 0) {
    if (have_wallet) gx_key_wipe(&w.key);
    return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", a->galaxy, err);
  }
  uint8_t dgram[GX_UDP_PAYLOAD_MAX];
  size_t len = gx_batch_encode(dgram, sizeof dgram, enc, 1, 0);
  if (star_net_send(&net, dgram, len, err, sizeof err) != 0) {
    star_net_close(&net);
    if (have_wallet) gx_key_wipe(&w.key);
    return gx_cli_fail(GX_EXIT_FAIL, "send to %s failed: %s", a->galaxy, err);
  }
  star_net_close(&net);
  if (have_wallet) {
    gx_hash_t id;
    gx_xfer_id(&id, enc);
    if (!memcmp(w.key.pk.b, x.initiator.b, 32) && w.pending == x.init_link.seq &&
        gx_chain_check(&w.chain, &x.init_link) == GX_CHAIN_OK) {
      gx_chain_advance(&w.chain, &x.init_link, &id);
      w.pending = 0;
      if ((rc = star_wallet_save_chain(&w))) return rc;
    }
    gx_key_wipe(&w.key);
  }
  char idhex[65];
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  gx_hex_encode(idhex, id.b, 32);
  printf("%s\n", idhex);
  fflush(stdout);
  if (!a->wait) return 0;
  char url[600], body[512];
  star_url(url, sizeof url, a->api, "/v1/tx/", idhex);
  int reached = 0;
  for (uint64_t tries = 0; tries < timeout * 10; tries++) {
    long st = star_http_get(url, body, sizeof body);
    const char *h = strstr(body, "\"height\":");
    if (st >= 0) reached = 1;
    if (st == 200 && h) {
      printf("committed at height %llu\n", strtoull(h + 9, NULL, 10));
      return 0;
    }
    usleep(100000);
  }
  if (!reached)
    return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s (transfer %s was sent; its state is unknown)",
                       url, idhex);
  return gx_cli_fail(GX_EXIT_FAIL, "transfer %s not committed within %llus", idhex,
                     (unsigned long long)timeout);
}

static int star_show(star_args_t *a) {
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ];
  int kind = 0, rc;
  if ((rc = star_read_xfer(a->file, &x, enc, &kind))) return rc;
  char from[GX_ADDR_LEN + 1], to[GX_ADDR_LEN + 1], prev[65];
  gx_addr_encode(from, &x.initiator);
  gx_addr_encode(to, &x.counterparty);
  gx_hex_encode(prev, x.init_link.prev.b, 32);
  printf("kind       %s\nfrom       %s\nto         %s\namount     %llu\nnonce      %llu\n"
         "from_seq   %llu\nfrom_prev  %s\ninit_sig   %s\n",
         kind == 1 ? "half" : "transfer", from, to, (unsigned long long)x.amount,
         (unsigned long long)x.nonce, (unsigned long long)x.init_link.seq, prev,
         gx_xfer_verify_init(&x) == GX_XFER_VERIFY_OK ? "valid" : "INVALID");
  if (kind == 2) {
    gx_hash_t id;
    char idhex[65];
    gx_hex_encode(prev, x.cp_link.prev.b, 32);
    gx_xfer_id(&id, enc);
    gx_hex_encode(idhex, id.b, 32);
    printf("to_seq     %llu\nto_prev    %s\ncp_sig     %s\nid         %s\n",
           (unsigned long long)x.cp_link.seq, prev,
           gx_xfer_verify_enc(enc) == GX_XFER_VERIFY_OK ? "valid" : "INVALID", idhex);
  }
  return 0;
}

static int star_api_arg(const star_args_t *a) {
  if (!a->api) return gx_cli_fail(GX_EXIT_USAGE, "--api http://HOST:PORT is required");
  if (strncmp(a->api, "http://", 7) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "--api '%s': expected http://HOST:PORT", a->api);
  return 0;
}

static int star_balance(star_args_t *a) {
  int rc;
  if ((rc = star_api_arg(a))) return rc;
  char addr[GX_ADDR_LEN + 1];
  gx_pubkey_t pk;
  if (a->file) {
    gx_addr_err_t ae = gx_addr_decode(&pk, a->file);
    if (ae) return gx_cli_fail(GX_EXIT_USAGE, "'%s': %s", a->file, gx_addr_strerror(ae));
    snprintf(addr, sizeof addr, "%s", a->file);
  } else {
    star_wallet_t w;
    if ((rc = star_open(a, &w))) return rc;
    gx_addr_encode(addr, &w.key.pk);
    gx_key_wipe(&w.key);
  }
  char url[600], body[1024];
  star_url(url, sizeof url, a->api, "/v1/account/", addr);
  long st = star_http_get(url, body, sizeof body);
  if (st < 0) return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s", url);
  if (st == 404) {
    printf("%s balance 0 seq 0 (no committed transaction yet)\n", addr);
    return 0;
  }
  const char *b = strstr(body, "\"balance\":"), *q = strstr(body, "\"seq\":");
  if (st != 200 || !b || !q) return gx_cli_fail(GX_EXIT_FAIL, "%s: HTTP %ld: %s", url, st, body);
  printf("%s balance %llu seq %llu\n", addr, strtoull(b + 10, NULL, 10), strtoull(q + 6, NULL, 10));
  return 0;
}

static int star_tx(star_args_t *a) {
  int rc;
  if ((rc = star_api_arg(a))) return rc;
  uint8_t id[32];
  if (!a->file || gx_hex_decode(id, 32, a->file) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "a transaction ID (64 hex characters) is required");
  char url[600], body[1024];
  star_url(url, sizeof url, a->api, "/v1/tx/", a->file);
  long st = star_http_get(url, body, sizeof body);
  if (st < 0) return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s", url);
  const char *h = strstr(body, "\"height\":");
  if (st == 200 && h) {
    printf("committed height %llu\n", strtoull(h + 9, NULL, 10));
    return 0;
  }
  if (st == 404) {
    printf("not committed\n");
    return GX_EXIT_FAIL;
  }
  return gx_cli_fail(GX_EXIT_FAIL, "%s: HTTP %ld", url, st);
}

static int star_load_cmd(star_args_t *a) {
  star_load_cfg_t c;
  memset(&c, 0, sizeof c);
  int rc;
  if (!a->galaxy) return gx_cli_fail(GX_EXIT_USAGE, "--galaxy HOST:PORT is required");
  {
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[256];
    if (star_net_parse(a->galaxy, &ss, &sl, err, sizeof err) != 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", a->galaxy, err);
  }
  c.galaxy = a->galaxy;
  if ((rc = star_u64("accounts", a->accounts, 1, 1000000, &c.pairs))) return rc;
  if ((rc = star_u64("rate", a->rate, 1, 10000000, &c.rate))) return rc;
  if ((rc = star_u64("duration", a->duration, 1, 86400, &c.duration))) return rc;
  c.seed = 1;
  if (a->seed && (rc = star_u64("seed", a->seed, 0, UINT64_MAX, &c.seed))) return rc;
  if (a->corrupt && (rc = star_u64("corrupt-every", a->corrupt, 1, UINT64_MAX, &c.corrupt_every))) return rc;
  if (a->dup && (rc = star_u64("duplicate-every", a->dup, 1, UINT64_MAX, &c.duplicate_every))) return rc;
  c.threads = 0;
  if (a->threads && (rc = star_u64("threads", a->threads, 1, 256, &c.threads))) return rc;
  c.dump_path = a->dump;
  if (a->api && strncmp(a->api, "http://", 7) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "--api '%s': expected http://HOST:PORT", a->api);
  c.api = a->api;
  if (a->resend) {
    if (!a->api) return gx_cli_fail(GX_EXIT_USAGE, "--resend needs --api http://HOST:PORT (it reads the accounts' committed state)");
    if ((rc = star_u64("resend", a->resend, 1, 3600, &c.resend_s))) return rc;
  }
  return star_load_run(&c);
}

int main(int argc, char **argv) {
  gx_cli_set_prog("star");
  if (sodium_init() < 0) return gx_cli_fail(GX_EXIT_FAIL, "libsodium failed to initialise");
  if (argc < 2) {
    fputs(star_usage, stderr);
    return GX_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    fputs(star_usage, stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return gx_cli_version();
  star_args_t a;
  int rc = star_parse(argc - 1, argv + 1, &a);
  if (rc) return rc;
  static const struct { const char *name; int (*fn)(star_args_t *); int takes_file; } cmds[] = {
    {"keygen", star_keygen, 0}, {"address", star_address, 0}, {"pay", star_pay, 0},
    {"cosign", star_cosign, 1}, {"submit", star_submit, 1},   {"show", star_show, 1},
    {"load", star_load_cmd, 0},   {"balance", star_balance, 1}, {"tx", star_tx, 1},
  };
  for (size_t i = 0; i < GX_ARRAY_LEN(cmds); i++) {
    if (strcmp(cmd, cmds[i].name) != 0) continue;
    if (!cmds[i].takes_file && a.npos) return gx_cli_fail(GX_EXIT_USAGE, "unexpected argument '%s'", a.file);
    return cmds[i].fn(&a);
  }
  return gx_cli_fail(GX_EXIT_USAGE, "unknown command '%s' (see star --help)", cmd);
}
