// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl bench: measure idle latency and bandwidth of every member from
 * every CPU node (libpool's engine, pool_bench_*), print the matrix as
 * JSON or a table beside the firmware's figures, draw it, and optionally
 * hand the figures to the module.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/scalepool.h>
#include <numa.h>
#include <libpool.h>

#include "poolctl.h"
#include "bench.h"
#include "plugin.h"

#define CMD "bench"
#define MAX_TIME	3600.0
#define CAP_SYS_ADMIN_BIT	21
#define MAX_THREAD_COUNTS	16
#define THREADS_ALL		0	/* in --threads: one per CPU */
#define DEFAULT_MAX_SPREAD	0.10	/* noisy above 10% */

struct bench_args {
	/* First: place.c's option callbacks take the args as this. */
	struct poolctl_place place;	/* --policy, --weights, --granularity */
	bool placed;			/* a placement is measured too */
	const char *initiators;
	unsigned int members[SCALEPOOL_MAX_MEMBERS];
	unsigned int nr_members;
	bool have_members;
	unsigned long long size;
	double time;
	unsigned int threads[MAX_THREAD_COUNTS];	/* THREADS_ALL: all */
	unsigned int nr_threads;
	unsigned int kinds;
	int isa;
	int stores;
	double max_spread;
	bool human;
	const char *plot;
	bool apply;
	const char *save;		/* --save: the figures --apply writes */
	bool no_module;
	bool loaded;
	unsigned int points;		/* --points, 0: the default */
	int inject;			/* POOL_BENCH_INJECT_*, or -1 */
	const char *not_loaded;		/* an option --loaded refuses */
};

/*
 * @fn(@a, NULL) to forget an earlier list, then @fn(@a, entry) for each
 * entry of the comma-separated list @arg, which must have one at least
 * (of @what).
 */
static int each_entry(struct bench_args *a, const char *arg,
		      const char *what,
		      int (*fn)(struct bench_args *a, const char *entry))
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int rc = 0, n = 0;

	if (!copy)
		return poolctl_err(CMD, ENOMEM, "cannot parse '%s'", arg);
	fn(a, NULL);
	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save), n++)
		rc = fn(a, tok);
	free(copy);
	if (!rc && !n)
		rc = poolctl_err(CMD, EINVAL, "no %s in '%s'", what, arg);
	return rc;
}

static int add_kind(struct bench_args *a, const char *tok)
{
	unsigned int k;

	if (!tok) {
		a->kinds = 0;
		return 0;
	}
	for (k = 1; k <= POOL_BENCH_TRIAD; k <<= 1)
		if (strcmp(tok, pool_bench_kind_name(k)) == 0)
			break;
	if (k > POOL_BENCH_TRIAD)
		return poolctl_err(CMD, EINVAL, "unknown kind '%s' "
				   "(latency, read, write, copy or triad)", tok);
	a->kinds |= k;
	return 0;
}

static int opt_kinds(void *args, const char *arg)
{
	((struct bench_args *)args)->not_loaded = "--kinds";
	return each_entry(args, arg, "kinds", add_kind);
}

static int opt_time(void *args, const char *arg)
{
	struct bench_args *a = args;

	if (poolctl_parse_seconds(arg, &a->time))
		return poolctl_err(CMD, EINVAL, "bad time '%s' (seconds)", arg);
	if (a->time == 0)
		return poolctl_err(CMD, EINVAL, "time must not be 0");
	if (a->time > MAX_TIME)
		return poolctl_err(CMD, ERANGE, "time '%s' is more than an "
				   "hour per cell", arg);
	return 0;
}

static int opt_members(void *args, const char *arg)
{
	struct bench_args *a = args;

	a->have_members = true;
	return poolctl_parse_list_arg(CMD, "member", arg, true, a->members,
				      &a->nr_members);
}

static int opt_size(void *args, const char *arg)
{
	struct bench_args *a = args;
	int rc = pool_parse_size(arg, &a->size);

	if (rc)
		return poolctl_err(CMD, -rc, "bad size '%s'", arg);
	if (!a->size)
		return poolctl_err(CMD, EINVAL, "size must not be 0");
	if (a->size > SCALEPOOL_MAX_ALLOC_SIZE / 3)
		return poolctl_err(CMD, EOVERFLOW, "size '%s' is too large",
				   arg);
	return 0;
}

/* One entry of --threads: a count or "all", each at most once. */
static int add_threads(struct bench_args *a, const char *tok)
{
	unsigned int n = THREADS_ALL, i;
	int rc;

	if (!tok) {
		a->nr_threads = 0;
		return 0;
	}
	if (strcmp(tok, "all")) {
		rc = poolctl_parse_uint(tok, &n);
		if (rc)
			return poolctl_err(CMD, -rc, "bad number of threads "
					   "'%s' (a number or all)", tok);
		if (!n)
			return poolctl_err(CMD, EINVAL, "threads must not "
					   "be 0");
		if (n > POOL_BENCH_MAX_THREADS)
			return poolctl_err(CMD, E2BIG, "more than %d threads",
					   POOL_BENCH_MAX_THREADS);
	}
	for (i = 0; i < a->nr_threads; i++)
		if (a->threads[i] == n)
			return poolctl_err(CMD, EINVAL, "threads '%s' given "
					   "twice", tok);
	if (a->nr_threads == MAX_THREAD_COUNTS)
		return poolctl_err(CMD, E2BIG, "more than %d thread counts",
				   MAX_THREAD_COUNTS);
	a->threads[a->nr_threads++] = n;
	return 0;
}

