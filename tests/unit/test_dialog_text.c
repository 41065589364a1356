/*
 * test_dialog_text.c - the dialog's own text searches against what they
 * replace: the objection words in one pass (director.c) against a strstr of
 * every word, and dialog_has_casei against strcasestr (C locale), over
 * fixed and random messages.
 */
#include "test.h"

#include "../../src/dialog/director.c"

#include <stdlib.h>

static unsigned kinds_by_strstr(const char *low)
{
    unsigned k = 0;
    for (size_t i = 0; i < N_OBJ_WORDS; i++)
        if (strstr(low, obj_words[i].w))
            k |= obj_words[i].kind;
    return k;
}

/* A random message from pieces that make and nearly make the words. */
static void random_text(char *out, size_t size, unsigned *seed)
{
    static const char *const bits[] = {
        "too", " ", "far", "much", "expens", "ive", "cost", "ly", "over", "priced", "cheap", "er",
        "غال", "ي", "گر", "ان", "доро", "го", "tra", "ffic", "بع", "يد", "د", "ور", "дале", "ко",
        "sc", "am", "fra", "ud", "tru", "st", "fa", "ke", "احت", "يال", "کلاه", "برداری", "мош",
        "ен", "bad", "area", "from", "x", "t", "f", "\xd8", "\xd0",
    };
    size_t o = 0;
    int n = (int)(rand_r(seed) % 12);
    for (int i = 0; i < n; i++) {
        const char *b = bits[rand_r(seed) % (sizeof bits / sizeof bits[0])];
        size_t bl = strlen(b);
        if (o + bl + 1 > size)
            break;
        memcpy(out + o, b, bl);
        o += bl;
    }
    out[o] = '\0';
}

TEST(test_objection_kinds)
{
    static const char *const fixed[] = {
        "", "too", "too much", "this is too much!", "expensive", "it's overpriced and too far",
        "scam", "trust me", "far from everything", "بعيد", "دور", "غالي جدا", "это дорого",
        "мошенники", "کلاهبرداری", "the traffic is bad", "fake", "cheapest", "bad area and fake",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        CHECK_INT(objection_kinds(fixed[i], strlen(fixed[i])), kinds_by_strstr(fixed[i]));
    unsigned seed = 7;
    int bad = 0;
    char buf[256];
    for (int r = 0; r < 50000; r++) {
        random_text(buf, sizeof buf, &seed);
        if (objection_kinds(buf, strlen(buf)) != kinds_by_strstr(buf) && bad++ < 5)
            CHECK(0, "\"%s\": one pass %u, strstr %u", buf, objection_kinds(buf, strlen(buf)),
                  kinds_by_strstr(buf));
    }
    CHECK_INT(bad, 0);
}

TEST(test_has_casei)
{
    static const char *const hay[] = {
        "", "a", "Ghaf Residences", "how much is GHAF RESIDENCES?", "ghaf residence",
        "tell me about 3br apartment in ghaf residences please", "Résumé", "RÉSUMÉ", "[Ghaf]",
        "@`{", "ghaF ReSiDeNcEs", "gggghaf",
    };
    static const char *const needles[] = {
        "a", "Ghaf Residences", "3BR apartment in Ghaf Residences", "ghaf", "résumé", "É", "@",
        "`", "[", "{", "ggghaf", "S?",
    };
    for (size_t i = 0; i < sizeof hay / sizeof hay[0]; i++)
        for (size_t j = 0; j < sizeof needles / sizeof needles[0]; j++)
            CHECK(dialog_has_casei(hay[i], strlen(hay[i]), needles[j])
                      == (strcasestr(hay[i], needles[j]) != NULL),
                  "\"%s\" in \"%s\"", needles[j], hay[i]);
    unsigned seed = 11;
    int bad = 0;
    for (int r = 0; r < 50000; r++) {
        char h[24], n[6];
        size_t hl = rand_r(&seed) % sizeof h, nl = 1 + rand_r(&seed) % (sizeof n - 1);
        static const char alpha[] = "aAbB@[`{ \xc3\x89";
        for (size_t k = 0; k < hl; k++)
            h[k] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
        h[hl] = '\0';
        for (size_t k = 0; k < nl; k++)
            n[k] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
        n[nl] = '\0';
        if (dialog_has_casei(h, hl, n) != (strcasestr(h, n) != NULL) && bad++ < 5)
            CHECK(0, "\"%s\" in \"%s\"", n, h);
    }
    CHECK_INT(bad, 0);
}

#pragma GCC diagnostic ignored "-Wformat-truncation"   /* the cut is what is tested */

/* dialog_cat writes what snprintf(dst, size, "%s%s", a, b) writes, also
 * when a is dst (appending). */
TEST(test_cat)
{
    unsigned seed = 5;
    int bad = 0;
    for (int r = 0; r < 50000; r++) {
        char a[40], b[40], got[48], want[48];
        size_t la = rand_r(&seed) % sizeof a, lb = rand_r(&seed) % sizeof b;
        for (size_t k = 0; k < la; k++)
            a[k] = (char)('a' + rand_r(&seed) % 26);
        a[la] = '\0';
        for (size_t k = 0; k < lb; k++)
            b[k] = (char)('A' + rand_r(&seed) % 26);
        b[lb] = '\0';
        size_t size = 1 + rand_r(&seed) % sizeof got;
        memset(got, 'x', sizeof got);
        memset(want, 'x', sizeof want);
        snprintf(want, size, "%s%s", a, b);
        if (r % 3 == 0) {   /* appending: a is dst */
            snprintf(got, size, "%s", a);
            char a2[48];
            snprintf(a2, size, "%s", a);
            snprintf(want, size, "%s%s", a2, b);
            dialog_cat(got, size, got, b);
        } else if (r % 3 == 1) {
            dialog_cat(got, size, a, b);
        } else {
            dialog_copy(got, size, a);
            memset(want, 'x', sizeof want);
            snprintf(want, size, "%s", a);
        }
        if (memcmp(got, want, sizeof got) != 0 && bad++ < 5)
            CHECK(0, "\"%s\" + \"%s\" in %zu: \"%s\", want \"%s\"", a, b, size, got, want);
    }
    CHECK_INT(bad, 0);
}

TEST_MAIN(RUN(test_objection_kinds); RUN(test_has_casei); RUN(test_cat);)
