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
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pool_ctx;
struct pool_member;
struct pool_buf;

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
 *	pool_member_get_pci - PCI device of a peer member
 *
 * DESCRIPTION
 *	Peer members ("bar" and "p2pmem") are memory of a PCI device.
 *
 * RETURN
 *	Its address, "DDDD:BB:DD.F", or NULL for a node member.
 */
const char *pool_member_get_pci(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_bar - BAR index of a peer member
 *
 * RETURN
 *	0 to 5, or -1 for a node member.
 */
int pool_member_get_bar(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_peer_distance - peer-to-peer distance of two members
 *
 * DESCRIPTION
 *	The kernel's P2PDMA distance between the devices of two peer
 *	members (hops through their common upstream bridge on kernels
 *	without P2PDMA), as members/<id>/peer_distance gives it when the
 *	context was loaded.
 *
 * RETURN
 *	The distance, -1 when the devices have no peer-to-peer path,
 *	-ENOENT when either is not a peer member (or @peer is @member),
 *	-EINVAL for NULL.
 */
int pool_member_get_peer_distance(struct pool_member *member,
				  struct pool_member *peer);

/*
 * NAME
 *	pool_pci_check_address - is a string a PCI device address
 *
 * DESCRIPTION
 *	Checks @bdf against the form sysfs gives PCI device names,
 *	"DDDD:BB:DD.F": a domain of 4 to 8 hex digits up to 0x7fffffff,
 *	a bus of 2, a device of 2 up to 1f, a function 0 to 7.  Needs no
 *	context and no module, so that a program can refuse a bad
 *	address before it opens the pool.  Whether the device exists is
 *	not checked.
 *
 * RETURN
 *	0, or -EINVAL.
 */
int pool_pci_check_address(const char *bdf);

/*
 * NAME
 *	pool_member_add_bar - make a BAR of a PCI device a "bar" member
 *
 * DESCRIPTION
 *	@bdf is "DDDD:BB:DD.F" (see pool_pci_check_address()).  An unbound
 *	device is first given to the scalepool PCI driver
 *	(driver_override, then bind); a device bound to another driver is
 *	refused.  Then "@bdf @bar" (just "@bdf" when @bar < 0: the kernel
 *	picks the device's largest prefetchable memory BAR; one that is
 *	not prefetchable, which may hold registers, must be named) is
 *	written to /sys/kernel/scalepool/add_bar.  If that fails, a device
 *	bound here is unbound and its driver_override cleared.
 *	On success the context is refreshed (see pool_refresh(): member
 *	pointers obtained before are invalid) and *@id, when @id is not
 *	NULL, is the new member's id.  Needs root (CAP_SYS_ADMIN).
 *
 *	Every failure is logged at LOG_ERR (pool_set_log_fn()) in one
 *	message that names the cause and ends in the errno's text:
 *	"no such device D", "D is bound to driver nvme", "D: BAR 3 is not
 *	a memory BAR", "D: BAR 0 is 256 bytes (< 1 MiB)", "D: BAR 0
 *	(1048576 bytes) is not prefetchable and may hold registers; name
 *	it with --bar 0 if it is memory", "D: BAR 2 is already a member",
 *	"D: not root", "D: refused by kernel lockdown (integrity)".  The
 *	sizes and flags are those of the device's sysfs resource file.
 *
 * RETURN
 *	0, or a negative errno, the kernel's for add_bar: -EINVAL (a
 *	malformed @bdf, @bar > 5), -ENODEV (no such device, or not bound
 *	to scalepool: the module is not loaded), -EBUSY (bound to another
 *	driver, or the BAR is claimed), -ENXIO (the BAR named is not a
 *	memory BAR, or with @bar < 0 the device has none), -EOPNOTSUPP
 *	(@bar < 0 and the device's memory BARs are not prefetchable),
 *	-ERANGE (the BAR is smaller than 1 MiB), -EEXIST (already a
 *	member), -EPERM (not root, or kernel lockdown), -EACCES (not
 *	root).
 */
int pool_member_add_bar(struct pool_ctx *ctx, const char *bdf, int bar,
			unsigned int *id);

/*
 * NAME
 *	pool_member_remove - remove a "bar" member
 *
 * DESCRIPTION
 *	Writes the member's id to /sys/kernel/scalepool/remove_member:
 *	mappings of its allocations are zapped (later accesses get SIGBUS),
 *	their handles stay valid until freed.  When the device then holds
 *	no other member, it is unbound from scalepool and its
 *	driver_override cleared.  The context is refreshed: @member and
 *	every other member pointer are invalid afterwards.  A refusal by
 *	the kernel is logged at LOG_ERR ("D: not root", "D: refused by
 *	kernel lockdown (integrity)").
 *
 * RETURN
 *	0, or a negative errno: -EINVAL (not a "bar" member: node members
 *	stay, p2pmem members follow their driver), -ENOENT (already gone),
 *	-EPERM or -EACCES (not root, or kernel lockdown).
 */
int pool_member_remove(struct pool_member *member);

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

/*
 * NAME
 *	pool_member_get_free - free memory on a member's node
 *
 * DESCRIPTION
 *	The bytes the kernel had free on the member's memory (for a node
 *	member, the node's free pages), as the module's sysfs attribute
 *	"free" reported them at the last load (see pool_refresh()).
 *	Modules before allocation support do not publish it.
 *
 * RETURN
 *	The free bytes, or -ENODATA when the module does not report them.
 */
long long pool_member_get_free(struct pool_member *member);

/*
 * NAME
 *	pool_member_set_limit - set the administrator's limit on a member
 *
 * DESCRIPTION
 *	Writes @bytes to /sys/kernel/scalepool/members/<id>/limit: from
 *	then on, an allocation that would take the member's used bytes
 *	above @bytes fails with ENOSPC.  0 removes the limit.  Lowering a
 *	limit below the used bytes frees nothing.  Needs root
 *	(CAP_SYS_ADMIN).  On success the member's limit (see
 *	pool_member_get_limit()) is read back from sysfs, in case the
 *	module rounded it; other attributes keep their last loaded values.
 *
 * RETURN
 *	0 on success, or the negative errno of open(2) or write(2): for
 *	example -EACCES or -EPERM without the privilege, -EINVAL for a
 *	value the module refuses, -ENOENT when the member is gone.
 */
int pool_member_set_limit(struct pool_member *member,
			  unsigned long long bytes);

/*
 * NAME
 *	pool_member_drain - move every page of a member to other members
 *
 * DESCRIPTION
 *	Writes "1" to /sys/kernel/scalepool/members/<id>/drain: the module
 *	moves the pages each allocation holds on @member to the nearest
 *	other members that allocation's policy allows, within their
 *	limits, while they stay mapped and in use (see
 *	Documentation/design-memory.rst).  New allocations may use the
 *	member again afterwards.  Needs root (CAP_SYS_ADMIN).  On failure
 *	the module's reason (pool_member_get_refused()) is logged.
 *
 * RETURN
 *	0 when every page moved; -ENOSPC or -ENOMEM when the other members
 *	had no room, -EBUSY when a page is pinned (GUP) or a dma-buf
 *	importer maps an allocation, -EOPNOTSUPP for a bar or p2pmem member
 *	(their allocations do not move), -EACCES or -EPERM without the
 *	privilege, -ENOENT when the member is gone or the module cannot
 *	drain.
 */
int pool_member_drain(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_refused - why the member's memory could not be emptied
 *
 * DESCRIPTION
 *	Reads /sys/kernel/scalepool/members/<id>/refused now: why the last
 *	evacuation of the member's memory (a memory offline) or drain was
 *	refused, or "" when the last one succeeded or none ran.  At most
 *	@len - 1 bytes, NUL-terminated, into @buf.
 *
 * RETURN
 *	0, or the negative errno of open(2) or read(2) (-ENOENT for a module
 *	that does not move pages).
 */
int pool_member_get_refused(struct pool_member *member, char *buf,
			    size_t len);

/*
 * NAME
 *	pool_member_set_measured - record access figures measured from a node
 *
 * DESCRIPTION
 *	Writes "@initiator @latency_ns @bandwidth_mbps" to
 *	/sys/kernel/scalepool/members/<id>/measured: the module then holds
 *	these figures for accesses from CPU node @initiator to the member,
 *	replacing any it had for that node, and placement prefers them
 *	over the firmware's figures and SLIT distances (NEAREST ranks by
 *	latency, INTERLEAVE without weights weighs by bandwidth; see
 *	<linux/scalepool.h>).  `poolctl bench --apply` calls this with
 *	what it measured.  Needs root (CAP_SYS_ADMIN).  On success the
 *	member's figures as pool_member_get_measured() sees them are
 *	updated too; other attributes keep their last loaded values.
 *
 * RETURN
 *	0 on success.  -EINVAL for a NULL @member, a negative @initiator
 *	or a zero figure (checked before writing), and when the module
 *	refuses the write (@initiator is not a node with CPUs); -EACCES
 *	or -EPERM without the privilege; -ENOENT when the member is gone
 *	or the module predates measured figures; -ENOMEM; otherwise the
 *	errno of open(2) or write(2).  On failure the module's figures are as
 *	they were.
 */
int pool_member_set_measured(struct pool_member *member, int initiator,
			     unsigned long long latency_ns,
			     unsigned long long bandwidth_mbps);

/*
 * NAME
 *	pool_member_clear_measured - drop a member's measured figures
 *
 * DESCRIPTION
 *	Writes "clear" to the member's measured file: the module forgets
 *	the figures of every initiator node, and placement goes back to
 *	the firmware's figures and SLIT distances.  Needs root
 *	(CAP_SYS_ADMIN).  On success pool_member_get_measured() finds
 *	no figures for the member.
 *
 * RETURN
 *	0 on success, -EINVAL for a NULL @member, otherwise as for
 *	pool_member_set_measured().
 */
int pool_member_clear_measured(struct pool_member *member);

/*
 * NAME
 *	pool_member_get_measured - access figures measured from a node
 *
 * DESCRIPTION
 *	The latency and bandwidth measured for accesses from CPU node
 *	@initiator to the member, as the module held them at the last
 *	load (see pool_refresh()) or after this context's last
 *	pool_member_set_measured() or pool_member_clear_measured() on the
 *	member.  Either output pointer may be NULL.
 *
 * RETURN
 *	0 with *@latency_ns (nanoseconds) and *@bandwidth_mbps (MB/s)
 *	set, -ENOENT when the member has no figures for @initiator (the
 *	outputs are untouched), -EINVAL for a NULL @member.
 */
int pool_member_get_measured(struct pool_member *member, int initiator,
			     unsigned long long *latency_ns,
			     unsigned long long *bandwidth_mbps);

/*
 * NAME
 *	pool_member_get_next_measured - walk the nodes with measured figures
 *
 * DESCRIPTION
 *	The lowest initiator node above @after for which the member has
 *	measured figures (as pool_member_get_measured() sees them).  Start
 *	with @after = -1:
 *
 *		for (n = pool_member_get_next_measured(m, -1); n >= 0;
 *		     n = pool_member_get_next_measured(m, n))
 *			pool_member_get_measured(m, n, &lat, &bw);
 *
 * RETURN
 *	The node number, -ENOENT after the last one, -EINVAL for a NULL
 *	@member.
 */
int pool_member_get_next_measured(struct pool_member *member, int after);

/*
 * Placement policies, the values of SCALEPOOL_POLICY_* in
 * <linux/scalepool.h>, which describes them in full.
 */
#define POOL_POLICY_BIND	0	/* only the set, nearest first */
#define POOL_POLICY_PREFERRED	1	/* members[0], then the rest */
#define POOL_POLICY_INTERLEAVE	2	/* weighted round robin */
#define POOL_POLICY_NEAREST	3	/* the one nearest member */
#define POOL_POLICY_TIERED	4	/* fastest tier first, then spill */

/* struct pool_alloc_opts @flags, the values of SCALEPOOL_ALLOC_*. */
#define POOL_ALLOC_POPULATE	(1U << 0)	/* map every page at mmap */
#define POOL_ALLOC_NO_HUGE	(1U << 1)	/* 4 KiB pages only */

/* The initiator is the CPU node of the calling thread. */
#define POOL_INITIATOR_LOCAL	(-1)

/*
 * struct pool_alloc_opts - how pool_alloc() places an allocation
 *
 * Options structs start with their own size, as libbpf's do: declare
 * them with POOL_OPTS(), which zeroes the struct and sets @sz, so that
 * a program built against this header keeps working with later
 * libraries (which read only @sz bytes), and a program built against a
 * later header works with this library as long as it leaves the fields
 * this library does not know at zero (otherwise pool_alloc() fails with
 * -E2BIG).  Every field is optional; zero means the default.
 *
 * @sz:          sizeof(struct pool_alloc_opts), set by POOL_OPTS()
 * @policy:      POOL_POLICY_*.  BIND, PREFERRED and INTERLEAVE need a
 *               member set (@members or @nodes); NEAREST and TIERED
 *               use every node member when there is none.  Note that
 *               the zero value is BIND.
 * @flags:       POOL_ALLOC_* bits
 * @members:     member ids, in order (PREFERRED prefers the first);
 *               with @nr_members entries
 * @nr_members:  entries in @members (and in @weights)
 * @nodes:       instead of @members: a numactl-style NUMA node list
 *               ("0-1,3", "all", "!2", as libnuma's
 *               numa_parse_nodestring() reads it), standing for the
 *               node members of those nodes, in ascending node order.
 *               Giving both @nodes and @members is -EINVAL.
 * @weights:     INTERLEAVE: one weight (1 to 255) per member, in the
 *               order of @members or of the nodes of @nodes; NULL for
 *               every weight 1
 * @granularity: INTERLEAVE: bytes per chunk, a multiple of the page
 *               size; 0 for the page size
 * @initiator:   the CPU NUMA node that placement is for, or
 *               POOL_INITIATOR_LOCAL; used only when @initiator_set
 *               is true
 * @initiator_set: take @initiator into account.  Node 0 is a valid
 *               initiator, so a zeroed @initiator cannot mean "local";
 *               without this flag (the zero default, or a caller built
 *               before the field existed) the initiator is the calling
 *               thread's node, POOL_INITIATOR_LOCAL.
 * @initiator_pci: NEAREST only (since 1.2): place for this PCI device,
 *               "DDDD:BB:DD.F" as sysfs names it (the domain in 4 to
 *               8 hex digits, e.g. "10000:00:01.0" behind a VMD),
 *               instead of a CPU node: peer members the
 *               device reaches without crossing the host bridge first
 *               (nearest P2PDMA distance), then node members by distance
 *               from the device's NUMA node.  With @initiator_set (or
 *               another policy) -EINVAL; a malformed address -EINVAL;
 *               no such device -ENODEV (from the kernel).
 */
struct pool_alloc_opts {
	size_t sz;
	int policy;
	unsigned int flags;
	const unsigned int *members;
	unsigned int nr_members;
	const char *nodes;
	const unsigned int *weights;
	unsigned long long granularity;
	int initiator;
	bool initiator_set;
	const char *initiator_pci;
	size_t :0;
};

/*
 * POOL_OPTS(TYPE, NAME, ...) declares struct TYPE NAME, zeroed, with .sz
 * set and the designated initializers given (as libbpf's LIBBPF_OPTS):
 *
 *	POOL_OPTS(pool_alloc_opts, opts,
 *		.policy = POOL_POLICY_INTERLEAVE,
 *		.nodes = "0,1",
 *	);
 */
#define POOL_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = __extension__ ({				\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE) {						\
			.sz = sizeof(struct TYPE),			\
			__VA_ARGS__					\
		};							\
	})

