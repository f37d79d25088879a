// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of scalepool's request checks: the scalar fields of ALLOC
 * (sizes, overflow, granularity, policies, initiators) and of MIGRATE
 * (flags, range, layout, the policy's fields), the member ids
 * and weights, the per-file cap, the ioctl table and the measured
 * figures an admin writes.  Each check runs on a struct made up here;
 * nothing is allocated from the pool.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/topology.h>

#include <linux/scalepool.h>
#include "scalepool.h"
#include "visible.h"

/* A valid ALLOC: one page, NEAREST, from the caller's node. */
static struct scalepool_alloc sp_test_cmd(void)
{
	return (struct scalepool_alloc){
		.size = sizeof(struct scalepool_alloc),
		.length = PAGE_SIZE,
		.policy = SCALEPOOL_POLICY_NEAREST,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
}

/* sp_alloc_check() of @cmd into a request of the test's own. */
static int sp_test_check(struct kunit *test, const struct scalepool_alloc *cmd,
			 struct sp_alloc_req *req)
{
	memset(req, 0, sizeof(*req));
	return sp_alloc_check(cmd, req);
}

/*
 * The defaults: 1 byte is a page; no granularity is a page; the local
 * initiator is the node the check ran on.
 */
static void sp_test_alloc_defaults(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;
	int nid;

	cmd.length = 1;
	nid = numa_node_id();
	KUNIT_ASSERT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.length, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, req.granularity, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, req.policy, SCALEPOOL_POLICY_NEAREST);
	KUNIT_EXPECT_EQ(test, req.nr_members, 0);
	/* No sleep between the two: the same CPU, most likely the same node. */
	KUNIT_EXPECT_EQ(test, req.initiator, nid);
}

/*
 * Lengths: 0 is EINVAL; a page and one byte round up to two pages; 1 TiB
 * (SCALEPOOL_MAX_ALLOC_SIZE) passes as it is; a byte more, or U64_MAX
 * (which rounding up by PAGE_SIZE - 1 would wrap to below a page), is
 * EOVERFLOW.
 */
static void sp_test_alloc_length(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;

	cmd.length = 0;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.length = PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.length, 2 * PAGE_SIZE);
	cmd.length = SCALEPOOL_MAX_ALLOC_SIZE;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.length, SCALEPOOL_MAX_ALLOC_SIZE);
	/* Its page array, 2^28 pointers of 8 bytes, is 2^31 bytes: no wrap. */
	KUNIT_EXPECT_EQ(test, array_size(req.length >> PAGE_SHIFT,
					 sizeof(struct page *)),
			(size_t)SCALEPOOL_MAX_ALLOC_SIZE / PAGE_SIZE *
			sizeof(struct page *));
	cmd.length = SCALEPOOL_MAX_ALLOC_SIZE + 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EOVERFLOW);
	cmd.length = U64_MAX - PAGE_SIZE + 2;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EOVERFLOW);
	cmd.length = U64_MAX;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EOVERFLOW);
}

/* Unknown flag bits: EOPNOTSUPP, before any other field is looked at. */
static void sp_test_alloc_flags(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;

	cmd.flags = SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.flags, cmd.flags);
	cmd.flags = BIT(3);
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EOPNOTSUPP);
	cmd.flags = BIT(31);
	cmd.length = 0;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EOPNOTSUPP);
}

/*
 * Policies and member counts: past TIERED is EINVAL; BIND, PREFERRED
 * and INTERLEAVE need members, NEAREST and TIERED do not; 64 members
 * pass, 65 do not.
 */
static void sp_test_alloc_policy_members(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;

	cmd.policy = SCALEPOOL_POLICY_TIERED + 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.policy = U32_MAX;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.policy = SCALEPOOL_POLICY_TIERED;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	cmd.policy = SCALEPOOL_POLICY_BIND;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.policy = SCALEPOOL_POLICY_PREFERRED;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.policy = SCALEPOOL_POLICY_INTERLEAVE;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.nr_members = SCALEPOOL_MAX_MEMBERS;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.nr_members, SCALEPOOL_MAX_MEMBERS);
	cmd.nr_members = SCALEPOOL_MAX_MEMBERS + 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.nr_members = U32_MAX;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
}

