/*
 * test_pack.c - unit tests of src/pack: loading the shipped default pack,
 * the English fallback, a tenant folder overriding the default (in a
 * temporary packs folder), {placeholder} rendering, malformed files, and
 * the consistency of the shipped translations with en.json (same keys, same
 * placeholders, same button data).  Run from the repository root.
 */
#include "pack/pack.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "test.h"

static char tmpdir[64];

static void write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    /* create parent folders */
    for (char *s = path + strlen(tmpdir) + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(path, 0700);
            *s = '/';
        }
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void make_tmp_packs(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pt_pack_XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
}

static void remove_tmp_packs(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the shipped default pack ----------------------------------------- */

TEST(test_default_pack)
{
    pack *p = NULL;
    pt_error err = {0};
    int rc = pack_load("packs", NULL, &p, &err);
    CHECK(rc == 0, "pack_load(packs): %s", err.msg);
    if (rc)
        return;

    const pack_template *t = pack_template_get(p, LANG_EN, "welcome");
    CHECK(t != NULL && t->n_buttons == 3, "en welcome has 3 buttons");
    if (t && t->n_buttons == 3)
        CHECK_STR(t->buttons[0].data, "purpose:investment");
    for (int l = LANG_AR; l < LANG__COUNT; l++) {
        const pack_template *tl = pack_template_get(p, (lang)l, "welcome");
        CHECK(tl != NULL && t != NULL && tl != t && strcmp(tl->text, t->text) != 0,
              "welcome translated into %s", lang_name((lang)l));
        CHECK(tl != NULL && strstr(tl->text, "{tenant}") != NULL, "%s keeps {tenant}",
              lang_name((lang)l));
    }
    CHECK(pack_template_get(p, LANG_RU, "no_such_key") == NULL, "unknown key is NULL");
    CHECK(pack_template_get(p, (lang)99, "welcome") == t, "bad language falls back to en");

    const pack_settings *s = pack_settings_get(p);
    CHECK_INT(s->urgency_units_max, 5);
    CHECK_INT(s->human_requests_handoff, 2);
    CHECK_INT(s->frustration_handoff, 7);
    CHECK_INT(s->results_min, 3);
    CHECK_INT(s->results_max, 5);
    CHECK_INT(s->slots_offered, 4);
    CHECK_INT(s->price_tolerance_pct, 10);
    CHECK_INT(s->zombie_repeats_max, 2);

    const money (*b)[2] = NULL;
    int n = pack_budget_bands(p, "AED", TX_BUY, &b);
    CHECK(n >= 3 && b != NULL, "AED buy bands: %d", n);
    if (n >= 3 && b) {
        CHECK_INT(b[0][0], 0);
        CHECK_INT(b[n - 1][1], 0);
        for (int i = 1; i < n; i++)
            CHECK(b[i][0] == b[i - 1][1], "AED buy bands are contiguous at %d", i);
    }
    CHECK(pack_budget_bands(p, "aed", TX_RENT, &b) >= 3, "AED rent bands (case-insensitive)");
    CHECK(pack_budget_bands(p, "INR", TX_BUY, &b) >= 3, "INR buy bands");
    CHECK(pack_budget_bands(p, "INR", TX_RENT, &b) >= 3, "INR rent bands");
    CHECK(pack_budget_bands(p, "USD", TX_BUY, &b) >= 3, "USD buy bands");
    CHECK(pack_budget_bands(p, "USD", TX_RENT, &b) >= 3, "USD rent bands");
    CHECK(pack_budget_bands(p, "XYZ", TX_BUY, &b) == 0 && b == NULL, "unknown currency: none");
    /* rents quoted per month in India, per year in Dubai */
    CHECK_INT(pack_rent_period(p, "INR"), PERIOD_MONTH);
    CHECK_INT(pack_rent_period(p, "AED"), PERIOD_YEAR);

    const pack_coaching_rule *r = NULL;
    n = pack_coaching_rules(p, &r);
    CHECK(n >= 6 && n <= 10, "6-10 coaching rules, got %d", n);
    for (int i = 0; i < n; i++) {
        CHECK(strlen(r[i].id) < 32, "rule id \"%s\" fits the dialog's 32 bytes", r[i].id);
        for (int l = 0; l < LANG__COUNT; l++)
            CHECK(r[i].text[l] != NULL && r[i].text[l][0], "rule %s has %s text", r[i].id,
                  lang_name((lang)l));
    }

    const char *al = pack_aliases(p);
    CHECK(strstr(al, "jvc\tJumeirah Village Circle") != NULL, "JVC alias");
    CHECK(strstr(al, "\tWhitefield") != NULL, "Whitefield aliases");
    CHECK(strstr(al, "دبي مارينا\tDubai Marina") != NULL, "Arabic Dubai Marina alias");
    CHECK_STR(pack_intents_dir(p), "packs/default/intents");

    /* a slug without a folder is just the default */
    pack *q = NULL;
    rc = pack_load("packs", "no-such-tenant", &q, &err);
    CHECK(rc == 0 && q != NULL, "missing tenant folder is fine: %s", err.msg);
    if (q)
        CHECK_STR(pack_template_get(q, LANG_EN, "thanks")->text,
                  pack_template_get(p, LANG_EN, "thanks")->text);
    pack_free(q);
    pack_free(p);
}

/* ---- translations match en.json --------------------------------------- */

/* Collects the {placeholders} of s, sorted, joined by ',' into out. */
static void placeholders(const char *s, char *out, size_t size)
{
    char names[32][64];
    int n = 0;
    for (const char *c = s; *c && n < 32; c++) {
        if (*c != '{')
            continue;
        const char *e = c + 1;
        while ((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') || (*e >= '0' && *e <= '9') ||
               *e == '_')
            e++;
        if (*e == '}' && e > c + 1 && e - c - 1 < 64) {
            memcpy(names[n], c + 1, (size_t)(e - c - 1));
            names[n][e - c - 1] = '\0';
            n++;
        }
    }
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = '\0';
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, o < size ? size - o : 0, "%s,", names[i]);
}

/* Is every name of the list sub (placeholders()'s "a,b,") in the list of? */
static bool placeholders_within(const char *sub, const char *of)
{
    for (const char *a = sub; *a;) {
        const char *e = strchr(a, ',');
        size_t n = e ? (size_t)(e - a) : strlen(a);
        bool found = false;
        for (const char *b = of; *b && !found;) {
            const char *f = strchr(b, ',');
            size_t m = f ? (size_t)(f - b) : strlen(b);
            found = m == n && memcmp(a, b, n) == 0;
            b += m + (f != NULL);
        }
        if (!found)
            return false;
        a += n + (e != NULL);
    }
    return true;
}

TEST(test_translations_complete)
{
    json_error_t je;
    json_t *en = json_load_file("packs/default/replies/en.json", 0, &je);
    CHECK(en != NULL, "en.json: line %d: %s", je.line, je.text);
    if (en == NULL)
        return;
    const char *langs[] = {"ar", "fa", "ru"};
    for (int i = 0; i < 3; i++) {
        char path[128];
        snprintf(path, sizeof path, "packs/default/replies/%s.json", langs[i]);
        json_t *tr = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        CHECK(tr != NULL, "%s: line %d: %s", path, je.line, je.text);
        if (tr == NULL)
            continue;
        const char *k;
        json_t *v;
        int bad = 0;
        json_object_foreach(en, k, v) {
            json_t *w = json_object_get(tr, k);
            if (w == NULL) {
                fprintf(stderr, "  %s: missing key %s\n", path, k);
                bad++;
                continue;
            }
            char pe[1024], pw[1024];
            const char *te = json_string_value(json_object_get(v, "text"));
            const char *tw = json_string_value(json_object_get(w, "text"));
            if (te == NULL || tw == NULL) {
                fprintf(stderr, "  %s: %s has no text\n", path, k);
                bad++;
                continue;
            }
            placeholders(te, pe, sizeof pe);
            placeholders(tw, pw, sizeof pw);
            /* a one or two twin may say its number in words ("عرضًا
             * واحدًا", "Вот подходящий вам вариант"): it may leave out
             * placeholders, never add one */
            size_t kl = strlen(k);
            bool twin = kl > 4 && (strcmp(k + kl - 4, "_one") == 0 || strcmp(k + kl - 4, "_two") == 0);
            if (twin ? !placeholders_within(pw, pe) : strcmp(pe, pw) != 0) {
                fprintf(stderr, "  %s: %s placeholders \"%s\" vs en \"%s\"\n", path, k, pw, pe);
                bad++;
            }
            /* a leading space (as in day_on) matters for concatenation */
            if ((te[0] == ' ') != (tw[0] == ' ')) {
                fprintf(stderr, "  %s: %s leading space differs\n", path, k);
                bad++;
            }
            json_t *be = json_object_get(v, "buttons"), *bw = json_object_get(w, "buttons");
            if (json_array_size(be) != json_array_size(bw)) {
                fprintf(stderr, "  %s: %s button count differs\n", path, k);
                bad++;
                continue;
            }
            for (size_t j = 0; j < json_array_size(be); j++) {
                const char *de = json_string_value(json_object_get(json_array_get(be, j), "data"));
                const char *dw = json_string_value(json_object_get(json_array_get(bw, j), "data"));
                const char *lw = json_string_value(json_object_get(json_array_get(bw, j), "label"));
                if (de == NULL || dw == NULL || strcmp(de, dw) != 0 || lw == NULL || !*lw) {
                    fprintf(stderr, "  %s: %s button %zu differs\n", path, k, j);
                    bad++;
                }
            }
        }
        /* a language may word one or two apart where English does not
         * (count_key: Arabic's dual "غرفتا نوم"): a twin of a key English
         * has; any other key is extra */
        json_object_foreach(tr, k, v) {
            size_t kl = strlen(k);
            char base[128];
            bool twin = kl > 4 && kl - 4 < sizeof base &&
                        (strcmp(k + kl - 4, "_one") == 0 || strcmp(k + kl - 4, "_two") == 0);
            if (twin) {
                memcpy(base, k, kl - 4);
                base[kl - 4] = '\0';
            }
            if (json_object_get(en, k) == NULL && !(twin && json_object_get(en, base))) {
                fprintf(stderr, "  %s: extra key %s\n", path, k);
                bad++;
            }
        }
        CHECK(bad == 0, "%s matches en.json (%d problems)", path, bad);
        json_decref(tr);
    }
    json_decref(en);
}

/* ---- a tenant folder over the default ---------------------------------- */

TEST(test_tenant_override)
{
    make_tmp_packs();
    write_file("default/replies/en.json",
               "{\"hello\": {\"text\": \"Hello {name}\"},"
               " \"bye\": {\"text\": \"Bye\", \"buttons\": [{\"label\": \"Again\", \"data\": \"x:1\"}]},"
               " \"only_en\": {\"text\": \"English only\"}}");
    write_file("default/replies/ar.json", "{\"hello\": {\"text\": \"مرحبا {name}\"}}");
    write_file("default/settings.json", "{\"results_max\": 6}");
    write_file("default/budgets.json",
               "{\"AED\": {\"buy\": [[0, 1000000], [1000000, 0]], \"rent\": [[0, 50000], [50000, 0]],"
               " \"rent_period\": \"month\"},"
               " \"INR\": {\"buy\": [[0, 5000000], [5000000, 0]], \"rent_period\": \"month\"}}");
    write_file("default/coaching.json",
               "{\"rules\": [{\"id\": \"a\", \"when\": {\"turns_min\": 3}, \"once\": true,"
               " \"text\": {\"en\": \"A\", \"ru\": \"А\"}},"
               " {\"id\": \"b\", \"when\": {\"purpose\": \"investment\"}, \"text\": {\"en\": \"B\"}}]}");
    write_file("default/localities.tsv", "# comment\nJVC\tJumeirah Village Circle");
    write_file("acme/replies/en.json", "{\"bye\": {\"text\": \"See you\"}, \"extra\": {\"text\": \"E\"}}");
    write_file("acme/settings.json", "{\"urgency_units_max\": 3}");
    write_file("acme/budgets.json", "{\"AED\": {\"buy\": [[0, 2000000], [2000000, 5000000], [5000000, 0]]}}");
    write_file("acme/coaching.json",
               "{\"rules\": [{\"id\": \"b\", \"when\": {\"stage\": \"decision\"}, \"text\": {\"en\": \"B2\"}},"
               " {\"id\": \"c\", \"when\": {\"objection\": \"price\","
               " \"purpose_not\": [\"investment\", \"residency\"]}, \"text\": \"C\"}]}");
    write_file("acme/localities.tsv", "marina\tDubai Marina\n");
    write_file("acme/intents/en.json", "{\"intents\": {}}");

    char dir[128];
    snprintf(dir, sizeof dir, "%s", tmpdir);
    pack *d = NULL, *p = NULL;
    pt_error err = {0};
    int rc = pack_load(dir, NULL, &d, &err);
    CHECK(rc == 0, "default only: %s", err.msg);
    rc = pack_load(dir, "acme", &p, &err);
    CHECK(rc == 0, "with acme: %s", err.msg);
    if (d == NULL || p == NULL)
        goto done;

    /* templates: key by key, per language, English fallback */
    CHECK_STR(pack_template_get(p, LANG_EN, "bye")->text, "See you");
    CHECK_INT(pack_template_get(p, LANG_EN, "bye")->n_buttons, 0);
    CHECK_STR(pack_template_get(d, LANG_EN, "bye")->text, "Bye");
    CHECK_INT(pack_template_get(d, LANG_EN, "bye")->n_buttons, 1);
    CHECK_STR(pack_template_get(p, LANG_EN, "extra")->text, "E");
    CHECK(pack_template_get(d, LANG_EN, "extra") == NULL, "extra only in acme");
    CHECK_STR(pack_template_get(p, LANG_AR, "hello")->text, "مرحبا {name}");
    CHECK_STR(pack_template_get(p, LANG_AR, "only_en")->text, "English only");
    CHECK_STR(pack_template_get(p, LANG_FA, "hello")->text, "Hello {name}");

    /* settings: built-in, then default, then tenant */
    CHECK_INT(pack_settings_get(d)->urgency_units_max, 5);
    CHECK_INT(pack_settings_get(p)->urgency_units_max, 3);
    CHECK_INT(pack_settings_get(p)->results_max, 6);
    CHECK_INT(pack_settings_get(p)->results_min, 3);

    /* budgets: the tenant's AED replaces every AED band (rent too) */
    const money (*b)[2] = NULL;
    CHECK_INT(pack_budget_bands(d, "AED", TX_BUY, &b), 2);
    CHECK_INT(pack_budget_bands(p, "AED", TX_BUY, &b), 3);
    if (b)
        CHECK_INT(b[1][1], 5000000);
    CHECK_INT(pack_budget_bands(p, "AED", TX_RENT, &b), 0);
    CHECK_INT(pack_budget_bands(p, "INR", TX_BUY, &b), 2);
    /* the rent period goes with its currency: the tenant's AED has none
     * (a year, the listings' own), INR keeps the default's */
    CHECK_INT(pack_rent_period(d, "AED"), PERIOD_MONTH);
    CHECK_INT(pack_rent_period(p, "AED"), PERIOD_YEAR);
    CHECK_INT(pack_rent_period(p, "inr"), PERIOD_MONTH);
    CHECK_INT(pack_rent_period(p, "XYZ"), PERIOD_YEAR);

    /* coaching: same id replaced, new ids added */
    const pack_coaching_rule *r = NULL;
    int n = pack_coaching_rules(p, &r);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(r[0].id, "a");
        CHECK(r[0].once && r[0].turns_min == 3 && r[0].listings_seen_min == -1 &&
              r[0].stage == NULL, "rule a conditions");
        CHECK_STR(r[0].text[LANG_RU], "А");
        CHECK(r[0].text[LANG_AR] == NULL, "missing language is NULL");
        CHECK_STR(r[1].id, "b");
        CHECK_STR(r[1].text[LANG_EN], "B2");
        CHECK_STR(r[1].stage, "decision");
        CHECK(r[1].purpose == NULL && !r[1].once, "rule b replaced entirely");
        CHECK_STR(r[2].id, "c");
        CHECK_STR(r[2].objection, "price");
        CHECK_INT(r[2].purpose_not, (1u << PURPOSE_INVESTMENT) | (1u << PURPOSE_RESIDENCY));
        CHECK_INT(r[0].purpose_not, 0);
        CHECK_STR(r[2].text[LANG_EN], "C");
    }

    /* aliases concatenated, intents dir from the tenant */
    CHECK_STR(pack_aliases(p), "# comment\nJVC\tJumeirah Village Circle\nmarina\tDubai Marina\n");
    CHECK_STR(pack_aliases(d), "# comment\nJVC\tJumeirah Village Circle");
    char want[256];
    snprintf(want, sizeof want, "%s/acme/intents", tmpdir);
    CHECK_STR(pack_intents_dir(p), want);
    snprintf(want, sizeof want, "%s/default/intents", tmpdir);
    CHECK_STR(pack_intents_dir(d), want);

done:
    pack_free(d);
    pack_free(p);
    remove_tmp_packs();
}

