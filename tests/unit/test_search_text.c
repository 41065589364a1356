/*
 * test_search_text.c - the fast paths of src/search/text.c against the
 * general word splitter they stand in for: over generated texts of ASCII
 * words and separators, control bytes, accented Latin, Cyrillic, Arabic,
 * combining marks, invalid UTF-8 and over-long words, the BM25 pass over a
 * field (doc_field) gives bit for bit the document length and term
 * frequencies of each_word with doc_word, and the locality-name check of a
 * buyer's word the same answer as each_word with loc_word; the stop words
 * are found by their sorted copy.  Includes the .c to reach its statics.
 */
#include "test.h"

#include "../../src/search/text.c"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(unsigned n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (unsigned)((rng * 2685821657736338717ULL) >> 33) % n;
}

static const char *const pieces[] = {
    "pool", "Pool", "POOLS", "school", "Schools", "gym", "jvc", "JVC", "sea", "view",
    "marina", "Dubai", "2BHK", "3bhk", "1500", "x", "a", "garden", "gardens", "terrace",
    "café", "CAFÉ", "École", "ecole", "naïve", "Ärzte", "бассейн", "бассейном", "Бассейн",
    "حديقة", "مسبح", "e\xcc\x81", "\xcc\x81", "\xff", "\xc3", "\xe2\x80\x94", "\xc2\xa0",
    "supercalifragilisticexpialidociousandthensomemoreletterstopasssixtythree",
    " ", "  ", ", ", ";", ".", "-", "'", "\t", "\n", "\x01", "/", "(", ")", "_", "@", "[",
    "`", "{", "~", "\x7f",
};
#define N_PIECES (sizeof pieces / sizeof pieces[0])

static void gen_text(char *out, size_t size)
{
    size_t o = 0;
    int n = (int)rnd(24);
    for (int i = 0; i < n; i++) {
        const char *p = pieces[rnd(N_PIECES)];
        size_t l = strlen(p);
        if (o + l + 1 >= size)
            break;
        memcpy(out + o, p, l);
        o += l;
    }
    out[o] = '\0';
}

TEST(test_doc_field_is_each_word)
{
    static const char *const msgs[] = {
        "villa with a pool near a good school", "JVC", "gardens terrace sea view",
        "бассейн и сад", "café École naïve", "a pool; pools! x 2BHK", "مسبح حديقة",
    };
    int checked = 0, differ = 0, matched = 0;
    for (int round = 0; round < 4000; round++) {
        search_terms t;
        char msg[256];
        if (round < (int)(sizeof msgs / sizeof msgs[0]))
            snprintf(msg, sizeof msg, "%s", msgs[round]);
        else
            gen_text(msg, sizeof msg);
        search_terms_from_text(&t, msg, NULL, 0);
        size_t tl[SEARCH_MAX_TERMS];
        for (int k = 0; k < t.n; k++)
            tl[k] = strlen(t.term[k]);
        for (int f = 0; f < 8; f++) {
            char text[512];
            gen_text(text, sizeof text);
            double tf1[SEARCH_MAX_TERMS] = {0}, tf2[SEARCH_MAX_TERMS] = {0};
            doc_ctx d1 = {&t, tl, 2, 0, tf1}, d2 = {&t, tl, 2, 0, tf2};
            doc_field(&d1, text);
            each_word(text, strlen(text), doc_word, &d2);
            bool same = memcmp(&d1.len, &d2.len, sizeof d1.len) == 0 &&
                        memcmp(tf1, tf2, sizeof tf1) == 0;
            if (!same && differ++ < 5)
                fprintf(stderr, "differ: terms of \"%s\" over \"%s\"\n", msg, text);
            checked++;
            matched += d2.len > 0 && memcmp(tf2, (double[SEARCH_MAX_TERMS]){0}, sizeof tf2) != 0;
        }
    }
    printf("    %d texts, %d holding a term\n", checked, matched);
    CHECK(checked > 10000 && matched > 1000 && differ == 0, "%d of %d texts scored differently",
          differ, checked);
}

/* The check of a buyer's word against the locality names, as it was: each
 * name split by each_word. */
static bool ref_name_holds(const store_locality_stats *ls, int n, const char *w)
{
    for (int i = 0; i < n; i++) {
        if (ls[i].locality == NULL)
            continue;
        loc_word_ctx lc = {w, false};
        each_word(ls[i].locality, strlen(ls[i].locality), loc_word, &lc);
        if (lc.found)
            return true;
    }
    return false;
}

typedef struct word_list {
    char w[32][SEARCH_TERM_LEN * 2];
    int n;
} word_list;

static void collect(void *ctx, const char *w, size_t len)
{
    word_list *l = ctx;
    if (l->n < 32) {
        memcpy(l->w[l->n], w, len + 1);
        l->n++;
    }
}

TEST(test_locality_words_is_each_word)
{
    int checked = 0, differ = 0, held = 0;
    for (int round = 0; round < 20000; round++) {
        char name[128], other[128], msg[128];
        gen_text(name, sizeof name);
        gen_text(other, sizeof other);
        gen_text(msg, sizeof msg);
        const store_locality_stats ls[] = {
            {.locality = "Jumeirah Village Circle"}, {.locality = NULL},
            {.locality = "Électronic City"}, {.locality = name}, {.locality = other},
        };
        /* the buyer's words as add_term gets them: each folded word of a
         * message, and of the names themselves */
        word_list words = {.n = 0};
        each_word(msg, strlen(msg), collect, &words);
        each_word(name, strlen(name), collect, &words);
        for (int i = 0; i < words.n; i++) {
            const char *w = words.w[i];
            bool fast = name_holds(ls, 5, w, strlen(w));
            bool ref = ref_name_holds(ls, 5, w);
            held += ref;
            if (fast != ref && differ++ < 5)
                fprintf(stderr, "differ: \"%s\" in \"%s\" / \"%s\": %d vs %d\n", w, name,
                        other, fast, ref);
            checked++;
        }
    }
    printf("    %d words, %d held by a name\n", checked, held);
    CHECK(checked > 10000 && held > 1000 && differ == 0, "%d of %d differ", differ, checked);
}

TEST(test_stop_words)
{
    int missed = 0;
    for (size_t i = 0; i < N_STOP; i++)
        missed += !is_stop(stop_words[i]);
    CHECK_INT(missed, 0);
    static const char *const not_stop[] = {"pool", "", "zzz", "aa", "school", "бассейн",
                                            "a ", "bhks", "\xff"};
    for (size_t i = 0; i < sizeof not_stop / sizeof not_stop[0]; i++)
        CHECK(!is_stop(not_stop[i]), "\"%s\" is not a stop word", not_stop[i]);
}

TEST_MAIN(RUN(test_doc_field_is_each_word); RUN(test_locality_words_is_each_word);
          RUN(test_stop_words);)
