/*
 * store_sqlite.c - the embedded SQLite backend of store.h (the default).
 *
 * One `store` handle is one sqlite3 connection in WAL mode, opened with
 * SQLITE_OPEN_NOMUTEX: a handle is used by one thread at a time (store.h).
 * Every statement is prepared once per handle (SQLITE_PREPARE_PERSISTENT),
 * bound with parameters, stepped and reset; the dynamic listing search keeps
 * a small per-handle cache of prepared statements keyed by which filters are
 * set.  Results are copied into the caller's arena before the reset, since
 * sqlite's column pointers die with it.
 *
 * Durability: PRAGMA synchronous=FULL, so a committed turn survives a power
 * cut before its answer leaves.  PROPTALK_SQLITE_SYNC=normal switches to
 * synchronous=NORMAL (WAL: a commit is atomic and consistent but the last
 * turns may roll back on power loss) for benchmarks and throwaway data.
 *
 * Writers: SQLite admits one writer per database.  Each write transaction
 * (a turn, an import batch, or a single write made outside both) takes a
 * process-wide mutex kept per database path before BEGIN IMMEDIATE and
 * releases it at COMMIT/ROLLBACK, so the threads of one process queue on a
 * mutex rather than in SQLite's sleeping busy handler; other processes
 * (the CLI importing while the server runs) meet sq_busy, which polls every
 * 2 ms for 5 s (so it catches an importer's pause between batches).  Reads
 * take no lock (WAL readers never block).  A thread must not open a second
 * write transaction on another handle of the same database while it holds
 * one: that would wait on itself.
 *
 * Schema: an ordered array of migrations, each applied in its own
 * BEGIN IMMEDIATE transaction that first re-reads schema_migrations, so
 * concurrent openers (threads or processes) apply each exactly once and an
 * old database is upgraded on open.  Append new migrations; never edit one
 * that has shipped.
 *
 * Not for: ranking (search/), JSON shapes of sessions and profiles (dialog
 * owns them), or anything outside SQL.
 */
#include "store/store.h"
#include "store/sqlite_pcache.h"
#include "store/sqlite_vfs.h"
#include "util/fs.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Schema                                                                    */

/* Version 1: the tables.  listings keeps an INTEGER PRIMARY KEY `rid` (so
 * VACUUM can never renumber the rows the FTS index points at) and its
 * natural key UNIQUE(tenant_id, id) NOT NULL, which is what PRIMARY
 * KEY(tenant_id, id) means in SQLite and what the upsert targets.
 * Unknown numbers and enums are NULL, so aggregates skip them.  The
 * per-turn keyed rows (sessions, profiles, leads) were WITHOUT ROWID here,
 * one b-tree to write instead of a table and its key index; version 8 took
 * that back (their rows outgrew what such a b-tree keeps in a page). */
static const char migration_1[] =
    "CREATE TABLE tenants ("
    "  id INTEGER PRIMARY KEY,"
    "  slug TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  language TEXT NOT NULL,"
    "  timezone TEXT NOT NULL,"
    "  api_key_hash TEXT UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  role TEXT NOT NULL,"
    "  tenant_id INTEGER REFERENCES tenants(id),"
    "  password_hash TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX users_tenant ON users(tenant_id);"
    "CREATE TABLE listings ("
    "  rid INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  id TEXT NOT NULL,"
    "  title TEXT, project TEXT, developer TEXT, city TEXT, locality TEXT,"
    "  property_type TEXT, \"transaction\" TEXT,"
    "  bedrooms INTEGER, bathrooms REAL, area_sqft REAL,"
    "  price INTEGER NOT NULL, currency TEXT NOT NULL, units_available INTEGER,"
    "  status TEXT, completion_date TEXT, amenities TEXT,"
    "  latitude REAL, longitude REAL, rental_yield REAL,"
    "  description TEXT, attributes_json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, id));"
    "CREATE INDEX listings_search ON listings"
    "  (tenant_id, \"transaction\", property_type, bedrooms, price);"
    "CREATE INDEX listings_locality ON listings(tenant_id, locality);"
    /* price order with every filter column inside: a search walks it
     * cheapest first, tests filters without touching the table, and
     * stops at the limit, with no sort */
    "CREATE INDEX listings_price ON listings (tenant_id, price, \"transaction\","
    "  property_type, bedrooms, status, currency, locality);"
    "CREATE TABLE agents ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL,"
    "  email TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX agents_tenant ON agents(tenant_id);"
    "CREATE TABLE agent_slots ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  agent_id INTEGER NOT NULL REFERENCES agents(id),"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  CHECK (ends_at > starts_at));"
    "CREATE INDEX agent_slots_time ON agent_slots(tenant_id, starts_at);"
    "CREATE INDEX agent_slots_agent ON agent_slots(agent_id);"
    "CREATE TABLE appointments ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  slot_id INTEGER NOT NULL UNIQUE REFERENCES agent_slots(id),"
    "  user_id TEXT, session_id TEXT, phone TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX appointments_session ON appointments(tenant_id, session_id);"
    "CREATE TABLE sessions ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  session_id TEXT NOT NULL,"
    "  user_id TEXT,"
    "  state_json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (tenant_id, session_id)) WITHOUT ROWID;"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  session_id TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  text TEXT NOT NULL,"
    "  meta_json TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX messages_session ON messages(tenant_id, session_id, id);"
    "CREATE TABLE profiles ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  user_id TEXT NOT NULL,"
    "  json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (tenant_id, user_id)) WITHOUT ROWID;"
    "CREATE TABLE leads ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  user_id TEXT NOT NULL,"
    "  session_id TEXT, phone TEXT, language TEXT, state TEXT, temperature TEXT,"
    "  engagement_score REAL NOT NULL DEFAULT 0,"
    "  intent_to_buy_score REAL NOT NULL DEFAULT 0,"
    "  slots_json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (tenant_id, user_id)) WITHOUT ROWID;";

/* Version 2: full-text search over the listing texts for BM25 ranking.
 * External content (the text lives once, in listings); triggers keep the
 * index in step, and 'rebuild' indexes what an older database already
 * holds.  Queries join listings_fts.rowid = listings.rid and filter
 * listings.tenant_id. */
static const char migration_2[] =
    "CREATE VIRTUAL TABLE listings_fts USING fts5("
    "  title, project, developer, description, amenities,"
    "  content='listings', content_rowid='rid',"
    "  tokenize='unicode61 remove_diacritics 2');"
    "CREATE TRIGGER listings_fts_ai AFTER INSERT ON listings BEGIN"
    "  INSERT INTO listings_fts(rowid, title, project, developer, description, amenities)"
    "  VALUES (new.rid, new.title, new.project, new.developer, new.description, new.amenities);"
    "END;"
    "CREATE TRIGGER listings_fts_ad AFTER DELETE ON listings BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, title, project, developer, description,"
    "    amenities)"
    "  VALUES ('delete', old.rid, old.title, old.project, old.developer, old.description,"
    "    old.amenities);"
    "END;"
    "CREATE TRIGGER listings_fts_au"
    "  AFTER UPDATE OF title, project, developer, description, amenities ON listings BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, title, project, developer, description,"
    "    amenities)"
    "  VALUES ('delete', old.rid, old.title, old.project, old.developer, old.description,"
    "    old.amenities);"
    "  INSERT INTO listings_fts(rowid, title, project, developer, description, amenities)"
    "  VALUES (new.rid, new.title, new.project, new.developer, new.description, new.amenities);"
    "END;"
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild');";

/* Version 3: listing embeddings (provider/embed.c).  One float32 vector
 * per listing (little-endian BLOB) with the model that made it and a hash
 * of its text, so a changed listing or model is seen as stale.
 * vector_state.version is bumped by triggers on every change, so a cache
 * in any process can tell cheaply whether it is current; a deleted listing
 * takes its vector with it. */
static const char migration_3[] =
    "CREATE TABLE listing_vectors ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  listing_id TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  text_hash TEXT NOT NULL,"
    "  dim INTEGER NOT NULL,"
    "  vec BLOB NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, listing_id));"
    "CREATE TABLE vector_state ("
    "  tenant_id INTEGER PRIMARY KEY, version INTEGER NOT NULL);"
    "CREATE TRIGGER listing_vectors_ai AFTER INSERT ON listing_vectors BEGIN"
    "  INSERT INTO vector_state (tenant_id, version) VALUES (new.tenant_id, 1)"
    "  ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;"
    "END;"
    "CREATE TRIGGER listing_vectors_au AFTER UPDATE ON listing_vectors BEGIN"
    "  INSERT INTO vector_state (tenant_id, version) VALUES (new.tenant_id, 1)"
    "  ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;"
    "END;"
    "CREATE TRIGGER listing_vectors_ad AFTER DELETE ON listing_vectors BEGIN"
    "  INSERT INTO vector_state (tenant_id, version) VALUES (old.tenant_id, 1)"
    "  ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1;"
    "END;"
    "CREATE TRIGGER listings_vector_ad AFTER DELETE ON listings BEGIN"
    "  DELETE FROM listing_vectors WHERE tenant_id = old.tenant_id"
    "  AND listing_id = old.id;"
    "END;";

/* Version 4: search at a million listings (issue 4).
 *  - The full-text index keeps only which listing holds which word
 *    (detail=none, columnsize=0): search uses it to find the listings that
 *    hold a buyer's rarer words and scores the text itself (search/text.c),
 *    so positions and per-column sizes were paid for at every import and
 *    never read.  Phrases are matched as words.
 *  - Listings are text-indexed per write transaction, at its end, in one
 *    statement (as 'rebuild' does) instead of row by row: FTS5 writes its
 *    pending terms to disk at every statement savepoint, so row-by-row
 *    triggers cost a tiny segment per row (45 us a row, measured; 5 us in
 *    bulk).  While listings_fts_defer holds a row (only ever inside a write
 *    transaction, so no other connection sees it) the triggers do not touch
 *    the index: rows above its rid high-water mark are new, and
 *    listings_fts_pending keeps the indexed text of older rows that the
 *    transaction updated or deleted.  sq_fts_flush removes those texts from
 *    the index and adds the new and updated rows before the commit.  Every
 *    listing insert goes through listing_upsert, which does this (an import
 *    batch once per batch), so there is no insert trigger; a delete or an
 *    update outside deferred mode is indexed at once by its trigger.
 *  - The update triggers fire only when a text column really changed, so a
 *    re-import of the same texts does not rewrite the index.
 *  - Two covering indexes serve every filter combination in price order:
 *    listings_loc (locality, transaction, type, price) when localities are
 *    named, listings_tx_price (transaction, type, price) otherwise; a
 *    search over every type merges one walk per type (sq_listing_search),
 *    so a rare type (a penthouse) is a seek, not a scan through the common
 *    ones.  Each filter column is inside them, so a search tests filters
 *    without touching the table and stops at its limit.  They replace the
 *    three indexes of version 1. */
#define FTS_COLS "title, project, developer, description, amenities"
#define FTS_NEW "new.title, new.project, new.developer, new.description, new.amenities"
#define FTS_OLD "old.title, old.project, old.developer, old.description, old.amenities"
#define FTS_CHANGED                                                           \
    "(old.title IS NOT new.title OR old.project IS NOT new.project"           \
    " OR old.developer IS NOT new.developer"                                  \
    " OR old.description IS NOT new.description"                              \
    " OR old.amenities IS NOT new.amenities)"
#define FTS_IMMEDIATE "NOT EXISTS (SELECT 1 FROM listings_fts_defer)"
#define FTS_DEFERRED "old.rid <= (SELECT hwm FROM listings_fts_defer)"
static const char migration_4[] =
    "DROP TRIGGER listings_fts_ai;"
    "DROP TRIGGER listings_fts_ad;"
    "DROP TRIGGER listings_fts_au;"
    "DROP TABLE listings_fts;"
    "CREATE VIRTUAL TABLE listings_fts USING fts5(" FTS_COLS ","
    "  content='listings', content_rowid='rid',"
    "  tokenize='unicode61 remove_diacritics 2', detail='none', columnsize=0);"
    "CREATE TABLE listings_fts_defer (hwm INTEGER NOT NULL);"
    "CREATE TABLE listings_fts_pending (rid INTEGER PRIMARY KEY, " FTS_COLS ");"
    "CREATE TRIGGER listings_fts_ad AFTER DELETE ON listings WHEN " FTS_IMMEDIATE " BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, " FTS_COLS ")"
    "  VALUES ('delete', old.rid, " FTS_OLD ");"
    "END;"
    "CREATE TRIGGER listings_fts_au AFTER UPDATE OF " FTS_COLS " ON listings"
    "  WHEN " FTS_CHANGED " AND " FTS_IMMEDIATE " BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, " FTS_COLS ")"
    "  VALUES ('delete', old.rid, " FTS_OLD ");"
    "  INSERT INTO listings_fts(rowid, " FTS_COLS ") VALUES (new.rid, " FTS_NEW ");"
    "END;"
    "CREATE TRIGGER listings_fts_ad_deferred AFTER DELETE ON listings"
    "  WHEN " FTS_DEFERRED " BEGIN"
    "  INSERT OR IGNORE INTO listings_fts_pending VALUES (old.rid, " FTS_OLD ");"
    "END;"
    "CREATE TRIGGER listings_fts_au_deferred AFTER UPDATE OF " FTS_COLS " ON listings"
    "  WHEN " FTS_CHANGED " AND " FTS_DEFERRED " BEGIN"
    "  INSERT OR IGNORE INTO listings_fts_pending VALUES (old.rid, " FTS_OLD ");"
    "END;"
    "INSERT INTO listings_fts(listings_fts) VALUES ('rebuild');"
    "DROP INDEX listings_search;"
    "DROP INDEX listings_locality;"
    "DROP INDEX listings_price;"
    "CREATE INDEX listings_loc ON listings (tenant_id, locality, \"transaction\","
    "  property_type, price, bedrooms, status, currency);"
    "CREATE INDEX listings_tx_price ON listings (tenant_id, \"transaction\", property_type,"
    "  price, bedrooms, status, currency, locality);";

/* Version 5: a user's lead summary lives in the user's profile row.  Both
 * are keyed by (tenant_id, user_id) and every turn rewrote both, so a turn
 * now writes one b-tree row instead of two.  "leads" stays readable as a
 * view (a row per profile that has lead columns, lead_updated_at set). */
static const char migration_5[] =
    "ALTER TABLE profiles ADD COLUMN session_id TEXT;"
    "ALTER TABLE profiles ADD COLUMN phone TEXT;"
    "ALTER TABLE profiles ADD COLUMN language TEXT;"
    "ALTER TABLE profiles ADD COLUMN state TEXT;"
    "ALTER TABLE profiles ADD COLUMN temperature TEXT;"
    "ALTER TABLE profiles ADD COLUMN engagement_score REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE profiles ADD COLUMN intent_to_buy_score REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE profiles ADD COLUMN slots_json TEXT;"
    "ALTER TABLE profiles ADD COLUMN lead_updated_at INTEGER;"
    "INSERT INTO profiles (tenant_id, user_id, json, updated_at, session_id, phone, language,"
    "  state, temperature, engagement_score, intent_to_buy_score, slots_json, lead_updated_at)"
    "  SELECT tenant_id, user_id, NULL, updated_at, session_id, phone, language, state,"
    "  temperature, engagement_score, intent_to_buy_score, slots_json, updated_at FROM leads"
    "  WHERE true ON CONFLICT (tenant_id, user_id) DO UPDATE SET"
    "  session_id = excluded.session_id, phone = excluded.phone, language = excluded.language,"
    "  state = excluded.state, temperature = excluded.temperature,"
    "  engagement_score = excluded.engagement_score,"
    "  intent_to_buy_score = excluded.intent_to_buy_score, slots_json = excluded.slots_json,"
    "  lead_updated_at = excluded.lead_updated_at;"
    "DROP TABLE leads;"
    "CREATE VIEW leads AS SELECT tenant_id, user_id, session_id, phone, language, state,"
    "  temperature, engagement_score, intent_to_buy_score, slots_json,"
    "  lead_updated_at AS updated_at FROM profiles WHERE lead_updated_at IS NOT NULL;";

/* Version 6: faster bulk loads (issue 4).
 *  - FTS5 holds the terms of the rows being indexed in memory and writes
 *    them out as a new segment whenever they pass 'hashsize' (1 MiB by
 *    default), so one import batch of 50,000 listings made several small
 *    segments, which automerge then merged again: a fifth of the text
 *    indexing.  64 MiB holds a batch's terms (a few MiB), so a batch makes
 *    one segment; the memory is only ever what a transaction's terms take.
 *  - listings_tx_price without locality: it serves the searches that name
 *    no locality (those that do walk listings_loc), so the column was never
 *    tested there.  A fifth smaller, it is the index an import rewrites
 *    most (its inserts land all over it), batch after batch. */
static const char migration_6[] =
    "INSERT INTO listings_fts(listings_fts, rank) VALUES ('hashsize', 67108864);"
    "DROP INDEX listings_tx_price;"
    "CREATE INDEX listings_tx_price ON listings (tenant_id, \"transaction\", property_type,"
    "  price, bedrooms, status, currency);";

/* Version 7: listing_state.version per tenant, bumped by triggers when a
 * listing is updated (any column of LISTING_COLS really changed) or
 * deleted, by any process and any code path, so a cache of listings read
 * by id (store/listing_cache.c) can tell with one row read whether what it
 * holds is current.  Inserts do not bump it: a cache keeps only listings
 * that existed when read, never that an id was missing, so a new row
 * cannot make an entry stale; and an import of new rows pays nothing (an
 * insert trigger cost a quarter of a fresh import's CPU, measured).  The
 * row of a tenant is made with it, so a bump is a plain update.  A column
 * added to LISTING_COLS must be added to LISTING_CHANGED. */
#define LISTING_CHANGED                                                                  \
    "(old.tenant_id IS NOT new.tenant_id OR old.id IS NOT new.id"                        \
    " OR old.title IS NOT new.title OR old.project IS NOT new.project"                   \
    " OR old.developer IS NOT new.developer OR old.city IS NOT new.city"                 \
    " OR old.locality IS NOT new.locality OR old.property_type IS NOT new.property_type" \
    " OR old.\"transaction\" IS NOT new.\"transaction\""                                \
    " OR old.bedrooms IS NOT new.bedrooms OR old.bathrooms IS NOT new.bathrooms"         \
    " OR old.area_sqft IS NOT new.area_sqft OR old.price IS NOT new.price"               \
    " OR old.currency IS NOT new.currency"                                               \
    " OR old.units_available IS NOT new.units_available OR old.status IS NOT new.status" \
    " OR old.completion_date IS NOT new.completion_date"                                 \
    " OR old.amenities IS NOT new.amenities OR old.latitude IS NOT new.latitude"         \
    " OR old.longitude IS NOT new.longitude OR old.rental_yield IS NOT new.rental_yield" \
    " OR old.description IS NOT new.description"                                         \
    " OR old.attributes_json IS NOT new.attributes_json)"
static const char migration_7[] =
    "CREATE TABLE listing_state ("
    "  tenant_id INTEGER PRIMARY KEY, version INTEGER NOT NULL);"
    "INSERT INTO listing_state (tenant_id, version) SELECT id, 0 FROM tenants;"
    "CREATE TRIGGER listing_state_tenant AFTER INSERT ON tenants BEGIN"
    "  INSERT OR IGNORE INTO listing_state (tenant_id, version) VALUES (new.id, 0);"
    "END;"
    "CREATE TRIGGER listing_state_au AFTER UPDATE ON listings WHEN " LISTING_CHANGED " BEGIN"
    "  UPDATE listing_state SET version = version + 1"
    "  WHERE tenant_id IN (old.tenant_id, new.tenant_id);"
    "END;"
    "CREATE TRIGGER listing_state_ad AFTER DELETE ON listings BEGIN"
    "  UPDATE listing_state SET version = version + 1 WHERE tenant_id = old.tenant_id;"
    "END;";

/* Version 8: sessions and profiles become rowid tables with their key as
 * a UNIQUE index.  A WITHOUT ROWID row is an index entry, and SQLite keeps
 * at most about a quarter of a 4 KiB page of one in its page: a profile
 * (~1.5 KB with its lead columns) spilled every time into an overflow page,
 * so each turn's update rewrote the leaf, freed and took again an overflow
 * page, and touched the free list; a long session's state went the same way.
 * A table row stays in its leaf up to ~4 KB, and an update that does not
 * change the key (none does) leaves the key index alone: one page a row. */
static const char migration_8[] =
    "DROP VIEW leads;"
    "CREATE TABLE sessions_8 ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  session_id TEXT NOT NULL,"
    "  user_id TEXT,"
    "  state_json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, session_id));"
    "INSERT INTO sessions_8 (tenant_id, session_id, user_id, state_json, updated_at)"
    "  SELECT tenant_id, session_id, user_id, state_json, updated_at FROM sessions;"
    "DROP TABLE sessions;"
    "ALTER TABLE sessions_8 RENAME TO sessions;"
    "CREATE TABLE profiles_8 ("
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  user_id TEXT NOT NULL,"
    "  json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  session_id TEXT, phone TEXT, language TEXT, state TEXT, temperature TEXT,"
    "  engagement_score REAL NOT NULL DEFAULT 0,"
    "  intent_to_buy_score REAL NOT NULL DEFAULT 0,"
    "  slots_json TEXT,"
    "  lead_updated_at INTEGER,"
    "  UNIQUE (tenant_id, user_id));"
    "INSERT INTO profiles_8 (tenant_id, user_id, json, updated_at, session_id, phone, language,"
    "  state, temperature, engagement_score, intent_to_buy_score, slots_json, lead_updated_at)"
    "  SELECT tenant_id, user_id, json, updated_at, session_id, phone, language, state,"
    "  temperature, engagement_score, intent_to_buy_score, slots_json, lead_updated_at"
    "  FROM profiles;"
    "DROP TABLE profiles;"
    "ALTER TABLE profiles_8 RENAME TO profiles;"
    "CREATE VIEW leads AS SELECT tenant_id, user_id, session_id, phone, language, state,"
    "  temperature, engagement_score, intent_to_buy_score, slots_json,"
    "  lead_updated_at AS updated_at FROM profiles WHERE lead_updated_at IS NOT NULL;";

/* Version 9: the type, the transaction and the status of a listing are
 * small integer codes (sq_ptype_code and the others, in the order of the
 * names, so the indexes keep their order) instead of their names, in the
 * table and so in the two covering indexes.  A code of 0 or 1 takes no byte in a record (SQLite's serial types 8 and 9) and
 * the others one, where "apartment", "sale" and "off_plan" took 9, 4 and
 * 8; an index entry is a third shorter and compares the columns it walks
 * without memcmp: an import's inserts into listings_loc and
 * listings_tx_price cost about 4,000 instructions a row less (callgrind,
 * 200,000 rows).  SQLite cannot change a column's type in place, so the
 * table is rebuilt (the documented create-copy-drop-rename way), rids kept
 * (the text index refers to them), and its indexes and triggers are made
 * again as versions 3, 4, 6 and 7 left them.  Unknown names become NULL,
 * as an unknown type was NULL before.  The currency stays text: it is the
 * last column of both indexes, compared only when every other one is
 * equal, and its three letters are as long as any integer holding them. */
#define SQ_CODES_PTYPE                                                        \
    "CASE property_type WHEN 'apartment' THEN 1 WHEN 'office' THEN 2"         \
    " WHEN 'penthouse' THEN 3 WHEN 'plot' THEN 4 WHEN 'shop' THEN 5"          \
    " WHEN 'studio' THEN 6 WHEN 'townhouse' THEN 7 WHEN 'villa' THEN 8 END"
#define SQ_CODES_TX "CASE \"transaction\" WHEN 'rent' THEN 1 WHEN 'sale' THEN 2 END"
#define SQ_CODES_STATUS "CASE status WHEN 'off_plan' THEN 1 WHEN 'ready' THEN 2 END"
static const char migration_9[] =
    "CREATE TABLE listings_coded ("
    "  rid INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  id TEXT NOT NULL,"
    "  title TEXT, project TEXT, developer TEXT, city TEXT, locality TEXT,"
    "  property_type INTEGER, \"transaction\" INTEGER,"
    "  bedrooms INTEGER, bathrooms REAL, area_sqft REAL,"
    "  price INTEGER NOT NULL, currency TEXT NOT NULL, units_available INTEGER,"
    "  status INTEGER, completion_date TEXT, amenities TEXT,"
    "  latitude REAL, longitude REAL, rental_yield REAL,"
    "  description TEXT, attributes_json TEXT,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, id));"
    "INSERT INTO listings_coded (rid, tenant_id, id, title, project, developer, city,"
    "  locality, property_type, \"transaction\", bedrooms, bathrooms, area_sqft, price,"
    "  currency, units_available, status, completion_date, amenities, latitude,"
    "  longitude, rental_yield, description, attributes_json, updated_at)"
    "  SELECT rid, tenant_id, id, title, project, developer, city, locality,"
    "  " SQ_CODES_PTYPE ", " SQ_CODES_TX ", bedrooms, bathrooms, area_sqft, price,"
    "  currency, units_available, " SQ_CODES_STATUS ", completion_date, amenities,"
    "  latitude, longitude, rental_yield, description, attributes_json, updated_at"
    "  FROM listings ORDER BY rid;"
    "DROP TABLE listings;"
    "ALTER TABLE listings_coded RENAME TO listings;"
    "CREATE INDEX listings_loc ON listings (tenant_id, locality, \"transaction\","
    "  property_type, price, bedrooms, status, currency);"
    "CREATE INDEX listings_tx_price ON listings (tenant_id, \"transaction\", property_type,"
    "  price, bedrooms, status, currency);"
    "CREATE TRIGGER listings_vector_ad AFTER DELETE ON listings BEGIN"
    "  DELETE FROM listing_vectors WHERE tenant_id = old.tenant_id"
    "  AND listing_id = old.id;"
    "END;"
    "CREATE TRIGGER listings_fts_ad AFTER DELETE ON listings WHEN " FTS_IMMEDIATE " BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, " FTS_COLS ")"
    "  VALUES ('delete', old.rid, " FTS_OLD ");"
    "END;"
    "CREATE TRIGGER listings_fts_au AFTER UPDATE OF " FTS_COLS " ON listings"
    "  WHEN " FTS_CHANGED " AND " FTS_IMMEDIATE " BEGIN"
    "  INSERT INTO listings_fts(listings_fts, rowid, " FTS_COLS ")"
    "  VALUES ('delete', old.rid, " FTS_OLD ");"
    "  INSERT INTO listings_fts(rowid, " FTS_COLS ") VALUES (new.rid, " FTS_NEW ");"
    "END;"
    "CREATE TRIGGER listings_fts_ad_deferred AFTER DELETE ON listings"
    "  WHEN " FTS_DEFERRED " BEGIN"
    "  INSERT OR IGNORE INTO listings_fts_pending VALUES (old.rid, " FTS_OLD ");"
    "END;"
    "CREATE TRIGGER listings_fts_au_deferred AFTER UPDATE OF " FTS_COLS " ON listings"
    "  WHEN " FTS_CHANGED " AND " FTS_DEFERRED " BEGIN"
    "  INSERT OR IGNORE INTO listings_fts_pending VALUES (old.rid, " FTS_OLD ");"
    "END;"
    "CREATE TRIGGER listing_state_au AFTER UPDATE ON listings WHEN " LISTING_CHANGED " BEGIN"
    "  UPDATE listing_state SET version = version + 1"
    "  WHERE tenant_id IN (old.tenant_id, new.tenant_id);"
    "END;"
    "CREATE TRIGGER listing_state_ad AFTER DELETE ON listings BEGIN"
    "  UPDATE listing_state SET version = version + 1 WHERE tenant_id = old.tenant_id;"
    "END;";