/* ---- errors ----------------------------------------------------------- */

static void expect_invalid(const char *rel, const char *text, const char *want_in_msg)
{
    make_tmp_packs();
    write_file("default/replies/en.json", "{\"x\": {\"text\": \"X\"}}");
    write_file(rel, text);
    pack *p = NULL;
    pt_error err = {0};
    int rc = pack_load(tmpdir, "t1", &p, &err);
    CHECK(rc == -PT_ERR_INVALID && p == NULL, "%s rejected (rc %d)", rel, rc);
    CHECK(strstr(err.msg, rel) != NULL, "message names %s: %s", rel, err.msg);
    CHECK(strstr(err.msg, want_in_msg) != NULL, "message has \"%s\": %s", want_in_msg, err.msg);
    pack_free(p);
    remove_tmp_packs();
}

TEST(test_malformed)
{
    expect_invalid("default/replies/ru.json", "{\"a\": {\"text\": \"A\"},\n \"b\": }", "line 2");
    expect_invalid("t1/replies/en.json", "{\"a\": {\"text\": \"A\"},\n\n \"a\": {\"text\": \"B\"}}",
                   "line 3");
    expect_invalid("default/replies/fa.json", "{\"a\": {\"txt\": \"A\"}}", "\"a\"");
    expect_invalid("default/replies/ar.json", "{\"a\": {\"text\": \"A\", \"buttons\": [{\"label\": \"L\"}]}}",
                   "button 1");
    expect_invalid("default/settings.json", "{\"results_mx\": 4}", "results_mx");
    expect_invalid("t1/settings.json", "{\"results_min\": 9, \"results_max\": 4}", "results_min");
    expect_invalid("default/budgets.json", "{\"AED\": {\"buy\": [[5, 1]]}}", "band 1");
    expect_invalid("default/budgets.json", "{\"AED\": {\"lease\": []}}", "lease");
    expect_invalid("default/budgets.json", "{\"AED\": {\"rent_period\": \"week\"}}", "rent_period");
    expect_invalid("default/budgets.json", "{\"XYZ\": {\"buy\": [[0, 1]]}}", "\"XYZ\": want an ISO 4217");
    expect_invalid("default/coaching.json", "{\"rules\": [{\"id\": \"x\", \"text\": {\"ar\": \"ا\"}}]}",
                   "English");
    expect_invalid("default/coaching.json",
                   "{\"rules\": [{\"id\": \"x\", \"when\": {\"stage\": \"late\"}, \"text\": \"X\"}]}",
                   "late");
    expect_invalid("t1/coaching.json", "[1, 2]", "top level");
    expect_invalid("default/coaching.json",
                   "{\"rules\": [{\"id\": \"x\", \"when\": {\"purpose_not\": \"investor\"}, \"text\": \"X\"}]}",
                   "investor");
    expect_invalid("default/coaching.json",
                   "{\"rules\": [{\"id\": \"x\", \"when\": {\"purpose_not\": [\"living\", 3]}, \"text\": \"X\"}]}",
                   "purpose_not");
    expect_invalid("default/localities.tsv", "JVC\tJumeirah Village Circle\nmarina Dubai Marina\n",
                   "line 2");
    expect_invalid("t1/localities.tsv", "bad\xff\tX\n", "UTF-8");

    /* a missing default folder is an I/O error */
    pack *p = NULL;
    pt_error err = {0};
    CHECK(pack_load("/nonexistent-proptalk-packs", NULL, &p, &err) == -PT_ERR_IO && p == NULL,
          "missing packs folder: %s", err.msg);
    pt_error_clear(&err);
    CHECK(pack_load("packs", "../etc", &p, &err) == -PT_ERR_INVALID && p == NULL,
          "slug with a path is rejected: %s", err.msg);
    pt_error_clear(&err);
    CHECK(pack_load("packs", "..", &p, &err) == -PT_ERR_INVALID && p == NULL,
          "slug \"..\" is rejected: %s", err.msg);
    pt_error_clear(&err);
    CHECK(pack_load("packs", "default", &p, &err) == 0 && p != NULL, "slug \"default\": %s", err.msg);
    pack_free(p);
}

