/*
 * conns.h: the ingest's open client connections and their read deadlines.
 *
 * libevent 2.1's evhttp timeout is per read: a client that sends one byte a
 * second never trips it. This table gives every connection one deadline for
 * the whole of each request it is reading (headers and body): armed when
 * the connection is accepted and again when a reply has been sent (keep-alive
 * idle time counts), cleared while dialhook holds a complete request. A
 * sweep timer closes connections whose deadline passed. Connections are
 * keyed by their evhttp_connection (an open-addressing hash table that grows
 * with the number of connections, so idle floods cost memory only while they
 * last). Single-threaded, like the event loop.
 */
#ifndef DH_CONNS_H
#define DH_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

struct conns;

/* read_timeout_ms: the per-request deadline. NULL only on out-of-memory of libevent. */
struct conns	*conns_new(struct event_base *base, int64_t read_timeout_ms);
/* Free the table; the connections themselves belong to evhttp. NULL is a no-op. */
void		 conns_free(struct conns *c);

/* A new connection: start its deadline. */
void		 conns_add(struct conns *c, struct evhttp_connection *evcon);
/* evhttp closed it (close callback): forget it. Unknown connections are ignored. */
void		 conns_remove(struct conns *c, struct evhttp_connection *evcon);
/* A complete request arrived on it: no deadline while dialhook holds the request. */
void		 conns_busy(struct conns *c, struct evhttp_connection *evcon);
/* Its reply was sent: the next request (or idle keep-alive) must finish within the deadline. */
void		 conns_idle(struct conns *c, struct evhttp_connection *evcon);

size_t		 conns_count(const struct conns *c);
/* Connections closed because their deadline passed, since start. */
uint64_t	 conns_expired(const struct conns *c);

#endif
