// SPDX-License-Identifier: GPL-2.0
/*
 * migrate-bench: migration throughput between two NUMA nodes, scalepool
 * against the kernel's own page migration, the same bytes between the
 * same nodes in one run, as ratios.
 *
 *   scalepool      pool_buf_migrate() of a whole allocation made with
 *                  BIND to the source node (SCALEPOOL_MIGRATE)
 *   move_pages     move_pages(2) of an mmap'ed anonymous buffer of this
 *                  process, one entry per page (per 4 KiB page, or per
 *                  2 MiB transparent huge page)
 *   migrate_pages  migrate_pages(2) of a child holding such a buffer
 *                  (the call migratepages(8) makes)
 *   migratepages   migratepages(8) of that child: the command, exec
 *                  and all
 *
 * Each method moves its buffer from the source node to the destination
 * and back, --rounds times; the figure is the median of those moves in
 * MB/s (10^6 bytes per second of buffer moved).  Every move is checked:
 * all of the buffer on the destination afterwards (INFO's placement,
 * move_pages(2)'s status), and the data intact at the end.  Two rows:
 * 4 KiB pages (scalepool's POOL_ALLOC_NO_HUGE, MADV_NOHUGEPAGE) and
 * 2 MiB pages (scalepool's default on DRAM, MADV_HUGEPAGE); the bytes
 * really in 2 MiB pages are printed under the table.  migrate_pages
 * also moves the child's few other pages (stack, data), which are
 * not counted.  A benchmark, not a test: it prints figures and never
 * fails on them; it exits 1 when a method could not do its moves (the
 * reason is printed under the table), 2 for bad arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpool.h>

#include "bench-util.h"

#define PAGE		4096UL
#define HUGE		(2UL << 20)
#define MAX_ROUNDS	20

enum method { M_POOL, M_MOVE_PAGES, M_MIGRATE_PAGES, M_MIGRATEPAGES,
	      NR_METHODS };

static const char *const method_names[NR_METHODS] = {
	"scalepool", "move_pages", "migrate_pages", "migratepages",
};

struct bench {
	struct pool_ctx *ctx;
	int node[2];		/* source, destination */
	size_t size;
	int rounds;
	size_t pgsz;		/* of the row: PAGE or HUGE */
	unsigned long long huge_bytes[NR_METHODS];
	const char *error[NR_METHODS];
};

static void fill(unsigned char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += 512)
		p[i] = (unsigned char)(i / 512 * 7 + 1);
}

static int intact(const unsigned char *p, size_t size)
{
	size_t i;

	for (i = 0; i < size; i += 512)
		if (p[i] != (unsigned char)(i / 512 * 7 + 1))
			return 0;
	return 1;
}

/* ---- scalepool */

static int pool_on(struct pool_buf *buf, int node, size_t size,
		   unsigned long long *huge)
{
	struct pool_placement pl[8];
	int n = pool_buf_get_placement(buf, pl, 8);

	if (n != 1 || pl[0].node != node || pl[0].bytes != size)
		return 0;
	*huge = pl[0].huge_bytes;
	return 1;
}

/* The moves' seconds into @t; 0, or -1 with b->error[M_POOL] set. */
static int run_pool(struct bench *b, double *t)
{
	char nodes[2][16];
	unsigned long long moved, huge = 0;
	struct pool_buf *buf;
	int i, rc;

	snprintf(nodes[0], sizeof(nodes[0]), "%d", b->node[0]);
	snprintf(nodes[1], sizeof(nodes[1]), "%d", b->node[1]);
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_BIND,
		.nodes = nodes[0], .flags = POOL_ALLOC_POPULATE |
		(b->pgsz == PAGE ? POOL_ALLOC_NO_HUGE : 0));
	rc = pool_alloc(b->ctx, b->size, &opts, &buf);
	if (rc) {
		b->error[M_POOL] = strerror(-rc);
		return -1;
	}
	fill(pool_buf_get_addr(buf), b->size);
	for (i = 0; i < 2 * b->rounds && !rc; i++) {
		opts.nodes = nodes[(i + 1) % 2];
		opts.flags = 0;
		t[i] = bench_now_s();
		rc = pool_buf_migrate(buf, 0, 0, &opts, &moved);
		t[i] = bench_now_s() - t[i];
		if (rc)
			b->error[M_POOL] = strerror(-rc);
		else if (moved != b->size ||
			 !pool_on(buf, b->node[(i + 1) % 2], b->size, &huge))
			b->error[M_POOL] = "not all moved", rc = -1;
	}
	b->huge_bytes[M_POOL] = huge;
	if (!rc && !intact(pool_buf_get_addr(buf), b->size))
		b->error[M_POOL] = "data changed", rc = -1;
	pool_buf_free(buf);
	return rc ? -1 : 0;
}

