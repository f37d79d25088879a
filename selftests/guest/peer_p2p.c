// SPDX-License-Identifier: GPL-2.0
/*
 * Peer-to-peer paths of bar members: which devices count as near for
 * NEAREST with a PCI initiator, and which DMA address an importer of a
 * bar member's dma-buf gets, by the kind of path P2PDMA sees:
 *
 * - through the PCIe switch (P2PDMA's MAP_BUS_ADDR): the BAR's PCI bus
 *   address (read here from the device's config space, not from the
 *   kernel), no DMA mapping;
 * - through the host bridge: on a kernel with P2PDMA and a CPU whose host
 *   bridge it trusts (AMD family 0x17 and later; the peer-hostbridge
 *   topology's CPUs), a DMA mapping of the CPU physical address
 *   (MAP_THRU_HOST_BRIDGE; without an IOMMU the physical address itself);
 *   otherwise refused with EREMOTEIO.  Either way such a member is no
 *   candidate for NEAREST: the path is no nearer than RAM.
 *
 * Runs in the peer, peer-hostbridge and peer-iommu topologies (two
 * ivshmem devices behind a switch, one on pcie.0), on both kernels: the
 * expectations follow from the kernel's P2PDMA support
 * (SCALEPOOL_CAP_P2PMEM_MEMBERS), the CPU and the IOMMU.  Under QEMU on
 * x86 the bus address equals the CPU address (no bus offset), so without
 * an IOMMU the two kinds of address coincide in value; behind the IOMMU
 * of peer-iommu a DMA mapping is an I/O virtual address, and only the
 * bus address is right for the importer behind the switch.
 */
#include <dirent.h>
#include <sys/wait.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define MAX_DEVS	8

/* Would 6.12's P2PDMA let pcie.0 reach the switch (cpu_supports_p2pdma)? */
static int host_bridge_trusted(void)
{
	char line[256];
	int amd = 0, family = -1;
	FILE *f;

	if (!(t_query_caps() & SCALEPOOL_CAP_P2PMEM_MEMBERS))
		return 0;	/* no P2PDMA: no whitelist either */
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vendor_id", 9))
			amd = !!strstr(line, "AuthenticAMD");
		else if (!strncmp(line, "cpu family", 10))
			sscanf(strchr(line, ':') + 1, "%d", &family);
		if (family >= 0 && strstr(line, "model name"))
			break;
	}
	fclose(f);
	return amd && family >= 0x17;
}

/* Is @bdf behind an IOMMU (DMA addresses are I/O virtual addresses)? */
static int behind_iommu(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/iommu_group", bdf);
	return !access(path, F_OK);
}

/* The bus address of 64-bit memory BAR @bar, from config space. */
static unsigned long long bar_bus_address(const char *bdf, int bar)
{
	char path[PATH_MAX];
	unsigned int lo = 0, hi = 0;
	int fd;

	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/config", bdf);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &lo, 4, 0x10 + 4 * bar) != 4 ||
	    pread(fd, &hi, 4, 0x14 + 4 * bar) != 4)
		lo = hi = 0;
	close(fd);
	return ((unsigned long long)hi << 32) | (lo & ~0xfU);
}

/* The CPU physical address and size of BAR @bar (sysfs "resource"). */
static unsigned long long bar_cpu_address(const char *bdf, int bar,
					  unsigned long long *size)
{
	struct t_bar_res r;

	t_pci_bar_res(bdf, bar, &r);
	*size = t_pci_bar_size(bdf, bar);
	return r.start;
}

/* NEAREST (set @ids of @n, or every member) for PCI device @bdf. */
static int nearest_for(int fd, const char *bdf, const __u32 *ids, int n)
{
	struct t_pci_id id = t_pci_id_of(bdf);
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.flags = SCALEPOOL_ALLOC_PCI_INITIATOR,
		.length = M,
		.policy = SCALEPOOL_POLICY_NEAREST,
		.nr_members = n,
		.members_ptr = (uintptr_t)ids,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
		.initiator_pci_domain = id.domain,
		.initiator_pci_bdf = id.bdf,
	};

	return t_alloc_where(fd, &a, NULL);
}

