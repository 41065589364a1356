/*
 * locality.c - a tenant's gazetteer of localities and the matcher that
 * finds them in a normalised message (CONTRACT.md §4 "locations").
 *
 * Every canonical name and every alias ("jvc\tJumeirah Village Circle",
 * "دبي مارينا\tDubai Marina", "Дубай Марина\tDubai Marina") becomes an entry:
 * its words after nlu_normalize, as code points, pointing at the interned
 * canonical name.  Entries are sorted by their first code point, so the
 * candidates for a message word are one binary search away and a length
 * filter discards most of them before any edit distance is computed: no
 * scan of the whole gazetteer per token.
 *
 * Matching at each message word, longest first:
 *   - word by word: the next n message words against an n-word entry, each
 *     within a Damerau (optimal string alignment) distance scaled to the
 *     entry word's length: up to 4 code points exact, 5-8 one edit, more
 *     than 8 two edits ("whitfield" -> Whitefield, "marthahalli" ->
 *     Marathahalli, "дубай марине" -> Dubai Marina);
 *   - joined: k message words glued together against the entry glued
 *     together, for names split or merged differently ("white field",
 *     "dubaimarina"), within the distance allowed for the glued length.
 * Hyphens and apostrophes between words are ignored ("al-barsha").  The
 * longest match wins, then the smallest distance.  A common word (price,
 * villa, please...) matches a one-word entry only exactly.  Results come in
 * order of appearance, without duplicates, at most `max`.
 *
 * Memory: the gazetteer owns everything (an arena for strings and code
 * points, one heap array of entries).  Immutable after building, so any
 * number of threads may match with it at once.
 *
 * Not for: geography (no cities, no coordinates) or listing search.
 */
#include "nlu/entities_int.h"

#include <stdlib.h>
#include <string.h>

#define GZ_MAX_WORDS 8
#define GZ_MAX_WORD_CPS 48
#define GZ_MAX_CPS 160        /* code points of one entry, joined */
#define GZ_MAX_JOIN 4         /* message words glued together at most */
#define GZ_MSG_CPS 4096       /* code points of a message considered */

