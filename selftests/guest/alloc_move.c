// SPDX-License-Identifier: GPL-2.0
/*
 * Pages that move: draining a member (members/<id>/drain) and memory
 * offline of CXL blocks that hold pool pages, while a thread writes and
 * reads the memory.  Checks the data, INFO's placement, the members'
 * used and moved_* figures after each move, and the refusals: no room
 * (a limit, no other member allowed), a GUP pin (io_uring), a dma-buf
 * importer's DMA mapping (scalepool_import_test.ko).
 */
#include <sys/uio.h>

#include <liburing.h>

#include "pool_test.h"
#include "kselftest_harness.h"

static int drain(__u32 id)
{
	char path[128];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/drain", id);
	return t_write_file(path, "1");
}

static int alloc_preferred(int fd, __u32 first, __u32 second, __u32 flags,
			   size_t len, __u32 *handle, __u64 *offset)
{
	__u32 ids[2] = { first, second };
	struct scalepool_alloc a = T_ALLOC(.flags = flags, .length = len,
		.policy = SCALEPOOL_POLICY_PREFERRED, .nr_members = 2,
		.members_ptr = (uintptr_t)ids,
		.initiator = SCALEPOOL_INITIATOR_LOCAL);
	int ret = _test_cmd_alloc(fd, &a);

	*handle = a.handle;
	*offset = a.offset;
	return ret;
}

/* alloc_preferred(), mapped and filled with @seed's pattern. */
static char *map_preferred(int fd, __u32 first, __u32 second, __u32 flags,
			   size_t len, uint64_t seed, __u32 *handle)
{
	__u64 offset;
	char *map;

	if (alloc_preferred(fd, first, second, flags, len, handle, &offset))
		return MAP_FAILED;
	map = t_map(fd, offset, len);
	if (map != MAP_FAILED)
		t_fill(map, len, seed);
	return map;
}

/* ---------------------------------------------------------------------- */

/* Drain a DRAM member: every page moves to the other node's member. */
FIXTURE(drain) {
	int fd;
	__u32 m0, m1;
	long long limit1;
};

FIXTURE_VARIANT(drain) {
	__u32 flags;
	size_t len;
	int huge;	/* moved as 2 MiB pages */
};

FIXTURE_VARIANT_ADD(drain, pages_4k) {
	.flags = SCALEPOOL_ALLOC_NO_HUGE, .len = 3 * M, .huge = 0,
};
FIXTURE_VARIANT_ADD(drain, pages_2m) {
	.flags = 0, .len = 4 * M, .huge = 1,
};

FIXTURE_SETUP(drain)
{
	int m0 = t_member_of_node(0), m1 = t_member_of_node(1);

	test_open(&self->fd);
	if (m0 < 0 || m1 < 0)
		SKIP(return, "needs DRAM members on nodes 0 and 1");
	self->m0 = m0;
	self->m1 = m1;
	self->limit1 = t_member_ll(m1, "limit");
}

FIXTURE_TEARDOWN(drain)
{
	if (self->m1 || self->m0)
		t_member_set_limit(self->m1, self->limit1);
	close(self->fd);
}

TEST_F(drain, moves_pages_in_use)
{
	size_t len = variant->len, half = len / 2;
	long long used0 = t_member_ll(self->m0, "used");
	long long used1 = t_member_ll(self->m1, "used");
	long long out0 = t_member_ll(self->m0, "moved_out");
	long long in1 = t_member_ll(self->m1, "moved_in");
	struct t_worker w;
	long long huge;
	__u64 offset;
	__u32 h;
	char *map;

	ASSERT_EQ(0, alloc_preferred(self->fd, self->m0, self->m1,
				     variant->flags, len, &h, &offset));
	ASSERT_EQ((long long)len, t_placed_on(self->fd, h, self->m0, NULL));
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map + half, half, 77);
	ASSERT_EQ(0, t_worker_start(&w, map, half));

	EXPECT_EQ(0, drain(self->m0));
	EXPECT_EQ(0, t_worker_stop(&w));
	EXPECT_LT(0, w.rounds);
	EXPECT_EQ(-1, t_check(map + half, half, 77));
	EXPECT_EQ(0, t_child_checks(map + half, half, 77));

	EXPECT_EQ(0, t_placed_on(self->fd, h, self->m0, NULL));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m1, &huge));
	EXPECT_EQ(variant->huge ? (long long)len : 0, huge);
	EXPECT_EQ(used0, t_member_ll(self->m0, "used"));
	EXPECT_EQ(used1 + (long long)len, t_member_ll(self->m1, "used"));
	EXPECT_EQ(out0 + (long long)len, t_member_ll(self->m0, "moved_out"));
	EXPECT_EQ(in1 + (long long)len, t_member_ll(self->m1, "moved_in"));
	EXPECT_EQ(1, t_pfn(map) != 0);

	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);
	EXPECT_EQ(used1, t_member_ll(self->m1, "used"));
}

