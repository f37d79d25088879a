// SPDX-License-Identifier: GPL-2.0
/*
 * "p2pmem" members: memory that the NVMe driver publishes through PCI
 * P2PDMA (QEMU's controller memory buffer) appears as a member with the
 * CMB's size, allocations come from the driver's P2PDMA pool (its
 * p2pmem/available drops and comes back), are zeroed, mapped and
 * verified; unbinding nvme with a live mapping revokes it (SIGBUS, no
 * kernel report) and the member goes, rebinding brings it back.  Runs
 * in the guest of the "peer" topology; skipped on kernels without
 * CONFIG_PCI_P2PDMA (Debian's stock kernel).
 */
#include <signal.h>
#include <sys/wait.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define PCI_DEVS	"/sys/bus/pci/devices"
#define NVME_DRV	"/sys/bus/pci/drivers/nvme"
#define LEN		(256 * T_KIB)

static long long dev_ll(const char *bdf, const char *attr)
{
	char path[512];

	snprintf(path, sizeof(path), PCI_DEVS "/%s/%s", bdf, attr);
	return t_read_ll(path);
}

/* The first NVMe controller that published P2PDMA memory. */
static int find_published(char *bdf, size_t len)
{
	DIR *d = opendir(PCI_DEVS);
	struct dirent *de;
	int ret = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.' &&
		    dev_ll(de->d_name, "p2pmem/published") == 1) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

FIXTURE(p2pmem) {
	char bdf[300];
	int fd;
	int id;
};

FIXTURE_SETUP(p2pmem)
{
	self->fd = -1;
	if (!(t_query_caps() & SCALEPOOL_CAP_P2PMEM_MEMBERS))
		SKIP(return, "kernel without CONFIG_PCI_P2PDMA");
	ASSERT_EQ(0, find_published(self->bdf, sizeof(self->bdf))) {
		TH_LOG("no NVMe controller published its CMB (p2pmem)");
	}
	test_open(&self->fd);
	self->id = t_member_of_pci("p2pmem", self->bdf);
	ASSERT_LE(0, self->id);
}

FIXTURE_TEARDOWN(p2pmem)
{
	char path[512];

	if (self->fd >= 0)
		close(self->fd);
	/* Leave the controller bound to nvme, as the guest booted. */
	snprintf(path, sizeof(path), PCI_DEVS "/%s/driver", self->bdf);
	if (self->bdf[0] && access(path, F_OK))
		t_write_file(NVME_DRV "/bind", self->bdf);
}

TEST_F(p2pmem, member_has_the_cmb)
{
	char buf[64];
	long long size = dev_ll(self->bdf, "p2pmem/size");

	ASSERT_LT(0, size);
	EXPECT_EQ(size, t_member_ll(self->id, "capacity"));
	ASSERT_EQ(0, t_member_attr(self->id, "memory", buf, sizeof(buf)));
	EXPECT_STREQ("pci", buf);
	ASSERT_EQ(0, t_member_attr(self->id, "pci", buf, sizeof(buf)));
	EXPECT_STREQ(self->bdf, buf);
	EXPECT_LE(0, t_member_ll(self->id, "bar"));
	EXPECT_GT(6, t_member_ll(self->id, "bar"));
	/* It follows its driver: remove_member refuses it. */
	snprintf(buf, sizeof(buf), "%d", self->id);
	EXPECT_EQ(-EINVAL, t_write_file("/sys/kernel/scalepool/remove_member",
					buf));
}

TEST_F(p2pmem, alloc_from_the_driver_pool)
{
	long long avail = dev_ll(self->bdf, "p2pmem/available");
	struct scalepool_placement pl[2];
	struct scalepool_info info;
	unsigned char *p;
	__u64 off;
	__u32 h;

	ASSERT_LE((long long)LEN, avail);
	test_cmd_alloc_on(self->fd, self->id, 0, LEN, &h, &off);
	EXPECT_EQ(avail - (long long)LEN, dev_ll(self->bdf, "p2pmem/available"));
	EXPECT_EQ((long long)LEN, t_member_ll(self->id, "used"));
	test_cmd_info(self->fd, h, &info, pl, 2);
	ASSERT_EQ(1U, info.nr_placements);
	EXPECT_EQ((__u32)self->id, pl[0].member);

	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, LEN));
	t_fill(p, LEN, 7);
	EXPECT_EQ(-1, t_check(p, LEN, 7));
	munmap(p, LEN);
	/* Mapped again, the data is still there: it is the CMB's. */
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check(p, LEN, 7));
	munmap(p, LEN);
	test_cmd_free(self->fd, h);
	EXPECT_EQ(avail, dev_ll(self->bdf, "p2pmem/available"));
	EXPECT_EQ(0, t_member_ll(self->id, "used"));

	/* Reused memory is zeroed. */
	test_cmd_alloc_on(self->fd, self->id, 0, LEN, &h, &off);
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, LEN));
	munmap(p, LEN);
	test_cmd_free(self->fd, h);
	/* Larger than the CMB. */
	test_err_alloc_on(ENOMEM, self->fd, self->id, 0, t_member_ll(self->id,
			  "capacity") + T_MIB, &h, NULL);
}

