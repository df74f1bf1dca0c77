/*
 * backoff.h: the one retry backoff of dialhook: a failed event (processor),
 * a database reconnect (pgconn), a spool segment replay (ingest).
 *
 * After the n-th consecutive failure (n >= 1) the wait is
 *     cap = min(max_ms, base_ms * 2^(n-1))
 * scaled by jitter into [cap/2, cap], never below base_ms: every delay is
 * within [base_ms, max_ms] and grows exponentially until it reaches max_ms.
 * The jitter keeps processes that failed together from retrying together.
 */
#ifndef DH_BACKOFF_H
#define DH_BACKOFF_H

#include <stdint.h>

/* The delay after failure number `attempt` (>= 1); rnd is the jitter source (tests pin it). */
int64_t	 backoff_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt, uint32_t rnd);

/* The consecutive failures of one retry loop. */
struct backoff {
	int64_t	 base_ms, max_ms;
	int64_t	 failures;
};

void	 backoff_init(struct backoff *b, int64_t base_ms, int64_t max_ms);
/* Count one more failure and return the delay before the next try (libsodium's random jitter). */
int64_t	 backoff_next(struct backoff *b);
/* A success: the next failure waits base_ms (jittered) again. */
void	 backoff_reset(struct backoff *b);

#endif
