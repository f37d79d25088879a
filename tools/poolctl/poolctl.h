/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl: the scalepool command line tool.
 */
#ifndef _POOLCTL_H_
#define _POOLCTL_H_

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/scalepool.h>

#include <preload/place-rules.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct pool_ctx;
struct json_object;

/*
 * One option of a command, in its table (options.c): parsing, action and
 * help come from this one entry.  The action writes the field at
 * @offset of the command's argument struct: a bool (FLAG), a bit of an
 * unsigned int (BIT), the value as a string (STRING), or @parse (the
 * struct and the value; 0, or 1 after printing the error).  --help is
 * added to every table.
 */
enum poolctl_opt_type {
	POOLCTL_OPT_TYPE_FLAG,
	POOLCTL_OPT_TYPE_BIT,
	POOLCTL_OPT_TYPE_STRING,
	POOLCTL_OPT_TYPE_CALLBACK,
};

struct poolctl_option {
	int short_name;			/* 0: long only */
	const char *long_name;		/* NULL ends a table */
	const char *argh;		/* "<size>": takes a value */
	const char *help;		/* lines after a '\n' are indented */
	enum poolctl_opt_type type;
	size_t offset;
	unsigned int bit;
	int (*parse)(void *args, const char *val);
};

#define POOLCTL_OPT_FLAG(s, l, off, h) \
	{ (s), (l), NULL, (h), POOLCTL_OPT_TYPE_FLAG, (off), 0, NULL }
#define POOLCTL_OPT_BIT(s, l, off, b, h) \
	{ (s), (l), NULL, (h), POOLCTL_OPT_TYPE_BIT, (off), (b), NULL }
#define POOLCTL_OPT_STRING(s, l, a, off, h) \
	{ (s), (l), (a), (h), POOLCTL_OPT_TYPE_STRING, (off), 0, NULL }
#define POOLCTL_OPT_CALLBACK(s, l, a, fn, h) \
	{ (s), (l), (a), (h), POOLCTL_OPT_TYPE_CALLBACK, 0, 0, (fn) }
#define POOLCTL_OPT_END { 0 }

/*
 * A command's usage: @text (synopsis and description), then the
 * options' help made from @options, then @epilogue when there is one.
 * @permute lets options follow operands (member add pci:X --bar N).
 */
struct poolctl_usage {
	const char *cmd;
	const char *text;
	const struct poolctl_option *options;
	const char *epilogue;
	bool permute;
};

/*
 * Parses @argv's options into @args.  Returns -1 when the command goes
 * on (optind at its first operand), else the exit status: 0 after
 * --help (the usage on stdout), 1 after an error on stderr.
 */
int poolctl_parse_options(const struct poolctl_usage *u, void *args,
			  int argc, char **argv);
void poolctl_print_usage(const struct poolctl_usage *u, FILE *f);

/*
 * One subcommand.  @fn gets argv[0] = the command's name and parses its
 * own options; it opens the pool with poolctl_open() only when it needs
 * it, so that --help and usage errors work without the module.  It
 * returns the exit status: 0, or 1 after printing an error to stderr.
 */
struct poolctl_cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct pool_ctx **ctx);
	const char *summary;			/* for 'poolctl help' */
	const struct poolctl_usage *usage;
};

/*
 * Every error is one line on stderr, "poolctl <cmd>: <reason>: <strerror
 * (err)>" ("poolctl: " without @cmd, no strerror when @err is 0), and
 * the exit status 1 is returned.  poolctl_usage_err() adds the usage,
 * for the commands whose usage errors show it (list, help, version).
 * poolctl_err() and poolctl_verr() are in report.c, which the plugins
 * share (plugin.h).
 */
__attribute__((format(printf, 3, 4)))
int poolctl_err(const char *cmd, int err, const char *fmt, ...);
__attribute__((format(printf, 3, 0)))
void poolctl_verr(const char *cmd, int err, const char *fmt, va_list args);
__attribute__((format(printf, 2, 3)))
int poolctl_usage_err(const struct poolctl_usage *u, const char *fmt, ...);
/*
 * Opens the pool once; the error is on stderr (poolctl_err) if not.
 * From then on libpool's messages at LOG_ERR are @cmd's errors, one
 * line each without an errno text: "poolctl <cmd>: <message>".
 */
int poolctl_open(const char *cmd, struct pool_ctx **ctx);
/* poolctl_err(), unless libpool has logged an error (which said why). */
__attribute__((format(printf, 3, 4)))
int poolctl_failed(const char *cmd, int err, const char *fmt, ...);

