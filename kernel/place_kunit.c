// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of scalepool's placement arithmetic (policy.c, pages.c):
 * how candidates are ranked and what decided the order, how measured
 * bandwidths become INTERLEAVE weights, how INTERLEAVE deals chunks,
 * and the capacity check before an allocation's page array is made.
 *
 * Candidates are made up: members that exist only here, all on one
 * node that has memory, so that no test depends on the machine's
 * topology and none takes a page.  Every expectation is worked out by
 * hand in the comment above it.
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/nodemask.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "place.h"
#include "visible.h"

/* The longest order printed by sp_test_order(): 64 ids of 10 digits. */
#define SP_TEST_ORDER_LEN	(SCALEPOOL_MAX_MEMBERS * 11 + 1)

KUNIT_DEFINE_ACTION_WRAPPER(sp_test_kfree, kfree, const void *);

/*
 * An allocation whose candidates are made-up members with @ids, in that
 * order, and a placer over them with the keys zeroed, class SP_CAND_HOST
 * and weight 1.  Each member has room for measured figures, none set.
 */
static struct sp_placer *sp_test_placer(struct kunit *test,
					const unsigned int *ids,
					unsigned int nr)
{
	struct sp_placer *pl = kunit_kzalloc(test, sizeof(*pl), GFP_KERNEL);
	struct sp_alloc *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct sp_member *m;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, pl);
	KUNIT_ASSERT_NOT_NULL(test, a);
	a->parts = kunit_kcalloc(test, nr, sizeof(*a->parts), GFP_KERNEL);
	pl->cands = kunit_kcalloc(test, nr, sizeof(*pl->cands), GFP_KERNEL);
	m = kunit_kcalloc(test, nr, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a->parts && pl->cands && m);
	a->nr_parts = nr;
	pl->a = a;
	pl->nr = nr;
	for (i = 0; i < nr; i++) {
		m[i].id = ids[i];
		m[i].nid = first_memory_node;
		seqlock_init(&m[i].measured_lock);
		m[i].measured = kunit_kcalloc(test, nr_node_ids,
					      sizeof(*m[i].measured),
					      GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, m[i].measured);
		a->parts[i].m = &m[i];
		pl->cands[i].part = &a->parts[i];
		pl->cands[i].class = SP_CAND_HOST;
		pl->cands[i].weight = 1;
	}
	return pl;
}

/* Sort keys of candidate @i. */
static void sp_test_keys(struct sp_placer *pl, unsigned int i,
			 enum sp_cand_class class, int dist, int adist)
{
	pl->cands[i].class = class;
	pl->cands[i].dist = dist;
	pl->cands[i].adist = adist;
}

/* Figures measured from @initiator of the member of part @i. */
static void sp_test_measured(struct sp_placer *pl, unsigned int i,
			     int initiator, u64 latency_ns, u64 bandwidth_mbps)
{
	struct sp_measured_fig *fig = &pl->a->parts[i].m->measured[initiator];

	fig->latency_ns = latency_ns;
	fig->bandwidth_mbps = bandwidth_mbps;
}

/* The member ids of the candidates in their order, "2 0 1". */
static const char *sp_test_order(struct kunit *test,
				 const struct sp_placer *pl)
{
	char *s = kunit_kzalloc(test, SP_TEST_ORDER_LEN, GFP_KERNEL);
	unsigned int i;
	int len = 0;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < pl->nr; i++)
		len += scnprintf(s + len, SP_TEST_ORDER_LEN - len, "%s%u",
				 i ? " " : "", pl->cands[i].part->m->id);
	return s;
}

/* ---- ranking: sp_cand_cmp(), sp_pair_basis(), sp_cands_sort() ---- */

/*
 * Keys (id: dist, adist): 0: 20, 500; 1: 10, 700; 2: 10, 500.
 * Nearest: distance first: 2 and 1 (10) before 0 (20); 2 before 1 by
 * abstract distance (500 < 700).  What told them apart: 2|1 abstract
 * distance (FIRMWARE), 1|0 distance (DISTANCE); the order's basis is
 * the best of the steps, FIRMWARE.
 */
static void sp_test_rank_nearest(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1, 2 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);

	sp_test_keys(pl, 0, SP_CAND_HOST, 20, 500);
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 700);
	sp_test_keys(pl, 2, SP_CAND_HOST, 10, 500);
	sp_cands_sort(pl, 0, 3, 3, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "2 1 0");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_FIRMWARE);
}

/*
 * The same keys, tiered: abstract distance first: 2 and 0 (500) before
 * 1 (700); 2 before 0 by distance (10 < 20).  Steps: 2|0 distance,
 * 0|1 abstract distance: FIRMWARE.
 */
