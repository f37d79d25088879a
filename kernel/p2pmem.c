// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: "p2pmem" members, memory that drivers publish through PCI
 * P2PDMA (an NVMe controller memory buffer), on kernels with
 * CONFIG_PCI_P2PDMA.
 *
 * A device whose driver published P2PDMA memory (pci_has_p2pmem())
 * becomes a member when the module loads or when its driver binds, and
 * stops being one when the driver unbinds: a PCI bus notifier follows
 * BUS_NOTIFY_BOUND_DRIVER and BUS_NOTIFY_UNBIND_DRIVER.  The capacity is
 * what the driver handed to P2PDMA: the P2PDMA pagemap ranges inside the
 * device's BARs (get_dev_pagemap()).
 *
 * Allocations come from pci_alloc_p2pmem(), one contiguous extent,
 * zeroed; their ZONE_DEVICE pages are mapped into user space with
 * vmf_insert_page(), like the p2pmem "allocate" file of sysfs.  In 6.12
 * a free P2PDMA page has a reference count of one; when a page's count
 * drops to zero, p2pdma_page_free() gives that page back to the pool
 * and drops one reference on the pagemap's percpu ref.  So, as
 * p2pmem_alloc_mmap() does, each page of an allocation takes a
 * reference on the pagemap, and the allocation gives its pages back
 * with put_page(): a page pinned elsewhere (GUP) goes back only when the
 * pin goes, never while in use.
 *
 * The driver's unbind tears the pagemap down (devm) after the UNBIND
 * notifier, and memunmap_pages() waits for every page reference: so the
 * notifier revokes the member's allocations (zapping every user mapping,
 * after which faults get SIGBUS) and gives their pages back before it
 * returns.  The allocations themselves live on until FREE or close, with
 * no memory behind them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/percpu-refcount.h>
#include <linux/pfn.h>
#include <linux/range.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "scalepool.h"

/* Bytes of P2PDMA pagemap in BAR @bar; *@start: where the first begins. */
static u64 sp_p2pmem_bar_bytes(struct pci_dev *pdev, int bar,
			       phys_addr_t *start)
{
	unsigned long pfn = PHYS_PFN(pci_resource_start(pdev, bar));
	unsigned long end = pfn + PHYS_PFN(pci_resource_len(pdev, bar));
	struct dev_pagemap *pgmap;
	u64 bytes = 0;

	while (pfn < end) {
		/* A BAR of many GiB without pagemap is millions of pfns. */
		cond_resched();
		pgmap = get_dev_pagemap(pfn, NULL);
		if (!pgmap) {
			pfn++;
			continue;
		}
		if (pgmap->type == MEMORY_DEVICE_PCI_P2PDMA) {
			u64 first = max_t(u64, pgmap->range.start, PFN_PHYS(pfn));
			u64 last = min_t(u64, pgmap->range.end,
					 PFN_PHYS(end) - 1);

			if (!bytes)
				*start = first;
			bytes += last - first + 1;
		}
		pfn = PHYS_PFN(pgmap->range.end) + 1;
		put_dev_pagemap(pgmap);
	}
	return bytes;
}

/* A device whose driver published P2PDMA memory becomes a member. */
static void sp_p2pmem_add(struct pci_dev *pdev)
{
	phys_addr_t start = 0, first;
	struct sp_member *m;
	int bar, mbar = -1, ret;
	u64 bytes, total = 0;

	device_lock_assert(&pdev->dev);
	if (!pci_has_p2pmem(pdev) ||
	    sp_peer_exists(pdev, SP_MEMBER_P2PMEM, -1))
		return;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    !pci_resource_len(pdev, bar))
			continue;
		bytes = sp_p2pmem_bar_bytes(pdev, bar, &first);
		if (bytes && mbar < 0) {
			mbar = bar;
			start = first;
		}
		total += bytes;
	}
	if (!total) {
		pci_info(pdev, "published P2PDMA memory outside its BARs: not a member\n");
		return;
	}

	m = sp_peer_member_new(pdev, SP_MEMBER_P2PMEM, mbar, start, total);
	if (!m) {
		pci_warn(pdev, "p2pmem member: out of memory\n");
		return;
	}
	ret = sp_peer_member_publish(m);
	if (ret)
		pci_warn(pdev, "p2pmem member not added: %pe\n", ERR_PTR(ret));
}

/*
 * Zero @len bytes of P2PDMA memory in chunks, with a reschedule between
 * them; -EINTR when the caller is being killed.
 */
static int sp_p2pmem_zero(void *kaddr, u64 len)
{
	u64 off, n;

	for (off = 0; off < len; off += n) {
		if (fatal_signal_pending(current))
			return -EINTR;
		n = min_t(u64, len - off, SP_ZERO_CHUNK);
		memset(kaddr + off, 0, n);
		cond_resched();
	}
	return 0;
}

