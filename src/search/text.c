/*
 * text.c - the buyer's words as search terms, and BM25 over the candidates.
 *
 * Words are folded like SQLite's unicode61 tokenizer with
 * remove_diacritics 2 folds them (lower case; accents dropped from Latin
 * letters), so a term found here is the token the store's FTS5 index
 * holds.  ASCII takes a fast path; other scripts go through
 * utf8proc one code point at a time.
 *
 * Why BM25 is computed here and not by FTS5's bm25(): FTS5 counts, for each
 * query phrase, every row that holds it before it can rank one row, so at a
 * million listings a common word ("pool") costs about a second per query
 * (measured: 1.08 s for MATCH 'pool' ORDER BY rank LIMIT 50).  Instead the
 * store's index finds the listings holding the rarer words, and the
 * candidates of a search step (a few hundred at most, already within the
 * hard constraints) are scored here with the same formula, the term
 * statistics taken from those candidates.  Only the order matters: the
 * text list is one of the lists that reciprocal rank fusion combines.
 *
 * Not here: which listings are candidates (search.c), fusion (rank.c).
 */
#include "search/search_int.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Words that are never search terms: function words of the four reply
 * languages, and what the structured filters already carry. */
static const char *const stop_words[] = {
    /* English */
    "a", "about", "all", "also", "am", "an", "and", "any", "anything", "are", "around",
    "as", "at", "be", "best", "but", "buy", "by", "can", "could", "do", "does", "find",
    "for", "from", "get", "give", "good", "great", "has", "have", "hi", "hello", "i",
    "i'm", "im", "in", "is", "it", "its", "just", "like", "looking", "me", "max",
    "maximum", "min", "minimum", "more", "most", "my", "near", "nearby", "need", "new",
    "nice", "of", "on", "one", "options", "or", "our", "over", "please", "plus", "show",
    "so", "some", "something", "than", "that", "the", "them", "there", "these", "this",
    "to", "under", "up", "upto", "us", "very", "want", "wanted", "we", "what", "which",
    "with", "within", "would", "you", "your", "below", "above", "between", "less",
    "budget", "price", "priced", "cost", "costs", "range", "around", "approx",
    "approximately", "about", "lakh", "lakhs", "lac", "lacs", "crore", "crores", "cr",
    "million", "millions", "mn", "thousand", "k", "aed", "inr", "usd", "eur", "rs",
    "rupees", "dirham", "dirhams", "bhk", "bed", "beds", "bedroom", "bedrooms", "br",
    "room", "rooms", "bath", "baths", "bathroom", "bathrooms", "rent", "rental", "renting",
    "lease", "sale", "sell", "buying", "purchase", "invest", "investment", "investing",
    "living", "live", "stay", "family", "apartment", "apartments", "flat", "flats",
    "villa", "villas", "house", "houses", "home", "homes", "townhouse", "townhouses",
    "penthouse", "penthouses", "studio", "studios", "plot", "plots", "land", "office",
    "offices", "shop", "shops", "property", "properties", "unit", "units", "area",
    "areas", "place", "location", "locality", "city", "sq", "ft", "sqft", "feet",
    "square", "per", "year", "month", "yearly", "monthly", "cheaper", "cheap",
    "affordable", "better", "bit", "little", "compare", "vs", "versus",
    /* Arabic */
    "في", "من", "على", "الى", "إلى", "عن", "مع", "او", "أو", "و", "ان", "أن", "هل",
    "ما", "هذا", "هذه", "اريد", "أريد", "ابحث", "أبحث", "شقة", "شقق", "فيلا", "فلل",
    "بيت", "منزل", "استوديو", "مكتب", "محل", "للبيع", "للإيجار", "للايجار", "بيع",
    "ايجار", "إيجار", "غرفة", "غرف", "نوم", "مليون", "الف", "ألف", "درهم", "حتى",
    "اقل", "أقل", "حوالي", "بسعر", "سعر", "ميزانية", "قرب", "بالقرب",
    /* Persian */
    "در", "از", "به", "با", "که", "این", "آن", "را", "و", "یا", "برای", "تا", "می",
    "خواهم", "میخواهم", "دنبال", "آپارتمان", "ویلا", "خانه", "استودیو", "دفتر",
    "مغازه", "فروش", "اجاره", "خرید", "اتاق", "خواب", "میلیون", "هزار", "درهم",
    "قیمت", "بودجه", "زیر", "حدود", "کمتر", "نزدیک",
    /* Russian */
    "в", "во", "на", "с", "со", "и", "или", "для", "до", "от", "по", "у", "к", "за",
    "не", "я", "мне", "хочу", "ищу", "нужна", "нужен", "нужно", "квартира", "квартиру",
    "квартиры", "вилла", "виллу", "виллы", "дом", "студия", "студию", "офис", "магазин",
    "купить", "покупка", "аренда", "аренду", "снять", "продажа", "комната", "комнаты",
    "спальни", "спальнями", "спальня", "миллион", "миллиона", "миллионов", "млн",
    "тысяч", "тыс", "дирхам", "дирхамов", "бюджет", "цена", "около", "примерно",
    "рядом", "меньше", "дешевле",
};

