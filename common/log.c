/*
 * log.c: line-oriented logging to stderr (see log.h).
 *
 * Each line is rendered into a stack buffer from the message and its typed
 * pairs and written with one write(2), so lines from several processes
 * sharing a container's stderr never interleave mid-line.
 */
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define LOG_LINE_MAX		4096
/* Room kept for closing a cut line: `..."}` plus the NUL. */
#define LOG_CLOSE_ROOM		8
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

/*
 * A line being rendered into buf[0..off). Ordinary appends stop at lim, which
 * leaves LOG_CLOSE_ROOM bytes for closing a value that was cut (`..."}`).
 */
struct log_out {
	char	*buf;
	size_t	 off, lim, len;
	bool	 cut;
};

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

/* Append n raw bytes if they fit whole before lim; otherwise mark the line cut. */
static void
out_raw(struct log_out *o, const char *s, size_t n)
{
	if (o->cut || o->off + n > o->lim) {
		o->cut = true;
		return;
	}
	memcpy(o->buf + o->off, s, n);
	o->off += n;
}

static void
out_str(struct log_out *o, const char *s)
{
	out_raw(o, s, strlen(s));
}

/* Append s into the closing room (after lim, before the final NUL): only to close a line. */
static void
out_close(struct log_out *o, const char *s)
{
	size_t	 n = strlen(s);

	if (o->off + n >= o->len)
		n = o->len - 1 - o->off;
	memcpy(o->buf + o->off, s, n);
	o->off += n;
}

/*
 * Append s (n bytes) between double quotes, escaped: '"' and '\' get a
 * backslash, control bytes and bytes >= 0x7f become \u00NN (valid both as a
 * JSON string and as a logfmt quoted value). A value that does not fit is
 * cut, marked "..." and still closed.
 */
static void
out_quoted(struct log_out *o, const char *s, size_t n)
{
	char	 esc[8];

	out_raw(o, "\"", 1);
	for (size_t i = 0; i < n && !o->cut; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			out_raw(o, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			out_raw(o, esc, 6);
		} else
			out_raw(o, (const char *)&c, 1);
	}
	out_close(o, o->cut ? "...\"" : "\"");
}

/* A text-form value may go bare when it is non-empty and holds only these. */
static bool
bare_ok(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("._:/@+-,", c) != NULL))
			return false;
	}
	return true;
}

/* A pair's value as text: strings point at their bytes, numbers are formatted into tmp. */
static void
kv_text(const struct log_kv *kv, char *tmp, size_t tmplen, const char **s, size_t *n)
{
	switch (kv->type) {
	case LOG_KV_STR:
		*s = kv->v.s ? kv->v.s : "";
		*n = strlen(*s);
		return;
	case LOG_KV_STRN:
		*s = kv->v.s ? kv->v.s : "";
		*n = kv->v.s ? kv->len : 0;
		return;
	case LOG_KV_INT:
		snprintf(tmp, tmplen, "%" PRId64, kv->v.i);
		break;
	case LOG_KV_UINT:
		snprintf(tmp, tmplen, "%" PRIu64, kv->v.u);
		break;
	case LOG_KV_DBL:
		snprintf(tmp, tmplen, "%.1f", kv->v.d);
		break;
	case LOG_KV_BOOL:
		snprintf(tmp, tmplen, "%s", kv->v.b ? "true" : "false");
		break;
	case LOG_KV_END:
		tmp[0] = '\0';
		break;
	}
	*s = tmp;
	*n = strlen(tmp);
}

/*
 * One pair: ` key=value` (value quoted unless bare_ok) or `,"key":"value"`.
 * Nothing is written unless the key and a few value bytes fit.
 */
static void
out_pair(struct log_out *o, const struct log_kv *kv, bool json)
{
	char		 tmp[64];
	const char	*s;
	size_t		 n, klen = strlen(kv->key);

	if (o->off + klen + 8 > o->lim) {
		o->cut = true;
		return;
	}
	kv_text(kv, tmp, sizeof(tmp), &s, &n);
	out_str(o, json ? ",\"" : " ");
	out_raw(o, kv->key, klen);
	out_str(o, json ? "\":" : "=");
	if (!json && bare_ok(s, n) && o->off + n <= o->lim)
		out_raw(o, s, n);
	else
		out_quoted(o, s, n);
}

size_t
log_render(char *buf, size_t len, const char *ts, enum log_level level, const char *msg,
    const struct log_kv *kv)
{
	struct log_out	 o = { buf, 0, len > LOG_CLOSE_ROOM ? len - LOG_CLOSE_ROOM : 0, len, false };
	bool		 json = log_state.json;

	if (len <= LOG_CLOSE_ROOM) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	out_str(&o, json ? "{\"ts\":\"" : "ts=");
	out_str(&o, ts);
	out_str(&o, json ? "\",\"level\":\"" : " level=");
	out_str(&o, log_level_names[level]);
	if (json) {
		out_str(&o, "\",\"comp\":");
		out_quoted(&o, log_state.component, strlen(log_state.component));
	} else {
		out_str(&o, " comp=");		/* our own constant: no quoting needed */
		out_str(&o, log_state.component);
	}
	out_str(&o, json ? ",\"msg\":" : " msg=");
	out_quoted(&o, msg ? msg : "", msg ? strlen(msg) : 0);
	for (; kv != NULL && kv->type != LOG_KV_END && !o.cut; kv++)
		out_pair(&o, kv, json);
	if (json)
		out_close(&o, "}");
	buf[o.off] = '\0';
	return o.off;
}

/* The current UTC time as RFC 3339 with milliseconds. */
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

void
log_kv_write(enum log_level level, const char *msg, const struct log_kv *kv)
{
	char	 line[LOG_LINE_MAX], ts[96];
	size_t	 n;

	if (!log_enabled(level))
		return;
	log_timestamp(ts, sizeof(ts));
	n = log_render(line, sizeof(line) - 1, ts, level, msg, kv);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

void
log_sink(enum log_level level, const char *msg, const struct log_kv *kv, void *arg)
{
	(void)arg;
	log_kv_write(level, msg, kv);
}

/* event_set_log_callback target: libevent's line, at most LOG_LIBEVENT_BURST per window. */
static void
log_libevent(int severity, const char *msg)
{
	enum log_level	 level = severity >= EVENT_LOG_WARN ? LOG_LEVEL_WARN : LOG_LEVEL_DEBUG;
	struct timespec	 now;

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
	log_at(level, "libevent", LOG_S("detail", msg), LOG_U("suppressed", log_libevent_rate.suppressed),
	    LOG_END);
	log_libevent_rate.suppressed = 0;
}

void
log_route_libevent(void)
{
	event_set_log_callback(log_libevent);
}
