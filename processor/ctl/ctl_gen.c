/*
 * ctl_gen.c: `dialhookctl gen-events`: realistic Dialpad call lifecycles
 * (docs: dialpad-webhooks.md section 2 and the fixtures of section 7), one
 * payload per state transition of each leg, exactly as Dialpad sends them:
 * the event object itself (no envelope, no event_type), int64 ids and epoch-ms
 * timestamps as JSON numbers, signed as a compact HS256 JWT whose claims are
 * the event.
 *
 * Everything derives from one seeded PRNG (splitmix64), so --seed S and
 * --start MS reproduce the same bytes. Only compact descriptors are kept in
 * memory; each body is built and signed when it is sent or written.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_gen.h"
#include "ctl_gen_send.h"
#include "jwt.h"

const char ctl_gen_details[] =
	"Generates --calls human calls, each one or more legs with one webhook per state:\n"
	"  inbound answered     ringing, connected, hangup (+ recording for recorded ones)\n"
	"  outbound             calling, connected, hangup (+ recording); unanswered: calling, hangup\n"
	"  missed               ringing, hangup, missed\n"
	"  voicemail            ringing, voicemail, hangup, voicemail_uploaded\n"
	"  call center          three legs: main line (ringing, connected, hangup), call-center leg\n"
	"                       (queued, connected, hangup; master_call_id and entry_point_call_id =\n"
	"                       main line, operator_call_id = agent leg), agent leg (ringing,\n"
	"                       connected, hangup, sometimes recording; entry_point_call_id = call center)\n"
	"Payloads are Dialpad's own (call_id, state, date_* in epoch ms, int64 ids as numbers),\n"
	"signed like Dialpad: the body is the compact HS256 JWT whose claims are the event.\n\n"
	"  --url URL           POST to URL, e.g. http://127.0.0.1:8080/webhooks/dialpad[/APP]\n"
	"  --out FILE          write the bodies, one per line, instead of sending ('-' = stdout)\n"
	"  --calls N           human calls to generate (default 100)\n"
	"  --concurrency C     keep-alive connections (default 8)\n"
	"  --shuffle           deliver in random order (default: chronological by event_timestamp)\n"
	"  --duplicates P      redeliver a share P of the events once more, P in 0..1 or a\n"
	"                      percentage: 0.1 and 10% both redeliver round(10% of events) events,\n"
	"                      byte for byte (appended at the end, or mixed in with --shuffle)\n"
	"  --seed S            seed of the generator (default: random, printed in the summary)\n"
	"  --start MS          date_started of the first call, epoch ms (default: now minus the\n"
	"                      generated span); --seed with --start reproduces the same bytes\n"
	"  --secret S          HS256 key (default: DIALPAD_WEBHOOK_SECRET)\n"
	"  --unsigned          plain JSON bodies instead (only with this explicit flag)\n"
	"  --retries N         retries of a 5xx or failed connection, after 2 s, 4 s, 8 s...\n"
	"                      as Dialpad does for call events (default 3); 4xx is never retried\n"
	"  --expect FILE       write the calls rows processing must end with, one JSON object\n"
	"                      per leg, sorted by dialpad_call_id (times in epoch ms)\n"
	"Prints a progress line on stderr while sending and a summary at the end (sent,\n"
	"2xx by status stored/duplicate, non-2xx, req/s). Exit 1 if any event was not\n"
	"acknowledged with a 2xx.\n";

enum gen_state {
	GEN_CALLING, GEN_RINGING, GEN_QUEUED, GEN_CONNECTED, GEN_HANGUP, GEN_MISSED,
	GEN_VOICEMAIL, GEN_RECORDING, GEN_VOICEMAIL_UPLOADED,
};

static const char *const gen_state_names[] = {
	"calling", "ringing", "queued", "connected", "hangup", "missed",
	"voicemail", "recording", "voicemail_uploaded",
};

/* calls.status each state moves a leg to (it only moves forward). */
static const char *const gen_state_status[] = {
	"ringing", "ringing", "ringing", "active", "ended", "ended", "ended", NULL, NULL,
};

/* The Dialpad side of a leg: a user, the office main line or a call center. */
struct gen_party {
	int64_t		 id;
	const char	*type, *name, *email, *phone;
};

