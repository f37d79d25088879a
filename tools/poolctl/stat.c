// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl stat: the pool's usage, per member and per process.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "stat"

const char usage_stat[] =
"usage: poolctl stat [<options>]\n"
"\n"
"Show how the pool is used: capacity, used, free and limit bytes of\n"
"every member, and the allocations and bytes of every process with\n"
"/dev/scalepool open (other users' only for root), with how many of\n"
"them are exported as dma-bufs.  JSON on stdout,\n"
"{\"members\": [...], \"processes\": [...]}.\n"
"\n"
"    -u, --human    aligned tables with sizes in KiB/MiB/GiB\n"
"    -h, --help     show this help\n";

struct proc_row {
	int pid;
	char comm[POOLCTL_CELL_MAX];
	unsigned long long allocations;
	unsigned long long bytes;
	unsigned long long exported;
	unsigned long long exported_bytes;
};

struct procs {
	int self_pid;
	struct proc_row *rows;
	size_t nr;
	size_t room;
};

static int collect(const struct pool_process_usage *u, void *arg)
{
	struct procs *p = arg;
	struct proc_row *more;

	if (u->pid == p->self_pid)
		return 0;
	if (p->nr == p->room) {
		p->room = p->room ? p->room * 2 : 16;
		more = reallocarray(p->rows, p->room, sizeof(*more));
		if (!more)
			return -ENOMEM;
		p->rows = more;
	}
	more = &p->rows[p->nr++];
	more->pid = u->pid;
	snprintf(more->comm, sizeof(more->comm), "%s", u->comm);
	more->allocations = u->allocations;
	more->bytes = u->bytes;
	more->exported = u->exported;
	more->exported_bytes = u->exported_bytes;
	return 0;
}

static int get_procs(struct pool_ctx *ctx, struct procs *p)
{
	int rc = pool_for_each_process_usage(ctx, collect, p);

	if (rc < 0) {
		free(p->rows);
		return poolctl_cmd_error(CMD, -rc, "cannot scan the processes");
	}
	return 0;
}

static struct json_object *member_json(struct pool_member *m, bool *ok)
{
	struct json_object *j = json_object_new_object();
	long long free_bytes = pool_member_get_free(m);

	if (!j) {
		*ok = false;
		return NULL;
	}
	pj_add(j, "id", pj_u64(pool_member_get_id(m), ok), ok);
	pj_add(j, "name", pj_str(pool_member_get_name(m), ok), ok);
	pj_add(j, "node", pj_int(pool_member_get_node(m), ok), ok);
	pj_add(j, "memory", pj_str(pool_member_get_memory(m), ok), ok);
	pj_add(j, "capacity", pj_u64(pool_member_get_capacity(m), ok), ok);
	pj_add(j, "used", pj_u64(pool_member_get_used(m), ok), ok);
	pj_add(j, "free", free_bytes < 0 ? NULL : pj_int(free_bytes, ok), ok);
	pj_add(j, "limit", pj_u64(pool_member_get_limit(m), ok), ok);
	return j;
}

static struct json_object *proc_json(const struct proc_row *r, bool *ok)
{
	struct json_object *j = json_object_new_object();

	if (!j) {
		*ok = false;
		return NULL;
	}
	pj_add(j, "pid", pj_int(r->pid, ok), ok);
	pj_add(j, "comm", pj_str(r->comm, ok), ok);
	pj_add(j, "allocations", pj_u64(r->allocations, ok), ok);
	pj_add(j, "bytes", pj_u64(r->bytes, ok), ok);
	pj_add(j, "exported", pj_u64(r->exported, ok), ok);
	pj_add(j, "exported_bytes", pj_u64(r->exported_bytes, ok), ok);
	return j;
}

int poolctl_stat_json(struct pool_ctx *ctx, int self_pid, FILE *f)
{
	struct procs procs = { .self_pid = self_pid };
	struct json_object *root, *members, *processes;
	struct pool_member *m;
	bool ok = true;
	size_t i;

	if (get_procs(ctx, &procs))
		return 1;
	root = json_object_new_object();
	members = json_object_new_array();
	processes = json_object_new_array();
	if (!root || !members || !processes) {
		json_object_put(members);
		json_object_put(processes);
		free(procs.rows);
		return poolctl_print_json(CMD, root, false, f);
	}
	pool_member_foreach(ctx, m)
		pj_append(members, member_json(m, &ok), &ok);
	for (i = 0; i < procs.nr; i++)
		pj_append(processes, proc_json(&procs.rows[i], &ok), &ok);
	free(procs.rows);
	pj_add(root, "members", members, &ok);
	pj_add(root, "processes", processes, &ok);
	return poolctl_print_json(CMD, root, ok, f);
}

