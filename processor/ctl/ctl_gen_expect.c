/*
 * ctl_gen_expect.c: gen-events --expect, the test oracle: the calls row and
 * the call_recordings rows each leg must end with once all its events are
 * processed, in any order and with any duplicates. Written from what the
 * generator knows about each lifecycle (the leg's facts and final values, its
 * recordings, which states it went through), not from the payloads and
 * never through the processor's merge code. Format: one JSON object per leg,
 * sorted by dialpad_call_id, keys = the calls columns (times as <column>_ms
 * in epoch ms, json columns as JSON values, labels as an array) plus
 * "recordings": [{url, recording_id, recording_type, duration_ms,
 * started_at_ms}] sorted by url (byte order).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_gen.h"

/* What a leg's events say as a whole: the newest event, the newest live state, the status. */
struct gen_expect {
	int64_t	 last_ts, live_ts;
	int	 live_state;	/* -1: no live event */
	int	 status;	/* 0 none, 1 ringing, 2 active, 3 ended */
};

/* Fold every event into its leg's gen_expect. */
static void
gen_expect_fold(const struct gen *g, struct gen_expect *x)
{
	for (size_t i = 0; i < g->nlegs; i++)
		x[i].live_state = -1;
	for (size_t i = 0; i < g->nevents; i++) {
		const struct gen_event *e = &g->events[i];
		const struct gen_leg *l = &g->legs[e->leg];
		struct gen_expect *xl = &x[e->leg];
		enum gen_class	 cls = gen_states[e->state].cls;
		int		 rank = (int)cls;	/* GEN_POST 0 ... GEN_ENDED 3 */

		if (l->connect_ts != 0 && e->ts >= l->connect_ts && rank < 2)
			rank = 2;		/* carries date_connected */
		if (l->end_ts != 0 && e->ts >= l->end_ts)
			rank = 3;		/* carries date_ended */
		if (rank > xl->status)
			xl->status = rank;
		if (e->ts > xl->last_ts)
			xl->last_ts = e->ts;
		/* calls.state: the newest live event's state, ties broken by the greater name */
		if (cls != GEN_POST && (xl->live_state < 0 || e->ts > xl->live_ts || (e->ts == xl->live_ts &&
		    strcmp(gen_states[e->state].name, gen_states[xl->live_state].name) > 0))) {
			xl->live_ts = e->ts;
			xl->live_state = e->state;
		}
	}
}

/* ",\"key\":\"s\"" or ",\"key\":null" when s is NULL or empty (an empty string is absent). */
static void
gen_x_str(struct strbuf *b, const char *key, const char *s)
{
	strbuf_printf(b, ",\"%s\":", key);
	if (s == NULL || *s == '\0')
		strbuf_append(b, "null", 4);
	else
		gen_json_text(b, s);
}

/* ",\"key\":N" or ",\"key\":null" when !set. */
static void
gen_x_num(struct strbuf *b, const char *key, int set, int64_t v)
{
	if (set)
		strbuf_printf(b, ",\"%s\":%" PRId64, key, v);
	else
		strbuf_printf(b, ",\"%s\":null", key);
}

/* One expected call_recordings row (url and what the row holds). */
struct gen_x_rec {
	char		 url[160];
	const struct gen_rec *r;	/* NULL: seen only as recording_url (no type, id, times) */
};

/* qsort: by url, byte order. */
static int
gen_x_rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gen_x_rec *)a)->url, ((const struct gen_x_rec *)b)->url);
}

/*
 * The leg's recordings (typed ones, plus the share link sent as
 * recording_url), sorted by url, into b as "recordings"; and the calls
 * columns recording_url (greatest non-voicemail url) and voicemail_url.
 */
