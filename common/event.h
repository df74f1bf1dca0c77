/*
 * event.h: classify a Dialpad webhook event and derive its dedupe key.
 *
 * Dialpad sends no event-type field, so the type is inferred from which
 * top-level fields are present (docs: dialpad-webhooks.md section 3). A field
 * is "present" when it exists and is not null. The first rule that matches
 * gives webhook_events.event_type:
 *
 *   1. a string "event_type" matching [A-Za-z0-9._-]{1,64} is used as is
 *      (e.g. call.started, call.ring, call.ended, call.recording.completed);
 *   2. "call_id" and a string "state": call.<state> (call.ringing,
 *      call.connected, call.hangup, call.recording, ...), or call.unknown
 *      when state does not match [a-z0-9_]{1,64};
 *   3. "message_status", or both "from_number" and "to_number":
 *      sms.inbound or sms.outbound from "direction", else sms.unknown;
 *   4. "on_duty_status", "availability_status" or "call_center_ids":
 *      agent_status;
 *   5. "action" and "changed_by": change_log;
 *   6. "event" equal to Created, Updated or Deleted (any case) and
 *      "contact": contact.created, contact.updated, contact.deleted;
 *   7. otherwise: unknown.
 *
 * The dedupe key (webhook_events.dedupe_key) is the first of these that
 * applies. <int64> is an exact integer read from a JSON number, a number
 * with an all-zero fraction or a digit string, so 5850000000000001,
 * 5850000000000001.0 and "5850000000000001" give the same key:
 *
 *   call:<call_id>:<state>:<event_timestamp>
 *      call_id and event_timestamp are <int64> and state is a string
 *      matching [a-z0-9_]{1,64}; when state is absent and the type came
 *      from rule 1, the type stands in for the state;
 *   sms:<id>:<message_status>:<event_timestamp>
 *      id and event_timestamp are <int64>, message_status a non-empty
 *      string of at most 64 bytes; bytes outside [A-Za-z0-9._-] become '_';
 *   h:<64 lowercase hex digits>
 *      BLAKE2b-256 of the canonical JSON (json_canonical_hash: keys sorted,
 *      whitespace dropped) without the top-level JWT claims iat, exp, nbf
 *      and jti, so a re-signed or re-ordered copy of an event matches.
 *
 * Keys are printable ASCII and always fit EVENT_KEY_MAX with their NUL.
 */
#ifndef DH_EVENT_H
#define DH_EVENT_H

#include <stddef.h>

#include "compiler.h"

#define EVENT_TYPE_MAX	72	/* bytes, with the NUL */
#define EVENT_KEY_MAX	200	/* bytes, with the NUL */

struct event_info {
	char	type[EVENT_TYPE_MAX];
	char	dedupe_key[EVENT_KEY_MAX];
};

/*
 * Fills *out with the event type and dedupe key of json[0..len), which the
 * caller has validated with json_validate(). 0; -1 if the text is not a
 * JSON object (or, for the h: key, memory runs out).
 */
int	event_classify(const char *json, size_t len, struct event_info *out)
	    DH_MUSTCHECK;

#endif
