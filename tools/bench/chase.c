// SPDX-License-Identifier: GPL-2.0
/*
 * chase: an idle-latency chase written apart from libpool's engine, the
 * peer of `poolctl bench --kinds latency` in tools/bench/compare-latency.
 *
 * It shares no code with lib/bench*.c: the cycle comes from a
 * Fisher-Yates shuffle of the line order (drand48), each line pointing
 * to the next one in that order and the last to the first, instead of
 * Sattolo's algorithm in place; the memory from numa_alloc_onnode(), the
 * thread bound with numa_run_on_node(); the timed loop is a plain count
 * of loads with no stop flag.  Prints one line: "ns_per_load N".
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench-util.h"

#define LINE	64
#define REPS	7

/* Links the lines of @buf in a random order into one cycle. */
static int build(char *buf, size_t lines)
{
	size_t *order = malloc(lines * sizeof(*order)), i, j, t;

	if (!order)
		return -ENOMEM;
	for (i = 0; i < lines; i++)
		order[i] = i;
	srand48(12345);
	for (i = lines - 1; i > 0; i--) {
		j = (size_t)(drand48() * (double)(i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < lines; i++)
		*(char **)(buf + order[i] * LINE) =
			buf + order[(i + 1) % lines] * LINE;
	free(order);
	return 0;
}

static char **walk(char **p, unsigned long n)
{
	while (n--)
		p = (char **)*p;
	return p;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "cpu-node", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "loads", required_argument, NULL, 'l' },
		{ }
	};
	unsigned long loads = 1UL << 20;
	size_t size = 64UL << 20, lines;
	int node = 0, cpu_node = -1, c, i;
	double t[REPS], t0;
	char **p, *buf;

	while ((c = getopt_long(argc, argv, "n:c:s:l:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			node = atoi(optarg);
			break;
		case 'c':
			cpu_node = atoi(optarg);
			break;
		case 's':
			size = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			loads = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: chase [--node N] [--cpu-node N] "
				"[--size BYTES] [--loads N]\n");
			return 2;
		}
	}
	if (numa_available() < 0 || size < 2 * LINE || !loads) {
		fprintf(stderr, "chase: no NUMA, or a bad size or count\n");
		return 1;
	}
	if (numa_run_on_node(cpu_node < 0 ? node : cpu_node)) {
		perror("chase: numa_run_on_node");
		return 1;
	}
	buf = numa_alloc_onnode(size, node);
	if (!buf) {
		fprintf(stderr, "chase: cannot allocate on node %d\n", node);
		return 1;
	}
	madvise(buf, size, MADV_HUGEPAGE);	/* as the engine does */
	memset(buf, 0, size);
	lines = size / LINE;
	if (build(buf, lines)) {
		fprintf(stderr, "chase: out of memory\n");
		return 1;
	}
	p = walk((char **)buf, lines);		/* warm-up: one cycle */
	for (i = 0; i < REPS; i++) {
		t0 = bench_now_s();
		p = walk(p, loads);
		t[i] = (bench_now_s() - t0) * 1e9 / (double)loads;
	}
	qsort(t, REPS, sizeof(t[0]), bench_cmp_double);
	printf("ns_per_load %.1f\nlast %p\n", t[REPS / 2], (void *)p);
	numa_free(buf, size);
	return 0;
}
