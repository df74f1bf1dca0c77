/*
 * ingest.h: the ingest daemon's one context and its lifecycle.
 *
 * struct ingest owns everything mutable: the event base, the verifier, the
 * store (database pool and group commit), the HTTP front end, the metrics
 * registry, the signal and janitor events and the shutdown state. It is
 * passed as the callback argument everywhere; the configuration it points
 * to is read-only.
 *
 * Lifecycle: RUNNING (serving) -> DRAINING (first SIGTERM/SIGINT: the
 * listener is closed, queued and in-flight requests are committed and
 * answered, new requests on open connections get 503) -> STOPPED (loop
 * exits). A second signal, a drain timeout or a fatal database condition
 * stops the loop at once.
 */
#ifndef DH_INGEST_H
#define DH_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"

struct verify;
struct store;
struct http;
struct metrics;
struct resolver;

enum ingest_state {
	INGEST_RUNNING,
	INGEST_DRAINING,
	INGEST_STOPPED,
};

struct ingest {
	const struct dh_config	*cfg;		/* borrowed, read-only */
	struct event_base	*base;
	struct resolver		*resolver;	/* the database host's lookups */
	enum ingest_state	 state;
	struct metrics		*metrics;
	struct verify		*verify;
	struct store		*store;
	struct http		*http;
	struct event		*sigterm;
	struct event		*sigint;
	struct event		*janitor;	/* persistent tick: deadlines, drain */
	int64_t			 drain_deadline_us;
	uint64_t		 nofile;	/* the open-file limit, raised to the hard one at start */
	int			 exit_code;	/* what main() returns */
};

/*
 * Build every part in order (event base, metrics, verifier, store, HTTP
 * listener, signals, janitor) from cfg, which must outlive in. Logs the
 * reason and returns -1 on failure (in is then torn down); 0 on success.
 */
int	ingest_init(struct ingest *in, const struct dh_config *cfg) DH_MUSTCHECK;

/* Log the start-up line, start the database pool and run the loop. Returns the exit code. */
int	ingest_run(struct ingest *in);

/* Answer anything still outstanding with 503 and free everything (reverse order). */
void	ingest_fini(struct ingest *in);

/* Stop the loop at once with exit code rc (fatal database condition, second signal). */
void	ingest_abort(struct ingest *in, int rc);

#endif