/*
 * struct pool_placement - where some of an allocation's bytes live
 * @member:     member id
 * @node:       the member's NUMA node
 * @bytes:      bytes of the allocation on that member
 * @huge_bytes: of which in 2 MiB pages
 */
struct pool_placement {
	unsigned int member;
	int node;
	unsigned long long bytes;
	unsigned long long huge_bytes;
};

/*
 * NAME
 *	pool_alloc - allocate memory from the pool and map it
 *
 * DESCRIPTION
 *	Asks the module for @size bytes placed as @opts says
 *	(SCALEPOOL_ALLOC; the kernel applies the policy at once and zeroes
 *	the memory) and maps the whole allocation read-write with
 *	mmap(MAP_SHARED) on the context's /dev/scalepool descriptor.
 *	@size is rounded up to the page size.  A NULL @opts means the
 *	TIERED policy over every node member, no flags and the local
 *	initiator.  With @nodes, the node list is resolved against the
 *	context's members as last loaded; libnuma reports an unparseable
 *	list through numa_warn(), which the program may override.
 *
 *	The allocation is owned by the context's descriptor: it is freed
 *	by pool_buf_free(), or when the context's last reference goes and
 *	nothing maps it any more.  The new object holds a reference on
 *	@ctx.
 *
 * RETURN
 *	0 with *buf set on success; *buf is untouched on failure.
 *	-EINVAL for a NULL @ctx or @buf, a zero @size, an @opts->sz
 *	smaller than a size_t, @members and @nodes both given, a
 *	@nr_members without @members, an unparseable or empty @nodes,
 *	or fields the module refuses; -E2BIG when @opts has non-zero
 *	bytes beyond the fields this library knows; -ENOENT for a node
 *	of @nodes without a member or a member id the module does not
 *	know; -ENOSPC when an administrator's limit would be exceeded;
 *	-ENOMEM when the allowed members lack the memory; -EOVERFLOW for
 *	a @size beyond SCALEPOOL_MAX_ALLOC_SIZE; -EOPNOTSUPP when the
 *	module cannot allocate (no SCALEPOOL_CAP_ALLOC) or refuses a
 *	flag; -ENODEV when the context has no device; the errno of
 *	mmap(2) otherwise (the allocation is freed again).
 */
