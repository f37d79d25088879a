// SPDX-License-Identifier: GPL-2.0
/*
 * pool_parse_size(): plain numbers, binary suffixes, overflow, garbage.
 */
#include <errno.h>
#include <stddef.h>

#include "kselftest_harness.h"

#include <libpool.h>

/* A value that pool_parse_size() must leave alone on failure. */
#define POISON 0xdeadbeefULL

static int parse(const char *str, unsigned long long *v)
{
	*v = POISON;
	return pool_parse_size(str, v);
}

TEST(plain_numbers)
{
	unsigned long long v;

	ASSERT_EQ(0, parse("0", &v));
	EXPECT_EQ(0ULL, v);
	ASSERT_EQ(0, parse("4096", &v));
	EXPECT_EQ(4096ULL, v);
	ASSERT_EQ(0, parse("007", &v));
	EXPECT_EQ(7ULL, v);
	ASSERT_EQ(0, parse("18446744073709551615", &v));
	EXPECT_EQ(~0ULL, v);
}

TEST(binary_suffixes)
{
	unsigned long long v;

	ASSERT_EQ(0, parse("1K", &v));
	EXPECT_EQ(1024ULL, v);
	ASSERT_EQ(0, parse("256M", &v));
	EXPECT_EQ(256ULL << 20, v);
	ASSERT_EQ(0, parse("3G", &v));
	EXPECT_EQ(3ULL << 30, v);
	ASSERT_EQ(0, parse("2T", &v));
	EXPECT_EQ(2ULL << 40, v);
	ASSERT_EQ(0, parse("0M", &v));
	EXPECT_EQ(0ULL, v);
}

TEST(lower_case_and_iB)
{
	unsigned long long v;

	ASSERT_EQ(0, parse("4k", &v));
	EXPECT_EQ(4096ULL, v);
	ASSERT_EQ(0, parse("1g", &v));
	EXPECT_EQ(1ULL << 30, v);
	ASSERT_EQ(0, parse("256MiB", &v));
	EXPECT_EQ(256ULL << 20, v);
	ASSERT_EQ(0, parse("1TiB", &v));
	EXPECT_EQ(1ULL << 40, v);
}

TEST(overflow)
{
	unsigned long long v;

	EXPECT_EQ(-EOVERFLOW, parse("18446744073709551616", &v));
	EXPECT_EQ(POISON, v);
	EXPECT_EQ(-EOVERFLOW, parse("99999999999999999999999", &v));
	/* 2^24 T = 2^64: one past the largest. */
	EXPECT_EQ(-EOVERFLOW, parse("16777216T", &v));
	EXPECT_EQ(0, parse("16777215T", &v));
	EXPECT_EQ(16777215ULL << 40, v);
	EXPECT_EQ(-EOVERFLOW, parse("17179869184G", &v));
	EXPECT_EQ(-EOVERFLOW, parse("18014398509481984K", &v));
	EXPECT_EQ(POISON, v);
}

TEST(garbage)
{
	static const char *const bad[] = {
		"-1", "+1", " 1", "1 ", "M", "1X", "1MB", "1Mi", "1MiBx",
		"1.5G", "0x10", "1KK", "12a", "1\n", "1e3",
	};
	unsigned long long v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, parse(bad[i], &v)) {
			TH_LOG("'%s' accepted", bad[i]);
		}
		EXPECT_EQ(POISON, v);
	}
}

TEST(empty_and_null)
{
	unsigned long long v;

	EXPECT_EQ(-EINVAL, parse("", &v));
	EXPECT_EQ(POISON, v);
	EXPECT_EQ(-EINVAL, pool_parse_size(NULL, &v));
	EXPECT_EQ(-EINVAL, pool_parse_size("1", NULL));
}

TEST_HARNESS_MAIN
