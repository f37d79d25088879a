// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: allocations exported as dma-bufs.
 *
 * Every EXPORT makes a new dma-buf, as udmabuf does; nothing caches a
 * dma-buf or its file.  A dma-buf's struct file may be freed while the
 * dma-buf lives on (whatever holds its dentry: an O_PATH open of
 * /proc/PID/fd/N, a readlink in progress), and the filp cache reuses the
 * slot for unrelated files, so a pointer to that file cannot be kept
 * (it is neither cleared nor RCU-protected).  What the module keeps is
 * the struct dma_buf itself, which lives until its release:
 *  - each dma-buf holds a reference on the allocation, taken at export
 *    and dropped by its release, so the memory lives while any fd,
 *    mapping or importer attachment of the dma-buf does;
 *  - the allocation lists its live dma-bufs (@dmabufs, under
 *    @dmabufs_lock; the release unlists), so that revocation reaches
 *    their importers and fdinfo counts exported allocations.
 *
 * CPU mappings of a dma-buf are mappings of the allocation: the file's
 * f_mapping is the allocation's address space, set before the fd is
 * installed, so the revocation's one unmap_mapping_range() zaps them
 * with every other mapping (mmap.c).
 *
 * What importers get depends on the allocation's backing:
 *  - SP_BACKING_PAGES (node members): a scatterlist of the pages,
 *    contiguous pages merged up to the importer's segment size, mapped
 *    with dma_map_sgtable();
 *  - SP_BACKING_P2PMEM: the same from the ZONE_DEVICE pages, which
 *    dma_map_sgtable() maps as PCI peer-to-peer (or refuses with
 *    -EREMOTEIO when the importer cannot reach them); each mapping holds
 *    a reference on every page until the importer unmaps or the member
 *    goes;
 *  - SP_BACKING_BAR: no struct page; one extent, split into segments
 *    carrying DMA addresses only, by P2PDMA's rules (sp_bar_map_sgt():
 *    the PCI bus address through a switch, dma_map_resource() through a
 *    host bridge P2PDMA trusts).
 * Device memory (the last two) can be revoked: it goes only to dynamic
 * importers that declared they do peer-to-peer DMA (allow_peer2peer,
 * which implies a move_notify callback).  The exporter is dynamic (it
 * has pin/unpin and keeps no mapping cached), so such an importer really
 * unmaps when told to.  When the member goes, sp_dmabuf_revoke()
 * invalidates every attachment with dma_buf_move_notify() under the
 * reservation lock, waits for the importers' fences, and takes back the
 * page references of mappings the importers still hold, so that the
 * driver publishing p2pmem can unbind.
 *
 * Lock order (Documentation/design-memory.rst has the whole list):
 * @dmabufs_lock -> dma-buf reservation lock -> @revoke_sem.
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
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "scalepool.h"
#include "trace.h"

MODULE_IMPORT_NS(DMA_BUF);

/**
 * struct sp_dmabuf - one dma-buf of an allocation (its @priv)
 * @a: the allocation, with a reference dropped by the release
 * @dmabuf: the dma-buf; valid until its release, which unlists this
 * @entry: in @a->dmabufs, under @a->dmabufs_lock
 * @listed: @entry is on the list (an export that lost the race with the
 *          revocation never is); under @a->dmabufs_lock
 */
struct sp_dmabuf {
	struct sp_alloc *a;
	struct dma_buf *dmabuf;
	struct list_head entry;
	bool listed;
};

/**
 * struct sp_dmabuf_map - one DMA mapping an importer holds
 * @sgt: what the importer got (a dynamic exporter caches nothing, so
 *       an attachment may hold several)
 * @entry: in the attachment's @maps
 * @dir: the direction it was mapped for
 * @pages_held: SP_BACKING_P2PMEM: the mapping holds a reference on every
 *              page; cleared when the revocation took them back
 */
struct sp_dmabuf_map {
	struct sg_table sgt;
	struct list_head entry;
	enum dma_data_direction dir;
	bool pages_held;
};