/* UTF-8 encoding of code point c into out (>= 4 bytes); its length. */
static size_t put_cp(utf8proc_int32_t c, char *out)
{
    return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out);
}

/* Does code point c belong to a word?  Letters, numbers, private use and
 * combining marks (which folding drops), as unicode61 counts them. */
static bool word_cp(utf8proc_int32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        return true;
    default:
        return false;
    }
}

size_t search_fold_word(const char *w, size_t n, char *out, size_t size)
{
    size_t o = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)w;
    for (size_t i = 0; i < n;) {
        unsigned char b = p[i];
        if (b < 0x80) {
            if (b < 0x20) {     /* control bytes (and NUL) are never part of a word */
                i++;
                continue;
            }
            if (o + 1 >= size)
                break;
            out[o++] = (char)(b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
            i++;
            continue;
        }
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
        if (k <= 0) {
            i++;
            continue;
        }
        i += (size_t)k;
        utf8proc_int32_t dec[8];
        int last = 0;
        /* like unicode61's remove_diacritics: accents come off Latin
         * letters only (й stays й, as the index keeps it) */
        bool latin = (c >= 0xC0 && c < 0x250) || (c >= 0x1E00 && c < 0x1F00);
        utf8proc_ssize_t m = utf8proc_decompose_char(
            c, dec, 8, latin ? UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK
                             : UTF8PROC_CASEFOLD, &last);
        if (m < 0 || m > 8) {
            dec[0] = c;
            m = 1;
        }
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            char enc[4];
            size_t e = put_cp(dec[j], enc);
            if (o + e >= size)
                goto done;
            memcpy(out + o, enc, e);
            o += e;
        }
    }
done:
    out[o] = '\0';
    return o;
}

/* Calls fn for each word of s[0..n) (folded into a SEARCH_TERM_LEN buffer;
 * longer words are cut). */
typedef void (*word_fn)(void *ctx, const char *w, size_t len);

static void each_word(const char *s, size_t n, word_fn fn, void *ctx)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    char buf[SEARCH_TERM_LEN * 2];
    while (i < n) {
        /* skip separators */
        size_t start = i;
        bool in_word = false;
        while (i < n) {
            unsigned char b = p[i];
            if (b < 0x80) {
                if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
                    in_word = true;
                    break;
                }
                i++;
                continue;
            }
            utf8proc_int32_t c;
            utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
            if (k <= 0) {
                i++;
                continue;
            }
            if (word_cp(c)) {
                in_word = true;
                break;
            }
            i += (size_t)k;
        }
        if (!in_word)
            break;
        start = i;
        bool ascii = true;
        while (i < n) {
            unsigned char b = p[i];
            if (b < 0x80) {
                if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
                    i++;
                    continue;
                }
                break;
            }
            utf8proc_int32_t c;
            utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
            if (k <= 0 || !word_cp(c))
                break;
            ascii = false;
            i += (size_t)k;
        }
        size_t len = i - start;
        if (ascii) {
            size_t m = len < sizeof buf - 1 ? len : sizeof buf - 1;
            for (size_t j = 0; j < m; j++) {
                unsigned char b = p[start + j];
                buf[j] = (char)(b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
            }
            buf[m] = '\0';
            fn(ctx, buf, m);
        } else {
            size_t m = search_fold_word(s + start, len, buf, sizeof buf);
            if (m)
                fn(ctx, buf, m);
        }
    }
}

/* The plain-ASCII part of each_word, without folding every word into a
 * buffer or a call per word: ascii_next gives the words of s one by one,
 * as they are (not folded), while they are ASCII letters and digits
 * between ASCII separators.  At the first byte >= 0x80 it stops and sets
 * rest to where each_word takes over (the start of the word that byte is in
 * or follows), so that each_word(rest) gives the remaining words exactly as
 * each_word over the whole of s would.  A folded ASCII word is its bytes
 * with 0x20 set (letters to lower case; digits have it already). */
typedef struct ascii_scan {
    const unsigned char *p;
    const unsigned char *rest;    /* NULL: s ended */
} ascii_scan;

