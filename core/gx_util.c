#include "core/gx_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void gx_hex_encode(char *out, const uint8_t *in, size_t n) {
  static const char d[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[in[i] >> 4];
    out[2 * i + 1] = d[in[i] & 15];
  }
  out[2 * n] = 0;
}

static int gx_hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int gx_is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

long gx_hex_decode_var(uint8_t *out, size_t max, const char *hex) {
  size_t n = 0;
  while (hex[n] && !gx_is_space(hex[n])) n++;
  for (size_t i = n; hex[i]; i++)
    if (!gx_is_space(hex[i])) return -1;
  if (n & 1 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = gx_hex_digit(hex[2 * i]), lo = gx_hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(n / 2);
}

int gx_hex_decode(uint8_t *out, size_t n, const char *hex) {
  long got = gx_hex_decode_var(out, n, hex);
  return got == (long)n ? 0 : -1;
}

long gx_file_read(const char *path, void *buf, size_t max) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t got = 0;
  for (;;) {
    if (got == max) {
      char extra;
      ssize_t r = read(fd, &extra, 1);
      close(fd);
      if (r > 0) { errno = EFBIG; return -1; }
      return (long)got;
    }
    ssize_t r = read(fd, (char *)buf + got, max - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  close(fd);
  return (long)got;
}

int gx_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode, int excl) {
  char tmp[PATH_MAX], dir[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (excl && access(path, F_OK) == 0) { errno = EEXIST; return -1; }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, (const char *)data + off, len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      goto fail;
    }
    off += (size_t)w;
  }
  if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) goto fail;
  if (close(fd) < 0) { fd = -1; goto fail; }
  fd = -1;
  if (excl) {
    /* link() fails if path appeared meanwhile: never overwrite. */
    if (link(tmp, path) < 0) goto fail;
    unlink(tmp);
  } else if (rename(tmp, path) < 0) {
    goto fail;
  }
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash == dir) slash[1] = 0;
  else if (slash) *slash = 0;
  else snprintf(dir, sizeof dir, ".");
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { fsync(dfd); close(dfd); }
  return 0;
fail:;
  int e = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  errno = e;
  return -1;
}

int gx_parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return -1;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return -1;
    v = v * 10 + d;
  }
  if (s[0] == '0' && s[1]) return -1; /* no leading zeros: one spelling per number */
  *out = v;
  return 0;
}
