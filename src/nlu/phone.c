/*
 * phone.c - phone numbers per CONTRACT.md §6: validation and normalisation
 * to E.164.
 *
 * Input: one candidate number as typed ("+971 50 412 7789", "050-412-7789",
 * "(98450) 12345", "۰۵۰۴۱۲۷۷۸۹").  Spaces, dashes, dots and brackets are
 * dropped (also no-break/thin spaces and Unicode dashes); Arabic-Indic and
 * Persian digits count as digits; a leading "00" means "+".  A number
 * without "+" is national: it is read in the tenant's region, dropping the
 * trunk prefix (0 in AE/IN/SA/GB/IR, 1 in US, 8 in RU), or accepted as
 * international when it already starts with the region's country code.
 *
 * Valid: "+" and 10-15 digits, the national significant number (NSN) of the
 * right length for the regions we know (AE 8-9, IN 10, SA 9, GB 9-10, US 10,
 * RU 10, IR 10); a stray trunk 0 after the country code ("+971 050 ...") is
 * dropped.  Rejected (static English reason): more than 50 characters of
 * input, letters or other characters, fewer than 3 distinct digits in the
 * NSN, sequential runs (the NSN or the whole number entirely ascending or
 * descending, like 123456789 / 987654321 / 1234567890, or any run of 9 or
 * more), and a subscriber part (the last 7 digits) of one repeated digit
 * ("+971 50 111 1111").  "+971 50 123 4567" stays valid: only runs of the
 * whole NSN are fakes by construction.
 *
 * Not for: finding numbers inside a message (entities.c does that).
 */
#include "nlu/nlu.h"

#include <string.h>

#define PHONE_MAX_CHARS 50
#define PHONE_MAX_DIGITS 20

typedef struct region_rule {
    const char *region;   /* ISO 3166 alpha-2 */
    const char *cc;       /* country calling code */
    char trunk;           /* national trunk prefix digit */
    int nsn_min, nsn_max;
} region_rule;

static const region_rule regions[] = {
    {"AE", "971", '0', 8, 9},  {"IN", "91", '0', 10, 10}, {"SA", "966", '0', 9, 9},
    {"GB", "44", '0', 9, 10},  {"US", "1", '1', 10, 10},  {"CA", "1", '1', 10, 10},
    {"RU", "7", '8', 10, 10},  {"IR", "98", '0', 10, 10},
};
#define N_REGIONS ((int)(sizeof regions / sizeof regions[0]))

static const region_rule *region_find(const char *r)
{
    if (r == NULL)
        return NULL;
    for (int i = 0; i < N_REGIONS; i++)
        if ((r[0] | 0x20) == (regions[i].region[0] | 0x20)
            && (r[1] | 0x20) == (regions[i].region[1] | 0x20) && r[1] && r[2] == '\0')
            return &regions[i];
    return NULL;
}

/* The known rule whose country code starts digits d (n digits), or NULL. */
static const region_rule *cc_find(const char *d, int n)
{
    for (int i = 0; i < N_REGIONS; i++) {
        int l = (int)strlen(regions[i].cc);
        if (l < n && memcmp(d, regions[i].cc, (size_t)l) == 0)
            return &regions[i];
    }
    return NULL;
}

/* 1: entirely ascending, -1: entirely descending (9->0 and 0->9 continue a
 * run, as in 1234567890), 0: neither. */
static int whole_run(const char *d, int n)
{
    if (n < 6)
        return 0;
    bool up = true, down = true;
    for (int i = 1; i < n; i++) {
        int a = d[i - 1] - '0', b = d[i] - '0';
        if (b != (a + 1) % 10)
            up = false;
        if (b != (a + 9) % 10)
            down = false;
    }
    return up ? 1 : down ? -1 : 0;
}

static int longest_run(const char *d, int n)
{
    int best = n ? 1 : 0, up = 1, down = 1;
    for (int i = 1; i < n; i++) {
        int a = d[i - 1] - '0', b = d[i] - '0';
        up = b == a + 1 ? up + 1 : 1;
        down = b == a - 1 ? down + 1 : 1;
        if (up > best)
            best = up;
        if (down > best)
            best = down;
    }
    return best;
}