static int opt_threads(void *args, const char *arg)
{
	return each_entry(args, arg, "thread counts", add_threads);
}

static int opt_stores(void *args, const char *arg)
{
	struct bench_args *a = args;

	a->not_loaded = "--stores";
	a->stores = poolctl_bench_stores_from_name(arg);
	if (a->stores < 0)
		return poolctl_err(CMD, EINVAL, "unknown stores '%s' "
				   "(normal, nt or auto)", arg);
	return 0;
}

static int opt_max_spread(void *args, const char *arg)
{
	struct bench_args *a = args;
	char *end;

	a->not_loaded = "--max-spread";
	errno = 0;
	a->max_spread = strtod(arg, &end) / 100;
	if (end == arg || *end || errno || !isfinite(a->max_spread) ||
	    a->max_spread < 0)
		return poolctl_err(CMD, EINVAL, "bad spread '%s' (a "
				   "percentage, 0 or more)", arg);
	return 0;
}

static int opt_isa(void *args, const char *arg)
{
	struct bench_args *a = args;

	a->isa = pool_bench_isa_from_name(arg);
	if (a->isa < 0)
		return poolctl_err(CMD, EINVAL, "unknown isa '%s' (auto, "
				   "scalar, sse2 or avx2)", arg);
	return 0;
}

static int opt_points(void *args, const char *arg)
{
	struct bench_args *a = args;

	if (poolctl_parse_uint(arg, &a->points) || a->points < 2 ||
	    a->points > POOL_BENCH_MAX_POINTS)
		return poolctl_err(CMD, EINVAL, "bad number of points '%s' "
				   "(2 to %d)", arg, POOL_BENCH_MAX_POINTS);
	return 0;
}

static int opt_inject(void *args, const char *arg)
{
	struct bench_args *a = args;

	a->inject = poolctl_bench_inject_from_name(arg);
	if (a->inject < 0)
		return poolctl_err(CMD, EINVAL, "unknown injection '%s' "
				   "(read or copy)", arg);
	return 0;
}

#define ARG(field) offsetof(struct bench_args, field)

