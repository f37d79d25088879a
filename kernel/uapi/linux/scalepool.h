/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scalepool: one memory pool over DRAM, CXL and PCIe-attached memory.
 *
 * User space API of /dev/scalepool.
 */
#ifndef _UAPI_LINUX_SCALEPOOL_H
#define _UAPI_LINUX_SCALEPOOL_H

#include <linux/types.h>
#include <linux/const.h>
#include <linux/ioctl.h>

/**
 * DOC: scalepool ioctl rules
 *
 * Every command is ``_IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_x)`` on an fd of
 * /dev/scalepool and takes one struct, whose layout follows the rules of
 * iommufd and Documentation/process/botching-up-ioctls.rst:
 *
 * - It starts with ``__u32 size; __u32 flags;``.  @size is sizeof the
 *   struct as user space was compiled; the kernel reads that many bytes.
 * - A @size below the command's minimum (the struct as released with
 *   ABI version 2) gets EINVAL.  A @size above what the kernel knows is accepted when
 *   the extra bytes are zero (a newer program on an older kernel) and
 *   gets E2BIG otherwise.  Output is written back for
 *   min(@size, kernel size) bytes.
 * - Unknown bits in @flags get EOPNOTSUPP.  Invalid field values get
 *   EINVAL, sizes that overflow get EOVERFLOW, an unknown command gets
 *   ENOTTY, an unreadable struct, or an unwritable one of a command with
 *   output fields, gets EFAULT (FREE only reads its struct).
 * - Pointers and lengths are __aligned_u64; there are no enums, bools or
 *   raw pointers; padding is explicit, named __reserved, and must be 0
 *   (EINVAL otherwise).
 * - SCALEPOOL_CMD_QUERY reports the ABI version and capability bits;
 *   programs test capabilities rather than versions.  Version 2 changed
 *   the layout of struct scalepool_alloc and struct scalepool_info and
 *   the meaning of handles and mmap offsets; version 1 programs must be
 *   rebuilt (libpool refuses a module of another version).
 * - The structs have the same layout for 32-bit and 64-bit user space,
 *   so 32-bit processes use the same commands (compat_ioctl).
 *
 * Handles and mmap offsets (ALLOC's @handle and @offset) belong to the
 * fd that made them.  Neither is handed out again soon after FREE:
 * handles count up (1, 2, ...) and wrap only after 2^31 - 1 ALLOCs on
 * the fd, and each allocation gets the next free range of the fd's
 * mmap offset space, which wraps to its start only at its end, so a
 * stale handle gets ENOENT and a stale offset EINVAL rather than naming
 * a newer allocation.  The offset space lies below 2^44 bytes (16 TiB),
 * where the 32-bit mmap2 call reaches every offset (with a 64-bit
 * off_t: build 32-bit programs with _FILE_OFFSET_BITS=64).
 *
 * Members (the sources of memory) are published in sysfs under
 * /sys/kernel/scalepool/members/<id>/, see
 * Documentation/admin-guide.rst.
 */

/* 0xCB 00-1F is taken (ioctl-number.rst); scalepool uses 0xCB 80-FF. */
#define SCALEPOOL_TYPE		0xCB
#define SCALEPOOL_ABI_VERSION	2

#define SCALEPOOL_CMD_BASE	0x80
#define SCALEPOOL_CMD_QUERY	0x80
#define SCALEPOOL_CMD_ALLOC	0x81
#define SCALEPOOL_CMD_FREE	0x82
#define SCALEPOOL_CMD_INFO	0x83
#define SCALEPOOL_CMD_EXPORT	0x84
#define SCALEPOOL_CMD_MIGRATE	0x85

