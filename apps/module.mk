# apps: galaxyd, star, galaxyctl. Each app's sources are apps/NAME/*.c plus the
# shared CLI helpers; galaxyctl subcommands register themselves (apps/gx_cli.h).
GX_LIB_SRCS += apps/gx_cli.c
GX_APPS += galaxyctl
GX_APP_SRCS_galaxyctl := $(wildcard apps/galaxyctl/*.c)
GX_APPS += star
GX_APP_SRCS_star := $(wildcard apps/star/*.c)
