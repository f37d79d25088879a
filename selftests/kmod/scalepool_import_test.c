// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool_import_test: a small dma-buf importer, so that the tests
 * exercise what a driver importing a scalepool dma-buf gets, not only
 * the export.  See scalepool_import_test.h for the ioctl.
 *
 * The importing device is a platform device of this module with a 64-bit
 * DMA mask: dma-direct maps page-backed memory to its physical address,
 * so the module can read what the device would see through memremap()
 * of each DMA range.  For memory behind PCI devices (peer-to-peer) the
 * importer must be a PCI device: the module's PCI driver has no ids, a
 * test binds a device to it through driver_override, and SP_IMPORT_PCI
 * imports with that device.  A device behind an IOMMU would get I/O virtual
 * addresses instead; the module then refuses (EOPNOTSUPP) rather than
 * read the wrong memory, unless asked only for the addresses
 * (SP_IMPORT_ADDR_ONLY).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "scalepool_import_test.h"

MODULE_IMPORT_NS(DMA_BUF);

static struct platform_device *sp_import_pdev;

/* The PCI device bound to the module's driver, if any; under the lock. */
static DEFINE_MUTEX(sp_import_pci_lock);
static struct pci_dev *sp_import_pci;

static u64 sp_fnv64(u64 hash, const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= SP_FNV64_PRIME;
	}
	return hash;
}

/*
 * Fold the bytes at DMA range [@addr, @addr + @len) into @hash, reading
 * them where the device would: RAM through the kernel's own mapping,
 * device memory write-combined.
 */
static int sp_import_read(dma_addr_t addr, unsigned int len, u64 *hash)
{
	unsigned long flags = MEMREMAP_WC;
	void *p;

	if (region_intersects(addr, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) == REGION_INTERSECTS)
		flags = MEMREMAP_WB;
	p = memremap(addr, len, flags);
	if (!p)
		return -ENXIO;
	*hash = sp_fnv64(*hash, p, len);
	memunmap(p);
	return 0;
}

/* Walk the DMA side of @sgt: count, sum and checksum its segments. */
static int sp_import_walk(struct sg_table *sgt, struct sp_import_check *c)
{
	struct scatterlist *sg;
	unsigned int i;
	int ret;

	c->checksum = SP_FNV64_OFFSET;
	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (!c->nents)
			c->dma_addr = sg_dma_address(sg);
		ret = c->flags & SP_IMPORT_ADDR_ONLY ? 0 :
		      sp_import_read(sg_dma_address(sg), sg_dma_len(sg),
				     &c->checksum);
		if (ret)
			return ret;
		c->length += sg_dma_len(sg);
		c->nents++;
		cond_resched();
	}
	return 0;
}

static void sp_import_move_notify(struct dma_buf_attachment *attach)
{
	/* The mapping lives only for the ioctl; nothing to invalidate. */
}

static const struct dma_buf_attach_ops sp_import_p2p_ops = {
	.allow_peer2peer = true,
	.move_notify = sp_import_move_notify,
};

static int sp_import_check_dev(struct device *dev, struct sp_import_check *c)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	int ret;

	if (device_iommu_mapped(dev) && !(c->flags & SP_IMPORT_ADDR_ONLY))
		return -EOPNOTSUPP;

	dmabuf = dma_buf_get(c->fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	c->size = dmabuf->size;

	if (c->flags & SP_IMPORT_P2P)
		attach = dma_buf_dynamic_attach(dmabuf, dev, &sp_import_p2p_ops,
						NULL);
	else
		attach = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto out_put;
	}

	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out_detach;
	}
	ret = sp_import_walk(sgt, c);
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
out_detach:
	dma_buf_detach(dmabuf, attach);
out_put:
	dma_buf_put(dmabuf);
	return ret;
}

static int sp_import_check(struct sp_import_check *c)
{
	int ret;

	if (c->flags & ~(SP_IMPORT_P2P | SP_IMPORT_PCI | SP_IMPORT_ADDR_ONLY) ||
	    c->__reserved)
		return -EINVAL;
	if (!(c->flags & SP_IMPORT_PCI))
		return sp_import_check_dev(&sp_import_pdev->dev, c);

	/* The lock keeps the device bound while it imports. */
	mutex_lock(&sp_import_pci_lock);
	if (sp_import_pci)
		ret = sp_import_check_dev(&sp_import_pci->dev, c);
	else
		ret = -ENODEV;
	mutex_unlock(&sp_import_pci_lock);
	return ret;
}

