/*
 * ctl_gen.h: `dialhookctl gen-events`'s generator, shared by its parts:
 * ctl_gen.c (options, delivery order, signing, --out, hand-off to the sender),
 * ctl_gen_life.c (call lifecycles: legs, events, what changes when),
 * ctl_gen_json.c (the Dialpad payload of one event) and ctl_gen_expect.c
 * (--expect: the rows processing must end with). The HTTP sender has its own
 * interface (ctl_gen_send.h) and does not see this header.
 *
 * Model: a leg's facts live in struct gen_leg; a value that changes during a
 * call (operator, target, contact, transcripts, recaps, labels, CSAT,
 * recordings) is stored with the event_timestamp of the event that first
 * carries its new value. An event carries the whole call object as of its own
 * event_timestamp (every value introduced at or before it), as Dialpad sends
 * the full call with every state. So the newest event carrying a field always
 * holds the leg's final value, whatever the delivery order.
 */
#ifndef DH_CTL_GEN_H
#define DH_CTL_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

/* The call states gen-events emits (Dialpad's names in gen_states[]). */
enum gen_state {
	/* live: they move calls.state */
	GEN_CALLING, GEN_RINGING, GEN_PREANSWER, GEN_QUEUED,
	GEN_CONNECTED, GEN_HOLD, GEN_PARKED, GEN_MERGED, GEN_TAKEOVER, GEN_BARGE, GEN_MONITOR, GEN_EAVESDROP,
	GEN_BLOCKED, GEN_HANGUP, GEN_MISSED, GEN_VOICEMAIL,
	/* post-call steps: they carry the call but never move calls.state */
	GEN_RECORDING, GEN_ADMIN_RECORDING, GEN_VOICEMAIL_UPLOADED, GEN_TRANSCRIPTION, GEN_CALL_TRANSCRIPTION,
	GEN_RECAP_SUMMARY, GEN_RECAP_ACTION_ITEMS, GEN_RECAP_OUTCOME, GEN_RECAP_PURPOSES, GEN_AI_PLAYBOOK,
	GEN_DISPOSITIONS, GEN_POSTCALL, GEN_CSAT, GEN_PCSAT, GEN_ADMIN,
	GEN_NSTATES
};

/* What a state says about calls.status (GEN_POST: nothing). */
enum gen_class { GEN_POST, GEN_RING, GEN_ACTIVE, GEN_ENDED };

struct gen_state_info {
	const char	*name;
	enum gen_class	 cls;
};

extern const struct gen_state_info gen_states[GEN_NSTATES];

/* The Dialpad side of a leg (target), or an internal caller (contact type "user"). */
struct gen_party {
	int64_t		 id, office_id;
	const char	*type, *name, *email, *phone, *group;
	int		 office_id_str;	/* office_id sent as a digit string (the API's id form) */
};

enum gen_rec_type { GEN_REC_CALL, GEN_REC_ADMIN, GEN_REC_VOICEMAIL };

/* One recording of a leg, announced by the event at ready_ts. */
struct gen_rec {
	int64_t		 id, start, len, ready_ts;
	uint8_t		 type;		/* enum gen_rec_type */
};

/* The topics of the invented transcripts and recaps (texts in ctl_gen_json.c). */
#define GEN_NTOPICS 4

/*
 * One call leg. Times are epoch ms; 0 means "none" (null, or never). *_ts
 * fields are the event_timestamp from which events carry a value.
 */
struct gen_leg {
	int64_t		 call_id, master_call_id, entry_point_call_id;
	int64_t		 op_early, op_early_ts;	/* operator_call_id: op_early from */
	int64_t		 op_final, op_ts;	/* op_early_ts, then op_final from op_ts */
	int64_t		 date_started, date_rang, date_first_rang, date_queued;
	int64_t		 date_connected, date_ended;
	int64_t		 connect_ts, end_ts;	/* date_connected / date_ended carried from */
	int64_t		 hold_ms;
	int64_t		 contact_id, enrich_ts;	/* a saved (shared) contact from enrich_ts */
	int64_t		 transfer_ts;		/* target2, is_transferred from transfer_ts */
	int64_t		 rec_ts;		/* was_recorded true from rec_ts */
	int64_t		 tr_ts[2];		/* transcription_text version 1, 2 */
	int64_t		 recap_ts[4];		/* summary, action items, outcome, purposes */
	int64_t		 edit_ts;		/* the agent's edit of summary and action items */
	int64_t		 labels_ts[2];		/* labels 1 (dispositions), 2 (postcall) */
	int64_t		 csat_ts[2];		/* csat_score from csat, then pcsat */
	int64_t		 share_rec;		/* recording whose share link was recording_url */
	const struct gen_party *target, *target2;
	const struct gen_party *caller;		/* an internal caller, or NULL */
	const char	*group;			/* group_id */
	uint32_t	 rec_first;		/* its recordings: g->recs[rec_first..+nrec) */
	uint8_t		 nrec;
	uint8_t		 outbound, blocked, voicemail, custom, topic, mos, csat[2];
	uint16_t	 frac;			/* fraction of the durations, 1/1000 ms */
	char		 external[16];
};

