// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl migrate: move another process's allocation (by pid, fd and
 * handle, as 'poolctl stat' lists them) to the members a placement
 * policy names, and report what moved and how fast.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "migrate"

struct migrate_args {
	struct poolctl_place place;	/* first: the options reach it */
	int pid;			/* 0: not given */
	int fd;				/* -1: the process's only one */
	unsigned int handle;		/* 0: not given */
	unsigned long long offset;
	unsigned long long length;	/* 0: to the end */
	bool human;
};

/* A decimal of 0 (1 when @positive) to INT_MAX; 0, or -EINVAL. */
static int parse_int_arg(const char *arg, bool positive, int *val)
{
	unsigned int v;

	if (poolctl_parse_uint(arg, &v) || v > INT_MAX || (positive && !v))
		return -EINVAL;
	*val = (int)v;
	return 0;
}

static int opt_pid(void *args, const char *arg)
{
	struct migrate_args *a = args;

	if (parse_int_arg(arg, true, &a->pid))
		return poolctl_err(CMD, EINVAL, "bad pid '%s'", arg);
	return 0;
}

static int opt_fd(void *args, const char *arg)
{
	struct migrate_args *a = args;

	if (parse_int_arg(arg, false, &a->fd))
		return poolctl_err(CMD, EINVAL, "bad fd '%s'", arg);
	return 0;
}

static int opt_handle(void *args, const char *arg)
{
	struct migrate_args *a = args;

	if (poolctl_parse_uint(arg, &a->handle) || !a->handle)
		return poolctl_err(CMD, EINVAL, "bad handle '%s' (handles "
				   "start at 1)", arg);
	return 0;
}

/* A page multiple of at most the longest allocation. */
static int parse_range_arg(const char *what, const char *arg, bool zero_ok,
			   unsigned long long *val)
{
	long page = sysconf(_SC_PAGESIZE);

	if (poolctl_parse_size_arg(CMD, what, arg, SCALEPOOL_MAX_ALLOC_SIZE,
				   zero_ok, val))
		return 1;
	if (*val % (unsigned long)page)
		return poolctl_err(CMD, EINVAL, "%s '%s' is not a multiple "
				   "of the page size (%ld)", what, arg, page);
	return 0;
}

static int opt_offset(void *args, const char *arg)
{
	return parse_range_arg("offset", arg, true,
			       &((struct migrate_args *)args)->offset);
}

static int opt_length(void *args, const char *arg)
{
	return parse_range_arg("length", arg, false,
			       &((struct migrate_args *)args)->length);
}

#define ARG(field) offsetof(struct migrate_args, field)
_Static_assert(ARG(place) == 0, "the placement options reach it");

