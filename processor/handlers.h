/*
 * handlers.h: turning a call event's payload into the call_row and the
 * recordings it contributes (see callrow.h for how rows merge).
 *
 * Every call event, whatever its state, contributes every field it carries:
 * each column of the column table (columns.h) with a payload path, the
 * recordings (recording_details[], voicemail_link, recording_url as a
 * string or an array of strings) and the derived columns. The dispatch row
 * of the event's type (dispatch.h) adds its class and flags:
 *
 *   status   the class's rank (ringing, active, ended; none for a post-call
 *            step), raised to active by a date_connected and to ended by a
 *            date_ended, whatever the class
 *   state    the payload's `state` (else the type without "call."), but only
 *            for a live class: post-call steps never move it
 *   seen_blocked, seen_voicemail   from the row's flags (false otherwise)
 *   recording_url / voicemail_url  the greatest URL of the event's
 *            non-voicemail / voicemail recordings
 *
 * Failures are classified. An unusable payload (not a JSON object, no usable
 * call_id) is a data failure: HANDLER_REJECT, and the batch makes the event
 * dead at once. A present, non-null optional field of the wrong type is not
 * a failure: the field is ignored and counted in out->field_errors[] under
 * its payload field (payload_field_name), and the event is processed.
 */
#ifndef DH_HANDLERS_H
#define DH_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "callrow.h"
#include "json.h"

enum handler_result {
	HANDLER_OK,		/* *out->row filled */
	HANDLER_REJECT,		/* the payload cannot be used (a data failure); err says why */
};

/* The class of a call event type: the status its events imply, and whether they are live. */
enum call_class {
	CALL_CLASS_POSTCALL = 0,	/* a post-call step: no status of its own, never moves state */
	CALL_CLASS_RINGING = CALL_STATUS_RINGING,
	CALL_CLASS_ACTIVE = CALL_STATUS_ACTIVE,
	CALL_CLASS_ENDED = CALL_STATUS_ENDED,
};

/* Facts an event type establishes (dispatch row flags). */
#define CALL_SEEN_BLOCKED	0x1u	/* a blocked event: outcome blocked */
#define CALL_SEEN_VOICEMAIL	0x2u	/* voicemail / voicemail_uploaded: outcome voicemail */

/*
 * The payload fields a wrong type can be counted under (the label of
 * dialhook_processor_field_errors_total): a column's index for the columns
 * with a payload path, then these.
 */
enum payload_field {
	PF_STATE = CC_N,
	PF_TARGET,
	PF_CONTACT,
	PF_RECORDING_DETAILS,
	PF_RECORDING_URL,
	PF_VOICEMAIL_LINK,
	PF_CALL_ID,		/* not a field error: without it the event is a data failure */
	PF_N
};

/* The payload name of field f ("date_started", "target.office_id", "recording_url"), or NULL. */
const char *payload_field_name(int f);

/* One recording of a leg, as one event describes it (call_recordings, batch.h). */
struct call_recording {
	const char	*app_id;
	int64_t		 call_id;
	const char	*url;			/* never NULL */
	const char	*recording_id, *recording_type;
	struct opt_i64	 duration_ms, started_ms;
};

/*
 * The payload names the handlers look for, sorted for lookup; built once
 * (payload_map_init) from the column table and kept by the caller.
 */
#define PAYLOAD_MAP_MAX 64
struct payload_key {
	const char	*name;
	size_t		 len;
	int		 field;		/* a column index or enum payload_field */
};
struct payload_map {
	struct payload_key	 top[PAYLOAD_MAP_MAX];
	size_t			 ntop;
	struct payload_key	 target[PAYLOAD_MAP_MAX], contact[PAYLOAD_MAP_MAX];
	size_t			 ntarget, ncontact;
};

/* Build the map; 0, or -1 (a path names an object other than target or contact; err set). */
int	payload_map_init(struct payload_map *m, char *err, size_t errlen);

/* What a handler is given: the event's type, app and parsed payload (all borrowed). */
struct handler_input {
	const char		 *event_type;
	const char		 *app_id;
	const struct json_span	 *payload;	/* the validated root value */
	const struct payload_map *map;
	enum call_class		  klass;	/* from the dispatch row */
	unsigned		  flags;	/* CALL_SEEN_* */
};

/*
 * Where a handler writes: the row, recordings appended to recs (grown with
 * xreallocarray; the caller owns and reuses the array), and field errors
 * added to field_errors[].
 */
struct handler_output {
	struct call_row		*row;
	struct call_recording	*recs;
	size_t			 nrecs, caprecs;
	uint32_t		 field_errors[PF_N];
};

/*
 * A handler fills *out->row (strings in arena, which must have room for
 * three times the payload's length plus the type's) or writes a one-line
 * reason to err. It never touches the database.
 */
typedef enum handler_result (*handler_fn)(const struct handler_input *in, struct handler_output *out,
    struct arena *arena, char *err, size_t errlen);

/* Every Dialpad call state, and the original design's call.* types. */
enum handler_result handle_call(const struct handler_input *in, struct handler_output *out,
    struct arena *arena, char *err, size_t errlen);

#endif
