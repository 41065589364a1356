/*
 * normalize.c - the canonical form of a buyer message that every later NLU
 * step reads (see the contract in nlu_int.h): valid UTF-8, NFKC, case-folded,
 * one form per Arabic/Persian letter, ASCII digits, single spaces and the
 * common chat spellings written out ("u" -> "you", "thx" -> "thanks").
 *
 * How: one pass decodes the bytes (invalid sequences become U+FFFD), folds
 * the Arabic/Persian letters and digits, drops tatweel and harakat and
 * decomposes each non-ASCII code point with utf8proc (compatibility +
 * case folding + dropping default-ignorables) into a UTF-32 buffer; ASCII
 * takes a fast path.  When non-ASCII was seen, canonical ordering and
 * composition run over the buffer.  A last pass folds again (presentation
 * forms decompose into the letters folded above), collapses whitespace and
 * rewrites chat spellings token by token while encoding back to UTF-8.
 *
 * Extensions beyond nlu_int.h, documented here: ё folds to е; ؟ ، ؛ ٪
 * become ? , ; %; U+200B counts as a space; inside ASCII words of four or
 * more letters, runs of three or more equal letters collapse to one
 * ("hiiii" -> "hi", "sooo" -> "so"); input beyond NORM_MAX_IN bytes is
 * ignored.
 *
 * Not for: language detection (that reads the raw text), tokenizing.
 */
#include "nlu/nlu_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NORM_MAX_IN (64u * 1024u)   /* bytes of input considered */
#define NORM_STACK_CPS 2048         /* UTF-32 scratch kept on the stack */
#define CHAT_MAX_WORD 16            /* longest word looked up in the chat table */

#define UTF8PROC_OPTS (UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* ---- chat spellings ---------------------------------------------------- */

typedef struct chat_word {
    const char *from, *to;
} chat_word;

/* Looked up through a hash table built once (chat_init).  Only whole words are
 * rewritten.  "bhk", "k", "m", "l", "cr" are deliberately absent: they are
 * units ("2 bhk", "500 k"). */
static const chat_word chat_words[] = {
    {"2day", "today"},       {"2moro", "tomorrow"},   {"2morow", "tomorrow"},
    {"2morrow", "tomorrow"}, {"2mrw", "tomorrow"},    {"abt", "about"},
    {"appt", "appointment"}, {"avl", "available"},    {"b4", "before"},
    {"bcoz", "because"},     {"bcz", "because"},      {"becoz", "because"},
    {"cant", "can't"},       {"coz", "because"},      {"cud", "could"},
    {"cuz", "because"},      {"didnt", "didn't"},     {"doesnt", "doesn't"},
    {"dont", "don't"},       {"gonna", "going to"},   {"gotta", "got to"},
    {"gr8", "great"},        {"gud", "good"},         {"hav", "have"},
    {"hellow", "hello"},     {"helo", "hello"},       {"hii", "hi"},
    {"hiii", "hi"},          {"hlo", "hello"},        {"hv", "have"},
    {"hw", "how"},           {"im", "i'm"},           {"isnt", "isn't"},
    {"ive", "i've"},         {"kk", "ok"},            {"lemme", "let me"},
    {"luv", "love"},         {"msg", "message"},      
    {"nxt", "next"},         {"okk", "ok"},           {"pls", "please"},
    {"plss", "please"},      {"plz", "please"},       {"plzz", "please"},
    {"ppl", "people"},       {"r", "are"},            {"shud", "should"},
    {"thanx", "thanks"},     {"thks", "thanks"},      {"thnks", "thanks"},
    {"thnx", "thanks"},      {"thru", "through"},     {"thx", "thanks"},
    {"tks", "thanks"},       {"tmr", "tomorrow"},     {"tmro", "tomorrow"},
    {"tmrow", "tomorrow"},   {"tmrw", "tomorrow"},    {"tnx", "thanks"},
    {"tommorow", "tomorrow"}, {"tommorrow", "tomorrow"}, {"tomo", "tomorrow"},
    {"tomorow", "tomorrow"}, {"tonite", "tonight"},   {"ty", "thank you"},
    {"u", "you"},            {"ur", "your"},          {"urs", "yours"},
    {"wanna", "want to"},    {"wat", "what"},         {"wats", "what's"},
    {"whr", "where"},        {"wht", "what"},         {"wid", "with"},
    {"wk", "week"},          {"wkend", "weekend"},    {"wknd", "weekend"},
    {"yrs", "years"},
    {"gn", "good night"},    {"hru", "how are you"},  {"msgs", "messages"},
    {"n", "and"},            {"pic", "picture"},      {"pics", "pictures"},
    {"sory", "sorry"},       {"sry", "sorry"},        {"thanku", "thank you"},
    {"thankyou", "thank you"}, {"thnku", "thank you"}, {"tq", "thank you"},
    {"tqsm", "thank you so much"}, {"tysm", "thank you so much"},
    /* Russian chat forms (UTF-8, sorted after ASCII by byte order) */
    {"пж", "пожалуйста"},    {"пжл", "пожалуйста"},   {"пжлст", "пожалуйста"},
    {"плз", "пожалуйста"},   {"спс", "спасибо"},
};

