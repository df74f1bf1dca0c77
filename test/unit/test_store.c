/*
 * test_store.c: what ingest's store decides, without a database.
 *
 * The request's states (ingest/req.h): each lifecycle the store uses
 * answers a request exactly once and leaves it on the list that owns it;
 * a requeued batch goes back to the front in order; an illegal move (a
 * second answer, answering what was never submitted) is refused, and
 * aborts the DH_STRICT build.
 *
 * The pure decisions (ingest/batching.h): who is let in at the door, queue
 * or spool at submit, where a batch is cut, which request each RETURNING
 * row answers, what a failed batch becomes, and the deadlines (spool at
 * half the timeout, 503 at the whole, reset at twice). Then the store
 * itself on a real event loop with its pool never connected: what goes to
 * the outage spool (answered after the loop pass, never inside
 * store_submit), what a full spool answers, what waits and then times out
 * without a spool, and what shutdown answers. Every request is answered
 * exactly once (a second answer would abort: the sanitizer build is
 * DH_STRICT) and every payload is freed (LeakSanitizer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "../../ingest/batching.h"
#include "../../ingest/req.h"
#include "../../ingest/store.h"
#include "event.h"
#include "metrics.h"

#define TIMEOUT_MS	1000

/* ------------------------------------------------------------ pure decisions */

static void
test_admits(void **state)
{
	(void)state;
	assert_true(batching_admits(1, false, 0, 10));		/* a connection is up */
	assert_true(batching_admits(0, true, 0, 10));		/* no connection, the spool can take it */
	assert_false(batching_admits(0, false, 0, 10));		/* neither: 503 at the door */
	assert_true(batching_admits(2, true, 9, 10));
	assert_false(batching_admits(2, true, 10, 10));		/* max_pending unanswered: 503 */
}

static void
test_route(void **state)
{
	(void)state;
	assert_int_equal(batching_route(0, true), BATCHING_ROUTE_SPOOL);
	assert_int_equal(batching_route(1, true), BATCHING_ROUTE_QUEUE);
	assert_int_equal(batching_route(1, false), BATCHING_ROUTE_QUEUE);
	/* no spool, no connection: it waits (for a connection or its deadline) */
	assert_int_equal(batching_route(0, false), BATCHING_ROUTE_QUEUE);
}

/*
 * Cut a queue (solo[i]: request i must go alone) into batches the way
 * store_take() does; sizes[] gets each batch's size. Returns the count.
 */
static size_t
cut(const bool *solo, size_t n, size_t max_batch, size_t *sizes)
{
	size_t	 nb = 0, i = 0;

	while (i < n) {
		size_t	 k = 0;
		bool	 first = solo[i];

		while (i < n && batching_takes(k, first, solo[i], max_batch)) {
			k++;
			i++;
		}
		sizes[nb++] = k;
	}
	return nb;
}

static void
assert_cut(const bool *solo, size_t n, size_t max_batch, const size_t *want, size_t nwant)
{
	size_t	 got[16];
	size_t	 ng = cut(solo, n, max_batch, got);

	assert_int_equal(ng, nwant);
	for (size_t i = 0; i < ng; i++)
		assert_int_equal(got[i], want[i]);
}

static void
test_batch_cut(void **state)
{
	static const bool	 plain[7] = { 0 };
	static const bool	 head_solo[4] = { true, false, false, false };
	static const bool	 mid_solo[5] = { false, false, true, false, false };
	static const bool	 all_solo[3] = { true, true, true };

	(void)state;
	/* everything waiting goes in one batch, up to max_batch */
	assert_cut(plain, 7, 100, (const size_t[]){ 7 }, 1);
	assert_cut(plain, 7, 3, (const size_t[]){ 3, 3, 1 }, 3);
	assert_cut(plain, 7, 1, (const size_t[]){ 1, 1, 1, 1, 1, 1, 1 }, 7);
	/* a solo request (isolating a refused row) is always alone, and cuts the batch before it */
	assert_cut(head_solo, 4, 100, (const size_t[]){ 1, 3 }, 2);
	assert_cut(mid_solo, 5, 100, (const size_t[]){ 2, 1, 2 }, 3);
	assert_cut(all_solo, 3, 100, (const size_t[]){ 1, 1, 1 }, 3);
	/* an empty batch takes anything */
	assert_true(batching_takes(0, false, true, 5));
	assert_true(batching_takes(0, true, true, 1));
	assert_false(batching_takes(1, true, false, 5));
	assert_false(batching_takes(5, false, false, 5));
}

