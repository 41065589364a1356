/*
 * nlu.c - nlu_analyze(): one buyer message through every step of the nlu
 * (normalise, language, intent, entities, sentiment), and the §4 JSON of
 * the result.
 *
 * The steps live in their own files (see nlu_int.h); this file only glues
 * them and adds a thin rule layer over the classifier where a rule is
 * principled rather than a patch for a sentence:
 *   - a message with digits and no letter at all ("+971 50 412 7789", "2",
 *     "15,00,000") is the buyer giving a value: "inform";
 *   - a message that is a single e-mail address is "inform" too;
 *   - a short message (at most NLU_SHORT_WORDS words) that holds a slot
 *     value (budget, bedrooms, type, locality, phone ...), that is not a
 *     question (no "?" or "؟": "any studios under 500k?" asks for
 *     listings) and that the classifier could not place (confidence below
 *     NLU_RULE_UNSURE) answers a question: "inform".
 *   - between the two slot-filling intents the label convention of
 *     docs/nlu.md decides: a message with property criteria (budget,
 *     bedrooms, type, locality) and a request frame ("need", "show me",
 *     "any ...", "ищу", "عندكم", "دنبال ...") asks for listings:
 *     "property_search"; a short statement of criteria (at most
 *     NLU_CRITERIA_WORDS words) without a frame and without a question
 *     mark gives values: "inform".  These two keep the classifier's
 *     confidence.
 * The first two rules' answers carry the confidence NLU_RULE_CONFIDENCE.  The rules apply
 * only to a model that knows "inform" (a model trained on other data, such
 * as a public benchmark through --intents, keeps its own answers).
 *
 * Input hygiene: at most NLU_INPUT_MAX bytes of a message are analysed (cut
 * at a character boundary); invalid UTF-8 and NUL bytes become U+FFFD, so
 * every string of a result is valid UTF-8 and can go into JSON.
 *
 * Not for: conversation state, replies, or the CLI (which calls these).
 */
#include "nlu/entities_int.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NLU_INPUT_MAX        8192
#define NLU_SHORT_WORDS      4
#define NLU_RULE_UNSURE      0.5
#define NLU_RULE_CONFIDENCE  0.9
#define NLU_CRITERIA_WORDS   6

/* langid.c; the language and whether there was enough text to tell.
 * (Declared here until nlu_int.h carries it.) */

/* ---- UTF-8 hygiene ------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0 when it is invalid or a NUL byte. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3;
    else
        return 0;
    if (n < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xE0 && s[1] < 0xA0)
        return 0;               /* overlong */
    if (c == 0xED && s[1] >= 0xA0)
        return 0;               /* surrogate */
    if (c == 0xF0 && s[1] < 0x90)
        return 0;               /* overlong */
    if (c == 0xF4 && s[1] >= 0x90)
        return 0;               /* past U+10FFFF */
    return need + 1;
}

/* Copies s[0..len) into a NUL-terminated buffer from alloc(ctx, size) with
 * every invalid byte or NUL replaced by U+FFFD.  At most max_in input bytes
 * are read, cut back to a character boundary.  NULL when allocation fails. */
