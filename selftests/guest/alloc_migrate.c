// SPDX-License-Identifier: GPL-2.0
/*
 * SCALEPOOL_MIGRATE: whole and range migrations for each policy between
 * two node members (DRAM nodes 0 and 1, or node 0 and the CXL node when
 * it is online), 4 KiB and 2 MiB pages, while a thread writes and reads;
 * the data, a forked child's view, INFO's placement, huge_bytes, policy
 * and basis, the members' used (equal to the sum of INFO's placements
 * after every step) and moved_* figures; limits (ENOSPC), an importer's
 * mapping and a GUP pin (EBUSY), a MIGRATE whose task is killed midway,
 * every bad field with nothing changed, EBADF, and the
 * per-allocation lines of fdinfo.
 */
#include <stddef.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <liburing.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define NO_HUGE	SCALEPOOL_ALLOC_NO_HUGE

/* A valid MIGRATE of the whole allocation @h to BIND on @ids[0]. */
static struct scalepool_migrate mig_cmd(__u32 h, __u32 policy,
					const __u32 *ids, __u32 nr)
{
	return (struct scalepool_migrate){
		.size = sizeof(struct scalepool_migrate),
		.handle = h,
		.policy = policy,
		.nr_members = nr,
		.members_ptr = (uintptr_t)ids,
		.initiator = SCALEPOOL_INITIATOR_LOCAL,
	};
}

static int mig(int fd, struct scalepool_migrate *m)
{
	return t_ioctl(fd, SCALEPOOL_MIGRATE, m);
}

/* Everything INFO says about one allocation, to compare before/after. */
struct t_state {
	struct scalepool_info info;
	struct scalepool_placement pl[8];
};

static int state_of(int fd, __u32 h, struct t_state *s)
{
	memset(s, 0, sizeof(*s));
	return _test_cmd_info(fd, h, &s->info, s->pl, 8);
}

static int state_same(const struct t_state *a, const struct t_state *b)
{
	struct scalepool_info ia = a->info, ib = b->info;

	/* Each points at its own placements. */
	ia.placements_ptr = 0;
	ib.placements_ptr = 0;
	return !memcmp(&ia, &ib, sizeof(ia)) &&
	       !memcmp(a->pl, b->pl, sizeof(a->pl));
}

/* The members' used and moved_* figures, to compare after a step. */
struct t_figs {
	long long used, in, out;
};

static void figs_of(__u32 id, struct t_figs *f)
{
	f->used = t_member_ll(id, "used");
	f->in = t_member_ll(id, "moved_in");
	f->out = t_member_ll(id, "moved_out");
}

FIXTURE(migrate) {
	int fd;
	__u32 a, b;		/* the members: pages start on @a */
	struct t_figs fa, fb;	/* their figures before the test */
	long long limit_b;
	int nr;			/* live handles of the test */
	__u32 handles[4];
};

FIXTURE_VARIANT(migrate) {
	__u32 flags;
	size_t len;
	int cxl;		/* @b is the CXL node's member */
};

/* DRAM to DRAM: node 0 and node 1 (the default suite, --cxl offline). */
FIXTURE_VARIANT_ADD(migrate, dram_4k) {
	.flags = NO_HUGE, .len = 4 * M,
};
FIXTURE_VARIANT_ADD(migrate, dram_2m) {
	.flags = 0, .len = 8 * M,
};
/* DRAM and CXL memory (moves a few MB/s under TCG: small sizes). */
FIXTURE_VARIANT_ADD(migrate, cxl_4k) {
	.flags = NO_HUGE, .len = 512 * T_KIB, .cxl = 1,
};
FIXTURE_VARIANT_ADD(migrate, cxl_2m) {
	.flags = 0, .len = 4 * M, .cxl = 1,
};

