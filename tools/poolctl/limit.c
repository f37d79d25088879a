// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl limit: show or set the administrator's limit on a member.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "limit"

const struct poolctl_usage usage_limit = {
	.cmd = CMD,
	.text =
"usage: poolctl limit [<options>] <member> [<size>|none]\n"
"\n"
"Show the limit of a member (by id), or set it: allocations that would\n"
"take the member's used bytes above <size> fail with ENOSPC; none (or\n"
"0) removes the limit.  Setting needs root.  Prints the member's limit\n"
"as JSON, {\"id\", \"name\", \"limit\"}, limit 0 meaning none; --human\n"
"prints \"<name>: <limit>\".\n",
	.options = poolctl_view_options,
};

/* --human: "<name>: <limit>" of the same object. */
static int print_limit(struct pool_member *m, bool human)
{
	struct json_object *root, *name, *limit;
	char cell[POOLCTL_CELL_MAX];
	bool ok = true;

	root = poolctl_json_limit(m, &ok);
	if (!human || !ok)
		return poolctl_print_json(CMD, root, ok, stdout);
	json_object_object_get_ex(root, "name", &name);
	json_object_object_get_ex(root, "limit", &limit);
	poolctl_cell_limit(limit, cell);
	printf("%s: %s\n", json_object_get_string(name), cell);
	json_object_put(root);
	return 0;
}

int cmd_limit(int argc, char **argv, struct pool_ctx **ctx)
{
	struct poolctl_view_args a = { 0 };
	unsigned long long bytes = 0;
	const char *size = NULL;
	struct pool_member *m;
	unsigned int id;
	int rc;

	rc = poolctl_parse_options(&usage_limit, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind == argc)
		return poolctl_err(CMD, EINVAL, "no member given");
	if (argc - optind > 2)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind + 2]);
	rc = poolctl_parse_uint(argv[optind], &id);
	if (rc)
		return poolctl_err(CMD, -rc, "bad member id '%s'",
				   argv[optind]);
	if (argc - optind == 2) {
		size = argv[optind + 1];
		rc = strcmp(size, "none") ? pool_parse_size(size, &bytes) : 0;
		if (rc)
			return poolctl_err(CMD, -rc, "bad size '%s'", size);
	}

	if (poolctl_open(CMD, ctx))
		return 1;
	m = pool_member_get_by_id(*ctx, id);
	if (!m)
		return poolctl_err(CMD, ENOENT, "no member %u", id);
	if (size) {
		rc = pool_member_set_limit(m, bytes);
		if (rc)
			return poolctl_err(CMD, -rc, "cannot set the limit of "
					   "member %u to %llu", id, bytes);
	}
	return print_limit(m, a.human);
}
