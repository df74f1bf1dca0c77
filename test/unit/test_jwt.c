/*
 * test_jwt.c: HS256 verification outcomes, signing and base64url.
 * Tokens are built here with libsodium directly, not with jwt_sign_hs256,
 * so a bug in the signer cannot hide one in the verifier.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jwt.h"

#define SECRET		"fixture-secret-do-not-use"
#define NOW		1767261726	/* F12's event_timestamp, in seconds */
#define HS256		"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static const char f12_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjYWxsX2lkIjo1ODUwMDAwMDAwMDAwOTAx"
    "LCJzdGF0ZSI6Imhhbmd1cCIsImRpcmVjdGlvbiI6ImluYm91bmQiLCJleHRlcm5hbF9udW1i"
    "ZXIiOiIrMTQxNTU1NTAxMjMiLCJpbnRlcm5hbF9udW1iZXIiOiIrMTQxNTU1NTAxMDAiLCJk"
    "YXRlX3N0YXJ0ZWQiOjE3NjcyNjE2MDAwMDAsImRhdGVfY29ubmVjdGVkIjoxNzY3MjYxNjA1"
    "MjAwLCJkYXRlX2VuZGVkIjoxNzY3MjYxNzI1MjAwLCJkdXJhdGlvbiI6MTIwMDAwLjAsInRv"
    "dGFsX2R1cmF0aW9uIjoxMjUyMDAuMCwiZXZlbnRfdGltZXN0YW1wIjoxNzY3MjYxNzI2MDAx"
    "fQ.6h-syibUGH959PacONLWKWSLXRWrq001PnxsCjm1W0A";

static const char f12_claims[] =
    "{\"call_id\":5850000000000901,\"state\":\"hangup\",\"direction\":"
    "\"inbound\",\"external_number\":\"+14155550123\",\"internal_number\":"
    "\"+14155550100\",\"date_started\":1767261600000,\"date_connected\":"
    "1767261605200,\"date_ended\":1767261725200,\"duration\":120000.0,"
    "\"total_duration\":125200.0,\"event_timestamp\":1767261726001}";

/* Standard base64 with '=' padding, mapped to the URL alphabet. */
static void
b64_padded(const void *src, size_t n, char *dst, size_t dstlen)
{
	size_t	i;

	sodium_bin2base64(dst, dstlen, src, n, sodium_base64_VARIANT_URLSAFE);
	for (i = 0; dst[i] != '\0'; i++)
		assert_true(dst[i] != '+' && dst[i] != '/');
}

/* Unpadded base64url via libsodium. */
static void
b64(const void *src, size_t n, char *dst, size_t dstlen)
{
	sodium_bin2base64(dst, dstlen, src, n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/*
 * Builds "b64(hdr).b64(claims).b64(HMAC(key, first two))" into out. With
 * padded set all three segments carry '=' padding; siglen cuts the MAC.
 */
static void
make_token(const char *hdr, const char *claims, const char *key,
    bool padded, size_t siglen, char *out, size_t outlen)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[32];
	char				seg[2048];
	size_t				n;

	(padded ? b64_padded : b64)(hdr, strlen(hdr), seg, sizeof(seg));
	assert_true(strlen(seg) + 1 < outlen);
	strcpy(out, seg);
	strcat(out, ".");
	(padded ? b64_padded : b64)(claims, strlen(claims), seg, sizeof(seg));
	assert_true(strlen(out) + strlen(seg) + 2 < outlen);
	strcat(out, seg);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
	    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)out,
	    strlen(out));
	crypto_auth_hmacsha256_final(&st, mac);
	strcat(out, ".");
	(padded ? b64_padded : b64)(mac, siglen, seg, sizeof(seg));
	n = strlen(out);
	assert_true(n + strlen(seg) < outlen);
	strcat(out, seg);
}

/* Verifies token with key at now; frees any claims. Returns the result. */
static enum jwt_result
verify(const char *token, const char *key, int64_t now)
{
	char		*claims = (char *)"sentinel";
	size_t		 len = 99;
	enum jwt_result	 r;

	r = jwt_verify(token, strlen(token), (const unsigned char *)key,
	    strlen(key), now, &claims, &len);
	if (r == JWT_OK) {
		assert_non_null(claims);
		assert_int_equal(strlen(claims), len);
		free(claims);
	} else {
		assert_null(claims);
		assert_int_equal(len, 0);
	}
	return r;
}