/*
 * INTERLEAVE granularity: whole pages up to 1 GiB; half a page, a page
 * and a byte, and 1 GiB and a page are EINVAL; 2 MiB is kept as given.
 * The other policies take neither a granularity nor weights.
 */
static void sp_test_alloc_granularity(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;

	cmd.policy = SCALEPOOL_POLICY_INTERLEAVE;
	cmd.nr_members = 2;
	cmd.granularity = SZ_2M;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.granularity, SZ_2M);
	cmd.granularity = SCALEPOOL_MAX_GRANULARITY;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	cmd.granularity = SCALEPOOL_MAX_GRANULARITY + PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.granularity = PAGE_SIZE / 2;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.granularity = PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.granularity = 3 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.granularity, 3 * PAGE_SIZE);

	cmd.policy = SCALEPOOL_POLICY_BIND;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.granularity = 0;
	cmd.weights_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.weights_ptr = 0;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
}

/*
 * Initiator nodes: a node with CPUs passes as given; -2 (not the local
 * marker), nr_node_ids and INT_MAX are EINVAL, and so is a possible
 * node without CPUs, where the machine has one.
 */
static void sp_test_alloc_initiator(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;
	int nid;

	cmd.initiator = first_node(node_states[N_CPU]);
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	KUNIT_EXPECT_EQ(test, req.initiator, cmd.initiator);
	cmd.initiator = -2;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator = nr_node_ids;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator = INT_MAX;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	for_each_node_state(nid, N_POSSIBLE) {
		if (node_state(nid, N_CPU))
			continue;
		cmd.initiator = nid;
		KUNIT_EXPECT_EQ_MSG(test, sp_test_check(test, &cmd, &req),
				    -EINVAL, "node %d has no CPU", nid);
	}
}

/*
 * A PCI initiator: NEAREST only, with the local node marker, a domain up
 * to SCALEPOOL_PCI_DOMAIN_MAX and 16 bits of bus and devfn; without the
 * flag, domain and bdf must be 0.
 */
static void sp_test_alloc_pci_initiator(struct kunit *test)
{
	struct scalepool_alloc cmd = sp_test_cmd();
	struct sp_alloc_req req;

	cmd.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
	cmd.initiator_pci_domain = SCALEPOOL_PCI_DOMAIN_MAX;
	cmd.initiator_pci_bdf = 0xffff;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), 0);
	cmd.initiator_pci_bdf = 0x10000;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator_pci_bdf = 0;
	cmd.initiator_pci_domain = SCALEPOOL_PCI_DOMAIN_MAX + 1U;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator_pci_domain = 0;
	cmd.initiator = first_node(node_states[N_CPU]);
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator = SCALEPOOL_INITIATOR_LOCAL;
	cmd.policy = SCALEPOOL_POLICY_BIND;
	cmd.nr_members = 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);

	cmd = sp_test_cmd();
	cmd.initiator_pci_bdf = SCALEPOOL_PCI_BDF(1, 0);
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
	cmd.initiator_pci_bdf = 0;
	cmd.initiator_pci_domain = 1;
	KUNIT_EXPECT_EQ(test, sp_test_check(test, &cmd, &req), -EINVAL);
}

/*
 * Member ids: any order, no repeat; none at all is no repeat either.
 * Repeats next to each other, apart, first with last.
 */
