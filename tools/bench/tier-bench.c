// SPDX-License-Identifier: GPL-2.0
/*
 * tier-bench: tiering effectiveness (kernel/tier.c) with a hot set that
 * shifts, the same work with tiering off and on, in one run.
 *
 * One TIERED allocation over a fast member (--fast, DRAM node 0) and a
 * slow one (--slow: the CXL node when there is one, else node 1), with
 * the fast member's limit at --fast-room above its use, so that ALLOC
 * puts the first --fast-room bytes there and the rest on the slow
 * member.  Then --phases phases; in each, a hot window of --hot bytes,
 * the next one after the last, starting past the fast part (so every
 * window starts on the slow member), is swept --sweeps times, each sweep
 * writing every 8-byte word of it.  After each sweep the bench reads
 * where the window's pages are (/proc/self/pagemap's frame numbers,
 * which needs root, against the nodes' memory blocks): a sweep's
 * accesses hit the fast member in the share of the window that is on
 * it.  Per phase: that share over all its sweeps, its run time, and
 * with tiering on the time from the start of the phase until 90% of the
 * window was on the fast member.  Tiering on is tier_rate_limit_MBps at
 * --rate with tier_scan_ms at --scan-ms; off is rate 0.  The knobs and
 * the limit are put back at the end.
 *
 * Under QEMU's TCG, CXL memory (MMIO emulation) is about 100 times
 * slower than DRAM, so the effect is large; it says how well tiering
 * finds and moves a hot set, not what a real CXL device gains.  A
 * benchmark, not a test: it prints figures and never fails on them; 1
 * when it could not run, 2 for bad arguments.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpool.h>

#include "bench-util.h"

#define PAGE		4096UL
#define WORD		8UL
#define SYSFS		"/sys/kernel/scalepool"
#define MAX_PHASES	16

struct bench {
	struct pool_ctx *ctx;
	struct pool_member *fast, *slow;
	size_t size, room, hot;
	int phases, sweeps, rate, scan_ms, mode;	/* mode: 1 off, 2 on, 3 both */
	unsigned long block_pages;	/* pages per memory block */
	int *block_node;		/* node of each block, -1: none */
	size_t nr_blocks;
	int pagemap;
};

struct phase {
	double hit, seconds, to_90;	/* to_90 < 0: never */
};

static int read_ll(const char *path, long long *v)
{
	char buf[64];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	*v = strtoll(buf, NULL, 0);
	return 0;
}

static int write_ll(const char *path, long long v)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fprintf(f, "%lld\n", v) < 0 ? -EIO : 0;
	if (fclose(f) && !rc)
		rc = -errno;
	return rc;
}

/* The node of every memory block, from /sys/devices/system/node. */
static int load_blocks(struct bench *b)
{
	char path[64], buf[32];
	struct dirent *de;
	unsigned long blk;
	FILE *f;
	DIR *d;
	int node;

	f = fopen("/sys/devices/system/memory/block_size_bytes", "r");
	if (!f)
		return -errno;
	/* Hex, without 0x. */
	b->block_pages = fgets(buf, sizeof(buf), f) ?
			 strtoull(buf, NULL, 16) / PAGE : 0;
	fclose(f);
	b->nr_blocks = 1 << 20;
	b->block_node = malloc(b->nr_blocks * sizeof(int));
	if (!b->block_pages || !b->block_node)
		return -ENOMEM;
	memset(b->block_node, 0xff, b->nr_blocks * sizeof(int));
	for (node = 0; node < 1024; node++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d",
			 node);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d)))
			if (sscanf(de->d_name, "memory%lu", &blk) == 1 &&
			    blk < b->nr_blocks)
				b->block_node[blk] = node;
		closedir(d);
	}
	return 0;
}

/* Pages of [p, p + len) on node @node now; @present: mapped ones. */
static size_t pages_on(struct bench *b, const char *p, size_t len, int node,
		       size_t *present)
{
	size_t n = len / PAGE, i, on = 0;
	uint64_t e[512];
	off_t off = (uintptr_t)p / PAGE * sizeof(uint64_t);

	*present = 0;
	for (i = 0; i < n; i++) {
		uint64_t pfn, blk;

		if (i % 512 == 0 &&
		    pread(b->pagemap, e, sizeof(e), off + i * 8) < 8)
			break;
		if (!(e[i % 512] >> 63))
			continue;
		(*present)++;
		pfn = e[i % 512] & ((1ULL << 55) - 1);
		blk = pfn / b->block_pages;
		if (blk < b->nr_blocks && b->block_node[blk] == node)
			on++;
	}
	return on;
}

static void sweep(volatile char *p, size_t len, int round)
{
	size_t i;

	for (i = 0; i < len; i += WORD)
		*(volatile uint64_t *)(p + i) = round + i;
}

