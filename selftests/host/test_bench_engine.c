// SPDX-License-Identifier: GPL-2.0
/*
 * The measurement engine without the module, on the host's NUMA node 0:
 * the chase's permutation is one cycle over every line, worker threads
 * run on the CPUs they are pinned to, the time budget stops the loops
 * (within a loose bound: this checks that the bound is honoured, not
 * performance), and bad options are refused.  Internal: links the
 * library's objects for lp_bench_*.
 */
#include <errno.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <numa.h>

#include "kselftest_harness.h"

#include "bench-private.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Follows the chain from the first line: it must come back after exactly
 * @lines loads, through every line once.
 */
static int check_one_cycle(char *buf, unsigned long long lines)
{
	unsigned char *seen = calloc(lines, 1);
	char *p = buf;
	unsigned long long i, idx;
	int rc = 0;

	if (!seen)
		return -ENOMEM;
	for (i = 0; i < lines; i++) {
		idx = (unsigned long long)(p - buf) / LP_BENCH_LINE;
		if ((p - buf) % LP_BENCH_LINE || idx >= lines || seen[idx]) {
			rc = -1;	/* off a line, outside, or a repeat */
			break;
		}
		seen[idx] = 1;
		p = *(char **)p;
	}
	if (!rc && p != buf)
		rc = -2;		/* not back at the start after n loads */
	free(seen);
	return rc;
}

TEST(chase_is_one_cycle_over_all_lines)
{
	static const unsigned long long sizes[] = {
		2, 3, 4, 5, 63, 64, 1000, 4097, 1 << 16, 1 << 20,
	};
	unsigned long long seeds[] = { 1, 2, 0x5ca1ab1e5eedULL };
	size_t i, s;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t size = sizes[i] * LP_BENCH_LINE;
		char *buf = aligned_alloc(4096, (size + 4095) / 4096 * 4096);

		ASSERT_NE(NULL, buf);
		for (s = 0; s < ARRAY_SIZE(seeds); s++) {
			EXPECT_EQ(sizes[i],
				  lp_bench_chase_build(buf, size, seeds[s]));
			EXPECT_EQ(0, check_one_cycle(buf, sizes[i])) {
				TH_LOG("%llu lines, seed %llu", sizes[i],
				       seeds[s]);
			}
		}
		free(buf);
	}
}

TEST(chase_is_random_and_reproducible)
{
	const size_t lines = 4096, size = lines * LP_BENCH_LINE;
	char *a = aligned_alloc(4096, size), *b = aligned_alloc(4096, size);
	size_t i, same = 0, next_line = 0;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	lp_bench_chase_build(a, size, 7);
	lp_bench_chase_build(b, size, 7);
	for (i = 0; i < lines; i++)
		same += *(char **)(a + i * LP_BENCH_LINE) - a ==
			*(char **)(b + i * LP_BENCH_LINE) - b;
	EXPECT_EQ(lines, same);		/* the same seed, the same cycle */
	same = 0;
	lp_bench_chase_build(b, size, 8);
	for (i = 0; i < lines; i++) {
		char *pa = *(char **)(a + i * LP_BENCH_LINE) - (size_t)a;
		char *pb = *(char **)(b + i * LP_BENCH_LINE) - (size_t)b;

		same += pa == pb;
		next_line += (size_t)pa == (i + 1) * LP_BENCH_LINE;
	}
	/* Another seed, another cycle; and no sequential walk. */
	EXPECT_LT(same, lines / 16);
	EXPECT_LT(next_line, lines / 16);
	/* Too small for a cycle of two lines. */
	EXPECT_EQ(0ULL, lp_bench_chase_build(a, LP_BENCH_LINE, 1));
	free(a);
	free(b);
}

TEST(chase_stops_when_told)
{
	const size_t size = 64 * LP_BENCH_LINE;
	char *buf = aligned_alloc(4096, size);
	atomic_int stop = 0;
	void *pos = buf;

	ASSERT_NE(NULL, buf);
	lp_bench_chase_build(buf, size, 3);
	EXPECT_EQ(1024ULL, lp_bench_chase(&pos, 1000, &stop));
	atomic_store(&stop, 1);
	/* One batch of 256 loads, however soon the stop. */
	EXPECT_EQ(256ULL, lp_bench_chase(&pos, 1ULL << 40, &stop));
	free(buf);
}

