// SPDX-License-Identifier: GPL-2.0
/*
 * evacuate: how long memory offline takes to empty CXL memory blocks
 * of pool pages, against the kernel's own migration of the same amount
 * of ordinary movable memory, in one run as ratios.
 *
 *   scalepool   pool_alloc(PREFERRED: the CXL member, then DRAM node
 *               0's member; 4 KiB pages), filled; the CXL member's limit
 *               set to what it holds, so that the pages cannot stay on
 *               it; then the memory blocks holding them are offlined:
 *               the pool's memory notifier moves them to DRAM
 *               (kernel/move.c)
 *   kernel      anonymous memory bound to the CXL node (mbind,
 *               MADV_NOHUGEPAGE: 4 KiB pages), filled; the same blocks
 *               offlined: offline_pages() migrates it to DRAM
 *
 * Both copy the same bytes from CXL memory to DRAM, 4 KiB at a time, so
 * the ratio is the cost of each mechanism.  Rounds alternate the two;
 * the figure is the median.  After each offline the data is checked and
 * the blocks are onlined again (online_movable).  Needs root (page
 * frames from /proc/self/pagemap, memory block state) and a CXL member
 * with memory in ZONE_MOVABLE: `tools/bench/run evacuate [--size MIB]
 * [--rounds N]`.  Not a test: it prints figures, and fails only when a
 * step fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libpool.h>

#include "bench-util.h"

#define PAGE		4096UL
#define MAX_BLOCKS	32
#define MAX_ROUNDS	15
#define MEMORY_SYSFS	"/sys/devices/system/memory"

enum method { M_POOL, M_KERNEL, NR_METHODS };

static const char *const method_names[NR_METHODS] = { "scalepool", "kernel" };

struct evac {
	struct pool_ctx *ctx;
	unsigned int cxl;	/* member ids: pool_refresh() frees members */
	unsigned int dram;
	int cxl_node;
	unsigned long long block_size;
	size_t size;
};

/* One round's offline: the blocks it took and how long. */
struct evac_result {
	int nr_blocks;
	long blocks[MAX_BLOCKS];
	double seconds;
};

static void fill(unsigned char *p, size_t size, unsigned char seed)
{
	size_t off;

	for (off = 0; off < size; off += PAGE)
		memset(p + off, (unsigned char)(seed + off / PAGE), PAGE);
}

/* 0 when @p holds what fill() wrote with @seed. */
static int check(const unsigned char *p, size_t size, unsigned char seed)
{
	size_t off, i;

	for (off = 0; off < size; off += PAGE)
		for (i = 0; i < PAGE; i += 512)
			if (p[off + i] != (unsigned char)(seed + off / PAGE))
				return -1;
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

static int block_set(long block, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), MEMORY_SYSFS "/memory%ld/state", block);
	return write_sysfs(path, state);
}

/* The memory blocks holding the pages of @p, from their page frames. */
static int find_blocks(const struct evac *e, const void *p,
		       struct evac_result *r)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t off;
	int i;

	if (fd < 0)
		return -errno;
	r->nr_blocks = 0;
	for (off = 0; off < e->size; off += PAGE) {
		uint64_t ent, pfn;
		long block;

		if (pread(fd, &ent, sizeof(ent),
			  ((uintptr_t)p + off) / PAGE * 8) != sizeof(ent)) {
			close(fd);
			return -EIO;
		}
		pfn = ent & ((1ULL << 55) - 1);
		if (!(ent >> 63) || !pfn) {
			close(fd);
			return -ENOENT;	/* not mapped, or no root */
		}
		block = pfn * PAGE / e->block_size;
		for (i = 0; i < r->nr_blocks && r->blocks[i] != block; i++)
			;
		if (i == r->nr_blocks && i < MAX_BLOCKS)
			r->blocks[r->nr_blocks++] = block;
	}
	close(fd);
	return 0;
}

/* Offline @r's blocks, timed; every block is onlined again after. */
static int offline_timed(struct evac_result *r)
{
	double t0 = bench_now_s();
	int i, ret = 0, done;

	for (done = 0; done < r->nr_blocks && !ret; done++)
		ret = block_set(r->blocks[done], "offline");
	r->seconds = bench_now_s() - t0;
	if (ret)
		done--;
	for (i = 0; i < done; i++)
		if (block_set(r->blocks[i], "online_movable"))
			fprintf(stderr, "evacuate: memory%ld stays offline\n",
				r->blocks[i]);
	return ret;
}

/* The CXL member's limit, as a refreshed context reads it; @used too. */
static int cxl_limit(struct evac *e, unsigned long long *limit,
		     unsigned long long *used)
{
	struct pool_member *m;
	int ret = pool_refresh(e->ctx);

	if (ret)
		return ret;
	m = pool_member_get_by_id(e->ctx, e->cxl);
	if (!m)
		return -ENOENT;
	*limit = pool_member_get_limit(m);
	*used = pool_member_get_used(m);
	return 0;
}

static int set_cxl_limit(struct evac *e, unsigned long long limit)
{
	struct pool_member *m = pool_member_get_by_id(e->ctx, e->cxl);

	return m ? pool_member_set_limit(m, limit) : -ENOENT;
}

static int round_pool(struct evac *e, unsigned char seed,
		      struct evac_result *r)
{
	unsigned int set[2] = { e->cxl, e->dram };
	unsigned long long limit, used;
	struct pool_buf *buf;
	unsigned char *p;
	int ret;
	POOL_OPTS(pool_alloc_opts, opts,
		.policy = POOL_POLICY_PREFERRED,
		.flags = POOL_ALLOC_NO_HUGE,
		.members = set,
		.nr_members = 2,
	);

