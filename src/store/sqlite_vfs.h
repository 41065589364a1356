/*
 * sqlite_vfs.h - a VFS over SQLite's own ("unix") that keeps a database's
 * memory map across the writes of other connections.
 *
 * With PRAGMA mmap_size, SQLite reads database pages through a map of the
 * file.  But in WAL mode, whenever a read transaction starts after another
 * connection committed, the pager drops its whole map (munmap; pager.c,
 * pagerBeginReadTransaction calls xUnfetch(0, NULL)) and maps the file again
 * on the next read, so every page the next search touches is faulted in
 * again.  In the server every conversation turn commits, so every search of
 * the next turn paid for it: one munmap of everything mapped (11 ms after
 * the tenant's locality figures were loaded through the map at start) and
 * about 90 page faults a turn, a fifth of the server's CPU in the search
 * benchmark (BENCHMARKS.md, "Search (issue 4)").
 *
 * This VFS passes everything to the default VFS except the map of a main
 * database file: it maps the file once, with room to grow (twice its size,
 * within the mmap_size limit), and on the pager's "drop the map" it only
 * reads the file's size again (fstat) instead of unmapping.  A page is
 * handed out only inside the file's current size (plus SQLite's 256-byte
 * over-read margin, as the unix VFS does); beyond it SQLite reads with
 * xRead, so a file that grew or shrank is never read past its end.  The
 * map is MAP_SHARED, so it always shows the file's current bytes: what a
 * reader may use from the database file (pages not in the WAL) is decided
 * by the WAL, as with the unix VFS's map.
 *
 * The map is of an extra read-only descriptor per database file, opened
 * once per process and never closed: closing any descriptor of a file
 * drops every POSIX lock the process holds on it (SQLite's locks of other
 * connections).  It is only opened for a file whose mmap_size is set (the
 * store sets it for files of 256 MiB and more), so small databases (tests)
 * never get one.
 *
 * The WAL's writes: SQLite writes a WAL frame as two calls (its header,
 * then the page).  This VFS holds a WAL file's contiguous writes (up to 64
 * KiB) and writes them with one call, at the latest when the commit
 * frame's page is written, before that xWrite returns; any other call on
 * the file writes what is held first.  A commit is in the file when SQLite
 * publishes it, as before, with about one write system call per 15 frames
 * instead of two per frame (sqlite_vfs.c, "The WAL's writes").
 *
 * Not for: anything else of the VFS (locking, shared memory, syncs and
 * journals go to the default VFS unchanged).
 */
#ifndef PT_SQLITE_VFS_H
#define PT_SQLITE_VFS_H

/* The name to pass to sqlite3_open_v2 ("proptalk-mmap"), registered (not
 * as the default) on first call; NULL (use the default VFS) when it could
 * not be registered.  Thread-safe. */
const char *pt_sqlite_vfs(void);

/* Maps made and kept maps dropped by this VFS since start (tests, and to
 * see that a map is made once and not per transaction). */
void pt_sqlite_vfs_stats(unsigned long *maps, unsigned long *unmaps);

#endif
