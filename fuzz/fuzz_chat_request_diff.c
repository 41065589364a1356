/*
 * fuzz_chat_request_diff.c - differential libFuzzer target for the body of
 * POST /api/chat/query: chat_request_parse() (its own scanner for flat
 * objects of strings, jansson for the rest) against
 * chat_request_parse_jansson() (jansson for everything) on any bytes.
 * Checks: the same result code, the same error message, and on success
 * the same fields, byte for byte (NULL where the other has NULL).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/chat_request.h"

static void same_field(const char *x, const char *y)
{
    if ((x == NULL) != (y == NULL))
        abort();
    if (x && strcmp(x, y) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a, b;
    chat_request q, r;
    pt_error ea = {0}, eb = {0};
    arena_init(&a, 1u << 20);
    arena_init(&b, 1u << 20);
    int rc = chat_request_parse((const char *)data, size, &a, &q, &ea);
    int rc_ref = chat_request_parse_jansson((const char *)data, size, &b, &r, &eb);
    if (rc != rc_ref)
        abort();
    if (rc) {
        if (strcmp(ea.msg, eb.msg) != 0)
            abort();
    } else {
        same_field(q.session_id, r.session_id);
        same_field(q.user_id, r.user_id);
        same_field(q.callback_data, r.callback_data);
        same_field(q.channel, r.channel);
        same_field(q.query, r.query);
        if (q.now != r.now)
            abort();
    }
    arena_release(&a);
    arena_release(&b);
    return 0;
}
