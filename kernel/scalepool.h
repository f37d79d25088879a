/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: internal declarations shared by the module's files.
 */
#ifndef _SCALEPOOL_H
#define _SCALEPOOL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/dma-direction.h>
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <asm/page.h>

#include <linux/scalepool.h>

struct dma_buf;
struct file;
struct gen_pool;
struct mem_cgroup;
struct mm_struct;
struct page;
struct device;
struct pci_dev;
struct sg_table;
struct sp_peer;
struct sp_tier;
struct vm_area_struct;

/*
 * Kinds of member: NUMA nodes with memory, PCI BARs an admin added
 * (pci.c) and memory drivers published through P2PDMA (p2pmem.c).  The
 * last two are "peer" members: PCI device memory.
 */
enum sp_member_kind {
	SP_MEMBER_NODE,
	SP_MEMBER_BAR,
	SP_MEMBER_P2PMEM,
	SP_MEMBER_NR_KINDS,
};

/* What backs a member's memory. */
enum sp_mem_type {
	SP_MEM_DRAM,
	SP_MEM_CXL,
	SP_MEM_PCI,
	SP_MEM_NR_TYPES,
};

/* Room for "DDDD:BB:DD.F-barN", the longest name. */
#define SP_MEMBER_NAME_LEN	24

/**
 * struct sp_measured_fig - access figures measured from one initiator
 * @latency_ns: latency in nanoseconds; 0 when nothing was measured
 * @bandwidth_mbps: bandwidth in MB/s; never 0 when @latency_ns is not
 */
struct sp_measured_fig {
	u64 latency_ns;
	u64 bandwidth_mbps;
};

/**
 * struct sp_member - one source of memory in the pool
 * @kobj: /sys/kernel/scalepool/members/<id>; its release frees the member
 * @list: entry in the registry's list, under the registry mutex
 * @id: unique while the module is loaded, never reused
 * @kind: what the member is (enum sp_member_kind)
 * @nid: home NUMA node
 * @mem_type: what backs the memory (enum sp_mem_type), fixed at creation
 * @capacity: bytes; written under the registry mutex, read with READ_ONCE
 * @used: bytes allocated from the member; changed only through
 *        sp_member_charge() and sp_member_uncharge()
 * @limit: bytes the pool may use, 0 for no limit; READ_ONCE/WRITE_ONCE
 * @name: stable name, e.g. "node2", "0000:01:00.0-bar2"
 * @measured_lock: guards @measured (see measured.c)
 * @measured: nr_node_ids entries, by initiator CPU node: the figures
 *            written to members/<id>/measured; allocated when the member
 *            is published, freed by its release
 * @peer: peer members only: the PCI side (pci.c), freed with the member
 * @moved_in: bytes moves (move.c) brought to the member
 * @moved_out: bytes moves took from it
 * @refused_lock: guards @refused
 * @refused: why the last evacuation or drain of the member's memory was
 *           refused ("" when none was), for members/<id>/refused
 * @tier_sampled: bytes of the member's pages tiering unmapped to see
 *                whether they are used (tier.c)
 * @tier_promoted: bytes tiering moved to the member from a slower one
 * @tier_demoted: bytes tiering moved to the member from a faster one
 *
 * @id, @kind, @nid, @mem_type, @name and @peer never change once the
 * member is published, so sysfs reads them without locking.
 */
struct sp_member {
	struct kobject kobj;
	struct list_head list;
	unsigned int id;
	enum sp_member_kind kind;
	int nid;
	enum sp_mem_type mem_type;
	u64 capacity;
	atomic64_t used;
	u64 limit;
	char name[SP_MEMBER_NAME_LEN];
	seqlock_t measured_lock;
	struct sp_measured_fig *measured;
	struct sp_peer *peer;
	atomic64_t moved_in;
	atomic64_t moved_out;
	spinlock_t refused_lock;	/* protects @refused */
	char refused[128];
	atomic64_t tier_sampled;
	atomic64_t tier_promoted;
	atomic64_t tier_demoted;
};

