/*
 * http.h: the HTTP front end of ingest (evhttp on libevent 2.1).
 *
 * Routes (anything else 404; a known path with another method 405 + Allow):
 *   POST /webhooks/dialpad            store for app_id "default"
 *   POST /webhooks/dialpad/{app_id}   app_id [A-Za-z0-9_-]{1,64}
 *   GET  /healthz                     200 while the process serves
 *   GET  /readyz                      200 while a database connection is up, else 503;
 *                                     with the outage spool 200 while running even if
 *                                     not ({"status":"ready","database":"down",...})
 * A webhook taken by the outage spool gets 200 {"status":"spooled"}.
 *   GET  /metrics                     Prometheus text exposition
 * Every error body is {"status":"error","reason":"<stable reason>"}; 503s
 * carry Retry-After. Every request gets exactly one reply: webhooks after
 * their store outcome (http_store_done), everything else at once.
 *
 * The listener is a socket we create with SO_REUSEPORT (several processes
 * may share the port). Open client connections are counted and capped at
 * DIALHOOK_MAX_CONNECTIONS (beyond it a new connection is closed at once);
 * DIALHOOK_READ_TIMEOUT_MS bounds header, body and keep-alive idle time;
 * bodies over DIALHOOK_MAX_BODY are refused by evhttp with 413 as soon as
 * the declared (or chunked) length exceeds it, without buffering the rest.
 */
#ifndef DH_INGEST_HTTP_H
#define DH_INGEST_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct ingest;
struct http;

/* Create the listener and evhttp on in->base; logs and returns NULL on failure. */
struct http	*http_new(struct ingest *in);

/* Stop accepting new connections (drain); open connections are still served. */
void		 http_stop_accepting(struct http *h);

/* Free evhttp (closing every connection) and the listener. NULL is a no-op. */
void		 http_free(struct http *h);

/* Open client connections. */
size_t		 http_connections(const struct http *h);

/* The store's completion callback (arg is the struct ingest): replies to the webhook. */
void		 http_store_done(struct store_req *r, enum store_outcome o, int64_t id, void *arg);

#endif
