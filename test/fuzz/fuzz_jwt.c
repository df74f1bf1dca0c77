/*
 * fuzz_jwt.c: libFuzzer target for common/jwt.c (split, base64url decode,
 * header and signature checks, claims and time checks).
 *
 * fuzz-sources: common/jwt.c common/json.c
 *
 * Every input is used three ways:
 *   1. as a token, verified with the fixture key of dialpad-webhooks.md F12:
 *      a known result; *claims set exactly on JWT_OK, then NUL-terminated,
 *      valid JSON and an object; no result other than "bad signature" with
 *      an empty key;
 *   2. as base64url text: a strict decode re-encodes to the same text
 *      (without '=' padding), and any bytes survive encode then decode;
 *   3. as decoded pieces "header\nclaims" (or only claims, with the
 *      standard header, when there is no '\n'), encoded and correctly
 *      signed so the fuzzer gets past the HMAC: never an unsigned or bad
 *      signature result; on JWT_OK the claims come back byte for byte; a
 *      wrong key or a flipped signature byte is refused; '=' padding on
 *      the segments does not change the result; and jwt_sign_hs256() of
 *      the claims verifies unless they are not a JSON object.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "json.h"
#include "jwt.h"

#define KEY		"fixture-secret-do-not-use"
#define WRONG_KEY	"fixture-secret-do-not-use!"
#define NOW_S		INT64_C(1767261800)	/* just after the F12 event */
#define STD_HEADER	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

FUZZ_INIT_SODIUM()

/* Verifies tok[0..n) under key and checks the output contract. */
static enum jwt_result
verify(const char *tok, size_t n, const char *key, char **claims,
    size_t *len)
{
	enum jwt_result	r;
	struct json_span	root;

	r = jwt_verify(tok, n, (const unsigned char *)key, strlen(key), NOW_S,
	    claims, len);
	FUZZ_ASSERT(r >= JWT_OK && r <= JWT_BAD_TIME_CLAIM);
	FUZZ_ASSERT(strcmp(jwt_reason(r), "unknown") != 0);
	if (r != JWT_OK) {
		FUZZ_ASSERT(*claims == NULL && *len == 0);
		return r;
	}
	FUZZ_ASSERT(*claims != NULL && (*claims)[*len] == '\0');
	FUZZ_ASSERT(json_root(*claims, *len, &root) == 0 &&
	    root.kind == JSON_OBJECT);
	return r;
}

/* Use 1: the input is the token. */
static void
as_token(const char *p, size_t n)
{
	enum jwt_result	r;
	char		*claims;
	size_t		 len;

	(void)verify(p, n, KEY, &claims, &len);
	free(claims);
	r = verify(p, n, "", &claims, &len);
	FUZZ_ASSERT(r != JWT_OK && r != JWT_EXPIRED && r != JWT_NOT_YET_VALID &&
	    r != JWT_BAD_TIME_CLAIM);
	FUZZ_ASSERT(jwt_verify(p, n, NULL, 0, NOW_S, &claims, &len) != JWT_OK);
}

/* Use 2: strict base64url decode and encode agree. */
static void
as_base64(const char *p, size_t n)
{
	unsigned char	*dec;
	char		*enc;
	size_t		 declen, stripped = n, enclen;

	dec = malloc(n / 4 * 3 + 3);
	enc = malloc(jwt_b64url_encoded_len(n) + 1);
	FUZZ_ASSERT(dec != NULL && enc != NULL);
	if (jwt_b64url_decode(p, n, dec, n / 4 * 3 + 2, &declen) == 0) {
		while (stripped > 0 && p[stripped - 1] == '=')
			stripped--;
		FUZZ_ASSERT(n - stripped <= 2);
		enclen = jwt_b64url_encoded_len(declen);
		FUZZ_ASSERT(enclen == stripped);
		FUZZ_ASSERT(jwt_b64url_encode(dec, declen, enc, enclen + 1) == 0);
		FUZZ_ASSERT(memcmp(enc, p, stripped) == 0 && enc[enclen] == '\0');
		if (declen > 0)
			FUZZ_ASSERT(jwt_b64url_decode(p, n, dec, declen - 1,
			    &declen) == -1);
	}
	enclen = jwt_b64url_encoded_len(n);
	FUZZ_ASSERT(jwt_b64url_encode((const unsigned char *)p, n, enc,
	    enclen) == -1);
	FUZZ_ASSERT(jwt_b64url_encode((const unsigned char *)p, n, enc,
	    enclen + 1) == 0);
	FUZZ_ASSERT(strlen(enc) == enclen);
	free(dec);
	dec = malloc(n + 1);
	FUZZ_ASSERT(dec != NULL);
	FUZZ_ASSERT(jwt_b64url_decode(enc, enclen, dec, n, &declen) == 0);
	FUZZ_ASSERT(declen == n && memcmp(dec, p, n) == 0);
	free(dec);
	free(enc);
}