static inline bool sp_member_is_peer(const struct sp_member *m)
{
	return m->kind == SP_MEMBER_BAR || m->kind == SP_MEMBER_P2PMEM;
}

static inline struct sp_member *to_sp_member(struct kobject *kobj)
{
	return container_of(kobj, struct sp_member, kobj);
}

/*
 * mmap offsets, in pages (pgoff): each allocation gets a range of its
 * file's offset space, as DRM's fake offsets.  The space ends below 2^44
 * bytes, where the 32-bit mmap2 call (a 32-bit page offset in 4 KiB
 * units) reaches every offset, and starts at 2 MiB so that offset 0
 * names nothing.  The range of an allocation of 2 MiB or more starts on
 * a 2 MiB boundary, so that thp_get_unmapped_area() aligns the address
 * of a mapping to it and 2 MiB pages can be mapped by PMDs.
 */
#define SP_OFFSET_END		BIT_ULL(44)
#define SP_PGOFF_FIRST		(SZ_2M >> PAGE_SHIFT)
#define SP_PGOFF_LAST		((unsigned long)((SP_OFFSET_END >> PAGE_SHIFT) - 1))
#define SP_PGOFF_HUGE		(SZ_2M >> PAGE_SHIFT)
/* The longest allocation, with its alignment slack, fits in the space. */
static_assert(SCALEPOOL_MAX_ALLOC_SIZE + SZ_2M <= SP_OFFSET_END - SZ_2M);

/**
 * struct sp_file - state of one open file of /dev/scalepool
 * @lock: serialises changes of @allocs and @offsets, so that a handle and
 *        its offset range come and go together, and mmap() looks an
 *        offset up; the external lock of @offsets.  Taken under the mmap
 *        lock (mmap_lock -> @lock), never the other way round.
 * @allocs: the allocations this file owns, by handle; each entry holds a
 *          reference on its allocation; an ALLOC in progress holds a
 *          reserved (zero) entry
 * @next_handle: the cursor of xa_alloc_cyclic() over @allocs
 * @offsets: the mmap offset space, in pages: each allocation of @allocs
 *           (reserved ones too) over its range, with no reference of
 *           its own (FREE takes both out under @lock)
 * @next_pgoff: where the search for a free range of @offsets starts
 * @nr_allocs: entries in @allocs, for fdinfo
 * @bytes: sum of their lengths, for fdinfo
 * @charged: bytes counted against the max_bytes_per_fd cap: @bytes plus
 *           those of ALLOCs in progress (ioctl.c)
 */
struct sp_file {
	struct mutex lock;	/* protects @offsets and changes of @allocs */
	struct xarray allocs;
	u32 next_handle;
	struct maple_tree offsets;
	unsigned long next_pgoff;
	atomic_t nr_allocs;
	atomic64_t bytes;
	atomic64_t charged;
};

/**
 * struct sp_alloc_part - what an allocation holds on one member
 * @m: the member; the part holds a reference on its kobject
 * @bytes: bytes charged to the member (its @used) for this allocation
 * @huge_bytes: of which in 2 MiB pages
 */
struct sp_alloc_part {
	struct sp_member *m;
	u64 bytes;
	u64 huge_bytes;
};

/*
 * What holds an allocation's memory.  Node members give struct pages,
 * possibly spread over several members; a peer member (PCI device
 * memory) gives one contiguous extent of its own.
 */
enum sp_backing {
	SP_BACKING_PAGES,	/* @pages of node members */
	SP_BACKING_BAR,		/* @phys..+@length of a BAR, no struct page */
	SP_BACKING_P2PMEM,	/* @phys and @kaddr of P2PDMA memory; @pages too */
};

