// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process usage from a fake /proc (fake-sysfs.h), and the members'
 * free and limit attributes from a fake sysfs: what pool_stat needs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"

#define MAX_SEEN 8

struct seen {
	int nr;
	int stop_after;		/* 0: never */
	struct {
		int pid;
		char comm[32];
		unsigned int nr_fds;
		unsigned long long allocations, bytes;
		unsigned long long exported, exported_bytes;
	} p[MAX_SEEN];
};

static int record(const struct pool_process_usage *u, void *arg)
{
	struct seen *s = arg;

	if (s->nr < MAX_SEEN) {
		s->p[s->nr].pid = u->pid;
		snprintf(s->p[s->nr].comm, sizeof(s->p[0].comm), "%s",
			 u->comm);
		s->p[s->nr].nr_fds = u->nr_fds;
		s->p[s->nr].allocations = u->allocations;
		s->p[s->nr].bytes = u->bytes;
		s->p[s->nr].exported = u->exported;
		s->p[s->nr].exported_bytes = u->exported_bytes;
	}
	s->nr++;
	return s->stop_after && s->nr == s->stop_after ? 42 : 0;
}

FIXTURE(fake) {
	struct fake_sysfs fs;
};

FIXTURE_SETUP(fake)
{
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
	ASSERT_EQ(0, fake_sysfs_ctx(&self->fs));
}

FIXTURE_TEARDOWN(fake)
{
	fake_sysfs_destroy(&self->fs);
}

TEST_F(fake, processes_with_the_device_open)
{
	struct seen s = { 0 };

	ASSERT_EQ(0, pool_for_each_process_usage(self->fs.ctx, record, &s));
	ASSERT_EQ(2, s.nr);
	/* Ascending pids, numerically. */
	EXPECT_EQ(20, s.p[0].pid);
	EXPECT_STREQ("idle", s.p[0].comm);
	EXPECT_EQ(1U, s.p[0].nr_fds);
	EXPECT_EQ(0ULL, s.p[0].allocations);
	EXPECT_EQ(0ULL, s.p[0].bytes);
	EXPECT_EQ(0ULL, s.p[0].exported);
	EXPECT_EQ(0ULL, s.p[0].exported_bytes);
	EXPECT_EQ(100, s.p[1].pid);
	EXPECT_STREQ("holder", s.p[1].comm);
	EXPECT_EQ(2U, s.p[1].nr_fds);
	EXPECT_EQ(3ULL, s.p[1].allocations);
	EXPECT_EQ((6ULL << 20) + 4096, s.p[1].bytes);
	/* "scalepool-exported:" is not mistaken for its -bytes line. */
	EXPECT_EQ(2ULL, s.p[1].exported);
	EXPECT_EQ((2ULL << 20) + 4096, s.p[1].exported_bytes);
}

/*
 * The device node is one of the context's roots: rooted at another path,
 * the scan counts the descriptors whose link names that path instead.
 */
TEST_F(fake, device_path_is_a_root)
{
	const struct lp_roots roots = {
		.dev = "/dev/scalepoolx",
		.sysfs = self->fs.sys,
		.node = self->fs.nodes,
		.proc = self->fs.proc,
	};
	struct seen s = { 0 };
	struct pool_ctx *ctx;

	ASSERT_EQ(0, lp_ctx_alloc(&ctx, &roots));
	EXPECT_EQ(0, pool_for_each_process_usage(ctx, record, &s));
	lp_ctx_free(ctx);
	ASSERT_EQ(1, s.nr);
	EXPECT_EQ(7, s.p[0].pid);
	EXPECT_STREQ("other", s.p[0].comm);
	EXPECT_EQ(1U, s.p[0].nr_fds);
	EXPECT_EQ(0ULL, s.p[0].allocations);
}

TEST_F(fake, callback_stops_the_scan)
{
	struct seen s = { .stop_after = 1 };

	EXPECT_EQ(42, pool_for_each_process_usage(self->fs.ctx, record, &s));
	EXPECT_EQ(1, s.nr);
}

TEST_F(fake, no_processes)
{
	struct seen s = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s/100/fd/3", self->fs.proc);
	ASSERT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/100/fd/12", self->fs.proc);
	ASSERT_EQ(0, unlink(path));
	snprintf(path, sizeof(path), "%s/20", self->fs.proc);
	rm_tree(path);
	EXPECT_EQ(0, pool_for_each_process_usage(self->fs.ctx, record, &s));
	EXPECT_EQ(0, s.nr);
}

TEST_F(fake, bad_arguments_and_no_proc)
{
	struct seen s = { 0 };

	EXPECT_EQ(-EINVAL, pool_for_each_process_usage(NULL, record, &s));
	EXPECT_EQ(-EINVAL, pool_for_each_process_usage(self->fs.ctx, NULL, &s));
	rm_tree(self->fs.proc);
	EXPECT_EQ(-ENOENT, pool_for_each_process_usage(self->fs.ctx, record,
						       &s));
	EXPECT_EQ(0, s.nr);
}

TEST_F(fake, free_is_optional)
{
	put(self->fs.sys, "members/0/free", "1048576");
	put(self->fs.sys, "members/1/free", "lots");
	ASSERT_EQ(0, lp_members_load(self->fs.ctx));
	EXPECT_EQ(1048576, pool_member_get_free(
		pool_member_get_by_id(self->fs.ctx, 0)));
	EXPECT_EQ(-ENODATA, pool_member_get_free(
		pool_member_get_by_id(self->fs.ctx, 1)));
	EXPECT_EQ(-ENODATA, pool_member_get_free(
		pool_member_get_by_id(self->fs.ctx, 2)));
}

static unsigned long long read_limit(const char *sys, unsigned int id)
{
	char path[256];
	unsigned long long v = 12345;
	FILE *f;

	snprintf(path, sizeof(path), "%s/members/%u/limit", sys, id);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 54321;
		fclose(f);
	}
	return v;
}

TEST_F(fake, set_limit)
{
	struct pool_member *m;
	char path[256];

	ASSERT_EQ(0, lp_members_load(self->fs.ctx));
	m = pool_member_get_by_id(self->fs.ctx, 2);
	ASSERT_EQ(0, pool_member_set_limit(m, 2ULL << 20));
	EXPECT_EQ(2ULL << 20, pool_member_get_limit(m));
	EXPECT_EQ(2ULL << 20, read_limit(self->fs.sys, 2));
	ASSERT_EQ(0, pool_member_set_limit(m, 0));
	EXPECT_EQ(0ULL, pool_member_get_limit(m));
	EXPECT_EQ(0ULL, read_limit(self->fs.sys, 2));
	/* The value read back wins: a module may round. */
	ASSERT_EQ(0, pool_member_set_limit(m, ~0ULL));
	EXPECT_EQ(~0ULL, pool_member_get_limit(m));
	/* The member went away. */
	snprintf(path, sizeof(path), "%s/members/2", self->fs.sys);
	rm_tree(path);
	EXPECT_EQ(-ENOENT, pool_member_set_limit(m, 4096));
	EXPECT_EQ(~0ULL, pool_member_get_limit(m));
}

TEST_HARNESS_MAIN
