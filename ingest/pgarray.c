/*
 * pgarray.c: binary text[] parameters (see pgarray.h).
 */
#include "pgarray.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define PGARRAY_TEXT_OID	25	/* pg_type.oid of text */
#define PGARRAY_DIM_OFF		12	/* offset of the dimension in the header */

static void
pgarray_reserve(struct pgarray *a, size_t more)
{
	if (a->len + more <= a->cap)
		return;
	while (a->cap < a->len + more)
		a->cap = a->cap ? a->cap * 2 : 4096;
	a->p = xreallocarray(a->p, 1, a->cap);
}

static void
pgarray_store32(char *at, uint32_t v)
{
	unsigned char	*p = (unsigned char *)at;

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
pgarray_put32(struct pgarray *a, uint32_t v)
{
	pgarray_reserve(a, 4);
	pgarray_store32(a->p + a->len, v);
	a->len += 4;
}

void
pgarray_begin(struct pgarray *a, size_t n)
{
	a->len = 0;
	pgarray_put32(a, 1);			/* ndim */
	pgarray_put32(a, 0);			/* has nulls */
	pgarray_put32(a, PGARRAY_TEXT_OID);
	pgarray_put32(a, (uint32_t)n);		/* dimension */
	pgarray_put32(a, 1);			/* lower bound */
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
pgarray_set_count(struct pgarray *a, size_t n)
{
	pgarray_store32(a->p + PGARRAY_DIM_OFF, (uint32_t)n);
}

void
pgarray_free(struct pgarray *a)
{
	free(a->p);
	a->p = NULL;
	a->len = a->cap = 0;
}