/* Version 10: one transcript row per turn, and no index to find a
 * session's rows.  A turn wrote two rows into messages (the buyer's
 * message, then the answer), each with its entry in messages_session: two
 * statements, and of the four pages a turn dirtied besides its session and
 * profile, the index's was a random one in every commit, however many turns
 * the commit held.  A row of `turns` holds both sides (user_text and
 * user_meta, assistant_text and assistant_meta; a side a turn lacks is
 * NULL); user_role is NULL for the buyer ("user"), or the role that
 * message_append was given other than user or assistant.  A session's rows
 * are a chain instead of an index: each names the session's row before it
 * (prev) and the session's row names its latest (sessions.last_turn, which
 * the turn updates anyway), so a turn appends at the table's end and
 * dirties no page of its own beyond that.  A session that has messages and
 * no state gets a sessions row with state_json NULL, which reads as a new
 * session, as no row did.  "messages" stays readable as a view, one row per
 * message as before: a row's buyer side, then its answer, ids 2 * id and
 * 2 * id + 1, so ordering by id gives the transcript's order.  The old rows
 * are copied one to one (a message per row, its side by its role, ids
 * kept) and chained.  turns.tenant_id names no foreign key: every row is
 * written in the transaction that writes its session's last_turn, whose
 * own key checks the tenant when it makes the row (and tenants are never
 * deleted), so the check per row (a cursor on tenants and a seek, 1,100
 * instructions a turn) proved nothing new. */
static const char migration_10[] =
    "CREATE TABLE turns ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL,"
    "  session_id TEXT NOT NULL,"
    "  prev INTEGER,"
    "  user_text TEXT, user_meta TEXT,"
    "  assistant_text TEXT, assistant_meta TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  user_role TEXT);"
    "ALTER TABLE sessions ADD COLUMN last_turn INTEGER;"
    "INSERT INTO turns (id, tenant_id, session_id, prev, user_text, user_meta, assistant_text,"
    "  assistant_meta, created_at, user_role)"
    "  SELECT id, tenant_id, session_id,"
    "  (SELECT max(p.id) FROM messages p WHERE p.tenant_id = m.tenant_id"
    "   AND p.session_id = m.session_id AND p.id < m.id),"
    "  CASE WHEN role = 'assistant' THEN NULL ELSE text END,"
    "  CASE WHEN role = 'assistant' THEN NULL ELSE meta_json END,"
    "  CASE WHEN role = 'assistant' THEN text END,"
    "  CASE WHEN role = 'assistant' THEN meta_json END,"
    "  created_at, CASE WHEN role IN ('user', 'assistant') THEN NULL ELSE role END"
    "  FROM messages m ORDER BY id;"
    "INSERT INTO sessions (tenant_id, session_id, updated_at, last_turn)"
    "  SELECT tenant_id, session_id, max(created_at), max(id) FROM messages"
    "  GROUP BY tenant_id, session_id"
    "  ON CONFLICT (tenant_id, session_id) DO UPDATE SET last_turn = excluded.last_turn;"
    "DROP TABLE messages;"
    "CREATE VIEW messages (id, tenant_id, session_id, role, text, meta_json, created_at) AS"
    "  SELECT 2 * id, tenant_id, session_id, coalesce(user_role, 'user'), user_text,"
    "  user_meta, created_at FROM turns WHERE user_text IS NOT NULL"
    "  UNION ALL"
    "  SELECT 2 * id + 1, tenant_id, session_id, 'assistant', assistant_text,"
    "  assistant_meta, created_at FROM turns WHERE assistant_text IS NOT NULL;";

/* Migration 11: a viewing remembers the listing it is for, and a buyer's
 * viewings are found by user_id ("when is my visit?" in a later session
 * reads them; appointments_upcoming).  Older rows have no listing. */
static const char migration_11[] =
    "ALTER TABLE appointments ADD COLUMN listing_id TEXT;"
    "CREATE INDEX appointments_user ON appointments(tenant_id, user_id);";

/* migrations[i] brings the schema to version i + 1. */
static const char *const migrations[] = {migration_1, migration_2, migration_3, migration_4,
                                         migration_5, migration_6, migration_7, migration_8,
                                         migration_9, migration_10, migration_11};
#define SQ_SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ------------------------------------------------------------------------ */
/* Statements                                                                */

#define TENANT_COLS "id, slug, name, currency, region, language, timezone"

/* The order read by sq_read_listing() and bound by listing_upsert. */
#define LISTING_COLS                                                          \
    "id, title, project, developer, city, locality, property_type,"           \
    " \"transaction\", bedrooms, bathrooms, area_sqft, price, currency,"      \
    " units_available, status, completion_date, amenities, latitude,"         \
    " longitude, rental_yield, description, attributes_json"

/* What a lead write changes in its profile row (NULL fields keep theirs). */
#define LEAD_SET                                                              \
    " session_id = coalesce(excluded.session_id, profiles.session_id),"       \
    " phone = coalesce(excluded.phone, profiles.phone),"                      \
    " language = coalesce(excluded.language, profiles.language),"             \
    " state = coalesce(excluded.state, profiles.state),"                      \
    " temperature = coalesce(excluded.temperature, profiles.temperature),"    \
    " engagement_score = excluded.engagement_score,"                          \
    " intent_to_buy_score = excluded.intent_to_buy_score,"                    \
    " slots_json = coalesce(excluded.slots_json, profiles.slots_json),"       \
    " updated_at = excluded.updated_at,"                                      \
    " lead_updated_at = excluded.lead_updated_at"

#define SQ_STMT_MAP(X)                                                        \
    X(ST_BEGIN, "BEGIN IMMEDIATE")                                            \
    X(ST_COMMIT, "COMMIT")                                                    \
    X(ST_ROLLBACK, "ROLLBACK")                                                \
    X(ST_SAVEPOINT, "SAVEPOINT turn")                                         \
    X(ST_RELEASE, "RELEASE turn")                                             \
    X(ST_ROLLBACK_TO, "ROLLBACK TO turn")                                     \
    X(ST_TENANT_INSERT,                                                       \
      "INSERT INTO tenants (slug, name, currency, region, language, timezone," \
      " api_key_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")   \
    X(ST_TENANT_BY_SLUG, "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?1") \
    X(ST_TENANT_BY_KEY,                                                       \
      "SELECT " TENANT_COLS " FROM tenants WHERE api_key_hash = ?1")          \
    X(ST_TENANT_LIST, "SELECT " TENANT_COLS " FROM tenants ORDER BY id")      \
    X(ST_TENANT_EXISTS, "SELECT 1 FROM tenants WHERE id = ?1")                \
    X(ST_USER_INSERT,                                                         \
      "INSERT INTO users (email, role, tenant_id, password_hash, created_at)" \
      " VALUES (?1, ?2, ?3, ?4, ?5)")                                         \
    X(ST_USER_BY_EMAIL,                                                       \
      "SELECT id, email, role, tenant_id, password_hash FROM users"            \
      " WHERE email = ?1")                                                    \
    /* An upsert is an insert that does nothing on a conflict, then an      */ \
    /* update when nothing was inserted: unlike ON CONFLICT DO UPDATE (whose */ \
    /* update part may abort) the insert needs no statement journal, which  */ \
    /* cost a quarter of a bulk import.  OR ROLLBACK: a NOT NULL failure    */ \
    /* (impossible from listing_upsert) ends the transaction.              */ \
    X(ST_LISTING_INSERT,                                                      \
      "INSERT OR ROLLBACK INTO listings (tenant_id, " LISTING_COLS            \
      ", updated_at) VALUES"                                                  \
      " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"   \
      " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)"                         \
      " ON CONFLICT (tenant_id, id) DO NOTHING")                              \
    X(ST_LISTING_UPDATE,                                                      \
      "UPDATE listings SET title = ?3, project = ?4, developer = ?5,"         \
      " city = ?6, locality = ?7, property_type = ?8, \"transaction\" = ?9,"  \
      " bedrooms = ?10, bathrooms = ?11, area_sqft = ?12, price = ?13,"       \
      " currency = ?14, units_available = ?15, status = ?16,"                 \
      " completion_date = ?17, amenities = ?18, latitude = ?19,"              \
      " longitude = ?20, rental_yield = ?21, description = ?22,"              \
      " attributes_json = ?23, updated_at = ?24"                              \
      " WHERE tenant_id = ?1 AND id = ?2")                                    \
    X(ST_LISTING_GET,                                                         \
      "SELECT " LISTING_COLS " FROM listings WHERE tenant_id = ?1 AND id = ?2") \
    X(ST_LISTING_GET_MANY,                                                    \
      "SELECT " LISTING_COLS " FROM listings WHERE tenant_id = ?1"            \
      " AND id IN (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                           \
    X(ST_LISTING_DELETE, "DELETE FROM listings WHERE tenant_id = ?1 AND id = ?2") \
    X(ST_LISTING_COUNT, "SELECT count(*) FROM listings WHERE tenant_id = ?1") \
    /* every row of the tenant, locality by locality (listings_loc order) */ \
    X(ST_LOCALITY_ROWS,                                                       \
      "SELECT locality, city, \"transaction\", price, area_sqft, rental_yield," \
      " latitude, longitude, status, units_available"                         \
      " FROM listings INDEXED BY listings_loc WHERE tenant_id = ?1"           \
      " AND locality IS NOT NULL AND locality <> ''"                          \
      " ORDER BY locality")                                                   \
    /* deferred text indexing of an import batch (migration 4)           */ \
    X(ST_FTS_DEFER_BEGIN,                                                     \
      "INSERT INTO listings_fts_defer (hwm)"                                  \
      " SELECT coalesce(max(rid), 0) FROM listings")                          \
    X(ST_FTS_DEFER_DELETE,                                                    \
      "INSERT INTO listings_fts(listings_fts, rowid, " FTS_COLS ")"           \
      " SELECT 'delete', rid, " FTS_COLS " FROM listings_fts_pending")        \
    X(ST_FTS_DEFER_INSERT,                                                    \
      "INSERT INTO listings_fts(rowid, " FTS_COLS ")"                         \
      " SELECT rid, " FTS_COLS " FROM listings"                               \
      " WHERE rid > (SELECT hwm FROM listings_fts_defer)"                     \
      " UNION ALL SELECT rid, " FTS_COLS " FROM listings"                     \
      " WHERE rid IN (SELECT rid FROM listings_fts_pending)"                  \
      " AND rid <= (SELECT hwm FROM listings_fts_defer)")                     \
    X(ST_FTS_DEFER_END,                                                       \
      "DELETE FROM listings_fts_defer")                                       \
    X(ST_FTS_PENDING_CLEAR,                                                   \
      "DELETE FROM listings_fts_pending")                                     \
    X(ST_AGENT_INSERT,                                                        \
      "INSERT INTO agents (tenant_id, name, email, created_at)"               \
      " VALUES (?1, ?2, ?3, ?4)")                                             \
    X(ST_SLOT_INSERT,                                                         \
      "INSERT INTO agent_slots (tenant_id, agent_id, starts_at, ends_at)"     \
      " SELECT ?1, id, ?3, ?4 FROM agents WHERE id = ?2 AND tenant_id = ?1")  \
    /* Free slots in [?2, ?3): earliest first; at one start time each     */ \
    /* agent's first slot before anyone's second (rn), and the agent with */ \
    /* fewer bookings within a week of the window first (load), so visits */ \
    /* spread across the team.                                            */ \
    X(ST_SLOTS_FREE,                                                          \
      "WITH load AS (SELECT s2.agent_id, count(*) AS n FROM agent_slots s2"   \
      "   JOIN appointments a2 ON a2.slot_id = s2.id"                         \
      "   WHERE s2.tenant_id = ?1 AND s2.starts_at >= ?2 - 604800"            \
      "   AND s2.starts_at < ?3 + 604800 GROUP BY s2.agent_id),"                       \
      " free AS (SELECT s.id, s.agent_id, g.name, s.starts_at, s.ends_at,"    \
      "   row_number() OVER (PARTITION BY s.starts_at, s.agent_id"            \
      "     ORDER BY s.id) AS rn,"                                            \
      "   coalesce(l.n, 0) AS busy"                                           \
      "   FROM agent_slots s JOIN agents g ON g.id = s.agent_id"              \
      "   LEFT JOIN appointments a ON a.slot_id = s.id"                       \
      "   LEFT JOIN load l ON l.agent_id = s.agent_id"                        \
      "   WHERE s.tenant_id = ?1 AND s.starts_at >= ?2 AND s.starts_at < ?3"  \
      "   AND a.id IS NULL)"                                                  \
      " SELECT id, agent_id, name, starts_at, ends_at FROM free"              \
      " ORDER BY starts_at, rn, busy, agent_id, id LIMIT ?4")                 \
    X(ST_SLOT_EXISTS, "SELECT 1 FROM agent_slots WHERE id = ?1 AND tenant_id = ?2") \
    X(ST_APPT_INSERT,                                                         \
      "INSERT INTO appointments (tenant_id, slot_id, user_id, session_id,"    \
      " phone, created_at, listing_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"   \
      " ON CONFLICT (slot_id) DO NOTHING")                                    \
    /* a buyer's viewings that have not ended, earliest first, with the   */ \
    /* agent and the listing's title when it still exists                 */ \
    X(ST_APPT_UPCOMING,                                                       \
      "SELECT a.id, s.starts_at, s.ends_at, g.name, a.listing_id, l.title,"   \
      " a.session_id FROM appointments a INDEXED BY appointments_user"        \
      " JOIN agent_slots s ON s.id = a.slot_id"                               \
      " JOIN agents g ON g.id = s.agent_id"                                   \
      " LEFT JOIN listings l ON l.tenant_id = a.tenant_id AND l.id = a.listing_id" \
      " WHERE a.tenant_id = ?1 AND a.user_id = ?2 AND s.ends_at > ?3"         \
      " ORDER BY s.starts_at, a.id LIMIT ?4")                                 \
    X(ST_APPT_COUNT_SESSION,                                                  \
      "SELECT count(*) FROM appointments WHERE tenant_id = ?1"                \
      " AND session_id = ?2")                                                 \
    X(ST_APPT_COUNT_ALL, "SELECT count(*) FROM appointments WHERE tenant_id = ?1") \
    X(ST_SESSION_GET,                                                         \
      "SELECT state_json FROM sessions WHERE tenant_id = ?1 AND session_id = ?2") \
    X(ST_SESSION_PUT,                                                         \
      "INSERT INTO sessions (tenant_id, session_id, user_id, state_json,"     \
      " updated_at, last_turn) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"               \
      " ON CONFLICT (tenant_id, session_id) DO UPDATE SET"                    \
      " user_id = coalesce(excluded.user_id, sessions.user_id),"              \
      " state_json = excluded.state_json, updated_at = excluded.updated_at,"  \
      " last_turn = coalesce(excluded.last_turn, sessions.last_turn)")        \
    /* the same, by the rowid the handle remembers (sq_memo), and the    */ \
    /* key, so a stale rowid changes nothing; no row: the upsert          */ \
    X(ST_SESSION_UPDATE_ROW,                                                  \
      "UPDATE sessions SET user_id = coalesce(?3, user_id), state_json = ?4," \
      " updated_at = ?5, last_turn = coalesce(?6, last_turn)"                 \
      " WHERE rowid = ?7 AND tenant_id = ?1 AND session_id = ?2")             \
    X(ST_SESSION_LOOKUP,                                                      \
      "SELECT rowid, last_turn FROM sessions"                                 \
      " WHERE tenant_id = ?1 AND session_id = ?2")                            \
    /* a transcript row written without the session's state */             \
    X(ST_SESSION_LAST_TURN,                                                   \
      "INSERT INTO sessions (tenant_id, session_id, updated_at, last_turn)"   \
      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, session_id)"          \
      " DO UPDATE SET last_turn = excluded.last_turn")                        \
    /* chained to the session's latest row (migration 10) */               \
    X(ST_TURN_INSERT,                                                         \
      "INSERT INTO turns (tenant_id, session_id, prev, user_text, user_meta," \
      " assistant_text, assistant_meta, created_at, user_role)"               \
      " VALUES (?1, ?2, ?9, ?3, ?4, ?5, ?6, ?7, ?8)")                         \
    /* the latest ?3 rows, newest first, along the chain; a row holds one  */ \
    /* or two messages, so they hold at least the latest ?3 messages       */ \
    X(ST_MESSAGES_LIST,                                                       \
      "WITH RECURSIVE chain(id) AS ("                                         \
      " SELECT last_turn FROM sessions WHERE tenant_id = ?1 AND session_id = ?2" \
      " UNION ALL SELECT t.prev FROM chain c JOIN turns t ON t.id = c.id"     \
      " WHERE t.tenant_id = ?1 AND t.session_id = ?2 LIMIT ?3)"               \
      " SELECT t.user_role, t.user_text, t.user_meta, t.assistant_text,"      \
      " t.assistant_meta, t.created_at FROM chain c JOIN turns t ON t.id = c.id" \
      " WHERE t.tenant_id = ?1 AND t.session_id = ?2 ORDER BY t.id DESC")     \
    X(ST_PROFILE_GET,                                                         \
      "SELECT json FROM profiles WHERE tenant_id = ?1 AND user_id = ?2")      \
    /* a turn's session and buyer in one statement: one read transaction  */ \
    X(ST_STATE_GET,                                                           \
      "SELECT (SELECT state_json FROM sessions WHERE tenant_id = ?1"          \
      " AND session_id = ?2), (SELECT json FROM profiles"                     \
      " WHERE tenant_id = ?1 AND user_id = ?3)")                              \
    X(ST_PROFILE_PUT,                                                         \
      "INSERT INTO profiles (tenant_id, user_id, json, updated_at)"           \
      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, user_id) DO UPDATE"   \
      " SET json = excluded.json, updated_at = excluded.updated_at")          \
    X(ST_LEAD_PUT,                                                            \
      "INSERT INTO profiles (tenant_id, user_id, session_id, phone, language,"\
      " state, temperature, engagement_score, intent_to_buy_score,"           \
      " slots_json, updated_at, lead_updated_at)"                             \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"           \
      " ON CONFLICT (tenant_id, user_id) DO UPDATE SET" LEAD_SET)              \
    /* a turn's profile and lead in one row write */                         \
    X(ST_PROFILE_LEAD_PUT,                                                    \
      "INSERT INTO profiles (tenant_id, user_id, session_id, phone, language,"\
      " state, temperature, engagement_score, intent_to_buy_score,"           \
      " slots_json, updated_at, lead_updated_at, json)"                       \
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)"      \
      " ON CONFLICT (tenant_id, user_id) DO UPDATE SET json = excluded.json,"  \
      LEAD_SET)                                                               \
    X(ST_PROFILE_LEAD_UPDATE_ROW,                                             \
      "UPDATE profiles SET json = ?12, session_id = coalesce(?3, session_id),"\
      " phone = coalesce(?4, phone), language = coalesce(?5, language),"      \
      " state = coalesce(?6, state), temperature = coalesce(?7, temperature),"\
      " engagement_score = ?8, intent_to_buy_score = ?9,"                     \
      " slots_json = coalesce(?10, slots_json), updated_at = ?11,"            \
      " lead_updated_at = ?11"                                                \
      " WHERE rowid = ?13 AND tenant_id = ?1 AND user_id = ?2")               \
    X(ST_PROFILE_LOOKUP,                                                      \
      "SELECT rowid FROM profiles WHERE tenant_id = ?1 AND user_id = ?2")

enum sq_stmt_id {
#define SQ_X_ENUM(id, sql) id,
    SQ_STMT_MAP(SQ_X_ENUM)
#undef SQ_X_ENUM
    ST__COUNT
};

static const char *const sq_stmt_sql[ST__COUNT] = {
#define SQ_X_SQL(id, sql) sql,
    SQ_STMT_MAP(SQ_X_SQL)
#undef SQ_X_SQL
};

/* The memory map of a handle's database (PRAGMA mmap_size): the file of a
 * million listings fits.  Only for a database file of at least
 * SQ_MMAP_MIN_FILE bytes at open: below that the page caches hold what a
 * search reads, and a map would only add every page a conversation
 * touched to the server's resident size. */
#define SQ_MMAP_BYTES "2147418112"
#define SQ_MMAP_MIN_FILE (256LL << 20)

/* ------------------------------------------------------------------------ */
/* Handle state                                                              */

/* The write lock of one database file, shared by every handle of this
 * process that opened it (keyed by canonical path, reference counted). */
typedef struct sq_writer {
    struct sq_writer *next;
    char *path;
    int refs;
    pthread_mutex_t mu;
    /* the checkpointer (see sq_wal_hook): its own connection and thread */
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    pthread_t ckpt_thread;
    bool ckpt_started, ckpt_wanted, ckpt_stop;
    bool ckpt_idle;          /* the thread waits for ckpt_wanted (not in its breather) */
    unsigned long ckpt_runs;
    int bulk;                /* handles in bulk-load mode (guarded by ckpt_mu) */
    uint64_t *epoch;         /* the epoch file, mapped: [0] the inventory epoch
                              * (sq_epoch_*), [1] the key writes (sq_keys_*);
                              * NULL: none */
    /* the key filter (see "New conversations"); under keys_mu but where said */
    pthread_mutex_t keys_mu;
    pthread_cond_t keys_cv;
    pthread_t keys_thread;
    bool keys_started, keys_wanted, keys_stop, keys_warned;
    int keys_others;         /* builds asked for by others' writes (the gap doubles) */
    int keys_busy;           /* a build wanted or running (atomic: read without keys_mu) */
    struct sq_keys *keys;    /* the filter in use (under keys_mu) */
    struct sq_keys *keys_next;      /* being built: writers note keys in it too */
    uint64_t keys_own;       /* this process's increments of epoch[1] (atomic) */
    int64_t keys_build_at_ms, keys_build_ms;   /* the last build: start, duration */
} sq_writer;

#define SQ_EPOCH_BYTES (2 * sizeof(uint64_t))   /* the epoch file's two words (one grows) */

static pthread_mutex_t sq_writers_mu = PTHREAD_MUTEX_INITIALIZER;
static sq_writer *sq_writers;

/* What write transaction a handle has open. */
enum sq_tx { SQ_IDLE = 0, SQ_TURN, SQ_IMPORT, SQ_OWN };

/* listing_search statements, one per combination of set filters (and per
 * type of a walk over every type), least recently used out.  The search
 * benchmark's 13 kinds of messages use 113 (about 16 KiB each, 1.9 MB a
 * handle): at 48 the LRU cycled and 41% of lookups prepared again. */
#define SQ_SEARCH_CACHE 256
#define SQ_MAX_LOCALITIES 16
enum {
    SF_TX = 1 << 0, SF_TYPE = 1 << 1, SF_BEDS = 1 << 2, SF_PMIN = 1 << 3,
    SF_PMAX = 1 << 4, SF_CURRENCY = 1 << 5, SF_STATUS = 1 << 6, SF_DESC = 1 << 7,
    SF_TEXT = 1 << 8,
};
#define SF_LOC_SHIFT 12
#define SF_FAN_SHIFT 20        /* 1 + type slot of a per-type walk (same SQL, own statement) */
#define SQ_FAN_TYPES PTYPE__COUNT   /* every type name, and NULL */
typedef struct sq_search_stmt {
    unsigned key;              /* SF_* bits | n_localities << SF_LOC_SHIFT */
    sqlite3_stmt *st;          /* NULL: empty entry */
    unsigned long long used;   /* for least-recently-used eviction */
} sq_search_stmt;

/* listing_text_count's answers, kept per handle while the listings stay
 * the same (sq_listing_text_count): direct-mapped by query. */
#define SQ_TEXT_MEMO 64            /* entries, a power of two */
#define SQ_TEXT_MEMO_KEY 96        /* a longer query is counted, not kept */
typedef struct sq_text_memo {
    char match[SQ_TEXT_MEMO_KEY];  /* "": empty entry */
    int cap, count;
} sq_text_memo;

/* Listings a search read, decoded, kept per handle by rid (sq_rows_take):
 * direct-mapped, each entry one malloc'd block (the listing, then its
 * strings), served only under the listings' version sum it was read at.
 * An entry larger than SQ_ROW_MAX is not kept. */
#define SQ_ROWS 1024               /* entries, a power of two */
#define SQ_ROW_MAX 16384
typedef struct sq_row {
    int64_t rid;
    int64_t gen;                   /* sum of listing_state.version when read */
    size_t strings_len;            /* bytes of strings after l */
    listing l;                     /* string pointers into strings[] */
    char strings[];
} sq_row;

/* The inventory's versions a handle read last (sq_ver_*): listing_state's
 * and vector_state's version of a tenant, and the listings' generation of
 * sq_text_generation.  Direct-mapped by kind and tenant. */