/**
 * struct sp_alloc - one allocation: zeroed pages placed by a policy
 * @ref: held by the handle in its file's table and by each allocation
 *       file (one per mmap() call, see mmap.c); the last put frees it
 * @list: entry in the list of every allocation of pages (pages.c), which
 *        memory offlining checks
 * @length: bytes, a multiple of PAGE_SIZE
 * @nr_pages: @length in pages
 * @policy: SCALEPOOL_POLICY_*
 * @flags: SCALEPOOL_ALLOC_*
 * @nr_parts: entries in @parts
 * @parts: the members holding its memory, by member id
 * @pages: @nr_pages pointers: the page backing each 4 KiB of the
 *         allocation; a 2 MiB page fills 512 entries (head, then its
 *         tail pages) starting at an index that is a multiple of 512;
 *         NULL for SP_BACKING_BAR
 * @backing: enum sp_backing
 * @phys: peer backings: CPU physical address of the extent
 * @kaddr: SP_BACKING_P2PMEM: kernel address from pci_alloc_p2pmem()
 * @revoked: the peer member holding the memory went away: mappings are
 *           zapped and faults get SIGBUS; set once (under @revoke_sem),
 *           read with READ_ONCE
 * @revoke_sem: held for reading by a fault while it maps and by a DMA
 *              mapping of a dma-buf while it reads @pages, for writing by
 *              the revocation (peer backings), so that no fault maps
 *              memory after the revocation zapped the mappings, and by a
 *              move (move.c) while it zaps, copies and swaps @pages
 * @move_lock: serialises the moves of the allocation (move.c) and
 *             guards @parts and @nr_parts once the allocation is whole
 * @movable: the allocation is whole (sp_alloc_create() returned it):
 *           moves may touch it; set and read under the list lock of
 *           pages.c
 * @nr_dma_maps: DMA mappings of SP_BACKING_PAGES memory that importers
 *               hold (dmabuf.c); a move is refused while there are any
 * @map_seq: SP_BACKING_PAGES: counts the faults that map its pages, each
 *           taken under @revoke_sem held for reading before it maps; a
 *           move that zapped a window of pages and finds it unchanged
 *           knows that nothing was mapped there since (move.c)
 * @allow_all: the policy may use every node member (no set, or
 *             PREFERRED with one member): where moves may put pages
 * @nr_allowed: entries in @allowed
 * @allowed: the member ids of the request's set, for moves
 * @memcg: the memory cgroup the pages are charged to, with a reference
 *         (NULL without memcg): moved pages are charged there too
 * @mapping: the address space of every mapping of the allocation (each
 *           allocation file points its f_mapping here), so that one
 *           unmap_mapping_range() zaps them all, forks included
 * @peer_entry: peer backings: entry in the member's list of allocations
 * @basis: SCALEPOOL_BASIS_*: what the policy ranked the members by
 * @dmabufs_lock: guards @dmabufs and @nr_dmabufs (dmabuf.c); see the
 *                lock order in Documentation/design-memory.rst
 * @dmabufs: its live dma-bufs (dmabuf.c's struct sp_dmabuf), each
 *           listed by its export and unlisted by its release
 * @nr_dmabufs: entries in @dmabufs; written under @dmabufs_lock, peeked
 *              with READ_ONCE for fdinfo
 * @handle: its handle in the file that made it
 * @id: sp_alloc_create()'s number for it, unique while the module is
 *      loaded, for the trace events (trace.h); 0 for a plan (MIGRATE)
 * @pgoff: the start of its range in that file's mmap offset space, in
 *         pages; @handle and @pgoff are set by sp_file_reserve()
 * @rss_mm: SP_BACKING_PAGES: the mm (held with mmgrab()) of the process
 *          that made it, whose RssShmem counts its pages until it is
 *          freed (alloc.c), or NULL
 * @initiator: the CPU node the policy placed it for; tiering ranks the
 *             members from there (tier.c); MIGRATE changes it under
 *             @move_lock
 * @tier: TIERED: the access sampling of tiering (tier.c), made under
 *        @move_lock by the first pass that looks at the allocation,
 *        published with a release store, freed with the allocation;
 *        faults read it with an acquire load
 *
 * Everything but @ref, @list, @revoked, @peer_entry, @dmabufs,
 * @nr_dmabufs, @handle, @pgoff, @movable, @nr_dma_maps, @map_seq, what
 * a move changes (@pages under @revoke_sem and @move_lock, @parts and
 * @nr_parts under @move_lock) and what MIGRATE changes (migrate.c:
 * @policy, @basis, @allow_all, @nr_allowed, @allowed, @initiator under
 * @move_lock; @policy and @basis read elsewhere with READ_ONCE) and @tier
 * (set once, see above) is fixed once
 * sp_alloc_create() returns;
 * @handle and @pgoff are fixed once the allocation is published
 * (sp_file_publish()).
 */
