// SPDX-License-Identifier: GPL-2.0
/*
 * pool_alloc()'s arguments without the module: policy names, the OPTS
 * size rules (an older caller's short struct, a newer caller's zero or
 * non-zero tail), defaults (the local initiator), and node lists
 * resolved against a fake member set.  Internal: lp_alloc_request()
 * builds the SCALEPOOL_ALLOC request that pool_alloc() would send.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <numa.h>
#include <linux/scalepool.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"

TEST(policy_names_round_trip)
{
	static const char *const names[] = {
		"bind", "preferred", "interleave", "nearest", "tiered",
	};
	static const char *const bad[] = {
		"", "BIND", "Bind", "bind ", " bind", "bindx", "interleaved",
		"local", "0",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_STREQ(names[i], pool_policy_name((int)i));
		EXPECT_EQ((int)i, pool_policy_from_name(names[i]));
		EXPECT_EQ((int)i, pool_policy_from_name(
			pool_policy_name((int)i)));
	}
	EXPECT_EQ(POOL_POLICY_BIND, pool_policy_from_name("bind"));
	EXPECT_EQ(POOL_POLICY_TIERED, pool_policy_from_name("tiered"));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, pool_policy_from_name(bad[i])) {
			TH_LOG("bad[%zu] accepted", i);
		}
	EXPECT_EQ(-EINVAL, pool_policy_from_name(NULL));
	EXPECT_EQ(NULL, pool_policy_name(-1));
	EXPECT_EQ(NULL, pool_policy_name(5));
	EXPECT_EQ(NULL, pool_policy_name(SCALEPOOL_POLICY_TIERED + 1));
}

TEST(opts_macro)
{
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_NEAREST);

	EXPECT_EQ(sizeof(struct pool_alloc_opts), opts.sz);
	EXPECT_EQ(POOL_POLICY_NEAREST, opts.policy);
	EXPECT_EQ(0U, opts.flags);
	EXPECT_EQ(NULL, opts.nodes);
	EXPECT_FALSE(opts.initiator_set);
	/* The size field comes first, as in every options struct. */
	EXPECT_EQ(0U, offsetof(struct pool_alloc_opts, sz));
}

FIXTURE(pool) {
	struct fake_sysfs fs;
	struct scalepool_alloc req;
	unsigned int *ids;
};

FIXTURE_SETUP(pool)
{
	self->ids = NULL;
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
	/* Member 7 is node 5's; member 8 sits on node 4 but is no node. */
	put_member(self->fs.sys, 7, "node", 5, "dram", 1ULL << 30);
	put_member(self->fs.sys, 8, "bar", 4, "device", 1ULL << 20);
	ASSERT_EQ(0, fake_sysfs_load(&self->fs));
	ASSERT_EQ(5, pool_get_nr_members(self->fs.ctx));
}

FIXTURE_TEARDOWN(pool)
{
	free(self->ids);
	fake_sysfs_destroy(&self->fs);
}

static int request(FIXTURE_DATA(pool) *self, size_t size,
		   const struct pool_alloc_opts *opts)
{
	free(self->ids);
	self->ids = NULL;
	return lp_alloc_request(self->fs.ctx, size, opts, &self->req,
				&self->ids);
}

TEST_F(pool, null_opts_is_tiered_everywhere_from_here)
{
	ASSERT_EQ(0, request(self, 4096, NULL));
	EXPECT_EQ(sizeof(struct scalepool_alloc), self->req.size);
	EXPECT_EQ(4096ULL, self->req.length);
	EXPECT_EQ(SCALEPOOL_POLICY_TIERED, self->req.policy);
	EXPECT_EQ(0U, self->req.flags);
	EXPECT_EQ(0U, self->req.nr_members);
	EXPECT_EQ(0ULL, self->req.members_ptr);
	EXPECT_EQ(0ULL, self->req.weights_ptr);
	EXPECT_EQ(0ULL, self->req.granularity);
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, self->req.initiator);
	EXPECT_EQ(0U, self->req.initiator_pci_domain);
	EXPECT_EQ(0U, self->req.initiator_pci_bdf);
	EXPECT_EQ(0U, self->req.handle);
}

