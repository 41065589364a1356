/*
 * log.h - one-line structured logs on stderr.  Level from PROPTALK_LOG
 * (error, warn, info, debug; default info, or the caller's).  Thread-safe (one fprintf per
 * line).  Never logs phone numbers or message text at info level.
 */
#ifndef PT_LOG_H
#define PT_LOG_H

enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Reads PROPTALK_LOG; log_init_default: the level when it is unset (the
 * commands other than serve keep quiet: warn). */
void log_init(void);
void log_init_default(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
