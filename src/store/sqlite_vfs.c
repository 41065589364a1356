/*
 * sqlite_vfs.c - the default VFS with a database map that outlives other
 * connections' commits, and a WAL written a commit at a time; see
 * sqlite_vfs.h.
 *
 * Every method but xOpen of the VFS, and every method but the map's
 * (xFetch, xUnfetch, the mmap_size file control, xTruncate, xClose) of a
 * file, is the default VFS's, called with its own objects, after a WAL
 * file has written what it holds ("The WAL's writes").  SQLite gives
 * each file object to one connection at a time, so a file's fields need no
 * lock; the table of descriptors is shared and has a mutex.
 */
#include "store/sqlite_vfs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define VFS_NAME "proptalk-mmap"
#define EOF_MARGIN 256        /* SQLite may over-read a corrupt page by a few bytes */

typedef struct mfile {
    sqlite3_file base;
    sqlite3_file *real;       /* the default VFS's file, in the same allocation */
    const char *path;         /* main database files only; SQLite keeps it until close */
    int fd;                   /* the process's descriptor of path (never closed); -1 */
    bool failed;              /* mapping failed: read instead, do not retry */
    sqlite3_int64 limit;      /* PRAGMA mmap_size; 0: no map */
    unsigned char *map;
    sqlite3_int64 reserved;   /* bytes mapped */
    sqlite3_int64 valid;      /* the file's size when last looked at (<= reserved) */
    int n_out;                /* pages handed out and not yet given back */
    /* WAL files only: the frames of the transaction being written (see
     * "The WAL's writes" below) */
    bool wal;
    unsigned char *wbuf;      /* WBUF_BYTES, allocated at the first write */
    sqlite3_int64 woff;       /* the file offset of wbuf[0] */
    int wlen;                 /* bytes held */
    bool commit_next;         /* the last write was a commit frame's header */
} mfile;

#define MFILE_BYTES ((sizeof(mfile) + 15) & ~(size_t)15)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs m_vfs;
static pthread_once_t m_once = PTHREAD_ONCE_INIT;
static bool m_ok;
static atomic_ulong m_maps, m_unmaps;

/* ---- one descriptor per database file, for the process's life ---------- */

typedef struct fd_entry {
    struct fd_entry *next;
    dev_t dev;
    ino_t ino;
    int fd;
} fd_entry;

static pthread_mutex_t fds_mu = PTHREAD_MUTEX_INITIALIZER;
static fd_entry *fds;

/* A read-only descriptor of the file at path, shared by every map of it in
 * this process and never closed (closing it would drop the process's POSIX
 * locks on the file, which SQLite's connections hold).  -1 on failure. */
static int shared_fd(const char *path)
{
    struct stat st;
    int fd = -1;
    pthread_mutex_lock(&fds_mu);
    if (stat(path, &st) != 0)
        goto done;
    for (fd_entry *e = fds; e; e = e->next)
        if (e->dev == st.st_dev && e->ino == st.st_ino) {
            fd = e->fd;
            goto done;
        }
    fd_entry *e = malloc(sizeof *e);
    if (e == NULL)
        goto done;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat fst;
    if (fd < 0 || fstat(fd, &fst) != 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
        /* replaced in between: an unused descriptor of a file nobody of
         * this process has open holds no lock, so it may be closed */
        if (fd >= 0)
            close(fd);
        fd = -1;
        free(e);
        goto done;
    }
    *e = (fd_entry){.next = fds, .dev = st.st_dev, .ino = st.st_ino, .fd = fd};
    fds = e;
done:
    pthread_mutex_unlock(&fds_mu);
    return fd;
}

/* ---- the map ------------------------------------------------------------ */

static void map_drop(mfile *f)
{
    if (f->map) {
        munmap(f->map, (size_t)f->reserved);
        atomic_fetch_add(&m_unmaps, 1);
    }
    f->map = NULL;
    f->reserved = f->valid = 0;
}

