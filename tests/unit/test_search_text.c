/*
 * test_search_text.c - the fast paths of src/search against the
 * general word splitter they stand in for: over generated texts of ASCII
 * words and separators, control bytes, accented Latin, Cyrillic, Arabic,
 * combining marks, invalid UTF-8 and over-long words, the BM25 pass over a
 * field (doc_field) gives bit for bit the document length and term
 * frequencies of each_word with doc_word, and the locality-name check of a
 * buyer's word the same answer as each_word with loc_word; the stop words
 * are found by their sorted copy; the quick pass that spares BM25 texts
 * holding no term never passes over one that holds one.  From search.c: the look for "school" is
 * strcasestr's, and the neighbours skipped by their latitude are the ones
 * the full distance would have left out.  Includes the .c files to reach
 * their statics.
 */
#include "test.h"

#include "../../src/search/text.c"
#include "../../src/search/search.c"

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
    "`", "{", "~", "\x7f", "school", "SCHOOL", "sChOoL", "schoo", "chool", "scho", "ol", "s",
    "S", "ss", "sch", "hool", "oo",
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

/* field_may_hold says false only where doc_field finds no term: over
 * generated texts, half of them plain ASCII (where it can say false). */
TEST(test_may_hold_is_doc_field)
{
    int checked = 0, wrong = 0, skipped = 0, held = 0;
    for (int round = 0; round < 4000; round++) {
        search_terms t;
        char msg[256];
        gen_text(msg, sizeof msg);
        search_terms_from_text(&t, msg, NULL, 0);
        size_t tl[SEARCH_MAX_TERMS];
        bool letters = t.n > 0;
        for (int k = 0; k < t.n; k++) {
            tl[k] = strlen(t.term[k]);
            for (size_t j = 0; j < tl[k]; j++)
                letters &= t.term[k][j] >= 'a' && t.term[k][j] <= 'z';
        }
        if (!letters)
            continue;
        for (int f = 0; f < 8; f++) {
            char text[512];
            gen_text(text, sizeof text);
            if (f & 1)       /* plain ASCII: the bytes >= 0x80 made spaces */
                for (char *p = text; *p; p++)
                    if ((unsigned char)*p >= 0x80)
                        *p = ' ';
            double tf[SEARCH_MAX_TERMS] = {0};
            doc_ctx d = {&t, tl, 2, 0, tf};
            doc_field(&d, text);
            bool found = false, may = false;
            for (int k = 0; k < t.n; k++) {
                found |= tf[k] > 0;
                may |= field_may_hold(text, t.term[k], tl[k]);
            }
            held += found;
            skipped += !may;
            if (found && !may && wrong++ < 5)
                fprintf(stderr, "missed: terms of \"%s\" in \"%s\"\n", msg, text);
            checked++;
        }
    }
    printf("    %d texts, %d holding a term, %d passed over\n", checked, held, skipped);
    CHECK(checked > 5000 && held > 500 && skipped > 500 && wrong == 0, "%d of %d missed", wrong,
          checked);
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

static void collect(void *into, const char *w, size_t len)
{
    word_list *l = into;
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

TEST(test_school_is_strcasestr)
{
    int checked = 0, differ = 0, held = 0;
    for (int round = 0; round < 40000; round++) {
        char text[512];
        gen_text(text, sizeof text);
        bool ref = strcasestr(text, "school") != NULL;
        held += ref;
        if (mentions_school(text) != ref && differ++ < 5)
            fprintf(stderr, "differ: \"%s\"\n", text);
        checked++;
    }
    CHECK(!mentions_school(NULL) && mentions_school("SCHOOL") && !mentions_school("schoo"),
          "edges");
    printf("    %d texts, %d with the word\n", checked, held);
    CHECK(held > 1000 && differ == 0, "%d of %d differ", differ, checked);
}

/* search_neighbours as it was, every distance computed. */
static int ref_neighbours(const store_locality_stats *ls, int n, const char *name,
                          transaction tx, double max_km, int *out, int max)
{
    int self = locality_index(ls, n, name);
    int k = 0;
    if (self < 0 || !ls[self].has_geo || max <= 0)
        return 0;
    double dist[16];
    if (max > 16)
        max = 16;
    for (int i = 0; i < n; i++) {
        if (i == self || !ls[i].has_geo)
            continue;
        if (tx != TX_NONE && figures(&ls[i], tx)->listings == 0)
            continue;
        double km = search_distance_km(ls[self].lat, ls[self].lon, ls[i].lat, ls[i].lon);
        if (km > max_km)
            continue;
        if (ls[self].city && ls[i].city && strcasecmp(ls[self].city, ls[i].city) != 0)
            km *= 2;
        int j = k < max ? k++ : max;
        if (j == max && km >= dist[max - 1])
            continue;
        if (j == max)
            j = max - 1;
        while (j > 0 && dist[j - 1] > km) {
            dist[j] = dist[j - 1];
            out[j] = out[j - 1];
            j--;
        }
        dist[j] = km;
        out[j] = i;
    }
    return k;
}

TEST(test_neighbours_bound)
{
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
                                        "k", "l", "m", "n", "o", "p", "q", "r", "s", "t"};
    static const char *const cities[] = {"X", "Y", NULL};
    int differ = 0, found = 0;
    for (int round = 0; round < 20000; round++) {
        store_locality_stats ls[20];
        memset(ls, 0, sizeof ls);
        double lat0 = (double)rnd(1600) / 10 - 80, lon0 = (double)rnd(3600) / 10 - 180;
        double spread = round % 3 == 0 ? 0.05 : round % 3 == 1 ? 0.3 : 3;
        for (int i = 0; i < 20; i++) {
            ls[i].locality = names[i];
            ls[i].city = cities[rnd(3)];
            ls[i].has_geo = rnd(10) != 0;
            ls[i].lat = lat0 + spread * ((double)rnd(2001) / 1000 - 1);
            ls[i].lon = lon0 + spread * ((double)rnd(2001) / 1000 - 1);
            ls[i].sale.listings = (int)rnd(3);
            ls[i].rent.listings = (int)rnd(3);
        }
        /* now and then one due north at just the distance of the bound */
        if (round % 7 == 0) {
            ls[1].lat = ls[0].lat + 25.0 / (M_PI / 180 * 6371.0);
            ls[1].lon = ls[0].lon;
        }
        transaction tx = (transaction)rnd(3);
        double km = rnd(2) ? 25.0 : (double)rnd(100);
        int max = 1 + (int)rnd(4);
        int a[16], b[16];
        const char *from = names[rnd(4)];
        int na = search_neighbours(ls, 20, from, tx, km, a, max);
        int nb = ref_neighbours(ls, 20, from, tx, km, b, max);
        found += na;
        if ((na != nb || memcmp(a, b, sizeof a[0] * (size_t)na) != 0) && differ++ < 5)
            fprintf(stderr, "differ: round %d: %d vs %d\n", round, na, nb);
    }
    printf("    %d neighbours found\n", found);
    CHECK(found > 10000 && differ == 0, "%d differ", differ);
}

TEST_MAIN(RUN(test_doc_field_is_each_word); RUN(test_may_hold_is_doc_field);
          RUN(test_locality_words_is_each_word);
          RUN(test_stop_words); RUN(test_school_is_strcasestr); RUN(test_neighbours_bound);)
