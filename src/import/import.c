/*
 * import.c - turning CSV, JSON and RESO rows into listings; see import.h.
 *
 * Every format is reduced to one shape, an import_row: the §3 column values
 * as trimmed strings (NULL when absent), the display name of each column
 * (the CSV header, or the RESO field it came from) for messages, and the
 * extra fields as a JSON object text.  One validator (row_to_listing) turns
 * a row into a listing or rejects it with a message naming the field and the
 * value; import_row_emit() hands it to the writer (pipe.c), which upserts it
 * in the open batch, on this thread or, for files and large uploads, while
 * this module reads on a thread of its own.
 *
 * JSON documents are mapped (or, from a pipe, read whole up to a cap) and cut
 * into elements by a small scanner that knows where each element starts (for
 * line numbers); each element is then parsed on its own with jansson, so a
 * malformed element is one rejected row, not a lost file.  CSV streams
 * through csv.c.
 *
 * Not here: SQL (store), store batches and the report (pipe.c), reloading
 * the engine (callers).
 */
#include "import/import.h"
#include "import/csv.h"
#include "import/pipe.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/iso.h"
#include "util/arena.h"
#include "util/hash.h"

#define READ_CHUNK (64u << 10)
#define ROW_ARENA_CAP (8u << 20)
#define RESO_ATTRIBUTES_MAX (32u << 10)
#define JSON_SCAN_DEPTH 256

/* ---- columns ---------------------------------------------------------- */

#define IMPORT_COLUMNS(X)                                                      \
    X(COL_ID, "id") X(COL_TITLE, "title") X(COL_PROJECT, "project")            \
    X(COL_DEVELOPER, "developer") X(COL_CITY, "city") X(COL_LOCALITY, "locality") \
    X(COL_PTYPE, "property_type") X(COL_TX, "transaction")                     \
    X(COL_BEDROOMS, "bedrooms") X(COL_BATHROOMS, "bathrooms")                  \
    X(COL_AREA, "area_sqft") X(COL_PRICE, "price") X(COL_CURRENCY, "currency") \
    X(COL_UNITS, "units_available") X(COL_STATUS, "status")                    \
    X(COL_COMPLETION, "completion_date") X(COL_AMENITIES, "amenities")         \
    X(COL_LAT, "latitude") X(COL_LON, "longitude")                             \
    X(COL_YIELD, "rental_yield") X(COL_DESCRIPTION, "description")

enum {
#define X(e, n) e,
    IMPORT_COLUMNS(X)
#undef X
    COL__COUNT
};

static const char *const col_names[COL__COUNT] = {
#define X(e, n) n,
    IMPORT_COLUMNS(X)
#undef X
};

/* Longest accepted text per column, in bytes (0: not a free-text column). */
static size_t col_max_len(int col)
{
    switch (col) {
    case COL_ID: return 128;
    case COL_TITLE: return 300;
    case COL_PROJECT: case COL_DEVELOPER: return 200;
    case COL_CITY: case COL_LOCALITY: return 120;
    case COL_AMENITIES: return 4000;
    case COL_DESCRIPTION: return 16000;
    default: return 200;
    }
}

/* One row in the common shape. */
typedef struct import_row {
    long line;
    const char *v[COL__COUNT];        /* trimmed, NULL when absent or empty */
    const char *names[COL__COUNT];    /* field names for messages */
    const char *attributes_json;      /* extra fields as a JSON object, or NULL */
    bool off_market;                  /* RESO: remove the listing instead */
    bool ascii;                       /* every value is known to be ASCII (valid UTF-8) */
} import_row;

/* The reading side of one import (one thread). */
typedef struct importer {
    const tenant *t;
    import_pipe *pipe;       /* where rows, removals and rejections go */
    pt_error *err;           /* the reader's own error */
    int stop;                /* non-zero: the pipe refused an op; stop reading */
    arena a;                 /* the current row's strings */
    /* CSV header */
    bool have_header;
    int n_header;
    int *col_of;             /* header field -> column, or -1 (attribute) */
    char **header_names;     /* normalised names (NULL for an empty header cell) */
    /* the ids upserted so far in this file (ids_given below); heap, freed
     * by src_release */
    struct id_slot *ids;     /* ids_cap slots, a power of two, or NULL */
    size_t ids_cap, ids_n;
    char *id_text;           /* records [long line][id NUL], one after the other */
    size_t id_text_len, id_text_cap;
} importer;

/* ---- small text helpers ---------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * bytes there are not one (overlong forms and surrogates are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; cp = c & 0x07; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        /* ASCII eight bytes at a time, then one byte or one sequence */
        for (uint64_t w; i + 8 <= n; i += 8) {
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ULL)
                break;
        }
        if (i == n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

void import_text_clean(char *dst, size_t size, const char *src)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t n = strlen(src), o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) {
            if (o + 1 >= size)
                break;
            dst[o++] = '?';
            i++;
            continue;
        }
        if (o + k >= size)
            break;
        if (k == 1 && p[i] < 0x20)
            dst[o++] = ' ';
        else
            memcpy(dst + o, p + i, k), o += k;
        i += k;
    }
    dst[o] = '\0';
}

/* A short printable form of a value for messages (arena copy). */
static const char *quote_value(arena *a, const char *s)
{
    char tmp[64];
    import_text_clean(tmp, sizeof tmp, s ? s : "");
    if (strlen(s ? s : "") > strlen(tmp))
        return arena_printf(a, "%s...", tmp);
    return arena_strdup(a, tmp);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* A trimmed arena copy of s[0..n); NULL when nothing is left. */
static const char *trim_dup(arena *a, const char *s, size_t n)
{
    while (n > 0 && is_space(s[0]))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    return arena_strndup(a, s, n);
}

/* s[0..n) trimmed where it lies (a NUL written after the last kept byte);
 * NULL when nothing is left.  For the CSV reader's fields, which are the
 * parser's scratch until the record callback returns (csv.h). */
static const char *trim_in_place(char *s, size_t n)
{
    while (n > 0 && is_space(s[0]))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0)
        return NULL;
    s[n] = '\0';
    return s;
}

/* Header or JSON key -> canonical form: trimmed, ASCII lower case, spaces
 * and dashes as underscores. */
static char *normalise_name(arena *a, const char *s, size_t n)
{
    const char *t = trim_dup(a, s, n);
    if (t == NULL)
        return NULL;
    char *out = (char *)t;
    for (char *p = out; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (*p == ' ' || *p == '-')
            *p = '_';
    }
    return out;
}

static int column_by_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int c = 0; c < COL__COUNT; c++)
        if (strcmp(col_names[c], name) == 0)
            return c;
    return -1;
}

/* ---- the report -------------------------------------------------------- */

static void reject(importer *im, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Hands the writer a rejection of line (which goes into the report in file
 * order).  A refusal of the pipe is kept in im->stop. */
static void reject(importer *im, long line, const char *fmt, ...)
{
    char raw[512], msg[sizeof ((import_error *)0)->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    import_text_clean(msg, sizeof msg, raw);
    int rc = import_pipe_reject(im->pipe, line, msg);
    if (rc && im->stop == 0)
        im->stop = rc;
}

char *import_report_json(const import_report *r)
{
    char *out = NULL;
    json_t *o = json_object(), *errs = json_array();
    if (o == NULL || errs == NULL)
        goto done;
    json_object_set_new(o, "imported", json_integer(r->imported));
    json_object_set_new(o, "rejected", json_integer(r->rejected));
    if (r->removed)
        json_object_set_new(o, "removed", json_integer(r->removed));
    for (int i = 0; i < r->n_errors && i < IMPORT_MAX_ERRORS; i++) {
        json_t *e = json_object();
        if (e == NULL)
            goto done;
        json_object_set_new(e, "line", json_integer(r->errors[i].line));
        json_object_set_new(e, "message", json_string(r->errors[i].message));
        json_array_append_new(errs, e);
    }
    json_object_set(o, "errors", errs);
    out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(errs);
    json_decref(o);
    return out;
}

/* ---- numbers and dates ------------------------------------------------- */

/* The common case of parse_decimal: [-]digits[.digits] with at most 15
 * digits in all, which (digits / 10^k, both exact in a double) rounds the
 * same as strtod.  Returns 0, or -1 to leave the text to the general path. */
static int parse_decimal_fast(const char *s, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                   1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s;
    bool neg = *p == '-';
    if (neg)
        p++;
    uint64_t m = 0;
    int digits = 0, frac = -1;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            m = m * 10 + (uint64_t)(*p - '0');
            digits++;
            if (frac >= 0)
                frac++;
        } else if (*p == '.' && frac < 0) {
            frac = 0;
        } else {
            return -1;
        }
    }
    if (digits == 0 || digits > 15 || frac == 0)
        return -1;
    double v = (double)m;
    if (frac > 0)
        v /= pow10[frac];
    *out = neg ? -v : v;
    return 0;
}

