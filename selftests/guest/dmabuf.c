// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations exported as dma-bufs (SCALEPOOL_EXPORT): bad handles and
 * flags; mmap of the dma-buf sees the same bytes as the allocation's own
 * mapping both ways, on DRAM and on CXL memory; DMA_BUF_IOCTL_SYNC; every
 * close order (FREE, close of /dev/scalepool, close of the dma-buf,
 * munmap) keeps the memory exactly as long as something uses it, which
 * member `used` shows; every export makes a new dma-buf, also after its
 * file was freed while an O_PATH open or a readlink held the dma-buf
 * (with unrelated files reusing the slot); read-only exports; an
 * importer holding its mapping keeps the memory; the fd passed
 * to another process over a unix socket (libpool's helpers) shares the
 * bytes; a driver importing the dma-buf (scalepool_import_test.ko, built
 * beside scalepool.ko) reads the same bytes at the DMA addresses it gets;
 * fdinfo counts the exported allocations.
 *
 * Runs in the guest with scalepool.ko loaded, as root.  The CXL cases
 * need a CXL node online (node 2 after discovery.sh) and SKIP without.
 */
#include <dirent.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libpool.h>

#include "pool_test.h"
#include "kselftest_harness.h"


/* ---- helpers */

/* Whether /proc/self/fdinfo/@fd has the line "@key:\t@val". */
static int fdinfo_has(int fd, const char *key, const char *val)
{
	char path[64], line[256], want[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(want, sizeof(want), "%s:\t%s\n", key, val);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, want);
	fclose(f);
	return found;
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* ---------------------------------------------------------------------- */

FIXTURE(errors) {
	int fd;
	__u32 m0;
};

FIXTURE_SETUP(errors)
{
	int m0 = t_member_of_node(0);

	test_open(&self->fd);
	ASSERT_LE(0, m0);
	self->m0 = m0;
}

FIXTURE_TEARDOWN(errors)
{
	close(self->fd);
}

TEST_F(errors, unknown_and_freed_handles_are_enoent)
{
	int other = t_open();
	__u32 handle;

	ASSERT_LE(0, other);
	test_err_export(ENOENT, self->fd, 0, 0);
	test_err_export(ENOENT, self->fd, 12345, 0);
	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	/* The handle of another fd names nothing here. */
	test_err_export(ENOENT, other, handle, 0);
	test_cmd_free(self->fd, handle);
	test_err_export(ENOENT, self->fd, handle, 0);
	close(other);
}

TEST_F(errors, unknown_flags_are_eopnotsupp)
{
	__u32 handle;
	int bit;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	for (bit = 0; bit < 32; bit++) {
		int dfd, flag = 1U << bit;

		if (flag & (SCALEPOOL_EXPORT_CLOEXEC | SCALEPOOL_EXPORT_RDONLY)) {
			dfd = _test_cmd_export(self->fd, handle, flag);
			EXPECT_LE(0, dfd);
			close(dfd);
			continue;
		}
		test_err_export(EOPNOTSUPP, self->fd, handle, flag);
	}
	test_cmd_free(self->fd, handle);
}

TEST_F(errors, cloexec_flag)
{
	__u32 handle;
	int dfd;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	test_cmd_export(self->fd, handle, SCALEPOOL_EXPORT_CLOEXEC, &dfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	close(dfd);
	test_cmd_export(self->fd, handle, 0, &dfd);
	EXPECT_EQ(0, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	/* Read-write, as the header says. */
	EXPECT_EQ(O_RDWR, fcntl(dfd, F_GETFL) & O_ACCMODE);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

TEST_F(errors, mmap_rules)
{
	__u32 handle;
	void *p;
	int dfd;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	test_cmd_export(self->fd, handle, 0, &dfd);
	/* Private mappings are refused, so is a range past the end. */
	p = mmap(NULL, M, PROT_READ | PROT_WRITE, MAP_PRIVATE, dfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = t_dmabuf_map(dfd, M, T_PAGE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = t_dmabuf_map(dfd, 2 * M, 0);
	EXPECT_EQ(MAP_FAILED, p);
	/* A part of it works. */
	p = t_dmabuf_map(dfd, T_PAGE, M - T_PAGE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, t_check_zero(p, T_PAGE));
	munmap(p, T_PAGE);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

TEST_F(errors, sync_flags)
{
	static const __u64 good[] = {
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
	};
	__u32 handle;
	unsigned int i;
	int dfd;

	test_cmd_alloc_on(self->fd, self->m0, 0, M, &handle, NULL);
	test_cmd_export(self->fd, handle, 0, &dfd);
	for (i = 0; i < T_ARRAY_SIZE(good); i++)
		EXPECT_EQ(0, t_dmabuf_sync(dfd, good[i])) {
			TH_LOG("flags %#llx", (unsigned long long)good[i]);
		}
	/* Neither read nor write, and unknown bits. */
	EXPECT_EQ(-EINVAL, t_dmabuf_sync(dfd, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, t_dmabuf_sync(dfd, DMA_BUF_SYNC_END));
	EXPECT_EQ(-EINVAL, t_dmabuf_sync(dfd, DMA_BUF_SYNC_RW | (1ULL << 3)));
	EXPECT_EQ(-EINVAL, t_dmabuf_sync(dfd, DMA_BUF_SYNC_RW | (1ULL << 40)));
	close(dfd);
	test_cmd_free(self->fd, handle);
}

/* ---------------------------------------------------------------------- */

/* The same bytes through both mappings, on each kind of node member. */
FIXTURE(shared) {
	int fd;
	__u32 member;
	__u32 handle;
	char *pool;
	int dfd;
	struct t_used u;
};

FIXTURE_VARIANT(shared) {
	int cxl;
	__u32 flags;
	size_t length;
};

FIXTURE_VARIANT_ADD(shared, dram) {
	.cxl = 0, .flags = 0, .length = 4 * M,
};
FIXTURE_VARIANT_ADD(shared, dram_4k) {
	.cxl = 0, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = M,
};
/* CXL moves a few MB/s under TCG: keep it small. */
FIXTURE_VARIANT_ADD(shared, cxl) {
	.cxl = 1, .flags = 0, .length = 2 * M,
};
FIXTURE_VARIANT_ADD(shared, cxl_4k) {
	.cxl = 1, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = 256 * T_KIB,
};

FIXTURE_SETUP(shared)
{
	int node = variant->cxl ? t_cxl_node() : 0, m;
	__u64 offset;

	self->fd = -1;
	self->dfd = -1;
	self->pool = MAP_FAILED;
	if (node < 0)
		SKIP(return, "no CXL node online");
	m = t_member_of_node(node);
	ASSERT_LE(0, m);
	self->member = m;
	test_open(&self->fd);
	t_used_snapshot(&self->u);
	test_cmd_alloc_on(self->fd, m, variant->flags, variant->length,
			  &self->handle, &offset);
	self->pool = t_map(self->fd, offset, variant->length);
	ASSERT_NE(MAP_FAILED, self->pool);
	test_cmd_export(self->fd, self->handle, 0, &self->dfd);
}

FIXTURE_TEARDOWN(shared)
{
	if (self->pool != MAP_FAILED)
		munmap(self->pool, variant->length);
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0) {
		close(self->fd);
		/* Everything this test made is gone again. */
		EXPECT_EQ(-1, t_used_settle(&self->u, 10));
	}
}

TEST_F_TIMEOUT(shared, both_mappings_see_the_same_bytes, 120)
{
	size_t len = variant->length, size = 0;
	char *d;

	d = pool_dmabuf_map(self->dfd, &size);
	ASSERT_NE(NULL, d) {
		TH_LOG("pool_dmabuf_map: %s", strerror(errno));
	}
	ASSERT_EQ(len, size);
	EXPECT_EQ(-1, t_check_zero(d, len));

	/* /dev/scalepool -> dma-buf */
	t_fill(self->pool, len, 11);
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, t_check(d, len, 11));
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_END |
					    DMA_BUF_SYNC_READ));
	/* dma-buf -> /dev/scalepool */
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_WRITE));
	t_fill(d, len, 12);
	EXPECT_EQ(0, t_dmabuf_sync(self->dfd, DMA_BUF_SYNC_END |
					    DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(-1, t_check(self->pool, len, 12));
	EXPECT_EQ(0, munmap(d, size));
}

TEST_F_TIMEOUT(shared, a_part_maps_at_its_offset, 120)
{
	size_t len = variant->length, off = len / 2;
	char *d;

	t_fill(self->pool, len, 13);
	d = t_dmabuf_map(self->dfd, len - off, off);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(0, memcmp(d, self->pool + off, len - off));
	EXPECT_EQ(0, munmap(d, len - off));
}

/*
 * The importing driver reads, at the DMA addresses it was given, the
 * bytes user space wrote: the checksum covers every byte in order.
 */
TEST_F_TIMEOUT(shared, importer_reads_the_same_bytes, 120)
{
	size_t len = variant->length;
	struct scalepool_placement pl[4];
	struct scalepool_info info;
	struct sp_import_check c;
	int ret;

	ASSERT_EQ(0, t_import_module_load()) {
		TH_LOG("cannot load %s.ko (built beside scalepool.ko)",
		       T_IMPORT_MODULE);
	}
	t_fill(self->pool, len, 14);
	ret = t_import_check(self->dfd, 0, &c);
	ASSERT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK: %s", strerror(-ret));
	}
	EXPECT_EQ(len, c.size);
	EXPECT_EQ(len, c.length);
	EXPECT_EQ(t_fnv64(self->pool, len), c.checksum);
	EXPECT_LE(1, c.nents);
	EXPECT_GE(len / T_PAGE, c.nents);
	/*
	 * A 2 MiB page is one contiguous range: at most one entry each
	 * (fewer when neighbours happen to be contiguous too).
	 */
	test_cmd_info(self->fd, self->handle, &info, pl, 4);
	if (pl[0].huge_bytes == len)
		EXPECT_GE(len / T_HUGE, c.nents);
	TH_LOG("%u segments for %zu bytes (%llu in 2 MiB pages)", c.nents,
	       len, (unsigned long long)pl[0].huge_bytes);

	/* A dynamic importer that allows peer-to-peer gets the same. */
	ret = t_import_check(self->dfd, SP_IMPORT_P2P, &c);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(t_fnv64(self->pool, len), c.checksum);

	/* The importer sees what the CPU writes next, too. */
	t_fill(self->pool, len, 15);
	ASSERT_EQ(0, t_import_check(self->dfd, 0, &c));
	EXPECT_EQ(t_fnv64(self->pool, len), c.checksum);
	t_import_module_unload();
}

/* ---------------------------------------------------------------------- */

/*
 * Every order of letting go: the memory stays while any of the handle,
 * the dma-buf fd, a mapping of either lives, and goes with the last.
 */
FIXTURE(order) {
	int fd;
	__u32 m0;
	struct t_used u;
};

FIXTURE_SETUP(order)
{
	int m0 = t_member_of_node(0);

	ASSERT_LE(0, m0);
	self->m0 = m0;
	t_used_snapshot(&self->u);
	test_open(&self->fd);
}

FIXTURE_TEARDOWN(order)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

/* Bytes member @m uses now beyond what it used at snapshot @u. */
static long long used_since(const struct t_used *u, __u32 m)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (u->ids[i] == m)
			return t_member_ll(m, "used") - u->used[i];
	return -1;
}

/* A filled 2 MiB allocation and its dma-buf fd. */
static int filled_export(int fd, __u32 m, __u32 *handle, __u64 seed)
{
	__u64 offset;
	char *p;
	int ret;

	ret = _test_cmd_alloc_on(fd, m, 0, 2 * M, handle, &offset);
	if (ret)
		return ret;
	p = t_map(fd, offset, 2 * M);
	if (p == MAP_FAILED)
		return -errno;
	t_fill(p, 2 * M, seed);
	munmap(p, 2 * M);
	return _test_cmd_export(fd, *handle, 0);
}

TEST_F(order, free_then_the_dmabuf_still_works)
{
	__u32 handle;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 21);
	ASSERT_LE(0, dfd);
	test_cmd_free(self->fd, handle);
	EXPECT_LE(2 * M, used_since(&self->u, self->m0));
	d = t_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, 2 * M, 21));
	munmap(d, 2 * M);
	/* Still held by the dma-buf alone. */
	EXPECT_LE(2 * M, used_since(&self->u, self->m0));
	close(dfd);
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

TEST_F(order, close_of_the_device_then_the_dmabuf_still_works)
{
	struct sp_import_check c;
	__u32 handle;
	size_t size;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 22);
	ASSERT_LE(0, dfd);
	close(self->fd);
	self->fd = -1;
	EXPECT_NE(-1, t_used_changed(&self->u));
	d = pool_dmabuf_map(dfd, &size);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-1, t_check(d, 2 * M, 22));
	/* An importer still gets it. */
	ASSERT_EQ(0, t_import_module_load());
	ASSERT_EQ(0, t_import_check(dfd, 0, &c));
	EXPECT_EQ(t_fnv64(d, 2 * M), c.checksum);
	t_import_module_unload();
	munmap(d, size);
	close(dfd);
}

