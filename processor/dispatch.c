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
	return dispatch_check_table(dispatch_rows, DH_ARRAY_LEN(dispatch_rows), err, errlen);
}

const struct dispatch_entry *
dispatch_table(size_t *n)
{
	*n = DH_ARRAY_LEN(dispatch_rows);
	return dispatch_rows;
}
