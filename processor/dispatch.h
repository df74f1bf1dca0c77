/*
 * dispatch.h: the static dispatch table, event type -> handler.
 *
 * The table is a sorted `static const` array checked once at start-up
 * (dispatch_check) and searched with bsearch. Adding an event type is one
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
};

/* The entry for event_type, or NULL (no handler: the event is skipped). */
const struct dispatch_entry *dispatch_lookup(const char *event_type);

/*
 * 0 if the table is sorted by strcmp with no duplicates and no empty row;
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
