// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: allocations exported as dma-bufs.
 *
 * An allocation has at most one dma-buf, cached in @dmabuf of the
 * allocation: EXPORT makes it the first time and hands out a new fd of
 * the same dma-buf afterwards.  The dma-buf holds a reference on the
 * allocation, taken at export and dropped by its release, so the memory
 * lives while any fd, mapping or importer attachment of the dma-buf
 * does, whatever happens to the handle and to the /dev/scalepool file.
 * The allocation's pointer to the dma-buf is weak: the dma-buf's release
 * clears it, under sp_dmabuf_lock.
 *
 * What importers get depends on the allocation's backing:
 *  - SP_BACKING_PAGES (node members): a scatterlist of the pages,
 *    contiguous pages merged up to the importer's segment size, mapped
 *    with dma_map_sgtable();
 *  - SP_BACKING_P2PMEM: the same from the ZONE_DEVICE pages, which
 *    dma_map_sgtable() maps as PCI peer-to-peer (or refuses with
 *    -EREMOTEIO when the importer cannot reach them); each mapped page
 *    holds a reference until the importer unmaps;
 *  - SP_BACKING_BAR: no struct page; one extent mapped with
 *    dma_map_resource(), split into segments carrying DMA addresses only.
 * Device memory (the last two) only goes to importers that declared they
 * can do peer-to-peer DMA (dma_buf_attach_ops.allow_peer2peer).
 *
 * mmap() of the dma-buf maps the allocation exactly as mmap() of
 * /dev/scalepool does (sp_mmap_setup() in mmap.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "scalepool.h"

MODULE_IMPORT_NS(DMA_BUF);

/* Guards @dmabuf of every allocation against export and release racing. */
static DEFINE_MUTEX(sp_dmabuf_lock);

/**
 * struct sp_dmabuf_attach - an importer's attachment
 * @sgt: its current mapping, or NULL; set and cleared under the dma-buf's
 *       reservation lock, which begin/end_cpu_access take to sync it
 * @dir: the direction @sgt was mapped for
 */
struct sp_dmabuf_attach {
	struct sg_table *sgt;
	enum dma_data_direction dir;
};

/* Device memory goes only to importers that can reach it peer to peer. */
static bool sp_backing_is_device(const struct sp_alloc *a)
{
	return a->backing == SP_BACKING_BAR ||
	       a->backing == SP_BACKING_P2PMEM;
}

static int sp_dmabuf_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct sp_alloc *a = dmabuf->priv;
	struct sp_dmabuf_attach *sa;

	if (sp_alloc_revoked(a))
		return -ENODEV;
	if (sp_backing_is_device(a) && !attach->peer2peer)
		return -EOPNOTSUPP;

	sa = kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa)
		return -ENOMEM;
	attach->priv = sa;
	return 0;
}

static void sp_dmabuf_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	kfree(attach->priv);
	attach->priv = NULL;
}

/* The largest segment @dev takes, in whole pages. */
static unsigned int sp_max_segment(struct device *dev)
{
	unsigned int seg = dma_get_max_seg_size(dev);
	size_t max = dma_max_mapping_size(dev);

	if (max < seg)
		seg = max;
	return max_t(unsigned int, seg & PAGE_MASK, PAGE_SIZE);
}

/*
 * SP_BACKING_PAGES and SP_BACKING_P2PMEM: one entry per physically
 * contiguous run of @a->pages (a 2 MiB page is one run), as long as the
 * importer's segments allow, mapped for its device.
 */
