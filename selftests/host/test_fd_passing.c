// SPDX-License-Identifier: GPL-2.0
/*
 * libpool's descriptor passing (pool_fd_send(), pool_fd_recv()) over
 * unix socket pairs, and the argument checks of pool_buf_export() and
 * pool_dmabuf_map(), through the shared library: no module needed.
 * The dma-buf side is tested in the guest (selftests/guest/dmabuf.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kselftest_harness.h"

#include <libpool.h>

#include "../lib/fds.h"

FIXTURE(sock) {
	int sv[2];
};

FIXTURE_SETUP(sock)
{
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sv));
}

FIXTURE_TEARDOWN(sock)
{
	close(self->sv[0]);
	close(self->sv[1]);
}

/* The received descriptor is the same open file: a pipe's far end. */
TEST_F(sock, a_descriptor_arrives)
{
	int p[2], fd;
	char c = 0;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, pool_fd_send(self->sv[0], p[1]));
	fd = pool_fd_recv(self->sv[1]);
	ASSERT_LE(0, fd);
	EXPECT_NE(p[1], fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(1, write(fd, "z", 1));
	ASSERT_EQ(1, read(p[0], &c, 1));
	EXPECT_EQ('z', c);
	close(fd);
	close(p[0]);
	close(p[1]);
}

TEST_F(sock, data_without_a_descriptor_is_ebadmsg)
{
	ASSERT_EQ(1, write(self->sv[0], "x", 1));
	EXPECT_EQ(-EBADMSG, pool_fd_recv(self->sv[1]));
}

/* Two descriptors in one message: refused, and none of them leaks. */
TEST_F(sock, two_descriptors_are_ebadmsg_and_closed)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = "y", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fds[2] = { 0, 1 }, before;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	ASSERT_EQ(1, sendmsg(self->sv[0], &msg, 0));
	before = t_count_fds();
	EXPECT_EQ(-EBADMSG, pool_fd_recv(self->sv[1]));
	EXPECT_EQ(before, t_count_fds());
}

TEST_F(sock, a_closed_peer_is_econnreset_or_epipe)
{
	close(self->sv[0]);
	EXPECT_EQ(-ECONNRESET, pool_fd_recv(self->sv[1]));
	EXPECT_EQ(-EPIPE, pool_fd_send(self->sv[1], 0));
	self->sv[0] = -1;
}

TEST(bad_arguments)
{
	size_t size = 7;
	int fd;

	EXPECT_EQ(-EBADF, pool_fd_send(-1, 0));
	EXPECT_EQ(-EBADF, pool_fd_send(0, -1));
	EXPECT_EQ(-EBADF, pool_fd_recv(-1));
	EXPECT_EQ(-EINVAL, pool_buf_export(NULL, 0));

	errno = 0;
	EXPECT_EQ(NULL, pool_dmabuf_map(-1, &size));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(7, size);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(NULL, pool_dmabuf_map(fd, NULL));
	EXPECT_EQ(EINVAL, errno);
	/* A size of 0 is no dma-buf. */
	errno = 0;
	EXPECT_EQ(NULL, pool_dmabuf_map(fd, &size));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
