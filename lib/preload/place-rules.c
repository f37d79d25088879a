// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The rules of a placement given as text, in one place for poolctl's
 * placement options and the SCALEPOOL_BIND_* environment that
 * libpool-preload.so reads (place-rules.h).  Every function returns 0,
 * or a positive errno with one message in @msg that names no caller:
 * poolctl puts "poolctl CMD: " before it, the preload its own name and
 * the variable's.  No allocation: the preload runs this inside malloc.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpool.h>

#include "place-rules.h"

static int place_msg(char *msg, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int place_msg(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return err;
}

/**
 * place_rules_uint() - a decimal unsigned int at @s, up to @end
 * Return: 0; -EINVAL without a digit, -EOVERFLOW.
 */
int place_rules_uint(const char *s, const char **end, unsigned int *val)
{
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > UINT_MAX)
			return -EOVERFLOW;
	}
	*end = s;
	*val = (unsigned int)v;
	return 0;
}

/**
 * place_rules_list() - parse "2,0" (and "0-3" with @ranges) into @vals
 * Return: 0; -EINVAL on garbage, -EOVERFLOW, -E2BIG past @max values,
 * -EEXIST for a value given twice (with @ranges: a set, not a list).
 */
int place_rules_list(const char *s, bool ranges, unsigned int max,
		     unsigned int *vals, unsigned int *nr)
{
	unsigned int a, b, i, n = 0;
	const char *p = s;
	int rc;

	for (;;) {
		rc = place_rules_uint(p, &p, &a);
		if (rc)
			return rc;
		b = a;
		if (ranges && *p == '-') {
			rc = place_rules_uint(p + 1, &p, &b);
			if (rc)
				return rc;
			if (b < a)
				return -EINVAL;
		}
		for (;; a++) {
			for (i = 0; ranges && i < n; i++)
				if (vals[i] == a)
					return -EEXIST;
			if (n == max)
				return -E2BIG;
			vals[n++] = a;
			if (a == b)
				break;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*nr = n;
	return 0;
}

/* A list of @what ("member"), with the message for each way it is bad. */
int place_rules_list_arg(const char *what, const char *s, bool ranges,
			 unsigned int *vals, unsigned int *nr, char *msg,
			 size_t len)
{
	int rc = place_rules_list(s, ranges, SCALEPOOL_MAX_MEMBERS, vals, nr);

	if (rc == -EEXIST)
		return place_msg(msg, len, EINVAL, "%s list '%s' repeats a "
				 "%s", what, s, what);
	if (rc == -E2BIG)
		return place_msg(msg, len, E2BIG, "more than %d %ss in '%s'",
				 SCALEPOOL_MAX_MEMBERS, what, s);
	if (rc)
		return place_msg(msg, len, -rc, "bad %s list '%s'", what, s);
	return 0;
}

int place_rules_policy(struct place_rules *r, const char *s, char *msg,
		       size_t len)
{
	r->policy = pool_policy_from_name(s);
	if (r->policy < 0)
		return place_msg(msg, len, EINVAL, "unknown policy '%s' (bind, "
				 "preferred, interleave, nearest or tiered)",
				 s);
	return 0;
}

int place_rules_members(struct place_rules *r, const char *s, char *msg,
			size_t len)
{
	r->members_arg = s;
	return place_rules_list_arg("member", s, true, r->members,
				    &r->nr_members, msg, len);
}

int place_rules_weights(struct place_rules *r, const char *s, char *msg,
			size_t len)
{
	unsigned int i;
	int rc;

	rc = place_rules_list_arg("weight", s, false, r->weights,
				  &r->nr_weights, msg, len);
	if (rc)
		return rc;
	for (i = 0; i < r->nr_weights; i++)
		if (r->weights[i] < 1 || r->weights[i] > SCALEPOOL_MAX_WEIGHT)
			return place_msg(msg, len, EINVAL, "weight %u is not "
					 "between 1 and %d", r->weights[i],
					 SCALEPOOL_MAX_WEIGHT);
	r->have_weights = true;
	return 0;
}

int place_rules_granularity(struct place_rules *r, const char *s,
			    char *msg, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	int rc = pool_parse_size(s, &r->granularity);
	char max[32];

	r->have_granularity = true;
	if (rc == -EOVERFLOW)
		return place_msg(msg, len, EOVERFLOW, "granularity '%s' is "
				 "too large", s);
	if (!rc && r->granularity > SCALEPOOL_MAX_GRANULARITY) {
		pool_format_size(SCALEPOOL_MAX_GRANULARITY, max, sizeof(max));
		return place_msg(msg, len, EOVERFLOW, "granularity '%s' is "
				 "above the maximum of %s", s, max);
	}
	if (rc)
		return place_msg(msg, len, -rc, "bad granularity '%s'", s);
	if (!r->granularity)
		return place_msg(msg, len, EINVAL, "granularity must not be 0");
	if (r->granularity % (unsigned long)page)
		return place_msg(msg, len, EINVAL, "granularity '%s' is not a "
				 "multiple of the page size (%ld)", s, page);
	return 0;
}

int place_rules_initiator(struct place_rules *r, const char *s, char *msg,
			  size_t len)
{
	const char *end;
	unsigned int node;

	r->have_initiator = true;
	if (strcmp(s, "local") == 0) {
		r->initiator = POOL_INITIATOR_LOCAL;
		return 0;
	}
	if (place_rules_uint(s, &end, &node) || *end || node > INT_MAX)
		return place_msg(msg, len, EINVAL, "bad initiator '%s' (a node "
				 "number or local)", s);
	r->initiator = (int)node;
	return 0;
}

/* The policy's own demands: a set of members, weights, granularity. */
static int place_check_policy(const struct place_rules *r,
			      const struct place_rules_names *n, char *msg,
			      size_t len)
{
	const char *name = pool_policy_name(r->policy);
	bool have_set = r->members_arg || r->nodes;

	if (!have_set && (r->policy == POOL_POLICY_BIND ||
			  r->policy == POOL_POLICY_PREFERRED ||
			  r->policy == POOL_POLICY_INTERLEAVE))
		return place_msg(msg, len, EINVAL, "policy %s needs %s or %s",
				 name, n->members, n->nodes);
	if (r->have_weights && r->policy != POOL_POLICY_INTERLEAVE)
		return place_msg(msg, len, EINVAL, "%s needs %s interleave, "
				 "not %s", n->weights, n->policy, name);
	if (r->have_granularity && r->policy != POOL_POLICY_INTERLEAVE)
		return place_msg(msg, len, EINVAL, "%s needs %s interleave, "
				 "not %s", n->granularity, n->policy, name);
	return 0;
}

/**
 * place_rules_check() - the rules between the settings, once all are in
 * Sets the default policy (bind with members or nodes, else tiered) and
 * the number of members a node list names.
 */
int place_rules_check(struct place_rules *r,
		      const struct place_rules_names *names,
		      const struct place_rules_system *sys, char *msg,
		      size_t len)
{
	bool counted = r->members_arg;
	int rc;

	if (r->members_arg && r->nodes)
		return place_msg(msg, len, EINVAL, "%s and %s exclude each "
				 "other", names->members, names->nodes);
	if (r->policy < 0)
		r->policy = r->members_arg || r->nodes ? POOL_POLICY_BIND :
							 POOL_POLICY_TIERED;
	rc = place_check_policy(r, names, msg, len);
	if (rc)
		return rc;
	if (r->nodes && sys->count_nodes) {
		rc = sys->count_nodes(sys->arg, r->nodes, &r->nr_members, msg,
				      len);
		if (rc)
			return rc;
		counted = r->nr_members > 0;
	}
	if (r->have_initiator && r->initiator >= 0 && sys->has_cpus &&
	    !sys->has_cpus(r->initiator))
		return place_msg(msg, len, EINVAL, "initiator %d is not a node "
				 "with CPUs", r->initiator);
	if (r->have_weights && counted && r->nr_weights != r->nr_members)
		return place_msg(msg, len, EINVAL, "%u weights for %u members",
				 r->nr_weights, r->nr_members);
	return 0;
}
