/*
 * search_inventory.c - the seeded listing generator; see search_inventory.h.
 */
#include "search_inventory.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const inv_locality inv_localities[] = {
    /* Bangalore */
    {"Whitefield", "Bangalore", 12.9698, 77.7500, 7500, 3.6, 0},
    {"Marathahalli", "Bangalore", 12.9591, 77.6974, 8000, 3.4, 0},
    {"Hebbal", "Bangalore", 13.0358, 77.5970, 9500, 3.1, 0},
    {"Sarjapur Road", "Bangalore", 12.9100, 77.6850, 7000, 3.9, 0},
    {"Electronic City", "Bangalore", 12.8399, 77.6770, 5000, 4.6, 1},
    {"Koramangala", "Bangalore", 12.9352, 77.6245, 14000, 2.8, 0},
    {"Indiranagar", "Bangalore", 12.9784, 77.6408, 16000, 2.7, 0},
    {"HSR Layout", "Bangalore", 12.9121, 77.6446, 11000, 3.0, 0},
    {"JP Nagar", "Bangalore", 12.9063, 77.5857, 9000, 3.0, 0},
    {"Jayanagar", "Bangalore", 12.9250, 77.5938, 13000, 2.6, 0},
    {"Yelahanka", "Bangalore", 13.1005, 77.5963, 6000, 4.2, 1},
    {"Devanahalli", "Bangalore", 13.2473, 77.7120, 4500, 4.8, 1},
    {"Hennur", "Bangalore", 13.0358, 77.6431, 7200, 3.7, 0},
    {"Bannerghatta Road", "Bangalore", 12.8876, 77.5970, 7800, 3.3, 0},
    {"Kanakapura Road", "Bangalore", 12.8600, 77.5500, 6200, 4.1, 1},
    {"Rajajinagar", "Bangalore", 12.9915, 77.5560, 12000, 2.7, 0},
    {"Malleshwaram", "Bangalore", 13.0031, 77.5643, 15000, 2.5, 0},
    {"Yeshwanthpur", "Bangalore", 13.0280, 77.5400, 10000, 3.0, 0},
    {"KR Puram", "Bangalore", 13.0050, 77.6950, 6800, 3.8, 0},
    {"Bellandur", "Bangalore", 12.9260, 77.6762, 9500, 3.3, 0},
    {"Old Airport Road", "Bangalore", 12.9600, 77.6600, 11500, 2.9, 0},
    {"Thanisandra", "Bangalore", 13.0540, 77.6340, 6900, 3.9, 0},
    {"Banashankari", "Bangalore", 12.9255, 77.5468, 9800, 2.9, 0},
    {"Hoskote", "Bangalore", 13.0707, 77.7982, 4200, 4.9, 1},
    /* Mumbai */
    {"Andheri West", "Mumbai", 19.1364, 72.8296, 25000, 3.2, 0},
    {"Bandra West", "Mumbai", 19.0596, 72.8295, 45000, 2.4, 0},
    {"Powai", "Mumbai", 19.1176, 72.9060, 22000, 3.1, 0},
    {"Thane West", "Mumbai", 19.2183, 72.9781, 14000, 3.5, 0},
    {"Kharghar", "Mumbai", 19.0473, 73.0699, 11000, 3.9, 1},
    {"Goregaon East", "Mumbai", 19.1663, 72.8526, 20000, 3.1, 0},
    {"Malad West", "Mumbai", 19.1874, 72.8484, 19000, 3.2, 0},
    {"Borivali", "Mumbai", 19.2307, 72.8567, 19000, 3.0, 0},
    {"Chembur", "Mumbai", 19.0522, 72.9005, 21000, 3.0, 0},
    {"Worli", "Mumbai", 19.0176, 72.8162, 50000, 2.2, 0},
    {"Lower Parel", "Mumbai", 18.9953, 72.8300, 40000, 2.4, 0},
    {"Mira Road", "Mumbai", 19.2813, 72.8557, 11000, 3.8, 0},
    {"Panvel", "Mumbai", 18.9894, 73.1175, 7000, 4.4, 1},
    {"Dombivli", "Mumbai", 19.2094, 73.0939, 8500, 4.2, 1},
    {"Vikhroli", "Mumbai", 19.1110, 72.9270, 20000, 3.1, 0},
    {"Kandivali", "Mumbai", 19.2047, 72.8526, 18000, 3.2, 0},
    /* Pune */
    {"Hinjewadi", "Pune", 18.5913, 73.7389, 7000, 4.0, 0},
    {"Baner", "Pune", 18.5590, 73.7868, 9500, 3.4, 0},
    {"Wakad", "Pune", 18.5975, 73.7700, 8000, 3.7, 0},
    {"Kharadi", "Pune", 18.5515, 73.9348, 9000, 3.6, 0},
    {"Viman Nagar", "Pune", 18.5679, 73.9143, 10500, 3.2, 0},
    {"Hadapsar", "Pune", 18.5089, 73.9260, 7500, 3.6, 0},
    {"Kothrud", "Pune", 18.5074, 73.8077, 11000, 3.0, 0},
    {"Aundh", "Pune", 18.5580, 73.8075, 11500, 3.0, 0},
    {"Wagholi", "Pune", 18.5808, 73.9787, 5500, 4.5, 1},
    {"Undri", "Pune", 18.4553, 73.9010, 6200, 4.3, 1},
    {"Pimple Saudagar", "Pune", 18.5987, 73.7965, 7800, 3.6, 0},
    {"Magarpatta", "Pune", 18.5146, 73.9260, 9800, 3.3, 0},
    /* Hyderabad */
    {"Gachibowli", "Hyderabad", 17.4401, 78.3489, 8500, 3.8, 0},
    {"Kondapur", "Hyderabad", 17.4600, 78.3548, 8000, 3.8, 0},
    {"Madhapur", "Hyderabad", 17.4483, 78.3915, 9500, 3.5, 0},
    {"Kokapet", "Hyderabad", 17.3934, 78.3380, 9000, 3.6, 0},
    {"Banjara Hills", "Hyderabad", 17.4126, 78.4482, 14000, 2.8, 0},
    {"Jubilee Hills", "Hyderabad", 17.4325, 78.4071, 15000, 2.7, 0},
    {"Kukatpally", "Hyderabad", 17.4849, 78.4138, 6500, 3.9, 0},
    {"Miyapur", "Hyderabad", 17.4969, 78.3555, 5800, 4.1, 0},
    {"Tellapur", "Hyderabad", 17.4600, 78.2800, 6000, 4.4, 1},
    {"Narsingi", "Hyderabad", 17.3850, 78.3550, 7500, 3.8, 0},
    {"Manikonda", "Hyderabad", 17.4050, 78.3850, 6500, 4.0, 0},
    {"Shamshabad", "Hyderabad", 17.2403, 78.4294, 4500, 4.7, 1},
};
const int inv_n_localities = (int)(sizeof inv_localities / sizeof inv_localities[0]);

