// SPDX-License-Identifier: GPL-2.0
/*
 * Tiering (kernel/tier.c): a TIERED allocation for node 0 over node 0's
 * member and a slow one (node 1's, or the CXL node's when it is online
 * and the variant asks for it); "fast" is the one TIERED fills first,
 * which is the one tiering ranks first without measured figures (node 0
 * on the test machines).  Its hot set,
 * on the slow member, is promoted while a thread writes and reads it;
 * when the fast member is at its limit its unused pages are demoted to
 * make room; with tier_rate_limit_MBps 0 nothing moves.  After every
 * step: the data, INFO's placement against the members' used, moved_*
 * and tier_* counters, the fast member's limit.  Bad writes to the
 * knobs get their errno and change nothing.  Waits are bounded, never
 * timed: TCG's speed says nothing about the code.
 */
#include "pool_test.h"
#include "kselftest_harness.h"

#define T_RATE		T_SYSFS "/tier_rate_limit_MBps"
#define T_SCAN		T_SYSFS "/tier_scan_ms"
/* A period short enough for the test, long enough for TCG. */
#define T_SCAN_MS	100
/* How long a step may take before the test gives up on it. */
#define T_WAIT_S	120

/* What the test watches on a member. */
struct t_tier_figs {
	long long used, in, out, sampled, promoted, demoted;
};

static void tier_figs(__u32 id, struct t_tier_figs *f)
{
	f->used = t_member_ll(id, "used");
	f->in = t_member_ll(id, "moved_in");
	f->out = t_member_ll(id, "moved_out");
	f->sampled = t_member_ll(id, "tier_sampled");
	f->promoted = t_member_ll(id, "tier_promoted");
	f->demoted = t_member_ll(id, "tier_demoted");
}

static int set_knob(const char *path, long long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%lld\n", v);
	return t_write_file(path, val);
}

/*
 * The member of @a and @b that TIERED for node 0 fills first: the
 * faster one as tiering ranks them (no measured figures here).
 */
static int probe_first(int fd, __u32 a, __u32 b)
{
	__u32 ids[2] = { a, b };
	struct scalepool_alloc al = T_ALLOC(.flags = SCALEPOOL_ALLOC_NO_HUGE,
		.length = T_PAGE, .policy = SCALEPOOL_POLICY_TIERED,
		.nr_members = 2, .members_ptr = (uintptr_t)ids,
		.initiator = 0);

	return t_alloc_where(fd, &al, NULL);
}

FIXTURE(tier) {
	int fd;
	__u32 fast, slow;
	struct t_tier_figs f0, s0;	/* before the test */
	long long limit_fast, rate, scan;
	__u32 h;
	int have_h;
};

FIXTURE_VARIANT(tier) {
	__u32 flags;
	size_t len;		/* the allocation */
	size_t hot;		/* the hot set */
	int cxl;		/* slow member: the CXL node's */
};

FIXTURE_VARIANT_ADD(tier, dram_4k) {
	.flags = SCALEPOOL_ALLOC_NO_HUGE, .len = 4 * T_MIB, .hot = T_MIB,
};
FIXTURE_VARIANT_ADD(tier, dram_2m) {
	.flags = 0, .len = 8 * T_MIB, .hot = 2 * T_MIB,
};
/* CXL moves a few MB/s under TCG: small. */
FIXTURE_VARIANT_ADD(tier, cxl_4k) {
	.flags = SCALEPOOL_ALLOC_NO_HUGE, .len = 512 * T_KIB,
	.hot = 128 * T_KIB, .cxl = 1,
};

FIXTURE_SETUP(tier)
{
	int fast = t_member_of_node(0), slow;

	self->have_h = 0;
	test_open(&self->fd);
	self->rate = t_read_ll(T_RATE);
	self->scan = t_read_ll(T_SCAN);
	if (self->rate < 0)
		SKIP(return, "the module has no tiering (tier_rate_limit_MBps)");
	if (variant->cxl) {
		int node = t_cxl_node();

		if (node < 0)
			SKIP(return, "no CXL node online (--cxl offline)");
		slow = t_member_of_node(node);
	} else {
		slow = t_member_of_node(1);
	}
	if (fast < 0 || slow < 0)
		SKIP(return, "needs node members on node 0 and the slow node");
	/* Faster: where TIERED puts a page first, as tiering ranks them. */
	fast = probe_first(self->fd, fast, slow);
	ASSERT_LE(0, fast);
	self->fast = fast;
	self->slow = fast == slow ? t_member_of_node(0) : slow;
	self->limit_fast = t_member_ll(fast, "limit");
	ASSERT_EQ(0, set_knob(T_RATE, 0));
	ASSERT_EQ(0, set_knob(T_SCAN, T_SCAN_MS));
	tier_figs(fast, &self->f0);
	tier_figs(slow, &self->s0);
}