struct sp_alloc {
	struct kref ref;
	struct list_head list;
	u64 length;
	unsigned long nr_pages;
	u32 policy;
	u32 flags;
	unsigned int nr_parts;
	struct sp_alloc_part *parts;
	struct page **pages;
	enum sp_backing backing;
	phys_addr_t phys;
	void *kaddr;
	bool revoked;
	u32 basis;
	struct rw_semaphore revoke_sem;
	struct mutex move_lock;		/* moves; @parts once whole */
	bool movable;
	atomic_t nr_dma_maps;
	atomic_long_t map_seq;
	bool allow_all;
	unsigned int nr_allowed;
	u32 *allowed;
	struct mem_cgroup *memcg;
	struct address_space mapping;
	struct list_head peer_entry;
	struct mutex dmabufs_lock;	/* protects @dmabufs, @nr_dmabufs */
	struct list_head dmabufs;
	unsigned int nr_dmabufs;
	u32 handle;
	u64 id;
	unsigned long pgoff;
	struct mm_struct *rss_mm;
	int initiator;
	struct sp_tier *tier;
};

static inline bool sp_alloc_revoked(const struct sp_alloc *a)
{
	return READ_ONCE(a->revoked);
}

/**
 * struct sp_alloc_req - an ALLOC request, checked against the UAPI rules
 * @length: bytes, rounded up to the page size
 * @policy: SCALEPOOL_POLICY_*
 * @flags: SCALEPOOL_ALLOC_*
 * @nr_members: entries in @ids (and @weights)
 * @ids: member ids, no duplicates
 * @weights: INTERLEAVE weights, 1 to SCALEPOOL_MAX_WEIGHT
 * @default_weights: INTERLEAVE without weights from the caller: @weights
 *                   are all 1, and measured bandwidths may replace them
 * @granularity: INTERLEAVE chunk in bytes, a multiple of PAGE_SIZE
 * @initiator: the CPU node placement is for (never SCALEPOOL_INITIATOR_LOCAL)
 * @initiator_pci: with SCALEPOOL_ALLOC_PCI_INITIATOR: the PCI device
 *                 placement is for, with a reference (put by the ioctl)
 */
struct sp_alloc_req {
	u64 length;
	u32 policy;
	u32 flags;
	unsigned int nr_members;
	u32 ids[SCALEPOOL_MAX_MEMBERS];
	u32 weights[SCALEPOOL_MAX_MEMBERS];
	bool default_weights;
	u64 granularity;
	int initiator;
	struct pci_dev *initiator_pci;
};

/**
 * struct sp_peer - the PCI side of a peer member
 * @m: the member; @m's kobject owns this struct (sp_peer_release())
 * @pdev: the device, with a reference
 * @bar: the BAR index ("p2pmem": the BAR holding the P2PDMA memory)
 * @start: CPU physical address of the BAR
 * @kaddr: "bar": write-combined kernel mapping of the BAR; NULL once the
 *         member is torn down (the region is released then too)
 * @pool: "bar": the BAR's address range, handed out in pages ("p2pmem"
 *        members allocate from the kernel's P2PDMA pool)
 * @lock: read: an allocation uses @kaddr and @pool; write: teardown
 * @dead: torn down; under @lock
 * @allocs_lock: protects @allocs
 * @allocs: the member's allocations (struct sp_alloc @peer_entry)
 * @entry: in sp_peers while the member is in the registry
 */