#define GEN_OFFICE_ID INT64_C(5100000000000001)

static const struct gen_party gen_agents[] = {
	{ INT64_C(5200000000000001), "user", "Ana Ortiz", "ana@example.com", "+14155550100" },
	{ INT64_C(5200000000000002), "user", "Ben Okafor", "ben@example.com", "+14155550101" },
	{ INT64_C(5200000000000003), "user", "Chen Wei", "chen@example.com", "+14155550102" },
	{ INT64_C(5200000000000004), "user", "Dana Kowalski", "dana@example.com", "+14155550103" },
	{ INT64_C(5200000000000005), "user", "Emeka Nwosu", "emeka@example.com", "+14155550104" },
	{ INT64_C(5200000000000006), "user", "Fatima Haddad", "fatima@example.com", "+14155550105" },
};
static const struct gen_party gen_office =
	{ GEN_OFFICE_ID, "office", "Acme Inc", "", "+14155550199" };
static const struct gen_party gen_cc_party =
	{ INT64_C(5300000000000001), "callcenter", "Support", "", "+14155550188" };

/* ------------------------------------------------------------ randomness */

/* splitmix64: the next 64 random bits of g's stream. */
static uint64_t
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

/* ------------------------------------------------------------ lifecycles */

/* A new leg with a fresh unique call_id, ringing from `start`; returns its index. */
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
	l->contact_id = contact_id;
	l->outbound = (uint8_t)outbound;
	l->date_started = start;
	l->date_first_rang = outbound ? 0 : start + gen_range(g, 200, 700);
	snprintf(l->external, sizeof(l->external), "%s", external);
	return g->nlegs++;
}

/* Queue the webhook of `state` for leg, `at` ms plus Dialpad's sending delay. */
static void
gen_emit(struct gen *g, size_t leg, enum gen_state state, int64_t at)
{
	if (g->nevents == g->evcap) {
		g->evcap = g->evcap ? g->evcap * 2 : 1024;
		g->events = xreallocarray(g->events, g->evcap, sizeof(*g->events));
	}
	g->events[g->nevents++] = (struct gen_event){ .leg = (uint32_t)leg, .state = (uint8_t)state,
		.ts = at + gen_range(g, 100, 900) };
}

/* Answer leg at `at`, hang up after `talk` ms; emits connected and hangup. Returns date_ended. */
static int64_t
gen_talk(struct gen *g, size_t leg, int64_t at, int64_t talk)
{
	g->legs[leg].date_connected = at;
	g->legs[leg].date_ended = at + talk;
	gen_emit(g, leg, GEN_CONNECTED, at);
	gen_emit(g, leg, GEN_HANGUP, at + talk);
	return at + talk;
}

/* The call recording of leg, ready 20-90 s after the hangup. */
static void
gen_record(struct gen *g, size_t leg)
{
	struct gen_leg	*l = &g->legs[leg];

	l->recorded = 1;
	l->recording_id = INT64_C(4800000000000000) + (l->call_id % INT64_C(100000000000000));
	l->rec_start = l->date_connected + gen_range(g, 200, 800);
	l->rec_len = l->date_ended - l->rec_start;
	gen_emit(g, leg, GEN_RECORDING, l->date_ended + gen_range(g, 20000, 90000));
}

