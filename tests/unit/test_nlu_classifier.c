/*
 * test_nlu_classifier.c - the intent model (classifier.c), the language
 * detector (langid.c) and the glue and JSON of nlu.c.
 *
 * Trains on the real packs (packs/default/intents/ *.json), checks accuracy
 * on held-out sentences that are not in the training files (the test checks
 * that too), the out-of-scope rules, training errors, determinism, sharing
 * a model between threads, and the exact §4 JSON shape.  Entity and
 * sentiment values are other files' business and are not checked here.
 */
#include "nlu/nlu_int.h"
#include "test.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static nlu_model *pack_model;
static char *pack_text;   /* all training files, concatenated (for leak checks) */

/* The pack folder, whether the tests run from the top or from a build dir. */
static const char *pack_dir(void)
{
    static const char *const dirs[] = {
        "packs/default", "../packs/default", "../../packs/default", "../../../packs/default",
    };
    char p[256];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/intents/en.json", dirs[i]);
        if (access(p, R_OK) == 0)
            return dirs[i];
    }
    return "packs/default";
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    long n;
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        b = malloc((size_t)n + 1);
        if (b && fread(b, 1, (size_t)n, f) == (size_t)n) {
            b[n] = '\0';
            if (len)
                *len = (size_t)n;
        } else {
            free(b);
            b = NULL;
        }
    }
    fclose(f);
    return b;
}

/* Classifies raw text the way nlu_analyze does (normalise first). */
static const char *classify(const nlu_model *m, const char *text, double *conf)
{
    arena a;
    char *norm = NULL;
    size_t n = 0;
    const char *intent = NULL;
    double c = 0;
    arena_init(&a, 0);
    if (nlu_normalize(&a, text, strlen(text), &norm, &n) == 0)
        nlu_classify(m, norm, n, &intent, &c);
    arena_release(&a);
    if (conf)
        *conf = c;
    return intent;
}

/* ---- training on the packs ------------------------------------------------- */

TEST(train_pack)
{
    pt_error err;
    pt_error_clear(&err);
    int rc = nlu_model_train_dir(pack_dir(), &pack_model, &err);
    CHECK(rc == 0 && pack_model != NULL, "train %s: %d %s", pack_dir(), rc, err.msg);

    /* every language file has every contract intent */
    static const char *const langs[] = {"en", "ar", "fa", "ru"};
    static const char *const intents[] = {
        "greeting", "goodbye", "thanks", "affirm", "deny", "inform", "property_search",
        "price_inquiry", "location_inquiry", "amenities_inquiry", "payment_plan",
        "investment_inquiry", "project_info", "schedule_visit", "request_callback",
        "human_agent", "brochure_request", "complaint", "out_of_scope",
    };
    size_t total = 0;
    for (size_t l = 0; l < 4; l++) {
        char path[300], key[80];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/intents/%s.json", pack_dir(), langs[l]);
        char *t = slurp(path, &len);
        CHECK(t != NULL, "read %s", path);
        if (t == NULL)
            continue;
        for (size_t i = 0; i < sizeof intents / sizeof intents[0]; i++) {
            snprintf(key, sizeof key, "\"%s\": [", intents[i]);
            CHECK(strstr(t, key) != NULL, "%s lacks intent %s", path, intents[i]);
        }
        char *all = realloc(pack_text, total + len + 1);
        if (all) {
            memcpy(all + total, t, len + 1);
            pack_text = all;
            total += len;
        }
        free(t);
    }
}

typedef struct labelled {
    const char *lang, *text, *intent;
} labelled;

