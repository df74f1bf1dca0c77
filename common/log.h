/*
 * log.h: one line per event on stderr, for containers.
 *
 * Format "text" (default):  ts=... level=info comp=ingest msg="..." key=value ...
 * Format "json":            {"ts":"...","level":"info","comp":"ingest","msg":"...",...}
 *
 * A line is a message plus typed key/value pairs, passed explicitly:
 *
 *	log_info("batch committed", LOG_U("events", n), LOG_F("took_ms", ms));
 *	log_warn("database unavailable", LOG_S("reason", PQerrorMessage(c)));
 *
 * Both forms are rendered from those pairs, never by re-parsing text, so a
 * value may hold anything (quotes, '=', '|', newlines, bytes >= 0x7f): it is
 * escaped by the renderer and cannot forge a key or a line. Keys are the
 * caller's constants ([a-z0-9_]). In JSON every value is a string, as the
 * text form shows it. The level and output format are the only process-wide
 * state in dialhook (set once at start-up).
 */
#ifndef DH_LOG_H
#define DH_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

enum log_kv_type {
	LOG_KV_END,	/* terminates a list (key NULL) */
	LOG_KV_STR,	/* NUL-terminated; NULL prints as an empty string */
	LOG_KV_STRN,	/* len bytes, not terminated */
	LOG_KV_INT,
	LOG_KV_UINT,
	LOG_KV_DBL,	/* printed with one decimal */
	LOG_KV_BOOL,
};

/* One key=value pair. Build it with the LOG_* macros, never by hand. */
struct log_kv {
	const char		*key;
	enum log_kv_type	 type;
	size_t			 len;	/* LOG_KV_STRN only */
	union {
		const char	*s;
		int64_t		 i;
		uint64_t	 u;
		double		 d;
		bool		 b;
	} v;
};

#define LOG_S(k, x)	((struct log_kv){ .key = (k), .type = LOG_KV_STR, .v.s = (x) })
#define LOG_SN(k, x, n)	((struct log_kv){ .key = (k), .type = LOG_KV_STRN, .len = (n), .v.s = (x) })
#define LOG_I(k, x)	((struct log_kv){ .key = (k), .type = LOG_KV_INT, .v.i = (int64_t)(x) })
#define LOG_U(k, x)	((struct log_kv){ .key = (k), .type = LOG_KV_UINT, .v.u = (uint64_t)(x) })
#define LOG_F(k, x)	((struct log_kv){ .key = (k), .type = LOG_KV_DBL, .v.d = (double)(x) })
#define LOG_B(k, x)	((struct log_kv){ .key = (k), .type = LOG_KV_BOOL, .v.b = (x) })
#define LOG_END		((struct log_kv){ .key = NULL, .type = LOG_KV_END })

/* Set up once: component name ("ingest"), minimum level, json or text. */
void	log_setup(const char *component, enum log_level level, bool json);

/* Parse "debug", "info", "warn" (or "warning"), "error"; -1 if unknown. */
int	log_level_parse(const char *s, enum log_level *out);

bool	log_enabled(enum log_level level);

/* Emit one line: msg and the pairs of kv up to its LOG_END. Written with one write(2). */
void	log_kv_write(enum log_level level, const char *msg, const struct log_kv *kv);

/*
 * Render one line (without the newline) into buf, as log_kv_write would,
 * with the given timestamp text. Always NUL-terminates; a line that does
 * not fit is cut inside a value (marked "...") and still closed properly.
 * Returns the length. For tests and for log_kv_write.
 */
size_t	log_render(char *buf, size_t len, const char *ts, enum log_level level, const char *msg,
	    const struct log_kv *kv);

/* The pairs go in the macro's variable part; the trailing LOG_END keeps it C11. */
#define log_at(level, msg, ...) do {						\
	if (log_enabled(level)) {						\
		const struct log_kv log_kv_[] = { __VA_ARGS__ };		\
		log_kv_write((level), (msg), log_kv_);				\
	}									\
} while (0)

#define log_debug(...)	log_at(LOG_LEVEL_DEBUG, __VA_ARGS__, LOG_END)
#define log_info(...)	log_at(LOG_LEVEL_INFO, __VA_ARGS__, LOG_END)
#define log_warn(...)	log_at(LOG_LEVEL_WARN, __VA_ARGS__, LOG_END)
#define log_error(...)	log_at(LOG_LEVEL_ERROR, __VA_ARGS__, LOG_END)

/*
 * The logger as a callback, for the modules of common/ that report through
 * one instead of logging (httpserv); arg is unused.
 */
void	log_sink(enum log_level level, const char *msg, const struct log_kv *kv, void *arg);

/*
 * Send libevent's own warnings and errors through the logger (debug for
 * the rest), at most 10 lines per 10 s; each line says how many were
 * dropped before it (suppressed=N). Call once at start-up.
 */
void	log_route_libevent(void);

/* Log at error level and exit(status): only for start-up failures in main(). */
#define log_fatal(status, ...) do {						\
	log_error(__VA_ARGS__);							\
	exit(status);								\
} while (0)

#endif
