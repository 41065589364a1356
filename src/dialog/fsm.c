/*
 * fsm.c - the nine-state sales conversation as a transition table.
 *
 * A turn: (1) absorb every slot the message carries, (2) turn the message
 * into one event, (3) find the first row of `transitions` whose state set
 * holds the current state and whose event matches, (4) run its handler,
 * which writes the reply and sets the next state.  The table is the place
 * to read the conversation's rules; handlers hold no routing of their own
 * beyond the one decision each documents (for example: show results once
 * enough is known, otherwise ask for the next missing slot).
 *
 * Slots are taken from any message at any time, so nothing the buyer said
 * is asked again.  A question asked in the middle of qualification is
 * answered, and the pending question is asked again with its buttons (FAQ
 * tolerance).  An unrelated answer to a button prompt keeps the state and
 * shows the buttons again (zombie protection).
 */
#include "dialog/dialog_int.h"
#include "core/money.h"
#include "search/search.h"
#include "store/listing_cache.h"
#include "util/log.h"
#include "util/tz.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef enum event {
    EV_SLOT_PICK,   /* a "slot:ID" button, or a typed message choosing among the
                       slots offered (read_slot_choice) */
    EV_ACTION,      /* an "action:..." button */
    EV_MORE,        /* "more" typed after listings: the "Show more options" button */
    EV_HUMAN,       /* asks for a person */
    EV_PHONE,       /* a phone number, valid or not */
    EV_SCHEDULE,    /* wants a viewing / a call */
    EV_MY_BOOKING,  /* asks after their viewing: "when is my visit?" (cue_my_booking) */
    EV_MARKET,      /* cheaper / better options, compare areas, an area as an
                       investment, emerging areas (market.c) */
    EV_SLOTS,       /* the message filled or changed slots */
    EV_BUTTON_SAME, /* a slot-value button for a value already taken, or wishes
                       typed again that are all noted */
    EV_QUESTION,    /* a question about listings, prices, areas */
    EV_GREETING, EV_THANKS, EV_GOODBYE, EV_AFFIRM, EV_DENY, EV_COMPLAINT,
    EV_OTHER,       /* nothing usable */
    EV__COUNT
} event;

static const char *const event_names[EV__COUNT] = {
    "slot_pick", "action", "more", "human", "phone", "schedule", "my_booking", "market", "slots", "button_same", "question", "greeting",
    "thanks", "goodbye", "affirm", "deny", "complaint", "other",
};

/* What a typed message says of the viewing slots offered (read_slot_choice). */
typedef struct slot_choice {
    bool said;        /* it speaks of them: a place in the list, a time, an agent */
    int n;            /* the offered slots meeting all it says */
    int64_t id;       /* the one, when n == 1 */
    bool time_only;   /* a time alone: no place in the list, no name */
    int hour, minute; /* the time, when one was said */
    char day[11];     /* "YYYY-MM-DD" the offered slots are on, "" unknown */
    store_slot *free; /* the free slots read (arena), nfree of them */
    int nfree;
} slot_choice;

typedef struct turn {
    const dialog_env *env;
    session *s;
    profile *p;
    const nlu_result *n;
    const char *cb;          /* callback data or NULL */
    reply *r;
    pt_error *err;
    bool slots_changed;
    bool button_same;        /* a slot-value button ("purpose:", "beds:", ...) whose
                                value is valid and already the slot's */
    bool typed_same;         /* a typed message whose wishes are all already noted
                                ("I want to buy" said twice) */
    bool areas_dropped;      /* the message ruled out every area the slot had */
    bool budget_dropped;     /* the buyer switched between buying and renting: the
                                budget of the other no longer applies */
    bool currency_mismatch;
    bool returning;          /* first turn of a returning buyer's new session */
    bool offer_continue;     /* the last search was offered before this turn
                                (session.offer_continue, cleared for the turn) */
    market_kind market;      /* the market question the message asks, if any */
    dialog_msg msg;          /* folded and scanned (msg.folded NULL: not yet) */
    slot_choice choice;      /* read by classify while slots are offered */
    int asked;               /* the fact of a listing asked about (fact_asked; 0: not yet) */
    int cmp[2];              /* "compare 1 and 2": the two listings (1-based), when */
    int n_cmp;               /* n_cmp == 2 (compare_asked) */
} turn;

typedef int (*handler)(turn *t);

/* ---- small helpers ---------------------------------------------------- */

static const pack_settings *settings(const turn *t)
{
    return pack_settings_get(t->env->pack);
}

static bool intent_is(const nlu_result *n, const char *name)
{
    /* the first letter tells most intents apart without a call */
    return n && n->intent && n->intent[0] == name[0] && strcmp(n->intent, name) == 0;
}

static bool cb_prefix(const char *cb, const char *prefix, const char **rest)
{
    size_t k = strlen(prefix);
    if (cb == NULL || strncmp(cb, prefix, k) != 0)
        return false;
    *rest = cb + k;
    return true;
}

/* A whole message that is only a small number ("2", " 3 "). */
static int bare_int(const char *text, long long *out)
{
    if (text == NULL)
        return 0;
    while (isspace((unsigned char)*text))
        text++;
    if (!isdigit((unsigned char)*text))
        return 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    while (end && isspace((unsigned char)*end))
        end++;
    if (end == NULL || *end != '\0' || v < 0)
        return 0;
    *out = v;
    return 1;
}

static bool has_location(const session *s)
{
    return s->slots.n_locations > 0 || s->location_any;
}

static bool has_budget(const session *s)
{
    return s->slots.has_budget_max || s->slots.has_budget_min;
}

static bool pending_has_buttons(pending_slot p)
{
    return p == PEND_PURPOSE || p == PEND_TRANSACTION || p == PEND_BUDGET
           || p == PEND_PROPERTY_TYPE || p == PEND_BEDROOMS || p == PEND_LOCATION
           || p == PEND_APPOINTMENT;
}

static bool results_shown(const session *s)
{
    return s->n_shown > 0;
}

/* The message, case-folded the way the pack's cue phrases are, and which
 * cue lists it holds a phrase of: folded and scanned once a turn, when
 * first asked (a memmem a phrase cost ~30,000 instructions a question). */
static const char *folded_text(turn *t)
{
    if (t->msg.folded == NULL) {
        const char *f = t->n && t->n->text ? pack_fold(t->env->arena, t->n->text) : NULL;
        t->msg.folded = f ? f : "";
        t->msg.len = strlen(t->msg.folded);
        t->msg.hits = pack_cue_scan(t->env->pack, t->msg.folded, t->msg.len);
    }
    return t->msg.folded;
}

/* Whether the message holds a phrase of cue list key. */
static bool cue_in(turn *t, const char *key)
{
    const char *msg = folded_text(t);
    return dialog_cue(t->env, t->msg.hits, key, msg, t->msg.len);
}

/* The listing an ordinal in the message points at ("the second one",
 * "number 3", "третья", "الثاني", "سومی"): 1-based, 0 when none.  The
 * words are the pack's cue_ordinal_N lists, so every language has its own;
 * the classifier reads such a message as a question and gives no number. */
#define DIALOG_MAX_ORDINAL 9
static const char *ordinal_key(int k)
{
    static const char *const keys[DIALOG_MAX_ORDINAL + 1] = {
        NULL, "cue_ordinal_1", "cue_ordinal_2", "cue_ordinal_3", "cue_ordinal_4",
        "cue_ordinal_5", "cue_ordinal_6", "cue_ordinal_7", "cue_ordinal_8", "cue_ordinal_9",
    };
    return keys[k];
}

static int ordinal_of(turn *t)
{
    if (*folded_text(t) == '\0')
        return 0;
    for (int k = 1; k <= DIALOG_MAX_ORDINAL; k++)
        if (cue_in(t, ordinal_key(k)))
            return k;
    return 0;
}

/* A message that is only a wish for more options ("more", "show me more!",
 * "ещё", "المزيد", "بیشتر"): the whole message, less spaces and
 * punctuation at its ends, is a phrase of cue_more.  The whole message,
 * not a phrase in it: "tell me more about the pool" is a question. */
static bool asks_more(turn *t)
{
    if (!cue_in(t, "cue_more"))   /* no phrase of it anywhere in the message */
        return false;
    const char *msg = t->msg.folded;
    size_t a = 0, b = t->msg.len;
    while (a < b && (isspace((unsigned char)msg[a]) || ispunct((unsigned char)msg[a])))
        a++;
    while (b > a && (isspace((unsigned char)msg[b - 1]) || ispunct((unsigned char)msg[b - 1])))
        b--;
    /* the question marks and commas of Arabic and Persian (U+061F, U+060C) */
    while (b - a >= 2 && (unsigned char)msg[b - 2] == 0xD8
           && ((unsigned char)msg[b - 1] == 0x9F || (unsigned char)msg[b - 1] == 0x8C))
        b -= 2;
    const pack_phrase *ph = NULL;
    int np = pack_cue_phrases(t->env->pack, "cue_more", &ph);
    for (int i = 0; i < np; i++)
        if (ph[i].n == b - a && ph[i].n > 0 && memcmp(msg + a, ph[i].s, ph[i].n) == 0)
            return true;
    return false;
}

/* The fact of a listing a question asks about, by the pack's cue lists
 * (every language's words in one list), first match in this order: a fact
 * the data does not hold (service charge, floor, view: cue_not_in_data,
 * which "price per sq ft" or "floor area" must not be taken for), the
 * price per sq ft (before the size: "sq ft" is a size word), the
 * completion, the size (its answer names the rooms too), the bedrooms
 * (their answer names the bathrooms too), the bathrooms.  The room lists
 * hold questions ("how many bedroom", "كم غرفة"), not the bare words: "how
 * much is the 2 bedroom one?" asks the price.  Read from the turn's one
 * scan of the message (bits of msg.hits), once. */
enum {
    FACT_UNSET = 0, FACT_NONE, FACT_VIEW, FACT_NOT_IN_DATA, FACT_PPSF, FACT_COMPLETION, FACT_SIZE,
    FACT_BEDROOMS, FACT_BATHROOMS
};
static const char *const fact_keys[] = {
    [FACT_VIEW] = "cue_view", [FACT_NOT_IN_DATA] = "cue_not_in_data", [FACT_PPSF] = "cue_ppsf",
    [FACT_COMPLETION] = "cue_completion", [FACT_SIZE] = "cue_size",
    [FACT_BEDROOMS] = "cue_bedrooms", [FACT_BATHROOMS] = "cue_bathrooms",
};

/* Whether cue list key is among the lists the scan found (msg.hits), when
 * the scan answers for every list: the few lists found are named, not the
 * key looked up (a lookup hashes the key: ~300 instructions, and a
 * question asks about six lists).  -1 when the scan does not answer for
 * every list (cue_in then). */
static int hit_named(turn *t, const char *key)
{
    const pack *p = t->env->pack;
    if (pack_cue_count(p) > PACK_CUE_BITS)
        return -1;
    for (uint64_t h = t->msg.hits; h; h &= h - 1) {
        const char *k = pack_cue_key(p, __builtin_ctzll(h));
        if (k && strcmp(k, key) == 0)
            return 1;
    }
    return 0;
}

/* cue_in, by the lists found when the scan answers for every list. */
static bool cue_hit(turn *t, const char *key)
{
    folded_text(t);
    int named = hit_named(t, key);
    return named < 0 ? cue_in(t, key) : named == 1;
}

static int fact_asked(turn *t)
{
    if (t->asked == FACT_UNSET) {
        t->asked = FACT_NONE;
        if (*folded_text(t) != '\0')
            for (int f = FACT_VIEW; f <= FACT_BATHROOMS; f++)
                if (cue_hit(t, fact_keys[f])) {
                    t->asked = f;
                    break;
                }
    }
    return t->asked;
}

/* A digit (ASCII, Arabic-Indic or Persian) at msg[i]: its value and its
 * length in *len, or -1. */
static int digit_at(const char *msg, size_t n, size_t i, size_t *len)
{
    unsigned char c = (unsigned char)msg[i];
    if (c >= '0' && c <= '9') {
        *len = 1;
        return c - '0';
    }
    unsigned char d = i + 1 < n ? (unsigned char)msg[i + 1] : 0;
    if ((c == 0xD9 && d >= 0xA0 && d <= 0xA9) || (c == 0xDB && d >= 0xB0 && d <= 0xB9)) {
        *len = 2;
        return d - (c == 0xD9 ? 0xA0 : 0xB0);
    }
    return -1;
}

/* A one-digit number standing alone at msg[i] (len bytes): no digit or
 * ASCII letter touches it ("2" of "2bhk", "12", "3m" is none). */
static bool digit_alone(const char *msg, size_t n, size_t i, size_t len)
{
    size_t k;
    if (i > 0 && isalnum((unsigned char)msg[i - 1]))
        return false;
    if (i >= 2 && digit_at(msg, n, i - 2, &k) >= 0 && k == 2)
        return false;
    return i + len >= n || (!isalnum((unsigned char)msg[i + len]) && digit_at(msg, n, i + len, &k) < 0);
}

/* Two listings shown that the message asks to compare ("compare 1 and 2",
 * "the first vs the second", "сравни первый и второй"): a phrase of
 * cue_compare, and two listings named by ordinals (cue_ordinal_N) or by
 * numbers standing alone; the two lowest into t->cmp.  Only read after a
 * cue_compare hit, so a turn without one pays a bit test. */
static bool compare_asked(turn *t)
{
    if (t->n_cmp == 2)
        return true;
    if (t->s->n_shown < 2 || !cue_hit(t, "cue_compare"))
        return false;
    bool named[DIALOG_MAX_ORDINAL + 1] = {false};
    for (int k = 1; k <= DIALOG_MAX_ORDINAL; k++)
        named[k] = cue_in(t, ordinal_key(k));
    const char *msg = t->msg.folded;
    for (size_t i = 0, len = 1; i < t->msg.len; i += len) {
        int v = digit_at(msg, t->msg.len, i, &len);
        if (v < 0)
            len = 1;
        else if (v >= 1 && digit_alone(msg, t->msg.len, i, len))
            named[v] = true;
    }
    t->n_cmp = 0;
    for (int k = 1; k <= DIALOG_MAX_ORDINAL && t->n_cmp < 2; k++)
        if (named[k])
            t->cmp[t->n_cmp++] = k;
    if (t->n_cmp != 2) {
        t->n_cmp = 0;
        return false;
    }
    return true;
}

/* A question about a listing (its price, place, amenities, payment plan,
 * yield, project, brochure). */
static bool listing_question(const nlu_result *n)
{
    return intent_is(n, "price_inquiry") || intent_is(n, "location_inquiry")
           || intent_is(n, "amenities_inquiry") || intent_is(n, "payment_plan")
           || intent_is(n, "investment_inquiry") || intent_is(n, "project_info")
           || intent_is(n, "brochure_request");
}

/* ---- slots ------------------------------------------------------------ */

/* The index of name (any case) among the area names names[0..n), or -1:
 * the location slot and the areas ruled out are such lists. */