static void
test_map_in_order(void **state)
{
	const struct batching_key reqs[4] = { { "a", "k1" }, { "a", "k2" }, { "a", "k3" }, { "b", "k1" } };
	const struct batching_key rows[3] = { { "a", "k1" }, { "a", "k3" }, { "b", "k1" } };
	const int64_t		  row_ids[3] = { 11, 13, 21 };
	int64_t			  ids[4];

	(void)state;
	batching_map(reqs, 4, rows, row_ids, 3, ids);
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[1], 0);	/* no row: a duplicate of a stored event */
	assert_int_equal(ids[2], 13);
	assert_int_equal(ids[3], 21);	/* the same key under another app is another event */
}

static void
test_map_duplicate_in_batch(void **state)
{
	const struct batching_key reqs[3] = { { "a", "k1" }, { "a", "k1" }, { "a", "k2" } };
	const struct batching_key rows[2] = { { "a", "k1" }, { "a", "k2" } };
	const int64_t		  row_ids[2] = { 5, 6 };
	int64_t			  ids[3];

	(void)state;
	batching_map(reqs, 3, rows, row_ids, 2, ids);
	assert_int_equal(ids[0], 5);	/* the first of the two gets the row */
	assert_int_equal(ids[1], 0);	/* the second is a duplicate */
	assert_int_equal(ids[2], 6);
}

static void
test_map_out_of_order(void **state)
{
	const struct batching_key reqs[3] = { { "a", "k1" }, { "a", "k2" }, { "a", "k3" } };
	const struct batching_key rows[3] = { { "a", "k3" }, { "a", "k1" }, { "a", "k2" } };
	const int64_t		  row_ids[3] = { 33, 11, 22 };
	const struct batching_key none_rows[1] = { { "x", "k9" } };
	int64_t			  ids[3];

	(void)state;
	batching_map(reqs, 3, rows, row_ids, 3, ids);
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[1], 22);
	assert_int_equal(ids[2], 33);
	/* a row that answers nobody is ignored; nothing was stored for these */
	batching_map(reqs, 3, none_rows, row_ids, 1, ids);
	assert_int_equal(ids[0] + ids[1] + ids[2], 0);
	batching_map(reqs, 3, rows, row_ids, 0, ids);
	assert_int_equal(ids[0] + ids[1] + ids[2], 0);
}

static void
test_on_error(void **state)
{
	(void)state;
	/* refused for good: isolate a culprit among several, fail the one alone (500) */
	assert_int_equal(batching_on_error(false, 5, false), BATCHING_FATE_ISOLATE);
	assert_int_equal(batching_on_error(false, 5, true), BATCHING_FATE_ISOLATE);
	assert_int_equal(batching_on_error(false, 1, false), BATCHING_FATE_FAILED);
	assert_int_equal(batching_on_error(false, 1, true), BATCHING_FATE_FAILED);
	/* the database's fault: the spool if there is one, else 503 */
	assert_int_equal(batching_on_error(true, 5, true), BATCHING_FATE_SPOOL);
	assert_int_equal(batching_on_error(true, 1, true), BATCHING_FATE_SPOOL);
	assert_int_equal(batching_on_error(true, 5, false), BATCHING_FATE_UNAVAILABLE);
}

static void
test_deadlines(void **state)
{
	const int64_t	 ms = 1000;

	(void)state;
	assert_false(batching_due_spool(499 * ms, TIMEOUT_MS));
	assert_true(batching_due_spool(500 * ms, TIMEOUT_MS));		/* half the timeout */
	assert_false(batching_due_timeout(999 * ms, TIMEOUT_MS));
	assert_true(batching_due_timeout(1000 * ms, TIMEOUT_MS));	/* the whole timeout */
	assert_false(batching_stuck(2000 * ms, TIMEOUT_MS));
	assert_true(batching_stuck(2000 * ms + 1, TIMEOUT_MS));		/* over twice the timeout */
}

