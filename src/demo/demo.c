/*
 * demo.c - the demo tenants of CONTRACT.md §7; see demo.h.
 *
 * Two tenants, bangalore-demo (INR) and dubai-demo (AED), each get a
 * made-up but plausible inventory generated from small tables (localities
 * with a price per sq ft, invented developers and project names) by a
 * seeded splitmix64 generator, so every run produces the same listings with
 * the same ids and demo_load can simply upsert them again.  Developers and
 * projects are invented on purpose: no real brand appears.  Localities,
 * their rough coordinates and price levels are meant to look real to a
 * buyer; the figures are not market data.
 *
 * Secrets: API keys and the admin password are derived from the instance
 * secret with HMAC-SHA256, so a restart prints the same ones.  Passwords
 * are stored only as crypto_pwhash_str hashes, API keys as hex SHA-256.
 *
 * Idempotency of agents and slots: the store has no agent or slot lookup,
 * so demo_load keeps a marker per tenant, stored as the profile of a
 * reserved user id (DEMO_MARKER_USER: it starts with a control character,
 * which the engine refuses in buyer ids, so no chat can overwrite it; and it
 * does not depend on the secret): the agent ids it created and
 * the start of the latest slot it added ("slots_until").  A later run
 * reuses those agents and adds only slots that start after both `now` and
 * slots_until, so booked and free slots are never duplicated.  The agents,
 * their slots and the marker are written in one transaction, so a crash
 * cannot leave slots without a marker.
 *
 * Not for: anything a real tenant uses.  Nothing outside demo_load calls
 * into this file.
 */
#include "demo/demo.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "util/log.h"

#define DEMO_MAX_LISTINGS 600
#define DEMO_SLOT_DAYS 14
#define DEMO_SLOT_FIRST_HOUR 10
#define DEMO_SLOT_LAST_HOUR 18   /* the last slot ends here */
#define DEMO_AGENTS 3
#define DEMO_MARKER_USER "\x1f" "proptalk-demo-loader"