static const struct poolctl_option bench_options[] = {
	POOLCTL_OPT_STRING('i', "initiators", "<nodes>", ARG(initiators),
		"CPU nodes to measure from, as 0-1 or all\n"
		"(default: every node with CPUs)"),
	POOLCTL_OPT_CALLBACK('m', "members", "<ids>", opt_members,
		"members to measure, as 0,2 or 0-2 (default:\n"
		"all); with --no-module, NUMA nodes"),
	POOLCTL_OPT_CALLBACK('s', "size", "<size>", opt_size,
		"bytes of each array and of the latency\n"
		"chase (default: 4 x the last-level cache,\n"
		"at least 32M for the arrays and 16M for\n"
		"the chase; on slow memory smaller arrays,\n"
		"and a chase of at least 2 x the LLC)"),
	POOLCTL_OPT_CALLBACK('t', "time", "<seconds>", opt_time,
		"time budget of one cell (default: 5)"),
	POOLCTL_OPT_CALLBACK('T', "threads", "<list>", opt_threads,
		"bandwidth threads, pinned one per CPU of\n"
		"the initiator in turn, as 4 or 1,2,4,all:\n"
		"a row per count (default: all, one per CPU)"),
	POOLCTL_OPT_CALLBACK('k', "kinds", "<list>", opt_kinds,
		"latency,read,write,copy,triad (default: all)"),
	POOLCTL_OPT_CALLBACK(0, "isa", "<isa>", opt_isa,
		"loops: auto, scalar, sse2 or avx2"),
	POOLCTL_OPT_CALLBACK(0, "stores", "<kind>", opt_stores,
		"stores of write, copy and triad: normal,\n"
		"nt (non-temporal) or auto (default: nt for\n"
		"arrays above the last-level cache)"),
	POOLCTL_OPT_CALLBACK(0, "max-spread", "<percent>", opt_max_spread,
		"a figure whose (max - min) / median over\n"
		"its repetitions is above this is noisy\n"
		"(default: 10)"),
	POOLCTL_OPT_FLAG('u', "human", ARG(human),
		"a table, measured beside firmware figures"),
	POOLCTL_OPT_STRING('p', "plot", "<file>", ARG(plot),
		"also draw the figures, as PNG for a name\n"
		"ending in .png, else SVG: heatmaps of the\n"
		"matrix; with several thread counts, MB/s\n"
		"against threads; with --loaded, latency\n"
		"against injected MB/s"),
	POOLCTL_OPT_FLAG(0, "apply", ARG(apply),
		"write each cell's latency and read bandwidth\n"
		"into the module (needs CAP_SYS_ADMIN), where\n"
		"nearest and interleave weights use them;\n"
		"refused when a latency is cache-bound or a\n"
		"figure noisy; needs one thread count"),
	POOLCTL_OPT_STRING(0, "save", "<file>", ARG(save),
		"write the figures --apply would write to\n"
		"<file>, as measured lines of\n"
		"scalepool.conf(5), for poolctl apply (the\n"
		"same checks and conditions as --apply)"),
	POOLCTL_OPT_FLAG(0, "no-module", ARG(no_module),
		"plain NUMA nodes through libnuma instead\n"
		"of pool members, on any machine"),
	POOLCTL_OPT_CALLBACK(0, "policy", "<policy>",
		poolctl_place_opt_policy,
		"also measure a buffer the kernel places by\n"
		"this policy over --members (interleave,\n"
		"bind, preferred, nearest or tiered), a cell\n"
		"per initiator beside the members' own"),
	POOLCTL_OPT_CALLBACK(0, "weights", "<list>",
		poolctl_place_opt_weights,
		"--policy interleave: weights, one per member"),
	POOLCTL_OPT_CALLBACK(0, "granularity", "<size>",
		poolctl_place_opt_granularity,
		"--policy interleave: chunk size (a page)"),
	POOLCTL_OPT_FLAG(0, "loaded", ARG(loaded),
		"loaded latency instead: one thread chases\n"
		"while the others (--threads, at least 2 in\n"
		"all) inject traffic at rates from idle to\n"
		"saturation; a curve per cell"),
	POOLCTL_OPT_CALLBACK(0, "points", "<n>", opt_points,
		"--loaded: rates, idle and saturation\n"
		"included (2 to 32, default 8)"),
	POOLCTL_OPT_CALLBACK(0, "inject", "<kind>", opt_inject,
		"--loaded: the injectors read, or copy (one\n"
		"read, one write; default read)"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_bench = {
	.cmd = CMD,
	.text =
"usage: poolctl bench [<options>]\n"
"\n"
"Measure the idle latency and the read, write, copy and triad bandwidth\n"
"of pool members from the CPUs of initiator nodes, one cell per\n"
"initiator and member; print JSON on stdout, {\"results\": [{\"initiator\",\n"
"\"member\", \"latency_ns\", \"read_mbps\", \"write_mbps\", \"copy_mbps\",\n"
"\"triad_mbps\", ...}]}.  MB/s are 10^6 bytes per second, copy counting\n"
"2 and triad 3 bytes per byte of the array, as STREAM.\n",
	.options = bench_options,
	.epilogue =
"A progress line goes to stderr when it is a terminal.  Errors are one\n"
"line on stderr and exit status 1.\n",
};

/* --loaded measures curves: the options of figures do not combine. */
static int check_loaded(const struct bench_args *a)
{
	if (!a->loaded) {
		if (a->points)
			return poolctl_err(CMD, EINVAL, "--points needs "
					   "--loaded");
		if (a->inject >= 0)
			return poolctl_err(CMD, EINVAL, "--inject needs "
					   "--loaded");
		return 0;
	}
	if (a->apply || a->save)
		return poolctl_err(CMD, EINVAL, "--loaded cannot be combined "
				   "with %s (the module takes idle "
				   "figures)", a->apply ? "--apply" : "--save");
	if (a->not_loaded)
		return poolctl_err(CMD, EINVAL, "--loaded cannot be combined "
				   "with %s", a->not_loaded);
	if (a->nr_threads > 1)
		return poolctl_err(CMD, EINVAL, "--loaded takes one thread "
				   "count, not %u", a->nr_threads);
	if (a->threads[0] == 1)
		return poolctl_err(CMD, EINVAL, "--loaded needs 2 threads at "
				   "least: one chase and one injector");
	return 0;
}

/* --policy and its options: a placement measured beside the members. */
static int check_placed(struct bench_args *a)
{
	struct poolctl_place *p = &a->place;

	a->placed = p->r.policy >= 0 || p->r.have_weights ||
		    p->r.have_granularity;
	if (!a->placed)
		return 0;
	if (a->no_module)
		return poolctl_err(CMD, EINVAL, "--policy needs the module, "
				   "not --no-module");
	if (a->loaded || a->apply || a->save)
		return poolctl_err(CMD, EINVAL, "--policy cannot be combined "
				   "with %s", a->loaded ? "--loaded" :
				   a->apply ? "--apply" : "--save");
	if (a->have_members) {
		memcpy(p->r.members, a->members, sizeof(p->r.members));
		p->r.nr_members = a->nr_members;
		p->r.members_arg = "--members";
	}
	return poolctl_place_check(p) ? 1 : 0;
}

static int parse_options(struct bench_args *a, int argc, char **argv)
{
	int rc = poolctl_parse_options(&usage_bench, a, argc, argv);
	const char *keep;

	if (rc >= 0)
		return rc ? rc : -1;		/* -1: --help */
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument "
				   "'%s'", argv[optind]);
	/* --save checks what --apply does: its file is for apply. */
	keep = a->apply ? "--apply" : a->save ? "--save" : NULL;
	if (keep && a->no_module)
		return poolctl_err(CMD, EINVAL, "%s needs the "
				   "module, not --no-module", keep);
	if (keep && (a->kinds & (POOL_BENCH_LATENCY | POOL_BENCH_READ)) !=
	    (POOL_BENCH_LATENCY | POOL_BENCH_READ))
		return poolctl_err(CMD, EINVAL, "%s needs the "
				   "latency and read kinds", keep);
	if (keep && a->nr_threads > 1)
		return poolctl_err(CMD, EINVAL, "%s needs one "
				   "thread count", keep);
	rc = check_loaded(a);
	return rc ? rc : check_placed(a);
}

static bool node_has_memory(int node)
{
	long long free_bytes;

	return node >= 0 && node <= numa_max_node() &&
	       numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned int)node) &&
	       numa_node_size64(node, &free_bytes) > 0;
}

