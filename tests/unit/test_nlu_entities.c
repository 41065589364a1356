/*
 * test_nlu_entities.c - table-driven tests of normalisation, entity
 * extraction (budget, phone, localities, bedrooms/type/transaction/purpose,
 * e-mail, dates) and sentiment, in English, Arabic, Persian and Russian.
 * Every case runs the real path: raw text -> nlu_normalize ->
 * nlu_extract_entities / nlu_sentiment.
 */
#include "test.h"

#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "nlu/entities_int.h"
#include "nlu/nlu_int.h"
#include "pack/pack.h"

#define NONE INT64_MIN

/* 2026-11-19T09:00Z: Thursday, 13:00 in Dubai */
#define NOW_DUBAI ((time_t)1795078800)
/* 2026-11-19T20:00Z: Friday 2026-11-20 01:30 in Kolkata */
#define NOW_KOLKATA ((time_t)1795118400)

static arena A;

/* Normalises raw and runs the entity extraction with ctx. */
static void analyze(const nlu_context *ctx, const char *raw, nlu_result *r)
{
    char *norm = NULL;
    size_t nl = 0;
    memset(r, 0, sizeof *r);
    int rc = nlu_normalize(&A, raw, strlen(raw), &norm, &nl);
    CHECK(rc == 0, "normalize \"%s\" rc %d", raw, rc);
    if (rc != 0)
        return;
    rc = nlu_extract_entities(ctx, norm, nl, &A, r);
    CHECK(rc == 0, "entities \"%s\" rc %d", raw, rc);
    nlu_sentiment(raw, strlen(raw), norm, nl, r);
}

static const char *norm_of(const char *raw)
{
    char *norm = NULL;
    size_t nl = 0;
    if (nlu_normalize(&A, raw, strlen(raw), &norm, &nl) != 0)
        return "(error)";
    return norm;
}

/* ---- normalisation ------------------------------------------------------- */

TEST(test_normalize)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Hello   World", "hello world"},
        {"  trim\t\n me  ", "trim me"},
        {"", ""},
        /* Arabic letter variants */
        {"أحمد إلى آمنة", "احمد الي امنه"},
        {"مدرسة", "مدرسه"},
        {"على", "علي"},
        {"ٱلله", "الله"},
        /* Persian yeh and keheh */
        {"\xDB\x8C\xDA\xA9", "\xD9\x8A\xD9\x83"},
        {"کی", "كي"},
        /* tatweel, harakat, superscript alef */
        {"مـــرحبا", "مرحبا"},
        {"مَرْحَبًا", "مرحبا"},
        {"هٰذا", "هذا"},
        /* digits and separators */
        {"٠١٢٣٤٥٦٧٨٩", "0123456789"},
        {"۰۱۲۳۴۵۶۷۸۹", "0123456789"},
        {"١٫٥ مليون", "1.5 مليون"},
        {"١٬٠٠٠", "1,000"},
        {"كم السعر؟", "كم السعر?"},
        /* ZWNJ */
        {"می\xE2\x80\x8Cخواهم", "مي خواهم"},
        {"سه\xE2\x80\x8Cشنبه", "سه شنبه"},
        /* NFKC + case folding */
        {"\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92", "abc12"},
        {"\xEF\xBB\xA3\xEF\xBA\xAE\xEF\xBA\xA3\xEF\xBA\x92\xEF\xBA\x8E", "مرحبا"},
        {"\xEF\xAC\x81nd", "find"},
        {"ПРИВЕТ Мир", "привет мир"},
        {"Straße", "strasse"},
        {"ещё Ёлка", "еще елка"},
        {"мой йогурт", "мой йогурт"},
        {"e\xCC\x81t\xC3\xA9", "\xC3\xA9t\xC3\xA9"},
        {"a\xC2\xA0" "b\xE2\x80\x89" "c", "a b c"},
        {"soft\xC2\xADhyphen", "softhyphen"},
        /* chat spellings */
        {"u r gr8 thx", "you are great thanks"},
        {"pls call me", "please call me"},
        {"Plz?", "please?"},
        {"hiiii", "hi"},
        {"Hii there", "hi there"},
        {"helo", "hello"},
        {"wat is the price", "what is the price"},
        {"i wanna buy", "i want to buy"},
        {"gonna visit tmrw", "going to visit tomorrow"},
        {"thx!", "thanks!"},
        {"sooo good", "so good"},
        {"2bhk bhk 2 BHK", "2bhk bhk 2 bhk"},
        {"phase iii", "phase iii"},
        {"www.example.com a@b.com", "www.example.com a@b.com"},
        {"спс", "спасибо"},
        {"500k 2m 90l", "500k 2m 90l"},
        /* punctuation kept */
        {"2-3M, ok?", "2-3m, ok?"},
        /* invalid UTF-8 */
        {"\xFF" "abc", "\xEF\xBF\xBD" "abc"},
        {"ab\xE2\x82", "ab\xEF\xBF\xBD"},
        {"\xED\xA0\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = norm_of(cases[i].in);
        CHECK(strcmp(got, cases[i].want) == 0, "normalize \"%s\": got \"%s\", want \"%s\"",
              cases[i].in, got, cases[i].want);
    }
    /* length is reported and the output is NUL-terminated */
    char *n = NULL;
    size_t nl = 99;
    CHECK_INT(nlu_normalize(&A, "AB", 2, &n, &nl), 0);
    CHECK_INT(nl, 2);
    CHECK_STR(n, "ab");
    CHECK_INT(nlu_normalize(&A, NULL, 0, &n, &nl), 0);
    CHECK_INT(nl, 0);
    /* embedded NUL bytes are whitespace */
    CHECK_INT(nlu_normalize(&A, "a\0b", 3, &n, &nl), 0);
    CHECK_STR(n, "a b");
}

/* ---- budgets ----------------------------------------------------------- */

typedef struct budget_case {
    const char *text;
    const char *ctx_cur;
    int64_t min, max;      /* NONE: not set */
    const char *cur;       /* NULL: no budget at all */
} budget_case;