TEST_F(order, close_of_the_dmabuf_then_free)
{
	__u32 handle;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 23);
	ASSERT_LE(0, dfd);
	close(dfd);
	/* The handle still holds it. */
	EXPECT_NE(-1, t_used_changed(&self->u));
	test_cmd_free(self->fd, handle);
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

TEST_F(order, a_mapping_outlives_fd_handle_and_device)
{
	__u32 handle;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 24);
	ASSERT_LE(0, dfd);
	d = t_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	close(dfd);
	test_cmd_free(self->fd, handle);
	close(self->fd);
	self->fd = -1;
	EXPECT_NE(-1, t_used_changed(&self->u));
	EXPECT_EQ(-1, t_check(d, 2 * M, 24));
	t_fill(d, 2 * M, 25);
	EXPECT_EQ(-1, t_check(d, 2 * M, 25));
	EXPECT_EQ(0, munmap(d, 2 * M));
	EXPECT_EQ(-1, t_used_settle(&self->u, 10));
}

TEST_F(order, every_export_makes_a_new_dmabuf)
{
	__u32 handle;
	char *pa, *pb;
	int a, b;

	a = filled_export(self->fd, self->m0, &handle, 26);
	ASSERT_LE(0, a);
	test_cmd_export(self->fd, handle, 0, &b);
	EXPECT_NE(fd_ino(a), fd_ino(b));
	EXPECT_TRUE(fdinfo_has(a, "exp_name", "scalepool"));
	EXPECT_EQ(2 * M, t_fdinfo_ll(b, "size"));
	/* One fd each. */
	EXPECT_EQ(1, t_fdinfo_ll(a, "count"));
	EXPECT_EQ(1, t_fdinfo_ll(b, "count"));
	/* Two views of one allocation. */
	pa = t_dmabuf_map(a, 2 * M, 0);
	pb = t_dmabuf_map(b, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, pa);
	ASSERT_NE(MAP_FAILED, pb);
	EXPECT_EQ(-1, t_check(pb, 2 * M, 26));
	t_fill(pa, 2 * M, 27);
	EXPECT_EQ(-1, t_check(pb, 2 * M, 27));
	munmap(pa, 2 * M);
	munmap(pb, 2 * M);
	close(a);
	close(b);
	test_cmd_free(self->fd, handle);
}