static void sp_test_rank_tiered(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1, 2 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);

	sp_test_keys(pl, 0, SP_CAND_HOST, 20, 500);
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 700);
	sp_test_keys(pl, 2, SP_CAND_HOST, 10, 500);
	sp_cands_sort(pl, 0, 3, 3, true);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "2 0 1");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_FIRMWARE);
}

/*
 * Remote DRAM (id 4: distance 20, adist 512) against local CXL (id 9:
 * distance 10, adist 1024): nearest takes the CXL memory (10 < 20),
 * tiered the DRAM (512 < 1024).  Nearest's step was decided by
 * distance, tiered's by abstract distance.
 */
static void sp_test_rank_dram_vs_cxl(struct kunit *test)
{
	static const unsigned int ids[] = { 4, 9 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);

	sp_test_keys(pl, 0, SP_CAND_HOST, 20, 512);
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 1024);
	sp_cands_sort(pl, 0, 2, 2, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "9 4");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
	sp_cands_sort(pl, 0, 2, 2, true);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "4 9");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_FIRMWARE);
}

/*
 * Equal keys: member id decides (2 5 9), in both modes, and the order is
 * still the distance order (the members were found equally far).
 */
static void sp_test_rank_ties_by_id(struct kunit *test)
{
	static const unsigned int ids[] = { 5, 2, 9 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);
	unsigned int i;

	for (i = 0; i < 3; i++)
		sp_test_keys(pl, i, SP_CAND_HOST, 10, 500);
	sp_cands_sort(pl, 0, 3, 3, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "2 5 9");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
	sp_cands_sort(pl, 0, 3, 3, true);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "2 5 9");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
}

/*
 * A peer member behind the PCI initiator's switch (id 1, distance 40,
 * adist 900) goes before a host member (id 0, distance 10, adist 500)
 * whatever its other keys, tiered too; the class step counts as
 * DISTANCE.
 */
static void sp_test_rank_switch_first(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);

	sp_test_keys(pl, 0, SP_CAND_HOST, 10, 500);
	sp_test_keys(pl, 1, SP_CAND_SWITCH, 40, 900);
	sp_cands_sort(pl, 0, 2, 2, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "1 0");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
	sp_cands_sort(pl, 0, 2, 2, true);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "1 0");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
}

/* One candidate: no step, nothing decided: SCALEPOOL_BASIS_NONE. */
static void sp_test_rank_one_candidate(struct kunit *test)
{
	static const unsigned int ids[] = { 3 };
	struct sp_placer *pl = sp_test_placer(test, ids, 1);

	sp_test_keys(pl, 0, SP_CAND_HOST, 10, 500);
	pl->a->basis = SCALEPOOL_BASIS_MEASURED;
	sp_cands_sort(pl, 0, 1, 1, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "3");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_NONE);
}

/*
 * Keys 0: 10, 500; 1: 10, 500; 2: 10, 700, sorted 0 1 2.  NEAREST looks
 * at the first two only (nr_basis 2): 0|1 only ids: DISTANCE.  BIND
 * looks at all: 1|2 abstract distance: FIRMWARE.
 */
static void sp_test_rank_basis_of_first_steps(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1, 2 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);

	sp_test_keys(pl, 0, SP_CAND_HOST, 10, 500);
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 500);
	sp_test_keys(pl, 2, SP_CAND_HOST, 10, 700);
	sp_cands_sort(pl, 0, 3, 2, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "0 1 2");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
	sp_cands_sort(pl, 0, 3, 3, false);
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_FIRMWARE);
}

/*
 * PREFERRED sorts from the second candidate on: 7 stays first though it
 * is the farthest (40); then 5 (10) before 3 (20).  Step 5|3: distance.
 */
static void sp_test_rank_from_second(struct kunit *test)
{
	static const unsigned int ids[] = { 7, 3, 5 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);

	sp_test_keys(pl, 0, SP_CAND_HOST, 40, 500);
	sp_test_keys(pl, 1, SP_CAND_HOST, 20, 500);
	sp_test_keys(pl, 2, SP_CAND_HOST, 10, 500);
	sp_cands_sort(pl, 1, 2, 2, false);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "7 5 3");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
}