/* ---- rendering -------------------------------------------------------- */

TEST(test_render)
{
    arena a;
    arena_init(&a, 0);
    const char *vars[] = {"count", "3", "name", "Whitefield", "empty", "", NULL};
    CHECK_STR(pack_render(&a, "Here are {count} listings in {name}.", vars),
              "Here are 3 listings in Whitefield.");
    CHECK_STR(pack_render(&a, "{unknown}x{empty}y", vars), "xy");
    CHECK_STR(pack_render(&a, "{count}{count}", vars), "33");
    CHECK_STR(pack_render(&a, "braces { stay }, {} and {open", vars), "braces { stay }, {} and {open");
    CHECK_STR(pack_render(&a, "{{count}}", vars), "{3}");
    CHECK_STR(pack_render(&a, "no vars {x}", NULL), "no vars ");
    CHECK_STR(pack_render(&a, NULL, vars), "");
    CHECK_STR(pack_render(&a, "مرحبا {name}!", vars), "مرحبا Whitefield!");
    const char *v2[] = {"a", "{b}", "b", "B", NULL};
    CHECK_STR(pack_render(&a, "{a}", v2), "{b}");   /* values are not re-expanded */
    const char *v3[] = {"a", NULL, "b", "B", NULL};
    CHECK_STR(pack_render(&a, "{a}|{b}", v3), "|B");   /* a NULL value is empty */
    /* more placeholders than the render remembers from its measuring pass */
    CHECK_STR(pack_render(&a, "{count}{name}{count}{name}{count}{name}{count}{name}{count}"
                              "{name}{count}{name}{count}{name}{count}{name}{count}|{name}"
                              "{x}{count}{name}{count}",
                          vars),
              "3Whitefield3Whitefield3Whitefield3Whitefield3Whitefield3Whitefield3Whitefield"
              "3Whitefield3|Whitefield3Whitefield3");
    arena_release(&a);

    /* a failing arena gives NULL */
    arena small;
    arena_init(&small, 8);
    CHECK(pack_render(&small, "a long text that will not fit", NULL) == NULL, "NULL past the cap");
    arena_release(&small);
}

