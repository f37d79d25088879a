// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: peer members, PCI device memory.
 *
 * "bar" members: scalepool registers a PCI driver with an empty id
 * table, so it binds only devices an admin hands it through
 * driver_override.  Writing "DDDD:BB:DD.F [N]" to
 * /sys/kernel/scalepool/add_bar then makes a BAR of such a device a
 * member: the BAR is claimed with pci_request_region(), mapped
 * write-combined for the kernel (to zero allocations with memset_io())
 * and carved up by a gen_pool.  Allocations are one contiguous extent
 * each, mapped into user space write-combined as PFN mappings.
 *
 * A member goes when the admin writes its id to remove_member, or when
 * the device leaves the driver (unbind, hot unplug: the PCI remove
 * callback).  Then every allocation of the member is revoked (mappings
 * zapped, later faults get SIGBUS), the kernel mapping and the region
 * are released, and the member leaves the registry.  The BAR's address
 * range goes back to the gen_pool only when each allocation's last
 * reference drops, and the gen_pool and the pci_dev reference go with
 * the member's kobject, after the last allocation: nothing is freed
 * twice and nothing touches the device once it is gone.
 *
 * Locking, outermost first: the device lock of the pci_dev (add_bar,
 * remove_member and the driver's remove are serialised by it), then
 * sp_peers_lock (the list of peer members), then the registry mutex.
 * A peer's @lock is taken for reading by allocations while they use the
 * BAR and for writing by its teardown.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/genalloc.h>
#include <linux/io.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/scatterlist.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "scalepool.h"

/* Smaller BARs are registers, not memory worth pooling. */
#define SP_BAR_MIN_SIZE	SZ_1M

static DEFINE_MUTEX(sp_peers_lock);
static LIST_HEAD(sp_peers);
static struct pci_driver sp_pci_driver;

/**
 * sp_peer_release() - free the PCI side of a peer member
 * @p: the member's peer struct; called from the member's kobject release
 *
 * Every allocation is gone by now (each held a member reference), so the
 * gen_pool is empty.
 */
void sp_peer_release(struct sp_peer *p)
{
	/* A member that failed to publish was never torn down. */
	if (p->kaddr) {
		iounmap(p->kaddr);
		pci_release_region(p->pdev, p->bar);
	}
	if (p->pool)
		gen_pool_destroy(p->pool);
	pci_dev_put(p->pdev);
	mutex_destroy(&p->allocs_lock);
	kfree(p);
}

/**
 * sp_peer_pci_name() - the PCI address of a peer member's device
 * @m: a peer member
 *
 * Return: "DDDD:BB:DD.F".
 */
const char *sp_peer_pci_name(const struct sp_member *m)
{
	return pci_name(m->peer->pdev);
}

/**
 * sp_peer_bar() - the BAR index of a peer member
 * @m: a peer member
 *
 * Return: 0 to 5.
 */
int sp_peer_bar(const struct sp_member *m)
{
	return m->peer->bar;
}

/*
 * Does @pdev redirect peer-to-peer requests upstream (ACS request or
 * completion redirect, egress control)?  What P2PDMA checks on every
 * device of the path (pci_bridge_has_acs_redir(), static in 6.12).
 */
static bool sp_pci_acs_redirects(struct pci_dev *pdev)
{
	u16 ctrl;

	if (!pdev->acs_cap)
		return false;
	pci_read_config_word(pdev, pdev->acs_cap + PCI_ACS_CTRL, &ctrl);
	return ctrl & (PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_EC);
}

/* Is there an ACS redirect on the way from @pdev up to @top (excluded)? */
static bool sp_pci_path_redirects(struct pci_dev *pdev, struct pci_dev *top)
{
	for (; pdev && pdev != top; pdev = pci_upstream_bridge(pdev)) {
		if (sp_pci_acs_redirects(pdev))
			return true;
	}
	return false;
}

/*
 * Hops between two devices through their nearest common upstream bridge,
 * counted as P2PDMA counts them (calc_map_type_and_dist() in
 * drivers/pci/p2pdma.c), or -1 when traffic between them goes through
 * the host bridge: they share no upstream bridge, or a device of the
 * path redirects it upstream with ACS.  This is P2PDMA's
 * PCI_P2PDMA_MAP_BUS_ADDR case: the switch routes the request by its
 * PCI bus address, and no IOMMU sees it.
 */
static int sp_pci_switch_hops(struct pci_dev *a, struct pci_dev *b)
{
	struct pci_dev *up_a, *up_b;
	int dist_a, dist_b;

	for (up_a = a, dist_a = 0; up_a; up_a = pci_upstream_bridge(up_a),
	     dist_a++) {
		for (up_b = b, dist_b = 0; up_b;
		     up_b = pci_upstream_bridge(up_b), dist_b++) {
			if (up_a == up_b)
				goto common;
		}
	}
	return -1;

common:
	if (sp_pci_path_redirects(a, up_a) || sp_pci_path_redirects(b, up_a) ||
	    sp_pci_acs_redirects(up_a))
		return -1;
	return dist_a + dist_b;
}

/**
 * sp_pci_p2p_path() - how one PCI device reaches another's memory
 * @provider: the device whose memory is used
 * @client: the device that would reach it
 * @dist: out, the P2PDMA distance (-1 for SP_P2P_NONE)
 *
 * P2PDMA's map types, which 6.12 keeps to itself: through a switch
 * (SP_P2P_SWITCH, P2PDMA's MAP_BUS_ADDR), through a host bridge that
 * P2PDMA trusts to forward peer traffic (SP_P2P_HOST_BRIDGE, its
 * MAP_THRU_HOST_BRIDGE), or not at all.  Where the kernel has P2PDMA,
 * pci_p2pdma_distance() decides whether there is a path (it knows the
 * whitelist), and the walk of sp_pci_switch_hops() - the same walk as
 * P2PDMA's - which kind.  Without P2PDMA nothing says which host
 * bridges forward peer traffic, so only a path through a switch counts.
 *
 * Return: the kind of path.
 */
enum sp_p2p_path sp_pci_p2p_path(struct pci_dev *provider,
				 struct pci_dev *client, int *dist)
{
	int hops = sp_pci_switch_hops(provider, client);

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA)) {
		*dist = hops;
		return hops < 0 ? SP_P2P_NONE : SP_P2P_SWITCH;
	}
	*dist = pci_p2pdma_distance(provider, &client->dev, false);
	if (*dist < 0)
		return SP_P2P_NONE;
	return hops < 0 ? SP_P2P_HOST_BRIDGE : SP_P2P_SWITCH;
}