/* sp_pair_basis() key by key; candidates 0 and 1, keys as named. */
static void sp_test_pair_basis(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	const struct sp_cand *a = &pl->cands[0], *b = &pl->cands[1];

	/* Class differs: DISTANCE, though abstract distance differs too. */
	sp_test_keys(pl, 0, SP_CAND_SWITCH, 10, 0);
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 500);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, true),
			SCALEPOOL_BASIS_DISTANCE);
	/* Distance and abstract distance differ: tiered looks at adist. */
	sp_test_keys(pl, 0, SP_CAND_HOST, 10, 500);
	sp_test_keys(pl, 1, SP_CAND_HOST, 20, 700);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, true),
			SCALEPOOL_BASIS_FIRMWARE);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, false),
			SCALEPOOL_BASIS_DISTANCE);
	/* Same distance, adist differs: FIRMWARE in both modes. */
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 700);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, false),
			SCALEPOOL_BASIS_FIRMWARE);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, true),
			SCALEPOOL_BASIS_FIRMWARE);
	/* Same adist, distance differs: DISTANCE in both modes. */
	sp_test_keys(pl, 1, SP_CAND_HOST, 20, 500);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, true),
			SCALEPOOL_BASIS_DISTANCE);
	/* Only the ids differ: DISTANCE (found equally far). */
	sp_test_keys(pl, 1, SP_CAND_HOST, 10, 500);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, false),
			SCALEPOOL_BASIS_DISTANCE);
	KUNIT_EXPECT_EQ(test, sp_pair_basis(a, b, true),
			SCALEPOOL_BASIS_DISTANCE);
}

/*
 * sort() needs a total order: for every two distinct candidates the
 * comparison is never 0 and flips with the operands, and it is
 * transitive, in both modes.  Keys mix every kind of tie.
 */
static void sp_test_cand_cmp_total_order(struct kunit *test)
{
	static const unsigned int ids[] = { 6, 1, 4, 0, 3, 2, 5 };
	static const int keys[][3] = {
		{ SP_CAND_HOST, 10, 500 }, { SP_CAND_HOST, 10, 500 },
		{ SP_CAND_HOST, 20, 500 }, { SP_CAND_HOST, 10, 700 },
		{ SP_CAND_SWITCH, 40, 0 }, { SP_CAND_SWITCH, 30, 0 },
		{ SP_CAND_HOST, 20, 300 },
	};
	struct sp_placer *pl = sp_test_placer(test, ids, ARRAY_SIZE(ids));
	const struct sp_cand *c = pl->cands;
	unsigned int i, j, k, t;
	int ij, ji;

	for (i = 0; i < ARRAY_SIZE(ids); i++)
		sp_test_keys(pl, i, keys[i][0], keys[i][1], keys[i][2]);
	for (t = 0; t < 2; t++) {
		for (i = 0; i < ARRAY_SIZE(ids); i++) {
			for (j = 0; j < ARRAY_SIZE(ids); j++) {
				if (i == j)
					continue;
				ij = sp_cand_cmp(&c[i], &c[j], t);
				ji = sp_cand_cmp(&c[j], &c[i], t);
				KUNIT_EXPECT_NE(test, ij, 0);
				KUNIT_EXPECT_EQ(test, ij, -ji);
				for (k = 0; k < ARRAY_SIZE(ids); k++) {
					if (k == i || k == j || ij > 0 ||
					    sp_cand_cmp(&c[j], &c[k], t) > 0)
						continue;
					KUNIT_EXPECT_LT(test,
							sp_cand_cmp(&c[i], &c[k], t),
							0);
				}
			}
		}
	}
}

/* ---- measured weights: sp_cands_weigh_by_bandwidth() ---- */

/*
 * Weigh @nr candidates with bandwidths @bw and expect @want: each weight
 * is 32 * bw / sum (bandwidths above 2^52 shifted down first), at least
 * 1, then all divided by their greatest common divisor.
 */
static void sp_test_weigh(struct kunit *test, const u64 *bw,
			  const u32 *want, unsigned int nr)
{
	static const unsigned int ids[SCALEPOOL_MAX_MEMBERS];
	struct sp_placer *pl = sp_test_placer(test, ids, nr);
	unsigned int i;

	for (i = 0; i < nr; i++)
		pl->cands[i].fig.bandwidth_mbps = bw[i];
	sp_cands_weigh_by_bandwidth(pl);
	for (i = 0; i < nr; i++)
		KUNIT_EXPECT_EQ_MSG(test, pl->cands[i].weight, want[i],
				    "candidate %u of %u", i, nr);
}

/* 1000:1000 -> 16, 16 -> gcd 16 -> 1:1. */
static void sp_test_weigh_equal(struct kunit *test)
{
	static const u64 bw[] = { 1000, 1000 };
	static const u32 want[] = { 1, 1 };

	sp_test_weigh(test, bw, want, 2);
}

/* 1000:3000 -> 32000/4000 = 8, 96000/4000 = 24 -> gcd 8 -> 1:3. */
static void sp_test_weigh_reduced(struct kunit *test)
{
	static const u64 bw[] = { 1000, 3000 };
	static const u32 want[] = { 1, 3 };

	sp_test_weigh(test, bw, want, 2);
}

