/*
 * test_import.c - the listings importer against a real sqlite store in a
 * temporary folder: CSV edge cases (quotes, embedded commas and newlines,
 * BOM, CRLF, missing columns, bad numbers and enums, extra columns), JSON
 * arrays with line numbers, RESO payloads, batching and re-import, plus the
 * streaming CSV reader on its own (chunk boundaries must not matter).
 */
#include "test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import/csv.h"
#include "import/import.h"
#include "store/store.h"
#include "util/arena.h"

static store *st;
static tenant tn;
static char dir[64];
static import_report rep;

static void setup(void)
{
    pt_error err = {0};
    char url[128];
    snprintf(dir, sizeof dir, "/tmp/pt_import_XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(url, sizeof url, "sqlite:%s/t.db", dir);
    if (store_open(url, &st, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        exit(1);
    }
    memset(&tn, 0, sizeof tn);
    snprintf(tn.slug, sizeof tn.slug, "acme");
    snprintf(tn.name, sizeof tn.name, "Acme");
    memcpy(tn.currency, "AED", 4);
    memcpy(tn.region, "AE", 3);
    snprintf(tn.timezone, sizeof tn.timezone, "Asia/Dubai");
    if (st->ops->tenant_create(st, &tn, "00", &err) != 0) {
        fprintf(stderr, "tenant_create: %s\n", err.msg);
        exit(1);
    }
}

static void teardown(void)
{
    char cmd[128];
    store_close(st);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static int import_text(const char *text, pt_error *err)
{
    return import_buffer(st, &tn, text, strlen(text), &rep, err);
}

/* Writes text to a file in the temp folder and imports it. */
static int import_as_file(const char *name, const char *text, size_t len, pt_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    fwrite(text, 1, len, f);
    fclose(f);
    return import_file(st, &tn, path, &rep, err);
}

static int get(const char *id, arena *a, listing *l)
{
    pt_error err = {0};
    return st->ops->listing_get(st, tn.id, id, a, l, &err);
}

static const char *error_for_line(long line)
{
    for (int i = 0; i < rep.n_errors; i++)
        if (rep.errors[i].line == line)
            return rep.errors[i].message;
    return NULL;
}

#define HEADER "id,title,project,developer,city,locality,property_type,transaction,bedrooms," \
               "bathrooms,area_sqft,price,currency,units_available,status,completion_date," \
               "amenities,latitude,longitude,rental_yield,description\n"

TEST(test_csv_basic)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv =
        HEADER
        "A1,Marina View,Marina Heights,Emaar,Dubai,Dubai Marina,apartment,sale,2,2,1200,"
        "\"1,500,000\",,3,ready,2026-12-31,Pool; Gym ;;Parking,25.08,55.14,6.5%,\"Big, bright\"\n"
        "A2,\"Villa \"\"Palm\"\"\",,,Dubai,Palm Jumeirah,Villa,rent,studio,,,250000.6,aed,,off_plan,,"
        ",,,,\"line one\nline two\"\n"
        "A3,Studio Loft,,,Dubai,JVC,studio,sale,,1,450,400000,,,,,,,,,\n";
    /* a small import reads on the caller's thread, and leaves its name alone
     * (it renamed HTTP workers "pt-import-read" for good) */
    char name[16];
    pthread_setname_np(pthread_self(), "test-caller");
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 3);
    CHECK_INT(rep.rejected, 0);
    CHECK_INT(pthread_getname_np(pthread_self(), name, sizeof name), 0);
    CHECK_STR(name, "test-caller");

    CHECK_INT(get("A1", &a, &l), 0);
    CHECK_STR(l.title, "Marina View");
    CHECK_STR(l.locality, "Dubai Marina");
    CHECK_INT(l.price, 1500000);
    CHECK_STR(l.currency, "AED");
    CHECK_INT(l.bedrooms, 2);
    CHECK_INT(l.units_available, 3);
    CHECK_INT(l.status, LSTATUS_READY);
    CHECK_STR(l.amenities, "Pool;Gym;Parking");
    CHECK_STR(l.completion_date, "2026-12-31");
    CHECK(l.has_geo && l.latitude > 25.07 && l.longitude < 55.15, "geo");
    CHECK(l.rental_yield > 6.49 && l.rental_yield < 6.51, "yield %f", l.rental_yield);
    CHECK_STR(l.description, "Big, bright");

    CHECK_INT(get("A2", &a, &l), 0);
    CHECK_STR(l.title, "Villa \"Palm\"");
    CHECK_INT(l.type, PTYPE_VILLA);
    CHECK_INT(l.tx, TX_RENT);
    CHECK_INT(l.bedrooms, 0);
    CHECK_INT(l.price, 250001);
    CHECK_STR(l.currency, "AED");
    CHECK_INT(l.status, LSTATUS_OFF_PLAN);
    CHECK_STR(l.description, "line one\nline two");
    CHECK(!l.has_geo, "no geo");

    CHECK_INT(get("A3", &a, &l), 0);
    CHECK_INT(l.type, PTYPE_STUDIO);
    CHECK_INT(l.bedrooms, 0);
    CHECK(l.area_sqft > 449 && l.area_sqft < 451, "area");
    CHECK(l.attributes_json == NULL, "no attributes");
    arena_release(&a);
}

TEST(test_csv_bom_crlf_order_extra)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv =
        "\xEF\xBB\xBF" "Price, ID ,Transaction,Property Type,Title,View,floor\r\n"
        "900000,B1,sale,apartment,Sea Breeze,sea,12\r\n"
        "\r\n"
        ",,,,,,\r\n"
        "   \r\n"                       /* blank to the eye: skipped like an empty line */
        " , ,\t, , , , \r\n"
        "1200000,B2,sale,penthouse,Sky Home,,\r\n"
        "\t\r\n";
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 2);
    CHECK_INT(rep.rejected, 0);
    CHECK(rep.n_errors == 0, "line %ld: %s", rep.errors[0].line, rep.errors[0].message);
    /* ... also before the header */
    CHECK_INT(import_text("  \n\t\nid,title,property_type,transaction,price\nB3,T,villa,sale,5\n",
                          &err), 0);
    CHECK_INT(rep.imported, 1);
    /* status as a spreadsheet shows it */
    CHECK_INT(import_text("id,title,property_type,transaction,price,status\n"
                          "B4,T,villa,sale,5,Off Plan\nB5,T,villa,sale,5,OFF-PLAN\n"
                          "B6,T,villa,sale,5,Ready\n", &err), 0);
    CHECK_INT(rep.imported, 3);
    CHECK(get("B4", &a, &l) == 0 && l.status == LSTATUS_OFF_PLAN, "\"Off Plan\" is off_plan");
    CHECK_INT(get("B1", &a, &l), 0);
    CHECK_INT(l.price, 900000);
    CHECK_STR(l.attributes_json, "{\"view\":\"sea\",\"floor\":\"12\"}");
    CHECK_INT(get("B2", &a, &l), 0);
    CHECK_INT(l.type, PTYPE_PENTHOUSE);
    CHECK(l.attributes_json == NULL, "empty extras are not kept");
    arena_release(&a);
}

