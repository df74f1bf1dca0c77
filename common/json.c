/*
 * json.c: strict JSON validator, raw-span accessors and canonical hashing.
 *
 * Everything works on (pointer, length) input that may hold any bytes: every
 * read is bounds-checked, nothing logs, and the only allocation is the member
 * table json_canonical_hash() builds per object.
 */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Validator state: the unread input and the current nesting depth. */
struct vstate {
	const unsigned char	*p;
	const unsigned char	*end;
	int			 depth;
};

/* One object member, as collected for canonical hashing. */
struct member {
	struct json_span	key;
	struct json_span	val;
	size_t			idx;	/* position in the object */
	char			*name;	/* the key unescaped (malloc'd, by collect_members) */
	size_t			namelen;
};

static int	v_value(struct vstate *);

/* JSON's insignificant whitespace: space, tab, LF, CR and nothing else. */
static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Length of the valid UTF-8 sequence starting at p (whose first byte is
 * >= 0x80), or 0 if it is invalid: overlong, a surrogate, above U+10FFFF
 * or cut off by end. Follows Unicode table 3-7.
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char	 lo = 0x80, hi = 0xBF;
	size_t		 n, i;

	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		n = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		lo = p[0] == 0xE0 ? 0xA0 : lo;
		hi = p[0] == 0xED ? 0x9F : hi;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		lo = p[0] == 0xF0 ? 0x90 : lo;
		hi = p[0] == 0xF4 ? 0x8F : hi;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* Writes code point cp (<= U+10FFFF) as UTF-8 into buf; returns the length. */
static size_t
utf8_encode(uint32_t cp, unsigned char buf[4])
{
	static const unsigned char	lead[] = { 0, 0x00, 0xC0, 0xE0, 0xF0 };
	size_t				n, i;

	n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
	for (i = n - 1; i > 0; i--, cp >>= 6)
		buf[i] = (unsigned char)(0x80 | (cp & 0x3F));
	buf[0] = (unsigned char)(lead[n] | cp);
	return n;
}

/* Reads four hex digits at p into *out. 0, or -1 if short or not hex. */
static int
hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
	uint32_t	v = 0;
	int		i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned char	c = p[i];

		if (is_digit(c))
			v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Decodes the \uXXXX escape at *pp (pointing at the backslash), combining a
 * surrogate pair, into *cp and advances *pp. -1 on bad hex, \u0000 or an
 * unpaired surrogate (PostgreSQL cannot turn those into text).
 */
static int
esc_unicode(const unsigned char **pp, const unsigned char *end, uint32_t *cp)
{
	const unsigned char	*p = *pp + 2;
	uint32_t		 hi, lo;

	if (hex4(p, end, &hi) == -1)
		return -1;
	p += 4;
	if (hi == 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
		return -1;
	if (hi >= 0xD800 && hi <= 0xDBFF) {
		if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
		    hex4(p + 2, end, &lo) == -1 || lo < 0xDC00 || lo > 0xDFFF)
			return -1;
		hi = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
		p += 6;
	}
	*cp = hi;
	*pp = p;
	return 0;
}

/*
 * Decodes the escape sequence at *pp (pointing at the backslash) into code
 * point *cp and advances *pp past it. -1 on anything RFC 8259 does not allow.
 */
static int
esc_decode(const unsigned char **pp, const unsigned char *end, uint32_t *cp)
{
	static const char	 from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*hit;

	if (end - *pp < 2)
		return -1;
	if ((*pp)[1] == 'u')
		return esc_unicode(pp, end, cp);
	if ((*pp)[1] == '\0' || (hit = strchr(from, (*pp)[1])) == NULL)
		return -1;
	*cp = (unsigned char)to[hit - from];
	*pp += 2;
	return 0;
}

/*
 * Decodes the next unit of string content at *pp (one raw byte or one
 * escape) into buf, sets *n to its byte count and advances *pp. 0 or -1.
 */
