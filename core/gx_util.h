/* gx_util: little-endian loads/stores, hex, bounded file I/O helpers.
 * Memory: caller-owned buffers only. Threads: any. Errors: -1 (and errno for
 * file helpers), with a reason string where a caller needs one. */
#ifndef GX_UTIL_H
#define GX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void gx_st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void gx_st32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void gx_st64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t gx_ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t gx_ld32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static inline uint64_t gx_ld64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

#define GX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Lower-case hex of n bytes into out (2n+1 bytes with the NUL). */
void gx_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes exactly 2*n hex chars (either case) of the NUL-terminated hex into
 * out[n]; trailing whitespace (newline) is allowed. 0 or -1. */
int gx_hex_decode(uint8_t *out, size_t n, const char *hex);
/* Decodes a hex string of any even length up to max bytes; returns the byte
 * count or -1 (odd length, bad digit, too long). Whitespace ends the string. */
long gx_hex_decode_var(uint8_t *out, size_t max, const char *hex);

/* Reads a whole file of at most max bytes into a caller buffer; returns bytes
 * read, or -1 with errno set (EFBIG when larger than max). */
long gx_file_read(const char *path, void *buf, size_t max);
/* Atomically replaces path with data: write temp file in the same directory,
 * fsync, rename, fsync the directory. mode e.g. 0600. excl: fail with EEXIST
 * if path exists. 0 or -1 with errno. */
int gx_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, int excl);

/* Parses a decimal u64 with no sign, no spaces, no overflow; 0 or -1. */
int gx_parse_u64(const char *s, uint64_t *out);

#endif
