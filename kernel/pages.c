// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: the page allocator of node members, and the offline check.
 *
 * An allocation is made whole at ALLOC time: the policy (policy.c)
 * orders the candidate members, and this takes zeroed pages from their
 * nodes in that order (2 MiB pages where it can), charging each member
 * as it goes.  Nothing is placed at fault time, so every client sees the
 * same placement and a mapping never fails for lack of memory.
 *
 * Every allocation of pages is on one list, so that memory offlining can
 * find the pool pages in a range and have them moved out
 * (sp_allocs_offline_check(), move.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "place.h"
#include "trace.h"
#include "visible.h"

/*
 * Pool pages per node, for the memory offline check.
 * @pages: pages the pool holds on the node
 * @inflight: allocations of pages on the node that have not yet been
 *            recorded in their allocation's @pages
 */
struct sp_node_pages {
	atomic_long_t pages;
	atomic_t inflight;
};

static struct sp_node_pages *sp_nodes;

/*
 * Every allocation of pages, whole or being made, for
 * sp_allocs_offline_check().
 */
static DEFINE_MUTEX(sp_allocs_lock);
static LIST_HEAD(sp_allocs);

/* The allocations on sp_allocs, for sp_allocs_collect(). */
static unsigned int sp_nr_allocs;

/**
 * sp_page_alloc() - one page of a node member
 * @nid: the member's node
 * @order: 0 or SP_HUGE_ORDER (a compound page)
 * @zero: zero it (a move copies over it instead)
 *
 * Pages only from @nid: __GFP_THISNODE, or the allocator falls back to
 * other nodes without a word.  A node with no normal zone (CXL memory
 * onlined into ZONE_MOVABLE) only gives movable requests anything.
 * Charged to the current memory cgroup (the caller's, or the one a move
 * made active); neither the OOM killer nor a warning when the node is
 * full, just NULL.
 *
 * Return: the page, or NULL.
 */
struct page *sp_page_alloc(int nid, unsigned int order, bool zero)
{
	gfp_t gfp = __GFP_THISNODE | __GFP_NOWARN | __GFP_ACCOUNT;
	struct page *page;

	if (zero)
		gfp |= __GFP_ZERO;

	if (!node_online(nid))
		return NULL;
	gfp |= node_state(nid, N_NORMAL_MEMORY) ? GFP_HIGHUSER :
						  GFP_HIGHUSER_MOVABLE;
	if (order)
		gfp |= __GFP_COMP | __GFP_NORETRY;
	else
		gfp |= __GFP_RETRY_MAYFAIL;

	page = alloc_pages_node(nid, gfp, order);
	if (page && page_to_nid(page) != nid) {
		pr_warn_once("node %d gave a page of node %d: refused\n",
			     nid, page_to_nid(page));
		__free_pages(page, order);
		return NULL;
	}
	return page;
}

/**
 * sp_node_inflight_begin() - a page of @nid is about to be taken
 * @nid: the node
 *
 * Until sp_node_inflight_end(), the offline check of @nid waits: the
 * page may come from a range being isolated and is not yet recorded in
 * an allocation's @pages.  Full barrier after the count, before the
 * page allocator looks at the free lists (pairs with the one in
 * sp_allocs_offline_check()).
 */
void sp_node_inflight_begin(int nid)
{
	atomic_inc(&sp_nodes[nid].inflight);
	/* Counted before the free lists are read: see the comment above. */
	smp_mb__after_atomic();
}

/**
 * sp_node_inflight_end() - the page is recorded (or was not taken)
 * @nid: the node given to sp_node_inflight_begin()
 */
void sp_node_inflight_end(int nid)
{
	/* The page is recorded before it stops counting as in flight. */
	smp_mb__before_atomic();
	atomic_dec(&sp_nodes[nid].inflight);
}

/**
 * sp_node_pages_add() - count pool pages of a node, for the offline check
 * @nid: the node
 * @nr: pages recorded in (positive) or taken out of (negative)
 *      allocations' @pages
 */
void sp_node_pages_add(int nid, long nr)
{
	atomic_long_add(nr, &sp_nodes[nid].pages);
}

/*
 * Take one page of @order for index @pos from @c's member.  The page is
 * recorded in the allocation before the node's inflight count drops, so
 * that the offline check sees every page the pool has taken.
 */
static int sp_place_page(struct sp_placer *pl, struct sp_cand *c,
			 unsigned long pos, unsigned int order)
{
	struct sp_alloc_part *part = c->part;
	struct sp_node_pages *np = &sp_nodes[part->m->nid];
	unsigned long i, nr = 1UL << order;
	u64 bytes = PAGE_SIZE << order;
	struct page *page;

	if (sp_member_charge(part->m, bytes)) {
		pl->hit_limit = true;
		return -ENOSPC;
	}

	/*
	 * Either offlining sees us in flight, or we see the range isolated
	 * and take nothing from it; the page is recorded before we stop
	 * counting as in flight.
	 */
	sp_node_inflight_begin(part->m->nid);
	page = sp_page_alloc(part->m->nid, order, true);
	if (page) {
		for (i = 0; i < nr; i++)
			WRITE_ONCE(pl->a->pages[pos + i], page + i);
		atomic_long_add(nr, &np->pages);
	}
	sp_node_inflight_end(part->m->nid);

	if (!page) {
		sp_member_uncharge(part->m, bytes);
		return -ENOMEM;
	}
	part->bytes += bytes;
	if (order)
		part->huge_bytes += bytes;
	return 0;
}

static bool sp_huge_ok(const struct sp_placer *pl, const struct sp_cand *c,
		       unsigned long pos, unsigned long end)
{
	return pl->huge && !c->no_huge && IS_ALIGNED(pos, SP_HUGE_NR) &&
	       end - pos >= SP_HUGE_NR;
}

/*
 * Fill indexes [*pos, end) from @c's member, a 2 MiB page where the index
 * is 2 MiB aligned and the range long enough, else 4 KiB pages (also for
 * a 2 MiB that the node or the limit could not give in one piece).
 * Return: 0, or -ENOSPC (limit) / -ENOMEM (no memory) / -EINTR with
 * *pos at the first index not filled.
 */
static int sp_place_range(struct sp_placer *pl, struct sp_cand *c,
			  unsigned long *pos, unsigned long end)
{
	int ret;

	while (*pos < end) {
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();

		if (sp_huge_ok(pl, c, *pos, end)) {
			if (!sp_place_page(pl, c, *pos, SP_HUGE_ORDER)) {
				*pos += SP_HUGE_NR;
				continue;
			}
			c->no_huge = true;
		}
		ret = sp_place_page(pl, c, *pos, 0);
		if (ret)
			return ret;
		*pos += 1;
	}
	return 0;
}

/* The errno of a placement that ran out of candidates. */
static int sp_place_failed(const struct sp_placer *pl, int ret)
{
	if (ret == -EINTR)
		return ret;
	return pl->hit_limit ? -ENOSPC : -ENOMEM;
}

/* BIND, PREFERRED, TIERED: fill each candidate in order, spill to the next. */
static int sp_place_fill(struct sp_placer *pl)
{
	unsigned long pos = 0, end = pl->a->nr_pages;
	unsigned int i;
	int ret = -ENOMEM;

	for (i = 0; i < pl->nr && pos < end; i++) {
		ret = sp_place_range(pl, &pl->cands[i], &pos, end);
		if (ret == -EINTR)
			return ret;
	}
	return pos < end ? sp_place_failed(pl, ret) : 0;
}

/* NEAREST: the first candidate only. */
static int sp_place_one(struct sp_placer *pl)
{
	unsigned long pos = 0;
	int ret;

	ret = sp_place_range(pl, &pl->cands[0], &pos, pl->a->nr_pages);
	return ret ? sp_place_failed(pl, ret) : 0;
}

/**
 * sp_deal_start() - start INTERLEAVE dealing at the first candidate
 * @d: out: the dealing
 * @pl: the placement, with at least one candidate and no weight of 0
 *      (the ioctl refuses 0, measured weights are at least 1)
 */
void sp_deal_start(struct sp_deal *d, const struct sp_placer *pl)
{
	d->i = 0;
	d->left = pl->cands[0].weight;
}
EXPORT_SYMBOL_IF_KUNIT(sp_deal_start);

/**
 * sp_deal_next() - deal the INTERLEAVE chunk that starts at @pos
 * @d: the dealing; the turn passes on once a candidate had its weight
 *     in chunks
 * @pl: the placement
 * @pos: the chunk's first page index, below @pl->a->nr_pages
 * @end: out: the index after the chunk: @pl->gran pages on, or fewer at
 *       the end of the allocation
 *
 * Pure arithmetic, apart from the page allocator, so that KUnit checks
 * the order in which chunks are dealt, and MIGRATE (migrate.c) finds
 * the member ALLOC would deal a chunk to.
 *
 * Return: the index in @pl->cands of the candidate the chunk goes to.
 */
unsigned int sp_deal_next(struct sp_deal *d, const struct sp_placer *pl,
			  unsigned long pos, unsigned long *end)
{
	unsigned int i = d->i;

	*end = pos + min(pl->gran, pl->a->nr_pages - pos);
	if (--d->left == 0) {
		d->i = (d->i + 1) % pl->nr;
		d->left = pl->cands[d->i].weight;
	}
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(sp_deal_next);

/* INTERLEAVE: @gran pages to each candidate in turn, weight times each. */
static int sp_place_interleave(struct sp_placer *pl)
{
	unsigned long pos = 0, end;
	struct sp_deal d;
	unsigned int i;
	int ret;

	sp_deal_start(&d, pl);
	while (pos < pl->a->nr_pages) {
		i = sp_deal_next(&d, pl, pos, &end);
		ret = sp_place_range(pl, &pl->cands[i], &pos, end);
		if (ret)
			return sp_place_failed(pl, ret);
	}
	return 0;
}

/*
 * Enough capacity among the candidates, before any big array is made.
 * A sum past U64_MAX is certainly enough.
 */
VISIBLE_IF_KUNIT bool sp_alloc_may_fit(const struct sp_alloc *a)
{
	u64 total = 0;
	unsigned int i;

	for (i = 0; i < a->nr_parts; i++) {
		if (check_add_overflow(total, READ_ONCE(a->parts[i].m->capacity),
				       &total))
			return true;
	}
	return a->length <= total;
}
EXPORT_SYMBOL_IF_KUNIT(sp_alloc_may_fit);

/*
 * The page array of @nr entries, zeroed.  kvmalloc() refuses more than
 * INT_MAX bytes, which the array of a SCALEPOOL_MAX_ALLOC_SIZE allocation
 * passes (2^28 entries of 8 bytes are 2^31 bytes): vmalloc() takes
 * those, so that the documented maximum is possible where the memory
 * is.  Both are killable and charged to the caller's memory cgroup.
 */
static struct page **sp_alloc_page_array(unsigned long nr)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN;
	size_t size = array_size(nr, sizeof(struct page *));

	if (size > INT_MAX)
		return __vmalloc(size, gfp);
	return kvmalloc(size, gfp);
}

static void sp_alloc_free_pages(struct sp_alloc *a)
{
	unsigned long i = 0, nr;
	struct folio *folio;

	while (i < a->nr_pages) {
		if (!a->pages[i]) {
			i++;
			continue;
		}
		folio = page_folio(a->pages[i]);
		nr = folio_nr_pages(folio);
		atomic_long_sub(nr, &sp_nodes[folio_nid(folio)].pages);
		/* A GUP pin (DRAM pages only) may keep it a little longer. */
		folio_put(folio);
		i += nr;
	}
}

/**
 * sp_pages_release() - give back the pages of an allocation being freed
 * @a: the allocation, unused by anyone
 *
 * Takes it off the list of the offline check (where it is listed if
 * sp_pages_place() got so far), then frees its pages, if it has pages.
 */
void sp_pages_release(struct sp_alloc *a)
{
	mutex_lock(&sp_allocs_lock);
	if (!list_empty(&a->list))
		sp_nr_allocs--;
	list_del_init(&a->list);
	mutex_unlock(&sp_allocs_lock);
	if (a->backing == SP_BACKING_PAGES && a->pages)
		sp_alloc_free_pages(a);
}

/**
 * sp_pages_place() - take every page of an allocation, as placed
 * @pl: the placement, with its candidates ordered by sp_place_order()
 *
 * Makes the page array and lists the allocation for the offline check
 * before the first page; on failure sp_pages_release() undoes both.
 *
 * Return: 0, or -ENOMEM (no memory, or not enough capacity among the
 * candidates), -ENOSPC (an admin limit stopped it), -EINTR (fatal
 * signal).
 */
int sp_pages_place(struct sp_placer *pl)
{
	struct sp_alloc *a = pl->a;

	if (!sp_alloc_may_fit(a))
		return -ENOMEM;
	a->pages = sp_alloc_page_array(a->nr_pages);
	if (!a->pages)
		return -ENOMEM;

	/* Listed before the first page, for the offline check. */
	mutex_lock(&sp_allocs_lock);
	list_add_tail(&a->list, &sp_allocs);
	sp_nr_allocs++;
	mutex_unlock(&sp_allocs_lock);

	switch (pl->fill) {
	case SP_FILL_SPILL:
		return sp_place_fill(pl);
	case SP_FILL_FIRST:
		return sp_place_one(pl);
	case SP_FILL_INTERLEAVE:
		return sp_place_interleave(pl);
	}
	return -EINVAL;
}

/**
 * sp_pages_made() - an allocation of pages is whole
 * @a: the allocation, placed and trimmed by sp_alloc_create()
 *
 * From now on moves may touch it (sp_allocs_collect() hands it out).
 */
void sp_pages_made(struct sp_alloc *a)
{
	mutex_lock(&sp_allocs_lock);
	a->movable = true;
	mutex_unlock(&sp_allocs_lock);
}

/*
 * Does @a hold a page of node @nid (any node: NUMA_NO_NODE) in [@start,
 * @end)?  1 if so, 0 if not, -EINTR on a fatal signal.  A folio is
 * looked at once, by its first entry, so that a 2 MiB page costs one
 * step, not 512; the walk of a big allocation reschedules and stops
 * when the task offlining the memory is killed.  A move may swap pages
 * meanwhile: what it puts in comes from outside an isolated range.
 */
static int sp_alloc_in_range(const struct sp_alloc *a, int nid,
			     unsigned long start, unsigned long end)
{
	unsigned long i = 0, pfn, nr, steps = 0;
	struct folio *folio;
	struct page *page;

	while (i < a->nr_pages) {
		if (!(++steps % SP_HUGE_NR)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
		page = READ_ONCE(a->pages[i]);
		if (!page) {
			i++;
			continue;
		}
		/*
		 * The folio's other pages follow this entry (maybe not yet
		 * written, if it is being placed): skipped, checked here.
		 */
		folio = page_folio(page);
		nr = folio_nr_pages(folio);
		pfn = folio_pfn(folio);
		if (pfn < end && pfn + nr > start &&
		    (nid == NUMA_NO_NODE || folio_nid(folio) == nid))
			return 1;
		i += nr - folio_page_idx(folio, page);
	}
	return 0;
}

/**
 * sp_allocs_collect() - the whole allocations holding pages in a range
 * @nid: only pages of this node (NUMA_NO_NODE: any)
 * @start_pfn: first page frame of the range
 * @end_pfn: its end (exclusive)
 * @allocs: out: a kmalloc'ed array of the allocations, each with a
 *          reference; give them back with sp_allocs_put()
 * @nr: out: its length
 *
 * Allocations being made are left out (they cannot be moved yet), and so
 * are those being freed (their pages go back by themselves).
 *
 * Return: 0, -ENOMEM, or -EINTR on a fatal signal.
 */
int sp_allocs_collect(int nid, unsigned long start_pfn, unsigned long end_pfn,
		      struct sp_alloc ***allocs, unsigned int *nr)
{
	struct sp_alloc **array;
	struct sp_alloc *a;
	unsigned int n = 0;
	int ret = 0;

	mutex_lock(&sp_allocs_lock);
	array = kmalloc_array(max(sp_nr_allocs, 1U), sizeof(*array),
			      GFP_KERNEL);
	if (!array) {
		mutex_unlock(&sp_allocs_lock);
		return -ENOMEM;
	}
	list_for_each_entry(a, &sp_allocs, list) {
		if (!a->movable || a->backing != SP_BACKING_PAGES)
			continue;
		ret = sp_alloc_in_range(a, nid, start_pfn, end_pfn);
		if (ret < 0)
			break;
		if (ret && kref_get_unless_zero(&a->ref))
			array[n++] = a;
		ret = 0;
	}
	mutex_unlock(&sp_allocs_lock);
	*allocs = array;
	*nr = n;
	if (ret)
		sp_allocs_put(array, n);
	return ret;
}

/**
 * sp_allocs_put() - give back what sp_allocs_collect() handed out
 * @allocs: the array, freed here
 * @nr: its length
 */
void sp_allocs_put(struct sp_alloc **allocs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		sp_alloc_put(allocs[i]);
	kfree(allocs);
}

/*
 * Wait (about 10 s at most) until no page of @nid is in flight: one taken before
 * the range was isolated is recorded by then and can be found.  Every
 * page in flight is recorded within one page allocation, or one folio's
 * move (a copy of 2 MiB), so this is short.
 */
static int sp_node_wait_inflight(int nid)
{
	unsigned int waited = 0;

	/* Pairs with the barriers of sp_node_inflight_begin() and _end(). */
	smp_mb();
	while (atomic_read(&sp_nodes[nid].inflight)) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (++waited > 500)
			return -EBUSY;
		msleep(20);
		/* Reread the count after the sleep, as above. */
		smp_mb();
	}
	return 0;
}

/* Does any allocation (whole or not) still hold a page in the range? */
static int sp_allocs_any_in_range(int nid, unsigned long start_pfn,
				  unsigned long end_pfn)
{
	struct sp_alloc *a;
	int ret = 0;

	mutex_lock(&sp_allocs_lock);
	list_for_each_entry(a, &sp_allocs, list) {
		if (!a->pages || a->backing != SP_BACKING_PAGES)
			continue;
		ret = sp_alloc_in_range(a, nid, start_pfn, end_pfn);
		if (ret)
			break;
	}
	mutex_unlock(&sp_allocs_lock);
	return ret;
}

/**
 * sp_allocs_offline_check() - let a range of memory go offline
 * @start_pfn: first page frame of the range (MEM_GOING_OFFLINE)
 * @nr_pages: its length
 *
 * The kernel cannot migrate the pool's pages, so offline_pages() would
 * retry them until a signal.  Called after the range has been isolated,
 * so no new pool page can come from it: a node with no pool page passes
 * at once; otherwise the pool moves its pages out of the range
 * (sp_allocs_evacuate()), to other memory the allocations' policies
 * allow, and the pages freed stay isolated for the offline.  Refused
 * (-EBUSY) when there is no room, a page is in use where it cannot be
 * moved (a GUP pin, a dma-buf importer's mapping), or an allocation
 * being made holds a page there (try again); the reason is logged and
 * kept in the member's "refused" file.
 *
 * Every refusal is a scalepool_offline_refused trace event.
 *
 * Return: 0, -EBUSY, or -EINTR when the offlining task got a fatal
 * signal.
 */
int sp_allocs_offline_check(unsigned long start_pfn, unsigned long nr_pages)
{
	unsigned long end_pfn = start_pfn + nr_pages;
	const char *why = "pages of the node stayed in flight";
	int nid, ret;

	if (!nr_pages || !pfn_valid(start_pfn))
		return 0;
	nid = page_to_nid(pfn_to_page(start_pfn));

	ret = sp_node_wait_inflight(nid);
	if (ret)
		goto out;
	if (!atomic_long_read(&sp_nodes[nid].pages))
		return 0;

	ret = sp_allocs_evacuate(nid, start_pfn, end_pfn, &why);
	if (ret)
		goto out;
	ret = sp_allocs_any_in_range(nid, start_pfn, end_pfn);
	why = "the check of the range failed";
	if (ret > 0) {
		why = "an allocation being made holds pages there";
		pr_info_ratelimited("offline of node %d pfn %#lx-%#lx refused: %s\n",
				    nid, start_pfn, end_pfn - 1, why);
		ret = -EBUSY;
	}
out:
	if (ret == -EINTR)
		why = "the offlining task was killed";
	if (ret)
		trace_scalepool_offline_refused(nid, start_pfn, nr_pages, ret,
						why);
	return ret;
}

/**
 * sp_pages_init() - set up the per-node page counts
 *
 * Return: 0 or -ENOMEM.
 */
int sp_pages_init(void)
{
	sp_nodes = kcalloc(nr_node_ids, sizeof(*sp_nodes), GFP_KERNEL);
	return sp_nodes ? 0 : -ENOMEM;
}

/**
 * sp_pages_exit() - free the per-node page counts
 *
 * Every allocation is gone: each held a module reference through its
 * file or its handle's device file.
 */
void sp_pages_exit(void)
{
	WARN_ON(!list_empty(&sp_allocs));
	kfree(sp_nodes);
}