static int area_index(char (*names)[64], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Takes name off names[0..*n), the others keeping their order; whether it
 * was there. */
static bool area_drop(char (*names)[64], int *n, const char *name)
{
    int i = area_index(names, *n, name);
    if (i < 0)
        return false;
    memmove(names[i], names[i + 1], sizeof names[0] * (size_t)(*n - i - 1));
    (*n)--;
    return true;
}

static void add_location(session *s, const char *name, bool *changed)
{
    slots *sl = &s->slots;
    area_drop(s->ruled_out, &s->n_ruled_out, name);   /* named again: wanted again */
    if (area_index(sl->locations, sl->n_locations, name) >= 0 || sl->n_locations >= 4)
        return;
    dialog_copy(sl->locations[sl->n_locations++], sizeof sl->locations[0], name);
    s->location_any = false;
    *changed = true;
}

/* Takes an area the buyer ruled out off the location slot, and keeps it
 * out of the searches that follow (a relaxed search brought it back as the
 * closest: "not Whitefield, Yelahanka" showed Whitefield).  The oldest is
 * forgotten when the list is full. */
static void remove_location(session *s, const char *name, bool *changed)
{
    slots *sl = &s->slots;
    area_drop(s->ruled_out, &s->n_ruled_out, name);
    if (s->n_ruled_out == DIALOG_MAX_RULED_OUT) {
        memmove(s->ruled_out[0], s->ruled_out[1], sizeof s->ruled_out[0] * (DIALOG_MAX_RULED_OUT - 1));
        s->n_ruled_out--;
    }
    dialog_copy(s->ruled_out[s->n_ruled_out++], sizeof s->ruled_out[0], name);
    if (area_drop(sl->locations, &sl->n_locations, name))
        *changed = true;
}

static void set_budget(session *s, bool has_min, money min, bool has_max, money max, bool *changed)
{
    slots *sl = &s->slots;
    if (has_max && has_min && min > max) {
        money tmp = min;
        min = max;
        max = tmp;
    }
    if (sl->has_budget_min != has_min || sl->budget_min != min || sl->has_budget_max != has_max
        || sl->budget_max != max)
        *changed = true;
    sl->has_budget_min = has_min;
    sl->budget_min = has_min ? min : 0;
    sl->has_budget_max = has_max;
    sl->budget_max = has_max ? max : 0;
}

/* The largest amount a budget may be (the NLU's bound, budget.c): a
 * rent's per-month amount made per year (x 12) and said back stay far
 * from overflowing a money. */
#define DIALOG_BUDGET_MAX 1000000000000000LL

/* Takes a budget the buyer gave (whole units as said) into the slots.  A
 * rent's amounts are kept per year, as listing rents are priced
 * (CONTRACT.md §3): said per month ("40k a month", or with no period where
 * the tenant's market quotes rents monthly: pack_rent_period) they are
 * made twelve times larger, and the period is kept for the echo ("under
 * ₹40,000 a month").  A period said before buy or rent is: a rent. */
static void take_budget(turn *t, bool has_min, money min, bool has_max, money max,
                        rent_period said, bool *changed)
{
    session *s = t->s;
    slots *sl = &s->slots;
    if (said != PERIOD_NONE && sl->tx == TX_NONE) {
        sl->tx = TX_RENT;
        *changed = true;
    }
    rent_period p = sl->tx != TX_RENT    ? PERIOD_NONE
                    : said != PERIOD_NONE ? said
                                          : pack_rent_period(t->env->pack, t->env->tenant->currency);
    int f = period_per_year(p);
    if (f > 1) {
        min *= f;   /* amounts are at most 10^15 (budget.c): no overflow */
        max *= f;
    }
    set_budget(s, has_min, min, has_max, max, changed);
    sl->budget_period = p;
}

/* Whether a budget said before buy or rent was, with no period (amount:
 * its max, else its min), reads as a rent once the buyer says "rent": taken
 * in the tenant's rent period, it is nearer the tenant's typical rent than
 * its typical price, on a log scale, as the search chooses a transaction
 * for a budget alone (search.c choose_tx).  "budget 40k" then "rent" in
 * Bangalore is ₹40,000 a month; "80 lakhs to 1.2 crore" is a purchase
 * budget.  True when the figures cannot tell. */
static bool budget_reads_as_rent(const turn *t, money amount)
{
    const dialog_env *env = t->env;
    int ns, nr;
    double sale = search_mean_log_price(env->localities, env->n_localities, TX_BUY, &ns);
    double rent = search_mean_log_price(env->localities, env->n_localities, TX_RENT, &nr);
    int f = period_per_year(pack_rent_period(env->pack, env->tenant->currency));
    if (ns == 0 || nr == 0 || amount <= 0 || f < 1)
        return true;
    double b = log((double)amount * f);
    return fabs(b - rent) < fabs(b - sale);
}

/* Takes every slot value the message or the button carries. */
static void absorb(turn *t)
{
    session *s = t->s;
    slots *sl = &s->slots;
    const nlu_result *n = t->n;
    bool ch = false;
    const char *rest = NULL;
    const char *cb = t->cb;
    property_type type_before = sl->type;
    transaction tx_before = sl->tx;
    bool budget_said = false;

    /* a button's value that is already the slot's (a second press, or an
     * old message's button) is noted as same: it asks for nothing new */
    bool same = false;
    if (cb_prefix(cb, "purpose:", &rest)) {
        purpose p = purpose_from_name(rest);
        if (p && p != sl->purpose) { sl->purpose = p; ch = true; }
        same = p && p == sl->purpose && !ch;
    } else if (cb_prefix(cb, "tx:", &rest)) {
        transaction x = tx_from_name(rest);
        if (x && x != sl->tx) { sl->tx = x; ch = true; }
        same = x && !ch;
    } else if (cb_prefix(cb, "type:", &rest)) {
        property_type x = ptype_from_name(rest);
        if (x && x != sl->type) { sl->type = x; ch = true; }
        same = x && !ch;
    } else if (cb_prefix(cb, "beds:", &rest)) {
        long long b;
        bool valid = bare_int(rest, &b) && b <= 20;
        if (valid && b != sl->bedrooms) { sl->bedrooms = (int)b; ch = true; }
        same = valid && !ch;
    } else if (cb_prefix(cb, "budget:", &rest)) {
        char *end = NULL;
        long long lo = strtoll(rest, &end, 10);
        long long hi = (end && *end == '-') ? strtoll(end + 1, NULL, 10) : 0;
        bool valid = lo >= 0 && hi >= 0 && (lo > 0 || hi > 0) && lo <= DIALOG_BUDGET_MAX
                     && hi <= DIALOG_BUDGET_MAX;
        if (valid) {
            /* the bands are in the listings' period: a rent's per year */
            set_budget(s, lo > 0, lo, hi > 0, hi, &ch);
            sl->budget_period = sl->tx == TX_RENT
                                    ? pack_rent_period(t->env->pack, t->env->tenant->currency)
                                    : PERIOD_NONE;
            budget_said = true;
        }
        dialog_copy(sl->currency, sizeof sl->currency, t->env->tenant->currency);
        same = valid && !ch;
    } else if (cb_prefix(cb, "loc:", &rest)) {
        if (strcmp(rest, "any") == 0) {
            if (!s->location_any || sl->n_locations) { s->location_any = true; sl->n_locations = 0; ch = true; }
            same = !ch;
        } else if (*rest) {
            add_location(s, rest, &ch);
            same = !ch && area_index(sl->locations, sl->n_locations, rest) >= 0;
        }
    }
    t->button_same = same;

    /* "what is the rental yield of the third one?" asks about a listing
     * shown: the purpose its words suggest (investment) is not a new wish,
     * and taking it ran the search again instead of answering */
    bool about_shown = results_shown(s) && listing_question(n);
    if (n) {
        if ((n->found & NLU_PURPOSE) && n->purpose && n->purpose != sl->purpose && !about_shown) {
            sl->purpose = n->purpose;
            ch = true;
        }
        if ((n->found & NLU_TX) && n->tx && n->tx != sl->tx) {
            sl->tx = n->tx;
            ch = true;
        }
        if ((n->found & NLU_PTYPE) && n->type && n->type != sl->type) {
            sl->type = n->type;
            ch = true;
        }
        if ((n->found & NLU_BEDROOMS) && n->bedrooms >= 0 && n->bedrooms != sl->bedrooms) {
            sl->bedrooms = n->bedrooms;
            ch = true;
        }
        /* the areas of a comparison or an outlook question are its subject,
         * not where the buyer wants to live.  Areas ruled out go first, so
         * "not Marina, JVC" and "JVC instead of Marina" replace Marina with
         * JVC even in a full slot */
        if (t->market != MK_COMPARE && t->market != MK_AREA) {
            bool dropped = false, had_area = has_location(s), newly_ruled = false;
            if (n->found & NLU_EXCLUDED_LOCATIONS)
                for (int i = 0; i < n->n_excluded_locations; i++) {
                    newly_ruled |= area_index(s->ruled_out, s->n_ruled_out,
                                              n->excluded_locations[i]) < 0;
                    remove_location(s, n->excluded_locations[i], &dropped);
                }
            if (n->found & NLU_LOCATIONS)
                for (int i = 0; i < n->n_locations; i++)
                    add_location(s, n->locations[i], &ch);
            t->areas_dropped = dropped && !has_location(s);
            ch |= dropped;
            /* areas only ruled out, with none asked for yet ("anything but
             * Business Bay"): any other area (was "did not catch that") */
            if ((n->found & NLU_EXCLUDED_LOCATIONS) && !had_area && !has_location(s)
                && n->n_excluded_locations > 0) {
                s->location_any = true;
                ch = true;
            }
            /* any area already, and one more ruled out: the search changes */
            if (newly_ruled && s->location_any && had_area)
                ch = true;
        }
        if (n->found & NLU_BUDGET) {
            if (n->currency[0] && strcasecmp(n->currency, t->env->tenant->currency) != 0) {
                t->currency_mismatch = true;
            } else {
                take_budget(t, n->has_budget_min, n->budget_min, n->has_budget_max, n->budget_max,
                            n->budget_period, &ch);
                dialog_copy(sl->currency, sizeof sl->currency, t->env->tenant->currency);
                budget_said = true;
            }
        }
        /* a bare number answers the question that was asked */
        long long v;
        if (!ch && cb == NULL && bare_int(n->text, &v)) {
            if (s->pending == PEND_BEDROOMS && v <= 20) {
                sl->bedrooms = (int)v;
                ch = true;
            } else if (s->pending == PEND_BUDGET && v >= 1000 && v <= DIALOG_BUDGET_MAX) {
                take_budget(t, false, 0, true, (money)v, PERIOD_NONE, &ch);
                dialog_copy(sl->currency, sizeof sl->currency, t->env->tenant->currency);
                budget_said = true;
            }
        }
    }
    /* a studio has no bedroom: one chosen after "3 bedrooms" drops the 3
     * (the search went on mixing 3-bedroom flats in), and leaving a studio
     * for another type drops its 0, unless the message said bedrooms too */
    bool beds_said = (n && (n->found & NLU_BEDROOMS)) || cb_prefix(cb, "beds:", &rest);
    if (sl->type == PTYPE_STUDIO && sl->bedrooms < 0) {
        sl->bedrooms = 0;
    } else if (sl->type == PTYPE_STUDIO && type_before != PTYPE_STUDIO && !beds_said && sl->bedrooms != 0) {
        sl->bedrooms = 0;
        ch = true;
    } else if (type_before == PTYPE_STUDIO && sl->type != PTYPE_STUDIO && !beds_said && sl->bedrooms == 0) {
        sl->bedrooms = -1;
        ch = true;
    }
    /* investment and residency buyers buy */
    if (sl->tx == TX_NONE && (sl->purpose == PURPOSE_INVESTMENT || sl->purpose == PURPOSE_RESIDENCY)) {
        sl->tx = TX_BUY;
        ch = true;
    }
    /* a budget is to buy or to rent: from buying to renting (or back),
     * the one given before no longer applies (₹1.2 Cr is no rent); it is
     * set aside, said so, and the budget is asked again with the buttons
     * of the new transaction (a budget in the same message is taken as
     * it is).  A budget given before buy or rent was said, with no period,
     * is read when "rent" comes: a rent's in the tenant's period when it
     * reads as one, else a purchase budget, set aside the same way */
    if (has_budget(s) && !budget_said && tx_before != sl->tx) {
        bool rent_now = tx_before == TX_NONE && sl->tx == TX_RENT && sl->budget_period == PERIOD_NONE;
        if (rent_now && budget_reads_as_rent(t, sl->has_budget_max ? sl->budget_max : sl->budget_min)) {
            take_budget(t, sl->has_budget_min, sl->budget_min, sl->has_budget_max, sl->budget_max,
                        PERIOD_NONE, &ch);
        } else if (rent_now || (tx_before != TX_NONE && sl->tx != TX_NONE)) {
            set_budget(s, false, 0, false, 0, &ch);
            sl->budget_period = PERIOD_NONE;
            t->budget_dropped = true;
        }
    }
    t->slots_changed = ch;
    /* wishes typed again that change nothing ("I want to buy" once more, "an
     * apartment" when it is noted): said to be noted, like an old button,
     * not "did not catch that" (which counted as an unrelated reply) */
    enum { SLOT_BITS = NLU_PURPOSE | NLU_TX | NLU_PTYPE | NLU_BEDROOMS | NLU_LOCATIONS | NLU_BUDGET };
    t->typed_same = n && cb == NULL && !ch && !t->currency_mismatch && !about_shown
                    && t->market == MK_NONE && (n->found & SLOT_BITS)
                    && !(n->found & NLU_EXCLUDED_LOCATIONS);
}

/* The next slot to ask for, in the order a sales agent would. */
static pending_slot next_missing(const session *s)
{
    const slots *sl = &s->slots;
    if (sl->purpose == PURPOSE_NONE)
        return PEND_PURPOSE;
    if (sl->tx == TX_NONE)
        return PEND_TRANSACTION;
    if (!has_budget(s))
        return PEND_BUDGET;
    if (sl->type == PTYPE_NONE && sl->bedrooms < 0)
        return PEND_PROPERTY_TYPE;
    if (!has_location(s))
        return PEND_LOCATION;
    return PEND_NONE;
}

/* Enough to show listings that really fit: everything, or a budget and an
 * area and what kind of home (the buyer who opens with "2BHK in Whitefield
 * under 2 Cr" goes straight to listings). */
static bool ready_to_search(const session *s)
{
    if (next_missing(s) == PEND_NONE)
        return true;
    return has_budget(s) && has_location(s) && (s->slots.type != PTYPE_NONE || s->slots.bedrooms >= 0);
}

/* ---- questions and buttons ------------------------------------------- */

static int budget_buttons(turn *t)
{
    const money (*bands)[2] = NULL;
    transaction tx = t->s->slots.tx ? t->s->slots.tx : TX_BUY;
    int nb = pack_budget_bands(t->env->pack, t->env->tenant->currency, tx, &bands);
    /* rent bands are per year; their labels are in the tenant's period
     * ("under ₹25,000 a month"), their data stays per year */
    rent_period rp = tx == TX_RENT ? pack_rent_period(t->env->pack, t->env->tenant->currency)
                                   : PERIOD_NONE;
    int f = period_per_year(rp);
    /* the three label templates, looked up once for the bands */
    static const char *const keys[3] = {"budget_under", "budget_over", "budget_range"};
    const pack_template *tp[3];
    for (int k = 0; k < 3; k++)
        tp[k] = pack_template_get(t->env->pack, t->s->language, keys[k]);
    for (int i = 0; i < nb; i++) {
        char lo[48] = "", hi[48] = "", label[128], data[64];
        int k = bands[i][0] <= 0 ? 0 : bands[i][1] <= 0 ? 1 : 2;
        /* only the amounts the label's template names are formatted */
        if (tp[k] && pack_template_uses(tp[k], "min"))
            money_format(lo, sizeof lo, f > 1 ? bands[i][0] / f : bands[i][0], t->env->tenant->currency, 1);
        if (tp[k] && pack_template_uses(tp[k], "max"))
            money_format(hi, sizeof hi, f > 1 ? bands[i][1] / f : bands[i][1], t->env->tenant->currency, 1);
        const char *vars[] = {"min", lo, "max", hi, NULL};
        const char *w = tp[k] ? pack_template_render(t->env->arena, tp[k], vars) : "";
        if (rp != PERIOD_NONE)
            w = budget_period_words(t->env, t->s, w, rp);
        dialog_copy(label, sizeof label, w ? w : "");
        if (label[0])
            label[0] = (char)toupper((unsigned char)label[0]);
        /* "budget:<lo>-<hi>" */
        char lo_n[24], hi_n[24];
        dialog_lld_text(lo_n, (long long)bands[i][0]);
        dialog_lld_text(hi_n, (long long)bands[i][1]);
        size_t a = strlen(lo_n), b = strlen(hi_n);
        memcpy(data, "budget:", 7);
        memcpy(data + 7, lo_n, a);
        data[7 + a] = '-';
        memcpy(data + 8 + a, hi_n, b + 1);   /* 8 + 20 + 20 + 1 < sizeof data */
        add_button(t->env, t->r, label, data);
    }
    return 0;
}

static int location_buttons(turn *t)
{
    const store_locality_stats *ls = t->env->localities;
    int n = t->env->n_localities;
    /* the four areas with the most listings */
    int picked[4];
    int n_picked = 0;
    for (int k = 0; k < 4; k++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            bool used = false;
            for (int j = 0; j < n_picked; j++)
                used |= picked[j] == i;
            if (!used && (best < 0 || ls[i].listings > ls[best].listings))
                best = i;
        }
        if (best < 0)
            break;
        picked[n_picked++] = best;
        char data[96];
        dialog_cat(data, sizeof data, "loc:", ls[best].locality);
        add_button(t->env, t->r, ls[best].locality, data);
    }
    add_button_ref(t->r, word(t->env, t->s, "any_area", NULL), "loc:any");
    return 0;
}

