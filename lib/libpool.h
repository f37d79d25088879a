/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpool: the C API of scalepool, one memory pool over DRAM, CXL and
 * PCIe-attached memory.
 *
 * Objects are opaque and reached from a context: pool_new() opens
 * /dev/scalepool and loads the pool's members; every other object
 * belongs to the context and lives until pool_refresh() or the last
 * pool_unref().  Functions that can fail return a negative errno.
 */
#ifndef _LIBPOOL_H_
#define _LIBPOOL_H_

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pool_ctx;
struct pool_member;

/* Objects of libcxl and libdaxctl that a CXL member resolves to. */
struct cxl_region;
struct cxl_memdev;
struct daxctl_dev;

/*
 * NAME
 *	pool_new - create a library context for /dev/scalepool
 *
 * DESCRIPTION
 *	Opens /dev/scalepool read-write and close-on-exec, asks the module
 *	for its ABI version and capabilities (SCALEPOOL_QUERY), checks that
 *	the ABI version is the one this library speaks, and loads the
 *	members from /sys/kernel/scalepool/members.  For members whose
 *	memory is CXL, the dax device, the CXL region and its memory
 *	devices are resolved with libdaxctl and libcxl.  The new context
 *	has a reference count of one and its log priority comes from the
 *	environment variable LIBPOOL_LOG ("err", "info", "debug" or a
 *	syslog priority number; "err" when unset).
 *
 * RETURN
 *	0 and *ctx set on success.  -ENODEV when the scalepool module is
 *	not loaded or /dev/scalepool does not exist, -EPROTO when the
 *	module speaks another ABI version, -ENOMEM when out of memory, and
 *	the errno of open(2), ioctl(2) or of reading sysfs otherwise (for
 *	example -EACCES without permission on the device).  *ctx is left
 *	untouched on failure.
 */
int pool_new(struct pool_ctx **ctx);

/*
 * NAME
 *	pool_ref - take a reference on a context
 *
 * DESCRIPTION
 *	Increments the reference count of @ctx.  A NULL @ctx is ignored.
 *
 * RETURN
 *	@ctx.
 */
