// SPDX-License-Identifier: GPL-2.0
/*
 * SCALEPOOL_ALLOC_POPULATE on "bar" members (PFN mappings, which
 * MAP_POPULATE and MADV_POPULATE_* cannot fill): every page is mapped
 * when mmap() returns; a mapping made while the member goes (remove or
 * driver unbind) never keeps a page of the released BAR, every access
 * after the removal gets SIGBUS; populating never makes mmap() fail, so
 * a MAP_FIXED mmap of a revoked allocation replaces the old mapping
 * rather than leaving a hole.  Runs in the guest of the "peer" topology
 * with the module loaded.
 */
#include <pthread.h>
#include <setjmp.h>
#include <sys/resource.h>

#include "pool_test.h"
#include "kselftest_harness.h"

#define MAX_DEVS	8

/* Reading a byte in this process: SIGBUS or 0. */
static sigjmp_buf probe_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(probe_jmp, 1);
}

static int probe(volatile unsigned char *p)
{
	if (sigsetjmp(probe_jmp, 1))
		return SIGBUS;
	(void)*p;
	return 0;
}

FIXTURE(pop) {
	int fd;
	char bdf[sizeof(((struct t_pci_dev *)0)->bdf)];	/* behind the switch */
	int id;
};

FIXTURE_SETUP(pop)
{
	struct t_pci_dev devs[MAX_DEVS];
	struct sigaction sa = { .sa_handler = on_sigbus };
	int i, n;

	self->id = -1;
	self->bdf[0] = '\0';
	test_open(&self->fd);
	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 0, devs,
		       MAX_DEVS);
	for (i = 0; i < n; i++)
		if (!devs[i].root_bus)
			memcpy(self->bdf, devs[i].bdf, sizeof(self->bdf));
	if (!self->bdf[0])
		SKIP(return, "needs the peer topology's ivshmem devices");
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	self->id = t_bar_member_add(self->bdf);
	ASSERT_LE(0, self->id);
}

FIXTURE_TEARDOWN(pop)
{
	int id;

	if (self->fd >= 0)
		close(self->fd);
	if (!self->bdf[0])
		return;
	id = t_member_of_pci("bar", self->bdf);
	if (id >= 0)
		t_remove_member(id);
	t_pci_unbind(self->bdf, T_SP_DRIVER);
}

/*
 * Touching every page of a POPULATE mapping of BAR memory takes no page
 * fault; without the flag every page faults (the check can fail).
 */
TEST_F(pop, bar_pages_mapped_at_mmap)
{
	const size_t len = T_MIB, pages = len / T_PAGE;
	volatile unsigned char *p;
	unsigned int i;
	long faults;
	__u64 off;
	__u32 h;

	for (i = 0; i < 2; i++) {
		test_cmd_alloc_on(self->fd, self->id,
				  i ? 0 : SCALEPOOL_ALLOC_POPULATE, len, &h,
				  &off);
		p = t_map(self->fd, off, len);
		ASSERT_NE(MAP_FAILED, p);
		faults = t_touch_faults(p, len, 0x5a);
		TH_LOG("%s: %ld faults for %zu pages",
		       i ? "lazy" : "populate", faults, pages);
		if (i) {
			EXPECT_LE((long)pages, faults);
		} else {
			EXPECT_GT((long)pages / 8, faults);
		}
		munmap((void *)p, len);
		test_cmd_free(self->fd, h);
	}
}

/*
 * mmap(MAP_FIXED) of a POPULATE allocation whose member went: the mmap
 * succeeds and replaces the old mapping (populating stops at the first
 * page that faults), accesses get SIGBUS.  A populate that failed the
 * mmap() would leave a hole where the old mapping was.  A live one over
 * an old mapping maps zeroed memory, populated.
 */
