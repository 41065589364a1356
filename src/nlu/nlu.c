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
 * Rule answers carry the confidence NLU_RULE_CONFIDENCE.  The rules apply
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

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NLU_INPUT_MAX        8192
#define NLU_SHORT_WORDS      4
#define NLU_RULE_UNSURE      0.5
#define NLU_RULE_CONFIDENCE  0.9

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

static void *malloc_cb(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
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

/* Applies the rules of the file comment to out (intent already set). */
static void apply_rules(const char *norm, size_t len, nlu_result *out)
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
    }
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
    if (m != NULL && nlu_model_has_intent(m, "inform"))
        apply_rules(norm, norm_len, out);
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

/* A JSON string of s, made valid UTF-8 first when it is not.  NULL only
 * when out of memory. */
static json_t *jstr(const char *s)
{
    json_t *j;
    if (s == NULL)
        s = "";
    j = json_string(s);
    if (j == NULL) {
        char *c = utf8_clean(s, strlen(s), (size_t)-1, malloc_cb, NULL, NULL);
        if (c) {
            j = json_string(c);
            free(c);
        }
    }
    return j;
}

/* x rounded to 4 decimals (confidences and scores are not more precise). */
static json_t *jreal4(double x)
{
    if (!isfinite(x))
        x = 0;
    return json_real(round(x * 10000.0) / 10000.0);
}

/* Sets key of o to v (stolen); returns -1 when v is NULL or setting fails. */
static int put(json_t *o, const char *key, json_t *v)
{
    if (v == NULL)
        return -1;
    return json_object_set_new(o, key, v);
}

/* See nlu.h.  The caller frees the string; NULL when out of memory. */
char *nlu_result_to_json(const nlu_result *r)
{
    char *s = NULL;
    json_t *o = NULL, *intent = NULL, *ent = NULL, *sent = NULL;
    int bad = 0;

    if (r == NULL)
        goto done;
    o = json_object();
    intent = json_object();
    ent = json_object();
    sent = json_object();
    if (!o || !intent || !ent || !sent)
        goto done;

    bad |= put(o, "text", jstr(r->text));
    bad |= put(o, "language", jstr(r->language ? r->language : "en"));
    bad |= put(intent, "name", jstr(r->intent ? r->intent : "out_of_scope"));
    bad |= put(intent, "confidence", jreal4(r->confidence));

    if (r->found & NLU_BUDGET) {
        json_t *b = json_object();
        if (b == NULL) {
            bad = 1;
        } else {
            bad |= put(b, "min", r->has_budget_min ? json_integer(r->budget_min) : json_null());
            bad |= put(b, "max", r->has_budget_max ? json_integer(r->budget_max) : json_null());
            bad |= put(b, "currency", r->currency[0] ? jstr(r->currency) : json_null());
            bad |= put(ent, "budget", b);
        }
    }
    if ((r->found & NLU_BEDROOMS) && r->bedrooms >= 0)
        bad |= put(ent, "bedrooms", json_integer(r->bedrooms));
    if ((r->found & NLU_PTYPE) && ptype_name(r->type))
        bad |= put(ent, "property_type", jstr(ptype_name(r->type)));
    if ((r->found & NLU_TX) && tx_name(r->tx))
        bad |= put(ent, "transaction", jstr(tx_name(r->tx)));
    if ((r->found & NLU_PURPOSE) && purpose_name(r->purpose))
        bad |= put(ent, "purpose", jstr(purpose_name(r->purpose)));
    if ((r->found & NLU_LOCATIONS) && r->n_locations > 0) {
        json_t *arr = json_array();
        int n = r->n_locations < NLU_MAX_LOCATIONS ? r->n_locations : NLU_MAX_LOCATIONS;
        if (arr == NULL)
            bad = 1;
        for (int i = 0; arr && i < n; i++)
            if (r->locations[i])
                bad |= json_array_append_new(arr, jstr(r->locations[i]));
        bad |= put(ent, "locations", arr);
    }
    if ((r->found & NLU_PHONE) && r->phone[0])
        bad |= put(ent, "phone", jstr(r->phone));
    if ((r->found & NLU_EMAIL) && r->email && r->email[0])
        bad |= put(ent, "email", jstr(r->email));
    if ((r->found & NLU_WHEN) && r->when[0])
        bad |= put(ent, "when", jstr(r->when));

    bad |= put(sent, "label", jstr(nlu_sentiment_name(r->sentiment)));
    bad |= put(sent, "score", jreal4(r->sentiment_score));
    bad |= put(sent, "frustration", json_integer(r->frustration));

    bad |= put(o, "intent", intent);
    intent = NULL;
    bad |= put(o, "entities", ent);
    ent = NULL;
    bad |= put(o, "sentiment", sent);
    sent = NULL;
    if (!bad)
        s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
done:
    json_decref(intent);
    json_decref(ent);
    json_decref(sent);
    json_decref(o);
    return s;
}
