// SPDX-License-Identifier: GPL-2.0
/*
 * pool_process_buf_open() without the module: a context whose device is
 * /dev/null (a character device every host has) reaches a child's
 * descriptors through pidfd_getfd(2).  The errors a caller must tell
 * apart: no process (ESRCH), no such fd (ENOENT), an fd that is not the
 * device (EINVAL), no fd or several with fd -1 (ENOENT, ENOTUNIQ), no
 * right to take the fds (EPERM); an fd of the device gets as far as
 * SCALEPOOL_INFO, which /dev/null refuses (ENOTTY).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"

#include "private.h"

#define READY_FD	100

/*
 * A child holding exactly the files of @paths (NULL-terminated) at fds
 * 0, 1, ...; it waits to be killed.  Its pid, or -1.
 */
static pid_t holder(const char *const *paths)
{
	int p[2], i;
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (dup2(p[1], READY_FD) < 0)
			_exit(1);
		close_range(0, READY_FD - 1, 0);
		close_range(READY_FD + 1, ~0U, 0);
		for (i = 0; paths[i]; i++)
			if (open(paths[i], O_RDWR) != i)
				_exit(1);
		if (write(READY_FD, "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

FIXTURE(dev) {
	struct pool_ctx *ctx;
	struct pool_buf *buf;
	pid_t child;
};

FIXTURE_SETUP(dev)
{
	const struct lp_roots roots = { .dev = "/dev/null" };

	self->buf = (struct pool_buf *)0x1;
	self->child = -1;
	ASSERT_EQ(0, lp_ctx_alloc(&self->ctx, &roots));
	pool_set_log_priority(self->ctx, 0);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->child > 0)
		reap(self->child);
	lp_ctx_free(self->ctx);
}

/* pidfd_getfd() of our own child may still be forbidden (seccomp). */
#define NEED_GETFD(self, fd)						\
	do {								\
		int _rc = pool_process_buf_open((self)->ctx,		\
						(self)->child, (fd), 1,	\
						&(self)->buf);		\
		if (_rc == -EPERM)					\
			SKIP(return, "pidfd_getfd of a child: EPERM");	\
	} while (0)

TEST_F(dev, bad_arguments)
{
	EXPECT_EQ(-EINVAL, pool_process_buf_open(NULL, 1, 0, 1, &self->buf));
	EXPECT_EQ(-EINVAL, pool_process_buf_open(self->ctx, 1, 0, 1, NULL));
	EXPECT_EQ(-EINVAL, pool_process_buf_open(self->ctx, 0, 0, 1,
						 &self->buf));
	EXPECT_EQ(-EINVAL, pool_process_buf_open(self->ctx, -5, 0, 1,
						 &self->buf));
	EXPECT_EQ(-EINVAL, pool_process_buf_open(self->ctx, 1, -2, 1,
						 &self->buf));
	EXPECT_EQ(-EINVAL, pool_buf_migrate(NULL, 0, 0, NULL, NULL));
	EXPECT_EQ((struct pool_buf *)0x1, self->buf);
}

TEST_F(dev, no_such_process)
{
	static const char *const none[] = { NULL };
	pid_t pid = holder(none);

	ASSERT_LT(0, pid);
	reap(pid);
	EXPECT_EQ(-ESRCH, pool_process_buf_open(self->ctx, pid, 0, 1,
						&self->buf));
	EXPECT_EQ(-ESRCH, pool_process_buf_open(self->ctx, pid, -1, 1,
						&self->buf));
}

TEST_F(dev, fds_of_a_child)
{
	static const char *const files[] = { "/dev/zero", "/dev/null", NULL };

	self->child = holder(files);
	ASSERT_LT(0, self->child);
	NEED_GETFD(self, 1);
	/* Not open in the child. */
	EXPECT_EQ(-ENOENT, pool_process_buf_open(self->ctx, self->child, 7,
						 1, &self->buf));
	/* Open, but another device. */
	EXPECT_EQ(-EINVAL, pool_process_buf_open(self->ctx, self->child, 0,
						 1, &self->buf));
	/* The device: as far as INFO, which /dev/null does not know. */
	EXPECT_EQ(-ENOTTY, pool_process_buf_open(self->ctx, self->child, 1,
						 1, &self->buf));
	/* fd -1: its one fd on the device, found through /proc. */
	EXPECT_EQ(-ENOTTY, pool_process_buf_open(self->ctx, self->child, -1,
						 1, &self->buf));
	EXPECT_EQ((struct pool_buf *)0x1, self->buf);
}

TEST_F(dev, fd_minus_one_needs_exactly_one)
{
	static const char *const two[] = { "/dev/null", "/dev/null", NULL };
	static const char *const zero[] = { "/dev/zero", NULL };

	self->child = holder(two);
	ASSERT_LT(0, self->child);
	NEED_GETFD(self, 0);
	EXPECT_EQ(-ENOTUNIQ, pool_process_buf_open(self->ctx, self->child,
						   -1, 1, &self->buf));
	reap(self->child);
	self->child = holder(zero);
	ASSERT_LT(0, self->child);
	EXPECT_EQ(-ENOENT, pool_process_buf_open(self->ctx, self->child, -1,
						 1, &self->buf));
}

/* Another user (nobody) may not take root's fds: EPERM. */
TEST_F(dev, other_user_gets_eperm)
{
	static const char *const files[] = { "/dev/null", NULL };
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	self->child = holder(files);
	ASSERT_LT(0, self->child);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(pool_process_buf_open(self->ctx, self->child, 0, 1,
					    &self->buf) == -EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