TEST(test_csv_bad_rows)
{
    pt_error err = {0};
    const char *csv =
        HEADER                                                          /* line 1 */
        "C1,Good,,,,Loc,apartment,sale,1,,,100,,,,,,,,,\n"              /* 2 */
        "C2,Bad price,,,,Loc,apartment,sale,1,,,abc,,,,,,,,,\n"         /* 3 */
        "C3,Bad type,,,,Loc,castle,sale,1,,,100,,,,,,,,,\n"             /* 4 */
        "C4,Bad tx,,,,Loc,villa,swap,1,,,100,,,,,,,,,\n"                /* 5 */
        "C5,Neg,,,,Loc,villa,sale,1,,,-5,,,,,,,,,\n"                    /* 6 */
        "C6,Short row,apartment\n"                                     /* 7 */
        ",No id,,,,Loc,villa,sale,1,,,100,,,,,,,,,\n"                   /* 8 */
        "C8,,,,,Loc,villa,sale,1,,,100,,,,,,,,,\n"                      /* 9 */
        "C9,Beds,,,,Loc,villa,sale,2.5,,,100,,,,,,,,,\n"                /* 10 */
        "C10,Date,,,,Loc,villa,sale,2,,,100,,,,12/2026,,,,,\n"          /* 11 */
        "C11,Status,,,,Loc,villa,sale,2,,,100,,,soon,,,,,,\n"           /* 12 */
        "C12,Lat only,,,,Loc,villa,sale,2,,,100,,,,,,25.1,,,\n"         /* 13 */
        "C13,Cur,,,,Loc,villa,sale,2,,,100,XYZ,,,,,,,,\n"               /* 14 */
        "C14,\"Multi\nline\",,,,Loc,villa,sale,2,,,100,,,,,,,,,\n"      /* 15-16 */
        "C15,Bad \xff utf8,,,,Loc,villa,sale,2,,,100,,,,,,,,,\n"        /* 17 */
        "C16,Good again,,,,Loc,villa,sale,n/a,,,\"2,00,000\",,,,,,,,,\n"; /* 18 */
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 3);
    CHECK_INT(rep.rejected, 13);
    CHECK_STR(error_for_line(3), "price \"abc\" is not a number");
    CHECK(error_for_line(4) && strstr(error_for_line(4), "property_type \"castle\""), "type");
    CHECK(error_for_line(5) && strstr(error_for_line(5), "transaction \"swap\""), "tx");
    CHECK_STR(error_for_line(6), "price \"-5\" is negative");
    CHECK_STR(error_for_line(7), "row has 3 fields, the header has 21");
    CHECK_STR(error_for_line(8), "id is missing");
    CHECK(error_for_line(9) && strstr(error_for_line(9), "title and project"), "title");
    CHECK(error_for_line(10) && strstr(error_for_line(10), "bedrooms \"2.5\""), "beds");
    CHECK(error_for_line(11) && strstr(error_for_line(11), "completion_date \"12/2026\""), "date");
    CHECK(error_for_line(12) && strstr(error_for_line(12), "status \"soon\""), "status");
    CHECK_STR(error_for_line(13), "latitude is given without longitude");
    CHECK(error_for_line(14) && strstr(error_for_line(14), "currency \"XYZ\" is not an ISO 4217"),
          "currency: %s", error_for_line(14) ? error_for_line(14) : "(none)");
    CHECK(error_for_line(17) && strstr(error_for_line(17), "UTF-8"), "utf8");
    CHECK(error_for_line(15) == NULL && error_for_line(18) == NULL, "good rows");

    char *json = import_report_json(&rep);
    CHECK(json && strncmp(json, "{\"imported\":3,\"rejected\":13,\"errors\":[{\"line\":3,", 48) == 0,
          "report json %s", json ? json : "(null)");
    free(json);
}

