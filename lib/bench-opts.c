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
	return 0;
}

int lp_bench_read_opts(const struct pool_bench_opts *o,
		       struct lp_bench_args *a)
{
	int rc = copy_opts(o, a);

	if (rc)
		return rc;
	if (a->kinds & ~POOL_BENCH_ALL || !isfinite(a->time) || a->time < 0 ||
	    !pool_bench_isa_name(a->isa))
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