#define SQ_VER_MEMO 16             /* entries, a power of two */
enum { SQ_VER_LISTING = 1, SQ_VER_VECTOR, SQ_VER_TEXT_GEN };
typedef struct sq_ver_memo {
    int kind;                      /* SQ_VER_*; 0: empty entry */
    int64_t tenant;
    int64_t v[2];
    uint64_t epoch;                /* the inventory epoch the value is current for */
    int64_t at_ms;                 /* when it was read (sq_clock_ms) */
} sq_ver_memo;

#define SQ_EXT_STMTS 16
typedef struct sq {
    sqlite3 *db;
    sq_writer *writer;
    enum sq_tx tx;
    sqlite3_stmt *st[ST__COUNT];
    sq_search_stmt search[SQ_SEARCH_CACHE];
    unsigned long long search_clock;
    sqlite3_stmt *ext[SQ_EXT_STMTS];   /* admin/vector statements, prepared on first use */
    sqlite3_stmt *text_count;  /* listing_text_count, prepared on first use */
    sqlite3_stmt *text_gen;    /* the listings' generation, prepared on first use */
    sq_text_memo *text_memo;   /* SQ_TEXT_MEMO entries, allocated on first use */
    int64_t text_memo_gen[2];  /* the generation they were counted at */
    int64_t gen[2];            /* the generation of the read transaction, when gen_known */
    bool gen_known;            /* read once per read_begin's transaction */
    sqlite3_stmt *row_get;     /* listings by rid, for sq_rows_take; prepared on first use */
    sq_row **rows;             /* SQ_ROWS entries, allocated on first use */
    int64_t *seen;             /* per entry, the rid read last (kept when read twice) */
    sqlite3_stmt *read_stmt[2];   /* read_begin's BEGIN and read_end's COMMIT */
    bool reading;              /* read_begin began a read transaction */
    bool epoch_wal;            /* the file is in WAL mode: every commit passes sq_wal_hook */
    bool turns_only;           /* the open transaction is sq_turns_write's: no inventory */
    bool keys_noted;           /* it noted keys (sq_keys_note): counted again at its end */
    bool scope_epoch_known;    /* scope_epoch was read before read_begin's snapshot */
    uint64_t scope_epoch;
    sq_ver_memo ver[SQ_VER_MEMO];
    sqlite3_stmt *insert_many; /* listing_upsert_many's INSERT, prepared on first use */
    bool bulk;                 /* in import_bulk_begin mode */
    int secure_delete;         /* PRAGMA secure_delete before bulk mode */
    struct sq_memo_slot *memo; /* rows this handle wrote last (sq_memo_*) */
    unsigned memo_version;     /* the file's data version they hold for */
    bool memo_known;           /* memo_version was read */
} sq;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static int64_t now_utc(void)
{
    return (int64_t)time(NULL);
}

/* Fails with the pt_err matching sqlite result rc and "<what>: <errmsg>".
 * Call before the statement is reset (the reset keeps the message, but a
 * later call on the connection replaces it). */
__attribute__((format(printf, 4, 5)))
static int sq_fail(sq *q, pt_error *err, int rc, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int code = PT_ERR_STORE;
    switch (rc & 0xff) {
    case SQLITE_NOMEM: code = PT_ERR_NOMEM; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = PT_ERR_UNAVAILABLE; break;
    default: break;
    }
    return pt_fail(err, code, "%s: %s", what, q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* bind_text of s whose length (strlen's) the caller knows: n, or 0 when it
 * does not (sqlite measures, as bind_text).  The same bytes are stored;
 * sqlite only skips its strlen. */
static int bind_text_n(sqlite3_stmt *st, int i, const char *s, size_t n)
{
    if (s == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, n > 0 && n <= INT_MAX ? (int)n : -1, SQLITE_STATIC);
}

/* The codes of migration 9.  They follow the alphabetical order of the
 * names they replace ("apartment" < "office" < ...; "rent" < "sale";
 * "off_plan" < "ready"), so both covering indexes keep their order and a
 * walk meets listings of one price in the same order as before (search
 * answers stay the same, ties included).  Indexed by the enums of
 * core/types.h; sq_*_of_code go back. */
_Static_assert(PTYPE__COUNT == 9 && TX__COUNT == 3 && LSTATUS_OFF_PLAN == 2,
               "a new type, transaction or status needs a code (migration 9)");
static const int sq_ptype_code[PTYPE__COUNT] = {
    [PTYPE_APARTMENT] = 1, [PTYPE_OFFICE] = 2, [PTYPE_PENTHOUSE] = 3, [PTYPE_PLOT] = 4,
    [PTYPE_SHOP] = 5, [PTYPE_STUDIO] = 6, [PTYPE_TOWNHOUSE] = 7, [PTYPE_VILLA] = 8};
static const property_type sq_ptype_of_code[PTYPE__COUNT] = {
    PTYPE_NONE, PTYPE_APARTMENT, PTYPE_OFFICE, PTYPE_PENTHOUSE, PTYPE_PLOT,
    PTYPE_SHOP, PTYPE_STUDIO, PTYPE_TOWNHOUSE, PTYPE_VILLA};
static const int sq_tx_code[TX__COUNT] = {[TX_RENT] = 1, [TX_BUY] = 2};
static const transaction sq_tx_of_code[TX__COUNT] = {TX_NONE, TX_RENT, TX_BUY};
static const int sq_status_code[3] = {[LSTATUS_OFF_PLAN] = 1, [LSTATUS_READY] = 2};
static const listing_status sq_status_of_code[3] = {LSTATUS_NONE, LSTATUS_OFF_PLAN,
                                                     LSTATUS_READY};

/* The code of enum value v (0 .. n - 1) through table code[], or 0 for
 * none or out of range. */
static int sq_code(const int *code, int n, int v)
{
    return v > 0 && v < n ? code[v] : 0;
}

/* Binds a code, NULL for 0 (none). */
static int bind_code(sqlite3_stmt *st, int i, int code)
{
    return code > 0 ? sqlite3_bind_int(st, i, code) : sqlite3_bind_null(st, i);
}

/* The code in column i (1 .. n - 1), or 0 (none) for NULL or anything else. */
static int col_code(sqlite3_stmt *st, int i, int n)
{
    if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
        return 0;
    sqlite3_int64 v = sqlite3_column_int64(st, i);
    return v > 0 && v < n ? (int)v : 0;
}

/* A number that means "unknown" when negative is stored as NULL. */
static int bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

static int bind_double_or_null(sqlite3_stmt *st, int i, double v)
{
    return v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

/* Steps a statement that returns no row (or whose row is ignored) and
 * resets it.  0 or the failure. */
__attribute__((format(printf, 4, 5)))
static int sq_run(sq *q, sqlite3_stmt *st, pt_error *err, const char *fmt, ...)
{
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        char what[160];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        out = sq_fail(q, err, rc, "%s", what);
    }
    sqlite3_reset(st);
    return out;
}

/* Reads text columns into an arena and remembers whether one failed. */
typedef struct sq_reader {
    arena *a;
    sqlite3_stmt *st;
    int oom;
} sq_reader;

static const char *rd_str(sq_reader *r, int i)
{
    const unsigned char *p = sqlite3_column_text(r->st, i);
    if (p == NULL) {
        /* SQL NULL, or sqlite could not allocate the text */
        if (sqlite3_column_type(r->st, i) != SQLITE_NULL)
            r->oom = 1;
        return NULL;
    }
    char *s = arena_strndup(r->a, (const char *)p, (size_t)sqlite3_column_bytes(r->st, i));
    if (s == NULL)
        r->oom = 1;
    return s;
}

static int64_t col_int_or(sqlite3_stmt *st, int i, int64_t unknown)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? unknown : sqlite3_column_int64(st, i);
}

static double col_double_or(sqlite3_stmt *st, int i, double unknown)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? unknown : sqlite3_column_double(st, i);
}

/* Copies a text column into a fixed buffer (truncating; "" for NULL). */
static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", p ? (const char *)p : "");
}

/* Grows an arena array of n used items of size sz to hold one more:
 * doubles into a new block (the old one stays in the arena). */
static void *arena_grow(arena *a, void *items, int n, int *cap, size_t sz)
{
    if (n < *cap)
        return items;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = arena_alloc(a, (size_t)ncap * sz);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, items, (size_t)n * sz);
    *cap = ncap;
    return p;
}

/* ------------------------------------------------------------------------ */
/* Writers and transactions                                                  */

/*
 * Checkpoints.  SQLite's automatic checkpoint runs inside the COMMIT that
 * pushes the WAL past 1000 pages: that commit copies the WAL into the
 * database and fsyncs it, tens of milliseconds during which every turn
 * waiting for the committer waits too.  Instead each handle's WAL hook only
 * wakes a checkpointer thread of the database (one per file per process,
 * with its own connection) that runs PASSIVE checkpoints, which never block
 * writers.  Should the WAL still reach SQ_WAL_HARD_PAGES (the checkpointer
 * cannot keep up), the committing connection checkpoints itself as before,
 * except during a bulk import, whose batches are that large by design.
 *
 * This is the one checkpoint mechanism: turns and imports, bulk or not,
 * all go through it.  A bulk import changes only the hard limit, and at
 * its end wakes the checkpointer for the last batch.
 */

#define SQ_WAL_CKPT_PAGES 1000
#define SQ_WAL_HARD_PAGES 16000
#define SQ_CKPT_GAP_MS 50            /* least time between two checkpoints */

