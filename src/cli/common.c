/*
 * common.c - what the commands share: option parsing, the §1 environment
 * (data folder, database URL, packs folder), opening the store, and the
 * way errors and JSON lines are printed.  No command logic lives here.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

int cli_parse(int argc, char **argv, const cli_opt *opts, int n, const char **pos,
              int max_pos, int *n_pos, pt_error *err)
{
    bool only_pos = false;
    *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_pos && strcmp(arg, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (only_pos || arg[0] != '-' || arg[1] == '\0') {
            if (*n_pos >= max_pos)
                return pt_fail(err, PT_ERR_INVALID, "unexpected argument \"%s\"", arg);
            pos[(*n_pos)++] = arg;
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *o = NULL;
        for (int k = 0; k < n; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0)
                o = &opts[k];
        if (o == NULL)
            return pt_fail(err, PT_ERR_INVALID, "unknown option \"%s\"", arg);
        if (o->flag) {
            if (eq)
                return pt_fail(err, PT_ERR_INVALID, "option \"--%s\" takes no value", o->name);
            *o->flag = true;
            continue;
        }
        if (eq) {
            *o->value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return pt_fail(err, PT_ERR_INVALID, "option \"--%s\" needs a value", o->name);
            *o->value = argv[++i];
        }
    }
    return 0;
}

int cli_int(const char *opt, const char *s, long min, long max, long *out, pt_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
        return pt_fail(err, PT_ERR_INVALID, "--%s \"%s\" is not a whole number from %ld to %ld",
                       opt, s, min, max);
    *out = v;
    return 0;
}

bool cli_utf8_ok(const char *s)
{
    json_t *j = json_string(s);   /* jansson validates UTF-8 */
    json_decref(j);
    return j != NULL;
}

bool cli_text_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return cli_utf8_ok(s);
}

const char *cli_data_dir(void)
{
    const char *d = getenv("PROPTALK_DATA");
    return d && d[0] ? d : "./data";
}

int cli_db_url(char *out, size_t size, pt_error *err)
{
    const char *db = getenv("PROPTALK_DB");
    if (db && db[0]) {
        if (strlen(db) >= size)
            return pt_fail(err, PT_ERR_INVALID, "PROPTALK_DB is too long");
        memcpy(out, db, strlen(db) + 1);
        return 0;
    }
    /* the sqlite backend creates the data folder on open */
    const char *data = cli_data_dir();
    if (snprintf(out, size, "sqlite:%s/proptalk.db", data) >= (int)size)
        return pt_fail(err, PT_ERR_INVALID, "PROPTALK_DATA is too long");
    return 0;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_packs_dir(char *out, size_t size, pt_error *err)
{
    const char *env = getenv("PROPTALK_PACKS");
    if (env && env[0]) {
        if (!is_dir(env))
            return pt_fail(err, PT_ERR_NOT_FOUND, "PROPTALK_PACKS \"%s\" is not a folder", env);
        snprintf(out, size, "%s", env);
        return 0;
    }
    if (is_dir("./packs")) {
        snprintf(out, size, "./packs");
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if (snprintf(out, size, "%s/../packs", exe) < (int)size && is_dir(out))
                return 0;
        }
    }
    return pt_fail(err, PT_ERR_NOT_FOUND,
                   "no packs folder (set PROPTALK_PACKS or run from the source tree)");
}

int cli_store_open(store **out, pt_error *err)
{
    char url[PATH_MAX + 16];
    *out = NULL;
    int rc = cli_db_url(url, sizeof url, err);
    if (rc)
        return rc;
    return store_open(url, out, err);
}

int cli_tenant_find(store *s, const char *slug, tenant *out, pt_error *err)
{
    pt_error e2 = {0};
    int rc = s->ops->tenant_by_slug(s, slug, out, &e2);
    if (rc == -PT_ERR_NOT_FOUND)
        return pt_fail(err, PT_ERR_NOT_FOUND, "tenant \"%s\" not found", slug);
    if (rc)
        return pt_fail(err, rc, "%s", e2.msg);
    return 0;
}

int cli_fail(const char *cmd, const pt_error *err)
{
    fprintf(stderr, "proptalk %s: %s\n", cmd,
            err && err->msg[0] ? err->msg : pt_err_name(err ? err->code : PT_ERR_INTERNAL));
    return CLI_FAIL;
}

int cli_usage(const char *cmd, const pt_error *err, const char *usage)
{
    if (err && err->msg[0])
        fprintf(stderr, "proptalk %s: %s\n", cmd, err->msg);
    fprintf(stderr, "usage: proptalk %s\n", usage);
    return CLI_USAGE;
}

int cli_print_line(const char *text)
{
    if (fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
        return -1;
    return 0;
}

int cli_print_result(const char *cmd, const char *line, const char *done)
{
    errno = 0;
    if (cli_print_line(line) == 0)
        return CLI_OK;
    fprintf(stderr, "proptalk %s: cannot write to standard output (%s); %s: %s\n", cmd,
            errno ? strerror(errno) : "write error", done, line);
    return CLI_FAIL;
}