/* ---- the deterministic generator (splitmix64) -------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

/* Uniform integer in [lo, hi]. */
static int rng_int(rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static bool rng_chance(rng *r, double p)
{
    return rng_unit(r) < p;
}

/* ---- the tables ------------------------------------------------------- */

enum {
    K_STUDIO = 1 << 0,   /* apartment projects also have studios */
    K_PENT = 1 << 1,     /* the first apartment project has a penthouse */
    K_VILLA = 1 << 2,    /* one villa project */
    K_TOWN = 1 << 3,     /* one townhouse project */
    K_PLOT = 1 << 4,     /* one plotted development */
    K_OFFICE = 1 << 5,   /* one office building */
    K_SHOP = 1 << 6,     /* one retail project */
};

typedef struct demo_locality {
    const char *name;
    double lat, lon;          /* rough centre of the area */
    int psf;                  /* typical sale price per sq ft */
    int apt_projects;         /* apartment projects */
    unsigned kinds;           /* K_* */
    bool metro, beach;
    double yield_lo, yield_hi;/* gross rental yield band, percent */
    const char *tag;          /* name of the first apartment project, or NULL */
} demo_locality;

typedef struct demo_city {
    const char *slug, *name, *currency, *region, *timezone;
    int utc_offset;           /* seconds; both demo zones have no DST */
    const char *city;
    const char *id_prefix;
    uint64_t seed;
    const demo_locality *locs;
    int n_locs;
    const char *const *developers;
    const char *const *name_a;   /* project name: "<a> <b>" */
    const char *const *name_b;
    bool bhk;                 /* "2BHK" (India) or "2BR" */
    money sale_min, sale_max, rent_min, rent_max;
    const char *agents[DEMO_AGENTS];
} demo_city;

static const demo_locality blr_locs[] = {
    {"Whitefield", 12.9698, 77.7500, 8200, 3, K_VILLA, true, false, 4.2, 5.2, NULL},
    {"Marathahalli", 12.9569, 77.7011, 8600, 3, 0, false, false, 4.2, 5.0, NULL},
    {"Sarjapur Road", 12.9000, 77.7000, 7600, 3, K_VILLA | K_PLOT, false, false, 4.3, 5.3, NULL},
    {"Electronic City", 12.8452, 77.6602, 5900, 3, 0, true, false, 4.6, 5.5, NULL},
    {"Hebbal", 13.0354, 77.5988, 11800, 3, 0, false, false, 4.0, 4.8, "Lakeview"},
    {"Yelahanka", 13.1007, 77.5963, 7000, 3, K_VILLA | K_PLOT, false, false, 4.2, 5.0, NULL},
    {"Koramangala", 12.9352, 77.6245, 16500, 3, 0, false, false, 4.0, 4.6, NULL},
    {"HSR Layout", 12.9116, 77.6389, 13800, 3, 0, true, false, 4.0, 4.8, NULL},
    {"Indiranagar", 12.9719, 77.6412, 17500, 3, 0, true, false, 4.0, 4.6, NULL},
    {"JP Nagar", 12.9063, 77.5857, 10800, 3, 0, true, false, 4.1, 4.9, NULL},
    {"Bellandur", 12.9304, 77.6784, 9600, 3, 0, false, false, 4.2, 5.0, "Lakeshore"},
    {"Hennur", 13.0300, 77.6400, 7900, 3, K_VILLA | K_PLOT, false, false, 4.2, 5.0, NULL},
    {"Devanahalli", 13.2473, 77.7120, 5600, 2, K_VILLA | K_PLOT, false, false, 4.0, 4.8, NULL},
    {"Kanakapura Road", 12.8800, 77.5440, 7300, 3, K_VILLA | K_PLOT, true, false, 4.3, 5.2, NULL},
    {"Bannerghatta Road", 12.8876, 77.5970, 8300, 3, 0, false, false, 4.3, 5.1, NULL},
};

static const char *const blr_developers[] = {
    "Kaveri Crest Developers", "Nilgiri Habitat Builders", "Tungabhadra Estates",
    "Sahyadri Urban Spaces", "Chandana Constructions", "Malnad Infra Homes",
    "Aranya Living Developers", "Navaratna Realtors", NULL,
};
static const char *const blr_name_a[] = {
    "Amber", "Silver Oak", "Lotus", "Emerald", "Sandalwood", "Maple", "Coral", "Jasmine",
    "Orchid", "Tamarind", "Neem", "Gulmohar", "Mango Grove", "Skyview", "Cedar", "Aurora",
    "Serene", "Bluebell", "Magnolia", "Saffron", "Ivory", "Sapphire", "Willow", "Kadamba",
    "Ashoka", "Tulsi", "Champak", "Banyan Court", NULL,
};
static const char *const blr_name_b[] = {
    "Residency", "Heights", "Enclave", "Gardens", "Towers", "Greens", "Habitat", "Park",
    "Vista", "Courtyard", "Meadows", "Springs", NULL,
};

static const demo_locality dxb_locs[] = {
    {"Dubai Marina", 25.0805, 55.1403, 1950, 3, K_STUDIO | K_PENT, true, false, 5.8, 7.0, "Marina Vista"},
    {"Jumeirah Village Circle", 25.0600, 55.2090, 1150, 3, K_STUDIO | K_TOWN, false, false, 7.0, 8.5, NULL},
    {"Jumeirah Village Triangle", 25.0440, 55.1890, 1250, 1, K_TOWN | K_VILLA, false, false, 6.0, 7.5, NULL},
    {"Jumeirah Lake Towers", 25.0693, 55.1413, 1500, 2, K_STUDIO | K_OFFICE | K_SHOP, true, false, 6.8, 8.2, "Lakeside"},
    {"Downtown Dubai", 25.1950, 55.2780, 2900, 3, K_PENT, true, false, 5.0, 6.2, "Boulevard"},
    {"Business Bay", 25.1860, 55.2650, 1850, 3, K_STUDIO | K_OFFICE | K_SHOP, true, false, 6.0, 7.3, "Bayfront"},
    {"Dubai Hills Estate", 25.1050, 55.2450, 2150, 2, K_VILLA | K_TOWN, false, false, 5.2, 6.4, "Hillside"},
    {"Palm Jumeirah", 25.1124, 55.1390, 3600, 2, K_PENT | K_VILLA, false, true, 4.2, 5.5, "Palm Crescent"},
    {"Arabian Ranches", 25.0550, 55.2680, 1500, 0, K_VILLA | K_TOWN, false, false, 4.8, 6.0, NULL},
    {"Dubai Creek Harbour", 25.2030, 55.3450, 2100, 2, K_STUDIO, false, false, 5.8, 7.0, "Creekside"},
    {"Jumeirah Beach Residence", 25.0780, 55.1340, 2300, 2, K_PENT, true, true, 5.5, 6.8, "Beachfront"},
    {"Al Furjan", 25.0290, 55.1500, 1250, 1, K_STUDIO | K_TOWN | K_VILLA, true, false, 6.5, 8.0, NULL},
    {"Dubai South", 24.8960, 55.1610, 950, 2, K_STUDIO | K_TOWN, false, false, 7.0, 8.8, NULL},
    {"Mohammed Bin Rashid City", 25.1750, 55.3050, 1900, 2, K_STUDIO | K_VILLA, false, false, 5.5, 7.0, NULL},
    {"Dubai Silicon Oasis", 25.1210, 55.3830, 950, 2, K_STUDIO | K_OFFICE, false, false, 7.2, 8.8, NULL},
    {"Dubai International Financial Centre", 25.2110, 55.2800, 2700, 1, K_OFFICE | K_SHOP, true, false, 5.5, 7.0, NULL},
};

static const char *const dxb_developers[] = {
    "Azure Coast Developments", "Sandstone Properties", "Oasis Peak Developers",
    "Desert Rose Real Estate", "Seabreeze Development", "Crescent Line Properties",
    "Pearl Gate Developments", "Gulf Horizon Builders", NULL,
};
static const char *const dxb_name_a[] = {
    "Azure", "Pearl", "Coral", "Horizon", "Sapphire", "Opal", "Dune", "Sienna", "Verde",
    "Aurum", "Lumina", "Serenity", "Crest", "Mirage", "Zafran", "Noor", "Yasmeen", "Layla",
    "Rimal", "Amber Sands", "Meridian", "Solace", "Vela", "Oasis", "Celeste", "Ghaf",
    "Sidra", "Safa Bloom", NULL,
};
static const char *const dxb_name_b[] = {
    "Tower", "Residences", "Heights", "Court", "Terraces", "Gardens", "Views", "Park", NULL,
};

static const demo_city demo_cities[2] = {
    {
        .slug = "bangalore-demo", .name = "Bangalore Demo Realty", .currency = "INR",
        .region = "IN", .timezone = "Asia/Kolkata", .utc_offset = 19800, .city = "Bangalore",
        .id_prefix = "BLR", .seed = 0xB4A6A10E2026ull,
        .locs = blr_locs, .n_locs = (int)(sizeof blr_locs / sizeof blr_locs[0]),
        .developers = blr_developers, .name_a = blr_name_a, .name_b = blr_name_b, .bhk = true,
        .sale_min = 3500000, .sale_max = 45000000, .rent_min = 180000, .rent_max = 2400000,
        .agents = {"Priya Raghavan", "Arjun Menon", "Kavya Shetty"},
    },
    {
        .slug = "dubai-demo", .name = "Dubai Demo Properties", .currency = "AED",
        .region = "AE", .timezone = "Asia/Dubai", .utc_offset = 14400, .city = "Dubai",
        .id_prefix = "DXB", .seed = 0xD0BA1D3E2026ull,
        .locs = dxb_locs, .n_locs = (int)(sizeof dxb_locs / sizeof dxb_locs[0]),
        .developers = dxb_developers, .name_a = dxb_name_a, .name_b = dxb_name_b, .bhk = false,
        .sale_min = 450000, .sale_max = 25000000, .rent_min = 40000, .rent_max = 600000,
        .agents = {"Sara Al Mansoori", "Reza Karimi", "Elena Petrova"},
    },
};

/* Prices the scripted demo conversations ask for ("around 2 million AED in
 * JVC / Dubai Marina / Business Bay"): every apartment project of these
 * localities gets one home priced within 8% of the anchor. */
static const struct {
    const char *locality;
    money price;
} demo_anchors[] = {
    {"Dubai Marina", 2000000},
    {"Business Bay", 2000000},
    {"Jumeirah Village Circle", 2000000},
};

static const char *const completion_dates[] = {
    "2027-03-31", "2027-06-30", "2027-09-30", "2027-12-31", "2028-03-31", "2028-06-30",
    "2028-09-30", "2028-12-31", "2029-03-31", "2029-06-30", "2029-09-30", "2029-12-31",
};

static int count_names(const char *const *v)
{
    int n = 0;
    while (v[n])
        n++;
    return n;
}

/* ---- the listing generator -------------------------------------------- */

typedef struct project {
    const char *name, *developer;
    property_type kind;        /* apartment (incl. studio/penthouse), villa, townhouse, plot, office, shop */
    listing_status status;
    const char *completion;    /* off-plan only */
    const char *amenities;     /* ';'-separated */
    double lat, lon;
    double psf;                /* this project's price per sq ft */
    double yield;              /* percent */
} project;

typedef struct gen {
    arena *a;
    const demo_city *c;
    rng r;
    listing *items;            /* arena, DEMO_MAX_LISTINGS */
    int n;
    const char *used[160];     /* project names taken */
    int n_used;
} gen;

static double round_to(double v, double step)
{
    return floor(v / step + 0.5) * step;
}

/* v rounded to `places` decimals (at most 6), as the nearest double to that
 * decimal: dividing by the exact power of ten, where round_to's multiply by
 * 0.1 gave 4.6000000000000005 for 4.6, and answers showed it so. */
static double round_places(double v, int places)
{
    static const double pow10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6};
    double p = pow10[places];
    return floor(v * p + 0.5) / p;
}

