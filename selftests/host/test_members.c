// SPDX-License-Identifier: GPL-2.0
/*
 * Member loading from a fake /sys/kernel/scalepool and node tree, with
 * the library's internals (a context rooted there, fake-sysfs.h):
 * id order, accessors, firmware figures, refresh, bad attributes, log.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"

FIXTURE(sysfs) {
	struct fake_sysfs fs;
};

FIXTURE_SETUP(sysfs)
{
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
	ASSERT_EQ(0, access(self->fs.sys, F_OK));
}

FIXTURE_TEARDOWN(sysfs)
{
	fake_sysfs_destroy(&self->fs);
}

static struct pool_ctx *load(struct __test_metadata *_metadata,
			     FIXTURE_DATA(sysfs) *self)
{
	ASSERT_EQ(0, fake_sysfs_load(&self->fs));
	return self->fs.ctx;
}

TEST_F(sysfs, id_order_and_accessors)
{
	struct pool_ctx *ctx = load(_metadata, self);
	struct pool_member *m;
	unsigned int expect = 0;

	ASSERT_EQ(3, pool_get_nr_members(ctx));
	pool_member_foreach(ctx, m) {
		EXPECT_EQ(expect, pool_member_get_id(m));
		EXPECT_EQ(ctx, pool_member_get_ctx(m));
		expect++;
	}
	m = pool_member_get_by_id(ctx, 2);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("node", pool_member_get_kind(m));
	EXPECT_STREQ("node2", pool_member_get_name(m));
	EXPECT_EQ(2, pool_member_get_node(m));
	EXPECT_STREQ("cxl", pool_member_get_memory(m));
	EXPECT_EQ(256ULL << 20, pool_member_get_capacity(m));
	EXPECT_EQ(64ULL << 20, pool_member_get_used(m));
	EXPECT_EQ(0ULL, pool_member_get_limit(m));
	EXPECT_EQ(NULL, pool_member_get_by_id(ctx, 3));
}

TEST_F(sysfs, firmware_figures)
{
	struct pool_ctx *ctx = load(_metadata, self);
	struct pool_member *m0 = pool_member_get_by_id(ctx, 0);
	struct pool_member *m1 = pool_member_get_by_id(ctx, 1);
	struct pool_member *m2 = pool_member_get_by_id(ctx, 2);

	EXPECT_EQ(80, pool_member_get_fw_read_latency(m0));
	EXPECT_EQ(90, pool_member_get_fw_write_latency(m0));
	EXPECT_EQ(20000, pool_member_get_fw_read_bandwidth(m0));
	/* 0 is "not reported", as the kernel shows a missing figure. */
	EXPECT_EQ(-ENODATA, pool_member_get_fw_write_bandwidth(m0));
	EXPECT_EQ(-ENODATA, pool_member_get_fw_read_latency(m1));
	EXPECT_EQ(-ENODATA, pool_member_get_fw_write_bandwidth(m1));
	EXPECT_EQ(250, pool_member_get_fw_read_latency(m2));
	EXPECT_EQ(-ENODATA, pool_member_get_fw_write_latency(m2));
}

TEST_F(sysfs, no_home_node_has_no_figures)
{
	struct pool_member *m;

	put(self->fs.sys, "members/0/node", "-1");
	m = pool_member_get_by_id(load(_metadata, self), 0);
	EXPECT_EQ(-1, pool_member_get_node(m));
	EXPECT_EQ(-ENODATA, pool_member_get_fw_read_latency(m));
}

TEST_F(sysfs, cxl_without_hardware_has_no_chain)
{
	struct pool_ctx *ctx = load(_metadata, self);
	struct pool_member *m;

	/* This host has no CXL region onlined as node 2. */
	m = pool_member_get_by_id(ctx, 2);
	EXPECT_EQ(NULL, pool_member_get_dax_device(m));
	EXPECT_EQ(NULL, pool_member_get_cxl_region(m));
	EXPECT_EQ(0, pool_member_get_nr_cxl_memdevs(m));
	EXPECT_EQ(NULL, pool_member_get_cxl_memdev(m, 0));
	EXPECT_EQ(NULL, pool_member_get_cxl_memdev(m, -1));
	EXPECT_EQ(NULL, pool_member_get_dax_device_name(m));
	EXPECT_EQ(NULL, pool_member_get_cxl_region_name(m));
	EXPECT_EQ(NULL, pool_member_get_cxl_memdev_name(m, 0));
	EXPECT_EQ(NULL, pool_member_get_cxl_memdev_name(m, -1));
	m = pool_member_get_by_id(ctx, 0);
	EXPECT_EQ(NULL, pool_member_get_cxl_region(m));
	EXPECT_EQ(NULL, pool_member_get_cxl_region_name(m));
}