/**
 * struct sp_dmabuf_attach - an importer's attachment
 * @maps: its mappings (struct sp_dmabuf_map), under the dma-buf's
 *        reservation lock, which map, unmap, the CPU access syncs and
 *        the revocation hold
 */
struct sp_dmabuf_attach {
	struct list_head maps;
};

static struct sp_alloc *sp_dmabuf_alloc(struct dma_buf *dmabuf)
{
	return ((struct sp_dmabuf *)dmabuf->priv)->a;
}

/* Device memory can be revoked; it goes only to peer-to-peer importers. */
static bool sp_backing_is_device(const struct sp_alloc *a)
{
	return a->backing == SP_BACKING_BAR ||
	       a->backing == SP_BACKING_P2PMEM;
}

static int sp_dmabuf_attach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct sp_alloc *a = sp_dmabuf_alloc(dmabuf);
	struct sp_dmabuf_attach *sa;

	if (sp_alloc_revoked(a))
		return -ENODEV;
	/* peer2peer comes only with importer ops, hence with move_notify. */
	if (sp_backing_is_device(a) && !attach->peer2peer)
		return -EOPNOTSUPP;

	sa = kzalloc(sizeof(*sa), GFP_KERNEL);
	if (!sa)
		return -ENOMEM;
	INIT_LIST_HEAD(&sa->maps);
	attach->priv = sa;
	return 0;
}

static void sp_dmabuf_detach(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *attach)
{
	struct sp_dmabuf_attach *sa = attach->priv;

	/* The core unmapped what it cached; an importer must unmap the rest. */
	WARN_ON_ONCE(!list_empty(&sa->maps));
	kfree(sa);
	attach->priv = NULL;
}

/*
 * Pinning promises the importer that the memory stays where it is.
 * Page-backed memory pins for free: a move of an allocation is refused
 * while an importer holds a DMA mapping of it (move.c), and every
 * pinned attachment has one.  Device
 * memory goes when its member goes, pinned or not: where the core lets
 * importers be invalidated (CONFIG_DMABUF_MOVE_NOTIFY), only an explicit
 * pin reaches here, from an importer that cannot be invalidated, and is
 * refused.  Without it the core pins every mapping of a dynamic importer
 * itself; those importers are still told through move_notify when the
 * member goes, since the memory is gone then whatever was promised.
 */
static int sp_dmabuf_pin(struct dma_buf_attachment *attach)
{
	if (IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY) &&
	    sp_backing_is_device(sp_dmabuf_alloc(attach->dmabuf)))
		return -EOPNOTSUPP;
	return 0;
}

