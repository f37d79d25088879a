// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl stat: the pool's usage, per member and per process, as JSON
 * (json.c) or, with --human, the same keys as two tables.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "stat"

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
"none was).  JSON on stdout,\n"
"{\"members\": [...], \"processes\": [...]}.\n",
	.options = poolctl_view_options,
};

/* null: the module does not say. */
static void fmt_free(struct json_object *v, char *cell)
{
	if (v)
		poolctl_cell_size(v, cell);
	else
		strcpy(cell, "?");
}

/* null: nothing was refused. */
static void fmt_refused(struct json_object *v, char *cell)
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
	{ "FREE", "free", true, fmt_free },
	{ "LIMIT", "limit", true, poolctl_cell_limit },
	{ "REFUSED", "refused", false, fmt_refused },
};

static const struct poolctl_column process_columns[] = {
	{ "PID", "pid", true, NULL },
	{ "COMM", "comm", false, NULL },
	{ "ALLOCATIONS", "allocations", true, NULL },
	{ "BYTES", "bytes", true, poolctl_cell_size },
	{ "EXPORTED", "exported", true, NULL },
	{ "EXPORTED-BYTES", "exported_bytes", true, poolctl_cell_size },
};

static int print_human(struct json_object *root, FILE *f)
{
	struct json_object *members, *processes;
	int rc;

	json_object_object_get_ex(root, "members", &members);
	json_object_object_get_ex(root, "processes", &processes);
	rc = poolctl_print_rows(f, members, member_columns,
				ARRAY_SIZE(member_columns));
	if (!rc) {
		fputc('\n', f);
		rc = poolctl_print_rows(f, processes, process_columns,
					ARRAY_SIZE(process_columns));
	}
	json_object_put(root);
	if (rc)
		return poolctl_err(CMD, -rc, "cannot build the output");
	return 0;
}

static int print_stat(struct pool_ctx *ctx, int self_pid, bool human,
		      FILE *f)
{
	struct json_object *root;
	bool ok = true;
	int rc;

	rc = poolctl_json_stat(ctx, self_pid, &root, &ok);
	if (rc) {
		json_object_put(root);
		return poolctl_err(CMD, -rc, "cannot scan the processes");
	}
	if (!human || !ok)
		return poolctl_print_json(CMD, root, ok, f);
	return print_human(root, f);
}

int poolctl_stat_json(struct pool_ctx *ctx, int self_pid, FILE *f)
{
	return print_stat(ctx, self_pid, false, f);
}

int poolctl_stat_human(struct pool_ctx *ctx, int self_pid, FILE *f)
{
	return print_stat(ctx, self_pid, true, f);
}

int cmd_stat(int argc, char **argv, struct pool_ctx **ctx)
{
	struct poolctl_view_args a = { 0 };
	int rc;

	rc = poolctl_parse_options(&usage_stat, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	if (poolctl_open(CMD, ctx))
		return 1;
	return print_stat(*ctx, getpid(), a.human, stdout);
}
