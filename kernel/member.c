// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: the member registry.
 *
 * A member is one source of memory.  For now every NUMA node with memory
 * (N_MEMORY) is a member of kind "node".  The registry follows memory
 * hotplug, so that a CXL region onlined by dax/kmem is a member as soon
 * as onlining returns, and stops being one when its last memory block is
 * offlined.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/ioport.h>
#include <linux/limits.h>
#include <linux/lockdep.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/sprintf.h>
#include <linux/vmstat.h>

#include "scalepool.h"
#include "trace.h"

/*
 * The registry.  sp_members_lock serialises every change of the list, of
 * the id counter and of member capacities (load, memory hotplug, unload).
 * sysfs show() never takes it: removing a member's directory waits for
 * its active readers, so members are removed from sysfs only after the
 * lock is dropped, and readers use READ_ONCE and atomics instead.
 */
static DEFINE_MUTEX(sp_members_lock);
static LIST_HEAD(sp_members);
static unsigned int sp_nr_members;
static unsigned int sp_next_id;

static const char * const sp_member_kind_names[SP_MEMBER_NR_KINDS] = {
	[SP_MEMBER_NODE] = "node",
	[SP_MEMBER_BAR] = "bar",
	[SP_MEMBER_P2PMEM] = "p2pmem",
};

static const char * const sp_mem_type_names[SP_MEM_NR_TYPES] = {
	[SP_MEM_DRAM] = "dram",
	[SP_MEM_CXL] = "cxl",
	[SP_MEM_PCI] = "pci",
};

/**
 * sp_member_kind_name() - name of a member's kind, as sysfs shows it
 * @m: the member
 *
 * Return: "node", "bar" or "p2pmem".
 */
const char *sp_member_kind_name(const struct sp_member *m)
{
	return sp_member_kind_names[m->kind];
}

/**
 * sp_member_mem_type_name() - name of what backs a member's memory
 * @m: the member
 *
 * Return: "dram", "cxl" or "pci".
 */
const char *sp_member_mem_type_name(const struct sp_member *m)
{
	return sp_mem_type_names[m->mem_type];
}

/* A peer member's PCI address, "" for a node member: for trace events. */
static const char *sp_member_pci_name(const struct sp_member *m)
{
	return m->peer ? pci_name(m->peer->pdev) : "";
}

/**
 * sp_members_count() - number of members right now
 *
 * Lockless: the answer may be stale by the time the caller uses it.
 *
 * Return: the number of members in the registry.
 */
unsigned int sp_members_count(void)
{
	return READ_ONCE(sp_nr_members);
}

/**
 * sp_member_release() - kobject release of a member
 * @kobj: the member's kobject, whose last reference is gone
 *
 * Frees the member, and the PCI side of a peer member.  Nothing else may
 * free one once its kobject has been initialised.
 */
void sp_member_release(struct kobject *kobj)
{
	struct sp_member *m = to_sp_member(kobj);

	sp_measured_free(m);
	if (m->peer)
		sp_peer_release(m->peer);
	kfree(m);
}

/**
 * sp_member_get() - find a member by id and take a reference on it
 * @id: the member's id
 *
 * Return: the member, to be released with sp_member_put(), or NULL when
 * no member has that id.
 */
struct sp_member *sp_member_get(u32 id)
{
	struct sp_member *m, *found = NULL;

	mutex_lock(&sp_members_lock);
	list_for_each_entry(m, &sp_members, list) {
		if (m->id == id) {
			kobject_get(&m->kobj);
			found = m;
			break;
		}
	}
	mutex_unlock(&sp_members_lock);
	return found;
}

/**
 * sp_members_get_all() - take a reference on every node member
 * @members: out: a kmalloc'ed array of the members, in id order
 * @nr: out: its length, 0 when there is no member (then @members is NULL)
 * @peers: peer members too
 *
 * Release each member with sp_member_put() and kfree() the array.
 *
 * Return: 0 or -ENOMEM.
 */
int sp_members_get_all(struct sp_member ***members, unsigned int *nr,
		       bool peers)
{
	struct sp_member **array = NULL;
	struct sp_member *m;
	unsigned int n = 0;

	mutex_lock(&sp_members_lock);
	if (sp_nr_members) {
		array = kmalloc_array(sp_nr_members, sizeof(*array), GFP_KERNEL);
		if (!array) {
			mutex_unlock(&sp_members_lock);
			return -ENOMEM;
		}
	}
	/* The list is in id order: members are added with growing ids. */
	list_for_each_entry(m, &sp_members, list) {
		if (m->kind != SP_MEMBER_NODE && !peers)
			continue;
		kobject_get(&m->kobj);
		array[n++] = m;
	}
	mutex_unlock(&sp_members_lock);

	*members = array;
	*nr = n;
	return 0;
}

