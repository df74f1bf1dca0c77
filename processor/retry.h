/*
 * retry.h: the backoff of a failed event.
 *
 * After its n-th failed attempt (n >= 1) an event waits
 *     cap = min(max_ms, base_ms * 2^(n-1))
 * scaled by jitter into [cap/2, cap], never below base_ms: so every delay is
 * within [base_ms, max_ms] and grows exponentially until it reaches max_ms.
 * Pure function; the caller supplies the random number (tests pin it).
 */
#ifndef DH_RETRY_H
#define DH_RETRY_H

#include <stdint.h>

int64_t	retry_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt, uint32_t rnd);

#endif
