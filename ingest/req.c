/*
 * req.c: the requests' states and their one transition (see req.h).
 */
#include "req.h"

#include <stdlib.h>

#include "log.h"
#include "util.h"

static const char *const req_state_names[REQ_NSTATES] = {
	"free", "queued", "sent", "answered", "spilling"
};

/* The legal moves (req.h); anything else is refused. */
static const bool req_moves[REQ_NSTATES][REQ_NSTATES] = {
	/*		  to:   FREE   QUEUED SENT   ANSWERED SPILLING */
	[REQ_FREE]	= { false, true,  false, false,   true },
	[REQ_QUEUED]	= { true,  false, true,  false,   true },
	[REQ_SENT]	= { true,  true,  false, true,    true },
	[REQ_ANSWERED]	= { true,  false, false, false,   false },
	[REQ_SPILLING]	= { true,  false, false, false,   false },
};

const char *
req_state_name(enum req_state s)
{
	return s < REQ_NSTATES ? req_state_names[s] : "?";
}

static void
list_append(struct req_list *l, struct req *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
	r->list = l;
}

static void
list_prepend(struct req_list *l, struct req *r)
{
	r->prev = NULL;
	r->next = l->head;
	if (l->head != NULL)
		l->head->prev = r;
	else
		l->tail = r;
	l->head = r;
	l->n++;
	r->list = l;
}

static void
list_remove(struct req *r)
{
	struct req_list	*l = r->list;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	r->list = NULL;
	l->n--;
}

void
req_pool_init(struct req_pool *p, store_done_fn done, void *arg, struct event *queued_ev,
    struct event *spill_ev)
{
	*p = (struct req_pool){ .done = done, .arg = arg, .queued_ev = queued_ev, .spill_ev = spill_ev };
}

void
req_pool_fini(struct req_pool *p)
{
	struct req	*r;

	while ((r = p->free.head) != NULL) {
		list_remove(r);
		free(r);
	}
}

struct req *
req_new(struct req_pool *p)
{
	struct req	*r = p->free.head;

	if (r != NULL)
		list_remove(r);
	else
		r = xcalloc(1, sizeof(*r));
	r->state = REQ_FREE;
	r->owner = NULL;
	r->payload = NULL;
	r->solo = false;
	r->id = 0;
	r->app_id[0] = '\0';
	r->info.type[0] = '\0';
	return r;
}

/* A move from a state still to be answered into one that is answered. */
static bool
req_answers(enum req_state from, enum req_state to)
{
	return (from == REQ_QUEUED || from == REQ_SENT || from == REQ_SPILLING) &&
	    (to == REQ_FREE || to == REQ_ANSWERED);
}

/* r is FREE now: drop its payload and keep the struct for reuse, or free it. */
static void
req_release(struct req_pool *p, struct req *r)
{
	free(r->payload);
	r->payload = NULL;
	r->owner = NULL;
	if (p->free.n >= REQ_FREE_MAX)
		free(r);
	else
		list_append(&p->free, r);
}

/* Log (and with DH_STRICT abort on) an illegal move; -1. */
static int
req_refuse(const struct req *r, enum req_state to)
{
	log_error("bug: illegal request state change refused", LOG_S("from", req_state_name(r->state)),
	    LOG_S("to", req_state_name(to)), LOG_S("app", r->app_id), LOG_S("type", r->info.type));
#ifdef DH_STRICT
	abort();
#endif
	return -1;
}

int
req_set_state(struct req_pool *p, struct req *r, enum req_state to, struct req_list *batch)
{
	enum req_state		 from = r->state;
	struct store_result	 res;

	if (from >= REQ_NSTATES || to >= REQ_NSTATES || !req_moves[from][to] ||
	    (to == REQ_SENT) != (batch != NULL))
		return req_refuse(r, to);
	if (req_answers(from, to)) {
		res = (struct store_result){ r->outcome, r->id, r->app_id, r->info.type };
		p->waiting--;
		p->done(r->owner, &res, p->arg);
	} else if (from == REQ_FREE) {
		p->waiting++;
	}
	if (r->list != NULL && to != REQ_ANSWERED)
		list_remove(r);
	r->state = to;
	switch (to) {
	case REQ_FREE:
		req_release(p, r);
		break;
	case REQ_QUEUED:
		if (from == REQ_SENT)
			list_prepend(&p->queue, r);	/* requeued: older than anything queued */
		else
			list_append(&p->queue, r);
		if (p->queued_ev != NULL)
			event_active(p->queued_ev, EV_TIMEOUT, 0);
		break;
	case REQ_SENT:
		list_append(batch, r);
		break;
	case REQ_SPILLING:
		list_append(&p->spill, r);
		if (p->spill_ev != NULL)
			event_active(p->spill_ev, EV_TIMEOUT, 0);
		break;
	default:	/* ANSWERED: stays in its slot's batch until the INSERT ends */
		break;
	}
	return 0;
}

int
req_answer(struct req_pool *p, struct req *r, enum store_outcome o, int64_t id)
{
	r->outcome = o;
	r->id = id;
	return req_set_state(p, r, REQ_FREE, NULL);
}

int
req_finish(struct req_pool *p, struct req *r, enum store_outcome o, int64_t id)
{
	if (r->state == REQ_ANSWERED)
		return req_set_state(p, r, REQ_FREE, NULL);
	return req_answer(p, r, o, id);
}

int
req_answer_early(struct req_pool *p, struct req *r, enum store_outcome o)
{
	r->outcome = o;
	r->id = 0;
	return req_set_state(p, r, REQ_ANSWERED, NULL);
}