/* Separators must group digits as thousands ("1,500,000") or lakhs
 * ("15,00,000"); anything else is a typo or a decimal comma, and a silent
 * 12 for "1,2" or 1.5005 for "1.500,50" would be a wrong price. */
TEST(test_csv_number_grouping)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv =
        "id,title,property_type,transaction,price,area_sqft\n"     /* line 1 */
        "G1,t,villa,sale,\"1,500,000\",\"1,250.5\"\n"              /* 2 */
        "G2,t,villa,sale,\"15,00,000\",\n"                        /* 3 */
        "G3,t,villa,sale,\"1,23,45,678\",\n"                      /* 4 */
        "G4,t,villa,sale,\"12,345\",\n"                           /* 5 */
        "B1,t,villa,sale,\"1,2\",\n"                              /* 6 */
        "B2,t,villa,sale,\"1.500,50\",\n"                         /* 7 */
        "B3,t,villa,sale,\"1,5000\",\n"                           /* 8 */
        "B4,t,villa,sale,\"1,234,56\",\n"                         /* 9 */
        "B5,t,villa,sale,\"1,23,456,789\",\n"                     /* 10 */
        "B6,t,villa,sale,\"1234,567\",\n"                         /* 11 */
        "B7,t,villa,sale,100,\"1,5\"\n"                           /* 12 */
        "B8,t,villa,sale,\"1e1,000\",\n";                         /* 13 */
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 4);
    CHECK_INT(rep.rejected, 8);
    CHECK(get("G1", &a, &l) == 0 && l.price == 1500000 && l.area_sqft == 1250.5, "G1 %lld",
          (long long)l.price);
    CHECK(get("G2", &a, &l) == 0 && l.price == 1500000, "G2 %lld", (long long)l.price);
    CHECK(get("G3", &a, &l) == 0 && l.price == 12345678, "G3 %lld", (long long)l.price);
    CHECK(get("G4", &a, &l) == 0 && l.price == 12345, "G4 %lld", (long long)l.price);
    CHECK_STR(error_for_line(6), "price \"1,2\" is not a number");
    CHECK_STR(error_for_line(7), "price \"1.500,50\" is not a number");
    for (long line = 8; line <= 11; line++)
        CHECK(error_for_line(line) && strstr(error_for_line(line), "is not a number"),
              "line %ld: %s", line, error_for_line(line) ? error_for_line(line) : "(imported)");
    CHECK_STR(error_for_line(12), "area_sqft \"1,5\" is not a number");
    CHECK(error_for_line(13) != NULL, "a comma in the exponent");
    arena_release(&a);
}

