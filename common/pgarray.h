/*
 * pgarray.h: one-dimensional arrays as binary query parameters (PostgreSQL's
 * array_recv format), built in a growable buffer reused from statement to
 * statement. Used by ingest's group commits and spool replay (text[]) and by
 * the processor's batch write (text[], int8[], bool[], float8[], json[],
 * timestamptz[]).
 *
 * A parameter built here is sent with format 1 (binary) and its length
 * (pgarray.len); the statement must cast it to an array of exactly the
 * element type given to pgarray_begin_typed(), or the server refuses it
 * ("wrong element type"). No logging; allocation failure aborts (xmalloc).
 */
#ifndef DH_PGARRAY_H
#define DH_PGARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pg_type OIDs of the element types used here (fixed since PostgreSQL 7). */
#define PGARRAY_BOOL		16
#define PGARRAY_INT8		20
#define PGARRAY_TEXT		25
#define PGARRAY_JSON		114
#define PGARRAY_FLOAT8		701
#define PGARRAY_TIMESTAMPTZ	1184

/* An array being built; zero-initialise. The caller owns it: pgarray_free(). */
struct pgarray {
	char	*p;
	size_t	 len, cap;
};

/* Start a text[] of exactly n elements (forgets what the buffer held). */
void	pgarray_begin(struct pgarray *a, size_t n);

/* Start an array of exactly n elements of the type elem_oid (PGARRAY_*). */
void	pgarray_begin_typed(struct pgarray *a, uint32_t elem_oid, size_t n);

/* Append one element given as its binary value: len bytes of s (text: the bytes themselves). */
void	pgarray_add(struct pgarray *a, const char *s, size_t len);

/* Append a NULL element. */
void	pgarray_add_null(struct pgarray *a);

/* Append an int8 (also a timestamptz: microseconds since 2000-01-01 UTC). */
void	pgarray_add_int8(struct pgarray *a, int64_t v);

/* Append a float8 (IEEE 754 bits, exact) or a bool. */
void	pgarray_add_float8(struct pgarray *a, double v);
void	pgarray_add_bool(struct pgarray *a, bool v);

/*
 * The timestamptz of an epoch-milliseconds value, as PostgreSQL stores it
 * (microseconds since 2000-01-01 UTC), computed in integer arithmetic: 0, or
 * -1 if ms lies outside timestamptz's range (4714 BC .. 294276 AD).
 */
int	pgarray_timestamptz_from_ms(int64_t ms, int64_t *us);

/* Release the buffer; the struct may be reused after pgarray_begin. */
void	pgarray_free(struct pgarray *a);

#endif
