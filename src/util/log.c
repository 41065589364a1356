/*
 * log.c - stderr logger; see log.h.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int log_level = LOG_INFO;

void log_init(void)
{
    log_init_default(LOG_INFO);
}

void log_init_default(int level)
{
    const char *s = getenv("PROPTALK_LOG");
    log_level = level;
    if (s == NULL)
        return;
    if (strcmp(s, "error") == 0) log_level = LOG_ERROR;
    else if (strcmp(s, "warn") == 0) log_level = LOG_WARN;
    else if (strcmp(s, "debug") == 0) log_level = LOG_DEBUG;
    else log_level = LOG_INFO;
}

void log_msg(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > log_level)
        return;
    char line[1024];
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int n = snprintf(line, sizeof line, "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
