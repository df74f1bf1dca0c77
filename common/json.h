/*
 * json.h: strict JSON validation and zero-copy access to raw JSON text.
 *
 * json_validate() is the gate in front of PostgreSQL: it accepts exactly the
 * texts that are one RFC 8259 value AND that PostgreSQL's json type stores
 * and can later read with ->> (so no \u0000 and no unpaired surrogate
 * escapes). cJSON is more lenient and reads numbers through a double only, so
 * the span API below reads ids straight from the text instead.
 *
 * A span borrows the caller's buffer: it stays valid as long as that buffer.
 * Span functions are meant for text that passed json_validate() (json_root()
 * checks that); on any other input they return wrong answers or -1 but never
 * read outside [p, p + len). Nothing here allocates except
 * json_canonical_hash(), which frees before returning.
 */
#ifndef DH_JSON_H
#define DH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

/* Maximum nesting of arrays and objects json_validate() accepts. */
#define JSON_MAX_DEPTH 64

enum json_kind {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/* One JSON value as raw text: a string span includes its quotes. */
struct json_span {
	const char	*p;
	size_t		 len;
	enum json_kind	 kind;
};

/*
 * 0 if buf[0..len) is exactly one JSON value (with optional space, tab, CR
 * or LF around it) under strict RFC 8259 rules, nesting <= JSON_MAX_DEPTH,
 * and with no \u0000 or unpaired surrogate escape; -1 otherwise.
 */
int	json_validate(const char *buf, size_t len) DH_MUSTCHECK;

/* Validates buf and sets *out to its top-level value. 0 or -1. */
int	json_root(const char *buf, size_t len, struct json_span *out)
	    DH_MUSTCHECK;

/*
 * Finds the member named key (compared after unescaping) in the object
 * *obj. With duplicate names the last one wins, as in JSON.parse and
 * PostgreSQL's ->>. 0 found; -1 absent or *obj is not an object.
 */
int	json_member(const struct json_span *obj, const char *key,
	    struct json_span *out) DH_MUSTCHECK;

/*
 * Iterates the elements of the array *arr. Set *cursor to 0 before the first
 * call; each call stores the next element in *out and returns 0, or returns
 * -1 at the end (or if *arr is not an array).
 */
int	json_array_next(const struct json_span *arr, size_t *cursor,
	    struct json_span *out) DH_MUSTCHECK;

/*
 * Iterates the members of the object *obj in document order (duplicates
 * included: a caller wanting json_member()'s "last wins" keeps the last).
 * Set *cursor to 0 before the first call; each call stores the next
 * member's name (a string span, quotes included) in *key and its value in
 * *val and returns 0, or returns -1 at the end (or if *obj is no object).
 */
int	json_object_next(const struct json_span *obj, size_t *cursor,
	    struct json_span *key, struct json_span *val) DH_MUSTCHECK;

/*
 * Reads an exact int64 from a JSON integer (5850000000000001), an integer
 * with an all-zero fraction (5850000000000001.0), or a string holding only
 * an optional '-' and digits ("5850000000000001"). Never goes through a
 * double. -1 on anything else, an exponent, or overflow.
 */
int	json_span_int64(const struct json_span *v, int64_t *out) DH_MUSTCHECK;

/*
 * Reads a finite double from a JSON number or from a string holding a JSON
 * number. Uses strtod: callers must keep the C locale's '.' (the daemons
 * never call setlocale). -1 on anything else or out of range.
 */
int	json_span_double(const struct json_span *v, double *out) DH_MUSTCHECK;

/*
 * Unescapes the string *v into dst as NUL-terminated UTF-8 (surrogate pairs
 * combined). -1 if *v is not a string, has a bad escape or \u0000, or the
 * result plus its NUL does not fit in dstlen bytes.
 */
int	json_span_string(const struct json_span *v, char *dst, size_t dstlen)
	    DH_MUSTCHECK;

/*
 * An index of the top-level members of one object, built in one pass, for
 * callers that look up many members (the classifier, the handlers): each
 * json_member() call rescans the whole object. Lookups give exactly
 * json_member()'s answer (last duplicate wins, escaped names match). Objects
 * with more than JSON_INDEX_MAX members fall back to json_member().
 */
#define JSON_INDEX_MAX 128
struct json_index {
	struct json_span	obj;
	size_t			n;
	bool			overflow;
	struct json_span	key[JSON_INDEX_MAX];
	struct json_span	val[JSON_INDEX_MAX];
};

/* Index obj's members into *ix (which borrows obj's buffer). 0, or -1 if obj is no object. */
int	json_index_build(const struct json_span *obj, struct json_index *ix) DH_MUSTCHECK;

/* Like json_member() on the indexed object. */
int	json_index_get(const struct json_index *ix, const char *key, struct json_span *out) DH_MUSTCHECK;

/* true if *v is the literal null. */
bool	json_span_is_null(const struct json_span *v);

/*
 * BLAKE2b-256 of a canonical form of the JSON text buf: whitespace removed,
 * object members identified by their unescaped names (as json_member and
 * PostgreSQL's ->> identify them), sorted by name, duplicates resolved
 * last-wins, names re-escaped canonically; values' numbers and strings as
 * their raw text, and the top-level members whose
 * names are in skip_top_keys (a NULL-terminated list, or NULL) left out.
 * Two encodings of one value that differ only in member order or whitespace
 * hash equal. 0, or -1 if buf is not valid JSON or memory runs out.
 */
int	json_canonical_hash(const char *buf, size_t len,
	    const char *const *skip_top_keys, unsigned char out[32])
	    DH_MUSTCHECK;

#endif