static void *checkpointer_main(void *arg)
{
    sq_writer *w = arg;
    sqlite3 *db = NULL;
    pthread_setname_np(pthread_self(), "pt-checkpoint");
    if (sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_error("store: checkpointer for \"%s\": %s", w->path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        db = NULL;
    } else {
        sqlite3_busy_timeout(db, 5000);
        const char *sync = getenv("PROPTALK_SQLITE_SYNC");
        sqlite3_exec(db, sync && strcasecmp(sync, "normal") == 0 ? "PRAGMA synchronous=NORMAL"
                                                                   : "PRAGMA synchronous=FULL",
                     NULL, NULL, NULL);
    }
    pthread_mutex_lock(&w->ckpt_mu);
    for (;;) {
        w->ckpt_idle = true;
        while (!w->ckpt_wanted && !w->ckpt_stop)
            pthread_cond_wait(&w->ckpt_cv, &w->ckpt_mu);
        w->ckpt_idle = false;
        if (w->ckpt_stop)
            break;
        w->ckpt_wanted = false;
        pthread_mutex_unlock(&w->ckpt_mu);
        int log_frames = 0, done_frames = 0;
        int rc = db ? sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                                &done_frames)
                    : SQLITE_CANTOPEN;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warn("store: checkpoint of \"%s\": %s", w->path, db ? sqlite3_errmsg(db) : "no connection");
        pthread_mutex_lock(&w->ckpt_mu);
        w->ckpt_runs++;
        /* a breather: under steady writes the WAL never stops growing and
         * back-to-back checkpoints would each pay two fsyncs for a few pages.
         * Wake-ups meanwhile only set ckpt_wanted (sq_ckpt_wake), which the
         * loop's top then finds. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += SQ_CKPT_GAP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!w->ckpt_stop && pthread_cond_timedwait(&w->ckpt_cv, &w->ckpt_mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&w->ckpt_mu);
    sqlite3_close(db);
    return NULL;
}

/* Wakes w's checkpointer, starting it on first use.  false: no thread to
 * be had (the caller checkpoints itself, as sqlite would).  Once the WAL is
 * past SQ_WAL_CKPT_PAGES every commit comes here; the thread is signalled
 * only while it waits for work: in its breather, or already asked, it
 * finds ckpt_wanted at the top of its loop.  (Signalling it every time woke
 * it from the breather ~800 times a second under chat load, each to sleep
 * again: a futex call, two context switches, and a wake-up that could queue
 * behind the committer on its core.) */
static bool sq_ckpt_wake(sq_writer *w)
{
    pthread_mutex_lock(&w->ckpt_mu);
    if (!w->ckpt_started && !w->ckpt_stop) {
        if (pthread_create(&w->ckpt_thread, NULL, checkpointer_main, w) == 0)
            w->ckpt_started = true;
    }
    bool started = w->ckpt_started;
    if (!w->ckpt_wanted) {
        w->ckpt_wanted = true;
        if (w->ckpt_idle)
            pthread_cond_signal(&w->ckpt_cv);
    }
    pthread_mutex_unlock(&w->ckpt_mu);
    return started;
}

/* Moves w's inventory epoch (see "The inventory epoch" below), after a
 * commit that may have changed the listings is visible. */
static void sq_epoch_bump(sq_writer *w)
{
    if (w->epoch)
        __atomic_fetch_add(w->epoch, 1, __ATOMIC_RELEASE);
}

/* sqlite3_wal_hook: after each commit, with the WAL's size in pages.  A
 * bulk import (w->bulk) makes the WAL grow by a batch at a time, far past
 * SQ_WAL_HARD_PAGES, while the checkpointer copies behind it: no
 * checkpoint in the committing connection then, which is the import's
 * only CPU for its writes. */
static int sq_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    sq *q = arg;
    sq_writer *w = q->writer;
    /* the commit is visible: move the inventory epoch (sq_epoch_map) unless
     * it wrote conversations only */
    if (!q->turns_only)
        sq_epoch_bump(w);
    if (pages < SQ_WAL_CKPT_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock(&w->ckpt_mu);
    bool hard = pages >= SQ_WAL_HARD_PAGES && w->bulk == 0;
    pthread_mutex_unlock(&w->ckpt_mu);
    if (hard || !sq_ckpt_wake(w))
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void sq_epoch_map(sq_writer *w);
static void sq_keys_init(sq_writer *w);
static void sq_keys_release(sq_writer *w);

/* The writer of path, created on first use.  NULL when out of memory. */
static sq_writer *writer_acquire(const char *path)
{
    sq_writer *w = NULL;
    pthread_mutex_lock(&sq_writers_mu);
    for (w = sq_writers; w; w = w->next)
        if (strcmp(w->path, path) == 0)
            break;
    if (w == NULL) {
        w = calloc(1, sizeof *w);
        char *p = strdup(path);
        if (w == NULL || p == NULL) {
            free(w);
            free(p);
            w = NULL;
            goto done;
        }
        w->path = p;
        sq_epoch_map(w);
        pthread_mutex_init(&w->mu, NULL);
        pthread_mutex_init(&w->ckpt_mu, NULL);
        pthread_cond_init(&w->ckpt_cv, NULL);
        sq_keys_init(w);
        w->next = sq_writers;
        sq_writers = w;
    }
    w->refs++;
done:
    pthread_mutex_unlock(&sq_writers_mu);
    return w;
}

static void writer_release(sq_writer *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&sq_writers_mu);
    if (--w->refs == 0) {
        sq_writer **pp = &sq_writers;
        while (*pp != w)
            pp = &(*pp)->next;
        *pp = w->next;
        pthread_mutex_lock(&w->ckpt_mu);
        bool started = w->ckpt_started;
        w->ckpt_stop = true;
        pthread_cond_signal(&w->ckpt_cv);
        pthread_mutex_unlock(&w->ckpt_mu);
        if (started)
            pthread_join(w->ckpt_thread, NULL);
        sq_keys_release(w);
        pthread_cond_destroy(&w->ckpt_cv);
        pthread_mutex_destroy(&w->ckpt_mu);
        pthread_mutex_destroy(&w->mu);
        if (w->epoch)
            munmap(w->epoch, SQ_EPOCH_BYTES);
        free(w->path);
        free(w);
    }
    pthread_mutex_unlock(&sq_writers_mu);
}

/*
 * The inventory epoch.  A turn asks for the listings' versions (a tenant's
 * listing_state version through listing_cache, its vector_state version
 * through the embeddings, the generation of sq_text_generation in a search)
 * to know whether what it keeps is still current.  Each question was a read
 * transaction of its own, and under chat load the committer commits
 * hundreds of times a second, so each found the handle's page cache stale
 * and read its pages again: 6-7 us a question, ~5% of the server's CPU a
 * chat message (BENCHMARKS.md, session 9).
 *
 * So every commit that may change the inventory moves a counter that all
 * processes of the file share: `<database>-epoch`, 8 bytes mapped
 * MAP_SHARED and incremented atomically in sq_wal_hook, after the commit is
 * visible to readers, by every commit except the committer's batches of
 * turns (sessions, transcripts and profiles only: sq_turns_write).  A handle
 * keeps each version it read with the epoch it loaded before the snapshot
 * that version was read in began, and answers from it while the epoch has
 * not moved, for at most SQ_VER_TTL_MS.  The bound covers what the epoch
 * cannot see: a writer that does not move it (another tool on the file, a
 * process that died between its commit and its increment).
 *
 * Between a commit and its increment (the next instructions of the
 * committing thread) a handle may still answer the versions before it, as
 * it could before, when its version reads and its other reads were separate
 * transactions.  Without the file (":memory:", or it cannot be made) or
 * outside WAL mode, every question goes to the database as before.
 */
#define SQ_VER_TTL_MS 250

/* Maps w's epoch file, made on first use; w->epoch stays NULL without it.
 * It takes the database file's permissions and (as root) its owner, as
 * sqlite's -wal and -shm do: every process that may write the database must
 * count its key writes here ("New conversations"), and one of another user
 * that could not map a file of mode 0600 wrote sessions nobody else's filter
 * heard of. */
static void sq_epoch_map(sq_writer *w)
{
    char p[PATH_MAX + 16];
    int fd = -1;
    struct stat st, db;
    if (strcmp(w->path, ":memory:") == 0)
        return;
    int n = snprintf(p, sizeof p, "%s-epoch", w->path);
    if (n < 0 || (size_t)n >= sizeof p)
        return;
    bool have_db = stat(w->path, &db) == 0;
    mode_t mode = have_db ? db.st_mode & 0666 : 0644;
    fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0)
        goto fail;
    if (fstat(fd, &st) != 0 ||
        (st.st_size < (off_t)SQ_EPOCH_BYTES && ftruncate(fd, SQ_EPOCH_BYTES) != 0))
        goto fail;
    /* whatever the umask, or a file an older version made 0600; best effort */
    if (have_db && st.st_uid == geteuid() && (st.st_mode & 0777) != mode && fchmod(fd, mode) != 0)
        log_warn("store: %s: cannot set its mode: %s", p, strerror(errno));
    if (have_db && geteuid() == 0 && (st.st_uid != db.st_uid || st.st_gid != db.st_gid) &&
        fchown(fd, db.st_uid, db.st_gid) != 0)
        log_warn("store: %s: cannot give it the database's owner: %s", p, strerror(errno));
    void *m = mmap(NULL, SQ_EPOCH_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    w->epoch = m;
    close(fd);
    return;
fail:
    log_warn("store: %s: %s (the listings' versions are read at every question)", p,
             strerror(errno));
    if (fd >= 0)
        close(fd);
}

static int64_t sq_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t sq_epoch_load(const sq *q)
{
    return __atomic_load_n(q->writer->epoch, __ATOMIC_ACQUIRE);
}

/* May q keep or answer versions now: an epoch, WAL, and no write
 * transaction of its own (whose uncommitted writes move the versions
 * without moving the epoch)? */
static bool sq_ver_usable(const sq *q)
{
    return q->writer->epoch != NULL && q->epoch_wal && q->tx == SQ_IDLE;
}

/* The epoch under which a version q reads next may be kept (*e), loaded
 * before the snapshot of that read begins; false when it may not be kept. */
static bool sq_ver_epoch(sq *q, uint64_t *e)
{
    if (!sq_ver_usable(q))
        return false;
    if (sqlite3_txn_state(q->db, NULL) == SQLITE_TXN_NONE) {
        *e = sq_epoch_load(q);     /* the read begins its own snapshot, after this */
        return true;
    }
    if (q->reading && q->scope_epoch_known) {
        *e = q->scope_epoch;       /* read_begin's, loaded before its snapshot */
        return true;
    }
    return false;                  /* a snapshot begun at a time unknown */
}

static sq_ver_memo *sq_ver_slot(sq *q, int kind, int64_t tid)
{
    uint64_t h = (uint64_t)tid * 0x9E3779B97F4A7C15ULL ^ (uint64_t)kind;
    return &q->ver[(h ^ h >> 32) & (SQ_VER_MEMO - 1)];
}

/* The kept version (kind, tenant tid) into v when it may answer: read under the
 * epoch there is now, less than SQ_VER_TTL_MS ago. */
static bool sq_ver_get(sq *q, int kind, int64_t tid, int64_t v[2])
{
    if (!sq_ver_usable(q))
        return false;
    const sq_ver_memo *m = sq_ver_slot(q, kind, tid);
    if (m->kind != kind || m->tenant != tid || m->epoch != sq_epoch_load(q) ||
        sq_clock_ms() - m->at_ms >= SQ_VER_TTL_MS)
        return false;
    v[0] = m->v[0];
    v[1] = m->v[1];
    return true;
}

/* Keeps version (kind, tenant tid) = v, read under epoch e (sq_ver_epoch). */
static void sq_ver_put(sq *q, int kind, int64_t tid, const int64_t v[2], uint64_t e)
{
    sq_ver_memo *m = sq_ver_slot(q, kind, tid);
    *m = (sq_ver_memo){.kind = kind, .tenant = tid, .v = {v[0], v[1]}, .epoch = e,
                       .at_ms = sq_clock_ms()};
}

/*
 * New conversations.  A turn whose session and buyer the engine's state
 * cache does not hold asks for both (state_get): a read transaction of its
 * own, ~16,700 instructions with two fcntl locks and a few preads of WAL
 * pages, 2.2% of the server's CPU under chat load, where one message in
 * eight begins a conversation -- and for a new conversation the answer is
 * always that neither row exists.  So each writer (a file, in a process)
 * keeps a filter of the keys its sessions and profiles tables hold: a
 * blocked Bloom filter (each key's four bits in one 64-byte line), built
 * from the tables by a thread of its own (pt-keys), and told by this
 * process's statements of every key they may add, before their commit.
 * When neither key can be in the tables, state_get answers without reading.
 *
 * What another process adds, it cannot hear of.  So every process counts
 * the keys it writes in the epoch file's second word (epoch[1]), and in its
 * own keys_own, twice: before the statement (so no reader trusts its filter
 * while the row may be committed) and when the transaction ends (so a build
 * whose base took the first count still sees the second, should the commit
 * come after the build's reads began).  While epoch[1] less keys_own is
 * what it was when the filter's build began (its base), nobody else wrote
 * keys since, and the filter is complete; otherwise state_get reads, and a
 * new build is asked for: at most one per second or per twenty build times,
 * that gap doubling with each such build up to 64 times (another process
 * that keeps writing keys would make every build stale at once).  This
 * process's own transactions cannot straddle the start of a build: its base
 * is taken under the writer mutex.  keys_own follows epoch[1] under keys_mu,
 * and state_get checks the difference and tests the filter under keys_mu
 * too, so an increment of this process is never half seen.  A writer that
 * is not this store (the sqlite3 shell) counts nothing and is not seen.
 *
 * A filter fills: past the keys new to it it was sized for (twice the
 * tables' rows when built, at least SQ_KEYS_MIN, at most 16 bits a key in
 * SQ_KEYS_MAX_LINES lines; a key noted again sets no new bit and is not
 * counted), a new build is asked for, sized again by the rows (larger when
 * the tables grew); the old one answers until the new one is ready, and is
 * freed when it is replaced: nothing reads a filter outside keys_mu.
 * Without the epoch file there is no filter and every question reads, as
 * before.
 */
enum { SQ_MEMO_SESSION = 1, SQ_MEMO_PROFILE = 2 };   /* the kinds of keys (and of sq_memo) */

#define SQ_KEYS_MIN 4096           /* keys the smallest filter is sized for */
#define SQ_KEYS_MAX_LINES (1u << 18)   /* 16 MiB of filter at most */
#define SQ_KEYS_MAX_KEYS ((size_t)SQ_KEYS_MAX_LINES * 32)
#define SQ_KEYS_GAP_MS 1000        /* least time between builds asked for by others' writes */

typedef struct sq_keys {
    uint64_t *bits;                /* (mask + 1) lines of 8 words */
    uint64_t mask;
    uint64_t base;                 /* epoch[1] - keys_own when the build began */
    size_t capacity;               /* keys it was sized for */
    size_t added;                  /* keys new to it, noted or read (under keys_mu once in use) */
} sq_keys;

static uint64_t sq_key_hash(int kind, tenant_id t, const char *key)
{
    return hash_words((uint64_t)kind << 56 ^ (uint64_t)t, key, strlen(key));
}

/* The line of h and its four bits in it: the line from the high bits, each
 * bit from nine of the low ones. */
static uint64_t *sq_keys_line(const sq_keys *k, uint64_t h)
{
    return k->bits + ((h >> 36) & k->mask) * 8;
}

/* Sets h's bits; whether any was not set before (a key new to k). */
static bool sq_keys_set(sq_keys *k, uint64_t h)
{
    uint64_t *line = sq_keys_line(k, h);
    bool fresh = false;
    for (int i = 0; i < 4; i++) {
        unsigned b = (unsigned)(h >> (9 * i)) & 511;
        uint64_t bit = (uint64_t)1 << (b & 63);
        fresh |= !(__atomic_fetch_or(&line[b >> 6], bit, __ATOMIC_RELEASE) & bit);
    }
    return fresh;
}

static bool sq_keys_test(const sq_keys *k, uint64_t h)
{
    const uint64_t *line = sq_keys_line(k, h);
    for (int i = 0; i < 4; i++) {
        unsigned b = (unsigned)(h >> (9 * i)) & 511;
        if (!(__atomic_load_n(&line[b >> 6], __ATOMIC_ACQUIRE) & (uint64_t)1 << (b & 63)))
            return false;
    }
    return true;
}

static void sq_keys_free(sq_keys *k)
{
    if (k) {
        free(k->bits);
        free(k);
    }
}

/* epoch[1] less this process's increments of it: the others' count of key
 * writes (keys_own loaded first: an increment under way can only make it
 * larger). */
static uint64_t sq_keys_others(const sq_writer *w)
{
    uint64_t own = __atomic_load_n(&w->keys_own, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&w->epoch[1], __ATOMIC_SEQ_CST) - own;
}

static void *keys_builder_main(void *arg);

/* Asks the builder for a filter (starting it on first use): the first one,
 * a larger one (full), or a new one after others' writes (at most one per
 * the gap of "New conversations"). */
static void sq_keys_want(sq_writer *w, bool full)
{
    if (w->epoch == NULL || __atomic_load_n(&w->keys_busy, __ATOMIC_ACQUIRE))
        return;
    pthread_mutex_lock(&w->keys_mu);
    int64_t gap = w->keys_build_ms * 20 > SQ_KEYS_GAP_MS ? w->keys_build_ms * 20 : SQ_KEYS_GAP_MS;
    gap <<= w->keys_others < 6 ? w->keys_others : 6;
    bool first = w->keys_build_at_ms == 0;
    bool due = full || first || sq_clock_ms() - w->keys_build_at_ms >= gap;
    if (!w->keys_busy && !w->keys_stop && due) {
        if (!w->keys_started) {
            w->keys_started = pthread_create(&w->keys_thread, NULL, keys_builder_main, w) == 0;
            w->keys_stop = !w->keys_started;   /* no thread: no filter, reads as before */
        }
        if (w->keys_started) {
            if (!full && !first)
                w->keys_others++;
            w->keys_wanted = true;
            __atomic_store_n(&w->keys_busy, 1, __ATOMIC_RELEASE);
            pthread_cond_signal(&w->keys_cv);
        }
    }
    pthread_mutex_unlock(&w->keys_mu);
}

/* Before a statement that may add key (kind SQ_MEMO_SESSION or
 * SQ_MEMO_PROFILE) of tenant t: counted where every process sees it, and
 * noted in this process's filters.  key NULL: keys not known (a migration's
 * copies) are counted only.  Only in the write transaction, under the
 * writer mutex: a note before it could come before a build takes its base
 * (so not in keys_next) and its commit after the build's reads began (so
 * not read either), and the key would be absent from the new filter. */
static void sq_keys_note(sq *q, int kind, tenant_id t, const char *key)
{
    sq_writer *w = q->writer;
    if (w->epoch == NULL)
        return;
    uint64_t h = key ? sq_key_hash(kind, t, key) : 0;
    bool full = false;
    q->keys_noted = true;
    pthread_mutex_lock(&w->keys_mu);
    __atomic_fetch_add(&w->epoch[1], 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&w->keys_own, 1, __ATOMIC_SEQ_CST);
    if (key == NULL) {
        pthread_mutex_unlock(&w->keys_mu);
        return;
    }
    /* only a key new to the filter fills it: a buyer's row upserted again
     * (its rowid no longer remembered) sets no bit, and counting it asked
     * for a build of the same size every `capacity` such writes */
    if (w->keys && sq_keys_set(w->keys, h))
        full = ++w->keys->added > w->keys->capacity && w->keys->capacity < SQ_KEYS_MAX_KEYS;
    if (w->keys_next)
        sq_keys_set(w->keys_next, h);
    pthread_mutex_unlock(&w->keys_mu);
    if (full)
        sq_keys_want(w, true);
}

/* At the end of a transaction that noted keys (committed or not, before
 * the writer mutex is released): counted again, for the others' builds. */
static void sq_keys_done(sq *q)
{
    sq_writer *w = q->writer;
    if (!q->keys_noted || w->epoch == NULL)
        return;
    q->keys_noted = false;
    pthread_mutex_lock(&w->keys_mu);
    __atomic_fetch_add(&w->epoch[1], 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&w->keys_own, 1, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&w->keys_mu);
}

/* Whether neither the session nor the buyer (either NULL: not asked) can
 * have a row: false when unsure. */
static bool sq_keys_absent(sq *q, tenant_id t, const char *session_id, const char *user_id)
{
    sq_writer *w = q->writer;
    if (w->epoch == NULL)
        return false;
    uint64_t hs = session_id ? sq_key_hash(SQ_MEMO_SESSION, t, session_id) : 0;
    uint64_t hu = user_id ? sq_key_hash(SQ_MEMO_PROFILE, t, user_id) : 0;
    /* under keys_mu: a filter replaced is freed at once (sq_keys_build),
     * so none is read outside it; it also orders the check of the count
     * with this process's notes, which take it */
    pthread_mutex_lock(&w->keys_mu);
    const sq_keys *k = w->keys;
    bool others = k && sq_keys_others(w) != k->base;   /* another process wrote keys */
    bool absent = k && !others && (session_id == NULL || !sq_keys_test(k, hs)) &&
                  (user_id == NULL || !sq_keys_test(k, hu));
    pthread_mutex_unlock(&w->keys_mu);
    if (k == NULL || others)
        sq_keys_want(w, false);
    return absent;
}

/* Reads the keys of one table (sql: tenant, key) into k; false on an error
 * or when the writer stops meanwhile. */
static bool sq_keys_read(sq_writer *w, sqlite3 *db, const char *sql, int kind, sq_keys *k)
{
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    size_t n = 0, fresh = 0;
    while (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 1);
        if (key && sq_keys_set(k, sq_key_hash(kind, sqlite3_column_int64(st, 0), key)))
            fresh++;
        if (++n % 4096 == 0 && __atomic_load_n(&w->keys_stop, __ATOMIC_ACQUIRE))
            break;
        r = SQLITE_OK;
    }
    sqlite3_finalize(st);
    k->added += fresh;
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        log_warn("store: key filter of \"%s\": %s", w->path, sqlite3_errmsg(db));
    return r == SQLITE_DONE;
}

/* Builds a filter for what the tables hold now and puts it in use; on
 * failure the filter in use (if any) stays. */
static void sq_keys_build(sq_writer *w)
{
    sqlite3 *db = NULL;
    sq_keys *k = NULL;
    bool ok = false;
    if (sqlite3_open_v2(w->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        goto done;
    sqlite3_busy_timeout(db, 5000);
    /* sized by the rowids (at least the rows): twice them, so a full filter
     * (keys noted past its capacity) is followed by a larger one */
    sqlite3_stmt *st = NULL;
    int64_t rows = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce((SELECT max(rowid) FROM sessions), 0)"
                               " + coalesce((SELECT max(rowid) FROM profiles), 0)",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        rows = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    size_t cap = SQ_KEYS_MIN;
    while (cap < (size_t)rows * 2 && cap < SQ_KEYS_MAX_KEYS)
        cap *= 2;
    size_t lines = 1;
    while (lines * 32 < cap && lines < SQ_KEYS_MAX_LINES)   /* 16 bits a key */
        lines *= 2;
    k = calloc(1, sizeof *k);
    if (k == NULL || posix_memalign((void **)&k->bits, 64, lines * 64) != 0) {
        if (k)
            k->bits = NULL;
        goto done;
    }
    memset(k->bits, 0, lines * 64);
    k->mask = lines - 1;
    k->capacity = cap;
    /* from here this process's writes are noted in it too, and those of
     * the others counted; the reads below begin after.  Under the writer
     * mutex: no transaction of this process is open, so none that noted a
     * key before can commit after the reads begin */
    pthread_mutex_lock(&w->mu);
    pthread_mutex_lock(&w->keys_mu);
    k->base = sq_keys_others(w);
    w->keys_next = k;
    pthread_mutex_unlock(&w->keys_mu);
    pthread_mutex_unlock(&w->mu);
    ok = sq_keys_read(w, db, "SELECT tenant_id, session_id FROM sessions", SQ_MEMO_SESSION, k) &&
         sq_keys_read(w, db, "SELECT tenant_id, user_id FROM profiles", SQ_MEMO_PROFILE, k);
done:
    sqlite3_close(db);
    /* the filter in use and keys_next are read and written only under
     * keys_mu (sq_keys_absent, sq_keys_note): the one replaced, or this one
     * when the build failed, is nobody's once it is unlinked, and is freed */
    pthread_mutex_lock(&w->keys_mu);
    if (w->keys_next == k)
        w->keys_next = NULL;
    sq_keys *old = k;
    if (ok) {
        old = w->keys;
        w->keys = k;
    }
    bool warn = !ok && !w->keys_stop && !w->keys_warned;
    w->keys_warned |= warn;
    pthread_mutex_unlock(&w->keys_mu);
    sq_keys_free(old);
    if (warn)
        log_warn("store: no key filter for \"%s\" (yet): state reads go to the database",
                 w->path);
}

static void *keys_builder_main(void *arg)
{
    sq_writer *w = arg;
    pthread_setname_np(pthread_self(), "pt-keys");
    pthread_mutex_lock(&w->keys_mu);
    for (;;) {
        while (!w->keys_wanted && !w->keys_stop)
            pthread_cond_wait(&w->keys_cv, &w->keys_mu);
        if (w->keys_stop)
            break;
        w->keys_wanted = false;
        int64_t t0 = sq_clock_ms();
        w->keys_build_at_ms = t0;
        pthread_mutex_unlock(&w->keys_mu);
        sq_keys_build(w);
        pthread_mutex_lock(&w->keys_mu);
        w->keys_build_ms = sq_clock_ms() - t0;
        __atomic_store_n(&w->keys_busy, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&w->keys_mu);
    return NULL;
}

static void sq_keys_init(sq_writer *w)
{
    pthread_mutex_init(&w->keys_mu, NULL);
    pthread_cond_init(&w->keys_cv, NULL);
}

/* Stops the builder and frees the filters (no handle of w is left). */
static void sq_keys_release(sq_writer *w)
{
    pthread_mutex_lock(&w->keys_mu);
    __atomic_store_n(&w->keys_stop, true, __ATOMIC_RELEASE);
    bool started = w->keys_started;
    pthread_cond_signal(&w->keys_cv);
    pthread_mutex_unlock(&w->keys_mu);
    if (started)
        pthread_join(w->keys_thread, NULL);
    sq_keys_free(w->keys);
    pthread_cond_destroy(&w->keys_cv);
    pthread_mutex_destroy(&w->keys_mu);
}

/* What a handle remembers of the session and profile rows it wrote last:
 * their rowids, so the next turn updates them by rowid instead of looking
 * their keys up in the unique indexes, and a session's latest transcript
 * row, so the turn's row names its predecessor (turns.prev) without reading
 * the session's row first.  Direct-mapped by a hash of kind, tenant and key
 * (4,096 slots, 320 KiB a handle that writes turns: under chat load with
 * 2,048, 5% of the turns found their session pushed out by another's);
 * keys longer than a slot's are not kept.  What it holds is what the file
 * holds while nobody else writes: the file's data version
 * (SQLITE_FCNTL_DATA_VERSION, which moves with every commit of any
 * connection) is noted at each commit of this handle and compared after
 * each BEGIN, and the memo is emptied when they differ (or cannot be read)
 * and at every rollback, so it never outlives what it describes: no code
 * deletes a session or profile row today, and only another connection (a
 * VACUUM) could give one a new rowid.  The updates by rowid still compare
 * the key (tenant and session or user id; about 1,000 instructions a turn,
 * a quarter of what the memo saves): should a rowid ever be stale (a later
 * erasure of a buyer's data, a bug in the invalidation), the write misses
 * and falls back to the upsert instead of overwriting another buyer's row.
 * Allocated at the handle's first turn write. */
#define SQ_MEMO_SLOTS 4096
#define SQ_MEMO_KEY 48
typedef struct sq_memo_slot {
    int64_t tenant;            /* 0: empty */
    int64_t rowid;             /* of the sessions or profiles row */
    int64_t last_turn;         /* a session's latest turns row; 0: none */
    int kind;
    char key[SQ_MEMO_KEY];
} sq_memo_slot;

/* The file's data version into *v; false when it cannot be read. */
static bool sq_data_version(sq *q, unsigned *v)
{
    return sqlite3_file_control(q->db, NULL, SQLITE_FCNTL_DATA_VERSION, v) == SQLITE_OK;
}

static void sq_memo_clear(sq *q)
{
    if (q->memo)
        memset(q->memo, 0, SQ_MEMO_SLOTS * sizeof *q->memo);
}

/* The slot of (kind, t, key), allocating the memo on first use, with the
 * key's length (*len) and whether the slot holds that key (*hit); NULL when
 * the key is too long to keep or there is no memory. */
static sq_memo_slot *sq_memo_find(sq *q, int kind, tenant_id t, const char *key, size_t *len,
                                  bool *hit)
{
    *hit = false;
    if (q->memo == NULL && (q->memo = calloc(SQ_MEMO_SLOTS, sizeof *q->memo)) == NULL)
        return NULL;
    uint64_t h = (1469598103934665603ULL ^ (uint64_t)t) * 1099511628211ULL ^ (uint64_t)kind;
    size_t n = 0;
    for (; key[n]; n++) {
        if (n >= SQ_MEMO_KEY - 1)
            return NULL;
        h = (h ^ (unsigned char)key[n]) * 1099511628211ULL;
    }
    *len = n;
    sq_memo_slot *c = &q->memo[(h ^ (h >> 29)) & (SQ_MEMO_SLOTS - 1)];
    *hit = c->tenant == t && c->kind == kind && memcmp(c->key, key, n + 1) == 0;
    return c;
}

/* Remembers in slot c (of sq_memo_find, NULL: nothing) the row of key
 * written in the open transaction; rowid 0: forgets the key. */
static void sq_memo_set(sq_memo_slot *c, int kind, tenant_id t, const char *key, size_t len,
                        int64_t rowid, int64_t last_turn)
{
    if (c == NULL)
        return;
    if (rowid <= 0) {
        if (c->tenant == t && c->kind == kind && memcmp(c->key, key, len + 1) == 0)
            c->tenant = 0;
        return;
    }
    c->tenant = t;
    c->rowid = rowid;
    c->last_turn = last_turn;
    c->kind = kind;
    memcpy(c->key, key, len + 1);
}

/* The busy handler of the store's connections: another process holds the
 * write lock (`proptalk import` while the server runs, or the other way
 * round).  It polls every SQ_BUSY_POLL_MS for SQ_BUSY_TIMEOUT_MS, then
 * SQLITE_BUSY.  SQLite's own (sqlite3_busy_timeout) sleeps longer and longer,
 * 100 ms at last, between polls, and so missed the pause an importer makes
 * between its batches (pipe.c): a turn waited for a whole import, or failed
 * after 5 s with "database is locked".  n is the number of earlier calls. */
#define SQ_BUSY_POLL_MS 2
#define SQ_BUSY_TIMEOUT_MS 5000
static int sq_busy(void *arg, int n)
{
    (void)arg;
    if ((long)n * SQ_BUSY_POLL_MS >= SQ_BUSY_TIMEOUT_MS)
        return 0;
    sqlite3_sleep(SQ_BUSY_POLL_MS);
    return 1;
}

/* Takes the writer mutex and opens a write transaction of the given kind. */
static int sq_write_open(sq *q, enum sq_tx kind, pt_error *err)
{
    int rc = 0;
    if (q->tx != SQ_IDLE)
        return pt_fail(err, PT_ERR_INTERNAL, "store handle already has a transaction open");
    pthread_mutex_lock(&q->writer->mu);
    if (!sqlite3_get_autocommit(q->db)) {
        /* a transaction a failed rollback left behind (out of memory) */
        sqlite3_step(q->st[ST_ROLLBACK]);
        sqlite3_reset(q->st[ST_ROLLBACK]);
    }
    rc = sq_run(q, q->st[ST_BEGIN], err, "begin transaction");
    if (rc) {
        pthread_mutex_unlock(&q->writer->mu);
        return rc;
    }
    /* another connection committed since this handle last did (or that
     * cannot be told) */
    unsigned v = 0;
    if (q->memo && (!q->memo_known || !sq_data_version(q, &v) || v != q->memo_version))
        sq_memo_clear(q);
    q->tx = kind;
    return 0;
}

/* Undoes the open write transaction (if any) and releases the writer. */
static void sq_write_rollback(sq *q)
{
    if (q->tx == SQ_IDLE)
        return;
    /* sqlite may already have rolled back on its own (after NOMEM or an
     * I/O error); ROLLBACK is tried a few times since it can itself fail
     * to allocate. */
    for (int i = 0; i < 3 && !sqlite3_get_autocommit(q->db); i++) {
        sqlite3_step(q->st[ST_ROLLBACK]);
        sqlite3_reset(q->st[ST_ROLLBACK]);
    }
    if (!sqlite3_get_autocommit(q->db))
        log_error("store: rollback failed: %s", sqlite3_errmsg(q->db));
    sq_memo_clear(q);
    q->tx = SQ_IDLE;
    q->turns_only = false;
    sq_keys_done(q);
    pthread_mutex_unlock(&q->writer->mu);
}

/* Commits the open write transaction and releases the writer.  On failure
 * nothing of it is kept. */
static int sq_write_commit(sq *q, pt_error *err)
{
    int rc = 0;
    if (q->tx == SQ_IDLE)
        return pt_fail(err, PT_ERR_INTERNAL, "store handle has no transaction to commit");
    if (sqlite3_get_autocommit(q->db)) {
        /* an earlier error made sqlite roll the transaction back */
        rc = pt_fail(err, PT_ERR_STORE, "commit: the transaction was rolled back by an "
                     "earlier error");
        sq_write_rollback(q);
        return rc;
    }
    rc = sq_run(q, q->st[ST_COMMIT], err, "commit");
    if (rc) {
        sq_write_rollback(q);
        return rc;
    }
    if (q->memo)
        q->memo_known = sq_data_version(q, &q->memo_version);
    q->tx = SQ_IDLE;
    q->turns_only = false;
    sq_keys_done(q);
    pthread_mutex_unlock(&q->writer->mu);
    return 0;
}

/* Opens the write scope of one store call: joins the handle's open turn or
 * import, or opens a transaction of its own (*own set). */
static int sq_scope_begin(sq *q, bool *own, pt_error *err)
{
    *own = false;
    if (q->tx != SQ_IDLE) {
        if (sqlite3_get_autocommit(q->db))
            return pt_fail(err, PT_ERR_STORE, "the transaction was rolled back by an "
                           "earlier error");
        return 0;
    }
    int rc = sq_write_open(q, SQ_OWN, err);
    if (rc == 0)
        *own = true;
    return rc;
}

/* Closes a scope opened by sq_scope_begin: an own transaction is committed
 * when rc is 0 and rolled back otherwise.  Returns the outcome. */
static int sq_scope_end(sq *q, bool own, int rc, pt_error *err)
{
    if (!own)
        return rc;
    if (rc == 0)
        return sq_write_commit(q, err);
    sq_write_rollback(q);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                            */

/* The database path of url ("sqlite:PATH", "sqlite://PATH" or PATH) into
 * path; creates its folder; key gets the canonical absolute path, which
 * names the writer mutex. */
static int sq_path(const char *url, char *path, size_t pathsz, char *key, size_t keysz,
                   pt_error *err)
{
    int rc = 0;
    char dir[PATH_MAX], real[PATH_MAX];
    const char *p = url;

    if (strncmp(p, "sqlite:", 7) == 0) {
        p += 7;
        if (strncmp(p, "//", 2) == 0)
            p += 2;
    }
    if (*p == '\0')
        return pt_fail(err, PT_ERR_INVALID, "database url \"%.64s\": no path", url);
    int n = snprintf(path, pathsz, "%s", p);
    if (n < 0 || (size_t)n >= pathsz)
        return pt_fail(err, PT_ERR_INVALID, "database path \"%.64s\": too long", p);
    if (strcmp(path, ":memory:") == 0) {
        snprintf(key, keysz, "%s", path);
        return 0;
    }
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0')
        return pt_fail(err, PT_ERR_INVALID, "database path \"%.64s\": names a folder", path);
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, ".");
    rc = fs_mkdirs(dir, err);
    if (rc)
        return rc;
    /* a file that is there is named by what it is, through any symbolic
     * link to it (as sqlite finds its -wal and -shm): the name of a link
     * would give the file a second writer and epoch file here, and the key
     * filter of each would never hear of the keys the other writes (see
     * "New conversations") */
    if (realpath(path, real) != NULL) {
        n = snprintf(key, keysz, "%s", real);
    } else {
        if (realpath(dir, real) == NULL)
            snprintf(real, sizeof real, "%s", dir);
        n = snprintf(key, keysz, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
    }
    if (n < 0 || (size_t)n >= keysz)
        return pt_fail(err, PT_ERR_INVALID, "database path \"%.64s\": too long", path);
    return 0;
}

/* Runs one-statement SQL that yields at most one text row; the row into
 * out (may be NULL). */
static int sq_exec_text(sq *q, const char *sql, char *out, size_t outsz, pt_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        rc = sq_fail(q, err, rc, "\"%s\"", sql);
        goto done;
    }
    if (out && outsz)
        out[0] = '\0';
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (out)
            col_copy(st, 0, out, outsz);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = sq_fail(q, err, rc, "\"%s\"", sql);
    }
done:
    sqlite3_finalize(st);
    return rc;
}

/* The applied schema version (0 for a fresh database). */
static int sq_schema_version(sq *q, int *version, pt_error *err)
{
    char v[32];
    int rc = sq_exec_text(q, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                          " AND name = 'schema_migrations'", v, sizeof v, err);
    if (rc)
        return rc;
    *version = 0;
    if (strcmp(v, "0") == 0)
        return 0;
    rc = sq_exec_text(q, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                      v, sizeof v, err);
    if (rc == 0)
        *version = (int)strtol(v, NULL, 10);
    return rc;
}

/* Applies pending migrations, one transaction each.  Caller holds the
 * writer mutex; other processes are kept out by BEGIN IMMEDIATE, after
 * which the version is read again. */
static int sq_migrate(sq *q, pt_error *err)
{
    int rc = 0, version = 0;
    char *msg = NULL;

    rc = sq_schema_version(q, &version, err);
    if (rc)
        goto done;
    while (version < SQ_SCHEMA_VERSION) {
        rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE;"
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                          NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            rc = sq_fail(q, err, rc, "migration: begin");
            goto fail;
        }
        rc = sq_schema_version(q, &version, err);
        if (rc)
            goto fail;
        if (version >= SQ_SCHEMA_VERSION) {
            rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL);
            if (rc != SQLITE_OK) {
                rc = sq_fail(q, err, rc, "migration: commit");
                goto fail;
            }
            break;
        }
        sq_keys_note(q, 0, 0, NULL);   /* it may copy rows into sessions and profiles */
        rc = sqlite3_exec(q->db, migrations[version], NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            rc = pt_fail(err, (rc & 0xff) == SQLITE_NOMEM ? PT_ERR_NOMEM : PT_ERR_STORE,
                         "migration %d: %s", version + 1, msg ? msg : sqlite3_errstr(rc));
            goto fail;
        }
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version, applied_at)"
                 " VALUES (%d, %lld); COMMIT", version + 1, (long long)now_utc());
        rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            rc = sq_fail(q, err, rc, "migration %d: commit", version + 1);
            goto fail;
        }
        log_info("store: schema migrated to version %d", version + 1);
        version++;
    }
    if (version > SQ_SCHEMA_VERSION)
        rc = pt_fail(err, PT_ERR_STORE, "database schema version %d is newer than this "
                     "proptalk knows (%d)", version, SQ_SCHEMA_VERSION);
    goto done;
fail:
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
done:
    sq_keys_done(q);
    sqlite3_free(msg);
    return rc;
}

/* Switches to WAL.  A fresh file opened by several processes at once may
 * answer busy to the switch; it is retried for a while. */
static int sq_wal(sq *q, const char *path, bool *wal, pt_error *err)
{
    char mode[16] = "";
    int rc = 0;
    for (int i = 0; i < 200; i++) {
        pt_error e = {0};
        rc = sq_exec_text(q, "PRAGMA journal_mode=WAL", mode, sizeof mode, &e);
        if (rc == 0)
            break;   /* answered: "wal", or a mode the file cannot leave */
        if (rc != -PT_ERR_UNAVAILABLE) {
            pt_fail(err, e.code, "%s", e.msg);
            return rc;
        }
        usleep(10000);
    }
    if (rc)
        return sq_fail(q, err, SQLITE_BUSY, "database \"%s\": journal_mode=WAL", path);
    if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
        log_warn("store: database \"%s\" stays in journal mode %s", path, mode);
    *wal = strcmp(mode, "wal") == 0;
    return 0;
}

static void sq_free(sq *q)
{
    if (q == NULL)
        return;
    if (q->bulk) {                 /* closed in bulk mode */
        pthread_mutex_lock(&q->writer->ckpt_mu);
        q->writer->bulk--;
        pthread_mutex_unlock(&q->writer->ckpt_mu);
    }
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(q->st[i]);
    for (int i = 0; i < SQ_SEARCH_CACHE; i++)
        sqlite3_finalize(q->search[i].st);
    for (int i = 0; i < SQ_EXT_STMTS; i++)
        sqlite3_finalize(q->ext[i]);
    sqlite3_finalize(q->text_count);
    sqlite3_finalize(q->text_gen);
    sqlite3_finalize(q->read_stmt[0]);
    sqlite3_finalize(q->read_stmt[1]);
    free(q->text_memo);
    sqlite3_finalize(q->row_get);
    for (int i = 0; q->rows && i < SQ_ROWS; i++)
        free(q->rows[i]);
    free(q->rows);
    free(q->seen);
    sqlite3_finalize(q->insert_many);
    free(q->memo);
    sqlite3_close_v2(q->db);
    writer_release(q->writer);
    free(q);
}

static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

/* Process-wide settings, before sqlite initialises (afterwards sqlite
 * refuses them and they stay as they were, which is harmless). */
static void sq_global_init(void)
{
    /* memory statistics take a global mutex on every allocation, which
     * worker threads would contend on; nothing here reads them */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* the default page cache without its scan of every cached page at the
     * commits that follow a B-tree balance (sqlite_pcache.h) */
    if (!pt_sqlite_pcache_install())
        log_warn("store: sqlite initialised before the store: default page cache");
}

