/*
 * entities.c - nlu_extract_entities(): runs the entity parsers over one
 * normalised message and fills the entity fields and `found` bits of an
 * nlu_result (CONTRACT.md §4 "entities").
 *
 * The text is tokenized once.  Order matters: e-mail addresses and phone
 * numbers are found first and their tokens flagged, so the budget, time and
 * bedroom parsers never read a phone number as money or an hour.  Then
 * budget, bedrooms/type/transaction/purpose, localities (wanted or
 * excluded: locality.c) and the date/time.
 *
 * Phone-like spans: runs of digits, '+', spaces, dashes, dots and brackets
 * holding at least 7 digits, not glued to letters, not an ISO or dotted
 * date, and not money (a multiplier or currency right after, a currency or
 * budget keyword right before: "AED 2500000", "budget 2 000 000"; a span
 * that starts with '+', '(' or 0 is never money).  Each
 * span goes through nlu_phone_parse (§6) in the tenant's region; a span of
 * two numbers side by side (each of at least 7 digits) is split.  The first valid number is the phone;
 * when none is valid, phone_rejected says why the first one failed.
 *
 * Not for: intents, language, sentiment (nlu.c, classifier.c, sentiment.c).
 */
#include "nlu/entities_int.h"

#include <string.h>

/* ---- e-mail ------------------------------------------------------------ */

static bool email_local(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '_' || c == '%' || c == '+' || c == '-';
}

static bool email_domain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '-';
}

size_t nlu_find_email(const char *s, size_t len, size_t *start)
{
    for (size_t k = 0; k < len; k++) {
        const char *at = memchr(s + k, '@', len - k);
        if (at == NULL)
            break;
        k = (size_t)(at - s);
        size_t a = k;
        while (a > 0 && k - a < 64 && email_local((unsigned char)s[a - 1]))
            a--;
        while (a < k && (s[a] == '.' || s[a] == '-'))
            a++;
        size_t b = k + 1;
        while (b < len && b - k < 255 && email_domain((unsigned char)s[b]))
            b++;
        while (b > k + 1 && (s[b - 1] == '.' || s[b - 1] == '-'))
            b--;
        if (a == k || b <= k + 1)
            continue;
        /* the domain needs a dot and a final label of 2+ letters */
        size_t dot = 0;
        for (size_t x = k + 1; x < b; x++)
            if (s[x] == '.')
                dot = x;
        if (dot == 0 || dot == k + 1 || b - dot - 1 < 2)
            continue;
        bool letters = true;
        for (size_t x = dot + 1; x < b; x++)
            if (!((s[x] | 0x20) >= 'a' && (s[x] | 0x20) <= 'z'))
                letters = false;
        if (!letters || s[k + 1] == '.' || s[k - 1] == '.')
            continue;
        *start = a;
        return b - a;
    }
    return 0;
}

/* ---- phones -------------------------------------------------------------- */

static bool phone_sep(const nlu_toks *tk, int i)
{
    return nlu_tok_punct(tk, i, '-') || nlu_tok_punct(tk, i, '.') || nlu_tok_punct(tk, i, '(')
           || nlu_tok_punct(tk, i, ')');
}

static bool date_shape(const nlu_toks *tk, int s, int e)
{
    /* 2026-11-21, 21.11.2026, 21-11-2026 */
    if (e - s != 5 || tk->t[s].kind != TK_NUM || tk->t[s + 2].kind != TK_NUM
        || tk->t[s + 4].kind != TK_NUM)
        return false;
    int a = tk->t[s].len, b = tk->t[s + 2].len, c = tk->t[s + 4].len;
    return (a == 4 && b <= 2 && c <= 2) || (a <= 2 && b <= 2 && c == 4);
}

static int count_digits(const nlu_toks *tk, int s, int e)
{
    int d = 0;
    for (int k = s; k < e; k++)
        if (tk->t[k].kind == TK_NUM)
            d += tk->t[k].len;
    return d;
}

