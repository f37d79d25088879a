// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the scalepool command line tool.  A table of subcommands in
 * the style of git and cxl; output on stdout, errors on stderr, exit
 * status 0 on success and 1 on any error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/scalepool.h>
#include <libpool.h>

#include "poolctl.h"

#ifndef POOL_VERSION
#define POOL_VERSION "unknown"
#endif

static const struct poolctl_usage usage_help = {
	.cmd = "help",
	.text = "usage: poolctl help [<command>]\n"
		"\n"
		"Without a command, list the commands; with one, show its "
		"usage.\n",
};

static const struct poolctl_usage usage_version = {
	.cmd = "version",
	.text = "usage: poolctl version\n"
		"       poolctl --version\n"
		"\n"
		"Print the version of poolctl.\n",
};

static const struct poolctl_cmd commands[] = {
	{ "list", cmd_list, "list the members of the pool", &usage_list },
	{ "alloc", cmd_alloc, "allocate memory and show where it landed",
	  &usage_alloc },
	{ "bind", cmd_bind, "run a command with its large allocations in the "
	  "pool", &usage_bind },
	{ "stat", cmd_stat, "show the pool's usage by member and process",
	  &usage_stat },
	{ "limit", cmd_limit, "show or set a member's limit", &usage_limit },
	{ "bench", cmd_bench, "measure latency and bandwidth of the members",
	  &usage_bench },
	{ "member", cmd_member, "add or remove a PCI BAR member, drain a member",
	  &usage_member },
	{ "migrate", cmd_migrate, "move a process's allocation to other "
	  "members", &usage_migrate },
	{ "apply", cmd_apply, "make the pool what /etc/scalepool/ says",
	  &usage_apply },
	{ "monitor", cmd_monitor, "follow the module's trace events as JSON",
	  &usage_monitor },
	{ "help", cmd_help, "show the commands or a command's usage",
	  &usage_help },
	{ "version", cmd_version, "print the version", &usage_version },
};

#define NR_COMMANDS ARRAY_SIZE(commands)

static const struct poolctl_cmd *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void print_main_usage(FILE *f)
{
	size_t i;

	fputs("usage: poolctl [--version] [--help] <command> [<args>]\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "   %-10s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nSee 'poolctl help <command>' for the options of one.\n", f);
}

int cmd_help(int argc, char **argv, struct pool_ctx **ctx)
{
	const struct poolctl_cmd *c;
	int rc;

	rc = poolctl_parse_options(&usage_help, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	if (argc - optind > 1)
		return poolctl_usage_err(&usage_help, "too many arguments");
	if (optind == argc) {
		print_main_usage(stdout);
		return 0;
	}
	c = find_command(argv[optind]);
	if (!c)
		return poolctl_err(NULL, 0, "'%s' is not a poolctl command, "
				   "see 'poolctl help'", argv[optind]);
	poolctl_print_usage(c->usage, stdout);
	return 0;
}

int cmd_version(int argc, char **argv, struct pool_ctx **ctx)
{
	int rc;

	rc = poolctl_parse_options(&usage_version, NULL, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_usage_err(&usage_version, "unexpected argument "
					 "'%s'", argv[optind]);
	printf("poolctl %s\n", POOL_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	const struct poolctl_cmd *cmd;
	struct pool_ctx *ctx = NULL;
	int rc;

	if (argc < 2) {
		print_main_usage(stderr);
		return 1;
	}
	if (argv[1][0] == '-') {
		if (strcmp(argv[1], "--version") == 0)
			return cmd_version(1, argv, &ctx);
		if (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0) {
			print_main_usage(stdout);
			return 0;
		}
		poolctl_err(NULL, 0, "unknown option '%s'", argv[1]);
		print_main_usage(stderr);
		return 1;
	}

	cmd = find_command(argv[1]);
	if (!cmd)
		return poolctl_err(NULL, 0, "'%s' is not a poolctl command, "
				   "see 'poolctl help'", argv[1]);
	rc = cmd->fn(argc - 1, argv + 1, &ctx);
	pool_unref(ctx);

	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!rc)
			poolctl_err(NULL, errno, "cannot write output");
		rc = 1;
	}
	return rc ? 1 : 0;
}