int pool_alloc(struct pool_ctx *ctx, size_t size,
	       const struct pool_alloc_opts *opts, struct pool_buf **buf);

/*
 * NAME
 *	pool_buf_free - unmap and free an allocation
 *
 * DESCRIPTION
 *	Unmaps @buf, frees the allocation (SCALEPOOL_FREE) and the object,
 *	and drops the object's reference on its context.  @buf is invalid
 *	afterwards, whatever the result.  A NULL @buf is ignored.
 *
 * RETURN
 *	0 on success, or the first negative errno of munmap(2) and
 *	SCALEPOOL_FREE (-ENOENT: the module no longer knew the handle).
 */
int pool_buf_free(struct pool_buf *buf);

/*
 * NAME
 *	pool_buf_get_addr - address of an allocation's mapping
 *
 * DESCRIPTION
 *	The start of the MAP_SHARED mapping of the whole allocation.
 *
 * RETURN
 *	The address, page-aligned.
 */
void *pool_buf_get_addr(struct pool_buf *buf);

/*
 * NAME
 *	pool_buf_get_size - size of an allocation
 *
 * DESCRIPTION
 *	The size of the allocation and of its mapping: the size given to
 *	pool_alloc() rounded up to the page size.
 *
 * RETURN
 *	The size in bytes.
 */
size_t pool_buf_get_size(struct pool_buf *buf);

/*
 * NAME
 *	pool_buf_get_handle - module handle of an allocation
 *
 * DESCRIPTION
 *	The handle SCALEPOOL_ALLOC returned, for the ioctls of
 *	<linux/scalepool.h> on the context's descriptor; it means nothing
 *	on another descriptor.
 *
 * RETURN
 *	The handle.
 */
unsigned int pool_buf_get_handle(struct pool_buf *buf);