static int
str_chunk(const unsigned char **pp, const unsigned char *end,
    unsigned char buf[4], size_t *n)
{
	uint32_t	cp;

	if (**pp != '\\') {
		buf[0] = **pp;
		(*pp)++;
		*n = 1;
		return 0;
	}
	if (esc_decode(pp, end, &cp) == -1)
		return -1;
	*n = utf8_encode(cp, buf);
	return 0;
}

/*
 * Length of the JSON number (RFC 8259 grammar) at the start of [p, end), or
 * 0 if none starts there. The caller checks what follows it.
 */
static size_t
number_len(const unsigned char *p, const unsigned char *end)
{
	const unsigned char	*s = p;

	if (s < end && *s == '-')
		s++;
	if (s >= end || !is_digit(*s))
		return 0;
	if (*s++ != '0')
		while (s < end && is_digit(*s))
			s++;
	if (s < end && *s == '.') {
		if (++s >= end || !is_digit(*s))
			return 0;
		while (s < end && is_digit(*s))
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s >= end || !is_digit(*s))
			return 0;
		while (s < end && is_digit(*s))
			s++;
	}
	return (size_t)(s - p);
}

static void
v_ws(struct vstate *s)
{
	while (s->p < s->end && is_ws(*s->p))
		s->p++;
}

/* Validates the string at s->p (its opening quote). */
static int
v_string(struct vstate *s)
{
	uint32_t	cp;
	size_t		n;

	for (s->p++; s->p < s->end;) {
		unsigned char	c = *s->p;

		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (esc_decode(&s->p, s->end, &cp) == -1)
				return -1;
		} else if (c < 0x80)
			s->p++;
		else if ((n = utf8_seq(s->p, s->end)) == 0)
			return -1;
		else
			s->p += n;
	}
	return -1;
}

/* Length of the literal true, false or null at the start of [p, end), or 0. */
static size_t
word_len(const unsigned char *p, const unsigned char *end)
{
	static const char *const	words[] = { "true", "false", "null" };
	size_t				i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * Validates the array or object at s->p (its opening bracket), counting one
 * level of depth. Objects need a string and a colon before each value.
 */
static int
v_container(struct vstate *s, bool is_obj)
{
	unsigned char	close = is_obj ? '}' : ']';

	if (++s->depth > JSON_MAX_DEPTH)
		return -1;
	s->p++;
	v_ws(s);
	if (s->p < s->end && *s->p == close)
		goto done;
	for (;;) {
		if (is_obj) {
			v_ws(s);
			if (s->p >= s->end || *s->p != '"' || v_string(s) == -1)
				return -1;
			v_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
		}
		if (v_value(s) == -1 || s->p >= s->end)
			return -1;
		if (*s->p == close)
			break;
		if (*s->p++ != ',')
			return -1;
	}
done:
	s->p++;
	s->depth--;
	return 0;
}

/* Validates one value with the whitespace around it. */
static int
v_value(struct vstate *s)
{
	unsigned char	c;
	size_t		n;
	int		rc;

	v_ws(s);
	if (s->p >= s->end)
		return -1;
	c = *s->p;
	if (c == '{' || c == '[')
		rc = v_container(s, c == '{');
	else if (c == '"')
		rc = v_string(s);
	else {
		n = c == '-' || is_digit(c) ? number_len(s->p, s->end) :
		    word_len(s->p, s->end);
		s->p += n;
		rc = n > 0 ? 0 : -1;
	}
	v_ws(s);
	return rc;
}

int
json_validate(const char *buf, size_t len)
{
	struct vstate	s;

	if (buf == NULL)
		return -1;
	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	s.depth = 0;
	if (v_value(&s) == -1 || s.p != s.end)
		return -1;
	return 0;
}

/* Index of the first non-whitespace byte of p[i..n), or n. */
static size_t
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && is_ws((unsigned char)p[i]))
		i++;
	return i;
}

/* Length of the string starting at p[i] (a quote), or 0 if unterminated. */
static size_t
scan_string(const char *p, size_t i, size_t n)
{
	size_t	j;

	for (j = i + 1; j < n; j++) {
		if (p[j] == '\\')
			j++;
		else if (p[j] == '"')
			return j + 1 - i;
	}
	return 0;
}

