/* trigger_listener TRIGGER: the notifications of one trigger, as a user's
 * program reads them through liblttng-ctl's notification API (lttng-tools
 * 2.13: lttng/notification/channel.h, lttng/condition/event-rule-matches.h).
 *
 * Finds the trigger named TRIGGER (made beforehand with `lttng add-trigger
 * --name TRIGGER --condition event-rule-matches ... --capture=FIELD ...
 * --action notify`) among lttng_list_triggers(), subscribes to its
 * condition on the session daemon's notification channel, prints
 * "subscribed", then prints one line per notification: "notification" and
 * each captured value as " N=V" (N the capture's index, V a decimal integer,
 * a double as %g, a string quoted, "unavailable" when the field could not be
 * captured).  A dropped-notifications message prints "dropped".  stdout is
 * flushed after each line.  Runs until killed, the channel closes (exit 0)
 * or an error (a one-line message on stderr, exit 1).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lttng/lttng.h>

static int die(const char *what)
{
	fprintf(stderr, "trigger_listener: %s\n", what);
	return 1;
}

/* Prints " INDEX=VALUE" for one captured field value. */
static void print_value(unsigned int index, const struct lttng_event_field_value *v)
{
	uint64_t u;
	int64_t s;
	double d;
	const char *str;

	switch (lttng_event_field_value_get_type(v)) {
	case LTTNG_EVENT_FIELD_VALUE_TYPE_UNSIGNED_INT:
	case LTTNG_EVENT_FIELD_VALUE_TYPE_UNSIGNED_ENUM:
		lttng_event_field_value_unsigned_int_get_value(v, &u);
		printf(" %u=%" PRIu64, index, u);
		break;
	case LTTNG_EVENT_FIELD_VALUE_TYPE_SIGNED_INT:
	case LTTNG_EVENT_FIELD_VALUE_TYPE_SIGNED_ENUM:
		lttng_event_field_value_signed_int_get_value(v, &s);
		printf(" %u=%" PRId64, index, s);
		break;
	case LTTNG_EVENT_FIELD_VALUE_TYPE_REAL:
		lttng_event_field_value_real_get_value(v, &d);
		printf(" %u=%g", index, d);
		break;
	case LTTNG_EVENT_FIELD_VALUE_TYPE_STRING:
		lttng_event_field_value_string_get_value(v, &str);
		printf(" %u=\"%s\"", index, str);
		break;
	default:
		printf(" %u=unavailable", index);
		break;
	}
}

static void print_notification(struct lttng_notification *n)
{
	const struct lttng_evaluation *eval = lttng_notification_get_evaluation(n);
	const struct lttng_event_field_value *captured = NULL;
	unsigned int count = 0;

	printf("notification");
	if (eval && lttng_evaluation_event_rule_matches_get_captured_values(eval, &captured) ==
			    LTTNG_EVALUATION_EVENT_RULE_MATCHES_STATUS_OK &&
	    lttng_event_field_value_array_get_length(captured, &count) ==
		    LTTNG_EVENT_FIELD_VALUE_STATUS_OK) {
		for (unsigned int i = 0; i < count; i++) {
			const struct lttng_event_field_value *v = NULL;

			if (lttng_event_field_value_array_get_element_at_index(captured, i, &v) ==
			    LTTNG_EVENT_FIELD_VALUE_STATUS_OK)
				print_value(i, v);
			else
				printf(" %u=unavailable", i);
		}
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct lttng_triggers *triggers = NULL;
	const struct lttng_condition *condition = NULL;
	struct lttng_notification_channel *chan;
	unsigned int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: trigger_listener TRIGGER\n");
		return 2;
	}
	if (lttng_list_triggers(&triggers) != LTTNG_OK ||
	    lttng_triggers_get_count(triggers, &n) != LTTNG_TRIGGER_STATUS_OK)
		return die("cannot list the session daemon's triggers");
	for (unsigned int i = 0; i < n; i++) {
		const struct lttng_trigger *t = lttng_triggers_get_at_index(triggers, i);
		const char *name = NULL;

		if (t && lttng_trigger_get_name(t, &name) == LTTNG_TRIGGER_STATUS_OK &&
		    strcmp(name, argv[1]) == 0)
			condition = lttng_trigger_get_const_condition(t);
	}
	if (!condition)
		return die("no trigger of that name");
	chan = lttng_notification_channel_create(lttng_session_daemon_notification_endpoint);
	if (!chan)
		return die("cannot open the notification channel");
	if (lttng_notification_channel_subscribe(chan, condition) !=
	    LTTNG_NOTIFICATION_CHANNEL_STATUS_OK)
		return die("cannot subscribe to the trigger's condition");
	printf("subscribed\n");
	fflush(stdout);
	for (;;) {
		struct lttng_notification *notification = NULL;
		enum lttng_notification_channel_status status =
			lttng_notification_channel_get_next_notification(chan, &notification);

		switch (status) {
		case LTTNG_NOTIFICATION_CHANNEL_STATUS_OK:
			print_notification(notification);
			lttng_notification_destroy(notification);
			break;
		case LTTNG_NOTIFICATION_CHANNEL_STATUS_NOTIFICATIONS_DROPPED:
			printf("dropped\n");
			fflush(stdout);
			break;
		case LTTNG_NOTIFICATION_CHANNEL_STATUS_CLOSED:
			lttng_notification_channel_destroy(chan);
			lttng_triggers_destroy(triggers);
			return 0;
		default:
			return die("cannot read the next notification");
		}
	}
}
