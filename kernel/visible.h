/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool: functions that are static, except on a kernel with KUnit,
 * where they are exported to the tests (scalepool_kunit.ko, in the
 * EXPORTED_FOR_KUNIT_TESTING namespace; <kunit/visibility.h>).  Each is
 * pure arithmetic or a check of a request, so that the tests call it
 * with made-up candidates and requests, no hardware needed.
 */
#ifndef _SP_VISIBLE_H
#define _SP_VISIBLE_H

#include <linux/kconfig.h>

#if IS_ENABLED(CONFIG_KUNIT)

#include "place.h"

struct scalepool_alloc;
struct scalepool_migrate;
struct sp_ioctl_op;

/* policy.c */
int sp_cand_cmp(const struct sp_cand *a, const struct sp_cand *b,
		bool tier_first);
u32 sp_pair_basis(const struct sp_cand *a, const struct sp_cand *b,
		  bool tier_first);
void sp_cands_sort(struct sp_placer *pl, unsigned int first,
		   unsigned int nr, unsigned int nr_basis, bool tier_first);
void sp_cands_weigh_by_bandwidth(struct sp_placer *pl);

/* pages.c */
bool sp_alloc_may_fit(const struct sp_alloc *a);

/* ioctl.c */
bool sp_charge_fits(u64 charged, u64 bytes, u64 cap, u64 *sum);
int sp_alloc_check(const struct scalepool_alloc *cmd,
		   struct sp_alloc_req *req);
int sp_migrate_check(const struct scalepool_migrate *cmd, u64 length,
		     struct sp_alloc_req *req);
bool sp_ids_unique(const u32 *ids, unsigned int nr);
bool sp_weights_valid(const u32 *weights, unsigned int nr);
const struct sp_ioctl_op *sp_ioctl_lookup(unsigned int cmd);

/* measured.c */
int sp_measured_parse(char *s, int *nid, struct sp_measured_fig *fig);

#endif /* CONFIG_KUNIT */
#endif /* _SP_VISIBLE_H */