/* ---- anonymous buffers */

/* A @size buffer on @node, 2 MiB-aligned, in the row's page size. */
static unsigned char *anon_buffer(struct bench *b, int node)
{
	unsigned long mask = 1UL << node;
	unsigned char *p;
	uintptr_t a;

	p = mmap(NULL, b->size + HUGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + HUGE - 1) & ~(HUGE - 1);
	p = (unsigned char *)a;
	if (madvise(p, b->size, b->pgsz == HUGE ? MADV_HUGEPAGE :
					      MADV_NOHUGEPAGE) ||
	    mbind(p, b->size, MPOL_PREFERRED, &mask, sizeof(mask) * 8, 0))
		return NULL;
	fill(p, b->size);
	return p;
}

/* Bytes of this process in transparent huge pages (smaps_rollup). */
static unsigned long long thp_bytes(pid_t pid)
{
	unsigned long long kb = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Whether every page of @pid's buffer at @p is on @node. */
static int anon_on(pid_t pid, void **pages, int *status,
		   size_t nr, int node)
{
	size_t i;

	if (move_pages(pid, nr, pages, NULL, status, 0))
		return 0;
	for (i = 0; i < nr; i++)
		if (status[i] != node)
			return 0;
	return 1;
}

struct anon {
	void **pages;
	int *nodes[2];
	int *status;
	size_t nr;
};

static int anon_arrays(struct bench *b, unsigned char *p, struct anon *a)
{
	size_t i;

	a->nr = b->size / b->pgsz;
	a->pages = calloc(a->nr, sizeof(*a->pages));
	a->nodes[0] = calloc(a->nr, sizeof(int));
	a->nodes[1] = calloc(a->nr, sizeof(int));
	a->status = calloc(a->nr, sizeof(int));
	if (!a->pages || !a->nodes[0] || !a->nodes[1] || !a->status)
		return -1;
	for (i = 0; i < a->nr; i++) {
		a->pages[i] = p + i * b->pgsz;
		a->nodes[0][i] = b->node[0];
		a->nodes[1][i] = b->node[1];
	}
	return 0;
}

static void anon_free(struct anon *a)
{
	free(a->pages);
	free(a->nodes[0]);
	free(a->nodes[1]);
	free(a->status);
}

static int run_move_pages(struct bench *b, double *t)
{
	struct anon a = { 0 };
	unsigned char *p = anon_buffer(b, b->node[0]);
	int i, to, rc = 0;

	if (!p || anon_arrays(b, p, &a)) {
		b->error[M_MOVE_PAGES] = "no buffer";
		anon_free(&a);
		return -1;
	}
	b->huge_bytes[M_MOVE_PAGES] = thp_bytes(getpid());
	if (!anon_on(0, a.pages, a.status, a.nr, b->node[0]))
		b->error[M_MOVE_PAGES] = "not on the source", rc = -1;
	for (i = 0; i < 2 * b->rounds && !rc; i++) {
		to = (i + 1) % 2;
		t[i] = bench_now_s();
		rc = (int)move_pages(0, a.nr, a.pages, a.nodes[to], a.status,
				     MPOL_MF_MOVE);
		t[i] = bench_now_s() - t[i];
		if (rc)
			b->error[M_MOVE_PAGES] = strerror(errno);
		else if (!anon_on(0, a.pages, a.status, a.nr, b->node[to]))
			b->error[M_MOVE_PAGES] = "not all moved", rc = -1;
	}
	if (!rc && !intact(p, b->size))
		b->error[M_MOVE_PAGES] = "data changed", rc = -1;
	munmap(p, b->size);
	anon_free(&a);
	return rc ? -1 : 0;
}

/* A child holding a buffer on the source node; its pid, or -1. */
static pid_t holder(struct bench *b, unsigned char **addr, int *keep)
{
	int up[2], down[2];
	unsigned char *p;
	pid_t pid;
	char c;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(up[0]);
		close(down[1]);
		p = anon_buffer(b, b->node[0]);
		if (!p || write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		/* Until the parent closes its end; then check the data. */
		if (read(down[0], &c, 1) < 0)
			_exit(1);
		_exit(intact(p, b->size) ? 0 : 3);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], addr, sizeof(*addr)) != sizeof(*addr)) {
		close(up[0]);
		close(down[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(up[0]);
	*keep = down[1];
	return pid;
}

/* migratepages(8) PID FROM TO; 0 when it exited 0. */
static int migratepages_cmd(pid_t pid, int from, int to)
{
	char args[3][16];
	pid_t c;
	int st;

	snprintf(args[0], sizeof(args[0]), "%d", (int)pid);
	snprintf(args[1], sizeof(args[1]), "%d", from);
	snprintf(args[2], sizeof(args[2]), "%d", to);
	c = fork();
	if (c < 0)
		return -1;
	if (!c) {
		execlp("migratepages", "migratepages", args[0], args[1],
		       args[2], (char *)NULL);
		_exit(127);
	}
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) ? -1 : 0;
}

/* One move of the child's memory by method @m; 0 or -1. */
static int move_child(enum method m, pid_t pid, int from, int to)
{
	struct bitmask *f, *t;
	int rc;

	if (m == M_MIGRATEPAGES)
		return migratepages_cmd(pid, from, to);
	f = numa_allocate_nodemask();
	t = numa_allocate_nodemask();
	numa_bitmask_setbit(f, (unsigned int)from);
	numa_bitmask_setbit(t, (unsigned int)to);
	rc = numa_migrate_pages(pid, f, t) < 0 ? -1 : 0;
	numa_free_nodemask(f);
	numa_free_nodemask(t);
	return rc;
}

static int run_child(struct bench *b, enum method m, double *t)
{
	struct anon a = { 0 };
	unsigned char *p;
	int i, to, keep = -1, st, rc = 0;
	pid_t pid = holder(b, &p, &keep);

	if (pid < 0 || anon_arrays(b, p, &a)) {
		b->error[m] = "no child";
		rc = -1;
		goto out;
	}
	b->huge_bytes[m] = thp_bytes(pid);
	if (!anon_on(pid, a.pages, a.status, a.nr, b->node[0]))
		b->error[m] = "not on the source", rc = -1;
	for (i = 0; i < 2 * b->rounds && !rc; i++) {
		to = (i + 1) % 2;
		t[i] = bench_now_s();
		rc = move_child(m, pid, b->node[1 - to], b->node[to]);
		t[i] = bench_now_s() - t[i];
		if (rc)
			b->error[m] = m == M_MIGRATEPAGES ?
				"migratepages failed" : strerror(errno);
		else if (!anon_on(pid, a.pages, a.status, a.nr,
				  b->node[to]))
			b->error[m] = "not all moved", rc = -1;
	}
out:
	if (keep >= 0)
		close(keep);
	if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			WEXITSTATUS(st)) && !rc)
		b->error[m] = "data changed", rc = -1;
	anon_free(&a);
	return rc;
}

