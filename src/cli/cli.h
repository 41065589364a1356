/*
 * cli.h - the commands of CONTRACT.md §2 and the little they share.
 *
 * main.c holds the table of commands (git's commands[]) and calls one of
 * the cmd_* functions below with the arguments after the program name
 * (argv[0] is the command's name).  Each returns the process exit status:
 * 0 success, 1 failure (message on stderr), 2 bad usage.  Machine output is
 * JSON on stdout, one object per line; people's messages go to stderr.
 *
 * The shared helpers read the environment of §1 (PROPTALK_DATA,
 * PROPTALK_DB, PROPTALK_PACKS), parse options and open the store.  The
 * commands themselves only parse, call modules and print.
 */
#ifndef PT_CLI_H
#define PT_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/types.h"
#include "store/store.h"
#include "util/error.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* The commands.  argv[0] is the command name, argv[1..argc) its arguments;
 * the result is the exit status (CLI_OK, CLI_FAIL, CLI_USAGE).  Each writes
 * its JSON lines to stdout and its messages to stderr. */
int cmd_serve(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_nlu(int argc, char **argv);
int cmd_chat(int argc, char **argv);

/* ---- options ------------------------------------------------------------ */

/* One option: "--name VALUE" / "--name=VALUE" when value is set, or a flag
 * "--name" when flag is set. */
typedef struct cli_opt {
    const char *name;        /* without the dashes: "port" */
    const char **value;      /* out: the value (borrowed from argv) */
    bool *flag;              /* out: set when the flag is given */
} cli_opt;

/* Parses argv[1..argc) (argv[0] is the command) against opts (n of them).
 * Positional arguments go to pos[0..max_pos); *n_pos receives their count.
 * "--" ends the options.  Errors (message in err): an unknown option, a
 * missing value, too many positional arguments: PT_ERR_INVALID. */
int cli_parse(int argc, char **argv, const cli_opt *opts, int n, const char **pos,
              int max_pos, int *n_pos, pt_error *err);

/* An integer option in [min, max].  Returns 0 or -PT_ERR_INVALID with err
 * naming the option. */
int cli_int(const char *opt, const char *s, long min, long max, long *out, pt_error *err);

/* Is s valid UTF-8?  cli_text_ok: and free of control characters (C0 and
 * DEL), for names and ids that end up in answers and JSON. */
bool cli_utf8_ok(const char *s);
bool cli_text_ok(const char *s);

/* ---- environment ---------------------------------------------------------- */

/* PROPTALK_DATA, or "./data". */
const char *cli_data_dir(void);

/* PROPTALK_DB, or "sqlite:<data>/proptalk.db".  Errors: PT_ERR_INVALID
 * when too long for out. */
int cli_db_url(char *out, size_t size, pt_error *err);

/* PROPTALK_PACKS, else ./packs when it exists, else <binary dir>/../packs.
 * Errors: PT_ERR_NOT_FOUND when none of them is a folder. */
int cli_packs_dir(char *out, size_t size, pt_error *err);

/* Opens the store of cli_db_url().  *out is closed with store_close(). */
int cli_store_open(store **out, pt_error *err);

/* Looks a tenant up by slug: PT_ERR_NOT_FOUND reads "tenant \"x\" not found". */
int cli_tenant_find(store *s, const char *slug, tenant *out, pt_error *err);

/* ---- output --------------------------------------------------------------- */

/* Prints "proptalk CMD: MESSAGE" on stderr; returns CLI_FAIL, or CLI_USAGE
 * for PT_ERR_INVALID raised by option parsing when usage is given (then
 * the usage line follows). */
int cli_fail(const char *cmd, const pt_error *err);
int cli_usage(const char *cmd, const pt_error *err, const char *usage);

/* Writes text and a newline to stdout and flushes.  Returns 0, or -1 when
 * stdout fails (a closed pipe). */
int cli_print_line(const char *text);

/* cli_print_line() for a command's result line, after its work is done.
 * When stdout fails, says so on stderr in one line, with `done` (what was
 * done anyway) and the line itself (it may hold a key shown only once),
 * and returns CLI_FAIL; else CLI_OK. */
int cli_print_result(const char *cmd, const char *line, const char *done);

/* The usage lines of the commands, for main's help and for usage errors. */
extern const char cli_usage_serve[], cli_usage_tenant[], cli_usage_user[],
    cli_usage_import[], cli_usage_nlu[], cli_usage_chat[];

#endif
