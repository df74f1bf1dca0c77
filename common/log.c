/*
 * log.c: line-oriented logging to stderr.
 *
 * Each line is formatted into a stack buffer and written with one write(2),
 * so lines from several processes sharing a container's stderr never
 * interleave mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define LOG_LINE_MAX		4096
#define LOG_LIBEVENT_BURST	10	/* libevent lines per window at most */
#define LOG_LIBEVENT_WINDOW_S	10

/* The logger's configuration: the only process-wide mutable state. */
static struct {
	const char	*component;
	enum log_level	 level;
	bool		 json;
} log_state = { "dialhook", LOG_LEVEL_INFO, false };

/* Rate limit of libevent's own lines (log_route_libevent): part of the logger's state. */
static struct {
	time_t		 window;	/* CLOCK_MONOTONIC second the window started */
	unsigned	 n;		/* lines written in it */
	unsigned long	 suppressed;	/* lines dropped since the last one written */
} log_libevent_rate;

static const char *const log_level_names[] = { "debug", "info", "warn", "error" };

void
log_setup(const char *component, enum log_level level, bool json)
{
	log_state.component = component;
	log_state.level = level;
	log_state.json = json;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return level >= log_state.level;
}

char *
log_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t	 o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < srclen; i++) {
		unsigned char c = (unsigned char)src[i];
		int need = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? 6 : 1;

		if (o + (size_t)need + 4 > dstlen) {
			if (o + 4 <= dstlen)
				memcpy(dst + o, "...", 3), o += 3;
			break;
		}
		if (need == 6)
			o += (size_t)snprintf(dst + o, dstlen - o, "\\u%04x", c);
		else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return dst;
}

/* Append printf output to buf at *off, clamping at the end of buf. */
static void
log_append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = (*off + (size_t)n < len) ? *off + (size_t)n : len - 1;
}

/* Format the current UTC time as RFC 3339 with milliseconds. */
static void
log_timestamp(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000) % 1000);
}

/*
 * End of a quoted value starting at q (just after its opening quote): the
 * first '"' followed by the end of the text or by " key=". A quote inside the
 * value (libpq messages quote names) does not end it.
 */
static const char *
log_quoted_end(const char *q)
{
	for (const char *c = strchr(q, '"'); c; c = strchr(c + 1, '"')) {
		const char *k = c + 1;

		if (*k == '\0')
			return c;
		if (*k != ' ')
			continue;
		k++;
		k += strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (k > c + 2 && *k == '=')
			return c;
	}
	return q + strlen(q);
}

/* Append s (n bytes) as the inside of a JSON string: quotes, backslashes and controls escaped. */
static void
log_json_string(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			log_append(buf, len, off, "\\%c", c);
		else if (c < 0x20)
			log_append(buf, len, off, "\\u%04x", c);
		else
			log_append(buf, len, off, "%c", c);
	}
}

/* Convert one "key=value" or "key=\"value\"" pair at p to a JSON member; return the rest. */
static const char *
log_json_pair(char *buf, size_t len, size_t *off, const char *p)
{
	const char	*eq, *v, *end;

	while (*p == ' ')
		p++;
	eq = strchr(p, '=');
	if (*p == '\0' || eq == NULL)
		return p + strlen(p);
	v = eq + 1;
	if (*v == '"') {
		v++;
		end = log_quoted_end(v);
	} else
		end = v + strcspn(v, " ");
	log_append(buf, len, off, ",\"%.*s\":\"", (int)(eq - p), p);
	log_json_string(buf, len, off, v, (size_t)(end - v));
	log_append(buf, len, off, "\"");
	return *end == '"' ? end + 1 : end;
}

/*
 * Split the formatted text at the first '|': the left part is the message,
 * the right part the key=value pairs (emitted verbatim in text mode, turned
 * into JSON members in json mode).
 */
static void
log_emit(enum log_level level, const char *text)
{
	char		 line[LOG_LINE_MAX], ts[96];
	const char	*bar = strchr(text, '|');
	size_t		 msglen = bar ? (size_t)(bar - text) : strlen(text);
	size_t		 off = 0;

	log_timestamp(ts, sizeof(ts));
	if (!log_state.json) {
		log_append(line, sizeof(line), &off, "ts=%s level=%s comp=%s msg=\"%.*s\"",
		    ts, log_level_names[level], log_state.component, (int)msglen, text);
		if (bar)
			log_append(line, sizeof(line), &off, " %s", bar + 1);
	} else {
		log_append(line, sizeof(line), &off,
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"comp\":\"%s\",\"msg\":\"",
		    ts, log_level_names[level], log_state.component);
		log_json_string(line, sizeof(line), &off, text, msglen);
		log_append(line, sizeof(line), &off, "\"");
		for (const char *p = bar ? bar + 1 : NULL; p && *p;)
			p = log_json_pair(line, sizeof(line), &off, p);
		log_append(line, sizeof(line), &off, "}");
	}
	if (off >= sizeof(line) - 1)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	(void)!write(STDERR_FILENO, line, off);
}

void
log_write(enum log_level level, const char *fmt, ...)
{
	char	 text[LOG_LINE_MAX];
	va_list	 ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_emit(level, text);
}

void
log_fatal(const char *fmt, ...)
{
	char	 text[LOG_LINE_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_emit(LOG_LEVEL_ERROR, text);
	exit(1);
}

void
log_sink(enum log_level level, const char *msg, void *arg)
{
	(void)arg;
	if (log_enabled(level))
		log_emit(level, msg);
}

/* event_set_log_callback target: libevent's line, escaped, at most LOG_LIBEVENT_BURST per window. */
static void
log_libevent(int severity, const char *msg)
{
	enum log_level	 level = severity >= EVENT_LOG_WARN ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG;
	struct timespec	 now;
	char		 esc[512];

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - log_libevent_rate.window >= LOG_LIBEVENT_WINDOW_S) {
		log_libevent_rate.window = now.tv_sec;
		log_libevent_rate.n = 0;
	}
	if (log_libevent_rate.n >= LOG_LIBEVENT_BURST) {
		log_libevent_rate.suppressed++;
		return;
	}
	log_libevent_rate.n++;
	log_escape(esc, sizeof(esc), msg, strlen(msg));
	log_write(level, "libevent|detail=\"%s\" suppressed=%lu", esc, log_libevent_rate.suppressed);
	log_libevent_rate.suppressed = 0;
}

void
log_route_libevent(void)
{
	event_set_log_callback(log_libevent);
}
