// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad input of SCALEPOOL_ALLOC, FREE, INFO and mmap gets the errno
 * kernel/uapi/linux/scalepool.h documents, writes nothing back and leaks
 * nothing: every member's `used` is what it was before the failed call.
 * Runs in the guest with scalepool.ko loaded; expects DRAM nodes 0 and 1
 * (the default topology).
 */
#include <limits.h>
#include <stddef.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define ALLOC_MIN_SIZE	(offsetof(struct scalepool_alloc, offset) + sizeof(__u64))
#define FREE_MIN_SIZE	(offsetof(struct scalepool_free, __reserved) + sizeof(__u32))
#define INFO_MIN_SIZE	(offsetof(struct scalepool_info, state) + sizeof(__u32))
#define EXPORT_MIN_SIZE	(offsetof(struct scalepool_export, fd) + sizeof(__s32))

static const __u32 all_policies[] = {
	SCALEPOOL_POLICY_BIND, SCALEPOOL_POLICY_PREFERRED,
	SCALEPOOL_POLICY_INTERLEAVE, SCALEPOOL_POLICY_NEAREST,
	SCALEPOOL_POLICY_TIERED,
};

/* A struct followed by room for a "newer" user space's tail. */
struct alloc_big {
	struct scalepool_alloc a;
	__u64 tail[4];
};
struct free_big {
	struct scalepool_free f;
	__u64 tail[4];
};
struct info_big {
	struct scalepool_info i;
	__u64 tail[4];
};
struct export_big {
	struct scalepool_export e;
	__u64 tail[4];
};

FIXTURE(errors) {
	int fd;
	__u32 m0, m1;		/* the members of DRAM nodes 0 and 1 */
	__u32 set[2];
	char *guard;		/* a page, then a PROT_NONE page */
};

FIXTURE_SETUP(errors)
{
	int m0 = t_member_of_node(0), m1 = t_member_of_node(1);

	self->guard = MAP_FAILED;
	test_open(&self->fd);
	if (m0 < 0 || m1 < 0 || !t_node_has_cpus(0) || !t_node_has_cpus(1))
		SKIP(return, "needs DRAM nodes 0 and 1 with CPUs (default topology)");
	self->m0 = m0;
	self->m1 = m1;
	self->set[0] = m0;
	self->set[1] = m1;
	self->guard = mmap(NULL, 2 * T_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
	ASSERT_EQ(0, mprotect(self->guard + T_PAGE, T_PAGE, PROT_NONE));
}

FIXTURE_TEARDOWN(errors)
{
	if (self->guard != MAP_FAILED)
		munmap(self->guard, 2 * T_PAGE);
	close(self->fd);
}

/* An unreadable user address: the PROT_NONE page. */
#define BAD_PTR(self)	((uintptr_t)((self)->guard + T_PAGE))

/*
 * ALLOC with @a must fail with @err, write nothing back and leave every
 * member's `used` alone.
 */
static void __alloc_fails(struct __test_metadata *_metadata, int fd,
			  struct scalepool_alloc *a, int err, int line)
{
	struct t_used u;
	int ret;

	a->handle = 0;
	a->offset = 0;
	t_used_snapshot(&u);
	ret = t_ioctl(fd, SCALEPOOL_ALLOC, a);
	EXPECT_EQ(-err, ret) {
		TH_LOG("line %d: ALLOC got %s, expected %s", line,
		       ret ? strerror(-ret) : "success", strerror(err));
	}
	if (!ret)
		_test_cmd_free(fd, a->handle);
	EXPECT_EQ(0, a->handle) {
		TH_LOG("line %d: handle written back on failure", line);
	}
	EXPECT_EQ(0, a->offset);
	EXPECT_EQ(-1, t_used_changed(&u)) {
		TH_LOG("line %d: member %d's used changed", line,
		       t_used_changed(&u));
	}
}
#define alloc_fails(a, err) __alloc_fails(_metadata, self->fd, a, err, __LINE__)

/* An ALLOC that must work (the accepted edge of a rule); frees it. */
static void __alloc_works(struct __test_metadata *_metadata, int fd,
			  struct scalepool_alloc *a, int line)
{
	int ret = t_ioctl(fd, SCALEPOOL_ALLOC, a);

	EXPECT_EQ(0, ret) {
		TH_LOG("line %d: ALLOC failed: %s", line, strerror(-ret));
	}
	if (!ret)
		test_cmd_free(fd, a->handle);
}
#define alloc_works(a) __alloc_works(_metadata, self->fd, a, __LINE__)

/* A valid request of @policy over DRAM nodes 0 and 1. */
static void valid(struct scalepool_alloc *a, const __u32 *set, __u32 policy,
		  __u64 length)
{
	int nr = policy == SCALEPOOL_POLICY_NEAREST ||
		 policy == SCALEPOOL_POLICY_TIERED ? 0 : 2;

	*a = T_ALLOC(.length = length, .policy = policy, .nr_members = nr,
		     .members_ptr = (uintptr_t)(nr ? set : NULL));
}

/* ---- ALLOC fields */

TEST_F(errors, length_zero_is_einval)
{
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(all_policies); i++) {
		valid(&a, self->set, all_policies[i], 0);
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, length_overflow_is_eoverflow)
{
	const __u64 bad[] = {
		SCALEPOOL_MAX_ALLOC_SIZE + 1,
		SCALEPOOL_MAX_ALLOC_SIZE + T_PAGE,
		1ULL << 63,
		~0ULL - T_PAGE + 2,	/* rounding up to a page wraps */
		~0ULL,
	};
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		valid(&a, self->set, SCALEPOOL_POLICY_BIND, bad[i]);
		alloc_fails(&a, EOVERFLOW);
		valid(&a, self->set, SCALEPOOL_POLICY_INTERLEAVE, bad[i]);
		alloc_fails(&a, EOVERFLOW);
	}
}

