/*
 * test_json.c: the strict validator, the span API and canonical hashing.
 * Every input is copied into an exact-size heap buffer so ASan catches any
 * read past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"

struct vrow {
	const char	*s;
	size_t		 len;
	int		 want;
};

#define OK(lit)		{ lit, sizeof(lit) - 1, 0 }
#define BAD(lit)	{ lit, sizeof(lit) - 1, -1 }

static const struct vrow vrows[] = {
	/* accepted */
	OK("{}"), OK("[]"), OK("0"), OK("-0"), OK("12"), OK("-12.50"),
	OK("1.5e10"), OK("1E+2"), OK("-1.0e-5"), OK("0e0"), OK("\"\""),
	OK("\"a\""), OK("true"), OK("false"), OK("null"),
	OK(" \t\r\n{\"a\":[1,2,{\"b\":null}]} \n"),
	OK("{ \"a\" : 1 , \"b\" : [ ] }"),
	OK("{\"a\":1,\"a\":2}"),
	OK("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	OK("\"\\u00e9\\u00E9\\u001f\\u20AC\""),
	OK("\"\\ud83d\\ude00\""),
	OK("\"\xc3\xa9\""),			/* U+00E9 */
	OK("\"\xe2\x82\xac\""),			/* U+20AC */
	OK("\"\xef\xbf\xbf\""),			/* U+FFFF */
	OK("\"\xf0\x9f\x98\x80\""),		/* U+1F600 */
	OK("\"\xf4\x8f\xbf\xbf\""),		/* U+10FFFF */
	OK("\"\x7f\""),				/* DEL is not a control < 0x20 */
	OK("[1,\"x\",true,false,null,{},[]]"),
	OK("5850000000000001"),
	OK("1e400"),				/* grammar-valid; PG json stores it */
	/* rejected: structure */
	BAD(""), BAD(" "), BAD("{} {}"), BAD("1 2"), BAD("[1] x"),
	BAD("["), BAD("]"), BAD("{"), BAD("[1,]"), BAD("[,1]"),
	BAD("{\"a\":1,}"), BAD("{,}"), BAD("{\"a\":}"), BAD("{\"a\" 1}"),
	BAD("{\"a\":1 \"b\":2}"), BAD("{a:1}"), BAD("{'a':1}"), BAD("{1:2}"),
	BAD("[1 2]"), BAD("{\"a\"}"),
	/* rejected: literals */
	BAD("truex"), BAD("nul"), BAD("True"), BAD("NULL"), BAD("NaN"),
	BAD("Infinity"), BAD("-Infinity"), BAD("undefined"),
	/* rejected: numbers */
	BAD("+1"), BAD("01"), BAD("-01"), BAD("00"), BAD("1."), BAD(".5"),
	BAD("-.5"), BAD("-"), BAD("1e"), BAD("1e+"), BAD("1.e5"), BAD("0x10"),
	BAD("1e5.5"), BAD("[01]"), BAD("{\"a\":+1}"), BAD("1_000"),
	/* rejected: whitespace that JSON does not allow */
	BAD("\f{}"), BAD("\v{}"), BAD("\xc2\xa0{}"), BAD("\xef\xbb\xbf{}"),
	BAD("{}\0"), BAD("\0"),
	/* rejected: strings */
	BAD("\"abc"), BAD("\"a\x01z\""), BAD("\"\x1f\""), BAD("\"\x00\""),
	BAD("\"a\tz\""), BAD("\"a\nz\""),
	BAD("\"a\0z\""), BAD("\"\\x41\""), BAD("\"\\'\""), BAD("\"\\U0041\""),
	BAD("\"\\u12\""), BAD("\"\\u12G4\""), BAD("\"\\\""), BAD("\"\\"),
	BAD("\"\\u0000\""), BAD("\"a\\u0000b\""),
	BAD("\"\\ud800\""), BAD("\"\\udc00\""), BAD("\"\\ud800\\u0041\""),
	BAD("\"\\ud800x\""), BAD("\"\\ud800\\ud800\""), BAD("\"\\ude00\\ud83d\""),
	/* rejected: UTF-8 */
	BAD("\"\xc0\xaf\""), BAD("\"\xc1\xbf\""),	/* overlong 2-byte */
	BAD("\"\xe0\x80\xaf\""),			/* overlong 3-byte */
	BAD("\"\xf0\x80\x80\xaf\""),			/* overlong 4-byte */
	BAD("\"\xed\xa0\x80\""), BAD("\"\xed\xbf\xbf\""), /* surrogates */
	BAD("\"\xf4\x90\x80\x80\""), BAD("\"\xf5\x80\x80\x80\""), /* > 10FFFF */
	BAD("\"\xe2\x82\""), BAD("\"\xe2\x82"), BAD("\"\x80\""),
	BAD("\"\xff\""), BAD("\"\xfe\""), BAD("\"\xc3\""),
	BAD("\xc3\xa9"),				/* outside a string */
};

