/*
 * cmd_tenant.c - `proptalk tenant create SLUG [--name] [--currency]
 * [--region] [--language] [--timezone]` (CONTRACT.md §2): validates the
 * settings (the currency and region against the ISO lists, core/iso.h), makes a new API key (the store keeps only its hash) and prints
 * {"tenant": SLUG, "api_key": KEY}.  The key is shown once; it cannot be
 * read back later.
 */
#include "cli/cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/iso.h"
#include "engine/engine.h"
#include "util/tz.h"

const char cli_usage_tenant[] =
    "tenant create SLUG [--name TEXT] [--currency ISO4217] [--region ISO3166] "
    "[--language en|ar|fa|ru] [--timezone TZ]";

#define DEFAULT_CURRENCY "USD"
#define DEFAULT_REGION "US"
#define DEFAULT_TIMEZONE "UTC"

/* Slug: [a-z0-9-], 1..63, starting with a letter or digit. */
static int check_slug(const char *s, pt_error *err)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return pt_fail(err, PT_ERR_INVALID, "slug \"%.80s\" must be 1 to 63 characters", s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0)))
            return pt_fail(err, PT_ERR_INVALID, "slug \"%s\" may hold only a-z, 0-9 and '-' "
                           "(not first)", s);
    }
    return 0;
}

/* n ASCII letters, upper-cased into out (n + 1 bytes). */
static int check_letters(const char *what, const char *s, size_t n, char *out, pt_error *err)
{
    if (strlen(s) != n)
        return pt_fail(err, PT_ERR_INVALID, "%s \"%.40s\" must be %zu letters", what, s, n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return pt_fail(err, PT_ERR_INVALID, "%s \"%.40s\" must be %zu letters", what, s, n);
        out[i] = c;
    }
    out[n] = '\0';
    return 0;
}

/* A real code of ISO 4217 (currency) or ISO 3166-1 alpha-2 (region), once
 * check_letters has upper-cased it into code. */
static int check_code(const char *what, const char *given, const char *code, pt_error *err)
{
    bool currency = strcmp(what, "currency") == 0;
    if (currency ? iso_currency_known(code) : iso_region_known(code))
        return 0;
    return pt_fail(err, PT_ERR_INVALID, "%s \"%s\" is not an %s code (e.g. %s)", what, given,
                   currency ? "ISO 4217 currency" : "ISO 3166-1 alpha-2 country",
                   currency ? "AED, INR, USD" : "AE, IN, US");
}

static int check_timezone(const char *tz, pt_error *err)
{
    if (strcmp(tz, "UTC") == 0)
        return 0;
    if (strlen(tz) >= sizeof(((tenant *)0)->timezone) || strstr(tz, "..") || tz[0] == '/' ||
        !tz_exists(tz))
        return pt_fail(err, PT_ERR_INVALID, "timezone \"%.80s\" is not a known IANA zone "
                       "(e.g. Asia/Dubai)", tz);
    return 0;
}

static int tenant_create(int argc, char **argv)
{
    int rc = 0, status = CLI_OK;
    pt_error err = {0};
    store *s = NULL;
    json_t *o = NULL;
    char *line = NULL;
    const char *name = NULL, *currency = DEFAULT_CURRENCY, *region = DEFAULT_REGION,
               *language = "en", *zone = DEFAULT_TIMEZONE;
    const char *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {
        {"name", &name, NULL},         {"currency", &currency, NULL},
        {"region", &region, NULL},     {"language", &language, NULL},
        {"timezone", &zone, NULL},
    };
    tenant t;
    memset(&t, 0, sizeof t);

    rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 1, &n_pos, &err);
    if (rc == 0 && n_pos != 1)
        rc = pt_fail(&err, PT_ERR_INVALID, "a SLUG is required");
    if (rc) {
        status = cli_usage("tenant create", &err, cli_usage_tenant);
        goto done;
    }
    const char *slug = pos[0];
    int lg = lang_from_name(language);
    if ((rc = check_slug(slug, &err)) ||
        (rc = check_letters("currency", currency, 3, t.currency, &err)) ||
        (rc = check_code("currency", currency, t.currency, &err)) ||
        (rc = check_letters("region", region, 2, t.region, &err)) ||
        (rc = check_code("region", region, t.region, &err)) ||
        (rc = check_timezone(zone, &err)))
        goto fail;
    if (lg < 0) {
        rc = pt_fail(&err, PT_ERR_INVALID, "language \"%.20s\" is not en, ar, fa or ru", language);
        goto fail;
    }
    if (name && (name[0] == '\0' || strlen(name) >= sizeof t.name || !cli_text_ok(name))) {
        rc = pt_fail(&err, PT_ERR_INVALID, "name must be 1 to %zu bytes of UTF-8 without "
                     "control characters", sizeof t.name - 1);
        goto fail;
    }
    snprintf(t.slug, sizeof t.slug, "%s", slug);
    snprintf(t.name, sizeof t.name, "%s", name ? name : slug);
    snprintf(t.timezone, sizeof t.timezone, "%s", zone);
    t.language = (lang)lg;

    char key[48], hash[65];
    engine_api_key_new(key);
    engine_api_key_hash(key, hash);

    rc = cli_store_open(&s, &err);
    if (rc)
        goto fail;
    rc = s->ops->tenant_create(s, &t, hash, &err);
    if (rc)
        goto fail;
    o = json_pack("{s:s,s:s}", "tenant", t.slug, "api_key", key);
    line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line == NULL) {
        rc = pt_fail(&err, PT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    status = cli_print_result("tenant create", line,
                              "the tenant was created and its key is shown only here");
    goto done;
fail:
    status = cli_fail("tenant create", &err);
done:
    free(line);
    json_decref(o);
    store_close(s);
    return status;
}

int cmd_tenant(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return tenant_create(argc - 1, argv + 1);
    pt_error err = {0};
    if (argc >= 2)
        pt_fail(&err, PT_ERR_INVALID, "unknown subcommand \"%s\"", argv[1]);
    else
        pt_fail(&err, PT_ERR_INVALID, "a subcommand is required");
    return cli_usage("tenant", &err, cli_usage_tenant);
}