/* Is @soname mapped in this process (the test's forked child)? */
static bool mapped(const char *soname)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, soname) != NULL;
	if (f)
		fclose(f);
	return found;
}

/*
 * pool_new() leaves the CXL chain alone, so that a program that only
 * allocates never opens libcxl; the first getter resolves it, and
 * pool_refresh() makes the next one resolve it again.
 */
TEST_F(sysfs, cxl_chain_resolved_on_first_ask)
{
	struct pool_ctx *ctx = load(_metadata, self);
	struct pool_member *m = pool_member_get_by_id(ctx, 2);

	ASSERT_NE(NULL, m);
	EXPECT_FALSE(mapped("libcxl.so"));
	EXPECT_FALSE(m->cxl_resolved);
	EXPECT_EQ(NULL, ctx->cxl);
	EXPECT_EQ(NULL, pool_member_get_cxl_region_name(m));
	EXPECT_TRUE(m->cxl_resolved);
	/* Debian's libcxl1, which tools/setup installs, is there. */
	EXPECT_NE(NULL, ctx->cxl);
	EXPECT_TRUE(mapped("libcxl.so"));
	/* A DRAM member never opens a chain. */
	EXPECT_EQ(NULL, pool_member_get_dax_device(pool_member_get_by_id(ctx,
									0)));
	ASSERT_EQ(0, pool_refresh(ctx));
	m = pool_member_get_by_id(ctx, 2);
	EXPECT_FALSE(m->cxl_resolved);
	EXPECT_EQ(NULL, ctx->cxl);
}

TEST_F(sysfs, refresh_sees_new_and_gone_members)
{
	struct pool_ctx *ctx = load(_metadata, self);
	char path[256];

	put_member(self->fs.sys, 7, "node", 3, "dram", 1ULL << 20);
	snprintf(path, sizeof(path), "%s/members/1", self->fs.sys);
	rm_tree(path);
	ASSERT_EQ(0, pool_refresh(ctx));
	EXPECT_EQ(3, pool_get_nr_members(ctx));
	EXPECT_EQ(NULL, pool_member_get_by_id(ctx, 1));
	ASSERT_NE(NULL, pool_member_get_by_id(ctx, 7));
	EXPECT_EQ(7U, pool_member_get_id(pool_member_get_next(
		pool_member_get_by_id(ctx, 2))));
}

TEST_F(sysfs, other_entries_are_ignored)
{
	put(self->fs.sys, "members/uevent", "");
	put(self->fs.sys, "members/3x/id", "3");
	EXPECT_EQ(3, pool_get_nr_members(load(_metadata, self)));
}

static int nr_logged;

static void count_log(struct pool_ctx *ctx, int priority, const char *file,
		      int line, const char *fn, const char *format,
		      va_list args)
{
	nr_logged++;
}

TEST_F(sysfs, bad_attribute_fails_the_load_and_logs)
{
	static const char *const bad[][2] = {
		{ "members/1/capacity", "-5" },
		{ "members/1/capacity", "12abc" },
		{ "members/1/used", "99999999999999999999" },
		{ "members/1/node", "two" },
		{ "members/1/id", "4294967296" },
		{ "members/1/id", "0" },	/* duplicate of member 0 */
	};
	size_t i;

	ASSERT_EQ(0, fake_sysfs_ctx(&self->fs));
	pool_set_log_priority(self->fs.ctx, LOG_ERR);
	pool_set_log_fn(self->fs.ctx, count_log);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put_member(self->fs.sys, 1, "node", 1, "dram", 1ULL << 30);
		put(self->fs.sys, bad[i][0], bad[i][1]);
		nr_logged = 0;
		EXPECT_GT(0, lp_members_load(self->fs.ctx)) {
			TH_LOG("%s = %s accepted", bad[i][0], bad[i][1]);
		}
		EXPECT_EQ(0, pool_get_nr_members(self->fs.ctx));
		EXPECT_EQ(NULL, pool_member_get_first(self->fs.ctx));
		EXPECT_LT(0, nr_logged);
	}
}