static money round_price(const demo_city *c, double v, transaction tx)
{
    double step;
    if (tx == TX_RENT)
        step = c->bhk ? 12000 : (v < 100000 ? 1000 : 5000);   /* INR: 1,000 a month */
    else if (c->bhk)
        step = v < 10000000 ? 50000 : 100000;                 /* half a lakh, one lakh */
    else
        step = v < 2000000 ? 5000 : v < 10000000 ? 10000 : 50000;
    return (money)round_to(v, step);
}

/* 1234567 -> "1,234,567" */
static void grouped(char *out, size_t size, long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", v);
    size_t o = 0;
    for (int i = 0; i < n && o + 1 < size; i++) {
        out[o++] = digits[i];
        int left = n - 1 - i;
        if (left > 0 && left % 3 == 0 && digits[i] != '-' && o + 1 < size)
            out[o++] = ',';
    }
    out[o] = '\0';
}

static bool name_used(const gen *g, const char *name)
{
    for (int i = 0; i < g->n_used; i++)
        if (strcmp(g->used[i], name) == 0)
            return true;
    return false;
}

/* A project name not used before in this tenant.  NULL on out-of-memory. */
static const char *project_name(gen *g, const char *first, const char *suffix_kind)
{
    static const char *const villa_b[] = {"Villas", "Estates", "Villa Park", NULL};
    static const char *const town_b[] = {"Townhouses", "Mews", "Row Homes", NULL};
    static const char *const plot_b[] = {"Layout", "Plots", "Township", NULL};
    static const char *const office_b[] = {"Business Tower", "Business Centre", NULL};
    static const char *const shop_b[] = {"Retail Plaza", "Boulevard Shops", NULL};
    const char *const *b = g->c->name_b;
    if (strcmp(suffix_kind, "villa") == 0)
        b = villa_b;
    else if (strcmp(suffix_kind, "townhouse") == 0)
        b = town_b;
    else if (strcmp(suffix_kind, "plot") == 0)
        b = plot_b;
    else if (strcmp(suffix_kind, "office") == 0)
        b = office_b;
    else if (strcmp(suffix_kind, "shop") == 0)
        b = shop_b;
    int na = count_names(g->c->name_a), nb = count_names(b);
    char *name = NULL;
    for (int tries = 0; tries < 64; tries++) {
        const char *a = first && tries == 0 ? first : g->c->name_a[rng_int(&g->r, 0, na - 1)];
        const char *bb = b[rng_int(&g->r, 0, nb - 1)];
        name = arena_printf(g->a, "%s %s%s", a, bb, tries >= 48 ? " II" : "");
        if (name == NULL || !name_used(g, name))
            break;
    }
    if (name && g->n_used < (int)(sizeof g->used / sizeof g->used[0]))
        g->used[g->n_used++] = name;
    return name;
}

/* Appends one amenity to the ';'-list in b (fixed buffer, silently capped). */
static void amen_add(char *b, size_t size, const char *a)
{
    size_t n = strlen(b);
    snprintf(b + n, size - n, "%s%s", n ? ";" : "", a);
}

static const char *project_amenities(gen *g, const demo_locality *L, property_type kind)
{
    char b[400] = "";
    rng *r = &g->r;
    bool india = g->c->bhk;
    if (kind == PTYPE_OFFICE || kind == PTYPE_SHOP) {
        amen_add(b, sizeof b, "parking");
        amen_add(b, sizeof b, "24x7 security");
        amen_add(b, sizeof b, kind == PTYPE_OFFICE ? "meeting rooms" : "high footfall");
        if (kind == PTYPE_OFFICE)
            amen_add(b, sizeof b, "high-speed internet");
        if (L->metro)
            amen_add(b, sizeof b, "metro nearby");
    } else if (kind == PTYPE_PLOT) {
        amen_add(b, sizeof b, "gated community");
        amen_add(b, sizeof b, "water connection");
        amen_add(b, sizeof b, "electricity connection");
        amen_add(b, sizeof b, "clubhouse");
        if (rng_chance(r, 0.5))
            amen_add(b, sizeof b, "school nearby");
    } else if (kind == PTYPE_VILLA || kind == PTYPE_TOWNHOUSE) {
        amen_add(b, sizeof b, "private garden");
        amen_add(b, sizeof b, "parking");
        amen_add(b, sizeof b, india ? "clubhouse" : "community pool");
        amen_add(b, sizeof b, "kids play area");
        amen_add(b, sizeof b, "24x7 security");
        if (kind == PTYPE_VILLA && rng_chance(r, 0.5))
            amen_add(b, sizeof b, "private pool");
        if (!india && rng_chance(r, 0.5))
            amen_add(b, sizeof b, "maid's room");
        if (rng_chance(r, 0.6))
            amen_add(b, sizeof b, "school nearby");
        if (L->beach)
            amen_add(b, sizeof b, "beach access");
    } else {
        static const char *const india_opt[] = {"pool", "gym", "clubhouse", "kids play area",
                                                "jogging track", "indoor games",
                                                "landscaped garden", "ev charging", NULL};
        static const char *const dubai_opt[] = {"pool", "kids play area", "concierge", "balcony",
                                                "bbq area", "retail nearby", "community park",
                                                "sauna", NULL};
        const char *const *opt = india ? india_opt : dubai_opt;
        amen_add(b, sizeof b, india ? "parking" : "covered parking");
        amen_add(b, sizeof b, india ? "power backup" : "gym");
        amen_add(b, sizeof b, "24x7 security");
        for (int i = 0; opt[i]; i++)
            if (rng_chance(r, 0.55))
                amen_add(b, sizeof b, opt[i]);
        if (L->metro)
            amen_add(b, sizeof b, "metro nearby");
        if (L->beach) {
            amen_add(b, sizeof b, "beach access");
            if (rng_chance(r, 0.5))
                amen_add(b, sizeof b, "sea view");
        }
        if (rng_chance(r, 0.45))
            amen_add(b, sizeof b, "school nearby");
        if (india && rng_chance(r, 0.3))
            amen_add(b, sizeof b, "hospital nearby");
    }
    return arena_strdup(g->a, b);
}

