/*
 * jwt.h: HS256 JSON Web Token verification and signing, plus base64url.
 *
 * Dialpad signs each webhook body as a compact JWT whose claims are the event
 * itself. jwt_verify() accepts HS256 only (never "none"), checks the HMAC in
 * constant time before it looks at the claims, and checks exp/nbf/iat only
 * when they are present; one that is present must be a finite JSON number.
 * Callers must have called sodium_init().
 */
#ifndef DH_JWT_H
#define DH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* How far in the future nbf or iat may be, in seconds (clock skew). */
#define JWT_LEEWAY_S 300

enum jwt_result {
	JWT_OK = 0,
	JWT_MALFORMED,		/* not three base64url segments, bad header
				 * or claims JSON, claims not an object */
	JWT_UNSIGNED,		/* plain JSON body, or empty signature */
	JWT_ALG_NOT_ALLOWED,	/* header alg is not "HS256" */
	JWT_BAD_SIGNATURE,	/* HMAC mismatch, wrong length, empty key */
	JWT_EXPIRED,		/* now >= exp */
	JWT_NOT_YET_VALID,	/* nbf or iat > now + JWT_LEEWAY_S */
	JWT_BAD_TIME_CLAIM	/* exp, nbf or iat present but not a finite number */
};

/* A stable lowercase name for r ("ok", "bad_signature", ...), for logs and
 * metrics. Never NULL; unknown values give "unknown". */
const char	*jwt_reason(enum jwt_result r);

/*
 * Verifies the compact JWT token[0..len) (already trimmed, need not be
 * NUL-terminated) with HMAC-SHA256 under key[0..keylen) used as given, at
 * time now_s (Unix seconds). Checks, in this order: a body starting with
 * '{' is JWT_UNSIGNED; three segments (header and payload non-empty) else
 * JWT_MALFORMED; header base64url decoding to a JSON object else
 * JWT_MALFORMED; header string alg == "HS256" else JWT_ALG_NOT_ALLOWED;
 * payload and signature base64url by alphabet, padding (optional) and length
 * else JWT_MALFORMED; empty signature JWT_UNSIGNED; the HMAC over the raw
 * "header.payload" text else JWT_BAD_SIGNATURE (so any tampering with an
 * otherwise well-formed token, non-canonical trailing bits included, is a bad
 * signature); claims decoding to valid JSON (json_validate) and an object
 * else JWT_MALFORMED; exp, nbf and iat each absent or a finite JSON number
 * else JWT_BAD_TIME_CLAIM; then exp, nbf and iat against now_s. On JWT_OK
 * only, *claims is a malloc'd NUL-terminated copy of the decoded claims
 * (caller frees) and *claims_len its length; otherwise *claims is NULL.
 * Running out of memory gives JWT_MALFORMED.
 */
enum jwt_result	jwt_verify(const char *token, size_t len,
		    const unsigned char *key, size_t keylen, int64_t now_s,
		    char **claims, size_t *claims_len) DH_MUSTCHECK;

/*
 * Signs claims[0..len) (not checked) as a compact JWT with the header
 * {"alg":"HS256","typ":"JWT"}, unpadded base64url. 0 with *out malloc'd and
 * NUL-terminated (caller frees) and *outlen its length; -1 on an empty key
 * or out of memory.
 */
int	jwt_sign_hs256(const char *claims, size_t len,
	    const unsigned char *key, size_t keylen, char **out,
	    size_t *outlen) DH_MUSTCHECK;

/* Length of the unpadded base64url encoding of n bytes (no NUL). */
size_t	jwt_b64url_encoded_len(size_t n);

/*
 * Encodes src[0..n) as unpadded base64url into dst, NUL-terminated. -1 if
 * dstlen < jwt_b64url_encoded_len(n) + 1.
 */
int	jwt_b64url_encode(const unsigned char *src, size_t n, char *dst,
	    size_t dstlen) DH_MUSTCHECK;

/*
 * Decodes base64url src[0..n), with or without correct '=' padding, into
 * dst and sets *outlen. Strict: -1 on any other character, misplaced or
 * wrong padding, a length that is 1 mod 4, non-zero unused trailing bits,
 * or a result larger than dstlen (n / 4 * 3 + 2 bytes always suffice).
 */
int	jwt_b64url_decode(const char *src, size_t n, unsigned char *dst,
	    size_t dstlen, size_t *outlen) DH_MUSTCHECK;

#endif