/* A malloc'd copy of s[0..n) with no spare byte, so ASan sees overreads. */
static char *
dup_exact(const char *s, size_t n)
{
	char	*p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static int
validate_exact(const char *s, size_t n)
{
	char	*p = dup_exact(s, n);
	int	 rc = json_validate(p, n);

	free(p);
	return rc;
}

static void
test_validate_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(vrows) / sizeof(vrows[0]); i++) {
		int	got = validate_exact(vrows[i].s, vrows[i].len);

		if (got != vrows[i].want)
			fail_msg("row %zu (%.*s): got %d want %d", i,
			    (int)vrows[i].len, vrows[i].s, got, vrows[i].want);
	}
	assert_int_equal(json_validate(NULL, 0), -1);
}

/* depth nested arrays around a 1. */
static char *
nested(int depth, size_t *n)
{
	char	*s = malloc((size_t)depth * 2 + 2);
	int	 i;

	assert_non_null(s);
	for (i = 0; i < depth; i++)
		s[i] = '[';
	s[depth] = '1';
	for (i = 0; i < depth; i++)
		s[depth + 1 + i] = ']';
	*n = (size_t)depth * 2 + 1;
	return s;
}

static void
test_validate_depth(void **state)
{
	size_t	 n;
	char	*s;

	(void)state;
	s = nested(JSON_MAX_DEPTH, &n);
	assert_int_equal(json_validate(s, n), 0);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, &n);
	assert_int_equal(json_validate(s, n), -1);
	free(s);
	s = nested(100000, &n);
	assert_int_equal(json_validate(s, n), -1);
	free(s);
	assert_int_equal(json_validate("{\"a\":{\"b\":{}}}", 14), 0);
}

static const char doc[] =
    "{\"call_id\":5850000000000001,\"state\":\"hangup\",\"s\":\"a\\\"b\","
    "\"arr\":[1,{\"x\":[2,3]},\"]\"],\"n\":null,\"t\":true,\"d\":4.41}";

/* Every proper prefix of an object is invalid, and the span API on a
 * prefix never reads out of bounds. */
static void
test_prefixes(void **state)
{
	struct json_span	sp, v;
	size_t			n, cur;
	char			buf[32];
	int64_t			i64;
	int			sink = 0;

	(void)state;
	for (n = 0; n < sizeof(doc) - 1; n++) {
		char	*p = dup_exact(doc, n);

		assert_int_equal(json_validate(p, n), -1);
		assert_int_equal(json_root(p, n, &sp), -1);
		sp.p = p;
		sp.len = n;
		sp.kind = JSON_OBJECT;
		sink += json_member(&sp, "state", &v);
		sink += json_member(&sp, "zzz", &v);
		sp.kind = JSON_ARRAY;
		cur = 0;
		while (json_array_next(&sp, &cur, &v) == 0)
			;
		sp.kind = JSON_STRING;
		sink += json_span_string(&sp, buf, sizeof(buf));
		sink += json_span_int64(&sp, &i64);
		sp.kind = JSON_NUMBER;
		sink += json_span_int64(&sp, &i64);
		free(p);
	}
	(void)sink;	/* results on broken input are unspecified */
	assert_int_equal(json_validate(doc, sizeof(doc) - 1), 0);
}

/* Parses lit with json_root; fails the test if it is not valid. */
static struct json_span
root_of(const char *lit)
{
	struct json_span	sp;

	if (json_root(lit, strlen(lit), &sp) != 0)
		fail_msg("not valid JSON: %s", lit);
	return sp;
}

struct irow {
	const char	*json;
	int		 want;
	int64_t		 value;
};

