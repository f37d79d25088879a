// SPDX-License-Identifier: GPL-2.0
/*
 * "bar" members through the kernel's own interface: the scalepool PCI
 * driver, /sys/kernel/scalepool/add_bar and remove_member, allocations
 * mapped and checked, zeroing of reused BAR memory, revocation (remove
 * and unbind with a live mapping: SIGBUS in the process, no kernel
 * report, which tools/vm/run turns into a failure), re-adding, every
 * bad input with its errno, BARs that are not prefetchable (refused
 * unless named), zeroing in chunks and allocations killed while they
 * zero, peer distances and the placement rules.
 * Runs in the guest of the "peer" topology (three ivshmem-plain devices:
 * two behind a PCIe switch, one on pcie.0, and QEMU's edu device) with
 * the module loaded.
 */
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define MAX_DEVS	8

#define PAT_LIST "/sys/kernel/debug/x86/pat_memtype_list"

/*
 * 1 when PAT has a write-combining range inside BAR @bar of @bdf
 * ("PAT: [mem 0x...-0x...] write-combining"), 0 when it has only other
 * types there, -1 when nothing there.
 */
static int pat_wc_in_bar(const char *bdf, int bar)
{
	unsigned long long s, e, bs, be;
	struct t_bar_res r;
	char line[256];
	int ret = -1;
	FILE *f;

	if (t_pci_bar_res(bdf, bar, &r))
		return -1;
	s = r.start;
	e = r.end;
	f = fopen(PAT_LIST, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "PAT: [mem %llx-%llx]", &bs, &be) != 2 ||
		    bs < s || bs > e)
			continue;
		if (strstr(line, "write-combining")) {
			ret = 1;
			break;
		}
		ret = 0;
	}
	fclose(f);
	return ret;
}

FIXTURE(bar) {
	struct t_pci_dev devs[MAX_DEVS];	/* the ivshmem devices */
	int nr_devs;
	int fd;
	const char *bdf;	/* behind the switch, the larger one */
	unsigned long long size;
};

FIXTURE_SETUP(bar)
{
	int i;

	test_open(&self->fd);
	self->nr_devs = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 0,
				   self->devs, MAX_DEVS);
	if (self->nr_devs < 3)
		SKIP(return, "needs the peer topology's three ivshmem devices");
	self->bdf = NULL;
	for (i = 0; i < self->nr_devs; i++) {
		unsigned long long bar2 = t_pci_bar_size(self->devs[i].bdf, 2);

		if (!self->devs[i].root_bus &&
		    (!self->bdf || bar2 > self->size)) {
			self->bdf = self->devs[i].bdf;
			self->size = bar2;
		}
	}
	ASSERT_NE(NULL, self->bdf);
	ASSERT_LE(T_MIB, self->size);
}

FIXTURE_TEARDOWN(bar)
{
	int i, id;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < self->nr_devs; i++) {
		id = t_member_of_pci("bar", self->devs[i].bdf);
		if (id >= 0)
			t_remove_member(id);
		t_pci_unbind(self->devs[i].bdf, T_SP_DRIVER);
	}
}

