/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: the scalepool command line tool.
 */
#ifndef _POOLCTL_H_
#define _POOLCTL_H_

#include <stdio.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct pool_ctx;

/*
 * One subcommand.  @fn gets argv[0] = the command's name and parses its
 * own options; it opens the pool with poolctl_open() only when it needs
 * it, so that --help and usage errors work without the module.  It
 * returns the exit status: 0, or 1 after printing an error to stderr.
 */
struct poolctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct pool_ctx **ctx);
	const char *summary;	/* one line for 'poolctl help' */
	const char *usage;	/* for 'poolctl help NAME' and NAME --help */
};

__attribute__((format(printf, 1, 2)))
void poolctl_error(const char *fmt, ...);
int poolctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void poolctl_print_usage(const char *cmd, FILE *f);
int poolctl_open(struct pool_ctx **ctx);

int cmd_help(int argc, char **argv, struct pool_ctx **ctx);
int cmd_version(int argc, char **argv, struct pool_ctx **ctx);
int cmd_list(int argc, char **argv, struct pool_ctx **ctx);

extern const char usage_list[];
/* The output of 'poolctl list', apart so that host tests can check it. */
int poolctl_list_json(struct pool_ctx *ctx, FILE *f);
int poolctl_list_human(struct pool_ctx *ctx, FILE *f);

#endif /* _POOLCTL_H_ */