/* Length of the array or object at p[i], by bracket counting; 0 if cut. */
static size_t
scan_container(const char *p, size_t i, size_t n)
{
	size_t	j, depth = 0, k;

	for (j = i; j < n; j++) {
		if (p[j] == '"') {
			if ((k = scan_string(p, j, n)) == 0)
				return 0;
			j += k - 1;
		} else if (p[j] == '{' || p[j] == '[')
			depth++;
		else if ((p[j] == '}' || p[j] == ']') && --depth == 0)
			return j + 1 - i;
	}
	return 0;
}


/*
 * Sets *out to the value starting at p[i] (not whitespace), looking no
 * further than p[n - 1]. Trusts validated input for the inner structure;
 * on other input it may return a wrong extent, never one past n.
 */
static int
scan_value(const char *p, size_t i, size_t n, struct json_span *out)
{
	const unsigned char	*u = (const unsigned char *)p;

	if (i >= n)
		return -1;
	out->p = p + i;
	if (p[i] == '"') {
		out->kind = JSON_STRING;
		out->len = scan_string(p, i, n);
	} else if (p[i] == '{' || p[i] == '[') {
		out->kind = p[i] == '{' ? JSON_OBJECT : JSON_ARRAY;
		out->len = scan_container(p, i, n);
	} else if (p[i] == '-' || is_digit(u[i])) {
		out->kind = JSON_NUMBER;
		out->len = number_len(u + i, u + n);
	} else {
		out->kind = p[i] == 'n' ? JSON_NULL : JSON_BOOL;
		out->len = word_len(u + i, u + n);
	}
	return out->len > 0 ? 0 : -1;
}

int
json_root(const char *buf, size_t len, struct json_span *out)
{
	if (json_validate(buf, len) == -1)
		return -1;
	return scan_value(buf, skip_ws(buf, 0, len), len, out);
}

/*
 * Steps through the members of an object (key != NULL) or the elements of
 * an array (key == NULL). *cursor is 0 at the start, then the offset where
 * the next item begins. 0 with the item in *key and *val, -1 at the end.
 */
static int
seq_next(const struct json_span *c, size_t *cursor, struct json_span *key,
    struct json_span *val)
{
	char	open = key ? '{' : '[', close = key ? '}' : ']';
	size_t	n, i;

	if (c == NULL || c->p == NULL || c->len < 2 ||
	    c->kind != (key ? JSON_OBJECT : JSON_ARRAY) ||
	    c->p[0] != open || c->p[c->len - 1] != close)
		return -1;
	n = c->len - 1;
	i = skip_ws(c->p, *cursor == 0 ? 1 : *cursor, n);
	if (i >= n)
		return -1;
	if (key) {
		if (scan_value(c->p, i, n, key) == -1 || key->kind != JSON_STRING)
			return -1;
		i = skip_ws(c->p, i + key->len, n);
		if (i >= n || c->p[i] != ':')
			return -1;
		i = skip_ws(c->p, i + 1, n);
	}
	if (scan_value(c->p, i, n, val) == -1)
		return -1;
	i = skip_ws(c->p, i + val->len, n);
	*cursor = i < n && c->p[i] == ',' ? i + 1 : n;
	return 0;
}

/* true if the string span k unescapes to exactly the C string name. */
static bool
key_equals(const struct json_span *k, const char *name)
{
	const unsigned char	*p = (const unsigned char *)k->p + 1;
	const unsigned char	*end = (const unsigned char *)k->p + k->len - 1;
	const unsigned char	*want = (const unsigned char *)name;
	unsigned char		 buf[4];
	size_t			 n, i;

	while (p < end) {
		if (str_chunk(&p, end, buf, &n) == -1)
			return false;
		for (i = 0; i < n; i++)
			if (want[i] == '\0' || want[i] != buf[i])
				return false;
		want += n;
	}
	return *want == '\0';
}

int
json_member(const struct json_span *obj, const char *key,
    struct json_span *out)
{
	struct json_span	k, v;
	size_t			cur = 0;
	int			found = -1;