/*
 * NAME
 *	pool_buf_get_policy - placement policy of an allocation
 *
 * DESCRIPTION
 *	The POOL_POLICY_* the allocation was made with.
 *
 * RETURN
 *	The policy.
 */
int pool_buf_get_policy(struct pool_buf *buf);

/*
 * NAME
 *	pool_buf_get_placement - where an allocation's bytes live
 *
 * DESCRIPTION
 *	Asks the module (SCALEPOOL_INFO) where the allocation is: one entry
 *	per member that holds some of it, in member id order, written to
 *	@out up to @nr entries.  @out may be NULL when @nr is 0, to learn
 *	the number of entries.
 *
 * RETURN
 *	The number of entries the allocation has, which may be more than
 *	@nr (then only @nr were written), or a negative errno: -EINVAL for
 *	a NULL @buf or a NULL @out with a non-zero @nr, -ENOMEM, or the
 *	ioctl's error.
 */
int pool_buf_get_placement(struct pool_buf *buf, struct pool_placement *out,
			   unsigned int nr);

/*
 * What placed an allocation, the values of SCALEPOOL_BASIS_* in
 * <linux/scalepool.h>: the best figures that decided a step of the
 * policy's order (or of INTERLEAVE's weights).
 */
#define POOL_BASIS_NONE		0	/* nothing ranked: caller's order */
#define POOL_BASIS_DISTANCE	1	/* SLIT distance */
#define POOL_BASIS_FIRMWARE	2	/* HMAT/CDAT figures (memory tiers) */
#define POOL_BASIS_MEASURED	3	/* measured figures */

/*
 * NAME
 *	pool_buf_get_basis - what placed an allocation
 *
 * DESCRIPTION
 *	Asks the module (SCALEPOOL_INFO) which figures the placement
 *	policy went by: POOL_BASIS_MEASURED when measured figures (see
 *	pool_member_set_measured()) picked the NEAREST member or gave the
 *	INTERLEAVE weights, POOL_BASIS_FIRMWARE when the firmware's
 *	HMAT/CDAT figures (the memory tiers) decided the order,
 *	POOL_BASIS_DISTANCE when SLIT distances did, POOL_BASIS_NONE when
 *	nothing was ranked (the caller's order and weights, or a single
 *	candidate).  The full rules are in <linux/scalepool.h>.
 *
 * RETURN
 *	A POOL_BASIS_* value, or a negative errno: -EINVAL for a NULL
 *	@buf, -EOPNOTSUPP when the module does not report it (no
 *	SCALEPOOL_CAP_MEASURED), -EPROTO for a value this library does not
 *	know, or the ioctl's error.
 */
int pool_buf_get_basis(struct pool_buf *buf);

/*
 * NAME
 *	pool_basis_name - name of a placement basis
 *
 * DESCRIPTION
 *	"none", "distance", "firmware" or "measured" for the POOL_BASIS_*
 *	values, the names poolctl uses.
 *
 * RETURN
 *	A static string, or NULL for a value that is not a basis.
 */
const char *pool_basis_name(int basis);

/* What happened to an allocation, the values of SCALEPOOL_INFO_STATE_*. */
#define POOL_BUF_REVOKED	(1U << 0)	/* its member went away */

/*
 * NAME
 *	pool_buf_get_state - what happened to an allocation since it was made
 *
 * DESCRIPTION
 *	Asks the module (SCALEPOOL_INFO).  POOL_BUF_REVOKED: the peer
 *	member (a PCI BAR or p2pmem) holding the memory went away (member
 *	removed, driver unbound, device unplugged): the mapping at
 *	pool_buf_get_addr() is gone (accesses get SIGBUS) and
 *	pool_buf_export() fails with -ENODEV; pool_buf_free() still works.
 *	Since LIBPOOL_1.3.
 *
 * RETURN
 *	The POOL_BUF_* bits (0 for an allocation that is fine), or a
 *	negative errno: -EINVAL for a NULL @buf, or the ioctl's error.
 */
int pool_buf_get_state(struct pool_buf *buf);

/*
 * NAME
 *	pool_policy_name - name of a placement policy
 *
 * DESCRIPTION
 *	"bind", "preferred", "interleave", "nearest" or "tiered" for the
 *	POOL_POLICY_* values, the names poolctl uses.
 *
 * RETURN
 *	A static string, or NULL for a value that is not a policy.
 */
const char *pool_policy_name(int policy);

/*
 * NAME
 *	pool_policy_from_name - placement policy of a name
 *
 * DESCRIPTION
 *	The inverse of pool_policy_name(): the names are matched exactly
 *	(lower case).
 *
 * RETURN
 *	The POOL_POLICY_* value, or -EINVAL for a NULL or unknown name.
 */
int pool_policy_from_name(const char *name);

/*
 * struct pool_process_usage - one process's use of the pool
 * @pid:         process id
 * @comm:        its command name (/proc/<pid>/comm), valid during the
 *               callback only
 * @nr_fds:      descriptors it has open on /dev/scalepool
 * @allocations: allocations owned by those descriptors
 * @bytes:       bytes of those allocations
 * @exported:    of those allocations, the ones with a dma-buf
 *               (pool_buf_export()); since LIBPOOL_1.2
 * @exported_bytes: their bytes; since LIBPOOL_1.2
 *
 * The library fills this struct in; later versions may add fields at
 * the end.
 */
struct pool_process_usage {
	int pid;
	const char *comm;
	unsigned int nr_fds;
	unsigned long long allocations;
	unsigned long long bytes;
	unsigned long long exported;
	unsigned long long exported_bytes;
};

/*
 * NAME
 *	pool_for_each_process_usage - the processes that use the pool
 *
 * DESCRIPTION
 *	Scans /proc for processes with a descriptor whose /proc/<pid>/fd
 *	link is /dev/scalepool and calls @fn once per process, in
 *	ascending pid order, with the sums of the "scalepool-allocations",
 *	"scalepool-bytes", "scalepool-exported" and
 *	"scalepool-exported-bytes" lines of those descriptors'
 *	/proc/<pid>/fdinfo entries (0 when the module does not show them).
 *	Processes that exit during the scan, and processes whose
 *	descriptors the caller may not inspect (those of other users,
 *	without root), are skipped.  The calling process is included when
 *	it has the device open (every context does).
 *
 * RETURN
 *	0 after the last process, the first non-zero value @fn returned
 *	(which stops the scan), or a negative errno when /proc cannot be
 *	read (-EINVAL for a NULL @ctx or @fn, -ENOMEM).
 */
int pool_for_each_process_usage(struct pool_ctx *ctx,
				int (*fn)(const struct pool_process_usage *u,
					  void *arg),
				void *arg);