/* Asks for slot p with its buttons and makes it the pending slot. */
static int ask(turn *t, pending_slot p)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    s->pending = p;
    r->n_buttons = 0;
    switch (p) {
    case PEND_PURPOSE: say(env, s, r, "ask_purpose", NULL, true); break;
    case PEND_TRANSACTION: say(env, s, r, "ask_transaction", NULL, true); break;
    case PEND_PROPERTY_TYPE: say(env, s, r, "ask_property_type", NULL, true); break;
    case PEND_BEDROOMS: say(env, s, r, "ask_bedrooms", NULL, true); break;
    case PEND_BUDGET: {
        const char *vars[] = {"currency", env->tenant->currency, NULL};
        /* a rent: in the period the tenant's market quotes rents in */
        rent_period rp = s->slots.tx == TX_RENT ? pack_rent_period(env->pack, env->tenant->currency)
                                                : PERIOD_NONE;
        say(env, s, r, rp == PERIOD_MONTH ? "ask_budget_month" : rp == PERIOD_YEAR ? "ask_budget_year"
                                                                                    : "ask_budget",
            vars, true);
        return budget_buttons(t);
    }
    case PEND_LOCATION:
        say(env, s, r, "ask_location", NULL, true);
        return location_buttons(t);
    case PEND_PHONE: say(env, s, r, "ask_phone", NULL, false); break;
    default: break;
    }
    return 0;
}

static int offer_slots(turn *t, bool after_taken);
static int offer_continue(turn *t);

/* Asks the pending question again, with its buttons (the offer of the
 * last search, when it was the question). */
static int reask(turn *t)
{
    if (t->offer_continue)
        return offer_continue(t);
    if (t->s->pending == PEND_APPOINTMENT)
        return offer_slots(t, false);
    if (t->s->pending != PEND_NONE)
        return ask(t, t->s->pending);
    return 0;
}

/* ---- results ---------------------------------------------------------- */

/* A price of the search's own (a band, where the closest starts) said as
 * the buyer speaks of their budget: a rent budget said per month makes it
 * per month too ("the same from ₹86,000 a month", "10-20% below ₹33,000 a
 * month"); the listings keep their own prices, per year. */
static const char *wish_price_text(const dialog_env *env, const session *s, money p, transaction tx)
{
    if (tx != TX_RENT || s->slots.budget_period != PERIOD_MONTH)
        return price_text(env, s, p, tx);
    char buf[64];
    money_format(buf, sizeof buf, (p + 6) / 12, env->tenant->currency, 0);
    return budget_period_words(env, s, arena_strdup(env->arena, buf), PERIOD_MONTH);
}

/* What the relaxed part of the answer is, in words: "what ₹2.2 Cr buys;
 * Whitefield's neighbour Marathahalli (5.8 km) at your budget". */
static const char *relaxed_text(turn *t, const search_result *res)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const char *parts[6];
    int n = 0;
    if (res->relaxed & SEARCH_RELAX_BUDGET) {
        /* within the tolerance: what the widened budget buys; beyond it:
         * where what was asked for starts */
        money p = res->beyond_tolerance && res->above_from ? res->above_from
                  : res->widened_max ? res->widened_max : res->widened_min;
        const char *pv[] = {"price", wish_price_text(env, s, p, res->items[0].tx), NULL};
        parts[n++] = word(env, s, res->beyond_tolerance ? "relax_budget_from" : "relax_budget", pv);
    }
    if ((res->relaxed & SEARCH_RELAX_NEIGHBOUR) && res->neighbour && res->neighbour_of) {
        const char *nv[] = {"neighbour", res->neighbour, "locality", res->neighbour_of,
                            "km", arena_printf(env->arena, "%.1f", res->neighbour_km), NULL};
        parts[n++] = word(env, s, "relax_neighbour", nv);
    }
    static const struct { unsigned bit; const char *key; } names[] = {
        {SEARCH_RELAX_BEDROOMS, "relax_bedrooms"}, {SEARCH_RELAX_LOCATION, "relax_location"},
        {SEARCH_RELAX_TYPE, "relax_type"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (res->relaxed & names[i].bit)
            parts[n++] = word(env, s, names[i].key, NULL);
    /* the parts may hold the list comma themselves ("Hebbal, Whitefield's
     * neighbour"): the language's semicolon (relax_sep) parts them */
    const char *sep = word(env, s, "relax_sep", NULL);
    return dialog_join(env->arena, parts, n, sep[0] ? sep : "; ");
}

/* The median price of the listings shown last: "cheaper" and "better" are
 * around it when the buyer gave no budget or what was shown is well under
 * the budget (search.h, reference).  0 when none can be read.  *tx: their
 * transaction when they all share one (TX_NONE otherwise). */
static money shown_reference(turn *t, transaction *tx)
{
    money p[DIALOG_MAX_SHOWN];
    const char *ids[DIALOG_MAX_SHOWN];
    listing got[DIALOG_MAX_SHOWN];
    bool have[DIALOG_MAX_SHOWN];
    int n = 0, n_ids = 0;
    for (int i = 0; i < t->s->n_shown && i < DIALOG_MAX_SHOWN; i++)
        ids[n_ids++] = t->s->shown[i];
    pt_error e = {0};
    if (n_ids > 0 && listing_cache_get_many(t->env->listings, t->env->store, t->env->tenant->id,
                                            ids, n_ids, t->env->arena, got, have, &e) == 0)
        for (int i = 0; i < n_ids; i++)
            if (have[i]) {
                *tx = n == 0 || *tx == got[i].tx ? got[i].tx : TX_NONE;
                p[n++] = got[i].price;
            }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && p[j - 1] > p[j]; j--) {
            money x = p[j];
            p[j] = p[j - 1];
            p[j - 1] = x;
        }
    return n ? p[n / 2] : 0;
}

/* The buttons under listings shown: a viewing (unless one is booked), more,
 * cheaper (unless the list is the cheapest that fits), better. */
static void listing_buttons(turn *t, bool booked, bool cheaper)
{
    const dialog_env *env = t->env;
    const session *s = t->s;
    reply *r = t->r;
    r->n_buttons = 0;
    if (!booked)
        add_button_ref(r, word(env, s, "action_schedule", NULL), "action:schedule");
    add_button_ref(r, word(env, s, "action_more", NULL), "action:more");
    if (cheaper)
        add_button_ref(r, word(env, s, "action_cheaper", NULL), "market:cheaper");
    add_button_ref(r, word(env, s, "action_better", NULL), "market:better");
}

/* "Cheaper" with nothing under what was shown: those are the most
 * affordable homes that fit the wish.  They stay the list shown (an ordinal
 * still names one of them) and the conversation stays where it was, with
 * an offer to change the area, type or budget; no coaching tip, which
 * could offer cheaper options the answer just said do not exist.  (It was
 * "nothing found" and the budget question, as if the wish had no match.) */
static int cheapest_shown(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    say(env, s, r, "cheaper_none", NULL, false);
    r->no_coaching = true;
    if (s->pending != PEND_NONE)
        return reask(t);
    listing_buttons(t, s->appointment_id > 0 && s->state != ST_HUMAN_HANDOFF, false);
    return 0;
}

/* The profile's phone stands in for the hard gate: said once a session,
 * by its last two digits only (a shared screen need not show the number). */
static void say_phone_on_file(turn *t)
{
    session *s = t->s;
    if (!s->phone_from_profile || s->phone_on_file_said || s->phone[0] == '\0')
        return;
    size_t n = strlen(s->phone);
    const char *vars[] = {"last", s->phone + (n > 2 ? n - 2 : 0), NULL};
    say(t->env, s, t->r, "phone_on_file", vars, false);
    add_reason(t->r, "phone number from the buyer's profile");
    s->phone_on_file_said = true;
}

/* The phone as an answer names it: typed in this conversation, the number
 * itself; the profile's, "your number ending in 89" (phone_ending). */
static const char *phone_said(turn *t)
{
    session *s = t->s;
    if (!s->phone_from_profile)
        return s->phone;
    size_t n = strlen(s->phone);
    const char *vars[] = {"last", s->phone + (n > 2 ? n - 2 : 0), NULL};
    return word(t->env, s, "phone_ending", vars);
}

static int show_results_mode(turn *t, bool more, search_mode mode)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    const pack_settings *cfg = settings(t);
    /* "more" leaves out what the buyer has seen lately (the profile keeps
     * the last PROFILE_MAX_VIEWED), not only the last list: with the last
     * list alone, "more" went back and forth between two lists */
    const char *exclude[DIALOG_MAX_SHOWN + PROFILE_MAX_VIEWED];
    int n_ex = 0;
    if (more || mode != SEARCH_FIT)
        for (int i = 0; i < s->n_shown; i++)
            exclude[n_ex++] = s->shown[i];
    for (int i = 0; more && i < t->p->n_viewed && i < PROFILE_MAX_VIEWED; i++)
        exclude[n_ex++] = t->p->viewed[i];
    const char *ruled_out[DIALOG_MAX_RULED_OUT];
    for (int i = 0; i < s->n_ruled_out; i++)
        ruled_out[i] = s->ruled_out[i];
    /* "cheaper" or "better" than what was shown: of the same transaction.
     * Buy or rent never said, the search chooses one for the amount, and
     * 10-20% under studios for sale could read as a rent (a villa for rent
     * shown as "cheaper" than studios for sale) */
    transaction shown_tx = TX_NONE;
    money reference = mode != SEARCH_FIT ? shown_reference(t, &shown_tx) : 0;
    slots wish = s->slots;
    if (wish.tx == TX_NONE)
        wish.tx = shown_tx;
    search_request req = {
        .slots = &wish, .currency = env->tenant->currency,
        .want_min = cfg->results_min, .want_max = cfg->results_max < DIALOG_MAX_SHOWN ? cfg->results_max : DIALOG_MAX_SHOWN,
        .tolerance_pct = cfg->price_tolerance_pct, .exclude_ids = exclude, .n_exclude = n_ex,
        .exclude_localities = ruled_out, .n_exclude_localities = s->n_ruled_out,
        .text = t->n ? t->n->text : NULL, .localities = env->localities,
        .n_localities = env->n_localities, .mode = mode,
        .reference = reference,
        .semantic_ids = env->semantic_ids, .n_semantic = env->n_semantic,
    };
    search_result res;
    int rc = search_listings(env->store, env->tenant->id, &req, env->arena, &res, t->err);
    if (rc)
        return rc;
    /* "cheaper" under the cheapest that fits: what was shown is the bottom */
    if (res.n == 0 && mode == SEARCH_CHEAPER && results_shown(s))
        return cheapest_shown(t);
    /* "more" past what fits: the buyer has seen it all, which is not
     * "nothing matches" */
    if (res.n == 0) {
        say(env, s, r, more ? "results_more_none" : "results_none", NULL, false);
        s->state = ST_SLOT_FILLING;
        return ask(t, PEND_BUDGET);
    }
    char count[16], exact[16];
    dialog_int_text(count, res.n);
    dialog_int_text(exact, res.n_exact);
    const char *wanted = slots_summary(env, s);
    if (res.has_band) {
        const char *bv[] = {"min", wish_price_text(env, s, res.band_min, res.tx),
                            "max", wish_price_text(env, s, res.band_max, res.tx),
                            "base", wish_price_text(env, s, res.band_base, res.tx), NULL};
        wanted = word(env, s, mode == SEARCH_CHEAPER ? "cheaper_wanted" : "better_wanted", bv);
        if (res.n_exact == res.n) {
            const char *vars[] = {"count", count, "min", bv[1], "max", bv[3], "base", bv[5], NULL};
            say(env, s, r, mode == SEARCH_CHEAPER ? "cheaper_intro" : "better_intro", vars, false);
        }
    } else if (res.n_exact == res.n) {
        const char *vars[] = {"count", count, NULL};
        say(env, s, r, count_key(env, s, "results_intro", res.n), vars, false);
    }
    if (res.n_exact < res.n) {
        /* say which constraints were relaxed, from the search's own record */
        const char *vars[] = {"relaxed", relaxed_text(t, &res), "count", count, "exact", exact,
                              "wanted", wanted, NULL};
        say(env, s, r, res.n_exact ? count_key(env, s, "results_partial", res.n_exact)
                                   : more ? "results_more_relaxed" : "results_relaxed", vars, false);
        add_reason(r, arena_printf(env->arena, "search relaxed (0x%x)", res.relaxed));
    }
    r->text = listing_lines(env, s, r->text, res.items, res.n);
    director_urgency(env, s, res.items, res.n, r);

    s->n_shown = 0;
    for (int i = 0; i < res.n && i < DIALOG_MAX_SHOWN; i++) {
        const listing *l = &res.items[i];
        dialog_copy(s->shown[s->n_shown++], DIALOG_ID_LEN, l->id);
        r->sources[r->n_sources++] = *l;
        s->listings_seen++;
        if (l->bedrooms >= 2 && (l->type == PTYPE_VILLA || l->type == PTYPE_TOWNHOUSE
                                 || l->type == PTYPE_APARTMENT || l->type == PTYPE_PENTHOUSE))
            s->family_homes_seen++;
    }
    /* the profile keeps the most recent first, and of one list the best
     * first: the best is what the next welcome back names ("Last time you
     * explored ...": it named the list's last, not the one shown first) */
    profile *p = t->p;
    for (int i = s->n_shown - 1; i >= 0; i--) {
        const listing *l = &res.items[i];
        int k = p->n_viewed < PROFILE_MAX_VIEWED ? p->n_viewed : PROFILE_MAX_VIEWED - 1;
        for (int j = 0; j < p->n_viewed; j++)
            if (strcmp(p->viewed[j], l->id) == 0) {
                k = j;
                break;
            }
        memmove(&p->viewed[1], &p->viewed[0], sizeof p->viewed[0] * (size_t)k);
        dialog_copy(p->viewed[0], sizeof p->viewed[0], l->id);
        if (i == 0) {   /* viewed[0]'s names */
            dialog_copy(p->last_viewed.title, sizeof p->last_viewed.title, l->title ? l->title : "");
            dialog_copy(p->last_viewed.project, sizeof p->last_viewed.project,
                        l->project ? l->project : "");
            dialog_copy(p->last_viewed.locality, sizeof p->last_viewed.locality,
                        l->locality ? l->locality : "");
        }
        if (k == p->n_viewed && p->n_viewed < PROFILE_MAX_VIEWED)
            p->n_viewed++;
    }
    /* the best listing is what "it" means until the buyer picks another */
    dialog_copy(s->focus, sizeof s->focus, s->shown[0]);
    if (s->appointment_id == 0)
        add_action(r, word(env, s, "action_schedule", NULL));
    add_action(r, word(env, s, "action_brochure", NULL));
    /* listings shown after a booking (a changed wish, an old slot button,
     * "more") leave it as it was: the state stays COMPLETED and no second
     * viewing is offered (the state went back to ENGAGEMENT, with a
     * "Schedule" button, while the viewing stood).  A handed-off buyer's
     * turn goes on below, as before. */
    bool booked = s->appointment_id > 0 && s->state != ST_HUMAN_HANDOFF;
    if (booked) {
        const char *bv[] = {"when", s->appointment_when, "agent", s->appointment_agent, NULL};
        say(env, s, r, "booking_kept", bv, false);
        s->state = ST_COMPLETED;
    } else if (s->phone[0] == '\0') {
        s->state = ST_VALUE_PROPOSITION;
        return ask(t, PEND_PHONE);
    } else {
        say_phone_on_file(t);
        s->state = ST_ENGAGEMENT;
    }
    s->pending = PEND_NONE;
    listing_buttons(t, booked, true);
    return 0;
}

