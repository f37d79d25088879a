// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: mapping allocations into user space.
 *
 * mmap() of /dev/scalepool at an allocation's offset switches the new VMA
 * to a file of its own, an anonymous-inode file whose private_data is the
 * allocation and whose release drops a reference on it.  The VMA (and
 * every copy that fork or a split makes) holds that file, so the memory
 * lives until the last mapping goes, whatever happens to the handle and
 * to the device file; the file's fops hold the module.  A dma-buf of the
 * allocation (dmabuf.c) is mapped the same way, by sp_mmap_setup(), with
 * the dma-buf's own file as the VMA's file.
 *
 * Pages are mapped at fault time (or all before mmap() returns to user
 * space with SCALEPOOL_ALLOC_POPULATE, see sp_populate_queue()):
 *  - a 2 MiB page of a normal zone by one PMD (->huge_fault), when the
 *    VMA covers the whole 2 MiB at a matching address;
 *  - otherwise 4 KiB at a time: pages of a normal zone as normal pages
 *    (refcounted, seen by GUP and move_pages(2)), pages of ZONE_MOVABLE
 *    as special PFN entries, which GUP refuses at once (see
 *    Documentation/design-memory.rst for why).
 *
 * Allocations of "bar" members (PCI BARs, no struct page) are mapped
 * write-combined as PFN mappings, 4 KiB at a time; those of "p2pmem"
 * members (ZONE_DEVICE pages) as normal pages, 4 KiB at a time.  Every allocation file
 * points its f_mapping at the allocation's own address space, so that
 * when a peer member goes, one unmap_mapping_range() zaps every mapping
 * of the allocation, in every process; faults after that get SIGBUS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>

#include "scalepool.h"
#include "trace.h"

static int sp_alloc_file_release(struct inode *inode, struct file *file)
{
	sp_alloc_put(file->private_data);
	return 0;
}

/* The file a mapping holds; nothing but mappings ever sees it. */
static const struct file_operations sp_alloc_fops = {
	.owner = THIS_MODULE,
	.release = sp_alloc_file_release,
};

/*
 * The host of every allocation's address space.  The VFS reads the host
 * of a file's f_mapping (IS_SWAPFILE() in do_mmap(), the writeback
 * capability), and a dma-buf's file maps the allocation's address space
 * too, so the host must outlive every file of every allocation: the
 * inode that all anon_inode files share, which is never freed.
 */
static struct inode *sp_mapping_host;

/* For a file of the anonymous inode that nothing ever opens or maps. */
static const struct file_operations sp_host_fops;

/**
 * sp_mmap_init() - find the host of allocations' address spaces
 *
 * Return: 0, or the error of making a file of the anonymous inode.
 */
int sp_mmap_init(void)
{
	struct file *file;

	file = anon_inode_getfile("[scalepool]", &sp_host_fops, NULL,
				  O_RDONLY);
	if (IS_ERR(file))
		return PTR_ERR(file);
	sp_mapping_host = file_inode(file);
	fput(file);
	return 0;
}

/**
 * sp_alloc_mapping_init() - set up the address space of a new allocation
 * @a: the allocation
 *
 * Every file that maps @a (its allocation files, its dma-bufs' files)
 * points its f_mapping here, so that one unmap_mapping_range() zaps
 * every mapping of @a.
 */
void sp_alloc_mapping_init(struct sp_alloc *a)
{
	address_space_init_once(&a->mapping);
	a->mapping.host = sp_mapping_host;
}

/*
 * The page that backs @pgoff of a mapping: a mapping's pgoff is the
 * index in @a (sp_mmap() made it so; a dma-buf's is already).
 */
static struct page *sp_vma_page(struct sp_alloc *a, pgoff_t pgoff)
{
	if (pgoff >= a->nr_pages)
		return NULL;
	return READ_ONCE(a->pages[pgoff]);
}

/*
 * ZONE_MOVABLE pages (CXL memory onlined by dax/kmem) go in as special
 * entries: GUP finds no struct page behind them and fails, where a
 * normal entry would send a long-term pin into the kernel's endless
 * migrate-and-retry loop for pages that cannot move.
 */
static vm_fault_t sp_map_pte(struct vm_area_struct *vma, unsigned long addr,
			     struct page *page)
{
	if (is_zone_movable_page(page))
		return vmf_insert_mixed(vma, addr, page_to_pfn_t(page));
	return vmf_insert_page(vma, addr, page);
}

