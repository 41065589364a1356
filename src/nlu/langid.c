/*
 * langid.c - which language a buyer writes in, told from the raw message.
 *
 * The method is script first, words second, and nothing learned:
 *   - letters are counted per script (Latin, Cyrillic, Arabic, and the other
 *     scripts a buyer in Dubai or Bangalore may use: Devanagari, Kannada,
 *     Tamil, Telugu, Malayalam, Han, Kana, Hangul, Hebrew, Greek, ...);
 *     the script with the most letters wins, Latin counting half because
 *     project names, "JVC", "AED" and "2BHK" are Latin in every language;
 *   - Arabic script is Persian ("fa") when Persian-only letters (پ چ ژ گ ک ی)
 *     or common Persian words (است، می، را، برای، خانه ...) and Persian digits
 *     (۴ ۵ ۶: U+06F0..06F9, one hint a message) outweigh the Arabic-only
 *     signs (ة ى أ إ, words such as في، هل، اريد، شكرا, Arabic-Indic digits
 *     U+0660..0669, one hint); Urdu
 *     letters (ٹ ڈ ڑ ں ے) give "ur"; otherwise it is Arabic ("ar");
 *   - Cyrillic is Russian unless Ukrainian or Kazakh letters appear;
 *   - Latin is English unless at least two stop words of French, German,
 *     Spanish, Italian, Portuguese or Turkish appear and outnumber the
 *     English ones.
 * The answer is "sure" only when there is enough text to tell: a message
 * such as "ok", "2M", "AED 1.5m" or a phone number is not (the caller keeps
 * the conversation's language then).  Tokens with digits, e-mail addresses,
 * links and chat-universal words (ok, bhk, aed, lakh, ...) do not count.
 *
 * Not for: normalisation (normalize.c) or anything that needs a model.
 * Pure functions of their input; thread-safe (the word lists are indexed
 * once, under pthread_once); no allocation.
 */
#include "nlu/nlu_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANGID_SCAN_MAX 4096  /* bytes of a message looked at */
#define LANGID_WORD_MAX 48    /* bytes of one word kept for word lists */

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decodes one code point at s[0..n); returns its length (>= 1) and sets *cp
 * (U+FFFD for an invalid or truncated sequence, which then takes 1 byte). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        need = 1; v = c & 0x1F; min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F; min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07; min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n < need + 1) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return need + 1;
}

/* ---- scripts ------------------------------------------------------------ */

enum script {
    SC_NONE = 0, SC_LATIN, SC_CYRILLIC, SC_ARABIC, SC_DEVANAGARI, SC_BENGALI,
    SC_GURMUKHI, SC_GUJARATI, SC_TAMIL, SC_TELUGU, SC_KANNADA, SC_MALAYALAM,
    SC_HEBREW, SC_GREEK, SC_ARMENIAN, SC_GEORGIAN, SC_THAI, SC_HAN, SC_KANA,
    SC_HANGUL, SC__COUNT
};

/* Language of the scripts that are (nearly) one language. */
static const char *const script_lang[SC__COUNT] = {
    [SC_DEVANAGARI] = "hi", [SC_BENGALI] = "bn", [SC_GURMUKHI] = "pa", [SC_GUJARATI] = "gu",
    [SC_TAMIL] = "ta", [SC_TELUGU] = "te", [SC_KANNADA] = "kn", [SC_MALAYALAM] = "ml",
    [SC_HEBREW] = "he", [SC_GREEK] = "el", [SC_ARMENIAN] = "hy", [SC_GEORGIAN] = "ka",
    [SC_THAI] = "th", [SC_HAN] = "zh", [SC_KANA] = "ja", [SC_HANGUL] = "ko",
};

static enum script letter_script_slow(uint32_t c);

/* The script of a letter, or SC_NONE for digits, punctuation, marks, emoji
 * (inline for ASCII, a call for the rest). */
