/*
 * status.h: the processor's metrics and its /metrics, /healthz and /readyz endpoints.
 *
 * Counters of processed, skipped, failed and dead events by event type (the
 * dispatch table's types; every type without a handler is labelled "other",
 * so a sender cannot grow the label set), histograms of batch size and
 * duration, the time spent waiting on PostgreSQL versus working in the
 * processor, and the lag gauge (age of the oldest due event, as seen by the
 * last claim), and the wrong-typed optional fields ignored per payload field.
 */
#ifndef DH_STATUS_H
#define DH_STATUS_H

#include <stdbool.h>

#include <event2/event.h>

#include "batch.h"
#include "util.h"

struct status;

/* healthy(arg) decides /readyz (200 or 503); /healthz is 200 while the process serves. */
struct status	*status_new(bool (*healthy)(void *arg), void *arg);
void		 status_free(struct status *s);

/*
 * Serve /metrics, /healthz and /readyz on "host:port", at most
 * max_connections clients at once, each request within 5 s (common/httpserv.h).
 * 0, or -1 with the reason logged.
 */
int		 status_listen(struct status *s, struct event_base *base, const char *hostport,
		    size_t max_connections) DH_MUSTCHECK;

/* Count a committed batch: its events by outcome and type, its size and timings. */
void		 status_batch(struct status *s, const struct batch *b, double took_s, double db_s);

/* Count one event that failed on its own (the single-event SQL failure path). */
void		 status_event_failed(struct status *s, int type_index, bool dead);

/* Set the lag gauge (seconds). */
void		 status_lag(struct status *s, double seconds);

#endif