static void sp_test_ids_unique(struct kunit *test)
{
	static const u32 ids[] = { 4, 0, 7, U32_MAX };
	static const u32 repeat[] = { 4, 0, 7, 0 };
	static const u32 adjacent[] = { 1, 5, 5 };
	u32 *all = kunit_kcalloc(test, SCALEPOOL_MAX_MEMBERS, sizeof(*all),
				 GFP_KERNEL);
	unsigned int i;

	KUNIT_EXPECT_TRUE(test, sp_ids_unique(ids, ARRAY_SIZE(ids)));
	KUNIT_EXPECT_TRUE(test, sp_ids_unique(ids, 0));
	KUNIT_EXPECT_FALSE(test, sp_ids_unique(repeat, ARRAY_SIZE(repeat)));
	KUNIT_EXPECT_FALSE(test, sp_ids_unique(adjacent, ARRAY_SIZE(adjacent)));
	/* The repeat is past the third entry: the first three are fine. */
	KUNIT_EXPECT_TRUE(test, sp_ids_unique(repeat, 3));
	KUNIT_ASSERT_NOT_NULL(test, all);
	for (i = 0; i < SCALEPOOL_MAX_MEMBERS; i++)
		all[i] = SCALEPOOL_MAX_MEMBERS - i;
	KUNIT_EXPECT_TRUE(test, sp_ids_unique(all, SCALEPOOL_MAX_MEMBERS));
	all[SCALEPOOL_MAX_MEMBERS - 1] = all[0];
	KUNIT_EXPECT_FALSE(test, sp_ids_unique(all, SCALEPOOL_MAX_MEMBERS));
}

/* Weights 1 to 255: a 0 (no chunk at all) or a 256 anywhere is refused. */
static void sp_test_weights_valid(struct kunit *test)
{
	static const u32 ok[] = { 1, SCALEPOOL_MAX_WEIGHT, 7 };
	static const u32 zero[] = { 3, 0 };
	static const u32 big[] = { SCALEPOOL_MAX_WEIGHT + 1, 1 };
	static const u32 huge[] = { 1, U32_MAX };

	KUNIT_EXPECT_TRUE(test, sp_weights_valid(ok, ARRAY_SIZE(ok)));
	KUNIT_EXPECT_FALSE(test, sp_weights_valid(zero, ARRAY_SIZE(zero)));
	KUNIT_EXPECT_FALSE(test, sp_weights_valid(big, ARRAY_SIZE(big)));
	KUNIT_EXPECT_FALSE(test, sp_weights_valid(huge, ARRAY_SIZE(huge)));
	KUNIT_EXPECT_TRUE(test, sp_weights_valid(zero, 1));
	KUNIT_EXPECT_TRUE(test, sp_weights_valid(zero, 0));
}

/*
 * The per-file cap: up to the cap passes, a byte more does not; cap 0
 * is no cap; a sum past 2^64 never passes, with a cap or without.
 */
static void sp_test_charge_fits(struct kunit *test)
{
	u64 sum = 0;

	KUNIT_EXPECT_TRUE(test, sp_charge_fits(90, 10, 100, &sum));
	KUNIT_EXPECT_EQ(test, sum, 100);
	KUNIT_EXPECT_FALSE(test, sp_charge_fits(91, 10, 100, &sum));
	KUNIT_EXPECT_TRUE(test, sp_charge_fits(SZ_1G, SZ_1G, 0, &sum));
	KUNIT_EXPECT_EQ(test, sum, 2ULL * SZ_1G);
	KUNIT_EXPECT_TRUE(test, sp_charge_fits(U64_MAX - 10, 10, 0, &sum));
	KUNIT_EXPECT_EQ(test, sum, U64_MAX);
	KUNIT_EXPECT_FALSE(test, sp_charge_fits(U64_MAX - 9, 10, 0, &sum));
	KUNIT_EXPECT_FALSE(test, sp_charge_fits(U64_MAX - 9, 10, U64_MAX,
						&sum));
	KUNIT_EXPECT_FALSE(test, sp_charge_fits(SCALEPOOL_MAX_ALLOC_SIZE,
						U64_MAX, 0, &sum));
}

/*
 * The ioctl table: each command of the UAPI header is in it; a number
 * with direction or size bits, another type, or a number next to the
 * table is not.
 */