static const budget_case budget_cases[] = {
    /* en: forms */
    {"2M", "AED", NONE, 2000000, "AED"},
    {"budget 2 million", "AED", NONE, 2000000, "AED"},
    {"2mn aed", "INR", NONE, 2000000, "AED"},
    {"1.5 million", "AED", NONE, 1500000, "AED"},
    {"500K", "AED", NONE, 500000, "AED"},
    {"500k dirhams", NULL, NONE, 500000, "AED"},
    {"90 lakhs", "INR", NONE, 9000000, "INR"},
    {"90 lac", "INR", NONE, 9000000, "INR"},
    {"90L", "INR", NONE, 9000000, "INR"},
    {"2 Cr", "INR", NONE, 20000000, "INR"},
    {"2 crore", "INR", NONE, 20000000, "INR"},
    {"1.2cr", "INR", NONE, 12000000, "INR"},
    {"2 crore", NULL, NONE, 20000000, "INR"},
    {"my budget is 1,20,00,000", "INR", NONE, 12000000, "INR"},
    {"2,000,000 AED", NULL, NONE, 2000000, "AED"},
    {"1,20,00,000", "INR", NONE, 12000000, "INR"},
    {"budget 2.000.000", "AED", NONE, 2000000, "AED"},
    {"a million", "AED", NONE, 1000000, "AED"},
    {"half a million dirhams", NULL, NONE, 500000, "AED"},
    {"two million", "AED", NONE, 2000000, "AED"},
    {"five crore", "INR", NONE, 50000000, "INR"},
    {"1.25 bn", "AED", NONE, 1250000000, "AED"},
    /* en: ranges */
    {"under 2M", "AED", NONE, 2000000, "AED"},
    {"below 3 million", "AED", NONE, 3000000, "AED"},
    {"max 1.5M", "AED", NONE, 1500000, "AED"},
    {"up to 80 lakhs", "INR", NONE, 8000000, "INR"},
    {"less than 2 crore", "INR", NONE, 20000000, "INR"},
    {"within 1 cr", "INR", NONE, 10000000, "INR"},
    {"budget of 5M", "AED", NONE, 5000000, "AED"},
    {"not more than 2M", "AED", NONE, 2000000, "AED"},
    {"above 1M", "AED", 1000000, NONE, "AED"},
    {"over 2 million", "AED", 2000000, NONE, "AED"},
    {"at least 50 lakh", "INR", 5000000, NONE, "INR"},
    {"minimum 3M", "AED", 3000000, NONE, "AED"},
    {"more than 1.5 cr", "INR", 15000000, NONE, "INR"},
    {"3M+", "AED", 3000000, NONE, "AED"},
    {"2M or more", "AED", 2000000, NONE, "AED"},
    {"between 1M and 2M", "AED", 1000000, 2000000, "AED"},
    {"between 1 and 2 million", "AED", 1000000, 2000000, "AED"},
    {"1-2 Cr", "INR", 10000000, 20000000, "INR"},
    {"1M-2M", "AED", 1000000, 2000000, "AED"},
    {"1 to 2 million", "AED", 1000000, 2000000, "AED"},
    {"from 80 lakhs to 1.2 crore", "INR", 8000000, 12000000, "INR"},
    {"50L - 1Cr", "INR", 5000000, 10000000, "INR"},
    {"around 2M", "AED", 1800000, 2200000, "AED"},
    {"about 1 crore", "INR", 9000000, 11000000, "INR"},
    {"approx 500k", "AED", 450000, 550000, "AED"},
    {"~3M", "AED", 2700000, 3300000, "AED"},
    {"budget is around 1.5M", "AED", 1350000, 1650000, "AED"},
    {"at least 1M but under 2M", "AED", 1000000, 2000000, "AED"},
    {"budget between 2000000 and 3000000", "AED", 2000000, 3000000, "AED"},
    /* en: currencies */
    {"AED 2.5M", "INR", NONE, 2500000, "AED"},
    {"\xE2\x82\xB9" "90L", "AED", NONE, 9000000, "INR"},
    {"$500k", "AED", NONE, 500000, "USD"},
    {"Rs. 75 lakhs", NULL, NONE, 7500000, "INR"},
    {"2M USD", "AED", NONE, 2000000, "USD"},
    {"2 million dollars", "AED", NONE, 2000000, "USD"},
    {"1 crore rupees", "AED", NONE, 10000000, "INR"},
    {"budget is 1,500,000 aed", NULL, NONE, 1500000, "AED"},
    /* ar */
    {"2 مليون", "AED", NONE, 2000000, "AED"},
    {"مليونين درهم", NULL, NONE, 2000000, "AED"},
    {"500 ألف", "AED", NONE, 500000, "AED"},
    {"أقل من 3 مليون", "AED", NONE, 3000000, "AED"},
    {"بين 1 و 2 مليون درهم", NULL, 1000000, 2000000, "AED"},
    {"بين ١ و٢ مليون", "AED", 1000000, 2000000, "AED"},
    {"حوالي ٢ مليون", "AED", 1800000, 2200000, "AED"},
    {"ميزانيتي ١٫٥ مليون", "AED", NONE, 1500000, "AED"},
    {"أكثر من مليون", "AED", 1000000, NONE, "AED"},
    {"حتى 800 ألف درهم", NULL, NONE, 800000, "AED"},
    {"مليون ونص", "AED", NONE, 1500000, "AED"},
    {"من 2 الى 3 مليون دولار", "AED", 2000000, 3000000, "USD"},
    /* fa */
    {"2 میلیون", "AED", NONE, 2000000, "AED"},
    {"۵۰۰ هزار", "AED", NONE, 500000, "AED"},
    {"زیر ۳ میلیون درهم", NULL, NONE, 3000000, "AED"},
    {"بین ۱ تا ۲ میلیون", "AED", 1000000, 2000000, "AED"},
    {"حدود ۲ میلیون دلار", "AED", 1800000, 2200000, "USD"},
    {"تا 5 میلیارد", "AED", NONE, 5000000000, "AED"},
    {"بودجه ام ۱٫۵ میلیون درهم است", NULL, NONE, 1500000, "AED"},
    {"حداقل 2 میلیون", "AED", 2000000, NONE, "AED"},
    {"دو میلیون درهم", NULL, NONE, 2000000, "AED"},
    /* ru */
    {"2 млн", "AED", NONE, 2000000, "AED"},
    {"1,5 млн", "AED", NONE, 1500000, "AED"},
    {"2 миллиона дирхамов", NULL, NONE, 2000000, "AED"},
    {"500 тыс", "AED", NONE, 500000, "AED"},
    {"500 тысяч рупий", "AED", NONE, 500000, "INR"},
    {"до 3 млн", "AED", NONE, 3000000, "AED"},
    {"не более 2 млн", "AED", NONE, 2000000, "AED"},
    {"от 1 до 2 млн", "AED", 1000000, 2000000, "AED"},
    {"около 2 млн долларов", "AED", 1800000, 2200000, "USD"},
    {"примерно 1,5 млн", "AED", 1350000, 1650000, "AED"},
    {"больше 1 млн", "AED", 1000000, NONE, "AED"},
    {"бюджет 2 000 000 дирхам", NULL, NONE, 2000000, "AED"},
    {"полтора миллиона", "AED", NONE, 1500000, "AED"},
    {"два миллиона", "AED", NONE, 2000000, "AED"},
    {"за миллион", "AED", NONE, 1000000, "AED"},
    {"500к", "AED", NONE, 500000, "AED"},
    {"1.5-2M", "AED", 1500000, 2000000, "AED"},
    {"AED 1.2M to 1.5M", "INR", 1200000, 1500000, "AED"},
    {"budget: 3 crore", "INR", NONE, 30000000, "INR"},
    {"price 2 000 000 AED", NULL, NONE, 2000000, "AED"},
    {"3 ملايين", "AED", NONE, 3000000, "AED"},
    {"۲ میلیارد تومان", "AED", NONE, 2000000000, "AED"},
    /* not budgets */
    {"2BHK in Whitefield", "INR", NONE, NONE, NULL},
    {"3 bedrooms", "AED", NONE, NONE, NULL},
    {"call me at 0504127789", "AED", NONE, NONE, NULL},
    {"I want to move in 2026", "AED", NONE, NONE, NULL},
    {"2 bhk", "INR", NONE, NONE, NULL},
    {"at 5pm", "AED", NONE, NONE, NULL},
    {"+971 50 412 7789", "AED", NONE, NONE, NULL},
    {"2-3 bhk", "INR", NONE, NONE, NULL},
    {"under 5 years old", "AED", NONE, NONE, NULL},
    {"2026-11-21", "AED", NONE, NONE, NULL},
    {"3 غرف", "AED", NONE, NONE, NULL},
    {"دو خوابه", "AED", NONE, NONE, NULL},
    {"2-комнатная", "AED", NONE, NONE, NULL},
    {"500 m from the beach", "AED", NONE, NONE, NULL},
    {"i have 2 kids", "AED", NONE, NONE, NULL},
    {"1200 sqft", "AED", NONE, NONE, NULL},
    {"what is the price in lakhs", "INR", NONE, NONE, NULL},
    {"at 10:30", "AED", NONE, NONE, NULL},
    {"8% roi", "AED", NONE, NONE, NULL},
    {"from 2027", "AED", NONE, NONE, NULL},
    {"ألف شكر", "AED", NONE, NONE, NULL},
    {"millions of options", "AED", NONE, NONE, NULL},
    {"близко к метро", "AED", NONE, NONE, NULL},
    {"0 aed", "AED", NONE, NONE, NULL},
    {"99999999999 crore", "INR", NONE, NONE, NULL},
    {"2 to 3 bedrooms", "AED", NONE, NONE, NULL},
    {"from 10:00 to 12:00", "AED", NONE, NONE, NULL},
    /* compound amounts, a half before the unit, number-word ranges */
    {"2 million 500 thousand", "AED", NONE, 2500000, "AED"},
    {"1 cr 20 lakh", "INR", NONE, 12000000, "INR"},
    {"مليون و ٢٠٠ الف", "AED", NONE, 1200000, "AED"},
    {"دو میلیون و پانصد هزار", "AED", NONE, 2500000, "AED"},
    {"between 1 million and 500k", "AED", 500000, 1000000, "AED"},
    {"1.5M and 800k", "AED", NONE, 1500000, "AED"},
    {"یک و نیم میلیون", "AED", NONE, 1500000, "AED"},
    {"حدود ۲ و نیم میلیون", "AED", 2250000, 2750000, "AED"},
    {"1 and a half million", "AED", NONE, 1500000, "AED"},
    {"two to three million", "AED", 2000000, 3000000, "AED"},
    {"بین یک تا یک و نیم میلیون درهم", "AED", 1000000, 1500000, "AED"},
    {"one to one meeting", "AED", NONE, NONE, NULL},
    {"من مليون الى مليونين", "AED", 1000000, 2000000, "AED"},
    {"between half a million and 1M", "AED", 500000, 1000000, "AED"},
    /* Russian case forms, abbreviations with a dot */
    {"до двух миллионов", "AED", NONE, 2000000, "AED"},
    {"около полутора миллионов", "AED", 1350000, 1650000, "AED"},
    {"от миллиона до полутора", "AED", 1000000, 1500000, "AED"},
    {"между 2 и 3 миллионами", "AED", 2000000, 3000000, "AED"},
    {"800 тыс. дирхамов", "INR", NONE, 800000, "AED"},
    {"пятьсот тысяч", "AED", NONE, 500000, "AED"},
    /* Arabic and Persian forms */
    {"فوق المليون", "AED", 1000000, NONE, "AED"},
    {"بحدود المليونين", "AED", 1800000, 2200000, "AED"},
    {"خمسمية الف", "AED", NONE, 500000, "AED"},
    {"بودجم ۱.۸ میلیونه", "AED", NONE, 1800000, "AED"},
    {"۸۰ لاک روپیه", "AED", NONE, 8000000, "INR"},
    {"half a crore", "INR", NONE, 5000000, "INR"},
    /* "less than" with the preposition bi- attached is still a ceiling, not
     * "from X"; a suffix word that opens the next amount is its qualifier */
    {"بأقل من ٢٫٥ مليون", "AED", NONE, 2500000, "AED"},
    {"شقة بأقل من 2 مليون درهم", NULL, NONE, 2000000, "AED"},
    {"بأكثر من مليون", "AED", 1000000, NONE, "AED"},
    {"min 1M max 2M", "AED", 1000000, 2000000, "AED"},
    {"minimum 1 cr maximum 2 cr", "INR", 10000000, 20000000, "INR"},
    {"2M max", "AED", NONE, 2000000, "AED"},
    {"2M max, 3 bedrooms", "AED", NONE, 2000000, "AED"},
    /* "between X and Y" in words, both ends set; the Arabic "and" written
     * onto the second amount ("ومليونين") joins a range after "between"
     * and a compound otherwise; a unit said once at the end serves both */
    {"ما بين مليون ومليونين", "AED", 1000000, 2000000, "AED"},
    {"بين مليون ومليونين", "AED", 1000000, 2000000, "AED"},
    {"ميزانيتي ما بين مليون ومليونين درهم", NULL, 1000000, 2000000, "AED"},
    {"بين مليونين وثلاثة ملايين", "AED", 2000000, 3000000, "AED"},
    {"بين اثنين وثلاثة مليون", "AED", 2000000, 3000000, "AED"},
    {"مليون وخمسمية الف", "AED", NONE, 1500000, "AED"},
    {"ومليون درهم", NULL, NONE, 1000000, "AED"},
    {"بين مليون و مليونين", "AED", 1000000, 2000000, "AED"},
    {"من مليون إلى مليونين", "AED", 1000000, 2000000, "AED"},
    {"بين ٢ و ٣ مليون", "AED", 2000000, 3000000, "AED"},
    {"بین یک میلیون و دو میلیون", "AED", 1000000, 2000000, "AED"},
    {"بین ۲ تا ۳ میلیون", "AED", 2000000, 3000000, "AED"},
    {"از ۱ تا ۲ میلیون", "AED", 1000000, 2000000, "AED"},
    {"от миллиона до двух миллионов", "AED", 1000000, 2000000, "AED"},
    {"между 2 и 3 млн", "AED", 2000000, 3000000, "AED"},
    {"от 1 до 2 миллионов", "AED", 1000000, 2000000, "AED"},
    {"between one and two million", "AED", 1000000, 2000000, "AED"},
    {"1-2M", "AED", 1000000, 2000000, "AED"},
    {"2 bed 1-2M", "AED", 1000000, 2000000, "AED"},
    {"2 bed under 2M", "AED", NONE, 2000000, "AED"},
    {"وسط المدينة", "AED", NONE, NONE, NULL},
    /* number words compose into one number before the multiplier: tens +
     * units, hundreds + tens + units; Arabic says units before tens with
     * "و", Persian puts "و" between the parts.  "and" joining two numbers
     * of the same rank (2 and 3, 20 and 30) or units and Persian/English
     * tens is still a range */
    {"twenty five thousand", "AED", NONE, 25000, "AED"},
    {"twenty-five thousand dollars", "AED", NONE, 25000, "USD"},
    {"one hundred and fifty thousand", "AED", NONE, 150000, "AED"},
    {"one hundred fifty thousand", "AED", NONE, 150000, "AED"},
    {"three hundred and twenty five thousand", "AED", NONE, 325000, "AED"},
    {"two hundred thousand", "AED", NONE, 200000, "AED"},
    {"under a hundred thousand", "AED", NONE, 100000, "AED"},
    {"fifteen thousand", "AED", NONE, 15000, "AED"},
    {"two and a half million", "AED", NONE, 2500000, "AED"},
    {"one million two hundred fifty thousand", "AED", NONE, 1250000, "AED"},
    {"between twenty and thirty thousand", "AED", 20000, 30000, "AED"},
    {"between five and twenty million", "AED", 5000000, 20000000, "AED"},
    {"between one hundred and two hundred thousand", "AED", 100000, 200000, "AED"},
    {"twenty five", "AED", NONE, NONE, NULL},
    {"twenty five bedrooms", "AED", NONE, NONE, NULL},
    {"two bedrooms for twenty five thousand", "AED", NONE, 25000, "AED"},
    {"двадцать пять тысяч", "AED", NONE, 25000, "AED"},
    {"сто пятьдесят тысяч", "AED", NONE, 150000, "AED"},
    {"от двадцати пяти тысяч", "AED", 25000, NONE, "AED"},
    {"пятнадцать тысяч", "AED", NONE, 15000, "AED"},
    {"три с половиной миллиона", "AED", NONE, 3500000, "AED"},
    {"между двумя и тремя миллионами", "AED", 2000000, 3000000, "AED"},
    {"بیست و پنج هزار", "AED", NONE, 25000, "AED"},
    {"صد و پنجاه هزار", "AED", NONE, 150000, "AED"},
    {"دویست و پنجاه هزار دلار", "AED", NONE, 250000, "USD"},
    {"سی میلیون", "AED", NONE, 30000000, "AED"},
    {"پانزده هزار", "AED", NONE, 15000, "AED"},
    {"بین پنج و بیست میلیون", "AED", 5000000, 20000000, "AED"},
    {"آپارتمان دو خوابه بیست و پنج هزار", "AED", NONE, 25000, "AED"},
    {"خمسة و عشرين الف", "AED", NONE, 25000, "AED"},
    {"خمسة وعشرين الف", "AED", NONE, 25000, "AED"},
    {"بين خمسة وعشرين مليون", "AED", NONE, 25000000, "AED"},
    {"مئة وخمسون ألف", "AED", NONE, 150000, "AED"},
    {"مئة وخمسة وعشرين الف", "AED", NONE, 125000, "AED"},
    {"ثلاثون ألف درهم", NULL, NONE, 30000, "AED"},
    {"خمسة عشر الف", "AED", NONE, 15000, "AED"},
    {"بين اثنين وثلاثة ملايين", "AED", 2000000, 3000000, "AED"},
    {"بين عشرين وخمسة وعشرين الف", "AED", 20000, 25000, "AED"},
    {"بين عشرين وثلاثين الف", "AED", 20000, 30000, "AED"},
    /* the Arabic "ب" ("for/with") written onto the amount, and the
     * construct dual before a noun ("مليوني درهم"); a word that merely
     * starts with ب is no amount, nor "بالمليون" ("one in a million") */
    {"شقة بمليون", "AED", NONE, 1000000, "AED"},
    {"شقة للبيع في دبي مارينا بمليوني درهم", NULL, NONE, 2000000, "AED"},
    {"مليوني درهم", NULL, NONE, 2000000, "AED"},
    {"فيلا بمليونين", "AED", NONE, 2000000, "AED"},
    {"شقة بمليون ونص", "AED", NONE, 1500000, "AED"},
    {"بنص مليون", "AED", NONE, 500000, "AED"},
    {"بخمسة وعشرين الف درهم", NULL, NONE, 25000, "AED"},
    {"بألفي دولار", "AED", NONE, 2000, "USD"},
    {"بخمسة الى ستة ملايين", "AED", 5000000, 6000000, "AED"},
    {"بيت في البحر", "AED", NONE, NONE, NULL},
    {"برج خليفة", "AED", NONE, NONE, NULL},
    {"بحر وبرج", "AED", NONE, NONE, NULL},
    {"بدو", "AED", NONE, NONE, NULL},
    {"بست غرف", "AED", NONE, NONE, NULL},
    {"فرصة واحد بالمليون", "AED", NONE, NONE, NULL},
    {"با بودجه ۲ میلیون", "AED", NONE, 2000000, "AED"},
    /* a number in words after "thousand" is the rest of the amount (tens or
     * hundreds), not a number of its own; "point" says a decimal */
    {"two thousand five hundred", "AED", NONE, 2500, "AED"},
    {"twenty five thousand five hundred", "AED", NONE, 25500, "AED"},
    {"under two thousand five hundred dollars", "AED", NONE, 2500, "USD"},
    {"around two thousand five hundred", "AED", 2250, 2750, "AED"},
    {"from two thousand five hundred to three thousand", "AED", 2500, 3000, "AED"},
    {"2 thousand five hundred", "AED", NONE, 2500, "AED"},
    {"one million two hundred thousand", "AED", NONE, 1200000, "AED"},
    {"one million two hundred thousand five hundred", "AED", NONE, 1200500, "AED"},
    {"two point five million", "AED", NONE, 2500000, "AED"},
    {"under one point two million dirhams", NULL, NONE, 1200000, "AED"},
    {"fifty thousand a month", "AED", NONE, 50000, "AED"},
    {"under fifty thousand three bedrooms", "AED", NONE, 50000, "AED"},
    {"under fifty thousand twenty units", "AED", NONE, 50000, "AED"},
    {"between twenty thousand and thirty", "AED", 20000, 30000, "AED"},
    {"до пятидесяти тысяч двадцать минут до метро", "AED", NONE, 50000, "AED"},
    {"حوالي خمسين الف عشرين دقيقة من المترو", "AED", 45000, 55000, "AED"},
    {"زیر پنجاه هزار بیست دقیقه تا مترو", "AED", NONE, 50000, "AED"},
    {"две тысячи пятьсот", "AED", NONE, 2500, "AED"},
    {"до двух тысяч пятисот долларов", "AED", NONE, 2500, "USD"},
    {"один миллион двести тысяч", "AED", NONE, 1200000, "AED"},
    {"полтора миллиона", "AED", NONE, 1500000, "AED"},
    {"ألفين وخمسمائة", "AED", NONE, 2500, "AED"},
    {"مليون ومئتين ألف", "AED", NONE, 1200000, "AED"},
    {"اثنين فاصلة خمسة مليون", "AED", NONE, 2500000, "AED"},
    {"دو هزار و پانصد", "AED", NONE, 2500, "AED"},
    {"یک میلیون و دویست هزار", "AED", NONE, 1200000, "AED"},
    {"دو ممیز پنج میلیون", "AED", NONE, 2500000, "AED"},
    /* lakh and crore in Russian, in any case */
    {"до 90 лакхов", NULL, NONE, 9000000, "INR"},
    {"бюджет 50 лакха", NULL, NONE, 5000000, "INR"},
    {"от 1 до 2 кроров", NULL, 10000000, 20000000, "INR"},
    {"до 2 крор рупий", NULL, NONE, 20000000, "INR"},
};