/*
 * Opens unrelated files until @n are open, so that the slab slots of
 * files freed just before are reused; their fds into @fds.
 */
static int spray_files(int *fds, int n)
{
	int i, p[2];

	for (i = 0; i + 1 < n; i += 2) {
		if (pipe(p))
			break;
		fds[i] = p[0];
		fds[i + 1] = p[1];
	}
	return i;
}

/* Every pipe of the spray still works: nothing closed or reused them. */
static int sprayed_files_work(const int *fds, int n)
{
	char c = 0;
	int i;

	for (i = 0; i + 1 < n; i += 2)
		if (write(fds[i + 1], "x", 1) != 1 ||
		    read(fds[i], &c, 1) != 1 || c != 'x')
			return 0;
	return 1;
}

static void close_files(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

#define SPRAY	400

/*
 * An O_PATH open of /proc/self/fd/N holds the dma-buf's dentry, hence
 * the dma-buf, after close(N) freed its file; the slot goes to other
 * files.  EXPORT must not revive the freed file (issue 9: a NULL
 * dereference in sp_dmabuf_install() and a panic on the old module).
 */
static void o_path_order(struct __test_metadata *_metadata, int fd,
			 __u32 m0, int close_o_path_first)
{
	int dfd, opath, n, fds[SPRAY];
	char path[64], *d;
	__u32 handle;

	dfd = filled_export(fd, m0, &handle, 40);
	ASSERT_LE(0, dfd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	close(dfd);
	n = spray_files(fds, SPRAY);
	EXPECT_LE(SPRAY / 2, n);
	if (close_o_path_first)
		close(opath);
	test_cmd_export(fd, handle, 0, &dfd);
	EXPECT_EQ(2 * M, t_fdinfo_ll(dfd, "size"));
	EXPECT_TRUE(fdinfo_has(dfd, "exp_name", "scalepool"));
	d = t_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, 2 * M, 40));
	munmap(d, 2 * M);
	EXPECT_TRUE(sprayed_files_work(fds, n));
	close(dfd);
	if (!close_o_path_first)
		close(opath);
	close_files(fds, n);
	test_cmd_free(fd, handle);
}

