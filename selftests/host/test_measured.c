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
	struct fake_sysfs fs;
};

FIXTURE_SETUP(measured)
{
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
}

FIXTURE_TEARDOWN(measured)
{
	fake_sysfs_destroy(&self->fs);
}

static int load(struct __test_metadata *_metadata,
		FIXTURE_DATA(measured) *self)
{
	return fake_sysfs_load(&self->fs);
}

static struct pool_member *member(FIXTURE_DATA(measured) *self,
				  unsigned int id)
{
	return pool_member_get_by_id(self->fs.ctx, id);
}

/* Member @id's measured file, at @path[256]. */
static char *measured_path(FIXTURE_DATA(measured) *self, unsigned int id,
			   char *path)
{
	snprintf(path, 256, "%s/members/%u/measured", self->fs.sys, id);
	return path;
}

/* @text verbatim (no newline added) as member @id's measured file. */
static void put_raw(FIXTURE_DATA(measured) *self, unsigned int id,
		    const char *text)
{
	char path[256];
	FILE *f;

	f = fopen(measured_path(self, id, path), "w");
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

	buf[0] = '\0';
	f = fopen(measured_path(self, id, path), "r");
	if (!f)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Member @m's figures from @initiator are @lat ns and @bw MB/s. */
static void expect_measured(struct __test_metadata *_metadata,
			    struct pool_member *m, int initiator,
			    unsigned long long lat, unsigned long long bw)
{
	unsigned long long got_lat, got_bw;

	ASSERT_EQ(0, pool_member_get_measured(m, initiator, &got_lat,
					      &got_bw));
	EXPECT_EQ(lat, got_lat);
	EXPECT_EQ(bw, got_bw);
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
	expect_measured(_metadata, m, 0, 95ULL, 18000ULL);
	expect_measured(_metadata, m, 1, 160ULL, 9000ULL);
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
	expect_measured(_metadata, m, 1, 400ULL, 2500ULL);
	EXPECT_EQ(-ENOENT, pool_member_get_measured(member(self, 1), 0,
						    NULL, NULL));
}

TEST_F(measured, refresh_sees_new_figures)
{
	unsigned long long lat;

	ASSERT_EQ(0, load(_metadata, self));
	put_raw(self, 1, "0 120 7000\n");
	ASSERT_EQ(0, pool_refresh(self->fs.ctx));
	ASSERT_EQ(0, pool_member_get_measured(member(self, 1), 0, &lat, NULL));
	EXPECT_EQ(120ULL, lat);
	put_raw(self, 1, "");
	ASSERT_EQ(0, pool_refresh(self->fs.ctx));
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
		EXPECT_EQ(0, pool_get_nr_members(self->fs.ctx));
	}
	put_raw(self, 1, "0 10 20\n");
	EXPECT_EQ(0, load(_metadata, self));
	EXPECT_EQ(3, pool_get_nr_members(self->fs.ctx));
}

TEST_F(measured, set_writes_one_line_and_records_it)
{
	struct pool_member *m;

	put_raw(self, 2, "");
	ASSERT_EQ(0, load(_metadata, self));
	m = member(self, 2);

	ASSERT_EQ(0, pool_member_set_measured(m, 1, 400, 2500));
	EXPECT_STREQ("1 400 2500\n", file_text(self, 2));
	expect_measured(_metadata, m, 1, 400ULL, 2500ULL);

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
	expect_measured(_metadata, m, 1, 300ULL, 3000ULL);
	expect_measured(_metadata, m, 0, 18446744073709551615ULL, 1ULL);
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
	snprintf(path, sizeof(path), "%s/members/1/measured", self->fs.sys);
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