FIXTURE_SETUP(migrate)
{
	int a = t_member_of_node(0), b;

	self->nr = 0;
	test_open(&self->fd);
	if (!(t_query_caps() & SCALEPOOL_CAP_MIGRATE))
		SKIP(return, "QUERY has no SCALEPOOL_CAP_MIGRATE");
	if (variant->cxl) {
		int node = t_cxl_node();

		if (node < 0)
			SKIP(return, "no CXL node online (--cxl offline)");
		b = t_member_of_node(node);
	} else {
		b = t_member_of_node(1);
	}
	if (a < 0 || b < 0)
		SKIP(return, "needs node members on node 0 and the other node");
	self->a = a;
	self->b = b;
	figs_of(self->a, &self->fa);
	figs_of(self->b, &self->fb);
	self->limit_b = t_member_ll(self->b, "limit");
}

FIXTURE_TEARDOWN(migrate)
{
	int i;

	if (self->a != self->b)
		t_member_set_limit(self->b, self->limit_b);
	for (i = 0; i < self->nr; i++)
		_test_cmd_free(self->fd, self->handles[i]);
	close(self->fd);
}

/*
 * Each member's used is its figure before the test plus the sum of
 * INFO's placements on it over the test's live allocations.
 */
static int used_exact(FIXTURE_DATA(migrate) *self)
{
	long long on_a = 0, on_b = 0;
	int i;

	for (i = 0; i < self->nr; i++) {
		on_a += t_placed_on(self->fd, self->handles[i], self->a, NULL);
		on_b += t_placed_on(self->fd, self->handles[i], self->b, NULL);
	}
	return t_member_ll(self->a, "used") == self->fa.used + on_a &&
	       t_member_ll(self->b, "used") == self->fb.used + on_b;
}

/* moved_* of both members since the test began, as the test expects. */
static int moved_exact(FIXTURE_DATA(migrate) *self, long long a_to_b,
		       long long b_to_a)
{
	struct t_figs fa, fb;

	figs_of(self->a, &fa);
	figs_of(self->b, &fb);
	return fa.out - self->fa.out == a_to_b && fb.in - self->fb.in == a_to_b &&
	       fb.out - self->fb.out == b_to_a && fa.in - self->fa.in == b_to_a;
}

/* BIND on @a, mapped and filled with @seed's pattern; kept for teardown. */
static char *setup_alloc(struct __test_metadata *_metadata,
			 FIXTURE_DATA(migrate) *self, __u32 flags, size_t len,
			 uint64_t seed, __u32 *h)
{
	__u64 offset;
	char *map;

	if (_test_cmd_alloc_on(self->fd, self->a, flags, len, h, &offset))
		return MAP_FAILED;
	self->handles[self->nr++] = *h;
	map = t_map(self->fd, offset, len);
	if (map != MAP_FAILED)
		t_fill(map, len, seed);
	return map;
}

/*
 * What each policy does to pages all on @a, with a set that names @b
 * (and @a where the policy keeps some there): the bytes that move.
 */
struct t_case {
	const char *name;
	__u32 policy;
	int with_a;		/* the set is { b, a } (INTERLEAVE: { a, b }) */
	int half;		/* half the pages move (INTERLEAVE) */
};

static const struct t_case cases[] = {
	{ "bind", SCALEPOOL_POLICY_BIND, 0, 0 },
	{ "preferred", SCALEPOOL_POLICY_PREFERRED, 1, 0 },
	{ "interleave", SCALEPOOL_POLICY_INTERLEAVE, 1, 1 },
	{ "nearest", SCALEPOOL_POLICY_NEAREST, 0, 0 },
	{ "tiered", SCALEPOOL_POLICY_TIERED, 0, 0 },
};

/* The basis ALLOC gives the same request, or -1. */
static int alloc_basis(int fd, const struct scalepool_migrate *m, size_t len,
		       __u32 flags)
{
	struct scalepool_alloc a = T_ALLOC(.flags = flags, .length = len,
		.policy = m->policy, .nr_members = m->nr_members,
		.members_ptr = m->members_ptr, .weights_ptr = m->weights_ptr,
		.granularity = m->granularity, .initiator = m->initiator);
	__u32 basis;
	int ret = t_alloc_where(fd, &a, &basis);

	return ret >= 0 || ret == -EMLINK ? (int)basis : -1;
}