static void
test_reason(void **state)
{
	(void)state;
	assert_string_equal(jwt_reason(JWT_OK), "ok");
	assert_string_equal(jwt_reason(JWT_MALFORMED), "malformed");
	assert_string_equal(jwt_reason(JWT_UNSIGNED), "unsigned");
	assert_string_equal(jwt_reason(JWT_ALG_NOT_ALLOWED), "alg_not_allowed");
	assert_string_equal(jwt_reason(JWT_BAD_SIGNATURE), "bad_signature");
	assert_string_equal(jwt_reason(JWT_EXPIRED), "expired");
	assert_string_equal(jwt_reason(JWT_NOT_YET_VALID), "not_yet_valid");
	assert_string_equal(jwt_reason(JWT_BAD_TIME_CLAIM), "bad_time_claim");
	assert_string_equal(jwt_reason((enum jwt_result)99), "unknown");
}

static void
test_f12(void **state)
{
	char		*claims = NULL, *signed_tok = NULL;
	size_t		 len = 0, slen = 0;

	(void)state;
	assert_int_equal(jwt_verify(f12_token, sizeof(f12_token) - 1,
	    (const unsigned char *)SECRET, strlen(SECRET), NOW, &claims, &len),
	    JWT_OK);
	assert_int_equal(len, sizeof(f12_claims) - 1);
	assert_string_equal(claims, f12_claims);
	free(claims);
	/* our signer reproduces the fixture byte for byte */
	assert_int_equal(jwt_sign_hs256(f12_claims, sizeof(f12_claims) - 1,
	    (const unsigned char *)SECRET, strlen(SECRET), &signed_tok, &slen),
	    0);
	assert_int_equal(slen, sizeof(f12_token) - 1);
	assert_string_equal(signed_tok, f12_token);
	free(signed_tok);
}

struct vcase {
	const char	*name;
	const char	*hdr;
	const char	*claims;
	const char	*key;		/* signing key */
	bool		 padded;
	size_t		 siglen;
	enum jwt_result	 want;
};

#define C1	"{\"a\":1}"		/* 7 bytes: "==" padding */
#define C2	"{\"a\":12}"		/* 8 bytes: "=" padding */

