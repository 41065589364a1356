/*
 * chat_request.c - the body of POST /api/chat/query; see chat_request.h.
 *
 * Order of checks: size, nesting depth (a cheap pre-scan, so jansson never
 * recurses deeply on hostile input), JSON syntax (jansson, duplicate keys
 * rejected; it also rejects invalid UTF-8), shape, then each field.  Unknown
 * fields are ignored so clients can send more than we read.
 *
 * The usual body, a flat object of strings, is read by a small scanner of
 * its own instead (jansson's tree, hash table and mallocs cost more than
 * the rest of the request's parsing); anything it is not sure of goes the
 * jansson way, so the errors are jansson's.
 */
#include "http/chat_request.h"

#include <stdbool.h>
#include <stdint.h>
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

/* ---- the members we read, however the body was parsed ------------------ */

enum { F_SESSION, F_USER, F_CALLBACK, F_CHANNEL, F_QUERY, F__COUNT };
static const char *const field_names[F__COUNT] = {"session_id", "user_id", "callback_data",
                                                  "channel", "query"};
static const size_t field_lens[F__COUNT] = {10, 7, 13, 7, 5};

typedef struct body_field {
    enum { F_ABSENT, F_NULL, F_STRING, F_OTHER } kind;
    const char *s;              /* F_STRING: n bytes, decoded, not NUL-terminated */
    size_t n;
} body_field;

/* ---- the fast path: a flat object of strings and nulls ------------------
 * Most bodies are {"query":"...","session_id":"...","user_id":"..."}.
 * This reads such a body without building a tree; on anything else (a
 * value that is not a string or null, an escape in a key, a duplicate
 * key, any syntax error, more than FAST_MAX_OTHER unknown keys) it gives
 * up and jansson reads the body, so every error and every unusual body is
 * handled as before.  What it accepts it reads as jansson does
 * (fuzz/fuzz_chat_request_diff.c checks this against jansson). */

#define FAST_MAX_OTHER 8

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0: what
 * jansson's utf8_check_first/utf8_check_full accept. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    uint32_t min, cp;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static int hex_digit(unsigned c)
{
    return c >= '0' && c <= '9' ? (int)(c - '0')
         : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10)
         : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10)
         : -1;
}

/* The four hex digits at p (checked by the scan). */
static uint32_t hex4(const unsigned char *p)
{
    return (uint32_t)(hex_digit(p[0]) << 12 | hex_digit(p[1]) << 8 | hex_digit(p[2]) << 4 |
                      hex_digit(p[3]));
}

/* Decodes the escaped string text s..e (checked by the scan) into a, as
 * jansson does; false on what jansson refuses (an unpaired surrogate,
 * \u0000) or out of memory. */
