/*
 * secrets.c: parse and look up the per-app secrets file (format in
 * secrets.h). Key material is wiped with sodium_memzero before any buffer
 * that held it is freed; error messages never quote the input.
 */
#include "secrets.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <sodium.h>

#define SECRETS_APP_ID_MAX	64

/* One parsed line: the public view plus what parsing and freeing need. */
struct entry {
	struct secret	 pub;
	char		*block;		/* app_id NUL key NUL, one allocation */
	size_t		 blocklen;
	size_t		 line;
};

struct secrets {
	struct entry	*items;
	size_t		 n;
	size_t		 cap;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* true if p[0..n) matches [A-Za-z0-9_-]{1,64}. */
static bool
valid_app_id(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n > SECRETS_APP_ID_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char	c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* The entry named p[0..n), or NULL. */
static struct entry *
find_entry(const struct secrets *s, const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strlen(s->items[i].pub.app_id) == n &&
		    memcmp(s->items[i].pub.app_id, p, n) == 0)
			return &s->items[i];
	return NULL;
}

/* Appends app id[0..idn) with key[0..keyn) read on line. 0 or -1 (OOM). */
static int
add_entry(struct secrets *s, const char *id, size_t idn, const char *key,
    size_t keyn, size_t line)
{
	struct entry	*e;

	if (s->n == s->cap) {
		size_t	 cap = s->cap ? s->cap * 2 : 8;
		void	*p = realloc(s->items, cap * sizeof(*s->items));

		if (p == NULL)
			return -1;
		s->items = p;
		s->cap = cap;
	}
	e = &s->items[s->n];
	e->blocklen = idn + 1 + keyn + 1;
	if ((e->block = malloc(e->blocklen)) == NULL)
		return -1;
	memcpy(e->block, id, idn);
	e->block[idn] = '\0';
	memcpy(e->block + idn + 1, key, keyn);
	e->block[idn + 1 + keyn] = '\0';
	e->pub.app_id = e->block;
	e->pub.key = (const unsigned char *)e->block + idn + 1;
	e->pub.len = keyn;
	e->line = line;
	s->n++;
	return 0;
}

/*
 * Parses one line p[0..n) (without its LF), number line, into s. 0, or -1
 * with "line N: ..." in err.
 */
static int
parse_line(struct secrets *s, const char *p, size_t n, size_t line,
    char *err, size_t errlen)
{
	const struct entry	*dup;
	size_t			 b = 0, idn, k;

	while (n > 0 && (is_blank(p[n - 1]) || p[n - 1] == '\r'))
		n--;
	while (b < n && is_blank(p[b]))
		b++;
	if (b == n || p[b] == '#')
		return 0;
	for (idn = 0; b + idn < n && !is_blank(p[b + idn]); idn++)
		;
	if (!valid_app_id(p + b, idn)) {
		util_set_err(err, errlen, "line %zu: invalid app id "
		    "(expected 1 to 64 of A-Z a-z 0-9 _ -)", line);
		return -1;
	}
	for (k = b + idn; k < n && is_blank(p[k]); k++)
		;
	if (k == n) {
		util_set_err(err, errlen, "line %zu: missing secret", line);
		return -1;
	}
	if (memchr(p + k, '\0', n - k) != NULL) {
		util_set_err(err, errlen, "line %zu: secret contains a NUL byte", line);
		return -1;
	}
	if ((dup = find_entry(s, p + b, idn)) != NULL) {
		util_set_err(err, errlen, "line %zu: duplicate app id "
		    "(first defined on line %zu)", line, dup->line);
		return -1;
	}
	if (add_entry(s, p + b, idn, p + k, n - k, line) == -1) {
		util_set_err(err, errlen, "line %zu: out of memory", line);
		return -1;
	}
	return 0;
}

struct secrets *
secrets_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct secrets	*s;
	size_t		 pos = 0, line = 0;

	if (text == NULL && len > 0) {
		util_set_err(err, errlen, "no text");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		util_set_err(err, errlen, "out of memory");
		return NULL;
	}
	while (pos < len) {
		const char	*p = text + pos;
		const char	*nl = memchr(p, '\n', len - pos);
		size_t		 n = nl ? (size_t)(nl - p) : len - pos;

		pos += n + (nl ? 1 : 0);
		if (parse_line(s, p, n, ++line, err, errlen) == -1) {
			secrets_free(s);
			return NULL;
		}
	}
	return s;
}

/* Moves buf[0..used) into a buffer of twice the size, wiping the old one. */
static char *
grow_wiped(char *buf, size_t used, size_t *cap)
{
	char	*p = malloc(*cap * 2);

	if (p != NULL) {
		memcpy(p, buf, used);
		*cap *= 2;
	}
	sodium_memzero(buf, used);
	free(buf);
	return p;
}

/*
 * Reads all of f into a malloc'd buffer (*n bytes). NULL with errno set on
 * a read error; errno EFBIG if it exceeds SECRETS_MAX_FILE.
 */
static char *
read_all(FILE *f, size_t *n)
{
	size_t	 cap = 4096, used = 0, got;
	char	*buf = malloc(cap);

	while (buf != NULL) {
		if (used == cap && (buf = grow_wiped(buf, used, &cap)) == NULL)
			break;
		got = fread(buf + used, 1, cap - used, f);
		used += got;
		if (used > SECRETS_MAX_FILE || ferror(f)) {
			errno = ferror(f) ? (errno ? errno : EIO) : EFBIG;
			sodium_memzero(buf, used);
			free(buf);
			return NULL;
		}
		if (got == 0 && feof(f)) {
			*n = used;
			return buf;
		}
	}
	errno = ENOMEM;
	return NULL;
}

struct secrets *
secrets_load(const char *path, char *err, size_t errlen)
{
	struct secrets	*s;
	struct stat	 sb;
	FILE		*f;
	char		*buf, msg[256];
	size_t		 n = 0;

	if (path == NULL || (f = fopen(path, "rb")) == NULL) {
		util_set_err(err, errlen, "could not open secrets file \"%s\": %s",
		    path ? path : "(null)", strerror(path ? errno : EINVAL));
		return NULL;
	}
	if (fstat(fileno(f), &sb) != 0) {
		util_set_err(err, errlen, "could not stat secrets file \"%s\": %s", path,
		    strerror(errno));
		fclose(f);
		return NULL;
	}
	if (S_ISREG(sb.st_mode) && (sb.st_mode & 077) != 0) {
		util_set_err(err, errlen, "secrets file \"%s\" has mode %04o: it is accessible by group "
		    "or others; make it 0600 or 0400 (chmod go= FILE)", path,
		    (unsigned)(sb.st_mode & 07777));
		fclose(f);
		return NULL;
	}
	errno = 0;
	buf = read_all(f, &n);
	if (buf == NULL) {
		util_set_err(err, errlen, "could not read secrets file \"%s\": %s",
		    path, strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	s = secrets_parse(buf, n, msg, sizeof(msg));
	if (s == NULL)
		util_set_err(err, errlen, "%s: %s", path, msg);
	sodium_memzero(buf, n);
	free(buf);
	return s;
}

const struct secret *
secrets_find(const struct secrets *s, const char *app_id)
{
	const struct entry	*e;

	if (s == NULL || app_id == NULL)
		return NULL;
	e = find_entry(s, app_id, strlen(app_id));
	return e ? &e->pub : NULL;
}

size_t
secrets_count(const struct secrets *s)
{
	return s ? s->n : 0;
}

void
secrets_free(struct secrets *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		sodium_memzero(s->items[i].block, s->items[i].blocklen);
		free(s->items[i].block);
	}
	free(s->items);
	free(s);
}
