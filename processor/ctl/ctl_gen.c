/*
 * ctl_gen.c: `dialhookctl gen-events`: realistic Dialpad call lifecycles
 * (ctl_gen_life.c), one payload per state of each leg exactly as Dialpad
 * sends them (ctl_gen_json.c), signed as a compact HS256 JWT whose claims are
 * the event; this file parses the options, orders the deliveries (shuffle,
 * redeliveries), writes --out and hands the bodies to the HTTP sender
 * (ctl_gen_send.h) through a callback; --expect is ctl_gen_expect.c.
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
	"Generates --calls human calls, each one or more legs with one webhook per state. Every\n"
	"event carries the whole call as of its event_timestamp, as Dialpad does: post-call events\n"
	"repeat it and add what is new. Lifecycles (states in time order, [] = sometimes):\n"
	"  inbound answered   ringing, connected, [hold|parked, connected], hangup; [a transfer:\n"
	"                     hold, connected with a new target and is_transferred]; [a colleague\n"
	"                     calling: contact type user, is_internal]; [the caller saved as a\n"
	"                     shared contact once answered]; [the hangup delivery lost: the leg\n"
	"                     ends by the date_ended of its post-call events]\n"
	"  outbound           calling, [preanswer], connected, [merged], hangup; unanswered:\n"
	"                     calling, [preanswer], hangup; [custom_data, as placed by the API]\n"
	"  missed             ringing, hangup, missed\n"
	"  voicemail          ringing, voicemail, hangup, voicemail_uploaded, [transcription]\n"
	"  blocked            blocked, hangup\n"
	"  call center        main line (ringing, connected, hangup; date_rang); call-center leg\n"
	"                     (queued, [ringing], connected, hangup; master_call_id and\n"
	"                     entry_point_call_id = main line; operator_call_id = the agent it\n"
	"                     offers the call to: first a non-answering agent's leg (ringing,\n"
	"                     hangup, missed), then the answering agent's leg (ringing, connected,\n"
	"                     [monitor|barge|eavesdrop|takeover], hangup))\n"
	"Post-call steps of answered legs, after the hangup: [admin (meaning undocumented)];\n"
	"  [recording x1-3 (callrecording segments; the first may carry recording_url as a share\n"
	"  link, the last as an array of URLs), admin_recording]; [transcription, call_transcription\n"
	"  (transcription_text grows), recap_summary, recap_action_items, recap_outcome,\n"
	"  recap_purposes, ai_playbook]; [dispositions (labels)]; [postcall: more labels, the\n"
	"  recap as edited by the agent]; [csat (csat_score \"1\"..\"5\"), pcsat (a new score, as a\n"
	"  number)]. Also in every event: talk_time, hold_time, total_duration, contact{...},\n"
	"  target{id,type,name,email,phone,office_id}, group_id, was_recorded, mos_score, ...\n"
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
	"  --expect FILE       write what processing must end with: one JSON object per leg,\n"
	"                      sorted by dialpad_call_id, keys = the calls columns (times as\n"
	"                      <column>_ms, epoch ms; json columns as JSON) and \"recordings\": the\n"
	"                      leg's call_recordings rows sorted by url\n"
	"Prints a progress line on stderr while sending and a summary at the end (sent,\n"
	"2xx by status stored/duplicate, non-2xx, req/s). Exit 1 if any event was not\n"
	"acknowledged with a 2xx.\n";

/* ------------------------------------------------------------ delivery order */

/* qsort: chronological by event_timestamp; (ts, leg, state) is unique, so the order is total. */
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

/* ------------------------------------------------------------ --out, sending */

/*
 * The body of delivery i (an index into g->order): the event's JSON signed
 * as a compact HS256 JWT, or the plain JSON with --unsigned. Returns a
 * malloc'd NUL-terminated string (caller frees) and its length in *len; NULL
 * only if signing fails.
 */
static char *
gen_body(const struct gen *g, size_t i, size_t *len)
{
	struct strbuf	 b = { 0 };
	char		*out = NULL;

	gen_json(g, &g->events[g->order[i]], &b);
	if (g->secret == NULL) {
		*len = b.len;
		return b.p;
	}
	if (jwt_sign_hs256(b.p, b.len, (const unsigned char *)g->secret, strlen(g->secret), &out, len) != 0)
		out = NULL;
	strbuf_free(&b);
	return out;
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
		fprintf(stderr, "gen-events: wrote %zu bodies (%zu events of %" PRId64 " calls, "
		    "%zu legs, %zu redeliveries; seed %" PRIu64 ") to %s\n", g->norder, g->nevents,
		    g->calls, g->nlegs, g->nredelivered, g->seed, g->out);
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
			return -ctl_usage_error("gen-events", "--duplicates wants a share 0..1 "
			    "or a percentage such as 10%%, not '%s'", v);
		return 1;
	case 7:
		r = gen_int_opt("--seed", v, 0, INT64_MAX, &seed);
		g->seed = (uint64_t)seed;
		g->seed_set = 1;
		return r;
	case 8:
		g->start_set = 1;
		return gen_int_opt("--start", v, INT64_C(1000000000000), INT64_C(4000000000000),
		    &g->start_ms);
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
		return ctl_usage_error("gen-events",
		    "pass --url URL to send, or --out FILE to write the bodies (one of them)");
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
	if (!g->start_set)	/* so the traffic, post-call surveys included, ends around now */
		g->start_ms = util_wall_ms() - g->calls * 500 - 2 * 60 * 60 * 1000;
	gen_calls(g);
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
	free(g.recs);
	free(g.legs);
	return rc;
}
