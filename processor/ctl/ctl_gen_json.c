/*
 * ctl_gen_json.c: the Dialpad payload of one generated event, exactly as
 * Dialpad sends it: the call object itself (no envelope, no event_type),
 * int64 ids and epoch-ms timestamps as JSON numbers, durations as fractional
 * ms, field names of schemas.call.CallProto plus the fields webhook samples
 * and consumers show (talk_time, hold_time, date_first_rang, date_queued,
 * is_internal, recap_*, voicemail_link, target.office_id ...). Every event
 * carries the whole call as of its event_timestamp (gen_view_at), so
 * post-call events repeat everything and add what is new. The transcripts and
 * recaps are invented; they contain quotes, a tab, a backslash, accents and
 * an emoji so that escaping and UTF-8 are exercised end to end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_gen.h"

#define GEN_URL_BASE	"https://dialpad.example.invalid/"

/*
 * The invented post-call texts of one topic. {agent}, {n} and {phone} are
 * replaced by the first target's name, a number derived from the leg and the
 * caller's number. t2/s2 are appended to t1/s1 in the second version.
 */
struct gen_topic {
	const char	*t1, *t2, *s1, *s2, *a1, *a2, *outcome, *purpose1, *purpose2, *label1, *label2;
};

static const struct gen_topic gen_topics[GEN_NTOPICS] = {
	{ "Agent: Thanks for calling Acme, this is {agent}.\nCaller: Hi, invoice {n} has a \"late fee\" I "
	  "didn't expect.",
	  "\nAgent: I've removed the fee; you'll see the credit tomorrow.\nCaller: Great, thank you!",
	  "Caller asked about an unexpected late fee on invoice {n}.",
	  " {agent} waived it and emailed a confirmation.",
	  "Waive the late fee on invoice {n}", "Email the caller a confirmation",
	  "Resolved", "Billing question", NULL, "billing", "refund" },
	{ "Agent: Acme support, {agent} speaking.\nCaller: Bonjour, my order {n} to Montréal "
	  "hasn't arrived.",
	  "\nAgent: It is at the depot; I've booked delivery for tomorrow.\nCaller: Merci beaucoup.",
	  "Order {n} to Montréal is late; the caller wants a delivery date.",
	  " Delivery rebooked for tomorrow by {agent}.",
	  "Rebook delivery of order {n}", "Call back if the delivery slips again",
	  "Follow-up scheduled", "Order status", "Delivery", "shipping", "follow-up" },
	{ "Agent: Acme help desk, this is {agent}.\nCaller: The app says \"error {n}\"\twhen I log in.",
	  "\nAgent: Please update to 4.2 and sign in again.\nCaller: That fixed it \\o/",
	  "Login fails with error {n} in the app.",
	  " Solved by updating to 4.2.",
	  "Check error {n} rates after the 4.2 release", "Add error {n} to the help-center article",
	  "Resolved", "Technical support", NULL, "support", "bug" },
	{ "Agent: Acme sales, {agent} here.\nCaller: We'd like a quote for {n} seats, billed yearly in €.",
	  "\nAgent: I'll send it today with the 10 % volume discount.\nCaller: Perfect 👍",
	  "Prospect wants a yearly quote for {n} seats in euros.",
	  " {agent} promised the quote today with a volume discount.",
	  "Send a quote for {n} seats", "Schedule a follow-up call next week",
	  "Quote requested", "Pricing", "New business", "sales", "hot-lead" },
};

static const char gen_vm_text[] = "Hi {agent}, it's about order {n}. Please call me back at {phone}. Merci!";

/* A caller saved as a contact once answered: a "shared" contact. */
static const char *const gen_saved_names[] = { "Maria Lopez", "Tom Becker", "Aiko Tanaka", "Samir Haddad" };
static const char *const gen_saved_emails[] = { "maria.lopez@example.net", "tom.becker@example.net",
	"aiko.tanaka@example.net", "samir.haddad@example.net" };

/* ------------------------------------------------------------ helpers */

/* Append ",\"key\":N" or ",\"key\":null" (0 = null). */
static void
gen_num(struct strbuf *b, const char *key, int64_t v)
{
	if (v == 0)
		strbuf_printf(b, ",\"%s\":null", key);
	else
		strbuf_printf(b, ",\"%s\":%" PRId64, key, v);
}

