/* gx_assert: always-on invariant checks.
 *
 *   GX_ASSERT(l->touch_n <= l->max_touch, "pending block touched %u accounts, room for %u",
 *             l->touch_n, l->max_touch);
 *
 * Checks an invariant whose breaking means a bug in our own code: a table
 * over-filled, a height skipped, money created. On failure it writes ONE line
 * to stderr, "gx_assert: FILE:LINE: EXPR: MESSAGE" (the message is printf
 * formatted; at least a literal saying what broke in words is required), then
 * calls abort(). It is on in every build: NDEBUG and RELEASE=1 do not turn it
 * off, because a node that crashes on a broken invariant is better than one
 * that keeps going and signs a wrong block.
 *
 * Never use it for input validation: bytes from peers, clients, disk or the
 * configuration are untrusted and get an error return or a counted drop. An
 * assertion states what honest code guarantees whatever the input is.
 *
 * Cost: the condition is evaluated once, predicted true (__builtin_expect);
 * the failure path is a separate noinline cold function, so a passing
 * assertion is one compare and a not-taken branch. Keep conditions O(1) (or
 * O(work already being done)) on hot paths.
 *
 * Memory: nothing is allocated (the line is formatted into a stack buffer and
 * truncated to 1024 bytes; newlines in the message become spaces). Threads: any
 * thread may assert; the line is written with one write(2) so lines from
 * threads failing at once do not interleave. Errors: none returned: a failed
 * assertion does not return. */
#ifndef GX_ASSERT_H
#define GX_ASSERT_H

/* The failure path (called by GX_ASSERT only): writes the line, aborts. */
_Noreturn void gx_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((cold, noinline, format(printf, 4, 5)));

/* GX_ASSERT(cond, fmt, args...): aborts with a one-line report unless cond. */
#define GX_ASSERT(cond, ...)                                                                       \
  do {                                                                                             \
    if (__builtin_expect(!(cond), 0)) gx_assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);      \
  } while (0)

#endif
