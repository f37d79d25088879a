// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: sysfs interface.
 *
 * The layout below is a contract: libpool enumerates members by reading
 * it.  Add files, never change or remove one.
 *
 * /sys/kernel/scalepool/
 *	abi_version		SCALEPOOL_ABI_VERSION of the module, e.g. "2"
 *	add_bar			write-only (CAP_SYS_ADMIN): "DDDD:BB:DD.F [N]"
 *				makes BAR N (default: the largest memory
 *				BAR) of a device bound to the scalepool PCI
 *				driver a member (pci.c)
 *	remove_member		write-only (CAP_SYS_ADMIN): a bar member's id
 *	tier_rate_limit_MBps	tiering (tier.c) of TIERED allocations: the
 *				most it moves, MiB/s; "0" (default): off;
 *				writable (CAP_SYS_ADMIN), 0 to 1048576
 *	tier_scan_ms		tiering's period, ms (default 1000);
 *				writable (CAP_SYS_ADMIN), 10 to 60000
 *	members/		one directory per member, named by its id
 *		<id>/		decimal id, unique while the module is loaded
 *			id	  same as the directory name
 *			kind	  "node", "bar" or "p2pmem"
 *			name	  stable name, e.g. "node2"
 *			node	  home NUMA node, e.g. "2"
 *			memory	  what backs it: "dram", "cxl" or "pci"
 *			capacity  bytes (present pages of a node member)
 *			used	  bytes allocated from it by scalepool
 *			limit	  bytes scalepool may use, "0" for no limit;
 *				  writable (CAP_SYS_ADMIN), decimal bytes
 *			free	  bytes of free memory on the node now (peer
 *				  members: capacity less what the pool uses)
 *			measured  one line per initiator CPU node with
 *				  measured figures, by node:
 *				  "<node> <latency_ns> <bandwidth_mbps>";
 *				  writable (CAP_SYS_ADMIN): such a line sets
 *				  that node's figures, "clear" drops all
 *			drain	  write-only (CAP_SYS_ADMIN): "1" moves every
 *				  page of the member to other members the
 *				  allocations' policies allow (move.c); the
 *				  write fails with the reason's errno
 *			moved_in  bytes moves brought to the member
 *			moved_out bytes moves took from it
 *			refused	  why the last evacuation (memory offline)
 *				  or drain of the member was refused; an
 *				  empty line when it succeeded or none ran
 *			tier_sampled	bytes of the member's pages tiering
 *				  unmapped to see whether they are used
 *			tier_promoted	bytes tiering moved to the member from
 *				  a slower member
 *			tier_demoted	bytes tiering moved to the member from
 *				  a faster member
 *		peer members (kinds "bar" and "p2pmem") only:
 *			pci	  the device, "DDDD:BB:DD.F"
 *			bar	  the BAR index
 *			peer_distance	one line "<id> <distance>" per other
 *				  peer member; -1: no peer-to-peer path
 *
 * Files hold one value and end with a newline (measured: one line per
 * entry, possibly none).  All are read-only but limit, measured and the
 * tier_ knobs (and the write-only ones).  A
 * limit below the current use is accepted and only stops new
 * allocations from the member.
 * Members come and go with memory hotplug; each change sends a uevent
 * (add/remove) for the member's directory.  A member that goes away and
 * comes back gets a new id, so an id never names two different members.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include <linux/scalepool.h>
#include "scalepool.h"

static struct kobject *sp_root_kobj;
static struct kset *sp_members_kset;

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", SCALEPOOL_ABI_VERSION);
}

static struct kobj_attribute abi_version_attr = __ATTR_RO(abi_version);

static ssize_t add_bar_store(struct kobject *kobj,
			     struct kobj_attribute *attr, const char *buf,
			     size_t count)
{
	int ret = sp_pci_add_bar(buf);

	return ret ?: count;
}

static ssize_t remove_member_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	int ret = sp_pci_remove_member(buf);

	return ret ?: count;
}

static struct kobj_attribute add_bar_attr = __ATTR_WO(add_bar);
static struct kobj_attribute remove_member_attr = __ATTR_WO(remove_member);

