// SPDX-License-Identifier: GPL-2.0
/*
 * The size contract of SCALEPOOL_QUERY and the ioctl dispatch rules of
 * /dev/scalepool (kernel/uapi/linux/scalepool.h, "DOC: scalepool ioctl
 * rules").  Runs in the guest with scalepool.ko loaded.
 */
#include <dirent.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define QUERY_MIN_SIZE	(offsetof(struct scalepool_query, caps) + \
			 sizeof(__u64))

/* A query struct followed by room for a "newer" user space's tail. */
struct query_big {
	struct scalepool_query q;
	__u64 tail[4];
};

FIXTURE(query) {
	int fd;
};

FIXTURE_SETUP(query)
{
	test_open(&self->fd);
}

FIXTURE_TEARDOWN(query)
{
	close(self->fd);
}

TEST_F(query, reports_version_caps_and_members)
{
	struct scalepool_query q = { .size = sizeof(q) };

	ASSERT_EQ(0, ioctl(self->fd, SCALEPOOL_QUERY, &q));
	EXPECT_EQ(SCALEPOOL_ABI_VERSION, q.abi_version);
	EXPECT_EQ(sizeof(q), q.size);
	EXPECT_EQ(0, q.flags);
	EXPECT_TRUE(q.caps & SCALEPOOL_CAP_NODE_MEMBERS);
	EXPECT_TRUE(q.caps & SCALEPOOL_CAP_MEMORY_HOTPLUG);
	EXPECT_TRUE(q.caps & SCALEPOOL_CAP_EXPORT);
	EXPECT_EQ(t_dir_entries(T_MEMBERS), (int)q.nr_members);
	EXPECT_LT(0, q.nr_members);
}

TEST_F(query, short_struct_is_einval)
{
	struct scalepool_query q;
	__u32 size;

	for (size = 0; size < QUERY_MIN_SIZE; size += 4) {
		memset(&q, 0, sizeof(q));
		q.size = size;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, &q));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("size %u", size);
		}
		/* Nothing may be written back on failure. */
		EXPECT_EQ(0, q.abi_version);
	}
}

TEST_F(query, longer_struct_with_zero_tail_works)
{
	struct query_big big;

	memset(&big, 0, sizeof(big));
	big.q.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, SCALEPOOL_QUERY, &big));
	EXPECT_EQ(SCALEPOOL_ABI_VERSION, big.q.abi_version);
	/* The kernel writes back only what it knows. */
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[3]);
}

TEST_F(query, longer_struct_with_nonzero_tail_is_e2big)
{
	struct query_big big;
	int i;

	for (i = 0; i < 4; i++) {
		memset(&big, 0, sizeof(big));
		big.q.size = sizeof(big);
		big.tail[i] = 1ULL << (i * 16);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, &big));
		EXPECT_EQ(E2BIG, errno);
		EXPECT_EQ(0, big.q.abi_version);
	}
}

TEST_F(query, unknown_flags_are_eopnotsupp)
{
	struct scalepool_query q;
	int bit;

	for (bit = 0; bit < 32; bit++) {
		memset(&q, 0, sizeof(q));
		q.size = sizeof(q);
		q.flags = 1U << bit;
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, &q));
		EXPECT_EQ(EOPNOTSUPP, errno) {
			TH_LOG("flag bit %d", bit);
		}
	}
}

TEST_F(query, unknown_commands_are_enotty)
{
	struct query_big big = { .q.size = sizeof(big.q) };
	unsigned long bad[] = {
		_IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_BASE - 1),
		_IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_BASE + 0x7f),
		_IO(SCALEPOOL_TYPE + 1, SCALEPOOL_CMD_QUERY),
		_IOWR(SCALEPOOL_TYPE, SCALEPOOL_CMD_QUERY,
		      struct scalepool_query),
		_IO(SCALEPOOL_TYPE, 0),
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, bad[i], &big));
		EXPECT_EQ(ENOTTY, errno) {
			TH_LOG("cmd %#lx", bad[i]);
		}
	}
}

TEST_F(query, bad_pointers_are_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct scalepool_query *q;
	char *map;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* A size that reaches past the end of readable memory. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	q = (void *)(map + page - sizeof(*q));
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q) + 8;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, q));
	EXPECT_EQ(EFAULT, errno);

	/* A struct the kernel can read but not write back. */
	q->size = sizeof(*q);
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SCALEPOOL_QUERY, q));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, 2 * page);
}

/*
 * ABI version 2's layouts, field by field: no implicit padding anywhere
 * (so 32-bit and 64-bit programs agree, and compat_ioctl needs no
 * translation), no leftover reserved fields in ALLOC and INFO, and the
 * version in QUERY and sysfs is 2.
 */
#define AT(type, field, off)	static_assert(offsetof(type, field) == (off), \
					      #type "." #field)
AT(struct scalepool_query, abi_version, 8);
AT(struct scalepool_query, caps, 16);
static_assert(sizeof(struct scalepool_query) == 24, "query");
AT(struct scalepool_alloc, length, 8);
AT(struct scalepool_alloc, policy, 16);
AT(struct scalepool_alloc, nr_members, 20);
AT(struct scalepool_alloc, members_ptr, 24);
AT(struct scalepool_alloc, weights_ptr, 32);
AT(struct scalepool_alloc, granularity, 40);
AT(struct scalepool_alloc, initiator, 48);
AT(struct scalepool_alloc, initiator_pci_domain, 52);
AT(struct scalepool_alloc, initiator_pci_bdf, 56);
AT(struct scalepool_alloc, handle, 60);
AT(struct scalepool_alloc, offset, 64);
static_assert(sizeof(struct scalepool_alloc) == 72, "alloc");
AT(struct scalepool_free, handle, 8);
static_assert(sizeof(struct scalepool_free) == 16, "free");
AT(struct scalepool_info, handle, 8);
AT(struct scalepool_info, policy, 12);
AT(struct scalepool_info, length, 16);
AT(struct scalepool_info, offset, 24);
AT(struct scalepool_info, alloc_flags, 32);
AT(struct scalepool_info, nr_placements, 36);
AT(struct scalepool_info, placements_ptr, 40);
AT(struct scalepool_info, basis, 48);
AT(struct scalepool_info, state, 52);
static_assert(sizeof(struct scalepool_info) == 56, "info");
AT(struct scalepool_placement, bytes, 8);
static_assert(sizeof(struct scalepool_placement) == 24, "placement");
AT(struct scalepool_export, fd, 12);
static_assert(sizeof(struct scalepool_export) == 16, "export");

TEST(abi_version_is_2)
{
	struct scalepool_query q = { .size = sizeof(q) };
	char buf[16] = "";
	int fd = open("/dev/scalepool", O_RDONLY | O_CLOEXEC), sfd;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SCALEPOOL_QUERY, &q));
	EXPECT_EQ(2, SCALEPOOL_ABI_VERSION);
	EXPECT_EQ(2, q.abi_version);
	close(fd);
	sfd = open("/sys/kernel/scalepool/abi_version", O_RDONLY);
	ASSERT_LE(0, sfd);
	EXPECT_LT(0, read(sfd, buf, sizeof(buf) - 1));
	close(sfd);
	EXPECT_STREQ("2\n", buf);
}

TEST(device_node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/scalepool", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST(unprivileged_open_is_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open("/dev/scalepool", O_RDWR) < 0 && errno == EACCES ?
		      0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