static int show_results(turn *t, bool more)
{
    return show_results_mode(t, more, SEARCH_FIT);
}

/* Shows results when enough is known, else asks for the next missing slot. */
static int advance(turn *t)
{
    session *s = t->s;
    if (t->currency_mismatch) {
        const char *vars[] = {"currency", t->env->tenant->currency, NULL};
        say(t->env, s, t->r, "currency_mismatch", vars, false);
        if (s->state == ST_START)
            s->state = ST_WARMUP;
        return ask(t, PEND_BUDGET);
    }
    if (ready_to_search(s))
        return show_results(t, false);
    /* every area ruled out ("not Marina" when Marina was the only one):
     * which area then, before anything else */
    pending_slot next = t->areas_dropped ? PEND_LOCATION : next_missing(s);
    if (t->budget_dropped)
        say(t->env, s, t->r, s->slots.tx == TX_RENT ? "budget_dropped_rent" : "budget_dropped_buy",
            NULL, false);
    if (t->slots_changed) {
        const char *vars[] = {"summary", slots_summary(t->env, s), NULL};
        say(t->env, s, t->r, "noted", vars, false);
    }
    bool anything = has_budget(s) || s->slots.type || s->slots.tx || s->slots.bedrooms >= 0
                    || has_location(s) || s->slots.purpose;
    s->state = (next == PEND_PURPOSE && !anything) ? ST_WARMUP : ST_SLOT_FILLING;
    return ask(t, next);
}

/* ---- slots of agents -------------------------------------------------- */

static void local_day_bounds(const turn *t, const char *when, time_t *from, time_t *to)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0;
    if (sscanf(when, "%d-%d-%dT%d:%d", &y, &mo, &d, &h, &mi) < 3) {
        *from = t->env->now;
        *to = t->env->now + 14 * 86400;
        return;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    const char *zone = t->env->tenant->timezone;
    if (t->s->want_when_has_time) {
        tm.tm_hour = h;
        tm.tm_min = mi;
        time_t at = tz_mktime(zone, &tm);
        *from = at - 3600;
        *to = at + 4 * 3600;
    } else {
        time_t day = tz_mktime(zone, &tm);
        *from = day;
        *to = day + 86400;
    }
    if (*from < t->env->now)
        *from = t->env->now;
}

/* "Saturday 21/11 10:00" in the tenant's time zone. */
static const char *slot_when(turn *t, const store_slot *sl)
{
    struct tm tm;
    char key[16], hm[32];
    tz_localtime(t->env->tenant->timezone, (time_t)sl->starts_at, &tm);
    snprintf(key, sizeof key, "weekday_%d", tm.tm_wday);
    strftime(hm, sizeof hm, "%d/%m %H:%M", &tm);
    return arena_printf(t->env->arena, "%s %s", word(t->env, t->s, key, NULL), hm);
}

/* The button label: when, and with whom. */
static const char *slot_label(turn *t, const store_slot *sl)
{
    return arena_join(t->env->arena, slot_when(t, sl), list_sep(t->env, t->s),
                      sl->agent_name ? sl->agent_name : "");
}

static const char *day_text(turn *t, time_t at)
{
    struct tm tm;
    char key[16];
    tz_localtime(t->env->tenant->timezone, at, &tm);
    snprintf(key, sizeof key, "weekday_%d", tm.tm_wday);
    const char *vars[] = {"day", word(t->env, t->s, key, NULL), NULL};
    return word(t->env, t->s, "day_on", vars);
}

static int free_slots(turn *t, time_t from, time_t to, int limit, store_slot **out, int *n)
{
    store *st = t->env->store;
    return st->ops->slots_free(st, t->env->tenant->id, from, to, limit, t->env->arena, out, n, t->err);
}

/* ---- a slot chosen by typing ----------------------------------------- */

/* The whole message as a number, 0..99, in ASCII, Arabic-Indic or Persian
 * digits ("2", "١", " ۱ ", "3."), less spaces and punctuation at its ends;
 * -1 when it is anything else. */
static int bare_number(const char *text)
{
    if (text == NULL)
        return -1;
    const unsigned char *p = (const unsigned char *)text;
    size_t a = 0, b = strlen(text);
    while (a < b && (isspace(p[a]) || ispunct(p[a])))
        a++;
    while (b > a && (isspace(p[b - 1]) || ispunct(p[b - 1])))
        b--;
    /* the Arabic question mark (U+061F) */
    if (b - a >= 2 && p[b - 2] == 0xD8 && p[b - 1] == 0x9F)
        b -= 2;
    int v = 0, digits = 0;
    while (a < b) {
        size_t len;
        int d = digit_at(text, b, a, &len);
        if (d < 0)
            return -1;
        a += len;
        if (++digits > 2)
            return -1;
        v = v * 10 + d;
    }
    return digits ? v : -1;
}

/* The words of text (runs of bytes other than spaces). */
static int word_count(const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p;) {
        while (*p && isspace(*p))
            p++;
        if (*p)
            n++;
        while (*p && !isspace(*p))
            p++;
    }
    return n;
}

/* The most words a message choosing an offered slot by its place or its
 * agent has ("I'll take the second one", "Priya at 12 please"). */
#define SLOT_CHOICE_WORDS 5

/* How many words of an agent's name (of three letters or more: not "Al")
 * text[0..tl) holds as words of its own, ASCII case folded. */
static int name_words_in(const char *text, size_t tl, const char *name)
{
    int hits = 0;
    for (const char *w = name; w && *w;) {
        size_t n = strcspn(w, " ");
        for (size_t i = 0; n >= 3 && i + n <= tl; i++) {
            unsigned char before = i ? (unsigned char)text[i - 1] : ' ';
            unsigned char after = (unsigned char)text[i + n];   /* '\0' at the end */
            if (!isalnum(before) && before < 0x80 && !isalnum(after) && after < 0x80
                && strncasecmp(text + i, w, n) == 0) {
                hits++;
                break;
            }
        }
        w += n;
        while (*w == ' ')
            w++;
    }
    return hits;
}

/* Reads into t->choice what a typed message says of the viewing slots
 * offered (s->offered, shown as buttons) while they are pending: their
 * place in the list ("the second one", "last", "2", "١": the pack's
 * cue_ordinal_N and cue_ordinal_last lists, as for the listings, or the
 * whole message a number), their time ("11am", "at 12", "الساعة ١١": a
 * time the NLU reads, alone or with the slots' own day), their agent's name
 * ("Sara", not in a question about a listing), or several at once ("Sara
 * at 11").  The slots meeting all of it are the choice.  A day said is a
 * day ("the 1st of December" is not the first slot), and a time on another
 * day than the slots' is a new wish: neither is a choice. */
static void read_slot_choice(turn *t)
{
    slot_choice *c = &t->choice;
    const nlu_result *n = t->n;
    session *s = t->s;
    memset(c, 0, sizeof *c);
    if (t->cb || n == NULL || s->state != ST_HANDOFF_SCHEDULE || s->n_offered <= 0)
        return;
    bool when = (n->found & NLU_WHEN) != 0;
    if (when && !n->when_has_time)
        return;
    /* a "no" ("not the first one", "I can't do the first one", "11 does
     * not work": cue_slot_not, whatever the intent) chooses no slot */
    if (intent_is(n, "deny") || cue_in(t, "cue_slot_not"))
        return;
    bool time = when && strlen(n->when) >= 16;
    bool day = time && n->when_has_day;
    if (time && sscanf(n->when + 11, "%d:%d", &c->hour, &c->minute) != 2)
        time = false;
    int place = 0;   /* 1-based; past the list: no slot */
    /* a sure question about a listing ("how much is the second one?"):
     * its ordinal is a listing's, as outside slot picking ("первый" alone
     * reads as a payment question, unsure: a slot's place) */
    bool about_listing = listing_question(n) && n->confidence >= 0.8;
    /* a place or a name said inside a longer sentence is no choice ("the
     * last time I viewed a flat the agent was late", "ok first let me
     * check my calendar"): a choice is said in a few words */
    bool short_msg = word_count(n->text) <= SLOT_CHOICE_WORDS;
    if (!day && !about_listing && short_msg) {
        place = ordinal_of(t);
        if (place == 0 && cue_in(t, "cue_ordinal_last"))
            place = s->n_offered;
        int v = place == 0 && !time ? bare_number(n->text) : -1;
        if (v >= 0)
            place = v > 0 ? v : s->n_offered + 1;
    }
    /* the offered slots' times and agents, in one read of the free ones */
    store *st = t->env->store;
    pt_error e = {0};
    if (st->ops->slots_free(st, t->env->tenant->id, t->env->now, t->env->now + 15 * 86400, 1000,
                            t->env->arena, &c->free, &c->nfree, &e))
        c->nfree = 0;
    const store_slot *sl[DIALOG_MAX_OFFERED] = {0};
    for (int i = 0; i < s->n_offered; i++)
        for (int k = 0; k < c->nfree && !sl[i]; k++)
            if (c->free[k].id == s->offered[i])
                sl[i] = &c->free[k];
    bool at[DIALOG_MAX_OFFERED] = {0};
    int score[DIALOG_MAX_OFFERED] = {0}, best = 0, n_at = 0;
    const char *text = n->text ? n->text : "";
    size_t tl = strlen(text);
    bool names = short_msg && !listing_question(n) && !intent_is(n, "deny") && !intent_is(n, "thanks")
                 && !intent_is(n, "goodbye");
    for (int i = 0; i < s->n_offered; i++) {
        if (sl[i] == NULL)
            continue;
        struct tm tm;
        tz_localtime(t->env->tenant->timezone, (time_t)sl[i]->starts_at, &tm);
        char ymd[11];
        strftime(ymd, sizeof ymd, "%Y-%m-%d", &tm);
        if (c->day[0] == '\0')
            dialog_copy(c->day, sizeof c->day, ymd);
        at[i] = time && tm.tm_hour == c->hour && tm.tm_min == c->minute
                && (!day || strncmp(n->when, ymd, 10) == 0);
        n_at += at[i];
        if (names && sl[i]->agent_name)
            score[i] = name_words_in(text, tl, sl[i]->agent_name);
        if (score[i] > best)
            best = score[i];
    }
    if (day && n_at == 0)
        return;
    c->said = place > 0 || time || best > 0;
    c->time_only = time && place == 0 && best == 0;
    for (int i = 0; c->said && i < s->n_offered; i++)
        if ((place == 0 || i == place - 1) && (!time || at[i]) && (best == 0 || score[i] == best)) {
            c->n++;
            c->id = s->offered[i];
        }
}

/* Offers 3-4 real free slots as buttons, on the day asked for when there is
 * one, else the nearest ones. */
static int offer_slots(turn *t, bool after_taken)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    int want = settings(t)->slots_offered;
    if (want > DIALOG_MAX_OFFERED)
        want = DIALOG_MAX_OFFERED;
    time_t from = env->now, to = env->now + 14 * 86400;
    bool asked_day = s->want_when[0] != '\0';
    if (asked_day)
        local_day_bounds(t, s->want_when, &from, &to);
    store_slot *sl = NULL;
    int n = 0;
    int rc = free_slots(t, from, to, want * 8, &sl, &n);
    if (rc)
        return rc;
    const char *intro = after_taken ? "slot_taken" : "offer_slots";
    const char *day = asked_day ? day_text(t, from) : "";
    if (n == 0 && asked_day) {
        rc = free_slots(t, env->now, env->now + 14 * 86400, want * 8, &sl, &n);
        if (rc)
            return rc;
        if (!after_taken)
            intro = "offer_slots_other_day";
    }
    if (n == 0) {
        say(env, s, r, "no_slots", NULL, false);
        s->state = ST_ENGAGEMENT;
        s->pending = PEND_NONE;
        s->n_offered = 0;
        return 0;
    }
    const char *vars[] = {"day", day, NULL};
    say(env, s, r, intro, vars, false);
    /* distinct start times first, then the rest */
    r->n_buttons = 0;
    s->n_offered = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n && s->n_offered < want; i++) {
            bool dup = false;
            for (int j = 0; j < s->n_offered; j++) {
                if (s->offered[j] == sl[i].id)
                    dup = true;
                for (int k = 0; pass == 0 && k < i; k++)
                    if (sl[k].id == s->offered[j] && sl[k].starts_at == sl[i].starts_at)
                        dup = true;
            }
            if (dup)
                continue;
            char data[32];
            snprintf(data, sizeof data, "slot:%lld", (long long)sl[i].id);
            add_button(env, r, slot_label(t, &sl[i]), data);
            s->offered[s->n_offered++] = sl[i].id;
        }
    s->state = ST_HANDOFF_SCHEDULE;
    s->pending = PEND_APPOINTMENT;
    return 0;
}

/* ---- handlers --------------------------------------------------------- */

/* Whether the profile's last search says enough to go on with: a budget,
 * an area, or what kind of home. */
static bool search_to_continue(const profile *p)
{
    const slots *pr = &p->preferences;
    return pr->has_budget_min || pr->has_budget_max || pr->n_locations > 0
           || pr->type != PTYPE_NONE || pr->bedrooms >= 0;
}

/* Offers a returning buyer their last search ("Shall we continue your last
 * search (investment, AED 1.8M to AED 2.2M, apartment, JVC)?") with
 * [Continue that search] [Something new]; yes and no typed work as the
 * buttons.  The goal stays the pending question; wishes typed instead
 * change the last search (on_slots). */
static int offer_continue(turn *t)
{
    session *s = t->s;
    session last = *s;   /* the summary of the profile's slots, in the buyer's words */
    last.slots = t->p->preferences;
    last.location_any = false;
    const char *vars[] = {"summary", slots_summary(t->env, &last), NULL};
    say(t->env, s, t->r, "welcome_continue", vars, true);
    s->offer_continue = true;
    if (s->state == ST_START)
        s->state = ST_WARMUP;
    s->pending = PEND_PURPOSE;
    return 0;
}

