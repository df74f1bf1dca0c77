/*
 * http.h: the HTTP front end of ingest (evhttp on libevent 2.1).
 *
 * Routes (anything else 404; a known path with another method 405 + Allow):
 *   POST /webhooks/dialpad            store for app_id "default"
 *   POST /webhooks/dialpad/{app_id}   app_id [A-Za-z0-9_-]{1,64}
 *   GET  /healthz                     200 while the process serves
 *   GET  /readyz                      200 while a database connection is up, else 503;
 *                                     with the outage spool 200 while running even if
 *                                     not ({"status":"ready","database":"down",...}),
 *                                     unless the spool directory cannot be written
 *   GET  /metrics                     Prometheus text exposition; with
 *                                     DIALHOOK_METRICS_LISTEN set it is served
 *                                     there instead (404 here), beside /healthz
 *                                     and /readyz
 * A webhook taken by the outage spool gets 200 {"status":"spooled"}.
 * Every error body we write is {"status":"error","reason":"<stable reason>"};
 * 503s carry Retry-After. Every request gets exactly one reply: webhooks
 * after their store outcome (http_store_done), everything else at once. A
 * few requests are refused by libevent itself before any of this runs, with
 * its own HTML page (docs/events.md): a declared body over DIALHOOK_MAX_BODY
 * (413), an unparseable request line or oversized headers (400), a method
 * libevent does not know (501).
 *
 * The sockets are common/httpserv.c's: the webhook listener is bound with
 * SO_REUSEPORT (several processes may share the port); open client
 * connections are capped at DIALHOOK_MAX_CONNECTIONS (lowered at start-up
 * to what the open-file limit holds beside a reserve for the database
 * pool, the spool and the logs; beyond it a new connection is closed at
 * once); DIALHOOK_READ_TIMEOUT_MS is one deadline for each request's
 * headers and body, and the keep-alive idle limit.
 */
#ifndef DH_INGEST_HTTP_H
#define DH_INGEST_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct ingest;
struct http;

/* Start the listener(s) on in->base; logs and returns NULL on failure. */
struct http	*http_new(struct ingest *in);

/* Stop accepting new connections (drain); open connections are still served. */
void		 http_stop_accepting(struct http *h);

/* Free evhttp (closing every connection) and the listener. NULL is a no-op. */
void		 http_free(struct http *h);

/* The store's completion callback (arg is the struct ingest): replies to the webhook. */
void		 http_store_done(struct store_req *r, enum store_outcome o, int64_t id, void *arg);

#endif