static void
gen_x_recordings(struct strbuf *b, const struct gen *g, const struct gen_leg *l)
{
	static const char *const type[] = { "callrecording", "admincallrecording", "voicemail" };
	struct gen_x_rec x[8];		/* a leg has at most 4 recordings and a share link */
	const char	*rec_url = NULL, *vm_url = NULL;
	size_t		 n = 0;

	for (uint8_t k = 0; k < l->nrec && n + 1 < DH_ARRAY_LEN(x); k++, n++) {
		x[n].r = &g->recs[l->rec_first + k];
		gen_rec_url(x[n].r, 0, x[n].url, sizeof(x[n].url));
	}
	if (l->share_rec != 0) {
		struct gen_rec	 share = { .id = l->share_rec };

		x[n].r = NULL;
		gen_rec_url(&share, 1, x[n].url, sizeof(x[n].url));
		n++;
	}
	qsort(x, n, sizeof(x[0]), gen_x_rec_cmp);
	for (size_t k = 0; k < n; k++) {
		if (x[k].r != NULL && x[k].r->type == GEN_REC_VOICEMAIL)
			vm_url = x[k].url;
		else
			rec_url = x[k].url;	/* sorted: the last one is the greatest */
	}
	gen_x_str(b, "recording_url", rec_url);
	gen_x_str(b, "voicemail_url", vm_url);
	strbuf_printf(b, ",\"recordings\":[");
	for (size_t k = 0; k < n; k++) {
		strbuf_printf(b, "%s{\"url\":\"%s\"", k ? "," : "", x[k].url);
		if (x[k].r == NULL) {
			strbuf_printf(b, ",\"recording_id\":null,\"recording_type\":null,"
			    "\"duration_ms\":null,\"started_at_ms\":null}");
			continue;
		}
		strbuf_printf(b, ",\"recording_id\":\"%" PRId64 "\",\"recording_type\":\"%s\"", x[k].r->id,
		    type[x[k].r->type]);
		strbuf_printf(b, ",\"duration_ms\":%" PRId64 ",\"started_at_ms\":%" PRId64 "}", x[k].r->len,
		    x[k].r->start);
	}
	strbuf_append(b, "]", 1);
}

/* The parties: ids, numbers, final target and contact. */
static void
gen_x_parties(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	const struct gen_party *t = v->target;

	gen_x_str(b, "direction", l->outbound ? "outbound" : "inbound");
	gen_x_str(b, "external_number", l->external);
	gen_x_str(b, "internal_number", l->target->phone);
	gen_x_num(b, "master_call_id", l->master_call_id != 0, l->master_call_id);
	gen_x_num(b, "entry_point_call_id", l->entry_point_call_id != 0, l->entry_point_call_id);
	gen_x_num(b, "operator_call_id", v->operator_call_id != 0, v->operator_call_id);
	gen_x_str(b, "target_type", t->type);
	gen_x_num(b, "target_id", 1, t->id);
	gen_x_str(b, "target_name", t->name);
	gen_x_str(b, "target_email", t->email);
	gen_x_str(b, "target_phone", t->phone);
	gen_x_num(b, "target_office_id", 1, t->office_id);
	if (v->contact_id_str[0] != '\0')
		gen_x_str(b, "contact_id", v->contact_id_str);
	else
		strbuf_printf(b, ",\"contact_id\":\"%" PRId64 "\"", v->contact_id);
	gen_x_str(b, "contact_type", v->contact_type);
	gen_x_str(b, "contact_name", v->contact_name);
	gen_x_str(b, "contact_phone", v->contact_phone);
	gen_x_str(b, "contact_email", v->contact_email);
	strbuf_printf(b, ",\"is_internal\":%s,\"is_transferred\":%s,\"was_recorded\":%s",
	    l->caller != NULL ? "true" : "false", l->transfer_ts != 0 ? "true" : "false",
	    l->rec_ts != 0 ? "true" : "false");
	gen_x_str(b, "group_id", l->group);
}

