/*
 * auth.h - who is calling the admin API (CONTRACT.md §5): logins checked
 * against the store's password hashes, and the HS256 JSON Web Tokens that
 * carry the answer from one request to the next.
 *
 * A token is signed with a key derived from the instance secret
 * (PROPTALK_SECRET or the generated one, util/secret.h) and holds the claims
 * sub (the user id, a decimal string), tenant_id (an integer, null for a
 * super_admin), role (super_admin, tenant_admin, agent), iat and exp (UTC
 * seconds).  Tokens are made and read with libjwt; the signature is also
 * checked here in constant time (libsodium) before libjwt sees the token,
 * and the algorithm must be HS256 (alg "none" or any other is refused).
 * Tokens are stateless: one stays valid until exp even if its user goes.
 *
 * Logins: auth_login verifies a password with crypto_pwhash_str_verify;
 * an unknown email verifies against a dummy hash of the same cost, so both
 * failures take the same time and read the same ("invalid email or
 * password").  auth_limiter counts failures per client (IP address) in a
 * fixed window so password guessing is slowed to a trickle.
 *
 * Not here: which role may do what (http/admin.c), HTTP.
 */
#ifndef PT_AUTH_H
#define PT_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/types.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

typedef enum auth_role {
    ROLE_NONE = 0, ROLE_SUPER_ADMIN, ROLE_TENANT_ADMIN, ROLE_AGENT
} auth_role;

/* "super_admin", "tenant_admin", "agent"; NULL for ROLE_NONE. */
const char *auth_role_name(auth_role r);
/* ROLE_NONE for NULL or an unknown name. */
auth_role auth_role_from_name(const char *s);

#define AUTH_KEY_BYTES 32
#define AUTH_TOKEN_TTL (8 * 3600)      /* seconds a login token lives */
#define AUTH_TOKEN_MAX 4096            /* longest token accepted, bytes */

typedef struct auth_key {
    unsigned char k[AUTH_KEY_BYTES];
} auth_key;

/* The token signing key: HMAC-SHA256 keyed with the secret over a fixed
 * label, so the secret itself never signs anything.  Errors: PT_ERR_INVALID
 * (empty secret), PT_ERR_INTERNAL (libsodium failed to initialise). */
int auth_key_derive(const char *secret, auth_key *out, pt_error *err);

typedef struct auth_claims {
    int64_t user_id;       /* sub, > 0 */
    auth_role role;
    tenant_id tenant;      /* tenant_id; 0 for a super_admin */
    int64_t iat, exp;      /* UTC seconds */
} auth_claims;

/* Signs c as an HS256 JWT.  *token is malloc'd (the caller frees it).
 * Errors: PT_ERR_INVALID (claims that auth_token_verify would refuse),
 * PT_ERR_NOMEM. */
int auth_token_issue(const auth_key *k, const auth_claims *c, char **token, pt_error *err);

/* Checks token (len bytes, any bytes) at time now: shape, HS256, signature,
 * exp > now, and claims that fit together (a super_admin has no tenant,
 * the other roles have one).  *out is filled on success.  Every failure is
 * PT_ERR_UNAUTHORIZED with a short message that says which check failed
 * but never echoes the token. */
int auth_token_verify(const auth_key *k, const char *token, size_t len, int64_t now,
                      auth_claims *out, pt_error *err);

/* Reads an Authorization header value: "Bearer TOKEN" (scheme in any case,
 * spaces around).  *token points into header and *len is its length.
 * Errors, PT_ERR_UNAUTHORIZED: header missing (NULL) or empty, another
 * scheme, no token, a token with characters outside base64url and '.', or
 * longer than AUTH_TOKEN_MAX. */
int auth_bearer_parse(const char *header, const char **token, size_t *len, pt_error *err);

/* ---- logins -------------------------------------------------------------- */

#define AUTH_EMAIL_MAX 254
#define AUTH_PASSWORD_MAX 1024

/* Checks email (any case) and password against the store.  On success *out
 * is the user (strings in a).  An unknown email, a wrong password, a user
 * without a password, or an over-long email or password are all
 * PT_ERR_UNAUTHORIZED "invalid email or password", after one Argon2id
 * verification each (a dummy hash for an unknown email).  Store failures
 * keep their codes.  Thread-safe; at most AUTH_VERIFY_PARALLEL password
 * checks run at once (each takes 64 MiB), the others wait. */
#define AUTH_VERIFY_PARALLEL 4
int auth_login(store *s, const char *email, const char *password, arena *a, store_user *out,
               pt_error *err);

/* Failed logins per client in a fixed window: after max_failures failures
 * from one key within window seconds, auth_limiter_check refuses that key
 * until the window ends.  A fixed table (AUTH_LIMITER_SLOTS keys; when full
 * the stalest entry is forgotten), thread-safe. */
#define AUTH_LIMITER_SLOTS 4096
typedef struct auth_limiter auth_limiter;

/* Errors: PT_ERR_INVALID (max_failures or window < 1), PT_ERR_NOMEM. */
int auth_limiter_new(int max_failures, int window, auth_limiter **out, pt_error *err);
void auth_limiter_free(auth_limiter *l);
/* 0 when key may try now, else the seconds until it may. */
int auth_limiter_check(auth_limiter *l, const char *key, time_t now);
/* Counts one failure of key. */
void auth_limiter_fail(auth_limiter *l, const char *key, time_t now);

#endif