/* Fills *p for a new project of kind in locality L.  ready forces status
 * ready.  0 or -PT_ERR_NOMEM. */
static int project_new(gen *g, const demo_locality *L, property_type kind, const char *first,
                       bool ready, project *p, pt_error *err)
{
    rng *r = &g->r;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->name = project_name(g, first, ptype_name(kind));
    p->developer = g->c->developers[rng_int(r, 0, count_names(g->c->developers) - 1)];
    bool commercial = kind == PTYPE_OFFICE || kind == PTYPE_SHOP;
    p->status = !ready && !commercial && rng_chance(r, g->c->bhk ? 0.35 : 0.5) ? LSTATUS_OFF_PLAN
                                                                               : LSTATUS_READY;
    if (p->status == LSTATUS_OFF_PLAN)
        p->completion = completion_dates[rng_int(r, 0, (int)(sizeof completion_dates /
                                                              sizeof completion_dates[0]) - 1)];
    p->amenities = project_amenities(g, L, kind);
    p->lat = L->lat + rng_range(r, -0.012, 0.012);
    p->lon = L->lon + rng_range(r, -0.012, 0.012);
    p->psf = L->psf * rng_range(r, 0.9, 1.12);
    double y = rng_range(r, L->yield_lo, L->yield_hi);
    if (kind == PTYPE_VILLA)
        y -= 0.6;
    else if (kind == PTYPE_OFFICE)
        y += 0.8;
    else if (kind == PTYPE_SHOP)
        y += 1.0;
    p->yield = fmin(9.0, fmax(4.0, y));
    if (p->name == NULL || p->amenities == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "demo \"%s\": out of memory", g->c->slug);
    return 0;
}

/* "2BHK", "3BR", "Studio" */
static void beds_label(const gen *g, int beds, char *out, size_t size)
{
    if (beds == 0)
        snprintf(out, size, "Studio");
    else
        snprintf(out, size, "%d%s", beds, g->c->bhk ? "BHK" : "BR");
}

/* Up to n amenities of a ';'-list after the first skip (the basics every
 * project has), as "a, b and c"; NULL when none. */
static const char *amenities_phrase(arena *a, const char *list, int skip, int n)
{
    char items[4][64];
    int k = 0, at = 0;
    const char *s = list;
    if (n > 4)
        n = 4;
    while (s && *s && k < n) {
        const char *e = strchr(s, ';');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (at++ >= skip)
            snprintf(items[k++], sizeof items[0], "%.*s", (int)len, s);
        s = e ? e + 1 : NULL;
    }
    if (k == 0)
        return NULL;
    if (k == 1)
        return arena_printf(a, "%s", items[0]);
    if (k == 2)
        return arena_printf(a, "%s and %s", items[0], items[1]);
    return arena_printf(a, "%s, %s and %s", items[0], items[1], items[2]);
}

/* Adds one listing of project p: type, transaction, bedrooms (-1 none) and
 * area; price, title and description follow from them. */