/* Written for this test; none of them is in the training files. */
static const labelled heldout[] = {
    {"en", "hey there, good morning!", "greeting"},
    {"en", "thank you so much for the help", "thanks"},
    {"en", "yes, that sounds perfect", "affirm"},
    {"en", "nope, not interested", "deny"},
    {"en", "my budget is about 1.2 crore", "inform"},
    {"en", "+91 99000 11223", "inform"},
    {"en", "mainly for investment purposes", "inform"},
    {"en", "i'm looking for a 3 bed villa in dubai hills", "property_search"},
    {"en", "how much is the 2bhk in whitefield", "price_inquiry"},
    {"en", "is there a swimming pool in the building", "amenities_inquiry"},
    {"en", "what kind of rental yield can I expect", "investment_inquiry"},
    {"en", "do you offer a payment plan with installments", "payment_plan"},
    {"en", "can I come and see the flat on sunday", "schedule_visit"},
    {"en", "please ask someone to call me tomorrow", "request_callback"},
    {"en", "i would like to talk to a real human", "human_agent"},
    {"en", "can you send me the brochure and floor plans", "brochure_request"},
    {"en", "this is useless, you're not listening", "complaint"},
    {"en", "what's the weather like in london", "out_of_scope"},
    {"en", "when will the project be handed over", "project_info"},
    {"en", "how far is it from the airport", "location_inquiry"},
    {"en", "ok bye, talk later", "goodbye"},
    {"ar", "السلام عليكم، صباح الخير", "greeting"},
    {"ar", "شكرا لك على المساعدة", "thanks"},
    {"ar", "نعم أكيد", "affirm"},
    {"ar", "لا، مو مهتم أبداً", "deny"},
    {"ar", "ميزانيتي حوالي مليونين درهم", "inform"},
    {"ar", "أبحث عن فيلا أربع غرف في دبي", "property_search"},
    {"ar", "كم سعر الشقة؟", "price_inquiry"},
    {"ar", "هل في مسبح ونادي رياضي؟", "amenities_inquiry"},
    {"ar", "كم العائد على الاستثمار في المنطقة؟", "investment_inquiry"},
    {"ar", "هل عندكم خطة دفع بالأقساط؟", "payment_plan"},
    {"ar", "أبي أزور الشقة يوم الجمعة", "schedule_visit"},
    {"ar", "أبي أتكلم مع موظف حقيقي", "human_agent"},
    {"ar", "أرسل لي البروشور على الواتساب لو سمحت", "brochure_request"},
    {"ar", "وين موقع المشروع بالضبط؟", "location_inquiry"},
    {"ar", "كيف الطقس بكرة؟", "out_of_scope"},
    {"fa", "سلام، صبحتون بخیر", "greeting"},
    {"fa", "خیلی ممنون از راهنمایی", "thanks"},
    {"fa", "آره، حتما", "affirm"},
    {"fa", "نه، علاقه‌ای ندارم", "deny"},
    {"fa", "بودجه‌ام حدود دو میلیون درهمه", "inform"},
    {"fa", "دنبال یه ویلا چهار خوابه تو دبی هستم", "property_search"},
    {"fa", "قیمت این آپارتمان چنده؟", "price_inquiry"},
    {"fa", "ساختمون استخر و باشگاه داره؟", "amenities_inquiry"},
    {"fa", "بازده سرمایه‌گذاری اینجا چقدره؟", "investment_inquiry"},
    {"fa", "میشه قسطی پرداخت کنم؟", "payment_plan"},
    {"fa", "می‌خوام جمعه بیام آپارتمان رو ببینم", "schedule_visit"},
    {"fa", "لطفا منو به یه آدم واقعی وصل کنید", "human_agent"},
    {"fa", "بروشور پروژه رو برام ایمیل کنید", "brochure_request"},
    {"fa", "فردا هوا بارونیه؟", "out_of_scope"},
    {"ru", "здравствуйте, добрый день!", "greeting"},
    {"ru", "большое спасибо за помощь", "thanks"},
    {"ru", "да, конечно, давайте", "affirm"},
    {"ru", "нет, мне это не интересно", "deny"},
    {"ru", "мой бюджет около двух миллионов дирхам", "inform"},
    {"ru", "ищу виллу с четырьмя спальнями в Дубае", "property_search"},
    {"ru", "сколько стоит эта квартира?", "price_inquiry"},
    {"ru", "в здании есть бассейн и спортзал?", "amenities_inquiry"},
    {"ru", "какая доходность от сдачи в аренду?", "investment_inquiry"},
    {"ru", "можно купить в рассрочку?", "payment_plan"},
    {"ru", "хочу приехать посмотреть квартиру в пятницу", "schedule_visit"},
    {"ru", "соедините меня с живым человеком", "human_agent"},
    {"ru", "пришлите брошюру проекта на почту", "brochure_request"},
    {"ru", "какая погода будет завтра?", "out_of_scope"},
};
#define N_HELDOUT (sizeof heldout / sizeof heldout[0])