static char *utf8_clean(const char *s, size_t len, size_t max_in, void *(*alloc)(void *, size_t),
                        void *ctx, size_t *out_len)
{
    const unsigned char *in = (const unsigned char *)s;
    if (len > max_in) {
        len = max_in;
        /* in[len] is the first byte left out: never split a character */
        for (int back = 0; back < 3 && len > 0 && (in[len] & 0xC0) == 0x80; back++)
            len--;
    }
    if (len > (SIZE_MAX - 1) / 3)
        return NULL;
    char *out = alloc(ctx, len * 3 + 1);
    size_t o = 0, i = 0;
    if (out == NULL)
        return NULL;
    while (i < len) {
        if (in[i] > 0 && in[i] < 0x80) {   /* ASCII, the common case */
            out[o++] = (char)in[i++];
            continue;
        }
        size_t k = utf8_valid_len(in + i, len - i);
        if (k == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, in + i, k);
            o += k;
            i += k;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}

static void *arena_alloc_cb(void *ctx, size_t n)
{
    return arena_alloc(ctx, n);
}


/* ---- the rule layer -------------------------------------------------------- */

/* Counts the letters, digits and words of normalised text, and tells
 * whether it is one e-mail-like token. */
static void text_shape(const char *s, size_t len, int *letters, int *digits, int *words,
                       bool *one_email, bool *question)
{
    const unsigned char *u = (const unsigned char *)s;
    int at = 0, dot_after_at = 0, spaces = 0, in_word = 0;
    size_t i = 0;
    *letters = *digits = *words = 0;
    *question = false;
    while (i < len) {
        int32_t cp;
        if (u[i] < 0x80) {   /* ASCII without a table lookup */
            cp = u[i++];
            if (cp >= '0' && cp <= '9')
                (*digits)++;
            else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'))
                (*letters)++;
        } else {
            utf8proc_ssize_t k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
            if (k <= 0) {
                i++;
                continue;
            }
            i += (size_t)k;
            utf8proc_category_t cat = utf8proc_category(cp);
            if (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)
                (*digits)++;
            else if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
                (*letters)++;
        }
        if (cp == '?' || cp == 0x061F)
            *question = true;
        if (cp == '@')
            at++;
        else if (cp == '.' && at)
            dot_after_at = 1;
        if (cp == ' ') {
            spaces++;
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            (*words)++;
        }
    }
    *one_email = at == 1 && dot_after_at && spaces == 0;
}

/* Request frames: the words that turn criteria into a request for
 * listings ("need a 2 bed", "any villas in JVC?", "ищу квартиру",
 * "دنبال آپارتمان هستم", "عندكم فلل؟").  Normalised spellings. */
static const lex_item frame_items[] = {
    {"looking for", 1, 0}, {"looking", 1, 0}, {"look for", 1, 0}, {"searching", 1, 0},
    {"search for", 1, 0}, {"show me", 1, 0}, {"show", 1, 0}, {"find me", 1, 0}, {"find", 1, 0},
    {"need", 1, 0}, {"want", 1, 0}, {"any", 1, 0}, {"anything", 1, 0},
    {"something", 1, 0}, {"do you have", 1, 0}, {"have you got", 1, 0}, {"got any", 1, 0},
    {"what do you have", 1, 0}, {"what else", 1, 0}, {"options", 1, 0}, {"suggest", 1, 0},
    {"recommend", 1, 0}, {"available", 1, 0}, {"list", 1, 0}, {"listings", 1, 0},
    {"in the market for", 1, 0}, {"cheaper", 1, 0}, {"bigger", 1, 0}, {"more options", 1, 0},
    {"ابحث", 1, 0}, {"ادور", 1, 0}, {"دور", 1, 0}, {"دورلي", 1, 0}, {"ابغي", 1, 0},
    {"ابغا", 1, 0}, {"ابي", 1, 0}, {"اريد", 1, 0}, {"ودي", 1, 0}, {"محتاج", 1, 0},
    {"احتاج", 1, 0}, {"عندكم", 1, 0}, {"عندك", 1, 0}, {"لديكم", 1, 0}, {"هل يوجد", 1, 0},
    {"هل توجد", 1, 0}, {"اعرض", 1, 0}, {"وريني", 1, 0}, {"ورني", 1, 0}, {"اقترح", 1, 0},
    {"متوفر", 1, 0}, {"المتوفر", 1, 0}, {"خيارات", 1, 0}, {"ارخص", 1, 0}, {"اكبر", 1, 0},
    {"دنبال", 1, 0}, {"ميخوام", 1, 0}, {"مي خوام", 1, 0}, {"ميخواهم", 1, 0},
    {"مي خواهم", 1, 0}, {"لازم دارم", 1, 0}, {"داريد", 1, 0}, {"نشون", 1, 0},
    {"نشونم", 1, 0}, {"پيدا كنيد", 1, 0}, {"پيشنهاد", 1, 0}, {"موجود", 1, 0},
    {"گزينه", 1, 0}, {"ارزونتر", 1, 0}, {"بزرگتر", 1, 0},
    {"ищу", 1, 0}, {"ищем", 1, 0}, {"нужна", 1, 0}, {"нужен", 1, 0}, {"нужно", 1, 0},
    {"нужны", 1, 0}, {"хочу", 1, 0}, {"хотим", 1, 0}, {"хотел бы", 1, 0}, {"есть", 1, 0},
    {"покажите", 1, 0}, {"подберите", 1, 0}, {"найдите", 1, 0}, {"посоветуйте", 1, 0},
    {"предложите", 1, 0}, {"варианты", 1, 0}, {"подешевле", 1, 0}, {"побольше", 1, 0},
};

static lex_table frame_lex;
static pthread_once_t frame_once = PTHREAD_ONCE_INIT;

static void frame_init(void)
{
    lex_build(&frame_lex, frame_items, (int)(sizeof frame_items / sizeof frame_items[0]));
}

/* Whether some token of tk starts a request frame. */
static bool has_request_frame(const nlu_toks *tk)
{
    const lex_item *it;
    pthread_once(&frame_once, frame_init);
    for (int i = 0; i < tk->n; i++)
        if (tk->t[i].kind == TK_WORD && lex_match(&frame_lex, tk, i, &it) > 0)
            return true;
    return false;
}

/* Applies the rules of the file comment to out (intent already set). */
static void apply_rules(const char *norm, size_t len, const nlu_toks *tk, nlu_result *out)
{
    int letters, digits, words;
    bool one_email, question;
    text_shape(norm, len, &letters, &digits, &words, &one_email, &question);

    const unsigned slot_bits = NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_TX | NLU_PURPOSE |
                               NLU_LOCATIONS | NLU_PHONE | NLU_EMAIL;
    bool value_only = (letters == 0 && digits > 0) || one_email;
    bool unplaced = out->confidence < NLU_RULE_UNSURE;
    bool short_answer = words <= NLU_SHORT_WORDS && (out->found & slot_bits) && unplaced &&
                        !question;
    if (value_only || short_answer) {
        out->intent = "inform";
        out->confidence = NLU_RULE_CONFIDENCE;
        return;
    }
    /* the label convention between the two slot-filling intents */
    const unsigned property_bits = NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_LOCATIONS;
    bool frame = has_request_frame(tk);
    if (strcmp(out->intent, "inform") == 0 && frame && (out->found & property_bits))
        out->intent = "property_search";
    else if (strcmp(out->intent, "property_search") == 0 && !frame && !question &&
             words <= NLU_CRITERIA_WORDS && (out->found & slot_bits))
        out->intent = "inform";
}

/* ---- analysis ---------------------------------------------------------------- */

/* See nlu.h. */
int nlu_analyze(const nlu_model *m, const nlu_context *ctx, const char *text, size_t len,
                arena *a, nlu_result *out)
{
    int rc = 0;
    nlu_context empty;
    char *clean = NULL, *norm = NULL;
    size_t clean_len = 0, norm_len = 0;
    nlu_toks toks;   /* ~12 KiB on the stack */

    memset(out, 0, sizeof *out);
    out->bedrooms = -1;
    out->intent = "out_of_scope";
    out->language = "en";
    out->sentiment = SENT_NEUTRAL;
    if (ctx == NULL) {
        memset(&empty, 0, sizeof empty);
        ctx = &empty;
    }
    if (text == NULL)
        len = 0;

    clean = utf8_clean(text ? text : "", len, NLU_INPUT_MAX, arena_alloc_cb, a, &clean_len);
    if (clean == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    out->text = clean;
    rc = nlu_normalize(a, clean, clean_len, &norm, &norm_len);
    if (rc < 0)
        goto done;

    out->language = nlu_detect_language_ex(clean, clean_len, &out->language_sure);
    nlu_classify(m, norm, norm_len, &out->intent, &out->confidence);
    /* one token array for sentiment (reads it) and entities (flags it) */
    nlu_tokenize(&toks, norm, norm_len);
    nlu_sentiment_toks(clean, clean_len, &toks, out);
    rc = nlu_extract_entities_toks(ctx, &toks, a, out);
    if (rc < 0)
        goto done;
    if (m != NULL && nlu_model_has_intent(m, "inform") &&
        nlu_model_has_intent(m, "property_search"))
        apply_rules(norm, norm_len, &toks, out);
done:
    return rc;
}

/* ---- names and JSON -------------------------------------------------------- */

const char *nlu_sentiment_name(nlu_sentiment_label l)
{
    static const char *const names[] = {
        [SENT_NEUTRAL] = "neutral", [SENT_POSITIVE] = "positive", [SENT_NEGATIVE] = "negative",
        [SENT_FRUSTRATED] = "frustrated", [SENT_EXCITED] = "excited",
    };
    if ((unsigned)l >= sizeof names / sizeof names[0])
        return "neutral";
    return names[l];
}

/* ---- the JSON writer ------------------------------------------------------------
 *
 * Writes the same bytes as jansson's json_dumps(JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(6)) of the object (", " and ": " separators, "\uXXXX"
 * in capitals for control characters, reals with "%.6g" and a ".0" when
 * they look like integers), without building a tree: the CLI prints one
 * line per message and the tree cost more than the analysis.
 * tests/unit/test_nlu_eval.c compares the two on every labelled message. */

typedef struct jw {
    char *p;
    size_t n, cap;
    bool oom;
} jw;

static void jw_put(jw *w, const char *s, size_t n)
{
    if (w->oom)
        return;
    if (w->n + n + 1 > w->cap) {
        size_t cap = w->cap * 2;
        while (cap < w->n + n + 1)
            cap *= 2;
        char *p = realloc(w->p, cap);
        if (p == NULL) {
            w->oom = true;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->n, s, n);
    w->n += n;
}

static void jw_lit(jw *w, const char *s)
{
    jw_put(w, s, strlen(s));
}

/* A JSON string of s; invalid UTF-8 becomes U+FFFD. */
static void jw_str(jw *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)u), i = 0, run = 0;
    jw_put(w, "\"", 1);
    while (i < len) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        jw_put(w, (const char *)u + i - run, run);
        run = 0;
        if (c >= 0x80) {
            size_t k = utf8_valid_len(u + i, len - i);
            if (k == 0) {
                jw_put(w, "\xEF\xBF\xBD", 3);
                i++;
            } else {
                jw_put(w, (const char *)u + i, k);
                i += k;
            }
            continue;
        }
        char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
            break;
        }
        jw_put(w, e, el);
        i++;
    }
    jw_put(w, (const char *)u + i - run, run);
    jw_put(w, "\"", 1);
}