static int emit(gen *g, const demo_locality *L, const project *p, property_type type,
                transaction tx, int beds, double area, pt_error *err)
{
    const demo_city *c = g->c;
    rng *r = &g->r;
    if (g->n >= DEMO_MAX_LISTINGS)
        return pt_fail(err, PT_ERR_INTERNAL, "demo \"%s\": more than %d listings", c->slug,
                       DEMO_MAX_LISTINGS);
    listing *l = &g->items[g->n];
    memset(l, 0, sizeof *l);

    area = type == PTYPE_PLOT ? area : round_to(area, 5);
    double factor = 1.0;
    switch (type) {
    case PTYPE_VILLA: factor = c->bhk ? 1.10 : 0.85; break;
    case PTYPE_TOWNHOUSE: factor = 0.90; break;
    case PTYPE_PENTHOUSE: factor = 1.35; break;
    case PTYPE_STUDIO: factor = 1.10; break;
    case PTYPE_PLOT: factor = 0.55; break;
    case PTYPE_OFFICE: factor = 0.90; break;
    case PTYPE_SHOP: factor = 1.25; break;
    default: break;
    }
    double upsf = p->psf * factor * rng_range(r, 0.97, 1.03);
    /* keep prices in the tenant's range by sizing the unit, not by
     * clamping the price (a clamp would give many identical prices) */
    if (area * upsf < (double)c->sale_min)
        area = ceil((double)c->sale_min / upsf / 5) * 5;
    else if (area * upsf > (double)c->sale_max)
        area = floor((double)c->sale_max / upsf / 5) * 5;
    double value = fmin((double)c->sale_max, fmax((double)c->sale_min, area * upsf));
    double yield = type == PTYPE_PLOT ? -1
                   : round_places(fmin(9.0, fmax(4.0, p->yield + rng_range(r, -0.2, 0.2))), 1);
    double price;
    if (tx == TX_RENT) {
        price = value * (p->yield / 100.0) * rng_range(r, 0.95, 1.05);
        price = fmin((double)c->rent_max, fmax((double)c->rent_min, price));
    } else {
        price = value;
    }

    l->id = arena_printf(g->a, "%s-%04d", c->id_prefix, g->n + 1);
    l->project = p->name;
    l->developer = p->developer;
    l->city = c->city;
    l->locality = L->name;
    l->type = type;
    l->tx = tx;
    l->bedrooms = beds;
    l->area_sqft = area;
    l->price = round_price(c, price, tx);
    memcpy(l->currency, c->currency, 4);
    l->status = tx == TX_RENT ? LSTATUS_READY : p->status;
    l->completion_date = l->status == LSTATUS_OFF_PLAN ? p->completion : NULL;
    l->amenities = p->amenities;
    l->has_geo = true;
    l->latitude = round_places(p->lat + rng_range(r, -0.0006, 0.0006), 6);
    l->longitude = round_places(p->lon + rng_range(r, -0.0006, 0.0006), 6);
    l->rental_yield = tx == TX_RENT ? -1 : yield;
    l->attributes_json = NULL;

    /* bathrooms and units */
    switch (type) {
    case PTYPE_PLOT: case PTYPE_SHOP: l->bathrooms = -1; break;
    case PTYPE_OFFICE: l->bathrooms = area > 1500 ? 2 : 1; break;
    case PTYPE_STUDIO: l->bathrooms = 1; break;
    case PTYPE_APARTMENT:
        l->bathrooms = beds <= 1 ? (c->bhk || rng_chance(r, 0.6) ? 1 : 2)
                       : c->bhk ? beds : beds + rng_int(r, 0, 1);
        break;
    default: l->bathrooms = beds + 1; break;
    }
    if (tx == TX_RENT)
        l->units_available = 1;
    else if (type == PTYPE_PLOT)
        l->units_available = rng_int(r, 2, 25);
    else if (type == PTYPE_OFFICE || type == PTYPE_SHOP)
        l->units_available = rng_int(r, 1, 8);
    else if (type == PTYPE_PENTHOUSE)
        l->units_available = rng_int(r, 1, 2);
    else if (type == PTYPE_VILLA || type == PTYPE_TOWNHOUSE)
        l->units_available = rng_chance(r, 0.4) ? rng_int(r, 1, 5) : rng_int(r, 6, 15);
    else
        l->units_available = rng_chance(r, 0.3) ? rng_int(r, 1, 5) : rng_int(r, 6, 30);

    /* title and description */
    char bl[16], ar[32];
    beds_label(g, beds, bl, sizeof bl);
    grouped(ar, sizeof ar, (long long)area);
    const char *rent = tx == TX_RENT ? " for rent" : "";
    const char *what;   /* "2BHK apartment" */
    switch (type) {
    case PTYPE_STUDIO: what = arena_printf(g->a, "Studio"); break;
    case PTYPE_PLOT: what = arena_printf(g->a, "%s sq ft plot", ar); break;
    case PTYPE_OFFICE: what = arena_printf(g->a, "Office of %s sq ft", ar); break;
    case PTYPE_SHOP: what = arena_printf(g->a, "Retail shop of %s sq ft", ar); break;
    default: what = arena_printf(g->a, "%s %s", bl, ptype_name(type)); break;
    }
    if (what == NULL)
        goto oom;
    l->title = arena_printf(g->a, "%s%s in %s", what, rent, p->name);
    bool flat = type == PTYPE_APARTMENT || type == PTYPE_STUDIO || type == PTYPE_PENTHOUSE;
    const char *hl = amenities_phrase(g->a, p->amenities, flat ? 3 : 0, 3);
    const char *state;
    char done_when[48] = "";
    if (tx == TX_RENT)
        state = "Available to rent:";
    else if (l->status == LSTATUS_OFF_PLAN) {
        state = c->bhk ? "Under-construction" : "Off-plan";
        int month = (p->completion[5] - '0') * 10 + (p->completion[6] - '0');
        snprintf(done_when, sizeof done_when, " Completion planned for Q%d %.4s.",
                 (month + 2) / 3, p->completion);
    } else if (type == PTYPE_PLOT)
        state = "Residential";
    else
        state = c->bhk ? "Ready-to-move" : "Ready";
    char lower[64];
    snprintf(lower, sizeof lower, "%s", what);
    if (type == PTYPE_STUDIO || type == PTYPE_OFFICE || type == PTYPE_SHOP)
        lower[0] = (char)(lower[0] - 'A' + 'a');
    if (type == PTYPE_PLOT || type == PTYPE_OFFICE || type == PTYPE_SHOP)
        l->description = arena_printf(g->a, "%s %s in %s, %s, by %s.%s%s%s%s", state, lower,
                                      p->name, L->name, p->developer, done_when,
                                      hl ? " Highlights: " : "", hl ? hl : "", hl ? "." : "");
    else
        l->description = arena_printf(g->a, "%s %s of %s sq ft in %s, %s, by %s.%s%s%s%s", state,
                                      lower, ar, p->name, L->name, p->developer, done_when,
                                      hl ? " Highlights: " : "", hl ? hl : "", hl ? "." : "");
    if (l->id == NULL || l->title == NULL || l->description == NULL)
        goto oom;
    g->n++;
    return 0;
oom:
    return pt_fail(err, PT_ERR_NOMEM, "demo \"%s\": out of memory", c->slug);
}

/* The unit mix of one apartment project. */
static int emit_apartments(gen *g, const demo_locality *L, const project *p, bool first,
                           pt_error *err)
{
    rng *r = &g->r;
    int rc = 0;
    if (g->c->bhk) {
        if (L->psf < 10000 || rng_chance(r, 0.3))
            rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 1, rng_range(r, 550, 750), err);
        rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 2, rng_range(r, 1000, 1150), err);
        rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 2, rng_range(r, 1200, 1350), err);
        rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 3, rng_range(r, 1450, 1950), err);
        if (L->psf >= 9000 || rng_chance(r, 0.35))
            rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 4, rng_range(r, 2200, 2600), err);
        return rc;
    }
    for (size_t i = 0; i < sizeof demo_anchors / sizeof demo_anchors[0] && rc == 0; i++) {
        if (strcmp(demo_anchors[i].locality, L->name) != 0)
            continue;
        /* emit() varies the price per sq ft by 3%: the price stays within 8% */
        double area = (double)demo_anchors[i].price * rng_range(r, 0.95, 1.05) / p->psf;
        int beds = area < 1000 ? 1 : area < 1450 ? 2 : 3;
        rc = emit(g, L, p, PTYPE_APARTMENT, TX_BUY, beds, area, err);
    }
    if ((L->kinds & K_STUDIO) && rng_chance(r, 0.8))
        rc = rc ? rc : emit(g, L, p, PTYPE_STUDIO, TX_BUY, 0, rng_range(r, 380, 520), err);
    rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 1, rng_range(r, 700, 900), err);
    rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 2, rng_range(r, 1050, 1250), err);
    rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 2, rng_range(r, 1250, 1450), err);
    rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 3, rng_range(r, 1500, 2000), err);
    if (L->psf >= 1900 && rng_chance(r, 0.4))
        rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_BUY, 4, rng_range(r, 2200, 3000), err);
    if ((L->kinds & K_PENT) && first)
        rc = rc ? rc : emit(g, L, p, PTYPE_PENTHOUSE, TX_BUY, rng_int(r, 3, 5),
                            rng_range(r, 3500, 6000), err);
    return rc;
}