/* [Continue that search] or a yes to it: the slots the session lacks are
 * the profile's, then listings (the phone the profile holds spares the
 * hard gate) or the next question. */
static int continue_search(turn *t)
{
    session *s = t->s;
    slots *sl = &s->slots;
    const slots *pr = &t->p->preferences;
    s->offer_continue = false;
    if (sl->purpose == PURPOSE_NONE)
        sl->purpose = pr->purpose;
    if (sl->tx == TX_NONE)
        sl->tx = pr->tx;
    if (!has_budget(s) && (pr->has_budget_min || pr->has_budget_max)) {
        bool ch = false;
        set_budget(s, pr->has_budget_min, pr->budget_min, pr->has_budget_max, pr->budget_max, &ch);
        sl->budget_period = pr->budget_period;   /* a rent budget said back per month, as said */
        dialog_copy(sl->currency, sizeof sl->currency, t->env->tenant->currency);
    }
    if (sl->type == PTYPE_NONE)
        sl->type = pr->type;
    if (sl->bedrooms < 0)
        sl->bedrooms = pr->bedrooms;
    if (!has_location(s))
        for (int i = 0; i < pr->n_locations; i++) {
            bool ch = false;
            add_location(s, pr->locations[i], &ch);
        }
    t->slots_changed = true;
    add_reason(t->r, "continued the last search from the profile");
    if (ready_to_search(s) && !t->currency_mismatch) {   /* what the listings are for */
        const char *vars[] = {"summary", slots_summary(t->env, s), NULL};
        say(t->env, s, t->r, "noted", vars, false);
    }
    return advance(t);
}

/* [Something new] or a no to the last search: the goal, as for a new buyer. */
static int fresh_search(turn *t)
{
    t->s->offer_continue = false;
    t->s->state = ST_WARMUP;
    return ask(t, PEND_PURPOSE);
}

static int on_welcome(turn *t)
{
    const char *vars[] = {"tenant", t->env->tenant->name, NULL};
    if (t->returning && search_to_continue(t->p))
        return offer_continue(t);
    if (t->returning)
        say(t->env, t->s, t->r, "ask_purpose", NULL, true);
    else
        say(t->env, t->s, t->r, "welcome", vars, true);
    t->s->state = ST_WARMUP;
    t->s->pending = PEND_PURPOSE;
    return 0;
}

static int on_slots(turn *t)
{
    session *s = t->s;
    /* wishes typed while the last search is offered ("show me apartments
     * in JVC") change it: the rest of it still holds, unless they leave
     * buying for renting or the other way (its budget meant the other) */
    transaction last_tx = t->p->preferences.tx;
    if (t->offer_continue && (s->slots.tx == TX_NONE || last_tx == TX_NONE || s->slots.tx == last_tx))
        return continue_search(t);
    /* after listings were shown, new wishes mean a new search; not one
     * "anywhere" when the buyer ruled out every area asked for: advance()
     * asks for the area */
    if (!t->currency_mismatch && results_shown(s) && s->state != ST_SLOT_FILLING && s->state != ST_WARMUP
        && !t->areas_dropped && !t->budget_dropped)
        return show_results(t, false);
    return advance(t);
}

/* A market question: cheaper or better options are searches in a price band
 * around the budget (or around what was shown); comparisons, an area's
 * outlook and emerging areas come from the tenant's locality figures.
 * Afterwards the conversation goes on where it was. */
static int on_market(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const nlu_result *n = t->n;
    transaction tx = s->slots.tx ? s->slots.tx : TX_BUY;
    int rc = 0;
    switch (t->market) {
    case MK_CHEAPER:
    case MK_BETTER:
        if (!has_budget(s) && !results_shown(s)) {
            say(env, s, t->r, "market_need_budget", NULL, false);
            if (s->state == ST_START)
                s->state = ST_WARMUP;
            return ask(t, PEND_BUDGET);
        }
        if (!results_shown(s) && !ready_to_search(s))
            return advance(t);
        return show_results_mode(t, false, t->market == MK_CHEAPER ? SEARCH_CHEAPER : SEARCH_BETTER);
    case MK_COMPARE: {
        const char *a = NULL, *b = NULL;
        if (n && n->n_locations >= 2) {
            a = n->locations[0];
            b = n->locations[1];
        } else if (n && n->n_locations == 1 && s->slots.n_locations > 0) {
            a = s->slots.locations[0];
            b = n->locations[0];
        }
        if (a == NULL || b == NULL || strcasecmp(a, b) == 0)
            say(env, s, t->r, "compare_need_two", NULL, false);
        else
            rc = market_answer_compare(env, s, t->r, tx, a, b);
        break;
    }
    case MK_AREA:
        /* an area as an investment is an area to buy in: its sale figures
         * and yields, whatever the buyer is looking for now (a renter's
         * "is JVC a good investment?" was answered from rents, with no
         * yield and rents as prices) */
        rc = market_answer_area(env, s, t->r, TX_BUY, n->locations[0]);
        break;
    case MK_EMERGING:
        rc = market_answer_emerging(env, s, t->r, tx,
                                    s->slots.has_budget_max ? s->slots.budget_max
                                    : s->slots.has_budget_min ? s->slots.budget_min : 0);
        break;
    default:
        return advance(t);
    }
    if (rc)
        return rc;
    add_reason(t->r, "market question answered from the inventory's figures");
    /* then back to where the conversation was */
    if (s->state == ST_START || s->state == ST_WARMUP || s->state == ST_SLOT_FILLING) {
        if (s->state == ST_START)
            s->state = ST_WARMUP;
        pending_slot next = next_missing(s);
        if (next != PEND_NONE)
            return ask(t, next);
        return 0;
    }
    if (s->pending != PEND_NONE)
        return reask(t);
    return 0;
}

static int handoff(turn *t)
{
    session *s = t->s;
    store_slot *sl = NULL;
    int n = 0;
    int rc = free_slots(t, t->env->now, t->env->now + 14 * 86400, 1, &sl, &n);
    if (rc)
        return rc;
    s->state = ST_HUMAN_HANDOFF;
    add_reason(t->r, "handed to a human agent");
    if (s->phone[0] == '\0') {
        say(t->env, s, t->r, "human_handoff_phone", NULL, false);
        s->pending = PEND_PHONE;
        return 0;
    }
    const char *vars[] = {"agent", n > 0 && sl[0].agent_name ? sl[0].agent_name : t->env->tenant->name, NULL};
    say(t->env, s, t->r, "human_handoff", vars, false);
    s->pending = PEND_NONE;
    return 0;
}

/* A first request for a person while qualifying: the pending question
 * first (human_faq); with nothing left to qualify (no question, the phone,
 * or a viewing slot pending) or asked again: handed off. */
static int on_human(turn *t)
{
    session *s = t->s;
    s->human_requests++;
    if (s->human_requests >= settings(t)->human_requests_handoff || s->pending == PEND_NONE
        || s->pending == PEND_PHONE || s->pending == PEND_APPOINTMENT)
        return handoff(t);
    say(t->env, s, t->r, "human_faq", NULL, false);
    return reask(t);
}

/* Handed off already: with a phone the agent has what they need; without
 * one they have nothing yet, so the phone is what is asked for (saying "an
 * agent has your details" then asking for the number contradicted itself). */
static int on_human_waiting(turn *t)
{
    if (t->s->phone[0] == '\0') {
        say(t->env, t->s, t->r, "human_waiting_phone", NULL, false);
        t->s->pending = PEND_PHONE;
        return 0;
    }
    say(t->env, t->s, t->r, "human_waiting", NULL, false);
    return 0;
}

static const char *phone_reason_key(const char *reason)
{
    if (reason == NULL)
        return "reason_other";
    if (strstr(reason, "long"))
        return "reason_too_long";
    /* "too few distinct digits" is a fake; "too few digits" is too short
     * (a format matter: it matched "few" and was told as the fake) */
    if (strstr(reason, "distinct") || strstr(reason, "different"))
        return "reason_few_digits";
    if (strstr(reason, "sequen") || strstr(reason, "run"))
        return "reason_sequence";
    if (strstr(reason, "repeat") || strstr(reason, "same"))
        return "reason_repeated";
    if (strstr(reason, "digit") || strstr(reason, "format") || strstr(reason, "short")
        || strstr(reason, "country") || strstr(reason, "length"))
        return "reason_format";
    return "reason_other";
}

static int on_phone(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const nlu_result *n = t->n;
    if (!(n->found & NLU_PHONE)) {
        const char *example = strcmp(env->tenant->region, "IN") == 0 ? "+91 98450 12345" : "+971 50 123 4567";
        const char *vars[] = {"reason", word(env, s, phone_reason_key(n->phone_rejected), NULL),
                              "example", example, NULL};
        say(env, s, t->r, "phone_invalid", vars, false);
        add_reason(t->r, arena_printf(env->arena, "phone rejected: %s", n->phone_rejected ? n->phone_rejected : "invalid"));
        if (s->pending == PEND_PHONE || s->state == ST_VALUE_PROPOSITION || s->state == ST_HARD_GATE) {
            if (s->state != ST_HUMAN_HANDOFF)
                s->state = ST_HARD_GATE;
            s->pending = PEND_PHONE;
            return 0;
        }
        return reask(t);
    }
    dialog_copy(s->phone, sizeof s->phone, n->phone);
    dialog_copy(t->p->phone, sizeof t->p->phone, n->phone);
    s->phone_from_profile = false;   /* typed now: no "ending in" about it */
    const char *vars[] = {"phone", s->phone, NULL};
    if (s->state == ST_HUMAN_HANDOFF) {
        s->pending = PEND_NONE;
        return handoff(t);
    }
    if (s->want_visit) {
        say(env, s, t->r, "phone_ok", vars, false);
        t->r->n_buttons = 0;
        return offer_slots(t, false);
    }
    if (results_shown(s)) {
        say(env, s, t->r, "phone_ok", vars, true);
        s->state = ST_ENGAGEMENT;
        s->pending = PEND_NONE;
        return 0;
    }
    /* volunteered before any listing: said to be saved, then on with
     * qualifying (it went unmentioned, as if it had not been read) */
    say(env, s, t->r, "phone_noted", vars, false);
    s->pending = PEND_NONE;
    return advance(t);
}

static int on_schedule(turn *t)
{
    session *s = t->s;
    const nlu_result *n = t->n;
    if (n && (n->found & NLU_WHEN)) {
        dialog_copy(s->want_when, sizeof s->want_when, n->when);
        s->want_when_has_time = n->when_has_time;
    }
    if (s->appointment_id > 0) {
        const char *vars[] = {"when", s->appointment_when, "agent", s->appointment_agent, NULL};
        say(t->env, s, t->r, "already_booked", vars, false);
        return 0;
    }
    s->want_visit = true;
    if (s->phone[0] == '\0') {
        say(t->env, s, t->r, "phone_needed_first", NULL, false);
        if (s->state != ST_HUMAN_HANDOFF)
            s->state = ST_HARD_GATE;
        s->pending = PEND_PHONE;
        return 0;
    }
    say_phone_on_file(t);
    return offer_slots(t, false);
}

/* "When is my visit?", "my booking", "موعدي", "моя запись": the buyer's
 * viewings not yet over, from the store (booked in this conversation or an
 * earlier one: they are the buyer's, by user_id), or that none is booked
 * with an offer to book one.  Read only when asked.  Then the
 * conversation goes on where it was, as after any question: the pending
 * question with its buttons (the free slots while a viewing is being
 * arranged), or the listings' buttons. */
#define MY_BOOKINGS_SAID 5
static int on_my_booking(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    store *st = env->store;
    store_appointment *ap = NULL;
    int n = 0;
    int rc = st->ops->appointments_upcoming(st, env->tenant->id, env->user_id, (int64_t)env->now,
                                            MY_BOOKINGS_SAID, env->arena, &ap, &n, t->err);
    if (rc)
        return rc;
    if (n == 0) {
        say(env, s, r, "my_booking_none", NULL, false);
    } else {
        const char *lines[MY_BOOKINGS_SAID + 1];
        int k = 0;
        for (int i = 0; i < n && i < MY_BOOKINGS_SAID; i++) {
            store_slot sl = {.starts_at = ap[i].starts_at};
            const char *title = ap[i].listing_title ? ap[i].listing_title : ap[i].listing_id;
            const char *vars[] = {"when", slot_when(t, &sl), "agent", ap[i].agent_name ? ap[i].agent_name : "",
                                  "listing", title ? arena_printf(env->arena, " (%s)", title) : "", NULL};
            if (n == 1) {
                say(env, s, r, "my_booking_one", vars, false);
                break;
            }
            if (k == 0) {
                char count[16];
                dialog_int_text(count, n);
                const char *cv[] = {"count", count, NULL};
                lines[k++] = word(env, s, "my_bookings", cv);
            }
            lines[k++] = word(env, s, "my_booking_line", vars);
        }
        if (k > 0) {
            const char *text = dialog_join(env->arena, lines, k, "\n");
            if (text == NULL)
                return pt_fail(t->err, PT_ERR_NOMEM, "out of memory");
            if (r->text == NULL || r->text[0] == '\0')
                r->text = text;
            else
                r->text = arena_join(env->arena, r->text, "\n\n", text);
        }
    }
    add_reason(r, arena_printf(env->arena, "booked viewings read from the store: %d", n));
    if (s->state == ST_START)
        return on_welcome(t);
    if (t->offer_continue || s->pending != PEND_NONE)
        return reask(t);
    r->n_buttons = 0;
    if (s->state == ST_HUMAN_HANDOFF)
        return 0;
    if (s->appointment_id == 0)
        add_button_ref(r, word(env, s, "action_schedule", NULL), "action:schedule");
    if (results_shown(s))
        add_button_ref(r, word(env, s, "action_more", NULL), "action:more");
    return 0;
}

static const char *listing_title(const listing *l)
{
    return l->title ? l->title : l->id;
}

/* The listing the buyer talks about: one whose project or title the
 * message names, else the one in focus. */
_Static_assert(DIALOG_MAX_SHOWN + 1 <= STORE_GET_MANY, "the shown listings and the focus fit one read");

static int resolve_listing(turn *t, listing *out, bool *found, bool by_name)
{
    store *st = t->env->store;
    session *s = t->s;
    const char *norm = t->n ? t->n->text : NULL;
    /* the shown listings (a name in the message picks one) and the one in
     * focus, in one read */
    const char *ids[DIALOG_MAX_SHOWN + 1];
    listing got[DIALOG_MAX_SHOWN + 1];
    bool have[DIALOG_MAX_SHOWN + 1];
    int n = 0;
    *found = false;
    for (int i = 0; norm && i < s->n_shown && i < DIALOG_MAX_SHOWN; i++)
        ids[n++] = s->shown[i];
    int focus = -1;
    if (s->focus[0]) {
        for (int i = 0; i < n && focus < 0; i++)
            if (strcmp(ids[i], s->focus) == 0)
                focus = i;
        if (focus < 0) {
            focus = n;
            ids[n++] = s->focus;
        }
    }
    if (n == 0)
        return 0;
    pt_error e = {0};
    if (listing_cache_get_many(t->env->listings, st, t->env->tenant->id, ids, n, t->env->arena, got,
                               have, &e))
        return 0;   /* as if none were found: the question is asked again */
    size_t norm_len = norm ? strlen(norm) : 0;
    for (int i = 0; by_name && norm && i < s->n_shown && i < DIALOG_MAX_SHOWN; i++) {
        const listing *l = &got[i];
        if (have[i] && ((l->project && *l->project && dialog_has_casei(norm, norm_len, l->project))
                        || (l->title && *l->title && dialog_has_casei(norm, norm_len, l->title)))) {
            *out = *l;
            *found = true;
            dialog_copy(s->focus, sizeof s->focus, l->id);
            return 0;
        }
    }
    if (focus >= 0 && have[focus]) {
        *out = got[focus];
        *found = true;
    }
    return 0;
}

