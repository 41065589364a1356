/*
 * classifier.c - the intent model: hashed n-gram features and a multinomial
 * logistic regression trained by SGD, with a calibrated confidence.
 *
 * Features (of normalised text, see nlu_int.h): every word, every pair of
 * neighbouring words (with sentence start and end marks), the character
 * NLU_NGRAM_MIN- (3) to 5-grams of each word padded as "<word>", and whether
 * the message asks a question.  Digits are read as '0' so "2bhk" and "3bhk",
 * or two phone numbers, look alike; apostrophes inside a word are dropped
 * ("what's" is "whats"); emoji are words of their own.  Each feature is
 * hashed to a 64-bit id (FNV-1a over bytes for words, over whole characters
 * for n-grams, then a 64-bit finaliser); the ids seen in training
 * index their weight rows through an open-addressing table, so unlike a
 * fixed 2^18-bucket array there are no bucket collisions, the table is
 * sized to the data, and a message with nothing known can be told.  A
 * message's vector is its feature counts divided by the square root of the
 * number of features, so long and short messages score on one scale.
 *
 * Training: every utterance is normalised with nlu_normalize(); the model
 * is a softmax over the intents trained by SGD with a per-row AdaGrad step
 * (one accumulator per feature row, one per class bias) over shuffles with
 * a fixed seed, so training is deterministic.  Epochs: about
 * NLU_STEPS_TARGET steps in all, 4 to 20 epochs.  From NLU_PRUNE_FROM
 * utterances on, features seen in one utterance only are dropped (half the
 * rows of the pack model, no loss of accuracy; a handful of examples keeps
 * them all).  Confidence is the softmax probability at a temperature fitted
 * on held-out data (see fit_model()).
 *
 * Out of scope: when the training data has an "out_of_scope" intent it is a
 * class like the others.  When it has none, a message whose best calibrated
 * probability is below NLU_OOS_THRESHOLD (0.2) is answered "out_of_scope",
 * with confidence 1 - p(best).  A message with no feature known to the model
 * is "out_of_scope" either way (confidence 1 - p(best) too), and an empty one
 * is "out_of_scope" with confidence 0.
 *
 * Classification computes only the winner's calibrated probability
 * (1 / sum of exp(z_k - z_best)), in float.  The model keeps a word cache
 * (word_cache): the rows of every training word and of its n-grams, found
 * once when the model is made, so a known word of a message is one probe;
 * its rows are summed in the same order as the features would find them,
 * so the sums, and the confidences, are the same.
 *
 * Threads: a trained model is immutable; nlu_classify() only reads it and
 * allocates nothing (its buffers are on the stack), so any number of threads
 * may share one model.
 *
 * Not for: normalisation (normalize.c), entities, or conversation context.
 */
#include "nlu/nlu_int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NLU_MAX_CLASSES   512          /* intents in one model */
#define NLU_MAX_NAME      64           /* bytes of an intent name */
#define NLU_MAX_EXAMPLES  500000       /* utterances in one training run */
#define NLU_MAX_FILE      (64u << 20)  /* bytes of one intents file */
#define NLU_MAX_FILES     256          /* intents files in one pack */
#define NLU_TEXT_MAX      2048         /* bytes of a message that are read */
#define NLU_NGRAM_MIN     3            /* shortest character n-gram */
#define NLU_TOKEN_CHARS   24           /* characters of a word used for n-grams */
/* Epochs: enough for about NLU_STEPS_TARGET SGD steps, within
 * [NLU_EPOCHS_MIN, NLU_EPOCHS_MAX] (small packs get more passes). */
#define NLU_STEPS_TARGET  40000
#define NLU_EPOCHS_MIN    4
#define NLU_EPOCHS_MAX    20
#define NLU_LR            1.5          /* AdaGrad step of feature rows */
#define NLU_LR_BIAS       0.1          /* AdaGrad step of class biases */
#define NLU_ADAGRAD_INIT  0.1          /* initial AdaGrad accumulators */
#define NLU_GRAD_EPS      1e-2f        /* smaller gradients are not applied */
/* From NLU_PRUNE_FROM examples on, features seen in only one example are
 * dropped (speed and memory on large sets; small packs keep them all). */
#define NLU_PRUNE_FROM    1000
#define NLU_HOLDOUT_MIN   40           /* fewer held-out examples: temperature 1 */
#define NLU_OOS_THRESHOLD 0.2
#define NLU_SEED          0x9E3779B97F4A7C15ull

/* Weight rows are vectors of VL floats (GCC/Clang vector extensions; plain
 * SSE2 or NEON code, and on x86-64 an AVX2 clone of the hot loops chosen at
 * load time: the same operations in the same order, so the same results). */
#define VL 8
typedef float vf __attribute__((vector_size(VL * sizeof(float))));
/* Not under ThreadSanitizer: a clone's resolver runs while the program is
 * being relocated, before TSan's runtime is up, and crashes at load. */
#if defined(__x86_64__) && defined(__has_attribute) && !defined(__SANITIZE_THREAD__)
#if __has_attribute(target_clones)
#define HOT_LOOP __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef HOT_LOOP
#define HOT_LOOP
#endif
#define LANE(v, k) ((v)[(k) / VL][(k) % VL])

/* Feature id -> weight row, open addressing with linear probing, at most
 * half full.  A slot keeps the high 32 bits of the id as a tag beside the
 * row + 1 (0: free slot), so a probe reads 8 bytes.  The low bits of the id
 * choose the slot, so two ids are confused only when they probe the same
 * run of slots and share the tag: about 2^-32 per lookup. */
typedef struct ft_slot {
    uint32_t tag;
    uint32_t row1;
} ft_slot;

typedef struct feat_table {
    ft_slot *slots;
    size_t mask;            /* number of slots - 1, a power of two minus 1 */
} feat_table;

/* The words of the training text with their features looked up once, when
 * the model is made: a word of a message found here costs one probe instead
 * of hashing and looking up each of its n-grams.  The rows are the ones the
 * features would find, in the order they are emitted, so a message's sum
 * is the same.  Open addressing by the word's hash, at most half full; the
 * bytes are compared, so a word is never taken for another. */
typedef struct wc_entry {
    uint64_t hw;            /* the word's hash (fnv over its bytes, tag 'W') */
    uint32_t text;          /* its bytes: word_cache.text[text .. text + len) */
    uint32_t rows;          /* its known rows: word_cache.rows[rows .. rows + n_rows) */
    uint8_t len;            /* 0: a free slot */
    uint8_t word_known;     /* rows[rows] is the word's own row (then the n-grams') */
    uint8_t n_ngrams;       /* its n-grams, known or not */
    uint8_t n_rows;
} wc_entry;

typedef struct word_cache {
    wc_entry *slots;        /* NULL: no cache */
    size_t mask;
    uint32_t *rows;
    unsigned char *text;
} word_cache;

struct nlu_model {
    int n_classes;
    int stride;             /* vectors per weight row: ceil(n_classes / VL) */
    char **names;           /* n_classes intent names, owned */
    int oos;                /* index of an "out_of_scope" class, or -1 */
    uint32_t n_rows;
    feat_table table;       /* feature id -> weight row */
    vf *w;                  /* n_rows * stride, row-major; aligned */
    vf *bias;               /* stride; aligned */
    double inv_temp;        /* 1 / fitted temperature */
    bool slot_intents;      /* has both "inform" and "property_search" */
    word_cache wc;          /* the training words' rows */
};

/* ---- features ------------------------------------------------------------ */

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME  1099511628211ull

