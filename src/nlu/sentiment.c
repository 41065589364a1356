/*
 * sentiment.c - how the buyer feels in this one message: a label
 * (positive, negative, neutral, frustrated, excited), a score in -1..1 and
 * frustration 0..10 (CONTRACT.md §4 "sentiment").
 *
 * Two sources:
 *   - the normalised text, through small per-language lexicons: positive
 *     and negative words with weights, frustration words and phrases
 *     (useless, scam, waste of time, how many times, نصب، كلاهبرداري،
 *     бесполезно, сколько можно...), negators that flip the next three
 *     words ("not good", "не нравится", "لا احب", and Persian "خوب نيست"
 *     after the word), intensifiers ("very", "really", "so", "очень",
 *     "خيلي") that scale the next sentiment word;
 *   - the raw text: runs of "!!", "??" and "?!", words in CAPITALS (four
 *     letters or more, Latin or Cyrillic), and emoji (😀 👍 ❤️ 🤩 😡 👎 🙄 ...).
 * "again"/"опять" count as frustration only strongly when the message also
 * has ? or ! ("again?!").
 *
 * score = (pos - neg) / (|pos - neg| + 1.5).  Labels: frustrated when
 * frustration >= 5 or a strong frustration word (weight >= 5) was used;
 * excited when score >= 0.5 with emphasis (!!, capitals or an excited
 * emoji); positive when score >= 0.2; negative when score <= -0.2; else
 * neutral.  Frustration adds: the frustration words' weights, 1 per strong
 * negative word, 2 for ??/?!, 1 for !! or capitals when the message is
 * negative, 3 per angry emoji; capped at 10.
 *
 * Frustration across turns: nlu_frustration_carry() (used by `proptalk nlu
 * --conversation`; the dialog keeps its own count per session).
 */
#include "nlu/entities_int.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

enum {
    S_POS = 0,     /* val: weight x10 */
    S_NEG,         /* val: weight x10 */
    S_FRUST,       /* val: frustration points */
    S_NEGATOR,
    S_POSTNEG,     /* Persian "نيست": negates the word before */
    S_INTENS,      /* val: multiplier x10 */
    S_AGAIN,
};

