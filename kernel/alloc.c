// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: the allocator and the placement policies.
 *
 * An allocation is made whole at ALLOC time: the policy orders the
 * candidate members, the allocator takes zeroed pages from their nodes
 * in that order (2 MiB pages where it can) and charges each member as it
 * goes.  Nothing is placed at fault time, so every client sees the same
 * placement and a mapping never fails for lack of memory.
 *
 * Every allocation is on one list, so that memory offlining can refuse a
 * range that holds pool pages (sp_allocs_offline_check()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gcd.h>
#include <linux/gfp.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/memory-tiers.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/percpu_counter.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "scalepool.h"

/* A 2 MiB page, whatever the kernel calls its PMD size. */
#define SP_HUGE_ORDER	(21 - PAGE_SHIFT)
#define SP_HUGE_NR	BIT(SP_HUGE_ORDER)

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

/* Every allocation, whole or being made; for sp_allocs_offline_check(). */
static DEFINE_MUTEX(sp_allocs_lock);
static LIST_HEAD(sp_allocs);

/**
 * struct sp_cand - a member the policy may use, with its sort keys
 * @part: the allocation's part for the member
 * @dist: SLIT distance from the policy's reference node
 * @adist: memory-tier abstract distance of the member's node
 * @fig: figures measured from the initiator (NEAREST, INTERLEAVE), when
 *       every candidate has some (sp_cands_get_measured())
 * @weight: INTERLEAVE weight
 * @no_huge: a 2 MiB page failed here: use 4 KiB pages for the rest
 */
struct sp_cand {
	struct sp_alloc_part *part;
	int dist;
	int adist;
	struct sp_measured_fig fig;
	u32 weight;
	bool no_huge;
};

/**
 * struct sp_placer - state of one placement
 * @a: the allocation being filled
 * @cands: the candidates, in the order the policy uses them
 * @nr: entries in @cands
 * @huge: 2 MiB pages are allowed at all
 * @hit_limit: some member's admin limit stopped the placement
 */
struct sp_placer {
	struct sp_alloc *a;
	struct sp_cand *cands;
	unsigned int nr;
	bool huge;
	bool hit_limit;
};

static int sp_node_adistance(int nid)
{
	int adist = MEMTIER_ADISTANCE_DRAM;

	/* Without HMAT/CDAT figures the node counts as DRAM. */
	mt_calc_adistance(nid, &adist);
	return adist;
}

static u32 sp_cand_id(const struct sp_cand *c)
{
	return c->part->m->id;
}

/* Nearest first: SLIT distance, then abstract distance, then id. */
static int sp_cmp_near(const void *l, const void *r)
{
	const struct sp_cand *a = l, *b = r;

	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	if (a->adist != b->adist)
		return a->adist < b->adist ? -1 : 1;
	return sp_cand_id(a) < sp_cand_id(b) ? -1 : 1;
}

/* Fastest tier first: abstract distance, then SLIT distance, then id. */
static int sp_cmp_tier(const void *l, const void *r)
{
	const struct sp_cand *a = l, *b = r;

	if (a->adist != b->adist)
		return a->adist < b->adist ? -1 : 1;
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	return sp_cand_id(a) < sp_cand_id(b) ? -1 : 1;
}

/* Lowest measured latency first; ties as sp_cmp_near(). */
static int sp_cmp_measured(const void *l, const void *r)
{
	const struct sp_cand *a = l, *b = r;

	if (a->fig.latency_ns != b->fig.latency_ns)
		return a->fig.latency_ns < b->fig.latency_ns ? -1 : 1;
	return sp_cmp_near(l, r);
}

/*
 * What told two neighbours of a sorted order apart (SCALEPOOL_BASIS_*),
 * with the keys of sp_cmp_near(), or of sp_cmp_tier() when @tier_first.
 * Without HMAT or CDAT figures every node has the DRAM default abstract
 * distance (sp_node_adistance()), so abstract distances differ only
 * where the firmware gave figures.  An order that only ids decide is
 * still the distance order: it found the members equally far.
 */
static u32 sp_pair_basis(const struct sp_cand *a, const struct sp_cand *b,
			 bool tier_first)
{
	if (tier_first && a->adist != b->adist)
		return SCALEPOOL_BASIS_FIRMWARE;
	if (a->dist != b->dist)
		return SCALEPOOL_BASIS_DISTANCE;
	if (a->adist != b->adist)
		return SCALEPOOL_BASIS_FIRMWARE;
	return SCALEPOOL_BASIS_DISTANCE;
}

/* The best basis that decided a step of the order of @c[0..@nr). */
static u32 sp_order_basis(const struct sp_cand *c, unsigned int nr,
			  bool tier_first)
{
	u32 basis = SCALEPOOL_BASIS_NONE;
	unsigned int i;

	for (i = 1; i < nr; i++)
		basis = max(basis, sp_pair_basis(&c[i - 1], &c[i], tier_first));
	return basis;
}

static int sp_cmp_part_id(const void *l, const void *r)
{
	const struct sp_alloc_part *a = l, *b = r;

	return a->m->id < b->m->id ? -1 : a->m->id > b->m->id;
}

/*
 * Pages only from @nid: __GFP_THISNODE, or the allocator falls back to
 * other nodes without a word.  A node with no normal zone (CXL memory
 * onlined into ZONE_MOVABLE) only gives movable requests anything.
 * Zeroed here, charged to the caller's memory cgroup; neither the OOM
 * killer nor a warning when the node is full, just NULL.
 */
static struct page *sp_page_alloc(int nid, unsigned int order)
{
	gfp_t gfp = __GFP_THISNODE | __GFP_NOWARN | __GFP_ZERO | __GFP_ACCOUNT;
	struct page *page;

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

	atomic_inc(&np->inflight);
	/*
	 * Inflight is visible before the allocator looks at the free lists:
	 * pairs with the smp_mb() in sp_allocs_offline_check(), which comes
	 * after the range was isolated.  Either offlining sees us in flight,
	 * or we see the range isolated and take nothing from it.
	 */
	smp_mb__after_atomic();
	page = sp_page_alloc(part->m->nid, order);
	if (page) {
		for (i = 0; i < nr; i++)
			WRITE_ONCE(pl->a->pages[pos + i], page + i);
		atomic_long_add(nr, &np->pages);
	}
	/* The page is recorded before we stop counting as in flight. */
	smp_mb__before_atomic();
	atomic_dec(&np->inflight);

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

/* INTERLEAVE: @gran pages to each candidate in turn, weight times each. */
static int sp_place_interleave(struct sp_placer *pl, u64 granularity)
{
	unsigned long gran = granularity >> PAGE_SHIFT;
	unsigned long pos = 0, end = pl->a->nr_pages;
	unsigned int i = 0;
	u32 left = pl->cands[0].weight;
	int ret;

	while (pos < end) {
		ret = sp_place_range(pl, &pl->cands[i], &pos,
				     pos + min(gran, end - pos));
		if (ret)
			return sp_place_failed(pl, ret);
		if (--left == 0) {
			i = (i + 1) % pl->nr;
			left = pl->cands[i].weight;
		}
	}
	return 0;
}

/* Sort keys of every candidate, relative to node @ref. */
static void sp_cands_measure(struct sp_placer *pl, int ref)
{
	unsigned int i;

	for (i = 0; i < pl->nr; i++) {
		int nid = pl->cands[i].part->m->nid;

		pl->cands[i].dist = node_distance(ref, nid);
		pl->cands[i].adist = sp_node_adistance(nid);
	}
}

/*
 * The figures measured from @initiator of every candidate, or false when
 * one has none: figures of some candidates cannot rank them against the
 * others.  Each candidate's pair is consistent; a write racing with this
 * may leave candidates with figures from before and after it, as if the
 * ALLOC had come just before or after the write, member by member.
 */
static bool sp_cands_get_measured(struct sp_placer *pl, int initiator)
{
	unsigned int i;

	for (i = 0; i < pl->nr; i++)
		if (!sp_measured_get(pl->cands[i].part->m, initiator,
				     &pl->cands[i].fig))
			return false;
	return true;
}

/*
 * Bandwidths keep SP_BW_WEIGHT_SCALE times their sum below 2^64 when
 * shifted to at most this many bits (SCALEPOOL_MAX_MEMBERS is 2^6).
 */
#define SP_BW_BITS		52
/*
 * The weight of all the bandwidth together.  Linux's weighted interleave
 * (mm/mempolicy.c since 6.16, reduce_interleave_weights()) derives its
 * automatic weights from firmware bandwidths with the same scale, so
 * that a round of chunks stays short: a small allocation follows the
 * ratio too, where weights up to SCALEPOOL_MAX_WEIGHT would put its
 * first hundreds of chunks on one member.
 */
#define SP_BW_WEIGHT_SCALE	32
static_assert(SP_BW_WEIGHT_SCALE <= SCALEPOOL_MAX_WEIGHT);

/*
 * INTERLEAVE weights proportional to the measured bandwidths: scale *
 * bandwidth / sum, at least 1, reduced by their greatest common divisor
 * (1:2 deals the same ratio as 16:32 in shorter rounds).
 */
static void sp_cands_weigh_by_bandwidth(struct sp_placer *pl)
{
	u64 bw, max_bw = 0, sum = 0;
	unsigned long div = 0;
	unsigned int i, shift;

	for (i = 0; i < pl->nr; i++)
		max_bw = max(max_bw, pl->cands[i].fig.bandwidth_mbps);
	shift = fls64(max_bw) > SP_BW_BITS ? fls64(max_bw) - SP_BW_BITS : 0;
	for (i = 0; i < pl->nr; i++)
		sum += pl->cands[i].fig.bandwidth_mbps >> shift;

	for (i = 0; i < pl->nr; i++) {
		bw = pl->cands[i].fig.bandwidth_mbps >> shift;
		pl->cands[i].weight = max_t(u64, 1, div64_u64(SP_BW_WEIGHT_SCALE *
							      bw, sum));
		div = gcd(div, pl->cands[i].weight);
	}
	for (i = 0; i < pl->nr; i++)
		pl->cands[i].weight /= div;
}

/* INTERLEAVE: the caller's weights, or measured ones, or all 1. */
static int sp_place_interleave_set(struct sp_placer *pl,
				   const struct sp_alloc_req *req)
{
	if (req->default_weights &&
	    sp_cands_get_measured(pl, req->initiator)) {
		sp_cands_weigh_by_bandwidth(pl);
		if (pl->nr > 1)
			pl->a->basis = SCALEPOOL_BASIS_MEASURED;
	}
	return sp_place_interleave(pl, req->granularity);
}

/*
 * NEAREST from a CPU node: by measured latency when every candidate has
 * figures from it, else by distance.  Only the first two candidates
 * matter for the basis: the rest are never used.
 */
static int sp_place_nearest(struct sp_placer *pl, int initiator)
{
	sp_cands_measure(pl, initiator);
	if (sp_cands_get_measured(pl, initiator)) {
		sort(pl->cands, pl->nr, sizeof(*pl->cands), sp_cmp_measured,
		     NULL);
		if (pl->nr > 1)
			pl->a->basis = SCALEPOOL_BASIS_MEASURED;
	} else {
		sort(pl->cands, pl->nr, sizeof(*pl->cands), sp_cmp_near, NULL);
		pl->a->basis = sp_order_basis(pl->cands, min(pl->nr, 2U),
					      false);
	}
	return sp_place_one(pl);
}

static int sp_place(struct sp_placer *pl, const struct sp_alloc_req *req)
{
	unsigned int i;

	for (i = 0; i < pl->nr; i++) {
		pl->cands[i].part = &pl->a->parts[i];
		/* Only INTERLEAVE has weights, and only for its own set. */
		pl->cands[i].weight = i < req->nr_members ? req->weights[i] : 1;
	}

	pl->a->basis = SCALEPOOL_BASIS_NONE;
	switch (req->policy) {
	case SCALEPOOL_POLICY_BIND:
		sp_cands_measure(pl, req->initiator);
		sort(pl->cands, pl->nr, sizeof(*pl->cands), sp_cmp_near, NULL);
		pl->a->basis = sp_order_basis(pl->cands, pl->nr, false);
		return sp_place_fill(pl);
	case SCALEPOOL_POLICY_PREFERRED:
		/* members[0] stays first; the rest by distance from it. */
		sp_cands_measure(pl, pl->cands[0].part->m->nid);
		sort(pl->cands + 1, pl->nr - 1, sizeof(*pl->cands),
		     sp_cmp_near, NULL);
		pl->a->basis = sp_order_basis(pl->cands + 1, pl->nr - 1, false);
		return sp_place_fill(pl);
	case SCALEPOOL_POLICY_INTERLEAVE:
		return sp_place_interleave_set(pl, req);
	case SCALEPOOL_POLICY_NEAREST:
		return sp_place_nearest(pl, req->initiator);
	case SCALEPOOL_POLICY_TIERED:
		sp_cands_measure(pl, req->initiator);
		sort(pl->cands, pl->nr, sizeof(*pl->cands), sp_cmp_tier, NULL);
		pl->a->basis = sp_order_basis(pl->cands, pl->nr, true);
		return sp_place_fill(pl);
	}
	return -EINVAL;
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

/* Sort key of a candidate for a PCI initiator; see sp_alloc_pick_pci(). */
struct sp_pci_cand {
	struct sp_alloc_part part;
	int class;	/* 0: peer member behind a shared switch, 1: node */
	int dist;
	int adist;
};

static int sp_cmp_pci(const void *l, const void *r)
{
	const struct sp_pci_cand *a = l, *b = r;

	if (a->class != b->class)
		return a->class < b->class ? -1 : 1;
	if (a->dist != b->dist)
		return a->dist < b->dist ? -1 : 1;
	if (a->adist != b->adist)
		return a->adist < b->adist ? -1 : 1;
	return a->part.m->id < b->part.m->id ? -1 : 1;
}

/* What set the winner @w of a PCI initiator's order before @r. */
static u32 sp_pci_basis(const struct sp_pci_cand *w,
			const struct sp_pci_cand *r)
{
	if (w->class == r->class && w->dist == r->dist && w->adist != r->adist)
		return SCALEPOOL_BASIS_FIRMWARE;
	return SCALEPOOL_BASIS_DISTANCE;
}

/*
 * NEAREST for a PCI initiator: peer members the device reaches without
 * crossing the host bridge first (SP_P2P_SWITCH), nearest (P2PDMA
 * distance) first, then node members by SLIT distance from the device's
 * node; peer members it reaches only through the host bridge, whitelisted
 * by P2PDMA or not, are no candidates.  Leaves the winner as the
 * allocation's only part and what picked it in @basis.
 * Return: 0, or -ENOMEM when no candidate is left.
 */
static int sp_alloc_pick_pci(struct sp_alloc *a, const struct sp_alloc_req *req,
			     u32 *basis)
{
	struct sp_pci_cand *c;
	unsigned int i, n = 0;
	int dist;

	c = kcalloc(a->nr_parts, sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	for (i = 0; i < a->nr_parts; i++) {
		struct sp_member *m = a->parts[i].m;

		if (sp_member_is_peer(m)) {
			/*
			 * Not through the host bridge, even one P2PDMA
			 * trusts: that path is no nearer than RAM.
			 */
			if (sp_peer_path_to(m, req->initiator_pci, &dist) !=
			    SP_P2P_SWITCH) {
				sp_member_put(m);
				continue;
			}
			c[n].class = 0;
			c[n].dist = dist;
		} else {
			c[n].class = 1;
			c[n].dist = node_distance(req->initiator, m->nid);
			c[n].adist = sp_node_adistance(m->nid);
		}
		c[n++].part = a->parts[i];
	}
	sort(c, n, sizeof(*c), sp_cmp_pci, NULL);
	*basis = n > 1 ? sp_pci_basis(&c[0], &c[1]) : SCALEPOOL_BASIS_NONE;
	for (i = 1; i < n; i++)
		sp_member_put(c[i].part.m);
	a->nr_parts = n ? 1 : 0;
	if (n)
		a->parts[0] = c[0].part;
	kfree(c);
	return n ? 0 : -ENOMEM;
}

/*
 * Peer members hold an allocation in one piece: a set naming one must
 * name it alone, with BIND or NEAREST.
 * Return: 1 for an allocation of a peer member, 0 for node members,
 * -EINVAL for a set that breaks the rule.
 */
static int sp_alloc_peer_check(const struct sp_alloc *a,
			       const struct sp_alloc_req *req)
{
	unsigned int i, peers = 0;

	for (i = 0; i < a->nr_parts; i++)
		peers += sp_member_is_peer(a->parts[i].m);
	if (!peers)
		return 0;
	if (a->nr_parts != 1 || (req->policy != SCALEPOOL_POLICY_BIND &&
				 req->policy != SCALEPOOL_POLICY_NEAREST))
		return -EINVAL;
	return 1;
}

/* Candidates that got nothing are dropped; the rest sorted by member id. */
static void sp_alloc_trim_parts(struct sp_alloc *a)
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

/* Enough capacity among the candidates, before any big array is made. */
static bool sp_alloc_may_fit(const struct sp_alloc *a)
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

static void sp_alloc_release(struct kref *ref)
{
	struct sp_alloc *a = container_of(ref, struct sp_alloc, ref);
	unsigned int i;

	mutex_lock(&sp_allocs_lock);
	list_del(&a->list);
	mutex_unlock(&sp_allocs_lock);

	sp_alloc_uncharge_rss(a);
	if (a->backing == SP_BACKING_PAGES && a->pages)
		sp_alloc_free_pages(a);
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

/**
 * sp_alloc_create() - make an allocation as a request says
 * @req: a request checked against the UAPI rules (see ioctl.c)
 *
 * Allocates every page now, zeroed, from the members the policy allows
 * and in the order it gives.  On failure nothing is left charged or held.
 *
 * Return: the allocation with one reference, or ERR_PTR(-ENOENT) for a
 * member id that names no member, -ENOSPC when an admin limit stopped
 * it, -ENOMEM when the members had no memory for it, -EINTR on a fatal
 * signal.
 */
struct sp_alloc *sp_alloc_create(const struct sp_alloc_req *req)
{
	struct sp_placer pl = {};
	u32 pci_basis = SCALEPOOL_BASIS_NONE;
	struct sp_alloc *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return ERR_PTR(-ENOMEM);
	kref_init(&a->ref);
	INIT_LIST_HEAD(&a->list);
	INIT_LIST_HEAD(&a->peer_entry);
	init_rwsem(&a->revoke_sem);
	mutex_init(&a->dmabufs_lock);
	INIT_LIST_HEAD(&a->dmabufs);
	sp_alloc_mapping_init(a);
	a->length = req->length;
	a->nr_pages = req->length >> PAGE_SHIFT;
	a->policy = req->policy;
	a->flags = req->flags;

	ret = sp_alloc_members(a, req);
	if (ret)
		goto err_put;
	if (req->initiator_pci) {
		/* A set naming a peer member must still name it alone. */
		ret = req->nr_members ? sp_alloc_peer_check(a, req) : 0;
		if (ret < 0)
			goto err_put;
		ret = sp_alloc_pick_pci(a, req, &pci_basis);
		if (ret)
			goto err_put;
		a->basis = pci_basis;
	}
	ret = sp_alloc_peer_check(a, req);
	if (ret < 0)
		goto err_put;
	if (ret) {
		ret = sp_peer_alloc(a);
		if (ret)
			goto err_put;
		return a;
	}
	if (!sp_alloc_may_fit(a)) {
		ret = -ENOMEM;
		goto err_put;
	}

	a->pages = sp_alloc_page_array(a->nr_pages);
	pl.cands = kcalloc(a->nr_parts, sizeof(*pl.cands), GFP_KERNEL);
	if (!a->pages || !pl.cands) {
		ret = -ENOMEM;
		goto err_free_cands;
	}
	pl.a = a;
	pl.nr = a->nr_parts;
	pl.huge = !(req->flags & SCALEPOOL_ALLOC_NO_HUGE) &&
		  (req->policy != SCALEPOOL_POLICY_INTERLEAVE ||
		   req->granularity >= (SP_HUGE_NR << PAGE_SHIFT));

	/* Listed before the first page, for the offline check. */
	mutex_lock(&sp_allocs_lock);
	list_add_tail(&a->list, &sp_allocs);
	mutex_unlock(&sp_allocs_lock);

	ret = sp_place(&pl, req);
	if (ret)
		goto err_free_cands;
	/* The PCI pick ranked the members; placement had one left. */
	if (req->initiator_pci)
		a->basis = pci_basis;
	kfree(pl.cands);
	sp_alloc_trim_parts(a);
	sp_alloc_charge_rss(a);
	return a;

err_free_cands:
	kfree(pl.cands);
err_put:
	sp_alloc_put(a);
	return ERR_PTR(ret);
}

/*
 * Does @a hold a page in [@start, @end)?  1 if so, 0 if not, -EINTR on a
 * fatal signal.  A folio is looked at once, by its first entry, so that
 * a 2 MiB page costs one step, not 512; the walk of a big allocation
 * reschedules and stops when the task offlining the memory is killed.
 */
static int sp_alloc_in_range(const struct sp_alloc *a, unsigned long start,
			     unsigned long end)
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
		if (pfn < end && pfn + nr > start)
			return 1;
		i += nr - folio_page_idx(folio, page);
	}
	return 0;
}

/**
 * sp_allocs_offline_check() - may this range of memory go offline?
 * @start_pfn: first page frame of the range (MEM_GOING_OFFLINE)
 * @nr_pages: its length
 *
 * The pool's pages are not movable, so offline_pages() would retry them
 * until a signal.  Called after the range has been isolated, so no new
 * pool page can come from it: a node with no pool page and no allocation
 * in flight passes at once; otherwise the allocations are searched.  An
 * allocation in flight on the node gets -EBUSY too (try again).
 *
 * Return: 0, or -EBUSY when the pool holds (or may be taking) pages in
 * the range, -EINTR when the offlining task got a fatal signal.
 */
int sp_allocs_offline_check(unsigned long start_pfn, unsigned long nr_pages)
{
	unsigned long end_pfn = start_pfn + nr_pages;
	struct sp_alloc *a;
	int nid, ret = 0;

	if (!nr_pages || !pfn_valid(start_pfn))
		return 0;
	nid = page_to_nid(pfn_to_page(start_pfn));

	/* Pairs with the barriers around @inflight in sp_place_page(). */
	smp_mb();
	if (atomic_read(&sp_nodes[nid].inflight))
		return -EBUSY;
	if (!atomic_long_read(&sp_nodes[nid].pages))
		return 0;

	mutex_lock(&sp_allocs_lock);
	list_for_each_entry(a, &sp_allocs, list) {
		if (!a->pages)
			continue;
		ret = sp_alloc_in_range(a, start_pfn, end_pfn);
		if (ret)
			break;
	}
	mutex_unlock(&sp_allocs_lock);

	if (ret < 0)
		return ret;
	if (ret) {
		pr_info_ratelimited("offline of node %d pfn %#lx-%#lx refused: pool pages there\n",
				    nid, start_pfn, end_pfn - 1);
		return -EBUSY;
	}
	return 0;
}

/**
 * sp_alloc_init() - set up the per-node page counts
 *
 * Return: 0 or -ENOMEM.
 */
int sp_alloc_init(void)
{
	sp_nodes = kcalloc(nr_node_ids, sizeof(*sp_nodes), GFP_KERNEL);
	return sp_nodes ? 0 : -ENOMEM;
}

/**
 * sp_alloc_exit() - free the per-node page counts
 *
 * Every allocation is gone: each held a module reference through its
 * file or its handle's device file.
 */
void sp_alloc_exit(void)
{
	WARN_ON(!list_empty(&sp_allocs));
	kfree(sp_nodes);
}