/* Do the comma-separated groups of an integer part, of lengths len[0..n)
 * (n >= 2), read as thousands ("1,500,000": 1-3 digits, then threes) or
 * lakhs ("15,00,000": 1-2 digits, then twos, then three)? */
static bool groups_ok(const int *len, int n)
{
    int mid = n > 2 ? len[1] : 3;
    if (len[n - 1] != 3 || len[0] < 1 || len[0] > (mid == 2 ? 2 : 3))
        return false;
    for (int k = 1; k < n - 1; k++)
        if (len[k] != mid || (mid != 2 && mid != 3))
            return false;
    return true;
}

/* Parses a decimal number: optional sign, digits with optional separators
 * grouping the integer part as thousands ("1,500,000") or lakhs
 * ("15,00,000"), optional fraction and exponent.  Any other comma ("1,2",
 * the decimal comma of "1.500,50") makes it not a number rather than a
 * silently different one.  Returns 0 or -1 when s is not such a number. */
static int parse_decimal(const char *s, double *out)
{
    char tmp[64];
    if (parse_decimal_fast(s, out) == 0)
        return 0;
    size_t o = 0;
    int digits = 0, group[16], n_groups = 1;
    bool in_int = true;      /* still in the integer part */
    const char *p = s;
    if (*p == '+' || *p == '-') {
        if (*p == '-')
            tmp[o++] = '-';
        p++;
    }
    group[0] = 0;
    for (; *p; p++) {
        char c = *p;
        if (c >= '0' && c <= '9') {
            digits++;
            if (in_int)
                group[n_groups - 1]++;
        } else if (c == ',') {
            if (!in_int || group[n_groups - 1] == 0 || n_groups == 16)
                return -1;
            group[n_groups++] = 0;
            continue;
        } else if (c == '.' || c == 'e' || c == 'E' || ((c == '+' || c == '-') &&
                                                        (p[-1] == 'e' || p[-1] == 'E'))) {
            /* checked by strtod below */
            in_int = false;
        } else {
            return -1;
        }
        if (o + 1 >= sizeof tmp)
            return -1;
        tmp[o++] = c;
    }
    tmp[o] = '\0';
    if (digits == 0 || (n_groups > 1 && !groups_ok(group, n_groups)))
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || *end != '\0' || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Values that mean "not given" in an optional numeric column. */
static bool is_blank_word(const char *s)
{
    static const char *const words[] = {"-", "n/a", "na", "null", "none", "nil"};
    if ((s[0] >= '0' && s[0] <= '9') || s[0] == '.' || s[0] == '+' || (s[0] == '-' && s[1]))
        return false;     /* a number, the usual case */
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    return false;
}

static bool days_ok(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

static int digits_at(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ISO date "YYYY-MM-DD", "YYYY-MM" or a datetime whose date part is kept.
 * Returns the date text (arena) or NULL when s is not one. */
static const char *parse_iso_date(arena *a, const char *s)
{
    size_t n = strlen(s);
    if (n < 7 || s[4] != '-')
        return NULL;
    int y = digits_at(s, 4), m = digits_at(s + 5, 2);
    if (y < 1900 || y > 2200 || m < 1 || m > 12)
        return NULL;
    if (n == 7)
        return arena_strndup(a, s, 7);
    if (n < 10 || s[7] != '-')
        return NULL;
    int d = digits_at(s + 8, 2);
    if (d < 0 || !days_ok(y, m, d))
        return NULL;
    if (n > 10 && s[10] != 'T' && s[10] != ' ')
        return NULL;
    return arena_strndup(a, s, 10);
}

/* ---- the validator ----------------------------------------------------- */

#define BAD(...) do { snprintf(msg, sizeof msg, __VA_ARGS__); goto bad; } while (0)

/* An optional number: 0 absent (*has false), 0 present, -1 not a number. */
static int opt_number(const char *v, bool *has, double *out)
{
    *has = false;
    if (v == NULL || is_blank_word(v))
        return 0;
    if (parse_decimal(v, out) != 0)
        return -1;
    *has = true;
    return 0;
}

/* Fills l from r.  Returns 0, or -1 after rejecting the row. */
static int row_to_listing(importer *im, const import_row *r, listing *l)
{
    char msg[400];
    arena *a = &im->a;
    const char *const *v = r->v;
    const char *const *nm = r->names;
    double x;
    bool has;

    memset(l, 0, sizeof *l);
    l->bedrooms = -1;
    l->bathrooms = -1;
    l->area_sqft = -1;
    l->units_available = -1;
    l->rental_yield = -1;

    for (int c = 0; c < COL__COUNT; c++) {
        if (v[c] == NULL)
            continue;
        size_t n = strlen(v[c]);
        if (!r->ascii && !utf8_valid(v[c], n))
            BAD("%s is not valid UTF-8 (save the file as UTF-8)", nm[c]);
        if (n > col_max_len(c))
            BAD("%s is longer than %zu bytes", nm[c], col_max_len(c));
    }

    /* id */
    if (v[COL_ID] == NULL)
        BAD("%s is missing", nm[COL_ID]);
    for (const char *p = v[COL_ID]; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            BAD("%s \"%s\" contains a control character", nm[COL_ID], quote_value(a, v[COL_ID]));
    l->id = v[COL_ID];

    /* title / project */
    if (v[COL_TITLE] == NULL && v[COL_PROJECT] == NULL)
        BAD("%s and %s are both empty (one is required)", nm[COL_TITLE], nm[COL_PROJECT]);
    l->title = v[COL_TITLE];
    l->project = v[COL_PROJECT];
    l->developer = v[COL_DEVELOPER];
    l->city = v[COL_CITY];
    l->locality = v[COL_LOCALITY];
    l->description = v[COL_DESCRIPTION];

    /* property_type */
    if (v[COL_PTYPE] == NULL)
        BAD("%s is missing", nm[COL_PTYPE]);
    l->type = ptype_from_name(v[COL_PTYPE]);
    if (l->type == PTYPE_NONE)
        BAD("%s \"%s\" is not one of apartment, villa, townhouse, penthouse, studio, plot, "
            "office, shop", nm[COL_PTYPE], quote_value(a, v[COL_PTYPE]));

    /* transaction */
    if (v[COL_TX] == NULL)
        BAD("%s is missing", nm[COL_TX]);
    l->tx = tx_from_name(v[COL_TX]);
    if (l->tx == TX_NONE)
        BAD("%s \"%s\" is not sale or rent", nm[COL_TX], quote_value(a, v[COL_TX]));

    /* price */
    if (v[COL_PRICE] == NULL)
        BAD("%s is missing", nm[COL_PRICE]);
    if (parse_decimal(v[COL_PRICE], &x) != 0)
        BAD("%s \"%s\" is not a number", nm[COL_PRICE], quote_value(a, v[COL_PRICE]));
    if (x < 0)
        BAD("%s \"%s\" is negative", nm[COL_PRICE], quote_value(a, v[COL_PRICE]));
    if (x > 1e15)
        BAD("%s \"%s\" is too large", nm[COL_PRICE], quote_value(a, v[COL_PRICE]));
    l->price = (money)llround(x);

    /* bedrooms: "studio" is 0 */
    if (v[COL_BEDROOMS] && strcasecmp(v[COL_BEDROOMS], "studio") == 0) {
        l->bedrooms = 0;
    } else {
        if (opt_number(v[COL_BEDROOMS], &has, &x) != 0)
            BAD("%s \"%s\" is not a number", nm[COL_BEDROOMS], quote_value(a, v[COL_BEDROOMS]));
        if (has) {
            if (x < 0 || x > 100 || x != floor(x))
                BAD("%s \"%s\" is not a whole number from 0 to 100", nm[COL_BEDROOMS],
                    quote_value(a, v[COL_BEDROOMS]));
            l->bedrooms = (int)x;
        } else if (l->type == PTYPE_STUDIO) {
            l->bedrooms = 0;
        }
    }

    if (opt_number(v[COL_BATHROOMS], &has, &x) != 0)
        BAD("%s \"%s\" is not a number", nm[COL_BATHROOMS], quote_value(a, v[COL_BATHROOMS]));
    if (has) {
        if (x < 0 || x > 100)
            BAD("%s \"%s\" is not from 0 to 100", nm[COL_BATHROOMS],
                quote_value(a, v[COL_BATHROOMS]));
        l->bathrooms = x;
    }

    if (opt_number(v[COL_AREA], &has, &x) != 0)
        BAD("%s \"%s\" is not a number", nm[COL_AREA], quote_value(a, v[COL_AREA]));
    if (has) {
        if (x < 0 || x > 1e9)
            BAD("%s \"%s\" is not a plausible area", nm[COL_AREA], quote_value(a, v[COL_AREA]));
        l->area_sqft = x > 0 ? x : -1;
    }

    /* currency: the tenant's by default */
    if (v[COL_CURRENCY]) {
        const char *c = v[COL_CURRENCY];
        if (!iso_currency_known(c))
            BAD("%s \"%s\" is not an ISO 4217 currency code", nm[COL_CURRENCY],
                quote_value(a, c));
        for (int i = 0; i < 3; i++)
            l->currency[i] = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 'a' + 'A' : c[i]);
    } else {
        memcpy(l->currency, im->t->currency, 3);
    }
    l->currency[3] = '\0';

    if (opt_number(v[COL_UNITS], &has, &x) != 0)
        BAD("%s \"%s\" is not a number", nm[COL_UNITS], quote_value(a, v[COL_UNITS]));
    if (has) {
        if (x < 0 || x > 1e6 || x != floor(x))
            BAD("%s \"%s\" is not a whole number of units", nm[COL_UNITS],
                quote_value(a, v[COL_UNITS]));
        l->units_available = (int)x;
    }

    if (v[COL_STATUS]) {
        l->status = lstatus_from_name(v[COL_STATUS]);
        if (l->status == LSTATUS_NONE)
            BAD("%s \"%s\" is not ready or off_plan", nm[COL_STATUS],
                quote_value(a, v[COL_STATUS]));
    }

    if (v[COL_COMPLETION]) {
        l->completion_date = parse_iso_date(a, v[COL_COMPLETION]);
        if (l->completion_date == NULL)
            BAD("%s \"%s\" is not an ISO date (YYYY-MM-DD)", nm[COL_COMPLETION],
                quote_value(a, v[COL_COMPLETION]));
    }

    /* amenities: ';'-separated, trimmed, empty items dropped */
    if (v[COL_AMENITIES]) {
        const char *s = v[COL_AMENITIES];
        char *out = arena_alloc(a, strlen(s) + 1);
        size_t o = 0;
        if (out == NULL)
            BAD("out of memory");
        while (*s) {
            const char *e = strchr(s, ';');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            const char *item = s;
            while (n > 0 && is_space(item[0]))
                item++, n--;
            while (n > 0 && is_space(item[n - 1]))
                n--;
            if (n > 0) {
                if (o)
                    out[o++] = ';';
                memcpy(out + o, item, n);
                o += n;
            }
            s = e ? e + 1 : s + strlen(s);
        }
        out[o] = '\0';
        l->amenities = o ? out : NULL;
    }

    /* latitude / longitude: both or neither */
    {
        bool has_lat, has_lon;
        double lat = 0, lon = 0;
        if (opt_number(v[COL_LAT], &has_lat, &lat) != 0)
            BAD("%s \"%s\" is not a number", nm[COL_LAT], quote_value(a, v[COL_LAT]));
        if (opt_number(v[COL_LON], &has_lon, &lon) != 0)
            BAD("%s \"%s\" is not a number", nm[COL_LON], quote_value(a, v[COL_LON]));
        if (has_lat != has_lon)
            BAD("%s is given without %s", has_lat ? nm[COL_LAT] : nm[COL_LON],
                has_lat ? nm[COL_LON] : nm[COL_LAT]);
        if (has_lat) {
            if (lat < -90 || lat > 90)
                BAD("%s \"%s\" is not from -90 to 90", nm[COL_LAT], quote_value(a, v[COL_LAT]));
            if (lon < -180 || lon > 180)
                BAD("%s \"%s\" is not from -180 to 180", nm[COL_LON],
                    quote_value(a, v[COL_LON]));
            l->has_geo = true;
            l->latitude = lat;
            l->longitude = lon;
        }
    }

    /* rental_yield: percent, "6.5" or "6.5%" */
    if (v[COL_YIELD] && !is_blank_word(v[COL_YIELD])) {
        const char *y = v[COL_YIELD];
        size_t n = strlen(y);
        if (n > 1 && y[n - 1] == '%')
            y = arena_strndup(a, y, n - 1);
        if (y == NULL || parse_decimal(y, &x) != 0)
            BAD("%s \"%s\" is not a number", nm[COL_YIELD], quote_value(a, v[COL_YIELD]));
        if (x < 0 || x > 100)
            BAD("%s \"%s\" is not a percentage from 0 to 100", nm[COL_YIELD],
                quote_value(a, v[COL_YIELD]));
        l->rental_yield = x;
    }

    l->attributes_json = r->attributes_json;
    return 0;
bad:
    reject(im, r->line, "%s", msg);
    return -1;
}

#undef BAD

/* ---- ids given in this file ------------------------------------------- */

/* Each row's id is looked up among the ids this file already upserted, so
 * that a second row with an id is rejected (the first one stands) rather
 * than counted twice and silently overwriting it; an id from an earlier
 * import is an update.  One lookup a row, in memory: an open-addressing
 * table at most half full of 8-byte slots (32 bits of the id's hash and
 * where its record is), over one growing buffer of records [line][id NUL],
 * each padded to IDS_ALIGN bytes.  At 1M rows of 10-byte ids: 16 MB of
 * slots and 24 MB of records. */
struct id_slot {
    uint32_t tag;            /* the hash's high 32 bits */
    uint32_t at;             /* 1 + the record's offset in id_text / IDS_ALIGN; 0: empty */
};

#define IDS_SEED 0x1d5e7ULL
#define IDS_ALIGN 4
#define IDS_TEXT_MAX ((size_t)UINT32_MAX * IDS_ALIGN - 1)   /* offsets past this do not fit */

/* Doubles the table (or makes its first 4096 slots); a slot's place is
 * hashed again from its record, since the slot keeps only the tag. */
static int ids_grow(importer *im)
{
    size_t cap = im->ids_cap ? im->ids_cap * 2 : 4096;
    struct id_slot *t = calloc(cap, sizeof *t);
    if (t == NULL)
        return -PT_ERR_NOMEM;
    for (size_t i = 0; i < im->ids_cap; i++) {
        if (im->ids[i].at == 0)
            continue;
        const char *id = im->id_text + (size_t)(im->ids[i].at - 1) * IDS_ALIGN + sizeof(long);
        size_t j = hash_words(IDS_SEED, id, strlen(id)) & (cap - 1);
        while (t[j].at)
            j = (j + 1) & (cap - 1);
        t[j] = im->ids[i];
    }
    free(im->ids);
    im->ids = t;
    im->ids_cap = cap;
    return 0;
}

/* Whether id was upserted earlier in this file: *first is that row's line
 * (0: not given yet, and id is now recorded as given on line).  Returns 0,
 * -PT_ERR_NOMEM, or -PT_ERR_TOO_LARGE (records past IDS_TEXT_MAX, some
 * hundreds of millions of rows). */
static int ids_given(importer *im, const char *id, long line, long *first)
{
    size_t n = strlen(id);
    uint64_t h = hash_words(IDS_SEED, id, n);
    uint32_t tag = (uint32_t)(h >> 32);
    *first = 0;
    if (2 * (im->ids_n + 1) > im->ids_cap && ids_grow(im) != 0)
        return -PT_ERR_NOMEM;
    size_t j = h & (im->ids_cap - 1);
    for (; im->ids[j].at; j = (j + 1) & (im->ids_cap - 1)) {
        if (im->ids[j].tag != tag)
            continue;
        const char *rec = im->id_text + (size_t)(im->ids[j].at - 1) * IDS_ALIGN;
        if (strcmp(rec + sizeof(long), id) == 0) {
            memcpy(first, rec, sizeof(long));
            return 0;
        }
    }
    size_t need = (sizeof(long) + n + 1 + IDS_ALIGN - 1) / IDS_ALIGN * IDS_ALIGN;
    if (im->id_text_len + need > IDS_TEXT_MAX)
        return -PT_ERR_TOO_LARGE;
    if (im->id_text_len + need > im->id_text_cap) {
        size_t cap = im->id_text_cap ? im->id_text_cap * 2 : 64u << 10;
        while (cap < im->id_text_len + need)
            cap *= 2;
        char *b = realloc(im->id_text, cap);
        if (b == NULL)
            return -PT_ERR_NOMEM;
        im->id_text = b;
        im->id_text_cap = cap;
    }
    char *rec = im->id_text + im->id_text_len;
    memcpy(rec, &line, sizeof(long));
    memcpy(rec + sizeof(long), id, n + 1);
    im->ids[j] = (struct id_slot){.tag = tag, .at = (uint32_t)(im->id_text_len / IDS_ALIGN + 1)};
    im->id_text_len += need;
    im->ids_n++;
    return 0;
}

/* ---- rows to the writer ---------------------------------------------------- */

/* Validates r and hands it to the writer as an upsert (or a removal, for an
 * off-market RESO record).  Returns 0 (also when the row was rejected), or
 * non-zero when reading must stop (the pipe's refusal). */
static int import_row_emit(importer *im, const import_row *r)
{
    listing l;

    if (r->off_market) {
        if (r->v[COL_ID] == NULL)
            reject(im, r->line, "%s is missing", r->names[COL_ID]);
        else if (im->stop == 0)
            im->stop = import_pipe_remove(im->pipe, r->line, r->v[COL_ID]);
        return im->stop;
    }
    if (row_to_listing(im, r, &l) != 0 || im->stop != 0)
        return im->stop;
    long first = 0;
    int rc = ids_given(im, l.id, r->line, &first);
    if (rc == -PT_ERR_TOO_LARGE)
        im->stop = pt_fail(im->err, PT_ERR_TOO_LARGE, "too many rows in one file to check their ids "
                           "for duplicates (split the file)");
    else if (rc)
        im->stop = pt_fail(im->err, PT_ERR_NOMEM, "out of memory");
    else if (first)
        reject(im, r->line, "%s \"%s\" is given twice in this file (first on line %ld)",
               r->names[COL_ID], quote_value(&im->a, l.id), first);
    else
        im->stop = import_pipe_upsert(im->pipe, r->line, &l);
    return im->stop;
}

static void row_init(import_row *r, long line)
{
    memset(r, 0, sizeof *r);
    r->line = line;
    for (int c = 0; c < COL__COUNT; c++)
        r->names[c] = col_names[c];
}

/* Dumps attrs (if it has members) into the arena. */
static const char *attributes_text(arena *a, json_t *attrs, size_t max)
{
    const char *out = NULL;
    if (attrs == NULL || json_object_size(attrs) == 0)
        return NULL;
    char *s = json_dumps(attrs, JSON_COMPACT);
    if (s && (max == 0 || strlen(s) <= max))
        out = arena_strdup(a, s);
    free(s);
    return out;
}

/* ---- CSV ----------------------------------------------------------------- */

/* Appends ", \"name\"" to a list of missing columns. */
static void list_add(char *list, size_t size, int *n, const char *item)
{
    size_t o = strlen(list);
    snprintf(list + o, size - o, "%s%s", *n ? ", " : "", item);
    (*n)++;
}

/* The first record: maps each header cell to a column (or an attribute
 * name) and checks that the required columns are there. */
static int csv_header(importer *im, const csv_record *rec)
{
    int rc = 0, n_missing = 0;
    bool seen[COL__COUNT] = {false};
    char missing[200] = "";
    arena ha;

    arena_init(&ha, 0);
    if (rec->error) {
        rc = pt_fail(im->err, PT_ERR_INVALID, "header (line %ld): %s", rec->line, rec->error);
        goto done;
    }
    im->n_header = rec->n_fields;
    im->col_of = calloc((size_t)rec->n_fields, sizeof *im->col_of);
    im->header_names = calloc((size_t)rec->n_fields, sizeof *im->header_names);
    if (im->col_of == NULL || im->header_names == NULL) {
        rc = pt_fail(im->err, PT_ERR_NOMEM, "out of memory reading the header");
        goto done;
    }
    for (int i = 0; i < rec->n_fields; i++) {
        if (!utf8_valid(rec->fields[i], rec->lens[i]) || strlen(rec->fields[i]) != rec->lens[i]) {
            rc = pt_fail(im->err, PT_ERR_INVALID,
                         "header: column %d is not valid UTF-8 (save the file as UTF-8)", i + 1);
            goto done;
        }
        const char *name = normalise_name(&ha, rec->fields[i], rec->lens[i]);
        int col = column_by_name(name);
        im->col_of[i] = col;
        if (col >= 0 && seen[col]) {
            rc = pt_fail(im->err, PT_ERR_INVALID, "header: column \"%s\" appears twice",
                         col_names[col]);
            goto done;
        }
        if (col >= 0) {
            seen[col] = true;
            continue;
        }
        /* an extra column is kept under its normalised name: two alike would
         * overwrite each other in every row's attributes */
        for (int k = 0; name && k < i; k++)
            if (im->header_names[k] && strcmp(im->header_names[k], name) == 0) {
                char shown[64];
                import_text_clean(shown, sizeof shown, name);
                rc = pt_fail(im->err, PT_ERR_INVALID, "header: column \"%s\" appears twice",
                             shown);
                goto done;
            }
        if (name && (im->header_names[i] = strdup(name)) == NULL) {
            rc = pt_fail(im->err, PT_ERR_NOMEM, "out of memory reading the header");
            goto done;
        }
    }
    static const int required[] = {COL_ID, COL_PTYPE, COL_TX, COL_PRICE};
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
        char item[40];
        snprintf(item, sizeof item, "\"%s\"", col_names[required[k]]);
        if (!seen[required[k]])
            list_add(missing, sizeof missing, &n_missing, item);
    }
    if (!seen[COL_TITLE] && !seen[COL_PROJECT])
        list_add(missing, sizeof missing, &n_missing, "\"title\" or \"project\"");
    if (n_missing) {
        rc = pt_fail(im->err, PT_ERR_INVALID, "header (line %ld): missing column%s %s",
                     rec->line, n_missing > 1 ? "s" : "", missing);
        goto done;
    }
    im->have_header = true;
done:
    arena_release(&ha);
    return rc;
}

/* Is every field of rec whitespace (a line blank to the eye, "  " or
 * " , ,\t")?  Such a record is skipped like an empty line (csv.h). */
static bool record_blank(const csv_record *rec)
{
    for (int i = 0; i < rec->n_fields; i++)
        for (size_t k = 0; k < rec->lens[i]; k++)
            if (!is_space(rec->fields[i][k]))
                return false;
    return true;
}

static int csv_on_record(void *ctx, const csv_record *rec)
{
    importer *im = ctx;
    int rc = 0;
    bool any = false;        /* some field is more than whitespace */
    json_t *attrs = NULL;
    import_row r;

    if (!im->have_header)
        return rec->error == NULL && record_blank(rec) ? 0 : csv_header(im, rec);
    arena_release(&im->a);
    if (rec->error) {
        reject(im, rec->line, "%s", rec->error);
        goto done;
    }
    if (rec->n_fields != im->n_header) {
        if (record_blank(rec))
            goto done;
        reject(im, rec->line, "row has %d field%s, the header has %d", rec->n_fields,
               rec->n_fields == 1 ? "" : "s", im->n_header);
        goto done;
    }
    row_init(&r, rec->line);
    r.ascii = !rec->non_ascii;
    for (int i = 0; i < rec->n_fields; i++) {
        const char *name = im->col_of[i] >= 0 ? col_names[im->col_of[i]] : im->header_names[i];
        if (rec->has_nul && strlen(rec->fields[i]) != rec->lens[i]) {
            reject(im, rec->line, "%s contains a NUL byte", name ? name : "a column");
            goto done;
        }
        const char *val = trim_in_place((char *)rec->fields[i], rec->lens[i]);
        any |= val != NULL;
        if (im->col_of[i] >= 0) {
            r.v[im->col_of[i]] = val;
            continue;
        }
        if (name == NULL || val == NULL)
            continue;
        if (!r.ascii && !utf8_valid(val, strlen(val))) {
            reject(im, rec->line, "%s is not valid UTF-8 (save the file as UTF-8)", name);
            goto done;
        }
        if (attrs == NULL && (attrs = json_object()) == NULL) {
            rc = pt_fail(im->err, PT_ERR_NOMEM, "out of memory");
            goto done;
        }
        json_object_set_new(attrs, name, json_string(val));
    }
    if (!any)
        goto done;   /* only whitespace: a blank line */
    r.attributes_json = attributes_text(&im->a, attrs, 0);
    rc = import_row_emit(im, &r);
done:
    json_decref(attrs);
    return rc ? rc : im->stop;
}

/* CSV from f (after the npre bytes already read from it, when it cannot be
 * rewound) or from data[0..len). */
static int csv_import(importer *im, FILE *f, const char *pre, size_t npre, const char *data,
                      size_t len, const char *name)
{
    int rc = 0;
    csv_parser p;
    char *chunk = NULL;
    size_t n;

    if (f) {
        chunk = malloc(READ_CHUNK);
        if (chunk == NULL)
            return pt_fail(im->err, PT_ERR_NOMEM, "out of memory");
        if (npre > READ_CHUNK)
            npre = READ_CHUNK;
        if (npre)
            memcpy(chunk, pre, npre);
        n = npre ? npre : fread(chunk, 1, READ_CHUNK, f);
        csv_init(&p, csv_sniff_delimiter(chunk, n), csv_on_record, im);
        for (;;) {
            rc = csv_feed(&p, chunk, n);
            if (rc)
                goto done;
            if (n < READ_CHUNK) {
                if (ferror(f)) {
                    rc = pt_fail(im->err, PT_ERR_IO, "\"%s\": %s", name, strerror(errno));
                    goto done;
                }
                if (feof(f))
                    break;
            }
            n = fread(chunk, 1, READ_CHUNK, f);
        }
    } else {
        csv_init(&p, csv_sniff_delimiter(data, len < READ_CHUNK ? len : READ_CHUNK),
                 csv_on_record, im);
        rc = csv_feed(&p, data, len);
        if (rc)
            goto done;
    }
    rc = csv_finish(&p);
    if (rc == 0 && !im->have_header)
        rc = pt_fail(im->err, PT_ERR_INVALID, "\"%s\": no header line", name);
done:
    if (rc == -PT_ERR_NOMEM)
        pt_fail(im->err, PT_ERR_NOMEM, "out of memory");
    csv_release(&p);
    free(chunk);
    return rc;
}

/* ---- JSON values to column strings -------------------------------------- */

/* A scalar JSON value as text (arena).  *text NULL for null.  Returns 0, or
 * -1 when the value is an object or array. */
static int json_scalar_text(arena *a, json_t *v, const char **text)
{
    *text = NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        *text = trim_dup(a, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        *text = arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return 0;
    case JSON_REAL:
        *text = arena_printf(a, "%.17g", json_real_value(v));
        return 0;
    case JSON_TRUE:
        *text = "true";
        return 0;
    case JSON_FALSE:
        *text = "false";
        return 0;
    case JSON_NULL:
        return 0;
    default:
        return -1;
    }
}

/* Joins an array of strings with sep (arena).  NULL + *bad when an element
 * is not a string. */
static const char *json_join(arena *a, json_t *arr, char sep, bool *bad)
{
    size_t i, total = 1;
    json_t *e;
    *bad = false;
    json_array_foreach(arr, i, e) {
        if (!json_is_string(e)) {
            *bad = true;
            return NULL;
        }
        total += json_string_length(e) + 1;
    }
    char *out = arena_alloc(a, total);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    json_array_foreach(arr, i, e) {
        size_t n = json_string_length(e);
        if (n == 0)
            continue;
        if (o)
            out[o++] = sep;
        memcpy(out + o, json_string_value(e), n);
        o += n;
    }
    out[o] = '\0';
    return o ? out : NULL;
}

/* The string-valued members must not hide NUL characters. */
static bool has_nul(json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) != json_string_length(v);
}

static int native_row(importer *im, json_t *obj, import_row *r)
{
    int rc = 0;
    const char *key;
    json_t *val, *attrs = NULL;

    json_object_foreach(obj, key, val) {
        const char *norm = normalise_name(&im->a, key, strlen(key));
        int col = column_by_name(norm);
        if (has_nul(val)) {
            reject(im, r->line, "%s contains a NUL character", norm ? norm : "a key");
            rc = 1;
            goto done;
        }
        if (col < 0) {
            if (json_is_null(val) || key[0] == '\0')
                continue;
            if (attrs == NULL && (attrs = json_object()) == NULL) {
                rc = pt_fail(im->err, PT_ERR_NOMEM, "out of memory");
                goto done;
            }
            json_object_set(attrs, key, val);
            continue;
        }
        if (col == COL_AMENITIES && json_is_array(val)) {
            bool bad;
            r->v[col] = json_join(&im->a, val, ';', &bad);
            if (bad) {
                reject(im, r->line, "amenities must be a list of strings");
                rc = 1;
                goto done;
            }
            continue;
        }
        if (json_scalar_text(&im->a, val, &r->v[col]) != 0) {
            reject(im, r->line, "%s must be a string or a number, not %s", col_names[col],
                   json_is_array(val) ? "an array" : "an object");
            rc = 1;
            goto done;
        }
    }
    r->attributes_json = attributes_text(&im->a, attrs, 0);
done:
    json_decref(attrs);
    return rc;
}

/* ---- RESO ----------------------------------------------------------------- */

/* Lower case with spaces, dashes and underscores removed, for matching
 * RESO enumeration values written as codes or display strings. */
static void squash(char *dst, size_t size, const char *s)
{
    size_t o = 0;
    for (; *s && o + 1 < size; s++) {
        char c = *s;
        if (c == ' ' || c == '-' || c == '_' || c == '/')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        dst[o++] = c;
    }
    dst[o] = '\0';
}

static const struct {
    const char *name;        /* squashed */
    const char *ptype;
} reso_types[] = {
    {"apartment", "apartment"}, {"condominium", "apartment"}, {"condo", "apartment"},
    {"residential", "apartment"}, {"residentiallease", "apartment"},
    {"residentialincome", "apartment"}, {"stockcooperative", "apartment"},
    {"cooperative", "apartment"}, {"flat", "apartment"}, {"loft", "apartment"},
    {"duplex", "apartment"}, {"triplex", "apartment"}, {"quadruplex", "apartment"},
    {"multifamily", "apartment"},
    {"singlefamilyresidence", "villa"}, {"singlefamily", "villa"},
    {"singlefamilydetached", "villa"}, {"villa", "villa"}, {"house", "villa"},
    {"detached", "villa"}, {"bungalow", "villa"}, {"cabin", "villa"},
    {"manufacturedhome", "villa"}, {"manufacturedonland", "villa"}, {"mobilehome", "villa"},
    {"townhouse", "townhouse"}, {"townhome", "townhouse"}, {"rowhouse", "townhouse"},
    {"semidetached", "townhouse"}, {"twinhome", "townhouse"},
    {"penthouse", "penthouse"}, {"studio", "studio"},
    {"land", "plot"}, {"lot", "plot"}, {"lots", "plot"}, {"plot", "plot"},
    {"unimprovedland", "plot"}, {"farm", "plot"}, {"ranch", "plot"},
    {"office", "office"}, {"commercial", "office"}, {"commercialsale", "office"},
    {"commerciallease", "office"}, {"industrial", "office"}, {"warehouse", "office"},
    {"mixeduse", "office"},
    {"retail", "shop"}, {"shop", "shop"}, {"store", "shop"},
    {"businessopportunity", "shop"}, {"restaurant", "shop"},
};

static const char *reso_ptype(const char *s)
{
    char key[64];
    if (s == NULL)
        return NULL;
    squash(key, sizeof key, s);
    for (size_t i = 0; i < sizeof reso_types / sizeof reso_types[0]; i++)
        if (strcmp(reso_types[i].name, key) == 0)
            return reso_types[i].ptype;
    return NULL;
}

/* Fields mapped to columns; everything else becomes an attribute. */
static const char *const reso_mapped[] = {
    "ListingKey", "ListingId", "ListPrice", "BedroomsTotal", "BathroomsTotalInteger",
    "BathroomsTotalDecimal", "BathroomsFull", "LivingArea", "LivingAreaUnits",
    "BuildingAreaTotal", "LotSizeSquareFeet", "City", "SubdivisionName", "MLSAreaMajor",
    "PropertyType", "PropertySubType", "StandardStatus", "Latitude", "Longitude",
    "PublicRemarks", "ListingContractDate", "UnparsedAddress", "StreetNumber", "StreetName",
    "StreetSuffix", "BuildingName", "BuilderName", "AssociationAmenities",
    "LeaseAmountFrequency", "PropertyCondition",
};

static bool reso_is_mapped(const char *key)
{
    if (key[0] == '@')     /* @odata.* annotations */
        return true;
    for (size_t i = 0; i < sizeof reso_mapped / sizeof reso_mapped[0]; i++)
        if (strcmp(reso_mapped[i], key) == 0)
            return true;
    return false;
}

/* The text of a scalar RESO field, or NULL.  Sets *bad on an object/array. */
static const char *reso_text(importer *im, json_t *o, const char *field, bool *bad)
{
    const char *t = NULL;
    json_t *v = json_object_get(o, field);
    if (v == NULL)
        return NULL;
    if (has_nul(v) || json_scalar_text(&im->a, v, &t) != 0)
        *bad = true;
    return t;
}

/* Sets column col from the first present field of a NULL-terminated list.
 * Returns 0, or 1 after rejecting the row. */
static int reso_take(importer *im, json_t *o, import_row *r, int col, ...)
{
    va_list ap;
    const char *field;
    int rc = 0;
    va_start(ap, col);
    while ((field = va_arg(ap, const char *)) != NULL) {
        bool bad = false;
        const char *t = reso_text(im, o, field, &bad);
        if (bad) {
            reject(im, r->line, "%s must be a string or a number", field);
            rc = 1;
            break;
        }
        if (t) {
            r->v[col] = t;
            r->names[col] = field;
            break;
        }
    }
    va_end(ap);
    return rc;
}

/* Case-insensitive "does the value (string or array of strings) mention w". */
static bool reso_mentions(json_t *v, const char *w)
{
    if (json_is_string(v))
        return strcasestr(json_string_value(v), w) != NULL;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
            if (json_is_string(e) && strcasestr(json_string_value(e), w))
                return true;
    }
    return false;
}

