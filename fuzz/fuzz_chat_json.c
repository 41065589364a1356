/*
 * fuzz_chat_json.c - libFuzzer target for the body of POST /api/chat/query:
 * chat_request_parse() on any bytes.  Checks: no crash or leak, a status
 * that is one of 400/413/422/503 on failure, and on success the fields the
 * contract promises (session_id and user_id non-empty, query within its cap,
 * query or callback_data present).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/chat_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    chat_request q;
    pt_error err = {0};
    arena_init(&a, 1u << 20);
    int rc = chat_request_parse((const char *)data, size, &a, &q, &err);
    if (rc) {
        int status = pt_err_http_status(rc);
        if (status != 400 && status != 413 && status != 422 && status != 503)
            abort();
        if (err.msg[0] == '\0')
            abort();
    } else {
        if (q.session_id == NULL || q.session_id[0] == '\0' || q.user_id == NULL ||
            q.user_id[0] == '\0' || q.query == NULL || strlen(q.query) > CHAT_QUERY_MAX)
            abort();
        if (q.query[0] == '\0' && q.callback_data == NULL)
            abort();
    }
    arena_release(&a);
    return 0;
}