/* Median seconds of one move by @m, or < 0. */
static double measure(struct bench *b, enum method m)
{
	double t[2 * MAX_ROUNDS];
	int rc, n = 2 * b->rounds;

	switch (m) {
	case M_POOL:
		rc = run_pool(b, t);
		break;
	case M_MOVE_PAGES:
		rc = run_move_pages(b, t);
		break;
	default:
		rc = run_child(b, m, t);
		break;
	}
	if (rc)
		return -1;
	qsort(t, (size_t)n, sizeof(t[0]), bench_cmp_double);
	return t[n / 2];
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: migrate-bench [--from N] [--to N] [--size SIZE] "
		"[--rounds N]\n"
		"  migration throughput from node N (default 0) to node N\n"
		"  (default 1) and back, SIZE (default 64M) per move, N\n"
		"  rounds (default 3, at most %d): scalepool's MIGRATE vs\n"
		"  move_pages(2), migrate_pages(2) and migratepages(8)\n",
		MAX_ROUNDS);
}

static int parse_node(const char *arg, int *node)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 0 || v > numa_max_node())
		return -1;
	*node = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct bench *b)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	unsigned long long v;
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "f:t:s:r:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'f':
			bad |= parse_node(optarg, &b->node[0]);
			break;
		case 't':
			bad |= parse_node(optarg, &b->node[1]);
			break;
		case 's':
			if (pool_parse_size(optarg, &v) || !v || v % HUGE)
				bad = -1;
			b->size = (size_t)v;
			break;
		case 'r':
			b->rounds = atoi(optarg);
			if (b->rounds < 1 || b->rounds > MAX_ROUNDS)
				bad = -1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			bad = -1;
		}
	}
	if (bad || optind != argc || b->node[0] == b->node[1]) {
		fprintf(stderr, "migrate-bench: bad arguments (a size is a "
			"multiple of 2M; two different nodes)\n");
		usage(stderr);
		return -1;
	}
	return 0;
}