/* 3:5 -> 96/8 = 12, 160/8 = 20 -> gcd 4 -> 3:5 again. */
static void sp_test_weigh_gcd_not_min(struct kunit *test)
{
	static const u64 bw[] = { 3, 5 };
	static const u32 want[] = { 3, 5 };

	sp_test_weigh(test, bw, want, 2);
}

/*
 * Coprime weights stay: 1000:2000:4000 -> 32000/7000 = 4 (4.57),
 * 64000/7000 = 9 (9.14), 128000/7000 = 18 (18.29) -> gcd 1 -> 4:9:18.
 * And 100:200 is not 1:2: 3200/300 = 10, 6400/300 = 21 -> 10:21 (the
 * scale of 32 does not divide by 3; Linux's own weights do the same).
 */
static void sp_test_weigh_coprime(struct kunit *test)
{
	static const u64 bw3[] = { 1000, 2000, 4000 };
	static const u32 want3[] = { 4, 9, 18 };
	static const u64 bw2[] = { 100, 200 };
	static const u32 want2[] = { 10, 21 };

	sp_test_weigh(test, bw3, want3, 3);
	sp_test_weigh(test, bw2, want2, 2);
}

/* 7:7:7 -> 224/21 = 10 each -> gcd 10 -> 1:1:1. */
static void sp_test_weigh_three_equal(struct kunit *test)
{
	static const u64 bw[] = { 7, 7, 7 };
	static const u32 want[] = { 1, 1, 1 };

	sp_test_weigh(test, bw, want, 3);
}

/* One member: 32 * 5000 / 5000 = 32 -> gcd 32 -> 1. */
static void sp_test_weigh_one_member(struct kunit *test)
{
	static const u64 bw[] = { 5000 };
	static const u32 want[] = { 1 };

	sp_test_weigh(test, bw, want, 1);
}

/*
 * A bandwidth too small to get a share still gets weight 1, never 0:
 * 1 : 2^62.  2^62 has 63 bits: shift 11; 1 >> 11 = 0, 2^62 >> 11 = 2^51
 * = the sum; weights max(1, 0) = 1 and 32 * 2^51 / 2^51 = 32 -> 1:32.
 */
static void sp_test_weigh_never_zero(struct kunit *test)
{
	static const u64 bw[] = { 1, 1ULL << 62 };
	static const u32 want[] = { 1, 32 };

	sp_test_weigh(test, bw, want, 2);
}

/*
 * Bandwidths near 2^64 do not overflow 32 * bw or the sum:
 * U64_MAX:U64_MAX: 64 bits, shift 12: 2^52 - 1 each, sum 2^53 - 2,
 * 32 * (2^52 - 1) / (2^53 - 2) = 16 -> 1:1.
 * 2^60:2^59: 61 bits, shift 9: 2^51 and 2^50, sum 3 * 2^50:
 * 64 / 3 = 21 and 32 / 3 = 10 -> 21:10.
 * 64 members of U64_MAX: 2^52 - 1 each, sum 64 * (2^52 - 1) < 2^58;
 * 32 * (2^52 - 1) / sum = 0 (one half) -> 1 each.
 */
static void sp_test_weigh_huge_bandwidths(struct kunit *test)
{
	static const u64 bw_max[] = { U64_MAX, U64_MAX };
	static const u32 want_max[] = { 1, 1 };
	static const u64 bw_pow[] = { 1ULL << 60, 1ULL << 59 };
	static const u32 want_pow[] = { 21, 10 };
	u64 *bw64 = kunit_kcalloc(test, SCALEPOOL_MAX_MEMBERS, sizeof(*bw64),
				  GFP_KERNEL);
	u32 *want64 = kunit_kcalloc(test, SCALEPOOL_MAX_MEMBERS,
				    sizeof(*want64), GFP_KERNEL);
	unsigned int i;

	sp_test_weigh(test, bw_max, want_max, 2);
	sp_test_weigh(test, bw_pow, want_pow, 2);
	KUNIT_ASSERT_TRUE(test, bw64 && want64);
	for (i = 0; i < SCALEPOOL_MAX_MEMBERS; i++) {
		bw64[i] = U64_MAX;
		want64[i] = 1;
	}
	sp_test_weigh(test, bw64, want64, SCALEPOOL_MAX_MEMBERS);
}

/* ---- INTERLEAVE dealing: sp_deal_start(), sp_deal_next() ---- */

/*
 * Deal the pages of @pl's allocation as placement does: each page's
 * owner in @owners ('A' for the first candidate...), the index after
 * each chunk in @ends (up to @max_ends of them).
 * Return: the number of chunks.
 */