/* Capability bits reported by SCALEPOOL_CMD_QUERY in @caps. */
/* NUMA nodes with memory (DRAM and CXL-backed) are members. */
#define SCALEPOOL_CAP_NODE_MEMBERS	_BITULL(0)
/* Members follow memory hotplug: onlined nodes appear, offlined go. */
#define SCALEPOOL_CAP_MEMORY_HOTPLUG	_BITULL(1)
/* ALLOC, FREE, INFO and mmap of node members' memory. */
#define SCALEPOOL_CAP_ALLOC		_BITULL(2)
/*
 * Allocations are mapped with 2 MiB pages where size and address allow
 * (DRAM members; CXL memory in ZONE_MOVABLE is held in 2 MiB pages but
 * mapped 4 KiB at a time, see Documentation/design-memory.rst).
 */
#define SCALEPOOL_CAP_HUGE_MAPPINGS	_BITULL(3)
/*
 * PCI BARs of devices bound to scalepool's PCI driver can be added as
 * "bar" members (/sys/kernel/scalepool/add_bar).  Absent when the kernel
 * has no PCI support.
 */
#define SCALEPOOL_CAP_BAR_MEMBERS	_BITULL(4)
/*
 * Memory that drivers publish through PCI P2PDMA (an NVMe controller
 * memory buffer) appears as "p2pmem" members.  Absent when the kernel
 * was built without CONFIG_PCI_P2PDMA (Debian's stock kernels).
 */
#define SCALEPOOL_CAP_P2PMEM_MEMBERS	_BITULL(5)
/* NEAREST accepts a PCI device as initiator (SCALEPOOL_ALLOC_PCI_INITIATOR). */
#define SCALEPOOL_CAP_PCI_INITIATOR	_BITULL(6)
/* SCALEPOOL_CMD_EXPORT: allocations can be exported as dma-bufs. */
#define SCALEPOOL_CAP_EXPORT		_BITULL(7)
/*
 * Measured access figures written to /sys/kernel/scalepool/members/<id>/
 * measured are used by NEAREST and by INTERLEAVE's default weights (see
 * the placement policies), and SCALEPOOL_INFO reports @basis.
 */
#define SCALEPOOL_CAP_MEASURED		_BITULL(8)
/* SCALEPOOL_CMD_MIGRATE: allocations move between node members. */
#define SCALEPOOL_CAP_MIGRATE		_BITULL(9)

/**
 * struct scalepool_query - ioctl(SCALEPOOL_QUERY)
 * @size: sizeof(struct scalepool_query)
 * @flags: must be 0
 * @abi_version: output, SCALEPOOL_ABI_VERSION of the running module
 * @nr_members: output, number of members at the time of the call
 * @caps: output, SCALEPOOL_CAP_* bits
 */
struct scalepool_query {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 nr_members;
	__aligned_u64 caps;
};

#define SCALEPOOL_QUERY _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_QUERY)