/**
 * sp_pci_distance() - peer-to-peer distance between two PCI devices
 * @provider: the device whose memory is used
 * @client: the device that would reach it
 *
 * Return: the distance (through a switch or a trusted host bridge), or
 * -1 when there is no peer-to-peer path; see sp_pci_p2p_path().
 */
int sp_pci_distance(struct pci_dev *provider, struct pci_dev *client)
{
	int dist;

	sp_pci_p2p_path(provider, client, &dist);
	return dist;
}

/**
 * sp_peer_path_to() - how a device reaches a peer member's memory
 * @m: a peer member
 * @client: the device that would use the member's memory
 * @dist: out, as for sp_pci_p2p_path()
 *
 * Return: as sp_pci_p2p_path().
 */
enum sp_p2p_path sp_peer_path_to(const struct sp_member *m,
				 struct pci_dev *client, int *dist)
{
	return sp_pci_p2p_path(m->peer->pdev, client, dist);
}

/**
 * sp_peer_distances_show() - sysfs members/<id>/peer_distance
 * @m: a peer member
 * @buf: the sysfs page
 *
 * Return: bytes written: "<id> <distance>\n" for every other peer member.
 */
ssize_t sp_peer_distances_show(const struct sp_member *m, char *buf)
{
	struct sp_peer *q;
	ssize_t len = 0;

	mutex_lock(&sp_peers_lock);
	list_for_each_entry(q, &sp_peers, entry) {
		if (q == m->peer)
			continue;
		len += sysfs_emit_at(buf, len, "%u %d\n", q->m->id,
				     sp_pci_distance(m->peer->pdev, q->pdev));
	}
	mutex_unlock(&sp_peers_lock);
	return len;
}

/*
 * Zero @len bytes of a BAR through the kernel's mapping: a BAR may be
 * many GiB, so in chunks, with a reschedule between them, and given up
 * (-EINTR) when the caller is being killed.
 */
