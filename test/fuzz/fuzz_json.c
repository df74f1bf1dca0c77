/*
 * fuzz_json.c: libFuzzer target for common/json.c.
 *
 * fuzz-sources: common/json.c
 * fuzz-pkgs: libcjson libsodium
 *
 * The input is any bytes. Checked for every input:
 *   - json_root() succeeds exactly when json_validate() == 0, and its span
 *     is the text between the surrounding whitespace;
 *   - the span API used on the raw, unvalidated bytes stays inside them
 *     (ASan) and its array iteration terminates;
 * and for valid JSON:
 *   - a walk of every member and element: each member an independent
 *     scanner finds is found by json_member() (last duplicate wins, names
 *     compared unescaped), json_array_next() yields the same elements,
 *     json_span_string() fits in the raw length and fails one byte short,
 *     json_span_int64() agrees with json_span_double() where both are exact;
 *   - where cJSON also parses the text: same kinds, member and element
 *     counts, unescaped strings and doubles;
 *   - json_canonical_hash() succeeds, ignores insignificant whitespace and
 *     the order of distinct top-level members, and gives a top-level object
 *     the hash it has without the members that a later member of the same
 *     unescaped name overrides (last wins, as json_member() reads it).
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "fuzz.h"
#include "json.h"

/* A member of an object as found by this file's own scanner. */
struct raw_member {
	struct json_span	key;
	struct json_span	val;
};

static void	walk(const struct json_span *, const cJSON *, int);

FUZZ_INIT_SODIUM()

static bool
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t
skip_ws(const char *p, size_t i, size_t n)
{
	while (i < n && ws(p[i]))
		i++;
	return i;
}

/* Offset just past the string starting at p[i], in validated text. */
static size_t
end_string(const char *p, size_t i)
{
	for (i++; p[i] != '"'; i++)
		if (p[i] == '\\')
			i++;
	return i + 1;
}

/* Offset just past the value starting at p[i], in validated text. */
static size_t
end_value(const char *p, size_t i, size_t n)
{
	int	depth = 0;

	if (p[i] == '"')
		return end_string(p, i);
	if (p[i] != '{' && p[i] != '[') {
		while (i < n && !ws(p[i]) && p[i] != ',' && p[i] != ']' &&
		    p[i] != '}')
			i++;
		return i;
	}
	for (; i < n; i++) {
		if (p[i] == '"')
			i = end_string(p, i) - 1;
		else if (p[i] == '{' || p[i] == '[')
			depth++;
		else if ((p[i] == '}' || p[i] == ']') && --depth == 0)
			return i + 1;
	}
	FUZZ_ASSERT(!"unterminated container in validated text");
	return n;
}

static enum json_kind
kind_of(char c)
{
	switch (c) {
	case '"':
		return JSON_STRING;
	case '{':
		return JSON_OBJECT;
	case '[':
		return JSON_ARRAY;
	case 'n':
		return JSON_NULL;
	case 't':
	case 'f':
		return JSON_BOOL;
	default:
		return JSON_NUMBER;
	}
}

/*
 * Splits the validated container c into its items with a scanner that
 * shares no code with json.c. Returns a malloc'd array (keys unset for
 * arrays) and its length in *n.
 */
static struct raw_member *
split_items(const struct json_span *c, size_t *n)
{
	struct raw_member	*m;
	size_t			 i, e, end = c->len - 1, cap = c->len / 2 + 1;
	bool			 obj = c->kind == JSON_OBJECT;

	m = calloc(cap, sizeof(*m));
	FUZZ_ASSERT(m != NULL);
	*n = 0;
	for (i = skip_ws(c->p, 1, end); i < end;) {
		FUZZ_ASSERT(*n < cap);
		if (obj) {
			e = end_string(c->p, i);
			m[*n].key = (struct json_span){ c->p + i, e - i,
			    JSON_STRING };
			i = skip_ws(c->p, e, end);
			FUZZ_ASSERT(c->p[i] == ':');
			i = skip_ws(c->p, i + 1, end);
		}
		e = end_value(c->p, i, end);
		m[*n].val = (struct json_span){ c->p + i, e - i,
		    kind_of(c->p[i]) };
		(*n)++;
		i = skip_ws(c->p, e, end);
		if (i < end) {
			FUZZ_ASSERT(c->p[i] == ',');
			i = skip_ws(c->p, i + 1, end);
		}
	}
	return m;
}