struct sp_peer {
	struct sp_member *m;
	struct pci_dev *pdev;
	int bar;
	phys_addr_t start;
	void __iomem *kaddr;
	struct gen_pool *pool;
	struct rw_semaphore lock;
	bool dead;
	struct mutex allocs_lock;	/* protects @allocs */
	struct list_head allocs;
	struct list_head entry;
};

/* member.c */
struct sp_member *sp_member_get(u32 id);
int sp_members_get_all(struct sp_member ***members, unsigned int *nr,
		       bool peers);
void sp_member_put(struct sp_member *m);
int sp_member_charge(struct sp_member *m, u64 bytes);
void sp_member_uncharge(struct sp_member *m, u64 bytes);
u64 sp_member_free_bytes(const struct sp_member *m);
const char *sp_member_kind_name(const struct sp_member *m);
const char *sp_member_mem_type_name(const struct sp_member *m);
unsigned int sp_members_count(void);
void sp_member_release(struct kobject *kobj);
int sp_member_publish(struct sp_member *m);
void sp_member_unpublish(struct sp_member *m);
int sp_members_init(void);
void sp_members_exit(void);
int sp_hotplug_init(void);
void sp_hotplug_exit(void);

/* sysfs.c */
int sp_sysfs_init(void);
void sp_sysfs_exit(void);
int sp_sysfs_member_add(struct sp_member *m);
void sp_sysfs_member_del(struct sp_member *m);

/* measured.c */
extern struct kobj_attribute sp_measured_attr;
int sp_measured_init(struct sp_member *m);
void sp_measured_free(struct sp_member *m);
bool sp_measured_get(const struct sp_member *m, int initiator,
		     struct sp_measured_fig *fig);

/* ioctl.c */
void sp_ioctl_init(void);
long sp_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);

/* main.c: the allocations of one open file */
int sp_file_reserve(struct sp_file *sf, struct sp_alloc *a);
void sp_file_unreserve(struct sp_file *sf, struct sp_alloc *a);
int sp_file_publish(struct sp_file *sf, struct sp_alloc *a);
struct sp_alloc *sp_file_remove(struct sp_file *sf, u32 handle);
struct sp_alloc *sp_file_get(struct sp_file *sf, u32 handle);
struct sp_alloc *sp_file_get_pgoff(struct sp_file *sf, unsigned long pgoff);

/* alloc.c */
struct sp_alloc *sp_alloc_create(const struct sp_alloc_req *req);
void sp_alloc_put(struct sp_alloc *a);
void sp_alloc_trace(struct sp_alloc *a);
void sp_alloc_trim_parts(struct sp_alloc *a);

/* pages.c (policy.c and the placement itself: place.h) */
int sp_allocs_offline_check(unsigned long start_pfn, unsigned long nr_pages);
int sp_pages_init(void);
void sp_pages_exit(void);
struct page *sp_page_alloc(int nid, unsigned int order, bool zero);
void sp_node_inflight_begin(int nid);
void sp_node_inflight_end(int nid);
void sp_node_pages_add(int nid, long nr);
int sp_allocs_collect(int nid, unsigned long start_pfn, unsigned long end_pfn,
		      struct sp_alloc ***allocs, unsigned int *nr);
void sp_allocs_put(struct sp_alloc **allocs, unsigned int nr);

/* move.c */
int sp_member_drain(struct sp_member *m);
int sp_allocs_evacuate(int nid, unsigned long start_pfn,
		       unsigned long end_pfn, const char **why);
void sp_member_set_refused(struct sp_member *m, const char *why);
int sp_alloc_info_parts(struct sp_alloc *a, struct sp_alloc_part **parts,
			unsigned int *nr);

/* tier.c */
extern const struct attribute_group sp_tier_member_group;
extern struct attribute *sp_tier_root_attrs[];
void sp_tier_fault(struct sp_alloc *a, unsigned long idx, struct page *page);
void sp_tier_free(struct sp_alloc *a);
void sp_tier_exit(void);

/* migrate.c */
int sp_alloc_migrate(struct sp_alloc *a, const struct sp_alloc_req *req,
		     unsigned long first, unsigned long end, u64 *moved);

