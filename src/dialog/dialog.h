/*
 * dialog.h - the sales conversation: a nine-state machine (CONTRACT.md §5),
 * slot filling, the conversation director (stage, engagement, coaching,
 * urgency) and lead scoring.
 *
 * The dialog is pure decision-making over data it is given: the session and
 * profile (loaded by the engine), the NLU result of the message, the
 * tenant's pack, and read-only store access for search and free agent slots.
 * It writes nothing; what must be written (the booking) comes back in the
 * reply as a request, and the engine performs it inside the turn's
 * transaction, calling dialog_booking_failed() when the slot was taken.
 *
 * Every decision is logged in the reply's "reasons" so a person can see why
 * the bot said what it said and why a lead scored what it scored.
 */
#ifndef PT_DIALOG_H
#define PT_DIALOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/types.h"
#include "nlu/nlu.h"
#include "pack/pack.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/error.h"

/* X-macro: state enum and its contract name. */
#define DIALOG_STATES(X)                              \
    X(ST_START, "START")                              \
    X(ST_WARMUP, "WARMUP")                            \
    X(ST_SLOT_FILLING, "SLOT_FILLING")                \
    X(ST_VALUE_PROPOSITION, "VALUE_PROPOSITION")      \
    X(ST_HARD_GATE, "HARD_GATE")                      \
    X(ST_ENGAGEMENT, "ENGAGEMENT")                    \
    X(ST_HANDOFF_SCHEDULE, "HANDOFF_SCHEDULE")        \
    X(ST_COMPLETED, "COMPLETED")                      \
    X(ST_HUMAN_HANDOFF, "HUMAN_HANDOFF")

typedef enum dialog_state {
#define X(e, s) e,
    DIALOG_STATES(X)
#undef X
    ST__COUNT
} dialog_state;

#define DIALOG_PENDING(X)                  \
    X(PEND_NONE, NULL)                     \
    X(PEND_PURPOSE, "purpose")             \
    X(PEND_BUDGET, "budget")               \
    X(PEND_PROPERTY_TYPE, "property_type") \
    X(PEND_TRANSACTION, "transaction")     \
    X(PEND_BEDROOMS, "bedrooms")           \
    X(PEND_LOCATION, "location")           \
    X(PEND_PHONE, "phone")                 \
    X(PEND_APPOINTMENT, "appointment")

typedef enum pending_slot {
#define X(e, s) e,
    DIALOG_PENDING(X)
#undef X
    PEND__COUNT
} pending_slot;

const char *dialog_state_name(dialog_state s);
int dialog_state_from_name(const char *s);        /* -1 if unknown */
const char *pending_slot_name(pending_slot p);    /* NULL for PEND_NONE */
int pending_slot_from_name(const char *s);        /* PEND_NONE if unknown */

typedef enum buyer_stage { STAGE_AWARENESS = 0, STAGE_CONSIDERATION, STAGE_DECISION } buyer_stage;
const char *buyer_stage_name(buyer_stage s);

#define DIALOG_MAX_SHOWN 5
#define DIALOG_MAX_OFFERED 4
#define DIALOG_MAX_COACHING 16
#define DIALOG_MAX_RULED_OUT 8
#define DIALOG_ID_LEN 64

/* One conversation (persisted as JSON by the engine between turns). */
typedef struct session {
    dialog_state state;
    pending_slot pending;
    slots slots;
    lang language;
    int turns;                    /* buyer messages so far */
    int human_requests;
    int frustration;              /* accumulated 0..10 */
    int zombie_repeats;           /* unrelated answers to the current prompt */
    int listings_seen;            /* listings shown in this session */
    int family_homes_seen;
    int questions;                /* questions about listings */
    int n_shown;
    char shown[DIALOG_MAX_SHOWN][DIALOG_ID_LEN];   /* last shown listing ids, best first */
    char focus[DIALOG_ID_LEN];    /* the listing "it" refers to */
    char phone[20];
    char want_when[20];           /* requested visit time waiting for a phone */
    bool want_when_has_time;
    bool want_visit;              /* asked to schedule before giving a phone */
    bool location_any;            /* the buyer said any area is fine */
    int n_ruled_out;
    char ruled_out[DIALOG_MAX_RULED_OUT][64];   /* areas the buyer ruled out, kept out of
                                                 every search until named again */
    int n_offered;
    int64_t offered[DIALOG_MAX_OFFERED];   /* slot ids offered as buttons */
    int64_t appointment_id;
    char appointment_when[64];
    char appointment_agent[64];
    int n_coaching;
    char coaching[DIALOG_MAX_COACHING][32];  /* rule ids already shown */
    char last_question[160];       /* normalised fingerprint of the last question */
    int objections_price, objections_location, objections_trust;
    buyer_stage stage;
    double engagement;            /* 0..10 */
    bool welcomed_back;
    int last_coaching_turn;       /* turn of the last coaching prompt */
    bool phone_from_profile;      /* phone is the profile's (a validated number of an
                                     earlier session), not typed in this one */
    bool phone_on_file_said;      /* "I have your number ending in 89" was said */
    bool offer_continue;          /* a returning buyer was offered their last search
                                     (action:continue / action:fresh, yes / no) */
} session;