/* Maps the file with room to grow: twice its size, within the limit. */
static void map_open(mfile *f)
{
    if (f->fd < 0)
        f->fd = shared_fd(f->path);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        f->failed = true;
        return;
    }
    if (st.st_size <= 0)
        return;   /* nothing to map yet */
    long pg = sysconf(_SC_PAGESIZE);
    sqlite3_int64 want = st.st_size * 2;
    if (want > f->limit)
        want = f->limit;
    want = want / pg * pg;
    if (want <= 0)
        return;
    void *p = mmap(NULL, (size_t)want, PROT_READ, MAP_SHARED, f->fd, 0);
    if (p == MAP_FAILED) {
        f->failed = true;
        return;
    }
    atomic_fetch_add(&m_maps, 1);
    f->map = p;
    f->reserved = want;
    f->valid = st.st_size < want ? st.st_size : want;
}

/* ---- file methods ------------------------------------------------------- */

#define REAL(pf) (((mfile *)(pf))->real)
#define RM(pf) (REAL(pf)->pMethods)

/* ---- the WAL's writes ----------------------------------------------------
 *
 * SQLite writes each WAL frame with two calls (its 24-byte header, then the
 * page), so a commit of n pages was 2n pwrite system calls, each through
 * the file system's write path on its own.  A WAL file's writes are held
 * here while they are contiguous and written with one call when the
 * commit frame's page is written (a frame header whose "database size"
 * field is not 0 marks the commit frame), before xWrite returns: the
 * commit is in the file, with the outcome of that one write reported to
 * SQLite as before, before SQLite makes it visible to other connections
 * (the WAL index, which it writes after sqlite3WalFrames returns) or
 * syncs it.  Every other method of the file (a read of the frames back,
 * sync, size, truncate, close, file controls) writes what is held first,
 * so the file is never seen without them.  Frames of a transaction that
 * spills its cache before it commits stay here until the commit (or a
 * read); a write that is not contiguous, or does not fit, writes what is
 * held first, and a rewrite of a held frame (SQLite rewrites a frame of
 * the same transaction in place) changes the held copy.  A crash loses
 * only what was not yet committed, as with the writes themselves.
 */
/* held at most: 15 frames of 4 KiB pages, so what is copied in stays in
 * the core's cache until the kernel copies it out (a batch of the
 * server's ~40 turns is ~50 frames: 4 writes instead of ~100) */
#define WBUF_BYTES (64 * 1024)
#define WAL_HDR 32
#define FRAME_HDR 24
/* the most the unix VFS writes in one call: it masks a write's length
 * with 0x1ffff (seekAndWriteFd), so a longer one would come back short */
#define WRITE_MAX (124 * 1024)

/* Writes what f holds, if anything.  SQLITE_OK or the write's error
 * (what was held is dropped either way, as a failed write's would be). */
static int wal_flush(mfile *f)
{
    int rc = SQLITE_OK;
    for (int at = 0; at < f->wlen && rc == SQLITE_OK; at += WRITE_MAX) {
        int n = f->wlen - at < WRITE_MAX ? f->wlen - at : WRITE_MAX;
        rc = f->real->pMethods->xWrite(f->real, f->wbuf + at, n, f->woff + at);
    }
    f->wlen = 0;
    return rc;
}

static int wal_write(mfile *f, const void *b, int n, sqlite3_int64 off)
{
    int rc = SQLITE_OK;
    bool commit = f->commit_next;
    const unsigned char *p = b;
    /* a frame header with a database size: the commit frame's */
    f->commit_next = n == FRAME_HDR && off >= WAL_HDR && (p[4] | p[5] | p[6] | p[7]) != 0;
    if (f->wbuf == NULL && (f->wbuf = malloc(WBUF_BYTES)) == NULL)
        return f->real->pMethods->xWrite(f->real, b, n, off);
    if (f->wlen > 0 && off >= f->woff && off + n <= f->woff + f->wlen) {
        memcpy(f->wbuf + (off - f->woff), b, (size_t)n);   /* a held frame rewritten */
    } else if (f->wlen > 0 && off == f->woff + f->wlen && f->wlen + n <= WBUF_BYTES) {
        memcpy(f->wbuf + f->wlen, b, (size_t)n);
        f->wlen += n;
    } else {
        rc = wal_flush(f);
        if (rc != SQLITE_OK)
            return rc;
        if (n > WRITE_MAX)
            return f->real->pMethods->xWrite(f->real, b, n, off);
        memcpy(f->wbuf, b, (size_t)n);
        f->woff = off;
        f->wlen = n;
    }
    return commit ? wal_flush(f) : SQLITE_OK;
}