static inline enum script letter_script(uint32_t c)
{
    if (c < 0x80)
        return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? SC_LATIN : SC_NONE;
    if (c >= 0x400 && c <= 0x44F)
        return SC_CYRILLIC;             /* the Russian alphabet */
    if ((c >= 0x621 && c <= 0x63A) || (c >= 0x641 && c <= 0x64A))
        return SC_ARABIC;               /* the Arabic letters proper */
    return letter_script_slow(c);
}

static enum script letter_script_slow(uint32_t c)
{
    if (c < 0xC0)
        return SC_NONE;
    if (c <= 0x24F)
        return (c == 0xD7 || c == 0xF7) ? SC_NONE : SC_LATIN;
    if (c >= 0x1E00 && c <= 0x1EFF)
        return SC_LATIN;
    if (c >= 0x370 && c <= 0x3FF)
        return SC_GREEK;
    if (c >= 0x400 && c <= 0x52F)
        return (c >= 0x483 && c <= 0x489) ? SC_NONE : SC_CYRILLIC;
    if (c >= 0x531 && c <= 0x58F)
        return SC_ARMENIAN;
    if (c >= 0x5D0 && c <= 0x5EA)
        return SC_HEBREW;
    if (c >= 0x600 && c <= 0x6FF) {
        /* letters only: not digits, punctuation, harakat, tatweel */
        if ((c >= 0x621 && c <= 0x63F) || (c >= 0x641 && c <= 0x64A) ||
            (c >= 0x66E && c <= 0x66F) || (c >= 0x671 && c <= 0x6D3) || c == 0x6D5 ||
            (c >= 0x6FA && c <= 0x6FC) || c == 0x6FF)
            return SC_ARABIC;
        return SC_NONE;
    }
    if ((c >= 0x750 && c <= 0x77F) || (c >= 0x8A0 && c <= 0x8FF) ||
        (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
        return SC_ARABIC;
    if (c >= 0x900 && c <= 0x97F)
        return SC_DEVANAGARI;
    if (c >= 0x980 && c <= 0x9FF)
        return SC_BENGALI;
    if (c >= 0xA00 && c <= 0xA7F)
        return SC_GURMUKHI;
    if (c >= 0xA80 && c <= 0xAFF)
        return SC_GUJARATI;
    if (c >= 0xB80 && c <= 0xBFF)
        return SC_TAMIL;
    if (c >= 0xC00 && c <= 0xC7F)
        return SC_TELUGU;
    if (c >= 0xC80 && c <= 0xCFF)
        return SC_KANNADA;
    if (c >= 0xD00 && c <= 0xD7F)
        return SC_MALAYALAM;
    if (c >= 0xE00 && c <= 0xE7F)
        return SC_THAI;
    if (c >= 0x10A0 && c <= 0x10FF)
        return SC_GEORGIAN;
    if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF))
        return SC_KANA;
    if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF))
        return SC_HAN;
    if ((c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF))
        return SC_HANGUL;
    return SC_NONE;
}

/* Characters that keep a word together without being letters. */
static int is_word_char(uint32_t c)
{
    if (letter_script(c) != SC_NONE)
        return 1;
    if (c >= '0' && c <= '9')
        return 1;
    if ((c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9))
        return 1;                       /* Eastern Arabic / Persian digits */
    if ((c >= 0x64B && c <= 0x65F) || c == 0x670 || c == 0x640)
        return 1;                       /* harakat, tatweel */
    if (c == '\'' || c == 0x2019 || c == '@' || c == '.' || c == '_' || c == '-' || c == '/' ||
        c == ':')
        return 1;                       /* it's, e-mails, links, 2-bed */
    return 0;
}

/* ---- word lists ---------------------------------------------------------- */

/* Arabic-script words, spelt after the folding of fold_arabic() (ی -> ي,
 * ک -> ك, alef forms -> ا, ة -> ه, ى -> ي).  A word common to both languages
 * (سلام، وقت، تمام، ممکن، کم ...) is in neither list. */
