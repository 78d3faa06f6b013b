/* star: the light client. Creates keys, makes and co-signs transfers, submits
 * them to a galaxy over UDP, follows the committed chain through a galaxy's
 * API, and generates load. See docs/STAR.md.
 * Exit codes: 0 ok, 1 runtime failure (network, disk), 2 bad input,
 * 3 the network rejected the transfer (star submit --wait, star tx). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apps/gx_cli.h"
#include "apps/star/load.h"
#include "apps/star/net.h"
#include "apps/star/route.h"
#include "apps/star/sync.h"
#include "apps/star/wallet.h"
#include "core/gx_key.h"
#include "core/gx_proto.h"
#include "core/gx_util.h"

/* The network answered that the transfer was rejected (the reason is printed). */
#define STAR_EXIT_REJECTED 3
/* Default --settle: how long pay and cosign wait for a transfer this wallet
 * co-signed or sent moments ago before signing the next link without it. */
#define STAR_SETTLE_DEFAULT 10

static const char star_usage[] =
    "usage: star COMMAND [OPTIONS]\n"
    "  keygen  [--dir DIR]                       create a key (mode 0600); never overwrites\n"
    "  init    [--api http://HOST:PORT] [--galaxy HOST:PORT] [--dir DIR]\n"
    "                                            store this wallet's default API and galaxy\n"
    "  address [--dir DIR]                       print this account's address\n"
    "  pay     --to ADDR --amount N [--nonce N] [--out FILE] [--api URL] [--settle S] [--dir DIR]\n"
    "                                            make and sign the initiator's half; it stays pending\n"
    "  cosign  FILE [--out FILE] [--api URL] [--settle S] [--dir DIR]\n"
    "                                            check a half addressed to us, add our link and signature\n"
    "                                            (the same half again: the same transfer)\n"
    "  submit  FILE [--galaxy HOST:PORT] [--wait [--api URL] [--timeout S]] [--dir DIR]\n"
    "                                            send a full transfer; --wait: until it is committed\n"
    "                                            (exit 1 on timeout) or rejected (exit 3, the reason printed)\n"
    "                                            (no --galaxy and a network with clusters: to a member of\n"
    "                                            the initiator's home cluster, another when one refuses)\n"
    "  sync    [--api URL] [--dir DIR]           set the wallet's chain to the committed chain; clear\n"
    "                                            a pending transfer that can no longer commit\n"
    "  pending [--out FILE] [--api URL] [--dir DIR]\n"
    "                                            print the pending half again (nothing: none pending)\n"
    "  cancel  [--api URL] [--dir DIR]           drop the pending half (never a committed transfer)\n"
    "  show    FILE                              decode a half or full transfer and print its fields\n"
    "  balance [ADDR] [--api URL] [--dir DIR]    committed balance and sequence (default: this wallet)\n"
    "  tx      ID [--api URL]                    committed (height), rejected (exit 3) or not (exit 1)\n"
    "  load    [--galaxy HOST:PORT] --accounts N --rate R --duration S [--seed N]\n"
    "          (no --galaxy: each account's transfers to its home cluster, by --api's cluster map)\n"
    "          [--corrupt-every K] [--duplicate-every K] [--dump FILE] [--threads T]\n"
    "          [--api http://HOST:PORT]   continue the accounts' chains from a galaxy's API\n"
    "          [--resend S]   (with --api) re-send a stalled account's next transfers every S s\n"
    "                                            pre-sign transfers between N account pairs and send them\n"
    "  --help, --version                         this text; the version\n"
    "DIR defaults to $STAR_DIR, else ~/.star. --api defaults to DIR/api and --galaxy to\n"
    "DIR/galaxy (star init). Routing: with clusters, submit and load send each transfer to\n"
    "its initiator's home cluster (the map from the API's /v1/clusters, cached in\n"
    "DIR/clusters); an explicit --galaxy sends there instead. With an API, pay, cosign,\n"
    "submit, pending and cancel follow the committed chain first; pay and cosign wait up\n"
    "to --settle S (default 10) for a transfer this wallet co-signed or sent less than\n"
    "S seconds ago. Numbers are decimal whole numbers (leading zeros are ignored: 010\n"
    "is 10). Every option is checked before anything is sent or written.\n"
    "Exit codes: 0 ok, 1 failure, 2 bad input, 3 rejected by the network.\n";