static const struct poolctl_option migrate_options[] = {
	POOLCTL_OPT_CALLBACK(0, "pid", "<pid>", opt_pid,
		"the process owning the allocation"),
	POOLCTL_OPT_CALLBACK(0, "fd", "<fd>", opt_fd,
		"its /dev/scalepool fd (default: its only one)"),
	POOLCTL_OPT_CALLBACK(0, "handle", "<handle>", opt_handle,
		"the allocation's handle on that fd"),
	POOLCTL_OPT_CALLBACK(0, "offset", "<size>", opt_offset,
		"start of the range to move (default: 0)"),
	POOLCTL_OPT_CALLBACK(0, "length", "<size>", opt_length,
		"bytes of the range (default: to the end)"),
	POOLCTL_PLACE_OPTIONS,
	POOLCTL_OPT_FLAG('u', "human", ARG(human),
		"a summary and a table, sizes in KiB/MiB/GiB"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_migrate = {
	.cmd = CMD,
	.text =
"usage: poolctl migrate --pid <pid> [--fd <fd>] --handle <handle>\n"
"                       [--offset <size>] [--length <size>] [<placement>]\n"
"\n"
"Move the allocation <handle> of descriptor <fd> of process <pid> (see\n"
"'poolctl stat --allocations'), or the range of it given, to where the\n"
"placement options would put it, while the process keeps using it.\n"
"Pages already on a member the new policy accepts stay.  Moving the\n"
"whole allocation gives it the new policy.  Prints JSON,\n"
"{\"pid\", \"fd\", \"handle\", \"offset\", \"length\", \"moved\", \"seconds\",\n"
"\"mb_per_s\", \"before\": {\"policy\", \"placement\"}, \"after\": {...}};\n"
"\"fd\" is null when not given, \"length\" 0 means to the end.\n"
"\n"
"Needs the right to ptrace-attach to the process (pidfd_getfd(2)):\n"
"root, or its own user where kernel.yama.ptrace_scope is 0.\n",
	.options = migrate_options,
	.epilogue =
"Errors are one line on stderr: \"No such process\" (ESRCH), \"Operation\n"
"not permitted\" (EPERM), \"No such file or directory\" (ENOENT: no such\n"
"fd or handle), \"Device or resource busy\" (EBUSY: a page is pinned or\n"
"exported to a device), \"No space left on device\" (ENOSPC: a limit).\n",
};

static int parse_options(struct migrate_args *a, int argc, char **argv)
{
	int rc = poolctl_parse_options(&usage_migrate, a, argc, argv);

	if (rc >= 0)
		return rc ? rc : -1;		/* -1: --help */
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	if (!a->pid)
		return poolctl_err(CMD, EINVAL, "--pid is required");
	if (!a->handle)
		return poolctl_err(CMD, EINVAL, "--handle is required");
	if (a->length && a->offset + a->length > SCALEPOOL_MAX_ALLOC_SIZE)
		return poolctl_err(CMD, EINVAL, "the range ends past the "
				   "longest allocation");
	return poolctl_place_check(&a->place);
}

/* Why pool_process_buf_open() said ENOENT: the fd or the handle. */
static int no_such(const struct migrate_args *a)
{
	char path[64], link[256];
	ssize_t n;

	if (a->fd < 0)
		return poolctl_err(CMD, ENOENT, "process %d has no "
				   "/dev/scalepool fd, or no allocation %u "
				   "on it", a->pid, a->handle);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", a->pid, a->fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0 && errno == ENOENT)
		return poolctl_err(CMD, ENOENT, "process %d has no fd %d",
				   a->pid, a->fd);
	return poolctl_err(CMD, ENOENT, "fd %d of process %d has no "
			   "allocation %u", a->fd, a->pid, a->handle);
}

static int open_error(const struct migrate_args *a, int rc)
{
	switch (rc) {
	case -ESRCH:
		return poolctl_err(CMD, ESRCH, "no process %d", a->pid);
	case -EPERM:
		return poolctl_err(CMD, EPERM, "may not take the fds of "
				   "process %d (needs ptrace attach: root, "
				   "or its user under ptrace_scope 0)",
				   a->pid);
	case -ENOENT:
		return no_such(a);
	case -ENOTUNIQ:
		return poolctl_err(CMD, ENOTUNIQ, "process %d has several "
				   "/dev/scalepool fds: name one with --fd",
				   a->pid);
	case -EINVAL:
		if (a->fd >= 0)
			return poolctl_err(CMD, EINVAL, "fd %d of process %d "
					   "is not /dev/scalepool", a->fd,
					   a->pid);
		break;
	}
	return poolctl_err(CMD, -rc, "cannot reach allocation %u of "
			   "process %d", a->handle, a->pid);
}

/* {"policy", "placement"} of @buf now. */
static struct json_object *state_json(struct pool_buf *buf, int *err,
				      bool *ok)
{
	struct pool_placement *pl = NULL;
	struct json_object *j;
	int n;

	n = poolctl_buf_placement(buf, &pl);
	if (n < 0) {
		*err = n;
		return NULL;
	}
	j = pj_object(ok);
	if (j) {
		pj_add(j, "policy",
		       pj_str(pool_policy_name(pool_buf_get_policy(buf)), ok),
		       ok);
		pj_add(j, "placement", poolctl_json_placement(pl, n, ok), ok);
	}
	free(pl);
	return j;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The JSON of the move; *@err the first error of a step. */
static struct json_object *do_migrate(const struct migrate_args *a,
				      struct pool_buf *buf, int *err,
				      bool *ok)
{
	struct json_object *root = pj_object(ok), *before;
	unsigned long long moved = 0;
	struct pool_alloc_opts opts;
	double t0, secs;

	before = state_json(buf, err, ok);
	if (!root || *err) {
		json_object_put(before);
		json_object_put(root);
		return NULL;
	}
	poolctl_place_opts(&a->place, &opts);
	t0 = now();
	*err = pool_buf_migrate(buf, a->offset, a->length, &opts, &moved);
	secs = now() - t0;
	if (*err) {
		json_object_put(before);
		json_object_put(root);
		return NULL;
	}
	pj_add(root, "pid", pj_int(a->pid, ok), ok);
	pj_add(root, "fd", a->fd >= 0 ? pj_int(a->fd, ok) : NULL, ok);
	pj_add(root, "handle", pj_u64(a->handle, ok), ok);
	pj_add(root, "offset", pj_u64(a->offset, ok), ok);
	pj_add(root, "length", pj_u64(a->length, ok), ok);
	pj_add(root, "moved", pj_u64(moved, ok), ok);
	pj_add(root, "seconds", pj_double(secs, 6, ok), ok);
	pj_add(root, "mb_per_s", pj_double(secs > 0 ? (double)moved / secs /
					   1e6 : 0, 1, ok), ok);
	pj_add(root, "before", before, ok);
	pj_add(root, "after", state_json(buf, err, ok), ok);
	return root;
}

/* The bytes of @member in the "placement" of @state, 0 when none. */
static unsigned long long bytes_on(struct json_object *state,
				   unsigned long long member)
{
	struct json_object *pl, *e, *v;
	size_t i;

	json_object_object_get_ex(state, "placement", &pl);
	for (i = 0; pl && i < json_object_array_length(pl); i++) {
		e = json_object_array_get_idx(pl, i);
		json_object_object_get_ex(e, "member", &v);
		if (json_object_get_uint64(v) != member)
			continue;
		json_object_object_get_ex(e, "bytes", &v);
		return json_object_get_uint64(v);
	}
	return 0;
}

/* Adds the members of @state's placement not yet in @ids. */
static void add_members(struct json_object *state, unsigned long long *ids,
			int *nr)
{
	struct json_object *pl, *v;
	unsigned long long id;
	size_t i;
	int j;

	json_object_object_get_ex(state, "placement", &pl);
	for (i = 0; pl && i < json_object_array_length(pl); i++) {
		json_object_object_get_ex(json_object_array_get_idx(pl, i),
					  "member", &v);
		id = json_object_get_uint64(v);
		for (j = 0; j < *nr && ids[j] != id; j++)
			;
		if (j == *nr && *nr < SCALEPOOL_MAX_MEMBERS)
			ids[(*nr)++] = id;
	}
}

static const char *const human_titles[] = { "MEMBER", "BEFORE", "AFTER" };
static const bool human_right[] = { true, true, true };

/* A line of what moved, then bytes per member before and after. */
static int print_human(struct json_object *root, FILE *f)
{
	char (*cells)[POOLCTL_CELL_MAX];
	unsigned long long ids[SCALEPOOL_MAX_MEMBERS];
	struct json_object *before, *after, *v;
	char moved[32];
	int nr = 0, i;

	json_object_object_get_ex(root, "before", &before);
	json_object_object_get_ex(root, "after", &after);
	add_members(before, ids, &nr);
	add_members(after, ids, &nr);
	cells = calloc((size_t)nr * 3 + 1, sizeof(*cells));
	if (!cells)
		return poolctl_err(CMD, ENOMEM, "cannot build the output");
	json_object_object_get_ex(root, "moved", &v);
	pool_format_size(json_object_get_uint64(v), moved, sizeof(moved));
	json_object_object_get_ex(root, "seconds", &v);
	fprintf(f, "moved %s in %.3f s", moved, json_object_get_double(v));
	json_object_object_get_ex(root, "mb_per_s", &v);
	fprintf(f, " (%.1f MB/s), policy ", json_object_get_double(v));
	json_object_object_get_ex(before, "policy", &v);
	fprintf(f, "%s -> ", json_object_get_string(v));
	json_object_object_get_ex(after, "policy", &v);
	fprintf(f, "%s\n\n", json_object_get_string(v));
	for (i = 0; i < nr; i++) {
		snprintf(cells[3 * i], POOLCTL_CELL_MAX, "%llu", ids[i]);
		pool_format_size(bytes_on(before, ids[i]), cells[3 * i + 1],
				 POOLCTL_CELL_MAX);
		pool_format_size(bytes_on(after, ids[i]), cells[3 * i + 2],
				 POOLCTL_CELL_MAX);
	}
	poolctl_print_table(f, 3, human_titles, human_right, cells, nr);
	free(cells);
	return 0;
}

int cmd_migrate(int argc, char **argv, struct pool_ctx **ctx)
{
	struct migrate_args a = { .place = { .cmd = CMD, .r.policy = -1 },
				  .fd = -1 };
	struct json_object *root;
	struct pool_buf *buf;
	bool ok = true;
	int rc, err = 0;

	rc = parse_options(&a, argc, argv);
	if (rc)
		goto out;
	rc = poolctl_open(CMD, ctx);
	if (!rc)
		rc = poolctl_place_check_pool(&a.place, *ctx);
	if (rc)
		goto out;
	err = pool_process_buf_open(*ctx, a.pid, a.fd, a.handle, &buf);
	if (err) {
		rc = open_error(&a, err);
		goto out;
	}
	root = do_migrate(&a, buf, &err, &ok);
	pool_buf_free(buf);
	if (err) {
		json_object_put(root);
		rc = poolctl_err(CMD, -err, "cannot migrate allocation %u of "
				 "process %d", a.handle, a.pid);
	} else if (a.human && ok) {
		rc = print_human(root, stdout);
		json_object_put(root);
	} else {
		rc = poolctl_print_json(CMD, root, ok, stdout);
	}
out:
	poolctl_place_release(&a.place);
	return rc < 0 ? 0 : rc;		/* -1: --help */
}