TEST_F(pool, fields_reach_the_request)
{
	static const unsigned int members[] = { 2, 0 };
	static const unsigned int weights[] = { 3, 1 };
	POOL_OPTS(pool_alloc_opts, opts,
		.policy = POOL_POLICY_INTERLEAVE,
		.flags = POOL_ALLOC_POPULATE | POOL_ALLOC_NO_HUGE,
		.members = members,
		.nr_members = 2,
		.weights = weights,
		.granularity = 8192,
		.initiator = 1,
		.initiator_set = true,
	);

	ASSERT_EQ(0, request(self, 1 << 20, &opts));
	EXPECT_EQ(SCALEPOOL_POLICY_INTERLEAVE, self->req.policy);
	EXPECT_EQ(SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE,
		  self->req.flags);
	EXPECT_EQ(2U, self->req.nr_members);
	EXPECT_EQ((uintptr_t)members, self->req.members_ptr);
	EXPECT_EQ((uintptr_t)weights, self->req.weights_ptr);
	EXPECT_EQ(8192ULL, self->req.granularity);
	EXPECT_EQ(1, self->req.initiator);
}

TEST_F(pool, node_0_is_an_initiator_only_when_set)
{
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_NEAREST);

	/* A zeroed initiator is not node 0... */
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, self->req.initiator);
	/* ...unless the caller says so. */
	opts.initiator_set = true;
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(0, self->req.initiator);
	opts.initiator = POOL_INITIATOR_LOCAL;
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, self->req.initiator);
}

/* The domain is a full int: VMD's (0x10000 and up) are their own. */
TEST_F(pool, initiator_pci_keeps_the_whole_domain)
{
	static const struct {
		const char *bdf;
		unsigned int domain, bdf16;
	} good[] = {
		{ "0000:00:00.0", 0, 0 },
		{ "0000:01:1f.7", 0, 0x01ff },
		{ "ffff:ff:00.1", 0xffff, 0xff01 },
		{ "10000:00:01.0", 0x10000, 0x0008 },
		{ "12345:0a:03.2", 0x12345, 0x0a1a },
		{ "7fffffff:00:00.0", 0x7fffffff, 0 },
	};
	static const char *const bad[] = {
		"000:00:00.0", "100000000:00:00.0", "80000000:00:00.0",
		"0000:100:00.0", "0000:00:20.0", "0000:00:00.8", "0000:0:00.0",
		"0000:00:00", "0000:00:00.0 ", "g000:00:00.0", "0000:00:0g.0",
		"0000-00:00.0", "",
	};
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_NEAREST);
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		opts.initiator_pci = good[i].bdf;
		ASSERT_EQ(0, request(self, 4096, &opts)) {
			TH_LOG("%s", good[i].bdf);
		}
		EXPECT_EQ(good[i].domain, self->req.initiator_pci_domain) {
			TH_LOG("%s", good[i].bdf);
		}
		EXPECT_EQ(good[i].bdf16, self->req.initiator_pci_bdf) {
			TH_LOG("%s", good[i].bdf);
		}
		EXPECT_TRUE(self->req.flags & SCALEPOOL_ALLOC_PCI_INITIATOR);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		opts.initiator_pci = bad[i];
		EXPECT_EQ(-EINVAL, request(self, 4096, &opts)) {
			TH_LOG("'%s' was taken", bad[i]);
		}
	}
}

TEST_F(pool, zeroed_opts_are_bind)
{
	POOL_OPTS(pool_alloc_opts, opts);
	static const unsigned int one[] = { 1 };

	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(SCALEPOOL_POLICY_BIND, self->req.policy);
	opts.members = one;
	opts.nr_members = 1;
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(1U, self->req.nr_members);
}