/*
 * struct pool_process_allocation - one allocation of a process
 * @pid:    process id
 * @comm:   its command name (/proc/<pid>/comm), valid during the
 *          callback only
 * @fd:     the /dev/scalepool descriptor (in that process) owning it
 * @handle: its handle on that descriptor
 * @length: its size in bytes
 * @offset: its mmap offset on that descriptor
 * @policy: its POOL_POLICY_*
 *
 * Since LIBPOOL_1.6.  The library fills this struct in; later versions
 * may add fields at the end.
 */
struct pool_process_allocation {
	int pid;
	const char *comm;
	int fd;
	unsigned int handle;
	unsigned long long length;
	unsigned long long offset;
	int policy;
};

/*
 * NAME
 *	pool_for_each_process_allocation - every allocation of every process
 *
 * DESCRIPTION
 *	Scans /proc as pool_for_each_process_usage() does and calls @fn
 *	once per allocation, from the "scalepool-allocation:" lines the
 *	module writes in /proc/<pid>/fdinfo/<fd> (one per live
 *	allocation of the descriptor, since SCALEPOOL_CAP_MIGRATE; older
 *	modules write none, and then @fn is never called): in ascending
 *	pid order, then ascending fd, then the module's order.  The
 *	pid, fd and handle are what pool_process_buf_open() and
 *	pool_process_migrate() take.  Processes that exit during the
 *	scan, and those whose descriptors the caller may not inspect,
 *	are skipped.  Since LIBPOOL_1.6.
 *
 * RETURN
 *	0 after the last allocation, the first non-zero value @fn
 *	returned (which stops the scan), or a negative errno: -EINVAL for
 *	a NULL @ctx or @fn, -ENOMEM, -EPROTO for a line this library
 *	cannot read (logged at LOG_ERR), or the error of reading /proc.
 */
int pool_for_each_process_allocation(struct pool_ctx *ctx,
		int (*fn)(const struct pool_process_allocation *a, void *arg),
		void *arg);

/*
 * NAME
 *	pool_buf_migrate - move an allocation, or part of it, to other members
 *
 * DESCRIPTION
 *	Moves the pages of the range [@offset, @offset + @length) of the
 *	allocation (@length 0: to its end) that the placement @opts
 *	describes would not have put where they are, to where it puts
 *	them (SCALEPOOL_MIGRATE), while they stay mapped and in use: the
 *	mapping keeps its address and a thread touching a page meanwhile
 *	waits and sees its data.  @opts is read as pool_alloc() reads it
 *	(policy, @members or @nodes, @weights, @granularity, @initiator;
 *	NULL: TIERED over every node member); @flags and @initiator_pci
 *	mean nothing here and must be zero.  When the range is the whole
 *	allocation, it takes the new policy (pool_buf_get_policy() and
 *	INFO report it).  Bytes of a 2 MiB page partly in the range move
 *	with the whole page.  pool_buf_get_placement() shows where the
 *	allocation is afterwards, also after a failure (pages moved
 *	before it stay moved).  Since LIBPOOL_1.6.
 *
 * RETURN
 *	0 with *@moved (when not NULL) set to the bytes that moved to
 *	another member, or a negative errno: -EINVAL for a NULL @buf,
 *	non-zero @flags or @initiator_pci, an @offset or @length that is
 *	not a multiple of the page size or lies past the end, a peer
 *	member in the set, and what pool_alloc() refuses of @opts;
 *	-E2BIG as pool_alloc(); -ENOENT for an unknown member or a node
 *	without one; -EOPNOTSUPP when the module cannot migrate (no
 *	SCALEPOOL_CAP_MIGRATE) or the allocation is on a peer member;
 *	-ENOMEM or -ENOSPC (a member's limit) when the new members lack
 *	room; -EBUSY when a page is pinned or a dma-buf importer maps
 *	the allocation; -ENODEV for a revoked allocation; -EINTR on a
 *	fatal signal; -EBADF when the descriptor is read-only.
 */
int pool_buf_migrate(struct pool_buf *buf, size_t offset, size_t length,
		     const struct pool_alloc_opts *opts,
		     unsigned long long *moved);

/*
 * NAME
 *	pool_process_buf_open - reach another process's allocation
 *
 * DESCRIPTION
 *	Takes a duplicate of descriptor @fd of process @pid
 *	(pidfd_open(2), pidfd_getfd(2)) and returns a pool_buf for its
 *	allocation @handle, as pool_for_each_process_allocation() lists
 *	them.  @fd -1 means the one /dev/scalepool descriptor the
 *	process has.  The object works with pool_buf_migrate(),
 *	pool_buf_get_placement(), pool_buf_get_policy(),
 *	pool_buf_get_size(), pool_buf_get_basis() and
 *	pool_buf_get_state(); it maps nothing (pool_buf_get_addr() is
 *	NULL), and pool_buf_free() closes the duplicate and leaves the
 *	allocation to its owner.  It holds a reference on @ctx.
 *
 *	Permission is that of pidfd_getfd(2): ptrace attach
 *	(PTRACE_MODE_ATTACH_REALCREDS), so root with CAP_SYS_PTRACE, or
 *	the same user where Yama's kernel.yama.ptrace_scope allows it (0;
 *	1 allows only a parent).  That is stricter than migratepages(8),
 *	whose migrate_pages(2) needs only PTRACE_MODE_READ, because the
 *	module cannot make that check itself (ptrace_may_access() is not
 *	exported to modules), and a descriptor is what names an
 *	allocation.  Since LIBPOOL_1.6.
 *
 * RETURN
 *	0 with *@buf set, or a negative errno: -EINVAL for a NULL @ctx or
 *	@buf, a @pid of 0 or less, an @fd below -1, or a descriptor that
 *	is not /dev/scalepool; -ESRCH when there is no such process;
 *	-EPERM when the caller may not take its descriptors; -ENOENT when
 *	it has no such descriptor (with @fd -1: none on /dev/scalepool)
 *	or the descriptor no such handle; -ENOTUNIQ for @fd -1 when the
 *	process has several /dev/scalepool descriptors; -ENOMEM.
 */
int pool_process_buf_open(struct pool_ctx *ctx, int pid, int fd,
			  unsigned int handle, struct pool_buf **buf);

/*
 * NAME
 *	pool_process_migrate - move another process's allocation
 *
 * DESCRIPTION
 *	pool_process_buf_open(), pool_buf_migrate() and pool_buf_free()
 *	in one call: moves the range of allocation @handle of descriptor
 *	@fd (-1: the only one) of process @pid as @opts says, with the
 *	permission rules of pool_process_buf_open().  The process keeps
 *	using the memory meanwhile.  Since LIBPOOL_1.6.
 *
 * RETURN
 *	0 with *@moved set as pool_buf_migrate() sets it, or a negative
 *	errno of pool_process_buf_open() or pool_buf_migrate().
 */
