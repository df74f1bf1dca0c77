/* dispatch.c: the event type -> handler table (see dispatch.h). */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Sorted by event_type in strcmp order (checked at start-up). The first
 * four are the original design's types; the rest are Dialpad's native call
 * states as ingest stores them (call.<state>). States with no row here
 * (postcall, transcription, recap_*, csat, ...) are skipped.
 */
static const struct dispatch_entry dispatch_rows[] = {
	{ "call.admin_recording",	handle_recording },
	{ "call.barge",			handle_active },
	{ "call.blocked",		handle_ended },
	{ "call.calling",		handle_ringing },
	{ "call.connected",		handle_active },
	{ "call.eavesdrop",		handle_active },
	{ "call.ended",			handle_ended },
	{ "call.hangup",		handle_ended },
	{ "call.hold",			handle_active },
	{ "call.merged",		handle_active },
	{ "call.missed",		handle_ended },
	{ "call.monitor",		handle_active },
	{ "call.parked",		handle_active },
	{ "call.preanswer",		handle_ringing },
	{ "call.queued",		handle_ringing },
	{ "call.recording",		handle_recording },
	{ "call.recording.completed",	handle_recording },
	{ "call.ring",			handle_ringing },
	{ "call.ringing",		handle_ringing },
	{ "call.started",		handle_active },
	{ "call.takeover",		handle_active },
	{ "call.voicemail",		handle_ended },
	{ "call.voicemail_uploaded",	handle_voicemail_uploaded },
};

/*
 * Event types ingest can store that have no handler (yet): Dialpad's other
 * call states and event kinds. Skipped events of these types are counted
 * under their own metrics label; any other type under "other", so a flood of
 * invented types cannot create unbounded metric series. Sorted (checked by
 * dispatch_check) for bsearch.
 */
static const char *const dispatch_unhandled_rows[] = {
	"agent_status",
	"call.admin",
	"call.ai_playbook",
	"call.call_transcription",
	"call.csat",
	"call.dispositions",
	"call.pcsat",
	"call.postcall",
	"call.recap_action_items",
	"call.recap_outcome",
	"call.recap_purposes",
	"call.recap_summary",
	"call.transcription",
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
		if (i > 0 && strcmp(t[i - 1].event_type, t[i].event_type) >= 0) {
			snprintf(err, errlen, "dispatch table not sorted or duplicated at row %zu (%s after %s)",
			    i, t[i].event_type, t[i - 1].event_type);
			return -1;
		}
	}
	return 0;
}

int
dispatch_check(char *err, size_t errlen)
{
	if (dispatch_check_table(dispatch_rows, DH_ARRAY_LEN(dispatch_rows), err, errlen) != 0)
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