/*
 * The whole allocation to each policy and back to BIND on @a, with a
 * thread writing and reading during each move.
 */
TEST_F_TIMEOUT(migrate, whole_each_policy, 240)
{
	size_t len = variant->len, busy = len / 4;
	long long a_to_b = 0, b_to_a = 0, huge, want;
	struct scalepool_migrate m;
	struct t_state st;
	struct t_worker w;
	__u32 h, ids[2];
	unsigned int i;
	char *map;

	map = setup_alloc(_metadata, self, variant->flags, len, 5, &h);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < T_ARRAY_SIZE(cases); i++) {
		const struct t_case *c = &cases[i];

		TH_LOG("%s", c->name);
		ids[0] = c->with_a && c->half ? self->a : self->b;
		ids[1] = c->with_a && c->half ? self->b : self->a;
		m = mig_cmd(h, c->policy, ids, c->with_a ? 2 : 1);
		/* INTERLEAVE: chunks of the page size, every other one moves. */
		if (c->half)
			m.granularity = variant->flags ? T_PAGE : T_HUGE;
		want = c->half ? (long long)len / 2 : (long long)len;
		t_fill(map + busy, len - busy, 100 + i);
		ASSERT_EQ(0, t_worker_start(&w, map, busy));
		EXPECT_EQ(0, mig(self->fd, &m));
		EXPECT_EQ(0, t_worker_stop(&w));
		EXPECT_LT(0, w.rounds);
		EXPECT_EQ(want, (long long)m.moved);
		a_to_b += want;
		EXPECT_EQ(-1, t_check(map + busy, len - busy, 100 + i));
		EXPECT_EQ(0, t_child_checks(map + busy, len - busy, 100 + i));
		EXPECT_EQ(want, t_placed_on(self->fd, h, self->b, &huge));
		EXPECT_EQ(variant->flags ? 0 : want, huge);
		EXPECT_EQ((long long)len - want,
			  t_placed_on(self->fd, h, self->a, NULL));
		ASSERT_EQ(0, state_of(self->fd, h, &st));
		EXPECT_EQ(c->policy, st.info.policy);
		EXPECT_EQ(alloc_basis(self->fd, &m, len, variant->flags),
			  (int)st.info.basis);
		EXPECT_TRUE(used_exact(self));
		EXPECT_TRUE(moved_exact(self, a_to_b, b_to_a));

		/* Back: BIND on @a. */
		m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->a, 1);
		EXPECT_EQ(0, mig(self->fd, &m));
		EXPECT_EQ(want, (long long)m.moved);
		b_to_a += want;
		EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->a,
						      &huge));
		EXPECT_EQ(variant->flags ? 0 : (long long)len, huge);
		EXPECT_EQ(-1, t_check(map + busy, len - busy, 100 + i));
		EXPECT_TRUE(used_exact(self));
		EXPECT_TRUE(moved_exact(self, a_to_b, b_to_a));
		/* Nothing left to move: a second one moves nothing. */
		EXPECT_EQ(0, mig(self->fd, &m));
		EXPECT_EQ(0, m.moved);
	}
	EXPECT_EQ(0, munmap(map, len));
}

/*
 * A range: only its pages move (a 2 MiB page partly in it moves whole);
 * the policy stays; the set becomes the union, which a drain of @a then
 * uses (BIND on @a alone had nowhere to go).
 */
