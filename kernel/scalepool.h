/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: internal declarations shared by the module's files.
 */
#ifndef _SCALEPOOL_H
#define _SCALEPOOL_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct file;

/*
 * Kinds of member.  Only NUMA nodes exist for now; PCI BARs and P2PDMA
 * memory come later and get their own entries (and names) here.
 */
enum sp_member_kind {
	SP_MEMBER_NODE,
	SP_MEMBER_NR_KINDS,
};

/* What backs a member's memory.  PCI device memory will add a type. */
enum sp_mem_type {
	SP_MEM_DRAM,
	SP_MEM_CXL,
	SP_MEM_NR_TYPES,
};

#define SP_MEMBER_NAME_LEN	16

/**
 * struct sp_member - one source of memory in the pool
 * @kobj: /sys/kernel/scalepool/members/<id>; its release frees the member
 * @list: entry in the registry's list, under the registry mutex
 * @id: unique while the module is loaded, never reused
 * @kind: what the member is (enum sp_member_kind)
 * @nid: home NUMA node
 * @mem_type: what backs the memory (enum sp_mem_type), fixed at creation
 * @capacity: bytes; written under the registry mutex, read with READ_ONCE
 * @used: bytes allocated from the member
 * @limit: bytes the pool may use, 0 for no limit; read with READ_ONCE
 * @name: stable name, e.g. "node2"
 *
 * @id, @kind, @nid, @mem_type and @name never change once the member is
 * published, so sysfs reads them without locking.
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
};

static inline struct sp_member *to_sp_member(struct kobject *kobj)
{
	return container_of(kobj, struct sp_member, kobj);
}

/**
 * struct sp_file - state of one open file of /dev/scalepool
 * @allocs: the allocations this file owns, by handle (a later issue)
 */
struct sp_file {
	struct xarray allocs;
};

/* member.c */
const char *sp_member_kind_name(const struct sp_member *m);
const char *sp_member_mem_type_name(const struct sp_member *m);
unsigned int sp_members_count(void);
void sp_member_release(struct kobject *kobj);
int sp_members_init(void);
void sp_members_exit(void);
int sp_hotplug_init(void);
void sp_hotplug_exit(void);

/* sysfs.c */
int sp_sysfs_init(void);
void sp_sysfs_exit(void);
int sp_sysfs_member_add(struct sp_member *m);
void sp_sysfs_member_del(struct sp_member *m);

/* ioctl.c */
long sp_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);

#endif /* _SCALEPOOL_H */
