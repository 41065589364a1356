/*
 * copy.h - copy_short: memcpy for the short pieces a hot path writes (JSON
 * keys and values, template pieces): up to 32 bytes by overlapping word
 * moves instead of a call, longer ones by memcpy.  Source and destination
 * must not overlap.  Header-only, so each caller inlines it (jsonw.c, pack.c).
 */
#ifndef PT_UTIL_COPY_H
#define PT_UTIL_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Copies s[0..n) to o (not overlapping). */
static inline void copy_short(char *o, const char *s, size_t n)
{
    uint64_t a, b, c, d;
    if (n >= 8 && n <= 16) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n > 16 && n <= 32) {
        memcpy(&a, s, 8);
        memcpy(&b, s + 8, 8);
        memcpy(&c, s + n - 16, 8);
        memcpy(&d, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + 8, &b, 8);
        memcpy(o + n - 16, &c, 8);
        memcpy(o + n - 8, &d, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(o, &x, 4);
        memcpy(o + n - 4, &y, 4);
    } else if (n > 0 && n < 4) {   /* first, middle, last: every byte of 1 to 3 */
        o[0] = s[0];
        o[n / 2] = s[n / 2];
        o[n - 1] = s[n - 1];
    } else if (n > 32) {
        memcpy(o, s, n);
    }
}

#endif
