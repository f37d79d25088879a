// SPDX-License-Identifier: GPL-2.0
/*
 * memcpy-bw: glibc's memcpy as a bandwidth peer of `poolctl bench`'s
 * copy, what STREAM's copy becomes with gcc -O3: the C library picks
 * the loop (on x86-64 an AVX2 or ERMS memcpy) and switches to
 * non-temporal stores above its threshold.  Unlike mbw's memcpy, it runs
 * on several threads: each pinned to one CPU of the node, each copying
 * its own slice (which it touched first) with one memcpy() a pass.
 *
 * Usage: memcpy-bw [--node N] [--size BYTES] [--threads N] [--reps N]
 * Prints the median MB/s of the timed passes (10^6 bytes/s, counted as
 * STREAM does: 2 bytes per byte copied), after one untimed pass.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include <numa.h>

#include "bench-util.h"

#define MAX_THREADS	256
#define MAX_REPS	100

struct job {
	char *a, *b;
	size_t size;
	unsigned int nr_threads, reps;
	pthread_barrier_t barrier;
	double t0[MAX_REPS + 1], t1[MAX_REPS + 1];
};

struct worker {
	pthread_t tid;
	struct job *job;
	unsigned int index;
};

static void *copier(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;
	size_t per = j->size / j->nr_threads / 4096 * 4096;
	size_t off = per * w->index;
	size_t len = w->index == j->nr_threads - 1 ? j->size - off : per;
	unsigned int r;

	memset(j->a + off, 0, len);	/* first touch by the copier */
	memset(j->b + off, 1, len);
	for (r = 0; r <= j->reps; r++) {	/* pass 0: warm-up */
		pthread_barrier_wait(&j->barrier);
		if (!w->index)
			j->t0[r] = bench_now_s();
		memcpy(j->a + off, j->b + off, len);
		pthread_barrier_wait(&j->barrier);
		if (!w->index)
			j->t1[r] = bench_now_s();
	}
	return NULL;
}

static int pin_cpu(int node, unsigned int i)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	unsigned int n, k, cpu;
	int found = -1;

	if (!cpus)
		return -1;
	n = numa_node_to_cpus(node, cpus) ? 0 : numa_bitmask_weight(cpus);
	k = n ? i % n : 0;
	for (cpu = 0; cpu < cpus->size && found < 0 && n; cpu++)
		if (numa_bitmask_isbitset(cpus, cpu) && k-- == 0)
			found = (int)cpu;
	numa_free_cpumask(cpus);
	return found;
}

static int run(int node, struct job *j, struct worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	unsigned int i;
	int cpu, rc = 0;

	pthread_barrier_init(&j->barrier, NULL, j->nr_threads);
	for (i = 0; i < j->nr_threads && !rc; i++) {
		cpu = pin_cpu(node, i);
		if (cpu < 0)
			return EINVAL;
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		w[i] = (struct worker){ .job = j, .index = i };
		rc = pthread_create(&w[i].tid, &attr, copier, &w[i]);
		pthread_attr_destroy(&attr);
	}
	for (i = 0; i < j->nr_threads; i++)
		pthread_join(w[i].tid, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	static struct job j = { .size = 64UL << 20, .nr_threads = 1,
				.reps = 10 };
	static struct worker w[MAX_THREADS];
	double mbps[MAX_REPS];
	int node = 0, i;
	unsigned int r;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--node"))
			node = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--size"))
			j.size = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--threads"))
			j.nr_threads = (unsigned int)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--reps"))
			j.reps = (unsigned int)atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc || numa_available() < 0 || !j.nr_threads ||
	    j.nr_threads > MAX_THREADS || !j.reps || j.reps > MAX_REPS ||
	    j.size < 4096UL * j.nr_threads) {
		fprintf(stderr, "usage: memcpy-bw [--node N] [--size BYTES] "
			"[--threads 1-%d] [--reps 1-%d]\n", MAX_THREADS,
			MAX_REPS);
		return 2;
	}
	j.a = numa_alloc_onnode(j.size, node);
	j.b = numa_alloc_onnode(j.size, node);
	/* 2 MiB pages where the kernel can, as poolctl bench asks too. */
	if (j.a && j.b) {
		madvise(j.a, j.size, MADV_HUGEPAGE);
		madvise(j.b, j.size, MADV_HUGEPAGE);
	}
	if (!j.a || !j.b || run(node, &j, w)) {
		fprintf(stderr, "memcpy-bw: cannot run on node %d\n", node);
		return 1;
	}
	for (r = 0; r < j.reps; r++)
		mbps[r] = 2.0 * (double)j.size /
			  (j.t1[r + 1] - j.t0[r + 1]) / 1e6;
	qsort(mbps, j.reps, sizeof(*mbps), bench_cmp_double);
	printf("%.1f\n", mbps[j.reps / 2]);
	numa_free(j.a, j.size);
	numa_free(j.b, j.size);
	return 0;
}