/* No room: the other member's limit, or no other member in the set. */
TEST_F(drain, refused_without_room)
{
	size_t len = variant->len;
	long long used0 = t_member_ll(self->m0, "used");
	char why[160];
	__u32 h;
	char *map;

	map = map_preferred(self->fd, self->m0, self->m1, variant->flags,
			    len, 3, &h);
	ASSERT_NE(MAP_FAILED, map);

	ASSERT_EQ(0, t_member_set_limit(self->m1,
					t_member_ll(self->m1, "used") + 1));
	EXPECT_EQ(-ENOSPC, drain(self->m0));
	ASSERT_EQ(0, t_member_attr(self->m0, "refused", why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "no room")) {
		TH_LOG("refused: '%s'", why);
	}
	EXPECT_EQ(-1, t_check(map, len, 3));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m0, NULL));
	EXPECT_EQ(used0 + (long long)len, t_member_ll(self->m0, "used"));
	ASSERT_EQ(0, t_member_set_limit(self->m1, self->limit1));

	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);

	/* BIND to the drained member alone: nowhere to go. */
	test_cmd_alloc_on(self->fd, self->m0, variant->flags, len, &h, NULL);
	EXPECT_EQ(-ENOMEM, drain(self->m0));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m0, NULL));
	test_cmd_free(self->fd, h);
	EXPECT_EQ(used0, t_member_ll(self->m0, "used"));
}

/* A page pinned by GUP (an io_uring fixed buffer) does not move. */
TEST_F(drain, refused_while_pinned)
{
	size_t len = variant->len;
	struct io_uring ring;
	struct iovec iov;
	__u32 h;
	char *map;

	map = map_preferred(self->fd, self->m0, self->m1, variant->flags,
			    len, 9, &h);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	iov.iov_base = map;
	iov.iov_len = len;
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));

	EXPECT_EQ(-EBUSY, drain(self->m0));
	EXPECT_EQ(-1, t_check(map, len, 9));

	/* Unpinned, it moves. */
	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, drain(self->m0));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m1, NULL));
	EXPECT_EQ(-1, t_check(map, len, 9));
	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);
}

/*
 * A dma-buf importer holding a DMA mapping stops the move (EBUSY; the
 * kernel has no CONFIG_DMABUF_MOVE_NOTIFY to tell it); once it let go,
 * the pages move, and a new importer and a dma-buf mapping see the
 * same bytes as the allocation's own mapping.
 */
TEST_F(drain, refused_while_imported)
{
	size_t len = variant->len;
	char why[160];
	struct sp_import_check c;
	int dfd, ifd;
	char *map, *d;
	__u32 h;

	ASSERT_EQ(0, t_import_module_load());
	map = map_preferred(self->fd, self->m0, self->m1, variant->flags,
			    len, 23, &h);
	ASSERT_NE(MAP_FAILED, map);
	test_cmd_export(self->fd, h, 0, &dfd);
	d = t_dmabuf_map(dfd, len, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, len, 23));
	ifd = t_import_attach(dfd, 0);
	ASSERT_LE(0, ifd);

	EXPECT_EQ(-EBUSY, drain(self->m0));
	ASSERT_EQ(0, t_member_attr(self->m0, "refused", why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "dma-buf importer")) {
		TH_LOG("refused: '%s'", why);
	}
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m0, NULL));

	EXPECT_EQ(0, ioctl(ifd, SP_IMPORT_DETACH));
	close(ifd);
	EXPECT_EQ(0, drain(self->m0));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m1, NULL));
	EXPECT_EQ(-1, t_check(map, len, 23));
	EXPECT_EQ(-1, t_check(d, len, 23));
	ASSERT_EQ(0, t_import_check(dfd, 0, &c));
	EXPECT_EQ(t_fnv64(map, len), c.checksum);

	EXPECT_EQ(0, munmap(d, len));
	close(dfd);
	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);
	t_import_module_unload();
}