/* Appends base64url of src[0..n) at *o, then '=' padding when pad. */
static void
put_b64(char *buf, size_t *o, const void *src, size_t n, bool pad)
{
	size_t	len = jwt_b64url_encoded_len(n);

	FUZZ_ASSERT(jwt_b64url_encode(src, n, buf + *o, len + 1) == 0);
	*o += len;
	for (; pad && len % 4 != 0; len++)
		buf[(*o)++] = '=';
}

/*
 * Builds "b64(hdr).b64(claims).b64(mac)" signed under key into a malloc'd
 * buffer (*n bytes). With pad, each segment gets '=' padding (which the
 * HMAC covers, as the signed text is the segments as sent).
 */
static char *
build_token(const char *hdr, size_t hn, const char *cl, size_t cn,
    const char *key, bool pad, size_t *n)
{
	crypto_auth_hmacsha256_state	st;
	unsigned char			mac[crypto_auth_hmacsha256_BYTES];
	char				*t;
	size_t				 o = 0;

	t = malloc((hn + cn) / 3 * 4 + 100);
	FUZZ_ASSERT(t != NULL);
	put_b64(t, &o, hdr, hn, pad);
	t[o++] = '.';
	put_b64(t, &o, cl, cn, pad);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
	    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, o);
	crypto_auth_hmacsha256_final(&st, mac);
	t[o++] = '.';
	put_b64(t, &o, mac, sizeof(mac), pad);
	*n = o;
	return t;
}

/* Use 3: the input is the decoded header and claims, correctly signed. */
static void
as_pieces(const char *p, size_t n)
{
	const char	*nl = memchr(p, '\n', n), *hdr = STD_HEADER, *cl = p;
	size_t		 hn = strlen(STD_HEADER), cn = n, tn, len;
	char		*tok, *claims;
	struct json_span root;
	enum jwt_result	 r, r2;
	bool		 obj;

	if (nl != NULL) {
		hdr = p;
		hn = (size_t)(nl - p);
		cl = nl + 1;
		cn = n - hn - 1;
	}
	tok = build_token(hdr, hn, cl, cn, KEY, false, &tn);
	r = jwt_verify(tok, tn, (const unsigned char *)KEY, strlen(KEY),
	    NOW_S, &claims, &len);
	FUZZ_ASSERT(r != JWT_UNSIGNED && r != JWT_BAD_SIGNATURE);
	if (hn == 0 || cn == 0)
		FUZZ_ASSERT(r == JWT_MALFORMED);
	obj = json_root(cl, cn, &root) == 0 && root.kind == JSON_OBJECT;
	if (r == JWT_OK) {
		FUZZ_ASSERT(obj && len == cn && memcmp(claims, cl, cn) == 0 &&
		    claims[cn] == '\0');
		free(claims);
	}
	if (r == JWT_OK || r == JWT_EXPIRED || r == JWT_NOT_YET_VALID ||
	    r == JWT_BAD_TIME_CLAIM) {
		FUZZ_ASSERT(obj);
		FUZZ_ASSERT(jwt_verify(tok, tn, (const unsigned char *)WRONG_KEY,
		    strlen(WRONG_KEY), NOW_S, &claims, &len) ==
		    JWT_BAD_SIGNATURE);
		tok[tn - 1] ^= 1;	/* another MAC, or not base64url */
		r2 = jwt_verify(tok, tn, (const unsigned char *)KEY,
		    strlen(KEY), NOW_S, &claims, &len);
		FUZZ_ASSERT(r2 == JWT_BAD_SIGNATURE || r2 == JWT_MALFORMED);
	}
	free(tok);

	tok = build_token(hdr, hn, cl, cn, KEY, true, &tn);
	r2 = jwt_verify(tok, tn, (const unsigned char *)KEY, strlen(KEY),
	    NOW_S, &claims, &len);
	FUZZ_ASSERT(r2 == r);
	free(claims);
	free(tok);

	if (jwt_sign_hs256(cl, cn, (const unsigned char *)KEY, strlen(KEY),
	    &tok, &tn) == 0) {
		r = verify(tok, tn, KEY, &claims, &len);
		if (obj)
			FUZZ_ASSERT(r == JWT_OK || r == JWT_EXPIRED ||
			    r == JWT_NOT_YET_VALID || r == JWT_BAD_TIME_CLAIM);
		else
			FUZZ_ASSERT(r == JWT_MALFORMED);
		if (r == JWT_OK)
			FUZZ_ASSERT(len == cn && memcmp(claims, cl, cn) == 0);
		free(claims);
		free(tok);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;

	as_token(p, size);
	as_base64(p, size);
	as_pieces(p, size);
	return 0;
}
