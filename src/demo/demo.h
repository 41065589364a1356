/*
 * demo.h - the demo tenants of CONTRACT.md §7: bangalore-demo (INR) and
 * dubai-demo (AED), each with a made-up but plausible inventory of at least
 * 200 listings, agents with two weeks of viewing slots, and an admin login.
 *
 * Loading is idempotent: a second run (a restart of `serve --demo`) keeps
 * existing tenants, re-upserts the same listings (same ids, same data: the
 * generator is seeded), and adds only the slots that are missing.
 * API keys are derived from the secret (HMAC), so they stay the same across
 * restarts of one data folder and can be printed every time.
 */
#ifndef PT_DEMO_H
#define PT_DEMO_H

#include <time.h>

#include "store/store.h"
#include "util/error.h"

#define DEMO_ADMIN_EMAIL "admin@proptalk.demo"

typedef struct demo_tenant_info {
    char slug[32];
    char api_key[48];
    int listings;
} demo_tenant_info;

typedef struct demo_info {
    demo_tenant_info tenants[2];
    int n_tenants;
    char admin_email[64];
    char admin_password[48];   /* derived from the secret, printed at start */
    int agents;
    int slots;
} demo_info;

/* Loads (or refreshes) the demo data into s.  secret: the instance secret
 * (key material for the derived API keys and admin password).  now: the
 * reference time for agent availability (slots for the next 14 days, 10:00
 * to 18:00 local time of each tenant, hourly).  *info is filled for printing.
 * Errors: store errors. */
int demo_load(store *s, const char *secret, time_t now, demo_info *info, pt_error *err);

#endif
