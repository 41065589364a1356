/*
 * budget.c - the buyer's budget in a normalised message: amounts in whole
 * currency units (money, int64), the currency and which side of a range was
 * said (CONTRACT.md §4 "budget").
 *
 * An amount is a number ("2", "1.5", "1,5", "2,000,000", "1,20,00,000",
 * "2 000 000") or a number in words ("two", "a", "half", "полтора", "دو";
 * parts make one number, largest first: "twenty five", "one hundred and
 * fifty", "сто пятьдесят", "بیست و پنج", "مئه وخمسون", the Arabic units
 * before their tens "خمسه وعشرين"; two parts of the same rank are two
 * numbers: "between two and three million" is a range; "point" says its
 * tenths: "two point five", "دو ممیز پنج"), optionally followed by a
 * multiplier (K, lakh/lac/L, crore/cr, M/mn/million, bn and their Arabic,
 * Persian and Russian words) and with a currency before or after (AED, ₹,
 * rupees, $, درهم, دلار, рупий...).  Tens or hundreds in words after
 * "thousand" are the rest of the amount ("two thousand five hundred", "две
 * тысячи пятьсот", "دو هزار و پانصد", "ألفين وخمسمائة": 2500), as a smaller
 * amount with its own multiplier is after a larger one ("one million two
 * hundred thousand", "2 million 500 thousand").  A few words carry both
 * ("مليونين" = 2 million, "الفين" = 2000, "полмиллиона", the construct
 * "مليوني درهم").  The Arabic "and" and "for" written onto an amount word
 * are read ("ومليونين", "بمليون"); a word that only starts with و or ب
 * is not an amount ("بيت", "برج").
 *
 * Only money-like amounts count: a multiplier or a currency must be said,
 * or the number is written with digit grouping ("2,000,000", "1,20,00,000",
 * "2 000 000"), or a budget keyword ("under", "budget", "between", "до",
 * "حدود"...) comes right before a number of at least 1000 that is not a
 * year.  Amounts of 0 or above 10^15 are ignored.  A number
 * followed by a non-money word (bhk, bedrooms, sqft, years, pm, غرف, خوابه,
 * комнат...) or attached to any other word ("2bhk", "21st") is never money;
 * phone and e-mail tokens are skipped.
 *
 * Ranges: "under/below/max/up to/less than/within/budget (of) X" and a bare
 * amount give max only; "above/over/at least/min/more than/from X" and
 * "X+"/"X or more" give min only; "between X and Y", "from X to Y", "X-Y",
 * "X to Y" give both, the multiplier and currency of one side carrying over
 * to the other ("1-2 Cr"); the Arabic "and" may be written onto the second
 * amount ("بين مليون ومليونين", "بين اثنين وثلاثه ملايين").
 * "around/about/approx/~ X" gives min = X * 0.9 and max = X * 1.1 (rounded
 * to whole units).  A later amount can fill the side still empty ("at least
 * 1M but under 2M").
 *
 * Currency: the first one said; else ctx_currency; else INR when lakh or
 * crore was used; else "".
 *
 * Period (amount_period): with the gazetteer's period cues (the pack's
 * cue_period_month / cue_period_year: "a month", "pm", "/mo", "в месяц",
 * "شهريا", "در ماه", "a year", "per annum"...), a phrase right after an
 * amount, or ending at most two words before it with no punctuation
 * between and a first word that is a phrase alone ("monthly budget 40k";
 * not "in a month with 2M"), gives the budget's period.  A number of
 * at least 1000 with a period after it is money ("for 6000 a month"), and
 * "pm" after one is "per month", not a time ("40,000 pm").  The amounts
 * stay as said: which period listings are priced in is the dialog's
 * business.
 *
 * Not for: prices of listings (import), formatting money (core/money.c).
 */
#include "nlu/entities_int.h"

#include <pthread.h>
#include <string.h>

/* ---- lexicon ------------------------------------------------------------ */

enum {
    B_UNIT = 0,     /* val: multiplier code | UF_* flags */
    B_WORDAMT,      /* val: index in word_amounts[] */
    B_NUMWORD,      /* val: the number in tenths */
    B_HALF,         /* "and a half" after a unit: +0.5 */
    B_CUR,          /* val: index in currencies[] */
    B_QMAX, B_QMIN, B_QAROUND, B_QBETWEEN, B_QFROM, B_QBUDGET,   /* before */
    B_SEP, B_SEPAND,                                             /* between */
    B_SUFMAX, B_SUFMIN,                                          /* after */
    B_NOTMONEY,     /* a non-money word after a number */
    B_DISTANCE,     /* "from"/"away"/"walk" after "500 m": meters */
    B_NUMJOIN,      /* between the parts of a number in words; val: J_* */
    B_POINT,        /* "point" between a number in words and its tenths */
};

/* B_NUMWORD val: the number in tenths, and NW_UNITS_FIRST on the Arabic
 * tens, which follow their units with "و" ("خمسه وعشرين" = 25) */
#define NW_UNITS_FIRST 0x4000   /* lex_item.val is 16 bits; tenths stay below 10000 */
#define NW_TENTHS(v) ((v) & 0x3FFF)
/* B_WORDAMT val: the index, and WF_ARTICLE on a word with the article:
 * never read after the clitic "ب" ("واحد بالمليون" is "one in a million") */
#define WF_ARTICLE 0x100
/* B_NUMJOIN val: which parts a joiner may join */
enum {
    J_ANY = 0,      /* "و": any smaller part ("بیست و پنج", "مئه وخمسون") */
    J_HUNDREDS,     /* "and": only after hundreds ("one hundred and fifty") */
    J_HYPHEN,       /* "-" written onto both: tens and units ("twenty-five") */
};

enum { M_NONE = 0, M_K, M_LAKH, M_CRORE, M_MILLION, M_BILLION };
#define UF_STANDALONE 0x100   /* "million" alone is 1 million */
#define UF_ATTACHED 0x200     /* only directly after digits ("2b") */

static const int64_t mult_value[] = {1, 1000, 100000, 10000000, 1000000, 1000000000};

static const char *const currencies[] = {"AED", "INR", "USD", "EUR", "GBP", "SAR", "RUB"};
enum { C_AED, C_INR, C_USD, C_EUR, C_GBP, C_SAR, C_RUB };

static const int64_t word_amounts[] = {2000000, 2000, 500000, 2000000000, 1500000, 1000000,
                                        5000000};