#define CHAT_SLOTS 512
#define CHAT_MAX_KEY 10   /* longest key, bytes */
/* Bytes of output per code point of a key at most ("пж" -> "пожалуйста":
 * 20 bytes for 2): the output buffer is sized with it, so every chat
 * spelling is written out however many a message has (and normalised text
 * is a fixed point of nlu_normalize). */
#define CHAT_MAX_GROWTH 10
static int16_t chat_slot[CHAT_SLOTS];   /* index + 1 into chat_words, 0 empty */
static pthread_once_t chat_once = PTHREAD_ONCE_INIT;

static uint32_t chat_hash(const char *w, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)w[i];
        h *= 16777619u;
    }
    return h;
}

static void chat_init(void)
{
    for (size_t k = 0; k < sizeof chat_words / sizeof chat_words[0]; k++) {
        const char *f = chat_words[k].from;
        size_t cps = 0;
        for (const char *q = f; *q; q++)
            cps += ((unsigned char)*q & 0xC0) != 0x80;
        if (strlen(chat_words[k].to) > CHAT_MAX_GROWTH * cps)
            abort();   /* the output buffer of nlu_normalize would be too small */
        uint32_t h = chat_hash(f, strlen(f)) % CHAT_SLOTS;
        while (chat_slot[h])
            h = (h + 1) % CHAT_SLOTS;
        chat_slot[h] = (int16_t)(k + 1);
    }
}

static const char *chat_lookup(const char *w, size_t n)
{
    if (n > CHAT_MAX_KEY)
        return NULL;
    uint32_t h = chat_hash(w, n) % CHAT_SLOTS;
    for (int k; (k = chat_slot[h]) != 0; h = (h + 1) % CHAT_SLOTS) {
        const char *f = chat_words[k - 1].from;
        if (strncmp(f, w, n) == 0 && f[n] == '\0')
            return chat_words[k - 1].to;
    }
    return NULL;
}

/* ---- code point folding ------------------------------------------------ */

#define DROP (-1)

/* The Arabic/Persian folds of nlu_int.h plus the documented extensions.
 * Returns the folded code point, or DROP. */