static bool decode_escaped(const unsigned char *s, const unsigned char *e, arena *a,
                           body_field *v)
{
    char *out = arena_alloc(a, (size_t)(e - s) + 1), *t = out;
    if (out == NULL)
        return false;
    while (s < e) {
        if (*s != '\\') {
            *t++ = (char)*s++;
            continue;
        }
        s++;
        unsigned c = *s++;
        switch (c) {
        case 'b': *t++ = '\b'; continue;
        case 'f': *t++ = '\f'; continue;
        case 'n': *t++ = '\n'; continue;
        case 'r': *t++ = '\r'; continue;
        case 't': *t++ = '\t'; continue;
        case 'u': break;
        default: *t++ = (char)c; continue;   /* '"', '\\', '/' */
        }
        uint32_t cp = hex4(s);
        s += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (e - s < 6 || s[0] != '\\' || s[1] != 'u')
                return false;
            uint32_t lo = hex4(s + 2);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return false;
            s += 6;
            cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            return false;
        }
        if (cp < 0x80) {
            *t++ = (char)cp;
        } else if (cp < 0x800) {
            *t++ = (char)(0xC0 | cp >> 6);
            *t++ = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *t++ = (char)(0xE0 | cp >> 12);
            *t++ = (char)(0x80 | (cp >> 6 & 0x3F));
            *t++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *t++ = (char)(0xF0 | cp >> 18);
            *t++ = (char)(0x80 | (cp >> 12 & 0x3F));
            *t++ = (char)(0x80 | (cp >> 6 & 0x3F));
            *t++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    v->kind = F_STRING;
    v->s = out;
    v->n = (size_t)(t - out);
    return true;
}

/* Eight bytes at once: true when none is a control character, '"', '\\'
 * or from 0x80 up (the has-less-than and has-zero-byte tests of Anderson's
 * "Bit Twiddling Hacks", exact as yes/no answers; as in util/jsonw.c). */
static inline bool lanes_plain(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
    return ((((v - ones * 0x20) & ~v) | v | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs) == 0;
}

/* The string whose text starts at p (after its opening quote) into *v;
 * returns the byte after its closing quote, or NULL when jansson should
 * judge it.  Text without escapes is pointed at, not copied. */
static const unsigned char *fast_string(const unsigned char *p, const unsigned char *end, arena *a,
                                        body_field *v)
{
    const unsigned char *s = p;
    bool escaped = false;
    while (p < end && *p != '"') {
        unsigned c = *p;
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            p++;
            uint64_t w;
            while (end - p >= 8 && (memcpy(&w, p, 8), lanes_plain(w)))
                p += 8;
        } else if (c == '\\') {
            if (end - p < 2)
                return NULL;
            c = p[1];
            if (c == 'u') {
                if (end - p < 6 || hex_digit(p[2]) < 0 || hex_digit(p[3]) < 0 ||
                    hex_digit(p[4]) < 0 || hex_digit(p[5]) < 0)
                    return NULL;
                p += 6;
            } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' ||
                       c == 'r' || c == 't') {
                p += 2;
            } else {
                return NULL;
            }
            escaped = true;
        } else if (c >= 0x80) {
            size_t len = utf8_seq(p, (size_t)(end - p));
            if (len == 0)
                return NULL;
            p += len;
        } else {
            return NULL;   /* a control character */
        }
    }
    if (p == end)
        return NULL;
    if (escaped) {
        if (!decode_escaped(s, p, a, v))
            return NULL;
    } else {
        v->kind = F_STRING;
        v->s = (const char *)s;
        v->n = (size_t)(p - s);
    }
    return p + 1;
}

/* 1 with f[] filled when the body is a flat object of strings and nulls
 * whose keys need no decoding; 0 when jansson should read it. */
static int fast_parse(const char *body, size_t len, arena *a, body_field f[F__COUNT])
{
    const unsigned char *p = (const unsigned char *)body, *end = p + len;
    const unsigned char *other[FAST_MAX_OTHER];
    size_t other_len[FAST_MAX_OTHER];
    int n_other = 0;
    for (int i = 0; i < F__COUNT; i++)
        f[i].kind = F_ABSENT;
    p = skip_ws(p, end);
    if (p == end || *p != '{')
        return 0;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto tail;
    }
    for (;;) {
        if (p == end || *p != '"')
            return 0;
        const unsigned char *k = ++p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p == end || *p != '"')
            return 0;
        size_t kn = (size_t)(p - k);
        p++;
        int idx = -1;
        for (int i = 0; i < F__COUNT; i++)
            if (field_lens[i] == kn && memcmp(field_names[i], k, kn) == 0)
                idx = i;
        if (idx >= 0) {
            if (f[idx].kind != F_ABSENT)
                return 0;                   /* a duplicate key */
        } else {
            for (int i = 0; i < n_other; i++)
                if (other_len[i] == kn && memcmp(other[i], k, kn) == 0)
                    return 0;
            if (n_other == FAST_MAX_OTHER)
                return 0;
            other[n_other] = k;
            other_len[n_other++] = kn;
        }
        p = skip_ws(p, end);
        if (p == end || *p != ':')
            return 0;
        p = skip_ws(p + 1, end);
        body_field v = {.kind = F_NULL};
        if (p < end && *p == '"') {
            p = fast_string(p + 1, end, a, &v);
            if (p == NULL)
                return 0;
        } else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
            p += 4;                         /* "nullx" fails below, as it should */
        } else {
            return 0;
        }
        if (idx >= 0)
            f[idx] = v;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        return 0;
    }
