/*
 * money.c - see money.h.
 */
#include "core/money.h"

#include <stdio.h>
#include <string.h>

/* Decimal digits of v (>= 0 or not) into the end of tmp[24]; returns the
 * first.  Money is formatted on every turn, so without printf. */
static const char *lld_text(char tmp[24], long long v)
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

/* Appends s[0..n) to out (size bytes, *len used) as snprintf would write
 * it: cut at size - 1, always NUL-terminated.  Lengths are known: no
 * strlen. */
static void app(char *out, size_t size, size_t *len, const char *s, size_t n)
{
    if (size == 0)
        return;
    if (n > size - 1 - *len)
        n = size - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

#define APP_LIT(lit) app(out, size, &len, lit, sizeof lit - 1)

/* v with thousands separators into out[48]; returns the length. */
static size_t group_thousands(char out[48], money v)
{
    char tmp[24];
    const char *digits = lld_text(tmp, (long long)(v < 0 ? -v : v));
    size_t n = (size_t)(tmp + 23 - digits), o = 0;
    if (v < 0)
        out[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        out[o++] = digits[i];
        size_t left = n - i - 1;
        if (left > 0 && left % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    return o;
}

/* "1.85" from 185 hundredths, trailing zeros dropped ("2", "1.5"); h >= 0.
 * Into out[32]; returns the length. */
static size_t hundredths(char out[32], long long h)
{
    char tmp[24];
    const char *d = lld_text(tmp, h / 100);
    size_t n = (size_t)(tmp + 23 - d);
    memcpy(out, d, n);
    if (h % 100 != 0) {
        out[n++] = '.';
        out[n++] = (char)('0' + h % 100 / 10);
        if (h % 10 != 0)
            out[n++] = (char)('0' + h % 10);
    }
    out[n] = '\0';
    return n;
}

char *money_format(char *out, size_t size, money amount, const char *currency, int compact)
{
    char num[48], tmp[24];
    size_t len = 0, n;
    if (size)
        out[0] = '\0';
    if (currency && strcmp(currency, "INR") == 0) {
        if (amount >= 10000000 && amount % 100000 == 0) {
            n = hundredths(num, (long long)(amount / 100000));
            APP_LIT("₹");
            app(out, size, &len, num, n);
            APP_LIT(" Cr");
        } else if (amount >= 100000 && amount % 1000 == 0) {
            n = hundredths(num, (long long)(amount / 1000));
            APP_LIT("₹");
            app(out, size, &len, num, n);
            APP_LIT(" L");
        } else {
            n = group_thousands(num, amount);
            APP_LIT("₹");
            app(out, size, &len, num, n);
        }
        return out;
    }
    const char *cur = currency && *currency ? currency : "";
    app(out, size, &len, cur, strlen(cur));
    APP_LIT(" ");
    if (compact && amount >= 1000000 && amount % 10000 == 0) {
        n = hundredths(num, (long long)(amount / 10000));
        app(out, size, &len, num, n);
        APP_LIT("M");
    } else if (compact && amount >= 1000 && amount < 1000000 && amount % 1000 == 0) {
        const char *d = lld_text(tmp, (long long)(amount / 1000));
        app(out, size, &len, d, (size_t)(tmp + 23 - d));
        APP_LIT("K");
    } else {
        n = group_thousands(num, amount);
        app(out, size, &len, num, n);
    }
    return out;
}
