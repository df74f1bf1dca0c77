/*
 * log.h: one line per event on stderr, for containers.
 *
 * Format "text" (default):  ts=... level=info comp=ingest msg="..." key=value ...
 * Format "json":            {"ts":"...","level":"info","comp":"ingest","msg":"...",...}
 * Callers pass the message and key=value pairs in one printf format; values
 * that come from requests must go through log_escape() first so a hostile
 * client cannot forge lines. The level and output format are the only
 * process-wide state in dialhook (set once at start-up).
 */
#ifndef DH_LOG_H
#define DH_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

/* Set up once: component name ("ingest"), minimum level, json or text. */
void	log_setup(const char *component, enum log_level level, bool json);

/* Parse "debug", "info", "warn", "error"; -1 if unknown. */
int	log_level_parse(const char *s, enum log_level *out);

bool	log_enabled(enum log_level level);

/*
 * Emit one line. fmt is the message, optionally followed by " key=value"
 * pairs after a '|' separator: log_info("batch committed|rows=%d took_ms=%.1f", n, ms).
 */
void	log_write(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Copy src (srclen bytes, not NUL-terminated) into dst as printable ASCII:
 * control characters, quotes, backslashes and bytes >= 0x7f become \u00NN (valid in JSON strings too).
 * Always NUL-terminates; truncates with "..." if dst is too small. Returns dst.
 */
char	*log_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

#define log_debug(...) do { if (log_enabled(LOG_LEVEL_DEBUG)) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  do { if (log_enabled(LOG_LEVEL_INFO))  log_write(LOG_LEVEL_INFO, __VA_ARGS__); } while (0)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

/*
 * The logger as a callback, for the modules of common/ that report through
 * one (httpserv): msg is "message|key=value ..." as for log_write; arg is
 * unused.
 */
void	log_sink(enum log_level level, const char *msg, void *arg);

/*
 * Send libevent's own warnings and errors through the logger (debug for
 * the rest), escaped, at most 10 lines per 10 s; each line says how many
 * were dropped before it (suppressed=N). Call once at start-up.
 */
void	log_route_libevent(void);

/* Log at error level and exit(1): only for start-up failures in main(). */
void	log_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
