// SPDX-License-Identifier: GPL-2.0
/*
 * Measured access figures in libpool, on a fake
 * /sys/kernel/scalepool/members/<id>/measured: loading (absent, empty,
 * good and bad files), the getters, and what pool_member_set_measured()
 * and pool_member_clear_measured() write and record; the names of the
 * placement bases.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"

FIXTURE(measured) {
	char top[64];
	char sys[128];
	char nodes[128];
	struct pool_ctx *ctx;
};

FIXTURE_SETUP(measured)
{
	strcpy(self->top, "/tmp/libpool-measured.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->top));
	snprintf(self->sys, sizeof(self->sys), "%s/scalepool", self->top);
	snprintf(self->nodes, sizeof(self->nodes), "%s/node", self->top);
	fake_pool(self->sys, self->nodes);
	self->ctx = NULL;
}

FIXTURE_TEARDOWN(measured)
{
	if (self->ctx)
		lp_ctx_free(self->ctx);
	rm_tree(self->top);
}

static int load(struct __test_metadata *_metadata,
		FIXTURE_DATA(measured) *self)
{
	if (!self->ctx) {
		EXPECT_EQ(0, lp_ctx_alloc(&self->ctx, self->sys,
					  self->nodes));
		pool_set_log_priority(self->ctx, 0);
	}
	return lp_members_load(self->ctx);
}

static struct pool_member *member(FIXTURE_DATA(measured) *self,
				  unsigned int id)
{
	return pool_member_get_by_id(self->ctx, id);
}

/* @text verbatim (no newline added) as member @id's measured file. */
static void put_raw(FIXTURE_DATA(measured) *self, unsigned int id,
		    const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/members/%u/measured", self->sys, id);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/* The whole measured file of member @id, "" when absent. */
static const char *file_text(FIXTURE_DATA(measured) *self, unsigned int id)
{
	static char buf[256];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/members/%u/measured", self->sys, id);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST_F(measured, no_file_means_no_figures)
{
	unsigned long long lat = 7, bw = 7;

	/* A module from before measured figures has no file. */
	ASSERT_EQ(0, load(_metadata, self));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(member(self, 0), 0,
						    &lat, &bw));
	EXPECT_EQ(7ULL, lat);
	EXPECT_EQ(7ULL, bw);
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(member(self, 0), -1));
}

TEST_F(measured, empty_file_means_no_figures)
{
	put_raw(self, 0, "");
	put_raw(self, 1, "\n");
	ASSERT_EQ(0, load(_metadata, self));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(member(self, 0), 0,
						    NULL, NULL));
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(member(self, 1), -1));
}

TEST_F(measured, figures_per_member_and_initiator)
{
	struct pool_member *m;
	unsigned long long lat, bw;

	put_raw(self, 0, "0 95 18000\n1 160 9000\n");
	put_raw(self, 2, "1 400 2500\n");
	ASSERT_EQ(0, load(_metadata, self));

	m = member(self, 0);
	ASSERT_EQ(0, pool_member_get_measured(m, 0, &lat, &bw));
	EXPECT_EQ(95ULL, lat);
	EXPECT_EQ(18000ULL, bw);
	ASSERT_EQ(0, pool_member_get_measured(m, 1, &lat, &bw));
	EXPECT_EQ(160ULL, lat);
	EXPECT_EQ(9000ULL, bw);
	EXPECT_EQ(-ENOENT, pool_member_get_measured(m, 2, &lat, &bw));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(m, -1, &lat, &bw));
	/* Either output may be left out. */
	EXPECT_EQ(0, pool_member_get_measured(m, 1, NULL, &bw));
	EXPECT_EQ(0, pool_member_get_measured(m, 1, &lat, NULL));

	EXPECT_EQ(0, pool_member_get_next_measured(m, -1));
	EXPECT_EQ(1, pool_member_get_next_measured(m, 0));
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(m, 1));

	m = member(self, 2);
	EXPECT_EQ(1, pool_member_get_next_measured(m, -1));
	ASSERT_EQ(0, pool_member_get_measured(m, 1, &lat, &bw));
	EXPECT_EQ(400ULL, lat);
	EXPECT_EQ(2500ULL, bw);
	EXPECT_EQ(-ENOENT, pool_member_get_measured(member(self, 1), 0,
						    NULL, NULL));
}

TEST_F(measured, refresh_sees_new_figures)
{
	unsigned long long lat;

	ASSERT_EQ(0, load(_metadata, self));
	put_raw(self, 1, "0 120 7000\n");
	ASSERT_EQ(0, pool_refresh(self->ctx));
	ASSERT_EQ(0, pool_member_get_measured(member(self, 1), 0, &lat, NULL));
	EXPECT_EQ(120ULL, lat);
	put_raw(self, 1, "");
	ASSERT_EQ(0, pool_refresh(self->ctx));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(member(self, 1), 0,
						    NULL, NULL));
}

TEST_F(measured, bad_file_fails_the_load)
{
	static const char *const bad[] = {
		"0 10\n",			/* a token short */
		"0 10 20 30\n",			/* one too many */
		"0 0 20\n",			/* zero latency */
		"0 10 0\n",			/* zero bandwidth */
		"x 10 20\n",
		"-1 10 20\n",
		"0 -10 20\n",
		"0 10 2e3\n",
		"0 99999999999999999999 20\n",	/* beyond 64 bits */
		"1 10 20\n0 10 20\n",		/* not ascending */
		"0 10 20\n0 11 21\n",		/* twice the same node */
		"clear\n",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put_raw(self, 1, bad[i]);
		EXPECT_GT(0, load(_metadata, self)) {
			TH_LOG("'%s' accepted", bad[i]);
		}
		EXPECT_EQ(0, pool_get_nr_members(self->ctx));
	}
	put_raw(self, 1, "0 10 20\n");
	EXPECT_EQ(0, load(_metadata, self));
	EXPECT_EQ(3, pool_get_nr_members(self->ctx));
}

