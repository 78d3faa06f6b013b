/* GX_ASSERT: a true assertion does nothing (and evaluates its condition once);
 * a false one, in a forked child, writes one stderr line naming the file, the
 * line, the expression and the message, then dies of SIGABRT. Compiled with
 * NDEBUG to show that it stays on in release builds. */
#ifndef NDEBUG
#define NDEBUG
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/gx_assert.h"

static int evals;
static int count_eval(int v) {
  evals++;
  return v;
}

static void test_true_assertion_is_silent(void **st) {
  (void)st;
  int x = 1;
  evals = 0;
  GX_ASSERT(count_eval(x) == 1, "x is %d", x);
  GX_ASSERT(x > 0, "a literal message");
  assert_int_equal(evals, 1);
}

typedef void (*trip_fn_t)(void);

/* Runs trip() in a child with stderr on a pipe; returns what it wrote and
 * checks that it died of SIGABRT. */
static void run_child(trip_fn_t trip, char *out, size_t cap) {
  int fd[2];
  assert_int_equal(pipe(fd), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    close(fd[0]);
    dup2(fd[1], STDERR_FILENO);
    trip();
    _exit(0); /* not reached when the assertion fires */
  }
  close(fd[1]);
  size_t len = 0;
  for (;;) {
    ssize_t r = read(fd[0], out + len, cap - 1 - len);
    if (r <= 0) break;
    len += (size_t)r;
  }
  out[len] = 0;
  close(fd[0]);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
}

enum { TRIP_LINE = __LINE__ + 3 }; /* the line of the GX_ASSERT below */
static void trip_simple(void) {
  volatile int balance = 7;
  GX_ASSERT(balance == 8, "balance is %d, expected %d", (int)balance, 8);
}

static void test_false_assertion_aborts_with_one_line(void **st) {
  (void)st;
  char out[4096], want[256];
  run_child(trip_simple, out, sizeof out);
  snprintf(want, sizeof want, "gx_assert: %s:%d: balance == 8: balance is 7, expected 8\n", __FILE__,
           (int)TRIP_LINE);
  assert_string_equal(out, want);
  assert_non_null(strstr(out, "gx_assert_test.c"));
}

/* A message with newlines and far past the buffer: still one line, cut. */
static void trip_long(void) {
  char big[3000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  big[5] = '\n';
  int zero = 0;
  GX_ASSERT(zero, "multi\nline %s", big);
}

static void test_long_message_stays_one_line(void **st) {
  (void)st;
  char out[4096];
  run_child(trip_long, out, sizeof out);
  size_t len = strlen(out);
  assert_true(len > 100 && len <= 1024);
  assert_int_equal(out[len - 1], '\n');
  assert_null(memchr(out, '\n', len - 1));
  assert_non_null(strstr(out, ": zero: multi line xxxxx xxx"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_true_assertion_is_silent),
    cmocka_unit_test(test_false_assertion_aborts_with_one_line),
    cmocka_unit_test(test_long_message_stays_one_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