/*
 * More than the allowed members hold: ENOMEM (no limit is set), and the
 * attempt must not have called the OOM killer on anyone.
 */
TEST_F_TIMEOUT(errors, more_than_the_members_hold_is_enomem, 120)
{
	static const char fd_cap[] =
		"/sys/module/scalepool/parameters/max_bytes_per_fd";
	long long cap = t_member_ll(self->m0, "capacity");
	long long ooms = t_vmstat("oom_kill");
	struct scalepool_alloc a;
	char saved[32];

	ASSERT_LT(0, cap);
	ASSERT_EQ(0, t_member_ll(self->m0, "limit"));
	/* The per-fd cap (ENOSPC, alloc_limits) would come first. */
	ASSERT_EQ(0, t_read_line(fd_cap, saved, sizeof(saved)));
	ASSERT_EQ(0, t_write_file(fd_cap, "0"));
	a = T_ALLOC(.length = 2 * cap, .policy = SCALEPOOL_POLICY_BIND,
		    .nr_members = 1, .members_ptr = (uintptr_t)&self->m0);
	alloc_fails(&a, ENOMEM);
	EXPECT_EQ(0, t_write_file(fd_cap, saved));
	EXPECT_EQ(ooms, t_vmstat("oom_kill"));
}

TEST_F(errors, unknown_policy_is_einval)
{
	const __u32 bad[] = { 5, 6, 0xff, 0x100, 0x80000000, ~0U };
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
		a.policy = bad[i];
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, empty_set_is_einval_for_set_policies)
{
	const __u32 need_set[] = { SCALEPOOL_POLICY_BIND,
				   SCALEPOOL_POLICY_PREFERRED,
				   SCALEPOOL_POLICY_INTERLEAVE };
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(need_set); i++) {
		valid(&a, self->set, need_set[i], M);
		a.nr_members = 0;
		a.members_ptr = 0;
		alloc_fails(&a, EINVAL);
		/* A pointer without a count is still an empty set. */
		valid(&a, self->set, need_set[i], M);
		a.nr_members = 0;
		alloc_fails(&a, EINVAL);
	}
	/* NEAREST and TIERED take an empty set: every node member. */
	valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
	alloc_works(&a);
	valid(&a, self->set, SCALEPOOL_POLICY_TIERED, M);
	alloc_works(&a);
}

TEST_F(errors, more_than_max_members_is_einval)
{
	__u32 ids[SCALEPOOL_MAX_MEMBERS + 1];
	struct scalepool_alloc a;
	unsigned int i, p;

	for (i = 0; i < T_ARRAY_SIZE(ids); i++)
		ids[i] = i < 2 ? self->set[i] : 100000 + i;
	for (p = 0; p < T_ARRAY_SIZE(all_policies); p++) {
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = SCALEPOOL_MAX_MEMBERS + 1,
			    .members_ptr = (uintptr_t)ids);
		alloc_fails(&a, EINVAL);
		/* The count is checked before the array is read. */
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = ~0U, .members_ptr = (uintptr_t)ids);
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, unknown_member_is_enoent)
{
	__u32 ids[T_MAX_IDS], set[2], p;
	int n = t_members(ids, T_MAX_IDS);
	struct scalepool_alloc a;
	const __u32 bad[] = { ids[n - 1] + 1, ids[n - 1] + 1000, ~0U };
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++)
		for (p = 0; p < T_ARRAY_SIZE(all_policies); p++) {
			/* alone, then after a good member */
			a = T_ALLOC(.length = M, .policy = all_policies[p],
				    .nr_members = 1,
				    .members_ptr = (uintptr_t)&bad[i]);
			alloc_fails(&a, ENOENT);
			set[0] = self->m0;
			set[1] = bad[i];
			a = T_ALLOC(.length = M, .policy = all_policies[p],
				    .nr_members = 2,
				    .members_ptr = (uintptr_t)set);
			alloc_fails(&a, ENOENT);
		}
}