/* x rounded to 4 decimals (confidences and scores are not more precise),
 * as jansson prints a real at precision 6. */
static void jw_real4(jw *w, double x)
{
    char b[40];
    if (!isfinite(x))
        x = 0;
    x = round(x * 10000.0) / 10000.0;
    int n = snprintf(b, sizeof b, "%.6g", x);
    if (n < 0 || n >= (int)sizeof b - 3)
        n = snprintf(b, sizeof b, "0.0");
    if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
        b[n++] = '.';
        b[n++] = '0';
        b[n] = '\0';
    }
    /* "1e-05" -> "1e-5", "1e+20" -> "1e20" (jansson's exponent form) */
    char *e = strchr(b, 'e');
    if (e) {
        char *d = e + 1, *q = e + 1;
        if (*q == '+')
            q++;
        else if (*q == '-')
            *d++ = *q++;
        while (*q == '0' && q[1] != '\0')
            q++;
        memmove(d, q, strlen(q) + 1);
        n = (int)strlen(b);
    }
    jw_put(w, b, (size_t)n);
}

static void jw_int(jw *w, long long v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", v);
    jw_put(w, b, (size_t)n);
}

/* ", "key": " (or "key": at the start of an object). */
static void jw_key(jw *w, bool *first, const char *key)
{
    if (!*first)
        jw_put(w, ", ", 2);
    *first = false;
    jw_str(w, key);
    jw_put(w, ": ", 2);
}

