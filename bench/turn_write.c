/*
 * turn_write.c - the store's cost of writing conversation turns, alone.
 *
 * Writes N turns (session record, two transcript lines, profile, lead) to a
 * fresh SQLite store through store_ops.turns_write, B turns per call (B = 1
 * is one commit per turn, as without group commit; larger B is what the
 * committer does under load), spread over S conversations at a time.  As
 * under bench/chat.lua, a conversation lasts eight turns and is then
 * followed by a new one (new session and buyer rows).  The session and
 * profile records are the dialog's own JSON (session_to_json,
 * profile_to_json) of a conversation like the bench's at its sixth turn,
 * so their size is what the dialog writes.  Prints wall time, turns/s and
 * the process CPU time per turn, which is steadier than wall time on a
 * shared machine.
 *
 *   build/bench/turn_write [turns] [batch] [sessions]     (defaults 20000 32 100)
 *   PROPTALK_SQLITE_SYNC=normal build/bench/turn_write     (no fsync per commit)
 */
#include "dialog/dialog.h"
#include "store/store.h"
#include "util/arena.h"

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

/* The records of a conversation like bench/chat.lua's after its sixth
 * message (purpose, budget, type, area and phone given, five listings
 * shown), in arena a, with their lengths as dialog gives them. */
static void records(arena *a, char **session_json, size_t *session_len, char **profile_json,
                    size_t *profile_len)
{
    static const char *const ids[] = {"DXB-0027", "DXB-0033", "DXB-0022", "DXB-0037", "DXB-0026"};
    static const char *const projects[] = {"Ghaf Residences", "Opal Court", "Layla Heights",
                                           "Opal Court", "Layla Heights"};
    session s;
    profile p;
    session_init(&s, LANG_EN);
    profile_init(&p);
    slots sl;
    slots_init(&sl);
    sl.purpose = PURPOSE_INVESTMENT;
    sl.has_budget_min = sl.has_budget_max = true;
    sl.budget_min = 1800000;
    sl.budget_max = 2200000;
    snprintf(sl.currency, sizeof sl.currency, "AED");
    sl.type = PTYPE_APARTMENT;
    sl.tx = TX_BUY;
    sl.n_locations = 1;
    snprintf(sl.locations[0], sizeof sl.locations[0], "Jumeirah Village Circle");
    s.state = ST_ENGAGEMENT;
    s.slots = sl;
    s.turns = 6;
    s.listings_seen = s.family_homes_seen = 5;
    s.n_shown = 5;
    for (int i = 0; i < 5; i++)
        snprintf(s.shown[i], sizeof s.shown[i], "%s", ids[i]);
    snprintf(s.focus, sizeof s.focus, "%s", ids[0]);
    snprintf(s.phone, sizeof s.phone, "+971504127789");
    s.n_coaching = 2;
    snprintf(s.coaching[0], sizeof s.coaching[0], "investment_yields");
    snprintf(s.coaching[1], sizeof s.coaching[1], "schools_family");
    s.stage = STAGE_DECISION;
    s.engagement = 7.25;
    s.last_coaching_turn = 6;
    p.sessions = 1;
    snprintf(p.last_session, sizeof p.last_session, "bench-0-17");
    p.preferences = sl;
    p.n_viewed = 5;
    for (int i = 0; i < 5; i++)
        snprintf(p.viewed[i], sizeof p.viewed[i], "%s", ids[4 - i]);
    snprintf(p.last_viewed.title, sizeof p.last_viewed.title, "3BR apartment in %s", projects[4]);
    snprintf(p.last_viewed.project, sizeof p.last_viewed.project, "%s", projects[4]);
    snprintf(p.last_viewed.locality, sizeof p.last_viewed.locality, "Jumeirah Village Circle");
    p.n_sentiment = 6;
    snprintf(p.phone, sizeof p.phone, "+971504127789");
    p.engagement_score = 7.25;
    p.intent_to_buy_score = 6.5;
    snprintf(p.temperature, sizeof p.temperature, "warm");
    *session_json = session_to_json_len(&s, a, session_len);
    *profile_json = profile_to_json_len(&p, a, profile_len);
    if (*session_json == NULL || *profile_json == NULL)
        exit(1);
}

int main(int argc, char **argv)
{
    int turns = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20000;
    int batch = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 32;
    int sessions = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 100;
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
    arena a;
    arena_init(&a, 1 << 16);
    char *session_json = NULL, *profile_json = NULL;
    size_t session_len = 0, profile_len = 0;
    records(&a, &session_json, &session_len, &profile_json, &profile_len);
    /* the lead's slots (the answer's form of them) and an answer: sizes as
     * the demo conversation writes them */
    char *slots_json = filler(187, 3);
    const char *user_text = "around 2 million AED, an apartment in JVC please";
    char *assistant_text = filler(600, 4);
    /* the lengths the engine passes with a turn (store_turn): all but the
     * answer's text, which dialog builds without one */
    const char *user_meta = "{\"intent\":\"inform\"}", *assistant_meta = "{\"state\":\"SLOT_FILLING\"}";
    size_t slots_len = strlen(slots_json), user_len = strlen(user_text),
           user_meta_len = strlen(user_meta), assistant_meta_len = strlen(assistant_meta);
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
            /* conversation k of S at a time, in its (turn / 8 / S)th
             * generation; a batch takes them scattered (k strides by 37,
             * or 1 when 37 divides S), as the server's batches hold
             * whichever conversations answered last */
            int turn = done + i, stride = sessions % 37 ? 37 : 1;
            int k = (int)((long long)(turn % sessions) * stride % sessions);
            snprintf(sid[i], sizeof sid[i], "sess-%d-%d", k, turn / sessions / 8);
            leads[i] = (store_lead){.user_id = sid[i], .session_id = sid[i], .language = "en",
                                    .state = "SLOT_FILLING", .temperature = "warm",
                                    .engagement_score = 4.5, .intent_to_buy_score = 6,
                                    .slots_json = slots_json, .slots_json_len = slots_len};
            tw[i] = (store_turn){.tenant = t.id, .session_id = sid[i], .user_id = sid[i],
                                 .session_json = session_json, .session_json_len = session_len,
                                 .user_text = user_text, .user_text_len = user_len,
                                 .user_meta = user_meta, .user_meta_len = user_meta_len,
                                 .assistant_text = assistant_text,
                                 .assistant_meta = assistant_meta,
                                 .assistant_meta_len = assistant_meta_len,
                                 .profile_json = profile_json, .profile_json_len = profile_len,
                                 .lead = &leads[i]};
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
    arena_release(&a);
    free(slots_json);
    free(assistant_text);
    free(tw);
    free(ptrs);
    free(leads);
    free(sid);
    return failed ? 1 : 0;
}