static const lex_item sent_items[] = {
    /* en positive */
    {"good", S_POS, 10}, {"great", S_POS, 20}, {"excellent", S_POS, 20}, {"amazing", S_POS, 20},
    {"awesome", S_POS, 20}, {"perfect", S_POS, 20}, {"love", S_POS, 20}, {"loved", S_POS, 20},
    {"like", S_POS, 10}, {"liked", S_POS, 10}, {"nice", S_POS, 10}, {"wonderful", S_POS, 20},
    {"fantastic", S_POS, 20}, {"beautiful", S_POS, 15}, {"happy", S_POS, 10},
    {"thanks", S_POS, 10}, {"thank", S_POS, 10}, {"helpful", S_POS, 10},
    {"interested", S_POS, 10}, {"excited", S_POS, 20}, {"cool", S_POS, 10},
    {"brilliant", S_POS, 20}, {"superb", S_POS, 20}, {"best", S_POS, 10},
    {"impressive", S_POS, 20}, {"glad", S_POS, 10}, {"pleased", S_POS, 10},
    {"lovely", S_POS, 15}, {"stunning", S_POS, 20}, {"appreciate", S_POS, 10},
    {"yay", S_POS, 20}, {"wow", S_POS, 20}, {"outstanding", S_POS, 20},
    {"good morning", S_POS, 0}, {"good afternoon", S_POS, 0}, {"good evening", S_POS, 0},
    {"good night", S_POS, 0}, {"good day", S_POS, 0}, {"صباح الخير", S_POS, 0},
    {"مساء الخير", S_POS, 0}, {"доброе утро", S_POS, 0}, {"добрый день", S_POS, 0},
    {"добрый вечер", S_POS, 0}, {"روز بخير", S_POS, 0},
    {"no problem", S_POS, 5}, {"no thanks", S_POS, 0}, {"no thank you", S_POS, 0}, {"no worries", S_POS, 5}, {"sounds good", S_POS, 10},
    {"works for me", S_POS, 10}, {"dream", S_POS, 15},
    /* en negative */
    {"bad", S_NEG, 10}, {"poor", S_NEG, 10}, {"terrible", S_NEG, 20}, {"awful", S_NEG, 20},
    {"horrible", S_NEG, 20}, {"hate", S_NEG, 20}, {"expensive", S_NEG, 10},
    {"overpriced", S_NEG, 10}, {"disappointed", S_NEG, 20}, {"disappointing", S_NEG, 20},
    {"worst", S_NEG, 20}, {"problem", S_NEG, 5}, {"issue", S_NEG, 5}, {"slow", S_NEG, 10},
    {"wrong", S_NEG, 10}, {"unhappy", S_NEG, 10}, {"sad", S_NEG, 10}, {"confusing", S_NEG, 10},
    {"unfortunately", S_NEG, 5}, {"not interested", S_NEG, 10}, {"upset", S_NEG, 15},
    {"complaint", S_NEG, 10}, {"unacceptable", S_NEG, 20},
    {"not happy", S_NEG, 15}, {"delayed", S_NEG, 10}, {"late", S_NEG, 5}, {"noisy", S_NEG, 10},
    {"dirty", S_NEG, 10}, {"lousy", S_NEG, 15}, {"mediocre", S_NEG, 10},
    /* en frustration */
    {"useless", S_FRUST, 6}, {"scam", S_FRUST, 7}, {"scammer", S_FRUST, 7},
    {"scammers", S_FRUST, 7}, {"fraud", S_FRUST, 7}, {"stupid", S_FRUST, 5},
    {"idiot", S_FRUST, 6}, {"idiots", S_FRUST, 6}, {"ridiculous", S_FRUST, 5},
    {"pathetic", S_FRUST, 6}, {"nonsense", S_FRUST, 4}, {"rubbish", S_FRUST, 5},
    {"waste of time", S_FRUST, 6}, {"wasting my time", S_FRUST, 6}, {"fed up", S_FRUST, 6},
    {"sick of", S_FRUST, 5}, {"annoying", S_FRUST, 4}, {"annoyed", S_FRUST, 4},
    {"frustrating", S_FRUST, 5}, {"frustrated", S_FRUST, 5}, {"angry", S_FRUST, 5},
    {"wtf", S_FRUST, 6}, {"how many times", S_FRUST, 5}, {"already told you", S_FRUST, 5},
    {"i told you", S_FRUST, 4}, {"told you", S_FRUST, 3}, {"still waiting", S_FRUST, 4},
    {"no response", S_FRUST, 3}, {"no reply", S_FRUST, 3}, {"not responding", S_FRUST, 3},
    {"not answering", S_FRUST, 3}, {"don't understand", S_FRUST, 3},
    {"doesn't understand", S_FRUST, 4}, {"not listening", S_FRUST, 4},
    {"hopeless", S_FRUST, 5}, {"cheated", S_FRUST, 6}, {"liar", S_FRUST, 6},
    {"liars", S_FRUST, 6}, {"fake", S_FRUST, 4}, {"spam", S_FRUST, 4},
    {"leave me alone", S_FRUST, 5}, {"shut up", S_FRUST, 6}, {"damn", S_FRUST, 3},
    {"crap", S_FRUST, 4}, {"shit", S_FRUST, 5}, {"seriously", S_FRUST, 2},
    {"anyone there", S_FRUST, 2}, {"is anyone", S_FRUST, 2}, {"ugh", S_FRUST, 3},
    {"again", S_AGAIN, 0}, {"repeat", S_AGAIN, 0}, {"repeating", S_AGAIN, 0},
    {"not helpful", S_FRUST, 4}, {"unhelpful", S_FRUST, 4},
    {"keep asking", S_FRUST, 5}, {"keep repeating", S_FRUST, 5}, {"same thing", S_FRUST, 3},
    {"same question", S_FRUST, 4}, {"same questions", S_FRUST, 4},
    {"again and again", S_FRUST, 5}, {"nobody replied", S_FRUST, 3},
    {"no one replied", S_FRUST, 3}, {"nobody called", S_FRUST, 3}, {"no one called", S_FRUST, 3},
    {"never called", S_FRUST, 3}, {"never replied", S_FRUST, 3}, {"not replying", S_FRUST, 3},
    {"rude", S_FRUST, 3}, {"unprofessional", S_FRUST, 4}, {"worthless", S_FRUST, 5},
    {"bullshit", S_FRUST, 6}, {"disgusting", S_FRUST, 5}, {"fed up", S_FRUST, 6},
    {"had enough", S_FRUST, 5}, {"sick and tired", S_FRUST, 6}, {"are you even", S_FRUST, 3},
    /* en modifiers */
    {"not", S_NEGATOR, 0}, {"no", S_NEGATOR, 0}, {"never", S_NEGATOR, 0},
    {"don't", S_NEGATOR, 0}, {"doesn't", S_NEGATOR, 0}, {"didn't", S_NEGATOR, 0},
    {"isn't", S_NEGATOR, 0}, {"wasn't", S_NEGATOR, 0}, {"aren't", S_NEGATOR, 0},
    {"can't", S_NEGATOR, 0}, {"cannot", S_NEGATOR, 0}, {"won't", S_NEGATOR, 0},
    {"hardly", S_NEGATOR, 0}, {"nothing", S_NEGATOR, 0},
    {"very", S_INTENS, 15}, {"really", S_INTENS, 15}, {"so", S_INTENS, 15},
    {"extremely", S_INTENS, 20}, {"super", S_INTENS, 15}, {"too", S_INTENS, 13},
    {"absolutely", S_INTENS, 15}, {"totally", S_INTENS, 15}, {"quite", S_INTENS, 12},
    {"so much", S_INTENS, 15}, {"truly", S_INTENS, 15},
    /* ar */
    {"ممتاز", S_POS, 20}, {"ممتازه", S_POS, 20}, {"رائع", S_POS, 20}, {"رائعه", S_POS, 20},
    {"روعه", S_POS, 20}, {"جميل", S_POS, 10}, {"جميله", S_POS, 10}, {"حلو", S_POS, 10},
    {"شكرا", S_POS, 10}, {"كويس", S_POS, 10}, {"جيد", S_POS, 10}, {"احب", S_POS, 15},
    {"عظيم", S_POS, 20}, {"تمام", S_POS, 10}, {"مهتم", S_POS, 10}, {"مشكور", S_POS, 10},
    {"يعطيك العافيه", S_POS, 10}, {"مبسوط", S_POS, 10},
    {"سيء", S_NEG, 10}, {"سيئ", S_NEG, 10}, {"سيئه", S_NEG, 10}, {"غالي", S_NEG, 10},
    {"غاليه", S_NEG, 10}, {"للاسف", S_NEG, 5}, {"مشكله", S_NEG, 5}, {"زعلان", S_NEG, 15},
    {"نصب", S_FRUST, 7}, {"نصاب", S_FRUST, 7}, {"نصابين", S_FRUST, 7}, {"احتيال", S_FRUST, 7},
    {"محتال", S_FRUST, 7}, {"غبي", S_FRUST, 5}, {"سخيف", S_FRUST, 5},
    {"مضيعه للوقت", S_FRUST, 6}, {"مضيعه وقت", S_FRUST, 6}, {"زهقت", S_FRUST, 5},
    {"تعبت", S_FRUST, 3}, {"مافي فايده", S_FRUST, 5}, {"بدون فايده", S_FRUST, 5},
    {"كذاب", S_FRUST, 6}, {"كذب", S_FRUST, 4}, {"كم مره", S_FRUST, 4}, {"قلت لك", S_FRUST, 3},
    {"زفت", S_NEG, 20}, {"خايس", S_NEG, 20}, {"مو زين", S_NEG, 10}, {"مب زين", S_NEG, 10},
    {"مزعج", S_NEG, 10}, {"وقح", S_NEG, 15}, {"ما عجبني", S_NEG, 10}, {"سيئه جدا", S_NEG, 20},
    {"نفس الكلام", S_FRUST, 4}, {"نفس السوال", S_FRUST, 4}, {"كل مره", S_FRUST, 3},
    {"ما تردون", S_FRUST, 3}, {"محد رد", S_FRUST, 3}, {"ما احد رد", S_FRUST, 3},
    {"ضيعتوا وقتي", S_FRUST, 6}, {"ضيعت وقتي", S_FRUST, 6}, {"حرامي", S_FRUST, 6},
    {"حراميه", S_FRUST, 6}, {"سخيفه", S_FRUST, 5}, {"خلاص زهقت", S_FRUST, 6},
    {"زين", S_POS, 10}, {"عجبني", S_POS, 15}, {"يجنن", S_POS, 20}, {"ماشاء الله", S_POS, 15},
    {"ما شاء الله", S_POS, 15},
    {"مره ثانيه", S_AGAIN, 0}, {"مجددا", S_AGAIN, 0}, {"مره اخري", S_AGAIN, 0},
    {"لا", S_NEGATOR, 0}, {"مش", S_NEGATOR, 0}, {"ما", S_NEGATOR, 0}, {"ليس", S_NEGATOR, 0},
    {"مو", S_NEGATOR, 0}, {"غير", S_NEGATOR, 0}, {"لم", S_NEGATOR, 0}, {"لن", S_NEGATOR, 0},
    {"جدا", S_INTENS, 15}, {"كتير", S_INTENS, 15}, {"كثير", S_INTENS, 15}, {"مره", S_INTENS, 15},
    /* fa */
    {"عالي", S_POS, 20}, {"عاليه", S_POS, 20}, {"خوب", S_POS, 10}, {"خوبه", S_POS, 10},
    {"ممنون", S_POS, 10}, {"ممنونم", S_POS, 10}, {"مرسي", S_POS, 10}, {"قشنگ", S_POS, 10},
    {"قشنگه", S_POS, 10}, {"دوست دارم", S_POS, 15}, {"فوق العاده", S_POS, 20},
    {"متشكرم", S_POS, 10}, {"سپاس", S_POS, 10}, {"عاليه", S_POS, 20},
    {"بد", S_NEG, 10}, {"بده", S_NEG, 10}, {"گران", S_NEG, 10}, {"گرونه", S_NEG, 10},
    {"گرون", S_NEG, 10}, {"ضعيف", S_NEG, 10}, {"افتضاح", S_NEG, 20},
    {"كلاهبرداري", S_FRUST, 7}, {"كلاهبردار", S_FRUST, 7}, {"احمق", S_FRUST, 5},
    {"مسخره", S_FRUST, 5}, {"بيخود", S_FRUST, 4}, {"وقتم تلف شد", S_FRUST, 6},
    {"اتلاف وقت", S_FRUST, 6}, {"خسته شدم", S_FRUST, 4}, {"چند بار", S_FRUST, 4},
    {"دروغ", S_FRUST, 5}, {"دروغگو", S_FRUST, 6}, {"دوباره", S_AGAIN, 0},
    {"افتضاحه", S_NEG, 20}, {"خيلي بده", S_NEG, 20}, {"ضعيفه", S_NEG, 10}, {"بي ادب", S_NEG, 15},
    {"همون حرف", S_FRUST, 4}, {"همين حرف", S_FRUST, 4}, {"هر دفعه", S_FRUST, 3},
    {"هر بار", S_FRUST, 3}, {"جواب نميديد", S_FRUST, 3}, {"جواب نداد", S_FRUST, 3},
    {"جوابمو نداد", S_FRUST, 3}, {"تلف كرديد", S_FRUST, 6}, {"هدر داديد", S_FRUST, 6},
    {"كلاهبرداريه", S_FRUST, 7}, {"كلاهبرداريد", S_FRUST, 7}, {"خسته شدم", S_FRUST, 4},
    {"عالي", S_POS, 20}, {"محشره", S_POS, 20}, {"دمت گرم", S_POS, 15}, {"قشنگه", S_POS, 10},
    {"نه", S_NEGATOR, 0}, {"نمي", S_NEGATOR, 0}, {"هيچ", S_NEGATOR, 0},
    {"نيست", S_POSTNEG, 0}, {"نبود", S_POSTNEG, 0},
    {"خيلي", S_INTENS, 15}, {"واقعا", S_INTENS, 15},
    /* ru */
    {"хорошо", S_POS, 10}, {"хорош*", S_POS, 10}, {"отлично", S_POS, 20},
    {"отличн*", S_POS, 20}, {"супер", S_POS, 20}, {"класс", S_POS, 20},
    {"прекрасно", S_POS, 20}, {"замечательно", S_POS, 20}, {"спасибо", S_POS, 10},
    {"нравится", S_POS, 10}, {"круто", S_POS, 20}, {"здорово", S_POS, 20},
    {"интересно", S_POS, 10}, {"благодарю", S_POS, 10}, {"шикарн*", S_POS, 20},
    {"плохо", S_NEG, 10}, {"плох*", S_NEG, 10}, {"дорого", S_NEG, 10}, {"ужасно", S_NEG, 20},
    {"ужасн*", S_NEG, 20}, {"проблем*", S_NEG, 5}, {"жаль", S_NEG, 5},
    {"разочарован*", S_NEG, 20},
    {"бесполезн*", S_FRUST, 6}, {"развод", S_FRUST, 7}, {"мошенник*", S_FRUST, 7},
    {"обман*", S_FRUST, 6}, {"тупой", S_FRUST, 5}, {"тупая", S_FRUST, 5}, {"идиот*", S_FRUST, 6},
    {"бред", S_FRUST, 5}, {"надоело", S_FRUST, 5}, {"достали", S_FRUST, 5},
    {"задолбали", S_FRUST, 6}, {"трата времени", S_FRUST, 6}, {"сколько можно", S_FRUST, 5},
    {"издеваетесь", S_FRUST, 5}, {"не понимаете", S_FRUST, 4}, {"опять", S_AGAIN, 0},
    {"отвратительн*", S_NEG, 20}, {"груб*", S_NEG, 15}, {"хамство", S_NEG, 20},
    {"неверн*", S_NEG, 5}, {"каждый раз", S_FRUST, 3}, {"одно и то же", S_FRUST, 4},
    {"то же самое", S_FRUST, 3}, {"не отвечаете", S_FRUST, 3}, {"не отвечает", S_FRUST, 3},
    {"никто не ответил", S_FRUST, 3}, {"никто не перезвонил", S_FRUST, 3},
    {"тратите", S_FRUST, 5}, {"надоели", S_FRUST, 5}, {"достал*", S_FRUST, 5},
    {"бесит", S_FRUST, 6}, {"хватит", S_FRUST, 3},
    {"снова", S_AGAIN, 0},
    {"не", S_NEGATOR, 0}, {"нет", S_NEGATOR, 0}, {"ни", S_NEGATOR, 0},
    {"очень", S_INTENS, 15}, {"действительно", S_INTENS, 15}, {"так", S_INTENS, 13},
    {"совсем", S_INTENS, 15}, {"реально", S_INTENS, 15},
};