static struct sg_table *sp_map_pages(struct sp_alloc *a, struct device *dev,
				     enum dma_data_direction dir)
{
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages_segment(sgt, a->pages, a->nr_pages, 0,
						a->length, sp_max_segment(dev),
						GFP_KERNEL);
	if (ret)
		goto err_free;
	/* P2PDMA pages the device cannot reach get -EREMOTEIO here. */
	ret = dma_map_sgtable(dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

/*
 * Can @dev reach the BAR behind @a peer to peer?  Only a PCI device with
 * a path that does not cross the host bridge, or crosses one the kernel
 * knows forwards peer traffic: what P2PDMA demands of its own memory.
 */
static bool sp_bar_reachable(struct sp_alloc *a, struct device *dev)
{
	return dev_is_pci(dev) &&
	       sp_peer_distance_to(a->parts[0].m, to_pci_dev(dev)) >= 0;
}

/*
 * SP_BACKING_BAR: the extent has no struct page, so the table carries
 * DMA addresses only (sg_page() is NULL): one dma_map_resource() of the
 * whole extent, cut into segments the device takes.
 */
static struct sg_table *sp_map_bar(struct sp_alloc *a, struct device *dev,
				   enum dma_data_direction dir)
{
	unsigned int seg = sp_max_segment(dev), nents, i;
	struct scatterlist *sg;
	struct sg_table *sgt;
	dma_addr_t addr;
	u64 off = 0;
	int ret;

	/* As dma_map_sgtable() answers for P2PDMA pages it cannot map. */
	if (!sp_bar_reachable(a, dev))
		return ERR_PTR(-EREMOTEIO);

	if (DIV_ROUND_UP_ULL(a->length, seg) > UINT_MAX)
		return ERR_PTR(-EOVERFLOW);
	nents = DIV_ROUND_UP_ULL(a->length, seg);

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, nents, GFP_KERNEL);
	if (ret)
		goto err_free;

	addr = dma_map_resource(dev, a->phys, a->length, dir, 0);
	ret = dma_mapping_error(dev, addr);
	if (ret)
		goto err_table;

	for_each_sgtable_sg(sgt, sg, i) {
		unsigned int len = min_t(u64, seg, a->length - off);

		sg_dma_address(sg) = addr + off;
		sg_dma_len(sg) = len;
		off += len;
	}
	sgt->nents = nents;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void sp_unmap_bar(struct sp_alloc *a, struct device *dev,
			 struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_resource(dev, sg_dma_address(sgt->sgl), a->length, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * Each page of a p2pmem mapping holds a reference, as a user mapping of
 * it does: a page goes back to the driver's pool, and the driver's
 * unbind (which waits for every page) completes, only once the importer
 * unmapped.  @get: take them, else drop them.
 */
static void sp_p2pmem_ref_pages(struct sg_table *sgt, bool get)
{
	struct scatterlist *sg;
	unsigned long i, n;
	unsigned int k;

	for_each_sgtable_sg(sgt, sg, k) {
		n = sg->length >> PAGE_SHIFT;
		for (i = 0; i < n; i++) {
			if (get)
				get_page(nth_page(sg_page(sg), i));
			else
				put_page(nth_page(sg_page(sg), i));
		}
	}
}

/*
 * Peer memory may be revoked at any time: under @revoke_sem, which the
 * revocation holds for writing before it takes the memory away, a
 * mapping either sees it revoked or has the extent (and, for p2pmem,
 * its page references) while it maps.
 */
static struct sg_table *sp_map_peer(struct sp_alloc *a, struct device *dev,
				    enum dma_data_direction dir)
{
	struct sg_table *sgt;

	down_read(&a->revoke_sem);
	if (sp_alloc_revoked(a)) {
		sgt = ERR_PTR(-ENODEV);
	} else if (a->backing == SP_BACKING_BAR) {
		sgt = sp_map_bar(a, dev, dir);
	} else {
		sgt = sp_map_pages(a, dev, dir);
		if (!IS_ERR(sgt))
			sp_p2pmem_ref_pages(sgt, true);
	}
	up_read(&a->revoke_sem);
	return sgt;
}

static struct sg_table *sp_dmabuf_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct sp_alloc *a = attach->dmabuf->priv;
	struct sp_dmabuf_attach *sa = attach->priv;
	struct sg_table *sgt;

	dma_resv_assert_held(attach->dmabuf->resv);
	/* The core maps an attachment once (cache_sgt_mapping). */
	if (WARN_ON_ONCE(sa->sgt))
		return ERR_PTR(-EBUSY);

	if (a->backing == SP_BACKING_PAGES)
		sgt = sp_map_pages(a, attach->dev, dir);
	else
		sgt = sp_map_peer(a, attach->dev, dir);
	if (!IS_ERR(sgt)) {
		sa->sgt = sgt;
		sa->dir = dir;
	}
	return sgt;
}

static void sp_dmabuf_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	struct sp_alloc *a = attach->dmabuf->priv;
	struct sp_dmabuf_attach *sa = attach->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (sa->sgt == sgt)
		sa->sgt = NULL;
	if (a->backing == SP_BACKING_BAR) {
		sp_unmap_bar(a, attach->dev, sgt, dir);
		return;
	}
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	if (a->backing == SP_BACKING_P2PMEM)
		sp_p2pmem_ref_pages(sgt, false);
	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * Make the CPU's view right (@for_cpu) or the devices' (end of CPU
 * access) for every mapped attachment.  Only page-backed memory goes
 * through the DMA API's cache maintenance; device memory has no CPU
 * cache lines the DMA API would manage.
 */
static int sp_dmabuf_sync(struct dma_buf *dmabuf, enum dma_data_direction dir,
			  bool for_cpu)
{
	struct sp_alloc *a = dmabuf->priv;
	struct dma_buf_attachment *attach;
	struct sp_dmabuf_attach *sa;
	int ret;

	if (a->backing != SP_BACKING_PAGES)
		return 0;
	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		sa = attach->priv;
		if (!sa || !sa->sgt)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(attach->dev, sa->sgt, dir);
		else
			dma_sync_sgtable_for_device(attach->dev, sa->sgt, dir);
	}
	dma_resv_unlock(dmabuf->resv);
	return 0;
}

static int sp_dmabuf_begin_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	return sp_dmabuf_sync(dmabuf, dir, true);
}

static int sp_dmabuf_end_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	return sp_dmabuf_sync(dmabuf, dir, false);
}

