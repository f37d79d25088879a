// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl alloc: allocate from the pool with a placement policy, print
 * where the bytes landed, optionally touch and hold the memory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/scalepool.h>
#include <numa.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "alloc"
#define TOUCH_STRIDE	4096
/* Longer holds are surely a mistake (a unit taken for seconds). */
#define MAX_HOLD	(366.0 * 24 * 3600)

struct alloc_args {
	unsigned long long size;
	bool have_size;
	int policy;			/* -1: the default */
	unsigned int members[SCALEPOOL_MAX_MEMBERS];
	unsigned int nr_members;	/* --members, or the nodes' count */
	const char *members_arg;
	const char *nodes;
	struct bitmask *node_mask;
	unsigned int weights[SCALEPOOL_MAX_MEMBERS];
	unsigned int nr_weights;
	bool have_weights;
	unsigned long long granularity;
	bool have_granularity;
	int initiator;
	bool have_initiator;
	const char *initiator_pci;
	unsigned int flags;
	bool touch;
	double hold;
};

static int parse_size_arg(const char *what, const char *arg,
			  unsigned long long max, unsigned long long *val)
{
	int rc = pool_parse_size(arg, val);
	char text[32];

	if (rc == -EOVERFLOW)
		return poolctl_err(CMD, EOVERFLOW, "%s '%s' is too large",
				   what, arg);
	if (!rc && *val > max) {
		pool_format_size(max, text, sizeof(text));
		return poolctl_err(CMD, EOVERFLOW, "%s '%s' is above the "
				   "maximum of %s", what, arg, text);
	}
	if (rc)
		return poolctl_err(CMD, -rc, "bad %s '%s'", what, arg);
	if (!*val)
		return poolctl_err(CMD, EINVAL, "%s must not be 0", what);
	return 0;
}

static int opt_size(void *args, const char *arg)
{
	struct alloc_args *a = args;

	a->have_size = true;
	return parse_size_arg("size", arg, SCALEPOOL_MAX_ALLOC_SIZE,
			      &a->size);
}

static int opt_policy(void *args, const char *arg)
{
	struct alloc_args *a = args;

	a->policy = pool_policy_from_name(arg);
	if (a->policy < 0)
		return poolctl_err(CMD, EINVAL, "unknown policy '%s' (bind, "
				   "preferred, interleave, nearest or tiered)",
				   arg);
	return 0;
}

static int opt_members(void *args, const char *arg)
{
	struct alloc_args *a = args;

	a->members_arg = arg;
	return poolctl_parse_list_arg(CMD, "member", arg, true, a->members,
				      &a->nr_members);
}

static int opt_weights(void *args, const char *arg)
{
	struct alloc_args *a = args;
	unsigned int i;

	if (poolctl_parse_list_arg(CMD, "weight", arg, false, a->weights,
				   &a->nr_weights))
		return 1;
	for (i = 0; i < a->nr_weights; i++)
		if (a->weights[i] < 1 || a->weights[i] > SCALEPOOL_MAX_WEIGHT)
			return poolctl_err(CMD, EINVAL, "weight %u is not "
					   "between 1 and %d", a->weights[i],
					   SCALEPOOL_MAX_WEIGHT);
	a->have_weights = true;
	return 0;
}

static int opt_granularity(void *args, const char *arg)
{
	struct alloc_args *a = args;
	long page = sysconf(_SC_PAGESIZE);

	a->have_granularity = true;
	if (parse_size_arg("granularity", arg, SCALEPOOL_MAX_GRANULARITY,
			   &a->granularity))
		return 1;
	if (a->granularity % (unsigned long)page)
		return poolctl_err(CMD, EINVAL, "granularity '%s' is not a "
				   "multiple of the page size (%ld)", arg,
				   page);
	return 0;
}

static int opt_initiator(void *args, const char *arg)
{
	struct alloc_args *a = args;
	unsigned int node;

	a->have_initiator = true;
	if (strcmp(arg, "local") == 0) {
		a->initiator = POOL_INITIATOR_LOCAL;
		return 0;
	}
	if (poolctl_parse_uint(arg, &node) || node > INT_MAX)
		return poolctl_err(CMD, EINVAL, "bad initiator '%s' (a node "
				   "number or local)", arg);
	a->initiator = (int)node;
	return 0;
}

static int opt_hold(void *args, const char *arg)
{
	struct alloc_args *a = args;

	if (poolctl_parse_seconds(arg, &a->hold) || a->hold < 0)
		return poolctl_err(CMD, EINVAL, "bad hold time '%s' (seconds, "
				   "0 or more)", arg);
	if (a->hold > MAX_HOLD)
		return poolctl_err(CMD, ERANGE, "hold time '%s' is more than "
				   "a year", arg);
	return 0;
}

#define ARG(field) offsetof(struct alloc_args, field)

