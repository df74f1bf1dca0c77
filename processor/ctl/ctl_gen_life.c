/*
 * ctl_gen_life.c: gen-events' call lifecycles. Each human call becomes one or
 * more legs (struct gen_leg) and the webhooks Dialpad sends for them (struct
 * gen_event), with the moments at which a changing value first appears
 * (ctl_gen.h explains the model). Shapes follow dialpad-webhooks.md: section
 * 2 (fields, states, leg relations) and the fixtures of section 7. Which
 * post-call states exist and what they carry comes from the OpenAPI spec's
 * call_states and consumer reports; their order and the invented values
 * (texts, labels, scores) are assumptions.
 *
 * Everything derives from one seeded PRNG, so a seed and a start time give
 * the same legs and events.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_gen.h"

const struct gen_state_info gen_states[GEN_NSTATES] = {
	[GEN_CALLING] = { "calling", GEN_RING },
	[GEN_RINGING] = { "ringing", GEN_RING },
	[GEN_PREANSWER] = { "preanswer", GEN_RING },
	[GEN_QUEUED] = { "queued", GEN_RING },
	[GEN_CONNECTED] = { "connected", GEN_ACTIVE },
	[GEN_HOLD] = { "hold", GEN_ACTIVE },
	[GEN_PARKED] = { "parked", GEN_ACTIVE },
	[GEN_MERGED] = { "merged", GEN_ACTIVE },
	[GEN_TAKEOVER] = { "takeover", GEN_ACTIVE },
	[GEN_BARGE] = { "barge", GEN_ACTIVE },
	[GEN_MONITOR] = { "monitor", GEN_ACTIVE },
	[GEN_EAVESDROP] = { "eavesdrop", GEN_ACTIVE },
	[GEN_BLOCKED] = { "blocked", GEN_ENDED },
	[GEN_HANGUP] = { "hangup", GEN_ENDED },
	[GEN_MISSED] = { "missed", GEN_ENDED },
	[GEN_VOICEMAIL] = { "voicemail", GEN_ENDED },
	[GEN_RECORDING] = { "recording", GEN_POST },
	[GEN_ADMIN_RECORDING] = { "admin_recording", GEN_POST },
	[GEN_VOICEMAIL_UPLOADED] = { "voicemail_uploaded", GEN_POST },
	[GEN_TRANSCRIPTION] = { "transcription", GEN_POST },
	[GEN_CALL_TRANSCRIPTION] = { "call_transcription", GEN_POST },
	[GEN_RECAP_SUMMARY] = { "recap_summary", GEN_POST },
	[GEN_RECAP_ACTION_ITEMS] = { "recap_action_items", GEN_POST },
	[GEN_RECAP_OUTCOME] = { "recap_outcome", GEN_POST },
	[GEN_RECAP_PURPOSES] = { "recap_purposes", GEN_POST },
	[GEN_AI_PLAYBOOK] = { "ai_playbook", GEN_POST },
	[GEN_DISPOSITIONS] = { "dispositions", GEN_POST },
	[GEN_POSTCALL] = { "postcall", GEN_POST },
	[GEN_CSAT] = { "csat", GEN_POST },
	[GEN_PCSAT] = { "pcsat", GEN_POST },
	[GEN_ADMIN] = { "admin", GEN_POST },
};

#define GEN_OFFICE_ID	INT64_C(5100000000000001)
#define GEN_OFFICE_GRP	"Office:5100000000000001"

static const struct gen_party gen_agents[] = {
	{ INT64_C(5200000000000001), GEN_OFFICE_ID, "user", "Ana Ortiz", "ana@example.com", "+14155550100",
	  GEN_OFFICE_GRP, 0 },
	{ INT64_C(5200000000000002), GEN_OFFICE_ID, "user", "Ben Okafor", "ben@example.com", "+14155550101",
	  GEN_OFFICE_GRP, 0 },
	{ INT64_C(5200000000000003), GEN_OFFICE_ID, "user", "Chen Wei", "chen@example.com", "+14155550102",
	  GEN_OFFICE_GRP, 0 },
	{ INT64_C(5200000000000004), GEN_OFFICE_ID, "user", "Dana Kowalski", "dana@example.com",
	  "+14155550103", GEN_OFFICE_GRP, 0 },
	{ INT64_C(5200000000000005), GEN_OFFICE_ID, "user", "Emeka Nwosu", "emeka@example.com",
	  "+14155550104", GEN_OFFICE_GRP, 0 },
	{ INT64_C(5200000000000006), GEN_OFFICE_ID, "user", "Fatima Haddad", "fatima@example.com",
	  "+14155550105", GEN_OFFICE_GRP, 0 },
};
static const struct gen_party gen_office =
	{ GEN_OFFICE_ID, GEN_OFFICE_ID, "office", "Acme Inc", "", "+14155550199", GEN_OFFICE_GRP, 0 };
/* the call center's office_id goes as a digit string, the form the REST API uses for ids */
static const struct gen_party gen_cc_party =
	{ INT64_C(5300000000000001), GEN_OFFICE_ID, "callcenter", "Support", "", "+14155550188",
	  "CallCenter:5300000000000001", 1 };