TEST_F_TIMEOUT(migrate, range, 120)
{
	size_t len = variant->len, unit = variant->flags ? T_PAGE : T_HUGE;
	struct scalepool_migrate m;
	struct t_state st;
	char path[128];
	long long huge;
	__u32 h;
	char *map;

	map = setup_alloc(_metadata, self, variant->flags, len, 8, &h);
	ASSERT_NE(MAP_FAILED, map);
	snprintf(path, sizeof(path), T_MEMBERS "/%u/drain", self->a);

	/* [unit, 2 unit) as BIND on @b; 4 KiB inside a 2 MiB page. */
	m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	m.start = unit + (variant->flags ? 0 : T_PAGE);
	m.length = T_PAGE;
	ASSERT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ((long long)unit, (long long)m.moved);
	EXPECT_EQ((long long)unit, t_placed_on(self->fd, h, self->b, &huge));
	EXPECT_EQ(variant->flags ? 0 : (long long)unit, huge);
	EXPECT_EQ(-1, t_check(map, len, 8));
	ASSERT_EQ(0, state_of(self->fd, h, &st));
	EXPECT_EQ(SCALEPOOL_POLICY_BIND, st.info.policy);
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, unit, 0));

	/* The last unit, length 0: to the end (already moved when second). */
	m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	m.start = len - unit;
	ASSERT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ(len == 2 * unit ? 0 : (long long)unit, (long long)m.moved);
	EXPECT_EQ((long long)(len == 2 * unit ? unit : 2 * unit),
		  t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_TRUE(used_exact(self));

	/* The union: @b is allowed now, so a drain of @a succeeds. */
	EXPECT_EQ(0, t_write_file(path, "1"));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_EQ(-1, t_check(map, len, 8));
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, len, 0));
	EXPECT_EQ(0, munmap(map, len));
}

/*
 * INTERLEAVE over a range starting inside a 2 MiB page, with a round of
 * chunks (weights 1 and 2, 4 KiB chunks: 3 pages) that does not divide
 * 512: the page goes to the member of its first chunk (index 512: the
 * third of its round, @b's), wherever in it the range starts.  The
 * dealing once started at the round of the range's start, past the
 * page's first chunk, and left the page on @a.
 */
TEST_F(migrate, interleave_range_in_huge_page)
{
	size_t len = 2 * T_HUGE;
	__u32 ids[2] = { self->a, self->b }, w[2] = { 1, 2 };
	struct scalepool_migrate m;
	long long huge;
	__u32 h;
	char *map;

	if (variant->flags)
		SKIP(return, "2 MiB pages only");
	map = setup_alloc(_metadata, self, 0, len, 71, &h);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ((long long)len, t_placed_on(self->fd, h, self->a, &huge));
	if (huge != (long long)len)
		SKIP(return, "no 2 MiB pages on node 0 (%lld huge bytes)",
		     huge);
	m = mig_cmd(h, SCALEPOOL_POLICY_INTERLEAVE, ids, 2);
	m.weights_ptr = (uintptr_t)w;
	m.granularity = T_PAGE;
	m.start = T_HUGE + 3 * T_PAGE;
	m.length = T_PAGE;
	ASSERT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ((long long)T_HUGE, (long long)m.moved);
	EXPECT_EQ((long long)T_HUGE, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_EQ(-1, t_check(map, len, 71));
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, T_HUGE, 0));
	EXPECT_EQ(0, munmap(map, len));
}

/* @b's limit: the pages that fit move and stay moved, then ENOSPC. */
TEST_F(migrate, limit)
{
	size_t len = variant->len;
	struct scalepool_migrate m;
	struct t_state st;
	__u32 h;
	char *map;

	map = setup_alloc(_metadata, self, variant->flags, len, 12, &h);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, t_member_set_limit(self->b, t_member_ll(self->b, "used") +
					len / 2));
	m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	EXPECT_EQ(-ENOSPC, mig(self->fd, &m));
	EXPECT_EQ((long long)len / 2, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_EQ((long long)len / 2, t_placed_on(self->fd, h, self->a, NULL));
	EXPECT_EQ(-1, t_check(map, len, 12));
	EXPECT_EQ(0, t_child_checks(map, len, 12));
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, len / 2, 0));
	/* A failed whole MIGRATE keeps the policy. */
	ASSERT_EQ(0, state_of(self->fd, h, &st));
	EXPECT_EQ(SCALEPOOL_POLICY_BIND, st.info.policy);

	ASSERT_EQ(0, t_member_set_limit(self->b, self->limit_b));
	EXPECT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ((long long)len / 2, (long long)m.moved);
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, len, 0));
	EXPECT_EQ(0, munmap(map, len));
}

