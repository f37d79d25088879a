// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of pool allocations (kernel/uapi/linux/scalepool.h): memory
 * is zeroed; FREE and close(2) release it but a live mapping keeps it
 * until munmap; fork shares MAP_SHARED mappings; one fd serves many
 * threads; admin limits give ENOSPC; pool pages on the CXL node make
 * memory offline fail fast with EBUSY when they cannot move, and long-term pins (io_uring) and
 * GUP fail fast, where DRAM 4 KiB pages work; rmmod is refused while a
 * mapping lives.  Member `used` is checked to come back after each.
 *
 * Runs in the guest with scalepool.ko loaded, as root.  The CXL parts
 * need a CXL node online (node 2 after discovery.sh) and SKIP without.
 * "Within N seconds" bounds are liveness checks (the kernel must not
 * loop), run in a child that is SIGKILLed when it overstays.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/uio.h>

#include <liburing.h>

#include "pool_test.h"
#include "kselftest_harness.h"


/* ---------------------------------------------------------------------- */

/*
 * Memory comes zeroed: fill an allocation with a pattern, free it and
 * allocate again on the same member, right away so that the allocator
 * hands out the same pages (how many it reused is logged).
 */
FIXTURE(zeroing) {
	int fd;
	__u32 member;
};

FIXTURE_VARIANT(zeroing) {
	int cxl;	/* on the CXL node, else on DRAM node 0 */
	__u32 flags;
	size_t length;
};

FIXTURE_VARIANT_ADD(zeroing, dram) {
	.cxl = 0, .flags = 0, .length = 64 * M,
};
FIXTURE_VARIANT_ADD(zeroing, dram_4k) {
	.cxl = 0, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = 64 * M,
};
FIXTURE_VARIANT_ADD(zeroing, cxl) {
	.cxl = 1, .flags = 0, .length = 2 * M,
};
FIXTURE_VARIANT_ADD(zeroing, cxl_4k) {
	.cxl = 1, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = 2 * M,
};

FIXTURE_SETUP(zeroing)
{
	int node = variant->cxl ? t_cxl_node() : 0, m;

	test_open(&self->fd);
	if (node < 0)
		SKIP(return, "no CXL node online");
	m = t_member_of_node(node);
	if (m < 0)
		SKIP(return, "node %d has no member", node);
	self->member = m;
}

FIXTURE_TEARDOWN(zeroing)
{
	close(self->fd);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

TEST_F_TIMEOUT(zeroing, reallocated_memory_is_zero, 180)
{
	size_t len = variant->length, npages = len / T_PAGE, i, reused = 0;
	uint64_t *old = calloc(npages, sizeof(*old));
	uint64_t *new = calloc(npages, sizeof(*new));
	struct t_used u;
	__u64 offset;
	__u32 handle;
	char *map;
	long bad;

	ASSERT_TRUE(old && new);
	t_used_snapshot(&u);
	test_cmd_alloc_on(self->fd, self->member, variant->flags, len, &handle,
			  &offset);
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	bad = t_check_zero(map, len);
	EXPECT_EQ(-1, bad) {
		TH_LOG("fresh allocation: non-zero at offset %ld", bad);
	}
	t_fill(map, len, 0xfeed);
	ASSERT_EQ(-1, t_check(map, len, 0xfeed));
	EXPECT_EQ(0, t_pfns(map, npages, old));
	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, handle);
	EXPECT_EQ(-1, t_used_settle(&u, 10));

	test_cmd_alloc_on(self->fd, self->member, variant->flags, len, &handle,
			  &offset);
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	bad = t_check_zero(map, len);
	EXPECT_EQ(-1, bad) {
		TH_LOG("reallocated memory: non-zero at offset %ld", bad);
	}
	/* Diagnostics: how many of the old page frames came back. */
	EXPECT_EQ(0, t_pfns(map, npages, new));
	qsort(old, npages, sizeof(*old), cmp_u64);
	for (i = 0; i < npages; i++)
		if (new[i] && bsearch(&new[i], old, npages, sizeof(*old), cmp_u64))
			reused++;
	TH_LOG("%zu of %zu pages of the freed allocation were handed out again",
	       reused, npages);
	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, handle);
	EXPECT_EQ(-1, t_used_settle(&u, 10));
	free(old);
	free(new);
}

