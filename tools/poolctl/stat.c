// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl stat: the pool's usage, per member and per process, as JSON
 * (json.c) or, with --human, the same keys as two tables.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "stat"

struct stat_args {
	bool human;
	bool allocations;
};

static const struct poolctl_option stat_options[] = {
	POOLCTL_OPT_FLAG('u', "human", offsetof(struct stat_args, human),
			 "aligned tables, sizes in KiB/MiB/GiB"),
	POOLCTL_OPT_FLAG('a', "allocations",
			 offsetof(struct stat_args, allocations),
			 "with --human, a table of the allocations\n"
			 "too (JSON always has them)"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_stat = {
	.cmd = CMD,
	.text =
"usage: poolctl stat [<options>]\n"
"\n"
"Show how the pool is used: capacity, used, free and limit bytes of\n"
"every member, and the allocations and bytes of every process with\n"
"/dev/scalepool open (other users' only for root), with how many of\n"
"them are exported as dma-bufs.  A member's \"refused\" says why the\n"
"last memory offline or drain of its memory was refused (null when\n"
"none was).  \"tier_sampled\", \"tier_promoted\" and \"tier_demoted\"\n"
"are tiering's bytes per member: unmapped to sample use, moved to it\n"
"from a slower member, from a faster one (null without tiering in the\n"
"module).  \"allocations\" lists every allocation of those processes,\n"
"{\"pid\", \"comm\", \"fd\", \"handle\", \"length\", \"offset\",\n"
"\"policy\"}: what 'poolctl migrate' takes (empty with a module\n"
"before SCALEPOOL_CAP_MIGRATE).  JSON on stdout,\n"
"{\"members\": [...], \"processes\": [...], \"allocations\": [...]}.\n",
	.options = stat_options,
};

/* A size; null (the module does not say): "?". */
static void fmt_size_or_unknown(struct json_object *v, char *cell)
{
	if (v)
		poolctl_cell_size(v, cell);
	else
		strcpy(cell, "?");
}

/* A string; null (nothing refused, an unknown policy): "-". */
static void fmt_string(struct json_object *v, char *cell)
{
	snprintf(cell, POOLCTL_CELL_MAX, "%s",
		 v ? json_object_get_string(v) : "-");
}

static const struct poolctl_column member_columns[] = {
	{ "ID", "id", true, NULL },
	{ "NAME", "name", false, NULL },
	{ "NODE", "node", true, NULL },
	{ "MEMORY", "memory", false, NULL },
	{ "CAPACITY", "capacity", true, poolctl_cell_size },
	{ "USED", "used", true, poolctl_cell_size },
	{ "FREE", "free", true, fmt_size_or_unknown },
	{ "LIMIT", "limit", true, poolctl_cell_limit },
	{ "SAMPLED", "tier_sampled", true, fmt_size_or_unknown },
	{ "PROMOTED", "tier_promoted", true, fmt_size_or_unknown },
	{ "DEMOTED", "tier_demoted", true, fmt_size_or_unknown },
	{ "REFUSED", "refused", false, fmt_string },
};

static const struct poolctl_column process_columns[] = {
	{ "PID", "pid", true, NULL },
	{ "COMM", "comm", false, NULL },
	{ "ALLOCATIONS", "allocations", true, NULL },
	{ "BYTES", "bytes", true, poolctl_cell_size },
	{ "EXPORTED", "exported", true, NULL },
	{ "EXPORTED-BYTES", "exported_bytes", true, poolctl_cell_size },
};

static const struct poolctl_column allocation_columns[] = {
	{ "PID", "pid", true, NULL },
	{ "COMM", "comm", false, NULL },
	{ "FD", "fd", true, NULL },
	{ "HANDLE", "handle", true, NULL },
	{ "LENGTH", "length", true, poolctl_cell_size },
	{ "POLICY", "policy", false, fmt_string },
};

static int print_human(struct json_object *root, bool allocations,
		       FILE *f)
{
	struct json_object *members, *processes, *allocs;
	int rc;

	json_object_object_get_ex(root, "members", &members);
	json_object_object_get_ex(root, "processes", &processes);
	json_object_object_get_ex(root, "allocations", &allocs);
	rc = poolctl_print_rows(f, members, member_columns,
				ARRAY_SIZE(member_columns));
	if (!rc) {
		fputc('\n', f);
		rc = poolctl_print_rows(f, processes, process_columns,
					ARRAY_SIZE(process_columns));
	}
	if (!rc && allocations) {
		fputc('\n', f);
		rc = poolctl_print_rows(f, allocs, allocation_columns,
					ARRAY_SIZE(allocation_columns));
	}
	json_object_put(root);
	if (rc)
		return poolctl_err(CMD, -rc, "cannot build the output");
	return 0;
}

static int print_stat(struct pool_ctx *ctx, int self_pid,
		      const struct stat_args *a, FILE *f)
{
	struct json_object *root;
	bool ok = true;
	int rc;

	rc = poolctl_json_stat(ctx, self_pid, &root, &ok);
	if (rc) {
		json_object_put(root);
		return poolctl_err(CMD, -rc, "cannot scan the processes");
	}
	if (!a->human || !ok)
		return poolctl_print_json(CMD, root, ok, f);
	return print_human(root, a->allocations, f);
}

int poolctl_stat_json(struct pool_ctx *ctx, int self_pid, FILE *f)
{
	const struct stat_args a = { 0 };

	return print_stat(ctx, self_pid, &a, f);
}

int poolctl_stat_human(struct pool_ctx *ctx, int self_pid, bool allocations,
		       FILE *f)
{
	const struct stat_args a = { true, allocations };

	return print_stat(ctx, self_pid, &a, f);
}

int cmd_stat(int argc, char **argv, struct pool_ctx **ctx)
{
	struct stat_args a = { 0 };
	int rc;

	rc = poolctl_parse_options(&usage_stat, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	if (poolctl_open(CMD, ctx))
		return 1;
	return print_stat(*ctx, getpid(), &a, stdout);
}