/* What a byte is to ascii_next. */
enum { B_SEP = 0, B_WORD = 1, B_HIGH = 2, B_END = 3 };
static const unsigned char byte_class[256] = {
    [0] = B_END,
    ['0' ... '9'] = B_WORD, ['A' ... 'Z'] = B_WORD, ['a' ... 'z'] = B_WORD,
    [0x80 ... 0xff] = B_HIGH,
};

static inline bool ascii_next(ascii_scan *sc, const unsigned char **word, size_t *len)
{
    const unsigned char *p = sc->p;
    while (byte_class[*p] == B_SEP)
        p++;
    if (byte_class[*p] != B_WORD) {
        sc->rest = *p ? p : NULL;
        return false;
    }
    const unsigned char *w = p;
    while (byte_class[*p] == B_WORD)
        p++;
    if (byte_class[*p] == B_HIGH) {
        sc->rest = w;
        return false;
    }
    sc->p = p;
    *word = w;
    *len = (size_t)(p - w);
    return true;
}

/* The length each_word gives an ASCII word of len bytes (it cuts them). */
static inline size_t ascii_cut(size_t len)
{
    return len < SEARCH_TERM_LEN * 2 - 1 ? len : SEARCH_TERM_LEN * 2 - 1;
}

/* Do the first n bytes of ASCII word w fold to folded[0..n)? */
static inline bool ascii_folds_to(const unsigned char *w, const char *folded, size_t n)
{
    for (size_t j = 0; j < n; j++)
        if ((w[j] | 0x20) != (unsigned char)folded[j])
            return false;
    return true;
}

/* ---- could a text hold a word ---------------------------------------- */

/* Could doc_field(s) count a word that term t (tl lower-case ASCII letters)
 * matches?  False only when s is plain ASCII and t's letters, in either
 * case, follow each other nowhere in it: doc_field then reads s's words as
 * runs of its own bytes, and a word t matches starts with t's letters.
 * 16 bytes at a time with SSE2 (a plain loop without it): a byte >= 0x80
 * (other scripts, accents: folding could make t of them) answers true, and
 * only the places of t's first letter are compared further. */
static bool field_may_hold(const char *s, const char *t, size_t tl)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
#ifdef __SSE2__
    const __m128i first = _mm_set1_epi8((char)t[0]), lower = _mm_set1_epi8(0x20);
    unsigned char tail[16];
    for (; i < n; i += 16) {
        const unsigned char *c = p + i;
        unsigned skip = 0;    /* leading bytes of the group seen already */
        if (n - i < 16 && n >= 16) {
            skip = (unsigned)(16 - (n - i));   /* the last 16 bytes of s */
            c = p + n - 16;
        } else if (n - i < 16) {               /* all of a short s, padded with NULs */
            memset(tail, 0, sizeof tail);
            for (size_t k = 0; k < n - i; k++)
                tail[k] = c[k];
            c = tail;
        }
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)c);
        if (_mm_movemask_epi8(x) != 0)
            return true;      /* (a byte seen already was < 0x80) */
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(x, lower), first));
        for (m >>= skip; m; m &= m - 1) {
            size_t j = i + (size_t)__builtin_ctz(m);
            if (j + tl <= n && ascii_folds_to(p + j, t, tl))
                return true;
        }
    }
#endif
    for (; i < n; i++) {
        if (p[i] >= 0x80)
            return true;
        if (i + tl <= n && ascii_folds_to(p + i, t, tl))
            return true;
    }
    return false;
}

/* ---- query terms ------------------------------------------------------ */

typedef struct term_ctx {
    search_terms *t;
    const store_locality_stats *ls;
    int n_ls;
} term_ctx;

typedef struct loc_word_ctx {
    const char *w;
    bool found;
} loc_word_ctx;

static void loc_word(void *ctx, const char *w, size_t len)
{
    loc_word_ctx *c = ctx;
    if (!c->found && strlen(c->w) == len && memcmp(c->w, w, len) == 0)
        c->found = true;
}

/* Is the folded word w[0..len) (NUL-terminated) a word of one of the n
 * locality names?  each_word over each name with loc_word, its ASCII words
 * compared in place; a word of plain letters skips, 8 bytes at a time, the
 * plain-ASCII names that do not hold its letters in a row. */
