// SPDX-License-Identifier: GPL-2.0
/*
 * dma-bufs of peer members' allocations (PCI device memory): a "bar"
 * member's allocation exported, mapped through the dma-buf (same bytes
 * as the allocation's write-combined mapping, both ways), imported by a
 * PCI device behind the same switch (scalepool_import_test.ko's PCI
 * driver, bound by driver_override: its checksum of the bytes at the DMA
 * addresses equals user space's) and refused to importers that cannot
 * reach it (a platform device, a device on the root bus, an importer
 * that did not declare peer-to-peer); close orders; revocation (the
 * member removed while the dma-buf is mapped: SIGBUS, then ENODEV for
 * mmap, import and export).  The same for a "p2pmem" member (the NVMe
 * controller memory buffer behind the switch, on kernels with
 * CONFIG_PCI_P2PDMA), revoked by unbinding nvme.
 *
 * Runs in the guest of the "peer" topology (ivshmem-plain devices of 16
 * and 8 MiB behind a PCIe switch, one of 4 MiB on pcie.0) with
 * scalepool.ko loaded, as root.
 */
#include <dirent.h>
#include <signal.h>

#include "pool_test.h"
#include "kselftest_harness.h"


/* ---- the topology */

/* Gives @bdf back from the scalepool driver: unbound, no override. */
static void release_provider(const char *bdf)
{
	char path[PATH_MAX];

	t_write_file("/sys/bus/pci/drivers/scalepool/unbind", bdf);
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override", bdf);
	t_write_file(path, "\n");
}

/*
 * Binds @bdf to the scalepool PCI driver and adds its largest BAR as a
 * member through sysfs (through libpool this set-up took 35 s of the
 * harness's 30 on the debug kernel under TCG); the member id, or -errno.
 */
static int add_bar_member(const char *bdf)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override", bdf);
	ret = t_write_file(path, "scalepool");
	if (!ret)
		ret = t_write_file("/sys/bus/pci/drivers/scalepool/bind", bdf);
	if (!ret)
		ret = t_write_file("/sys/kernel/scalepool/add_bar", bdf);
	if (ret)
		return ret;
	ret = t_member_of_pci("bar", bdf);
	return ret < 0 ? -ENOENT : ret;
}

/* ---------------------------------------------------------------------- */

/*
 * A bar member on the first ivshmem behind the switch (the provider),
 * its other ivshmem (a near importer) and the one on pcie.0 (a far
 * importer), and a 1 MiB allocation on the member with its dma-buf.
 */
FIXTURE(bar) {
	char provider[NAME_MAX + 1];
	char near[NAME_MAX + 1];
	char far[NAME_MAX + 1];
	unsigned int member;
	int have_member;
	int fd;
	__u32 handle;
	char *map;
	int dfd;
	long long used0;
};

FIXTURE_SETUP(bar)
{
	struct t_pci_dev devs[8];
	int i, n, ret;

	_Static_assert(sizeof(devs[0].bdf) == sizeof(self->far), "bdf");
	__u64 offset;

	self->have_member = 0;
	self->fd = -1;
	self->dfd = -1;
	self->map = MAP_FAILED;
	self->provider[0] = self->near[0] = self->far[0] = '\0';
	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 1, devs, 8);
	for (i = 0; i < n; i++) {
		char *to = devs[i].root_bus ? self->far :
			   !self->provider[0] ? self->provider : self->near;

		memcpy(to, devs[i].bdf, sizeof(devs[i].bdf));
	}
	if (!self->provider[0] || !self->near[0] || !self->far[0])
		SKIP(return, "needs the peer topology's three free ivshmem devices");
	ASSERT_EQ(0, t_import_module_load());

	ret = add_bar_member(self->provider);
	ASSERT_LE(0, ret) {
		TH_LOG("adding a bar member of %s: %s", self->provider,
		       strerror(-ret));
	}
	self->member = ret;
	self->have_member = 1;
	self->used0 = t_member_ll(self->member, "used");

	test_open(&self->fd);
	test_cmd_alloc_on(self->fd, self->member, 0, M, &self->handle, &offset);
	self->map = t_map(self->fd, offset, M);
	ASSERT_NE(MAP_FAILED, self->map);
	test_cmd_export(self->fd, self->handle, 0, &self->dfd);
}

