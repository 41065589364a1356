/*
 * secret.h - the instance secret (CONTRACT.md §1 PROPTALK_SECRET): key
 * material for JWTs, derived demo keys and encryption.  Taken from the
 * environment, or generated once (32 random bytes, hex) and kept in
 * <data>/secret with mode 0600.
 */
#ifndef PT_SECRET_H
#define PT_SECRET_H

#include "util/error.h"

/* Fills out (NUL-terminated, at most size-1 chars) with the secret.
 * data_dir is created (0700) if missing.  Errors: PT_ERR_IO. */
int secret_load(const char *data_dir, char *out, size_t size, pt_error *err);

#endif