TEST(heldout_accuracy)
{
    static const char *const langs[] = {"en", "ar", "fa", "ru"};
    if (pack_model == NULL)
        return;
    for (size_t l = 0; l < 4; l++) {
        int n = 0, ok = 0;
        for (size_t i = 0; i < N_HELDOUT; i++) {
            if (strcmp(heldout[i].lang, langs[l]) != 0)
                continue;
            /* held out for real: not a training utterance */
            char quoted[512];
            snprintf(quoted, sizeof quoted, "\"%s\"", heldout[i].text);
            CHECK(pack_text == NULL || strstr(pack_text, quoted) == NULL,
                  "\"%s\" is in the training files", heldout[i].text);
            double conf = 0;
            const char *got = classify(pack_model, heldout[i].text, &conf);
            n++;
            if (got && strcmp(got, heldout[i].intent) == 0)
                ok++;
            else
                printf("    miss [%s] \"%s\": %s (%.2f), want %s\n", langs[l], heldout[i].text,
                       got ? got : "(null)", conf, heldout[i].intent);
            CHECK(conf >= 0.0 && conf <= 1.0, "confidence %f out of range", conf);
        }
        printf("    %s: %d/%d held-out sentences right\n", langs[l], ok, n);
        CHECK(n > 0 && ok >= (n * 85 + 99) / 100, "%s accuracy %d/%d below 85%%", langs[l], ok,
              n);
    }
}

/* Contract examples of the brief, spelt differently from the training data. */
TEST(contract_examples)
{
    static const labelled cases[] = {
        {"en", "Can I speak to a human please?", "human_agent"},
        {"en", "I'd want to see it on saturday", "schedule_visit"},
        {"en", "around 2 million aed", "inform"},
        {"en", "how much is it?", "price_inquiry"},
        {"en", "does it have a pool?", "amenities_inquiry"},
        {"en", "what's the ROI on this one", "investment_inquiry"},
        {"en", "is there a payment plan", "payment_plan"},
        {"en", "this is a scam isn't it", "complaint"},
        {"en", "tell me a funny joke", "out_of_scope"},
        {"en", "golden visa", "inform"},
    };
    if (pack_model == NULL)
        return;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double conf;
        const char *got = classify(pack_model, cases[i].text, &conf);
        CHECK(got && strcmp(got, cases[i].intent) == 0, "\"%s\": got %s (%.2f), want %s",
              cases[i].text, got ? got : "(null)", conf, cases[i].intent);
    }
}

/* ---- language ----------------------------------------------------------------- */