TEST(test_budget)
{
    int n = 0;
    for (size_t i = 0; i < sizeof budget_cases / sizeof budget_cases[0]; i++) {
        const budget_case *c = &budget_cases[i];
        nlu_context ctx = {.currency = c->ctx_cur, .region = "AE"};
        nlu_result r;
        analyze(&ctx, c->text, &r);
        bool found = (r.found & NLU_BUDGET) != 0;
        if (c->cur == NULL) {
            CHECK(!found, "budget \"%s\": found min %lld max %lld, want none", c->text,
                  r.has_budget_min ? (long long)r.budget_min : -1LL,
                  r.has_budget_max ? (long long)r.budget_max : -1LL);
            continue;
        }
        n++;
        CHECK(found, "budget \"%s\": not found", c->text);
        if (!found)
            continue;
        CHECK(r.has_budget_min == (c->min != NONE) && (c->min == NONE || r.budget_min == c->min),
              "budget \"%s\": min %s%lld, want %lld", c->text, r.has_budget_min ? "" : "(unset) ",
              (long long)r.budget_min, (long long)(c->min == NONE ? -1 : c->min));
        CHECK(r.has_budget_max == (c->max != NONE) && (c->max == NONE || r.budget_max == c->max),
              "budget \"%s\": max %s%lld, want %lld", c->text, r.has_budget_max ? "" : "(unset) ",
              (long long)r.budget_max, (long long)(c->max == NONE ? -1 : c->max));
        CHECK(strcmp(r.currency, c->cur) == 0, "budget \"%s\": currency \"%s\", want \"%s\"",
              c->text, r.currency, c->cur);
    }
    CHECK(n >= 60, "only %d budget phrases", n);
}

/* ---- phones ----------------------------------------------------------- */

