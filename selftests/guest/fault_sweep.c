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
	__u32 member;		/* a DRAM member the calls place on */
	__u32 handle;
	__u64 offset;
	int dfd;		/* an exported dma-buf, or -1 */
	int out_fd;		/* an fd the call made, or -1 */
	void *map;		/* a mapping the call made, or MAP_FAILED */
	size_t map_len;
};

struct sweep_row {
	const char *name;
	/* Before the call, not injected: 0, or the try is skipped. */
	int (*setup)(struct sweep_state *s);
	/* The call under injection: 0 or -errno, nothing else between. */
	int (*call)(struct sweep_state *s);
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

static int map_fd(struct sweep_state *s, int fd, __u64 off, size_t len)
{
	s->map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
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

static int call_measured(struct sweep_state *s)
{
	char path[96];

	return t_write_file(measured_path(path, sizeof(path), s->member),
			    "0 100 1000\n");
}

/*
 * The rows: name, setup, call, then the documented errnos of an injected
 * failure.  A new path is one new line.
 */
#define SWEEP_ROWS(X)							\
	X(open, setup_nothing, call_open, ENOMEM, ENFILE, EFAULT)	\
	X(query, setup_nothing, call_query, EFAULT)			\
	X(alloc_bind_4k, setup_nothing, call_alloc_4k, ENOMEM, EFAULT)	\
	X(alloc_bind_2m, setup_nothing, call_alloc_huge, ENOMEM, EFAULT) \
	X(alloc_interleave, setup_nothing, call_alloc_interleave,	\
	  ENOMEM, EFAULT)						\
	X(info, setup_alloc, call_info, EFAULT, ENOMEM)			\
	X(free, setup_alloc, call_free, EFAULT)				\
	X(export, setup_alloc, call_export, ENOMEM, EFAULT, ENFILE)	\
	X(mmap, setup_alloc, call_mmap, ENOMEM, EAGAIN)			\
	X(mmap_populate, setup_alloc_populate, call_mmap_populate,	\
	  ENOMEM, EAGAIN)						\
	X(mmap_dmabuf, setup_export, call_mmap_dmabuf, ENOMEM, EAGAIN)	\
	X(fdinfo, setup_alloc, call_fdinfo, ENOMEM, EFAULT)		\
	X(sysfs_limit, setup_nothing, call_limit, ENOMEM, EFAULT)	\
	X(sysfs_measured, setup_nothing, call_measured, ENOMEM, EFAULT)	\
	X(sysfs_drain, setup_alloc_movable, call_drain, ENOMEM, EFAULT)

#define SWEEP_ROW_ENUM(name, ...)	SWEEP_##name,
enum { SWEEP_ROWS(SWEEP_ROW_ENUM) SWEEP_NR_ROWS };

#define SWEEP_ROW_ENTRY(name, setup, call, ...)				\
	[SWEEP_##name] = { #name, setup, call, { __VA_ARGS__, 0 } },
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
	if (s->fd >= 0)
		close(s->fd);	/* frees every allocation left */
	t_member_set_limit(s->member, 0);
	t_write_file(measured_path(path, sizeof(path), s->member), "clear");
	s->fd = s->dfd = s->out_fd = -1;
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
};

FIXTURE_VARIANT(sweep) {
	int row;
};

#define SWEEP_ROW_VARIANT(name, ...)					\
	FIXTURE_VARIANT_ADD(sweep, name) { .row = SWEEP_##name };
SWEEP_ROWS(SWEEP_ROW_VARIANT)

FIXTURE_SETUP(sweep)
{
	int node0 = t_member_of_node(0), node1 = t_member_of_node(1);

	self->nth_fd = fail_nth_open();
	if (self->nth_fd < 0)
		SKIP(return, "no fail-nth: the kernel lacks CONFIG_FAULT_INJECTION");
	ASSERT_EQ(0, fi_configure());
	/* interleave takes member and member + 1: the two DRAM nodes. */
	ASSERT_LE(0, node0);
	ASSERT_EQ(node0 + 1, node1);
	self->member = node0;
}

FIXTURE_TEARDOWN(sweep)
{
	if (self->nth_fd >= 0)
		close(self->nth_fd);
}

/*
 * One try at @nth: 1 when it reached no failure point, 0 when it did
 * (*@absorbed counts the failures the call succeeded despite).
 */
static int sweep_try(struct __test_metadata *_metadata,
		     const struct sweep_row *r, int nth_fd, __u32 member,
		     int nth, int *absorbed)
{
	struct sweep_state s = {
		.fd = t_open(), .member = member, .dfd = -1, .out_fd = -1,
		.map = MAP_FAILED,
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
	ASSERT_EQ(0, fail_nth_arm(nth_fd, nth));
	ret = r->call(&s);
	injected = fail_nth_disarm(nth_fd);
	if (!injected) {
		EXPECT_EQ(0, ret);
	} else if (!ret) {
		(*absorbed)++;
	} else {
		EXPECT_TRUE(errno_documented(r, ret))
			TH_LOG("%s: failure point %d: %s is not documented",
			       r->name, nth, strerror(-ret));
	}
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
		done = sweep_try(_metadata, r, self->nth_fd, self->member,
				 nth, &absorbed);
		if (done < 0 || _metadata->exit_code)
			break;
	}
	ASSERT_EQ(1, done);
	printf("# %s: %d failure points, %d absorbed\n", r->name, nth - 2,
	       absorbed);
}

TEST_HARNESS_MAIN
