#include "dataplane/gx_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int gx_eal_started;
static int gx_eal_huge;

void gx_eal_cfg_defaults(gx_eal_cfg_t *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->hugepages = -1;
  cfg->mem_mb = 256;
}

long gx_eal_free_hugepages(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return 0;
  char line[256];
  long n = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "HugePages_Free: %ld", &n) == 1) break;
  fclose(f);
  return n;
}

int gx_eal_init(const gx_eal_cfg_t *cfg, char *err, size_t errlen) {
  if (gx_eal_started) {
    snprintf(err, errlen, "EAL already initialised in this process");
    return -1;
  }
  enum { MAXARGS = 64 };
  static char store[MAXARGS][256];
  char *argv[MAXARGS + 1];
  int argc = 0;
#define GX_ARG(...)                                                                  \
  do {                                                                               \
    if (argc < MAXARGS) {                                                            \
      snprintf(store[argc], sizeof store[argc], __VA_ARGS__);                        \
      argv[argc] = store[argc];                                                      \
      argc++;                                                                        \
    }                                                                                \
  } while (0)
  GX_ARG("galaxyd");
  if (cfg->lcores && *cfg->lcores) {
    GX_ARG("-l");
    GX_ARG("%s", cfg->lcores);
  } else {
    int cpu = sched_getcpu();
    GX_ARG("-l");
    GX_ARG("%d", cpu < 0 ? 0 : cpu);
  }
  long free_huge = gx_eal_free_hugepages();
  gx_eal_huge = cfg->hugepages == 1 || (cfg->hugepages == -1 && free_huge > 0);
  if (cfg->hugepages == 1 && free_huge <= 0) {
    snprintf(err, errlen, "hugepages required by the config but none are free (see docs/OPERATIONS.md)");
    return -1;
  }
  if (!gx_eal_huge) {
    GX_ARG("--no-huge");
    GX_ARG("-m");
    GX_ARG("%u", cfg->mem_mb ? cfg->mem_mb : 256);
  }
  /* --in-memory needs hugetlbfs; without hugepages, --no-shconf keeps EAL
   * from writing shared config under /var/run (--no-huge implies legacy memory,
   * which EAL refuses to combine with --in-memory). */
  if (gx_eal_huge) GX_ARG("--in-memory");
  else GX_ARG("--no-shconf");
  if (cfg->file_prefix) GX_ARG("--file-prefix=%s", cfg->file_prefix);
  else GX_ARG("--file-prefix=gx%ld", (long)getpid());
  if (cfg->n_pci == 0) GX_ARG("--no-pci");
  for (int i = 0; i < cfg->n_pci && i < GX_EAL_MAX_DEVS; i++) {
    GX_ARG("-a");
    GX_ARG("%s", cfg->pci_allow[i]);
  }
  for (int i = 0; i < cfg->n_vdevs && i < GX_EAL_MAX_DEVS; i++) GX_ARG("--vdev=%s", cfg->vdevs[i]);
  GX_ARG("--log-level=%d", cfg->log_level ? cfg->log_level : 4);
  GX_ARG("--no-telemetry");
#undef GX_ARG
  argv[argc] = NULL;
  if (rte_eal_init(argc, argv) < 0) {
    snprintf(err, errlen, "DPDK EAL init failed: %s", rte_strerror(rte_errno));
    return -1;
  }
  gx_eal_started = 1;
  return 0;
}

int gx_eal_ready(void) { return gx_eal_started; }

int gx_eal_ensure(unsigned mem_mb, char *err, size_t errlen) {
  if (gx_eal_started) return 0;
  gx_eal_cfg_t cfg;
  gx_eal_cfg_defaults(&cfg);
  if (mem_mb) cfg.mem_mb = mem_mb;
  return gx_eal_init(&cfg, err, errlen);
}
int gx_eal_using_hugepages(void) { return gx_eal_huge; }

void gx_eal_cleanup(void) {
  if (gx_eal_started) rte_eal_cleanup();
  gx_eal_started = 0;
}