int cmd_help(int argc, char **argv, struct pool_ctx **ctx);
int cmd_version(int argc, char **argv, struct pool_ctx **ctx);
int cmd_list(int argc, char **argv, struct pool_ctx **ctx);
int cmd_alloc(int argc, char **argv, struct pool_ctx **ctx);
int cmd_bind(int argc, char **argv, struct pool_ctx **ctx);
int cmd_stat(int argc, char **argv, struct pool_ctx **ctx);
int cmd_limit(int argc, char **argv, struct pool_ctx **ctx);
int cmd_bench(int argc, char **argv, struct pool_ctx **ctx);
int cmd_member(int argc, char **argv, struct pool_ctx **ctx);
int cmd_migrate(int argc, char **argv, struct pool_ctx **ctx);
int cmd_apply(int argc, char **argv, struct pool_ctx **ctx);
int cmd_monitor(int argc, char **argv, struct pool_ctx **ctx);

extern const struct poolctl_usage usage_list;
extern const struct poolctl_usage usage_alloc;
extern const struct poolctl_usage usage_bind;
extern const struct poolctl_usage usage_stat;
extern const struct poolctl_usage usage_limit;
extern const struct poolctl_usage usage_bench;
extern const struct poolctl_usage usage_member;
extern const struct poolctl_usage usage_migrate;
extern const struct poolctl_usage usage_apply;
extern const struct poolctl_usage usage_monitor;

/* --human, the only option of list, stat and limit besides --help. */
struct poolctl_view_args {
	bool human;
};
extern const struct poolctl_option poolctl_view_options[];

/*
 * The files poolctl loads besides libpool (libpool-preload.so for bind,
 * the plugins of plugin.h): in scalepool/ beside the libpool.so.1 that
 * poolctl runs with (make install puts them in LIBDIR/scalepool/), else
 * beside that library (the build tree, build/ or build/san/).  @path
 * gets the first of the two that exists: 0.  Else -ENOENT with @path
 * the first place looked at, -ENAMETOOLONG, or -ESRCH when where libpool
 * is loaded from is unknown (plugin.c).
 */
int poolctl_find_lib(const char *name, char *path, size_t len);

/* The kernel takes only CPU nodes as initiators (util.c). */
bool poolctl_node_has_cpus(int node);
/* numa_parse_nodestring() without libnuma's warnings: poolctl says why. */
struct bitmask *poolctl_parse_nodes(const char *s);

/* A decimal unsigned int: 0, -EINVAL or -EOVERFLOW. */
int poolctl_parse_uint(const char *s, unsigned int *val);
/*
 * "1,3" (and "0-2" when @ranges) into at most @max @vals, in order:
 * 0, -EINVAL (syntax), -EOVERFLOW, -E2BIG (more than @max), or -EEXIST
 * (a repeated value, when @ranges).
 */
int poolctl_parse_list(const char *s, bool ranges, unsigned int max,
		       unsigned int *vals, unsigned int *nr);
/*
 * poolctl_parse_list() of an option's list of @what ("member": "bad
 * member list '0,'"), at most SCALEPOOL_MAX_MEMBERS: 0, or 1 after
 * printing @cmd's error.
 */
int poolctl_parse_list_arg(const char *cmd, const char *what,
			   const char *arg, bool ranges, unsigned int *vals,
			   unsigned int *nr);
/* The longest --hold or --duration: a year, so that seconds fit any use. */
#define POOLCTL_MAX_SECONDS	(366.0 * 24 * 3600)
/* Seconds, a finite decimal of 0 or more: 0 or -EINVAL. */
int poolctl_parse_seconds(const char *s, double *val);

/*
 * A size option (pool_parse_size()) of at most @max, 0 only when
 * @zero_ok (place.c): 0, or 1 after printing @cmd's error.
 */
int poolctl_parse_size_arg(const char *cmd, const char *what,
			   const char *arg, unsigned long long max,
			   bool zero_ok, unsigned long long *val);

/*
 * The placement options of alloc and migrate (place.c).  The struct is
 * the first field of the command's argument struct, so that the
 * options' callbacks and offsets reach it through the args pointer.
 */
struct pool_alloc_opts;
struct bitmask;
struct poolctl_place {
	const char *cmd;		/* for the errors */
	/* The options, by the rules the preload shares (place-rules.h). */
	struct place_rules r;
	struct bitmask *node_mask;
};
int poolctl_place_opt_policy(void *args, const char *arg);
int poolctl_place_opt_members(void *args, const char *arg);
int poolctl_place_opt_weights(void *args, const char *arg);
int poolctl_place_opt_granularity(void *args, const char *arg);
int poolctl_place_opt_initiator(void *args, const char *arg);
#define POOLCTL_PLACE_OPTIONS						\
	POOLCTL_OPT_CALLBACK('p', "policy", "<policy>",			\
		poolctl_place_opt_policy,				\
		"bind, preferred, interleave, nearest or\n"		\
		"tiered; default: bind with --members or\n"		\
		"--nodes, else tiered over every member"),		\
	POOLCTL_OPT_CALLBACK('m', "members", "<ids>",			\
		poolctl_place_opt_members,				\
		"member ids in order, as 2,0 or 0-1"),			\
	POOLCTL_OPT_STRING('n', "nodes", "<nodes>",			\
		offsetof(struct poolctl_place, r.nodes),		\
		"the members of these NUMA nodes, as 0-1,2"),		\
	POOLCTL_OPT_CALLBACK('w', "weights", "<list>",			\
		poolctl_place_opt_weights,				\
		"interleave weights, one per member: 3,1"),		\
	POOLCTL_OPT_CALLBACK('g', "granularity", "<size>",		\
		poolctl_place_opt_granularity,				\
		"interleave chunk size (default: a page)"),		\
	POOLCTL_OPT_CALLBACK('i', "initiator", "<node>",		\
		poolctl_place_opt_initiator,				\
		"CPU node to place for, or local (default)")