/* Before any method of a WAL file but xWrite: what is held, written.
 * Returns from the calling method on a failed write. */
#define WAL_FLUSH(pf)                                                     \
    do {                                                                  \
        int flush_rc_ = wal_flush((mfile *)(pf));                         \
        if (flush_rc_ != SQLITE_OK)                                       \
            return flush_rc_;                                             \
    } while (0)

static int m_close(sqlite3_file *pf)
{
    mfile *f = (mfile *)pf;
    int rc = wal_flush(f);
    map_drop(f);
    free(f->wbuf);
    f->wbuf = NULL;
    int crc = RM(pf)->xClose(f->real);
    return rc != SQLITE_OK ? rc : crc;
}

static int m_read(sqlite3_file *pf, void *b, int n, sqlite3_int64 off)
{
    WAL_FLUSH(pf);
    return RM(pf)->xRead(REAL(pf), b, n, off);
}

static int m_write(sqlite3_file *pf, const void *b, int n, sqlite3_int64 off)
{
    mfile *f = (mfile *)pf;
    if (f->wal)
        return wal_write(f, b, n, off);
    return RM(pf)->xWrite(REAL(pf), b, n, off);
}

static int m_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
    mfile *f = (mfile *)pf;
    WAL_FLUSH(pf);
    int rc = RM(pf)->xTruncate(f->real, size);
    if (f->valid > size)
        f->valid = size;   /* whatever the outcome: never hand out past it */
    return rc;
}

static int m_sync(sqlite3_file *pf, int flags)
{
    WAL_FLUSH(pf);
    return RM(pf)->xSync(REAL(pf), flags);
}

static int m_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
    WAL_FLUSH(pf);
    return RM(pf)->xFileSize(REAL(pf), size);
}

static int m_lock(sqlite3_file *pf, int l)
{
    WAL_FLUSH(pf);
    return RM(pf)->xLock(REAL(pf), l);
}

static int m_unlock(sqlite3_file *pf, int l)
{
    WAL_FLUSH(pf);
    return RM(pf)->xUnlock(REAL(pf), l);
}

static int m_check_reserved(sqlite3_file *pf, int *out)
{
    WAL_FLUSH(pf);
    return RM(pf)->xCheckReservedLock(REAL(pf), out);
}

static int m_file_control(sqlite3_file *pf, int op, void *arg)
{
    mfile *f = (mfile *)pf;
    if (op == SQLITE_FCNTL_MMAP_SIZE && f->path) {
        /* as the unix VFS: *arg in is the new limit (< 0: query only),
         * out the previous one; not changed while pages are out.  Not
         * passed down, so the default VFS never maps the file itself. */
        sqlite3_int64 limit = *(sqlite3_int64 *)arg;
        *(sqlite3_int64 *)arg = f->limit;
        if (limit >= 0 && limit != f->limit && f->n_out == 0) {
            f->limit = limit;
            map_drop(f);
            f->failed = false;
        }
        return SQLITE_OK;
    }
    WAL_FLUSH(pf);
    return RM(pf)->xFileControl(f->real, op, arg);
}

static int m_sector_size(sqlite3_file *pf)
{
    return RM(pf)->xSectorSize(REAL(pf));
}

static int m_device_characteristics(sqlite3_file *pf)
{
    return RM(pf)->xDeviceCharacteristics(REAL(pf));
}

static int m_shm_map(sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp)
{
    return RM(pf)->xShmMap(REAL(pf), pg, pgsz, extend, pp);
}

static int m_shm_lock(sqlite3_file *pf, int off, int n, int flags)
{
    return RM(pf)->xShmLock(REAL(pf), off, n, flags);
}

static void m_shm_barrier(sqlite3_file *pf)
{
    RM(pf)->xShmBarrier(REAL(pf));
}

static int m_shm_unmap(sqlite3_file *pf, int del)
{
    return RM(pf)->xShmUnmap(REAL(pf), del);
}

/* A page of the database from the map, or *pp NULL: SQLite then reads it
 * with xRead (beyond the map, no map, or mapping failed). */
