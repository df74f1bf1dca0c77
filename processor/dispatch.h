/*
 * dispatch.h: the static dispatch table, event type -> handler, class, flags.
 *
 * The table is a sorted `static const` array checked once at start-up
 * (dispatch_check) and searched with bsearch. Every one of Dialpad's 31
 * call states has a row (plus the original design's call.* types); its
 * class says which status its events imply and whether they are live (move
 * `state`) or a post-call step (handlers.h). Adding an event type is one
 * row (and, for a new family, one function in handlers.c).
 */
#ifndef DH_DISPATCH_H
#define DH_DISPATCH_H

#include <stddef.h>

#include "handlers.h"
#include "util.h"

struct dispatch_entry {
	const char	*event_type;
	handler_fn	 handler;
	enum call_class	 klass;
	unsigned	 flags;		/* CALL_SEEN_* */
};

/* Dialpad's call states (the call-event subscription's call_states), in its spec's order. */
const char *const *dispatch_dialpad_states(size_t *n);

/* The entry for event_type, or NULL (no handler: the event is skipped). */
const struct dispatch_entry *dispatch_lookup(const char *event_type);

/*
 * 0 if the table is sorted by strcmp with no duplicates, no empty row and a
 * known class on every row, and every Dialpad call state has a row;
 * otherwise -1 with the offending row named in err.
 */
int	dispatch_check(char *err, size_t errlen) DH_MUSTCHECK;

/* Same check on any table (for the unit tests). */
int	dispatch_check_table(const struct dispatch_entry *t, size_t n, char *err, size_t errlen) DH_MUSTCHECK;

/* The table itself (for metrics labels and tests); row index = position. */
const struct dispatch_entry *dispatch_table(size_t *n);

/* Known types without a handler (their own "skipped" metrics label): index, or -1. */
int	dispatch_unhandled_index(const char *event_type);
const char *const *dispatch_unhandled(size_t *n);

#endif
