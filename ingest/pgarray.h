/*
 * pgarray.h: one-dimensional binary text[] query parameters (PostgreSQL's
 * array_recv format), built in a growable buffer reused from statement to
 * statement. Used by store.c (group-commit batches) and spooler.c (replay).
 * No logging; allocation failure aborts (xmalloc).
 */
#ifndef DH_INGEST_PGARRAY_H
#define DH_INGEST_PGARRAY_H

#include <stddef.h>

/* A text[] being built; zero-initialise. The caller owns it: pgarray_free(). */
struct pgarray {
	char	*p;
	size_t	 len, cap;
};

/* Start an array of n elements (may be patched later with pgarray_set_count). */
void	pgarray_begin(struct pgarray *a, size_t n);

/* Append one element: len bytes of s (not NUL-terminated). */
void	pgarray_add(struct pgarray *a, const char *s, size_t len);

/* Set the element count of an array started with pgarray_begin. */
void	pgarray_set_count(struct pgarray *a, size_t n);

/* Release the buffer; the struct may be reused after pgarray_begin. */
void	pgarray_free(struct pgarray *a);

#endif
