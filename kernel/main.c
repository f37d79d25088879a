// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: one memory pool over DRAM, CXL and PCIe-attached memory.
 *
 * Module init and exit, and the /dev/scalepool misc device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/lockdep.h>
#include <linux/maple_tree.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "scalepool.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int sp_open(struct inode *inode, struct file *filp)
{
	struct sp_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	mutex_init(&sf->lock);
	/* Handle 0 is never valid, so a zeroed field never names one. */
	xa_init_flags(&sf->allocs, XA_FLAGS_ALLOC1);
	sf->next_handle = 1;
	mt_init_flags(&sf->offsets, MT_FLAGS_ALLOC_RANGE | MT_FLAGS_LOCK_EXTERN);
	mt_set_external_lock(&sf->offsets, &sf->lock);
	sf->next_pgoff = SP_PGOFF_FIRST;
	atomic_set(&sf->nr_allocs, 0);
	atomic64_set(&sf->bytes, 0);

	/* misc_open() left the miscdevice here; we do not need it. */
	filp->private_data = sf;
	return nonseekable_open(inode, filp);
}

/*
 * Runs at the last close, even while mappings of the file's allocations
 * live: each mapping holds its allocation through a file of its own
 * (mmap.c), so only the handles' references go here.  Nothing can look
 * an offset up any more, so the offset space goes in one piece.
 */
static int sp_release(struct inode *inode, struct file *filp)
{
	struct sp_file *sf = filp->private_data;
	struct sp_alloc *a;
	unsigned long handle;

	xa_for_each(&sf->allocs, handle, a) {
		xa_erase(&sf->allocs, handle);
		sp_alloc_put(a);
		cond_resched();
	}
	xa_destroy(&sf->allocs);
	mutex_lock(&sf->lock);
	__mt_destroy(&sf->offsets);
	mutex_unlock(&sf->lock);
	mutex_destroy(&sf->lock);
	kfree(sf);
	return 0;
}

/*
 * Store @a's handle over a free range of @span pages of the offset space
 * at or above @lo.  Return: the start of the range, or 0 with the error
 * in @err (-EBUSY when no range is free, -ENOMEM).
 */
static unsigned long sp_offsets_insert(struct sp_file *sf, struct sp_alloc *a,
				       unsigned long lo, unsigned long span,
				       int *err)
{
	MA_STATE(mas, &sf->offsets, 0, 0);
	unsigned long start;

	/* mas_empty_area() says EINVAL when [lo, last] is shorter: full. */
	if (lo < SP_PGOFF_FIRST || lo > SP_PGOFF_LAST ||
	    SP_PGOFF_LAST - lo < span - 1) {
		*err = -EBUSY;
		return 0;
	}
	*err = mas_empty_area(&mas, lo, SP_PGOFF_LAST, span);
	if (*err)
		return 0;
	start = mas.index;
	mas_set_range(&mas, start, start + span - 1);
	*err = mas_store_gfp(&mas, xa_mk_value(a->handle), GFP_KERNEL_ACCOUNT);
	return *err ? 0 : start;
}

/*
 * Give @a a range of the offset space: the first free one from the
 * cursor on, and from the start of the space only when there is none up
 * to its end.  So a freed range comes back only once the cursor went
 * round the whole space, and a stale offset names nothing meanwhile,
 * as a stale handle does (xa_alloc_cyclic()); lowest-first reuse would
 * hand the range of an allocation just freed to the next ALLOC.
 */