/* See nlu.h.  The caller frees the string; NULL when out of memory. */
char *nlu_result_to_json(const nlu_result *r)
{
    if (r == NULL)
        return NULL;
    jw w = {NULL, 0, 256 + (r->text ? strlen(r->text) * 6 : 0), false};
    w.p = malloc(w.cap);
    if (w.p == NULL)
        return NULL;
    bool top = true, f;

    jw_put(&w, "{", 1);
    jw_key(&w, &top, "text");
    jw_str(&w, r->text);
    jw_key(&w, &top, "language");
    jw_str(&w, r->language ? r->language : "en");
    jw_key(&w, &top, "intent");
    jw_lit(&w, "{\"name\": ");
    jw_str(&w, r->intent ? r->intent : "out_of_scope");
    jw_lit(&w, ", \"confidence\": ");
    jw_real4(&w, r->confidence);
    jw_put(&w, "}", 1);

    jw_key(&w, &top, "entities");
    jw_put(&w, "{", 1);
    f = true;
    if (r->found & NLU_BUDGET) {
        jw_key(&w, &f, "budget");
        jw_lit(&w, "{\"min\": ");
        if (r->has_budget_min)
            jw_int(&w, (long long)r->budget_min);
        else
            jw_lit(&w, "null");
        jw_lit(&w, ", \"max\": ");
        if (r->has_budget_max)
            jw_int(&w, (long long)r->budget_max);
        else
            jw_lit(&w, "null");
        jw_lit(&w, ", \"currency\": ");
        if (r->currency[0])
            jw_str(&w, r->currency);
        else
            jw_lit(&w, "null");
        jw_put(&w, "}", 1);
    }
    if ((r->found & NLU_BEDROOMS) && r->bedrooms >= 0) {
        jw_key(&w, &f, "bedrooms");
        jw_int(&w, r->bedrooms);
    }
    if ((r->found & NLU_PTYPE) && ptype_name(r->type)) {
        jw_key(&w, &f, "property_type");
        jw_str(&w, ptype_name(r->type));
    }
    if ((r->found & NLU_TX) && tx_name(r->tx)) {
        jw_key(&w, &f, "transaction");
        jw_str(&w, tx_name(r->tx));
    }
    if ((r->found & NLU_PURPOSE) && purpose_name(r->purpose)) {
        jw_key(&w, &f, "purpose");
        jw_str(&w, purpose_name(r->purpose));
    }
    if ((r->found & NLU_LOCATIONS) && r->n_locations > 0) {
        int n = r->n_locations < NLU_MAX_LOCATIONS ? r->n_locations : NLU_MAX_LOCATIONS;
        bool fl = true;
        jw_key(&w, &f, "locations");
        jw_put(&w, "[", 1);
        for (int i = 0; i < n; i++)
            if (r->locations[i]) {
                if (!fl)
                    jw_put(&w, ", ", 2);
                fl = false;
                jw_str(&w, r->locations[i]);
            }
        jw_put(&w, "]", 1);
    }
    if ((r->found & NLU_PHONE) && r->phone[0]) {
        jw_key(&w, &f, "phone");
        jw_str(&w, r->phone);
    }
    if ((r->found & NLU_EMAIL) && r->email && r->email[0]) {
        jw_key(&w, &f, "email");
        jw_str(&w, r->email);
    }
    if ((r->found & NLU_WHEN) && r->when[0]) {
        jw_key(&w, &f, "when");
        jw_str(&w, r->when);
    }
    jw_put(&w, "}", 1);

    jw_key(&w, &top, "sentiment");
    jw_lit(&w, "{\"label\": ");
    jw_str(&w, nlu_sentiment_name(r->sentiment));
    jw_lit(&w, ", \"score\": ");
    jw_real4(&w, r->sentiment_score);
    jw_lit(&w, ", \"frustration\": ");
    jw_int(&w, r->frustration);
    jw_lit(&w, "}}");
    if (w.oom) {
        free(w.p);
        return NULL;
    }
    w.p[w.n] = '\0';
    return w.p;
}