static int sp_bar_zero(void __iomem *kaddr, u64 len)
{
	u64 off, n;

	for (off = 0; off < len; off += n) {
		if (fatal_signal_pending(current))
			return -EINTR;
		n = min_t(u64, len - off, SP_ZERO_CHUNK);
		memset_io(kaddr + off, 0, n);
		cond_resched();
	}
	return 0;
}

/* One extent of a BAR, zeroed. */
static int sp_bar_alloc(struct sp_alloc *a, struct sp_peer *p)
{
	unsigned long phys;
	int ret;

	phys = gen_pool_alloc(p->pool, a->length);
	if (!phys)
		return -ENOMEM;
	/* Whatever the last user left there is not the new owner's. */
	ret = sp_bar_zero(p->kaddr + (phys - p->start), a->length);
	if (ret) {
		gen_pool_free(p->pool, phys, a->length);
		return ret;
	}
	a->backing = SP_BACKING_BAR;
	a->phys = phys;
	return 0;
}

/**
 * sp_peer_alloc() - give an allocation one extent of a peer member
 * @a: an allocation whose only part is a peer member
 *
 * Charges the member, takes the extent (from the BAR's gen_pool, or from
 * the kernel's P2PDMA pool for "p2pmem") and zeroes it.
 *
 * Return: 0, -ENOENT when the member went away meanwhile, -ENOSPC when
 * its limit stopped it, -ENOMEM when the BAR has no free extent that big,
 * -EINTR when a fatal signal stopped the zeroing (nothing is kept).
 */
int sp_peer_alloc(struct sp_alloc *a)
{
	struct sp_alloc_part *part = &a->parts[0];
	struct sp_peer *p = part->m->peer;
	int ret;

	down_read(&p->lock);
	if (p->dead) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = sp_member_charge(part->m, a->length);
	if (ret)
		goto out_unlock;
	if (part->m->kind == SP_MEMBER_BAR)
		ret = sp_bar_alloc(a, p);
	else
		ret = sp_p2pmem_alloc(a, p);
	if (ret) {
		sp_member_uncharge(part->m, a->length);
		goto out_unlock;
	}
	part->bytes = a->length;
	mutex_lock(&p->allocs_lock);
	list_add_tail(&a->peer_entry, &p->allocs);
	mutex_unlock(&p->allocs_lock);
out_unlock:
	up_read(&p->lock);
	return ret;
}

/**
 * sp_peer_free() - give an allocation's extent back to its member
 * @a: an allocation made by sp_peer_alloc(), at its last reference
 *
 * The member outlives this (the part holds a reference); the device may
 * be gone, which does not matter: only the gen_pool is touched ("bar"),
 * or nothing at all for a revoked "p2pmem" allocation.
 */
void sp_peer_free(struct sp_alloc *a)
{
	struct sp_peer *p = a->parts[0].m->peer;

	mutex_lock(&p->allocs_lock);
	list_del(&a->peer_entry);
	/* A revoked p2pmem allocation gave its pages back already. */
	if (a->backing == SP_BACKING_P2PMEM && !sp_alloc_revoked(a))
		sp_p2pmem_put_pages(a);
	mutex_unlock(&p->allocs_lock);
	if (a->backing == SP_BACKING_BAR)
		gen_pool_free(p->pool, a->phys, a->length);
}

/**
 * sp_bar_map_sgt() - a bar allocation's extent as DMA segments for a device
 * @a: an allocation with SP_BACKING_BAR, not revoked (the caller holds
 *     @a->revoke_sem for reading)
 * @sgt: an empty table, filled here (the caller frees it after
 *       sp_bar_unmap_sgt(); on failure nothing is left to free)
 * @dev: the importer's device
 * @dir: the DMA direction
 * @seg: the largest segment @dev takes, a multiple of PAGE_SIZE
 *
 * The extent has no struct page, so the table carries DMA addresses only
 * (sg_page() is NULL), cut into segments of @seg.  The addresses follow
 * the rules P2PDMA applies to its own pages (pci_p2pdma_map_segment(),
 * iommu_dma_map_sg()): through a switch, the BAR's PCI bus address and
 * no DMA mapping, since the switch routes the request and no IOMMU sees
 * it (entries marked with sg_dma_mark_bus_address()); through a host
 * bridge P2PDMA trusts, dma_map_resource() of the CPU physical address,
 * which the IOMMU, if any, translates; otherwise -EREMOTEIO, as
 * dma_map_sgtable() answers for P2PDMA pages a device cannot reach.
 *
 * Return: 0, -EREMOTEIO, -EOVERFLOW (more segments than a table holds),
 * -ENOMEM or the DMA mapping's error.
 */
