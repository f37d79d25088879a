// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: the lifetime of an allocation.
 *
 * sp_alloc_create() gathers the candidate members of a request, has the
 * policy order them (policy.c), and takes the memory: one extent of a
 * peer member (pci.c, p2pmem.c) or pages of node members (pages.c).
 * The last sp_alloc_put() gives everything back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kref.h>
#include <linux/memcontrol.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu_counter.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "place.h"
#include "trace.h"

/* sp_alloc_create()'s numbers for the trace events: 0 is never one. */
static atomic64_t sp_alloc_next_id = ATOMIC64_INIT(0);

static int sp_cmp_part_id(const void *l, const void *r)
{
	const struct sp_alloc_part *a = l, *b = r;

	return a->m->id < b->m->id ? -1 : a->m->id > b->m->id;
}

/*
 * The candidates of @req: its members in its order, or every node member
 * (for PREFERRED with a single member: that one first, then every other).
 * Fills a->parts with a reference on each member.
 */
static int sp_alloc_members(struct sp_alloc *a, const struct sp_alloc_req *req)
{
	struct sp_member **all = NULL;
	unsigned int i, n, nr_all = 0;
	bool use_all;
	int ret;

	use_all = !req->nr_members ||
		  (req->policy == SCALEPOOL_POLICY_PREFERRED &&
		   req->nr_members == 1);
	if (use_all) {
		/* Peer members only where a PCI initiator may rank them. */
		ret = sp_members_get_all(&all, &nr_all, !!req->initiator_pci);
		if (ret)
			return ret;
	}

	n = req->nr_members + nr_all;
	a->parts = kcalloc(max(n, 1U), sizeof(*a->parts), GFP_KERNEL);
	if (!a->parts) {
		ret = -ENOMEM;
		goto out_put_all;
	}

	for (i = 0; i < req->nr_members; i++) {
		a->parts[i].m = sp_member_get(req->ids[i]);
		a->nr_parts = i + 1;
		if (!a->parts[i].m) {
			ret = -ENOENT;
			goto out_put_all;
		}
	}
	for (i = 0; i < nr_all; i++) {
		/* The preferred member is already first. */
		if (req->nr_members && all[i]->id == req->ids[0])
			continue;
		a->parts[a->nr_parts++].m = all[i];
		all[i] = NULL;
	}
	ret = a->nr_parts ? 0 : -ENOMEM;

out_put_all:
	for (i = 0; i < nr_all; i++)
		sp_member_put(all[i]);
	kfree(all);
	return ret;
}

/*
 * Peer members hold an allocation in one piece: a set naming one must
 * name it alone, with BIND or NEAREST.  An empty set is no concern:
 * its candidates are the node members, and peer members only for a PCI
 * initiator, whose NEAREST keeps one candidate.
 * Return: 0, or -EINVAL for a set that breaks the rule.
 */
static int sp_alloc_peer_check(const struct sp_alloc *a,
			       const struct sp_alloc_req *req)
{
	unsigned int i, peers = 0;

	if (!req->nr_members)
		return 0;
	for (i = 0; i < a->nr_parts; i++)
		peers += sp_member_is_peer(a->parts[i].m);
	if (peers && (a->nr_parts != 1 ||
		      (req->policy != SCALEPOOL_POLICY_BIND &&
		       req->policy != SCALEPOOL_POLICY_NEAREST)))
		return -EINVAL;
	return 0;
}

/**
 * sp_alloc_trim_parts() - drop the parts without bytes, sort the rest
 * @a: an allocation being made, or one whose @move_lock is held
 *
 * Parts that hold nothing are dropped (with their member reference);
 * the rest are sorted by member id, as INFO reports them.
 */
void sp_alloc_trim_parts(struct sp_alloc *a)
{
	unsigned int i, n = 0;

	for (i = 0; i < a->nr_parts; i++) {
		if (!a->parts[i].bytes) {
			sp_member_put(a->parts[i].m);
			continue;
		}
		a->parts[n++] = a->parts[i];
	}
	a->nr_parts = n;
	sort(a->parts, n, sizeof(*a->parts), sp_cmp_part_id, NULL);
}

