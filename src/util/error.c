/*
 * error.c - names, HTTP statuses and messages for the pt_err enum.
 */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
    const char *name;
    int http;
} error_table[] = {
#define PT_X_ROW(name, str, http) {str, http},
    PT_ERRNO_MAP(PT_X_ROW)
#undef PT_X_ROW
};

static int error_index(int code)
{
    if (code < 0)
        code = -code;
    if (code >= PT_ERR__COUNT)
        return PT_ERR_INTERNAL;
    return code;
}

const char *pt_err_name(int code)
{
    return error_table[error_index(code)].name;
}

int pt_err_http_status(int code)
{
    return error_table[error_index(code)].http;
}

int pt_fail(pt_error *err, int code, const char *fmt, ...)
{
    if (code < 0)
        code = -code;
    if (err && err->code == PT_OK) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -code;
}

void pt_error_clear(pt_error *err)
{
    if (err) {
        err->code = PT_OK;
        err->msg[0] = '\0';
    }
}
