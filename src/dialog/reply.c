/*
 * reply.c - building the answer: templates in the buyer's language,
 * buttons, listing lines and prices.  Every number in a reply comes from a
 * listing or a slot; nothing is made up here.
 */
#include "dialog/dialog_int.h"
#include "core/money.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* text (the arena's or the pack's, as rendered: kept, not copied) as the
 * reply's first paragraph, or after a blank line. */
static void append_paragraph(const dialog_env *env, reply *r, const char *text)
{
    if (text == NULL || *text == '\0')
        return;
    if (r->text == NULL || r->text[0] == '\0')
        r->text = text;
    else
        r->text = arena_join(env->arena, r->text, "\n\n", text);
}

const char *word(const dialog_env *env, const session *s, const char *key,
                 const char *const *vars)
{
    static const char *const none[] = {NULL};
    const pack_template *t = pack_template_get(env->pack, s->language, key);
    if (t == NULL)
        return "";
    return pack_template_render(env->arena, t, vars ? vars : none);
}

const char *list_sep(const dialog_env *env, const session *s)
{
    const char *sep = word(env, s, "list_sep", NULL);
    return *sep ? sep : ", ";
}

const char *list_text(const dialog_env *env, const session *s, const char *stored)
{
    const char *sep = list_sep(env, s);
    size_t seps = 0, sl = strlen(sep), n = strlen(stored);
    for (const char *p = stored; (p = strchr(p, ';')) != NULL; p++)
        seps++;
    char *out = arena_alloc(env->arena, n + seps * sl + 1), *o = out;
    if (out == NULL)
        return stored;
    for (const char *p = stored; *p; p++) {
        if (*p == ';') {
            memcpy(o, sep, sl);
            o += sl;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

const char *count_key(const dialog_env *env, const session *s, const char *key, long n)
{
    if (n != 1 && n != 2)
        return key;
    char twin[64];
    int len = snprintf(twin, sizeof twin, "%s_%s", key, n == 1 ? "one" : "two");
    if (len < 0 || (size_t)len >= sizeof twin || !pack_template_get(env->pack, s->language, twin))
        return key;
    const char *k = arena_strdup(env->arena, twin);
    return k ? k : key;
}

const char *say(const dialog_env *env, const session *s, reply *r, const char *key,
                const char *const *vars, bool take_buttons)
{
    static const char *const none[] = {NULL};
    const pack_template *t = pack_template_get(env->pack, s->language, key);
    if (t == NULL)
        return NULL;
    const char *text = pack_template_render(env->arena, t, vars ? vars : none);
    append_paragraph(env, r, text);
    if (take_buttons && t->n_buttons > 0) {
        r->n_buttons = 0;
        for (int i = 0; i < t->n_buttons && r->n_buttons < REPLY_MAX_BUTTONS; i++)
            r->buttons[r->n_buttons++] = t->buttons[i];
    }
    return text;
}

void add_button(const dialog_env *env, reply *r, const char *label, const char *data)
{
    if (r->n_buttons >= REPLY_MAX_BUTTONS)
        return;
    r->buttons[r->n_buttons].label = arena_strdup(env->arena, label);
    r->buttons[r->n_buttons].data = arena_strdup(env->arena, data);
    r->n_buttons++;
}

void add_button_ref(reply *r, const char *label, const char *data)
{
    if (r->n_buttons >= REPLY_MAX_BUTTONS)
        return;
    r->buttons[r->n_buttons].label = label;
    r->buttons[r->n_buttons].data = data;
    r->n_buttons++;
}

void add_reason(reply *r, const char *reason)
{
    if (r && r->n_reasons < REPLY_MAX_REASONS)
        r->reasons[r->n_reasons++] = reason;
}

void add_action(reply *r, const char *action)
{
    for (int i = 0; i < r->n_actions; i++)
        if (strcmp(r->actions[i], action) == 0)
            return;
    if (r->n_actions < 4)
        r->actions[r->n_actions++] = action;
}

const char *price_text(const dialog_env *env, const session *s, money amount, transaction tx)
{
    char buf[64];
    money_format(buf, sizeof buf, amount, env->tenant->currency, 0);
    if (tx == TX_RENT)
        return arena_join(env->arena, buf, " ", word(env, s, "per_year", NULL));
    return arena_strdup(env->arena, buf);
}

void dialog_cat(char *dst, size_t size, const char *a, const char *b)
{
    size_t na = strnlen(a, size - 1);
    if (a != dst)   /* dialog_cat(x, size, x, b) appends b */
        memmove(dst, a, na);
    size_t nb = b[0] ? strnlen(b, size - 1 - na) : 0;   /* dialog_copy's b is "" */
    if (nb)
        memmove(dst + na, b, nb);
    dst[na + nb] = '\0';
}

static inline unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool dialog_has_casei(const char *hay, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0)
        return true;
    if (nl > hl)
        return false;
    const unsigned char *h = (const unsigned char *)hay, *n = (const unsigned char *)needle;
    unsigned char lo = ascii_lower(n[0]);
    unsigned char up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - ('a' - 'A')) : lo;
    const unsigned char *p = h, *end = h + (hl - nl + 1);   /* where a match may start */
    while (p < end) {
        /* the next start in either case: memchr runs over the bytes between */
        const unsigned char *a = memchr(p, lo, (size_t)(end - p));
        const unsigned char *b = up != lo ? memchr(p, up, (size_t)((a ? a : end) - p)) : NULL;
        const unsigned char *q = b ? b : a;
        if (q == NULL)
            return false;
        size_t k = 1;
        while (k < nl && ascii_lower(q[k]) == ascii_lower(n[k]))
            k++;
        if (k == nl)
            return true;
        p = q + 1;
    }
    return false;
}

const char *dialog_lld_text(char buf[24], long long v)
{
    char tmp[24], *o = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    *--o = '\0';
    do {
        *--o = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--o = '-';
    memcpy(buf, o, (size_t)(tmp + sizeof tmp - o));
    return buf;
}

const char *dialog_int_text(char buf[16], int v)
{
    char tmp[24];   /* an int's text, sign and NUL take at most 12 bytes */
    dialog_lld_text(tmp, v);
    memcpy(buf, tmp, strlen(tmp) + 1);
    return buf;
}

/* "type_<name>", "purpose_<name>", "tx_<name>": template keys of the
 * slot values, made once (the names are core/types.c's). */
static char type_keys[PTYPE__COUNT][32], purpose_keys[PURPOSE__COUNT][32], tx_keys[TX__COUNT][32];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_init(void)
{
    for (int t = 0; t < PTYPE__COUNT; t++)
        dialog_cat(type_keys[t], sizeof type_keys[t], "type_",
                   ptype_name((property_type)t) ? ptype_name((property_type)t) : "apartment");
    for (int p = 0; p < PURPOSE__COUNT; p++)
        if (purpose_name((purpose)p))
            dialog_cat(purpose_keys[p], sizeof purpose_keys[p], "purpose_", purpose_name((purpose)p));
    for (int x = 0; x < TX__COUNT; x++)
        if (tx_name((transaction)x))
            dialog_cat(tx_keys[x], sizeof tx_keys[x], "tx_", tx_name((transaction)x));
}

static const char *type_word(const dialog_env *env, const session *s, property_type t)
{
    if ((unsigned)t < PTYPE__COUNT) {
        pthread_once(&keys_once, keys_init);
        return word(env, s, type_keys[t], NULL);
    }
    char key[32];
    dialog_cat(key, sizeof key, "type_", ptype_name(t) ? ptype_name(t) : "apartment");
    return word(env, s, key, NULL);
}

/* The values of a listing line, in the order line_names gives their names
 * (the placeholders listing_line may use). */
enum { LV_INDEX, LV_TITLE, LV_PROJECT, LV_LOCALITY, LV_BEDROOMS, LV_TYPE, LV_AREA, LV_PRICE,
       LV_UNITS, LV_HOME, LV_WHERE, LV_SIZE, LV__COUNT };
static const char *const line_names[LV__COUNT] = {
    "index", "title", "project", "locality", "bedrooms", "type", "area", "price", "units", "home",
    "where", "size",
};
/* {home}: the bedrooms and the type in the language's order
 * (listing_home), or the type alone (listing_home_type) when the bedrooms
 * are not known (plots, offices) or say it already (a studio): no
 * "studio studio", no empty slot between separators */
static const char *const home_names[] = {"bedrooms", "type"};
static const char *const beds_names[] = {"n"};
static const char *const units_names[] = {"units"};
/* {where}: listing_where with the locality (else the city), or nothing when
 * the listing has neither; {size}: listing_size with the area, or nothing
 * when it is not known (a line without them said "Plot 7, : plot, ? sq ft") */
static const char *const where_names[] = {"locality"};
static const char *const size_names[] = {"area"};

/* The templates of a listing line, looked up and bound to their values'
 * names once for all the lines of an answer. */
typedef struct line_templates {
    pack_bound line, beds, units;      /* listing_line, bedrooms_n, units_left */
    pack_bound home, home_type;        /* listing_home, listing_home_type */
    pack_bound unit;                   /* units_left_one (one unit), else units_left */
    pack_bound where, size;            /* listing_where, listing_size */
    pack_str studio, unknown, per_year;   /* bedrooms_studio, units_unknown, per_year:
                                           * rendered when first needed (s NULL: not yet) */
    pack_str type[PTYPE__COUNT];       /* type words, rendered when first needed */
    pack_str beds_text;                /* the bedrooms of the last line that had some */
    int beds_n;                        /* ... and their number (beds_text.s NULL: none yet) */
} line_templates;

/* One line's values and the buffers some of them point into. */
typedef struct line_vals {
    pack_str v[LV__COUNT];
    char idx[16], area[48], price[128], units[64], home[128], where[160], size[96];
} line_vals;

/* b rendered with the one value v into buf (size n), else into the arena. */
static pack_str part_text(const dialog_env *env, const pack_bound *b, pack_str v, char *buf,
                          size_t n)
{
    size_t len = pack_bound_len(b, &v);
    if (len < n) {
        pack_bound_put(b, &v, buf);
        return (pack_str){buf, len};
    }
    const char *t = pack_bound_render(env->arena, b, &v, &len);
    return t ? (pack_str){t, len} : (pack_str){NULL, 0};
}

static inline pack_str str_of(const char *s)
{
    return s ? (pack_str){s, strlen(s)} : (pack_str){"", 0};
}

/* key in the session language rendered with no values (each placeholder
 * empty), what word(env, s, key, NULL) gives. */
static pack_str bare_text(const dialog_env *env, const session *s, const char *key)
{
    pack_bound b;
    pack_bind(&b, pack_template_get(env->pack, s->language, key), NULL, 0);
    size_t n = 0;
    const char *t = pack_bound_render(env->arena, &b, NULL, &n);
    return t ? (pack_str){t, n} : (pack_str){"", 0};
}

/* The values of one listing's line (listing_line) into *lv. */
static void line_fill(const dialog_env *env, const session *s, line_templates *lt,
                      const listing *l, int index, line_vals *lv)
{
    lv->v[LV_INDEX] = str_of(dialog_int_text(lv->idx, index));
    lv->v[LV_TITLE] = str_of(l->title ? l->title : l->id);
    lv->v[LV_PROJECT] = str_of(l->project);
    lv->v[LV_LOCALITY] = str_of(l->locality);
    const char *place = l->locality && *l->locality ? l->locality : l->city;
    lv->v[LV_WHERE] = place && *place ? part_text(env, &lt->where, str_of(place), lv->where,
                                                  sizeof lv->where)
                                      : (pack_str){"", 0};
    pack_str beds = {"", 0};
    if (l->bedrooms >= 0 && lt->beds_text.s && lt->beds_n == l->bedrooms) {
        beds = lt->beds_text;   /* the lines of a search mostly share it */
    } else if (l->bedrooms >= 0) {
        char n[16];
        pack_str nv = str_of(dialog_int_text(n, l->bedrooms));
        const char *key = l->bedrooms == 1 || l->bedrooms == 2
                              ? count_key(env, s, "bedrooms_n", l->bedrooms) : "bedrooms_n";
        if (l->bedrooms == 0) {
            if (lt->studio.s == NULL)
                lt->studio = bare_text(env, s, "bedrooms_studio");
            beds = lt->studio;
        } else if (strcmp(key, "bedrooms_n") != 0) {   /* the language's one or two */
            const char *vars[] = {"n", n, NULL};
            beds = str_of(word(env, s, key, vars));
        } else {
            const char *t = pack_bound_render(env->arena, &lt->beds, &nv, &beds.n);
            beds = t ? (pack_str){t, beds.n} : (pack_str){NULL, 0};
        }
        lt->beds_text = beds;
        lt->beds_n = l->bedrooms;
    }
    lv->v[LV_BEDROOMS] = beds;
    int ti = l->type > 0 && l->type < PTYPE__COUNT ? (int)l->type : 0;
    if (lt->type[ti].s == NULL)
        lt->type[ti] = str_of(type_word(env, s, l->type));
    lv->v[LV_TYPE] = lt->type[ti];
    {
        const pack_bound *hb = beds.n == 0 || l->type == PTYPE_STUDIO ? &lt->home_type : &lt->home;
        pack_str hv[2] = {beds, lv->v[LV_TYPE]};
        size_t n = pack_bound_len(hb, hv);
        if (n < sizeof lv->home) {
            pack_bound_put(hb, hv, lv->home);
            lv->v[LV_HOME] = (pack_str){lv->home, n};
        } else {
            const char *t = pack_bound_render(env->arena, hb, hv, &n);
            lv->v[LV_HOME] = t ? (pack_str){t, n} : (pack_str){NULL, 0};
        }
    }
    if (l->units_available >= 0) {
        char units[16];
        pack_str uv = str_of(dialog_int_text(units, l->units_available));
        const pack_bound *ub = l->units_available == 1 ? &lt->unit : &lt->units;
        size_t n = pack_bound_len(ub, &uv);
        if (n < sizeof lv->units) {
            pack_bound_put(ub, &uv, lv->units);
            lv->v[LV_UNITS] = (pack_str){lv->units, n};
        } else {
            const char *t = pack_bound_render(env->arena, ub, &uv, &n);
            lv->v[LV_UNITS] = t ? (pack_str){t, n} : (pack_str){NULL, 0};
        }
    } else {
        if (lt->unknown.s == NULL)
            lt->unknown = bare_text(env, s, "units_unknown");
        lv->v[LV_UNITS] = lt->unknown;
    }
    /* the price as price_text writes it (64 bytes at most, then " per year"
     * for rent) */
    money_format(lv->price, 64, l->price, env->tenant->currency, 0);
    size_t pn = strlen(lv->price);
    if (l->tx == TX_RENT) {
        if (lt->per_year.s == NULL)
            lt->per_year = bare_text(env, s, "per_year");
        if (pn + 1 + lt->per_year.n < sizeof lv->price) {
            lv->price[pn] = ' ';
            memcpy(lv->price + pn + 1, lt->per_year.s, lt->per_year.n);
            pn += 1 + lt->per_year.n;
        } else {
            const char *j = arena_join(env->arena, lv->price, " ", lt->per_year.s);
            lv->v[LV_PRICE] = str_of(j);
            pn = SIZE_MAX;
        }
    }
    if (pn != SIZE_MAX)
        lv->v[LV_PRICE] = (pack_str){lv->price, pn};
    if (l->area_sqft > 0) {   /* grouped(): the (empty) currency's space first */
        money_format(lv->area, sizeof lv->area, (money)(l->area_sqft + 0.5), "", 0);
        lv->v[LV_AREA] = str_of(lv->area[0] == ' ' ? lv->area + 1 : lv->area);
        lv->v[LV_SIZE] = part_text(env, &lt->size, lv->v[LV_AREA], lv->size, sizeof lv->size);
    } else {
        lv->v[LV_AREA] = (pack_str){"?", 1};   /* a pack's line of {area} itself */
        lv->v[LV_SIZE] = (pack_str){"", 0};
    }
}

const char *listing_lines(const dialog_env *env, const session *s, const char *head,
                          const listing *items, int n)
{
    line_templates lt;
    memset(&lt, 0, sizeof lt);
    line_vals lv_v[8], *lv = lv_v;
    if (n < 0)
        n = 0;
    if (n > 8) {
        lv = arena_alloc(env->arena, sizeof *lv * (size_t)n);
        if (lv == NULL)
            return NULL;
    }
    if (n > 0) {
        pack_bind(&lt.line, pack_template_get(env->pack, s->language, "listing_line"), line_names,
                  LV__COUNT);
        pack_bind(&lt.beds, pack_template_get(env->pack, s->language, "bedrooms_n"), beds_names, 1);
        pack_bind(&lt.home, pack_template_get(env->pack, s->language, "listing_home"), home_names, 2);
        pack_bind(&lt.home_type, pack_template_get(env->pack, s->language, "listing_home_type"),
                  home_names, 2);
        pack_bind(&lt.units, pack_template_get(env->pack, s->language, "units_left"), units_names, 1);
        pack_bind(&lt.unit, pack_template_get(env->pack, s->language,
                                              count_key(env, s, "units_left", 1)),
                  units_names, 1);
        pack_bind(&lt.where, pack_template_get(env->pack, s->language, "listing_where"), where_names, 1);
        pack_bind(&lt.size, pack_template_get(env->pack, s->language, "listing_size"), size_names, 1);
    }
    size_t nh = head ? strlen(head) : 0, total = nh + 1;
    size_t len_v[8], *len = n > 8 ? arena_alloc(env->arena, sizeof *len * (size_t)n) : len_v;
    if (len == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        line_fill(env, s, &lt, &items[i], i + 1, &lv[i]);
        len[i] = pack_bound_len(&lt.line, lv[i].v);
        total += len[i] + (i > 0);
    }
    char *out = arena_alloc(env->arena, total + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, head ? head : "", nh);
    char *o = out + nh;
    *o++ = '\n';
    for (int i = 0; i < n; i++) {
        if (i > 0)
            *o++ = '\n';
        o = pack_bound_put(&lt.line, lv[i].v, o);
    }
    *o = '\0';
    return out;
}

const char *budget_period_words(const dialog_env *env, const session *s, const char *budget,
                                rent_period p)
{
    const char *key = p == PERIOD_MONTH ? "budget_month" : p == PERIOD_YEAR ? "budget_year" : NULL;
    if (key == NULL || budget == NULL)
        return budget;
    const char *vars[] = {"budget", budget, NULL};
    return word(env, s, key, vars);
}

const char *budget_words(const dialog_env *env, const session *s, bool has_min, money min,
                         bool has_max, money max, rent_period p)
{
    char lo[48], hi[48];
    int f = period_per_year(p);
    if (f > 1) {   /* shown per month, rounded to whole units */
        min = (min + f / 2) / f;
        max = (max + f / 2) / f;
    }
    money_format(lo, sizeof lo, min, env->tenant->currency, 1);
    money_format(hi, sizeof hi, max, env->tenant->currency, 1);
    const char *vars[] = {"min", lo, "max", hi, NULL};
    const char *w = word(env, s, has_min && has_max ? "budget_range"
                                 : has_max ? "budget_under" : "budget_over", vars);
    return budget_period_words(env, s, w, p);
}

const char *slots_summary(const dialog_env *env, const session *s)
{
    const slots *sl = &s->slots;
    const char *parts[8];
    int n = 0;
    char key[32];
    pthread_once(&keys_once, keys_init);
    if (sl->purpose) {
        if ((unsigned)sl->purpose < PURPOSE__COUNT)
            parts[n++] = word(env, s, purpose_keys[sl->purpose], NULL);
        else {
            dialog_cat(key, sizeof key, "purpose_", purpose_name(sl->purpose));
            parts[n++] = word(env, s, key, NULL);
        }
    }
    if (sl->tx) {
        if ((unsigned)sl->tx < TX__COUNT)
            parts[n++] = word(env, s, tx_keys[sl->tx], NULL);
        else {
            dialog_cat(key, sizeof key, "tx_", tx_name(sl->tx));
            parts[n++] = word(env, s, key, NULL);
        }
    }
    if (sl->has_budget_min || sl->has_budget_max)
        parts[n++] = budget_words(env, s, sl->has_budget_min, sl->budget_min, sl->has_budget_max,
                                  sl->budget_max, sl->tx == TX_RENT ? sl->budget_period : PERIOD_NONE);
    if (sl->bedrooms >= 0 && sl->type != PTYPE_STUDIO) {
        char b[16];
        dialog_int_text(b, sl->bedrooms);
        const char *vars[] = {"n", b, NULL};
        parts[n++] = word(env, s, sl->bedrooms == 0 ? "bedrooms_studio"
                                  : count_key(env, s, "bedrooms_n", sl->bedrooms), vars);
    }
    if (sl->type)
        parts[n++] = type_word(env, s, sl->type);
    for (int i = 0; i < sl->n_locations && n < 8; i++)
        parts[n++] = sl->locations[i];
    return dialog_join(env->arena, parts, n, list_sep(env, s));
}

const char *dialog_join(arena *a, const char *const *parts, int n, const char *sep)
{
    if (n <= 0)
        return "";
    if (n == 1)
        return parts[0];
    size_t ns = strlen(sep), total = 0, len[16];
    for (int i = 0; i < n; i++) {
        size_t l = parts[i] ? strlen(parts[i]) : 0;
        if (i < 16)
            len[i] = l;
        total += l + (i > 0 ? ns : 0);
    }
    char *out = arena_alloc(a, total + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(out + o, sep, ns);
            o += ns;
        }
        size_t l = i < 16 ? len[i] : (parts[i] ? strlen(parts[i]) : 0);
        memcpy(out + o, parts[i] ? parts[i] : "", l);
        o += l;
    }
    out[o] = '\0';
    return out;
}
