// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl alloc: allocate from the pool with a placement policy, print
 * where the bytes landed, optionally touch and hold the memory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
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

const char usage_alloc[] =
"usage: poolctl alloc --size <size> [<options>]\n"
"\n"
"Allocate memory from the pool, print where it landed as JSON,\n"
"{\"size\", \"policy\", \"placement\": [...], \"basis\", \"revoked\"},\n"
"and free it on exit.  \"basis\" says what placed it: \"measured\",\n"
"\"firmware\" or \"distance\" figures, \"none\" (the caller's order),\n"
"null when the module does not say; \"revoked\" whether the member\n"
"holding it went away.\n"
"\n"
"    -s, --size <size>         bytes, with a K, M, G or T suffix\n"
"    -p, --policy <policy>     bind, preferred, interleave, nearest or\n"
"                              tiered; default: bind with --members or\n"
"                              --nodes, else tiered over every member\n"
"    -m, --members <ids>       member ids in order, as 2,0 or 0-1\n"
"    -n, --nodes <nodes>       the members of these NUMA nodes, as 0-1,2\n"
"    -w, --weights <list>      interleave weights, one per member: 3,1\n"
"    -g, --granularity <size>  interleave chunk size (default: a page)\n"
"    -i, --initiator <node>    CPU node to place for, or local (default)\n"
"        --initiator-pci <BDF> nearest only: place for PCI device\n"
"                              DDDD:BB:DD.F (peer memory it reaches\n"
"                              without the host bridge first)\n"
"        --no-huge             4 KiB pages only\n"
"        --populate            map every page at once\n"
"    -t, --touch               write one byte in every 4 KiB\n"
"        --hold <seconds>      keep the memory this long before exit\n"
"    -h, --help                show this help\n"
"\n"
"Errors are one line on stderr, ending in the errno's text: \"No space\n"
"left on device\" (ENOSPC) when a member's limit is in the way, \"Cannot\n"
"allocate memory\" (ENOMEM) when the allowed members lack the memory.\n";

/* libnuma warns on stderr about bad node lists; poolctl says it once. */
void numa_warn(int num, char *fmt, ...)
{
}

struct alloc_args {
	unsigned long long size;
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

enum {
	OPT_NO_HUGE = 256,
	OPT_INITIATOR_PCI,
	OPT_POPULATE,
	OPT_HOLD,
};

static int parse_size_arg(const char *what, const char *arg,
			  unsigned long long max, unsigned long long *val)
{
	int rc = pool_parse_size(arg, val);
	char text[32];

	if (rc == -EOVERFLOW)
		return poolctl_cmd_error(CMD, EOVERFLOW,
					 "%s '%s' is too large", what, arg);
	if (!rc && *val > max) {
		pool_format_size(max, text, sizeof(text));
		return poolctl_cmd_error(CMD, EOVERFLOW, "%s '%s' is above "
					 "the maximum of %s", what, arg, text);
	}
	if (rc)
		return poolctl_cmd_error(CMD, -rc, "bad %s '%s'", what, arg);
	if (!*val)
		return poolctl_cmd_error(CMD, EINVAL, "%s must not be 0",
					 what);
	return 0;
}

static int parse_members(struct alloc_args *a, const char *arg)
{
	int rc = poolctl_parse_list(arg, true, SCALEPOOL_MAX_MEMBERS,
				    a->members, &a->nr_members);

	if (rc == -EEXIST)
		return poolctl_cmd_error(CMD, EINVAL, "member list '%s' "
					 "repeats a member", arg);
	if (rc == -E2BIG)
		return poolctl_cmd_error(CMD, E2BIG, "more than %d members "
					 "in '%s'", SCALEPOOL_MAX_MEMBERS, arg);
	if (rc)
		return poolctl_cmd_error(CMD, -rc, "bad member list '%s'",
					 arg);
	a->members_arg = arg;
	return 0;
}

static int parse_weights(struct alloc_args *a, const char *arg)
{
	unsigned int i;
	int rc;

	rc = poolctl_parse_list(arg, false, SCALEPOOL_MAX_MEMBERS,
				a->weights, &a->nr_weights);
	if (rc == -E2BIG)
		return poolctl_cmd_error(CMD, E2BIG, "more than %d weights "
					 "in '%s'", SCALEPOOL_MAX_MEMBERS, arg);
	if (rc)
		return poolctl_cmd_error(CMD, -rc, "bad weight list '%s'",
					 arg);
	for (i = 0; i < a->nr_weights; i++)
		if (a->weights[i] < 1 || a->weights[i] > SCALEPOOL_MAX_WEIGHT)
			return poolctl_cmd_error(CMD, EINVAL, "weight %u is "
				"not between 1 and %d", a->weights[i],
				SCALEPOOL_MAX_WEIGHT);
	a->have_weights = true;
	return 0;
}

static int parse_initiator(struct alloc_args *a, const char *arg)
{
	unsigned int node;

	a->have_initiator = true;
	if (strcmp(arg, "local") == 0) {
		a->initiator = POOL_INITIATOR_LOCAL;
		return 0;
	}
	if (poolctl_parse_uint(arg, &node) || node > INT_MAX)
		return poolctl_cmd_error(CMD, EINVAL, "bad initiator '%s' "
					 "(a node number or local)", arg);
	a->initiator = (int)node;
	return 0;
}

static int parse_hold(struct alloc_args *a, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v) || v < 0 ||
	    *arg == '-' || *arg == '+' || *arg == ' ' || *arg == '\t')
		return poolctl_cmd_error(CMD, EINVAL, "bad hold time '%s' "
					 "(seconds, 0 or more)", arg);
	if (v > MAX_HOLD)
		return poolctl_cmd_error(CMD, ERANGE, "hold time '%s' is more "
					 "than a year", arg);
	a->hold = v;
	return 0;
}