int pool_process_migrate(struct pool_ctx *ctx, int pid, int fd,
			 unsigned int handle, size_t offset, size_t length,
			 const struct pool_alloc_opts *opts,
			 unsigned long long *moved);

/*
 * Measurement engine (lib/bench*.c): idle latency and bandwidth of a member
 * (or of a plain NUMA node) as seen from the CPUs of an initiator node.
 */

/* What to measure: struct pool_bench_opts @kinds bits. */
#define POOL_BENCH_LATENCY	(1U << 0)	/* dependent-load chase */
#define POOL_BENCH_READ		(1U << 1)	/* loads into registers */
#define POOL_BENCH_WRITE	(1U << 2)	/* stores of a constant */
#define POOL_BENCH_COPY		(1U << 3)	/* a[i] = b[i] */
#define POOL_BENCH_TRIAD	(1U << 4)	/* a[i] = b[i] + s * c[i] */
#define POOL_BENCH_ALL		0x1fU
#define POOL_BENCH_NR_KINDS	5
#define POOL_BENCH_MAX_THREADS	1024

/* Instructions of the bandwidth loops: struct pool_bench_opts @isa. */
#define POOL_BENCH_ISA_AUTO	0	/* the widest the CPU has */
#define POOL_BENCH_ISA_SCALAR	1	/* 64-bit general-purpose moves */
#define POOL_BENCH_ISA_SSE2	2	/* 128-bit movdqa/movaps, mulpd/addpd */
#define POOL_BENCH_ISA_AVX2	3	/* 256-bit vmovdqa, vmulpd/vaddpd */

/* Stores of write, copy and triad: struct pool_bench_opts @stores. */
#define POOL_BENCH_STORES_AUTO	0	/* non-temporal above the LLC */
#define POOL_BENCH_STORES_NORMAL 1	/* ordinary stores (mov, movdqa) */
#define POOL_BENCH_STORES_NT	2	/* non-temporal (movnti, movntdq) */
/* The kinds that store, and so can use non-temporal stores. */
#define POOL_BENCH_STORING	(POOL_BENCH_WRITE | POOL_BENCH_COPY | \
				 POOL_BENCH_TRIAD)

/*
 * struct pool_bench_opts - how pool_bench_member() and pool_bench_node()
 * measure; declare with POOL_OPTS().  Every field is optional, zero
 * meaning the default.
 *
 * @sz:          sizeof(struct pool_bench_opts), set by POOL_OPTS()
 * @kinds:       POOL_BENCH_* bits; 0 for all five
 * @size:        bytes of each bandwidth array (the loops use up to three,
 *               a, b and c) and of the chase's buffer.  Default: for the
 *               arrays four times the initiator's last-level cache, at
 *               least 32 MiB, and on slow memory what a quarter of the
 *               time budget can set up; for the chase four times the
 *               LLC, at least 16 MiB, and on slow memory never less than
 *               twice the LLC nor 16 MiB (a smaller chase measures the
 *               cache).  A given @size below the LLC makes cache-bound
 *               figures
 * @time:        seconds one call may take, the first quick pass and
 *               setting up the buffers included, split evenly between
 *               the kinds; the loops stop when it is spent, even within
 *               a repetition.  Default 5.  A kind gets at least a
 *               quarter of its even share even when a setup on slow
 *               memory overran, so a call can take somewhat longer
 * @threads:     bandwidth threads, pinned one per CPU of the initiator
 *               node in turn; default: one per CPU of the node.  The
 *               chase always runs on one thread
 * @repetitions: timed passes per kind after one warm-up pass; default 10
 * @isa:         POOL_BENCH_ISA_*; an ISA the CPU lacks is -EOPNOTSUPP
 * @seed:        seed of the chase's random permutation; 0: a fixed one
 * @progress:    called before each kind starts, with the kind's bit
 * @progress_arg: passed to @progress
 * @stores:      POOL_BENCH_STORES_*: the stores of write, copy and
 *               triad.  Non-temporal stores (movnti, movntdq, movntpd
 *               and their AVX forms) bypass the caches and save the
 *               read for ownership of every line written, which is
 *               what STREAM's copy gets from glibc's memcpy on large
 *               arrays.  AUTO (the default) uses them when each array
 *               is larger than the initiator's LLC, or, the LLC
 *               unknown, at least 32 MiB; below that ordinary stores,
 *               which keep the lines in the cache, win.  (Since
 *               LIBPOOL_1.7; older callers get AUTO.)
 */
struct pool_bench_opts {
	size_t sz;
	unsigned int kinds;
	unsigned long long size;
	double time;
	unsigned int threads;
	unsigned int repetitions;
	int isa;
	unsigned long long seed;
	void (*progress)(unsigned int kind, void *arg);
	void *progress_arg;
	int stores;
	size_t :0;
};

/*
 * struct pool_bench_figure - one measured figure
 * @value:       the median over the timed repetitions: nanoseconds per
 *               load for the latency, MB/s (10^6 bytes per second, bytes
 *               counted as STREAM does: copy 2 per element byte, triad 3)
 *               for the bandwidths; 0 when not measured
 * @min, @max:   the smallest and largest repetition
 * @repetitions: timed repetitions that completed
 * @partial:     the time budget ran out before any repetition completed:
 *               @value is from the part that ran
 * @bytes:       bytes (latency: loads) measured in the timed repetitions
 * @seconds:     time of the timed repetitions
 * @cache_bound: the buffer of this figure was smaller than the LLC (only
 *               with a small @size given): it may be the cache's figure,
 *               not the memory's
 */
struct pool_bench_figure {
	double value;
	double min;
	double max;
	unsigned int repetitions;
	bool partial;
	unsigned long long bytes;
	double seconds;
	bool cache_bound;
};