static const lex_item budget_items[] = {
    /* multipliers */
    {"k", B_UNIT, M_K}, {"thousand", B_UNIT, M_K}, {"thousands", B_UNIT, M_K},
    {"grand", B_UNIT, M_K}, {"lakh", B_UNIT, M_LAKH}, {"lakhs", B_UNIT, M_LAKH},
    {"lac", B_UNIT, M_LAKH}, {"lacs", B_UNIT, M_LAKH}, {"lacks", B_UNIT, M_LAKH},
    {"lk", B_UNIT, M_LAKH}, {"lkh", B_UNIT, M_LAKH}, {"lks", B_UNIT, M_LAKH},
    {"l", B_UNIT, M_LAKH}, {"crore", B_UNIT, M_CRORE},
    {"crores", B_UNIT, M_CRORE}, {"cr", B_UNIT, M_CRORE}, {"crs", B_UNIT, M_CRORE},
    {"cror", B_UNIT, M_CRORE}, {"m", B_UNIT, M_MILLION}, {"mn", B_UNIT, M_MILLION},
    {"mil", B_UNIT, M_MILLION}, {"mill", B_UNIT, M_MILLION}, {"mln", B_UNIT, M_MILLION},
    {"million", B_UNIT, M_MILLION}, {"millions", B_UNIT, M_MILLION},
    {"b", B_UNIT, M_BILLION | UF_ATTACHED}, {"bn", B_UNIT, M_BILLION},
    {"billion", B_UNIT, M_BILLION}, {"billions", B_UNIT, M_BILLION},
    /* ar */
    {"الف", B_UNIT, M_K}, {"الاف", B_UNIT, M_K}, {"مليون", B_UNIT, M_MILLION | UF_STANDALONE},
    {"ملايين", B_UNIT, M_MILLION}, {"مليار", B_UNIT, M_BILLION | UF_STANDALONE},
    {"مليارات", B_UNIT, M_BILLION}, {"لك", B_UNIT, M_LAKH}, {"كرور", B_UNIT, M_CRORE},
    /* fa */
    {"هزار", B_UNIT, M_K}, {"ميليون", B_UNIT, M_MILLION | UF_STANDALONE},
    {"ميليونه", B_UNIT, M_MILLION}, {"هزاره", B_UNIT, M_K}, {"لاك", B_UNIT, M_LAKH},
    {"ميليارد", B_UNIT, M_BILLION | UF_STANDALONE}, {"مليارد", B_UNIT, M_BILLION | UF_STANDALONE},
    /* ru */
    {"к", B_UNIT, M_K | UF_ATTACHED}, {"тыс", B_UNIT, M_K}, {"тысяч*", B_UNIT, M_K},
    {"млн", B_UNIT, M_MILLION}, {"миллион*", B_UNIT, M_MILLION | UF_STANDALONE},
    {"лям", B_UNIT, M_MILLION | UF_STANDALONE}, {"ляма", B_UNIT, M_MILLION},
    {"лямов", B_UNIT, M_MILLION}, {"млрд", B_UNIT, M_BILLION},
    {"миллиард", B_UNIT, M_BILLION | UF_STANDALONE}, {"миллиарда", B_UNIT, M_BILLION},
    {"миллиардов", B_UNIT, M_BILLION}, {"лакх*", B_UNIT, M_LAKH}, {"крор*", B_UNIT, M_CRORE},
    /* words that are whole amounts */
    {"مليونين", B_WORDAMT, 0}, {"الفين", B_WORDAMT, 1}, {"полмиллиона", B_WORDAMT, 2},
    {"مليارين", B_WORDAMT, 3}, {"полтора миллиона", B_WORDAMT, 4},
    {"half a million", B_WORDAMT, 2}, {"half million", B_WORDAMT, 2},
    {"مليونان", B_WORDAMT, 0}, {"المليونين", B_WORDAMT, 0 | WF_ARTICLE},
    {"المليون", B_WORDAMT, 5 | WF_ARTICLE},
    {"الفان", B_WORDAMT, 1}, {"نص مليون", B_WORDAMT, 2}, {"نصف مليون", B_WORDAMT, 2},
    {"half a crore", B_WORDAMT, 6}, {"half crore", B_WORDAMT, 6},
    /* the construct dual before a noun: "بمليوني درهم", "الفي دولار" */
    {"مليوني", B_WORDAMT, 0}, {"الفي", B_WORDAMT, 1}, {"ملياري", B_WORDAMT, 3},
    /* number words (tenths), valid only right before a multiplier */
    {"a", B_NUMWORD, 10}, {"one", B_NUMWORD, 10}, {"two", B_NUMWORD, 20},
    {"three", B_NUMWORD, 30}, {"four", B_NUMWORD, 40}, {"five", B_NUMWORD, 50},
    {"six", B_NUMWORD, 60}, {"seven", B_NUMWORD, 70}, {"eight", B_NUMWORD, 80},
    {"nine", B_NUMWORD, 90}, {"ten", B_NUMWORD, 100}, {"twenty", B_NUMWORD, 200},
    {"fifty", B_NUMWORD, 500}, {"hundred", B_NUMWORD, 1000}, {"half", B_NUMWORD, 5},
    {"one and a half", B_NUMWORD, 15},
    {"thirty", B_NUMWORD, 300}, {"forty", B_NUMWORD, 400}, {"sixty", B_NUMWORD, 600},
    {"seventy", B_NUMWORD, 700}, {"eighty", B_NUMWORD, 800}, {"ninety", B_NUMWORD, 900},
    {"five hundred", B_NUMWORD, 5000},
    {"eleven", B_NUMWORD, 110}, {"twelve", B_NUMWORD, 120}, {"thirteen", B_NUMWORD, 130},
    {"fourteen", B_NUMWORD, 140}, {"fifteen", B_NUMWORD, 150}, {"sixteen", B_NUMWORD, 160},
    {"seventeen", B_NUMWORD, 170}, {"eighteen", B_NUMWORD, 180},
    {"nineteen", B_NUMWORD, 190},
    {"واحد", B_NUMWORD, 10}, {"اثنين", B_NUMWORD, 20}, {"اثنان", B_NUMWORD, 20},
    {"ست", B_NUMWORD, 60}, {"سبع", B_NUMWORD, 70}, {"ثمان", B_NUMWORD, 80},
    {"تسع", B_NUMWORD, 90}, {"عشر", B_NUMWORD, 100},
    {"عشرين", B_NUMWORD, 200 | NW_UNITS_FIRST}, {"عشرون", B_NUMWORD, 200 | NW_UNITS_FIRST},
    {"ثلاثين", B_NUMWORD, 300 | NW_UNITS_FIRST}, {"ثلاثون", B_NUMWORD, 300 | NW_UNITS_FIRST},
    {"اربعين", B_NUMWORD, 400 | NW_UNITS_FIRST}, {"اربعون", B_NUMWORD, 400 | NW_UNITS_FIRST},
    {"خمسين", B_NUMWORD, 500 | NW_UNITS_FIRST}, {"خمسون", B_NUMWORD, 500 | NW_UNITS_FIRST},
    {"ستين", B_NUMWORD, 600 | NW_UNITS_FIRST}, {"ستون", B_NUMWORD, 600 | NW_UNITS_FIRST},
    {"سبعين", B_NUMWORD, 700 | NW_UNITS_FIRST}, {"سبعون", B_NUMWORD, 700 | NW_UNITS_FIRST},
    {"ثمانين", B_NUMWORD, 800 | NW_UNITS_FIRST}, {"ثمانون", B_NUMWORD, 800 | NW_UNITS_FIRST},
    {"تسعين", B_NUMWORD, 900 | NW_UNITS_FIRST}, {"تسعون", B_NUMWORD, 900 | NW_UNITS_FIRST},
    {"احد عشر", B_NUMWORD, 110}, {"اثنا عشر", B_NUMWORD, 120}, {"اثني عشر", B_NUMWORD, 120},
    {"ثلاثه عشر", B_NUMWORD, 130}, {"ثلاث عشره", B_NUMWORD, 130},
    {"اربعه عشر", B_NUMWORD, 140}, {"اربع عشره", B_NUMWORD, 140},
    {"خمسه عشر", B_NUMWORD, 150}, {"خمس عشره", B_NUMWORD, 150},
    {"سته عشر", B_NUMWORD, 160}, {"ست عشره", B_NUMWORD, 160},
    {"سبعه عشر", B_NUMWORD, 170}, {"سبع عشره", B_NUMWORD, 170},
    {"ثمانيه عشر", B_NUMWORD, 180}, {"ثماني عشره", B_NUMWORD, 180},
    {"تسعه عشر", B_NUMWORD, 190}, {"تسع عشره", B_NUMWORD, 190},
    {"ميه", B_NUMWORD, 1000}, {"مئه", B_NUMWORD, 1000},
    {"مائه", B_NUMWORD, 1000}, {"ميتين", B_NUMWORD, 2000}, {"مئتين", B_NUMWORD, 2000},
    {"مئتان", B_NUMWORD, 2000}, {"مائتين", B_NUMWORD, 2000}, {"مائتان", B_NUMWORD, 2000},
    {"ثلاثمئه", B_NUMWORD, 3000}, {"اربعمئه", B_NUMWORD, 4000}, {"خمسمئه", B_NUMWORD, 5000},
    {"ستمئه", B_NUMWORD, 6000}, {"سبعمئه", B_NUMWORD, 7000}, {"ثمانمئه", B_NUMWORD, 8000},
    {"تسعمئه", B_NUMWORD, 9000},
    {"ثلاثمائه", B_NUMWORD, 3000}, {"ثلاثميه", B_NUMWORD, 3000},
    {"اربعمائه", B_NUMWORD, 4000}, {"اربعميه", B_NUMWORD, 4000},
    {"خمسمائه", B_NUMWORD, 5000}, {"خمسميه", B_NUMWORD, 5000},
    {"ستمائه", B_NUMWORD, 6000}, {"ستميه", B_NUMWORD, 6000},
    {"سبعمائه", B_NUMWORD, 7000}, {"سبعميه", B_NUMWORD, 7000},
    {"ثمانمائه", B_NUMWORD, 8000}, {"ثمنميه", B_NUMWORD, 8000},
    {"تسعمائه", B_NUMWORD, 9000}, {"تسعميه", B_NUMWORD, 9000},
    {"اتنين", B_NUMWORD, 20}, {"ثلاث", B_NUMWORD, 30}, {"ثلاثه", B_NUMWORD, 30},
    {"تلاته", B_NUMWORD, 30}, {"اربع", B_NUMWORD, 40}, {"اربعه", B_NUMWORD, 40},
    {"خمس", B_NUMWORD, 50}, {"خمسه", B_NUMWORD, 50}, {"سته", B_NUMWORD, 60},
    {"سبعه", B_NUMWORD, 70}, {"ثمانيه", B_NUMWORD, 80}, {"تسعه", B_NUMWORD, 90},
    {"عشره", B_NUMWORD, 100}, {"نص", B_NUMWORD, 5}, {"نصف", B_NUMWORD, 5},
    {"يك", B_NUMWORD, 10}, {"دو", B_NUMWORD, 20}, {"سه", B_NUMWORD, 30},
    {"چهار", B_NUMWORD, 40}, {"پنج", B_NUMWORD, 50}, {"شش", B_NUMWORD, 60},
    {"هفت", B_NUMWORD, 70}, {"هشت", B_NUMWORD, 80}, {"نه", B_NUMWORD, 90},
    {"ده", B_NUMWORD, 100}, {"نيم", B_NUMWORD, 5}, {"بيست", B_NUMWORD, 200},
    {"سي", B_NUMWORD, 300},
    {"يازده", B_NUMWORD, 110}, {"دوازده", B_NUMWORD, 120}, {"سيزده", B_NUMWORD, 130},
    {"چهارده", B_NUMWORD, 140}, {"پانزده", B_NUMWORD, 150}, {"پونزده", B_NUMWORD, 150},
    {"شانزده", B_NUMWORD, 160}, {"شونزده", B_NUMWORD, 160}, {"هفده", B_NUMWORD, 170},
    {"هيفده", B_NUMWORD, 170}, {"هجده", B_NUMWORD, 180}, {"هيجده", B_NUMWORD, 180},
    {"نوزده", B_NUMWORD, 190},
    {"چهل", B_NUMWORD, 400}, {"پنجاه", B_NUMWORD, 500}, {"شصت", B_NUMWORD, 600},
    {"هفتاد", B_NUMWORD, 700}, {"هشتاد", B_NUMWORD, 800}, {"نود", B_NUMWORD, 900},
    {"صد", B_NUMWORD, 1000}, {"دويست", B_NUMWORD, 2000}, {"سيصد", B_NUMWORD, 3000},
    {"چهارصد", B_NUMWORD, 4000}, {"پانصد", B_NUMWORD, 5000}, {"پونصد", B_NUMWORD, 5000},
    {"ششصد", B_NUMWORD, 6000}, {"هفتصد", B_NUMWORD, 7000}, {"هشتصد", B_NUMWORD, 8000},
    {"نهصد", B_NUMWORD, 9000},
    {"один", B_NUMWORD, 10}, {"одна", B_NUMWORD, 10}, {"два", B_NUMWORD, 20},
    {"две", B_NUMWORD, 20}, {"три", B_NUMWORD, 30}, {"четыре", B_NUMWORD, 40},
    {"пять", B_NUMWORD, 50}, {"шесть", B_NUMWORD, 60}, {"семь", B_NUMWORD, 70},
    {"восемь", B_NUMWORD, 80}, {"девять", B_NUMWORD, 90}, {"десять", B_NUMWORD, 100},
    {"полтора", B_NUMWORD, 15}, {"полторы", B_NUMWORD, 15}, {"пол", B_NUMWORD, 5},
    {"полутора", B_NUMWORD, 15}, {"одного", B_NUMWORD, 10}, {"одной", B_NUMWORD, 10},
    {"двух", B_NUMWORD, 20}, {"двумя", B_NUMWORD, 20}, {"трех", B_NUMWORD, 30},
    {"тремя", B_NUMWORD, 30}, {"четырех", B_NUMWORD, 40}, {"пяти", B_NUMWORD, 50},
    {"шести", B_NUMWORD, 60}, {"семи", B_NUMWORD, 70}, {"восьми", B_NUMWORD, 80},
    {"девяти", B_NUMWORD, 90}, {"десяти", B_NUMWORD, 100}, {"двадцать", B_NUMWORD, 200},
    {"тридцать", B_NUMWORD, 300}, {"сорок", B_NUMWORD, 400}, {"пятьдесят", B_NUMWORD, 500},
    {"шестьдесят", B_NUMWORD, 600}, {"семьдесят", B_NUMWORD, 700},
    {"восемьдесят", B_NUMWORD, 800}, {"девяносто", B_NUMWORD, 900}, {"сто", B_NUMWORD, 1000},
    {"двести", B_NUMWORD, 2000}, {"триста", B_NUMWORD, 3000}, {"четыреста", B_NUMWORD, 4000},
    {"пятьсот", B_NUMWORD, 5000}, {"шестьсот", B_NUMWORD, 6000},
    {"семьсот", B_NUMWORD, 7000}, {"восемьсот", B_NUMWORD, 8000},
    {"девятьсот", B_NUMWORD, 9000},
    {"одиннадцать", B_NUMWORD, 110}, {"двенадцать", B_NUMWORD, 120},
    {"тринадцать", B_NUMWORD, 130}, {"четырнадцать", B_NUMWORD, 140},
    {"пятнадцать", B_NUMWORD, 150}, {"шестнадцать", B_NUMWORD, 160},
    {"семнадцать", B_NUMWORD, 170}, {"восемнадцать", B_NUMWORD, 180},
    {"девятнадцать", B_NUMWORD, 190},
    /* the genitive after "от"/"до": "от двадцати пяти тысяч" */
    {"одиннадцати", B_NUMWORD, 110}, {"двенадцати", B_NUMWORD, 120},
    {"тринадцати", B_NUMWORD, 130}, {"четырнадцати", B_NUMWORD, 140},
    {"пятнадцати", B_NUMWORD, 150}, {"шестнадцати", B_NUMWORD, 160},
    {"семнадцати", B_NUMWORD, 170}, {"восемнадцати", B_NUMWORD, 180},
    {"девятнадцати", B_NUMWORD, 190}, {"двадцати", B_NUMWORD, 200},
    {"тридцати", B_NUMWORD, 300}, {"сорока", B_NUMWORD, 400},
    {"пятидесяти", B_NUMWORD, 500}, {"шестидесяти", B_NUMWORD, 600},
    {"семидесяти", B_NUMWORD, 700}, {"восьмидесяти", B_NUMWORD, 800},
    {"девяноста", B_NUMWORD, 900}, {"ста", B_NUMWORD, 1000}, {"двухсот", B_NUMWORD, 2000},
    {"трехсот", B_NUMWORD, 3000}, {"четырехсот", B_NUMWORD, 4000},
    {"пятисот", B_NUMWORD, 5000}, {"шестисот", B_NUMWORD, 6000},
    {"семисот", B_NUMWORD, 7000}, {"восьмисот", B_NUMWORD, 8000},
    {"девятисот", B_NUMWORD, 9000},
    {"and a half", B_HALF, 5}, {"ونص", B_HALF, 5}, {"و نص", B_HALF, 5}, {"ونصف", B_HALF, 5},
    {"و نصف", B_HALF, 5}, {"و نيم", B_HALF, 5}, {"ونيم", B_HALF, 5},
    {"с половиной", B_HALF, 5},
    /* joiners between the parts of a number in words */
    {"و", B_NUMJOIN, J_ANY}, {"and", B_NUMJOIN, J_HUNDREDS}, {"-", B_NUMJOIN, J_HYPHEN},
    /* the decimal point said: "two point five million" */
    {"point", B_POINT, 0}, {"فاصله", B_POINT, 0}, {"مميز", B_POINT, 0},
    /* currencies */
    {"aed", B_CUR, C_AED}, {"dirham", B_CUR, C_AED}, {"dirhams", B_CUR, C_AED},
    {"dhs", B_CUR, C_AED}, {"dh", B_CUR, C_AED}, {"درهم", B_CUR, C_AED}, {"دراهم", B_CUR, C_AED},
    {"درهمه", B_CUR, C_AED},
    {"дирхам*", B_CUR, C_AED},
    {"inr", B_CUR, C_INR}, {"rupee", B_CUR, C_INR}, {"rupees", B_CUR, C_INR},
    {"rs", B_CUR, C_INR}, {"₹", B_CUR, C_INR}, {"روپيه", B_CUR, C_INR}, {"روبيه", B_CUR, C_INR},
    {"рупи*", B_CUR, C_INR},
    {"usd", B_CUR, C_USD}, {"$", B_CUR, C_USD}, {"dollar", B_CUR, C_USD},
    {"dollars", B_CUR, C_USD}, {"bucks", B_CUR, C_USD}, {"دلار", B_CUR, C_USD},
    {"دولار", B_CUR, C_USD}, {"доллар*", B_CUR, C_USD}, {"бакс*", B_CUR, C_USD},
    {"eur", B_CUR, C_EUR}, {"€", B_CUR, C_EUR}, {"euro", B_CUR, C_EUR}, {"euros", B_CUR, C_EUR},
    {"евро", B_CUR, C_EUR}, {"يورو", B_CUR, C_EUR},
    {"gbp", B_CUR, C_GBP}, {"£", B_CUR, C_GBP}, {"pounds", B_CUR, C_GBP},
    {"sar", B_CUR, C_SAR}, {"riyal", B_CUR, C_SAR}, {"riyals", B_CUR, C_SAR},
    {"ريال", B_CUR, C_SAR},
    {"rub", B_CUR, C_RUB}, {"руб*", B_CUR, C_RUB}, {"рубл*", B_CUR, C_RUB},
    /* qualifiers before an amount */
    {"under", B_QMAX, 0}, {"below", B_QMAX, 0}, {"max", B_QMAX, 0}, {"maximum", B_QMAX, 0},
    {"up to", B_QMAX, 0}, {"upto", B_QMAX, 0}, {"less than", B_QMAX, 0},
    {"lesser than", B_QMAX, 0}, {"within", B_QMAX, 0}, {"not more than", B_QMAX, 0},
    {"no more than", B_QMAX, 0}, {"not exceeding", B_QMAX, 0}, {"at most", B_QMAX, 0},
    {"till", B_QMAX, 0}, {"<", B_QMAX, 0}, {"cheaper than", B_QMAX, 0},
    {"budget", B_QBUDGET, 0}, {"budget of", B_QBUDGET, 0}, {"budget is", B_QBUDGET, 0},
    {"my budget", B_QBUDGET, 0}, {"afford", B_QBUDGET, 0}, {"spend", B_QBUDGET, 0},
    {"above", B_QMIN, 0}, {"over", B_QMIN, 0}, {"at least", B_QMIN, 0},
    {"atleast", B_QMIN, 0}, {"minimum", B_QMIN, 0}, {"min", B_QMIN, 0},
    {"more than", B_QMIN, 0}, {"greater than", B_QMIN, 0}, {"starting", B_QMIN, 0},
    {"starting from", B_QMIN, 0}, {"starting at", B_QMIN, 0}, {">", B_QMIN, 0},
    {"from", B_QFROM, 0}, {"between", B_QBETWEEN, 0}, {"btw", B_QBETWEEN, 0},
    {"around", B_QAROUND, 0}, {"about", B_QAROUND, 0}, {"approx", B_QAROUND, 0},
    {"approximately", B_QAROUND, 0}, {"roughly", B_QAROUND, 0}, {"~", B_QAROUND, 0},
    {"close to", B_QAROUND, 0}, {"nearly", B_QAROUND, 0}, {"circa", B_QAROUND, 0},
    {"somewhere around", B_QAROUND, 0}, {"in the range of", B_QAROUND, 0},
    /* ar */
    /* "باقل من" ("for less than") is one word with the preposition bi-
     * attached: without its own entry "من" alone read it as "from X" */
    {"اقل من", B_QMAX, 0}, {"باقل من", B_QMAX, 0}, {"حتي", B_QMAX, 0}, {"لحد", B_QMAX, 0}, {"الي حد", B_QMAX, 0},
    {"لا يزيد عن", B_QMAX, 0}, {"لا يتجاوز", B_QMAX, 0}, {"بحد اقصي", B_QMAX, 0},
    {"كحد اقصي", B_QMAX, 0}, {"اقصي", B_QMAX, 0}, {"تحت", B_QMAX, 0}, {"في حدود", B_QAROUND, 0},
    {"ميزانيه", B_QBUDGET, 0}, {"ميزانيتي", B_QBUDGET, 0}, {"الميزانيه", B_QBUDGET, 0},
    {"اكثر من", B_QMIN, 0}, {"باكثر من", B_QMIN, 0}, {"فوق", B_QMIN, 0}, {"علي الاقل", B_QMIN, 0},
    {"بحد ادني", B_QMIN, 0}, {"من", B_QFROM, 0}, {"بين", B_QBETWEEN, 0},
    {"حوالي", B_QAROUND, 0}, {"تقريبا", B_QAROUND, 0}, {"حدود", B_QAROUND, 0},
    {"بحدود", B_QAROUND, 0}, {"بحوالي", B_QAROUND, 0},
    /* fa */
    {"زير", B_QMAX, 0}, {"كمتر از", B_QMAX, 0}, {"حداكثر", B_QMAX, 0}, {"تا", B_QMAX, 0},
    {"بودجه", B_QBUDGET, 0}, {"بودجه ام", B_QBUDGET, 0}, {"بودجم", B_QBUDGET, 0},
    {"بالاي", B_QMIN, 0}, {"بيشتر از", B_QMIN, 0}, {"حداقل", B_QMIN, 0}, {"از", B_QFROM, 0},
    {"حدود", B_QAROUND, 0}, {"حدودا", B_QAROUND, 0}, {"در حدود", B_QAROUND, 0},
    /* ru */
    {"до", B_QMAX, 0}, {"не более", B_QMAX, 0}, {"не больше", B_QMAX, 0},
    {"максимум", B_QMAX, 0}, {"меньше", B_QMAX, 0}, {"менее", B_QMAX, 0},
    {"в пределах", B_QMAX, 0}, {"не дороже", B_QMAX, 0}, {"дешевле", B_QMAX, 0},
    {"бюджет", B_QBUDGET, 0}, {"бюджет до", B_QMAX, 0},
    {"от", B_QFROM, 0}, {"больше", B_QMIN, 0}, {"более", B_QMIN, 0}, {"минимум", B_QMIN, 0},
    {"не менее", B_QMIN, 0}, {"свыше", B_QMIN, 0}, {"дороже", B_QMIN, 0},
    {"между", B_QBETWEEN, 0}, {"около", B_QAROUND, 0}, {"примерно", B_QAROUND, 0},
    {"приблизительно", B_QAROUND, 0}, {"порядка", B_QAROUND, 0}, {"где-то", B_QAROUND, 0},
    {"в районе", B_QAROUND, 0},
    /* range separators */
    {"-", B_SEP, 0}, {"–", B_SEP, 0}, {"—", B_SEP, 0}, {"to", B_SEP, 0}, {"till", B_SEP, 0},
    {"until", B_SEP, 0}, {"الي", B_SEP, 0}, {"حتي", B_SEP, 0}, {"لين", B_SEP, 0},
    {"تا", B_SEP, 0}, {"до", B_SEP, 0}, {"по", B_SEP, 0},
    {"and", B_SEPAND, 0}, {"و", B_SEPAND, 0}, {"и", B_SEPAND, 0},
    /* qualifiers after an amount */
    {"max", B_SUFMAX, 0}, {"maximum", B_SUFMAX, 0}, {"or less", B_SUFMAX, 0},
    {"or below", B_SUFMAX, 0}, {"and below", B_SUFMAX, 0}, {"tops", B_SUFMAX, 0},
    {"at most", B_SUFMAX, 0}, {"максимум", B_SUFMAX, 0}, {"макс", B_SUFMAX, 0},
    {"كحد اقصي", B_SUFMAX, 0}, {"بحد اقصي", B_SUFMAX, 0}, {"حداكثر", B_SUFMAX, 0},
    {"او اقل", B_SUFMAX, 0},
    {"+", B_SUFMIN, 0}, {"plus", B_SUFMIN, 0}, {"or more", B_SUFMIN, 0},
    {"and above", B_SUFMIN, 0}, {"or above", B_SUFMIN, 0}, {"onwards", B_SUFMIN, 0},
    {"and up", B_SUFMIN, 0}, {"minimum", B_SUFMIN, 0}, {"at least", B_SUFMIN, 0},
    {"и выше", B_SUFMIN, 0}, {"и более", B_SUFMIN, 0}, {"минимум", B_SUFMIN, 0},
    {"او اكثر", B_SUFMIN, 0}, {"وما فوق", B_SUFMIN, 0}, {"و ما فوق", B_SUFMIN, 0},
    {"به بالا", B_SUFMIN, 0}, {"به بالاتر", B_SUFMIN, 0}, {"حداقل", B_SUFMIN, 0},
    /* words that make the number before them not money */
    {"bhk", B_NOTMONEY, 0}, {"bk", B_NOTMONEY, 0}, {"rk", B_NOTMONEY, 0},
    {"br", B_NOTMONEY, 0}, {"bed", B_NOTMONEY, 0}, {"beds", B_NOTMONEY, 0},
    {"bedroom", B_NOTMONEY, 0}, {"bedrooms", B_NOTMONEY, 0}, {"bedroomed", B_NOTMONEY, 0},
    {"bdr", B_NOTMONEY, 0}, {"bdrm", B_NOTMONEY, 0}, {"bath", B_NOTMONEY, 0},
    {"baths", B_NOTMONEY, 0}, {"bathroom", B_NOTMONEY, 0}, {"bathrooms", B_NOTMONEY, 0},
    {"room", B_NOTMONEY, 0}, {"rooms", B_NOTMONEY, 0}, {"sqft", B_NOTMONEY, 0},
    {"sq", B_NOTMONEY, 0}, {"sft", B_NOTMONEY, 0}, {"sqm", B_NOTMONEY, 0},
    {"ft", B_NOTMONEY, 0}, {"feet", B_NOTMONEY, 0}, {"square", B_NOTMONEY, 0},
    {"meters", B_NOTMONEY, 0}, {"metres", B_NOTMONEY, 0}, {"km", B_NOTMONEY, 0},
    {"kms", B_NOTMONEY, 0}, {"acre", B_NOTMONEY, 0}, {"acres", B_NOTMONEY, 0},
    {"cents", B_NOTMONEY, 0}, {"yards", B_NOTMONEY, 0}, {"gaj", B_NOTMONEY, 0},
    {"year", B_NOTMONEY, 0}, {"years", B_NOTMONEY, 0}, {"yr", B_NOTMONEY, 0},
    {"month", B_NOTMONEY, 0}, {"months", B_NOTMONEY, 0}, {"day", B_NOTMONEY, 0},
    {"days", B_NOTMONEY, 0}, {"week", B_NOTMONEY, 0}, {"weeks", B_NOTMONEY, 0},
    {"hour", B_NOTMONEY, 0}, {"hours", B_NOTMONEY, 0}, {"hrs", B_NOTMONEY, 0},
    {"minutes", B_NOTMONEY, 0}, {"mins", B_NOTMONEY, 0}, {"min", B_NOTMONEY, 0},
    {"am", B_NOTMONEY, 0}, {"pm", B_NOTMONEY, 0}, {"o'clock", B_NOTMONEY, 0},
    {"floor", B_NOTMONEY, 0}, {"floors", B_NOTMONEY, 0}, {"people", B_NOTMONEY, 0},
    {"kids", B_NOTMONEY, 0}, {"children", B_NOTMONEY, 0}, {"units", B_NOTMONEY, 0},
    {"percent", B_NOTMONEY, 0}, {"%", B_NOTMONEY, 0}, {"x", B_NOTMONEY, 0},
    {"st", B_NOTMONEY, 0}, {"nd", B_NOTMONEY, 0}, {"rd", B_NOTMONEY, 0},
    {"th", B_NOTMONEY, 0}, {"bhks", B_NOTMONEY, 0}, {"parking", B_NOTMONEY, 0},
    {"غرف", B_NOTMONEY, 0}, {"غرفه", B_NOTMONEY, 0}, {"غرفتين", B_NOTMONEY, 0},
    {"نوم", B_NOTMONEY, 0}, {"سنه", B_NOTMONEY, 0}, {"سنوات", B_NOTMONEY, 0},
    {"متر", B_NOTMONEY, 0}, {"قدم", B_NOTMONEY, 0}, {"ايام", B_NOTMONEY, 0},
    {"خوابه", B_NOTMONEY, 0}, {"خواب", B_NOTMONEY, 0}, {"اتاق", B_NOTMONEY, 0},
    {"سال", B_NOTMONEY, 0}, {"روز", B_NOTMONEY, 0}, {"ساعت", B_NOTMONEY, 0},
    {"دقيقه", B_NOTMONEY, 0}, {"دقايق", B_NOTMONEY, 0},
    {"комнат*", B_NOTMONEY, 0}, {"спал*", B_NOTMONEY, 0}, {"кв", B_NOTMONEY, 0},
    {"метр*", B_NOTMONEY, 0}, {"год*", B_NOTMONEY, 0}, {"лет", B_NOTMONEY, 0},
    {"этаж*", B_NOTMONEY, 0}, {"дн*", B_NOTMONEY, 0}, {"час*", B_NOTMONEY, 0},
    {"утра", B_NOTMONEY, 0}, {"вечера", B_NOTMONEY, 0}, {"санузл*", B_NOTMONEY, 0},
    {"минут*", B_NOTMONEY, 0},
    /* "500 m from the beach" is a distance */
    {"from", B_DISTANCE, 0}, {"away", B_DISTANCE, 0}, {"walk*", B_DISTANCE, 0},
    {"of", B_DISTANCE, 0}, {"to the", B_DISTANCE, 0}, {"distance", B_DISTANCE, 0},
};