TEST_F_TIMEOUT(order, o_path_holder_then_close_then_reexport, 120)
{
	o_path_order(_metadata, self->fd, self->m0, 0);
}

TEST_F_TIMEOUT(order, o_path_holder_closed_before_reexport, 120)
{
	o_path_order(_metadata, self->fd, self->m0, 1);
}

/* readlink of /proc/self/fd/N racing close(N) and EXPORT. */
struct link_race {
	int fd;
	__u32 handle;
	int stop;
	int dfd;
	int errors;
};

static void *readlink_loop(void *arg)
{
	struct link_race *r = arg;
	char path[64], buf[256];

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d",
			 __atomic_load_n(&r->dfd, __ATOMIC_RELAXED));
		if (readlink(path, buf, sizeof(buf)) < 0 && errno != ENOENT)
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(order, readlink_close_and_export_race, 300)
{
	struct link_race r = { .fd = self->fd };
	int i, n, fds[64];
	pthread_t t;

	r.dfd = filled_export(self->fd, self->m0, &r.handle, 41);
	ASSERT_LE(0, r.dfd);
	ASSERT_EQ(0, pthread_create(&t, NULL, readlink_loop, &r));
	for (i = 0; i < 300; i++) {
		close(__atomic_load_n(&r.dfd, __ATOMIC_RELAXED));
		n = spray_files(fds, 64);
		__atomic_store_n(&r.dfd, _test_cmd_export(self->fd, r.handle,
							  0), __ATOMIC_RELAXED);
		close_files(fds, n);
		if (r.dfd < 0 || t_fdinfo_ll(r.dfd, "size") != (long long)(2 * M))
			__atomic_add_fetch(&r.errors, 1, __ATOMIC_RELAXED);
		if (r.dfd < 0)
			break;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	EXPECT_EQ(0, r.errors);
	if (r.dfd >= 0)
		close(r.dfd);
	test_cmd_free(self->fd, r.handle);
}

/* SCALEPOOL_EXPORT_RDONLY: the dma-buf maps for reading only. */
TEST_F(order, read_only_export)
{
	__u32 handle;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 42);
	ASSERT_LE(0, dfd);
	close(dfd);
	test_cmd_export(self->fd, handle, SCALEPOOL_EXPORT_RDONLY, &dfd);
	EXPECT_EQ(O_RDONLY, fcntl(dfd, F_GETFL) & O_ACCMODE);
	d = t_dmabuf_map(dfd, 2 * M, 0);
	EXPECT_EQ(MAP_FAILED, d);
	EXPECT_EQ(EACCES, errno);
	d = mmap(NULL, 2 * M, PROT_READ, MAP_SHARED, dfd, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, 2 * M, 42));
	/* Not later either. */
	EXPECT_EQ(-1, mprotect(d, 2 * M, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(d, 2 * M);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

/*
 * An importer holding a mapping holds the memory: FREE, close of the
 * device and of the dma-buf fd leave it; detaching lets it go.  Memory
 * of node members is never revoked, so nothing notifies the importer.
 */
TEST_F(order, a_held_import_outlives_handle_and_fds)
{
	struct sp_import_hold h;
	__u32 handle;
	int dfd, ifd;

	ASSERT_EQ(0, t_import_module_load());
	dfd = filled_export(self->fd, self->m0, &handle, 43);
	ASSERT_LE(0, dfd);
	ifd = t_import_attach(dfd, 0);
	ASSERT_LE(0, ifd);
	test_cmd_free(self->fd, handle);
	close(self->fd);
	self->fd = -1;
	close(dfd);
	EXPECT_LE(2 * M, used_since(&self->u, self->m0));
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	EXPECT_EQ(1, h.mapped);
	EXPECT_EQ(0, h.notified);
	EXPECT_EQ(2 * M, h.size);
	EXPECT_EQ(0, ioctl(ifd, SP_IMPORT_DETACH));
	EXPECT_EQ(-ENOENT, t_import_status(ifd, SP_IMPORT_STATUS, &h));
	close(ifd);
	/* The teardown checks that used is back. */
}

TEST_F(order, a_dynamic_importer_maps_again_after_unmapping)
{
	struct sp_import_hold h;
	__u32 handle;
	int dfd, ifd;

	ASSERT_EQ(0, t_import_module_load());
	dfd = filled_export(self->fd, self->m0, &handle, 44);
	ASSERT_LE(0, dfd);
	ifd = t_import_attach(dfd, SP_IMPORT_P2P);
	ASSERT_LE(0, ifd);
	ASSERT_EQ(0, t_import_status(ifd, SP_IMPORT_MAP, &h));
	EXPECT_EQ(0, h.map_error);
	EXPECT_EQ(1, h.mapped);
	EXPECT_EQ(0, h.notified);
	close(ifd);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

TEST_F(order, fdinfo_counts_exported_allocations)
{
	__u32 h1, h2;
	int a, b, b2;

	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	a = filled_export(self->fd, self->m0, &h1, 27);
	ASSERT_LE(0, a);
	test_cmd_alloc_on(self->fd, self->m0, 0, M, &h2, NULL);
	EXPECT_EQ(1, t_fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(2 * M, t_fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	b = _test_cmd_export(self->fd, h2, 0);
	b2 = _test_cmd_export(self->fd, h2, 0);
	ASSERT_LE(0, b);
	ASSERT_LE(0, b2);
	/* Allocations, not fds. */
	EXPECT_EQ(2, t_fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(3 * M, t_fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	EXPECT_EQ(2, t_fdinfo_ll(self->fd, "scalepool-allocations"));
	close(a);
	EXPECT_EQ(1, t_fdinfo_ll(self->fd, "scalepool-exported"));
	close(b);
	EXPECT_EQ(1, t_fdinfo_ll(self->fd, "scalepool-exported"));
	/* A freed allocation is no longer this fd's, exported or not. */
	test_cmd_free(self->fd, h2);
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	close(b2);
	test_cmd_free(self->fd, h1);
}

/* poolctl stat (JSON, through jq) shows this process's exports. */
TEST_F_TIMEOUT(order, poolctl_stat_shows_exports, 120)
{
	unsigned long long n = ~0ULL, bytes = ~0ULL;
	char dir[4096], cmd[8192];
	__u32 handle;
	FILE *f;
	int dfd;

	ASSERT_EQ(0, t_build_dir(dir, sizeof(dir)));
	dfd = filled_export(self->fd, self->m0, &handle, 29);
	ASSERT_LE(0, dfd);
	snprintf(cmd, sizeof(cmd),
		 "%s/poolctl stat | jq -r '.processes[] | select(.pid == %d) "
		 "| \"\\(.exported) \\(.exported_bytes)\"'", dir, getpid());
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(2, fscanf(f, "%llu %llu", &n, &bytes));
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(1, n);
	EXPECT_EQ(2 * M, bytes);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

/* Export and close racing on one allocation: the dma-buf's release. */
struct race {
	int fd;
	__u32 handle;
	int loops;
	int errors;
	ino_t last;
};

/*
 * Every other round holds the dma-buf through an O_PATH open of its
 * /proc/self/fd entry across the close, as in o_path_order().
 */
static void *export_loop(void *arg)
{
	struct race *r = arg;
	int i, dfd, opath;
	char path[64];

	for (i = 0; i < r->loops; i++) {
		dfd = _test_cmd_export(r->fd, r->handle, SCALEPOOL_EXPORT_CLOEXEC);
		if (dfd < 0) {
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (t_fdinfo_ll(dfd, "size") != (long long)(2 * M))
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", dfd);
		opath = i & 1 ? open(path, O_PATH | O_CLOEXEC) : -1;
		close(dfd);
		if (opath >= 0)
			close(opath);
	}
	return NULL;
}

TEST_F_TIMEOUT(order, export_and_close_race, 300)
{
	struct race r = { .fd = self->fd, .loops = 300 };
	pthread_t t[3];
	int i, dfd;

	dfd = filled_export(self->fd, self->m0, &r.handle, 28);
	ASSERT_LE(0, dfd);
	close(dfd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, export_loop, &r));
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(0, r.errors);
	EXPECT_EQ(0, t_fdinfo_ll(self->fd, "scalepool-exported"));
	test_cmd_free(self->fd, r.handle);
}

/* ---------------------------------------------------------------------- */

/*
 * Another process gets the dma-buf over a unix socket (libpool's
 * pool_fd_send/pool_fd_recv) and maps it (pool_dmabuf_map): it never
 * opens /dev/scalepool, and both see each other's stores.
 */
static int child_side(int sock)
{
	char ack;
	size_t size;
	char *d;
	int dfd;

	dfd = pool_fd_recv(sock);
	if (dfd < 0)
		return 10;
	d = pool_dmabuf_map(dfd, &size);
	if (!d || size != 2 * M)
		return 11;
	close(dfd);
	if (t_check(d, size, 31) != -1)
		return 12;
	t_fill(d, size, 32);
	if (write(sock, "w", 1) != 1)
		return 13;
	/* Wait until the parent has checked, then see its next store. */
	if (read(sock, &ack, 1) != 1)
		return 14;
	if (t_check(d, size, 33) != -1)
		return 15;
	munmap(d, size);
	return 0;
}

/* libpool's read-only export, mapped read-only by pool_dmabuf_map(). */
TEST(libpool_read_only_export)
{
	struct pool_ctx *ctx;
	struct pool_buf *buf;
	int m0 = t_member_of_node(0);
	size_t size;
	char *d;
	int dfd;

	ASSERT_LE(0, m0);
	ASSERT_EQ(0, pool_new(&ctx));
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_BIND,
		  .members = (unsigned int *)&m0, .nr_members = 1);
	ASSERT_EQ(0, pool_alloc(ctx, 2 * M, &opts, &buf));
	t_fill(pool_buf_get_addr(buf), 2 * M, 34);
	dfd = pool_buf_export(buf, POOL_EXPORT_RDONLY | POOL_EXPORT_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(O_RDONLY, fcntl(dfd, F_GETFL) & O_ACCMODE);
	d = pool_dmabuf_map(dfd, &size);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(2 * M, size);
	EXPECT_EQ(-1, t_check(d, size, 34));
	EXPECT_EQ(-1, mprotect(d, size, PROT_READ | PROT_WRITE));
	munmap(d, size);
	close(dfd);
	EXPECT_EQ(-EINVAL, pool_buf_export(buf, 1 << 2));
	EXPECT_EQ(0, pool_buf_free(buf));
	pool_unref(ctx);
}

TEST(sharing_over_a_unix_socket)
{
	struct pool_ctx *ctx;
	struct pool_buf *buf;
	int sv[2], status, dfd, i;
	struct t_used u;
	int m0 = t_member_of_node(0);
	size_t size;
	pid_t pid;
	char c;

	ASSERT_LE(0, m0);
	t_used_snapshot(&u);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Forked before the pool is opened: the child has the socket only. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_side(sv[1]));
	}
	close(sv[1]);

	ASSERT_EQ(0, pool_new(&ctx));
	POOL_OPTS(pool_alloc_opts, opts, .policy = POOL_POLICY_BIND,
		  .members = (unsigned int *)&m0, .nr_members = 1);
	ASSERT_EQ(0, pool_alloc(ctx, 2 * M, &opts, &buf));
	t_fill(pool_buf_get_addr(buf), 2 * M, 31);
	dfd = pool_buf_export(buf, POOL_EXPORT_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, pool_fd_send(sv[0], dfd));
	close(dfd);
	ASSERT_EQ(1, read(sv[0], &c, 1));
	EXPECT_EQ(-1, t_check(pool_buf_get_addr(buf), 2 * M, 32));
	t_fill(pool_buf_get_addr(buf), 2 * M, 33);
	ASSERT_EQ(1, write(sv[0], "r", 1));
	/* The parent lets go first; the child's mapping holds the memory. */
	EXPECT_EQ(0, pool_buf_free(buf));
	pool_unref(ctx);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	EXPECT_EQ(-1, t_used_settle(&u, 10));

	/* Bad input to the helpers. */
	EXPECT_EQ(-EBADF, pool_fd_send(-1, 0));
	EXPECT_EQ(-EBADF, pool_fd_recv(-1));
	EXPECT_EQ(-EINVAL, pool_buf_export(NULL, 0));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	/* Data without a descriptor, then the peer gone. */
	ASSERT_EQ(1, write(sv[1], "x", 1));
	EXPECT_EQ(-EBADMSG, pool_fd_recv(sv[0]));
	close(sv[1]);
	EXPECT_EQ(-ECONNRESET, pool_fd_recv(sv[0]));
	close(sv[0]);
	/* Not a dma-buf. */
	i = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, i);
	errno = 0;
	EXPECT_EQ(NULL, pool_dmabuf_map(i, &size));
	EXPECT_NE(0, errno);
	EXPECT_EQ(NULL, pool_dmabuf_map(i, NULL));
	EXPECT_EQ(EINVAL, errno);
	close(i);
}

/* ---- a PCI device as the importer */

/*
 * A PCI device (an ivshmem, which does no DMA of its own but has a DMA
 * mask and sits in the PCI hierarchy, as peer-to-peer needs) imports
 * page-backed memory like the platform device does.
 */
TEST_F(order, pci_importer_reads_the_same_bytes)
{
	struct sp_import_check c;
	struct t_pci_dev imp;
	__u32 handle;
	__u64 offset;
	char *p;
	int dfd, ret;

	ASSERT_EQ(0, t_import_module_load());
	if (!t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 1, &imp, 1)) {
		t_import_module_unload();
		SKIP(return, "no ivshmem device free to bind as importer");
	}
	ret = t_pci_bind(imp.bdf, T_IMPORT_MODULE);
	ASSERT_EQ(0, ret) {
		TH_LOG("binding %s: %s", imp.bdf, strerror(-ret));
	}
	test_cmd_alloc_on(self->fd, self->m0, 0, 2 * M, &handle, &offset);
	p = t_map(self->fd, offset, 2 * M);
	ASSERT_NE(MAP_FAILED, p);
	t_fill(p, 2 * M, 30);
	test_cmd_export(self->fd, handle, 0, &dfd);
	ret = t_import_check(dfd, SP_IMPORT_PCI, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK with %s: %s", imp.bdf, strerror(-ret));
	}
	EXPECT_EQ(2 * M, c.length);
	EXPECT_EQ(t_fnv64(p, 2 * M), c.checksum);
	ASSERT_EQ(0, t_import_check(dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c));
	EXPECT_EQ(t_fnv64(p, 2 * M), c.checksum);
	t_pci_unbind(imp.bdf, T_IMPORT_MODULE);
	/* Without a bound device there is no PCI importer. */
	EXPECT_EQ(-ENODEV, t_import_check(dfd, SP_IMPORT_PCI, &c));
	EXPECT_EQ(-EINVAL, t_import_check(dfd, 1U << 2, &c));
	t_import_module_unload();
	munmap(p, 2 * M);
	close(dfd);
	test_cmd_free(self->fd, handle);
}

/* Importing what is not a dma-buf fails cleanly in the importer. */
TEST(importer_refuses_other_fds)
{
	struct sp_import_check c;
	int fd;

	ASSERT_EQ(0, t_import_module_load());
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, t_import_check(fd, 0, &c));
	EXPECT_EQ(-EBADF, t_import_check(-1, 0, &c));
	close(fd);
	t_import_module_unload();
}

/* ---------------------------------------------------------------------- */

/*
 * Last: a dma-buf holds the module.  If the refusal fails the module is
 * gone for what follows.
 */
FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

TEST_F(module, rmmod_is_refused_while_a_dmabuf_lives)
{
	int m = t_member_of_node(0), fd = t_open(), dfd;
	__u32 handle;
	char *d;
	long ret;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, m);
	dfd = filled_export(fd, m, &handle, 41);
	ASSERT_LE(0, dfd);
	close(fd);

	errno = 0;
	ret = syscall(SYS_delete_module, "scalepool", O_NONBLOCK);
	EXPECT_EQ(-1, ret);
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	EXPECT_EQ(0, access(T_MEMBERS, F_OK));
	d = t_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, t_check(d, 2 * M, 41));
	munmap(d, 2 * M);
	close(dfd);
}

TEST_HARNESS_MAIN