/* ------------------------------------------------------------ randomness */

uint64_t
gen_rand(struct gen *g)
{
	uint64_t	 z = (g->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
gen_range(struct gen *g, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(gen_rand(g) % (uint64_t)(hi - lo + 1));
}

/* True with probability pct %. */
static int
gen_chance(struct gen *g, int pct)
{
	return gen_range(g, 0, 99) < pct;
}

/* A random agent other than `not` (NULL: any). */
static const struct gen_party *
gen_agent(struct gen *g, const struct gen_party *not)
{
	const struct gen_party *a;

	do
		a = &gen_agents[gen_range(g, 0, DH_ARRAY_LEN(gen_agents) - 1)];
	while (a == not);
	return a;
}

/* ------------------------------------------------------------ legs and events */

/*
 * A new leg with a fresh unique call_id (increasing with creation, below
 * 2^53), targeting `target`, started at `start`; an inbound leg rings
 * (date_first_rang) 200-700 ms later. Returns its index.
 */
static size_t
gen_new_leg(struct gen *g, const struct gen_party *target, const char *external, int64_t contact_id,
    int outbound, int64_t start)
{
	struct gen_leg	*l;

	if (g->nlegs == g->legcap) {
		g->legcap = g->legcap ? g->legcap * 2 : 256;
		g->legs = xreallocarray(g->legs, g->legcap, sizeof(*g->legs));
	}
	l = &g->legs[g->nlegs];
	memset(l, 0, sizeof(*l));
	/* ids: a seed-dependent base, 16 apart per leg: unique and below 2^53 */
	l->call_id = INT64_C(4500000000000000) + (int64_t)(g->seed % UINT64_C(1000000000)) * 1000000 +
	    (int64_t)g->nlegs * 16 + gen_range(g, 0, 15);
	l->target = target;
	l->group = target->group;
	l->contact_id = contact_id;
	l->outbound = (uint8_t)outbound;
	l->date_started = start;
	l->date_first_rang = outbound ? 0 : start + gen_range(g, 200, 700);
	l->topic = (uint8_t)gen_range(g, 0, GEN_NTOPICS - 1);
	l->mos = (uint8_t)gen_range(g, 0, 99);
	l->frac = (uint16_t)gen_range(g, 0, 998);
	if (l->frac >= 500)		/* never exactly .5: rounding it is not specified */
		l->frac++;
	snprintf(l->external, sizeof(l->external), "%s", external);
	return g->nlegs++;
}

/*
 * Queue the webhook of `state` for leg, `at` ms plus Dialpad's sending delay
 * (100-900 ms), and return its event_timestamp. The first connected event
 * and the first ending event (hangup, missed, voicemail, blocked) fix from
 * when the leg's events carry date_connected and date_ended.
 */
static int64_t
gen_emit(struct gen *g, size_t leg, enum gen_state state, int64_t at)
{
	struct gen_leg	*l = &g->legs[leg];
	int64_t		 ts = at + gen_range(g, 100, 900);

	if (g->nevents == g->evcap) {
		g->evcap = g->evcap ? g->evcap * 2 : 1024;
		g->events = xreallocarray(g->events, g->evcap, sizeof(*g->events));
	}
	g->events[g->nevents++] = (struct gen_event){ .leg = (uint32_t)leg, .state = (uint8_t)state,
		.ts = ts };
	if (state == GEN_CONNECTED && (l->connect_ts == 0 || ts < l->connect_ts))
		l->connect_ts = ts;
	if (gen_states[state].cls == GEN_ENDED && (l->end_ts == 0 || ts < l->end_ts))
		l->end_ts = ts;
	return ts;
}

/* A post-call event; on a leg whose hangup was lost, the first one is where date_ended appears. */
static int64_t
gen_emit_post(struct gen *g, size_t leg, enum gen_state state, int64_t at)
{
	int64_t		 ts = gen_emit(g, leg, state, at);

	if (g->legs[leg].end_ts == 0)
		g->legs[leg].end_ts = ts;
	return ts;
}

/* Answer leg at `at`: date_connected and the connected event. */
static void
gen_answer(struct gen *g, size_t leg, int64_t at)
{
	g->legs[leg].date_connected = at;
	gen_emit(g, leg, GEN_CONNECTED, at);
}

/* End leg at `at` with `state` (hangup, missed...) unless `lost`: Dialpad's delivery never came. */
static void
gen_end(struct gen *g, size_t leg, enum gen_state state, int64_t at, int lost)
{
	g->legs[leg].date_ended = at;
	if (!lost)
		gen_emit(g, leg, state, at);
}

/* A new recording of the current leg (recordings of a leg are contiguous in g->recs). */
static void
gen_add_rec(struct gen *g, struct gen_leg *l, enum gen_rec_type type, int64_t start, int64_t len)
{
	struct gen_rec	*r;

	if (g->nrecs == g->reccap) {
		g->reccap = g->reccap ? g->reccap * 2 : 256;
		g->recs = xreallocarray(g->recs, g->reccap, sizeof(*g->recs));
	}
	if (l->nrec == 0)
		l->rec_first = (uint32_t)g->nrecs;
	r = &g->recs[g->nrecs++];
	/* unique per leg and type: the leg's id below 10^13, 8 recordings apart */
	r->id = (type == GEN_REC_VOICEMAIL ? INT64_C(4900000000000000) : INT64_C(4800000000000000)) +
	    (l->call_id % INT64_C(10000000000000)) * 8 + l->nrec;
	r->type = (uint8_t)type;
	r->start = start;
	r->len = len;
	l->nrec++;
}

/* ------------------------------------------------------------ post-call */

/* Which post-call steps a leg gets. */
struct gen_post {
	int	 rec, ai, disp, csat, lost;	/* lost: the hangup delivery never came */
	int	 admin;				/* an `admin` event (meaning undocumented) */
};

/*
 * The call recording of an answered leg, ready 20-60 s after the hangup: 1-3
 * callrecording segments (recording paused and resumed), one recording event
 * each, carrying the segments ready so far; sometimes an admin recording of
 * the whole call (admin_recording). One recording event may also carry the
 * legacy recording_url: the first one as the first segment's share-link
 * string, or the last one as the array of every segment's URL.
 */
static void
gen_recordings(struct gen *g, size_t leg, int64_t *t)
{
	struct gen_leg	*l = &g->legs[leg];
	int64_t		 n = gen_chance(g, 60) ? 1 : gen_chance(g, 60) ? 2 : 3;
	int64_t		 from = l->date_connected + gen_range(g, 200, 800);
	int64_t		 seg = (l->date_ended - from) / n, legacy = gen_range(g, 0, 2);

	l->rec_ts = l->connect_ts;
	for (int64_t k = 0; k < n; k++)
		gen_add_rec(g, l, GEN_REC_CALL, from + k * seg, seg - seg / 10);
	if (gen_chance(g, 25))
		gen_add_rec(g, l, GEN_REC_ADMIN, l->date_connected, l->date_ended - l->date_connected);
	*t = l->date_ended + gen_range(g, 20000, 60000);
	for (uint8_t k = 0; k < l->nrec; k++) {
		struct gen_rec	*r = &g->recs[l->rec_first + k];
		int		 admin = r->type == GEN_REC_ADMIN;

		r->ready_ts = gen_emit_post(g, leg, admin ? GEN_ADMIN_RECORDING : GEN_RECORDING, *t);
		if (legacy == 1 && k == 0) {		/* the first segment's share link */
			g->events[g->nevents - 1].flags = GEN_EV_RECURL_STR;
			l->share_rec = r->id;
		} else if (legacy == 2 && k == n - 1) {	/* every segment's URL, once all are ready */
			g->events[g->nevents - 1].flags = GEN_EV_RECURL_ARR;
		}
		*t += gen_range(g, 5000, 20000);
	}
}

/*
 * The post-call steps of an answered leg: sometimes an `admin` event (Dialpad
 * documents no meaning for it; it carries the call like every state); the
 * recordings; Dialpad Ai's work: a quick transcript (transcription), the full
 * one (call_transcription), the four recap parts, the playbook; then the
 * agent's wrap-up (dispositions: labels; postcall: more labels and an edited
 * recap) and the caller's surveys (csat, then pcsat whose score supersedes).
 */
static void
gen_postcall(struct gen *g, size_t leg, const struct gen_post *p)
{
	struct gen_leg	*l = &g->legs[leg];
	int64_t		 t = l->date_ended + gen_range(g, 20000, 60000);

	if (p->admin)
		gen_emit_post(g, leg, GEN_ADMIN, l->date_ended + gen_range(g, 5000, 15000));
	if (p->rec)
		gen_recordings(g, leg, &t);
	if (p->ai) {
		static const enum gen_state recap[4] = { GEN_RECAP_SUMMARY, GEN_RECAP_ACTION_ITEMS,
			GEN_RECAP_OUTCOME, GEN_RECAP_PURPOSES };

		l->tr_ts[0] = gen_emit_post(g, leg, GEN_TRANSCRIPTION, t += gen_range(g, 10000, 40000));
		l->tr_ts[1] = gen_emit_post(g, leg, GEN_CALL_TRANSCRIPTION, t += gen_range(g, 30000, 90000));
		t += gen_range(g, 5000, 20000);
		for (int k = 0; k < 4; k++)
			l->recap_ts[k] = gen_emit_post(g, leg, recap[k], t += gen_range(g, 2000, 6000));
		gen_emit_post(g, leg, GEN_AI_PLAYBOOK, t += gen_range(g, 5000, 20000));
	}
	if (p->disp)
		l->labels_ts[0] = gen_emit_post(g, leg, GEN_DISPOSITIONS, t += gen_range(g, 10000, 120000));
	if (p->disp || p->ai) {
		int64_t	 ts = gen_emit_post(g, leg, GEN_POSTCALL, t += gen_range(g, 5000, 60000));

		l->labels_ts[1] = p->disp ? ts : 0;
		l->edit_ts = p->ai ? ts : 0;
	}
	if (p->csat) {
		l->csat[0] = (uint8_t)gen_range(g, 1, 5);
		l->csat[1] = (uint8_t)(l->csat[0] % 5 + 1);
		l->csat_ts[0] = gen_emit_post(g, leg, GEN_CSAT, t += gen_range(g, 60000, 300000));
		l->csat_ts[1] = gen_emit_post(g, leg, GEN_PCSAT, t += gen_range(g, 300000, 3600000));
	}
}

/* Post-call steps for an answered leg, each with its chance in %; lost only with ai (it heals it). */
static void
gen_post_pick(struct gen *g, struct gen_post *p, int rec, int ai, int disp, int csat, int lost)
{
	p->rec = gen_chance(g, rec);
	p->ai = gen_chance(g, ai);
	p->disp = gen_chance(g, disp);
	p->csat = gen_chance(g, csat);
	p->lost = p->ai && gen_chance(g, lost);
	p->admin = gen_chance(g, 4);
}

/* ------------------------------------------------------------ lifecycles */

/*
 * Inbound to an agent, answered: ringing, connected, maybe a hold or park
 * (then connected again) or a transfer to another agent (hold, then connected
 * with the new target and is_transferred), hangup, post-call steps. The
 * caller is sometimes a colleague (contact type user, is_internal) and an
 * outside caller is sometimes saved as a shared contact once answered. A
 * leg whose hangup delivery is lost gets its end from the post-call events.
 */
static void
gen_inbound(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	const struct gen_party *agent = gen_agent(g, NULL);
	const struct gen_party *caller = gen_chance(g, 10) ? gen_agent(g, agent) : NULL;
	size_t		 leg = gen_new_leg(g, agent, caller ? caller->phone : ext,
	    caller ? caller->id : contact, 0, t);
	struct gen_leg	*l = &g->legs[leg];
	int64_t		 c = l->date_first_rang + gen_range(g, 2000, 20000);
	int64_t		 talk = gen_range(g, 10000, 600000);
	int64_t		 v = gen_range(g, 0, 99), h = c + talk / 3;
	struct gen_post	 p;

	l->caller = caller;
	gen_post_pick(g, &p, 40, 35, 35, 25, 15);
	gen_emit(g, leg, GEN_RINGING, l->date_first_rang);
	gen_answer(g, leg, c);
	if (caller == NULL && gen_chance(g, 20))
		l->enrich_ts = l->connect_ts;		/* saved as a contact once answered */
	if (v < 35) {				/* hold, park or transfer, then back to connected */
		enum gen_state	 st = v < 20 ? GEN_HOLD : v < 27 ? GEN_PARKED : GEN_HOLD;
		int64_t		 back;

		l->hold_ms = gen_range(g, 3000, talk / 3);
		gen_emit(g, leg, st, h);
		back = gen_emit(g, leg, GEN_CONNECTED, h + l->hold_ms);
		if (v >= 27) {
			l->target2 = gen_agent(g, agent);
			l->transfer_ts = back;
		}
	}
	gen_end(g, leg, GEN_HANGUP, c + talk, p.lost);
	gen_postcall(g, leg, &p);
}

/* Outbound from an agent: calling, maybe preanswer; answered (maybe merged) or not. */
static void
gen_outbound(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	size_t		 leg = gen_new_leg(g, gen_agent(g, NULL), ext, contact, 1, t);
	struct gen_post	 p;
	int64_t		 c, talk;

	g->legs[leg].custom = (uint8_t)gen_chance(g, 35);	/* placed through the API with custom_data */
	gen_emit(g, leg, GEN_CALLING, t);
	if (gen_chance(g, 30))
		gen_emit(g, leg, GEN_PREANSWER, t + gen_range(g, 1500, 3000));
	if (gen_chance(g, 20)) {		/* nobody picked up */
		gen_end(g, leg, GEN_HANGUP, t + gen_range(g, 15000, 40000), 0);
		return;
	}
	c = t + gen_range(g, 4500, 25000);
	talk = gen_range(g, 5000, 900000);
	gen_post_pick(g, &p, 35, 25, 25, 0, 0);
	gen_answer(g, leg, c);
	if (gen_chance(g, 10))
		gen_emit(g, leg, GEN_MERGED, c + talk / 2);
	gen_end(g, leg, GEN_HANGUP, c + talk, 0);
	gen_postcall(g, leg, &p);
}

/* Inbound to an agent, never answered: ringing, hangup, missed. */
static void
gen_missed(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	size_t		 leg = gen_new_leg(g, gen_agent(g, NULL), ext, contact, 0, t);
	int64_t		 end = g->legs[leg].date_first_rang + gen_range(g, 10000, 30000);

	gen_emit(g, leg, GEN_RINGING, g->legs[leg].date_first_rang);
	gen_end(g, leg, GEN_HANGUP, end, 0);
	gen_emit(g, leg, GEN_MISSED, end + 50);
}

/*
 * Inbound to an agent, to voicemail after the ring timeout: ringing,
 * voicemail, hangup, voicemail_uploaded (the message and its link), and
 * usually the transcription of the message.
 */
static void
gen_voicemail(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	size_t		 leg = gen_new_leg(g, gen_agent(g, NULL), ext, contact, 0, t);
	struct gen_leg	*l = &g->legs[leg];
	int64_t		 start = l->date_first_rang + 25000, len = gen_range(g, 5000, 60000);

	l->voicemail = 1;
	gen_emit(g, leg, GEN_RINGING, l->date_first_rang);
	gen_end(g, leg, GEN_VOICEMAIL, start + len + 1500, 0);
	gen_emit(g, leg, GEN_HANGUP, l->date_ended + 30);
	gen_add_rec(g, l, GEN_REC_VOICEMAIL, start, len);
	g->recs[l->rec_first].ready_ts = gen_emit(g, leg, GEN_VOICEMAIL_UPLOADED,
	    l->date_ended + gen_range(g, 3000, 15000));
	if (gen_chance(g, 70))
		l->tr_ts[0] = gen_emit(g, leg, GEN_TRANSCRIPTION, l->date_ended + gen_range(g, 20000, 60000));
}

/* Inbound from a blocked number: blocked (ended at once, never rang), then hangup. */
static void
gen_blocked(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	size_t		 leg = gen_new_leg(g, gen_agent(g, NULL), ext, contact, 0, t);
	struct gen_leg	*l = &g->legs[leg];

	l->blocked = 1;
	l->date_first_rang = 0;
	gen_end(g, leg, GEN_BLOCKED, t + gen_range(g, 100, 400), 0);
	gen_emit(g, leg, GEN_HANGUP, l->date_ended + 50);
}

/*
 * Inbound to the main line, routed to the call center's queue, taken by an
 * agent: main line (ringing, connected, hangup); call-center leg (queued;
 * ringing when it offers the call to a first agent who does not answer;
 * connected when the second answers; hangup), whose operator_call_id moves
 * from the first agent's leg to the answering one; the non-answering agent's
 * leg (ringing, hangup, missed); the answering agent's leg (ringing,
 * connected, maybe a supervisor's monitor/barge/eavesdrop/takeover, hangup,
 * post-call steps).
 */
static void
gen_callcenter(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	static const enum gen_state sup[] = { GEN_MONITOR, GEN_BARGE, GEN_EAVESDROP, GEN_TAKEOVER };
	size_t		 ml = gen_new_leg(g, &gen_office, ext, contact, 0, t);
	size_t		 cc = gen_new_leg(g, &gen_cc_party, ext, contact, 0,
	    t + gen_range(g, 3000, 15000));
	size_t		 a = SIZE_MAX, ag;
	const struct gen_party *first = NULL;
	struct gen_leg	*m, *c, *l;
	struct gen_post	 p;
	int64_t		 at, talk, end;

	m = &g->legs[ml];
	m->date_rang = m->date_first_rang;	/* a main line reports date_rang, a user date_first_rang */
	m->date_first_rang = 0;
	c = &g->legs[cc];
	c->master_call_id = c->entry_point_call_id = m->call_id;
	c->date_first_rang = 0;
	c->date_queued = c->date_started + 100;
	at = c->date_started + gen_range(g, 5000, 60000);
	if (gen_chance(g, 50)) {		/* offered first to an agent who does not answer */
		first = gen_agent(g, NULL);
		a = gen_new_leg(g, first, ext, contact, 0, at);
		/* it rings 12-15 s; the next agent gets the call 1-13 s after it gave up */
		at = g->legs[a].date_first_rang + gen_range(g, 16000, 25000);
	}
	ag = gen_new_leg(g, gen_agent(g, first), ext, contact, 0, at);
	m = &g->legs[ml];
	c = &g->legs[cc];
	l = &g->legs[ag];
	l->entry_point_call_id = c->call_id;
	l->group = c->group = gen_cc_party.group;
	c->op_final = l->call_id;
	gen_emit(g, ml, GEN_RINGING, m->date_rang);
	gen_answer(g, ml, m->date_rang + 1000);	/* the IVR answers */
	gen_emit(g, cc, GEN_QUEUED, c->date_queued);
	if (a != SIZE_MAX) {
		struct gen_leg	*x = &g->legs[a];

		x->entry_point_call_id = c->call_id;
		x->group = gen_cc_party.group;
		c->op_early = x->call_id;
		c->op_early_ts = gen_emit(g, cc, GEN_RINGING, x->date_first_rang);
		gen_emit(g, a, GEN_RINGING, x->date_first_rang);
		gen_end(g, a, GEN_HANGUP, x->date_first_rang + gen_range(g, 12000, 15000), 0);
		gen_emit(g, a, GEN_MISSED, x->date_ended + 50);
	}
	gen_post_pick(g, &p, 50, 35, 30, 30, 0);
	gen_emit(g, ag, GEN_RINGING, l->date_first_rang);
	talk = gen_range(g, 30000, 900000);
	gen_answer(g, ag, l->date_first_rang + gen_range(g, 2000, 12000));
	end = l->date_connected + talk;
	if (gen_chance(g, 25))
		gen_emit(g, ag, sup[gen_range(g, 0, 3)], l->date_connected + talk / 2);
	gen_end(g, ag, GEN_HANGUP, end, 0);
	gen_answer(g, cc, l->date_connected);
	c->op_ts = c->connect_ts;
	gen_end(g, cc, GEN_HANGUP, end, 0);
	gen_end(g, ml, GEN_HANGUP, end, 0);
	gen_postcall(g, ag, &p);
}

/* One human call starting at t, of a kind picked by weight. */
static void
gen_call(struct gen *g, int64_t t)
{
	char	 ext[16];
	int64_t	 contact = INT64_C(6100000000000000) + gen_range(g, 1, 999999999);
	int64_t	 w = gen_range(g, 0, 99);

	snprintf(ext, sizeof(ext), "+1%03d555%04d", (int)gen_range(g, 201, 989), (int)gen_range(g, 100, 199));
	if (w < 26)
		gen_inbound(g, ext, contact, t);
	else if (w < 44)
		gen_outbound(g, ext, contact, t);
	else if (w < 54)
		gen_missed(g, ext, contact, t);
	else if (w < 66)
		gen_voicemail(g, ext, contact, t);
	else if (w < 94)
		gen_callcenter(g, ext, contact, t);
	else
		gen_blocked(g, ext, contact, t);
}

void
gen_calls(struct gen *g)
{
	int64_t	 t = g->start_ms;

	g->rng = g->seed;
	for (int64_t k = 0; k < g->calls; k++) {
		gen_call(g, t);
		t += gen_range(g, 0, 1000);
	}
}