static int reso_row(importer *im, json_t *o, import_row *r)
{
    int rc = 0;
    bool bad = false;
    json_t *attrs = NULL;
    arena *a = &im->a;

    if (reso_take(im, o, r, COL_ID, "ListingKey", "ListingId", (char *)NULL) ||
        reso_take(im, o, r, COL_PRICE, "ListPrice", (char *)NULL) ||
        reso_take(im, o, r, COL_BEDROOMS, "BedroomsTotal", (char *)NULL) ||
        reso_take(im, o, r, COL_BATHROOMS, "BathroomsTotalInteger", "BathroomsTotalDecimal",
                  "BathroomsFull", (char *)NULL) ||
        reso_take(im, o, r, COL_CITY, "City", (char *)NULL) ||
        reso_take(im, o, r, COL_LOCALITY, "SubdivisionName", "MLSAreaMajor", (char *)NULL) ||
        reso_take(im, o, r, COL_LAT, "Latitude", (char *)NULL) ||
        reso_take(im, o, r, COL_LON, "Longitude", (char *)NULL) ||
        reso_take(im, o, r, COL_DESCRIPTION, "PublicRemarks", (char *)NULL) ||
        reso_take(im, o, r, COL_PROJECT, "BuildingName", (char *)NULL) ||
        reso_take(im, o, r, COL_DEVELOPER, "BuilderName", (char *)NULL)) {
        rc = 1;
        goto done;
    }

    /* status: off-market records remove the listing */
    const char *status = reso_text(im, o, "StandardStatus", &bad);
    if (status) {
        char st[48];
        squash(st, sizeof st, status);
        if (!strcmp(st, "closed") || !strcmp(st, "expired") || !strcmp(st, "withdrawn") ||
            !strcmp(st, "canceled") || !strcmp(st, "cancelled") || !strcmp(st, "delete") ||
            !strcmp(st, "deleted")) {
            r->off_market = true;
            goto done;
        }
    }

    /* property type and transaction */
    const char *ptype_field = "PropertySubType";
    const char *sub = reso_text(im, o, "PropertySubType", &bad);
    const char *type = reso_text(im, o, "PropertyType", &bad);
    const char *pt = reso_ptype(sub);
    if (pt == NULL) {
        pt = reso_ptype(type);
        ptype_field = "PropertyType";
    }
    if (pt == NULL) {
        if (type == NULL && sub == NULL)
            reject(im, r->line, "PropertyType is missing");
        else
            reject(im, r->line, "%s \"%s\" has no matching property_type",
                   sub && !type ? "PropertySubType" : "PropertyType",
                   quote_value(a, type ? type : sub));
        rc = 1;
        goto done;
    }
    r->v[COL_PTYPE] = pt;
    r->names[COL_PTYPE] = ptype_field;
    bool lease = type && strcasestr(type, "lease") != NULL;
    r->v[COL_TX] = lease ? "rent" : "sale";
    r->names[COL_TX] = "PropertyType";

    /* a lease price is per year in proptalk; convert a stated frequency */
    const char *freq = reso_text(im, o, "LeaseAmountFrequency", &bad);
    if (lease && freq && r->v[COL_PRICE]) {
        static const struct { const char *f; double k; } freqs[] = {
            {"monthly", 12}, {"weekly", 52}, {"daily", 365}, {"quarterly", 4},
            {"semimonthly", 24}, {"biweekly", 26}, {"semiannually", 2},
        };
        char fk[32];
        double price;
        squash(fk, sizeof fk, freq);
        for (size_t i = 0; i < sizeof freqs / sizeof freqs[0]; i++)
            if (strcmp(fk, freqs[i].f) == 0 && parse_decimal(r->v[COL_PRICE], &price) == 0)
                r->v[COL_PRICE] = arena_printf(a, "%.2f", price * freqs[i].k);
    }

    /* area: living area (square metres converted), else building, else lot */
    if (reso_take(im, o, r, COL_AREA, "LivingArea", "BuildingAreaTotal", (char *)NULL)) {
        rc = 1;
        goto done;
    }
    if (r->v[COL_AREA] == NULL && strcmp(pt, "plot") == 0 &&
        reso_take(im, o, r, COL_AREA, "LotSizeSquareFeet", (char *)NULL)) {
        rc = 1;
        goto done;
    }
    const char *units = reso_text(im, o, "LivingAreaUnits", &bad);
    if (units && r->v[COL_AREA] && strcasestr(units, "met")) {
        double m2;
        if (parse_decimal(r->v[COL_AREA], &m2) == 0)
            r->v[COL_AREA] = arena_printf(a, "%.1f", m2 * 10.7639);
    }

    if (reso_mentions(json_object_get(o, "PropertyCondition"), "under construction") ||
        reso_mentions(json_object_get(o, "PropertyCondition"), "to be built"))
        r->v[COL_STATUS] = "off_plan";
    else if (status)
        r->v[COL_STATUS] = "ready";

    /* amenities: an array, or a comma-separated string */
    json_t *am = json_object_get(o, "AssociationAmenities");
    if (json_is_array(am)) {
        r->v[COL_AMENITIES] = json_join(a, am, ';', &bad);
    } else if (json_is_string(am)) {
        char *s = arena_strdup(a, json_string_value(am));
        for (char *p = s; p && *p; p++)
            if (*p == ',')
                *p = ';';
        r->v[COL_AMENITIES] = s;
    }
    r->names[COL_AMENITIES] = "AssociationAmenities";

    /* title: the address, else a description of the home */
    const char *title = reso_text(im, o, "UnparsedAddress", &bad);
    if (title == NULL) {
        const char *num = reso_text(im, o, "StreetNumber", &bad);
        const char *street = reso_text(im, o, "StreetName", &bad);
        const char *suffix = reso_text(im, o, "StreetSuffix", &bad);
        if (street)
            title = arena_printf(a, "%s%s%s%s%s", num ? num : "", num ? " " : "", street,
                                 suffix ? " " : "", suffix ? suffix : "");
    }
    if (title == NULL) {
        const char *where = r->v[COL_LOCALITY] ? r->v[COL_LOCALITY] : r->v[COL_CITY];
        const char *beds = r->v[COL_BEDROOMS];
        title = arena_printf(a, "%s%s%c%s%s%s", beds ? beds : "", beds ? " BR " : "",
                             pt[0] - 'a' + 'A', pt + 1, where ? " in " : "", where ? where : "");
    }
    r->v[COL_TITLE] = title;
    r->names[COL_TITLE] = "UnparsedAddress";
    if (bad) {
        reject(im, r->line, "a RESO field that must be a string or a number is not");
        rc = 1;
        goto done;
    }

    /* the rest as attributes */
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        if (reso_is_mapped(key) || json_is_null(val))
            continue;
        if (attrs == NULL && (attrs = json_object()) == NULL)
            break;
        json_object_set(attrs, key, val);
    }
    r->attributes_json = attributes_text(a, attrs, RESO_ATTRIBUTES_MAX);
