// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: allocations (SCALEPOOL_ALLOC, FREE, INFO and mmap), their
 * options and placement policies.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <numa.h>
#include <linux/scalepool.h>

#include "private.h"

/* The library's names are the UAPI's values. */
_Static_assert(POOL_POLICY_BIND == SCALEPOOL_POLICY_BIND, "policy");
_Static_assert(POOL_POLICY_PREFERRED == SCALEPOOL_POLICY_PREFERRED, "policy");
_Static_assert(POOL_POLICY_INTERLEAVE == SCALEPOOL_POLICY_INTERLEAVE,
	       "policy");
_Static_assert(POOL_POLICY_NEAREST == SCALEPOOL_POLICY_NEAREST, "policy");
_Static_assert(POOL_POLICY_TIERED == SCALEPOOL_POLICY_TIERED, "policy");
_Static_assert(POOL_ALLOC_POPULATE == SCALEPOOL_ALLOC_POPULATE, "flag");
_Static_assert(POOL_ALLOC_NO_HUGE == SCALEPOOL_ALLOC_NO_HUGE, "flag");
_Static_assert(POOL_INITIATOR_LOCAL == SCALEPOOL_INITIATOR_LOCAL,
	       "initiator");

static const char *const policy_names[] = {
	[POOL_POLICY_BIND] = "bind",
	[POOL_POLICY_PREFERRED] = "preferred",
	[POOL_POLICY_INTERLEAVE] = "interleave",
	[POOL_POLICY_NEAREST] = "nearest",
	[POOL_POLICY_TIERED] = "tiered",
};

const char *pool_policy_name(int policy)
{
	return lp_name_of(policy_names, ARRAY_SIZE(policy_names), policy);
}

int pool_policy_from_name(const char *name)
{
	return lp_name_index(policy_names, ARRAY_SIZE(policy_names), name);
}