/* The initiator nodes, ascending, into @out (at most @max). */
static int get_initiators(const struct bench_args *a, int *out, int max,
			  int *nr)
{
	struct bitmask *mask = NULL;
	int node, n = 0;

	if (a->initiators) {
		mask = poolctl_parse_nodes(a->initiators);
		if (!mask || !numa_bitmask_weight(mask)) {
			if (mask)
				numa_bitmask_free(mask);
			return poolctl_err(CMD, EINVAL, "bad initiator "
				"list '%s' (or a node that does not exist)",
				a->initiators);
		}
	}
	for (node = 0; node <= numa_max_node(); node++) {
		if (mask && !numa_bitmask_isbitset(mask, (unsigned int)node))
			continue;
		if (!poolctl_node_has_cpus(node)) {
			if (!mask)
				continue;
			numa_bitmask_free(mask);
			return poolctl_err(CMD, EINVAL, "initiator %d is "
				"not a node with CPUs", node);
		}
		if (n < max)
			out[n++] = node;
	}
	if (mask)
		numa_bitmask_free(mask);
	if (!n)
		return poolctl_err(CMD, ENODEV, "no node with CPUs");
	*nr = n;
	return 0;
}

/*
 * What to measure: members (checked against the pool), nodes, or a
 * placement (@alloc, @id -1, @memory the policy's name).
 */
struct target {
	struct pool_member *m;
	int id;			/* member id, or node */
	int node;
	const char *memory;
	struct pool_ctx *ctx;
	const struct pool_alloc_opts *alloc;
};

static struct target node_target(int node)
{
	return (struct target){ .id = node, .node = node, .memory = "numa" };
}

static struct target member_target(struct pool_member *m)
{
	return (struct target){ .m = m, .id = (int)pool_member_get_id(m),
				.node = pool_member_get_node(m),
				.memory = pool_member_get_memory(m) };
}

static int get_targets(const struct bench_args *a, struct pool_ctx *ctx,
		       struct target *t, int *nr)
{
	struct pool_member *m;
	unsigned int i;
	int n = 0, node;

	if (a->no_module) {
		if (a->have_members) {
			for (i = 0; i < a->nr_members; i++) {
				node = (int)a->members[i];
				if (!node_has_memory(node))
					return poolctl_err(CMD, ENOENT,
						"no NUMA node %d with memory",
						node);
				t[n++] = node_target(node);
			}
		} else {
			for (node = 0; node <= numa_max_node() &&
			     n < SCALEPOOL_MAX_MEMBERS; node++)
				if (node_has_memory(node))
					t[n++] = node_target(node);
		}
	} else if (a->have_members) {
		for (i = 0; i < a->nr_members; i++) {
			m = pool_member_get_by_id(ctx, a->members[i]);
			if (!m)
				return poolctl_err(CMD, ENOENT, "no "
					"member %u", a->members[i]);
			t[n++] = member_target(m);
		}
	} else {
		pool_member_foreach(ctx, m) {
			if (n == SCALEPOOL_MAX_MEMBERS)
				break;
			t[n++] = member_target(m);
		}
	}
	if (!n)
		return poolctl_err(CMD, ENOENT, "nothing to measure");
	*nr = n;
	return 0;
}

/* The placement of --policy, a target after the members. */
static int add_placement(struct bench_args *a, struct pool_ctx *ctx,
			 struct pool_alloc_opts *alloc, struct target *t)
{
	if (poolctl_place_check_pool(&a->place, ctx))
		return 1;
	poolctl_place_opts(&a->place, alloc);
	*t = (struct target){ .id = -1, .node = -1,
			      .memory = pool_policy_name(a->place.r.policy),
			      .ctx = ctx, .alloc = alloc };
	return 0;
}

/*
 * The firmware's figures hold for the initiators the kernel lists in
 * access0 (the nearest ones); for others it says nothing.
 */
static void firmware_figures(struct bench_cell *c, struct pool_member *m)
{
	char path[128];

	c->fw_latency_ns = -1;
	c->fw_read_mbps = -1;
	if (!m || c->node < 0)
		return;
	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/access0/initiators/node%d",
		 c->node, c->initiator);
	if (access(path, F_OK))
		return;
	c->fw_latency_ns = pool_member_get_fw_read_latency(m);
	c->fw_read_mbps = pool_member_get_fw_read_bandwidth(m);
	if (c->fw_latency_ns < 0)
		c->fw_latency_ns = -1;
	if (c->fw_read_mbps < 0)
		c->fw_read_mbps = -1;
}

static bool has_cap_sys_admin(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << CAP_SYS_ADMIN_BIT);
}

/* Whole units for the module: at least 1, as it refuses 0. */
static unsigned long long whole(double v)
{
	return v < 1 ? 1 : (unsigned long long)llround(v);
}

/*
 * A chase within the last-level cache measures the cache: nearest would
 * then rank that member above faster memory.  Only a --size below the
 * LLC makes one.  A noisy figure (the machine was busy) could rank
 * members either way.  Both refused before anything is written.
 */
