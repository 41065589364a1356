/*
 * director.c - the conversation director: the buyer's stage, an engagement
 * score, coaching prompts from the tenant's rules, and urgency that only
 * ever repeats what the inventory says.
 *
 * Stage: awareness until listings are shown; consideration once they are;
 * decision once the buyer gives a phone number, asks for a viewing or books.
 *
 * Engagement (0..10), recomputed every turn from the session:
 *   0.5 per buyer message (at most 3), 1 per question about listings (at
 *   most 3), 0.25 per listing shown (at most 1.5), 1.5 for a phone number,
 *   1 for asking to visit, +0.5 when the last message was positive, minus
 *   0.2 per point of accumulated frustration.
 */
#include "dialog/dialog_int.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DIRECTOR_COACHING_GAP 3

static double clamp10(double v)
{
    return v < 0 ? 0 : v > 10 ? 10 : v;
}

static double capped(double v, double cap)
{
    return v > cap ? cap : v;
}

static bool coaching_shown(const session *s, const char *id)
{
    for (int i = 0; i < s->n_coaching; i++)
        if (s->coaching[i][0] == id[0] && strcmp(s->coaching[i], id) == 0)
            return true;
    return false;
}

static bool rule_matches(const pack_coaching_rule *rule, const session *s)
{
    if (rule->listings_seen_min >= 0 && s->listings_seen < rule->listings_seen_min)
        return false;
    if (rule->family_homes_seen_min >= 0 && s->family_homes_seen < rule->family_homes_seen_min)
        return false;
    if (rule->turns_min >= 0 && s->turns < rule->turns_min)
        return false;
    if (rule->stage) {
        const char *st = buyer_stage_name(s->stage);
        if (rule->stage[0] != st[0] || strcmp(rule->stage, st) != 0)
            return false;
    }
    if (rule->purpose) {
        const char *pn = purpose_name(s->slots.purpose);
        if (!pn || rule->purpose[0] != pn[0] || strcmp(rule->purpose, pn) != 0)
            return false;
    }
    if (rule->purpose_not & (1u << s->slots.purpose) & ~(1u << PURPOSE_NONE))
        return false;
    if (rule->objection) {
        int n = strcmp(rule->objection, "price") == 0 ? s->objections_price
                : strcmp(rule->objection, "location") == 0 ? s->objections_location
                : strcmp(rule->objection, "trust") == 0 ? s->objections_trust : 0;
        if (n == 0)
            return false;
    }
    return true;
}

/* The words that count as an objection, by kind (lower case). */
enum { OBJ_PRICE = 1, OBJ_LOCATION = 2, OBJ_TRUST = 4 };
static const struct obj_word {
    const char *w;
    unsigned kind;
} obj_words[] = {
    {"expensive", OBJ_PRICE}, {"too much", OBJ_PRICE}, {"costly", OBJ_PRICE},
    {"overpriced", OBJ_PRICE}, {"cheaper", OBJ_PRICE}, {"غالي", OBJ_PRICE},
    {"گران", OBJ_PRICE}, {"дорого", OBJ_PRICE},
    {"too far", OBJ_LOCATION}, {"far from", OBJ_LOCATION}, {"bad area", OBJ_LOCATION},
    {"traffic", OBJ_LOCATION}, {"بعيد", OBJ_LOCATION}, {"دور", OBJ_LOCATION},
    {"далеко", OBJ_LOCATION},
    {"scam", OBJ_TRUST}, {"fraud", OBJ_TRUST}, {"trust", OBJ_TRUST}, {"fake", OBJ_TRUST},
    {"احتيال", OBJ_TRUST}, {"کلاهبرداری", OBJ_TRUST}, {"мошен", OBJ_TRUST},
};
#define N_OBJ_WORDS (sizeof obj_words / sizeof obj_words[0])
_Static_assert(N_OBJ_WORDS < 256, "word indexes fit a byte");

/* The words by their first two bytes (every word has two): bucket
 * obj_bucket(b0, b1) holds [obj_first[k], obj_first[k + 1]) of obj_by. */
#define OBJ_BUCKETS 256
static inline unsigned obj_bucket(unsigned char b0, unsigned char b1)
{
    return (b0 * 31u + b1) & (OBJ_BUCKETS - 1);
}
static uint8_t obj_first[OBJ_BUCKETS + 1], obj_by[N_OBJ_WORDS], obj_len[N_OBJ_WORDS];
static unsigned char obj_lower[256];   /* tolower of every byte */
static pthread_once_t obj_once = PTHREAD_ONCE_INIT;

