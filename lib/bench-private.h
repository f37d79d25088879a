/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The measurement engine's internals, shared by its files and the host
 * tests (which link the library's objects):
 *
 *   bench.c         one measurement: passes, budget, memory, the API
 *   bench-opts.c    names of kinds and ISAs, struct pool_bench_opts read
 *   bench-team.c    the team of worker threads pinned to a node's CPUs
 *   bench-sizing.c  the initiator's LLC and the default buffer sizes
 *   bench-loops.c   the chase and the bandwidth loops per ISA
 *
 * The rest of libpool knows nothing of these; the engine uses only the
 * public API (pool_alloc() for a member's memory) and lp_opts_check().
 */
#ifndef _LIBPOOL_BENCH_PRIVATE_H_
#define _LIBPOOL_BENCH_PRIVATE_H_

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "private.h"

#define LP_BENCH_LINE		64	/* bytes of a cache line */
#define LP_BENCH_CHUNK_ALIGN	4096	/* slices and chunks are pages */
#define LP_BENCH_SCALAR		3.0	/* STREAM's triad scalar */

/* CLOCK_MONOTONIC in seconds: the engine's one clock (bench-team.c). */
double lp_bench_now(void);

/* ---- bench.c, shared with bench-loaded.c */

/*
 * Where the engine's memory comes from: a member (pool_alloc() bound to
 * it), a placement (pool_alloc() of @ctx with @alloc) or, both NULL,
 * NUMA node @node through libnuma.  Always populated.
 */
struct lp_bench_src {
	struct pool_member *m;
	struct pool_ctx *ctx;
	const struct pool_alloc_opts *alloc;
	int node;
};

/* -EINVAL for a node that does not exist; sets the result's ids. */
int lp_bench_src_check(const struct lp_bench_src *src, int *node,
		       int *member);

/* A buffer of a member (pool_alloc(), bound, populated) or of a node. */
struct lp_bench_mem {
	struct pool_buf *buf;	/* from the pool, or */
	void *addr;		/* from libnuma */
	size_t len;
};

/*
 * @src's memory (a NUMA node's with 2 MiB pages asked for and touched
 * here when @touch, else by the caller's workers).
 */
int lp_bench_mem_get(const struct lp_bench_src *src, size_t len, bool touch,
		     struct lp_bench_mem *mem);
void lp_bench_mem_put(struct lp_bench_mem *mem);
struct lp_bench_team;
struct lp_bench_loops;
/* The quick first copy's speed in MB/s, by worker 0 of @team. */
int lp_bench_probe(const struct lp_bench_src *src,
		   const struct lp_bench_loops *loops,
		   struct lp_bench_team *team, double *mbps);

/* ---- bench-opts.c */

/* struct pool_bench_opts, checked and with its defaults filled in. */
struct lp_bench_args {
	unsigned int kinds;
	unsigned long long size;
	double time;
	unsigned int threads;
	unsigned int reps;
	int isa;
	unsigned long long seed;
	void (*progress)(unsigned int kind, void *arg);
	void *progress_arg;
	int stores;
};

/* -EINVAL, -E2BIG (lp_opts_check() and threads), -EOPNOTSUPP or 0. */
int lp_bench_read_opts(const struct pool_bench_opts *opts,
		       struct lp_bench_args *args);
/*
 * The kinds of @kinds that use non-temporal stores for arrays of @size
 * bytes and an LLC of @llc bytes (0: unknown), as @stores says.
 */
unsigned int lp_bench_nt_kinds(int stores, unsigned int kinds, size_t size,
			       unsigned long long llc);

/* ---- bench-loops.c */

struct lp_bench_loops {
	uint64_t (*read)(const void *src, size_t bytes);
	void (*write)(void *dst, size_t bytes);
	void (*copy)(void *dst, const void *src, size_t bytes);
	void (*triad)(void *dst, const void *b, const void *c, size_t bytes);
	/* The same with non-temporal stores and an sfence at the end. */
	void (*write_nt)(void *dst, size_t bytes);
	void (*copy_nt)(void *dst, const void *src, size_t bytes);
	void (*triad_nt)(void *dst, const void *b, const void *c,
			 size_t bytes);
};

bool lp_bench_isa_supported(int isa);
int lp_bench_resolve_isa(int isa);
/* The loops of a resolved, supported ISA; NULL otherwise. */
const struct lp_bench_loops *lp_bench_get_loops(int isa);
/*
 * Links the cache lines of @buf into one random cycle (each line's first
 * word points to the next line); returns the number of lines, 0 when
 * @size holds fewer than two or more than 2^32 lines, or the index array
 * of the shuffle (4 bytes a line, from malloc()) cannot be had.
 */
unsigned long long lp_bench_chase_build(void *buf, size_t size,
					 unsigned long long seed);
/*
 * Follows the chain from *@pos for @loads loads (rounded up to a batch
 * of 256) or until *@stop, one batch at least; returns the loads done
 * and leaves *@pos at the end.
 */
unsigned long long lp_bench_chase(void **pos, unsigned long long loads,
				  const atomic_int *stop);

/* ---- bench-sizing.c */

/*
 * Default sizes: the bandwidth arrays' (*@shrunk set when slow memory
 * made them smaller) and the chase's buffer's, from the LLC's size
 * (<= 0: unknown), the probed speed in MB/s and the seconds left.
 */
size_t lp_bench_array_size(long long llc, double mbps, double budget,
			   unsigned int arrays, unsigned int nkinds,
			   bool *shrunk);
size_t lp_bench_latency_size(long long llc, double mbps, double budget);

/* ---- bench-team.c */

/* The CPUs of @node, or NULL (errno set) when it has none. */
struct bitmask *lp_bench_node_cpus(int node);

/*
 * A team of worker threads pinned to the CPUs of one node, one CPU each
 * in turn.  lp_bench_team_run() runs @fn(@arg, worker index) on every
 * worker at once and returns when all are done; after it, @cpus[i] is
 * the CPU worker i last ran on.
 */
struct lp_bench_team;
int lp_bench_team_start(int node, unsigned int nr_threads,
			struct lp_bench_team **team);
void lp_bench_team_run(struct lp_bench_team *team,
		       void (*fn)(void *arg, unsigned int index), void *arg);
/*
 * As lp_bench_team_run(); when @deadline (lp_bench_now() seconds) is
 * not 0 and passes first, sets *@stop and waits for the workers to see
 * it.  Returns true when the deadline stopped the job.
 */
bool lp_bench_team_run_until(struct lp_bench_team *team,
			     void (*fn)(void *arg, unsigned int index),
			     void *arg, double deadline, atomic_int *stop);
int lp_bench_team_cpu(struct lp_bench_team *team, unsigned int index);
void lp_bench_team_stop(struct lp_bench_team *team);

#endif /* _LIBPOOL_BENCH_PRIVATE_H_ */
