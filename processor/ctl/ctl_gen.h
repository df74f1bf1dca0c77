/*
 * ctl_gen.h: `dialhookctl gen-events`'s generator (ctl_gen.c: call
 * lifecycles, payloads, signing, --out, --expect). The HTTP sender has its
 * own interface (ctl_gen_send.h) and does not see this header.
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

#endif