/*
 * The larger ivshmem behind the switch is the provider, a bar member
 * (BAR 2); the other one behind the switch is the near device, the one
 * on pcie.0 the far device.
 */
FIXTURE(p2p) {
	char provider[NAME_MAX + 1];
	char near[NAME_MAX + 1];
	char far[NAME_MAX + 1];
	unsigned long long size;
	int member;
	int trusted;
	int fd;
};

FIXTURE_SETUP(p2p)
{
	struct t_pci_dev devs[MAX_DEVS];
	unsigned long long sz, best = 0;
	int i, n;

	self->member = -1;
	self->fd = -1;
	self->provider[0] = self->near[0] = self->far[0] = '\0';
	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 1, devs,
		       MAX_DEVS);
	for (i = 0; i < n; i++) {
		if (devs[i].root_bus) {
			memcpy(self->far, devs[i].bdf, sizeof(self->far));
			continue;
		}
		bar_cpu_address(devs[i].bdf, 2, &sz);
		if (sz > best) {
			if (self->provider[0])
				memcpy(self->near, self->provider,
				       sizeof(self->near));
			memcpy(self->provider, devs[i].bdf,
			       sizeof(self->provider));
			best = sz;
		} else {
			memcpy(self->near, devs[i].bdf, sizeof(self->near));
		}
	}
	if (!self->provider[0] || !self->near[0] || !self->far[0])
		SKIP(return, "needs two free ivshmem devices behind a switch and one on pcie.0");
	self->size = best;
	self->trusted = host_bridge_trusted();
	TH_LOG("provider %s, near %s, far %s; host bridge %s", self->provider,
	       self->near, self->far, self->trusted ? "trusted" : "not trusted");

	ASSERT_EQ(0, t_import_module_load());
	ASSERT_EQ(0, t_pci_bind(self->provider, T_SP_DRIVER));
	ASSERT_EQ(0, t_write_file(T_SYSFS "/add_bar", self->provider));
	self->member = t_member_of_pci("bar", self->provider);
	ASSERT_LE(0, self->member);
	test_open(&self->fd);
}

FIXTURE_TEARDOWN(p2p)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->member >= 0) {
		EXPECT_EQ(0, t_member_ll(self->member, "used"));
		t_remove_member(self->member);
	}
	if (self->provider[0])
		t_pci_unbind(self->provider, T_SP_DRIVER);
}

/* peer_distance: 4 through the switch; through the host bridge if trusted. */
TEST_F(p2p, distances)
{
	int far_id, near_id, seen = 0, other;
	char path[256], line[64];
	long long dist;
	FILE *f;

	ASSERT_EQ(0, t_pci_bind(self->far, T_SP_DRIVER));
	ASSERT_EQ(0, t_pci_bind(self->near, T_SP_DRIVER));
	ASSERT_EQ(0, t_write_file(T_SYSFS "/add_bar", self->far));
	ASSERT_EQ(0, t_write_file(T_SYSFS "/add_bar", self->near));
	far_id = t_member_of_pci("bar", self->far);
	near_id = t_member_of_pci("bar", self->near);
	snprintf(path, sizeof(path), T_MEMBERS "/%d/peer_distance",
		 self->member);
	f = fopen(path, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		ASSERT_EQ(2, sscanf(line, "%d %lld", &other, &dist));
		if (other == near_id) {
			EXPECT_EQ(4, dist);
			seen++;
		} else if (other == far_id) {
			/* Up to the root port and down: farther than 4. */
			if (self->trusted) {
				EXPECT_LT(4, dist);
			} else {
				EXPECT_EQ(-1, dist);
			}
			seen++;
		}
	}
	fclose(f);
	EXPECT_EQ(2, seen);
	t_remove_member(far_id);
	t_remove_member(near_id);
	t_pci_unbind(self->far, T_SP_DRIVER);
	t_pci_unbind(self->near, T_SP_DRIVER);
}

/*
 * NEAREST for the far device never picks the member behind the switch,
 * trusted host bridge or not: alone in the set it leaves no candidate
 * (ENOMEM), among every member a node member wins (the NVMe CMB on
 * pcie.0 of the peer topology is not reached either).  The near device
 * gets it.
 */