static struct attribute *sp_root_attrs[] = {
	&abi_version_attr.attr,
	&add_bar_attr.attr,
	&remove_member_attr.attr,
	NULL,
};

static const struct attribute_group sp_root_group = {
	.attrs = sp_root_attrs,
};

/* Tiering's knobs (tier.c), in the root directory too. */
static const struct attribute_group sp_root_tier_group = {
	.attrs = sp_tier_root_attrs,
};

/*
 * Member attributes.  None of them takes the registry mutex (see
 * member.c): immutable fields are read as they are, changing ones with
 * READ_ONCE or atomics.
 */
static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_sp_member(kobj)->id);
}

static ssize_t kind_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", sp_member_kind_name(to_sp_member(kobj)));
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_sp_member(kobj)->name);
}

static ssize_t node_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", to_sp_member(kobj)->nid);
}

static ssize_t memory_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  sp_member_mem_type_name(to_sp_member(kobj)));
}

static ssize_t capacity_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_sp_member(kobj)->capacity));
}

static ssize_t used_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->used));
}

static ssize_t limit_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_sp_member(kobj)->limit));
}

static ssize_t limit_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	u64 limit;
	int ret;

	/* The file is root's already; an fd passed to others is not enough. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtou64(buf, 10, &limit);
	if (ret)
		return -EINVAL;
	/* Read in sp_member_charge()'s cmpxchg loop. */
	WRITE_ONCE(to_sp_member(kobj)->limit, limit);
	return count;
}

static ssize_t free_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  sp_member_free_bytes(to_sp_member(kobj)));
}

static ssize_t drain_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	bool yes;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtobool(buf, &yes) || !yes)
		return -EINVAL;
	ret = sp_member_drain(to_sp_member(kobj));
	return ret ?: count;
}

static ssize_t moved_in_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->moved_in));
}

static ssize_t moved_out_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->moved_out));
}

static ssize_t refused_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct sp_member *m = to_sp_member(kobj);
	ssize_t ret;

	spin_lock(&m->refused_lock);
	ret = sysfs_emit(buf, "%s\n", m->refused);
	spin_unlock(&m->refused_lock);
	return ret;
}

static ssize_t pci_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n", sp_peer_pci_name(to_sp_member(kobj)));
}

static ssize_t bar_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", sp_peer_bar(to_sp_member(kobj)));
}

static ssize_t peer_distance_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sp_peer_distances_show(to_sp_member(kobj), buf);
}

static struct kobj_attribute id_attr = __ATTR_RO(id);
static struct kobj_attribute kind_attr = __ATTR_RO(kind);
static struct kobj_attribute name_attr = __ATTR_RO(name);
static struct kobj_attribute node_attr = __ATTR_RO(node);
static struct kobj_attribute memory_attr = __ATTR_RO(memory);
static struct kobj_attribute capacity_attr = __ATTR_RO(capacity);
static struct kobj_attribute used_attr = __ATTR_RO(used);
static struct kobj_attribute limit_attr = __ATTR_RW(limit);
static struct kobj_attribute free_attr = __ATTR_RO(free);
static struct kobj_attribute drain_attr = __ATTR_WO(drain);
static struct kobj_attribute moved_in_attr = __ATTR_RO(moved_in);
static struct kobj_attribute moved_out_attr = __ATTR_RO(moved_out);
static struct kobj_attribute refused_attr = __ATTR_RO(refused);
static struct kobj_attribute pci_attr = __ATTR_RO(pci);
static struct kobj_attribute bar_attr = __ATTR_RO(bar);
static struct kobj_attribute peer_distance_attr = __ATTR_RO(peer_distance);

static struct attribute *sp_member_attrs[] = {
	&id_attr.attr,
	&kind_attr.attr,
	&name_attr.attr,
	&node_attr.attr,
	&memory_attr.attr,
	&capacity_attr.attr,
	&used_attr.attr,
	&limit_attr.attr,
	&free_attr.attr,
	&sp_measured_attr.attr,
	&drain_attr.attr,
	&moved_in_attr.attr,
	&moved_out_attr.attr,
	&refused_attr.attr,
	NULL,
};

