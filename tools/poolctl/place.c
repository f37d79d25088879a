// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the placement options that alloc and migrate share (policy,
 * members or nodes, weights, granularity, initiator), parsed, checked
 * and turned into a struct pool_alloc_opts in one place.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/scalepool.h>
#include <numa.h>
#include <libpool.h>

#include "poolctl.h"

int poolctl_parse_size_arg(const char *cmd, const char *what,
			   const char *arg, unsigned long long max,
			   bool zero_ok, unsigned long long *val)
{
	int rc = pool_parse_size(arg, val);
	char text[32];

	if (rc == -EOVERFLOW)
		return poolctl_err(cmd, EOVERFLOW, "%s '%s' is too large",
				   what, arg);
	if (!rc && *val > max) {
		pool_format_size(max, text, sizeof(text));
		return poolctl_err(cmd, EOVERFLOW, "%s '%s' is above the "
				   "maximum of %s", what, arg, text);
	}
	if (rc)
		return poolctl_err(cmd, -rc, "bad %s '%s'", what, arg);
	if (!*val && !zero_ok)
		return poolctl_err(cmd, EINVAL, "%s must not be 0", what);
	return 0;
}

int poolctl_place_opt_policy(void *args, const char *arg)
{
	struct poolctl_place *p = args;

	p->policy = pool_policy_from_name(arg);
	if (p->policy < 0)
		return poolctl_err(p->cmd, EINVAL, "unknown policy '%s' "
				   "(bind, preferred, interleave, nearest or "
				   "tiered)", arg);
	return 0;
}

int poolctl_place_opt_members(void *args, const char *arg)
{
	struct poolctl_place *p = args;

	p->members_arg = arg;
	return poolctl_parse_list_arg(p->cmd, "member", arg, true,
				      p->members, &p->nr_members);
}

int poolctl_place_opt_weights(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	unsigned int i;

	if (poolctl_parse_list_arg(p->cmd, "weight", arg, false, p->weights,
				   &p->nr_weights))
		return 1;
	for (i = 0; i < p->nr_weights; i++)
		if (p->weights[i] < 1 || p->weights[i] > SCALEPOOL_MAX_WEIGHT)
			return poolctl_err(p->cmd, EINVAL, "weight %u is not "
					   "between 1 and %d", p->weights[i],
					   SCALEPOOL_MAX_WEIGHT);
	p->have_weights = true;
	return 0;
}

int poolctl_place_opt_granularity(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	long page = sysconf(_SC_PAGESIZE);

	p->have_granularity = true;
	if (poolctl_parse_size_arg(p->cmd, "granularity", arg,
				   SCALEPOOL_MAX_GRANULARITY, false,
				   &p->granularity))
		return 1;
	if (p->granularity % (unsigned long)page)
		return poolctl_err(p->cmd, EINVAL, "granularity '%s' is not "
				   "a multiple of the page size (%ld)", arg,
				   page);
	return 0;
}

int poolctl_place_opt_initiator(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	unsigned int node;

	p->have_initiator = true;
	if (strcmp(arg, "local") == 0) {
		p->initiator = POOL_INITIATOR_LOCAL;
		return 0;
	}
	if (poolctl_parse_uint(arg, &node) || node > INT_MAX)
		return poolctl_err(p->cmd, EINVAL, "bad initiator '%s' (a "
				   "node number or local)", arg);
	p->initiator = (int)node;
	return 0;
}

/* The node list: its mask and the number of its members. */
static int check_nodes(struct poolctl_place *p)
{
	p->node_mask = poolctl_parse_nodes(p->nodes);
	if (!p->node_mask)
		return poolctl_err(p->cmd, EINVAL, "bad node list '%s' (or a "
				   "node that does not exist)", p->nodes);
	p->nr_members = numa_bitmask_weight(p->node_mask);
	if (!p->nr_members)
		return poolctl_err(p->cmd, EINVAL, "no nodes in '%s'",
				   p->nodes);
	if (p->nr_members > SCALEPOOL_MAX_MEMBERS)
		return poolctl_err(p->cmd, E2BIG, "more than %d nodes in '%s'",
				   SCALEPOOL_MAX_MEMBERS, p->nodes);
	return 0;
}

int poolctl_place_check(struct poolctl_place *p)
{
	bool have_set = p->members_arg || p->nodes;
	const char *name;

	if (p->members_arg && p->nodes)
		return poolctl_err(p->cmd, EINVAL, "--members and --nodes "
				   "exclude each other");
	if (p->policy < 0)
		p->policy = have_set ? POOL_POLICY_BIND : POOL_POLICY_TIERED;
	name = pool_policy_name(p->policy);
	if (!have_set && (p->policy == POOL_POLICY_BIND ||
			  p->policy == POOL_POLICY_PREFERRED ||
			  p->policy == POOL_POLICY_INTERLEAVE))
		return poolctl_err(p->cmd, EINVAL, "policy %s needs "
				   "--members or --nodes", name);
	if (p->have_weights && p->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_err(p->cmd, EINVAL, "--weights needs "
				   "--policy interleave, not %s", name);
	if (p->have_granularity && p->policy != POOL_POLICY_INTERLEAVE)
		return poolctl_err(p->cmd, EINVAL, "--granularity needs "
				   "--policy interleave, not %s", name);
	if (p->nodes && check_nodes(p))
		return 1;
	if (p->have_initiator && p->initiator >= 0 &&
	    !poolctl_node_has_cpus(p->initiator))
		return poolctl_err(p->cmd, EINVAL, "initiator %d is not a "
				   "node with CPUs", p->initiator);
	if (p->have_weights && p->nr_weights != p->nr_members)
		return poolctl_err(p->cmd, EINVAL, "%u weights for %u "
				   "members", p->nr_weights, p->nr_members);
	return 0;
}

int poolctl_place_check_pool(struct poolctl_place *p, struct pool_ctx *ctx)
{
	struct pool_member *m;
	unsigned long node;
	unsigned int i;

	for (i = 0; p->members_arg && i < p->nr_members; i++)
		if (!pool_member_get_by_id(ctx, p->members[i]))
			return poolctl_err(p->cmd, ENOENT, "no member %u",
					   p->members[i]);
	for (node = 0; p->node_mask && node < p->node_mask->size; node++) {
		if (!numa_bitmask_isbitset(p->node_mask, (unsigned int)node))
			continue;
		pool_member_foreach(ctx, m)
			if (strcmp(pool_member_get_kind(m), "node") == 0 &&
			    pool_member_get_node(m) == (int)node)
				break;
		if (!m)
			return poolctl_err(p->cmd, ENOENT, "no member for "
					   "node %lu", node);
	}
	return 0;
}

void poolctl_place_opts(const struct poolctl_place *p,
			struct pool_alloc_opts *opts)
{
	POOL_OPTS(pool_alloc_opts, o,
		.policy = p->policy,
		.members = p->members_arg ? p->members : NULL,
		.nr_members = p->members_arg ? p->nr_members : 0,
		.nodes = p->nodes,
		.weights = p->have_weights ? p->weights : NULL,
		.granularity = p->granularity,
		.initiator = p->initiator,
		.initiator_set = p->have_initiator,
	);
	*opts = o;
}

void poolctl_place_release(struct poolctl_place *p)
{
	if (p->node_mask)
		numa_bitmask_free(p->node_mask);
	p->node_mask = NULL;
}