FIXTURE_TEARDOWN(tier)
{
	if (self->rate >= 0) {
		set_knob(T_RATE, self->rate);
		set_knob(T_SCAN, self->scan);
	}
	if (self->fast != self->slow)
		t_member_set_limit(self->fast, self->limit_fast);
	if (self->have_h)
		_test_cmd_free(self->fd, self->h);
	close(self->fd);
}

/*
 * TIERED over { fast, slow } for node 0, with the fast member's limit
 * at its use plus @room first (0: no room at all, a 1-byte limit), so
 * that what does not fit lands on the slow member; filled with @seed.
 */
static char *tier_alloc(struct __test_metadata *_metadata,
			FIXTURE_DATA(tier) *self,
			const FIXTURE_VARIANT(tier) *variant, size_t room,
			uint64_t seed)
{
	__u32 ids[2] = { self->slow, self->fast };
	struct scalepool_alloc a = T_ALLOC(.flags = variant->flags,
		.length = variant->len, .policy = SCALEPOOL_POLICY_TIERED,
		.nr_members = 2, .members_ptr = (uintptr_t)ids,
		.initiator = 0);
	long long used = t_member_ll(self->fast, "used");
	char *map;

	if (t_member_set_limit(self->fast, used + room ? used + room : 1) ||
	    _test_cmd_alloc(self->fd, &a))
		return MAP_FAILED;
	self->h = a.handle;
	self->have_h = 1;
	map = t_map(self->fd, a.offset, variant->len);
	if (map != MAP_FAILED)
		t_fill(map, variant->len, seed);
	return map;
}

/*
 * Bytes [@off, @off + @len) of a mapping t_fill() filled with @seed from
 * its start: the offset of the first word that differs, or -1.
 */
static long check_at(const char *map, size_t off, size_t len, uint64_t seed)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(map + off);
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != t_pattern(seed, off + i * 8))
			return off + i * 8;
	return -1;
}