static lex_table budget_lex;
static pthread_once_t budget_once = PTHREAD_ONCE_INIT;

static void budget_init(void)
{
    lex_build(&budget_lex, budget_items, (int)(sizeof budget_items / sizeof budget_items[0]));
}

static int match(lex_cache *lc, int i, unsigned cats, const lex_item **it)
{
    return lex_cmatch(lc, i, cats, it);
}

#define CAT(c) (1u << (c))
#define QUAL_CATS (CAT(B_QMAX) | CAT(B_QMIN) | CAT(B_QAROUND) | CAT(B_QBETWEEN) | CAT(B_QFROM) \
                   | CAT(B_QBUDGET))

/* ---- amounts -------------------------------------------------------------- */

typedef struct amount {
    int start, end;     /* tokens [start, end) incl. currency and multiplier */
    int64_t mant;       /* the number is mant / 10^dec */
    int dec;
    int mult;           /* M_* */
    int cur;            /* index in currencies[], -1 */
    int suffix;         /* B_SUFMIN / B_SUFMAX / -1 */
    bool bare_ok;       /* numeric, >= 1000, not a year: a keyword may make it money */
    bool grouped;       /* written with digit grouping: "2,000,000", "1,20,00,000" */
    bool word;          /* a word that is an amount ("مليونين") */
    bool wa;            /* said with the Arabic "and" attached: "ومليونين" */
    bool notmoney;
    int64_t plus;       /* a smaller amount said after it: "2 million 500 thousand" */
    rent_period period; /* amount_period */
    bool period_after;  /* the period phrase follows it: a bare number is money */
} amount;