TEST_F(bar, member_files)
{
	char buf[64], want[64];
	int id;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	ASSERT_EQ(0, t_member_attr(id, "kind", buf, sizeof(buf)));
	EXPECT_STREQ("bar", buf);
	ASSERT_EQ(0, t_member_attr(id, "memory", buf, sizeof(buf)));
	EXPECT_STREQ("pci", buf);
	ASSERT_EQ(0, t_member_attr(id, "pci", buf, sizeof(buf)));
	EXPECT_STREQ(self->bdf, buf);
	/* ivshmem-plain: BAR 0 registers (256 bytes), BAR 2 the memory. */
	EXPECT_EQ(2, t_member_ll(id, "bar"));
	snprintf(want, sizeof(want), "%s-bar2", self->bdf);
	ASSERT_EQ(0, t_member_attr(id, "name", buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
	EXPECT_EQ((long long)self->size, t_member_ll(id, "capacity"));
	EXPECT_EQ(0, t_member_ll(id, "used"));
	EXPECT_EQ((long long)self->size, t_member_ll(id, "free"));
	/* The device's NUMA node, or the first node with memory. */
	snprintf(buf, sizeof(buf), T_PCI_DEVICES "/%s/numa_node", self->bdf);
	if (t_read_ll(buf) >= 0) {
		EXPECT_EQ(t_read_ll(buf), t_member_ll(id, "node"));
	} else {
		EXPECT_EQ(0, t_member_ll(id, "node"));
	}
	/* The region is claimed in the kernel's resource tree. */
	EXPECT_EQ(0, system("grep -q ' : scalepool$' /proc/iomem"));
}

TEST_F(bar, alloc_write_read)
{
	struct scalepool_placement pl[2];
	struct scalepool_info info;
	unsigned char *p, *q;
	__u64 off;
	__u32 h;
	int id;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	test_cmd_alloc_on(self->fd, id, 0, T_MIB, &h, &off);
	EXPECT_EQ((long long)T_MIB, t_member_ll(id, "used"));
	test_cmd_info(self->fd, h, &info, pl, 2);
	ASSERT_EQ(1U, info.nr_placements);
	EXPECT_EQ((__u32)id, pl[0].member);
	EXPECT_EQ(T_MIB, pl[0].bytes);
	EXPECT_EQ(0ULL, pl[0].huge_bytes);

	p = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, T_MIB));
	t_fill(p, T_MIB, 42);
	EXPECT_EQ(-1, t_check(p, T_MIB, 42));
	/* A second mapping sees the same device memory. */
	q = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-1, t_check(q, T_MIB, 42));
	munmap(q, T_MIB);
	munmap(p, T_MIB);
	test_cmd_free(self->fd, h);
	EXPECT_EQ(0, t_member_ll(id, "used"));
}

TEST_F(bar, mapping_is_write_combined)
{
	char line[512], want[32];
	unsigned char *p;
	bool found = false;
	__u64 off;
	__u32 h;
	FILE *f;
	int id;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	test_cmd_alloc_on(self->fd, id, SCALEPOOL_ALLOC_POPULATE, T_MIB, &h,
			  &off);
	p = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, p);
	/* x86 PAT: the user mapping's range is tracked as write-combining. */
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	f = fopen("/proc/self/smaps", "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			found = true;
		if (found && !strncmp(line, "VmFlags:", 8)) {
			/* io: VM_IO, pf: VM_PFNMAP */
			EXPECT_NE(NULL, strstr(line, " io"));
			EXPECT_NE(NULL, strstr(line, " pf"));
			break;
		}
	}
	fclose(f);
	EXPECT_TRUE(found);
	/* x86 PAT tracks the memory type of the BAR's mappings. */
	if (system("mountpoint -q /sys/kernel/debug || "
		   "mount -t debugfs none /sys/kernel/debug 2>/dev/null") ||
	    access(PAT_LIST, R_OK)) {
		TH_LOG("no " PAT_LIST ": write-combining not checked");
	} else {
		EXPECT_EQ(1, pat_wc_in_bar(self->bdf, 2));
	}
	munmap(p, T_MIB);
	test_cmd_free(self->fd, h);
}

/* What one allocation leaves in the BAR, the next never sees. */
TEST_F(bar, reused_memory_is_zeroed)
{
	unsigned char *p;
	__u64 off;
	__u32 h;
	int id, round;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	for (round = 0; round < 2; round++) {
		/* The whole BAR: the second round gets the same bytes. */
		test_cmd_alloc_on(self->fd, id, 0, self->size, &h, &off);
		p = t_map(self->fd, off, self->size);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(-1, t_check_zero(p, self->size));
		memset(p, 0xa5, self->size);
		munmap(p, self->size);
		test_cmd_free(self->fd, h);
	}
	EXPECT_EQ(0, t_member_ll(id, "used"));
}

TEST_F(bar, full_bar_then_enomem)
{
	__u32 h, h2;
	int id;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	test_cmd_alloc_on(self->fd, id, 0, self->size, &h, NULL);
	test_err_alloc_on(ENOMEM, self->fd, id, 0, T_PAGE, &h2, NULL);
	EXPECT_EQ((long long)self->size, t_member_ll(id, "used"));
	EXPECT_EQ(0, t_member_ll(id, "free"));
	test_cmd_free(self->fd, h);
	/* More than the BAR holds. */
	test_err_alloc_on(ENOMEM, self->fd, id, 0, self->size + T_PAGE, &h2,
			  NULL);
	/* The admin limit applies as for any member. */
	ASSERT_EQ(0, t_member_set_limit(id, T_MIB));
	test_err_alloc_on(ENOSPC, self->fd, id, 0, 2 * T_MIB, &h2, NULL);
	ASSERT_EQ(0, t_member_set_limit(id, 0));
	EXPECT_EQ(0, t_member_ll(id, "used"));
}