static int32_t fold_cp(int32_t c)
{
    if (c < 0x0600) {
        if (c == 0x0451 || c == 0x0401)
            return 0x0435;             /* ё Ё -> е */
        return c;
    }
    if (c <= 0x06FF) {
        if (c >= 0x0660 && c <= 0x0669)
            return '0' + (c - 0x0660);
        if (c >= 0x06F0 && c <= 0x06F9)
            return '0' + (c - 0x06F0);
        if ((c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x0640)
            return DROP;
        switch (c) {
        case 0x066B: return '.';
        case 0x066C: return ',';
        case 0x060C: return ',';
        case 0x061B: return ';';
        case 0x061F: return '?';
        case 0x066A: return '%';
        case 0x06CC: case 0x0649: return 0x064A;
        case 0x06A9: return 0x0643;
        case 0x0629: case 0x06C0: case 0x06C1: return 0x0647;
        case 0x0623: case 0x0625: case 0x0622: case 0x0671:
        case 0x0672: case 0x0673: case 0x0675: return 0x0627;
        default: return c;
        }
    }
    if (c == 0x200C || c == 0x200B)
        return ' ';
    return c;
}

static inline int is_space_cp(int32_t c)
{
    if (c < 0x7F)
        return c <= 0x20;
    return c == 0x7F || (c >= 0x80 && c <= 0xA0) || c == 0x1680
           || (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F
           || c == 0x205F || c == 0x3000;
}

/* Decodes one UTF-8 sequence at p (n bytes left, n >= 1).  Sets *cp and
 * returns the bytes consumed; an invalid or truncated sequence becomes one
 * U+FFFD per maximal subpart (the WHATWG / Unicode recommendation). */
static size_t utf8_decode(const unsigned char *p, size_t n, int32_t *cp)
{
    unsigned b = p[0];
    if (b < 0x80) {
        *cp = (int32_t)b;
        return 1;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        if (b == 0xE0)
            lo = 0xA0;
        else if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    int32_t c = (int32_t)(b & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07));
    for (size_t i = 1; i <= need; i++) {
        unsigned x = i < n ? p[i] : 0;
        unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
        if (i >= n || x < l || x > h) {
            *cp = 0xFFFD;
            return i;
        }
        c = (c << 6) | (int32_t)(x & 0x3F);
    }
    *cp = c;
    return need + 1;
}

static size_t utf8_encode(int32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The NFKC + case-folded form of c when it is a single code point that
 * needs no decomposition (most Arabic, Persian and Cyrillic letters), else
 * -1.  c has been through fold_cp. */
static inline int32_t stable_cp(int32_t c)
{
    if (c >= 0x0621 && c <= 0x064A)
        return (c >= 0x0622 && c <= 0x0626) ? -1 : c;   /* hamza forms compose */
    if (c >= 0x066E && c <= 0x06D3)
        return (c >= 0x0675 && c <= 0x0678) || c == 0x06C0 || c == 0x06C2 || c == 0x06D3 ? -1 : c;
    if (c >= 0x0430 && c <= 0x045F)
        return c;
    if (c >= 0x0410 && c <= 0x042F)
        return c + 0x20;
    if (c >= 0x0400 && c <= 0x040F)
        return c + 0x50;
    return -1;
}

/* ---- the UTF-32 scratch buffer ----------------------------------------- */

typedef struct cpbuf {
    int32_t *p;
    size_t n, cap;
    arena *a;
} cpbuf;

static int cpbuf_reserve(cpbuf *b, size_t extra)
{
    if (b->n + extra <= b->cap)
        return 0;
    size_t ncap = b->cap * 2;
    while (ncap < b->n + extra)
        ncap *= 2;
    int32_t *np = arena_alloc(b->a, ncap * sizeof *np);
    if (np == NULL)
        return -PT_ERR_NOMEM;
    memcpy(np, b->p, b->n * sizeof *np);
    b->p = np;
    b->cap = ncap;
    return 0;
}

/* Canonical ordering of combining marks (what utf8proc_decompose does after
 * decomposing a whole string). */
static void canonical_order(int32_t *buf, size_t n)
{
    size_t pos = 0;
    while (n > 1 && pos < n - 1) {
        int32_t c1 = buf[pos], c2 = buf[pos + 1];
        int cc1 = c1 < 0x300 ? 0 : utf8proc_get_property(c1)->combining_class;
        int cc2 = c2 < 0x300 ? 0 : utf8proc_get_property(c2)->combining_class;
        if (cc1 > cc2 && cc2 > 0) {
            buf[pos] = c2;
            buf[pos + 1] = c1;
            if (pos > 0)
                pos--;
            else
                pos++;
        } else {
            pos++;
        }
    }
}

/* ---- the chat-spelling writer ------------------------------------------ */

/* utf8_encode with ASCII written inline. */
static inline size_t put_cp(int32_t c, char *o)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    return utf8_encode(c, o);
}

static inline int is_edge_punct(int32_t c)
{
    /* bit c - 32 of the mask for . , ! ? ; : " ' ( ) [ ] (all in 32..95) */
    static const uint64_t edge = (1ull << ('.' - 32)) | (1ull << (',' - 32)) |
        (1ull << ('!' - 32)) | (1ull << ('?' - 32)) | (1ull << (';' - 32)) |
        (1ull << (':' - 32)) | (1ull << ('"' - 32)) | (1ull << ('\'' - 32)) |
        (1ull << ('(' - 32)) | (1ull << (')' - 32)) | (1ull << ('[' - 32)) |
        (1ull << (']' - 32));
    return c >= 32 && c < 96 && ((edge >> (c - 32)) & 1);
}

/* Writes the token w[0..n) (code points, no spaces) at out+*o, rewriting a
 * chat spelling.  cap bounds the output; rest is the number of code points
 * still to come after this token, each at most 4 bytes. */
static void write_token(const int32_t *w, size_t n, char *out, size_t *o, size_t cap,
                        size_t rest)
{
    size_t b = 0, e = n;
    while (b < e && is_edge_punct(w[b]))
        b++;
    while (e > b && is_edge_punct(w[e - 1]))
        e--;
    char word[CHAT_MAX_WORD * 4 + 1];
    size_t wl = 0;
    int ascii_letters = 1, has_letter = 0, ok = e > b && e - b <= CHAT_MAX_WORD;
    if (ok && e - b > CHAT_MAX_KEY) {
        /* too long for the table: only a run of 3 letters could change it */
        int run = 0;
        for (size_t i = b + 2; i < e && !run; i++)
            run = w[i] == w[i - 1] && w[i] == w[i - 2];
        ok = run;
    }
    for (size_t i = b; ok && i < e; i++) {
        int32_t c = w[i];
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z')
                has_letter = 1;
            else if (c >= '0' && c <= '9')
                ascii_letters = 0;
            else
                ok = 0;
        } else if (c >= 0x0430 && c <= 0x044F) {
            has_letter = 1;
            ascii_letters = 0;
        } else {
            ok = 0;
        }
    }
    if (ok && has_letter) {
        /* collapse runs of 3+ equal letters in ASCII words of 4+ letters */
        int collapse = ascii_letters && e - b >= 4;
        for (size_t i = b; i < e;) {
            size_t run = 1;
            while (i + run < e && w[i + run] == w[i])
                run++;
            size_t keep = collapse && run >= 3 ? 1 : run;
            if (w[i] < 0x80) {   /* w[i + k] == w[i]: a copy, not a memset call */
                for (size_t k = 0; k < keep; k++)
                    word[wl++] = (char)w[i + k];
            } else {
                for (size_t k = 0; k < keep; k++)
                    wl += utf8_encode(w[i], word + wl);
            }
            i += run;
        }
        word[wl] = '\0';
        const char *rep = chat_lookup(word, wl);
        const char *src = rep ? rep : word;
        size_t sl = rep ? strlen(rep) : wl;
        /* prefix punctuation, the word, suffix punctuation; only when it all
         * still leaves room for the worst case of what follows */
        if (*o + b + sl + (n - e) + 4 * rest + 1 <= cap) {
            for (size_t i = 0; i < b; i++)
                *o += put_cp(w[i], out + *o);
            memcpy(out + *o, src, sl);
            *o += sl;
            for (size_t i = e; i < n; i++)
                *o += put_cp(w[i], out + *o);
            return;
        }
    }
    for (size_t i = 0; i < n; i++)
        *o += put_cp(w[i], out + *o);
}

/* ---- nlu_normalize ------------------------------------------------------ */

/* See nlu_int.h.  in/len: any bytes.  *out: NUL-terminated, in arena a;
 * *out_len excludes the NUL.  Errors: PT_ERR_NOMEM (arena exhausted). */
int nlu_normalize(arena *a, const char *in, size_t len, char **out, size_t *out_len)
{
    int rc = 0;
    int32_t stack[NORM_STACK_CPS];
    cpbuf b = {stack, 0, NORM_STACK_CPS, a};
    char *o = NULL;
    int nonascii = 0;          /* utf8proc was used: compose afterwards */
    int folded_nonascii = 0;   /* the fast path was used: fold again */

    *out = NULL;
    *out_len = 0;
    if (in == NULL)
        len = 0;
    if (len > NORM_MAX_IN)
        len = NORM_MAX_IN;

    /* pass 1: decode, fold, decompose.  Invariant: room for one code
     * point per input byte still to read. */
    pthread_once(&chat_once, chat_init);
    if ((rc = cpbuf_reserve(&b, len)) < 0)
        goto done;
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0;
    while (i < len) {
        int32_t c;
        if (p[i] < 0x80) {
            c = p[i++];
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            b.p[b.n++] = c;
            continue;
        }
        i += utf8_decode(p + i, len - i, &c);
        c = fold_cp(c);
        if (c == DROP)
            continue;
        if (c < 0x80) {
            b.p[b.n++] = c;
            continue;
        }
        /* Arabic and Cyrillic letters that NFKC leaves alone: no utf8proc */
        int32_t fast = stable_cp(c);
        if (fast >= 0) {
            b.p[b.n++] = fast;
            folded_nonascii = 1;
            continue;
        }
        nonascii = 1;
        utf8proc_int32_t tmp[32];
        int last_bound = 0;
        utf8proc_ssize_t k = utf8proc_decompose_char(c, tmp, 32, UTF8PROC_OPTS, &last_bound);
        if (k < 0 || k > 32) {
            tmp[0] = c;
            k = 1;
        }
        if ((rc = cpbuf_reserve(&b, (size_t)k + (len - i))) < 0)
            goto done;
        for (utf8proc_ssize_t j = 0; j < k; j++)
            b.p[b.n++] = tmp[j];
    }

    /* pass 2: canonical order + composition */
    if (nonascii && b.n > 0) {
        canonical_order(b.p, b.n);
        utf8proc_ssize_t m = utf8proc_normalize_utf32(b.p, (utf8proc_ssize_t)b.n, UTF8PROC_OPTS);
        if (m >= 0)
            b.n = (size_t)m;
    }

    /* pass 3: fold again, collapse whitespace, chat spellings, encode */
    size_t cap = CHAT_MAX_GROWTH * b.n + 16;
    o = arena_alloc(a, cap);
    if (o == NULL) {
        rc = -PT_ERR_NOMEM;
        goto done;
    }
    size_t olen = 0, w = 0;   /* w: write index of the folded code points */
    if (nonascii || folded_nonascii) {
        for (size_t r = 0; r < b.n; r++) {
            int32_t c = fold_cp(b.p[r]);
            if (c != DROP)
                b.p[w++] = c;
        }
        b.n = w;
    }
    size_t r = 0;
    while (r < b.n) {
        while (r < b.n && is_space_cp(b.p[r]))
            r++;
        if (r >= b.n)
            break;
        size_t s = r;
        while (r < b.n && !is_space_cp(b.p[r]))
            r++;
        if (olen > 0)
            o[olen++] = ' ';
        write_token(b.p + s, r - s, o, &olen, cap, b.n - r);
    }
    o[olen] = '\0';
    *out = o;
    *out_len = olen;
done:
    return rc;
}