static inline uint64_t fnv_byte(uint64_t h, unsigned char b)
{
    return (h ^ b) * FNV_PRIME;
}

static inline uint64_t fnv_tag(unsigned char tag)
{
    return fnv_byte(FNV_OFFSET, tag);
}

/* The id of a feature: its FNV hash through a 64-bit finaliser (never 0,
 * which marks an empty slot of a feat_table). */
static inline uint64_t feat_id(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h ? h : 1;
}

static inline uint32_t id_tag(uint64_t id)
{
    return (uint32_t)(id >> 32);
}

/* Builds t for the n ids ids[0..n) (row r has id ids[r]), with at least
 * twice as many slots as ids.  Returns 0 or -PT_ERR_NOMEM (t untouched). */
static int ft_build(feat_table *t, const uint64_t *ids, size_t n)
{
    size_t n_slots = 1024;
    while (n_slots < n * 2 + 2)
        n_slots *= 2;
    ft_slot *sl = calloc(n_slots, sizeof *sl);
    if (sl == NULL)
        return -PT_ERR_NOMEM;
    for (size_t r = 0; r < n; r++) {
        size_t i = (size_t)ids[r] & (n_slots - 1);
        while (sl[i].row1 != 0)
            i = (i + 1) & (n_slots - 1);
        sl[i].tag = id_tag(ids[r]);
        sl[i].row1 = (uint32_t)r + 1;
    }
    free(t->slots);
    t->slots = sl;
    t->mask = n_slots - 1;
    return 0;
}

/* The row + 1 of feature id, or 0 when the table does not have it. */
static inline uint32_t ft_get(const feat_table *t, uint64_t id)
{
    size_t i = (size_t)id & t->mask;
    uint32_t tag = id_tag(id);
    for (;;) {
        const ft_slot *sl = &t->slots[i];
        if (sl->row1 == 0 || sl->tag == tag)
            return sl->row1;
        i = (i + 1) & t->mask;
    }
}

/* Adds row row1 - 1 for id (not in t yet) to a table that has room. */
static void ft_add(feat_table *t, uint64_t id, uint32_t row1)
{
    size_t i = (size_t)id & t->mask;
    while (t->slots[i].row1 != 0)
        i = (i + 1) & t->mask;
    t->slots[i].tag = id_tag(id);
    t->slots[i].row1 = row1;
}

/* One word being collected: its bytes padded as "<word>" and their hash;
 * each character's code (its bytes packed, for the n-grams) is worked out
 * from the bytes only when the n-grams are (token_codes()). */
typedef struct token {
    unsigned char pad[NLU_TOKEN_CHARS * 4 + 2];
    uint32_t code[NLU_TOKEN_CHARS + 3];   /* each character's bytes, packed */
    int len;                /* bytes in pad, the '<' included */
    int chars;              /* characters in pad, the '<' included */
    int word_chars;         /* characters of the word (may exceed the kept ones) */
    int symbol;             /* an emoji or other symbol, a token on its own */
    uint64_t hw;            /* fnv of pad[1 .. len) after the tag 'W' */
} token;

/* Receives the ids of the features of a message, SINK_CHUNK at a time:
 * emit() is an inlined store, flush() an indirect call per chunk.  word
 * (may be NULL) is offered every finished word that is not a symbol before
 * its features are emitted (see token_emit()). */
#define SINK_CHUNK 64
typedef struct feat_sink {
    uint64_t ids[SINK_CHUNK];
    int n;
    void (*flush)(struct feat_sink *s);   /* consumes ids[0..n) and sets n = 0 */
    /* Either returns -1 (emit the word's features as usual) or takes the
     * word (hash hw, bytes t->pad[1 .. t->len)), its bigram id and its
     * n-grams itself and returns how many n-grams it had. */
    int (*word)(struct feat_sink *s, const token *t, uint64_t hw, uint64_t bigram);
} feat_sink;

static inline void emit(feat_sink *s, uint64_t id)
{
    s->ids[s->n++] = id;
    if (s->n == SINK_CHUNK)
        s->flush(s);
}

static void token_reset(token *t)
{
    t->pad[0] = '<';
    t->len = 1;
    t->chars = 1;
    t->word_chars = 0;
    t->symbol = 0;
    t->hw = fnv_tag('W');
}

/* Appends the character cp (bytes p[0..n)) to t; ASCII digits become '0'
 * and ASCII capitals small.  Characters past NLU_TOKEN_CHARS are dropped. */
static inline void token_add(token *t, const unsigned char *p, size_t n, int32_t cp)
{
    t->word_chars++;
    if (t->word_chars > NLU_TOKEN_CHARS || n > 4)
        return;
    unsigned char *o = t->pad + t->len;
    uint64_t h = t->hw;
    if (cp < 0x80) {
        unsigned char c = (unsigned char)cp;
        if (c >= '0' && c <= '9')
            c = '0';
        else if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        *o = c;
        h = fnv_byte(h, c);
        n = 1;
    } else {
        for (size_t b = 0; b < n; b++) {
            o[b] = p[b];
            h = fnv_byte(h, p[b]);
        }
    }
    t->hw = h;
    t->len += (int)n;
    t->chars++;
}

/* Fills t->code from the bytes of "<word>" (pad[0 .. len), the closing
 * '>' not written): each character's bytes packed, its length read from
 * its first byte (the bytes are whole characters, as token_add() keeps
 * them).  Returns the characters, '>' included. */
static int token_codes(token *t)
{
    const unsigned char *p = t->pad;
    int c = 0;
    for (int b = 0; b < t->len;) {
        int n = p[b] < 0x80 ? 1 : p[b] < 0xE0 ? 2 : p[b] < 0xF0 ? 3 : 4;
        if (b + n > t->len)
            n = t->len - b;
        uint32_t code = 0;
        for (int q = 0; q < n; q++)
            code = code << 8 | p[b + q];
        t->code[c++] = code;
        b += n;
    }
    t->code[c++] = '>';
    return c;
}

/* The ids of the character NLU_NGRAM_MIN- to 5-grams of the padded word
 * t (chars characters in t->code, the closing '>' included), hashed a
 * character (not a byte) at a time, into out (at least 3 * chars); returns
 * how many. */
static inline int token_ngrams(const token *t, int chars, uint64_t *out)
{
    int n = 0;
    for (int i = 0; i + NLU_NGRAM_MIN <= chars; i++) {
        uint64_t h = fnv_tag('C');
        for (int j = i; j < chars && j < i + 5; j++) {
            h = (h ^ t->code[j]) * FNV_PRIME;
            if (j >= i + NLU_NGRAM_MIN - 1)
                out[n++] = feat_id(h);
        }
    }
    return n;
}

/* Emits the features of one finished token; returns how many and updates
 * *prev (the hash of the previous word, for bigrams). */
static int token_emit(token *t, uint64_t *prev, feat_sink *sink)
{
    if (t->chars <= 1)
        return 0;
    /* the word and the bigram */
    uint64_t hw = t->hw;
    uint64_t bigram = feat_id((*prev * 0x100000001b3ull) ^ hw ^ 0xB16A4Dull);
    *prev = hw;
    if (!t->symbol && sink->word) {
        int k = sink->word(sink, t, hw, bigram);
        if (k >= 0)
            return 2 + k;
    }
    emit(sink, feat_id(hw));
    emit(sink, bigram);
    if (t->symbol)
        return 2;
    uint64_t ids[3 * (NLU_TOKEN_CHARS + 3)];
    int k = token_ngrams(t, token_codes(t), ids);
    for (int i = 0; i < k; i++)
        emit(sink, ids[i]);
    return 2 + k;
}