/**
 * sp_p2pmem_alloc() - give an allocation one extent of P2PDMA memory
 * @a: an allocation whose only part is a "p2pmem" member
 * @p: the member's PCI side, with @p->lock held for reading
 *
 * Return: 0, -ENOMEM when the pool has no free extent that big (or no
 * memory for the page array), -EINTR when a fatal signal stopped the
 * zeroing (the extent went back).
 */
int sp_p2pmem_alloc(struct sp_alloc *a, struct sp_peer *p)
{
	struct dev_pagemap *pgmap;
	unsigned long i;
	void *kaddr;

	lockdep_assert_held_read(&p->lock);
	a->pages = kvcalloc(a->nr_pages, sizeof(*a->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!a->pages)
		return -ENOMEM;
	kaddr = pci_alloc_p2pmem(p->pdev, a->length);
	if (!kaddr) {
		kvfree(a->pages);
		a->pages = NULL;
		return -ENOMEM;
	}
	/* The driver's pool is not zeroed: the last user's data is there. */
	if (sp_p2pmem_zero(kaddr, a->length)) {
		pci_free_p2pmem(p->pdev, kaddr, a->length);
		kvfree(a->pages);
		a->pages = NULL;
		return -EINTR;
	}

	pgmap = virt_to_page(kaddr)->pgmap;
	for (i = 0; i < a->nr_pages; i++) {
		a->pages[i] = virt_to_page(kaddr + i * PAGE_SIZE);
		/* Dropped by p2pdma_page_free() when the page goes back. */
		percpu_ref_get(&a->pages[i]->pgmap->ref);
		if (!((i + 1) % (SP_ZERO_CHUNK >> PAGE_SHIFT)))
			cond_resched();
	}
	/* pci_alloc_p2pmem()'s own reference: the pages hold theirs now. */
	percpu_ref_put(&pgmap->ref);

	a->backing = SP_BACKING_P2PMEM;
	a->kaddr = kaddr;
	a->phys = page_to_phys(a->pages[0]);
	return 0;
}

/**
 * sp_p2pmem_put_pages() - give a "p2pmem" allocation's pages back
 * @a: the allocation: revoked (no mapping left), or at its last reference
 *
 * Each page goes back to the P2PDMA pool when its count drops to zero,
 * now or when the last pin elsewhere goes.  The caller holds the
 * member's allocation lock, so this runs once per allocation.
 */
void sp_p2pmem_put_pages(struct sp_alloc *a)
{
	unsigned long i;

	if (!a->pages)
		return;
	for (i = 0; i < a->nr_pages; i++) {
		struct page *page = a->pages[i];

		/* The pagemap may go as soon as the page is back. */
		WRITE_ONCE(a->pages[i], NULL);
		put_page(page);
		if (!((i + 1) % (SP_ZERO_CHUNK >> PAGE_SHIFT)))
			cond_resched();
	}
	a->kaddr = NULL;
}

/*
 * The device lock is held for both events (driver_bound() and
 * __device_release_driver()), as add_bar and remove_member hold it.
 */
static int sp_p2pmem_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);

	switch (action) {
	case BUS_NOTIFY_BOUND_DRIVER:
		sp_p2pmem_add(pdev);
		break;
	case BUS_NOTIFY_UNBIND_DRIVER:
		/* Before the driver's devm actions tear the pagemap down. */
		sp_peers_remove_dev(pdev, SP_MEMBER_P2PMEM);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block sp_p2pmem_nb = {
	.notifier_call = sp_p2pmem_notify,
};

/**
 * sp_p2pmem_init() - make members of the P2PDMA memory published now,
 * and follow drivers binding and unbinding
 *
 * The notifier comes first, so that no driver binding in between is
 * missed; a device seen twice is added once (sp_peer_exists()).
 *
 * Return: 0 or a negative errno.
 */
int sp_p2pmem_init(void)
{
	struct pci_dev *pdev = NULL;
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &sp_p2pmem_nb);
	if (ret)
		return ret;
	for_each_pci_dev(pdev) {
		device_lock(&pdev->dev);
		if (pdev->dev.driver)
			sp_p2pmem_add(pdev);
		device_unlock(&pdev->dev);
	}
	return 0;
}

/**
 * sp_p2pmem_exit() - stop following drivers and remove "p2pmem" members
 *
 * Every allocation is gone (each held the module), so nothing is
 * revoked here.
 */
void sp_p2pmem_exit(void)
{
	struct pci_dev *pdev = NULL;

	bus_unregister_notifier(&pci_bus_type, &sp_p2pmem_nb);
	for_each_pci_dev(pdev) {
		device_lock(&pdev->dev);
		sp_peers_remove_dev(pdev, SP_MEMBER_P2PMEM);
		device_unlock(&pdev->dev);
	}
}