static int sp_file_alloc_offset(struct sp_file *sf, struct sp_alloc *a)
{
	unsigned long align = 1, span, start;
	int ret;

	lockdep_assert_held(&sf->lock);
	/* Aligned by taking the slack into the range; FREE takes it all. */
	if (a->nr_pages >= SP_PGOFF_HUGE)
		align = SP_PGOFF_HUGE;
	if (check_add_overflow(a->nr_pages, align - 1, &span))
		return -ENOSPC;

	start = sp_offsets_insert(sf, a, sf->next_pgoff, span, &ret);
	if (ret == -EBUSY)
		start = sp_offsets_insert(sf, a, SP_PGOFF_FIRST, span, &ret);
	if (ret)
		return ret == -EBUSY ? -ENOSPC : ret;
	a->pgoff = ALIGN(start, align);
	/* Past SP_PGOFF_LAST (or wrapped to 0): the next search wraps. */
	sf->next_pgoff = start + span;
	return 0;
}

/*
 * Take @a's range, slack included, out of the offset space.  Writing
 * NULL may need a node; when none can be had, the range stays taken by
 * a handle that names nothing (or, after the handles wrap, an allocation
 * elsewhere, which sp_file_get_pgoff() tells apart): offsets lost until
 * close, nothing worse.
 */
static void sp_file_free_offset(struct sp_file *sf, struct sp_alloc *a)
{
	MA_STATE(mas, &sf->offsets, a->pgoff, a->pgoff);

	lockdep_assert_held(&sf->lock);
	if (WARN_ON_ONCE(mas_walk(&mas) != xa_mk_value(a->handle)))
		return;
	mas_store_gfp(&mas, NULL, GFP_KERNEL);
}

/**
 * sp_file_reserve() - reserve a handle and an mmap offset in an open file
 * @sf: the file's state
 * @a: the allocation; its @handle and @pgoff are set here
 *
 * ALLOC reserves the handle, tells user space, and publishes the
 * allocation only once user space has it, so that an ALLOC whose answer
 * cannot be written back leaves nothing behind.  Until then neither the
 * handle nor the offset names it.
 *
 * Handles come from a cyclic allocator and offsets from a cursor over
 * the offset space, so that neither names a newer allocation soon after
 * FREE (see the UAPI header).
 *
 * Return: 0, or -ENOSPC when the file has no free handle or no free
 * range of offsets for @a, -ENOMEM.
 */