/* Is cp part of a word: letters, marks and numbers. */
static int word_char(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
               (cp >= 'A' && cp <= 'Z');
    int cat = utf8proc_category(cp);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_NO;
}

/* Emits every feature of text[0..len) into sink (at most NLU_TEXT_MAX bytes
 * are read; the last chunk is left in the sink for the caller to flush);
 * returns the number of features. */
static int extract_features(const char *text, size_t len, feat_sink *sink)
{
    const unsigned char *s = (const unsigned char *)text;
    token tok;
    uint64_t prev = fnv_tag('S');   /* sentence start */
    int n = 0, question = 0;
    size_t i = 0;

    if (len > NLU_TEXT_MAX)
        len = NLU_TEXT_MAX;
    token_reset(&tok);
    while (i < len) {
        int32_t cp;
        utf8proc_ssize_t k;
        if (s[i] < 0x80) {      /* ASCII: what utf8proc_iterate gives, without the call */
            cp = s[i];
            k = 1;
        } else {
            k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(len - i), &cp);
        }
        if (k <= 0) {           /* invalid byte: a separator */
            n += token_emit(&tok, &prev, sink);
            token_reset(&tok);
            i++;
            continue;
        }
        if (word_char(cp)) {
            token_add(&tok, s + i, (size_t)k, cp);
        } else if (cp == '\'' || cp == 0x2019 || cp == 0x200D || cp == 0xFE0F ||
                   (cp >= 0x1F3FB && cp <= 0x1F3FF)) {
            /* apostrophes inside words, emoji joiners and modifiers: dropped */
        } else {
            n += token_emit(&tok, &prev, sink);
            token_reset(&tok);
            if (cp == '?' || cp == 0x061F)
                question = 1;
            int cat = utf8proc_category(cp);
            if (cat == UTF8PROC_CATEGORY_SO || cat == UTF8PROC_CATEGORY_SK ||
                cat == UTF8PROC_CATEGORY_SM || cat == UTF8PROC_CATEGORY_SC) {
                token_add(&tok, s + i, (size_t)k, cp);
                tok.symbol = 1;
                n += token_emit(&tok, &prev, sink);
                token_reset(&tok);
            }
        }
        i += (size_t)k;
    }
    n += token_emit(&tok, &prev, sink);
    emit(sink, feat_id((prev * 0x100000001b3ull) ^ fnv_tag('E') ^ 0xB16A4Dull));
    n++;
    if (question) {
        emit(sink, feat_id(fnv_tag('Q')));
        n++;
    }
    return n;
}

/* ---- scoring ---------------------------------------------------------------- */

/* Accumulates weight rows for one message at classification time.  The
 * sink hands over ids a chunk at a time: their table slots are fetched
 * ahead together and their known rows queued; the words of the word cache
 * queue their rows at once (score_word()).  The queue is summed by
 * rows_sum() when full and at the end, in the order the features came. */
#define SCORE_ROWS 256
typedef struct score_ctx {
    feat_sink sink;         /* first: score_flush() casts back */
    const nlu_model *m;
    vf *acc;
    int known;
    int nr;
    uint32_t rows[SCORE_ROWS];
} score_ctx;

/* acc[0..S) += the rows rows[0..n) of w, S vectors a row known at compile
 * time.  Lane by lane the same additions in the same order.  (Unrolling the
 * inner loop, so the sums stay in registers, saves ~700 instructions a
 * message but was 10% slower in CPU time, on bench/nlu_bench's corpus and
 * on the chat bench's eight messages alike: left rolled.) */
#define ROWS_SUM_FIXED(S)                                                              \
    do {                                                                               \
        vf a_[S];                                                                      \
        for (int k = 0; k < S; k++)                                                    \
            a_[k] = acc[k];                                                            \
        for (int i = 0; i < n; i++) {                                                  \
            const vf *row = w + (size_t)rows[i] * S;                                   \
            if (i + 2 < n) {                                                           \
                const char *next = (const char *)(w + (size_t)rows[i + 2] * S);        \
                for (size_t b = 0; b < S * sizeof(vf); b += 64)                        \
                    __builtin_prefetch(next + b);                                      \
            }                                                                          \
            for (int k = 0; k < S; k++)                                                \
                a_[k] += row[k];                                                       \
        }                                                                              \
        for (int k = 0; k < S; k++)                                                    \
            acc[k] = a_[k];                                                            \
    } while (0)

/* acc[0..stride) += the rows rows[0..n) of w. */
HOT_LOOP static void rows_sum(vf *restrict acc, const vf *restrict w, int stride,
                              const uint32_t *rows, int n)
{
    switch (stride) {
    case 1: ROWS_SUM_FIXED(1); return;
    case 2: ROWS_SUM_FIXED(2); return;
    case 3: ROWS_SUM_FIXED(3); return;
    case 4: ROWS_SUM_FIXED(4); return;
    default: break;
    }
    for (int i = 0; i < n; i++) {
        const vf *row = w + (size_t)rows[i] * (size_t)stride;
        if (i + 2 < n) {        /* rows are scattered: fetch ahead */
            const char *next = (const char *)(w + (size_t)rows[i + 2] * (size_t)stride);
            for (size_t b = 0; b < (size_t)stride * sizeof(vf); b += 64)
                __builtin_prefetch(next + b);
        }
        for (int k = 0; k < stride; k++)
            acc[k] += row[k];
    }
}

/* Makes room for n more rows in c's queue (sums the queue when full). */
static inline void score_room(score_ctx *c, int n)
{
    if (c->nr + n > SCORE_ROWS) {
        rows_sum(c->acc, c->m->w, c->m->stride, c->rows, c->nr);
        c->nr = 0;
    }
}

/* The sink's flush: queues the known rows of the pending ids. */
static void score_flush(feat_sink *sink)
{
    score_ctx *c = (score_ctx *)sink;
    const feat_table *t = &c->m->table;
    for (int i = 0; i < sink->n; i++)
        __builtin_prefetch(&t->slots[(size_t)sink->ids[i] & t->mask]);
    score_room(c, sink->n);
    int nr = c->nr;
    for (int i = 0; i < sink->n; i++) {
        uint32_t r = ft_get(t, sink->ids[i]);
        if (r)
            c->rows[nr++] = r - 1;
    }
    c->known += nr - c->nr;
    c->nr = nr;
    sink->n = 0;
}

/* The sink's word hook: a word of the cache queues its rows, its bigram's
 * between the word's and the n-grams' as they are emitted. */
static int score_word(feat_sink *sink, const token *t, uint64_t hw, uint64_t bigram)
{
    score_ctx *c = (score_ctx *)sink;
    const word_cache *wc = &c->m->wc;
    size_t len = (size_t)t->len - 1;
    const wc_entry *e;
    for (size_t i = (size_t)hw & wc->mask;; i = (i + 1) & wc->mask) {
        e = &wc->slots[i];
        if (e->len == 0)
            return -1;
        if (e->hw == hw && e->len == len && memcmp(wc->text + e->text, t->pad + 1, len) == 0)
            break;
    }
    if (sink->n)
        score_flush(sink);
    score_room(c, 1 + e->n_rows);
    const uint32_t *r = wc->rows + e->rows;
    int nr = c->nr, k = 0;
    if (e->word_known)
        c->rows[nr++] = r[k++];
    uint32_t b = ft_get(&c->m->table, bigram);
    if (b)
        c->rows[nr++] = b - 1;
    for (; k < e->n_rows; k++)
        c->rows[nr++] = r[k];
    c->known += nr - c->nr;
    c->nr = nr;
    return e->n_ngrams;
}

