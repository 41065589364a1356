/*
 * fs.h - small file-system helpers shared by the modules that own files on
 * disk (the data folder's secret, the SQLite database).
 */
#ifndef PT_FS_H
#define PT_FS_H

#include "util/error.h"

/* mkdir -p dir; folders it creates get mode 0700.  Succeeds when dir ends up
 * an existing directory.  Errors: PT_ERR_INVALID (path too long or empty),
 * PT_ERR_IO (a folder could not be made, or dir is not a directory). */
int fs_mkdirs(const char *dir, pt_error *err);

#endif
