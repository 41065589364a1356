/*
 * test_auth.c - the admin API's authentication (src/auth): the signing key,
 * HS256 tokens made and read back, every way a token is refused (expiry,
 * another key, a changed byte, alg "none" or another algorithm, claims of
 * the wrong type or that do not fit together), the Authorization header,
 * logins against a real SQLite store, and the failed-login limiter.
 *
 * Hand-made tokens are signed here with libsodium's HMAC-SHA256 so that
 * claims the issuer would never write can still reach the claim checks.
 */
#include "auth/auth.h"
#include "store/store.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

static auth_key key;
static const int64_t NOW = 1800000000;

/* base64url without padding of n bytes into out. */
static void b64(char *out, size_t size, const void *p, size_t n)
{
    sodium_bin2base64(out, size, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A token with the given header and payload JSON, HMAC-SHA256-signed with k. */
static char *forge(const auth_key *k, const char *header, const char *payload)
{
    static char tok[4096];
    char h[1024], p[2048], s[128];
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    b64(h, sizeof h, header, strlen(header));
    b64(p, sizeof p, payload, strlen(payload));
    snprintf(tok, sizeof tok, "%s.%s", h, p);
    crypto_auth_hmacsha256(mac, (const unsigned char *)tok, strlen(tok), k->k);
    b64(s, sizeof s, mac, sizeof mac);
    size_t n = strlen(tok);
    snprintf(tok + n, sizeof tok - n, ".%s", s);
    return tok;
}

static int verify(const char *tok, auth_claims *c, pt_error *err)
{
    pt_error_clear(err);
    return auth_token_verify(&key, tok, strlen(tok), NOW, c, err);
}

TEST(test_roles)
{
    CHECK_STR(auth_role_name(ROLE_SUPER_ADMIN), "super_admin");
    CHECK_STR(auth_role_name(ROLE_TENANT_ADMIN), "tenant_admin");
    CHECK_STR(auth_role_name(ROLE_AGENT), "agent");
    CHECK(auth_role_name(ROLE_NONE) == NULL, "none has no name");
    CHECK_INT(auth_role_from_name("tenant_admin"), ROLE_TENANT_ADMIN);
    CHECK_INT(auth_role_from_name("Tenant_Admin"), ROLE_NONE);
    CHECK_INT(auth_role_from_name("root"), ROLE_NONE);
    CHECK_INT(auth_role_from_name(NULL), ROLE_NONE);
}

TEST(test_key_derive)
{
    auth_key a, b, c;
    pt_error err = {0};
    CHECK(auth_key_derive("s3cret", &a, &err) == 0, "derive: %s", err.msg);
    CHECK(auth_key_derive("s3cret", &b, &err) == 0, "derive again");
    CHECK(memcmp(a.k, b.k, sizeof a.k) == 0, "the same secret gives the same key");
    CHECK(auth_key_derive("s3cret2", &c, &err) == 0, "derive other");
    CHECK(memcmp(a.k, c.k, sizeof a.k) != 0, "another secret gives another key");
    CHECK(memcmp(a.k, "s3cret", 6) != 0, "the key is not the secret");
    CHECK_INT(auth_key_derive("", &c, &err), -PT_ERR_INVALID);
    CHECK_INT(auth_key_derive(NULL, &c, &err), -PT_ERR_INVALID);
}

TEST(test_issue_verify)
{
    pt_error err = {0};
    const auth_claims in[] = {
        {.user_id = 7, .role = ROLE_TENANT_ADMIN, .tenant = 3, .iat = NOW, .exp = NOW + 60},
        {.user_id = 1, .role = ROLE_SUPER_ADMIN, .tenant = 0, .iat = NOW, .exp = NOW + 60},
        {.user_id = 123456789012LL, .role = ROLE_AGENT, .tenant = 99, .iat = NOW - 5,
         .exp = NOW + AUTH_TOKEN_TTL},
    };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        char *tok = NULL;
        auth_claims out;
        pt_error_clear(&err);
        CHECK(auth_token_issue(&key, &in[i], &tok, &err) == 0, "issue %zu: %s", i, err.msg);
        if (tok == NULL)
            continue;
        CHECK(strncmp(tok, "eyJ", 3) == 0 && strchr(tok, '.'), "looks like a JWT: %s", tok);
        CHECK(verify(tok, &out, &err) == 0, "verify %zu: %s", i, err.msg);
        CHECK_INT(out.user_id, in[i].user_id);
        CHECK_INT(out.role, in[i].role);
        CHECK_INT(out.tenant, in[i].tenant);
        CHECK_INT(out.exp, in[i].exp);
        CHECK_INT(out.iat, in[i].iat);

        /* expired: exp is not after now */
        pt_error_clear(&err);
        CHECK_INT(auth_token_verify(&key, tok, strlen(tok), in[i].exp, &out, &err),
                  -PT_ERR_UNAUTHORIZED);
        CHECK(strstr(err.msg, "expired") != NULL, "msg %s", err.msg);

        /* another key */
        auth_key other;
        auth_key_derive("another secret", &other, &err);
        pt_error_clear(&err);
        CHECK_INT(auth_token_verify(&other, tok, strlen(tok), NOW, &out, &err),
                  -PT_ERR_UNAUTHORIZED);
        CHECK(strstr(err.msg, "signature") != NULL, "msg %s", err.msg);

        /* every single changed byte is refused */
        size_t n = strlen(tok);
        int accepted = 0;
        for (size_t k = 0; k < n; k++) {
            char saved = tok[k];
            tok[k] = saved == 'A' ? 'B' : (saved == '.' ? 'x' : 'A');
            if (auth_token_verify(&key, tok, n, NOW, &out, &err) == 0)
                accepted++;
            tok[k] = saved;
        }
        CHECK_INT(accepted, 0);
        /* a prefix and a longer token */
        CHECK_INT(auth_token_verify(&key, tok, n - 1, NOW, &out, &err), -PT_ERR_UNAUTHORIZED);
        free(tok);
    }

    /* claims the issuer refuses to sign */
    char *tok = NULL;
    auth_claims bad = {.user_id = 1, .role = ROLE_SUPER_ADMIN, .tenant = 5, .iat = NOW,
                       .exp = NOW + 1};
    CHECK_INT(auth_token_issue(&key, &bad, &tok, &err), -PT_ERR_INVALID);
    bad = (auth_claims){.user_id = 1, .role = ROLE_AGENT, .tenant = 0, .iat = NOW, .exp = NOW + 1};
    CHECK_INT(auth_token_issue(&key, &bad, &tok, &err), -PT_ERR_INVALID);
    bad = (auth_claims){.user_id = 0, .role = ROLE_AGENT, .tenant = 1, .iat = NOW, .exp = NOW + 1};
    CHECK_INT(auth_token_issue(&key, &bad, &tok, &err), -PT_ERR_INVALID);
    CHECK(tok == NULL, "no token on error");
}

TEST(test_forged_tokens)
{
    pt_error err = {0};
    auth_claims c;
    const char *hs = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *good = "{\"sub\":\"5\",\"role\":\"tenant_admin\",\"tenant_id\":2,\"exp\":1900000000}";

    /* the forger itself is right: a well-formed token passes */
    CHECK(verify(forge(&key, hs, good), &c, &err) == 0, "forged good: %s", err.msg);
    CHECK_INT(c.tenant, 2);
    CHECK_INT(c.user_id, 5);

    /* alg none, with and without a signature */
    const char *none = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    CHECK_INT(verify(forge(&key, none, good), &c, &err), -PT_ERR_UNAUTHORIZED);
    char unsigned_tok[2048];
    snprintf(unsigned_tok, sizeof unsigned_tok, "%s", forge(&key, none, good));
    *(strrchr(unsigned_tok, '.') + 1) = '\0';
    CHECK_INT(verify(unsigned_tok, &c, &err), -PT_ERR_UNAUTHORIZED);
    /* other algorithms, even with a valid HS256 MAC */
    CHECK_INT(verify(forge(&key, "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", good), &c, &err),
              -PT_ERR_UNAUTHORIZED);
    CHECK_INT(verify(forge(&key, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", good), &c, &err),
              -PT_ERR_UNAUTHORIZED);
    CHECK_INT(verify(forge(&key, "{\"typ\":\"JWT\"}", good), &c, &err), -PT_ERR_UNAUTHORIZED);

    static const struct {
        const char *payload, *why;
    } bad[] = {
        {"{\"sub\":\"5\",\"role\":\"tenant_admin\",\"tenant_id\":2}", "no exp"},
        {"{\"sub\":\"5\",\"role\":\"tenant_admin\",\"tenant_id\":2,\"exp\":\"1900000000\"}", "exp string"},
        {"{\"sub\":\"5\",\"role\":\"tenant_admin\",\"tenant_id\":2,\"exp\":1.9e9}", "exp real"},
        {"{\"sub\":\"5\",\"role\":\"tenant_admin\",\"tenant_id\":2,\"exp\":1700000000}", "expired"},
        {"{\"sub\":\"5\",\"role\":\"root\",\"tenant_id\":2,\"exp\":1900000000}", "unknown role"},
        {"{\"sub\":\"5\",\"tenant_id\":2,\"exp\":1900000000}", "no role"},
        {"{\"sub\":\"5\",\"role\":\"super_admin\",\"tenant_id\":2,\"exp\":1900000000}", "super with tenant"},
        {"{\"sub\":\"5\",\"role\":\"agent\",\"exp\":1900000000}", "agent without tenant"},
        {"{\"sub\":\"5\",\"role\":\"agent\",\"tenant_id\":null,\"exp\":1900000000}", "agent null tenant"},
        {"{\"sub\":\"5\",\"role\":\"agent\",\"tenant_id\":\"2\",\"exp\":1900000000}", "tenant string"},
        {"{\"sub\":\"5\",\"role\":\"agent\",\"tenant_id\":-2,\"exp\":1900000000}", "negative tenant"},
        {"{\"sub\":5,\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000}", "sub integer"},
        {"{\"sub\":\"x5\",\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000}", "sub not a number"},
        {"{\"sub\":\"0\",\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000}", "sub zero"},
        {"{\"sub\":\"99999999999999999999\",\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000}", "sub huge"},
        {"{\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000}", "no sub"},
        {"{\"sub\":\"5\",\"role\":\"agent\",\"tenant_id\":2,\"exp\":1900000000,\"iat\":\"x\"}", "iat string"},
        {"[1,2,3]", "payload not an object"},
        {"not json", "payload not JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = verify(forge(&key, hs, bad[i].payload), &c, &err);
        CHECK(rc == -PT_ERR_UNAUTHORIZED, "%s: rc %d (%s)", bad[i].why, rc, err.msg);
    }

    /* shapes */
    const char *shapes[] = {"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a.b.c d",
                            "a.b.c\n", "\xc3\xa9.b.c"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        CHECK_INT(verify(shapes[i], &c, &err), -PT_ERR_UNAUTHORIZED);
    /* an embedded NUL is not a shorter token */
    char *t = forge(&key, hs, good);
    char withnul[4096];
    size_t n = strlen(t);
    memcpy(withnul, t, n);
    withnul[n] = '\0';
    memcpy(withnul + n + 1, "x", 2);
    CHECK_INT(auth_token_verify(&key, withnul, n + 2, NOW, &c, &err), -PT_ERR_UNAUTHORIZED);
    /* over the cap */
    char *big = malloc(AUTH_TOKEN_MAX + 10);
    memset(big, 'a', AUTH_TOKEN_MAX + 9);
    big[10] = '.';
    big[20] = '.';
    CHECK_INT(auth_token_verify(&key, big, AUTH_TOKEN_MAX + 9, NOW, &c, &err),
              -PT_ERR_UNAUTHORIZED);
    free(big);
    /* messages never echo the token */
    verify(forge(&key, hs, "{\"sub\":\"SECRETSUB\"}"), &c, &err);
    CHECK(strstr(err.msg, "SECRETSUB") == NULL && strstr(err.msg, "eyJ") == NULL, "msg %s", err.msg);
}

TEST(test_bearer)
{
    pt_error err = {0};
    const char *tok;
    size_t n;
    CHECK(auth_bearer_parse("Bearer abc.def.ghi", &tok, &n, &err) == 0, "plain: %s", err.msg);
    CHECK(n == 11 && strncmp(tok, "abc.def.ghi", n) == 0, "token %.*s", (int)n, tok);
    CHECK(auth_bearer_parse("  bearer   a-b_c.d.e  ", &tok, &n, &err) == 0, "spaces, case");
    CHECK(n == 9 && strncmp(tok, "a-b_c.d.e", n) == 0, "token %.*s", (int)n, tok);
    CHECK(auth_bearer_parse("BEARER\tx.y.z", &tok, &n, &err) == 0, "tab");

    static const struct {
        const char *h, *want;
    } bad[] = {
        {NULL, "missing"},
        {"", "empty"},
        {"   ", "empty"},
        {"Basic dXNlcjpwYXNz", "scheme"},
        {"Bearer", "no token"},
        {"Bearer   ", "no token"},
        {"Bearerabc.def.ghi", "scheme"},
        {"Bearer abc def", "after the token"},
        {"Bearer abc+def/ghi=", "invalid characters"},
        {"Bearer \"abc\"", "invalid characters"},
        {"Token abc", "scheme"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pt_error_clear(&err);
        int rc = auth_bearer_parse(bad[i].h, &tok, &n, &err);
        CHECK(rc == -PT_ERR_UNAUTHORIZED && strstr(err.msg, bad[i].want),
              "\"%s\": rc %d msg \"%s\"", bad[i].h ? bad[i].h : "(null)", rc, err.msg);
        CHECK(tok == NULL && n == 0, "no token on error");
    }
    char *long_h = malloc(AUTH_TOKEN_MAX + 20);
    memcpy(long_h, "Bearer ", 7);
    memset(long_h + 7, 'a', AUTH_TOKEN_MAX + 5);
    long_h[AUTH_TOKEN_MAX + 12] = '\0';
    pt_error_clear(&err);
    CHECK_INT(auth_bearer_parse(long_h, &tok, &n, &err), -PT_ERR_UNAUTHORIZED);
    CHECK(strstr(err.msg, "longer") != NULL, "msg %s", err.msg);
    long_h[7 + AUTH_TOKEN_MAX] = '\0';
    CHECK(auth_bearer_parse(long_h, &tok, &n, &err) == 0 && n == AUTH_TOKEN_MAX, "at the cap");
    free(long_h);
}

TEST(test_login)
{
    char dir[] = "/tmp/pt_auth_XXXXXX", url[128], hash[crypto_pwhash_STRBYTES];
    pt_error err = {0};
    store *s = NULL;
    arena a;
    store_user u;

    CHECK(mkdtemp(dir) != NULL, "tmpdir");
    snprintf(url, sizeof url, "sqlite:%s/a.db", dir);
    CHECK(store_open(url, &s, &err) == 0, "open: %s", err.msg);
    if (s == NULL)
        return;
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "acme");
    memcpy(t.currency, "AED", 4);
    memcpy(t.region, "AE", 3);
    snprintf(t.timezone, sizeof t.timezone, "Asia/Dubai");
    CHECK(s->ops->tenant_create(s, &t, NULL, &err) == 0, "tenant: %s", err.msg);
    CHECK(crypto_pwhash_str(hash, "correct horse", 13, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0, "hash");
    store_user nu = {.email = "boss@acme.test", .role = "tenant_admin", .tenant = t.id,
                     .password_hash = hash};
    CHECK(s->ops->user_create(s, &nu, &err) == 0, "user: %s", err.msg);
    store_user nopw = {.email = "nopw@acme.test", .role = "agent", .tenant = t.id};
    CHECK(s->ops->user_create(s, &nopw, &err) == 0, "user without password: %s", err.msg);

    arena_init(&a, 0);
    pt_error_clear(&err);
    CHECK(auth_login(s, "boss@acme.test", "correct horse", &a, &u, &err) == 0, "login: %s",
          err.msg);
    CHECK_INT(u.tenant, t.id);
    CHECK_STR(u.role, "tenant_admin");
    CHECK(auth_login(s, "BOSS@Acme.Test", "correct horse", &a, &u, &err) == 0,
          "email in any case: %s", err.msg);

    char wrong_msg[256], unknown_msg[256];
    pt_error_clear(&err);
    CHECK_INT(auth_login(s, "boss@acme.test", "wrong horse", &a, &u, &err), -PT_ERR_UNAUTHORIZED);
    snprintf(wrong_msg, sizeof wrong_msg, "%s", err.msg);
    pt_error_clear(&err);
    CHECK_INT(auth_login(s, "nobody@acme.test", "correct horse", &a, &u, &err),
              -PT_ERR_UNAUTHORIZED);
    snprintf(unknown_msg, sizeof unknown_msg, "%s", err.msg);
    CHECK_STR(wrong_msg, unknown_msg);
    CHECK_STR(wrong_msg, "invalid email or password");
    CHECK(u.email == NULL, "nothing returned on failure");

    static const struct {
        const char *email, *password;
    } bad[] = {
        {"nopw@acme.test", ""}, {"nopw@acme.test", "anything"}, {"", "correct horse"},
        {NULL, "correct horse"}, {"boss@acme.test", NULL}, {"boss@acme.test", ""},
        {"boss@acme.test", "correct horse "}, {"boss@acme.test ", "correct horse"},
        {"boss@acme.test' OR '1'='1", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pt_error_clear(&err);
        CHECK(auth_login(s, bad[i].email, bad[i].password, &a, &u, &err) == -PT_ERR_UNAUTHORIZED &&
              strcmp(err.msg, "invalid email or password") == 0, "case %zu: %s", i, err.msg);
    }
    char *longpw = malloc(AUTH_PASSWORD_MAX + 2);
    memset(longpw, 'p', AUTH_PASSWORD_MAX + 1);
    longpw[AUTH_PASSWORD_MAX + 1] = '\0';
    pt_error_clear(&err);
    CHECK_INT(auth_login(s, "boss@acme.test", longpw, &a, &u, &err), -PT_ERR_UNAUTHORIZED);
    free(longpw);

    arena_release(&a);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
}

TEST(test_limiter)
{
    auth_limiter *l = NULL;
    pt_error err = {0};
    CHECK_INT(auth_limiter_new(0, 60, &l, &err), -PT_ERR_INVALID);
    CHECK(auth_limiter_new(3, 60, &l, &err) == 0, "new: %s", err.msg);
    time_t t0 = 1000000;
    CHECK_INT(auth_limiter_check(l, "10.0.0.1", t0), 0);
    for (int i = 0; i < 3; i++)
        auth_limiter_fail(l, "10.0.0.1", t0 + i);
    CHECK_INT(auth_limiter_check(l, "10.0.0.1", t0 + 3), 57);
    CHECK_INT(auth_limiter_check(l, "10.0.0.2", t0 + 3), 0);
    CHECK_INT(auth_limiter_check(l, "10.0.0.1", t0 + 59), 1);
    CHECK_INT(auth_limiter_check(l, "10.0.0.1", t0 + 60), 0);
    /* a new window starts from zero */
    auth_limiter_fail(l, "10.0.0.1", t0 + 61);
    CHECK_INT(auth_limiter_check(l, "10.0.0.1", t0 + 62), 0);
    auth_limiter_fail(l, "10.0.0.1", t0 + 62);
    auth_limiter_fail(l, "10.0.0.1", t0 + 63);
    CHECK(auth_limiter_check(l, "10.0.0.1", t0 + 63) > 0, "blocked again");

    /* many more keys than slots: no crash, and a fresh key is still tracked */
    char k[32];
    for (int i = 0; i < 3 * AUTH_LIMITER_SLOTS; i++) {
        snprintf(k, sizeof k, "192.168.%d.%d", i / 256, i % 256);
        auth_limiter_fail(l, k, t0 + 100);
    }
    for (int i = 0; i < 3; i++)
        auth_limiter_fail(l, "172.16.0.9", t0 + 101);
    CHECK(auth_limiter_check(l, "172.16.0.9", t0 + 101) > 0, "tracked in a full table");
    /* a long key is cut, not overflowed */
    char longk[300];
    memset(longk, 'k', sizeof longk - 1);
    longk[sizeof longk - 1] = '\0';
    auth_limiter_fail(l, longk, t0 + 200);
    CHECK_INT(auth_limiter_check(l, longk, t0 + 200), 0);
    auth_limiter_free(l);
    auth_limiter_free(NULL);
}

TEST_MAIN(
    pt_error err = {0};
    if (auth_key_derive("unit-test-secret", &key, &err) != 0) {
        fprintf(stderr, "key: %s\n", err.msg);
        return 1;
    }
    RUN(test_roles);
    RUN(test_key_derive);
    RUN(test_issue_verify);
    RUN(test_forged_tokens);
    RUN(test_bearer);
    RUN(test_login);
    RUN(test_limiter);
)