TEST_F(errors, duplicate_members_are_einval)
{
	__u32 dup2[2] = { self->m0, self->m0 };
	__u32 dup3[3] = { self->m0, self->m1, self->m0 };
	struct scalepool_alloc a;
	unsigned int p;

	for (p = 0; p < T_ARRAY_SIZE(all_policies); p++) {
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = 2, .members_ptr = (uintptr_t)dup2);
		alloc_fails(&a, EINVAL);
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = 3, .members_ptr = (uintptr_t)dup3);
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, bad_weights_are_einval)
{
	const __u32 bad[][2] = {
		{ 0, 1 }, { 1, 0 }, { 0, 0 },
		{ SCALEPOOL_MAX_WEIGHT + 1, 1 }, { 1, 0x10000 }, { ~0U, 1 },
	};
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_INTERLEAVE,
			    .nr_members = 2,
			    .members_ptr = (uintptr_t)self->set,
			    .weights_ptr = (uintptr_t)bad[i]);
		alloc_fails(&a, EINVAL);
	}
}

/* The largest weight works: 255 pages on one member for 1 on the other. */
TEST_F(errors, max_weight_works)
{
	const __u32 w[2] = { SCALEPOOL_MAX_WEIGHT, 1 };
	struct scalepool_placement pl[4];
	struct scalepool_info info;
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.flags = SCALEPOOL_ALLOC_NO_HUGE,
		.length = 256 * T_PAGE,
		.policy = SCALEPOOL_POLICY_INTERLEAVE,
		.nr_members = 2,
		.members_ptr = (uintptr_t)self->set,
		.weights_ptr = (uintptr_t)w,
		.granularity = T_PAGE,
	};
	__u32 i;

	test_cmd_alloc(self->fd, &a);
	test_cmd_info(self->fd, a.handle, &info, pl, 4);
	ASSERT_EQ(2, info.nr_placements);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(pl[i].member == self->m0 ? 255 * T_PAGE : T_PAGE,
			  pl[i].bytes);
	test_cmd_free(self->fd, a.handle);
}

TEST_F(errors, weights_or_granularity_without_interleave_are_einval)
{
	const __u32 w[2] = { 1, 1 };
	struct scalepool_alloc a;
	unsigned int p;

	for (p = 0; p < T_ARRAY_SIZE(all_policies); p++) {
		if (all_policies[p] == SCALEPOOL_POLICY_INTERLEAVE)
			continue;
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = 2,
			    .members_ptr = (uintptr_t)self->set,
			    .weights_ptr = (uintptr_t)w);
		alloc_fails(&a, EINVAL);
		a = T_ALLOC(.length = M, .policy = all_policies[p],
			    .nr_members = 2,
			    .members_ptr = (uintptr_t)self->set,
			    .granularity = T_PAGE);
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, bad_granularity_is_einval)
{
	const __u64 bad[] = {
		1, 512, T_PAGE - 1, T_PAGE + 1, T_PAGE + T_PAGE / 2,
		SCALEPOOL_MAX_GRANULARITY + T_PAGE,
		2 * SCALEPOOL_MAX_GRANULARITY, 1ULL << 63, ~0ULL & ~(T_PAGE - 1),
	};
	const __u64 good[] = { T_PAGE, 3 * T_PAGE, SCALEPOOL_MAX_GRANULARITY };
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_INTERLEAVE,
			    .nr_members = 2,
			    .members_ptr = (uintptr_t)self->set,
			    .granularity = bad[i]);
		alloc_fails(&a, EINVAL);
	}
	for (i = 0; i < T_ARRAY_SIZE(good); i++) {
		a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_INTERLEAVE,
			    .nr_members = 2,
			    .members_ptr = (uintptr_t)self->set,
			    .granularity = good[i]);
		alloc_works(&a);
	}
}

TEST_F(errors, initiator_pci_fields_without_flag_are_einval)
{
	struct scalepool_alloc a;
	unsigned int p;

	for (p = 0; p < T_ARRAY_SIZE(all_policies); p++) {
		valid(&a, self->set, all_policies[p], M);
		a.initiator_pci_domain = 1;
		alloc_fails(&a, EINVAL);
		valid(&a, self->set, all_policies[p], M);
		a.initiator_pci_domain = 0x80000000;
		alloc_fails(&a, EINVAL);
		valid(&a, self->set, all_policies[p], M);
		a.initiator_pci_bdf = 1;
		alloc_fails(&a, EINVAL);
		valid(&a, self->set, all_policies[p], M);
		a.initiator_pci_bdf = 0x10000;
		alloc_fails(&a, EINVAL);
	}
}

/*
 * With the flag: a bus or devfn outside its 8 bits each (anything above
 * the low 16 bits of @initiator_pci_bdf) and a domain above what Linux
 * numbers domains with are EINVAL, never masked into another device.
 */
TEST_F(errors, initiator_pci_out_of_range_is_einval)
{
	const __u32 bad_bdf[] = { 0x10000, 0x1ffff, 0x100ff, 0x80000000,
				  ~0U };
	const __u32 bad_domain[] = { 0x80000000, 0x80010000, ~0U };
	struct scalepool_alloc a;
	unsigned int i;

	for (i = 0; i < T_ARRAY_SIZE(bad_bdf); i++) {
		valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
		a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
		a.initiator = SCALEPOOL_INITIATOR_LOCAL;
		a.initiator_pci_bdf = bad_bdf[i];
		alloc_fails(&a, EINVAL);
	}
	for (i = 0; i < T_ARRAY_SIZE(bad_domain); i++) {
		valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
		a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
		a.initiator = SCALEPOOL_INITIATOR_LOCAL;
		a.initiator_pci_domain = bad_domain[i];
		alloc_fails(&a, EINVAL);
	}
	/* In range but no such device: ENODEV (domain 0x7fffffff is free). */
	valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
	a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
	a.initiator = SCALEPOOL_INITIATOR_LOCAL;
	a.initiator_pci_domain = SCALEPOOL_PCI_DOMAIN_MAX;
	alloc_fails(&a, ENODEV);
}

