// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: the measurement engine's names (kinds, instruction sets) and
 * its options: struct pool_bench_opts checked, with the defaults of the
 * fields left 0.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "bench-private.h"

#define DEFAULT_TIME		5.0		/* seconds per call */
#define DEFAULT_REPETITIONS	10
#define DEFAULT_SEED		0x5ca1ab1e5eedULL
/* Auto's non-temporal threshold when the LLC is unknown. */
#define NT_UNKNOWN_LLC		(32ULL << 20)

static const char *const kind_names[POOL_BENCH_NR_KINDS] = {
	"latency", "read", "write", "copy", "triad",
};

static const char *const isa_names[] = {
	[POOL_BENCH_ISA_AUTO] = "auto",
	[POOL_BENCH_ISA_SCALAR] = "scalar",
	[POOL_BENCH_ISA_SSE2] = "sse2",
	[POOL_BENCH_ISA_AVX2] = "avx2",
};

const char *pool_bench_kind_name(unsigned int kind)
{
	int i;

	for (i = 0; i < POOL_BENCH_NR_KINDS; i++)
		if (kind == 1U << i)
			return kind_names[i];
	return NULL;
}

const char *pool_bench_isa_name(int isa)
{
	return lp_name_of(isa_names, ARRAY_SIZE(isa_names), isa);
}

int pool_bench_isa_from_name(const char *name)
{
	return lp_name_index(isa_names, ARRAY_SIZE(isa_names), name);
}

static int copy_opts(const struct pool_bench_opts *o, struct lp_bench_args *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (!o)
		return 0;
	rc = lp_opts_check(o, o->sz, sizeof(*o));
	if (rc)
		return rc;
	a->kinds = LP_OPTS_GET(o, kinds, 0);
	a->size = LP_OPTS_GET(o, size, 0);
	a->time = LP_OPTS_GET(o, time, 0);
	a->threads = LP_OPTS_GET(o, threads, 0);
	a->reps = LP_OPTS_GET(o, repetitions, 0);
	a->isa = LP_OPTS_GET(o, isa, 0);
	a->seed = LP_OPTS_GET(o, seed, 0);
	a->progress = LP_OPTS_GET(o, progress, NULL);
	a->progress_arg = LP_OPTS_GET(o, progress_arg, NULL);
	a->stores = LP_OPTS_GET(o, stores, POOL_BENCH_STORES_AUTO);
	return 0;
}

int lp_bench_read_opts(const struct pool_bench_opts *o,
		       struct lp_bench_args *a)
{
	int rc = copy_opts(o, a);

	if (rc)
		return rc;
	if (a->kinds & ~POOL_BENCH_ALL || !isfinite(a->time) || a->time < 0 ||
	    !pool_bench_isa_name(a->isa) ||
	    a->stores < POOL_BENCH_STORES_AUTO ||
	    a->stores > POOL_BENCH_STORES_NT)
		return -EINVAL;
	if (a->threads > POOL_BENCH_MAX_THREADS)
		return -E2BIG;
	if (!lp_bench_isa_supported(lp_bench_resolve_isa(a->isa)))
		return -EOPNOTSUPP;
	if (!a->kinds)
		a->kinds = POOL_BENCH_ALL;
	if (!a->time)
		a->time = DEFAULT_TIME;
	if (!a->reps)
		a->reps = DEFAULT_REPETITIONS;
	if (!a->seed)
		a->seed = DEFAULT_SEED;
	return 0;
}

/*
 * Non-temporal stores win once the array cannot stay in the cache: an
 * ordinary store first reads the line (read for ownership), which costs
 * a third of copy's traffic, and evicts lines still to be read.  glibc's
 * memcpy switches at 3/4 of the shared cache per call; the engine's
 * arrays are split between threads that share the LLC, so it switches
 * at the LLC itself for the whole array.
 */
unsigned int lp_bench_nt_kinds(int stores, unsigned int kinds, size_t size,
			       unsigned long long llc)
{
	bool large = llc ? size > llc : size >= NT_UNKNOWN_LLC;

	switch (stores) {
	case POOL_BENCH_STORES_NT:
		return kinds & POOL_BENCH_STORING;
	case POOL_BENCH_STORES_AUTO:
		if (large)
			return kinds & POOL_BENCH_STORING;
		return 0;
	default:
		return 0;
	}
}
