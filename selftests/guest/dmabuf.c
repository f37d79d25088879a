// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations exported as dma-bufs (SCALEPOOL_EXPORT): bad handles and
 * flags; mmap of the dma-buf sees the same bytes as the allocation's own
 * mapping both ways, on DRAM and on CXL memory; DMA_BUF_IOCTL_SYNC; every
 * close order (FREE, close of /dev/scalepool, close of the dma-buf,
 * munmap) keeps the memory exactly as long as something uses it, which
 * member `used` shows; re-export gives the same dma-buf; the fd passed
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

#define M		SP_MIB

/* ---- helpers */

/* The value of line @key in /proc/self/fdinfo/@fd, or -1. */
static long long fdinfo_ll(int fd, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

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
	int m0 = sp_member_of_node(0);

	self->fd = sp_open();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, m0);
	self->m0 = m0;
}

FIXTURE_TEARDOWN(errors)
{
	close(self->fd);
}

TEST_F(errors, unknown_and_freed_handles_are_enoent)
{
	int other = sp_open();
	__u32 handle;

	ASSERT_LE(0, other);
	EXPECT_EQ(-ENOENT, sp_export(self->fd, 0, 0));
	EXPECT_EQ(-ENOENT, sp_export(self->fd, 12345, 0));
	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &handle, NULL));
	/* The handle of another fd names nothing here. */
	EXPECT_EQ(-ENOENT, sp_export(other, handle, 0));
	ASSERT_EQ(0, sp_free(self->fd, handle));
	EXPECT_EQ(-ENOENT, sp_export(self->fd, handle, 0));
	close(other);
}

TEST_F(errors, unknown_flags_are_eopnotsupp)
{
	__u32 handle;
	int bit;

	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &handle, NULL));
	for (bit = 1; bit < 32; bit++)
		EXPECT_EQ(-EOPNOTSUPP, sp_export(self->fd, handle, 1U << bit));
	EXPECT_EQ(0, sp_free(self->fd, handle));
}

TEST_F(errors, cloexec_flag)
{
	__u32 handle;
	int dfd;

	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &handle, NULL));
	dfd = sp_export(self->fd, handle, SCALEPOOL_EXPORT_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	close(dfd);
	dfd = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(0, fcntl(dfd, F_GETFD) & FD_CLOEXEC);
	/* Read-write, as the header says. */
	EXPECT_EQ(O_RDWR, fcntl(dfd, F_GETFL) & O_ACCMODE);
	close(dfd);
	EXPECT_EQ(0, sp_free(self->fd, handle));
}

TEST_F(errors, mmap_rules)
{
	__u32 handle;
	void *p;
	int dfd;

	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &handle, NULL));
	dfd = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, dfd);
	/* Private mappings are refused, so is a range past the end. */
	p = mmap(NULL, M, PROT_READ | PROT_WRITE, MAP_PRIVATE, dfd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = sp_dmabuf_map(dfd, M, SP_PAGE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = sp_dmabuf_map(dfd, 2 * M, 0);
	EXPECT_EQ(MAP_FAILED, p);
	/* A part of it works. */
	p = sp_dmabuf_map(dfd, SP_PAGE, M - SP_PAGE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, sp_check_zero(p, SP_PAGE));
	munmap(p, SP_PAGE);
	close(dfd);
	EXPECT_EQ(0, sp_free(self->fd, handle));
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

	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &handle, NULL));
	dfd = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, dfd);
	for (i = 0; i < SP_ARRAY_SIZE(good); i++)
		EXPECT_EQ(0, sp_dmabuf_sync(dfd, good[i])) {
			TH_LOG("flags %#llx", (unsigned long long)good[i]);
		}
	/* Neither read nor write, and unknown bits. */
	EXPECT_EQ(-EINVAL, sp_dmabuf_sync(dfd, DMA_BUF_SYNC_START));
	EXPECT_EQ(-EINVAL, sp_dmabuf_sync(dfd, DMA_BUF_SYNC_END));
	EXPECT_EQ(-EINVAL, sp_dmabuf_sync(dfd, DMA_BUF_SYNC_RW | (1ULL << 3)));
	EXPECT_EQ(-EINVAL, sp_dmabuf_sync(dfd, DMA_BUF_SYNC_RW | (1ULL << 40)));
	close(dfd);
	EXPECT_EQ(0, sp_free(self->fd, handle));
}