#define MAX_AMOUNTS 16
#define MAX_MANT 1000000000000000LL   /* 1e15 */

static bool skip_tok(const nlu_toks *tk, int i)
{
    return i < 0 || i >= tk->n || (tk->t[i].flags & (TF_PHONE | TF_EMAIL | TF_USED));
}

static bool append_digits(int64_t *m, const nlu_toks *tk, int i)
{
    const char *s = tk->s + tk->t[i].off;
    for (int k = 0; k < tk->t[i].len; k++) {
        if (*m > MAX_MANT / 10)
            return false;
        *m = *m * 10 + (s[k] - '0');
    }
    return true;
}

/* Parses the number starting at NUM token i.  Sets *next to the first token
 * after it.  Returns false when it overflows. */
static bool parse_number(const nlu_toks *tk, int i, int64_t *mant, int *dec, int *next,
                         bool *was_grouped)
{
    int64_t m = 0;
    int d = 0, j = i + 1;
    if (!append_digits(&m, tk, i))
        return false;
    int first_len = tk->t[i].len;
    bool grouped = false;

    /* comma groups: "2,000,000", "1,20,00,000" or the decimal comma "1,5" */
    int k = j, ngroups = 0, lastlen = 0;
    bool mid_ok = true;
    while (nlu_tok_punct(tk, k, ',') && nlu_tok_attached(tk, k) && k + 1 < tk->n
           && tk->t[k + 1].kind == TK_NUM && nlu_tok_attached(tk, k + 1)) {
        if (ngroups > 0 && lastlen != 2 && lastlen != 3)
            mid_ok = false;
        lastlen = tk->t[k + 1].len;
        ngroups++;
        k += 2;
    }
    if (ngroups > 0) {
        if (first_len <= 3 && lastlen == 3 && mid_ok) {
            for (int g = 0; g < ngroups; g++)
                if (!append_digits(&m, tk, j + 2 * g + 1))
                    return false;
            grouped = true;
            j = k;
        } else if (ngroups == 1 && lastlen <= 2) {
            if (!append_digits(&m, tk, j + 1))
                return false;
            d = lastlen;
            j = k;
            goto out;
        }
    }
    /* dot groups: "2.000.000" or a decimal point "1.5" */
    k = j;
    ngroups = 0;
    bool all3 = true;
    while (nlu_tok_punct(tk, k, '.') && nlu_tok_attached(tk, k) && k + 1 < tk->n
           && tk->t[k + 1].kind == TK_NUM && nlu_tok_attached(tk, k + 1)) {
        if (tk->t[k + 1].len != 3)
            all3 = false;
        ngroups++;
        k += 2;
    }
    if (ngroups >= 2 && all3 && !grouped && first_len <= 3) {
        for (int g = 0; g < ngroups; g++)
            if (!append_digits(&m, tk, j + 2 * g + 1))
                return false;
        j = k;
        grouped = true;
    } else if (ngroups >= 1) {
        int len = tk->t[j + 1].len;
        if (len > 6)
            return false;
        if (!append_digits(&m, tk, j + 1))
            return false;
        d = len;
        j += 2;
    } else if (!grouped && first_len <= 3 && tk->s[tk->t[i].off] != '0') {
        /* space groups: "2 000 000" */
        while (j < tk->n && tk->t[j].kind == TK_NUM && tk->t[j].len == 3
               && (tk->t[j].flags & TF_SPACE) && !(tk->t[j].flags & (TF_PHONE | TF_EMAIL))) {
            if (!append_digits(&m, tk, j))
                return false;
            j++;
            grouped = true;
        }
    }
out:
    *was_grouped = grouped;
    *mant = m;
    *dec = d;
    *next = j;
    return true;
}