/*
 * PCI domains above 0xffff (VMD's) are domains of their own: domain
 * 0x10000 must not alias domain 0, where the host bridge 0000:00:00.0
 * is (the flag works there, so only the domain makes the difference).
 */
TEST_F(errors, initiator_pci_domain_is_not_truncated)
{
	const __u32 bdf = SCALEPOOL_PCI_BDF(0, 0);
	const __u32 domains[] = { 0x10000, 0x20000, 0x7fff0000 };
	struct scalepool_alloc a;
	unsigned int i;

	if (access("/sys/bus/pci/devices/0000:00:00.0", F_OK) ||
	    !access("/sys/bus/pci/devices/10000:00:00.0", F_OK))
		SKIP(return, "needs 0000:00:00.0 and no PCI domain 10000");
	valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
	a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
	a.initiator = SCALEPOOL_INITIATOR_LOCAL;
	a.initiator_pci_domain = 0;
	a.initiator_pci_bdf = bdf;
	alloc_works(&a);
	for (i = 0; i < T_ARRAY_SIZE(domains); i++) {
		valid(&a, self->set, SCALEPOOL_POLICY_NEAREST, M);
		a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
		a.initiator = SCALEPOOL_INITIATOR_LOCAL;
		a.initiator_pci_domain = domains[i];
		a.initiator_pci_bdf = bdf;
		alloc_fails(&a, ENODEV);
	}
}

TEST_F(errors, unknown_flags_are_eopnotsupp)
{
	struct scalepool_alloc a;
	int bit;

	for (bit = 0; bit < 32; bit++) {
		__u32 flag = 1U << bit;

		if (flag & (SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE |
			    SCALEPOOL_ALLOC_PCI_INITIATOR))
			continue;
		valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
		a.flags = flag;
		alloc_fails(&a, EOPNOTSUPP);
		valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
		a.flags = flag | SCALEPOOL_ALLOC_NO_HUGE;
		alloc_fails(&a, EOPNOTSUPP);
	}
	/* A known flag, but NEAREST's only (peer_bar tests it fully). */
	valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
	a.flags = SCALEPOOL_ALLOC_PCI_INITIATOR;
	alloc_fails(&a, EINVAL);
	valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
	a.flags = SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE;
	alloc_works(&a);
}

/* The initiator is checked for every policy (and used by three). */
#define initiator_policies all_policies

/* A node with memory and no CPU (the CXL node), or -1. */
static int cpuless_node(void)
{
	__u32 ids[T_MAX_IDS];
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++) {
		long long node = t_member_ll(ids[i], "node");

		if (node >= 0 && !t_node_has_cpus(node))
			return node;
	}
	return -1;
}

TEST_F(errors, initiator_without_cpus_is_einval)
{
	int node = cpuless_node();
	struct scalepool_alloc a;
	unsigned int p;

	if (node < 0)
		SKIP(return, "no CPU-less node with memory (no CXL node online)");
	for (p = 0; p < T_ARRAY_SIZE(initiator_policies); p++) {
		valid(&a, self->set, initiator_policies[p], M);
		a.initiator = node;
		alloc_fails(&a, EINVAL);
	}
}

TEST_F(errors, initiator_out_of_range_is_einval)
{
	const int bad[] = { -2, -1000, INT_MIN, 1024, 4096, 1 << 20, INT_MAX };
	struct scalepool_alloc a;
	unsigned int i, p;
	int offline = -1, n;

	/* A node number that is possible but not online, if any. */
	for (n = 3; n < 64 && offline < 0; n++)
		if (!t_node_online(n))
			offline = n;
	for (p = 0; p < T_ARRAY_SIZE(initiator_policies); p++) {
		for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
			valid(&a, self->set, initiator_policies[p], M);
			a.initiator = bad[i];
			alloc_fails(&a, EINVAL);
		}
		valid(&a, self->set, initiator_policies[p], M);
		a.initiator = offline;
		alloc_fails(&a, EINVAL);
		/* Both CPU nodes and LOCAL are fine. */
		valid(&a, self->set, initiator_policies[p], M);
		a.initiator = 1;
		alloc_works(&a);
		valid(&a, self->set, initiator_policies[p], M);
		a.initiator = SCALEPOOL_INITIATOR_LOCAL;
		alloc_works(&a);
	}
}

/* ---- pointers */