static bool name_holds(const store_locality_stats *ls, int n, const char *w, size_t len)
{
    bool letters = len > 0;
    for (size_t j = 0; j < len; j++)
        letters &= w[j] >= 'a' && w[j] <= 'z';
    for (int i = 0; i < n; i++) {
        const char *name = ls[i].locality;
        if (name == NULL || (letters && !field_may_hold(name, w, len)))
            continue;
        ascii_scan sc = {(const unsigned char *)name, NULL};
        const unsigned char *nw;
        size_t nl;
        while (ascii_next(&sc, &nw, &nl))
            if (ascii_cut(nl) == len && ascii_folds_to(nw, w, len))
                return true;
        if (sc.rest) {
            loc_word_ctx lc = {w, false};
            each_word((const char *)sc.rest, strlen((const char *)sc.rest), loc_word, &lc);
            if (lc.found)
                return true;
        }
    }
    return false;
}

#define N_STOP (sizeof stop_words / sizeof stop_words[0])
static const char *stop_sorted[N_STOP];    /* stop_words in strcmp order */
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void stop_sort(void)
{
    memcpy(stop_sorted, stop_words, sizeof stop_words);
    qsort(stop_sorted, N_STOP, sizeof stop_sorted[0], cmp_str);
}

static bool is_stop(const char *w)
{
    pthread_once(&stop_once, stop_sort);
    return bsearch(&w, stop_sorted, N_STOP, sizeof stop_sorted[0], cmp_str) != NULL;
}

static void add_term(void *ctx, const char *w, size_t len)
{
    term_ctx *c = ctx;
    search_terms *t = c->t;
    if (t->n >= SEARCH_MAX_TERMS || len < 2 || len >= SEARCH_TERM_LEN)
        return;
    for (size_t i = 0; i < len; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return;          /* "2bhk", "5m", "1500": numbers are filters */
    if (is_stop(w))
        return;
    if (name_holds(c->ls, c->n_ls, w, len))
        return;              /* an area is a filter, not a word to match */
    char term[SEARCH_TERM_LEN];
    memcpy(term, w, len);
    term[len] = '\0';
    /* an English plural matches its singular and more: "schools" -> school* */
    bool ascii = true;
    for (size_t i = 0; i < len; i++)
        ascii &= (unsigned char)term[i] < 0x80;
    if (ascii && len >= 5 && term[len - 1] == 's' && term[len - 2] != 's') {
        term[--len] = '\0';
    }
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->term[i], term) == 0)
            return;
    memcpy(t->term[t->n], term, len + 1);
    /* short words match whole words only; longer ones their extensions
     * when scored here ("бассейн" finds "бассейном"), and English ones
     * their plurals in the index */
    t->prefix[t->n] = len >= 4;
    t->rare[t->n] = false;
    t->n++;
}

void search_terms_from_text(search_terms *t, const char *text,
                            const store_locality_stats *localities, int n_localities)
{
    memset(t, 0, sizeof *t);
    if (text == NULL)
        return;
    term_ctx c = {t, localities, localities ? n_localities : 0};
    each_word(text, strlen(text), add_term, &c);
}

/* Appends term i as FTS5 query text: the word, and for an English word its
 * plural, as whole tokens.  (Not a prefix query: FTS5 merges the whole
 * doclist of every token with the prefix before it returns one row, 100 ms
 * and more for a common prefix at a million listings.) */