static int sq_open(store *s, const char *url, pt_error *err)
{
    int rc = 0;
    sq *q = NULL;
    bool locked = false;
    char path[PATH_MAX], key[PATH_MAX + 8], sql[256];

    pthread_once(&sq_once, sq_global_init);
    rc = sq_path(url, path, sizeof path, key, sizeof key, err);
    if (rc)
        goto done;
    q = calloc(1, sizeof *q);
    if (q == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "database \"%s\": out of memory", path);
        goto done;
    }
    q->writer = writer_acquire(key);
    if (q->writer == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "database \"%s\": out of memory", path);
        goto done;
    }
    /* the VFS keeps the memory map (below) across other connections'
     * commits instead of unmapping it at each (sqlite_vfs.h) */
    rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                         SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, pt_sqlite_vfs());
    if (rc != SQLITE_OK) {
        rc = sq_fail(q, err, rc, "database \"%s\"", path);
        goto done;
    }
    sqlite3_busy_handler(q->db, sq_busy, NULL);

    const char *sync = getenv("PROPTALK_SQLITE_SYNC");
    bool normal = sync && strcasecmp(sync, "normal") == 0;
    snprintf(sql, sizeof sql, "PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
             " PRAGMA cache_size=-4096; PRAGMA temp_store=MEMORY;"
             " PRAGMA journal_size_limit=67108864", normal ? "NORMAL" : "FULL");
    rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = sq_fail(q, err, rc, "database \"%s\": pragmas", path);
        goto done;
    }
    /* Reads (a search touches a few hundred index and table pages of a
     * file far larger than the page cache) go through a memory map: pages
     * come from the OS page cache, shared by every handle, without a copy.
     * Writes still go through the WAL.  Where mapping fails sqlite reads
     * as before, so the result is not checked.  Small files: no map
     * (SQ_MMAP_MIN_FILE). */
    struct stat fst;
    if (stat(path, &fst) == 0 && (long long)fst.st_size >= SQ_MMAP_MIN_FILE)
        sqlite3_exec(q->db, "PRAGMA mmap_size=" SQ_MMAP_BYTES, NULL, NULL, NULL);

    /* Journal mode and migrations change the file: one opener of this
     * process at a time. */
    pthread_mutex_lock(&q->writer->mu);
    locked = true;
    rc = sq_wal(q, path, &q->epoch_wal, err);
    if (rc)
        goto done;
    rc = sq_migrate(q, err);
    if (rc)
        goto done;
    pthread_mutex_unlock(&q->writer->mu);
    locked = false;
    /* replaces the automatic checkpoint, and moves the inventory epoch */
    sqlite3_wal_hook(q->db, sq_wal_hook, q);
    /* the migrations above may have changed the listings, before the hook */
    sq_epoch_bump(q->writer);

    for (int i = 0; i < ST__COUNT; i++) {
        rc = sqlite3_prepare_v3(q->db, sq_stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &q->st[i], NULL);
        if (rc != SQLITE_OK) {
            rc = sq_fail(q, err, rc, "database \"%s\": prepare statement %d", path, i);
            goto done;
        }
    }
    s->impl = q;
    q = NULL;
done:
    if (locked)
        pthread_mutex_unlock(&q->writer->mu);
    sq_free(q);
    return rc;
}

static void sq_close(store *s)
{
    sq *q = s->impl;
    if (q == NULL)
        return;
    sq_write_rollback(q);
    sq_free(q);
    s->impl = NULL;
}

/* ------------------------------------------------------------------------ */
/* Tenants and users                                                         */

static void sq_read_tenant(sqlite3_stmt *st, tenant *t)
{
    char lname[8];
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    col_copy(st, 1, t->slug, sizeof t->slug);
    col_copy(st, 2, t->name, sizeof t->name);
    col_copy(st, 3, t->currency, sizeof t->currency);
    col_copy(st, 4, t->region, sizeof t->region);
    col_copy(st, 5, lname, sizeof lname);
    int l = lang_from_name(lname);
    t->language = l < 0 ? LANG_EN : (lang)l;
    col_copy(st, 6, t->timezone, sizeof t->timezone);
}

static int sq_tenant_create(store *s, tenant *t, const char *api_key_hash, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_TENANT_INSERT];
    bool own = false;
    int rc = 0;

    if (t->slug[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "tenant slug is empty");
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    const char *lname = lang_name(t->language);
    int b = bind_text(st, 1, t->slug) | bind_text(st, 2, t->name[0] ? t->name : t->slug) |
            bind_text(st, 3, t->currency) | bind_text(st, 4, t->region) |
            bind_text(st, 5, lname ? lname : "en") | bind_text(st, 6, t->timezone) |
            bind_text(st, 7, api_key_hash) | sqlite3_bind_int64(st, 8, now_utc());
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "tenant \"%s\": bind", t->slug);
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        t->id = sqlite3_last_insert_rowid(q->db);
    } else if (r == SQLITE_CONSTRAINT_UNIQUE) {
        if (strstr(sqlite3_errmsg(q->db), "tenants.slug"))
            rc = pt_fail(err, PT_ERR_CONFLICT, "tenant \"%s\": already exists", t->slug);
        else
            rc = pt_fail(err, PT_ERR_CONFLICT, "tenant \"%s\": api key already in use",
                         t->slug);
    } else {
        rc = sq_fail(q, err, r, "tenant \"%s\": create", t->slug);
    }
    sqlite3_reset(st);
done:
    return sq_scope_end(q, own, rc, err);
}

static int sq_tenant_one(sq *q, sqlite3_stmt *st, const char *what, const char *v,
                         tenant *out, pt_error *err)
{
    int rc = 0;
    int b = bind_text(st, 1, v);
    if (b != SQLITE_OK)
        return sq_fail(q, err, b, "%s: bind", what);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        sq_read_tenant(st, out);
    else if (r == SQLITE_DONE)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "%s: no such tenant", what);
    else
        rc = sq_fail(q, err, r, "%s", what);
    sqlite3_reset(st);
    return rc;
}

static int sq_tenant_by_slug(store *s, const char *slug, tenant *out, pt_error *err)
{
    sq *q = s->impl;
    char what[96];
    snprintf(what, sizeof what, "tenant \"%.64s\"", slug ? slug : "");
    return sq_tenant_one(q, q->st[ST_TENANT_BY_SLUG], what, slug, out, err);
}

static int sq_tenant_by_api_key(store *s, const char *api_key_hash, tenant *out,
                                pt_error *err)
{
    sq *q = s->impl;
    if (api_key_hash == NULL)
        return pt_fail(err, PT_ERR_NOT_FOUND, "api key: no such tenant");
    return sq_tenant_one(q, q->st[ST_TENANT_BY_KEY], "api key", api_key_hash, out, err);
}

static int sq_tenant_list(store *s, arena *a, tenant **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_TENANT_LIST];
    tenant *items = NULL;
    int count = 0, cap = 0, rc = 0, r;

    *out = NULL;
    *n = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        items = arena_grow(a, items, count, &cap, sizeof *items);
        if (items == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "tenant list: out of memory");
            goto done;
        }
        sq_read_tenant(st, &items[count++]);
    }
    if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "tenant list");
        goto done;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    return rc;
}

static int sq_user_create(store *s, store_user *u, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_USER_INSERT];
    bool own = false;
    int rc = 0;

    if (u->email == NULL || u->email[0] == '\0' || u->role == NULL)
        return pt_fail(err, PT_ERR_INVALID, "user: email and role are required");
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int b = bind_text(st, 1, u->email) | bind_text(st, 2, u->role) |
            (u->tenant > 0 ? sqlite3_bind_int64(st, 3, u->tenant) : sqlite3_bind_null(st, 3)) |
            bind_text(st, 4, u->password_hash) | sqlite3_bind_int64(st, 5, now_utc());
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "user \"%s\": bind", u->email);
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE)
        u->id = sqlite3_last_insert_rowid(q->db);
    else if (r == SQLITE_CONSTRAINT_UNIQUE)
        rc = pt_fail(err, PT_ERR_CONFLICT, "user \"%s\": already exists", u->email);
    else if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "user \"%s\": tenant %lld does not exist",
                     u->email, (long long)u->tenant);
    else
        rc = sq_fail(q, err, r, "user \"%s\": create", u->email);
    sqlite3_reset(st);
done:
    return sq_scope_end(q, own, rc, err);
}

static int sq_user_by_email(store *s, const char *email, arena *a, store_user *out,
                            pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_USER_BY_EMAIL];
    sq_reader r = {a, st, 0};
    int rc = 0;

    memset(out, 0, sizeof *out);
    int b = bind_text(st, 1, email);
    if (b != SQLITE_OK)
        return sq_fail(q, err, b, "user: bind");
    int x = sqlite3_step(st);
    if (x == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->email = rd_str(&r, 1);
        out->role = rd_str(&r, 2);
        out->tenant = col_int_or(st, 3, 0);
        out->password_hash = rd_str(&r, 4);
        if (r.oom)
            rc = pt_fail(err, PT_ERR_NOMEM, "user: out of memory");
    } else if (x == SQLITE_DONE) {
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "user \"%.64s\": no such user", email ? email : "");
    } else {
        rc = sq_fail(q, err, x, "user \"%.64s\"", email ? email : "");
    }
    sqlite3_reset(st);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Listings                                                                  */

/* An import batch defers its text indexing to its commit (migration 4). */
static int sq_import_begin(store *s, pt_error *err)
{
    sq *q = s->impl;
    int rc = sq_write_open(q, SQ_IMPORT, err);
    if (rc)
        return rc;
    rc = sq_run(q, q->st[ST_FTS_DEFER_BEGIN], err, "import begin: text index");
    if (rc)
        sq_write_rollback(q);
    return rc;
}

/* Brings the text index up to the batch: removes the indexed text of the
 * rows the batch updated or deleted, adds the new and updated rows, and
 * leaves deferred mode.  Inside the batch's transaction. */
static int sq_fts_flush(sq *q, pt_error *err)
{
    int rc = sq_run(q, q->st[ST_FTS_DEFER_DELETE], err, "import commit: text index delete");
    if (rc == 0)
        rc = sq_run(q, q->st[ST_FTS_DEFER_INSERT], err, "import commit: text index");
    if (rc == 0)
        rc = sq_run(q, q->st[ST_FTS_PENDING_CLEAR], err, "import commit: text index");
    if (rc == 0)
        rc = sq_run(q, q->st[ST_FTS_DEFER_END], err, "import commit: text index");
    return rc;
}

static int sq_import_commit(store *s, pt_error *err)
{
    sq *q = s->impl;
    if (q->tx != SQ_IMPORT)
        return pt_fail(err, PT_ERR_INTERNAL, "import commit: no import is open");
    if (sqlite3_get_autocommit(q->db))
        return sq_write_commit(q, err);   /* rolled back already: reports it */
    int rc = sq_fts_flush(q, err);
    if (rc) {
        sq_write_rollback(q);
        return rc;
    }
    return sq_write_commit(q, err);
}

static void sq_import_rollback(store *s)
{
    sq_write_rollback(s->impl);
}

/* The parameters of one listing row: ?1 tenant, ?2..?23 LISTING_COLS,
 * ?24 updated_at. */
#define SQ_LISTING_PARAMS 24

/* Binds l to the parameters shared by ST_LISTING_INSERT and _UPDATE, or
 * (base > 0) to those of the row of a multi-row INSERT that starts after
 * parameter base. */
static int sq_bind_listing_at(sqlite3_stmt *st, int base, tenant_id t, const listing *l)
{
    int b = base;
    return sqlite3_bind_int64(st, b + 1, t) | bind_text(st, b + 2, l->id) |
           bind_text(st, b + 3, l->title) | bind_text(st, b + 4, l->project) |
           bind_text(st, b + 5, l->developer) | bind_text(st, b + 6, l->city) |
           bind_text(st, b + 7, l->locality) |
           bind_code(st, b + 8, sq_code(sq_ptype_code, PTYPE__COUNT, (int)l->type)) |
           bind_code(st, b + 9, sq_code(sq_tx_code, TX__COUNT, (int)l->tx)) |
           bind_int_or_null(st, b + 10, l->bedrooms) |
           bind_double_or_null(st, b + 11, l->bathrooms) |
           bind_double_or_null(st, b + 12, l->area_sqft) |
           sqlite3_bind_int64(st, b + 13, l->price) |
           sqlite3_bind_text(st, b + 14, l->currency, (int)strnlen(l->currency, 3),
                             SQLITE_STATIC) |
           bind_int_or_null(st, b + 15, l->units_available) |
           bind_code(st, b + 16, sq_code(sq_status_code, 3, (int)l->status)) |
           bind_text(st, b + 17, l->completion_date) | bind_text(st, b + 18, l->amenities) |
           (l->has_geo ? sqlite3_bind_double(st, b + 19, l->latitude)
                       : sqlite3_bind_null(st, b + 19)) |
           (l->has_geo ? sqlite3_bind_double(st, b + 20, l->longitude)
                       : sqlite3_bind_null(st, b + 20)) |
           bind_double_or_null(st, b + 21, l->rental_yield) |
           bind_text(st, b + 22, l->description) | bind_text(st, b + 23, l->attributes_json) |
           sqlite3_bind_int64(st, b + 24, now_utc());
}

static int sq_bind_listing(sqlite3_stmt *st, tenant_id t, const listing *l)
{
    return sq_bind_listing_at(st, 0, t, l);
}

/* Steps one of the two upsert statements; 0 or the failure. */
static int sq_upsert_step(sq *q, sqlite3_stmt *st, tenant_id t, const listing *l,
                          pt_error *err)
{
    int rc = 0;
    int b = sq_bind_listing(st, t, l);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listing \"%.64s\": bind", l->id);
    } else {
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
            rc = pt_fail(err, PT_ERR_NOT_FOUND, "listing \"%.64s\": tenant %lld does not exist",
                         l->id, (long long)t);
        else if (r != SQLITE_DONE)
            rc = sq_fail(q, err, r, "listing \"%.64s\": upsert", l->id);
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_listing_upsert(store *s, tenant_id t, const listing *l, pt_error *err)
{
    sq *q = s->impl;
    bool own = false;
    int rc = 0;

    if (l->id == NULL || l->id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "listing: id is empty");
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    /* outside an import batch this one row is text-indexed on its own */
    bool single = q->tx != SQ_IMPORT;
    if (single && (rc = sq_run(q, q->st[ST_FTS_DEFER_BEGIN], err, "listing: text index")))
        goto done;
    rc = sq_upsert_step(q, q->st[ST_LISTING_INSERT], t, l, err);
    if (rc == 0 && sqlite3_changes(q->db) == 0)
        rc = sq_upsert_step(q, q->st[ST_LISTING_UPDATE], t, l, err);
    if (single && rc == 0) {
        rc = sq_fts_flush(q, err);
    } else if (single && !sqlite3_get_autocommit(q->db)) {
        /* leave deferred mode; the caller's transaction goes on (or is
         * rolled back whole) */
        pt_error ignored = {0};
        sq_run(q, q->st[ST_FTS_DEFER_END], &ignored, "listing: text index");
    }
done:
    return sq_scope_end(q, own, rc, err);
}

/* Listings per multi-row INSERT of listing_upsert_many.  Each statement
 * costs its own start, cursors and end whatever its rows; 32 rows to one
 * statement halve SQLite's work per new listing outside the b-trees
 * (callgrind: 35,700 -> 27,000 instructions per row, indexes included). */
#define SQ_UPSERT_GROUP 32

/* The multi-row form of ST_LISTING_INSERT, prepared on first use. */
static int sq_insert_many_stmt(sq *q, pt_error *err)
{
    int rc = 0;
    buf sql = BUF_INIT(64 << 10);
    if (q->insert_many)
        return 0;
    rc = buf_printf(&sql, "INSERT OR ROLLBACK INTO listings (tenant_id, " LISTING_COLS
                    ", updated_at) VALUES ");
    for (int r = 0; rc == 0 && r < SQ_UPSERT_GROUP; r++)
        for (int c = 1; rc == 0 && c <= SQ_LISTING_PARAMS; c++)
            rc = buf_printf(&sql, "%s?%d%s", c == 1 ? (r ? ",(" : "(") : ",",
                            r * SQ_LISTING_PARAMS + c, c == SQ_LISTING_PARAMS ? ")" : "");
    if (rc == 0)
        rc = buf_printf(&sql, " ON CONFLICT (tenant_id, id) DO NOTHING");
    if (rc) {
        rc = pt_fail(err, PT_ERR_NOMEM, "listings: out of memory");
        goto done;
    }
    int r = sqlite3_prepare_v3(q->db, buf_cstr(&sql), -1, SQLITE_PREPARE_PERSISTENT,
                               &q->insert_many, NULL);
    if (r != SQLITE_OK)
        rc = sq_fail(q, err, r, "listings: prepare");
done:
    buf_free(&sql);
    return rc;
}

/* One group of SQ_UPSERT_GROUP listings: a multi-row INSERT of the new
 * ones; when some existed (or one id comes twice), every listing of the
 * group is then updated in order, as one listing_upsert each would have
 * (an update of a row just inserted writes the same values). */
static int sq_upsert_group(sq *q, tenant_id t, const listing *const *ls, pt_error *err)
{
    int rc = 0, b = 0;
    sqlite3_stmt *st = q->insert_many;
    for (int i = 0; b == SQLITE_OK && i < SQ_UPSERT_GROUP; i++)
        b = sq_bind_listing_at(st, i * SQ_LISTING_PARAMS, t, ls[i]);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listing \"%.64s\": bind", ls[0]->id);
        goto done;
    }
    int r = sqlite3_step(st);
    if (r != SQLITE_DONE) {
        rc = r == SQLITE_CONSTRAINT_FOREIGNKEY
                 ? pt_fail(err, PT_ERR_NOT_FOUND, "listings: tenant %lld does not exist",
                           (long long)t)
                 : sq_fail(q, err, r, "listing \"%.64s\": upsert", ls[0]->id);
        goto done;
    }
    if (sqlite3_changes(q->db) < SQ_UPSERT_GROUP)
        for (int i = 0; rc == 0 && i < SQ_UPSERT_GROUP; i++)
            rc = sq_upsert_step(q, q->st[ST_LISTING_UPDATE], t, ls[i], err);
done:
    sqlite3_reset(st);      /* every parameter is bound again by the next group */
    return rc;
}

static int sq_listing_upsert_many(store *s, tenant_id t, const listing *const *ls, int n,
                                  int *done, pt_error *err)
{
    sq *q = s->impl;
    int rc = 0, i = 0;
    *done = 0;
    if (q->tx != SQ_IMPORT)
        return pt_fail(err, PT_ERR_INTERNAL, "listings: no import is open");
    if (sqlite3_get_autocommit(q->db))
        return pt_fail(err, PT_ERR_STORE, "the transaction was rolled back by an earlier error");
    while (i < n && rc == 0) {
        int g = n - i >= SQ_UPSERT_GROUP ? SQ_UPSERT_GROUP : 0;
        for (int k = 0; k < g; k++)
            if (ls[i + k]->id == NULL || ls[i + k]->id[0] == '\0')
                g = 0;      /* the rows up to the empty id go one by one */
        if (g && (rc = sq_insert_many_stmt(q, err)) == 0 &&
            (rc = sq_upsert_group(q, t, ls + i, err)) == 0) {
            i += g;
        } else if (g == 0 && (rc = sq_listing_upsert(s, t, ls[i], err)) == 0) {
            i++;
        }
    }
    *done = i;
    return rc;
}

/* The text columns of LISTING_COLS, and where each goes in a listing. */
#define SQ_LISTING_STRS(X)                                                    \
    X(0, id) X(1, title) X(2, project) X(3, developer) X(4, city)             \
    X(5, locality) X(15, completion_date) X(16, amenities) X(20, description) \
    X(21, attributes_json)
enum { SQ_N_STRS = 10, SQ_N_COLS = 22 };   /* text columns; all columns */

/* The fields of a LISTING_COLS row that are not text, into *l. */
static void sq_read_fields(sqlite3_stmt *st, listing *l)
{
    l->type = sq_ptype_of_code[col_code(st, 6, PTYPE__COUNT)];
    l->tx = sq_tx_of_code[col_code(st, 7, TX__COUNT)];
    l->bedrooms = (int)col_int_or(st, 8, -1);
    l->bathrooms = col_double_or(st, 9, -1);
    l->area_sqft = col_double_or(st, 10, -1);
    l->price = sqlite3_column_int64(st, 11);
    /* the first three bytes, as col_copy's snprintf into char[4] */
    const unsigned char *cur = sqlite3_column_text(st, 12);
    memset(l->currency, 0, sizeof l->currency);
    for (size_t i = 0; cur && i < sizeof l->currency - 1 && cur[i]; i++)
        l->currency[i] = (char)cur[i];
    l->units_available = (int)col_int_or(st, 13, -1);
    l->status = sq_status_of_code[col_code(st, 14, 3)];
    l->has_geo = sqlite3_column_type(st, 17) != SQLITE_NULL &&
                 sqlite3_column_type(st, 18) != SQLITE_NULL;
    l->latitude = l->has_geo ? sqlite3_column_double(st, 17) : 0;
    l->longitude = l->has_geo ? sqlite3_column_double(st, 18) : 0;
    l->rental_yield = col_double_or(st, 19, -1);
}

/* The text columns of a LISTING_COLS row of st: p[i] and len[i] per
 * SQ_LISTING_STRS entry (p NULL for SQL NULL); the bytes they take with a
 * NUL each.  -1 when sqlite could not give a text (out of memory). */
static int64_t sq_listing_strs(sqlite3_stmt *st, const unsigned char *p[SQ_N_STRS],
                               size_t len[SQ_N_STRS])
{
    static const int col[SQ_N_STRS] = {
#define X(c, f) c,
        SQ_LISTING_STRS(X)
#undef X
    };
    int64_t total = 0;
    for (int i = 0; i < SQ_N_STRS; i++) {
        p[i] = sqlite3_column_text(st, col[i]);
        len[i] = 0;
        if (p[i] == NULL) {
            if (sqlite3_column_type(st, col[i]) != SQLITE_NULL)
                return -1;
            continue;
        }
        len[i] = (size_t)sqlite3_column_bytes(st, col[i]);
        total += (int64_t)len[i] + 1;
    }
    return total;
}

/* The texts of sq_listing_strs into o (total bytes), l's pointers to them. */
static void sq_put_strs(listing *l, char *o, const unsigned char *const p[SQ_N_STRS],
                        const size_t len[SQ_N_STRS])
{
    int i = 0;
#define X(c, f)                          \
    if (p[i]) {                          \
        memcpy(o, p[i], len[i]);         \
        o[len[i]] = '\0';                \
        l->f = o;                        \
        o += len[i] + 1;                 \
    }                                    \
    i++;
    SQ_LISTING_STRS(X)
#undef X
}

/* Reads a LISTING_COLS row into *l, strings into r's arena (one block). */
static void sq_read_listing(sq_reader *r, listing *l)
{
    const unsigned char *p[SQ_N_STRS];
    size_t len[SQ_N_STRS];
    memset(l, 0, sizeof *l);
    int64_t total = sq_listing_strs(r->st, p, len);
    char *o = total > 0 ? arena_alloc(r->a, (size_t)total) : NULL;
    if (total < 0 || (total > 0 && o == NULL)) {
        r->oom = 1;
        return;
    }
    if (o)
        sq_put_strs(l, o, p, len);
    sq_read_fields(r->st, l);
}

static int sq_listing_get(store *s, tenant_id t, const char *id, arena *a, listing *out,
                          pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LISTING_GET];
    sq_reader r = {a, st, 0};
    int rc = 0;

    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, id);
    if (b != SQLITE_OK)
        return sq_fail(q, err, b, "listing: bind");
    int x = sqlite3_step(st);
    if (x == SQLITE_ROW) {
        sq_read_listing(&r, out);
        if (r.oom)
            rc = pt_fail(err, PT_ERR_NOMEM, "listing \"%.64s\": out of memory", id);
    } else if (x == SQLITE_DONE) {
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "listing \"%.64s\": no such listing",
                     id ? id : "");
    } else {
        rc = sq_fail(q, err, x, "listing \"%.64s\"", id ? id : "");
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_listings_get_many(store *s, tenant_id t, const char *const *ids, int n, arena *a,
                                listing *out, bool *found, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LISTING_GET_MANY];
    sq_reader r = {a, st, 0};
    int rc = 0, x;

    if (n < 0 || n > STORE_GET_MANY)
        return pt_fail(err, PT_ERR_INVALID, "listings: at most %d ids at once", STORE_GET_MANY);
    for (int i = 0; i < n; i++)
        found[i] = false;
    int b = sqlite3_bind_int64(st, 1, t);
    for (int i = 0; i < STORE_GET_MANY; i++)
        b |= i < n ? bind_text(st, 2 + i, ids[i]) : sqlite3_bind_null(st, 2 + i);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listings: bind");
        goto done;
    }
    while ((x = sqlite3_step(st)) == SQLITE_ROW) {
        listing l;
        sq_read_listing(&r, &l);
        if (r.oom) {
            rc = pt_fail(err, PT_ERR_NOMEM, "listings: out of memory");
            goto done;
        }
        for (int i = 0; i < n; i++)   /* an id asked twice is filled twice */
            if (!found[i] && ids[i] && l.id && strcmp(ids[i], l.id) == 0) {
                out[i] = l;
                found[i] = true;
            }
    }
    if (x != SQLITE_DONE)
        rc = sq_fail(q, err, x, "listings");
done:
    sqlite3_reset(st);
    return rc;
}

static int sq_listing_delete(store *s, tenant_id t, const char *id, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LISTING_DELETE];
    bool own = false;
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, id);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listing: bind");
        goto done;
    }
    rc = sq_run(q, st, err, "listing \"%.64s\": delete", id ? id : "");
    if (rc == 0 && sqlite3_changes(q->db) == 0)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "listing \"%.64s\": no such listing",
                     id ? id : "");
done:
    return sq_scope_end(q, own, rc, err);
}

/* Steps a "SELECT count(*) ..." whose parameters are bound. */
static int sq_count(sq *q, sqlite3_stmt *st, int64_t *out, const char *what, pt_error *err)
{
    int rc = 0;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = sq_fail(q, err, r, "%s", what);
    sqlite3_reset(st);
    return rc;
}

static int sq_listing_count(store *s, tenant_id t, int64_t *out, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LISTING_COUNT];
    *out = 0;
    sqlite3_bind_int64(st, 1, t);
    return sq_count(q, st, out, "listing count", err);
}