TEST_F(errors, bad_pointers_are_efault)
{
	struct scalepool_alloc a;
	struct scalepool_alloc *ro;
	struct scalepool_info info;
	struct scalepool_free *f;
	struct t_used u;
	const __u32 w[2] = { 1, 1 };
	__u32 handle;

	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_ALLOC, NULL));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_FREE, NULL));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_INFO, NULL));

	/* members_ptr and weights_ptr the kernel cannot read */
	valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
	a.members_ptr = BAD_PTR(self);
	alloc_fails(&a, EFAULT);
	valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
	a.members_ptr = 8;
	alloc_fails(&a, EFAULT);
	/* half the array readable */
	valid(&a, self->set, SCALEPOOL_POLICY_BIND, M);
	memcpy(self->guard + T_PAGE - sizeof(__u32), &self->m0, sizeof(__u32));
	a.members_ptr = BAD_PTR(self) - sizeof(__u32);
	alloc_fails(&a, EFAULT);
	a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_INTERLEAVE,
		    .nr_members = 2, .members_ptr = (uintptr_t)self->set,
		    .weights_ptr = (uintptr_t)w);
	a.weights_ptr = BAD_PTR(self);
	alloc_fails(&a, EFAULT);

	/* a struct that reaches into the PROT_NONE page */
	ro = (void *)(self->guard + T_PAGE - sizeof(*ro));
	valid(ro, self->set, SCALEPOOL_POLICY_BIND, M);
	ro->size = sizeof(*ro) + 8;
	t_used_snapshot(&u);
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_ALLOC, ro));
	EXPECT_EQ(-1, t_used_changed(&u));

	/*
	 * A struct the kernel can read but not write back: the allocation
	 * it made must be undone, or its handle is lost for good.
	 */
	valid(ro, self->set, SCALEPOOL_POLICY_BIND, 4 * M);
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ));
	t_used_snapshot(&u);
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_ALLOC, ro));
	EXPECT_EQ(-1, t_used_changed(&u)) {
		TH_LOG("ALLOC that could not write back its handle kept memory");
	}
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ | PROT_WRITE));

	/* INFO: placements the kernel cannot write */
	a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_BIND,
		    .nr_members = 2, .members_ptr = (uintptr_t)self->set);
	test_cmd_alloc(self->fd, &a);
	handle = a.handle;
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.handle = handle;
	info.nr_placements = 2;
	info.placements_ptr = BAD_PTR(self);
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_INFO, &info));
	info.placements_ptr = 0;
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_INFO, &info));
	/* ...or an INFO struct it cannot write back */
	memcpy(self->guard, &info, sizeof(info));
	((struct scalepool_info *)self->guard)->nr_placements = 0;
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_INFO, self->guard));
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ | PROT_WRITE));

	/* FREE reaching into the PROT_NONE page: nothing freed */
	f = (void *)(self->guard + T_PAGE - sizeof(*f));
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f) + 8;
	f->handle = handle;
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_FREE, f));
	test_cmd_free(self->fd, handle);
}

/* ---- the size contract of ALLOC, FREE, INFO and EXPORT */

/*
 * The size contract of a command that takes a struct of @len bytes,
 * @tmpl (a valid request), as FREE, INFO and EXPORT have it: a size
 * below @min is EINVAL, a non-zero byte in a 32-byte tail past the
 * struct E2BIG, each unknown flag bit (not in @known) EOPNOTSUPP; and no
 * failure writes anything back.
 */
struct size_contract {
	unsigned long cmd;
	const void *tmpl;
	size_t len, min;
	__u32 known;	/* flag bits the command takes */
};

/* @c's struct, with @size and @flags, at @buf (@c->len + 32 bytes). */
static void *contract_req(const struct size_contract *c, void *buf,
			  __u32 size, __u32 flags)
{
	memset(buf, 0, c->len + 32);
	memcpy(buf, c->tmpl, c->len);
	/* Every struct starts with __u32 size, then __u32 flags. */
	memcpy(buf, &size, sizeof(size));
	memcpy((char *)buf + sizeof(size), &flags, sizeof(flags));
	return buf;
}

static void check_size_contract(struct __test_metadata *_metadata, int fd,
				const struct size_contract *c)
{
	unsigned char buf[256 + 32], want[256 + 32];
	__u32 size, bit;
	int i;

	ASSERT_GE(256, c->len);
	for (size = 0; size < c->min; size += 4) {
		contract_req(c, want, size, 0);
		contract_req(c, buf, size, 0);
		EXPECT_EQ(-EINVAL, t_ioctl(fd, c->cmd, buf));
		EXPECT_EQ(0, memcmp(want, buf, c->len + 32));
	}
	for (i = 0; i < 4; i++) {
		contract_req(c, want, c->len + 32, 0);
		((__u64 *)(want + c->len))[i] = 1ULL << (i * 16);
		memcpy(buf, want, c->len + 32);
		EXPECT_EQ(-E2BIG, t_ioctl(fd, c->cmd, buf));
		EXPECT_EQ(0, memcmp(want, buf, c->len + 32));
	}
	for (bit = 0; bit < 32; bit++) {
		if (c->known & (1U << bit))
			continue;
		contract_req(c, want, c->len, 1U << bit);
		contract_req(c, buf, c->len, 1U << bit);
		EXPECT_EQ(-EOPNOTSUPP, t_ioctl(fd, c->cmd, buf)) {
			TH_LOG("flag bit %u", bit);
		}
		EXPECT_EQ(0, memcmp(want, buf, c->len));
	}
}