done:
    json_decref(attrs);
    return rc;
}

/* ---- JSON documents ------------------------------------------------------ */

typedef struct jscan {
    const char *s;
    size_t n, i;
    long line;
    char msg[160];
} jscan;

static void js_ws(jscan *j)
{
    while (j->i < j->n) {
        char c = j->s[j->i];
        if (c == '\n')
            j->line++;
        else if (c != ' ' && c != '\t' && c != '\r')
            break;
        j->i++;
    }
}

static int js_fail(jscan *j, const char *what)
{
    snprintf(j->msg, sizeof j->msg, "line %ld: %s", j->line, what);
    return -1;
}

/* Skips the string at j->i (which is '"'). */
static int js_string(jscan *j)
{
    j->i++;
    while (j->i < j->n) {
        char c = j->s[j->i++];
        if (c == '\\') {
            if (j->i >= j->n)
                break;
            j->i++;
        } else if (c == '"') {
            return 0;
        } else if (c == '\n') {
            j->line++;
        }
    }
    return js_fail(j, "a string is never closed");
}

/* Skips one value (scalar or container) checking that brackets match.
 * The inside of an element is validated later by jansson. */
static int js_value(jscan *j)
{
    char stack[JSON_SCAN_DEPTH];
    int depth = 0;
    if (j->i >= j->n)
        return js_fail(j, "a value is missing");
    char c = j->s[j->i];
    if (c != '{' && c != '[') {
        if (c == '"')
            return js_string(j);
        size_t start = j->i;
        while (j->i < j->n && !strchr(",]}: \t\r\n", j->s[j->i]))
            j->i++;
        return j->i > start ? 0 : js_fail(j, "a value is missing");
    }
    while (j->i < j->n) {
        c = j->s[j->i];
        if (c == '"') {
            if (js_string(j))
                return -1;
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == JSON_SCAN_DEPTH)
                return js_fail(j, "nested too deeply");
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (depth == 0 || stack[depth - 1] != c)
                return js_fail(j, "brackets do not match");
            if (--depth == 0) {
                j->i++;
                return 0;
            }
        } else if (c == '\n') {
            j->line++;
        }
        j->i++;
    }
    return js_fail(j, "the document ends inside a value");
}