tail:
    return skip_ws(p, end) == end;
}

/* ---- the general path: jansson ------------------------------------------ */

static void fields_from_json(json_t *root, body_field f[F__COUNT])
{
    for (int i = 0; i < F__COUNT; i++) {
        json_t *v = json_object_get(root, field_names[i]);
        f[i] = (body_field){.kind = F_ABSENT};
        if (v == NULL)
            continue;
        if (json_is_null(v)) {
            f[i].kind = F_NULL;
        } else if (json_is_string(v)) {
            f[i].kind = F_STRING;
            f[i].s = json_string_value(v);
            f[i].n = json_string_length(v);
        } else {
            f[i].kind = F_OTHER;
        }
    }
}

/* Reads an optional string member.  *out NULL when absent or null.
 * max: longest accepted length in bytes; ids: no control characters. */
static int get_string(const body_field *f, const char *key, size_t max, bool id,
                      int too_long_code, arena *a, const char **out, pt_error *err)
{
    *out = NULL;
    if (f->kind == F_ABSENT || f->kind == F_NULL)
        return 0;
    if (f->kind != F_STRING)
        return pt_fail(err, PT_ERR_UNPROCESSABLE, "%s must be a string", key);
    const char *s = f->s;
    size_t n = f->n;
    if (memchr(s, '\0', n) != NULL)
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

static int parse(const char *body, size_t len, arena *a, chat_request *out, pt_error *err,
                 bool fast)
{
    int rc = 0;
    json_t *root = NULL;
    json_error_t jerr;
    body_field f[F__COUNT];

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
    if (!fast || !fast_parse(body, len, a, f)) {
        if (json_depth(body, len, CHAT_JSON_DEPTH) > CHAT_JSON_DEPTH) {
            rc = pt_fail(err, PT_ERR_INVALID, "request body is nested deeper than %d levels",
                         CHAT_JSON_DEPTH);
            goto done;
        }
        root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
        if (root == NULL) {
            rc = pt_fail(err, PT_ERR_INVALID,
                         "request body is not valid JSON (line %d, column %d)", jerr.line,
                         jerr.column);
            goto done;
        }
        if (!json_is_object(root)) {
            rc = pt_fail(err, PT_ERR_INVALID, "request body must be a JSON object");
            goto done;
        }
        fields_from_json(root, f);
    }

    rc = get_string(&f[F_SESSION], "session_id", CHAT_ID_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->session_id, err);
    if (rc)
        goto done;
    if (out->session_id == NULL || out->session_id[0] == '\0') {
        rc = pt_fail(err, PT_ERR_MISSING, "session_id is %s",
                     out->session_id ? "empty" : "missing");
        goto done;
    }
    rc = get_string(&f[F_USER], "user_id", CHAT_ID_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->user_id, err);
    if (rc)
        goto done;
    if (out->user_id == NULL || out->user_id[0] == '\0') {
        rc = pt_fail(err, PT_ERR_MISSING, "user_id is %s", out->user_id ? "empty" : "missing");
        goto done;
    }
    rc = get_string(&f[F_CALLBACK], "callback_data", CHAT_CALLBACK_MAX, false,
                    PT_ERR_UNPROCESSABLE, a, &out->callback_data, err);
    if (rc)
        goto done;
    if (out->callback_data && out->callback_data[0] == '\0')
        out->callback_data = NULL;
    rc = get_string(&f[F_CHANNEL], "channel", CHAT_CHANNEL_MAX, true, PT_ERR_UNPROCESSABLE, a,
                    &out->channel, err);
    if (rc)
        goto done;
    rc = get_string(&f[F_QUERY], "query", CHAT_QUERY_MAX, false, PT_ERR_TOO_LARGE, a,
                    &out->query, err);
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

int chat_request_parse(const char *body, size_t len, arena *a, chat_request *out,
                       pt_error *err)
{
    return parse(body, len, a, out, err, true);
}

int chat_request_parse_jansson(const char *body, size_t len, arena *a, chat_request *out,
                               pt_error *err)
{
    return parse(body, len, a, out, err, false);
}