/* Softmax of z[0..n) at temperature 1 / inv_temp into p.  Returns the
 * argmax. */
static int softmax(const double *z, int n, double inv_temp, double *p)
{
    int best = 0;
    double mx = z[0];
    for (int k = 1; k < n; k++)
        if (z[k] > mx) {
            mx = z[k];
            best = k;
        }
    double sum = 0;
    for (int k = 0; k < n; k++) {
        p[k] = exp((z[k] - mx) * inv_temp);
        sum += p[k];
    }
    for (int k = 0; k < n; k++)
        p[k] /= sum;
    return best;
}

/* Softmax in float for training, where it runs for every example of every
 * epoch; p[k] - y[k] is the gradient, so float precision is plenty. */
static void softmax_f(const float *z, int n, float *p)
{
    float mx = z[0], sum = 0;
    for (int k = 1; k < n; k++)
        if (z[k] > mx)
            mx = z[k];
    for (int k = 0; k < n; k++) {
        p[k] = expf(z[k] - mx);
        sum += p[k];
    }
    float inv = 1.0f / sum;
    for (int k = 0; k < n; k++)
        p[k] *= inv;
}

/* See nlu_int.h.  *intent points into the model (or to a static string). */
void nlu_classify(const nlu_model *m, const char *norm, size_t len, const char **intent,
                  double *confidence)
{
    vf acc[NLU_MAX_CLASSES / VL];
    vf zv[NLU_MAX_CLASSES / VL];
    score_ctx c;

    size_t blank = 0;
    while (norm && blank < len && (norm[blank] == ' ' || norm[blank] == '\t'))
        blank++;
    if (m == NULL || norm == NULL || blank == len) {
        /* no model or nothing said: no evidence for anything */
        *intent = m && m->oos >= 0 ? m->names[m->oos] : "out_of_scope";
        *confidence = 0.0;
        return;
    }
    memset(acc, 0, sizeof(vf) * (size_t)m->stride);
    c.m = m;
    c.acc = acc;
    c.known = 0;
    c.nr = 0;
    c.sink.n = 0;
    c.sink.flush = score_flush;
    c.sink.word = m->wc.slots ? score_word : NULL;
    int n = extract_features(norm, len, &c.sink);
    score_flush(&c.sink);
    rows_sum(acc, m->w, m->stride, c.rows, c.nr);
    /* only the winner's probability is needed: 1 / sum exp(z_k - z_best) */
    float scale = n > 0 ? 1.0f / sqrtf((float)n) : 0.0f, inv_t = (float)m->inv_temp;
    /* z = bias + scale * acc, lane by lane (a multiply then an add, as the
     * scalar form: no fused multiply-add in this function's target) */
    for (int j = 0; j < m->stride; j++)
        zv[j] = m->bias[j] + scale * acc[j];
    int best = 0;
    float zb = LANE(zv, 0);
    for (int k = 1; k < m->n_classes; k++)
        if (LANE(zv, k) > zb) {
            zb = LANE(zv, k);
            best = k;
        }
    float sum = 0;
    for (int k = 0; k < m->n_classes; k++)
        sum += expf((LANE(zv, k) - zb) * inv_t);
    double p_best = 1.0 / sum;

    if (best == m->oos) {
        *intent = m->names[best];
        *confidence = p_best;
    } else if (c.known == 0 || (m->oos < 0 && p_best < NLU_OOS_THRESHOLD)) {
        /* nothing known, or no intent likely enough */
        *intent = m->oos >= 0 ? m->names[m->oos] : "out_of_scope";
        *confidence = 1.0 - p_best;
    } else {
        *intent = m->names[best];
        *confidence = p_best;
    }
}

/* See nlu_int.h. */
bool nlu_model_has_intent(const nlu_model *m, const char *name)
{
    for (int k = 0; m && name && k < m->n_classes; k++)
        if (strcmp(m->names[k], name) == 0)
            return true;
    return false;
}

/* See nlu_int.h. */
bool nlu_model_slot_intents(const nlu_model *m)
{
    return m && m->slot_intents;
}

/* ---- training data -------------------------------------------------------- */

typedef struct example {
    int cls;
    uint32_t off, n;        /* its features: feat_row/feat_val[off .. off+n) */
} example;

typedef struct train_set train_set;
struct train_set {
    int n_classes;
    char *names[NLU_MAX_CLASSES];
    example *ex;
    size_t n_ex, cap_ex;
    uint32_t *feat_row;     /* row index per (example, feature) */
    float *feat_val;
    size_t n_feat, cap_feat;
    feat_table table;       /* feature id -> row */
    uint64_t *row_id;       /* n_rows ids, for growing the table */
    size_t cap_rows;
    uint32_t n_rows;
    /* scratch for one utterance */
    uint64_t *tmp;
    size_t n_tmp, cap_tmp;
    int tmp_nomem;
    /* the distinct words of the training text (for the model's word cache):
     * a set with the layout of word_cache (rows unused) */
    wc_entry *voc;
    size_t voc_mask, n_voc;
    unsigned char *voc_text;
    size_t n_voc_text, cap_voc_text;
};

/* The sink of training: appends a chunk of ids to the train set's scratch. */
typedef struct tmp_sink {
    feat_sink sink;         /* first: tmp_flush() casts back */
    train_set *ts;
} tmp_sink;

/* Adds word (hash hw, len bytes) to the set ts->voc if new.  Returns 0
 * or -PT_ERR_NOMEM. */
static int voc_add(train_set *ts, uint64_t hw, const unsigned char *word, size_t len)
{
    if (ts->voc == NULL || (ts->n_voc + 1) * 2 > ts->voc_mask + 1) {
        size_t n_slots = ts->voc ? (ts->voc_mask + 1) * 2 : 4096;
        wc_entry *sl = calloc(n_slots, sizeof *sl);
        if (sl == NULL)
            return -PT_ERR_NOMEM;
        for (size_t i = 0; ts->voc && i <= ts->voc_mask; i++) {
            if (ts->voc[i].len == 0)
                continue;
            size_t j = (size_t)ts->voc[i].hw & (n_slots - 1);
            while (sl[j].len != 0)
                j = (j + 1) & (n_slots - 1);
            sl[j] = ts->voc[i];
        }
        free(ts->voc);
        ts->voc = sl;
        ts->voc_mask = n_slots - 1;
    }
    size_t i = (size_t)hw & ts->voc_mask;
    for (; ts->voc[i].len != 0; i = (i + 1) & ts->voc_mask) {
        const wc_entry *e = &ts->voc[i];
        if (e->hw == hw && e->len == len && memcmp(ts->voc_text + e->text, word, len) == 0)
            return 0;
    }
    if (ts->n_voc_text + len > ts->cap_voc_text) {
        size_t cap = ts->cap_voc_text ? ts->cap_voc_text * 2 : 65536;
        if (cap > UINT32_MAX)
            return -PT_ERR_NOMEM;
        unsigned char *p = realloc(ts->voc_text, cap);
        if (p == NULL)
            return -PT_ERR_NOMEM;
        ts->voc_text = p;
        ts->cap_voc_text = cap;
    }
    memcpy(ts->voc_text + ts->n_voc_text, word, len);
    ts->voc[i].hw = hw;
    ts->voc[i].text = (uint32_t)ts->n_voc_text;
    ts->voc[i].len = (uint8_t)len;
    ts->n_voc_text += len;
    ts->n_voc++;
    return 0;
}