/* Processes one array element (when im is not NULL). */
static int json_element(importer *im, const char *text, size_t n, long line)
{
    int rc = 0;
    json_error_t jerr;
    import_row r;
    json_t *o = json_loadb(text, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

    arena_release(&im->a);
    row_init(&r, line);
    if (o == NULL) {
        reject(im, line + (jerr.line > 0 ? jerr.line - 1 : 0), "malformed JSON: %s", jerr.text);
        goto done;
    }
    if (!json_is_object(o)) {
        reject(im, line, "element is not a JSON object");
        goto done;
    }
    bool reso = json_object_get(o, "ListingKey") && !json_object_get(o, "id");
    rc = reso ? reso_row(im, o, &r) : native_row(im, o, &r);
    if (rc == 0)
        rc = import_row_emit(im, &r);
    else if (rc > 0)
        rc = 0;     /* the row was rejected */
done:
    json_decref(o);
    return rc ? rc : im->stop;
}

/* The elements of the array at j->i.  With im NULL only checks the shape. */
static int js_array(jscan *j, importer *im)
{
    j->i++;
    js_ws(j);
    if (j->i < j->n && j->s[j->i] == ']') {
        j->i++;
        return 0;
    }
    for (;;) {
        js_ws(j);
        if (j->i < j->n && j->s[j->i] == ']')
            return js_fail(j, "a comma before ']'");
        size_t start = j->i;
        long line = j->line;
        if (js_value(j))
            return -1;
        if (im) {
            int rc = json_element(im, j->s + start, j->i - start, line);
            if (rc)
                return rc;
        }
        js_ws(j);
        if (j->i >= j->n)
            return js_fail(j, "the document ends inside an array");
        if (j->s[j->i] == ']') {
            j->i++;
            return 0;
        }
        if (j->s[j->i] != ',')
            return js_fail(j, "expected ',' or ']' between elements");
        j->i++;
    }
}

/* A RESO payload: the top-level object's "value" array. */
static int js_reso(jscan *j, importer *im)
{
    bool found = false;
    j->i++;
    js_ws(j);
    if (j->i < j->n && j->s[j->i] == '}') {
        j->i++;
        goto end;
    }
    for (;;) {
        js_ws(j);
        if (j->i >= j->n || j->s[j->i] != '"')
            return js_fail(j, "expected a key");
        size_t k = j->i;
        if (js_string(j))
            return -1;
        bool is_value = j->i - k == 7 && memcmp(j->s + k, "\"value\"", 7) == 0;
        js_ws(j);
        if (j->i >= j->n || j->s[j->i] != ':')
            return js_fail(j, "expected ':' after a key");
        j->i++;
        js_ws(j);
        if (is_value && j->i < j->n && j->s[j->i] == '[') {
            found = true;
            int rc = js_array(j, im);
            if (rc)
                return rc;
        } else if (js_value(j)) {
            return -1;
        }
        js_ws(j);
        if (j->i < j->n && j->s[j->i] == '}') {
            j->i++;
            break;
        }
        if (j->i >= j->n || j->s[j->i] != ',')
            return js_fail(j, "expected ',' or '}' between members");
        j->i++;
    }
end:
    if (!found)
        return js_fail(j, "a JSON object must be a RESO payload {\"value\": [...]}");
    return 0;
}

/* Checks the shape (im NULL) or imports (im set) the document s.  A shape
 * error returns -PT_ERR_INVALID with its message in msg. */
static int js_document(importer *im, const char *s, size_t n, char *msg, size_t msg_size)
{
    jscan j = {.s = s, .n = n, .i = 0, .line = 1};
    int rc;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        j.i = 3;
    js_ws(&j);
    if (j.i < n && s[j.i] == '[')
        rc = js_array(&j, im);
    else
        rc = js_reso(&j, im);
    if (rc == 0) {
        js_ws(&j);
        if (j.i < n)
            rc = js_fail(&j, "unexpected text after the JSON document");
    }
    if (rc == -1) {
        snprintf(msg, msg_size, "%s", j.msg);
        rc = -PT_ERR_INVALID;
    }
    return rc;
}

/* Checks the whole document first, so a malformed file imports nothing. */
static int json_import(importer *im, const char *data, size_t len, const char *name)
{
    char msg[200] = "";
    int rc = js_document(NULL, data, len, msg, sizeof msg);
    if (rc)
        return pt_fail(im->err, PT_ERR_INVALID, "\"%s\": malformed JSON: %s", name, msg);
    return js_document(im, data, len, msg, sizeof msg);
}

/* ---- entry points -------------------------------------------------------- */

/* Offset of the first byte that is not whitespace or a BOM, or len. */
static size_t first_content(const char *s, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && is_space(s[i]))
        i++;
    return i;
}

