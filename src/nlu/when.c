/*
 * when.c - a visit or call time in a normalised message, resolved against
 * the tenant's clock: "tomorrow at 5pm" said in Dubai at 2026-11-20 09:00
 * is "2026-11-21T17:00" (CONTRACT.md §4 "when", local time of the tenant).
 *
 * Days: today/tonight, tomorrow, day after tomorrow, weekdays ("on
 * Saturday", "this Saturday": the next such day, today included, except
 * that a bare weekday with no time, said on that day after 17:00 (the working
 * day over), is next week's; "next Monday": strictly after today), "next week" (the next Monday), "this
 * weekend" (Saturday; today when it is Saturday or Sunday), "in N days",
 * ISO dates (2026-11-21), day/month dates (21/11, 21.11.2026, "21 Nov",
 * "November 21st", "21 ноября"; a date already past this year means next
 * year), and the Arabic (اليوم غدا بكره بعد غد السبت ... القادم), Persian
 * (امروز فردا پس فردا شنبه ... بعد) and Russian (сегодня завтра послезавтра
 * в субботу в следующий понедельник) forms.
 * Times: "5pm", "5:30 pm", "17:00", "at 5", "10am", "noon", "5 o'clock",
 * الساعه 5، ساعت 5، в 5 вечера, "in 2 hours", "in an hour", "after 10 minutes",
 * "через 15 минут", "after 5" (as "at 5"); an hour in words after "at"
 * or before am/pm ("at ten", "в десять утра", "ساعت ده", "الساعه العاشره",
 * one to twelve; not "в три спальни"); day parts morning 10:00,
 * noon 12:00, afternoon 15:00, evening 18:00, night 20:00 (صباحا/الصبح،
 * الظهر، العصر، مساء، بالليل; صبح، ظهر، بعد از ظهر، عصر، شب; утром, днем,
 * вечером, ночью).  An hour without am/pm is read in business hours: 1-7
 * are afternoon (at 5 -> 17:00), unless a day part says otherwise.  A time
 * alone that has already passed today means tomorrow.  Greetings ("good
 * morning", "صباح الخير", "доброе утро") are not times.
 *
 * The zone's UTC offset comes from util/tz (TZif files, thread-safe, no
 * global TZ), with built-in offsets for the common zones as a fallback.
 *
 * Not for: checking agent availability (dialog) or date formatting for
 * replies.
 */
#include "nlu/entities_int.h"
#include "util/tz.h"

#include <pthread.h>
#include <string.h>

enum {
    W_REL = 0,      /* val: days from today */
    W_TONIGHT,      /* today, night */
    W_WEEKDAY,      /* val: 0 = Monday .. 6 = Sunday */
    W_NEXT,         /* "next", "القادم", "بعد", "следующ*" */
    W_THIS,
    W_NEXTWEEK,
    W_WEEKEND,
    W_DAYPART,      /* val: DP_* */
    W_AM, W_PM,     /* after an hour */
    W_AT,           /* "at", "الساعه", "ساعت", "в" */
    W_OCLOCK,
    W_GREETING,
    W_MONTH,        /* val: 1..12 */
    W_IN,           /* "in", "через", "بعد" (+ N unit) */
    W_UNIT_DAY, W_UNIT_WEEK, W_UNIT_HOUR, W_UNIT_MIN,
    W_TWO_DAYS,     /* "يومين" */
    W_LATER,        /* "ديگه" in "3 روز ديگه" */
    W_NOTTIME,      /* a word after a number that is not a time */
    W_ORD,          /* st nd rd th */
    W_OF,
    W_HOURWORD,     /* val: 1..12, an hour in words ("ten", "десять", "ده", "العاشره") */
};

enum { DP_NONE = 0, DP_MORNING, DP_NOON, DP_AFTERNOON, DP_EVENING, DP_NIGHT };
static const int dp_hour[] = {0, 10, 12, 15, 18, 20};

