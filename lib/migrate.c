// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: explicit migration (SCALEPOOL_MIGRATE) of an allocation of
 * this process, or of another process's through a duplicate of its
 * /dev/scalepool descriptor taken with pidfd_getfd(2).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>

#include <linux/scalepool.h>

#include "private.h"

int lp_migrate_request(struct pool_ctx *ctx, unsigned int handle,
		       size_t offset, size_t length,
		       const struct pool_alloc_opts *opts,
		       struct scalepool_migrate *req, unsigned int **ids)
{
	struct lp_place place;
	int rc;

	*ids = NULL;
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	rc = lp_place_request(ctx, opts, &place, ids);
	if (rc)
		return rc;
	/* Nothing of MIGRATE's says how pages are mapped or for a device. */
	if (LP_OPTS_GET(opts, flags, 0) ||
	    LP_OPTS_GET(opts, initiator_pci, NULL)) {
		free(*ids);
		*ids = NULL;
		return -EINVAL;
	}
	req->handle = handle;
	req->start = offset;
	req->length = length;
	LP_PLACE_SET(req, &place);
	return 0;
}

int pool_buf_migrate(struct pool_buf *buf, size_t offset, size_t length,
		     const struct pool_alloc_opts *opts,
		     unsigned long long *moved)
{
	struct scalepool_migrate req;
	struct pool_ctx *ctx;
	unsigned int *ids;
	int rc;

	if (!buf)
		return -EINVAL;
	ctx = buf->ctx;
	rc = lp_migrate_request(ctx, buf->handle, offset, length, opts, &req,
				&ids);
	if (rc)
		goto out;
	if (!(ctx->caps & SCALEPOOL_CAP_MIGRATE)) {
		dbg(ctx, "the module cannot migrate (caps %#llx)\n",
		    ctx->caps);
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (ioctl(buf->fd, SCALEPOOL_MIGRATE, &req) < 0) {
		rc = -errno;
		dbg(ctx, "SCALEPOOL_MIGRATE %u [%zu, +%zu), policy %u: %s\n",
		    buf->handle, offset, length, req.policy, strerror(-rc));
		goto out;
	}
	dbg(ctx, "handle %u: %llu bytes moved\n", buf->handle,
	    (unsigned long long)req.moved);
	if (moved)
		*moved = req.moved;
	/* The whole allocation takes the new policy. */
	if (!offset && (!length || length >= buf->size))
		buf->policy = (int)req.policy;
out:
	free(ids);
	return rc;
}

/*
 * The one /dev/scalepool fd of @pid: -ENOENT when it has none,
 * -ENOTUNIQ when it has several, -ESRCH when it is gone, -EPERM when
 * its fds are hidden from us.
 */
static int only_pool_fd(struct pool_ctx *ctx, int pid)
{
	size_t nr;
	int *fds, rc;

	rc = lp_process_pool_fds(ctx, pid, &fds, &nr);
	if (rc == -ENOENT)
		return -ESRCH;
	if (rc == -EACCES)
		return -EPERM;
	if (rc)
		return rc;
	rc = nr == 1 ? fds[0] : nr ? -ENOTUNIQ : -ENOENT;
	if (rc < 0)
		dbg(ctx, "pid %d has %zu fds on %s\n", pid, nr,
		    ctx->roots.dev);
	free(fds);
	return rc;
}

/*
 * A duplicate of @pid's @fd (pidfd_getfd(2)), checked to be the pool's
 * device; the fd or -errno (as pool_process_buf_open() says).
 */
static int borrow_fd(struct pool_ctx *ctx, int pid, int fd)
{
	struct stat dev, st;
	int pidfd, nfd, rc;

	pidfd = (int)pidfd_open(pid, 0);
	if (pidfd < 0) {
		rc = -errno;
		dbg(ctx, "pidfd_open %d: %s\n", pid, strerror(-rc));
		return rc;
	}
	if (fd < 0)
		fd = only_pool_fd(ctx, pid);
	if (fd < 0) {
		nfd = fd;
	} else {
		nfd = pidfd_getfd(pidfd, fd, 0);
		/* EBADF: no such fd in that process */
		if (nfd < 0)
			nfd = errno == EBADF ? -ENOENT : -errno;
	}
	close(pidfd);
	if (nfd < 0) {
		dbg(ctx, "fd %d of pid %d: %s\n", fd, pid, strerror(-nfd));
		return nfd;
	}
	if (stat(ctx->roots.dev, &dev) < 0 || fstat(nfd, &st) < 0 ||
	    !S_ISCHR(st.st_mode) || !S_ISCHR(dev.st_mode) ||
	    st.st_rdev != dev.st_rdev) {
		dbg(ctx, "fd %d of pid %d is not %s\n", fd, pid,
		    ctx->roots.dev);
		close(nfd);
		return -EINVAL;
	}
	return nfd;
}

int pool_process_buf_open(struct pool_ctx *ctx, int pid, int fd,
			  unsigned int handle, struct pool_buf **bufp)
{
	struct scalepool_info info = { .size = sizeof(info) };
	struct pool_buf *buf;
	int nfd, rc;

	if (!ctx || !bufp || pid <= 0 || fd < -1)
		return -EINVAL;
	nfd = borrow_fd(ctx, pid, fd);
	if (nfd < 0)
		return nfd;
	info.handle = handle;
	if (ioctl(nfd, SCALEPOOL_INFO, &info) < 0) {
		rc = -errno;
		dbg(ctx, "SCALEPOOL_INFO %u of pid %d: %s\n", handle, pid,
		    strerror(-rc));
		goto err;
	}
	buf = calloc(1, sizeof(*buf));
	if (!buf) {
		rc = -ENOMEM;
		goto err;
	}
	buf->ctx = pool_ref(ctx);
	buf->fd = nfd;
	buf->borrowed = true;
	buf->size = info.length;
	buf->handle = handle;
	buf->policy = (int)info.policy;
	*bufp = buf;
	return 0;
err:
	close(nfd);
	return rc;
}

int pool_process_migrate(struct pool_ctx *ctx, int pid, int fd,
			 unsigned int handle, size_t offset, size_t length,
			 const struct pool_alloc_opts *opts,
			 unsigned long long *moved)
{
	struct pool_buf *buf = NULL;
	int rc;

	rc = pool_process_buf_open(ctx, pid, fd, handle, &buf);
	if (rc)
		return rc;
	rc = pool_buf_migrate(buf, offset, length, opts, moved);
	pool_buf_free(buf);
	return rc;
}
