/*
 * chat_turns.c - the engine's cost of a conversation turn, without HTTP.
 *
 * Loads the demo tenants into a fresh SQLite store and plays C whole
 * conversations of bench/chat.lua's eight messages (greeting, purpose,
 * budget, type, area, phone, two questions about the listings shown) with
 * dubai-demo through engine_chat, one thread, each turn committed before the
 * next.  Prints the process CPU time per turn (committer thread included),
 * which, unlike wall time, hardly moves with other work on the machine; run
 * it under `valgrind --tool=callgrind` for an instruction count that does
 * not move at all.
 *
 *   build/bench/chat_turns [conversations]            (default 500)
 *   PROPTALK_SQLITE_SYNC=normal build/bench/chat_turns (no fsync per commit)
 */
#include "demo/demo.h"
#include "engine/engine.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char *const script[] = {
    "hi",
    "I am looking to invest",
    "around 2 million AED",
    "an apartment",
    "JVC",
    "+971 50 412 7789",
    "how much is the first one?",
    "does it have a pool?",
};
#define SCRIPT_LEN (int)(sizeof script / sizeof script[0])

/* Plays conversations [from, to); returns the failed turns. */
static int play(engine *e, const char *key, int from, int to)
{
    int failed = 0;
    for (int c = from; c < to; c++) {
        char sid[32];
        snprintf(sid, sizeof sid, "bench-%d", c);
        for (int i = 0; i < SCRIPT_LEN; i++) {
            arena a;
            arena_init(&a, 16u << 20);
            chat_request req = {.query = script[i], .session_id = sid, .user_id = sid};
            char *json = NULL;
            pt_error err = {0};
            if (engine_chat(e, key, &req, &a, &json, &err) != 0) {
                if (failed++ == 0)
                    fprintf(stderr, "turn %d of %s: %s\n", i + 1, sid, err.msg);
            }
            arena_release(&a);
        }
    }
    return failed;
}

int main(int argc, char **argv)
{
    int convs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 500;
    if (convs <= 0) {
        fprintf(stderr, "usage: chat_turns [conversations]\n");
        return 2;
    }
    char dir[] = "/tmp/pt-chat-turns-XXXXXX", url[128], cmd[160];
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(url, sizeof url, "sqlite:%s/proptalk.db", dir);
    pt_error err = {0};
    store *s = NULL;
    demo_info info;
    engine *e = NULL;
    int rc = 1;
    if (store_open(url, &s, &err) != 0 || demo_load(s, "bench-secret", time(NULL), &info, &err) != 0) {
        fprintf(stderr, "demo: %s\n", err.msg);
        goto done;
    }
    store_close(s);
    s = NULL;
    const char *key = NULL;
    for (int i = 0; i < info.n_tenants; i++)
        if (strcmp(info.tenants[i].slug, "dubai-demo") == 0)
            key = info.tenants[i].api_key;
    engine_config cfg = {.db_url = url, .packs_dir = "packs", .store_handles = 2};
    if (key == NULL || engine_open(&cfg, &e, &err) != 0) {
        fprintf(stderr, "engine: %s\n", key ? err.msg : "no dubai-demo tenant");
        goto done;
    }
    int warm = convs / 10 + 1;
    if (play(e, key, 0, warm) != 0)
        goto done;
    double t0 = now_s(), c0 = cpu_s();
    int failed = play(e, key, warm, warm + convs);
    double wall = now_s() - t0, cpu = cpu_s() - c0;
    int turns = convs * SCRIPT_LEN;
    printf("{\"conversations\": %d, \"turns\": %d, \"failed\": %d, \"wall_s\": %.3f, "
           "\"turns_per_s\": %.0f, \"cpu_us_per_turn\": %.1f}\n",
           convs, turns, failed, wall, turns / wall, cpu * 1e6 / turns);
    rc = failed != 0;
done:
    engine_close(e);
    store_close(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = 1;
    return rc;
}
