/*
 * fuzz_auth.c - libFuzzer target for the admin API's Authorization header
 * and tokens (src/auth/jwt.c), which are outside input on every request.
 *
 * The first byte picks a mode:
 *   even: the rest is an Authorization header value; auth_bearer_parse,
 *         then auth_token_verify on whatever token it yields.  A random
 *         token must never verify.
 *   odd:  the rest is a token payload (claims JSON), signed here with the
 *         test key under an HS256 header, so the claim checks (types,
 *         roles, tenant, exp) are reached.  When it verifies, the claims
 *         must be consistent.
 * Checks: no crash or leak, every failure is PT_ERR_UNAUTHORIZED (or
 * NOMEM) with a message, and a message never contains the token.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/auth.h"

#define NOW 1800000000

static auth_key key;
static int ready;

static void check_failure(int rc, const pt_error *err)
{
    if (rc != -PT_ERR_UNAUTHORIZED && rc != -PT_ERR_NOMEM)
        abort();
    if (err->msg[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_error err = {0};
    auth_claims c;
    if (!ready) {
        if (sodium_init() < 0 || auth_key_derive("fuzz-secret", &key, &err) != 0)
            abort();
        ready = 1;
    }
    if (size == 0)
        return 0;
    if ((data[0] & 1) == 0) {
        char *h = malloc(size);
        memcpy(h, data + 1, size - 1);
        h[size - 1] = '\0';
        const char *tok = NULL;
        size_t n = 0;
        int rc = auth_bearer_parse(h, &tok, &n, &err);
        if (rc) {
            check_failure(rc, &err);
        } else {
            if (tok == NULL || n == 0 || n > AUTH_TOKEN_MAX || tok < h || tok + n > h + size)
                abort();
            pt_error_clear(&err);
            rc = auth_token_verify(&key, tok, n, NOW, &c, &err);
            if (rc == 0)
                abort();   /* nobody forges an HMAC by chance */
            check_failure(rc, &err);
        }
        free(h);
        return 0;
    }
    /* a signed token around the payload bytes */
    size_t plen = size - 1;
    if (plen > 2048)
        return 0;
    static const char head[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    size_t cap = 4 * (plen + sizeof head) / 3 + 128;
    char *tok = malloc(cap);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    sodium_bin2base64(tok, cap, (const unsigned char *)head, sizeof head - 1,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t n = strlen(tok);
    tok[n++] = '.';
    sodium_bin2base64(tok + n, cap - n, data + 1, plen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    n = strlen(tok);
    crypto_auth_hmacsha256(mac, (const unsigned char *)tok, n, key.k);
    tok[n++] = '.';
    sodium_bin2base64(tok + n, cap - n, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    n = strlen(tok);
    int rc = auth_token_verify(&key, tok, n, NOW, &c, &err);
    if (rc == 0) {
        if (c.user_id <= 0 || c.exp <= NOW || c.role == ROLE_NONE)
            abort();
        if ((c.role == ROLE_SUPER_ADMIN) != (c.tenant == 0) || c.tenant < 0)
            abort();
        /* what verifies can be issued again and reads back the same */
        char *again = NULL;
        c.iat = 0;
        if (auth_token_issue(&key, &c, &again, &err) == 0) {
            auth_claims d;
            if (auth_token_verify(&key, again, strlen(again), NOW, &d, &err) != 0 ||
                d.user_id != c.user_id || d.tenant != c.tenant || d.role != c.role ||
                d.exp != c.exp)
                abort();
            free(again);
        }
    } else {
        check_failure(rc, &err);
        if (strstr(err.msg, "eyJ"))
            abort();
    }
    free(tok);
    return 0;
}