static const lex_item when_items[] = {
    {"today", W_REL, 0}, {"tomorrow", W_REL, 1}, {"day after tomorrow", W_REL, 2},
    {"the day after tomorrow", W_REL, 2}, {"overmorrow", W_REL, 2}, {"tonight", W_TONIGHT, 0},
    {"اليوم", W_REL, 0}, {"غدا", W_REL, 1}, {"بكره", W_REL, 1}, {"بكرا", W_REL, 1},
    {"باكر", W_REL, 1}, {"الغد", W_REL, 1}, {"بعد غد", W_REL, 2}, {"بعد بكره", W_REL, 2},
    {"بعد بكرا", W_REL, 2}, {"الليله", W_TONIGHT, 0},
    {"امروز", W_REL, 0}, {"فردا", W_REL, 1}, {"پس فردا", W_REL, 2}, {"پسفردا", W_REL, 2},
    {"امشب", W_TONIGHT, 0},
    {"сегодня", W_REL, 0}, {"завтра", W_REL, 1}, {"послезавтра", W_REL, 2},
    {"сегодня вечером", W_TONIGHT, 0},
    /* weekdays */
    {"monday", W_WEEKDAY, 0}, {"mon", W_WEEKDAY, 0}, {"tuesday", W_WEEKDAY, 1},
    {"tue", W_WEEKDAY, 1}, {"tues", W_WEEKDAY, 1}, {"wednesday", W_WEEKDAY, 2},
    {"wed", W_WEEKDAY, 2}, {"thursday", W_WEEKDAY, 3}, {"thu", W_WEEKDAY, 3},
    {"thur", W_WEEKDAY, 3}, {"thurs", W_WEEKDAY, 3}, {"friday", W_WEEKDAY, 4},
    {"fri", W_WEEKDAY, 4}, {"saturday", W_WEEKDAY, 5}, {"sat", W_WEEKDAY, 5},
    {"sunday", W_WEEKDAY, 6},
    {"الاثنين", W_WEEKDAY, 0}, {"الاتنين", W_WEEKDAY, 0}, {"اثنين", W_WEEKDAY, 0},
    {"الثلاثاء", W_WEEKDAY, 1}, {"الثلاثا", W_WEEKDAY, 1}, {"الاربعاء", W_WEEKDAY, 2},
    {"الاربعا", W_WEEKDAY, 2}, {"الخميس", W_WEEKDAY, 3}, {"الجمعه", W_WEEKDAY, 4},
    {"السبت", W_WEEKDAY, 5}, {"الاحد", W_WEEKDAY, 6},
    {"دوشنبه", W_WEEKDAY, 0}, {"دو شنبه", W_WEEKDAY, 0}, {"سه شنبه", W_WEEKDAY, 1},
    {"سهشنبه", W_WEEKDAY, 1}, {"چهارشنبه", W_WEEKDAY, 2}, {"چهار شنبه", W_WEEKDAY, 2},
    {"پنجشنبه", W_WEEKDAY, 3}, {"پنج شنبه", W_WEEKDAY, 3}, {"جمعه", W_WEEKDAY, 4},
    {"شنبه", W_WEEKDAY, 5}, {"يكشنبه", W_WEEKDAY, 6}, {"يك شنبه", W_WEEKDAY, 6},
    {"понедельник*", W_WEEKDAY, 0}, {"вторник*", W_WEEKDAY, 1}, {"среду", W_WEEKDAY, 2},
    {"среда", W_WEEKDAY, 2}, {"четверг*", W_WEEKDAY, 3}, {"пятниц*", W_WEEKDAY, 4},
    {"суббот*", W_WEEKDAY, 5}, {"воскресень*", W_WEEKDAY, 6},
    /* next / this */
    {"next", W_NEXT, 0}, {"coming", W_NEXT, 0}, {"this coming", W_NEXT, 0},
    {"following", W_NEXT, 0}, {"القادم", W_NEXT, 0}, {"القادمه", W_NEXT, 0},
    {"الجاي", W_NEXT, 0}, {"الجايه", W_NEXT, 0}, {"المقبل", W_NEXT, 0},
    {"المقبله", W_NEXT, 0}, {"بعد", W_NEXT, 0}, {"اينده", W_NEXT, 0}, {"بعدي", W_NEXT, 0},
    {"следующ*", W_NEXT, 0},
    /* val 1: "this" itself ("this Saturday": today's, whatever the hour) */
    {"this", W_THIS, 1}, {"on", W_THIS, 0}, {"هذا", W_THIS, 1}, {"يوم", W_THIS, 0},
    {"اين", W_THIS, 1}, {"эту", W_THIS, 1}, {"этот", W_THIS, 1}, {"эта", W_THIS, 1},
    /* weeks, weekends */
    {"next week", W_NEXTWEEK, 0}, {"the following week", W_NEXTWEEK, 0},
    {"الاسبوع القادم", W_NEXTWEEK, 0}, {"الاسبوع الجاي", W_NEXTWEEK, 0},
    {"الاسبوع المقبل", W_NEXTWEEK, 0}, {"الاسبوع الياي", W_NEXTWEEK, 0},
    {"هفته بعد", W_NEXTWEEK, 0}, {"هفته ديگه", W_NEXTWEEK, 0}, {"هفته ديگر", W_NEXTWEEK, 0},
    {"هفته اينده", W_NEXTWEEK, 0}, {"هفته ي بعد", W_NEXTWEEK, 0},
    {"на следующей неделе", W_NEXTWEEK, 0}, {"следующей неделе", W_NEXTWEEK, 0},
    {"weekend", W_WEEKEND, 0}, {"this weekend", W_WEEKEND, 0}, {"الويكند", W_WEEKEND, 0},
    {"نهايه الاسبوع", W_WEEKEND, 0}, {"اخر الاسبوع", W_WEEKEND, 0},
    {"اخر هفته", W_WEEKEND, 0}, {"تعطيلات", W_WEEKEND, 0}, {"выходные", W_WEEKEND, 0},
    {"на выходных", W_WEEKEND, 0},
    /* day parts */
    {"morning", W_DAYPART, DP_MORNING}, {"in the morning", W_DAYPART, DP_MORNING},
    {"noon", W_DAYPART, DP_NOON}, {"midday", W_DAYPART, DP_NOON},
    {"afternoon", W_DAYPART, DP_AFTERNOON}, {"in the afternoon", W_DAYPART, DP_AFTERNOON},
    {"evening", W_DAYPART, DP_EVENING}, {"in the evening", W_DAYPART, DP_EVENING},
    {"night", W_DAYPART, DP_NIGHT}, {"at night", W_DAYPART, DP_NIGHT},
    {"صباحا", W_DAYPART, DP_MORNING}, {"الصبح", W_DAYPART, DP_MORNING},
    {"الصباح", W_DAYPART, DP_MORNING}, {"صباح", W_DAYPART, DP_MORNING},
    {"ظهرا", W_DAYPART, DP_NOON}, {"الظهر", W_DAYPART, DP_NOON},
    {"العصر", W_DAYPART, DP_AFTERNOON}, {"عصرا", W_DAYPART, DP_AFTERNOON},
    {"بعد الظهر", W_DAYPART, DP_AFTERNOON}, {"مساء", W_DAYPART, DP_EVENING},
    {"مساءا", W_DAYPART, DP_EVENING}, {"المساء", W_DAYPART, DP_EVENING},
    {"بالليل", W_DAYPART, DP_NIGHT}, {"ليلا", W_DAYPART, DP_NIGHT},
    {"صبح", W_DAYPART, DP_MORNING}, {"ظهر", W_DAYPART, DP_NOON},
    {"بعد از ظهر", W_DAYPART, DP_AFTERNOON}, {"بعدازظهر", W_DAYPART, DP_AFTERNOON},
    {"بعد ازظهر", W_DAYPART, DP_AFTERNOON}, {"عصر", W_DAYPART, DP_AFTERNOON},
    {"غروب", W_DAYPART, DP_EVENING}, {"شب", W_DAYPART, DP_NIGHT},
    {"утром", W_DAYPART, DP_MORNING}, {"днем", W_DAYPART, DP_AFTERNOON},
    {"вечером", W_DAYPART, DP_EVENING}, {"ночью", W_DAYPART, DP_NIGHT},
    {"в полдень", W_DAYPART, DP_NOON}, {"полдень", W_DAYPART, DP_NOON},
    /* am / pm after an hour */
    {"am", W_AM, 0}, {"pm", W_PM, 0}, {"a . m", W_AM, 0}, {"p . m", W_PM, 0},
    {"утра", W_AM, 0}, {"ночи", W_AM, 0}, {"дня", W_PM, 0}, {"вечера", W_PM, 0},
    {"ص", W_AM, 0}, {"م", W_PM, 0},
    {"at", W_AT, 0}, {"@", W_AT, 0}, {"around", W_AT, 0}, {"by", W_AT, 0},
    {"الساعه", W_AT, 0}, {"ساعه", W_AT, 0}, {"ساعت", W_AT, 0},
    {"в", W_AT, 0}, {"к", W_AT, 0}, {"около", W_AT, 0},
    /* an hour in words: a time only after "at" or before am/pm/o'clock
     * ("at ten", "в десять утра", "ساعت ده", "الساعه العاشره") */
    {"one", W_HOURWORD, 1}, {"two", W_HOURWORD, 2}, {"three", W_HOURWORD, 3},
    {"four", W_HOURWORD, 4}, {"five", W_HOURWORD, 5}, {"six", W_HOURWORD, 6},
    {"seven", W_HOURWORD, 7}, {"eight", W_HOURWORD, 8}, {"nine", W_HOURWORD, 9},
    {"ten", W_HOURWORD, 10}, {"eleven", W_HOURWORD, 11}, {"twelve", W_HOURWORD, 12},
    {"два", W_HOURWORD, 2}, {"три", W_HOURWORD, 3}, {"четыре", W_HOURWORD, 4},
    {"пять", W_HOURWORD, 5}, {"шесть", W_HOURWORD, 6}, {"семь", W_HOURWORD, 7},
    {"восемь", W_HOURWORD, 8}, {"девять", W_HOURWORD, 9}, {"десять", W_HOURWORD, 10},
    {"одиннадцать", W_HOURWORD, 11}, {"двенадцать", W_HOURWORD, 12},
    {"يك", W_HOURWORD, 1}, {"دو", W_HOURWORD, 2}, {"سه", W_HOURWORD, 3},
    {"چهار", W_HOURWORD, 4}, {"پنج", W_HOURWORD, 5}, {"شش", W_HOURWORD, 6},
    {"هفت", W_HOURWORD, 7}, {"هشت", W_HOURWORD, 8}, {"نه", W_HOURWORD, 9},
    {"ده", W_HOURWORD, 10}, {"يازده", W_HOURWORD, 11}, {"دوازده", W_HOURWORD, 12},
    {"واحده", W_HOURWORD, 1}, {"اثنين", W_HOURWORD, 2}, {"ثنتين", W_HOURWORD, 2},
    {"ثلاثه", W_HOURWORD, 3}, {"اربعه", W_HOURWORD, 4}, {"خمسه", W_HOURWORD, 5},
    {"سته", W_HOURWORD, 6}, {"سبعه", W_HOURWORD, 7}, {"ثمانيه", W_HOURWORD, 8},
    {"تسعه", W_HOURWORD, 9}, {"عشره", W_HOURWORD, 10}, {"احدعش", W_HOURWORD, 11},
    {"اطنعش", W_HOURWORD, 12}, {"الواحده", W_HOURWORD, 1}, {"الثانيه", W_HOURWORD, 2},
    {"الثالثه", W_HOURWORD, 3}, {"الرابعه", W_HOURWORD, 4}, {"الخامسه", W_HOURWORD, 5},
    {"السادسه", W_HOURWORD, 6}, {"السابعه", W_HOURWORD, 7}, {"الثامنه", W_HOURWORD, 8},
    {"التاسعه", W_HOURWORD, 9}, {"العاشره", W_HOURWORD, 10},
    {"الحاديه عشره", W_HOURWORD, 11}, {"الثانيه عشره", W_HOURWORD, 12},
    {"o'clock", W_OCLOCK, 0}, {"oclock", W_OCLOCK, 0}, {"hrs", W_OCLOCK, 0},
    {"h", W_OCLOCK, 0}, {"час", W_OCLOCK, 0}, {"часа", W_OCLOCK, 0}, {"часов", W_OCLOCK, 0},
    /* greetings */
    {"good morning", W_GREETING, 0}, {"good afternoon", W_GREETING, 0},
    {"good evening", W_GREETING, 0}, {"good night", W_GREETING, 0},
    {"morning all", W_GREETING, 0},
    {"صباح الخير", W_GREETING, 0}, {"صباح النور", W_GREETING, 0},
    {"مساء الخير", W_GREETING, 0}, {"مساء النور", W_GREETING, 0},
    {"صبح بخير", W_GREETING, 0}, {"شب بخير", W_GREETING, 0}, {"روز بخير", W_GREETING, 0},
    {"عصر بخير", W_GREETING, 0}, {"доброе утро", W_GREETING, 0},
    {"добрый вечер", W_GREETING, 0}, {"добрый день", W_GREETING, 0},
    {"спокойной ночи", W_GREETING, 0},
    /* months */
    {"jan", W_MONTH, 1}, {"january", W_MONTH, 1}, {"feb", W_MONTH, 2}, {"february", W_MONTH, 2},
    {"mar", W_MONTH, 3}, {"march", W_MONTH, 3}, {"apr", W_MONTH, 4}, {"april", W_MONTH, 4},
    {"may", W_MONTH, 5}, {"jun", W_MONTH, 6}, {"june", W_MONTH, 6}, {"jul", W_MONTH, 7},
    {"july", W_MONTH, 7}, {"aug", W_MONTH, 8}, {"august", W_MONTH, 8}, {"sep", W_MONTH, 9},
    {"sept", W_MONTH, 9}, {"september", W_MONTH, 9}, {"oct", W_MONTH, 10},
    {"october", W_MONTH, 10}, {"nov", W_MONTH, 11}, {"november", W_MONTH, 11},
    {"dec", W_MONTH, 12}, {"december", W_MONTH, 12},
    {"январ*", W_MONTH, 1}, {"феврал*", W_MONTH, 2}, {"марта", W_MONTH, 3},
    {"март", W_MONTH, 3}, {"апрел*", W_MONTH, 4}, {"мая", W_MONTH, 5}, {"май", W_MONTH, 5},
    {"июн*", W_MONTH, 6}, {"июл*", W_MONTH, 7}, {"августа", W_MONTH, 8},
    {"август", W_MONTH, 8}, {"сентябр*", W_MONTH, 9}, {"октябр*", W_MONTH, 10},
    {"ноябр*", W_MONTH, 11}, {"декабр*", W_MONTH, 12},
    {"يناير", W_MONTH, 1}, {"فبراير", W_MONTH, 2}, {"مارس", W_MONTH, 3}, {"ابريل", W_MONTH, 4},
    {"مايو", W_MONTH, 5}, {"يونيو", W_MONTH, 6}, {"يوليو", W_MONTH, 7}, {"اغسطس", W_MONTH, 8},
    {"سبتمبر", W_MONTH, 9}, {"اكتوبر", W_MONTH, 10}, {"نوفمبر", W_MONTH, 11},
    {"ديسمبر", W_MONTH, 12},
    /* "in 3 days" */
    {"in", W_IN, 0}, {"after", W_IN, 0}, {"через", W_IN, 0}, {"بعد", W_IN, 0},
    {"после", W_IN, 0},
    {"day", W_UNIT_DAY, 0}, {"days", W_UNIT_DAY, 0}, {"ايام", W_UNIT_DAY, 0},
    {"يوم", W_UNIT_DAY, 0}, {"روز", W_UNIT_DAY, 0}, {"день", W_UNIT_DAY, 0},
    {"дня", W_UNIT_DAY, 0}, {"дней", W_UNIT_DAY, 0},
    {"week", W_UNIT_WEEK, 0}, {"weeks", W_UNIT_WEEK, 0}, {"اسبوع", W_UNIT_WEEK, 0},
    {"اسابيع", W_UNIT_WEEK, 0}, {"هفته", W_UNIT_WEEK, 0}, {"неделю", W_UNIT_WEEK, 0},
    {"недели", W_UNIT_WEEK, 0}, {"недель", W_UNIT_WEEK, 0},
    {"hour", W_UNIT_HOUR, 0}, {"hours", W_UNIT_HOUR, 0}, {"ساعات", W_UNIT_HOUR, 0},
    {"час", W_UNIT_HOUR, 0}, {"часа", W_UNIT_HOUR, 0}, {"часов", W_UNIT_HOUR, 0},
    {"min", W_UNIT_MIN, 0}, {"mins", W_UNIT_MIN, 0}, {"minute", W_UNIT_MIN, 0},
    {"minutes", W_UNIT_MIN, 0}, {"минут*", W_UNIT_MIN, 0}, {"دقيقه", W_UNIT_MIN, 0},
    {"دقايق", W_UNIT_MIN, 0}, {"دقائق", W_UNIT_MIN, 0},
    {"يومين", W_TWO_DAYS, 0},
    {"ديگه", W_LATER, 0}, {"ديگر", W_LATER, 0}, {"later", W_LATER, 0},
    /* not a time after "at N" */
    {"bhk", W_NOTTIME, 0}, {"br", W_NOTTIME, 0}, {"bed", W_NOTTIME, 0},
    {"bedroom", W_NOTTIME, 0}, {"bedrooms", W_NOTTIME, 0}, {"million", W_NOTTIME, 0},
    {"k", W_NOTTIME, 0}, {"m", W_NOTTIME, 0}, {"lakh", W_NOTTIME, 0}, {"lakhs", W_NOTTIME, 0},
    {"cr", W_NOTTIME, 0}, {"crore", W_NOTTIME, 0}, {"aed", W_NOTTIME, 0},
    {"inr", W_NOTTIME, 0}, {"sqft", W_NOTTIME, 0}, {"%", W_NOTTIME, 0},
    {"point", W_NOTTIME, 0},   /* "at one point" */
    {"percent", W_NOTTIME, 0}, {"years", W_NOTTIME, 0}, {"floor", W_NOTTIME, 0},
    {"млн", W_NOTTIME, 0}, {"спальн*", W_NOTTIME, 0}, {"комнат*", W_NOTTIME, 0},
    {"مليون", W_NOTTIME, 0}, {"غرف", W_NOTTIME, 0}, {"ميليون", W_NOTTIME, 0},
    {"خوابه", W_NOTTIME, 0}, {"درهم", W_NOTTIME, 0},
    {"st", W_ORD, 0}, {"nd", W_ORD, 0}, {"rd", W_ORD, 0}, {"th", W_ORD, 0},
    {"of", W_OF, 0},
};