FIXTURE_TEARDOWN(bar)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, M);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	if (self->have_member) {
		EXPECT_EQ(self->used0, t_member_ll(self->member, "used"));
		t_remove_member(self->member);
	}
	if (self->provider[0])
		release_provider(self->provider);
}

TEST_F_TIMEOUT(bar, both_mappings_see_the_same_bytes, 180)
{
	char *d;

	EXPECT_EQ(-1, t_check_zero(self->map, M));
	d = t_dmabuf_map(self->dfd, M, 0);
	ASSERT_NE(MAP_FAILED, d);
	t_fill(self->map, M, 51);
	EXPECT_EQ(-1, t_check(d, M, 51));
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_RW));
	t_fill(d, M, 52);
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_END |
					    DMA_BUF_SYNC_RW));
	EXPECT_EQ(-1, t_check(self->map, M, 52));
	EXPECT_EQ(0, munmap(d, M));
}

TEST_F_TIMEOUT(bar, importer_behind_the_same_switch_reads_the_same_bytes, 180)
{
	struct sp_import_check c;
	int ret;

	t_fill(self->map, M, 53);
	ret = t_pci_bind(self->near, T_IMPORT_MODULE);
	ASSERT_EQ(0, ret) {
		TH_LOG("binding %s: %s", self->near, strerror(-ret));
	}
	ret = t_import_check(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK by %s: %s", self->near,
		       strerror(-ret));
	}
	EXPECT_EQ(M, c.size);
	EXPECT_EQ(M, c.length);
	EXPECT_EQ(1, c.nents);
	EXPECT_EQ(t_fnv64(self->map, M), c.checksum);
	/* A static importer does not say it can do peer-to-peer. */
	EXPECT_EQ(-EOPNOTSUPP, t_import_check(self->dfd, SP_IMPORT_PCI, &c));
	t_pci_unbind(self->near, T_IMPORT_MODULE);
}

TEST_F_TIMEOUT(bar, importers_that_cannot_reach_it_are_refused, 180)
{
	struct sp_import_check c;
	int ret;

	/* Not a PCI device. */
	EXPECT_EQ(-EOPNOTSUPP, t_import_check(self->dfd, 0, &c));
	EXPECT_EQ(-EREMOTEIO, t_import_check(self->dfd, SP_IMPORT_P2P, &c));
	/* On the root bus: the path crosses the host bridge. */
	ret = t_pci_bind(self->far, T_IMPORT_MODULE);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EREMOTEIO,
		  t_import_check(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c));
	t_pci_unbind(self->far, T_IMPORT_MODULE);
}

TEST_F_TIMEOUT(bar, free_and_close_then_the_dmabuf_holds_the_memory, 180)
{
	char *d;

	t_fill(self->map, M, 54);
	munmap(self->map, M);
	self->map = MAP_FAILED;
	test_cmd_free(self->fd, self->handle);
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(self->used0 + (long long)M,
		  t_member_ll(self->member, "used"));
	d = t_dmabuf_map(self->dfd, M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, M, 54));
	close(self->dfd);
	self->dfd = -1;
	EXPECT_EQ(self->used0 + (long long)M,
		  t_member_ll(self->member, "used"));
	EXPECT_EQ(0, munmap(d, M));
	/* The teardown checks that used is back. */
}

/*
 * After its peer memory went: the dma-buf's mapping @d (@len bytes) and
 * the allocation's own @map give SIGBUS, and nothing new comes of the
 * dma-buf @dfd or of @handle of @fd (mmap, import, export: ENODEV).
 * Unmaps @d.
 */
