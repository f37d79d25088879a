// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: one measurement of the engine.  Idle latency by a
 * dependent-load chase, and read, write, copy and triad bandwidth with
 * a team of threads pinned to an initiator node's CPUs (bench-team.c),
 * on memory from a pool member or from a plain NUMA node; bounded by
 * size (bench-sizing.c) and by time.  The loops themselves are in
 * bench-loops.c, the options in bench-opts.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <numa.h>

#include "bench-private.h"

/* A kind whose setup overran still gets this much of its even share. */
#define MIN_KIND_SHARE		0.25
#define PROBE_SIZE		(256ULL << 10)
#define PROBE_TIME		0.02		/* seconds of probe writes */
/* Share of a kind's budget that its warm-up pass may take. */
#define WARMUP_SHARE		0.2
/* Bytes between two looks at the stop flag in the bandwidth loops. */
#define CHUNK			(64UL << 10)
/* Loads per timed chase repetition, fitted to the speed of the warm-up. */
#define MIN_CHASE_LOADS		(1ULL << 12)
#define MAX_CHASE_LOADS		(1ULL << 18)
#define TWO_MIB			(2UL << 20)
/*
 * Between two arrays: a page and a line, so that a[i], b[i] and c[i] are
 * never a power of two apart.  Otherwise they fall into the same set of
 * a cache, and into the same entry of QEMU's direct-mapped software TLB,
 * which under TCG made copy and triad four times slower (STREAM pads its
 * arrays for the same reason).
 */
#define ARRAY_GAP		(4096 + 64)
/* struct pool_bench_result before LIBPOOL_1.7 added @stores. */
#define RESULT_MIN_SIZE		offsetof(struct pool_bench_result, stores)

struct bench_state {
	char *a, *b, *c;		/* the arrays, @size bytes each */
	size_t size;
	const struct lp_bench_loops *loops;
	unsigned int nt_kinds;		/* kinds with non-temporal stores */
	struct lp_bench_team *team;
	unsigned int nr_threads;
	void *chase_pos;
};

/* What one pass asks of the workers, and what each did. */
struct pass {
	struct bench_state *st;
	unsigned int kind;
	atomic_int stop;
	unsigned long long loads;	/* latency: loads to do */
	unsigned long long done[POOL_BENCH_MAX_THREADS]; /* bytes or loads */
	double t0[POOL_BENCH_MAX_THREADS];
	double t1[POOL_BENCH_MAX_THREADS];
	volatile uint64_t sink;
};

/* Worker @i's slice of an array: pages, the last takes the rest. */
static void slice(size_t size, unsigned int n, unsigned int i,
		  size_t *off, size_t *len)
{
	size_t per = size / n / LP_BENCH_CHUNK_ALIGN * LP_BENCH_CHUNK_ALIGN;

	*off = per * i;
	*len = i == n - 1 ? size - *off : per;
}

/* STREAM's byte counts: copy reads and writes, triad reads two. */
static unsigned int bytes_factor(unsigned int kind)
{
	switch (kind) {
	case POOL_BENCH_COPY:
		return 2;
	case POOL_BENCH_TRIAD:
		return 3;
	default:
		return 1;
	}
}

/* One chunk of @n bytes at @pos of each array; returns what read summed. */
static uint64_t run_chunk(const struct bench_state *st, unsigned int kind,
			  size_t pos, size_t n)
{
	const struct lp_bench_loops *l = st->loops;
	bool nt = st->nt_kinds & kind;

	switch (kind) {
	case POOL_BENCH_READ:
		return l->read(st->a + pos, n);
	case POOL_BENCH_WRITE:
		(nt ? l->write_nt : l->write)(st->a + pos, n);
		break;
	case POOL_BENCH_COPY:
		(nt ? l->copy_nt : l->copy)(st->a + pos, st->b + pos, n);
		break;
	case POOL_BENCH_TRIAD:
		(nt ? l->triad_nt : l->triad)(st->a + pos, st->b + pos,
					      st->c + pos, n);
		break;
	}
	return 0;
}

