/*
 * verify.h: which secret applies to a request and whether its body is a
 * valid, signed Dialpad event.
 *
 * The verifier holds the global secret (DIALPAD_WEBHOOK_SECRET) and the
 * per-app secrets file (DIALHOOK_SECRETS_FILE); a per-app entry overrides
 * the global secret for that app. With no secret at all it only exists when
 * DIALHOOK_ALLOW_UNSIGNED=1, and then accepts plain JSON objects unverified.
 * Key material never leaves this module: no log line, error or metric
 * contains it.
 */
#ifndef DH_INGEST_VERIFY_H
#define DH_INGEST_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "jwt.h"

struct verify;

/*
 * Build the verifier from cfg. Returns NULL with a one-line reason in err
 * when no secret is configured and unsigned bodies are not allowed, or the
 * secrets file is unreadable or malformed (the reason names the file and
 * line, never its contents).
 */
struct verify	*verify_new(const struct dh_config *cfg, char *err, size_t errlen) DH_MUSTCHECK;
void		 verify_free(struct verify *v);

/* true when no secret exists at all (DIALHOOK_ALLOW_UNSIGNED mode). */
bool		 verify_is_unsigned(const struct verify *v);

/* Number of per-app secrets loaded from the file. */
size_t		 verify_app_count(const struct verify *v);

/*
 * true if requests for app_id can be accepted: it has a secret (its own or
 * the global one) or unsigned bodies are allowed. For metrics and logs only:
 * verify_body() answers an unknown app exactly as a known one whose secret
 * the sender does not have, so a client cannot enumerate apps.
 */
bool		 verify_is_known(const struct verify *v, const char *app_id);

/*
 * Check body[0..len) (need not be NUL-terminated) for app_id. With a secret
 * for the app, the trimmed body must be an HS256 JWT signed with it (see
 * jwt_verify for the result codes). An app without a secret while unsigned
 * bodies are not allowed gets the same checks against a random key nobody
 * knows (never JWT_OK; the same result and the same work as a wrong secret).
 * Without any secret (unsigned mode), a plain
 * JSON object is accepted as is, and a JWT-shaped body has its claims
 * decoded without verification. On JWT_OK *payload is a malloc'd,
 * validated JSON object text (caller frees) of *payload_len bytes; on any
 * other result *payload is NULL.
 */
enum jwt_result	 verify_body(const struct verify *v, const char *app_id, const char *body,
		    size_t len, char **payload, size_t *payload_len) DH_MUSTCHECK;

#endif
