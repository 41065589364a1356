/*
 * dialog_int.h - private helpers shared by the dialog's files: reply
 * building (reply.c), the director (director.c) and the state machine
 * (fsm.c).
 */
#ifndef PT_DIALOG_INT_H
#define PT_DIALOG_INT_H

#include "dialog/dialog.h"

/* reply.c */
/* Renders the template key in the session language with vars (NULL-ended
 * name/value list) and appends it as a paragraph.  Buttons of the template
 * replace the reply's buttons when take_buttons.  Returns the rendered text
 * (or NULL when the key is missing in every language). */
const char *say(const dialog_env *env, const session *s, reply *r, const char *key,
                const char *const *vars, bool take_buttons);
/* The rendered text of key without appending it. */
const char *word(const dialog_env *env, const session *s, const char *key,
                 const char *const *vars);
/* The language's separator of the items of a list (the pack's list_sep:
 * ", " in English, "، " in Arabic and Persian). */
const char *list_sep(const dialog_env *env, const session *s);
/* A list as stored ("pool;gym;parking", the importer's form) joined with
 * list_sep, every item kept; stored itself when out of memory. */
const char *list_text(const dialog_env *env, const session *s, const char *stored);
/* Does the folded message (msg_len bytes) hold a phrase of cue list key?
 * hits: its pack_cue_scan, which answers for the first PACK_CUE_BITS lists;
 * later lists are searched phrase by phrase. */
bool dialog_cue(const dialog_env *env, uint64_t hits, const char *key, const char *msg,
                size_t msg_len);
/* key_one when n is 1, key_two when n is 2, when the pack has them ("1
 * unit left", "Here is 1 listing", Arabic's dual "غرفتا نوم"), else key: a
 * pack words one or two things apart only where its language needs it. */
const char *count_key(const dialog_env *env, const session *s, const char *key, long n);
void add_button(const dialog_env *env, reply *r, const char *label, const char *data);
/* add_button for a label and data that live as long as the reply (the
 * pack's, the request arena's, literals): kept, not copied. */
void add_button_ref(reply *r, const char *label, const char *data);
void add_reason(reply *r, const char *reason);
void add_action(reply *r, const char *action);
/* "AED 1,850,000" / "₹1.85 Cr" in the arena; rent gets "per year". */
const char *price_text(const dialog_env *env, const session *s, money amount, transaction tx);
/* head (NULL: ""), "\n", then items[0..n) as numbered lines (listing_line)
 * with "\n" between them: what arena_join(a, head, "\n", lines) gives, in
 * one string of the arena built in one pass; the templates are looked up
 * and bound once for all the lines.  NULL when out of memory. */
const char *listing_lines(const dialog_env *env, const session *s, const char *head,
                          const listing *items, int n);
/* "budget AED 1.8M to AED 2.2M, villa, Dubai Marina" */
const char *slots_summary(const dialog_env *env, const session *s);
/* A budget in words, "under ₹40,000 a month": the amounts are per year for
 * a rent (as listing prices are) and shown in period p (PERIOD_MONTH: a
 * twelfth, then the pack's budget_month "{budget} a month"; PERIOD_YEAR:
 * budget_year; PERIOD_NONE: as they are, no period).  In env's arena. */
const char *budget_words(const dialog_env *env, const session *s, bool has_min, money min,
                         bool has_max, money max, rent_period p);
/* budget (already in words) with period p's words around it; budget itself
 * for PERIOD_NONE. */
const char *budget_period_words(const dialog_env *env, const session *s, const char *budget,
                                rent_period p);

/* What snprintf(dst, size, "%s%s", a, b) writes (cut at size - 1 bytes,
 * NUL-terminated; size > 0), without printf: the dialog copies ids and
 * names into fixed fields and builds template keys on every turn. */
void dialog_cat(char *dst, size_t size, const char *a, const char *b);
/* snprintf(dst, size, "%s", src) */
static inline void dialog_copy(char *dst, size_t size, const char *src)
{
    dialog_cat(dst, size, src, "");
}
/* snprintf(buf, 16, "%d", v); returns buf */
const char *dialog_int_text(char buf[16], int v);
/* strcasestr(hay, needle) != NULL (in the C locale: ASCII letters fold),
 * hay's length hl known: the dialog looks for several names in a message. */
bool dialog_has_casei(const char *hay, size_t hl, const char *needle);
/* parts[0..n) with sep between them in a (a NULL part is empty), what
 * joining them one by one with arena_join gives, in one allocation; parts[0]
 * itself when n == 1, "" when n == 0; NULL when out of memory. */
const char *dialog_join(arena *a, const char *const *parts, int n, const char *sep);
/* snprintf(buf, 24, "%lld", v); returns buf */
const char *dialog_lld_text(char buf[24], long long v);

/* director.c */
void director_update(const dialog_env *env, session *s, profile *p, const nlu_result *n, reply *r);
void director_urgency(const dialog_env *env, const session *s, const listing *items, int n, reply *r);

/* market.c: market questions, answered from env->localities */
typedef enum market_kind {
    MK_NONE = 0, MK_CHEAPER, MK_BETTER, MK_COMPARE, MK_AREA, MK_EMERGING
} market_kind;
/* The message folded as the cue lists are, and its pack_cue_scan: made
 * once a turn (fsm.c) for every cue question asked of it. */
typedef struct dialog_msg {
    const char *folded;
    size_t len;
    uint64_t hits;
} dialog_msg;
/* The market question of the message (or of a "market:..." button).  m:
 * the message folded and scanned, or NULL (folded here). */
market_kind market_kind_of(const dialog_env *env, const session *s, const nlu_result *n,
                           const char *callback_data, const dialog_msg *m);
/* Appends the answers (text and "loc:" buttons) to r.  tx: the figures of
 * which transaction.  0, or NOMEM. */
int market_answer_compare(const dialog_env *env, const session *s, reply *r, transaction tx,
                          const char *a, const char *b);
int market_answer_area(const dialog_env *env, const session *s, reply *r, transaction tx,
                       const char *locality);
int market_answer_emerging(const dialog_env *env, const session *s, reply *r, transaction tx,
                           money budget);

#endif
