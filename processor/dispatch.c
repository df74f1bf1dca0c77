/* dispatch.c: the event type -> handler table (see dispatch.h). */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RINGING		handle_call, CALL_CLASS_RINGING
#define ACTIVE		handle_call, CALL_CLASS_ACTIVE
#define ENDED		handle_call, CALL_CLASS_ENDED
#define POSTCALL	handle_call, CALL_CLASS_POSTCALL

/*
 * Sorted by event_type in strcmp order (checked at start-up). Dialpad's
 * native call states as ingest stores them (call.<state>), and the original
 * design's call.started, call.ring, call.ended and call.recording.completed.
 * Live classes (ringing, active, ended) move `state`; post-call steps
 * (recordings, transcripts, recaps, surveys, dispositions, ...) carry the
 * whole call but raise no status and leave `state` alone.
 */
static const struct dispatch_entry dispatch_rows[] = {
	{ "call.admin",			POSTCALL, 0 },
	{ "call.admin_recording",	POSTCALL, 0 },
	{ "call.ai_playbook",		POSTCALL, 0 },
	{ "call.barge",			ACTIVE, 0 },
	{ "call.blocked",		ENDED, CALL_SEEN_BLOCKED },
	{ "call.call_transcription",	POSTCALL, 0 },
	{ "call.calling",		RINGING, 0 },
	{ "call.connected",		ACTIVE, 0 },
	{ "call.csat",			POSTCALL, 0 },
	{ "call.dispositions",		POSTCALL, 0 },
	{ "call.eavesdrop",		ACTIVE, 0 },
	{ "call.ended",			ENDED, 0 },
	{ "call.hangup",		ENDED, 0 },
	{ "call.hold",			ACTIVE, 0 },
	{ "call.merged",		ACTIVE, 0 },
	{ "call.missed",		ENDED, 0 },
	{ "call.monitor",		ACTIVE, 0 },
	{ "call.parked",		ACTIVE, 0 },
	{ "call.pcsat",			POSTCALL, 0 },
	{ "call.postcall",		POSTCALL, 0 },
	{ "call.preanswer",		RINGING, 0 },
	{ "call.queued",		RINGING, 0 },
	{ "call.recap_action_items",	POSTCALL, 0 },
	{ "call.recap_outcome",		POSTCALL, 0 },
	{ "call.recap_purposes",	POSTCALL, 0 },
	{ "call.recap_summary",		POSTCALL, 0 },
	{ "call.recording",		POSTCALL, 0 },
	{ "call.recording.completed",	POSTCALL, 0 },
	{ "call.ring",			RINGING, 0 },
	{ "call.ringing",		RINGING, 0 },
	{ "call.started",		ACTIVE, 0 },
	{ "call.takeover",		ACTIVE, 0 },
	{ "call.transcription",		POSTCALL, 0 },
	{ "call.voicemail",		ENDED, CALL_SEEN_VOICEMAIL },
	{ "call.voicemail_uploaded",	POSTCALL, CALL_SEEN_VOICEMAIL },
};

/*
 * The call_states of Dialpad's call-event subscription (its OpenAPI spec,
 * in the spec's order): each must have a row above (dispatch_check).
 */
static const char *const dialpad_states[] = {
	"calling", "ringing", "preanswer", "queued", "connected", "hold", "parked", "merged", "takeover",
	"barge", "monitor", "eavesdrop", "admin", "admin_recording", "blocked", "hangup", "missed",
	"postcall", "voicemail", "voicemail_uploaded", "recording", "transcription", "call_transcription",
	"csat", "pcsat", "dispositions", "recap_summary", "recap_outcome", "recap_purposes",
	"recap_action_items", "ai_playbook",
};

/*
 * Event types ingest can store that have no handler (yet): a call event
 * whose state ingest could not read, and Dialpad's other event kinds.
 * Skipped events of these types are counted under their own metrics label;
 * any other type under "other", so a flood of invented types cannot create
 * unbounded metric series. Sorted (checked by
 * dispatch_check) for bsearch.
 */