TEST_F(pool, opts_size_rules)
{
	struct {
		struct pool_alloc_opts o;
		unsigned long long newer[3];
	} big;
	struct pool_alloc_opts opts;

	/* Too small to hold even sz: a struct nobody initialized. */
	memset(&opts, 0, sizeof(opts));
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.sz = sizeof(size_t) - 1;
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.sz = sizeof(size_t);
	EXPECT_EQ(0, request(self, 4096, &opts));

	/* A newer caller: a zero tail is fine, a non-zero one E2BIG. */
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.policy = POOL_POLICY_TIERED;
	EXPECT_EQ(0, request(self, 4096, &big.o));
	EXPECT_EQ(SCALEPOOL_POLICY_TIERED, self->req.policy);
	big.newer[2] = 1;
	EXPECT_EQ(-E2BIG, request(self, 4096, &big.o));
	big.newer[2] = 0;
	big.newer[0] = 1ULL << 63;
	EXPECT_EQ(-E2BIG, request(self, 4096, &big.o));
	/* The tail beyond sz is none of the library's business. */
	big.o.sz = sizeof(big.o);
	EXPECT_EQ(0, request(self, 4096, &big.o));
}

TEST_F(pool, older_callers_fields_beyond_sz_are_ignored)
{
	struct pool_alloc_opts opts;

	/* Garbage after sz: a caller built when opts had fewer fields. */
	memset(&opts, 0xff, sizeof(opts));
	opts.policy = POOL_POLICY_NEAREST;
	opts.sz = offsetofend(struct pool_alloc_opts, policy);
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(SCALEPOOL_POLICY_NEAREST, self->req.policy);
	EXPECT_EQ(0U, self->req.flags);
	EXPECT_EQ(0U, self->req.nr_members);
	EXPECT_EQ(0ULL, self->req.weights_ptr);
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, self->req.initiator);

	/* Up to initiator, not initiator_set: still the local node. */
	memset(&opts, 0, sizeof(opts));
	opts.initiator = 0;
	opts.initiator_set = true;
	opts.sz = offsetofend(struct pool_alloc_opts, initiator);
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, self->req.initiator);
}

TEST_F(pool, bad_arguments)
{
	static const unsigned int members[] = { 0, 1 };
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_BIND);

	EXPECT_EQ(-EINVAL, request(self, 0, NULL));
	EXPECT_EQ(-EINVAL, lp_alloc_request(NULL, 4096, NULL, &self->req,
					    &self->ids));
	/* members and nodes exclude each other. */
	opts.members = members;
	opts.nr_members = 2;
	opts.nodes = "0";
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.nr_members = 0;
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	/* A count without the array. */
	opts.nodes = NULL;
	opts.members = NULL;
	opts.nr_members = 1;
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.nr_members = 0;
	opts.policy = -1;
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	EXPECT_EQ(NULL, self->ids);
}

static struct bitmask *mask_of(const int *nodes, size_t nr)
{
	struct bitmask *b = numa_bitmask_alloc(64);
	size_t i;

	for (i = 0; b && i < nr; i++)
		numa_bitmask_setbit(b, (unsigned int)nodes[i]);
	return b;
}

