/*
 * util.h: allocation wrappers and clocks.
 *
 * x*alloc() abort the process with a message on out-of-memory (a daemon
 * cannot do anything sensible without memory), so callers never check NULL.
 * Sizes are overflow-checked.
 */
#ifndef DH_UTIL_H
#define DH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);

/* Monotonic clock in microseconds / milliseconds (for latencies and timers). */
int64_t	 util_now_us(void);
int64_t	 util_now_ms(void);
/* Wall clock in milliseconds since the epoch. */
int64_t	 util_wall_ms(void);

/*
 * Copy msg (libpq's messages end in newlines and may span lines) into buf
 * as one line: trailing whitespace dropped, inner newlines and tabs as
 * spaces, truncated to len; NULL gives "unknown error".
 */
void	 util_one_line(const char *msg, char *buf, size_t len);

/*
 * Parse a whole decimal integer within [min, max]; 0 or -1 (not a number,
 * trailing junk, out of range). Never atoi.
 */
int	 util_parse_int64(const char *s, int64_t min, int64_t max, int64_t *out) DH_MUSTCHECK;

/* Format a message into err if err is non-NULL and errlen > 0 (common/'s error reporting). */
void	 util_set_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Split "host:port" (or "[v6]:port") into host and port; 0 or -1. */
int	 util_split_hostport(const char *s, char *host, size_t hostlen, int *port) DH_MUSTCHECK;

#endif