static int m_fetch(sqlite3_file *pf, sqlite3_int64 off, int n, void **pp)
{
    mfile *f = (mfile *)pf;
    *pp = NULL;
    if (f->limit <= 0 || f->failed)
        return SQLITE_OK;
    if (f->map == NULL)
        map_open(f);
    if (f->map && off >= 0 && off + n + EOF_MARGIN <= f->valid) {
        *pp = f->map + off;
        f->n_out++;
    }
    return SQLITE_OK;
}

/* p: a page given back.  p NULL: the pager drops its map (another
 * connection committed, or an error); the map is kept and only the file's
 * size is looked at again, unless the file outgrew the map. */
static int m_unfetch(sqlite3_file *pf, sqlite3_int64 off, void *p)
{
    mfile *f = (mfile *)pf;
    (void)off;
    if (p) {
        f->n_out--;
        return SQLITE_OK;
    }
    if (f->map == NULL)
        return SQLITE_OK;
    struct stat st;
    if (fstat(f->fd, &st) != 0) {
        f->valid = 0;
        if (f->n_out == 0)
            map_drop(f);
        return SQLITE_OK;
    }
    if (st.st_size > f->reserved && f->reserved < f->limit && f->n_out == 0) {
        map_drop(f);   /* mapped again, larger, on the next fetch */
        return SQLITE_OK;
    }
    f->valid = st.st_size < f->reserved ? st.st_size : f->reserved;
    return SQLITE_OK;
}

static const sqlite3_io_methods m_io_db = {
    3, m_close, m_read, m_write, m_truncate, m_sync, m_file_size, m_lock, m_unlock,
    m_check_reserved, m_file_control, m_sector_size, m_device_characteristics,
    m_shm_map, m_shm_lock, m_shm_barrier, m_shm_unmap, m_fetch, m_unfetch,
};

/* journals, WAL files, temporary files: passed through, no map */
static const sqlite3_io_methods m_io_plain = {
    1, m_close, m_read, m_write, m_truncate, m_sync, m_file_size, m_lock, m_unlock,
    m_check_reserved, m_file_control, m_sector_size, m_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

/* ---- VFS methods -------------------------------------------------------- */

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags,
                  int *out_flags)
{
    (void)vfs;
    mfile *f = (mfile *)pf;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->real = (sqlite3_file *)((char *)f + MFILE_BYTES);
    f->real->pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK || f->real->pMethods == NULL) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    if ((flags & SQLITE_OPEN_MAIN_DB) && name && f->real->pMethods->iVersion >= 2) {
        f->path = name;
        f->base.pMethods = &m_io_db;
    } else {
        f->wal = (flags & SQLITE_OPEN_WAL) != 0;
        f->base.pMethods = &m_io_plain;
    }
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
    return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    real_vfs->xDlError(real_vfs, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return real_vfs->xDlSym(real_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
    real_vfs->xDlClose(real_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *t)
{
    return real_vfs->xCurrentTime(real_vfs, t);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, msg) : 0;
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
    return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static void vfs_init(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL || real_vfs->iVersion < 2 || real_vfs->xCurrentTimeInt64 == NULL)
        return;
    m_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)MFILE_BYTES + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = VFS_NAME,
        .xOpen = v_open,
        .xDelete = v_delete,
        .xAccess = v_access,
        .xFullPathname = v_full_pathname,
        .xDlOpen = v_dl_open,
        .xDlError = v_dl_error,
        .xDlSym = v_dl_sym,
        .xDlClose = v_dl_close,
        .xRandomness = v_randomness,
        .xSleep = v_sleep,
        .xCurrentTime = v_current_time,
        .xGetLastError = v_get_last_error,
        .xCurrentTimeInt64 = v_current_time_int64,
    };
    m_ok = sqlite3_vfs_register(&m_vfs, 0) == SQLITE_OK;
}

const char *pt_sqlite_vfs(void)
{
    pthread_once(&m_once, vfs_init);
    return m_ok ? VFS_NAME : NULL;
}

void pt_sqlite_vfs_stats(unsigned long *maps, unsigned long *unmaps)
{
    *maps = atomic_load(&m_maps);
    *unmaps = atomic_load(&m_unmaps);
}