/* ---------------------------------------------------------------------- */

/* Ownership and mappings, on DRAM node 0. */
FIXTURE(lifetime) {
	int fd;
	__u32 m0;
	struct t_used u;
};

FIXTURE_SETUP(lifetime)
{
	int m = t_member_of_node(0);

	test_open(&self->fd);
	if (m < 0)
		SKIP(return, "node 0 has no member");
	self->m0 = m;
	t_used_snapshot(&self->u);
}

FIXTURE_TEARDOWN(lifetime)
{
	if (self->fd >= 0)
		close(self->fd);
}

static long long used_of(__u32 m)
{
	return t_member_ll(m, "used");
}

/*
 * @map (8 MiB of member m0, filled with @seed) outlives its handle or
 * fd: it reads and writes the same memory, still charged (@before is
 * `used` before the allocation); munmap gives it back.
 */
static void mapping_keeps_memory(struct __test_metadata *_metadata,
				 FIXTURE_DATA(lifetime) *self, char *map,
				 uint64_t seed, long long before)
{
	EXPECT_EQ(-1, t_check(map, 8 * M, seed));
	t_fill(map, 8 * M, seed + 1);
	EXPECT_EQ(-1, t_check(map, 8 * M, seed + 1));
	EXPECT_EQ(before + 8 * (long long)M, used_of(self->m0));
	EXPECT_EQ(0, munmap(map, 8 * M));
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

TEST_F(lifetime, close_with_a_live_mapping_keeps_the_memory)
{
	long long before = used_of(self->m0);
	__u64 offset;
	__u32 handle;
	char *map;

	test_cmd_alloc_on(self->fd, self->m0, 0, 8 * M, &handle, &offset);
	map = t_map(self->fd, offset, 8 * M);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, 8 * M, 1);
	close(self->fd);
	self->fd = -1;
	mapping_keeps_memory(_metadata, self, map, 1, before);
}

TEST_F(lifetime, close_frees_unmapped_allocations)
{
	long long before = used_of(self->m0);
	__u64 offset;
	__u32 a, b;
	char *map;

	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &a, &offset);
	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &b, NULL);
	ASSERT_EQ(before + 8 * (long long)M, used_of(self->m0));
	map = t_map(self->fd, offset, 4 * M);
	ASSERT_NE(MAP_FAILED, map);
	t_touch(map, 4 * M);
	close(self->fd);
	self->fd = -1;

	/* b had no mapping: gone with the fd; a lives on in its mapping. */
	EXPECT_EQ(before + 4 * (long long)M, used_of(self->m0)) {
		TH_LOG("used %lld after close, %lld before the allocations",
		       used_of(self->m0), before);
	}
	EXPECT_EQ(0, munmap(map, 4 * M));
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

TEST_F(lifetime, close_without_mappings_frees_everything)
{
	int i;

	for (i = 0; i < 8; i++)
		test_cmd_alloc_on(self->fd, self->m0,
				  i & 1 ? SCALEPOOL_ALLOC_NO_HUGE : 0,
				  (i + 1) * M, NULL, NULL);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

static void free_with_live_mapping(struct __test_metadata *_metadata,
				   FIXTURE_DATA(lifetime) *self, int do_close)
{
	long long before = used_of(self->m0);
	struct scalepool_info info;
	__u64 offset;
	__u32 handle;
	char *map;

	test_cmd_alloc_on(self->fd, self->m0, 0, 8 * M, &handle, &offset);
	map = t_map(self->fd, offset, 8 * M);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, 8 * M, 3);
	test_cmd_free(self->fd, handle);

	/* The handle is gone at once... */
	test_err_info(ENOENT, self->fd, handle, &info, NULL, 0);
	test_err_free(ENOENT, self->fd, handle);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset, 8 * M));
	EXPECT_EQ(EINVAL, errno);
	if (do_close) {
		close(self->fd);
		self->fd = -1;
	}
	/* ...the memory when the mapping goes. */
	mapping_keeps_memory(_metadata, self, map, 3, before);
}