/**
 * sp_member_put() - drop a reference taken by sp_member_get() or
 * sp_members_get_all()
 * @m: the member, or NULL
 */
void sp_member_put(struct sp_member *m)
{
	if (m)
		kobject_put(&m->kobj);
}

/**
 * sp_member_charge() - account bytes the pool takes from a member
 * @m: the member
 * @bytes: bytes about to be allocated there
 *
 * The check against the admin limit and the charge are one atomic step,
 * so that racing allocations never exceed the limit together.  A limit
 * lowered below the member's use only stops new charges.
 *
 * Return: 0, or -ENOSPC when the charge would exceed the limit.
 */
int sp_member_charge(struct sp_member *m, u64 bytes)
{
	s64 used = atomic64_read(&m->used);
	u64 limit, sum;

	do {
		limit = READ_ONCE(m->limit);
		if (check_add_overflow((u64)used, bytes, &sum) ||
		    (limit && sum > limit))
			return -ENOSPC;
	} while (!atomic64_try_cmpxchg(&m->used, &used, (s64)sum));
	return 0;
}

/**
 * sp_member_uncharge() - return bytes charged by sp_member_charge()
 * @m: the member
 * @bytes: bytes the pool gave back
 */
void sp_member_uncharge(struct sp_member *m, u64 bytes)
{
	atomic64_sub(bytes, &m->used);
}

/**
 * sp_member_free_bytes() - free memory of a member's node right now
 * @m: a member
 *
 * Return: for a node member the free pages of every zone of the node,
 * for a peer member its capacity less what the pool allocated, in bytes.
 */
u64 sp_member_free_bytes(const struct sp_member *m)
{
	pg_data_t *pgdat;
	unsigned long pages = 0;
	int z;
	s64 used;

	/* Peer memory is the pool's alone: what it has not handed out. */
	if (sp_member_is_peer(m)) {
		used = atomic64_read(&m->used);
		return used < 0 || (u64)used >= READ_ONCE(m->capacity) ? 0 :
		       READ_ONCE(m->capacity) - used;
	}
	pgdat = NODE_DATA(m->nid);
	if (!pgdat)
		return 0;
	for (z = 0; z < MAX_NR_ZONES; z++)
		pages += zone_page_state(&pgdat->node_zones[z], NR_FREE_PAGES);
	return (u64)pages << PAGE_SHIFT;
}

/* Callback state for sp_node_ram_is_cxl(). */
struct sp_ram_census {
	int nid;
	u64 cxl;
	u64 other;
};

static int sp_ram_census_add(struct resource *res, void *arg)
{
	struct sp_ram_census *census = arg;
	struct page *page = pfn_to_online_page(PHYS_PFN(res->start));
	u64 size = resource_size(res);

	/* A node's span may hold other nodes' memory and offline blocks. */
	if (!page || page_to_nid(page) != census->nid)
		return 0;
	if (region_intersects(res->start, size, IORESOURCE_MEM,
			      IORES_DESC_CXL) == REGION_INTERSECTS)
		census->cxl += size;
	else
		census->other += size;
	return 0;
}

/*
 * The slow path of sp_node_mem_type(), for a span that covers CXL windows
 * and other resources too: a node is CXL-backed when all of its online
 * System RAM lies in CXL windows.  The walk descends into the windows,
 * where dax/kmem's "System RAM (kmem)" sits below a region and a dax
 * device.
 */
static bool sp_node_ram_is_cxl(int nid, u64 start, u64 end)
{
	struct sp_ram_census census = { .nid = nid };

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
			    start, end, &census, sp_ram_census_add);
	return census.cxl && !census.other;
}

/*
 * DRAM or CXL?  cxl_acpi publishes each CXL fixed memory window as an
 * iomem resource with desc IORES_DESC_CXL, normally at the top level
 * (region_intersects() also looks at descendants when it is not).
 * REGION_INTERSECTS means the node's span meets CXL windows and no other
 * resource; REGION_MIXED needs a closer look at the node's RAM.
 */
static enum sp_mem_type sp_node_mem_type(int nid)
{
	unsigned long start_pfn, spanned, flags;
	u64 start, size;

	/* Hotplug resizes the span under this lock: read a consistent pair. */
	pgdat_resize_lock(NODE_DATA(nid), &flags);
	start_pfn = node_start_pfn(nid);
	spanned = node_spanned_pages(nid);
	pgdat_resize_unlock(NODE_DATA(nid), &flags);
	if (!spanned)
		return SP_MEM_DRAM;

	start = PFN_PHYS(start_pfn);
	size = PFN_PHYS(spanned);
	switch (region_intersects(start, size, IORESOURCE_MEM, IORES_DESC_CXL)) {
	case REGION_INTERSECTS:
		return SP_MEM_CXL;
	case REGION_MIXED:
		if (sp_node_ram_is_cxl(nid, start, start + size - 1))
			return SP_MEM_CXL;
		return SP_MEM_DRAM;
	default:
		return SP_MEM_DRAM;
	}
}