static lex_table sent_lex;
static pthread_once_t sent_once = PTHREAD_ONCE_INIT;

static void sent_init(void)
{
    lex_build(&sent_lex, sent_items, (int)(sizeof sent_items / sizeof sent_items[0]));
}

/* ---- the raw text ------------------------------------------------------ */

typedef struct raw_signals {
    int excl_total, excl_run, q_run;
    bool q_excl;           /* "?!" or "!?" */
    bool any_q_or_excl;
    int caps_words, words;
    int emo_pos, emo_neg, emo_angry, emo_excited;
} raw_signals;

static int emoji_kind(uint32_t c)
{
    switch (c) {
    case 0x1F600: case 0x1F603: case 0x1F604: case 0x1F601: case 0x1F60A: case 0x1F642:
    case 0x1F44D: case 0x2764: case 0x1F4AF: case 0x1F64F: case 0x1F60E: case 0x1F44C:
    case 0x1F917: case 0x263A: case 0x1F607: case 0x1F496: case 0x1F495: case 0x1F618:
    case 0x1F602: case 0x1F91D: case 0x1F44F: case 0x2705: case 0x1F970: case 0x1F499:
    case 0x1F49A: case 0x1F49B: case 0x1F49C: case 0x1F5A4: case 0x1F9E1:
        return 1;
    case 0x1F61E: case 0x1F622: case 0x1F62D: case 0x1F614: case 0x1F615: case 0x1F641:
    case 0x2639: case 0x1F44E: case 0x1F612: case 0x1F629: case 0x1F62B: case 0x1F494:
    case 0x1F61F: case 0x1F625: case 0x1F613:
        return 2;
    case 0x1F621: case 0x1F620: case 0x1F92C: case 0x1F644: case 0x1F624: case 0x1F926:
    case 0x1F4A9: case 0x1F92F: case 0x1F611:
        return 3;
    case 0x1F929: case 0x1F525: case 0x1F973: case 0x1F389: case 0x1F60D: case 0x1F38A:
    case 0x1F680: case 0x2728:
        return 4;
    default:
        return 0;
    }
}