TEST_F(lifetime, free_with_a_live_mapping)
{
	free_with_live_mapping(_metadata, self, 0);
}

TEST_F(lifetime, free_and_close_with_a_live_mapping)
{
	free_with_live_mapping(_metadata, self, 1);
}

TEST_F(lifetime, fork_shares_the_mapping)
{
	struct scalepool_info info;
	__u64 offset;
	__u32 handle;
	int status;
	char *map;
	pid_t pid;

	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &handle, &offset);
	map = t_map(self->fd, offset, 4 * M);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, 4 * M, 10);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (t_check(map, 4 * M, 10) != -1)
			_exit(1);
		t_fill(map, 4 * M, 11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("the child did not see the parent's bytes");
	}
	/* The child's writes are the parent's bytes. */
	EXPECT_EQ(-1, t_check(map, 4 * M, 11));
	/* The child's exit (its copy of the fd, its mapping) freed nothing. */
	test_cmd_info(self->fd, handle, &info, NULL, 0);
	EXPECT_EQ(4 * M, info.length);
	t_fill(map, 4 * M, 12);
	EXPECT_EQ(-1, t_check(map, 4 * M, 12));
	EXPECT_EQ(0, munmap(map, 4 * M));
	test_cmd_free(self->fd, handle);
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

/* ---- many threads on one fd */

#define NR_THREADS	8
#define ROUNDS		200

struct worker {
	int fd;
	const __u32 *set;
	int id;
	atomic_int *errors;
	char what[128];
};

static void worker_error(struct worker *w, const char *what, int round)
{
	if (atomic_fetch_add(w->errors, 1) == 0)
		snprintf(w->what, sizeof(w->what), "thread %d round %d: %s",
			 w->id, round, what);
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int round;

	for (round = 0; round < ROUNDS; round++) {
		struct scalepool_alloc a = {
			.size = sizeof(a),
			.flags = round & 2 ? SCALEPOOL_ALLOC_NO_HUGE : 0,
			.length = M,
			.policy = SCALEPOOL_POLICY_BIND,
			.nr_members = 2,
			.members_ptr = (uintptr_t)w->set,
			.initiator = SCALEPOOL_INITIATOR_LOCAL,
		};
		volatile uint64_t *p;
		__u64 offset;
		__u32 handle;
		size_t off;
		char *map;

		if (_test_cmd_alloc(w->fd, &a)) {
			worker_error(w, "ALLOC failed", round);
			continue;
		}
		handle = a.handle;
		offset = a.offset;
		map = t_map(w->fd, offset, M);
		if (map == MAP_FAILED) {
			worker_error(w, "mmap failed", round);
			_test_cmd_free(w->fd, handle);
			continue;
		}
		for (off = 0; off < M; off += T_PAGE) {
			p = (volatile uint64_t *)(map + off);
			if (p[0] || p[T_PAGE / 8 - 1])
				worker_error(w, "memory not zeroed", round);
			p[0] = ((uint64_t)w->id << 32) | round;
		}
		for (off = 0; off < M; off += T_PAGE) {
			p = (volatile uint64_t *)(map + off);
			if (p[0] != (((uint64_t)w->id << 32) | round))
				worker_error(w, "another thread's bytes", round);
		}
		/* Half the time FREE while mapped, half after munmap. */
		if (round & 1) {
			if (_test_cmd_free(w->fd, handle))
				worker_error(w, "FREE failed", round);
			munmap(map, M);
		} else {
			munmap(map, M);
			if (_test_cmd_free(w->fd, handle))
				worker_error(w, "FREE failed", round);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(lifetime, threads_share_one_fd, 600)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	atomic_int errors = 0;
	__u32 set[2];
	int i;

	if (t_member_of_node(1) < 0)
		SKIP(return, "node 1 has no member");
	set[0] = self->m0;
	set[1] = t_member_of_node(1);
	for (i = 0; i < NR_THREADS; i++) {
		w[i] = (struct worker){ .fd = self->fd, .set = set, .id = i,
					.errors = &errors };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, worker_fn, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, errors) {
		for (i = 0; i < NR_THREADS; i++)
			if (w[i].what[0])
				TH_LOG("%s", w[i].what);
	}
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

/* ---------------------------------------------------------------------- */

/* Admin limits; saved in setup, restored in teardown. */
FIXTURE(limits) {
	int fd;
	__u32 m0;
	long long saved;
	int saved_ok;
};

FIXTURE_SETUP(limits)
{
	int m = t_member_of_node(0);

	self->saved_ok = 0;
	test_open(&self->fd);
	if (m < 0)
		SKIP(return, "node 0 has no member");
	self->m0 = m;
	self->saved = t_member_ll(m, "limit");
	ASSERT_LE(0, self->saved);
	self->saved_ok = 1;
}

FIXTURE_TEARDOWN(limits)
{
	if (self->saved_ok)
		EXPECT_EQ(0, t_member_set_limit(self->m0, self->saved));
	close(self->fd);
}

TEST_F(limits, enforced_with_enospc)
{
	long long base = used_of(self->m0);
	struct t_used u;
	__u32 h;

	ASSERT_EQ(0, t_member_set_limit(self->m0, base + 4 * M));
	EXPECT_EQ(base + 4 * (long long)M, t_member_ll(self->m0, "limit"));
	t_used_snapshot(&u);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, 8 * M, NULL, NULL);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, 4 * M + T_PAGE, NULL,
			  NULL);
	EXPECT_EQ(-1, t_used_changed(&u));
	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &h, NULL);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, SCALEPOOL_ALLOC_NO_HUGE,
			  T_PAGE, NULL, NULL);
	test_cmd_free(self->fd, h);
	/* Freed bytes count again; 0 lifts the limit. */
	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &h, NULL);
	test_cmd_free(self->fd, h);
	ASSERT_EQ(0, t_member_set_limit(self->m0, 0));
	test_cmd_alloc_on(self->fd, self->m0, 0, 16 * M, &h, NULL);
	test_cmd_free(self->fd, h);
}