static bool
span_eq(const struct json_span *a, const struct json_span *b)
{
	return a->p == b->p && a->len == b->len && a->kind == b->kind;
}

/* Unescapes string span v into a malloc'd buffer; checks the size contract. */
static char *
unescape(const struct json_span *v)
{
	char	*s = malloc(v->len);
	size_t	 n;

	FUZZ_ASSERT(s != NULL);
	FUZZ_ASSERT(json_span_string(v, s, v->len) == 0);
	n = strlen(s);
	FUZZ_ASSERT(n + 2 <= v->len);
	FUZZ_ASSERT(json_span_string(v, s, n) == -1);
	FUZZ_ASSERT(json_span_string(v, s, n + 1) == 0);
	return s;
}

/* Checks the scalar accessors on v, against cJSON's item j when given. */
static void
check_scalar(const struct json_span *v, const cJSON *j)
{
	int64_t	i;
	double	d;
	char	*s;
	bool	have_i, have_d;

	have_i = json_span_int64(v, &i) == 0;
	have_d = json_span_double(v, &d) == 0;
	if (have_i && have_d && i > -(INT64_C(1) << 53) &&
	    i < (INT64_C(1) << 53))
		FUZZ_ASSERT(d == (double)i);
	FUZZ_ASSERT(json_span_is_null(v) == (v->kind == JSON_NULL));
	if (v->kind == JSON_NUMBER) {
		FUZZ_ASSERT(!(have_d == false && v->len < 64 && j != NULL &&
		    isfinite(j->valuedouble)));
		if (j != NULL)
			FUZZ_ASSERT(cJSON_IsNumber(j));
		if (j != NULL && have_d && v->len < 64)
			FUZZ_ASSERT(d == j->valuedouble);
	} else if (v->kind == JSON_STRING) {
		s = unescape(v);
		if (j != NULL)
			FUZZ_ASSERT(cJSON_IsString(j) &&
			    strcmp(s, j->valuestring) == 0);
		free(s);
	} else if (j != NULL && v->kind == JSON_NULL)
		FUZZ_ASSERT(cJSON_IsNull(j));
	else if (j != NULL)
		FUZZ_ASSERT(cJSON_IsBool(j) &&
		    cJSON_IsTrue(j) == (v->p[0] == 't'));
}

/* The last cJSON child of object j named name, or NULL. */
static const cJSON *
cjson_last(const cJSON *j, const char *name)
{
	const cJSON	*c, *hit = NULL;

	for (c = j ? j->child : NULL; c != NULL; c = c->next)
		if (strcmp(c->string, name) == 0)
			hit = c;
	return hit;
}

/* Checks json_member() for every member of the validated object o. */
static void
walk_object(const struct json_span *o, const cJSON *j, int depth)
{
	struct raw_member	*m;
	struct json_span	 got;
	char			**names;
	size_t			 n, k, l, last;

	m = split_items(o, &n);
	if (j != NULL)
		FUZZ_ASSERT((size_t)cJSON_GetArraySize(j) == n);
	names = calloc(n + 1, sizeof(*names));
	FUZZ_ASSERT(names != NULL);
	for (k = 0; k < n; k++)
		names[k] = unescape(&m[k].key);
	for (k = 0; k < n; k++) {
		for (last = k, l = k + 1; l < n; l++)
			if (strcmp(names[l], names[k]) == 0)
				last = l;
		FUZZ_ASSERT(json_member(o, names[k], &got) == 0);
		FUZZ_ASSERT(span_eq(&got, &m[last].val));
		if (last == k)
			walk(&got, j ? cjson_last(j, names[k]) : NULL,
			    depth + 1);
		else
			walk(&m[k].val, NULL, depth + 1);
	}
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(m);
}

