/* arena.c: the batch string arena (see arena.h). */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Memory kept between batches; a larger arena is given back after use. */
#define ARENA_KEEP	(4u << 20)

void
arena_reset(struct arena *a, size_t need)
{
	if (a->cap < need || (a->cap > ARENA_KEEP && need <= ARENA_KEEP)) {
		free(a->p);
		a->cap = need > 4096 ? need : 4096;
		a->p = xmalloc(a->cap);
	}
	a->len = 0;
}

char *
arena_alloc(struct arena *a, size_t n)
{
	char	*p;

	if (a->p == NULL || n > a->cap - a->len)
		return NULL;
	p = a->p + a->len;
	a->len += n;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t len)
{
	char	*p = arena_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
arena_free(struct arena *a)
{
	free(a->p);
	a->p = NULL;
	a->len = a->cap = 0;
}