int lp_opts_check(const void *opts, size_t sz, size_t known)
{
	const unsigned char *p = opts;
	size_t i;

	if (sz < sizeof(size_t))
		return -EINVAL;
	for (i = known; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

int lp_nodes_to_members(struct pool_ctx *ctx, struct bitmask *nodes,
			unsigned int **idsp, unsigned int *nrp)
{
	unsigned int *ids, nr = 0, want = numa_bitmask_weight(nodes);
	struct pool_member *m;
	unsigned long node;

	if (!want) {
		dbg(ctx, "empty node list\n");
		return -EINVAL;
	}
	ids = calloc(want, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (node = 0; node < nodes->size && node <= INT_MAX; node++) {
		if (!numa_bitmask_isbitset(nodes, (unsigned int)node))
			continue;
		pool_member_foreach(ctx, m)
			if (strcmp(m->kind, "node") == 0 &&
			    m->node == (int)node)
				break;
		if (!m) {
			dbg(ctx, "node %lu has no member\n", node);
			free(ids);
			return -ENOENT;
		}
		ids[nr++] = m->id;
	}
	*idsp = ids;
	*nrp = nr;
	return 0;
}

static int resolve_nodes(struct pool_ctx *ctx, const char *str,
			 unsigned int **ids, unsigned int *nr)
{
	struct bitmask *nodes;
	int rc;

	nodes = numa_parse_nodestring(str);
	if (!nodes) {
		dbg(ctx, "bad node list '%s'\n", str);
		return -EINVAL;
	}
	rc = lp_nodes_to_members(ctx, nodes, ids, nr);
	numa_bitmask_free(nodes);
	return rc;
}

int lp_place_request(struct pool_ctx *ctx,
		     const struct pool_alloc_opts *opts,
		     struct lp_place *place, unsigned int **ids)
{
	const unsigned int *members = NULL;
	unsigned int nr = 0;
	const char *nodes = NULL;
	int rc, policy = POOL_POLICY_TIERED;

	*ids = NULL;
	memset(place, 0, sizeof(*place));
	place->initiator = SCALEPOOL_INITIATOR_LOCAL;
	if (!ctx)
		return -EINVAL;
	if (opts) {
		rc = lp_opts_check(opts, opts->sz, sizeof(*opts));
		if (rc)
			return rc;
		policy = LP_OPTS_GET(opts, policy, 0);
		members = LP_OPTS_GET(opts, members, NULL);
		nr = LP_OPTS_GET(opts, nr_members, 0);
		nodes = LP_OPTS_GET(opts, nodes, NULL);
		place->weights_ptr =
			(uintptr_t)LP_OPTS_GET(opts, weights, NULL);
		place->granularity = LP_OPTS_GET(opts, granularity, 0);
		if (LP_OPTS_GET(opts, initiator_set, false))
			place->initiator = LP_OPTS_GET(opts, initiator,
						       POOL_INITIATOR_LOCAL);
	}
	if (policy < 0 || (nr && !members) || ((members || nr) && nodes))
		return -EINVAL;
	if (nodes) {
		rc = resolve_nodes(ctx, nodes, ids, &nr);
		if (rc)
			return rc;
		members = *ids;
	}
	place->policy = (unsigned int)policy;
	place->nr_members = nr;
	place->members_ptr = (uintptr_t)members;
	return 0;
}

int lp_alloc_request(struct pool_ctx *ctx, size_t size,
		     const struct pool_alloc_opts *opts,
		     struct scalepool_alloc *req, unsigned int **ids)
{
	const char *pci = LP_OPTS_GET(opts, initiator_pci, NULL);
	struct lp_place place;
	int rc;

	*ids = NULL;
	memset(req, 0, sizeof(*req));
	req->size = sizeof(*req);
	if (!size)
		return -EINVAL;
	rc = lp_place_request(ctx, opts, &place, ids);
	if (rc)
		return rc;
	req->flags = LP_OPTS_GET(opts, flags, 0);
	if (pci) {
		if (LP_OPTS_GET(opts, initiator_set, false) ||
		    place.policy != POOL_POLICY_NEAREST ||
		    lp_parse_bdf(pci, &req->initiator_pci_domain,
				 &req->initiator_pci_bdf)) {
			free(*ids);
			*ids = NULL;
			return -EINVAL;
		}
		req->flags |= SCALEPOOL_ALLOC_PCI_INITIATOR;
	}
	req->length = size;
	LP_PLACE_SET(req, &place);
	return 0;
}

static int free_handle(struct pool_ctx *ctx, unsigned int handle)
{
	struct scalepool_free f = { .size = sizeof(f), .handle = handle };

	if (ioctl(ctx->fd, SCALEPOOL_FREE, &f) < 0) {
		int rc = -errno;

		dbg(ctx, "SCALEPOOL_FREE %u: %s\n", handle, strerror(-rc));
		return rc;
	}
	return 0;
}

int pool_alloc(struct pool_ctx *ctx, size_t size,
	       const struct pool_alloc_opts *opts, struct pool_buf **bufp)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct scalepool_alloc req;
	unsigned int *ids;
	struct pool_buf *buf;
	void *addr;
	int rc;

	if (!ctx || !bufp)
		return -EINVAL;
	rc = lp_alloc_request(ctx, size, opts, &req, &ids);
	if (rc)
		goto out;
	if (ctx->fd < 0) {
		rc = -ENODEV;
		goto out;
	}
	if (!(ctx->caps & SCALEPOOL_CAP_ALLOC)) {
		dbg(ctx, "the module cannot allocate (caps %#llx)\n",
		    ctx->caps);
		rc = -EOPNOTSUPP;
		goto out;
	}
	/* The module has the say on sizes, but rounding must not wrap. */
	if (size > SIZE_MAX - page + 1) {
		rc = -EOVERFLOW;
		goto out;
	}
	buf = calloc(1, sizeof(*buf));
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if (ioctl(ctx->fd, SCALEPOOL_ALLOC, &req) < 0) {
		rc = -errno;
		dbg(ctx, "SCALEPOOL_ALLOC of %zu bytes, policy %u: %s\n",
		    size, req.policy, strerror(-rc));
		goto err_free;
	}
	buf->size = (size + page - 1) / page * page;
	addr = mmap(NULL, buf->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    ctx->fd, (off_t)req.offset);
	if (addr == MAP_FAILED) {
		rc = -errno;
		dbg(ctx, "mmap of handle %u at %#llx: %s\n", req.handle,
		    (unsigned long long)req.offset, strerror(-rc));
		free_handle(ctx, req.handle);
		goto err_free;
	}
	buf->addr = addr;
	buf->fd = ctx->fd;
	buf->handle = req.handle;
	buf->policy = (int)req.policy;
	buf->ctx = pool_ref(ctx);
	dbg(ctx, "handle %u: %zu bytes at %p\n", buf->handle, buf->size,
	    buf->addr);
	*bufp = buf;
	free(ids);
	return 0;

err_free:
	free(buf);
out:
	free(ids);
	return rc;
}

int pool_buf_free(struct pool_buf *buf)
{
	int rc = 0, rc2;

	if (!buf)
		return 0;
	if (buf->borrowed) {
		/* The owner's allocation stays; only our fd goes. */
		if (close(buf->fd) < 0)
			rc = -errno;
	} else {
		if (munmap(buf->addr, buf->size) < 0)
			rc = -errno;
		rc2 = free_handle(buf->ctx, buf->handle);
		if (!rc)
			rc = rc2;
	}
	pool_unref(buf->ctx);
	free(buf);
	return rc;
}

void pool_buf_disown(struct pool_buf *buf)
{
	if (!buf)
		return;
	/* A borrowed allocation's fd is this process's own copy. */
	if (buf->borrowed)
		close(buf->fd);
	pool_unref(buf->ctx);
	free(buf);
}

void *pool_buf_get_addr(struct pool_buf *buf)
{
	return buf->addr;
}

size_t pool_buf_get_size(struct pool_buf *buf)
{
	return buf->size;
}

unsigned int pool_buf_get_handle(struct pool_buf *buf)
{
	return buf->handle;
}

int pool_buf_get_policy(struct pool_buf *buf)
{
	return buf->policy;
}

int pool_buf_get_placement(struct pool_buf *buf, struct pool_placement *out,
			   unsigned int nr)
{
	struct scalepool_info info = { .size = sizeof(info) };
	struct scalepool_placement *p = NULL;
	unsigned int i;
	int rc;

	if (!buf || (!out && nr))
		return -EINVAL;
	if (nr) {
		p = calloc(nr, sizeof(*p));
		if (!p)
			return -ENOMEM;
	}
	info.handle = buf->handle;
	info.nr_placements = nr;
	info.placements_ptr = (uintptr_t)p;
	if (ioctl(buf->fd, SCALEPOOL_INFO, &info) < 0) {
		rc = -errno;
		dbg(buf->ctx, "SCALEPOOL_INFO %u: %s\n", buf->handle,
		    strerror(-rc));
		free(p);
		return rc;
	}
	for (i = 0; i < nr && i < info.nr_placements; i++) {
		out[i].member = p[i].member;
		out[i].node = p[i].node;
		out[i].bytes = p[i].bytes;
		out[i].huge_bytes = p[i].huge_bytes;
	}
	free(p);
	return info.nr_placements > INT_MAX ? -EOVERFLOW :
	       (int)info.nr_placements;
}