int sp_bar_map_sgt(struct sp_alloc *a, struct sg_table *sgt,
		   struct device *dev, enum dma_data_direction dir,
		   unsigned int seg)
{
	struct sp_peer *p = a->parts[0].m->peer;
	enum sp_p2p_path path = SP_P2P_NONE;
	unsigned int nents, i;
	struct scatterlist *sg;
	dma_addr_t addr;
	u64 off = 0;
	int dist, ret;

	if (dev_is_pci(dev))
		path = sp_pci_p2p_path(p->pdev, to_pci_dev(dev), &dist);
	if (path == SP_P2P_NONE)
		return -EREMOTEIO;
	if (DIV_ROUND_UP_ULL(a->length, seg) > UINT_MAX)
		return -EOVERFLOW;
	nents = DIV_ROUND_UP_ULL(a->length, seg);

	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		return ret;

	if (path == SP_P2P_SWITCH) {
		/* Bus, not CPU, address: hosts may offset one from the other. */
		addr = pci_bus_address(p->pdev, p->bar) + (a->phys - p->start);
	} else {
		addr = dma_map_resource(dev, a->phys, a->length, dir, 0);
		ret = dma_mapping_error(dev, addr);
		if (ret) {
			sg_free_table(sgt);
			return ret;
		}
	}
	for_each_sgtable_sg(sgt, sg, i) {
		unsigned int len = min_t(u64, seg, a->length - off);

		sg_dma_address(sg) = addr + off;
		sg_dma_len(sg) = len;
		if (path == SP_P2P_SWITCH)
			sg_dma_mark_bus_address(sg);
		off += len;
	}
	sgt->nents = nents;
	return 0;
}

/**
 * sp_bar_unmap_sgt() - undo the DMA mapping of sp_bar_map_sgt()
 * @a: the allocation
 * @dev: the importer's device
 * @sgt: the table sp_bar_map_sgt() filled for @dev; the caller frees it
 * @dir: the DMA direction it was made for
 */
void sp_bar_unmap_sgt(struct sp_alloc *a, struct device *dev,
		      struct sg_table *sgt, enum dma_data_direction dir)
{
	/*
	 * Bus addresses were never mapped.  Without SG DMA flags there is
	 * no P2PDMA (it selects them), so there are bus addresses only.
	 */
	if (IS_ENABLED(CONFIG_NEED_SG_DMA_FLAGS) &&
	    !sg_dma_is_bus_address(sgt->sgl))
		dma_unmap_resource(dev, sg_dma_address(sgt->sgl), a->length,
				   dir, 0);
}

/*
 * Revoke every allocation and let go of the device: afterwards nothing
 * of the member touches the BAR ("bar"), and every page of P2PDMA memory
 * has gone back to the driver that published it ("p2pmem").  The caller
 * holds the device lock and has taken @p off sp_peers.
 */
static void sp_peer_kill(struct sp_peer *p)
{
	struct sp_alloc *a;

	device_lock_assert(&p->pdev->dev);
	down_write(&p->lock);
	p->dead = true;
	mutex_lock(&p->allocs_lock);
	list_for_each_entry(a, &p->allocs, peer_entry) {
		sp_alloc_revoke(a);
		if (p->m->kind == SP_MEMBER_P2PMEM)
			sp_p2pmem_put_pages(a);
	}
	mutex_unlock(&p->allocs_lock);
	if (p->kaddr) {
		iounmap(p->kaddr);
		p->kaddr = NULL;
		pci_release_region(p->pdev, p->bar);
	}
	up_write(&p->lock);
}

static void sp_peer_remove(struct sp_peer *p)
{
	pci_info(p->pdev, "BAR %d: member %u (%s) removed\n", p->bar,
		 p->m->id, sp_member_kind_name(p->m));
	sp_peer_kill(p);
	sp_member_unpublish(p->m);
}

/**
 * sp_peers_remove_dev() - remove the peer members of one kind of a device
 * @pdev: the device, whose device lock the caller holds
 * @kind: SP_MEMBER_BAR or SP_MEMBER_P2PMEM
 */
