/*
 * hash.h - hash_words: a 64-bit hash of a short key for in-memory tables
 * (the state cache, the store's key filter): the bytes eight at a time (the
 * last, short word zero-padded; the length mixed into the seed, so keys
 * that differ only by trailing NULs cannot meet), each step a multiply and
 * a shift, and a final avalanche so that the low bits, and the high ones,
 * depend on every byte.  Not for anything an attacker must not collide.
 * Header-only, so each caller inlines it.
 */
#ifndef PT_UTIL_HASH_H
#define PT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The hash of p[0..len) under seed (callers mix what else keys the entry,
 * a kind or a tenant, into it). */
static inline uint64_t hash_words(uint64_t seed, const char *p, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = (seed ^ (uint64_t)len << 40) * k;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * k;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t v = 0;
        memcpy(&v, p + i, len - i);
        h = (h ^ v) * k;
        h ^= h >> 29;
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    h ^= h >> 32;
    return h;
}

#endif