void
gen_json_text(struct strbuf *b, const char *s)
{
	strbuf_append(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_printf(b, "\\%c", c);
		else if (c == '\n')
			strbuf_append(b, "\\n", 2);
		else if (c == '\t')
			strbuf_append(b, "\\t", 2);
		else if (c < 0x20)
			strbuf_printf(b, "\\u%04x", c);
		else
			strbuf_append(b, s, 1);
	}
	strbuf_append(b, "\"", 1);
}

/* Append ",\"key\":\"text\"" (JSON-escaped), or ",\"key\":null" for NULL. */
static void
gen_str(struct strbuf *b, const char *key, const char *s)
{
	strbuf_printf(b, ",\"%s\":", key);
	if (s == NULL)
		strbuf_append(b, "null", 4);
	else
		gen_json_text(b, s);
}

/* The number in a leg's texts (invoice, order, seats...). */
static int
gen_topic_n(const struct gen_leg *l)
{
	return 1000 + (int)(l->call_id % 9000);
}

/*
 * Append template tmpl to out (len bytes, NUL-terminated, truncating) with
 * {agent}, {n} and {phone} replaced for leg l.
 */
static void
gen_subst(const struct gen_leg *l, const char *tmpl, char *out, size_t len)
{
	size_t	 o = strlen(out);

	while (*tmpl != '\0' && o + 1 < len) {
		char	 tmp[32];
		const char *rep = NULL;

		if (strncmp(tmpl, "{agent}", 7) == 0) {
			rep = l->target->name;
			tmpl += 7;
		} else if (strncmp(tmpl, "{n}", 3) == 0) {
			snprintf(tmp, sizeof(tmp), "%d", gen_topic_n(l));
			rep = tmp;
			tmpl += 3;
		} else if (strncmp(tmpl, "{phone}", 7) == 0) {
			rep = l->external;
			tmpl += 7;
		}
		if (rep != NULL)
			o += (size_t)snprintf(out + o, len - o, "%s", rep);
		else
			out[o++] = *tmpl++;
		if (o >= len)
			o = len - 1;
		out[o] = '\0';
	}
}

/* True if value introduced at `from` (0 = never) is carried by an event at ts. */
static int
gen_has(int64_t from, int64_t ts)
{
	return from != 0 && ts >= from;
}

void
gen_rec_url(const struct gen_rec *r, int share, char *out, size_t len)
{
	if (share)
		snprintf(out, len, GEN_URL_BASE "r/%" PRId64, r->id);
	else if (r->type == GEN_REC_VOICEMAIL)
		snprintf(out, len, GEN_URL_BASE "secureblob/voicemail/%" PRId64, r->id);
	else
		snprintf(out, len, GEN_URL_BASE "%s/%" PRId64 ".mp3",
		    r->type == GEN_REC_ADMIN ? "admin-recordings" : "recordings", r->id);
}

const char *
gen_custom_data(const struct gen_leg *l, char *out, size_t len)
{
	if (!l->custom)
		return NULL;
	snprintf(out, len, "crm:opportunity/OPP-%d", gen_topic_n(l));
	return out;
}

/* ------------------------------------------------------------ the view */

/* The contact as of ts: a saved contact, a colleague (internal call), or the unnamed number. */
static void
gen_view_contact(const struct gen_leg *l, int64_t ts, struct gen_view *v)
{
	size_t	 k = (size_t)(l->call_id % 4);

	v->contact_id_str[0] = '\0';
	if (gen_has(l->enrich_ts, ts)) {
		snprintf(v->contact_id_str, sizeof(v->contact_id_str), "%" PRId64,
		    INT64_C(6200000000000000) + l->call_id % INT64_C(10000000000000));
		v->contact_id = 0;
		v->contact_type = "shared";
		v->contact_name = gen_saved_names[k];
		v->contact_phone = l->external;
		v->contact_email = gen_saved_emails[k];
	} else if (l->caller != NULL) {
		v->contact_id = l->caller->id;
		v->contact_type = "user";
		v->contact_name = l->caller->name;
		v->contact_phone = l->caller->phone;
		v->contact_email = l->caller->email;
	} else {	/* "(415) 555-0123" from "+14155550123", as Dialpad names an unknown number */
		snprintf(v->contact_name_buf, sizeof(v->contact_name_buf), "(%.3s) %.3s-%.4s",
		    l->external + 2, l->external + 5, l->external + 8);
		v->contact_id = l->contact_id;
		v->contact_type = "local";
		v->contact_name = v->contact_name_buf;
		v->contact_phone = l->external;
		v->contact_email = "";
	}
}