static const char *const developers[] = {
    "Prestige", "Sobha", "Brigade", "Godrej Properties", "Puravankara", "Embassy",
    "Total Environment", "Sattva", "Lodha", "Hiranandani", "Oberoi Realty", "Kalpataru",
    "Shapoorji Pallonji", "Kolte Patil", "Panchshil", "My Home", "Aparna", "Rajapushpa",
    "DLF", "Mahindra Lifespaces", "Tata Housing", "L&T Realty", "Assetz", "Mantri",
};
#define N_DEVELOPERS ((int)(sizeof developers / sizeof developers[0]))

static const char *const suffixes[] = {
    "Lakeside", "Greens", "Heights", "Residency", "Park", "Meadows", "Towers", "Enclave",
    "Gardens", "Vista", "Horizon", "Springs", "Crest", "Palms", "Grove", "Summit", "Bay",
    "Square", "Woods", "Serenity", "Boulevard", "Skyline", "Orchid", "Aurora", "Solitaire",
    "Sanctuary", "Tranquil", "Elements", "Nest", "Avenue",
};
#define N_SUFFIXES ((int)(sizeof suffixes / sizeof suffixes[0]))

static const char *const amenity_names[] = {
    "pool", "gym", "clubhouse", "covered parking", "24x7 security", "garden",
    "children's play area", "jogging track", "spa", "tennis court", "power backup", "lift",
    "balcony", "maid room", "home office", "EV charging", "rooftop terrace", "pet friendly",
    "concierge", "private garden",
};
#define N_AMENITIES ((int)(sizeof amenity_names / sizeof amenity_names[0]))

