/*
 * jwt.c: HS256 compact JWT verify/sign and strict base64url.
 *
 * Untrusted input throughout: every decode is bounded by the token length,
 * the signature is compared in constant time before the claims are parsed,
 * and nothing logs or keeps state.
 */
#include "jwt.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"

#define JWT_MAC_LEN	crypto_auth_hmacsha256_BYTES
#define JWT_HEADER_JSON	"{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* The three segments of a token and their decoded bytes. */
struct jwt_parts {
	const char	*seg[3];
	size_t		 seglen[3];
	unsigned char	*dec[3];	/* inside one buffer owned by jwt_verify */
	size_t		 declen[3];
};

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const char *
jwt_reason(enum jwt_result r)
{
	switch (r) {
	case JWT_OK:
		return "ok";
	case JWT_MALFORMED:
		return "malformed";
	case JWT_UNSIGNED:
		return "unsigned";
	case JWT_ALG_NOT_ALLOWED:
		return "alg_not_allowed";
	case JWT_BAD_SIGNATURE:
		return "bad_signature";
	case JWT_EXPIRED:
		return "expired";
	case JWT_NOT_YET_VALID:
		return "not_yet_valid";
	case JWT_BAD_TIME_CLAIM:
		return "bad_time_claim";
	}
	return "unknown";
}

size_t
jwt_b64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 != 0 ? n % 3 + 1 : 0);
}

int
jwt_b64url_encode(const unsigned char *src, size_t n, char *dst,
    size_t dstlen)
{
	uint32_t	acc = 0;
	size_t		i, o = 0;
	int		bits = 0;

	if (dst == NULL || (src == NULL && n > 0) ||
	    n > (SIZE_MAX - 4) / 4 * 3 || dstlen < jwt_b64url_encoded_len(n) + 1)
		return -1;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | src[i];
		for (bits += 8; bits >= 6; bits -= 6)
			dst[o++] = b64url_alphabet[(acc >> (bits - 6)) & 0x3F];
	}
	if (bits > 0)
		dst[o++] = b64url_alphabet[(acc << (6 - bits)) & 0x3F];
	dst[o] = '\0';
	return 0;
}

/* The 6-bit value of base64url character c, or -1 (no strchr: this runs per byte of every body). */
static int
b64url_value(char c)
{
	unsigned char	 u = (unsigned char)c;

	if (u >= 'A' && u <= 'Z')
		return u - 'A';
	if (u >= 'a' && u <= 'z')
		return u - 'a' + 26;
	if (u >= '0' && u <= '9')
		return u - '0' + 52;
	if (u == '-')
		return 62;
	if (u == '_')
		return 63;
	return -1;
}

/*
 * Strips correct '=' padding from src[0..*n): 0 with *n reduced, or -1 if
 * padding is present but the padded length is not a multiple of 4.
 */
static int
b64url_unpad(const char *src, size_t *n)
{
	if (*n == 0 || src[*n - 1] != '=')
		return 0;
	if (*n % 4 != 0)
		return -1;
	(*n)--;
	if (src[*n - 1] == '=')
		(*n)--;
	return 0;
}

int
jwt_b64url_decode(const char *src, size_t n, unsigned char *dst,
    size_t dstlen, size_t *outlen)
{
	uint32_t	acc = 0;
	size_t		i, o = 0;
	int		v, bits = 0;

	if ((src == NULL && n > 0) || outlen == NULL ||
	    b64url_unpad(src, &n) == -1 || n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64url_value(src[i])) == -1)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= dstlen)
				return -1;
			dst[o++] = (unsigned char)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;	/* non-canonical: unused bits must be zero */
	*outlen = o;
	return 0;
}