static unsigned int sp_test_deal_placer(struct kunit *test,
					const struct sp_placer *pl,
					char *owners, unsigned long *ends,
					unsigned int max_ends)
{
	unsigned long pos = 0, end, p, nr_pages = pl->a->nr_pages;
	unsigned int i, n = 0;
	struct sp_deal d;

	sp_deal_start(&d, pl);
	while (pos < nr_pages) {
		i = sp_deal_next(&d, pl, pos, &end);
		/* A chunk that does not move on would deal forever. */
		KUNIT_ASSERT_GT(test, end, pos);
		KUNIT_ASSERT_LE(test, end, nr_pages);
		KUNIT_ASSERT_LT(test, i, pl->nr);
		for (p = pos; p < end; p++)
			owners[p] = 'A' + i;
		if (n < max_ends)
			ends[n] = end;
		n++;
		pos = end;
	}
	owners[pos] = '\0';
	return n;
}

/*
 * Deal @nr_pages pages in chunks of @gran to candidates of @weights, as
 * sp_test_deal_placer().
 */
static unsigned int sp_test_deal(struct kunit *test, const u32 *weights,
				 unsigned int nr, unsigned long gran,
				 unsigned long nr_pages, char *owners,
				 unsigned long *ends, unsigned int max_ends)
{
	static const unsigned int ids[SCALEPOOL_MAX_MEMBERS];
	struct sp_placer *pl = sp_test_placer(test, ids, nr);
	unsigned int i;

	for (i = 0; i < nr; i++)
		pl->cands[i].weight = weights[i];
	pl->gran = gran;
	pl->a->nr_pages = nr_pages;
	return sp_test_deal_placer(test, pl, owners, ends, max_ends);
}

#define SP_TEST_DEAL_MAX	64

/* Weights 1:1:1, one page a chunk, 7 pages: A B C A B C A. */
static void sp_test_deal_round_robin(struct kunit *test)
{
	static const u32 w[] = { 1, 1, 1 };
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];

	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 3, 1, 7, owners, ends, 8),
			7);
	KUNIT_EXPECT_STREQ(test, owners, "ABCABCA");
}

/*
 * Weights 3:1, chunks of 2 pages, 11 pages: A gets [0,2) [2,4) [4,6),
 * B [6,8), A again [8,10) and the last page [10,11), a short chunk.
 */
static void sp_test_deal_weights_granularity(struct kunit *test)
{
	static const u32 w[] = { 3, 1 };
	static const unsigned long want[] = { 2, 4, 6, 8, 10, 11 };
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];
	unsigned int i, n;

	n = sp_test_deal(test, w, 2, 2, 11, owners, ends, 8);
	KUNIT_EXPECT_STREQ(test, owners, "AAAAAABBAAA");
	KUNIT_ASSERT_EQ(test, n, ARRAY_SIZE(want));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, ends[i], want[i], "chunk %u", i);
}

/*
 * Weights 2:3:1, chunks of 3 pages, 20 pages: A A B B B C (six chunks,
 * 18 pages), then A gets the last 2 pages.
 */
static void sp_test_deal_three_weights(struct kunit *test)
{
	static const u32 w[] = { 2, 3, 1 };
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];

	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 3, 3, 20, owners, ends, 8),
			7);
	KUNIT_EXPECT_STREQ(test, owners, "AAAAAABBBBBBBBBCCCAA");
	KUNIT_EXPECT_EQ(test, ends[6], 20);
}

/* One member of weight 5, chunks of 4, 10 pages: all A, ends 4 8 10. */
static void sp_test_deal_one_member(struct kunit *test)
{
	static const u32 w[] = { 5 };
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];

	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 1, 4, 10, owners, ends, 8),
			3);
	KUNIT_EXPECT_STREQ(test, owners, "AAAAAAAAAA");
	KUNIT_EXPECT_EQ(test, ends[0], 4);
	KUNIT_EXPECT_EQ(test, ends[1], 8);
	KUNIT_EXPECT_EQ(test, ends[2], 10);
}

/* A chunk longer than the allocation: one chunk, all to A. */
static void sp_test_deal_chunk_past_end(struct kunit *test)
{
	static const u32 w[] = { 1, 1 };
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];

	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 2, SP_HUGE_NR, 3, owners,
					   ends, 8), 1);
	KUNIT_EXPECT_STREQ(test, owners, "AAA");
	KUNIT_EXPECT_EQ(test, ends[0], 3);
}

/*
 * The largest weight: 255:1, one page a chunk, 258 pages: A has pages
 * 0..254, B page 255, A pages 256 and 257.
 */
static void sp_test_deal_max_weight(struct kunit *test)
{
	static const u32 w[] = { SCALEPOOL_MAX_WEIGHT, 1 };
	char *owners = kunit_kzalloc(test, 259, GFP_KERNEL);
	unsigned long ends[1];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, owners);
	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 2, 1, 258, owners, ends, 1),
			258);
	for (i = 0; i < 258; i++)
		KUNIT_EXPECT_EQ_MSG(test, owners[i], i == 255 ? 'B' : 'A',
				    "page %u", i);
}