TEST_F(limits, below_current_use_is_accepted)
{
	long long base = used_of(self->m0);
	__u64 offset;
	__u32 h;
	char *map;

	test_cmd_alloc_on(self->fd, self->m0, 0, 4 * M, &h, &offset);
	map = t_map(self->fd, offset, 4 * M);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, 4 * M, 5);
	/* The admin shrinks the member under what it holds. */
	ASSERT_EQ(0, t_member_set_limit(self->m0, base + 2 * M));
	EXPECT_EQ(base + 2 * (long long)M, t_member_ll(self->m0, "limit"));
	/* What is allocated stays; nothing more fits. */
	EXPECT_EQ(-1, t_check(map, 4 * M, 5));
	EXPECT_EQ(base + 4 * (long long)M, used_of(self->m0));
	test_err_alloc_on(ENOSPC, self->fd, self->m0, SCALEPOOL_ALLOC_NO_HUGE,
			  T_PAGE, NULL, NULL);
	EXPECT_EQ(0, munmap(map, 4 * M));
	test_cmd_free(self->fd, h);
	EXPECT_EQ(base, used_of(self->m0));
	/* Under the limit again: room for 2 MiB and no more. */
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h, NULL);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, SCALEPOOL_ALLOC_NO_HUGE,
			  T_PAGE, NULL, NULL);
	test_cmd_free(self->fd, h);
}

TEST_F(limits, unprivileged_write_fails)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), T_MEMBERS "/%u/limit", self->m0);
	ret = t_write_file_unprivileged(path, "4096\n");
	EXPECT_TRUE(ret == -EACCES || ret == -EPERM) {
		TH_LOG("unprivileged write of limit: %s", strerror(-ret));
	}
	EXPECT_EQ(self->saved, t_member_ll(self->m0, "limit"));
}