TEST(test_phone_parse)
{
    static const struct {
        const char *in, *region, *want;   /* want NULL: rejected */
    } cases[] = {
        {"+971 50 412 7789", NULL, "+971504127789"},
        {"+971-50-412-7789", "IN", "+971504127789"},
        {"050 412 7789", "AE", "+971504127789"},
        {"0504127789", "AE", "+971504127789"},
        {"504127789", "AE", "+971504127789"},
        {"00971504127789", NULL, "+971504127789"},
        {"+971 (0) 50 412 7789", NULL, "+971504127789"},
        {"971504127789", "AE", "+971504127789"},
        {"(050) 412-7789", "AE", "+971504127789"},
        {"050.412.7789", "AE", "+971504127789"},
        {"04 321 5678", "AE", "+97143215678"},
        {"+971501234567", NULL, "+971501234567"},
        {"98450 12345", "IN", "+919845012345"},
        {"+91 98450 12345", NULL, "+919845012345"},
        {"098450 12345", "IN", "+919845012345"},
        {"+44 20 7946 0958", NULL, "+442079460958"},
        {"(415) 555-2671", "US", "+14155552671"},
        {"8 916 123-45-67", "RU", "+79161234567"},
        {"055 123 4568", "SA", "+966551234568"},
        {"0912 345 6780", "IR", "+989123456780"},
        {"۰۵۰۴۱۲۷۷۸۹", "AE", "+971504127789"},
        {"٠٥٠٤١٢٧٧٨٩", "AE", "+971504127789"},
        {"+33 6 12 34 56 78", NULL, "+33612345678"},
        /* rejected */
        {"123456789", "AE", NULL},
        {"1111111111", "IN", NULL},
        {"+971 50 111 1111", NULL, NULL},
        {"+91 98765 43210", NULL, NULL},
        {"+971 1234567890", NULL, NULL},
        {"1234567890", "IN", NULL},
        {"0987654321", "AE", NULL},
        {"+97150abc1234", NULL, NULL},
        {"050 412 7789", NULL, NULL},
        {"+971 50 412", NULL, NULL},
        {"+9715041277891234567", NULL, NULL},
        {"+971+504127789", NULL, NULL},
        {"050 412 77", "AE", NULL},
        {"", "AE", NULL},
        {"+", NULL, NULL},
        {"0000000000", "AE", NULL},
        {"+971 50 412 7789 ext", NULL, NULL},
        {"0504127789", "ZZ", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char e[20];
        const char *why = NULL;
        int rc = nlu_phone_parse(cases[i].in, strlen(cases[i].in), cases[i].region, e, &why);
        if (cases[i].want) {
            CHECK(rc == 0 && strcmp(e, cases[i].want) == 0, "phone \"%s\" (%s): rc %d \"%s\" (%s)",
                  cases[i].in, cases[i].region ? cases[i].region : "-", rc, e, why ? why : "");
            CHECK(why == NULL, "phone \"%s\": reason set on success", cases[i].in);
        } else {
            CHECK(rc == -PT_ERR_UNPROCESSABLE && why != NULL && why[0],
                  "phone \"%s\": want rejection, got rc %d \"%s\"", cases[i].in, rc, e);
        }
    }
    /* reasons */
    char e[20];
    const char *why = NULL;
    nlu_phone_parse("123456789", 9, "AE", e, &why);
    CHECK_STR(why, "sequential digits");
    nlu_phone_parse("1111111111", 10, "IN", e, &why);
    CHECK_STR(why, "too few distinct digits");
    nlu_phone_parse("+971 50 111 1111", 16, NULL, e, &why);
    CHECK_STR(why, "repeated digits");
    nlu_phone_parse("+97150abc1234", 13, NULL, e, &why);
    CHECK_STR(why, "contains letters");
    const char *longin = "+971 50 412 7789 +971 50 412 7789 +971 50 412 7789 x";
    CHECK_INT(nlu_phone_parse(longin, strlen(longin), NULL, e, &why), -PT_ERR_UNPROCESSABLE);
    CHECK_STR(why, "too long");
    CHECK_INT(nlu_phone_parse(NULL, 0, "AE", e, &why), -PT_ERR_UNPROCESSABLE);
}

TEST(test_phone_in_message)
{
    static const struct {
        const char *text, *region, *want;   /* want NULL: no phone */
        bool rejected;
    } cases[] = {
        {"my number is 050 412 7789 thanks", "AE", "+971504127789", false},
        {"call me +91 98450 12345", "AE", "+919845012345", false},
        {"whatsapp: 98450-12345", "IN", "+919845012345", false},
        {"my number 123456789", "AE", NULL, true},
        {"number: 1111111111", "IN", NULL, true},
        {"+971 50 111 1111 is my phone", "AE", NULL, true},
        {"2 bhk under 2M", "AE", NULL, false},
        {"0504127789 0557654321", "AE", "+971504127789", false},
        {"reach me on 0504127789 or 0557654321", "AE", "+971504127789", false},
        {"visit on 2026-11-21", "AE", NULL, false},
        {"budget 2500000", "AE", NULL, false},
        {"AED 2500000", "AE", NULL, false},
        {"2500000 AED", "AE", NULL, false},
        {"ref ID12345678", "AE", NULL, false},
        {"رقمي ٠٥٠٤١٢٧٧٨٩", "AE", "+971504127789", false},
        {"мой номер +7 916 123-45-67", "RU", "+79161234567", false},
        {"(050) 412-7789", "AE", "+971504127789", false},
        {"من فضلك اتصل على 0504127789", "AE", "+971504127789", false},
        {"под 2 млн, звоните +971 50 412 7789", "AE", "+971504127789", false},
        {"budget 0504127789", "AE", "+971504127789", false},
        /* one number with digits too many is refused, not cut to a valid
         * prefix: only two whole numbers side by side are split */
        {"8 916 123 45 67", "AE", NULL, true},
        {"my number is 050 412 7789 9", "AE", NULL, true},
        {"+971 50 412 7789 12", "AE", NULL, true},
        {"+971 50 412 7789 +971 55 765 4321", "AE", "+971504127789", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlu_context ctx = {.region = cases[i].region, .currency = "AED"};
        nlu_result r;
        analyze(&ctx, cases[i].text, &r);
        if (cases[i].want) {
            CHECK((r.found & NLU_PHONE) && strcmp(r.phone, cases[i].want) == 0,
                  "phone in \"%s\": got \"%s\" (%s)", cases[i].text, r.phone,
                  r.phone_rejected ? r.phone_rejected : "");
            CHECK(r.phone_rejected == NULL, "phone in \"%s\": reason set", cases[i].text);
        } else {
            CHECK(!(r.found & NLU_PHONE), "phone in \"%s\": unexpected \"%s\"", cases[i].text,
                  r.phone);
            CHECK((r.phone_rejected != NULL) == cases[i].rejected,
                  "phone in \"%s\": rejected = %s", cases[i].text,
                  r.phone_rejected ? r.phone_rejected : "(null)");
        }
    }
}

/* ---- e-mail ------------------------------------------------------------ */

TEST(test_email)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"my email is John.Doe@Example.com thanks", "john.doe@example.com"},
        {"a@b.co", "a@b.co"},
        {"mail: x_y+z@mail.example.ae.", "x_y+z@mail.example.ae"},
        {"email@ me", NULL},
        {"@example.com", NULL},
        {"user@localhost", NULL},
        {"user@domain.c", NULL},
        {"بريدي ali@test.ae", "ali@test.ae"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlu_result r;
        analyze(NULL, cases[i].text, &r);
        if (cases[i].want) {
            CHECK((r.found & NLU_EMAIL) && r.email && strcmp(r.email, cases[i].want) == 0,
                  "email in \"%s\": got \"%s\"", cases[i].text, r.email ? r.email : "(null)");
        } else {
            CHECK(!(r.found & NLU_EMAIL), "email in \"%s\": unexpected \"%s\"", cases[i].text,
                  r.email ? r.email : "");
        }
    }
    /* an e-mail's digits are not a phone */
    nlu_context ctx = {.region = "AE"};
    nlu_result r;
    analyze(&ctx, "write to buyer0504127789@mail.com", &r);
    CHECK(!(r.found & NLU_PHONE), "phone inside e-mail: %s", r.phone);
}

/* ---- localities -------------------------------------------------------- */

static const char *const canon[] = {
    "Whitefield", "Marathahalli", "Koramangala", "HSR Layout", "Electronic City",
    "Indiranagar", "Sarjapur Road", "Dubai Marina", "Jumeirah Village Circle", "Business Bay",
    "Downtown Dubai", "Palm Jumeirah", "Al Barsha", "Jumeirah Lake Towers", "Hebbal",
    "Whitefield",
};

static const char *const aliases =
    "# aliases\n"
    "jvc\tJumeirah Village Circle\n"
    "jlt\tJumeirah Lake Towers\n"
    "دبي مارينا\tDubai Marina\n"
    "مارينا\tDubai Marina\n"
    "Дубай Марина\tDubai Marina\n"
    "марина\tDubai Marina\n"
    "marina\tDubai Marina\n"
    "downtown\tDowntown Dubai\n"
    "hsr\tHSR Layout\r\n"
    "ecity\tElectronic City\n"
    "بزنس باي\tBusiness Bay\n"
    "دبی مارینا\tDubai Marina\n"
    "\n"
    "Arabian Ranches\n";

typedef struct loc_case {
    const char *text;
    const char *want[5];
} loc_case;