/* What the reading side reads: CSV from a stream (after the npre bytes
 * already read from it, when it cannot be rewound) or from memory, or a JSON
 * document in memory. */
typedef struct import_src {
    importer im;
    FILE *f;
    const char *pre;
    size_t npre;
    const char *data;
    size_t len;
    bool json;
    const char *name;
} import_src;

/* The reading side's whole run (import_pipe_run calls it, on a thread of
 * its own when the pipe is threaded). */
static int src_read(void *ctx, pt_error *err)
{
    import_src *src = ctx;
    importer *im = &src->im;
    im->err = err;
    if (src->json)
        return json_import(im, src->data, src->len, src->name);
    if (src->f)
        return csv_import(im, src->f, src->pre, src->npre, NULL, 0, src->name);
    return csv_import(im, NULL, NULL, 0, src->data, src->len, src->name);
}

static void src_init(import_src *src, const tenant *t, import_pipe *p, const char *name)
{
    memset(src, 0, sizeof *src);
    src->im.t = t;
    src->im.pipe = p;
    src->name = name;
    arena_init(&src->im.a, ROW_ARENA_CAP);
}

static void src_release(import_src *src)
{
    importer *im = &src->im;
    arena_release(&im->a);
    for (int i = 0; i < im->n_header; i++)
        free(im->header_names ? im->header_names[i] : NULL);
    free(im->header_names);
    free(im->col_of);
    free(im->ids);
    free(im->id_text);
}