static void sp_dmabuf_unpin(struct dma_buf_attachment *attach)
{
	/* Nothing moves, so a pin holds nothing to give back. */
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
static int sp_map_pages(struct sp_alloc *a, struct sg_table *sgt,
			struct device *dev, enum dma_data_direction dir)
{
	int ret;

	ret = sg_alloc_table_from_pages_segment(sgt, a->pages, a->nr_pages, 0,
						a->length, sp_max_segment(dev),
						GFP_KERNEL);
	if (ret)
		return ret;
	/* P2PDMA pages the device cannot reach get -EREMOTEIO here. */
	ret = dma_map_sgtable(dev, sgt, dir, 0);
	if (ret)
		sg_free_table(sgt);
	return ret;
}

/*
 * A p2pmem mapping holds a reference on every page of the allocation,
 * as a user mapping of it does: a page goes back to the driver's pool,
 * and the driver's unbind (which waits for every page) completes, only
 * once the importer unmapped or the revocation took the references
 * back.  They are taken from @a->pages, not from the table, which the
 * dma-buf core may have mangled (CONFIG_DMABUF_DEBUG) while the
 * importer holds it.  @get: take them, else drop them.
 */
static void sp_p2pmem_ref_pages(struct sp_alloc *a, bool get)
{
	unsigned long i;

	for (i = 0; i < a->nr_pages; i++) {
		if (get)
			get_page(a->pages[i]);
		else
			put_page(a->pages[i]);
	}
}

/*
 * Peer memory may be revoked at any time: under @revoke_sem, which the
 * revocation holds for writing while it marks the allocation revoked, a
 * mapping either sees it revoked or has the extent (and, for p2pmem,
 * the pages) while it maps; a mapping made before the mark is found by
 * the revocation under the reservation lock (sp_dmabuf_invalidate()).
 */
static int sp_map_peer(struct sp_alloc *a, struct sp_dmabuf_map *map,
		       struct device *dev, enum dma_data_direction dir)
{
	int ret;

	down_read(&a->revoke_sem);
	if (sp_alloc_revoked(a)) {
		ret = -ENODEV;
	} else if (a->backing == SP_BACKING_BAR) {
		ret = sp_bar_map_sgt(a, &map->sgt, dev, dir,
				     sp_max_segment(dev));
	} else {
		ret = sp_map_pages(a, &map->sgt, dev, dir);
		if (!ret) {
			sp_p2pmem_ref_pages(a, true);
			map->pages_held = true;
		}
	}
	up_read(&a->revoke_sem);
	return ret;
}

static struct sg_table *sp_dmabuf_map(struct dma_buf_attachment *attach,
				      enum dma_data_direction dir)
{
	struct sp_alloc *a = sp_dmabuf_alloc(attach->dmabuf);
	struct sp_dmabuf_attach *sa = attach->priv;
	struct sp_dmabuf_map *map;
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);

	if (a->backing == SP_BACKING_PAGES) {
		/* A move swaps @pages under @revoke_sem, and then sees us. */
		down_read(&a->revoke_sem);
		ret = sp_map_pages(a, &map->sgt, attach->dev, dir);
		if (!ret)
			atomic_inc(&a->nr_dma_maps);
		up_read(&a->revoke_sem);
	} else {
		ret = sp_map_peer(a, map, attach->dev, dir);
	}
	if (ret) {
		kfree(map);
		return ERR_PTR(ret);
	}
	map->dir = dir;
	list_add(&map->entry, &sa->maps);
	return &map->sgt;
}

static void sp_dmabuf_unmap(struct dma_buf_attachment *attach,
			    struct sg_table *sgt, enum dma_data_direction dir)
{
	struct sp_alloc *a = sp_dmabuf_alloc(attach->dmabuf);
	struct sp_dmabuf_map *map = container_of(sgt, struct sp_dmabuf_map,
						 sgt);

	dma_resv_assert_held(attach->dmabuf->resv);
	list_del(&map->entry);
	if (a->backing == SP_BACKING_BAR) {
		sp_bar_unmap_sgt(a, attach->dev, sgt, dir);
	} else {
		dma_unmap_sgtable(attach->dev, sgt, dir, 0);
		if (map->pages_held)
			sp_p2pmem_ref_pages(a, false);
		if (a->backing == SP_BACKING_PAGES)
			atomic_dec(&a->nr_dma_maps);
	}
	sg_free_table(sgt);
	kfree(map);
}

/*
 * Make the CPU's view right (@for_cpu) or the devices' (end of CPU
 * access) for every mapping of every attachment.  Only page-backed
 * memory goes through the DMA API's cache maintenance; device memory
 * has no CPU cache lines the DMA API would manage.
 */
static int sp_dmabuf_sync(struct dma_buf *dmabuf, enum dma_data_direction dir,
			  bool for_cpu)
{
	struct dma_buf_attachment *attach;
	struct sp_dmabuf_attach *sa;
	struct sp_dmabuf_map *map;
	int ret;

	if (sp_dmabuf_alloc(dmabuf)->backing != SP_BACKING_PAGES)
		return 0;
	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (ret)
		return ret;
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		sa = attach->priv;
		list_for_each_entry(map, &sa->maps, entry) {
			if (for_cpu)
				dma_sync_sgtable_for_cpu(attach->dev,
							 &map->sgt, dir);
			else
				dma_sync_sgtable_for_device(attach->dev,
							    &map->sgt, dir);
		}
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
	struct sp_alloc *a = sp_dmabuf_alloc(dmabuf);

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
	struct sp_dmabuf *sd = dmabuf->priv;
	struct sp_alloc *a = sd->a;

	mutex_lock(&a->dmabufs_lock);
	if (sd->listed) {
		list_del(&sd->entry);
		WRITE_ONCE(a->nr_dmabufs, a->nr_dmabufs - 1);
	}
	mutex_unlock(&a->dmabufs_lock);
	kfree(sd);
	sp_alloc_put(a);
}