/*
 * 2 MiB chunks (SP_HUGE_NR pages), weights 1:2, 8 MiB: A, B, B, A, each
 * chunk 2 MiB-aligned so that it can be one 2 MiB page.
 */
static void sp_test_deal_huge_chunks(struct kunit *test)
{
	static const u32 w[] = { 1, 2 };
	char *owners = kunit_kzalloc(test, 4 * SP_HUGE_NR + 1, GFP_KERNEL);
	unsigned long ends[4];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, owners);
	KUNIT_EXPECT_EQ(test, sp_test_deal(test, w, 2, SP_HUGE_NR,
					   4 * SP_HUGE_NR, owners, ends, 4), 4);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, ends[i], (i + 1) * SP_HUGE_NR);
		KUNIT_EXPECT_EQ_MSG(test, owners[i * SP_HUGE_NR],
				    i == 0 || i == 3 ? 'A' : 'B', "chunk %u",
				    i);
	}
}

/* ---- capacity: sp_alloc_may_fit() ---- */

static void sp_test_may_fit(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	struct sp_alloc *a = pl->a;

	/* 100 MiB + 100 MiB hold 200 MiB, not a page more. */
	a->parts[0].m->capacity = 100 * SZ_1M;
	a->parts[1].m->capacity = 100 * SZ_1M;
	a->length = 200 * SZ_1M;
	KUNIT_EXPECT_TRUE(test, sp_alloc_may_fit(a));
	a->length = 200 * SZ_1M + PAGE_SIZE;
	KUNIT_EXPECT_FALSE(test, sp_alloc_may_fit(a));
	/* U64_MAX + 1 wraps to 0: a sum past 2^64 is enough, not none. */
	a->parts[0].m->capacity = U64_MAX;
	a->parts[1].m->capacity = 1;
	a->length = SCALEPOOL_MAX_ALLOC_SIZE;
	KUNIT_EXPECT_TRUE(test, sp_alloc_may_fit(a));
	/* Members of capacity 0 (a BAR being torn down) hold nothing. */
	a->parts[0].m->capacity = 0;
	a->parts[1].m->capacity = 0;
	a->length = PAGE_SIZE;
	KUNIT_EXPECT_FALSE(test, sp_alloc_may_fit(a));
	/* No candidate at all: nothing fits. */
	a->nr_parts = 0;
	KUNIT_EXPECT_FALSE(test, sp_alloc_may_fit(a));
}

/* ---- sp_place_order(): the policies put together ---- */

/* A request of @policy for all of @pl's members, from a CPU node. */
static struct sp_alloc_req *sp_test_req(struct kunit *test,
					const struct sp_placer *pl, u32 policy)
{
	struct sp_alloc_req *req = kunit_kzalloc(test, sizeof(*req),
						 GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, req);
	req->policy = policy;
	req->nr_members = pl->nr;
	req->initiator = first_node(node_states[N_CPU]);
	req->granularity = PAGE_SIZE;
	for (i = 0; i < pl->nr; i++) {
		req->ids[i] = pl->a->parts[i].m->id;
		req->weights[i] = 1;
	}
	return req;
}

/* sp_place_order() on @pl's allocation; its candidates freed at the end. */
static int sp_test_order_policy(struct kunit *test, struct sp_placer *pl,
				const struct sp_alloc_req *req)
{
	int ret = sp_place_order(pl, pl->a, req);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, sp_test_kfree,
							pl->cands), 0);
	return ret;
}

/*
 * INTERLEAVE with the caller's weights 3:1: kept as given, whatever was
 * measured; the chunk is the granularity in pages (2 MiB: SP_HUGE_NR),
 * 2 MiB pages only with chunks of 2 MiB or more and without NO_HUGE.
 */
static void sp_test_order_interleave(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_INTERLEAVE);

	req->weights[0] = 3;
	req->granularity = SZ_2M;
	sp_test_measured(pl, 0, req->initiator, 100, 1000);
	sp_test_measured(pl, 1, req->initiator, 100, 1000);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->fill, SP_FILL_INTERLEAVE);
	KUNIT_EXPECT_EQ(test, pl->gran, SP_HUGE_NR);
	KUNIT_EXPECT_TRUE(test, pl->huge);
	KUNIT_EXPECT_EQ(test, pl->cands[0].weight, 3);
	KUNIT_EXPECT_EQ(test, pl->cands[1].weight, 1);
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_NONE);

	req->granularity = SZ_1M;
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->gran, SZ_1M / PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, pl->huge);

	req->granularity = SZ_2M;
	req->flags = SCALEPOOL_ALLOC_NO_HUGE;
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_FALSE(test, pl->huge);
}