/* ---------------------------------------------------------------------- */

/*
 * Memory offline of CXL blocks that hold pool pages the pool cannot
 * move (no room): EBUSY within 5 s (not the kernel's endless migration
 * retries), data intact, the reason in the member's "refused"; after FREE
 * the block goes offline, and comes back online (ZONE_MOVABLE).
 */
#define MAX_BLOCKS	16

FIXTURE(offline) {
	int fd;
	int node;
	__u32 member;
	unsigned long block_size;
	int nr_blocks;
	long blocks[MAX_BLOCKS];	/* memory blocks with our pages */
	int offlined[MAX_BLOCKS];	/* to bring back in teardown */
};

FIXTURE_SETUP(offline)
{
	int m;

	self->nr_blocks = 0;
	test_open(&self->fd);
	self->node = t_cxl_node();
	if (self->node < 0)
		SKIP(return, "no CXL node online");
	m = t_member_of_node(self->node);
	ASSERT_LE(0, m);
	self->member = m;
	self->block_size = t_block_size();
	if (!self->block_size)
		SKIP(return, "no memory hotplug in sysfs");
}

FIXTURE_TEARDOWN(offline)
{
	EXPECT_EQ(0, t_blocks_online(self->blocks, self->offlined,
				     self->nr_blocks));
	close(self->fd);
}

/* Offlining a block the pool holds pages of is EBUSY, at once. */
static void offline_is_busy(struct __test_metadata *_metadata,
			    FIXTURE_DATA(offline) *self)
{
	int i, ret;

	for (i = 0; i < self->nr_blocks; i++) {
		ASSERT_TRUE(t_block_is(self->blocks[i], "online")) {
			TH_LOG("memory%ld is not online", self->blocks[i]);
		}
		ret = t_block_set(self->blocks[i], "offline", 5);
		EXPECT_NE(-ETIMEDOUT, ret) {
			TH_LOG("offline of memory%ld did not return within 5 s",
			       self->blocks[i]);
		}
		EXPECT_EQ(EBUSY, ret) {
			TH_LOG("offline of memory%ld: %s", self->blocks[i],
			       ret > 0 ? strerror(ret) : ret ? "timeout" : "success");
		}
		if (ret == 0)
			self->offlined[i] = 1;
		EXPECT_TRUE(t_block_is(self->blocks[i], "online"));
	}
}

/*
 * Moves every block not yet there offline (@offline), or back online in
 * ZONE_MOVABLE as daxctl put it: each move works within 60 s.
 */
static void move_blocks(struct __test_metadata *_metadata,
			FIXTURE_DATA(offline) *self, int offline)
{
	const char *to = offline ? "offline" : "online_movable";
	int i, ret;

	for (i = 0; i < self->nr_blocks; i++) {
		if (self->offlined[i] == offline)
			continue;
		ret = t_block_set(self->blocks[i], to, 60);
		EXPECT_EQ(0, ret) {
			TH_LOG("%s of memory%ld after FREE: %s", to,
			       self->blocks[i],
			       ret > 0 ? strerror(ret) : "timeout");
		}
		if (ret == 0)
			self->offlined[i] = offline;
		if (ret == 0 || !offline)
			EXPECT_TRUE(t_block_is(self->blocks[i],
					     offline ? "offline" : "online"));
	}
}