/* ---- a question naming amenities -------------------------------------- */

/* The pack's amenities: cue list cue_amenity_NAME holds what a buyer calls
 * the amenity NAME in every language ("pool|swimming", "مسبح", "استخر",
 * "бассейн"), and the same phrases find it in a listing's own amenities
 * ("Community Pool", "private pool"), so a tenant adds one ("maid's room",
 * "beach access") in its pack; amenity_NAME is its name in an answer. */
#define AMENITY_CUE "cue_amenity_"
#define AMENITY_MAX 16      /* amenities asked about in one message */
#define AMENITY_SPANS 64    /* phrases found in one text */

/* The amenity phrases in folded text[0..n) (lists: the amenity lists to
 * look for, as pack_cue_scan's bits), in the order they start, into sp
 * (AMENITY_SPANS): one pass over the text for the lists the scan answers
 * for, a search per phrase for the others.  A phrase inside a longer phrase
 * of another amenity is that one's: "parking" and "car park" are not also a
 * park.  Returns the count. */
static int amenity_spans(const pack *p, uint64_t lists, const char *text, size_t n, pack_cue_span *sp)
{
    int ns = pack_cue_spans(p, lists, text, n, sp, AMENITY_SPANS);
    bool sorted = true;
    for (int id = PACK_CUE_BITS, count = pack_cue_count(p); id < count && ns < AMENITY_SPANS; id++) {
        const char *key = pack_cue_key(p, id);
        if (strncmp(key, AMENITY_CUE, sizeof AMENITY_CUE - 1) != 0)
            continue;
        const pack_phrase *ph = NULL;
        int np = pack_cue_phrases(p, key, &ph);
        for (int k = 0; k < np && ns < AMENITY_SPANS; k++)
            for (size_t from = 0; ph[k].n > 0 && from + ph[k].n <= n && ns < AMENITY_SPANS;) {
                from = pack_cue_find(text, n, from, &ph[k]);
                if (from == n)
                    break;
                sp[ns++] = (pack_cue_span){from, ph[k].n, id};
                sorted = false;
                from++;
            }
    }
    for (int i = 1; !sorted && i < ns; i++)
        for (int j = i; j > 0 && sp[j].at < sp[j - 1].at; j--) {
            pack_cue_span x = sp[j];
            sp[j] = sp[j - 1], sp[j - 1] = x;
        }
    bool inside[AMENITY_SPANS];   /* in one of another amenity that starts no later */
    for (int i = 0; i < ns; i++) {
        inside[i] = false;
        for (int j = 0; j < ns && sp[j].at <= sp[i].at && !inside[i]; j++)
            inside[i] = sp[j].list != sp[i].list && sp[i].at + sp[i].n <= sp[j].at + sp[j].n
                        && sp[j].n > sp[i].n;
    }
    int kept = 0;
    for (int i = 0; i < ns; i++)
        if (!inside[i])
            sp[kept++] = sp[i];
    return kept;
}

/* parts[0..n) as one list: list_sep between them, and the pack's last_key
 * ("list_and": " and ", "list_or": " or ") before the last.  NULL when out
 * of memory. */
static const char *join_list(const dialog_env *env, const session *s, const char *const *parts, int n,
                             const char *last_key)
{
    if (n <= 1)
        return n == 1 ? parts[0] : "";
    const char *sep = list_sep(env, s), *last = word(env, s, last_key, NULL);
    const char *three[] = {dialog_join(env->arena, parts, n - 1, sep), *last ? last : sep, parts[n - 1]};
    return three[0] ? dialog_join(env->arena, three, 3, "") : NULL;
}

/* The answer to a question naming amenities ("does it have a pool?",
 * "pool and gym?", "مع مسبح", "есть бассейн?") about l, whose amenities are
 * not empty: yes or no for each from l's own amenities (answer_amenity_yes,
 * _no, _some), then the rest of them (answer_amenity_also, or
 * answer_amenity_others after a no).  Nothing is said of an amenity the data
 * does not have but that it is not listed.  false when the message names no
 * amenity of the pack (or memory ran out): the whole list is the answer. */
static bool answer_amenities_named(turn *t, const listing *l)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const pack *p = env->pack;
    const char *msg = folded_text(t);
    uint64_t lists = pack_cue_mask(p, AMENITY_CUE);
    pack_cue_span sp[AMENITY_SPANS];
    int ns = amenity_spans(p, t->msg.hits & lists, msg, t->msg.len, sp);
    int asked[AMENITY_MAX], na = 0;   /* in the order said */
    for (int i = 0; i < ns; i++) {
        int k = 0;
        while (k < na && asked[k] != sp[i].list)
            k++;
        if (k == na && na < AMENITY_MAX)
            asked[na++] = sp[i].list;
    }
    if (na == 0)
        return false;
    /* the listing's amenities folded as one text (';' stays), searched in
     * one pass; item k of it is item k of the stored list */
    const char *folded = pack_fold(env->arena, l->amenities);
    if (folded == NULL)
        return false;
    int n_items = 1;
    for (const char *c = l->amenities; (c = strchr(c, ';')) != NULL; c++)
        n_items++;
    char *item_asked = arena_zalloc(env->arena, (size_t)n_items);
    const char **has = arena_alloc(env->arena, sizeof *has * (size_t)n_items);
    const char **rest = arena_alloc(env->arena, sizeof *rest * (size_t)n_items);
    if (item_asked == NULL || has == NULL || rest == NULL)
        return false;
    bool found[AMENITY_MAX] = {false};
    ns = amenity_spans(p, lists, folded, strlen(folded), sp);
    int item = 0;
    size_t item_at = 0;   /* where item starts in folded */
    for (int i = 0; i < ns; i++) {
        for (const char *c; item_at < sp[i].at
                            && (c = memchr(folded + item_at, ';', sp[i].at - item_at)) != NULL;)
            item++, item_at = (size_t)(c - folded) + 1;
        for (int a = 0; a < na && item < n_items; a++)
            if (asked[a] == sp[i].list)
                found[a] = true, item_asked[item] = 1;
    }
    int n_has = 0, n_rest = 0;
    item = 0;
    for (const char *c = l->amenities; *c; item++) {
        const char *semi = strchr(c, ';');
        size_t len = semi ? (size_t)(semi - c) : strlen(c);
        const char *it = c;
        c = semi ? semi + 1 : c + len;
        while (len > 0 && isspace((unsigned char)*it))
            it++, len--;
        while (len > 0 && isspace((unsigned char)it[len - 1]))
            len--;
        if (len == 0)
            continue;
        char *own = arena_strndup(env->arena, it, len);
        if (own == NULL)
            return false;
        if (item_asked[item])
            has[n_has++] = own;
        else
            rest[n_rest++] = own;
    }
    /* the ones not found by the pack's name in the buyer's language */
    const char *missing[AMENITY_MAX];
    int n_missing = 0;
    for (int a = 0; a < na; a++) {
        if (found[a])
            continue;
        const char *name = pack_cue_key(p, asked[a]) + sizeof AMENITY_CUE - 1;
        char nkey[64];
        dialog_cat(nkey, sizeof nkey, "amenity_", name);
        const char *said = word(env, s, nkey, NULL);
        if (!*said) {   /* a list without its name: the key's, "maids_room" said "maids room" */
            char *own = arena_strdup(env->arena, name);
            if (own == NULL)
                return false;
            for (char *u = own; *u; u++)
                if (*u == '_')
                    *u = ' ';
            said = own;
        }
        missing[n_missing++] = said;
    }
    const char *has_text = join_list(env, s, has, n_has, "list_and");
    const char *missing_text = join_list(env, s, missing, n_missing, "list_or");
    const char *rest_text = dialog_join(env->arena, rest, n_rest, list_sep(env, s));
    if (has_text == NULL || missing_text == NULL || rest_text == NULL)
        return false;
    const char *also = "";
    if (n_rest > 0) {
        const char *av[] = {"amenities", rest_text, NULL};
        also = word(env, s, n_has ? "answer_amenity_also" : "answer_amenity_others", av);
    }
    const char *key = n_missing == 0 ? "answer_amenity_yes"
                      : n_has == 0   ? "answer_amenity_no"
                                     : "answer_amenity_some";
    const char *vars[] = {"title", listing_title(l), "has", has_text, "missing", missing_text,
                          "also", also, NULL};
    return say(env, s, t->r, key, vars, false) != NULL;
}

/* The price of l per sq ft in whole units of the currency ("AED 1,757"),
 * worked out from its listed price and size; NULL without a size.  A
 * rent's is per year, as its price is. */
static const char *ppsf_of(const dialog_env *env, const listing *l)
{
    if (l->area_sqft <= 0 || l->price <= 0)
        return NULL;
    char b[48];
    money_format(b, sizeof b, (money)((double)l->price / l->area_sqft + 0.5), env->tenant->currency, 0);
    return arena_strdup(env->arena, b);
}

/* "2 bedrooms", "غرفتا نوم", "спален — 2" (the pack's rooms_KIND, _one, _two). */
static const char *rooms_text(const dialog_env *env, const session *s, const char *kind, double n)
{
    char nb[24];
    snprintf(nb, sizeof nb, "%g", n);
    const char *vars[] = {"n", nb, NULL};
    long whole = n == (double)(long)n ? (long)n : 0;
    return word(env, s, count_key(env, s, kind, whole), vars);
}

/* The answer's template for a fact of l asked about (fact_asked), or NULL
 * when the intent's answer stands (FACT_SIZE has its own, answer_size). */
static const char *fact_key(const listing *l, int fact)
{
    bool date = l->completion_date && *l->completion_date;
    switch (fact) {
    case FACT_PPSF:
        return l->area_sqft <= 0 || l->price <= 0 ? "answer_ppsf_no_area"
               : l->tx == TX_RENT                 ? "answer_ppsf_rent"
                                                  : "answer_ppsf";
    case FACT_COMPLETION:
        if (l->status == LSTATUS_OFF_PLAN)
            return date ? "answer_completion_off_plan" : "answer_completion_off_plan_no_date";
        if (l->status == LSTATUS_READY)
            return "answer_completion_ready";
        return date ? "answer_completion_date" : "answer_completion_unknown";
    case FACT_SIZE:   /* never "0 sq ft" or "0 bathrooms" for what the data lacks */
        return l->area_sqft <= 0 ? "answer_size_unknown" : l->bathrooms < 0 ? "answer_size_no_baths" : "answer_size";
    case FACT_BATHROOMS:
        return l->bathrooms < 0 ? "answer_bathrooms_unknown"
               : l->bedrooms > 0 ? "answer_bathrooms"
                                 : "answer_bathrooms_only";
    case FACT_BEDROOMS:
        return l->bedrooms < 0    ? "answer_bedrooms_unknown"
               : l->bedrooms == 0 ? "answer_bedrooms_studio"
               : l->bathrooms >= 0 ? "answer_bedrooms"
                                   : "answer_bedrooms_only";
    default:
        return NULL;
    }
}

static const char *compare_line(turn *t, const listing *l, int index);

/* The listing's amenities that name a view ("sea view", "Marina View"),
 * ';'-separated as stored, in env's arena; NULL when none does. */
static const char *view_amenities(const dialog_env *env, const listing *l)
{
    if (l->amenities == NULL)
        return NULL;
    size_t n = strlen(l->amenities);
    char *out = arena_alloc(env->arena, n + 1);
    if (out == NULL)
        return NULL;
    size_t w = 0;
    for (const char *a = l->amenities; *a;) {
        size_t k = strcspn(a, ";");
        bool view = false;
        for (size_t i = 0; i + 4 <= k && !view; i++)
            view = strncasecmp(a + i, "view", 4) == 0;
        if (view) {
            if (w)
                out[w++] = ';';
            memcpy(out + w, a, k);
            w += k;
        }
        a += k + (a[k] == ';');
    }
    out[w] = '\0';
    return w ? out : NULL;
}

static int answer_about(turn *t, const listing *l)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const nlu_result *n = t->n;
    const char *key = "answer_price";
    /* an amenity named gets its yes or no; then a fact the data does not
     * hold is said to be missing, whatever the intent (a service charge
     * was answered with the price, a floor with the location); the payment
     * plan and the yield next (their answers are about the money, which a
     * fact's word may come with); then the fact the words ask about: a
     * question about the size ("how big", "المساحة", "متراژ", "площадь":
     * the pack's cue_size), the bedrooms, the completion... is classified
     * as project_info, price_inquiry, amenities or location; it gets that
     * fact, not the developer, the price or the amenity list */
    int fact = fact_asked(t);
    bool listed = l->amenities && *l->amenities;
    if (intent_is(n, "amenities_inquiry") && listed && answer_amenities_named(t, l))
        return 0;
    if (fact == FACT_VIEW) {
        /* "what's the view like?": the views the listing's amenities name
         * ("sea view"); none named is a fact the data does not hold (it
         * was said to be missing when the data named a sea view) */
        const char *views = view_amenities(env, l);
        if (views) {
            const char *vars[] = {"title", listing_title(l), "views", list_text(env, s, views), NULL};
            say(env, s, t->r, "answer_view", vars, false);
            return 0;
        }
        fact = FACT_NOT_IN_DATA;
    }
    if (fact == FACT_NOT_IN_DATA)
        key = "answer_not_in_data";
    else if (intent_is(n, "payment_plan"))
        key = l->status == LSTATUS_OFF_PLAN ? "answer_payment_plan_offplan" : "answer_payment_plan_ready";
    else if (intent_is(n, "investment_inquiry"))
        key = l->rental_yield > 0 ? "answer_yield" : "answer_yield_none";
    else if (fact_key(l, fact))
        key = fact_key(l, fact);
    else if (intent_is(n, "amenities_inquiry"))
        key = listed ? "answer_amenities" : "answer_amenities_none";
    else if (intent_is(n, "location_inquiry"))
        key = "answer_location";
    else if (intent_is(n, "brochure_request"))
        key = "answer_brochure";
    else if (intent_is(n, "project_info"))   /* without a developer, no "is by ," */
        key = l->developer && *l->developer ? "answer_project" : "answer_project_no_developer";
    else if (intent_is(n, "out_of_scope") && fact == FACT_NONE) {
        /* "tell me about the second one": nothing in particular asked, so
         * what the data holds on it, in a comparison's line (classify) */
        int index = 0;
        for (int i = 0; i < s->n_shown && index == 0; i++)
            if (l->id && strcmp(s->shown[i], l->id) == 0)
                index = i + 1;
        const char *vars[] = {"line", compare_line(t, l, index > 0 ? index : 1), NULL};
        say(env, s, t->r, "answer_overview", vars, false);
        return 0;
    }
    /* only what the answer's template names is worked out (a template
     * leaves out what it does not say: its value would not be read) */
    const pack_template *tp = pack_template_get(env->pack, s->language, key);
    if (tp == NULL)
        return 0;
    char yield[16] = "", baths[16] = "", area[32] = "";
    if (pack_template_uses(tp, "yield"))
        snprintf(yield, sizeof yield, "%.1f", l->rental_yield);
    if (pack_template_uses(tp, "bathrooms"))
        snprintf(baths, sizeof baths, "%g", l->bathrooms >= 0 ? l->bathrooms : 0);
    if (pack_template_uses(tp, "area")) {
        /* grouped as in the listing lines (reply.c): "1,065", not "1065" */
        money_format(area, sizeof area, (money)(l->area_sqft + 0.5), "", 0);
        if (area[0] == ' ')
            memmove(area, area + 1, strlen(area));
    }
    const char *price = "", *beds = "", *type = "", *ppsf = "", *rooms = "", *bathrooms = "";
    if (pack_template_uses(tp, "price"))
        price = price_text(env, s, l->price, l->tx);
    if (pack_template_uses(tp, "ppsf") && (ppsf = ppsf_of(env, l)) == NULL)
        ppsf = "";
    if (pack_template_uses(tp, "beds") && l->bedrooms > 0)
        rooms = rooms_text(env, s, "rooms_bedrooms", l->bedrooms);
    if (pack_template_uses(tp, "baths") && l->bathrooms >= 0)
        bathrooms = rooms_text(env, s, "rooms_bathrooms", l->bathrooms);
    if (pack_template_uses(tp, "bedrooms")) {
        char nb[16];
        dialog_int_text(nb, l->bedrooms);
        const char *bv[] = {"n", nb, NULL};
        beds = l->bedrooms == 0 ? word(env, s, "bedrooms_studio", NULL)
                                : word(env, s, count_key(env, s, "bedrooms_n", l->bedrooms), bv);
    }
    if (pack_template_uses(tp, "type")) {
        char tkey[32];
        dialog_cat(tkey, sizeof tkey, "type_", ptype_name(l->type) ? ptype_name(l->type) : "apartment");
        type = word(env, s, tkey, NULL);
    }
    /* the status in the buyer's language (status_ready, status_off_plan) */
    const char *status = "";
    if (lstatus_name(l->status) && pack_template_uses(tp, "status")) {
        char skey[32];
        dialog_cat(skey, sizeof skey, "status_", lstatus_name(l->status));
        status = word(env, s, skey, NULL);
        if (!*status)
            status = lstatus_name(l->status);
    }
    /* stored "Pool;Gym;Parking" (the importer's form), said as a list */
    const char *amenities = "";
    if (l->amenities && *l->amenities && pack_template_uses(tp, "amenities"))
        amenities = list_text(env, s, l->amenities);
    const char *vars[] = {
        "title", listing_title(l), "price", price,
        "area", area, "bedrooms", beds,
        "type", type, "bathrooms", baths,
        "amenities", amenities, "locality", l->locality ? l->locality : "",
        "city", l->city ? l->city : "", "completion", l->completion_date ? l->completion_date : "",
        "yield", yield, "developer", l->developer ? l->developer : "", "project", l->project ? l->project : "",
        "status", status, "ppsf", ppsf, "beds", rooms, "baths", bathrooms, NULL,
    };
    say(env, s, t->r, key, vars, false);
    return 0;
}

