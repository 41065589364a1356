/*
 * attrs.c - what kind of property the buyer wants, from a normalised
 * message: bedrooms, property type, transaction (buy/rent) and purpose
 * (investment/living/residency), in English, Arabic, Persian and Russian.
 *
 * One lexicon, matched longest-first at every token, so phrases win over
 * their words: "rental yield" is investment (not rent), "living room" and
 * "studio city" mean nothing, "investor visa" is residency, "studio
 * apartment" is a studio.  Bedrooms come from a number or number word
 * before a bedroom word ("2BHK", "2 br", "two-bedroom", "3 غرف",
 * "دو خوابه", "2-комнатная", "2 спальни") or from words that carry the
 * count ("غرفتين", "двушка", "однокомнатная"); a studio is 0 bedrooms.
 * "2-3 bhk" gives the first number.  For each field the first mention wins.
 * Russian "N-комнатная" counts rooms; it is reported as N bedrooms
 * (documented simplification).
 *
 * Not for: budgets (budget.c) or places (locality.c).
 */
#include "nlu/entities_int.h"

#include <pthread.h>
#include <string.h>

enum {
    A_NONE = 0,    /* a phrase that means nothing here (suppresses its words) */
    A_TYPE,        /* val: property_type */
    A_STUDIO,      /* type studio, 0 bedrooms */
    A_TX,          /* val: transaction */
    A_PURPOSE,     /* val: purpose */
    A_BEDWORD,     /* val: bedrooms */
    A_BEDUNIT,     /* a bedroom word after a number */
    A_NUMWORD,     /* val: a small number */
    A_SKIP,        /* "х" in "2-х комнатная" */
};

