// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: the placement policies.
 *
 * A policy orders the candidate members of an allocation and says how
 * the page allocator (pages.c) fills from them; it also records what
 * decided the order (the allocation's basis, SCALEPOOL_BASIS_*).  Every
 * order is one comparator family over one candidate type: a class (a
 * PCI initiator's peer members behind its switch first), SLIT or P2PDMA
 * distance, abstract distance, member id; TIERED puts abstract distance
 * first, measured latency goes before all of them where every candidate
 * has one.  NEAREST for a PCI initiator is NEAREST with the class key,
 * keeping the winner alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/gcd.h>
#include <linux/math64.h>
#include <linux/memory-tiers.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/topology.h>

#include "place.h"
#include "visible.h"

static int sp_node_adistance(int nid)
{
	int adist = MEMTIER_ADISTANCE_DRAM;

	/* Without HMAT/CDAT figures the node counts as DRAM. */
	mt_calc_adistance(nid, &adist);
	return adist;
}

static int sp_cmp_int(int a, int b)
{
	return a < b ? -1 : a > b;
}

/*
 * The keys of two candidates in order: class, then SLIT (or P2PDMA)
 * distance and abstract distance, abstract distance first when
 * @tier_first, then member id (never equal: no two candidates share a
 * member).
 */
VISIBLE_IF_KUNIT int sp_cand_cmp(const struct sp_cand *a,
				 const struct sp_cand *b, bool tier_first)
{
	if (a->class != b->class)
		return sp_cmp_int(a->class, b->class);
	if (tier_first && a->adist != b->adist)
		return sp_cmp_int(a->adist, b->adist);
	if (a->dist != b->dist)
		return sp_cmp_int(a->dist, b->dist);
	if (a->adist != b->adist)
		return sp_cmp_int(a->adist, b->adist);
	return a->part->m->id < b->part->m->id ? -1 : 1;
}
EXPORT_SYMBOL_IF_KUNIT(sp_cand_cmp);

/* Nearest first: class, SLIT distance, abstract distance, id. */
static int sp_cmp_near(const void *l, const void *r)
{
	return sp_cand_cmp(l, r, false);
}

/* Fastest tier first: abstract distance, then as sp_cmp_near(). */
static int sp_cmp_tier(const void *l, const void *r)
{
	return sp_cand_cmp(l, r, true);
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
 * with the keys of sp_cand_cmp().  Without HMAT or CDAT figures every
 * node has the DRAM default abstract distance (sp_node_adistance()), so
 * abstract distances differ only where the firmware gave figures.  An
 * order that only ids decide is still the distance order: it found the
 * members equally far; so is one that the class decided (a peer member
 * behind the PCI initiator's switch is nearer than any node).
 */
VISIBLE_IF_KUNIT u32 sp_pair_basis(const struct sp_cand *a,
				   const struct sp_cand *b, bool tier_first)
{
	if (a->class != b->class)
		return SCALEPOOL_BASIS_DISTANCE;
	if (tier_first && a->adist != b->adist)
		return SCALEPOOL_BASIS_FIRMWARE;
	if (a->dist != b->dist)
		return SCALEPOOL_BASIS_DISTANCE;
	if (a->adist != b->adist)
		return SCALEPOOL_BASIS_FIRMWARE;
	return SCALEPOOL_BASIS_DISTANCE;
}
EXPORT_SYMBOL_IF_KUNIT(sp_pair_basis);

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
 * Sort @nr candidates from @first with the keys of sp_cand_cmp() and
 * record what decided the order of the first @nr_basis of them.
 */
VISIBLE_IF_KUNIT void sp_cands_sort(struct sp_placer *pl, unsigned int first,
				    unsigned int nr, unsigned int nr_basis,
				    bool tier_first)
{
	struct sp_cand *c = pl->cands + first;

	sort(c, nr, sizeof(*c), tier_first ? sp_cmp_tier : sp_cmp_near,
	     NULL);
	pl->a->basis = sp_order_basis(c, min(nr, nr_basis), tier_first);
}
EXPORT_SYMBOL_IF_KUNIT(sp_cands_sort);

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
VISIBLE_IF_KUNIT void sp_cands_weigh_by_bandwidth(struct sp_placer *pl)
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
EXPORT_SYMBOL_IF_KUNIT(sp_cands_weigh_by_bandwidth);

/*
 * INTERLEAVE: the caller's order and weights, or weights from measured
 * bandwidths when the caller gave none, or all 1.
 */
static void sp_order_interleave(struct sp_placer *pl,
				const struct sp_alloc_req *req)
{
	pl->fill = SP_FILL_INTERLEAVE;
	pl->gran = req->granularity >> PAGE_SHIFT;
	if (req->default_weights &&
	    sp_cands_get_measured(pl, req->initiator)) {
		sp_cands_weigh_by_bandwidth(pl);
		if (pl->nr > 1)
			pl->a->basis = SCALEPOOL_BASIS_MEASURED;
	}
}

/*
 * NEAREST from a CPU node: by measured latency when every candidate has
 * figures from it, else by distance.  Only the first two candidates
 * matter for the basis: the rest are never used.
 */
static void sp_order_nearest(struct sp_placer *pl, int initiator)
{
	pl->fill = SP_FILL_FIRST;
	sp_cands_measure(pl, initiator);
	if (sp_cands_get_measured(pl, initiator)) {
		sort(pl->cands, pl->nr, sizeof(*pl->cands), sp_cmp_measured,
		     NULL);
		if (pl->nr > 1)
			pl->a->basis = SCALEPOOL_BASIS_MEASURED;
	} else {
		sp_cands_sort(pl, 0, pl->nr, 2, false);
	}
}

/*
 * Keep the first candidate as the allocation's only part, dropping the
 * references on the others.  Return: 0, or -ENOMEM with no candidate.
 */
static int sp_cands_keep_first(struct sp_placer *pl)
{
	struct sp_alloc *a = pl->a;
	struct sp_alloc_part first = {};
	unsigned int i;

	if (pl->nr)
		first = *pl->cands[0].part;
	for (i = 0; i < a->nr_parts; i++)
		if (a->parts[i].m != first.m)
			sp_member_put(a->parts[i].m);
	a->nr_parts = pl->nr ? 1 : 0;
	if (!pl->nr)
		return -ENOMEM;
	a->parts[0] = first;
	pl->cands[0].part = &a->parts[0];
	pl->nr = 1;
	return 0;
}

/*
 * NEAREST for a PCI initiator: peer members the device reaches without
 * crossing the host bridge first (SP_P2P_SWITCH), nearest (P2PDMA
 * distance) first, then node members by SLIT distance from the device's
 * node; peer members it reaches only through the host bridge,
 * whitelisted by P2PDMA or not, are no candidates: that path is no
 * nearer than RAM.  Leaves the winner as the allocation's only part.
 * Return: 0, or -ENOMEM when no candidate is left.
 */
static int sp_order_nearest_pci(struct sp_placer *pl,
				const struct sp_alloc_req *req)
{
	unsigned int i, n = 0;
	int dist;

	pl->fill = SP_FILL_FIRST;
	sp_cands_measure(pl, req->initiator);
	for (i = 0; i < pl->nr; i++) {
		struct sp_cand *c = &pl->cands[i];

		if (sp_member_is_peer(c->part->m)) {
			if (sp_peer_path_to(c->part->m, req->initiator_pci,
					    &dist) != SP_P2P_SWITCH)
				continue;
			c->class = SP_CAND_SWITCH;
			c->dist = dist;
			c->adist = 0;
		}
		pl->cands[n++] = *c;
	}
	pl->nr = n;
	sp_cands_sort(pl, 0, n, 2, false);
	return sp_cands_keep_first(pl);
}

/**
 * sp_place_order() - order the candidates of an allocation by its policy
 * @pl: the placement, filled here; the caller kfree()s @pl->cands, also
 *      on failure
 * @a: the allocation, with its candidate members in @a->parts
 * @req: the request
 *
 * Sets @a->basis to what decided the order.  For a PCI initiator only
 * the chosen member is left in @a->parts.
 *
 * Return: 0, or -ENOMEM.
 */
int sp_place_order(struct sp_placer *pl, struct sp_alloc *a,
		   const struct sp_alloc_req *req)
{
	unsigned int i;

	pl->cands = kcalloc(a->nr_parts, sizeof(*pl->cands), GFP_KERNEL);
	if (!pl->cands)
		return -ENOMEM;
	pl->a = a;
	pl->nr = a->nr_parts;
	pl->fill = SP_FILL_SPILL;
	pl->huge = !(req->flags & SCALEPOOL_ALLOC_NO_HUGE) &&
		   (req->policy != SCALEPOOL_POLICY_INTERLEAVE ||
		    req->granularity >= (SP_HUGE_NR << PAGE_SHIFT));
	for (i = 0; i < pl->nr; i++) {
		pl->cands[i].part = &a->parts[i];
		pl->cands[i].class = SP_CAND_HOST;
		/* Only INTERLEAVE has weights, and only for its own set. */
		pl->cands[i].weight = i < req->nr_members ? req->weights[i] : 1;
	}

	a->basis = SCALEPOOL_BASIS_NONE;
	switch (req->policy) {
	case SCALEPOOL_POLICY_BIND:
		sp_cands_measure(pl, req->initiator);
		sp_cands_sort(pl, 0, pl->nr, pl->nr, false);
		return 0;
	case SCALEPOOL_POLICY_PREFERRED:
		/* members[0] stays first; the rest by distance from it. */
		sp_cands_measure(pl, pl->cands[0].part->m->nid);
		sp_cands_sort(pl, 1, pl->nr - 1, pl->nr - 1, false);
		return 0;
	case SCALEPOOL_POLICY_INTERLEAVE:
		sp_order_interleave(pl, req);
		return 0;
	case SCALEPOOL_POLICY_NEAREST:
		if (req->initiator_pci)
			return sp_order_nearest_pci(pl, req);
		sp_order_nearest(pl, req->initiator);
		return 0;
	case SCALEPOOL_POLICY_TIERED:
		sp_cands_measure(pl, req->initiator);
		sp_cands_sort(pl, 0, pl->nr, pl->nr, true);
		return 0;
	}
	return -EINVAL;
}
EXPORT_SYMBOL_IF_KUNIT(sp_place_order);

/**
 * sp_tier_order() - order members fastest first, for tiering (tier.c)
 * @m: the members, sorted in place
 * @nr: entries in @m
 * @initiator: the CPU node the allocation was placed for
 *
 * By the latency measured from @initiator when every member has a
 * figure (members/<id>/measured), else in TIERED's own fill order
 * (abstract distance, then SLIT distance from @initiator, then id), so
 * that tiering never works against the order the policy filled.
 *
 * Return: 0, or -ENOMEM with @m untouched.
 */
int sp_tier_order(struct sp_member **m, unsigned int nr, int initiator)
{
	struct sp_placer pl = { .nr = nr };
	struct sp_alloc_part *parts;
	unsigned int i;

	parts = kcalloc(max(nr, 1U), sizeof(*parts), GFP_KERNEL);
	pl.cands = kcalloc(max(nr, 1U), sizeof(*pl.cands), GFP_KERNEL);
	if (!parts || !pl.cands) {
		kfree(parts);
		kfree(pl.cands);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		parts[i].m = m[i];
		pl.cands[i].part = &parts[i];
		pl.cands[i].class = SP_CAND_HOST;
	}
	sp_cands_measure(&pl, initiator);
	sort(pl.cands, nr, sizeof(*pl.cands),
	     sp_cands_get_measured(&pl, initiator) ? sp_cmp_measured :
						      sp_cmp_tier, NULL);
	for (i = 0; i < nr; i++)
		m[i] = pl.cands[i].part->m;
	kfree(pl.cands);
	kfree(parts);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sp_tier_order);