static lex_table when_lex;
static pthread_once_t when_once = PTHREAD_ONCE_INIT;

static void when_init(void)
{
    lex_build(&when_lex, when_items, (int)(sizeof when_items / sizeof when_items[0]));
}

#define CAT(c) (1u << (c))

static int wmatch(lex_cache *lc, int i, unsigned cats, const lex_item **it)
{
    return lex_cmatch(lc, i, cats, it);
}

/* ---- time zones ----------------------------------------------------------- */

static const struct {
    const char *name;
    int offset;
} tz_fallback[] = {
    {"Asia/Dubai", 14400},    {"Asia/Muscat", 14400},   {"Asia/Kolkata", 19800},
    {"Asia/Calcutta", 19800}, {"Asia/Riyadh", 10800},   {"Asia/Qatar", 10800},
    {"Asia/Bahrain", 10800},  {"Asia/Kuwait", 10800},   {"Europe/Moscow", 10800},
    {"Asia/Tehran", 12600},   {"Asia/Karachi", 18000},  {"UTC", 0},
    {"Etc/UTC", 0},           {"GMT", 0},
};

int nlu_tz_offset(const char *tz, time_t t)
{
    int off = 0;
    if (tz == NULL || tz[0] == '\0')
        return 0;
    if (tz_offset(tz, t, &off) == 0)
        return off;
    for (size_t i = 0; i < sizeof tz_fallback / sizeof tz_fallback[0]; i++)
        if (strcmp(tz_fallback[i].name, tz) == 0)
            return tz_fallback[i].offset;
    return 0;
}