/* A peer member holds an allocation alone, with BIND or NEAREST. */
TEST_F(bar, placement_rules)
{
	static const __u32 others[] = {
		SCALEPOOL_POLICY_PREFERRED, SCALEPOOL_POLICY_INTERLEAVE,
		SCALEPOOL_POLICY_TIERED,
	};
	__u32 ids[2];
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.length = M,
		.policy = SCALEPOOL_POLICY_BIND,
		.nr_members = 2,
		.members_ptr = (uintptr_t)ids,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
	unsigned int i;
	int id, node;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	node = t_member_of_node(0);
	ASSERT_LE(0, node);
	ids[0] = id;
	ids[1] = node;
	test_err_alloc(EINVAL, self->fd, &a);
	a.nr_members = 1;
	for (i = 0; i < T_ARRAY_SIZE(others); i++) {
		a.policy = others[i];
		test_err_alloc(EINVAL, self->fd, &a);
	}
	a.policy = SCALEPOOL_POLICY_NEAREST;
	test_cmd_alloc(self->fd, &a);
	EXPECT_EQ((long long)T_MIB, t_member_ll(id, "used"));
	test_cmd_free(self->fd, a.handle);
	/* An empty set never lands on a peer member. */
	a.nr_members = 0;
	a.members_ptr = 0;
	test_cmd_alloc(self->fd, &a);
	EXPECT_EQ(0, t_member_ll(id, "used"));
	test_cmd_free(self->fd, a.handle);
}

/*
 * MIGRATE and peer members: an allocation on a bar member is one extent
 * of device memory and does not move (EOPNOTSUPP), a revoked one gets
 * ENODEV, and a bar member in the new set is EINVAL, alone or with a
 * node member; nothing moved by any of them.
 */
TEST_F(bar, migrate_rules)
{
	struct scalepool_migrate m = {
		.size = sizeof(m),
		.policy = SCALEPOOL_POLICY_BIND,
		.nr_members = 1,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
	long long used;
	__u32 ids[2], h;
	int id, node;

	if (!(t_query_caps() & SCALEPOOL_CAP_MIGRATE))
		SKIP(return, "QUERY has no SCALEPOOL_CAP_MIGRATE");
	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	node = t_member_of_node(0);
	ASSERT_LE(0, node);

	/* On the bar member, to a node member: it does not move. */
	test_cmd_alloc_on(self->fd, id, 0, T_MIB, &h, NULL);
	ids[0] = node;
	m.handle = h;
	m.members_ptr = (uintptr_t)ids;
	EXPECT_EQ(-EOPNOTSUPP, t_ioctl(self->fd, SCALEPOOL_MIGRATE, &m));
	EXPECT_EQ((long long)T_MIB, t_member_ll(id, "used"));
	/* Revoked: ENODEV. */
	ASSERT_EQ(0, t_remove_member(id));
	EXPECT_EQ(-ENODEV, t_ioctl(self->fd, SCALEPOOL_MIGRATE, &m));
	test_cmd_free(self->fd, h);

	/* On a node member, to a set naming a bar member: EINVAL. */
	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	test_cmd_alloc_on(self->fd, node, 0, T_MIB, &h, NULL);
	used = t_member_ll(node, "used");
	m.handle = h;
	ids[0] = id;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, SCALEPOOL_MIGRATE, &m));
	m.policy = SCALEPOOL_POLICY_NEAREST;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, SCALEPOOL_MIGRATE, &m));
	ids[1] = node;
	m.nr_members = 2;
	m.policy = SCALEPOOL_POLICY_PREFERRED;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, SCALEPOOL_MIGRATE, &m));
	EXPECT_EQ(0, t_member_ll(id, "used"));
	EXPECT_EQ(used, t_member_ll(node, "used"));
	EXPECT_EQ(0, t_member_ll(id, "moved_in"));
	test_cmd_free(self->fd, h);
}

/*
 * Hot removal (/sys/bus/pci/devices/<dev>/remove, then a rescan) takes
 * the same driver remove path as unbind, but under QEMU TCG the rescan
 * sometimes loses the device or aborts QEMU: not tested here.
 */