/* Dynamic: pin/unpin, and no mapping cached by the core. */
static const struct dma_buf_ops sp_dmabuf_ops = {
	.attach = sp_dmabuf_attach,
	.detach = sp_dmabuf_detach,
	.pin = sp_dmabuf_pin,
	.unpin = sp_dmabuf_unpin,
	.map_dma_buf = sp_dmabuf_map,
	.unmap_dma_buf = sp_dmabuf_unmap,
	.release = sp_dmabuf_release,
	.begin_cpu_access = sp_dmabuf_begin_cpu_access,
	.end_cpu_access = sp_dmabuf_end_cpu_access,
	.mmap = sp_dmabuf_mmap,
};

/*
 * List @sd on its allocation, unless the allocation was revoked: the
 * revocation marks it before it walks the list under the same lock, so
 * a dma-buf is either walked or never made.
 */
static int sp_dmabuf_list(struct sp_alloc *a, struct sp_dmabuf *sd)
{
	int ret = 0;

	mutex_lock(&a->dmabufs_lock);
	if (sp_alloc_revoked(a)) {
		ret = -ENODEV;
	} else {
		list_add_tail(&sd->entry, &a->dmabufs);
		sd->listed = true;
		WRITE_ONCE(a->nr_dmabufs, a->nr_dmabufs + 1);
	}
	mutex_unlock(&a->dmabufs_lock);
	return ret;
}

/**
 * sp_dmabuf_export() - a new dma-buf of an allocation, and an fd for it
 * @a: the allocation; the caller holds a reference
 * @flags: SCALEPOOL_EXPORT_* flags, already checked
 * @rdonly: make the dma-buf read-only (its file O_RDONLY)
 * @out: the dma-buf, holding one file reference for the caller
 *
 * The fd is reserved, not installed: the caller installs @out's file on
 * it with sp_dmabuf_install() once user space has the number, or gives
 * both back with sp_dmabuf_abort().
 *
 * Return: the fd, or -ENODEV when @a's member went away, -EMFILE, -ENOMEM.
 */
int sp_dmabuf_export(struct sp_alloc *a, u32 flags, bool rdonly,
		     struct dma_buf **out)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *dmabuf;
	struct sp_dmabuf *sd;
	int fd, ret;

	if (sp_alloc_revoked(a))
		return -ENODEV;
	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	fd = get_unused_fd_flags(flags & SCALEPOOL_EXPORT_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0) {
		ret = fd;
		goto err_free;
	}

	exp_info.exp_name = "scalepool";
	exp_info.ops = &sp_dmabuf_ops;
	exp_info.size = a->length;
	exp_info.flags = rdonly ? O_RDONLY : O_RDWR;
	exp_info.priv = sd;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_fd;
	}
	/* From here the release frees @sd and drops this reference. */
	sd->a = a;
	sd->dmabuf = dmabuf;
	kref_get(&a->ref);
	/* Nobody else has the file yet: see the comment at the top. */
	dmabuf->file->f_mapping = &a->mapping;
	ret = sp_dmabuf_list(a, sd);
	if (ret) {
		sp_dmabuf_abort(dmabuf, fd);
		return ret;
	}
	*out = dmabuf;
	return fd;

err_fd:
	put_unused_fd(fd);
err_free:
	kfree(sd);
	return ret;
}

