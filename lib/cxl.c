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
 *
 * libcxl and libdaxctl are opened here on first use, not linked: they
 * bring libkmod, libudev, libuuid, libcrypto, libzstd and liblzma, which
 * the dynamic loader would otherwise map and relocate at the start of
 * every process that loads libpool.  Most never resolve a CXL chain:
 * every program poolctl bind runs loads libpool through
 * libpool-preload.so only to allocate (Documentation/bind.rst).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>

#include "private.h"

/* The sonames Debian's libcxl1 and libdaxctl1 (ndctl 76) ship. */
#define LP_LIBCXL	"libcxl.so.1"
#define LP_LIBDAXCTL	"libdaxctl.so.1"

#define LP_CXL_SYMS(X)							\
	X(cxl_new) X(cxl_unref) X(cxl_bus_get_first)			\
	X(cxl_bus_get_next) X(cxl_bus_get_port)				\
	X(cxl_decoder_get_first) X(cxl_decoder_get_next)		\
	X(cxl_decoder_get_memdev)					\
	X(cxl_region_get_first) X(cxl_region_get_next)			\
	X(cxl_region_get_devname) X(cxl_region_get_interleave_ways)	\
	X(cxl_region_get_resource) X(cxl_region_get_size)		\
	X(cxl_mapping_get_first) X(cxl_mapping_get_next)		\
	X(cxl_mapping_get_decoder) X(cxl_mapping_get_position)		\
	X(cxl_memdev_get_devname)

#define LP_DAXCTL_SYMS(X)						\
	X(daxctl_new) X(daxctl_unref) X(daxctl_region_get_first)	\
	X(daxctl_region_get_next) X(daxctl_region_get_path)		\
	X(daxctl_dev_get_first) X(daxctl_dev_get_next)			\
	X(daxctl_dev_get_region) X(daxctl_dev_get_devname)		\
	X(daxctl_dev_get_resource) X(daxctl_dev_get_target_node)	\
	X(daxctl_dev_has_online_memory)

/*
 * The functions of both libraries, once loaded; never unloaded.  The two
 * lists above are X-macros, so that each function is named once: here
 * for its pointer's type, in cx_load() for dlsym().
 */
static struct {
#define LP_SYM_FIELD(name) typeof(name) *name;
	LP_CXL_SYMS(LP_SYM_FIELD)
	LP_DAXCTL_SYMS(LP_SYM_FIELD)
#undef LP_SYM_FIELD
} cx;

static pthread_once_t cx_once = PTHREAD_ONCE_INIT;
static char cx_error[256];	/* why loading failed; "" when loaded */

static void *cx_open(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		snprintf(cx_error, sizeof(cx_error), "%s", dlerror());
	return h;
}

/* One function of @soname (handle @lib) into @slot, unless one failed. */
static void cx_sym(void *lib, const char *soname, const char *name,
		   void **slot)
{
	if (cx_error[0])
		return;
	*slot = dlsym(lib, name);
	if (!*slot)
		snprintf(cx_error, sizeof(cx_error), "%s: no symbol %s",
			 soname, name);
}

static void cx_load(void)
{
	void *cxl = cx_open(LP_LIBCXL);
	void *dax = cxl ? cx_open(LP_LIBDAXCTL) : NULL;

	if (!dax)
		return;
	/* X-macro expansions: one statement per function of the lists. */
#define LP_SYM_CXL(name) cx_sym(cxl, LP_LIBCXL, #name, (void **)&cx.name);
#define LP_SYM_DAX(name) cx_sym(dax, LP_LIBDAXCTL, #name, (void **)&cx.name);
	LP_CXL_SYMS(LP_SYM_CXL)
	LP_DAXCTL_SYMS(LP_SYM_DAX)
#undef LP_SYM_DAX
#undef LP_SYM_CXL
}

/* Loads both libraries once per process; 0 or -ELIBACC (said once). */
static int cx_ready(struct pool_ctx *ctx)
{
	pthread_once(&cx_once, cx_load);
	if (!cx_error[0])
		return 0;
	if (!ctx->cxl_load_reported) {
		err(ctx, "CXL chains not resolved: %s\n", cx_error);
		ctx->cxl_load_reported = true;
	}
	return -ELIBACC;
}