TEST_F(measured, set_writes_one_line_and_records_it)
{
	struct pool_member *m;
	unsigned long long lat, bw;

	put_raw(self, 2, "");
	ASSERT_EQ(0, load(_metadata, self));
	m = member(self, 2);

	ASSERT_EQ(0, pool_member_set_measured(m, 1, 400, 2500));
	EXPECT_STREQ("1 400 2500\n", file_text(self, 2));
	ASSERT_EQ(0, pool_member_get_measured(m, 1, &lat, &bw));
	EXPECT_EQ(400ULL, lat);
	EXPECT_EQ(2500ULL, bw);

	/* A lower node goes first; the same node is replaced. */
	put_raw(self, 2, "");
	ASSERT_EQ(0, pool_member_set_measured(m, 0, 18446744073709551615ULL,
					      1));
	EXPECT_STREQ("0 18446744073709551615 1\n", file_text(self, 2));
	put_raw(self, 2, "");
	ASSERT_EQ(0, pool_member_set_measured(m, 1, 300, 3000));
	EXPECT_EQ(0, pool_member_get_next_measured(m, -1));
	EXPECT_EQ(1, pool_member_get_next_measured(m, 0));
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(m, 1));
	ASSERT_EQ(0, pool_member_get_measured(m, 1, &lat, &bw));
	EXPECT_EQ(300ULL, lat);
	EXPECT_EQ(3000ULL, bw);
	ASSERT_EQ(0, pool_member_get_measured(m, 0, &lat, &bw));
	EXPECT_EQ(18446744073709551615ULL, lat);
	EXPECT_EQ(1ULL, bw);
	/* Other members are untouched. */
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(member(self, 0), -1));
}

TEST_F(measured, bad_arguments_write_nothing)
{
	struct pool_member *m;

	put_raw(self, 0, "0 95 18000\n");
	ASSERT_EQ(0, load(_metadata, self));
	m = member(self, 0);

	EXPECT_EQ(-EINVAL, pool_member_set_measured(m, -1, 10, 10));
	EXPECT_EQ(-EINVAL, pool_member_set_measured(m, 0, 0, 10));
	EXPECT_EQ(-EINVAL, pool_member_set_measured(m, 0, 10, 0));
	EXPECT_EQ(-EINVAL, pool_member_set_measured(NULL, 0, 10, 10));
	EXPECT_EQ(-EINVAL, pool_member_clear_measured(NULL));
	EXPECT_EQ(-EINVAL, pool_member_get_measured(NULL, 0, NULL, NULL));
	EXPECT_EQ(-EINVAL, pool_member_get_next_measured(NULL, -1));
	EXPECT_STREQ("0 95 18000\n", file_text(self, 0));
	EXPECT_EQ(0, pool_member_get_measured(m, 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(m, 1, NULL, NULL));
}

TEST_F(measured, failed_write_records_nothing)
{
	struct pool_member *m;
	char path[256];

	put_raw(self, 1, "0 120 7000\n");
	ASSERT_EQ(0, load(_metadata, self));
	m = member(self, 1);

	/* The member went away (or the module has no such file). */
	snprintf(path, sizeof(path), "%s/members/1/measured", self->sys);
	ASSERT_EQ(0, unlink(path));
	EXPECT_EQ(-ENOENT, pool_member_set_measured(m, 1, 10, 10));
	EXPECT_EQ(-ENOENT, pool_member_clear_measured(m));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(m, 1, NULL, NULL));
	EXPECT_EQ(0, pool_member_get_measured(m, 0, NULL, NULL));
	EXPECT_EQ(0, pool_member_get_next_measured(m, -1));
}

TEST_F(measured, clear_writes_clear_and_forgets)
{
	struct pool_member *m;

	put_raw(self, 0, "0 95 18000\n1 160 9000\n");
	ASSERT_EQ(0, load(_metadata, self));
	m = member(self, 0);

	put_raw(self, 0, "");
	ASSERT_EQ(0, pool_member_clear_measured(m));
	EXPECT_STREQ("clear\n", file_text(self, 0));
	EXPECT_EQ(-ENOENT, pool_member_get_measured(m, 0, NULL, NULL));
	EXPECT_EQ(-ENOENT, pool_member_get_next_measured(m, -1));
	/* And figures can come back. */
	ASSERT_EQ(0, pool_member_set_measured(m, 1, 1, 1));
	EXPECT_EQ(1, pool_member_get_next_measured(m, -1));
}

TEST(basis_names)
{
	EXPECT_STREQ("none", pool_basis_name(POOL_BASIS_NONE));
	EXPECT_STREQ("distance", pool_basis_name(POOL_BASIS_DISTANCE));
	EXPECT_STREQ("firmware", pool_basis_name(POOL_BASIS_FIRMWARE));
	EXPECT_STREQ("measured", pool_basis_name(POOL_BASIS_MEASURED));
	EXPECT_EQ(NULL, pool_basis_name(-1));
	EXPECT_EQ(NULL, pool_basis_name(4));
	EXPECT_EQ(-EINVAL, pool_buf_get_basis(NULL));
}

TEST_HARNESS_MAIN
