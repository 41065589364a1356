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

/* Appends s to out (size bytes, *len used) as snprintf would write it:
 * cut at size - 1, always NUL-terminated. */
static void app(char *out, size_t size, size_t *len, const char *s)
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

static void group_thousands(char *out, size_t size, money v)
{
    char tmp[24];
    const char *digits = lld_text(tmp, (long long)(v < 0 ? -v : v));
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
static void hundredths(char *out, size_t size, long long h)
{
    char tmp[24], frac[3] = {(char)('0' + h % 100 / 10), (char)('0' + h % 10), '\0'};
    size_t len = 0;
    if (size)
        out[0] = '\0';
    app(out, size, &len, lld_text(tmp, h / 100));
    if (h % 100 == 0)
        return;
    if (h % 10 == 0)
        frac[1] = '\0';
    app(out, size, &len, ".");
    app(out, size, &len, frac);
}

char *money_format(char *out, size_t size, money amount, const char *currency, int compact)
{
    char num[48], tmp[24];
    size_t len = 0;
    if (size)
        out[0] = '\0';
    if (currency && strcmp(currency, "INR") == 0) {
        if (amount >= 10000000 && amount % 100000 == 0) {
            hundredths(num, sizeof num, (long long)(amount / 100000));
            app(out, size, &len, "₹");
            app(out, size, &len, num);
            app(out, size, &len, " Cr");
        } else if (amount >= 100000 && amount % 1000 == 0) {
            hundredths(num, sizeof num, (long long)(amount / 1000));
            app(out, size, &len, "₹");
            app(out, size, &len, num);
            app(out, size, &len, " L");
        } else {
            group_thousands(num, sizeof num, amount);
            app(out, size, &len, "₹");
            app(out, size, &len, num);
        }
        return out;
    }
    const char *cur = currency && *currency ? currency : "";
    app(out, size, &len, cur);
    app(out, size, &len, " ");
    if (compact && amount >= 1000000 && amount % 10000 == 0) {
        hundredths(num, sizeof num, (long long)(amount / 10000));
        app(out, size, &len, num);
        app(out, size, &len, "M");
    } else if (compact && amount >= 1000 && amount < 1000000 && amount % 1000 == 0) {
        app(out, size, &len, lld_text(tmp, (long long)(amount / 1000)));
        app(out, size, &len, "K");
    } else {
        group_thousands(num, sizeof num, amount);
        app(out, size, &len, num);
    }
    return out;
}
