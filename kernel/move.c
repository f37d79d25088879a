// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: moving an allocation's pages between members while they
 * are mapped and in use.
 *
 * The pool maps its pages itself (mmap.c), into VMAs whose files all
 * share the allocation's own address space, so one
 * unmap_mapping_range() removes every mapping of a range, in every
 * process and every fork, dma-bufs' mappings included.  A move of one
 * folio (a 4 KiB page or a 2 MiB page) therefore goes:
 *
 *  1. take the destination page(s) on the target member, within its
 *     limit (charged first), counted in flight on the target node for
 *     the offline check, charged to the allocation's memory cgroup;
 *  2. under @revoke_sem held for writing (faults and DMA mappings of the
 *     allocation take it for reading): refuse when an importer holds a
 *     DMA mapping; zap the range's mappings; check that nothing else
 *     holds the old page (a GUP reference or pin: wait a little, then
 *     refuse); copy; swap the pointers in @pages;
 *  3. release @revoke_sem (faults map the new page), move the bytes from
 *     the old member's part to the new one's, free the old page.
 *
 * A 2 MiB page moves as a 2 MiB page when the target has one, as 512
 * pages of 4 KiB otherwise (INFO's huge_bytes says which).  Moves of one
 * allocation are serialised by @move_lock, which also guards @parts.
 * Documentation/design-memory.rst says why this is correct against
 * faults, fork, GUP and dma-buf, and where the locks sit in the order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/topology.h>

#include "move.h"
#include "trace.h"

/* Transient references (GUP-fast backing off, ptrace) go within this. */
#define SP_MOVE_BUSY_TRIES	20
#define SP_MOVE_BUSY_WAIT_MS	5

/**
 * sp_member_set_refused() - say why an evacuation or drain was refused
 * @m: the member whose memory was to be emptied
 * @why: the reason, "" when the last one succeeded
 */
void sp_member_set_refused(struct sp_member *m, const char *why)
{
	spin_lock(&m->refused_lock);
	strscpy(m->refused, why, sizeof(m->refused));
	spin_unlock(&m->refused_lock);
}

static int sp_cmp_target(const void *l, const void *r, const void *priv)
{
	const struct sp_member *a = *(struct sp_member * const *)l;
	const struct sp_member *b = *(struct sp_member * const *)r;
	int nid = *(const int *)priv;
	int da = node_distance(nid, a->nid), db = node_distance(nid, b->nid);

	if (da != db)
		return da < db ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/**
 * sp_move_targets() - the members a move may put pages on
 * @mv: the move, with @a's @move_lock held; sets @targets, @nr_targets
 * @nid: the node distances are taken from
 *
 * The node members the allocation's policy allows (its set, or every
 * node member), by distance from @nid: a page leaving a member goes to
 * the nearest member that has room.  Peer members hold allocations in
 * one piece and take no pages.  @from is left out unless @stay.  Give
 * them back with sp_move_put_targets().
 *
 * Return: 0 or -ENOMEM.
 */
int sp_move_targets(struct sp_mover *mv, int nid)
{
	struct sp_alloc *a = mv->a;
	struct sp_member **t = NULL;
	unsigned int i, n = 0;
	int ret;

	if (a->allow_all) {
		ret = sp_members_get_all(&t, &n, false);
		if (ret)
			return ret;
	} else {
		t = kcalloc(max(a->nr_allowed, 1U), sizeof(*t), GFP_KERNEL);
		if (!t)
			return -ENOMEM;
		for (i = 0; i < a->nr_allowed; i++) {
			t[n] = sp_member_get(a->allowed[i]);
			if (t[n])
				n++;
		}
	}
	for (i = 0; i < n; ) {
		if (sp_member_is_peer(t[i]) || (t[i] == mv->from && !mv->stay)) {
			sp_member_put(t[i]);
			t[i] = t[--n];
			continue;
		}
		i++;
	}
	sort_r(t, n, sizeof(*t), sp_cmp_target, NULL, &nid);
	mv->targets = t;
	mv->nr_targets = n;
	return 0;
}

/**
 * sp_move_put_targets() - drop what sp_move_targets() took
 * @mv: the move
 */
void sp_move_put_targets(struct sp_mover *mv)
{
	unsigned int i;

	for (i = 0; i < mv->nr_targets; i++)
		sp_member_put(mv->targets[i]);
	kfree(mv->targets);
	mv->targets = NULL;
	mv->nr_targets = 0;
}

/* The part of @m in @a, added (empty, with a reference) when missing. */
static struct sp_alloc_part *sp_move_part(struct sp_alloc *a,
					  struct sp_member *m)
{
	struct sp_alloc_part *parts;
	unsigned int i;

	lockdep_assert_held(&a->move_lock);
	for (i = 0; i < a->nr_parts; i++)
		if (a->parts[i].m == m)
			return &a->parts[i];
	parts = krealloc_array(a->parts, a->nr_parts + 1, sizeof(*parts),
			       GFP_KERNEL);
	if (!parts)
		return NULL;
	a->parts = parts;
	kobject_get(&m->kobj);
	parts[a->nr_parts] = (struct sp_alloc_part){ .m = m };
	return &parts[a->nr_parts++];
}

/**
 * sp_move_node_part() - the part of an allocation holding a node's pages
 * @a: the allocation, @move_lock held
 * @nid: the node (node members: one per node)
 *
 * Return: the part, or NULL when no part with bytes is on @nid.
 */
struct sp_alloc_part *sp_move_node_part(struct sp_alloc *a, int nid)
{
	unsigned int i;

	for (i = 0; i < a->nr_parts; i++)
		if (a->parts[i].m->nid == nid && a->parts[i].bytes)
			return &a->parts[i];
	return NULL;
}

static void sp_move_free_dst(struct page **dst, unsigned long nr, bool huge)
{
	unsigned long i;

	if (huge) {
		__free_pages(dst[0], SP_HUGE_ORDER);
		return;
	}
	for (i = 0; i < nr; i++)
		if (dst[i])
			__free_page(dst[i]);
}

/*
 * @nr destination pages on @nid, in mv->dst: a 2 MiB page for a 2 MiB
 * one where the node has one in a piece, else 4 KiB pages.  Charged to
 * the allocation's memory cgroup, not to whoever asked for the move.
 */
static int sp_move_get_dst(struct sp_mover *mv, int nid, unsigned long nr,
			   bool *huge)
{
	struct mem_cgroup *old = set_active_memcg(mv->a->memcg);
	struct page *page = NULL;
	unsigned long i;
	int ret = 0;

	if (nr == SP_HUGE_NR && !(mv->a->flags & SCALEPOOL_ALLOC_NO_HUGE))
		page = sp_page_alloc(nid, SP_HUGE_ORDER, false);
	*huge = page;
	if (page) {
		for (i = 0; i < nr; i++)
			mv->dst[i] = page + i;
		goto out;
	}
	memset(mv->dst, 0, nr * sizeof(*mv->dst));
	for (i = 0; i < nr; i++) {
		mv->dst[i] = sp_page_alloc(nid, 0, false);
		if (!mv->dst[i]) {
			sp_move_free_dst(mv->dst, i, false);
			ret = -ENOMEM;
			break;
		}
	}
out:
	set_active_memcg(old);
	return ret;
}

/*
 * Nothing but the allocation holds @folio: its mappings are zapped, so
 * any other reference is GUP's (a pin for DMA, O_DIRECT, vmsplice) or
 * a transient one (GUP-fast that is about to back off, ptrace).
 */
static bool sp_folio_idle(struct folio *folio)
{
	return folio_ref_count(folio) == 1;
}

/*
 * Zap the mappings of the folio at @head (@nr pages), under @revoke_sem
 * held for writing.  One unmap_mapping_range() per 4 KiB page costs a
 * TLB flush (an IPI to every CPU running the mm) per page; the walks
 * move runs of pages, so the first page of a 2 MiB window zaps the whole
 * window, and the later pages of it need no zap of their own as long as
 * no fault mapped anything since (@map_seq unchanged: faults count it
 * under @revoke_sem held for reading, before they map).  Pages of the
 * window that do not move just fault again.
 */
static void sp_move_unmap(struct sp_mover *mv, unsigned long head,
			  unsigned long nr)
{
	struct sp_alloc *a = mv->a;
	long seq = atomic_long_read(&a->map_seq);

	lockdep_assert_held_write(&a->revoke_sem);
	if (mv->zap_a == a && mv->zap_seq == seq && head >= mv->zap_start &&
	    head + nr <= mv->zap_end)
		return;
	mv->zap_a = a;
	mv->zap_start = head;
	mv->zap_end = max(head + nr, min(ALIGN(head + 1, SP_HUGE_NR),
					 a->nr_pages));
	mv->zap_seq = seq;
	unmap_mapping_range(&a->mapping, (loff_t)head << PAGE_SHIFT,
			    (loff_t)(mv->zap_end - head) << PAGE_SHIFT, 1);
}

/*
 * Steps 2 of the top comment, for the folio at @head: unmap, check,
 * copy, swap.  Holds @revoke_sem for writing while it does, so faults
 * wait and then map the new page.
 */
static int sp_move_swap(struct sp_mover *mv, unsigned long head,
			struct folio *src, unsigned long nr)
{
	struct sp_alloc *a = mv->a;
	unsigned int tries = 0;
	unsigned long i;

	for (;;) {
		down_write(&a->revoke_sem);
		if (atomic_read(&a->nr_dma_maps)) {
			up_write(&a->revoke_sem);
			mv->why = "a dma-buf importer maps the allocation";
			return -EBUSY;
		}
		sp_move_unmap(mv, head, nr);
		if (sp_folio_idle(src))
			break;
		up_write(&a->revoke_sem);
		if (++tries >= SP_MOVE_BUSY_TRIES || fatal_signal_pending(current)) {
			mv->why = folio_maybe_dma_pinned(src) ?
				  "a page is pinned (GUP)" :
				  "a page is in use (GUP reference)";
			return -EBUSY;
		}
		msleep(SP_MOVE_BUSY_WAIT_MS);
	}
	for (i = 0; i < nr; i++) {
		copy_highpage(mv->dst[i], folio_page(src, i));
		if (!((i + 1) % 64))
			cond_resched();
	}
	for (i = 0; i < nr; i++)
		WRITE_ONCE(a->pages[head + i], mv->dst[i]);
	sp_node_pages_add(page_to_nid(mv->dst[0]), nr);
	sp_node_pages_add(folio_nid(src), -(long)nr);
	up_write(&a->revoke_sem);
	return 0;
}

/**
 * sp_move_folio() - move one folio of an allocation to the first target
 * with room
 * @mv: the move, with @a's @move_lock held and @targets in the order to
 *      try them
 * @head: the folio's first index in the allocation
 * @src: the folio
 * @sp: the part holding it
 *
 * Return: 0, -ENOSPC/-ENOMEM (no target had room), -EBUSY (in use),
 * -ENOMEM.
 */
int sp_move_folio(struct sp_mover *mv, unsigned long head,
		  struct folio *src, struct sp_alloc_part *sp)
{
	unsigned long nr = folio_nr_pages(src);
	u64 bytes = (u64)nr << PAGE_SHIFT;
	struct sp_alloc_part *dp;
	struct sp_member *t;
	unsigned int i;
	bool huge;
	int ret;

	for (i = 0; i < mv->nr_targets; i++) {
		t = mv->targets[i];
		dp = sp_move_part(mv->a, t);
		if (!dp)
			return -ENOMEM;
		/* sp_move_part() may have moved the array. */
		sp = sp_move_node_part(mv->a, folio_nid(src));
		if (sp_member_charge(t, bytes)) {
			mv->hit_limit = true;
			continue;
		}
		sp_node_inflight_begin(t->nid);
		ret = sp_move_get_dst(mv, t->nid, nr, &huge);
		if (!ret) {
			ret = sp_move_swap(mv, head, src, nr);
			if (ret)
				sp_move_free_dst(mv->dst, nr, huge);
		}
		sp_node_inflight_end(t->nid);
		if (ret) {
			sp_member_uncharge(t, bytes);
			if (ret == -ENOMEM)
				continue;
			return ret;
		}
		dp->bytes += bytes;
		dp->huge_bytes += huge ? bytes : 0;
		sp->bytes -= bytes;
		sp->huge_bytes -= nr == SP_HUGE_NR ? bytes : 0;
		sp_member_uncharge(sp->m, bytes);
		atomic64_add(bytes, &t->moved_in);
		atomic64_add(bytes, &sp->m->moved_out);
		mv->moved += bytes;
		trace_scalepool_move(mv->a, mv->reason, sp->m->id, t->id, bytes,
				     huge);
		/* The allocation's reference; a GUP pin would have refused. */
		folio_put(src);
		return 0;
	}
	mv->why = "no room in the members the allocation's policy allows";
	return mv->hit_limit ? -ENOSPC : -ENOMEM;
}

/* Should the folio move?  Its member and range, as @mv says. */
static struct sp_alloc_part *sp_move_wanted(struct sp_mover *mv,
					    struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio);
	struct sp_alloc_part *sp;

	if (pfn >= mv->end_pfn || pfn + folio_nr_pages(folio) <= mv->start_pfn)
		return NULL;
	sp = sp_move_node_part(mv->a, folio_nid(folio));
	if (!sp || (mv->from && sp->m != mv->from))
		return NULL;
	return sp;
}

/* Walk the allocation, moving what @mv wants; @move_lock held. */
static int sp_move_walk(struct sp_mover *mv)
{
	struct sp_alloc *a = mv->a;
	struct sp_alloc_part *sp;
	unsigned long i = 0, nr;
	struct folio *folio;
	int ret = 0;

	while (i < a->nr_pages && !ret) {
		if (fatal_signal_pending(current)) {
			mv->why = "the task asking for it was killed";
			return -EINTR;
		}
		cond_resched();
		/* A folio's entries start at a multiple of its size. */
		folio = page_folio(a->pages[i]);
		nr = folio_nr_pages(folio);
		if (WARN_ON_ONCE(folio_page_idx(folio, a->pages[i])))
			return -EINVAL;
		sp = sp_move_wanted(mv, folio);
		/* A move frees @folio: its size was taken before. */
		if (sp)
			ret = sp_move_folio(mv, i, folio, sp);
		i += nr;
	}
	return ret;
}

/*
 * Move the pages of @a that are on @from's node (or on node @nid in
 * [@start_pfn, @end_pfn) when @from is NULL) to members its policy
 * allows.  Return: 0, or the error of the first folio that could not
 * move, with mv->why set.
 */
static int sp_alloc_move(struct sp_mover *mv, int nid)
{
	struct sp_alloc *a = mv->a;
	int ret;

	if (mutex_lock_killable(&a->move_lock))
		return -EINTR;
	ret = sp_move_targets(mv, nid);
	if (ret)
		goto out_unlock;
	ret = sp_move_walk(mv);
	sp_move_put_targets(mv);
	/* Parts emptied by the move go, as ALLOC drops empty ones. */
	sp_alloc_trim_parts(a);
out_unlock:
	mutex_unlock(&a->move_lock);
	return ret;
}

/*
 * Move what @mv selects out of every allocation in @allocs.  The first
 * refusal stops it, logged and kept in @m's "refused" file.
 */
static int sp_move_allocs(struct sp_mover *mv, struct sp_member *m, int nid,
			  struct sp_alloc **allocs, unsigned int nr,
			  const char *what)
{
	unsigned int i;
	int ret = 0;
	char buf[sizeof(m->refused)];

	mv->dst = kmalloc_array(SP_HUGE_NR, sizeof(*mv->dst), GFP_KERNEL);
	if (!mv->dst)
		return -ENOMEM;
	for (i = 0; i < nr && !ret; i++) {
		mv->a = allocs[i];
		ret = sp_alloc_move(mv, nid);
	}
	kfree(mv->dst);
	if (!ret) {
		if (m)
			sp_member_set_refused(m, "");
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s refused: %s (%pe)", what,
		 mv->why ?: "out of memory", ERR_PTR(ret));
	pr_warn("%s: %s, %llu bytes moved before\n",
		m ? m->name : "pool", buf, mv->moved);
	if (m)
		sp_member_set_refused(m, buf);
	return ret;
}

/**
 * sp_member_drain() - move every page of a member to other members
 * @m: the member
 *
 * Each allocation's pages on @m go to the nearest other members its
 * policy allows, within their limits.  New allocations may land on @m
 * again afterwards (a limit keeps them off).
 *
 * Return: 0, -EOPNOTSUPP for a peer member (its allocations are one
 * extent of device memory, mapped as such), -ENOSPC/-ENOMEM when the
 * other members had no room, -EBUSY when a page is pinned or an
 * importer maps an allocation, -EINTR on a fatal signal.
 */
int sp_member_drain(struct sp_member *m)
{
	struct sp_mover mv = {
		.from = m, .end_pfn = ULONG_MAX, .reason = SP_MOVE_DRAIN,
	};
	struct sp_alloc **allocs;
	unsigned int nr;
	int ret;

	if (sp_member_is_peer(m))
		return -EOPNOTSUPP;
	ret = sp_allocs_collect(m->nid, 0, ULONG_MAX, &allocs, &nr);
	if (ret)
		return ret;
	ret = sp_move_allocs(&mv, m, m->nid, allocs, nr, "drain");
	sp_allocs_put(allocs, nr);
	return ret;
}

/**
 * sp_allocs_evacuate() - move the pool's pages out of memory going offline
 * @nid: the node of the range
 * @start_pfn: first page frame of the range, which is isolated
 * @end_pfn: its end
 * @why: out: on a refusal, what refused it (a static string)
 *
 * Called by the memory notifier at MEM_GOING_OFFLINE (member.c, under
 * mem_hotplug_lock).  Pages go first to the same member's other memory
 * (the isolated range gives none), then to the nearest members the
 * allocation's policy allows.  The pages freed land in the isolated
 * range, where offline_pages() takes them.
 *
 * Return: 0, or -EBUSY (no room, a page in use) with the reason logged
 * and kept in the member's "refused" file; -EINTR on a fatal signal.
 */
int sp_allocs_evacuate(int nid, unsigned long start_pfn, unsigned long end_pfn,
		       const char **why)
{
	struct sp_mover mv = {
		.start_pfn = start_pfn, .end_pfn = end_pfn, .stay = true,
		.reason = SP_MOVE_EVACUATE,
	};
	struct sp_member **all;
	struct sp_member *m = NULL;
	struct sp_alloc **allocs;
	unsigned int i, n, nr;
	char what[64];
	int ret;

	*why = "out of memory";
	ret = sp_allocs_collect(nid, start_pfn, end_pfn, &allocs, &nr);
	if (ret)
		return ret;
	if (!sp_members_get_all(&all, &n, false)) {
		for (i = 0; i < n; i++) {
			if (all[i]->nid == nid && !m)
				m = all[i];
			else
				sp_member_put(all[i]);
		}
		kfree(all);
	}
	snprintf(what, sizeof(what), "offline of pfn %#lx-%#lx", start_pfn,
		 end_pfn - 1);
	ret = sp_move_allocs(&mv, m, nid, allocs, nr, what);
	*why = mv.why ?: "out of memory";
	sp_member_put(m);
	sp_allocs_put(allocs, nr);
	/* Offlining a block is never worth the OOM killer: refuse. */
	return ret == -EINTR ? ret : ret ? -EBUSY : 0;
}

/**
 * sp_alloc_info_parts() - a copy of an allocation's parts, for INFO
 * @a: the allocation
 * @parts: out: kmalloc'ed copy (no member references), to kfree()
 * @nr: out: its length
 *
 * Taken under @move_lock, so that INFO sees the parts before or after a
 * move of one folio, never halfway, and copies them to user space (which
 * may fault on the allocation's own pages) without the lock.
 *
 * Return: 0, -EINTR, -ENOMEM.
 */
int sp_alloc_info_parts(struct sp_alloc *a, struct sp_alloc_part **parts,
			unsigned int *nr)
{
	if (mutex_lock_killable(&a->move_lock))
		return -EINTR;
	*parts = kmemdup_array(a->parts, max(a->nr_parts, 1U),
			       sizeof(*a->parts), GFP_KERNEL);
	*nr = a->nr_parts;
	mutex_unlock(&a->move_lock);
	return *parts ? 0 : -ENOMEM;
}