void
gen_view_at(const struct gen_leg *l, int64_t ts, struct gen_view *v)
{
	const struct gen_topic *tp = &gen_topics[l->topic];

	v->transferred = gen_has(l->transfer_ts, ts);
	v->target = v->transferred ? l->target2 : l->target;
	v->operator_call_id = gen_has(l->op_ts, ts) ? l->op_final :
	    gen_has(l->op_early_ts, ts) ? l->op_early : 0;
	gen_view_contact(l, ts, v);
	v->recorded = gen_has(l->rec_ts, ts);
	v->tr[0] = v->sum[0] = '\0';
	v->transcription = v->summary = v->outcome = NULL;
	if (gen_has(l->tr_ts[0], ts)) {
		gen_subst(l, l->voicemail ? gen_vm_text : tp->t1, v->tr, sizeof(v->tr));
		if (gen_has(l->tr_ts[1], ts))
			gen_subst(l, tp->t2, v->tr, sizeof(v->tr));
		v->transcription = v->tr;
	}
	if (gen_has(l->recap_ts[0], ts)) {
		gen_subst(l, tp->s1, v->sum, sizeof(v->sum));
		if (gen_has(l->edit_ts, ts))
			gen_subst(l, tp->s2, v->sum, sizeof(v->sum));
		v->summary = v->sum;
	}
	v->action_items = gen_has(l->edit_ts, ts) ? 2 : gen_has(l->recap_ts[1], ts) ? 1 : 0;
	v->outcome = gen_has(l->recap_ts[2], ts) ? tp->outcome : NULL;
	v->purposes = gen_has(l->recap_ts[3], ts);
	v->labels = gen_has(l->labels_ts[1], ts) ? 2 : gen_has(l->labels_ts[0], ts) ? 1 : 0;
	v->csat = gen_has(l->csat_ts[1], ts) ? 2 : gen_has(l->csat_ts[0], ts) ? 1 : 0;
}

void
gen_json_labels(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	const struct gen_topic *tp = &gen_topics[l->topic];

	strbuf_append(b, "[", 1);
	if (v->labels >= 1)
		gen_json_text(b, tp->label1);
	if (v->labels >= 2) {
		strbuf_append(b, ",", 1);
		gen_json_text(b, tp->label2);
	}
	strbuf_append(b, "]", 1);
}

void
gen_json_action_items(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	const struct gen_topic *tp = &gen_topics[l->topic];
	char		 item[160] = "";

	gen_subst(l, tp->a1, item, sizeof(item));
	strbuf_append(b, "[", 1);
	gen_json_text(b, item);
	if (v->action_items >= 2) {
		item[0] = '\0';
		gen_subst(l, tp->a2, item, sizeof(item));
		strbuf_append(b, ",", 1);
		gen_json_text(b, item);
	}
	strbuf_append(b, "]", 1);
}

void
gen_json_purposes(struct strbuf *b, const struct gen_leg *l)
{
	const struct gen_topic *tp = &gen_topics[l->topic];

	strbuf_append(b, "[", 1);
	gen_json_text(b, tp->purpose1);
	if (tp->purpose2 != NULL) {
		strbuf_append(b, ",", 1);
		gen_json_text(b, tp->purpose2);
	}
	strbuf_append(b, "]", 1);
}

void
gen_json_csat(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	if (v->csat == 2)
		strbuf_printf(b, "%d", l->csat[1]);
	else if (v->csat == 1)
		strbuf_printf(b, "\"%d\"", l->csat[0]);
	else
		strbuf_append(b, "null", 4);
}

/* ------------------------------------------------------------ the payload */

/* A target-like object: id, type, name, email, phone, office_id. */
static void
gen_json_party(struct strbuf *b, const char *key, const struct gen_party *p)
{
	strbuf_printf(b, ",\"%s\":{\"id\":%" PRId64, key, p->id);
	gen_str(b, "type", p->type);
	gen_str(b, "name", p->name);
	gen_str(b, "email", p->email);
	gen_str(b, "phone", p->phone);
	if (p->office_id_str)
		strbuf_printf(b, ",\"office_id\":\"%" PRId64 "\"}", p->office_id);
	else
		strbuf_printf(b, ",\"office_id\":%" PRId64 "}", p->office_id);
}

