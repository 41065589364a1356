/*
 * session.c - the session and profile records and their JSON form.
 *
 * The JSON is the dialog's own format; the store keeps it as an opaque
 * text.  Reading is forgiving by design: a missing or malformed field keeps
 * its default, so an old or damaged row never crashes a turn.
 */
#include "dialog/dialog.h"

#include "util/buf.h"
#include "util/jsonw.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static const char *const state_names[] = {
#define X(e, s) s,
    DIALOG_STATES(X)
#undef X
};
static const char *const pending_names[] = {
#define X(e, s) s,
    DIALOG_PENDING(X)
#undef X
};
static const char *const stage_names[] = {"awareness", "consideration", "decision"};

const char *dialog_state_name(dialog_state s)
{
    return (s >= 0 && s < ST__COUNT) ? state_names[s] : "START";
}

int dialog_state_from_name(const char *s)
{
    for (int i = 0; s && i < ST__COUNT; i++)
        if (strcmp(state_names[i], s) == 0)
            return i;
    return -1;
}

const char *pending_slot_name(pending_slot p)
{
    return (p > 0 && p < PEND__COUNT) ? pending_names[p] : NULL;
}

int pending_slot_from_name(const char *s)
{
    for (int i = 1; s && i < PEND__COUNT; i++)
        if (strcmp(pending_names[i], s) == 0)
            return i;
    return PEND_NONE;
}

const char *buyer_stage_name(buyer_stage s)
{
    return (s >= 0 && s <= STAGE_DECISION) ? stage_names[s] : "awareness";
}

void session_init(session *s, lang default_lang)
{
    memset(s, 0, sizeof *s);
    slots_init(&s->slots);
    s->state = ST_START;
    s->language = default_lang;
}

void profile_init(profile *p)
{
    memset(p, 0, sizeof *p);
    slots_init(&p->preferences);
    snprintf(p->temperature, sizeof p->temperature, "cold");
    p->language = -1;
}

/* ---- slots ------------------------------------------------------------ */

void dialog_slots_write(jsonw *w, const slots *sl)
{
    jw_obj(w);
    jw_kstr(w, "purpose", purpose_name(sl->purpose));
    jw_kint_or_null(w, "budget_min", sl->has_budget_min, sl->budget_min);
    jw_kint_or_null(w, "budget_max", sl->has_budget_max, sl->budget_max);
    jw_kstr(w, "currency", sl->currency[0] ? sl->currency : NULL);
    /* a rent's budget is per year, as listing rents; the period the buyer
     * speaks in, only when there is one */
    if (period_name(sl->budget_period))
        jw_kstr(w, "budget_period", period_name(sl->budget_period));
    jw_kstr(w, "property_type", ptype_name(sl->type));
    jw_kstr(w, "transaction", tx_name(sl->tx));
    jw_kint_or_null(w, "bedrooms", sl->bedrooms >= 0, sl->bedrooms);
    jw_key(w, "locations");
    jw_arr(w);
    for (int i = 0; i < sl->n_locations; i++)
        jw_str(w, sl->locations[i]);
    jw_end(w);
    jw_end(w);
}

static void copy_str(char *dst, size_t size, json_t *v)
{
    const char *s = json_string_value(v);
    if (s)
        snprintf(dst, size, "%s", s);
}

static void slots_from_json(slots *sl, json_t *o)
{
    slots_init(sl);
    if (!json_is_object(o))
        return;
    sl->purpose = purpose_from_name(json_string_value(json_object_get(o, "purpose")));
    json_t *v = json_object_get(o, "budget_min");
    if (json_is_integer(v)) {
        sl->has_budget_min = true;
        sl->budget_min = json_integer_value(v);
    }
    v = json_object_get(o, "budget_max");
    if (json_is_integer(v)) {
        sl->has_budget_max = true;
        sl->budget_max = json_integer_value(v);
    }
    copy_str(sl->currency, sizeof sl->currency, json_object_get(o, "currency"));
    sl->budget_period = period_from_name(json_string_value(json_object_get(o, "budget_period")));
    sl->type = ptype_from_name(json_string_value(json_object_get(o, "property_type")));
    sl->tx = tx_from_name(json_string_value(json_object_get(o, "transaction")));
    v = json_object_get(o, "bedrooms");
    if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 50)
        sl->bedrooms = (int)json_integer_value(v);
    json_t *locs = json_object_get(o, "locations");
    size_t i;
    json_t *it;
    json_array_foreach(locs, i, it) {
        if (sl->n_locations >= 4 || !json_is_string(it))
            break;
        copy_str(sl->locations[sl->n_locations++], sizeof sl->locations[0], it);
    }
}

