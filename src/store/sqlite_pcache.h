/*
 * sqlite_pcache.h - SQLite's default page cache, with the end-of-transaction
 * truncate skipped when no cached page can be past the end.
 *
 * At the end of every transaction the pager calls the page cache's
 * xTruncate(dbSize + 1) to drop pages past the end of the database.  The
 * default cache (pcache1) scans only when the highest key it has held since
 * its last truncate (iMaxKey) is at or past the limit.  But a B-tree balance
 * (SQLite 3.40, Debian's) parks a page under a temporary page number far
 * past the end of the file (PENDING_BYTE / page size + 1: 262145 for 4 KiB
 * pages; seen with gdb in the server, sqlite3PagerRekey under
 * sqlite3BtreeInsert for the session and profile row updates of a turn)
 * and moves it back within the same balance.  iMaxKey stays at 262145, so
 * the next commit's truncate walks every bucket of the hash table of the
 * committer's ~1,000 cached pages (cache_size -4096), a division per bucket
 * and a cache miss on nearly every page header: 50-100 µs a commit.  perf of
 * the server under bench/chat_load.sh's chat (100 connections): 1.4% of
 * all server CPU in that walk (pcache1TruncateUnsafe, unsymbolized at
 * 0xb7b40..0xb7c40 of libsqlite3.so.0.8.6); with this cache 0.26% is
 * left, the readers' truncate(1)s when another connection committed, which
 * are needed (counted in the same run: every commit's truncate skipped,
 * 16,241 over 16,215 commits; 13,203 forwarded).
 *
 * This module installs (SQLITE_CONFIG_PCACHE2) a page cache that forwards
 * every method to the default one and keeps, per cache, a sound upper bound
 * of the page numbers (keys) present: xTruncate(limit) is forwarded unless
 * no page can have a key >= limit.  Soundness matters more than anything:
 * a needed truncate skipped (after a rollback of a transaction that grew the
 * file; the pager's reset when another connection committed, truncate(1))
 * would serve stale pages.  See sqlite_pcache.c for the bound.
 *
 * Not for: anything else of the cache (sizes, eviction, memory are the
 * default cache's).
 */
#ifndef PT_SQLITE_PCACHE_H
#define PT_SQLITE_PCACHE_H

#include <stdbool.h>

/* Installs the page cache, process-wide.  Must run before SQLite
 * initialises (sqlite3_initialize, or the first connection opened):
 * afterwards SQLite refuses it, the default cache stays, and false is
 * returned (harmless: only the skip is lost).  Not thread-safe: call once,
 * before any other thread uses SQLite (the store does it under
 * pthread_once, before its first connection). */
bool pt_sqlite_pcache_install(void);

/* Truncates skipped (no page could be at or past the limit) and forwarded
 * to the default cache since start, over every cache (tests, benchmarks). */
void pt_sqlite_pcache_stats(unsigned long *skipped, unsigned long *forwarded);

#endif
