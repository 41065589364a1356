/*
 * cmd_serve.c - `proptalk serve [--port N] [--bind ADDR] [--demo]
 * [--threads N]`: opens the engine and serves the HTTP API until SIGINT or
 * SIGTERM, then stops cleanly (requests in flight finish).  SIGHUP reloads
 * every tenant (after an import or a pack edit).
 *
 * Standard output gets machine-readable lines: with --demo first
 * {"demo": {"tenants": [...], "admin": {...}}}, then always
 * {"listening": "http://ADDR:PORT"} once the socket accepts connections.
 * A human-readable banner goes to stderr.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "demo/demo.h"
#include "engine/engine.h"
#include "http/admin.h"
#include "http/server.h"
#include "provider/embed.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/secret.h"

const char cli_usage_serve[] = "serve [--port N] [--bind ADDR] [--demo] [--threads N]";

#define DEFAULT_PORT 8080
#define DEFAULT_BIND "127.0.0.1"
#define SERVE_THREADS_PER_CPU 4   /* HTTP workers per core (BENCHMARKS.md, chat load) */
#define SERVE_TRIM_SECONDS 10     /* how often free heap memory goes back (util/mem.h) */

/* Loads the demo tenants and prints the {"demo": ...} line. */
static int load_demo(const char *db_url, const char *secret, demo_info *info, pt_error *err)
{
    int rc = 0;
    store *s = NULL;
    json_t *tenants = NULL, *o = NULL;
    char *line = NULL;

    rc = store_open(db_url, &s, err);
    if (rc)
        goto done;
    rc = demo_load(s, secret, time(NULL), info, err);
    if (rc)
        goto done;
    tenants = json_array();
    for (int i = 0; tenants && i < info->n_tenants; i++)
        json_array_append_new(tenants, json_pack("{s:s,s:s,s:i}", "slug", info->tenants[i].slug,
                                                 "api_key", info->tenants[i].api_key,
                                                 "listings", info->tenants[i].listings));
    o = json_pack("{s:{s:O,s:{s:s,s:s}}}", "demo", "tenants", tenants, "admin", "email",
                  info->admin_email, "password", info->admin_password);
    line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "demo: out of memory");
        goto done;
    }
    cli_print_line(line);
done:
    free(line);
    json_decref(o);
    json_decref(tenants);
    store_close(s);
    return rc;
}

static void demo_banner(const demo_info *info, const char *url)
{
    fprintf(stderr, "\nproptalk demo is up at %s\n\n", url);
    for (int i = 0; i < info->n_tenants; i++)
        fprintf(stderr, "  %-16s API key %s  (%d listings)\n", info->tenants[i].slug,
                info->tenants[i].api_key, info->tenants[i].listings);
    fprintf(stderr, "  %-16s %s / %s\n", "admin login", info->admin_email,
            info->admin_password);
    if (info->n_tenants > 0)
        fprintf(stderr, "\n  try:\n  curl -s %s/api/chat/query -H 'X-API-Key: %s' \\\n"
                        "    -d '{\"query\": \"2 bhk in whitefield under 1 crore\", "
                        "\"session_id\": \"s1\", \"user_id\": \"u1\"}'\n\n",
                url, info->tenants[0].api_key);
}

/* Reloads every tenant's runtime (SIGHUP). */
static void reload_all(engine *e)
{
    arena a;
    pt_error err = {0};
    tenant *ts = NULL;
    int n = 0;
    arena_init(&a, 0);
    store *s = engine_store_get(e);
    int rc = s->ops->tenant_list(s, &a, &ts, &n, &err);
    engine_store_put(e, s);
    for (int i = 0; rc == 0 && i < n; i++) {
        pt_error e2 = {0};
        if (engine_reload_tenant(e, ts[i].slug, &e2) != 0)
            log_warn("reload tenant \"%s\": %s", ts[i].slug, e2.msg);
    }
    if (rc)
        log_warn("reload: %s", err.msg);
    else
        log_info("reloaded %d tenants", n);
    arena_release(&a);
}