/* One line of a comparison: "1. Azure Heights: AED 1,880,000; 1,070 sq
 * ft; 2 bedrooms; AED 1,757 per sq ft; 9 units left; off-plan, completion
 * 2027-06-30; rental yield 6.5%", each fact only when the data has it. */
static const char *compare_line(turn *t, const listing *l, int index)
{
    const dialog_env *env = t->env;
    const session *s = t->s;
    const char *facts[8];
    int nf = 0;
    char num[32], idx[16];
    facts[nf++] = price_text(env, s, l->price, l->tx);
    if (l->area_sqft > 0) {
        money_format(num, sizeof num, (money)(l->area_sqft + 0.5), "", 0);
        const char *vars[] = {"area", num + (num[0] == ' '), NULL};
        facts[nf++] = word(env, s, "compare_fact_size", vars);
    }
    if (l->bedrooms == 0)
        facts[nf++] = word(env, s, "bedrooms_studio", NULL);
    else if (l->bedrooms > 0)
        facts[nf++] = rooms_text(env, s, "rooms_bedrooms", l->bedrooms);
    const char *ppsf = ppsf_of(env, l);
    if (ppsf) {
        const char *vars[] = {"ppsf", ppsf, NULL};
        facts[nf++] = word(env, s, l->tx == TX_RENT ? "compare_fact_ppsf_rent" : "compare_fact_ppsf", vars);
    }
    if (l->units_available >= 0) {
        const char *vars[] = {"units", dialog_int_text(idx, l->units_available), NULL};
        facts[nf++] = word(env, s, count_key(env, s, "units_left", l->units_available), vars);
    }
    if (l->status == LSTATUS_OFF_PLAN && l->completion_date && *l->completion_date) {
        const char *vars[] = {"completion", l->completion_date, NULL};
        facts[nf++] = word(env, s, "compare_fact_off_plan", vars);
    } else if (l->status == LSTATUS_OFF_PLAN) {
        facts[nf++] = word(env, s, "status_off_plan", NULL);
    } else if (l->status == LSTATUS_READY) {
        facts[nf++] = word(env, s, "compare_fact_ready", NULL);
    }
    if (l->rental_yield > 0) {
        snprintf(num, sizeof num, "%.1f", l->rental_yield);
        const char *vars[] = {"yield", num, NULL};
        facts[nf++] = word(env, s, "compare_fact_yield", vars);
    }
    const char *joined = dialog_join(env->arena, facts, nf, word(env, s, "facts_sep", NULL));
    const char *vars[] = {"index", dialog_int_text(idx, index), "title", listing_title(l),
                          "facts", joined ? joined : "", NULL};
    return word(env, s, "compare_line", vars);
}

/* "compare 1 and 2": the two listings shown (t->cmp) side by side from the
 * data (compare_listings), then which costs less per sq ft when both
 * prices are of the same kind (a sale's, a year's rent). */
static int answer_compare(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    const char *ids[2] = {s->shown[t->cmp[0] - 1], s->shown[t->cmp[1] - 1]};
    listing got[2];
    bool have[2] = {false, false};
    pt_error e = {0};
    if (listing_cache_get_many(env->listings, env->store, env->tenant->id, ids, 2, env->arena, got, have, &e)
        || !have[0] || !have[1])
        return 0;   /* as if none were found: the question is asked again */
    const char *vars[] = {"first", compare_line(t, &got[0], t->cmp[0]),
                          "second", compare_line(t, &got[1], t->cmp[1]), NULL};
    say(env, s, t->r, "compare_listings", vars, false);
    bool a_ok = got[0].area_sqft > 0 && got[0].price > 0, b_ok = got[1].area_sqft > 0 && got[1].price > 0;
    if (a_ok && b_ok && got[0].tx == got[1].tx) {
        double pa = (double)got[0].price / got[0].area_sqft, pb = (double)got[1].price / got[1].area_sqft;
        bool a_cheaper = pa <= pb;
        double lo = a_cheaper ? pa : pb, hi = a_cheaper ? pb : pa;
        int pct = (int)((hi - lo) / hi * 100 + 0.5);
        char cheaper[16], dearer[16], p[16];
        const char *cv[] = {"cheaper", dialog_int_text(cheaper, t->cmp[a_cheaper ? 0 : 1]),
                            "dearer", dialog_int_text(dearer, t->cmp[a_cheaper ? 1 : 0]),
                            "pct", dialog_int_text(p, pct), NULL};
        say(env, s, t->r, pct >= 2 ? "compare_listings_ppsf" : "compare_listings_ppsf_similar", cv, false);
    }
    return 0;
}

static int on_question(turn *t)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    s->questions++;
    /* "the second one" picks the second listing shown (before, any ordinal
     * answered about the one in focus); one past the list is told so.
     * Picked first: the repeated-question check below is about it. */
    bool compare = t->n_cmp == 2;   /* "compare 1 and 2" (classify) */
    int ord = compare ? t->cmp[1] : results_shown(s) ? ordinal_of(t) : 0;
    bool past_list = ord > s->n_shown;
    if (ord > 0 && !past_list && !compare)
        dialog_copy(s->focus, sizeof s->focus, s->shown[ord - 1]);
    /* the same question again counts towards frustration: the same intent
     * and fact about the same listing ("how many bedrooms", then "how many
     * bathrooms", both project_info, were one question asked again) */
    char fp[160], fact[16];
    if (compare) {
        dialog_copy(fp, sizeof fp, "compare|");
        dialog_cat(fp, sizeof fp, fp, dialog_int_text(fact, t->cmp[0] * 10 + t->cmp[1]));
    } else {
        dialog_cat(fp, sizeof fp, t->n && t->n->intent ? t->n->intent : "", "|");
        dialog_cat(fp, sizeof fp, fp, dialog_int_text(fact, fact_asked(t)));
        dialog_cat(fp, sizeof fp, fp, "|");
        dialog_cat(fp, sizeof fp, fp, s->focus);
    }
    if (s->last_question[0] && strcmp(fp, s->last_question) == 0) {
        /* after the turn's own cap (dialog_turn): kept within 0..10 here too */
        s->frustration = dialog_frustration_cap(s->frustration + 2);
        add_reason(t->r, "question asked again");
    }
    dialog_copy(s->last_question, sizeof s->last_question, fp);

    listing l;
    bool found = false;
    int rc = past_list ? 0 : compare ? answer_compare(t) : resolve_listing(t, &l, &found, ord == 0);
    if (rc)
        return rc;
    if (compare && !past_list) {
        /* answered (or, the listings gone, nothing said: the question is asked again) */
    } else if (past_list) {
        char idx[16], count[16];
        dialog_int_text(idx, ord);
        dialog_int_text(count, s->n_shown);
        const char *vars[] = {"index", idx, "count", count, NULL};
        say(env, s, t->r, count_key(env, s, "answer_no_such_listing", s->n_shown), vars, false);
    } else if (found) {
        answer_about(t, &l);
        if (intent_is(t->n, "brochure_request"))
            add_action(t->r, word(env, s, "action_brochure", NULL));
    } else {
        say(env, s, t->r, "answer_no_listing", NULL, false);
    }
    if (s->state == ST_START)
        return on_welcome(t);
    if (s->pending == PEND_PHONE && s->state == ST_VALUE_PROPOSITION)
        s->state = ST_HARD_GATE;
    if (s->pending != PEND_NONE)
        return reask(t);
    if (s->state == ST_ENGAGEMENT || s->state == ST_COMPLETED) {
        t->r->n_buttons = 0;
        if (s->appointment_id == 0)
            add_button_ref(t->r, word(env, s, "action_schedule", NULL), "action:schedule");
        add_button_ref(t->r, word(env, s, "action_more", NULL), "action:more");
    }
    return 0;
}

static int find_offered_slot(turn *t, int64_t id, store_slot *out)
{
    store_slot *sl = NULL;
    int n = 0;
    int rc = free_slots(t, t->env->now, t->env->now + 15 * 86400, 1000, &sl, &n);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        if (sl[i].id == id) {
            *out = sl[i];
            return 0;
        }
    return -PT_ERR_NOT_FOUND;
}

static int book(turn *t, int64_t id)
{
    const dialog_env *env = t->env;
    session *s = t->s;
    reply *r = t->r;
    if (s->appointment_id > 0) {
        const char *vars[] = {"when", s->appointment_when, "agent", s->appointment_agent, NULL};
        say(env, s, r, "already_booked", vars, false);
        return 0;
    }
    if (s->phone[0] == '\0') {
        s->want_visit = true;
        say(env, s, r, "phone_needed_first", NULL, false);
        s->state = ST_HARD_GATE;
        s->pending = PEND_PHONE;
        return 0;
    }
    bool offered = false;
    for (int i = 0; i < s->n_offered; i++)
        offered |= s->offered[i] == id;
    /* a button this conversation was never offered (an old one, or one of
     * another chat) was not "just taken": the free slots are offered */
    if (!offered)
        return offer_slots(t, false);
    store_slot sl;
    if (find_offered_slot(t, id, &sl) != 0)
        return offer_slots(t, true);
    const char *when = slot_when(t, &sl);
    listing l;
    bool found = false;
    resolve_listing(t, &l, &found, true);
    const char *for_listing = found ? arena_printf(env->arena, " (%s)", listing_title(&l)) : "";
    const char *vars[] = {"when", when, "agent", sl.agent_name ? sl.agent_name : "", "listing", for_listing,
                          "phone", phone_said(t), NULL};
    r->n_buttons = 0;
    say(env, s, r, "booked", vars, false);
    r->book_slot = id;
    r->book_listing = found ? arena_strdup(env->arena, l.id) : NULL;
    r->book_when = when;
    r->book_agent = sl.agent_name;
    s->state = ST_COMPLETED;
    s->pending = PEND_NONE;
    return 0;
}

/* A time alone that is none of the offered slots' ("at 3pm" when 10:00 to
 * 13:00 were offered): on their day, a free slot at that time is booked
 * (the slots around it are offered first, so it is one of them: two agents
 * free then are offered to choose from); else it is said not to be free and
 * the day's free slots are offered again. */
static int time_not_offered(turn *t)
{
    const slot_choice *c = &t->choice;
    session *s = t->s;
    int y, mo, d;
    time_t at = 0;
    if (sscanf(c->day, "%d-%d-%d", &y, &mo, &d) == 3) {
        struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = c->hour,
                        .tm_min = c->minute};
        at = tz_mktime(t->env->tenant->timezone, &tm);
    }
    bool free_then = false;
    for (int k = 0; at > t->env->now && k < c->nfree && !free_then; k++)
        free_then = c->free[k].starts_at == (int64_t)at;
    if (!free_then) {
        char hm[8];
        snprintf(hm, sizeof hm, "%02d:%02d", c->hour, c->minute);
        const char *vars[] = {"time", hm, NULL};
        say(t->env, s, t->r, "slot_not_free", vars, false);
        return offer_slots(t, false);
    }
    snprintf(s->want_when, sizeof s->want_when, "%sT%02d:%02d", c->day, c->hour, c->minute);
    s->want_when_has_time = true;
    int rc = offer_slots(t, false);
    if (rc || s->state != ST_HANDOFF_SCHEDULE)
        return rc;
    int64_t id = 0;
    int same = 0;
    for (int i = 0; i < s->n_offered; i++)
        for (int k = 0; k < c->nfree; k++)
            if (c->free[k].id == s->offered[i] && c->free[k].starts_at == (int64_t)at) {
                id = s->offered[i];
                same++;
            }
    if (same != 1)
        return 0;
    t->r->text = NULL;
    t->r->n_buttons = 0;
    return book(t, id);
}

static int on_slot_pick(turn *t)
{
    const char *rest = NULL;
    if (cb_prefix(t->cb, "slot:", &rest)) {
        long long id;
        if (bare_int(rest, &id))
            return book(t, id);
        return offer_slots(t, false);
    }
    /* typed: one offered slot is booked as its button; a time alone that
     * is none of them is looked for on their day; anything else (none, or
     * several: "Sara" with two of hers, "5" of four) is asked again */
    const slot_choice *c = &t->choice;
    if (c->n == 1)
        return book(t, c->id);
    if (c->n == 0 && c->time_only)
        return time_not_offered(t);
    char count[16];
    const char *vars[] = {"count", dialog_int_text(count, t->s->n_offered), NULL};
    say(t->env, t->s, t->r, "slot_which", vars, false);
    return offer_slots(t, false);
}

static int on_action(turn *t)
{
    const char *rest = NULL;
    if (!cb_prefix(t->cb, "action:", &rest))
        return reask(t);
    if (strcmp(rest, "schedule") == 0)
        return on_schedule(t);
    if (strcmp(rest, "more") == 0)
        return results_shown(t->s) || ready_to_search(t->s) ? show_results(t, true) : advance(t);
    if (strcmp(rest, "human") == 0) {
        t->s->human_requests = settings(t)->human_requests_handoff;
        return handoff(t);
    }
    if (strcmp(rest, "continue") == 0)
        return continue_search(t);
    if (strcmp(rest, "fresh") == 0)
        return fresh_search(t);
    return reask(t);
}

