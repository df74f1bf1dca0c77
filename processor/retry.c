/* retry.c: exponential backoff with jitter (see retry.h). */
#include "retry.h"

int64_t
retry_delay_ms(int64_t base_ms, int64_t max_ms, int64_t attempt, uint32_t rnd)
{
	int64_t	 cap = base_ms, half, d;

	if (base_ms < 1)
		base_ms = cap = 1;
	if (max_ms < base_ms)
		max_ms = base_ms;
	for (int64_t i = 1; i < attempt && cap < max_ms; i++)
		cap = cap > max_ms / 2 ? max_ms : cap * 2;
	if (cap > max_ms)
		cap = max_ms;
	half = cap / 2;
	d = half + (int64_t)(rnd % (uint64_t)(cap - half + 1));
	return d < base_ms ? base_ms : d;
}
