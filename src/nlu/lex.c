/*
 * lex.c - the tokenizer and the phrase-lexicon matcher shared by the entity
 * parsers and sentiment (see entities_int.h).
 *
 * Tokens: runs of letters (any script, with combining marks and inner
 * apostrophes), runs of ASCII digits, and single punctuation/symbol code
 * points (emoji included).  Digits split from letters, so "2bhk" is "2" +
 * "bhk" with the second token marked as attached.  The tokenizer accepts any
 * bytes: a byte that does not start valid UTF-8 is a punctuation token.
 *
 * Lexicons are static tables of phrases; lex_build hashes the first token of
 * each phrase (or its stem for "stem*" entries) into a fixed array so a
 * lookup costs one probe per token plus one per distinct stem length.
 *
 * Not for: normalisation (normalize.c) or deciding what a match means.
 */
#include "nlu/entities_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

uint32_t nlu_fnv1a(const char *s, size_t n)
{
    uint32_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* ---- tokenizer --------------------------------------------------------- */

/* Length of the UTF-8 sequence at p (n bytes left) and its code point, or
 * 0 when it is not valid UTF-8. */
static inline size_t dec(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned b = p[0];
    size_t need;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF && n >= 2 && (p[1] & 0xC0) == 0x80) {
        *cp = (uint32_t)(b & 0x1F) << 6 | (p[1] & 0x3F);
        return 2;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1; c = b & 0x1F; min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2; c = b & 0x0F; min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3; c = b & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (n < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return need + 1;
}

/* Punctuation and symbols outside ASCII: each is a token of its own. */
static inline bool is_symbol_cp(uint32_t c)
{
    if (c < 0x600)
        return c <= 0xBF || c == 0xD7 || c == 0xF7;
    if (c < 0x800)
        return c == 0x060C || c == 0x061B || c == 0x061F || (c >= 0x066A && c <= 0x066D)
               || c == 0x06D4;
    return (c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F)
           || (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFE00 && c <= 0xFE0F)
           || (c >= 0xFE10 && c <= 0xFE6F) || (c >= 0xFF01 && c <= 0xFF0F) || c == 0xFFFD
           || (c >= 0x1F000 && c <= 0x1FAFF);
}

static bool is_ascii_letter(unsigned c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline void push(nlu_toks *tk, size_t off, size_t len, int kind, unsigned flags,
                        uint32_t hash)
{
    nlu_tok *t = &tk->t[tk->n++];
    t->off = (uint32_t)off;
    t->len = (uint16_t)len;
    t->kind = (uint8_t)kind;
    t->flags = (uint8_t)flags;
    t->hash = hash;
}

#define FNV_STEP(h, b) ((h) = ((h) ^ (unsigned char)(b)) * FNV_PRIME)

void nlu_tokenize(nlu_toks *tk, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    if (s == NULL)
        len = 0;
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    tk->s = s;
    tk->len = len;
    tk->n = 0;
    unsigned flags = TF_SPACE;
    size_t i = 0;
    while (i < len && tk->n < NLU_MAX_TOKS) {
        unsigned c = p[i];
        if (c <= 0x20 || c == 0x7F) {
            flags = TF_SPACE;
            i++;
            continue;
        }
        uint32_t h = FNV_OFFSET;
        if (c >= '0' && c <= '9') {
            size_t st = i;
            while (i < len && p[i] >= '0' && p[i] <= '9' && i - st < 0xFFFF)
                FNV_STEP(h, p[i++]);
            push(tk, st, i - st, TK_NUM, flags, h);
            flags = 0;
            continue;
        }
        uint32_t cp;
        size_t n = dec(p + i, len - i, &cp);
        bool letter = n > 0 && (c < 0x80 ? is_ascii_letter(c) : !is_symbol_cp(cp));
        if (!letter) {
            size_t w = n ? n : 1;
            if (n && (cp == 0xA0 || cp == 0x202F || (cp >= 0x2000 && cp <= 0x200B)
                      || cp == 0x3000)) {
                flags = TF_SPACE;   /* raw-text spaces (fuzzers, sentiment) */
            } else {
                for (size_t k = 0; k < w; k++)
                    FNV_STEP(h, p[i + k]);
                push(tk, i, w, TK_PUNCT, flags, h);
                flags = 0;
            }
            i += w;
            continue;
        }
        /* a word: letters, combining marks, inner apostrophes */
        size_t st = i;
        while (i < len && i - st < 0xFF00) {
            unsigned d = p[i];
            if (d < 0x80) {
                if (is_ascii_letter(d)
                    || (d == '\'' && i + 1 < len && i > st && is_ascii_letter(p[i + 1]))) {
                    FNV_STEP(h, d);
                    i++;
                    continue;
                }
                break;
            }
            size_t m = dec(p + i, len - i, &cp);
            if (m == 0 || is_symbol_cp(cp))
                break;
            for (size_t k = 0; k < m; k++)
                FNV_STEP(h, p[i + k]);
            i += m;
        }
        push(tk, st, i - st, TK_WORD, flags, h);
        flags = 0;
    }
}

bool nlu_tok_is(const nlu_toks *tk, int i, const char *w)
{
    if (i < 0 || i >= tk->n)
        return false;
    size_t n = strlen(w);
    return tk->t[i].len == n && memcmp(tk->s + tk->t[i].off, w, n) == 0;
}

bool nlu_tok_punct(const nlu_toks *tk, int i, char c)
{
    return i >= 0 && i < tk->n && tk->t[i].kind == TK_PUNCT && tk->t[i].len == 1
           && tk->s[tk->t[i].off] == c;
}

int64_t nlu_tok_num(const nlu_toks *tk, int i)
{
    if (i < 0 || i >= tk->n || tk->t[i].kind != TK_NUM || tk->t[i].len > 18)
        return -1;
    int64_t v = 0;
    const char *s = tk->s + tk->t[i].off;
    for (int k = 0; k < tk->t[i].len; k++)
        v = v * 10 + (s[k] - '0');
    return v;
}

/* ---- lexicons ------------------------------------------------------------ */

/* Length of the first token of a phrase (up to the first space). */
static size_t first_len(const char *ph)
{
    size_t n = 0;
    while (ph[n] && ph[n] != ' ')
        n++;
    return n;
}

/* Tables built so far, for lex_each_phrase. */
#define LEX_MAX_TABLES 16
static const lex_table *registry[LEX_MAX_TABLES];
static int n_registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

void lex_each_phrase(void (*fn)(const char *phrase, void *ud), void *ud)
{
    pthread_mutex_lock(&registry_lock);
    for (int r = 0; r < n_registry; r++)
        for (int k = 0; k < registry[r]->n; k++)
            fn(registry[r]->items[k].phrase, ud);
    pthread_mutex_unlock(&registry_lock);
}

void lex_build(lex_table *t, const lex_item *items, int n)
{
    if (n > LEX_MAX_ITEMS)
        abort();   /* a table outgrew LEX_MAX_ITEMS: a programming error */
    t->items = items;
    t->n = n;
    t->stem_lens = 0;
    t->stem_max = 0;
    memset(t->stem_first, 0, sizeof t->stem_first);
    for (int s = 0; s < LEX_SLOTS; s++)
        t->head[s] = -1;
    /* insert in reverse so each chain lists items in table order */
    for (int k = n - 1; k >= 0; k--) {
        const char *ph = items[k].phrase;
        size_t fl = first_len(ph);
        if (fl > 0 && ph[fl - 1] == '*') {
            fl--;
            if (fl > 0 && fl < 64) {
                unsigned char b0 = (unsigned char)ph[0];
                t->stem_lens |= (uint64_t)1 << fl;
                t->stem_first[b0 >> 6] |= (uint64_t)1 << (b0 & 63);
                if ((int)fl > t->stem_max)
                    t->stem_max = (int)fl;
            }
        }
        uint32_t h = nlu_fnv1a(ph, fl);
        t->key[k] = h;
        t->next[k] = t->head[h % LEX_SLOTS];
        t->head[h % LEX_SLOTS] = (int16_t)k;
    }
    pthread_mutex_lock(&registry_lock);
    if (n_registry < LEX_MAX_TABLES)
        registry[n_registry++] = t;
    pthread_mutex_unlock(&registry_lock);
}

/* Do the phrase's tokens match the message from token i (its first skip
 * bytes left out)?  Returns the number of tokens covered, or 0. */
static int phrase_at(const char *ph, const nlu_toks *tk, int i, size_t skip)
{
    int covered = 0;
    const char *p = ph;
    while (*p) {
        size_t pl = first_len(p);
        bool stem = pl > 0 && p[pl - 1] == '*';
        size_t cl = stem ? pl - 1 : pl;
        int j = i + covered;
        if (j >= tk->n || (tk->t[j].flags & (TF_PHONE | TF_EMAIL)))
            return 0;
        const nlu_tok *t = &tk->t[j];
        size_t off = t->off, tl = t->len;
        if (covered == 0) {
            off += skip;
            tl -= skip;
        }
        if (stem ? tl < cl : tl != cl)
            return 0;
        if (memcmp(tk->s + off, p, cl) != 0)
            return 0;
        covered++;
        p += pl;
        if (*p == ' ')
            p++;
    }
    return covered;
}

static void probe(const lex_table *t, uint32_t h, const nlu_toks *tk, int i, size_t skip,
                  unsigned mask, int *best, const lex_item **out)
{
    for (int k = t->head[h % LEX_SLOTS]; k >= 0; k = t->next[k]) {
        if (t->key[k] != h)
            continue;
        const lex_item *it = &t->items[k];
        if (it->cat < 0 || it->cat >= 32 || !(mask & (1u << it->cat)))
            continue;
        int c = phrase_at(it->phrase, tk, i, skip);
        if (c > *best || (c == *best && c > 0 && it < *out)) {
            *best = c;
            *out = it;
        }
    }
}

int lex_match_cat_from(const lex_table *t, const nlu_toks *tk, int i, size_t skip,
                       unsigned catmask, const lex_item **out)
{
    int best = 0;
    *out = NULL;
    if (i < 0 || i >= tk->n || (tk->t[i].flags & (TF_PHONE | TF_EMAIL)) || skip >= tk->t[i].len)
        return 0;
    const nlu_tok *tok = &tk->t[i];
    const char *s = tk->s + tok->off + skip;
    size_t len = tok->len - skip;
    probe(t, skip ? nlu_fnv1a(s, len) : tok->hash, tk, i, skip, catmask, &best, out);
    unsigned char b0 = (unsigned char)s[0];
    if (t->stem_lens && tok->kind == TK_WORD
        && (t->stem_first[b0 >> 6] & ((uint64_t)1 << (b0 & 63)))) {
        uint32_t h = FNV_OFFSET;
        size_t lim = len < (size_t)t->stem_max ? len : (size_t)t->stem_max;
        for (size_t l = 1; l <= lim; l++) {
            h ^= (unsigned char)s[l - 1];
            h *= FNV_PRIME;
            if (t->stem_lens & ((uint64_t)1 << l))
                probe(t, h, tk, i, skip, catmask, &best, out);
        }
    }
    return best;
}

int lex_match_cat(const lex_table *t, const nlu_toks *tk, int i, unsigned catmask,
                  const lex_item **out)
{
    return lex_match_cat_from(t, tk, i, 0, catmask, out);
}

int lex_match(const lex_table *t, const nlu_toks *tk, int i, const lex_item **out)
{
    return lex_match_cat(t, tk, i, ~0u, out);
}

/* ---- memoised lookups ---------------------------------------------------- */

void lex_cache_init(lex_cache *c, const lex_table *t, const nlu_toks *tk)
{
    c->t = t;
    c->tk = tk;
    c->npool = 0;
    memset(c->done, 0, (size_t)tk->n);
}

/* Collects the items whose first token (or stem) matches token i. */
void lex_cache_fill(lex_cache *c, int i)
{
    const lex_table *t = c->t;
    const nlu_toks *tk = c->tk;
    const nlu_tok *tok = &tk->t[i];
    int n = 0, base = c->npool;
    c->cats[i] = 0;
    int cap = (int)(sizeof c->pool / sizeof c->pool[0]) - base;
    if (cap > LEX_CACHE_PER_TOK)
        cap = LEX_CACHE_PER_TOK;
    uint32_t hs[65];
    int nh = 0;
    hs[nh++] = tok->hash;
    const char *s = tk->s + tok->off;
    unsigned char b0 = (unsigned char)s[0];
    if (t->stem_lens && tok->kind == TK_WORD
        && (t->stem_first[b0 >> 6] & ((uint64_t)1 << (b0 & 63)))) {
        uint32_t h = FNV_OFFSET;
        size_t lim = tok->len < (size_t)t->stem_max ? tok->len : (size_t)t->stem_max;
        for (size_t l = 1; l <= lim; l++) {
            h ^= (unsigned char)s[l - 1];
            h *= FNV_PRIME;
            if ((t->stem_lens & ((uint64_t)1 << l)) && h != tok->hash)
                hs[nh++] = h;
        }
    }
    for (int q = 0; q < nh; q++)
        for (int k = t->head[hs[q] % LEX_SLOTS]; k >= 0; k = t->next[k]) {
            if (t->key[k] != hs[q])
                continue;
            if (n >= cap) {
                c->done[i] = 2;
                c->cats[i] = ~0u;
                return;
            }
            c->pool[base + n++] = (int16_t)k;
            int cat = t->items[k].cat;
            if (cat >= 0 && cat < 32)
                c->cats[i] |= 1u << cat;
        }
    c->start[i] = (uint16_t)base;
    c->cnt[i] = (uint8_t)n;
    c->npool += n;
    c->done[i] = 1;
}

int lex_cmatch_slow(lex_cache *c, int i, unsigned catmask, const lex_item **out)
{
    const nlu_toks *tk = c->tk;
    *out = NULL;
    if (tk->t[i].flags & (TF_PHONE | TF_EMAIL))
        return 0;
    if (c->done[i] == 2)
        return lex_match_cat(c->t, tk, i, catmask, out);
    int best = 0;
    for (int q = 0; q < c->cnt[i]; q++) {
        const lex_item *it = &c->t->items[c->pool[c->start[i] + q]];
        if (it->cat < 0 || it->cat >= 32 || !(catmask & (1u << it->cat)))
            continue;
        int m = phrase_at(it->phrase, tk, i, 0);
        if (m > best || (m == best && m > 0 && it < *out)) {
            best = m;
            *out = it;
        }
    }
    return best;
}
