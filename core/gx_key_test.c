/* Key files (mode, no overwrite, every malformed form) and addresses. */
#include "core/gx_test_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/gx_util.h"

static char gx_tmp[256];

static int gx_setup(void **st) {
  (void)st;
  if (sodium_init() < 0) return -1;
  snprintf(gx_tmp, sizeof gx_tmp, "/tmp/gx-key-test.XXXXXX");
  return mkdtemp(gx_tmp) ? 0 : -1;
}

static int gx_teardown(void **st) {
  (void)st;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", gx_tmp);
  return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_key_save_load(void **st) {
  (void)st;
  char path[300];
  snprintf(path, sizeof path, "%s/k1", gx_tmp);
  gx_keypair_t kp, back;
  gx_key_generate(&kp);
  assert_int_equal(gx_key_save(path, &kp), GX_KEY_OK);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0600);
  assert_int_equal(gx_key_load(path, &back), GX_KEY_OK);
  assert_memory_equal(&kp, &back, sizeof kp);
  gx_keypair_t other;
  gx_key_generate(&other);
  assert_int_equal(gx_key_save(path, &other), GX_KEY_ERR_EXISTS);
  assert_int_equal(gx_key_load(path, &back), GX_KEY_OK);
  assert_memory_equal(&kp.pk, &back.pk, sizeof kp.pk); /* not overwritten */
}

static void test_key_bad_files(void **st) {
  (void)st;
  char path[300];
  gx_keypair_t kp;
  snprintf(path, sizeof path, "%s/missing", gx_tmp);
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_IO);
  assert_int_equal(errno, ENOENT);
  snprintf(path, sizeof path, "%s/garbage", gx_tmp);
  write_file(path, "hello world\n");
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_FORMAT);
  write_file(path, "galaxy-key v1\npublic 12zz\nsecret 00\n");
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_HEX);
  write_file(path, "galaxy-key v1\npublic "
                   "zz00000000000000000000000000000000000000000000000000000000000000\nsecret "
                   "0000000000000000000000000000000000000000000000000000000000000000\n");
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_HEX);
  write_file(path, "galaxy-key v1\npublic "
                   "0000000000000000000000000000000000000000000000000000000000000000\nsecret "
                   "0000000000000000000000000000000000000000000000000000000000000000\n");
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_MISMATCH);
  write_file(path, "galaxy-key v1\n");
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_FORMAT);
  /* far too large to be a key file */
  FILE *f = fopen(path, "w");
  for (int i = 0; i < 1000; i++) fputs("galaxy-key v1\n", f);
  fclose(f);
  assert_int_equal(gx_key_load(path, &kp), GX_KEY_ERR_FORMAT);
}

static void test_address(void **st) {
  (void)st;
  gx_keypair_t kp;
  gx_key_derive(&kp, "test", 0, 1);
  char addr[GX_ADDR_LEN + 1];
  gx_pubkey_t pk;
  gx_addr_encode(addr, &kp.pk);
  assert_int_equal(strlen(addr), GX_ADDR_LEN);
  assert_int_equal(gx_addr_decode(&pk, addr), GX_ADDR_OK);
  assert_memory_equal(pk.b, kp.pk.b, 32);
  char bad[GX_ADDR_LEN + 2];
  memcpy(bad, addr, sizeof addr);
  bad[0] = 'G';
  assert_int_equal(gx_addr_decode(&pk, bad), GX_ADDR_ERR_PREFIX);
  memcpy(bad, addr, sizeof addr);
  bad[GX_ADDR_LEN - 1] = 0;
  assert_int_equal(gx_addr_decode(&pk, bad), GX_ADDR_ERR_LENGTH);
  memcpy(bad, addr, sizeof addr);
  bad[10] = 'q';
  assert_int_equal(gx_addr_decode(&pk, bad), GX_ADDR_ERR_HEX);
  memcpy(bad, addr, sizeof addr);
  bad[10] = bad[10] == '0' ? '1' : '0'; /* a typo in the key part */
  assert_int_equal(gx_addr_decode(&pk, bad), GX_ADDR_ERR_CHECKSUM);
  /* upper case accepted */
  for (char *p = bad + 2; *p; p++) *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
  memcpy(bad, addr, sizeof addr);
  for (char *p = bad + 2; *p; p++) *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
  assert_int_equal(gx_addr_decode(&pk, bad), GX_ADDR_OK);
}

static void test_derive_deterministic(void **st) {
  (void)st;
  gx_keypair_t a, b, c;
  gx_key_derive(&a, "star-load", 1, 5);
  gx_key_derive(&b, "star-load", 1, 5);
  gx_key_derive(&c, "star-load", 2, 5);
  assert_memory_equal(&a, &b, sizeof a);
  assert_memory_not_equal(a.pk.b, c.pk.b, 32);
}

static void test_hex_and_u64(void **st) {
  (void)st;
  uint8_t out[4];
  assert_int_equal(gx_hex_decode(out, 4, "0a0B0c0D\n"), 0);
  assert_int_equal(out[1], 0x0b);
  assert_int_equal(gx_hex_decode(out, 4, "0a0b0c"), -1);
  assert_int_equal(gx_hex_decode(out, 4, "0a0b0c0d0e"), -1);
  assert_int_equal(gx_hex_decode(out, 4, "0a0b0c0g"), -1);
  assert_int_equal(gx_hex_decode(out, 4, "0a0b0c0d x"), -1);
  uint64_t v;
  assert_int_equal(gx_parse_u64("18446744073709551615", &v), 0);
  assert_true(v == UINT64_MAX);
  assert_int_equal(gx_parse_u64("18446744073709551616", &v), -1);
  assert_int_equal(gx_parse_u64("-1", &v), -1);
  assert_int_equal(gx_parse_u64("", &v), -1);
  assert_int_equal(gx_parse_u64("007", &v), -1);
  assert_int_equal(gx_parse_u64("1e3", &v), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_key_save_load), cmocka_unit_test(test_key_bad_files),
    cmocka_unit_test(test_address),       cmocka_unit_test(test_derive_deterministic),
    cmocka_unit_test(test_hex_and_u64),
  };
  return cmocka_run_group_tests(tests, gx_setup, gx_teardown);
}