void sp_peers_remove_dev(struct pci_dev *pdev, enum sp_member_kind kind)
{
	struct sp_peer *p, *tmp;
	LIST_HEAD(gone);

	device_lock_assert(&pdev->dev);
	mutex_lock(&sp_peers_lock);
	list_for_each_entry_safe(p, tmp, &sp_peers, entry) {
		if (p->pdev == pdev && p->m->kind == kind)
			list_move_tail(&p->entry, &gone);
	}
	mutex_unlock(&sp_peers_lock);

	/* sysfs removal waits for readers of peer_distance: lock dropped. */
	list_for_each_entry_safe(p, tmp, &gone, entry) {
		list_del_init(&p->entry);
		sp_peer_remove(p);
	}
}

/* "DDDD:BB:DD.F" at the start of @s; *@end: the first byte after it. */
static struct pci_dev *sp_parse_bdf(const char *s, const char **end)
{
	unsigned int domain, bus, dev, fn;
	int n = 0;

	/* pci_domain_nr() is an int: domains up to 0x7fffffff (VMD's too). */
	if (sscanf(s, "%8x:%2x:%2x.%1u%n", &domain, &bus, &dev, &fn, &n) != 4 ||
	    !n || domain > INT_MAX || dev > 0x1f || fn > 7)
		return ERR_PTR(-EINVAL);
	*end = s + n;
	return pci_get_domain_bus_and_slot(domain, bus, PCI_DEVFN(dev, fn)) ?:
	       ERR_PTR(-ENODEV);
}

/* The BAR index after the address: none (-1 for the default), or one. */
static int sp_parse_bar(const char *s, int *bar)
{
	if (*s == '\n' && !s[1]) {
		*bar = -1;
		return 0;
	}
	if (!*s) {
		*bar = -1;
		return 0;
	}
	if (*s != ' ' || !isdigit(s[1]))
		return -EINVAL;
	return kstrtoint(s + 1, 10, bar) ? -EINVAL : 0;
}