/*
 * Placement policies (struct scalepool_alloc @policy).  The kernel applies
 * them when it allocates, so every client gets the same placement:
 *
 * BIND:       only the members in the set, nearest to the initiator first
 *             (SLIT distance), spilling to the next nearest in the set.
 * PREFERRED:  members[0] first; then the rest of the set by distance from
 *             members[0]'s node, or, when the set is members[0] alone,
 *             every node member by that distance.
 * INTERLEAVE: chunks of @granularity bytes dealt to the members in order,
 *             weights[i] chunks at a time (weighted round robin).
 * NEAREST:    the one member nearest to the initiator: by SLIT distance,
 *             ties broken by the firmware's abstract distance (memory
 *             tiers, from HMAT/CDAT), then by id; the set (or every node
 *             member when empty) limits the candidates.  Never spills.
 * TIERED:     fill the fastest tier first, then the next: members of the
 *             set (or every node member when empty) ordered by the
 *             memory-tier abstract distance the firmware gives the node,
 *             then by distance from the initiator.
 *
 * Peer members (kinds "bar" and "p2pmem": PCI device memory) hold an
 * allocation in one piece: a set that names a peer member must name it
 * alone, with BIND or NEAREST (EINVAL otherwise).  NEAREST with a PCI
 * initiator (SCALEPOOL_ALLOC_PCI_INITIATOR) and an empty set considers
 * every member: peer members the device reaches through a PCIe switch
 * (a common upstream bridge, without ACS redirecting the traffic
 * upstream) first, by P2PDMA distance (hops in the PCI hierarchy where
 * the kernel lacks P2PDMA), then node members by SLIT distance from the
 * device's NUMA node.  Peer members it reaches only through the host
 * bridge are no candidates, even where P2PDMA trusts that host bridge:
 * a set of only such members fails with ENOMEM.
 *
 * Measured figures (SCALEPOOL_CAP_MEASURED; written to
 * /sys/kernel/scalepool/members/<id>/measured, per initiator CPU node)
 * come first where every candidate has them:
 *
 * - NEAREST with a CPU initiator, when every candidate has figures for
 *   the initiator: the member with the lowest measured latency from it,
 *   ties broken as above (SLIT distance, abstract distance, id).  When
 *   one candidate lacks figures, none are used.
 * - INTERLEAVE without weights (@weights_ptr 0), when every member of
 *   the set has figures for the initiator: weights proportional to the
 *   measured bandwidths, as Linux's weighted interleave (6.16 and
 *   later) derives them from firmware bandwidth: each member gets 32 *
 *   its bandwidth / the sum, at least 1, and the weights are divided by
 *   their greatest common divisor (3000 and 1000 MB/s give 3 and 1).
 *   Otherwise every weight is 1.
 *
 * SCALEPOOL_INFO reports in @basis which figures ordered the members.
 *
 * A policy that cannot be met fails the allocation; memory never lands
 * outside what the policy allows.  ENOMEM: the allowed members have no
 * free memory for it.  ENOSPC: an admin limit
 * (/sys/kernel/scalepool/members/<id>/limit) would be exceeded.
 */
#define SCALEPOOL_POLICY_BIND		0
#define SCALEPOOL_POLICY_PREFERRED	1
#define SCALEPOOL_POLICY_INTERLEAVE	2
#define SCALEPOOL_POLICY_NEAREST	3
#define SCALEPOOL_POLICY_TIERED		4

/* struct scalepool_alloc @flags */
/*
 * Map every page of each new mapping before mmap() returns to user space,
 * for every kind of member (MAP_POPULATE and MADV_POPULATE_* cannot fill
 * the PFN mappings of "bar" members).  The pages are mapped after the
 * mapping is complete, so a member that goes meanwhile revokes them as
 * any others.  Best effort, like MAP_POPULATE: it never makes mmap()
 * fail; pages it did not map (a fatal signal, a revoked allocation, a
 * mapping another thread changed meanwhile) are mapped on fault as
 * without the flag.  (A MAP_FIXED mmap() that fails for another reason,
 * EINVAL or ENOMEM, leaves the range unmapped: Linux 6.12 removes the
 * old mappings before it asks the driver, for every device.)
 */
#define SCALEPOOL_ALLOC_POPULATE	_BITUL(0)
/* Use 4 KiB pages only (move_pages(2) sees every page). */
#define SCALEPOOL_ALLOC_NO_HUGE		_BITUL(1)
/*
 * NEAREST only: @initiator_pci_domain and @initiator_pci_bdf, not
 * @initiator, name the initiator.
 */
#define SCALEPOOL_ALLOC_PCI_INITIATOR	_BITUL(2)

/* Limits of struct scalepool_alloc fields. */
#define SCALEPOOL_MAX_MEMBERS		64
#define SCALEPOOL_MAX_WEIGHT		255
/*
 * Longest allocation.  The mmap offset space would allow allocations up
 * to 16 TiB less 4 MiB; this limit is lower.  Also capped per fd by the
 * max_bytes_per_fd module parameter.
 */