static const char *const persian_words[] = {
    "است", "هست", "هستم", "هستيد", "نيست", "را", "براي", "خانه", "ميخواهم", "ميخوام", "مي",
    "نمي", "از", "با", "به", "كه", "يك", "دارم", "داريد", "داره", "خيلي", "ممنون", "مرسي",
    "بله", "نه", "چه", "شما", "ايا", "بود", "شود", "كنم", "كنيد", "كنه", "ميشه", "خوب",
    "چند", "كجا", "ديگه", "اينجا", "تومان", "تومن", "خونه", "اپارتمان", "ميخواستم", "باشه",
    "بخرم", "اجاره", "قيمتش", "چطور", "چرا",
    /* short answers spelt without a Persian-only letter ("دو خوابه",
     * "فردا صبح", "ساعت سه"): numbers, bedrooms, days and hours */
    "دو", "سه", "دوتا", "خواب", "خوابه", "فردا", "ساعت", "شنبه", "شب", "تا",
    "بودجه", "بودجم", "اره", NULL
};
static const char *const arabic_words[] = {
    "في", "هل", "اريد", "ابي", "ابغي", "ابغا", "عندكم", "لو", "سمحت", "شكرا", "الله",
    "هذا", "هذه", "التي", "الذي", "عن", "مع", "لا", "نعم", "ايش", "وش", "شو", "كيف", "متي",
    "وين", "ماذا", "ليس", "يوجد", "مرحبا", "اهلا", "شقه", "غرف", "سعر", "عقار", "انا", "لي",
    "الي", "بكم", "زين", "طيب", "يعطيك", "العافيه", "مشكور", "لكن", "بدي", "عايز", "فيه",
    "عندي", NULL
};
/* Persian words that begin with the Arabic article and must not count as
 * Arabic evidence. */
static const char *const persian_al_words[] = {"الان", "البته", "الكي", "الو", NULL};

static const char *const en_words[] = {
    "the", "is", "and", "to", "i", "you", "my", "for", "in", "of", "it", "what", "how", "do",
    "want", "looking", "need", "can", "please", "with", "me", "this", "have", "are", "price",
    "flat", "much", "where", "when", "hello", "thanks", "thank", "yes", "hi", "buy", "rent",
    "we", "your", "any", "there", NULL
};
static const char *const fr_words[] = {
    "je", "le", "les", "une", "est", "et", "pour", "avec", "vous", "bonjour", "merci",
    "appartement", "prix", "cherche", "voudrais", "des", "du", "au", "oui", "mais", "c'est",
    "combien", "acheter", "louer", "suis", "nous", "votre", "pas", NULL
};
static const char *const de_words[] = {
    "ich", "der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "für", "wohnung",
    "suche", "danke", "hallo", "bitte", "wie", "viel", "haben", "sie", "kaufen", "mieten",
    "kostet", "wir", "ja", "nein", NULL
};
static const char *const es_words[] = {
    "el", "los", "las", "que", "es", "y", "en", "un", "una", "para", "con", "quiero", "busco",
    "gracias", "hola", "cuánto", "cuanto", "precio", "apartamento", "piso", "por", "favor",
    "comprar", "alquilar", "sí", "estoy", "necesito", NULL
};
static const char *const it_words[] = {
    "il", "che", "è", "per", "con", "voglio", "cerco", "grazie", "ciao", "quanto", "prezzo",
    "appartamento", "sono", "comprare", "affittare", "vorrei", "buongiorno", "della", "di",
    NULL
};
static const char *const pt_words[] = {
    "os", "que", "é", "um", "uma", "para", "com", "quero", "obrigado", "obrigada", "olá",
    "quanto", "preço", "apartamento", "não", "você", "comprar", "alugar", "estou", "procuro",
    "bom", "dia", NULL
};
static const char *const tr_words[] = {
    "bir", "ve", "bu", "için", "ne", "kadar", "ev", "daire", "istiyorum", "merhaba",
    "teşekkürler", "teşekkür", "fiyat", "fiyatı", "evet", "hayır", "var", "mı", "mi", "almak",
    "kiralık", "satılık", "lütfen", NULL
};

