// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl member: add and remove peer members (PCI BARs), drain members.
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
#include <linux/scalepool.h>

#include "poolctl.h"

#define CMD "member"

struct member_args {
	int bar;
};

static int opt_bar(void *args, const char *arg)
{
	struct member_args *a = args;
	unsigned int bar;

	if (poolctl_parse_uint(arg, &bar) || bar > 5)
		return poolctl_err(CMD, EINVAL, "bad BAR index '%s' (0 to 5)",
				   arg);
	a->bar = (int)bar;
	return 0;
}

static const struct poolctl_option member_options[] = {
	POOLCTL_OPT_CALLBACK('b', "bar", "<N>", opt_bar,
		"the BAR index, 0 to 5"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_member = {
	.cmd = CMD,
	.text =
"usage: poolctl member add pci:<DDDD:BB:DD.F> [--bar <N>]\n"
"       poolctl member remove <id>|<name>\n"
"       poolctl member drain <id>|<name>\n"
"\n"
"add: make a BAR of a PCI device a \"bar\" member of the pool.  The\n"
"device must be unbound (it is bound to the scalepool PCI driver) or\n"
"bound to scalepool already.  Without --bar, its largest prefetchable\n"
"memory BAR (one that is not prefetchable may hold registers: it is\n"
"added only when named with --bar); a BAR must be at least 1 MiB.\n"
"Prints the new member as JSON,\n"
"{\"id\", \"name\", \"pci\", \"bar\", \"capacity\"}.\n"
"\n"
"remove: remove a bar member.  Mappings of its allocations are revoked\n"
"(accesses get SIGBUS).  The device is unbound from scalepool when it\n"
"has no other member.  Node members cannot be removed; p2pmem members\n"
"come and go with the driver that publishes their memory.\n"
"\n"
"drain: move every page of a node member to the other members each\n"
"allocation's policy allows, within their limits, while the memory\n"
"stays mapped and in use.  Refused when there is no room, a page is\n"
"pinned (GUP) or a dma-buf importer maps an allocation; bar and p2pmem\n"
"allocations do not move.  New allocations may use the member again.\n"
"\n"
"All need root.  A refusal is the one line libpool logs for it.\n",
	.options = member_options,
	.permute = true,	/* pci:BDF --bar N */
};

static int print_member(struct pool_member *m)
{
	bool ok = true;
	struct json_object *root = poolctl_json_bar_member(m, &ok);

	return poolctl_print_json(CMD, root, ok, stdout);
}

static int member_add(int argc, char **argv, struct pool_ctx **ctx)
{
	struct member_args a = { .bar = -1 };
	const char *dev;
	unsigned int id;
	int rc;

	rc = poolctl_parse_options(&usage_member, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind == argc)
		return poolctl_err(CMD, EINVAL, "no device given "
				   "(pci:DDDD:BB:DD.F)");
	if (argc - optind > 1)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind + 1]);
	dev = argv[optind];
	if (strncmp(dev, "pci:", 4) || pool_pci_check_address(dev + 4))
		return poolctl_err(CMD, EINVAL, "bad device '%s' (expected "
				   "pci:DDDD:BB:DD.F)", dev);

	if (poolctl_open(CMD, ctx))
		return 1;
	/* libpool logs why it refused, through poolctl_open()'s log. */
	rc = pool_member_add_bar(*ctx, dev + 4, a.bar, &id);
	if (rc)
		return poolctl_failed(CMD, -rc, "cannot add %s", dev + 4);
	return print_member(pool_member_get_by_id(*ctx, id));
}

/*
 * The one member argument of remove and drain, by id or name: 0 with
 * *@m set, or poolctl's exit status (help printed, or an error).
 */
static int member_arg(int argc, char **argv, struct pool_ctx **ctx,
		      struct pool_member **m)
{
	struct pool_member *it;
	unsigned int id;
	const char *arg;

	*m = NULL;
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		poolctl_print_usage(&usage_member, stdout);
		return -1;
	}
	if (argc < 2)
		return poolctl_err(CMD, EINVAL, "no member given");
	if (argc > 2)
		return poolctl_err(CMD, EINVAL, "unexpected argument "
				   "'%s'", argv[2]);
	arg = argv[1];
	if (poolctl_open(CMD, ctx))
		return 1;
	if (!poolctl_parse_uint(arg, &id))
		*m = pool_member_get_by_id(*ctx, id);
	else
		pool_member_foreach(*ctx, it)
			if (!strcmp(pool_member_get_name(it), arg))
				*m = it;
	if (!*m)
		return poolctl_err(CMD, ENOENT, "no member '%s'", arg);
	return 0;
}

static int member_drain(int argc, char **argv, struct pool_ctx **ctx)
{
	struct pool_member *m;
	int rc;

	rc = member_arg(argc, argv, ctx, &m);
	if (rc)
		return rc < 0 ? 0 : rc;
	/* libpool logs the module's reason for a refusal. */
	rc = pool_member_drain(m);
	if (rc)
		return poolctl_failed(CMD, -rc, "cannot drain member '%s'",
				      argv[1]);
	return 0;
}

static int member_remove(int argc, char **argv, struct pool_ctx **ctx)
{
	struct pool_member *m;
	const char *arg = argc > 1 ? argv[1] : "";
	int rc;

	rc = member_arg(argc, argv, ctx, &m);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (strcmp(pool_member_get_kind(m), "bar"))
		return poolctl_err(CMD, EINVAL, "member '%s' is a %s "
			"member: only bar members can be removed", arg,
			pool_member_get_kind(m));
	rc = pool_member_remove(m);
	if (rc)
		return poolctl_failed(CMD, -rc, "cannot remove member '%s'",
				      arg);
	return 0;
}

int cmd_member(int argc, char **argv, struct pool_ctx **ctx)
{
	if (argc < 2)
		return poolctl_err(CMD, EINVAL, "no subcommand (add, remove "
				   "or drain)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		poolctl_print_usage(&usage_member, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "add"))
		return member_add(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "remove"))
		return member_remove(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "drain"))
		return member_drain(argc - 1, argv + 1, ctx);
	return poolctl_err(CMD, EINVAL, "unknown subcommand '%s' (add, "
			   "remove or drain)", argv[1]);
}
