/*
 * pgarray.c: binary array parameters (see pgarray.h).
 */
#include "pgarray.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* PostgreSQL's timestamptz range in microseconds since 2000-01-01 (datatype/timestamp.h). */
#define PG_MIN_TIMESTAMP	INT64_C(-211813488000000000)
#define PG_END_TIMESTAMP	INT64_C(9223371331200000000)	/* exclusive */
#define PG_EPOCH_MS		INT64_C(946684800000)		/* 2000-01-01 in Unix ms */

static void
pgarray_reserve(struct pgarray *a, size_t more)
{
	if (a->len + more <= a->cap)
		return;
	while (a->cap < a->len + more)
		a->cap = a->cap ? a->cap * 2 : 4096;
	a->p = xreallocarray(a->p, 1, a->cap);
}

/* Append v in network byte order. */
static void
pgarray_put32(struct pgarray *a, uint32_t v)
{
	unsigned char	*p;

	pgarray_reserve(a, 4);
	p = (unsigned char *)a->p + a->len;
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	a->len += 4;
}

static void
pgarray_put64(struct pgarray *a, uint64_t v)
{
	pgarray_put32(a, (uint32_t)(v >> 32));
	pgarray_put32(a, (uint32_t)v);
}

void
pgarray_begin_typed(struct pgarray *a, uint32_t elem_oid, size_t n)
{
	a->len = 0;
	pgarray_put32(a, 1);			/* ndim */
	pgarray_put32(a, 0);			/* flags: array_recv reads NULLs from length -1 anyway */
	pgarray_put32(a, elem_oid);
	pgarray_put32(a, (uint32_t)n);		/* dimension */
	pgarray_put32(a, 1);			/* lower bound */
}

void
pgarray_begin(struct pgarray *a, size_t n)
{
	pgarray_begin_typed(a, PGARRAY_TEXT, n);
}

void
pgarray_add(struct pgarray *a, const char *s, size_t len)
{
	pgarray_put32(a, (uint32_t)len);
	pgarray_reserve(a, len);
	memcpy(a->p + a->len, s, len);
	a->len += len;
}

void
pgarray_add_null(struct pgarray *a)
{
	pgarray_put32(a, UINT32_MAX);		/* length -1 */
}

void
pgarray_add_int8(struct pgarray *a, int64_t v)
{
	pgarray_put32(a, 8);
	pgarray_put64(a, (uint64_t)v);
}

void
pgarray_add_float8(struct pgarray *a, double v)
{
	uint64_t	 bits;

	memcpy(&bits, &v, sizeof(bits));
	pgarray_put32(a, 8);
	pgarray_put64(a, bits);
}

void
pgarray_add_bool(struct pgarray *a, bool v)
{
	pgarray_put32(a, 1);
	pgarray_reserve(a, 1);
	a->p[a->len++] = v ? 1 : 0;
}

int
pgarray_timestamptz_from_ms(int64_t ms, int64_t *us)
{
	/* the bounds divided first, so the multiplication below cannot overflow */
	if (ms < PG_MIN_TIMESTAMP / 1000 + PG_EPOCH_MS || ms >= PG_END_TIMESTAMP / 1000 + PG_EPOCH_MS)
		return -1;
	*us = (ms - PG_EPOCH_MS) * 1000;
	return 0;
}

void
pgarray_free(struct pgarray *a)
{
	free(a->p);
	a->p = NULL;
	a->len = a->cap = 0;
}
