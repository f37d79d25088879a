// SPDX-License-Identifier: GPL-2.0
/*
 * What bounds a user of /dev/scalepool: the file mode (ALLOC and FREE
 * need a file opened for writing, EBADF otherwise, and change nothing),
 * the per-file cap max_bytes_per_fd (ENOSPC above it, nothing charged),
 * the OOM killer's view (pool memory in RssShmem and VmRSS of the
 * process that allocated it, whether mapped or not), the largest
 * allocation the UAPI allows, and SCALEPOOL_ALLOC_POPULATE mapping every
 * page before mmap() returns.  Runs in the guest of the default
 * topology with scalepool.ko loaded.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define CAP_PARAM	"/sys/module/scalepool/parameters/max_bytes_per_fd"

/* A "Key:  N kB" line of /proc/@pid/status in bytes, or -1. */
static long long status_bytes(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static long long cap_get(void)
{
	char buf[64];

	if (t_read_line(CAP_PARAM, buf, sizeof(buf)))
		return -1;
	return (long long)strtoull(buf, NULL, 10);
}

static int cap_set(unsigned long long bytes)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", bytes);
	return t_write_file(CAP_PARAM, buf);
}

FIXTURE(limits) {
	int fd;
	__u32 m0;		/* the member of DRAM node 0 */
	long long cap;		/* max_bytes_per_fd as the test found it */
};

FIXTURE_SETUP(limits)
{
	int m0;

	self->cap = -1;
	test_open(&self->fd);
	m0 = t_member_of_node(0);
	ASSERT_LE(0, m0);
	self->m0 = m0;
	/* The per-file cap: a module parameter, checked by its tests. */
	self->cap = cap_get();
}

FIXTURE_TEARDOWN(limits)
{
	if (self->cap >= 0)
		cap_set(self->cap);
	if (self->fd >= 0)
		close(self->fd);
}

/* ---- file mode */

/*
 * ALLOC and FREE on an O_RDONLY fd: EBADF, before anything else is
 * looked at, and nothing allocated or charged; QUERY and INFO work.
 */
