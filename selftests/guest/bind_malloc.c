// SPDX-License-Identifier: GPL-2.0
/*
 * The malloc family under libpool-preload.so (poolctl bind): fork gives
 * each process its own copy of pool memory, 16 threads allocating and
 * freeing across the threshold, realloc growing and shrinking across
 * it, memalign and its kin with large alignments, calloc zeroed,
 * allocations before main and in an atexit handler, and allocations of
 * 32 MiB and more in pool buffers of their own, given back at free(),
 * and smaller allocations left to glibc's malloc.
 *
 * Runs under `poolctl bind -t 1M ... -- bind_malloc`: a plain program,
 * not linked to libpool.  With BIND_EXPECT_POOL=1 (the guest suite
 * bind.sh sets it) allocations of at least the threshold must be in a
 * /dev/scalepool mapping (/proc/self/maps), and smaller ones must not;
 * without it (the host, where there is no module) they fall back to
 * ordinary memory and only the contents are checked.
 */
#include <malloc.h>
#include <stdbool.h>

#include "pool_test.h"	/* its sysfs helpers only: no libpool */
#include "kselftest_harness.h"

#define MiB (1024UL * 1024)
#define NR_THREADS 16

static size_t threshold = MiB;
static bool expect_pool;
static void *early;

/* Is @p in a mapping of /dev/scalepool's memory? */
static bool in_pool(const void *p)
{
	unsigned long lo, hi, a = (unsigned long)p;
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo &&
		    a < hi)
			found = strstr(line, "scalepool") != NULL;
	fclose(f);
	return found;
}

/* Where @p must be for a request of @size bytes. */
static bool placed_right(const void *p, size_t size)
{
	if (!expect_pool)
		return true;
	return in_pool(p) == (size >= threshold);
}

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i += 512)
		p[i] = (unsigned char)(seed + i / 512);
}

static bool check(const unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i += 512)
		if (p[i] != (unsigned char)(seed + i / 512))
			return false;
	return true;
}

__attribute__((constructor)) static void setup(void)
{
	const char *t = getenv("SCALEPOOL_BIND_THRESHOLD");
	const char *e = getenv("BIND_EXPECT_POOL");

	if (t)
		threshold = strtoull(t, NULL, 10);
	expect_pool = e && strcmp(e, "1") == 0;
	/* Before main: the preload sets itself up on this first call. */
	early = malloc(2 * threshold);
	if (early)
		fill(early, 2 * threshold, 7);
}

TEST(before_main)
{
	ASSERT_NE(NULL, early);
	EXPECT_TRUE(check(early, 2 * threshold, 7));
	EXPECT_TRUE(placed_right(early, 2 * threshold));
	free(early);
}

static void at_exit(void)
{
	unsigned char *p = malloc(3 * threshold);

	/* The harness reads the exit status: 0 only if all went right. */
	if (!p || !placed_right(p, 3 * threshold))
		_exit(3);
	fill(p, 3 * threshold, 9);
	if (!check(p, 3 * threshold, 9))
		_exit(4);
	p = realloc(p, threshold / 4);
	if (!p || !check(p, threshold / 4, 9))
		_exit(5);
	free(p);
}

TEST(in_atexit)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		atexit(at_exit);
		exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * The parent fills a buffer, forks; the child writes the first half,
 * then the parent the second; each must see only its own writes.
 */