/* The bound renderer (pack_bind, then values by position) gives want, what
 * pack_render gives with the (name, value) pairs vars: through
 * pack_bound_render, and through pack_bound_len + pack_bound_put into a
 * buffer with a guard byte after the length announced. */
static int check_bound(const pack_template *t, arena *a, const char *const *vars, const char *want)
{
    const char *names[128];
    pack_str vals[128];
    int n = 0;
    for (size_t i = 0; vars && vars[i] && n < 128; i += 2, n++) {
        names[n] = vars[i];
        vals[n] = (pack_str){vars[i + 1], vars[i + 1] ? strlen(vars[i + 1]) : 0};
        /* a value need not be NUL-terminated: its length counts */
        if (vars[i + 1] && vals[n].n > 0) {
            char *cut = arena_alloc(a, vals[n].n + 3);
            if (cut) {
                memcpy(cut, vars[i + 1], vals[n].n);
                memcpy(cut + vals[n].n, "#!", 3);
                vals[n].s = cut;
            }
        }
    }
    pack_bound b;
    pack_bind(&b, t, names, n);
    size_t len = 0;
    const char *got = pack_bound_render(a, &b, vals, &len);
    int bad = 0;
    if (!(want && got && strcmp(want, got) == 0 && len == strlen(want))) {
        CHECK(0, "bound render of \"%s\": \"%s\" (%zu), want \"%s\"", t && t->text ? t->text : "",
              got ? got : "(null)", len, want ? want : "(null)");
        bad++;
    }
    size_t n_put = pack_bound_len(&b, vals);
    char *buf = arena_alloc(a, n_put + 1);
    if (buf) {
        buf[n_put] = '\x7f';
        char *end = pack_bound_put(&b, vals, buf);
        if (!(want && end == buf + n_put && buf[n_put] == '\x7f' && n_put == strlen(want) &&
              memcmp(buf, want, n_put) == 0)) {
            CHECK(0, "bound put of \"%s\": \"%.*s\", want \"%s\"", t && t->text ? t->text : "",
                  (int)n_put, buf, want ? want : "(null)");
            bad++;
        }
    }
    return bad;
}

/* pack_template_render (pieces cut at load) gives what pack_render gives
 * from the text: the edge cases of test_render as a pack's templates, and
 * every shipped template of two packs in every language. */