static void pass_worker(void *arg, unsigned int i)
{
	struct pass *p = arg;
	struct bench_state *st = p->st;
	size_t off, len, pos, n;
	unsigned long long done = 0;
	uint64_t sum = 0;

	p->t0[i] = lp_bench_now();
	if (p->kind == POOL_BENCH_LATENCY) {
		if (i == 0)
			done = lp_bench_chase(&st->chase_pos, p->loads,
					      &p->stop);
		p->done[i] = done;
		p->t1[i] = lp_bench_now();
		return;
	}
	slice(st->size, st->nr_threads, i, &off, &len);
	/* At least one chunk, so that even a spent budget measures some. */
	for (pos = off; pos < off + len; pos += n) {
		if (pos > off &&
		    atomic_load_explicit(&p->stop, memory_order_relaxed))
			break;
		n = off + len - pos < CHUNK ? off + len - pos : CHUNK;
		sum += run_chunk(st, p->kind, pos, n);
		done += n;
	}
	p->t1[i] = lp_bench_now();
	p->done[i] = done * bytes_factor(p->kind);
	if (sum == 42)	/* keeps the loads; any value would do */
		p->sink = sum;
}

/*
 * Worker @i touches first the pages of its own slices of the arrays, so
 * that the kernel zeroes (and, without a binding, places) them from the
 * CPU that will use them, as STREAM's OpenMP initialisation does.  Only
 * for libnuma's memory: the pool's is populated by pool_alloc().
 */
static void touch_worker(void *arg, unsigned int i)
{
	struct bench_state *st = arg;
	char *arrays[3] = { st->a, st->b, st->c };
	size_t off, len, pos;
	unsigned int k;

	slice(st->size, st->nr_threads, i, &off, &len);
	for (k = 0; k < 3; k++) {
		if (k && arrays[k] == arrays[k - 1])
			break;
		for (pos = off; pos < off + len; pos += LP_BENCH_CHUNK_ALIGN)
			((volatile char *)arrays[k])[pos] = 0;
	}
}

