/*
 * market.c - the dialog's market answers: which market question a message
 * asks (cheaper options, something better for a bit more, compare areas, an
 * area as an investment, emerging areas), and the answers about areas, all
 * from the tenant's per-locality figures (search/market.h).  Cheaper and
 * better options are searches; fsm.c runs them.
 *
 * The question is told by cue phrases of the reply pack (cue_cheaper,
 * cue_better, cue_compare, cue_emerging, cue_investment: '|'-separated,
 * matched case- and accent-insensitively inside the message), in every
 * reply language (the conversation's first), together with the localities the
 * NLU found: two areas and a comparing word make a comparison, one area and
 * an investment word (or the investment_inquiry intent) an area outlook.
 * A tenant can add its own phrasing in its pack.
 */
#include "dialog/dialog_int.h"
#include "core/money.h"
#include "search/market.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* See dialog_int.h.  Any of the reply languages: buyers mix scripts
 * ("сравни Dubai Marina и JVC" reads as English to the language guesser). */
bool dialog_cue(const dialog_env *env, uint64_t hits, const char *key, const char *msg,
                size_t msg_len)
{
    int id = pack_cue_id(env->pack, key);
    if (id < 0)
        return false;
    if (id < PACK_CUE_BITS)
        return (hits >> id) & 1;
    const pack_phrase *ph = NULL;
    int n = pack_cue_phrases(env->pack, key, &ph);
    for (int i = 0; i < n; i++)
        if (pack_cue_in(msg, msg_len, &ph[i]))
            return true;
    return false;
}

market_kind market_kind_of(const dialog_env *env, const session *s, const nlu_result *n,
                           const char *cb, const dialog_msg *m)
{
    if (cb) {
        if (strcmp(cb, "market:cheaper") == 0)
            return MK_CHEAPER;
        if (strcmp(cb, "market:better") == 0)
            return MK_BETTER;
        if (strcmp(cb, "market:emerging") == 0)
            return MK_EMERGING;
        return MK_NONE;
    }
    if (n == NULL || n->text == NULL)
        return MK_NONE;
    const char *msg = m ? m->folded : pack_fold(env->arena, n->text);
    if (msg == NULL)
        msg = "";
    size_t ml = m ? m->len : strlen(msg);
    uint64_t h = m ? m->hits : pack_cue_scan(env->pack, msg, ml);
    int locs = (n->found & NLU_LOCATIONS) ? n->n_locations : 0;
    /* a message with a budget, a bedroom count or a property type is a
     * search even when it says "investment" ("a 2 bedroom apartment in
     * Dubai Marina for investment, budget 3M"): its area is where the buyer
     * wants to buy, not the subject of an outlook question (absorb() left
     * the area out and asked for it again) */
    bool search = (n->found & (NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE)) != 0;
    if (h == 0 && pack_cue_count(env->pack) <= PACK_CUE_BITS) {
        /* no phrase of any list (the scan answers for all): every dialog_cue()
         * below is false, and of the rules only the intent's is left */
        if (locs >= 1 && !search && n->intent && strcmp(n->intent, "investment_inquiry") == 0)
            return MK_AREA;
        return MK_NONE;
    }
    bool cheaper = dialog_cue(env, h, "cue_cheaper", msg, ml), better = dialog_cue(env, h, "cue_better", msg, ml);
    bool compare = dialog_cue(env, h, "cue_compare", msg, ml);
    if (locs >= 2 && (compare || cheaper || better))
        return MK_COMPARE;
    if (locs == 1 && compare && s->slots.n_locations > 0)
        return MK_COMPARE;   /* "compare it with Hebbal": with the area asked for */
    if (dialog_cue(env, h, "cue_emerging", msg, ml))
        return MK_EMERGING;
    if (locs >= 1 && !search && (dialog_cue(env, h, "cue_investment", msg, ml) ||
                      (n->intent && strcmp(n->intent, "investment_inquiry") == 0)))
        return MK_AREA;
    /* "something cheaper than 2 Cr" states a budget: that is the wish */
    if (n->found & NLU_BUDGET)
        return MK_NONE;
    if (cheaper)
        return MK_CHEAPER;
    if (better)
        return MK_BETTER;
    return MK_NONE;
}

