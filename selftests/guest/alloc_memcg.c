// SPDX-License-Identifier: GPL-2.0
/*
 * Pool memory is charged to the caller's memory cgroup: memory.current
 * grows by what ALLOC took and shrinks at FREE, and memory.max stops an
 * allocation with ENOMEM (not the OOM killer), leaving nothing charged.
 * Runs in the guest; mounts cgroup2 itself when nothing has.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define CG_ROOT	"/sys/fs/cgroup"
#define CG	CG_ROOT "/scalepool-test"

static long long cg_current(void)
{
	return t_read_ll(CG "/memory.current");
}

static int cg_enter(const char *max)
{
	char pid[32];

	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		return -errno;
	if (t_write_file(CG_ROOT "/cgroup.subtree_control", "+memory"))
		return -EOPNOTSUPP;
	if (mkdir(CG, 0755) && errno != EEXIST)
		return -errno;
	if (t_write_file(CG "/memory.max", max))
		return -EINVAL;
	snprintf(pid, sizeof(pid), "%d", getpid());
	return t_write_file(CG "/cgroup.procs", pid) ? -EIO : 0;
}

static void cg_leave(void)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", getpid());
	t_write_file(CG_ROOT "/cgroup.procs", pid);
	rmdir(CG);
}

FIXTURE(memcg) {
	int fd;
	int m0;
};

FIXTURE_SETUP(memcg)
{
	int ret = cg_enter("32M");

	if (ret)
		SKIP(return, "no memory cgroup here: %s", strerror(-ret));
	test_open(&self->fd);
	self->m0 = t_member_of_node(0);
	ASSERT_LE(0, self->m0);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->fd >= 0)
		close(self->fd);
	cg_leave();
}

TEST_F(memcg, alloc_is_charged_and_free_uncharges)
{
	long long before = cg_current();
	__u32 handle;

	ASSERT_LE(0, before);
	test_cmd_alloc_on(self->fd, self->m0, 0, 8 * M, &handle, NULL);
	/* The pool's 8 MiB, give or take the cgroup's own small change. */
	EXPECT_LE(before + (long long)(8 * M), cg_current());
	EXPECT_GT(before + (long long)(10 * M), cg_current());
	test_cmd_free(self->fd, handle);
	EXPECT_GT(before + (long long)(2 * M), cg_current());
}

TEST_F(memcg, memory_max_gives_enomem_and_no_oom_kill)
{
	long long before = cg_current();

	test_err_alloc_on(ENOMEM, self->fd, self->m0, 0, 64 * M, NULL, NULL);
	/* Nothing stays charged after the failure. */
	EXPECT_GT(before + (long long)(2 * M), cg_current());
	ASSERT_EQ(0, access(CG "/memory.events", R_OK));
	EXPECT_EQ(0, t_keyed_ll(CG "/memory.events", "oom_kill"));
}

TEST_HARNESS_MAIN