TEST(test_csv_header_errors)
{
    pt_error err = {0};
    CHECK_INT(import_text("id,title,transaction\nX,Y,sale\n", &err), -PT_ERR_INVALID);
    CHECK(strstr(err.msg, "\"property_type\"") && strstr(err.msg, "\"price\""), "%s", err.msg);
    CHECK_INT(rep.imported, 0);

    pt_error_clear(&err);
    CHECK_INT(import_text("id,price,property_type,transaction,bedrooms\n1,2,villa,sale,1\n", &err),
              -PT_ERR_INVALID);
    CHECK(strstr(err.msg, "\"title\" or \"project\""), "%s", err.msg);

    pt_error_clear(&err);
    CHECK_INT(import_text("id,price,Price,property_type,transaction,title\n", &err),
              -PT_ERR_INVALID);
    CHECK(strstr(err.msg, "appears twice"), "%s", err.msg);

    /* extra columns are kept by their normalised name: two that normalise
     * alike would lose one of them, row after row */
    pt_error_clear(&err);
    CHECK_INT(import_text("id,price,property_type,transaction,title,View,Floor Plan,floor-plan\n"
                          "X,1,villa,sale,T,sea,a,b\n", &err), -PT_ERR_INVALID);
    CHECK(strstr(err.msg, "\"floor_plan\" appears twice"), "%s", err.msg);
    CHECK_INT(rep.imported, 0);

    pt_error_clear(&err);
    CHECK_INT(import_text("   \n\t ", &err), -PT_ERR_INVALID);

    /* a header alone is a valid, empty import */
    pt_error_clear(&err);
    CHECK_INT(import_text("id,price,property_type,transaction,project", &err), 0);
    CHECK_INT(rep.imported + rep.rejected, 0);
}

TEST(test_csv_unterminated_quote)
{
    pt_error err = {0};
    const char *csv = "id,title,price,property_type,transaction\n"
                      "D1,Fine,100,villa,sale\n"
                      "D2,\"Never closed,100,villa,sale\n"
                      "D3,More,100,villa,sale\n";
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 1);
    CHECK_INT(rep.rejected, 1);
    CHECK(rep.n_errors == 1 && rep.errors[0].line == 3 &&
          strstr(rep.errors[0].message, "never closed"), "unterminated");
}

TEST(test_csv_semicolon_and_file)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv = "id;title;price;property_type;transaction;amenities\n"
                      "E1;Semi;\"1,000\";office;rent;\"Lift;Parking\"\n";
    CHECK_INT(import_as_file("semi.csv", csv, strlen(csv), &err), 0);
    CHECK_INT(rep.imported, 1);
    CHECK_INT(get("E1", &a, &l), 0);
    CHECK_INT(l.price, 1000);
    CHECK_STR(l.amenities, "Lift;Parking");

    pt_error_clear(&err);
    char path[128];
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    CHECK_INT(import_file(st, &tn, path, &rep, &err), -PT_ERR_IO);
    arena_release(&a);
}

TEST(test_reimport_updates_and_batches)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    size_t cap = 4000 * 64, o = 0;
    char *csv = malloc(cap);
    o += (size_t)snprintf(csv + o, cap - o, "id,title,price,property_type,transaction\n");
    for (int i = 0; i < 2500; i++)
        o += (size_t)snprintf(csv + o, cap - o, "F%d,Home %d,%d,apartment,sale\n", i, i, 1000 + i);
    CHECK_INT(import_as_file("big.csv", csv, o, &err), 0);
    CHECK_INT(rep.imported, 2500);
    int64_t n = 0;
    CHECK_INT(st->ops->listing_count(st, tn.id, &n, &err), 0);
    CHECK(n >= 2500, "count %lld", (long long)n);

    o = (size_t)snprintf(csv, cap, "id,title,price,property_type,transaction\nF7,Renamed,5,villa,rent\n");
    CHECK_INT(import_as_file("upd.csv", csv, o, &err), 0);
    CHECK_INT(get("F7", &a, &l), 0);
    CHECK_STR(l.title, "Renamed");
    CHECK_INT(l.price, 5);
    CHECK_INT(l.tx, TX_RENT);
    int64_t n2 = 0;
    CHECK_INT(st->ops->listing_count(st, tn.id, &n2, &err), 0);
    CHECK_INT(n2, n);
    free(csv);
    arena_release(&a);
}