static const struct attribute_group sp_member_group = {
	.attrs = sp_member_attrs,
};

static struct attribute *sp_peer_attrs[] = {
	&pci_attr.attr,
	&bar_attr.attr,
	&peer_distance_attr.attr,
	NULL,
};

/* The PCI files exist for peer members only. */
static umode_t sp_peer_attr_visible(struct kobject *kobj,
				    struct attribute *attr, int n)
{
	return sp_member_is_peer(to_sp_member(kobj)) ? attr->mode : 0;
}

static const struct attribute_group sp_peer_group = {
	.attrs = sp_peer_attrs,
	.is_visible = sp_peer_attr_visible,
};

static const struct attribute_group *sp_member_groups[] = {
	&sp_member_group,
	&sp_peer_group,
	&sp_tier_member_group,
	NULL,
};

static const struct kobj_type sp_member_ktype = {
	.release = sp_member_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = sp_member_groups,
};

/**
 * sp_sysfs_member_add() - publish a member under members/<id>/
 * @m: a zeroed-then-filled member whose kobject is not initialised yet
 *
 * From here on the kobject owns @m.  On failure the last reference has
 * been dropped and @m freed: the caller must not touch it.  Gives the
 * member its (empty) measured figures first, so that every kind of
 * member has them and the release frees them.
 *
 * Return: 0 or a negative errno.
 */
int sp_sysfs_member_add(struct sp_member *m)
{
	int ret;

	spin_lock_init(&m->refused_lock);
	m->kobj.kset = sp_members_kset;
	kobject_init(&m->kobj, &sp_member_ktype);
	ret = sp_measured_init(m);
	if (!ret)
		ret = kobject_add(&m->kobj, NULL, "%u", m->id);
	if (ret) {
		kobject_put(&m->kobj);
		return ret;
	}
	/* The directory and its files exist: now tell udev (libpool). */
	kobject_uevent(&m->kobj, KOBJ_ADD);
	return 0;
}

/**
 * sp_sysfs_member_del() - unpublish a member and drop the registry's ref
 * @m: a member added by sp_sysfs_member_add()
 *
 * Waits for readers of the member's files, so the caller must not hold a
 * lock that they may take.  Sends the remove uevent.
 */
void sp_sysfs_member_del(struct sp_member *m)
{
	kobject_del(&m->kobj);
	kobject_put(&m->kobj);
}

/**
 * sp_sysfs_init() - create /sys/kernel/scalepool/ and its members/
 *
 * Return: 0 or a negative errno, with nothing left behind.
 */
int sp_sysfs_init(void)
{
	int ret;

	sp_root_kobj = kobject_create_and_add("scalepool", kernel_kobj);
	if (!sp_root_kobj)
		return -ENOMEM;

	ret = sysfs_create_group(sp_root_kobj, &sp_root_group);
	if (ret)
		goto err_put_root;
	ret = sysfs_create_group(sp_root_kobj, &sp_root_tier_group);
	if (ret)
		goto err_remove_root;

	sp_members_kset = kset_create_and_add("members", NULL, sp_root_kobj);
	if (!sp_members_kset) {
		ret = -ENOMEM;
		goto err_remove_group;
	}
	return 0;

err_remove_group:
	sysfs_remove_group(sp_root_kobj, &sp_root_tier_group);
err_remove_root:
	sysfs_remove_group(sp_root_kobj, &sp_root_group);
err_put_root:
	kobject_put(sp_root_kobj);
	return ret;
}

/**
 * sp_sysfs_exit() - remove /sys/kernel/scalepool/
 *
 * Call after every member is gone (sp_members_exit()).
 */
void sp_sysfs_exit(void)
{
	kset_unregister(sp_members_kset);
	sysfs_remove_group(sp_root_kobj, &sp_root_tier_group);
	sysfs_remove_group(sp_root_kobj, &sp_root_group);
	kobject_put(sp_root_kobj);
}