static bool sp_bar_is_mem(struct pci_dev *pdev, int bar)
{
	return (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
	       pci_resource_len(pdev, bar);
}

/*
 * @bar checked, or for -1 the largest prefetchable memory BAR.  A BAR
 * that is not prefetchable may hold registers, which the write-combined
 * mapping and the zeroing of every allocation would write: it becomes a
 * member only when the admin names it, saying it is memory.  -EINVAL
 * only for an index outside the standard BARs (syntax); -ENXIO for a
 * BAR that is not memory, or a device with no memory BAR at all, so
 * that user space tells the reasons apart without rules of its own.
 */
static int sp_pick_bar(struct pci_dev *pdev, int bar)
{
	bool not_prefetchable = false;
	int i, best = -1;

	if (bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	if (bar >= 0) {
		if (!sp_bar_is_mem(pdev, bar))
			return -ENXIO;
		best = bar;
	} else {
		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			if (!sp_bar_is_mem(pdev, i))
				continue;
			if (!(pci_resource_flags(pdev, i) & IORESOURCE_PREFETCH)) {
				not_prefetchable = true;
				continue;
			}
			if (best < 0 || pci_resource_len(pdev, i) >
					pci_resource_len(pdev, best))
				best = i;
		}
		if (best < 0)
			return not_prefetchable ? -EOPNOTSUPP : -ENXIO;
	}
	if (pci_resource_len(pdev, best) < SP_BAR_MIN_SIZE)
		return -ERANGE;
	return best;
}

/**
 * sp_peer_exists() - is there a peer member of a kind on a device's BAR?
 * @pdev: the device
 * @kind: SP_MEMBER_BAR or SP_MEMBER_P2PMEM
 * @bar: the BAR index, or -1 for any
 *
 * Return: true when there is one.
 */
bool sp_peer_exists(struct pci_dev *pdev, enum sp_member_kind kind, int bar)
{
	struct sp_peer *p;
	bool found = false;

	mutex_lock(&sp_peers_lock);
	list_for_each_entry(p, &sp_peers, entry) {
		if (p->pdev == pdev && p->m->kind == kind &&
		    (bar < 0 || p->bar == bar)) {
			found = true;
			break;
		}
	}
	mutex_unlock(&sp_peers_lock);
	return found;
}

/**
 * sp_pci_node() - the home node of a peer member
 * @pdev: its device
 *
 * Return: the device's NUMA node, or the first node with memory when
 * firmware gives the device none.
 */
int sp_pci_node(struct pci_dev *pdev)
{
	int nid = dev_to_node(&pdev->dev);

	return nid == NUMA_NO_NODE ? first_memory_node : nid;
}

/* Claim, map and pool @bar; the peer is not visible to anyone yet. */
static int sp_peer_setup(struct sp_peer *p, struct pci_dev *pdev, int bar)
{
	resource_size_t len = pci_resource_len(pdev, bar);
	int nid = sp_pci_node(pdev);
	int ret;

	p->pool = gen_pool_create(PAGE_SHIFT, nid);
	if (!p->pool)
		return -ENOMEM;
	ret = gen_pool_add(p->pool, p->start, len, nid);
	if (ret)
		return ret;

	ret = pci_request_region(pdev, bar, KBUILD_MODNAME);
	if (ret)
		return ret;
	p->kaddr = ioremap_wc(p->start, len);
	if (!p->kaddr) {
		pci_release_region(pdev, bar);
		return -ENOMEM;
	}
	return 0;
}

/**
 * sp_peer_member_new() - a peer member, not yet published
 * @pdev: its device (the member takes a reference)
 * @kind: SP_MEMBER_BAR or SP_MEMBER_P2PMEM
 * @bar: the BAR index
 * @start: CPU physical address of the memory
 * @capacity: bytes
 *
 * Free it with sp_member_release(&m->kobj) until it is published.
 *
 * Return: the member, or NULL without memory.
 */
struct sp_member *sp_peer_member_new(struct pci_dev *pdev,
				     enum sp_member_kind kind, int bar,
				     phys_addr_t start, u64 capacity)
{
	struct sp_member *m;
	struct sp_peer *p;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!m || !p) {
		kfree(m);
		kfree(p);
		return NULL;
	}
	m->peer = p;
	p->m = m;
	m->kind = kind;
	m->mem_type = SP_MEM_PCI;
	m->nid = sp_pci_node(pdev);
	m->capacity = capacity;
	atomic64_set(&m->used, 0);
	if (kind == SP_MEMBER_BAR)
		snprintf(m->name, sizeof(m->name), "%s-bar%d", pci_name(pdev),
			 bar);
	else
		snprintf(m->name, sizeof(m->name), "%s-p2pmem",
			 pci_name(pdev));

	p->pdev = pci_dev_get(pdev);
	p->bar = bar;
	p->start = start;
	init_rwsem(&p->lock);
	mutex_init(&p->allocs_lock);
	INIT_LIST_HEAD(&p->allocs);
	INIT_LIST_HEAD(&p->entry);
	return m;
}

/**
 * sp_peer_member_publish() - publish a member from sp_peer_member_new()
 * @m: the member; the caller holds its device's lock
 *
 * Return: 0, or a negative errno with @m freed.
 */
int sp_peer_member_publish(struct sp_member *m)
{
	struct sp_peer *p = m->peer;
	int ret;

	device_lock_assert(&p->pdev->dev);
	/* On failure this freed m and p. */
	ret = sp_member_publish(m);
	if (ret)
		return ret;

	mutex_lock(&sp_peers_lock);
	list_add_tail(&p->entry, &sp_peers);
	mutex_unlock(&sp_peers_lock);
	pci_info(p->pdev, "BAR %d (%llu KiB) is %s member %u\n", p->bar,
		 (u64)m->capacity >> 10, sp_member_kind_name(m), m->id);
	return 0;
}

/* Make @bar of @pdev a member; the device lock is held. */
static int sp_bar_member_add(struct pci_dev *pdev, int bar)
{
	struct sp_member *m;
	int ret;

	device_lock_assert(&pdev->dev);
	if (sp_peer_exists(pdev, SP_MEMBER_BAR, bar))
		return -EEXIST;

	m = sp_peer_member_new(pdev, SP_MEMBER_BAR, bar,
			       pci_resource_start(pdev, bar),
			       pci_resource_len(pdev, bar));
	if (!m)
		return -ENOMEM;
	/* sp_member_release() undoes whatever setup did. */
	ret = sp_peer_setup(m->peer, pdev, bar);
	if (ret) {
		sp_member_release(&m->kobj);
		return ret;
	}
	return sp_peer_member_publish(m);
}