/* An importer's DMA mapping: EBUSY, nothing moved; after detach, moved. */
TEST_F(migrate, busy_while_imported)
{
	size_t len = variant->len;
	struct scalepool_migrate m;
	struct t_state before, after;
	struct sp_import_check c;
	int dfd, ifd;
	__u32 h;
	char *map;

	ASSERT_EQ(0, t_import_module_load());
	map = setup_alloc(_metadata, self, variant->flags, len, 31, &h);
	ASSERT_NE(MAP_FAILED, map);
	test_cmd_export(self->fd, h, 0, &dfd);
	ifd = t_import_attach(dfd, 0);
	ASSERT_LE(0, ifd);

	ASSERT_EQ(0, state_of(self->fd, h, &before));
	m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	EXPECT_EQ(-EBUSY, mig(self->fd, &m));
	ASSERT_EQ(0, state_of(self->fd, h, &after));
	EXPECT_TRUE(state_same(&before, &after));
	EXPECT_TRUE(moved_exact(self, 0, 0));

	EXPECT_EQ(0, ioctl(ifd, SP_IMPORT_DETACH));
	close(ifd);
	EXPECT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ((long long)len, (long long)m.moved);
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_EQ(-1, t_check(map, len, 31));
	ASSERT_EQ(0, t_import_check(dfd, 0, &c));
	EXPECT_EQ(t_fnv64(map, len), c.checksum);
	EXPECT_TRUE(used_exact(self));
	close(dfd);
	EXPECT_EQ(0, munmap(map, len));
	t_import_module_unload();
}

/*
 * A page pinned by GUP (an io_uring fixed buffer): EBUSY, nothing moved;
 * unpinned, the whole allocation moves.
 */
TEST_F(migrate, busy_while_pinned)
{
	size_t len = variant->len;
	struct scalepool_migrate m;
	struct t_state before, after;
	struct io_uring ring;
	struct iovec iov;
	__u32 h;
	char *map;

	map = setup_alloc(_metadata, self, variant->flags, len, 37, &h);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, 0));
	iov.iov_base = map;
	iov.iov_len = len;
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));

	ASSERT_EQ(0, state_of(self->fd, h, &before));
	m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	EXPECT_EQ(-EBUSY, mig(self->fd, &m));
	EXPECT_EQ(0, (long long)m.moved);
	ASSERT_EQ(0, state_of(self->fd, h, &after));
	EXPECT_TRUE(state_same(&before, &after));
	EXPECT_TRUE(moved_exact(self, 0, 0));
	EXPECT_EQ(-1, t_check(map, len, 37));

	io_uring_unregister_buffers(&ring);
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, mig(self->fd, &m));
	EXPECT_EQ((long long)len, t_placed_on(self->fd, h, self->b, NULL));
	EXPECT_EQ(-1, t_check(map, len, 37));
	EXPECT_TRUE(used_exact(self));
	EXPECT_TRUE(moved_exact(self, len, 0));
	EXPECT_EQ(0, munmap(map, len));
}

/*
 * One try of killed_midway: a child (sharing the fd, so the handle)
 * starts a MIGRATE of @h to @b and is killed @delay_us after it said so.
 * Return: the bytes that reached @b, or -1 when the child could not run.
 */
