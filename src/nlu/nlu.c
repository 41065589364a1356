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
#include "util/buf.h"
#include "util/jsonw.h"

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

    /* an area the buyer does not want is an area said, as before the two
     * were told apart ("not in Marina" is a short answer) */
    const unsigned slot_bits = NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_TX | NLU_PURPOSE |
                               NLU_LOCATIONS | NLU_EXCLUDED_LOCATIONS | NLU_PHONE | NLU_EMAIL;
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
    const unsigned property_bits = NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_LOCATIONS |
                                   NLU_EXCLUDED_LOCATIONS;
    /* the request frame is looked for only when it decides something */
    if (strcmp(out->intent, "inform") == 0) {
        if ((out->found & property_bits) && has_request_frame(tk))
            out->intent = "property_search";
    } else if (strcmp(out->intent, "property_search") == 0 && !question &&
               words <= NLU_CRITERIA_WORDS && (out->found & slot_bits) &&
               !has_request_frame(tk)) {
        out->intent = "inform";
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
    if (nlu_model_slot_intents(m))
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

/* ---- the JSON line ---------------------------------------------------------------
 *
 * The same bytes as jansson's json_dumps(JSON_PRESERVE_ORDER |
 * JSON_REAL_PRECISION(6)) of the object (", " and ": " separators, "\uXXXX"
 * in capitals for control characters), written with util/jsonw instead of a
 * tree: the CLI prints one line per message and the tree cost more than the
 * analysis.  tests/unit/test_nlu_eval.c compares the two on every labelled
 * message. */

/* x rounded to 4 decimals (confidences and scores are not more precise). */
static double round4(double x)
{
    return isfinite(x) ? round(x * 10000.0) / 10000.0 : 0;
}

/* See nlu.h.  The caller frees the string; NULL when out of memory. */
char *nlu_result_to_json(const nlu_result *r)
{
    if (r == NULL)
        return NULL;
    buf b = BUF_INIT(0);
    jsonw w;
    jw_init_spaced(&w, &b);
    buf_reserve(&b, 256 + (r->text ? strlen(r->text) * 6 : 0));
    jw_obj(&w);
    jw_kstr(&w, "text", r->text ? r->text : "");
    jw_kstr(&w, "language", r->language ? r->language : "en");
    jw_key(&w, "intent");
    jw_obj(&w);
    jw_kstr(&w, "name", r->intent ? r->intent : "out_of_scope");
    jw_key(&w, "confidence");
    jw_real_prec(&w, round4(r->confidence), 6);
    jw_end(&w);

    jw_key(&w, "entities");
    jw_obj(&w);
    if (r->found & NLU_BUDGET) {
        jw_key(&w, "budget");
        jw_obj(&w);
        jw_kint_or_null(&w, "min", r->has_budget_min, (int64_t)r->budget_min);
        jw_kint_or_null(&w, "max", r->has_budget_max, (int64_t)r->budget_max);
        jw_kstr(&w, "currency", r->currency[0] ? r->currency : NULL);
        if (period_name(r->budget_period))
            jw_kstr(&w, "period", period_name(r->budget_period));
        jw_end(&w);
    }
    if ((r->found & NLU_BEDROOMS) && r->bedrooms >= 0)
        jw_kint(&w, "bedrooms", r->bedrooms);
    if ((r->found & NLU_PTYPE) && ptype_name(r->type))
        jw_kstr(&w, "property_type", ptype_name(r->type));
    if ((r->found & NLU_TX) && tx_name(r->tx))
        jw_kstr(&w, "transaction", tx_name(r->tx));
    if ((r->found & NLU_PURPOSE) && purpose_name(r->purpose))
        jw_kstr(&w, "purpose", purpose_name(r->purpose));
    if ((r->found & NLU_LOCATIONS) && r->n_locations > 0) {
        int n = r->n_locations < NLU_MAX_LOCATIONS ? r->n_locations : NLU_MAX_LOCATIONS;
        jw_key(&w, "locations");
        jw_arr(&w);
        for (int i = 0; i < n; i++)
            if (r->locations[i])
                jw_str(&w, r->locations[i]);
        jw_end(&w);
    }
    if ((r->found & NLU_EXCLUDED_LOCATIONS) && r->n_excluded_locations > 0) {
        int n = r->n_excluded_locations < NLU_MAX_LOCATIONS ? r->n_excluded_locations
                                                            : NLU_MAX_LOCATIONS;
        jw_key(&w, "excluded_locations");
        jw_arr(&w);
        for (int i = 0; i < n; i++)
            if (r->excluded_locations[i])
                jw_str(&w, r->excluded_locations[i]);
        jw_end(&w);
    }
    if ((r->found & NLU_PHONE) && r->phone[0])
        jw_kstr(&w, "phone", r->phone);
    if ((r->found & NLU_EMAIL) && r->email && r->email[0])
        jw_kstr(&w, "email", r->email);
    if ((r->found & NLU_WHEN) && r->when[0])
        jw_kstr(&w, "when", r->when);
    jw_end(&w);

    jw_key(&w, "sentiment");
    jw_obj(&w);
    jw_kstr(&w, "label", nlu_sentiment_name(r->sentiment));
    jw_key(&w, "score");
    jw_real_prec(&w, round4(r->sentiment_score), 6);
    jw_kint(&w, "frustration", r->frustration);
    jw_end(&w);
    jw_end(&w);
    if (jw_finish(&w)) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}