static const struct {
    const char *lang;
    const char *const *words;
} latin_langs[] = {
    {"fr", fr_words}, {"de", de_words}, {"es", es_words},
    {"it", it_words}, {"pt", pt_words}, {"tr", tr_words},
};
#define N_LATIN_LANGS (sizeof latin_langs / sizeof latin_langs[0])

/* Latin tokens that say nothing about the language of a chat message. */
static const char *const universal_words[] = {
    "ok", "okay", "okk", "k", "kk", "aed", "inr", "usd", "eur", "gbp", "rs", "dhs", "dh",
    "bhk", "rk", "bed", "br", "sqft", "sq", "ft", "m", "mn", "mln", "cr", "l", "lakh",
    "lakhs", "lac", "lacs", "crore", "crores", "jvc", "jlt", "dxb", "blr", "emaar", "damac",
    "sobha", "prestige", "brigade", "pm", "am", "hmm", "hm", "lol", "wow", "pls", "plz",
    "thx", "ty", "yo", "ya", "no", "sms", "whatsapp", "villa", "studio", NULL
};

/* ---- the word index: every list above in one hash table per script,
 * built once (pthread_once) ---- */

/* Bits of a Latin word: the universal list, English, and W_LATIN0 << i for
 * latin_langs[i]. */
enum { W_UNIVERSAL = 1u << 0, W_EN = 1u << 1, W_LATIN0 = 1u << 2 };
/* Bits of an Arabic-script word. */
enum { W_PERSIAN = 1u << 0, W_ARABIC = 1u << 1, W_PERSIAN_AL = 1u << 2 };

typedef struct word_entry {
    const char *word;       /* NULL: free slot */
    unsigned len;
    unsigned mask;          /* W_* bits of the lists that hold the word */
} word_entry;

#define WORD_INDEX_SLOTS 1024   /* power of two, more than twice the words */

static word_entry latin_index[WORD_INDEX_SLOTS], arabic_index[WORD_INDEX_SLOTS];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static uint32_t word_hash(const char *w, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)w[i]) * 16777619u;
    return h;
}

static void index_add(word_entry *ix, const char *const *list, unsigned bit)
{
    for (; *list; list++) {
        size_t n = strlen(*list);
        uint32_t i = word_hash(*list, n) & (WORD_INDEX_SLOTS - 1);
        while (ix[i].word && !(ix[i].len == n && memcmp(ix[i].word, *list, n) == 0))
            i = (i + 1) & (WORD_INDEX_SLOTS - 1);
        ix[i].word = *list;
        ix[i].len = (unsigned)n;
        ix[i].mask |= bit;
    }
}

static void index_build(void)
{
    index_add(latin_index, universal_words, W_UNIVERSAL);
    index_add(latin_index, en_words, W_EN);
    for (size_t i = 0; i < N_LATIN_LANGS; i++)
        index_add(latin_index, latin_langs[i].words, W_LATIN0 << i);
    index_add(arabic_index, persian_words, W_PERSIAN);
    index_add(arabic_index, arabic_words, W_ARABIC);
    index_add(arabic_index, persian_al_words, W_PERSIAN_AL);
}

/* The W_* mask of word w (n bytes) in an index (0 when it is in no list). */
static unsigned index_find(const word_entry *ix, const char *w, size_t n)
{
    uint32_t i = word_hash(w, n) & (WORD_INDEX_SLOTS - 1);
    for (; ix[i].word; i = (i + 1) & (WORD_INDEX_SLOTS - 1))
        if (ix[i].len == n && memcmp(ix[i].word, w, n) == 0)
            return ix[i].mask;
    return 0;
}