static int geti(json_t *o, const char *k, int def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static double getd(json_t *o, const char *k, double def)
{
    json_t *v = json_object_get(o, k);
    return json_is_number(v) ? json_number_value(v) : def;
}

/* ---- session ---------------------------------------------------------- */

/*
 * The stored records leave out every member whose value is the one its
 * reader gives a missing member (0, false, "", null, [], and the few named
 * defaults: state START, stage awareness, temperature "cold"), so that a
 * record is about a third smaller (fewer pages for the store to write per
 * turn) and means the same: *_from_json read a record with all members (as
 * written before 2026-11-21) and its compact form into the same struct.
 * "v" and "language" are always written (a missing language means the
 * tenant's default, which the record cannot know).  A real is left out
 * only when it is +0.0 (a -0.0 keeps its sign).  The answer's "slots" are
 * written by dialog_slots_write, which keeps every member.
 */
#define REC_INT(w, k, v) do { if ((v) != 0) jw_kint((w), k, (v)); } while (0)
#define REC_STR(w, k, s) do { if ((s) != NULL && (s)[0]) jw_kstr((w), k, (s)); } while (0)
#define REC_TRUE(w, k, v) do { if (v) jw_kbool((w), k, true); } while (0)
#define REC_REAL(w, k, v) do { if ((v) != 0 || signbit(v)) jw_kreal((w), k, (v)); } while (0)

/* Member k (JW_LIT's key text and length): the n strings of a
 * char[n][stride] array, left out when n is 0.  REC_STRINGS(w, "key",
 * array, n) passes them. */
static void rec_strings(jsonw *w, const char *lit, size_t lit_len, const char *first,
                        size_t stride, int n)
{
    if (n <= 0)
        return;
    jw_key_lit(w, lit, lit_len);
    jw_arr(w);
    for (int i = 0; i < n; i++)
        jw_str(w, first + (size_t)i * stride);
    jw_end(w);
}
#define REC_STRINGS(w, k, arr, n) rec_strings((w), JW_LIT(k), (arr)[0], sizeof (arr)[0], (n))

/* Member k: the first n integers of arr (any integer type), left out when n
 * is 0. */
#define REC_INTS(w, k, arr, n)                     \
    do {                                           \
        if ((n) > 0) {                             \
            jw_key((w), k);                        \
            jw_arr(w);                             \
            for (int i_ = 0; i_ < (n); i_++)       \
                jw_int((w), (arr)[i_]);            \
            jw_end(w);                             \
        }                                          \
    } while (0)

/* The slots of a stored record (slots_from_json reads them). */
static void record_slots_write(jsonw *w, const slots *sl)
{
    jw_obj(w);
    REC_STR(w, "purpose", purpose_name(sl->purpose));
    if (sl->has_budget_min)
        jw_kint(w, "budget_min", sl->budget_min);
    if (sl->has_budget_max)
        jw_kint(w, "budget_max", sl->budget_max);
    REC_STR(w, "currency", sl->currency);
    REC_STR(w, "budget_period", period_name(sl->budget_period));
    REC_STR(w, "property_type", ptype_name(sl->type));
    REC_STR(w, "transaction", tx_name(sl->tx));
    if (sl->bedrooms >= 0)
        jw_kint(w, "bedrooms", sl->bedrooms);
    if (sl->n_locations > 0) {
        jw_key(w, "locations");
        jw_arr(w);
        for (int i = 0; i < sl->n_locations; i++)
            jw_str(w, sl->locations[i]);
        jw_end(w);
    }
    jw_end(w);
}

/* The record w wrote in place into b (in a), and *len its length when
 * asked (strlen's: a record holds no NUL; 0 when not known). */
static char *record_finish(jsonw *w, const buf *b, arena *a, size_t *len)
{
    char *out = jw_finish_to_arena(w, a);
    if (len)
        *len = out && out == b->data ? b->len : 0;
    return out;
}

char *session_to_json(const session *s, arena *a)
{
    return session_to_json_len(s, a, NULL);
}

char *session_to_json_len(const session *s, arena *a, size_t *len)
{
    buf b;
    jsonw w;
    jw_init_arena(&w, &b, a, 2048);   /* a typical record: no regrowth, no copy */
    jw_obj(&w);
    jw_kint(&w, "v", 1);
    if (s->state != ST_START)
        jw_kstr(&w, "state", dialog_state_name(s->state));
    REC_STR(&w, "pending", pending_slot_name(s->pending));
    jw_key(&w, "slots");
    record_slots_write(&w, &s->slots);
    jw_kstr(&w, "language", lang_name(s->language));
    REC_INT(&w, "turns", s->turns);
    REC_INT(&w, "human_requests", s->human_requests);
    REC_INT(&w, "frustration", s->frustration);
    REC_INT(&w, "zombie_repeats", s->zombie_repeats);
    REC_INT(&w, "listings_seen", s->listings_seen);
    REC_INT(&w, "family_homes_seen", s->family_homes_seen);
    REC_INT(&w, "questions", s->questions);
    REC_STRINGS(&w, "shown", s->shown, s->n_shown);
    REC_STR(&w, "focus", s->focus);
    REC_STR(&w, "phone", s->phone);
    REC_STR(&w, "want_when", s->want_when);
    REC_TRUE(&w, "want_when_has_time", s->want_when_has_time);
    REC_TRUE(&w, "want_visit", s->want_visit);
    REC_TRUE(&w, "location_any", s->location_any);
    REC_STRINGS(&w, "ruled_out", s->ruled_out, s->n_ruled_out);
    REC_INTS(&w, "offered", s->offered, s->n_offered);
    REC_INT(&w, "appointment_id", s->appointment_id);
    REC_STR(&w, "appointment_when", s->appointment_when);
    REC_STR(&w, "appointment_agent", s->appointment_agent);
    REC_STRINGS(&w, "coaching", s->coaching, s->n_coaching);
    REC_STR(&w, "last_question", s->last_question);
    REC_INT(&w, "objections_price", s->objections_price);
    REC_INT(&w, "objections_location", s->objections_location);
    REC_INT(&w, "objections_trust", s->objections_trust);
    if (s->stage != STAGE_AWARENESS)
        jw_kstr(&w, "stage", buyer_stage_name(s->stage));
    REC_REAL(&w, "engagement", s->engagement);
    REC_TRUE(&w, "welcomed_back", s->welcomed_back);
    REC_TRUE(&w, "phone_from_profile", s->phone_from_profile);
    REC_TRUE(&w, "phone_on_file_said", s->phone_on_file_said);
    REC_TRUE(&w, "offer_continue", s->offer_continue);
    REC_INT(&w, "last_coaching_turn", s->last_coaching_turn);
    jw_end(&w);
    return record_finish(&w, &b, a, len);
}

void session_from_json(session *s, const char *text)
{
    lang keep = s->language;
    session_init(s, keep);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o))
        goto done;
    int st = dialog_state_from_name(json_string_value(json_object_get(o, "state")));
    s->state = st >= 0 ? (dialog_state)st : ST_START;
    s->pending = (pending_slot)pending_slot_from_name(json_string_value(json_object_get(o, "pending")));
    slots_from_json(&s->slots, json_object_get(o, "slots"));
    int l = lang_from_name(json_string_value(json_object_get(o, "language")));
    if (l >= 0)
        s->language = (lang)l;
    s->turns = geti(o, "turns", 0);
    s->human_requests = geti(o, "human_requests", 0);
    s->frustration = geti(o, "frustration", 0);
    s->zombie_repeats = geti(o, "zombie_repeats", 0);
    s->listings_seen = geti(o, "listings_seen", 0);
    s->family_homes_seen = geti(o, "family_homes_seen", 0);
    s->questions = geti(o, "questions", 0);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(o, "shown"), i, it) {
        if (s->n_shown >= DIALOG_MAX_SHOWN)
            break;
        copy_str(s->shown[s->n_shown++], DIALOG_ID_LEN, it);
    }
    copy_str(s->focus, sizeof s->focus, json_object_get(o, "focus"));
    copy_str(s->phone, sizeof s->phone, json_object_get(o, "phone"));
    copy_str(s->want_when, sizeof s->want_when, json_object_get(o, "want_when"));
    s->want_when_has_time = json_is_true(json_object_get(o, "want_when_has_time"));
    s->want_visit = json_is_true(json_object_get(o, "want_visit"));
    s->location_any = json_is_true(json_object_get(o, "location_any"));
    json_array_foreach(json_object_get(o, "ruled_out"), i, it) {
        if (s->n_ruled_out >= DIALOG_MAX_RULED_OUT)
            break;
        copy_str(s->ruled_out[s->n_ruled_out++], sizeof s->ruled_out[0], it);
    }
    json_array_foreach(json_object_get(o, "offered"), i, it) {
        if (s->n_offered >= DIALOG_MAX_OFFERED || !json_is_integer(it))
            break;
        s->offered[s->n_offered++] = json_integer_value(it);
    }
    json_t *v = json_object_get(o, "appointment_id");
    s->appointment_id = json_is_integer(v) ? json_integer_value(v) : 0;
    copy_str(s->appointment_when, sizeof s->appointment_when, json_object_get(o, "appointment_when"));
    copy_str(s->appointment_agent, sizeof s->appointment_agent, json_object_get(o, "appointment_agent"));
    json_array_foreach(json_object_get(o, "coaching"), i, it) {
        if (s->n_coaching >= DIALOG_MAX_COACHING)
            break;
        copy_str(s->coaching[s->n_coaching++], sizeof s->coaching[0], it);
    }
    copy_str(s->last_question, sizeof s->last_question, json_object_get(o, "last_question"));
    s->objections_price = geti(o, "objections_price", 0);
    s->objections_location = geti(o, "objections_location", 0);
    s->objections_trust = geti(o, "objections_trust", 0);
    const char *stage = json_string_value(json_object_get(o, "stage"));
    for (int k = 0; stage && k <= STAGE_DECISION; k++)
        if (strcmp(stage, stage_names[k]) == 0)
            s->stage = (buyer_stage)k;
    s->engagement = getd(o, "engagement", 0);
    s->welcomed_back = json_is_true(json_object_get(o, "welcomed_back"));
    s->phone_from_profile = json_is_true(json_object_get(o, "phone_from_profile"));
    s->phone_on_file_said = json_is_true(json_object_get(o, "phone_on_file_said"));
    s->offer_continue = json_is_true(json_object_get(o, "offer_continue"));
    s->last_coaching_turn = geti(o, "last_coaching_turn", 0);