static void size_cell(char *cell, unsigned long long bytes)
{
	pool_format_size(bytes, cell, POOLCTL_CELL_MAX);
}

int poolctl_stat_human(struct pool_ctx *ctx, int self_pid, FILE *f)
{
	static const char *const mtitles[] = {
		"ID", "NAME", "NODE", "MEMORY", "CAPACITY", "USED", "FREE",
		"LIMIT",
	};
	static const bool mright[] = {
		true, false, true, false, true, true, true, true,
	};
	static const char *const ptitles[] = {
		"PID", "COMM", "ALLOCATIONS", "BYTES", "EXPORTED",
		"EXPORTED-BYTES",
	};
	static const bool pright[] = { true, false, true, true, true, true };
	const int mcols = ARRAY_SIZE(mtitles), pcols = ARRAY_SIZE(ptitles);
	struct procs procs = { .self_pid = self_pid };
	int i, n = pool_get_nr_members(ctx), rows;
	char (*cells)[POOLCTL_CELL_MAX], (*c)[POOLCTL_CELL_MAX];
	struct pool_member *m;
	long long free_bytes;
	size_t ncells;

	if (get_procs(ctx, &procs))
		return 1;
	ncells = (size_t)n * mcols;
	if (procs.nr * pcols > ncells)
		ncells = procs.nr * pcols;
	cells = calloc(ncells + 1, sizeof(*cells));
	if (!cells) {
		free(procs.rows);
		return poolctl_cmd_error(CMD, ENOMEM,
					 "cannot build the output");
	}
	rows = 0;
	pool_member_foreach(ctx, m) {
		if (rows == n)
			break;
		c = &cells[rows++ * mcols];
		snprintf(c[0], sizeof(c[0]), "%u", pool_member_get_id(m));
		snprintf(c[1], sizeof(c[1]), "%s", pool_member_get_name(m));
		snprintf(c[2], sizeof(c[2]), "%d", pool_member_get_node(m));
		snprintf(c[3], sizeof(c[3]), "%s", pool_member_get_memory(m));
		size_cell(c[4], pool_member_get_capacity(m));
		size_cell(c[5], pool_member_get_used(m));
		free_bytes = pool_member_get_free(m);
		if (free_bytes < 0)
			strcpy(c[6], "?");
		else
			size_cell(c[6], (unsigned long long)free_bytes);
		if (pool_member_get_limit(m))
			size_cell(c[7], pool_member_get_limit(m));
		else
			strcpy(c[7], "none");
	}
	poolctl_print_table(f, mcols, mtitles, mright, cells, rows);
	fputc('\n', f);
	for (i = 0; i < (int)procs.nr; i++) {
		c = &cells[i * pcols];
		snprintf(c[0], sizeof(c[0]), "%d", procs.rows[i].pid);
		snprintf(c[1], sizeof(c[1]), "%s", procs.rows[i].comm);
		snprintf(c[2], sizeof(c[2]), "%llu",
			 procs.rows[i].allocations);
		size_cell(c[3], procs.rows[i].bytes);
		snprintf(c[4], sizeof(c[4]), "%llu", procs.rows[i].exported);
		size_cell(c[5], procs.rows[i].exported_bytes);
	}
	poolctl_print_table(f, pcols, ptitles, pright, cells, (int)procs.nr);
	free(procs.rows);
	free(cells);
	return 0;
}

int cmd_stat(int argc, char **argv, struct pool_ctx **ctx)
{
	bool human;
	int rc;

	rc = poolctl_parse_view_opts(argc, argv, CMD, usage_stat, &human);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_cmd_error(CMD, EINVAL, "unexpected argument "
					 "'%s'", argv[optind]);
	if (poolctl_open_cmd(CMD, ctx))
		return 1;
	if (human)
		return poolctl_stat_human(*ctx, getpid(), stdout);
	return poolctl_stat_json(*ctx, getpid(), stdout);
}