static const lex_item attr_items[] = {
    /* suppressors */
    {"studio city", A_NONE, 0}, {"living room", A_NONE, 0}, {"living rooms", A_NONE, 0},
    {"motor city", A_NONE, 0}, {"house number", A_NONE, 0}, {"full house", A_NONE, 0},
    {"open house", A_NONE, 0}, {"in house", A_NONE, 0}, {"land line", A_NONE, 0},
    {"landline", A_NONE, 0}, {"land mark", A_NONE, 0}, {"landmark", A_NONE, 0},
    {"head office", A_NONE, 0}, {"your office", A_NONE, 0}, {"office address", A_NONE, 0},
    {"sales office", A_NONE, 0}, {"return call", A_NONE, 0},
    {"site visit", A_NONE, 0}, {"site visits", A_NONE, 0}, {"site office", A_NONE, 0},
    {"site plan", A_NONE, 0}, {"the site", A_NONE, 0}, {"construction site", A_NONE, 0},
    {"كارشناس فروش", A_NONE, 0}, {"بخش فروش", A_NONE, 0}, {"تيم فروش", A_NONE, 0},
    {"مدير فروش", A_NONE, 0}, {"واحد فروش", A_NONE, 0}, {"دفتر فروش", A_NONE, 0},
    {"پيش فروش", A_NONE, 0}, {"отдел продаж", A_NONE, 0}, {"отдела продаж", A_NONE, 0},
    {"отделом продаж", A_NONE, 0}, {"старт продаж", A_NONE, 0},
    {"менеджер по продажам", A_NONE, 0}, {"менеджера по продажам", A_NONE, 0},
    {"менеджером по продажам", A_NONE, 0}, {"менеджеру по продажам", A_NONE, 0},
    {"после сдачи", A_NONE, 0}, {"срок сдачи", A_NONE, 0}, {"до сдачи", A_NONE, 0},
    {"сдачи дома", A_NONE, 0}, {"сдача дома", A_NONE, 0}, {"сдачи проекта", A_NONE, 0},
    /* types: en */
    {"apartment", A_TYPE, PTYPE_APARTMENT}, {"apartments", A_TYPE, PTYPE_APARTMENT},
    {"flat", A_TYPE, PTYPE_APARTMENT}, {"flats", A_TYPE, PTYPE_APARTMENT},
    {"apt", A_TYPE, PTYPE_APARTMENT}, {"apts", A_TYPE, PTYPE_APARTMENT},
    {"condo", A_TYPE, PTYPE_APARTMENT}, {"condos", A_TYPE, PTYPE_APARTMENT},
    {"condominium", A_TYPE, PTYPE_APARTMENT}, {"duplex", A_TYPE, PTYPE_APARTMENT},
    {"villa", A_TYPE, PTYPE_VILLA}, {"villas", A_TYPE, PTYPE_VILLA},
    {"bungalow", A_TYPE, PTYPE_VILLA}, {"independent house", A_TYPE, PTYPE_VILLA},
    {"house", A_TYPE, PTYPE_VILLA}, {"row house", A_TYPE, PTYPE_TOWNHOUSE},
    {"townhouse", A_TYPE, PTYPE_TOWNHOUSE}, {"townhouses", A_TYPE, PTYPE_TOWNHOUSE},
    {"town house", A_TYPE, PTYPE_TOWNHOUSE}, {"townhome", A_TYPE, PTYPE_TOWNHOUSE},
    {"penthouse", A_TYPE, PTYPE_PENTHOUSE}, {"penthouses", A_TYPE, PTYPE_PENTHOUSE},
    {"pent house", A_TYPE, PTYPE_PENTHOUSE},
    {"studio", A_STUDIO, 0}, {"studios", A_STUDIO, 0}, {"studio apartment", A_STUDIO, 0},
    {"studio flat", A_STUDIO, 0},
    {"plot", A_TYPE, PTYPE_PLOT}, {"plots", A_TYPE, PTYPE_PLOT}, {"land", A_TYPE, PTYPE_PLOT},
    {"site", A_TYPE, PTYPE_PLOT}, {"office", A_TYPE, PTYPE_OFFICE},
    {"offices", A_TYPE, PTYPE_OFFICE}, {"office space", A_TYPE, PTYPE_OFFICE},
    {"shop", A_TYPE, PTYPE_SHOP}, {"shops", A_TYPE, PTYPE_SHOP}, {"retail", A_TYPE, PTYPE_SHOP},
    {"showroom", A_TYPE, PTYPE_SHOP}, {"store", A_TYPE, PTYPE_SHOP},
    /* types: ar */
    {"شقه", A_TYPE, PTYPE_APARTMENT}, {"شقق", A_TYPE, PTYPE_APARTMENT},
    {"الشقه", A_TYPE, PTYPE_APARTMENT}, {"شقتين", A_TYPE, PTYPE_APARTMENT},
    {"فيلا", A_TYPE, PTYPE_VILLA}, {"فلل", A_TYPE, PTYPE_VILLA}, {"الفيلا", A_TYPE, PTYPE_VILLA},
    {"فيله", A_TYPE, PTYPE_VILLA},
    {"تاون هاوس", A_TYPE, PTYPE_TOWNHOUSE}, {"تاونهاوس", A_TYPE, PTYPE_TOWNHOUSE},
    {"بنتهاوس", A_TYPE, PTYPE_PENTHOUSE}, {"بنت هاوس", A_TYPE, PTYPE_PENTHOUSE},
    {"ارض", A_TYPE, PTYPE_PLOT}, {"اراضي", A_TYPE, PTYPE_PLOT}, {"قطعه ارض", A_TYPE, PTYPE_PLOT},
    {"مكتب", A_TYPE, PTYPE_OFFICE}, {"مكاتب", A_TYPE, PTYPE_OFFICE},
    {"محل", A_TYPE, PTYPE_SHOP}, {"محلات", A_TYPE, PTYPE_SHOP}, {"محل تجاري", A_TYPE, PTYPE_SHOP},
    {"استوديو", A_STUDIO, 0}, {"ستوديو", A_STUDIO, 0}, {"ستديو", A_STUDIO, 0},
    /* types: fa */
    {"اپارتمان", A_TYPE, PTYPE_APARTMENT}, {"ويلا", A_TYPE, PTYPE_VILLA},
    {"ويلايي", A_TYPE, PTYPE_VILLA}, {"پنت هاوس", A_TYPE, PTYPE_PENTHOUSE},
    {"پنتهاوس", A_TYPE, PTYPE_PENTHOUSE}, {"زمين", A_TYPE, PTYPE_PLOT},
    {"دفتر", A_TYPE, PTYPE_OFFICE}, {"دفتر كار", A_TYPE, PTYPE_OFFICE},
    {"مغازه", A_TYPE, PTYPE_SHOP}, {"استوديو", A_STUDIO, 0},
    /* types: ru */
    {"квартир*", A_TYPE, PTYPE_APARTMENT}, {"апартамент*", A_TYPE, PTYPE_APARTMENT},
    {"вилл*", A_TYPE, PTYPE_VILLA}, {"таунхаус*", A_TYPE, PTYPE_TOWNHOUSE},
    {"пентхаус*", A_TYPE, PTYPE_PENTHOUSE}, {"участок", A_TYPE, PTYPE_PLOT},
    {"участка", A_TYPE, PTYPE_PLOT}, {"участки", A_TYPE, PTYPE_PLOT},
    {"землю", A_TYPE, PTYPE_PLOT}, {"земля", A_TYPE, PTYPE_PLOT},
    {"офис*", A_TYPE, PTYPE_OFFICE}, {"магазин*", A_TYPE, PTYPE_SHOP},
    {"студи*", A_STUDIO, 0},
    /* transaction */
    {"buy", A_TX, TX_BUY}, {"buying", A_TX, TX_BUY}, {"purchase", A_TX, TX_BUY},
    {"purchasing", A_TX, TX_BUY}, {"own", A_TX, TX_BUY}, {"owning", A_TX, TX_BUY},
    {"sale", A_TX, TX_BUY}, {"for sale", A_TX, TX_BUY}, {"ownership", A_TX, TX_BUY},
    {"freehold", A_TX, TX_BUY}, {"acquire", A_TX, TX_BUY},
    {"rent", A_TX, TX_RENT}, {"renting", A_TX, TX_RENT}, {"rental", A_TX, TX_RENT},
    {"rentals", A_TX, TX_RENT}, {"lease", A_TX, TX_RENT}, {"leasing", A_TX, TX_RENT},
    {"to let", A_TX, TX_RENT}, {"for rent", A_TX, TX_RENT}, {"tenant", A_TX, TX_RENT},
    {"شراء", A_TX, TX_BUY}, {"الشراء", A_TX, TX_BUY}, {"بالشراء", A_TX, TX_BUY}, {"اشتري", A_TX, TX_BUY}, {"نشتري", A_TX, TX_BUY},
    {"للبيع", A_TX, TX_BUY}, {"بيع", A_TX, TX_BUY}, {"تمليك", A_TX, TX_BUY},
    {"تملك", A_TX, TX_BUY}, {"للشراء", A_TX, TX_BUY},
    {"ايجار", A_TX, TX_RENT}, {"للايجار", A_TX, TX_RENT}, {"استئجار", A_TX, TX_RENT},
    {"استاجر", A_TX, TX_RENT}, {"اجار", A_TX, TX_RENT}, {"الايجار", A_TX, TX_RENT},
    {"خريد", A_TX, TX_BUY}, {"بخرم", A_TX, TX_BUY}, {"خريدن", A_TX, TX_BUY},
    {"بخريم", A_TX, TX_BUY}, {"فروش", A_TX, TX_BUY},
    {"اجاره", A_TX, TX_RENT}, {"رهن", A_TX, TX_RENT}, {"اجاره اي", A_TX, TX_RENT},
    {"купить", A_TX, TX_BUY}, {"покупк*", A_TX, TX_BUY}, {"куплю", A_TX, TX_BUY},
    {"купим", A_TX, TX_BUY}, {"приобрести", A_TX, TX_BUY}, {"приобрет*", A_TX, TX_BUY},
    {"продаж*", A_TX, TX_BUY}, {"покупать", A_TX, TX_BUY},
    {"аренд*", A_TX, TX_RENT}, {"снять", A_TX, TX_RENT}, {"сниму", A_TX, TX_RENT},
    {"снимать", A_TX, TX_RENT}, {"съем", A_TX, TX_RENT},
    /* purpose */
    {"invest", A_PURPOSE, PURPOSE_INVESTMENT}, {"investing", A_PURPOSE, PURPOSE_INVESTMENT},
    {"investment", A_PURPOSE, PURPOSE_INVESTMENT}, {"investments", A_PURPOSE, PURPOSE_INVESTMENT},
    {"investor", A_PURPOSE, PURPOSE_INVESTMENT}, {"roi", A_PURPOSE, PURPOSE_INVESTMENT},
    {"yield", A_PURPOSE, PURPOSE_INVESTMENT}, {"yields", A_PURPOSE, PURPOSE_INVESTMENT},
    {"returns", A_PURPOSE, PURPOSE_INVESTMENT}, {"rental yield", A_PURPOSE, PURPOSE_INVESTMENT},
    {"rental income", A_PURPOSE, PURPOSE_INVESTMENT}, {"rental returns", A_PURPOSE, PURPOSE_INVESTMENT},
    {"rent out", A_PURPOSE, PURPOSE_INVESTMENT}, {"capital appreciation", A_PURPOSE, PURPOSE_INVESTMENT},
    {"appreciation", A_PURPOSE, PURPOSE_INVESTMENT}, {"passive income", A_PURPOSE, PURPOSE_INVESTMENT},
    {"flip", A_PURPOSE, PURPOSE_INVESTMENT}, {"rent it out", A_PURPOSE, PURPOSE_INVESTMENT},
    {"renting it out", A_PURPOSE, PURPOSE_INVESTMENT}, {"renting out", A_PURPOSE, PURPOSE_INVESTMENT},
    {"rent can i get", A_PURPOSE, PURPOSE_INVESTMENT}, {"rent will i get", A_PURPOSE, PURPOSE_INVESTMENT},
    {"rent would i get", A_PURPOSE, PURPOSE_INVESTMENT}, {"rental demand", A_PURPOSE, PURPOSE_INVESTMENT},
    {"demand for rent", A_PURPOSE, PURPOSE_INVESTMENT}, {"demand for rentals", A_PURPOSE, PURPOSE_INVESTMENT},
    {"earn from rent", A_PURPOSE, PURPOSE_INVESTMENT}, {"rental return", A_PURPOSE, PURPOSE_INVESTMENT},
    {"airbnb", A_PURPOSE, PURPOSE_INVESTMENT}, {"holiday home", A_PURPOSE, PURPOSE_INVESTMENT},
    {"holiday homes", A_PURPOSE, PURPOSE_INVESTMENT},
    {"طلب علي الايجار", A_PURPOSE, PURPOSE_INVESTMENT}, {"الطلب علي الايجار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"ااجرها", A_PURPOSE, PURPOSE_INVESTMENT}, {"اجرها", A_PURPOSE, PURPOSE_INVESTMENT},
    {"تاجيرها", A_PURPOSE, PURPOSE_INVESTMENT}, {"العائد الايجاري", A_PURPOSE, PURPOSE_INVESTMENT},
    {"تقاضاي اجاره", A_PURPOSE, PURPOSE_INVESTMENT}, {"اجاره دادن", A_PURPOSE, PURPOSE_INVESTMENT},
    {"اجاره بدم", A_PURPOSE, PURPOSE_INVESTMENT}, {"اجاره اش بدم", A_PURPOSE, PURPOSE_INVESTMENT},
    {"اجاره داد", A_PURPOSE, PURPOSE_INVESTMENT}, {"بازده اجاره", A_PURPOSE, PURPOSE_INVESTMENT},
    /* the yield, income or profit of a rent is an investor's question, not
     * a rent ("بازدهی اجاره‌اش", "عائد الإيجار", "доход от аренды") */
    {"بازدهي اجاره", A_PURPOSE, PURPOSE_INVESTMENT}, {"بازده", A_PURPOSE, PURPOSE_INVESTMENT},
    {"بازدهي", A_PURPOSE, PURPOSE_INVESTMENT}, {"سود اجاره", A_PURPOSE, PURPOSE_INVESTMENT},
    {"درامد اجاره", A_PURPOSE, PURPOSE_INVESTMENT}, {"درامد اجاره اي", A_PURPOSE, PURPOSE_INVESTMENT},
    {"عائد الايجار", A_PURPOSE, PURPOSE_INVESTMENT}, {"عائد ايجاري", A_PURPOSE, PURPOSE_INVESTMENT},
    {"العائد علي الايجار", A_PURPOSE, PURPOSE_INVESTMENT}, {"العائد من الايجار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"عائد علي الايجار", A_PURPOSE, PURPOSE_INVESTMENT}, {"عوائد الايجار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"دخل الايجار", A_PURPOSE, PURPOSE_INVESTMENT}, {"الدخل من الايجار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"دخل ايجاري", A_PURPOSE, PURPOSE_INVESTMENT}, {"الدخل الايجاري", A_PURPOSE, PURPOSE_INVESTMENT},
    {"доходност* аренд*", A_PURPOSE, PURPOSE_INVESTMENT}, {"доход* от аренд*", A_PURPOSE, PURPOSE_INVESTMENT},
    {"доход* с аренд*", A_PURPOSE, PURPOSE_INVESTMENT}, {"арендн* доход*", A_PURPOSE, PURPOSE_INVESTMENT},
    {"yield on rent", A_PURPOSE, PURPOSE_INVESTMENT}, {"rent yield", A_PURPOSE, PURPOSE_INVESTMENT},
    {"rental yields", A_PURPOSE, PURPOSE_INVESTMENT}, {"yield from rent", A_PURPOSE, PURPOSE_INVESTMENT},
    {"return on rent", A_PURPOSE, PURPOSE_INVESTMENT}, {"rent income", A_PURPOSE, PURPOSE_INVESTMENT},
    {"под сдачу в аренду", A_PURPOSE, PURPOSE_INVESTMENT},
    {"для сдачи в аренду", A_PURPOSE, PURPOSE_INVESTMENT},
    {"сдачи в аренду", A_PURPOSE, PURPOSE_INVESTMENT}, {"сдачу в аренду", A_PURPOSE, PURPOSE_INVESTMENT},
    {"сдавать в аренду", A_PURPOSE, PURPOSE_INVESTMENT}, {"сдать в аренду", A_PURPOSE, PURPOSE_INVESTMENT},
    {"спрос на аренду", A_PURPOSE, PURPOSE_INVESTMENT}, {"доходность от аренды", A_PURPOSE, PURPOSE_INVESTMENT},
    {"сдать", A_PURPOSE, PURPOSE_INVESTMENT}, {"сдам", A_PURPOSE, PURPOSE_INVESTMENT},
    {"под сдачу", A_PURPOSE, PURPOSE_INVESTMENT},
    {"live", A_PURPOSE, PURPOSE_LIVING}, {"living", A_PURPOSE, PURPOSE_LIVING},
    {"live in", A_PURPOSE, PURPOSE_LIVING}, {"family", A_PURPOSE, PURPOSE_LIVING},
    {"own use", A_PURPOSE, PURPOSE_LIVING}, {"end use", A_PURPOSE, PURPOSE_LIVING},
    {"self use", A_PURPOSE, PURPOSE_LIVING}, {"personal use", A_PURPOSE, PURPOSE_LIVING},
    {"move in", A_PURPOSE, PURPOSE_LIVING}, {"relocate", A_PURPOSE, PURPOSE_LIVING},
    {"relocating", A_PURPOSE, PURPOSE_LIVING}, {"for myself", A_PURPOSE, PURPOSE_LIVING},
    {"to stay", A_PURPOSE, PURPOSE_LIVING}, {"primary residence", A_PURPOSE, PURPOSE_LIVING},
    {"residency", A_PURPOSE, PURPOSE_RESIDENCY}, {"visa", A_PURPOSE, PURPOSE_RESIDENCY},
    {"golden visa", A_PURPOSE, PURPOSE_RESIDENCY}, {"residence visa", A_PURPOSE, PURPOSE_RESIDENCY},
    {"investor visa", A_PURPOSE, PURPOSE_RESIDENCY}, {"residence permit", A_PURPOSE, PURPOSE_RESIDENCY},
    {"استثمار", A_PURPOSE, PURPOSE_INVESTMENT}, {"للاستثمار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"استثماري", A_PURPOSE, PURPOSE_INVESTMENT}, {"الاستثمار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"عائد", A_PURPOSE, PURPOSE_INVESTMENT}, {"العائد", A_PURPOSE, PURPOSE_INVESTMENT},
    {"سكن", A_PURPOSE, PURPOSE_LIVING}, {"للسكن", A_PURPOSE, PURPOSE_LIVING},
    {"للعيش", A_PURPOSE, PURPOSE_LIVING}, {"العائله", A_PURPOSE, PURPOSE_LIVING},
    {"عائلتي", A_PURPOSE, PURPOSE_LIVING}, {"اسكن", A_PURPOSE, PURPOSE_LIVING},
    {"اقامه", A_PURPOSE, PURPOSE_RESIDENCY}, {"الاقامه", A_PURPOSE, PURPOSE_RESIDENCY},
    {"للاقامه", A_PURPOSE, PURPOSE_RESIDENCY}, {"فيزا", A_PURPOSE, PURPOSE_RESIDENCY},
    {"الفيزا", A_PURPOSE, PURPOSE_RESIDENCY}, {"الفيزا الذهبيه", A_PURPOSE, PURPOSE_RESIDENCY},
    {"الاقامه الذهبيه", A_PURPOSE, PURPOSE_RESIDENCY}, {"التاشيره الذهبيه", A_PURPOSE, PURPOSE_RESIDENCY},
    {"الجولدن فيزا", A_PURPOSE, PURPOSE_RESIDENCY},
    {"سرمايه گذاري", A_PURPOSE, PURPOSE_INVESTMENT}, {"سرمايه گذاري", A_PURPOSE, PURPOSE_INVESTMENT},
    {"سرمايه", A_PURPOSE, PURPOSE_INVESTMENT}, {"سرمايه گذار", A_PURPOSE, PURPOSE_INVESTMENT},
    {"سرمايهگذاري", A_PURPOSE, PURPOSE_INVESTMENT}, {"سود", A_PURPOSE, PURPOSE_INVESTMENT},
    {"سكونت", A_PURPOSE, PURPOSE_LIVING}, {"زندگي", A_PURPOSE, PURPOSE_LIVING},
    {"خانواده", A_PURPOSE, PURPOSE_LIVING}, {"اقامت", A_PURPOSE, PURPOSE_RESIDENCY},
    {"ويزا", A_PURPOSE, PURPOSE_RESIDENCY}, {"ويزاي طلايي", A_PURPOSE, PURPOSE_RESIDENCY},
    {"گلدن ويزا", A_PURPOSE, PURPOSE_RESIDENCY}, {"اقامت طلايي", A_PURPOSE, PURPOSE_RESIDENCY},
    {"инвест*", A_PURPOSE, PURPOSE_INVESTMENT}, {"доход*", A_PURPOSE, PURPOSE_INVESTMENT},
    {"сдавать", A_PURPOSE, PURPOSE_INVESTMENT}, {"сдачи", A_PURPOSE, PURPOSE_INVESTMENT},
    {"для жизни", A_PURPOSE, PURPOSE_LIVING}, {"жить", A_PURPOSE, PURPOSE_LIVING},
    {"проживани*", A_PURPOSE, PURPOSE_LIVING}, {"переезд*", A_PURPOSE, PURPOSE_LIVING},
    {"семья", A_PURPOSE, PURPOSE_LIVING}, {"семьи", A_PURPOSE, PURPOSE_LIVING},
    {"семьей", A_PURPOSE, PURPOSE_LIVING}, {"себя", A_PURPOSE, PURPOSE_LIVING},
    {"внж", A_PURPOSE, PURPOSE_RESIDENCY}, {"резидент*", A_PURPOSE, PURPOSE_RESIDENCY},
    {"виза", A_PURPOSE, PURPOSE_RESIDENCY}, {"визу", A_PURPOSE, PURPOSE_RESIDENCY},
    {"визы", A_PURPOSE, PURPOSE_RESIDENCY}, {"золотая виза", A_PURPOSE, PURPOSE_RESIDENCY},
    {"золотую визу", A_PURPOSE, PURPOSE_RESIDENCY}, {"вид на жительство", A_PURPOSE, PURPOSE_RESIDENCY},
    /* bedrooms */
    {"bhk", A_BEDUNIT, 0}, {"bhks", A_BEDUNIT, 0}, {"bk", A_BEDUNIT, 0}, {"br", A_BEDUNIT, 0},
    {"bed", A_BEDUNIT, 0}, {"beds", A_BEDUNIT, 0}, {"bedroom", A_BEDUNIT, 0},
    {"bedrooms", A_BEDUNIT, 0}, {"bedroomed", A_BEDUNIT, 0}, {"bdr", A_BEDUNIT, 0},
    {"bdrm", A_BEDUNIT, 0}, {"bdrms", A_BEDUNIT, 0}, {"bed room", A_BEDUNIT, 0},
    {"bed rooms", A_BEDUNIT, 0},
    {"غرف", A_BEDUNIT, 0}, {"غرفه", A_BEDUNIT, 0}, {"غرف نوم", A_BEDUNIT, 0},
    {"غرفه نوم", A_BEDUNIT, 0},
    {"خوابه", A_BEDUNIT, 0}, {"خواب", A_BEDUNIT, 0}, {"اتاق خواب", A_BEDUNIT, 0},
    {"اتاق خوابه", A_BEDUNIT, 0}, {"اتاقه", A_BEDUNIT, 0},
    {"комнатн*", A_BEDUNIT, 0}, {"спальн*", A_BEDUNIT, 0}, {"комнаты", A_BEDUNIT, 0},
    {"комнат", A_BEDUNIT, 0},
    {"х", A_SKIP, 0}, {"ти", A_SKIP, 0}, {"ми", A_SKIP, 0},
    {"غرفتين", A_BEDWORD, 2}, {"غرفتين نوم", A_BEDWORD, 2}, {"غرفه نوم", A_BEDWORD, 1},
    {"غرفه نوم واحده", A_BEDWORD, 1}, {"غرفه واحده", A_BEDWORD, 1},
    {"single bedroom", A_BEDWORD, 1},
    {"однушк*", A_BEDWORD, 1}, {"двушк*", A_BEDWORD, 2}, {"трешк*", A_BEDWORD, 3},
    {"однокомнатн*", A_BEDWORD, 1}, {"двухкомнатн*", A_BEDWORD, 2},
    {"трехкомнатн*", A_BEDWORD, 3}, {"четырехкомнатн*", A_BEDWORD, 4},
    {"пятикомнатн*", A_BEDWORD, 5},
    {"one", A_NUMWORD, 1}, {"two", A_NUMWORD, 2}, {"three", A_NUMWORD, 3},
    {"four", A_NUMWORD, 4}, {"five", A_NUMWORD, 5}, {"six", A_NUMWORD, 6},
    {"seven", A_NUMWORD, 7}, {"single", A_NUMWORD, 1}, {"a", A_NUMWORD, 1},
    {"واحد", A_NUMWORD, 1}, {"اثنين", A_NUMWORD, 2}, {"ثلاث", A_NUMWORD, 3},
    {"ثلاثه", A_NUMWORD, 3}, {"اربع", A_NUMWORD, 4}, {"اربعه", A_NUMWORD, 4},
    {"خمس", A_NUMWORD, 5}, {"خمسه", A_NUMWORD, 5},
    {"يك", A_NUMWORD, 1}, {"دو", A_NUMWORD, 2}, {"سه", A_NUMWORD, 3}, {"چهار", A_NUMWORD, 4},
    {"پنج", A_NUMWORD, 5},
    {"одна", A_NUMWORD, 1}, {"один", A_NUMWORD, 1}, {"одной", A_NUMWORD, 1},
    {"две", A_NUMWORD, 2}, {"два", A_NUMWORD, 2}, {"двумя", A_NUMWORD, 2},
    {"двух", A_NUMWORD, 2}, {"три", A_NUMWORD, 3}, {"тремя", A_NUMWORD, 3},
    {"трех", A_NUMWORD, 3}, {"четыре", A_NUMWORD, 4}, {"четырех", A_NUMWORD, 4},
};

static lex_table attr_lex;
static pthread_once_t attr_once = PTHREAD_ONCE_INIT;

static void attr_init(void)
{
    lex_build(&attr_lex, attr_items, (int)(sizeof attr_items / sizeof attr_items[0]));
}

#define CAT(c) (1u << (c))

static bool skip_tok(const nlu_toks *tk, int i)
{
    return i < 0 || i >= tk->n || (tk->t[i].flags & (TF_PHONE | TF_EMAIL));
}

/* A bedroom unit at token j, after an optional '-', '+' or the Russian
 * "-х".  Returns the number of tokens from j through the unit, or 0. */
static int bedunit_after(lex_cache *lc, int j)
{
    const nlu_toks *tk = lc->tk;
    const lex_item *it;
    int k = j;
    if (nlu_tok_punct(tk, k, '-') || nlu_tok_punct(tk, k, '+'))
        k++;
    if (k > j && lex_cmatch(lc, k, CAT(A_SKIP), &it) > 0 && nlu_tok_attached(tk, k))
        k++;
    int c = lex_cmatch(lc, k, CAT(A_BEDUNIT), &it);
    return c > 0 ? k + c - j : 0;
}

void nlu_attrs_scan(const nlu_toks *tk, nlu_attrs *out)
{
    pthread_once(&attr_once, attr_init);
    lex_cache cache;
    lex_cache *lc = &cache;
    lex_cache_init(lc, &attr_lex, tk);
    out->bedrooms = -1;
    out->type = PTYPE_NONE;
    out->tx = TX_NONE;
    out->purpose = PURPOSE_NONE;

    for (int i = 0; i < tk->n;) {
        if (skip_tok(tk, i)) {
            i++;
            continue;
        }
        const nlu_tok *t = &tk->t[i];
        if (t->kind == TK_NUM) {
            /* "2.5 bhk" is not 5 bedrooms */
            bool frac = i > 0 && nlu_tok_attached(tk, i)
                        && (nlu_tok_punct(tk, i - 1, '.') || nlu_tok_punct(tk, i - 1, ','));
            int64_t n = nlu_tok_num(tk, i);
            int j = i + 1;
            /* "2-3 bhk": the first number */
            if (nlu_tok_punct(tk, j, '-') && j + 1 < tk->n && tk->t[j + 1].kind == TK_NUM)
                j += 2;
            int c = bedunit_after(lc, j);
            if (!frac && c > 0 && n >= 0 && n <= 20) {
                if (out->bedrooms < 0) {
                    out->bedrooms = (int)n;
                }
                i = j + c;
                continue;
            }
            i++;
            continue;
        }
        const lex_item *it;
        int c = lex_cmatch(lc, i, ~(CAT(A_BEDUNIT) | CAT(A_SKIP)), &it);
        if (c == 0) {
            i++;
            continue;
        }
        switch (it->cat) {
        case A_TYPE:
            if (out->type == PTYPE_NONE)
                out->type = (property_type)it->val;
            break;
        case A_STUDIO:
            if (out->type == PTYPE_NONE || out->type == PTYPE_APARTMENT)
                out->type = PTYPE_STUDIO;
            if (out->bedrooms < 0)
                out->bedrooms = 0;
            break;
        case A_TX:
            if (out->tx == TX_NONE)
                out->tx = (transaction)it->val;
            break;
        case A_PURPOSE:
            if (out->purpose == PURPOSE_NONE)
                out->purpose = (purpose)it->val;
            break;
        case A_BEDWORD:
            if (out->bedrooms < 0) {
                out->bedrooms = it->val;
            }
            break;
        case A_NUMWORD: {
            int u = bedunit_after(lc, i + c);
            if (u > 0) {
                if (out->bedrooms < 0) {
                    out->bedrooms = it->val;
                }
                c += u;
            }
            break;
        }
        default:
            break;
        }
        i += c;
    }
}

void nlu_parse_attrs(const char *norm, size_t len, nlu_attrs *out)
{
    nlu_toks tk;
    nlu_tokenize(&tk, norm, len);
    nlu_attrs_scan(&tk, out);
}