enum revoke_how { BY_REMOVE_MEMBER, BY_UNBIND };

static void revoke_with_live_mapping(struct __test_metadata *_metadata,
				     FIXTURE_DATA(bar) *self,
				     enum revoke_how how)
{
	volatile unsigned char *p, *q;
	int id, id2, status;
	struct t_reader reader = { .pid = -1, .go = -1 };
	struct scalepool_info info;
	char path[256];
	__u64 off;
	__u32 h;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	test_cmd_alloc_on(self->fd, id, 0, T_MIB, &h, &off);
	p = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, p);
	memset((void *)p, 0x5a, T_MIB);
	test_cmd_info(self->fd, h, &info, NULL, 0);
	EXPECT_EQ(0, info.state);
	/* Inherited mapping: readable before revocation. */
	ASSERT_EQ(0, t_reader_start(&reader, p, 4096, 0x5a));
	if (how == BY_UNBIND) {
		ASSERT_EQ(0, t_write_file("/sys/bus/pci/drivers/" T_SP_DRIVER
					  "/unbind", self->bdf));
	} else {
		ASSERT_EQ(0, t_remove_member(id));
	}
	/* The member is gone from sysfs at once. */
	snprintf(path, sizeof(path), T_MEMBERS "/%d", id);
	EXPECT_NE(0, access(path, F_OK));
	ASSERT_EQ(0, t_reader_finish(&reader, &status));
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("child exited with %d, no SIGBUS", WEXITSTATUS(status));
	}
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	/* This process too. */
	EXPECT_EQ(SIGBUS, t_read_signal(p));
	/* INFO says why: the allocation was revoked. */
	test_cmd_info(self->fd, h, &info, NULL, 0);
	EXPECT_EQ(SCALEPOOL_INFO_STATE_REVOKED, info.state) {
		TH_LOG("INFO state %#x after the member went", info.state);
	}
	EXPECT_EQ(T_MIB, info.length);
	/* A new mapping of the handle faults the same way. */
	q = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(SIGBUS, t_read_signal(q));
	munmap((void *)q, T_MIB);
	/* The handle stays until FREE; munmap and FREE work. */
	EXPECT_EQ(0, munmap((void *)p, T_MIB));
	test_cmd_free(self->fd, h);
	test_err_free(ENOENT, self->fd, h);

	/* Re-add: a new member with a new id, usable at once. */
	id2 = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id2);
	EXPECT_NE(id, id2);
	test_cmd_alloc_on(self->fd, id2, 0, T_MIB, &h, &off);
	p = t_map(self->fd, off, T_MIB);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero((void *)p, T_MIB));
	munmap((void *)p, T_MIB);
	test_cmd_info(self->fd, h, &info, NULL, 0);
	EXPECT_EQ(0, info.state);
	test_cmd_free(self->fd, h);
}

TEST_F(bar, remove_with_live_mapping)
{
	revoke_with_live_mapping(_metadata, self, BY_REMOVE_MEMBER);
}

TEST_F(bar, unbind_with_live_mapping)
{
	revoke_with_live_mapping(_metadata, self, BY_UNBIND);
}


/* Memory freed after its member went: nothing freed twice, no leak. */
TEST_F(bar, close_after_remove)
{
	unsigned char *p;
	__u64 off;
	__u32 h;
	int id, fd2;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	fd2 = t_open();
	ASSERT_LE(0, fd2);
	test_cmd_alloc_on(fd2, id, 0, T_MIB, &h, &off);
	p = t_map(fd2, off, T_MIB);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, t_remove_member(id));
	EXPECT_EQ(-ENOENT, t_remove_member(id));
	close(fd2);	/* the handle goes; the mapping holds the memory */
	munmap(p, T_MIB);	/* now the last reference */
}

/* add_bar of "@bdf @bar": 0 or -errno. */
static int add_bar_at(const char *bdf, const char *bar)
{
	char arg[64];

	snprintf(arg, sizeof(arg), "%s %s", bdf, bar);
	return t_add_bar(arg);
}

