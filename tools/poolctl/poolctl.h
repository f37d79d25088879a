/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: the scalepool command line tool.
 */
#ifndef _POOLCTL_H_
#define _POOLCTL_H_

#include <stdbool.h>
#include <stdio.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct pool_ctx;
struct json_object;

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
int cmd_alloc(int argc, char **argv, struct pool_ctx **ctx);
int cmd_stat(int argc, char **argv, struct pool_ctx **ctx);
int cmd_limit(int argc, char **argv, struct pool_ctx **ctx);
int cmd_bench(int argc, char **argv, struct pool_ctx **ctx);
int cmd_member(int argc, char **argv, struct pool_ctx **ctx);

extern const char usage_list[];
extern const char usage_alloc[];
extern const char usage_stat[];
extern const char usage_limit[];
extern const char usage_bench[];
extern const char usage_member[];
/* The output of 'poolctl list', apart so that host tests can check it. */
int poolctl_list_json(struct pool_ctx *ctx, FILE *f);
int poolctl_list_human(struct pool_ctx *ctx, FILE *f);

/* The output of 'poolctl stat'; @self_pid is left out of the processes. */
int poolctl_stat_json(struct pool_ctx *ctx, int self_pid, FILE *f);
int poolctl_stat_human(struct pool_ctx *ctx, int self_pid, FILE *f);

/*
 * alloc, stat and limit report every error in one line on stderr,
 * "poolctl <cmd>: <reason>: <strerror(err)>", and no usage (util.c).
 * Both return 1, the exit status.
 */
__attribute__((format(printf, 3, 4)))
int poolctl_cmd_error(const char *cmd, int err, const char *fmt, ...);
/* For getopt_long()'s '?' and ':' (the optstring starts with "+:"). */
int poolctl_option_error(const char *cmd, int opt, char **argv);
/*
 * The options of list, stat and limit: --human and --help.  Returns -1
 * when the command goes on (optind at its first operand, *human set),
 * else the exit status: 0 after --help, 1 after an error on stderr.
 */
int poolctl_parse_view_opts(int argc, char **argv, const char *cmd,
			    const char *usage, bool *human);
/* poolctl_open() for those commands: the error in their format. */
int poolctl_open_cmd(const char *cmd, struct pool_ctx **ctx);

/* A decimal unsigned int: 0, -EINVAL or -EOVERFLOW. */
int poolctl_parse_uint(const char *s, unsigned int *val);
/*
 * "1,3" (and "0-2" when @ranges) into at most @max @vals, in order:
 * 0, -EINVAL (syntax), -EOVERFLOW, -E2BIG (more than @max), or -EEXIST
 * (a repeated value, when @ranges).
 */
int poolctl_parse_list(const char *s, bool ranges, unsigned int max,
		       unsigned int *vals, unsigned int *nr);

/* JSON building: *ok turns false when json-c runs out of memory. */
void pj_add(struct json_object *obj, const char *key,
	    struct json_object *val, bool *ok);
void pj_append(struct json_object *arr, struct json_object *val, bool *ok);
struct json_object *pj_u64(unsigned long long v, bool *ok);
struct json_object *pj_int(long long v, bool *ok);
struct json_object *pj_bool(bool v, bool *ok);
struct json_object *pj_str(const char *s, bool *ok);	/* NULL: null */
/* Prints @root pretty (when @ok) and frees it; 0 or 1. */
int poolctl_print_json(const char *cmd, struct json_object *root, bool ok,
		       FILE *f);

/* An aligned table: titles, then @nr_rows rows of @nr_cols cells. */
#define POOLCTL_CELL_MAX	128
#define POOLCTL_COLS_MAX	16
void poolctl_print_table(FILE *f, int nr_cols, const char *const *titles,
			 const bool *right, char (*cells)[POOLCTL_CELL_MAX],
			 int nr_rows);

#endif /* _POOLCTL_H_ */
