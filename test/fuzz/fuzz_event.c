/*
 * fuzz_event.c: libFuzzer target for event_classify() (common/event.c).
 *
 * fuzz-sources: common/event.c common/json.c
 *
 * The input is any bytes, as a webhook body after JWT decoding. Checked:
 *   - 0 exactly for valid JSON whose top level is an object; otherwise -1
 *     with *out cleared;
 *   - the type is 1..69 characters of [A-Za-z0-9._-] (rule 1 allows 64,
 *     call.<state> adds five), NUL-terminated inside EVENT_TYPE_MAX;
 *   - the key is printable ASCII, NUL-terminated inside EVENT_KEY_MAX, and
 *     "call:<int64>:<token>:<int64>", "sms:<int64>:<token>:<int64>" or
 *     "h:" and 64 lowercase hex digits;
 *   - classification is deterministic and ignores insignificant whitespace.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "event.h"
#include "fuzz.h"
#include "json.h"

FUZZ_INIT_SODIUM()

static bool
is_type_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Skips an optional '-' and 1..19 digits at *s. false if none. */
static bool
skip_int64(const char **s)
{
	const char	*p = *s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9' || strspn(p, "0123456789") > 19)
		return false;
	*s = p + strspn(p, "0123456789");
	return true;
}

/* true if key has the shape <prefix><int64>:<token>:<int64>. */
static bool
id_key_shape(const char *key, const char *prefix)
{
	const char	*p = key + strlen(prefix);
	size_t		 n = 0;

	if (strncmp(key, prefix, strlen(prefix)) != 0 || !skip_int64(&p) ||
	    *p++ != ':')
		return false;
	while (is_type_char(*p)) {
		p++;
		n++;
	}
	return n >= 1 && n <= 64 && *p++ == ':' && skip_int64(&p) && *p == '\0';
}

static void
check_info(const struct event_info *ei)
{
	const char	*k = ei->dedupe_key;
	size_t		 i, n;

	n = strnlen(ei->type, sizeof(ei->type));
	FUZZ_ASSERT(n >= 1 && n <= 69 && n < sizeof(ei->type));
	for (i = 0; i < n; i++)
		FUZZ_ASSERT(is_type_char(ei->type[i]));
	n = strnlen(k, sizeof(ei->dedupe_key));
	FUZZ_ASSERT(n >= 1 && n < sizeof(ei->dedupe_key));
	for (i = 0; i < n; i++)
		FUZZ_ASSERT(k[i] >= 0x20 && k[i] <= 0x7e);
	if (strncmp(k, "h:", 2) == 0)
		FUZZ_ASSERT(n == 66 && strspn(k + 2, "0123456789abcdef") == 64);
	else
		FUZZ_ASSERT(id_key_shape(k, "call:") || id_key_shape(k, "sms:"));
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct event_info	zero;
	const char			*p = (const char *)data;
	struct event_info		 a, b;
	struct json_span		 root;
	bool				 object;
	char				*min;
	size_t				 m;
	int				 rc;

	object = json_root(p, size, &root) == 0 && root.kind == JSON_OBJECT;
	rc = event_classify(p, size, &a);
	FUZZ_ASSERT((rc == 0) == object);
	if (rc == -1) {
		FUZZ_ASSERT(memcmp(&a, &zero, sizeof(a)) == 0);
		return 0;
	}
	check_info(&a);
	FUZZ_ASSERT(event_classify(p, size, &b) == 0);
	FUZZ_ASSERT(strcmp(a.type, b.type) == 0);
	FUZZ_ASSERT(strcmp(a.dedupe_key, b.dedupe_key) == 0);
	min = malloc(size + 1);
	FUZZ_ASSERT(min != NULL);
	m = fuzz_minify(p, size, min);
	FUZZ_ASSERT(event_classify(min, m, &b) == 0);
	FUZZ_ASSERT(strcmp(a.type, b.type) == 0);
	FUZZ_ASSERT(strcmp(a.dedupe_key, b.dedupe_key) == 0);
	free(min);
	return 0;
}
