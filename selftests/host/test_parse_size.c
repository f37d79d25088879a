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

struct good {
	const char *str;
	unsigned long long size;
};

/* Every string of @cases parses, to its size. */
static void expect_sizes(struct __test_metadata *_metadata,
			 const struct good *cases, size_t n)
{
	unsigned long long v;
	size_t i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, parse(cases[i].str, &v)) {
			TH_LOG("'%s' refused", cases[i].str);
		}
		EXPECT_EQ(cases[i].size, v) {
			TH_LOG("'%s'", cases[i].str);
		}
	}
}

TEST(plain_numbers)
{
	static const struct good cases[] = {
		{ "0", 0 }, { "4096", 4096 }, { "007", 7 },
		{ "18446744073709551615", ~0ULL },
	};

	expect_sizes(_metadata, cases, ARRAY_SIZE(cases));
}

TEST(binary_suffixes)
{
	static const struct good cases[] = {
		{ "1K", 1024 }, { "256M", 256ULL << 20 }, { "3G", 3ULL << 30 },
		{ "2T", 2ULL << 40 }, { "0M", 0 },
	};

	expect_sizes(_metadata, cases, ARRAY_SIZE(cases));
}

TEST(lower_case_and_iB)
{
	static const struct good cases[] = {
		{ "4k", 4096 }, { "1g", 1ULL << 30 },
		{ "256MiB", 256ULL << 20 }, { "1TiB", 1ULL << 40 },
	};

	expect_sizes(_metadata, cases, ARRAY_SIZE(cases));
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