#define SCALEPOOL_MAX_ALLOC_SIZE	0x10000000000ULL	/* 1 TiB */
#define SCALEPOOL_MAX_GRANULARITY	0x40000000ULL	/* 1 GiB */
/* The initiator is the CPU node of the calling thread. */
#define SCALEPOOL_INITIATOR_LOCAL	(-1)
/* struct scalepool_alloc @initiator_pci_bdf: PCI bus and device.function */
#define SCALEPOOL_PCI_BDF(bus, devfn) \
	((((__u32)(bus) & 0xff) << 8) | ((__u32)(devfn) & 0xff))
/* Highest @initiator_pci_domain (Linux's PCI domain numbers are ints). */
#define SCALEPOOL_PCI_DOMAIN_MAX	0x7fffffff

/**
 * struct scalepool_alloc - ioctl(SCALEPOOL_ALLOC)
 * @size: sizeof(struct scalepool_alloc)
 * @flags: SCALEPOOL_ALLOC_* bits; others get EOPNOTSUPP
 * @length: bytes to allocate, 1 to SCALEPOOL_MAX_ALLOC_SIZE; rounded up
 *          to the page size (EOVERFLOW beyond)
 * @policy: SCALEPOOL_POLICY_*; others get EINVAL
 * @nr_members: entries in @members_ptr (and @weights_ptr), at most
 *              SCALEPOOL_MAX_MEMBERS; 0 only for NEAREST and TIERED
 * @members_ptr: user pointer to __u32 member ids, no duplicates (EINVAL);
 *               an id that is not a member gets ENOENT
 * @weights_ptr: INTERLEAVE only: user pointer to __u32 weights, 1 to
 *               SCALEPOOL_MAX_WEIGHT; 0 means weights from measured
 *               bandwidths where every member has them, else every
 *               weight 1.  Must be 0 for the other policies.
 * @granularity: INTERLEAVE only: bytes per chunk, a multiple of the page
 *               size up to SCALEPOOL_MAX_GRANULARITY; 0 means the page
 *               size.  Must be 0 for the other policies.
 * @initiator: NEAREST, TIERED, BIND, and INTERLEAVE without weights
 *             (whose measured weights are those from this node): the CPU
 *             NUMA node placement is for, or SCALEPOOL_INITIATOR_LOCAL;
 *             a node without CPUs gets EINVAL (checked, and else
 *             ignored, for the other policies)
 * @initiator_pci_domain: with SCALEPOOL_ALLOC_PCI_INITIATOR (NEAREST
 *                        only, EINVAL otherwise): the PCI domain
 *                        (segment) of the device placement is for, 0 to
 *                        SCALEPOOL_PCI_DOMAIN_MAX (EINVAL above; domains
 *                        above 0xffff, such as VMD's, are domains of
 *                        their own).  Must be 0 without the flag.
 * @initiator_pci_bdf: with SCALEPOOL_ALLOC_PCI_INITIATOR:
 *                     SCALEPOOL_PCI_BDF(bus, devfn) of that device; bits
 *                     above the low 16 get EINVAL.  ENODEV when no such
 *                     device exists.  @initiator must then be
 *                     SCALEPOOL_INITIATOR_LOCAL.  Must be 0 without the
 *                     flag.
 * @handle: output, the allocation's handle, meaningful on this fd only;
 *          never 0
 * @offset: output, the mmap offset of the allocation on this fd: the
 *          start of a range of the fd's offset space as long as the
 *          allocation (2 MiB-aligned when it is 2 MiB or longer), below
 *          2^44
 *
 * The memory is zeroed, charged to the caller's memory cgroup and owned
 * by the fd: FREE or close(2) releases it, except that a live mapping
 * keeps it until munmap.  Map it with mmap(MAP_SHARED) at @offset (a
 * private mapping gets EINVAL); a mapping may cover a page-aligned part
 * of the allocation but not go past its end (EINVAL); an offset that
 * names no allocation of this fd (a freed allocation's among them) gets
 * EINVAL.  A child inherits the mappings across fork(2) and shares the
 * memory with its parent.  ENOSPC also when the fd's offset space has no
 * free range long enough (its live allocations cover nearly 16 TiB).
 * An ALLOC whose struct cannot be written back gets EFAULT and leaves
 * nothing behind.
 *
 * ENOSPC also when the allocation would take the sum of the lengths of
 * the fd's allocations past the module parameter max_bytes_per_fd
 * (bytes, 0 for no cap; by default half of the RAM at load time; see
 * Documentation/admin-guide.rst).  EBADF when the fd was not opened for
 * writing (O_RDONLY), checked before anything else.
 *
 * Memory of node members counts in the RssShmem (and VmRSS) of the
 * process that made the allocation, until the memory is freed, so that
 * the OOM killer sees it whether it is mapped or not.
 *
 * Memory of ZONE_MOVABLE members (CXL memory onlined by dax/kmem) is
 * mapped without struct page references: get_user_pages() fails on it
 * at once (a long-term pin such as io_uring buffer registration gets
 * EEXIST or EFAULT; O_DIRECT and vmsplice fail too) and move_pages(2)
 * does not see it.  DRAM pages mapped 4 KiB at a time are normal pages
 * (get_user_pages and move_pages work); 2 MiB mappings are pinnable but
 * not seen by move_pages (use SCALEPOOL_ALLOC_NO_HUGE for that).
 *
 * Memory of "bar" members is mapped write-combined as PFN mappings (no
 * struct page: GUP fails).  When a peer member goes (remove_member,
 * driver unbind, hot unplug), every mapping of its allocations is
 * zapped and later accesses get SIGBUS; the handles stay until FREE,
 * and INFO reports SCALEPOOL_INFO_STATE_REVOKED.
 */