/*
 * struct pool_bench_result - what one call measured.  Set @sz to
 * sizeof(struct pool_bench_result) (POOL_OPTS() does it); the library
 * writes no more than @sz bytes.
 *
 * @initiator:   the CPU node the threads ran on
 * @node:        the NUMA node of the memory
 * @member:      the member id, or -1 from pool_bench_node()
 * @kinds:       the POOL_BENCH_* bits measured
 * @size:        bytes of each bandwidth array as used (after defaults
 *               and shrinking); 0 when no bandwidth kind was measured
 * @shrunk:      @size was chosen smaller than the default because the
 *               first quick pass found the memory slow
 * @probe_mbps:  copy speed of that first quick pass, MB/s (STREAM's
 *               counting)
 * @llc_size:    the initiator's last-level cache, bytes (0: unknown)
 * @cache_bound: some figure's buffer is below @llc_size (see the
 *               figures' @cache_bound): it may be the cache's
 * @threads:     bandwidth threads used
 * @isa:         POOL_BENCH_ISA_* the loops used
 * @lines:       cache lines of the chase (one cycle over all of them)
 * @latency_size: bytes of the chase's buffer, its own (see @size in
 *               struct pool_bench_opts); 0 when latency was not measured
 * @figures:     by kind, in bit order: latency, read, write, copy, triad
 * @stores:      the POOL_BENCH_STORES_* asked for (since LIBPOOL_1.7)
 * @nt_kinds:    the POOL_BENCH_* bits measured with non-temporal
 *               stores (some of POOL_BENCH_STORING; since LIBPOOL_1.7)
 *
 * A caller built before LIBPOOL_1.7 passes the smaller @sz of its
 * struct, without @stores and @nt_kinds; it gets the fields it knows.
 */
struct pool_bench_result {
	size_t sz;
	int initiator;
	int node;
	int member;
	unsigned int kinds;
	unsigned long long size;
	bool shrunk;
	double probe_mbps;
	unsigned long long llc_size;
	bool cache_bound;
	unsigned int threads;
	int isa;
	unsigned long long lines;
	unsigned long long latency_size;
	struct pool_bench_figure figures[POOL_BENCH_NR_KINDS];
	int stores;
	unsigned int nt_kinds;
	size_t :0;
};

/*
 * NAME
 *	pool_bench_member - measure a member from an initiator node
 *
 * DESCRIPTION
 *	Allocates from @member alone (POOL_POLICY_BIND, populated) a
 *	buffer for the chase, then, once it is freed, up to three arrays
 *	of @opts->size bytes (one for read and write, two for copy,
 *	three for triad), a page and a line apart, and from
 *	threads pinned to the CPUs of NUMA node @initiator measures: the
 *	idle latency, by a chase of dependent loads through one random
 *	cycle over every cache line of its buffer (Sattolo's algorithm, so
 *	that prefetchers cannot guess the next line), as many loads as the
 *	time allows rather than the whole cycle; and the read, write,
 *	copy and triad bandwidths, with @opts->threads threads each
 *	working on its own slice.  Each kind runs one warm-up pass and then
 *	up to @opts->repetitions timed passes within its share of
 *	@opts->time; a watchdog thread stops the loops when it is spent.
 *	Without a given size, a quick first copy within 256 KiB measures
 *	the memory's speed and shrinks the arrays on slow memory (CXL
 *	under TCG moves a few MB/s); the chase's buffer stays at least
 *	twice the LLC and 16 MiB.  The memory is freed before return.
 *
 * RETURN
 *	0 with @res filled in, or a negative errno: -EINVAL for NULL
 *	arguments, a @res->sz too small for the fields before @stores,
 *	unknown @kinds bits or @stores, a negative or non-finite @time,
 *	an unknown @isa, an @initiator that is not a node with CPUs; -E2BIG for non-zero
 *	option bytes this library does not know, or more than
 *	POOL_BENCH_MAX_THREADS threads;
 *	-EOPNOTSUPP for an @opts->isa the CPU lacks; pool_alloc()'s errors;
 *	the errno of pthread_create() or of pinning (a CPU outside the
 *	caller's allowed set).
 */
int pool_bench_member(struct pool_member *member, int initiator,
		      const struct pool_bench_opts *opts,
		      struct pool_bench_result *res);

/*
 * NAME
 *	pool_bench_node - measure a plain NUMA node, without the module
 *
 * DESCRIPTION
 *	As pool_bench_member(), with the memory from libnuma
 *	(numa_alloc_onnode(), transparent huge pages asked for with
 *	madvise(), every page touched: the bandwidth arrays' by the worker
 *	whose slice holds it) instead of the pool, so that the
 *	engine runs on any NUMA machine and can be compared with other
 *	tools.  @res->member is -1.
 *
 * RETURN
 *	As pool_bench_member(); -ENOMEM when the node lacks the memory,
 *	-EINVAL for a node that does not exist.
 */
int pool_bench_node(int node, int initiator,
		    const struct pool_bench_opts *opts,
		    struct pool_bench_result *res);

/*
 * NAME
 *	pool_bench_kind_name - name of a measurement kind
 *
 * DESCRIPTION
 *	"latency", "read", "write", "copy" or "triad" for one POOL_BENCH_*
 *	bit.
 *
 * RETURN
 *	A static string, or NULL for anything but a single known bit.
 */
const char *pool_bench_kind_name(unsigned int kind);

/*
 * NAME
 *	pool_bench_isa_name - name of a POOL_BENCH_ISA_* value
 *
 * DESCRIPTION
 *	"auto", "scalar", "sse2" or "avx2"; pool_bench_isa_from_name() is
 *	the inverse.
 *
 * RETURN
 *	A static string or NULL; the ISA value or -EINVAL.
 */
const char *pool_bench_isa_name(int isa);
int pool_bench_isa_from_name(const char *name);

/*
 * NAME
 *	pool_bench_llc_size - last-level cache of a CPU node
 *
 * DESCRIPTION
 *	The size of the highest-level data or unified cache of the first
 *	CPU of @node, from /sys/devices/system/cpu/cpuN/cache.
 *
 * RETURN
 *	The size in bytes, -ENODATA when sysfs does not say, -EINVAL for a
 *	node without CPUs.
 */
long long pool_bench_llc_size(int node);

/*
 * As pool_bench_member(), over memory that pool_alloc(@ctx, @alloc) places
 * (a policy over several members; POOL_ALLOC_POPULATE is added); the
 * result's @member and @node are -1.  Since LIBPOOL_1.7.
 */
int pool_bench_alloc(struct pool_ctx *ctx, const struct pool_alloc_opts *alloc,
		     int initiator, const struct pool_bench_opts *opts,
		     struct pool_bench_result *res);

/*
 * Loaded latency (lib/bench-loaded.c, since LIBPOOL_1.7): the chase's
 * latency on one thread while the other threads of the initiator inject
 * traffic into the same memory at a series of rates, idle to saturation.
 */
#define POOL_BENCH_INJECT_READ	0	/* the injectors read (loads only) */
#define POOL_BENCH_INJECT_COPY	1	/* they copy: one read, one write */
#define POOL_BENCH_MAX_POINTS	32