/* Value of an amount in whole units (mult applied), or -1 when it is
 * beyond MAX_MONEY (no budget is a quadrillion; this also keeps the range
 * arithmetic below far from overflow). */
#define MAX_MONEY 1000000000000000LL   /* 1e15 */
static int64_t amount_value(const amount *a, int mult)
{
    int64_t mv = mult_value[mult], v;
    if (__builtin_mul_overflow(a->mant, mv, &v))
        return -1;
    int64_t p = 1;
    for (int k = 0; k < a->dec; k++)
        p *= 10;
    v = v / p + ((v % p) * 2 >= p ? 1 : 0);
    if (a->plus > 0 && v <= MAX_MONEY)
        v += a->plus;
    return v > MAX_MONEY || v <= 0 ? -1 : v;
}

static int is_currency_at(lex_cache *lc, int i)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    if (skip_tok(tk, i))
        return -1;
    if (match(lc, i, CAT(B_CUR), &it) == 1)
        return it->val;
    return -1;
}

/* A multiplier at token j right after a number (attached says whether the
 * number touches it).  Returns M_* or 0. */
static int unit_at(lex_cache *lc, int j, bool attached, const lex_item **it)
{
    const nlu_toks *tk = lc->tk;
    if (skip_tok(tk, j) || tk->t[j].kind != TK_WORD)
        return 0;
    if (match(lc, j, CAT(B_UNIT), it) != 1)
        return 0;
    if (((*it)->val & UF_ATTACHED) && !attached)
        return 0;
    return (*it)->val & 0xFF;
}