/* Inbound to an agent: answered (maybe recorded), missed, or voicemail. */
static void
gen_inbound(struct gen *g, const char *ext, int64_t contact, int64_t t, int kind)
{
	const struct gen_party *agent = &gen_agents[gen_range(g, 0, DH_ARRAY_LEN(gen_agents) - 1)];
	size_t		 leg = gen_new_leg(g, agent, ext, contact, 0, t);
	int64_t		 rang = g->legs[leg].date_first_rang;

	gen_emit(g, leg, GEN_RINGING, rang);
	if (kind == 0) {			/* answered */
		gen_talk(g, leg, rang + gen_range(g, 2000, 20000), gen_range(g, 10000, 600000));
		if (gen_range(g, 0, 2) == 0)
			gen_record(g, leg);
	} else if (kind == 1) {			/* missed */
		g->legs[leg].date_ended = rang + gen_range(g, 10000, 30000);
		gen_emit(g, leg, GEN_HANGUP, g->legs[leg].date_ended);
		gen_emit(g, leg, GEN_MISSED, g->legs[leg].date_ended + 50);
	} else {				/* voicemail after the ring timeout */
		struct gen_leg	*l = &g->legs[leg];

		l->voicemail = 1;
		l->recording_id = INT64_C(4900000000000000) + (l->call_id % INT64_C(100000000000000));
		l->rec_start = rang + 25000;
		l->rec_len = gen_range(g, 5000, 60000);
		l->date_ended = l->rec_start + l->rec_len + 1500;
		gen_emit(g, leg, GEN_VOICEMAIL, l->date_ended);
		gen_emit(g, leg, GEN_HANGUP, l->date_ended + 30);
		gen_emit(g, leg, GEN_VOICEMAIL_UPLOADED, l->date_ended + gen_range(g, 3000, 15000));
	}
}

/* Outbound from an agent: answered (maybe recorded) or not. */
static void
gen_outbound(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	const struct gen_party *agent = &gen_agents[gen_range(g, 0, DH_ARRAY_LEN(gen_agents) - 1)];
	size_t		 leg = gen_new_leg(g, agent, ext, contact, 1, t);

	gen_emit(g, leg, GEN_CALLING, t);
	if (gen_range(g, 0, 4) == 0) {		/* nobody picked up */
		g->legs[leg].date_ended = t + gen_range(g, 15000, 40000);
		gen_emit(g, leg, GEN_HANGUP, g->legs[leg].date_ended);
		return;
	}
	gen_talk(g, leg, t + gen_range(g, 4000, 25000), gen_range(g, 5000, 900000));
	if (gen_range(g, 0, 2) == 0)
		gen_record(g, leg);
}

/* Inbound to the main line, routed to the call center's queue, taken by an agent: three legs. */
static void
gen_callcenter(struct gen *g, const char *ext, int64_t contact, int64_t t)
{
	const struct gen_party *agent = &gen_agents[gen_range(g, 0, DH_ARRAY_LEN(gen_agents) - 1)];
	size_t		 main = gen_new_leg(g, &gen_office, ext, contact, 0, t);
	size_t		 cc = gen_new_leg(g, &gen_cc_party, ext, contact, 0, t + gen_range(g, 3000, 15000));
	size_t		 ag = gen_new_leg(g, agent, ext, contact, 0, g->legs[cc].date_started + gen_range(g, 5000, 120000));
	int64_t		 end;

	g->legs[cc].master_call_id = g->legs[main].call_id;
	g->legs[cc].entry_point_call_id = g->legs[main].call_id;
	g->legs[cc].operator_call_id = g->legs[ag].call_id;
	g->legs[cc].date_first_rang = 0;
	g->legs[cc].date_queued = g->legs[cc].date_started + 100;
	g->legs[ag].entry_point_call_id = g->legs[cc].call_id;
	gen_emit(g, main, GEN_RINGING, g->legs[main].date_first_rang);
	gen_emit(g, cc, GEN_QUEUED, g->legs[cc].date_queued);
	gen_emit(g, ag, GEN_RINGING, g->legs[ag].date_first_rang);
	end = gen_talk(g, ag, g->legs[ag].date_first_rang + gen_range(g, 2000, 12000), gen_range(g, 30000, 900000));
	gen_talk(g, cc, g->legs[ag].date_connected, end - g->legs[ag].date_connected);
	gen_talk(g, main, g->legs[main].date_first_rang + 1000, end - g->legs[main].date_first_rang - 1000);
	if (gen_range(g, 0, 1) == 0)
		gen_record(g, ag);
}

/* One human call starting at t, of a kind picked by weight. */
static void
gen_call(struct gen *g, int64_t t)
{
	char	 ext[16];
	int64_t	 contact = INT64_C(6100000000000000) + gen_range(g, 1, 999999999);
	int64_t	 w = gen_range(g, 0, 99);

	snprintf(ext, sizeof(ext), "+1%03d555%04d", (int)gen_range(g, 201, 989), (int)gen_range(g, 100, 199));
	if (w < 30)
		gen_inbound(g, ext, contact, t, 0);
	else if (w < 52)
		gen_outbound(g, ext, contact, t);
	else if (w < 64)
		gen_inbound(g, ext, contact, t, 1);
	else if (w < 78)
		gen_inbound(g, ext, contact, t, 2);
	else
		gen_callcenter(g, ext, contact, t);
}