static int parse_options(struct alloc_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "policy", required_argument, NULL, 'p' },
		{ "members", required_argument, NULL, 'm' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "weights", required_argument, NULL, 'w' },
		{ "granularity", required_argument, NULL, 'g' },
		{ "initiator", required_argument, NULL, 'i' },
		{ "initiator-pci", required_argument, NULL, OPT_INITIATOR_PCI },
		{ "no-huge", no_argument, NULL, OPT_NO_HUGE },
		{ "populate", no_argument, NULL, OPT_POPULATE },
		{ "touch", no_argument, NULL, 't' },
		{ "hold", required_argument, NULL, OPT_HOLD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long page = sysconf(_SC_PAGESIZE);
	bool have_size = false;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:s:p:m:n:w:g:i:th", longopts,
				  NULL)) != -1) {
		rc = 0;
		switch (opt) {
		case 's':
			rc = parse_size_arg("size", optarg,
					    SCALEPOOL_MAX_ALLOC_SIZE, &a->size);
			have_size = true;
			break;
		case 'p':
			a->policy = pool_policy_from_name(optarg);
			if (a->policy < 0)
				rc = poolctl_cmd_error(CMD, EINVAL, "unknown "
					"policy '%s' (bind, preferred, "
					"interleave, nearest or tiered)",
					optarg);
			break;
		case 'm':
			rc = parse_members(a, optarg);
			break;
		case 'n':
			a->nodes = optarg;
			break;
		case 'w':
			rc = parse_weights(a, optarg);
			break;
		case 'g':
			rc = parse_size_arg("granularity", optarg,
					    SCALEPOOL_MAX_GRANULARITY,
					    &a->granularity);
			if (!rc && a->granularity % (unsigned long)page)
				rc = poolctl_cmd_error(CMD, EINVAL,
					"granularity '%s' is not a multiple "
					"of the page size (%ld)", optarg, page);
			a->have_granularity = true;
			break;
		case 'i':
			rc = parse_initiator(a, optarg);
			break;
		case OPT_INITIATOR_PCI:
			a->initiator_pci = optarg;
			break;
		case OPT_NO_HUGE:
			a->flags |= POOL_ALLOC_NO_HUGE;
			break;
		case OPT_POPULATE:
			a->flags |= POOL_ALLOC_POPULATE;
			break;
		case 't':
			a->touch = true;
			break;
		case OPT_HOLD:
			rc = parse_hold(a, optarg);
			break;
		case 'h':
			fputs(usage_alloc, stdout);
			return -1;
		default:
			return poolctl_option_error(CMD, opt, argv);
		}
		if (rc)
			return rc;
	}
	if (optind < argc)
		return poolctl_cmd_error(CMD, EINVAL, "unexpected argument "
					 "'%s'", argv[optind]);
	if (!have_size)
		return poolctl_cmd_error(CMD, EINVAL, "--size is required");
	return 0;
}