TEST_F(errors, alloc_size_contract)
{
	struct alloc_big big;
	struct t_used u;
	__u32 size;
	int i;

	for (size = 0; size < ALLOC_MIN_SIZE; size += (size < 8 ? 1 : 4)) {
		valid(&big.a, self->set, SCALEPOOL_POLICY_BIND, M);
		big.a.size = size;
		alloc_fails(&big.a, EINVAL);
	}
	for (i = 0; i < 4; i++) {
		memset(&big, 0, sizeof(big));
		valid(&big.a, self->set, SCALEPOOL_POLICY_BIND, M);
		big.a.size = sizeof(big);
		big.tail[i] = 1ULL << (i * 16);
		t_used_snapshot(&u);
		EXPECT_EQ(-E2BIG, t_ioctl(self->fd, SCALEPOOL_ALLOC, &big));
		EXPECT_EQ(0, big.a.handle);
		EXPECT_EQ(-1, t_used_changed(&u));
	}
	/* A newer program's zero tail works; only known bytes come back. */
	memset(&big, 0, sizeof(big));
	valid(&big.a, self->set, SCALEPOOL_POLICY_BIND, M);
	big.a.size = sizeof(big);
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_ALLOC, &big));
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[3]);
	test_cmd_free(self->fd, big.a.handle);
}

TEST_F(errors, free_size_contract_flags_and_reserved)
{
	struct scalepool_free f = { .size = sizeof(f) };
	const struct size_contract c = {
		.cmd = SCALEPOOL_FREE, .tmpl = &f, .len = sizeof(f),
		.min = FREE_MIN_SIZE,
	};
	struct free_big big;
	__u32 handle;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	f.handle = handle;
	check_size_contract(_metadata, self->fd, &c);
	memset(&big, 0, sizeof(big));
	big.f.size = sizeof(big.f);
	big.f.handle = handle;
	big.f.__reserved = 1;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, SCALEPOOL_FREE, &big));

	/* None of that freed it; a zero tail does. */
	memset(&big, 0, sizeof(big));
	big.f.size = sizeof(big);
	big.f.handle = handle;
	EXPECT_EQ(0, t_ioctl(self->fd, SCALEPOOL_FREE, &big));
	test_err_free(ENOENT, self->fd, handle);
}

TEST_F(errors, info_size_contract_and_flags)
{
	struct scalepool_info info = { .size = sizeof(info) };
	const struct size_contract c = {
		.cmd = SCALEPOOL_INFO, .tmpl = &info, .len = sizeof(info),
		.min = INFO_MIN_SIZE,
	};
	struct scalepool_placement pl[2];
	struct info_big big;
	__u32 handle;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	info.handle = handle;
	check_size_contract(_metadata, self->fd, &c);
	memset(&big, 0, sizeof(big));
	big.i.size = sizeof(big);
	big.i.handle = handle;
	big.i.nr_placements = 2;
	big.i.placements_ptr = (uintptr_t)pl;
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_INFO, &big));
	EXPECT_EQ(M, big.i.length);
	EXPECT_EQ(1, big.i.nr_placements);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[3]);
	test_cmd_free(self->fd, handle);
}

/*
 * INFO's @basis and @state are output only: whatever is passed in, a
 * live BIND to one member gets BASIS_NONE and no state bit.  ABI 2 takes
 * no shorter struct (the one without @basis and @state is EINVAL above).
 */
TEST_F(errors, info_basis_and_state_are_output_only)
{
	struct info_big big;
	__u32 handle;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	memset(&big, 0, sizeof(big));
	big.i.size = offsetof(struct scalepool_info, basis);
	big.i.handle = handle;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, SCALEPOOL_INFO, &big));
	EXPECT_EQ(0, big.i.length);

	memset(&big, 0, sizeof(big));
	big.i.size = sizeof(big.i);
	big.i.handle = handle;
	big.i.basis = 77;
	big.i.state = ~0U;
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_INFO, &big));
	EXPECT_EQ(M, big.i.length);
	EXPECT_EQ(SCALEPOOL_BASIS_NONE, big.i.basis);
	EXPECT_EQ(0, big.i.state);
	test_cmd_free(self->fd, handle);
}