static long long migrate_and_kill(int fd, __u32 h, __u32 b, int delay_us)
{
	struct scalepool_migrate m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &b, 1);
	int pipefd[2], status;
	pid_t pid;
	char c = 0;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (!pid) {
		close(pipefd[0]);
		if (write(pipefd[1], &c, 1) != 1)
			_exit(1);
		mig(fd, &m);
		_exit(0);
	}
	close(pipefd[1]);
	if (pid < 0 || read(pipefd[0], &c, 1) != 1) {
		close(pipefd[0]);
		return -1;
	}
	close(pipefd[0]);
	usleep(delay_us);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return t_placed_on(fd, h, b, NULL);
}

/*
 * The task running a MIGRATE is killed (the walk stops between folios on
 * the fatal signal): every page is on one member or the other, the data
 * intact, used and moved_* exact, and the next MIGRATE moves the rest.
 * The kill comes after a growing delay until one lands midway.
 */
TEST_F(migrate, killed_midway)
{
	size_t len = variant->len;
	struct scalepool_migrate m;
	long long on_b, moved = 0;
	int delay_us, midway = 0;
	__u64 offset;
	char *map;
	__u32 h;

	for (delay_us = 0; delay_us < 4000000 && !midway;
	     delay_us = delay_us ? 2 * delay_us : 1000) {
		ASSERT_EQ(0, _test_cmd_alloc_on(self->fd, self->a,
						variant->flags, len, &h,
						&offset));
		map = t_map(self->fd, offset, len);
		ASSERT_NE(MAP_FAILED, map);
		t_fill(map, len, 41);

		on_b = migrate_and_kill(self->fd, h, self->b, delay_us);
		ASSERT_LE(0, on_b);
		midway = on_b && on_b < (long long)len;
		moved += on_b;
		EXPECT_EQ((long long)len - on_b,
			  t_placed_on(self->fd, h, self->a, NULL));
		EXPECT_EQ(self->fa.used + (long long)len - on_b,
			  t_member_ll(self->a, "used"));
		EXPECT_EQ(self->fb.used + on_b, t_member_ll(self->b, "used"));
		EXPECT_TRUE(moved_exact(self, moved, 0));
		EXPECT_EQ(-1, t_check(map, len, 41));

		/* The rest moves on the next MIGRATE. */
		m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
		EXPECT_EQ(0, mig(self->fd, &m));
		EXPECT_EQ((long long)len - on_b, (long long)m.moved);
		moved += len - on_b;
		EXPECT_EQ((long long)len,
			  t_placed_on(self->fd, h, self->b, NULL));
		EXPECT_EQ(-1, t_check(map, len, 41));
		EXPECT_EQ(0, munmap(map, len));
		test_cmd_free(self->fd, h);
		EXPECT_EQ(self->fa.used, t_member_ll(self->a, "used"));
		EXPECT_EQ(self->fb.used, t_member_ll(self->b, "used"));
		if (!midway)
			TH_LOG("kill after %d us: %lld of %zu bytes had moved",
			       delay_us, on_b, len);
	}
	EXPECT_TRUE(midway);
}

/* One bad field of a MIGRATE struct and the errno it gets. */
struct t_bad {
	const char *what;
	int err;
	void (*set)(struct scalepool_migrate *m, size_t len, __u32 *ids);
};

static void bad_flags(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->flags = 1;
}

static void bad_size(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->size = offsetof(struct scalepool_migrate, moved);
}

static void bad_start(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->start = 1;
}

static void bad_length(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->length = T_PAGE + 1;
}

static void bad_start_end(struct scalepool_migrate *m, size_t len,
			  __u32 *ids)
{
	m->start = len;
}

static void bad_past_end(struct scalepool_migrate *m, size_t len,
			 __u32 *ids)
{
	m->start = T_PAGE;
	m->length = len;
}

static void bad_wrap(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->start = T_PAGE;
	m->length = -T_PAGE;
}

static void bad_policy(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->policy = SCALEPOOL_POLICY_TIERED + 1;
}