static void scan_raw(const char *raw, size_t len, raw_signals *r)
{
    const unsigned char *p = (const unsigned char *)raw;
    int run_e = 0, run_q = 0;
    int wl = 0, wup = 0;   /* current word: letters, upper-case letters */
    char prev_punct = 0;
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i <= len;) {
        uint32_t c = 0;
        size_t k = 1;
        if (i < len) {
            unsigned b = p[i];
            if (b < 0x80) {
                c = b;
            } else {
                size_t need = b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2
                              : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
                if (need && i + need < len) {
                    c = b & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
                    for (size_t j = 1; j <= need; j++) {
                        if ((p[i + j] & 0xC0) != 0x80) {
                            c = 0xFFFD;
                            need = 0;
                            break;
                        }
                        c = (c << 6) | (p[i + j] & 0x3F);
                    }
                    k = need + 1;
                } else {
                    c = 0xFFFD;
                }
            }
        }
        bool upper = (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
        bool lower = (c >= 'a' && c <= 'z') || (c >= 0x0430 && c <= 0x044F) || c == 0x0451;
        if (upper || lower) {
            wl++;
            wup += upper;
            prev_punct = 0;
            if (run_e || run_q)
                goto end_runs;
            i += k;
            continue;
        }
        if (wl > 0) {
            r->words++;
            if (wl >= 4 && wup == wl)
                r->caps_words++;
            wl = wup = 0;
        }
        if (c == '!') {
            run_e++;
            r->excl_total++;
            r->any_q_or_excl = true;
            if (prev_punct == '?')
                r->q_excl = true;
            prev_punct = '!';
            if (run_q > r->q_run)
                r->q_run = run_q;
            run_q = 0;
            i += k;
            continue;
        }
        if (c == '?' || c == 0x061F) {
            run_q++;
            r->any_q_or_excl = true;
            if (prev_punct == '!')
                r->q_excl = true;
            prev_punct = '?';
            if (run_e > r->excl_run)
                r->excl_run = run_e;
            run_e = 0;
            i += k;
            continue;
        }
        prev_punct = 0;
        if (c >= 0x2600) {
            switch (emoji_kind(c)) {
            case 1: r->emo_pos++; break;
            case 2: r->emo_neg++; break;
            case 3: r->emo_angry++; break;
            case 4: r->emo_excited++; break;
            default: break;
            }
        }
    end_runs:
        if (run_e > r->excl_run)
            r->excl_run = run_e;
        if (run_q > r->q_run)
            r->q_run = run_q;
        run_e = run_q = 0;
        i += k;
    }
}