static const char *const schools[] = {
    "Delhi Public School", "National Public School", "Greenwood High", "Inventure Academy",
    "Ryan International School", "Oakridge International School", "Podar International School",
    "Vibgyor High",
};
#define N_SCHOOLS ((int)(sizeof schools / sizeof schools[0]))

const char *const inv_rare_features[INV_N_RARE] = {
    "helipad", "wine cellar", "private cinema", "observatory deck", "squash court",
};

static const char *const features[] = {
    "East facing", "Vaastu compliant", "Corner unit", "High floor with open views",
    "Semi-furnished", "Fully furnished", "Newly renovated", "Lake view", "Park facing",
    "Walking distance to the metro", "Close to the IT park", "Gated community",
    "Quiet street", "Double-height living room", "Modular kitchen", "Large balcony",
};
#define N_FEATURES ((int)(sizeof features / sizeof features[0]))

static uint64_t rnd(inv_gen *g)
{
    /* xorshift64* */
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 2685821657736338717ULL;
}

static double unif(inv_gen *g)
{
    return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static int pick(inv_gen *g, int n)
{
    return (int)(rnd(g) % (uint64_t)n);
}

void inv_init(inv_gen *g, uint64_t seed, long n)
{
    memset(g, 0, sizeof *g);
    g->rng = seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (g->rng == 0)
        g->rng = 1;
    g->n = n;
    long ppl = n / ((long)inv_n_localities * 500);
    g->projects_per_locality = ppl < 4 ? 4 : ppl > 30 ? 30 : (int)ppl;
    long projects = (long)inv_n_localities * g->projects_per_locality;
    g->per_project = n / projects;
    if (g->per_project < 1)
        g->per_project = 1;
    g->project = -1;
    g->in_project = g->per_project;   /* start a project on the first call */
}

static void start_project(inv_gen *g)
{
    g->project++;
    g->in_project = 0;
    long projects = (long)inv_n_localities * g->projects_per_locality;
    long p = g->project % projects;
    g->loc = (int)(p / g->projects_per_locality);
    int k = (int)(p % g->projects_per_locality);
    const inv_locality *L = &inv_localities[g->loc];
    /* developer and name: distinct within the locality */
    g->dev = (g->loc * 7 + k * 5) % N_DEVELOPERS;
    int suf = (g->loc * 11 + k * 13) % N_SUFFIXES;
    snprintf(g->project_name, sizeof g->project_name, "%s %s %s", developers[g->dev],
             suffixes[suf], L->name);
    double u = unif(g);
    g->kind = u < 0.70 ? 0 : u < 0.84 ? 1 : u < 0.94 ? 2 : 3;
    g->standing = 0.8 + 0.5 * unif(g);
    g->off_plan = unif(g) < (L->emerging ? 0.6 : 0.25);
    g->completion_year = 2026 + pick(g, 4);
}

/* The property type of a unit in a project of g->kind. */
static property_type unit_type(inv_gen *g)
{
    double u = unif(g);
    switch (g->kind) {
    case 0: return u < 0.84 ? PTYPE_APARTMENT : u < 0.95 ? PTYPE_STUDIO : PTYPE_PENTHOUSE;
    case 1: return u < 0.7 ? PTYPE_VILLA : PTYPE_TOWNHOUSE;
    case 2: return u < 0.6 ? PTYPE_OFFICE : PTYPE_SHOP;
    default: return PTYPE_PLOT;
    }
}

static const char *type_word(property_type t)
{
    switch (t) {
    case PTYPE_APARTMENT: return "Apartment";
    case PTYPE_VILLA: return "Villa";
    case PTYPE_TOWNHOUSE: return "Townhouse";
    case PTYPE_PENTHOUSE: return "Penthouse";
    case PTYPE_STUDIO: return "Studio";
    case PTYPE_PLOT: return "Plot";
    case PTYPE_OFFICE: return "Office space";
    case PTYPE_SHOP: return "Retail shop";
    default: return "Home";
    }
}

int inv_next(inv_gen *g, listing *l)
{
    if (g->i >= g->n)
        return 1;
    long projects = (long)inv_n_localities * g->projects_per_locality;
    if (g->in_project >= g->per_project && g->project + 1 < projects)
        start_project(g);
    g->in_project++;
    const inv_locality *L = &inv_localities[g->loc];
    memset(l, 0, sizeof *l);

    snprintf(g->id, sizeof g->id, "L%07ld", g->i + 1);
    l->id = g->id;
    l->project = g->project_name;
    l->developer = developers[g->dev];
    l->city = L->city;
    l->locality = L->name;
    l->type = unit_type(g);
    l->tx = unif(g) < 0.8 ? TX_BUY : TX_RENT;
    if (g->kind == 3)
        l->tx = TX_BUY;

    /* bedrooms and area */
    int beds = -1;
    double area;
    switch (l->type) {
    case PTYPE_STUDIO: beds = 0; area = 350 + 200 * unif(g); break;
    case PTYPE_APARTMENT: {
        double u = unif(g);
        beds = u < 0.2 ? 1 : u < 0.6 ? 2 : u < 0.9 ? 3 : 4;
        area = 450 + beds * 420 + 250 * unif(g);
        break;
    }
    case PTYPE_PENTHOUSE: beds = 3 + pick(g, 3); area = 2500 + 2500 * unif(g); break;
    case PTYPE_VILLA: beds = 3 + pick(g, 3); area = 1800 + beds * 550 + 800 * unif(g); break;
    case PTYPE_TOWNHOUSE: beds = 2 + pick(g, 3); area = 1300 + beds * 420 + 400 * unif(g); break;
    case PTYPE_PLOT: area = 1200 + 4800 * unif(g); break;
    case PTYPE_OFFICE: area = 500 + 4500 * unif(g); break;
    default: area = 200 + 1800 * unif(g); break;
    }
    l->bedrooms = beds;
    l->bathrooms = beds < 0 ? (l->type == PTYPE_PLOT ? -1 : 1 + pick(g, 2)) : beds == 0 ? 1 : beds + pick(g, 2) - (beds > 2);
    l->area_sqft = floor(area / 5) * 5;

    /* price */
    static const double type_factor[PTYPE__COUNT] = {1, 1.0, 1.15, 1.05, 1.4, 1.05, 0.45, 1.1, 1.5};
    double ppsf = L->ppsf * g->standing * type_factor[l->type] * (0.9 + 0.2 * unif(g));
    double sale = l->area_sqft * ppsf;
    double yield = L->yield * (0.85 + 0.3 * unif(g)) * (l->type == PTYPE_OFFICE || l->type == PTYPE_SHOP ? 1.8 : 1);
    if (l->tx == TX_BUY) {
        l->price = (money)(floor(sale / 10000) * 10000);
        l->rental_yield = l->type == PTYPE_PLOT ? -1 : floor(yield * 10 + 0.5) / 10;
    } else {
        l->price = (money)(floor(sale * yield / 100 / 1200) * 1200);   /* a year of rent */
        l->rental_yield = -1;
    }
    memcpy(l->currency, "INR", 4);
    l->units_available = unif(g) < 0.08 ? 0 : 1 + pick(g, 20);
    l->status = g->off_plan && l->tx == TX_BUY ? LSTATUS_OFF_PLAN : LSTATUS_READY;
    if (l->status == LSTATUS_OFF_PLAN) {
        snprintf(g->completion, sizeof g->completion, "%d-%02d-01", g->completion_year,
                 1 + (int)(g->project % 12));
        l->completion_date = g->completion;
    }
    l->has_geo = true;
    l->latitude = L->lat + (unif(g) - 0.5) * 0.02;
    l->longitude = L->lon + (unif(g) - 0.5) * 0.02;

    /* amenities: villas and premium projects have more */
    size_t o = 0;
    g->amenities[0] = '\0';
    double richness = (g->standing - 0.8) / 0.5 + (g->kind == 1 ? 0.3 : 0);
    for (int a = 0; a < N_AMENITIES; a++) {
        double p = 0.15 + 0.35 * richness;
        if (a == 0)
            p = g->kind == 1 ? 0.55 : 0.25 + 0.3 * richness;     /* pool */
        if (a == 19 && g->kind != 1)
            p = 0;                                               /* private garden */
        if (g->kind >= 2 && a != 3 && a != 4 && a != 10 && a != 11)
            p = 0.05;
        if (unif(g) < p) {
            int w = snprintf(g->amenities + o, sizeof g->amenities - o, "%s%s", o ? ";" : "",
                             amenity_names[a]);
            if (w > 0 && (size_t)w < sizeof g->amenities - o)
                o += (size_t)w;
        }
    }
    l->amenities = o ? g->amenities : NULL;

    /* title and description */
    if (beds > 0)
        snprintf(g->title, sizeof g->title, "%d BHK %s in %s", beds, type_word(l->type),
                 g->project_name);
    else
        snprintf(g->title, sizeof g->title, "%s in %s", type_word(l->type), g->project_name);
    l->title = g->title;
    const char *f1 = features[pick(g, N_FEATURES)];
    const char *f2 = features[pick(g, N_FEATURES)];
    int near_school = unif(g) < 0.35;
    /* one listing in about 4,000 has a rare feature (decided by a hash of
     * its number, so the other rows do not change): the words a text index
     * finds where price order would not */
    uint64_t hsh = (uint64_t)(g->i + 1) * 0x9E3779B97F4A7C15ULL;
    hsh ^= hsh >> 31;
    const char *rare = (hsh % 4000) == 0 ? inv_rare_features[(hsh >> 20) % INV_N_RARE] : NULL;
    snprintf(g->description, sizeof g->description,
             "%s%s%s%s %s in %s, %s, by %s. %s. %s.%s%s%s %s",
             rare ? "With a " : "", rare ? rare : "", rare ? ". " : "",
             l->area_sqft > 0 ? "Spacious" : "Well located", type_word(l->type),
             g->project_name, L->name, developers[g->dev], f1, f2,
             near_school ? " Near " : "", near_school ? schools[pick(g, N_SCHOOLS)] : "",
             near_school ? ", a good school." : "",
             l->status == LSTATUS_OFF_PLAN ? "Under construction with a payment plan."
                                           : "Ready to move in.");
    l->description = g->description;
    g->i++;
    return 0;
}

void inv_csv_header(FILE *f)
{
    fputs("id,title,project,developer,city,locality,property_type,transaction,bedrooms,"
          "bathrooms,area_sqft,price,currency,units_available,status,completion_date,"
          "amenities,latitude,longitude,rental_yield,description\n", f);
}

/* A CSV field, quoted when it holds a comma, a quote or a newline. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

void inv_csv_row(FILE *f, const listing *l)
{
    char beds[16] = "", baths[16] = "", area[24] = "", price[24], units[16] = "", lat[24],
         lon[24], yield[16] = "";
    if (l->bedrooms >= 0)
        snprintf(beds, sizeof beds, "%d", l->bedrooms);
    if (l->bathrooms >= 0)
        snprintf(baths, sizeof baths, "%g", l->bathrooms);
    if (l->area_sqft > 0)
        snprintf(area, sizeof area, "%.0f", l->area_sqft);
    snprintf(price, sizeof price, "%lld", (long long)l->price);
    if (l->units_available >= 0)
        snprintf(units, sizeof units, "%d", l->units_available);
    snprintf(lat, sizeof lat, "%.5f", l->latitude);
    snprintf(lon, sizeof lon, "%.5f", l->longitude);
    if (l->rental_yield >= 0)
        snprintf(yield, sizeof yield, "%.1f", l->rental_yield);
    csv_field(f, l->id, 0);
    csv_field(f, l->title, 0);
    csv_field(f, l->project, 0);
    csv_field(f, l->developer, 0);
    csv_field(f, l->city, 0);
    csv_field(f, l->locality, 0);
    csv_field(f, ptype_name(l->type), 0);
    csv_field(f, listing_tx_name(l->tx), 0);
    csv_field(f, beds, 0);
    csv_field(f, baths, 0);
    csv_field(f, area, 0);
    csv_field(f, price, 0);
    csv_field(f, l->currency, 0);
    csv_field(f, units, 0);
    csv_field(f, lstatus_name(l->status), 0);
    csv_field(f, l->completion_date, 0);
    csv_field(f, l->amenities, 0);
    csv_field(f, l->has_geo ? lat : "", 0);
    csv_field(f, l->has_geo ? lon : "", 0);
    csv_field(f, yield, 0);
    csv_field(f, l->description, 1);
}
