/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rules of a placement given as text: poolctl's placement options
 * (tools/poolctl/place.c) and the SCALEPOOL_BIND_* environment of
 * libpool-preload.so (scalepool-bind(7)).  One source, place-rules.c,
 * compiled into both; not part of libpool's ABI.
 */
#ifndef SCALEPOOL_PLACE_RULES_H
#define SCALEPOOL_PLACE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/scalepool.h>

/* Room for one message of these functions. */
#define PLACE_MSG_MAX	192

/* A placement as parsed so far. */
struct place_rules {
	int policy;			/* -1: the default */
	unsigned int members[SCALEPOOL_MAX_MEMBERS];
	unsigned int nr_members;	/* the members', or the nodes' count */
	const char *members_arg;	/* the member list as given */
	const char *nodes;		/* the node list as given */
	unsigned int weights[SCALEPOOL_MAX_MEMBERS];
	unsigned int nr_weights;
	bool have_weights;
	unsigned long long granularity;
	bool have_granularity;
	int initiator;
	bool have_initiator;
};

/* What the messages of place_rules_check() call each setting. */
struct place_rules_names {
	const char *members, *nodes, *weights, *granularity, *policy;
};

/*
 * What only the caller knows: how many nodes a node list names (0, or
 * an errno with a message in @msg; *nr = 0: cannot tell); whether a
 * node has CPUs.  Either may be NULL: that check is then left to
 * libpool and the kernel.
 */
struct place_rules_system {
	int (*count_nodes)(void *arg, const char *nodes, unsigned int *nr,
			   char *msg, size_t len);
	bool (*has_cpus)(int node);
	void *arg;			/* count_nodes()'s */
};

int place_rules_uint(const char *s, const char **end, unsigned int *val);
int place_rules_list(const char *s, bool ranges, unsigned int max,
		     unsigned int *vals, unsigned int *nr);
int place_rules_list_arg(const char *what, const char *s, bool ranges,
			 unsigned int *vals, unsigned int *nr, char *msg,
			 size_t len);
int place_rules_policy(struct place_rules *r, const char *s, char *msg,
		       size_t len);
int place_rules_members(struct place_rules *r, const char *s, char *msg,
			size_t len);
int place_rules_weights(struct place_rules *r, const char *s, char *msg,
			size_t len);
int place_rules_granularity(struct place_rules *r, const char *s,
			    char *msg, size_t len);
int place_rules_initiator(struct place_rules *r, const char *s, char *msg,
			  size_t len);
int place_rules_check(struct place_rules *r,
		      const struct place_rules_names *names,
		      const struct place_rules_system *sys, char *msg,
		      size_t len);

#endif