/* mmap.c */
int sp_mmap_init(void);
void sp_alloc_mapping_init(struct sp_alloc *a);
int sp_mmap(struct sp_file *sf, struct vm_area_struct *vma);
int sp_mmap_setup(struct sp_alloc *a, struct vm_area_struct *vma);
void sp_alloc_revoke(struct sp_alloc *a);

/* pci.c: peer members */
/* Peer memory is zeroed this much at a time, between reschedules. */
#define SP_ZERO_CHUNK	SZ_2M

int sp_pci_init(void);
void sp_pci_exit(void);
void sp_peer_release(struct sp_peer *p);
const char *sp_peer_pci_name(const struct sp_member *m);
int sp_peer_bar(const struct sp_member *m);

/**
 * enum sp_p2p_path - how a PCI device reaches another's memory
 * @SP_P2P_NONE: not peer to peer
 * @SP_P2P_SWITCH: through a common upstream bridge without ACS redirect,
 *                 addressed by PCI bus address (P2PDMA's MAP_BUS_ADDR)
 * @SP_P2P_HOST_BRIDGE: through a host bridge that P2PDMA trusts to
 *                      forward peer traffic, addressed by a DMA mapping
 *                      (P2PDMA's MAP_THRU_HOST_BRIDGE)
 */
enum sp_p2p_path {
	SP_P2P_NONE,
	SP_P2P_SWITCH,
	SP_P2P_HOST_BRIDGE,
};

enum sp_p2p_path sp_pci_p2p_path(struct pci_dev *provider,
				 struct pci_dev *client, int *dist);
int sp_pci_distance(struct pci_dev *provider, struct pci_dev *client);
enum sp_p2p_path sp_peer_path_to(const struct sp_member *m,
				 struct pci_dev *client, int *dist);
int sp_bar_map_sgt(struct sp_alloc *a, struct sg_table *sgt,
		   struct device *dev, enum dma_data_direction dir,
		   unsigned int seg);
void sp_bar_unmap_sgt(struct sp_alloc *a, struct device *dev,
		      struct sg_table *sgt, enum dma_data_direction dir);
ssize_t sp_peer_distances_show(const struct sp_member *m, char *buf);
int sp_peer_alloc(struct sp_alloc *a);
void sp_peer_free(struct sp_alloc *a);
int sp_pci_add_bar(const char *buf);
int sp_pci_remove_member(const char *buf);
int sp_pci_node(struct pci_dev *pdev);
bool sp_peer_exists(struct pci_dev *pdev, enum sp_member_kind kind, int bar);
struct sp_member *sp_peer_member_new(struct pci_dev *pdev,
				     enum sp_member_kind kind, int bar,
				     phys_addr_t start, u64 capacity);
int sp_peer_member_publish(struct sp_member *m);
void sp_peers_remove_dev(struct pci_dev *pdev, enum sp_member_kind kind);

/* p2pmem.c: memory drivers publish through P2PDMA */
#ifdef CONFIG_PCI_P2PDMA
int sp_p2pmem_init(void);
void sp_p2pmem_exit(void);
int sp_p2pmem_alloc(struct sp_alloc *a, struct sp_peer *p);
void sp_p2pmem_put_pages(struct sp_alloc *a);
#else
static inline int sp_p2pmem_init(void)
{
	return 0;
}

static inline void sp_p2pmem_exit(void)
{
}

static inline int sp_p2pmem_alloc(struct sp_alloc *a, struct sp_peer *p)
{
	return -EOPNOTSUPP;
}

static inline void sp_p2pmem_put_pages(struct sp_alloc *a)
{
}
#endif

/* dmabuf.c */
int sp_dmabuf_export(struct sp_alloc *a, u32 flags, bool rdonly,
		     struct dma_buf **out);
void sp_dmabuf_install(struct dma_buf *dmabuf, int fd);
void sp_dmabuf_abort(struct dma_buf *dmabuf, int fd);
void sp_dmabuf_revoke(struct sp_alloc *a);
bool sp_dmabuf_exported(const struct sp_alloc *a);

#endif /* _SCALEPOOL_H */