/* Checks json_array_next() over the validated array a. */
static void
walk_array(const struct json_span *a, const cJSON *j, int depth)
{
	struct raw_member	*m;
	struct json_span	 got;
	const cJSON		*c = j ? j->child : NULL;
	size_t			 n, k, cur = 0;

	m = split_items(a, &n);
	if (j != NULL)
		FUZZ_ASSERT((size_t)cJSON_GetArraySize(j) == n);
	for (k = 0; k < n; k++) {
		FUZZ_ASSERT(json_array_next(a, &cur, &got) == 0);
		FUZZ_ASSERT(span_eq(&got, &m[k].val));
		walk(&got, c, depth + 1);
		c = c ? c->next : NULL;
	}
	FUZZ_ASSERT(json_array_next(a, &cur, &got) == -1);
	free(m);
}

/* Walks the validated value v (cJSON's view j, or NULL). */
static void
walk(const struct json_span *v, const cJSON *j, int depth)
{
	/* the validator bounds the nesting of containers; a scalar may sit one level deeper */
	FUZZ_ASSERT(depth <= JSON_MAX_DEPTH + 1);
	FUZZ_ASSERT(depth <= JSON_MAX_DEPTH || (v->kind != JSON_OBJECT && v->kind != JSON_ARRAY));
	FUZZ_ASSERT(v->len > 0 && kind_of(v->p[0]) == v->kind);
	if (v->kind == JSON_OBJECT) {
		if (j != NULL)
			FUZZ_ASSERT(cJSON_IsObject(j));
		walk_object(v, j, depth);
	} else if (v->kind == JSON_ARRAY) {
		if (j != NULL)
			FUZZ_ASSERT(cJSON_IsArray(j));
		walk_array(v, j, depth);
	} else
		check_scalar(v, j);
}

/*
 * The span API on bytes that were never validated: wrong answers are
 * allowed, reads outside the bytes (ASan) and endless loops are not.
 */
static void
unvalidated(const char *p, size_t n)
{
	struct json_span	v, out;
	size_t			cur = 0, count = 0;
	char			buf[64];
	int64_t			i;
	double			d;

	if (n == 0)
		return;
	v = (struct json_span){ p, n, kind_of(p[0]) };
	(void)json_member(&v, "call_id", &out);
	(void)json_member(&v, "", &out);
	while (json_array_next(&v, &cur, &out) == 0) {
		FUZZ_ASSERT(out.p >= p && out.p + out.len <= p + n);
		FUZZ_ASSERT(++count <= n);
	}
	(void)json_span_int64(&v, &i);
	(void)json_span_double(&v, &d);
	(void)json_span_string(&v, buf, sizeof(buf));
}


/* Rebuilds the validated object o with its members in reverse order. */
static size_t
reverse_object(const struct json_span *o, char *out)
{
	struct raw_member	*m;
	size_t			 n, k, l, len = 0;

	m = split_items(o, &n);
	for (k = 0; k < n; k++) {
		char *a = unescape(&m[k].key);

		for (l = k + 1; l < n; l++) {
			char *b = unescape(&m[l].key);
			bool dup = strcmp(a, b) == 0;

			free(b);
			if (dup) {
				free(a);
				free(m);
				return 0;	/* duplicate names: order matters */
			}
		}
		free(a);
	}
	out[len++] = '{';
	for (k = n; k-- > 0;) {
		size_t	span = (size_t)(m[k].val.p + m[k].val.len - m[k].key.p);

		memcpy(out + len, m[k].key.p, span);
		len += span;
		if (k > 0)
			out[len++] = ',';
	}
	out[len++] = '}';
	free(m);
	return len;
}

/*
 * Rebuilds the validated object o without the members a later member of
 * the same (unescaped) name overrides, as JSON.parse and PostgreSQL's ->>
 * read it. 0 if no member is overridden.
 */