static int run_phases(struct bench *b, char *p, bool on, struct phase *ph)
{
	int fnode = pool_member_get_node(b->fast);
	size_t win, present, fast;
	double t0, now, hit;
	int i, s;

	for (i = 0; i < b->phases; i++) {
		win = (b->room + (size_t)i * b->hot) % b->size;
		if (win + b->hot > b->size)
			win = b->room;
		hit = 0;
		ph[i].to_90 = -1;
		t0 = bench_now_s();
		for (s = 0; s < b->sweeps; s++) {
			sweep(p + win, b->hot, s);
			fast = pages_on(b, p + win, b->hot, fnode, &present);
			hit += (double)fast / (b->hot / PAGE);
			now = bench_now_s();
			if (on && ph[i].to_90 < 0 && fast * 10 >= 9 * b->hot / PAGE)
				ph[i].to_90 = now - t0;
		}
		ph[i].seconds = bench_now_s() - t0;
		ph[i].hit = hit / b->sweeps;
	}
	return 0;
}

static unsigned long long tier_ctr(struct pool_member *m, int which)
{
	unsigned long long v[3] = { 0 };

	pool_member_get_tier(m, &v[0], &v[1], &v[2]);
	return v[which];
}

static int run(struct bench *b, bool on, struct phase *ph,
	       unsigned long long *promoted, unsigned long long *demoted)
{
	char nodes[32], path[96];
	struct pool_buf *buf;
	unsigned long long p0, d0;
	long long used;
	int rc;

	snprintf(nodes, sizeof(nodes), "%d,%d", pool_member_get_node(b->fast),
		 pool_member_get_node(b->slow));
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_TIERED,
		.nodes = nodes, .flags = POOL_ALLOC_NO_HUGE,
		.initiator = pool_member_get_node(b->fast),
		.initiator_set = true);
	/* Now, not at pool_new(): the last run's memory went since. */
	snprintf(path, sizeof(path), SYSFS "/members/%u/used",
		 pool_member_get_id(b->fast));
	rc = read_ll(path, &used) ?:
	     write_ll(SYSFS "/tier_rate_limit_MBps", 0) ?:
	     pool_member_set_limit(b->fast, used + b->room);
	if (!rc)
		rc = pool_alloc(b->ctx, b->size, &opts, &buf);
	if (rc)
		return rc;
	p0 = tier_ctr(b->fast, 1);
	d0 = tier_ctr(b->slow, 2);
	if (on) {
		rc = write_ll(SYSFS "/tier_scan_ms", b->scan_ms);
		if (!rc)
			rc = write_ll(SYSFS "/tier_rate_limit_MBps", b->rate);
	}
	if (!rc)
		rc = run_phases(b, pool_buf_get_addr(buf), on, ph);
	write_ll(SYSFS "/tier_rate_limit_MBps", 0);
	*promoted = tier_ctr(b->fast, 1) - p0;
	*demoted = tier_ctr(b->slow, 2) - d0;
	pool_buf_free(buf);
	return rc;
}

static void print(const struct bench *b, const char *mode,
		  const struct phase *ph, unsigned long long promoted,
		  unsigned long long demoted)
{
	double sum = 0, hit = 0;
	int i;

	for (i = 0; i < b->phases; i++) {
		printf("%-4s %5d %9.1f%% %9.2f ", mode, i, 100 * ph[i].hit,
		       ph[i].seconds);
		if (ph[i].to_90 >= 0)
			printf("%10.2f\n", ph[i].to_90);
		else
			printf("%10s\n", "-");
		sum += ph[i].seconds;
		hit += ph[i].hit;
	}
	printf("%-4s %5s %9.1f%% %9.2f   promoted %.1f MiB, demoted %.1f MiB\n",
	       mode, "all", 100 * hit / b->phases, sum, promoted / 1048576.0,
	       demoted / 1048576.0);
}

static struct pool_member *member_of(struct bench *b, int node,
				     const char *memory)
{
	struct pool_member *m;

	pool_member_foreach(b->ctx, m) {
		if (strcmp(pool_member_get_kind(m), "node"))
			continue;
		if (node >= 0 ? pool_member_get_node(m) == node :
				!strcmp(pool_member_get_memory(m), memory))
			return m;
	}
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
"usage: tier-bench [--fast NODE] [--slow NODE] [--size SIZE]\n"
"                  [--fast-room SIZE] [--hot SIZE] [--phases N]\n"
"                  [--sweeps N] [--rate MBPS] [--scan-ms MS]\n"
"                  [--mode off|on|both]\n"
"defaults: fast 0, slow the CXL node (else 1), size 16M, fast-room 4M,\n"
"hot 2M, phases 4, sweeps 100, rate 64, scan-ms 250, mode both\n");
}