static void busy(void *arg, unsigned int index)
{
	volatile unsigned long spin;

	for (spin = 0; spin < 100000; spin++)
		;
}

TEST(workers_run_on_the_node_cpus)
{
	struct bitmask *cpus;
	struct lp_bench_team *team = NULL;
	unsigned int i, n, nr_cpus;
	int cpu;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	cpus = numa_allocate_cpumask();
	ASSERT_NE(NULL, cpus);
	ASSERT_EQ(0, numa_node_to_cpus(0, cpus));
	nr_cpus = numa_bitmask_weight(cpus);
	if (!nr_cpus)
		SKIP(return, "node 0 has no CPUs");
	n = 2 * nr_cpus + 1;	/* more workers than CPUs: they wrap */
	ASSERT_EQ(0, lp_bench_team_start(0, n, &team));
	lp_bench_team_run(team, busy, NULL);
	for (i = 0; i < n; i++) {
		cpu = lp_bench_team_cpu(team, i);
		EXPECT_TRUE(cpu >= 0 && numa_bitmask_isbitset(cpus,
						(unsigned int)cpu)) {
			TH_LOG("worker %u ran on CPU %d, not node 0's", i, cpu);
		}
		/* One CPU each, in turn. */
		EXPECT_EQ(cpu, lp_bench_team_cpu(team, i % nr_cpus));
	}
	lp_bench_team_stop(team);
	numa_free_cpumask(cpus);
	EXPECT_EQ(-EINVAL, lp_bench_team_start(0, 0, &team));
	EXPECT_EQ(-EINVAL, lp_bench_team_start(numa_max_node() + 1, 1,
					       &team));
}

/* One read-only call on node 0 from node 0; seconds it took. */
static double timed_read(struct pool_bench_result *res, double budget,
			 unsigned int reps, int *rc)
{
	double t0 = now_s();

	POOL_OPTS(pool_bench_opts, opts,
		.kinds = POOL_BENCH_READ,
		.size = 32ULL << 20,
		.time = budget,
		.repetitions = reps,
	);
	memset(res, 0, sizeof(*res));
	res->sz = sizeof(*res);
	*rc = pool_bench_node(0, 0, &opts, res);
	return now_s() - t0;
}

TEST(time_budget_is_honoured)
{
	struct pool_bench_result res;
	double base, bounded;
	int rc;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	/*
	 * One repetition: the cost of setting up and one pass.  Its budget
	 * is wide: on a loaded host one pass took longer than 0.05 s, and
	 * the budget stopped it within the pass (0 repetitions).
	 */
	base = timed_read(&res, 60.0, 1, &rc);
	ASSERT_EQ(0, rc);
	EXPECT_EQ(1U, res.figures[1].repetitions);
	/*
	 * A million passes over 32 MiB would take an hour; a 0.05 s budget
	 * must stop them.  The bound is loose on purpose (10x plus 30 s):
	 * it tells a budget that works from one that does not, whatever
	 * the load of a shared machine does to the time of one pass.
	 */
	bounded = timed_read(&res, 0.05, 1000000, &rc);
	ASSERT_EQ(0, rc);
	EXPECT_LT(bounded, 10 * base + 30.0) {
		TH_LOG("took %.3f s, one repetition %.3f s", bounded, base);
	}
	EXPECT_LT(res.figures[1].repetitions, 1000000U);
	EXPECT_LT(res.figures[1].seconds, 30.0);
	EXPECT_GT(res.figures[1].value, 0);
	EXPECT_EQ(0, res.figures[0].value);	/* latency not asked for */
}