/* Numbers, contact, target and the other parties, as of the view. */
static void
gen_json_parties(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	gen_str(b, "direction", l->outbound ? "outbound" : "inbound");
	gen_str(b, "external_number", l->external);
	gen_str(b, "internal_number", l->target->phone);
	if (v->contact_id_str[0] != '\0')
		strbuf_printf(b, ",\"contact\":{\"id\":\"%s\"", v->contact_id_str);
	else
		strbuf_printf(b, ",\"contact\":{\"id\":%" PRId64, v->contact_id);
	gen_str(b, "type", v->contact_type);
	gen_str(b, "name", v->contact_name);
	gen_str(b, "phone", v->contact_phone);
	gen_str(b, "email", v->contact_email);
	strbuf_append(b, "}", 1);
	gen_json_party(b, "target", v->target);
	if (l->entry_point_call_id != 0)
		strbuf_printf(b, ",\"entry_point_target\":{\"id\":%" PRId64 ",\"type\":\"office\","
		    "\"name\":\"Acme Inc\",\"phone\":\"+14155550199\"}", l->target->office_id);
	else
		strbuf_append(b, ",\"entry_point_target\":{}", strlen(",\"entry_point_target\":{}"));
	strbuf_append(b, ",\"proxy_target\":{}", strlen(",\"proxy_target\":{}"));
	if (v->transferred)
		strbuf_printf(b, ",\"transferred_from\":{\"id\":%" PRId64 ",\"type\":\"user\","
		    "\"name\":\"%s\"}", l->target->id, l->target->name);
	gen_str(b, "group_id", l->group);
	strbuf_printf(b, ",\"is_transferred\":%s,\"is_internal\":%s", v->transferred ? "true" : "false",
	    l->caller != NULL ? "true" : "false");
}

/* date_*, durations and mos_score as of ts. */
static void
gen_json_times(struct strbuf *b, const struct gen_leg *l, int64_t ts)
{
	int		 answered = gen_has(l->connect_ts, ts), ended = gen_has(l->end_ts, ts);
	int64_t		 talk = l->date_connected ? l->date_ended - l->date_connected : 0;

	gen_num(b, "date_started", l->date_started);
	gen_num(b, "date_rang", l->date_rang);
	gen_num(b, "date_first_rang", l->date_first_rang);
	gen_num(b, "date_queued", l->date_queued);
	gen_num(b, "date_connected", answered ? l->date_connected : 0);
	gen_num(b, "date_ended", ended ? l->date_ended : 0);
	if (!ended) {
		strbuf_printf(b, ",\"duration\":null,\"total_duration\":null,\"talk_time\":null,"
		    "\"hold_time\":null,\"mos_score\":null");
		return;
	}
	if (talk > 0)
		strbuf_printf(b, ",\"duration\":%" PRId64 ".%03u", talk, (unsigned)l->frac);
	else
		strbuf_printf(b, ",\"duration\":0");
	strbuf_printf(b, ",\"total_duration\":%" PRId64 ".%03u", l->date_ended - l->date_started,
	    (unsigned)l->frac);
	strbuf_printf(b, ",\"talk_time\":%" PRId64 ",\"hold_time\":%" PRId64, talk - l->hold_ms, l->hold_ms);
	if (talk > 0)
		strbuf_printf(b, ",\"mos_score\":%d.%02d", (350 + l->mos) / 100, (350 + l->mos) % 100);
	else
		strbuf_printf(b, ",\"mos_score\":null");
}