/* The times and durations (rounded half up; the generator never makes an exact .5). */
static void
gen_x_times(struct strbuf *b, const struct gen_leg *l)
{
	int64_t	 talk = l->date_connected ? l->date_ended - l->date_connected : 0, up = l->frac > 500;
	int	 ended = l->end_ts != 0;

	gen_x_num(b, "started_at_ms", 1, l->date_started);
	gen_x_num(b, "rang_at_ms", l->date_rang != 0, l->date_rang);
	gen_x_num(b, "first_rang_at_ms", l->date_first_rang != 0, l->date_first_rang);
	gen_x_num(b, "queued_at_ms", l->date_queued != 0, l->date_queued);
	gen_x_num(b, "answered_at_ms", l->connect_ts != 0, l->date_connected);
	gen_x_num(b, "ended_at_ms", ended, l->date_ended);
	gen_x_num(b, "duration_ms", ended, talk > 0 ? talk + up : 0);
	gen_x_num(b, "total_duration_ms", ended, l->date_ended - l->date_started + up);
	gen_x_num(b, "talk_time_ms", ended, talk - l->hold_ms);
	gen_x_num(b, "hold_time_ms", ended, l->hold_ms);
	if (ended && talk > 0)
		strbuf_printf(b, ",\"mos_score\":%d.%02d", (350 + l->mos) / 100, (350 + l->mos) % 100);
	else
		strbuf_printf(b, ",\"mos_score\":null");
}

/* Post-call values: labels, CSAT, transcript, recap, custom_data (json columns as JSON). */
static void
gen_x_post(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	char	 custom[64];

	strbuf_printf(b, ",\"labels\":");
	gen_json_labels(b, l, v);
	if (v->csat == 0)
		strbuf_printf(b, ",\"csat_score\":null");
	else	/* the number pcsat sends is stored as its text */
		strbuf_printf(b, ",\"csat_score\":\"%d\"", l->csat[v->csat - 1]);
	gen_x_str(b, "transcription_text", v->transcription);
	gen_x_str(b, "recap_summary", v->summary);
	gen_x_str(b, "recap_outcome", v->outcome);
	strbuf_printf(b, ",\"recap_action_items\":");
	if (v->action_items)
		gen_json_action_items(b, l, v);
	else
		strbuf_append(b, "null", 4);
	strbuf_printf(b, ",\"recap_purposes\":");
	if (v->purposes)
		gen_json_purposes(b, l);
	else
		strbuf_append(b, "null", 4);
	gen_x_str(b, "custom_data", gen_custom_data(l, custom, sizeof(custom)));
}

/*
 * calls.outcome: NULL until ended; then blocked (a blocked state), answered
 * (answered_at), voicemail (reached voicemail), else missed.
 */
static const char *
gen_x_outcome(const struct gen_leg *l, const struct gen_expect *x)
{
	if (x->status != 3)
		return NULL;
	if (l->blocked)
		return "blocked";
	return l->connect_ts != 0 ? "answered" : l->voicemail ? "voicemail" : "missed";
}

/* One JSON line: the rows leg l must end with. */
static void
gen_expect_line(FILE *fp, const struct gen *g, const struct gen_leg *l, const struct gen_expect *x)
{
	static const char *const status[] = { NULL, "ringing", "active", "ended" };
	struct strbuf	 b = { 0 };
	struct gen_view	 v;

	gen_view_at(l, INT64_MAX, &v);
	strbuf_printf(&b, "{\"dialpad_call_id\":%" PRId64, l->call_id);
	gen_x_str(&b, "status", status[x->status]);
	gen_x_str(&b, "state", x->live_state < 0 ? NULL : gen_states[x->live_state].name);
	gen_x_parties(&b, l, &v);
	gen_x_times(&b, l);
	gen_x_post(&b, l, &v);
	gen_x_recordings(&b, g, l);
	gen_x_num(&b, "last_event_at_ms", 1, x->last_ts);
	gen_x_str(&b, "outcome", gen_x_outcome(l, x));
	strbuf_append(&b, "}\n", 2);
	fputs(b.p, fp);
	strbuf_free(&b);
}

int
gen_write_expect(const struct gen *g)
{
	struct gen_expect *x = xcalloc(g->nlegs ? g->nlegs : 1, sizeof(*x));
	FILE		*fp = fopen(g->expect, "w");
	int		 rc = 0;

	if (fp == NULL) {
		free(x);
		return ctl_error("gen-events", "could not write %s: %m (check --expect)", g->expect);
	}
	gen_expect_fold(g, x);
	for (size_t i = 0; i < g->nlegs; i++)	/* legs are created in dialpad_call_id order */
		gen_expect_line(fp, g, &g->legs[i], &x[i]);
	if (fclose(fp) != 0)
		rc = ctl_error("gen-events", "could not write %s: %m", g->expect);
	free(x);
	return rc;
}
