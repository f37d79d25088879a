// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: allocations exported as dma-bufs (SCALEPOOL_EXPORT), dma-buf
 * fds passed between processes over unix sockets, and mappings of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/scalepool.h>

#include "private.h"

_Static_assert(POOL_EXPORT_CLOEXEC == SCALEPOOL_EXPORT_CLOEXEC, "flag");
_Static_assert(POOL_EXPORT_RDONLY == SCALEPOOL_EXPORT_RDONLY, "flag");

int pool_buf_export(struct pool_buf *buf, int flags)
{
	struct scalepool_export e = { .size = sizeof(e) };
	struct pool_ctx *ctx;

	if (!buf)
		return -EINVAL;
	ctx = buf->ctx;
	if (flags & ~(POOL_EXPORT_CLOEXEC | POOL_EXPORT_RDONLY))
		return -EINVAL;
	if (!(ctx->caps & SCALEPOOL_CAP_EXPORT)) {
		dbg(ctx, "the module cannot export (caps %#llx)\n", ctx->caps);
		return -EOPNOTSUPP;
	}
	e.flags = (unsigned int)flags;
	e.handle = buf->handle;
	if (ioctl(buf->fd, SCALEPOOL_EXPORT, &e) < 0) {
		int rc = -errno;

		dbg(ctx, "SCALEPOOL_EXPORT %u: %s\n", buf->handle,
		    strerror(-rc));
		return rc;
	}
	dbg(ctx, "handle %u: dma-buf fd %d\n", buf->handle, e.fd);
	return e.fd;
}

/*
 * One message carrying one fd: a single data byte (a stream socket
 * will not pass a control message alone) and control room for exactly
 * one fd.
 */
struct fd_msg {
	struct msghdr msg;
	struct iovec iov;
	char byte;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
};

static void fd_msg_init(struct fd_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->cmsg.buf;
	m->msg.msg_controllen = sizeof(m->cmsg.buf);
}

int pool_fd_send(int sock, int fd)
{
	struct fd_msg m;
	struct cmsghdr *c;
	ssize_t n;

	if (sock < 0 || fd < 0)
		return -EBADF;
	fd_msg_init(&m);
	m.byte = 'P';
	c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &m.msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EIO;
}

/* Closes every fd an unexpected control message brought. */
static void close_cmsg_fds(struct msghdr *msg)
{
	struct cmsghdr *c;
	size_t i, nr;
	int fd;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nr; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int pool_fd_recv(int sock)
{
	struct fd_msg m;
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	if (sock < 0)
		return -EBADF;
	fd_msg_init(&m);
	do {
		n = recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;	/* the peer closed without sending */
	c = CMSG_FIRSTHDR(&m.msg);
	if ((m.msg.msg_flags & MSG_CTRUNC) || !c ||
	    c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(&m.msg, c)) {
		close_cmsg_fds(&m.msg);
		return -EBADMSG;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

void *pool_dmabuf_map(int fd, size_t *size)
{
	int mode, prot;
	off_t end;
	void *addr;

	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	/* A dma-buf's size is where SEEK_END lands. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return NULL;
	if (end == 0 || (uint64_t)end > SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	mode = fcntl(fd, F_GETFL);
	if (mode < 0)
		return NULL;
	/* A read-only dma-buf refuses PROT_WRITE (EACCES). */
	prot = (mode & O_ACCMODE) == O_RDONLY ? PROT_READ :
						PROT_READ | PROT_WRITE;
	addr = mmap(NULL, (size_t)end, prot, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return NULL;
	*size = (size_t)end;
	return addr;
}
