/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scalepool: one memory pool over DRAM, CXL and PCIe-attached memory.
 *
 * User space API of /dev/scalepool.
 */
#ifndef _UAPI_LINUX_SCALEPOOL_H
#define _UAPI_LINUX_SCALEPOOL_H

#include <linux/types.h>
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
 * - A @size below the command's minimum (the struct as first released)
 *   gets EINVAL.  A @size above what the kernel knows is accepted when
 *   the extra bytes are zero (a newer program on an older kernel) and
 *   gets E2BIG otherwise.  Output is written back for
 *   min(@size, kernel size) bytes.
 * - Unknown bits in @flags get EOPNOTSUPP.  Invalid field values get
 *   EINVAL, sizes that overflow get EOVERFLOW, an unknown command gets
 *   ENOTTY, an unreadable or unwritable struct gets EFAULT.
 * - Pointers and lengths are __aligned_u64; there are no enums, bools or
 *   raw pointers; padding is explicit, named __reserved, and must be 0
 *   (EINVAL otherwise).
 * - SCALEPOOL_CMD_QUERY reports the ABI version and capability bits;
 *   programs test capabilities rather than versions.
 *
 * Members (the sources of memory) are published in sysfs under
 * /sys/kernel/scalepool/members/<id>/, see
 * Documentation/admin-guide.rst.
 */

/* 0xCB 00-1F is taken (ioctl-number.rst); scalepool uses 0xCB 80-FF. */
#define SCALEPOOL_TYPE		0xCB
#define SCALEPOOL_ABI_VERSION	1

#define SCALEPOOL_CMD_BASE	0x80
#define SCALEPOOL_CMD_QUERY	0x80

/* Capability bits reported by SCALEPOOL_CMD_QUERY in @caps. */
/* NUMA nodes with memory (DRAM and CXL-backed) are members. */
#define SCALEPOOL_CAP_NODE_MEMBERS	(1ULL << 0)
/* Members follow memory hotplug: onlined nodes appear, offlined go. */
#define SCALEPOOL_CAP_MEMORY_HOTPLUG	(1ULL << 1)

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

#endif /* _UAPI_LINUX_SCALEPOOL_H */
