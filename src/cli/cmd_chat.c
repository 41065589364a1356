/*
 * cmd_chat.c - `proptalk chat --tenant SLUG [--user ID]`: a conversation
 * with the assistant in the terminal, through the same engine turn as the
 * HTTP channel (engine_chat_slug).  Prints the answer (which names the
 * listings it shows) and its buttons numbered "[1] Investment"; typing a button's number
 * presses it (sends its data as callback_data).  /quit or end of input
 * leaves.  The session id is new for every run; the user id defaults to
 * "cli-<login name>" so a returning user is recognised.  A message that
 * could not be sent or answered is reported on stderr, the conversation
 * goes on, and the exit status is then 1.
 */
#include "cli/cli.h"

#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "engine/engine.h"
#include "util/arena.h"

const char cli_usage_chat[] = "chat --tenant SLUG [--user ID]";

#define CHAT_LINE_MAX 4096
#define CHAT_BUTTONS_MAX 16

typedef struct buttons {
    int n;
    char data[CHAT_BUTTONS_MAX][512];
} buttons;

/* Prints one answer and keeps its buttons for the next input. */
static void show_answer(const char *json, buttons *bt)
{
    json_error_t jerr;
    json_t *o = json_loads(json, 0, &jerr);
    bt->n = 0;
    if (o == NULL) {
        printf("%s\n", json);
        return;
    }
    const char *answer = json_string_value(json_object_get(o, "answer"));
    printf("\n%s\n", answer ? answer : "");
    size_t i;
    json_t *btns = json_object_get(o, "buttons"), *b;
    json_array_foreach(btns, i, b) {
        const char *label = json_string_value(json_object_get(b, "label"));
        const char *data = json_string_value(json_object_get(b, "data"));
        if (bt->n >= CHAT_BUTTONS_MAX || label == NULL || data == NULL)
            continue;
        snprintf(bt->data[bt->n], sizeof bt->data[bt->n], "%s", data);
        printf("  [%d] %s\n", ++bt->n, label);
    }
    json_decref(o);
}

/* The button pressed when line is a number in range, else NULL. */
static const char *button_for(const char *line, const buttons *bt)
{
    char *end = NULL;
    long k = strtol(line, &end, 10);
    if (end == line || *end != '\0' || k < 1 || k > bt->n)
        return NULL;
    return bt->data[k - 1];
}

int cmd_chat(int argc, char **argv)
{
    int rc = 0, status = CLI_OK, failed = 0;   /* failed: messages not answered */
    pt_error err = {0};
    const char *slug = NULL, *user = NULL;
    const char *pos[1];
    int n_pos = 0;
    const cli_opt opts[] = {{"tenant", &slug, NULL}, {"user", &user, NULL}};
    char db_url[PATH_MAX + 16], packs[PATH_MAX], session[40], user_buf[96];
    char line[CHAT_LINE_MAX + 2];
    engine *e = NULL;
    buttons *bt = NULL;
    tenant t;
    arena a;

    arena_init(&a, 0);
    rc = cli_parse(argc, argv, opts, 2, pos, 0, &n_pos, &err);
    if (rc == 0 && slug == NULL)
        rc = pt_fail(&err, PT_ERR_INVALID, "--tenant is required");
    /* checked once here: every turn would fail on it */
    if (rc == 0 && user && (!engine_id_valid(user) || !cli_utf8_ok(user)))
        rc = pt_fail(&err, PT_ERR_INVALID, "--user must be 1 to 128 bytes of UTF-8 without "
                     "control characters");
    if (rc) {
        status = cli_usage("chat", &err, cli_usage_chat);
        goto done;
    }
    if (sodium_init() < 0) {
        rc = pt_fail(&err, PT_ERR_INTERNAL, "libsodium failed to initialise");
        goto fail;
    }
    bt = calloc(1, sizeof *bt);
    if (bt == NULL) {
        rc = pt_fail(&err, PT_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((rc = cli_db_url(db_url, sizeof db_url, &err)) ||
        (rc = cli_packs_dir(packs, sizeof packs, &err)))
        goto fail;
    engine_config cfg = {0};
    cfg.db_url = db_url;
    cfg.packs_dir = packs;
    cfg.store_handles = 2;
    rc = engine_open(&cfg, &e, &err);
    if (rc)
        goto fail;
    store *s = engine_store_get(e);
    rc = cli_tenant_find(s, slug, &t, &err);
    engine_store_put(e, s);
    if (rc)
        goto fail;

    unsigned char rnd[8];
    randombytes_buf(rnd, sizeof rnd);
    memcpy(session, "cli-", 4);
    sodium_bin2hex(session + 4, sizeof session - 4, rnd, sizeof rnd);
    if (user == NULL) {
        const char *login = getenv("USER");
        struct passwd *pw = login ? NULL : getpwuid(getuid());
        if (login == NULL)
            login = pw ? pw->pw_name : "user";
        snprintf(user_buf, sizeof user_buf, "cli-%s", login);
        user = user_buf;
    }
    bool tty = isatty(STDIN_FILENO);
    if (tty)
        fprintf(stderr, "chatting with %s as %s (/quit to leave; a number presses a button)\n",
                t.name, user);
    for (;;) {
        if (tty) {
            fputs("\n> ", stdout);
            fflush(stdout);
        }
        if (fgets(line, sizeof line, stdin) == NULL)
            break;
        size_t n = strlen(line);
        if (n > CHAT_LINE_MAX && line[n - 1] != '\n') {
            int c;   /* a line past the cap: not sent cut short; the rest skipped */
            while ((c = getchar()) != EOF && c != '\n')
                ;
            fprintf(stderr, "proptalk chat: a message is at most %d bytes; that one was not sent\n",
                    CHAT_LINE_MAX);
            failed++;
            continue;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (strcmp(line, "/quit") == 0 || strcmp(line, "/exit") == 0)
            break;
        if (n == 0)
            continue;
        chat_request req = {0};
        req.session_id = session;
        req.user_id = user;
        req.channel = "cli";
        req.callback_data = button_for(line, bt);
        req.query = req.callback_data ? "" : line;
        char *json = NULL;
        pt_error e2 = {0};
        if (engine_chat_slug(e, t.slug, &req, &a, &json, &e2) != 0) {
            fprintf(stderr, "proptalk chat: %s\n", e2.msg);
            failed++;
        } else
            show_answer(json, bt);
        fflush(stdout);
        arena_release(&a);
    }
    /* a script piping messages in learns that some were not answered */
    if (failed > 0)
        status = CLI_FAIL;
    goto done;
fail:
    status = cli_fail("chat", &err);
done:
    arena_release(&a);
    engine_close(e);
    free(bt);
    return status;
}
