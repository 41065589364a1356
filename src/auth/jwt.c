/*
 * jwt.c - the HS256 tokens of the admin API and the Authorization header
 * they arrive in; see auth.h.
 *
 * Reading a token is outside input, so it goes in this order: length and
 * alphabet (base64url with exactly two dots), the signature recomputed with
 * libsodium and compared in constant time, then libjwt decodes it (and
 * checks the signature again), the algorithm must be HS256, and last the
 * claims are read with jansson from libjwt's JSON, each with its type.
 * Nothing of the token is echoed in an error message.
 */
#include "auth/auth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>

#define KEY_LABEL "proptalk/jwt/v1"
#define SUB_MAX 20

const char *auth_role_name(auth_role r)
{
    switch (r) {
    case ROLE_SUPER_ADMIN: return "super_admin";
    case ROLE_TENANT_ADMIN: return "tenant_admin";
    case ROLE_AGENT: return "agent";
    default: return NULL;
    }
}

auth_role auth_role_from_name(const char *s)
{
    if (s == NULL)
        return ROLE_NONE;
    if (strcmp(s, "super_admin") == 0)
        return ROLE_SUPER_ADMIN;
    if (strcmp(s, "tenant_admin") == 0)
        return ROLE_TENANT_ADMIN;
    if (strcmp(s, "agent") == 0)
        return ROLE_AGENT;
    return ROLE_NONE;
}

int auth_key_derive(const char *secret, auth_key *out, pt_error *err)
{
    crypto_auth_hmacsha256_state st;
    if (secret == NULL || secret[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "the instance secret is empty");
    if (sodium_init() < 0)
        return pt_fail(err, PT_ERR_INTERNAL, "libsodium failed to initialise");
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)KEY_LABEL, sizeof KEY_LABEL - 1);
    crypto_auth_hmacsha256_final(&st, out->k);
    sodium_memzero(&st, sizeof st);
    return 0;
}

/* The claims fit together: a role, a positive user, a tenant exactly when
 * the role is not super_admin. */
static bool claims_consistent(const auth_claims *c)
{
    if (c->user_id <= 0 || c->role == ROLE_NONE)
        return false;
    if (c->role == ROLE_SUPER_ADMIN)
        return c->tenant == 0;
    return c->tenant > 0;
}

int auth_token_issue(const auth_key *k, const auth_claims *c, char **token, pt_error *err)
{
    int rc = 0;
    jwt_t *j = NULL;
    char sub[SUB_MAX + 4];

    *token = NULL;
    if (!claims_consistent(c) || c->exp <= c->iat)
        return pt_fail(err, PT_ERR_INVALID, "token claims are inconsistent");
    snprintf(sub, sizeof sub, "%lld", (long long)c->user_id);
    if (jwt_new(&j) != 0) {
        rc = pt_fail(err, PT_ERR_NOMEM, "token: out of memory");
        goto done;
    }
    int e = jwt_set_alg(j, JWT_ALG_HS256, k->k, AUTH_KEY_BYTES);
    if (e == 0)
        e = jwt_add_grant(j, "sub", sub);
    if (e == 0)
        e = jwt_add_grant(j, "role", auth_role_name(c->role));
    if (e == 0)
        e = c->tenant > 0 ? jwt_add_grant_int(j, "tenant_id", (long)c->tenant)
                          : jwt_add_grants_json(j, "{\"tenant_id\": null}");
    if (e == 0)
        e = jwt_add_grant_int(j, "iat", (long)c->iat);
    if (e == 0)
        e = jwt_add_grant_int(j, "exp", (long)c->exp);
    if (e != 0) {
        rc = pt_fail(err, e == ENOMEM ? PT_ERR_NOMEM : PT_ERR_INTERNAL, "token: %s", strerror(e));
        goto done;
    }
    *token = jwt_encode_str(j);
    if (*token == NULL)
        rc = pt_fail(err, PT_ERR_NOMEM, "token: out of memory");
done:
    jwt_free(j);
    return rc;
}

static bool b64url_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* Reads a JSON integer claim into *out.  false when absent or of another type. */
static bool claim_int(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v))
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

/* sub: a decimal user id as a string (RFC 7519 makes sub a string). */
static bool claim_sub(json_t *o, int64_t *out)
{
    json_t *v = json_object_get(o, "sub");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int64_t id = 0;
    if (s == NULL || n == 0 || n > 18 || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        id = id * 10 + (s[i] - '0');
    }
    *out = id;
    return id > 0;
}

