/*
 * fuzz_when.c - libFuzzer target for date/time parsing.  The first eight
 * bytes choose "now" and the zone; the rest is the message.  The output, when
 * there is one, is always "YYYY-MM-DDTHH:MM" with valid fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nlu/entities_int.h"

static void check_when(const char *w, bool has_time)
{
    if (strlen(w) != 16 || w[4] != '-' || w[7] != '-' || w[10] != 'T' || w[13] != ':')
        abort();
    for (int i = 0; i < 16; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && (w[i] < '0' || w[i] > '9'))
            abort();
    int mo = (w[5] - '0') * 10 + (w[6] - '0'), d = (w[8] - '0') * 10 + (w[9] - '0');
    int h = (w[11] - '0') * 10 + (w[12] - '0'), mi = (w[14] - '0') * 10 + (w[15] - '0');
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
        abort();
    if (!has_time && (h != 0 || mi != 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const zones[] = {"Asia/Dubai", "Asia/Kolkata", NULL, "UTC",
                                        "Europe/London", "America/New_York", "No/Such_Zone",
                                        "../../etc/passwd"};
    time_t now = 1795078800;
    const char *tz = "Asia/Dubai";
    if (size >= 8) {
        uint64_t v = 0;
        memcpy(&v, data, 8);
        /* any instant between 1970 and ~2100 */
        now = (time_t)(v % 4102444800ULL);
        tz = zones[data[0] % 8];
        data += 8;
        size -= 8;
    }
    char out[20];
    bool ht = false;
    if (nlu_parse_when((const char *)data, size, now, tz, out, &ht))
        check_when(out, ht);
    arena a;
    arena_init(&a, 1u << 24);
    char *norm = NULL;
    size_t nl = 0;
    if (nlu_normalize(&a, (const char *)data, size, &norm, &nl) == 0
        && nlu_parse_when(norm, nl, now, tz, out, &ht))
        check_when(out, ht);
    arena_release(&a);
    return 0;
}