static const char *const dispatch_unhandled_rows[] = {
	"agent_status",
	"call.unknown",
	"change_log",
	"contact.created",
	"contact.deleted",
	"contact.updated",
	"sms.inbound",
	"sms.outbound",
	"sms.unknown",
	"unknown",
};

static int
dispatch_str_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int
dispatch_unhandled_index(const char *event_type)
{
	const char *const *p = bsearch(event_type, dispatch_unhandled_rows,
	    DH_ARRAY_LEN(dispatch_unhandled_rows), sizeof(dispatch_unhandled_rows[0]), dispatch_str_cmp);

	return p ? (int)(p - dispatch_unhandled_rows) : -1;
}

const char *const *
dispatch_unhandled(size_t *n)
{
	*n = DH_ARRAY_LEN(dispatch_unhandled_rows);
	return dispatch_unhandled_rows;
}

static int
dispatch_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dispatch_entry *)elem)->event_type);
}

const struct dispatch_entry *
dispatch_lookup(const char *event_type)
{
	return bsearch(event_type, dispatch_rows, DH_ARRAY_LEN(dispatch_rows), sizeof(dispatch_rows[0]),
	    dispatch_cmp);
}

int
dispatch_check_table(const struct dispatch_entry *t, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].event_type == NULL || t[i].event_type[0] == '\0' || t[i].handler == NULL) {
			snprintf(err, errlen, "dispatch row %zu has no type or no handler", i);
			return -1;
		}
		if (t[i].klass < CALL_CLASS_POSTCALL || t[i].klass > CALL_CLASS_ENDED ||
		    (t[i].flags & ~(CALL_SEEN_BLOCKED | CALL_SEEN_VOICEMAIL)) != 0) {
			snprintf(err, errlen, "dispatch row %zu (%s) has an unknown class or flag", i,
			    t[i].event_type);
			return -1;
		}
		if (i > 0 && strcmp(t[i - 1].event_type, t[i].event_type) >= 0) {
			snprintf(err, errlen,
			    "dispatch table not sorted or duplicated at row %zu (%s after %s)",
			    i, t[i].event_type, t[i - 1].event_type);
			return -1;
		}
	}
	return 0;
}

/* Every Dialpad call state has a row; 0 or -1 (err names the first missing one). */
static int
dispatch_check_states(char *err, size_t errlen)
{
	char	 type[80];

	for (size_t i = 0; i < DH_ARRAY_LEN(dialpad_states); i++) {
		snprintf(type, sizeof(type), "call.%s", dialpad_states[i]);
		if (dispatch_lookup(type) == NULL) {
			snprintf(err, errlen, "Dialpad call state %s has no dispatch row", dialpad_states[i]);
			return -1;
		}
	}
	return 0;
}

int
dispatch_check(char *err, size_t errlen)
{
	if (dispatch_check_table(dispatch_rows, DH_ARRAY_LEN(dispatch_rows), err, errlen) != 0 ||
	    dispatch_check_states(err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < DH_ARRAY_LEN(dispatch_unhandled_rows); i++) {
		if ((i > 0 && strcmp(dispatch_unhandled_rows[i - 1], dispatch_unhandled_rows[i]) >= 0) ||
		    dispatch_lookup(dispatch_unhandled_rows[i]) != NULL) {
			snprintf(err, errlen, "unhandled-type list not sorted, duplicated or handled at %s",
			    dispatch_unhandled_rows[i]);
			return -1;
		}
	}
	return 0;
}

const struct dispatch_entry *
dispatch_table(size_t *n)
{
	*n = DH_ARRAY_LEN(dispatch_rows);
	return dispatch_rows;
}

const char *const *
dispatch_dialpad_states(size_t *n)
{
	*n = DH_ARRAY_LEN(dialpad_states);
	return dialpad_states;
}
