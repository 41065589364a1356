/*
 * chat_request.c - the body of POST /api/chat/query; see chat_request.h.
 *
 * Order of checks: size, nesting depth (a cheap pre-scan, so jansson never
 * recurses deeply on hostile input), JSON syntax (jansson, duplicate keys
 * rejected; it also rejects invalid UTF-8), shape, then each field.  Unknown
 * fields are ignored so clients can send more than we read.
 */
#include "http/chat_request.h"

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

/* Deepest nesting of arrays/objects in s, counting outside strings.  Stops
 * early once past limit. */
static int json_depth(const char *s, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
            if (max > limit)
                break;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

/* Reads an optional string member.  *out NULL when absent or null.
 * max: longest accepted length in bytes; ids: no control characters. */
static int get_string(json_t *obj, const char *key, size_t max, bool id, int too_long_code,
                      arena *a, const char **out, pt_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "%s must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "%s must not contain NUL characters", key);
    if (n > max)
        return pt_fail(err, too_long_code, "%s is longer than %zu bytes", key, max);
    if (id)
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return pt_fail(err, PT_ERR_UNPROCESSABLE,
                               "%s must not contain control characters", key);
    *out = arena_strndup(a, s, n);
    if (*out == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", key);
    return 0;
}

static bool blank(const char *s)
{
    if (s == NULL)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return false;
    return true;
}

int chat_request_parse(const char *body, size_t len, arena *a, chat_request *out,
                       pt_error *err)
{
    int rc = 0;
    json_t *root = NULL;
    json_error_t jerr;

    memset(out, 0, sizeof *out);
    if (len > CHAT_BODY_MAX) {
        rc = pt_fail(err, PT_ERR_TOO_LARGE, "request body is larger than %u bytes",
                     CHAT_BODY_MAX);
        goto done;
    }
    if (body == NULL || len == 0) {
        rc = pt_fail(err, PT_ERR_INVALID, "request body is empty (expected a JSON object)");
        goto done;
    }
    if (json_depth(body, len, CHAT_JSON_DEPTH) > CHAT_JSON_DEPTH) {
        rc = pt_fail(err, PT_ERR_INVALID, "request body is nested deeper than %d levels",
                     CHAT_JSON_DEPTH);
        goto done;
    }
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (root == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "request body is not valid JSON (line %d, column %d)",
                     jerr.line, jerr.column);
        goto done;
    }
    if (!json_is_object(root)) {
        rc = pt_fail(err, PT_ERR_INVALID, "request body must be a JSON object");
        goto done;
    }

    rc = get_string(root, "session_id", CHAT_ID_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->session_id, err);
    if (rc)
        goto done;
    if (out->session_id == NULL || out->session_id[0] == '\0') {
        rc = pt_fail(err, PT_ERR_MISSING, "session_id is %s",
                     out->session_id ? "empty" : "missing");
        goto done;
    }
    rc = get_string(root, "user_id", CHAT_ID_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->user_id, err);
    if (rc)
        goto done;
    if (out->user_id == NULL || out->user_id[0] == '\0') {
        rc = pt_fail(err, PT_ERR_MISSING, "user_id is %s", out->user_id ? "empty" : "missing");
        goto done;
    }
    rc = get_string(root, "callback_data", CHAT_CALLBACK_MAX, false, PT_ERR_UNPROCESSABLE, a,
                    &out->callback_data, err);
    if (rc)
        goto done;
    if (out->callback_data && out->callback_data[0] == '\0')
        out->callback_data = NULL;
    rc = get_string(root, "channel", CHAT_CHANNEL_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->channel, err);
    if (rc)
        goto done;
    rc = get_string(root, "query", CHAT_QUERY_MAX, false, PT_ERR_TOO_LARGE, a, &out->query,
                    err);
    if (rc)
        goto done;
    if (out->callback_data == NULL && blank(out->query)) {
        rc = pt_fail(err, PT_ERR_MISSING, "query is %s (send a query or a callback_data)",
                     out->query ? "empty" : "missing");
        goto done;
    }
    if (out->query == NULL)
        out->query = "";
done:
    json_decref(root);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