static int thousands_rest(lex_cache *lc, int j, amount *a);

/* Parses what follows the number part of an amount at token j: multiplier,
 * the rest after thousands, "and a half", currency, suffix qualifiers and
 * non-money words. */
static void amount_tail(lex_cache *lc, int j, bool num_attached_ok, amount *a)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int c;
    if (a->mult == M_NONE && a->dec == 0 && (c = match(lc, j, CAT(B_HALF), &it)) > 0 &&
        unit_at(lc, j + c, false, &it)) {
        /* "1 and a half million", "۲ و نیم میلیون" */
        a->mant = a->mant * 10 + 5;
        a->dec = 1;
        j += c;
    }
    if (a->mult == M_NONE) {
        int u = unit_at(lc, j, nlu_tok_attached(tk, j), &it);
        if (u) {
            /* "500 m from the beach" */
            if (u == M_MILLION && tk->t[j].len == 1 && match(lc, j + 1, CAT(B_DISTANCE), &it) > 0) {
                a->notmoney = true;
                a->end = j + 1;
                return;
            }
            a->mult = u;
            j++;
            /* "800 тыс. дирхамов", "2 mn. AED": the abbreviation's dot */
            if (nlu_tok_punct(tk, j, '.') && nlu_tok_attached(tk, j) && is_currency_at(lc, j + 1) >= 0)
                j++;
        }
    }
    if (a->mult == M_K || (a->word && a->mant % 1000 == 0 && a->mant < 1000000))
        j = thousands_rest(lc, j, a);   /* "2 thousand five hundred", "ألفين وخمسمائة" */
    if (a->mult != M_NONE && (c = match(lc, j, CAT(B_HALF), &it)) > 0) {
        if (a->dec == 0) {   /* "مليون ونص" = 1.5 million */
            a->mant = a->mant * 10 + 5;
            a->dec = 1;
        }
        j += c;
    }
    if (a->cur < 0) {
        int cur = is_currency_at(lc, j);
        if (cur >= 0) {
            a->cur = cur;
            j++;
        }
    }
    a->suffix = -1;
    if (!skip_tok(tk, j)) {
        /* a word that is both ("max", "minimum") and has a number right
         * after it qualifies that number: "min 1M max 2M" */
        const lex_item *pre;
        int pc = match(lc, j, CAT(B_QMIN) | CAT(B_QMAX), &pre);
        bool opens_next = pc > 0 && j + pc < tk->n && tk->t[j + pc].kind == TK_NUM;
        if (!opens_next && (c = match(lc, j, CAT(B_SUFMIN) | CAT(B_SUFMAX), &it)) > 0) {
            a->suffix = it->cat;
            j += c;
        } else if (a->mult == M_NONE && a->cur < 0) {
            if (match(lc, j, CAT(B_NOTMONEY), &it) > 0)
                a->notmoney = true;
            else if (!num_attached_ok && nlu_tok_attached(tk, j) && tk->t[j].kind == TK_WORD)
                a->notmoney = true;   /* "2bhk", "21st", "5pm" */
            else if (nlu_tok_punct(tk, j, ':') && j + 1 < tk->n && tk->t[j + 1].kind == TK_NUM)
                a->notmoney = true;   /* a time */
        }
    }
    a->end = j;
}

/* A one-letter clitic written onto the next word: the Arabic (and
 * Persian) "and" ("ومليونين", "وثلاثه ملايين") and the Arabic "for/with"
 * ("بمليون", "بمليوني درهم").  Its length in bytes when token j starts
 * with it and goes on, else 0. */
#define WA "\xD9\x88"   /* U+0648 */
#define BI "\xD8\xA8"   /* U+0628 */
static inline size_t clitic_prefix(const nlu_toks *tk, int j, const char *letter)
{
    if (j < 0 || j >= tk->n || tk->t[j].kind != TK_WORD || tk->t[j].len <= 2)
        return 0;
    const char *s = tk->s + tk->t[j].off;
    return s[0] == letter[0] && s[1] == letter[1] ? 2 : 0;
}

static inline size_t wa_prefix(const nlu_toks *tk, int j)
{
    return clitic_prefix(tk, j, WA);
}

/* match() at token j with its first skip bytes left out (skip 0: match). */
static int match_from(lex_cache *lc, int j, size_t skip, unsigned cats, const lex_item **it)
{
    if (skip == 0)
        return match(lc, j, cats, it);
    return lex_match_cat_from(lc->t, lc->tk, j, skip, cats, it);
}

/* One part of a number in words at token j (its first skip bytes left
 * out): a number word, or units then "hundred" ("two hundred", "ثلاث
 * مئه", "دو صد").  Returns the tokens it covers (0: none) and sets *tenths
 * and *units_first (an Arabic tens word). */
static int number_part(lex_cache *lc, int j, size_t skip, int *tenths, bool *units_first)
{
    const lex_item *it, *h;
    int c = match_from(lc, j, skip, CAT(B_NUMWORD), &it);
    if (c <= 0)
        return 0;
    *tenths = NW_TENTHS(it->val);
    *units_first = (it->val & NW_UNITS_FIRST) != 0;
    if (*tenths % 10 == 0 && *tenths >= 10 && *tenths <= 90
        && match(lc, j + c, CAT(B_NUMWORD), &h) == 1 && NW_TENTHS(h->val) == 1000) {
        *tenths *= 100;
        *units_first = false;
        c++;
    }
    return c;
}

/* 1 units, 2 tens (10-99), 3 hundreds: the rank of a whole number < 1000 */
static int number_rank(int n)
{
    return n < 10 ? 1 : n < 100 ? 2 : 3;
}

/* A number said in words from token j (its first skip bytes left out): its
 * parts composed into one value, largest first ("twenty five", "one hundred
 * and fifty", "сто пятьдесят", "بیست و پنج", "مئه وخمسون"), or the Arabic
 * units before their tens with "و" ("خمسه وعشرين" = 25).  A part of the same
 * or a higher rank than the one before starts another number ("two and
 * three": a range), as do units after Arabic tens ("بين عشرين وخمسه وعشرين":
 * 20 and 25).  A fraction ("half", "полтора") stands alone.  Returns the
 * token after it (j: none) and sets *tenths. */
static int number_words(lex_cache *lc, int j, size_t skip, int *tenths)
{
    const nlu_toks *tk = lc->tk;
    int v;
    bool uf;
    int c = number_part(lc, j, skip, &v, &uf);
    if (c == 0)
        return j;
    int k = j + c;
    *tenths = v;
    if (v % 10 != 0)
        return k;
    int n = v / 10;
    int low = number_rank(n);   /* the rank of the last part; 0: no more */
    if (n >= 10 && n < 20)
        low = 0;                /* "fifteen", "ten": nothing smaller follows */
    bool last_tens_ar = uf, tens_used = low == 2;
    while (low > 0) {
        const lex_item *it;
        int jk = k, join = -1;
        size_t js = 0;
        int jc = match(lc, k, CAT(B_NUMJOIN), &it);
        if (jc > 0) {
            join = it->val;
            jk = k + jc;
            if (join == J_HYPHEN && !(nlu_tok_attached(tk, k) && nlu_tok_attached(tk, jk)))
                break;
        } else if (wa_prefix(tk, k)) {
            join = J_ANY;
            js = 2;
        }
        int pv;
        bool puf;
        int pc = number_part(lc, jk, js, &pv, &puf);
        if (pc == 0 || pv % 10 != 0)
            break;
        int pn = pv / 10, pr = number_rank(pn);
        if (join == J_ANY && puf && low == 1 && !tens_used && pn >= 20) {
            low = 0;   /* "خمسه وعشرين" */
        } else {
            bool joined = join < 0 || join == J_ANY || (join == J_HUNDREDS && low == 3)
                          || (join == J_HYPHEN && low == 2 && pr == 1);
            if (!joined || pr >= low || (last_tens_ar && pr == 1))
                break;
            low = pn >= 10 && pn < 20 ? 0 : pr;
            tens_used |= pr == 2;
            last_tens_ar = puf;
        }
        n += pn;
        k = jk + pc;
    }
    *tenths = n * 10;
    return k;
}

static int qualifier_before(lex_cache *lc, int s, int prev_end);

/* The rest of an amount after its thousands (token j on), said in words:
 * tens or hundreds, after "and"/"و" or not ("two thousand five hundred",
 * "две тысячи пятьсот", "دو هزار و پانصد", "ألفين وخمسمائة").  Not a
 * number of its own: one with a multiplier or "and a half" after it ("two
 * million five hundred thousand" is a compound of two amounts), one that
 * counts something ("fifty thousand twenty units"), units ("fifty thousand
 * a month", "... three bedrooms"), nor, after "and", the other side of a
 * range ("between twenty thousand and thirty").  Adds it to a->plus and
 * returns the token after it; j when there is none. */
