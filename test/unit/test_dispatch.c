/* test_dispatch.c: what the dispatch table must guarantee, whatever rows it holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../processor/dispatch.h"

/*
 * The call_states of Dialpad's call-event subscription, from its OpenAPI spec
 * (dialpad-python-sdk, dialpad_api_spec.json): an outside fact, not a copy of the table.
 */
static const char *const dialpad_call_states[] = {
	"calling", "ringing", "preanswer", "queued", "connected", "hold", "parked", "merged", "takeover",
	"barge", "monitor", "eavesdrop", "admin", "admin_recording", "blocked", "hangup", "missed",
	"postcall", "voicemail", "voicemail_uploaded", "recording", "transcription", "call_transcription",
	"csat", "pcsat", "dispositions", "recap_summary", "recap_outcome", "recap_purposes",
	"recap_action_items", "ai_playbook",
};

/* Sorted, unique, every row findable, with a handler and a known class. */
static void
test_table_sorted_unique_and_classed(void **state)
{
	const struct dispatch_entry	*t;
	size_t				 n;
	char				 err[256];

	(void)state;
	assert_int_equal(dispatch_check(err, sizeof(err)), 0);
	t = dispatch_table(&n);
	assert_true(n > 0);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(t[i - 1].event_type, t[i].event_type) < 0);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(dispatch_lookup(t[i].event_type), &t[i]);
		assert_non_null(t[i].handler);
		assert_true(t[i].klass >= CALL_CLASS_POSTCALL && t[i].klass <= CALL_CLASS_ENDED);
	}
}

/* Every one of Dialpad's 31 call states has a row, and the code's list is Dialpad's. */
static void
test_every_dialpad_state_is_handled(void **state)
{
	const char *const	*code;
	size_t			 n;
	char			 type[80];

	(void)state;
	assert_int_equal(DH_ARRAY_LEN(dialpad_call_states), 31);
	code = dispatch_dialpad_states(&n);
	assert_int_equal(n, 31);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(code[i], dialpad_call_states[i]);
		snprintf(type, sizeof(type), "call.%s", dialpad_call_states[i]);
		assert_non_null(dispatch_lookup(type));
		assert_int_equal(dispatch_unhandled_index(type), -1);
	}
}

/*
 * The classes follow from what the states mean: the ones that end a call end it, a blocked or
 * voicemail ending is remembered, and the steps that come after a call never move its state.
 */
static void
test_classes_mean_what_the_states_mean(void **state)
{
	static const char *const ended[] = { "call.hangup", "call.missed", "call.voicemail", "call.blocked" };
	static const char *const after[] = { "call.recording", "call.admin_recording",
		"call.voicemail_uploaded", "call.transcription", "call.call_transcription",
		"call.recap_summary", "call.csat", "call.postcall", "call.dispositions", "call.ai_playbook" };

	(void)state;
	for (size_t i = 0; i < DH_ARRAY_LEN(ended); i++)
		assert_int_equal(dispatch_lookup(ended[i])->klass, CALL_CLASS_ENDED);
	for (size_t i = 0; i < DH_ARRAY_LEN(after); i++)
		assert_int_equal(dispatch_lookup(after[i])->klass, CALL_CLASS_POSTCALL);
	assert_true(dispatch_lookup("call.blocked")->flags & CALL_SEEN_BLOCKED);
	assert_true(dispatch_lookup("call.voicemail")->flags & CALL_SEEN_VOICEMAIL);
	assert_true(dispatch_lookup("call.voicemail_uploaded")->flags & CALL_SEEN_VOICEMAIL);
	assert_int_equal(dispatch_lookup("call.ringing")->klass, CALL_CLASS_RINGING);
	assert_int_equal(dispatch_lookup("call.connected")->klass, CALL_CLASS_ACTIVE);
}

/* Unknown and near-miss types have no row; known unhandled kinds have their own label. */
static void
test_lookup_misses(void **state)
{
	const char *const	*un;
	size_t			 n;

	(void)state;
	assert_null(dispatch_lookup("sms.inbound"));
	assert_null(dispatch_lookup("unknown"));
	assert_null(dispatch_lookup(""));
	assert_null(dispatch_lookup("call.rin"));
	assert_null(dispatch_lookup("call.ringingx"));
	assert_null(dispatch_lookup("call.unknown"));
	un = dispatch_unhandled(&n);
	for (size_t i = 0; i < n; i++) {
		assert_null(dispatch_lookup(un[i]));
		assert_int_equal(dispatch_unhandled_index(un[i]), (int)i);
		if (i > 0)
			assert_true(strcmp(un[i - 1], un[i]) < 0);
	}
	assert_int_equal(dispatch_unhandled_index("call.invented"), -1);
}

static void
test_check_catches_bad_tables(void **state)
{
	const struct dispatch_entry unsorted[] = { { "b", handle_call, CALL_CLASS_ENDED, 0 },
		{ "a", handle_call, CALL_CLASS_ENDED, 0 } };
	const struct dispatch_entry dup[] = { { "a", handle_call, CALL_CLASS_ENDED, 0 },
		{ "a", handle_call, CALL_CLASS_ACTIVE, 0 } };
	const struct dispatch_entry empty[] = { { "", handle_call, CALL_CLASS_ENDED, 0 } };
	const struct dispatch_entry nohandler[] = { { "a", NULL, CALL_CLASS_ENDED, 0 } };
	const struct dispatch_entry badclass[] = { { "a", handle_call, (enum call_class)7, 0 } };
	const struct dispatch_entry badflag[] = { { "a", handle_call, CALL_CLASS_ENDED, 0x80 } };
	char err[256];

	(void)state;
	assert_int_equal(dispatch_check_table(unsorted, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "row 1"));
	assert_int_equal(dispatch_check_table(dup, 2, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(empty, 1, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(nohandler, 1, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(badclass, 1, err, sizeof(err)), -1);
	assert_int_equal(dispatch_check_table(badflag, 1, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted_unique_and_classed),
		cmocka_unit_test(test_every_dialpad_state_is_handled),
		cmocka_unit_test(test_classes_mean_what_the_states_mean),
		cmocka_unit_test(test_lookup_misses),
		cmocka_unit_test(test_check_catches_bad_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