/*
 * P2PDMA pages go in as normal pages, as the kernel's own p2pmem
 * "allocate" file maps them.  As for BARs, the revocation zaps under
 * @revoke_sem, and hands the pages back to the driver right after.
 */
static vm_fault_t sp_p2pmem_fault(struct vm_fault *vmf, struct sp_alloc *a)
{
	struct page *page;
	vm_fault_t ret;

	down_read(&a->revoke_sem);
	page = sp_alloc_revoked(a) ? NULL : sp_vma_page(a, vmf->pgoff);
	ret = page ? vmf_insert_page(vmf->vma, vmf->address, page) :
		     VM_FAULT_SIGBUS;
	up_read(&a->revoke_sem);
	return ret;
}

/*
 * A move (move.c) swaps pages under @revoke_sem held for writing, after
 * zapping their mappings: a fault maps the page before the zap (which
 * removes it) or the new page after the swap, never a page being copied.
 */
static vm_fault_t sp_vm_fault(struct vm_fault *vmf)
{
	struct sp_alloc *a = vmf->vma->vm_private_data;
	struct page *page;
	vm_fault_t ret;

	if (a->backing == SP_BACKING_P2PMEM)
		return sp_p2pmem_fault(vmf, a);
	down_read(&a->revoke_sem);
	atomic_long_inc(&a->map_seq);
	page = sp_vma_page(a, vmf->pgoff);
	/* A page tiering unmapped to sample it is in use: count it. */
	sp_tier_fault(a, vmf->pgoff, page);
	ret = page ? sp_map_pte(vmf->vma, vmf->address, page) :
		     VM_FAULT_SIGBUS;
	up_read(&a->revoke_sem);
	return ret;
}

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/*
 * The 2 MiB page to map at @haddr by one PMD, or NULL: the VMA must cover
 * all of it, the address must match a 2 MiB boundary of the allocation,
 * and the page there must be a 2 MiB page of a normal zone.  6.12's slow
 * GUP follows special PMDs to their page, so a ZONE_MOVABLE page mapped
 * this way would bring back the endless long-term pin: those are mapped
 * 4 KiB at a time instead.
 */
static struct page *sp_vma_huge_page(struct vm_area_struct *vma,
				     unsigned long haddr)
{
	struct sp_alloc *a = vma->vm_private_data;
	struct page *page;
	pgoff_t pgoff;

	if (a->backing != SP_BACKING_PAGES ||
	    haddr < vma->vm_start || vma->vm_end - haddr < PMD_SIZE)
		return NULL;
	pgoff = linear_page_index(vma, haddr);
	if (!IS_ALIGNED(pgoff, HPAGE_PMD_NR))
		return NULL;
	page = sp_vma_page(a, pgoff);
	if (!page || !PageHead(page) ||
	    folio_order(page_folio(page)) != HPAGE_PMD_ORDER ||
	    is_zone_movable_page(page))
		return NULL;
	return page;
}

/* Under @revoke_sem, as sp_vm_fault(): a move may be swapping the page. */
static vm_fault_t sp_vm_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct sp_alloc *a = vmf->vma->vm_private_data;
	struct page *page;
	vm_fault_t ret;

	if (order != PMD_ORDER)
		return VM_FAULT_FALLBACK;
	if (sp_alloc_revoked(a))
		return VM_FAULT_SIGBUS;
	down_read(&a->revoke_sem);
	atomic_long_inc(&a->map_seq);
	page = sp_vma_huge_page(vmf->vma, vmf->address & PMD_MASK);
	if (page)
		sp_tier_fault(a, linear_page_index(vmf->vma,
						   vmf->address & PMD_MASK),
			      page);
	ret = page ? vmf_insert_pfn_pmd(vmf, page_to_pfn_t(page),
					vmf->flags & FAULT_FLAG_WRITE) :
		     VM_FAULT_FALLBACK;
	up_read(&a->revoke_sem);
	return ret;
}
#endif

/*
 * A BAR page.  The revocation zaps mappings under @revoke_sem held for
 * writing: a fault that saw the allocation alive maps before the zap,
 * which then removes what it mapped.
 */
static vm_fault_t sp_bar_vm_fault(struct vm_fault *vmf)
{
	struct sp_alloc *a = vmf->vma->vm_private_data;
	unsigned long idx = vmf->pgoff;
	vm_fault_t ret;

	if (idx >= a->nr_pages)
		return VM_FAULT_SIGBUS;
	down_read(&a->revoke_sem);
	if (sp_alloc_revoked(a))
		ret = VM_FAULT_SIGBUS;
	else
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     PHYS_PFN(a->phys) + idx);
	up_read(&a->revoke_sem);
	return ret;
}

