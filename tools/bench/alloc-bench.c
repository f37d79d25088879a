// SPDX-License-Identifier: GPL-2.0
/*
 * alloc-bench: allocate + first-touch throughput on one NUMA node,
 * scalepool against its peers, measured in one run as ratios.
 *
 *   scalepool   pool_alloc(bind to the node, POPULATE), then one write
 *               per 4 KiB page (the kernel already zeroed and mapped it)
 *   libnuma     numa_alloc_onnode() + memset()
 *   mbind       mmap() + mbind(MPOL_BIND) + MADV_POPULATE_WRITE (what
 *               MAP_POPULATE does, with the policy applied first), then
 *               one write per page
 *   memset      memset() of memory that is already mapped: the limit
 *
 * Frees are not timed.  Each figure is the median of several batches;
 * small sizes run many allocations per batch so that the timer (an
 * emulated HPET under TCG) is not what is measured.  This is a
 * benchmark, not a test: it prints figures and ratios, and never fails
 * on them.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libpool.h>

#include "bench-util.h"

#define PAGE		4096UL
#define BATCHES		5
#define BATCH_BYTES	(64UL << 20)	/* bytes allocated per batch, at least */
#define MAX_PER_BATCH	256

enum method { M_POOL, M_LIBNUMA, M_MBIND, M_MEMSET, NR_METHODS };

static const char *const method_names[NR_METHODS] = {
	"scalepool", "libnuma", "mbind", "memset",
};

struct bench {
	struct pool_ctx *ctx;
	int node;
	void *limit_buf;	/* pre-touched, for the memset limit */
	size_t limit_size;
};

static void touch_pages(char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE)
		((volatile char *)p)[off] = 1;
}

/* One allocate + first touch; returns seconds, or < 0 on failure. */
static double run_pool(struct bench *b, size_t size, void **keep)
{
	struct pool_buf *buf;
	double t0, t1;
	POOL_OPTS(pool_alloc_opts, opts,
		.policy = POOL_POLICY_BIND,
		.flags = POOL_ALLOC_POPULATE,
	);
	char nodes[16];

	snprintf(nodes, sizeof(nodes), "%d", b->node);
	opts.nodes = nodes;
	t0 = bench_now_s();
	if (pool_alloc(b->ctx, size, &opts, &buf))
		return -1;
	touch_pages(pool_buf_get_addr(buf), size);
	t1 = bench_now_s();
	*keep = buf;
	return t1 - t0;
}

static double run_libnuma(struct bench *b, size_t size, void **keep)
{
	double t0, t1;
	void *p;

	t0 = bench_now_s();
	p = numa_alloc_onnode(size, b->node);
	if (!p)
		return -1;
	memset(p, 0, size);
	t1 = bench_now_s();
	*keep = p;
	return t1 - t0;
}

static double run_mbind(struct bench *b, size_t size, void **keep)
{
	unsigned long mask = 1UL << b->node;
	double t0, t1;
	void *p;

	t0 = bench_now_s();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (mbind(p, size, MPOL_BIND, &mask, sizeof(mask) * 8, 0) ||
	    madvise(p, size, MADV_POPULATE_WRITE)) {
		munmap(p, size);
		return -1;
	}
	touch_pages(p, size);
	t1 = bench_now_s();
	*keep = p;
	return t1 - t0;
}

static double run_memset(struct bench *b, size_t size, void **keep)
{
	double t0, t1;

	t0 = bench_now_s();
	memset(b->limit_buf, 2, size);
	t1 = bench_now_s();
	*keep = NULL;
	return t1 - t0;
}

static void release(enum method m, void *p, size_t size)
{
	switch (m) {
	case M_POOL:
		pool_buf_free(p);
		break;
	case M_LIBNUMA:
		numa_free(p, size);
		break;
	case M_MBIND:
		munmap(p, size);
		break;
	default:
		break;
	}
}

typedef double (*run_fn)(struct bench *, size_t, void **);
static const run_fn runners[NR_METHODS] = {
	run_pool, run_libnuma, run_mbind, run_memset,
};