/* HMAC-SHA256 of msg[0..n) under key[0..keylen) (keylen > 0) into mac. */
static void
hmac_sha256(const unsigned char *key, size_t keylen, const char *msg,
    size_t n, unsigned char mac[JWT_MAC_LEN])
{
	crypto_auth_hmacsha256_state	st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

/*
 * Splits token[0..len) at its dots into exactly three segments, the first
 * two non-empty. 0 or -1.
 */
static int
jwt_split(const char *token, size_t len, struct jwt_parts *pt)
{
	const char	*end = token + len, *p = token;
	int		 i;

	for (i = 0; i < 3; i++) {
		const char	*dot = memchr(p, '.', (size_t)(end - p));

		if ((dot == NULL) != (i == 2))
			return -1;
		pt->seg[i] = p;
		pt->seglen[i] = (size_t)((dot ? dot : end) - p);
		p = dot ? dot + 1 : end;
	}
	return pt->seglen[0] > 0 && pt->seglen[1] > 0 ? 0 : -1;
}

/*
 * True if src[0..n) is base64url text by its alphabet, padding and length
 * (whatever its unused trailing bits hold): the line between a broken token
 * (400) and a tampered one (401).
 */
static bool
jwt_b64url_syntax_ok(const char *src, size_t n)
{
	if (b64url_unpad(src, &n) == -1 || n % 4 == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b64url_value(src[i]) == -1)
			return false;
	return true;
}

/*
 * Decodes segment i into its place in buf, which holds at least the token
 * length plus 6 bytes (each segment decodes to at most its length + 2, and
 * segment i starts after the room of the ones before it). 0 or -1.
 */
static int
jwt_decode_seg(struct jwt_parts *pt, int i, unsigned char *buf)
{
	for (int j = 0; j < i; j++)
		buf += pt->seglen[j] + 2;
	pt->dec[i] = buf;
	return jwt_b64url_decode(pt->seg[i], pt->seglen[i], buf, pt->seglen[i] + 2,
	    &pt->declen[i]);
}

/* Checks that the decoded header is an object whose alg is "HS256". A
 * "crit" member names extensions we do not implement, so it is refused. */
static enum jwt_result
jwt_check_header(const struct jwt_parts *pt)
{
	struct json_span	root, alg, crit;
	char			name[8];

	if (json_root((const char *)pt->dec[0], pt->declen[0], &root) == -1 ||
	    root.kind != JSON_OBJECT ||
	    json_member(&root, "crit", &crit) == 0)
		return JWT_MALFORMED;
	if (json_member(&root, "alg", &alg) == -1 ||
	    json_span_string(&alg, name, sizeof(name)) == -1 ||
	    strcmp(name, "HS256") != 0)
		return JWT_ALG_NOT_ALLOWED;
	return JWT_OK;
}

/* Checks the signature segment against HMAC-SHA256 of "seg0.seg1". */
static enum jwt_result
jwt_check_signature(const struct jwt_parts *pt, const unsigned char *key,
    size_t keylen)
{
	unsigned char	mac[JWT_MAC_LEN];
	int		rc;

	if (pt->seglen[2] == 0)
		return JWT_UNSIGNED;
	if (key == NULL || keylen == 0 || pt->declen[2] != JWT_MAC_LEN)
		return JWT_BAD_SIGNATURE;
	hmac_sha256(key, keylen, pt->seg[0], pt->seglen[0] + 1 + pt->seglen[1],
	    mac);
	rc = sodium_memcmp(mac, pt->dec[2], JWT_MAC_LEN);
	sodium_memzero(mac, sizeof(mac));
	return rc == 0 ? JWT_OK : JWT_BAD_SIGNATURE;
}

/*
 * Reads the time claim name of obj (a NumericDate, RFC 7519) into *out. 0 if
 * it is absent, 1 with *out set if it is a finite JSON number, -1 if it is
 * present but anything else (a string such as "1000", null, or a number out
 * of the double range such as 1e400): such a claim cannot be honoured, and
 * ignoring it would let a token its issuer meant to expire live forever.
 */
static int
jwt_time_claim(const struct json_index *obj, const char *name, double *out)
{
	struct json_span	v;

	if (json_index_get(obj, name, &v) == -1)
		return 0;
	if (v.kind != JSON_NUMBER || json_span_double(&v, out) == -1)
		return -1;
	return 1;
}

/* Checks that the claims are a JSON object, then exp, nbf and iat. */
static enum jwt_result
jwt_check_claims(const struct jwt_parts *pt, int64_t now_s)
{
	static const char *const names[] = { "exp", "nbf", "iat" };
	struct json_span	root;
	struct json_index	ix;
	double			now = (double)now_s, t[3];
	int			has[3];

	if (json_root((const char *)pt->dec[1], pt->declen[1], &root) == -1 ||
	    root.kind != JSON_OBJECT || json_index_build(&root, &ix) == -1)
		return JWT_MALFORMED;
	for (size_t i = 0; i < 3; i++)
		if ((has[i] = jwt_time_claim(&ix, names[i], &t[i])) == -1)
			return JWT_BAD_TIME_CLAIM;
	if (has[0] && now >= t[0])
		return JWT_EXPIRED;
	if ((has[1] && t[1] > now + JWT_LEEWAY_S) || (has[2] && t[2] > now + JWT_LEEWAY_S))
		return JWT_NOT_YET_VALID;
	return JWT_OK;
}

enum jwt_result
jwt_verify(const char *token, size_t len, const unsigned char *key,
    size_t keylen, int64_t now_s, char **claims, size_t *claims_len)
{
	struct jwt_parts	 pt;
	unsigned char		*buf;
	enum jwt_result		 r;

	if (claims == NULL || claims_len == NULL)
		return JWT_MALFORMED;
	*claims = NULL;
	*claims_len = 0;
	if (token != NULL && len > 0 && token[0] == '{')
		return JWT_UNSIGNED;
	if (token == NULL || len == 0 || len > SIZE_MAX - 8 ||
	    jwt_split(token, len, &pt) == -1)
		return JWT_MALFORMED;
	if ((buf = malloc(len + 8)) == NULL)
		return JWT_MALFORMED;
	/*
	 * Header first (alg), then the MAC over the raw "seg0.seg1" text, and
	 * only then the payload: a tampered payload or signature, whatever its
	 * base64url looks like, is a bad signature (401), never malformed.
	 */
	r = jwt_decode_seg(&pt, 0, buf) == 0 ? jwt_check_header(&pt) : JWT_MALFORMED;
	if (r == JWT_OK && (!jwt_b64url_syntax_ok(pt.seg[1], pt.seglen[1]) ||
	    !jwt_b64url_syntax_ok(pt.seg[2], pt.seglen[2])))
		r = JWT_MALFORMED;	/* not base64url at all: broken, not tampered */
	if (r == JWT_OK)
		r = jwt_decode_seg(&pt, 2, buf) == 0 ? jwt_check_signature(&pt, key, keylen) :
		    JWT_BAD_SIGNATURE;
	if (r == JWT_OK)
		r = jwt_decode_seg(&pt, 1, buf) == 0 ? jwt_check_claims(&pt, now_s) : JWT_MALFORMED;
	if (r != JWT_OK) {
		free(buf);
		return r;
	}
	memmove(buf, pt.dec[1], pt.declen[1]);
	buf[pt.declen[1]] = '\0';
	*claims = (char *)buf;
	*claims_len = pt.declen[1];
	return JWT_OK;
}

int
jwt_sign_hs256(const char *claims, size_t len, const unsigned char *key,
    size_t keylen, char **out, size_t *outlen)
{
	static const char	 hdr[] = JWT_HEADER_JSON;
	unsigned char		 mac[JWT_MAC_LEN];
	size_t			 hl, pl, ml, total;
	char			*s;

	if (out == NULL || outlen == NULL || key == NULL || keylen == 0 ||
	    (claims == NULL && len > 0) || len > SIZE_MAX / 2)
		return -1;
	hl = jwt_b64url_encoded_len(sizeof(hdr) - 1);
	pl = jwt_b64url_encoded_len(len);
	ml = jwt_b64url_encoded_len(sizeof(mac));
	total = hl + 1 + pl + 1 + ml;
	if ((s = malloc(total + 1)) == NULL)
		return -1;
	if (jwt_b64url_encode((const unsigned char *)hdr, sizeof(hdr) - 1, s,
	    hl + 1) == -1 ||
	    jwt_b64url_encode((const unsigned char *)claims, len, s + hl + 1,
	    pl + 1) == -1) {
		free(s);
		return -1;
	}
	s[hl] = '.';
	hmac_sha256(key, keylen, s, hl + 1 + pl, mac);
	s[hl + 1 + pl] = '.';
	if (jwt_b64url_encode(mac, sizeof(mac), s + hl + 2 + pl, ml + 1) == -1) {
		free(s);
		return -1;
	}
	*out = s;
	*outlen = total;
	return 0;
}