/* ---- figures as text ---------------------------------------------------- */

static const char *ppsf_text(const dialog_env *env, double v)
{
    char b[48];
    if (v <= 0)
        return "?";
    money_format(b, sizeof b, (money)(v + 0.5), env->tenant->currency, 0);
    return arena_strdup(env->arena, b);
}

static const char *num1(const dialog_env *env, double v)
{
    return arena_printf(env->arena, "%.1f", v);
}

static const char *pct0(const dialog_env *env, double v)
{
    return arena_printf(env->arena, "%.0f", v < 0 ? -v : v);
}

static const char *count_text(const dialog_env *env, long v)
{
    char b[48];
    money_format(b, sizeof b, v, "", 0);
    return arena_strdup(env->arena, b[0] == ' ' ? b + 1 : b);
}

/* "₹7,480/sq ft, 3.6% yield, 15,625 listings (32% off plan)"; the typical
 * price is a rent (per year) when the figures are of rentals */
static const char *figures_text(const dialog_env *env, const session *s, const market_area *m,
                                transaction tx)
{
    const store_market_figures *f = m->f;
    const char *vars[] = {
        "ppsf", ppsf_text(env, f->median_price_per_sqft),
        "yield", f->avg_yield >= 0 ? num1(env, f->avg_yield) : "?",
        "listings", count_text(env, f->listings),
        "offplan", pct0(env, m->off_plan_pct),
        "median", price_text(env, s, f->median_price, tx == TX_RENT ? TX_RENT : TX_BUY),
        NULL,
    };
    return word(env, s, f->avg_yield >= 0 ? "market_figures" : "market_figures_no_yield", vars);
}

static void note(const dialog_env *env, const session *s, reply *r)
{
    say(env, s, r, "market_source_note", NULL, false);
}

int market_answer_compare(const dialog_env *env, const session *s, reply *r, transaction tx,
                          const char *a, const char *b)
{
    market_area ma, mb;
    if (market_area_get(env->localities, env->n_localities, a, tx, &ma) != 0 ||
        market_area_get(env->localities, env->n_localities, b, tx, &mb) != 0 ||
        ma.f->listings == 0 || mb.f->listings == 0) {
        const char *vars[] = {"locality", ma.loc && ma.f->listings ? b : a, NULL};
        say(env, s, r, "market_no_data", vars, false);
        return 0;
    }
    const char *vars[] = {"a", a, "b", b, "fa", figures_text(env, s, &ma, tx),
                          "fb", figures_text(env, s, &mb, tx), NULL};
    say(env, s, r, "compare_answer", vars, false);
    /* the verdict: price per sq ft, then yield */
    double gap = market_ppsf_gap_pct(&ma, &mb);
    const char *cheaper = gap >= 0 ? a : b, *dearer = gap >= 0 ? b : a;
    double g = gap >= 0 ? gap : -market_ppsf_gap_pct(&mb, &ma);
    if (g < 0)
        g = -g;
    if (ma.f->median_price_per_sqft > 0 && mb.f->median_price_per_sqft > 0) {
        const char *pv[] = {"cheaper", cheaper, "dearer", dearer, "pct", pct0(env, g), NULL};
        say(env, s, r, g < 3 ? "compare_price_similar" : "compare_price", pv, false);
    }
    if (ma.f->avg_yield >= 0 && mb.f->avg_yield >= 0) {
        double d = ma.f->avg_yield - mb.f->avg_yield;
        const char *hi = d >= 0 ? a : b, *lo = d >= 0 ? b : a;
        const char *yv[] = {"higher", hi, "lower", lo, "pts", num1(env, d < 0 ? -d : d), NULL};
        say(env, s, r, d < 0.1 && d > -0.1 ? "compare_yield_similar" : "compare_yield", yv, false);
    }
    note(env, s, r);
    char data[96];
    r->n_buttons = 0;
    const char *va[] = {"locality", a, NULL}, *vb[] = {"locality", b, NULL};
    snprintf(data, sizeof data, "loc:%s", a);
    add_button(env, r, word(env, s, "action_show_area", va), data);
    snprintf(data, sizeof data, "loc:%s", b);
    add_button(env, r, word(env, s, "action_show_area", vb), data);
    return 0;
}