static int thousands_rest(lex_cache *lc, int j, amount *a)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int64_t p10 = 1;
    for (int d = 0; d < a->dec; d++)
        p10 *= 10;
    if (a->mant % p10 != 0)
        return j;   /* "2.5 thousand": no whole thousands */
    int k = j;
    size_t skip = 0;
    int c = match(lc, j, CAT(B_NUMJOIN), &it);
    if (c > 0 && it->val == J_HYPHEN)
        return j;
    if (c > 0)
        k = j + c;
    else if (wa_prefix(tk, j))
        skip = 2;
    int tenths, e = number_words(lc, k, skip, &tenths);
    if (e == k || tenths % 10 != 0 || tenths < 100)
        return j;
    if (unit_at(lc, e, false, &it) || match(lc, e, CAT(B_HALF) | CAT(B_NOTMONEY), &it) > 0)
        return j;
    if ((c > 0 || skip) && qualifier_before(lc, a->start, 0) == B_QBETWEEN)
        return j;
    a->plus += tenths / 10;
    return e;
}

enum { CL_NONE, CL_WA, CL_BI };   /* the clitic before an amount word */

/* An amount said in words from token j (its first skip bytes left out: the
 * clitic cl): a word amount, a number word before a multiplier or next to
 * a range separator, or a lone multiplier.  Fills *a from its number part
 * on. */
static bool amount_word(lex_cache *lc, int j, size_t skip, int cl, amount *a)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int c;
    /* most words are none of these: one lookup tells */
    if (match_from(lc, j, skip, CAT(B_WORDAMT) | CAT(B_NUMWORD) | CAT(B_UNIT), &it) == 0)
        return false;
    if ((c = match_from(lc, j, skip, CAT(B_WORDAMT), &it)) > 0
        && !(cl == CL_BI && (it->val & WF_ARTICLE))) {
        a->mant = word_amounts[it->val & 0xFF];
        a->mult = M_NONE;
        a->word = true;
        amount_tail(lc, j + c, true, a);
        a->bare_ok = false;
        return true;
    }
    int tenths, k = number_words(lc, j, skip, &tenths);
    if (k > j) {
        if (nlu_tok_is(tk, k, "a") && tenths == 5)
            k++;   /* "half a million" */
        const lex_item *u;
        int pv;
        bool puf;
        if (tenths % 10 == 0 && match(lc, k, CAT(B_POINT), &u) == 1
            && number_part(lc, k + 1, 0, &pv, &puf) == 1 && pv % 10 == 0 && pv <= 90) {
            tenths += pv / 10;   /* "two point five million": 2.5 */
            k += 2;
        }
        int h = tenths % 10 == 0 ? match(lc, k, CAT(B_HALF), &u) : 0;
        if (h > 0 && unit_at(lc, k + h, false, &u)) {
            tenths += 5;   /* "یک و نیم میلیون", "one and a half million" */
            k += h;
        }
        int m = unit_at(lc, k, false, &u);
        /* one side of a range takes the other side's unit: "от миллиона
         * до полутора", "two to three million", "بين اثنين وثلاثه ملايين";
         * alone it is not money (money_like() is false).  After "ب" only a
         * separator makes it one ("بخمسه الي سته ملايين"): "بست" is a word */
        bool side = cl == CL_BI ? match(lc, k, CAT(B_SEP), &u) > 0
                                : cl == CL_WA
                                      || (j > 0 && match(lc, j - 1, CAT(B_SEP) | CAT(B_SEPAND), &u) > 0)
                                      || match(lc, k, CAT(B_SEP) | CAT(B_SEPAND), &u) > 0
                                      || wa_prefix(tk, k);
        if (!m && side) {
            a->mant = tenths;
            a->dec = 1;
            a->end = k;
            return true;
        }
        if (!m || tk->t[k].len == 1)
            return false;   /* "two thousand" is fine, but "a m" is not */
        a->mant = tenths;
        a->dec = 1;
        a->mult = m;
        amount_tail(lc, k + 1, true, a);
        return true;
    }
    if (match_from(lc, j, skip, CAT(B_UNIT), &it) > 0 && (it->val & UF_STANDALONE)) {
        /* "مليون درهم", "under a million" handled above; a lone "million" */
        a->mant = 1;
        a->mult = it->val & 0xFF;
        amount_tail(lc, j + 1, true, a);
        return true;
    }
    return false;
}

/* Reads an amount that starts at token i, if any.  Returns true and fills
 * *a. */
static bool amount_at(lex_cache *lc, int i, amount *a)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    memset(a, 0, sizeof *a);
    a->cur = -1;
    a->suffix = -1;
    a->start = i;
    int j = i;
    /* a currency first: "AED 2M", "₹90L", "rs. 50 lakh" */
    int cur = is_currency_at(lc, j);
    if (cur >= 0) {
        int k = j + 1;
        if (nlu_tok_punct(tk, k, '.'))
            k++;
        if (!skip_tok(tk, k) && (tk->t[k].kind == TK_NUM
                                 || match(lc, k, CAT(B_NUMWORD) | CAT(B_WORDAMT) | CAT(B_UNIT), &it) > 0)) {
            a->cur = cur;
            j = k;
        } else {
            return false;
        }
    }
    if (skip_tok(tk, j))
        return false;
    if (tk->t[j].kind == TK_NUM) {
        int next;
        if (!parse_number(tk, j, &a->mant, &a->dec, &next, &a->grouped))
            return false;
        /* a leading zero without a decimal part is an id or a phone */
        if (tk->t[j].len > 1 && tk->s[tk->t[j].off] == '0' && a->dec == 0)
            a->notmoney = true;
        int64_t whole = a->mant;
        for (int k = 0; k < a->dec; k++)
            whole /= 10;
        a->bare_ok = whole >= 1000 && !(a->dec == 0 && whole >= 1900 && whole <= 2100);
        /* "2026-11-21" */
        if (nlu_tok_punct(tk, next, '-') && nlu_tok_attached(tk, next) && next + 1 < tk->n
            && tk->t[next + 1].kind == TK_NUM && nlu_tok_punct(tk, next + 2, '-'))
            a->notmoney = true;
        amount_tail(lc, next, false, a);
        return true;
    }
    if (amount_word(lc, j, 0, CL_NONE, a))
        return true;
    /* "ومليونين": the rest of the word after "and", when no currency came
     * first; the range and compound rules below read the "and" */
    size_t wa = j == i ? wa_prefix(tk, j) : 0;
    if (wa && amount_word(lc, j, wa, CL_WA, a)) {
        a->wa = true;
        return true;
    }
    /* "بمليون", "بمليوني درهم": "for" an amount; only an amount word after
     * the clitic counts ("بيت", "بحر", "برج" are words of their own) */
    size_t bi = j == i ? clitic_prefix(tk, j, BI) : 0;
    return bi && amount_word(lc, j, bi, CL_BI, a);
}

/* The qualifier that governs an amount starting at token s: among the
 * qualifiers that end at most 3 tokens before s (not crossing prev_end), the
 * one ending nearest, the longest on a tie ("not more than" over "more
 * than"); a budget keyword yields to any other ("budget is around 2M"). */
static int qualifier_before(lex_cache *lc, int s, int prev_end)
{
    int best = -1, best_end = -1, best_q = 0, other = -1, other_end = -1;
    for (int q = s - 1; q >= 0 && q >= s - 6 && q >= prev_end; q--) {
        const lex_item *it;
        int c = match(lc, q, QUAL_CATS, &it);
        if (c <= 0 || q + c > s || q + c < s - 3)
            continue;
        int e = q + c;
        if (e > best_end || (e == best_end && q < best_q)) {
            best = it->cat;
            best_end = e;
            best_q = q;
        }
        if (it->cat != B_QBUDGET && e > other_end) {
            other = it->cat;
            other_end = e;
        }
    }
    if (best == B_QBUDGET && other >= 0)
        best = other;
    return best;
}

static bool money_like(const amount *a)
{
    return !a->notmoney
           && (a->mult != M_NONE || a->cur >= 0 || a->word || (a->grouped && a->bare_ok)
               || (a->period_after && a->bare_ok));
}

/* ---- the period of a rent ---------------------------------------------- */

/* The period said with amount a (g's period cues; see the opening
 * comment): the longest phrase starting at a->end, which the amount then
 * takes in; else the nearest one ending at a->start or at most two tokens
 * before it, from prev_end on, with no punctuation between.  Amounts that
 * are no money (other than by "pm" after a number of at least 1000) get
 * none. */