/* The training sink's word hook: notes the word, emits it as usual. */
static int tmp_word(feat_sink *sink, const token *t, uint64_t hw, uint64_t bigram)
{
    train_set *ts = ((tmp_sink *)sink)->ts;
    size_t len = (size_t)t->len - 1;
    if (len > 0 && len <= UINT8_MAX && voc_add(ts, hw, t->pad + 1, len) < 0)
        ts->tmp_nomem = 1;
    return -1;
}

static void tmp_flush(feat_sink *sink)
{
    train_set *ts = ((tmp_sink *)sink)->ts;
    if (ts->n_tmp + (size_t)sink->n > ts->cap_tmp) {
        size_t cap = ts->cap_tmp ? ts->cap_tmp * 2 : 1024;
        while (cap < ts->n_tmp + (size_t)sink->n)
            cap *= 2;
        uint64_t *p = realloc(ts->tmp, cap * sizeof *p);
        if (p == NULL) {
            ts->tmp_nomem = 1;
            sink->n = 0;
            return;
        }
        ts->tmp = p;
        ts->cap_tmp = cap;
    }
    memcpy(ts->tmp + ts->n_tmp, sink->ids, (size_t)sink->n * sizeof *sink->ids);
    ts->n_tmp += (size_t)sink->n;
    sink->n = 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int class_index(train_set *ts, const char *name, pt_error *err, const char *where)
{
    for (int i = 0; i < ts->n_classes; i++)
        if (strcmp(ts->names[i], name) == 0)
            return i;
    if (ts->n_classes == NLU_MAX_CLASSES)
        return pt_fail(err, PT_ERR_INVALID, "%s: more than %d intents", where, NLU_MAX_CLASSES);
    ts->names[ts->n_classes] = strdup(name);
    if (ts->names[ts->n_classes] == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
    return ts->n_classes++;
}

/* Gives feature id a new row; *row1 receives its row + 1.  Grows the
 * table (rebuilt from row_id) before it gets more than half full. */
static int new_row(train_set *ts, uint64_t id, uint32_t *row1)
{
    if (ts->n_rows == UINT32_MAX - 1)
        return -PT_ERR_NOMEM;
    if (ts->n_rows == ts->cap_rows) {
        size_t cap = ts->cap_rows ? ts->cap_rows * 2 : 4096;
        uint64_t *p = realloc(ts->row_id, cap * sizeof *p);
        if (p == NULL)
            return -PT_ERR_NOMEM;
        ts->row_id = p;
        ts->cap_rows = cap;
    }
    ts->row_id[ts->n_rows] = id;
    if (((size_t)ts->n_rows + 1) * 2 > ts->table.mask + 1) {
        if (ft_build(&ts->table, ts->row_id, (size_t)ts->n_rows + 1) < 0)
            return -PT_ERR_NOMEM;
    } else {
        ft_add(&ts->table, id, ts->n_rows + 1);
    }
    *row1 = ++ts->n_rows;
    return 0;
}

/* Normalises one utterance and appends it as an example of class cls. */
static int add_example(train_set *ts, int cls, const char *text, size_t len, arena *a,
                       pt_error *err, const char *where)
{
    int rc = 0;
    char *norm = NULL;
    size_t norm_len = 0;

    if (ts->n_ex == NLU_MAX_EXAMPLES) {
        rc = pt_fail(err, PT_ERR_INVALID, "%s: more than %d utterances", where,
                     NLU_MAX_EXAMPLES);
        goto done;
    }
    if (len > NLU_TEXT_MAX)
        len = NLU_TEXT_MAX;
    rc = nlu_normalize(a, text, len, &norm, &norm_len);
    if (rc < 0) {
        rc = pt_fail(err, -rc, "%s: cannot normalise an utterance", where);
        goto done;
    }
    ts->n_tmp = 0;
    ts->tmp_nomem = 0;
    tmp_sink sk;
    sk.sink.n = 0;
    sk.sink.flush = tmp_flush;
    sk.sink.word = tmp_word;
    sk.ts = ts;
    int total = extract_features(norm, norm_len, &sk.sink);
    tmp_flush(&sk.sink);
    if (ts->tmp_nomem) {
        rc = pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
        goto done;
    }
    qsort(ts->tmp, ts->n_tmp, sizeof *ts->tmp, cmp_u64);

    if (ts->n_ex == ts->cap_ex) {
        size_t cap = ts->cap_ex ? ts->cap_ex * 2 : 1024;
        example *p = realloc(ts->ex, cap * sizeof *p);
        if (p == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
            goto done;
        }
        ts->ex = p;
        ts->cap_ex = cap;
    }
    if (ts->n_feat + ts->n_tmp > ts->cap_feat) {
        size_t cap = ts->cap_feat ? ts->cap_feat : 16384;
        while (cap < ts->n_feat + ts->n_tmp)
            cap *= 2;
        uint32_t *r = realloc(ts->feat_row, cap * sizeof *r);
        if (r == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
            goto done;
        }
        ts->feat_row = r;
        float *v = realloc(ts->feat_val, cap * sizeof *v);
        if (v == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
            goto done;
        }
        ts->feat_val = v;
        ts->cap_feat = cap;
    }

    example *e = &ts->ex[ts->n_ex];
    e->cls = cls;
    e->off = (uint32_t)ts->n_feat;
    e->n = 0;
    float scale = total > 0 ? (float)(1.0 / sqrt((double)total)) : 0.0f;
    for (size_t i = 0; i < ts->n_tmp;) {
        uint64_t id = ts->tmp[i];
        size_t j = i;
        while (j < ts->n_tmp && ts->tmp[j] == id)
            j++;
        uint32_t row1 = ft_get(&ts->table, id);
        if (row1 == 0) {
            rc = new_row(ts, id, &row1);
            if (rc < 0) {
                rc = pt_fail(err, PT_ERR_NOMEM, "%s: out of memory", where);
                goto done;
            }
        }
        ts->feat_row[ts->n_feat] = row1 - 1;
        ts->feat_val[ts->n_feat] = (float)(j - i) * scale;
        ts->n_feat++;
        e->n++;
        i = j;
    }
    ts->n_ex++;
done:
    return rc;
}

/* Reads one {"intents": {...}} document into ts.  where names it in errors
 * ("intents file 2" or a path). */
static int load_doc(train_set *ts, const char *text, size_t len, const char *where,
                    arena *a, pt_error *err)
{
    int rc = 0;
    json_error_t je;
    json_t *root = NULL;
    const char *name;
    json_t *arr;

    if (text == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "%s: no text", where);
        goto done;
    }
    if (len > NLU_MAX_FILE) {
        rc = pt_fail(err, PT_ERR_TOO_LARGE, "%s: larger than %u bytes", where, NLU_MAX_FILE);
        goto done;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "%s: line %d: %s", where, je.line, je.text);
        goto done;
    }
    json_t *intents = json_is_object(root) ? json_object_get(root, "intents") : NULL;
    if (!json_is_object(intents)) {
        rc = pt_fail(err, PT_ERR_INVALID, "%s: \"intents\" must be an object of arrays", where);
        goto done;
    }
    json_object_foreach(intents, name, arr) {
        size_t nlen = strlen(name);
        if (nlen == 0 || nlen > NLU_MAX_NAME) {
            rc = pt_fail(err, PT_ERR_INVALID, "%s: intent name \"%.64s\" must have 1 to %d bytes",
                         where, name, NLU_MAX_NAME);
            goto done;
        }
        if (!json_is_array(arr)) {
            rc = pt_fail(err, PT_ERR_INVALID, "%s: intent \"%s\": utterances must be an array",
                         where, name);
            goto done;
        }
        int cls = class_index(ts, name, err, where);
        if (cls < 0) {
            rc = cls;
            goto done;
        }
        size_t i;
        json_t *u;
        json_array_foreach(arr, i, u) {
            if (!json_is_string(u)) {
                rc = pt_fail(err, PT_ERR_INVALID,
                             "%s: intent \"%s\": utterance %zu is not a string", where, name,
                             i + 1);
                goto done;
            }
            rc = add_example(ts, cls, json_string_value(u), json_string_length(u), a, err,
                             where);
            arena_release(a);
            if (rc < 0)
                goto done;
        }
    }
done:
    json_decref(root);
    return rc;
}