static int sp_dmabuf_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct sp_alloc *a = dmabuf->priv;

	/* The core checked that the range lies within the dma-buf. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (sp_alloc_revoked(a))
		return -ENODEV;
	/* vm_file is the dma-buf's file, which holds the allocation. */
	return sp_mmap_setup(a, vma);
}

static void sp_dmabuf_release(struct dma_buf *dmabuf)
{
	struct sp_alloc *a = dmabuf->priv;

	mutex_lock(&sp_dmabuf_lock);
	/* A newer dma-buf may have replaced this one (see sp_dmabuf_get()). */
	if (a->dmabuf == dmabuf)
		WRITE_ONCE(a->dmabuf, NULL);
	mutex_unlock(&sp_dmabuf_lock);
	sp_alloc_put(a);
}

static const struct dma_buf_ops sp_dmabuf_ops = {
	/* One mapping per attachment, kept until detach, as udmabuf does. */
	.cache_sgt_mapping = true,
	.attach = sp_dmabuf_attach,
	.detach = sp_dmabuf_detach,
	.map_dma_buf = sp_dmabuf_map,
	.unmap_dma_buf = sp_dmabuf_unmap,
	.release = sp_dmabuf_release,
	.begin_cpu_access = sp_dmabuf_begin_cpu_access,
	.end_cpu_access = sp_dmabuf_end_cpu_access,
	.mmap = sp_dmabuf_mmap,
};

/*
 * A reference on the file of @a's dma-buf, or NULL when there is none.
 * The cached dma-buf may be on its way out: its file's count is zero
 * from the last fput() until its release clears @a->dmabuf.  The file
 * is freed only after that release (which takes the lock we hold), so
 * its count can be read, but must not be taken from zero.
 */
static struct file *sp_dmabuf_file_get(struct sp_alloc *a)
{
	struct dma_buf *dmabuf = a->dmabuf;

	lockdep_assert_held(&sp_dmabuf_lock);
	if (dmabuf && atomic_long_inc_not_zero(&dmabuf->file->f_count))
		return dmabuf->file;
	return NULL;
}

