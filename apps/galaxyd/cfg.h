/* galaxyd configuration: an INI file (libinih) plus command-line overrides
 * ("--set section.key=value"), resolved into gx_node_cfg_t. deploy/galaxyd.ini
 * documents every key with its default; docs/GALAXYD.md is the reference.
 *
 * Problems are collected, not printed: loading and validation append one line
 * per problem ("[cores] verify: core 9 does not exist (2 CPUs online)") to
 * cfg->problems, and the caller prints them (galaxyd --check-config, start-up)
 * and exits 2 when there is any.
 *
 * Sections this file does not know are forwarded to a handler registered with
 * gx_node_cfg_section() (e.g. [dpdk] to gx_dpdk_cfg_set); a section with no
 * handler is a problem.
 * Threads: main thread only, at start-up. Memory: everything is inside the
 * struct (fixed-size strings and arrays). */
#ifndef GALAXYD_CFG_H
#define GALAXYD_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "apps/galaxyd/http.h"
#include "dataplane/gx_dp.h"
#include "ingest/gx_ingest.h"

#define GX_CFG_MAX_PROBLEMS 32
#define GX_CFG_PROBLEM_LEN 200
#define GX_CFG_MAX_SECTIONS 4
#define GX_CFG_STR 256
/* [mempool] unknown_ttl at most (rounds: committed black holes) */
#define GX_CFG_MAX_UNKNOWN_TTL 1000000

typedef int (*gx_cfg_section_fn)(void *ctx, const char *key, const char *value, char *err,
                                 size_t errlen);

typedef struct {
  /* [node] */
  char mode[16];              /* socket | dpdk */
  char role[16];              /* galaxy | star ([chain] node_key must be of that kind) */
  char listen[GX_CFG_STR];    /* UDP address */
  gx_addr_t listen_addr;
  char key_file[GX_CFG_STR];
  /* the passphrase of an encrypted [chain] node_key (gx_genesis_node_key_open);
   * "$CREDENTIALS_DIRECTORY/NAME" is resolved by gx_node_cfg_finish */
  char key_passphrase_file[GX_CFG_STR];
  /* [cores] */
  char rx_cores[GX_CFG_STR], verify_cores[GX_CFG_STR];
  int mempool_core, gossip_core, housekeeping_core;
  /* [ingest] */
  int rcvbuf_bytes;
  unsigned eal_mem_mb;
  int hugepages;              /* -1 auto, 0 no, 1 yes */
  /* [gossip] */
  char peers[1024];
  /* [api] (the public HTTP API) and [admin] (metrics, the API, catch-up sync
   * between validators): listen "" = disabled; limits and the admin token in
   * the gx_http_cfg_t (docs/API.md "Limits"). [metrics] listen is the old
   * name of [admin] listen. */
  char api_listen[GX_CFG_STR], admin_listen[GX_CFG_STR];
  gx_addr_t api_addr, admin_addr;
  gx_http_cfg_t api, admin;
  int api_metrics;                     /* the public listener serves /metrics too */
  char admin_token_file[GX_CFG_STR];   /* read into admin.token by gx_node_cfg_finish */
  int admin_token_metrics;             /* /metrics needs the token too */
  int admin_legacy;                    /* [admin] listen came as [metrics] listen */
  /* [log] */
  char log_level[16];
  char log_file[256];              /* [log] file: "" = stderr only */
  /* the pipeline's settings (cores, sizes, mempool, gossip peers/fanout/seed) */
  gx_ingest_cfg_t ingest;
  int n_rx;
  /* section handlers */
  struct { char name[32]; gx_cfg_section_fn fn; void *ctx; } sections[GX_CFG_MAX_SECTIONS];
  int n_sections;
  /* problems */
  char problems[GX_CFG_MAX_PROBLEMS][GX_CFG_PROBLEM_LEN];
  int n_problems;
  int cores_shared; /* a core runs more than one stage (allowed; warned) */
} gx_node_cfg_t;

void gx_node_cfg_defaults(gx_node_cfg_t *cfg);
void gx_node_cfg_section(gx_node_cfg_t *cfg, const char *name, gx_cfg_section_fn fn, void *ctx);
/* Reads an INI file; problems are recorded (unreadable file, syntax errors
 * with their line, unknown keys, bad values). 0 when the file was read. */
int gx_node_cfg_load(gx_node_cfg_t *cfg, const char *path);
/* One override "section.key=value"; problems recorded as for the file. */
void gx_node_cfg_override(gx_node_cfg_t *cfg, const char *assignment);
/* Resolves addresses and core lists and checks the whole: core lists name
 * online CPUs, ports free (bind probes, unless skip_bind), key file readable,
 * sizes in range. Returns the number of problems. */
int gx_node_cfg_finish(gx_node_cfg_t *cfg, int probe_ports);
/* Prints the resolved config as INI (what --check-config shows). */
void gx_node_cfg_print(const gx_node_cfg_t *cfg, FILE *out);
void gx_node_cfg_problem(gx_node_cfg_t *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
