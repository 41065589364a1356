/*
 * locality.c - a tenant's gazetteer of localities and the matcher that
 * finds them in a normalised message (CONTRACT.md §4 "locations").
 *
 * Every canonical name and every alias ("jvc\tJumeirah Village Circle",
 * "دبي مارينا\tDubai Marina", "Дубай Марина\tDubai Marina") becomes an entry:
 * its words after nlu_normalize, as code points, pointing at the interned
 * canonical name.  "Road", "street", "avenue"... also get an entry with
 * their abbreviation ("sarjapur rd").
 *
 * Matching at each message word, longest first:
 *   - word by word: the next n message words against an n-word entry, each
 *     within a Damerau (optimal string alignment) distance scaled to the
 *     entry word's length: up to 4 code points exact, 5-8 one edit, more
 *     than 8 two edits ("whitfield" -> Whitefield, "marthahalli" ->
 *     Marathahalli, "дубай марине" -> Dubai Marina);
 *   - glued: k message words glued together against an entry of k-1 or k+1
 *     words glued together, for one word boundary typed differently
 *     ("white field", "dubaimarina"), within the distance allowed for the
 *     glued length.
 * Hyphens and apostrophes between words are ignored ("al-barsha").  The
 * longest match wins, then the smallest distance, then the earliest entry.
 * A common word (price, villa, please...) matches a one-word entry only
 * exactly.  Results come in order of appearance, without duplicates, at
 * most `max`.
 *
 * Speed (thousands of names): entries are sorted by (first code point,
 * words, first word's length) and, in a second index, by (first code point,
 * words, glued length), with the sort keys packed into 64-bit integers.  A
 * message word whose first letter starts no entry costs one table lookup;
 * otherwise a binary search finds the few entries whose lengths fit, and a
 * 64-bit bigram signature rejects most of those before any edit distance
 * is computed.  No scan of the whole gazetteer per token.
 *
 * Wanted or excluded (nlu_gazetteer_scan_sides): the cue phrases of
 * nlu_gazetteer_add_cues (a pack's cue_loc_* lists) decide, around each
 * locality found, whether the buyer wants it.  They are matched on whole
 * tokens with nothing skipped, so punctuation always ends a cue's reach:
 * "not Marina, JVC" excludes Marina only, "no, in Marina" and "not sure,
 * maybe Marina" exclude nothing, and a negation after the locality ("Marina,
 * not too expensive") is no cue before anything.  At a locality: the longest
 * NLU_LOC_NOT / NLU_LOC_KEEP phrase ending right before it decides (NOT:
 * excluded; KEEP, as "why not": wanted); else an NLU_LOC_AND phrase that
 * fills the whole gap after an excluded locality excludes it too ("not
 * Marina or JBR"); else an NLU_LOC_NOT_AFTER phrase right after it, at the
 * end of the message or before punctuation other than a question mark,
 * excludes it ("مارینا نه، جی وی سی"); else an NLU_LOC_NOT_BARE "no" right
 * before it excludes it when the locality before was excluded ("no Marina
 * no JVC") or, decided at the next mention, when another locality follows
 * ("no Marina, JVC"); "no Marina" alone stays wanted.  The cues are sorted by the hash of
 * the token next to the locality (the last one, or the first for
 * NLU_LOC_NOT_AFTER): a lookup is a binary search, and only localities
 * found cost one.
 *
 * The gazetteer also keeps the pack's cue phrases of a rent's period
 * (nlu_gazetteer_add_period_cues), for the budget scan: kinds after the
 * locality cues (GZ_PERIOD_KIND), keyed by their first token, found by
 * nlu_gazetteer_period_at.
 *
 * Memory: the gazetteer owns everything (an arena for strings and code
 * points, one heap array of entries).  Immutable after building, so any
 * number of threads may match with it at once.
 *
 * Not for: geography (no cities, no coordinates) or listing search.
 */
#include "nlu/entities_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define GZ_MAX_WORDS 8
#define GZ_MAX_WORD_CPS 48
#define GZ_MAX_CPS 160        /* code points of one entry, joined */
#define GZ_MAX_JOIN 4         /* message words glued together at most */
#define GZ_MSG_CPS 4096       /* code points of a message considered */

typedef struct gz_entry {
    uint32_t first;           /* first code point (the bucket) */
    const char *canonical;    /* interned, owned by the gazetteer */
    const uint32_t *cp;       /* the words' code points, glued */
    uint16_t ncp;
    uint8_t nwords;
    uint8_t thr_joined;       /* edits allowed for the glued form */
    uint8_t thr_sum;          /* edits allowed word by word, in total */
    uint64_t sig;             /* bigram signature of the glued form */
    uint16_t wstart[GZ_MAX_WORDS];
    uint8_t wlen[GZ_MAX_WORDS];
    uint32_t order;           /* insertion order: ties go to the earlier */
} gz_entry;

/* A cue phrase: its normalised tokens (at most GZ_CUE_TOKS). */
#define GZ_CUE_TOKS NLU_CUE_TOKS
/* The kind of a period cue: after the nlu_loc_cue kinds */
#define GZ_PERIOD_KIND(p) (NLU_LOC__COUNT + (int)(p))
typedef struct gz_cue {
    uint32_t key;             /* hash of the token next to the locality: the last, or
                                 the first for NLU_LOC_NOT_AFTER and the period cues */
    uint8_t kind;             /* nlu_loc_cue, or GZ_PERIOD_KIND(rent_period) */
    uint8_t ntok;
    uint16_t len[GZ_CUE_TOKS];
    uint32_t hash[GZ_CUE_TOKS];
    const char *tok[GZ_CUE_TOKS];   /* the tokens' bytes, in the gazetteer's arena */
} gz_cue;

typedef struct gz_canon {
    const char *key;          /* normalised canonical name */
    const char *name;         /* as first given */
} gz_canon;