static void expect_revoked(struct __test_metadata *_metadata, int fd,
			   __u32 handle, int dfd, unsigned char *map,
			   unsigned char *d, size_t len)
{
	struct sp_import_check c;
	void *p;

	EXPECT_EQ(SIGBUS, t_read_signal(d));
	EXPECT_EQ(SIGBUS, t_read_signal(map));
	p = t_dmabuf_map(dfd, len, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-ENODEV, t_import_check(dfd, SP_IMPORT_P2P, &c));
	test_err_export(ENODEV, fd, handle, 0);
	EXPECT_EQ(0, munmap(d, len));
}

TEST_F_TIMEOUT(bar, removal_revokes_the_dmabuf, 180)
{
	unsigned char *d;

	d = t_dmabuf_map(self->dfd, M, 0);
	ASSERT_NE(MAP_FAILED, d);
	t_fill(d, M, 55);
	EXPECT_EQ(0, t_read_signal(d));
	ASSERT_EQ(0, t_remove_member(self->member));
	self->have_member = 0;
	/* Both mappings are zapped; nothing new comes of the dma-buf. */
	expect_revoked(_metadata, self->fd, self->handle, self->dfd,
		       (unsigned char *)self->map, d, M);
	/* The handle stays until FREE. */
	test_cmd_free(self->fd, self->handle);
}

/*
 * A dynamic importer holding a mapping when the member goes: it is told
 * (move_notify), unmaps, and cannot map again.  The old, static
 * exporter never told it and left it a mapping of the released BAR.
 */
TEST_F_TIMEOUT(bar, removal_invalidates_a_held_importer, 180)
{
	struct sp_import_hold h;
	int ifd, ret;

	ret = t_pci_bind(self->near, T_IMPORT_MODULE);
	ASSERT_EQ(0, ret);
	ifd = t_import_attach(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P);
	ASSERT_LE(0, ifd) {
		TH_LOG("SP_IMPORT_ATTACH by %s: %s", self->near,
		       strerror(-ifd));
	}
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	EXPECT_EQ(1, h.mapped);
	EXPECT_EQ(0, h.notified);
	ASSERT_EQ(0, t_remove_member(self->member));
	self->have_member = 0;
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	EXPECT_EQ(1, h.notified);
	EXPECT_EQ(0, h.mapped);
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_MAP, &h));
	EXPECT_EQ(-ENODEV, h.map_error);
	EXPECT_EQ(0, h.mapped);
	close(ifd);
	t_pci_unbind(self->near, T_IMPORT_MODULE);
	test_cmd_free(self->fd, self->handle);
}

/*
 * The dma-buf's file freed while an O_PATH open holds the dma-buf, its
 * slot reused by unrelated files, then the member goes: the revocation
 * must touch none of those files (the old module's cached pointer
 * zapped and fput() whatever file had taken the slot).
 */
TEST_F_TIMEOUT(bar, removal_after_the_dmabuf_file_was_freed, 180)
{
	int opath, i, n, fds[400];
	char path[64], c;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->dfd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	close(self->dfd);
	self->dfd = -1;
	for (n = 0; n + 1 < 400; n += 2)
		if (pipe(fds + n))
			break;
	ASSERT_EQ(0, t_remove_member(self->member));
	self->have_member = 0;
	EXPECT_EQ(SIGBUS, t_read_signal((unsigned char *)self->map));
	for (i = 0; i + 1 < n; i += 2) {
		c = 0;
		EXPECT_EQ(1, write(fds[i + 1], "y", 1));
		EXPECT_EQ(1, read(fds[i], &c, 1));
		EXPECT_EQ('y', c);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(opath);
	test_cmd_free(self->fd, self->handle);
}

/* ---------------------------------------------------------------------- */

#define NVME_DRIVER	"/sys/bus/pci/drivers/nvme"
#define P2P_LEN		(256 * T_KIB)

/* The p2pmem member of an NVMe behind the switch, its BDF into @bdf. */
static int p2pmem_member_behind_switch(char *bdf, size_t len)
{
	char kind[32], pci[64];
	__u32 ids[T_MAX_IDS];
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++) {
		if (t_member_attr(ids[i], "kind", kind, sizeof(kind)) ||
		    strcmp(kind, "p2pmem") ||
		    t_member_attr(ids[i], "pci", pci, sizeof(pci)) ||
		    !strncmp(pci + 5, "00:", 3))
			continue;
		snprintf(bdf, len, "%s", pci);
		return (int)ids[i];
	}
	return -1;
}

