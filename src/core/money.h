/*
 * money.h - formatting whole-unit amounts for buyers.  INR in lakh and
 * crore ("₹1.85 Cr", "₹95 L"), other currencies with thousands separators
 * ("AED 1,850,000").  Never rounds a price up or down beyond two decimals
 * of a crore/lakh/million, so what the buyer reads is what the data holds.
 */
#ifndef PT_MONEY_H
#define PT_MONEY_H

#include <stddef.h>

#include "core/types.h"

/* Writes the formatted amount into out (size bytes, NUL-terminated).
 * Returns out.  compact: "AED 1.85M" instead of "AED 1,850,000". */
char *money_format(char *out, size_t size, money amount, const char *currency, int compact);

#endif