/* ---------------------------------------------------------------------- */

/* The same bytes through both mappings, on each kind of node member. */
FIXTURE(shared) {
	int fd;
	__u32 member;
	__u32 handle;
	char *pool;
	int dfd;
	struct sp_used u;
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
	.cxl = 1, .flags = SCALEPOOL_ALLOC_NO_HUGE, .length = 256 * SP_KIB,
};

FIXTURE_SETUP(shared)
{
	int node = variant->cxl ? sp_cxl_node() : 0, m;
	__u64 offset;

	self->fd = -1;
	self->dfd = -1;
	self->pool = MAP_FAILED;
	if (node < 0)
		SKIP(return, "no CXL node online");
	m = sp_member_of_node(node);
	ASSERT_LE(0, m);
	self->member = m;
	self->fd = sp_open();
	ASSERT_LE(0, self->fd);
	sp_used_snapshot(&self->u);
	ASSERT_EQ(0, sp_alloc_on(self->fd, m, variant->flags,
				 variant->length, &self->handle, &offset));
	self->pool = sp_map(self->fd, offset, variant->length);
	ASSERT_NE(MAP_FAILED, self->pool);
	self->dfd = sp_export(self->fd, self->handle, 0);
	ASSERT_LE(0, self->dfd);
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
		EXPECT_EQ(-1, sp_used_settle(&self->u, 10));
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
	EXPECT_EQ(-1, sp_check_zero(d, len));

	/* /dev/scalepool -> dma-buf */
	sp_fill(self->pool, len, 11);
	EXPECT_EQ(0, sp_dmabuf_sync(self->dfd, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_READ));
	EXPECT_EQ(-1, sp_check(d, len, 11));
	EXPECT_EQ(0, sp_dmabuf_sync(self->dfd, DMA_BUF_SYNC_END |
					    DMA_BUF_SYNC_READ));
	/* dma-buf -> /dev/scalepool */
	EXPECT_EQ(0, sp_dmabuf_sync(self->dfd, DMA_BUF_SYNC_START |
					    DMA_BUF_SYNC_WRITE));
	sp_fill(d, len, 12);
	EXPECT_EQ(0, sp_dmabuf_sync(self->dfd, DMA_BUF_SYNC_END |
					    DMA_BUF_SYNC_WRITE));
	EXPECT_EQ(-1, sp_check(self->pool, len, 12));
	EXPECT_EQ(0, munmap(d, size));
}

TEST_F_TIMEOUT(shared, a_part_maps_at_its_offset, 120)
{
	size_t len = variant->length, off = len / 2;
	char *d;

	sp_fill(self->pool, len, 13);
	d = sp_dmabuf_map(self->dfd, len - off, off);
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

	ASSERT_EQ(0, sp_import_module_load()) {
		TH_LOG("cannot load %s.ko (built beside scalepool.ko)",
		       SP_IMPORT_MODULE);
	}
	sp_fill(self->pool, len, 14);
	ret = sp_import_check(self->dfd, 0, &c);
	ASSERT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK: %s", strerror(-ret));
	}
	EXPECT_EQ(len, c.size);
	EXPECT_EQ(len, c.length);
	EXPECT_EQ(sp_fnv64(self->pool, len), c.checksum);
	EXPECT_LE(1, c.nents);
	EXPECT_GE(len / SP_PAGE, c.nents);
	/*
	 * A 2 MiB page is one contiguous range: at most one entry each
	 * (fewer when neighbours happen to be contiguous too).
	 */
	ASSERT_EQ(0, sp_info(self->fd, self->handle, &info, pl, 4));
	if (pl[0].huge_bytes == len)
		EXPECT_GE(len / SP_HUGE, c.nents);
	TH_LOG("%u segments for %zu bytes (%llu in 2 MiB pages)", c.nents,
	       len, (unsigned long long)pl[0].huge_bytes);

	/* A dynamic importer that allows peer-to-peer gets the same. */
	ret = sp_import_check(self->dfd, SP_IMPORT_P2P, &c);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(sp_fnv64(self->pool, len), c.checksum);

	/* The importer sees what the CPU writes next, too. */
	sp_fill(self->pool, len, 15);
	ASSERT_EQ(0, sp_import_check(self->dfd, 0, &c));
	EXPECT_EQ(sp_fnv64(self->pool, len), c.checksum);
	sp_import_module_unload();
}

