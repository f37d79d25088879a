// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: loaded latency, the figure Intel MLC's --loaded_latency
 * gives.  Worker 0 of the team chases dependent loads through its own
 * buffer while workers 1..n-1, the injectors, read (or copy) their
 * slices of one or two arrays in the same memory, a block of 4 KiB at a
 * time, each block followed by a wait for its slot under the rate asked
 * for.  The wait is paced by the clock rather than by a spin count
 * calibrated once, so that the rate holds on a CPU whose speed changes
 * (and under an emulator); what is calibrated is the rate itself: the
 * first point runs the injectors unthrottled, their saturation, and the
 * points between idle and it ask for even fractions of that figure.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>

#include "bench-private.h"

#define DEFAULT_TIME	5.0
#define DEFAULT_POINTS	8
#define BLOCK		4096UL		/* bytes an injector moves at once */
#define WARMUP_SHARE	0.1		/* of the time: the chase alone */
#define MIN_POINT_TIME	0.01		/* seconds */
/* Loads asked of the chase: far more than any point does; stop ends it. */
#define CHASE_FOREVER	(1ULL << 62)
/*
 * Seconds an injector may fall behind its slots and still catch up: a
 * thread descheduled for a moment (a shared machine, a hypervisor) then
 * keeps its average rate.  On the build machine, shared, injectors lost
 * 8 ms at a time; a pacing restarted after each such stop made 20 to 30%
 * of the rate asked for, with 20 ms of catching up 96 to 98%.  After a
 * longer stop the pacing starts again rather than burst.
 */
#define MAX_DEBT	20e-3
/* As bench.c's ARRAY_GAP: the two arrays never a power of two apart. */
#define ARRAY_GAP	(4096 + 64)
#define IDLE		(-1.0)		/* a point's period: no injection */
/*
 * The chase times itself in samples, about SAMPLES_PER_POINT a point, and
 * a point's latency is their median: on a shared machine one stretch of
 * the chase descheduled made a mean of 290 us out of 0.4 us loads.
 */
#define SAMPLES_PER_POINT	64
#define MAX_SAMPLES		256
#define MIN_SAMPLE_LOADS	256

struct loaded_args {
	unsigned long long size;
	double time;
	unsigned int threads;
	unsigned int points;
	int inject;
	int isa;
	unsigned long long seed;
	void (*progress)(unsigned int point, void *arg);
	void *progress_arg;
};

/* What one point asks of the workers, and what each did. */
struct loaded {
	const struct lp_bench_loops *loops;
	int inject;
	void *chase_pos;
	char *src, *dst;		/* dst only for copy */
	size_t slice;			/* each injector's part of an array */
	unsigned int nr_threads;
	double period;			/* seconds a block; 0 unpaced; IDLE */
	unsigned long long sample_loads;	/* loads of a chase sample */
	unsigned int nr_samples;
	double samples[MAX_SAMPLES];	/* ns a load */
	atomic_int stop;
	unsigned long long done[POOL_BENCH_MAX_THREADS]; /* loads, bytes */
	double t0[POOL_BENCH_MAX_THREADS];
	double t1[POOL_BENCH_MAX_THREADS];
	volatile uint64_t sink;
};

static int read_opts(const struct pool_bench_loaded_opts *o,
		     struct loaded_args *a)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (o) {
		rc = lp_opts_check(o, o->sz, sizeof(*o));
		if (rc)
			return rc;
		a->size = LP_OPTS_GET(o, size, 0);
		a->time = LP_OPTS_GET(o, time, 0);
		a->threads = LP_OPTS_GET(o, threads, 0);
		a->points = LP_OPTS_GET(o, points, 0);
		a->inject = LP_OPTS_GET(o, inject, POOL_BENCH_INJECT_READ);
		a->isa = LP_OPTS_GET(o, isa, 0);
		a->seed = LP_OPTS_GET(o, seed, 0);
		a->progress = LP_OPTS_GET(o, progress, NULL);
		a->progress_arg = LP_OPTS_GET(o, progress_arg, NULL);
	}
	if (!isfinite(a->time) || a->time < 0 || a->points == 1 ||
	    a->points > POOL_BENCH_MAX_POINTS || a->threads == 1 ||
	    (a->inject != POOL_BENCH_INJECT_READ &&
	     a->inject != POOL_BENCH_INJECT_COPY) ||
	    !pool_bench_isa_name(a->isa))
		return -EINVAL;
	if (a->threads > POOL_BENCH_MAX_THREADS)
		return -E2BIG;
	if (!lp_bench_isa_supported(lp_bench_resolve_isa(a->isa)))
		return -EOPNOTSUPP;
	if (!a->time)
		a->time = DEFAULT_TIME;
	if (!a->points)
		a->points = DEFAULT_POINTS;
	if (!a->seed)
		a->seed = 0x5ca1ab1e5eedULL;
	return 0;
}