/* An id given twice in one file: the later row is rejected with its line
 * (naming the first), the first stands, and the counts are true.  A row
 * that was itself rejected does not take the id.  An id from an earlier
 * import is an update (test_reimport_updates_and_batches). */
TEST(test_duplicate_ids)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv =
        "id,title,price,property_type,transaction\n"   /* 1 */
        "D1,First,100,apartment,sale\n"                /* 2 */
        "D2,Other,200,villa,sale\n"                    /* 3 */
        "D1,Second,300,apartment,sale\n"               /* 4 */
        "D3,Bad price,abc,villa,sale\n"                /* 5 */
        "D3,Good now,400,villa,sale\n"                 /* 6 */
        "D1,Third,500,apartment,sale\n";               /* 7 */
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 3);
    CHECK_INT(rep.rejected, 3);
    CHECK(error_for_line(4) && strstr(error_for_line(4), "\"D1\"") &&
          strstr(error_for_line(4), "line 2"), "line 4: %s", error_for_line(4) ? error_for_line(4) : "(none)");
    CHECK(error_for_line(7) && strstr(error_for_line(7), "line 2"), "line 7 names line 2");
    CHECK(error_for_line(6) == NULL, "a rejected row does not take the id");
    CHECK_INT(get("D1", &a, &l), 0);
    CHECK_STR(l.title, "First");
    CHECK_INT(l.price, 100);
    CHECK_INT(get("D3", &a, &l), 0);
    CHECK_STR(l.title, "Good now");

    /* JSON, read from a file (the reader on its own thread) */
    const char *json =
        "[\n"                                                                      /* 1 */
        "  {\"id\": \"E1\", \"title\": \"One\", \"price\": 1, \"property_type\": \"plot\","
        " \"transaction\": \"sale\"},\n"                                           /* 2 */
        "  {\"id\": \"E1\", \"title\": \"Two\", \"price\": 2, \"property_type\": \"plot\","
        " \"transaction\": \"sale\"}\n"                                            /* 3 */
        "]\n";
    CHECK_INT(import_as_file("dup.json", json, strlen(json), &err), 0);
    CHECK_INT(rep.imported, 1);
    CHECK_INT(rep.rejected, 1);
    CHECK(error_for_line(3) && strstr(error_for_line(3), "line 2"), "json line 3: %s",
          error_for_line(3) ? error_for_line(3) : "(none)");
    CHECK_INT(get("E1", &a, &l), 0);
    CHECK_STR(l.title, "One");

    /* past the table's first growth: 5,000 ids, then the first 100 again */
    size_t cap = 6000 * 48, o = 0;
    char *big = malloc(cap);
    o += (size_t)snprintf(big + o, cap - o, "id,title,price,property_type,transaction\n");
    for (int i = 0; i < 5100; i++)
        o += (size_t)snprintf(big + o, cap - o, "G%d,Home,%d,apartment,sale\n", i % 5000, 1000 + i);
    CHECK_INT(import_as_file("dup_big.csv", big, o, &err), 0);
    CHECK_INT(rep.imported, 5000);
    CHECK_INT(rep.rejected, 100);
    CHECK(error_for_line(5002) && strstr(error_for_line(5002), "\"G0\"") &&
          strstr(error_for_line(5002), "line 2)"), "G0 again: %s",
          error_for_line(5002) ? error_for_line(5002) : "(none)");
    CHECK_INT(get("G7", &a, &l), 0);
    CHECK_INT(l.price, 1007);
    free(big);

    /* the next file may give D1 again: an update */
    CHECK_INT(import_text("id,title,price,property_type,transaction\nD1,Updated,600,villa,sale\n",
                          &err), 0);
    CHECK_INT(rep.imported, 1);
    CHECK_INT(rep.rejected, 0);
    CHECK_INT(get("D1", &a, &l), 0);
    CHECK_STR(l.title, "Updated");
    arena_release(&a);
}

