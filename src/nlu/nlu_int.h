/*
 * nlu_int.h - the private seams of the nlu module (after SQLite's *Int.h).
 * nlu.c glues these steps together into nlu_analyze(); each step lives in
 * its own file and is tested on its own.
 *
 * Normalised text (output of nlu_normalize, input of every later step):
 *   - valid UTF-8 (invalid bytes replaced by U+FFFD), NFKC, case-folded;
 *   - Eastern Arabic (U+0660..9) and Persian (U+06F0..9) digits -> ASCII;
 *     Arabic decimal/thousands separators (U+066B, U+066C) -> '.' and ',';
 *   - Arabic/Persian letter variants folded to one form:
 *       U+06CC FARSI YEH and U+0649 ALEF MAKSURA -> U+064A YEH,
 *       U+06A9 KEHEH -> U+0643 KAF,  U+0629 TEH MARBUTA -> U+0647 HEH,
 *       U+0623 U+0625 U+0622 U+0671 (alef forms) -> U+0627 ALEF;
 *     tatweel U+0640 and harakat U+064B..U+065F, U+0670 removed;
 *   - ZWNJ (U+200C) -> space; runs of whitespace -> one space; trimmed;
 *   - common chat spellings expanded word by word (u -> you, pls -> please,
 *     thx -> thanks, hii -> hi, ...);
 *   - punctuation is KEPT (budget ranges, emails, phones need it).
 * The output is NUL-terminated and allocated in the arena.
 */
#ifndef PT_NLU_INT_H
#define PT_NLU_INT_H

#include "nlu/nlu.h"

/* normalize.c */
int nlu_normalize(arena *a, const char *in, size_t len, char **out, size_t *out_len);

/* langid.c: "en", "ar", "fa", "ru" or another ISO 639-1 code, from the RAW
 * text (Persian-only letters such as پ چ ژ گ ک ی decide fa vs ar). */
const char *nlu_detect_language(const char *raw, size_t len);
/* The same, and *sure (may be NULL) is set false when the text has too few
 * letters to tell. */
const char *nlu_detect_language_ex(const char *raw, size_t len, bool *sure);

/* classifier.c: intent and calibrated confidence for normalised text. */
void nlu_classify(const nlu_model *m, const char *norm, size_t len, const char **intent,
                  double *confidence);

/* classifier.c: whether the model was trained on an intent of that name. */
bool nlu_model_has_intent(const nlu_model *m, const char *name);
/* Whether it has both "inform" and "property_search" (the slot rules of
 * nlu.c apply), worked out once when the model is made. */
bool nlu_model_slot_intents(const nlu_model *m);

/* entities.c (budget.c, phone.c, locality.c, when.c ...): fills the entity
 * fields and `found` bits of out from normalised text. */
int nlu_extract_entities(const nlu_context *ctx, const char *norm, size_t len, arena *a,
                         nlu_result *out);

/* sentiment.c: label, score and per-message frustration from the raw text
 * (emphasis, CAPS, emoji) and the normalised text (lexicon words). */
void nlu_sentiment(const char *raw, size_t raw_len, const char *norm, size_t norm_len,
                   nlu_result *out);

#endif
