/*
 * iso.h - whether a code names a real currency (ISO 4217) or a real country
 * (ISO 3166-1 alpha-2), not only whether it has the shape of one: "XYZ" is
 * three letters and no currency.  The tables are compiled in (iso.c names
 * their source and tools/gen-iso-codes.py prints them again from Debian's
 * iso-codes data); proptalk has no other data to read at start.
 */
#ifndef PT_ISO_H
#define PT_ISO_H

#include <stdbool.h>

/* code is three letters (either case) of an ISO 4217 currency a price can
 * be in: not the precious metals, bond-market units, SDR, ADB unit, Sucre,
 * XTS (testing) or XXX (no currency).  NULL is false. */
bool iso_currency_known(const char *code);

/* code is two letters (either case) of an ISO 3166-1 alpha-2 country or
 * territory.  NULL is false. */
bool iso_region_known(const char *code);

#endif