/* Unprivileged writes and bad input. */
TEST_F(drain, bad_writes)
{
	char path[128];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), T_MEMBERS "/%u/drain", self->m0);
	EXPECT_EQ(-EINVAL, t_write_file(path, "0"));
	EXPECT_EQ(-EINVAL, t_write_file(path, "maybe"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ret;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		ret = t_write_file(path, "1");
		_exit(ret == -EACCES || ret == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* ---------------------------------------------------------------------- */

/*
 * Memory offline of CXL blocks that hold pool pages: the pool moves
 * them (to the member's other memory, or to DRAM when the CXL member
 * has no room left) and the offline succeeds, while a thread writes.
 */
#define MAX_BLOCKS	16

FIXTURE(evacuate) {
	int fd;
	int node;
	__u32 cxl, m0;
	long long limit;
	unsigned long block_size;
	int nr_blocks;
	long blocks[MAX_BLOCKS];
	int offlined[MAX_BLOCKS];
};

FIXTURE_SETUP(evacuate)
{
	int m;

	self->nr_blocks = 0;
	test_open(&self->fd);
	self->node = t_cxl_node();
	if (self->node < 0)
		SKIP(return, "no CXL node online");
	m = t_member_of_node(self->node);
	ASSERT_LE(0, m);
	self->cxl = m;
	m = t_member_of_node(0);
	ASSERT_LE(0, m);
	self->m0 = m;
	self->limit = t_member_ll(self->cxl, "limit");
	self->block_size = t_block_size();
	if (!self->block_size)
		SKIP(return, "no memory hotplug in sysfs");
}

FIXTURE_TEARDOWN(evacuate)
{
	EXPECT_EQ(0, t_blocks_online(self->blocks, self->offlined,
				     self->nr_blocks));
	if (self->node >= 0)
		t_member_set_limit(self->cxl, self->limit);
	close(self->fd);
}

/* The memory blocks of the pages at @map (mapped 4 KiB: special PTEs). */
static int find_blocks(FIXTURE_DATA(evacuate) *self, char *map, size_t len)
{
	size_t off;
	int i;

	self->nr_blocks = 0;
	for (off = 0; off < len; off += T_PAGE) {
		uint64_t pfn = t_pfn(map + off);
		long block;

		if (!pfn)
			return -1;
		block = pfn * T_PAGE / self->block_size;
		for (i = 0; i < self->nr_blocks; i++)
			if (self->blocks[i] == block)
				break;
		if (i == self->nr_blocks && i < MAX_BLOCKS) {
			self->blocks[i] = block;
			self->offlined[i] = 0;
			self->nr_blocks++;
		}
	}
	return self->nr_blocks;
}

/* Offline every block of @map; 0 when each went offline in time. */
static int offline_all(struct __test_metadata *_metadata,
		       FIXTURE_DATA(evacuate) *self, char *map, size_t len)
{
	int i, ret, bad = 0;

	if (find_blocks(self, map, len) <= 0)
		return -1;
	for (i = 0; i < self->nr_blocks; i++) {
		ret = t_block_set(self->blocks[i], "offline", 120);
		EXPECT_EQ(0, ret) {
			TH_LOG("offline of memory%ld: %s", self->blocks[i],
			       ret > 0 ? strerror(ret) : "timeout");
		}
		if (!ret)
			self->offlined[i] = 1;
		bad |= ret;
	}
	return bad;
}

/* No room on the CXL member: the pages go to DRAM, as PREFERRED allows. */
TEST_F_TIMEOUT(evacuate, to_dram_while_in_use, 300)
{
	const size_t len = 2 * M, busy = 256 * T_KIB;
	long long used_cxl = t_member_ll(self->cxl, "used");
	long long used0 = t_member_ll(self->m0, "used");
	struct t_worker w;
	__u64 offset;
	__u32 h;
	char *map;

	ASSERT_EQ(0, alloc_preferred(self->fd, self->cxl, self->m0, 0, len,
				     &h, &offset));
	ASSERT_EQ((long long)len, t_placed_on(self->fd, h, self->cxl, NULL));
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	/* Every page mapped, for the page frames of find_blocks(). */
	t_fill(map, busy, 40);
	t_fill(map + busy, len - busy, 41);
	/* The CXL member is full: its other blocks cannot take the pages. */
	ASSERT_EQ(0, t_member_set_limit(self->cxl, used_cxl + len));
	ASSERT_EQ(0, t_worker_start(&w, map, busy));

	EXPECT_EQ(0, offline_all(_metadata, self, map, len));
	EXPECT_EQ(0, t_worker_stop(&w));
	EXPECT_EQ(-1, t_check(map + busy, len - busy, 41));
	EXPECT_EQ(0, t_child_checks(map + busy, len - busy, 41));
	EXPECT_EQ(0, t_placed_on(self->fd, h, self->cxl, NULL));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->m0, NULL));
	EXPECT_EQ(used_cxl, t_member_ll(self->cxl, "used"));
	EXPECT_EQ(used0 + (long long)len, t_member_ll(self->m0, "used"));

	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);
	EXPECT_EQ(used0, t_member_ll(self->m0, "used"));
}

/* BIND to the CXL member: its pages move to its other memory. */
TEST_F_TIMEOUT(evacuate, within_the_member, 300)
{
	const size_t len = M;
	long long used_cxl = t_member_ll(self->cxl, "used");
	uint64_t before, after;
	__u64 offset;
	__u32 h;
	char *map;

	test_cmd_alloc_on(self->fd, self->cxl, SCALEPOOL_ALLOC_NO_HUGE, len,
			  &h, &offset);
	map = t_map(self->fd, offset, len);
	ASSERT_NE(MAP_FAILED, map);
	t_fill(map, len, 17);
	before = t_pfn(map);

	EXPECT_EQ(0, offline_all(_metadata, self, map, len));
	EXPECT_EQ(-1, t_check(map, len, 17));
	after = t_pfn(map);
	EXPECT_NE(before, after);
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->cxl, NULL));
	EXPECT_EQ(used_cxl + (long long)len, t_member_ll(self->cxl, "used"));

	EXPECT_EQ(0, munmap(map, len));
	test_cmd_free(self->fd, h);
	EXPECT_EQ(used_cxl, t_member_ll(self->cxl, "used"));
}

TEST_HARNESS_MAIN