/* ------------------------------------------------------------ answers */

#define MAX_ANSWERS	16

/* What done() was called with. */
struct answers {
	int			 n;
	int			 owners[MAX_ANSWERS];
	enum store_outcome	 outcome[MAX_ANSWERS];
	char			 app[MAX_ANSWERS][STORE_APP_ID_MAX + 1];
	char			 type[MAX_ANSWERS][64];
};

static void
on_done(void *owner, const struct store_result *res, void *arg)
{
	struct answers	*a = arg;

	assert_true(a->n < MAX_ANSWERS);
	a->owners[a->n] = *(int *)owner;
	a->outcome[a->n] = res->outcome;
	snprintf(a->app[a->n], sizeof(a->app[0]), "%s", res->app_id);
	snprintf(a->type[a->n], sizeof(a->type[0]), "%s", res->event_type);
	a->n++;
}

/* ------------------------------------------------------------ request states */

static int	 owner_ids[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };

/* A submitted request number i (FREE -> QUEUED, or -> SPILLING if spill). */
static struct req *
submitted(struct req_pool *p, int i, bool spill)
{
	struct req	*r = req_new(p);

	assert_int_equal(r->state, REQ_FREE);
	r->owner = &owner_ids[i];
	r->payload = malloc(8);
	snprintf(r->app_id, sizeof(r->app_id), "app1");
	snprintf(r->info.type, sizeof(r->info.type), "call_state");
	assert_int_equal(req_set_state(p, r, spill ? REQ_SPILLING : REQ_QUEUED, NULL), 0);
	return r;
}

static void
test_req_committed(void **state)
{
	struct answers		 a = { 0 };
	struct req_pool		 p;
	struct req_list		 batch = { 0 };
	struct req		*r, *reused;

	(void)state;
	req_pool_init(&p, on_done, &a, NULL, NULL);
	r = submitted(&p, 1, false);
	assert_int_equal(p.waiting, 1);
	assert_ptr_equal(p.queue.head, r);
	assert_ptr_equal(r->list, &p.queue);
	/* a batch is cut: the slot owns it */
	assert_int_equal(req_set_state(&p, r, REQ_SENT, &batch), 0);
	assert_int_equal(p.queue.n, 0);
	assert_ptr_equal(batch.head, r);
	assert_int_equal(a.n, 0);
	/* committed: answered once, with its id, and released */
	assert_int_equal(req_answer(&p, r, STORE_STORED, 42), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.owners[0], 1);
	assert_int_equal(a.outcome[0], STORE_STORED);
	assert_string_equal(a.app[0], "app1");
	assert_int_equal(batch.n, 0);
	assert_int_equal(p.waiting, 0);
	/* the struct is kept for reuse, without its payload */
	assert_int_equal(p.free.n, 1);
	reused = req_new(&p);
	assert_ptr_equal(reused, r);
	assert_null(reused->payload);
	assert_int_equal(p.free.n, 0);
	free(reused);
	req_pool_fini(&p);
}