static int parse_span(const nlu_context *ctx, const nlu_toks *tk, int s, int e, char e164[20],
                      const char **why)
{
    size_t a = tk->t[s].off, b = tk->t[e - 1].off + tk->t[e - 1].len;
    return nlu_phone_parse(tk->s + a, b - a, ctx ? ctx->region : NULL, e164, why);
}

static void scan_phones(const nlu_context *ctx, nlu_toks *tk, nlu_result *out)
{
    const char *first_reason = NULL;
    bool have = false;
    for (int i = 0; i < tk->n;) {
        int s = i;
        if ((nlu_tok_punct(tk, i, '+') || nlu_tok_punct(tk, i, '(')) && i + 1 < tk->n
            && tk->t[i + 1].kind == TK_NUM && nlu_tok_attached(tk, i + 1)) {
            s = i;
        } else if (tk->t[i].kind != TK_NUM || (tk->t[i].flags & TF_EMAIL)) {
            i++;
            continue;
        }
        int j = s, last = -1;
        while (j < tk->n && !(tk->t[j].flags & TF_EMAIL)) {
            if (tk->t[j].kind == TK_NUM)
                last = j;
            else if (!(phone_sep(tk, j) || (j == s && nlu_tok_punct(tk, j, '+'))))
                break;
            j++;
        }
        if (last < 0) {
            i = j > i ? j : i + 1;
            continue;
        }
        int e = last + 1;
        if (e < tk->n && nlu_tok_punct(tk, e, ')'))
            e++;
        int digits = count_digits(tk, s, e);
        bool glued = (s > 0 && nlu_tok_attached(tk, s) && tk->t[s - 1].kind == TK_WORD)
                     || (e < tk->n && nlu_tok_attached(tk, e) && tk->t[e].kind == TK_WORD);
        /* "+..." and "0..." are never amounts; other digits may be */
        bool phone_start = nlu_tok_punct(tk, s, '+') || nlu_tok_punct(tk, s, '(')
                           || tk->s[tk->t[s].off] == '0';
        if (digits < 7 || glued || date_shape(tk, s, e)
            || (!phone_start && nlu_budget_money_context(tk, s, e))) {
            i = e;
            continue;
        }
        for (int k = s; k < e; k++)
            tk->t[k].flags |= TF_PHONE;
        /* longest valid prefix first, then what remains */
        int cur = s;
        while (cur < e) {
            while (cur < e && tk->t[cur].kind != TK_NUM && !nlu_tok_punct(tk, cur, '+')
                   && !nlu_tok_punct(tk, cur, '('))
                cur++;
            if (cur >= e)
                break;
            int ok_end = -1;
            char num[20];
            const char *why = NULL;
            for (int q = e; q > cur; q--) {
                if (tk->t[q - 1].kind != TK_NUM && !nlu_tok_punct(tk, q - 1, ')'))
                    continue;
                if (q < e && !(tk->t[q].flags & TF_SPACE) && tk->t[q].kind == TK_NUM)
                    continue;   /* split only where a space was */
                if (count_digits(tk, cur, q) < 7)
                    break;
                /* a split leaves a second number, not a few stray digits:
                 * "8 916 123 45 67" is one number (refused in AE), not
                 * +971 891612345 with "67" dropped */
                if (q < e && count_digits(tk, q, e) < 7)
                    continue;
                const char *w = NULL;
                if (parse_span(ctx, tk, cur, q, num, &w) == 0) {
                    ok_end = q;
                    break;
                }
                if (q == e)
                    why = w;
            }
            if (ok_end < 0) {
                if (!first_reason)
                    first_reason = why ? why : "invalid number";
                break;
            }
            if (!have) {
                memcpy(out->phone, num, sizeof out->phone);
                have = true;
            }
            cur = ok_end;
        }
        i = e;
    }
    if (have) {
        out->found |= NLU_PHONE;
        out->phone_rejected = NULL;
    } else {
        out->phone_rejected = first_reason;
    }
}

/* ---- nlu_extract_entities -------------------------------------------------- */

