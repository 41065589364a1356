/*
 * iso.c - the ISO 4217 currency and ISO 3166-1 alpha-2 country codes (see
 * iso.h): each table is one sorted string of fixed-width codes, turned at
 * first use into a bit set indexed by the letters.
 *
 * Source: Debian iso-codes 4.15.0 (iso_4217.json, iso_3166-1.json), as
 * tools/gen-iso-codes.py prints them: the currencies less those no price is
 * in (XAG XAU XBA XBB XBC XBD XDR XPD XPT XSU XTS XUA XXX), plus ISO 4217
 * amendments 176 (XCG, 2025) and 177 (ZWG, 2024).  Withdrawn codes the data
 * still lists (HRK, SLL, ZWL, ...) stay: an older feed may use them.
 */
#include "core/iso.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

static const char currencies[] =
    "AEDAFNALLAMDANGAOAARSAUDAWGAZNBAMBBDBDTBGNBHDBIFBMDBND"
    "BOBBOVBRLBSDBTNBWPBYNBZDCADCDFCHECHFCHWCLFCLPCNYCOPCOU"
    "CRCCUCCUPCVECZKDJFDKKDOPDZDEGPERNETBEURFJDFKPGBPGELGHS"
    "GIPGMDGNFGTQGYDHKDHNLHRKHTGHUFIDRILSINRIQDIRRISKJMDJOD"
    "JPYKESKGSKHRKMFKPWKRWKWDKYDKZTLAKLBPLKRLRDLSLLYDMADMDL"
    "MGAMKDMMKMNTMOPMRUMURMVRMWKMXNMXVMYRMZNNADNGNNIONOKNPR"
    "NZDOMRPABPENPGKPHPPKRPLNPYGQARRONRSDRUBRWFSARSBDSCRSDG"
    "SEKSGDSHPSLESLLSOSSRDSSPSTNSVCSYPSZLTHBTJSTMTTNDTOPTRY"
    "TTDTWDTZSUAHUGXUSDUSNUYIUYUUYWUZSVEDVESVNDVUVWSTXAFXCD"
    "XCGXOFXPFYERZARZMWZWGZWL";

static const char regions[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBI"
    "BJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCN"
    "COCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFK"
    "FMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
    "HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
    "KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMK"
    "MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONP"
    "NRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTF"
    "TGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
    "VNVUWFWSYEYTZAZMZW";

/* Every code of the tables as a bit of a set indexed by its letters in
 * base 26 (AAA = 0): built once, then a code is a bit test (the importer
 * asks once a row). */
#define ISO_CUR_BITS (26 * 26 * 26)
#define ISO_REG_BITS (26 * 26)
static uint64_t cur_set[(ISO_CUR_BITS + 63) / 64], reg_set[(ISO_REG_BITS + 63) / 64];
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

/* The base-26 index of the n letters at p (either case), or -1. */
static long code_index(const char *p, size_t n)
{
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)p[i];
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        if (c < 'A' || c > 'Z')
            return -1;
        k = k * 26 + (c - 'A');
    }
    return k;
}

static void sets_init(void)
{
    for (size_t i = 0; i + 3 <= sizeof currencies - 1; i += 3) {
        long k = code_index(currencies + i, 3);
        cur_set[k / 64] |= 1ULL << (k % 64);
    }
    for (size_t i = 0; i + 2 <= sizeof regions - 1; i += 2) {
        long k = code_index(regions + i, 2);
        reg_set[k / 64] |= 1ULL << (k % 64);
    }
}

static bool known(const uint64_t *set, const char *code, size_t n)
{
    if (code == NULL || strnlen(code, n + 1) != n)
        return false;
    long k = code_index(code, n);
    if (k < 0)
        return false;
    pthread_once(&sets_once, sets_init);
    return (set[k / 64] >> (k % 64)) & 1;
}

bool iso_currency_known(const char *code)
{
    return known(cur_set, code, 3);
}

bool iso_region_known(const char *code)
{
    return known(reg_set, code, 2);
}