TEST_F(pool, nodes_resolve_to_node_members)
{
	static const int n205[] = { 2, 0, 5 }, n1[] = { 1 };
	static const int n3[] = { 0, 3 }, n4[] = { 4 };
	struct bitmask *b;
	unsigned int nr = 99;

	/* Ascending node order, whatever the member ids. */
	b = mask_of(n205, 3);
	ASSERT_EQ(0, lp_nodes_to_members(self->fs.ctx, b, &self->ids, &nr));
	numa_bitmask_free(b);
	ASSERT_EQ(3U, nr);
	EXPECT_EQ(0U, self->ids[0]);
	EXPECT_EQ(2U, self->ids[1]);
	EXPECT_EQ(7U, self->ids[2]);
	free(self->ids);
	self->ids = NULL;

	b = mask_of(n1, 1);
	ASSERT_EQ(0, lp_nodes_to_members(self->fs.ctx, b, &self->ids, &nr));
	numa_bitmask_free(b);
	ASSERT_EQ(1U, nr);
	EXPECT_EQ(1U, self->ids[0]);
	free(self->ids);
	self->ids = NULL;

	/* A node without a member, or with a member that is no node's. */
	b = mask_of(n3, 2);
	EXPECT_EQ(-ENOENT, lp_nodes_to_members(self->fs.ctx, b, &self->ids,
					       &nr));
	numa_bitmask_free(b);
	b = mask_of(n4, 1);
	EXPECT_EQ(-ENOENT, lp_nodes_to_members(self->fs.ctx, b, &self->ids,
					       &nr));
	numa_bitmask_free(b);
	/* No node at all. */
	b = mask_of(NULL, 0);
	EXPECT_EQ(-EINVAL, lp_nodes_to_members(self->fs.ctx, b, &self->ids,
					       &nr));
	numa_bitmask_free(b);
	EXPECT_EQ(NULL, self->ids);
}

/* numa_parse_nodestring() knows only this machine's nodes. */
void numa_warn(int num, char *fmt, ...)
{
}

TEST_F(pool, node_strings)
{
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_BIND);
	unsigned int *ids;

	if (numa_available() < 0)
		SKIP(return, "no NUMA support here");
	opts.nodes = "0";
	ASSERT_EQ(0, request(self, 4096, &opts));
	ASSERT_EQ(1U, self->req.nr_members);
	ids = (unsigned int *)(uintptr_t)self->req.members_ptr;
	EXPECT_EQ(self->ids, ids);
	EXPECT_EQ(0U, ids[0]);

	opts.nodes = "all";
	ASSERT_EQ(0, request(self, 4096, &opts));
	EXPECT_EQ((unsigned int)numa_num_task_nodes(), self->req.nr_members);

	opts.nodes = "abc";
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.nodes = "0-";
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	opts.nodes = "";
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
	/* One more than the machine has. */
	opts.nodes = "9999";
	EXPECT_EQ(-EINVAL, request(self, 4096, &opts));
}

TEST_F(pool, alloc_checks_before_the_device)
{
	struct pool_buf *buf = (struct pool_buf *)0x1;
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_TIERED);

	EXPECT_EQ(-EINVAL, pool_alloc(self->fs.ctx, 4096, &opts, NULL));
	EXPECT_EQ(-EINVAL, pool_alloc(NULL, 4096, &opts, &buf));
	EXPECT_EQ(-EINVAL, pool_alloc(self->fs.ctx, 0, &opts, &buf));
	opts.sz = 1;
	EXPECT_EQ(-EINVAL, pool_alloc(self->fs.ctx, 4096, &opts, &buf));
	opts.sz = sizeof(opts);
	/* Valid arguments get as far as the (missing) device. */
	EXPECT_EQ(-ENODEV, pool_alloc(self->fs.ctx, 4096, &opts, &buf));
	EXPECT_EQ(-ENODEV, pool_alloc(self->fs.ctx, 4096, NULL, &buf));
	EXPECT_EQ((struct pool_buf *)0x1, buf);
	EXPECT_EQ(0, pool_buf_free(NULL));
	EXPECT_EQ(-EINVAL, pool_buf_get_placement(NULL, NULL, 0));
}

/*
 * MIGRATE takes the placement fields from the same conversion as ALLOC
 * (lp_place_request()); flags and a PCI initiator mean nothing there.
 */