/* Bytes an injector's block counts for, as STREAM counts: copy 2. */
static unsigned long long block_bytes(int inject)
{
	return inject == POOL_BENCH_INJECT_COPY ? 2 * BLOCK : BLOCK;
}

/*
 * The clock, read in a wait loop: with a pause first, which tells a CPU
 * whose core runs another thread (the chase, on an SMT sibling) to give
 * it the core's resources while this one only waits.
 */
static double spin_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
	return lp_bench_now();
}

static void inject_worker(struct loaded *l, unsigned int i)
{
	size_t off = l->slice * (i - 1), pos = 0;
	unsigned long long blocks = 0;
	double next, now;
	uint64_t sum = 0;

	l->t0[i] = next = lp_bench_now();
	/*
	 * One block at least, as the bandwidth loops do a chunk: an
	 * injector woken after the stop (a short point on a CPU it shares
	 * with the chase) would leave the saturation, and every rate made
	 * from it, at 0.
	 */
	while (l->period != IDLE && (!blocks ||
	       !atomic_load_explicit(&l->stop, memory_order_relaxed))) {
		if (l->inject == POOL_BENCH_INJECT_COPY)
			l->loops->copy(l->dst + off + pos, l->src + off + pos,
				       BLOCK);
		else
			sum += l->loops->read(l->src + off + pos, BLOCK);
		blocks++;
		pos = pos + 2 * BLOCK > l->slice ? 0 : pos + BLOCK;
		if (l->period <= 0)
			continue;
		next += l->period;
		do
			now = spin_now();
		while (now < next &&
		       !atomic_load_explicit(&l->stop, memory_order_relaxed));
		if (now - next > MAX_DEBT)
			next = now;
	}
	l->t1[i] = lp_bench_now();
	l->done[i] = blocks * block_bytes(l->inject);
	if (sum == 42)	/* keeps the loads; any value would do */
		l->sink = sum;
}

