// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the scalepool command line tool.  A table of subcommands in
 * the style of git and cxl; output on stdout, errors on stderr, exit
 * status 0 on success and 1 on any error.
 */
#include <errno.h>
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

static const char usage_help[] =
"usage: poolctl help [<command>]\n"
"\n"
"Without a command, list the commands; with one, show its usage.\n";

static const char usage_version[] =
"usage: poolctl version\n"
"       poolctl --version\n"
"\n"
"Print the version of poolctl.\n";

static const struct poolctl_cmd commands[] = {
	{ "list", cmd_list, "list the members of the pool", usage_list },
	{ "alloc", cmd_alloc, "allocate memory and show where it landed",
	  usage_alloc },
	{ "stat", cmd_stat, "show the pool's usage by member and process",
	  usage_stat },
	{ "limit", cmd_limit, "show or set a member's limit", usage_limit },
	{ "bench", cmd_bench, "measure latency and bandwidth of the members",
	  usage_bench },
	{ "member", cmd_member, "add or remove a PCI BAR member",
	  usage_member },
	{ "help", cmd_help, "show the commands or a command's usage",
	  usage_help },
	{ "version", cmd_version, "print the version", usage_version },
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

void poolctl_error(const char *fmt, ...)
{
	va_list args;

	fputs("poolctl: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

void poolctl_print_usage(const char *cmd, FILE *f)
{
	const struct poolctl_cmd *c = find_command(cmd);

	if (c)
		fputs(c->usage, f);
}

/* An error in how @cmd was called: message, then usage, exit status 1. */
int poolctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "poolctl %s: ", cmd);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputs("\n\n", stderr);
	poolctl_print_usage(cmd, stderr);
	return 1;
}

/* Opens the pool once; the error is on stderr when this fails. */
int poolctl_open(struct pool_ctx **ctx)
{
	int rc;

	if (*ctx)
		return 0;
	rc = pool_new(ctx);
	switch (rc) {
	case 0:
		return 0;
	case -ENODEV:
		if (access("/sys/module/scalepool", F_OK) != 0)
			poolctl_error("%s", "scalepool module not loaded "
				      "(no /dev/scalepool)");
		else
			poolctl_error("%s", "no /dev/scalepool (the module "
				      "is loaded: is the device node missing?)");
		break;
	case -EACCES:
	case -EPERM:
		poolctl_error("cannot open /dev/scalepool: %s (needs root or "
			      "a group granted access)", strerror(-rc));
		break;
	case -EPROTO:
		poolctl_error("the scalepool module's ABI is not version %d, "
			      "the one this libpool speaks",
			      SCALEPOOL_ABI_VERSION);
		break;
	default:
		poolctl_error("cannot open the pool: %s", strerror(-rc));
		break;
	}
	*ctx = NULL;
	return rc;
}

int poolctl_open_cmd(const char *cmd, struct pool_ctx **ctx)
{
	int rc;

	if (*ctx)
		return 0;
	rc = pool_new(ctx);
	if (!rc)
		return 0;
	*ctx = NULL;
	switch (rc) {
	case -ENODEV:
		if (access("/sys/module/scalepool", F_OK) != 0)
			return poolctl_cmd_error(cmd, -rc, "scalepool module "
				"not loaded (no /dev/scalepool)");
		return poolctl_cmd_error(cmd, -rc, "no /dev/scalepool (the "
			"module is loaded: is the device node missing?)");
	case -EACCES:
	case -EPERM:
		return poolctl_cmd_error(cmd, -rc, "cannot open /dev/scalepool "
			"(needs root or a group granted access)");
	case -EPROTO:
		return poolctl_cmd_error(cmd, -rc, "the scalepool module's ABI "
			"is not version %d", SCALEPOOL_ABI_VERSION);
	default:
		return poolctl_cmd_error(cmd, -rc, "cannot open the pool");
	}
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

	if (argc > 2)
		return poolctl_usage_error("help", "too many arguments");
	if (argc < 2) {
		print_main_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_help, stdout);
		return 0;
	}
	c = find_command(argv[1]);
	if (!c) {
		poolctl_error("'%s' is not a poolctl command, see "
			      "'poolctl help'", argv[1]);
		return 1;
	}
	fputs(c->usage, stdout);
	return 0;
}

int cmd_version(int argc, char **argv, struct pool_ctx **ctx)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		fputs(usage_version, stdout);
		return 0;
	}
	if (argc > 1)
		return poolctl_usage_error("version", "unexpected argument '%s'",
					   argv[1]);
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
		poolctl_error("unknown option '%s'", argv[1]);
		print_main_usage(stderr);
		return 1;
	}

	cmd = find_command(argv[1]);
	if (!cmd) {
		poolctl_error("'%s' is not a poolctl command, see "
			      "'poolctl help'", argv[1]);
		return 1;
	}
	rc = cmd->fn(argc - 1, argv + 1, &ctx);
	pool_unref(ctx);

	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (!rc)
			poolctl_error("cannot write output: %s",
				      strerror(errno));
		rc = 1;
	}
	return rc ? 1 : 0;
}
