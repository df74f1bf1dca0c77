/*
 * arena.h: a bump allocator for the strings of one batch.
 *
 * arena_reset() makes room for the whole batch up front, so a pointer handed
 * out stays valid until the next arena_reset() or arena_free(): the arena
 * never moves its memory while a batch is being built. It keeps its memory
 * between batches (a very large one is given back after use). Allocation
 * failure of the reservation aborts (xmalloc); running out of the reserved
 * room is an ordinary NULL return the caller handles.
 */
#ifndef DH_ARENA_H
#define DH_ARENA_H

#include <stddef.h>

struct arena {
	char	*p;
	size_t	 len, cap;
};

/* Forget earlier strings and make room for at least `need` bytes in total. */
void	 arena_reset(struct arena *a, size_t need);

/* Room for n bytes (n includes any NUL), or NULL if the reservation is exhausted. */
char	*arena_alloc(struct arena *a, size_t n);

/* Copy s (len bytes) as a NUL-terminated string; NULL if out of room. */
char	*arena_strndup(struct arena *a, const char *s, size_t len);

/* Release the memory; the struct may be reused after arena_reset(). */
void	 arena_free(struct arena *a);

#endif
