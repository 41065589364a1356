/*
 * money.c - see money.h.
 */
#include "core/money.h"

#include <stdio.h>
#include <string.h>

static void group_thousands(char *out, size_t size, money v)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
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

/* "1.85" from 185 hundredths, trailing zeros dropped ("2", "1.5"). */
static void hundredths(char *out, size_t size, long long h)
{
    if (h % 100 == 0)
        snprintf(out, size, "%lld", h / 100);
    else if (h % 10 == 0)
        snprintf(out, size, "%lld.%lld", h / 100, (h % 100) / 10);
    else
        snprintf(out, size, "%lld.%02lld", h / 100, h % 100);
}

char *money_format(char *out, size_t size, money amount, const char *currency, int compact)
{
    char num[48];
    if (currency && strcmp(currency, "INR") == 0) {
        if (amount >= 10000000 && amount % 100000 == 0) {
            hundredths(num, sizeof num, (long long)(amount / 100000));
            snprintf(out, size, "₹%s Cr", num);
        } else if (amount >= 100000 && amount % 1000 == 0) {
            hundredths(num, sizeof num, (long long)(amount / 1000));
            snprintf(out, size, "₹%s L", num);
        } else {
            group_thousands(num, sizeof num, amount);
            snprintf(out, size, "₹%s", num);
        }
        return out;
    }
    const char *cur = currency && *currency ? currency : "";
    if (compact && amount >= 1000000 && amount % 10000 == 0) {
        hundredths(num, sizeof num, (long long)(amount / 10000));
        snprintf(out, size, "%s %sM", cur, num);
    } else if (compact && amount >= 1000 && amount < 1000000 && amount % 1000 == 0) {
        snprintf(out, size, "%s %lldK", cur, (long long)(amount / 1000));
    } else {
        group_thousands(num, sizeof num, amount);
        snprintf(out, size, "%s %s", cur, num);
    }
    return out;
}
