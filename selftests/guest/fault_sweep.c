// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep (debug kernel): every path of the module that
 * user space can drive is failed at each allocation and user copy it
 * makes, in turn, through the task's own fail-nth file
 * (/proc/self/task/<tid>/fail-nth: only this thread's calls fail, the
 * rest of the guest runs normally), from the first point upwards until
 * the call completes without reaching an injected failure.
 *
 * After each injected failure: the call returns one of its documented
 * errnos (or succeeds, where the path may absorb the failure), and once
 * what it made is undone every member's `used` is back where it was.
 * The try that reaches no failure point must succeed: the next normal
 * call works.  A kmemleak scan after the run (tools/vm/run) finds what
 * leaked.
 *
 * One row per path: a new ioctl, mmap path or sysfs file is one new row
 * in sweep_rows[].  Each row prints how many failure points it reached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pool_test.h"

#define FI_DEBUGFS	"/sys/kernel/debug"
/* More points than any path has: a row that reaches it is a defect. */
#define SWEEP_MAX_POINTS	4000

/* What one try works on; setup fills it, undo empties it. */
struct sweep_state {
	int fd;			/* /dev/scalepool, opened per try */
	__u32 member;		/* the member the calls place on */
	const char *bdf;	/* the peer device of SWEEP_ON_PEER_DEV rows */
	__u32 handle;
	__u64 offset;
	int dfd;		/* an exported dma-buf, or -1 */
	int out_fd;		/* an fd the call made, or -1 */
	int zero_fd;		/* /dev/zero for call_fault, or -1 */
	void *map;		/* a mapping the call made, or MAP_FAILED */
	size_t map_len;
	long long used[2];	/* migrate: member's and member + 1's used */
};

/* Where a row's calls place memory, or what else they need. */
enum sweep_on {
	SWEEP_ON_DRAM,		/* node 0's member (and node 1's next to it) */
	SWEEP_ON_BAR,		/* a BAR member of the peer topology */
	SWEEP_ON_P2PMEM,	/* an NVMe CMB's p2pmem member */
	SWEEP_ON_PEER_DEV,	/* an ivshmem device bound to scalepool */
};

struct sweep_row {
	const char *name;
	enum sweep_on on;
	/* Before the call, not injected: 0, or the try is skipped. */
	int (*setup)(struct sweep_state *s);
	/* The call under injection: 0 or -errno, nothing else between. */
	int (*call)(struct sweep_state *s);
	/*
	 * After the call, not injected: 0 when what the call left is whole
	 * (all of it after a success, none of it after a failure).
	 */
	int (*check)(struct sweep_state *s, int ret);
	/* Documented errnos of an injected failure, 0-terminated. */
	int errnos[6];
};

/* ---- fail-nth */

static int fail_nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR | O_CLOEXEC);
}

static int fail_nth_arm(int nth_fd, int nth)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", nth);

	return pwrite(nth_fd, buf, n, 0) == n ? 0 : -errno;
}

/*
 * Disarms and says whether the armed failure was injected.  A read that
 * itself fails (its copy to user space was the armed point) means the
 * call before it did not reach it.
 */
static bool fail_nth_disarm(int nth_fd)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	/* Best effort: a failure left armed shows in the next try's call. */
	(void)!pwrite(nth_fd, "0", 1, 0);
	return n > 0 && atoi(buf) == 0;
}

/* Debugfs knobs: GFP_KERNEL may fail, nothing printed per failure. */
static const char *const fi_knobs[][2] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_usercopy/verbose", "0" },
};