/* A row's currency is a real ISO 4217 currency code, not only three letters. */
TEST(test_currency_codes)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *csv =
        "id,title,price,property_type,transaction,currency\n"   /* 1 */
        "K1,Riyal,100,villa,sale,sar\n"                          /* 2 */
        "K2,Made up,100,villa,sale,XYZ\n"                        /* 3 */
        "K3,Gold,100,villa,sale,XAU\n"                           /* 4 */
        "K4,Word,100,villa,sale,dollars\n"                       /* 5 */
        "K5,CFA,100,villa,sale,XOF\n"                            /* 6 */
        "K6,Default,100,villa,sale,\n";                          /* 7 */
    CHECK_INT(import_text(csv, &err), 0);
    CHECK_INT(rep.imported, 3);
    CHECK_INT(rep.rejected, 3);
    CHECK_STR(error_for_line(3), "currency \"XYZ\" is not an ISO 4217 currency code");
    CHECK_STR(error_for_line(4), "currency \"XAU\" is not an ISO 4217 currency code");
    CHECK_STR(error_for_line(5), "currency \"dollars\" is not an ISO 4217 currency code");
    CHECK_INT(get("K1", &a, &l), 0);
    CHECK_STR(l.currency, "SAR");
    CHECK_INT(get("K6", &a, &l), 0);
    CHECK_STR(l.currency, "AED");
    arena_release(&a);
}

TEST(test_json_array)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *json =
        "[\n"                                                              /* 1 */
        "  {\"id\": \"J1\", \"title\": \"Json Home\", \"price\": 1500000.4,\n" /* 2 */
        "   \"property_type\": \"townhouse\", \"transaction\": \"sale\",\n"
        "   \"bedrooms\": 3, \"amenities\": [\"Pool\", \"Gym\"], \"view\": \"park\",\n"
        "   \"latitude\": 12.97, \"longitude\": 77.75},\n"
        "  {\"id\": \"J2\", \"title\": \"Bad\", \"price\": \"lots\",\n"       /* 6 */
        "   \"property_type\": \"villa\", \"transaction\": \"sale\"},\n"
        "  {\"id\": \"J3\", \"project\": \"P\", \"price\": 10, \"property_type\": \"plot\",\n" /* 8 */
        "   \"transaction\": \"sale\", \"bedrooms\": null, \"title\": {\"x\": 1}},\n"
        "  42,\n"                                                          /* 10 */
        "  {\"id\": \"J5\", \"id\": \"dup\"},\n"                           /* 11 */
        "  {\"id\": 6, \"project\": \"Numeric id\", \"price\": 7, \"property_type\": \"shop\","
        " \"transaction\": \"rent\"}\n"                                    /* 12 */
        "]\n";
    CHECK_INT(import_text(json, &err), 0);
    CHECK_INT(rep.imported, 2);
    CHECK_INT(rep.rejected, 4);
    CHECK_STR(error_for_line(6), "price \"lots\" is not a number");
    CHECK(error_for_line(8) && strstr(error_for_line(8), "title must be a string"), "obj");
    CHECK_STR(error_for_line(10), "element is not a JSON object");
    CHECK(error_for_line(11) && strstr(error_for_line(11), "malformed JSON"), "dup key");
    CHECK_INT(get("J1", &a, &l), 0);
    CHECK_INT(l.price, 1500000);
    CHECK_INT(l.bedrooms, 3);
    CHECK_STR(l.amenities, "Pool;Gym");
    CHECK_STR(l.attributes_json, "{\"view\":\"park\"}");
    CHECK(l.has_geo, "geo");
    CHECK_INT(get("6", &a, &l), 0);
    CHECK_INT(l.tx, TX_RENT);

    pt_error_clear(&err);
    CHECK_INT(import_text("[{\"id\": \"K1\"}, ", &err), -PT_ERR_INVALID);
    CHECK(strstr(err.msg, "malformed JSON"), "%s", err.msg);
    CHECK_INT(rep.imported + rep.rejected, 0);
    pt_error_clear(&err);
    CHECK_INT(import_text("{\"items\": []}", &err), -PT_ERR_INVALID);
    pt_error_clear(&err);
    CHECK_INT(import_text("[] x", &err), -PT_ERR_INVALID);
    pt_error_clear(&err);
    CHECK_INT(import_text("[]", &err), 0);
    arena_release(&a);
}

