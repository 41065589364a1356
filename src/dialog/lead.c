/*
 * lead.c - lead scoring, documented in docs/lead-scoring.md.
 *
 * intent_to_buy (0..10) adds up what the buyer committed to:
 *   budget stated +1.5, property type or bedrooms +1, area +1, purpose +0.5,
 *   phone number +2, asked for a viewing +1.5, viewing booked +2,
 *   asked a question about a listing +0.5.
 * engagement (0..10) is the director's score (see director.c).
 * temperature: hot when intent >= 7 or a viewing is booked; warm when
 * intent >= 4 or engagement >= 6; cold otherwise.
 * Every point added is written as a reason, so a sales manager can see why.
 */
#include "dialog/dialog_int.h"

#include <stdio.h>

void lead_score(const session *s, profile *p, reply *r)
{
    double intent = 0;
#define ADD(cond, pts, why) do { if (cond) { intent += (pts); add_reason(r, why); } } while (0)
    ADD(s->slots.has_budget_max || s->slots.has_budget_min, 1.5, "budget stated (+1.5)");
    ADD(s->slots.type != PTYPE_NONE || s->slots.bedrooms >= 0, 1, "property type or size stated (+1)");
    ADD(s->slots.n_locations > 0, 1, "area stated (+1)");
    ADD(s->slots.purpose != PURPOSE_NONE, 0.5, "purpose stated (+0.5)");
    ADD(s->phone[0] != '\0', 2, "phone number given (+2)");
    ADD(s->want_visit || s->appointment_id > 0, 1.5, "asked for a viewing (+1.5)");
    ADD(s->appointment_id > 0 || (r && r->book_slot > 0), 2, "viewing booked (+2)");
    ADD(s->questions > 0, 0.5, "asked about a listing (+0.5)");
#undef ADD
    if (intent > 10)
        intent = 10;
    p->intent_to_buy_score = intent;
    p->engagement_score = s->engagement;
    bool booked = s->appointment_id > 0 || (r && r->book_slot > 0);
    const char *t = (intent >= 7 || booked) ? "hot" : (intent >= 4 || s->engagement >= 6) ? "warm" : "cold";
    dialog_copy(p->temperature, sizeof p->temperature, t);
}