static int on_more(turn *t)
{
    return show_results(t, true);
}

static int on_other(turn *t)
{
    session *s = t->s;
    if (pending_has_buttons(s->pending)) {
        s->zombie_repeats++;
        say(t->env, s, t->r, "zombie", NULL, false);
        return reask(t);
    }
    if (s->pending == PEND_PHONE)
        return ask(t, PEND_PHONE);
    say(t->env, s, t->r, s->state == ST_COMPLETED ? "completed_more" : "out_of_scope", NULL, false);
    if (s->state == ST_COMPLETED || s->state == ST_ENGAGEMENT) {
        if (s->appointment_id == 0)
            add_button_ref(t->r, word(t->env, s, "action_schedule", NULL), "action:schedule");
        add_button_ref(t->r, word(t->env, s, "action_more", NULL), "action:more");
    }
    return 0;
}

/* A slot-value button whose value is already taken: a second press, or a
 * button of an earlier message (the purpose buttons of the welcome, pressed
 * after a booking); or wishes typed again that are all noted already.  Nothing is new, so nothing is searched again: what is
 * noted is said, then the conversation goes on where it was (the pending
 * question with its buttons, the booking, or the listings' buttons). */
static int on_button_same(turn *t)
{
    session *s = t->s;
    const char *vars[] = {"summary", slots_summary(t->env, s), NULL};
    say(t->env, s, t->r, "button_same", vars, false);
    if (s->pending != PEND_NONE)
        return reask(t);
    t->r->n_buttons = 0;
    if (s->appointment_id > 0) {
        const char *bv[] = {"when", s->appointment_when, "agent", s->appointment_agent, NULL};
        say(t->env, s, t->r, "already_booked", bv, false);
    } else if (results_shown(s)) {
        add_button_ref(t->r, word(t->env, s, "action_schedule", NULL), "action:schedule");
    }
    if (results_shown(s))
        add_button_ref(t->r, word(t->env, s, "action_more", NULL), "action:more");
    return 0;
}

static int on_greeting(turn *t)
{
    if (t->s->pending == PEND_NONE)
        return on_other(t);
    return reask(t);
}

static int on_thanks(turn *t)
{
    say(t->env, t->s, t->r, "thanks", NULL, false);
    return reask(t);
}

static int on_goodbye(turn *t)
{
    say(t->env, t->s, t->r, "goodbye", NULL, false);
    return 0;
}

static int on_affirm(turn *t)
{
    session *s = t->s;
    if (t->offer_continue)   /* "yes" to the last search */
        return continue_search(t);
    if (s->state == ST_ENGAGEMENT && s->phone[0])
        return on_schedule(t);
    if (s->pending == PEND_NONE) {
        say(t->env, s, t->r, "affirm_generic", NULL, false);
        return on_other(t);
    }
    return reask(t);
}

static int on_deny(turn *t)
{
    if (t->offer_continue)   /* "no" to the last search: something new */
        return fresh_search(t);
    return on_other(t);
}

static int on_complaint(turn *t)
{
    say(t->env, t->s, t->r, "complaint", NULL, false);
    add_reason(t->r, "complaint");
    return reask(t);
}

/* ---- the table -------------------------------------------------------- */

#define S(x) (1u << (x))
#define ANY_STATE ((1u << ST__COUNT) - 1)
#define NOT(x) (ANY_STATE & ~S(x))

/* First match wins.  Read top to bottom. */
static const struct transition {
    unsigned states;
    event ev;
    handler fn;
    const char *rule;
} transitions[] = {
    {ANY_STATE, EV_SLOT_PICK, on_slot_pick, "a slot button, or one offered slot chosen by typing (its place, time or agent), books that slot (phone first); none or several: asked again"},
    {ANY_STATE, EV_ACTION, on_action, "action buttons: schedule, more, human"},
    {ANY_STATE, EV_MORE, on_more, "\"more\" typed after listings: the next ones, as the button"},
    {S(ST_HUMAN_HANDOFF), EV_HUMAN, on_human_waiting, "already handed off: reassure"},
    {ANY_STATE, EV_HUMAN, on_human, "first request answered then back to the question; repeated -> HUMAN_HANDOFF"},
    {ANY_STATE, EV_PHONE, on_phone, "hard gate: valid phone -> ENGAGEMENT, invalid -> HARD_GATE with reason"},
    {ANY_STATE, EV_SCHEDULE, on_schedule, "viewing wanted: phone first, then 3-4 free agent slots"},
    {ANY_STATE, EV_MY_BOOKING, on_my_booking, "\"when is my visit?\": the buyer's booked viewings from the store (any session), or none and an offer to book; then back to the question"},
    {ANY_STATE, EV_MARKET, on_market, "market questions (cheaper, better for a bit more, compare areas, an area as an investment, emerging areas): from the inventory's numbers, then back to the question"},
    {ANY_STATE, EV_SLOTS, on_slots, "new slot values: results when enough is known, else the next question"},
    {S(ST_START), EV_QUESTION, on_question, "answer, then welcome"},
    {S(ST_START), EV_GOODBYE, on_goodbye, "goodbye"},
    {S(ST_START), ANY_STATE, on_welcome, "anything else at START: welcome and ask the goal"},
    {ANY_STATE, EV_QUESTION, on_question, "FAQ tolerance: answer from the data, ask the pending question again"},
    {S(ST_HUMAN_HANDOFF), ANY_STATE, on_human_waiting, "handed off: an agent will call"},
    {ANY_STATE, EV_BUTTON_SAME, on_button_same, "a slot button for a value already taken (pressed again, or an old one), or wishes typed again: said to be noted, nothing searched again, the conversation goes on"},
    {ANY_STATE, EV_GREETING, on_greeting, "greeting mid-conversation: back to the question"},
    {ANY_STATE, EV_THANKS, on_thanks, "thanks"},
    {ANY_STATE, EV_GOODBYE, on_goodbye, "goodbye"},
    {ANY_STATE, EV_AFFIRM, on_affirm, "yes: to the offer on the table"},
    {ANY_STATE, EV_DENY, on_deny, "no: keep the state, offer options"},
    {ANY_STATE, EV_COMPLAINT, on_complaint, "complaint: apologise, frustration builds"},
    {ANY_STATE, EV_OTHER, on_other, "zombie protection: same state, same buttons"},
};

/* ANY_STATE in the event column is a wildcard (no event has that value). */
static bool row_matches(const struct transition *row, dialog_state st, event ev)
{
    return (row->states & S(st)) && ((unsigned)row->ev == ANY_STATE || row->ev == ev);
}

static event classify(turn *t)
{
    const nlu_result *n = t->n;
    const session *s = t->s;
    const char *rest = NULL;
    if (cb_prefix(t->cb, "slot:", &rest))
        return EV_SLOT_PICK;
    if (cb_prefix(t->cb, "action:", &rest))
        return EV_ACTION;
    if (t->cb && t->slots_changed)
        return EV_SLOTS;
    if (t->cb && t->market != MK_NONE)
        return EV_MARKET;
    if (t->button_same)
        return EV_BUTTON_SAME;
    if (n == NULL)
        return EV_OTHER;
    if (intent_is(n, "human_agent"))
        return EV_HUMAN;
    if ((n->found & NLU_PHONE) || n->phone_rejected)
        return EV_PHONE;
    /* "compare 1 and 2" after listings: the classifier reads it as anything
     * (inform, a brochure, a complaint, goodbye); "the 1st" is no day, and
     * while slots are offered its ordinals are listings, not a slot */
    if (results_shown(s) && !t->slots_changed && compare_asked(t))
        return EV_QUESTION;
    /* an offered slot chosen by typing: before the wish to visit a day and
     * before a question ("the first one" is a slot, not a listing) */
    read_slot_choice(t);
    if (t->choice.said)
        return EV_SLOT_PICK;
    /* "when is my visit?" asks after a booking; with a day or a time in it
     * ("book my visit for Saturday"), or a verb of booking ("I want to book
     * my viewing", "schedule my site visit": cue_book_wish) it is a wish to
     * visit */
    if (!(n->found & NLU_WHEN) && cue_in(t, "cue_my_booking") && !cue_in(t, "cue_book_wish"))
        return EV_MY_BOOKING;
    /* "something new", "start over" to the offer of the last search: its
     * [Something new], as a "no" (read as a search or a question before) */
    if (t->offer_continue && !t->slots_changed && cue_in(t, "cue_fresh_search"))
        return EV_DENY;
    if (intent_is(n, "schedule_visit") || intent_is(n, "request_callback"))
        return EV_SCHEDULE;
    /* a day said while a visit is being arranged, also while its phone is
     * awaited: "the 1st of December" is a day, not the first listing */
    if ((n->found & NLU_WHEN) && (s->state == ST_ENGAGEMENT || s->state == ST_HANDOFF_SCHEDULE
                                  || s->state == ST_COMPLETED
                                  || (s->want_visit && s->pending == PEND_PHONE)))
        return EV_SCHEDULE;
    if (t->market != MK_NONE && !t->currency_mismatch)
        return EV_MARKET;
    if (t->slots_changed || t->currency_mismatch)
        return EV_SLOTS;
    if (results_shown(s) && asks_more(t))
        return EV_MORE;
    if (listing_question(n))
        return EV_QUESTION;
    /* "how big is the third one?" read as out of scope: a word of a fact of
     * a listing (the size, the bedrooms, the completion...: fact_asked)
     * about listings shown is a question about them */
    if (results_shown(s) && intent_is(n, "out_of_scope") && fact_asked(t) != FACT_NONE)
        return EV_QUESTION;
    /* "tell me about the second one", "расскажите про второй": a listing
     * shown named and nothing else understood is a question about it (it
     * got the pending question alone); not a date ("the 2nd") */
    if (results_shown(s) && intent_is(n, "out_of_scope") && !(n->found & NLU_WHEN) && ordinal_of(t) > 0)
        return EV_QUESTION;
    if (t->typed_same && (intent_is(n, "inform") || intent_is(n, "property_search")))
        return EV_BUTTON_SAME;
    if (intent_is(n, "greeting"))
        return EV_GREETING;
    if (intent_is(n, "thanks"))
        return EV_THANKS;
    if (intent_is(n, "goodbye"))
        return EV_GOODBYE;
    if (intent_is(n, "affirm"))
        return EV_AFFIRM;
    if (intent_is(n, "deny"))
        return EV_DENY;
    if (intent_is(n, "complaint"))
        return EV_COMPLAINT;
    if (intent_is(n, "property_search") && s->state != ST_START)
        return s->pending != PEND_NONE ? EV_OTHER : EV_SLOTS;
    return EV_OTHER;
}

int dialog_turn(const dialog_env *env, session *s, profile *p, const nlu_result *n,
                const char *callback_data, reply *r, pt_error *err)
{
    int rc = 0;
    /* all but the listings shown, which are written before they are
     * counted (r->sources[0..n_sources) is all that is read) */
    _Static_assert(offsetof(reply, n_sources) < offsetof(reply, sources)
                   && offsetof(reply, sources) + sizeof r->sources <= offsetof(reply, n_actions),
                   "the listings shown sit between n_sources and n_actions");
    memset(r, 0, offsetof(reply, sources));
    memset(&r->n_actions, 0, sizeof *r - offsetof(reply, n_actions));
    turn t = {.env = env, .s = s, .p = p, .n = n, .cb = callback_data, .r = r, .err = err};
    /* the buyer's language: when the text says so clearly, or on the first
     * message when it is our best guess; a returning buyer's unsure first
     * message ("سلام" is Arabic and Persian) takes the language they spoke
     * last time */
    if (n && (n->language_sure || s->turns == 0)) {
        int l = lang_from_name(n->language);
        if (!n->language_sure && p->language >= 0 && p->language < LANG__COUNT)
            l = p->language;
        if (l >= 0)
            s->language = (lang)l;
        if (n->language_sure && l >= 0)
            p->language = l;
    }
    if (s->turns == 0) {
        /* a validated number of an earlier conversation is not asked for
         * again (the profile keeps only numbers that passed the check) */
        if (p->phone[0] && s->phone[0] == '\0') {
            dialog_copy(s->phone, sizeof s->phone, p->phone);
            s->phone_from_profile = true;
        }
        t.returning = p->sessions > 0 && strcmp(p->last_session, env->session_id) != 0;
        p->sessions++;
        dialog_copy(p->last_session, sizeof p->last_session, env->session_id);
        if (t.returning && (p->n_viewed > 0 || p->preferences.n_locations > 0)) {
            const char *last = p->n_viewed > 0
                ? (p->last_viewed.project[0]
                   /* "X in Y" in the buyer's language (it was English in all) */
                   ? word(env, s, "welcome_back_place",
                          (const char *const[]){"project", p->last_viewed.project,
                                                "locality", p->last_viewed.locality, NULL})
                   : p->last_viewed.title)
                : p->preferences.locations[0];
            const char *vars[] = {"last", last, NULL};
            say(env, s, r, "welcome_back", vars, false);
            s->welcomed_back = true;
        } else {
            t.returning = false;
        }
    }
    s->turns++;
    /* the offer of the last search holds for one answer: a question or an
     * unrelated reply shows it again (reask), anything else moves on */
    t.offer_continue = s->offer_continue;
    s->offer_continue = false;
    if (callback_data == NULL && n && n->text)
        folded_text(&t);   /* the market question is the first to read it */
    t.market = market_kind_of(env, s, n, callback_data, t.msg.folded ? &t.msg : NULL);
    absorb(&t);
    /* frustration builds over the conversation and fades slowly */
    if (n) {
        s->frustration = dialog_frustration_cap(s->frustration * 7 / 10 + n->frustration
                                                + (intent_is(n, "complaint") ? 2 : 0));
    }
    event ev = classify(&t);
    if (ev != EV_OTHER)
        s->zombie_repeats = 0;
    if (s->frustration >= pack_settings_get(env->pack)->frustration_handoff && s->state != ST_HUMAN_HANDOFF
        && ev != EV_PHONE) {
        add_reason(r, "high frustration");
        rc = handoff(&t);
    } else {
        for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
            if (row_matches(&transitions[i], s->state, ev)) {
                log_debug("dialog: state %s event %s rule \"%s\"", dialog_state_name(s->state),
                          event_names[ev], transitions[i].rule);
                rc = transitions[i].fn(&t);
                break;
            }
    }
    if (rc)
        return rc;
    director_update(env, s, p, n, r);
    lead_score(s, p, r);
    return 0;
}

int dialog_frustration_cap(int f)
{
    return f < 0 ? 0 : f > 10 ? 10 : f;
}

int dialog_booking_failed(const dialog_env *env, session *s, reply *r, pt_error *err)
{
    profile dummy;
    profile_init(&dummy);
    turn t = {.env = env, .s = s, .p = &dummy, .r = r, .err = err};
    r->text = NULL;
    r->n_buttons = 0;
    r->book_slot = 0;
    return offer_slots(&t, true);
}

void dialog_booking_done(session *s, profile *p, const reply *r, int64_t appointment_id)
{
    s->appointment_id = appointment_id;
    snprintf(s->appointment_when, sizeof s->appointment_when, "%s", r->book_when ? r->book_when : "");
    snprintf(s->appointment_agent, sizeof s->appointment_agent, "%s", r->book_agent ? r->book_agent : "");
    s->n_offered = 0;
    s->want_visit = false;
    s->stage = STAGE_DECISION;
    p->appointments++;
}