static size_t term_query(const search_terms *t, int i, char *q, size_t size)
{
    const char *w = t->term[i];
    bool ascii = true;
    for (const char *p = w; *p; p++)
        ascii &= (unsigned char)*p < 0x80;
    int n = t->prefix[i] && ascii ? snprintf(q, size, "\"%s\" OR \"%ss\"", w, w)
                                  : snprintf(q, size, "\"%s\"", w);
    return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

const char *search_term_query(const search_terms *t, int i, arena *a)
{
    char q[2 * SEARCH_TERM_LEN + 16];
    return term_query(t, i, q, sizeof q) ? arena_strdup(a, q) : NULL;
}

const char *search_terms_match(const search_terms *t, bool rare_only, arena *a)
{
    char q[SEARCH_MAX_TERMS * (2 * SEARCH_TERM_LEN + 24) + 1];
    size_t o = 0;
    int k = 0;
    q[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        if (rare_only && !t->rare[i])
            continue;
        if (k) {
            if (o + 4 >= sizeof q)
                break;
            memcpy(q + o, " OR ", 5);
            o += 4;
        }
        size_t w = term_query(t, i, q + o, sizeof q - o);
        if (w == 0)
            break;
        o += w;
        k++;
    }
    return k ? arena_strdup(a, q) : NULL;
}

/* ---- BM25 over the candidates ---------------------------------------- */

#define BM25_K1 1.2
#define BM25_B 0.75

typedef struct doc_ctx {
    const search_terms *t;
    const size_t *tl;       /* per term, its length */
    double w;               /* weight of the field being read */
    double len;             /* weighted length of the document */
    double *tf;             /* per term */
} doc_ctx;

static void doc_word(void *ctx, const char *w, size_t len)
{
    doc_ctx *d = ctx;
    d->len += d->w;
    for (int i = 0; i < d->t->n; i++) {
        const char *term = d->t->term[i];
        size_t tl = d->tl[i];
        if (d->t->prefix[i] ? (len >= tl && memcmp(w, term, tl) == 0)
                            : (len == tl && memcmp(w, term, tl) == 0))
            d->tf[i] += d->w;
    }
}

/* doc_word for a word of ASCII letters and digits as it is in the text
 * (ascii_next). */
static inline void doc_ascii_word(doc_ctx *d, const unsigned char *w, size_t len)
{
    len = ascii_cut(len);
    d->len += d->w;
    for (int i = 0; i < d->t->n; i++) {
        size_t tl = d->tl[i];
        if ((d->t->prefix[i] ? len >= tl : len == tl) &&
            ascii_folds_to(w, d->t->term[i], tl))
            d->tf[i] += d->w;
    }
}

/* each_word(s) with doc_word. */
static void doc_field(doc_ctx *d, const char *s)
{
    ascii_scan sc = {(const unsigned char *)s, NULL};
    const unsigned char *w;
    size_t len;
    while (ascii_next(&sc, &w, &len))
        doc_ascii_word(d, w, len);
    if (sc.rest)
        each_word((const char *)sc.rest, strlen((const char *)sc.rest), doc_word, d);
}

/* Could any of the n candidates hold a word some term matches?  (When not,
 * every BM25 score is 0 and no word needs reading.) */
static bool any_may_hold(const search_terms *t, const size_t *tl, const listing *const *ls,
                         int n)
{
    for (int k = 0; k < t->n; k++) {
        if (tl[k] == 0)
            return true;
        for (size_t j = 0; j < tl[k]; j++)
            if (t->term[k][j] < 'a' || t->term[k][j] > 'z')
                return true;     /* not plain letters: read the words */
    }
    for (int i = 0; i < n; i++) {
        const listing *l = ls[i];
        const char *fields[] = {l->project, l->title, l->developer, l->amenities,
                                l->description};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            for (int k = 0; fields[f] && k < t->n; k++)
                if (field_may_hold(fields[f], t->term[k], tl[k]))
                    return true;
    }
    return false;
}

void search_text_scores(const search_terms *t, const listing *const *ls, int n, double *out,
                        arena *a)
{
    for (int i = 0; i < n; i++)
        out[i] = 0;
    if (t->n == 0 || n == 0)
        return;
    size_t tl[SEARCH_MAX_TERMS];
    for (int k = 0; k < t->n; k++)
        tl[k] = strlen(t->term[k]);
    if (!any_may_hold(t, tl, ls, n))
        return;
    double *tf = arena_zalloc(a, sizeof *tf * (size_t)n * SEARCH_MAX_TERMS);
    double *dl = arena_zalloc(a, sizeof *dl * (size_t)n);
    if (tf == NULL || dl == NULL)
        return;             /* no text order: the other lists still rank */
    double total = 0;
    int df[SEARCH_MAX_TERMS] = {0};
    for (int i = 0; i < n; i++) {
        const listing *l = ls[i];
        doc_ctx d = {t, tl, 0, 0, tf + (size_t)i * SEARCH_MAX_TERMS};
        const struct { const char *s; double w; } fields[] = {
            {l->project, 3}, {l->title, 2}, {l->developer, 2}, {l->amenities, 2},
            {l->description, 1},
        };
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            if (fields[f].s == NULL)
                continue;
            d.w = fields[f].w;
            doc_field(&d, fields[f].s);
        }
        dl[i] = d.len;
        total += d.len;
        for (int k = 0; k < t->n; k++)
            df[k] += d.tf[k] > 0;
    }
    double avgdl = total / n > 0 ? total / n : 1;
    for (int k = 0; k < t->n; k++) {
        if (df[k] == 0)
            continue;
        double idf = log(1 + (n - df[k] + 0.5) / (df[k] + 0.5));
        for (int i = 0; i < n; i++) {
            double f = tf[(size_t)i * SEARCH_MAX_TERMS + k];
            if (f <= 0)
                continue;
            out[i] += idf * f * (BM25_K1 + 1) /
                      (f + BM25_K1 * (1 - BM25_B + BM25_B * dl[i] / avgdl));
        }
    }
}