static const struct vm_operations_struct sp_bar_vm_ops = {
	.fault = sp_bar_vm_fault,
};

/**
 * sp_alloc_revoke() - the memory of an allocation went away
 * @a: an allocation of a peer member that is being torn down
 *
 * Zaps every user mapping of @a, those of its dma-bufs included; later
 * faults get SIGBUS.  Then invalidates the dma-bufs' importers
 * (sp_dmabuf_revoke()).  May sleep.
 */
void sp_alloc_revoke(struct sp_alloc *a)
{
	down_write(&a->revoke_sem);
	WRITE_ONCE(a->revoked, true);
	/* Its dma-bufs' CPU mappings too: their files map @mapping. */
	unmap_mapping_range(&a->mapping, 0, 0, 1);
	up_write(&a->revoke_sem);
	trace_scalepool_revoke(a, a->parts[0].m->id);
	/* Importers map under the reservation lock, taken before @revoke_sem. */
	sp_dmabuf_revoke(a);
}

static const struct vm_operations_struct sp_vm_ops = {
	.fault = sp_vm_fault,
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	.huge_fault = sp_vm_huge_fault,
#endif
};

/* Is @addr mapped by a PMD leaf?  A lockless peek, for populate only. */
static bool sp_pmd_mapped(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (pgd_none(pgdp_get(pgd)))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(p4dp_get(p4d)))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(pudp_get(pud)) || pud_leaf(pudp_get(pud)))
		return false;
	return pmd_leaf(pmdp_get_lockless(pmd_offset(pud, addr)));
}

/**
 * struct sp_populate - a mapping to fault in once mmap() is done
 * @work: queued on the task that called mmap()
 * @file: the new VMA's file, held: what tells the mapping apart from
 *        whatever is at its address by the time the work runs
 * @start: first address of the mapping
 * @end: its end
 */
struct sp_populate {
	struct callback_head work;
	struct file *file;
	unsigned long start;
	unsigned long end;
};

/*
 * Fault in the pages of the mapping at *@addr up to the next 2 MiB
 * boundary (or the end), through the same handlers as a user fault, so
 * that revocation and 2 MiB PMDs work as they do there.  The mmap lock
 * is held for reading.
 * Return: 0, or -ENOENT when the mapping is gone or no longer readable,
 * -EFAULT when a page could not be mapped (a revoked allocation).
 */
static int sp_populate_chunk(struct mm_struct *mm, struct sp_populate *w,
			     unsigned long *addr)
{
	struct vm_area_struct *vma;
	unsigned int flags;
	unsigned long end;
	vm_fault_t ret;

	mmap_assert_locked(mm);
	vma = vma_lookup(mm, *addr);
	if (!vma || vma->vm_file != w->file ||
	    !(vma->vm_flags & (VM_READ | VM_WRITE)))
		return -ENOENT;
	flags = (vma->vm_flags & VM_WRITE) ? FAULT_FLAG_WRITE : 0;
	end = min3(vma->vm_end, w->end, ALIGN(*addr + 1, PMD_SIZE));
	while (*addr < end) {
		ret = handle_mm_fault(vma, *addr, flags, NULL);
		if (ret & VM_FAULT_ERROR)
			return -EFAULT;
		if (sp_pmd_mapped(mm, *addr))
			*addr = ALIGN(*addr + 1, PMD_SIZE);
		else
			*addr += PAGE_SIZE;
	}
	return 0;
}

/*
 * Runs as the task returns from mmap() to user space, when the VMA is in
 * the file's i_mmap tree: a revocation from then on finds and zaps what
 * is mapped here, and a fault here that comes after it gets SIGBUS (the
 * fault handlers check under @revoke_sem).  The mmap lock is taken for
 * reading 2 MiB at a time, so that a huge mapping lets writers in,
 * reschedules, and stops on a fatal signal.
 */
static void sp_populate_work(struct callback_head *head)
{
	struct sp_populate *w = container_of(head, struct sp_populate, work);
	struct mm_struct *mm = current->mm;
	unsigned long addr = w->start;
	int ret = 0;

	/* Also run, with no mm to fill, when the task exits first. */
	while (mm && !(current->flags & PF_EXITING) && !ret &&
	       addr < w->end) {
		if (fatal_signal_pending(current) ||
		    mmap_read_lock_killable(mm))
			break;
		ret = sp_populate_chunk(mm, w, &addr);
		mmap_read_unlock(mm);
		cond_resched();
	}
	fput(w->file);
	kfree(w);
}