int sp_file_reserve(struct sp_file *sf, struct sp_alloc *a)
{
	int ret;

	mutex_lock(&sf->lock);
	/* INT_MAX: the offset space stores handles as xarray values. */
	ret = xa_alloc_cyclic(&sf->allocs, &a->handle, NULL,
			      XA_LIMIT(1, INT_MAX), &sf->next_handle,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto out_unlock;
	ret = sp_file_alloc_offset(sf, a);
	if (ret)
		xa_release(&sf->allocs, a->handle);
out_unlock:
	mutex_unlock(&sf->lock);
	if (ret == -EBUSY)
		return -ENOSPC;
	return ret < 0 ? ret : 0;
}

/**
 * sp_file_unreserve() - give back what sp_file_reserve() gave
 * @sf: the file's state
 * @a: the allocation, not published
 */
void sp_file_unreserve(struct sp_file *sf, struct sp_alloc *a)
{
	mutex_lock(&sf->lock);
	sp_file_free_offset(sf, a);
	/* Erases only the reservation, never what another ALLOC put there. */
	xa_release(&sf->allocs, a->handle);
	mutex_unlock(&sf->lock);
}

/**
 * sp_file_publish() - make a reserved handle and offset name an allocation
 * @sf: the file's state
 * @a: the allocation, reserved by sp_file_reserve(); its reference passes
 *     to the file on success
 *
 * Return: 0, or a negative errno (the reservation is not there: a bug)
 * and then the caller still owns @a.
 */
int sp_file_publish(struct sp_file *sf, struct sp_alloc *a)
{
	XA_STATE(xas, &sf->allocs, a->handle);
	int ret = 0;

	/* Counted first, so that a racing FREE never sees them negative. */
	atomic_inc(&sf->nr_allocs);
	atomic64_add(a->length, &sf->bytes);

	/* Storing over the reservation's zero entry allocates nothing. */
	xas_lock(&xas);
	if (xa_is_zero(xas_load(&xas))) {
		xas_store(&xas, a);
		ret = xas_error(&xas);
	} else {
		ret = -ENOENT;
	}
	xas_unlock(&xas);

	if (ret) {
		atomic64_sub(a->length, &sf->bytes);
		atomic_dec(&sf->nr_allocs);
	}
	return ret;
}

/**
 * sp_file_remove() - take a handle and its offset away from an open file
 * @sf: the file's state
 * @handle: the handle
 *
 * Return: the allocation, whose reference passes to the caller, or NULL
 * when @handle names nothing in @sf.
 */
struct sp_alloc *sp_file_remove(struct sp_file *sf, u32 handle)
{
	XA_STATE(xas, &sf->allocs, handle);
	struct sp_alloc *a;

	mutex_lock(&sf->lock);
	/* A reserved handle (an ALLOC in progress) names nothing yet. */
	xas_lock(&xas);
	a = xas_load(&xas);
	if (a && !xa_is_zero(a))
		xas_store(&xas, NULL);
	else
		a = NULL;
	xas_unlock(&xas);
	if (a)
		sp_file_free_offset(sf, a);
	mutex_unlock(&sf->lock);

	if (a) {
		atomic64_sub(a->length, &sf->bytes);
		atomic_dec(&sf->nr_allocs);
	}
	return a;
}

/**
 * sp_file_get() - look a handle up and take a reference on its allocation
 * @sf: the file's state
 * @handle: the handle
 *
 * Return: the allocation, to be released with sp_alloc_put(), or NULL.
 */
struct sp_alloc *sp_file_get(struct sp_file *sf, u32 handle)
{
	struct sp_alloc *a;

	/* Under the lock FREE erases with: the handle's reference is there. */
	xa_lock(&sf->allocs);
	a = xa_load(&sf->allocs, handle);
	if (a)
		kref_get(&a->ref);
	xa_unlock(&sf->allocs);
	return a;
}

/**
 * sp_file_get_pgoff() - look an mmap offset up
 * @sf: the file's state
 * @pgoff: an offset in pages, as mmap() got it
 *
 * Context: may sleep; takes @sf->lock (under the mmap lock).
 * Return: the published allocation whose pages @pgoff lies in, with a
 * reference (release with sp_alloc_put()), or NULL.
 */
struct sp_alloc *sp_file_get_pgoff(struct sp_file *sf, unsigned long pgoff)
{
	struct sp_alloc *a = NULL;
	void *entry;

	mutex_lock(&sf->lock);
	entry = mtree_load(&sf->offsets, pgoff);
	if (xa_is_value(entry))
		a = sp_file_get(sf, xa_to_value(entry));
	mutex_unlock(&sf->lock);
	/* The alignment slack before the start, or a range FREE lost. */
	if (a && (pgoff < a->pgoff || pgoff - a->pgoff >= a->nr_pages)) {
		sp_alloc_put(a);
		a = NULL;
	}
	return a;
}

static int sp_fop_mmap(struct file *filp, struct vm_area_struct *vma)
{
	return sp_mmap(filp->private_data, vma);
}

/*
 * Allocations of @sf that have a dma-buf, and their bytes.  Under the
 * lock FREE erases with, so every entry seen holds its allocation.
 */
static void sp_file_count_exported(struct sp_file *sf, unsigned long *nr,
				   u64 *bytes)
{
	XA_STATE(xas, &sf->allocs, 0);
	struct sp_alloc *a;

	*nr = 0;
	*bytes = 0;
	xas_lock(&xas);
	xas_for_each(&xas, a, ULONG_MAX) {
		if (xa_is_zero(a) || !sp_dmabuf_exported(a))
			continue;
		(*nr)++;
		*bytes += a->length;
	}
	xas_unlock(&xas);
}

/*
 * One line per live allocation of @sf: its handle (what MIGRATE of
 * another process's allocation names, through pidfd_getfd()), length,
 * mmap offset and policy.  Under the lock FREE erases with, as above:
 * a spinlock, fine for seq_printf() into the seq_file's kernel buffer.
 * Reserved entries (ALLOCs in progress) name nothing yet.
 */
static void sp_show_fdinfo_allocs(struct seq_file *m, struct sp_file *sf)
{
	XA_STATE(xas, &sf->allocs, 0);
	struct sp_alloc *a;

	xas_lock(&xas);
	xas_for_each(&xas, a, ULONG_MAX) {
		if (xa_is_zero(a))
			continue;
		seq_printf(m, "scalepool-allocation:\thandle=%u length=%llu offset=%llu policy=%u\n",
			   a->handle, a->length, (u64)a->pgoff << PAGE_SHIFT,
			   READ_ONCE(a->policy));
	}
	xas_unlock(&xas);
}

/* Read by libpool's pool_fd_stat() and poolctl stat: keep the keys. */
static void sp_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct sp_file *sf = filp->private_data;
	unsigned long exported;
	u64 exported_bytes;

	sp_file_count_exported(sf, &exported, &exported_bytes);
	seq_printf(m, "scalepool-allocations:\t%d\n",
		   atomic_read(&sf->nr_allocs));
	seq_printf(m, "scalepool-bytes:\t%lld\n",
		   (long long)atomic64_read(&sf->bytes));
	seq_printf(m, "scalepool-exported:\t%lu\n", exported);
	seq_printf(m, "scalepool-exported-bytes:\t%llu\n", exported_bytes);
	sp_show_fdinfo_allocs(m, sf);
}

