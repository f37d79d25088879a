// SPDX-License-Identifier: GPL-2.0
/*
 * pool_new() on a machine without the scalepool module, through the
 * shared library: what every program sees on a host.
 */
#include <errno.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include <libpool.h>

TEST(no_module_is_enodev)
{
	struct pool_ctx *ctx = (struct pool_ctx *)0x1;

	if (access("/sys/module/scalepool", F_OK) == 0)
		SKIP(return, "the scalepool module is loaded here");
	EXPECT_EQ(-ENODEV, pool_new(&ctx));
	/* Untouched on failure. */
	EXPECT_EQ((struct pool_ctx *)0x1, ctx);
}

TEST(null_argument)
{
	EXPECT_EQ(-EINVAL, pool_new(NULL));
}

TEST(null_refs_are_ignored)
{
	EXPECT_EQ(NULL, pool_ref(NULL));
	pool_unref(NULL);
}

TEST_HARNESS_MAIN