TEST(langid)
{
    static const struct {
        const char *text, *lang;
        int sure;
    } cases[] = {
        {"hello, I want a 2BHK in Whitefield", "en", 1},
        {"yes", "en", 1},
        {"ok", "en", 0},
        {"2M", "en", 0},
        {"AED 1.5m", "en", 0},
        {"+971 50 412 7789", "en", 0},
        {"a@b.com", "en", 0},
        {"", "en", 0},
        {"Здравствуйте, хочу квартиру в Дубае", "ru", 1},
        {"да", "ru", 1},
        {"хочу 2BHK в JVC", "ru", 1},
        {"مرحبا، أريد شقة في دبي مارينا", "ar", 1},
        {"هل يوجد مسبح؟", "ar", 1},
        {"نعم", "ar", 1},
        {"سلام", "ar", 0},                         /* both languages say it */
        {"سلام، یک آپارتمان می‌خواهم", "fa", 1},   /* Persian letters */
        {"ميخواهم خانه بخرم", "fa", 1},              /* Persian words, Arabic letters */
        {"قیمتش چنده؟", "fa", 1},
        {"مرسی", "fa", 1},
        {"ميزانيتي مليون درهم", "ar", 1},
        /* short Persian answers without a Persian-only letter (they were
         * sure Arabic and turned a Persian conversation Arabic) */
        {"دو خوابه", "fa", 1},
        {"سه خوابه", "fa", 1},
        {"فردا صبح", "fa", 1},
        {"ساعت سه", "fa", 1},
        {"شنبه ساعت ١١", "fa", 1},
        {"بكرة الساعة عشرة", "ar", 1},
        {"غرفتين نوم", "ar", 1},
        {"شماره من ۰۵۰۴۱۲۷۷۸۹", "fa", 1},           /* Persian digits, shared words */
        {"رقمي ٠٥٠٤١٢٧٧٨٩", "ar", 1},               /* Arabic-Indic digits */
        {"۰۵۰۴۱۲۷۷۸۹", "en", 0},                    /* digits alone tell nothing sure */
        {"Bonjour, je cherche un appartement", "fr", 1},
        {"Hallo, ich suche eine Wohnung in Dubai", "de", 1},
        {"नमस्ते मुझे घर चाहिए", "hi", 1},
        {"ನನಗೆ ಮನೆ ಬೇಕು", "kn", 1},
        {"\xff\xfe broken \xc3", "en", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool sure = !cases[i].sure;
        const char *got = nlu_detect_language_ex(cases[i].text, strlen(cases[i].text), &sure);
        CHECK(got && strcmp(got, cases[i].lang) == 0 && sure == (bool)cases[i].sure,
              "\"%s\": got %s sure=%d, want %s sure=%d", cases[i].text, got ? got : "(null)",
              sure, cases[i].lang, cases[i].sure);
        const char *plain = nlu_detect_language(cases[i].text, strlen(cases[i].text));
        CHECK_STR(plain, got);
    }
    CHECK_STR(nlu_detect_language(NULL, 0), "en");
}

/* ---- out of scope --------------------------------------------------------------- */

static const char small_intents[] =
    "{\"intents\": {"
    " \"book\": [\"book a table\", \"reserve a table for two\", \"table for four tonight\"],"
    " \"menu\": [\"show me the menu\", \"what dishes do you have\", \"menu please\"],"
    " \"hours\": [\"when do you open\", \"opening hours\", \"are you open on sunday\"],"
    " \"pay\": [\"can i pay by card\", \"do you take cash\", \"payment methods\"],"
    " \"park\": [\"where can i park\", \"is there parking\", \"parking nearby\"],"
    " \"diet\": [\"vegan options\", \"gluten free dishes\", \"halal food\"]"
    "}}";

TEST(out_of_scope_threshold)
{
    nlu_model *m = NULL;
    pt_error err;
    const char *texts[1] = {small_intents};
    size_t lens[1] = {sizeof small_intents - 1};
    double conf;
    pt_error_clear(&err);
    int rc = nlu_model_train(texts, lens, 1, &m, &err);
    CHECK(rc == 0 && m, "train: %s", err.msg);
    if (m == NULL)
        return;
    /* a known request */
    CHECK_STR(classify(m, "can I reserve a table for 6?", &conf), "book");
    CHECK(conf >= 0.2, "confidence %.3f", conf);
    /* nothing known: no "out_of_scope" class, so the threshold rule answers */
    const char *got = classify(m, "ㅋㅋㅋ ㅎㅎ", &conf);
    CHECK_STR(got, "out_of_scope");
    CHECK(conf > 0.0 && conf <= 1.0, "confidence %.3f", conf);
    /* with an out_of_scope class in the data it is a class like the others */
    if (pack_model) {
        CHECK_STR(classify(pack_model, "who won the football match last night", &conf),
                  "out_of_scope");
        CHECK_STR(classify(pack_model, "ㅋㅋㅋ ㅎㅎ", &conf), "out_of_scope");
    }
    /* no model: out_of_scope, confidence 0 */
    const char *intent = NULL;
    nlu_classify(NULL, "hello", 5, &intent, &conf);
    CHECK_STR(intent, "out_of_scope");
    CHECK(conf == 0.0, "confidence %.3f", conf);
    nlu_model_free(m);
}

/* ---- errors ------------------------------------------------------------------------ */

TEST(bad_json)
{
    static const struct {
        const char *doc, *msg;
    } cases[] = {
        {"{\"intents\": {\n\"a\": [\"x\",\n\"y\" \"z\"]}}", "intents file 2: line 3:"},
        {"[1, 2]", "intents file 2: \"intents\" must be an object"},
        {"{\"intents\": []}", "intents file 2: \"intents\" must be an object"},
        {"{\"intents\": {\"a\": \"hello\"}}", "intents file 2: intent \"a\": utterances must be"},
        {"{\"intents\": {\"a\": [\"ok\", 3]}}", "intents file 2: intent \"a\": utterance 2 is not"},
        {"{\"intents\": {\"\": [\"ok\"]}}", "intents file 2: intent name"},
        {"", "intents file 2: line"},
    };
    const char *good = "{\"intents\": {\"hi\": [\"hello\"]}}";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nlu_model *m = (nlu_model *)1;
        pt_error err;
        const char *texts[2] = {good, cases[i].doc};
        size_t lens[2] = {strlen(good), strlen(cases[i].doc)};
        pt_error_clear(&err);
        int rc = nlu_model_train(texts, lens, 2, &m, &err);
        CHECK(rc == -PT_ERR_INVALID, "case %zu: rc %d", i, rc);
        CHECK(m == NULL, "case %zu: model set on error", i);
        CHECK(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
              "case %zu: message \"%s\", want \"%s...\"", i, err.msg, cases[i].msg);
    }
    /* nothing to learn */
    {
        nlu_model *m = NULL;
        pt_error err;
        const char *texts[1] = {"{\"intents\": {}}"};
        size_t lens[1] = {strlen(texts[0])};
        pt_error_clear(&err);
        CHECK(nlu_model_train(texts, lens, 1, &m, &err) == -PT_ERR_INVALID, "empty intents");
        pt_error_clear(&err);
        CHECK(nlu_model_train(texts, lens, 0, &m, &err) == -PT_ERR_INVALID, "no files");
    }
    /* a pack folder that is not there */
    {
        nlu_model *m = NULL;
        pt_error err;
        pt_error_clear(&err);
        int rc = nlu_model_train_dir("/nonexistent/pack", &m, &err);
        CHECK(rc == -PT_ERR_NOT_FOUND && m == NULL, "rc %d (%s)", rc, err.msg);
        CHECK(strstr(err.msg, "/nonexistent/pack/intents") != NULL, "message \"%s\"", err.msg);
    }
}