	if (key == NULL)
		return -1;
	while (seq_next(obj, &cur, &k, &v) == 0) {
		if (key_equals(&k, key)) {
			*out = v;
			found = 0;
		}
	}
	return found;
}

int
json_index_build(const struct json_span *obj, struct json_index *ix)
{
	struct json_span	k, v;
	size_t			cur = 0;

	ix->n = 0;
	ix->overflow = false;
	ix->obj = *obj;
	if (obj->kind != JSON_OBJECT)
		return -1;
	while (seq_next(obj, &cur, &k, &v) == 0) {
		if (ix->n == JSON_INDEX_MAX) {
			ix->overflow = true;
			break;
		}
		ix->key[ix->n] = k;
		ix->val[ix->n] = v;
		ix->n++;
	}
	return 0;
}

int
json_index_get(const struct json_index *ix, const char *key, struct json_span *out)
{
	size_t	 klen;

	if (key == NULL)
		return -1;
	if (ix->overflow)
		return json_member(&ix->obj, key, out);
	klen = strlen(key);
	/* last wins, as in json_member: search from the end */
	for (size_t i = ix->n; i-- > 0;) {
		const struct json_span *k = &ix->key[i];

		/* an unescaped key equal to name has exactly its length plus quotes */
		if (k->len == klen + 2 && memcmp(k->p + 1, key, klen) == 0) {
			*out = ix->val[i];
			return 0;
		}
		if (memchr(k->p, '\\', k->len) != NULL && key_equals(k, key)) {
			*out = ix->val[i];
			return 0;
		}
	}
	return -1;
}

int
json_array_next(const struct json_span *arr, size_t *cursor,
    struct json_span *out)
{
	if (cursor == NULL)
		return -1;
	return seq_next(arr, cursor, NULL, out);
}

int
json_object_next(const struct json_span *obj, size_t *cursor,
    struct json_span *key, struct json_span *val)
{
	if (cursor == NULL || key == NULL)
		return -1;
	return seq_next(obj, cursor, key, val);
}

/* Sets *b and *e to the content of string span v. -1 if v is no string. */
static int
str_content(const struct json_span *v, const char **b, const char **e)
{
	if (v == NULL || v->p == NULL || v->kind != JSON_STRING ||
	    v->len < 2 || v->p[0] != '"' || v->p[v->len - 1] != '"')
		return -1;
	*b = v->p + 1;
	*e = v->p + v->len - 1;
	return 0;
}

/* true if v is a number span whose whole text follows the JSON grammar. */
static bool
is_number(const struct json_span *v)
{
	const unsigned char	*u;

	if (v == NULL || v->p == NULL || v->kind != JSON_NUMBER)
		return false;
	u = (const unsigned char *)v->p;
	return v->len > 0 && number_len(u, u + v->len) == v->len;
}