/*
 * INTERLEAVE without weights, every member measured from the initiator:
 * 1000:3000 MB/s -> 1:3 (sp_test_weigh_reduced()), basis MEASURED;
 * dealt one page a chunk over 8 pages: A B B B A B B B.
 */
static void sp_test_order_interleave_measured(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_INTERLEAVE);
	char owners[SP_TEST_DEAL_MAX];
	unsigned long ends[8];

	req->default_weights = true;
	sp_test_measured(pl, 0, req->initiator, 100, 1000);
	sp_test_measured(pl, 1, req->initiator, 300, 3000);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->cands[0].weight, 1);
	KUNIT_EXPECT_EQ(test, pl->cands[1].weight, 3);
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_MEASURED);

	pl->a->nr_pages = 8;
	KUNIT_EXPECT_EQ(test, sp_test_deal_placer(test, pl, owners, ends, 8),
			8);
	KUNIT_EXPECT_STREQ(test, owners, "ABBBABBB");
}

/*
 * INTERLEAVE without weights where one member has no figures from the
 * initiator: figures of some cannot rank them against the others, the
 * weights stay 1 and nothing was measured.
 */
static void sp_test_order_interleave_unmeasured(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_INTERLEAVE);

	req->default_weights = true;
	sp_test_measured(pl, 0, req->initiator, 100, 1000);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->cands[0].weight, 1);
	KUNIT_EXPECT_EQ(test, pl->cands[1].weight, 1);
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_NONE);
}

/*
 * NEAREST with figures on every member: lowest latency first, 1 (100 ns)
 * 2 (200 ns) 0 (300 ns), basis MEASURED, the first candidate only.
 * Without figures on member 0 it falls back on distance: all on one
 * node, so ids decide (0 1 2), basis DISTANCE.
 */
static void sp_test_order_nearest(struct kunit *test)
{
	static const unsigned int ids[] = { 0, 1, 2 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_NEAREST);

	sp_test_measured(pl, 0, req->initiator, 300, 1000);
	sp_test_measured(pl, 1, req->initiator, 100, 1000);
	sp_test_measured(pl, 2, req->initiator, 200, 1000);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->fill, SP_FILL_FIRST);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "1 2 0");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_MEASURED);

	sp_test_measured(pl, 0, req->initiator, 0, 0);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "0 1 2");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);
}

/* NEAREST, equal latencies: the distance order decides, here ids: 2 4. */
static void sp_test_order_nearest_latency_tie(struct kunit *test)
{
	static const unsigned int ids[] = { 4, 2 };
	struct sp_placer *pl = sp_test_placer(test, ids, 2);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_NEAREST);

	sp_test_measured(pl, 0, req->initiator, 100, 1000);
	sp_test_measured(pl, 1, req->initiator, 100, 2000);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "2 4");
}

/*
 * PREFERRED keeps members[0] first (7), the rest by distance from it,
 * equal here, so by id (3 5); BIND and TIERED sort all (3 5 7).  All
 * three fill and spill; one member alone is decided by nothing.
 */
static void sp_test_order_spill_policies(struct kunit *test)
{
	static const unsigned int ids[] = { 7, 5, 3 };
	static const unsigned int one[] = { 7 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_PREFERRED);

	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->fill, SP_FILL_SPILL);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "7 3 5");
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_DISTANCE);

	req->policy = SCALEPOOL_POLICY_BIND;
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->fill, SP_FILL_SPILL);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "3 5 7");

	req->policy = SCALEPOOL_POLICY_TIERED;
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->fill, SP_FILL_SPILL);
	KUNIT_EXPECT_STREQ(test, sp_test_order(test, pl), "3 5 7");

	pl = sp_test_placer(test, one, 1);
	req = sp_test_req(test, pl, SCALEPOOL_POLICY_TIERED);
	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), 0);
	KUNIT_EXPECT_EQ(test, pl->a->basis, SCALEPOOL_BASIS_NONE);
}

/* A policy the ioctl would have refused: -EINVAL, not a placement. */
static void sp_test_order_bad_policy(struct kunit *test)
{
	static const unsigned int ids[] = { 0 };
	struct sp_placer *pl = sp_test_placer(test, ids, 1);
	struct sp_alloc_req *req = sp_test_req(test, pl,
					       SCALEPOOL_POLICY_TIERED + 1);

	KUNIT_EXPECT_EQ(test, sp_test_order_policy(test, pl, req), -EINVAL);
}

/* sp_tier_order() of @m[0..3) from @node gives the ids @want. */
static void sp_test_tier_expect(struct kunit *test, struct sp_member **m,
				int node, const char *want)
{
	char order[16];

	KUNIT_ASSERT_EQ(test, 0, sp_tier_order(m, 3, node));
	snprintf(order, sizeof(order), "%u %u %u", m[0]->id, m[1]->id,
		 m[2]->id);
	KUNIT_EXPECT_STREQ(test, want, order);
}

