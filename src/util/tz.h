/*
 * tz.h - UTC offsets of IANA time zones, read from the system's TZif files
 * (/usr/share/zoneinfo) without touching the process-wide TZ variable, so it
 * is safe from any thread.  Loaded zones are cached for the process life.
 */
#ifndef PT_TZ_H
#define PT_TZ_H

#include <time.h>

/* Offset of zone name from UTC at instant t, in seconds (Asia/Dubai: 14400).
 * "UTC", NULL or "" give 0.  Returns 0, or -PT_ERR_NOT_FOUND when the zone
 * file is missing or malformed (then *offset is 0). */
int tz_offset(const char *name, time_t t, int *offset);

/* True when name is a zone tz_offset can read. */
int tz_exists(const char *name);

/* Local civil time of t in zone name, as a struct tm (tm_gmtoff set). */
int tz_localtime(const char *name, time_t t, struct tm *out);

/* The UTC instant of a local civil time in zone name (inverse of
 * tz_localtime; uses the offset in force at that time). */
time_t tz_mktime(const char *name, const struct tm *local);

#endif