TEST_F_TIMEOUT(offline, busy_while_the_pool_holds_pages, 180)
{
	const size_t len = 2 * M;
	__u64 offset;
	__u32 handle;
	char *map;

	long long limit = t_member_ll(self->member, "limit");
	char why[160];

	test_cmd_alloc_on(self->fd, self->member, 0, len, &handle, &offset);
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, len, 0xc0ffee);
	/*
	 * BIND to the CXL member, which is full: the pool has nowhere to
	 * move the pages (alloc_move tests the moves).
	 */
	ASSERT_EQ(0, t_member_set_limit(self->member,
					t_member_ll(self->member, "used")));

	ASSERT_LT(0, t_blocks_find(self->block_size, map, len, self->blocks,
				   self->offlined, &self->nr_blocks,
				   MAX_BLOCKS)) {
		TH_LOG("no page frame in pagemap for the mapping");
	}
	offline_is_busy(_metadata, self);
	EXPECT_EQ(0, t_member_set_limit(self->member, limit));
	/* The pages were neither lost nor moved under us. */
	EXPECT_EQ(-1, t_check(map, len, 0xc0ffee));
	ASSERT_EQ(0, t_member_attr(self->member, "refused", why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "no room")) {
		TH_LOG("refused: '%s'", why);
	}

	test_cmd_free(self->fd, handle);
	EXPECT_EQ(0, munmap(map, len));
	EXPECT_EQ(0, t_member_ll(self->member, "used"));

	/* Once the pool let go, every block goes offline, and back. */
	move_blocks(_metadata, self, 1);
	move_blocks(_metadata, self, 0);
	EXPECT_LE(0, t_member_of_node(self->node));
}

/* ---------------------------------------------------------------------- */

/*
 * Long-term pins and GUP of pool memory: on the CXL node (ZONE_MOVABLE,
 * no struct page references) they fail at once, where the kernel would
 * otherwise retry migration forever; DRAM 4 KiB pages are normal pages
 * and DRAM 2 MiB mappings are pinnable but invisible to move_pages.
 */
FIXTURE(pin) {
	int fd;
	__u32 handle;
	char *map;
};

FIXTURE_VARIANT(pin) {
	int cxl;
	__u32 flags;
	size_t length;
	int pins;	/* GUP and long-term pins work */
	int seen;	/* move_pages(2) reports the node */
};

FIXTURE_VARIANT_ADD(pin, dram_4k) {
	.cxl = 0, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = M,
	.pins = 1, .seen = 1,
};
FIXTURE_VARIANT_ADD(pin, dram_huge) {
	.cxl = 0, .flags = 0, .length = 2 * M, .pins = 1, .seen = 0,
};
FIXTURE_VARIANT_ADD(pin, cxl) {
	.cxl = 1, .flags = 0, .length = 2 * M, .pins = 0, .seen = 0,
};
FIXTURE_VARIANT_ADD(pin, cxl_4k) {
	.cxl = 1, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = M,
	.pins = 0, .seen = 0,
};

FIXTURE_SETUP(pin)
{
	int node = variant->cxl ? t_cxl_node() : 0, m;
	__u64 offset;

	self->map = MAP_FAILED;
	test_open(&self->fd);
	if (node < 0)
		SKIP(return, "no CXL node online");
	m = t_member_of_node(node);
	if (m < 0)
		SKIP(return, "node %d has no member", node);
	test_cmd_alloc_on(self->fd, m, variant->flags, variant->length,
			  &self->handle, &offset);
	self->map = t_map(self->fd, offset, variant->length);
	ASSERT_NE(MAP_FAILED, self->map);
	t_touch(self->map, variant->length);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->map != MAP_FAILED) {
		munmap(self->map, variant->length);
		_test_cmd_free(self->fd, self->handle);
	}
	close(self->fd);
}

struct pin_arg {
	void *addr;
	size_t len;
};

static int register_buffer(void *arg)
{
	struct pin_arg *p = arg;
	struct iovec iov = { .iov_base = p->addr, .iov_len = p->len };
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret)
		return 1000 + ret;	/* set-up failed: not the answer */
	ret = io_uring_register_buffers(&ring, &iov, 1);
	io_uring_queue_exit(&ring);
	return ret;
}

/*
 * Runs @fn(@arg), a pin or GUP of the mapping, for at most 5 s: it
 * returns, works when the variant's memory pins (@pins), and otherwise
 * fails with EEXIST or EFAULT (with @any_error: with any error).
 */
