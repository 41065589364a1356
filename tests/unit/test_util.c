/*
 * test_util.c - arena, buf, error table and time zone tests.
 */
#include "test.h"

#include "util/arena.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/tz.h"

#include <stdint.h>

TEST(test_arena)
{
    arena a;
    arena_init(&a, 1 << 20);
    char *s = arena_strdup(&a, "hello");
    CHECK_STR(s, "hello");
    void *p = arena_alloc(&a, 100000);
    CHECK(p != NULL, "big alloc");
    CHECK(((uintptr_t)p & 15) == 0, "aligned");
    CHECK(arena_alloc(&a, 2 << 20) == NULL, "cap enforced");
    char *f = arena_printf(&a, "%d-%s", 42, "x");
    CHECK_STR(f, "42-x");
    for (int i = 0; i < 1000; i++)
        CHECK(arena_alloc(&a, 500) != NULL || a.used_total > (1 << 20) - 600, "many small");
    arena_release(&a);
    CHECK(arena_strdup(&a, NULL) == NULL, "null-safe");
}

TEST(test_buf)
{
    buf b = BUF_INIT(16);
    CHECK_INT(buf_puts(&b, "0123456789"), 0);
    CHECK_INT(buf_puts(&b, "0123456789"), -PT_ERR_TOO_LARGE);
    CHECK_STR(buf_cstr(&b), "0123456789");
    CHECK_INT(buf_printf(&b, "%s", "abc"), 0);
    CHECK_INT((long)b.len, 13);
    buf_free(&b);
    CHECK_STR(buf_cstr(&b), "");
}

TEST(test_errors)
{
    CHECK_STR(pt_err_name(-PT_ERR_NOT_FOUND), "not_found");
    CHECK_INT(pt_err_http_status(-PT_ERR_TOO_LARGE), 413);
    CHECK_INT(pt_err_http_status(-PT_ERR_MISSING), 422);
    pt_error e = {0};
    int rc = pt_fail(&e, PT_ERR_INVALID, "budget \"%s\": unknown unit", "2 croress");
    CHECK_INT(rc, -PT_ERR_INVALID);
    pt_fail(&e, PT_ERR_IO, "second");
    CHECK_STR(e.msg, "budget \"2 croress\": unknown unit");
}

TEST(test_tz)
{
    int off = -1;
    CHECK_INT(tz_offset("Asia/Dubai", 1795000000, &off), 0);
    CHECK_INT(off, 4 * 3600);
    CHECK_INT(tz_offset("Asia/Kolkata", 1795000000, &off), 0);
    CHECK_INT(off, 5 * 3600 + 1800);
    CHECK_INT(tz_offset("UTC", 0, &off), 0);
    CHECK_INT(off, 0);
    CHECK(tz_offset("No/Such_Zone", 0, &off) < 0, "missing zone");
    CHECK(!tz_exists("../../etc/passwd"), "no path traversal");
    /* Europe/London: summer +1, winter 0 */
    CHECK_INT(tz_offset("Europe/London", 1782000000 /* 2026-06 */, &off), 0);
    CHECK_INT(off, 3600);
    struct tm tm = {0};
    tz_localtime("Asia/Kolkata", 0, &tm);
    CHECK_INT(tm.tm_hour, 5);
    CHECK_INT(tm.tm_min, 30);
    CHECK_INT((long)tz_mktime("Asia/Kolkata", &tm), 0);
}

TEST_MAIN(RUN(test_arena); RUN(test_buf); RUN(test_errors); RUN(test_tz);)