static int check_applicable(const struct bench_matrix *mx)
{
	const struct bench_cell *c;
	char size[32], llc[32];
	int i, k;

	for (i = 0; i < mx->nr_cells; i++) {
		c = &mx->cells[i];
		if (c->res.figures[0].cache_bound) {
			pool_format_size(c->res.latency_size, size,
					 sizeof(size));
			pool_format_size(c->res.llc_size, llc, sizeof(llc));
			return poolctl_err(CMD, EINVAL, "will not apply: the "
				"latency of member %d from node %d is "
				"cache-bound (a %s chase, under the %s "
				"last-level cache); nothing written, measure "
				"without --size or with a larger one",
				c->member, c->initiator, size, llc);
		}
		for (k = 0; k < 2; k++)		/* the two applied: latency, read */
			if (poolctl_bench_noisy(&c->res.figures[k],
						mx->max_spread))
				return poolctl_err(CMD, EINVAL, "will not "
					"apply: the %s of member %d from node "
					"%d is noisy (spread %.0f%% over %.0f%%);"
					" nothing written, measure on a quieter "
					"machine, longer or with --max-spread",
					pool_bench_kind_name(1U << k),
					c->member, c->initiator,
					100 * poolctl_bench_spread(&c->res.figures[k]),
					100 * mx->max_spread);
	}
	return 0;
}

/*
 * --apply: each cell's latency and read bandwidth become the member's
 * measured figures for that initiator.  The first failure stops; what
 * was written before it stays (each write is whole on its own).
 */
static int apply(struct pool_ctx *ctx, const struct bench_matrix *mx)
{
	const struct bench_cell *c;
	struct pool_member *m;
	int i, rc;

	rc = check_applicable(mx);
	if (rc)
		return rc;
	for (i = 0; i < mx->nr_cells; i++) {
		c = &mx->cells[i];
		m = pool_member_get_by_id(ctx, (unsigned int)c->member);
		if (!m)
			return poolctl_err(CMD, ENOENT, "member %d went "
					   "away", c->member);
		rc = pool_member_set_measured(m, c->initiator,
			whole(c->res.figures[0].value),
			whole(c->res.figures[1].value));
		if (rc == -ENOENT)
			return poolctl_err(CMD, ENOENT, "member %d takes "
				"no measured figures (a module without them, "
				"or the member went away)", c->member);
		if (rc)
			return poolctl_err(CMD, -rc, "cannot apply the "
				"figures of member %d from node %d",
				c->member, c->initiator);
	}
	return 0;
}

/*
 * --save: the figures --apply writes, as measured lines of
 * scalepool.conf(5) naming each member by what survives a reboot (node:N,
 * else its name), written to a temporary file renamed over @path.
 */
static int save(struct pool_ctx *ctx, const struct bench_matrix *mx,
		const char *path)
{
	const struct bench_cell *c;
	struct pool_member *m;
	char tmp[PATH_MAX];
	int i, rc, err;
	FILE *f;

	rc = check_applicable(mx);
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return poolctl_err(CMD, ENAMETOOLONG, "--save %s", path);
	f = fopen(tmp, "we");
	if (!f)
		return poolctl_err(CMD, errno, "cannot write %s", tmp);
	fputs("# Measured by poolctl bench --save; poolctl apply loads it\n"
	      "# (measured-file in scalepool.conf(5)).\n"
	      "# measured <member> <initiator node> <latency ns> "
	      "<read bandwidth MB/s>\n", f);
	for (i = 0; i < mx->nr_cells; i++) {
		c = &mx->cells[i];
		m = pool_member_get_by_id(ctx, (unsigned int)c->member);
		if (!m)
			break;
		if (!strcmp(pool_member_get_kind(m), "node"))
			fprintf(f, "measured node:%d", pool_member_get_node(m));
		else
			fprintf(f, "measured name:%s", pool_member_get_name(m));
		fprintf(f, " %d %llu %llu\n", c->initiator,
			whole(c->res.figures[0].value),
			whole(c->res.figures[1].value));
	}
	err = i < mx->nr_cells ? ENOENT : 0;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		return poolctl_err(CMD, err, "cannot save the figures to %s",
				   path);
	}
	return 0;
}

struct progress {
	bool on;
	int cell, nr_cells;
	const struct bench_cell *c;
};

static void show_progress(unsigned int kind, void *arg)
{
	struct progress *p = arg;

	if (!p->on)
		return;
	fprintf(stderr, "\r\033[Kpoolctl bench: %d/%d: initiator %d, %s %d: %s",
		p->cell + 1, p->nr_cells, p->c->initiator,
		strcmp(p->c->memory, "numa") ? "member" : "node", p->c->member,
		pool_bench_kind_name(kind));
	fflush(stderr);
}

/* CPUs of @node: what "all" in --threads stands for. */
static unsigned int node_cpus(int node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	unsigned int n = 0;

	if (cpus && !numa_node_to_cpus(node, cpus))
		n = numa_bitmask_weight(cpus);
	if (cpus)
		numa_free_cpumask(cpus);
	return n;
}

/*
 * Entry @k of --threads for @initiator, or -1 when it repeats an
 * earlier one there ("all" on a node of that many CPUs).
 */
static int thread_count(const struct bench_args *a, unsigned int k,
			int initiator)
{
	unsigned int all = node_cpus(initiator), n, i;

	n = a->threads[k] == THREADS_ALL ? all : a->threads[k];
	for (i = 0; i < k; i++)
		if (n == (a->threads[i] == THREADS_ALL ? all : a->threads[i]))
			return -1;
	return (int)a->threads[k];
}

static void show_point(unsigned int point, void *arg)
{
	struct progress *p = arg;

	if (!p->on)
		return;
	fprintf(stderr, "\r\033[Kpoolctl bench: %d/%d: initiator %d, %s %d: "
		"loaded, point %u", p->cell + 1, p->nr_cells, p->c->initiator,
		strcmp(p->c->memory, "numa") ? "member" : "node", p->c->member,
		point + 1);
	fflush(stderr);
}