TEST(test_locality)
{
    nlu_gazetteer *g = NULL;
    pt_error err = {0};
    int rc = nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases, &g, &err);
    CHECK(rc == 0 && g != NULL, "gazetteer build rc %d: %s", rc, err.msg);
    if (g == NULL)
        return;
    static const loc_case cases[] = {
        {"2bhk in whitfield", {"Whitefield"}},
        {"Whitefield please", {"Whitefield"}},
        {"whitefeild", {"Whitefield"}},
        {"marthahalli or koramangla", {"Marathahalli", "Koramangala"}},
        {"anything in JVC?", {"Jumeirah Village Circle"}},
        {"jumeira village circle", {"Jumeirah Village Circle"}},
        {"دبي مارينا", {"Dubai Marina"}},
        {"شقة في دبي مارينا", {"Dubai Marina"}},
        {"آپارتمان در دبی مارینا", {"Dubai Marina"}},
        {"квартира в Дубай Марине", {"Dubai Marina"}},
        {"white field", {"Whitefield"}},
        {"dubaimarina", {"Dubai Marina"}},
        {"hsr layout and indiranagar", {"HSR Layout", "Indiranagar"}},
        {"Business Bay, downtown", {"Business Bay", "Downtown Dubai"}},
        {"al-barsha", {"Al Barsha"}},
        {"jvc or jumeirah village circle", {"Jumeirah Village Circle"}},
        {"jlt, JBR or Palm", {"Jumeirah Lake Towers"}},
        {"ecity", {"Electronic City"}},
        {"sarjapur rd", {"Sarjapur Road"}},
        {"Sarjapur Road", {"Sarjapur Road"}},
        {"بزنس باي", {"Business Bay"}},
        {"arabian ranches", {"Arabian Ranches"}},
        {"what is the price", {NULL}},
        {"hebal", {"Hebbal"}},
        {"call me later", {NULL}},
        {"the villa is near the market", {NULL}},
        {"i like marina", {"Dubai Marina"}},
        {"whitefield koramangala hebbal marathahalli indiranagar",
         {"Whitefield", "Koramangala", "Hebbal", "Marathahalli"}},
        {"", {NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlu_context ctx = {.gazetteer = g};
        nlu_result r;
        analyze(&ctx, cases[i].text, &r);
        int want_n = 0;
        while (want_n < 5 && cases[i].want[want_n])
            want_n++;
        bool ok = r.n_locations == want_n && ((r.found & NLU_LOCATIONS) != 0) == (want_n > 0);
        for (int k = 0; ok && k < want_n; k++)
            ok = strcmp(r.locations[k], cases[i].want[k]) == 0;
        CHECK(ok, "locations in \"%s\": got %d [%s, %s], want %d [%s]", cases[i].text,
              r.n_locations, r.n_locations > 0 ? r.locations[0] : "",
              r.n_locations > 1 ? r.locations[1] : "", want_n, want_n ? cases[i].want[0] : "");
    }
    /* edit distance */
    uint32_t a[] = {'a', 'b', 'c', 'd'}, b[] = {'a', 'c', 'b', 'd'};
    CHECK_INT(nlu_edit_distance(a, 4, b, 4, 2), 1);
    CHECK_INT(nlu_edit_distance(a, 4, a, 4, 0), 0);
    CHECK_INT(nlu_edit_distance(a, 4, b, 2, 1), 2);
    nlu_gazetteer_free(g);
    nlu_gazetteer_free(NULL);

    /* an empty gazetteer and a NULL alias text */
    CHECK_INT(nlu_gazetteer_build(NULL, 0, NULL, &g, &err), 0);
    const char *names[4];
    CHECK_INT(nlu_gazetteer_match(g, "whitefield", 10, names, 4), 0);
    nlu_gazetteer_free(g);
}

/* Wanted and excluded localities, with the cue lists of the shipped pack
 * (packs/default/replies/ *.json cue_loc_*), as the engine gives them. */
typedef struct side_case {
    const char *text;
    const char *want[3];
    const char *excl[3];
} side_case;

TEST(test_locality_sides)
{
    nlu_gazetteer *g = NULL;
    pack *pk = NULL;
    pt_error err = {0};
    CHECK_INT(nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases, &g, &err), 0);
    CHECK(pack_load("packs", NULL, &pk, &err) == 0, "pack: %s", err.msg);
    if (g == NULL || pk == NULL)
        goto done;
    /* without cues every locality is wanted, as before */
    nlu_context ctx = {.gazetteer = g};
    nlu_result r;
    analyze(&ctx, "not Marina, JVC", &r);
    CHECK(r.n_locations == 2 && r.n_excluded_locations == 0, "no cues: %d wanted, %d excluded",
          r.n_locations, r.n_excluded_locations);
    CHECK_INT(engine_gazetteer_cues(g, pk, &err), 0);
    /* a second time adds nothing (each phrase once) */
    CHECK_INT(engine_gazetteer_cues(g, pk, &err), 0);

#define DM "Dubai Marina"
#define JVC "Jumeirah Village Circle"
#define BB "Business Bay"
    static const side_case cases[] = {
        /* en: the phrasings supported */
        {"not Marina, JVC", {JVC}, {DM}},
        {"JVC instead of Marina", {JVC}, {DM}},
        {"JVC rather than marina", {JVC}, {DM}},
        {"not in Whitefield", {NULL}, {"Whitefield"}},
        {"anything but Business Bay", {NULL}, {BB}},
        {"forget Marina, show me JLT", {"Jumeirah Lake Towers"}, {DM}},
        {"other than downtown, what do you have in business bay", {BB}, {"Downtown Dubai"}},
        {"I don't want Marina anymore", {NULL}, {DM}},
        {"JVC and not Marina", {JVC}, {DM}},
        {"not Marina or JVC", {NULL}, {DM, JVC}},
        {"not Marina, JVC or JLT", {JVC, "Jumeirah Lake Towers"}, {DM}},
        {"Marina no, JVC", {JVC}, {DM}},
        {"Marina? not Marina, JVC", {JVC}, {DM}},
        /* en: not exclusions */
        {"Marina or JVC", {DM, JVC}, {NULL}},
        {"no, in Marina", {DM}, {NULL}},
        {"no, Marina", {DM}, {NULL}},
        {"not sure, maybe Marina", {DM}, {NULL}},
        {"not sure maybe Marina", {DM}, {NULL}},
        {"I do not mind, Marina is fine", {DM}, {NULL}},
        {"I don't mind Marina", {DM}, {NULL}},
        {"Marina, not too expensive", {DM}, {NULL}},
        {"Marina not too expensive", {DM}, {NULL}},
        {"why not Marina?", {DM}, {NULL}},
        {"not only Marina but also JVC", {DM, JVC}, {NULL}},
        {"not far from Marina", {DM}, {NULL}},
        {"Marina no?", {DM}, {NULL}},
        {"Marina, JVC", {DM, JVC}, {NULL}},
        /* a bare "no" right before an area rules it out when another area
         * follows ("no Marina, JVC": what else would JVC be?) or when it
         * goes on a list of areas ruled out ("no Marina no JVC"); alone,
         * "no Marina" may be "no, Marina" and keeps it */
        {"no Marina, JVC", {JVC}, {DM}},
        {"no marina jvc", {JVC}, {DM}},
        {"no Marina no JVC, Business Bay", {BB}, {DM, JVC}},
        {"no Marina or JVC", {NULL}, {DM, JVC}},
        {"no Marina", {DM}, {NULL}},
        {"no, Marina, JVC", {DM, JVC}, {NULL}},
        {"JVC no Marina", {JVC, DM}, {NULL}},
        {"لا مارينا، بزنس باي", {BB}, {DM}},
        {"لا مارينا ولا بزنس باي", {NULL}, {DM, BB}},
        {"لا مارينا", {DM}, {NULL}},
        {"لا، مارينا، بزنس باي", {DM, BB}, {NULL}},
        {"مارينا ولا بزنس باي؟", {DM, BB}, {NULL}},
        {"نه مارینا، بزنس بای", {BB}, {DM}},
        {"نه مارینا نه بزنس بای", {NULL}, {DM, BB}},
        {"نه مارینا", {DM}, {NULL}},
        {"نه، مارینا، بزنس بای", {DM, BB}, {NULL}},
        {"нет Марина, JVC", {JVC}, {DM}},
        {"нет, Марина, JVC", {DM, JVC}, {NULL}},
        /* ar */
        {"مش دبي مارينا، بزنس باي", {BB}, {DM}},
        {"بزنس باي بدلاً من مارينا", {BB}, {DM}},
        {"ليس في مارينا", {NULL}, {DM}},
        {"أي منطقة إلا مارينا", {NULL}, {DM}},
        {"مارينا لا، بزنس باي", {BB}, {DM}},
        {"لا، في مارينا", {DM}, {NULL}},
        {"مارينا او بزنس باي", {DM, BB}, {NULL}},
        {"مش بس مارينا", {DM}, {NULL}},
        /* fa */
        {"مارینا نه، بزنس بای", {BB}, {DM}},
        {"به جز مارینا", {NULL}, {DM}},
        {"بزنس بای به‌جای دبی مارینا", {BB}, {DM}},
        {"مارینا رو نمی‌خوام", {NULL}, {DM}},
        {"نه، مارینا", {DM}, {NULL}},
        {"مارینا یا بزنس بای", {DM, BB}, {NULL}},
        {"مارینا نه؟", {DM}, {NULL}},
        /* ru */
        {"не Марина, а JVC", {JVC}, {DM}},
        {"кроме Марины", {NULL}, {DM}},
        {"вместо Марины JVC", {JVC}, {DM}},
        {"только не в Дубай Марине", {NULL}, {DM}},
        {"Марину не надо, давайте JVC", {JVC}, {DM}},
        {"не знаю, может Марина", {DM}, {NULL}},
        {"Марина или JVC", {DM, JVC}, {NULL}},
        {"Марина, не дороже 2 млн", {DM}, {NULL}},
        {"почему бы не Марина", {DM}, {NULL}},
    };
#undef DM
#undef JVC
#undef BB
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const side_case *c = &cases[i];
        analyze(&ctx, c->text, &r);
        int nw = 0, nx = 0;
        while (nw < 3 && c->want[nw])
            nw++;
        while (nx < 3 && c->excl[nx])
            nx++;
        bool ok = r.n_locations == nw && r.n_excluded_locations == nx
                  && ((r.found & NLU_LOCATIONS) != 0) == (nw > 0)
                  && ((r.found & NLU_EXCLUDED_LOCATIONS) != 0) == (nx > 0);
        for (int k = 0; ok && k < nw; k++)
            ok = strcmp(r.locations[k], c->want[k]) == 0;
        for (int k = 0; ok && k < nx; k++)
            ok = strcmp(r.excluded_locations[k], c->excl[k]) == 0;
        CHECK(ok, "\"%s\": wanted %d [%s, %s], excluded %d [%s, %s]; want %d [%s], excluded %d [%s]",
              c->text, r.n_locations, r.n_locations > 0 ? r.locations[0] : "",
              r.n_locations > 1 ? r.locations[1] : "", r.n_excluded_locations,
              r.n_excluded_locations > 0 ? r.excluded_locations[0] : "",
              r.n_excluded_locations > 1 ? r.excluded_locations[1] : "", nw,
              nw ? c->want[0] : "", nx, nx ? c->excl[0] : "");
    }
done:
    pack_free(pk);
    nlu_gazetteer_free(g);
}

TEST(test_locality_large)
{
    /* 6000 synthetic names: matching stays correct and fast */
    enum { N = 6000 };
    static char bufs[N][40];
    static const char *names[N];
    static const char *syll[] = {"ka", "ra", "ma", "na", "ha", "li", "pu", "ro", "de", "vi"};
    for (int i = 0; i < N; i++) {
        int x = i;
        int o = snprintf(bufs[i], sizeof bufs[i], "%s", syll[x % 10]);
        x /= 10;
        for (int k = 0; k < 4; k++) {
            o += snprintf(bufs[i] + o, sizeof bufs[i] - (size_t)o, "%s", syll[x % 10]);
            x /= 10;
        }
        snprintf(bufs[i] + o, sizeof bufs[i] - (size_t)o, " %s", (i % 3) ? "nagar" : "halli");
        names[i] = bufs[i];
    }
    nlu_gazetteer *g = NULL;
    pt_error err = {0};
    CHECK_INT(nlu_gazetteer_build(names, N, aliases, &g, &err), 0);
    if (g == NULL)
        return;
    const char *got[4];
    char msg[128];
    snprintf(msg, sizeof msg, "2bhk near %s please", names[4321]);
    const char *norm = norm_of(msg);
    int n = nlu_gazetteer_match(g, norm, strlen(norm), got, 4);
    CHECK(n == 1 && strcmp(got[0], names[4321]) == 0, "large: got %d %s", n, n ? got[0] : "");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *text = "looking for a 2bhk apartment in whitefield or dubai marina under 2 crore";
    for (int i = 0; i < 2000; i++)
        nlu_gazetteer_match(g, text, strlen(text), got, 4);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3)
                / 2000;
    printf("    large gazetteer: %.1f us per message (ASan build)\n", us);
    CHECK(us < 2000, "large gazetteer too slow: %.1f us", us);
    nlu_gazetteer_free(g);
}

/* ---- bedrooms, types, transaction, purpose ------------------------------- */

typedef struct attr_case {
    const char *text;
    int beds;             /* -1: not found */
    property_type type;
    transaction tx;
    purpose purpose;
} attr_case;

