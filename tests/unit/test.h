/*
 * test.h - the unit test harness: CHECK prints what it checks, counts, and
 * TEST_MAIN closes with "N passed, N failed".  A test file may #include the
 * .c under test to reach its statics.
 */
#ifndef PT_TEST_H
#define PT_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond, ...) do {                                              \
        if (cond) { test_passed++; }                                       \
        else {                                                             \
            test_failed++;                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

#define CHECK_STR(got, want) do {                                          \
        const char *g_ = (got), *w_ = (want);                              \
        CHECK(g_ && w_ && strcmp(g_, w_) == 0, "got \"%s\", want \"%s\"",  \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                     \
    } while (0)

#define CHECK_INT(got, want) do {                                          \
        long long g_ = (long long)(got), w_ = (long long)(want);           \
        CHECK(g_ == w_, "got %lld, want %lld", g_, w_);                    \
    } while (0)

#define TEST(name) static void name(void)
#define RUN(name) do { printf("  %s\n", #name); name(); } while (0)

#define TEST_MAIN(...)                                                     \
    int main(void) {                                                       \
        printf("%s\n", __FILE__);                                          \
        __VA_ARGS__                                                        \
        printf("%d passed, %d failed\n", test_passed, test_failed);        \
        return test_failed ? 1 : 0;                                        \
    }

#endif