/**
 * struct sp_import_held - the attachment an open file holds
 * @lock: serialises ATTACH, MAP and DETACH of the file
 * @dmabuf: the dma-buf, with a reference; NULL when nothing is held
 * @attach: its attachment
 * @dev: the importing device, with a reference
 * @sgt: the mapping held, or NULL; under the dma-buf's reservation lock
 * @keep: SP_IMPORT_KEEP: move_notify leaves @sgt mapped
 * @notified: move_notify calls; under the reservation lock
 */
struct sp_import_held {
	struct mutex lock;	/* serialises ATTACH, MAP, DETACH */
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct device *dev;
	struct sg_table *sgt;
	bool keep;
	unsigned int notified;
};

static void sp_import_held_notify(struct dma_buf_attachment *attach)
{
	struct sp_import_held *h = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	h->notified++;
	if (h->sgt && !h->keep) {
		dma_buf_unmap_attachment(attach, h->sgt, DMA_BIDIRECTIONAL);
		h->sgt = NULL;
	}
}

static const struct dma_buf_attach_ops sp_import_held_ops = {
	.allow_peer2peer = true,
	.move_notify = sp_import_held_notify,
};

/* The importing device @flags name, with a reference. */
static struct device *sp_import_dev_get(u32 flags)
{
	struct device *dev = NULL;

	if (!(flags & SP_IMPORT_PCI))
		return get_device(&sp_import_pdev->dev);
	mutex_lock(&sp_import_pci_lock);
	if (sp_import_pci)
		dev = get_device(&sp_import_pci->dev);
	mutex_unlock(&sp_import_pci_lock);
	return dev;
}

/* Map @h's attachment if it holds no mapping; 0 or the exporter's error. */
static int sp_import_held_map(struct sp_import_held *h)
{
	struct sg_table *sgt;
	int ret = 0;

	dma_resv_lock(h->dmabuf->resv, NULL);
	if (!h->sgt) {
		sgt = dma_buf_map_attachment(h->attach, DMA_BIDIRECTIONAL);
		if (IS_ERR(sgt))
			ret = PTR_ERR(sgt);
		else
			h->sgt = sgt;
	}
	dma_resv_unlock(h->dmabuf->resv);
	return ret;
}

static void sp_import_held_release(struct sp_import_held *h)
{
	if (!h->dmabuf)
		return;
	dma_resv_lock(h->dmabuf->resv, NULL);
	if (h->sgt)
		dma_buf_unmap_attachment(h->attach, h->sgt, DMA_BIDIRECTIONAL);
	h->sgt = NULL;
	dma_resv_unlock(h->dmabuf->resv);
	dma_buf_detach(h->dmabuf, h->attach);
	dma_buf_put(h->dmabuf);
	put_device(h->dev);
	h->dmabuf = NULL;
	h->attach = NULL;
	h->dev = NULL;
}

static int sp_import_held_attach(struct sp_import_held *h,
				 struct sp_import_hold *u)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	struct device *dev;
	int ret;

	if (u->flags & ~(SP_IMPORT_P2P | SP_IMPORT_PCI | SP_IMPORT_KEEP) ||
	    u->__reserved)
		return -EINVAL;
	if (h->dmabuf)
		return -EBUSY;
	dev = sp_import_dev_get(u->flags);
	if (!dev)
		return -ENODEV;
	dmabuf = dma_buf_get(u->fd);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_dev;
	}
	if (u->flags & SP_IMPORT_P2P)
		attach = dma_buf_dynamic_attach(dmabuf, dev,
						&sp_import_held_ops, h);
	else
		attach = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(attach)) {
		ret = PTR_ERR(attach);
		goto err_put;
	}
	h->dmabuf = dmabuf;
	h->attach = attach;
	h->dev = dev;
	h->keep = u->flags & SP_IMPORT_KEEP;
	h->notified = 0;
	u->size = dmabuf->size;
	ret = sp_import_held_map(h);
	if (ret)
		sp_import_held_release(h);
	return ret;

err_put:
	dma_buf_put(dmabuf);
err_dev:
	put_device(dev);
	return ret;
}

static void sp_import_held_status(struct sp_import_held *h,
				  struct sp_import_hold *u)
{
	dma_resv_lock(h->dmabuf->resv, NULL);
	u->notified = h->notified;
	u->mapped = !!h->sgt;
	dma_resv_unlock(h->dmabuf->resv);
	u->size = h->dmabuf->size;
}

