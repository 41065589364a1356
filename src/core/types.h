/*
 * types.h - the domain vocabulary shared by every layer: property types,
 * transactions, purposes, languages, listings, tenants and the conversation
 * slots.  Plain data and string<->enum mapping only; no behaviour, no I/O.
 *
 * Money is always whole currency units in int64_t (AED, INR, ...), never a
 * double.  "Unknown" is an explicit value (0 for enums, -1 for counts) so a
 * filled slot can be told from an empty one.
 */
#ifndef PT_TYPES_H
#define PT_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef int64_t money;            /* whole currency units */
typedef int64_t tenant_id;        /* store row id of a tenant */

typedef enum property_type {
    PTYPE_NONE = 0, PTYPE_APARTMENT, PTYPE_VILLA, PTYPE_TOWNHOUSE, PTYPE_PENTHOUSE,
    PTYPE_STUDIO, PTYPE_PLOT, PTYPE_OFFICE, PTYPE_SHOP, PTYPE__COUNT
} property_type;

/* What the buyer wants to do (NLU, slots: "buy"/"rent"). */
typedef enum transaction {
    TX_NONE = 0, TX_BUY, TX_RENT, TX__COUNT
} transaction;

/* The period a rent amount is said in.  Listing rents are per year
 * (CONTRACT.md §3); a buyer may say theirs per month ("40k a month"). */
typedef enum rent_period {
    PERIOD_NONE = 0, PERIOD_MONTH, PERIOD_YEAR, PERIOD__COUNT
} rent_period;

typedef enum purpose {
    PURPOSE_NONE = 0, PURPOSE_INVESTMENT, PURPOSE_LIVING, PURPOSE_RESIDENCY, PURPOSE__COUNT
} purpose;

typedef enum listing_status {
    LSTATUS_NONE = 0, LSTATUS_READY, LSTATUS_OFF_PLAN
} listing_status;

typedef enum lang {
    LANG_EN = 0, LANG_AR, LANG_FA, LANG_RU, LANG__COUNT
} lang;

/* Names as they appear in the contract ("apartment", "buy", "investment",
 * "ready", "en").  *_from_name returns the NONE value for unknown names (and
 * lang_from_name returns -1).  Listing transactions are spelt "sale"/"rent":
 * listing_tx_name(TX_BUY) is "sale". */
const char *ptype_name(property_type t);
property_type ptype_from_name(const char *s);
const char *tx_name(transaction t);            /* "buy" / "rent" / NULL */
const char *listing_tx_name(transaction t);    /* "sale" / "rent" / NULL */
transaction tx_from_name(const char *s);       /* accepts buy, sale, rent */
const char *period_name(rent_period p);        /* "month" / "year" / NULL */
rent_period period_from_name(const char *s);   /* month, year; else PERIOD_NONE */
/* How many of period p make a year (the listings' period): 12, 1, 0 for none. */
int period_per_year(rent_period p);
const char *purpose_name(purpose p);
purpose purpose_from_name(const char *s);
const char *lstatus_name(listing_status s);
listing_status lstatus_from_name(const char *s);
const char *lang_name(lang l);
int lang_from_name(const char *s);

/* One listing (CONTRACT.md §3).  Strings are owned by whoever filled the
 * struct (usually an arena); the struct itself owns nothing. */
typedef struct listing {
    const char *id;             /* tenant-scoped external id */
    const char *title, *project, *developer, *city, *locality;
    property_type type;
    transaction tx;             /* TX_BUY = "sale", TX_RENT = "rent" (price per year) */
    int bedrooms;               /* 0 = studio, -1 unknown */
    double bathrooms;           /* -1 unknown */
    double area_sqft;           /* -1 unknown */
    money price;
    char currency[4];           /* ISO 4217 */
    int units_available;        /* -1 unknown */
    listing_status status;
    const char *completion_date;  /* ISO date or NULL */
    const char *amenities;      /* ';'-separated, NULL if none */
    bool has_geo;
    double latitude, longitude;
    double rental_yield;        /* percent, -1 unknown */
    const char *description;
    const char *attributes_json;  /* extra CSV columns as a JSON object, or NULL */
} listing;

/* A tenant and the settings that shape its conversations. */
typedef struct tenant {
    tenant_id id;
    char slug[64];
    char name[128];
    char currency[4];           /* ISO 4217, e.g. "AED" */
    char region[3];             /* ISO 3166 alpha-2, e.g. "AE" */
    lang language;              /* default reply language */
    char timezone[64];          /* IANA, e.g. "Asia/Dubai" */
} tenant;

/* The qualification slots of a conversation (CONTRACT.md §5 "slots"). */
typedef struct slots {
    purpose purpose;
    bool has_budget_min, has_budget_max;
    money budget_min, budget_max;
    char currency[4];
    property_type type;
    transaction tx;
    int bedrooms;               /* -1 unknown, 0 studio */
    int n_locations;
    char locations[4][64];      /* canonical locality names */
    /* A rent budget: the period the buyer speaks in (the answers echo it
     * "under ₹40,000 a month"); budget_min/max are always in the listings'
     * period, per year.  PERIOD_NONE for a purchase or when unknown. */
    rent_period budget_period;
} slots;

void slots_init(slots *s);

#endif
