/*
 * tz.c - a small TZif (RFC 8536) reader; see tz.h.
 *
 * Only the transition table is used (the version 2+ 64-bit block when
 * present).  Times after the last transition keep its offset, which is right
 * for zones without daylight saving (Asia/Dubai, Asia/Kolkata) and for the
 * "fat" files Debian ships.
 */
#include "util/tz.h"
#include "util/error.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_MAX_ZONES 64
#define TZ_FILE_MAX (256 * 1024)

typedef struct tz_zone {
    char name[64];
    int ok;
    int n;              /* transitions */
    int64_t *at;        /* transition instants */
    int32_t *offset;    /* offset in force from at[i] */
    int32_t initial;    /* offset before the first transition */
} tz_zone;

static tz_zone zones[TZ_MAX_ZONES];
static int n_zones;
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses one data block starting at p (after its 44-byte header). */
static int tz_parse_block(tz_zone *z, const unsigned char *buf, size_t len, size_t hdr, int timesize)
{
    if (hdr + 44 > len || memcmp(buf + hdr, "TZif", 4) != 0)
        return -1;
    const unsigned char *h = buf + hdr + 20;
    uint32_t isutcnt = be32(h), isstdcnt = be32(h + 4), leapcnt = be32(h + 8);
    uint32_t timecnt = be32(h + 12), typecnt = be32(h + 16), charcnt = be32(h + 20);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || charcnt > 65536 || leapcnt > 10000
        || isutcnt > 256 || isstdcnt > 256)
        return -1;
    size_t off = hdr + 44;
    size_t need = (size_t)timecnt * (size_t)timesize + timecnt + typecnt * 6 + charcnt
                  + leapcnt * (size_t)(timesize + 4) + isstdcnt + isutcnt;
    if (off + need > len)
        return -1;
    const unsigned char *times = buf + off;
    const unsigned char *idx = times + (size_t)timecnt * (size_t)timesize;
    const unsigned char *types = idx + timecnt;
    z->n = (int)timecnt;
    z->at = calloc(timecnt ? timecnt : 1, sizeof *z->at);
    z->offset = calloc(timecnt ? timecnt : 1, sizeof *z->offset);
    if (!z->at || !z->offset)
        return -1;
    for (uint32_t i = 0; i < timecnt; i++) {
        z->at[i] = timesize == 8 ? be64(times + 8 * (size_t)i) : (int32_t)be32(times + 4 * (size_t)i);
        unsigned t = idx[i];
        if (t >= typecnt)
            return -1;
        z->offset[i] = (int32_t)be32(types + 6 * t);
    }
    /* initial: first non-DST type, else type 0 */
    z->initial = (int32_t)be32(types);
    for (uint32_t t = 0; t < typecnt; t++)
        if (types[6 * t + 4] == 0) {
            z->initial = (int32_t)be32(types + 6 * t);
            break;
        }
    return (int)(off + need);
}

static void tz_load(tz_zone *z)
{
    unsigned char *buf = NULL;
    FILE *f = NULL;
    char path[256];
    z->ok = 0;
    if (strstr(z->name, "..") || z->name[0] == '/' || z->name[0] == '\0')
        goto done;
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z->name);
    f = fopen(path, "rb");
    if (f == NULL)
        goto done;
    buf = malloc(TZ_FILE_MAX);
    if (buf == NULL)
        goto done;
    size_t len = fread(buf, 1, TZ_FILE_MAX, f);
    if (len < 44 || memcmp(buf, "TZif", 4) != 0)
        goto done;
    int end1 = tz_parse_block(z, buf, len, 0, 4);
    if (end1 < 0)
        goto done;
    if (buf[4] >= '2') {
        free(z->at);
        free(z->offset);
        z->at = NULL;
        z->offset = NULL;
        if (tz_parse_block(z, buf, len, (size_t)end1, 8) < 0)
            goto done;
    }
    z->ok = 1;
done:
    if (!z->ok) {
        free(z->at);
        free(z->offset);
        z->at = NULL;
        z->offset = NULL;
        z->n = 0;
    }
    free(buf);
    if (f)
        fclose(f);
}

static const tz_zone *tz_find(const char *name)
{
    const tz_zone *found = NULL;
    pthread_mutex_lock(&zones_lock);
    for (int i = 0; i < n_zones; i++)
        if (strcmp(zones[i].name, name) == 0) {
            found = &zones[i];
            goto done;
        }
    if (n_zones < TZ_MAX_ZONES && strlen(name) < sizeof zones[0].name) {
        tz_zone *z = &zones[n_zones++];
        snprintf(z->name, sizeof z->name, "%s", name);
        tz_load(z);
        found = z;
    }
done:
    pthread_mutex_unlock(&zones_lock);
    return found && found->ok ? found : NULL;
}

static int is_utc(const char *name)
{
    return name == NULL || name[0] == '\0' || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0;
}

int tz_offset(const char *name, time_t t, int *offset)
{
    *offset = 0;
    if (is_utc(name))
        return 0;
    const tz_zone *z = tz_find(name);
    if (z == NULL)
        return -PT_ERR_NOT_FOUND;
    int lo = 0, hi = z->n - 1, best = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (z->at[mid] <= (int64_t)t) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    *offset = best < 0 ? z->initial : z->offset[best];
    return 0;
}

int tz_exists(const char *name)
{
    return is_utc(name) || tz_find(name) != NULL;
}

int tz_localtime(const char *name, time_t t, struct tm *out)
{
    int off = 0;
    int rc = tz_offset(name, t, &off);
    time_t local = t + off;
    gmtime_r(&local, out);
    out->tm_gmtoff = off;
    return rc;
}

time_t tz_mktime(const char *name, const struct tm *local)
{
    struct tm tmp = *local;
    time_t as_utc = timegm(&tmp);
    int off = 0;
    tz_offset(name, as_utc, &off);
    time_t guess = as_utc - off;
    tz_offset(name, guess, &off);   /* second pass for instants near a transition */
    return as_utc - off;
}
