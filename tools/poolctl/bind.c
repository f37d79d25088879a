// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl bind: run a command with its large allocations placed in the
 * pool.  Checks the placement options (the same as alloc's, place.c),
 * turns them into the SCALEPOOL_BIND_* environment that
 * libpool-preload.so reads (scalepool-bind(7)), adds the preload to
 * LD_PRELOAD and execs the command.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <linux/scalepool.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "bind"
#define PRELOAD_NAME "libpool-preload.so"

struct bind_args {
	struct poolctl_place place;	/* first: the options reach it */
	unsigned long long threshold;
	bool have_threshold;
	bool strict;
	bool stats;
};

static int opt_threshold(void *args, const char *arg)
{
	struct bind_args *a = args;

	a->have_threshold = true;
	return poolctl_parse_size_arg(CMD, "threshold", arg,
				      SCALEPOOL_MAX_ALLOC_SIZE, false,
				      &a->threshold);
}

#define ARG(field) offsetof(struct bind_args, field)
_Static_assert(ARG(place) == 0, "the placement options reach it");

static const struct poolctl_option bind_options[] = {
	POOLCTL_PLACE_OPTIONS,
	POOLCTL_OPT_CALLBACK('t', "threshold", "<size>", opt_threshold,
		"allocations of this size or more go to\n"
		"the pool (default 256K)"),
	POOLCTL_OPT_FLAG(0, "strict", ARG(strict),
		"fail such an allocation (ENOMEM) when\n"
		"the pool cannot serve it, instead of\n"
		"falling back to ordinary memory"),
	POOLCTL_OPT_FLAG(0, "stats", ARG(stats),
		"print where the bytes went as JSON on\n"
		"stderr when the command exits"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_bind = {
	.cmd = CMD,
	.text =
"usage: poolctl bind [<options>] -- <command> [<args>]\n"
"\n"
"Run a command with its allocations of at least the threshold placed in\n"
"the pool with the policy the options give (libpool-preload.so through\n"
"LD_PRELOAD; smaller ones stay on the ordinary heap).  The exit status\n"
"is the command's.  The same settings in the environment, without\n"
"poolctl: scalepool-bind(7).\n",
	.options = bind_options,
	.epilogue =
"When the pool cannot serve an allocation (module absent, pool full, a\n"
"member's limit) it comes from ordinary memory and is counted, unless\n"
"--strict.  The placement is checked here; the command does not start\n"
"after an error.\n",
};

/*
 * libpool-preload.so in scalepool/ beside the libpool.so.1 poolctl runs
 * with (make install), else beside it (the build tree): the rule the
 * plugins follow too (poolctl_find_lib()).
 */
static int find_preload(char *path, size_t len)
{
	int rc = poolctl_find_lib(PRELOAD_NAME, path, len);

	if (rc == -ESRCH)
		return poolctl_err(CMD, ENOENT, "cannot find where libpool "
				   "is loaded from");
	if (rc == -ENAMETOOLONG)
		return poolctl_err(CMD, ENAMETOOLONG, "path too long");
	/* @path: <libpool's directory>scalepool/libpool-preload.so */
	if (rc)
		return poolctl_err(CMD, ENOENT, "no %s in %.*s or beside "
				   "libpool", PRELOAD_NAME,
				   (int)(strlen(path) - strlen(PRELOAD_NAME)),
				   path);
	return 0;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/* As execvp() will look @cmd up: 0 when it would run. */
static int check_command(const char *cmd)
{
	const char *dirs = getenv("PATH"), *end;
	char path[PATH_MAX];
	bool seen = false;

	if (!*cmd)
		return poolctl_err(CMD, ENOENT, "empty command");
	if (strchr(cmd, '/')) {
		if (access(cmd, F_OK) != 0)
			return poolctl_err(CMD, errno, "command '%s'", cmd);
		if (!is_executable(cmd))
			return poolctl_err(CMD, EACCES, "command '%s' is not "
					   "an executable file", cmd);
		return 0;
	}
	for (dirs = dirs ? dirs : "/usr/bin:/bin"; ; dirs = end + 1) {
		end = strchrnul(dirs, ':');
		if (snprintf(path, sizeof(path), "%.*s/%s", (int)(end - dirs),
			     end == dirs ? "." : dirs, cmd) < (int)sizeof(path)) {
			if (is_executable(path))
				return 0;
			seen |= access(path, F_OK) == 0;
		}
		if (!*end)
			break;
	}
	if (seen)
		return poolctl_err(CMD, EACCES, "command '%s' is not "
				   "executable", cmd);
	return poolctl_err(CMD, ENOENT, "command '%s' not found in PATH",
			   cmd);
}

static int set_env(const char *name, const char *val)
{
	if ((val ? setenv(name, val, 1) : unsetenv(name)) != 0)
		return poolctl_err(CMD, errno, "cannot set %s", name);
	return 0;
}

static int set_env_ull(const char *name, unsigned long long v)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu", v);
	return set_env(name, text);
}

/* The weights as the list the user gave, "3,1". */
static void weights_text(const struct poolctl_place *p, char *buf,
			 size_t len)
{
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < p->r.nr_weights && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", p->r.weights[i]);
}

static int export_placement(const struct poolctl_place *p)
{
	char text[SCALEPOOL_MAX_MEMBERS * 4 + 1];
	int rc;

	rc = set_env("SCALEPOOL_BIND_POLICY", pool_policy_name(p->r.policy));
	rc = rc ?: set_env("SCALEPOOL_BIND_NODES", p->r.nodes);
	rc = rc ?: set_env("SCALEPOOL_BIND_MEMBERS", p->r.members_arg);
	weights_text(p, text, sizeof(text));
	rc = rc ?: set_env("SCALEPOOL_BIND_WEIGHTS",
			   p->r.have_weights ? text : NULL);
	if (!rc && p->r.have_granularity)
		rc = set_env_ull("SCALEPOOL_BIND_GRANULARITY",
				 p->r.granularity);
	else
		rc = rc ?: set_env("SCALEPOOL_BIND_GRANULARITY", NULL);
	if (!rc && p->r.have_initiator && p->r.initiator >= 0)
		rc = set_env_ull("SCALEPOOL_BIND_INITIATOR",
				 (unsigned long long)p->r.initiator);
	else
		rc = rc ?: set_env("SCALEPOOL_BIND_INITIATOR",
				   p->r.have_initiator ? "local" : NULL);
	return rc;
}

static int export_env(const struct bind_args *a, const char *preload)
{
	const char *old = getenv("LD_PRELOAD");
	char *list;
	int rc;

	rc = export_placement(&a->place);
	if (!rc && a->have_threshold)
		rc = set_env_ull("SCALEPOOL_BIND_THRESHOLD", a->threshold);
	else
		rc = rc ?: set_env("SCALEPOOL_BIND_THRESHOLD", NULL);
	rc = rc ?: set_env("SCALEPOOL_BIND_STRICT", a->strict ? "1" : NULL);
	rc = rc ?: set_env("SCALEPOOL_BIND_STATS", a->stats ? "stderr" : NULL);
	/* exec keeps the pid: the command prints, its children do not. */
	if (!rc && a->stats)
		rc = set_env_ull("SCALEPOOL_BIND_STATS_PID",
				 (unsigned long long)getpid());
	else
		rc = rc ?: set_env("SCALEPOOL_BIND_STATS_PID", NULL);
	if (rc)
		return rc;
	/* First, so that its malloc is the one the program gets. */
	if (asprintf(&list, "%s%s%s", preload, old && *old ? ":" : "",
		     old && *old ? old : "") < 0)
		return poolctl_err(CMD, ENOMEM, "out of memory");
	rc = set_env("LD_PRELOAD", list);
	free(list);
	return rc;
}

/* The members and nodes against the pool, when there is one. */
static int check_pool(struct bind_args *a, struct pool_ctx **ctx)
{
	if (pool_new(ctx)) {
		/* No pool: the preload falls back (or fails, --strict). */
		*ctx = NULL;
		return 0;
	}
	return poolctl_place_check_pool(&a->place, *ctx);
}

int cmd_bind(int argc, char **argv, struct pool_ctx **ctx)
{
	struct bind_args a = { .place = { .cmd = CMD, .r.policy = -1 } };
	char preload[PATH_MAX];
	int rc;

	rc = poolctl_parse_options(&usage_bind, &a, argc, argv);
	if (rc >= 0)
		return rc;			/* --help, or an error */
	if (optind >= argc) {
		rc = poolctl_err(CMD, EINVAL, "no command to run (poolctl "
				 "bind [<options>] -- <command>)");
		goto out;
	}
	rc = poolctl_place_check(&a.place);
	rc = rc ?: check_pool(&a, ctx);
	rc = rc ?: check_command(argv[optind]);
	rc = rc ?: find_preload(preload, sizeof(preload));
	rc = rc ?: export_env(&a, preload);
	if (rc)
		goto out;
	poolctl_place_release(&a.place);
	pool_unref(*ctx);
	*ctx = NULL;
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	return poolctl_err(CMD, errno, "cannot run '%s'", argv[optind]);
out:
	poolctl_place_release(&a.place);
	return rc;
}