/* Addresses that name no device scalepool drives, or no device at all. */
static void bad_addresses(struct __test_metadata *_metadata,
			  const char *bdf)
{
	/* Not bound to scalepool: ENODEV. */
	t_pci_unbind(bdf, T_SP_DRIVER);
	EXPECT_EQ(-ENODEV, t_add_bar(bdf));
	/* No such device. */
	EXPECT_EQ(-ENODEV, t_add_bar("0000:fe:1f.7"));
	/* A domain above 0xffff is a domain (VMD), not domain 0. */
	EXPECT_EQ(-ENODEV, t_add_bar("10000:00:00.0"));
	EXPECT_EQ(-ENODEV, t_add_bar("7fffffff:00:00.0"));
	EXPECT_EQ(-EINVAL, t_add_bar("80000000:00:00.0"));
	EXPECT_EQ(-EINVAL, t_add_bar("100000000:00:00.0"));
	/* Syntax. */
	EXPECT_EQ(-EINVAL, t_add_bar("garbage"));
	EXPECT_EQ(-EINVAL, t_add_bar("\n"));
	EXPECT_EQ(-EINVAL, t_add_bar("00:04.0"));
	EXPECT_EQ(-EINVAL, t_add_bar("0000:00:00.8"));
}

/* BARs of a bound device that are no memory BAR of it; nothing added. */
static void bad_bars(struct __test_metadata *_metadata, const char *bdf)
{
	ASSERT_EQ(0, t_pci_bind(bdf, T_SP_DRIVER));
	EXPECT_EQ(-EINVAL, add_bar_at(bdf, "6"));
	EXPECT_EQ(-EINVAL, add_bar_at(bdf, "-1"));
	EXPECT_EQ(-EINVAL, add_bar_at(bdf, "x"));
	EXPECT_EQ(-EINVAL, add_bar_at(bdf, "2 2"));
	/* BAR 3 is the upper half of 64-bit BAR 2: not a BAR of its own. */
	EXPECT_EQ(-ENXIO, add_bar_at(bdf, "3"));
	/* BAR 0: ivshmem's 256 bytes of registers. */
	EXPECT_EQ(-ERANGE, add_bar_at(bdf, "0"));
	/* Nothing was added by the failures. */
	EXPECT_EQ(-1, t_member_of_pci("bar", bdf));
}

/* A BAR added twice, named or by default: EEXIST.  The member id. */
static int added_twice(struct __test_metadata *_metadata, const char *bdf)
{
	int id;

	ASSERT_EQ(0, add_bar_at(bdf, "2"));
	id = t_member_of_pci("bar", bdf);
	ASSERT_LE(0, id);
	EXPECT_EQ(-EEXIST, add_bar_at(bdf, "2"));
	EXPECT_EQ(-EEXIST, t_add_bar(bdf));
	return id;
}

/* Bound to a driver other than scalepool, and not a port. */
static int of_another_driver(const char *bdf, void *arg)
{
	char drv[64];

	t_pci_driver_of(bdf, drv, sizeof(drv));
	return drv[0] && strcmp(drv, "scalepool") && strcmp(drv, "pcieport");
}

/* remove_member: bad ids, node members (which stay). */
static void bad_removals(struct __test_metadata *_metadata)
{
	__u32 ids[T_MAX_IDS];
	int i, n, node;

	EXPECT_EQ(-EINVAL, t_remove_member(-1));
	EXPECT_EQ(-EINVAL, t_write_file(T_SYSFS "/remove_member", "abc"));
	EXPECT_EQ(-ENOENT, t_remove_member(100000));
	node = t_member_of_node(0);
	ASSERT_LE(0, node);
	EXPECT_EQ(-EINVAL, t_remove_member(node));
	n = t_members(ids, T_MAX_IDS);
	for (i = 0; i < n && ids[i] != (__u32)node; i++)
		;
	EXPECT_LT(i, n);	/* still there */
}

/* Not root (no CAP_SYS_ADMIN): the files are root's; member @id stays. */
static void not_root(struct __test_metadata *_metadata, const char *bdf,
		     int id)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(t_add_bar(bdf) == -EACCES &&
		      t_remove_member(id) == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(id, t_member_of_pci("bar", bdf));
}

TEST_F(bar, bad_inputs)
{
	char other[300];
	int id;

	bad_addresses(_metadata, self->bdf);
	bad_bars(_metadata, self->bdf);
	id = added_twice(_metadata, self->bdf);
	/* A device bound to another driver: EBUSY. */
	ASSERT_EQ(0, t_pci_first(of_another_driver, NULL, other,
				 sizeof(other)));
	EXPECT_EQ(-EBUSY, t_add_bar(other));
	bad_removals(_metadata);
	not_root(_metadata, self->bdf, id);
}