struct scalepool_alloc {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__u32 policy;
	__u32 nr_members;
	__aligned_u64 members_ptr;
	__aligned_u64 weights_ptr;
	__aligned_u64 granularity;
	__s32 initiator;
	__u32 initiator_pci_domain;
	__u32 initiator_pci_bdf;
	__u32 handle;
	__aligned_u64 offset;
};

#define SCALEPOOL_ALLOC _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_ALLOC)

/**
 * struct scalepool_free - ioctl(SCALEPOOL_FREE)
 * @size: sizeof(struct scalepool_free)
 * @flags: must be 0
 * @handle: an allocation of this fd; ENOENT otherwise (a freed handle, a
 *          handle of another fd, 0)
 * @__reserved: must be 0
 *
 * The handle is gone at once; the memory is freed when no mapping uses it.
 * EBADF when the fd was not opened for writing.  The struct is only read
 * (FREE has no output), so it may lie in read-only memory.
 */
struct scalepool_free {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
};

#define SCALEPOOL_FREE _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_FREE)

/**
 * struct scalepool_placement - where some of an allocation's bytes live
 * @member: member id
 * @node: the member's NUMA node
 * @bytes: bytes of the allocation on that member
 * @huge_bytes: of which in 2 MiB pages
 */
struct scalepool_placement {
	__u32 member;
	__s32 node;
	__aligned_u64 bytes;
	__aligned_u64 huge_bytes;
};

/*
 * struct scalepool_info @basis: what the policy ranked the members by,
 * the best of the figures that decided a step of the order (or of the
 * weights): MEASURED over FIRMWARE over DISTANCE over NONE.
 */
/* Nothing was ranked: the caller's order and weights, or one candidate. */
#define SCALEPOOL_BASIS_NONE		0
/* SLIT distance (the firmware's node distance table); ties by id. */
#define SCALEPOOL_BASIS_DISTANCE	1
/* The memory-tier abstract distance, from HMAT/CDAT figures. */
#define SCALEPOOL_BASIS_FIRMWARE	2
/* Figures measured from the initiator (members/<id>/measured). */
#define SCALEPOOL_BASIS_MEASURED	3