/* The prepared search statement for a filter combination, built and cached
 * on first use.  Parameters: ?1 tenant, then one per set filter in SF_*
 * order, then the localities, then the text query and its scan limit, then
 * the limit.
 *
 * The statement gives each row's rid and price, from the index alone (a
 * walk reads no table row); sq_rows_take reads the listings.
 *
 * The index is chosen here, not left to the planner (which has no
 * statistics after a bulk load): with localities listings_loc, whose
 * (locality, transaction) prefix leaves the rows in price order; else with
 * a transaction listings_tx_price, walked in price order from the bound.
 * Both hold every filter column they serve (listings_tx_price has no
 * locality: it never walks with one), so the table is read only for rows
 * that pass.  A text query drives the search from the text index instead: at
 * most text_scan matches, each looked up by rowid (NOT INDEXED keeps the
 * planner from walking a locality's rows and testing each against them). */
static int sq_search_stmt_get(sq *q, unsigned key, sqlite3_stmt **out, pt_error *err)
{
    int rc = 0, victim = 0;
    buf sql = BUF_INIT(4096);

    *out = NULL;
    /* entries fill from the front and are never emptied but at close, so
     * the first empty one ends the lookup */
    for (int i = 0; i < SQ_SEARCH_CACHE && q->search[i].st; i++)
        if (q->search[i].key == key) {
            q->search[i].used = ++q->search_clock;
            *out = q->search[i].st;
            goto done;
        }
    for (int i = 0; i < SQ_SEARCH_CACHE; i++) {
        sq_search_stmt *e = &q->search[i];
        if (e->st == NULL) {
            victim = i;      /* the first empty one */
            break;
        }
        if (e->used < q->search[victim].used)
            victim = i;      /* else the least recently used */
    }
    int p = 2;
    int nloc = (int)((key >> SF_LOC_SHIFT) & 0xff);
    const char *indexed = "";
    if (key & SF_TEXT)
        indexed = " NOT INDEXED";   /* by rowid from the text matches, not a walk */
    else if (nloc)
        indexed = " INDEXED BY listings_loc";
    else if (key & SF_TX)
        indexed = " INDEXED BY listings_tx_price";
    rc = buf_printf(&sql, "SELECT rid, price FROM listings%s WHERE tenant_id = ?1", indexed);
    static const struct { unsigned bit; const char *cond; } conds[] = {
        {SF_TX, " AND \"transaction\" = ?"},
        {SF_TYPE, " AND property_type IS ?"},
        {SF_BEDS, " AND bedrooms = ?"},
        {SF_PMIN, " AND price >= ?"},
        {SF_PMAX, " AND price <= ?"},
        {SF_CURRENCY, " AND currency = ?"},
        {SF_STATUS, " AND status = ?"},
    };
    for (size_t i = 0; rc == 0 && i < sizeof conds / sizeof conds[0]; i++)
        if (key & conds[i].bit)
            rc = buf_printf(&sql, "%s%d", conds[i].cond, p++);
    for (int i = 0; rc == 0 && i < nloc; i++)
        rc = buf_printf(&sql, "%s?%d", i == 0 ? " AND locality IN (" : ", ", p++);
    if (rc == 0 && nloc)
        rc = buf_puts(&sql, ")");
    if (rc == 0 && (key & SF_TEXT)) {
        rc = buf_printf(&sql, " AND rid IN (SELECT rowid FROM listings_fts WHERE"
                        " listings_fts MATCH ?%d LIMIT ?%d)", p, p + 1);
        p += 2;
    }
    if (rc == 0)
        rc = buf_printf(&sql, " ORDER BY price%s LIMIT ?%d", (key & SF_DESC) ? " DESC" : "", p);
    if (rc) {
        rc = pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
        goto done;
    }
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v3(q->db, buf_cstr(&sql), (int)sql.len, SQLITE_PREPARE_PERSISTENT,
                               &st, NULL);
    if (r != SQLITE_OK) {
        rc = sq_fail(q, err, r, "listing search: prepare");
        goto done;
    }
    sq_search_stmt *e = &q->search[victim];
    sqlite3_finalize(e->st);
    e->st = st;
    e->key = key;
    e->used = ++q->search_clock;
    *out = st;
done:
    buf_free(&sql);
    return rc;
}

/* A failed step of a statement whose FTS5 query came from the caller: the
 * statement itself was prepared, so a plain SQLITE_ERROR is the query's
 * (FTS5 parses it at the first step: "fts5: syntax error", "unterminated
 * string", an unknown column) and INVALID; anything else is the store's. */
static int sq_text_fail(sq *q, pt_error *err, int rc, const char *what)
{
    const char *msg = sqlite3_errmsg(q->db);
    if ((rc & 0xff) == SQLITE_ERROR)
        return pt_fail(err, PT_ERR_INVALID, "%s: text query: %s", what, msg ? msg : "malformed");
    return sq_fail(q, err, rc, "%s", what);
}

/* The filters of one listing_search call, resolved. */
typedef struct sq_search_args {
    tenant_id t;
    const store_listing_query *qy;
    int tx, type, status;    /* codes (migration 9); 0: any */
    const char *cur, *text;
    int nloc, limit;
} sq_search_args;

static int sq_search_bind(sqlite3_stmt *st, unsigned key, const sq_search_args *g,
                          int type)
{
    const store_listing_query *qy = g->qy;
    int p = 1, b = sqlite3_bind_int64(st, p++, g->t);
    if (key & SF_TX)
        b |= bind_code(st, p++, g->tx);
    if (key & SF_TYPE)
        b |= bind_code(st, p++, type);   /* 0: IS NULL */
    if (key & SF_BEDS)
        b |= sqlite3_bind_int(st, p++, qy->bedrooms);
    if (key & SF_PMIN)
        b |= sqlite3_bind_int64(st, p++, qy->price_min);
    if (key & SF_PMAX)
        b |= sqlite3_bind_int64(st, p++, qy->price_max);
    if (key & SF_CURRENCY)
        b |= bind_text(st, p++, g->cur);
    if (key & SF_STATUS)
        b |= bind_code(st, p++, g->status);
    for (int i = 0; i < g->nloc; i++)
        b |= bind_text(st, p++, qy->localities[i]);
    if (key & SF_TEXT) {
        b |= bind_text(st, p++, g->text);
        b |= sqlite3_bind_int(st, p++, qy->text_scan > 0 ? qy->text_scan : 1000);
    }
    b |= sqlite3_bind_int(st, p, g->limit);
    return b;
}

static int sq_text_generation(sq *q, int64_t gen[2], pt_error *err);

/* Is the handle inside read_begin's read transaction, with no write of its
 * own: one snapshot, in which the listings cannot change? */
static bool sq_snapshot(sq *q)
{
    return q->reading && q->tx == SQ_IDLE && !sqlite3_get_autocommit(q->db);
}

/* The listings' generation (sq_text_generation), read once per read
 * transaction: in one snapshot it cannot move. */
static int sq_generation(sq *q, int64_t gen[2], pt_error *err)
{
    bool snap = sq_snapshot(q);
    if (snap && q->gen_known) {
        gen[0] = q->gen[0];
        gen[1] = q->gen[1];
        return 0;
    }
    int rc = sq_text_generation(q, gen, err);
    if (rc == 0 && snap) {
        q->gen[0] = gen[0];
        q->gen[1] = gen[1];
        q->gen_known = true;
    }
    return rc;
}

/* A new entry for the LISTING_COLS row of st (rid, read at version sum
 * gen); NULL when out of memory, when sqlite could not give a text, or when
 * it is larger than SQ_ROW_MAX. */
static sq_row *sq_row_new(sqlite3_stmt *st, int64_t rid, int64_t gen)
{
    const unsigned char *p[SQ_N_STRS];
    size_t len[SQ_N_STRS];
    int64_t total = sq_listing_strs(st, p, len);
    if (total < 0 || sizeof(sq_row) + (size_t)total > SQ_ROW_MAX)
        return NULL;         /* out of memory: sq_read_listing reports it */
    sq_row *e = malloc(sizeof *e + (size_t)total);
    if (e == NULL)
        return NULL;
    e->rid = rid;
    e->gen = gen;
    e->strings_len = (size_t)total;
    memset(&e->l, 0, sizeof e->l);
    sq_put_strs(&e->l, e->strings, p, len);
    sq_read_fields(st, &e->l);
    return e;
}

/* e's listing into *out, its strings copied into a in one piece. */
static int sq_row_copy(const sq_row *e, arena *a, listing *out, pt_error *err)
{
    char *base = arena_alloc(a, e->strings_len ? e->strings_len : 1);
    if (base == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
    memcpy(base, e->strings, e->strings_len);
    *out = e->l;
#define X(c, f) if (e->l.f) out->f = base + (e->l.f - e->strings);
    SQ_LISTING_STRS(X)
#undef X
    return 0;
}

/* Misses read SQ_RID_BATCH at a time by one statement (a statement per
 * listing paid its cursor and reset each time). */
#define SQ_RID_BATCH 40

/* Reads the listings of rids[miss[0..nm)] into items[] (have[] set for
 * each found), by the batch statement.  With keep, a listing seen for the
 * second time in its slot (q->seen) is kept at generation gen: one seen once
 * is read into a only, so a walk through listings that never come again
 * (a large inventory) does not churn the entries. */
static int sq_rows_read(sq *q, const int64_t *rids, const int *miss, int nm, bool keep,
                        int64_t gen, arena *a, listing *items, bool *have, pt_error *err)
{
    int rc = 0, r = SQLITE_OK;
    if (q->row_get == NULL) {
        buf sql = BUF_INIT(1024);
        int b = buf_puts(&sql, "SELECT " LISTING_COLS ", rid FROM listings WHERE rid IN (");
        for (int i = 0; b == 0 && i < SQ_RID_BATCH; i++)
            b = buf_printf(&sql, "%s?%d", i ? ", " : "", i + 1);
        if (b == 0)
            b = buf_puts(&sql, ")");
        if (b == 0)
            r = sqlite3_prepare_v3(q->db, buf_cstr(&sql), (int)sql.len,
                                   SQLITE_PREPARE_PERSISTENT, &q->row_get, NULL);
        buf_free(&sql);
        if (b)
            return pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
        if (r != SQLITE_OK)
            return sq_fail(q, err, r, "listing search: prepare");
    }
    sqlite3_stmt *st = q->row_get;
    for (int i = 0; r == SQLITE_OK && i < SQ_RID_BATCH; i++)
        r = i < nm ? sqlite3_bind_int64(st, i + 1, rids[miss[i]]) : sqlite3_bind_null(st, i + 1);
    if (r != SQLITE_OK) {
        rc = sq_fail(q, err, r, "listing search: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t rid = sqlite3_column_int64(st, SQ_N_COLS);
        sq_row **slot = keep ? &q->rows[(uint64_t)rid & (SQ_ROWS - 1)] : NULL;
        sq_row *e = NULL;
        if (slot && q->seen[(uint64_t)rid & (SQ_ROWS - 1)] == rid)
            e = sq_row_new(st, rid, gen);
        else if (slot)
            q->seen[(uint64_t)rid & (SQ_ROWS - 1)] = rid;
        if (e) {
            free(*slot);
            *slot = e;
        }
        for (int j = 0; j < nm; j++) {
            int i = miss[j];
            if (have[i] || rids[i] != rid)
                continue;
            if (e) {
                rc = sq_row_copy(e, a, &items[i], err);
            } else {
                sq_reader rd = {a, st, 0};
                sq_read_listing(&rd, &items[i]);
                if (rd.oom)
                    rc = pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
            }
            if (rc)
                goto done;
            have[i] = true;
        }
    }
    if (r != SQLITE_DONE)
        rc = sq_fail(q, err, r, "listing search: read");
done:
    sqlite3_reset(st);
    return rc;
}

/* The listings of rids[0..n), in that order, into *out (*count of them:
 * a rid without a row is left out), strings in a.  In a read snapshot,
 * from the handle's entries when one was read at the same generation: a
 * listing changes only by an update or a delete, and both bump a
 * listing_state version (migration 7), so the sum of versions tells.  Not
 * kept inside a write transaction of the handle (its versions could still
 * roll back). */
static int sq_rows_take(sq *q, const int64_t *rids, int n, arena *a, listing **out, int *count,
                        pt_error *err)
{
    int64_t gen[2] = {0, 0};
    int miss[SQ_RID_BATCH], nm = 0, rc = 0;
    *out = NULL;
    *count = 0;
    if (n <= 0)
        return 0;
    listing *items = arena_alloc(a, sizeof *items * (size_t)n);
    bool *have = arena_zalloc(a, sizeof *have * (size_t)n);
    if (items == NULL || have == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
    bool keep = sq_snapshot(q);
    if (keep && q->rows == NULL) {
        q->rows = calloc(SQ_ROWS, sizeof *q->rows);
        q->seen = calloc(SQ_ROWS, sizeof *q->seen);
        if (q->rows == NULL || q->seen == NULL) {   /* then nothing is kept */
            free(q->rows);
            free(q->seen);
            q->rows = NULL;
            q->seen = NULL;
        }
    }
    keep = keep && q->rows;
    if (keep && (rc = sq_generation(q, gen, err)) != 0)
        return rc;
    for (int i = 0; i < n; i++) {
        const sq_row *e = keep ? q->rows[(uint64_t)rids[i] & (SQ_ROWS - 1)] : NULL;
        if (e && e->rid == rids[i] && e->gen == gen[1]) {
            if ((rc = sq_row_copy(e, a, &items[i], err)) != 0)
                return rc;
            have[i] = true;
            continue;
        }
        miss[nm++] = i;
        if (nm == SQ_RID_BATCH || i == n - 1) {
            if ((rc = sq_rows_read(q, rids, miss, nm, keep, gen[1], a, items, have, err)) != 0)
                return rc;
            nm = 0;
        }
    }
    if (nm && (rc = sq_rows_read(q, rids, miss, nm, keep, gen[1], a, items, have, err)) != 0)
        return rc;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (have[i])
            items[k++] = items[i];
    *out = items;
    *count = k;
    return 0;
}

/* Appends the rid of the current row of st (rid, price) to *rids. */
static int sq_search_rid(sqlite3_stmt *st, arena *a, int64_t **rids, int *n, int *cap,
                         pt_error *err)
{
    *rids = arena_grow(a, *rids, *n, cap, sizeof **rids);
    if (*rids == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "listing search: out of memory");
    (*rids)[(*n)++] = sqlite3_column_int64(st, 0);
    return 0;
}

/* Any type, one transaction: listings_tx_price (or listings_loc, per
 * locality) holds each type's listings in price order, so one walk per
 * type (and one for rows without a type) runs side by side and the
 * cheapest (or dearest) head is taken until the limit: a rare type never
 * makes a scan wade through the common ones, and only the rows returned
 * are read.  (With several localities each walk is sorted by sqlite.) */
static int sq_search_fanout(sq *q, unsigned key, const sq_search_args *g, arena *a,
                            listing **out, int *n, pt_error *err)
{
    sqlite3_stmt *st[SQ_FAN_TYPES];
    bool live[SQ_FAN_TYPES];
    int64_t *rids = NULL;
    int count = 0, cap = 0, rc = 0, opened = 0;
    bool desc = (key & SF_DESC) != 0;

    for (int k = 0; k < SQ_FAN_TYPES; k++) {
        unsigned fkey = key | SF_TYPE | (unsigned)(k + 1) << SF_FAN_SHIFT;
        rc = sq_search_stmt_get(q, fkey, &st[k], err);
        if (rc)
            goto done;
        opened = k + 1;
        /* k == 0: no type */
        int b = sq_search_bind(st[k], fkey, g, sq_code(sq_ptype_code, PTYPE__COUNT, k));
        if (b != SQLITE_OK) {
            rc = sq_fail(q, err, b, "listing search: bind");
            goto done;
        }
        int r = sqlite3_step(st[k]);
        if (r != SQLITE_ROW && r != SQLITE_DONE) {
            rc = sq_fail(q, err, r, "listing search");
            goto done;
        }
        live[k] = r == SQLITE_ROW;
    }
    while (count < g->limit) {
        int best = -1;
        sqlite3_int64 bp = 0;
        for (int k = 0; k < SQ_FAN_TYPES; k++) {
            if (!live[k])
                continue;
            sqlite3_int64 p = sqlite3_column_int64(st[k], 1);   /* price */
            if (best < 0 || (desc ? p > bp : p < bp)) {
                best = k;
                bp = p;
            }
        }
        if (best < 0)
            break;
        rc = sq_search_rid(st[best], a, &rids, &count, &cap, err);
        if (rc)
            goto done;
        int r = sqlite3_step(st[best]);
        if (r != SQLITE_ROW && r != SQLITE_DONE) {
            rc = sq_fail(q, err, r, "listing search");
            goto done;
        }
        live[best] = r == SQLITE_ROW;
    }
done:
    for (int k = 0; k < opened; k++)
        sqlite3_reset(st[k]);
    return rc ? rc : sq_rows_take(q, rids, count, a, out, n, err);
}

static int sq_search_run(sq *q, tenant_id t, const store_listing_query *qy, arena *a,
                         listing **out, int *n, pt_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t *rids = NULL;
    int count = 0, cap = 0, rc = 0, r;
    sq_search_args g;

    g.t = t;
    g.qy = qy;
    g.tx = sq_code(sq_tx_code, TX__COUNT, (int)qy->tx);
    g.type = sq_code(sq_ptype_code, PTYPE__COUNT, (int)qy->type);
    g.status = sq_code(sq_status_code, 3, (int)qy->status);
    g.cur = qy->currency && qy->currency[0] ? qy->currency : NULL;
    g.text = qy->text_match && qy->text_match[0] ? qy->text_match : NULL;
    g.nloc = qy->localities ? qy->n_localities : 0;
    if (g.nloc < 0)
        g.nloc = 0;
    if (g.nloc > SQ_MAX_LOCALITIES)
        g.nloc = SQ_MAX_LOCALITIES;
    g.limit = qy->limit > 0 ? qy->limit : 200;
    if (g.limit > 10000)
        g.limit = 10000;
    unsigned key = (g.tx ? SF_TX : 0) | (g.type ? SF_TYPE : 0) |
                   (qy->bedrooms >= 0 ? SF_BEDS : 0) | (qy->has_price_min ? SF_PMIN : 0) |
                   (qy->has_price_max ? SF_PMAX : 0) | (g.cur ? SF_CURRENCY : 0) |
                   (g.status ? SF_STATUS : 0) | (qy->price_desc ? SF_DESC : 0) |
                   (g.text ? SF_TEXT : 0) | (unsigned)g.nloc << SF_LOC_SHIFT;

    if (g.tx && !g.type && !g.text)
        return sq_search_fanout(q, key, &g, a, out, n, err);
    rc = sq_search_stmt_get(q, key, &st, err);
    if (rc)
        return rc;
    int b = sq_search_bind(st, key, &g, g.type);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listing search: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        rc = sq_search_rid(st, a, &rids, &count, &cap, err);
        if (rc)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = g.text ? sq_text_fail(q, err, r, "listing search") : sq_fail(q, err, r, "listing search");
done:
    sqlite3_reset(st);
    return rc ? rc : sq_rows_take(q, rids, count, a, out, n, err);
}

static int sq_read_begin(store *s, pt_error *err);
static void sq_read_end(store *s);

/* The walk and the reads of its rows in one snapshot: a read transaction
 * of its own when the caller has none open. */
static int sq_listing_search(store *s, tenant_id t, const store_listing_query *qy, arena *a,
                             listing **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    *out = NULL;
    *n = 0;
    bool own = q->tx == SQ_IDLE && !q->reading && sqlite3_get_autocommit(q->db);
    int rc = own ? sq_read_begin(s, err) : 0;
    if (rc)
        return rc;
    rc = sq_search_run(q, t, qy, a, out, n, err);
    if (own)
        sq_read_end(s);
    return rc;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static int cmp_money(const void *x, const void *y)
{
    money a = *(const money *)x, b = *(const money *)y;
    return (a > b) - (a < b);
}

/* Accumulates the rows of one locality (and one transaction, or all). */
typedef struct loc_acc {
    money *prices;
    double *ppsf;
    int n, n_ppsf, cap;
    double yield_sum;
    int n_yield;
    double lat_sum, lon_sum;
    int n_geo;
    int64_t units;
    int off_plan;
} loc_acc;

static int loc_acc_push(loc_acc *acc, money price, double area, double yield, bool geo,
                        double lat, double lon, int64_t units, bool off_plan)
{
    if (acc->n == acc->cap) {
        int ncap = acc->cap ? acc->cap * 2 : 64;
        money *p = realloc(acc->prices, (size_t)ncap * sizeof *p);
        if (p == NULL)
            return -PT_ERR_NOMEM;
        acc->prices = p;
        double *d = realloc(acc->ppsf, (size_t)ncap * sizeof *d);
        if (d == NULL)
            return -PT_ERR_NOMEM;
        acc->ppsf = d;
        acc->cap = ncap;
    }
    acc->prices[acc->n++] = price;
    if (area > 0)
        acc->ppsf[acc->n_ppsf++] = (double)price / area;
    if (yield >= 0) {
        acc->yield_sum += yield;
        acc->n_yield++;
    }
    if (geo) {
        acc->lat_sum += lat;
        acc->lon_sum += lon;
        acc->n_geo++;
    }
    if (units > 0)
        acc->units += units;
    acc->off_plan += off_plan;
    return 0;
}

/* Writes the figures of the accumulated rows into *f and empties acc. */
static void loc_acc_flush(loc_acc *acc, store_market_figures *f)
{
    int n = acc->n;
    memset(f, 0, sizeof *f);
    f->listings = n;
    if (n > 1)
        qsort(acc->prices, (size_t)n, sizeof *acc->prices, cmp_money);
    f->median_price = n == 0 ? 0 : (n % 2) ? acc->prices[n / 2]
                      : acc->prices[n / 2 - 1] + (acc->prices[n / 2] - acc->prices[n / 2 - 1]) / 2;
    if (acc->n_ppsf) {
        int m = acc->n_ppsf;
        qsort(acc->ppsf, (size_t)m, sizeof *acc->ppsf, cmp_double);
        f->median_price_per_sqft = (m % 2) ? acc->ppsf[m / 2]
                                   : (acc->ppsf[m / 2 - 1] + acc->ppsf[m / 2]) / 2;
    } else {
        f->median_price_per_sqft = -1;
    }
    f->avg_yield = acc->n_yield ? acc->yield_sum / acc->n_yield : -1;
    f->units = acc->units;
    f->off_plan = acc->off_plan;
    acc->n = acc->n_ppsf = acc->n_yield = acc->off_plan = 0;
    acc->units = 0;
    acc->yield_sum = 0;
}

/* The locality's figures: the rows of the asked transaction in the top-level
 * fields, and every row split by transaction in sale / rent. */
static void loc_flush(loc_acc acc[3], store_locality_stats *o)
{
    store_market_figures all;
    o->has_geo = acc[0].n_geo > 0;
    o->lat = o->has_geo ? acc[0].lat_sum / acc[0].n_geo : 0;
    o->lon = o->has_geo ? acc[0].lon_sum / acc[0].n_geo : 0;
    acc[0].lat_sum = acc[0].lon_sum = 0;
    acc[0].n_geo = 0;
    loc_acc_flush(&acc[0], &all);
    o->listings = all.listings;
    o->median_price = all.median_price;
    o->median_price_per_sqft = all.median_price_per_sqft;
    o->avg_yield = all.avg_yield;
    loc_acc_flush(&acc[1], &o->sale);
    loc_acc_flush(&acc[2], &o->rent);
}

static int sq_locality_stats(store *s, tenant_id t, transaction tx, arena *a,
                             store_locality_stats **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LOCALITY_ROWS];
    sq_reader rd = {a, st, 0};
    loc_acc acc[3];          /* the asked transaction, sale, rent */
    store_locality_stats *items = NULL;
    int count = 0, cap = 0, rc = 0, r;
    bool open = false;       /* items[count - 1] is being accumulated */

    memset(acc, 0, sizeof acc);
    *out = NULL;
    *n = 0;
    int b = sqlite3_bind_int64(st, 1, t);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "locality stats: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *loc = (const char *)sqlite3_column_text(st, 0);
        if (loc == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "locality stats: out of memory");
            goto done;
        }
        transaction rtx = sq_tx_of_code[col_code(st, 2, TX__COUNT)];
        if (!open || strcmp(items[count - 1].locality, loc) != 0) {
            if (open) {
                loc_flush(acc, &items[count - 1]);
                if (items[count - 1].listings == 0)
                    count--;       /* nothing of the asked transaction here */
            }
            items = arena_grow(a, items, count, &cap, sizeof *items);
            if (items == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "locality stats: out of memory");
                goto done;
            }
            store_locality_stats *o = &items[count++];
            open = true;
            memset(o, 0, sizeof *o);
            o->locality = rd_str(&rd, 0);
            o->city = rd_str(&rd, 1);
            if (rd.oom) {
                rc = pt_fail(err, PT_ERR_NOMEM, "locality stats: out of memory");
                goto done;
            }
        } else if (items[count - 1].city == NULL) {
            items[count - 1].city = rd_str(&rd, 1);
        }
        bool geo = sqlite3_column_type(st, 6) != SQLITE_NULL &&
                   sqlite3_column_type(st, 7) != SQLITE_NULL;
        money price = sqlite3_column_int64(st, 3);
        double area = col_double_or(st, 4, -1), yield = col_double_or(st, 5, -1);
        double lat = sqlite3_column_double(st, 6), lon = sqlite3_column_double(st, 7);
        bool off_plan = sq_status_of_code[col_code(st, 8, 3)] == LSTATUS_OFF_PLAN;
        int64_t units = col_int_or(st, 9, -1);
        int k = rtx == TX_BUY ? 1 : rtx == TX_RENT ? 2 : -1;
        if ((tx == TX_NONE || rtx == tx) &&
            loc_acc_push(&acc[0], price, area, yield, geo, lat, lon, units, off_plan)) {
            rc = pt_fail(err, PT_ERR_NOMEM, "locality stats: out of memory");
            goto done;
        }
        if (k > 0 && loc_acc_push(&acc[k], price, area, yield, false, 0, 0, units, off_plan)) {
            rc = pt_fail(err, PT_ERR_NOMEM, "locality stats: out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "locality stats");
        goto done;
    }
    if (open) {
        loc_flush(acc, &items[count - 1]);
        if (items[count - 1].listings == 0)
            count--;
    }
    *out = count ? items : NULL;
    *n = count;
done:
    sqlite3_reset(st);
    for (int i = 0; i < 3; i++) {
        free(acc[i].prices);
        free(acc[i].ppsf);
    }
    return rc;
}

/* -- bulk import and text ------------------------------------------------ */

/* Page cache of a bulk import: the covering indexes of a million listings
 * fit, so a batch rewrites each index page once instead of spilling it. */
#define SQ_BULK_CACHE_KIB 262144

/* FTS5's automerge setting outside a bulk import (FTS5's default; proptalk
 * never sets another). */
#define SQ_FTS_AUTOMERGE 4

/* Sets the text index's automerge (a persistent FTS5 setting) in a write
 * transaction of its own. */
static int sq_fts_automerge(sq *q, int value, pt_error *err)
{
    char sql[128];
    int rc = sq_write_open(q, SQ_OWN, err);
    if (rc)
        return rc;
    snprintf(sql, sizeof sql, "INSERT INTO listings_fts(listings_fts, rank)"
             " VALUES ('automerge', %d)", value);
    int r = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    if (r != SQLITE_OK) {
        rc = sq_fail(q, err, r, "text index: automerge");
        sq_write_rollback(q);
        return rc;
    }
    return sq_write_commit(q, err);
}

static int sq_import_bulk_begin(store *s, tenant_id t, pt_error *err)
{
    sq *q = s->impl;
    char sql[160];
    if (q->tx != SQ_IDLE)
        return pt_fail(err, PT_ERR_INTERNAL, "bulk import: a transaction is open");
    if (q->bulk)
        return 0;
    /* foreign keys are checked once, here: an immediate foreign key makes
     * every insert keep a statement journal */
    sqlite3_stmt *st = q->st[ST_TENANT_EXISTS];
    sqlite3_bind_int64(st, 1, t);
    int x = sqlite3_step(st);
    sqlite3_reset(st);
    if (x == SQLITE_DONE)
        return pt_fail(err, PT_ERR_NOT_FOUND, "bulk import: tenant %lld does not exist",
                       (long long)t);
    if (x != SQLITE_ROW)
        return sq_fail(q, err, x, "bulk import: tenant");
    /* secure_delete (on in Debian's SQLite) zeroes every byte a b-tree
     * frees, page splits included: 2% of the writer's instructions at
     * 50,000 rows.  Off for the load; what an import overwrites is
     * listing data anyway.  (Put back as it was at import_bulk_end.) */
    char was[16] = "";
    int x0 = sq_exec_text(q, "PRAGMA secure_delete", was, sizeof was, err);
    if (x0)
        return x0;
    q->secure_delete = (int)strtol(was, NULL, 10);
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d; PRAGMA foreign_keys=OFF;"
             " PRAGMA secure_delete=OFF", SQ_BULK_CACHE_KIB);
    int r = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    if (r != SQLITE_OK)
        return sq_fail(q, err, r, "bulk import: pragmas");
    q->bulk = true;
    /* the batches' WAL is copied behind them by the checkpointer, never in
     * the committing connection (sq_wal_hook) */
    pthread_mutex_lock(&q->writer->ckpt_mu);
    q->writer->bulk++;
    pthread_mutex_unlock(&q->writer->ckpt_mu);
    /* FTS5 merges text segments after every batch, and redoes that work as
     * later batches come: automerge is off until import_bulk_end (FTS5
     * still merges when 16 segments pile up at one level).  An import that
     * dies leaves it off until the next one ends: only more segments. */
    pt_error e = {0};
    if (sq_fts_automerge(q, 0, &e) != 0)
        log_warn("store: bulk import: %s", e.msg);
    return 0;
}

static void sq_import_bulk_end(store *s)
{
    sq *q = s->impl;
    if (!q->bulk)
        return;
    q->bulk = false;
    pt_error e = {0};
    if (sq_fts_automerge(q, SQ_FTS_AUTOMERGE, &e) != 0)
        log_warn("store: leaving bulk import: %s", e.msg);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA foreign_keys=ON; PRAGMA cache_size=-4096;"
             " PRAGMA secure_delete=%d", q->secure_delete);
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        log_warn("store: leaving bulk import: %s", sqlite3_errmsg(q->db));
    pthread_mutex_lock(&q->writer->ckpt_mu);
    q->writer->bulk--;
    pthread_mutex_unlock(&q->writer->ckpt_mu);
    /* the last batches: the checkpointer folds them into the database
     * without waiting for readers, as it did the earlier ones */
    sq_ckpt_wake(q->writer);
}