/* Everything of one locality: projects, their units and two rentals. */
static int gen_locality(gen *g, const demo_locality *L, pt_error *err)
{
    rng *r = &g->r;
    int rc = 0;
    project first_ready;
    bool have_ready = false;
    memset(&first_ready, 0, sizeof first_ready);
    bool india = g->c->bhk;

    for (int i = 0; i < L->apt_projects && rc == 0; i++) {
        project p;
        rc = project_new(g, L, PTYPE_APARTMENT, i == 0 ? L->tag : NULL, i == 0, &p, err);
        if (rc == 0)
            rc = emit_apartments(g, L, &p, i == 0, err);
        if (rc == 0 && !have_ready && p.status == LSTATUS_READY) {
            first_ready = p;
            have_ready = true;
        }
    }
    if (rc == 0 && (L->kinds & K_VILLA)) {
        project p;
        rc = project_new(g, L, PTYPE_VILLA, NULL, !have_ready, &p, err);
        if (rc == 0 && india) {
            rc = emit(g, L, &p, PTYPE_VILLA, TX_BUY, 3, rng_range(r, 2000, 2600), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_VILLA, TX_BUY, 4, rng_range(r, 2800, 3400), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_VILLA, TX_BUY, 4, rng_range(r, 3400, 4000), err);
        } else if (rc == 0) {
            rc = emit(g, L, &p, PTYPE_VILLA, TX_BUY, 4, rng_range(r, 3000, 4500), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_VILLA, TX_BUY, 5, rng_range(r, 4500, 7000), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_VILLA, TX_BUY, rng_int(r, 4, 6),
                                rng_range(r, 4000, 6500), err);
        }
        if (rc == 0 && p.status == LSTATUS_READY)
            rc = emit(g, L, &p, PTYPE_VILLA, TX_RENT, india ? 4 : rng_int(r, 4, 5),
                      rng_range(r, 3000, 4500), err);
        if (rc == 0 && !have_ready && p.status == LSTATUS_READY) {
            first_ready = p;
            have_ready = true;
        }
    }
    if (rc == 0 && (L->kinds & K_TOWN)) {
        project p;
        rc = project_new(g, L, PTYPE_TOWNHOUSE, NULL, !have_ready, &p, err);
        if (rc == 0) {
            rc = emit(g, L, &p, PTYPE_TOWNHOUSE, TX_BUY, 3, rng_range(r, 1800, 2300), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_TOWNHOUSE, TX_BUY, 4, rng_range(r, 2300, 2900), err);
            rc = rc ? rc : emit(g, L, &p, PTYPE_TOWNHOUSE, TX_BUY, 3, rng_range(r, 1900, 2400), err);
        }
        if (rc == 0 && !have_ready && p.status == LSTATUS_READY) {
            first_ready = p;
            have_ready = true;
        }
    }
    if (rc == 0 && (L->kinds & K_PLOT)) {
        static const double small[] = {1200, 1500}, large[] = {2400, 3000};
        project p;
        rc = project_new(g, L, PTYPE_PLOT, NULL, true, &p, err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_PLOT, TX_BUY, -1, small[rng_int(r, 0, 1)], err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_PLOT, TX_BUY, -1, large[rng_int(r, 0, 1)], err);
    }
    if (rc == 0 && (L->kinds & K_OFFICE)) {
        project p;
        rc = project_new(g, L, PTYPE_OFFICE, NULL, true, &p, err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_OFFICE, TX_BUY, -1, rng_range(r, 600, 1000), err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_OFFICE, TX_BUY, -1, rng_range(r, 1000, 1800), err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_OFFICE, TX_BUY, -1, rng_range(r, 1800, 3000), err);
    }
    if (rc == 0 && (L->kinds & K_SHOP)) {
        project p;
        rc = project_new(g, L, PTYPE_SHOP, NULL, true, &p, err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_SHOP, TX_BUY, -1, rng_range(r, 400, 800), err);
        rc = rc ? rc : emit(g, L, &p, PTYPE_SHOP, TX_BUY, -1, rng_range(r, 800, 1500), err);
    }
    /* two rentals in the first ready residential project */
    if (rc == 0 && have_ready) {
        const project *p = &first_ready;
        if (p->kind == PTYPE_APARTMENT && india) {
            rc = emit(g, L, p, PTYPE_APARTMENT, TX_RENT, 2, rng_range(r, 1050, 1300), err);
            rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_RENT, 3, rng_range(r, 1450, 1800), err);
        } else if (p->kind == PTYPE_APARTMENT) {
            if ((L->kinds & K_STUDIO) && rng_chance(r, 0.5))
                rc = emit(g, L, p, PTYPE_STUDIO, TX_RENT, 0, rng_range(r, 380, 520), err);
            else
                rc = emit(g, L, p, PTYPE_APARTMENT, TX_RENT, 1, rng_range(r, 700, 900), err);
            rc = rc ? rc : emit(g, L, p, PTYPE_APARTMENT, TX_RENT, 2, rng_range(r, 1050, 1400), err);
        } else {
            rc = emit(g, L, p, p->kind, TX_RENT, 3, rng_range(r, 1900, 2600), err);
            rc = rc ? rc : emit(g, L, p, p->kind, TX_RENT, 4, rng_range(r, 2600, 3600), err);
        }
    }
    return rc;
}

/* Generates the whole inventory of c into *out (arena a).  Deterministic:
 * the same c gives the same listings in the same order. */