static void sp_test_ioctl_lookup(struct kunit *test)
{
	static const unsigned int cmds[] = {
		SCALEPOOL_QUERY, SCALEPOOL_ALLOC, SCALEPOOL_FREE,
		SCALEPOOL_INFO, SCALEPOOL_EXPORT, SCALEPOOL_MIGRATE,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, sp_ioctl_lookup(cmds[i]),
					  "command %#x", cmds[i]);
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IO(SCALEPOOL_TYPE,
						    SCALEPOOL_CMD_BASE - 1)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IO(SCALEPOOL_TYPE,
						    SCALEPOOL_CMD_MIGRATE + 1)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IO(SCALEPOOL_TYPE, 0xff)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IO(SCALEPOOL_TYPE + 1,
						    SCALEPOOL_CMD_ALLOC)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IOW(SCALEPOOL_TYPE,
						     SCALEPOOL_CMD_ALLOC,
						     struct scalepool_alloc)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(_IOR(SCALEPOOL_TYPE,
						     SCALEPOOL_CMD_QUERY,
						     u32)));
	KUNIT_EXPECT_NULL(test, sp_ioctl_lookup(0));
}

/* A valid MIGRATE of a whole allocation: NEAREST, from the caller's node. */
static struct scalepool_migrate sp_test_migrate(void)
{
	return (struct scalepool_migrate){
		.size = sizeof(struct scalepool_migrate),
		.policy = SCALEPOOL_POLICY_NEAREST,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
}

static int sp_test_mcheck(const struct scalepool_migrate *cmd, u64 length)
{
	struct sp_alloc_req req = {};

	return sp_migrate_check(cmd, length, &req);
}

/*
 * The struct has no hole and no reserved field: every byte is a field,
 * each 64-bit one aligned, so that 32-bit user space lays it out alike
 * and copy_struct_from_user()'s zero tail is the only extension rule.
 */
static void sp_test_migrate_layout(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, sizeof(struct scalepool_migrate),
			offsetofend(struct scalepool_migrate, moved));
	KUNIT_EXPECT_EQ(test, offsetof(struct scalepool_migrate, start), 16);
	KUNIT_EXPECT_EQ(test, offsetof(struct scalepool_migrate, nr_members),
			offsetofend(struct scalepool_migrate, length));
	KUNIT_EXPECT_EQ(test, offsetof(struct scalepool_migrate, members_ptr),
			offsetofend(struct scalepool_migrate, initiator));
	KUNIT_EXPECT_EQ(test, sizeof(struct scalepool_migrate), 72);
	KUNIT_EXPECT_NOT_NULL(test, sp_ioctl_lookup(SCALEPOOL_MIGRATE));
}

/* Flags: none defined, any bit is EOPNOTSUPP, before every other check. */
static void sp_test_migrate_flags(struct kunit *test)
{
	struct scalepool_migrate cmd = sp_test_migrate();
	unsigned int bit;

	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), 0);
	for (bit = 0; bit < 32; bit++) {
		cmd.flags = BIT(bit);
		KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EOPNOTSUPP);
	}
	cmd.policy = U32_MAX;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EOPNOTSUPP);
}

/*
 * The range: page aligned, inside the allocation; length 0 is to the
 * end; a range that wraps past 2^64 is EINVAL, not a short one.
 */