static void print_row(struct bench *b, const double *t)
{
	int m;

	printf("%4s", b->pgsz == PAGE ? "4K" : "2M");
	for (m = 0; m < NR_METHODS; m++) {
		if (t[m] < 0)
			printf(" %14s", "failed");
		else
			printf(" %14.1f", (double)b->size / t[m] / 1e6);
	}
	for (m = 1; m < NR_METHODS; m++) {
		if (t[M_POOL] > 0 && t[m] > 0)
			printf(" %12.2fx", t[m] / t[M_POOL]);
		else
			printf(" %13s", "-");
	}
	printf("\n");
}

static void print_notes(struct bench *b)
{
	int m;

	for (m = 0; m < NR_METHODS; m++) {
		if (b->error[m])
			printf("#   %s %s: %s\n", b->pgsz == PAGE ? "4K" : "2M",
			       method_names[m], b->error[m]);
		else
			printf("#   %s %s: %llu of %zu bytes in 2 MiB pages\n",
			       b->pgsz == PAGE ? "4K" : "2M", method_names[m],
			       b->huge_bytes[m], b->size);
	}
}

int main(int argc, char **argv)
{
	struct bench b = { .node = { 0, 1 }, .size = 64UL << 20,
			   .rounds = 3 };
	static const size_t sizes[] = { PAGE, HUGE };
	double t[2][NR_METHODS];
	int m, rc;
	size_t k;

	if (numa_available() < 0) {
		fprintf(stderr, "migrate-bench: no NUMA support\n");
		return 1;
	}
	if (parse_args(argc, argv, &b))
		return 2;
	rc = pool_new(&b.ctx);
	if (rc) {
		fprintf(stderr, "migrate-bench: pool_new: %s\n", strerror(-rc));
		return 1;
	}
	printf("# migration node %d <-> node %d, %zu MiB per move, MB/s "
	       "(median of %d moves)\n", b.node[0], b.node[1], b.size >> 20,
	       2 * b.rounds);
	printf("%4s", "page");
	for (m = 0; m < NR_METHODS; m++)
		printf(" %14s", method_names[m]);
	for (m = 1; m < NR_METHODS; m++)
		printf(" %13.13s", method_names[m]);
	printf("\n");
	for (k = 0; k < 2; k++) {
		b.pgsz = sizes[k];
		memset(b.error, 0, sizeof(b.error));
		for (m = 0; m < NR_METHODS; m++)
			t[k][m] = measure(&b, (enum method)m);
		print_row(&b, t[k]);
		print_notes(&b);
	}
	printf("# the last columns are ratios of times for the same move: "
	       "peer / scalepool\n#   (above 1: scalepool was faster)\n");
	pool_unref(b.ctx);
	for (k = 0; k < 2; k++)
		for (m = 0; m < NR_METHODS; m++)
			if (t[k][m] < 0)
				return 1;
	return 0;
}