static void check_pieces(pack *p, const char *key, arena *a, const char *const *vars)
{
    for (int l = 0; l < LANG__COUNT; l++) {
        const pack_template *t = pack_template_get(p, (lang)l, key);
        if (t == NULL)
            continue;
        const char *want = pack_render(a, t->text, vars);
        const char *got = pack_template_render(a, t, vars);
        CHECK(want && got && strcmp(want, got) == 0, "%s in %s: \"%s\", want \"%s\"", key,
              lang_name((lang)l), got ? got : "(null)", want ? want : "(null)");
        if (t->text && strchr(t->text, '{') == NULL)
            CHECK(got == t->text, "%s in %s: no placeholder, no copy", key, lang_name((lang)l));
        check_bound(t, a, vars, want);
    }
}

TEST(test_template_pieces)
{
    static const char *const texts[][2] = {
        {"a", "Here are {count} listings in {name}."}, {"b", "{unknown}x{empty}y"},
        {"c", "{count}{count}"}, {"d", "braces { stay }, {} and {open"}, {"e", "{{count}}"},
        {"f", "no vars {x}"}, {"g", "مرحبا {name}!"}, {"h", "{a}|{b}"}, {"i", ""},
        {"j", "{count}{name}{count}{name}{count}{name}{count}{name}{count}{name}{count}{name}"
              "{count}{name}{count}{name}{count}|{name}{x}{count}{name}{count}"},
        {"k", "{"}, {"l", "}{"}, {"m", "{count"}, {"n", "{count}}"}, {"o", "x{a}{"},
        {"p", "{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"
              "{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}"},
        {"q", "{cou nt} {na-me} {_x1}"}, {"s", "{y}{x}{y}{name}{x}"}, {"t", "{name}{count}{x}{count}"},
        /* more distinct names than a template has slots: the last ones by name */
        {"u", "{v0}{v1}{v2}{v3}{v4}{v5}{v6}{v7}{v8}{v9}{v10}{v11}{v12}{v13}{v14}{v15}{v16}{v17}"
              "{v18}{v19}{v20}{v21}{v22}{v23}{v24}{v25}{v26}{v27}{v28}{v29}{v30}{v31}|{v32}{v33}"
              "{count}{v0}{name}{v33}{x}{v31}{count}"},
    };
    make_tmp_packs();
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        json_object_set_new(o, texts[i][0], json_string(texts[i][1]));
    char *js = json_dumps(o, 0);
    json_decref(o);
    write_file("default/replies/en.json", js ? js : "{}");
    free(js);
    char dir[128];
    snprintf(dir, sizeof dir, "%s", tmpdir);
    pack *p = NULL;
    pt_error err = {0};
    arena a;
    arena_init(&a, 0);
    const char *vars[] = {"count", "3", "name", "Whitefield", "empty", "", "a", NULL, "b", "{b}",
                          "_x1", "X", "v0", "zero", "v31", "31", "v32", "32", "v33", NULL,
                          "v5", "five-five", "v32", "dup", NULL};
    const char *none[] = {NULL};
    CHECK(pack_load(dir, NULL, &p, &err) == 0, "load: %s", err.msg);
    /* names given twice (the first pair counts), and out of order */
    const char *dups[] = {"x", "X", "y", "Y", "x", "X2", "count", "c1", "name", "N", "count", "c2",
                          "y", "Y2", NULL};
    for (size_t i = 0; p && i < sizeof texts / sizeof texts[0]; i++) {
        check_pieces(p, texts[i][0], &a, vars);
        check_pieces(p, texts[i][0], &a, none);
        check_pieces(p, texts[i][0], &a, dups);
    }
    if (p) {
        const pack_template *t = pack_template_get(p, LANG_EN, "a");
        CHECK(t && pack_template_uses(t, "count") && pack_template_uses(t, "name")
                  && !pack_template_uses(t, "coun") && !pack_template_uses(t, "counts")
                  && !pack_template_uses(t, "Here"), "uses {count} and {name} only");
        t = pack_template_get(p, LANG_EN, "d");
        CHECK(t && !pack_template_uses(t, "stay") && !pack_template_uses(t, "open")
                  && !pack_template_uses(t, ""), "braces that open no placeholder");
        t = pack_template_get(p, LANG_EN, "e");
        CHECK(t && pack_template_uses(t, "count"), "{{count}} uses count");
        t = pack_template_get(p, LANG_EN, "u");
        CHECK(t && t->n_names == PACK_SLOTS_MAX, "u: %d slots", t ? t->n_names : -1);
        CHECK(t && pack_template_uses(t, "v0") && pack_template_uses(t, "v31")
                  && pack_template_uses(t, "v33") && pack_template_uses(t, "count")
                  && !pack_template_uses(t, "v34") && !pack_template_uses(t, "v3x"),
              "uses names past the slots");
        /* a NULL template and a template bound to no names */
        pack_bound b;
        pack_bind(&b, NULL, NULL, 0);
        size_t len = 9;
        CHECK_STR(pack_bound_render(&a, &b, NULL, &len), "");
        CHECK_INT((int)len, 0);
        CHECK_INT((int)pack_bound_len(&b, NULL), 0);
        t = pack_template_get(p, LANG_EN, "a");
        pack_bind(&b, t, NULL, 0);
        CHECK_STR(pack_bound_render(&a, &b, NULL, NULL), "Here are  listings in .");
        t = pack_template_get(p, LANG_EN, "d");
        pack_bind(&b, t, NULL, 0);
        CHECK(t && pack_bound_render(&a, &b, NULL, NULL) == t->text, "no placeholder, no copy");
    }
    pack_free(p);
    p = NULL;
    remove_tmp_packs();

    /* the shipped templates, with every name a dialog passes */
    json_error_t je;
    json_t *en = json_load_file("packs/default/replies/en.json", 0, &je);
    CHECK(en != NULL, "packs/default/replies/en.json: %s", je.text);
    static const char *const slugs[] = {"default", "dubai-demo", "bangalore-demo"};
    const char *all[] = {"index", "1", "title", "T", "project", "P", "locality", "L",
                         "bedrooms", "2 bedrooms", "type", "villa", "area", "1,200", "price", "AED 1",
                         "units", "3 left", "count", "4", "min", "a", "max", "b", "base", "c",
                         "relaxed", "r", "exact", "2", "wanted", "w", "currency", "AED",
                         "tenant", "Acme", "summary", "s", "last", "l", "n", "3", NULL};
    for (size_t k = 0; en && k < sizeof slugs / sizeof slugs[0]; k++) {
        if (pack_load("packs", slugs[k], &p, &err) != 0) {
            CHECK(0, "load %s: %s", slugs[k], err.msg);
            continue;
        }
        const char *key;
        json_t *v;
        json_object_foreach(en, key, v) {
            check_pieces(p, key, &a, all);
            check_pieces(p, key, &a, none);
        }
        pack_free(p);
        p = NULL;
    }
    json_decref(en);
    arena_release(&a);

    /* a failing arena gives NULL, as pack_render does */
    arena small;
    arena_init(&small, 8);
    if (pack_load("packs", NULL, &p, &err) == 0) {
        const pack_template *t = pack_template_get(p, LANG_EN, "results_intro");
        const char *v4[] = {"count", "a long text that will not fit", NULL};
        CHECK(t != NULL && pack_template_render(&small, t, v4) == NULL, "NULL past the cap");
        pack_free(p);
    }
    arena_release(&small);
}