TEST_F(p2p, nearest_skips_paths_through_the_host_bridge)
{
	__u32 set[1] = { self->member };
	char kind[32];
	int id;

	EXPECT_EQ(-ENOMEM, nearest_for(self->fd, self->far, set, 1));
	id = nearest_for(self->fd, self->far, NULL, 0);
	ASSERT_LE(0, id);
	EXPECT_NE(self->member, id);
	ASSERT_EQ(0, t_member_attr(id, "kind", kind, sizeof(kind)));
	EXPECT_STREQ("node", kind);

	EXPECT_EQ(self->member, nearest_for(self->fd, self->near, set, 1));
	/* Or the NVMe CMB behind the same switch (debug kernel, peer). */
	id = nearest_for(self->fd, self->near, NULL, 0);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, t_member_attr(id, "kind", kind, sizeof(kind)));
	EXPECT_TRUE(id == self->member || !strcmp(kind, "p2pmem")) {
		TH_LOG("got member %d (%s)", id, kind);
	}
	EXPECT_EQ(0, t_member_ll(self->member, "used"));
}

/*
 * Exports the whole BAR (so that the extent starts at the BAR's start),
 * filled with a pattern; imports it with @bdf bound to the importer
 * module.  0 and @c filled, or -errno of the import.
 */
static int import_whole_bar(struct __test_metadata *_metadata,
			    FIXTURE_DATA(p2p) *self, const char *bdf,
			    struct sp_import_check *c, __u64 *want_sum)
{
	__u64 off;
	__u32 h;
	void *p;
	int dfd, ret;

	ret = _test_cmd_alloc_on(self->fd, self->member, 0, self->size, &h, &off);
	if (ret)
		return ret;
	p = t_map(self->fd, off, self->size);
	if (p == MAP_FAILED) {
		_test_cmd_free(self->fd, h);
		return -errno;
	}
	t_fill(p, self->size, 0x1234);
	*want_sum = t_fnv64(p, self->size);
	munmap(p, self->size);
	dfd = _test_cmd_export(self->fd, h, 0);
	_test_cmd_free(self->fd, h);
	if (dfd < 0)
		return dfd;
	ret = t_pci_bind(bdf, T_IMPORT_MODULE);
	if (!ret) {
		/* Behind an IOMMU the module cannot read what it maps. */
		ret = t_import_check(dfd, SP_IMPORT_PCI | SP_IMPORT_P2P |
				     (behind_iommu(bdf) ?
				      SP_IMPORT_ADDR_ONLY : 0), c);
		t_pci_unbind(bdf, T_IMPORT_MODULE);
	}
	close(dfd);
	return ret;
}

/* Through the switch: the PCI bus address the device decodes. */
TEST_F_TIMEOUT(p2p, importer_behind_the_switch_gets_the_bus_address, 180)
{
	struct sp_import_check c;
	__u64 sum;

	ASSERT_EQ(0, import_whole_bar(_metadata, self, self->near, &c, &sum));
	/* Not an I/O virtual address, behind an IOMMU (peer-iommu) too. */
	EXPECT_EQ(bar_bus_address(self->provider, 2), c.dma_addr);
	EXPECT_EQ(self->size, c.length);
	if (!behind_iommu(self->near)) {
		EXPECT_EQ(sum, c.checksum);
	}
}

/*
 * Through the host bridge: a DMA mapping of the CPU physical address
 * (no IOMMU here: the address itself) where P2PDMA trusts the bridge,
 * else EREMOTEIO.
 */
TEST_F_TIMEOUT(p2p, importer_across_the_host_bridge, 180)
{
	unsigned long long cpu, size;
	struct sp_import_check c;
	__u64 sum;
	int ret;

	cpu = bar_cpu_address(self->provider, 2, &size);
	ret = import_whole_bar(_metadata, self, self->far, &c, &sum);
	if (!self->trusted) {
		EXPECT_EQ(-EREMOTEIO, ret);
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(self->size, c.length);
	if (behind_iommu(self->far))
		return;		/* an I/O virtual address: nothing to compare */
	EXPECT_EQ(cpu, c.dma_addr);
	EXPECT_EQ(sum, c.checksum);
}

TEST_HARNESS_MAIN