/* check_at() in a forked child, which sees the same mapping: 0 if so. */
static int child_check_at(const char *map, size_t off, size_t len,
			  uint64_t seed)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(check_at(map, off, len, seed) == -1 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The members' used equal their start figure plus INFO's placements. */
static int used_exact(FIXTURE_DATA(tier) *self)
{
	long long on_f = t_placed_on(self->fd, self->h, self->fast, NULL);
	long long on_s = t_placed_on(self->fd, self->h, self->slow, NULL);

	return t_member_ll(self->fast, "used") == self->f0.used + on_f &&
	       t_member_ll(self->slow, "used") == self->s0.used + on_s;
}

/* Wait (bounded) until INFO puts at least @bytes on the fast member. */
static long long wait_fast(FIXTURE_DATA(tier) *self, long long bytes)
{
	long long on = 0;
	int i;

	for (i = 0; i < T_WAIT_S * 10; i++) {
		on = t_placed_on(self->fd, self->h, self->fast, NULL);
		if (on < 0 || on >= bytes)
			break;
		usleep(100000);
	}
	return on;
}

/* Wait (bounded) until the member's @what counter is at least @v. */
static bool wait_member_ll(__u32 id, const char *what, long long v)
{
	int i;

	for (i = 0; i < T_WAIT_S * 100; i++) {
		if (t_member_ll(id, what) >= v)
			return true;
		usleep(10000);
	}
	return false;
}

/* The fast member's counters, once they stayed the same for three periods. */
static void tier_settle(FIXTURE_DATA(tier) *self, struct t_tier_figs *f)
{
	struct t_tier_figs a;

	tier_figs(self->fast, f);
	do {
		a = *f;
		usleep(3 * T_SCAN_MS * 1000);
		tier_figs(self->fast, f);
	} while (memcmp(&a, f, sizeof(a)));
}

/* Tiering off, and the pass that may have been running is over. */
static void tier_stop(FIXTURE_DATA(tier) *self)
{
	struct t_tier_figs f;

	set_knob(T_RATE, 0);
	tier_settle(self, &f);
}

/*
 * The hot set, all on the slow member, is promoted while a thread writes
 * and reads it; pages nobody touches stay.  Counters: exactly the hot
 * bytes promoted, moved, and every page sampled at least once.
 */
TEST_F_TIMEOUT(tier, promote_hot, 300)
{
	size_t len = variant->len, hot = variant->hot;
	struct t_tier_figs f, s;
	struct t_worker w;
	long long room;
	char *map;

	/* Room for everything on the fast member once the ALLOC is made. */
	map = tier_alloc(_metadata, self, variant, 0, 7);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ((long long)len, t_placed_on(self->fd, self->h, self->slow,
					      NULL));
	room = t_member_ll(self->fast, "used") + len;
	ASSERT_EQ(0, t_member_set_limit(self->fast, room));
	EXPECT_TRUE(used_exact(self));

	ASSERT_EQ(0, t_worker_start(&w, map, hot));
	ASSERT_EQ(0, set_knob(T_RATE, 64));
	EXPECT_EQ((long long)hot, wait_fast(self, hot));
	EXPECT_EQ(0, t_worker_stop(&w));
	EXPECT_LT(0, w.rounds);
	tier_stop(self);

	/* The worker left its last round's words in the hot set. */
	EXPECT_EQ((long long)hot, t_placed_on(self->fd, self->h, self->fast,
					      NULL));
	EXPECT_TRUE(used_exact(self));
	tier_figs(self->fast, &f);
	tier_figs(self->slow, &s);
	EXPECT_EQ((long long)hot, f.promoted - self->f0.promoted);
	EXPECT_EQ((long long)hot, f.in - self->f0.in);
	EXPECT_EQ((long long)hot, s.out - self->s0.out);
	EXPECT_EQ(0, s.promoted - self->s0.promoted);
	EXPECT_EQ(0, f.demoted - self->f0.demoted);
	EXPECT_EQ(0, s.demoted - self->s0.demoted);
	EXPECT_LE((long long)len, s.sampled - self->s0.sampled);
	EXPECT_EQ(0, (s.sampled - self->s0.sampled) % T_PAGE);
	EXPECT_EQ(-1, check_at(map, hot, len - hot, 7));
	EXPECT_EQ(0, child_check_at(map, hot, len - hot, 7));
	EXPECT_GE(room, f.used);
	EXPECT_EQ(0, munmap(map, len));
}

/*
 * The fast member is at its limit with pages nobody uses: to promote
 * the hot set from the slow member, tiering demotes as many of them,
 * and the fast member never goes over its limit.
 */
TEST_F_TIMEOUT(tier, demote_cold, 300)
{
	size_t len = variant->len, hot = variant->hot, half = len / 2;
	struct t_tier_figs f, s;
	long long limit;
	struct t_worker w;
	char *map;

	/* The first half on the fast member, at its limit; the rest slow. */
	map = tier_alloc(_metadata, self, variant, half, 9);
	ASSERT_NE(MAP_FAILED, map);
	limit = t_member_ll(self->fast, "limit");
	EXPECT_EQ((long long)half, t_placed_on(self->fd, self->h, self->fast,
					       NULL));
	EXPECT_EQ(limit, t_member_ll(self->fast, "used"));
	EXPECT_TRUE(used_exact(self));

	/* Hot: the start of the slow half. */
	ASSERT_EQ(0, t_worker_start(&w, map + half, hot));
	ASSERT_EQ(0, set_knob(T_RATE, 64));
	/* Promoted: the fast member holds them, at most @half in all. */
	wait_member_ll(self->fast, "tier_promoted", self->f0.promoted + hot);
	EXPECT_EQ(0, t_worker_stop(&w));
	tier_stop(self);

	tier_figs(self->fast, &f);
	tier_figs(self->slow, &s);
	EXPECT_EQ((long long)hot, f.promoted - self->f0.promoted);
	EXPECT_EQ((long long)hot, s.demoted - self->s0.demoted);
	EXPECT_EQ(0, f.demoted - self->f0.demoted);
	EXPECT_EQ((long long)half, t_placed_on(self->fd, self->h, self->fast,
					       NULL));
	EXPECT_GE(limit, f.used);
	EXPECT_EQ((long long)hot, f.in - self->f0.in);
	EXPECT_EQ((long long)hot, f.out - self->f0.out);
	EXPECT_TRUE(used_exact(self));
	/* The demoted and the untouched pages kept their bytes. */
	EXPECT_EQ(-1, t_check(map, half, 9));
	EXPECT_EQ(-1, check_at(map, half + hot, half - hot, 9));
	EXPECT_EQ(0, t_child_checks(map, half, 9));
	EXPECT_EQ(0, munmap(map, len));
}

/* Rate 0: no pass runs, nothing is sampled and nothing moves. */
TEST_F_TIMEOUT(tier, rate_zero_moves_nothing, 60)
{
	size_t len = variant->len, hot = variant->hot;
	struct t_tier_figs f, s;
	struct t_worker w;
	char *map;

	map = tier_alloc(_metadata, self, variant, 0, 3);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, t_member_set_limit(self->fast, 0));
	ASSERT_EQ(0, t_worker_start(&w, map, hot));
	/* Ten periods: a pass would have sampled by then. */
	usleep(10 * T_SCAN_MS * 1000);
	EXPECT_EQ(0, t_worker_stop(&w));
	tier_figs(self->fast, &f);
	tier_figs(self->slow, &s);
	EXPECT_EQ(self->f0.used, f.used);
	EXPECT_EQ(self->f0.sampled, f.sampled);
	EXPECT_EQ(self->f0.promoted, f.promoted);
	EXPECT_EQ(self->f0.in, f.in);
	EXPECT_EQ(self->s0.sampled, s.sampled);
	EXPECT_EQ(self->s0.demoted, s.demoted);
	EXPECT_EQ(self->s0.in, s.in);
	EXPECT_EQ(self->s0.out, s.out);
	EXPECT_EQ((long long)len, t_placed_on(self->fd, self->h, self->slow,
					      NULL));
	EXPECT_TRUE(used_exact(self));
	EXPECT_EQ(-1, check_at(map, hot, len - hot, 3));
	EXPECT_EQ(0, munmap(map, len));
}

