// SPDX-License-Identifier: GPL-2.0
/*
 * Defects the fuzzer (selftests/fuzz/) found, each as the deterministic
 * sequence its seed led to.  Runs in the guest with scalepool.ko loaded.
 */
#include "pool_test.h"
#include "kselftest_harness.h"

/*
 * Seed 1 (fuzz --seed 1 --iterations 3000, debug kernel): FREE with its
 * struct in read-only memory freed the handle, then failed to write the
 * struct back and returned EFAULT, so the caller was told the handle
 * lives when it was gone.  FREE has no output: the struct is only read,
 * the call succeeds and the handle is gone.
 */
TEST(free_struct_read_only)
{
	struct t_used used;
	struct scalepool_free *fr;
	struct scalepool_info info;
	__u32 handle;
	int fd, id;

	id = t_member_of_node(0);
	ASSERT_LE(0, id);
	t_used_snapshot(&used);
	test_open(&fd);
	test_cmd_alloc_on(fd, id, 0, 4 * T_PAGE, &handle, NULL);
	fr = mmap(NULL, T_PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fr);
	fr->size = sizeof(*fr);
	fr->handle = handle;
	ASSERT_EQ(0, mprotect(fr, T_PAGE, PROT_READ));
	EXPECT_EQ(0, t_ioctl(fd, SCALEPOOL_FREE, fr));
	test_err_info(ENOENT, fd, handle, &info, NULL, 0);
	/* An error must still leave the handle alone. */
	test_cmd_alloc_on(fd, id, 0, 4 * T_PAGE, &handle, NULL);
	ASSERT_EQ(0, mprotect(fr, T_PAGE, PROT_READ | PROT_WRITE));
	fr->handle = handle;
	fr->__reserved = 1;
	ASSERT_EQ(0, mprotect(fr, T_PAGE, PROT_READ));
	EXPECT_EQ(-EINVAL, t_ioctl(fd, SCALEPOOL_FREE, fr));
	test_cmd_info(fd, handle, &info, NULL, 0);
	test_cmd_free(fd, handle);
	munmap(fr, T_PAGE);
	close(fd);
	EXPECT_EQ(-1, t_used_settle(&used, 5));
}

TEST_HARNESS_MAIN