/* Parses [-]digits in [p, end) exactly into *out; -1 on overflow or junk. */
static int
parse_int64(const char *p, const char *end, int64_t *out)
{
	uint64_t	v = 0, lim = INT64_MAX;
	bool		neg = false;

	if (p < end && *p == '-') {
		neg = true;
		lim = (uint64_t)INT64_MAX + 1;
		p++;
	}
	if (p >= end)
		return -1;
	for (; p < end; p++) {
		uint64_t	d = (uint64_t)(*p - '0');

		if (!is_digit((unsigned char)*p) || v > (lim - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else
		*out = v == 0 ? 0 : -(int64_t)(v - 1) - 1;
	return 0;
}

int
json_span_int64(const struct json_span *v, int64_t *out)
{
	const char	*b, *e, *dot, *z;

	if (v != NULL && v->kind == JSON_STRING) {
		if (str_content(v, &b, &e) == -1)
			return -1;
		return parse_int64(b, e, out);
	}
	if (!is_number(v) || memchr(v->p, 'e', v->len) != NULL ||
	    memchr(v->p, 'E', v->len) != NULL)
		return -1;
	b = v->p;
	e = v->p + v->len;
	if ((dot = memchr(b, '.', v->len)) != NULL) {
		for (z = dot + 1; z < e; z++)
			if (*z != '0')
				return -1;
		e = dot;
	}
	return parse_int64(b, e, out);
}

/* strtod over a bounded copy of the JSON number text [p, p + n). */
static int
number_to_double(const char *p, size_t n, double *out)
{
	char	buf[128], *end;
	double	d;

	if (n == 0 || n >= sizeof(buf) ||
	    number_len((const unsigned char *)p,
	    (const unsigned char *)p + n) != n)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	d = strtod(buf, &end);
	if (end != buf + n || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
json_span_double(const struct json_span *v, double *out)
{
	const char	*b, *e;

	if (v != NULL && v->kind == JSON_STRING) {
		if (str_content(v, &b, &e) == -1)
			return -1;
		return number_to_double(b, (size_t)(e - b), out);
	}
	if (!is_number(v))
		return -1;
	return number_to_double(v->p, v->len, out);
}

int
json_span_string(const struct json_span *v, char *dst, size_t dstlen)
{
	const unsigned char	*p, *end;
	const char		*b, *e;
	unsigned char		 buf[4];
	size_t			 n, used = 0;

	if (dst == NULL || dstlen == 0 || str_content(v, &b, &e) == -1)
		return -1;
	p = (const unsigned char *)b;
	end = (const unsigned char *)e;
	while (p < end) {
		if (str_chunk(&p, end, buf, &n) == -1 || dstlen - used <= n)
			return -1;
		memcpy(dst + used, buf, n);
		used += n;
	}
	dst[used] = '\0';
	return 0;
}

bool
json_span_is_null(const struct json_span *v)
{
	return v != NULL && v->kind == JSON_NULL;
}

static int	canon_value(crypto_generichash_state *,
		    const struct json_span *, const char *const *);

/*
 * Orders members by unescaped name (the member identity json_member and
 * PostgreSQL's ->> use: "x" and "\u0078" are one member), then by position
 * so that the last duplicate sorts last and wins.
 */
static int
member_cmp(const void *a, const void *b)
{
	const struct member	*x = a, *y = b;
	size_t			 xl = x->namelen, yl = y->namelen;
	int			 c;

	c = memcmp(x->name, y->name, xl < yl ? xl : yl);
	if (c != 0)
		return c;
	if (xl != yl)
		return xl < yl ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool
name_equal(const struct member *x, const struct member *y)
{
	return x->namelen == y->namelen && memcmp(x->name, y->name, x->namelen) == 0;
}

/* Unescape key span k into a malloc'd m->name; 0 or -1. */
static int
member_name(struct member *m, const struct json_span *k)
{
	const unsigned char	*p, *end;
	const char		*b, *e;
	unsigned char		 buf[4];
	size_t			 n;

	if (str_content(k, &b, &e) == -1 || (m->name = malloc(k->len + 1)) == NULL)
		return -1;
	p = (const unsigned char *)b;
	end = (const unsigned char *)e;
	m->namelen = 0;
	while (p < end) {
		if (str_chunk(&p, end, buf, &n) == -1)
			return -1;
		memcpy(m->name + m->namelen, buf, n);
		m->namelen += n;
	}
	return 0;
}

static void
members_free(struct member *m, size_t n)
{
	for (size_t i = 0; m != NULL && i < n; i++)
		free(m[i].name);
	free(m);
}

static bool
is_skipped(const struct json_span *key, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (key_equals(key, *skip))
			return true;
	return false;
}

/*
 * Collects the members of obj not named in skip into a malloc'd table
 * sorted by member_cmp. 0 with *out (caller frees) and *n set, or -1.
 */
static int
collect_members(const struct json_span *obj, const char *const *skip,
    struct member **out, size_t *n)
{
	struct json_span	 k, v;
	struct member		*m;
	size_t			 cur = 0, count = 0, i = 0;

	while (seq_next(obj, &cur, &k, &v) == 0)
		count++;
	if ((m = calloc(count + 1, sizeof(*m))) == NULL)
		return -1;
	for (cur = 0; i < count && seq_next(obj, &cur, &k, &v) == 0; i++) {
		if (is_skipped(&k, skip))
			continue;
		m[*n].key = k;
		m[*n].val = v;
		m[*n].idx = i;
		if (member_name(&m[*n], &k) == -1) {
			members_free(m, *n + 1);
			return -1;
		}
		(*n)++;
	}
	qsort(m, *n, sizeof(*m), member_cmp);
	*out = m;
	return 0;
}

/*
 * Feeds a member's unescaped name to h re-escaped in one canonical way ('"',
 * '\\' and controls escaped, everything else as UTF-8), so every spelling
 * of one name hashes alike and the canonical text stays JSON.
 */
static void
canon_name(crypto_generichash_state *h, const struct member *m)
{
	char	 esc[8];

	crypto_generichash_update(h, (const unsigned char *)"\"", 1);
	for (size_t i = 0; i < m->namelen; i++) {
		unsigned char c = (unsigned char)m->name[i];

		if (c == '"' || c == '\\' || c < 0x20) {
			if (c < 0x20)
				snprintf(esc, sizeof(esc), "\\u%04x", c);
			else
				snprintf(esc, sizeof(esc), "\\%c", c);
			crypto_generichash_update(h, (const unsigned char *)esc, strlen(esc));
		} else
			crypto_generichash_update(h, &c, 1);
	}
	crypto_generichash_update(h, (const unsigned char *)"\"", 1);
}

/* Feeds the canonical form of object obj to h; skip applies to its keys. */
static int
canon_object(crypto_generichash_state *h, const struct json_span *obj,
    const char *const *skip)
{
	struct member	*m = NULL;
	size_t		 n = 0, i;
	bool		 first = true;
	int		 rc = 0;

	if (collect_members(obj, skip, &m, &n) == -1)
		return -1;
	crypto_generichash_update(h, (const unsigned char *)"{", 1);
	for (i = 0; i < n && rc == 0; i++) {
		if (i + 1 < n && name_equal(&m[i], &m[i + 1]))
			continue;	/* a later duplicate wins */
		if (!first)
			crypto_generichash_update(h, (const unsigned char *)",", 1);
		first = false;
		canon_name(h, &m[i]);
		crypto_generichash_update(h, (const unsigned char *)":", 1);
		rc = canon_value(h, &m[i].val, NULL);
	}
	crypto_generichash_update(h, (const unsigned char *)"}", 1);
	members_free(m, n);
	return rc;
}

/* Feeds the canonical form of array arr to h. */
static int
canon_array(crypto_generichash_state *h, const struct json_span *arr)
{
	struct json_span	v;
	size_t			cur = 0;
	bool			first = true;

	crypto_generichash_update(h, (const unsigned char *)"[", 1);
	while (json_array_next(arr, &cur, &v) == 0) {
		if (!first)
			crypto_generichash_update(h, (const unsigned char *)",", 1);
		first = false;
		if (canon_value(h, &v, NULL) == -1)
			return -1;
	}
	crypto_generichash_update(h, (const unsigned char *)"]", 1);
	return 0;
}

/* Feeds the canonical form of v to h; recursion depth is bounded by the
 * validator's JSON_MAX_DEPTH. */
static int
canon_value(crypto_generichash_state *h, const struct json_span *v,
    const char *const *skip)
{
	if (v->kind == JSON_OBJECT)
		return canon_object(h, v, skip);
	if (v->kind == JSON_ARRAY)
		return canon_array(h, v);
	crypto_generichash_update(h, (const unsigned char *)v->p, v->len);
	return 0;
}

int
json_canonical_hash(const char *buf, size_t len,
    const char *const *skip_top_keys, unsigned char out[32])
{
	crypto_generichash_state	h;
	struct json_span		root;
	int				rc;

	if (out == NULL || json_root(buf, len, &root) == -1)
		return -1;
	crypto_generichash_init(&h, NULL, 0, 32);
	rc = canon_value(&h, &root, skip_top_keys);
	crypto_generichash_final(&h, out, 32);
	return rc;
}
