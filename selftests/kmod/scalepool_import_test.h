/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scalepool_import_test: a dma-buf importer for the scalepool tests.
 *
 * The module (selftests/kmod/scalepool_import_test.c) owns a platform
 * device with a 64-bit DMA mask, and a PCI driver a test can bind one
 * PCI device to; SP_IMPORT_CHECK attaches a dma-buf to one of them, maps
 * it for DMA, walks the scatterlist and reads the memory at the DMA
 * addresses, which under dma-direct without an IOMMU are the physical
 * addresses (bus addresses for peer-to-peer, equal to them on x86).
 * The checksum it returns equals the one user space computes over its
 * own mapping only if every address is right.
 */
#ifndef _SCALEPOOL_IMPORT_TEST_H
#define _SCALEPOOL_IMPORT_TEST_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define SP_IMPORT_TEST_DEV	"/dev/scalepool_import_test"

/* struct sp_import_check @flags */
/* Attach as a dynamic importer that allows peer-to-peer DMA. */
#define SP_IMPORT_P2P		_BITUL(0)
/*
 * Import with the PCI device bound to the module's PCI driver (named
 * scalepool_import_test, no ids: bind one with driver_override) instead
 * of the platform device; ENODEV when none is bound.
 */
#define SP_IMPORT_PCI		_BITUL(1)
/*
 * struct sp_import_check @flags only: map and report the segments
 * (@nents, @length, @dma_addr) without reading the memory (@checksum
 * stays 0), for a device behind an IOMMU, whose DMA addresses are no
 * CPU physical addresses.  (Bit 2 is SP_IMPORT_KEEP's, below.)
 */
#define SP_IMPORT_ADDR_ONLY	_BITUL(3)

/**
 * struct sp_import_check - SP_IMPORT_CHECK
 * @fd: in, a dma-buf fd
 * @flags: in, SP_IMPORT_* (others: EINVAL)
 * @nents: out, DMA segments of the mapping
 * @__reserved: must be 0
 * @length: out, sum of the segments' DMA lengths
 * @checksum: out, FNV-1a 64 of the bytes, in scatterlist order
 * @size: out, the dma-buf's size
 * @dma_addr: out, the DMA address of the first segment, for tests of which
 *            address an importer gets (a PCI bus address, a DMA mapping)
 */
struct sp_import_check {
	__s32 fd;
	__u32 flags;
	__u32 nents;
	__u32 __reserved;
	__u64 length;
	__u64 checksum;
	__u64 size;
	__u64 dma_addr;
};

#define SP_IMPORT_CHECK	_IOWR('S', 0x01, struct sp_import_check)

/*
 * A held attachment, one per open file of the device: SP_IMPORT_ATTACH
 * attaches a dma-buf (SP_IMPORT_P2P: as a dynamic peer-to-peer importer,
 * else as a static one) and maps it, and keeps both until
 * SP_IMPORT_DETACH or close.  Its move_notify counts the calls and, as
 * a well-behaved dynamic importer does, unmaps at once; with
 * SP_IMPORT_KEEP it keeps the stale mapping until detach instead.
 * SP_IMPORT_MAP maps again (0 or the exporter's negative errno in
 * @map_error).  SP_IMPORT_STATUS reports.
 */
/* struct sp_import_hold @flags, besides SP_IMPORT_P2P and SP_IMPORT_PCI */
#define SP_IMPORT_KEEP		_BITUL(2)

/**
 * struct sp_import_hold - SP_IMPORT_ATTACH, SP_IMPORT_MAP, SP_IMPORT_STATUS
 * @fd: in (ATTACH), a dma-buf fd
 * @flags: in (ATTACH), SP_IMPORT_P2P, SP_IMPORT_PCI, SP_IMPORT_KEEP
 * @notified: out, move_notify calls so far
 * @mapped: out, 1 while the importer holds a mapping
 * @map_error: out (MAP), 0 or the negative errno of the new mapping
 * @__reserved: must be 0
 * @size: out, the dma-buf's size
 */
struct sp_import_hold {
	__s32 fd;
	__u32 flags;
	__u32 notified;
	__u32 mapped;
	__s32 map_error;
	__u32 __reserved;
	__u64 size;
};

#define SP_IMPORT_ATTACH	_IOWR('S', 0x02, struct sp_import_hold)
#define SP_IMPORT_MAP		_IOWR('S', 0x03, struct sp_import_hold)
#define SP_IMPORT_STATUS	_IOWR('S', 0x04, struct sp_import_hold)
#define SP_IMPORT_DETACH	_IO('S', 0x05)

#define SP_FNV64_OFFSET	0xcbf29ce484222325ULL
#define SP_FNV64_PRIME	0x100000001b3ULL

#endif /* _SCALEPOOL_IMPORT_TEST_H */
