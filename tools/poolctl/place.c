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

/* The error of a rule (place-rules.c), on poolctl's one line. */
static int place_err(const struct poolctl_place *p, int rc, const char *msg)
{
	return rc ? poolctl_err(p->cmd, rc, "%s", msg) : 0;
}

int poolctl_place_opt_policy(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_policy(&p->r, arg, msg, sizeof(msg)),
			 msg);
}

int poolctl_place_opt_members(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_members(&p->r, arg, msg, sizeof(msg)),
			 msg);
}

int poolctl_place_opt_weights(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_weights(&p->r, arg, msg, sizeof(msg)),
			 msg);
}

int poolctl_place_opt_granularity(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_granularity(&p->r, arg, msg,
						    sizeof(msg)), msg);
}

int poolctl_place_opt_initiator(void *args, const char *arg)
{
	struct poolctl_place *p = args;
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_initiator(&p->r, arg, msg,
						  sizeof(msg)), msg);
}

/* The nodes of a list, by libnuma's syntax; the mask kept in @arg. */
static int count_nodes(void *arg, const char *nodes, unsigned int *nr,
		       char *msg, size_t len)
{
	struct poolctl_place *p = arg;

	p->node_mask = poolctl_parse_nodes(nodes);
	if (!p->node_mask) {
		snprintf(msg, len, "bad node list '%s' (or a node that does "
			 "not exist)", nodes);
		return EINVAL;
	}
	*nr = numa_bitmask_weight(p->node_mask);
	if (!*nr) {
		snprintf(msg, len, "no nodes in '%s'", nodes);
		return EINVAL;
	}
	if (*nr > SCALEPOOL_MAX_MEMBERS) {
		snprintf(msg, len, "more than %d nodes in '%s'",
			 SCALEPOOL_MAX_MEMBERS, nodes);
		return E2BIG;
	}
	return 0;
}

int poolctl_place_check(struct poolctl_place *p)
{
	static const struct place_rules_names names = {
		.members = "--members", .nodes = "--nodes",
		.weights = "--weights", .granularity = "--granularity",
		.policy = "--policy",
	};
	const struct place_rules_system sys = {
		.count_nodes = count_nodes,
		.has_cpus = poolctl_node_has_cpus,
		.arg = p,
	};
	char msg[PLACE_MSG_MAX];

	return place_err(p, place_rules_check(&p->r, &names, &sys, msg,
					      sizeof(msg)), msg);
}

int poolctl_place_check_pool(struct poolctl_place *p, struct pool_ctx *ctx)
{
	struct pool_member *m;
	unsigned long node;
	unsigned int i;

	for (i = 0; p->r.members_arg && i < p->r.nr_members; i++)
		if (!pool_member_get_by_id(ctx, p->r.members[i]))
			return poolctl_err(p->cmd, ENOENT, "no member %u",
					   p->r.members[i]);
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
		.policy = p->r.policy,
		.members = p->r.members_arg ? p->r.members : NULL,
		.nr_members = p->r.members_arg ? p->r.nr_members : 0,
		.nodes = p->r.nodes,
		.weights = p->r.have_weights ? p->r.weights : NULL,
		.granularity = p->r.granularity,
		.initiator = p->r.initiator,
		.initiator_set = p->r.have_initiator,
	);
	*opts = o;
}

void poolctl_place_release(struct poolctl_place *p)
{
	if (p->node_mask)
		numa_bitmask_free(p->node_mask);
	p->node_mask = NULL;
}
