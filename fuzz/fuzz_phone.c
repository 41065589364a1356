/*
 * fuzz_phone.c - libFuzzer target for nlu_phone_parse (CONTRACT.md §6) and
 * the phone-span scan of entity extraction.  The first byte picks the
 * region.  A number accepted must be '+' and 10-15 digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/entities_int.h"

static void check_e164(const char *e)
{
    size_t n = strlen(e);
    if (n < 11 || n > 16 || e[0] != '+')
        abort();
    for (size_t i = 1; i < n; i++)
        if (e[i] < '0' || e[i] > '9')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const regions[] = {NULL, "AE", "IN", "US", "RU", "GB", "SA", "IR", "ZZ", ""};
    const char *region = regions[size ? data[0] % 10 : 0];
    const char *text = (const char *)data + (size ? 1 : 0);
    size_t len = size ? size - 1 : 0;

    char e164[20];
    const char *why = NULL;
    int rc = nlu_phone_parse(text, len, region, e164, &why);
    if (rc == 0) {
        if (why != NULL)
            abort();
        check_e164(e164);
    } else if (rc != -PT_ERR_UNPROCESSABLE || why == NULL) {
        abort();
    }

    arena a;
    arena_init(&a, 1u << 24);
    char *norm = NULL;
    size_t nl = 0;
    if (nlu_normalize(&a, text, len, &norm, &nl) == 0) {
        nlu_result r;
        memset(&r, 0, sizeof r);
        nlu_context ctx = {.region = region, .currency = "AED"};
        if (nlu_extract_entities(&ctx, norm, nl, &a, &r) == 0 && (r.found & NLU_PHONE))
            check_e164(r.phone);
    }
    arena_release(&a);
    return 0;
}