TEST_F(pop, map_fixed_of_revoked_allocation)
{
	const size_t len = 64 * T_KIB;
	unsigned char *old, *p;
	__u64 off, off2;
	__u32 h, h2;
	long before;
	size_t j;

	test_cmd_alloc_on(self->fd, self->id, SCALEPOOL_ALLOC_POPULATE, len, &h,
			  &off);
	test_cmd_alloc_on(self->fd, self->id, SCALEPOOL_ALLOC_POPULATE, len,
			  &h2, &off2);

	/* Live: over an anonymous mapping. */
	old = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, old);
	memset(old, 0x11, len);
	p = mmap(old, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, off2);
	ASSERT_EQ(old, p);
	before = t_minflt();
	EXPECT_EQ(-1, t_check_zero(p, len));
	EXPECT_GT((long)(len / T_PAGE) / 2, t_minflt() - before);
	munmap(p, len);

	/* Revoked. */
	old = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, old);
	memset(old, 0x11, len);
	ASSERT_EQ(0, t_remove_member(self->id));
	p = mmap(old, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, off);
	ASSERT_EQ(old, p) {
		TH_LOG("mmap(MAP_FIXED) failed: %s", strerror(errno));
	}
	for (j = 0; j < len; j += T_PAGE)
		EXPECT_EQ(SIGBUS, probe(p + j));
	munmap(p, len);
	test_cmd_free(self->fd, h);
	test_cmd_free(self->fd, h2);
}

/* A thread mapping one allocation, again and again, until told to stop. */
struct mapper {
	int fd;
	__u64 off;
	size_t len;
	void **maps;
	int nr, room;
	int failed;		/* mmap() calls that failed */
	int errno_seen;
	volatile int started;
	volatile int stop;
};

static void *mapper_run(void *arg)
{
	struct mapper *m = arg;
	int after = 0;
	void *p;

	while (after < 4) {
		if (m->stop)
			after++;
		if (m->nr == m->room) {
			void **n = realloc(m->maps, 2 * m->room * sizeof(*n));

			if (!n)
				break;
			m->maps = n;
			m->room *= 2;
		}
		p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 m->fd, m->off);
		if (p == MAP_FAILED) {
			m->failed++;
			m->errno_seen = errno;
		} else {
			m->maps[m->nr++] = p;
		}
		m->started++;
	}
	return NULL;
}

/*
 * POPULATE mmaps racing the member's removal (remove_member and driver
 * unbind, in turns), many rounds: afterwards no page of any mapping
 * reads: every access gets SIGBUS, and no mmap() failed.  Before the
 * fix, a removal that came after ->mmap populated but before the kernel
 * linked the VMA into the file's tree missed the mapping, which kept
 * the released BAR.
 */
TEST_F_TIMEOUT(pop, populate_races_removal, 600)
{
	const int rounds = 120;
	int r, i, live = 0, maps = 0, failed = 0;
	struct mapper m;
	pthread_t t;
	size_t j;
	__u32 h;

	for (r = 0; r < rounds; r++) {
		if (r) {
			self->id = t_bar_member_add(self->bdf);
			ASSERT_LE(0, self->id);
		}
		memset(&m, 0, sizeof(m));
		m.fd = self->fd;
		m.len = 2 * T_PAGE;
		m.room = 64;
		m.maps = calloc(m.room, sizeof(*m.maps));
		ASSERT_NE(NULL, m.maps);
		test_cmd_alloc_on(self->fd, self->id, SCALEPOOL_ALLOC_POPULATE,
				  m.len, &h, &m.off);
		ASSERT_EQ(0, pthread_create(&t, NULL, mapper_run, &m));
		/* Let it get going; a varying number of mmaps in. */
		while (m.started < 1 + r % 7)
			sched_yield();
		if (r % 2)
			t_pci_unbind(self->bdf, T_SP_DRIVER);
		else
			ASSERT_EQ(0, t_remove_member(self->id));
		m.stop = 1;
		pthread_join(t, NULL);

		for (i = 0; i < m.nr; i++) {
			for (j = 0; j < m.len; j += T_PAGE)
				if (probe((unsigned char *)m.maps[i] + j) !=
				    SIGBUS)
					live++;
			munmap(m.maps[i], m.len);
		}
		maps += m.nr;
		failed += m.failed;
		if (m.failed)
			TH_LOG("round %d: %d mmap() failed, errno %d", r,
			       m.failed, m.errno_seen);
		free(m.maps);
		test_cmd_free(self->fd, h);
		if (live)
			break;
	}
	TH_LOG("%d rounds, %d mappings, %d pages still mapped, %d mmap() failures",
	       r, maps, live, failed);
	EXPECT_EQ(0, live);
	EXPECT_EQ(0, failed);
}

TEST_HARNESS_MAIN