static void expect_pin(struct __test_metadata *_metadata, int pins,
		       int (*fn)(void *), struct pin_arg *arg,
		       const char *what, bool any_error)
{
	int ret, res;

	ret = t_run_bounded(fn, arg, 5, &res);
	ASSERT_EQ(0, ret) {
		TH_LOG("%s did not return within 5 s", what);
	}
	if (pins) {
		EXPECT_EQ(0, res) {
			TH_LOG("%s: %s", what, res < 0 ? strerror(-res) :
			       "short or set-up failed");
		}
	} else if (any_error) {
		EXPECT_GT(0, res) {
			TH_LOG("%s: %s", what,
			       res ? "short or set-up failed" : "success");
		}
	} else {
		/* documented: EEXIST or EFAULT, and at once */
		EXPECT_TRUE(res == -EEXIST || res == -EFAULT) {
			TH_LOG("%s: %s", what, res < 0 ? strerror(-res) :
			       res ? "short or set-up failed" : "success");
		}
	}
}

TEST_F_TIMEOUT(pin, io_uring_register_buffers, 60)
{
	struct pin_arg arg = { self->map, variant->length };
	struct io_uring ring;
	int ret;

	ret = io_uring_queue_init(4, &ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "io_uring is not available: %s", strerror(-ret));
	ASSERT_EQ(0, ret);
	io_uring_queue_exit(&ring);

	expect_pin(_metadata, variant->pins, register_buffer, &arg,
		   "io_uring_register_buffers", false);
}

static int read_via_gup(void *arg)
{
	struct pin_arg *p = arg;
	struct iovec local, remote = { .iov_base = p->addr, .iov_len = p->len };
	ssize_t n;

	local.iov_base = malloc(p->len);
	local.iov_len = p->len;
	if (!local.iov_base)
		return 1000;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return n == (ssize_t)p->len ? 0 : 1001;
}

TEST_F_TIMEOUT(pin, gup_by_process_vm_readv, 60)
{
	struct pin_arg arg = { self->map, variant->length };

	expect_pin(_metadata, variant->pins, read_via_gup, &arg,
		   "process_vm_readv", false);
}

static int splice_from(void *arg)
{
	struct pin_arg *p = arg;
	struct iovec iov = { .iov_base = p->addr, .iov_len = T_PAGE };
	int pfd[2];
	ssize_t n;

	if (pipe(pfd))
		return 1000;
	n = vmsplice(pfd[1], &iov, 1, 0);
	if (n < 0)
		return -errno;
	return n == T_PAGE ? 0 : 1001;
}

/* vmsplice(2) takes page references of the user memory (GUP). */
TEST_F_TIMEOUT(pin, gup_by_vmsplice, 60)
{
	struct pin_arg arg = { self->map, variant->length };

	expect_pin(_metadata, variant->pins, splice_from, &arg, "vmsplice",
		   true);
}

TEST_F(pin, move_pages_sees_only_normal_pages)
{
	int status = -1000;
	void *addr = self->map;

	ASSERT_EQ(0, t_move_pages(1, &addr, &status));
	if (variant->seen) {
		EXPECT_EQ(0, status);
	} else {
		/* No page move_pages can see (or move) there. */
		EXPECT_GT(0, status) {
			TH_LOG("move_pages reported node %d", status);
		}
	}
}

/* ---------------------------------------------------------------------- */

/*
 * Last (fixtures run in the order they are defined, plain TEST()s
 * first): if the refusal fails, the module is gone for what follows.
 */
FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

TEST_F(module, rmmod_is_refused_while_a_mapping_lives)
{
	int m = t_member_of_node(0), fd = t_open();
	__u64 offset;
	__u32 handle;
	char *map;
	long ret;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, m);
	test_cmd_alloc_on(fd, m, 0, 2 * M, &handle, &offset);
	map = t_map(fd, offset, 2 * M);
	ASSERT_NE(MAP_FAILED, map);
	close(fd);

	errno = 0;
	ret = syscall(SYS_delete_module, "scalepool", O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	EXPECT_EQ(0, access(T_MEMBERS, F_OK));
	t_fill(map, 2 * M, 7);
	EXPECT_EQ(-1, t_check(map, 2 * M, 7));
	EXPECT_EQ(0, munmap(map, 2 * M));
}

TEST_HARNESS_MAIN