FIXTURE(p2pmem) {
	char nvme[64];
	char near[NAME_MAX + 1];
	char far[NAME_MAX + 1];
	unsigned int member;
	int fd;
	__u32 handle;
	char *map;
	int dfd;
	long long used0;
};

FIXTURE_SETUP(p2pmem)
{
	struct t_pci_dev devs[8];
	__u64 offset;
	int i, n, m;

	self->fd = -1;
	self->dfd = -1;
	self->map = MAP_FAILED;
	self->nvme[0] = self->near[0] = self->far[0] = '\0';
	if (!(t_query_caps() & SCALEPOOL_CAP_P2PMEM_MEMBERS))
		SKIP(return, "no p2pmem members: kernel without CONFIG_PCI_P2PDMA");
	m = p2pmem_member_behind_switch(self->nvme, sizeof(self->nvme));
	if (m < 0)
		SKIP(return, "no p2pmem member behind the switch (peer topology)");
	self->member = m;
	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 1, devs, 8);
	for (i = 0; i < n; i++) {
		char *to = devs[i].root_bus ? self->far : self->near;

		memcpy(to, devs[i].bdf, sizeof(devs[i].bdf));
	}
	if (!self->near[0] || !self->far[0])
		SKIP(return, "needs free ivshmem devices behind the switch and on pcie.0");
	ASSERT_EQ(0, t_import_module_load());
	self->used0 = t_member_ll(self->member, "used");
	test_open(&self->fd);
	test_cmd_alloc_on(self->fd, self->member, 0, P2P_LEN, &self->handle,
			  &offset);
	self->map = t_map(self->fd, offset, P2P_LEN);
	ASSERT_NE(MAP_FAILED, self->map);
	test_cmd_export(self->fd, self->handle, 0, &self->dfd);
}

FIXTURE_TEARDOWN(p2pmem)
{
	char path[PATH_MAX];

	if (self->map != MAP_FAILED)
		munmap(self->map, P2P_LEN);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	/* Leave the controller bound to nvme, as the guest booted. */
	if (self->nvme[0]) {
		snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver",
			 self->nvme);
		if (access(path, F_OK))
			t_write_file(NVME_DRIVER "/bind", self->nvme);
	}
}

TEST_F_TIMEOUT(p2pmem, both_mappings_and_importers, 180)
{
	struct sp_import_check c;
	char *d;
	int ret;

	d = t_dmabuf_map(self->dfd, P2P_LEN, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check_zero(d, P2P_LEN));
	t_fill(self->map, P2P_LEN, 61);
	EXPECT_EQ(-1, t_check(d, P2P_LEN, 61));
	t_fill(d, P2P_LEN, 62);
	EXPECT_EQ(-1, t_check(self->map, P2P_LEN, 62));

	/* Not PCI, or not peer-to-peer: refused. */
	EXPECT_EQ(-EOPNOTSUPP, t_import_check(self->dfd, 0, &c));
	EXPECT_EQ(-EREMOTEIO, t_import_check(self->dfd, SP_IMPORT_P2P, &c));

	/* Behind the same switch: the bytes at the DMA addresses. */
	ret = t_pci_bind(self->near, T_IMPORT_MODULE);
	ASSERT_EQ(0, ret);
	ret = t_import_check(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK by %s: %s", self->near,
		       strerror(-ret));
	}
	EXPECT_EQ(P2P_LEN, c.length);
	EXPECT_EQ(1, c.nents);
	EXPECT_EQ(t_fnv64(self->map, P2P_LEN), c.checksum);
	EXPECT_EQ(-EOPNOTSUPP, t_import_check(self->dfd, SP_IMPORT_PCI, &c));
	t_pci_unbind(self->near, T_IMPORT_MODULE);

	/* On the root bus: across the host bridge, no path. */
	ASSERT_EQ(0, t_pci_bind(self->far, T_IMPORT_MODULE));
	EXPECT_EQ(-EREMOTEIO,
		  t_import_check(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c));
	t_pci_unbind(self->far, T_IMPORT_MODULE);
	EXPECT_EQ(0, munmap(d, P2P_LEN));
}