/**
 * sp_pci_add_bar() - make a BAR a member: /sys/kernel/scalepool/add_bar
 * @buf: "DDDD:BB:DD.F" or "DDDD:BB:DD.F N", with an optional newline
 *
 * Without a BAR index, the device's largest prefetchable memory BAR; a
 * BAR that is not prefetchable only when named.
 *
 * Return: 0, or -EPERM (no CAP_SYS_ADMIN, or kernel lockdown), -EINVAL
 * (syntax only: the address, a BAR index outside 0-5), -ENXIO (the named
 * BAR is not a memory BAR, or with no BAR named the device has none),
 * -EOPNOTSUPP (no BAR named and the device's memory BARs are not
 * prefetchable), -ENODEV (no such device, or not bound to scalepool),
 * -EBUSY (bound to another driver, or the region is claimed), -ERANGE
 * (BAR below 1 MiB), -EEXIST (already a member).
 */
int sp_pci_add_bar(const char *buf)
{
	struct pci_dev *pdev;
	const char *rest;
	int bar, ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	pdev = sp_parse_bdf(buf, &rest);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = sp_parse_bar(rest, &bar);
	if (ret)
		goto out_put;

	device_lock(&pdev->dev);
	if (!pdev->dev.driver) {
		ret = -ENODEV;
	} else if (pdev->dev.driver != &sp_pci_driver.driver) {
		ret = -EBUSY;
	} else {
		bar = sp_pick_bar(pdev, bar);
		ret = bar < 0 ? bar : sp_bar_member_add(pdev, bar);
	}
	device_unlock(&pdev->dev);
out_put:
	pci_dev_put(pdev);
	return ret;
}

/**
 * sp_pci_remove_member() - remove a BAR member: .../remove_member
 * @buf: a member id, with an optional newline
 *
 * Return: 0, -EPERM without CAP_SYS_ADMIN, -EINVAL for a node or p2pmem
 * member or a bad number, -ENOENT for an id that names no member.
 */
int sp_pci_remove_member(const char *buf)
{
	struct sp_member *m;
	struct sp_peer *p;
	struct pci_dev *pdev;
	bool listed;
	u32 id;
	int ret = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtou32(buf, 10, &id))
		return -EINVAL;
	m = sp_member_get(id);
	if (!m)
		return -ENOENT;
	if (m->kind != SP_MEMBER_BAR) {
		ret = -EINVAL;
		goto out_put;
	}

	p = m->peer;
	pdev = p->pdev;
	device_lock(&pdev->dev);
	mutex_lock(&sp_peers_lock);
	/* The driver's remove may have taken it first. */
	listed = !list_empty(&p->entry);
	list_del_init(&p->entry);
	mutex_unlock(&sp_peers_lock);
	if (listed)
		sp_peer_remove(p);
	else
		ret = -ENOENT;
	device_unlock(&pdev->dev);
out_put:
	sp_member_put(m);
	return ret;
}

/*
 * Nothing to set up: the device is only enabled, so that its memory
 * decodes.  Members are added through add_bar.  A device bound under
 * lockdown could not be added anyway: refuse it here already.
 */
static int sp_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret;

	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;
	ret = pci_enable_device_mem(pdev);
	if (ret)
		return ret;
	pci_info(pdev, "bound to scalepool; add a BAR with %s\n",
		 "/sys/kernel/scalepool/add_bar");
	return 0;
}

/* Unbind or hot unplug: the device's members go, their mappings too. */
static void sp_pci_remove(struct pci_dev *pdev)
{
	sp_peers_remove_dev(pdev, SP_MEMBER_BAR);
	pci_disable_device(pdev);
}

/* Empty: only driver_override binds a device to scalepool. */
static const struct pci_device_id sp_pci_ids[] = {
	{ }
};

static struct pci_driver sp_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = sp_pci_ids,
	.probe = sp_pci_probe,
	.remove = sp_pci_remove,
};

/**
 * sp_pci_init() - register the scalepool PCI driver
 *
 * Devices whose driver_override names scalepool bind at once.
 *
 * Return: 0 or a negative errno.
 */
int sp_pci_init(void)
{
	return pci_register_driver(&sp_pci_driver);
}

/**
 * sp_pci_exit() - unregister the PCI driver
 *
 * Unbinds every device, which removes every bar member.
 */
void sp_pci_exit(void)
{
	pci_unregister_driver(&sp_pci_driver);
}