static int measure_loaded(const struct bench_args *a, const struct target *t,
			  int initiator, int threads, struct progress *prog,
			  struct bench_cell *c)
{
	c->curve.sz = sizeof(c->curve);
	POOL_OPTS(pool_bench_loaded_opts, opts,
		.size = a->size,
		.time = a->time,
		.threads = (unsigned int)threads,
		.points = a->points,
		.inject = a->inject < 0 ? POOL_BENCH_INJECT_READ : a->inject,
		.isa = a->isa,
		.progress = show_point,
		.progress_arg = prog,
	);
	if (t->m)
		return pool_bench_loaded_member(t->m, initiator, &opts,
						&c->curve);
	return pool_bench_loaded_node(t->node, initiator, &opts, &c->curve);
}

/* One cell: @t measured from @initiator with @threads (0: all). */
static int measure_cell(const struct bench_args *a, const struct target *t,
			int initiator, int threads, struct progress *prog,
			struct bench_cell *c)
{
	int rc;

	c->initiator = initiator;
	c->member = t->id;
	c->node = t->node;
	c->memory = t->memory;
	c->threads_asked = threads;
	c->place = t->alloc ? &a->place : NULL;
	c->res.sz = sizeof(c->res);
	firmware_figures(c, t->m);
	prog->c = c;
	POOL_OPTS(pool_bench_opts, opts,
		.kinds = a->kinds,
		.size = a->size,
		.time = a->time,
		.threads = (unsigned int)threads,
		.isa = a->isa,
		.stores = a->stores,
		.progress = show_progress,
		.progress_arg = prog,
	);
	if (a->loaded)
		rc = measure_loaded(a, t, initiator, threads, prog, c);
	else if (t->alloc)
		rc = pool_bench_alloc(t->ctx, t->alloc, initiator, &opts,
				      &c->res);
	else if (t->m)
		rc = pool_bench_member(t->m, initiator, &opts, &c->res);
	else
		rc = pool_bench_node(t->node, initiator, &opts, &c->res);
	if (rc == -EINVAL && a->loaded && node_cpus(initiator) < 2 &&
	    !threads)
		return poolctl_err(CMD, EINVAL, "--loaded needs 2 threads at "
				   "least (one chase, one injector) and node "
				   "%d has one CPU: --threads 2 shares it",
				   initiator);
	if (rc)
		return t->alloc ?
			poolctl_err(CMD, -rc, "cannot measure policy %s from "
				    "node %d", t->memory, initiator) :
			poolctl_err(CMD, -rc, "cannot measure %s %d from node %d",
				    t->m ? "member" : "node", t->id, initiator);
	return 0;
}

/* Initiator-major, then target, then thread count, as given. */
static int measure(const struct bench_args *a, struct target *t, int nr_tg,
		   const int *inits, int nr_i, struct bench_matrix *mx)
{
	struct progress prog = { .on = isatty(STDERR_FILENO) };
	unsigned int k;
	int i, j, n, rc = 0;

	prog.nr_cells = nr_tg * nr_i * (int)a->nr_threads;
	mx->cells = calloc((size_t)prog.nr_cells, sizeof(*mx->cells));
	if (!mx->cells)
		return poolctl_err(CMD, ENOMEM, "cannot measure");
	for (i = 0; i < nr_i && !rc; i++) {
		for (j = 0; j < nr_tg && !rc; j++) {
			for (k = 0; k < a->nr_threads && !rc; k++) {
				n = thread_count(a, k, inits[i]);
				if (n < 0)
					continue;
				prog.cell = mx->nr_cells;
				rc = measure_cell(a, &t[j], inits[i], n, &prog,
						  &mx->cells[mx->nr_cells]);
				if (!rc)
					mx->nr_cells++;
			}
		}
	}
	if (prog.on)
		fputs("\r\033[K", stderr);
	return rc;
}

static int write_plot(poolctl_plot_fn *plot, const struct bench_matrix *mx,
		      const char *path)
{
	int rc = plot(mx, path);

	if (rc)
		return poolctl_err(CMD, -rc, "cannot write '%s'", path);
	return 0;
}

/* ---- output: the JSON (json.c), or its keys as a table */

static struct json_object *key(struct json_object *obj, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(obj, k, &v);
	return v;
}

/* A flag of @kind's detail: "partial", "noisy". */
static bool detail_flag(struct json_object *cell, const char *kind,
			const char *flag)
{
	return json_object_get_boolean(key(key(key(cell, "detail"), kind),
					   flag));
}

/*
 * "95.3", "18000", with "*" when partial and "~" when noisy; "-" when
 * not measured.
 */
static void fmt_figure(struct json_object *cell, const char *k,
		       const char *kind, char *buf)
{
	struct json_object *v = key(cell, k);
	double d = json_object_get_double(v);

	if (!v) {
		strcpy(buf, "-");
		return;
	}
	snprintf(buf, POOLCTL_CELL_MAX, "%.*f%s%s", d < 100 ? 1 : 0, d,
		 detail_flag(cell, kind, "partial") ? "*" : "",
		 detail_flag(cell, kind, "noisy") ? "~" : "");
}

static void fmt_latency(struct json_object *c, char *buf)
{
	fmt_figure(c, "latency_ns", "latency", buf);
}

static void fmt_read(struct json_object *c, char *buf)
{
	fmt_figure(c, "read_mbps", "read", buf);
}