/* Entries are sorted by (first, nwords, first word's length, ncp): the
 * word-by-word search narrows to the first word's length.  byg lists them
 * by (first, nwords, ncp) for the glued search. */
struct nlu_gazetteer {
    arena mem;
    gz_entry *e;
    int n, cap;
    uint32_t *byg;
    uint64_t *kw, *kg;        /* compact search keys of e and of byg */
    int aw[129], ag[129];     /* ASCII first letter c: kw[aw[c]..aw[c+1]), kg likewise */
    int maxw;                 /* most words in an entry */
    /* ASCII first letter c, n words: bit l (l < 63) set when an entry has a
     * first word (lw) or glued form (lg) of l code points; bit 63 for 63
     * and more.  A search whose lengths hit no bit has no candidate. */
    uint64_t lw[128][GZ_MAX_WORDS + 1], lg[128][GZ_MAX_WORDS + 1];
    gz_canon *canon;          /* open addressing on key, size ccap (power of 2) */
    int ncanon, ccap;
    gz_cue *cue;              /* heap, sorted by (key, kind) */
    int ncue, capcue;
};

/* ---- small helpers ---------------------------------------------------- */

static int thr_for(int len)
{
    return len <= 4 ? 0 : len <= 8 ? 1 : 2;
}

/* Decodes UTF-8 s/n into at most max code points (invalid bytes become
 * U+FFFD).  Returns the count. */
static int to_cps(const char *s, size_t n, uint32_t *out, int max)
{
    const unsigned char *p = (const unsigned char *)s;
    int k = 0;
    size_t i = 0;
    while (i < n && k < max) {
        unsigned b = p[i];
        uint32_t c;
        size_t need = b < 0x80 ? 0 : b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2
                      : b >= 0xF0 && b <= 0xF4 ? 3 : 4;
        if (need == 0) {
            out[k++] = b;
            i++;
            continue;
        }
        if (need == 4 || i + need >= n) {
            out[k++] = 0xFFFD;
            i++;
            continue;
        }
        c = b & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
        bool ok = true;
        for (size_t j = 1; j <= need; j++) {
            if ((p[i + j] & 0xC0) != 0x80) {
                ok = false;
                break;
            }
            c = (c << 6) | (p[i + j] & 0x3F);
        }
        if (!ok) {
            out[k++] = 0xFFFD;
            i++;
            continue;
        }
        out[k++] = c;
        i += need + 1;
    }
    return k;
}

