/*
 * cmd_import.c - `proptalk import --tenant SLUG FILE` (CONTRACT.md §2):
 * loads listings through the import module and prints its report
 * {"imported", "rejected", "errors"}.  Rejected rows do not fail the
 * command; an unknown tenant or an unreadable file does.  FILE "-" reads
 * standard input.  A running server picks the new listings up when the
 * tenant is next reloaded.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "provider/embed.h"
#include "util/buf.h"

#include <jansson.h>

/* With an embeddings provider (PROPTALK_LLM_URL), brings the tenant's
 * listing vectors up to date and adds "embedded" (and "embed_error" when
 * the provider failed; the import stands) to the report line.  *line is
 * replaced.  A provider that cannot be set up or a store failure is
 * reported on stderr and leaves the line as it was. */
static void import_embed(store *s, const tenant *t, char **line)
{
    embed_provider *p = NULL;
    pt_error err = {0};
    embed_report rep;
    json_t *o = NULL;
    if (embed_provider_from_env(&p, &err) != 0 || p == NULL) {
        if (err.msg[0])
            fprintf(stderr, "proptalk import: embeddings: %s\n", err.msg);
        return;
    }
    if (embed_sync_tenant(p, s, t->id, 0, &rep, &err) != 0) {
        fprintf(stderr, "proptalk import: embeddings: %s\n", err.msg);
        goto done;
    }
    o = json_loads(*line, 0, NULL);
    if (o == NULL)
        goto done;
    json_object_set_new(o, "embedded", json_integer(rep.embedded));
    if (rep.error[0]) {
        json_object_set_new(o, "embed_error", json_string(rep.error));
        fprintf(stderr, "proptalk import: %ld listings left without vectors: %s\n", rep.pending,
                rep.error);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    if (text) {
        free(*line);
        *line = text;
    }
done:
    json_decref(o);
    embed_provider_close(p);
}

const char cli_usage_import[] = "import --tenant SLUG FILE";

/* Reads all of stdin (capped at the JSON import limit). */
static int read_stdin(buf *b, pt_error *err)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        if (buf_append(b, chunk, n) != 0)
            return pt_fail(err, PT_ERR_TOO_LARGE, "standard input is larger than %u MiB",
                           IMPORT_JSON_MAX_BYTES >> 20);
    if (ferror(stdin))
        return pt_fail(err, PT_ERR_IO, "cannot read standard input");
    return 0;
}

int cmd_import(int argc, char **argv)
{
    int rc = 0, status = CLI_OK;
    pt_error err = {0};
    store *s = NULL;
    import_report *rep = NULL;
    char *line = NULL;
    buf in = BUF_INIT(IMPORT_JSON_MAX_BYTES);
    const char *slug = NULL;
    const char *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {{"tenant", &slug, NULL}};
    tenant t;

    rc = cli_parse(argc, argv, opts, 1, pos, 1, &n_pos, &err);
    if (rc == 0 && (slug == NULL || n_pos != 1))
        rc = pt_fail(&err, PT_ERR_INVALID, "--tenant and a FILE are required");
    if (rc) {
        status = cli_usage("import", &err, cli_usage_import);
        goto done;
    }
    rep = calloc(1, sizeof *rep);
    if (rep == NULL) {
        rc = pt_fail(&err, PT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    rc = cli_store_open(&s, &err);
    if (rc)
        goto fail;
    rc = cli_tenant_find(s, slug, &t, &err);
    if (rc)
        goto fail;
    if (strcmp(pos[0], "-") == 0) {
        rc = read_stdin(&in, &err);
        if (rc == 0)
            rc = import_buffer(s, &t, buf_cstr(&in), in.len, rep, &err);
    } else {
        rc = import_file(s, &t, pos[0], rep, &err);
    }
    /* the report is printed even after a failure: it says what was committed */
    if (rc == 0 || rep->imported > 0) {
        line = import_report_json(rep);
        if (line && rep->imported > 0)
            import_embed(s, &t, &line);
        if (line == NULL) {
            fprintf(stderr, "proptalk import: out of memory writing the report\n");
            status = CLI_FAIL;
        } else {
            status = cli_print_result("import", line, "the import was committed");
        }
    }
    if (rc)
        goto fail;
    if (rep->rejected)
        fprintf(stderr, "proptalk import: %ld row%s rejected (see \"errors\")\n", rep->rejected,
                rep->rejected == 1 ? "" : "s");
    goto done;
fail:
    status = cli_fail("import", &err);
done:
    free(line);
    buf_free(&in);
    free(rep);
    store_close(s);
    return status;
}