/* ---- civil dates ------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int64_t floordiv(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- the parse ---------------------------------------------------------- */

typedef struct when_parse {
    int day_off;          /* -1 */
    int weekday;          /* -1 */
    bool wd_next;         /* "next Saturday": strictly after today */
    bool wd_this;         /* "this Saturday": today included, whatever the hour */
    bool has_date;
    int y, m, d;          /* y 0: this year or next */
    bool next_week, weekend;
    int hour, minute;     /* -1 */
    int ampm;             /* 0, 1 am, 2 pm */
    int daypart;
    int64_t plus_min;     /* "in 2 hours", "after 10 minutes": minutes, -1 */
    int dom;              /* "the 25th": day of month alone, 0 none */
} when_parse;

static bool num_len(const nlu_toks *tk, int i, int lo, int hi)
{
    return i >= 0 && i < tk->n && tk->t[i].kind == TK_NUM && tk->t[i].len >= lo
           && tk->t[i].len <= hi && !(tk->t[i].flags & (TF_PHONE | TF_EMAIL));
}

static bool punct_att(const nlu_toks *tk, int i, char c)
{
    return nlu_tok_punct(tk, i, c) && nlu_tok_attached(tk, i);
}

static void set_date(when_parse *w, int y, int m, int d)
{
    if (w->has_date || m < 1 || m > 12 || d < 1)
        return;
    if (y != 0 && (y < 1970 || y > 2200))
        return;
    if (d > days_in_month(y ? y : 2000, m))
        return;
    w->has_date = true;
    w->y = y;
    w->m = m;
    w->d = d;
}

