/*
 * resolver.h: host-name lookups that never block the event loop.
 *
 * One resolver per process wraps one libevent evdns base (evdns_getaddrinfo):
 * the nameservers, search list and options of /etc/resolv.conf (or of the
 * file named by DIALHOOK_RESOLV_CONF), and /etc/hosts. A lookup's callback is
 * always called from the loop, never from within resolver_lookup(), and
 * exactly once unless the lookup is cancelled first.
 *
 * Like everything in common/, this module never logs (libevent's own evdns
 * warnings go to whatever event_set_log_callback installed).
 */
#ifndef DH_RESOLVER_H
#define DH_RESOLVER_H

#include <stddef.h>

#include <event2/event.h>
#include <event2/util.h>

#include "util.h"

struct resolver;
struct resolver_query;

/*
 * A lookup's outcome: err is 0 and ai the addresses (borrowed: valid only
 * during the call), or err is an EVUTIL_EAI_* code (evutil_gai_strerror) and
 * ai NULL.
 */
typedef void (*resolver_cb)(int err, const struct evutil_addrinfo *ai, void *arg);

/*
 * A resolver on base. resolv_conf names a resolv.conf to use instead of
 * /etc/resolv.conf (NULL or "" for the system's); "nameserver IP:PORT" is
 * accepted there. NULL with a message in err if that file cannot be read.
 */
struct resolver	*resolver_new(struct event_base *base, const char *resolv_conf,
		    char *err, size_t errlen);

/*
 * Release the resolver. Lookups still pending are cancelled; libevent
 * delivers cancellations from its loop, so this runs a few non-blocking
 * loop turns to let them finish: call it after every other event of the
 * base is freed, just before event_base_free(), never from a callback.
 * NULL is a no-op.
 */
void		 resolver_free(struct resolver *r);

/*
 * Look up name's IPv4 and IPv6 addresses (TCP; AI_ADDRCONFIG). cb is called
 * later from the loop. The returned handle is valid until cb is called or
 * resolver_cancel() is; it is never NULL.
 */
struct resolver_query *resolver_lookup(struct resolver *r, const char *name,
		    resolver_cb cb, void *arg);

/* Cancel a pending lookup: its callback is never called. */
void		 resolver_cancel(struct resolver_query *q);

/* The event base the resolver runs on (for the caller's own time limits). */
struct event_base *resolver_base(const struct resolver *r);

#endif