#define EDU_VENDOR	0x1234	/* QEMU's edu device: BAR 0 is 1 MiB of */
#define EDU_DEVICE	0x11e8	/* registers, not prefetchable */

/* BAR @bar's resource flags, 0 when absent. */
static unsigned long long bar_flags_of(const char *bdf, int bar)
{
	struct t_bar_res r;

	return t_pci_bar_res(bdf, bar, &r) ? 0 : r.flags;
}

#define IORESOURCE_MEM		0x200
#define IORESOURCE_PREFETCH	0x2000

/*
 * A BAR that is not prefetchable may be registers: the default
 * (no BAR named) refuses it with EOPNOTSUPP and adds nothing, naming
 * it adds it.  ivshmem's register BAR 0 is refused even named (ERANGE:
 * 256 bytes), and its default is still the prefetchable BAR 2.
 */
TEST_F(bar, bar_not_prefetchable)
{
	struct t_pci_dev edu;
	char arg[64];
	int id;

	if (t_pci_find(EDU_VENDOR, EDU_DEVICE, 1, &edu, 1) != 1)
		SKIP(return, "needs the peer topology's edu device");
	ASSERT_EQ(IORESOURCE_MEM,
		  bar_flags_of(edu.bdf, 0) & (IORESOURCE_MEM |
					   IORESOURCE_PREFETCH));
	ASSERT_LE(T_MIB, t_pci_bar_size(edu.bdf, 0));

	ASSERT_EQ(0, t_pci_bind(edu.bdf, T_SP_DRIVER));
	EXPECT_EQ(-EOPNOTSUPP, t_add_bar(edu.bdf));
	EXPECT_EQ(-1, t_member_of_pci("bar", edu.bdf));
	snprintf(arg, sizeof(arg), "%s 0", edu.bdf);
	EXPECT_EQ(0, t_add_bar(arg));
	id = t_member_of_pci("bar", edu.bdf);
	EXPECT_LE(0, id);
	if (id >= 0) {
		EXPECT_EQ((long long)t_pci_bar_size(edu.bdf, 0),
			  t_member_ll(id, "capacity"));
		EXPECT_EQ(0, t_remove_member(id));
	}
	t_pci_unbind(edu.bdf, T_SP_DRIVER);

	/* ivshmem: BAR 0 registers, BAR 2 prefetchable memory. */
	EXPECT_EQ(0, bar_flags_of(self->bdf, 0) & IORESOURCE_PREFETCH);
	EXPECT_NE(0, bar_flags_of(self->bdf, 2) & IORESOURCE_PREFETCH);
	ASSERT_EQ(0, t_pci_bind(self->bdf, T_SP_DRIVER));
	snprintf(arg, sizeof(arg), "%s 0", self->bdf);
	EXPECT_EQ(-ERANGE, t_add_bar(arg));
	EXPECT_EQ(-1, t_member_of_pci("bar", self->bdf));
	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	EXPECT_EQ(2, t_member_ll(id, "bar"));
}

/*
 * BAR memory is zeroed in chunks of 2 MiB: an extent that starts and
 * ends inside chunks is still zeroed to its last byte, and so is the
 * whole BAR after it.
 */
TEST_F(bar, zeroing_across_chunks)
{
	const __u64 len = 5 * T_MIB + 3 * T_PAGE;
	unsigned char *p;
	__u32 h0, h;
	__u64 off;
	int id;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	ASSERT_LT(T_PAGE + len, self->size);
	test_cmd_alloc_on(self->fd, id, 0, T_PAGE, &h0, NULL);
	test_cmd_alloc_on(self->fd, id, 0, len, &h, &off);
	p = t_map(self->fd, off, len);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, len));
	memset(p, 0x5a, len);
	munmap(p, len);
	test_cmd_free(self->fd, h);
	test_cmd_free(self->fd, h0);

	test_cmd_alloc_on(self->fd, id, 0, self->size, &h, &off);
	p = t_map(self->fd, off, self->size);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, self->size));
	munmap(p, self->size);
	test_cmd_free(self->fd, h);
	EXPECT_EQ(0, t_member_ll(id, "used"));
}

