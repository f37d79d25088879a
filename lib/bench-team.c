// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: the measurement engine's team of worker threads, each pinned
 * from birth to one CPU of the initiator node (in turn, so one CPU each
 * up to the node's count), woken for every job by a generation count
 * and waited for with an optional deadline that raises a stop flag.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include <numa.h>

#include "bench-private.h"

double lp_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec to_timespec(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

struct bitmask *lp_bench_node_cpus(int node)
{
	struct bitmask *cpus;

	if (numa_available() < 0) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (node < 0 || node > numa_max_node()) {
		errno = EINVAL;
		return NULL;
	}
	cpus = numa_allocate_cpumask();
	if (!cpus) {
		errno = ENOMEM;
		return NULL;
	}
	if (numa_node_to_cpus(node, cpus) || !numa_bitmask_weight(cpus)) {
		numa_free_cpumask(cpus);
		errno = EINVAL;
		return NULL;
	}
	return cpus;
}

struct lp_bench_worker {
	pthread_t tid;
	struct lp_bench_team *team;
	unsigned int index;
	int cpu;		/* pinned to */
	int ran_on;		/* sched_getcpu() after the last job */
};

struct lp_bench_team {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a new generation, or exit */
	pthread_cond_t done;	/* a worker finished its job */
	unsigned long generation;
	unsigned int nr_done;
	bool exit;
	void (*fn)(void *arg, unsigned int index);
	void *arg;
	unsigned int nr_threads;
	unsigned int nr_started;
	struct lp_bench_worker *workers;
};

static void *worker_main(void *data)
{
	struct lp_bench_worker *w = data;
	struct lp_bench_team *t = w->team;
	unsigned long seen = 0;

	for (;;) {
		pthread_mutex_lock(&t->lock);
		while (t->generation == seen && !t->exit)
			pthread_cond_wait(&t->work, &t->lock);
		if (t->exit) {
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
		seen = t->generation;
		pthread_mutex_unlock(&t->lock);

		t->fn(t->arg, w->index);
		w->ran_on = sched_getcpu();

		pthread_mutex_lock(&t->lock);
		if (++t->nr_done == t->nr_threads)
			pthread_cond_signal(&t->done);
		pthread_mutex_unlock(&t->lock);
	}
}

/* Worker i runs on the (i mod n)-th CPU of the node: one CPU each. */
static int pick_cpu(struct bitmask *cpus, unsigned int i)
{
	unsigned int n = numa_bitmask_weight(cpus), k = i % n, cpu;

	for (cpu = 0; cpu < cpus->size; cpu++)
		if (numa_bitmask_isbitset(cpus, cpu) && k-- == 0)
			return (int)cpu;
	return -1;
}

static int start_worker(struct lp_bench_team *t, struct lp_bench_worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int rc;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	rc = pthread_attr_init(&attr);
	if (rc)
		return -rc;
	/* Pinned from birth, so that its first touch is on the node. */
	rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!rc)
		rc = pthread_create(&w->tid, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	return -rc;
}

void lp_bench_team_stop(struct lp_bench_team *t)
{
	unsigned int i;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->exit = true;
	pthread_cond_broadcast(&t->work);
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < t->nr_started; i++)
		pthread_join(t->workers[i].tid, NULL);
	pthread_cond_destroy(&t->work);
	pthread_cond_destroy(&t->done);
	pthread_mutex_destroy(&t->lock);
	free(t->workers);
	free(t);
}

int lp_bench_team_start(int node, unsigned int nr_threads,
			struct lp_bench_team **teamp)
{
	struct lp_bench_team *t;
	struct bitmask *cpus;
	pthread_condattr_t ca;
	unsigned int i;
	int rc = 0;

	if (!nr_threads || nr_threads > POOL_BENCH_MAX_THREADS)
		return -EINVAL;
	cpus = lp_bench_node_cpus(node);
	if (!cpus)
		return -errno;
	t = calloc(1, sizeof(*t));
	if (t)
		t->workers = calloc(nr_threads, sizeof(*t->workers));
	if (!t || !t->workers) {
		free(t);
		numa_free_cpumask(cpus);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->work, NULL);
	pthread_cond_init(&t->done, &ca);
	pthread_condattr_destroy(&ca);
	t->nr_threads = nr_threads;
	for (i = 0; i < nr_threads; i++) {
		struct lp_bench_worker *w = &t->workers[i];

		w->team = t;
		w->index = i;
		w->cpu = pick_cpu(cpus, i);
		w->ran_on = -1;
		rc = start_worker(t, w);
		if (rc)
			break;
		t->nr_started++;
	}
	numa_free_cpumask(cpus);
	if (t->nr_started < nr_threads) {
		lp_bench_team_stop(t);
		return rc;
	}
	*teamp = t;
	return 0;
}

bool lp_bench_team_run_until(struct lp_bench_team *t,
			     void (*fn)(void *arg, unsigned int index),
			     void *arg, double deadline, atomic_int *stop)
{
	struct timespec ts = to_timespec(deadline);
	bool stopped = false;

	pthread_mutex_lock(&t->lock);
	t->fn = fn;
	t->arg = arg;
	t->nr_done = 0;
	t->generation++;
	pthread_cond_broadcast(&t->work);
	while (t->nr_done < t->nr_threads) {
		if (deadline > 0 && !stopped) {
			if (pthread_cond_timedwait(&t->done, &t->lock,
						   &ts) == ETIMEDOUT) {
				atomic_store(stop, 1);
				stopped = true;
			}
		} else {
			pthread_cond_wait(&t->done, &t->lock);
		}
	}
	pthread_mutex_unlock(&t->lock);
	return stopped;
}

void lp_bench_team_run(struct lp_bench_team *t,
		       void (*fn)(void *arg, unsigned int index), void *arg)
{
	lp_bench_team_run_until(t, fn, arg, 0, NULL);
}

int lp_bench_team_cpu(struct lp_bench_team *t, unsigned int index)
{
	return index < t->nr_threads ? t->workers[index].ran_on : -1;
}