static void bad_dup(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	ids[1] = ids[0];
	m->nr_members = 2;
}

static void bad_unknown(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	ids[0] = 0x7fffffff;
}

static void bad_no_members(struct scalepool_migrate *m, size_t len,
			   __u32 *ids)
{
	m->nr_members = 0;
}

static void bad_too_many(struct scalepool_migrate *m, size_t len,
			 __u32 *ids)
{
	m->nr_members = SCALEPOOL_MAX_MEMBERS + 1;
}

static void bad_weights(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->weights_ptr = (uintptr_t)ids;
}

static void bad_gran(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->granularity = T_PAGE;
}

static void bad_gran_il(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->policy = SCALEPOOL_POLICY_INTERLEAVE;
	m->granularity = T_PAGE + 1;
}

static void bad_weight0(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	static const __u32 zero[2];

	m->policy = SCALEPOOL_POLICY_INTERLEAVE;
	m->weights_ptr = (uintptr_t)zero;
}

static void bad_initiator(struct scalepool_migrate *m, size_t len,
			  __u32 *ids)
{
	m->initiator = 4096;
}

static void bad_members_ptr(struct scalepool_migrate *m, size_t len,
			    __u32 *ids)
{
	m->members_ptr = 8;
}

static void bad_handle(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->handle = 0x7ffffff0;
}

static void bad_handle0(struct scalepool_migrate *m, size_t len, __u32 *ids)
{
	m->handle = 0;
}

static const struct t_bad bads[] = {
	{ "flags", EOPNOTSUPP, bad_flags },
	{ "size too small", EINVAL, bad_size },
	{ "start unaligned", EINVAL, bad_start },
	{ "length unaligned", EINVAL, bad_length },
	{ "start at the end", EINVAL, bad_start_end },
	{ "range past the end", EINVAL, bad_past_end },
	{ "range wraps", EINVAL, bad_wrap },
	{ "policy", EINVAL, bad_policy },
	{ "duplicate member", EINVAL, bad_dup },
	{ "unknown member", ENOENT, bad_unknown },
	{ "BIND without members", EINVAL, bad_no_members },
	{ "too many members", EINVAL, bad_too_many },
	{ "weights for BIND", EINVAL, bad_weights },
	{ "granularity for BIND", EINVAL, bad_gran },
	{ "granularity unaligned", EINVAL, bad_gran_il },
	{ "weight 0", EINVAL, bad_weight0 },
	{ "initiator", EINVAL, bad_initiator },
	{ "members_ptr", EFAULT, bad_members_ptr },
	{ "handle unknown", ENOENT, bad_handle },
	{ "handle 0", ENOENT, bad_handle0 },
};

/* Every bad field: its errno, and nothing changed. */
TEST_F(migrate, bad_input)
{
	struct {
		struct scalepool_migrate m;
		__u64 tail;
	} big;
	struct t_state before, after;
	size_t len = variant->len;
	__u32 h, ids[2];
	unsigned int i;
	char *map;
	int rfd;

	map = setup_alloc(_metadata, self, variant->flags, len, 44, &h);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, state_of(self->fd, h, &before));
	for (i = 0; i < T_ARRAY_SIZE(bads); i++) {
		ids[0] = self->b;
		ids[1] = self->a;
		big.m = mig_cmd(h, SCALEPOOL_POLICY_BIND, ids, 1);
		bads[i].set(&big.m, len, ids);
		EXPECT_EQ(-bads[i].err, mig(self->fd, &big.m)) {
			TH_LOG("%s", bads[i].what);
		}
	}
	/* Longer than this kernel knows, with a nonzero tail. */
	big.m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	big.m.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, mig(self->fd, &big.m));
	/* A read-only fd may not move memory. */
	rfd = open(T_DEV, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rfd);
	big.m = mig_cmd(h, SCALEPOOL_POLICY_BIND, &self->b, 1);
	EXPECT_EQ(-EBADF, mig(rfd, &big.m));
	close(rfd);

	ASSERT_EQ(0, state_of(self->fd, h, &after));
	EXPECT_TRUE(state_same(&before, &after));
	EXPECT_TRUE(moved_exact(self, 0, 0));
	EXPECT_TRUE(used_exact(self));
	EXPECT_EQ(-1, t_check(map, len, 44));

	/* The same struct, a zero tail: valid. */
	big.m.size = sizeof(big);
	big.tail = 0;
	EXPECT_EQ(0, mig(self->fd, &big.m));
	EXPECT_EQ((long long)len, (long long)big.m.moved);
	EXPECT_EQ(0, munmap(map, len));
}