enum { OPT_DIR = 256, OPT_TO, OPT_AMOUNT, OPT_NONCE, OPT_OUT, OPT_GALAXY, OPT_ACCOUNTS, OPT_RATE,
       OPT_DURATION, OPT_SEED, OPT_CORRUPT, OPT_DUP, OPT_DUMP, OPT_THREADS, OPT_API, OPT_WAIT,
       OPT_TIMEOUT, OPT_RESEND, OPT_SETTLE, OPT_HELP, OPT_VERSION };

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
  {"settle", required_argument, 0, OPT_SETTLE},
  {"help", no_argument, 0, OPT_HELP},             {"version", no_argument, 0, OPT_VERSION},
  {0, 0, 0, 0},
};

typedef struct {
  const char *dir, *to, *amount, *nonce, *out, *galaxy, *accounts, *rate, *duration, *seed,
      *corrupt, *dup, *dump, *threads, *api, *timeout, *resend, *settle;
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
      case OPT_SETTLE: a->settle = optarg; break;
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

static uint64_t star_now(void) { return (uint64_t)time(NULL); }

/* --api, else DIR/api (star init); *api NULL when neither. Prints the problem. */
static int star_api_resolve(const star_args_t *a, char *buf, size_t cap, const char **api) {
  *api = NULL;
  if (a->api) {
    if (strncmp(a->api, "http://", 7) != 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--api '%s': expected http://HOST:PORT", a->api);
    *api = a->api;
    return 0;
  }
  char dir[512];
  star_wallet_dir(dir, sizeof dir, a->dir);
  int r = star_wallet_default(dir, "api", buf, cap);
  if (r < 0)
    return gx_cli_fail(GX_EXIT_USAGE, "%s/api: %s", dir, errno == EINVAL ? "empty or too long" : strerror(errno));
  if (r == 0) return 0;
  if (strncmp(buf, "http://", 7) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "%s/api: '%s': expected http://HOST:PORT (star init --api)", dir, buf);
  *api = buf;
  return 0;
}

/* --galaxy, else DIR/galaxy; *galaxy NULL when neither. Prints the problem. */
static int star_galaxy_resolve(const star_args_t *a, char *buf, size_t cap, const char **galaxy) {
  *galaxy = a->galaxy;
  if (a->galaxy) return 0;
  char dir[512];
  star_wallet_dir(dir, sizeof dir, a->dir);
  int r = star_wallet_default(dir, "galaxy", buf, cap);
  if (r < 0)
    return gx_cli_fail(GX_EXIT_USAGE, "%s/galaxy: %s", dir, errno == EINVAL ? "empty or too long" : strerror(errno));
  if (r > 0) *galaxy = buf;
  return 0;
}

static int star_settle_arg(const star_args_t *a, uint64_t *settle) {
  *settle = STAR_SETTLE_DEFAULT;
  return a->settle ? star_u64("settle", a->settle, 0, 3600, settle) : 0;
}

/* Follows the committed chain when an API is known. An API that cannot be
 * reached is a warning: the wallet then goes on from its own chain state. */
static int star_follow(star_wallet_t *w, const char *api, uint64_t settle_s, const uint8_t *except_half,
                       int *online) {
  char err[512];
  *online = 0;
  if (!api) return 0;
  star_sync_rc_t r = star_sync(w, api, settle_s, except_half, 1, NULL, err, sizeof err);
  if (r == STAR_SYNC_OK) {
    *online = 1;
    return 0;
  }
  fprintf(stderr, "star: warning: %s: going on from the wallet's own chain state (sequence %llu)\n", err,
          (unsigned long long)w->st.chain.seq);
  return 0;
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

static int star_init(star_args_t *a) {
  if (!a->api && !a->galaxy)
    return gx_cli_fail(GX_EXIT_USAGE, "star init needs --api http://HOST:PORT and/or --galaxy HOST:PORT");
  if (a->api && strncmp(a->api, "http://", 7) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "--api '%s': expected http://HOST:PORT", a->api);
  if (a->galaxy) {
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[256];
    if (star_net_parse(a->galaxy, &ss, &sl, err, sizeof err) != 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", a->galaxy, err);
  }
  char dir[512];
  int rc;
  star_wallet_dir(dir, sizeof dir, a->dir);
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return gx_cli_fail(GX_EXIT_FAIL, "%s: cannot create directory: %s", dir, strerror(errno));
  if (a->api && (rc = star_wallet_set_default(dir, "api", a->api))) return rc;
  if (a->galaxy && (rc = star_wallet_set_default(dir, "galaxy", a->galaxy))) return rc;
  if (a->api) fprintf(stderr, "star: %s/api: %s\n", dir, a->api);
  if (a->galaxy) fprintf(stderr, "star: %s/galaxy: %s\n", dir, a->galaxy);
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
  star_wallet_close(&w);
  return 0;
}

/* "25 to gx..." of the pending half, for messages. */
static void star_describe_half(const star_wallet_t *w, char *out, size_t cap) {
  gx_xfer_t x;
  char to[GX_ADDR_LEN + 1];
  if (!w->st.have_half || gx_xfer_half_decode(&x, w->st.half, GX_XFER_HALF_SZ) != GX_PROTO_OK) {
    snprintf(out, cap, "half not kept: made by star 0.4.0 or older");
    return;
  }
  gx_addr_encode(to, &x.counterparty);
  snprintf(out, cap, "%llu to %s", (unsigned long long)x.amount, to);
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
  uint64_t settle;
  char apibuf[600];
  const char *api;
  if ((rc = star_settle_arg(a, &settle)) || (rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  if (memcmp(w.key.pk.b, x.counterparty.b, 32) == 0) {
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_USAGE, "--to is this account's own address");
  }
  int online;
  star_follow(&w, api, settle, NULL, &online);
  if (w.st.pending) {
    char what[200];
    star_describe_half(&w, what, sizeof what);
    if (online) star_wallet_save_chain(&w);
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_USAGE,
                       "a transfer at sequence %llu is pending (%s): submit its co-signed form "
                       "(star submit), print it again (star pending) or drop it (star cancel)",
                       (unsigned long long)w.st.pending, what);
  }
  x.initiator = w.key.pk;
  x.init_link.seq = w.st.chain.seq + 1;
  x.init_link.prev = w.st.chain.head;
  if (gx_xfer_sign_init(&x, w.key.sk) != 0) {
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_FAIL, "signing failed");
  }
  star_wallet_close(&w);
  gx_xfer_half_encode(&x, w.st.half);
  w.st.pending = x.init_link.seq;
  w.st.have_half = 1;
  if ((rc = star_wallet_save_chain(&w))) return rc; /* reserve the sequence before releasing it */
  return star_write_hex(a->out, w.st.half, GX_XFER_HALF_SZ);
}

/* Co-signing a half this wallet co-signed before gives the same transfer while
 * that transfer can still commit (or has): 1 with *out set, else 0. */
static int star_cosign_again(star_wallet_t *w, const char *api, int online, const uint8_t *half, uint8_t *out) {
  int i = star_state_find_half(&w->st, half);
  if (i < 0) return 0;
  star_rec_t *rc = &w->st.rec[i];
  gx_chain_link_t l;
  gx_hash_t id;
  char idhex[65];
  if (star_state_rec_link(&w->st, (uint32_t)i, &w->key.pk, &l) != 0) return 0;
  gx_xfer_id(&id, rc->enc);
  gx_hex_encode(idhex, id.b, 32);
  const gx_chain_head_t *c = &w->st.chain;
  if (l.seq == c->seq + 1 && gx_hash_eq(&l.prev, &c->head)) {
    gx_chain_advance(&w->st.chain, &l, &id); /* in flight, or not sent yet */
  } else if (l.seq == c->seq && gx_hash_eq(&id, &c->head)) {
    /* already the head: committed (online) or co-signed just before (offline) */
  } else if (online) {
    uint64_t height;
    char reason[32];
    int reachable;
    if (star_sync_tx(api, idhex, 3000, &height, reason, &reachable) != STAR_TX_COMMITTED) {
      fprintf(stderr, "star: the transfer co-signed from this half before (%s) can no longer commit "
              "(sequence %llu of this account is used): co-signing it again\n", idhex, (unsigned long long)l.seq);
      return 0;
    }
  } else if (l.seq >= c->seq) {
    return 0; /* not on our chain: sign afresh */
  }
  /* else offline and behind our chain's head: co-signed before and built
   * upon, or dead; without an API star cannot tell, and a second signature at
   * a new sequence would only push our chain ahead of what can commit */
  fprintf(stderr, "star: this half was co-signed before: the same transfer %s\n", idhex);
  memcpy(out, rc->enc, GX_XFER_SZ);
  return 1;
}

static int star_cosign(star_args_t *a) {
  gx_xfer_t x;
  uint8_t enc[GX_XFER_SZ], half[GX_XFER_HALF_SZ];
  int kind = 0, rc;
  if ((rc = star_read_xfer(a->file, &x, enc, &kind))) return rc;
  if (kind != 1) return gx_cli_fail(GX_EXIT_USAGE, "%s: already co-signed (a full transfer)", a->file);
  if (gx_xfer_verify_init(&x) != GX_XFER_VERIFY_OK)
    return gx_cli_fail(GX_EXIT_USAGE, "%s: the initiator's signature does not verify", a->file);
  memcpy(half, enc, GX_XFER_HALF_SZ);
  uint64_t settle;
  char apibuf[600];
  const char *api;
  if ((rc = star_settle_arg(a, &settle)) || (rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  if (memcmp(w.key.pk.b, x.counterparty.b, 32) != 0) {
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_USAGE, "%s: wrong key: this transfer is addressed to another account", a->file);
  }
  int online;
  star_follow(&w, api, settle, half, &online);
  if (star_cosign_again(&w, api, online, half, enc)) {
    star_wallet_close(&w);
    if ((rc = star_wallet_save_chain(&w))) return rc;
    return star_write_hex(a->out, enc, GX_XFER_SZ);
  }
  if (w.st.pending) {
    char what[200];
    star_describe_half(&w, what, sizeof what);
    if (online) star_wallet_save_chain(&w);
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_USAGE,
                       "a transfer this account initiated at sequence %llu is pending (%s): submit it "
                       "first, or drop it (star cancel)", (unsigned long long)w.st.pending, what);
  }
  x.cp_link.seq = w.st.chain.seq + 1;
  x.cp_link.prev = w.st.chain.head;
  if (gx_xfer_sign_cp(&x, w.key.sk) != 0) {
    star_wallet_close(&w);
    return gx_cli_fail(GX_EXIT_FAIL, "signing failed");
  }
  star_wallet_close(&w);
  gx_xfer_encode(&x, enc);
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  gx_chain_advance(&w.st.chain, &x.cp_link, &id);
  star_state_record(&w.st, enc, STAR_REC_COSIGNED, star_now());
  if ((rc = star_wallet_save_chain(&w))) return rc;
  return star_write_hex(a->out, enc, GX_XFER_SZ);
}

static double star_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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
  char galbuf[600], apibuf[600];
  const char *galaxy, *api = NULL;
  if ((rc = star_galaxy_resolve(a, galbuf, sizeof galbuf, &galaxy))) return rc;
  if (a->wait || !a->galaxy) { /* --wait reads the outcome, routing the cluster map */
    if ((rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
    if (a->wait && !api) return gx_cli_fail(GX_EXIT_USAGE, "--wait needs --api http://HOST:PORT (a galaxy's API)");
  } else if (a->api && strncmp(a->api, "http://", 7) != 0) {
    return gx_cli_fail(GX_EXIT_USAGE, "--api '%s': expected http://HOST:PORT", a->api);
  }
  uint64_t timeout = 30;
  if (a->timeout && (rc = star_u64("timeout", a->timeout, 1, 86400, &timeout))) return rc;
  if (a->timeout && !a->wait) return gx_cli_fail(GX_EXIT_USAGE, "--timeout goes with --wait");
  /* If we are a party, the wallet remembers it was sent (and the initiator's
   * pending half is done): open the wallet now, so a bad key or chain file
   * stops us before sending. */
  char dir[512], keypath[600];
  star_wallet_dir(dir, sizeof dir, a->dir);
  snprintf(keypath, sizeof keypath, "%s/key", dir);
  star_wallet_t w;
  memset(&w, 0, sizeof w);
  int have_wallet = access(keypath, F_OK) == 0;
  if (have_wallet && (rc = star_wallet_open(&w, dir))) return rc;
  if (have_wallet) star_wallet_close(&w); /* no signing here */
  /* Routing (docs/STAR.md "Routing"): a member of the initiator's home
   * cluster, unless --galaxy says where. */
  static star_route_map_t map; /* 20 KiB */
  int routed = 0;
  uint32_t home = 0;
  if (!a->galaxy && star_route_get(dir, api, &map, 1) && map.cluster_count) {
    home = star_route_home(&map, &x.initiator);
    routed = star_route_known(&map, home) > 0;
    if (!routed)
      fprintf(stderr, "star: the home cluster %u of the initiator has no member with an ingest address: "
              "sending to %s\n", home, galaxy ? galaxy : "--galaxy (none given)");
  }
  if (!routed && !galaxy)
    return gx_cli_fail(GX_EXIT_USAGE, "--galaxy HOST:PORT is required (or star init --galaxy; or an API whose "
                       "network has clusters with ingest addresses)");
  char err[256];
  uint8_t dgram[GX_UDP_PAYLOAD_MAX];
  size_t len = gx_batch_encode(dgram, sizeof dgram, enc, 1, 0);
  if (routed) {
    uint32_t skip = 0, start = randombytes_uniform(map.n[home]);
    int m;
    while ((m = star_route_pick(&map, home, start, skip)) >= 0) {
      if (star_net_send_checked(map.ingest[home][m], dgram, len, STAR_NET_REFUSE_WAIT_MS, err, sizeof err) == 0)
        break;
      fprintf(stderr, "star: member %d of cluster %u at %s: %s: trying another member\n", m, home,
              map.ingest[home][m], err);
      skip |= 1u << m;
    }
    if (m < 0)
      return gx_cli_fail(GX_EXIT_FAIL, "send failed: no member of the home cluster %u took the transfer", home);
    fprintf(stderr, "star: sent to member %d of cluster %u at %s (the initiator's home cluster)\n", m, home,
            map.ingest[home][m]);
  } else {
    star_net_t net;
    if (star_net_open(&net, galaxy, err, sizeof err) != 0)
      return gx_cli_fail(GX_EXIT_USAGE, "--galaxy %s: %s", galaxy, err);
    if (star_net_send(&net, dgram, len, err, sizeof err) != 0) {
      star_net_close(&net);
      return gx_cli_fail(GX_EXIT_FAIL, "send to %s failed: %s", galaxy, err);
    }
    star_net_close(&net);
  }
  double t0 = star_mono();
  gx_hash_t id;
  gx_xfer_id(&id, enc);
  const gx_chain_link_t *mine = NULL;
  int party = have_wallet && gx_chain_link_of(&x, &w.key.pk, &mine) == 0;
  if (party) {
    if (!memcmp(w.key.pk.b, x.initiator.b, 32) && w.st.pending == x.init_link.seq &&
        (!w.st.have_half || star_state_same_half(w.st.half, enc))) {
      w.st.pending = 0;
      w.st.have_half = 0;
    }
    if (gx_chain_check(&w.st.chain, mine) == GX_CHAIN_OK) gx_chain_advance(&w.st.chain, mine, &id);
    star_state_record(&w.st, enc, STAR_REC_SENT, star_now());
    if ((rc = star_wallet_save_chain(&w))) return rc;
  }
  char idhex[65];
  gx_hex_encode(idhex, id.b, 32);
  printf("%s\n", idhex);
  fflush(stdout);
  if (!a->wait) return 0;
  int reached = 0, outcome = -1; /* 0 committed, 1 rejected */
  uint64_t height = 0;
  char reason[32] = "";
  for (;;) {
    double left = (double)timeout - (star_mono() - t0);
    if (left <= 0) break;
    int reachable;
    star_tx_state_t s = star_sync_tx(api, idhex, (long)(left * 1000) + 1, &height, reason, &reachable);
    reached |= reachable;
    if (s == STAR_TX_COMMITTED || s == STAR_TX_REJECTED) {
      outcome = s == STAR_TX_COMMITTED ? 0 : 1;
      break;
    }
    left = (double)timeout - (star_mono() - t0);
    if (left <= 0) break;
    usleep(left < 0.1 ? (useconds_t)(left * 1e6) : 100000);
  }
  if (party && reached) {
    /* waited for: pay and cosign do not wait for it again; the wallet follows
     * the committed chain now */
    int i = star_state_find(&w.st, enc);
    if (i >= 0) w.st.rec[i].flags |= STAR_REC_SETTLED;
    if (star_sync(&w, api, 0, NULL, 0, NULL, err, sizeof err) == STAR_SYNC_OK) star_wallet_save_chain(&w);
  }
  if (outcome == 0) {
    printf("committed at height %llu\n", (unsigned long long)height);
    return 0;
  }
  if (outcome == 1) {
    fprintf(stderr, "star: transfer %s rejected: %s\n", idhex, reason);
    return STAR_EXIT_REJECTED;
  }
  char url[700];
  star_url(url, sizeof url, api, "/v1/tx/", idhex);
  if (!reached)
    return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s (transfer %s was sent; its state is unknown)",
                       url, idhex);
  return gx_cli_fail(GX_EXIT_FAIL, "transfer %s not committed within %llus", idhex,
                     (unsigned long long)timeout);
}

static int star_sync_cmd(star_args_t *a) {
  char apibuf[600], err[512];
  const char *api;
  int rc;
  if ((rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
  if (!api) return gx_cli_fail(GX_EXIT_USAGE, "--api http://HOST:PORT is required (or star init --api)");
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  star_wallet_close(&w);
  star_account_t acct;
  star_sync_rc_t r = star_sync(&w, api, 0, NULL, 1, &acct, err, sizeof err);
  if (r != STAR_SYNC_OK) return gx_cli_fail(GX_EXIT_FAIL, "%s", err);
  if ((rc = star_wallet_save_chain(&w))) return rc;
  char head[65];
  gx_hex_encode(head, acct.head.b, 32);
  printf("seq %llu head %s balance %llu pending %llu\n", (unsigned long long)acct.seq, head,
         (unsigned long long)acct.balance, (unsigned long long)w.st.pending);
  return 0;
}

static int star_pending(star_args_t *a) {
  char apibuf[600];
  const char *api;
  int rc, online;
  if ((rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  star_wallet_close(&w);
  star_follow(&w, api, 0, NULL, &online);
  if (online && (rc = star_wallet_save_chain(&w))) return rc;
  if (!w.st.pending) {
    fprintf(stderr, "star: nothing pending\n");
    return 0;
  }
  if (!w.st.have_half)
    return gx_cli_fail(GX_EXIT_FAIL, "sequence %llu is reserved by a pay whose half was not kept (made by star "
                       "0.4.0 or older): star cancel drops the reservation", (unsigned long long)w.st.pending);
  char what[200];
  star_describe_half(&w, what, sizeof what);
  fprintf(stderr, "star: pending at sequence %llu: %s (star cancel drops it)\n", (unsigned long long)w.st.pending,
          what);
  return star_write_hex(a->out, w.st.half, GX_XFER_HALF_SZ);
}

static int star_cancel(star_args_t *a) {
  char apibuf[600], err[512];
  const char *api;
  int rc;
  if ((rc = star_api_resolve(a, apibuf, sizeof apibuf, &api))) return rc;
  star_wallet_t w;
  if ((rc = star_open(a, &w))) return rc;
  star_wallet_close(&w);
  uint64_t before = w.st.pending;
  char what[200];
  star_describe_half(&w, what, sizeof what);
  if (api) {
    star_account_t acct;
    star_sync_rc_t r = star_sync(&w, api, 0, NULL, 0, &acct, err, sizeof err);
    if (r != STAR_SYNC_OK) {
      fprintf(stderr, "star: warning: %s: cancelling without knowing the committed chain\n", err);
    } else {
      if ((rc = star_wallet_save_chain(&w))) return rc;
      if (before && !w.st.pending && acct.seq >= before)
        return gx_cli_fail(GX_EXIT_FAIL, "the transfer at sequence %llu (%s) can no longer be cancelled: "
                           "sequence %llu is used on the committed chain", (unsigned long long)before, what,
                           (unsigned long long)before);
      if (before && !w.st.pending) {
        fprintf(stderr, "star: dropped the transfer pending at sequence %llu (%s): it no longer links onto "
                "the committed chain\n", (unsigned long long)before, what);
        return 0;
      }
    }
  }
  if (!w.st.pending) {
    fprintf(stderr, "star: nothing pending\n");
    return 0;
  }
  w.st.pending = 0;
  w.st.have_half = 0;
  memset(w.st.half, 0, sizeof w.st.half);
  if ((rc = star_wallet_save_chain(&w))) return rc;
  fprintf(stderr, "star: dropped the transfer pending at sequence %llu (%s); a copy already handed out can "
          "still be co-signed and submitted, and commits unless this account uses sequence %llu first\n",
          (unsigned long long)before, what, (unsigned long long)before);
  return 0;
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

static int star_api_arg(const star_args_t *a, char *buf, size_t cap, const char **api) {
  int rc = star_api_resolve(a, buf, cap, api);
  if (rc) return rc;
  if (!*api) return gx_cli_fail(GX_EXIT_USAGE, "--api http://HOST:PORT is required");
  return 0;
}

static int star_balance(star_args_t *a) {
  int rc;
  char apibuf[600];
  const char *api;
  char addr[GX_ADDR_LEN + 1];
  gx_pubkey_t pk;
  if (a->file) {
    gx_addr_err_t ae = gx_addr_decode(&pk, a->file);
    if (ae) return gx_cli_fail(GX_EXIT_USAGE, "'%s': %s", a->file, gx_addr_strerror(ae));
    snprintf(addr, sizeof addr, "%s", a->file);
  }
  if ((rc = star_api_arg(a, apibuf, sizeof apibuf, &api))) return rc;
  if (!a->file) {
    star_wallet_t w;
    if ((rc = star_open(a, &w))) return rc;
    gx_addr_encode(addr, &w.key.pk);
    star_wallet_close(&w);
  }
  char url[700], body[1024];
  star_url(url, sizeof url, api, "/v1/account/", addr);
  long st = star_http_get(url, body, sizeof body);
  if (st < 0) return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s", url);
  if (st == 404 && star_answer_code_is(body, "unknown_account")) {
    printf("%s balance 0 seq 0 (no committed transaction yet)\n", addr);
    return 0;
  }
  if (st == 404) /* a wrong path, not an unknown account */
    return gx_cli_fail(GX_EXIT_FAIL, "%s: HTTP 404 that is not an account answer (is %s a galaxyd API?)", url, api);
  const char *b = strstr(body, "\"balance\":"), *q = strstr(body, "\"seq\":");
  if (st != 200 || !b || !q) return gx_cli_fail(GX_EXIT_FAIL, "%s: HTTP %ld: %s", url, st, body);
  printf("%s balance %llu seq %llu\n", addr, strtoull(b + 10, NULL, 10), strtoull(q + 6, NULL, 10));
  return 0;
}

static int star_tx(star_args_t *a) {
  int rc;
  char apibuf[600];
  const char *api;
  uint8_t id[32];
  if (!a->file || gx_hex_decode(id, 32, a->file) != 0)
    return gx_cli_fail(GX_EXIT_USAGE, "a transaction ID (64 hex characters) is required");
  if ((rc = star_api_arg(a, apibuf, sizeof apibuf, &api))) return rc;
  char url[700], reason[32];
  star_url(url, sizeof url, api, "/v1/tx/", a->file);
  uint64_t height;
  int reachable;
  star_tx_state_t s = star_sync_tx(api, a->file, 3000, &height, reason, &reachable);
  if (!reachable) return gx_cli_fail(GX_EXIT_FAIL, "cannot reach API at %s", url);
  switch (s) {
    case STAR_TX_COMMITTED: printf("committed height %llu\n", (unsigned long long)height); return 0;
    case STAR_TX_REJECTED: printf("rejected %s\n", reason); return STAR_EXIT_REJECTED;
    case STAR_TX_NOT_COMMITTED: printf("not committed\n"); return GX_EXIT_FAIL;
    default: return gx_cli_fail(GX_EXIT_FAIL, "%s: an answer that does not say", url);
  }
}

static int star_load_cmd(star_args_t *a) {
  star_load_cfg_t c;
  memset(&c, 0, sizeof c);
  int rc;
  if (a->galaxy) {
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
  /* no --galaxy: route each account's transfers to its home cluster, by the
   * map of --api or of the wallet directory's cache */
  static star_route_map_t map;
  if (!a->galaxy) {
    char dir[512];
    star_wallet_dir(dir, sizeof dir, a->dir);
    if (!star_route_get(dir, a->api, &map, 1) || !map.cluster_count)
      return gx_cli_fail(GX_EXIT_USAGE, "--galaxy HOST:PORT is required (no cluster map: --api of a network "
                         "with clusters and ingest addresses routes by home cluster instead)");
    c.route = &map;
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
    {"keygen", star_keygen, 0},   {"init", star_init, 0},       {"address", star_address, 0},
    {"pay", star_pay, 0},         {"cosign", star_cosign, 1},   {"submit", star_submit, 1},
    {"sync", star_sync_cmd, 0},   {"pending", star_pending, 0}, {"cancel", star_cancel, 0},
    {"show", star_show, 1},       {"load", star_load_cmd, 0},   {"balance", star_balance, 1},
    {"tx", star_tx, 1},
  };
  for (size_t i = 0; i < GX_ARRAY_LEN(cmds); i++) {
    if (strcmp(cmd, cmds[i].name) != 0) continue;
    if (!cmds[i].takes_file && a.npos) return gx_cli_fail(GX_EXIT_USAGE, "unexpected argument '%s'", a.file);
    return cmds[i].fn(&a);
  }
  return gx_cli_fail(GX_EXIT_USAGE, "unknown command '%s' (see star --help)", cmd);
}
