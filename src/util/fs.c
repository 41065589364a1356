/*
 * fs.c - see fs.h.
 */
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int fs_mkdirs(const char *dir, pt_error *err)
{
    char path[PATH_MAX];
    char eb[128];
    int n = snprintf(path, sizeof path, "%s", dir ? dir : "");
    if (n <= 0 || (size_t)n >= sizeof path)
        return pt_fail(err, PT_ERR_INVALID, "data folder \"%.64s\": bad or too long path", dir ? dir : "");
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return pt_fail(err, PT_ERR_IO, "data folder \"%.200s\": %s", path, strerror_r(errno, eb, sizeof eb));
        *p = c;
        if (c == '\0')
            break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return pt_fail(err, PT_ERR_IO, "data folder \"%.200s\": not a directory", path);
    return 0;
}