/* One "scalepool-allocation:" line of fdinfo. */
struct t_line {
	__u32 handle, policy;
	__u64 length, offset;
};

/* The allocation lines of @fd's fdinfo into @l (room for @max); count. */
static int fdinfo_allocs(int fd, struct t_line *l, int max)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "scalepool-allocation:\t", 22))
			continue;
		if (n == max ||
		    sscanf(line + 22, "handle=%u length=%llu offset=%llu policy=%u",
			   &l[n].handle, (unsigned long long *)&l[n].length,
			   (unsigned long long *)&l[n].offset,
			   &l[n].policy) != 4) {
			n = -1;
			break;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* Is the allocation @h (INFO) listed in @l, with its fields? */
static int listed(int fd, __u32 h, const struct t_line *l, int n)
{
	struct scalepool_info info;
	int i;

	if (_test_cmd_info(fd, h, &info, NULL, 0))
		return 0;
	for (i = 0; i < n; i++)
		if (l[i].handle == h)
			return l[i].length == info.length &&
			       l[i].offset == info.offset &&
			       l[i].policy == info.policy;
	return 0;
}

TEST_F(migrate, fdinfo_lines)
{
	struct scalepool_alloc al;
	struct scalepool_migrate m;
	struct t_line l[8];
	__u32 h[3];
	int i;

	if (variant->cxl || variant->flags)
		SKIP(return, "once is enough (dram_2m)");
	EXPECT_EQ(0, fdinfo_allocs(self->fd, l, 8));
	for (i = 0; i < 3; i++) {
		al = T_ALLOC(.length = (i + 1) * T_PAGE,
			     .policy = i == 1 ? SCALEPOOL_POLICY_TIERED :
				       SCALEPOOL_POLICY_NEAREST,
			     .initiator = SCALEPOOL_INITIATOR_LOCAL);
		test_cmd_alloc(self->fd, &al);
		h[i] = al.handle;
		self->handles[self->nr++] = h[i];
	}
	ASSERT_EQ(3, fdinfo_allocs(self->fd, l, 8));
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(listed(self->fd, h[i], l, 3));
	/* The existing lines are still there, before the new ones. */
	EXPECT_EQ(3, t_fdinfo_ll(self->fd, "scalepool-allocations"));

	m = mig_cmd(h[2], SCALEPOOL_POLICY_BIND, &self->b, 1);
	EXPECT_EQ(0, mig(self->fd, &m));
	ASSERT_EQ(3, fdinfo_allocs(self->fd, l, 8));
	EXPECT_TRUE(listed(self->fd, h[2], l, 3));
	for (i = 0; i < 3; i++)
		if (l[i].handle == h[2])
			EXPECT_EQ(SCALEPOOL_POLICY_BIND, l[i].policy);

	test_cmd_free(self->fd, h[1]);
	self->handles[1] = self->handles[--self->nr];
	ASSERT_EQ(2, fdinfo_allocs(self->fd, l, 8));
	EXPECT_TRUE(listed(self->fd, h[0], l, 2));
	EXPECT_TRUE(listed(self->fd, h[2], l, 2));
	EXPECT_NE(h[1], l[0].handle);
	EXPECT_NE(h[1], l[1].handle);
}

TEST_HARNESS_MAIN