TEST_F(limits, read_only_fd_cannot_alloc_or_free)
{
	long long used = t_member_ll(self->m0, "used");
	struct scalepool_query q = { .size = sizeof(q) };
	struct scalepool_alloc a;
	struct scalepool_info info;
	int ro;

	ro = open(T_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	a = T_ALLOC(.length = M, .policy = SCALEPOOL_POLICY_BIND,
		    .nr_members = 1, .members_ptr = (uintptr_t)&self->m0,
		    .initiator = SCALEPOOL_INITIATOR_LOCAL);
	EXPECT_EQ(-EBADF, t_ioctl(ro, SCALEPOOL_ALLOC, &a));
	EXPECT_EQ(0, a.handle);
	EXPECT_EQ(0, a.offset);
	/* Even a bad request gets EBADF: the fd is what is wrong. */
	a.flags = ~0U;
	EXPECT_EQ(-EBADF, t_ioctl(ro, SCALEPOOL_ALLOC, &a));
	test_err_free(EBADF, ro, 1);
	EXPECT_EQ(used, t_member_ll(self->m0, "used"));
	EXPECT_EQ(0, t_fdinfo_ll(ro, "scalepool-allocations"));
	EXPECT_EQ(0, t_fdinfo_ll(ro, "scalepool-bytes"));

	EXPECT_EQ(0, t_ioctl(ro, SCALEPOOL_QUERY, &q));
	EXPECT_NE(0, q.abi_version);
	test_err_info(ENOENT, ro, 1, &info, NULL, 0);
	close(ro);

	/* O_WRONLY and O_RDWR may. */
	ro = open(T_DEV, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	a.flags = 0;
	EXPECT_EQ(0, t_ioctl(ro, SCALEPOOL_ALLOC, &a));
	test_cmd_free(ro, a.handle);
	close(ro);
	EXPECT_EQ(used, t_member_ll(self->m0, "used"));
}

/* ---- the per-file cap */

TEST_F(limits, cap_default_is_half_the_ram)
{
	long long total;

	ASSERT_LE(0, self->cap);
	/* MemTotal when the module was loaded; CXL onlined since adds. */
	total = t_keyed_ll("/proc/meminfo", "MemTotal");	/* kB */
	ASSERT_LT(0, total);
	EXPECT_LT(0, self->cap);
	EXPECT_GE(total * 1024 / 2, self->cap);
}

/*
 * Allocations above the cap get ENOSPC and leave nothing charged; FREE
 * gives the room back; each file has a cap of its own; 0 is no cap.
 */
TEST_F(limits, alloc_above_cap_is_enospc)
{
	long long used = t_member_ll(self->m0, "used");
	__u32 h1, h2, h3;
	int fd2;

	ASSERT_LE(0, self->cap);
	ASSERT_EQ(0, cap_set(8 * M));
	EXPECT_EQ(8 * M, cap_get());

	/* One allocation above the cap. */
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, 8 * M + 1, NULL, NULL);
	EXPECT_EQ(used, t_member_ll(self->m0, "used"));
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-bytes"));

	/* Up to the cap exactly, then a page more. */
	test_cmd_alloc_on(self->fd, self->m0, 0, 6 * M, &h1, NULL);
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h2, NULL);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, T_PAGE, NULL, NULL);
	EXPECT_EQ(used + 8 * M, t_member_ll(self->m0, "used"));
	EXPECT_EQ(8 * M, t_fdinfo_ll(self->fd, "scalepool-bytes"));
	EXPECT_EQ(2, t_fdinfo_ll(self->fd, "scalepool-allocations"));

	/* Another file has its own room. */
	fd2 = t_open();
	ASSERT_LE(0, fd2);
	test_cmd_alloc_on(fd2, self->m0, 0, 8 * M, &h3, NULL);
	close(fd2);

	/* FREE gives room back; a failed ALLOC took none. */
	test_cmd_free(self->fd, h2);
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &h2, NULL);
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, T_PAGE, NULL, NULL);

	/* Lowering the cap below what a file holds keeps what it holds. */
	ASSERT_EQ(0, cap_set(M));
	test_err_alloc_on(ENOSPC, self->fd, self->m0, 0, T_PAGE, NULL, NULL);
	test_cmd_free(self->fd, h1);
	test_cmd_free(self->fd, h2);
	test_cmd_alloc_on(self->fd, self->m0, 0, M, &h1, NULL);
	test_cmd_free(self->fd, h1);

	/* 0: no cap. */
	ASSERT_EQ(0, cap_set(0));
	test_cmd_alloc_on(self->fd, self->m0, 0, 16 * M, &h1, NULL);
	test_cmd_free(self->fd, h1);
	EXPECT_EQ(used, t_member_ll(self->m0, "used"));

	/* Not a number: the kernel's parser refuses it, the cap stays. */
	EXPECT_EQ(-EINVAL, t_write_file(CAP_PARAM, "lots"));
	EXPECT_EQ(-EINVAL, t_write_file(CAP_PARAM, "-1"));
	EXPECT_EQ(0, cap_get());
}

/* Racing ALLOCs on one file never pass the cap together. */
struct racer {
	int fd;
	__u32 m0;
	int ok;
};

static void *race_alloc(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < 8; i++)
		if (!_test_cmd_alloc_on(r->fd, r->m0, 0, M, NULL, NULL))
			r->ok++;
	return NULL;
}