TEST(merge_documents)
{
    const char *a = "{\"intents\": {\"hi\": [\"hello there\", \"hey\"], "
                    "\"buy\": [\"i want to buy a flat\"]}}";
    const char *b = "{\"intents\": {\"hi\": [\"good morning\"], "
                    "\"rent\": [\"i want to rent a flat\", \"flat for rent\"]}}";
    const char *texts[2] = {a, b};
    size_t lens[2] = {strlen(a), strlen(b)};
    nlu_model *m = NULL;
    pt_error err;
    pt_error_clear(&err);
    CHECK(nlu_model_train(texts, lens, 2, &m, &err) == 0, "train: %s", err.msg);
    if (m == NULL)
        return;
    CHECK_STR(classify(m, "good morning", NULL), "hi");
    CHECK_STR(classify(m, "hello there", NULL), "hi");
    CHECK_STR(classify(m, "flat for rent", NULL), "rent");
    nlu_model_free(m);
}

/* ---- determinism and threads ------------------------------------------------------- */

TEST(determinism)
{
    nlu_model *m2 = NULL;
    pt_error err;
    pt_error_clear(&err);
    if (pack_model == NULL)
        return;
    CHECK(nlu_model_train_dir(pack_dir(), &m2, &err) == 0, "second training: %s", err.msg);
    if (m2 == NULL)
        return;
    int same = 0;
    for (size_t i = 0; i < N_HELDOUT; i++) {
        double c1, c2;
        const char *i1 = classify(pack_model, heldout[i].text, &c1);
        const char *i2 = classify(m2, heldout[i].text, &c2);
        if (i1 && i2 && strcmp(i1, i2) == 0 && memcmp(&c1, &c2, sizeof c1) == 0)
            same++;
    }
    CHECK_INT(same, (int)N_HELDOUT);
    nlu_model_free(m2);
}