TEST(fork_private)
{
	size_t n = 8 * MiB, half = n / 2;
	int to_parent[2], to_child[2], status;
	unsigned char *p = malloc(n), *small = malloc(4096);
	char c = 0;
	pid_t pid;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, small);
	EXPECT_TRUE(placed_right(p, n));
	memset(p, 'A', n);
	memset(small, 'a', 4096);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(p, 'C', half);
		small[0] = 'c';
		if (write(to_parent[1], "w", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* The parent has written its half by now. */
		if (p[half] != 'A' || p[n - 1] != 'A' || p[0] != 'C' ||
		    p[half - 1] != 'C')
			_exit(3);
		if (expect_pool && !in_pool(p))
			_exit(4);
		/* The child's own pool allocations work. */
		unsigned char *q = malloc(n);

		if (!q || !placed_right(q, n))
			_exit(5);
		memset(q, 'q', n);
		free(q);
		free(p);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	/* The child has written its half. */
	EXPECT_EQ('A', p[0]);
	EXPECT_EQ('A', p[half - 1]);
	EXPECT_EQ('a', small[0]);
	memset(p + half, 'P', n - half);
	ASSERT_EQ(1, write(to_child[1], "w", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ('A', p[0]);
	EXPECT_EQ('P', p[n - 1]);
	free(p);
	free(small);
}

struct worker {
	unsigned int id;
	bool ok;
};

/* Sizes from threshold/8 to 4*threshold: both sides, and realloc across. */
static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = w->id * 7919 + 1, i;
	unsigned char *p;
	size_t size, grow;

	w->ok = true;
	for (i = 0; i < 60 && w->ok; i++) {
		seed = seed * 1103515245 + 12345;
		size = threshold / 8 + (seed >> 8) % (4 * threshold);
		p = malloc(size);
		if (!p || !placed_right(p, size)) {
			w->ok = false;
			break;
		}
		fill(p, size, w->id + i);
		grow = size * 2;
		p = realloc(p, grow);
		if (!p || !check(p, size, w->id + i) ||
		    malloc_usable_size(p) < grow)
			w->ok = false;
		free(p);
	}
	return NULL;
}

TEST(threads_across_threshold)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];
	unsigned int i;

	for (i = 0; i < NR_THREADS; i++) {
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, work, &w[i]));
	}
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_TRUE(w[i].ok);
	}
}

TEST(realloc_grow_shrink)
{
	size_t sizes[] = { 1024, threshold - 1, threshold, 16 * MiB,
			   3 * threshold, threshold / 2, 100, 32 * MiB, 10 };
	size_t i, prev = 1024;
	unsigned char *p = malloc(prev);

	ASSERT_NE(NULL, p);
	fill(p, prev, 3);
	for (i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = realloc(p, sizes[i]);
		ASSERT_NE(NULL, p);
		EXPECT_TRUE(check(p, prev < sizes[i] ? prev : sizes[i], 3))
			TH_LOG("%zu -> %zu bytes", prev, sizes[i]);
		EXPECT_TRUE(placed_right(p, sizes[i]))
			TH_LOG("%zu bytes at %p", sizes[i], p);
		fill(p, sizes[i], 3);
		prev = sizes[i];
	}
	free(p);
	EXPECT_EQ(NULL, realloc(malloc(10), 0));
}

TEST(memalign_large)
{
	size_t align, size = 2 * threshold;
	void *p;

	for (align = 4096; align <= 64 * MiB; align *= 4) {
		p = NULL;
		ASSERT_EQ(0, posix_memalign(&p, align, size));
		EXPECT_EQ(0, (uintptr_t)p % align) TH_LOG("align %zu", align);
		EXPECT_TRUE(placed_right(p, size));
		fill(p, size, 5);
		EXPECT_TRUE(check(p, size, 5));
		free(p);
		p = aligned_alloc(align, size);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(0, (uintptr_t)p % align);
		free(p);
		p = memalign(align, size);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(0, (uintptr_t)p % align);
		EXPECT_TRUE(placed_right(p, size));
		free(p);
	}
	EXPECT_EQ(EINVAL, posix_memalign(&p, 3, size));
	p = valloc(size);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % 4096);
	free(p);
	p = pvalloc(size + 1);
	ASSERT_NE(NULL, p);
	EXPECT_LE(size + 4096, malloc_usable_size(p));
	free(p);
}

/* Bytes the pool's members hold, summed (0 without the module). */
static long long pool_used(void)
{
	__u32 ids[T_MAX_IDS];
	long long sum = 0;
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++)
		sum += t_member_ll(ids[i], "used");
	return sum;
}

/*
 * 32 MiB and more: a pool buffer of its own, the request rounded up to a
 * page (jemalloc would have taken its next size class, 48 MiB here), and
 * given back to the pool at free().  realloc keeps it down to half its
 * size, and moves it otherwise; a forked child has its own copy.
 */