/*
 * A pass promoting a CXL allocation of LONG_PASS_LEN, every page of it
 * used since the last sample: a few MB/s under TCG, so the pass lasts
 * seconds.  The period is long, so that the writer goes over the whole
 * allocation between the sample (the first pass, when the rate is
 * written) and the pass that promotes.  Returns once that pass has
 * promoted a page, with the writer stopped, or MAP_FAILED.
 */
#define LONG_PASS_LEN	(4 * T_MIB)
#define LONG_PASS_SCAN_MS	5000

static char *long_pass_start(struct __test_metadata *_metadata,
			     FIXTURE_DATA(tier) *self,
			     const FIXTURE_VARIANT(tier) *variant)
{
	FIXTURE_VARIANT(tier) big = *variant;
	bool ok;
	struct t_worker w;
	long rounds;
	char *map;
	int i;

	big.len = LONG_PASS_LEN;
	map = tier_alloc(_metadata, self, &big, 0, 5);
	if (map == MAP_FAILED)
		return map;
	if (t_member_set_limit(self->fast, t_member_ll(self->fast, "used") +
						LONG_PASS_LEN) ||
	    set_knob(T_SCAN, LONG_PASS_SCAN_MS) ||
	    t_worker_start(&w, map, LONG_PASS_LEN))
		return MAP_FAILED;
	ok = !set_knob(T_RATE, 4096) &&
	     wait_member_ll(self->slow, "tier_sampled",
			    self->s0.sampled + LONG_PASS_LEN);
	/* A whole round after the sample: every page accessed. */
	rounds = w.rounds;
	for (i = 0; ok && w.rounds < rounds + 2 && i < T_WAIT_S * 100; i++)
		usleep(10000);
	w.stop = 1;
	pthread_join(w.thread, NULL);
	ok = ok && wait_member_ll(self->fast, "tier_promoted",
				  self->f0.promoted + 1);
	return ok ? map : MAP_FAILED;
}

/* Bytes promoted to the fast member since @before, once it settled. */
static long long promoted_since(FIXTURE_DATA(tier) *self, long long before)
{
	struct t_tier_figs f;

	tier_settle(self, &f);
	return f.promoted - before;
}

/*
 * Rate 0 stops a pass in flight at its next page: the one being moved
 * when the rate was written may still land, nothing after it.  Before,
 * the pass went on with the budget it started with (fuzz seed
 * 1796525881561379 on the debug kernel: a member's used 64 KiB over its
 * start for 60 s after the run, while a pass over CXL went on).
 */