/* struct scalepool_info @state */
/*
 * The peer member holding the memory went away: its mappings were
 * zapped (accesses get SIGBUS), EXPORT gets ENODEV.  FREE still works.
 */
#define SCALEPOOL_INFO_STATE_REVOKED	_BITUL(0)

/**
 * struct scalepool_info - ioctl(SCALEPOOL_INFO)
 * @size: sizeof(struct scalepool_info)
 * @flags: must be 0
 * @handle: an allocation of this fd (ENOENT otherwise)
 * @policy: output, its SCALEPOOL_POLICY_*
 * @length: output, its size in bytes (page-rounded)
 * @offset: output, its mmap offset (ALLOC's @offset)
 * @alloc_flags: output, the SCALEPOOL_ALLOC_* flags it was made with
 * @nr_placements: in: room at @placements_ptr, in entries; out: entries
 *                 the allocation has, which may be more than the room
 *                 (only the room is written)
 * @placements_ptr: user pointer to struct scalepool_placement[], one
 *                  entry per member holding bytes, in member id order;
 *                  may be 0 when @nr_placements is 0
 * @basis: output, SCALEPOOL_BASIS_*: what placed the allocation; for
 *         NEAREST what picked the member over the runner-up, for BIND,
 *         PREFERRED and TIERED what ordered the members they fill, for
 *         INTERLEAVE MEASURED when measured bandwidths gave the weights.
 *         Ignored on input.
 * @state: output, SCALEPOOL_INFO_STATE_* bits: what happened to the
 *         allocation since ALLOC; ignored on input
 */
struct scalepool_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 policy;
	__aligned_u64 length;
	__aligned_u64 offset;
	__u32 alloc_flags;
	__u32 nr_placements;
	__aligned_u64 placements_ptr;
	__u32 basis;
	__u32 state;
};

#define SCALEPOOL_INFO _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_INFO)

/* struct scalepool_export @flags */
/* The new fd is close-on-exec. */
#define SCALEPOOL_EXPORT_CLOEXEC	_BITUL(0)
/* A read-only dma-buf (always so from an fd opened without write access). */
#define SCALEPOOL_EXPORT_RDONLY		_BITUL(1)

/**
 * struct scalepool_export - ioctl(SCALEPOOL_EXPORT)
 * @size: sizeof(struct scalepool_export)
 * @flags: SCALEPOOL_EXPORT_* bits; others get EOPNOTSUPP
 * @handle: an allocation of this fd (ENOENT otherwise, also when freed)
 * @fd: output, a new file descriptor of a new dma-buf of the allocation:
 *      read-write, or read-only with SCALEPOOL_EXPORT_RDONLY or when
 *      this /dev/scalepool fd was opened without write access
 *
 * Every EXPORT makes a new dma-buf; several may share one allocation.
 * A dma-buf keeps the memory alive after FREE and close of the
 * /dev/scalepool fd, until its last fd, mapping and importer attachment
 * go.  mmap(MAP_SHARED) of the dma-buf fd maps the whole allocation or a
 * part of it (PROT_WRITE of a read-only one gets EACCES);
 * DMA_BUF_IOCTL_SYNC is accepted.  Importers get one scatterlist entry
 * per contiguous range; a read-only dma-buf restricts CPU mappings only,
 * the importing driver decides what its device may do.
 *
 * Memory of peer members ("bar", "p2pmem") can be revoked, so it goes
 * only to dynamic importers that allow peer-to-peer DMA (others get
 * EOPNOTSUPP at attach, and so does an explicit pin where the kernel
 * has CONFIG_DMABUF_MOVE_NOTIFY): when the member goes, every CPU
 * mapping of the dma-buf is zapped (SIGBUS above), every importer gets
 * move_notify under the reservation lock, its fences are waited for, and
 * the references its mappings held on p2pmem pages are taken back.
 * Afterwards the allocation cannot be exported (ENODEV) and its dma-bufs
 * refuse new mappings and attachments (ENODEV).
 */
