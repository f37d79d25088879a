// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit process uses /dev/scalepool through compat_ioctl: built with
 * -m32 (selftests/selftests.mk), run in the guest on a 64-bit kernel
 * with IA32 emulation.  The structs have one layout for both, user
 * pointers in them are 32-bit addresses in a __u64, and mmap offsets lie
 * below 2^44, where mmap2's 32-bit page offset reaches them: a handle
 * other than the first maps, and so does an offset above 4 GiB.
 * Standalone (no libnuma, no libpool: neither is built for 32-bit).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/scalepool.h>

#include "kselftest_harness.h"

static_assert(sizeof(long) == 4, "compat32 must be built with -m32");
static_assert(sizeof(off_t) == 8, "compat32 needs _FILE_OFFSET_BITS=64");

#define PAGE	4096ULL
#define MIB	(1024ULL * 1024)

static int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* NEAREST to the calling CPU over every node member. */
static int alloc_near(int fd, __u64 length, __u32 *handle, __u64 *offset)
{
	struct scalepool_alloc a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.length = length;
	a.policy = SCALEPOOL_POLICY_NEAREST;
	a.initiator = SCALEPOOL_INITIATOR_LOCAL;
	ret = t_ioctl(fd, SCALEPOOL_ALLOC, &a);
	if (!ret) {
		*handle = a.handle;
		*offset = a.offset;
	}
	return ret;
}

static int free_handle(int fd, __u32 handle)
{
	struct scalepool_free f = { .size = sizeof(f), .handle = handle };

	return t_ioctl(fd, SCALEPOOL_FREE, &f);
}

static void *map(int fd, __u64 offset, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)offset);
}

FIXTURE(compat) {
	int fd;
};

FIXTURE_SETUP(compat)
{
	self->fd = open("/dev/scalepool", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) {
		TH_LOG("open /dev/scalepool: %s", strerror(errno));
	}
}

FIXTURE_TEARDOWN(compat)
{
	close(self->fd);
}

TEST_F(compat, query)
{
	struct scalepool_query q = { .size = sizeof(q) };

	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_QUERY, &q));
	EXPECT_EQ(SCALEPOOL_ABI_VERSION, q.abi_version);
	EXPECT_TRUE(q.caps & SCALEPOOL_CAP_ALLOC);
}

/*
 * Several allocations; the fourth (not the first handle, not the first
 * offset) maps, whole and in part, and INFO (a 32-bit placements
 * pointer) and EXPORT work on it.
 */
TEST_F(compat, non_first_handle_maps)
{
	static const __u64 len[] = { PAGE, 2 * MIB, 3 * PAGE, 4 * MIB };
	struct scalepool_placement pl[4];
	struct scalepool_export e;
	struct scalepool_info info;
	__u64 off[4];
	__u32 h[4];
	unsigned char *p, *part, *d;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, alloc_near(self->fd, len[i], &h[i], &off[i]));
	}
	EXPECT_NE(h[0], h[3]);
	EXPECT_NE(off[0], off[3]);

	p = map(self->fd, off[3], len[3]);
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap of handle %u at %#llx: %s", h[3],
		       (unsigned long long)off[3], strerror(errno));
	}
	for (i = 0; i < len[3]; i += PAGE)
		p[i] = (unsigned char)(i / PAGE + 1);
	part = map(self->fd, off[3] + MIB, MIB);
	ASSERT_NE(MAP_FAILED, part);
	EXPECT_EQ((unsigned char)(MIB / PAGE + 1), part[0]);
	EXPECT_EQ((unsigned char)(2 * MIB / PAGE), part[MIB - PAGE]);
	munmap(part, MIB);

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.handle = h[3];
	info.nr_placements = 4;
	info.placements_ptr = (uintptr_t)pl;
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_INFO, &info));
	EXPECT_EQ(len[3], info.length);
	EXPECT_EQ(off[3], info.offset);
	ASSERT_LE(1, info.nr_placements);
	EXPECT_EQ(len[3], pl[0].bytes);

	memset(&e, 0, sizeof(e));
	e.size = sizeof(e);
	e.handle = h[3];
	e.flags = SCALEPOOL_EXPORT_CLOEXEC;
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_EXPORT, &e));
	d = mmap(NULL, len[3], PROT_READ, MAP_SHARED, e.fd, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(0, memcmp(p, d, len[3]));
	munmap(d, len[3]);
	close(e.fd);
	munmap(p, len[3]);

	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, free_handle(self->fd, h[i]));
	/* Stale handle and offset from a 32-bit process too. */
	EXPECT_EQ(-ENOENT, free_handle(self->fd, h[3]));
	errno = 0;
	EXPECT_EQ(MAP_FAILED, map(self->fd, off[3], PAGE));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Many handles: the twentieth allocation maps too (with offsets made of
 * the handle, mmap2 reached handles 1 to 15 only).
 */
TEST_F(compat, twentieth_handle_maps)
{
	__u64 off[20];
	__u32 h[20];
	unsigned char *p;
	unsigned int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, alloc_near(self->fd, PAGE, &h[i], &off[i]));
	}
	p = map(self->fd, off[19], PAGE);
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap of handle %u at %#llx: %s", h[19],
		       (unsigned long long)off[19], strerror(errno));
	}
	p[0] = 0x33;
	EXPECT_EQ(0x33, p[0]);
	munmap(p, PAGE);
	for (i = 0; i < 20; i++)
		EXPECT_EQ(0, free_handle(self->fd, h[i]));
}

/*
 * The offset space wraps only at 2^44, so offsets climb as allocations
 * come and go; one above 4 GiB (beyond a 32-bit off_t of old-style
 * mmap, within mmap2's reach) maps and holds data.
 */
TEST_F_TIMEOUT(compat, offset_above_4g_maps, 600)
{
	const __u64 big = 256 * MIB;
	__u64 off = 0;
	unsigned char *p;
	unsigned int i;
	__u32 h;

	for (i = 0; i < 20 && off < (1ULL << 32); i++) {
		ASSERT_EQ(0, alloc_near(self->fd, big, &h, &off));
		ASSERT_EQ(0, free_handle(self->fd, h));
	}
	ASSERT_EQ(0, alloc_near(self->fd, 2 * MIB, &h, &off));
	EXPECT_LT(1ULL << 32, off);
	EXPECT_GT(1ULL << 44, off);
	p = map(self->fd, off, 2 * MIB);
	ASSERT_NE(MAP_FAILED, p) {
		TH_LOG("mmap at %#llx: %s", (unsigned long long)off,
		       strerror(errno));
	}
	p[0] = 0x11;
	p[2 * MIB - 1] = 0x22;
	EXPECT_EQ(0x11, p[0]);
	EXPECT_EQ(0x22, p[2 * MIB - 1]);
	munmap(p, 2 * MIB);
	EXPECT_EQ(0, free_handle(self->fd, h));
}

TEST_HARNESS_MAIN