static const attr_case attr_cases[] = {
    /* en bedrooms */
    {"2BHK", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"2 bhk", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"2BR apartment", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"2 bed flat", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"two-bedroom apartment", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"3 bedrooms villa", 3, PTYPE_VILLA, TX_NONE, PURPOSE_NONE},
    {"4-bed townhouse", 4, PTYPE_TOWNHOUSE, TX_NONE, PURPOSE_NONE},
    {"studio", 0, PTYPE_STUDIO, TX_NONE, PURPOSE_NONE},
    {"studio apartment for rent", 0, PTYPE_STUDIO, TX_RENT, PURPOSE_NONE},
    {"2-3 bhk", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"2.5 bhk", -1, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"office in dubai studio city", -1, PTYPE_OFFICE, TX_NONE, PURPOSE_NONE},
    /* en types */
    {"apt", -1, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"condo", -1, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"town house", -1, PTYPE_TOWNHOUSE, TX_NONE, PURPOSE_NONE},
    {"penthouse", -1, PTYPE_PENTHOUSE, TX_NONE, PURPOSE_NONE},
    {"plot", -1, PTYPE_PLOT, TX_NONE, PURPOSE_NONE},
    {"land", -1, PTYPE_PLOT, TX_NONE, PURPOSE_NONE},
    {"shop", -1, PTYPE_SHOP, TX_NONE, PURPOSE_NONE},
    {"retail space", -1, PTYPE_SHOP, TX_NONE, PURPOSE_NONE},
    /* en transaction and purpose */
    {"I want to buy", -1, PTYPE_NONE, TX_BUY, PURPOSE_NONE},
    {"purchase a villa", -1, PTYPE_VILLA, TX_BUY, PURPOSE_NONE},
    {"flats for sale", -1, PTYPE_APARTMENT, TX_BUY, PURPOSE_NONE},
    {"looking to rent", -1, PTYPE_NONE, TX_RENT, PURPOSE_NONE},
    {"lease an office", -1, PTYPE_OFFICE, TX_RENT, PURPOSE_NONE},
    {"for investment", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"good roi", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"what rental yield", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"to live with my family", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"for own use", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"end use", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"ready to move in", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"for the golden visa", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    {"residency", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    {"big living room", -1, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    /* ar */
    {"غرفتين", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"3 غرف", 3, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"شقة غرفة نوم", 1, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"شقة ٣ غرف نوم", 3, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"فيلا للبيع", -1, PTYPE_VILLA, TX_BUY, PURPOSE_NONE},
    {"تاون هاوس", -1, PTYPE_TOWNHOUSE, TX_NONE, PURPOSE_NONE},
    {"بنتهاوس", -1, PTYPE_PENTHOUSE, TX_NONE, PURPOSE_NONE},
    {"أرض", -1, PTYPE_PLOT, TX_NONE, PURPOSE_NONE},
    {"مكتب للإيجار", -1, PTYPE_OFFICE, TX_RENT, PURPOSE_NONE},
    {"محل", -1, PTYPE_SHOP, TX_NONE, PURPOSE_NONE},
    {"أريد شراء شقة للاستثمار", -1, PTYPE_APARTMENT, TX_BUY, PURPOSE_INVESTMENT},
    {"إيجار", -1, PTYPE_NONE, TX_RENT, PURPOSE_NONE},
    {"للسكن", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"من أجل الإقامة", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    {"الفيزا الذهبية", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    {"استوديو", 0, PTYPE_STUDIO, TX_NONE, PURPOSE_NONE},
    /* fa */
    {"دو خوابه", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"۲ خوابه", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"آپارتمان سه خوابه", 3, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"ویلا", -1, PTYPE_VILLA, TX_NONE, PURPOSE_NONE},
    {"پنت هاوس", -1, PTYPE_PENTHOUSE, TX_NONE, PURPOSE_NONE},
    {"زمین", -1, PTYPE_PLOT, TX_NONE, PURPOSE_NONE},
    {"دفتر", -1, PTYPE_OFFICE, TX_NONE, PURPOSE_NONE},
    {"مغازه", -1, PTYPE_SHOP, TX_NONE, PURPOSE_NONE},
    {"خرید آپارتمان", -1, PTYPE_APARTMENT, TX_BUY, PURPOSE_NONE},
    {"اجاره", -1, PTYPE_NONE, TX_RENT, PURPOSE_NONE},
    {"برای سرمایه‌گذاری", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"برای سرمایه گذاری", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"برای سکونت", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"اقامت", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    /* ru */
    {"двушка", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"2-комнатная квартира", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"2-х комнатную квартиру", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"двухкомнатную квартиру", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"квартира с 2 спальнями", 2, PTYPE_APARTMENT, TX_NONE, PURPOSE_NONE},
    {"2 спальни", 2, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
    {"студия", 0, PTYPE_STUDIO, TX_NONE, PURPOSE_NONE},
    {"вилла", -1, PTYPE_VILLA, TX_NONE, PURPOSE_NONE},
    {"таунхаус", -1, PTYPE_TOWNHOUSE, TX_NONE, PURPOSE_NONE},
    {"пентхаус", -1, PTYPE_PENTHOUSE, TX_NONE, PURPOSE_NONE},
    {"участок", -1, PTYPE_PLOT, TX_NONE, PURPOSE_NONE},
    {"офис", -1, PTYPE_OFFICE, TX_NONE, PURPOSE_NONE},
    {"магазин", -1, PTYPE_SHOP, TX_NONE, PURPOSE_NONE},
    {"хочу купить квартиру", -1, PTYPE_APARTMENT, TX_BUY, PURPOSE_NONE},
    {"аренда виллы", -1, PTYPE_VILLA, TX_RENT, PURPOSE_NONE},
    {"снять квартиру", -1, PTYPE_APARTMENT, TX_RENT, PURPOSE_NONE},
    {"для инвестиций", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"для жизни", -1, PTYPE_NONE, TX_NONE, PURPOSE_LIVING},
    {"ради ВНЖ", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    {"резидентство", -1, PTYPE_NONE, TX_NONE, PURPOSE_RESIDENCY},
    /* the yield of a rent is investment, not a rent (Persian and Arabic
     * said "rent" for the question "how much rental yield does it make?") */
    {"بازدهی اجاره‌اش چقدره؟", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"سود اجاره چقدره", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"درآمد اجاره‌ای چقدره", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"عائد الإيجار كم؟", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"كم العائد على الإيجار", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"دخل الإيجار", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"доходность аренды", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"доход от аренды", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"yield on rent", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"rent yield", -1, PTYPE_NONE, TX_NONE, PURPOSE_INVESTMENT},
    {"اجاره ماهانه", -1, PTYPE_NONE, TX_RENT, PURPOSE_NONE},
    /* nothing */
    {"hello", -1, PTYPE_NONE, TX_NONE, PURPOSE_NONE},
};

TEST(test_attrs)
{
    for (size_t i = 0; i < sizeof attr_cases / sizeof attr_cases[0]; i++) {
        const attr_case *c = &attr_cases[i];
        nlu_result r;
        analyze(NULL, c->text, &r);
        int beds = (r.found & NLU_BEDROOMS) ? r.bedrooms : -1;
        CHECK(beds == c->beds, "bedrooms \"%s\": %d, want %d", c->text, beds, c->beds);
        CHECK(r.type == c->type && ((r.found & NLU_PTYPE) != 0) == (c->type != PTYPE_NONE),
              "type \"%s\": %s, want %s", c->text, ptype_name(r.type) ? ptype_name(r.type) : "-",
              ptype_name(c->type) ? ptype_name(c->type) : "-");
        CHECK(r.tx == c->tx && ((r.found & NLU_TX) != 0) == (c->tx != TX_NONE),
              "tx \"%s\": %s, want %s", c->text, tx_name(r.tx) ? tx_name(r.tx) : "-",
              tx_name(c->tx) ? tx_name(c->tx) : "-");
        CHECK(r.purpose == c->purpose
                  && ((r.found & NLU_PURPOSE) != 0) == (c->purpose != PURPOSE_NONE),
              "purpose \"%s\": %s, want %s", c->text,
              purpose_name(r.purpose) ? purpose_name(r.purpose) : "-",
              purpose_name(c->purpose) ? purpose_name(c->purpose) : "-");
    }
}

/* ---- dates and times --------------------------------------------------- */

typedef struct when_case {
    const char *text;
    const char *tz;
    time_t now;
    const char *want;     /* NULL: nothing */
    bool has_time;
} when_case;

#define DXB "Asia/Dubai", NOW_DUBAI
#define BLR "Asia/Kolkata", NOW_KOLKATA
/* Saturday 2026-11-21 in Dubai at 10:00, 16:59 and 17:30 */
#define SAT_1000 "Asia/Dubai", ((time_t)1795240800)
#define SAT_1659 "Asia/Dubai", ((time_t)1795265940)
#define SAT_1730 "Asia/Dubai", ((time_t)1795267800)

static const when_case when_cases[] = {
    {"today", DXB, "2026-11-19T00:00", false},
    {"24/7 security", DXB, NULL, false},
    {"24/7/2027", DXB, "2027-07-24T00:00", false},
    {"call me after 10 minutes", DXB, "2026-11-19T13:10", true},
    {"in 2 hours", DXB, "2026-11-19T15:00", true},
    {"call me in an hour", DXB, "2026-11-19T14:00", true},
    {"call me after 5", DXB, "2026-11-19T17:00", true},
    {"после 6", DXB, "2026-11-19T18:00", true},
    {"через 15 минут", DXB, "2026-11-19T13:15", true},
    {"visit after 3 days", DXB, "2026-11-22T00:00", false},
    {"10 mins from the metro", DXB, NULL, false},
    {"tomorrow", DXB, "2026-11-20T00:00", false},
    {"day after tomorrow", DXB, "2026-11-21T00:00", false},
    {"tomorrow at 5pm", DXB, "2026-11-20T17:00", true},
    /* an hour in words, after "at" or before am/pm ("ساعت ده" was no time) */
    {"tomorrow at ten", DXB, "2026-11-20T10:00", true},
    {"ten am tomorrow", DXB, "2026-11-20T10:00", true},
    {"tomorrow at five", DXB, "2026-11-20T17:00", true},
    {"завтра в десять", DXB, "2026-11-20T10:00", true},
    {"завтра в семь вечера", DXB, "2026-11-20T19:00", true},
    {"فردا ساعت ده", DXB, "2026-11-20T10:00", true},
    {"فردا ساعت دو", DXB, "2026-11-20T14:00", true},
    {"بكرة الساعة عشرة", DXB, "2026-11-20T10:00", true},
    {"بكرة الساعة العاشرة", DXB, "2026-11-20T10:00", true},
    {"بكرة الساعة الحادية عشرة", DXB, "2026-11-20T11:00", true},
    {"two bedrooms tomorrow", DXB, "2026-11-20T00:00", false},
    {"квартира в три спальни завтра", DXB, "2026-11-20T00:00", false},
    {"at one point tomorrow", DXB, "2026-11-20T00:00", false},
    {"ten villas", DXB, NULL, false},
    {"tmrw 5 pm", DXB, "2026-11-20T17:00", true},
    {"on Saturday", DXB, "2026-11-21T00:00", false},
    /* the weekday of today: today until the working day is over, then next week's */
    {"I want to see it on Saturday", SAT_1000, "2026-11-21T00:00", false},
    {"I want to see it on Saturday", SAT_1659, "2026-11-21T00:00", false},
    {"I want to see it on Saturday", SAT_1730, "2026-11-28T00:00", false},
    {"this Saturday", SAT_1730, "2026-11-21T00:00", false},
    {"Saturday at 9pm", SAT_1730, "2026-11-21T21:00", true},
    {"Saturday evening", SAT_1730, "2026-11-21T18:00", true},
    {"next Saturday", SAT_1000, "2026-11-28T00:00", false},
    {"on Sunday", SAT_1730, "2026-11-22T00:00", false},
    {"السبت", SAT_1730, "2026-11-28T00:00", false},
    {"в субботу", SAT_1000, "2026-11-21T00:00", false},
    {"this saturday", DXB, "2026-11-21T00:00", false},
    {"next Monday", DXB, "2026-11-23T00:00", false},
    {"next thursday", DXB, "2026-11-26T00:00", false},
    {"thursday", DXB, "2026-11-19T00:00", false},
    {"at 17:00", DXB, "2026-11-19T17:00", true},
    {"10am", DXB, "2026-11-20T10:00", true},
    {"at 5", DXB, "2026-11-19T17:00", true},
    {"5:30 pm", DXB, "2026-11-19T17:30", true},
    {"10 a.m. tomorrow", DXB, "2026-11-20T10:00", true},
    {"noon tomorrow", DXB, "2026-11-20T12:00", true},
    {"tomorrow morning", DXB, "2026-11-20T10:00", true},
    {"tomorrow afternoon", DXB, "2026-11-20T15:00", true},
    {"tomorrow evening", DXB, "2026-11-20T18:00", true},
    {"evening", DXB, "2026-11-19T18:00", true},
    {"tonight", DXB, "2026-11-19T20:00", true},
    {"saturday at 11", DXB, "2026-11-21T11:00", true},
    {"next week", DXB, "2026-11-23T00:00", false},
    {"this weekend", DXB, "2026-11-21T00:00", false},
    {"2026-11-21", DXB, "2026-11-21T00:00", false},
    {"2026-11-21 at 3pm", DXB, "2026-11-21T15:00", true},
    {"21/11", DXB, "2026-11-21T00:00", false},
    {"21.11.2026", DXB, "2026-11-21T00:00", false},
    {"21 nov", DXB, "2026-11-21T00:00", false},
    {"Nov 25th", DXB, "2026-11-25T00:00", false},
    {"25th of november at 4pm", DXB, "2026-11-25T16:00", true},
    {"5 jan", DXB, "2027-01-05T00:00", false},
    {"in 3 days", DXB, "2026-11-22T00:00", false},
    {"on the 25th", DXB, "2026-11-25T00:00", false},
    {"the 5th at 4pm", DXB, "2026-12-05T16:00", true},
    {"2nd floor", DXB, NULL, false},
    {"no thanks", DXB, NULL, false},
    {"in 2 hours", DXB, "2026-11-19T15:00", true},
    /* ar */
    {"غدا", DXB, "2026-11-20T00:00", false},
    {"بكرة", DXB, "2026-11-20T00:00", false},
    {"السبت", DXB, "2026-11-21T00:00", false},
    {"غدا الساعة 5 مساء", DXB, "2026-11-20T17:00", true},
    {"بكرة الساعة ٥ مساءً", DXB, "2026-11-20T17:00", true},
    {"يوم الاثنين القادم", DXB, "2026-11-23T00:00", false},
    {"بعد غد", DXB, "2026-11-21T00:00", false},
    {"الأسبوع القادم", DXB, "2026-11-23T00:00", false},
    {"السبت الساعة 10 صباحا", DXB, "2026-11-21T10:00", true},
    /* fa */
    {"فردا", DXB, "2026-11-20T00:00", false},
    {"شنبه", DXB, "2026-11-21T00:00", false},
    {"فردا ساعت ۵ عصر", DXB, "2026-11-20T17:00", true},
    {"پس\xE2\x80\x8C" "فردا", DXB, "2026-11-21T00:00", false},
    {"سه\xE2\x80\x8C" "شنبه", DXB, "2026-11-24T00:00", false},
    {"یکشنبه صبح", DXB, "2026-11-22T10:00", true},
    {"هفته بعد", DXB, "2026-11-23T00:00", false},
    /* ru */
    {"завтра", DXB, "2026-11-20T00:00", false},
    {"в субботу", DXB, "2026-11-21T00:00", false},
    {"завтра в 5 вечера", DXB, "2026-11-20T17:00", true},
    {"утром", DXB, "2026-11-20T10:00", true},
    {"в следующий понедельник", DXB, "2026-11-23T00:00", false},
    {"послезавтра в 10 утра", DXB, "2026-11-21T10:00", true},
    {"в пятницу в 15:00", DXB, "2026-11-20T15:00", true},
    {"21 ноября", DXB, "2026-11-21T00:00", false},
    {"через 2 дня", DXB, "2026-11-21T00:00", false},
    /* Kolkata: local time is already Friday 01:30 */
    {"today", BLR, "2026-11-20T00:00", false},
    {"tomorrow at 10am", BLR, "2026-11-21T10:00", true},
    {"at 5pm", BLR, "2026-11-20T17:00", true},
    {"on saturday", BLR, "2026-11-21T00:00", false},
    {"friday", BLR, "2026-11-20T00:00", false},
    /* no time at all */
    {"good morning", DXB, NULL, false},
    {"Morning!", DXB, NULL, false},
    {"صباح الخير", DXB, NULL, false},
    {"доброе утро", DXB, NULL, false},
    {"2 bhk", DXB, NULL, false},
    {"i need 3 bedrooms", DXB, NULL, false},
    {"may i know the price", DXB, NULL, false},
    {"at 2 million", DXB, NULL, false},
    {"в 2 спальни", DXB, NULL, false},
    {"1/2 bhk", DXB, NULL, false},
    {"2 crore budget", DXB, NULL, false},
    {"budget around 1.2M", DXB, NULL, false},
    {"around 2-3M", DXB, NULL, false},
    {"at 5.", DXB, "2026-11-19T17:00", true},
};

TEST(test_when)
{
    for (size_t i = 0; i < sizeof when_cases / sizeof when_cases[0]; i++) {
        const when_case *c = &when_cases[i];
        nlu_context ctx = {.timezone = c->tz, .now = c->now, .region = "AE"};
        nlu_result r;
        analyze(&ctx, c->text, &r);
        if (c->want == NULL) {
            CHECK(!(r.found & NLU_WHEN), "when \"%s\": unexpected %s", c->text, r.when);
            continue;
        }
        CHECK((r.found & NLU_WHEN) && strcmp(r.when, c->want) == 0 && r.when_has_time == c->has_time,
              "when \"%s\" (%s): got \"%s\"%s, want \"%s\"%s", c->text, c->tz, r.when,
              r.when_has_time ? " +time" : "", c->want, c->has_time ? " +time" : "");
    }
    CHECK_INT(nlu_tz_offset("Asia/Dubai", NOW_DUBAI), 14400);
    CHECK_INT(nlu_tz_offset("Asia/Kolkata", NOW_DUBAI), 19800);
    CHECK_INT(nlu_tz_offset(NULL, NOW_DUBAI), 0);
    CHECK_INT(nlu_tz_offset("../../etc/passwd", NOW_DUBAI), 0);
    char out[20];
    bool ht;
    CHECK(nlu_parse_when("tomorrow", 8, NOW_DUBAI, NULL, out, &ht), "utc tomorrow");
    CHECK_STR(out, "2026-11-20T00:00");
}

/* Whether a day was said, or reckoned from a time alone: "at 12" while
 * viewing slots are offered is one of theirs, "Sunday at 11" a new day. */
TEST(test_when_has_day)
{
    static const struct { const char *text; bool has_day; } cases[] = {
        {"at 12", false}, {"11am", false}, {"the 10 o'clock one", false}, {"الساعة ١١", false},
        {"ساعت ۱۱", false}, {"в 11", false}, {"in 2 hours", false},
        {"Sunday at 11", true}, {"tomorrow 10am", true}, {"on Saturday", true},
        {"21/11 at 5pm", true}, {"в субботу в 11", true}, {"فردا ساعت ۱۱", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlu_context ctx = {.timezone = "Asia/Dubai", .now = NOW_DUBAI, .region = "AE"};
        nlu_result r;
        analyze(&ctx, cases[i].text, &r);
        CHECK((r.found & NLU_WHEN) && r.when_has_day == cases[i].has_day, "\"%s\": %s, day %d", cases[i].text,
              r.when, r.when_has_day);
    }
}

/* ---- sentiment --------------------------------------------------------- */

typedef struct sent_case {
    const char *text;
    nlu_sentiment_label label;
    int fmin, fmax;       /* frustration range */
} sent_case;

static const sent_case sent_cases[] = {
    {"This is useless", SENT_FRUSTRATED, 5, 10},
    {"what a scam", SENT_FRUSTRATED, 5, 10},
    {"such a waste of time", SENT_FRUSTRATED, 5, 10},
    {"you are stupid", SENT_FRUSTRATED, 5, 10},
    {"Why do I have to tell you again?!", SENT_FRUSTRATED, 5, 10},
    {"HOW MANY TIMES DO I HAVE TO SAY IT", SENT_FRUSTRATED, 5, 10},
    {"\xF0\x9F\x98\xA1\xF0\x9F\x98\xA1", SENT_FRUSTRATED, 5, 10},
    {"great, thanks", SENT_POSITIVE, 0, 0},
    {"thank you", SENT_POSITIVE, 0, 0},
    {"This is AMAZING!!", SENT_EXCITED, 0, 1},
    {"wow I love it \xF0\x9F\x98\x8D", SENT_EXCITED, 0, 0},
    {"perfect!! \xF0\x9F\x94\xA5", SENT_EXCITED, 0, 0},
    {"not good", SENT_NEGATIVE, 0, 4},
    {"not bad", SENT_POSITIVE, 0, 0},
    {"too expensive", SENT_NEGATIVE, 0, 4},
    {"I don't like it", SENT_NEGATIVE, 0, 4},
    {"very disappointed", SENT_NEGATIVE, 1, 4},
    {"\xF0\x9F\x91\x8D", SENT_POSITIVE, 0, 0},
    {"\xF0\x9F\x91\x8E", SENT_NEGATIVE, 0, 4},
    {"I want a 2BHK in Whitefield", SENT_NEUTRAL, 0, 0},
    {"what is the price of this villa?", SENT_NEUTRAL, 0, 0},
    {"ok", SENT_NEUTRAL, 0, 0},
    {"no thanks", SENT_NEUTRAL, 0, 0},
    {"hi there, good morning", SENT_NEUTRAL, 0, 0},
    {"good morning, the villa looks great", SENT_POSITIVE, 0, 0},
    {"hello???", SENT_NEGATIVE, 1, 4},
    /* ar */
    {"ممتاز شكرا", SENT_POSITIVE, 0, 0},
    {"هذا نصب", SENT_FRUSTRATED, 5, 10},
    {"مش كويس", SENT_NEGATIVE, 0, 4},
    {"غالي جدا", SENT_NEGATIVE, 0, 4},
    {"مضيعة للوقت", SENT_FRUSTRATED, 5, 10},
    /* fa */
    {"عالیه ممنون", SENT_POSITIVE, 0, 0},
    {"خوب نیست", SENT_NEGATIVE, 0, 4},
    {"کلاهبرداری", SENT_FRUSTRATED, 5, 10},
    {"خیلی گرونه", SENT_NEGATIVE, 0, 4},
    /* ru */
    {"отлично, спасибо", SENT_POSITIVE, 0, 0},
    {"не нравится", SENT_NEGATIVE, 0, 4},
    {"это бесполезно", SENT_FRUSTRATED, 5, 10},
    {"очень дорого", SENT_NEGATIVE, 0, 4},
    {"опять?!", SENT_FRUSTRATED, 5, 10},
    {"СУПЕР!!!", SENT_EXCITED, 0, 0},
};

TEST(test_sentiment)
{
    for (size_t i = 0; i < sizeof sent_cases / sizeof sent_cases[0]; i++) {
        const sent_case *c = &sent_cases[i];
        nlu_result r;
        analyze(NULL, c->text, &r);
        CHECK(r.sentiment == c->label, "sentiment \"%s\": label %d, want %d (score %.2f, f %d)",
              c->text, r.sentiment, c->label, r.sentiment_score, r.frustration);
        CHECK(r.frustration >= c->fmin && r.frustration <= c->fmax,
              "sentiment \"%s\": frustration %d, want %d..%d", c->text, r.frustration, c->fmin,
              c->fmax);
        CHECK(r.sentiment_score >= -1 && r.sentiment_score <= 1, "score %f", r.sentiment_score);
        if (c->label == SENT_POSITIVE || c->label == SENT_EXCITED)
            CHECK(r.sentiment_score > 0, "sentiment \"%s\": score %.2f", c->text,
                  r.sentiment_score);
        if (c->label == SENT_NEGATIVE || c->label == SENT_FRUSTRATED)
            CHECK(r.sentiment_score < 0, "sentiment \"%s\": score %.2f", c->text,
                  r.sentiment_score);
        if (c->label == SENT_NEUTRAL)
            CHECK(r.sentiment_score == 0, "sentiment \"%s\": score %.2f", c->text,
                  r.sentiment_score);
    }
    /* NULL / empty inputs */
    nlu_result r;
    memset(&r, 0, sizeof r);
    nlu_sentiment(NULL, 0, NULL, 0, &r);
    CHECK_INT(r.sentiment, SENT_NEUTRAL);
}

/* ---- lexicons are written in normalised form ---------------------------- */

static void check_phrase(const char *phrase, void *ud)
{
    int *count = ud;
    char text[256];
    size_t n = 0;
    /* drop the '*' of stems before normalising */
    for (const char *p = phrase; *p && n + 1 < sizeof text; p++)
        if (*p != '*')
            text[n++] = *p;
    text[n] = '\0';
    const char *got = norm_of(text);
    (*count)++;
    CHECK(strcmp(got, text) == 0, "lexicon phrase \"%s\" normalises to \"%s\"", text, got);
}

TEST(test_lexicons_normalised)
{
    int count = 0;
    lex_each_phrase(check_phrase, &count);
    CHECK(count > 500, "only %d phrases checked", count);
}

/* A rent's period said with the amount: the pack's cue_period_month and
 * cue_period_year phrases (packs/default/replies/ *.json) right after the
 * amount, or just before it, as the engine gives them to the gazetteer.
 * The amounts stay as said (whole units); budget_period says which period. */
typedef struct period_case {
    const char *text;
    const char *currency;
    long long min, max;      /* -1: not set */
    rent_period period;
} period_case;

TEST(test_budget_period)
{
    nlu_gazetteer *g = NULL;
    pack *pk = NULL;
    pt_error err = {0};
    CHECK_INT(nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases, &g, &err), 0);
    CHECK(pack_load("packs", NULL, &pk, &err) == 0, "pack: %s", err.msg);
    if (g == NULL || pk == NULL)
        goto done;
    CHECK_INT(engine_gazetteer_cues(g, pk, &err), 0);
    static const period_case cases[] = {
        {"rent 40k a month", "INR", -1, 40000, PERIOD_MONTH},
        {"I want to rent a 1 bedroom in JVC for 6000 a month", "AED", -1, 6000, PERIOD_MONTH},
        {"40,000 per month", "INR", -1, 40000, PERIOD_MONTH},
        {"under 40000 pm", "INR", -1, 40000, PERIOD_MONTH},
        {"40,000 pm", "INR", -1, 40000, PERIOD_MONTH},
        {"40k p.m.", "INR", -1, 40000, PERIOD_MONTH},
        {"40k/month", "INR", -1, 40000, PERIOD_MONTH},
        {"budget 40k /mo", "INR", -1, 40000, PERIOD_MONTH},
        {"30-40k monthly", "INR", 30000, 40000, PERIOD_MONTH},
        {"monthly budget 40k", "INR", -1, 40000, PERIOD_MONTH},
        {"my budget is 80k AED a year", "AED", -1, 80000, PERIOD_YEAR},
        {"around 100k per annum", "AED", 90000, 110000, PERIOD_YEAR},
        {"under 90,000 yearly", "AED", -1, 90000, PERIOD_YEAR},
        {"до 50 тысяч в месяц", "AED", -1, 50000, PERIOD_MONTH},
        {"бюджет 300 тысяч в год", "AED", -1, 300000, PERIOD_YEAR},
        {"6000 درهم شهريا", "AED", -1, 6000, PERIOD_MONTH},
        {"ميزانيتي 6000 درهم في الشهر", "AED", -1, 6000, PERIOD_MONTH},
        {"ايجار ٦ الاف بالشهر", "AED", -1, 6000, PERIOD_MONTH},
        {"80 الف درهم سنويا", "AED", -1, 80000, PERIOD_YEAR},
        {"۶ هزار درهم در ماه", "AED", -1, 6000, PERIOD_MONTH},
        {"ماهانه ۶ هزار درهم", "AED", -1, 6000, PERIOD_MONTH},
        {"سالانه ۸۰ هزار درهم", "AED", -1, 80000, PERIOD_YEAR},
        /* no period */
        {"budget 40k", "INR", -1, 40000, PERIOD_NONE},
        {"budget 80 lakhs, moving in a month", "INR", -1, 8000000, PERIOD_NONE},
        /* before the amount a phrase counts when its first word alone is
         * one ("monthly budget 40k"): "in a month" is a time */
        {"moving in a month with 2M budget", "AED", -1, 2000000, PERIOD_NONE},
        {"within a year 3 million", "AED", -1, 3000000, PERIOD_NONE},
        {"через месяц 2 миллиона", "AED", -1, 2000000, PERIOD_NONE},
        {"2 bhk under 1 cr, 3 months from now", "INR", -1, 10000000, PERIOD_NONE},
        {"visit at 5 pm", "INR", -1, -1, PERIOD_NONE},
        {"a year ago I paid 6000", "AED", -1, -1, PERIOD_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const period_case *c = &cases[i];
        nlu_context ctx = {.gazetteer = g, .currency = c->currency};
        nlu_result r;
        analyze(&ctx, c->text, &r);
        long long mn = r.has_budget_min ? (long long)r.budget_min : -1;
        long long mx = r.has_budget_max ? (long long)r.budget_max : -1;
        CHECK(mn == c->min && mx == c->max && r.budget_period == c->period,
              "\"%s\": %lld..%lld period %d, want %lld..%lld period %d", c->text, mn, mx,
              (int)r.budget_period, c->min, c->max, (int)c->period);
    }
    /* the §4 JSON names the period only when it was said */
    nlu_context ctx = {.gazetteer = g, .currency = "INR"};
    nlu_result r;
    analyze(&ctx, "rent 40k a month", &r);
    char *js = nlu_result_to_json(&r);
    CHECK(js && strstr(js, "\"budget\": {\"min\": null, \"max\": 40000, \"currency\": \"INR\", \"period\": \"month\"}"),
          "json %s", js ? js : "(null)");
    free(js);
    analyze(&ctx, "budget 40k", &r);
    js = nlu_result_to_json(&r);
    CHECK(js && strstr(js, "\"period\"") == NULL, "json %s", js ? js : "(null)");
    free(js);
    /* without the pack's cues (no gazetteer) nothing is read as a period */
    nlu_context bare = {.currency = "INR"};
    analyze(&bare, "rent 40k a month", &r);
    CHECK(r.has_budget_max && r.budget_max == 40000 && r.budget_period == PERIOD_NONE,
          "no cues: %lld period %d", (long long)r.budget_max, (int)r.budget_period);
done:
    pack_free(pk);
    nlu_gazetteer_free(g);
}

/* ---- a whole message ------------------------------------------------------ */

TEST(test_combined)
{
    nlu_gazetteer *g = NULL;
    pt_error err = {0};
    CHECK_INT(nlu_gazetteer_build(canon, (int)(sizeof canon / sizeof canon[0]), aliases, &g, &err), 0);
    nlu_context ctx = {.gazetteer = g, .currency = "INR", .region = "IN",
                       .timezone = "Asia/Kolkata", .now = NOW_KOLKATA};
    nlu_result r;
    analyze(&ctx, "Looking to buy a 2BHK in whitfield under 2 Cr for investment, call me on "
                  "98450 12345 tomorrow at 11am", &r);
    CHECK(r.found & NLU_BUDGET, "budget");
    CHECK(!r.has_budget_min && r.has_budget_max && r.budget_max == 20000000, "max %lld",
          (long long)r.budget_max);
    CHECK_STR(r.currency, "INR");
    CHECK_INT(r.bedrooms, 2);
    CHECK_INT(r.tx, TX_BUY);
    CHECK_INT(r.purpose, PURPOSE_INVESTMENT);
    CHECK_INT(r.n_locations, 1);
    if (r.n_locations == 1)
        CHECK_STR(r.locations[0], "Whitefield");
    CHECK_STR(r.phone, "+919845012345");
    CHECK_STR(r.when, "2026-11-21T11:00");
    CHECK(r.when_has_time, "has time");

    nlu_context dxb = {.gazetteer = g, .currency = "AED", .region = "AE",
                       .timezone = "Asia/Dubai", .now = NOW_DUBAI};
    analyze(&dxb, "أريد شقة غرفتين في دبي مارينا بحدود ٢ مليون درهم، رقمي ٠٥٠٤١٢٧٧٨٩", &r);
    CHECK_INT(r.bedrooms, 2);
    CHECK_INT(r.type, PTYPE_APARTMENT);
    CHECK(r.n_locations == 1 && strcmp(r.locations[0], "Dubai Marina") == 0, "ar location");
    /* "بحدود" is "around", as "حدود" and "في حدود" */
    CHECK(r.has_budget_min && r.budget_min == 1800000 && r.has_budget_max &&
          r.budget_max == 2200000, "ar budget %lld-%lld", (long long)r.budget_min,
          (long long)r.budget_max);
    CHECK_STR(r.phone, "+971504127789");

    analyze(&dxb, "Хочу купить двушку в Дубай Марине до 2 млн, завтра в 5 вечера", &r);
    CHECK_INT(r.bedrooms, 2);
    CHECK_INT(r.tx, TX_BUY);
    CHECK(r.has_budget_max && r.budget_max == 2000000 && !r.has_budget_min, "ru budget");
    CHECK(r.n_locations == 1 && strcmp(r.locations[0], "Dubai Marina") == 0, "ru location");
    CHECK_STR(r.when, "2026-11-20T17:00");

    analyze(&dxb, "می‌خوام یک آپارتمان دو خوابه در دبی مارینا بخرم، بودجه ۳ میلیون درهم", &r);
    CHECK_INT(r.bedrooms, 2);
    CHECK_INT(r.type, PTYPE_APARTMENT);
    CHECK_INT(r.tx, TX_BUY);
    CHECK(r.has_budget_max && r.budget_max == 3000000, "fa budget %lld", (long long)r.budget_max);
    CHECK(r.n_locations == 1 && strcmp(r.locations[0], "Dubai Marina") == 0, "fa location");
    nlu_gazetteer_free(g);
}

/* ---- robustness ------------------------------------------------------------ */

TEST(test_robust)
{
    /* arbitrary bytes, huge inputs and many tokens never crash */
    static char big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)("12 ,.-+()aé\xD9\x85 M\xFF"[i % 18]);
    char *n = NULL;
    size_t nl = 0;
    CHECK_INT(nlu_normalize(&A, big, sizeof big, &n, &nl), 0);
    nlu_result r;
    nlu_context ctx = {.currency = "AED", .region = "AE", .timezone = "Asia/Dubai",
                       .now = NOW_DUBAI};
    CHECK_INT(nlu_extract_entities(&ctx, n, nl, &A, &r), 0);
    nlu_sentiment(big, sizeof big, n, nl, &r);
    nlu_budget b;
    nlu_parse_budget(big, sizeof big, "AED", &b);
    char w[20];
    bool ht;
    nlu_parse_when(big, sizeof big, NOW_DUBAI, "Asia/Dubai", w, &ht);
    /* the tokenizer stops at its cap */
    static nlu_toks tk;
    nlu_tokenize(&tk, big, sizeof big);
    CHECK(tk.n <= NLU_MAX_TOKS, "tokens %d", tk.n);
    /* overflowing numbers */
    analyze(&ctx, "budget 99999999999999999999999 million", &r);
    analyze(&ctx, "9999999999999 crore", &r);
    CHECK(!(r.found & NLU_BUDGET) || r.budget_max > 0, "overflow");
}

TEST_MAIN({
    arena_init(&A, 0);
    RUN(test_normalize);
    RUN(test_budget);
    RUN(test_phone_parse);
    RUN(test_phone_in_message);
    RUN(test_email);
    RUN(test_locality);
    RUN(test_locality_sides);
    RUN(test_locality_large);
    RUN(test_attrs);
    RUN(test_when); RUN(test_when_has_day);
    RUN(test_sentiment);
    RUN(test_lexicons_normalised);
    RUN(test_budget_period);
    RUN(test_combined);
    RUN(test_robust);
    arena_release(&A);
})