/* Median seconds per operation of method @m at @size, < 0 on failure. */
static double measure(struct bench *b, enum method m, size_t size)
{
	size_t per_batch = BATCH_BYTES / size;
	double batch[BATCHES];
	void *keep[MAX_PER_BATCH];
	int i;
	size_t j;

	if (per_batch < 1)
		per_batch = 1;
	if (per_batch > MAX_PER_BATCH)
		per_batch = MAX_PER_BATCH;
	/* Big sizes: one allocation live at a time, or the node fills. */
	if (size * per_batch > BATCH_BYTES)
		per_batch = 1;

	for (i = 0; i < BATCHES; i++) {
		double total = 0, t;

		for (j = 0; j < per_batch; j++) {
			t = runners[m](b, size, &keep[j]);
			if (t < 0) {
				while (j--)
					release(m, keep[j], size);
				return -1;
			}
			total += t;
		}
		for (j = 0; j < per_batch; j++)
			release(m, keep[j], size);
		batch[i] = total / per_batch;
	}
	qsort(batch, BATCHES, sizeof(batch[0]), bench_cmp_double);
	return batch[BATCHES / 2];
}

static void fmt_size(size_t size, char *buf, size_t len)
{
	if (size >= (1UL << 20))
		snprintf(buf, len, "%zuM", size >> 20);
	else
		snprintf(buf, len, "%zuK", size >> 10);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: alloc-bench [--node N] [--max-size SIZE]\n"
		"  allocate + first-touch throughput on node N (default 0),\n"
		"  scalepool vs libnuma vs mmap+mbind, memset as the limit,\n"
		"  for sizes 4K to SIZE (default 256M)\n");
}

static int parse_args(int argc, char **argv, int *node, size_t *max)
{
	static const struct option longopts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "max-size", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned long long v;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			*node = (int)strtol(optarg, &end, 10);
			if (*end || *node < 0 || *node > numa_max_node()) {
				fprintf(stderr, "alloc-bench: bad node '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 's':
			if (pool_parse_size(optarg, &v) || v < PAGE) {
				fprintf(stderr, "alloc-bench: bad size '%s'\n",
					optarg);
				return -1;
			}
			*max = v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static void print_header(void)
{
	int m;

	printf("# allocate + first touch, MB/s (median of %d batches)\n",
	       BATCHES);
	printf("%6s", "size");
	for (m = 0; m < NR_METHODS; m++)
		printf(" %10s", method_names[m]);
	printf("  %14s %14s %14s\n", "libnuma/pool", "mbind/pool",
	       "pool/memset");
}

/* Ratios are of times: above 1 means scalepool took less time. */
static void print_row(size_t size, const double *t)
{
	char name[16];
	int m;

	fmt_size(size, name, sizeof(name));
	printf("%6s", name);
	for (m = 0; m < NR_METHODS; m++) {
		if (t[m] < 0)
			printf(" %10s", "failed");
		else
			printf(" %10.1f", size / t[m] / 1e6);
	}
	if (t[M_POOL] > 0 && t[M_LIBNUMA] > 0 && t[M_MBIND] > 0 &&
	    t[M_MEMSET] > 0)
		printf("  %13.2fx %13.2fx %13.2fx",
		       t[M_LIBNUMA] / t[M_POOL], t[M_MBIND] / t[M_POOL],
		       t[M_POOL] / t[M_MEMSET]);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench b = { .node = 0 };
	size_t size, max = 256UL << 20;
	double t[NR_METHODS];
	int m, err;

	if (numa_available() < 0) {
		fprintf(stderr, "alloc-bench: no NUMA support\n");
		return 1;
	}
	if (parse_args(argc, argv, &b.node, &max))
		return 1;
	err = pool_new(&b.ctx);
	if (err) {
		fprintf(stderr, "alloc-bench: pool_new: %s\n", strerror(-err));
		return 1;
	}
	/* Run where the memory is: the figures are for a local node. */
	if (numa_run_on_node(b.node)) {
		fprintf(stderr, "alloc-bench: node %d has no CPUs\n", b.node);
		return 1;
	}
	b.limit_size = max;
	b.limit_buf = numa_alloc_onnode(max, b.node);
	if (!b.limit_buf) {
		fprintf(stderr, "alloc-bench: cannot map %zu bytes\n", max);
		return 1;
	}
	memset(b.limit_buf, 1, max);

	print_header();
	for (size = PAGE; size <= max; size *= 4) {
		for (m = 0; m < NR_METHODS; m++)
			t[m] = measure(&b, m, size);
		print_row(size, t);
	}
	printf("# ratios are of times for the same work: libnuma/pool and\n"
	       "# mbind/pool above 1 mean scalepool was faster; pool/memset\n"
	       "# is how far scalepool is from the memset limit\n");
	numa_free(b.limit_buf, max);
	pool_unref(b.ctx);
	return 0;
}