/* Every template of every pack under packs/ (each folder loaded as a
 * tenant over default), in every language, rendered with random lists of
 * (name, value) pairs: its own names and others, in random order, some
 * twice, some values NULL, empty, with braces, UTF-8 or long.  The text
 * renderer (pack_render) is the reference; the pieces renderer and the
 * bound one must give the same bytes. */
TEST(test_render_random_values)
{
    static const char *const values[] = {
        "", "1", "12", "abc", "AED 1,850,000", "{count}", "{", "}", "{{x}}", "مرحبا", "спален: 3",
        "a long value that runs well past the sixteen bytes a short copy covers, twice over",
        "x\ny", "7 units left", "₹1.85 Cr per year",
    };
    static const char *const others[] = {"count", "name", "x", "index", "title", "units", "n",
                                         "a", "zzz", "price", "locality", "min", "max"};
    DIR *d = opendir("packs");
    CHECK(d != NULL, "opendir packs");
    if (d == NULL)
        return;
    unsigned seed = 77;
    int packs = 0, templates = 0, renders = 0, bad = 0;
    struct dirent *de;
    arena a;
    arena_init(&a, 0);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        pack *p = NULL;
        pt_error err = {0};
        if (pack_load("packs", de->d_name, &p, &err) != 0) {
            CHECK(0, "load %s: %s", de->d_name, err.msg);
            continue;
        }
        packs++;
        for (int l = 0; l < LANG__COUNT; l++) {
            char path[512];
            snprintf(path, sizeof path, "packs/%s/replies/%s.json", de->d_name, lang_name((lang)l));
            json_t *o = json_load_file(path, 0, NULL);
            const char *key;
            json_t *v;
            json_object_foreach(o, key, v) {
                const pack_template *t = pack_template_get(p, (lang)l, key);
                if (t == NULL || t->text == NULL)
                    continue;
                templates++;
                for (int r = 0; r < 40; r++) {
                    const char *vars[2 * 40 + 1];
                    int nv = 0, want_pairs = (int)(rand_r(&seed) % 20);
                    for (int q = 0; q < want_pairs; q++) {
                        const char *name;
                        if (t->n_names > 0 && rand_r(&seed) % 3 != 0) {
                            const pack_str *nm = &t->names[rand_r(&seed) % (unsigned)t->n_names];
                            char *c = arena_strndup(&a, nm->s, nm->n);
                            name = c ? c : "";
                        } else {
                            name = others[rand_r(&seed) % (sizeof others / sizeof others[0])];
                        }
                        vars[nv++] = name;
                        vars[nv++] = rand_r(&seed) % 9 == 0
                                         ? NULL
                                         : values[rand_r(&seed) % (sizeof values / sizeof values[0])];
                    }
                    vars[nv] = NULL;
                    const char *want = pack_render(&a, t->text, vars);
                    const char *got = pack_template_render(&a, t, vars);
                    if (!(want && got && strcmp(want, got) == 0) && bad++ < 5)
                        CHECK(0, "%s/%s %s: \"%s\", want \"%s\"", de->d_name,
                              lang_name((lang)l), key, got ? got : "(null)", want ? want : "(null)");
                    int b = check_bound(t, &a, vars, want);
                    bad += b;
                    renders++;
                }
                arena_release(&a);
                arena_init(&a, 0);
            }
            json_decref(o);
        }
        pack_free(p);
    }
    closedir(d);
    arena_release(&a);
    printf("    %d packs, %d templates, %d renders compared\n", packs, templates, renders);
    CHECK(packs >= 1 && templates >= 100, "%d packs, %d templates", packs, templates);
    CHECK_INT(bad, 0);
}

/* ---- shared between threads: reads only ------------------------------- */

TEST(test_render_real_template)
{
    pack *p = NULL;
    pt_error err = {0};
    if (pack_load("packs", "dubai-demo", &p, &err) != 0) {
        CHECK(0, "load: %s", err.msg);
        return;
    }
    arena a;
    arena_init(&a, 0);
    const char *vars[] = {"count", "4", NULL};
    for (int l = 0; l < LANG__COUNT; l++) {
        const pack_template *t = pack_template_get(p, (lang)l, "results_intro");
        char *s = t ? pack_render(&a, t->text, vars) : NULL;
        CHECK(s != NULL && strstr(s, "4") != NULL && strchr(s, '{') == NULL,
              "results_intro in %s: %s", lang_name((lang)l), s ? s : "(null)");
    }
    arena_release(&a);
    pack_free(p);
}

/* ---- cue phrases -------------------------------------------------------- */

/* The lists the NLU alone reads (cue_loc_*, cue_period_*) are not in the
 * dialog's scan: "and", "or", "no", "pm" matched in most messages for
 * nothing.  pack_cue_in still finds their phrases. */
TEST(test_cue_scan_leaves_nlu_lists)
{
    pack *p = NULL;
    pt_error err = {0};
    int rc = pack_load("packs", NULL, &p, &err);
    CHECK(rc == 0, "pack_load(packs): %s", err.msg);
    if (rc)
        return;
    static const char *const keys[] = {"cue_loc_and", "cue_loc_not", "cue_period_month"};
    const char *msg = "marina or jvc, not hebbal, under 40k a month";
    uint64_t hits = pack_cue_scan(p, msg, strlen(msg));
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int id = pack_cue_id(p, keys[k]);
        CHECK(id >= 0 && id < PACK_CUE_BITS, "%s has an id", keys[k]);
        CHECK(id >= 0 && !(hits & ((uint64_t)1 << id)), "%s: not in the scan", keys[k]);
        const pack_phrase *ph = NULL;
        int np = pack_cue_phrases(p, keys[k], &ph);
        bool found = false;
        for (int i = 0; i < np && !found; i++)
            found = pack_cue_in(msg, strlen(msg), &ph[i]);
        CHECK(found, "%s: still found by pack_cue_in", keys[k]);
    }
    pack_free(p);
}