done:
    json_decref(o);
}

/* ---- profile ---------------------------------------------------------- */

char *profile_to_json(const profile *p, arena *a)
{
    return profile_to_json_len(p, a, NULL);
}

/* The listings viewed are ids, most recent first; only the first entry
 * carries its names (title, project, locality: what the welcome back
 * says).  Records written before held the names in every entry, each a
 * copy of the inventory's, and ~450 of a long conversation's ~1,000 bytes
 * rewritten with every turn; the reader takes the first entry's names
 * from either form. */
char *profile_to_json_len(const profile *p, arena *a, size_t *len)
{
    buf b;
    jsonw w;
    jw_init_arena(&w, &b, a, 2048);   /* a typical record: no regrowth, no copy */
    jw_obj(&w);
    jw_kint(&w, "v", 1);
    REC_INT(&w, "sessions", p->sessions);
    REC_STR(&w, "last_session", p->last_session);
    jw_key(&w, "preferences");
    record_slots_write(&w, &p->preferences);
    if (p->n_viewed > 0) {
        jw_key(&w, "viewed");
        jw_arr(&w);
        for (int i = 0; i < p->n_viewed; i++) {
            jw_obj(&w);
            REC_STR(&w, "id", p->viewed[i]);
            if (i == 0) {
                REC_STR(&w, "title", p->last_viewed.title);
                REC_STR(&w, "project", p->last_viewed.project);
                REC_STR(&w, "locality", p->last_viewed.locality);
            }
            jw_end(&w);
        }
        jw_end(&w);
    }
    if (p->objections_price || p->objections_location || p->objections_trust) {
        jw_key(&w, "objections");
        jw_obj(&w);
        REC_INT(&w, "price", p->objections_price);
        REC_INT(&w, "location", p->objections_location);
        REC_INT(&w, "trust", p->objections_trust);
        jw_end(&w);
    }
    REC_INTS(&w, "sentiment_history", p->sentiment, p->n_sentiment);
    REC_STR(&w, "phone", p->phone);
    REC_REAL(&w, "engagement_score", p->engagement_score);
    REC_REAL(&w, "intent_to_buy_score", p->intent_to_buy_score);
    if (strcmp(p->temperature, "cold") != 0)
        jw_kstr(&w, "temperature", p->temperature);
    REC_INT(&w, "appointments", p->appointments);
    if (p->language >= 0 && p->language < LANG__COUNT)
        jw_kstr(&w, "language", lang_name((lang)p->language));
    jw_end(&w);
    return record_finish(&w, &b, a, len);
}

