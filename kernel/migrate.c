// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: MIGRATE, moving (part of) an allocation to a new policy.
 *
 * The new policy is planned as ALLOC plans it (sp_alloc_plan(): the
 * candidate members, in the policy's order, with its weights and
 * granularity), but no memory is taken.  Then, under the allocation's
 * @move_lock, each folio of the range is looked at once: it stays when
 * its member is one the policy accepts for it, else it is moved by the
 * mover of member drain (move.c: sp_move_folio(), under @revoke_sem, with
 * the same charging, counters and in-flight accounting) to the first
 * member ALLOC would have put it on that has room.  Which members those
 * are (sp_migrate_targets()):
 *
 *  - BIND, TIERED: any member of the set accepts it; else the members in
 *    the policy's order, spilling as ALLOC spills;
 *  - PREFERRED: members[0] accepts it; else the members in the policy's
 *    order before its own member (ALLOC would have spilled to its own
 *    member before any later one, so when those have no room it stays);
 *  - NEAREST: the member the policy picks, only;
 *  - INTERLEAVE: the member the chunk holding its first page is dealt to
 *    (sp_deal_next(), chunks counted from the start of the allocation),
 *    only.  A 2 MiB page moves whole, so one spanning chunks dealt to
 *    several members goes to the first chunk's member.
 *
 * A whole-allocation MIGRATE that succeeds gives the allocation the new
 * policy, basis and set (what later drains and evacuations use); any
 * other leaves the policy and makes the set the union of both, so that
 * every page stays on a member the set allows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "move.h"

/**
 * struct sp_migration - one MIGRATE
 * @mv: the mover; its @targets point into @order, folio by folio
 * @plan: the allocation ALLOC would make with the new policy, without
 *        memory: its candidates hold member references, and its policy,
 *        basis and set are what a whole MIGRATE adopts
 * @pl: the placement of @plan: fill, granularity, weights
 * @order: @pl's candidates' members, in the policy's order
 * @deal: INTERLEAVE: the dealing, at the chunk ending at @deal_end
 * @deal_end: index after the chunk last dealt
 * @deal_i: candidate that chunk went to
 */
struct sp_migration {
	struct sp_mover mv;
	struct sp_alloc *plan;
	struct sp_placer pl;
	struct sp_member **order;
	struct sp_deal deal;
	unsigned long deal_end;
	unsigned int deal_i;
};

/*
 * INTERLEAVE: start dealing at the round that holds index @first, the
 * first folio's first page (not the range's start: a 2 MiB page may
 * begin rounds before it), so that a range far into a big allocation
 * does not deal every chunk before it.  A round gives each candidate
 * its weight in chunks.
 */
static void sp_migrate_deal_start(struct sp_migration *mg, unsigned long first)
{
	unsigned long round = 0;
	unsigned int i;

	for (i = 0; i < mg->pl.nr; i++)
		round += mg->pl.cands[i].weight;
	round *= mg->pl.gran;
	sp_deal_start(&mg->deal, &mg->pl);
	mg->deal_end = first - first % round;
}

/* INTERLEAVE: the candidate the chunk holding index @idx is dealt to. */
static unsigned int sp_migrate_chunk(struct sp_migration *mg, unsigned long idx)
{
	unsigned long end;

	while (idx >= mg->deal_end) {
		mg->deal_i = sp_deal_next(&mg->deal, &mg->pl, mg->deal_end,
					  &end);
		mg->deal_end = end;
	}
	return mg->deal_i;
}

/*
 * The members the folio at index @idx, now on @own, may go to, in the
 * order to try them (set in mv.targets), or 0 when it stays.  *@may_stay:
 * when none of them has room the folio may stay where it is.
 */