static void obj_init(void)
{
    int n = 0;
    for (unsigned k = 0; k < OBJ_BUCKETS; k++) {
        obj_first[k] = (uint8_t)n;
        for (size_t i = 0; i < N_OBJ_WORDS; i++) {
            const unsigned char *w = (const unsigned char *)obj_words[i].w;
            if (obj_bucket(w[0], w[1]) == k)
                obj_by[n++] = (uint8_t)i;
        }
    }
    obj_first[OBJ_BUCKETS] = (uint8_t)n;
    for (size_t i = 0; i < N_OBJ_WORDS; i++)
        obj_len[i] = (uint8_t)strlen(obj_words[i].w);
    for (int c = 0; c < 256; c++)
        obj_lower[c] = (unsigned char)tolower(c);
}

/* The kinds of objection words text[0..len) holds once lower-cased with
 * tolower (ASCII in the C locale, as strcasestr compares): what a strstr
 * of every word in a lower-cased copy finds, in one pass and no copy. */
static unsigned objection_kinds(const char *text, size_t len)
{
    pthread_once(&obj_once, obj_init);
    unsigned kinds = 0;
    const unsigned char *t = (const unsigned char *)text;
    for (size_t i = 0; i + 1 < len && kinds != (OBJ_PRICE | OBJ_LOCATION | OBJ_TRUST); i++) {
        unsigned k = obj_bucket(obj_lower[t[i]], obj_lower[t[i + 1]]);
        for (int j = obj_first[k]; j < obj_first[k + 1]; j++) {
            int w = obj_by[j];
            if ((kinds & obj_words[w].kind) || obj_len[w] > len - i)
                continue;
            const unsigned char *ow = (const unsigned char *)obj_words[w].w;
            size_t q = 0;
            while (q < obj_len[w] && obj_lower[t[i + q]] == ow[q])
                q++;
            if (q == obj_len[w])
                kinds |= obj_words[w].kind;
        }
    }
    return kinds;
}

static void track_objections(const dialog_env *env, session *s, profile *p, const nlu_result *n)
{
    if (n == NULL || n->text == NULL)
        return;
    (void)env;
    unsigned kinds = objection_kinds(n->text, strlen(n->text));
    if (kinds & OBJ_PRICE) {
        s->objections_price++;
        p->objections_price++;
    }
    if (kinds & OBJ_LOCATION) {
        s->objections_location++;
        p->objections_location++;
    }
    if (kinds & OBJ_TRUST) {
        s->objections_trust++;
        p->objections_trust++;
    }
}

void director_update(const dialog_env *env, session *s, profile *p, const nlu_result *n, reply *r)
{
    track_objections(env, s, p, n);
    if (s->phone[0] || s->want_visit || s->appointment_id > 0)
        s->stage = STAGE_DECISION;
    else if (s->listings_seen > 0 && s->stage < STAGE_CONSIDERATION)
        s->stage = STAGE_CONSIDERATION;

    double e = capped(0.5 * s->turns, 3) + capped(1.0 * s->questions, 3)
               + capped(0.25 * s->listings_seen, 1.5) + (s->phone[0] ? 1.5 : 0)
               + (s->want_visit || s->appointment_id > 0 ? 1 : 0)
               + (n && (n->sentiment == SENT_POSITIVE || n->sentiment == SENT_EXCITED) ? 0.5 : 0)
               - 0.2 * s->frustration;
    s->engagement = clamp10(e);

    if (n) {
        if (p->n_sentiment >= PROFILE_MAX_SENTIMENT) {
            memmove(p->sentiment, p->sentiment + 1, PROFILE_MAX_SENTIMENT - 1);
            p->n_sentiment--;
        }
        p->sentiment[p->n_sentiment++] = (signed char)(n->sentiment_score > 0.2 ? 1 : n->sentiment_score < -0.2 ? -1 : 0);
    }
    /* the buyer's last search, for the next conversation's welcome back; a
     * new conversation with nothing said yet (a "hi") keeps the last one */
    const slots *sl = &s->slots;
    if (sl->purpose || sl->tx || sl->has_budget_min || sl->has_budget_max || sl->type
        || sl->bedrooms >= 0 || sl->n_locations > 0)
        p->preferences = s->slots;

    /* coaching: the first matching rule not shown yet, at most one every
     * DIRECTOR_COACHING_GAP turns, and never on top of a refusal, a slot
     * offer, a handoff, a booking or an answer that must stand alone
     * (r->no_coaching) */
    if (s->state == ST_HUMAN_HANDOFF || s->state == ST_HARD_GATE || s->state == ST_HANDOFF_SCHEDULE
        || r->book_slot > 0 || r->no_coaching || (s->last_coaching_turn > 0 && s->turns - s->last_coaching_turn < DIRECTOR_COACHING_GAP))
        return;
    const pack_coaching_rule *rules = NULL;
    int nr = pack_coaching_rules(env->pack, &rules);
    for (int i = 0; i < nr; i++) {
        const pack_coaching_rule *rule = &rules[i];
        if (coaching_shown(s, rule->id))
            continue;
        if (!rule_matches(rule, s))
            continue;
        const char *text = rule->text[s->language] ? rule->text[s->language] : rule->text[LANG_EN];
        if (text == NULL)
            continue;
        /* the coaching prompt goes before the pending question's paragraph
         * would be ideal; appending keeps the question's buttons intact */
        r->text = r->text ? arena_join(env->arena, r->text, "\n\n💡 ", text)
                          : arena_join(env->arena, "💡", " ", text);
        s->last_coaching_turn = s->turns;
        if (s->n_coaching < DIALOG_MAX_COACHING)
            dialog_copy(s->coaching[s->n_coaching++], sizeof s->coaching[0], rule->id);
        break;
    }
}

