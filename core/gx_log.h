/* gx_log: the project's one logger. One line per call on stderr:
 *   2026-11-25T14:03:00.123Z INFO  storage: opened /var/lib/galaxy (buffered writes)
 * Library code returns errors and leaves logging to its caller; apps, the
 * runtime's housekeeping and the start-up paths log.
 * Threads: any thread (each line is one write(2), so lines never interleave).
 * Level: GX_LOG_INFO by default; gx_log_set_level() or GX_LOG=debug|info|warn|error. */
#ifndef GX_LOG_H
#define GX_LOG_H

typedef enum { GX_LOG_DEBUG = 0, GX_LOG_INFO, GX_LOG_WARN, GX_LOG_ERROR } gx_log_level_t;

void gx_log_set_level(gx_log_level_t level);
/* Parses "debug", "info", "warn", "error"; -1 when unknown. */
int gx_log_parse_level(const char *s);
void gx_log(gx_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define GX_DEBUG(mod, ...) gx_log(GX_LOG_DEBUG, mod, __VA_ARGS__)
#define GX_INFO(mod, ...) gx_log(GX_LOG_INFO, mod, __VA_ARGS__)
#define GX_WARN(mod, ...) gx_log(GX_LOG_WARN, mod, __VA_ARGS__)
#define GX_ERROR(mod, ...) gx_log(GX_LOG_ERROR, mod, __VA_ARGS__)

#endif