/* Uploads from this size on are read on a thread of their own. */
#define IMPORT_THREADED_BYTES (1u << 20)

int import_buffer(store *s, const tenant *t, const char *data, size_t len,
                  import_report *out, pt_error *err)
{
    import_pipe *p = NULL;
    import_src src;
    int rc = import_pipe_open(s, t, len >= IMPORT_THREADED_BYTES, out, err, &p);
    if (rc)
        return rc;
    src_init(&src, t, p, "upload");
    size_t i = first_content(data, len);
    if (i == len) {
        rc = pt_fail(err, PT_ERR_INVALID, "the upload is empty");
    } else {
        src.json = data[i] == '[' || data[i] == '{';
        src.data = data;
        src.len = len;
        rc = import_pipe_run(p, src_read, &src);
    }
    rc = import_pipe_finish(p, rc);
    src_release(&src);
    return rc;
}

int import_file(store *s, const tenant *t, const char *path, import_report *out,
                pt_error *err)
{
    import_pipe *p = NULL;
    import_src src;
    int rc = 0;
    FILE *f = NULL;
    char *doc = NULL;
    size_t len = 0, alloc = 0;
    void *map = NULL;
    size_t map_len = 0;

    rc = import_pipe_open(s, t, true, out, err, &p);
    if (rc)
        return rc;
    src_init(&src, t, p, path);
    f = fopen(path, "rb");
    if (f == NULL) {
        rc = pt_fail(err, PT_ERR_IO, "\"%s\": %s", path, strerror(errno));
        goto done;
    }
    /* peek at the first bytes to tell CSV from JSON */
    char head[512];
    size_t n = fread(head, 1, sizeof head, f);
    size_t i = first_content(head, n);
    while (i == n && n == sizeof head) {          /* a long run of blanks */
        n = fread(head, 1, sizeof head, f);
        i = first_content(head, n);
    }
    if (ferror(f)) {
        rc = pt_fail(err, PT_ERR_IO, "\"%s\": %s", path, strerror(errno));
        goto done;
    }
    if (i == n) {
        rc = pt_fail(err, PT_ERR_INVALID, "\"%s\": the file is empty", path);
        goto done;
    }
    /* a pipe cannot be rewound: what was peeked is fed first (line numbers
     * then start after any run of blank 512-byte chunks skipped above) */
    bool rewound = fseek(f, 0, SEEK_SET) == 0;
    if (head[i] != '[' && head[i] != '{') {
        src.f = f;
        src.pre = rewound ? NULL : head;
        src.npre = rewound ? 0 : n;
        rc = import_pipe_run(p, src_read, &src);
        goto done;
    }
    src.json = true;
    /* JSON: a regular file is mapped, so a large one takes no heap and
     * the kernel may drop pages already read; anything else is read whole
     * (capped) */
    struct stat stt;
    if (fstat(fileno(f), &stt) == 0 && S_ISREG(stt.st_mode) && stt.st_size > 0 &&
        (uint64_t)stt.st_size < ((uint64_t)1 << 40)) {
        map_len = (size_t)stt.st_size;
        map = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        if (map != MAP_FAILED) {
            madvise(map, map_len, MADV_SEQUENTIAL);
            src.data = map;
            src.len = map_len;
            rc = import_pipe_run(p, src_read, &src);
            goto done;
        }
        map = NULL;
    }
    if (!rewound) {
        doc = malloc(4 * READ_CHUNK);
        if (doc == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "\"%s\": out of memory", path);
            goto done;
        }
        alloc = 4 * READ_CHUNK;
        memcpy(doc, head, n);
        len = n;
    }
    for (;;) {
        if (len + READ_CHUNK > alloc) {
            size_t na = alloc ? alloc * 2 : 4 * READ_CHUNK;
            if (na > IMPORT_JSON_MAX_BYTES + READ_CHUNK)
                na = IMPORT_JSON_MAX_BYTES + READ_CHUNK;
            char *d = realloc(doc, na);
            if (d == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "\"%s\": out of memory", path);
                goto done;
            }
            doc = d;
            alloc = na;
        }
        size_t r = fread(doc + len, 1, READ_CHUNK, f);
        len += r;
        if (len > IMPORT_JSON_MAX_BYTES) {
            rc = pt_fail(err, PT_ERR_TOO_LARGE, "\"%s\": JSON over %u MiB (use CSV for "
                         "larger files)", path, IMPORT_JSON_MAX_BYTES >> 20);
            goto done;
        }
        if (r < READ_CHUNK) {
            if (ferror(f)) {
                rc = pt_fail(err, PT_ERR_IO, "\"%s\": %s", path, strerror(errno));
                goto done;
            }
            break;
        }
    }
    src.data = doc;
    src.len = len;
    rc = import_pipe_run(p, src_read, &src);
done:
    rc = import_pipe_finish(p, rc);
    src_release(&src);
    free(doc);
    if (map)
        munmap(map, map_len);
    if (f)
        fclose(f);
    return rc;
}