/* What a listing's urgency names: its project, else its title. */
static const char *urgency_name(const listing *l)
{
    return l->project && *l->project ? l->project : (l->title ? l->title : l->id);
}

#define DIRECTOR_URGENCY_MAX 8   /* projects named in one line (a list shows at most 5) */

void director_urgency(const dialog_env *env, const session *s, const listing *items, int n, reply *r)
{
    int max_units = pack_settings_get(env->pack)->urgency_units_max;
    /* the listings with few units, one per project (the first one's
     * number), and whether every listing shown has the same few */
    const listing *hit[DIRECTOR_URGENCY_MAX];
    int n_hit = 0, n_few = 0;
    bool same_units = true;
    for (int i = 0; i < n; i++) {
        const listing *l = &items[i];
        if (l->units_available <= 0 || l->units_available > max_units)
            continue;
        if (n_few++ > 0 && l->units_available != hit[0]->units_available)
            same_units = false;
        bool seen = false;
        for (int j = 0; j < n_hit && !seen; j++)
            seen = hit[j]->project && l->project && strcmp(hit[j]->project, l->project) == 0;
        if (!seen && n_hit < DIRECTOR_URGENCY_MAX)
            hit[n_hit++] = l;
    }
    if (n_hit == 0)
        return;
    /* said once an answer (it was a line a project: five one-unit rentals
     * said "Only 1 unit left" five times): one project by name; every
     * listing shown with the same few units as "each of these"; else the
     * projects with their numbers, joined with the language's list_sep */
    char units[16];
    dialog_int_text(units, hit[0]->units_available);
    const char *text;
    if (n_hit == 1) {
        const char *vars[] = {"units", units, "project", urgency_name(hit[0]), NULL};
        text = word(env, s, count_key(env, s, "urgency", hit[0]->units_available), vars);
    } else if (n_few == n && same_units) {
        const char *vars[] = {"units", units, NULL};
        text = word(env, s, count_key(env, s, "urgency_each", hit[0]->units_available), vars);
    } else {
        const pack_template *item = pack_template_get(env->pack, s->language, "urgency_item");
        const char *parts[DIRECTOR_URGENCY_MAX];
        for (int i = 0; i < n_hit; i++) {
            char u[16];
            dialog_int_text(u, hit[i]->units_available);
            const char *iv[] = {"units", u, "project", urgency_name(hit[i]), NULL};
            parts[i] = item ? pack_template_render(env->arena, item, iv) : "";
        }
        const char *vars[] = {"list", dialog_join(env->arena, parts, n_hit, list_sep(env, s)), NULL};
        text = word(env, s, "urgency_several", vars);
    }
    if (text && text[0])
        r->text = arena_join(env->arena, r->text, "\n⚡ ", text);
}