/* How pool_bench_loaded_*() measure; POOL_OPTS(), every field 0: default. */
struct pool_bench_loaded_opts {
	size_t sz;
	unsigned long long size;	/* chase buffer and injectors' arrays */
	double time;			/* seconds per call; default 5 */
	unsigned int threads;		/* chase + injectors, >= 2; all CPUs */
	unsigned int points;		/* 2..32 rates, idle to full; 8 */
	int inject;			/* POOL_BENCH_INJECT_* */
	int isa;			/* of the injectors' loops */
	unsigned long long seed;	/* of the chase's cycle */
	void (*progress)(unsigned int point, void *arg); /* before each */
	void *progress_arg;
	size_t :0;
};

/* One point of the curve; MB/s counted as STREAM does (copy: 2 bytes). */
struct pool_bench_point {
	double target_mbps;	/* asked of the injectors; 0: idle */
	double inject_mbps;	/* what they moved */
	double latency_ns;	/* the chase meanwhile, per load */
	unsigned long long loads;
	double seconds;
};

/*
 * A curve, points by ascending target, the last one unthrottled.  Set
 * @sz (POOL_OPTS() does); a smaller one is -EINVAL.
 */
struct pool_bench_curve {
	size_t sz;			/* sizeof; POOL_OPTS() sets it */
	int initiator;
	int node;
	int member;			/* -1 from pool_bench_loaded_node() */
	unsigned int threads;		/* chase + injectors */
	bool shared_cpus;		/* more threads than the node's CPUs */
	int inject;
	int isa;
	unsigned long long latency_size;	/* the chase's buffer */
	unsigned long long inject_size;	/* an array, the injectors' slices */
	unsigned long long llc_size;
	unsigned long long lines;	/* of the chase */
	bool cache_bound;		/* the chase's buffer < the LLC */
	double probe_mbps;
	unsigned int nr_points;
	struct pool_bench_point points[POOL_BENCH_MAX_POINTS];
	size_t :0;
};

/*
 * Measure @member's (or plain NUMA @node's) loaded latency from the CPUs
 * of @initiator.  0 or a negative errno: -EINVAL for bad arguments or
 * fewer than two threads, -E2BIG for unknown option bytes, else as
 * pool_bench_member() and pool_bench_node().
 */
int pool_bench_loaded_member(struct pool_member *member, int initiator,
			     const struct pool_bench_loaded_opts *opts,
			     struct pool_bench_curve *res);
int pool_bench_loaded_node(int node, int initiator,
			   const struct pool_bench_loaded_opts *opts,
			   struct pool_bench_curve *res);

/* pool_buf_export() @flags */
#define POOL_EXPORT_CLOEXEC	(1U << 0)	/* the new fd is close-on-exec */
#define POOL_EXPORT_RDONLY	(1U << 1)	/* a read-only dma-buf */

/*
 * NAME
 *	pool_buf_export - export an allocation as a dma-buf
 *
 * DESCRIPTION
 *	Asks the module for a new dma-buf of @buf's allocation
 *	(SCALEPOOL_EXPORT) and returns a descriptor of it: read-write, or
 *	read-only with POOL_EXPORT_RDONLY (mmap with PROT_WRITE then gets
 *	EACCES); close-on-exec with POOL_EXPORT_CLOEXEC.
 *	Every call makes a new dma-buf; all of them are the same memory.
 *	The dma-buf keeps the memory alive after
 *	pool_buf_free() and after the context is gone, until its last
 *	descriptor, mapping and importing driver let go.  Drivers that
 *	import dma-bufs (GPUs, RDMA, V4L2...) take the descriptor; other
 *	processes get it through pool_fd_send()/pool_fd_recv() and map it
 *	with pool_dmabuf_map().
 *
 * RETURN
 *	The descriptor, or a negative errno: -EINVAL for a NULL @buf or an
 *	unknown flag; -EOPNOTSUPP when the module cannot export (no
 *	SCALEPOOL_CAP_EXPORT) or, for POOL_EXPORT_RDONLY, is older than
 *	read-only exports; -ENOENT when the module no longer knows the
 *	allocation; -ENODEV when the member holding it went away; -EMFILE
 *	or -ENOMEM otherwise.
 */
int pool_buf_export(struct pool_buf *buf, int flags);

/*
 * NAME
 *	pool_fd_send - pass a descriptor over a unix socket
 *
 * DESCRIPTION
 *	Sends @fd with one byte of data over the connected unix socket
 *	@sock (SCM_RIGHTS).  The receiver gets its own descriptor of the
 *	same open file, with pool_fd_recv(); @fd stays open here.  Blocks
 *	as sendmsg(2) does; never raises SIGPIPE.
 *
 * RETURN
 *	0, or -EBADF for a negative @sock or @fd, the errno of sendmsg(2)
 *	(-EPIPE: the peer is gone).
 */
int pool_fd_send(int sock, int fd);

/*
 * NAME
 *	pool_fd_recv - receive a descriptor from a unix socket
 *
 * DESCRIPTION
 *	Receives one message of pool_fd_send() from @sock and returns the
 *	descriptor it carried, close-on-exec.  A message with no
 *	descriptor or more than one is refused and any descriptors it
 *	brought are closed.
 *
 * RETURN
 *	The descriptor, or -EBADF for a negative @sock, -ECONNRESET when
 *	the peer closed the connection before sending, -EBADMSG for a
 *	message that did not carry exactly one descriptor, or the errno of
 *	recvmsg(2).
 */
int pool_fd_recv(int sock);

/*
 * NAME
 *	pool_dmabuf_map - map a whole dma-buf
 *
 * DESCRIPTION
 *	Maps the dma-buf @fd shared, read-write, or read-only when @fd is
 *	read-only (a POOL_EXPORT_RDONLY export) (mmap(MAP_SHARED) at
 *	offset 0 for its whole size, which lseek(SEEK_END) gives) and sets
 *	*@size to that size.  For a scalepool dma-buf this is the same
 *	memory as the allocation's own mapping: stores through either are
 *	seen through the other.  Unmap with munmap(addr, *size); the
 *	mapping keeps the memory alive after @fd is closed.  Programs that
 *	share the memory with a device bracket CPU access with
 *	DMA_BUF_IOCTL_SYNC (<linux/dma-buf.h>).
 *
 * RETURN
 *	The address, or NULL with errno set: EINVAL for a NULL @size or a
 *	descriptor of size 0, the errno of lseek(2) or mmap(2) (ESPIPE or
 *	ENODEV: not a dma-buf; ENODEV also when the member holding the
 *	memory went away).
 */
void *pool_dmabuf_map(int fd, size_t *size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _LIBPOOL_H_ */