TEST_F(errors, export_size_contract_flags_and_efault)
{
	struct scalepool_export ex = { .size = sizeof(ex), .fd = -1 };
	const struct size_contract c = {
		.cmd = SCALEPOOL_EXPORT, .tmpl = &ex, .len = sizeof(ex),
		.min = EXPORT_MIN_SIZE,
		.known = SCALEPOOL_EXPORT_CLOEXEC | SCALEPOOL_EXPORT_RDONLY,
	};
	struct scalepool_export *e;
	struct export_big big;
	__u32 handle;
	int fds;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	fds = t_count_fds();
	ex.handle = handle;
	check_size_contract(_metadata, self->fd, &c);
	/* A struct the kernel cannot write back: no fd is left behind. */
	e = (void *)self->guard;
	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	e->handle = handle;
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ));
	EXPECT_EQ(-EFAULT, t_ioctl(self->fd, SCALEPOOL_EXPORT, e));
	ASSERT_EQ(0, mprotect(self->guard, T_PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(fds, t_count_fds());

	/* A newer program's zero tail works; only known bytes come back. */
	memset(&big, 0, sizeof(big));
	big.e.size = sizeof(big);
	big.e.handle = handle;
	ASSERT_EQ(0, t_ioctl(self->fd, SCALEPOOL_EXPORT, &big));
	EXPECT_LE(0, big.e.fd);
	EXPECT_EQ(0, big.tail[0]);
	EXPECT_EQ(0, big.tail[3]);
	EXPECT_EQ(fds + 1, t_count_fds());
	close(big.e.fd);
	test_cmd_free(self->fd, handle);
}

/* ---- handles */

TEST_F(errors, double_free_and_unknown_handles_are_enoent)
{
	struct scalepool_info info;
	__u32 handle;

	test_err_free(ENOENT, self->fd, 0);
	test_err_free(ENOENT, self->fd, 12345);
	test_err_free(ENOENT, self->fd, ~0U);
	test_err_info(ENOENT, self->fd, 12345, &info, NULL, 0);

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	test_cmd_free(self->fd, handle);
	test_err_free(ENOENT, self->fd, handle);
	test_err_info(ENOENT, self->fd, handle, &info, NULL, 0);
}

TEST_F(errors, handle_of_another_fd_is_enoent)
{
	struct scalepool_info info;
	struct t_used u;
	__u32 handle;
	int fd2 = t_open();

	ASSERT_LE(0, fd2);
	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	t_used_snapshot(&u);
	test_err_info(ENOENT, fd2, handle, &info, NULL, 0);
	test_err_free(ENOENT, fd2, handle);
	EXPECT_EQ(-1, t_used_changed(&u));
	/* Closing the other fd does not touch this fd's allocation. */
	close(fd2);
	EXPECT_EQ(-1, t_used_changed(&u));
	test_cmd_info(self->fd, handle, &info, NULL, 0);
	EXPECT_EQ(M, info.length);
	test_cmd_free(self->fd, handle);
}

/*
 * ABA: a handle freed and then re-allocated must not name the new
 * allocation, or a stale FREE (another thread's, say) frees it.  Each
 * ALLOC gets a new handle, and the stale one gets ENOENT everywhere.
 */
TEST_F(errors, stale_handle_after_free_and_alloc_is_enoent)
{
	struct scalepool_info info;
	struct t_used u;
	__u32 h1, h2;
	int dfd;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &h1, NULL);
	test_cmd_free(self->fd, h1);
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h2, NULL);
	EXPECT_NE(h1, h2) {
		TH_LOG("handle %u was handed out again right after FREE", h1);
	}
	t_used_snapshot(&u);
	test_err_info(ENOENT, self->fd, h1, &info, NULL, 0);
	dfd = _test_cmd_export(self->fd, h1, 0);
	EXPECT_EQ(-ENOENT, dfd);
	if (dfd >= 0)
		close(dfd);
	test_err_free(ENOENT, self->fd, h1);
	/* The new allocation is untouched by all that. */
	EXPECT_EQ(-1, t_used_changed(&u));
	test_cmd_info(self->fd, h2, &info, NULL, 0);
	EXPECT_EQ(2 * M, info.length);
	test_cmd_free(self->fd, h2);
}

/* Handles count up: none comes back within many ALLOC/FREE rounds. */
TEST_F(errors, handles_are_not_reused_lowest_first)
{
	__u32 seen[256], h;
	unsigned int i, j;

	for (i = 0; i < T_ARRAY_SIZE(seen); i++) {
		test_cmd_alloc_on(self->fd, self->m0, 0, T_PAGE, &h, NULL);
		test_cmd_free(self->fd, h);
		EXPECT_NE(0, h);
		/* Braces: the harness's macro is more than one statement. */
		for (j = 0; j < i; j++) {
			ASSERT_NE(seen[j], h) {
				TH_LOG("round %u got round %u's handle %u",
				       i, j, h);
			}
		}
		seen[i] = h;
	}
}

/*
 * ABA for offsets: the offset of a freed allocation must not map the
 * next one (of the same size, so that lowest-first reuse would put it
 * at the same offset): EINVAL, and the new one maps at its own offset.
 */
TEST_F(errors, stale_offset_after_free_and_alloc_is_einval)
{
	__u64 o1, o2;
	__u32 h1, h2;
	char *map;

	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h1, &o1);
	map = t_map(self->fd, o1, 2 * M);
	ASSERT_NE(MAP_FAILED, map);
	munmap(map, 2 * M);
	test_cmd_free(self->fd, h1);
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h2, &o2);
	EXPECT_NE(o1, o2);
	errno = 0;
	map = t_map(self->fd, o1, 2 * M);
	EXPECT_EQ(MAP_FAILED, map) {
		TH_LOG("the freed allocation's offset %#llx mapped another",
		       (unsigned long long)o1);
		munmap(map, 2 * M);
	}
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	map = t_map(self->fd, o1 + T_PAGE, T_PAGE);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EINVAL, errno);
	map = t_map(self->fd, o2, 2 * M);
	ASSERT_NE(MAP_FAILED, map);
	munmap(map, 2 * M);
	test_cmd_free(self->fd, h2);
}

