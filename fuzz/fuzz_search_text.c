/*
 * fuzz_search_text.c - libFuzzer target for the buyer's words as search
 * terms (src/search/text.c): arbitrary bytes as a message and as listing
 * texts.  Terms must be non-empty folded words without quotes or
 * separators, at most SEARCH_MAX_TERMS, unique; the FTS5 query built from
 * them must have balanced quotes and only the OR operator; BM25 scores must
 * be finite and not negative, and zero for a text without the terms.  The
 * fast paths over ASCII words (doc_field, name_holds) must give exactly what
 * the general word splitter gives, and the quick pass before BM25
 * (field_may_hold) never pass over a text that holds a term (the .c is
 * included to reach them).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/text.c"

static const store_locality_stats locs[] = {
    {.locality = "Whitefield"}, {.locality = "Dubai Marina"}, {.locality = "Jumeirah Village Circle"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    search_terms t;
    search_terms_from_text(&t, text, locs, 3);
    if (t.n < 0 || t.n > SEARCH_MAX_TERMS)
        abort();
    for (int i = 0; i < t.n; i++) {
        size_t n = strlen(t.term[i]);
        if (n == 0 || n >= SEARCH_TERM_LEN || strpbrk(t.term[i], "\" *:^()"))
            abort();
        for (int j = 0; j < i; j++)
            if (strcmp(t.term[i], t.term[j]) == 0)
                abort();
        t.rare[i] = i % 2 == 0;
    }
    arena a;
    arena_init(&a, 0);
    for (int rare = 0; rare < 2; rare++) {
        const char *q = search_terms_match(&t, rare, &a);
        if (q == NULL)
            continue;
        int quotes = 0;
        for (const char *p = q; *p; p++)
            quotes += *p == '"';
        if (quotes % 2 || quotes == 0)
            abort();
    }
    /* the same bytes as a listing's texts, and one without the terms */
    listing l, e;
    memset(&l, 0, sizeof l);
    memset(&e, 0, sizeof e);
    l.title = text;
    l.description = text;
    l.amenities = text;
    e.title = "";
    const listing *ls[2] = {&l, &e};
    double sc[2];
    search_text_scores(&t, ls, 2, sc, &a);
    if (!isfinite(sc[0]) || sc[0] < 0 || sc[1] != 0)
        abort();
    /* doc_field against each_word with doc_word, bit for bit */
    size_t tl[SEARCH_MAX_TERMS];
    for (int k = 0; k < t.n; k++)
        tl[k] = strlen(t.term[k]);
    double tf1[SEARCH_MAX_TERMS] = {0}, tf2[SEARCH_MAX_TERMS] = {0};
    doc_ctx d1 = {&t, tl, 2, 0, tf1}, d2 = {&t, tl, 2, 0, tf2};
    doc_field(&d1, text);
    each_word(text, strlen(text), doc_word, &d2);
    if (memcmp(&d1.len, &d2.len, sizeof d1.len) != 0 || memcmp(tf1, tf2, sizeof tf1) != 0)
        abort();
    /* field_may_hold never passes over a text where doc_field found a
     * term of plain letters */
    for (int k = 0; k < t.n; k++) {
        bool letters = true;
        for (size_t j = 0; j < tl[k]; j++)
            letters &= t.term[k][j] >= 'a' && t.term[k][j] <= 'z';
        if (letters && tf1[k] > 0 && !field_may_hold(text, t.term[k], tl[k]))
            abort();
    }
    /* name_holds against each_word with loc_word: the input as a locality
     * name, its own folded words and the terms as the buyer's words */
    const store_locality_stats self[] = {{.locality = text}, {.locality = "Dubai Marina"}};
    for (int k = 0; k < t.n; k++) {
        loc_word_ctx lc = {t.term[k], false};
        each_word(text, strlen(text), loc_word, &lc);
        if (!lc.found) {
            lc.found = false;
            each_word("Dubai Marina", strlen("Dubai Marina"), loc_word, &lc);
        }
        if (name_holds(self, 2, t.term[k], strlen(t.term[k])) != lc.found)
            abort();
    }
    char out[64];
    size_t n = search_fold_word(text, size, out, sizeof out);
    if (n >= sizeof out || strlen(out) != n)
        abort();
    arena_release(&a);
    free(text);
    return 0;
}