TEST(test_reso)
{
    pt_error err = {0};
    arena a;
    listing l;
    arena_init(&a, 0);
    const char *reso =
        "{\"@odata.context\": \"$metadata#Property\",\n"
        " \"value\": [\n"
        "  {\"ListingKey\": \"R1\", \"ListPrice\": 850000, \"BedroomsTotal\": 4,\n" /* 3 */
        "   \"BathroomsTotalInteger\": 3, \"LivingArea\": 2400, \"City\": \"Austin\",\n"
        "   \"SubdivisionName\": \"Mueller\", \"PropertyType\": \"Residential\",\n"
        "   \"PropertySubType\": \"Single Family Residence\", \"StandardStatus\": \"Active\",\n"
        "   \"Latitude\": 30.29, \"Longitude\": -97.70, \"PublicRemarks\": \"Lovely\",\n"
        "   \"ListingContractDate\": \"2024-01-02\", \"YearBuilt\": 2015,\n"
        "   \"UnparsedAddress\": \"1 Main St\", \"AssociationAmenities\": [\"Pool\"]},\n"
        "  {\"ListingKey\": \"R2\", \"ListPrice\": 3000, \"PropertyType\": \"ResidentialLease\",\n" /* 10 */
        "   \"LeaseAmountFrequency\": \"Monthly\", \"MLSAreaMajor\": \"Downtown\",\n"
        "   \"LivingArea\": 100, \"LivingAreaUnits\": \"Square Meters\"},\n"
        "  {\"ListingKey\": \"R3\", \"ListPrice\": 1, \"PropertyType\": \"Boat\"},\n" /* 13 */
        "  {\"ListingKey\": \"R4\", \"ListPrice\": 200000, \"PropertyType\": \"Land\"},\n"
        "  {\"ListingKey\": \"R5\", \"ListPrice\": 99, \"PropertyType\": \"Commercial Sale\",\n"
        "   \"PropertySubType\": \"Retail\"}\n"
        " ]}\n";
    CHECK_INT(import_text(reso, &err), 0);
    CHECK_INT(rep.imported, 4);
    CHECK_INT(rep.rejected, 1);
    CHECK(error_for_line(13) && strstr(error_for_line(13), "PropertyType \"Boat\""), "boat");
    CHECK_INT(get("R1", &a, &l), 0);
    CHECK_INT(l.type, PTYPE_VILLA);
    CHECK_INT(l.tx, TX_BUY);
    CHECK_INT(l.price, 850000);
    CHECK_INT(l.bedrooms, 4);
    CHECK(l.bathrooms == 3, "baths");
    CHECK_STR(l.city, "Austin");
    CHECK_STR(l.locality, "Mueller");
    CHECK_STR(l.title, "1 Main St");
    CHECK_STR(l.description, "Lovely");
    CHECK_STR(l.amenities, "Pool");
    CHECK_STR(l.currency, "AED");
    CHECK_INT(l.status, LSTATUS_READY);
    CHECK(l.attributes_json && strstr(l.attributes_json, "\"YearBuilt\":2015") &&
          !strstr(l.attributes_json, "ListingContractDate"), "attrs %s",
          l.attributes_json ? l.attributes_json : "(null)");
    CHECK_INT(get("R2", &a, &l), 0);
    CHECK_INT(l.tx, TX_RENT);
    CHECK_INT(l.type, PTYPE_APARTMENT);
    CHECK_INT(l.price, 36000);
    CHECK_STR(l.locality, "Downtown");
    CHECK(l.area_sqft > 1076 && l.area_sqft < 1077, "m2 -> sqft %f", l.area_sqft);
    CHECK(l.title && strstr(l.title, "Apartment in Downtown"), "title %s", l.title);
    CHECK_INT(get("R4", &a, &l), 0);
    CHECK_INT(l.type, PTYPE_PLOT);
    CHECK_INT(get("R5", &a, &l), 0);
    CHECK_INT(l.type, PTYPE_SHOP);

    /* a later feed closes R1: it is removed */
    pt_error_clear(&err);
    CHECK_INT(import_text("{\"value\": [{\"ListingKey\": \"R1\", \"StandardStatus\": \"Closed\"}]}",
                          &err), 0);
    CHECK_INT(rep.removed, 1);
    CHECK_INT(get("R1", &a, &l), -PT_ERR_NOT_FOUND);
    arena_release(&a);
}