/* Seconds from the first worker's start to the last one's end. */
static double pass_seconds(const struct pass *p, unsigned int n,
			   unsigned long long *total)
{
	double t0 = p->t0[0], t1 = p->t1[0];
	unsigned int i;

	*total = 0;
	for (i = 0; i < n; i++) {
		if (p->t0[i] < t0)
			t0 = p->t0[i];
		if (p->t1[i] > t1)
			t1 = p->t1[i];
		*total += p->done[i];
	}
	return t1 - t0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* A figure from the samples: median, min and max. */
static void summarize(struct pool_bench_figure *f, double *samples,
		      unsigned int n)
{
	if (!n)
		return;
	qsort(samples, n, sizeof(*samples), cmp_double);
	f->min = samples[0];
	f->max = samples[n - 1];
	f->value = n % 2 ? samples[n / 2] :
		   (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

static double sample_of(unsigned int kind, unsigned long long done,
			double seconds)
{
	if (kind == POOL_BENCH_LATENCY)
		return seconds * 1e9 / (double)done;
	return (double)done / seconds / 1e6;
}

/*
 * Loads per timed chase repetition: as many as the warm-up's speed says
 * @reps repetitions can do before @deadline.  The chase never has to go
 * round its whole cycle: a few thousand dependent loads at random over a
 * buffer far above the LLC measure the memory, and on slow memory (10 us
 * a load on CXL under TCG) the cycle of 16 MiB would take seconds.
 */
static unsigned long long chase_loads(struct pass *p, double deadline,
				      unsigned int reps)
{
	unsigned long long done;
	double secs = pass_seconds(p, 1, &done);
	double left = deadline - lp_bench_now(), loads;

	if (!done || secs <= 0 || left <= 0)
		return MIN_CHASE_LOADS;
	loads = left / reps / (secs / (double)done);
	if (loads < MIN_CHASE_LOADS)
		return MIN_CHASE_LOADS;
	if (loads > MAX_CHASE_LOADS)
		return MAX_CHASE_LOADS;
	return (unsigned long long)loads;
}

/* One kind: a warm-up pass, then timed passes within @budget seconds. */
static void measure_kind(struct bench_state *st, unsigned int kind,
			 double budget, unsigned int reps,
			 struct pool_bench_figure *f)
{
	struct pass *p = calloc(1, sizeof(*p));
	double start = lp_bench_now(), deadline = start + budget, secs;
	double *samples = calloc(reps, sizeof(*samples));
	unsigned long long total;
	unsigned int n = 0;
	bool stopped;

	memset(f, 0, sizeof(*f));
	if (!p || !samples)
		goto out;
	p->st = st;
	p->kind = kind;
	p->loads = MAX_CHASE_LOADS;

	/* Warm-up: faults, TLB and (for the chase) the path, untimed. */
	atomic_store(&p->stop, 0);
	lp_bench_team_run_until(st->team, pass_worker, p,
				start + budget * WARMUP_SHARE, &p->stop);
	if (kind == POOL_BENCH_LATENCY)
		p->loads = chase_loads(p, deadline, reps);

	/* At least one timed pass, stopped by the deadline if need be. */
	while (n < reps && (!n || lp_bench_now() < deadline)) {
		atomic_store(&p->stop, 0);
		stopped = lp_bench_team_run_until(st->team, pass_worker, p,
						  deadline, &p->stop);
		secs = pass_seconds(p, st->nr_threads, &total);
		if (!total || secs <= 0)
			break;
		if (stopped) {
			/* Only when nothing complete exists: say so. */
			if (!n) {
				samples[n++] = sample_of(kind, total, secs);
				f->partial = true;
				f->bytes += total;
				f->seconds += secs;
			}
			break;
		}
		samples[n++] = sample_of(kind, total, secs);
		f->repetitions++;
		f->bytes += total;
		f->seconds += secs;
	}
	summarize(f, samples, n);
out:
	free(samples);
	free(p);
}

/* ---- memory */

int lp_bench_src_check(const struct lp_bench_src *src, int *node,
		       int *member)
{
	*node = src->node;
	*member = -1;
	if (src->m) {
		*node = pool_member_get_node(src->m);
		*member = (int)pool_member_get_id(src->m);
	} else if (src->alloc) {
		*node = -1;
		if (!src->ctx)
			return -EINVAL;
	} else if (src->node < 0 || src->node > numa_max_node() ||
		   !numa_bitmask_isbitset(numa_all_nodes_ptr,
					  (unsigned int)src->node)) {
		return -EINVAL;
	}
	return 0;
}

/* A pool allocation, as @src says, populated. */
static int mem_alloc(const struct lp_bench_src *src, size_t len,
		     struct lp_bench_mem *mem)
{
	struct pool_alloc_opts opts;
	unsigned int id;
	int rc;

	if (src->alloc) {
		rc = lp_opts_check(src->alloc, src->alloc->sz, sizeof(opts));
		if (rc)
			return rc;
		memset(&opts, 0, sizeof(opts));
		memcpy(&opts, src->alloc, src->alloc->sz);
		opts.sz = sizeof(opts);
		opts.flags |= POOL_ALLOC_POPULATE;
		rc = pool_alloc(src->ctx, len, &opts, &mem->buf);
	} else {
		id = pool_member_get_id(src->m);
		POOL_OPTS(pool_alloc_opts, o,
			.policy = POOL_POLICY_BIND,
			.flags = POOL_ALLOC_POPULATE,
			.members = &id,
			.nr_members = 1,
		);
		rc = pool_alloc(pool_member_get_ctx(src->m), len, &o,
				&mem->buf);
	}
	if (!rc)
		mem->addr = pool_buf_get_addr(mem->buf);
	return rc;
}

/* @touch: libnuma's pages are touched here, else by the caller. */
int lp_bench_mem_get(const struct lp_bench_src *src, size_t len, bool touch,
		     struct lp_bench_mem *mem)
{
	size_t off;

	memset(mem, 0, sizeof(*mem));
	mem->len = len;
	if (src->m || src->alloc)
		return mem_alloc(src, len, mem);
	mem->addr = numa_alloc_onnode(len, src->node);
	if (!mem->addr)
		return -ENOMEM;
	/* 2 MiB pages where the kernel can: fewer TLB misses in the chase. */
	if (len >= TWO_MIB)
		madvise(mem->addr, len, MADV_HUGEPAGE);
	for (off = 0; touch && off < len; off += LP_BENCH_CHUNK_ALIGN)
		((volatile char *)mem->addr)[off] = 0;
	return 0;
}

void lp_bench_mem_put(struct lp_bench_mem *mem)
{
	if (mem->buf)
		pool_buf_free(mem->buf);
	else if (mem->addr)
		numa_free(mem->addr, mem->len);
	memset(mem, 0, sizeof(*mem));
}

struct probe {
	const struct lp_bench_loops *loops;
	char *addr;
	unsigned long long bytes;
	double seconds;
};

static void probe_worker(void *arg, unsigned int i)
{
	struct probe *p = arg;
	double t0, t;

	if (i)
		return;
	p->loops->write(p->addr, PROBE_SIZE);	/* fault and warm */
	t0 = lp_bench_now();
	do {
		p->loops->copy(p->addr, p->addr + PROBE_SIZE / 2,
			       PROBE_SIZE / 2);
		p->bytes += PROBE_SIZE;		/* read half, write half */
		t = lp_bench_now() - t0;
	} while (t < PROBE_TIME);
	p->seconds = t;
}

/*
 * The first quick pass: copy speed within PROBE_SIZE bytes of the
 * memory, in MB/s counted as STREAM does, for at least PROBE_TIME (one
 * pass at least) by the first worker, so from the initiator.  A copy
 * rather than writes: on emulated CXL reads are slower than writes.
 */
int lp_bench_probe(const struct lp_bench_src *src,
		   const struct lp_bench_loops *loops,
		   struct lp_bench_team *team, double *mbps)
{
	struct probe p = { .loops = loops };
	struct lp_bench_mem mem;
	int rc;

	rc = lp_bench_mem_get(src, PROBE_SIZE, true, &mem);
	if (rc)
		return rc;
	p.addr = mem.addr;
	lp_bench_team_run(team, probe_worker, &p);
	*mbps = (double)p.bytes / p.seconds / 1e6;
	lp_bench_mem_put(&mem);
	return 0;
}

static unsigned int nr_kinds(unsigned int kinds)
{
	return (unsigned int)__builtin_popcount(kinds);
}

static unsigned int nr_arrays(unsigned int kinds)
{
	if (kinds & POOL_BENCH_TRIAD)
		return 3;
	if (kinds & POOL_BENCH_COPY)
		return 2;
	return 1;
}

/* ---- the API */

/* One call's progress through its kinds and its time budget. */
struct bench_clock {
	double deadline;	/* of the whole call */
	double share;		/* a kind's even share of @time */
	unsigned int left;	/* kinds still to measure */
};

/*
 * A kind's budget: what is left of the call's time, evenly over the
 * kinds still to come, so that time a setup took is taken from all of
 * them; at least MIN_KIND_SHARE of the even share, so that a slow setup
 * does not leave a kind nothing.
 */
static double kind_budget(struct bench_clock *clk)
{
	double budget = (clk->deadline - lp_bench_now()) / clk->left;

	clk->left--;
	return budget < clk->share * MIN_KIND_SHARE ?
	       clk->share * MIN_KIND_SHARE : budget;
}

static void report_progress(const struct lp_bench_args *a,
			    unsigned int kind)
{
	if (a->progress)
		a->progress(kind, a->progress_arg);
}

/*
 * Latency: a chase over its own buffer, sized apart from the arrays (see
 * lp_bench_latency_size()), set up, measured and freed before the
 * arrays are.
 */
static int run_latency(const struct lp_bench_src *src,
		       const struct lp_bench_args *a, struct bench_state *st,
		       struct bench_clock *clk, struct pool_bench_result *r)
{
	struct pool_bench_figure *f = &r->figures[0];
	struct lp_bench_mem mem;
	size_t size;
	int rc;

	report_progress(a, POOL_BENCH_LATENCY);
	if (a->size)
		size = a->size;
	else
		size = lp_bench_latency_size((long long)r->llc_size,
					     r->probe_mbps,
					     clk->deadline - lp_bench_now());
	size = (size + LP_BENCH_CHUNK_ALIGN - 1) / LP_BENCH_CHUNK_ALIGN *
	       LP_BENCH_CHUNK_ALIGN;
	rc = lp_bench_mem_get(src, size, true, &mem);
	if (rc)
		return rc;
	r->latency_size = size;
	r->lines = lp_bench_chase_build(mem.addr, size, a->seed);
	if (!r->lines) {
		lp_bench_mem_put(&mem);
		return -ENOMEM;
	}
	st->chase_pos = mem.addr;
	measure_kind(st, POOL_BENCH_LATENCY, kind_budget(clk), a->reps, f);
	f->cache_bound = r->llc_size && size < r->llc_size;
	lp_bench_mem_put(&mem);
	return 0;
}

/* The bandwidth kinds, over up to three arrays a page and a line apart. */
static int run_bandwidth(const struct lp_bench_src *src,
			 const struct lp_bench_args *a, struct bench_state *st,
			 struct bench_clock *clk, struct pool_bench_result *r)
{
	unsigned int i, arrays = nr_arrays(a->kinds);
	double left = clk->deadline - lp_bench_now();
	struct lp_bench_mem mem;
	size_t size;
	int rc;

	/* What the kinds will get even when the chase's setup overran. */
	if (left < clk->share * MIN_KIND_SHARE * clk->left)
		left = clk->share * MIN_KIND_SHARE * clk->left;
	if (a->size)
		size = a->size;
	else
		size = lp_bench_array_size((long long)r->llc_size,
					   r->probe_mbps, left, arrays,
					   clk->left, &r->shrunk);
	size = (size + LP_BENCH_CHUNK_ALIGN - 1) / LP_BENCH_CHUNK_ALIGN *
	       LP_BENCH_CHUNK_ALIGN;
	if (size > (SIZE_MAX - arrays * ARRAY_GAP) / arrays)
		return -EOVERFLOW;
	r->size = size;
	rc = lp_bench_mem_get(src, size * arrays + (arrays - 1) * ARRAY_GAP,
			      false, &mem);
	if (rc)
		return rc;
	st->size = size;
	st->a = mem.addr;
	st->b = arrays > 1 ? st->a + size + ARRAY_GAP : st->a;
	st->c = arrays > 2 ? st->b + size + ARRAY_GAP : st->b;
	if (!src->m && !src->alloc)
		lp_bench_team_run(st->team, touch_worker, st);
	st->nt_kinds = lp_bench_nt_kinds(a->stores, a->kinds, size,
					 r->llc_size);
	r->nt_kinds = st->nt_kinds;

	for (i = 1; i < POOL_BENCH_NR_KINDS; i++) {
		unsigned int kind = 1U << i;

		if (!(a->kinds & kind))
			continue;
		report_progress(a, kind);
		measure_kind(st, kind, kind_budget(clk), a->reps,
			     &r->figures[i]);
		r->figures[i].cache_bound = r->llc_size && size < r->llc_size;
	}
	lp_bench_mem_put(&mem);
	return 0;
}

static int bench_run(const struct lp_bench_src *src, int initiator,
		     const struct pool_bench_opts *opts,
		     struct pool_bench_result *out)
{
	struct pool_bench_result r = { .sz = sizeof(r) };
	struct bench_state st = { 0 };
	struct bench_clock clk;
	struct bitmask *cpus;
	struct lp_bench_args a;
	long long llc;
	unsigned int i;
	int rc;

	if (!out || out->sz < RESULT_MIN_SIZE)
		return -EINVAL;
	rc = lp_bench_read_opts(opts, &a);
	if (rc)
		return rc;
	cpus = lp_bench_node_cpus(initiator);
	if (!cpus)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	if (!a.threads)
		a.threads = numa_bitmask_weight(cpus);
	numa_free_cpumask(cpus);
	if (lp_bench_src_check(src, &r.node, &r.member))
		return -EINVAL;

	r.initiator = initiator;
	r.kinds = a.kinds;
	r.threads = a.threads;
	r.isa = lp_bench_resolve_isa(a.isa);
	r.stores = a.stores;
	llc = pool_bench_llc_size(initiator);
	r.llc_size = llc > 0 ? (unsigned long long)llc : 0;
	st.loops = lp_bench_get_loops(r.isa);

	/* The time budget runs from here: the probe and setups count. */
	clk.deadline = lp_bench_now() + a.time;
	clk.left = nr_kinds(a.kinds);
	clk.share = a.time / clk.left;
	rc = lp_bench_team_start(initiator, a.threads, &st.team);
	if (rc)
		return rc;
	st.nr_threads = a.threads;
	rc = lp_bench_probe(src, st.loops, st.team, &r.probe_mbps);
	if (!rc && (a.kinds & POOL_BENCH_LATENCY))
		rc = run_latency(src, &a, &st, &clk, &r);
	if (!rc && (a.kinds & ~POOL_BENCH_LATENCY))
		rc = run_bandwidth(src, &a, &st, &clk, &r);
	if (rc)
		goto out;
	for (i = 0; i < POOL_BENCH_NR_KINDS; i++)
		r.cache_bound |= r.figures[i].cache_bound;
	/* No more than the caller's struct holds: an older one is smaller. */
	memcpy((char *)out + sizeof(out->sz), (char *)&r + sizeof(r.sz),
	       (out->sz < sizeof(r) ? out->sz : sizeof(r)) - sizeof(r.sz));
out:
	lp_bench_team_stop(st.team);
	return rc;
}

int pool_bench_member(struct pool_member *member, int initiator,
		      const struct pool_bench_opts *opts,
		      struct pool_bench_result *res)
{
	struct lp_bench_src src = { .m = member };

	if (!member)
		return -EINVAL;
	return bench_run(&src, initiator, opts, res);
}

int pool_bench_node(int node, int initiator,
		    const struct pool_bench_opts *opts,
		    struct pool_bench_result *res)
{
	struct lp_bench_src src = { .node = node };

	return bench_run(&src, initiator, opts, res);
}

int pool_bench_alloc(struct pool_ctx *ctx, const struct pool_alloc_opts *alloc,
		     int initiator, const struct pool_bench_opts *opts,
		     struct pool_bench_result *res)
{
	struct lp_bench_src src = { .ctx = ctx, .alloc = alloc, .node = -1 };

	if (!ctx || !alloc)
		return -EINVAL;
	return bench_run(&src, initiator, opts, res);
}
