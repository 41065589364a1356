/*
 * main.c - the proptalk binary: a table of commands (after git's
 * commands[]) and nothing else.  Each command lives in src/cli/; this file
 * only finds it, and prints help.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
    const char *summary;
} command;

static const command commands[] = {
    {"serve", cmd_serve, cli_usage_serve, "run the HTTP API"},
    {"tenant", cmd_tenant, cli_usage_tenant, "create a tenant and its API key"},
    {"user", cmd_user, cli_usage_user, "create an admin or agent login"},
    {"import", cmd_import, cli_usage_import, "load listings (CSV, JSON, RESO)"},
    {"nlu", cmd_nlu, cli_usage_nlu, "analyse messages from stdin, one per line"},
    {"chat", cmd_chat, cli_usage_chat, "talk to the assistant in the terminal"},
};

static void help(FILE *out)
{
    fprintf(out, "usage: proptalk COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n           proptalk %s\n", commands[i].name, commands[i].summary,
                commands[i].usage);
    fprintf(out, "\nenvironment (README.md): PROPTALK_DATA, PROPTALK_DB, PROPTALK_SECRET,\n"
                 "  PROPTALK_PACKS, PROPTALK_LOG, PROPTALK_SQLITE_SYNC, PROPTALK_LLM_URL,\n"
                 "  PROPTALK_LLM_KEY, PROPTALK_LLM_MODEL, PROPTALK_EMBED_MODEL,\n"
                 "  PROPTALK_EMBED_CACHE_MB\n");
}

int main(int argc, char **argv)
{
    /* info lines are for the server's log; a command that succeeds is quiet */
    log_init_default(argc >= 2 && strcmp(argv[1], "serve") == 0 ? LOG_INFO : LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        help(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        help(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        for (int k = 2; k < argc && strcmp(argv[k], "--") != 0; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                printf("usage: proptalk %s\n", commands[i].usage);
                return CLI_OK;
            }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "proptalk: unknown command \"%s\" (see proptalk help)\n", name);
    return CLI_USAGE;
}