/* am/pm or a day part after an hour at token j; returns tokens used. */
static int hour_suffix(lex_cache *lc, int j, when_parse *w)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int c = wmatch(lc, j, CAT(W_AM) | CAT(W_PM) | CAT(W_OCLOCK), &it);
    if (c > 0) {
        if (it->cat == W_AM)
            w->ampm = 1;
        else if (it->cat == W_PM)
            w->ampm = 2;
        /* "a.m." / "p.m." leave a final '.' */
        if (nlu_tok_punct(tk, j + c, '.') && it->cat != W_OCLOCK)
            c++;
        int c2 = wmatch(lc, j + c, CAT(W_AM) | CAT(W_PM), &it);
        if (c2 > 0) {
            w->ampm = it->cat == W_AM ? 1 : 2;
            c += c2;
        }
        return c;
    }
    return 0;
}

static void set_time(when_parse *w, int h, int min)
{
    if (w->hour >= 0 || h < 0 || h > 24 || min < 0 || min > 59)
        return;
    w->hour = h == 24 ? 0 : h;
    w->minute = min;
}

/* Tries the number forms at NUM token i; returns tokens consumed or 0. */
static int at_number(lex_cache *lc, int i, bool after_at, bool after_in, when_parse *w)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int64_t a = nlu_tok_num(tk, i);
    int c;
    /* 2026-11-21 */
    if (num_len(tk, i, 4, 4) && punct_att(tk, i + 1, '-') && num_len(tk, i + 2, 1, 2)
        && nlu_tok_attached(tk, i + 2) && punct_att(tk, i + 3, '-') && num_len(tk, i + 4, 1, 2)
        && nlu_tok_attached(tk, i + 4)) {
        set_date(w, (int)a, (int)nlu_tok_num(tk, i + 2), (int)nlu_tok_num(tk, i + 4));
        return 5;
    }
    /* 21/11[/2026], 21.11.2026, 21-11-2026 */
    if (num_len(tk, i, 1, 2)) {
        char sep = punct_att(tk, i + 1, '/') ? '/' : punct_att(tk, i + 1, '.') ? '.'
                   : punct_att(tk, i + 1, '-') ? '-' : 0;
        /* "24/7" (round the clock) is not the 24th of July */
        if (sep == '/' && a == 24 && num_len(tk, i + 2, 1, 1) && nlu_tok_num(tk, i + 2) == 7 &&
            !punct_att(tk, i + 3, '/'))
            return 3;
        if (sep && num_len(tk, i + 2, 1, 2) && nlu_tok_attached(tk, i + 2)) {
            int d = (int)a, m = (int)nlu_tok_num(tk, i + 2);
            if (punct_att(tk, i + 3, sep) && (num_len(tk, i + 4, 4, 4) || num_len(tk, i + 4, 2, 2))
                && nlu_tok_attached(tk, i + 4)) {
                int y = (int)nlu_tok_num(tk, i + 4);
                if (y < 100)
                    y += 2000;
                set_date(w, y, m, d);
                return 5;
            }
            if (sep == '/' && wmatch(lc, i + 3, CAT(W_NOTTIME), &it) == 0) {
                set_date(w, 0, m, d);
                return 3;
            }
        }
    }
    /* 17:00, 5:30 pm, 5.30pm */
    if (num_len(tk, i, 1, 2) && (punct_att(tk, i + 1, ':') || punct_att(tk, i + 1, '.'))
        && num_len(tk, i + 2, 2, 2) && nlu_tok_attached(tk, i + 2)) {
        bool colon = nlu_tok_punct(tk, i + 1, ':');
        when_parse tmp = *w;
        int s = hour_suffix(lc, i + 3, &tmp);
        if (colon || tmp.ampm) {
            int h = (int)a, mi = (int)nlu_tok_num(tk, i + 2);
            if (h <= 24 && mi <= 59) {
                w->ampm = tmp.ampm ? tmp.ampm : w->ampm;
                set_time(w, h, mi);
                return 3 + s;
            }
        }
    }
    /* 21 nov, 21st of november */
    if (num_len(tk, i, 1, 2)) {
        int j = i + 1;
        if (wmatch(lc, j, CAT(W_ORD), &it) > 0 && nlu_tok_attached(tk, j))
            j++;
        if (wmatch(lc, j, CAT(W_OF), &it) > 0)
            j++;
        if ((c = wmatch(lc, j, CAT(W_MONTH), &it)) > 0) {
            int y = 0, k = j + c;
            if (num_len(tk, k, 4, 4)) {
                y = (int)nlu_tok_num(tk, k);
                k++;
            }
            set_date(w, y, it->val, (int)a);
            return k - i;
        }
    }
    /* "on the 25th": a day of this month, or of the next once it has passed */
    const lex_item *nx;
    if (num_len(tk, i, 1, 2) && a >= 1 && a <= 31 && wmatch(lc, i + 1, CAT(W_ORD), &it) > 0
        && nlu_tok_attached(tk, i + 1) && !w->has_date
        && (i + 2 >= tk->n || tk->t[i + 2].kind == TK_PUNCT
            || wmatch(lc, i + 2, ~0u & ~CAT(W_NOTTIME), &nx) > 0)) {
        w->dom = (int)a;
        return 2;
    }
    /* in 3 days / через 2 дня / 3 روز ديگه / in 2 hours */
    if (num_len(tk, i, 1, 3)) {
        const unsigned units = CAT(W_UNIT_DAY) | CAT(W_UNIT_WEEK) | CAT(W_UNIT_HOUR) | CAT(W_UNIT_MIN);
        int u = wmatch(lc, i + 1, units, &it);
        if (u > 0) {
            int later = wmatch(lc, i + 1 + u, CAT(W_LATER) | CAT(W_NEXT), &it);
            const lex_item *unit;
            wmatch(lc, i + 1, units, &unit);
            if (after_in || later > 0) {
                if (unit->cat == W_UNIT_HOUR) {
                    if (w->plus_min < 0 && a <= 72)
                        w->plus_min = a * 60;
                } else if (unit->cat == W_UNIT_MIN) {
                    if (w->plus_min < 0 && a <= 600)
                        w->plus_min = a;
                } else if (w->day_off < 0 && a <= 366) {
                    w->day_off = (int)(unit->cat == W_UNIT_WEEK ? a * 7 : a);
                }
                return 1 + u + later;
            }
        }
    }
    /* 5pm, 10 am, 5 o'clock, 5 вечера, 5 مساء */
    if (num_len(tk, i, 1, 2) && a <= 24) {
        when_parse tmp = *w;
        int s = hour_suffix(lc, i + 1, &tmp);
        if (s > 0) {
            w->ampm = tmp.ampm ? tmp.ampm : w->ampm;
            set_time(w, (int)a, 0);
            return 1 + s;
        }
        if ((c = wmatch(lc, i + 1, CAT(W_DAYPART), &it)) > 0 && !nlu_tok_attached(tk, i + 1)) {
            set_time(w, (int)a, 0);
            if (w->daypart == DP_NONE)
                w->daypart = it->val;
            return 1 + c;
        }
        /* "at 5", but not "at 5bhk", "around 1.2M", "в 2 спальни" */
        bool glued = i + 1 < tk->n && nlu_tok_attached(tk, i + 1)
                     && (tk->t[i + 1].kind == TK_WORD
                         || ((nlu_tok_punct(tk, i + 1, '.') || nlu_tok_punct(tk, i + 1, ',')
                              || nlu_tok_punct(tk, i + 1, '-'))
                             && num_len(tk, i + 2, 1, 18) && nlu_tok_attached(tk, i + 2)));
        if (after_at && !glued && wmatch(lc, i + 1, CAT(W_NOTTIME), &it) == 0) {
            set_time(w, (int)a, 0);
            return 1;
        }
    }
    return 0;
}