TEST(budget_stops_within_a_pass)
{
	struct pool_bench_result res;
	int rc;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	/*
	 * 100 ns for one pass over 32 MiB: the stop comes within the first
	 * pass, which is reported as partial, with what it measured.
	 */
	timed_read(&res, 1e-7, 10, &rc);
	ASSERT_EQ(0, rc);
	if (!res.figures[1].repetitions) {
		EXPECT_TRUE(res.figures[1].partial);
		EXPECT_LT(res.figures[1].bytes, res.size);
	} else {
		SKIP(return, "a whole pass over 32 MiB beat a 100 ns timer");
	}
}

/*
 * The chase's buffer is sized apart from the bandwidth arrays: at a speed
 * that shrinks the arrays (a few MB/s, CXL under TCG), it stays at twice
 * the LLC and 16 MiB at least, so that the chase measures the memory
 * rather than the cache.
 */
TEST(latency_buffer_is_not_shrunk_below_the_floor)
{
	static const long long llcs[] = { -ENODATA, 512 << 10, 16 << 20,
					  32 << 20, 64 << 20 };
	static const double speeds[] = { 0.5, 3, 14, 100 };
	size_t i, j, lat, arr, floor;
	bool shrunk;

	for (i = 0; i < ARRAY_SIZE(llcs); i++) {
		floor = llcs[i] > 0 && 2 * llcs[i] > (16 << 20) ?
			2 * (size_t)llcs[i] : 16 << 20;
		for (j = 0; j < ARRAY_SIZE(speeds); j++) {
			lat = lp_bench_latency_size(llcs[i], speeds[j], 5.0);
			arr = lp_bench_array_size(llcs[i], speeds[j], 5.0, 3,
						  5, &shrunk);
			EXPECT_GE(lat, floor) {
				TH_LOG("LLC %lld, %.1f MB/s: chase %zu",
				       llcs[i], speeds[j], lat);
			}
			EXPECT_GT(lat, llcs[i] > 0 ? (size_t)llcs[i] : 0);
			/* The arrays do shrink at these speeds. */
			EXPECT_TRUE(shrunk);
			EXPECT_LT(arr, lat);
		}
		/* Fast memory: four times the LLC, 16 MiB at least. */
		lat = lp_bench_latency_size(llcs[i], 10000, 5.0);
		EXPECT_EQ(llcs[i] > 0 && 4 * llcs[i] > (16 << 20) ?
			  4 * (size_t)llcs[i] : (size_t)16 << 20, lat);
	}
}

/* The same through the API: a default chase is well above the LLC. */
TEST(default_chase_is_above_the_llc)
{
	struct pool_bench_result res = { .sz = sizeof(res) };
	unsigned long long floor = 16ULL << 20;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	POOL_OPTS(pool_bench_opts, opts,
		.kinds = POOL_BENCH_LATENCY,
		.time = 0.2,
	);
	ASSERT_EQ(0, pool_bench_node(0, 0, &opts, &res));
	if (res.llc_size && 2 * res.llc_size > floor)
		floor = 2 * res.llc_size;
	EXPECT_GE(res.latency_size, floor);
	EXPECT_EQ(res.latency_size / LP_BENCH_LINE, res.lines);
	EXPECT_FALSE(res.figures[0].cache_bound);
	EXPECT_FALSE(res.cache_bound);
	EXPECT_GT(res.figures[0].value, 0);
	EXPECT_EQ(0, res.size);		/* no bandwidth arrays */
}

/* A given size below the LLC marks the latency figure cache-bound. */
TEST(small_size_is_cache_bound)
{
	struct pool_bench_result res = { .sz = sizeof(res) };

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	if (pool_bench_llc_size(0) <= 64 << 10)
		SKIP(return, "node 0's LLC is unknown or not above 64 KiB");
	POOL_OPTS(pool_bench_opts, opts,
		.kinds = POOL_BENCH_LATENCY | POOL_BENCH_READ,
		.size = 64 << 10,
		.time = 0.2,
	);
	ASSERT_EQ(0, pool_bench_node(0, 0, &opts, &res));
	EXPECT_EQ(64 << 10, res.latency_size);
	EXPECT_TRUE(res.figures[0].cache_bound);
	EXPECT_TRUE(res.figures[1].cache_bound);
	EXPECT_TRUE(res.cache_bound);
}