static size_t
drop_shadowed(const struct json_span *o, char *out)
{
	struct raw_member	*m;
	char			**names;
	size_t			 n, k, l, len = 0;
	bool			 shadowed = false, *drop;

	m = split_items(o, &n);
	names = calloc(n + 1, sizeof(*names));
	drop = calloc(n + 1, sizeof(*drop));
	FUZZ_ASSERT(names != NULL && drop != NULL);
	for (k = 0; k < n; k++)
		names[k] = unescape(&m[k].key);
	for (k = 0; k < n; k++)
		for (l = k + 1; l < n && !drop[k]; l++)
			if (strcmp(names[k], names[l]) == 0)
				shadowed = drop[k] = true;
	out[len++] = '{';
	for (k = 0; k < n; k++) {
		size_t	span = (size_t)(m[k].val.p + m[k].val.len - m[k].key.p);

		if (drop[k])
			continue;
		if (len > 1)
			out[len++] = ',';
		memcpy(out + len, m[k].key.p, span);
		len += span;
	}
	out[len++] = '}';
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	free(drop);
	free(m);
	return shadowed ? len : 0;
}

/*
 * Canonical hash: defined for valid text, blind to whitespace and member
 * order, and a function of the value as read with last-wins duplicates (a
 * dedupe key must not make two different events equal).
 */
static void
check_hash(const char *p, size_t n, const struct json_span *root)
{
	static const char *const	none[] = { NULL };
	unsigned char			h[32], h2[32];
	char				*buf;
	size_t				m;

	FUZZ_ASSERT(json_canonical_hash(p, n, NULL, h) == 0);
	FUZZ_ASSERT(json_canonical_hash(p, n, none, h2) == 0);
	FUZZ_ASSERT(memcmp(h, h2, sizeof(h)) == 0);
	buf = malloc(n + 2);
	FUZZ_ASSERT(buf != NULL);
	m = fuzz_minify(p, n, buf);
	FUZZ_ASSERT(json_validate(buf, m) == 0);
	FUZZ_ASSERT(json_canonical_hash(buf, m, NULL, h2) == 0);
	FUZZ_ASSERT(memcmp(h, h2, sizeof(h)) == 0);
	if (root->kind == JSON_OBJECT &&
	    (m = reverse_object(root, buf)) > 0) {
		FUZZ_ASSERT(json_validate(buf, m) == 0);
		FUZZ_ASSERT(json_canonical_hash(buf, m, NULL, h2) == 0);
		FUZZ_ASSERT(memcmp(h, h2, sizeof(h)) == 0);
	}
	if (root->kind == JSON_OBJECT && (m = drop_shadowed(root, buf)) > 0) {
		FUZZ_ASSERT(json_validate(buf, m) == 0);
		FUZZ_ASSERT(json_canonical_hash(buf, m, NULL, h2) == 0);
		FUZZ_ASSERT(memcmp(h, h2, sizeof(h)) == 0);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data;
	struct json_span	 root;
	unsigned char		 h[32];
	cJSON			*j;
	char			*z;
	size_t			 b, e;
	int			 valid;

	valid = json_validate(p, size) == 0;
	FUZZ_ASSERT((json_root(p, size, &root) == 0) == valid);
	unvalidated(p, size);
	if (!valid) {
		FUZZ_ASSERT(json_canonical_hash(p, size, NULL, h) == -1);
		return 0;
	}
	b = skip_ws(p, 0, size);
	for (e = size; e > b && ws(p[e - 1]); e--)
		;
	FUZZ_ASSERT(root.p == p + b && root.len == e - b);
	/* cJSON needs a NUL after the text and may refuse valid long numbers. */
	z = malloc(size + 1);
	FUZZ_ASSERT(z != NULL);
	memcpy(z, p, size);
	z[size] = '\0';
	j = cJSON_ParseWithLength(z, size);
	walk(&root, j, 1);
	cJSON_Delete(j);
	free(z);
	check_hash(p, size, &root);
	return 0;
}
