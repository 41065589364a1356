/*
 * types.c - string <-> enum tables for the domain vocabulary.
 */
#include "core/types.h"

#include <string.h>
#include <strings.h>

static const char *const ptype_names[PTYPE__COUNT] = {
    NULL, "apartment", "villa", "townhouse", "penthouse", "studio", "plot", "office", "shop",
};
static const char *const purpose_names[PURPOSE__COUNT] = {NULL, "investment", "living", "residency"};
static const char *const lang_names[LANG__COUNT] = {"en", "ar", "fa", "ru"};

static int lookup(const char *const *names, int n, const char *s)
{
    if (s == NULL)
        return 0;
    for (int i = 0; i < n; i++)
        if (names[i] && strcasecmp(names[i], s) == 0)
            return i;
    return 0;
}

const char *ptype_name(property_type t)
{
    return (t > 0 && t < PTYPE__COUNT) ? ptype_names[t] : NULL;
}

property_type ptype_from_name(const char *s)
{
    return (property_type)lookup(ptype_names, PTYPE__COUNT, s);
}

const char *tx_name(transaction t)
{
    return t == TX_BUY ? "buy" : t == TX_RENT ? "rent" : NULL;
}

const char *listing_tx_name(transaction t)
{
    return t == TX_BUY ? "sale" : t == TX_RENT ? "rent" : NULL;
}

transaction tx_from_name(const char *s)
{
    if (s == NULL)
        return TX_NONE;
    if (strcasecmp(s, "buy") == 0 || strcasecmp(s, "sale") == 0)
        return TX_BUY;
    if (strcasecmp(s, "rent") == 0)
        return TX_RENT;
    return TX_NONE;
}

const char *period_name(rent_period p)
{
    return p == PERIOD_MONTH ? "month" : p == PERIOD_YEAR ? "year" : NULL;
}

rent_period period_from_name(const char *s)
{
    if (s == NULL)
        return PERIOD_NONE;
    return strcmp(s, "month") == 0 ? PERIOD_MONTH : strcmp(s, "year") == 0 ? PERIOD_YEAR
                                                                          : PERIOD_NONE;
}

int period_per_year(rent_period p)
{
    return p == PERIOD_MONTH ? 12 : p == PERIOD_YEAR ? 1 : 0;
}

const char *purpose_name(purpose p)
{
    return (p > 0 && p < PURPOSE__COUNT) ? purpose_names[p] : NULL;
}

purpose purpose_from_name(const char *s)
{
    return (purpose)lookup(purpose_names, PURPOSE__COUNT, s);
}

const char *lstatus_name(listing_status s)
{
    return s == LSTATUS_READY ? "ready" : s == LSTATUS_OFF_PLAN ? "off_plan" : NULL;
}

listing_status lstatus_from_name(const char *s)
{
    if (s == NULL)
        return LSTATUS_NONE;
    if (strcasecmp(s, "ready") == 0)
        return LSTATUS_READY;
    if (strcasecmp(s, "off_plan") == 0 || strcasecmp(s, "off-plan") == 0 ||
        strcasecmp(s, "off plan") == 0 || strcasecmp(s, "offplan") == 0)
        return LSTATUS_OFF_PLAN;
    return LSTATUS_NONE;
}

const char *lang_name(lang l)
{
    return (l >= 0 && l < LANG__COUNT) ? lang_names[l] : "en";
}

int lang_from_name(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = 0; i < LANG__COUNT; i++)
        if (strcasecmp(lang_names[i], s) == 0)
            return i;
    return -1;
}

void slots_init(slots *s)
{
    memset(s, 0, sizeof *s);
    s->bedrooms = -1;
}