TEST_F(limits, racing_allocs_stay_under_cap)
{
	struct racer r[4];
	pthread_t t[4];
	int i, ok = 0;

	ASSERT_LE(0, self->cap);
	ASSERT_EQ(0, cap_set(10 * M));
	for (i = 0; i < 4; i++) {
		r[i] = (struct racer){ .fd = self->fd, .m0 = self->m0 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, race_alloc, &r[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok += r[i].ok;
	}
	EXPECT_EQ(10, ok);
	EXPECT_EQ(10 * M, t_fdinfo_ll(self->fd, "scalepool-bytes"));
}

/* ---- the OOM killer's view: RSS */

/*
 * Pool memory counts in RssShmem (and so VmRSS) of the process that
 * allocated it, from ALLOC to the time it is freed, whether mapped or
 * not, with 2 MiB pages too; a child does not inherit the count.
 */
TEST_F(limits, pool_memory_counts_in_rss)
{
	long long shmem0 = status_bytes(getpid(), "RssShmem");
	long long rss0 = status_bytes(getpid(), "VmRSS");
	const size_t len = 64 * M;
	int status;
	__u64 off;
	__u32 h;
	pid_t pid;
	void *p;

	ASSERT_LE(0, shmem0);
	test_cmd_alloc_on(self->fd, self->m0, 0, len, &h, &off);
	/* Held by the handle only. */
	EXPECT_LE(shmem0 + (long long)len,
		  status_bytes(getpid(), "RssShmem"));
	EXPECT_LE(rss0 + (long long)len, status_bytes(getpid(), "VmRSS"));

	/* Mapped and touched (2 MiB PMDs, counted by the kernel nowhere). */
	p = t_map(self->fd, off, len);
	ASSERT_NE(MAP_FAILED, p);
	t_touch(p, len);
	EXPECT_LE(shmem0 + (long long)len,
		  status_bytes(getpid(), "RssShmem"));

	/* A child shares the mapping but not the count. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long long s = status_bytes(getpid(), "RssShmem");

		_exit(s >= 0 && s < (long long)len ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	/* The mapping alone keeps the memory, and the count. */
	test_cmd_free(self->fd, h);
	EXPECT_LE(shmem0 + (long long)len,
		  status_bytes(getpid(), "RssShmem"));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_GT(shmem0 + (long long)len / 2,
		  status_bytes(getpid(), "RssShmem"));
}

/*
 * The count stays with the process that made the allocation, also once
 * it has exited: a child allocates on the parent's fd and exits, the
 * parent's count does not change, and its FREE gives the count back to
 * the child's dead mm (the kernel's check_mm() would report a bad
 * rss-counter state otherwise, which fails the run).
 */
TEST_F(limits, count_of_exited_allocator)
{
	long long shmem0 = status_bytes(getpid(), "RssShmem");
	long long used = t_member_ll(self->m0, "used");
	struct scalepool_info info;
	int status, pipefd[2];
	__u32 h = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long long s = status_bytes(getpid(), "RssShmem");

		if (_test_cmd_alloc_on(self->fd, self->m0, 0, 16 * M, &h, NULL))
			_exit(1);
		if (write(pipefd[1], &h, sizeof(h)) != sizeof(h))
			_exit(2);
		/* Counted in the child, which made it. */
		_exit(status_bytes(getpid(), "RssShmem") >= s + 16 * M ? 0 : 3);
	}
	close(pipefd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_EQ(sizeof(h), read(pipefd[0], &h, sizeof(h)));
	close(pipefd[0]);
	EXPECT_EQ(used + 16 * M, t_member_ll(self->m0, "used"));
	EXPECT_GT(shmem0 + 8 * M, status_bytes(getpid(), "RssShmem"));
	test_cmd_info(self->fd, h, &info, NULL, 0);
	test_cmd_free(self->fd, h);
	EXPECT_EQ(used, t_member_ll(self->m0, "used"));
}

/* ---- the largest allocation */

/*
 * Exactly SCALEPOOL_MAX_ALLOC_SIZE is a valid request: without the
 * memory it fails with ENOMEM (not EOVERFLOW, no kernel warning, which
 * the runner would turn into a failure), with the cap first (ENOSPC);
 * one byte more is EOVERFLOW.  Nothing is charged either way.
 */
TEST_F(limits, largest_alloc)
{
	long long used = t_member_ll(self->m0, "used");
	long long ooms = t_vmstat("oom_kill");
	struct scalepool_alloc a;

	ASSERT_LE(0, self->cap);
	a = T_ALLOC(.length = SCALEPOOL_MAX_ALLOC_SIZE,
		    .policy = SCALEPOOL_POLICY_TIERED,
		    .initiator = SCALEPOOL_INITIATOR_LOCAL);
	ASSERT_EQ(0, cap_set(0));
	EXPECT_EQ(-ENOMEM, t_ioctl(self->fd, SCALEPOOL_ALLOC, &a));
	a.flags = SCALEPOOL_ALLOC_NO_HUGE;
	EXPECT_EQ(-ENOMEM, t_ioctl(self->fd, SCALEPOOL_ALLOC, &a));
	a.flags = 0;
	a.length = SCALEPOOL_MAX_ALLOC_SIZE + 1;
	EXPECT_EQ(-EOVERFLOW, t_ioctl(self->fd, SCALEPOOL_ALLOC, &a));

	ASSERT_EQ(0, cap_set(self->cap));
	a.length = SCALEPOOL_MAX_ALLOC_SIZE;
	EXPECT_EQ(-ENOSPC, t_ioctl(self->fd, SCALEPOOL_ALLOC, &a));
	a.length = SCALEPOOL_MAX_ALLOC_SIZE + 1;
	EXPECT_EQ(-EOVERFLOW, t_ioctl(self->fd, SCALEPOOL_ALLOC, &a));

	EXPECT_EQ(used, t_member_ll(self->m0, "used"));
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-bytes"));
	EXPECT_EQ(ooms, t_vmstat("oom_kill"));
}

/* ---- POPULATE */

/*
 * Every page of a POPULATE mapping is mapped when mmap() returns:
 * touching all of them takes no page fault (minor faults of this
 * thread), for 4 KiB and 2 MiB pages, read-only mappings too; without
 * the flag every 4 KiB page faults.
 */
TEST_F(limits, populate_maps_every_page)
{
	static const __u32 flags[] = {
		SCALEPOOL_ALLOC_POPULATE | SCALEPOOL_ALLOC_NO_HUGE,
		SCALEPOOL_ALLOC_POPULATE,
		SCALEPOOL_ALLOC_NO_HUGE,
	};
	const size_t len = 8 * M, pages = len / T_PAGE;
	volatile unsigned char *p;
	unsigned int i;
	long before, faults;
	size_t j;
	__u64 off;
	__u32 h;

	for (i = 0; i < T_ARRAY_SIZE(flags); i++) {
		test_cmd_alloc_on(self->fd, self->m0, flags[i], len, &h, &off);
		p = t_map(self->fd, off, len);
		ASSERT_NE(MAP_FAILED, p);
		faults = t_touch_faults(p, len, 1);
		if (flags[i] & SCALEPOOL_ALLOC_POPULATE) {
			EXPECT_GT((long)pages / 8, faults);
		} else {
			EXPECT_LE((long)pages, faults);
		}
		TH_LOG("flags %#x: %ld faults for %zu pages", flags[i],
		       faults, pages);
		munmap((void *)p, len);

		/* Read-only, a part of it. */
		p = mmap(NULL, len / 2, PROT_READ, MAP_SHARED, self->fd,
			 off + len / 2);
		ASSERT_NE(MAP_FAILED, p);
		before = t_minflt();
		for (j = 0; j < pages / 2; j++)
			(void)p[j * T_PAGE];
		faults = t_minflt() - before;
		if (flags[i] & SCALEPOOL_ALLOC_POPULATE) {
			EXPECT_GT((long)pages / 16, faults);
		}
		munmap((void *)p, len / 2);
		test_cmd_free(self->fd, h);
	}
}

TEST_HARNESS_MAIN