static void train_set_release(train_set *ts)
{
    for (int i = 0; i < ts->n_classes; i++)
        free(ts->names[i]);
    free(ts->ex);
    free(ts->feat_row);
    free(ts->feat_val);
    free(ts->table.slots);
    free(ts->row_id);
    free(ts->tmp);
    free(ts->voc);
    free(ts->voc_text);
    memset(ts, 0, sizeof *ts);
}

/* ---- SGD ------------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void shuffle(uint32_t *v, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next(seed) % i);
        uint32_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* n zeroed vectors, aligned for vf (malloc's 16 bytes may not do); the
 * caller frees them with free().  NULL when out of memory. */
static vf *vf_zalloc(size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / sizeof(vf))
        return NULL;
    vf *p = aligned_alloc(sizeof(vf), n * sizeof(vf));
    if (p)
        memset(p, 0, n * sizeof(vf));
    return p;
}

/* acc[0..stride) += sum of vals[i] * (row rows[i] of w), i < n. */
HOT_LOOP static void rows_dot(vf *restrict acc, const vf *restrict w, int stride,
                              const uint32_t *rows, const float *vals, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const vf *row = w + (size_t)rows[i] * (size_t)stride;
        float v = vals[i];
        if (i + 2 < n) {        /* rows are scattered: fetch ahead */
            const char *next = (const char *)(w + (size_t)rows[i + 2] * (size_t)stride);
            for (size_t b = 0; b < (size_t)stride * sizeof(vf); b += 64)
                __builtin_prefetch(next + b);
        }
        for (int k = 0; k < stride; k++)
            acc[k] += v * row[k];
    }
}

/* The SGD step of one example on its feature rows: row r moves by
 * -lr * v / sqrt(G_r) * grad, where G_r (AdaGrad, one per row) grows by
 * v^2 * |grad|^2.  Only the classes act[0..n_act) move when they are few. */
HOT_LOOP static void rows_step(vf *restrict w, int stride, float *restrict g_row,
                               const uint32_t *rows, const float *vals, uint32_t n,
                               const vf *grad, float sq, const int *act, int n_act, int dense)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        float v = vals[i];
        g_row[r] += v * v * sq;
        float step = (float)NLU_LR * v / sqrtf(g_row[r]);
        vf *row = w + (size_t)r * (size_t)stride;
        if (dense) {
            for (int k = 0; k < stride; k++)
                row[k] -= step * grad[k];
        } else {
            for (int a = 0; a < n_act; a++) {
                int k = act[a];
                LANE(row, k) -= step * LANE(grad, k);
            }
        }
    }
}

/* Scores of example e under (w, bias) into z[0..K). */
static void example_scores(const train_set *ts, const example *e, const vf *w,
                           const vf *bias, int stride, vf *acc, float *z)
{
    for (int k = 0; k < stride; k++)
        acc[k] = bias[k];
    rows_dot(acc, w, stride, ts->feat_row + e->off, ts->feat_val + e->off, e->n);
    for (int k = 0; k < ts->n_classes; k++)
        z[k] = LANE(acc, k);
}

/* The optimiser's memory: AdaGrad accumulators and the shuffle's seed. */
typedef struct sgd_state {
    float *g_row;                   /* one per feature row */
    float gb[NLU_MAX_CLASSES];      /* one per class bias */
    uint64_t seed;
} sgd_state;

static int sgd_init(sgd_state *st, const train_set *ts)
{
    st->g_row = malloc((size_t)ts->n_rows * sizeof *st->g_row + 1);
    if (st->g_row == NULL)
        return -PT_ERR_NOMEM;
    for (uint32_t r = 0; r < ts->n_rows; r++)
        st->g_row[r] = (float)NLU_ADAGRAD_INIT;
    for (int k = 0; k < NLU_MAX_CLASSES; k++)
        st->gb[k] = (float)NLU_ADAGRAD_INIT;
    st->seed = NLU_SEED;
    return 0;
}

/* Trains w (n_rows * stride) and bias on the examples idx[0..n) for
 * `epochs` epochs, continuing from st.  Returns 0 or -PT_ERR_NOMEM. */