static const struct irow irows[] = {
	{ "5850000000000001", 0, 5850000000000001LL },
	{ "\"5850000000000001\"", 0, 5850000000000001LL },
	{ "5850000000000001.0", 0, 5850000000000001LL },
	{ "5850000000000001.000", 0, 5850000000000001LL },
	{ "9007199254740993", 0, 9007199254740993LL },	/* 2^53 + 1 */
	{ "9223372036854775807", 0, INT64_MAX },
	{ "\"9223372036854775807\"", 0, INT64_MAX },
	{ "-9223372036854775808", 0, INT64_MIN },
	{ "\"-9223372036854775808\"", 0, INT64_MIN },
	{ "9223372036854775808", -1, 0 },
	{ "\"9223372036854775808\"", -1, 0 },
	{ "-9223372036854775809", -1, 0 },
	{ "99999999999999999999999", -1, 0 },
	{ "-42", 0, -42 },
	{ "\"-42\"", 0, -42 },
	{ "0", 0, 0 },
	{ "-0", 0, 0 },
	{ "\"007\"", 0, 7 },
	{ "1.5", -1, 0 },
	{ "1.05", -1, 0 },
	{ "1e3", -1, 0 },
	{ "1E3", -1, 0 },
	{ "1.0e0", -1, 0 },
	{ "\"\"", -1, 0 },
	{ "\"-\"", -1, 0 },
	{ "\"+5\"", -1, 0 },
	{ "\" 5\"", -1, 0 },
	{ "\"5 \"", -1, 0 },
	{ "\"1.0\"", -1, 0 },
	{ "\"0x10\"", -1, 0 },
	{ "\"\\u0035\"", -1, 0 },
	{ "true", -1, 0 },
	{ "null", -1, 0 },
	{ "[1]", -1, 0 },
	{ "{}", -1, 0 },
};

static void
test_int64(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(irows) / sizeof(irows[0]); i++) {
		struct json_span	sp = root_of(irows[i].json);
		int64_t			v = 12345;
		int			rc = json_span_int64(&sp, &v);

		if (rc != irows[i].want ||
		    (rc == 0 && v != irows[i].value))
			fail_msg("row %zu (%s): rc %d value %lld", i,
			    irows[i].json, rc, (long long)v);
	}
}

static void
test_double(void **state)
{
	struct json_span	sp;
	double			d = 0;

	(void)state;
	sp = root_of("4.41");
	assert_int_equal(json_span_double(&sp, &d), 0);
	assert_true(d == 4.41);
	sp = root_of("\"-1.5e3\"");
	assert_int_equal(json_span_double(&sp, &d), 0);
	assert_true(d == -1500.0);
	sp = root_of("180000");
	assert_int_equal(json_span_double(&sp, &d), 0);
	assert_true(d == 180000.0);
	sp = root_of("1e400");
	assert_int_equal(json_span_double(&sp, &d), -1);
	sp = root_of("\"1.\"");
	assert_int_equal(json_span_double(&sp, &d), -1);
	sp = root_of("\"abc\"");
	assert_int_equal(json_span_double(&sp, &d), -1);
	sp = root_of("\" 1\"");
	assert_int_equal(json_span_double(&sp, &d), -1);
	sp = root_of("true");
	assert_int_equal(json_span_double(&sp, &d), -1);
}

static void
test_member(void **state)
{
	struct json_span	root, v, w;
	int64_t			i64;
	char			s[16];

	(void)state;
	root = root_of(" { \"a\" : 1 , \"b\" : { \"a\" : 2 } , \"a\" : 3 } ");
	assert_int_equal(json_member(&root, "a", &v), 0);
	assert_int_equal(v.kind, JSON_NUMBER);
	assert_int_equal(json_span_int64(&v, &i64), 0);
	assert_int_equal(i64, 3);
	assert_int_equal(json_member(&root, "b", &v), 0);
	assert_int_equal(v.kind, JSON_OBJECT);
	assert_int_equal(json_member(&v, "a", &w), 0);
	assert_int_equal(json_span_int64(&w, &i64), 0);
	assert_int_equal(i64, 2);
	assert_int_equal(json_member(&root, "c", &v), -1);
	assert_int_equal(json_member(&root, "", &v), -1);
	assert_int_equal(json_member(&root, NULL, &v), -1);

	root = root_of("{\"ab\":1,\"c\\u0061ll_id\":7,\"q\\\"k\":\"v\"}");
	assert_int_equal(json_member(&root, "a", &v), -1);
	assert_int_equal(json_member(&root, "abc", &v), -1);
	assert_int_equal(json_member(&root, "call_id", &v), 0);
	assert_int_equal(json_span_int64(&v, &i64), 0);
	assert_int_equal(i64, 7);
	assert_int_equal(json_member(&root, "q\"k", &v), 0);
	assert_int_equal(json_span_string(&v, s, sizeof(s)), 0);
	assert_string_equal(s, "v");

	root = root_of("{\"a\":null,\"a\":\"x\"}");
	assert_int_equal(json_member(&root, "a", &v), 0);
	assert_int_equal(v.kind, JSON_STRING);
	root = root_of("{\"a\":\"x\",\"a\":null}");
	assert_int_equal(json_member(&root, "a", &v), 0);
	assert_true(json_span_is_null(&v));

	root = root_of("[{\"a\":1}]");
	assert_int_equal(json_member(&root, "a", &v), -1);
	root = root_of("{}");
	assert_int_equal(json_member(&root, "a", &v), -1);
	assert_false(json_span_is_null(&root));
	assert_false(json_span_is_null(NULL));
}