/* The dma-buf of @a, made on first use; the caller owns a file reference. */
static struct dma_buf *sp_dmabuf_get(struct sp_alloc *a)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;
	struct file *file;

	mutex_lock(&sp_dmabuf_lock);
	file = sp_dmabuf_file_get(a);
	if (file) {
		dmabuf = file->private_data;
		goto out_unlock;
	}

	exp_info.exp_name = "scalepool";
	exp_info.ops = &sp_dmabuf_ops;
	exp_info.size = a->length;
	exp_info.flags = O_RDWR;
	exp_info.priv = a;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf))
		goto out_unlock;
	/* The dma-buf's reference, dropped by sp_dmabuf_release(). */
	kref_get(&a->ref);
	WRITE_ONCE(a->dmabuf, dmabuf);
out_unlock:
	mutex_unlock(&sp_dmabuf_lock);
	return dmabuf;
}

/**
 * sp_dmabuf_export() - a dma-buf of an allocation, and an fd for it
 * @a: the allocation; the caller holds a reference
 * @flags: SCALEPOOL_EXPORT_* flags, already checked
 * @out: the dma-buf, holding one file reference for the caller
 *
 * The fd is reserved, not installed: the caller installs @out's file on
 * it with sp_dmabuf_install() once user space has the number, or gives
 * both back with sp_dmabuf_abort().
 *
 * Return: the fd, or -ENODEV when @a's member went away, -EMFILE, -ENOMEM.
 */
int sp_dmabuf_export(struct sp_alloc *a, u32 flags, struct dma_buf **out)
{
	struct dma_buf *dmabuf;
	int fd;

	if (sp_alloc_revoked(a))
		return -ENODEV;
	fd = get_unused_fd_flags(flags & SCALEPOOL_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0)
		return fd;
	dmabuf = sp_dmabuf_get(a);
	if (IS_ERR(dmabuf)) {
		put_unused_fd(fd);
		return PTR_ERR(dmabuf);
	}
	*out = dmabuf;
	return fd;
}

/**
 * sp_dmabuf_install() - give user space the fd sp_dmabuf_export() made
 * @dmabuf: the dma-buf; its file reference passes to the fd table
 * @fd: the reserved fd
 */
void sp_dmabuf_install(struct dma_buf *dmabuf, int fd)
{
	fd_install(fd, dmabuf->file);
}

/**
 * sp_dmabuf_abort() - undo sp_dmabuf_export()
 * @dmabuf: the dma-buf; its file reference is dropped
 * @fd: the reserved fd, given back
 *
 * A dma-buf made by that export goes away with the last reference.
 */
void sp_dmabuf_abort(struct dma_buf *dmabuf, int fd)
{
	put_unused_fd(fd);
	dma_buf_put(dmabuf);
}

/**
 * sp_dmabuf_revoke() - cut the CPU mappings of an allocation's dma-buf
 * @a: the allocation, whose @revoked is already set
 *
 * Called by the peer member code when the memory behind @a goes away,
 * after it set @a->revoked.  Every CPU mapping of @a's dma-buf is zapped;
 * the next access faults and gets SIGBUS (the fault handlers check
 * @revoked).  New attachments, DMA mappings and mmap() of the dma-buf are
 * refused with -ENODEV from now on.  May sleep.
 */
void sp_dmabuf_revoke(struct sp_alloc *a)
{
	struct file *file;

	WARN_ON_ONCE(!sp_alloc_revoked(a));
	mutex_lock(&sp_dmabuf_lock);
	file = sp_dmabuf_file_get(a);
	mutex_unlock(&sp_dmabuf_lock);
	/* A dma-buf without file references has no mapping left. */
	if (!file)
		return;
	unmap_mapping_range(file->f_mapping, 0, 0, 1);
	fput(file);
}

/**
 * sp_dmabuf_exported() - does an allocation have a dma-buf?
 * @a: the allocation
 *
 * Return: true while its dma-buf lives.  A lockless peek, for fdinfo.
 */
bool sp_dmabuf_exported(const struct sp_alloc *a)
{
	return READ_ONCE(a->dmabuf);
}