/*
 * The rules between the options and the node list, without the module
 * (the default policy is set here); then the members and nodes against
 * the pool.  0, or 1 after printing the error.
 */
int poolctl_place_check(struct poolctl_place *p);
int poolctl_place_check_pool(struct poolctl_place *p, struct pool_ctx *ctx);
/* The libpool options the placement options say. */
void poolctl_place_opts(const struct poolctl_place *p,
			struct pool_alloc_opts *opts);
void poolctl_place_release(struct poolctl_place *p);

/*
 * JSON (report.c: the plugins share them).  The builders take @ok, which
 * turns false when json-c runs out of memory; a NULL value is JSON null.
 */
void pj_add(struct json_object *obj, const char *key,
	    struct json_object *val, bool *ok);
void pj_append(struct json_object *arr, struct json_object *val, bool *ok);
struct json_object *pj_object(bool *ok);
struct json_object *pj_array(bool *ok);
struct json_object *pj_u64(unsigned long long v, bool *ok);
struct json_object *pj_int(long long v, bool *ok);
struct json_object *pj_bool(bool v, bool *ok);
/* Written with @decimals decimals. */
struct json_object *pj_double(double v, int decimals, bool *ok);
struct json_object *pj_str(const char *s, bool *ok);	/* NULL: null */
/* Prints @root pretty (when @ok) and frees it; 0 or 1. */
int poolctl_print_json(const char *cmd, struct json_object *root, bool ok,
		       FILE *f);

#define POOLCTL_P2PMEM_ABSENT "no p2pmem members: the kernel lacks " \
	"CONFIG_PCI_P2PDMA (or the module does not support it)"

struct pool_buf;
struct pool_member;
struct pool_placement;
struct pool_process_usage;
struct json_object *poolctl_json_list(struct pool_ctx *ctx, bool *ok);
int poolctl_json_stat(struct pool_ctx *ctx, int self_pid,
		      struct json_object **root, bool *ok);
struct json_object *poolctl_json_process(const struct pool_process_usage *r,
					 bool *ok);
struct pool_process_allocation;
struct json_object *poolctl_json_allocation(
	const struct pool_process_allocation *a, bool *ok);
struct json_object *poolctl_json_limit(struct pool_member *m, bool *ok);
struct json_object *poolctl_json_bar_member(struct pool_member *m, bool *ok);
struct json_object *poolctl_json_placement(const struct pool_placement *pl,
					   int n, bool *ok);
/*
 * The placement of @buf (pool_buf_get_placement()) in a malloc'ed array
 * (NULL when empty): its entries, or -errno (util.c).
 */
int poolctl_buf_placement(struct pool_buf *buf, struct pool_placement **pl);
struct json_object *poolctl_json_alloc(struct pool_buf *buf,
				       const struct pool_placement *pl, int n,
				       const char *basis, int state, bool *ok);

/* An aligned table: titles, then @nr_rows rows of @nr_cols cells. */
#define POOLCTL_CELL_MAX	128
#define POOLCTL_COLS_MAX	16
void poolctl_print_table(FILE *f, int nr_cols, const char *const *titles,
			 const bool *right, char (*cells)[POOLCTL_CELL_MAX],
			 int nr_rows);

/*
 * --human: a column shows the value of @key in each object of the rows
 * (the whole object when @key is NULL) through @fmt, or as its JSON text
 * ("-" for none) without one.
 */
struct poolctl_column {
	const char *title;
	const char *key;
	bool right;
	void (*fmt)(struct json_object *val, char *cell);
};
/* 0, or -ENOMEM. */
int poolctl_print_rows(FILE *f, struct json_object *rows,
		       const struct poolctl_column *cols, int nr_cols);
void poolctl_cell_size(struct json_object *v, char *cell);	/* KiB.. */
void poolctl_cell_limit(struct json_object *v, char *cell);	/* or none */

/* The output of list and stat (host tests check it). */
int poolctl_list_json(struct pool_ctx *ctx, FILE *f);
int poolctl_list_human(struct pool_ctx *ctx, FILE *f);
int poolctl_stat_json(struct pool_ctx *ctx, int self_pid, FILE *f);
/* @allocations: a third table, of the allocations (--allocations). */
int poolctl_stat_human(struct pool_ctx *ctx, int self_pid, bool allocations,
		       FILE *f);

#endif /* _POOLCTL_H_ */