/*
 * Each ISA's non-temporal loops store what its ordinary ones store:
 * the same bytes for write, copy and triad (movnti, movntdq, movntpd
 * and their AVX forms only change how the lines reach memory).
 */
TEST(nt_loops_store_what_normal_loops_store)
{
	const size_t bytes = 64 << 10;
	char *b = aligned_alloc(64, bytes), *c = aligned_alloc(64, bytes);
	char *x = aligned_alloc(64, bytes), *y = aligned_alloc(64, bytes);
	const struct lp_bench_loops *l;
	double *db, *dc;
	size_t i;
	int isa;

	ASSERT_TRUE(b && c && x && y);
	db = (double *)b;
	dc = (double *)c;
	for (i = 0; i < bytes / 8; i++) {
		db[i] = (double)i * 0.5;
		dc[i] = (double)(i % 977) - 3.25;
	}
	for (isa = POOL_BENCH_ISA_SCALAR; isa <= POOL_BENCH_ISA_AVX2; isa++) {
		l = lp_bench_get_loops(isa);
		if (!l)
			continue;	/* the CPU lacks it */
		memset(x, 0x55, bytes);
		memset(y, 0xaa, bytes);
		l->write(x, bytes);
		l->write_nt(y, bytes);
		EXPECT_EQ(0, memcmp(x, y, bytes)) TH_LOG("write isa %d", isa);
		l->copy(x, b, bytes);
		l->copy_nt(y, b, bytes);
		EXPECT_EQ(0, memcmp(x, b, bytes)) TH_LOG("copy isa %d", isa);
		EXPECT_EQ(0, memcmp(y, b, bytes)) TH_LOG("copy nt isa %d", isa);
		l->triad(x, b, c, bytes);
		l->triad_nt(y, b, c, bytes);
		EXPECT_EQ(0, memcmp(x, y, bytes)) TH_LOG("triad isa %d", isa);
		EXPECT_EQ(db[5] + LP_BENCH_SCALAR * dc[5], ((double *)y)[5]);
	}
	free(b);
	free(c);
	free(x);
	free(y);
}

/* auto: non-temporal above the LLC, or from 32 MiB with it unknown. */
TEST(nt_kinds_follow_the_stores_option)
{
	const unsigned int all = POOL_BENCH_ALL, st = POOL_BENCH_STORING;

	EXPECT_EQ(0, lp_bench_nt_kinds(POOL_BENCH_STORES_NORMAL, all,
				       1ULL << 30, 1 << 20));
	EXPECT_EQ(st, lp_bench_nt_kinds(POOL_BENCH_STORES_NT, all, 4096,
					1 << 20));
	EXPECT_EQ(POOL_BENCH_COPY,
		  lp_bench_nt_kinds(POOL_BENCH_STORES_NT,
				    POOL_BENCH_READ | POOL_BENCH_COPY, 4096, 0));
	EXPECT_EQ(0, lp_bench_nt_kinds(POOL_BENCH_STORES_AUTO, all, 1 << 20,
				       1 << 20));
	EXPECT_EQ(st, lp_bench_nt_kinds(POOL_BENCH_STORES_AUTO, all,
					(1 << 20) + 4096, 1 << 20));
	EXPECT_EQ(0, lp_bench_nt_kinds(POOL_BENCH_STORES_AUTO, all,
				       (32 << 20) - 4096, 0));
	EXPECT_EQ(st, lp_bench_nt_kinds(POOL_BENCH_STORES_AUTO, all,
					32 << 20, 0));
}