/*
 * A process killed while it allocates and zeroes whole BARs over and
 * over (inside the zeroing or not: either way is a correct outcome)
 * leaves nothing behind: the member's used back where it was and the
 * whole BAR free again.  Whether the kill lands inside the zeroing
 * cannot be arranged from user space, so this checks the outcome of
 * every landing point, not the -EINTR path alone.
 */
TEST_F_TIMEOUT(bar, killed_while_allocating, 120)
{
	int status, pipefd[2], id, i;
	char c;
	__u32 h;
	pid_t pid;

	id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, id);
	for (i = 0; i < 3; i++) {
		/* A pipe per child: no byte of the last one is left over. */
		ASSERT_EQ(0, pipe(pipefd));
		fflush(stdout);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd = t_open();

			close(pipefd[0]);
			if (fd < 0)
				_exit(2);
			for (;;) {
				if (_test_cmd_alloc_on(fd, id, 0, self->size,
						       &h, NULL) == 0)
					_test_cmd_free(fd, h);
				if (write(pipefd[1], "x", 1) != 1)
					_exit(3);
			}
		}
		/* At least one round done; the next is under way. */
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) &&
			    WTERMSIG(status) == SIGKILL);
		EXPECT_EQ(0, t_member_ll(id, "used"));
		test_cmd_alloc_on(self->fd, id, 0, self->size, &h, NULL);
		test_cmd_free(self->fd, h);
		close(pipefd[0]);
		close(pipefd[1]);
	}
}

/* Hops through the switch between the two behind it; -1 via pcie.0. */
TEST_F(bar, peer_distance)
{
	int ids[MAX_DEVS], i, j, n = self->nr_devs;
	char path[256], line[64];
	long long dist;
	FILE *f;

	for (i = 0; i < n; i++) {
		ids[i] = t_bar_member_add(self->devs[i].bdf);
		ASSERT_LE(0, ids[i]);
	}
	for (i = 0; i < n; i++) {
		int seen = 0;

		snprintf(path, sizeof(path), T_MEMBERS "/%d/peer_distance",
			 ids[i]);
		f = fopen(path, "re");
		ASSERT_NE(NULL, f);
		while (fgets(line, sizeof(line), f)) {
			int other;

			ASSERT_EQ(2, sscanf(line, "%d %lld", &other, &dist));
			for (j = 0; j < n; j++) {
				if (ids[j] != other)
					continue;
				seen++;
				if (!self->devs[i].root_bus &&
				    !self->devs[j].root_bus) {
					EXPECT_EQ(4, dist);
				} else {
					EXPECT_EQ(-1, dist);
				}
			}
		}
		fclose(f);
		EXPECT_EQ(n - 1, seen);
	}
}

/* An NVMe controller (class 0x010802) on pcie.0. */
static int nvme_on_root_bus(const char *bdf, void *arg)
{
	char path[512], buf[64];

	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/class", bdf);
	return !t_read_line(path, buf, sizeof(buf)) &&
	       !strcmp(buf, "0x010802") && !strncmp(bdf + 5, "00:", 3);
}

/* INFO's basis of the last allocation nearest_pci() placed. */
static __u32 nearest_pci_basis;

/* One allocation for a PCI device; the member that got it, or -errno. */
static int nearest_pci(int fd, __u32 flags, struct t_pci_id initiator_pci,
		       int initiator, __u32 policy)
{
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.flags = flags,
		.length = M,
		.policy = policy,
		.initiator = initiator,
		.initiator_pci_domain = initiator_pci.domain,
		.initiator_pci_bdf = initiator_pci.bdf,
	};

	return t_alloc_where(fd, &a, &nearest_pci_basis);
}

/* "kind pci" of member @id, e.g. "bar 0000:04:00.0". */
static void member_kind_pci(int id, char *buf, size_t len)
{
	char kind[32] = "?", pci[64] = "-";

	t_member_attr(id, "kind", kind, sizeof(kind));
	t_member_attr(id, "pci", pci, sizeof(pci));
	snprintf(buf, len, "%s %s", kind, pci);
}

/*
 * A PCI initiator prefers the peer memory it reaches without crossing
 * the host bridge.  Members: the BAR on pcie.0 (added first: the lowest
 * id of the two) and the larger BAR behind the switch; the initiator is
 * the other ivshmem behind the switch, no member itself.  It gets memory
 * behind the switch (the BAR, or on the debug kernel possibly the NVMe
 * CMB there, at the same distance), never the BAR on pcie.0.  The BAR's
 * own device gets its BAR (distance 0).  The NVMe on pcie.0 reaches no
 * peer but its own CMB (a p2pmem member on the debug kernel): that, or
 * the node member of its node.
 */
