// SPDX-License-Identifier: GPL-2.0
/*
 * pool_format_size(): units, rounding, buffer sizes.
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include <libpool.h>

static const char *fmt(unsigned long long bytes)
{
	static char buf[32];

	if (pool_format_size(bytes, buf, sizeof(buf)) < 0)
		return "(error)";
	return buf;
}

TEST(bytes)
{
	EXPECT_STREQ("0 B", fmt(0));
	EXPECT_STREQ("1 B", fmt(1));
	EXPECT_STREQ("1023 B", fmt(1023));
}

TEST(units)
{
	EXPECT_STREQ("1.0 KiB", fmt(1024));
	EXPECT_STREQ("256.0 MiB", fmt(256ULL << 20));
	EXPECT_STREQ("1.5 GiB", fmt(3ULL << 29));
	EXPECT_STREQ("4.0 TiB", fmt(4ULL << 40));
	EXPECT_STREQ("1.0 PiB", fmt(1ULL << 50));
	EXPECT_STREQ("16.0 EiB", fmt(~0ULL));
}

TEST(rounding)
{
	/* 1.04 KiB rounds down, 1.05 KiB up, 1023.96 KiB to 1.0 MiB. */
	EXPECT_STREQ("1.0 KiB", fmt(1065));
	EXPECT_STREQ("1.1 KiB", fmt(1076));
	EXPECT_STREQ("1.0 MiB", fmt((1ULL << 20) - 40));
	EXPECT_STREQ("2.0 GiB", fmt((2ULL << 30) - 1));
}

TEST(buffer_size)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	EXPECT_EQ(9, pool_format_size(256ULL << 20, buf, 10));
	EXPECT_STREQ("256.0 MiB", buf);
	EXPECT_EQ(-ENOSPC, pool_format_size(256ULL << 20, buf, 9));
	EXPECT_EQ(-ENOSPC, pool_format_size(5, buf, 0));
	EXPECT_EQ(-EINVAL, pool_format_size(5, NULL, 8));
}

TEST_HARNESS_MAIN