typedef struct gz_entry {
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

typedef struct gz_canon {
    const char *key;          /* normalised canonical name */
    const char *name;         /* as first given */
} gz_canon;

struct nlu_gazetteer {
    arena mem;
    gz_entry *e;
    int n, cap;
    gz_canon *canon;          /* open addressing on key, size ccap (power of 2) */
    int ncanon, ccap;
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
    /* three rows: i-2, i-1, i */
    int r0[GZ_MAX_CPS + 1], r1[GZ_MAX_CPS + 1], r2[GZ_MAX_CPS + 1];
    int *pp = r0, *prev = r1, *cur = r2;
    for (int j = 0; j <= nb; j++)
        prev[j] = j;
    for (int i = 1; i <= na; i++) {
        cur[0] = i;
        int rowmin = cur[0];
        for (int j = 1; j <= nb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (prev[j - 1] + cost < v)
                v = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
                && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] > max ? max + 1 : prev[nb];
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

static bool sig_ok(uint64_t a, uint64_t b, int thr)
{
    return __builtin_popcountll(a & ~b) <= 3 * thr && __builtin_popcountll(b & ~a) <= 3 * thr;
}

/* Common words that must not fuzzily become a one-word locality. */
static const char *const stopwords[] = {
    "about", "above", "after", "again", "agent", "along", "amenities", "apartment",
    "apartments", "around", "available", "before", "below", "between", "bigger", "budget",
    "building", "call", "center", "centre", "cheap", "cheaper", "close", "could", "evening",
    "flats", "garden", "great", "hello", "house", "large", "later", "living", "location",
    "looking", "market", "metro", "million", "month", "morning", "near", "nearby", "other",
    "place", "please", "price", "prices", "property", "rental", "schools", "should", "small",
    "thanks", "there", "these", "thing", "think", "those", "today", "tower", "towers", "under",
    "villa", "villas", "where", "which", "would", "years",
};

static bool is_stopword(const char *s, size_t n)
{
    size_t lo = 0, hi = sizeof stopwords / sizeof stopwords[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *w = stopwords[mid];
        size_t wl = strlen(w);
        int c = memcmp(s, w, n < wl ? n : wl);
        if (c == 0)
            c = n < wl ? -1 : n > wl ? 1 : 0;
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
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
static int gz_add(nlu_gazetteer *g, const char *alias, size_t alen, const char *canon, size_t clen,
                  nlu_toks *tk)
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

static int entry_cmp(const void *pa, const void *pb)
{
    const gz_entry *a = pa, *b = pb;
    if (a->cp[0] != b->cp[0])
        return a->cp[0] < b->cp[0] ? -1 : 1;
    if (a->nwords != b->nwords)
        return a->nwords < b->nwords ? -1 : 1;
    if (a->ncp != b->ncp)
        return a->ncp < b->ncp ? -1 : 1;
    int c = memcmp(a->cp, b->cp, a->ncp * sizeof *a->cp);
    if (c)
        return c;
    if (a->nwords != b->nwords)
        return a->nwords < b->nwords ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order ? 1 : 0;
}

void nlu_gazetteer_free(nlu_gazetteer *g)
{
    if (g == NULL)
        return;
    free(g->e);
    free(g->canon);
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

/* ---- matching --------------------------------------------------------- */

typedef struct mword {
    int tok;              /* token index */
    int cps, ncp;         /* offset and length in the code point buffer */
    bool brk;             /* a punctuation mark separates it from the previous word */
    bool stop;            /* a common word */
} mword;

/* First entry whose (first code point, words, length) is >= (c, nwords, len);
 * the entries are sorted that way. */
static int lower_bound(const nlu_gazetteer *g, uint32_t c, int nwords, int len)
{
    int lo = 0, hi = g->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        const gz_entry *e = &g->e[mid];
        if (e->cp[0] < c
            || (e->cp[0] == c && (e->nwords < nwords || (e->nwords == nwords && (int)e->ncp < len))))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int nlu_gazetteer_scan(const nlu_gazetteer *g, const nlu_toks *tk, const char **names, int max)
{
    int found = 0;
    if (g == NULL || g->n == 0 || max <= 0)
        return 0;
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
        w[nw].stop = is_stopword(tk->s + t->off, t->len);
        nw++;
        ncps += k;
        brk = false;
    }

    for (int i = 0; i < nw && found < max;) {
        const gz_entry *best = NULL;
        int best_cov = 0, best_dist = 0;
        uint32_t c0 = cps[w[i].cps];
        int glen = 0;
        for (int k = 1; k <= GZ_MAX_JOIN && i + k - 1 < nw; k++) {
            const mword *last = &w[i + k - 1];
            if ((k > 1 && last->brk) || last->ncp > GZ_MAX_WORD_CPS)
                break;
            glen += last->ncp;
            if (k < best_cov)
                continue;
            const uint32_t *gs = cps + w[i].cps;   /* words i..i+k-1, glued */
            uint64_t msig = bigram_sig(gs, glen);
            /* entries of k words (word by word), and of k-1 or k+1 words
             * (glued: one word boundary typed differently) */
            for (int ew = k - 1; ew <= k + 1; ew++) {
            if (ew < 1 || ew > GZ_MAX_WORDS)
                continue;
            int win = ew == k ? 2 * k : 2;
            for (int x = lower_bound(g, c0, ew, glen - win); x < g->n; x++) {
                const gz_entry *e = &g->e[x];
                if (e->cp[0] != c0 || e->nwords != ew || e->ncp > glen + win)
                    break;
                int diff = glen > e->ncp ? glen - e->ncp : e->ncp - glen;
                int dist = 0;
                if (e->nwords == k) {
                    /* word by word */
                    int tot = e->thr_sum;
                    if (k == 1 && w[i].stop)
                        tot = 0;
                    if (diff > tot || !sig_ok(msig, e->sig, tot))
                        continue;
                    bool ok = true;
                    for (int q = 0; q < k && ok; q++) {
                        const mword *m = &w[i + q];
                        int thr = thr_for(e->wlen[q]);
                        if (k == 1 && m->stop)
                            thr = 0;
                        int d = nlu_edit_distance(cps + m->cps, m->ncp, e->cp + e->wstart[q],
                                                  e->wlen[q], thr);
                        if (d > thr)
                            ok = false;
                        dist += d;
                    }
                    if (!ok)
                        continue;
                } else {
                    /* glued */
                    int thr = e->thr_joined;
                    if (k == 1 && w[i].stop)
                        thr = 0;
                    if (diff > thr || !sig_ok(msig, e->sig, thr))
                        continue;
                    dist = nlu_edit_distance(gs, glen, e->cp, e->ncp, thr);
                    if (dist > thr)
                        continue;
                }
                if (k > best_cov || (k == best_cov && dist < best_dist)) {
                    best = e;
                    best_cov = k;
                    best_dist = dist;
                }
            }
            }
        }
        if (best == NULL) {
            i++;
            continue;
        }
        bool dup = false;
        for (int k = 0; k < found; k++)
            if (names[k] == best->canonical)
                dup = true;
        if (!dup)
            names[found++] = best->canonical;
        i += best_cov;
    }
    return found;
}

int nlu_gazetteer_match(const nlu_gazetteer *g, const char *norm, size_t len, const char **names,
                        int max)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, len);
    return nlu_gazetteer_scan(g, &tk, names, max);
}