static int sgd_train(const train_set *ts, sgd_state *st, const uint32_t *idx, size_t n,
                     int epochs, int stride, vf *w, vf *bias)
{
    int rc = 0;
    int K = ts->n_classes;
    uint32_t *order = NULL;
    float z[NLU_MAX_CLASSES], p[NLU_MAX_CLASSES];
    vf acc[NLU_MAX_CLASSES / VL], grad[NLU_MAX_CLASSES / VL];
    int act[NLU_MAX_CLASSES];

    order = malloc(n * sizeof *order + 1);
    if (order == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    memcpy(order, idx, n * sizeof *order);

    for (int epoch = 0; epoch < epochs; epoch++) {
        shuffle(order, n, &st->seed);
        for (size_t t = 0; t < n; t++) {
            const example *e = &ts->ex[order[t]];
            example_scores(ts, e, w, bias, stride, acc, z);
            softmax_f(z, K, p);
            float sq = 0;
            int n_act = 0;
            memset(grad, 0, sizeof(vf) * (size_t)stride);
            for (int k = 0; k < K; k++) {
                float g = p[k] - (k == e->cls ? 1.0f : 0.0f);
                LANE(grad, k) = g;
                sq += g * g;
                st->gb[k] += g * g;
                LANE(bias, k) -= (float)NLU_LR_BIAS * g / sqrtf(st->gb[k]);
                /* classes whose gradient is negligible are left alone:
                 * after the first epoch most examples move only a few */
                if (g > NLU_GRAD_EPS || g < -NLU_GRAD_EPS)
                    act[n_act++] = k;
            }
            if (sq < 1e-10f)
                continue;
            rows_step(w, stride, st->g_row, ts->feat_row + e->off, ts->feat_val + e->off, e->n,
                      grad, sq, act, n_act, n_act * 2 > K);
        }
    }
done:
    free(order);
    return rc;
}

/* The number of epochs for n examples (see NLU_STEPS_TARGET). */
static int epochs_for(size_t n)
{
    size_t e = n ? NLU_STEPS_TARGET / n : NLU_EPOCHS_MAX;
    if (e < NLU_EPOCHS_MIN)
        e = NLU_EPOCHS_MIN;
    if (e > NLU_EPOCHS_MAX)
        e = NLU_EPOCHS_MAX;
    return (int)e;
}

/* Log-loss of held-out scores zs (n rows of K, labels y) at temperature
 * exp(log_t). */
static double holdout_nll(const double *zs, const int *y, size_t n, int K, double log_t)
{
    double p[NLU_MAX_CLASSES];
    double nll = 0;
    for (size_t i = 0; i < n; i++) {
        softmax(zs + i * (size_t)K, K, exp(-log_t), p);
        nll -= log(p[y[i]] > 1e-12 ? p[y[i]] : 1e-12);
    }
    return nll;
}

/* The temperature that minimises the log-loss of held-out scores: a
 * golden-section search on log T over [0.05, 20]. */
static double fit_temperature(const double *zs, const int *y, size_t n, int K)
{
    const double gr = 0.6180339887498949;
    double lo = log(0.05), hi = log(20.0);
    double a = hi - gr * (hi - lo), b = lo + gr * (hi - lo);
    double fa = holdout_nll(zs, y, n, K, a), fb = holdout_nll(zs, y, n, K, b);
    for (int it = 0; it < 16; it++) {
        if (fa < fb) {
            hi = b;
            b = a;
            fb = fa;
            a = hi - gr * (hi - lo);
            fa = holdout_nll(zs, y, n, K, a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + gr * (hi - lo);
            fb = holdout_nll(zs, y, n, K, b);
        }
    }
    return exp((lo + hi) / 2);
}

/* Drops the feature rows seen in only one example (from NLU_PRUNE_FROM
 * examples on): they
 * memorise single utterances, cost memory and time, and rarely help on new
 * text.  The scale of each example (1/sqrt of all its features) is kept, so
 * a dropped feature counts like an unknown one at classification time.
 * Returns 0 or -PT_ERR_NOMEM. */
static int prune_rows(train_set *ts)
{
    int rc = 0;
    uint32_t *df = NULL;

    if (ts->n_ex < NLU_PRUNE_FROM || ts->n_rows == 0)
        goto done;
    df = calloc(ts->n_rows, sizeof *df);
    if (df == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ts->n_feat; i++)
        df[ts->feat_row[i]]++;
    uint32_t n_rows = 0;
    for (uint32_t r = 0; r < ts->n_rows; r++)        /* df becomes new row + 1, or 0 */
        df[r] = df[r] >= 2 ? ++n_rows : 0;
    size_t o = 0;
    for (size_t i = 0; i < ts->n_ex; i++) {
        example *e = &ts->ex[i];
        uint32_t off = (uint32_t)o;
        for (uint32_t f = 0; f < e->n; f++) {
            uint32_t nr = df[ts->feat_row[e->off + f]];
            if (nr == 0)
                continue;
            ts->feat_row[o] = nr - 1;
            ts->feat_val[o] = ts->feat_val[e->off + f];
            o++;
        }
        e->off = off;
        e->n = (uint32_t)o - off;
    }
    ts->n_feat = o;
    for (uint32_t r = 0; r < ts->n_rows; r++)
        if (df[r])
            ts->row_id[df[r] - 1] = ts->row_id[r];   /* df[r] - 1 <= r */
    rc = ft_build(&ts->table, ts->row_id, n_rows);
    if (rc < 0)
        goto done;
    ts->n_rows = n_rows;
done:
    free(df);
    return rc;
}

/* Trains m->w and m->bias (zeroed) and fits m->inv_temp.  The examples
 * are split by a fixed shuffle: the model first learns 4/5 of them for the
 * full number of epochs, the temperature that best predicts the held-out
 * fifth is kept, and training then goes on over all examples for a quarter
 * of the epochs more, so the held-out fifth is learnt too.  With too few
 * examples to hold out, the temperature is 1 and all examples are used
 * from the start. */
static int fit_model(const train_set *ts, nlu_model *m)
{
    int rc = 0;
    int K = ts->n_classes;
    int epochs = epochs_for(ts->n_ex);
    size_t n_hold = ts->n_ex / 5;
    uint32_t *all = NULL;
    double *zs = NULL;
    int *y = NULL;
    vf acc[NLU_MAX_CLASSES / VL];
    float zf[NLU_MAX_CLASSES];
    uint64_t seed = NLU_SEED ^ 0x5A5A5A5Aull;
    sgd_state st;

    st.g_row = NULL;
    m->inv_temp = 1.0;
    all = malloc(ts->n_ex * sizeof *all);
    if (all == NULL || sgd_init(&st, ts) < 0) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < ts->n_ex; i++)
        all[i] = (uint32_t)i;
    if (n_hold < NLU_HOLDOUT_MIN || K < 2) {
        rc = sgd_train(ts, &st, all, ts->n_ex, epochs, m->stride, m->w, m->bias);
        goto done;
    }

    zs = malloc(n_hold * (size_t)K * sizeof *zs);
    y = malloc(n_hold * sizeof *y);
    if (!zs || !y) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    shuffle(all, ts->n_ex, &seed);      /* held out: all[0 .. n_hold) */
    rc = sgd_train(ts, &st, all + n_hold, ts->n_ex - n_hold, epochs, m->stride, m->w,
                   m->bias);
    if (rc < 0)
        goto done;
    for (size_t h = 0; h < n_hold; h++) {
        const example *e = &ts->ex[all[h]];
        example_scores(ts, e, m->w, m->bias, m->stride, acc, zf);
        for (int k = 0; k < K; k++)
            zs[h * (size_t)K + (size_t)k] = zf[k];
        y[h] = e->cls;
    }
    m->inv_temp = 1.0 / fit_temperature(zs, y, n_hold, K);
    rc = sgd_train(ts, &st, all, ts->n_ex, (epochs + 3) / 4, m->stride, m->w, m->bias);
done:
    free(st.g_row);
    free(all);
    free(zs);
    free(y);
    return rc;
}

/* Builds m->wc from the training words of ts, once m->table is final:
 * each word's own row and its n-grams' rows, as token_emit() and
 * score_flush() would find them.  Takes ts's word set and text.  Returns 0
 * or -PT_ERR_NOMEM. */
static int wc_build(nlu_model *m, train_set *ts)
{
    word_cache *wc = &m->wc;
    uint64_t ids[3 * (NLU_TOKEN_CHARS + 3)];
    size_t n_rows = 0, cap = ts->n_voc * 8 + 64;
    uint32_t *rows = malloc(cap * sizeof *rows);
    if (ts->voc == NULL || rows == NULL) {
        free(rows);
        return ts->voc == NULL ? 0 : -PT_ERR_NOMEM;
    }
    for (size_t i = 0; i <= ts->voc_mask; i++) {
        wc_entry *e = &ts->voc[i];
        if (e->len == 0)
            continue;
        /* the padded word again, from its bytes (as token_add() left them) */
        token t;
        token_reset(&t);
        memcpy(t.pad + 1, ts->voc_text + e->text, e->len);
        t.len = 1 + e->len;
        int k = token_ngrams(&t, token_codes(&t), ids);
        if (n_rows + (size_t)k + 1 > cap) {
            cap = cap * 2 + (size_t)k + 1;
            uint32_t *r = realloc(rows, cap * sizeof *rows);
            if (r == NULL) {
                free(rows);
                return -PT_ERR_NOMEM;
            }
            rows = r;
        }
        e->rows = (uint32_t)n_rows;
        e->n_ngrams = (uint8_t)k;
        uint32_t r = ft_get(&m->table, feat_id(e->hw));
        e->word_known = r != 0;
        if (r)
            rows[n_rows++] = r - 1;
        for (int q = 0; q < k; q++)
            if ((r = ft_get(&m->table, ids[q])) != 0)
                rows[n_rows++] = r - 1;
        e->n_rows = (uint8_t)(n_rows - e->rows);
    }
    wc->slots = ts->voc;            /* moved */
    wc->mask = ts->voc_mask;
    wc->text = ts->voc_text;
    wc->rows = rows;
    ts->voc = NULL;
    ts->voc_text = NULL;
    return 0;
}

/* ---- the public life cycle ---------------------------------------------------- */

void nlu_model_free(nlu_model *m)
{
    if (m == NULL)
        return;
    for (int i = 0; i < m->n_classes; i++)
        free(m->names[i]);
    free(m->names);
    free(m->table.slots);
    free(m->w);
    free(m->bias);
    free(m->wc.slots);
    free(m->wc.rows);
    free(m->wc.text);
    free(m);
}

/* Trains on n documents; names[i] (may be NULL) names document i in errors,
 * else it is "intents file i+1". */
static int train_docs(const char *const *texts, const size_t *lens, int n,
                      const char *const *names, nlu_model **out, pt_error *err)
{
    int rc = 0;
    train_set ts;
    nlu_model *m = NULL;
    arena a;
    char where[320];

    memset(&ts, 0, sizeof ts);
    arena_init(&a, 1u << 20);
    *out = NULL;
    if (n <= 0 || texts == NULL || lens == NULL) {
        rc = pt_fail(err, PT_ERR_INVALID, "no intents files");
        goto done;
    }
    if (ft_build(&ts.table, NULL, 0) < 0) {
        rc = pt_fail(err, PT_ERR_NOMEM, "intents: out of memory");
        goto done;
    }
    for (int d = 0; d < n; d++) {
        if (names && names[d])
            snprintf(where, sizeof where, "%s", names[d]);
        else
            snprintf(where, sizeof where, "intents file %d", d + 1);
        rc = load_doc(&ts, texts[d], lens[d], where, &a, err);
        if (rc < 0)
            goto done;
    }
    if (ts.n_ex == 0) {
        rc = pt_fail(err, PT_ERR_INVALID, "intents: no training utterances");
        goto done;
    }

    m = calloc(1, sizeof *m);
    if (m == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "intents: out of memory");
        goto done;
    }
    m->n_classes = ts.n_classes;
    m->stride = (ts.n_classes + VL - 1) / VL;
    m->oos = -1;
    m->inv_temp = 1.0;
    m->names = calloc((size_t)ts.n_classes, sizeof *m->names);
    m->bias = vf_zalloc((size_t)m->stride);
    if (!m->names || !m->bias) {
        rc = pt_fail(err, PT_ERR_NOMEM, "intents: out of memory");
        goto done;
    }
    for (int k = 0; k < ts.n_classes; k++) {
        m->names[k] = ts.names[k];     /* moved */
        ts.names[k] = NULL;
        if (strcmp(m->names[k], "out_of_scope") == 0)
            m->oos = k;
    }
    m->slot_intents = nlu_model_has_intent(m, "inform") && nlu_model_has_intent(m, "property_search");

    rc = prune_rows(&ts);
    if (rc < 0) {
        rc = pt_fail(err, -rc, "intents: out of memory");
        goto done;
    }
    m->w = vf_zalloc((size_t)ts.n_rows * (size_t)m->stride);
    if (m->w == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "intents: out of memory");
        goto done;
    }
    rc = fit_model(&ts, m);
    if (rc < 0) {
        rc = pt_fail(err, -rc, "intents: out of memory");
        goto done;
    }
    m->table = ts.table;               /* moved */
    ts.table.slots = NULL;
    m->n_rows = ts.n_rows;
    rc = wc_build(m, &ts);
    if (rc < 0) {
        rc = pt_fail(err, -rc, "intents: out of memory");
        goto done;
    }
    *out = m;
    m = NULL;