struct pool_ctx *pool_ref(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_unref - drop a reference on a context
 *
 * DESCRIPTION
 *	Decrements the reference count of @ctx; at zero, closes the device
 *	and frees the context with all its members and the libcxl and
 *	libdaxctl contexts it holds.  A NULL @ctx is ignored.
 *
 * RETURN
 *	Nothing.
 */
void pool_unref(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_refresh - reload the members of a context
 *
 * DESCRIPTION
 *	Runs SCALEPOOL_QUERY again and reloads every member and its CXL
 *	chain from sysfs, so that members added or removed by memory
 *	hotplug or by the administrator show up.  Every struct pool_member
 *	pointer and every libcxl or libdaxctl object obtained from the
 *	context before the call is invalid afterwards.
 *
 * RETURN
 *	0 on success, a negative errno otherwise; on failure the context
 *	has no members.
 */
int pool_refresh(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_get_abi_version - ABI version of the running module
 *
 * DESCRIPTION
 *	The abi_version that SCALEPOOL_QUERY reported when the context was
 *	created or last refreshed.  Programs should test capabilities
 *	(pool_get_caps()) rather than versions.
 *
 * RETURN
 *	The ABI version (SCALEPOOL_ABI_VERSION of the module).
 */
unsigned int pool_get_abi_version(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_get_caps - capabilities of the running module
 *
 * DESCRIPTION
 *	The SCALEPOOL_CAP_* bits (see <linux/scalepool.h>) that
 *	SCALEPOOL_QUERY reported when the context was created or last
 *	refreshed.
 *
 * RETURN
 *	The capability bits.
 */
unsigned long long pool_get_caps(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_get_nr_members - number of members loaded in a context
 *
 * DESCRIPTION
 *	The number of members that the last load from sysfs found.  This
 *	can differ from what SCALEPOOL_QUERY counted when a member came or
 *	went between the two.
 *
 * RETURN
 *	The number of members, 0 or more.
 */
int pool_get_nr_members(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_set_log_fn - route the library's log messages
 *
 * DESCRIPTION
 *	Every message the library logs at or below the context's priority
 *	goes to @log_fn, with the syslog priority, the source position and
 *	a printf-style format and arguments.  The default writes
 *	"libpool: <function>: <message>" to stderr.  A NULL @log_fn
 *	restores the default.
 *
 * RETURN
 *	Nothing.
 */
void pool_set_log_fn(struct pool_ctx *ctx,
		     void (*log_fn)(struct pool_ctx *ctx, int priority,
				    const char *file, int line,
				    const char *fn, const char *format,
				    va_list args));

/*
 * NAME
 *	pool_get_log_priority - current log priority of a context
 *
 * DESCRIPTION
 *	Messages of this syslog priority and more urgent are logged.
 *
 * RETURN
 *	A syslog priority, LOG_ERR (3) to LOG_DEBUG (7).
 */
int pool_get_log_priority(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_set_log_priority - set the log priority of a context
 *
 * DESCRIPTION
 *	Sets the syslog priority up to which messages are logged, for
 *	example LOG_DEBUG to see everything.  Overrides LIBPOOL_LOG.
 *
 * RETURN
 *	Nothing.
 */
void pool_set_log_priority(struct pool_ctx *ctx, int priority);

/*
 * NAME
 *	pool_set_userdata - attach caller data to a context
 *
 * DESCRIPTION
 *	Stores @userdata in @ctx, for example for a log function.  The
 *	library never dereferences it.
 *
 * RETURN
 *	Nothing.
 */
void pool_set_userdata(struct pool_ctx *ctx, void *userdata);

/*
 * NAME
 *	pool_get_userdata - caller data attached to a context
 *
 * DESCRIPTION
 *	The pointer last given to pool_set_userdata().
 *
 * RETURN
 *	That pointer, or NULL when none was set.
 */
void *pool_get_userdata(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_member_get_first - first member of a context
 *
 * DESCRIPTION
 *	Members are ordered by ascending id.  Use pool_member_foreach() to
 *	walk them all.
 *
 * RETURN
 *	The member with the lowest id, or NULL when the pool is empty.
 */
struct pool_member *pool_member_get_first(struct pool_ctx *ctx);

/*
 * NAME
 *	pool_member_get_next - next member in id order
 *
 * DESCRIPTION
 *	The member that follows @member in ascending id order.
 *
 * RETURN
 *	The next member, or NULL after the last one.
 */
struct pool_member *pool_member_get_next(struct pool_member *member);

#define pool_member_foreach(ctx, member)				\
	for (member = pool_member_get_first(ctx); member != NULL;	\
	     member = pool_member_get_next(member))

/*
 * NAME
 *	pool_member_get_by_id - look a member up by its id
 *
 * DESCRIPTION
 *	Finds the member whose sysfs directory is
 *	/sys/kernel/scalepool/members/<id>.
 *
 * RETURN
 *	The member, or NULL when no member has that id.
 */
struct pool_member *pool_member_get_by_id(struct pool_ctx *ctx,
					  unsigned int id);

/*
 * NAME
 *	pool_member_get_ctx - context a member belongs to
 *
 * DESCRIPTION
 *	The context that loaded @member; no reference is taken.
 *
 * RETURN
 *	The context.
 */
struct pool_ctx *pool_member_get_ctx(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_id - id of a member
 *
 * DESCRIPTION
 *	The module's id for the member, stable while the member exists.
 *
 * RETURN
 *	The id.
 */
unsigned int pool_member_get_id(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_kind - kind of a member
 *
 * DESCRIPTION
 *	What the member is: "node" (the memory of a NUMA node), and in
 *	later modules "bar" (a PCI BAR) or "p2pmem" (PCI P2PDMA memory).
 *	Unknown kinds are passed through as the module spells them.
 *
 * RETURN
 *	The kind as a string owned by the member.
 */
const char *pool_member_get_kind(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_name - stable name of a member
 *
 * DESCRIPTION
 *	The module's name for the member, for example "node2".
 *
 * RETURN
 *	The name as a string owned by the member.
 */
const char *pool_member_get_name(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_node - home NUMA node of a member
 *
 * DESCRIPTION
 *	The NUMA node whose memory the member is, or nearest to which it
 *	sits.
 *
 * RETURN
 *	The node number, or -1 when the member has no home node.
 */
int pool_member_get_node(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_memory - type of memory behind a member
 *
 * DESCRIPTION
 *	"dram" for ordinary system memory, "cxl" for memory of CXL
 *	expanders, and in later modules "device" for device memory.
 *
 * RETURN
 *	The memory type as a string owned by the member.
 */
const char *pool_member_get_memory(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_capacity - size of a member
 *
 * DESCRIPTION
 *	The bytes of memory the member contributes to the pool, as the
 *	module reported them at the last load.
 *
 * RETURN
 *	The capacity in bytes.
 */
unsigned long long pool_member_get_capacity(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_used - bytes of a member in use
 *
 * DESCRIPTION
 *	The bytes of the member that scalepool allocations hold, as the
 *	module reported them at the last load (see pool_refresh()).
 *
 * RETURN
 *	The used bytes.
 */
unsigned long long pool_member_get_used(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_limit - administrator's limit on a member
 *
 * DESCRIPTION
 *	The most bytes that scalepool may allocate from the member.
 *
 * RETURN
 *	The limit in bytes, or 0 when there is none.
 */
unsigned long long pool_member_get_limit(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_fw_read_latency - firmware read latency of a member
 *
 * DESCRIPTION
 *	The read latency from the member's nearest initiator that the
 *	firmware (ACPI HMAT, or CXL CDAT through the kernel) reports, read
 *	from /sys/devices/system/node/nodeN/access0/initiators.  A figure
 *	of 0 is taken as not reported.
 *
 * RETURN
 *	The latency in nanoseconds, or -ENODATA when the figure is
 *	unknown (no home node, or no access0 figures for it).
 */
long long pool_member_get_fw_read_latency(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_fw_write_latency - firmware write latency
 *
 * DESCRIPTION
 *	As pool_member_get_fw_read_latency(), for writes.
 *
 * RETURN
 *	The latency in nanoseconds, or -ENODATA when unknown.
 */
long long pool_member_get_fw_write_latency(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_fw_read_bandwidth - firmware read bandwidth
 *
 * DESCRIPTION
 *	The read bandwidth from the member's nearest initiator that the
 *	firmware reports (access0, as for the latencies).
 *
 * RETURN
 *	The bandwidth in MB/s, or -ENODATA when unknown.
 */
long long pool_member_get_fw_read_bandwidth(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_fw_write_bandwidth - firmware write bandwidth
 *
 * DESCRIPTION
 *	As pool_member_get_fw_read_bandwidth(), for writes.
 *
 * RETURN
 *	The bandwidth in MB/s, or -ENODATA when unknown.
 */
long long pool_member_get_fw_write_bandwidth(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_dax_device - dax device that onlined a CXL member
 *
 * DESCRIPTION
 *	For a member whose memory is "cxl", the libdaxctl device whose
 *	target node is the member's node (the device dax/kmem onlined as
 *	that node).  Use daxctl_dev_get_devname() for its name.  The
 *	object belongs to the context's libdaxctl context and is valid
 *	until pool_refresh() or the last pool_unref().
 *
 * RETURN
 *	The device, or NULL when the member is not CXL or none was found.
 */
struct daxctl_dev *pool_member_get_dax_device(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_cxl_region - CXL region behind a CXL member
 *
 * DESCRIPTION
 *	The libcxl region whose host physical range holds the member's dax
 *	device (matched by the dax region's sysfs path, else by address
 *	range).  Use cxl_region_get_devname() and cxl_region_get_size()
 *	on it.  Valid until pool_refresh() or the last pool_unref().
 *
 * RETURN
 *	The region, or NULL when the member is not CXL or none was found.
 */
struct cxl_region *pool_member_get_cxl_region(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_nr_cxl_memdevs - memory devices of a CXL member
 *
 * DESCRIPTION
 *	The number of CXL memory devices that the member's region
 *	interleaves (its mapped targets).
 *
 * RETURN
 *	The number of memory devices, 0 when the member has no region.
 */
int pool_member_get_nr_cxl_memdevs(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_cxl_memdev - one memory device of a CXL member
 *
 * DESCRIPTION
 *	The memory device at interleave position @index of the member's
 *	region, 0 <= @index < pool_member_get_nr_cxl_memdevs().  Use
 *	cxl_memdev_get_devname() for its name ("mem0").
 *
 * RETURN
 *	The memory device, or NULL when @index is out of range.
 */
struct cxl_memdev *pool_member_get_cxl_memdev(struct pool_member *member,
					      int index);

/*
 * NAME
 *	pool_parse_size - parse a size with an optional binary suffix
 *
 * DESCRIPTION
 *	Parses a decimal number of bytes, optionally followed by one of
 *	the suffixes K, M, G or T (either case, powers of 1024) and an
 *	optional "iB" after the suffix, as in "4096", "256M", "1g" or
 *	"2GiB".  No sign, blanks or other text are accepted.
 *
 * RETURN
 *	0 with *size set on success, -EINVAL for an empty or malformed
 *	string (or NULL arguments), -EOVERFLOW when the value does not fit
 *	in 64 bits.  *size is left untouched on failure.
 */
int pool_parse_size(const char *str, unsigned long long *size);

/*
 * NAME
 *	pool_format_size - format a byte count for people
 *
 * DESCRIPTION
 *	Writes @bytes into @buf as "<n> B" below 1 KiB and otherwise with
 *	one decimal and the largest binary unit that keeps the number at
 *	least 1, as in "256.0 MiB" or "1.5 GiB" (rounded to nearest).
 *
 * RETURN
 *	The length of the string written (without the NUL), -EINVAL for a
 *	NULL @buf, or -ENOSPC when @len is too small (then @buf holds
 *	nothing useful).
 */
int pool_format_size(unsigned long long bytes, char *buf, size_t len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _LIBPOOL_H_ */