/* See nlu_int.h.  ctx may be NULL.  Strings put in *out live in arena a, in
 * the gazetteer or in static data.  Errors: PT_ERR_NOMEM. */
int nlu_extract_entities(const nlu_context *ctx, const char *norm, size_t len, arena *a,
                         nlu_result *out)
{
    nlu_toks toks;   /* ~12 KiB on the stack: no allocation per message */
    if (norm == NULL)
        len = 0;
    nlu_tokenize(&toks, norm, len);
    return nlu_extract_entities_toks(ctx, &toks, a, out);
}

/* See entities_int.h. */
int nlu_extract_entities_toks(const nlu_context *ctx, nlu_toks *tk, arena *a, nlu_result *out)
{
    int rc = 0;
    const char *norm = tk->s;
    size_t len = tk->len;
    out->found &= ~(unsigned)(NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_TX | NLU_PURPOSE
                              | NLU_LOCATIONS | NLU_EXCLUDED_LOCATIONS | NLU_PHONE | NLU_EMAIL
                              | NLU_WHEN);
    out->has_budget_min = out->has_budget_max = false;
    out->budget_min = out->budget_max = 0;
    out->currency[0] = '\0';
    out->budget_period = PERIOD_NONE;
    out->bedrooms = -1;
    out->type = PTYPE_NONE;
    out->tx = TX_NONE;
    out->purpose = PURPOSE_NONE;
    out->n_locations = 0;
    out->n_excluded_locations = 0;
    out->phone[0] = '\0';
    out->phone_rejected = NULL;
    out->email = NULL;
    out->when[0] = '\0';
    out->when_has_time = false;
    out->when_has_day = false;

    /* e-mail */
    size_t es = 0, el = nlu_find_email(norm ? norm : "", len, &es);
    if (el > 0) {
        out->email = arena_strndup(a, norm + es, el);
        if (out->email == NULL) {
            rc = -PT_ERR_NOMEM;
            goto done;
        }
        out->found |= NLU_EMAIL;
        for (int k = 0; k < tk->n; k++)
            if (tk->t[k].off < es + el && tk->t[k].off + tk->t[k].len > es)
                tk->t[k].flags |= TF_EMAIL;
    }

    scan_phones(ctx, tk, out);

    nlu_budget b;
    if (nlu_budget_scan(tk, ctx ? ctx->currency : NULL, ctx ? ctx->gazetteer : NULL, &b)) {
        out->found |= NLU_BUDGET;
        out->has_budget_min = b.has_min;
        out->has_budget_max = b.has_max;
        out->budget_min = b.min;
        out->budget_max = b.max;
        memcpy(out->currency, b.currency, sizeof out->currency);
        out->budget_period = b.period;
    }

    nlu_attrs at;
    nlu_attrs_scan(tk, &at);
    if (at.bedrooms >= 0) {
        out->bedrooms = at.bedrooms;
        out->found |= NLU_BEDROOMS;
    }
    if (at.type != PTYPE_NONE) {
        out->type = at.type;
        out->found |= NLU_PTYPE;
    }
    if (at.tx != TX_NONE) {
        out->tx = at.tx;
        out->found |= NLU_TX;
    }
    if (at.purpose != PURPOSE_NONE) {
        out->purpose = at.purpose;
        out->found |= NLU_PURPOSE;
    }

    if (ctx && ctx->gazetteer) {
        nlu_gazetteer_scan_sides(ctx->gazetteer, tk, out->locations, &out->n_locations,
                                 out->excluded_locations, &out->n_excluded_locations,
                                 NLU_MAX_LOCATIONS);
        if (out->n_locations > 0)
            out->found |= NLU_LOCATIONS;
        if (out->n_excluded_locations > 0)
            out->found |= NLU_EXCLUDED_LOCATIONS;
    }

    if (nlu_when_scan(tk, ctx ? ctx->now : 0, ctx ? ctx->timezone : NULL, out->when,
                      &out->when_has_time, &out->when_has_day))
        out->found |= NLU_WHEN;
done:
    return rc;
}
