/*
 * strbuf.h: a growing NUL-terminated string, for building SQL, JSON and
 * conninfo lists. Zero-initialise it; p stays NULL until something is
 * added (strbuf_puts(b, "") makes it ""); strbuf_free() when done.
 * Allocation failure aborts (util.h's x*alloc), so nothing here fails.
 */
#ifndef DH_STRBUF_H
#define DH_STRBUF_H

#include <stddef.h>

struct strbuf {
	char	*p;
	size_t	 len, cap;
};

void	 strbuf_append(struct strbuf *b, const char *s, size_t n);
void	 strbuf_puts(struct strbuf *b, const char *s);
void	 strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty it, keeping the memory. */
void	 strbuf_reset(struct strbuf *b);
void	 strbuf_free(struct strbuf *b);

#endif