static void
test_req_answered_in_flight(void **state)
{
	struct answers		 a = { 0 };
	struct req_pool		 p;
	struct req_list		 batch = { 0 };
	struct req		*r;

	(void)state;
	req_pool_init(&p, on_done, &a, NULL, NULL);
	r = submitted(&p, 2, false);
	assert_int_equal(req_set_state(&p, r, REQ_SENT, &batch), 0);
	/* past its deadline while its INSERT is in flight: answered, but the batch keeps it */
	assert_int_equal(req_answer_early(&p, r, STORE_TIMEOUT), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.outcome[0], STORE_TIMEOUT);
	assert_int_equal(p.waiting, 0);
	assert_int_equal(r->state, REQ_ANSWERED);
	assert_ptr_equal(batch.head, r);
	/* the INSERT ends: released without a second answer */
	assert_int_equal(req_set_state(&p, r, REQ_FREE, NULL), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(batch.n, 0);
	req_pool_fini(&p);
}

static void
test_req_spilled(void **state)
{
	struct answers		 a = { 0 };
	struct req_pool		 p;
	struct req_list		 batch = { 0 };
	struct req		*r1, *r2;

	(void)state;
	req_pool_init(&p, on_done, &a, NULL, NULL);
	/* no connection at submit: straight to the spill list */
	r1 = submitted(&p, 1, true);
	/* a batch failed with a transient error: from the batch to the spill list, after r1 */
	r2 = submitted(&p, 2, false);
	assert_int_equal(req_set_state(&p, r2, REQ_SENT, &batch), 0);
	assert_int_equal(req_set_state(&p, r2, REQ_SPILLING, NULL), 0);
	assert_int_equal(batch.n, 0);
	assert_ptr_equal(p.spill.head, r1);
	assert_ptr_equal(p.spill.tail, r2);
	assert_int_equal(a.n, 0);
	assert_int_equal(p.waiting, 2);
	assert_int_equal(req_answer(&p, r1, STORE_SPOOLED, 0), 0);
	assert_int_equal(req_answer(&p, r2, STORE_UNAVAILABLE, 0), 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.outcome[0], STORE_SPOOLED);
	assert_int_equal(a.outcome[1], STORE_UNAVAILABLE);
	assert_int_equal(p.waiting, 0);
	req_pool_fini(&p);
}

static void
test_req_requeue_front_in_order(void **state)
{
	struct answers		 a = { 0 };
	struct req_pool		 p;
	struct req_list		 batch = { 0 };
	struct req		*r[4], *prev;
	int			 i = 0;

	(void)state;
	req_pool_init(&p, on_done, &a, NULL, NULL);
	for (int k = 0; k < 3; k++) {
		r[k] = submitted(&p, k, false);
		assert_int_equal(req_set_state(&p, r[k], REQ_SENT, &batch), 0);
	}
	r[3] = submitted(&p, 3, false);		/* queued after the batch was cut */
	/* the connection is lost: the batch goes back, last first, each to the front */
	for (struct req *x = batch.tail; x != NULL; x = prev) {
		prev = x->prev;
		assert_int_equal(req_set_state(&p, x, REQ_QUEUED, NULL), 0);
	}
	assert_int_equal(batch.n, 0);
	assert_int_equal(p.queue.n, 4);
	for (struct req *x = p.queue.head; x != NULL; x = x->next)
		assert_ptr_equal(x, r[i++]);
	for (int k = 0; k < 4; k++)
		assert_int_equal(req_answer(&p, r[k], STORE_UNAVAILABLE, 0), 0);
	assert_int_equal(a.n, 4);
	req_pool_fini(&p);
}

/* Drive a new request to state s (batch: the slot's batch for SENT and ANSWERED). */
static struct req *
req_in(struct req_pool *p, enum req_state s, struct req_list *batch)
{
	struct req	*r;

	if (s == REQ_FREE)
		return req_new(p);
	r = submitted(p, 0, s == REQ_SPILLING);
	if (s == REQ_SENT || s == REQ_ANSWERED)
		assert_int_equal(req_set_state(p, r, REQ_SENT, batch), 0);
	if (s == REQ_ANSWERED)
		assert_int_equal(req_answer_early(p, r, STORE_TIMEOUT), 0);
	return r;
}

/*
 * In a child: the move from -> to (with_batch: given a batch) must be
 * refused with nothing changed, or abort the DH_STRICT build.
 */
static void
assert_refused(enum req_state from, enum req_state to, bool with_batch)
{
	pid_t	 pid;
	int	 status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct answers	 a = { 0 };
		struct req_pool	 p;
		struct req_list	 batch = { 0 };
		struct req	*r;
		size_t		 waiting;
		int		 n, rc;

		req_pool_init(&p, on_done, &a, NULL, NULL);
		r = req_in(&p, from, &batch);
		waiting = p.waiting;
		n = a.n;
		rc = req_set_state(&p, r, to, with_batch ? &batch : NULL);
		_exit(rc == -1 && r->state == from && a.n == n && p.waiting == waiting ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
#ifdef DH_STRICT
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#else
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
#endif
}

static void
test_req_illegal_moves(void **state)
{
	(void)state;
	/* answering twice: an answered request in flight cannot be answered again */
	assert_refused(REQ_ANSWERED, REQ_ANSWERED, false);
	/* answering what was never submitted */
	assert_refused(REQ_FREE, REQ_ANSWERED, false);
	assert_refused(REQ_FREE, REQ_FREE, false);
	/* only a request in flight is answered early */
	assert_refused(REQ_QUEUED, REQ_ANSWERED, false);
	assert_refused(REQ_SPILLING, REQ_ANSWERED, false);
	/* what the spool took is answered from the spool, never sent */
	assert_refused(REQ_SPILLING, REQ_QUEUED, false);
	assert_refused(REQ_SPILLING, REQ_SENT, true);
	/* a batch holds what was cut from the queue, into a given batch */
	assert_refused(REQ_QUEUED, REQ_SENT, false);
	assert_refused(REQ_FREE, REQ_SENT, true);
}

/* ------------------------------------------------------------ the store, no database */

static void
on_fatal(const char *why, void *arg)
{
	(void)arg;
	fail_msg("store fatal: %s", why);
}

/* A store on base whose pool is never started; spool_dir NULL: no spool. */
static struct store *
new_store(struct event_base *base, struct metrics *m, const char *spool_dir, uint64_t spool_max,
    int timeout_ms, struct answers *a)
{
	struct store_options	 opt = {
		.conninfo = "host=/nonexistent dbname=none", .connections = 2, .max_pending = 4,
		.max_batch = 3, .timeout_ms = timeout_ms, .notify_interval_ms = 5,
		.spool_dir = spool_dir, .spool_max_bytes = spool_max,
	};
	char			 err[256];
	struct store		*st = store_new(base, &opt, m, on_done, on_fatal, a, err, sizeof(err));

	if (st == NULL)
		fail_msg("store_new: %s", err);
	return st;
}

/* Submit event number i (owner handle *owner) for app "app1". */
static void
submit(struct store *st, int i, int *owner)
{
	struct event_info	 info;
	char			*payload = malloc(32);

	assert_non_null(payload);
	snprintf(info.type, sizeof(info.type), "call_state");
	snprintf(info.dedupe_key, sizeof(info.dedupe_key), "call-%d", i);
	snprintf(payload, 32, "{\"call_id\":%d}", i);
	*owner = i;
	store_submit(st, "app1", payload, strlen(payload), &info, owner);
}

/* Files in dir whose name ends in suffix. */
static int
count_files(const char *dir, const char *suffix)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;
	size_t		 sl = strlen(suffix);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);

		n += l > sl && strcmp(e->d_name + l - sl, suffix) == 0;
	}
	closedir(d);
	return n;
}