static void sp_test_migrate_range(struct kunit *test)
{
	static const struct { u64 start, length; int ret; } r[] = {
		{ 0, 0, 0 },
		{ 0, SZ_2M, 0 },
		{ PAGE_SIZE, 0, 0 },
		{ SZ_2M - PAGE_SIZE, PAGE_SIZE, 0 },
		{ SZ_2M - PAGE_SIZE, 2 * PAGE_SIZE, -EINVAL },
		{ SZ_2M, 0, -EINVAL },
		{ 1, 0, -EINVAL },
		{ 0, 1, -EINVAL },
		{ 0, PAGE_SIZE + 1, -EINVAL },
		{ PAGE_SIZE, SZ_2M, -EINVAL },
		{ PAGE_SIZE, -(u64)PAGE_SIZE, -EINVAL },
		{ U64_MAX & PAGE_MASK, PAGE_SIZE, -EINVAL },
		{ 0, U64_MAX & PAGE_MASK, -EINVAL },
	};
	struct scalepool_migrate cmd = sp_test_migrate();
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(r); i++) {
		cmd.start = r[i].start;
		cmd.length = r[i].length;
		KUNIT_EXPECT_EQ_MSG(test, sp_test_mcheck(&cmd, SZ_2M), r[i].ret,
				    "start %#llx length %#llx", r[i].start,
				    r[i].length);
	}
}

/*
 * The policy's fields go through ALLOC's checks: policy range, members
 * for BIND/PREFERRED/INTERLEAVE, weights and granularity for INTERLEAVE
 * only, the initiator; the request has the allocation's length.
 */
static void sp_test_migrate_policy(struct kunit *test)
{
	struct scalepool_migrate cmd = sp_test_migrate();
	struct sp_alloc_req req = {};
	u32 p;

	for (p = SCALEPOOL_POLICY_BIND; p <= SCALEPOOL_POLICY_TIERED; p++) {
		cmd = sp_test_migrate();
		cmd.policy = p;
		cmd.nr_members = 1;
		KUNIT_EXPECT_EQ_MSG(test, sp_test_mcheck(&cmd, SZ_2M), 0,
				    "policy %u", p);
	}
	cmd.policy = SCALEPOOL_POLICY_TIERED + 1;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd = sp_test_migrate();
	cmd.policy = SCALEPOOL_POLICY_BIND;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.nr_members = SCALEPOOL_MAX_MEMBERS + 1;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.nr_members = 1;
	cmd.granularity = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.granularity = 0;
	cmd.weights_ptr = 0x1000;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.policy = SCALEPOOL_POLICY_INTERLEAVE;
	cmd.granularity = PAGE_SIZE + 1;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.granularity = SZ_2M;
	KUNIT_EXPECT_EQ(test, sp_migrate_check(&cmd, SZ_4M, &req), 0);
	KUNIT_EXPECT_EQ(test, req.length, SZ_4M);
	KUNIT_EXPECT_EQ(test, req.granularity, SZ_2M);
	KUNIT_EXPECT_EQ(test, req.flags, 0);
	KUNIT_EXPECT_NULL(test, req.initiator_pci);
	cmd.initiator = nr_node_ids;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
	cmd.initiator = -2;
	KUNIT_EXPECT_EQ(test, sp_test_mcheck(&cmd, SZ_2M), -EINVAL);
}

/* sp_measured_parse() of a copy of @s (it cuts its input up). */
static int sp_test_parse(struct kunit *test, const char *s, int *nid,
			 struct sp_measured_fig *fig)
{
	char *copy = kunit_kstrdup(test, s, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, copy);
	*nid = -1;
	memset(fig, 0, sizeof(*fig));
	return sp_measured_parse(copy, nid, fig);
}

/*
 * Three decimal tokens, blanks around them and a newline allowed;
 * figures up to U64_MAX.  The node is a CPU node of this machine.
 */
static void sp_test_measured_parse_valid(struct kunit *test)
{
	int cpu_nid = first_node(node_states[N_CPU]), nid;
	struct sp_measured_fig fig;
	char s[64];

	snprintf(s, sizeof(s), "%d 120 25000\n", cpu_nid);
	KUNIT_EXPECT_EQ(test, sp_test_parse(test, s, &nid, &fig), 0);
	KUNIT_EXPECT_EQ(test, nid, cpu_nid);
	KUNIT_EXPECT_EQ(test, fig.latency_ns, 120);
	KUNIT_EXPECT_EQ(test, fig.bandwidth_mbps, 25000);

	/* Blanks, then a newline (sysfs writes from echo end with one). */
	snprintf(s, sizeof(s), "  %d\t1   18446744073709551615 \t%c",
		 cpu_nid, '\n');
	KUNIT_EXPECT_EQ(test, sp_test_parse(test, s, &nid, &fig), 0);
	KUNIT_EXPECT_EQ(test, fig.latency_ns, 1);
	KUNIT_EXPECT_EQ(test, fig.bandwidth_mbps, U64_MAX);
}