static void parse(lex_cache *lc, when_parse *w)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    bool after_at = false, after_in = false, pending_next = false, pending_this = false;
    bool this_word = false;   /* pending_this, by "this" itself (not "on") */
    for (int i = 0; i < tk->n;) {
        const nlu_tok *t = &tk->t[i];
        if (t->flags & (TF_PHONE | TF_EMAIL)) {
            after_at = after_in = pending_next = pending_this = false;
            i++;
            continue;
        }
        if (t->kind == TK_NUM) {
            int c = at_number(lc, i, after_at, after_in, w);
            after_at = after_in = pending_next = pending_this = false;
            i += c > 0 ? c : 1;
            continue;
        }
        int c = wmatch(lc, i, ~0u, &it);
        if (c == 0) {
            /* "in a week", "in an hour": the article does not break "in" */
            bool article = after_in && (nlu_tok_is(tk, i, "a") || nlu_tok_is(tk, i, "an"));
            after_at = pending_next = pending_this = false;
            after_in = article;
            i++;
            continue;
        }
        bool keep_next = false, keep_this = false, keep_at = false, keep_in = false;
        switch (it->cat) {
        case W_REL:
            if (w->day_off < 0)
                w->day_off = it->val;
            break;
        case W_TONIGHT:
            if (w->day_off < 0)
                w->day_off = 0;
            if (w->daypart == DP_NONE)
                w->daypart = DP_NIGHT;
            break;
        case W_WEEKDAY:
            if (w->weekday < 0) {
                w->weekday = it->val;
                w->wd_next = pending_next;
                w->wd_this = pending_this && this_word;
                /* "السبت القادم", "شنبه بعد", "шнбه ي بعد" */
                int k = i + c;
                if (nlu_tok_is(tk, k, "ي"))
                    k++;
                const lex_item *nx;
                if (wmatch(lc, k, CAT(W_NEXT), &nx) > 0 && !pending_this)
                    w->wd_next = true;
            }
            break;
        case W_MONTH: {
            /* "november 21", "nov 21st, 2026" */
            int k = i + c;
            if (num_len(tk, k, 1, 2) && !(k + 1 < tk->n && nlu_tok_punct(tk, k + 1, ':'))) {
                int d = (int)nlu_tok_num(tk, k), y = 0;
                k++;
                if (wmatch(lc, k, CAT(W_ORD), &it) > 0 && nlu_tok_attached(tk, k))
                    k++;
                if (nlu_tok_punct(tk, k, ','))
                    k++;
                if (num_len(tk, k, 4, 4)) {
                    y = (int)nlu_tok_num(tk, k);
                    k++;
                }
                /* "may 3 villas" is not a date: only the end, punctuation
                 * or another time word may follow */
                const lex_item *mo, *nx;
                if (k >= tk->n || tk->t[k].kind == TK_PUNCT || wmatch(lc, k, ~0u & ~CAT(W_NOTTIME), &nx) > 0) {
                    wmatch(lc, i, CAT(W_MONTH), &mo);
                    set_date(w, y, mo->val, d);
                    c = k - i;
                }
            }
            break;
        }
        case W_NEXT:
            keep_next = true;
            keep_in = true;   /* Arabic "بعد 3 ايام" */
            break;
        case W_THIS:
            keep_this = true;
            this_word = it->val == 1;
            break;
        case W_NEXTWEEK:
            w->next_week = true;
            break;
        case W_WEEKEND:
            w->weekend = true;
            break;
        case W_DAYPART:
            /* "Morning!" opening a message is a greeting */
            if (i == 0 && nlu_tok_is(tk, i, "morning")
                && (i + c >= tk->n || tk->t[i + c].kind == TK_PUNCT))
                break;
            if (w->daypart == DP_NONE)
                w->daypart = it->val;
            break;
        case W_AT:
            keep_at = true;
            break;
        case W_HOURWORD: {
            /* an hour in words is a time after "at" ("at ten", "ساعت ده") or
             * with am/pm or o'clock after it ("ten am", "десять утра"); not
             * "в три спальни", nor a number word anywhere else */
            when_parse tmp = *w;
            int sfx = hour_suffix(lc, i + c, &tmp);
            const lex_item *nt;
            if (sfx > 0) {
                w->ampm = tmp.ampm ? tmp.ampm : w->ampm;
                set_time(w, it->val, 0);
                c += sfx;
            } else if (after_at && wmatch(lc, i + c, CAT(W_NOTTIME), &nt) == 0) {
                set_time(w, it->val, 0);
            }
            break;
        }
        case W_IN:
            keep_in = true;
            /* "after 5" is a time as "at 5" is ("after 3 days" stays a
             * delay: the unit decides in at_number) */
            if (nlu_tok_is(tk, i, "after") || nlu_tok_is(tk, i, "после"))
                keep_at = true;
            break;
        case W_TWO_DAYS:
            if (after_in && w->day_off < 0)
                w->day_off = 2;
            break;
        case W_UNIT_WEEK:
            if (after_in && w->day_off < 0)
                w->day_off = 7;   /* "in a week", "بعد اسبوع" */
            break;
        case W_UNIT_HOUR:
            if (after_in && w->plus_min < 0)
                w->plus_min = 60;   /* "in an hour", "через час" */
            break;
        default:
            break;
        }
        /* "in a week": the article does not break "in" */
        if (after_in && (nlu_tok_is(tk, i, "a") || nlu_tok_is(tk, i, "an")))
            keep_in = true;
        after_at = keep_at;
        after_in = keep_in;
        pending_next = keep_next;
        pending_this = keep_this;
        i += c;
    }
}

