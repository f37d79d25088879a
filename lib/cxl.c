// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: the CXL chain behind a member, node -> dax device -> CXL
 * region -> memory devices, resolved with libdaxctl and libcxl.
 *
 * A CXL RAM region that dax/kmem onlined has a dax region under the CXL
 * region in sysfs (.../decoder0.0/region0/dax_region0) with one dax
 * device whose target_node is the new NUMA node.  libcxl 76.1 has no
 * cxl_region_get_daxctl_region(), so the region is found by the dax
 * region's sysfs path and, failing that, by physical address range.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>

#include "private.h"

static int cxl_contexts(struct pool_ctx *ctx)
{
	int rc;

	if (!ctx->daxctl) {
		rc = daxctl_new(&ctx->daxctl);
		if (rc) {
			dbg(ctx, "daxctl_new: %s\n", strerror(-rc));
			ctx->daxctl = NULL;
			return rc;
		}
	}
	if (!ctx->cxl) {
		rc = cxl_new(&ctx->cxl);
		if (rc) {
			dbg(ctx, "cxl_new: %s\n", strerror(-rc));
			ctx->cxl = NULL;
			return rc;
		}
	}
	return 0;
}

void lp_cxl_release(struct pool_ctx *ctx)
{
	if (ctx->cxl)
		cxl_unref(ctx->cxl);
	if (ctx->daxctl)
		daxctl_unref(ctx->daxctl);
	ctx->cxl = NULL;
	ctx->daxctl = NULL;
}

/*
 * The dax device onlined as @node.  Several can target one node (two
 * regions in one CXL window); prefer one with memory online.
 */
static struct daxctl_dev *find_dax(struct pool_ctx *ctx, int node)
{
	struct daxctl_dev *dev, *found = NULL;
	struct daxctl_region *region;
	int n = 0;

	daxctl_region_foreach(ctx->daxctl, region)
		daxctl_dev_foreach(region, dev) {
			if (daxctl_dev_get_target_node(dev) != node)
				continue;
			n++;
			if (!found ||
			    (daxctl_dev_has_online_memory(found) <= 0 &&
			     daxctl_dev_has_online_memory(dev) > 0))
				found = dev;
		}
	if (n > 1)
		info(ctx, "node %d: %d dax devices, using %s\n", node, n,
		     daxctl_dev_get_devname(found));
	return found;
}

/* Does the dax region's sysfs path run through the CXL region? */
static bool path_has_region(const char *path, const char *devname)
{
	size_t len = strlen(devname);
	const char *p = path;

	while ((p = strstr(p, devname))) {
		if (p > path && p[-1] == '/' &&
		    (p[len] == '/' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

static bool range_has_dax(struct cxl_region *region, struct daxctl_dev *dev)
{
	unsigned long long start = cxl_region_get_resource(region);
	unsigned long long size = cxl_region_get_size(region);
	unsigned long long res = daxctl_dev_get_resource(dev);

	if (start == ULLONG_MAX || !size || size == ULLONG_MAX ||
	    !res || res == ULLONG_MAX)
		return false;
	return res >= start && res - start < size;
}

static struct cxl_region *find_region(struct pool_ctx *ctx,
				      struct daxctl_dev *dev)
{
	struct daxctl_region *dregion = daxctl_dev_get_region(dev);
	const char *path = dregion ? daxctl_region_get_path(dregion) : NULL;
	struct cxl_region *region, *by_range = NULL;
	struct cxl_decoder *decoder;
	struct cxl_port *port;
	struct cxl_bus *bus;

	/* Regions hang off the root decoders (CXL windows). */
	cxl_bus_foreach(ctx->cxl, bus) {
		port = cxl_bus_get_port(bus);
		cxl_decoder_foreach(port, decoder)
			cxl_region_foreach(decoder, region) {
				const char *name =
					cxl_region_get_devname(region);

				if (path && path_has_region(path, name))
					return region;
				if (!by_range && range_has_dax(region, dev))
					by_range = region;
			}
	}
	return by_range;
}

static int load_memdevs(struct pool_member *m)
{
	struct cxl_memdev_mapping *mapping;
	struct cxl_decoder *decoder;
	struct cxl_memdev *memdev;
	unsigned int ways, pos;

	ways = cxl_region_get_interleave_ways(m->region);
	if (!ways || ways == UINT_MAX || ways > 16)
		return 0;
	m->memdevs = calloc(ways, sizeof(*m->memdevs));
	if (!m->memdevs)
		return -ENOMEM;
	/* libcxl lists mappings in no particular order: use positions. */
	cxl_mapping_foreach(m->region, mapping) {
		pos = cxl_mapping_get_position(mapping);
		decoder = cxl_mapping_get_decoder(mapping);
		memdev = decoder ? cxl_decoder_get_memdev(decoder) : NULL;
		if (pos < ways && memdev)
			m->memdevs[pos] = memdev;
	}
	/* Squeeze out positions not (yet) set up. */
	for (pos = 0; pos < ways; pos++)
		if (m->memdevs[pos])
			m->memdevs[m->nr_memdevs++] = m->memdevs[pos];
	return 0;
}

void lp_member_resolve_cxl(struct pool_member *m)
{
	struct pool_ctx *ctx = m->ctx;

	if (m->node < 0 || cxl_contexts(ctx))
		return;
	m->dax = find_dax(ctx, m->node);
	if (!m->dax) {
		info(ctx, "member %u: no dax device on node %d\n", m->id,
		     m->node);
		return;
	}
	m->region = find_region(ctx, m->dax);
	if (!m->region) {
		info(ctx, "member %u: no CXL region holds %s\n", m->id,
		     daxctl_dev_get_devname(m->dax));
		return;
	}
	if (load_memdevs(m))
		err(ctx, "member %u: out of memory\n", m->id);
	dbg(ctx, "member %u: %s <- %s, %d memdevs\n", m->id,
	    daxctl_dev_get_devname(m->dax), cxl_region_get_devname(m->region),
	    m->nr_memdevs);
}

void lp_member_clear_cxl(struct pool_member *m)
{
	free(m->memdevs);
	m->memdevs = NULL;
	m->nr_memdevs = 0;
	m->region = NULL;
	m->dax = NULL;
}

struct daxctl_dev *pool_member_get_dax_device(struct pool_member *member)
{
	return member->dax;
}

struct cxl_region *pool_member_get_cxl_region(struct pool_member *member)
{
	return member->region;
}

int pool_member_get_nr_cxl_memdevs(struct pool_member *member)
{
	return member->nr_memdevs;
}

struct cxl_memdev *pool_member_get_cxl_memdev(struct pool_member *member,
					      int index)
{
	if (index < 0 || index >= member->nr_memdevs)
		return NULL;
	return member->memdevs[index];
}