int cmd_serve(int argc, char **argv)
{
    int rc = 0, status = CLI_OK;
    pt_error err = {0};
    engine *e = NULL;
    http_server *srv = NULL;
    embed_provider *embed = NULL;
    const char *port_s = NULL, *bind = DEFAULT_BIND, *threads_s = NULL;
    bool demo = false;
    const char *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {
        {"port", &port_s, NULL}, {"bind", &bind, NULL},
        {"demo", NULL, &demo},   {"threads", &threads_s, NULL},
    };
    long port = DEFAULT_PORT, threads = 0;
    char secret[256], db_url[PATH_MAX + 16], packs[PATH_MAX], url[300];
    demo_info info;
    sigset_t sigs;

    rc = cli_parse(argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), pos, 0, &n_pos, &err);
    if (rc == 0 && port_s)
        rc = cli_int("port", port_s, 0, 65535, &port, &err);
    if (rc == 0 && threads_s)
        rc = cli_int("threads", threads_s, 1, 256, &threads, &err);
    if (rc) {
        status = cli_usage("serve", &err, cli_usage_serve);
        goto done;
    }

    /* block the signals before any thread starts, so they all inherit it
     * and only sigtimedwait() below sees them */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    if ((rc = secret_load(cli_data_dir(), secret, sizeof secret, &err)) ||
        (rc = cli_db_url(db_url, sizeof db_url, &err)) ||
        (rc = cli_packs_dir(packs, sizeof packs, &err)))
        goto fail;
    memset(&info, 0, sizeof info);
    if (demo && (rc = load_demo(db_url, secret, &info, &err)))
        goto fail;

    /* A chat turn waiting for its session's lock or its group commit holds
     * no HTTP worker (the connection is suspended), so workers are for CPU
     * work plus the odd store read, and the write of a turn that found the
     * committer idle (commit.h): a few per core.  Store
     * handles: a turn gives its handle back before its commit. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu <= 0)
        ncpu = 1;
    if (threads <= 0)
        threads = ncpu * SERVE_THREADS_PER_CPU < 256 ? ncpu * SERVE_THREADS_PER_CPU : 256;
    engine_config cfg = {0};
    cfg.db_url = db_url;
    cfg.packs_dir = packs;
    cfg.store_handles = (int)(threads < ncpu * 2 + 1 ? threads : ncpu * 2 + 1) + 1;
    rc = engine_open(&cfg, &e, &err);
    if (rc)
        goto fail;
    /* the admin API: tokens signed with a key from the secret; listing
     * vectors when PROPTALK_LLM_URL names an embeddings provider */
    rc = embed_provider_from_env(&embed, &err);
    if (rc)
        goto fail;
    if (embed)
        log_info("embeddings: model %s at the PROPTALK_LLM_URL provider",
                 embed_provider_model(embed));
    engine_set_embed(e, embed);
    admin_config acfg = {.secret = secret, .embed = embed};
    rc = admin_init(&acfg, &err);
    if (rc)
        goto fail;
    rc = http_server_start(e, bind, (int)port, (int)threads, &srv, &err);
    if (rc)
        goto fail;

    bool v6 = strchr(bind, ':') != NULL;
    snprintf(url, sizeof url, "http://%s%s%s:%d", v6 ? "[" : "", bind, v6 ? "]" : "",
             http_server_port(srv));
    json_t *o = json_pack("{s:s}", "listening", url);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
        cli_print_line(line);
    free(line);
    json_decref(o);
    if (demo)
        demo_banner(&info, url);

    /* between signals, every SERVE_TRIM_SECONDS the heap's free pages go
     * back to the system (mem.h) */
    for (;;) {
        struct timespec wait = {.tv_sec = SERVE_TRIM_SECONDS};
        int sig = sigtimedwait(&sigs, NULL, &wait);
        if (sig < 0) {
            if (errno == EAGAIN) {
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                bool released = mem_trim();
                clock_gettime(CLOCK_MONOTONIC, &t1);
                log_debug("heap trimmed in %ld us%s",
                          (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
                          released ? "" : ", nothing to release");
            }
            continue;
        }
        if (sig == SIGHUP) {
            reload_all(e);
            continue;
        }
        log_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    }
    goto done;
fail:
    status = cli_fail("serve", &err);
done:
    http_server_stop(srv);
    admin_shutdown();
    embed_provider_close(embed);
    engine_close(e);
    memset(secret, 0, sizeof secret);
    return status;
}