static u64 sp_node_capacity(int nid)
{
	return (u64)READ_ONCE(node_present_pages(nid)) << PAGE_SHIFT;
}

static struct sp_member *sp_node_member_alloc(int nid)
{
	struct sp_member *m;

	lockdep_assert_held(&sp_members_lock);
	/* Ids are never reused while loaded: refuse rather than wrap. */
	if (sp_next_id == UINT_MAX)
		return ERR_PTR(-ENOSPC);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);

	m->id = sp_next_id++;
	m->kind = SP_MEMBER_NODE;
	m->nid = nid;
	m->mem_type = sp_node_mem_type(nid);
	m->capacity = sp_node_capacity(nid);
	atomic64_set(&m->used, 0);
	m->limit = 0;
	snprintf(m->name, sizeof(m->name), "node%d", nid);
	return m;
}

static int sp_node_member_add(int nid)
{
	struct sp_member *m;
	int ret;

	lockdep_assert_held(&sp_members_lock);
	m = sp_node_member_alloc(nid);
	if (IS_ERR(m))
		return PTR_ERR(m);
	/* On failure this has dropped the last reference: m is gone. */
	ret = sp_sysfs_member_add(m);
	if (ret)
		return ret;

	list_add_tail(&m->list, &sp_members);
	WRITE_ONCE(sp_nr_members, sp_nr_members + 1);
	trace_scalepool_member_add(m, "");
	pr_info("member %u %s (%s, %llu MiB) added\n", m->id, m->name,
		sp_member_mem_type_name(m), m->capacity >> 20);
	return 0;
}

/* Remove members taken off the list; the registry lock must be dropped. */
static void sp_members_release(struct list_head *dead)
{
	struct sp_member *m, *tmp;

	lockdep_assert_not_held(&sp_members_lock);
	list_for_each_entry_safe(m, tmp, dead, list) {
		list_del(&m->list);
		trace_scalepool_member_remove(m, sp_member_pci_name(m));
		pr_info("member %u %s (%s) removed\n", m->id, m->name,
			sp_member_kind_name(m));
		sp_sysfs_member_del(m);
	}
}

/**
 * sp_member_publish() - give a new peer member an id and publish it
 * @m: a zeroed-then-filled member (not its id), kobject not initialised
 *
 * As for sp_sysfs_member_add(), the kobject owns @m from here on: on
 * failure @m is gone.
 *
 * Return: 0, -ENOSPC when ids ran out, or the sysfs error.
 */
int sp_member_publish(struct sp_member *m)
{
	int ret;

	mutex_lock(&sp_members_lock);
	if (sp_next_id == UINT_MAX) {
		mutex_unlock(&sp_members_lock);
		sp_member_release(&m->kobj);
		return -ENOSPC;
	}
	m->id = sp_next_id++;
	ret = sp_sysfs_member_add(m);
	if (!ret) {
		list_add_tail(&m->list, &sp_members);
		WRITE_ONCE(sp_nr_members, sp_nr_members + 1);
		trace_scalepool_member_add(m, sp_member_pci_name(m));
	}
	mutex_unlock(&sp_members_lock);
	if (!ret)
		pr_info("member %u %s (%s, %llu KiB) added\n", m->id, m->name,
			sp_member_kind_name(m), m->capacity >> 10);
	return ret;
}

/**
 * sp_member_unpublish() - take a member out of the registry and sysfs
 * @m: a member added by sp_member_publish()
 *
 * Drops the registry's reference; the member lives on while allocations
 * hold references.  Waits for sysfs readers of the member: no lock they
 * take may be held.
 */
void sp_member_unpublish(struct sp_member *m)
{
	LIST_HEAD(dead);

	mutex_lock(&sp_members_lock);
	list_move_tail(&m->list, &dead);
	WRITE_ONCE(sp_nr_members, sp_nr_members - 1);
	mutex_unlock(&sp_members_lock);
	sp_members_release(&dead);
}

/*
 * Move node members whose node has no memory any more to @dead; update
 * the capacity of the others.  Marks in @seen the nodes that still have
 * a member.
 */
static void sp_members_prune_locked(struct list_head *dead, nodemask_t *seen)
{
	struct sp_member *m, *tmp;
	u64 capacity;

	lockdep_assert_held(&sp_members_lock);
	list_for_each_entry_safe(m, tmp, &sp_members, list) {
		if (m->kind != SP_MEMBER_NODE)
			continue;
		if (!node_state(m->nid, N_MEMORY)) {
			list_move_tail(&m->list, dead);
			WRITE_ONCE(sp_nr_members, sp_nr_members - 1);
			continue;
		}
		node_set(m->nid, *seen);
		capacity = sp_node_capacity(m->nid);
		if (capacity == m->capacity)
			continue;
		pr_debug("member %u %s: capacity %llu -> %llu bytes\n",
			 m->id, m->name, m->capacity, capacity);
		WRITE_ONCE(m->capacity, capacity);
	}
}