static void fmt_write(struct json_object *c, char *buf)
{
	fmt_figure(c, "write_mbps", "write", buf);
}

static void fmt_copy(struct json_object *c, char *buf)
{
	fmt_figure(c, "copy_mbps", "copy", buf);
}

static void fmt_triad(struct json_object *c, char *buf)
{
	fmt_figure(c, "triad_mbps", "triad", buf);
}

/* A buffer's size, or "-" when it was not used. */
static void fmt_size(struct json_object *v, char *buf)
{
	if (json_object_get_uint64(v))
		poolctl_cell_size(v, buf);
	else
		strcpy(buf, "-");
}

/* Did any storing kind of the cell use non-temporal stores? */
static bool used_nt(struct json_object *c)
{
	static const char *const storing[] = { "write", "copy", "triad" };
	struct json_object *v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(storing); i++) {
		v = key(key(key(c, "detail"), storing[i]), "stores");
		if (v && !strcmp(json_object_get_string(v), "nt"))
			return true;
	}
	return false;
}

static void fmt_notes(struct json_object *c, char *buf)
{
	snprintf(buf, POOLCTL_CELL_MAX, "%s%s%s%s%s",
		 json_object_get_boolean(key(c, "cache_bound")) ?
		 "cache-bound " : "",
		 json_object_get_boolean(key(c, "shrunk")) ? "shrunk " : "",
		 json_object_get_boolean(key(c, "noisy")) ? "noisy " : "",
		 json_object_get_string(key(c, "isa")),
		 used_nt(c) ? " nt" : "");
}

/* A member, or a placement's members ("0,2"; "all" when not given). */
static void fmt_member(struct json_object *c, char *buf)
{
	struct json_object *m = key(c, "members");
	size_t i, n = 0;

	if (!key(c, "policy")) {
		snprintf(buf, POOLCTL_CELL_MAX, "%s",
			 json_object_get_string(key(c, "member")));
		return;
	}
	strcpy(buf, m ? "" : "all");
	for (i = 0; m && i < json_object_array_length(m); i++)
		n += (size_t)snprintf(buf + n, n < POOLCTL_CELL_MAX ?
				      POOLCTL_CELL_MAX - n : 0, "%s%s",
				      i ? "," : "", json_object_get_string(
				      json_object_array_get_idx(m, i)));
}

static const struct poolctl_column bench_columns[] = {
	{ "INITIATOR", "initiator", true, NULL },
	{ "MEMBER", NULL, true, fmt_member },
	{ "MEMORY", "memory", false, NULL },
	{ "THR", "threads", true, NULL },
	{ "CHASE", "latency_size", true, fmt_size },
	{ "LAT ns", NULL, true, fmt_latency },
	{ "FW LAT", "fw_latency_ns", true, NULL },
	{ "SIZE", "size", true, fmt_size },
	{ "READ MB/s", NULL, true, fmt_read },
	{ "FW READ", "fw_read_mbps", true, NULL },
	{ "WRITE", NULL, true, fmt_write },
	{ "COPY", NULL, true, fmt_copy },
	{ "TRIAD", NULL, true, fmt_triad },
	{ "NOTES", NULL, false, fmt_notes },
};

#define NR_COLUMNS ARRAY_SIZE(bench_columns)

/* Does any figure of @results have @flag in its detail? */
static bool any_flag(struct json_object *results, const char *flag)
{
	size_t i, k;

	for (i = 0; i < json_object_array_length(results); i++)
		for (k = 0; k < POOL_BENCH_NR_KINDS; k++)
			if (detail_flag(json_object_array_get_idx(results, i),
					pool_bench_kind_name(1U << k), flag))
				return true;
	return false;
}

static int print_human(struct json_object *root, bool no_module, FILE *f)
{
	struct poolctl_column cols[NR_COLUMNS];
	struct json_object *results = key(root, "results");
	int rc;

	memcpy(cols, bench_columns, sizeof(cols));
	if (no_module)
		cols[1].title = "NODE";
	rc = poolctl_print_rows(f, results, cols, NR_COLUMNS);
	if (rc)
		return poolctl_err(CMD, -rc, "cannot print");
	fputs("\nMB/s = 10^6 bytes/s (copy counts 2, triad 3 bytes per array "
	      "byte); FW: the firmware's\nfigures, for the nearest "
	      "initiators only; CHASE: the latency's buffer, SIZE:\neach "
	      "bandwidth array's; cache-bound: a buffer smaller than the "
	      "last-level cache\n(--apply refuses a cache-bound latency); "
	      "shrunk: smaller arrays on slow memory;\nTHR: bandwidth threads; "
	      "nt: write, copy and triad with non-temporal stores.\n", f);
	if (any_flag(results, "partial"))
		fputs("*: the time ran out within the first repetition.\n", f);
	if (any_flag(results, "noisy"))
		fprintf(f, "~: noisy, (max - min) / median over the repetitions "
			"above %.0f%% (--apply\nrefuses a noisy latency or "
			"read figure).\n",
			100 * json_object_get_double(key(root, "max_spread")));
	return 0;
}

/* --loaded --human: a row per point of each cell's curve. */
static const struct poolctl_column loaded_columns[] = {
	{ "INITIATOR", "initiator", true, NULL },
	{ "MEMBER", "member", true, NULL },
	{ "MEMORY", "memory", false, NULL },
	{ "THR", "threads", true, NULL },
	{ "INJECT", "inject", false, NULL },
	{ "POINT", "point", true, NULL },
	{ "TARGET MB/s", "target_mbps", true, NULL },
	{ "INJECTED MB/s", "inject_mbps", true, NULL },
	{ "LAT ns", "latency_ns", true, NULL },
};

