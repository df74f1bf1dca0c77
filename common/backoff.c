/* backoff.c: exponential backoff with jitter (see backoff.h). */
#include "backoff.h"

#include <sodium.h>

int64_t
backoff_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt, uint32_t rnd)
{
	int64_t	 cap, half, d;

	if (base_ms < 1)
		base_ms = 1;
	if (max_ms < base_ms)
		max_ms = base_ms;
	cap = base_ms;
	for (int64_t i = 1; i < attempt && cap < max_ms; i++)
		cap = cap > max_ms / 2 ? max_ms : cap * 2;
	half = cap / 2;
	d = half + (int64_t)(rnd % (uint64_t)(cap - half + 1));
	return d < base_ms ? base_ms : d;
}

void
backoff_init(struct backoff *b, int64_t base_ms, int64_t max_ms)
{
	b->base_ms = base_ms;
	b->max_ms = max_ms;
	b->failures = 0;
}

int64_t
backoff_next(struct backoff *b)
{
	if (b->failures < INT32_MAX)
		b->failures++;
	return backoff_delay_ms(b->base_ms, b->max_ms, b->failures, randombytes_random());
}

void
backoff_reset(struct backoff *b)
{
	b->failures = 0;
}