/*
 * Pool memory in RAM counts in the RSS (RssShmem, VmRSS in
 * /proc/PID/status) of the process that allocated it, from ALLOC until
 * the memory is freed, mapped or not: the OOM killer ranks tasks by
 * their RSS, and would otherwise miss memory held by handles, by
 * dma-bufs and by special PTEs and PMDs (which 6.12 counts nowhere, see
 * Documentation/design-memory.rst).  The mm_struct is held (not its
 * address space) so that the count can be taken back from it whenever
 * the allocation goes; check_mm() finds it back at zero.  The counter is
 * changed directly: add_mm_counter()'s tracepoint helper is not exported.
 */
static void sp_alloc_charge_rss(struct sp_alloc *a)
{
	struct mm_struct *mm = current->mm;

	if (!mm)
		return;
	mmgrab(mm);
	a->rss_mm = mm;
	percpu_counter_add(&mm->rss_stat[MM_SHMEMPAGES], a->nr_pages);
}

static void sp_alloc_uncharge_rss(struct sp_alloc *a)
{
	if (!a->rss_mm)
		return;
	percpu_counter_sub(&a->rss_mm->rss_stat[MM_SHMEMPAGES], a->nr_pages);
	mmdrop(a->rss_mm);
}

/*
 * Where moves may put the pages (move.c): the request's set, or every
 * node member when the policy may use them all; and the memory cgroup
 * ALLOC charged, which moved pages are charged to as well (a move runs
 * in the context of whoever asked for it: an admin, memory offlining).
 */
static int sp_alloc_keep_policy(struct sp_alloc *a,
				const struct sp_alloc_req *req)
{
	a->allow_all = !req->nr_members ||
		       (req->policy == SCALEPOOL_POLICY_PREFERRED &&
			req->nr_members == 1);
	if (!a->allow_all) {
		a->allowed = kmemdup_array(req->ids, req->nr_members,
					   sizeof(*req->ids), GFP_KERNEL);
		if (!a->allowed)
			return -ENOMEM;
		a->nr_allowed = req->nr_members;
	}
#ifdef CONFIG_MEMCG
	if (current->mm)
		a->memcg = get_mem_cgroup_from_mm(current->mm);
#endif
	return 0;
}

static void sp_alloc_release(struct kref *ref)
{
	struct sp_alloc *a = container_of(ref, struct sp_alloc, ref);
	unsigned int i;

	/* A plan (MIGRATE) or a failed ALLOC had no memory to give back. */
	if (a->id)
		trace_scalepool_free(a);
	sp_alloc_uncharge_rss(a);
	sp_tier_free(a);
	sp_pages_release(a);
	/* Set only once a peer member gave the allocation its memory. */
	if (a->backing != SP_BACKING_PAGES)
		sp_peer_free(a);
	for (i = 0; i < a->nr_parts; i++) {
		/* A failed lookup leaves the last part without a member. */
		if (!a->parts[i].m)
			continue;
		sp_member_uncharge(a->parts[i].m, a->parts[i].bytes);
		sp_member_put(a->parts[i].m);
	}
	kfree(a->parts);
	kvfree(a->pages);
	kfree(a->allowed);
	mem_cgroup_put(a->memcg);
	kfree(a);
}

/**
 * sp_alloc_put() - drop a reference on an allocation
 * @a: the allocation
 *
 * The last reference frees its pages, uncharges its members and drops
 * the references on them.  May sleep.
 */
void sp_alloc_put(struct sp_alloc *a)
{
	kref_put(&a->ref, sp_alloc_release);
}