static const struct vcase vcases[] = {
	{ "good", HS256, C1, SECRET, false, 32, JWT_OK },
	{ "good padded", HS256, C1, SECRET, true, 32, JWT_OK },
	{ "good padded 1", HS256, C2, SECRET, true, 32, JWT_OK },
	{ "header alg only", "{\"alg\":\"HS256\"}", C1, SECRET, false, 32,
	    JWT_OK },
	{ "wrong secret", HS256, C1, "other-secret", false, 32,
	    JWT_BAD_SIGNATURE },
	{ "short mac", HS256, C1, SECRET, false, 31, JWT_BAD_SIGNATURE },
	{ "alg none", "{\"alg\":\"none\",\"typ\":\"JWT\"}", C1, SECRET, false,
	    32, JWT_ALG_NOT_ALLOWED },
	{ "alg HS512", "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", C1, SECRET,
	    false, 32, JWT_ALG_NOT_ALLOWED },
	{ "alg RS256", "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", C1, SECRET,
	    false, 32, JWT_ALG_NOT_ALLOWED },
	{ "alg lower", "{\"alg\":\"hs256\"}", C1, SECRET, false, 32,
	    JWT_ALG_NOT_ALLOWED },
	{ "alg missing", "{\"typ\":\"JWT\"}", C1, SECRET, false, 32,
	    JWT_ALG_NOT_ALLOWED },
	{ "alg number", "{\"alg\":256}", C1, SECRET, false, 32,
	    JWT_ALG_NOT_ALLOWED },
	{ "alg last wins", "{\"alg\":\"HS256\",\"alg\":\"none\"}", C1,
	    SECRET, false, 32, JWT_ALG_NOT_ALLOWED },
	{ "header array", "[\"HS256\"]", C1, SECRET, false, 32,
	    JWT_MALFORMED },
	{ "header not json", "alg=HS256", C1, SECRET, false, 32,
	    JWT_MALFORMED },
	{ "header crit", "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}", C1,
	    SECRET, false, 32, JWT_MALFORMED },
	{ "claims array", HS256, "[1]", SECRET, false, 32, JWT_MALFORMED },
	{ "claims string", HS256, "\"x\"", SECRET, false, 32, JWT_MALFORMED },
	{ "claims bad json", HS256, "{\"a\":01}", SECRET, false, 32,
	    JWT_MALFORMED },
	{ "claims ctl char", HS256, "{\"a\":\"\x01\"}", SECRET, false, 32,
	    JWT_MALFORMED },
	{ "claims bad sig first", HS256, "[1]", "other", false, 32,
	    JWT_BAD_SIGNATURE },
	{ "exp past", HS256, "{\"exp\":1767261725}", SECRET, false, 32,
	    JWT_EXPIRED },
	{ "exp now", HS256, "{\"exp\":1767261726}", SECRET, false, 32,
	    JWT_EXPIRED },
	{ "exp future", HS256, "{\"exp\":1767261727}", SECRET, false, 32,
	    JWT_OK },
	/* issue 12: a time claim that is present must be a finite number */
	{ "exp string", HS256, "{\"exp\":\"1\"}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "exp numeric string", HS256, "{\"exp\":\"9999999999\"}", SECRET, false,
	    32, JWT_BAD_TIME_CLAIM },
	{ "exp overflow", HS256, "{\"exp\":1e400}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "exp null", HS256, "{\"exp\":null}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "exp object", HS256, "{\"exp\":{}}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "exp huge finite", HS256, "{\"exp\":1e300}", SECRET, false, 32, JWT_OK },
	{ "nbf string", HS256, "{\"nbf\":\"0\"}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "iat bool", HS256, "{\"iat\":true}", SECRET, false, 32,
	    JWT_BAD_TIME_CLAIM },
	{ "bad exp before expired nbf", HS256, "{\"exp\":1,\"nbf\":\"x\"}", SECRET,
	    false, 32, JWT_BAD_TIME_CLAIM },
	{ "bad claim after bad sig", HS256, "{\"exp\":\"1\"}", "other", false, 32,
	    JWT_BAD_SIGNATURE },
	{ "exp fraction", HS256, "{\"exp\":1767261725.5}", SECRET, false, 32,
	    JWT_EXPIRED },
	{ "nbf far", HS256, "{\"nbf\":1767262027}", SECRET, false, 32,
	    JWT_NOT_YET_VALID },
	{ "nbf leeway", HS256, "{\"nbf\":1767262026}", SECRET, false, 32,
	    JWT_OK },
	{ "iat far", HS256, "{\"iat\":1767271726}", SECRET, false, 32,
	    JWT_NOT_YET_VALID },
	{ "iat past", HS256, "{\"iat\":1767261000,\"exp\":1767262000}", SECRET,
	    false, 32, JWT_OK },
	{ "expired before nbf", HS256, "{\"exp\":1,\"nbf\":9999999999}", SECRET,
	    false, 32, JWT_EXPIRED },
};

static void
test_verify_table(void **state)
{
	char	tok[4096];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase	*c = &vcases[i];
		enum jwt_result		 r;

		make_token(c->hdr, c->claims, c->key, c->padded, c->siglen,
		    tok, sizeof(tok));
		r = verify(tok, SECRET, NOW);
		if (r != c->want)
			fail_msg("%s: got %s want %s (%s)", c->name,
			    jwt_reason(r), jwt_reason(c->want), tok);
	}
}

struct tcase {
	const char	*name;
	const char	*token;
	enum jwt_result	 want;
};

static const struct tcase tcases[] = {
	{ "empty", "", JWT_MALFORMED },
	{ "plain json", "{\"call_id\":1,\"state\":\"hangup\"}", JWT_UNSIGNED },
	{ "one segment", "eyJhbGciOiJIUzI1NiJ9", JWT_MALFORMED },
	{ "two segments", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ", JWT_MALFORMED },
	{ "four segments", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.AAAA.AAAA",
	    JWT_MALFORMED },
	{ "dots only", "..", JWT_MALFORMED },
	{ "empty header", ".eyJhIjoxfQ.AAAA", JWT_MALFORMED },
	{ "empty payload", "eyJhbGciOiJIUzI1NiJ9..AAAA", JWT_MALFORMED },
	{ "empty signature", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.",
	    JWT_UNSIGNED },
	{ "none empty sig", "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.",
	    JWT_ALG_NOT_ALLOWED },
	{ "plus in header", "eyJhbGciOiJIUzI1NiJ9+.eyJhIjoxfQ.AAAA",
	    JWT_MALFORMED },
	{ "slash in payload", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ/.AAAA",
	    JWT_MALFORMED },
	{ "space inside", "eyJhbGciOiJIUzI1NiJ9.eyJh Ijoxf.AAAA",
	    JWT_MALFORMED },
	{ "star in sig", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.AA*A", JWT_MALFORMED },
	{ "length 1 mod 4", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxf.AAAA",
	    JWT_MALFORMED },
	{ "bad padding", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ=.AAAA",
	    JWT_MALFORMED },
	{ "triple padding", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxf===.AAAA",
	    JWT_MALFORMED },
	{ "inner padding", "eyJhbGciOiJIUzI1NiJ9.eyJh=IjoxfQ.AAAA",
	    JWT_MALFORMED },
	/* valid alphabet, non-canonical trailing bits: a tampered payload, so the MAC decides */
	{ "trailing bits", "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfR.AAAA",
	    JWT_BAD_SIGNATURE },
};

static void
test_token_table(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		enum jwt_result	r = verify(tcases[i].token, SECRET, NOW);

		if (r != tcases[i].want)
			fail_msg("%s: got %s want %s", tcases[i].name,
			    jwt_reason(r), jwt_reason(tcases[i].want));
	}
}

/* Copies F12, applies one edit, and verifies it. */
static enum jwt_result
verify_f12_edit(size_t pos, char c)
{
	char	tok[sizeof(f12_token)];

	memcpy(tok, f12_token, sizeof(tok));
	tok[pos] = c;
	return verify(tok, SECRET, NOW);
}

static void
test_tamper(void **state)
{
	const char	*dot2 = strrchr(f12_token, '.');
	size_t		 sig = (size_t)(dot2 - f12_token) + 1;
	size_t		 last = sizeof(f12_token) - 2;

	(void)state;
	assert_int_equal(verify(f12_token, SECRET, NOW), JWT_OK);
	/* one payload character changed: "eyJj" -> "eyJx" */
	assert_int_equal(verify_f12_edit(40, 'x'), JWT_BAD_SIGNATURE);
	assert_int_equal(verify_f12_edit(sig, 'A'), JWT_BAD_SIGNATURE);
	assert_int_equal(verify_f12_edit(sig + 5, 'z'), JWT_BAD_SIGNATURE);
	/* the last char carries 2 unused bits: either way, a tampered signature is a bad signature */
	assert_int_equal(verify_f12_edit(last, '4'), JWT_BAD_SIGNATURE);
	assert_int_equal(verify_f12_edit(last, '1'), JWT_BAD_SIGNATURE);
	/* issue 3: any tampering with payload or signature is 401 bad_signature, never 400 */
	for (size_t pos = strchr(f12_token, '.') - f12_token + 1; pos <= last; pos++) {
		static const char repl[] = "ABQgz09-_";

		if (f12_token[pos] == '.')
			continue;
		for (const char *r = repl; *r; r++)
			if (*r != f12_token[pos])
				assert_int_equal(verify_f12_edit(pos, *r), JWT_BAD_SIGNATURE);
	}
	assert_int_equal(verify(f12_token, "fixture-secret-do-not-usE", NOW),
	    JWT_BAD_SIGNATURE);
	assert_int_equal(verify(f12_token, "", NOW), JWT_BAD_SIGNATURE);
}

static void
test_extra_segment(void **state)
{
	char	tok[sizeof(f12_token) + 8];

	(void)state;
	snprintf(tok, sizeof(tok), "%s.", f12_token);
	assert_int_equal(verify(tok, SECRET, NOW), JWT_MALFORMED);
	snprintf(tok, sizeof(tok), "%s.AAAA", f12_token);
	assert_int_equal(verify(tok, SECRET, NOW), JWT_MALFORMED);
}

static void
test_length_counts(void **state)
{
	char	 tok[sizeof(f12_token) + 8], *claims = NULL;
	size_t	 len = 0;

	(void)state;
	/* bytes after len are never looked at */
	snprintf(tok, sizeof(tok), "%s.AAAA", f12_token);
	assert_int_equal(jwt_verify(tok, sizeof(f12_token) - 1,
	    (const unsigned char *)SECRET, strlen(SECRET), NOW, &claims, &len),
	    JWT_OK);
	assert_int_equal(len, sizeof(f12_claims) - 1);
	free(claims);
	claims = NULL;
	assert_int_equal(jwt_verify(tok, 0, (const unsigned char *)SECRET,
	    strlen(SECRET), NOW, &claims, &len), JWT_MALFORMED);
	assert_int_equal(jwt_verify(NULL, 10, (const unsigned char *)SECRET,
	    strlen(SECRET), NOW, &claims, &len), JWT_MALFORMED);
	assert_int_equal(jwt_verify(tok, sizeof(f12_token) - 1, NULL, 5, NOW,
	    &claims, &len), JWT_BAD_SIGNATURE);
	assert_null(claims);
}

static void
test_round_trip(void **state)
{
	static const char	claims[] = "{\"z\":[1,2],\"s\":\"\xc3\xa9\"}";
	unsigned char		key[100];
	char			*tok = NULL, *out = NULL;
	size_t			 tlen = 0, olen = 0;

	(void)state;
	memset(key, 0x5a, sizeof(key));		/* longer than a block */
	assert_int_equal(jwt_sign_hs256(claims, sizeof(claims) - 1, key,
	    sizeof(key), &tok, &tlen), 0);
	assert_int_equal(strlen(tok), tlen);
	assert_null(strchr(tok, '='));
	assert_int_equal(jwt_verify(tok, tlen, key, sizeof(key), NOW, &out,
	    &olen), JWT_OK);
	assert_int_equal(olen, sizeof(claims) - 1);
	assert_string_equal(out, claims);
	free(out);
	key[99] ^= 1;
	out = NULL;
	assert_int_equal(jwt_verify(tok, tlen, key, sizeof(key), NOW, &out,
	    &olen), JWT_BAD_SIGNATURE);
	assert_null(out);
	free(tok);
	assert_int_equal(jwt_sign_hs256(claims, sizeof(claims) - 1, key, 0,
	    &tok, &tlen), -1);
}

struct brow {
	const char	*raw;
	const char	*enc;
};

static const struct brow brows[] = {	/* RFC 4648 section 10 */
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
	{ "\xfb\xff", "-_8" },
};

static void
test_b64url(void **state)
{
	unsigned char	out[16];
	char		enc[16];
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof(brows) / sizeof(brows[0]); i++) {
		size_t	rl = strlen(brows[i].raw);

		assert_int_equal(jwt_b64url_encoded_len(rl),
		    strlen(brows[i].enc));
		assert_int_equal(jwt_b64url_encode((const unsigned char *)
		    brows[i].raw, rl, enc, sizeof(enc)), 0);
		assert_string_equal(enc, brows[i].enc);
		assert_int_equal(jwt_b64url_decode(brows[i].enc,
		    strlen(brows[i].enc), out, sizeof(out), &n), 0);
		assert_int_equal(n, rl);
		assert_memory_equal(out, brows[i].raw, rl);
	}
	assert_int_equal(jwt_b64url_encode((const unsigned char *)"foo", 3,
	    enc, 4), -1);
	assert_int_equal(jwt_b64url_decode("Zg==", 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(jwt_b64url_decode("Zm8=", 4, out, sizeof(out), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(jwt_b64url_decode("Zg=", 3, out, sizeof(out), &n), -1);
	assert_int_equal(jwt_b64url_decode("Zm8==", 5, out, sizeof(out), &n),
	    -1);
	assert_int_equal(jwt_b64url_decode("Zm9v====", 8, out, sizeof(out),
	    &n), -1);
	assert_int_equal(jwt_b64url_decode("====", 4, out, sizeof(out), &n),
	    -1);
	assert_int_equal(jwt_b64url_decode("Zh", 2, out, sizeof(out), &n), -1);
	assert_int_equal(jwt_b64url_decode("Z", 1, out, sizeof(out), &n), -1);
	assert_int_equal(jwt_b64url_decode("+/8", 3, out, sizeof(out), &n),
	    -1);
	assert_int_equal(jwt_b64url_decode("Zm9v", 4, out, 2, &n), -1);
	assert_int_equal(jwt_b64url_decode("Zm\09v", 5, out, sizeof(out), &n),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_reason),
		cmocka_unit_test(test_f12),
		cmocka_unit_test(test_verify_table),
		cmocka_unit_test(test_token_table),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_extra_segment),
		cmocka_unit_test(test_length_counts),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_b64url),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