static void amount_period(const nlu_gazetteer *g, const nlu_toks *tk, amount *a, int prev_end)
{
    int n = 0;
    if (g == NULL)
        return;
    rent_period p = nlu_gazetteer_period_at(g, tk, a->end, NLU_CUE_TOKS, &n);
    if (p != PERIOD_NONE && (!a->notmoney || a->bare_ok)) {
        a->notmoney = false;   /* "40,000 pm": per month, not a time */
        a->period = p;
        a->period_after = true;
        a->end += n;
        return;
    }
    if (a->notmoney)
        return;
    for (int s = a->start - 1; s >= prev_end && s >= a->start - 2 - NLU_CUE_TOKS; s--) {
        p = nlu_gazetteer_period_at(g, tk, s, NLU_CUE_TOKS, &n);
        int e = s + n;
        if (p == PERIOD_NONE || e > a->start || e < a->start - 2)
            continue;
        /* before the amount, a phrase counts when its first word alone is
         * one ("monthly budget 40k", "ماهانه ۶ هزار"): "in a month with 2M"
         * is a time, "a" no period */
        if (n > 1 && nlu_gazetteer_period_at(g, tk, s, 1, NULL) != p)
            continue;
        bool punct = false;
        for (int k = e; k < a->start; k++)
            punct |= tk->t[k].kind == TK_PUNCT;
        if (!punct) {
            a->period = p;
            return;
        }
    }
}

/* ---- the scan ---------------------------------------------------------- */

bool nlu_budget_scan(const nlu_toks *tk, const char *ctx_currency, const nlu_gazetteer *periods,
                     nlu_budget *out)
{
    pthread_once(&budget_once, budget_init);
    memset(out, 0, sizeof *out);
    lex_cache cache;
    lex_cache *lc = &cache;
    lex_cache_init(lc, &budget_lex, tk);

    amount am[MAX_AMOUNTS];
    int na = 0;
    for (int i = 0; i < tk->n && na < MAX_AMOUNTS;) {
        if (skip_tok(tk, i)) {
            i++;
            continue;
        }
        if (amount_at(lc, i, &am[na]) && am[na].end > i) {
            amount_period(periods, tk, &am[na], na > 0 ? am[na - 1].end : 0);
            i = am[na].end;
            na++;
        } else {
            i++;
        }
    }

    int cur = -1;
    bool lakh_crore = false;
    int prev_end = 0;
    for (int k = 0; k < na && !(out->has_min && out->has_max); k++) {
        amount *a = &am[k], *b = NULL;
        const lex_item *it;
        int q = qualifier_before(lc, a->start, prev_end);
        /* a compound amount: "2 million 500 thousand", "مليون و ٢٠٠ الف",
         * "دو میلیون و پانصد هزار" (a whole number of the larger unit,
         * then less than one of it; "between X and Y" stays a range) */
        int64_t p10 = 1;
        for (int d = 0; d < a->dec; d++)
            p10 *= 10;
        if (k + 1 < na && a->mant % p10 == 0 && a->mult >= M_CRORE && !a->notmoney) {
            amount *n2 = &am[k + 1];
            /* said right after it, or after "and" ("و", "ومليون") */
            bool next_to = n2->start == a->end && !n2->wa;
            int c = n2->start == a->end ? 0 : match(lc, a->end, CAT(B_SEPAND), &it);
            bool anded = (c > 0 && n2->start == a->end + c) || (n2->wa && n2->start == a->end);
            int64_t v2 = amount_value(n2, n2->mult);
            if ((next_to || (anded && q != B_QBETWEEN)) &&
                !n2->notmoney && n2->mult != M_NONE && v2 > 0 && v2 < mult_value[a->mult] &&
                (n2->cur < 0 || a->cur < 0 || n2->cur == a->cur)) {
                a->plus += v2;
                a->end = n2->end;
                if (a->cur < 0)
                    a->cur = n2->cur;
                if (n2->suffix >= 0)
                    a->suffix = n2->suffix;
                memmove(n2, n2 + 1, sizeof *n2 * (size_t)(na - k - 2));
                na--;
            }
        }
        /* a range: a SEP b, or a AND b after "between" */
        if (k + 1 < na) {
            int sep = a->end, c = match(lc, sep, CAT(B_SEP) | CAT(B_SEPAND), &it);
            if (c > 0 && am[k + 1].start == sep + c
                && (it->cat == B_SEP || q == B_QBETWEEN))
                b = &am[k + 1];
            /* "بين مليون ومليونين": the "and" is on the second amount */
            if (c == 0 && am[k + 1].wa && am[k + 1].start == sep && q == B_QBETWEEN)
                b = &am[k + 1];
            /* "from X to Y" with "to" read as a separator, not "up to" */
        }
        if (b) {
            if (a->notmoney || b->notmoney) {
                prev_end = b->end;
                k++;
                continue;
            }
            amount ra = *a, rb = *b;
            if (ra.cur < 0)
                ra.cur = rb.cur;
            if (rb.cur < 0)
                rb.cur = ra.cur;
            /* a word amount ("مليونين", "half a million") is whole: it
             * neither lends nor borrows a multiplier */
            if (ra.mult == M_NONE && rb.mult != M_NONE && !ra.word && !rb.word) {
                amount t = ra;
                t.mult = rb.mult;
                int64_t vt = amount_value(&t, t.mult), vb = amount_value(&rb, rb.mult);
                if (vt >= 0 && vb >= 0 && (vt <= vb || !ra.bare_ok))
                    ra.mult = rb.mult;
            } else if (rb.mult == M_NONE && ra.mult != M_NONE && !rb.word && !ra.word) {
                rb.mult = ra.mult;
            }
            bool ok = money_like(&ra) || money_like(&rb)
                      || (q >= 0 && ra.bare_ok && rb.bare_ok);
            if (ok) {
                int64_t v1 = amount_value(&ra, ra.mult), v2 = amount_value(&rb, rb.mult);
                if (v1 >= 0 && v2 >= 0) {
                    if (v1 > v2) {
                        int64_t t = v1;
                        v1 = v2;
                        v2 = t;
                    }
                    out->has_min = out->has_max = true;
                    out->min = v1;
                    out->max = v2;
                    if (cur < 0)
                        cur = ra.cur;
                    out->period = ra.period ? ra.period : rb.period;
                    lakh_crore |= ra.mult == M_LAKH || ra.mult == M_CRORE
                                  || rb.mult == M_LAKH || rb.mult == M_CRORE;
                    break;
                }
            }
            prev_end = b->end;
            k++;
            continue;
        }
        prev_end = a->end;
        if (a->notmoney)
            continue;
        if (!money_like(a) && !(q >= 0 && a->bare_ok))
            continue;
        int64_t v = amount_value(a, a->mult);
        if (v < 0)
            continue;
        int side = a->suffix == B_SUFMIN ? B_QMIN : a->suffix == B_SUFMAX ? B_QMAX : q;
        bool used = false;
        switch (side) {
        case B_QMIN:
        case B_QFROM:
            if (!out->has_min && (!out->has_max || v <= out->max)) {
                out->has_min = true;
                out->min = v;
                used = true;
            }
            break;
        case B_QAROUND:
            if (!out->has_min && !out->has_max) {
                out->has_min = out->has_max = true;
                out->min = (v / 10) * 9 + ((v % 10) * 9 + 5) / 10;
                out->max = (v / 10) * 11 + ((v % 10) * 11 + 5) / 10;
                used = true;
            }
            break;
        default:   /* max, budget, between without a pair, none */
            if (!out->has_max && (!out->has_min || v >= out->min)) {
                out->has_max = true;
                out->max = v;
                used = true;
            }
            break;
        }
        if (used) {
            if (cur < 0)
                cur = a->cur;
            if (out->period == PERIOD_NONE)
                out->period = a->period;
            lakh_crore |= a->mult == M_LAKH || a->mult == M_CRORE;
        }
    }
    if (!out->has_min && !out->has_max)
        return false;
    const char *code = cur >= 0 ? currencies[cur]
                       : (ctx_currency && ctx_currency[0]) ? ctx_currency
                       : lakh_crore ? "INR" : "";
    size_t cl = strlen(code);
    if (cl > 3)
        cl = 3;
    memcpy(out->currency, code, cl);
    out->currency[cl] = '\0';
    return true;
}

bool nlu_parse_budget(const char *norm, size_t len, const char *ctx_currency, nlu_budget *out)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, len);
    return nlu_budget_scan(&tk, ctx_currency, NULL, out);
}

bool nlu_budget_money_context(const nlu_toks *tk, int i, int j)
{
    const lex_item *it;
    pthread_once(&budget_once, budget_init);
    lex_cache cache;
    lex_cache *lc = &cache;
    lex_cache_init(lc, &budget_lex, tk);
    if (j < tk->n && (match(lc, j, CAT(B_UNIT) | CAT(B_CUR), &it) > 0))
        return true;
    if (i > 0 && match(lc, i - 1, CAT(B_CUR), &it) > 0)
        return true;
    if (i > 1 && nlu_tok_punct(tk, i - 1, '.') && match(lc, i - 2, CAT(B_CUR), &it) > 0)
        return true;
    for (int q = i - 1; q >= 0 && q >= i - 3; q--)
        if (match(lc, q, QUAL_CATS, &it) > 0)
            return true;
    return false;
}