/* pack_cue_scan finds, in one pass, what pack_cue_in of every phrase finds
 * (a memmem, but a digit at an end of the phrase must not touch another
 * digit); pack_fold of plain ASCII is utf8proc's fold (lower case). */
TEST(test_cue_scan)
{
    pack *p = NULL;
    pt_error err = {0};
    int rc = pack_load("packs", NULL, &p, &err);
    CHECK(rc == 0, "pack_load(packs): %s", err.msg);
    if (rc)
        return;
    static const char *const keys[] = {"cue_cheaper", "cue_better", "cue_compare", "cue_emerging",
                                       "cue_investment", "cue_ordinal_1", "cue_ordinal_2",
                                       "cue_ordinal_3"};
    static const char *const msgs[] = {
        "", "a", "hi", "something CHEAPER please", "Compare JVC vs Marina", "which is better?",
        "Is JVC an emerging area with good ROI?", "I can stretch my budget, upgrade me",
        "canvas", "yield", "UPCOMING", "Дешевле", "сравни Dubai Marina и JVC", "أرخص",
        "ارزان‌تر", "Résumé of the Investment", "up-and-coming? or up and coming", "vs",
        "pay a little more for a better option", "ROI", "roi\tyield\ncheapest",
        "number 12", "number 1", "on the 21st", "the 1st", "#12 or #1", "no. 13", "option 1,",
        "رقم ١٢", "رقم ١", "رقم 12", "شماره ۱۲", "شماره ۱۳؟", "№12", "№ 1", "22nd floor", "3rd",
    };
    /* the default pack's lists (the amenities' among them) all answer in
     * the one scan a turn */
    CHECK(pack_cue_count(p) <= PACK_CUE_BITS, "%d cue lists", pack_cue_count(p));
    CHECK(pack_cue_key(p, -1) == NULL && pack_cue_key(p, pack_cue_count(p)) == NULL, "no key past the lists");
    for (size_t m = 0; m < sizeof msgs / sizeof msgs[0]; m++) {
        arena a;
        arena_init(&a, 0);
        const char *f = pack_fold(&a, msgs[m]);
        CHECK(f != NULL, "fold \"%s\"", msgs[m]);
        if (f == NULL)
            f = "";
        size_t n = strlen(f);
        uint64_t hits = pack_cue_scan(p, f, n);
        /* the spans of every list: where the scan's hits are, in order */
        pack_cue_span sp[64];
        int ns = pack_cue_spans(p, ~(uint64_t)0, f, n, sp, 64);
        uint64_t span_bits = 0;
        for (int i = 0; i < ns; i++) {
            span_bits |= (uint64_t)1 << sp[i].list;
            CHECK(sp[i].at + sp[i].n <= n && (i == 0 || sp[i - 1].at <= sp[i].at), "\"%s\": span %d", msgs[m], i);
        }
        CHECK(ns == 64 || span_bits == hits, "\"%s\": spans and scan agree", msgs[m]);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            int id = pack_cue_id(p, keys[k]);
            CHECK(id >= 0 && id < PACK_CUE_BITS, "%s has an id", keys[k]);
            CHECK(id < 0 || strcmp(pack_cue_key(p, id), keys[k]) == 0, "%s: its key back", keys[k]);
            const pack_phrase *ph = NULL;
            int np = pack_cue_phrases(p, keys[k], &ph);
            bool want = false;
            for (int i = 0; i < np; i++)
                want |= pack_cue_in(f, n, &ph[i]);
            CHECK(((hits >> id) & 1) == want, "\"%s\" %s: scan %d, pack_cue_in %d", msgs[m],
                  keys[k], (int)((hits >> id) & 1), want);
        }
        arena_release(&a);
    }
    /* random texts from slices of the phrases themselves */
    {
        const pack_phrase *all[8];
        int nall[8];
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            nall[k] = pack_cue_phrases(p, keys[k], &all[k]);
        unsigned seed = 9;
        int bad = 0;
        for (int r = 0; r < 20000; r++) {
            char f[256];
            size_t n = 0;
            int parts = (int)(rand_r(&seed) % 6);
            for (int q = 0; q < parts; q++) {
                size_t k = rand_r(&seed) % (sizeof keys / sizeof keys[0]);
                if (nall[k] == 0)
                    continue;
                const pack_phrase *ph = &all[k][rand_r(&seed) % (unsigned)nall[k]];
                size_t from = rand_r(&seed) % 3 == 0 ? rand_r(&seed) % (ph->n + 1) : 0;
                size_t to = rand_r(&seed) % 3 == 0 ? from + rand_r(&seed) % (ph->n - from + 1) : ph->n;
                if (n + (to - from) + 2 > sizeof f)
                    break;
                memcpy(f + n, ph->s + from, to - from);
                n += to - from;
                if (rand_r(&seed) % 2)
                    f[n++] = " ?x1"[rand_r(&seed) % 4];
            }
            f[n] = '\0';
            uint64_t hits = pack_cue_scan(p, f, n);
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                int id = pack_cue_id(p, keys[k]);
                bool want = false;
                for (int i = 0; i < nall[k]; i++)
                    want |= pack_cue_in(f, n, &all[k][i]);
                if ((((hits >> id) & 1) != want) && bad++ < 5)
                    CHECK(0, "\"%s\" %s: scan %d, pack_cue_in %d", f, keys[k],
                          (int)((hits >> id) & 1), want);
            }
        }
        CHECK_INT(bad, 0);
    }
    arena a;
    arena_init(&a, 0);
    CHECK_STR(pack_fold(&a, "Hello WORLD 123 [Z]@`{"), "hello world 123 [z]@`{");
    CHECK_STR(pack_fold(&a, "ÉCOLE"), "ecole");
    arena_release(&a);
    CHECK_INT(pack_cue_id(p, "cue_nothing"), -1);
    /* a digit at an end of a phrase stands apart from other digits, in
     * ASCII, Arabic and Persian digits; a letter at its end from other
     * letters and digits, unless it is a stem ("invest*"); its start may be
     * inside a word (an Arabic prefix) */
    static const struct { const char *text, *phrase; bool in; } apart[] = {
        {"number 12", "number 1", false}, {"number 1", "number 1", true},
        {"number 1, then 12", "number 1", true}, {"number 12 and number 1?", "number 1", true},
        {"the 21st", "1st", false}, {"1st", "1st", true}, {"the 1st.", "1st", true},
        {"11th", "1th", false}, {"#12", "#1", false}, {"#1!", "#1", true},
        {"رقم ١٢", "رقم ١", false}, {"رقم ١؟", "رقم ١", true}, {"شماره ۱۲", "شماره ۱", false},
        {"شماره ۱", "شماره ۱", true}, {"٢1st", "1st", false}, {"۳1st", "1st", false},
        {"investments", "invest*", true}, {"инвестиции", "инвестиц*", true}, {"x1y", "1", true},
        {"investments", "invest", false}, {"инвестиции", "инвестиц", false},
        {"invest, then", "invest", true}, {"invest", "invest", true}, {"invest2", "invest", false},
        {"الاولويه", "الاول", false}, {"الاول؟", "الاول", true}, {"والاول", "الاول", true},
        {"21", "1", false}, {"12", "1", false}, {"", "1", false},
    };
    for (size_t i = 0; i < sizeof apart / sizeof apart[0]; i++) {
        size_t pn = strlen(apart[i].phrase);
        bool stem = pn > 0 && apart[i].phrase[pn - 1] == '*';
        pack_phrase ph = {apart[i].phrase, pn - stem, stem};
        CHECK(pack_cue_in(apart[i].text, strlen(apart[i].text), &ph) == apart[i].in,
              "\"%s\" in \"%s\": want %d", apart[i].phrase, apart[i].text, apart[i].in);
    }
    pack_free(p);
}