/*
 * MADV_POPULATE_* cannot fill p2pmem mappings: GUP refuses P2PDMA pages
 * without FOLL_PCI_P2PDMA (-EREMOTEIO, which 6.12's madvise turns into
 * ENOMEM, logging "unhandled return value" once), as for the kernel's
 * own p2pmem mmap.  SCALEPOOL_ALLOC_POPULATE maps them instead.
 */
TEST_F(p2pmem, madv_populate_refused_alloc_populate_works)
{
	unsigned char *p;
	__u64 off;
	__u32 h;

	test_cmd_alloc_on(self->fd, self->id, 0, LEN, &h, &off);
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, madvise(p, LEN, MADV_POPULATE_WRITE));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(-1, madvise(p, LEN, MADV_POPULATE_READ));
	EXPECT_EQ(ENOMEM, errno);
	/* Nothing lost: the pages fault in as usual. */
	t_fill(p, LEN, 3);
	EXPECT_EQ(-1, t_check(p, LEN, 3));
	munmap(p, LEN);
	test_cmd_free(self->fd, h);

	test_cmd_alloc_on(self->fd, self->id, SCALEPOOL_ALLOC_POPULATE, LEN,
			  &h, &off);
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	/* Mapped at mmap: touching every page takes few faults. */
	EXPECT_GT((long)(LEN / T_PAGE) / 8, t_touch_faults(p, LEN, 0x5a));
	munmap(p, LEN);
	test_cmd_free(self->fd, h);
}

/* A live mapping when nvme unbinds: SIGBUS, no report; then rebind. */
TEST_F(p2pmem, driver_unbind_revokes)
{
	volatile unsigned char *p;
	struct t_reader reader = { .pid = -1, .go = -1 };
	int status, id2;
	char path[512];
	__u64 off;
	__u32 h;

	test_cmd_alloc_on(self->fd, self->id, 0, LEN, &h, &off);
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	memset((void *)p, 0x5a, LEN);
	ASSERT_EQ(0, t_reader_start(&reader, p, 8192, 0x5a));
	/* Returns only once the pages are back: memunmap_pages() waits. */
	ASSERT_EQ(0, t_write_file(NVME_DRV "/unbind", self->bdf));
	snprintf(path, sizeof(path), T_MEMBERS "/%d", self->id);
	EXPECT_NE(0, access(path, F_OK));
	EXPECT_EQ(-1, t_member_of_pci("p2pmem", self->bdf));
	ASSERT_EQ(0, t_reader_finish(&reader, &status));
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("child exited with %d, no SIGBUS", WEXITSTATUS(status));
	}
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	EXPECT_EQ(0, munmap((void *)p, LEN));
	test_cmd_free(self->fd, h);

	/* The driver comes back, and so does the member, with a new id. */
	ASSERT_EQ(0, t_write_file(NVME_DRV "/bind", self->bdf));
	id2 = t_member_of_pci("p2pmem", self->bdf);
	ASSERT_LE(0, id2);
	EXPECT_NE(self->id, id2);
	EXPECT_EQ(dev_ll(self->bdf, "p2pmem/size"),
		  t_member_ll(id2, "capacity"));
	test_cmd_alloc_on(self->fd, id2, 0, LEN, &h, &off);
	p = t_map(self->fd, off, LEN);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero((void *)p, LEN));
	munmap((void *)p, LEN);
	test_cmd_free(self->fd, h);
}

/* FREE and close while nvme is bound, then unbind: nothing left over. */
TEST_F(p2pmem, unbind_after_free)
{
	__u32 h;

	test_cmd_alloc_on(self->fd, self->id, 0, LEN, &h, NULL);
	test_cmd_free(self->fd, h);
	ASSERT_EQ(0, t_write_file(NVME_DRV "/unbind", self->bdf));
	EXPECT_EQ(-1, t_member_of_pci("p2pmem", self->bdf));
	ASSERT_EQ(0, t_write_file(NVME_DRV "/bind", self->bdf));
	EXPECT_LE(0, t_member_of_pci("p2pmem", self->bdf));
}

TEST_HARNESS_MAIN
