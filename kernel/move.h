/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: the move of an allocation's pages between members (move.c),
 * shared with MIGRATE (migrate.c), which picks the targets folio by
 * folio.
 */
#ifndef _SP_MOVE_H
#define _SP_MOVE_H

#include "place.h"

struct folio;

/**
 * enum sp_move_reason - why sp_move_folio() moves a folio, for its trace
 * event (trace.h)
 * @SP_MOVE_DRAIN: member drain (sp_member_drain())
 * @SP_MOVE_EVACUATE: memory going offline (sp_allocs_evacuate())
 * @SP_MOVE_MIGRATE: MIGRATE to a new policy (migrate.c)
 * @SP_MOVE_PROMOTE: tiering, to a faster member (tier.c)
 * @SP_MOVE_DEMOTE: tiering, to a slower member to make room
 */
enum sp_move_reason {
	SP_MOVE_DRAIN,
	SP_MOVE_EVACUATE,
	SP_MOVE_MIGRATE,
	SP_MOVE_PROMOTE,
	SP_MOVE_DEMOTE,
};

/**
 * struct sp_mover - one move of (some of) an allocation's pages
 * @a: the allocation, @move_lock held
 * @from: the member whose pages move; NULL: any member's
 * @start_pfn: only pages in [@start_pfn, @end_pfn) move
 * @end_pfn: end of that range
 * @stay: @from may take the pages itself (from memory outside the range)
 * @targets: the members pages may go to, nearest to @from's node first,
 *           each with a reference
 * @nr_targets: entries in @targets
 * @dst: room for the destination pages of one folio
 * @moved: bytes moved so far
 * @hit_limit: a target's limit stopped a page
 * @why: what refused the move, for the log and members/<id>/refused
 * @reason: why the pages move, for the trace event
 * @zap_a: the allocation whose pages [@zap_start, @zap_end) the last
 *         unmap zapped, when @zap_a->map_seq was @zap_seq; NULL: none
 * @zap_start: first page index of that window
 * @zap_end: index after it
 * @zap_seq: @map_seq after the zap
 */
struct sp_mover {
	struct sp_alloc *a;
	struct sp_member *from;
	unsigned long start_pfn;
	unsigned long end_pfn;
	bool stay;
	struct sp_member **targets;
	unsigned int nr_targets;
	struct page **dst;
	u64 moved;
	bool hit_limit;
	const char *why;
	enum sp_move_reason reason;
	struct sp_alloc *zap_a;
	unsigned long zap_start;
	unsigned long zap_end;
	long zap_seq;
};

struct sp_alloc_part *sp_move_node_part(struct sp_alloc *a, int nid);
int sp_move_targets(struct sp_mover *mv, int nid);
void sp_move_put_targets(struct sp_mover *mv);
int sp_move_folio(struct sp_mover *mv, unsigned long head, struct folio *src,
		  struct sp_alloc_part *sp);

#endif /* _SP_MOVE_H */