static int parse(struct bench *b, int argc, char **argv, int *fnode,
		 int *snode)
{
	static const struct option lo[] = {
		{ "fast", 1, NULL, 'f' }, { "slow", 1, NULL, 's' },
		{ "size", 1, NULL, 'S' }, { "fast-room", 1, NULL, 'r' },
		{ "hot", 1, NULL, 'H' }, { "phases", 1, NULL, 'p' },
		{ "sweeps", 1, NULL, 'w' }, { "rate", 1, NULL, 'R' },
		{ "scan-ms", 1, NULL, 'm' }, { "mode", 1, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	int *num[128] = {
		['f'] = fnode, ['s'] = snode, ['p'] = &b->phases,
		['w'] = &b->sweeps, ['R'] = &b->rate, ['m'] = &b->scan_ms,
	};
	unsigned long long v;
	char *end;
	long n;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f': case 's': case 'p': case 'w': case 'R': case 'm':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 ||
			    n > 1000000) {
				fprintf(stderr, "tier-bench: bad number '%s'\n",
					optarg);
				return -1;
			}
			*num[c] = n;
			break;
		case 'S': case 'r': case 'H':
			if (pool_parse_size(optarg, &v) || !v || v % PAGE) {
				fprintf(stderr, "tier-bench: bad size '%s'\n",
					optarg);
				return -1;
			}
			*(c == 'S' ? &b->size : c == 'r' ? &b->room : &b->hot) = v;
			break;
		case 'M':
			b->mode = !strcmp(optarg, "off") ? 1 :
				  !strcmp(optarg, "on") ? 2 :
				  !strcmp(optarg, "both") ? 3 : 0;
			break;
		default:
			return -1;
		}
	}
	if (optind < argc || !b->mode || b->phases < 1 ||
	    b->phases > MAX_PHASES || b->sweeps < 1 || b->rate < 1 ||
	    b->room >= b->size || b->hot > b->size - b->room)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bench b = { .size = 16 << 20, .room = 4 << 20, .hot = 2 << 20,
			   .phases = 4, .sweeps = 100, .rate = 64,
			   .scan_ms = 250, .mode = 3 };
	struct phase ph[2][MAX_PHASES];
	unsigned long long prom[2] = { 0 }, dem[2] = { 0 };
	long long rate0 = 0, scan0 = 1000, limit0;
	int fnode = 0, snode = -1, rc = 0, i;

	if (parse(&b, argc, argv, &fnode, &snode)) {
		usage();
		return 2;
	}
	rc = pool_new(&b.ctx);
	if (rc) {
		fprintf(stderr, "tier-bench: pool_new: %s\n", strerror(-rc));
		return 1;
	}
	b.fast = member_of(&b, fnode, NULL);
	b.slow = snode >= 0 ? member_of(&b, snode, NULL) :
			      member_of(&b, -1, "cxl");
	if (!b.slow && snode < 0)
		b.slow = member_of(&b, 1, NULL);
	b.pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (!b.fast || !b.slow || b.fast == b.slow || b.pagemap < 0 ||
	    load_blocks(&b) ||
	    read_ll(SYSFS "/tier_rate_limit_MBps", &rate0) ||
	    read_ll(SYSFS "/tier_scan_ms", &scan0)) {
		fprintf(stderr, "tier-bench: needs two node members, root "
			"(pagemap) and a module with tiering\n");
		return 1;
	}
	limit0 = pool_member_get_limit(b.fast);
	printf("# tier-bench: fast node %d, slow node %d (%s), size %zu MiB, "
	       "fast room %zu MiB, hot %zu MiB, %d phases x %d sweeps, "
	       "rate %d MiB/s, scan %d ms\n",
	       pool_member_get_node(b.fast), pool_member_get_node(b.slow),
	       pool_member_get_memory(b.slow), b.size >> 20, b.room >> 20,
	       b.hot >> 20, b.phases, b.sweeps, b.rate, b.scan_ms);
	printf("%-4s %5s %10s %9s %10s\n", "mode", "phase", "fast-hits",
	       "seconds", "to-90%-s");
	for (i = 0; i < 2 && !rc; i++) {
		if (!(b.mode & (1 << i)))
			continue;
		rc = run(&b, i, ph[i], &prom[i], &dem[i]);
		if (!rc)
			print(&b, i ? "on" : "off", ph[i], prom[i], dem[i]);
	}
	write_ll(SYSFS "/tier_rate_limit_MBps", rate0);
	write_ll(SYSFS "/tier_scan_ms", scan0);
	pool_member_set_limit(b.fast, limit0);
	if (rc)
		fprintf(stderr, "tier-bench: %s\n", strerror(-rc));
	pool_unref(b.ctx);
	return rc ? 1 : 0;
}
