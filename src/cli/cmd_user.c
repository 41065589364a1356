/*
 * cmd_user.c - `proptalk user create --email E --role R [--tenant SLUG]
 * [--password P]` (CONTRACT.md §2): a login for the admin API.  The
 * password is stored only as a libsodium crypto_pwhash_str hash (Argon2id,
 * interactive limits).  Without --password one is generated and printed
 * once.  Prints {"user", "role", "tenant", "password"?}.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

const char cli_usage_user[] =
    "user create --email E --role super_admin|tenant_admin|agent [--tenant SLUG] "
    "[--password P]";

#define PASSWORD_MIN 8
#define PASSWORD_MAX 128
#define PASSWORD_GENERATED 20

/* A plain, deliberately simple address check: one '@', a dotted domain
 * without empty labels, UTF-8 without spaces or control characters, at most
 * 254 bytes.  Lower-cased in place. */
static int check_email(char *e, pt_error *err)
{
    size_t n = strlen(e);
    char *at = strchr(e, '@');
    if (!cli_utf8_ok(e))
        return pt_fail(err, PT_ERR_INVALID, "email is not valid UTF-8");
    if (n == 0 || n > 254 || at == NULL || at == e || strchr(at + 1, '@') ||
        (size_t)(at - e) > 64 || strchr(at + 1, '.') == NULL || at[1] == '.' ||
        e[n - 1] == '.' || strstr(at + 1, ".."))
        return pt_fail(err, PT_ERR_INVALID, "email \"%.80s\" is not an address", e);
    for (char *p = e; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return pt_fail(err, PT_ERR_INVALID, "email \"%.80s\" is not an address", e);
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return 0;
}

/* PASSWORD_GENERATED characters from an alphabet without look-alikes. */
static void generate_password(char *out, size_t size)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    size_t n = PASSWORD_GENERATED < size - 1 ? PASSWORD_GENERATED : size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
    out[n] = '\0';
}

static int user_create(int argc, char **argv)
{
    int rc = 0, status = CLI_OK;
    pt_error err = {0};
    store *s = NULL;
    json_t *o = NULL;
    char *line = NULL;
    const char *email = NULL, *role = NULL, *slug = NULL, *password = NULL;
    const char *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {
        {"email", &email, NULL}, {"role", &role, NULL},
        {"tenant", &slug, NULL}, {"password", &password, NULL},
    };
    char email_buf[256], generated[PASSWORD_GENERATED + 1] = "";
    char hash[crypto_pwhash_STRBYTES];
    tenant t;

    rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 0, &n_pos, &err);
    if (rc == 0 && (email == NULL || role == NULL))
        rc = pt_fail(&err, PT_ERR_INVALID, "--email and --role are required");
    if (rc) {
        status = cli_usage("user create", &err, cli_usage_user);
        goto done;
    }
    if (sodium_init() < 0) {
        rc = pt_fail(&err, PT_ERR_INTERNAL, "libsodium failed to initialise");
        goto fail;
    }
    snprintf(email_buf, sizeof email_buf, "%s", email);
    if (strlen(email) >= sizeof email_buf) {
        rc = pt_fail(&err, PT_ERR_INVALID, "email is longer than 254 bytes");
        goto fail;
    }
    rc = check_email(email_buf, &err);
    if (rc)
        goto fail;
    bool super = strcmp(role, "super_admin") == 0;
    if (!super && strcmp(role, "tenant_admin") != 0 && strcmp(role, "agent") != 0) {
        rc = pt_fail(&err, PT_ERR_INVALID, "role \"%.40s\" is not super_admin, tenant_admin or "
                     "agent", role);
        goto fail;
    }
    if (!super && slug == NULL) {
        rc = pt_fail(&err, PT_ERR_INVALID, "role %s needs --tenant SLUG", role);
        goto fail;
    }
    if (super && slug) {
        rc = pt_fail(&err, PT_ERR_INVALID, "a super_admin belongs to no tenant: drop --tenant");
        goto fail;
    }
    if (password) {
        size_t n = strlen(password);
        if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
            rc = pt_fail(&err, PT_ERR_INVALID, "password must be %d to %d characters",
                         PASSWORD_MIN, PASSWORD_MAX);
            goto fail;
        }
        if (!cli_utf8_ok(password)) {   /* the JSON login could never send it */
            rc = pt_fail(&err, PT_ERR_INVALID, "password is not valid UTF-8");
            goto fail;
        }
    } else {
        generate_password(generated, sizeof generated);
        password = generated;
    }
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        rc = pt_fail(&err, PT_ERR_NOMEM, "password hashing ran out of memory");
        goto fail;
    }

    rc = cli_store_open(&s, &err);
    if (rc)
        goto fail;
    memset(&t, 0, sizeof t);
    if (slug) {
        rc = cli_tenant_find(s, slug, &t, &err);
        if (rc)
            goto fail;
    }
    store_user u = {0};
    u.email = email_buf;
    u.role = role;
    u.tenant = slug ? t.id : 0;
    u.password_hash = hash;
    rc = s->ops->user_create(s, &u, &err);
    if (rc)
        goto fail;

    o = json_pack("{s:s,s:s,s:o}", "user", email_buf, "role", role, "tenant",
                  slug ? json_string(t.slug) : json_null());
    if (o && generated[0])
        json_object_set_new(o, "password", json_string(generated));
    line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line == NULL) {
        rc = pt_fail(&err, PT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    status = cli_print_result("user create", line, "the user was created");
    goto done;
fail:
    status = cli_fail("user create", &err);
done:
    sodium_memzero(generated, sizeof generated);
    free(line);
    json_decref(o);
    store_close(s);
    return status;
}

int cmd_user(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return user_create(argc - 1, argv + 1);
    pt_error err = {0};
    if (argc >= 2)
        pt_fail(&err, PT_ERR_INVALID, "unknown subcommand \"%s\"", argv[1]);
    else
        pt_fail(&err, PT_ERR_INVALID, "a subcommand is required");
    return cli_usage("user", &err, cli_usage_user);
}