/* ---------------------------------------------------------------------- */

/*
 * Every order of letting go: the memory stays while any of the handle,
 * the dma-buf fd, a mapping of either lives, and goes with the last.
 */
FIXTURE(order) {
	int fd;
	__u32 m0;
	struct sp_used u;
};

FIXTURE_SETUP(order)
{
	int m0 = sp_member_of_node(0);

	ASSERT_LE(0, m0);
	self->m0 = m0;
	sp_used_snapshot(&self->u);
	self->fd = sp_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(order)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(-1, sp_used_settle(&self->u, 10));
}

/* Bytes member @m uses now beyond what it used at snapshot @u. */
static long long used_since(const struct sp_used *u, __u32 m)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (u->ids[i] == m)
			return sp_member_ll(m, "used") - u->used[i];
	return -1;
}

/* A filled 2 MiB allocation and its dma-buf fd. */
static int filled_export(int fd, __u32 m, __u32 *handle, __u64 seed)
{
	__u64 offset;
	char *p;
	int ret;

	ret = sp_alloc_on(fd, m, 0, 2 * M, handle, &offset);
	if (ret)
		return ret;
	p = sp_map(fd, offset, 2 * M);
	if (p == MAP_FAILED)
		return -errno;
	sp_fill(p, 2 * M, seed);
	munmap(p, 2 * M);
	return sp_export(fd, *handle, 0);
}

TEST_F(order, free_then_the_dmabuf_still_works)
{
	__u32 handle;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 21);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, sp_free(self->fd, handle));
	EXPECT_LE(2 * M, used_since(&self->u, self->m0));
	d = sp_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, sp_check(d, 2 * M, 21));
	munmap(d, 2 * M);
	/* Still held by the dma-buf alone. */
	EXPECT_LE(2 * M, used_since(&self->u, self->m0));
	close(dfd);
	EXPECT_EQ(-1, sp_used_settle(&self->u, 10));
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
	EXPECT_NE(-1, sp_used_changed(&self->u));
	d = pool_dmabuf_map(dfd, &size);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-1, sp_check(d, 2 * M, 22));
	/* An importer still gets it. */
	ASSERT_EQ(0, sp_import_module_load());
	ASSERT_EQ(0, sp_import_check(dfd, 0, &c));
	EXPECT_EQ(sp_fnv64(d, 2 * M), c.checksum);
	sp_import_module_unload();
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
	EXPECT_NE(-1, sp_used_changed(&self->u));
	ASSERT_EQ(0, sp_free(self->fd, handle));
	EXPECT_EQ(-1, sp_used_settle(&self->u, 10));
}

TEST_F(order, a_mapping_outlives_fd_handle_and_device)
{
	__u32 handle;
	char *d;
	int dfd;

	dfd = filled_export(self->fd, self->m0, &handle, 24);
	ASSERT_LE(0, dfd);
	d = sp_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	close(dfd);
	ASSERT_EQ(0, sp_free(self->fd, handle));
	close(self->fd);
	self->fd = -1;
	EXPECT_NE(-1, sp_used_changed(&self->u));
	EXPECT_EQ(-1, sp_check(d, 2 * M, 24));
	sp_fill(d, 2 * M, 25);
	EXPECT_EQ(-1, sp_check(d, 2 * M, 25));
	EXPECT_EQ(0, munmap(d, 2 * M));
	EXPECT_EQ(-1, sp_used_settle(&self->u, 10));
}

