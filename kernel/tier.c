// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: tiering, the TIERED policy kept true while the allocation
 * is used.
 *
 * The pool owns the fault handler of its mappings, so it samples
 * accesses as NUMA balancing's hinting faults do: a worker unmaps a
 * window of an allocation's pages (unmap_mapping_range() on the
 * allocation's own address space, every process and fork at once) and
 * marks their folios "sampled"; a fault on a sampled folio clears the
 * mark and sets "accessed".  At the next pass, under the allocation's
 * @move_lock:
 *
 *  - an accessed folio on a slower member is promoted: moved to the
 *    fastest member of the allocation's set that has room (the members
 *    by sp_tier_order(): measured latency where every member has one,
 *    else TIERED's fill order);
 *  - when the fastest member is at its limit, folios of it that stayed
 *    sampled for a whole period (not used since) are demoted, nearest
 *    slower member first, until the promoted folio fits;
 *  - then the next window is sampled.
 *
 * Every move is sp_move_folio() (move.c), the mover of drain, MIGRATE
 * and evacuation, with its charging, counters and refusals: a folio
 * that cannot move (pinned, an importer's DMA mapping, no room) stays.
 * Moves are limited to tier_rate_limit_MBps (MiB/s, as the kernel's
 * numa_balancing_promote_rate_limit_MBps), promotions and demotions
 * together; 0, the default, stops the worker: no sampling, no moves,
 * and a pass in flight stops at its next folio.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "move.h"

/* Sampled per pass over every allocation: NUMA balancing's scan size. */
#define SP_TIER_SAMPLE_PAGES	(SZ_256M >> PAGE_SHIFT)
/* Knob ranges: the period in ms, the rate in MiB/s. */
#define SP_TIER_SCAN_MS_MIN	10
#define SP_TIER_SCAN_MS_MAX	60000
#define SP_TIER_RATE_MAX	BIT(20)

/**
 * struct sp_tier - the access sampling of one TIERED allocation
 * @sampled: bit per page index, set at a folio's first index: the
 *           sampler unmapped the folio and no fault has mapped it since
 * @accessed: set at a folio's first index by a fault that cleared
 *            @sampled: the folio was used since it was sampled
 * @cursor: the index the next sample window starts at
 *
 * The bits are atomic; @cursor is used under @move_lock only.
 */
struct sp_tier {
	unsigned long *sampled;
	unsigned long *accessed;
	unsigned long cursor;
};

/**
 * struct sp_tier_pass - one pass of the worker over the allocations
 * @budget: bytes the rate limit still lets this pass move (may go below
 *          zero by one folio, paid back by the next passes)
 * @sample_left: pages this pass may still sample
 * @mv: the mover, for the allocation being looked at
 * @order: that allocation's members, fastest first
 * @nr: entries in @order
 * @cold: where the search for folios to demote goes on in that
 *        allocation: a pass looks at each folio once
 */
struct sp_tier_pass {
	s64 budget;
	unsigned long sample_left;
	struct sp_mover mv;
	struct sp_member **order;
	unsigned int nr;
	unsigned long cold;
};

/* sp_tier_lock guards sp_tier_stopped and the queueing of the work. */
static DEFINE_MUTEX(sp_tier_lock);
static bool sp_tier_stopped;
static unsigned int sp_tier_rate;	/* MiB/s; READ_ONCE, 0: off */
static unsigned int sp_tier_scan_ms = 1000;
/* The worker's own: bytes the rate allows, and when it last refilled. */
static s64 sp_tier_tokens;
static unsigned long sp_tier_last;

static void sp_tier_work(struct work_struct *work);
static DECLARE_DELAYED_WORK(sp_tier_dwork, sp_tier_work);

/**
 * sp_tier_fault() - count a fault on a sampled page as an access
 * @a: the allocation, @revoke_sem held for reading
 * @idx: the page index that faulted
 * @page: the page there (NULL: none)
 */
void sp_tier_fault(struct sp_alloc *a, unsigned long idx, struct page *page)
{
	/* Pairs with the release store that published the state. */
	struct sp_tier *t = smp_load_acquire(&a->tier);

	if (!t || !page)
		return;
	idx -= folio_page_idx(page_folio(page), page);
	if (test_bit(idx, t->sampled) && test_and_clear_bit(idx, t->sampled))
		set_bit(idx, t->accessed);
}

/**
 * sp_tier_free() - free the sampling state of an allocation being freed
 * @a: the allocation; no fault and no pass can reach it any more
 */
void sp_tier_free(struct sp_alloc *a)
{
	if (!a->tier)
		return;
	kvfree(a->tier->sampled);
	kvfree(a->tier->accessed);
	kfree(a->tier);
}

/* @a's sampling state, made at its first pass; @move_lock held. */
static struct sp_tier *sp_tier_get(struct sp_alloc *a)
{
	unsigned long longs = BITS_TO_LONGS(a->nr_pages);
	struct sp_tier *t;

	lockdep_assert_held(&a->move_lock);
	if (a->tier)
		return a->tier;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->sampled = kvcalloc(longs, sizeof(long), GFP_KERNEL);
	t->accessed = kvcalloc(longs, sizeof(long), GFP_KERNEL);
	if (!t->sampled || !t->accessed) {
		kvfree(t->sampled);
		kvfree(t->accessed);
		kfree(t);
		return NULL;
	}
	/* Faults see the bitmaps zeroed. */
	smp_store_release(&a->tier, t);
	return t;
}

/*
 * Should the pass go on with @a?  Not once tiering is turned off (rate
 * 0, or the module going away), nor when the pass holds the last
 * reference to @a: its owners freed it, and the pass would hold its
 * memory while it moves pages nobody can use.  Checked per folio: a
 * pass over slow memory (CXL under TCG moves a few MB/s) can last for
 * minutes, and holds every allocation it collected.
 */
static bool sp_tier_going(const struct sp_alloc *a)
{
	return READ_ONCE(sp_tier_rate) && !READ_ONCE(sp_tier_stopped) &&
	       kref_read(&a->ref) > 1;
}

/* The rank of node @nid's member in tp->order (0: fastest), or -1. */
static int sp_tier_rank(const struct sp_tier_pass *tp, int nid)
{
	unsigned int i;

	for (i = 0; i < tp->nr; i++)
		if (tp->order[i]->nid == nid)
			return i;
	return -1;
}

/*
 * Move the folio at @head to the first of @nr members from tp->order +
 * @first with room, through the common mover, and count it: the rate
 * budget, and the member's promoted or demoted bytes.
 */
static int sp_tier_move(struct sp_tier_pass *tp, unsigned long head,
			struct folio *folio, unsigned int first,
			unsigned int nr, bool promote)
{
	struct sp_mover *mv = &tp->mv;
	struct sp_alloc *a = mv->a;
	struct sp_alloc_part *sp;
	u64 before = mv->moved;
	int ret, r;

	sp = sp_move_node_part(a, folio_nid(folio));
	if (WARN_ON_ONCE(!sp))
		return -EINVAL;
	mv->targets = tp->order + first;
	mv->nr_targets = nr;
	/* The errno is about this folio's targets only. */
	mv->hit_limit = false;
	mv->reason = promote ? SP_MOVE_PROMOTE : SP_MOVE_DEMOTE;
	ret = sp_move_folio(mv, head, folio, sp);
	if (ret)
		return ret;
	/* @folio is freed: where it went is in @pages now. */
	tp->budget -= mv->moved - before;
	r = sp_tier_rank(tp, page_to_nid(a->pages[head]));
	if (!WARN_ON_ONCE(r < 0))
		atomic64_add(mv->moved - before,
			     promote ? &tp->order[r]->tier_promoted :
				       &tp->order[r]->tier_demoted);
	return 0;
}

/* Is the fastest member at its limit for @bytes more? */
static bool sp_tier_fast_full(const struct sp_tier_pass *tp, u64 bytes)
{
	const struct sp_member *m = tp->order[0];
	u64 limit = READ_ONCE(m->limit);

	return limit && atomic64_read(&m->used) + bytes > limit;
}

/*
 * Make room for @bytes on the fastest member, at its limit: demote the
 * folios of the allocation there that stayed sampled (unused) for a
 * whole period, to the slower members, nearest first.  Return: true
 * when the room is there.
 */
static bool sp_tier_make_room(struct sp_tier_pass *tp, struct sp_tier *t,
			      u64 bytes)
{
	struct sp_alloc *a = tp->mv.a;
	int fast = tp->order[0]->nid;
	struct folio *folio;
	unsigned long n;

	for (; tp->cold < a->nr_pages && sp_tier_fast_full(tp, bytes);
	     tp->cold += n) {
		if (tp->budget <= 0 || !sp_tier_going(a))
			return false;
		cond_resched();
		folio = page_folio(a->pages[tp->cold]);
		n = folio_nr_pages(folio);
		if (folio_nid(folio) != fast || !test_bit(tp->cold, t->sampled))
			continue;
		if (sp_tier_move(tp, tp->cold, folio, 1, tp->nr - 1, false) ==
		    -ENOMEM)
			return false;
	}
	return !sp_tier_fast_full(tp, bytes);
}

/*
 * Promote the folios used since they were sampled that sit on a slower
 * member than the fastest, within the rate budget; make room on the
 * fastest member by demotion where its limit stops a promotion.
 */
static void sp_tier_promote(struct sp_tier_pass *tp, struct sp_tier *t)
{
	struct sp_alloc *a = tp->mv.a;
	struct folio *folio;
	unsigned long i, n;
	int r, ret;

	for (i = 0; i < a->nr_pages && tp->budget > 0 && sp_tier_going(a);
	     i += n) {
		cond_resched();
		folio = page_folio(a->pages[i]);
		n = folio_nr_pages(folio);
		if (!test_and_clear_bit(i, t->accessed))
			continue;
		r = sp_tier_rank(tp, folio_nid(folio));
		if (r <= 0)
			continue;
		ret = sp_tier_move(tp, i, folio, 0, r, true);
		if (ret == -ENOSPC && sp_tier_fast_full(tp, folio_size(folio)) &&
		    sp_tier_make_room(tp, t, folio_size(folio)))
			sp_tier_move(tp, i, page_folio(a->pages[i]), 0, r, true);
	}
}

/*
 * Sample the next window of the allocation: mark its folios sampled and
 * unmap them, 2 MiB at a time under @revoke_sem held for writing, so
 * that no fault maps a page between its mark and the zap (which would
 * count a use before the sample).  Newly sampled bytes are counted on
 * their member.
 */
static void sp_tier_sample(struct sp_tier_pass *tp, struct sp_tier *t)
{
	struct sp_alloc *a = tp->mv.a;
	unsigned long i, end, stop, n;
	struct sp_alloc_part *sp;
	struct folio *folio;

	i = t->cursor < a->nr_pages ? t->cursor : 0;
	i -= folio_page_idx(page_folio(a->pages[i]), a->pages[i]);
	stop = min(a->nr_pages, i + tp->sample_left);
	while (i < stop && sp_tier_going(a)) {
		end = min(ALIGN(i + 1, SP_HUGE_NR), a->nr_pages);
		down_write(&a->revoke_sem);
		for (n = i; n < end; n += folio_nr_pages(folio)) {
			folio = page_folio(a->pages[n]);
			clear_bit(n, t->accessed);
			if (test_and_set_bit(n, t->sampled))
				continue;
			sp = sp_move_node_part(a, folio_nid(folio));
			if (sp)
				atomic64_add(folio_size(folio),
					     &sp->m->tier_sampled);
		}
		unmap_mapping_range(&a->mapping, (loff_t)i << PAGE_SHIFT,
				    (loff_t)(n - i) << PAGE_SHIFT, 1);
		up_write(&a->revoke_sem);
		tp->sample_left -= min(tp->sample_left, n - i);
		i = n;
		cond_resched();
	}
	t->cursor = i;
}

/* One allocation: moves from the last sample, then the next sample. */
static void sp_tier_alloc(struct sp_tier_pass *tp, struct sp_alloc *a)
{
	struct sp_tier *t;

	mutex_lock(&a->move_lock);
	if (READ_ONCE(a->policy) != SCALEPOOL_POLICY_TIERED ||
	    sp_alloc_revoked(a) || !sp_tier_going(a))
		goto out;
	tp->mv.a = a;
	tp->cold = 0;
	if (sp_move_targets(&tp->mv, a->initiator))
		goto out;
	tp->order = tp->mv.targets;
	tp->nr = tp->mv.nr_targets;
	/* One member: nothing to rank, nothing to sample for. */
	t = tp->nr > 1 ? sp_tier_get(a) : NULL;
	if (t && !sp_tier_order(tp->order, tp->nr, a->initiator)) {
		/* Each move would refuse: an importer maps it. */
		if (!atomic_read(&a->nr_dma_maps))
			sp_tier_promote(tp, t);
		if (tp->sample_left)
			sp_tier_sample(tp, t);
	}
	tp->mv.targets = tp->order;
	tp->mv.nr_targets = tp->nr;
	sp_move_put_targets(&tp->mv);
	/* Parts emptied by the moves go, as ALLOC drops empty ones. */
	sp_alloc_trim_parts(a);
out:
	mutex_unlock(&a->move_lock);
}

/* Refill the rate budget for the time since the last pass, up to 1 s. */
static s64 sp_tier_refill(unsigned int rate)
{
	unsigned long elapsed = min(jiffies - sp_tier_last, (unsigned long)HZ);
	s64 cap = max_t(s64, (s64)rate << 20, SZ_2M);

	sp_tier_last = jiffies;
	sp_tier_tokens += div_u64(((u64)rate << 20) * elapsed, HZ);
	sp_tier_tokens = min(sp_tier_tokens, cap);
	return sp_tier_tokens;
}

/* Queue the next pass after the period, unless tiering is off. */
static void sp_tier_queue(unsigned long delay)
{
	mutex_lock(&sp_tier_lock);
	if (!sp_tier_stopped && READ_ONCE(sp_tier_rate))
		mod_delayed_work(system_unbound_wq, &sp_tier_dwork, delay);
	mutex_unlock(&sp_tier_lock);
}

static void sp_tier_work(struct work_struct *work)
{
	unsigned int rate = READ_ONCE(sp_tier_rate);
	struct sp_tier_pass tp = { .sample_left = SP_TIER_SAMPLE_PAGES };
	struct sp_alloc **allocs;
	unsigned int i, nr;

	if (!rate) {
		sp_tier_tokens = 0;
		return;
	}
	tp.budget = sp_tier_refill(rate);
	tp.mv.end_pfn = ULONG_MAX;
	tp.mv.dst = kmalloc_array(SP_HUGE_NR, sizeof(*tp.mv.dst), GFP_KERNEL);
	if (tp.mv.dst &&
	    !sp_allocs_collect(NUMA_NO_NODE, 0, ULONG_MAX, &allocs, &nr)) {
		/*
		 * Each reference goes as soon as the allocation is done
		 * with, so that what its owners freed meanwhile goes back
		 * now, not at the end of the pass.  The last reference may
		 * go here: no lock held.
		 */
		for (i = 0; i < nr; i++) {
			sp_tier_alloc(&tp, allocs[i]);
			sp_alloc_put(allocs[i]);
		}
		kfree(allocs);
	}
	kfree(tp.mv.dst);
	/* A budget overdrawn by a 2 MiB folio is paid back later. */
	sp_tier_tokens = tp.budget;
	sp_tier_queue(msecs_to_jiffies(READ_ONCE(sp_tier_scan_ms)));
}

/**
 * sp_tier_exit() - stop the worker for good (module unload)
 *
 * Nothing can queue it afterwards: the knobs see sp_tier_stopped.
 */
void sp_tier_exit(void)
{
	mutex_lock(&sp_tier_lock);
	WRITE_ONCE(sp_tier_stopped, true);
	mutex_unlock(&sp_tier_lock);
	cancel_delayed_work_sync(&sp_tier_dwork);
}

/* A decimal in [@min, @max], or the errno of the write. */
static int sp_tier_parse(const char *buf, unsigned int min, unsigned int max,
			 unsigned int *val)
{
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = kstrtouint(buf, 10, val);
	if (ret)
		return ret;
	return *val < min || *val > max ? -ERANGE : 0;
}

static ssize_t tier_rate_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(sp_tier_rate));
}