	ret = pool_alloc(e->ctx, e->size, &opts, &buf);
	if (ret)
		return ret;
	p = pool_buf_get_addr(buf);
	fill(p, e->size, seed);
	ret = find_blocks(e, p, r);
	if (!ret)
		ret = cxl_limit(e, &limit, &used);
	if (ret)
		goto out;
	/* No room left on the CXL member: the pages go to DRAM. */
	ret = set_cxl_limit(e, used);
	if (!ret)
		ret = offline_timed(r);
	if (!ret && check(p, e->size, seed))
		ret = -EIO;
	set_cxl_limit(e, limit);
out:
	pool_buf_free(buf);
	return ret;
}

static int round_kernel(struct evac *e, unsigned char seed,
			struct evac_result *r)
{
	unsigned long mask = 1UL << e->cxl_node;
	unsigned char *p;
	int ret;

	p = mmap(NULL, e->size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (mbind(p, e->size, MPOL_BIND, &mask, sizeof(mask) * 8, 0) ||
	    madvise(p, e->size, MADV_NOHUGEPAGE)) {
		ret = -errno;
		goto out;
	}
	fill(p, e->size, seed);
	ret = find_blocks(e, p, r);
	if (!ret)
		ret = offline_timed(r);
	if (!ret && check(p, e->size, seed))
		ret = -EIO;
out:
	munmap(p, e->size);
	return ret;
}

/* The first CXL member and node 0's DRAM member. */
static int find_members(struct evac *e)
{
	struct pool_member *m;
	int found = 0;

	pool_member_foreach(e->ctx, m) {
		const char *mem = pool_member_get_memory(m);

		if (!(found & 1) && !strcmp(mem, "cxl")) {
			e->cxl = pool_member_get_id(m);
			e->cxl_node = pool_member_get_node(m);
			found |= 1;
		} else if (!(found & 2) && !strcmp(mem, "dram") &&
			   pool_member_get_node(m) == 0) {
			e->dram = pool_member_get_id(m);
			found |= 2;
		}
	}
	return found == 3 ? 0 : -ENOENT;
}

static int read_block_size(struct evac *e)
{
	FILE *f = fopen(MEMORY_SYSFS "/block_size_bytes", "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llx", &e->block_size) == 1 && e->block_size;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: evacuate [--size MIB] [--rounds N]\n");
}

static int parse_args(int argc, char **argv, size_t *mib, int *rounds)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "s:r:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c != 's' && c != 'r')
			return -1;
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno || *end || v < 1 ||
		    v > (c == 's' ? 1024 : MAX_ROUNDS)) {
			fprintf(stderr, "evacuate: bad --%s '%s'\n",
				c == 's' ? "size" : "rounds", optarg);
			return -1;
		}
		if (c == 's')
			*mib = v;
		else
			*rounds = v;
	}
	return optind == argc ? 0 : -1;
}

static int run_rounds(struct evac *e, int rounds)
{
	static int (*const round_fn[NR_METHODS])(struct evac *, unsigned char,
						 struct evac_result *) = {
		round_pool, round_kernel,
	};
	double secs[NR_METHODS][MAX_ROUNDS], med[NR_METHODS];
	struct evac_result r;
	int i, k, ret;

	printf("%-6s %-10s %8s %7s %9s %9s\n", "round", "method", "MiB",
	       "blocks", "seconds", "MB/s");
	for (i = 0; i < rounds; i++) {
		for (k = 0; k < NR_METHODS; k++) {
			ret = round_fn[k](e, (unsigned char)(i * 2 + k), &r);
			if (ret) {
				fprintf(stderr, "evacuate: %s, round %d: %s\n",
					method_names[k], i + 1, strerror(-ret));
				return ret;
			}
			secs[k][i] = r.seconds;
			printf("%-6d %-10s %8zu %7d %9.3f %9.1f\n", i + 1,
			       method_names[k], e->size >> 20, r.nr_blocks,
			       r.seconds, e->size / r.seconds / 1e6);
		}
	}
	for (k = 0; k < NR_METHODS; k++)
		med[k] = bench_median(secs[k], rounds);
	printf("median: scalepool %.3f s, kernel %.3f s; "
	       "scalepool/kernel time %.2f\n", med[M_POOL], med[M_KERNEL],
	       med[M_POOL] / med[M_KERNEL]);
	return 0;
}

int main(int argc, char **argv)
{
	struct evac e = { 0 };
	size_t mib = 8;
	int rounds = 3, ret;

	if (parse_args(argc, argv, &mib, &rounds)) {
		usage(stderr);
		return 2;
	}
	e.size = mib << 20;
	ret = pool_new(&e.ctx);
	if (!ret)
		ret = find_members(&e);
	if (!ret)
		ret = read_block_size(&e);
	if (ret) {
		fprintf(stderr, "evacuate: needs /dev/scalepool, a CXL member "
			"and node 0's DRAM member, and memory blocks in "
			"sysfs: %s\n", strerror(-ret));
		return 1;
	}
	printf("# %zu MiB from CXL member %u (node %d) to DRAM member %u, "
	       "4 KiB pages, %d rounds, memory blocks of %llu MiB\n", mib,
	       e.cxl, e.cxl_node, e.dram, rounds, e.block_size >> 20);
	ret = run_rounds(&e, rounds);
	pool_unref(e.ctx);
	return ret ? 1 : 0;
}