static const struct file_operations sp_fops = {
	.owner = THIS_MODULE,
	.open = sp_open,
	.release = sp_release,
	.unlocked_ioctl = sp_ioctl,
	/* Every struct has the same layout for 32-bit user space. */
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = sp_fop_mmap,
	/* 2 MiB-aligned addresses, so that 2 MiB pages get PMDs. */
	.get_unmapped_area = thp_get_unmapped_area,
	.show_fdinfo = sp_show_fdinfo,
};

static struct miscdevice sp_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "scalepool",
	.fops = &sp_fops,
	/* root only; a udev rule may grant a group */
	.mode = 0600,
};

/*
 * sysfs first, because members are published there as they are found;
 * the device last, so that nothing reaches the pool before it is whole.
 */
static int __init sp_init(void)
{
	int ret;

	sp_ioctl_init();
	/* Nothing to undo: it only finds an inode that is never freed. */
	ret = sp_mmap_init();
	if (ret)
		return ret;

	ret = sp_sysfs_init();
	if (ret)
		return ret;

	ret = sp_pages_init();
	if (ret)
		goto err_sysfs;

	ret = sp_members_init();
	if (ret)
		goto err_pages;

	ret = sp_hotplug_init();
	if (ret)
		goto err_members;

	ret = sp_pci_init();
	if (ret)
		goto err_hotplug;

	ret = sp_p2pmem_init();
	if (ret)
		goto err_pci;

	ret = misc_register(&sp_miscdev);
	if (ret)
		goto err_p2pmem;

	pr_info("loaded, %u members\n", sp_members_count());
	return 0;

err_p2pmem:
	sp_p2pmem_exit();
err_pci:
	sp_pci_exit();
err_hotplug:
	sp_hotplug_exit();
err_members:
	sp_members_exit();
err_pages:
	sp_pages_exit();
err_sysfs:
	sp_sysfs_exit();
	return ret;
}

static void __exit sp_exit(void)
{
	misc_deregister(&sp_miscdev);
	/* Before the members: a pass holds references on some. */
	sp_tier_exit();
	sp_p2pmem_exit();
	sp_pci_exit();
	sp_hotplug_exit();
	sp_members_exit();
	sp_pages_exit();
	sp_sysfs_exit();
}

module_init(sp_init);
module_exit(sp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("One memory pool over DRAM, CXL and PCIe-attached memory");
MODULE_AUTHOR("scalepool developers");
