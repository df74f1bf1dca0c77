/*
 * handlers.h: one function per event family, turning a payload into the
 * call_row it contributes (see callrow.h for how rows merge).
 *
 * Every handler first extracts what any call event carries, whatever its
 * state: call_id (required, int64 from a JSON number or digit string, never
 * through a double), state, event_timestamp, date_started/connected/ended,
 * duration (ms, rounded), direction, numbers, target {type,id,name}, the
 * leg-grouping ids and recording_details[].url. A date_connected raises the
 * status to at least active, a date_ended to ended. The handler then adds
 * its own status and fields. A present, non-null field of the wrong type is
 * a reject, as is a missing call_id.
 */
#ifndef DH_HANDLERS_H
#define DH_HANDLERS_H

#include <stddef.h>

#include "callrow.h"
#include "json.h"

enum handler_result {
	HANDLER_OK,		/* *row filled */
	HANDLER_RETRY,		/* transient: try again later (counts an attempt) */
	HANDLER_REJECT,		/* the payload cannot be used; err says why */
};

/* What a handler is given: the event's type, app and parsed payload (all borrowed). */
struct handler_input {
	const char		*event_type;
	const char		*app_id;
	const struct json_span	*payload;	/* the validated root value */
};

/*
 * A handler fills *row (strings in arena, which must have room for the
 * payload's length plus the type's) or writes a one-line reason to err.
 */
typedef enum handler_result (*handler_fn)(const struct handler_input *in, struct call_row *row,
    struct arena *arena, char *err, size_t errlen);

/* call.ring, and the native calling/ringing/preanswer/queued: ringing. */
enum handler_result handle_ringing(const struct handler_input *, struct call_row *, struct arena *, char *, size_t);
/* call.started (original design), connected and the in-call states (hold, parked, ...): active. */
enum handler_result handle_active(const struct handler_input *, struct call_row *, struct arena *, char *, size_t);
/* call.ended, and the native hangup/missed/voicemail/blocked: ended. */
enum handler_result handle_ended(const struct handler_input *, struct call_row *, struct arena *, char *, size_t);
/* recording / admin_recording / call.recording.completed: recording_url. */
enum handler_result handle_recording(const struct handler_input *, struct call_row *, struct arena *, char *, size_t);
/* voicemail_uploaded: voicemail_url from voicemail_link. */
enum handler_result handle_voicemail_uploaded(const struct handler_input *, struct call_row *, struct arena *, char *, size_t);

#endif
