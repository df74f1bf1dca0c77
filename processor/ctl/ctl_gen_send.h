/*
 * ctl_gen_send.h: gen-events' HTTP sender (ctl_gen_send.c). It knows nothing
 * of calls or payloads: it POSTs a numbered list of bodies that a producer
 * callback builds on demand, so the dependency runs one way only (the
 * generator, ctl_gen.c, calls the sender; the sender calls back through
 * struct gen_send_src and includes no generator header).
 */
#ifndef DH_CTL_GEN_SEND_H
#define DH_CTL_GEN_SEND_H

#include <stddef.h>
#include <stdint.h>

/* The bodies to deliver: n of them, body(arg, i, &len) builds the i-th. */
struct gen_send_src {
	size_t		 n;
	/* malloc'd body i (0 <= i < n) and its length; NULL if it cannot be built */
	char		*(*body)(void *arg, size_t i, size_t *len);
	void		*arg;
	const char	*content_type;	/* "application/jwt" or "application/json" */
};

/* Where and how to deliver. */
struct gen_send_opts {
	const char	*url;		/* http://HOST[:PORT]/PATH */
	int64_t		 concurrency;	/* keep-alive connections, 1 or more */
	int64_t		 retries;	/* retries of a 5xx or failed connection */
};

/*
 * POST every body of src to o->url over o->concurrency keep-alive
 * connections, retrying 5xx and connection failures like Dialpad (o->retries
 * times, after 2 s, 4 s, 8 s, ...), with a progress line on stderr each second
 * and the delivery summary on stdout (sent, 2xx by stored/duplicate, non-2xx,
 * errors, retries, failed). CTL_EXIT_OK if every body got a 2xx,
 * CTL_EXIT_RUNTIME otherwise, CTL_EXIT_USAGE for a malformed URL.
 */
int	 gen_send(const struct gen_send_opts *o, const struct gen_send_src *src);

#endif