/* Reads one code point; returns its byte length (0: invalid UTF-8). */
static size_t dec(const unsigned char *p, size_t n, unsigned *cp)
{
    unsigned b = p[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2
                  : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
    if (need == 0 || n < need + 1)
        return 0;
    unsigned c = b & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
    for (size_t i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    *cp = c;
    return need + 1;
}

static bool is_sep(unsigned c)
{
    return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')' || c == 0xA0
           || c == 0x202F || (c >= 0x2000 && c <= 0x200B) || (c >= 0x2010 && c <= 0x2015)
           || c == 0x2212 || c == 0x200E || c == 0x200F || c == 0x00AD;
}

static bool is_letter(unsigned c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= 0xC0 && c <= 0x24F && c != 0xD7
                                                        && c != 0xF7)
           || (c >= 0x370 && c <= 0x52F) || (c >= 0x590 && c <= 0x65F) || (c >= 0x66E && c <= 0x6EF)
           || (c >= 0x6FA && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F) || (c >= 0xFB50 && c <= 0xFDFF)
           || (c >= 0xFE70 && c <= 0xFEFF);
}

/* See nlu.h.  text/len: the candidate (any bytes).  e164: out, >= 20 bytes.
 * *reason: static string on failure, NULL on success. */
int nlu_phone_parse(const char *text, size_t len, const char *region, char e164[20],
                    const char **reason)
{
    int rc = -PT_ERR_UNPROCESSABLE;
    const char *why = NULL;
    char d[PHONE_MAX_DIGITS + 1];
    int nd = 0, chars = 0;
    bool plus = false, seen_digit = false;
    const unsigned char *p = (const unsigned char *)text;

    e164[0] = '\0';
    if (text == NULL)
        len = 0;
    for (size_t i = 0; i < len; i++)
        if ((p[i] & 0xC0) != 0x80 && ++chars > PHONE_MAX_CHARS) {
            why = "too long";
            goto done;
        }
    for (size_t i = 0; i < len;) {
        unsigned c;
        size_t k = dec(p + i, len - i, &c);
        if (k == 0) {
            why = "invalid character";
            goto done;
        }
        i += k;
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = (int)(c - '0');
        else if (c >= 0x0660 && c <= 0x0669)
            digit = (int)(c - 0x0660);
        else if (c >= 0x06F0 && c <= 0x06F9)
            digit = (int)(c - 0x06F0);
        if (digit >= 0) {
            if (nd >= PHONE_MAX_DIGITS) {
                why = "too many digits";
                goto done;
            }
            d[nd++] = (char)('0' + digit);
            seen_digit = true;
        } else if (c == '+' || c == 0xFF0B) {
            if (plus || seen_digit) {
                why = "misplaced plus sign";
                goto done;
            }
            plus = true;
        } else if (is_sep(c)) {
            continue;
        } else if (is_letter(c)) {
            why = "contains letters";
            goto done;
        } else {
            why = "invalid character";
            goto done;
        }
    }
    d[nd] = '\0';
    if (nd == 0) {
        why = "no digits";
        goto done;
    }
    const char *digits = d;
    if (!plus && nd >= 2 && d[0] == '0' && d[1] == '0') {
        plus = true;
        digits += 2;
        nd -= 2;
    }

    char cc[4] = "";
    char nsn[PHONE_MAX_DIGITS + 1];
    int nn = 0;
    const region_rule *rule = NULL;
    if (plus) {
        if (nd < 10) {
            why = "too few digits";
            goto done;
        }
        if (nd > 15) {
            why = "too many digits";
            goto done;
        }
        rule = cc_find(digits, nd);
        int ccl = rule ? (int)strlen(rule->cc) : (digits[0] == '1' || digits[0] == '7') ? 1 : 2;
        memcpy(cc, digits, (size_t)ccl);
        cc[ccl] = '\0';
        nn = nd - ccl;
        memcpy(nsn, digits + ccl, (size_t)nn);
        if (rule && nn > rule->nsn_max && nsn[0] == rule->trunk && rule->trunk == '0') {
            memmove(nsn, nsn + 1, (size_t)--nn);   /* "+971 050 ..." */
        }
        if (rule && (nn < rule->nsn_min || nn > rule->nsn_max)) {
            why = "wrong length for the country";
            goto done;
        }
    } else {
        rule = region_find(region);
        if (rule == NULL) {
            why = region && region[0] ? "unknown region for a national number"
                                      : "no country code";
            goto done;
        }
        int ccl = (int)strlen(rule->cc);
        if (nd >= 1 + rule->nsn_min && nd <= 1 + rule->nsn_max && digits[0] == rule->trunk) {
            nn = nd - 1;
            memcpy(nsn, digits + 1, (size_t)nn);
        } else if (nd >= rule->nsn_min && nd <= rule->nsn_max && digits[0] != rule->trunk) {
            nn = nd;
            memcpy(nsn, digits, (size_t)nn);
        } else if (nd >= ccl + rule->nsn_min && nd <= ccl + rule->nsn_max
                   && memcmp(digits, rule->cc, (size_t)ccl) == 0) {
            nn = nd - ccl;
            memcpy(nsn, digits + ccl, (size_t)nn);
        } else {
            why = nd < rule->nsn_min ? "too few digits" : "wrong length for the region";
            goto done;
        }
        memcpy(cc, rule->cc, (size_t)ccl + 1);
        if ((int)strlen(cc) + nn < 10 || (int)strlen(cc) + nn > 15) {
            why = "wrong length for the region";
            goto done;
        }
    }
    nsn[nn] = '\0';

    /* plausibility */
    char whole[PHONE_MAX_DIGITS + 4];
    int ncc = (int)strlen(cc), nw = ncc + nn;
    memcpy(whole, cc, (size_t)ncc);
    memcpy(whole + ncc, nsn, (size_t)nn + 1);
    unsigned seen = 0;
    for (int i = 0; i < nn; i++)
        seen |= 1u << (nsn[i] - '0');
    if (__builtin_popcount(seen) < 3) {
        why = "too few distinct digits";
        goto done;
    }
    if (whole_run(nsn, nn) || whole_run(whole, nw) || longest_run(whole, nw) >= 9) {
        why = "sequential digits";
        goto done;
    }
    if (nn >= 7) {
        const char *sub = nsn + nn - 7;
        bool same = true;
        for (int i = 1; i < 7; i++)
            if (sub[i] != sub[0])
                same = false;
        if (same) {
            why = "repeated digits";
            goto done;
        }
    }
    if (nw < 10 || nw > 15) {
        why = nw < 10 ? "too few digits" : "too many digits";
        goto done;
    }
    e164[0] = '+';
    memcpy(e164 + 1, whole, (size_t)nw + 1);
    rc = 0;
done:
    if (reason)
        *reason = why;
    return rc;
}
