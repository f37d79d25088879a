/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest C tests, the one header a test includes.
 * This file: the device and its commands (ALLOC, FREE, INFO, EXPORT,
 * QUERY), in the style of the kernel's iommufd_utils.h.  By concern:
 *   pool_sysfs.h  sysfs and procfs files, members, NUMA nodes and the
 *                 ground truth the module does not compute (MemUsed)
 *   pool_pci.h    PCI devices, BARs, driver binding, dma-bufs and the
 *                 importer module (scalepool_import_test.ko)
 *   pool_mem.h    patterns, page frames, revocation readers, bounded runs
 * Helpers carry a t_ prefix (macros T_) so that no name means one thing
 * in kernel/ and another here.  Header-only; every function is static
 * inline so that a test may use any subset.  Needs _GNU_SOURCE (the
 * Makefile defines it).
 */
#ifndef _POOL_TEST_H_
#define _POOL_TEST_H_

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/scalepool.h>

#include "../kmod/scalepool_import_test.h"

/*
 * The harness's TEST_F wrapper keeps a pid across setjmp(); gcc's
 * -Wclobbered flags it in files with many fixtures.  Harmless there.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define T_DEV		"/dev/scalepool"
#define T_SYSFS	"/sys/kernel/scalepool"
#define T_MEMBERS	T_SYSFS "/members"
#define T_IMPORT_MODULE	"scalepool_import_test"
#define T_PCI_DEVICES	"/sys/bus/pci/devices"
#define T_IVSHMEM_VENDOR	0x1af4	/* ivshmem-plain: the test */
#define T_IVSHMEM_DEVICE	0x1110	/* topologies' PCI memory */
#define T_SP_DRIVER	"scalepool"	/* the module's PCI driver */
#define T_PAGE		4096ULL
#define T_KIB		1024ULL
#define T_MIB		(1024ULL * 1024)
#define T_HUGE		(2 * T_MIB)
#define T_MAX_IDS	256
#define T_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Tolerances of the MemUsed ground truth.  DRAM nodes carry the rest of
 * the system (page cache, slab, page tables): a few MiB of noise.  The
 * CXL node is idle: only the pool puts pages there.
 */
#define T_TOL_DRAM	(4 * T_MIB)
#define T_TOL_CXL	(256 * T_KIB)

#include "pool_sysfs.h"
#include "pool_pci.h"
#include "pool_mem.h"

/* ---- the device and its commands */

/* 1 MiB, the length most tests allocate. */
#define M		T_MIB

static inline int t_open(void)
{
	return open(T_DEV, O_RDWR | O_CLOEXEC);
}

/* Opens the device into *@fdp, or fails the test. */
#define test_open(fdp)							\
	do {								\
		*(fdp) = t_open();					\
		ASSERT_LE(0, *(fdp)) {					\
			TH_LOG("open " T_DEV ": %s", strerror(errno));	\
		}							\
	} while (0)

/* ioctl() returning 0 or -errno. */
static inline int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * The commands, as tools/testing/selftests/iommu/iommufd_utils.h has
 * them: _test_cmd_x() returns 0 or -errno, test_cmd_x() asserts that
 * the command succeeded, test_err_x(errno, ...) expects it to fail with
 * @errno (and goes on: a wrong answer leaves nothing to undo).  The
 * test_ forms need the harness's _metadata in scope.
 *
 * ALLOC takes a struct scalepool_alloc built at the call site with
 * designated initializers (.size = sizeof(a) first) and leaves the
 * handle and offset in it.
 */
/*
 * A struct scalepool_alloc with its size set and @... (designated
 * initializers) for the rest, for an assignment: a = T_ALLOC(.length = M,
 * .policy = SCALEPOOL_POLICY_BIND, ...).
 */
#define T_ALLOC(...)							\
	((struct scalepool_alloc){					\
		.size = sizeof(struct scalepool_alloc), __VA_ARGS__	\
	})

static inline int _test_cmd_alloc(int fd, struct scalepool_alloc *a)
{
	return t_ioctl(fd, SCALEPOOL_ALLOC, a);
}

#define test_cmd_alloc(fd, a)	ASSERT_EQ(0, _test_cmd_alloc(fd, a))
#define test_err_alloc(_errno, fd, a) \
	EXPECT_EQ(-(_errno), _test_cmd_alloc(fd, a))

/*
 * BIND to the one member @id for the calling CPU, the common case: 0
 * with @handle and @offset set (either may be NULL), or -errno.
 */
static inline int _test_cmd_alloc_on(int fd, __u32 id, __u32 flags,
				     __u64 length, __u32 *handle,
				     __u64 *offset)
{
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.length = length,
		.policy = SCALEPOOL_POLICY_BIND,
		.nr_members = 1,
		.members_ptr = (uintptr_t)&id,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
	int ret = _test_cmd_alloc(fd, &a);

	if (ret)
		return ret;
	if (handle)
		*handle = a.handle;
	if (offset)
		*offset = a.offset;
	return 0;
}

