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
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "scalepool.h"

static int sp_open(struct inode *inode, struct file *filp)
{
	struct sp_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	/* Handle 0 is never valid, so a zeroed field never names one. */
	xa_init_flags(&sf->allocs, XA_FLAGS_ALLOC1);
	atomic_set(&sf->nr_allocs, 0);
	atomic64_set(&sf->bytes, 0);

	/* misc_open() left the miscdevice here; we do not need it. */
	filp->private_data = sf;
	return nonseekable_open(inode, filp);
}

/*
 * Runs at the last close, even while mappings of the file's allocations
 * live: each mapping holds its allocation through a file of its own
 * (mmap.c), so only the handles' references go here.
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
	kfree(sf);
	return 0;
}

/**
 * sp_file_reserve() - reserve a handle in an open file
 * @sf: the file's state
 * @handle: out: the handle, which names nothing until sp_file_publish()
 *
 * ALLOC reserves the handle, tells user space, and publishes the
 * allocation only once user space has it, so that an ALLOC whose answer
 * cannot be written back leaves nothing behind.
 *
 * Return: 0, or -ENOSPC when the file has SP_HANDLE_MAX handles, -ENOMEM.
 */
int sp_file_reserve(struct sp_file *sf, u32 *handle)
{
	int ret;

	ret = xa_alloc(&sf->allocs, handle, NULL, XA_LIMIT(1, SP_HANDLE_MAX),
		       GFP_KERNEL_ACCOUNT);
	return ret == -EBUSY ? -ENOSPC : ret;
}

/**
 * sp_file_unreserve() - give back a handle that sp_file_reserve() gave
 * @sf: the file's state
 * @handle: the reserved handle
 */
void sp_file_unreserve(struct sp_file *sf, u32 handle)
{
	/* Erases only the reservation, never what another ALLOC put there. */
	xa_release(&sf->allocs, handle);
}

/**
 * sp_file_publish() - make a reserved handle name an allocation
 * @sf: the file's state
 * @handle: a handle from sp_file_reserve()
 * @a: the allocation; its reference passes to the file on success
 *
 * Return: 0, or a negative errno (the reservation is not there: a bug)
 * and then the caller still owns @a.
 */
int sp_file_publish(struct sp_file *sf, u32 handle, struct sp_alloc *a)
{
	XA_STATE(xas, &sf->allocs, handle);
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
 * sp_file_remove() - take a handle away from an open file
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

	/* A reserved handle (an ALLOC in progress) names nothing yet. */
	xas_lock(&xas);
	a = xas_load(&xas);
	if (a && !xa_is_zero(a))
		xas_store(&xas, NULL);
	else
		a = NULL;
	xas_unlock(&xas);

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

	ret = sp_alloc_init();
	if (ret)
		goto err_sysfs;

	ret = sp_members_init();
	if (ret)
		goto err_alloc;

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
err_alloc:
	sp_alloc_exit();
err_sysfs:
	sp_sysfs_exit();
	return ret;
}

static void __exit sp_exit(void)
{
	misc_deregister(&sp_miscdev);
	sp_p2pmem_exit();
	sp_pci_exit();
	sp_hotplug_exit();
	sp_members_exit();
	sp_alloc_exit();
	sp_sysfs_exit();
}

module_init(sp_init);
module_exit(sp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("One memory pool over DRAM, CXL and PCIe-attached memory");
MODULE_AUTHOR("scalepool developers");