/* The buyer across sessions (persisted as JSON). */
#define PROFILE_MAX_VIEWED 20
#define PROFILE_MAX_SENTIMENT 20
typedef struct profile {
    int sessions;                 /* distinct sessions seen */
    char last_session[DIALOG_ID_LEN];
    slots preferences;
    int n_viewed;
    char viewed[PROFILE_MAX_VIEWED][DIALOG_ID_LEN];   /* listing ids, most recent first */
    struct {
        char title[96];
        char project[64];
        char locality[64];
    } last_viewed;                /* viewed[0]'s names, for the welcome back */
    int objections_price, objections_location, objections_trust;
    int n_sentiment;
    signed char sentiment[PROFILE_MAX_SENTIMENT];   /* -1, 0, 1 per message, newest last */
    char phone[20];
    double engagement_score, intent_to_buy_score;
    char temperature[8];
    int appointments;
    int language;                 /* lang of the buyer's last sure message; -1: not known */
} profile;

void session_init(session *s, lang default_lang);
void profile_init(profile *p);
/* JSON round trip.  *_from_json leaves defaults for missing/invalid fields
 * (a corrupted row gives a fresh conversation, never a crash). */
char *session_to_json(const session *s, arena *a);
/* session_to_json and profile_to_json, with *len (out, may be NULL) the
 * record's length (strlen's; 0 when not known): the store need not
 * measure it again (store_turn). */
char *session_to_json_len(const session *s, arena *a, size_t *len);
char *profile_to_json_len(const profile *p, arena *a, size_t *len);
/* The qualification slots as a JSON object (the "slots" of the answer). */
struct jsonw;
void dialog_slots_write(struct jsonw *w, const slots *sl);
void session_from_json(session *s, const char *json);
char *profile_to_json(const profile *p, arena *a);
void profile_from_json(profile *p, const char *json);

/* What the dialog needs from the tenant and the world for one turn. */
typedef struct dialog_env {
    const tenant *tenant;
    const pack *pack;
    store *store;                 /* read-only use: search, free slots */
    const char *session_id;
    const char *user_id;
    time_t now;
    arena *arena;
    /* the tenant's localities with their numbers, as loaded (read-only) */
    const store_locality_stats *localities;
    int n_localities;
    /* listing ids most similar to the buyer's words (embeddings provider),
     * best first, fused into the search ranking; NULL: none */
    const char *const *semantic_ids;
    int n_semantic;
    /* decoded listings kept across turns (store/listing_cache.h); NULL:
     * every read goes to the store */
    struct listing_cache *listings;
} dialog_env;

#define REPLY_MAX_BUTTONS 8
#define REPLY_MAX_REASONS 16

typedef struct reply {
    const char *text;             /* paragraphs joined with blank lines: the request's arena,
                                   * or a template's text in the pack (which outlives the turn) */
    int n_buttons;
    pack_button buttons[REPLY_MAX_BUTTONS];
    int n_sources;
    listing sources[DIALOG_MAX_SHOWN];
    int n_actions;
    const char *actions[4];       /* suggested_actions */
    int n_reasons;
    const char *reasons[REPLY_MAX_REASONS];   /* lead-score reasons */
    int64_t book_slot;            /* > 0: the engine must book this slot */
    const char *book_listing;     /* listing the viewing is for, or NULL */
    const char *book_when;        /* display text of the slot */
    const char *book_agent;
    bool no_coaching;             /* the answer stands alone: no coaching tip this turn */
} reply;

/* Runs one buyer turn.  s and p are updated in place; *r is filled (arena).
 * callback_data: a button's data or NULL.  Errors: store errors, NOMEM. */
int dialog_turn(const dialog_env *env, session *s, profile *p, const nlu_result *n,
                const char *callback_data, reply *r, pt_error *err);

/* The engine could not book r->book_slot (someone else took it): rewrites
 * the reply with fresh free slots, inside the same turn. */
int dialog_booking_failed(const dialog_env *env, session *s, reply *r, pt_error *err);

/* The booking succeeded: records it in the session. */
void dialog_booking_done(session *s, profile *p, const reply *r, int64_t appointment_id);

/* f kept within 0..10, the range of session.frustration and of the answer's
 * sentiment.frustration (CONTRACT.md §5): after each turn's sum, after a
 * repeated question's +2, and in the answer, whatever an older record holds.
 * The one place the cap is written. */
int dialog_frustration_cap(int f);

/* Lead scores (0..10) and temperature from the session and profile, with
 * reasons appended to r (may be NULL).  See docs/lead-scoring.md. */
void lead_score(const session *s, profile *p, reply *r);

#endif