static int cxl_contexts(struct pool_ctx *ctx)
{
	int rc = cx_ready(ctx);

	if (rc)
		return rc;
	if (!ctx->daxctl) {
		rc = cx.daxctl_new(&ctx->daxctl);
		if (rc) {
			dbg(ctx, "daxctl_new: %s\n", strerror(-rc));
			ctx->daxctl = NULL;
			return rc;
		}
	}
	if (!ctx->cxl) {
		rc = cx.cxl_new(&ctx->cxl);
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
		cx.cxl_unref(ctx->cxl);
	if (ctx->daxctl)
		cx.daxctl_unref(ctx->daxctl);
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

	for (region = cx.daxctl_region_get_first(ctx->daxctl); region;
	     region = cx.daxctl_region_get_next(region))
		for (dev = cx.daxctl_dev_get_first(region); dev;
		     dev = cx.daxctl_dev_get_next(dev)) {
			if (cx.daxctl_dev_get_target_node(dev) != node)
				continue;
			n++;
			if (!found ||
			    (cx.daxctl_dev_has_online_memory(found) <= 0 &&
			     cx.daxctl_dev_has_online_memory(dev) > 0))
				found = dev;
		}
	if (n > 1)
		info(ctx, "node %d: %d dax devices, using %s\n", node, n,
		     cx.daxctl_dev_get_devname(found));
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
	unsigned long long start = cx.cxl_region_get_resource(region);
	unsigned long long size = cx.cxl_region_get_size(region);
	unsigned long long res = cx.daxctl_dev_get_resource(dev);

	if (start == ULLONG_MAX || !size || size == ULLONG_MAX ||
	    !res || res == ULLONG_MAX)
		return false;
	return res >= start && res - start < size;
}

static struct cxl_region *find_region(struct pool_ctx *ctx,
				      struct daxctl_dev *dev)
{
	struct daxctl_region *dregion = cx.daxctl_dev_get_region(dev);
	const char *path = dregion ? cx.daxctl_region_get_path(dregion) : NULL;
	struct cxl_region *region, *by_range = NULL;
	struct cxl_decoder *decoder;
	struct cxl_port *port;
	struct cxl_bus *bus;

	/* Regions hang off the root decoders (CXL windows). */
	for (bus = cx.cxl_bus_get_first(ctx->cxl); bus;
	     bus = cx.cxl_bus_get_next(bus)) {
		port = cx.cxl_bus_get_port(bus);
		for (decoder = cx.cxl_decoder_get_first(port); decoder;
		     decoder = cx.cxl_decoder_get_next(decoder))
			for (region = cx.cxl_region_get_first(decoder); region;
			     region = cx.cxl_region_get_next(region)) {
				const char *name =
					cx.cxl_region_get_devname(region);

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

	ways = cx.cxl_region_get_interleave_ways(m->region);
	if (!ways || ways == UINT_MAX || ways > 16)
		return 0;
	m->memdevs = calloc(ways, sizeof(*m->memdevs));
	if (!m->memdevs)
		return -ENOMEM;
	/* libcxl lists mappings in no particular order: use positions. */
	for (mapping = cx.cxl_mapping_get_first(m->region); mapping;
	     mapping = cx.cxl_mapping_get_next(mapping)) {
		pos = cx.cxl_mapping_get_position(mapping);
		decoder = cx.cxl_mapping_get_decoder(mapping);
		memdev = decoder ? cx.cxl_decoder_get_memdev(decoder) : NULL;
		if (pos < ways && memdev)
			m->memdevs[pos] = memdev;
	}
	/* Squeeze out positions not (yet) set up. */
	for (pos = 0; pos < ways; pos++)
		if (m->memdevs[pos])
			m->memdevs[m->nr_memdevs++] = m->memdevs[pos];
	return 0;
}

/*
 * Resolved when a getter first asks, not by pool_new(): walking the CXL
 * topology opens libcxl and reads much of sysfs, which a program that
 * only allocates (every one poolctl bind runs) never needs.  The chain
 * is the topology as it was at that first ask; pool_refresh() forgets it.
 */
static void member_resolve_cxl(struct pool_member *m)
{
	struct pool_ctx *ctx = m->ctx;

	if (m->cxl_resolved)
		return;
	m->cxl_resolved = true;
	if (strcmp(m->memory, "cxl") || m->node < 0 || cxl_contexts(ctx))
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
		     cx.daxctl_dev_get_devname(m->dax));
		return;
	}
	if (load_memdevs(m))
		err(ctx, "member %u: out of memory\n", m->id);
	dbg(ctx, "member %u: %s <- %s, %d memdevs\n", m->id,
	    cx.daxctl_dev_get_devname(m->dax),
	    cx.cxl_region_get_devname(m->region), m->nr_memdevs);
}

void lp_member_clear_cxl(struct pool_member *m)
{
	free(m->memdevs);
	m->memdevs = NULL;
	m->nr_memdevs = 0;
	m->region = NULL;
	m->dax = NULL;
	m->cxl_resolved = false;
}

struct daxctl_dev *pool_member_get_dax_device(struct pool_member *member)
{
	member_resolve_cxl(member);
	return member->dax;
}

struct cxl_region *pool_member_get_cxl_region(struct pool_member *member)
{
	member_resolve_cxl(member);
	return member->region;
}

int pool_member_get_nr_cxl_memdevs(struct pool_member *member)
{
	member_resolve_cxl(member);
	return member->nr_memdevs;
}

struct cxl_memdev *pool_member_get_cxl_memdev(struct pool_member *member,
					      int index)
{
	member_resolve_cxl(member);
	if (index < 0 || index >= member->nr_memdevs)
		return NULL;
	return member->memdevs[index];
}

/*
 * The names of the chain's objects, for programs that show them without
 * linking libcxl and libdaxctl themselves (poolctl list).
 */
const char *pool_member_get_dax_device_name(struct pool_member *member)
{
	member_resolve_cxl(member);
	return member->dax ? cx.daxctl_dev_get_devname(member->dax) : NULL;
}

const char *pool_member_get_cxl_region_name(struct pool_member *member)
{
	member_resolve_cxl(member);
	return member->region ? cx.cxl_region_get_devname(member->region) :
				NULL;
}

const char *pool_member_get_cxl_memdev_name(struct pool_member *member,
					    int index)
{
	struct cxl_memdev *md = pool_member_get_cxl_memdev(member, index);

	return md ? cx.cxl_memdev_get_devname(md) : NULL;
}
