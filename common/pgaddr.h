/*
 * pgaddr.h: a libpq connection string whose host names are resolved without
 * blocking, handed back to libpq as `hostaddr`.
 *
 * libpq resolves a host name with a blocking getaddrinfo() inside
 * PQconnectPoll(). pgaddr parses the caller's conninfo or URI once
 * (PQconninfoParse), resolves the names in `host` through a resolver (see
 * resolver.h) with a time limit, and rebuilds the parameters for
 * PQconnectStartParams()/PQconnectdbParams(): every option as given, `host`
 * kept (TLS verification and libpq's messages use it) and `hostaddr` set to
 * the address found, so libpq never looks a name up itself.
 *
 * Which hosts are looked up: a host entry that is a literal IPv4/IPv6
 * address, a Unix-socket directory (`/...` or `@...`), or empty (libpq's
 * default) is left to libpq, which resolves none of these. A conninfo that
 * already gives `hostaddr`, or names a `service` without a `host`, is used as
 * it is. `host` may come from PGHOST when the conninfo has none.
 *
 * Several hosts (host=a,b / postgresql://a:1,b:2/db) are handled: each name
 * is looked up in parallel, and every address found becomes one entry of the
 * host/hostaddr(/port) lists, in order, so libpq tries them in turn as it
 * would have. A name that does not resolve is left out while others remain;
 * if none remains the attempt fails with the resolver's reason.
 *
 * Like everything in common/, this module never logs.
 */
#ifndef DH_PGADDR_H
#define DH_PGADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct pgaddr;
struct resolver;

/*
 * Called once when a resolution ends: why is NULL on success (the
 * parameters are rebuilt) or the reason it failed.
 */
typedef void (*pgaddr_done_fn)(struct pgaddr *a, const char *why, void *arg);

/*
 * Parse conninfo (a connection string or a postgresql:// URI). NULL with
 * libpq's message in err if it does not parse. The parameters are usable at
 * once (unresolved: the options as given).
 */
struct pgaddr	*pgaddr_new(const char *conninfo, char *err, size_t errlen);

/* Release (a resolution still running is cancelled). NULL is a no-op. */
void		 pgaddr_free(struct pgaddr *a);

/* true if some host needs a DNS lookup before libpq may connect. */
bool		 pgaddr_needs_dns(const struct pgaddr *a);

/*
 * Resolve the hosts that need it through r, giving up after timeout_ms;
 * done is called later from r's loop, exactly once unless pgaddr_cancel()
 * or pgaddr_free() comes first. At the time limit, hosts already resolved
 * are used if there are any. Must not be called while one is running.
 */
void		 pgaddr_resolve(struct pgaddr *a, struct resolver *r, int timeout_ms,
		    pgaddr_done_fn done, void *arg);

/* Stop a running resolution (done is not called); a no-op when none runs. */
void		 pgaddr_cancel(struct pgaddr *a);

/*
 * The keyword and value arrays (NULL-terminated) for PQconnectStartParams /
 * PQconnectdbParams with expand_dbname 0: the parsed options, with host,
 * hostaddr and port rebuilt by the last successful resolution. Owned by a;
 * valid until the next pgaddr_resolve() or pgaddr_free().
 */
const char *const *pgaddr_keywords(const struct pgaddr *a);
const char *const *pgaddr_values(const struct pgaddr *a);

/*
 * Add or replace one parameter (e.g. connect_timeout) in the arrays above,
 * unless the conninfo gave it and keep_given is true. value is copied.
 */
void		 pgaddr_set_param(struct pgaddr *a, const char *keyword, const char *value,
		    bool keep_given);

#endif