int market_answer_area(const dialog_env *env, const session *s, reply *r, transaction tx,
                       const char *locality)
{
    market_area m;
    if (market_area_get(env->localities, env->n_localities, locality, tx, &m) != 0 ||
        m.f->listings == 0) {
        const char *vars[] = {"locality", locality, NULL};
        say(env, s, r, "market_no_data", vars, false);
        return 0;
    }
    const char *city = m.city.city ? m.city.city : "";
    const char *vars[] = {
        "locality", locality, "city", city, "figures", figures_text(env, s, &m, tx),
        "city_ppsf", ppsf_text(env, m.city.median_ppsf),
        "city_yield", m.city.avg_yield >= 0 ? num1(env, m.city.avg_yield) : "?",
        "pct", pct0(env, m.ppsf_vs_city_pct), "pts", num1(env, m.yield_vs_city_pts < 0
                                                          ? -m.yield_vs_city_pts
                                                          : m.yield_vs_city_pts),
        NULL,
    };
    /* no yield known across the city (rentals, or sales without yields):
     * the city's line without one, not "?% yield" */
    say(env, s, r, m.city.avg_yield >= 0 ? "area_answer" : "area_answer_no_yield", vars, false);
    char key[32];
    snprintf(key, sizeof key, "verdict_%s", market_verdict_name(m.verdict));
    say(env, s, r, key, vars, false);
    if (m.emerging)
        say(env, s, r, "area_emerging", vars, false);
    note(env, s, r);
    char data[96];
    snprintf(data, sizeof data, "loc:%s", locality);
    const char *va[] = {"locality", locality, NULL};
    r->n_buttons = 0;
    add_button(env, r, word(env, s, "action_show_area", va), data);
    return 0;
}

int market_answer_emerging(const dialog_env *env, const session *s, reply *r, transaction tx,
                           money budget)
{
    /* the city of the buyer's area, else every city */
    const char *city = NULL;
    for (int i = 0; i < env->n_localities && s->slots.n_locations; i++)
        if (strcasecmp(env->localities[i].locality, s->slots.locations[0]) == 0)
            city = env->localities[i].city;
    market_area best[3];
    int n = market_emerging(env->localities, env->n_localities, tx, budget, city, best, 3);
    if (n == 0 && budget > 0)
        n = market_emerging(env->localities, env->n_localities, tx, 0, city, best, 3);
    if (n == 0) {
        say(env, s, r, "emerging_none", NULL, false);
        return 0;
    }
    char b[48];
    money_format(b, sizeof b, budget, env->tenant->currency, 0);
    const char *vars[] = {"budget", b, NULL};
    say(env, s, r, budget > 0 ? "emerging_intro_budget" : "emerging_intro", vars, false);
    const char *lines = "";
    r->n_buttons = 0;
    for (int i = 0; i < n; i++) {
        const char *lv[] = {"index", arena_printf(env->arena, "%d", i + 1),
                            "locality", best[i].loc->locality,
                            "figures", figures_text(env, s, &best[i], tx),
                            "pct", pct0(env, best[i].ppsf_vs_city_pct), NULL};
        const char *line = word(env, s, "emerging_line", lv);
        lines = i ? arena_join(env->arena, lines, "\n", line) : line;
        char data[96];
        snprintf(data, sizeof data, "loc:%s", best[i].loc->locality);
        const char *va[] = {"locality", best[i].loc->locality, NULL};
        add_button(env, r, word(env, s, "action_show_area", va), data);
    }
    r->text = arena_join(env->arena, r->text, "\n", lines);
    note(env, s, r);
    return 0;
}
