/*
 * fuzz_normalize.c - libFuzzer target for the first steps every message
 * takes: normalisation (nlu_normalize), language id (raw and normalised
 * bytes) and the tokenizer.  Checks that the normalised text is valid
 * UTF-8 without NUL bytes, runs of spaces or edge spaces, that normalising
 * it again changes nothing (the form is a fixed point), that the language
 * is a two-letter code, and that every token lies inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/entities_int.h"

/* Valid UTF-8, no NUL (RFC 3629: no overlongs, no surrogates). */
static int valid_utf8(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t need;
        if (c == 0)
            return 0;
        if (c < 0x80)
            need = 0;
        else if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3;
        else
            return 0;
        if (i + need >= n && need > 0)
            return 0;
        for (size_t k = 1; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))
            return 0;
        i += need + 1;
    }
    return 1;
}

static void check_lang(const char *l)
{
    if (l == NULL || strlen(l) != 2 || l[0] < 'a' || l[0] > 'z' || l[1] < 'a' || l[1] > 'z')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 1u << 24);
    char *norm = NULL, *again = NULL;
    size_t nl = 0, nl2 = 0;
    bool sure;

    check_lang(nlu_detect_language_ex((const char *)data, size, &sure));
    if (nlu_normalize(&a, (const char *)data, size, &norm, &nl) != 0)
        abort();
    if (norm == NULL || strlen(norm) != nl || !valid_utf8((const unsigned char *)norm, nl))
        abort();
    if (nl > 0 && (norm[0] == ' ' || norm[nl - 1] == ' ' || strstr(norm, "  ") != NULL))
        abort();
    /* normalised text is a fixed point (when nothing was cut at the cap) */
    if (nl < 4096 && size < 4096 &&
        (nlu_normalize(&a, norm, nl, &again, &nl2) != 0 || nl2 != nl || memcmp(again, norm, nl) != 0))
        abort();
    check_lang(nlu_detect_language(norm, nl));

    nlu_toks *tk = malloc(sizeof *tk);
    if (tk == NULL)
        abort();
    nlu_tokenize(tk, norm, nl);
    if (tk->n < 0 || tk->n > NLU_MAX_TOKS)
        abort();
    for (int i = 0; i < tk->n; i++) {
        const nlu_tok *t = &tk->t[i];
        if (t->len == 0 || (size_t)t->off + t->len > nl || (i > 0 && t->off < tk->t[i - 1].off))
            abort();
        if (t->kind != TK_WORD && t->kind != TK_NUM && t->kind != TK_PUNCT)
            abort();
    }
    free(tk);
    arena_release(&a);
    return 0;
}
