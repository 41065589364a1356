/*
 * banned.h - functions that are easy to misuse, banned at compile time
 * (after git's banned.h).  Included by every translation unit through the
 * compiler's -include flag.  Use snprintf, strtol/strtoll with checks, and
 * explicit-length copies instead.
 */
#ifndef PT_BANNED_H
#define PT_BANNED_H

/* The system headers come first so their own inline definitions are seen
 * before the macros below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)
#undef gets
#define gets(x) BANNED(gets)

#endif
