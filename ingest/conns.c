/*
 * conns.c: connection table with read deadlines (see conns.h).
 *
 * Linear probing with backward-shift deletion keeps lookups O(1) without
 * tombstones. The sweep runs every quarter of the timeout (at most every
 * 250 ms) and closes expired connections after the scan, so the table is
 * never modified while it is being walked.
 */
#include "conns.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

#define CONNS_MIN_CAP	64
#define CONNS_BUSY	INT64_MAX	/* deadline of a connection whose request we hold */

struct conns_slot {
	struct evhttp_connection	*evcon;		/* NULL = empty */
	int64_t				 deadline_us;
};

struct conns {
	struct conns_slot	*slot;
	size_t			 cap, n;	/* cap is a power of two */
	int64_t			 timeout_us;
	struct event		*sweep;
	uint64_t		 expired;
	struct evhttp_connection **doomed;	/* scratch for the sweep */
	size_t			 ndoomed, capdoomed;
};

static void	conns_sweep_cb(evutil_socket_t fd, short what, void *arg);

static size_t
conns_hash(const struct conns *c, const struct evhttp_connection *evcon)
{
	uintptr_t	 k = (uintptr_t)evcon;

	k ^= k >> 17;
	k *= (uintptr_t)0xed5ad4bbU;
	k ^= k >> 11;
	return (size_t)k & (c->cap - 1);
}

struct conns *
conns_new(struct event_base *base, int64_t read_timeout_ms)
{
	struct conns	*c = xcalloc(1, sizeof(*c));
	int64_t		 every_ms = read_timeout_ms / 4;
	struct timeval	 tv;

	if (every_ms > 250)
		every_ms = 250;
	if (every_ms < 10)
		every_ms = 10;
	c->cap = CONNS_MIN_CAP;
	c->slot = xcalloc(c->cap, sizeof(*c->slot));
	c->timeout_us = read_timeout_ms * 1000;
	c->sweep = event_new(base, -1, EV_PERSIST, conns_sweep_cb, c);
	tv.tv_sec = (time_t)(every_ms / 1000);
	tv.tv_usec = (suseconds_t)((every_ms % 1000) * 1000);
	if (c->sweep == NULL || event_add(c->sweep, &tv) != 0) {
		conns_free(c);
		return NULL;
	}
	return c;
}

void
conns_free(struct conns *c)
{
	if (c == NULL)
		return;
	if (c->sweep)
		event_free(c->sweep);
	free(c->slot);
	free(c->doomed);
	free(c);
}

/* Index of evcon's slot, or of the empty slot where it would go. */
static size_t
conns_find(const struct conns *c, const struct evhttp_connection *evcon)
{
	size_t	 i = conns_hash(c, evcon);

	while (c->slot[i].evcon != NULL && c->slot[i].evcon != evcon)
		i = (i + 1) & (c->cap - 1);
	return i;
}

/* Double the table and re-insert every entry. */
static void
conns_grow(struct conns *c)
{
	struct conns_slot	*old = c->slot;
	size_t			 oldcap = c->cap;

	c->cap *= 2;
	c->slot = xcalloc(c->cap, sizeof(*c->slot));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].evcon != NULL)
			c->slot[conns_find(c, old[i].evcon)] = old[i];
	free(old);
}

void
conns_add(struct conns *c, struct evhttp_connection *evcon)
{
	size_t	 i;

	if ((c->n + 1) * 2 > c->cap)
		conns_grow(c);
	i = conns_find(c, evcon);
	if (c->slot[i].evcon == NULL)
		c->n++;
	c->slot[i].evcon = evcon;
	c->slot[i].deadline_us = util_now_us() + c->timeout_us;
}

void
conns_remove(struct conns *c, struct evhttp_connection *evcon)
{
	size_t	 i = conns_find(c, evcon), j = i;

	if (c->slot[i].evcon == NULL)
		return;
	c->slot[i].evcon = NULL;
	c->n--;
	/* backward-shift: move later entries of the cluster into the hole */
	for (;;) {
		size_t home;

		j = (j + 1) & (c->cap - 1);
		if (c->slot[j].evcon == NULL)
			return;
		home = conns_hash(c, c->slot[j].evcon);
		if (((j - home) & (c->cap - 1)) >= ((j - i) & (c->cap - 1))) {
			c->slot[i] = c->slot[j];
			c->slot[j].evcon = NULL;
			i = j;
		}
	}
}

/* Set evcon's deadline if it is in the table. */
static void
conns_set(struct conns *c, struct evhttp_connection *evcon, int64_t deadline_us)
{
	size_t	 i = conns_find(c, evcon);

	if (c->slot[i].evcon != NULL)
		c->slot[i].deadline_us = deadline_us;
}

void
conns_busy(struct conns *c, struct evhttp_connection *evcon)
{
	conns_set(c, evcon, CONNS_BUSY);
}

void
conns_idle(struct conns *c, struct evhttp_connection *evcon)
{
	conns_set(c, evcon, util_now_us() + c->timeout_us);
}

size_t
conns_count(const struct conns *c)
{
	return c->n;
}

uint64_t
conns_expired(const struct conns *c)
{
	return c->expired;
}

/* Close every connection whose deadline passed (collected first, closed after the scan). */
static void
conns_sweep_cb(evutil_socket_t fd DH_UNUSED, short what DH_UNUSED, void *arg)
{
	struct conns	*c = arg;
	int64_t		 now = util_now_us();

	c->ndoomed = 0;
	for (size_t i = 0; i < c->cap; i++) {
		if (c->slot[i].evcon == NULL || c->slot[i].deadline_us > now)
			continue;
		if (c->ndoomed == c->capdoomed) {
			c->capdoomed = c->capdoomed ? c->capdoomed * 2 : 16;
			c->doomed = xreallocarray(c->doomed, c->capdoomed, sizeof(*c->doomed));
		}
		c->doomed[c->ndoomed++] = c->slot[i].evcon;
	}
	if (c->ndoomed > 0)
		log_info("closing connections that did not send a request within the read timeout|count=%zu",
		    c->ndoomed);
	for (size_t i = 0; i < c->ndoomed; i++) {
		/* evhttp calls the close callback, which removes it from the table */
		conns_remove(c, c->doomed[i]);
		evhttp_connection_free(c->doomed[i]);
		c->expired++;
	}
}