/*
 * Tiering's order (sp_tier_order()): members 4 2 7, all on one node
 * (same distance, same abstract distance).  No figures: by id (2 4 7).
 * Figures for two of them only cannot rank them against the third:
 * still by id.  Figures from the initiator for all three, latencies
 * 300 100 200: by latency (2 7 4).  Figures from another node only do
 * not count: by id.
 */
static void sp_test_tier_order(struct kunit *test)
{
	static const unsigned int ids[] = { 4, 2, 7 };
	struct sp_placer *pl = sp_test_placer(test, ids, 3);
	int node = first_memory_node, other = (node + 1) % nr_node_ids;
	struct sp_member *m[3];
	unsigned int i;

	for (i = 0; i < 3; i++)
		m[i] = pl->a->parts[i].m;
	sp_test_tier_expect(test, m, node, "2 4 7");
	sp_test_measured(pl, 0, node, 300, 1000);
	sp_test_measured(pl, 1, node, 100, 1000);
	sp_test_tier_expect(test, m, node, "2 4 7");
	sp_test_measured(pl, 2, node, 200, 1000);
	sp_test_tier_expect(test, m, node, "2 7 4");
	if (other == node)
		return;
	for (i = 0; i < 3; i++) {
		pl->a->parts[i].m->measured[node].latency_ns = 0;
		sp_test_measured(pl, i, other, 3 - i, 1);
	}
	sp_test_tier_expect(test, m, node, "2 4 7");
}

static struct kunit_case sp_rank_cases[] = {
	KUNIT_CASE(sp_test_rank_nearest),
	KUNIT_CASE(sp_test_rank_tiered),
	KUNIT_CASE(sp_test_rank_dram_vs_cxl),
	KUNIT_CASE(sp_test_rank_ties_by_id),
	KUNIT_CASE(sp_test_rank_switch_first),
	KUNIT_CASE(sp_test_rank_one_candidate),
	KUNIT_CASE(sp_test_rank_basis_of_first_steps),
	KUNIT_CASE(sp_test_rank_from_second),
	KUNIT_CASE(sp_test_pair_basis),
	KUNIT_CASE(sp_test_cand_cmp_total_order),
	KUNIT_CASE(sp_test_tier_order),
	{}
};

static struct kunit_suite sp_rank_suite = {
	.name = "scalepool_rank",
	.test_cases = sp_rank_cases,
};

static struct kunit_case sp_weigh_cases[] = {
	KUNIT_CASE(sp_test_weigh_equal),
	KUNIT_CASE(sp_test_weigh_reduced),
	KUNIT_CASE(sp_test_weigh_gcd_not_min),
	KUNIT_CASE(sp_test_weigh_coprime),
	KUNIT_CASE(sp_test_weigh_three_equal),
	KUNIT_CASE(sp_test_weigh_one_member),
	KUNIT_CASE(sp_test_weigh_never_zero),
	KUNIT_CASE(sp_test_weigh_huge_bandwidths),
	{}
};

static struct kunit_suite sp_weigh_suite = {
	.name = "scalepool_weights",
	.test_cases = sp_weigh_cases,
};

static struct kunit_case sp_deal_cases[] = {
	KUNIT_CASE(sp_test_deal_round_robin),
	KUNIT_CASE(sp_test_deal_weights_granularity),
	KUNIT_CASE(sp_test_deal_three_weights),
	KUNIT_CASE(sp_test_deal_one_member),
	KUNIT_CASE(sp_test_deal_chunk_past_end),
	KUNIT_CASE(sp_test_deal_max_weight),
	KUNIT_CASE(sp_test_deal_huge_chunks),
	KUNIT_CASE(sp_test_may_fit),
	{}
};

static struct kunit_suite sp_deal_suite = {
	.name = "scalepool_deal",
	.test_cases = sp_deal_cases,
};

static struct kunit_case sp_order_cases[] = {
	KUNIT_CASE(sp_test_order_interleave),
	KUNIT_CASE(sp_test_order_interleave_measured),
	KUNIT_CASE(sp_test_order_interleave_unmeasured),
	KUNIT_CASE(sp_test_order_nearest),
	KUNIT_CASE(sp_test_order_nearest_latency_tie),
	KUNIT_CASE(sp_test_order_spill_policies),
	KUNIT_CASE(sp_test_order_bad_policy),
	{}
};

static struct kunit_suite sp_order_suite = {
	.name = "scalepool_place_order",
	.test_cases = sp_order_cases,
};

kunit_test_suites(&sp_rank_suite, &sp_weigh_suite, &sp_deal_suite,
		  &sp_order_suite);
