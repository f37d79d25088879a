// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: what placed an allocation and what happened to it since
 * (SCALEPOOL_INFO @basis and @state).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/scalepool.h>

#include "private.h"

static const char *const basis_names[] = {
	[POOL_BASIS_NONE] = "none",
	[POOL_BASIS_DISTANCE] = "distance",
	[POOL_BASIS_FIRMWARE] = "firmware",
	[POOL_BASIS_MEASURED] = "measured",
};

_Static_assert(POOL_BASIS_NONE == SCALEPOOL_BASIS_NONE &&
	       POOL_BASIS_DISTANCE == SCALEPOOL_BASIS_DISTANCE &&
	       POOL_BASIS_FIRMWARE == SCALEPOOL_BASIS_FIRMWARE &&
	       POOL_BASIS_MEASURED == SCALEPOOL_BASIS_MEASURED,
	       "POOL_BASIS_* are the module's SCALEPOOL_BASIS_*");

const char *pool_basis_name(int basis)
{
	if (basis < 0 || (size_t)basis >= ARRAY_SIZE(basis_names))
		return NULL;
	return basis_names[basis];
}


/* SCALEPOOL_INFO of @buf, without placements, into @info; 0 or -errno. */
static int lp_buf_info(struct pool_buf *buf, struct scalepool_info *info)
{
	int rc;

	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = buf->handle;
	if (ioctl(buf->fd, SCALEPOOL_INFO, info) < 0) {
		rc = -errno;
		dbg(buf->ctx, "SCALEPOOL_INFO %u: %s\n", buf->handle,
		    strerror(-rc));
		return rc;
	}
	return 0;
}

int pool_buf_get_basis(struct pool_buf *buf)
{
	struct scalepool_info info;
	int rc;

	if (!buf)
		return -EINVAL;
	/* Older modules leave @basis as passed: they do not report it. */
	if (!(buf->ctx->caps & SCALEPOOL_CAP_MEASURED))
		return -EOPNOTSUPP;
	rc = lp_buf_info(buf, &info);
	if (rc)
		return rc;
	if (!pool_basis_name((int)info.basis)) {
		err(buf->ctx, "SCALEPOOL_INFO %u: unknown basis %u\n",
		    buf->handle, info.basis);
		return -EPROTO;
	}
	return (int)info.basis;
}

int pool_buf_get_state(struct pool_buf *buf)
{
	struct scalepool_info info;
	int rc;

	if (!buf)
		return -EINVAL;
	rc = lp_buf_info(buf, &info);
	if (rc)
		return rc;
	/* Bits this library does not know yet are passed on as they are. */
	return (int)(info.state & INT_MAX);
}