static ssize_t tier_rate_store(struct kobject *kobj,
			       struct kobj_attribute *attr, const char *buf,
			       size_t count)
{
	unsigned int rate;
	int ret;

	ret = sp_tier_parse(buf, 0, SP_TIER_RATE_MAX, &rate);
	if (ret)
		return ret;
	WRITE_ONCE(sp_tier_rate, rate);
	/* Turned on (or changed): a pass now; off: the worker stops. */
	sp_tier_queue(0);
	return count;
}

static ssize_t tier_scan_ms_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(sp_tier_scan_ms));
}

static ssize_t tier_scan_ms_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	unsigned int ms;
	int ret;

	ret = sp_tier_parse(buf, SP_TIER_SCAN_MS_MIN, SP_TIER_SCAN_MS_MAX, &ms);
	if (ret)
		return ret;
	WRITE_ONCE(sp_tier_scan_ms, ms);
	return count;
}

/* The kernel's numa_balancing_promote_rate_limit_MBps spells it so. */
static struct kobj_attribute tier_rate_attr = {
	.attr = { .name = "tier_rate_limit_MBps", .mode = 0644 },
	.show = tier_rate_show,
	.store = tier_rate_store,
};

static struct kobj_attribute tier_scan_ms_attr = __ATTR_RW(tier_scan_ms);

/* In /sys/kernel/scalepool/ (sysfs.c). */
struct attribute *sp_tier_root_attrs[] = {
	&tier_rate_attr.attr,
	&tier_scan_ms_attr.attr,
	NULL,
};

static ssize_t tier_sampled_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->tier_sampled));
}

static ssize_t tier_promoted_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->tier_promoted));
}

static ssize_t tier_demoted_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  (s64)atomic64_read(&to_sp_member(kobj)->tier_demoted));
}

static struct kobj_attribute tier_sampled_attr = __ATTR_RO(tier_sampled);
static struct kobj_attribute tier_promoted_attr = __ATTR_RO(tier_promoted);
static struct kobj_attribute tier_demoted_attr = __ATTR_RO(tier_demoted);

static struct attribute *sp_tier_member_attrs[] = {
	&tier_sampled_attr.attr,
	&tier_promoted_attr.attr,
	&tier_demoted_attr.attr,
	NULL,
};

/* In every member's directory (sysfs.c). */
const struct attribute_group sp_tier_member_group = {
	.attrs = sp_tier_member_attrs,
};
