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
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "scalepool.h"

static int sp_open(struct inode *inode, struct file *filp)
{
	struct sp_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	/* Handle 0 is never valid, so a zeroed field never names one. */
	xa_init_flags(&sf->allocs, XA_FLAGS_ALLOC1);

	/* misc_open() left the miscdevice here; we do not need it. */
	filp->private_data = sf;
	return nonseekable_open(inode, filp);
}

static int sp_release(struct inode *inode, struct file *filp)
{
	struct sp_file *sf = filp->private_data;

	xa_destroy(&sf->allocs);
	kfree(sf);
	return 0;
}

static const struct file_operations sp_fops = {
	.owner = THIS_MODULE,
	.open = sp_open,
	.release = sp_release,
	.unlocked_ioctl = sp_ioctl,
	/* Every struct has the same layout for 32-bit user space. */
	.compat_ioctl = compat_ptr_ioctl,
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

	ret = sp_sysfs_init();
	if (ret)
		return ret;

	ret = sp_members_init();
	if (ret)
		goto err_sysfs;

	ret = sp_hotplug_init();
	if (ret)
		goto err_members;

	ret = misc_register(&sp_miscdev);
	if (ret)
		goto err_hotplug;

	pr_info("loaded, %u members\n", sp_members_count());
	return 0;

err_hotplug:
	sp_hotplug_exit();
err_members:
	sp_members_exit();
err_sysfs:
	sp_sysfs_exit();
	return ret;
}

static void __exit sp_exit(void)
{
	misc_deregister(&sp_miscdev);
	sp_hotplug_exit();
	sp_members_exit();
	sp_sysfs_exit();
}

module_init(sp_init);
module_exit(sp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("One memory pool over DRAM, CXL and PCIe-attached memory");
MODULE_AUTHOR("scalepool developers");