/*
 * SCALEPOOL_ALLOC_POPULATE.  ->mmap runs before 6.12's __mmap_region()
 * links the VMA into the file's i_mmap tree (vma_link_file()), so pages
 * mapped from here would escape a revocation that came in between, and
 * a failure here would make a MAP_FIXED mmap() leave a hole where the
 * old mapping was.  MAP_POPULATE and MADV_POPULATE_* cannot do it either:
 * GUP refuses VM_PFNMAP and VM_IO VMAs (BARs).  So the VMA is filled by
 * task work that runs once mmap() is complete, before the task returns
 * to user space.  Best effort, as MAP_POPULATE: nothing here makes the
 * mmap() fail.
 */
static void sp_populate_queue(struct vm_area_struct *vma)
{
	struct sp_populate *w;

	if (!(vma->vm_flags & (VM_READ | VM_WRITE)) ||
	    vma->vm_mm != current->mm || (current->flags & PF_KTHREAD))
		return;
	w = kmalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return;
	init_task_work(&w->work, sp_populate_work);
	w->file = get_file(vma->vm_file);
	w->start = vma->vm_start;
	w->end = vma->vm_end;
	if (task_work_add(current, &w->work, TWA_RESUME)) {
		fput(w->file);
		kfree(w);
	}
}

/**
 * sp_mmap_setup() - make a new VMA map (part of) an allocation
 * @a: the allocation; vma->vm_file must keep it alive for the VMA's life
 * @vma: the new VMA, within @a; vm_pgoff is the index in @a of the
 *       first page it maps
 *
 * The one way an allocation is mapped, for mmap() of /dev/scalepool and
 * of a dma-buf of the allocation (dmabuf.c) alike.  Maps nothing itself:
 * SCALEPOOL_ALLOC_POPULATE fills the mapping after mmap() completes.
 *
 * Return: 0.
 */
int sp_mmap_setup(struct sp_alloc *a, struct vm_area_struct *vma)
{
	if (a->backing == SP_BACKING_BAR) {
		/* Device memory: no struct page, write-combined. */
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			     VM_DONTDUMP);
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
		vma->vm_ops = &sp_bar_vm_ops;
	} else {
		/* VM_HUGEPAGE: PMDs also when THP is set to "madvise". */
		vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP |
			     VM_HUGEPAGE);
		vma->vm_ops = &sp_vm_ops;
	}
	vma->vm_private_data = a;

	if (a->flags & SCALEPOOL_ALLOC_POPULATE)
		sp_populate_queue(vma);
	return 0;
}

/**
 * sp_mmap() - map (part of) an allocation of an open /dev/scalepool
 * @sf: the device file's state
 * @vma: the new VMA; vm_pgoff lies in the range of @sf's offset space
 *       that ALLOC gave the allocation (sp_file_reserve())
 *
 * Shared mappings only, within the allocation.  The VMA gets its own
 * allocation file in place of the device file, and its vm_pgoff becomes
 * the index in the allocation of its first page, as for a dma-buf's
 * mapping, so that the fault handlers and unmap_mapping_range() on the
 * allocation's @mapping see one numbering whatever the offset was.
 *
 * Return: 0, -EINVAL for a private mapping, an offset that names no
 * allocation of @sf, or a range past its end; -ENOMEM.
 */
int sp_mmap(struct sp_file *sf, struct vm_area_struct *vma)
{
	unsigned long start, end;
	struct sp_alloc *a;
	struct file *file;
	int ret = -EINVAL;

	/* A read-only MAP_SHARED of an O_RDONLY fd has VM_MAYSHARE only. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	a = sp_file_get_pgoff(sf, vma->vm_pgoff);
	if (!a)
		return -EINVAL;
	start = vma->vm_pgoff - a->pgoff;
	if (check_add_overflow(start, vma_pages(vma), &end) ||
	    end > a->nr_pages)
		goto err_put;

	file = anon_inode_getfile("[scalepool]", &sp_alloc_fops, a, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put;
	}
	/* From here the file owns the reference. */
	file->f_mapping = &a->mapping;
	vma_set_file(vma, file);
	fput(file);
	/* As DRM does with its fake offsets. */
	vma->vm_pgoff = start;
	return sp_mmap_setup(a, vma);

err_put:
	sp_alloc_put(a);
	return ret;
}