done:
    nlu_model_free(m);
    train_set_release(&ts);
    arena_release(&a);
    return rc;
}

/* See nlu.h. */
int nlu_model_train(const char *const *json_texts, const size_t *lens, int n,
                    nlu_model **out, pt_error *err)
{
    return train_docs(json_texts, lens, n, NULL, out, err);
}

/* Reads a whole file (at most NLU_MAX_FILE bytes) into a malloc'd buffer. */
static int read_file(const char *path, char **out, size_t *out_len, pt_error *err)
{
    int rc = 0;
    FILE *f = NULL;
    char *data = NULL;
    size_t len = 0, cap = 0;

    *out = NULL;
    *out_len = 0;
    f = fopen(path, "rb");
    if (f == NULL) {
        rc = pt_fail(err, errno == ENOENT ? PT_ERR_NOT_FOUND : PT_ERR_IO, "\"%s\": %s", path,
                     strerror(errno));
        goto done;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= NLU_MAX_FILE) {
                rc = pt_fail(err, PT_ERR_TOO_LARGE, "\"%s\": larger than %u bytes", path,
                             NLU_MAX_FILE);
                goto done;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            char *p = realloc(data, ncap);
            if (p == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "\"%s\": out of memory", path);
                goto done;
            }
            data = p;
            cap = ncap;
        }
        size_t r = fread(data + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) {
                rc = pt_fail(err, PT_ERR_IO, "\"%s\": read error", path);
                goto done;
            }
            break;
        }
    }
    *out = data;
    *out_len = len;
    data = NULL;
done:
    if (f)
        fclose(f);
    free(data);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* See nlu.h: trains on <pack_dir>/intents/ *.json, in name order. */
int nlu_model_train_dir(const char *pack_dir, nlu_model **out, pt_error *err)
{
    int rc = 0;
    DIR *d = NULL;
    char *paths[NLU_MAX_FILES];
    char *texts[NLU_MAX_FILES];
    size_t lens[NLU_MAX_FILES];
    int n = 0;
    char dir[1024];
    struct dirent *de;

    *out = NULL;
    if (pack_dir == NULL)
        return pt_fail(err, PT_ERR_INVALID, "no pack folder");
    if (snprintf(dir, sizeof dir, "%s/intents", pack_dir) >= (int)sizeof dir)
        return pt_fail(err, PT_ERR_INVALID, "pack folder \"%.64s...\": path too long",
                       pack_dir);
    d = opendir(dir);
    if (d == NULL) {
        rc = pt_fail(err, errno == ENOENT ? PT_ERR_NOT_FOUND : PT_ERR_IO, "\"%s\": %s", dir,
                     strerror(errno));
        goto done;
    }
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l < 6 || de->d_name[0] == '.' || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        if (n == NLU_MAX_FILES) {
            rc = pt_fail(err, PT_ERR_INVALID, "\"%s\": more than %d intents files", dir,
                         NLU_MAX_FILES);
            goto done;
        }
        size_t pl = strlen(dir) + 1 + l + 1;
        paths[n] = malloc(pl);
        if (paths[n] == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "\"%s\": out of memory", dir);
            goto done;
        }
        snprintf(paths[n], pl, "%s/%s", dir, de->d_name);
        texts[n] = NULL;
        n++;
    }
    if (n == 0) {
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "\"%s\": no *.json intents files", dir);
        goto done;
    }
    qsort(paths, (size_t)n, sizeof paths[0], cmp_str);
    for (int i = 0; i < n; i++) {
        rc = read_file(paths[i], &texts[i], &lens[i], err);
        if (rc < 0)
            goto done;
    }
    rc = train_docs((const char *const *)texts, lens, n, (const char *const *)paths, out, err);
done:
    if (d)
        closedir(d);
    for (int i = 0; i < n; i++) {
        free(paths[i]);
        free(texts[i]);
    }
    return rc;
}