static unsigned int sp_migrate_targets(struct sp_migration *mg,
				       unsigned long idx,
				       const struct sp_member *own,
				       bool *may_stay)
{
	unsigned int i;

	*may_stay = false;
	mg->mv.targets = mg->order;
	switch (mg->pl.fill) {
	case SP_FILL_INTERLEAVE:
		i = sp_migrate_chunk(mg, idx);
		mg->mv.targets = &mg->order[i];
		return mg->order[i] != own;
	case SP_FILL_FIRST:
		return mg->order[0] != own;
	case SP_FILL_SPILL:
		break;
	}
	for (i = 0; i < mg->pl.nr; i++)
		if (mg->order[i] == own)
			break;
	if (i == mg->pl.nr)
		return i;
	/* BIND and TIERED accept any member of the set. */
	if (mg->plan->policy != SCALEPOOL_POLICY_PREFERRED)
		return 0;
	*may_stay = true;
	return i;
}

/* Move what the new policy does not accept in [@first, @end); @move_lock. */
static int sp_migrate_walk(struct sp_migration *mg, unsigned long first,
			   unsigned long end)
{
	struct sp_mover *mv = &mg->mv;
	struct sp_alloc *a = mv->a;
	struct sp_alloc_part *sp;
	struct folio *folio;
	unsigned long i, nr;
	bool may_stay;
	int ret;

	/* A 2 MiB page partly in the range moves whole. */
	i = first - folio_page_idx(page_folio(a->pages[first]),
				   a->pages[first]);
	if (mg->pl.fill == SP_FILL_INTERLEAVE)
		sp_migrate_deal_start(mg, i);
	for (; i < end; i += nr) {
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
		folio = page_folio(a->pages[i]);
		nr = folio_nr_pages(folio);
		sp = sp_move_node_part(a, folio_nid(folio));
		if (WARN_ON_ONCE(!sp))
			return -EINVAL;
		mv->nr_targets = sp_migrate_targets(mg, i, sp->m, &may_stay);
		if (!mv->nr_targets)
			continue;
		/* The errno is about this folio's targets only. */
		mv->hit_limit = false;
		/* A move frees @folio: its size was taken before. */
		ret = sp_move_folio(mv, i, folio, sp);
		if (ret && !(may_stay && (ret == -ENOSPC || ret == -ENOMEM)))
			return ret;
	}
	return 0;
}

/*
 * The plan: the new policy's candidates, node members only (a peer
 * member holds an allocation in one piece: EINVAL), and their members in
 * the policy's order.
 */
static int sp_migrate_plan(struct sp_migration *mg,
			   const struct sp_alloc_req *req)
{
	unsigned int i;

	mg->plan = sp_alloc_plan(req, &mg->pl);
	if (IS_ERR(mg->plan)) {
		int ret = PTR_ERR(mg->plan);

		mg->plan = NULL;
		return ret;
	}
	mg->order = kcalloc(mg->pl.nr, sizeof(*mg->order), GFP_KERNEL);
	if (!mg->order)
		return -ENOMEM;
	for (i = 0; i < mg->pl.nr; i++) {
		mg->order[i] = mg->pl.cands[i].part->m;
		if (sp_member_is_peer(mg->order[i]))
			return -EINVAL;
	}
	mg->mv.dst = kmalloc_array(SP_HUGE_NR, sizeof(*mg->mv.dst),
				   GFP_KERNEL);
	return mg->mv.dst ? 0 : -ENOMEM;
}

static void sp_migrate_unplan(struct sp_migration *mg)
{
	kfree(mg->mv.dst);
	kfree(mg->order);
	kfree(mg->pl.cands);
	if (mg->plan)
		sp_alloc_put(mg->plan);
}

/*
 * The union of @a's set and the plan's, in a new array (NULL when either
 * allows every node member), made before anything moves so that no
 * failure comes after a move.  @move_lock held.
 */
static int sp_migrate_union(struct sp_alloc *a, const struct sp_alloc *plan,
			    u32 **ids, unsigned int *nr)
{
	unsigned int i, j, n;

	*ids = NULL;
	*nr = 0;
	if (a->allow_all || plan->allow_all)
		return 0;
	*ids = kmalloc_array(a->nr_allowed + plan->nr_allowed, sizeof(**ids),
			     GFP_KERNEL);
	if (!*ids)
		return -ENOMEM;
	memcpy(*ids, a->allowed, a->nr_allowed * sizeof(**ids));
	n = a->nr_allowed;
	for (i = 0; i < plan->nr_allowed; i++) {
		for (j = 0; j < a->nr_allowed; j++)
			if (a->allowed[j] == plan->allowed[i])
				break;
		if (j == a->nr_allowed)
			(*ids)[n++] = plan->allowed[i];
	}
	*nr = n;
	return 0;
}