static int demo_generate(const demo_city *c, arena *a, listing **out, int *n, pt_error *err)
{
    int rc = 0;
    gen g;
    memset(&g, 0, sizeof g);
    g.a = a;
    g.c = c;
    g.items = arena_alloc(a, sizeof *g.items * DEMO_MAX_LISTINGS);
    if (g.items == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "demo \"%s\": out of memory", c->slug);
    for (int i = 0; i < c->n_locs && rc == 0; i++) {
        /* one stream per locality: editing one row leaves the others as they were */
        g.r.s = c->seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(i + 1));
        rc = gen_locality(&g, &c->locs[i], err);
    }
    if (rc == 0) {
        *out = g.items;
        *n = g.n;
    }
    return rc;
}

/* ---- keys, passwords, users ------------------------------------------- */

/* hex (65 bytes) = HMAC-SHA256(key = secret, msg) in lower-case hex. */
static void hmac_hex(const char *secret, const char *msg, char hex[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
    sodium_memzero(mac, sizeof mac);
}

/* Creates the user unless the email exists (whatever its role).  The
 * password is hashed only when the user is created. */
static int ensure_user(store *s, const char *email, const char *role, tenant_id t,
                       const char *password, pt_error *err)
{
    int rc = 0;
    arena a;
    arena_init(&a, 1 << 20);
    store_user u;
    pt_error probe = {0};
    char hash[crypto_pwhash_STRBYTES];

    rc = s->ops->user_by_email(s, email, &a, &u, &probe);
    if (rc == 0)
        goto done;   /* exists: keep it, whatever its password is now */
    if (rc != -PT_ERR_NOT_FOUND) {
        rc = pt_fail(err, probe.code, "%s", probe.msg);
        goto done;
    }
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        rc = pt_fail(err, PT_ERR_NOMEM, "demo user \"%s\": password hashing ran out of memory",
                     email);
        goto done;
    }
    memset(&u, 0, sizeof u);
    u.email = email;
    u.role = role;
    u.tenant = t;
    u.password_hash = hash;
    pt_error_clear(&probe);
    rc = s->ops->user_create(s, &u, &probe);
    if (rc == -PT_ERR_CONFLICT)
        rc = 0;   /* created meanwhile by another process */
    else if (rc)
        rc = pt_fail(err, probe.code, "%s", probe.msg);
done:
    arena_release(&a);
    return rc;
}

/* Finds or creates the tenant of c; *t filled. api_key_hash is used only
 * when it is created. */
static int ensure_tenant(store *s, const demo_city *c, const char *api_key_hash, tenant *t,
                         pt_error *err)
{
    pt_error probe = {0};
    int rc = s->ops->tenant_by_slug(s, c->slug, t, &probe);
    if (rc != -PT_ERR_NOT_FOUND)
        goto done;   /* found, or a store error */
    memset(t, 0, sizeof *t);
    snprintf(t->slug, sizeof t->slug, "%s", c->slug);
    snprintf(t->name, sizeof t->name, "%s", c->name);
    snprintf(t->currency, sizeof t->currency, "%s", c->currency);
    snprintf(t->region, sizeof t->region, "%s", c->region);
    t->language = LANG_EN;
    snprintf(t->timezone, sizeof t->timezone, "%s", c->timezone);
    pt_error_clear(&probe);
    rc = s->ops->tenant_create(s, t, api_key_hash, &probe);
    if (rc == -PT_ERR_CONFLICT) {   /* created meanwhile by another process */
        pt_error_clear(&probe);
        rc = s->ops->tenant_by_slug(s, c->slug, t, &probe);
    }
done:
    if (rc)
        rc = pt_fail(err, probe.code, "%s", probe.msg);
    return rc;
}

/* "Priya Raghavan" -> "priya.raghavan@bangalore-demo.demo" */
static void agent_email(const demo_city *c, const char *name, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = name; *p && o + 1 < size; p++) {
        char ch = *p;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch == ' ')
            ch = '.';
        if ((ch >= 'a' && ch <= 'z') || ch == '.')
            out[o++] = ch;
    }
    out[o] = '\0';
    size_t n = strlen(out);
    snprintf(out + n, size - n, "@%s.demo", c->slug);
}

/* ---- agents and slots ------------------------------------------------- */

typedef struct demo_marker {
    int64_t agents[DEMO_AGENTS];
    int n_agents;
    int64_t slots_until;       /* start of the latest slot added, UTC */
} demo_marker;

static void marker_parse(const char *json, demo_marker *m)
{
    memset(m, 0, sizeof *m);
    if (json == NULL)
        return;
    json_t *root = json_loads(json, 0, NULL);
    json_t *ag = json_object_get(root, "agents");
    json_t *until = json_object_get(root, "slots_until");
    if (json_is_array(ag) && json_array_size(ag) == DEMO_AGENTS && json_is_integer(until)) {
        bool ok = true;
        for (size_t i = 0; i < DEMO_AGENTS; i++) {
            json_t *v = json_array_get(ag, i);
            if (!json_is_integer(v) || json_integer_value(v) <= 0)
                ok = false;
            else
                m->agents[i] = (int64_t)json_integer_value(v);
        }
        if (ok) {
            m->n_agents = DEMO_AGENTS;
            m->slots_until = (int64_t)json_integer_value(until);
        }
    }
    json_decref(root);
}

/* Local midnight (as UTC seconds) of the day that contains t at offset. */
static int64_t local_day_start(int64_t t, int offset)
{
    int64_t local = t + offset;
    int64_t day = local / 86400;
    if (local % 86400 < 0)
        day--;
    return day * 86400 - offset;
}

/* Creates the agents (first run) and the slots of the next 14 days that no
 * earlier run added; see the file comment. */