/* Folds a word of Arabic script to one spelling of its letters, in place.
 * Counts the Persian-only and Arabic-only letters on the way. */
static void fold_arabic(char *w, int *persian_letters, int *arabic_letters, int *urdu_letters)
{
    unsigned char *s = (unsigned char *)w, *o = s;
    size_t n = strlen(w);
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        size_t k = utf8_next(s + i, n - i, &c);
        i += k;
        switch (c) {
        case 0x067E: case 0x0686: case 0x0698: case 0x06AF:
            (*persian_letters)++;
            break;
        case 0x06CC: c = 0x064A; (*persian_letters)++; break;   /* farsi yeh */
        case 0x06A9: c = 0x0643; (*persian_letters)++; break;   /* keheh */
        case 0x0629: c = 0x0647; (*arabic_letters)++; break;    /* teh marbuta */
        case 0x0649: c = 0x064A; (*arabic_letters)++; break;    /* alef maksura */
        case 0x0623: case 0x0625: c = 0x0627; (*arabic_letters)++; break;
        case 0x0622: case 0x0671: c = 0x0627; break;
        case 0x0679: case 0x0688: case 0x0691: case 0x06BA: case 0x06D2: case 0x06BE:
        case 0x06C1:
            (*urdu_letters)++;
            break;
        default:
            break;
        }
        if ((c >= 0x64B && c <= 0x65F) || c == 0x670 || c == 0x640)
            continue;                   /* harakat, tatweel */
        if (c < 0x80) {
            *o++ = (unsigned char)c;
        } else if (c < 0x800) {
            *o++ = (unsigned char)(0xC0 | (c >> 6));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            /* three-byte letters are copied as they were (no folding above
             * produces one from a shorter sequence) */
            *o++ = (unsigned char)(0xE0 | (c >> 12));
            *o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            *o++ = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    *o = '\0';
}

/* Lower-cases ASCII letters of w in place (enough for the Latin lists, whose
 * non-ASCII letters are lower case already in chat more often than not). */
static void lower_ascii(char *w)
{
    for (; *w; w++)
        if (*w >= 'A' && *w <= 'Z')
            *w = (char)(*w - 'A' + 'a');
}

/* ---- the detector --------------------------------------------------------- */

typedef struct langid_state {
    int letters[SC__COUNT];     /* letters per script, all words */
    int latin_content;          /* Latin letters in words that tell a language */
    int persian_letters, arabic_letters, urdu_letters;
    int persian_hits, arabic_hits, al_words;
    int persian_digits, arabic_digits;   /* 1: the message has ۰-۹ / ٠-٩ (a hint each) */
    int cyr_uk, cyr_kk;
    int en_hits;
    int latin_hits[N_LATIN_LANGS];
    int latin_marks[N_LATIN_LANGS];   /* letters typical of one language */
} langid_state;

/* Letters that point to one Latin language (ß, ñ, ç, ã, ş, ğ, ı ...). */
static void latin_letter_hint(langid_state *st, uint32_t c)
{
    switch (c) {
    case 0xDF: case 0xE4: case 0xF6: case 0xFC: st->latin_marks[1]++; break;   /* de */
    case 0xF1: case 0xBF: case 0xA1: st->latin_marks[2]++; break;              /* es */
    case 0xE3: case 0xF5: st->latin_marks[4]++; break;                         /* pt */
    case 0x15F: case 0x11F: case 0x131: case 0x130: st->latin_marks[5]++; break; /* tr */
    case 0xE8: case 0xEA: case 0xEB: case 0xEE: case 0x153: st->latin_marks[0]++; break; /* fr */
    default: break;
    }
}

static inline bool is_joiner(char c)
{
    return c == '.' || c == '-' || c == ':' || c == '/' || c == '\'' || c == '_';
}

/* Scores one finished word (bytes w[0..n), its dominant script sc). */
static void score_word(langid_state *st, char *w, size_t n, enum script sc, int word_letters,
                       int has_digit, int has_at)
{
    if (n == 0 || n >= LANGID_WORD_MAX)
        return;
    w[n] = '\0';
    /* joiners at the ends ("etc.", "-ok-") are not part of the word */
    while (n > 0 && is_joiner(w[n - 1]))
        w[--n] = '\0';
    while (*w && is_joiner(*w)) {
        w++;
        n--;
    }
    if (n == 0)
        return;
    if (sc == SC_LATIN) {
        lower_ascii(w);
        if (has_digit || has_at || (w[0] == 'h' && strncmp(w, "http", 4) == 0) ||
            (w[0] == 'w' && strncmp(w, "www.", 4) == 0))
            return;
        unsigned mask = index_find(latin_index, w, n);
        if (mask & W_UNIVERSAL)
            return;
        st->latin_content += word_letters;
        if (mask & W_EN)
            st->en_hits++;
        for (unsigned m = mask / W_LATIN0; m; m &= m - 1)   /* the languages' bits set */
            st->latin_hits[__builtin_ctz(m)]++;
    } else if (sc == SC_ARABIC) {
        fold_arabic(w, &st->persian_letters, &st->arabic_letters, &st->urdu_letters);
        unsigned mask = index_find(arabic_index, w, strlen(w));
        if (mask & W_PERSIAN)
            st->persian_hits++;
        if (mask & W_ARABIC)
            st->arabic_hits++;
        else if (strncmp(w, "ال", 4) == 0 && strlen(w) >= 8 && !(mask & W_PERSIAN_AL))
            st->al_words++;
    }
}

/* Language of raw text and whether there was enough of it to tell.
 * Returns a static ISO 639-1 code; *sure (may be NULL) receives the verdict.
 * Looks at the first LANGID_SCAN_MAX bytes only. */
const char *nlu_detect_language_ex(const char *raw, size_t len, bool *sure)
{
    langid_state st;
    char word[LANGID_WORD_MAX + 4];
    size_t wn = 0;
    int word_letters = 0, word_digit = 0, word_at = 0;
    int word_sc[SC__COUNT];
    const unsigned char *s = (const unsigned char *)raw;
    const char *code = "en";
    bool ok = false;

    pthread_once(&index_once, index_build);
    memset(&st, 0, sizeof st);
    memset(word_sc, 0, sizeof word_sc);
    if (raw == NULL)
        len = 0;
    if (len > LANGID_SCAN_MAX)
        len = LANGID_SCAN_MAX;

    size_t i = 0;
    unsigned touched = 0;       /* scripts counted in word_sc for this word */
    unsigned seen = 0;          /* scripts with letters in st.letters */
    while (i <= len) {
        uint32_t c = ' ';
        size_t k = 1;
        if (i < len) {
            if (s[i] < 0x80) {
                c = s[i];
            } else if (s[i] >= 0xC2 && s[i] <= 0xDF && i + 1 < len && (s[i + 1] & 0xC0) == 0x80) {
                c = (uint32_t)(s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F);   /* 2 bytes, inline */
                k = 2;
            } else {
                k = utf8_next(s + i, len - i, &c);
            }
        }
        enum script sc = i < len ? letter_script(c) : SC_NONE;
        if (i < len && (sc != SC_NONE || is_word_char(c))) {
            if (sc != SC_NONE) {
                st.letters[sc]++;
                word_sc[sc]++;
                touched |= 1u << sc;
                seen |= 1u << sc;
                word_letters++;
                if (sc == SC_LATIN)
                    latin_letter_hint(&st, c);
                if (sc == SC_CYRILLIC) {
                    if (c == 0x456 || c == 0x457 || c == 0x454 || c == 0x491 ||
                        c == 0x406 || c == 0x407 || c == 0x404 || c == 0x490)
                        st.cyr_uk++;
                    if (c == 0x4D9 || c == 0x493 || c == 0x49B || c == 0x4A3 || c == 0x4E9 ||
                        c == 0x4B1 || c == 0x4AF || c == 0x4BB)
                        st.cyr_kk++;
                }
            } else if (c < 0x80 && c >= '0' && c <= '9') {
                word_digit = 1;
            } else if (c >= 0x660 && c <= 0x669) {
                word_digit = 1;
                st.arabic_digits = 1;
            } else if (c >= 0x6F0 && c <= 0x6F9) {
                word_digit = 1;
                st.persian_digits = 1;
            } else if (c == '@') {
                word_at = 1;
            }
            if (wn + k <= LANGID_WORD_MAX) {
                for (size_t b = 0; b < k; b++)   /* 1-4 bytes: no memcpy call */
                    word[wn++] = (char)s[i + b];
            } else {
                wn = LANGID_WORD_MAX;   /* too long to be a list word */
            }
        } else if (wn > 0 || word_letters > 0) {
            enum script best = SC_NONE;
            for (int x = 1; touched >> x; x++)
                if (((touched >> x) & 1) && word_sc[x] > word_sc[best])
                    best = (enum script)x;
            score_word(&st, word, wn, best, word_letters, word_digit, word_at);
            wn = 0;
            word_letters = word_digit = word_at = 0;
            for (int x = 1; touched >> x; x++)
                word_sc[x] = 0;
            touched = 0;
        }
        i += k;
    }

    /* the dominant script; Latin counts half (only scripts with letters
     * can weigh more than nothing) */
    enum script best = SC_NONE;
    double best_w = 0;
    for (int sc = 1; seen >> sc; sc++) {
        if (!((seen >> sc) & 1))
            continue;
        double wgt = st.letters[sc] * (sc == SC_LATIN ? 0.5 : 1.0);
        if (wgt > best_w) {
            best_w = wgt;
            best = (enum script)sc;
        }
    }

    switch (best) {
    case SC_NONE:
        code = "en";
        ok = false;
        break;
    case SC_LATIN: {
        int best_i = -1, best_hits = 0;
        for (size_t j = 0; j < N_LATIN_LANGS; j++) {
            int hits = st.latin_hits[j] + (st.latin_marks[j] > 0);
            if (hits > best_hits) {
                best_hits = hits;
                best_i = (int)j;
            }
        }
        if (best_i >= 0 && best_hits >= 2 && best_hits > st.en_hits)
            code = latin_langs[best_i].lang;
        else
            code = "en";
        ok = st.latin_content >= 3;
        break;
    }
    case SC_CYRILLIC:
        code = st.cyr_kk > 0 ? "kk" : st.cyr_uk > 0 ? "uk" : "ru";
        ok = st.letters[SC_CYRILLIC] >= 2;
        break;
    case SC_ARABIC: {
        int n = st.letters[SC_ARABIC];
        /* the digits' forms differ too ("شماره من ۰۵۰..." was Arabic) */
        double fa = st.persian_letters + 2.0 * st.persian_hits + st.persian_digits;
        double ar = st.arabic_letters + 2.0 * st.arabic_hits + 0.5 * st.al_words + st.arabic_digits;
        if (st.urdu_letters > 0 && st.urdu_letters >= st.arabic_letters) {
            code = "ur";
            ok = n >= 2;
        } else if (fa > ar) {
            code = "fa";
            ok = n >= 2;
        } else {
            code = "ar";
            ok = (ar > fa && n >= 2) || n >= 6;
        }
        break;
    }
    default:
        code = script_lang[best] ? script_lang[best] : "en";
        ok = script_lang[best] != NULL && st.letters[best] >= 2;
        break;
    }
    if (sure)
        *sure = ok;
    return code;
}

/* See nlu_int.h. */
const char *nlu_detect_language(const char *raw, size_t len)
{
    return nlu_detect_language_ex(raw, len, NULL);
}
