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

const char usage_limit[] =
"usage: poolctl limit [<options>] <member> [<size>|none]\n"
"\n"
"Show the limit of a member (by id), or set it: allocations that would\n"
"take the member's used bytes above <size> fail with ENOSPC; none (or\n"
"0) removes the limit.  Setting needs root.  Prints the member's limit\n"
"as JSON, {\"id\", \"name\", \"limit\"}, limit 0 meaning none.\n"
"\n"
"    -u, --human    the limit in KiB/MiB/GiB, or none\n"
"    -h, --help     show this help\n";

static int print_limit(struct pool_member *m, bool human)
{
	unsigned long long limit = pool_member_get_limit(m);
	struct json_object *root;
	char size[32];
	bool ok = true;

	if (human) {
		if (limit)
			pool_format_size(limit, size, sizeof(size));
		printf("%s: %s\n", pool_member_get_name(m),
		       limit ? size : "none");
		return 0;
	}
	root = json_object_new_object();
	if (root) {
		pj_add(root, "id", pj_u64(pool_member_get_id(m), &ok), &ok);
		pj_add(root, "name", pj_str(pool_member_get_name(m), &ok), &ok);
		pj_add(root, "limit", pj_u64(limit, &ok), &ok);
	}
	return poolctl_print_json(CMD, root, ok, stdout);
}

int cmd_limit(int argc, char **argv, struct pool_ctx **ctx)
{
	unsigned long long bytes = 0;
	const char *size = NULL;
	struct pool_member *m;
	bool human;
	unsigned int id;
	int rc;

	rc = poolctl_parse_view_opts(argc, argv, CMD, usage_limit, &human);
	if (rc >= 0)
		return rc;
	if (optind == argc)
		return poolctl_cmd_error(CMD, EINVAL, "no member given");
	if (argc - optind > 2)
		return poolctl_cmd_error(CMD, EINVAL, "unexpected argument "
					 "'%s'", argv[optind + 2]);
	rc = poolctl_parse_uint(argv[optind], &id);
	if (rc)
		return poolctl_cmd_error(CMD, -rc, "bad member id '%s'",
					 argv[optind]);
	if (argc - optind == 2) {
		size = argv[optind + 1];
		rc = strcmp(size, "none") ? pool_parse_size(size, &bytes) : 0;
		if (rc)
			return poolctl_cmd_error(CMD, -rc, "bad size '%s'",
						 size);
	}

	if (poolctl_open_cmd(CMD, ctx))
		return 1;
	m = pool_member_get_by_id(*ctx, id);
	if (!m)
		return poolctl_cmd_error(CMD, ENOENT, "no member %u", id);
	if (size) {
		rc = pool_member_set_limit(m, bytes);
		if (rc)
			return poolctl_cmd_error(CMD, -rc, "cannot set the "
				"limit of member %u to %llu", id, bytes);
	}
	return print_limit(m, human);
}