/* The kernel takes only CPU nodes as initiators; say so early. */
static bool node_has_cpus(int node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	bool has;

	if (!cpus)
		return true;	/* let the module judge */
	has = node <= numa_max_node() && !numa_node_to_cpus(node, cpus) &&
	      numa_bitmask_weight(cpus) > 0;
	numa_free_cpumask(cpus);
	return has;
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
		return poolctl_cmd_error(CMD, EINVAL, "--members and --nodes "
					 "exclude each other");
	if (a->policy < 0)
		a->policy = have_set ? POOL_POLICY_BIND : POOL_POLICY_TIERED;
	name = pool_policy_name(a->policy);
	if (!have_set && (a->policy == POOL_POLICY_BIND ||
			  a->policy == POOL_POLICY_PREFERRED ||
			  a->policy == POOL_POLICY_INTERLEAVE))
		return poolctl_cmd_error(CMD, EINVAL, "policy %s needs "
					 "--members or --nodes", name);
	if (a->have_weights && a->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_cmd_error(CMD, EINVAL, "--weights needs "
					 "--policy interleave, not %s", name);
	if (a->have_granularity && a->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_cmd_error(CMD, EINVAL, "--granularity needs "
					 "--policy interleave, not %s", name);
	if (a->nodes) {
		a->node_mask = numa_parse_nodestring(a->nodes);
		if (!a->node_mask)
			return poolctl_cmd_error(CMD, EINVAL, "bad node list "
				"'%s' (or a node that does not exist)",
				a->nodes);
		a->nr_members = numa_bitmask_weight(a->node_mask);
		if (!a->nr_members)
			return poolctl_cmd_error(CMD, EINVAL, "no nodes in "
						 "'%s'", a->nodes);
		if (a->nr_members > SCALEPOOL_MAX_MEMBERS)
			return poolctl_cmd_error(CMD, E2BIG, "more than %d "
				"nodes in '%s'", SCALEPOOL_MAX_MEMBERS,
				a->nodes);
	}
	if (a->have_initiator && a->initiator >= 0 &&
	    !node_has_cpus(a->initiator))
		return poolctl_cmd_error(CMD, EINVAL, "initiator %d is not a "
					 "node with CPUs", a->initiator);
	if (a->have_weights && a->nr_weights != a->nr_members)
		return poolctl_cmd_error(CMD, EINVAL, "%u weights for %u "
			"members", a->nr_weights, a->nr_members);
	if (a->initiator_pci && a->policy != POOL_POLICY_NEAREST)
		return poolctl_cmd_error(CMD, EINVAL, "--initiator-pci needs "
					 "--policy nearest, not %s", name);
	if (a->initiator_pci && a->have_initiator)
		return poolctl_cmd_error(CMD, EINVAL, "--initiator and "
					 "--initiator-pci exclude each other");
	if (a->initiator_pci && !pci_exists(a->initiator_pci))
		return poolctl_cmd_error(CMD, ENODEV, "no PCI device '%s' "
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
			return poolctl_cmd_error(CMD, ENOENT, "no member %u",
						 a->members[i]);
	for (node = 0; a->node_mask && node < a->node_mask->size; node++) {
		if (!numa_bitmask_isbitset(a->node_mask, (unsigned int)node))
			continue;
		pool_member_foreach(ctx, m)
			if (strcmp(pool_member_get_kind(m), "node") == 0 &&
			    pool_member_get_node(m) == (int)node)
				break;
		if (!m)
			return poolctl_cmd_error(CMD, ENOENT, "no member for "
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
	struct json_object *root, *placement, *p;
	struct pool_placement *pl = NULL;
	const char *basis = NULL;
	int i, n, state;
	bool ok = true;

	/* null where the module does not say (before measured figures). */
	n = pool_buf_get_basis(buf);
	if (n >= 0)
		basis = pool_basis_name(n);
	else if (n != -EOPNOTSUPP)
		return poolctl_cmd_error(CMD, -n, "cannot read the placement");

	state = pool_buf_get_state(buf);
	if (state < 0)
		return poolctl_cmd_error(CMD, -state, "cannot read the state");

	n = pool_buf_get_placement(buf, NULL, 0);
	if (n > 0) {
		pl = calloc((size_t)n, sizeof(*pl));
		if (!pl)
			return poolctl_cmd_error(CMD, ENOMEM, "cannot read "
						 "the placement");
		n = pool_buf_get_placement(buf, pl, (unsigned int)n);
	}
	if (n < 0) {
		free(pl);
		return poolctl_cmd_error(CMD, -n, "cannot read the placement");
	}
	root = json_object_new_object();
	placement = json_object_new_array();
	if (!root || !placement)
		ok = false;
	for (i = 0; ok && i < n; i++) {
		p = json_object_new_object();
		if (!p) {
			ok = false;
			break;
		}
		pj_add(p, "member", pj_u64(pl[i].member, &ok), &ok);
		pj_add(p, "node", pj_int(pl[i].node, &ok), &ok);
		pj_add(p, "bytes", pj_u64(pl[i].bytes, &ok), &ok);
		pj_add(p, "huge_bytes", pj_u64(pl[i].huge_bytes, &ok), &ok);
		pj_append(placement, p, &ok);
	}
	free(pl);
	if (root) {
		pj_add(root, "size", pj_u64(pool_buf_get_size(buf), &ok), &ok);
		pj_add(root, "policy",
		       pj_str(pool_policy_name(pool_buf_get_policy(buf)), &ok),
		       &ok);
		pj_add(root, "placement", placement, &ok);
		pj_add(root, "basis", pj_str(basis, &ok), &ok);
		pj_add(root, "revoked",
		       pj_bool(state & POOL_BUF_REVOKED, &ok), &ok);
	} else {
		json_object_put(placement);
	}
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
	rc = poolctl_open_cmd(CMD, ctx);
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
		rc = poolctl_cmd_error(CMD, -rc, "cannot allocate %llu bytes",
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
		rc = poolctl_cmd_error(CMD, -err, "cannot free the memory");
out:
	if (a.node_mask)
		numa_bitmask_free(a.node_mask);
	return rc;
}