/* The listings' generation: the highest rid and the sum of the tenants'
 * listing_state versions.  Any change of any listing's text between two
 * reads changes it: an update that changes a column and a delete bump a
 * version (migration 7 triggers; versions only grow, and no listing_state
 * row is ever removed), and an insert without either takes a rid above
 * every rid there is.  The sum reads one row per tenant. */
static int sq_text_generation(sq *q, int64_t gen[2], pt_error *err)
{
    uint64_t e = 0;
    if (sq_ver_get(q, SQ_VER_TEXT_GEN, 0, gen))
        return 0;
    bool keep = sq_ver_epoch(q, &e);
    if (q->text_gen == NULL) {
        int r = sqlite3_prepare_v3(q->db, "SELECT (SELECT max(rid) FROM listings),"
                                   " (SELECT sum(version) FROM listing_state)", -1,
                                   SQLITE_PREPARE_PERSISTENT, &q->text_gen, NULL);
        if (r != SQLITE_OK)
            return sq_fail(q, err, r, "text count: prepare");
    }
    int rc = 0, r = sqlite3_step(q->text_gen);
    if (r == SQLITE_ROW) {
        gen[0] = sqlite3_column_int64(q->text_gen, 0);
        gen[1] = sqlite3_column_int64(q->text_gen, 1);
    } else {
        rc = sq_fail(q, err, r, "text count: generation");
    }
    sqlite3_reset(q->text_gen);
    if (rc == 0 && keep)
        sq_ver_put(q, SQ_VER_TEXT_GEN, 0, gen, e);
    return rc;
}

static uint32_t sq_text_memo_slot(const char *match, int cap)
{
    uint32_t h = 2166136261u ^ (uint32_t)cap;
    for (const unsigned char *p = (const unsigned char *)match; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (SQ_TEXT_MEMO - 1);
}

/* A search asks this for each of the buyer's words, and the same words come
 * again and again, while the answer changes only with the listings: so the
 * handle keeps the answers it gave (sq_text_memo) with the generation of the
 * listings they were counted at (sq_generation: one cheap statement, once
 * per read transaction), and forgets them all when it moves.  Not inside a write transaction of
 * this handle: an import batch indexes its text only at its commit
 * (sq_fts_flush), after the rows the generation sees. */
static int sq_listing_text_count(store *s, const char *match, int cap, int *out, pt_error *err)
{
    sq *q = s->impl;
    int rc = 0;
    sq_text_memo *m = NULL;
    *out = 0;
    if (match == NULL || match[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "text count: empty query");
    if (cap <= 0)
        cap = 1000;
    if (q->tx == SQ_IDLE && strlen(match) < SQ_TEXT_MEMO_KEY) {
        int64_t gen[2] = {0, 0};
        if (q->text_memo == NULL && (q->text_memo = calloc(SQ_TEXT_MEMO, sizeof *m)) == NULL)
            return pt_fail(err, PT_ERR_NOMEM, "text count: out of memory");
        rc = sq_generation(q, gen, err);
        if (rc)
            return rc;
        if (gen[0] != q->text_memo_gen[0] || gen[1] != q->text_memo_gen[1]) {
            memset(q->text_memo, 0, SQ_TEXT_MEMO * sizeof *m);
            q->text_memo_gen[0] = gen[0];
            q->text_memo_gen[1] = gen[1];
        }
        m = &q->text_memo[sq_text_memo_slot(match, cap)];
        if (m->cap == cap && strcmp(m->match, match) == 0) {
            *out = m->count;
            return 0;
        }
    }
    if (q->text_count == NULL) {
        int r = sqlite3_prepare_v3(q->db, "SELECT count(*) FROM (SELECT 1 FROM listings_fts"
                                   " WHERE listings_fts MATCH ?1 LIMIT ?2)", -1,
                                   SQLITE_PREPARE_PERSISTENT, &q->text_count, NULL);
        if (r != SQLITE_OK)
            return sq_fail(q, err, r, "text count: prepare");
    }
    sqlite3_stmt *st = q->text_count;
    int b = bind_text(st, 1, match) | sqlite3_bind_int(st, 2, cap);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "text count: bind");
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        if (m) {
            memcpy(m->match, match, strlen(match) + 1);
            m->cap = cap;
            m->count = *out;
        }
    } else {
        rc = sq_text_fail(q, err, r, "text count");
    }
done:
    sqlite3_reset(st);
    return rc;
}

/* A search's statements in one read transaction: SQLite begins one per
 * statement otherwise (a WAL read mark taken and the wal-index header read
 * again each time).  Not inside a transaction the handle has open: its
 * statements are in that one already. */
static int sq_read_stmt(sq *q, int i, pt_error *err)
{
    static const char *const sql[2] = {"BEGIN", "COMMIT"};
    if (q->read_stmt[i] == NULL) {
        int r = sqlite3_prepare_v3(q->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                   &q->read_stmt[i], NULL);
        if (r != SQLITE_OK)
            return sq_fail(q, err, r, "read %s: prepare", i ? "end" : "begin");
    }
    int r = sqlite3_step(q->read_stmt[i]);
    sqlite3_reset(q->read_stmt[i]);
    return r == SQLITE_DONE ? 0 : sq_fail(q, err, r, "read %s", i ? "end" : "begin");
}

static int sq_read_begin(store *s, pt_error *err)
{
    sq *q = s->impl;
    q->reading = false;
    q->gen_known = false;
    q->scope_epoch_known = false;
    if (q->tx != SQ_IDLE || !sqlite3_get_autocommit(q->db))
        return 0;
    /* the inventory epoch before the snapshot, which begins at the first
     * read after BEGIN */
    q->scope_epoch_known = sq_ver_epoch(q, &q->scope_epoch);
    int rc = sq_read_stmt(q, 0, err);
    q->reading = rc == 0;
    return rc;
}

static void sq_read_end(store *s)
{
    sq *q = s->impl;
    pt_error err = {0};
    if (!q->reading)
        return;
    q->reading = false;
    q->gen_known = false;
    q->scope_epoch_known = false;
    if (sqlite3_get_autocommit(q->db))
        return;              /* ended already (an error rolled it back) */
    if (sq_read_stmt(q, 1, &err) != 0) {
        log_warn("store: %s", err.msg);
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* Agents and appointments                                                   */

static int sq_agent_create(store *s, tenant_id t, const char *name, const char *email,
                           int64_t *agent_id, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_AGENT_INSERT];
    bool own = false;
    int rc = 0;

    if (name == NULL || name[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "agent: name is empty");
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, name) | bind_text(st, 3, email) |
            sqlite3_bind_int64(st, 4, now_utc());
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "agent \"%.64s\": bind", name);
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        if (agent_id)
            *agent_id = sqlite3_last_insert_rowid(q->db);
    } else if (r == SQLITE_CONSTRAINT_FOREIGNKEY) {
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "agent \"%.64s\": tenant %lld does not exist",
                     name, (long long)t);
    } else {
        rc = sq_fail(q, err, r, "agent \"%.64s\": create", name);
    }
    sqlite3_reset(st);
done:
    return sq_scope_end(q, own, rc, err);
}

static int sq_slot_add(store *s, tenant_id t, int64_t agent_id, int64_t starts_at,
                       int64_t ends_at, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_SLOT_INSERT];
    bool own = false;
    int rc = 0;

    if (ends_at <= starts_at)
        return pt_fail(err, PT_ERR_INVALID, "slot of agent %lld: ends before it starts",
                       (long long)agent_id);
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(st, 1, t) | sqlite3_bind_int64(st, 2, agent_id) |
            sqlite3_bind_int64(st, 3, starts_at) | sqlite3_bind_int64(st, 4, ends_at);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "slot: bind");
        goto done;
    }
    rc = sq_run(q, st, err, "slot of agent %lld: add", (long long)agent_id);
    if (rc == 0 && sqlite3_changes(q->db) == 0)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "agent %lld: no such agent", (long long)agent_id);
done:
    return sq_scope_end(q, own, rc, err);
}

static int sq_slots_free(store *s, tenant_id t, int64_t from, int64_t to, int limit, arena *a,
                         store_slot **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_SLOTS_FREE];
    sq_reader rd = {a, st, 0};
    store_slot *items = NULL;
    int count = 0, cap = 0, rc = 0, r;

    *out = NULL;
    *n = 0;
    if (limit <= 0)
        limit = 20;
    int b = sqlite3_bind_int64(st, 1, t) | sqlite3_bind_int64(st, 2, from) |
            sqlite3_bind_int64(st, 3, to) | sqlite3_bind_int(st, 4, limit);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "free slots: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        items = arena_grow(a, items, count, &cap, sizeof *items);
        if (items == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "free slots: out of memory");
            goto done;
        }
        store_slot *o = &items[count++];
        o->id = sqlite3_column_int64(st, 0);
        o->agent_id = sqlite3_column_int64(st, 1);
        o->agent_name = rd_str(&rd, 2);
        o->starts_at = sqlite3_column_int64(st, 3);
        o->ends_at = sqlite3_column_int64(st, 4);
        if (rd.oom) {
            rc = pt_fail(err, PT_ERR_NOMEM, "free slots: out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "free slots");
        goto done;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    return rc;
}

static int sq_appointment_book(store *s, tenant_id t, int64_t slot_id, const char *user_id,
                               const char *session_id, const char *phone,
                               const char *listing_id, int64_t *appointment_id, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *ex = q->st[ST_SLOT_EXISTS], *st = q->st[ST_APPT_INSERT];
    bool own = false;
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;

    /* Inside the write transaction, so nobody books between the two. */
    int b = sqlite3_bind_int64(ex, 1, slot_id) | sqlite3_bind_int64(ex, 2, t);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "slot %lld: bind", (long long)slot_id);
        goto done;
    }
    int r = sqlite3_step(ex);
    if (r == SQLITE_DONE)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "slot %lld: no such slot", (long long)slot_id);
    else if (r != SQLITE_ROW)
        rc = sq_fail(q, err, r, "slot %lld", (long long)slot_id);
    sqlite3_reset(ex);
    if (rc)
        goto done;

    b = sqlite3_bind_int64(st, 1, t) | sqlite3_bind_int64(st, 2, slot_id) |
        bind_text(st, 3, user_id) | bind_text(st, 4, session_id) | bind_text(st, 5, phone) |
        sqlite3_bind_int64(st, 6, now_utc()) | bind_text(st, 7, listing_id);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "slot %lld: bind", (long long)slot_id);
        goto done;
    }
    rc = sq_run(q, st, err, "slot %lld: book", (long long)slot_id);
    if (rc)
        goto done;
    if (sqlite3_changes(q->db) == 0) {
        rc = pt_fail(err, PT_ERR_CONFLICT, "slot %lld is already booked", (long long)slot_id);
        goto done;
    }
    if (appointment_id)
        *appointment_id = sqlite3_last_insert_rowid(q->db);
done:
    return sq_scope_end(q, own, rc, err);
}

static int sq_appointment_count(store *s, tenant_id t, const char *session_id, int64_t *out,
                                pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[session_id ? ST_APPT_COUNT_SESSION : ST_APPT_COUNT_ALL];
    *out = 0;
    int b = sqlite3_bind_int64(st, 1, t);
    if (session_id)
        b |= bind_text(st, 2, session_id);
    if (b != SQLITE_OK)
        return sq_fail(q, err, b, "appointment count: bind");
    return sq_count(q, st, out, "appointment count", err);
}

static int sq_appointments_upcoming(store *s, tenant_id t, const char *user_id, int64_t now,
                                    int limit, arena *a, store_appointment **out, int *n,
                                    pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_APPT_UPCOMING];
    sq_reader rd = {a, st, 0};
    store_appointment *items = NULL;
    int count = 0, cap = 0, rc = 0, r;

    *out = NULL;
    *n = 0;
    if (user_id == NULL || user_id[0] == '\0')
        return 0;
    if (limit <= 0)
        limit = 5;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, user_id) |
            sqlite3_bind_int64(st, 3, now) | sqlite3_bind_int(st, 4, limit);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "upcoming appointments: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        items = arena_grow(a, items, count, &cap, sizeof *items);
        if (items == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "upcoming appointments: out of memory");
            goto done;
        }
        store_appointment *o = &items[count++];
        o->id = sqlite3_column_int64(st, 0);
        o->starts_at = sqlite3_column_int64(st, 1);
        o->ends_at = sqlite3_column_int64(st, 2);
        o->agent_name = rd_str(&rd, 3);
        o->listing_id = rd_str(&rd, 4);
        o->listing_title = rd_str(&rd, 5);
        o->session_id = rd_str(&rd, 6);
        if (rd.oom) {
            rc = pt_fail(err, PT_ERR_NOMEM, "upcoming appointments: out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "upcoming appointments");
        goto done;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Conversation turns                                                        */

static int sq_turn_begin(store *s, pt_error *err)
{
    return sq_write_open(s->impl, SQ_TURN, err);
}

static int sq_turn_commit(store *s, pt_error *err)
{
    sq *q = s->impl;
    if (q->tx != SQ_TURN)
        return pt_fail(err, PT_ERR_INTERNAL, "turn commit: no turn is open");
    return sq_write_commit(q, err);
}

static void sq_turn_rollback(store *s)
{
    sq_write_rollback(s->impl);
}

/* Reads the one text column of a keyed lookup into the arena; *json NULL
 * when there is no row. */
static int sq_get_text(sq *q, sqlite3_stmt *st, tenant_id t, const char *k, arena *a,
                       char **json, const char *what, pt_error *err)
{
    int rc = 0;
    *json = NULL;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, k);
    if (b != SQLITE_OK)
        return sq_fail(q, err, b, "%s: bind", what);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        sq_reader rd = {a, st, 0};
        *json = (char *)rd_str(&rd, 0);
        if (rd.oom)
            rc = pt_fail(err, PT_ERR_NOMEM, "%s \"%.64s\": out of memory", what, k ? k : "");
    } else if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "%s \"%.64s\"", what, k ? k : "");
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_session_get(store *s, tenant_id t, const char *session_id, arena *a,
                          char **json, pt_error *err)
{
    sq *q = s->impl;
    return sq_get_text(q, q->st[ST_SESSION_GET], t, session_id, a, json, "session", err);
}

/* Runs a bound write statement inside the handle's turn or its own
 * transaction. */
static int sq_put(sq *q, sqlite3_stmt *st, int bind_rc, tenant_id t, const char *what,
                  const char *k, pt_error *err)
{
    bool own = false;
    int rc = 0;
    if (bind_rc != SQLITE_OK) {
        rc = sq_fail(q, err, bind_rc, "%s: bind", what);
        sqlite3_reset(st);
        return rc;
    }
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "%s \"%.64s\": tenant %lld does not exist", what,
                     k ? k : "", (long long)t);
    else if (r != SQLITE_DONE)
        rc = sq_fail(q, err, r, "%s \"%.64s\": write", what, k ? k : "");
    sqlite3_reset(st);
    return sq_scope_end(q, own, rc, err);
}

/* Where a session's row is, as this transaction sees it: its memo slot
 * (c, len), *rowid (0 when there is none) and its latest transcript row
 * *last_turn (0: none), from the memo or read. */
typedef struct sq_session_at {
    sq_memo_slot *c;
    size_t len;
    int64_t rowid, last_turn;
} sq_session_at;

static int sq_session_row(sq *q, tenant_id t, const char *session_id, sq_session_at *at,
                          pt_error *err)
{
    bool hit = false;
    *at = (sq_session_at){0};
    at->c = sq_memo_find(q, SQ_MEMO_SESSION, t, session_id, &at->len, &hit);
    if (hit) {
        at->rowid = at->c->rowid;
        at->last_turn = at->c->last_turn;
        return 0;
    }
    sqlite3_stmt *st = q->st[ST_SESSION_LOOKUP];
    int rc = 0, b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, session_id);
    int r = b == SQLITE_OK ? sqlite3_step(st) : b;
    if (r == SQLITE_ROW) {
        at->rowid = sqlite3_column_int64(st, 0);
        at->last_turn = col_int_or(st, 1, 0);
    } else if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "session \"%.64s\"", session_id);
    }
    sqlite3_reset(st);
    return rc;
}

/* Writes the session's row in the open transaction: its state (json of
 * json_len bytes, 0: not known; NULL for a row that has only a transcript so
 * far; user_id NULL keeps the stored one) when put, and at->last_turn when
 * not 0.  at: where sq_session_row found the row. */
static int sq_session_write(sq *q, tenant_id t, const char *session_id, const char *user_id,
                            const char *json, size_t json_len, bool put, sq_session_at *at,
                            pt_error *err)
{
    int rc = 0;
    int64_t rowid = at->rowid, last_turn = at->last_turn;
    if (!put && last_turn <= 0)
        return 0;   /* nothing to write */
    if (rowid > 0 && put) {
        sqlite3_stmt *st = q->st[ST_SESSION_UPDATE_ROW];
        int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, session_id) |
                bind_text(st, 3, user_id) | bind_text_n(st, 4, json, json_len) |
                sqlite3_bind_int64(st, 5, now_utc()) |
                (last_turn > 0 ? sqlite3_bind_int64(st, 6, last_turn) : sqlite3_bind_null(st, 6)) |
                sqlite3_bind_int64(st, 7, rowid);
        rc = sq_put(q, st, b, t, "session", session_id, err);
        if (rc || sqlite3_changes(q->db) == 1)
            goto done;
        rowid = 0;   /* not that row after all: the upsert below */
    }
    sqlite3_stmt *st = q->st[put ? ST_SESSION_PUT : ST_SESSION_LAST_TURN];
    sq_keys_note(q, SQ_MEMO_SESSION, t, session_id);   /* the upsert may add the row */
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, session_id);
    if (put)
        b |= bind_text(st, 3, user_id) | bind_text_n(st, 4, json, json_len) |
             sqlite3_bind_int64(st, 5, now_utc()) |
             (last_turn > 0 ? sqlite3_bind_int64(st, 6, last_turn) : sqlite3_bind_null(st, 6));
    else
        b |= sqlite3_bind_int64(st, 3, now_utc()) | sqlite3_bind_int64(st, 4, last_turn);
    int64_t before = sqlite3_last_insert_rowid(q->db);
    rc = sq_put(q, st, b, t, "session", session_id, err);
    /* a row made now has a new rowid (or one that cannot be told from the
     * turn's, then it is looked up next time) */
    if (rc == 0 && sqlite3_last_insert_rowid(q->db) != before)
        rowid = sqlite3_last_insert_rowid(q->db);
done:
    if (rc == 0)
        sq_memo_set(at->c, SQ_MEMO_SESSION, t, session_id, at->len, rowid, last_turn);
    return rc;
}

static int sq_session_put(store *s, tenant_id t, const char *session_id, const char *user_id,
                          const char *json, pt_error *err)
{
    sq *q = s->impl;
    bool own = false;
    sq_session_at at;
    if (session_id == NULL || session_id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "session: id is empty");
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    rc = sq_session_row(q, t, session_id, &at, err);
    if (rc == 0)
        rc = sq_session_write(q, t, session_id, user_id, json, 0, true, &at, err);
    return sq_scope_end(q, own, rc, err);
}

/* Writes one transcript row of m's session after the session's latest
 * (prev, 0: none) and sets *row to its id: the buyer's side (m->user_text,
 * user_meta; role NULL for "user"), the answer's side, or both (NULL text:
 * no such side).  The caller then makes it the session's latest
 * (sessions.last_turn), in the same transaction. */
static int sq_turn_row(sq *q, const store_turn *m, int64_t prev, const char *role, int64_t *row,
                       pt_error *err)
{
    sqlite3_stmt *st = q->st[ST_TURN_INSERT];
    bool user = m->user_text != NULL, answer = m->assistant_text != NULL;
    *row = 0;
    int b = sqlite3_bind_int64(st, 1, m->tenant) | bind_text(st, 2, m->session_id) |
            bind_text_n(st, 3, m->user_text, m->user_text_len) |
            bind_text_n(st, 4, user ? m->user_meta : NULL, m->user_meta_len) |
            bind_text_n(st, 5, m->assistant_text, m->assistant_text_len) |
            bind_text_n(st, 6, answer ? m->assistant_meta : NULL, m->assistant_meta_len) |
            sqlite3_bind_int64(st, 7, now_utc()) | bind_text(st, 8, user ? role : NULL) |
            (prev > 0 ? sqlite3_bind_int64(st, 9, prev) : sqlite3_bind_null(st, 9));
    int rc = sq_put(q, st, b, m->tenant, "message of session", m->session_id, err);
    if (rc == 0)
        *row = sqlite3_last_insert_rowid(q->db);
    return rc;
}

/* m's transcript row (its user and assistant sides; role: the buyer
 * side's, NULL for "user") and, when put, its session state (m->session_json
 * and user_id), in the open transaction: the row first, so the session's
 * write names it.  Only m's tenant, ids, texts and their lengths are read. */
static int sq_session_turn(sq *q, const store_turn *m, bool put, const char *role, pt_error *err)
{
    sq_session_at at;
    if (m->session_id == NULL || m->session_id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, put ? "session: id is empty"
                                                : "message: session and role are required");
    int rc = sq_session_row(q, m->tenant, m->session_id, &at, err);
    if (rc == 0 && (m->user_text || m->assistant_text))
        rc = sq_turn_row(q, m, at.last_turn, role, &at.last_turn, err);
    if (rc == 0)
        rc = sq_session_write(q, m->tenant, m->session_id, m->user_id, m->session_json,
                              m->session_json_len, put, &at, err);
    return rc;
}

static int sq_message_append(store *s, tenant_id t, const char *session_id, const char *role,
                             const char *text, const char *meta_json, pt_error *err)
{
    sq *q = s->impl;
    bool own = false;
    if (session_id == NULL || session_id[0] == '\0' || role == NULL)
        return pt_fail(err, PT_ERR_INVALID, "message: session and role are required");
    if (text == NULL)
        text = "";
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    store_turn m = {.tenant = t, .session_id = session_id};
    if (strcmp(role, "assistant") == 0) {
        m.assistant_text = text;
        m.assistant_meta = meta_json;
        rc = sq_session_turn(q, &m, false, NULL, err);
    } else {
        m.user_text = text;
        m.user_meta = meta_json;
        rc = sq_session_turn(q, &m, false, strcmp(role, "user") == 0 ? NULL : role, err);
    }
    return sq_scope_end(q, own, rc, err);
}