/* recording_details, call_recording_ids, recording_url, voicemail_link as of event e. */
static void
gen_json_media(struct strbuf *b, const struct gen *g, const struct gen_leg *l, const struct gen_event *e)
{
	const struct gen_rec *vm = NULL;
	char		 url[160];
	int		 n = 0;

	strbuf_printf(b, ",\"recording_details\":[");
	for (uint8_t k = 0; k < l->nrec; k++) {
		const struct gen_rec *r = &g->recs[l->rec_first + k];
		static const char *const type[] = { "callrecording", "admincallrecording", "voicemail" };

		if (!gen_has(r->ready_ts, e->ts))
			continue;
		if (r->type == GEN_REC_VOICEMAIL)
			vm = r;
		gen_rec_url(r, 0, url, sizeof(url));
		strbuf_printf(b, "%s{\"id\":\"%" PRId64 "\",\"recording_type\":\"%s\",\"url\":\"%s\"",
		    n++ ? "," : "", r->id, type[r->type], url);
		strbuf_printf(b, ",\"duration\":%" PRId64 ",\"start_time\":%" PRId64 "}", r->len, r->start);
	}
	strbuf_printf(b, "],\"call_recording_ids\":[");
	n = 0;
	for (uint8_t k = 0; k < l->nrec; k++) {
		const struct gen_rec *r = &g->recs[l->rec_first + k];

		if (r->type == GEN_REC_CALL && gen_has(r->ready_ts, e->ts))
			strbuf_printf(b, "%s\"%" PRId64 "\"", n++ ? "," : "", r->id);
	}
	strbuf_append(b, "]", 1);
	if (e->flags & GEN_EV_RECURL_STR) {	/* the share link of the first recording */
		gen_rec_url(&g->recs[l->rec_first], 1, url, sizeof(url));
		strbuf_printf(b, ",\"recording_url\":\"%s\"", url);
	} else if (e->flags & GEN_EV_RECURL_ARR) {
		strbuf_printf(b, ",\"recording_url\":[");
		n = 0;
		for (uint8_t k = 0; k < l->nrec; k++) {
			const struct gen_rec *r = &g->recs[l->rec_first + k];

			if (r->type != GEN_REC_CALL || !gen_has(r->ready_ts, e->ts))
				continue;
			gen_rec_url(r, 0, url, sizeof(url));
			strbuf_printf(b, "%s\"%s\"", n++ ? "," : "", url);
		}
		strbuf_append(b, "]", 1);
	}
	if (vm != NULL) {
		gen_rec_url(vm, 0, url, sizeof(url));
		strbuf_printf(b, ",\"voicemail_link\":\"%s\",\"voicemail_recording_id\":\"%" PRId64 "\"",
		    url, vm->id);
	} else {
		strbuf_printf(b, ",\"voicemail_link\":null,\"voicemail_recording_id\":null");
	}
}

/* transcription_text, labels, csat_score, recap_* (only once they exist), custom_data. */
static void
gen_json_post(struct strbuf *b, const struct gen_leg *l, const struct gen_view *v)
{
	char	 custom[64];

	gen_str(b, "transcription_text", v->transcription);
	strbuf_printf(b, ",\"labels\":");
	gen_json_labels(b, l, v);
	strbuf_printf(b, ",\"csat_score\":");
	gen_json_csat(b, l, v);
	if (v->summary != NULL)
		gen_str(b, "recap_summary", v->summary);
	if (v->action_items) {
		strbuf_printf(b, ",\"recap_action_items\":");
		gen_json_action_items(b, l, v);
	}
	if (v->outcome != NULL)
		gen_str(b, "recap_outcome", v->outcome);
	if (v->purposes) {
		strbuf_printf(b, ",\"recap_purposes\":");
		gen_json_purposes(b, l);
	}
	gen_str(b, "custom_data", gen_custom_data(l, custom, sizeof(custom)));
}

void
gen_json(const struct gen *g, const struct gen_event *e, struct strbuf *b)
{
	const struct gen_leg *l = &g->legs[e->leg];
	struct gen_view	 v;

	gen_view_at(l, e->ts, &v);
	strbuf_reset(b);
	strbuf_printf(b, "{\"call_id\":%" PRId64, l->call_id);
	gen_num(b, "master_call_id", l->master_call_id);
	gen_num(b, "entry_point_call_id", l->entry_point_call_id);
	gen_num(b, "operator_call_id", v.operator_call_id);
	strbuf_printf(b, ",\"state\":\"%s\"", gen_states[e->state].name);
	gen_json_parties(b, l, &v);
	gen_json_times(b, l, e->ts);
	strbuf_printf(b, ",\"was_recorded\":%s", v.recorded ? "true" : "false");
	gen_json_media(b, g, l, e);
	gen_json_post(b, l, &v);
	strbuf_printf(b, ",\"routing_breadcrumbs\":[],\"event_timestamp\":%" PRId64 "}", e->ts);
}
