/*
 * secret.c - the instance secret (CONTRACT.md §1 PROPTALK_SECRET); see
 * secret.h.
 *
 * PROPTALK_SECRET wins when set and non-empty.  Otherwise <data>/secret is
 * read, or created once with 32 random bytes from libsodium as 64 hex
 * characters, mode 0600.  Creation is atomic: the secret is written to a
 * temporary file and link()ed into place, so two processes starting at once
 * agree on one secret.  This file does not derive keys; callers do.
 */
#include "util/secret.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define SECRET_BYTES 32
#define SECRET_FILE_MAX 4096

/* Reads the secret file into out, trimming whitespace.  Returns 0,
 * -PT_ERR_NOT_FOUND when the file does not exist, or another error. */
static int read_secret(const char *path, char *out, size_t size, pt_error *err)
{
    int rc = 0;
    char data[SECRET_FILE_MAX];
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return -PT_ERR_NOT_FOUND;
        return pt_fail(err, PT_ERR_IO, "secret \"%.200s\": %s", path, strerror(errno));
    }
    for (;;) {
        ssize_t r = read(fd, data + len, sizeof data - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == sizeof data - 1)
            break;
    }
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' ||
                       data[len - 1] == ' ' || data[len - 1] == '\t'))
        len--;
    size_t start = 0;
    while (start < len && (data[start] == ' ' || data[start] == '\t'))
        start++;
    if (start == len) {
        rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": file is empty", path);
        goto done;
    }
    if (len - start >= size) {
        rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": longer than %zu bytes", path, size - 1);
        goto done;
    }
    memcpy(out, data + start, len - start);
    out[len - start] = '\0';
done:
    close(fd);
    sodium_memzero(data, sizeof data);
    return rc;
}

/* Writes a new random secret to path atomically.  Returns 0, or
 * -PT_ERR_CONFLICT when another process created the file first. */
static int create_secret(const char *dir, const char *path, pt_error *err)
{
    int rc = 0, fd = -1;
    unsigned char raw[SECRET_BYTES];
    char hex[SECRET_BYTES * 2 + 2];
    char tmp[4200];
    int tmp_made = 0;

    if (snprintf(tmp, sizeof tmp, "%s/.secret.%ld.tmp", dir, (long)getpid()) >= (int)sizeof tmp) {
        rc = pt_fail(err, PT_ERR_IO, "data folder \"%.200s\": path too long", dir);
        goto done;
    }
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex - 1, raw, sizeof raw);
    size_t n = strlen(hex);
    hex[n++] = '\n';

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": %s", tmp, strerror(errno));
        goto done;
    }
    tmp_made = 1;
    if (fchmod(fd, 0600) != 0 || write(fd, hex, n) != (ssize_t)n || fsync(fd) != 0) {
        rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": %s", tmp, strerror(errno));
        goto done;
    }
    if (link(tmp, path) != 0) {
        if (errno == EEXIST)
            rc = -PT_ERR_CONFLICT;
        else
            rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": %s", path, strerror(errno));
        goto done;
    }
done:
    if (fd >= 0)
        close(fd);
    if (tmp_made)
        unlink(tmp);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(hex, sizeof hex);
    return rc;
}

int secret_load(const char *data_dir, char *out, size_t size, pt_error *err)
{
    int rc = 0;
    char path[4200];

    if (out == NULL || size < SECRET_BYTES * 2 + 1)
        return pt_fail(err, PT_ERR_INTERNAL, "secret: buffer of %zu bytes is too small", size);
    out[0] = '\0';
    if (sodium_init() < 0)
        return pt_fail(err, PT_ERR_INTERNAL, "secret: libsodium failed to initialise");

    const char *env = getenv("PROPTALK_SECRET");
    if (env && env[0]) {
        size_t n = strlen(env);
        if (n >= size)
            return pt_fail(err, PT_ERR_IO, "PROPTALK_SECRET: longer than %zu bytes", size - 1);
        memcpy(out, env, n + 1);
        return 0;
    }
    if (data_dir == NULL || data_dir[0] == '\0')
        data_dir = "./data";
    rc = fs_mkdirs(data_dir, err);
    if (rc)
        goto done;
    if (snprintf(path, sizeof path, "%s/secret", data_dir) >= (int)sizeof path) {
        rc = pt_fail(err, PT_ERR_IO, "data folder \"%.200s\": path too long", data_dir);
        goto done;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = read_secret(path, out, size, err);
        if (rc != -PT_ERR_NOT_FOUND)
            goto done;
        rc = create_secret(data_dir, path, err);
        if (rc != -PT_ERR_CONFLICT)
            break;
    }
    if (rc == 0)
        rc = read_secret(path, out, size, err);
    if (rc == -PT_ERR_NOT_FOUND || rc == -PT_ERR_CONFLICT)
        rc = pt_fail(err, PT_ERR_IO, "secret \"%.200s\": could not be created", path);
done:
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) == 0 && (st.st_mode & 077))
            log_warn("secret \"%s\" is readable by others (chmod 600 it)", path);
    } else {
        out[0] = '\0';
    }
    return rc;
}
