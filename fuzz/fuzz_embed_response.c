/*
 * fuzz_embed_response.c - libFuzzer target for the embeddings provider's
 * answer (src/provider/embed.c embed_parse_response), outside input from
 * the network.  The first byte gives the number of texts asked for (1-8)
 * and whether a dimension is required; the rest is the body.
 * Checks: no crash or leak; failure is PT_ERR_UNAVAILABLE (or NOMEM) with a
 * message and no vectors; success gives n * dim finite floats with dim in
 * 1..EMBED_DIM_MAX (and the required one when asked).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "provider/embed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int n = (data[0] & 7) + 1;
    int want = (data[0] & 8) ? 2 : 0;
    int dim = want;
    float *v = NULL;
    pt_error err = {0};
    int rc = embed_parse_response((const char *)data + 1, size - 1, n, &v, &dim, &err);
    if (rc) {
        if ((rc != -PT_ERR_UNAVAILABLE && rc != -PT_ERR_NOMEM) || v != NULL || err.msg[0] == '\0')
            abort();
        return 0;
    }
    if (v == NULL || dim < 1 || dim > EMBED_DIM_MAX || (want && dim != want))
        abort();
    for (size_t i = 0; i < (size_t)n * (size_t)dim; i++)
        if (!isfinite(v[i]))
            abort();
    free(v);
    return 0;
}