TEST_F(bar, nearest_pci_initiator)
{
	const __u32 F = SCALEPOOL_ALLOC_PCI_INITIATOR;
	char far_nvme[300], path[512], got[400], want[400];
	const char *other = NULL, *root = NULL;
	int i, ida, idr, id, own, node;
	long long dev_node;
	cpu_set_t cpus;

	for (i = 0; i < self->nr_devs; i++) {
		if (self->devs[i].root_bus)
			root = self->devs[i].bdf;
		else if (self->devs[i].bdf != self->bdf)
			other = self->devs[i].bdf;
	}
	ASSERT_NE(NULL, root);
	ASSERT_NE(NULL, other);
	idr = t_bar_member_add(root);
	ASSERT_LE(0, idr);
	ida = t_bar_member_add(self->bdf);
	ASSERT_LE(0, ida);
	ASSERT_LT(idr, ida);

	id = nearest_pci(self->fd, F, t_pci_id_of(other), SCALEPOOL_INITIATOR_LOCAL,
			 SCALEPOOL_POLICY_NEAREST);
	ASSERT_LE(0, id);
	/* Ranked by distance among every member: INFO says so. */
	EXPECT_EQ(SCALEPOOL_BASIS_DISTANCE, nearest_pci_basis);
	member_kind_pci(id, got, sizeof(got));
	snprintf(want, sizeof(want), "bar %s", self->bdf);
	if (strncmp(got, "p2pmem ", 7)) {
		EXPECT_STREQ(want, got);
	} else {
		/* The CMB of the NVMe behind the switch, not on pcie.0. */
		EXPECT_NE(0, strncmp(got + 7 + 5, "00:", 3)) {
			TH_LOG("got %s", got);
		}
	}

	EXPECT_EQ(idr, nearest_pci(self->fd, F, t_pci_id_of(root),
				   SCALEPOOL_INITIATOR_LOCAL,
				   SCALEPOOL_POLICY_NEAREST));
	EXPECT_EQ(SCALEPOOL_BASIS_DISTANCE, nearest_pci_basis);

	/* Pinned to node 0: the caller's node when the device has none. */
	ASSERT_EQ(0, t_pci_first(nvme_on_root_bus, NULL, far_nvme,
				 sizeof(far_nvme)));
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/numa_node", far_nvme);
	dev_node = t_read_ll(path);
	CPU_ZERO(&cpus);
	CPU_SET(t_node_first_cpu(0), &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	id = nearest_pci(self->fd, F, t_pci_id_of(far_nvme),
			 SCALEPOOL_INITIATOR_LOCAL, SCALEPOOL_POLICY_NEAREST);
	ASSERT_LE(0, id);
	member_kind_pci(id, got, sizeof(got));
	snprintf(want, sizeof(want), "p2pmem %s", far_nvme);
	own = !strcmp(got, want);
	node = t_member_of_node(dev_node >= 0 ? dev_node : 0);
	EXPECT_TRUE(own || id == node) {
		TH_LOG("got member %d (%s), expected node member %d or %s",
		       id, got, node, want);
	}

	/* Bad uses of the flag. */
	EXPECT_EQ(-EINVAL, nearest_pci(self->fd, F, t_pci_id_of(other),
				       SCALEPOOL_INITIATOR_LOCAL,
				       SCALEPOOL_POLICY_TIERED));
	EXPECT_EQ(-EINVAL, nearest_pci(self->fd, F, t_pci_id_of(other), 0,
				       SCALEPOOL_POLICY_NEAREST));
	EXPECT_EQ(-EINVAL, nearest_pci(self->fd, 0, t_pci_id_of(other),
				       SCALEPOOL_INITIATOR_LOCAL,
				       SCALEPOOL_POLICY_NEAREST));
	EXPECT_EQ(-ENODEV, nearest_pci(self->fd, F,
				       (struct t_pci_id){
					       0, SCALEPOOL_PCI_BDF(0xfe, 0xff)
				       },
				       SCALEPOOL_INITIATOR_LOCAL,
				       SCALEPOOL_POLICY_NEAREST));
}

TEST_HARNESS_MAIN