static int fi_configure(void)
{
	char path[128];
	size_t i;
	int ret;

	for (i = 0; i < T_ARRAY_SIZE(fi_knobs); i++) {
		snprintf(path, sizeof(path), FI_DEBUGFS "/%s", fi_knobs[i][0]);
		ret = t_write_file(path, fi_knobs[i][1]);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the rows' calls */

static int alloc_bind(struct sweep_state *s, __u64 len, __u32 flags)
{
	return _test_cmd_alloc_on(s->fd, s->member, flags, len, &s->handle,
				  &s->offset);
}

static int setup_nothing(struct sweep_state *s)
{
	return 0;
}

static int setup_alloc(struct sweep_state *s)
{
	return alloc_bind(s, M, 0);
}

static int setup_alloc_populate(struct sweep_state *s)
{
	return alloc_bind(s, T_HUGE, SCALEPOOL_ALLOC_POPULATE);
}

static int setup_export(struct sweep_state *s)
{
	int ret = setup_alloc(s);

	if (ret)
		return ret;
	s->dfd = _test_cmd_export(s->fd, s->handle, SCALEPOOL_EXPORT_CLOEXEC);
	return s->dfd < 0 ? s->dfd : 0;
}

static int call_alloc_4k(struct sweep_state *s)
{
	return alloc_bind(s, M, SCALEPOOL_ALLOC_NO_HUGE);
}

static int call_alloc_huge(struct sweep_state *s)
{
	return alloc_bind(s, T_HUGE, 0);
}

static int call_alloc_interleave(struct sweep_state *s)
{
	__u32 ids[2] = { s->member, s->member + 1 }, w[2] = { 1, 2 };
	struct scalepool_alloc a = {
		.size = sizeof(a),
		.length = M,
		.policy = SCALEPOOL_POLICY_INTERLEAVE,
		.nr_members = 2,
		.members_ptr = (uintptr_t)ids,
		.weights_ptr = (uintptr_t)w,
		.granularity = T_PAGE,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
	int ret = _test_cmd_alloc(s->fd, &a);

	if (!ret) {
		s->handle = a.handle;
		s->offset = a.offset;
	}
	return ret;
}

static int call_info(struct sweep_state *s)
{
	struct scalepool_placement pl[4];
	struct scalepool_info info;

	return _test_cmd_info(s->fd, s->handle, &info, pl, 4);
}

static int call_query(struct sweep_state *s)
{
	struct scalepool_query q = { .size = sizeof(q) };

	return t_ioctl(s->fd, SCALEPOOL_QUERY, &q);
}

static int call_free(struct sweep_state *s)
{
	int ret = _test_cmd_free(s->fd, s->handle);

	if (!ret)
		s->handle = 0;
	return ret;
}

static int call_export(struct sweep_state *s)
{
	s->out_fd = _test_cmd_export(s->fd, s->handle, 0);
	return s->out_fd < 0 ? s->out_fd : 0;
}

static int call_open(struct sweep_state *s)
{
	s->out_fd = open(T_DEV, O_RDWR | O_CLOEXEC);
	return s->out_fd < 0 ? -errno : 0;
}

/*
 * Where the rows map: far from every other mapping, so that munmap frees
 * the page tables under it and each try's faults allocate them again
 * (next to other mappings the tables stay, and a fault reaches no
 * failure point).  A hint: the kernel maps elsewhere if it is taken.
 */
#define SWEEP_MAP_HINT	((void *)0x300000000000UL)

static int map_fd(struct sweep_state *s, int fd, __u64 off, size_t len)
{
	s->map = mmap(SWEEP_MAP_HINT, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	s->map_len = len;
	return s->map == MAP_FAILED ? -errno : 0;
}

static int call_mmap(struct sweep_state *s)
{
	return map_fd(s, s->fd, s->offset, M);
}

static int call_mmap_populate(struct sweep_state *s)
{
	return map_fd(s, s->fd, s->offset, T_HUGE);
}

static int call_mmap_dmabuf(struct sweep_state *s)
{
	return map_fd(s, s->dfd, 0, M);
}

static int call_fdinfo(struct sweep_state *s)
{
	char path[64], buf[512];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", s->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Faults every page of the mapping from inside the kernel: read() from
 * /dev/zero clears it through the user copy, so a failure injected in
 * the fault path (a page table, its lock) comes back as EFAULT or a
 * short count.  From user mode the same failure (VM_FAULT_OOM) would
 * only retry the fault.
 */
static int call_fault(struct sweep_state *s)
{
	ssize_t n = read(s->zero_fd, s->map, s->map_len);

	if (n < 0)
		return -errno;
	return n == (ssize_t)s->map_len ? 0 : -EFAULT;
}

/* A mapping is whole when user space can write and read all of it. */
static int check_mapping(struct sweep_state *s, int ret)
{
	unsigned char *p = s->map;
	size_t i;

	memset(p, 0x5a, s->map_len);
	for (i = 0; i < s->map_len; i += T_PAGE)
		if (p[i] != 0x5a || p[i + T_PAGE - 1] != 0x5a)
			return -1;
	return 0;
}

static int setup_mapped(struct sweep_state *s, __u64 len, __u32 flags)
{
	int ret = alloc_bind(s, len, flags);

	if (ret)
		return ret;
	s->zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (s->zero_fd < 0)
		return -errno;
	return map_fd(s, s->fd, s->offset, len);
}

static int setup_mapped_4k(struct sweep_state *s)
{
	return setup_mapped(s, M, SCALEPOOL_ALLOC_NO_HUGE);
}

static int setup_mapped_2m(struct sweep_state *s)
{
	return setup_mapped(s, T_HUGE, 0);
}

static int setup_mapped_dmabuf(struct sweep_state *s)
{
	int ret = setup_export(s);

	if (ret)
		return ret;
	s->zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (s->zero_fd < 0)
		return -errno;
	return map_fd(s, s->dfd, 0, M);
}

/* ---- PCI members: add_bar and remove_member on the peer device */

/* The peer device's BAR member, or -1. */
static int peer_member(struct sweep_state *s)
{
	return t_member_of_pci("bar", s->bdf);
}

/* The device is bound to scalepool (the fixture did it) and no member. */
static int setup_peer_dev(struct sweep_state *s)
{
	int id = peer_member(s);

	return id < 0 ? 0 : t_remove_member(id);
}

static int setup_peer_member(struct sweep_state *s)
{
	int id = setup_peer_dev(s);

	if (id)
		return id;
	id = t_bar_member_add(s->bdf);
	if (id < 0)
		return id;
	s->member = id;
	return 0;
}

static int call_add_bar(struct sweep_state *s)
{
	return t_add_bar(s->bdf);
}

/* All or nothing: a member after a success, none after a failure. */
static int check_add_bar(struct sweep_state *s, int ret)
{
	return (ret == 0) == (peer_member(s) >= 0) ? 0 : -1;
}

static int call_remove_member(struct sweep_state *s)
{
	return t_remove_member(s->member);
}

/* Gone after a success; after a failure still there, and usable. */
static int check_remove_member(struct sweep_state *s, int ret)
{
	if (!ret)
		return peer_member(s) < 0 ? 0 : -1;
	if (peer_member(s) != (int)s->member)
		return -1;
	return alloc_bind(s, M, 0);
}

static int call_limit(struct sweep_state *s)
{
	return t_member_set_limit(s->member, 64 * M);
}

static const char *measured_path(char *buf, size_t len, __u32 member)
{
	snprintf(buf, len, T_MEMBERS "/%u/measured", member);
	return buf;
}

/* A 2 MiB page that members/<id>/drain may move to the next member. */
static int setup_alloc_movable(struct sweep_state *s)
{
	__u32 ids[2] = { s->member, s->member + 1 };
	struct scalepool_alloc a = T_ALLOC(.length = T_HUGE,
		.policy = SCALEPOOL_POLICY_PREFERRED, .nr_members = 2,
		.members_ptr = (uintptr_t)ids,
		.initiator = SCALEPOOL_INITIATOR_LOCAL);
	int ret = _test_cmd_alloc(s->fd, &a);

	s->handle = a.handle;
	s->offset = a.offset;
	return ret;
}

static int call_drain(struct sweep_state *s)
{
	char path[96];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/drain", s->member);
	return t_write_file(path, "1");
}

/* Tiering's knobs (kernel/tier.c), left at their defaults: off. */
static int call_tier(struct sweep_state *s)
{
	return t_write_file(T_SYSFS "/tier_scan_ms", "1000") ?:
	       t_write_file(T_SYSFS "/tier_rate_limit_MBps", "0");
}

/*
 * MIGRATE: a 2 MiB page and two 4 KiB pages on the member, mapped and
 * filled, moved whole to the next member (BIND).
 */
#define SWEEP_MIGRATE_LEN	(T_HUGE + 2 * T_PAGE)
#define SWEEP_MIGRATE_SEED	61

static int setup_migrate(struct sweep_state *s)
{
	int ret = alloc_bind(s, SWEEP_MIGRATE_LEN, 0);

	if (ret)
		return ret;
	ret = map_fd(s, s->fd, s->offset, SWEEP_MIGRATE_LEN);
	if (ret)
		return ret;
	t_fill(s->map, SWEEP_MIGRATE_LEN, SWEEP_MIGRATE_SEED);
	s->used[0] = t_member_ll(s->member, "used");
	s->used[1] = t_member_ll(s->member + 1, "used");
	return 0;
}

static int call_migrate(struct sweep_state *s)
{
	__u32 id = s->member + 1;
	struct scalepool_migrate m = {
		.size = sizeof(m), .handle = s->handle,
		.policy = SCALEPOOL_POLICY_BIND, .nr_members = 1,
		.members_ptr = (uintptr_t)&id,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};

	return t_ioctl(s->fd, SCALEPOOL_MIGRATE, &m);
}

/*
 * Pages moved before a failure stay moved: INFO's placement covers the
 * allocation, each member's used moved by what INFO says moved, all of
 * it after a success, and the data is intact.
 */
static int check_migrate(struct sweep_state *s, int ret)
{
	long long on0 = t_placed_on(s->fd, s->handle, s->member, NULL);
	long long on1 = t_placed_on(s->fd, s->handle, s->member + 1, NULL);

	if (on0 < 0 || on1 < 0 || on0 + on1 != (long long)SWEEP_MIGRATE_LEN)
		return -1;
	if (!ret && on1 != (long long)SWEEP_MIGRATE_LEN)
		return -1;
	if (t_member_ll(s->member, "used") != s->used[0] - on1 ||
	    t_member_ll(s->member + 1, "used") != s->used[1] + on1)
		return -1;
	return t_check(s->map, SWEEP_MIGRATE_LEN, SWEEP_MIGRATE_SEED) == -1 ?
	       0 : -1;
}

static int call_measured(struct sweep_state *s)
{
	char path[96];

	return t_write_file(measured_path(path, sizeof(path), s->member),
			    "0 100 1000\n");
}

/*
 * The rows: name, where the calls place (or what they need), setup,
 * call, check (or NULL), then the documented errnos of an injected
 * failure.  A new path is one new line.  A fault's failure reaches user
 * space as EFAULT from a kernel copy (call_fault), never a signal.
 * add_bar's EBUSY: __request_region() returns NULL both when the range
 * is taken and when it cannot allocate its struct resource, and
 * pci_request_region() says EBUSY for both.
 */
#define SWEEP_ROWS(X)							\
	X(open, DRAM, setup_nothing, call_open, NULL, ENOMEM, ENFILE,	\
	  EFAULT)							\
	X(query, DRAM, setup_nothing, call_query, NULL, EFAULT)		\
	X(alloc_bind_4k, DRAM, setup_nothing, call_alloc_4k, NULL,	\
	  ENOMEM, EFAULT)						\
	X(alloc_bind_2m, DRAM, setup_nothing, call_alloc_huge, NULL,	\
	  ENOMEM, EFAULT)						\
	X(alloc_interleave, DRAM, setup_nothing, call_alloc_interleave, \
	  NULL, ENOMEM, EFAULT)						\
	X(info, DRAM, setup_alloc, call_info, NULL, EFAULT, ENOMEM)	\
	X(free, DRAM, setup_alloc, call_free, NULL, EFAULT)		\
	X(export, DRAM, setup_alloc, call_export, NULL, ENOMEM, EFAULT,	\
	  ENFILE)							\
	X(mmap, DRAM, setup_alloc, call_mmap, NULL, ENOMEM, EAGAIN)	\
	X(mmap_populate, DRAM, setup_alloc_populate, call_mmap_populate, \
	  NULL, ENOMEM, EAGAIN)						\
	X(mmap_dmabuf, DRAM, setup_export, call_mmap_dmabuf, NULL,	\
	  ENOMEM, EAGAIN)						\
	X(fault_4k, DRAM, setup_mapped_4k, call_fault, check_mapping,	\
	  EFAULT)							\
	X(fault_2m, DRAM, setup_mapped_2m, call_fault, check_mapping,	\
	  EFAULT)							\
	X(fault_dmabuf, DRAM, setup_mapped_dmabuf, call_fault,		\
	  check_mapping, EFAULT)					\
	X(fdinfo, DRAM, setup_alloc, call_fdinfo, NULL, ENOMEM, EFAULT)	\
	X(sysfs_limit, DRAM, setup_nothing, call_limit, NULL, ENOMEM,	\
	  EFAULT)							\
	X(sysfs_measured, DRAM, setup_nothing, call_measured, NULL,	\
	  ENOMEM, EFAULT)						\
	X(sysfs_drain, DRAM, setup_alloc_movable, call_drain, NULL,	\
	  ENOMEM, EFAULT)						\
	X(sysfs_tier, DRAM, setup_nothing, call_tier, NULL, ENOMEM,	\
	  EFAULT)							\
	X(migrate, DRAM, setup_migrate, call_migrate, check_migrate,	\
	  ENOMEM, EFAULT)						\
	X(add_bar, PEER_DEV, setup_peer_dev, call_add_bar, check_add_bar, \
	  ENOMEM, EFAULT, EBUSY)						\
	X(remove_member, PEER_DEV, setup_peer_member, call_remove_member, \
	  check_remove_member, ENOMEM, EFAULT)				\
	X(alloc_bar, BAR, setup_nothing, call_alloc_4k, NULL, ENOMEM,	\
	  EFAULT)							\
	X(export_bar, BAR, setup_alloc, call_export, NULL, ENOMEM,	\
	  EFAULT, ENFILE)						\
	X(mmap_bar, BAR, setup_alloc, call_mmap, NULL, ENOMEM, EAGAIN)	\
	X(fault_bar, BAR, setup_mapped_4k, call_fault, check_mapping,	\
	  EFAULT)							\
	X(alloc_p2pmem, P2PMEM, setup_nothing, call_alloc_4k, NULL,	\
	  ENOMEM, EFAULT)						\
	X(mmap_p2pmem, P2PMEM, setup_alloc, call_mmap, NULL, ENOMEM,	\
	  EAGAIN)							\
	X(fault_p2pmem, P2PMEM, setup_mapped_4k, call_fault,		\
	  check_mapping, EFAULT)

#define SWEEP_ROW_ENUM(name, ...)	SWEEP_##name,
enum { SWEEP_ROWS(SWEEP_ROW_ENUM) SWEEP_NR_ROWS };

#define SWEEP_ROW_ENTRY(name, on, setup, call, check, ...)		\
	[SWEEP_##name] = { #name, SWEEP_ON_##on, setup, call, check,	\
			   { __VA_ARGS__, 0 } },
static const struct sweep_row sweep_rows[] = { SWEEP_ROWS(SWEEP_ROW_ENTRY) };

/* ---- the sweep */

static void sweep_undo(struct sweep_state *s)
{
	char path[96];

	if (s->map != MAP_FAILED)
		munmap(s->map, s->map_len);
	if (s->out_fd >= 0)
		close(s->out_fd);
	if (s->dfd >= 0)
		close(s->dfd);
	if (s->zero_fd >= 0)
		close(s->zero_fd);
	if (s->fd >= 0)
		close(s->fd);	/* frees every allocation left */
	if (s->bdf) {
		setup_peer_dev(s);
	} else {
		t_member_set_limit(s->member, 0);
		t_write_file(measured_path(path, sizeof(path), s->member),
			     "clear");
	}
	s->fd = s->dfd = s->out_fd = s->zero_fd = -1;
	s->map = MAP_FAILED;
	s->handle = 0;
}

static bool errno_documented(const struct sweep_row *r, int err)
{
	int i;

	for (i = 0; r->errnos[i]; i++)
		if (err == -r->errnos[i])
			return true;
	return false;
}

FIXTURE(sweep) {
	int nth_fd;
	__u32 member;
	struct t_pci_dev dev;	/* the peer device, dev.bdf[0] when none */
};

FIXTURE_VARIANT(sweep) {
	int row;
};

#define SWEEP_ROW_VARIANT(name, ...)					\
	FIXTURE_VARIANT_ADD(sweep, name) { .row = SWEEP_##name };
SWEEP_ROWS(SWEEP_ROW_VARIANT)

/* The peer topology's ivshmem device behind the switch; 0 or -1. */
static int sweep_find_peer_dev(struct t_pci_dev *dev)
{
	struct t_pci_dev devs[8];
	int i, n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 0, devs, 8);

	for (i = 0; i < n; i++)
		if (!devs[i].root_bus) {
			*dev = devs[i];
			return 0;
		}
	return -1;
}

/* The first p2pmem member, or -1. */
static int sweep_find_p2pmem(void)
{
	__u32 ids[T_MAX_IDS];
	int i, n = t_members(ids, T_MAX_IDS);
	char kind[16];

	for (i = 0; i < n; i++)
		if (!t_member_attr(ids[i], "kind", kind, sizeof(kind)) &&
		    !strcmp(kind, "p2pmem"))
			return ids[i];
	return -1;
}

FIXTURE_SETUP(sweep)
{
	enum sweep_on on = sweep_rows[variant->row].on;
	int node0 = t_member_of_node(0), node1 = t_member_of_node(1), id;

	self->dev.bdf[0] = 0;
	self->nth_fd = fail_nth_open();
	if (self->nth_fd < 0)
		SKIP(return, "no fail-nth: the kernel lacks CONFIG_FAULT_INJECTION");
	ASSERT_EQ(0, fi_configure());
	/* interleave takes member and member + 1: the two DRAM nodes. */
	ASSERT_LE(0, node0);
	ASSERT_EQ(node0 + 1, node1);
	self->member = node0;
	if (on == SWEEP_ON_P2PMEM) {
		id = sweep_find_p2pmem();
		if (id < 0)
			SKIP(return, "no p2pmem member (needs P2PDMA and --topology peer)");
		self->member = id;
	} else if (on != SWEEP_ON_DRAM) {
		if (sweep_find_peer_dev(&self->dev))
			SKIP(return, "needs the peer topology's ivshmem device");
		ASSERT_EQ(0, t_pci_bind(self->dev.bdf, T_SP_DRIVER));
	}
	if (on == SWEEP_ON_BAR) {
		id = t_bar_member_add(self->dev.bdf);
		ASSERT_LE(0, id);
		self->member = id;
	}
}

FIXTURE_TEARDOWN(sweep)
{
	int id;

	if (self->dev.bdf[0]) {
		id = t_member_of_pci("bar", self->dev.bdf);
		if (id >= 0)
			t_remove_member(id);
		t_pci_unbind(self->dev.bdf, T_SP_DRIVER);
	}
	if (self->nth_fd >= 0)
		close(self->nth_fd);
}

/* After the call, disarmed: the errno is documented, the state whole. */
static void sweep_judge(struct __test_metadata *_metadata,
			const struct sweep_row *r, struct sweep_state *s,
			int nth, bool injected, int ret, int *absorbed)
{
	if (!injected) {
		EXPECT_EQ(0, ret);
	} else if (!ret) {
		(*absorbed)++;
	} else {
		EXPECT_TRUE(errno_documented(r, ret))
			TH_LOG("%s: failure point %d: %s is not documented",
			       r->name, nth, strerror(-ret));
	}
	if (r->check)
		EXPECT_EQ(0, r->check(s, ret))
			TH_LOG("%s: failure point %d: %s left partial state",
			       r->name, nth, ret ? "a failure" : "a success");
}

/*
 * One try at @nth: 1 when it reached no failure point, 0 when it did
 * (*@absorbed counts the failures the call succeeded despite).
 */
static int sweep_try(struct __test_metadata *_metadata,
		     const struct sweep_row *r, FIXTURE_DATA(sweep) *self,
		     int nth, int *absorbed)
{
	struct sweep_state s = {
		.fd = t_open(), .member = self->member, .dfd = -1,
		.out_fd = -1, .zero_fd = -1, .map = MAP_FAILED,
		.bdf = r->on == SWEEP_ON_PEER_DEV ? self->dev.bdf : NULL,
	};
	struct t_used before;
	bool injected;
	int ret;

	t_used_snapshot(&before);
	EXPECT_LE(0, s.fd);
	EXPECT_EQ(0, r->setup(&s));
	if (s.fd < 0 || _metadata->exit_code) {
		sweep_undo(&s);
		return -1;
	}
	ASSERT_EQ(0, fail_nth_arm(self->nth_fd, nth));
	ret = r->call(&s);
	injected = fail_nth_disarm(self->nth_fd);
	sweep_judge(_metadata, r, &s, nth, injected, ret, absorbed);
	sweep_undo(&s);
	EXPECT_EQ(-1, t_used_settle(&before, 2))
		TH_LOG("%s: failure point %d: a member's used did not go back",
		       r->name, nth);
	return injected ? 0 : 1;
}

TEST_F_TIMEOUT(sweep, every_failure_point, 1200)
{
	const struct sweep_row *r = &sweep_rows[variant->row];
	int nth, done = 0, absorbed = 0;

	for (nth = 1; nth <= SWEEP_MAX_POINTS && !done; nth++) {
		done = sweep_try(_metadata, r, self, nth, &absorbed);
		if (done < 0 || _metadata->exit_code)
			break;
	}
	ASSERT_EQ(1, done);
	printf("# %s: %d failure points, %d absorbed\n", r->name, nth - 2,
	       absorbed);
}

/*
 * The rows on PCI members run only with --peer (suite fault-sweep-peer,
 * on the peer topology), the others only without it, so that neither
 * machine lists rows it cannot run.  Further arguments go to the
 * harness first (-l, -v ROW, ...).
 */
int main(int argc, char **argv)
{
	bool peer = argc > 1 && !strcmp(argv[1], "--peer");
	char *args[argc + 2 * SWEEP_NR_ROWS + 1];
	int i, n = 0;

	args[n++] = argv[0];
	for (i = 1 + peer; i < argc; i++)
		args[n++] = argv[i];
	for (i = 0; i < SWEEP_NR_ROWS; i++)
		if ((sweep_rows[i].on != SWEEP_ON_DRAM) == peer) {
			args[n++] = "-v";
			args[n++] = (char *)sweep_rows[i].name;
		}
	args[n] = NULL;
	return test_harness_run(n, args);
}