/* ---- the CSV reader alone ---- */

typedef struct collected {
    char out[4096];
    size_t len;
} collected;

static int collect(void *ctx, const csv_record *r)
{
    collected *c = ctx;
    int n = snprintf(c->out + c->len, sizeof c->out - c->len, "%ld:", r->line);
    c->len += (size_t)n;
    if (r->error) {
        n = snprintf(c->out + c->len, sizeof c->out - c->len, "ERR(%s)", r->error);
        c->len += (size_t)n;
    }
    for (int i = 0; i < r->n_fields; i++) {
        n = snprintf(c->out + c->len, sizeof c->out - c->len, "[%s]", r->fields[i]);
        c->len += (size_t)n;
    }
    c->out[c->len++] = '|';
    c->out[c->len] = '\0';
    return 0;
}

static void parse_in_chunks(const char *text, size_t chunk, collected *c)
{
    csv_parser p;
    memset(c, 0, sizeof *c);
    csv_init(&p, ',', collect, c);
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i += chunk)
        csv_feed(&p, text + i, n - i < chunk ? n - i : chunk);
    csv_finish(&p);
    csv_release(&p);
}

TEST(test_csv_reader_chunks)
{
    const char *text = "\xEF\xBB\xBF" "a,\"b,1\",c\r\n\"x\"\"y\",\"multi\r\nline\",z\rlast,,\"\"";
    const char *want = "1:[a][b,1][c]|2:[x\"y][multi\r\nline][z]|4:[last][][]|";
    collected whole, bytes;
    parse_in_chunks(text, 1u << 20, &whole);
    CHECK_STR(whole.out, want);
    for (size_t k = 1; k <= 5; k++) {
        parse_in_chunks(text, k, &bytes);
        CHECK_STR(bytes.out, want);
    }
    parse_in_chunks("\xEF\xBB", 1, &bytes);
    CHECK_STR(bytes.out, "1:[\xEF\xBB]|");
    parse_in_chunks("a\"b,\"c\"d\n", 3, &bytes);
    CHECK_STR(bytes.out, "1:[a\"b][cd]|");
    parse_in_chunks("x\n\"open\n", 2, &bytes);
    CHECK_STR(bytes.out, "1:[x]|2:ERR(quoted field opened on line 2 is never closed)|");
    CHECK(csv_sniff_delimiter("a;b;c\n1,2", 9) == ';', "sniff ;");
    CHECK(csv_sniff_delimiter("a\tb\n", 4) == '\t', "sniff tab");
    CHECK(csv_sniff_delimiter("\"a,b\";c\n", 8) == ';', "sniff ignores quoted");
}

TEST(test_csv_reader_caps)
{
    csv_parser p;
    collected c;
    memset(&c, 0, sizeof c);
    csv_init(&p, ',', collect, &c);
    char *big = malloc(CSV_MAX_RECORD_BYTES + 10);
    memset(big, 'x', CSV_MAX_RECORD_BYTES + 10);
    csv_feed(&p, big, CSV_MAX_RECORD_BYTES + 10);
    csv_feed(&p, "\nok\n", 4);
    for (int i = 0; i < CSV_MAX_FIELDS + 5; i++)
        csv_feed(&p, ",", 1);
    csv_feed(&p, "\nend", 4);
    csv_finish(&p);
    csv_release(&p);
    free(big);
    CHECK_STR(c.out, "1:ERR(record is longer than 1 MiB)|2:[ok]|3:ERR(record has more than "
                     "1024 fields)|4:[end]|");
}

TEST_MAIN(
    setup();
    RUN(test_csv_basic);
    RUN(test_csv_bom_crlf_order_extra);
    RUN(test_csv_bad_rows);
    RUN(test_csv_number_grouping);
    RUN(test_csv_header_errors);
    RUN(test_csv_unterminated_quote);
    RUN(test_csv_semicolon_and_file);
    RUN(test_reimport_updates_and_batches);
    RUN(test_duplicate_ids);
    RUN(test_currency_codes);
    RUN(test_json_array);
    RUN(test_reso);
    RUN(test_csv_reader_chunks);
    RUN(test_csv_reader_caps);
    teardown();
)