/* Remove dir and the files in it. */
static void
remove_dir(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	char		 path[512];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void
test_no_database_spooled(void **state)
{
	struct event_base	*base = event_base_new();
	struct metrics		*m = metrics_new();
	char			 dir[] = "/tmp/dialhook-test-store-XXXXXX";
	struct answers		 a = { 0 };
	int			 owners[3];
	struct store		*st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = new_store(base, m, dir, 64 * 1024 * 1024, TIMEOUT_MS, &a);
	/* no connection is up, but the spool can take it: the door lets it in */
	assert_true(store_can_accept(st));
	assert_false(store_is_ready(st));
	for (int i = 0; i < 3; i++)
		submit(st, i, &owners[i]);
	/* never answered inside store_submit */
	assert_int_equal(a.n, 0);
	assert_int_equal(store_pending(st), 3);
	assert_false(store_is_idle(st));
	/* after the loop pass: one group, durable, every request answered spooled, in order */
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	assert_int_equal(a.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(a.owners[i], i);
		assert_int_equal(a.outcome[i], STORE_SPOOLED);
		assert_string_equal(a.app[i], "app1");
		assert_string_equal(a.type[i], "call_state");
	}
	assert_int_equal(store_pending(st), 0);
	assert_true(store_is_idle(st));
	assert_int_equal(count_files(dir, ".seg"), 1);
	/* shutdown with nothing outstanding answers nothing more */
	store_free(st);
	assert_int_equal(a.n, 3);
	metrics_free(m);
	event_base_free(base);
	remove_dir(dir);
}

static void
test_no_database_spool_full(void **state)
{
	struct event_base	*base = event_base_new();
	struct metrics		*m = metrics_new();
	char			 dir[] = "/tmp/dialhook-test-store-XXXXXX";
	struct answers		 a = { 0 };
	int			 owner;
	struct store		*st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = new_store(base, m, dir, 16, TIMEOUT_MS, &a);	/* no record fits */
	submit(st, 1, &owner);
	assert_int_equal(a.n, 0);
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	/* the spool refused it: 503, as without a spool */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.outcome[0], STORE_UNAVAILABLE);
	assert_int_equal(store_pending(st), 0);
	store_free(st);
	metrics_free(m);
	event_base_free(base);
	remove_dir(dir);
}