int nlu_edit_distance(const uint32_t *a, int na, const uint32_t *b, int nb, int max)
{
    if (na > GZ_MAX_CPS || nb > GZ_MAX_CPS)
        return max + 1;
    int diff = na > nb ? na - nb : nb - na;
    if (diff > max)
        return max + 1;
    if (na == 0 || nb == 0)
        return na + nb;
    if (na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0)
        return 0;
    /* three rows (i-2, i-1, i), banded: only cells with |i - j| <= max can
     * stay within max, the others are clamped to max + 1 */
    int big = max + 1;
    int r0[GZ_MAX_CPS + 2], r1[GZ_MAX_CPS + 2], r2[GZ_MAX_CPS + 2];
    int *pp = r0, *prev = r1, *cur = r2;
    for (int j = 0; j <= nb + 1; j++) {
        r0[j] = r2[j] = big;
        r1[j] = j <= max ? j : big;
    }
    for (int i = 1; i <= na; i++) {
        int lo = i - max > 1 ? i - max : 1, hi = i + max < nb ? i + max : nb;
        cur[0] = i <= max ? i : big;
        if (lo > 1)
            cur[lo - 1] = big;
        int rowmin = lo == 1 ? cur[0] : big;
        for (int j = lo; j <= hi; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            if (v > big)
                v = big;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        cur[hi + 1] = big;
        if (rowmin > max)
            return big;
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] > max ? big : prev[nb];
}

/* A 64-bit set of the (hashed) bigrams of c[0..n), with the string's start
 * and end as pseudo-characters.  One edit removes at most 3 bigrams, so two
 * strings within distance d differ by at most 3d bits each way: a cheap
 * filter before the edit distance. */
static uint64_t bigram_sig(const uint32_t *c, int n)
{
    uint64_t sig = 0;
    uint32_t prev = 0x110000;   /* start */
    for (int j = 0; j <= n; j++) {
        uint32_t cur = j < n ? c[j] : 0x110001;   /* end */
        uint32_t h = (prev * 0x9E3779B1u) ^ (cur * 0x85EBCA77u);
        h ^= h >> 15;
        h *= 0x2C1B3C6Du;
        sig |= (uint64_t)1 << (h >> 26);
        prev = cur;
    }
    return sig;
}

/* Portable popcount (the build targets baseline x86-64, where
 * __builtin_popcountll is a library call). */
static int popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

static bool sig_ok(uint64_t a, uint64_t b, int thr)
{
    return popcount64(a & ~b) <= 3 * thr && popcount64(b & ~a) <= 3 * thr;
}

/* Common words that must not fuzzily become a one-word locality. */
static const lex_item stopwords[] = {
    {"about", 0, 0}, {"above", 0, 0}, {"after", 0, 0}, {"again", 0, 0}, {"agent", 0, 0},
    {"along", 0, 0}, {"amenities", 0, 0}, {"apartment", 0, 0}, {"apartments", 0, 0},
    {"around", 0, 0}, {"available", 0, 0}, {"before", 0, 0}, {"below", 0, 0},
    {"between", 0, 0}, {"bigger", 0, 0}, {"budget", 0, 0}, {"building", 0, 0}, {"call", 0, 0},
    {"center", 0, 0}, {"centre", 0, 0}, {"cheap", 0, 0}, {"cheaper", 0, 0}, {"close", 0, 0},
    {"could", 0, 0}, {"evening", 0, 0}, {"flats", 0, 0}, {"garden", 0, 0}, {"great", 0, 0},
    {"hello", 0, 0}, {"house", 0, 0}, {"large", 0, 0}, {"later", 0, 0}, {"living", 0, 0},
    {"location", 0, 0}, {"looking", 0, 0}, {"market", 0, 0}, {"metro", 0, 0},
    {"million", 0, 0}, {"month", 0, 0}, {"morning", 0, 0}, {"near", 0, 0}, {"nearby", 0, 0},
    {"other", 0, 0}, {"place", 0, 0}, {"please", 0, 0}, {"price", 0, 0}, {"prices", 0, 0},
    {"property", 0, 0}, {"rental", 0, 0}, {"schools", 0, 0}, {"should", 0, 0},
    {"small", 0, 0}, {"thanks", 0, 0}, {"there", 0, 0}, {"these", 0, 0}, {"thing", 0, 0},
    {"think", 0, 0}, {"those", 0, 0}, {"today", 0, 0}, {"tower", 0, 0}, {"towers", 0, 0},
    {"under", 0, 0}, {"villa", 0, 0}, {"villas", 0, 0}, {"where", 0, 0}, {"which", 0, 0},
    {"would", 0, 0}, {"years", 0, 0}, {"herbal", 0, 0}, {"marine", 0, 0},
};

static lex_table stop_lex;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void stop_init(void)
{
    lex_build(&stop_lex, stopwords, (int)(sizeof stopwords / sizeof stopwords[0]));
}

static bool joiner(const nlu_toks *tk, int i)
{
    return nlu_tok_punct(tk, i, '-') || nlu_tok_punct(tk, i, '\'') || nlu_tok_punct(tk, i, '_');
}

/* ---- building --------------------------------------------------------- */

static const char *canon_intern(nlu_gazetteer *g, const char *name, size_t nlen, const char *key)
{
    if (g->ncanon * 2 >= g->ccap) {
        int ncap = g->ccap ? g->ccap * 2 : 64;
        gz_canon *nc = calloc((size_t)ncap, sizeof *nc);
        if (nc == NULL)
            return NULL;
        for (int i = 0; i < g->ccap; i++) {
            if (g->canon[i].key == NULL)
                continue;
            uint32_t h = nlu_fnv1a(g->canon[i].key, strlen(g->canon[i].key));
            int s = (int)(h & (uint32_t)(ncap - 1));
            while (nc[s].key)
                s = (s + 1) & (ncap - 1);
            nc[s] = g->canon[i];
        }
        free(g->canon);
        g->canon = nc;
        g->ccap = ncap;
    }
    uint32_t h = nlu_fnv1a(key, strlen(key));
    int s = (int)(h & (uint32_t)(g->ccap - 1));
    while (g->canon[s].key) {
        if (strcmp(g->canon[s].key, key) == 0)
            return g->canon[s].name;
        s = (s + 1) & (g->ccap - 1);
    }
    char *nm = arena_strndup(&g->mem, name, nlen);
    if (nm == NULL)
        return NULL;
    g->canon[s].key = key;
    g->canon[s].name = nm;
    g->ncanon++;
    return nm;
}

/* Trims ASCII whitespace around s/n. */
static void trim(const char **s, size_t *n)
{
    while (*n && (unsigned char)(*s)[0] <= ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ')
        (*n)--;
}

/* Adds an entry: the words of alias (any text) for canonical (any text).
 * Names too long or without words are skipped silently. */
static int gz_add_one(nlu_gazetteer *g, const char *alias, size_t alen, const char *canon,
                      size_t clen, nlu_toks *tk)
{
    int rc = 0;
    char *anorm = NULL, *cnorm = NULL;
    size_t anl = 0, cnl = 0;
    trim(&alias, &alen);
    trim(&canon, &clen);
    if (alen == 0 || clen == 0 || alen > 512 || clen > 512)
        goto done;
    if ((rc = nlu_normalize(&g->mem, canon, clen, &cnorm, &cnl)) < 0)
        goto done;
    if (cnl == 0)
        goto done;
    const char *cname = canon_intern(g, canon, clen, cnorm);
    if (cname == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    if ((rc = nlu_normalize(&g->mem, alias, alen, &anorm, &anl)) < 0)
        goto done;
    nlu_tokenize(tk, anorm, anl);

    gz_entry e;
    memset(&e, 0, sizeof e);
    uint32_t cps[GZ_MAX_CPS];
    int ncp = 0;
    for (int i = 0; i < tk->n; i++) {
        const nlu_tok *t = &tk->t[i];
        if (t->kind == TK_PUNCT)
            continue;
        if (e.nwords >= GZ_MAX_WORDS)
            goto done;
        int k = to_cps(anorm + t->off, t->len, cps + ncp, GZ_MAX_CPS - ncp);
        if (k > GZ_MAX_WORD_CPS || ncp + k >= GZ_MAX_CPS)
            goto done;
        e.wstart[e.nwords] = (uint16_t)ncp;
        e.wlen[e.nwords] = (uint8_t)k;
        e.nwords++;
        ncp += k;
    }
    if (e.nwords == 0 || ncp == 0)
        goto done;
    uint32_t *copy = arena_alloc(&g->mem, (size_t)ncp * sizeof *copy);
    if (copy == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    memcpy(copy, cps, (size_t)ncp * sizeof *copy);
    e.cp = copy;
    e.ncp = (uint16_t)ncp;
    e.canonical = cname;
    int thr = 0;
    for (int w = 0; w < e.nwords; w++)
        thr += thr_for(e.wlen[w]);
    int tj = thr_for(ncp);
    e.thr_joined = (uint8_t)(thr < tj ? thr : tj);
    if (e.nwords == 1)
        e.thr_joined = (uint8_t)tj;
    e.thr_sum = (uint8_t)thr;
    e.first = copy[0];
    e.sig = bigram_sig(copy, ncp);
    if (g->n == g->cap) {
        int ncap = g->cap ? g->cap * 2 : 64;
        gz_entry *ne = realloc(g->e, (size_t)ncap * sizeof *ne);
        if (ne == NULL) {
            rc = -PT_ERR_NOMEM;
            goto done;
        }
        g->e = ne;
        g->cap = ncap;
    }
    e.order = (uint32_t)g->n;
    g->e[g->n++] = e;
done:
    return rc;
}

/* Street-word abbreviations: "Sarjapur Road" is also "sarjapur rd". */
static const struct {
    const char *full, *abbr;
} abbrevs[] = {
    {"road", "rd"}, {"street", "st"}, {"avenue", "ave"}, {"boulevard", "blvd"},
    {"sector", "sec"}, {"main road", "main rd"},
};

/* gz_add_one, plus one variant per abbreviable word of the alias. */
static int gz_add(nlu_gazetteer *g, const char *alias, size_t alen, const char *canon, size_t clen,
                  nlu_toks *tk)
{
    int rc = 0;
    char *anorm = NULL;
    size_t anl = 0;
    if ((rc = gz_add_one(g, alias, alen, canon, clen, tk)) < 0)
        goto done;
    if (alen > 512 || (rc = nlu_normalize(&g->mem, alias, alen, &anorm, &anl)) < 0)
        goto done;
    for (size_t k = 0; k < sizeof abbrevs / sizeof abbrevs[0]; k++) {
        size_t fl = strlen(abbrevs[k].full), al = strlen(abbrevs[k].abbr);
        for (size_t at = 0; at + fl <= anl; at++) {
            if (memcmp(anorm + at, abbrevs[k].full, fl) != 0)
                continue;
            bool left = at == 0 || anorm[at - 1] == ' ';
            bool right = at + fl == anl || !((anorm[at + fl] >= 'a' && anorm[at + fl] <= 'z')
                                             || (unsigned char)anorm[at + fl] >= 0x80);
            if (!left || !right)
                continue;
            char v[600];
            if (anl - fl + al >= sizeof v)
                break;
            memcpy(v, anorm, at);
            memcpy(v + at, abbrevs[k].abbr, al);
            memcpy(v + at + al, anorm + at + fl, anl - at - fl);
            if ((rc = gz_add_one(g, v, anl - fl + al, canon, clen, tk)) < 0)
                goto done;
            break;
        }
    }
done:
    return rc;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const gz_entry *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->nwords != b->nwords)
        return a->nwords < b->nwords ? -1 : 1;
    if (a->wlen[0] != b->wlen[0])
        return a->wlen[0] < b->wlen[0] ? -1 : 1;
    if (a->ncp != b->ncp)
        return a->ncp < b->ncp ? -1 : 1;
    int c = memcmp(a->cp, b->cp, a->ncp * sizeof *a->cp);
    if (c)
        return c;
    return a->order < b->order ? -1 : a->order > b->order ? 1 : 0;
}

static const gz_entry *sort_base;
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int glued_cmp(const void *pa, const void *pb)
{
    const gz_entry *a = &sort_base[*(const uint32_t *)pa], *b = &sort_base[*(const uint32_t *)pb];
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->nwords != b->nwords)
        return a->nwords < b->nwords ? -1 : 1;
    if (a->ncp != b->ncp)
        return a->ncp < b->ncp ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
}

/* Search keys: the sort orders packed into one integer, so a binary search
 * touches 8 bytes per step instead of a whole entry. */
static uint64_t key_words(uint32_t first, int nwords, int w0)
{
    return (uint64_t)first << 24 | (uint64_t)(nwords & 0xFF) << 16 | (uint64_t)(w0 < 0 ? 0 : w0);
}

static uint64_t key_glued(uint32_t first, int nwords, int ncp)
{
    return (uint64_t)first << 24 | (uint64_t)(nwords & 0xFF) << 16 | (uint64_t)(ncp < 0 ? 0 : ncp);
}

/* First index in [lo, hi) whose key is >= key (keys sorted ascending). */
static int lower_key(const uint64_t *keys, int lo, int hi, uint64_t key)
{
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void nlu_gazetteer_free(nlu_gazetteer *g)
{
    if (g == NULL)
        return;
    free(g->e);
    free(g->byg);
    free(g->kw);
    free(g->kg);
    free(g->canon);
    free(g->cue);
    arena_release(&g->mem);
    free(g);
}

/* See nlu.h.  canonical: n_canonical names (NULL entries skipped);
 * aliases_text: "alias<TAB>Canonical" lines, '#' comments, may be NULL; a
 * line without a tab adds a canonical name.  *out: a gazetteer the caller
 * frees with nlu_gazetteer_free().  Errors: PT_ERR_NOMEM. */
int nlu_gazetteer_build(const char *const *canonical, int n_canonical, const char *aliases_text,
                        nlu_gazetteer **out, pt_error *err)
{
    int rc = 0;
    nlu_toks *tk = NULL;
    nlu_gazetteer *g = calloc(1, sizeof *g);
    *out = NULL;
    if (g == NULL || (tk = malloc(sizeof *tk)) == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "gazetteer: out of memory");
        goto done;
    }
    arena_init(&g->mem, 256u << 20);
    for (int i = 0; i < n_canonical; i++) {
        if (canonical == NULL || canonical[i] == NULL)
            continue;
        size_t l = strlen(canonical[i]);
        if ((rc = gz_add(g, canonical[i], l, canonical[i], l, tk)) < 0)
            goto fail;
    }
    for (const char *p = aliases_text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        const char *line = p;
        p = eol ? eol + 1 : p + ll;
        trim(&line, &ll);
        if (ll == 0 || line[0] == '#')
            continue;
        const char *tab = memchr(line, '\t', ll);
        if (tab == NULL) {
            rc = gz_add(g, line, ll, line, ll, tk);
        } else {
            size_t al = (size_t)(tab - line);
            rc = gz_add(g, line, al, tab + 1, ll - al - 1, tk);
            /* the canonical name is matchable too */
            if (rc == 0)
                rc = gz_add(g, tab + 1, ll - al - 1, tab + 1, ll - al - 1, tk);
        }
        if (rc < 0)
            goto fail;
    }
    if (g->n > 1) {
        qsort(g->e, (size_t)g->n, sizeof *g->e, entry_cmp);
        /* drop exact duplicates (same words, same canonical) */
        int w = 1;
        for (int r = 1; r < g->n; r++) {
            gz_entry *a = &g->e[w - 1], *b = &g->e[r];
            if (a->canonical == b->canonical && a->ncp == b->ncp && a->nwords == b->nwords
                && memcmp(a->cp, b->cp, a->ncp * sizeof *a->cp) == 0
                && memcmp(a->wlen, b->wlen, sizeof a->wlen) == 0)
                continue;
            g->e[w++] = *b;
        }
        g->n = w;
    }
    /* the glued order; qsort has no context argument, hence the lock */
    g->byg = malloc(((size_t)g->n + 1) * sizeof *g->byg);
    if (g->byg == NULL) {
        rc = -PT_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < g->n; i++)
        g->byg[i] = (uint32_t)i;
    pthread_mutex_lock(&sort_lock);
    sort_base = g->e;
    qsort(g->byg, (size_t)g->n, sizeof *g->byg, glued_cmp);
    sort_base = NULL;
    pthread_mutex_unlock(&sort_lock);
    g->kw = malloc(((size_t)g->n + 1) * sizeof *g->kw);
    g->kg = malloc(((size_t)g->n + 1) * sizeof *g->kg);
    if (g->kw == NULL || g->kg == NULL) {
        rc = -PT_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < g->n; i++) {
        const gz_entry *e = &g->e[i], *f = &g->e[g->byg[i]];
        g->kw[i] = key_words(e->first, e->nwords, e->wlen[0]);
        g->kg[i] = key_glued(f->first, f->nwords, f->ncp);
    }
    g->maxw = 0;
    for (int i = 0; i < g->n; i++)
        if (g->e[i].nwords > g->maxw)
            g->maxw = g->e[i].nwords;
    for (int c = 0; c <= 128; c++) {
        g->aw[c] = lower_key(g->kw, 0, g->n, key_words((uint32_t)c, 0, 0));
        g->ag[c] = lower_key(g->kg, 0, g->n, key_glued((uint32_t)c, 0, 0));
    }
    for (int i = 0; i < g->n; i++) {
        const gz_entry *e = &g->e[i];
        if (e->first >= 128)
            continue;
        g->lw[e->first][e->nwords] |= (uint64_t)1 << (e->wlen[0] < 63 ? e->wlen[0] : 63);
        g->lg[e->first][e->nwords] |= (uint64_t)1 << (e->ncp < 63 ? e->ncp : 63);
    }
    *out = g;
    g = NULL;
    goto done;
fail:
    if (rc == -PT_ERR_NOMEM)
        pt_fail(err, PT_ERR_NOMEM, "gazetteer: out of memory");
done:
    nlu_gazetteer_free(g);
    free(tk);
    return rc;
}

static int cue_cmp(const void *pa, const void *pb)
{
    const gz_cue *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->kind < b->kind ? -1 : a->kind > b->kind ? 1 : 0;
}

/* Whether g already has cue c (same kind, same tokens). */
static bool cue_known(const nlu_gazetteer *g, const gz_cue *c)
{
    for (int i = 0; i < g->ncue; i++) {
        const gz_cue *o = &g->cue[i];
        if (o->key != c->key || o->kind != c->kind || o->ntok != c->ntok)
            continue;
        bool same = true;
        for (int q = 0; q < c->ntok && same; q++)
            same = o->len[q] == c->len[q] && memcmp(o->tok[q], c->tok[q], c->len[q]) == 0;
        if (same)
            return true;
    }
    return false;
}

/* Adds the '|'-separated phrases of text as cues of kind (an nlu_loc_cue
 * or GZ_PERIOD_KIND), keyed by their first token when key_first, else by
 * their last.  The phrases are normalised into g's arena. */
static int cues_add(nlu_gazetteer *g, int kind, bool key_first, const char *text, pt_error *err)
{
    int rc = 0;
    nlu_toks *tk = NULL;
    if (g == NULL || text == NULL)
        goto done;
    if ((tk = malloc(sizeof *tk)) == NULL) {
        rc = -PT_ERR_NOMEM;
        goto fail;
    }
    for (const char *p = text; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        const char *ph = p;
        char *norm = NULL;
        size_t nl = 0;
        p = bar ? bar + 1 : p + n;
        if (n == 0 || n > 256)
            continue;
        if ((rc = nlu_normalize(&g->mem, ph, n, &norm, &nl)) < 0)
            goto fail;
        nlu_tokenize(tk, norm, nl);
        if (tk->n == 0 || tk->n > GZ_CUE_TOKS)
            continue;
        gz_cue c;
        memset(&c, 0, sizeof c);
        c.kind = (uint8_t)kind;
        c.ntok = (uint8_t)tk->n;
        for (int q = 0; q < tk->n; q++) {
            c.hash[q] = tk->t[q].hash;
            c.len[q] = tk->t[q].len;
            c.tok[q] = norm + tk->t[q].off;
        }
        c.key = key_first ? c.hash[0] : c.hash[c.ntok - 1];
        if (cue_known(g, &c))
            continue;
        if (g->ncue == g->capcue) {
            int ncap = g->capcue ? g->capcue * 2 : 64;
            gz_cue *nc = realloc(g->cue, (size_t)ncap * sizeof *nc);
            if (nc == NULL) {
                rc = -PT_ERR_NOMEM;
                goto fail;
            }
            g->cue = nc;
            g->capcue = ncap;
        }
        g->cue[g->ncue++] = c;
    }
    if (g->ncue > 1)
        qsort(g->cue, (size_t)g->ncue, sizeof *g->cue, cue_cmp);
    goto done;
fail:
    if (rc == -PT_ERR_NOMEM)
        pt_fail(err, PT_ERR_NOMEM, "gazetteer: out of memory");
done:
    free(tk);
    return rc;
}

/* See nlu.h. */
int nlu_gazetteer_add_cues(nlu_gazetteer *g, nlu_loc_cue kind, const char *text, pt_error *err)
{
    if ((unsigned)kind >= NLU_LOC__COUNT)
        return 0;
    return cues_add(g, (int)kind, kind == NLU_LOC_NOT_AFTER, text, err);
}

/* See nlu.h. */
int nlu_gazetteer_add_period_cues(nlu_gazetteer *g, rent_period p, const char *text,
                                  pt_error *err)
{
    if (p != PERIOD_MONTH && p != PERIOD_YEAR)
        return 0;
    return cues_add(g, GZ_PERIOD_KIND(p), true, text, err);
}

/* ---- matching --------------------------------------------------------- */

typedef struct mword {
    int tok;              /* token index */
    int cps, ncp;         /* offset and length in the code point buffer */
    bool brk;             /* a punctuation mark separates it from the previous word */
    int8_t stop;          /* a common word (1), not (0), not looked up yet (-1) */
} mword;

static bool is_stop(mword *m, const nlu_toks *tk)
{
    if (m->stop < 0) {
        const lex_item *sw;
        m->stop = lex_match(&stop_lex, tk, m->tok, &sw) == 1;
    }
    return m->stop;
}

/* Whether the length mask m (see nlu_gazetteer.lw) has a length within 2
 * of x (x >= 0; bit 63 stands for 63 and more). */
static inline bool len_near(uint64_t m, int x)
{
    if (x < 2)
        return (m & (((uint64_t)1 << (x + 3)) - 1)) != 0;
    if (x >= 61)
        return (m >> (x - 2 < 63 ? x - 2 : 63)) != 0;
    return ((m >> (x - 2)) & 0x1F) != 0;
}

typedef struct best_match {
    const gz_entry *e;
    int cov, dist;
} best_match;

static void consider(best_match *b, const gz_entry *e, int cov, int dist)
{
    if (cov > b->cov || (cov == b->cov && dist < b->dist)
        || (cov == b->cov && dist == b->dist && e->order < b->e->order)) {
        b->e = e;
        b->cov = cov;
        b->dist = dist;
    }
}

/* Called for each locality found, in order: its canonical name and the
 * tokens [tok, end) it covers.  Returns false to stop the walk. */
typedef bool (*gz_take)(void *ud, const char *canonical, int tok, int end);

/* Finds the localities of tk word by word (the matching of the file
 * comment) and hands each to take. */
static void gz_walk(const nlu_gazetteer *g, const nlu_toks *tk, gz_take take, void *ud)
{
    pthread_once(&stop_once, stop_init);
    uint32_t cps[GZ_MSG_CPS];
    mword w[NLU_MAX_TOKS];
    int nw = 0, ncps = 0;
    bool brk = true;
    for (int i = 0; i < tk->n; i++) {
        const nlu_tok *t = &tk->t[i];
        if (t->kind == TK_PUNCT || (t->flags & (TF_PHONE | TF_EMAIL))) {
            if (!joiner(tk, i))
                brk = true;
            continue;
        }
        if (ncps + GZ_MAX_WORD_CPS + 1 > GZ_MSG_CPS)
            break;
        int k = to_cps(tk->s + t->off, t->len, cps + ncps, GZ_MAX_WORD_CPS + 1);
        w[nw].tok = i;
        w[nw].cps = ncps;
        w[nw].ncp = k;
        w[nw].brk = brk;
        w[nw].stop = -1;
        nw++;
        ncps += k;
        brk = false;
    }

    for (int i = 0; i < nw;) {
        best_match best = {NULL, 0, 0};
        uint32_t c0 = cps[w[i].cps];
        /* the entries starting with this letter, in both orders */
        int wlo, whi, glo, ghi;
        if (c0 < 128) {
            wlo = g->aw[c0];
            whi = g->aw[c0 + 1];
            glo = g->ag[c0];
            ghi = g->ag[c0 + 1];
        } else {
            wlo = lower_key(g->kw, 0, g->n, key_words(c0, 0, 0));
            whi = lower_key(g->kw, wlo, g->n, key_words(c0 + 1, 0, 0));
            glo = lower_key(g->kg, 0, g->n, key_glued(c0, 0, 0));
            ghi = lower_key(g->kg, glo, g->n, key_glued(c0 + 1, 0, 0));
        }
        if (wlo >= whi) {
            i++;
            continue;
        }
        int glen = 0;
        int kmax = g->maxw + 1 < GZ_MAX_JOIN ? g->maxw + 1 : GZ_MAX_JOIN;
        for (int k = 1; k <= kmax && i + k - 1 < nw; k++) {
            const mword *last = &w[i + k - 1];
            if ((k > 1 && last->brk) || last->ncp > GZ_MAX_WORD_CPS)
                break;
            glen += last->ncp;
            if (k < best.cov)
                continue;
            const uint32_t *gs = cps + w[i].cps;   /* words i..i+k-1, glued */
            uint64_t msig = 0;   /* computed when a candidate needs it */
            bool have_sig = false;
#define MSIG() (have_sig ? msig : (have_sig = true, msig = bigram_sig(gs, glen)))
            /* word by word against entries of k words */
            int m0 = w[i].ncp;
            uint64_t kend = key_words(c0, k, m0 + 2);
            bool none = c0 < 128 && !len_near(g->lw[c0][k], m0);
            for (int x = none ? whi : lower_key(g->kw, wlo, whi, key_words(c0, k, m0 - 2));
                 x < whi; x++) {
                if (g->kw[x] > kend)
                    break;
                const gz_entry *e = &g->e[x];
                int diff = glen > e->ncp ? glen - e->ncp : e->ncp - glen;
                int tot = (k == 1 && is_stop(&w[i], tk)) ? 0 : e->thr_sum;
                if (diff > tot || !sig_ok(MSIG(), e->sig, tot))
                    continue;
                int dist = 0;
                bool ok = true;
                for (int q = 0; q < k && ok; q++) {
                    const mword *m = &w[i + q];
                    int thr = (k == 1 && is_stop(&w[i + q], tk)) ? 0 : thr_for(e->wlen[q]);
                    int d = nlu_edit_distance(cps + m->cps, m->ncp, e->cp + e->wstart[q],
                                              e->wlen[q], thr);
                    ok = d <= thr;
                    dist += d;
                }
                if (ok)
                    consider(&best, e, k, dist);
            }
            /* glued against entries of k-1 or k+1 words: one word boundary
             * typed differently ("white field", "dubaimarina") */
            for (int ew = k - 1; ew <= k + 1; ew += 2) {
                if (ew < 1 || ew > GZ_MAX_WORDS)
                    continue;
                if (c0 < 128 && !len_near(g->lg[c0][ew], glen))
                    continue;
                uint64_t gend = key_glued(c0, ew, glen + 2);
                for (int x = lower_key(g->kg, glo, ghi, key_glued(c0, ew, glen - 2)); x < ghi; x++) {
                    if (g->kg[x] > gend)
                        break;
                    const gz_entry *e = &g->e[g->byg[x]];
                    int diff = glen > e->ncp ? glen - e->ncp : e->ncp - glen;
                    int thr = (k == 1 && is_stop(&w[i], tk)) ? 0 : e->thr_joined;
                    if (diff > thr || !sig_ok(MSIG(), e->sig, thr))
                        continue;
                    int dist = nlu_edit_distance(gs, glen, e->cp, e->ncp, thr);
                    if (dist <= thr)
                        consider(&best, e, k, dist);
                }
            }
        }
#undef MSIG
        if (best.e == NULL) {
            i++;
            continue;
        }
        if (!take(ud, best.e->canonical, w[i].tok, w[i + best.cov - 1].tok + 1))
            break;
        i += best.cov;
    }
}

/* nlu_gazetteer_scan's list: distinct names, at most max. */
typedef struct gz_names {
    const char **names;
    int n, max;
} gz_names;

static bool take_name(void *ud, const char *canonical, int tok, int end)
{
    gz_names *l = ud;
    (void)tok;
    (void)end;
    for (int k = 0; k < l->n; k++)
        if (l->names[k] == canonical)
            return true;
    l->names[l->n++] = canonical;
    return l->n < l->max;
}

int nlu_gazetteer_scan(const nlu_gazetteer *g, const nlu_toks *tk, const char **names, int max)
{
    gz_names l = {names, 0, max};
    if (g == NULL || g->n == 0 || max <= 0)
        return 0;
    gz_walk(g, tk, take_name, &l);
    return l.n;
}

/* ---- wanted or excluded ------------------------------------------------ */

/* Whether the tokens of c are tk's from token `from` on. */
static bool cue_at(const gz_cue *c, const nlu_toks *tk, int from)
{
    if (from < 0 || from + c->ntok > tk->n)
        return false;
    for (int q = 0; q < c->ntok; q++) {
        const nlu_tok *t = &tk->t[from + q];
        if (t->hash != c->hash[q] || t->len != c->len[q]
            || memcmp(tk->s + t->off, c->tok[q], t->len) != 0)
            return false;
    }
    return true;
}

/* Index of the first cue of g whose key is >= key. */
static int cue_lower(const nlu_gazetteer *g, uint32_t key)
{
    int lo = 0, hi = g->ncue;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (g->cue[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The side the cues before the locality at token `tok` give it: the
 * longest NOT or KEEP phrase ending at tok - 1 (KEEP wins a tie).  1:
 * excluded, 0: kept wanted, -1: no such phrase. */
static int cue_before(const nlu_gazetteer *g, const nlu_toks *tk, int tok)
{
    int last = tok - 1, best = 0, side = -1;
    if (last < 0)
        return -1;
    uint32_t key = tk->t[last].hash;
    for (int i = cue_lower(g, key); i < g->ncue && g->cue[i].key == key; i++) {
        const gz_cue *c = &g->cue[i];
        if (c->kind != NLU_LOC_NOT && c->kind != NLU_LOC_KEEP)
            continue;
        if (c->ntok < best || (c->ntok == best && c->kind == NLU_LOC_NOT))
            continue;
        if (cue_at(c, tk, last - c->ntok + 1)) {
            best = c->ntok;
            side = c->kind == NLU_LOC_NOT;
        }
    }
    return side;
}

/* See entities_int.h: the longest period phrase starting at token i. */
rent_period nlu_gazetteer_period_at(const nlu_gazetteer *g, const nlu_toks *tk, int i, int max_tok,
                                    int *ntok)
{
    rent_period p = PERIOD_NONE;
    int best = 0;
    if (g == NULL || g->ncue == 0 || i < 0 || i >= tk->n)
        goto done;
    uint32_t key = tk->t[i].hash;
    for (int k = cue_lower(g, key); k < g->ncue && g->cue[k].key == key; k++) {
        const gz_cue *c = &g->cue[k];
        if (c->kind <= NLU_LOC__COUNT || c->kind >= GZ_PERIOD_KIND(PERIOD__COUNT) || c->ntok <= best
            || c->ntok > max_tok)
            continue;
        if (cue_at(c, tk, i)) {
            best = c->ntok;
            p = (rent_period)(c->kind - NLU_LOC__COUNT);
        }
    }
done:
    if (ntok)
        *ntok = best;
    return p;
}

/* Whether a cue of this kind ends at token `last` (of ntok tokens; 0: any
 * length). */
static bool cue_ends_at(const nlu_gazetteer *g, const nlu_toks *tk, nlu_loc_cue kind, int last,
                        int ntok)
{
    if (last < 0 || last >= tk->n)
        return false;
    uint32_t key = tk->t[last].hash;
    for (int i = cue_lower(g, key); i < g->ncue && g->cue[i].key == key; i++) {
        const gz_cue *c = &g->cue[i];
        if (c->kind == kind && (ntok == 0 || c->ntok == ntok) && cue_at(c, tk, last - c->ntok + 1))
            return true;
    }
    return false;
}

/* Whether an AND phrase is exactly the tokens [from, to). */
static bool cue_and(const nlu_gazetteer *g, const nlu_toks *tk, int from, int to)
{
    return to - from >= 1 && to - from <= GZ_CUE_TOKS
           && cue_ends_at(g, tk, NLU_LOC_AND, to - 1, to - from);
}

/* Whether a NOT_BARE phrase ("no", "نه") ends right before token `tok`. */
static bool cue_bare_before(const nlu_gazetteer *g, const nlu_toks *tk, int tok)
{
    return cue_ends_at(g, tk, NLU_LOC_NOT_BARE, tok - 1, 0);
}

/* Whether a NOT_AFTER phrase starts at token `end` and is followed by the
 * end of the message or by punctuation other than a question mark. */
static bool cue_after(const nlu_gazetteer *g, const nlu_toks *tk, int end)
{
    if (end >= tk->n)
        return false;
    uint32_t key = tk->t[end].hash;
    for (int i = cue_lower(g, key); i < g->ncue && g->cue[i].key == key; i++) {
        const gz_cue *c = &g->cue[i];
        if (c->kind != NLU_LOC_NOT_AFTER || !cue_at(c, tk, end))
            continue;
        int next = end + c->ntok;
        if (next >= tk->n)
            return true;
        if (tk->t[next].kind == TK_PUNCT && !nlu_tok_punct(tk, next, '?')
            && !(tk->t[next].len == 2 && memcmp(tk->s + tk->t[next].off, "\xd8\x9f", 2) == 0))
            return true;
    }
    return false;
}

/* The walk of nlu_gazetteer_scan_sides: each distinct name with the side
 * of its last mention, in order of first mention. */
#define GZ_SIDE_NAMES (2 * NLU_MAX_LOCATIONS)
typedef struct gz_sides {
    const nlu_gazetteer *g;
    const nlu_toks *tk;
    const char *name[GZ_SIDE_NAMES];
    bool excluded[GZ_SIDE_NAMES];
    int n;
    int prev_end;             /* tokens after the previous mention, -1 before the first */
    bool prev_excluded;
    int bare;                 /* name index of the previous mention, after a bare "no"
                                 and not yet excluded; -1: none */
} gz_sides;

static bool take_side(void *ud, const char *canonical, int tok, int end)
{
    gz_sides *sd = ud;
    bool ex = false, bare = false;
    if (sd->bare >= 0 && sd->name[sd->bare] != canonical) {
        /* "no Marina, JVC": another area follows, so "no" ruled Marina out */
        sd->excluded[sd->bare] = true;
        sd->prev_excluded = true;
    }
    sd->bare = -1;
    if (sd->g->ncue > 0) {
        int before = cue_before(sd->g, sd->tk, tok);
        if (before >= 0)
            ex = before == 1;
        else if (sd->prev_excluded && sd->prev_end >= 0 && cue_and(sd->g, sd->tk, sd->prev_end, tok))
            ex = true;
        else if (cue_after(sd->g, sd->tk, end))
            ex = true;
        else if (cue_bare_before(sd->g, sd->tk, tok)) {
            /* "no Marina no JVC": out when the one before is; else what
             * follows decides (another area: out; nothing: wanted) */
            ex = sd->prev_excluded;
            bare = !ex;
        }
    }
    sd->prev_end = end;
    sd->prev_excluded = ex;
    int k = 0;
    while (k < sd->n && sd->name[k] != canonical)
        k++;
    if (k == sd->n) {
        sd->name[sd->n] = canonical;
        sd->n++;
    }
    sd->excluded[k] = ex;
    if (bare)
        sd->bare = k;
    return sd->n < GZ_SIDE_NAMES;
}

void nlu_gazetteer_scan_sides(const nlu_gazetteer *g, const nlu_toks *tk, const char **wanted,
                              int *n_wanted, const char **excluded, int *n_excluded, int max)
{
    gz_sides sd;
    *n_wanted = *n_excluded = 0;
    if (g == NULL || g->n == 0 || max <= 0)
        return;
    sd.g = g;
    sd.tk = tk;
    sd.n = 0;
    sd.prev_end = -1;
    sd.prev_excluded = false;
    sd.bare = -1;
    gz_walk(g, tk, take_side, &sd);
    for (int k = 0; k < sd.n; k++) {
        if (sd.excluded[k] && *n_excluded < max)
            excluded[(*n_excluded)++] = sd.name[k];
        else if (!sd.excluded[k] && *n_wanted < max)
            wanted[(*n_wanted)++] = sd.name[k];
    }
}

int nlu_gazetteer_match(const nlu_gazetteer *g, const char *norm, size_t len, const char **names,
                        int max)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, len);
    return nlu_gazetteer_scan(g, &tk, names, max);
}