/* ------------------------------------------------------------ payloads */

/* Append "key":N or "key":null (0 = null). */
static void
gen_num(struct ctl_buf *b, const char *key, int64_t v)
{
	if (v == 0)
		ctl_buf_printf(b, ",\"%s\":null", key);
	else
		ctl_buf_printf(b, ",\"%s\":%" PRId64, key, v);
}

/* "(415) 555-0123" from "+14155550123", as Dialpad names an unknown contact. */
static void
gen_contact_name(const char *e164, char *out, size_t len)
{
	snprintf(out, len, "(%.3s) %.3s-%.4s", e164 + 2, e164 + 5, e164 + 8);
}

/* The parties and numbers: contact, target, entry_point_target, proxy_target... */
static void
gen_json_parties(struct ctl_buf *b, const struct gen_leg *l)
{
	const struct gen_party *t = l->target;
	char		 name[24];

	gen_contact_name(l->external, name, sizeof(name));
	ctl_buf_printf(b, ",\"direction\":\"%s\",\"external_number\":\"%s\",\"internal_number\":\"%s\"",
	    l->outbound ? "outbound" : "inbound", l->external, t->phone);
	ctl_buf_printf(b, ",\"contact\":{\"id\":%" PRId64 ",\"type\":\"local\",\"name\":\"%s\",\"phone\":\"%s\","
	    "\"email\":\"\"}", l->contact_id, name, l->external);
	ctl_buf_printf(b, ",\"target\":{\"id\":%" PRId64 ",\"type\":\"%s\",\"name\":\"%s\",\"email\":\"%s\","
	    "\"phone\":\"%s\",\"office_id\":%" PRId64 "}", t->id, t->type, t->name, t->email, t->phone, GEN_OFFICE_ID);
	if (l->entry_point_call_id != 0)
		ctl_buf_printf(b, ",\"entry_point_target\":{\"id\":%" PRId64 ",\"type\":\"%s\",\"name\":\"%s\","
		    "\"phone\":\"%s\"}", gen_office.id, gen_office.type, gen_office.name, gen_office.phone);
	else
		ctl_buf_printf(b, ",\"entry_point_target\":{}");
	ctl_buf_printf(b, ",\"proxy_target\":{},\"group_id\":\"Office:%" PRId64 "\",\"is_transferred\":false,"
	    "\"is_internal\":false", GEN_OFFICE_ID);
}

/* The recording_details / voicemail fields for a leg at state st. */
static void
gen_json_media(struct ctl_buf *b, const struct gen_leg *l, enum gen_state st)
{
	if (st == GEN_RECORDING) {
		ctl_buf_printf(b, ",\"recording_details\":[{\"id\":\"%" PRId64 "\",\"recording_type\":\"callrecording\","
		    "\"url\":\"https://dialpad.example.invalid/recordings/%" PRId64 ".mp3\",\"duration\":%" PRId64
		    ",\"start_time\":%" PRId64 "}],\"call_recording_ids\":[\"%" PRId64 "\"]",
		    l->recording_id, l->recording_id, l->rec_len, l->rec_start, l->recording_id);
	} else if (st == GEN_VOICEMAIL_UPLOADED) {
		ctl_buf_printf(b, ",\"recording_details\":[{\"id\":\"%" PRId64 "\",\"recording_type\":\"voicemail\","
		    "\"url\":\"https://dialpad.example.invalid/secureblob/voicemail/%" PRId64 "\",\"duration\":%"
		    PRId64 ",\"start_time\":%" PRId64 "}],\"call_recording_ids\":[]", l->recording_id,
		    l->recording_id, l->rec_len, l->rec_start);
	} else {
		ctl_buf_printf(b, ",\"recording_details\":[],\"call_recording_ids\":[]");
	}
	if (st == GEN_VOICEMAIL_UPLOADED)
		ctl_buf_printf(b, ",\"voicemail_link\":\"https://dialpad.example.invalid/secureblob/voicemail/%"
		    PRId64 "\",\"voicemail_recording_id\":\"%" PRId64 "\"", l->recording_id, l->recording_id);
	else
		ctl_buf_printf(b, ",\"voicemail_link\":null,\"voicemail_recording_id\":null");
}

