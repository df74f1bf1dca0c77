/*
 * batching.c: the store's decisions, pure (see batching.h).
 */
#include "batching.h"

#include <string.h>

bool
batching_admits(size_t conns_up, bool spool_usable, size_t waiting, size_t max_pending)
{
	return (conns_up > 0 || spool_usable) && waiting < max_pending;
}

enum batching_route
batching_route(size_t conns_up, bool has_spool)
{
	return has_spool && conns_up == 0 ? BATCHING_ROUTE_SPOOL : BATCHING_ROUTE_QUEUE;
}

bool
batching_takes(size_t n, bool first_solo, bool solo, size_t max_batch)
{
	return n == 0 || (!first_solo && !solo && n < max_batch);
}

static bool
key_equal(const struct batching_key *a, const struct batching_key *b)
{
	return strcmp(a->dedupe_key, b->dedupe_key) == 0 && strcmp(a->app_id, b->app_id) == 0;
}

void
batching_map(const struct batching_key *reqs, size_t n, const struct batching_key *rows,
    const int64_t *row_ids, size_t nrows, int64_t *ids)
{
	size_t	 j = 0;

	for (size_t i = 0; i < n; i++) {
		ids[i] = 0;
		if (j < nrows && key_equal(&rows[j], &reqs[i]))
			ids[i] = row_ids[j++];
	}
	if (j == nrows)
		return;
	for (size_t i = 0; i < n; i++)
		ids[i] = 0;
	for (j = 0; j < nrows; j++) {
		for (size_t i = 0; i < n; i++) {
			if (ids[i] == 0 && key_equal(&rows[j], &reqs[i])) {
				ids[i] = row_ids[j];
				break;
			}
		}
	}
}

enum batching_fate
batching_on_error(bool transient, size_t rows, bool has_spool)
{
	if (!transient)
		return rows > 1 ? BATCHING_FATE_ISOLATE : BATCHING_FATE_FAILED;
	return has_spool ? BATCHING_FATE_SPOOL : BATCHING_FATE_UNAVAILABLE;
}

bool
batching_due_spool(int64_t waited_us, int64_t timeout_ms)
{
	return waited_us >= timeout_ms * 500;
}

bool
batching_due_timeout(int64_t waited_us, int64_t timeout_ms)
{
	return waited_us >= timeout_ms * 1000;
}

bool
batching_stuck(int64_t busy_us, int64_t timeout_ms)
{
	return busy_us > timeout_ms * 2000;
}