/*
 * Refused: too few or too many tokens, zero figures, figures past
 * 2^64 - 1 or not decimal, negative or too high nodes, nodes without
 * CPUs (where the machine has one).
 */
static void sp_test_measured_parse_invalid(struct kunit *test)
{
	static const char * const fmts[] = {
		"", "\n", "%d", "%d 120", "%d 120 25000 7", "%d 0 25000",
		"%d 120 0", "%d 18446744073709551616 1", "%d 120 0x10",
		"%d abc 1", "%d -1 25000", "%d 120 25000x", "x%d 120 25000",
	};
	int cpu_nid = first_node(node_states[N_CPU]), nid, n;
	struct sp_measured_fig fig;
	unsigned int i;
	char s[64];

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		snprintf(s, sizeof(s), fmts[i], cpu_nid);
		KUNIT_EXPECT_EQ_MSG(test, sp_test_parse(test, s, &nid, &fig),
				    -EINVAL, "\"%s\"", s);
	}
	KUNIT_EXPECT_EQ(test, sp_test_parse(test, "-1 120 25000", &nid, &fig),
			-EINVAL);
	snprintf(s, sizeof(s), "%u 120 25000", nr_node_ids);
	KUNIT_EXPECT_EQ(test, sp_test_parse(test, s, &nid, &fig), -EINVAL);
	KUNIT_EXPECT_EQ(test, sp_test_parse(test, "2147483648 1 1", &nid,
					    &fig), -EINVAL);
	for_each_node_state(n, N_POSSIBLE) {
		if (node_state(n, N_CPU))
			continue;
		snprintf(s, sizeof(s), "%d 120 25000", n);
		KUNIT_EXPECT_EQ_MSG(test, sp_test_parse(test, s, &nid, &fig),
				    -EINVAL, "node %d has no CPU", n);
	}
}

static struct kunit_case sp_alloc_check_cases[] = {
	KUNIT_CASE(sp_test_alloc_defaults),
	KUNIT_CASE(sp_test_alloc_length),
	KUNIT_CASE(sp_test_alloc_flags),
	KUNIT_CASE(sp_test_alloc_policy_members),
	KUNIT_CASE(sp_test_alloc_granularity),
	KUNIT_CASE(sp_test_alloc_initiator),
	KUNIT_CASE(sp_test_alloc_pci_initiator),
	KUNIT_CASE(sp_test_ids_unique),
	KUNIT_CASE(sp_test_weights_valid),
	KUNIT_CASE(sp_test_charge_fits),
	KUNIT_CASE(sp_test_ioctl_lookup),
	KUNIT_CASE(sp_test_migrate_layout),
	KUNIT_CASE(sp_test_migrate_flags),
	KUNIT_CASE(sp_test_migrate_range),
	KUNIT_CASE(sp_test_migrate_policy),
	{}
};

static struct kunit_suite sp_alloc_check_suite = {
	.name = "scalepool_requests",
	.test_cases = sp_alloc_check_cases,
};

static struct kunit_case sp_measured_cases[] = {
	KUNIT_CASE(sp_test_measured_parse_valid),
	KUNIT_CASE(sp_test_measured_parse_invalid),
	{}
};

static struct kunit_suite sp_measured_suite = {
	.name = "scalepool_measured",
	.test_cases = sp_measured_cases,
};

kunit_test_suites(&sp_alloc_check_suite, &sp_measured_suite);

MODULE_DESCRIPTION("KUnit tests of scalepool's placement arithmetic and request checks");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