TEST_F(pool, migrate_request_is_alloc_s_placement)
{
	static const unsigned int w[] = { 3 };
	struct scalepool_migrate m;
	unsigned int *ids = NULL;
	POOL_OPTS(pool_alloc_opts, opts,
		.policy = POOL_POLICY_INTERLEAVE,
		.nodes = "0",
		.weights = w,
		.granularity = 8192,
		.initiator = 1,
		.initiator_set = true,
	);

	ASSERT_EQ(0, request(self, 4096, &opts));
	ASSERT_EQ(0, lp_migrate_request(self->fs.ctx, 9, 4096, 8192, &opts,
					&m, &ids));
	EXPECT_EQ(sizeof(m), m.size);
	EXPECT_EQ(0U, m.flags);
	EXPECT_EQ(9U, m.handle);
	EXPECT_EQ(4096ULL, m.start);
	EXPECT_EQ(8192ULL, m.length);
	EXPECT_EQ(self->req.policy, m.policy);
	EXPECT_EQ(self->req.nr_members, m.nr_members);
	EXPECT_EQ(1U, m.nr_members);
	EXPECT_EQ(0U, ids[0]);		/* node 0's member */
	EXPECT_EQ((uintptr_t)ids, m.members_ptr);
	EXPECT_EQ((uintptr_t)w, m.weights_ptr);
	EXPECT_EQ(8192ULL, m.granularity);
	EXPECT_EQ(1, m.initiator);
	EXPECT_EQ(0ULL, m.moved);
	free(ids);

	/* NULL: tiered over every member, from the calling thread. */
	ASSERT_EQ(0, lp_migrate_request(self->fs.ctx, 1, 0, 0, NULL, &m,
					&ids));
	EXPECT_EQ(NULL, ids);
	EXPECT_EQ((unsigned int)SCALEPOOL_POLICY_TIERED, m.policy);
	EXPECT_EQ(0U, m.nr_members);
	EXPECT_EQ(SCALEPOOL_INITIATOR_LOCAL, m.initiator);
}

TEST_F(pool, migrate_refuses_alloc_only_fields)
{
	struct scalepool_migrate m;
	unsigned int *ids = (unsigned int *)0x1;
	struct {
		struct pool_alloc_opts o;
		int extra;
	} big;
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_NEAREST,
		.nodes = "0");

	opts.flags = POOL_ALLOC_NO_HUGE;
	EXPECT_EQ(-EINVAL, lp_migrate_request(self->fs.ctx, 1, 0, 0, &opts,
					      &m, &ids));
	EXPECT_EQ(NULL, ids);		/* freed, not leaked */
	opts.flags = 0;
	opts.initiator_pci = "0000:00:04.0";
	EXPECT_EQ(-EINVAL, lp_migrate_request(self->fs.ctx, 1, 0, 0, &opts,
					      &m, &ids));
	opts.initiator_pci = NULL;
	opts.nodes = NULL;
	opts.members = (const unsigned int[]){ 0 };
	opts.nr_members = 1;
	opts.nodes = "0";		/* both */
	EXPECT_EQ(-EINVAL, lp_migrate_request(self->fs.ctx, 1, 0, 0, &opts,
					      &m, &ids));
	opts.nodes = NULL;
	opts.members = NULL;
	opts.nr_members = 0;
	opts.policy = -1;
	EXPECT_EQ(-EINVAL, lp_migrate_request(self->fs.ctx, 1, 0, 0, &opts,
					      &m, &ids));
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.extra = 1;
	EXPECT_EQ(-E2BIG, lp_migrate_request(self->fs.ctx, 1, 0, 0, &big.o,
					     &m, &ids));
	EXPECT_EQ(-EINVAL, lp_migrate_request(NULL, 1, 0, 0, NULL, &m, &ids));
}

/* Checked before the capability, which the fake context lacks. */
TEST_F(pool, migrate_without_the_capability)
{
	struct pool_buf buf = { .ctx = self->fs.ctx, .fd = -1, .handle = 1 };
	POOL_OPTS(pool_alloc_opts, opts, .flags = POOL_ALLOC_POPULATE);
	unsigned long long moved = 77;

	EXPECT_EQ(-EINVAL, pool_buf_migrate(&buf, 0, 0, &opts, &moved));
	EXPECT_EQ(-EOPNOTSUPP, pool_buf_migrate(&buf, 0, 0, NULL, &moved));
	EXPECT_EQ(77ULL, moved);
}

TEST_HARNESS_MAIN
