/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: one placement, shared by the policies that order the
 * candidate members (policy.c) and the page allocator that fills the
 * allocation from them in that order (pages.c).  alloc.c runs the two.
 */
#ifndef _SP_PLACE_H
#define _SP_PLACE_H

#include <linux/types.h>

#include "scalepool.h"

/* A 2 MiB page, whatever the kernel calls its PMD size. */
#define SP_HUGE_ORDER	(21 - PAGE_SHIFT)
#define SP_HUGE_NR	BIT(SP_HUGE_ORDER)

/*
 * The first sort key of a candidate.  A PCI initiator ranks the peer
 * members it reaches without crossing the host bridge before everything
 * else; for a CPU initiator every candidate is SP_CAND_HOST.
 */
enum sp_cand_class {
	SP_CAND_SWITCH,	/* peer member behind the PCI initiator's switch */
	SP_CAND_HOST,	/* any other: reached through the host */
};

/**
 * struct sp_cand - a member the policy may use, with its sort keys
 * @part: the allocation's part for the member
 * @class: enum sp_cand_class, the first key
 * @dist: SLIT distance from the policy's reference node, or the P2PDMA
 *        distance from a PCI initiator (SP_CAND_SWITCH)
 * @adist: memory-tier abstract distance of the member's node (0 for
 *         SP_CAND_SWITCH)
 * @fig: figures measured from the initiator (NEAREST, INTERLEAVE), when
 *       every candidate has some (see policy.c)
 * @weight: INTERLEAVE weight
 * @no_huge: a 2 MiB page failed here: use 4 KiB pages for the rest
 */
struct sp_cand {
	struct sp_alloc_part *part;
	enum sp_cand_class class;
	int dist;
	int adist;
	struct sp_measured_fig fig;
	u32 weight;
	bool no_huge;
};

/* How the page allocator uses the ordered candidates. */
enum sp_fill {
	SP_FILL_SPILL,		/* BIND, PREFERRED, TIERED: fill, spill on */
	SP_FILL_FIRST,		/* NEAREST: the first candidate only */
	SP_FILL_INTERLEAVE,	/* INTERLEAVE: chunks, weight times each */
};

/**
 * struct sp_placer - state of one placement
 * @a: the allocation being filled
 * @cands: the candidates, in the order the policy uses them
 * @nr: entries in @cands
 * @fill: enum sp_fill
 * @gran: SP_FILL_INTERLEAVE: the chunk, in pages
 * @huge: 2 MiB pages are allowed at all
 * @hit_limit: some member's admin limit stopped the placement
 */
struct sp_placer {
	struct sp_alloc *a;
	struct sp_cand *cands;
	unsigned int nr;
	enum sp_fill fill;
	unsigned long gran;
	bool huge;
	bool hit_limit;
};

/**
 * struct sp_deal - where INTERLEAVE dealing stands (pages.c)
 * @i: the candidate whose turn it is
 * @left: chunks it still gets in this turn
 */
struct sp_deal {
	unsigned int i;
	u32 left;
};

/* policy.c */
int sp_place_order(struct sp_placer *pl, struct sp_alloc *a,
		   const struct sp_alloc_req *req);
int sp_tier_order(struct sp_member **m, unsigned int nr, int initiator);

/* alloc.c */
struct sp_alloc *sp_alloc_plan(const struct sp_alloc_req *req,
			       struct sp_placer *pl);

/* pages.c */
int sp_pages_place(struct sp_placer *pl);
void sp_pages_made(struct sp_alloc *a);
void sp_pages_release(struct sp_alloc *a);
void sp_deal_start(struct sp_deal *d, const struct sp_placer *pl);
unsigned int sp_deal_next(struct sp_deal *d, const struct sp_placer *pl,
			  unsigned long pos, unsigned long *end);

#endif /* _SP_PLACE_H */