int auth_token_verify(const auth_key *k, const char *token, size_t len, int64_t now,
                      auth_claims *out, pt_error *err)
{
    int rc = 0;
    char *copy = NULL, *grants = NULL;
    jwt_t *j = NULL;
    json_t *o = NULL;
    unsigned char sig[crypto_auth_hmacsha256_BYTES + 4];
    size_t sig_len = 0, dot1 = 0, dot2 = 0;
    int dots = 0;

    memset(out, 0, sizeof *out);
    if (token == NULL || len == 0)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the token is empty");
    if (len > AUTH_TOKEN_MAX)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the token is longer than %d bytes",
                       AUTH_TOKEN_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)token[i];
        if (c == '.') {
            if (++dots == 1)
                dot1 = i;
            else
                dot2 = i;
        } else if (!b64url_char(c)) {
            return pt_fail(err, PT_ERR_UNAUTHORIZED, "the token is not a JWT");
        }
    }
    if (dots != 2 || dot1 == 0 || dot2 == dot1 + 1 || dot2 + 1 == len)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the token is not a JWT");

    /* the signature, in constant time, before any parsing of the content */
    if (sodium_base642bin(sig, sizeof sig, token + dot2 + 1, len - dot2 - 1, NULL, &sig_len,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        sig_len != crypto_auth_hmacsha256_BYTES ||
        crypto_auth_hmacsha256_verify(sig, (const unsigned char *)token, dot2, k->k) != 0)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the token signature is invalid");

    copy = malloc(len + 1);
    if (copy == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "token: out of memory");
        goto done;
    }
    memcpy(copy, token, len);
    copy[len] = '\0';
    int e = jwt_decode(&j, copy, k->k, AUTH_KEY_BYTES);
    if (e != 0 || j == NULL) {
        rc = e == ENOMEM ? pt_fail(err, PT_ERR_NOMEM, "token: out of memory")
                         : pt_fail(err, PT_ERR_UNAUTHORIZED, "the token is malformed");
        goto done;
    }
    if (jwt_get_alg(j) != JWT_ALG_HS256) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token algorithm must be HS256");
        goto done;
    }
    grants = jwt_get_grants_json(j, NULL);
    o = grants ? json_loads(grants, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(o)) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token claims are malformed");
        goto done;
    }
    auth_claims c = {0};
    json_t *tid = json_object_get(o, "tenant_id");
    c.role = auth_role_from_name(json_string_value(json_object_get(o, "role")));
    if (!claim_int(o, "exp", &c.exp)) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token has no expiry");
        goto done;
    }
    if (c.exp <= now) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token has expired");
        goto done;
    }
    if (json_object_get(o, "iat") && !claim_int(o, "iat", &c.iat)) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token claims are malformed");
        goto done;
    }
    if (tid && !json_is_null(tid) && !claim_int(o, "tenant_id", &c.tenant)) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token claims are malformed");
        goto done;
    }
    if (!claim_sub(o, &c.user_id) || !claims_consistent(&c)) {
        rc = pt_fail(err, PT_ERR_UNAUTHORIZED, "the token claims are malformed");
        goto done;
    }
    *out = c;
done:
    json_decref(o);
    free(grants);
    jwt_free(j);
    if (copy) {
        sodium_memzero(copy, len);
        free(copy);
    }
    return rc;
}

int auth_bearer_parse(const char *header, const char **token, size_t *len, pt_error *err)
{
    *token = NULL;
    *len = 0;
    if (header == NULL)
        return pt_fail(err, PT_ERR_UNAUTHORIZED,
                       "missing Authorization header (expected \"Bearer TOKEN\")");
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return pt_fail(err, PT_ERR_UNAUTHORIZED,
                       "empty Authorization header (expected \"Bearer TOKEN\")");
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t' && p[6] != '\0'))
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the Authorization scheme must be Bearer");
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *start = p;
    while (*p && *p != ' ' && *p != '\t') {
        if (!b64url_char((unsigned char)*p) && *p != '.')
            return pt_fail(err, PT_ERR_UNAUTHORIZED, "the bearer token has invalid characters");
        if ((size_t)(p - start) >= AUTH_TOKEN_MAX)
            return pt_fail(err, PT_ERR_UNAUTHORIZED, "the bearer token is longer than %d bytes",
                           AUTH_TOKEN_MAX);
        p++;
    }
    size_t n = (size_t)(p - start);
    while (*p == ' ' || *p == '\t')
        p++;
    if (n == 0)
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the Authorization header has no token");
    if (*p != '\0')
        return pt_fail(err, PT_ERR_UNAUTHORIZED, "the Authorization header has text after "
                       "the token");
    *token = start;
    *len = n;
    return 0;
}
