// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl monitor: the options, the usage and the start of the command.
 * The monitor itself, on libtracefs and libtraceevent, is the plugin
 * poolctl-monitor.so (monitor.c, plugin.h), loaded only once the
 * options are good: --help and a bad option need no plugin.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "poolctl.h"
#include "plugin.h"

#define CMD "monitor"
#define MONITOR_PREFIX "scalepool_"

static int opt_event(void *args, const char *arg)
{
	struct monitor_args *a = args;
	const char *p;
	int n;

	for (p = arg; *p; p++)
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '_')
			break;
	if (!*arg || *p)
		return poolctl_err(CMD, EINVAL, "bad event name '%s'", arg);
	if (a->nr_events == MONITOR_MAX_EVENTS)
		return poolctl_err(CMD, E2BIG, "more than %d --event options",
				   MONITOR_MAX_EVENTS);
	/* "alloc" and "scalepool_alloc" both name scalepool:scalepool_alloc. */
	n = snprintf(a->events[a->nr_events], MONITOR_NAME_MAX, "%s%s",
		     strncmp(arg, MONITOR_PREFIX, strlen(MONITOR_PREFIX)) ?
		     MONITOR_PREFIX : "", arg);
	if (n >= MONITOR_NAME_MAX)
		return poolctl_err(CMD, ENAMETOOLONG, "bad event name '%s'",
				   arg);
	a->nr_events++;
	return 0;
}

static int opt_count(void *args, const char *arg)
{
	struct monitor_args *a = args;
	unsigned int n;

	if (poolctl_parse_uint(arg, &n) || !n)
		return poolctl_err(CMD, EINVAL, "bad count '%s' (a number of "
				   "events, 1 or more)", arg);
	a->count = n;
	return 0;
}

static int opt_duration(void *args, const char *arg)
{
	struct monitor_args *a = args;

	if (poolctl_parse_seconds(arg, &a->duration) || a->duration <= 0)
		return poolctl_err(CMD, EINVAL, "bad duration '%s' (seconds, "
				   "more than 0)", arg);
	if (a->duration > POOLCTL_MAX_SECONDS)
		return poolctl_err(CMD, ERANGE, "duration '%s' is more than "
				   "a year", arg);
	return 0;
}

static const struct poolctl_option monitor_options[] = {
	POOLCTL_OPT_CALLBACK('e', "event", "<name>", opt_event,
		"only this event (alloc, free, move, ...);\n"
		"repeat for more; default: all"),
	POOLCTL_OPT_CALLBACK('c', "count", "<n>", opt_count,
		"stop after <n> events"),
	POOLCTL_OPT_CALLBACK('d', "duration", "<seconds>", opt_duration,
		"stop after this long"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_monitor = {
	.cmd = CMD,
	.text =
"usage: poolctl monitor [<options>]\n"
"\n"
"Follow the scalepool module's trace events and print each as one line\n"
"of JSON, {\"event\", \"timestamp\", \"cpu\", \"pid\", \"data\"}: the event's\n"
"name (scalepool_alloc, ...), CLOCK_MONOTONIC nanoseconds, the CPU and\n"
"the task it happened on, and its fields.  Runs until SIGINT or SIGTERM\n"
"(or --count, --duration), in a tracefs instance of its own that it\n"
"removes on exit.  Needs root (CAP_SYS_ADMIN) and the module loaded;\n"
"mounts tracefs on /sys/kernel/tracing when it is not mounted.\n",
	.options = monitor_options,
	.epilogue =
"Events: member_add, member_remove, alloc, free, export, revoke, move,\n"
"offline_refused (scalepool(4), TRACEPOINTS).\n",
};

int cmd_monitor(int argc, char **argv, struct pool_ctx **ctx)
{
	struct monitor_args a = { 0 };
	poolctl_monitor_fn *monitor;
	int rc;

	rc = poolctl_parse_options(&usage_monitor, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	monitor = poolctl_plugin(CMD, POOLCTL_MONITOR_PLUGIN,
				 POOLCTL_MONITOR_ENTRY);
	if (!monitor)
		return 1;
	return monitor(&a);
}
