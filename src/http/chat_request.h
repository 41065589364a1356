/*
 * chat_request.h - reading and validating the body of POST /api/chat/query
 * (CONTRACT.md §5), apart from any socket so that it can be unit-tested and
 * fuzzed.  The HTTP server calls it; the engine receives the result.
 */
#ifndef PT_CHAT_REQUEST_H
#define PT_CHAT_REQUEST_H

#include <stddef.h>

#include "engine/engine.h"
#include "util/arena.h"
#include "util/error.h"

#define CHAT_BODY_MAX (64u << 10)   /* bytes of request body */
#define CHAT_QUERY_MAX 4096         /* bytes of query text */
#define CHAT_ID_MAX 128             /* session_id, user_id */
#define CHAT_CALLBACK_MAX 512       /* callback_data */
#define CHAT_CHANNEL_MAX 32
#define CHAT_JSON_DEPTH 16          /* nesting of the body */

/* Parses body (len bytes, not necessarily NUL-terminated, any bytes) into
 * *out.  The strings of *out are copied into arena a; out->now is 0.
 * Errors, with a message naming the field:
 *   PT_ERR_INVALID (400)       empty body, malformed JSON, duplicate keys,
 *                              nesting deeper than CHAT_JSON_DEPTH, not an object;
 *   PT_ERR_MISSING (422)       session_id / user_id missing or empty, query
 *                              missing or empty without callback_data;
 *   PT_ERR_UNPROCESSABLE (422) a field of the wrong JSON type, an id too long
 *                              or with control characters, a NUL in a string;
 *   PT_ERR_TOO_LARGE (413)     body over CHAT_BODY_MAX, query over CHAT_QUERY_MAX;
 *   PT_ERR_NOMEM. */
int chat_request_parse(const char *body, size_t len, arena *a, chat_request *out,
                       pt_error *err);
/* The same, always through jansson (no fast path): the reference the
 * differential fuzzer and the tests compare chat_request_parse with. */
int chat_request_parse_jansson(const char *body, size_t len, arena *a, chat_request *out,
                               pt_error *err);

#endif