static void
test_array_next(void **state)
{
	static const enum json_kind	want[] = { JSON_NUMBER, JSON_STRING,
					    JSON_OBJECT, JSON_NULL,
					    JSON_BOOL, JSON_ARRAY };
	struct json_span		arr, v;
	size_t				cur = 0, n = 0;

	(void)state;
	arr = root_of("[ 1 , \"t]w,o\" ,{\"x\":[3,\"]\"]}, null,false,[[]] ]");
	while (json_array_next(&arr, &cur, &v) == 0) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_int_equal(v.kind, want[n]);
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(json_array_next(&arr, &cur, &v), -1);

	arr = root_of("[ ]");
	cur = 0;
	assert_int_equal(json_array_next(&arr, &cur, &v), -1);
	arr = root_of("{\"a\":1}");
	cur = 0;
	assert_int_equal(json_array_next(&arr, &cur, &v), -1);
	assert_int_equal(json_array_next(&arr, NULL, &v), -1);
}

static void
test_span_string(void **state)
{
	struct json_span	sp;
	char			buf[32];

	(void)state;
	sp = root_of("\"a\\u00e9\\ud83d\\ude00\\n\\/\\\"\xe2\x82\xac\"");
	assert_int_equal(json_span_string(&sp, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "a\xc3\xa9\xf0\x9f\x98\x80\n/\"\xe2\x82\xac");

	sp = root_of("\"abcd\"");
	assert_int_equal(json_span_string(&sp, buf, 5), 0);
	assert_string_equal(buf, "abcd");
	assert_int_equal(json_span_string(&sp, buf, 4), -1);
	assert_int_equal(json_span_string(&sp, buf, 0), -1);
	sp = root_of("\"\"");
	assert_int_equal(json_span_string(&sp, buf, 1), 0);
	assert_string_equal(buf, "");
	sp = root_of("12");
	assert_int_equal(json_span_string(&sp, buf, sizeof(buf)), -1);

	/* hand-made spans that never passed the validator */
	sp.p = "\"a\\u0000b\"";
	sp.len = strlen(sp.p);
	sp.kind = JSON_STRING;
	assert_int_equal(json_span_string(&sp, buf, sizeof(buf)), -1);
	sp.p = "\"ab\\\"";
	sp.len = strlen(sp.p);
	assert_int_equal(json_span_string(&sp, buf, sizeof(buf)), -1);
	sp.p = "abc";
	sp.len = 3;
	assert_int_equal(json_span_string(&sp, buf, sizeof(buf)), -1);
}

/* Hashes lit, failing the test if that fails. */
static void
hash_of(const char *lit, const char *const *skip, unsigned char out[32])
{
	if (json_canonical_hash(lit, strlen(lit), skip, out) != 0)
		fail_msg("hash failed: %s", lit);
}

static bool
same_hash(const char *a, const char *b, const char *const *skip)
{
	unsigned char	ha[32], hb[32];

	hash_of(a, skip, ha);
	hash_of(b, skip, hb);
	return memcmp(ha, hb, 32) == 0;
}

static void
test_canonical_hash(void **state)
{
	static const char *const	skip[] = { "iat", "exp", NULL };
	static const char		canon[] = "{\"a\":\"x\",\"b\":[1,2]}";
	unsigned char			h[32], want[32];

	(void)state;
	/* the canonical text is exactly what gets hashed */
	hash_of(" { \"b\" : [ 1 , 2 ] ,\n\t\"a\" : \"x\" } ", NULL, h);
	crypto_generichash(want, 32, (const unsigned char *)canon,
	    sizeof(canon) - 1, NULL, 0);
	assert_memory_equal(h, want, 32);

	assert_true(same_hash("{\"b\":1,\"a\":[1,{\"y\":2,\"x\":3}]}",
	    " { \"a\" : [ 1 , { \"x\":3, \"y\":2 } ] , \"b\" : 1 } ", NULL));
	assert_false(same_hash("{\"a\":1}", "{\"a\":2}", NULL));
	/* member identity is the unescaped name, as json_member and ->> read it */
	assert_true(same_hash("{\"x\":1}", "{\"\\u0078\":1}", NULL));
	assert_false(same_hash("{\"x\":1,\"\\u0078\":2}", "{\"\\u0078\":2,\"x\":1}", NULL));
	assert_true(same_hash("{\"x\":1,\"\\u0078\":2}", "{\"x\":2}", NULL));
	assert_false(same_hash("{\"a\":1}", "{\"a\":1.0}", NULL));
	assert_false(same_hash("{\"a\":\"1\"}", "{\"a\":1}", NULL));
	assert_false(same_hash("[1,2]", "[2,1]", NULL));
	assert_false(same_hash("{\"a\":1}", "{\"b\":1}", NULL));
	assert_false(same_hash("{\"ab\":1}", "{\"a\":1,\"b\":1}", NULL));
	assert_true(same_hash("{\"a\":1,\"a\":2}", "{\"a\":2}", NULL));
	assert_false(same_hash("{\"a\":1,\"a\":2}", "{\"a\":1}", NULL));
	assert_true(same_hash("{\"z\":0,\"a\":1,\"iat\":5,\"exp\":9}",
	    "{\"a\":1,\"z\":0}", skip));
	assert_false(same_hash("{\"a\":1,\"iat\":5}", "{\"a\":1}", NULL));
	assert_false(same_hash("{\"a\":{\"iat\":1}}", "{\"a\":{}}", skip));
	assert_true(same_hash("{\"b\":{\"d\":1,\"c\":2},\"a\":[]}",
	    "{\"a\":[],\"b\":{\"c\":2,\"d\":1}}", skip));
	assert_int_equal(json_canonical_hash("{\"a\":01}", 8, NULL, h), -1);
	assert_int_equal(json_canonical_hash("", 0, NULL, h), -1);
}

/* The index answers exactly as json_member does: last duplicate, escaped names, overflow. */
static void
test_index_matches_member(void **state)
{
	static const char	idoc[] = "{\"a\":1,\"b\":{\"a\":9},\"\\u0061\":2,\"c\":[1,2],\"d\":null}";
	static const char *const keys[] = { "a", "b", "c", "d", "e", "" };
	struct json_span	root, v1, v2;
	struct json_index	ix;
	char			big[8192];
	size_t			off = 0;

	(void)state;
	assert_int_equal(json_root(idoc, sizeof(idoc) - 1, &root), 0);
	assert_int_equal(json_index_build(&root, &ix), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int r1 = json_member(&root, keys[i], &v1), r2 = json_index_get(&ix, keys[i], &v2);

		assert_int_equal(r1, r2);
		if (r1 == 0)
			assert_true(v1.p == v2.p && v1.len == v2.len);
	}
	assert_int_equal(json_index_get(&ix, "a", &v1), 0);
	assert_memory_equal(v1.p, "2", 1);	/* the escaped duplicate comes last and wins */
	/* more members than the index holds: falls back, same answers */
	big[off++] = '{';
	for (int i = 0; i < JSON_INDEX_MAX + 10; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s\"k%d\":%d", i ? "," : "", i, i);
	big[off++] = '}';
	assert_int_equal(json_root(big, off, &root), 0);
	assert_int_equal(json_index_build(&root, &ix), 0);
	assert_true(ix.overflow);
	assert_int_equal(json_index_get(&ix, "k130", &v2), 0);
	assert_memory_equal(v2.p, "130", 3);
	assert_int_equal(json_index_get(&ix, "k999", &v2), -1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_index_matches_member),
		cmocka_unit_test(test_validate_depth),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_int64),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_array_next),
		cmocka_unit_test(test_span_string),
		cmocka_unit_test(test_canonical_hash),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