/*
 * Offsets are the kernel's: page-aligned, 2 MiB-aligned for 2 MiB and
 * more, below 2^44 (a 32-bit process's mmap2 reaches them), never 0,
 * in disjoint ranges, and INFO reports the same.  A mapping may not
 * straddle two allocations, and offset 0 names nothing.
 */
TEST_F(errors, offsets_are_compact_aligned_and_disjoint)
{
	static const __u64 len[] = { T_PAGE, 3 * T_PAGE, 2 * M, M,
				     4 * M + T_PAGE, T_PAGE, 2 * M };
	__u64 off[T_ARRAY_SIZE(len)];
	__u32 h[T_ARRAY_SIZE(len)];
	struct scalepool_info info;
	unsigned int i, j;
	char *map;

	for (i = 0; i < T_ARRAY_SIZE(len); i++) {
		test_cmd_alloc_on(self->fd, self->m0, 0, len[i], &h[i],
				  &off[i]);
		EXPECT_NE(0, off[i]);
		EXPECT_EQ(0, off[i] % T_PAGE);
		if (len[i] >= 2 * M)
			EXPECT_EQ(0, off[i] % (2 * M));
		EXPECT_GT(1ULL << 44, off[i] + len[i]);
		test_cmd_info(self->fd, h[i], &info, NULL, 0);
		EXPECT_EQ(off[i], info.offset);
		for (j = 0; j < i; j++) {
			EXPECT_TRUE(off[i] + len[i] <= off[j] ||
				    off[j] + len[j] <= off[i]) {
				TH_LOG("%u at %#llx overlaps %u at %#llx", i,
				       (unsigned long long)off[i], j,
				       (unsigned long long)off[j]);
			}
		}
	}
	/* The 4 MiB + 4 KiB one, mapped whole, at its end, and one past. */
	map = t_map(self->fd, off[4], len[4]);
	ASSERT_NE(MAP_FAILED, map);
	map[len[4] - 1] = 1;
	munmap(map, len[4]);
	map = t_map(self->fd, off[4] + len[4] - T_PAGE, T_PAGE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(1, map[T_PAGE - 1]);
	munmap(map, T_PAGE);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, off[4], len[4] + T_PAGE));
	EXPECT_EQ(EINVAL, errno);
	/* Two allocations side by side: no mapping covers both. */
	for (i = 0; i + 1 < T_ARRAY_SIZE(len); i++) {
		if (off[i] + len[i] != off[i + 1])
			continue;
		errno = 0;
		EXPECT_EQ(MAP_FAILED, t_map(self->fd, off[i],
					    len[i] + T_PAGE));
		EXPECT_EQ(EINVAL, errno);
	}
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, 0, T_PAGE));
	EXPECT_EQ(EINVAL, errno);
	for (i = 0; i < T_ARRAY_SIZE(len); i++)
		test_cmd_free(self->fd, h[i]);
}

/* ---- mmap */

TEST_F(errors, mmap_rules)
{
	__u64 offset, offset2;
	__u32 handle, handle2;
	char *map, *part;
	int fd2 = t_open();

	ASSERT_LE(0, fd2);
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &handle, &offset);

	/* private */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * M, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->fd, offset));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, T_PAGE, PROT_READ, MAP_PRIVATE,
				   self->fd, offset));
	EXPECT_EQ(EINVAL, errno);

	/* past the end */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset, 2 * M + T_PAGE));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset + T_PAGE, 2 * M));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset + 2 * M, T_PAGE));
	EXPECT_EQ(EINVAL, errno);

	/* an offset that is no allocation of this fd */
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset + (1ULL << 40), T_PAGE));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(fd2, offset, T_PAGE));
	EXPECT_EQ(EINVAL, errno) {
		TH_LOG("another fd mapped this fd's offset");
	}
	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle2, &offset2);
	test_cmd_free(self->fd, handle2);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, t_map(self->fd, offset2, T_PAGE));
	EXPECT_EQ(EINVAL, errno) {
		TH_LOG("a freed allocation's offset was mapped");
	}

	/* a page-aligned part works and shares the bytes */
	map = t_map(self->fd, offset, 2 * M);
	ASSERT_NE(MAP_FAILED, map);
	part = t_map(self->fd, offset + T_PAGE, 2 * M - 2 * T_PAGE);
	ASSERT_NE(MAP_FAILED, part);
	part[0] = 0x5a;
	part[2 * M - 2 * T_PAGE - 1] = 0x6b;
	EXPECT_EQ(0x5a, map[T_PAGE]);
	EXPECT_EQ(0x6b, map[2 * M - T_PAGE - 1]);
	EXPECT_EQ(0, map[0]);
	munmap(part, 2 * M - 2 * T_PAGE);
	munmap(map, 2 * M);
	test_cmd_free(self->fd, handle);
	close(fd2);
}

TEST_HARNESS_MAIN