/* Worker 0: the chase, in samples until the stop flag. */
static void chase_worker(struct loaded *l)
{
	unsigned long long n, done = 0;
	double t = lp_bench_now(), t1;

	l->t0[0] = t;
	l->nr_samples = 0;
	do {
		n = lp_bench_chase(&l->chase_pos, l->sample_loads, &l->stop);
		t1 = lp_bench_now();
		if (l->nr_samples < MAX_SAMPLES && n >= l->sample_loads)
			l->samples[l->nr_samples++] =
				(t1 - t) * 1e9 / (double)n;
		done += n;
		t = t1;
	} while (!atomic_load_explicit(&l->stop, memory_order_relaxed));
	l->t1[0] = t;
	l->done[0] = done;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* The median of the chase's samples; the mean when none completed. */
static double chase_latency(struct loaded *l, const struct pool_bench_point *pt)
{
	unsigned int n = l->nr_samples;

	if (!n)
		return pt->loads ? pt->seconds * 1e9 / (double)pt->loads : 0;
	qsort(l->samples, n, sizeof(*l->samples), cmp_double);
	return n % 2 ? l->samples[n / 2] :
	       (l->samples[n / 2 - 1] + l->samples[n / 2]) / 2;
}

static void loaded_worker(void *arg, unsigned int i)
{
	struct loaded *l = arg;

	if (i) {
		inject_worker(l, i);
		return;
	}
	chase_worker(l);
}

/* One point: every worker for @secs, injectors paced by @period. */
static void run_point(struct lp_bench_team *team, struct loaded *l,
		      double period, double secs, struct pool_bench_point *pt)
{
	double t0 = INFINITY, t1 = 0;
	unsigned long long bytes = 0;
	unsigned int i;

	l->period = period;
	atomic_store(&l->stop, 0);
	lp_bench_team_run_until(team, loaded_worker, l, lp_bench_now() + secs,
				&l->stop);
	pt->loads = l->done[0];
	pt->seconds = l->t1[0] - l->t0[0];
	pt->latency_ns = chase_latency(l, pt);
	for (i = 1; i < l->nr_threads; i++) {
		bytes += l->done[i];
		if (l->t0[i] < t0)
			t0 = l->t0[i];
		if (l->t1[i] > t1)
			t1 = l->t1[i];
	}
	pt->inject_mbps = bytes && t1 > t0 ? (double)bytes / (t1 - t0) / 1e6 :
			  0;
}

static void report(const struct loaded_args *a, unsigned int point)
{
	if (a->progress)
		a->progress(point, a->progress_arg);
}

/*
 * The curve: saturation first (the calibration), idle, then the rates
 * between, each an even fraction of the saturation.  Stored by target.
 */
static void run_curve(const struct loaded_args *a, struct lp_bench_team *team,
		      struct loaded *l, double deadline,
		      struct pool_bench_curve *r)
{
	unsigned int n = a->points, j, nr_inj = l->nr_threads - 1;
	struct pool_bench_point *pt = r->points;
	double secs = (deadline - lp_bench_now()) / n, full, target;

	if (secs < MIN_POINT_TIME)
		secs = MIN_POINT_TIME;
	report(a, n - 1);
	run_point(team, l, 0, secs, &pt[n - 1]);
	full = pt[n - 1].inject_mbps;
	pt[n - 1].target_mbps = full;
	report(a, 0);
	run_point(team, l, IDLE, secs, &pt[0]);
	for (j = 1; j + 1 < n; j++) {
		report(a, j);
		target = full * j / (n - 1);
		/* Each injector's share of @target, a block at a time. */
		run_point(team, l, target > 0 ? (double)block_bytes(a->inject) *
			  nr_inj / (target * 1e6) : IDLE, secs, &pt[j]);
		pt[j].target_mbps = target;
	}
	r->nr_points = n;
}

/* Loads a chase sample takes, from the warm-up's speed. */
static unsigned long long sample_loads(const struct pool_bench_point *warm,
				       double deadline, unsigned int points)
{
	double per_load, loads, left = deadline - lp_bench_now();

	if (!warm->loads || warm->seconds <= 0 || left <= 0)
		return MIN_SAMPLE_LOADS;
	per_load = warm->seconds / (double)warm->loads;
	loads = left / points / SAMPLES_PER_POINT / per_load;
	return loads < MIN_SAMPLE_LOADS ? MIN_SAMPLE_LOADS :
	       (unsigned long long)loads;
}

/* The chase's buffer and the injectors' arrays, sized as bench.c does. */
static int get_buffers(const struct lp_bench_src *src,
		       const struct loaded_args *a, double budget,
		       struct pool_bench_curve *r, struct loaded *l,
		       struct lp_bench_mem *cm, struct lp_bench_mem *im)
{
	unsigned int arrays = a->inject == POOL_BENCH_INJECT_COPY ? 2 : 1;
	unsigned long long nr_inj = l->nr_threads - 1, csize, isize;
	bool shrunk;
	int rc;

	csize = a->size ? a->size :
		lp_bench_latency_size((long long)r->llc_size, r->probe_mbps,
				      budget);
	isize = a->size ? a->size :
		lp_bench_array_size((long long)r->llc_size, r->probe_mbps,
				    budget, arrays, 1, &shrunk);
	csize = (csize + LP_BENCH_CHUNK_ALIGN - 1) / LP_BENCH_CHUNK_ALIGN *
		LP_BENCH_CHUNK_ALIGN;
	/* A block per injector at least, and whole blocks each. */
	l->slice = isize / nr_inj / BLOCK * BLOCK;
	if (!l->slice)
		l->slice = BLOCK;
	isize = l->slice * nr_inj;
	if (isize > (SIZE_MAX - ARRAY_GAP) / 2)
		return -EOVERFLOW;
	rc = lp_bench_mem_get(src, csize, true, cm);
	if (rc)
		return rc;
	r->latency_size = csize;
	r->cache_bound = r->llc_size && csize < r->llc_size;
	r->lines = lp_bench_chase_build(cm->addr, csize, a->seed);
	if (!r->lines)
		return -ENOMEM;
	rc = lp_bench_mem_get(src,
			      isize * arrays + ARRAY_GAP * (arrays - 1), true,
			      im);
	if (rc)
		return rc;
	r->inject_size = isize;
	l->chase_pos = cm->addr;
	l->src = im->addr;
	l->dst = arrays > 1 ? l->src + isize + ARRAY_GAP : NULL;
	return 0;
}

/* Threads (0: one per CPU of @initiator) and whether CPUs are shared. */
static int count_threads(int initiator, struct loaded_args *a,
			 struct pool_bench_curve *r)
{
	struct bitmask *cpus = lp_bench_node_cpus(initiator);
	unsigned int n;

	if (!cpus)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	n = numa_bitmask_weight(cpus);
	numa_free_cpumask(cpus);
	if (!a->threads)
		a->threads = n;
	if (a->threads < 2)
		return -EINVAL;
	r->threads = a->threads;
	r->shared_cpus = a->threads > n;
	return 0;
}

static int loaded_run(const struct lp_bench_src *src, int initiator,
		      const struct pool_bench_loaded_opts *opts,
		      struct pool_bench_curve *out)
{
	struct pool_bench_curve r = { .sz = sizeof(r) };
	struct lp_bench_mem cm = { 0 }, im = { 0 };
	struct lp_bench_team *team = NULL;
	struct loaded_args a;
	struct loaded *l;
	double start, deadline;
	long long llc;
	int rc;

	if (!out || out->sz < sizeof(*out))
		return -EINVAL;
	rc = read_opts(opts, &a);
	if (!rc)
		rc = count_threads(initiator, &a, &r);
	if (rc)
		return rc;
	if (lp_bench_src_check(src, &r.node, &r.member))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	r.initiator = initiator;
	r.inject = a.inject;
	r.isa = lp_bench_resolve_isa(a.isa);
	llc = pool_bench_llc_size(initiator);
	r.llc_size = llc > 0 ? (unsigned long long)llc : 0;
	l->loops = lp_bench_get_loops(r.isa);
	l->inject = a.inject;
	l->nr_threads = a.threads;

	/* The time budget runs from here: the probe and setups count. */
	start = lp_bench_now();
	deadline = start + a.time;
	rc = lp_bench_team_start(initiator, a.threads, &team);
	if (!rc)
		rc = lp_bench_probe(src, l->loops, team, &r.probe_mbps);
	if (!rc)
		rc = get_buffers(src, &a, a.time, &r, l, &cm, &im);
	if (rc)
		goto out;
	/* Warm-up: the chase's path and TLB, the injectors idle. */
	l->sample_loads = CHASE_FOREVER;
	run_point(team, l, IDLE, a.time * WARMUP_SHARE, &r.points[0]);
	l->sample_loads = sample_loads(&r.points[0], deadline, a.points);
	run_curve(&a, team, l, deadline, &r);
	memcpy((char *)out + sizeof(out->sz), (char *)&r + sizeof(r.sz),
	       sizeof(r) - sizeof(r.sz));
out:
	lp_bench_team_stop(team);
	lp_bench_mem_put(&im);
	lp_bench_mem_put(&cm);
	free(l);
	return rc;
}

int pool_bench_loaded_member(struct pool_member *member, int initiator,
			     const struct pool_bench_loaded_opts *opts,
			     struct pool_bench_curve *res)
{
	struct lp_bench_src src = { .m = member };

	if (!member)
		return -EINVAL;
	return loaded_run(&src, initiator, opts, res);
}

int pool_bench_loaded_node(int node, int initiator,
			   const struct pool_bench_loaded_opts *opts,
			   struct pool_bench_curve *res)
{
	struct lp_bench_src src = { .node = node };

	return loaded_run(&src, initiator, opts, res);
}