/* Flags of one event. */
#define GEN_EV_RECURL_STR	0x01	/* carries recording_url: a share-link string */
#define GEN_EV_RECURL_ARR	0x02	/* carries recording_url: an array of the recording URLs */

/* One webhook: state `state` of leg `leg` at event_timestamp ts. */
struct gen_event {
	uint32_t	 leg;
	uint8_t		 state;		/* enum gen_state */
	uint8_t		 flags;		/* GEN_EV_* */
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
	struct gen_rec	*recs;
	size_t		 nrecs, reccap;
	struct gen_event *events;	/* each event once */
	size_t		 nevents, evcap;
	size_t		*order;		/* deliveries: indexes into events */
	size_t		 norder, nredelivered;
};

/* ------------------------------------------------------------ ctl_gen_life.c */

/* The next 64 bits of g's seeded stream (splitmix64). */
uint64_t gen_rand(struct gen *g);

/* Generate g->calls human calls from g->start_ms (legs, recordings, events), seeded by g->seed. */
void	 gen_calls(struct gen *g);

/* ------------------------------------------------------------ ctl_gen_json.c */

/* The event JSON of e into b (reset first): the whole call object as of e->ts. */
void	 gen_json(const struct gen *g, const struct gen_event *e, struct strbuf *b);

/* Append s as a JSON string literal (quotes; ", \ and control characters escaped). */
void	 gen_json_text(struct strbuf *b, const char *s);

/*
 * The changing values a leg shows as of event_timestamp ts (INT64_MAX: its
 * final values, which --expect writes). NULL or 0 = no value yet.
 */
struct gen_view {
	const struct gen_party *target;
	int64_t		 operator_call_id;
	int64_t		 contact_id;		/* a JSON number, or 0 with contact_id_str */
	char		 contact_id_str[24];	/* a saved contact's id (a string), or "" */
	const char	*contact_type, *contact_name, *contact_phone, *contact_email;
	char		 contact_name_buf[24];
	int		 transferred, recorded;
	const char	*transcription, *summary, *outcome;	/* into tr, sum, or static */
	int		 action_items;		/* 0 none, 1 or 2: version */
	int		 purposes;		/* 0 none, 1 present */
	int		 labels;		/* 0: [], 1 or 2: version */
	int		 csat;			/* 0: null, 1: csat's string, 2: pcsat's number */
	char		 tr[768], sum[384];
};

/* Fill v with what leg l shows as of ts. */
void	 gen_view_at(const struct gen_leg *l, int64_t ts, struct gen_view *v);

/*
 * Append the view's labels, recap_action_items, recap_purposes (JSON arrays)
 * or csat_score (a string, or pcsat's number) to b, as the payload has them.
 */
void	 gen_json_labels(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v);
void	 gen_json_action_items(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v);
void	 gen_json_purposes(struct strbuf *b, const struct gen_leg *l);
void	 gen_json_csat(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v);

/* custom_data of an API-placed call into out (len bytes), or NULL if the leg has none. */
const char *gen_custom_data(const struct gen_leg *l, char *out, size_t len);

/* The URL of recording r into out (len bytes); the share link instead if share is set. */
void	 gen_rec_url(const struct gen_rec *r, int share, char *out, size_t len);

/* ------------------------------------------------------------ ctl_gen_expect.c */

/* Write --expect (g->expect): one JSON line per leg, sorted by dialpad_call_id; 0 or CTL_EXIT_RUNTIME. */
int	 gen_write_expect(const struct gen *g);

#endif