void profile_from_json(profile *p, const char *text)
{
    profile_init(p);
    json_t *o = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(o))
        goto done;
    p->sessions = geti(o, "sessions", 0);
    copy_str(p->last_session, sizeof p->last_session, json_object_get(o, "last_session"));
    slots_from_json(&p->preferences, json_object_get(o, "preferences"));
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(o, "viewed"), i, it) {
        if (p->n_viewed >= PROFILE_MAX_VIEWED)
            break;
        copy_str(p->viewed[p->n_viewed], sizeof p->viewed[0], json_object_get(it, "id"));
        if (p->n_viewed == 0) {
            copy_str(p->last_viewed.title, sizeof p->last_viewed.title, json_object_get(it, "title"));
            copy_str(p->last_viewed.project, sizeof p->last_viewed.project,
                     json_object_get(it, "project"));
            copy_str(p->last_viewed.locality, sizeof p->last_viewed.locality,
                     json_object_get(it, "locality"));
        }
        p->n_viewed++;
    }
    json_t *obj = json_object_get(o, "objections");
    p->objections_price = geti(obj, "price", 0);
    p->objections_location = geti(obj, "location", 0);
    p->objections_trust = geti(obj, "trust", 0);
    json_array_foreach(json_object_get(o, "sentiment_history"), i, it) {
        if (p->n_sentiment >= PROFILE_MAX_SENTIMENT || !json_is_integer(it))
            break;
        p->sentiment[p->n_sentiment++] = (signed char)(json_integer_value(it) > 0 ? 1 : json_integer_value(it) < 0 ? -1 : 0);
    }
    copy_str(p->phone, sizeof p->phone, json_object_get(o, "phone"));
    p->engagement_score = getd(o, "engagement_score", 0);
    p->intent_to_buy_score = getd(o, "intent_to_buy_score", 0);
    copy_str(p->temperature, sizeof p->temperature, json_object_get(o, "temperature"));
    p->appointments = geti(o, "appointments", 0);
    p->language = lang_from_name(json_string_value(json_object_get(o, "language")));
done:
    json_decref(o);
}
