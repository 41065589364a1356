/*
 * error.h - the one error enum of proptalk.
 *
 * Every fallible function returns an `int`: 0 (PT_OK) on success or a
 * negative pt_err code.  The codes are generated from one X-macro table that
 * also gives each code its symbolic name (used as the "code" field of HTTP
 * error bodies) and the HTTP status it maps to.  A human-readable message
 * travels beside the code in a `pt_error`, written in the style of curl's
 * failf: lower case, what failed first, the subject quoted.
 *
 * This file is not for logging; see log.h.
 */
#ifndef PT_ERROR_H
#define PT_ERROR_H

#include <stddef.h>

/*      enum name            code string          http */
#define PT_ERRNO_MAP(X)                                   \
    X(PT_OK,                 "ok",                 200)   \
    X(PT_ERR_NOMEM,          "out_of_memory",      503)   \
    X(PT_ERR_INVALID,        "invalid_request",    400)   \
    X(PT_ERR_MISSING,        "missing_field",      422)   \
    X(PT_ERR_UNPROCESSABLE,  "unprocessable",      422)   \
    X(PT_ERR_UNAUTHORIZED,   "unauthorized",       401)   \
    X(PT_ERR_FORBIDDEN,      "forbidden",          403)   \
    X(PT_ERR_NOT_FOUND,      "not_found",          404)   \
    X(PT_ERR_METHOD,         "method_not_allowed", 405)   \
    X(PT_ERR_CONFLICT,       "conflict",           409)   \
    X(PT_ERR_TOO_LARGE,      "payload_too_large",  413)   \
    X(PT_ERR_RATE_LIMITED,   "rate_limited",       429)   \
    X(PT_ERR_UNAVAILABLE,    "unavailable",        503)   \
    X(PT_ERR_IO,             "io_error",           500)   \
    X(PT_ERR_STORE,          "store_error",        500)   \
    X(PT_ERR_INTERNAL,       "internal_error",     500)

typedef enum pt_err {
#define PT_X_ENUM(name, str, http) name,
    PT_ERRNO_MAP(PT_X_ENUM)
#undef PT_X_ENUM
    PT_ERR__COUNT
} pt_err;

/* Functions return -code; these helpers take either sign. */
const char *pt_err_name(int code);   /* "not_found"; never NULL */
int pt_err_http_status(int code);    /* 404; 500 for unknown codes */

/* A message beside the code.  Fixed size so it can live on the stack and
 * be filled without allocating (an out-of-memory path must still report). */
typedef struct pt_error {
    int code;          /* a pt_err, positive; PT_OK when nothing failed */
    char msg[256];
} pt_error;

/* Sets err (if not NULL) to code and a printf-style message; returns -code so
 * callers can write `return pt_fail(err, PT_ERR_INVALID, "budget \"%s\": ...", s);`.
 * Does not overwrite an error already set (the first failure is the cause). */
int pt_fail(pt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to PT_OK with an empty message. */
void pt_error_clear(pt_error *err);

#endif
