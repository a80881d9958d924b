/* A small assert library for gatehouse's unit tests: CHECK* macros count failures and keep
 * going, so one run reports every broken case; tests_done() prints the tally and gives the
 * process exit code. */
#ifndef GH_TESTLIB_H
#define GH_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

extern int tests_run, tests_failed;

void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                           \
    do {                                                                      \
        tests_run++;                                                          \
        if (!(cond)) test_fail(__FILE__, __LINE__, "CHECK(%s) failed", #cond); \
    } while (0)

#define CHECK_INT(got, want)                                                  \
    do {                                                                      \
        long long g_ = (long long)(got), w_ = (long long)(want);              \
        tests_run++;                                                          \
        if (g_ != w_)                                                         \
            test_fail(__FILE__, __LINE__, "%s: got %lld, want %lld", #got, g_, w_); \
    } while (0)

#define CHECK_STR(got, want)                                                  \
    do {                                                                      \
        const char *g_ = (got), *w_ = (want);                                 \
        tests_run++;                                                          \
        if (!g_ || !w_ || strcmp(g_, w_) != 0)                                \
            test_fail(__FILE__, __LINE__, "%s:\n   got: %s\n  want: %s", #got,  \
                      g_ ? g_ : "(null)", w_ ? w_ : "(null)");                \
    } while (0)

/* Prints "name: N checks, M failed" and returns the exit status for main. */
int tests_done(const char *name);

/* Whole file into a malloc'd NUL-terminated buffer, or NULL. */
char *test_read_file(const char *path, size_t *len);

#endif
