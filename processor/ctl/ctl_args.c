/*
 * ctl_args.c: argument helpers shared by the subcommands: ids, ISO 8601
 * timestamps, durations, event-type globs, and the event filter of
 * reprocess and dead (options to SQL with parameters).
 */
#include "ctl.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
ctl_parse_id(const char *s, int64_t *out)
{
	return util_parse_int64(s, 1, INT64_MAX, out);
}

/* Consume exactly n digits at *p; 0 or -1. */
static int
ctl_digits(const char **p, int n)
{
	for (int i = 0; i < n; i++, (*p)++)
		if (!isdigit((unsigned char)**p))
			return -1;
	return 0;
}

/* Consume the optional time part "HH:MM[:SS[.fff]]" after the T or space; 0 or -1. */
static int
ctl_time_part(const char **p)
{
	if (ctl_digits(p, 2) != 0 || *(*p)++ != ':' || ctl_digits(p, 2) != 0)
		return -1;
	if (**p == ':') {
		(*p)++;
		if (ctl_digits(p, 2) != 0)
			return -1;
		if (**p == '.') {
			(*p)++;
			if (ctl_digits(p, 1) != 0)
				return -1;
			while (isdigit((unsigned char)**p))
				(*p)++;
		}
	}
	return 0;
}

int
ctl_is_timestamp(const char *s)
{
	const char	*p = s;

	if (ctl_digits(&p, 4) != 0 || *p++ != '-' || ctl_digits(&p, 2) != 0 || *p++ != '-' ||
	    ctl_digits(&p, 2) != 0)
		return 0;
	if (*p == '\0')
		return 1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (ctl_time_part(&p) != 0)
		return 0;
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0';
	if (*p == '+' || *p == '-') {
		p++;
		if (ctl_digits(&p, 2) != 0)
			return 0;
		if (*p == ':')
			p++;
		if (*p != '\0' && ctl_digits(&p, 2) != 0)
			return 0;
	}
	return *p == '\0';
}

int
ctl_parse_duration(const char *s, char *out, size_t len)
{
	static const struct { char c; const char *unit; } units[] = {
		{ 's', "seconds" }, { 'm', "minutes" }, { 'h', "hours" }, { 'd', "days" }, { 'w', "weeks" },
	};
	size_t	 n = strlen(s);
	char	 num[24];
	int64_t	 v;

	if (n < 2 || n - 1 >= sizeof(num))
		return -1;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (util_parse_int64(num, 0, 1000000000, &v) != 0 || !isdigit((unsigned char)num[0]))
		return -1;
	for (size_t i = 0; i < DH_ARRAY_LEN(units); i++) {
		if (s[n - 1] != units[i].c)
			continue;
		if (snprintf(out, len, "%lld %s", (long long)v, units[i].unit) >= (int)len)
			return -1;
		return 0;
	}
	return -1;
}

void
ctl_glob_to_array_elem(struct strbuf *b, const char *glob)
{
	strbuf_append(b, "\"", 1);
	for (const char *p = glob; *p != '\0'; p++) {
		switch (*p) {
		case '*':
			strbuf_append(b, "%", 1);
			break;
		case '?':
			strbuf_append(b, "_", 1);
			break;
		case '%':
		case '_':
			/* LIKE escape, itself escaped for the array literal */
			strbuf_append(b, "\\\\", 2);
			strbuf_append(b, p, 1);
			break;
		case '\\':
			strbuf_append(b, "\\\\\\\\", 4);
			break;
		case '"':
			strbuf_append(b, "\\\"", 2);
			break;
		default:
			strbuf_append(b, p, 1);
		}
	}
	strbuf_append(b, "\"", 1);
}

int
ctl_opt_value(const char *opt, const char *cmd, int argc, char **argv, int *i, const char **val)
{
	size_t	 n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -ctl_usage_error(cmd, "%s needs a value", opt);
	*val = argv[++*i];
	return 1;
}

/* Open the array literal b for one more element: "{" or "{a,b}" -> "{a,b,". */
static void
ctl_array_open(struct strbuf *b)
{
	if (b->len == 0) {
		strbuf_append(b, "{", 1);
		return;
	}
	b->p[--b->len] = '\0';	/* drop the closing brace */
	strbuf_append(b, ",", 1);
}

/* Add one --type glob or --id to f; 1, or -2 after a usage error. */
static int
ctl_filter_add_list(struct ctl_filter *f, const char *cmd, int is_type, const char *v)
{
	int64_t	 id;

	if (is_type) {
		if (*v == '\0')
			return -ctl_usage_error(cmd, "--type needs an event type or glob such as 'call.*'");
		ctl_array_open(&f->types);
		ctl_glob_to_array_elem(&f->types, v);
		strbuf_append(&f->types, "}", 1);
		f->ntypes++;
		return 1;
	}
	if (ctl_parse_id(v, &id) != 0)
		return -ctl_usage_error(cmd, "--id wants a positive event id, not '%s'", v);
	ctl_array_open(&f->ids);
	strbuf_printf(&f->ids, "%lld}", (long long)id);
	f->nids++;
	return 1;
}