/*
 * Where the dynamic loader finds @soname (ldconfig's cache, as dlopen()
 * would), into @path; false when it does not.
 */
static bool ld_path(const char *soname, char *path, size_t len)
{
	char line[512], *arrow;
	bool found = false;
	FILE *f = popen("/sbin/ldconfig -p", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		arrow = strstr(line, " => ");
		if (!arrow || strncmp(line + strspn(line, " \t"), soname,
				      strlen(soname)))
			continue;
		arrow[strcspn(arrow, "\n")] = 0;
		found = snprintf(path, len, "%s", arrow + 4) < (int)len;
	}
	if (f)
		pclose(f);
	return found;
}

/*
 * libcxl that cannot be loaded: in a mount namespace of the test's own
 * child, /dev/null over it.  The chain is empty, the reason logged
 * once per context however often it is asked, and nothing else fails.
 */
TEST_F(sysfs, cxl_library_missing_is_logged_once)
{
	struct pool_ctx *ctx;
	struct pool_member *m;
	char lib[PATH_MAX];

	if (geteuid())
		SKIP(return, "needs root for a mount namespace");
	if (!ld_path("libcxl.so.1", lib, sizeof(lib)))
		SKIP(return, "no libcxl.so.1 (tools/setup installs libcxl1)");
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, mount("/dev/null", lib, NULL, MS_BIND, NULL));
	ctx = load(_metadata, self);
	pool_set_log_priority(ctx, LOG_ERR);
	pool_set_log_fn(ctx, count_log);
	nr_logged = 0;
	m = pool_member_get_by_id(ctx, 2);
	EXPECT_EQ(NULL, pool_member_get_cxl_region_name(m));
	EXPECT_EQ(NULL, pool_member_get_dax_device(m));
	EXPECT_EQ(0, pool_member_get_nr_cxl_memdevs(m));
	EXPECT_EQ(1, nr_logged);
	ASSERT_EQ(0, pool_refresh(ctx));
	m = pool_member_get_by_id(ctx, 2);
	EXPECT_EQ(NULL, pool_member_get_dax_device_name(m));
	EXPECT_EQ(1, nr_logged);
	EXPECT_FALSE(mapped("libcxl.so"));
	EXPECT_EQ(3, pool_get_nr_members(ctx));
}

TEST_F(sysfs, missing_attribute_fails_the_load)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/members/1/limit", self->fs.sys);
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(-ENOENT, fake_sysfs_load(&self->fs));
}

TEST_F(sysfs, no_members_directory)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/members", self->fs.sys);
	rm_tree(path);
	EXPECT_EQ(-ENOENT, fake_sysfs_load(&self->fs));
}

TEST(log_priority_from_environment)
{
	static const struct {
		const char *env;
		int prio;
	} cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "err", LOG_ERR },
		{ "6", LOG_INFO }, { "42", LOG_DEBUG }, { "bogus", LOG_ERR },
	};
	const struct lp_roots nowhere = {
		.sysfs = "/nonexistent",
		.node = "/nonexistent",
	};
	struct pool_ctx *ctx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		setenv("LIBPOOL_LOG", cases[i].env, 1);
		ASSERT_EQ(0, lp_ctx_alloc(&ctx, &nowhere));
		EXPECT_EQ(cases[i].prio, pool_get_log_priority(ctx)) {
			TH_LOG("LIBPOOL_LOG=%s", cases[i].env);
		}
		lp_ctx_free(ctx);
	}
	unsetenv("LIBPOOL_LOG");
	ASSERT_EQ(0, lp_ctx_alloc(&ctx, NULL));
	EXPECT_EQ(LOG_ERR, pool_get_log_priority(ctx));
	pool_set_userdata(ctx, &ctx);
	EXPECT_EQ(&ctx, pool_get_userdata(ctx));
	/* Two references: the first unref must not free. */
	EXPECT_EQ(ctx, pool_ref(ctx));
	pool_unref(ctx);
	EXPECT_EQ(LOG_ERR, pool_get_log_priority(ctx));
	pool_unref(ctx);
}

TEST_HARNESS_MAIN