/* Copies @k of @from into @to (a reference, not a copy). */
static void share_key(struct json_object *to, struct json_object *from,
		      const char *k)
{
	json_object_object_add(to, k, json_object_get(key(from, k)));
}

static int print_loaded(struct json_object *root, bool no_module, FILE *f)
{
	static const char *const cell_keys[] = {
		"initiator", "member", "memory", "threads", "inject",
	};
	static const char *const point_keys[] = {
		"target_mbps", "inject_mbps", "latency_ns",
	};
	struct poolctl_column cols[ARRAY_SIZE(loaded_columns)];
	struct json_object *results = key(root, "results"), *rows, *c, *pt, *r;
	size_t i, j, k;
	int rc = -ENOMEM;

	rows = json_object_new_array();
	for (i = 0; rows && i < json_object_array_length(results); i++) {
		c = json_object_array_get_idx(results, i);
		for (j = 0; j < json_object_array_length(key(c, "curve")); j++) {
			pt = json_object_array_get_idx(key(c, "curve"), j);
			r = json_object_new_object();
			if (!r || json_object_array_add(rows, r))
				goto out;
			for (k = 0; k < ARRAY_SIZE(cell_keys); k++)
				share_key(r, c, cell_keys[k]);
			json_object_object_add(r, "point",
					       json_object_new_int((int)j + 1));
			for (k = 0; k < ARRAY_SIZE(point_keys); k++)
				share_key(r, pt, point_keys[k]);
		}
	}
	memcpy(cols, loaded_columns, sizeof(cols));
	if (no_module)
		cols[1].title = "NODE";
	rc = rows ? poolctl_print_rows(f, rows, cols, ARRAY_SIZE(cols)) : rc;
	if (!rc)
		fputs("\nLoaded latency: one thread chases dependent loads (LAT "
		      "ns per load) while the\nothers inject traffic, paced "
		      "to TARGET MB/s (point 1 idle, the last unthrottled);\n"
		      "INJECTED: what they moved, MB/s = 10^6 bytes/s, copy "
		      "counting 2 bytes per byte.\n", f);
out:
	json_object_put(rows);
	return rc ? poolctl_err(CMD, -rc, "cannot print") : 0;
}

static int print_matrix(const struct bench_matrix *mx, bool human, FILE *f)
{
	bool ok = true;
	struct json_object *root = poolctl_json_bench(mx, &ok);
	int rc;

	if (!human || !ok)
		return poolctl_print_json(CMD, root, ok, f);
	if (mx->loaded)
		rc = print_loaded(root, mx->no_module, f);
	else
		rc = print_human(root, mx->no_module, f);
	json_object_put(root);
	return rc;
}

int cmd_bench(int argc, char **argv, struct pool_ctx **ctx)
{
	struct bench_args a = {
		.kinds = POOL_BENCH_ALL, .time = 5.0,
		.nr_threads = 1, .threads = { THREADS_ALL },
		.max_spread = DEFAULT_MAX_SPREAD, .inject = -1,
		.place = { .cmd = CMD, .r.policy = -1 },
	};
	struct bench_matrix mx = { 0 };
	poolctl_plot_fn *plot = NULL;
	struct target t[SCALEPOOL_MAX_MEMBERS + 1];	/* + a placement */
	struct pool_alloc_opts alloc;
	int inits[SCALEPOOL_MAX_MEMBERS * 4];
	int nr_tg = 0, nr_i = 0, rc;

	rc = parse_options(&a, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;		/* -1: --help */
	if (numa_available() < 0)
		return poolctl_err(CMD, EOPNOTSUPP, "this kernel has no "
				   "NUMA support");
	rc = get_initiators(&a, inits, (int)ARRAY_SIZE(inits), &nr_i);
	if (rc)
		return rc;
	if (a.apply && !has_cap_sys_admin())
		return poolctl_err(CMD, EPERM, "--apply needs "
				   "CAP_SYS_ADMIN");
	/* Before measuring, which may take minutes: the plugin is there. */
	if (a.plot) {
		plot = poolctl_plugin(CMD, POOLCTL_PLOT_PLUGIN,
				      POOLCTL_PLOT_ENTRY);
		if (!plot)
			return 1;
	}
	if (!a.no_module) {
		rc = poolctl_open(CMD, ctx);
		if (rc)
			return rc;
	}

	rc = get_targets(&a, *ctx, t, &nr_tg);
	if (!rc && a.placed)
		rc = add_placement(&a, *ctx, &alloc, &t[nr_tg++]);
	if (rc)
		return rc;
	mx.no_module = a.no_module;
	mx.loaded = a.loaded;
	mx.time = a.time;
	mx.max_spread = a.max_spread;
	rc = measure(&a, t, nr_tg, inits, nr_i, &mx);
	if (!rc && a.plot)
		rc = write_plot(plot, &mx, a.plot);
	if (!rc && a.save)
		rc = save(*ctx, &mx, a.save);
	if (!rc && a.apply)
		rc = apply(*ctx, &mx);
	mx.applied = !rc && a.apply;
	if (!rc)
		rc = print_matrix(&mx, a.human, stdout);
	free(mx.cells);
	return rc;
}