/* Store a --since/--until value after checking it; 1, or -2 after a usage error. */
static int
ctl_filter_time(const char **dst, const char *cmd, const char *v)
{
	if (!ctl_is_timestamp(v))
		return -ctl_usage_error(cmd, "'%s' is not an ISO 8601 time such as 2026-01-31 or "
		    "2026-01-31T12:00:00Z", v);
	*dst = v;
	return 1;
}

int
ctl_filter_arg(struct ctl_filter *f, const char *cmd, int argc, char **argv, int *i)
{
	const char	*v = NULL;
	int		 r;

	if ((r = ctl_opt_value("--since", cmd, argc, argv, i, &v)) != 0)
		return r < 0 ? r : ctl_filter_time(&f->since, cmd, v);
	if ((r = ctl_opt_value("--until", cmd, argc, argv, i, &v)) != 0)
		return r < 0 ? r : ctl_filter_time(&f->until, cmd, v);
	if ((r = ctl_opt_value("--app", cmd, argc, argv, i, &v)) != 0) {
		if (r < 0)
			return r;
		if (f->app != NULL)
			return -ctl_usage_error(cmd, "--app can be given once");
		f->app = v;
		return 1;
	}
	if ((r = ctl_opt_value("--type", cmd, argc, argv, i, &v)) != 0)
		return r < 0 ? r : ctl_filter_add_list(f, cmd, 1, v);
	if ((r = ctl_opt_value("--id", cmd, argc, argv, i, &v)) != 0)
		return r < 0 ? r : ctl_filter_add_list(f, cmd, 0, v);
	return 0;
}

int
ctl_filter_is_set(const struct ctl_filter *f)
{
	return f->since != NULL || f->until != NULL || f->app != NULL || f->ntypes > 0 || f->nids > 0;
}

void
ctl_filter_sql(const struct ctl_filter *f, struct strbuf *sql, const char **params, int *nparams)
{
	if (f->since != NULL) {
		params[(*nparams)++] = f->since;
		strbuf_printf(sql, " AND received_at >= $%d::timestamptz", *nparams);
	}
	if (f->until != NULL) {
		params[(*nparams)++] = f->until;
		strbuf_printf(sql, " AND received_at < $%d::timestamptz", *nparams);
	}
	if (f->app != NULL) {
		params[(*nparams)++] = f->app;
		strbuf_printf(sql, " AND app_id = $%d", *nparams);
	}
	if (f->ntypes > 0) {
		params[(*nparams)++] = f->types.p;
		strbuf_printf(sql, " AND event_type LIKE ANY ($%d::text[])", *nparams);
	}
	if (f->nids > 0) {
		params[(*nparams)++] = f->ids.p;
		strbuf_printf(sql, " AND id = ANY ($%d::bigint[])", *nparams);
	}
}

void
ctl_filter_free(struct ctl_filter *f)
{
	strbuf_free(&f->types);
	strbuf_free(&f->ids);
}

void
ctl_json_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);	/* UTF-8 from PostgreSQL passes through */
	}
	fputc('"', fp);
}

/* Newline and two spaces per level. */
static void
ctl_json_indent(FILE *fp, int depth)
{
	fputc('\n', fp);
	for (int i = 0; i < depth; i++)
		fputs("  ", fp);
}

/* Index of the next non-blank byte of s at or after i. */
static size_t
ctl_json_skip_ws(const char *s, size_t i)
{
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	return i;
}

/* Copy the string literal starting at s[i] (the quote) to fp; index after it. */
static size_t
ctl_json_copy_string(FILE *fp, const char *s, size_t i)
{
	fputc(s[i++], fp);
	while (s[i] != '\0' && s[i] != '"') {
		if (s[i] == '\\' && s[i + 1] != '\0')
			fputc(s[i++], fp);
		fputc(s[i++], fp);
	}
	if (s[i] == '"')
		fputc(s[i++], fp);
	return i;
}

void
ctl_json_pretty(FILE *fp, const char *s)
{
	int	 depth = 0;

	for (size_t i = ctl_json_skip_ws(s, 0); s[i] != '\0'; i = ctl_json_skip_ws(s, i)) {
		char	 c = s[i];

		if (c == '"') {
			i = ctl_json_copy_string(fp, s, i);
			continue;
		}
		i++;
		if (c == '{' || c == '[') {
			size_t	 j = ctl_json_skip_ws(s, i);

			if (s[j] == (c == '{' ? '}' : ']')) {	/* empty: {} or [] */
				fprintf(fp, "%c%c", c, s[j]);
				i = j + 1;
				continue;
			}
			fputc(c, fp);
			ctl_json_indent(fp, ++depth);
		} else if (c == '}' || c == ']') {
			ctl_json_indent(fp, depth > 0 ? --depth : 0);
			fputc(c, fp);
		} else if (c == ',') {
			fputc(c, fp);
			ctl_json_indent(fp, depth);
		} else if (c == ':') {
			fputs(": ", fp);
		} else {
			fputc(c, fp);
		}
	}
	fputc('\n', fp);
}