/* A phrase that ends in a letter is a whole word at its end: a letter or a
 * digit right after it means it is not there ("second" is not in
 * "seconds", "الأول" not in "الأولوية"), unless the pack wrote it as a stem
 * ("инвестиц*", "бассейн*", "investment*"): then any letters may follow. */
TEST(test_cue_word_ends)
{
    pack *p = NULL;
    pt_error err = {0};
    int rc = pack_load("packs", NULL, &p, &err);
    CHECK(rc == 0, "pack_load(packs): %s", err.msg);
    if (rc)
        return;
    static const struct { const char *text, *list; bool in; } cases[] = {
        /* letters after a whole word */
        {"how many seconds to the metro?", "cue_ordinal_2", false},
        {"ما هي الأولوية؟", "cue_ordinal_1", false},
        {"moreover, the view", "cue_more", false},
        {"a heroic view", "cue_investment", false},
        {"is it thirdly or fourthly", "cue_ordinal_3", false},
        {"parking?", "cue_amenity_park", false},
        {"la secondaria", "cue_ordinal_2", false},
        {"كم الدفعة الأولية؟", "cue_ordinal_1", false},
        {"invsearch", "cue_compare", false},
        /* a whole word still is one before a space, punctuation or the end */
        {"the second.", "cue_ordinal_2", true},
        {"second", "cue_ordinal_2", true},
        {"الأول؟", "cue_ordinal_1", true},
        {"the second-hand one", "cue_ordinal_2", true},
        {"ارزان‌تر", "cue_cheaper", true},
        {"no. 1, please", "cue_ordinal_1", true},
        {"номер 1", "cue_ordinal_1", true},
        /* stems: the words the lists meant to match with their endings */
        {"Investments in Dubai", "cue_investment", true},
        {"инвестиции", "cue_investment", true},
        {"какая доходность?", "cue_investment", true},
        {"فرص استثمارية", "cue_investment", true},
        {"с бассейном?", "cue_amenity_pool", true},
        {"are the pools heated", "cue_amenity_pool", true},
        {"استخرش بزرگه؟", "cue_amenity_pool", true},
        {"ارزانترین", "cue_cheaper", true},
        {"рядом с детской площадкой", "cue_amenity_kids_play_area", true},
        {"есть парковка?", "cue_amenity_parking", true},
        {"is there a gymnasium", "cue_amenity_gym", true},
        {"can I compare them", "cue_compare", true},
        {"compared to JVC", "cue_compare", true},
        {"how many parkings come with it", "cue_amenity_parking", true},
        {"منطقه رو به رشده؟", "cue_emerging", true},
        {"کدوم بهتره؟", "cue_compare", true},
        {"نزدیک متروئه؟", "cue_amenity_metro", true},
        {"الشقة الثانيه", "cue_ordinal_2", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        arena a;
        arena_init(&a, 0);
        const char *f = pack_fold(&a, cases[i].text);
        size_t n = f ? strlen(f) : 0;
        int id = pack_cue_id(p, cases[i].list);
        CHECK(f != NULL && id >= 0 && id < PACK_CUE_BITS, "%s", cases[i].list);
        if (f == NULL || id < 0 || id >= PACK_CUE_BITS) {
            arena_release(&a);
            continue;
        }
        uint64_t hits = pack_cue_scan(p, f, n);
        CHECK((((hits >> id) & 1) != 0) == cases[i].in, "\"%s\" %s: scan %d, want %d",
              cases[i].text, cases[i].list, (int)((hits >> id) & 1), cases[i].in);
        /* the spans and pack_cue_in say the same */
        pack_cue_span sp[64];
        int ns = pack_cue_spans(p, (uint64_t)1 << id, f, n, sp, 64);
        CHECK((ns > 0) == cases[i].in, "\"%s\" %s: %d spans", cases[i].text, cases[i].list, ns);
        const pack_phrase *ph = NULL;
        int np = pack_cue_phrases(p, cases[i].list, &ph);
        bool in = false;
        for (int k = 0; k < np; k++)
            in |= pack_cue_in(f, n, &ph[k]);
        CHECK(in == cases[i].in, "\"%s\" %s: pack_cue_in %d", cases[i].text, cases[i].list, in);
        arena_release(&a);
    }
    pack_free(p);
}

TEST_MAIN(
    RUN(test_default_pack);
    RUN(test_translations_complete);
    RUN(test_tenant_override);
    RUN(test_malformed);
    RUN(test_render);
    RUN(test_render_real_template);
    RUN(test_template_pieces);
    RUN(test_render_random_values);
    RUN(test_cue_scan); RUN(test_cue_scan_leaves_nlu_lists);
    RUN(test_cue_word_ends);
)
