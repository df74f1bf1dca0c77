/*
 * ctl_gen.h: `dialhookctl gen-events`, shared between the generator
 * (ctl_gen.c: call lifecycles, payloads, signing, --out, --expect) and the
 * HTTP sender (ctl_gen_send.c: keep-alive evhttp connections, retries,
 * progress and summary).
 */
#ifndef DH_CTL_GEN_H
#define DH_CTL_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

struct gen_party;

/* One call leg: what every event of the leg says about it (0 = null). */
struct gen_leg {
	int64_t			 call_id, master_call_id, entry_point_call_id, operator_call_id;
	int64_t			 date_started, date_first_rang, date_queued, date_connected, date_ended;
	int64_t			 contact_id, recording_id, rec_start, rec_len;
	const struct gen_party	*target;
	char			 external[16];
	uint8_t			 outbound, recorded, voicemail;
};

/* One webhook: state `state` (enum gen_state in ctl_gen.c) of leg `leg`. */
struct gen_event {
	uint32_t	 leg;
	uint8_t		 state;
	int64_t		 ts;		/* event_timestamp, epoch ms */
};

struct gen {
	/* options */
	const char	*url, *out, *expect;
	char		*secret;	/* NULL with --unsigned */
	int64_t		 calls, concurrency, retries, start_ms;
	double		 duplicates;	/* share of events delivered twice, 0..1 */
	uint64_t	 seed;
	int		 shuffle, start_set, seed_set;
	/* generated */
	uint64_t	 rng;
	struct gen_leg	*legs;
	size_t		 nlegs, legcap;
	struct gen_event *events;	/* each event once */
	size_t		 nevents, evcap;
	size_t		*order;		/* deliveries: indexes into events, redeliveries repeat one */
	size_t		 norder, nredelivered;
};

/*
 * The body of delivery i (an index into g->order): the event's JSON signed
 * as a compact HS256 JWT, or the plain JSON with --unsigned. Returns a
 * malloc'd NUL-terminated string (caller frees) and its length in *len; NULL
 * only if signing fails.
 */
char	*gen_body(const struct gen *g, size_t i, size_t *len);

/*
 * POST every delivery in g->order to g->url over g->concurrency keep-alive
 * connections, retrying 5xx and connection failures like Dialpad (g->retries
 * times, after 2 s, 4 s, 8 s, ...), with a progress line on stderr each second
 * and the summary on stdout. CTL_EXIT_OK if every event got a 2xx,
 * CTL_EXIT_RUNTIME otherwise.
 */
int	 gen_send(const struct gen *g);

#endif
