/*
 * search_inventory.h - a made-up but realistic Indian listing inventory,
 * generated from a seed, for the search benchmarks (bench/search_bench.c)
 * and the search tests (tests/unit/test_search*.c include the .c).
 *
 * 64 real localities of Bangalore, Mumbai, Pune and Hyderabad with their
 * approximate coordinates and price levels; projects of 24 developers in
 * each; apartments, villas, townhouses, penthouses, studios, plots, offices
 * and shops for sale and for rent.  Prices follow the locality's price per
 * square foot, the project's standing and the type; yields and the share of
 * off-plan supply follow the locality (the "emerging" ones are cheaper,
 * yield more and are mostly off-plan).  Rows come out project by project, as
 * a developer's or a portal's export would.
 *
 * The same seed and count always give the same rows (xorshift64*, no libc
 * randomness).  Not a library module: it is compiled into the benchmark and
 * #included by tests.
 */
#ifndef PT_SEARCH_INVENTORY_H
#define PT_SEARCH_INVENTORY_H

#include <stdint.h>
#include <stdio.h>

#include "core/types.h"

typedef struct inv_locality {
    const char *name, *city;
    double lat, lon;
    int ppsf;             /* sale price per sq ft, INR */
    double yield;         /* typical gross rental yield, percent */
    int emerging;         /* cheaper, higher yield, mostly off-plan */
} inv_locality;

extern const inv_locality inv_localities[];
extern const int inv_n_localities;

/* Features one listing in about 4,000 has, in its description. */
#define INV_N_RARE 5
extern const char *const inv_rare_features[INV_N_RARE];

typedef struct inv_gen {
    uint64_t rng;
    long n, i;                 /* rows wanted, rows made */
    int projects_per_locality;
    long per_project;          /* rows per project (the last ones take the rest) */
    long project;              /* current project number */
    long in_project;           /* rows made in the current project */
    /* the current project */
    int loc, dev, kind;        /* kind: 0 apartments, 1 villas, 2 commercial, 3 plots */
    double standing;           /* price factor of the project, 0.8..1.3 */
    int off_plan;
    int completion_year;
    char project_name[96];
    /* the current row's text (valid until the next inv_next) */
    char id[24], title[160], description[600], amenities[400], completion[16];
} inv_gen;

/* Prepares a generator of n rows from seed. */
void inv_init(inv_gen *g, uint64_t seed, long n);

/* The next row into *l (strings point into g).  Returns 0, or 1 when all n
 * rows were made. */
int inv_next(inv_gen *g, listing *l);

/* The CONTRACT §3 header line and one row of l as CSV (with newline). */
void inv_csv_header(FILE *f);
void inv_csv_row(FILE *f, const listing *l);

#endif
