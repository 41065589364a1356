/*
 * test_money.c - money_format against the formatter it replaced (kept
 * here as the reference: strlen'd pieces appended one by one), on fixed
 * and random amounts, every currency form, compact or not, and small
 * output sizes (the cut at size - 1).
 */
#include "test.h"

#include "core/money.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reference: money.c before lengths were carried ---- */
static const char *ref_lld_text(char tmp[24], long long v)
{
    char *o = tmp + 23;
    unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
    *o = '\0';
    do {
        *--o = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--o = '-';
    return o;
}

/* Appends s to out (size bytes, *len used) as snprintf would write it:
 * cut at size - 1, always NUL-terminated. */
static void ref_app(char *out, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (size == 0)
        return;
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

static void ref_group_thousands(char *out, size_t size, money v)
{
    char tmp[24];
    const char *digits = ref_lld_text(tmp, (long long)(v < 0 ? -v : v));
    size_t n = strlen(digits), o = 0;
    if (v < 0 && o + 1 < size)
        out[o++] = '-';
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        out[o++] = digits[i];
        size_t left = n - i - 1;
        if (left > 0 && left % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
}

/* "1.85" from 185 hundredths, trailing zeros dropped ("2", "1.5"); h >= 0. */
static void ref_hundredths(char *out, size_t size, long long h)
{
    char tmp[24], frac[3] = {(char)('0' + h % 100 / 10), (char)('0' + h % 10), '\0'};
    size_t len = 0;
    if (size)
        out[0] = '\0';
    ref_app(out, size, &len, ref_lld_text(tmp, h / 100));
    if (h % 100 == 0)
        return;
    if (h % 10 == 0)
        frac[1] = '\0';
    ref_app(out, size, &len, ".");
    ref_app(out, size, &len, frac);
}

static char *ref_money_format(char *out, size_t size, money amount, const char *currency, int compact)
{
    char num[48], tmp[24];
    size_t len = 0;
    if (size)
        out[0] = '\0';
    if (currency && strcmp(currency, "INR") == 0) {
        if (amount >= 10000000 && amount % 100000 == 0) {
            ref_hundredths(num, sizeof num, (long long)(amount / 100000));
            ref_app(out, size, &len, "₹");
            ref_app(out, size, &len, num);
            ref_app(out, size, &len, " Cr");
        } else if (amount >= 100000 && amount % 1000 == 0) {
            ref_hundredths(num, sizeof num, (long long)(amount / 1000));
            ref_app(out, size, &len, "₹");
            ref_app(out, size, &len, num);
            ref_app(out, size, &len, " L");
        } else {
            ref_group_thousands(num, sizeof num, amount);
            ref_app(out, size, &len, "₹");
            ref_app(out, size, &len, num);
        }
        return out;
    }
    const char *cur = currency && *currency ? currency : "";
    ref_app(out, size, &len, cur);
    ref_app(out, size, &len, " ");
    if (compact && amount >= 1000000 && amount % 10000 == 0) {
        ref_hundredths(num, sizeof num, (long long)(amount / 10000));
        ref_app(out, size, &len, num);
        ref_app(out, size, &len, "M");
    } else if (compact && amount >= 1000 && amount < 1000000 && amount % 1000 == 0) {
        ref_app(out, size, &len, ref_lld_text(tmp, (long long)(amount / 1000)));
        ref_app(out, size, &len, "K");
    } else {
        ref_group_thousands(num, sizeof num, amount);
        ref_app(out, size, &len, num);
    }
    return out;
}

/* ---- the checks ---- */

static int check_one(money v, const char *cur, int compact, size_t size)
{
    char got[64], want[64];
    memset(got, 'x', sizeof got);
    memset(want, 'x', sizeof want);
    money_format(got, size, v, cur, compact);
    ref_money_format(want, size, v, cur, compact);
    static int shown;
    if (memcmp(got, want, sizeof got) != 0) {
        if (shown++ < 5)
            CHECK(0, "%lld %s compact %d size %zu: \"%.*s\", want \"%.*s\"", (long long)v,
                  cur ? cur : "(null)", compact, size, (int)size, got, (int)size, want);
        return 1;
    }
    return 0;
}

TEST(test_money_reference)
{
    static const char *const curs[] = {"INR", "AED", "", NULL, "USD"};
    static const money fixed[] = {0, 1, 999, 1000, 1500, 999999, 1000000, 1850000, 2000000,
                                  10000, 100000, 150000, 9500000, 10000000, 18500000, 12345678,
                                  100000000, 123456789012LL, -1, -1000, -1850000, 999999999999999LL};
    int bad = 0;
    for (size_t c = 0; c < sizeof curs / sizeof curs[0]; c++)
        for (int compact = 0; compact < 2; compact++) {
            for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
                for (size_t size = 1; size <= 64; size++)
                    bad += check_one(fixed[i], curs[c], compact, size);
            unsigned seed = 3;
            for (int r = 0; r < 20000; r++) {
                money v = (money)rand_r(&seed) * (money)(1 + rand_r(&seed) % 1000);
                static const money round_to[] = {1, 1000, 10000, 100000, 1};
                v -= v % round_to[rand_r(&seed) % 5];
                if (rand_r(&seed) % 8 == 0)
                    v = -v;
                bad += check_one(v, curs[c], compact, rand_r(&seed) % 4 ? 64 : 1 + rand_r(&seed) % 20);
            }
        }
    CHECK_INT(bad, 0);
}

TEST_MAIN(RUN(test_money_reference);)