/* ---- nlu_sentiment ------------------------------------------------------ */

void nlu_sentiment(const char *raw, size_t raw_len, const char *norm, size_t norm_len,
                   nlu_result *out)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, norm ? norm_len : 0);
    nlu_sentiment_toks(raw, raw_len, &tk, out);
}

/* See entities_int.h. */
void nlu_sentiment_toks(const char *raw, size_t raw_len, const nlu_toks *tk, nlu_result *out)
{
    pthread_once(&sent_once, sent_init);
    raw_signals r;
    if (raw == NULL)
        raw_len = 0;
    if (raw_len > 16384)
        raw_len = 16384;
    scan_raw(raw ? raw : "", raw_len, &r);

    double pos = 0, neg = 0, frust = 0;
    bool strong = false;
    int negate = 0;            /* tokens left under a negator */
    double mult = 1.0;
    int mult_left = 0;
    int last_sent = -100;      /* token of the last sentiment word */
    double last_pos = 0, last_neg = 0;
    int again = 0;

    for (int i = 0; i < tk->n;) {
        const lex_item *it;
        int c = lex_match(&sent_lex, tk, i, &it);
        if (c == 0) {
            i++;
            if (negate > 0)
                negate--;
            if (mult_left > 0 && --mult_left == 0)
                mult = 1.0;
            continue;
        }
        double wgt = it->val / 10.0;
        switch (it->cat) {
        case S_POS:
            if (negate > 0) {
                neg += wgt * 0.8;
                last_pos = 0;
                last_neg = wgt * 0.8;
            } else {
                pos += wgt * mult;
                last_pos = wgt * mult;
                last_neg = 0;
            }
            last_sent = i + c;
            negate = 0;
            mult = 1.0;
            mult_left = 0;
            break;
        case S_NEG:
            if (negate > 0) {
                pos += wgt * 0.5;
                last_pos = wgt * 0.5;
                last_neg = 0;
            } else {
                neg += wgt * mult;
                last_neg = wgt * mult;
                last_pos = 0;
                if (wgt * mult >= 2.0)
                    frust += 1;
            }
            last_sent = i + c;
            negate = 0;
            mult = 1.0;
            mult_left = 0;
            break;
        case S_FRUST:
            frust += it->val;
            neg += it->val >= 5 ? 2.0 : 1.0;
            if (it->val >= 5)
                strong = true;
            negate = 0;
            break;
        case S_AGAIN:
            again++;
            break;
        case S_NEGATOR:
            negate = 3 + c;
            break;
        case S_POSTNEG:
            if (i - last_sent <= 1) {
                pos += last_neg - last_pos;
                neg += last_pos - last_neg;
                pos -= last_neg * 0.5;   /* "بد نيست" (not bad) is only mildly positive */
                last_sent = -100;
            }
            break;
        case S_INTENS:
            mult = it->val / 10.0;
            mult_left = 2 + c;
            break;
        default:
            break;
        }
        i += c;
        if (it->cat != S_NEGATOR && negate > 0)
            negate = negate > c ? negate - c : 0;
        if (it->cat != S_INTENS && mult_left > 0) {
            mult_left = mult_left > c ? mult_left - c : 0;
            if (mult_left == 0)
                mult = 1.0;
        }
    }
    if (pos < 0)
        pos = 0;
    if (neg < 0)
        neg = 0;

    /* emoji */
    int ep = r.emo_pos < 3 ? r.emo_pos : 3, en = r.emo_neg < 3 ? r.emo_neg : 3;
    int ea = r.emo_angry < 2 ? r.emo_angry : 2, ex = r.emo_excited < 3 ? r.emo_excited : 3;
    pos += ep + 1.5 * ex;
    neg += en + ea;
    frust += 3 * ea;

    /* emphasis */
    bool emphasis = r.excl_run >= 2 || r.excl_total >= 2 || r.caps_words > 0 || ex > 0;
    bool negative_mood = neg > pos || frust > 0;
    if (again)   /* "again?!" is frustration, "hi again" is not */
        frust += r.any_q_or_excl ? 3 : negative_mood ? 1 : 0;
    if (r.q_excl)
        frust += 2;
    else if (r.q_run >= 3)
        frust += 2;
    else if (r.q_run == 2)
        frust += 1;
    if (negative_mood && (r.excl_run >= 2 || r.excl_total >= 2))
        frust += 1;
    if (negative_mood && r.caps_words > 0)
        frust += r.caps_words < 3 ? r.caps_words : 3;
    else if (r.words >= 3 && r.caps_words == r.words)
        frust += 1;   /* SHOUTING */
    if (frust > 0 && neg < frust / 3.0)
        neg = frust / 3.0;

    double raw_score = pos - neg;
    double score = raw_score / (fabs(raw_score) + 1.5);
    if (score > 1)
        score = 1;
    if (score < -1)
        score = -1;
    int f = (int)lround(frust);
    if (f > 10)
        f = 10;
    if (f < 0)
        f = 0;

    nlu_sentiment_label l = SENT_NEUTRAL;
    if (f >= 5 || strong)
        l = SENT_FRUSTRATED;
    else if (score >= 0.5 && emphasis)
        l = SENT_EXCITED;
    else if (score >= 0.2)
        l = SENT_POSITIVE;
    else if (score <= -0.2)
        l = SENT_NEGATIVE;
    out->sentiment = l;
    out->sentiment_score = round(score * 100) / 100;
    out->frustration = f;
}

/* See nlu.h. */
int nlu_frustration_carry(int before, const nlu_result *r)
{
    if (before < 0)
        before = 0;
    if (before > 10)
        before = 10;
    int f = before * 7 / 10;
    if (r) {
        f += r->frustration > 0 ? r->frustration : 0;
        if (r->intent && strcmp(r->intent, "complaint") == 0)
            f += 2;
    }
    return f > 10 ? 10 : f;
}