/**
 * sp_dmabuf_install() - give user space the fd sp_dmabuf_export() made
 * @dmabuf: the dma-buf; its file reference passes to the fd table
 * @fd: the reserved fd
 */
void sp_dmabuf_install(struct dma_buf *dmabuf, int fd)
{
	struct sp_dmabuf *sd = dmabuf->priv;

	trace_scalepool_export(sd->a, fd, !(dmabuf->file->f_mode & FMODE_WRITE));
	fd_install(fd, dmabuf->file);
}

/**
 * sp_dmabuf_abort() - undo sp_dmabuf_export()
 * @dmabuf: the dma-buf; its file reference is dropped
 * @fd: the reserved fd, given back
 *
 * The dma-buf goes away with that last reference.
 */
void sp_dmabuf_abort(struct dma_buf *dmabuf, int fd)
{
	put_unused_fd(fd);
	dma_buf_put(dmabuf);
}

/*
 * Take back the page references of the p2pmem mappings importers still
 * hold, so that the publishing driver's unbind does not wait for them.
 * The importers were told and their fences waited for: what they do
 * with the stale table now is unmap it.
 */
static void sp_dmabuf_take_pages(struct sp_alloc *a, struct dma_buf *dmabuf)
{
	struct dma_buf_attachment *attach;
	struct sp_dmabuf_attach *sa;
	struct sp_dmabuf_map *map;

	dma_resv_assert_held(dmabuf->resv);
	list_for_each_entry(attach, &dmabuf->attachments, node) {
		sa = attach->priv;
		list_for_each_entry(map, &sa->maps, entry) {
			if (!map->pages_held)
				continue;
			sp_p2pmem_ref_pages(a, false);
			map->pages_held = false;
		}
	}
}

/*
 * Tell every importer of @sd's dma-buf that its mappings are invalid,
 * let the DMA they queued finish, and take back what their mappings
 * hold of the memory.
 */
static void sp_dmabuf_invalidate(struct sp_alloc *a, struct sp_dmabuf *sd)
{
	struct dma_resv *resv = sd->dmabuf->resv;

	dma_resv_lock(resv, NULL);
	dma_buf_move_notify(sd->dmabuf);
	dma_resv_unlock(resv);
	dma_resv_wait_timeout(resv, DMA_RESV_USAGE_BOOKKEEP, false,
			      MAX_SCHEDULE_TIMEOUT);
	if (a->backing != SP_BACKING_P2PMEM)
		return;
	dma_resv_lock(resv, NULL);
	sp_dmabuf_take_pages(a, sd->dmabuf);
	dma_resv_unlock(resv);
}

/**
 * sp_dmabuf_revoke() - cut the importers of an allocation's dma-bufs off
 * @a: the allocation, whose @revoked is already set and whose CPU
 *     mappings (those of its dma-bufs included) are already zapped
 *
 * Called by the revocation (sp_alloc_revoke()) when the memory behind
 * @a goes away, without @revoke_sem held (the reservation lock comes
 * before it).  Every attachment of every dma-buf of @a gets move_notify;
 * new attachments, DMA mappings and mmap() are refused with -ENODEV from
 * now on.  May sleep: it waits for the importers' fences.
 */
void sp_dmabuf_revoke(struct sp_alloc *a)
{
	struct sp_dmabuf *sd;

	WARN_ON_ONCE(!sp_alloc_revoked(a));
	lockdep_assert_not_held(&a->revoke_sem);
	mutex_lock(&a->dmabufs_lock);
	list_for_each_entry(sd, &a->dmabufs, entry)
		sp_dmabuf_invalidate(a, sd);
	mutex_unlock(&a->dmabufs_lock);
}

/**
 * sp_dmabuf_exported() - does an allocation have a dma-buf?
 * @a: the allocation
 *
 * Return: true while one of its dma-bufs lives.  A lockless peek, for
 * fdinfo.
 */
bool sp_dmabuf_exported(const struct sp_alloc *a)
{
	return READ_ONCE(a->nr_dmabufs) > 0;
}