/* The call event JSON of e into b (reset first), fields as in the section 7 fixtures. */
static void
gen_json(const struct gen *g, const struct gen_event *e, struct ctl_buf *b)
{
	const struct gen_leg *l = &g->legs[e->leg];
	enum gen_state	 st = (enum gen_state)e->state;
	int		 after_answer = st != GEN_CALLING && st != GEN_RINGING && st != GEN_QUEUED;
	int		 ended = after_answer && st != GEN_CONNECTED;
	int64_t		 talk = l->date_connected ? l->date_ended - l->date_connected : 0;

	ctl_buf_reset(b);
	ctl_buf_printf(b, "{\"call_id\":%" PRId64, l->call_id);
	gen_num(b, "master_call_id", l->master_call_id);
	gen_num(b, "entry_point_call_id", l->entry_point_call_id);
	gen_num(b, "operator_call_id", l->operator_call_id);
	ctl_buf_printf(b, ",\"state\":\"%s\"", gen_state_names[st]);
	gen_json_parties(b, l);
	gen_num(b, "date_started", l->date_started);
	gen_num(b, "date_first_rang", l->date_first_rang);
	ctl_buf_printf(b, ",\"date_rang\":null");
	gen_num(b, "date_queued", l->date_queued);
	gen_num(b, "date_connected", after_answer ? l->date_connected : 0);
	gen_num(b, "date_ended", ended ? l->date_ended : 0);
	if (ended)
		ctl_buf_printf(b, ",\"duration\":%" PRId64 ".0,\"total_duration\":%" PRId64 ".0,\"talk_time\":%"
		    PRId64 ",\"hold_time\":0,\"mos_score\":%s", talk, l->date_ended - l->date_started, talk,
		    talk ? "4.41" : "null");
	else
		ctl_buf_printf(b, ",\"duration\":null,\"total_duration\":null,\"talk_time\":null,\"hold_time\":null,"
		    "\"mos_score\":null");
	ctl_buf_printf(b, ",\"was_recorded\":%s", l->recorded && after_answer ? "true" : "false");
	gen_json_media(b, l, st);
	ctl_buf_printf(b, ",\"transcription_text\":null,\"labels\":[],\"csat_score\":null,\"routing_breadcrumbs\":[]"
	    ",\"event_timestamp\":%" PRId64 "}", e->ts);
}

/*
 * The body of delivery i (an index into g->order): the event's JSON signed
 * as a compact HS256 JWT, or the plain JSON with --unsigned. Returns a
 * malloc'd NUL-terminated string (caller frees) and its length in *len; NULL
 * only if signing fails.
 */
static char *
gen_body(const struct gen *g, size_t i, size_t *len)
{
	struct ctl_buf	 b = { 0 };
	char		*out = NULL;

	gen_json(g, &g->events[g->order[i]], &b);
	if (g->secret == NULL) {
		*len = b.len;
		return b.p;
	}
	if (jwt_sign_hs256(b.p, b.len, (const unsigned char *)g->secret, strlen(g->secret), &out, len) != 0)
		out = NULL;
	ctl_buf_free(&b);
	return out;
}

/* ------------------------------------------------------------ delivery order */

/* qsort: chronological by event_timestamp; (leg, state) is unique, so the order is total. */
static int
gen_cmp_ts(const void *a, const void *b)
{
	const struct gen_event *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->leg != y->leg)
		return x->leg < y->leg ? -1 : 1;
	return (x->state > y->state) - (x->state < y->state);
}

