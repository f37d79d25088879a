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

#define MAX_ALLOCS 600

struct allocs {
	int nr;
	int stop_after;		/* 0: never */
	struct pool_process_allocation a[MAX_ALLOCS];
	char comm[MAX_ALLOCS][16];
};

static int record_alloc(const struct pool_process_allocation *a, void *arg)
{
	struct allocs *s = arg;

	if (s->nr < MAX_ALLOCS) {
		s->a[s->nr] = *a;
		snprintf(s->comm[s->nr], sizeof(s->comm[0]), "%s", a->comm);
		s->a[s->nr].comm = NULL;
	}
	s->nr++;
	return s->stop_after && s->nr == s->stop_after ? 42 : 0;
}

TEST_F(fake, allocations_from_fdinfo)
{
	static struct allocs s;

	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, pool_for_each_process_allocation(self->fs.ctx,
						      record_alloc, &s));
	ASSERT_EQ(3, s.nr);
	/* Ascending fds (3 before 12), then the module's order. */
	EXPECT_EQ(100, s.a[0].pid);
	EXPECT_STREQ("holder", s.comm[0]);
	EXPECT_EQ(3, s.a[0].fd);
	EXPECT_EQ(1U, s.a[0].handle);
	EXPECT_EQ(2097152ULL, s.a[0].length);
	EXPECT_EQ(0ULL, s.a[0].offset);
	EXPECT_EQ(POOL_POLICY_TIERED, s.a[0].policy);
	EXPECT_EQ(3, s.a[1].fd);
	EXPECT_EQ(3U, s.a[1].handle);
	EXPECT_EQ(4194304ULL, s.a[1].length);
	EXPECT_EQ(4194304ULL, s.a[1].offset);
	EXPECT_EQ(POOL_POLICY_INTERLEAVE, s.a[1].policy);
	EXPECT_EQ(12, s.a[2].fd);
	EXPECT_EQ(7U, s.a[2].handle);
	EXPECT_EQ(4096ULL, s.a[2].length);
	EXPECT_EQ(8192ULL, s.a[2].offset);
	EXPECT_EQ(POOL_POLICY_BIND, s.a[2].policy);

	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	EXPECT_EQ(42, pool_for_each_process_allocation(self->fs.ctx,
						       record_alloc, &s));
	EXPECT_EQ(2, s.nr);
	EXPECT_EQ(-EINVAL, pool_for_each_process_allocation(NULL,
							    record_alloc, &s));
	EXPECT_EQ(-EINVAL, pool_for_each_process_allocation(self->fs.ctx,
							    NULL, &s));
}

/* 500 allocations make an fdinfo of several pages: all are read. */
TEST_F(fake, allocations_beyond_a_page)
{
	static struct allocs s;
	static char text[64 * 1024];
	size_t len = 0;
	int i;

	len += snprintf(text, sizeof(text), "pos:\t0\n"
			"scalepool-allocations:\t500\n");
	for (i = 1; i <= 500; i++)
		len += snprintf(text + len, sizeof(text) - len,
				"scalepool-allocation:\thandle=%d "
				"length=4096 offset=%d policy=3\n", i,
				i * 4096);
	ASSERT_LT(3 * 4096, (int)len);
	put(self->fs.proc, "100/fdinfo/12", text);
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, pool_for_each_process_allocation(self->fs.ctx,
						      record_alloc, &s));
	ASSERT_EQ(502, s.nr);
	EXPECT_EQ(500U, s.a[501].handle);
	EXPECT_EQ(500ULL * 4096, s.a[501].offset);
	EXPECT_EQ(POOL_POLICY_NEAREST, s.a[501].policy);
	/* The sums still come from their own lines. */
	{
		struct seen u = { 0 };

		ASSERT_EQ(0, pool_for_each_process_usage(self->fs.ctx, record,
							 &u));
		EXPECT_EQ(2ULL + 500, u.p[1].allocations);
	}
}

/* A line this library cannot read stops the scan with EPROTO. */
TEST_F(fake, allocation_line_malformed)
{
	static const char *const bad[] = {
		"scalepool-allocation:\thandle=1 length=4096 offset=0",
		"scalepool-allocation:\thandle=x length=4096 offset=0 policy=0",
		"scalepool-allocation:\thandle=1 length=4096 offset=0 policy=0 more",
		"scalepool-allocation:\tlength=4096 handle=1 offset=0 policy=0",
		"scalepool-allocation:\thandle=1 length=4096 offset=0 policy=4294967295",
	};
	static struct allocs s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put(self->fs.proc, "100/fdinfo/12", bad[i]);
		memset(&s, 0, sizeof(s));
		EXPECT_EQ(-EPROTO, pool_for_each_process_allocation(
			self->fs.ctx, record_alloc, &s)) {
			TH_LOG("line '%s'", bad[i]);
		}
		/* fd 3's two came first. */
		EXPECT_EQ(2, s.nr);
	}
	/* Without the lines (an older module): no allocations, no error. */
	put(self->fs.proc, "100/fdinfo/3", "scalepool-allocations:\t2");
	put(self->fs.proc, "100/fdinfo/12", "scalepool-allocations:\t1");
	memset(&s, 0, sizeof(s));
	EXPECT_EQ(0, pool_for_each_process_allocation(self->fs.ctx,
						      record_alloc, &s));
	EXPECT_EQ(0, s.nr);
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