typedef struct thread_job {
    const nlu_model *m;
    int mismatches;
    const char *want[N_HELDOUT];
    double conf[N_HELDOUT];
} thread_job;

static void *classify_all(void *arg)
{
    thread_job *j = arg;
    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < N_HELDOUT; i++) {
            double c;
            const char *got = classify(j->m, heldout[i].text, &c);
            if (got != j->want[i] || c != j->conf[i])
                j->mismatches++;
        }
    return NULL;
}

TEST(shared_between_threads)
{
    enum { N = 4 };
    thread_job jobs[N];
    pthread_t th[N];
    if (pack_model == NULL)
        return;
    for (int t = 0; t < N; t++) {
        jobs[t].m = pack_model;
        jobs[t].mismatches = 0;
        for (size_t i = 0; i < N_HELDOUT; i++)
            jobs[t].want[i] = classify(pack_model, heldout[i].text, &jobs[t].conf[i]);
    }
    int started = 0;
    for (int t = 0; t < N; t++)
        if (pthread_create(&th[t], NULL, classify_all, &jobs[t]) == 0)
            started++;
    CHECK_INT(started, N);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    int bad = 0;
    for (int t = 0; t < started; t++)
        bad += jobs[t].mismatches;
    CHECK_INT(bad, 0);
}

/* ---- nlu_analyze and the JSON ------------------------------------------------------ */

TEST(analyze_glue)
{
    arena a;
    nlu_result r;
    arena_init(&a, 0);

    /* only a phone number: the buyer informs */
    const char *phone = "+971 50 412 7789";
    CHECK(nlu_analyze(pack_model, NULL, phone, strlen(phone), &a, &r) == 0, "analyze");
    CHECK_STR(r.text, phone);
    CHECK_STR(r.intent, pack_model ? "inform" : "out_of_scope");
    CHECK(!r.language_sure, "a phone number does not tell the language");

    /* language and intent flow through */
    const char *ar = "هل يوجد مسبح في البناية؟";
    CHECK(nlu_analyze(pack_model, NULL, ar, strlen(ar), &a, &r) == 0, "analyze");
    CHECK_STR(r.language, "ar");
    CHECK(r.language_sure, "arabic is sure");
    if (pack_model)
        CHECK_STR(r.intent, "amenities_inquiry");

    /* no model */
    CHECK(nlu_analyze(NULL, NULL, "hello", 5, &a, &r) == 0, "analyze without a model");
    CHECK_STR(r.intent, "out_of_scope");
    CHECK(r.confidence == 0.0, "confidence %f", r.confidence);

    /* invalid UTF-8 and NUL bytes are replaced, and the JSON is valid */
    const char bad[] = "hi \xff\xfe there \xc3\x28 \0 end";
    CHECK(nlu_analyze(pack_model, NULL, bad, sizeof bad - 1, &a, &r) == 0, "analyze bad utf-8");
    CHECK_STR(r.text, "hi \xEF\xBF\xBD\xEF\xBF\xBD there \xEF\xBF\xBD( \xEF\xBF\xBD end");
    char *js = nlu_result_to_json(&r);
    CHECK(js != NULL, "json of a repaired message");
    free(js);

    /* long input is cut at a character boundary */
    size_t big = 20000;
    char *longtext = malloc(big + 1);
    if (longtext) {
        for (size_t i = 0; i + 2 <= big; i += 2)
            memcpy(longtext + i, "\xd8\xa8", 2);   /* ب */
        longtext[big] = '\0';
        CHECK(nlu_analyze(pack_model, NULL, longtext + 1, big - 1, &a, &r) == 0, "long");
        CHECK(strlen(r.text) <= 3 * 8192, "cut to the cap");
        js = nlu_result_to_json(&r);
        CHECK(js != NULL, "json of a long message");
        free(js);
        free(longtext);
    }
    arena_release(&a);
}