static int sq_messages_list(store *s, tenant_id t, const char *session_id, int limit,
                            arena *a, store_message **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_MESSAGES_LIST];
    sq_reader rd = {a, st, 0};
    store_message *items = NULL;
    int count = 0, cap = 0, rc = 0, r = SQLITE_DONE;

    *out = NULL;
    *n = 0;
    if (limit <= 0)
        limit = 100;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, session_id) |
            sqlite3_bind_int(st, 3, limit);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "messages: bind");
        goto done;
    }
    while (count < limit && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t at = sqlite3_column_int64(st, 5);
        /* newest first: a row's answer, then its buyer's message */
        for (int side = 1; side >= 0 && count < limit; side--) {
            int col = side ? 3 : 1;
            if (sqlite3_column_type(st, col) == SQLITE_NULL)
                continue;
            items = arena_grow(a, items, count, &cap, sizeof *items);
            if (items == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "messages: out of memory");
                goto done;
            }
            store_message *m = &items[count++];
            m->role = side ? "assistant" : rd_str(&rd, 0);
            if (!side && m->role == NULL && !rd.oom)
                m->role = "user";
            m->text = rd_str(&rd, col);
            m->meta_json = rd_str(&rd, col + 1);
            m->created_at = at;
            if (rd.oom) {
                rc = pt_fail(err, PT_ERR_NOMEM, "messages: out of memory");
                goto done;
            }
        }
    }
    if (count < limit && r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "messages of session \"%.64s\"", session_id ? session_id : "");
        goto done;
    }
    /* newest first from the index; the caller wants them in order */
    for (int i = 0, j = count - 1; i < j; i++, j--) {
        store_message tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    return rc;
}

static int sq_profile_get(store *s, tenant_id t, const char *user_id, arena *a, char **json,
                          pt_error *err)
{
    sq *q = s->impl;
    return sq_get_text(q, q->st[ST_PROFILE_GET], t, user_id, a, json, "profile", err);
}

/* One statement, so one read transaction (a WAL snapshot taken once, not
 * twice: a new conversation pays its start once).  A NULL id binds NULL,
 * which no row matches. */
static int sq_state_get(store *s, tenant_id t, const char *session_id, const char *user_id,
                        arena *a, char **session_json, char **profile_json, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_STATE_GET];
    int rc = 0;
    *session_json = *profile_json = NULL;
    if (sq_keys_absent(q, t, session_id, user_id))
        return 0;   /* a new conversation (see "New conversations") */
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, session_id) |
            bind_text(st, 3, user_id);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "state: bind");
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        sq_reader rd = {a, st, 0};
        *session_json = (char *)rd_str(&rd, 0);
        *profile_json = (char *)rd_str(&rd, 1);
        if (rd.oom)
            rc = pt_fail(err, PT_ERR_NOMEM, "state of session \"%.64s\": out of memory",
                         session_id ? session_id : "");
    } else {
        rc = sq_fail(q, err, r, "state of session \"%.64s\"", session_id ? session_id : "");
    }
done:
    sqlite3_reset(st);
    return rc;
}

static int sq_profile_put(store *s, tenant_id t, const char *user_id, const char *json,
                          pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_PROFILE_PUT];
    bool own = false;
    if (user_id == NULL || user_id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "profile: user id is empty");
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    /* in the transaction (see sq_keys_note) */
    sq_keys_note(q, SQ_MEMO_PROFILE, t, user_id);
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, user_id) | bind_text(st, 3, json) |
            sqlite3_bind_int64(st, 4, now_utc());
    rc = sq_put(q, st, b, t, "profile", user_id, err);
    return sq_scope_end(q, own, rc, err);
}

/* Binds ?1..?11 of the lead statements (ST_LEAD_PUT, ST_PROFILE_LEAD_PUT). */
static int lead_bind(sqlite3_stmt *st, tenant_id t, const store_lead *l)
{
    return sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, l->user_id) |
           bind_text(st, 3, l->session_id) | bind_text(st, 4, l->phone) |
           bind_text(st, 5, l->language) | bind_text(st, 6, l->state) |
           bind_text(st, 7, l->temperature) | sqlite3_bind_double(st, 8, l->engagement_score) |
           sqlite3_bind_double(st, 9, l->intent_to_buy_score) |
           bind_text_n(st, 10, l->slots_json, l->slots_json_len) |
           sqlite3_bind_int64(st, 11, now_utc());
}

static int sq_lead_put(store *s, tenant_id t, const store_lead *l, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = q->st[ST_LEAD_PUT];
    bool own = false;
    if (l->user_id == NULL || l->user_id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "lead: user id is empty");
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    /* in the transaction (see sq_keys_note) */
    sq_keys_note(q, SQ_MEMO_PROFILE, t, l->user_id);
    rc = sq_put(q, st, lead_bind(st, t, l), t, "lead", l->user_id, err);
    return sq_scope_end(q, own, rc, err);
}

/* A turn's profile (json of json_len bytes, 0: not known) and lead (of the
 * same user): one row, updated by its rowid when the handle remembers it,
 * else upserted (and its rowid noted: the upsert's when it made the row,
 * else looked up once). */
static int sq_profile_lead_put(store *s, tenant_id t, const char *json, size_t json_len,
                               const store_lead *l, pt_error *err)
{
    sq *q = s->impl;
    bool own = false, hit = false;
    size_t len = 0;
    if (l->user_id == NULL || l->user_id[0] == '\0')
        return pt_fail(err, PT_ERR_INVALID, "profile: user id is empty");
    int rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    sq_memo_slot *c = sq_memo_find(q, SQ_MEMO_PROFILE, t, l->user_id, &len, &hit);
    int64_t rowid = hit ? c->rowid : 0;
    if (rowid > 0) {
        sqlite3_stmt *st = q->st[ST_PROFILE_LEAD_UPDATE_ROW];
        int b = lead_bind(st, t, l) | bind_text_n(st, 12, json, json_len) |
                sqlite3_bind_int64(st, 13, rowid);
        rc = sq_put(q, st, b, t, "profile", l->user_id, err);
        if (rc || sqlite3_changes(q->db) == 1)
            goto done;
        rowid = 0;   /* not that row after all: the upsert below */
    }
    sqlite3_stmt *st = q->st[ST_PROFILE_LEAD_PUT];
    sq_keys_note(q, SQ_MEMO_PROFILE, t, l->user_id);   /* the upsert may add the row */
    int b = lead_bind(st, t, l) | bind_text_n(st, 12, json, json_len);
    int64_t before = sqlite3_last_insert_rowid(q->db);
    rc = sq_put(q, st, b, t, "profile", l->user_id, err);
    if (rc == 0 && sqlite3_last_insert_rowid(q->db) != before) {
        rowid = sqlite3_last_insert_rowid(q->db);
    } else if (rc == 0 && c) {
        st = q->st[ST_PROFILE_LOOKUP];
        b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, l->user_id);
        if (b == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            rowid = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);   /* a failure only leaves the row unremembered */
    }
done:
    if (rc == 0)
        sq_memo_set(c, SQ_MEMO_PROFILE, t, l->user_id, len, rowid, 0);
    return sq_scope_end(q, own, rc, err);
}

/* The writes of one turn, in the open transaction. */
static int sq_turn_apply(store *s, const store_turn *t, pt_error *err)
{
    sq *q = s->impl;
    int rc = 0;
    if (t->session_json || t->user_text || t->assistant_text)
        /* both sides of the transcript in one row, and the session */
        rc = sq_session_turn(q, t, t->session_json != NULL, NULL, err);
    if (rc == 0 && t->profile_json && t->lead && t->lead->user_id && t->user_id &&
        strcmp(t->lead->user_id, t->user_id) == 0)
        return sq_profile_lead_put(s, t->tenant, t->profile_json, t->profile_json_len, t->lead,
                                   err);
    if (rc == 0 && t->profile_json)
        rc = sq_profile_put(s, t->tenant, t->user_id, t->profile_json, err);
    if (rc == 0 && t->lead)
        rc = sq_lead_put(s, t->tenant, t->lead, err);
    return rc;
}

/* Inside a caller's transaction (a booking): each turn under a savepoint,
 * so a failed one is undone alone and the caller decides. */
static int turns_in_caller_txn(sq *q, store *s, store_turn *const *turns, int n, pt_error *err)
{
    for (int i = 0; i < n; i++) {
        store_turn *t = turns[i];
        int rc = sq_run(q, q->st[ST_SAVEPOINT], err, "turn savepoint");
        if (rc)
            return rc;
        t->rc = sq_turn_apply(s, t, &t->err);
        if (t->rc) {
            if (sqlite3_get_autocommit(q->db))
                return pt_fail(err, -t->rc, "%s", t->err.msg);
            sq_memo_clear(q);   /* it may name the rows undone */
            rc = sq_run(q, q->st[ST_ROLLBACK_TO], err, "turn rollback");
            if (rc)
                return rc;
        }
        rc = sq_run(q, q->st[ST_RELEASE], err, "turn release");
        if (rc)
            return rc;
    }
    return 0;
}

/* The committer's batches: one transaction, no statement per turn beyond its
 * writes.  A turn that fails (rare: a constraint, a bad row) rolls the
 * transaction back, is set aside with its error, and the batch is written
 * again without it, so the others still commit together. */
static int sq_turns_write(store *s, store_turn *const *turns, int n, pt_error *err)
{
    sq *q = s->impl;
    bool own = false;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        turns[i]->rc = 0;
        turns[i]->err = (pt_error){0};
    }
    for (int attempt = 0; attempt <= n; attempt++) {
        rc = sq_scope_begin(q, &own, err);
        if (rc)
            goto fail;
        q->turns_only = own;   /* its commit leaves the inventory epoch alone */
        if (!own) {
            rc = turns_in_caller_txn(q, s, turns, n, err);
            if (rc)
                goto fail;
            return 0;
        }
        int bad = -1;
        for (int i = 0; i < n && bad < 0; i++) {
            store_turn *t = turns[i];
            if (t->rc)
                continue;   /* set aside by an earlier attempt */
            t->rc = sq_turn_apply(s, t, &t->err);
            if (t->rc)
                bad = i;
        }
        if (bad >= 0) {
            if (sqlite3_get_autocommit(q->db)) {
                /* sqlite rolled the whole transaction back itself (I/O
                 * error, out of memory): nothing of the batch is kept; the
                 * handle's own state is released at fail */
                rc = pt_fail(err, -turns[bad]->rc, "%s", turns[bad]->err.msg);
                goto fail;
            }
            sq_write_rollback(q);
            own = false;
            continue;
        }
        own = false;
        rc = sq_write_commit(q, err);
        if (rc)
            goto fail;
        return 0;
    }
    rc = pt_fail(err, PT_ERR_INTERNAL, "turns: batch could not be written");
fail:
    if (own)
        sq_write_rollback(q);
    for (int i = 0; i < n; i++) {
        turns[i]->rc = rc;
        turns[i]->err = *err;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Admin API and listing vectors                                             */
/*
 * The statements of this block are prepared on first use into q->ext, so
 * the block stays apart from the table above.  Vectors are float32
 * little-endian BLOBs of dim values; on a big-endian host they are swapped
 * on the way in and out.
 */

#define SX_STMT_MAP(X)                                                        \
    X(SX_TENANT_BY_ID, "SELECT " TENANT_COLS " FROM tenants WHERE id = ?1")   \
    X(SX_PAGE_FIRST,                                                          \
      "SELECT " LISTING_COLS " FROM listings WHERE tenant_id = ?1"            \
      " ORDER BY id LIMIT ?3 OFFSET ?2")                                      \
    X(SX_PAGE_AFTER,                                                          \
      "SELECT " LISTING_COLS " FROM listings WHERE tenant_id = ?1"            \
      " AND id > ?4 ORDER BY id LIMIT ?3 OFFSET ?2")                          \
    X(SX_VECTOR_PUT,                                                          \
      "INSERT INTO listing_vectors (tenant_id, listing_id, model, text_hash," \
      " dim, vec, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"            \
      " ON CONFLICT (tenant_id, listing_id) DO UPDATE SET"                    \
      " model = excluded.model, text_hash = excluded.text_hash,"              \
      " dim = excluded.dim, vec = excluded.vec, updated_at = excluded.updated_at") \
    X(SX_VECTOR_DELETE,                                                       \
      "DELETE FROM listing_vectors WHERE tenant_id = ?1 AND listing_id = ?2") \
    X(SX_VECTOR_HASHES,                                                       \
      "SELECT listing_id, text_hash FROM listing_vectors"                     \
      " WHERE tenant_id = ?1 AND model = ?2 ORDER BY listing_id")             \
    X(SX_VECTOR_EACH,                                                         \
      "SELECT v.listing_id, v.dim, v.vec FROM listing_vectors v"              \
      " WHERE v.tenant_id = ?1 AND v.model = ?2 AND EXISTS (SELECT 1 FROM"    \
      " listings l WHERE l.tenant_id = v.tenant_id AND l.id = v.listing_id)"  \
      " ORDER BY v.listing_id")                                               \
    X(SX_VECTOR_VERSION, "SELECT version FROM vector_state WHERE tenant_id = ?1") \
    X(SX_LISTING_VERSION, "SELECT version FROM listing_state WHERE tenant_id = ?1") \
    X(SX_VECTOR_PURGE,                                                        \
      "DELETE FROM listing_vectors WHERE tenant_id = ?1 AND NOT EXISTS"       \
      " (SELECT 1 FROM listings l WHERE l.tenant_id = ?1"                     \
      " AND l.id = listing_vectors.listing_id)")

enum sx_stmt_id {
#define SX_X_ENUM(id, sql) id,
    SX_STMT_MAP(SX_X_ENUM)
#undef SX_X_ENUM
    SX__COUNT
};

static const char *const sx_stmt_sql[SX__COUNT] = {
#define SX_X_SQL(id, sql) sql,
    SX_STMT_MAP(SX_X_SQL)
#undef SX_X_SQL
};

_Static_assert(SX__COUNT <= SQ_EXT_STMTS, "raise SQ_EXT_STMTS");

#define SX_VECTOR_DIM_MAX 65536

/* The statement id of this block, prepared on first use. */
static int sx_stmt(sq *q, int id, sqlite3_stmt **out, pt_error *err)
{
    if (q->ext[id] == NULL) {
        int rc = sqlite3_prepare_v3(q->db, sx_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &q->ext[id], NULL);
        if (rc != SQLITE_OK) {
            q->ext[id] = NULL;
            return sq_fail(q, err, rc, "prepare statement x%d", id);
        }
    }
    *out = q->ext[id];
    return 0;
}

static bool sx_big_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 0;
}

/* Copies n floats between host order and the stored little-endian order
 * (the same operation both ways). */
static void sx_floats_le(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n * 4);
    if (!sx_big_endian())
        return;
    unsigned char *p = dst;
    for (size_t i = 0; i < n; i++, p += 4) {
        unsigned char t = p[0];
        p[0] = p[3];
        p[3] = t;
        t = p[1];
        p[1] = p[2];
        p[2] = t;
    }
}

static int sq_tenant_by_id(store *s, tenant_id id, tenant *out, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    int rc = sx_stmt(q, SX_TENANT_BY_ID, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        sq_read_tenant(st, out);
    else if (r == SQLITE_DONE)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "tenant %lld: no such tenant", (long long)id);
    else
        rc = sq_fail(q, err, r, "tenant %lld", (long long)id);
    sqlite3_reset(st);
    return rc;
}

static int sq_listing_page(store *s, tenant_id t, const char *after, int64_t offset,
                           int limit, arena *a, listing **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    listing *items = NULL;
    int count = 0, rc = 0, r = SQLITE_DONE;

    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > STORE_PAGE_MAX || offset < 0)
        return pt_fail(err, PT_ERR_INVALID, "listing page: limit %d / offset %lld out of range",
                       limit, (long long)offset);
    rc = sx_stmt(q, after ? SX_PAGE_AFTER : SX_PAGE_FIRST, &st, err);
    if (rc)
        return rc;
    sq_reader rd = {a, st, 0};
    int b = sqlite3_bind_int64(st, 1, t) | sqlite3_bind_int64(st, 2, offset) |
            sqlite3_bind_int(st, 3, limit) | (after ? bind_text(st, 4, after) : SQLITE_OK);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "listing page: bind");
        goto done;
    }
    items = arena_alloc(a, sizeof *items * (size_t)limit);
    if (items == NULL) {
        rc = pt_fail(err, PT_ERR_NOMEM, "listing page: out of memory");
        goto done;
    }
    while (count < limit && (r = sqlite3_step(st)) == SQLITE_ROW) {
        sq_read_listing(&rd, &items[count++]);
        if (rd.oom) {
            rc = pt_fail(err, PT_ERR_NOMEM, "listing page: out of memory");
            goto done;
        }
    }
    if (count < limit && r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "listing page");
        goto done;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sq_vector_put(store *s, tenant_id t, const char *listing_id, const char *model,
                         const char *text_hash, const float *v, int dim, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    bool own = false;
    void *blob = NULL;
    int rc = 0;

    if (listing_id == NULL || listing_id[0] == '\0' || model == NULL || text_hash == NULL)
        return pt_fail(err, PT_ERR_INVALID, "vector: listing id, model and hash are required");
    if (dim < 1 || dim > SX_VECTOR_DIM_MAX)
        return pt_fail(err, PT_ERR_INVALID, "vector of \"%.64s\": dimension %d out of range",
                       listing_id, dim);
    rc = sx_stmt(q, SX_VECTOR_PUT, &st, err);
    if (rc)
        return rc;
    blob = malloc((size_t)dim * 4);
    if (blob == NULL)
        return pt_fail(err, PT_ERR_NOMEM, "vector: out of memory");
    sx_floats_le(blob, v, (size_t)dim);
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        goto out;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, listing_id) |
            bind_text(st, 3, model) | bind_text(st, 4, text_hash) |
            sqlite3_bind_int(st, 5, dim) |
            sqlite3_bind_blob(st, 6, blob, dim * 4, SQLITE_STATIC) |
            sqlite3_bind_int64(st, 7, now_utc());
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "vector of \"%.64s\": bind", listing_id);
        goto done;
    }
    int r = sqlite3_step(st);
    if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
        rc = pt_fail(err, PT_ERR_NOT_FOUND, "vector of \"%.64s\": tenant %lld does not exist",
                     listing_id, (long long)t);
    else if (r != SQLITE_DONE)
        rc = sq_fail(q, err, r, "vector of \"%.64s\": put", listing_id);
    sqlite3_reset(st);
done:
    sqlite3_clear_bindings(st);
    rc = sq_scope_end(q, own, rc, err);
out:
    free(blob);
    return rc;
}

static int sq_vector_delete(store *s, tenant_id t, const char *listing_id, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    bool own = false;
    int rc = sx_stmt(q, SX_VECTOR_DELETE, &st, err);
    if (rc)
        return rc;
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, listing_id);
    if (b != SQLITE_OK)
        rc = sq_fail(q, err, b, "vector: bind");
    else
        rc = sq_run(q, st, err, "vector of \"%.64s\": delete", listing_id ? listing_id : "");
    return sq_scope_end(q, own, rc, err);
}

static int sq_vector_hashes(store *s, tenant_id t, const char *model, arena *a,
                            store_vector_hash **out, int *n, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    store_vector_hash *items = NULL;
    int count = 0, cap = 0, r;

    *out = NULL;
    *n = 0;
    int rc = sx_stmt(q, SX_VECTOR_HASHES, &st, err);
    if (rc)
        return rc;
    sq_reader rd = {a, st, 0};
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, model);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "vector hashes: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == INT_MAX / 2) {
            rc = pt_fail(err, PT_ERR_TOO_LARGE, "vector hashes: too many vectors");
            goto done;
        }
        items = arena_grow(a, items, count, &cap, sizeof *items);
        if (items == NULL) {
            rc = pt_fail(err, PT_ERR_NOMEM, "vector hashes: out of memory");
            goto done;
        }
        items[count].listing_id = rd_str(&rd, 0);
        items[count].text_hash = rd_str(&rd, 1);
        count++;
        if (rd.oom) {
            rc = pt_fail(err, PT_ERR_NOMEM, "vector hashes: out of memory");
            goto done;
        }
    }
    if (r != SQLITE_DONE) {
        rc = sq_fail(q, err, r, "vector hashes");
        goto done;
    }
    *out = items;
    *n = count;
done:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int sq_vector_each(store *s, tenant_id t, const char *model,
                          int (*fn)(void *ctx, const char *listing_id, const float *v, int dim),
                          void *ctx, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    float *v = NULL;
    int v_dim = 0, r;

    int rc = sx_stmt(q, SX_VECTOR_EACH, &st, err);
    if (rc)
        return rc;
    int b = sqlite3_bind_int64(st, 1, t) | bind_text(st, 2, model);
    if (b != SQLITE_OK) {
        rc = sq_fail(q, err, b, "vectors: bind");
        goto done;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        int dim = sqlite3_column_int(st, 1);
        const void *blob = sqlite3_column_blob(st, 2);
        int bytes = sqlite3_column_bytes(st, 2);
        if (id == NULL || dim < 1 || dim > SX_VECTOR_DIM_MAX || blob == NULL ||
            bytes != dim * 4) {
            log_warn("store: vector of \"%.64s\" (tenant %lld) is malformed; skipped",
                     id ? id : "?", (long long)t);
            continue;
        }
        if (dim > v_dim) {
            float *nv = realloc(v, (size_t)dim * sizeof *nv);
            if (nv == NULL) {
                rc = pt_fail(err, PT_ERR_NOMEM, "vectors: out of memory");
                goto done;
            }
            v = nv;
            v_dim = dim;
        }
        sx_floats_le(v, blob, (size_t)dim);
        rc = fn(ctx, id, v, dim);
        if (rc)
            goto done;
    }
    if (r != SQLITE_DONE)
        rc = sq_fail(q, err, r, "vectors");
done:
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    free(v);
    return rc;
}

/* One integer of a per-tenant version row (statement sx with ?1 the
 * tenant); 0 when the tenant has none yet.  Kept as version kind (SQ_VER_*)
 * while the inventory epoch stands (sq_epoch_map). */
static int sx_version(sq *q, int sx, int kind, tenant_id t, int64_t *out, const char *what,
                      pt_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t v[2] = {0, 0};
    uint64_t e = 0;
    *out = 0;
    if (sq_ver_get(q, kind, t, v)) {
        *out = v[0];
        return 0;
    }
    int rc = sx_stmt(q, sx, &st, err);
    if (rc)
        return rc;
    bool keep = sq_ver_epoch(q, &e);
    sqlite3_bind_int64(st, 1, t);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (r != SQLITE_DONE)
        rc = sq_fail(q, err, r, "%s", what);
    sqlite3_reset(st);
    if (rc == 0 && keep) {
        v[0] = *out;
        sq_ver_put(q, kind, t, v, e);
    }
    return rc;
}

static int sq_vector_version(store *s, tenant_id t, int64_t *out, pt_error *err)
{
    return sx_version(s->impl, SX_VECTOR_VERSION, SQ_VER_VECTOR, t, out, "vector version", err);
}

static int sq_listing_version(store *s, tenant_id t, int64_t *out, pt_error *err)
{
    return sx_version(s->impl, SX_LISTING_VERSION, SQ_VER_LISTING, t, out, "listing version",
                      err);
}

static int sq_vector_purge(store *s, tenant_id t, int64_t *removed, pt_error *err)
{
    sq *q = s->impl;
    sqlite3_stmt *st = NULL;
    bool own = false;
    if (removed)
        *removed = 0;
    int rc = sx_stmt(q, SX_VECTOR_PURGE, &st, err);
    if (rc)
        return rc;
    rc = sq_scope_begin(q, &own, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, t);
    rc = sq_run(q, st, err, "vector purge");
    if (rc == 0 && removed)
        *removed = sqlite3_changes(q->db);
    return sq_scope_end(q, own, rc, err);
}

/* ------------------------------------------------------------------------ */

const store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .tenant_create = sq_tenant_create,
    .tenant_by_slug = sq_tenant_by_slug,
    .tenant_by_api_key = sq_tenant_by_api_key,
    .tenant_list = sq_tenant_list,
    .user_create = sq_user_create,
    .user_by_email = sq_user_by_email,
    .import_begin = sq_import_begin,
    .listing_upsert = sq_listing_upsert,
    .import_commit = sq_import_commit,
    .import_rollback = sq_import_rollback,
    .listing_get = sq_listing_get,
    .listings_get_many = sq_listings_get_many,
    .listing_delete = sq_listing_delete,
    .listing_count = sq_listing_count,
    .listing_search = sq_listing_search,
    .locality_stats = sq_locality_stats,
    .agent_create = sq_agent_create,
    .slot_add = sq_slot_add,
    .slots_free = sq_slots_free,
    .appointment_book = sq_appointment_book,
    .appointment_count = sq_appointment_count,
    .appointments_upcoming = sq_appointments_upcoming,
    .turn_begin = sq_turn_begin,
    .turn_commit = sq_turn_commit,
    .turn_rollback = sq_turn_rollback,
    .session_get = sq_session_get,
    .session_put = sq_session_put,
    .message_append = sq_message_append,
    .messages_list = sq_messages_list,
    .profile_get = sq_profile_get,
    .profile_put = sq_profile_put,
    .lead_put = sq_lead_put,
    .turns_write = sq_turns_write,
    .tenant_by_id = sq_tenant_by_id,
    .listing_page = sq_listing_page,
    .vector_put = sq_vector_put,
    .vector_delete = sq_vector_delete,
    .vector_hashes = sq_vector_hashes,
    .vector_each = sq_vector_each,
    .vector_version = sq_vector_version,
    .listing_version = sq_listing_version,
    .read_begin = sq_read_begin,
    .read_end = sq_read_end,
    .vector_purge = sq_vector_purge,
    .import_bulk_begin = sq_import_bulk_begin,
    .import_bulk_end = sq_import_bulk_end,
    .listing_text_count = sq_listing_text_count,
    .listing_upsert_many = sq_listing_upsert_many,
    .state_get = sq_state_get,
};
