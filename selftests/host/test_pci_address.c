// SPDX-License-Identifier: GPL-2.0
/*
 * pool_pci_check_address(): the one check of a PCI device address, the
 * form sysfs names devices in, used by poolctl member add before the
 * module is needed and by pool_member_add_bar() and pool_alloc().
 */
#include <errno.h>
#include <stddef.h>

#include "kselftest_harness.h"

#include <libpool.h>

TEST(good_addresses)
{
	static const char *const good[] = {
		"0000:00:00.0", "0000:01:1f.7", "ffff:ff:00.1", "FFFF:0A:1F.7",
		"10000:00:01.0", "12345:0a:03.2", "7fffffff:00:00.0",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = pool_pci_check_address(good[i]);

		EXPECT_EQ(0, rc) {
			TH_LOG("address %zu was refused", i);
		}
	}
}

TEST(bad_addresses)
{
	static const char *const bad[] = {
		"000:00:00.0", "100000000:00:00.0", "80000000:00:00.0",
		"0000:100:00.0", "0000:00:20.0", "0000:00:00.8", "0000:0:00.0",
		"0000:00:00", "0000:00:00.0 ", "g000:00:00.0", "0000:00:0g.0",
		"0000-00:00.0", "", "pci:0000:00:00.0", "0000:00:00.0/",
		"00:00.0", "0000:00:00.00",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = pool_pci_check_address(bad[i]);

		EXPECT_EQ(-EINVAL, rc) {
			TH_LOG("address %zu was taken", i);
		}
	}
	EXPECT_EQ(-EINVAL, pool_pci_check_address(NULL));
}

TEST_HARNESS_MAIN