TEST_F(order, reexport_gives_the_same_dmabuf)
{
	__u32 handle;
	int a, b, c;

	a = filled_export(self->fd, self->m0, &handle, 26);
	ASSERT_LE(0, a);
	b = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, b);
	EXPECT_NE(a, b);
	EXPECT_EQ(fd_ino(a), fd_ino(b));
	EXPECT_TRUE(fdinfo_has(a, "exp_name", "scalepool"));
	EXPECT_EQ(2 * M, fdinfo_ll(a, "size"));
	/* Two fds of one file. */
	EXPECT_EQ(2, fdinfo_ll(a, "count"));
	close(a);
	c = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, c);
	EXPECT_EQ(fd_ino(b), fd_ino(c));
	close(b);
	close(c);
	/* With every fd gone the dma-buf went; a new one is made. */
	a = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, a);
	EXPECT_EQ(1, fdinfo_ll(a, "count"));
	close(a);
	ASSERT_EQ(0, sp_free(self->fd, handle));
}

TEST_F(order, fdinfo_counts_exported_allocations)
{
	__u32 h1, h2;
	int a, b, b2;

	EXPECT_EQ(0, fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(0, fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	a = filled_export(self->fd, self->m0, &h1, 27);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, M, &h2, NULL));
	EXPECT_EQ(1, fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(2 * M, fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	b = sp_export(self->fd, h2, 0);
	b2 = sp_export(self->fd, h2, 0);
	ASSERT_LE(0, b);
	ASSERT_LE(0, b2);
	/* Allocations, not fds. */
	EXPECT_EQ(2, fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(3 * M, fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	EXPECT_EQ(2, fdinfo_ll(self->fd, "scalepool-allocations"));
	close(a);
	EXPECT_EQ(1, fdinfo_ll(self->fd, "scalepool-exported"));
	close(b);
	EXPECT_EQ(1, fdinfo_ll(self->fd, "scalepool-exported"));
	/* A freed allocation is no longer this fd's, exported or not. */
	ASSERT_EQ(0, sp_free(self->fd, h2));
	EXPECT_EQ(0, fdinfo_ll(self->fd, "scalepool-exported"));
	EXPECT_EQ(0, fdinfo_ll(self->fd, "scalepool-exported-bytes"));
	close(b2);
	ASSERT_EQ(0, sp_free(self->fd, h1));
}

/* poolctl stat (JSON, through jq) shows this process's exports. */
TEST_F(order, poolctl_stat_shows_exports)
{
	unsigned long long n = ~0ULL, bytes = ~0ULL;
	char dir[4096], cmd[8192];
	__u32 handle;
	FILE *f;
	int dfd;

	ASSERT_EQ(0, sp_build_dir(dir, sizeof(dir)));
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
	ASSERT_EQ(0, sp_free(self->fd, handle));
}

/* Export and close racing on one allocation: the dma-buf's release. */
struct race {
	int fd;
	__u32 handle;
	int loops;
	int errors;
	ino_t last;
};

static void *export_loop(void *arg)
{
	struct race *r = arg;
	int i, dfd;

	for (i = 0; i < r->loops; i++) {
		dfd = sp_export(r->fd, r->handle, SCALEPOOL_EXPORT_CLOEXEC);
		if (dfd < 0) {
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (fdinfo_ll(dfd, "size") != (long long)(2 * M))
			__atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
		close(dfd);
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
	EXPECT_EQ(0, fdinfo_ll(self->fd, "scalepool-exported"));
	ASSERT_EQ(0, sp_free(self->fd, r.handle));
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
	if (sp_check(d, size, 31) != -1)
		return 12;
	sp_fill(d, size, 32);
	if (write(sock, "w", 1) != 1)
		return 13;
	/* Wait until the parent has checked, then see its next store. */
	if (read(sock, &ack, 1) != 1)
		return 14;
	if (sp_check(d, size, 33) != -1)
		return 15;
	munmap(d, size);
	return 0;
}

TEST(sharing_over_a_unix_socket)
{
	struct pool_ctx *ctx;
	struct pool_buf *buf;
	int sv[2], status, dfd, i;
	struct sp_used u;
	int m0 = sp_member_of_node(0);
	size_t size;
	pid_t pid;
	char c;

	ASSERT_LE(0, m0);
	sp_used_snapshot(&u);
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
	sp_fill(pool_buf_get_addr(buf), 2 * M, 31);
	dfd = pool_buf_export(buf, POOL_EXPORT_CLOEXEC);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, pool_fd_send(sv[0], dfd));
	close(dfd);
	ASSERT_EQ(1, read(sv[0], &c, 1));
	EXPECT_EQ(-1, sp_check(pool_buf_get_addr(buf), 2 * M, 32));
	sp_fill(pool_buf_get_addr(buf), 2 * M, 33);
	ASSERT_EQ(1, write(sv[0], "r", 1));
	/* The parent lets go first; the child's mapping holds the memory. */
	EXPECT_EQ(0, pool_buf_free(buf));
	pool_unref(ctx);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
	EXPECT_EQ(-1, sp_used_settle(&u, 10));

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
	struct sp_pci_dev imp;
	__u32 handle;
	__u64 offset;
	char *p;
	int dfd, ret;

	ASSERT_EQ(0, sp_import_module_load());
	if (!sp_pci_find(SP_IVSHMEM_VENDOR, SP_IVSHMEM_DEVICE, 1, &imp, 1)) {
		sp_import_module_unload();
		SKIP(return, "no ivshmem device free to bind as importer");
	}
	ret = sp_pci_bind_importer(imp.bdf);
	ASSERT_EQ(0, ret) {
		TH_LOG("binding %s: %s", imp.bdf, strerror(-ret));
	}
	ASSERT_EQ(0, sp_alloc_on(self->fd, self->m0, 0, 2 * M, &handle,
				 &offset));
	p = sp_map(self->fd, offset, 2 * M);
	ASSERT_NE(MAP_FAILED, p);
	sp_fill(p, 2 * M, 30);
	dfd = sp_export(self->fd, handle, 0);
	ASSERT_LE(0, dfd);
	ret = sp_import_check(dfd, SP_IMPORT_PCI, &c);
	EXPECT_EQ(0, ret) {
		TH_LOG("SP_IMPORT_CHECK with %s: %s", imp.bdf, strerror(-ret));
	}
	EXPECT_EQ(2 * M, c.length);
	EXPECT_EQ(sp_fnv64(p, 2 * M), c.checksum);
	ASSERT_EQ(0, sp_import_check(dfd, SP_IMPORT_PCI | SP_IMPORT_P2P, &c));
	EXPECT_EQ(sp_fnv64(p, 2 * M), c.checksum);
	sp_pci_unbind_importer(imp.bdf);
	/* Without a bound device there is no PCI importer. */
	EXPECT_EQ(-ENODEV, sp_import_check(dfd, SP_IMPORT_PCI, &c));
	EXPECT_EQ(-EINVAL, sp_import_check(dfd, 1U << 2, &c));
	sp_import_module_unload();
	munmap(p, 2 * M);
	close(dfd);
	ASSERT_EQ(0, sp_free(self->fd, handle));
}

/* Importing what is not a dma-buf fails cleanly in the importer. */
TEST(importer_refuses_other_fds)
{
	struct sp_import_check c;
	int fd;

	ASSERT_EQ(0, sp_import_module_load());
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, sp_import_check(fd, 0, &c));
	EXPECT_EQ(-EBADF, sp_import_check(-1, 0, &c));
	close(fd);
	sp_import_module_unload();
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
	int m = sp_member_of_node(0), fd = sp_open(), dfd;
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
	EXPECT_EQ(0, access(SP_MEMBERS, F_OK));
	d = sp_dmabuf_map(dfd, 2 * M, 0);
	ASSERT_NE(MAP_FAILED, d);
	EXPECT_EQ(-1, sp_check(d, 2 * M, 41));
	munmap(d, 2 * M);
	close(dfd);
}

TEST_HARNESS_MAIN