TEST(direct_large)
{
	size_t n = 40 * MiB + 1, page = 4096, usable = 40 * MiB + page;
	long long used0 = pool_used();
	unsigned char *p = malloc(n), *q;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, p);
	EXPECT_TRUE(placed_right(p, n));
	fill(p, n, 11);
	if (expect_pool) {
		EXPECT_EQ(usable, malloc_usable_size(p));
		EXPECT_EQ(used0 + (long long)usable, pool_used());
	} else {
		EXPECT_LE(n, malloc_usable_size(p));
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fill(p, n, 12);
		free(p);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_TRUE(check(p, n, 11));
	/* Shrunk by less than half: where it is, the same buffer. */
	q = realloc(p, 30 * MiB);
	ASSERT_NE(NULL, q);
	if (expect_pool)
		EXPECT_EQ(usable, malloc_usable_size(q));
	EXPECT_TRUE(check(q, 30 * MiB, 11));
	p = realloc(q, 64 * MiB);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(check(p, 30 * MiB, 11));
	EXPECT_TRUE(placed_right(p, 64 * MiB));
	if (expect_pool)
		EXPECT_EQ(used0 + (long long)(64 * MiB), pool_used());
	q = realloc(p, 1000);
	ASSERT_NE(NULL, q);
	EXPECT_TRUE(check(q, 1000, 11));
	EXPECT_TRUE(placed_right(q, 1000));
	free(q);
	/* Back to the pool at free(), not at exit. */
	if (expect_pool)
		EXPECT_EQ(used0, pool_used());
	/* Aligned past a page: jemalloc's pool arena serves it. */
	p = aligned_alloc(4 * MiB, n);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, (uintptr_t)p % (4 * MiB));
	EXPECT_TRUE(placed_right(p, n));
	free(p);
}

TEST(calloc_zero_and_overflow)
{
	/* volatile: gcc warns about a constant overflow at compile time. */
	volatile size_t huge = SIZE_MAX / 2;
	size_t n = 3 * threshold, i;
	unsigned char *p = calloc(1, n);
	bool zero = true;

	ASSERT_NE(NULL, p);
	EXPECT_TRUE(placed_right(p, n));
	for (i = 0; i < n; i += 4096)
		zero &= !p[i];
	EXPECT_TRUE(zero);
	memset(p, 1, n);
	free(p);
	/* Memory freed then given out again by calloc is zeroed too. */
	p = calloc(n, 1);
	ASSERT_NE(NULL, p);
	zero = true;
	for (i = 0; i < n; i += 4096)
		zero &= !p[i];
	EXPECT_TRUE(zero);
	free(p);
	errno = 0;
	EXPECT_EQ(NULL, calloc(huge, 3));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0, malloc_usable_size(NULL));
}

/* glibc's count of the bytes its malloc has handed out and not freed. */
static size_t glibc_in_use(void)
{
	return mallinfo2().uordblks;
}

/*
 * Below the threshold the program keeps glibc's malloc, as unbound: its
 * mallinfo2() counts those blocks (jemalloc's, before 603f55e, it did
 * not), realloc() and malloc_usable_size() work on them, and pool
 * memory is not among them.
 */
TEST(small_on_glibc)
{
	size_t before = glibc_in_use(), n = threshold / 4;
	unsigned char *p = malloc(1000), *q, *big;

	ASSERT_NE(NULL, p);
	EXPECT_FALSE(in_pool(p));
	EXPECT_LE(before + 1000, glibc_in_use());
	EXPECT_LE(1000, malloc_usable_size(p));
	fill(p, 1000, 3);
	q = realloc(p, n);
	ASSERT_NE(NULL, q);
	EXPECT_TRUE(check(q, 1000, 3));
	EXPECT_LE(n, malloc_usable_size(q));
	EXPECT_FALSE(in_pool(q));
	free(q);
	EXPECT_GE(before + 4096, glibc_in_use());
	/* A pool allocation is not glibc's to count. */
	before = glibc_in_use();
	big = malloc(2 * threshold);
	ASSERT_NE(NULL, big);
	if (expect_pool)
		EXPECT_GE(before + 4096, glibc_in_use());
	free(big);
}

TEST_HARNESS_MAIN
