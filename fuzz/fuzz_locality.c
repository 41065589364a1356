/*
 * fuzz_locality.c - libFuzzer target for the gazetteer: matching arbitrary
 * messages against a fixed gazetteer, and building a gazetteer from
 * arbitrary alias text (then matching the same bytes against it).  Every
 * name returned must be one of the gazetteer's canonical names, without
 * duplicates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/entities_int.h"

static const char *const canon[] = {
    "Whitefield", "Marathahalli", "Koramangala", "HSR Layout", "Electronic City",
    "Dubai Marina", "Jumeirah Village Circle", "Business Bay", "Downtown Dubai", "Al Barsha",
    "Palm Jumeirah", "Jumeirah Lake Towers",
};
static const char *const aliases =
    "jvc\tJumeirah Village Circle\njlt\tJumeirah Lake Towers\nدبي مارينا\tDubai Marina\n"
    "Дубай Марина\tDubai Marina\nmarina\tDubai Marina\ndowntown\tDowntown Dubai\n";

static void check(const char **names, int n, int max)
{
    if (n < 0 || n > max)
        abort();
    for (int i = 0; i < n; i++) {
        if (names[i] == NULL || names[i][0] == '\0')
            abort();
        for (int j = 0; j < i; j++)
            if (names[i] == names[j])
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nlu_gazetteer *g;
    if (g == NULL && nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases,
                                         &g, NULL) != 0)
        abort();
    const char *names[NLU_MAX_LOCATIONS];
    arena a;
    arena_init(&a, 1u << 24);
    char *norm = NULL;
    size_t nl = 0;
    if (nlu_normalize(&a, (const char *)data, size, &norm, &nl) == 0) {
        int n = nlu_gazetteer_match(g, norm, nl, names, NLU_MAX_LOCATIONS);
        check(names, n, NLU_MAX_LOCATIONS);
        for (int i = 0; i < n; i++) {
            int known = 0;
            for (size_t k = 0; k < sizeof canon / sizeof canon[0]; k++)
                known |= strcmp(names[i], canon[k]) == 0;
            if (!known)
                abort();
        }
    }
    /* raw bytes as a message, unnormalised */
    check(names, nlu_gazetteer_match(g, (const char *)data, size, names, 2), 2);

    /* the bytes as an alias file (NUL-terminated copy) */
    if (size < 4096) {
        char *text = malloc(size + 1);
        if (text == NULL)
            abort();
        memcpy(text, data, size);
        text[size] = '\0';
        nlu_gazetteer *h = NULL;
        const char *one[] = {"Whitefield"};
        if (nlu_gazetteer_build(one, 1, text, &h, NULL) == 0) {
            if (norm)
                check(names, nlu_gazetteer_match(h, norm, nl, names, NLU_MAX_LOCATIONS),
                      NLU_MAX_LOCATIONS);
            nlu_gazetteer_free(h);
        }
        free(text);
    }
    arena_release(&a);
    return 0;
}