static void
test_no_database_no_spool_times_out(void **state)
{
	struct event_base	*base = event_base_new();
	struct metrics		*m = metrics_new();
	struct answers		 a = { 0 };
	int			 owners[2];
	struct store		*st = new_store(base, m, NULL, 0, 50, &a);

	(void)state;
	/* no connection and no spool: the door says 503 */
	assert_false(store_can_accept(st));
	assert_false(store_spool_is_usable(st));
	/* a request let in anyway waits for a connection, up to its deadline */
	submit(st, 1, &owners[0]);
	assert_true(event_base_loop(base, EVLOOP_NONBLOCK) >= 0);
	store_tick(st);
	assert_int_equal(a.n, 0);
	assert_int_equal(store_pending(st), 1);
	usleep(60 * 1000);
	submit(st, 2, &owners[1]);
	store_tick(st);
	/* the first is past its deadline (503, cause timeout); the second still waits */
	assert_int_equal(a.n, 1);
	assert_int_equal(a.owners[0], 1);
	assert_int_equal(a.outcome[0], STORE_TIMEOUT);
	assert_int_equal(store_pending(st), 1);
	/* shutdown answers what is still waiting: 503 */
	store_free(st);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.owners[1], 2);
	assert_int_equal(a.outcome[1], STORE_UNAVAILABLE);
	metrics_free(m);
	event_base_free(base);
}

static void
test_no_database_max_pending(void **state)
{
	struct event_base	*base = event_base_new();
	struct metrics		*m = metrics_new();
	char			 dir[] = "/tmp/dialhook-test-store-XXXXXX";
	struct answers		 a = { 0 };
	int			 owners[4];
	struct store		*st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = new_store(base, m, dir, 64 * 1024 * 1024, TIMEOUT_MS, &a);
	for (int i = 0; i < 4; i++) {
		assert_true(store_can_accept(st));
		submit(st, i, &owners[i]);
	}
	/* max_pending (4) unanswered: 503 at the door until they are answered */
	assert_false(store_can_accept(st));
	/* shutdown before the loop pass: the last chance writes them to the spool */
	store_free(st);
	assert_int_equal(a.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(a.outcome[i], STORE_SPOOLED);
	metrics_free(m);
	event_base_free(base);
	remove_dir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admits),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_batch_cut),
		cmocka_unit_test(test_map_in_order),
		cmocka_unit_test(test_map_duplicate_in_batch),
		cmocka_unit_test(test_map_out_of_order),
		cmocka_unit_test(test_on_error),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_req_committed),
		cmocka_unit_test(test_req_answered_in_flight),
		cmocka_unit_test(test_req_spilled),
		cmocka_unit_test(test_req_requeue_front_in_order),
		cmocka_unit_test(test_req_illegal_moves),
		cmocka_unit_test(test_no_database_spooled),
		cmocka_unit_test(test_no_database_spool_full),
		cmocka_unit_test(test_no_database_no_spool_times_out),
		cmocka_unit_test(test_no_database_max_pending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