static int ensure_agents(store *s, const demo_city *c, const tenant *t, time_t now,
                         const char *marker_uid, pt_error *err)
{
    int rc = 0;
    arena a;
    arena_init(&a, 1 << 20);
    bool in_turn = false;
    char *json = NULL;
    char *out = NULL;
    demo_marker m;

    rc = s->ops->profile_get(s, t->id, marker_uid, &a, &json, err);
    if (rc)
        goto done;
    marker_parse(json, &m);
    rc = s->ops->turn_begin(s, err);
    if (rc)
        goto done;
    in_turn = true;
    if (m.n_agents != DEMO_AGENTS) {
        for (int i = 0; i < DEMO_AGENTS; i++) {
            char email[128];
            agent_email(c, c->agents[i], email, sizeof email);
            rc = s->ops->agent_create(s, t->id, c->agents[i], email, &m.agents[i], err);
            if (rc)
                goto done;
        }
        m.n_agents = DEMO_AGENTS;
        m.slots_until = 0;
    }
    int64_t day0 = local_day_start((int64_t)now, c->utc_offset);
    int64_t until = m.slots_until;
    for (int d = 0; d < DEMO_SLOT_DAYS; d++) {
        for (int h = DEMO_SLOT_FIRST_HOUR; h < DEMO_SLOT_LAST_HOUR; h++) {
            int64_t start = day0 + (int64_t)d * 86400 + (int64_t)h * 3600;
            if (start <= (int64_t)now || start <= m.slots_until)
                continue;
            for (int i = 0; i < DEMO_AGENTS; i++) {
                rc = s->ops->slot_add(s, t->id, m.agents[i], start, start + 3600, err);
                if (rc)
                    goto done;
            }
            if (start > until)
                until = start;
        }
    }
    out = arena_printf(&a, "{\"demo_marker\": 1, \"agents\": [%lld, %lld, %lld], \"slots_until\": %lld}",
                       (long long)m.agents[0], (long long)m.agents[1], (long long)m.agents[2],
                       (long long)until);
    if (out == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "demo \"%s\": out of memory", c->slug);
        goto done;
    }
    rc = s->ops->profile_put(s, t->id, marker_uid, out, err);
    if (rc)
        goto done;
    rc = s->ops->turn_commit(s, err);
    in_turn = false;
done:
    if (in_turn)
        s->ops->turn_rollback(s);
    arena_release(&a);
    return rc;
}

/* Free slots of tenant t from now to the end of the 14-day window. */
static int count_slots(store *s, const demo_city *c, const tenant *t, time_t now, int *n,
                       pt_error *err)
{
    arena a;
    arena_init(&a, 8 << 20);
    store_slot *free_slots = NULL;
    int64_t to = local_day_start((int64_t)now, c->utc_offset) + (int64_t)DEMO_SLOT_DAYS * 86400;
    /* from now + 1: demo_load adds only slots that start after now */
    int rc = s->ops->slots_free(s, t->id, (int64_t)now + 1, to, 100000, &a, &free_slots, n, err);
    arena_release(&a);
    return rc;
}

/* ---- listings --------------------------------------------------------- */

static int load_listings(store *s, const demo_city *c, const tenant *t, int *count,
                         pt_error *err)
{
    int rc = 0;
    arena a;
    arena_init(&a, 0);
    listing *items = NULL;
    int n = 0;
    bool open = false;

    rc = demo_generate(c, &a, &items, &n, err);
    if (rc)
        goto done;
    rc = s->ops->import_begin(s, err);
    if (rc)
        goto done;
    open = true;
    for (int i = 0; i < n; i++) {
        rc = s->ops->listing_upsert(s, t->id, &items[i], err);
        if (rc)
            goto done;
    }
    rc = s->ops->import_commit(s, err);
    open = false;
    if (rc)
        goto done;
    int64_t total = 0;
    rc = s->ops->listing_count(s, t->id, &total, err);
    if (rc)
        goto done;
    *count = (int)total;
done:
    if (open)
        s->ops->import_rollback(s);
    arena_release(&a);
    return rc;
}

/* ---- public ----------------------------------------------------------- */

int demo_load(store *s, const char *secret, time_t now, demo_info *info, pt_error *err)
{
    int rc = 0;
    char hex[65], msg[128], key_hash[65];
    char password[48];

    memset(info, 0, sizeof *info);
    if (secret == NULL || secret[0] == '\0') {
        rc = pt_fail(err, PT_ERR_INVALID, "demo: the instance secret is empty");
        goto done;
    }
    if (sodium_init() < 0) {
        rc = pt_fail(err, PT_ERR_INTERNAL, "demo: libsodium failed to initialise");
        goto done;
    }
    hmac_hex(secret, "demo-admin", hex);
    snprintf(password, sizeof password, "demo-%.12s", hex);
    snprintf(info->admin_email, sizeof info->admin_email, "%s", DEMO_ADMIN_EMAIL);
    snprintf(info->admin_password, sizeof info->admin_password, "%s", password);
    rc = ensure_user(s, DEMO_ADMIN_EMAIL, "super_admin", 0, password, err);
    if (rc)
        goto done;

    for (int i = 0; i < 2; i++) {
        const demo_city *c = &demo_cities[i];
        demo_tenant_info *ti = &info->tenants[i];
        tenant t;
        char email[128];
        int n_slots = 0;

        snprintf(ti->slug, sizeof ti->slug, "%s", c->slug);
        snprintf(msg, sizeof msg, "demo-api-key:%s", c->slug);
        hmac_hex(secret, msg, hex);
        snprintf(ti->api_key, sizeof ti->api_key, "pt_%.40s", hex);
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)ti->api_key, strlen(ti->api_key));
        sodium_bin2hex(key_hash, sizeof key_hash, h, sizeof h);

        rc = ensure_tenant(s, c, key_hash, &t, err);
        if (rc)
            goto done;
        tenant by_key;
        pt_error probe = {0};
        if (s->ops->tenant_by_api_key(s, key_hash, &by_key, &probe) != 0 || by_key.id != t.id)
            log_warn("demo: tenant \"%s\" was created with another API key (another secret?); "
                     "the printed key will not authenticate", c->slug);
        snprintf(email, sizeof email, "admin@%s.demo", c->slug);
        rc = ensure_user(s, email, "tenant_admin", t.id, password, err);
        if (rc)
            goto done;
        for (int k = 0; k < DEMO_AGENTS; k++) {
            agent_email(c, c->agents[k], email, sizeof email);
            rc = ensure_user(s, email, "agent", t.id, password, err);
            if (rc)
                goto done;
        }
        rc = ensure_agents(s, c, &t, now, DEMO_MARKER_USER, err);
        if (rc)
            goto done;
        rc = load_listings(s, c, &t, &ti->listings, err);
        if (rc)
            goto done;
        rc = count_slots(s, c, &t, now, &n_slots, err);
        if (rc)
            goto done;
        info->agents += DEMO_AGENTS;
        info->slots += n_slots;
        info->n_tenants = i + 1;
    }
done:
    sodium_memzero(hex, sizeof hex);
    sodium_memzero(password, sizeof password);
    return rc;
}