/*
 * Add a member for every node with memory that has none.  Keeps going
 * after a failure so that one node does not hide the others.
 */
static int sp_members_fill_locked(const nodemask_t *seen)
{
	int nid, err, ret = 0;

	lockdep_assert_held(&sp_members_lock);
	for_each_node_state(nid, N_MEMORY) {
		if (node_isset(nid, *seen))
			continue;
		err = sp_node_member_add(nid);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/*
 * Bring the registry in line with N_MEMORY.  Idempotent, so load and
 * every hotplug event share it, and a member that could not be created
 * is tried again at the next call.
 */
static int sp_members_sync(void)
{
	nodemask_t seen = NODE_MASK_NONE;
	LIST_HEAD(dead);
	int ret;

	mutex_lock(&sp_members_lock);
	sp_members_prune_locked(&dead, &seen);
	ret = sp_members_fill_locked(&seen);
	mutex_unlock(&sp_members_lock);

	sp_members_release(&dead);
	return ret;
}

/**
 * sp_members_init() - discover the members present at load
 *
 * Needs the sysfs members directory (sp_sysfs_init()).
 *
 * Return: 0, or a negative errno with no member left behind.
 */
int sp_members_init(void)
{
	int ret;

	ret = sp_members_sync();
	if (ret)
		sp_members_exit();
	return ret;
}

/**
 * sp_members_exit() - remove every member
 *
 * Call after sp_hotplug_exit(), so that no hotplug event adds one back.
 */
void sp_members_exit(void)
{
	LIST_HEAD(dead);

	mutex_lock(&sp_members_lock);
	list_splice_init(&sp_members, &dead);
	WRITE_ONCE(sp_nr_members, 0);
	mutex_unlock(&sp_members_lock);

	sp_members_release(&dead);
}

/*
 * Runs with mem_hotplug_lock held for writing, after online_pages() and
 * offline_pages() have updated node_states[] and the present page counts
 * (mm/memory_hotplug.c, 6.12), so a plain resync sees the new state.  It
 * is synchronous so that when daxctl or a write to memoryN/state returns,
 * the registry already matches.  The CANCEL events change nothing in
 * node_states[] but resync anyway, at little cost, in case an earlier
 * event failed to allocate.  MEM_ONLINE and MEM_OFFLINE cannot be failed,
 * so a failure is only reported, and retried at the next event.
 *
 * MEM_GOING_OFFLINE comes after offline_pages() has isolated the range
 * and before it starts migrating: the pool moves its pages out of the
 * range there, or refuses with EBUSY when it cannot (see
 * Documentation/design-memory.rst).
 */
static int sp_memory_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct memory_notify *arg = data;
	int ret;

	switch (action) {
	case MEM_GOING_OFFLINE:
		/*
		 * The kernel cannot migrate the pool's pages: the pool moves
		 * them itself, or refuses at once rather than let
		 * offline_pages() retry them forever.
		 */
		ret = sp_allocs_offline_check(arg->start_pfn, arg->nr_pages);
		return notifier_from_errno(ret);
	case MEM_ONLINE:
	case MEM_OFFLINE:
	case MEM_CANCEL_ONLINE:
	case MEM_CANCEL_OFFLINE:
		break;
	default:
		return NOTIFY_DONE;
	}

	ret = sp_members_sync();
	if (ret)
		pr_warn("members out of date after memory hotplug: %pe\n",
			ERR_PTR(ret));
	return NOTIFY_OK;
}

static struct notifier_block sp_memory_nb = {
	.notifier_call = sp_memory_notify,
};

/**
 * sp_hotplug_init() - follow memory hotplug
 *
 * Call after sp_members_init().  get_online_mems() is not exported, so
 * discovery cannot exclude hotplug: instead, resync once more after the
 * notifier is registered, which catches whatever changed in between.
 *
 * Return: 0 or a negative errno, with the notifier unregistered.
 */
int sp_hotplug_init(void)
{
	int ret;

	ret = register_memory_notifier(&sp_memory_nb);
	if (ret)
		return ret;

	ret = sp_members_sync();
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	unregister_memory_notifier(&sp_memory_nb);
	return ret;
}

/**
 * sp_hotplug_exit() - stop following memory hotplug
 *
 * Returns after any running notifier call has finished.
 */
void sp_hotplug_exit(void)
{
	unregister_memory_notifier(&sp_memory_nb);
}