/* Fisher-Yates over v[0..n). */
static void
gen_shuffle(struct gen *g, size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t	 j = (size_t)(gen_rand(g) % i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/*
 * Build g->order: every event once (chronological, or shuffled), plus
 * round(duplicates * nevents) distinct events a second time (appended, or
 * shuffled in).
 */
static void
gen_make_order(struct gen *g)
{
	size_t	 k = (size_t)(g->duplicates * (double)g->nevents + 0.5), *pick;

	if (k > g->nevents)
		k = g->nevents;
	qsort(g->events, g->nevents, sizeof(*g->events), gen_cmp_ts);
	g->order = xreallocarray(NULL, g->nevents + k + 1, sizeof(*g->order));
	pick = xreallocarray(NULL, g->nevents + 1, sizeof(*pick));
	for (size_t i = 0; i < g->nevents; i++)
		g->order[i] = pick[i] = i;
	for (size_t i = 0; i < k; i++) {	/* partial Fisher-Yates: k distinct events */
		size_t	 j = i + (size_t)(gen_rand(g) % (g->nevents - i)), t = pick[i];

		pick[i] = pick[j];
		pick[j] = t;
		g->order[g->nevents + i] = pick[i];
	}
	free(pick);
	g->norder = g->nevents + k;
	g->nredelivered = k;
	if (g->shuffle)
		gen_shuffle(g, g->order, g->norder);
}

/* ------------------------------------------------------------ --expect, --out */

/* What processing all of a leg's events must leave in its calls row. */
struct gen_expect {
	int64_t	 last_ts;
	int	 last_state, status;	/* status: 0 none, 1 ringing, 2 active, 3 ended */
};

/* Rank of a calls.status name (0 for none). */
static int
gen_status_rank(const char *s)
{
	return s == NULL ? 0 : strcmp(s, "ringing") == 0 ? 1 : strcmp(s, "active") == 0 ? 2 : 3;
}

/* One JSON line: the calls row leg l must end with. */
static void
gen_expect_line(FILE *fp, const struct gen_leg *l, const struct gen_expect *x)
{
	static const char *const status[] = { "null", "\"ringing\"", "\"active\"", "\"ended\"" };
	struct ctl_buf	 b = { 0 };

	ctl_buf_printf(&b, "{\"dialpad_call_id\":%" PRId64 ",\"status\":%s,\"state\":\"%s\"", l->call_id,
	    status[x->status], gen_state_names[x->last_state]);
	ctl_buf_printf(&b, ",\"direction\":\"%s\",\"external_number\":\"%s\",\"internal_number\":\"%s\"",
	    l->outbound ? "outbound" : "inbound", l->external, l->target->phone);
	ctl_buf_printf(&b, ",\"target_type\":\"%s\",\"target_id\":%" PRId64 ",\"target_name\":\"%s\"",
	    l->target->type, l->target->id, l->target->name);
	gen_num(&b, "master_call_id", l->master_call_id);
	gen_num(&b, "entry_point_call_id", l->entry_point_call_id);
	gen_num(&b, "operator_call_id", l->operator_call_id);
	gen_num(&b, "started_at_ms", l->date_started);
	gen_num(&b, "answered_at_ms", l->date_connected);
	gen_num(&b, "ended_at_ms", l->date_ended);
	ctl_buf_printf(&b, ",\"duration_ms\":%" PRId64, l->date_connected ? l->date_ended - l->date_connected : 0);
	if (l->recorded)
		ctl_buf_printf(&b, ",\"recording_url\":\"https://dialpad.example.invalid/recordings/%" PRId64 ".mp3\"",
		    l->recording_id);
	else
		ctl_buf_printf(&b, ",\"recording_url\":null");
	if (l->voicemail)
		ctl_buf_printf(&b, ",\"voicemail_url\":\"https://dialpad.example.invalid/secureblob/voicemail/%"
		    PRId64 "\"", l->recording_id);
	else
		ctl_buf_printf(&b, ",\"voicemail_url\":null");
	ctl_buf_printf(&b, ",\"last_event_at_ms\":%" PRId64 "}\n", x->last_ts);
	fputs(b.p, fp);
	ctl_buf_free(&b);
}

/* Write --expect: one line per leg, in dialpad_call_id order (legs are created in it). */
static int
gen_write_expect(const struct gen *g)
{
	struct gen_expect *x = xcalloc(g->nlegs ? g->nlegs : 1, sizeof(*x));
	FILE		*fp = fopen(g->expect, "w");
	int		 rc = 0;

	for (size_t i = 0; i < g->nevents; i++) {
		const struct gen_event *e = &g->events[i];
		int		 r = gen_status_rank(gen_state_status[e->state]);

		/* calls.state: the newest event's state, ties broken by the larger name (as the processor) */
		if (e->ts > x[e->leg].last_ts || (e->ts == x[e->leg].last_ts &&
		    strcmp(gen_state_names[e->state], gen_state_names[x[e->leg].last_state]) > 0)) {
			x[e->leg].last_ts = e->ts;
			x[e->leg].last_state = e->state;
		}
		if (r > x[e->leg].status)
			x[e->leg].status = r;
	}
	if (fp == NULL) {
		free(x);
		return ctl_error("gen-events", "could not write %s: %m (check --expect)", g->expect);
	}
	for (size_t i = 0; i < g->nlegs; i++)
		gen_expect_line(fp, &g->legs[i], &x[i]);
	if (fclose(fp) != 0)
		rc = ctl_error("gen-events", "could not write %s: %m", g->expect);
	free(x);
	return rc;
}

/* Write every delivery's body, one per line, to g->out ("-" = stdout). */
static int
gen_write_out(const struct gen *g)
{
	FILE	*fp = strcmp(g->out, "-") == 0 ? stdout : fopen(g->out, "w");
	size_t	 len;
	int	 rc = CTL_EXIT_OK;

	if (fp == NULL)
		return ctl_error("gen-events", "could not write %s: %m (check --out)", g->out);
	for (size_t i = 0; i < g->norder && rc == CTL_EXIT_OK; i++) {
		char	*body = gen_body(g, i, &len);

		if (body == NULL)
			rc = ctl_error("gen-events", "could not sign an event");
		else if (fwrite(body, 1, len, fp) != len || fputc('\n', fp) == EOF)
			rc = ctl_error("gen-events", "could not write %s: %m", g->out);
		free(body);
	}
	if ((fp == stdout ? fflush(fp) : fclose(fp)) != 0 && rc == CTL_EXIT_OK)
		rc = ctl_error("gen-events", "could not write %s: %m", g->out);
	if (rc == CTL_EXIT_OK && fp != stdout)
		fprintf(stderr, "gen-events: wrote %zu bodies (%zu events of %" PRId64 " calls, %zu legs, %zu "
		    "redeliveries; seed %" PRIu64 ") to %s\n", g->norder, g->nevents, g->calls, g->nlegs,
		    g->nredelivered, g->seed, g->out);
	return rc;
}

/* ------------------------------------------------------------ options */

/* --duplicates: "0.1" or "10%" into a share in [0, 1]; 0 or -1. */
static int
gen_parse_share(const char *s, double *out)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (end == s)
		return -1;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
		return -1;
	*out = v;
	return 0;
}

/* One numeric option value within [min, max]; 1, or -2 after a usage error. */
static int
gen_int_opt(const char *opt, const char *v, int64_t min, int64_t max, int64_t *out)
{
	if (util_parse_int64(v, min, max, out) != 0)
		return -ctl_usage_error("gen-events", "%s wants a whole number from %" PRId64 " to %" PRId64
		    ", not '%s'", opt, min, max, v);
	return 1;
}

/* Options taking a value; 1 handled, 0 not one of them, -2 usage error. */
static int
gen_value_opt(struct gen *g, int argc, char **argv, int *i, const char **secret)
{
	static const char *const opts[] = { "--url", "--out", "--expect", "--secret", "--calls",
		"--concurrency", "--duplicates", "--seed", "--start", "--retries" };
	const char	*v = NULL;
	int64_t		 seed;
	size_t		 o;
	int		 r = 0;

	for (o = 0; o < DH_ARRAY_LEN(opts) && r == 0; o++)
		r = ctl_opt_value(opts[o], "gen-events", argc, argv, i, &v);
	if (r <= 0)
		return r;
	switch (o - 1) {
	case 0: g->url = v; return 1;
	case 1: g->out = v; return 1;
	case 2: g->expect = v; return 1;
	case 3: *secret = v; return 1;
	case 4: return gen_int_opt("--calls", v, 1, 100000000, &g->calls);
	case 5: return gen_int_opt("--concurrency", v, 1, 1024, &g->concurrency);
	case 6:
		if (gen_parse_share(v, &g->duplicates) != 0)
			return -ctl_usage_error("gen-events", "--duplicates wants a share 0..1 or a percentage "
			    "such as 10%%, not '%s'", v);
		return 1;
	case 7:
		r = gen_int_opt("--seed", v, 0, INT64_MAX, &seed);
		g->seed = (uint64_t)seed;
		g->seed_set = 1;
		return r;
	case 8:
		g->start_set = 1;
		return gen_int_opt("--start", v, INT64_C(1000000000000), INT64_C(4000000000000), &g->start_ms);
	default: return gen_int_opt("--retries", v, 0, 10, &g->retries);
	}
}

/* Parse gen-events' arguments into g; 0 or a usage exit code. */
static int
gen_args(struct gen *g, const struct ctl *ctl, int argc, char **argv)
{
	const char	*secret = NULL;
	int		 unsigned_ = 0;

	for (int i = 1; i < argc; i++) {
		int	 r = gen_value_opt(g, argc, argv, &i, &secret);

		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--shuffle") == 0)
			g->shuffle = 1;
		else if (strcmp(argv[i], "--unsigned") == 0)
			unsigned_ = 1;
		else
			return ctl_usage_error("gen-events", "unknown argument '%s'", argv[i]);
	}
	if ((g->url == NULL) == (g->out == NULL))
		return ctl_usage_error("gen-events", "pass --url URL to send, or --out FILE to write the bodies"
		    " (one of them)");
	if (unsigned_ && secret != NULL)
		return ctl_usage_error("gen-events", "--unsigned and --secret contradict each other");
	if (!unsigned_) {
		if (secret == NULL)
			secret = ctl->cfg.webhook_secret;
		if (secret == NULL || *secret == '\0')
			return ctl_usage_error("gen-events", "no signing secret: pass --secret S or set "
			    "DIALPAD_WEBHOOK_SECRET (or --unsigned for plain JSON)");
		g->secret = xstrdup(secret);
	}
	if (!g->seed_set)
		g->seed = (uint64_t)util_wall_ms() * 1000003u ^ (uint64_t)getpid();
	return 0;
}

/* Generate g->calls calls, ~0.5 s apart, and the delivery order. */
static void
gen_generate(struct gen *g)
{
	int64_t	 t;

	g->rng = g->seed;
	if (!g->start_set)	/* so the traffic ends around now */
		g->start_ms = util_wall_ms() - g->calls * 500 - 30 * 60 * 1000;
	t = g->start_ms;
	for (int64_t k = 0; k < g->calls; k++) {
		gen_call(g, t);
		t += gen_range(g, 0, 1000);
	}
	gen_make_order(g);
}

/* gen_send's body producer: the body of delivery i. */
static char *
gen_send_body(void *arg, size_t i, size_t *len)
{
	return gen_body(arg, i, len);
}

/* Send every delivery to g->url; the summary's first line says what was generated. */
static int
gen_send_all(struct gen *g)
{
	struct gen_send_opts o = { .url = g->url, .concurrency = g->concurrency, .retries = g->retries };
	struct gen_send_src src = { .n = g->norder, .body = gen_send_body, .arg = g,
		.content_type = g->secret != NULL ? "application/jwt" : "application/json" };

	printf("generated %" PRId64 " calls, %zu legs, %zu events + %zu redeliveries (seed %" PRIu64 ")\n",
	    g->calls, g->nlegs, g->nevents, g->nredelivered, g->seed);
	return gen_send(&o, &src);
}

int
ctl_gen_events(struct ctl *ctl, int argc, char **argv)
{
	struct gen	 g = { .calls = 100, .concurrency = 8, .retries = 3 };
	int		 rc;

	if ((rc = gen_args(&g, ctl, argc, argv)) != 0)
		goto out;
	gen_generate(&g);
	if (g.expect != NULL && (rc = gen_write_expect(&g)) != 0)
		goto out;
	rc = g.out != NULL ? gen_write_out(&g) : gen_send_all(&g);
out:
	if (g.secret != NULL)
		memset(g.secret, 0, strlen(g.secret));
	free(g.secret);
	free(g.order);
	free(g.events);
	free(g.legs);
	return rc;
}
