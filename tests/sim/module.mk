# tests/sim: deterministic simulators in one process.
#   gx_sim   N consensus nodes (validator/gx_epoch): agreement, validity, totality
#   gx_hsim  the whole hierarchy: clusters of stars (gx_epoch + gx_cluster) and
#            galaxies (gx_epoch + gx_fold + gx_ledger), docs/CLUSTERS.md "Simulator"
GX_APPS += gx_sim gx_hsim
GX_APP_SRCS_gx_sim := tests/sim/gx_sim.c
GX_APP_LIBS_gx_sim := cli validator consensus storage dataplane core
GX_APP_SRCS_gx_hsim := tests/sim/gx_hsim.c
GX_APP_LIBS_gx_hsim := cli validator consensus storage dataplane core