#define test_cmd_alloc_on(fd, id, flags, length, handle, offset) \
	ASSERT_EQ(0, _test_cmd_alloc_on(fd, id, flags, length, handle, offset))
#define test_err_alloc_on(_errno, fd, id, flags, length, handle, offset) \
	EXPECT_EQ(-(_errno),						\
		  _test_cmd_alloc_on(fd, id, flags, length, handle, offset))

static inline int _test_cmd_free(int fd, __u32 handle)
{
	struct scalepool_free f = { .size = sizeof(f), .handle = handle };

	return t_ioctl(fd, SCALEPOOL_FREE, &f);
}

#define test_cmd_free(fd, handle)	ASSERT_EQ(0, _test_cmd_free(fd, handle))
#define test_err_free(_errno, fd, handle) \
	EXPECT_EQ(-(_errno), _test_cmd_free(fd, handle))

/*
 * INFO into @info with room for @room placements at @pl; 0 or -errno.
 * @info->nr_placements says how many the allocation has.
 */
static inline int _test_cmd_info(int fd, __u32 handle,
				 struct scalepool_info *info,
				 struct scalepool_placement *pl, __u32 room)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	info->nr_placements = room;
	info->placements_ptr = (uintptr_t)pl;
	return t_ioctl(fd, SCALEPOOL_INFO, info);
}

#define test_cmd_info(fd, handle, info, pl, room) \
	ASSERT_EQ(0, _test_cmd_info(fd, handle, info, pl, room))
#define test_err_info(_errno, fd, handle, info, pl, room) \
	EXPECT_EQ(-(_errno), _test_cmd_info(fd, handle, info, pl, room))

/*
 * Where one allocation lands: ALLOC @a, INFO, FREE.  The member that
 * held all of it (-EMLINK when it spanned more than one), or -errno;
 * INFO's basis into @basis (may be NULL) when the ALLOC succeeded.
 */
static inline int t_alloc_where(int fd, struct scalepool_alloc *a,
				__u32 *basis)
{
	struct scalepool_placement pl[2];
	struct scalepool_info info;
	int ret = _test_cmd_alloc(fd, a);

	if (ret)
		return ret;
	ret = _test_cmd_info(fd, a->handle, &info, pl, 2);
	if (basis)
		*basis = ret ? SCALEPOOL_BASIS_NONE : info.basis;
	if (!ret)
		ret = info.nr_placements == 1 ? (int)pl[0].member : -EMLINK;
	_test_cmd_free(fd, a->handle);
	return ret;
}

/* INFO's bytes (and huge bytes) on member @id, -1 on error. */
static inline long long t_placed_on(int fd, __u32 handle, __u32 id,
				    long long *huge)
{
	struct scalepool_placement pl[8];
	struct scalepool_info info;
	__u32 i;

	if (huge)
		*huge = 0;
	if (_test_cmd_info(fd, handle, &info, pl, 8))
		return -1;
	for (i = 0; i < info.nr_placements && i < 8; i++)
		if (pl[i].member == id) {
			if (huge)
				*huge = pl[i].huge_bytes;
			return pl[i].bytes;
		}
	return 0;
}

/* mmap(MAP_SHARED) of @len bytes at @offset; MAP_FAILED on error. */
static inline void *t_map(int fd, __u64 offset, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)offset);
}

/* SCALEPOOL_EXPORT: the new fd, or -errno. */
static inline int _test_cmd_export(int fd, __u32 handle, __u32 flags)
{
	struct scalepool_export e = {
		.size = sizeof(e), .flags = flags, .handle = handle, .fd = -1,
	};
	int ret = t_ioctl(fd, SCALEPOOL_EXPORT, &e);

	return ret ? ret : e.fd;
}

/* EXPORT into *@dfdp, or fail the test. */
#define test_cmd_export(fd, handle, flags, dfdp)			\
	do {								\
		*(dfdp) = _test_cmd_export(fd, handle, flags);		\
		ASSERT_LE(0, *(dfdp));					\
	} while (0)
#define test_err_export(_errno, fd, handle, flags) \
	EXPECT_EQ(-(_errno), _test_cmd_export(fd, handle, flags))

/* The caps of SCALEPOOL_QUERY, 0 when the device does not answer. */
static inline __u64 t_query_caps(void)
{
	struct scalepool_query q = { .size = sizeof(q) };
	int fd = t_open();

	if (fd < 0)
		return 0;
	if (t_ioctl(fd, SCALEPOOL_QUERY, &q))
		q.caps = 0;
	close(fd);
	return q.caps;
}

#endif /* _POOL_TEST_H_ */
