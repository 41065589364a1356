/*
 * turn_write.c - the store's cost of writing conversation turns, alone.
 *
 * Writes N turns of realistic size (session record, two transcript lines,
 * profile, lead) to a fresh SQLite store through store_ops.turns_write, B
 * turns per call (B = 1 is one commit per turn, as without group commit;
 * larger B is what the committer does under load), spread over S sessions.
 * Prints wall time, turns/s and the process CPU time per turn, which is
 * steadier than wall time on a shared machine.
 *
 *   build/bench/turn_write [turns] [batch] [sessions]     (defaults 20000 32 2000)
 *   PROPTALK_SQLITE_SYNC=normal build/bench/turn_write     (no fsync per commit)
 */
#include "store/store.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* A JSON-ish text of about n bytes (the size is what matters to the store). */
static char *filler(size_t n, int seed)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        exit(1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + (i * 7 + (size_t)seed) % 26);
    s[0] = '{';
    s[n - 1] = '}';
    s[n] = '\0';
    return s;
}

int main(int argc, char **argv)
{
    int turns = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000;
    int batch = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 32;
    int sessions = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2000;
    if (turns <= 0 || batch <= 0 || batch > 4096 || sessions <= 0) {
        fprintf(stderr, "usage: turn_write [turns] [batch 1..4096] [sessions]\n");
        return 2;
    }
    char dir[] = "/tmp/pt-turn-write-XXXXXX", url[128];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(url, sizeof url, "sqlite:%s/bench.db", dir);
    store *s = NULL;
    pt_error err = {0};
    if (store_open(url, &s, &err)) {
        fprintf(stderr, "open: %s\n", err.msg);
        return 1;
    }
    tenant t;
    memset(&t, 0, sizeof t);
    snprintf(t.slug, sizeof t.slug, "bench");
    if (s->ops->tenant_create(s, &t, "bench-key", &err)) {
        fprintf(stderr, "tenant: %s\n", err.msg);
        return 1;
    }
    /* sizes as the demo conversation writes them */
    char *session_json = filler(1300, 1), *profile_json = filler(1800, 2), *slots_json = filler(200, 3);
    const char *user_text = "around 2 million AED, an apartment in JVC please";
    char *assistant_text = filler(600, 4);
    store_turn *tw = calloc((size_t)batch, sizeof *tw);
    store_turn **ptrs = calloc((size_t)batch, sizeof *ptrs);
    store_lead *leads = calloc((size_t)batch, sizeof *leads);
    char (*sid)[32] = calloc((size_t)batch, sizeof *sid);
    if (tw == NULL || ptrs == NULL || leads == NULL || sid == NULL)
        return 1;

    double w0 = now_s(), c0 = cpu_s();
    int done = 0, failed = 0;
    while (done < turns) {
        int n = turns - done < batch ? turns - done : batch;
        for (int i = 0; i < n; i++) {
            snprintf(sid[i], sizeof sid[i], "sess-%d", (done + i) % sessions);
            leads[i] = (store_lead){.user_id = sid[i], .session_id = sid[i], .language = "en",
                                    .state = "SLOT_FILLING", .temperature = "warm",
                                    .engagement_score = 4.5, .intent_to_buy_score = 6,
                                    .slots_json = slots_json};
            tw[i] = (store_turn){.tenant = t.id, .session_id = sid[i], .user_id = sid[i],
                                 .session_json = session_json, .user_text = user_text,
                                 .user_meta = "{\"intent\":\"inform\"}",
                                 .assistant_text = assistant_text,
                                 .assistant_meta = "{\"state\":\"SLOT_FILLING\"}",
                                 .profile_json = profile_json, .lead = &leads[i]};
            ptrs[i] = &tw[i];
        }
        if (s->ops->turns_write(s, ptrs, n, &err)) {
            fprintf(stderr, "write: %s\n", err.msg);
            return 1;
        }
        for (int i = 0; i < n; i++)
            failed += tw[i].rc != 0;
        done += n;
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    printf("{\"turns\": %d, \"batch\": %d, \"sessions\": %d, \"failed\": %d, \"wall_s\": %.3f,"
           " \"turns_per_s\": %.0f, \"cpu_us_per_turn\": %.1f}\n",
           turns, batch, sessions, failed, wall, turns / wall, cpu * 1e6 / turns);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    free(session_json);
    free(profile_json);
    free(slots_json);
    free(assistant_text);
    free(tw);
    free(ptrs);
    free(leads);
    free(sid);
    return failed ? 1 : 0;
}
