/*
 * verify.c: secrets lookup and body verification (see verify.h).
 */
#include "verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "json.h"
#include "secrets.h"
#include "util.h"

struct verify {
	unsigned char	*global;	/* DIALPAD_WEBHOOK_SECRET bytes, or NULL */
	size_t		 global_len;
	unsigned char	 dummy[32];	/* random: the key an unknown app is checked against */
	struct secrets	*apps;		/* per-app secrets, or NULL */
	bool		 allow_unsigned;	/* DIALHOOK_ALLOW_UNSIGNED */
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct verify *
verify_new(const struct dh_config *cfg, char *err, size_t errlen)
{
	struct verify	*v = xcalloc(1, sizeof(*v));

	v->allow_unsigned = cfg->allow_unsigned;
	randombytes_buf(v->dummy, sizeof(v->dummy));

	if (cfg->webhook_secret != NULL && cfg->webhook_secret[0] != '\0') {
		v->global_len = strlen(cfg->webhook_secret);
		v->global = xmalloc(v->global_len);
		memcpy(v->global, cfg->webhook_secret, v->global_len);
	}
	if (cfg->secrets_file != NULL) {
		v->apps = secrets_load(cfg->secrets_file, err, errlen);
		if (v->apps == NULL)
			goto fail;
	}
	if (v->global == NULL && secrets_count(v->apps) == 0 && !cfg->allow_unsigned) {
		snprintf(err, errlen, "no webhook secret configured: set DIALPAD_WEBHOOK_SECRET "
		    "(or DIALHOOK_SECRETS_FILE), or DIALHOOK_ALLOW_UNSIGNED=1 to accept unverified events");
		goto fail;
	}
	return v;
fail:
	verify_free(v);
	return NULL;
}

void
verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	if (v->global) {
		sodium_memzero(v->global, v->global_len);
		free(v->global);
	}
	secrets_free(v->apps);
	sodium_memzero(v->dummy, sizeof(v->dummy));
	free(v);
}

bool
verify_is_unsigned(const struct verify *v)
{
	return v->global == NULL && secrets_count(v->apps) == 0;
}

size_t
verify_app_count(const struct verify *v)
{
	return secrets_count(v->apps);
}

/* The key for app_id (its own entry, else the global one); false if none. */
static bool
verify_key(const struct verify *v, const char *app_id, const unsigned char **key, size_t *len)
{
	const struct secret	*s = secrets_find(v->apps, app_id);

	if (s != NULL) {
		*key = s->key;
		*len = s->len;
		return true;
	}
	*key = v->global;
	*len = v->global_len;
	return v->global != NULL;
}

bool
verify_is_known(const struct verify *v, const char *app_id)
{
	const unsigned char	*key;
	size_t			 len;

	return verify_key(v, app_id, &key, &len) || v->allow_unsigned;
}

/* A malloc'd copy of a JSON object text, or JWT_MALFORMED if it is not one. */
static enum jwt_result
verify_plain(const char *body, size_t len, char **payload, size_t *payload_len)
{
	struct json_span	root;

	if (json_root(body, len, &root) != 0 || root.kind != JSON_OBJECT)
		return JWT_MALFORMED;
	*payload = xmalloc(len + 1);
	memcpy(*payload, body, len);
	(*payload)[len] = '\0';
	*payload_len = len;
	return JWT_OK;
}

/*
 * Unsigned mode with a JWT-shaped body: decode its claims segment without
 * checking anything but that it is a JSON object. JWT_OK or JWT_MALFORMED.
 */
static enum jwt_result
verify_decode_claims(const char *body, size_t len, char **payload, size_t *payload_len)
{
	const char	*p = memchr(body, '.', len), *q;
	unsigned char	*buf;
	size_t		 n, out;
	enum jwt_result	 r;

	if (p == NULL || (q = memchr(p + 1, '.', len - (size_t)(p + 1 - body))) == NULL)
		return JWT_MALFORMED;
	n = (size_t)(q - (p + 1));
	buf = xmalloc(n / 4 * 3 + 3);
	if (jwt_b64url_decode(p + 1, n, buf, n / 4 * 3 + 3, &out) != 0) {
		free(buf);
		return JWT_MALFORMED;
	}
	r = verify_plain((const char *)buf, out, payload, payload_len);
	free(buf);
	return r;
}

/*
 * An app with no secret while unsigned bodies are not allowed: do the same
 * work as for a known app whose secret the sender does not have (the HMAC
 * against a random key nobody knows), so the answer and its timing do not
 * tell the two apart. Never JWT_OK.
 */
static enum jwt_result
verify_unknown(const struct verify *v, const char *body, size_t len)
{
	char		*claims = NULL;
	size_t		 n = 0;
	enum jwt_result	 r;

	r = jwt_verify(body, len, v->dummy, sizeof(v->dummy), (int64_t)time(NULL), &claims, &n);
	free(claims);
	/* only a sender who knows the random key gets further: still a bad signature */
	return r == JWT_OK || r == JWT_EXPIRED || r == JWT_NOT_YET_VALID || r == JWT_BAD_TIME_CLAIM ?
	    JWT_BAD_SIGNATURE : r;
}

enum jwt_result
verify_body(const struct verify *v, const char *app_id, const char *body, size_t len,
    char **payload, size_t *payload_len)
{
	const unsigned char	*key;
	size_t			 keylen;

	*payload = NULL;
	*payload_len = 0;
	while (len > 0 && is_space(body[0]))
		body++, len--;
	while (len > 0 && is_space(body[len - 1]))
		len--;
	if (len == 0)
		return JWT_MALFORMED;
	if (verify_key(v, app_id, &key, &keylen))
		return jwt_verify(body, len, key, keylen, (int64_t)time(NULL), payload, payload_len);
	if (!v->allow_unsigned)
		return verify_unknown(v, body, len);
	if (body[0] == '{')
		return verify_plain(body, len, payload, payload_len);
	return verify_decode_claims(body, len, payload, payload_len);
}
