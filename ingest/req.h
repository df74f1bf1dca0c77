/*
 * req.h: one webhook submitted to the store (store.h) on its way into the
 * database: its state, who owns it in each state, and the one function
 * that moves it. Used by store.c only.
 *
 * A request is in exactly one state, and each state has one owner: the
 * list the request is on.
 *
 *   state      owner (list)            waits for
 *   FREE       the pool's free list    reuse (not submitted)
 *   QUEUED     the queue               an idle connection
 *   SENT       a slot's batch          its INSERT's result
 *   ANSWERED   a slot's batch          its INSERT's end: it was answered
 *                                      early (deadline, or spooled)
 *   SPILLING   the spill list          the spool group written after this
 *                                      loop pass
 *
 *   FREE -> QUEUED | SPILLING          submitted (batching_route)
 *   QUEUED -> SENT                     a batch is cut (batching_takes)
 *   QUEUED -> SPILLING                 no connection left, or it waited
 *                                      half the timeout
 *   SENT -> QUEUED                     connection lost; isolation (solo):
 *                                      back at the front
 *   SENT -> SPILLING                   transient failure, with a spool
 *   SENT -> ANSWERED *                 deadline, or spooled, in flight
 *   QUEUED | SENT | SPILLING -> FREE * answered
 *   ANSWERED -> FREE                   its INSERT ended (result ignored)
 *
 * A move marked * answers the request: done() is called as part of the
 * move, so a request is answered exactly once (no answered state can be
 * answered again) and freed only through its owner's move to FREE.
 * req_set_state() is the only code that changes a request's state or list.
 * An illegal move is a bug: it is logged and refused (nothing changes: the
 * request stays where it is, answered or not as it was, so no reply is
 * sent twice and nothing still listed is freed), and with -DDH_STRICT (the
 * sanitizer build, which every test runs) the process aborts; a release
 * build keeps serving.
 */
#ifndef DH_INGEST_REQ_H
#define DH_INGEST_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "event.h"
#include "store.h"

enum req_state {
	REQ_FREE,
	REQ_QUEUED,
	REQ_SENT,
	REQ_ANSWERED,
	REQ_SPILLING,
	REQ_NSTATES
};

struct req;

/* A doubly linked list of requests: the owner of one state (a slot's batch owns two). */
struct req_list {
	struct req		*head, *tail;
	size_t			 n;
};

struct req {
	struct req		*prev, *next;	/* links on its owner's list */
	struct req_list		*list;		/* its owner's list; NULL while FREE and in use */
	enum req_state		 state;
	void			*owner;		/* the submitter's handle, given back to done() */
	char			*payload;	/* owned: malloc'd JSON text, freed on the move to FREE */
	size_t			 len;
	int64_t			 t0_us;		/* submit time */
	int64_t			 received_ms;	/* submit time, epoch ms (spool record) */
	bool			 solo;		/* retry alone (batch isolation) */
	enum store_outcome	 outcome;	/* the answer, for the move that gives it */
	int64_t			 id;		/* STORE_STORED: the row's id */
	char			 app_id[STORE_APP_ID_MAX + 1];
	struct event_info	 info;		/* event_type, dedupe_key */
};

/* The requests of one store: the lists that own them, and what a move sets off. */
struct req_pool {
	struct req_list		 queue;		/* QUEUED, oldest first */
	struct req_list		 spill;		/* SPILLING, in the order they came */
	struct req_list		 free;		/* FREE, kept for reuse (at most REQ_FREE_MAX) */
	size_t			 waiting;	/* submitted, not yet answered */
	store_done_fn		 done;		/* the answer (store.h) */
	void			*arg;
	struct event		*queued_ev;	/* activated by a move into QUEUED, or NULL */
	struct event		*spill_ev;	/* activated by a move into SPILLING, or NULL */
};

#define REQ_FREE_MAX	1024

/*
 * Set up an empty pool. done(owner, result, arg) answers; queued_ev and
 * spill_ev (may be NULL) are activated by every move into QUEUED and into
 * SPILLING, so such a request always has a dispatch pass or a spool write
 * coming.
 */
void		 req_pool_init(struct req_pool *p, store_done_fn done, void *arg, struct event *queued_ev,
		    struct event *spill_ev);

/* Free the structs kept for reuse. Every request must be FREE by now (the store answered them). */
void		 req_pool_fini(struct req_pool *p);

/* A request to fill in and submit: FREE, on no list, no payload. */
struct req	*req_new(struct req_pool *p);

/*
 * The one transition: r moves to state to, onto the list that owns it
 * there (batch: the slot's batch, for SENT only; ANSWERED stays in it). A
 * move that answers calls done() with r->outcome and r->id first. After a
 * move to FREE, r is gone (kept for reuse or freed). 0; -1 if the move is
 * illegal (logged, nothing changed; -DDH_STRICT aborts).
 */
int		 req_set_state(struct req_pool *p, struct req *r, enum req_state to,
		    struct req_list *batch);

/* Answer r with (o, id) and release it: QUEUED, SPILLING, or SENT whose INSERT has ended. 0 or -1. */
int		 req_answer(struct req_pool *p, struct req *r, enum store_outcome o, int64_t id);

/*
 * The INSERT r was part of has ended: release r if it was answered early
 * (ANSWERED), else answer it with (o, id) as req_answer(). 0 or -1.
 */
int		 req_finish(struct req_pool *p, struct req *r, enum store_outcome o, int64_t id);

/* Answer r, SENT with its INSERT still in flight, with o: ANSWERED until the INSERT ends. 0 or -1. */
int		 req_answer_early(struct req_pool *p, struct req *r, enum store_outcome o);

/* "free", "queued", ... for log lines. */
const char	*req_state_name(enum req_state s);

#endif
