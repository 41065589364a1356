#!/usr/bin/env python3
"""Prints the code tables of src/core/iso.c from Debian's iso-codes data
(package iso-codes: /usr/share/iso-codes/json/iso_4217.json and
iso_3166-1.json), so the tables can be checked and refreshed:

    tools/gen-iso-codes.py [DIR]

Currencies: every ISO 4217 code of the data, less the ones that are not a
currency a price could be in (precious metals, bond-market units, the SDR,
the ADB unit, the Sucre, the test code XTS and XXX "no currency"), plus the
codes ISO added after the data's release (EXTRA_CURRENCIES).  Regions: every
ISO 3166-1 alpha-2 code.
"""
import json
import sys

NOT_MONEY = {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS",
             "XUA", "XXX"}
# ISO 4217 amendment 176 (XCG, Caribbean guilder, from 2025-03-31) and 177
# (ZWG, Zimbabwe Gold, from 2024-06-25); not in iso-codes 4.15.0
EXTRA_CURRENCIES = {"XCG", "ZWG"}


def table(codes, width):
    codes = sorted(codes)
    per_line = 72 // (width + 1)
    lines = []
    for i in range(0, len(codes), per_line):
        lines.append('    "' + "".join(codes[i:i + per_line]) + '"')
    return "\n".join(lines)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/iso-codes/json"
    cur = {c["alpha_3"] for c in json.load(open(d + "/iso_4217.json"))["4217"]}
    cur = (cur - NOT_MONEY) | EXTRA_CURRENCIES
    reg = {c["alpha_2"] for c in json.load(open(d + "/iso_3166-1.json"))["3166-1"]}
    print(f"/* {len(cur)} currencies */")
    print(table(cur, 3) + ";")
    print(f"/* {len(reg)} regions */")
    print(table(reg, 2) + ";")


if __name__ == "__main__":
    main()