TEST(json_shape)
{
    nlu_result r;
    memset(&r, 0, sizeof r);
    r.text = "2BHK in Whitefield under 2 cr, call +971501234567 or a@b.com";
    r.language = "en";
    r.intent = "property_search";
    r.confidence = 0.93;
    r.found = NLU_BUDGET | NLU_BEDROOMS | NLU_PTYPE | NLU_TX | NLU_PURPOSE | NLU_LOCATIONS |
              NLU_PHONE | NLU_EMAIL | NLU_WHEN;
    r.has_budget_max = true;
    r.budget_max = 20000000;
    memcpy(r.currency, "INR", 4);
    r.bedrooms = 2;
    r.type = PTYPE_APARTMENT;
    r.tx = TX_BUY;
    r.purpose = PURPOSE_INVESTMENT;
    r.n_locations = 1;
    r.locations[0] = "Whitefield";
    memcpy(r.phone, "+971501234567", 14);
    r.email = "a@b.com";
    memcpy(r.when, "2026-11-21T17:00", 17);
    r.when_has_time = true;
    r.sentiment = SENT_NEUTRAL;
    r.sentiment_score = 0.0;
    r.frustration = 0;

    char *js = nlu_result_to_json(&r);
    CHECK_STR(js,
              "{\"text\": \"2BHK in Whitefield under 2 cr, call +971501234567 or a@b.com\", "
              "\"language\": \"en\", "
              "\"intent\": {\"name\": \"property_search\", \"confidence\": 0.93}, "
              "\"entities\": {\"budget\": {\"min\": null, \"max\": 20000000, \"currency\": \"INR\"}, "
              "\"bedrooms\": 2, \"property_type\": \"apartment\", \"transaction\": \"buy\", "
              "\"purpose\": \"investment\", \"locations\": [\"Whitefield\"], "
              "\"phone\": \"+971501234567\", \"email\": \"a@b.com\", "
              "\"when\": \"2026-11-21T17:00\"}, "
              "\"sentiment\": {\"label\": \"neutral\", \"score\": 0.0, \"frustration\": 0}}");
    free(js);

    /* nothing found: empty entities; min only; studio is 0 bedrooms */
    memset(&r, 0, sizeof r);
    r.text = "ok \"quoted\"";
    r.language = "ru";
    r.intent = "affirm";
    r.confidence = 0.876543;
    r.sentiment = SENT_FRUSTRATED;
    r.sentiment_score = -0.5;
    r.frustration = 7;
    js = nlu_result_to_json(&r);
    CHECK_STR(js, "{\"text\": \"ok \\\"quoted\\\"\", \"language\": \"ru\", "
                  "\"intent\": {\"name\": \"affirm\", \"confidence\": 0.8765}, "
                  "\"entities\": {}, "
                  "\"sentiment\": {\"label\": \"frustrated\", \"score\": -0.5, \"frustration\": 7}}");
    free(js);

    r.found = NLU_BUDGET | NLU_BEDROOMS | NLU_WHEN;
    r.has_budget_min = true;
    r.budget_min = 1500000;
    r.bedrooms = 0;
    r.when[0] = '\0';               /* flagged but empty: left out */
    js = nlu_result_to_json(&r);
    CHECK(js && strstr(js, "\"entities\": {\"budget\": {\"min\": 1500000, \"max\": null, "
                           "\"currency\": null}, \"bedrooms\": 0}"),
          "got %s", js ? js : "(null)");
    free(js);

    CHECK(nlu_result_to_json(NULL) == NULL, "NULL result");
    CHECK_STR(nlu_sentiment_name(SENT_POSITIVE), "positive");
    CHECK_STR(nlu_sentiment_name(SENT_NEGATIVE), "negative");
    CHECK_STR(nlu_sentiment_name(SENT_EXCITED), "excited");
    CHECK_STR(nlu_sentiment_name((nlu_sentiment_label)99), "neutral");
}

TEST(cleanup)
{
    nlu_model_free(pack_model);
    pack_model = NULL;
    free(pack_text);
    pack_text = NULL;
    nlu_model_free(NULL);
}

TEST_MAIN(
    RUN(train_pack);
    RUN(heldout_accuracy);
    RUN(contract_examples);
    RUN(langid);
    RUN(out_of_scope_threshold);
    RUN(bad_json);
    RUN(merge_documents);
    RUN(determinism);
    RUN(shared_between_threads);
    RUN(analyze_glue);
    RUN(json_shape);
    RUN(cleanup);
)