/* ATTACH, MAP, STATUS, DETACH of the file's held attachment. */
static long sp_import_held_ioctl(struct sp_import_held *h, unsigned int cmd,
				 void __user *arg)
{
	struct sp_import_hold u;
	long ret = 0;

	if (cmd != SP_IMPORT_DETACH && copy_from_user(&u, arg, sizeof(u)))
		return -EFAULT;
	mutex_lock(&h->lock);
	if (cmd == SP_IMPORT_ATTACH) {
		ret = sp_import_held_attach(h, &u);
	} else if (!h->dmabuf) {
		ret = -ENOENT;
	} else if (cmd == SP_IMPORT_DETACH) {
		sp_import_held_release(h);
	} else {
		if (cmd == SP_IMPORT_MAP)
			u.map_error = sp_import_held_map(h);
		sp_import_held_status(h, &u);
	}
	mutex_unlock(&h->lock);
	if (!ret && cmd != SP_IMPORT_DETACH &&
	    copy_to_user(arg, &u, sizeof(u)))
		ret = -EFAULT;
	return ret;
}

static int sp_import_open(struct inode *inode, struct file *file)
{
	struct sp_import_held *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (!h)
		return -ENOMEM;
	mutex_init(&h->lock);
	file->private_data = h;
	return 0;
}

static int sp_import_release(struct inode *inode, struct file *file)
{
	struct sp_import_held *h = file->private_data;

	sp_import_held_release(h);
	mutex_destroy(&h->lock);
	kfree(h);
	return 0;
}

static long sp_import_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct sp_import_check c;
	int ret;

	switch (cmd) {
	case SP_IMPORT_CHECK:
		break;
	case SP_IMPORT_ATTACH:
	case SP_IMPORT_MAP:
	case SP_IMPORT_STATUS:
	case SP_IMPORT_DETACH:
		return sp_import_held_ioctl(file->private_data, cmd,
					    (void __user *)arg);
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&c, (void __user *)arg, sizeof(c)))
		return -EFAULT;
	c.nents = 0;
	c.length = 0;
	c.checksum = 0;
	c.size = 0;
	c.dma_addr = 0;
	ret = sp_import_check(&c);
	if (ret)
		return ret;
	if (copy_to_user((void __user *)arg, &c, sizeof(c)))
		return -EFAULT;
	return 0;
}

static const struct file_operations sp_import_fops = {
	.owner = THIS_MODULE,
	.open = sp_import_open,
	.release = sp_import_release,
	.unlocked_ioctl = sp_import_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice sp_import_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "scalepool_import_test",
	.fops = &sp_import_fops,
	.mode = 0600,
};

static int sp_import_pci_probe(struct pci_dev *pdev,
			       const struct pci_device_id *id)
{
	int ret;

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);

	mutex_lock(&sp_import_pci_lock);
	if (sp_import_pci)
		ret = -EBUSY;		/* one importing device at a time */
	else
		sp_import_pci = pdev;
	mutex_unlock(&sp_import_pci_lock);
	return ret;
}

static void sp_import_pci_remove(struct pci_dev *pdev)
{
	mutex_lock(&sp_import_pci_lock);
	if (sp_import_pci == pdev)
		sp_import_pci = NULL;
	mutex_unlock(&sp_import_pci_lock);
}

/* No ids: only devices a test binds through driver_override. */
static const struct pci_device_id sp_import_pci_ids[] = {
	{ }
};

static struct pci_driver sp_import_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = sp_import_pci_ids,
	.probe = sp_import_pci_probe,
	.remove = sp_import_pci_remove,
};

static int __init sp_import_init(void)
{
	int ret;

	sp_import_pdev = platform_device_register_simple(KBUILD_MODNAME, -1,
							 NULL, 0);
	if (IS_ERR(sp_import_pdev))
		return PTR_ERR(sp_import_pdev);
	ret = dma_coerce_mask_and_coherent(&sp_import_pdev->dev,
					   DMA_BIT_MASK(64));
	if (ret)
		goto err_pdev;
	/* One segment per contiguous range, as large as the exporter makes. */
	dma_set_max_seg_size(&sp_import_pdev->dev, UINT_MAX);

	ret = pci_register_driver(&sp_import_pci_driver);
	if (ret)
		goto err_pdev;
	ret = misc_register(&sp_import_miscdev);
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	pci_unregister_driver(&sp_import_pci_driver);
err_pdev:
	platform_device_unregister(sp_import_pdev);
	return ret;
}

static void __exit sp_import_exit(void)
{
	misc_deregister(&sp_import_miscdev);
	pci_unregister_driver(&sp_import_pci_driver);
	platform_device_unregister(sp_import_pdev);
}

module_init(sp_import_init);
module_exit(sp_import_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dma-buf importer for the scalepool tests");
MODULE_AUTHOR("scalepool developers");