static const struct poolctl_option alloc_options[] = {
	POOLCTL_OPT_CALLBACK('s', "size", "<size>", opt_size,
		"bytes, with a K, M, G or T suffix"),
	POOLCTL_OPT_CALLBACK('p', "policy", "<policy>", opt_policy,
		"bind, preferred, interleave, nearest or\n"
		"tiered; default: bind with --members or\n"
		"--nodes, else tiered over every member"),
	POOLCTL_OPT_CALLBACK('m', "members", "<ids>", opt_members,
		"member ids in order, as 2,0 or 0-1"),
	POOLCTL_OPT_STRING('n', "nodes", "<nodes>", ARG(nodes),
		"the members of these NUMA nodes, as 0-1,2"),
	POOLCTL_OPT_CALLBACK('w', "weights", "<list>", opt_weights,
		"interleave weights, one per member: 3,1"),
	POOLCTL_OPT_CALLBACK('g', "granularity", "<size>", opt_granularity,
		"interleave chunk size (default: a page)"),
	POOLCTL_OPT_CALLBACK('i', "initiator", "<node>", opt_initiator,
		"CPU node to place for, or local (default)"),
	POOLCTL_OPT_STRING(0, "initiator-pci", "<BDF>", ARG(initiator_pci),
		"nearest only: place for PCI device\n"
		"DDDD:BB:DD.F (peer memory it reaches\n"
		"without the host bridge first)"),
	POOLCTL_OPT_BIT(0, "no-huge", ARG(flags), POOL_ALLOC_NO_HUGE,
		"4 KiB pages only"),
	POOLCTL_OPT_BIT(0, "populate", ARG(flags), POOL_ALLOC_POPULATE,
		"map every page at once"),
	POOLCTL_OPT_FLAG('t', "touch", ARG(touch),
		"write one byte in every 4 KiB"),
	POOLCTL_OPT_CALLBACK(0, "hold", "<seconds>", opt_hold,
		"keep the memory this long before exit"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_alloc = {
	.cmd = CMD,
	.text =
"usage: poolctl alloc --size <size> [<options>]\n"
"\n"
"Allocate memory from the pool, print where it landed as JSON,\n"
"{\"size\", \"policy\", \"placement\": [...], \"basis\", \"revoked\"},\n"
"and free it on exit.  \"basis\" says what placed it: \"measured\",\n"
"\"firmware\" or \"distance\" figures, \"none\" (the caller's order),\n"
"null when the module does not say; \"revoked\" whether the member\n"
"holding it went away.\n",
	.options = alloc_options,
	.epilogue =
"Errors are one line on stderr, ending in the errno's text: \"No space\n"
"left on device\" (ENOSPC) when a member's limit is in the way, \"Cannot\n"
"allocate memory\" (ENOMEM) when the allowed members lack the memory.\n",
};

static int parse_options(struct alloc_args *a, int argc, char **argv)
{
	int rc = poolctl_parse_options(&usage_alloc, a, argc, argv);

	if (rc >= 0)
		return rc ? rc : -1;		/* -1: --help */
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	if (!a->have_size)
		return poolctl_err(CMD, EINVAL, "--size is required");
	return 0;
}

static bool pci_exists(const char *bdf)
{
	char path[256];

	if (strchr(bdf, '/') || snprintf(path, sizeof(path),
					 "/sys/bus/pci/devices/%s", bdf) >=
				(int)sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

/* The rules between options, and the node list: still no module. */
static int check_options(struct alloc_args *a)
{
	bool have_set = a->members_arg || a->nodes;
	const char *name;

	if (a->members_arg && a->nodes)
		return poolctl_err(CMD, EINVAL, "--members and --nodes "
				   "exclude each other");
	if (a->policy < 0)
		a->policy = have_set ? POOL_POLICY_BIND : POOL_POLICY_TIERED;
	name = pool_policy_name(a->policy);
	if (!have_set && (a->policy == POOL_POLICY_BIND ||
			  a->policy == POOL_POLICY_PREFERRED ||
			  a->policy == POOL_POLICY_INTERLEAVE))
		return poolctl_err(CMD, EINVAL, "policy %s needs "
				   "--members or --nodes", name);
	if (a->have_weights && a->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_err(CMD, EINVAL, "--weights needs "
				   "--policy interleave, not %s", name);
	if (a->have_granularity && a->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_err(CMD, EINVAL, "--granularity needs "
				   "--policy interleave, not %s", name);
	if (a->nodes) {
		a->node_mask = poolctl_parse_nodes(a->nodes);
		if (!a->node_mask)
			return poolctl_err(CMD, EINVAL, "bad node list "
				"'%s' (or a node that does not exist)",
				a->nodes);
		a->nr_members = numa_bitmask_weight(a->node_mask);
		if (!a->nr_members)
			return poolctl_err(CMD, EINVAL, "no nodes in "
					   "'%s'", a->nodes);
		if (a->nr_members > SCALEPOOL_MAX_MEMBERS)
			return poolctl_err(CMD, E2BIG, "more than %d "
				"nodes in '%s'", SCALEPOOL_MAX_MEMBERS,
				a->nodes);
	}
	if (a->have_initiator && a->initiator >= 0 &&
	    !poolctl_node_has_cpus(a->initiator))
		return poolctl_err(CMD, EINVAL, "initiator %d is not a "
				   "node with CPUs", a->initiator);
	if (a->have_weights && a->nr_weights != a->nr_members)
		return poolctl_err(CMD, EINVAL, "%u weights for %u "
			"members", a->nr_weights, a->nr_members);
	if (a->initiator_pci && a->policy != POOL_POLICY_NEAREST)
		return poolctl_err(CMD, EINVAL, "--initiator-pci needs "
				   "--policy nearest, not %s", name);
	if (a->initiator_pci && a->have_initiator)
		return poolctl_err(CMD, EINVAL, "--initiator and "
				   "--initiator-pci exclude each other");
	if (a->initiator_pci && !pci_exists(a->initiator_pci))
		return poolctl_err(CMD, ENODEV, "no PCI device '%s' "
				   "(expected DDDD:BB:DD.F)",
				   a->initiator_pci);
	return 0;
}

/* Members and nodes against the pool, to name what is missing. */
static int check_pool(struct alloc_args *a, struct pool_ctx *ctx)
{
	struct pool_member *m;
	unsigned long node;
	unsigned int i;

	for (i = 0; a->members_arg && i < a->nr_members; i++)
		if (!pool_member_get_by_id(ctx, a->members[i]))
			return poolctl_err(CMD, ENOENT, "no member %u",
					   a->members[i]);
	for (node = 0; a->node_mask && node < a->node_mask->size; node++) {
		if (!numa_bitmask_isbitset(a->node_mask, (unsigned int)node))
			continue;
		pool_member_foreach(ctx, m)
			if (strcmp(pool_member_get_kind(m), "node") == 0 &&
			    pool_member_get_node(m) == (int)node)
				break;
		if (!m)
			return poolctl_err(CMD, ENOENT, "no member for "
					   "node %lu", node);
	}
	return 0;
}

static void touch(struct pool_buf *buf)
{
	volatile unsigned char *p = pool_buf_get_addr(buf);
	size_t off, size = pool_buf_get_size(buf);

	for (off = 0; off < size; off += TOUCH_STRIDE)
		p[off] = 0x5a;
}

static void hold(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int print_result(struct pool_buf *buf)
{
	struct pool_placement *pl = NULL;
	struct json_object *root;
	const char *basis = NULL;
	int n, state;
	bool ok = true;

	/* null where the module does not say (before measured figures). */
	n = pool_buf_get_basis(buf);
	if (n >= 0)
		basis = pool_basis_name(n);
	else if (n != -EOPNOTSUPP)
		return poolctl_err(CMD, -n, "cannot read the placement");

	state = pool_buf_get_state(buf);
	if (state < 0)
		return poolctl_err(CMD, -state, "cannot read the state");

	n = pool_buf_get_placement(buf, NULL, 0);
	if (n > 0) {
		pl = calloc((size_t)n, sizeof(*pl));
		if (!pl)
			return poolctl_err(CMD, ENOMEM, "cannot read "
					   "the placement");
		n = pool_buf_get_placement(buf, pl, (unsigned int)n);
	}
	if (n < 0) {
		free(pl);
		return poolctl_err(CMD, -n, "cannot read the placement");
	}
	root = poolctl_json_alloc(buf, pl, n, basis, state, &ok);
	free(pl);
	return poolctl_print_json(CMD, root, ok, stdout);
}

int cmd_alloc(int argc, char **argv, struct pool_ctx **ctx)
{
	struct alloc_args a = { .policy = -1 };
	struct pool_buf *buf = NULL;
	int rc, err;

	rc = parse_options(&a, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;		/* -1: --help */
	rc = check_options(&a);
	if (rc)
		goto out;
	rc = poolctl_open(CMD, ctx);
	if (rc)
		goto out;
	rc = check_pool(&a, *ctx);
	if (rc)
		goto out;

	POOL_OPTS(pool_alloc_opts, opts,
		.policy = a.policy,
		.flags = a.flags,
		.members = a.members_arg ? a.members : NULL,
		.nr_members = a.members_arg ? a.nr_members : 0,
		.nodes = a.nodes,
		.weights = a.have_weights ? a.weights : NULL,
		.granularity = a.granularity,
		.initiator = a.initiator,
		.initiator_set = a.have_initiator,
		.initiator_pci = a.initiator_pci,
	);
	rc = pool_alloc(*ctx, a.size, &opts, &buf);
	if (rc) {
		rc = poolctl_err(CMD, -rc, "cannot allocate %llu bytes",
				 a.size);
		goto out;
	}
	if (a.touch)
		touch(buf);
	rc = print_result(buf);
	if (!rc && a.hold > 0) {
		fflush(stdout);
		hold(a.hold);
	}
	err = pool_buf_free(buf);
	if (err && !rc)
		rc = poolctl_err(CMD, -err, "cannot free the memory");
out:
	if (a.node_mask)
		numa_bitmask_free(a.node_mask);
	return rc;
}