struct scalepool_export {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__s32 fd;
};

#define SCALEPOOL_EXPORT _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_EXPORT)

/**
 * struct scalepool_migrate - ioctl(SCALEPOOL_MIGRATE)
 * @size: sizeof(struct scalepool_migrate)
 * @flags: must be 0 (EOPNOTSUPP otherwise)
 * @handle: an allocation of this fd (ENOENT otherwise)
 * @policy: the new SCALEPOOL_POLICY_*; EINVAL for others
 * @start: byte offset of the range to move in the allocation, a multiple
 *         of the page size (EINVAL otherwise, and beyond the end)
 * @length: bytes of the range, a multiple of the page size; 0 means from
 *          @start to the end.  A range past the end gets EINVAL.  A 2 MiB
 *          page partly in the range moves whole.
 * @nr_members: as ALLOC's: entries in @members_ptr (and @weights_ptr)
 * @initiator: as ALLOC's (no PCI initiator: there is no flag for it)
 * @members_ptr: as ALLOC's; node members only: a peer member ("bar",
 *               "p2pmem") gets EINVAL, since peer members hold an
 *               allocation in one piece
 * @weights_ptr: as ALLOC's (INTERLEAVE only)
 * @granularity: as ALLOC's (INTERLEAVE only)
 * @moved: output: bytes that moved to another member
 *
 * Moves the pages of the range that the new policy would not have put
 * where they are, to where it puts them, while they are mapped and in
 * use (the mechanism of member drain: mappings keep their addresses; a
 * thread touching a page waits and continues with the data intact).  A
 * page stays where it is when its member is one the policy accepts for
 * it: BIND and TIERED any member of the set, PREFERRED members[0],
 * NEAREST the member it picks, INTERLEAVE the member its chunk is dealt
 * to (chunks counted from the start of the allocation).  Pages that move
 * go where ALLOC would put them, spilling as the policy spills, within
 * the members' limits and charged to the allocation's memory cgroup (a
 * PREFERRED page on a later member of the set stays there when the
 * members before it have no room, as ALLOC would have spilled to it).
 * A 2 MiB page moves whole: under INTERLEAVE, one spanning chunks dealt
 * to several members goes to the member of its first chunk.
 *
 * When the range is the whole allocation and the call succeeds, the
 * allocation takes the new policy and set (INFO's @policy and @basis,
 * and what later drains and evacuations of its members use); for part
 * of it, or when the call fails, the policy stays and the members later
 * moves may use are those of both sets.
 *
 * On success @moved is written back.  On failure the pages moved before
 * it stay moved (INFO shows the placement), and the first error is
 * returned: ENOMEM or ENOSPC when the policy's members have no room
 * (ENOSPC: an admin limit); EBUSY when a page is pinned (GUP) or a
 * dma-buf importer maps the allocation; EOPNOTSUPP for an allocation on
 * a peer member; ENODEV for a revoked one; EINTR on a fatal signal.
 * EBADF when the fd was not opened for writing.
 *
 * Another process's allocation is moved through its fd
 * (pidfd_getfd(2), as `poolctl migrate` does); handles are those its
 * /proc/<pid>/fdinfo/<fd> lists.
 */
struct scalepool_migrate {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 policy;
	__aligned_u64 start;
	__aligned_u64 length;
	__u32 nr_members;
	__s32 initiator;
	__aligned_u64 members_ptr;
	__aligned_u64 weights_ptr;
	__aligned_u64 granularity;
	__aligned_u64 moved;
};

#define SCALEPOOL_MIGRATE _IO(SCALEPOOL_TYPE, SCALEPOOL_CMD_MIGRATE)

#endif /* _UAPI_LINUX_SCALEPOOL_H */