/* An allocation with one reference and nothing in it yet. */
static struct sp_alloc *sp_alloc_new(const struct sp_alloc_req *req)
{
	struct sp_alloc *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);

	if (!a)
		return NULL;
	kref_init(&a->ref);
	INIT_LIST_HEAD(&a->list);
	INIT_LIST_HEAD(&a->peer_entry);
	init_rwsem(&a->revoke_sem);
	mutex_init(&a->move_lock);
	atomic_set(&a->nr_dma_maps, 0);
	mutex_init(&a->dmabufs_lock);
	INIT_LIST_HEAD(&a->dmabufs);
	sp_alloc_mapping_init(a);
	a->length = req->length;
	a->nr_pages = req->length >> PAGE_SHIFT;
	a->policy = req->policy;
	a->flags = req->flags;
	a->initiator = req->initiator;
	return a;
}

/**
 * sp_alloc_plan() - an allocation with its candidates ordered, no memory
 * @req: a request checked against the UAPI rules (see ioctl.c)
 * @pl: out: the placement, its candidates in the policy's order; the
 *      caller kfree()s @pl->cands (NULL on failure)
 *
 * What ALLOC does before it takes memory: the candidate members (a
 * reference on each, in the allocation's @parts), the set moves may
 * use, the basis.  MIGRATE (migrate.c) orders its new policy's members
 * with it, without taking any memory.
 *
 * Return: the allocation with one reference, or ERR_PTR(-ENOENT) for a
 * member id that names no member, -EINVAL for a set that names a peer
 * member with others or with another policy than BIND or NEAREST,
 * -ENOMEM.
 */
struct sp_alloc *sp_alloc_plan(const struct sp_alloc_req *req,
			       struct sp_placer *pl)
{
	struct sp_alloc *a;
	int ret;

	a = sp_alloc_new(req);
	if (!a)
		return ERR_PTR(-ENOMEM);
	/* Any failure leaves only what sp_alloc_put() gives back. */
	ret = sp_alloc_members(a, req) ?: sp_alloc_peer_check(a, req) ?:
	      sp_alloc_keep_policy(a, req) ?: sp_place_order(pl, a, req);
	if (ret) {
		kfree(pl->cands);
		pl->cands = NULL;
		sp_alloc_put(a);
		return ERR_PTR(ret);
	}
	return a;
}

/**
 * sp_alloc_create() - make an allocation as a request says
 * @req: a request checked against the UAPI rules (see ioctl.c)
 *
 * Allocates every page now, zeroed, from the members the policy allows
 * and in the order it gives, or one extent of a peer member.  On
 * failure nothing is left charged or held.
 *
 * Return: the allocation with one reference, or ERR_PTR(-ENOENT) for a
 * member id that names no member, -EINVAL for a set that names a peer
 * member with others or with another policy than BIND or NEAREST,
 * -ENOSPC when an admin limit stopped it, -ENOMEM when the members had
 * no memory for it, -EINTR on a fatal signal.
 */
struct sp_alloc *sp_alloc_create(const struct sp_alloc_req *req)
{
	struct sp_placer pl = {};
	struct sp_alloc *a;
	bool peer;
	int ret;

	a = sp_alloc_plan(req, &pl);
	if (IS_ERR(a))
		return a;
	/* A peer member is left alone, and holds it in one piece. */
	peer = sp_member_is_peer(a->parts[0].m);
	ret = peer ? sp_peer_alloc(a) : sp_pages_place(&pl);
	kfree(pl.cands);
	if (ret) {
		sp_alloc_put(a);
		return ERR_PTR(ret);
	}
	/* Before moves can see it (sp_pages_made()). */
	a->id = atomic64_inc_return(&sp_alloc_next_id);
	if (!peer) {
		sp_alloc_trim_parts(a);
		sp_alloc_charge_rss(a);
		sp_pages_made(a);
	}
	return a;
}

/**
 * sp_alloc_trace() - the trace event of a new allocation
 * @a: the allocation, published
 *
 * Its parts are read under @move_lock: a move (offline, drain) may
 * already be changing them.  Nothing is taken when the event is off.
 */
void sp_alloc_trace(struct sp_alloc *a)
{
	if (!trace_scalepool_alloc_enabled())
		return;
	mutex_lock(&a->move_lock);
	trace_scalepool_alloc(a, a->parts, a->nr_parts);
	mutex_unlock(&a->move_lock);
}