/* Seconds into the local day after which a bare weekday naming today
 * ("on Saturday", said on a Saturday evening) means next week's: visits are
 * booked in the working day, and by 17:00 hardly any of today's is left. */
#define WHEN_DAY_OVER (17 * 3600)

bool nlu_when_scan(const nlu_toks *tk, time_t now, const char *tz, char out[20], bool *has_time,
                   bool *has_day)
{
    pthread_once(&when_once, when_init);
    when_parse w = {.day_off = -1, .weekday = -1, .hour = -1, .minute = -1, .plus_min = -1};
    out[0] = '\0';
    *has_time = false;
    if (has_day)
        *has_day = false;
    lex_cache cache;
    lex_cache_init(&cache, &when_lex, tk);
    parse(&cache, &w);

    bool any_day = w.day_off >= 0 || w.weekday >= 0 || w.has_date || w.next_week || w.weekend
                   || w.dom > 0;
    bool any_time = w.hour >= 0 || w.daypart != DP_NONE;
    if (!any_day && !any_time && w.plus_min < 0)
        return false;

    if (now == 0)
        now = time(NULL);
    if (now < 0 || now > (time_t)253402300799LL)   /* 9999-12-31 */
        return false;
    int64_t local = (int64_t)now + nlu_tz_offset(tz, now);
    int64_t today = floordiv(local, 86400);
    int64_t sod = local - today * 86400;
    int wd = (int)(((today + 3) % 7 + 7) % 7);   /* 1970-01-01 was a Thursday */
    int cy, cm, cd;
    civil_from_days(today, &cy, &cm, &cd);

    int64_t day = today;
    int hour = -1, minute = 0;
    if (w.plus_min >= 0 && !any_day && w.hour < 0) {
        int64_t t = local + w.plus_min * 60;
        day = floordiv(t, 86400);
        int64_t s = t - day * 86400;
        hour = (int)(s / 3600);
        minute = (int)(s % 3600 / 60);
    } else {
        if (w.has_date) {
            int y = w.y ? w.y : cy;
            if (w.d > days_in_month(y, w.m))
                return false;
            day = days_from_civil(y, w.m, w.d);
            if (w.y == 0 && day < today) {
                y++;
                if (w.d > days_in_month(y, w.m))
                    return false;
                day = days_from_civil(y, w.m, w.d);
            }
        } else if (w.dom > 0) {
            int y = cy, mo = cm;
            if (w.dom < cd) {
                mo++;
                if (mo > 12) {
                    mo = 1;
                    y++;
                }
            }
            if (w.dom > days_in_month(y, mo))
                return false;
            day = days_from_civil(y, mo, w.dom);
        } else if (w.day_off >= 0) {
            day = today + w.day_off;
        } else if (w.weekday >= 0) {
            int delta = (w.weekday - wd + 7) % 7;
            /* today's weekday: next week's when "next" was said, or when
             * it came bare, with no time, after the working day */
            if (delta == 0 && (w.wd_next || (!w.wd_this && !any_time && sod >= WHEN_DAY_OVER)))
                delta = 7;
            day = today + delta;
        } else if (w.next_week) {
            int delta = (7 - wd) % 7;
            day = today + (delta == 0 ? 7 : delta);
        } else if (w.weekend) {
            day = today + (wd >= 5 ? 0 : 5 - wd);
        }
        if (w.hour >= 0) {
            hour = w.hour;
            minute = w.minute;
            if (w.ampm == 2 && hour < 12)
                hour += 12;
            else if (w.ampm == 1 && hour == 12)
                hour = 0;
            else if (w.ampm == 0) {
                if ((w.daypart == DP_AFTERNOON || w.daypart == DP_EVENING) && hour < 12)
                    hour += 12;
                else if (w.daypart == DP_NIGHT && hour >= 5 && hour < 12)
                    hour += 12;
                else if (w.daypart == DP_NONE && hour >= 1 && hour <= 7)
                    hour += 12;
            }
        } else if (w.daypart != DP_NONE) {
            hour = dp_hour[w.daypart];
            minute = 0;
        }
        /* a time alone that has passed today means tomorrow */
        if (!any_day && hour >= 0 && (int64_t)hour * 3600 + minute * 60 <= sod)
            day = today + 1;
    }
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999)
        return false;
    *has_time = hour >= 0;
    if (has_day)
        *has_day = any_day;
    if (hour < 0)
        hour = minute = 0;
    if (hour > 23 || minute < 0 || minute > 59)
        return false;
    /* "YYYY-MM-DDTHH:MM" */
    int v[5] = {y, m, d, hour, minute};
    static const char seps[] = "--T:";
    char *o = out;
    for (int k = 0; k < 5; k++) {
        int width = k == 0 ? 4 : 2, x = v[k];
        for (int q = width - 1; q >= 0; q--) {
            o[q] = (char)('0' + x % 10);
            x /= 10;
        }
        o += width;
        if (k < 4)
            *o++ = seps[k];
    }
    *o = '\0';
    return true;
}

bool nlu_parse_when(const char *norm, size_t len, time_t now, const char *tz, char out[20],
                    bool *has_time)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, len);
    return nlu_when_scan(&tk, now, tz, out, has_time, NULL);
}