TEST_F_TIMEOUT(p2pmem, free_and_close_then_the_dmabuf_holds_it, 180)
{
	char *d;

	t_fill(self->map, P2P_LEN, 63);
	munmap(self->map, P2P_LEN);
	self->map = MAP_FAILED;
	test_cmd_free(self->fd, self->handle);
	close(self->fd);
	self->fd = -1;
	d = t_dmabuf_map(self->dfd, P2P_LEN, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, P2P_LEN, 63));
	EXPECT_EQ(self->used0 + (long long)P2P_LEN,
		  t_member_ll(self->member, "used"));
	close(self->dfd);
	self->dfd = -1;
	EXPECT_EQ(0, munmap(d, P2P_LEN));
	EXPECT_EQ(self->used0, t_member_ll(self->member, "used"));
}

/* nvme unbinds while the dma-buf is mapped: SIGBUS, then ENODEV. */
TEST_F_TIMEOUT(p2pmem, driver_unbind_revokes_the_dmabuf, 180)
{
	unsigned char *d;

	d = t_dmabuf_map(self->dfd, P2P_LEN, 0);
	ASSERT_NE(MAP_FAILED, d);
	t_fill(d, P2P_LEN, 64);
	EXPECT_EQ(0, t_read_signal(d));
	ASSERT_EQ(0, t_write_file(NVME_DRIVER "/unbind", self->nvme));
	expect_revoked(_metadata, self->fd, self->handle, self->dfd,
		       (unsigned char *)self->map, d, P2P_LEN);
	test_cmd_free(self->fd, self->handle);
	ASSERT_EQ(0, t_write_file(NVME_DRIVER "/bind", self->nvme));
}

/*
 * nvme unbinds while an importer holds a mapping of the CMB: it is told,
 * and the unbind completes whether the importer unmaps at once or keeps
 * its stale mapping until it detaches (the revocation takes the page
 * references back).  With the old, static exporter the importer was
 * never told and the unbind waited for its pages forever.
 */
static void unbind_with_a_held_importer(struct __test_metadata *_metadata,
					FIXTURE_DATA(p2pmem) *self, __u32 keep)
{
	struct sp_import_hold h;
	int ifd;

	ASSERT_EQ(0, t_pci_bind(self->near, T_IMPORT_MODULE));
	ifd = t_import_attach(self->dfd, SP_IMPORT_PCI | SP_IMPORT_P2P | keep);
	ASSERT_LE(0, ifd);
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	EXPECT_EQ(1, h.mapped);
	ASSERT_EQ(0, t_write_file(NVME_DRIVER "/unbind", self->nvme));
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	EXPECT_EQ(1, h.notified);
	EXPECT_EQ(keep ? 1 : 0, h.mapped);
	EXPECT_EQ(SIGBUS, t_read_signal((unsigned char *)self->map));
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_MAP, &h));
	EXPECT_EQ(keep ? 0 : -ENODEV, h.map_error);
	EXPECT_EQ(0, ioctl(ifd, SP_IMPORT_DETACH));
	close(ifd);
	t_pci_unbind(self->near, T_IMPORT_MODULE);
	test_cmd_free(self->fd, self->handle);
	ASSERT_EQ(0, t_write_file(NVME_DRIVER "/bind", self->nvme));
}

TEST_F_TIMEOUT(p2pmem, unbind_with_an_importer_that_unmaps, 180)
{
	unbind_with_a_held_importer(_metadata, self, 0);
}

TEST_F_TIMEOUT(p2pmem, unbind_with_an_importer_that_keeps_its_mapping, 180)
{
	unbind_with_a_held_importer(_metadata, self, SP_IMPORT_KEEP);
}

TEST_HARNESS_MAIN