/* The result says which stores were asked for and which kinds used nt. */
TEST(result_names_the_stores)
{
	struct pool_bench_result res = { .sz = sizeof(res) };
	const unsigned int kinds = POOL_BENCH_READ | POOL_BENCH_COPY;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	POOL_OPTS(pool_bench_opts, nt, .kinds = kinds, .size = 1 << 20,
		  .time = 0.1, .threads = 1, .stores = POOL_BENCH_STORES_NT);
	POOL_OPTS(pool_bench_opts, normal, .kinds = kinds, .size = 1 << 20,
		  .time = 0.1, .threads = 1,
		  .stores = POOL_BENCH_STORES_NORMAL);
	ASSERT_EQ(0, pool_bench_node(0, 0, &nt, &res));
	EXPECT_EQ(POOL_BENCH_STORES_NT, res.stores);
	EXPECT_EQ(POOL_BENCH_COPY, res.nt_kinds);
	EXPECT_GT(res.figures[3].value, 0);
	ASSERT_EQ(0, pool_bench_node(0, 0, &normal, &res));
	EXPECT_EQ(POOL_BENCH_STORES_NORMAL, res.stores);
	EXPECT_EQ(0, res.nt_kinds);
}

/* A caller built before @stores: its smaller struct, nothing past it. */
TEST(older_result_struct_is_filled_up_to_its_size)
{
	struct pool_bench_result res;
	const size_t old = offsetof(struct pool_bench_result, stores);

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	POOL_OPTS(pool_bench_opts, opts, .kinds = POOL_BENCH_WRITE,
		  .size = 1 << 20, .time = 0.1, .threads = 1,
		  .stores = POOL_BENCH_STORES_NT);
	memset(&res, 0x5a, sizeof(res));
	res.sz = old;
	ASSERT_EQ(0, pool_bench_node(0, 0, &opts, &res));
	EXPECT_GT(res.figures[2].value, 0);
	EXPECT_EQ(0x5a5a5a5a, res.stores);
	EXPECT_EQ(0x5a5a5a5aU, res.nt_kinds);
	res.sz = old - 1;
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &opts, &res));
}

TEST(bad_options)
{
	struct pool_bench_result res = { .sz = sizeof(res) };
	struct {
		struct pool_bench_opts o;
		long tail;
	} big;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support on this host");
	POOL_OPTS(pool_bench_opts, kinds, .kinds = 1U << 5);
	POOL_OPTS(pool_bench_opts, isa, .isa = 9);
	POOL_OPTS(pool_bench_opts, time, .time = -1);
	POOL_OPTS(pool_bench_opts, stores, .stores = POOL_BENCH_STORES_NT + 1);
	POOL_OPTS(pool_bench_opts, stores_neg, .stores = -1);
	POOL_OPTS(pool_bench_opts, threads,
		  .threads = POOL_BENCH_MAX_THREADS + 1);

	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &kinds, &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &isa, &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &time, &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &stores, &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, &stores_neg, &res));
	EXPECT_EQ(-E2BIG, pool_bench_node(0, 0, &threads, &res));
	/* No node with CPUs there, no memory node there. */
	EXPECT_EQ(-EINVAL, pool_bench_node(0, numa_max_node() + 1, NULL,
					   &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(numa_max_node() + 1, 0, NULL,
					   &res));
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, NULL, NULL));
	res.sz = sizeof(size_t);
	EXPECT_EQ(-EINVAL, pool_bench_node(0, 0, NULL, &res));
	res.sz = sizeof(res);
	EXPECT_EQ(-EINVAL, pool_bench_member(NULL, 0, NULL, &res));
	/* A later caller's option this library does not know. */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, pool_bench_node(0, 0, &big.o, &res));
}

TEST(names)
{
	EXPECT_STREQ("latency", pool_bench_kind_name(POOL_BENCH_LATENCY));
	EXPECT_STREQ("triad", pool_bench_kind_name(POOL_BENCH_TRIAD));
	EXPECT_EQ(NULL, pool_bench_kind_name(0));
	EXPECT_EQ(NULL, pool_bench_kind_name(POOL_BENCH_READ |
					     POOL_BENCH_WRITE));
	EXPECT_EQ(POOL_BENCH_ISA_AVX2, pool_bench_isa_from_name("avx2"));
	EXPECT_EQ(-EINVAL, pool_bench_isa_from_name("avx512"));
	EXPECT_STREQ("scalar", pool_bench_isa_name(POOL_BENCH_ISA_SCALAR));
	EXPECT_EQ(NULL, pool_bench_isa_name(4));
}

TEST_HARNESS_MAIN