/*
 * After the walk: a whole MIGRATE that succeeded takes the plan's
 * policy, basis, initiator (what tiering ranks members from) and set
 * (the plan's release frees the old set); any
 * other takes the union.  @move_lock held; INFO and fdinfo read the
 * policy and basis with READ_ONCE.
 */
static void sp_migrate_adopt(struct sp_alloc *a, struct sp_alloc *plan,
			     bool whole, u32 *ids, unsigned int nr)
{
	if (whole) {
		WRITE_ONCE(a->policy, plan->policy);
		WRITE_ONCE(a->basis, plan->basis);
		a->initiator = plan->initiator;
		swap(a->allow_all, plan->allow_all);
		swap(a->allowed, plan->allowed);
		swap(a->nr_allowed, plan->nr_allowed);
		kfree(ids);
		return;
	}
	if (!ids) {
		a->allow_all = true;
		return;
	}
	kfree(a->allowed);
	a->allowed = ids;
	a->nr_allowed = nr;
}

/* Under @move_lock: the set first (may fail), then the walk. */
static int sp_migrate_locked(struct sp_migration *mg, unsigned long first,
			     unsigned long end)
{
	struct sp_alloc *a = mg->mv.a;
	unsigned int nr;
	u32 *ids;
	int ret;

	ret = sp_migrate_union(a, mg->plan, &ids, &nr);
	if (ret)
		return ret;
	ret = sp_migrate_walk(mg, first, end);
	/* Parts emptied by the moves go, as ALLOC drops empty ones. */
	sp_alloc_trim_parts(a);
	sp_migrate_adopt(a, mg->plan, !ret && !first && end == a->nr_pages,
			 ids, nr);
	return ret;
}

/**
 * sp_alloc_migrate() - move (part of) an allocation to a new policy
 * @a: the allocation, with a reference
 * @req: the new policy, checked as ALLOC's (ioctl.c); its length is
 *       @a's
 * @first: the first page index of the range
 * @end: the index after it, at most @a->nr_pages
 * @moved: out: bytes moved, also on failure
 *
 * See the top of this file.  Pages moved before a failure stay moved,
 * with every count (parts, members' used, moved_in/moved_out, memory
 * cgroup) exact.
 *
 * Return: 0, -ENODEV for a revoked allocation, -EOPNOTSUPP for one on a
 * peer member, -ENOENT for a member id that names no member, -EINVAL
 * for a peer member in the set, -EBUSY when a page is pinned or an
 * importer maps the allocation, -ENOSPC/-ENOMEM when the members have
 * no room, -EINTR on a fatal signal.
 */
int sp_alloc_migrate(struct sp_alloc *a, const struct sp_alloc_req *req,
		     unsigned long first, unsigned long end, u64 *moved)
{
	struct sp_migration mg = {
		.mv = { .a = a, .reason = SP_MOVE_MIGRATE },
	};
	int ret;

	*moved = 0;
	if (sp_alloc_revoked(a))
		return -ENODEV;
	if (a->backing != SP_BACKING_PAGES)
		return -EOPNOTSUPP;
	ret = sp_migrate_plan(&mg, req);
	if (ret)
		goto out;
	/* Checked again at each folio, under @revoke_sem. */
	if (atomic_read(&a->nr_dma_maps)) {
		ret = -EBUSY;
		goto out;
	}
	if (mutex_lock_killable(&a->move_lock)) {
		ret = -EINTR;
		goto out;
	}
	ret = sp_migrate_locked(&mg, first, end);
	mutex_unlock(&a->move_lock);
	*moved = mg.mv.moved;
	if (ret)
		pr_debug("migrate of handle %u refused: %s (%pe), %llu bytes moved before\n",
			 a->handle, mg.mv.why ?: "out of memory", ERR_PTR(ret),
			 mg.mv.moved);
out:
	sp_migrate_unplan(&mg);
	return ret;
}