TEST_F_TIMEOUT(tier, rate_zero_stops_a_pass, 300)
{
	long long before;
	char *map;

	if (!variant->cxl)
		SKIP(return, "a pass over DRAM ends before the test can see it");
	map = long_pass_start(_metadata, self, variant);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, set_knob(T_RATE, 0));
	before = t_member_ll(self->fast, "tier_promoted");
	ASSERT_GT(self->f0.promoted + LONG_PASS_LEN, before)
		TH_LOG("the pass promoted everything before the write");
	EXPECT_GE(T_PAGE, promoted_since(self, before));
	EXPECT_TRUE(used_exact(self));
	EXPECT_EQ(0, munmap(map, LONG_PASS_LEN));
}

/*
 * An allocation its owners freed while a pass promotes it: the pass
 * stops at its next page and the memory goes back then, not when the
 * pass ends.
 */
TEST_F_TIMEOUT(tier, freed_during_a_pass_goes_back, 300)
{
	long long before;
	char *map;
	int i;

	if (!variant->cxl)
		SKIP(return, "a pass over DRAM ends before the test can see it");
	map = long_pass_start(_metadata, self, variant);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map, LONG_PASS_LEN));
	ASSERT_EQ(0, _test_cmd_free(self->fd, self->h));
	self->have_h = 0;
	before = t_member_ll(self->fast, "tier_promoted");
	ASSERT_GT(self->f0.promoted + LONG_PASS_LEN, before)
		TH_LOG("the pass promoted everything before the FREE");
	EXPECT_GE(T_PAGE, promoted_since(self, before));
	for (i = 0; i < T_WAIT_S * 10; i++) {
		if (t_member_ll(self->fast, "used") == self->f0.used &&
		    t_member_ll(self->slow, "used") == self->s0.used)
			break;
		usleep(100000);
	}
	EXPECT_EQ(self->f0.used, t_member_ll(self->fast, "used"));
	EXPECT_EQ(self->s0.used, t_member_ll(self->slow, "used"));
}

/* Bad values for the knobs: the errno, and the value stays. */
TEST_F(tier, bad_writes)
{
	static const struct {
		const char *path, *val;
		int err;
	} bad[] = {
		{ T_RATE, "fast\n", EINVAL },
		{ T_RATE, "-1\n", EINVAL },
		{ T_RATE, "1.5\n", EINVAL },
		{ T_RATE, "\n", EINVAL },
		{ T_RATE, "4294967296\n", ERANGE },
		{ T_RATE, "99999999999999999999999\n", ERANGE },
		{ T_RATE, "1048577\n", ERANGE },
		{ T_SCAN, "soon\n", EINVAL },
		{ T_SCAN, "-100\n", EINVAL },
		{ T_SCAN, "0\n", ERANGE },
		{ T_SCAN, "9\n", ERANGE },
		{ T_SCAN, "60001\n", ERANGE },
		{ T_SCAN, "18446744073709551616\n", ERANGE },
	};
	char path[256];
	unsigned int i;

	if (variant->cxl)
		SKIP(return, "the knobs are the same for every variant");
	ASSERT_EQ(0, set_knob(T_SCAN, 250));
	for (i = 0; i < T_ARRAY_SIZE(bad); i++) {
		TH_LOG("%s <- %s", bad[i].path, bad[i].val);
		EXPECT_EQ(-bad[i].err, t_write_file(bad[i].path, bad[i].val));
		EXPECT_EQ(0, t_read_ll(T_RATE));
		EXPECT_EQ(250, t_read_ll(T_SCAN));
	}
	/* The ends of the ranges are taken. */
	EXPECT_EQ(0, set_knob(T_SCAN, 10));
	EXPECT_EQ(10, t_read_ll(T_SCAN));
	EXPECT_EQ(0, set_knob(T_SCAN, 60000));
	EXPECT_EQ(60000, t_read_ll(T_SCAN));
	/* Root's files: an unprivileged writer is refused at open. */
	EXPECT_EQ(-EACCES, t_write_file_unprivileged(T_RATE, "1\n"));
	EXPECT_EQ(0, t_read_ll(T_RATE));
	/* The counters are read-only. */
	snprintf(path, sizeof(path), T_MEMBERS "/%u/tier_promoted",
		 self->fast);
	EXPECT_EQ(-EACCES, t_write_file(path, "0\n"));
	EXPECT_EQ(self->f0.promoted, t_member_ll(self->fast, "tier_promoted"));
}

TEST_HARNESS_MAIN
