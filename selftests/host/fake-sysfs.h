/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host tests' one fixture: a fake /sys/kernel/scalepool,
 * /sys/devices/system/node and /proc in a temporary directory, and a
 * library context rooted in them (lp_ctx_alloc() with struct lp_roots,
 * the only way to root one elsewhere).  For tests of library internals,
 * which link the library's objects; included by one test file each;
 * needs _GNU_SOURCE (for nftw()), which the Makefile defines.
 *
 *	FIXTURE(pool) { struct fake_sysfs fs; };
 *	FIXTURE_SETUP(pool) { ASSERT_EQ(0, fake_sysfs_create(&self->fs)); }
 *	FIXTURE_TEARDOWN(pool) { fake_sysfs_destroy(&self->fs); }
 *	... ASSERT_EQ(0, fake_sysfs_load(&self->fs)); then self->fs.ctx
 */
#ifndef _FAKE_SYSFS_H_
#define _FAKE_SYSFS_H_

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

/* Writes "@val\n" to @dir/@rel, making the directories on the way. */
static void put(const char *dir, const char *rel, const char *val)
{
	char path[4096], *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (p = strchr(path + strlen(dir) + 1, '/'); p;
	     p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fprintf(f, "%s\n", val);
	fclose(f);
}

/* A member whose used bytes are a quarter of its capacity, no limit. */
static void put_member(const char *sys, unsigned int id, const char *kind,
		       int node, const char *memory,
		       unsigned long long capacity)
{
	char rel[256], val[64];

#define PUT(attr, fmt, v)						\
	do {								\
		snprintf(rel, sizeof(rel), "members/%u/" attr, id);	\
		snprintf(val, sizeof(val), fmt, v);			\
		put(sys, rel, val);					\
	} while (0)
	PUT("id", "%u", id);
	PUT("kind", "%s", kind);
	PUT("name", "node%d", node);
	PUT("node", "%d", node);
	PUT("memory", "%s", memory);
	PUT("capacity", "%llu", capacity);
	PUT("used", "%llu", capacity / 4);
	PUT("limit", "%d", 0);
	/* Peer members (PCI device memory) have their device's files. */
	if (!strcmp(kind, "bar") || !strcmp(kind, "p2pmem")) {
		PUT("pci", "0000:00:%02x.0", id);
		PUT("bar", "%d", 2);
		PUT("peer_distance", "%s", "");
	}
#undef PUT
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static inline void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * The standard pool: members 0 and 1 are DRAM nodes 0 and 1 (1 GiB),
 * member 2 is CXL node 2 (256 MiB), created out of id order.  Node 0
 * has firmware figures 80/90 ns and 20000 MB/s read (write bandwidth
 * 0, unreported), node 1 none, node 2 a read latency of 250 ns and an
 * unreadable write latency.
 */
static inline void fake_pool(const char *sys, const char *nodes)
{
	mkdir(sys, 0755);
	mkdir(nodes, 0755);
	put(sys, "abi_version", "2");
	put_member(sys, 2, "node", 2, "cxl", 256ULL << 20);
	put_member(sys, 0, "node", 0, "dram", 1ULL << 30);
	put_member(sys, 1, "node", 1, "dram", 1ULL << 30);
	put(nodes, "node0/access0/initiators/read_latency", "80");
	put(nodes, "node0/access0/initiators/write_latency", "90");
	put(nodes, "node0/access0/initiators/read_bandwidth", "20000");
	put(nodes, "node0/access0/initiators/write_bandwidth", "0");
	put(nodes, "node1/has_cpu", "1");
	put(nodes, "node2/access0/initiators/read_latency", "250");
	put(nodes, "node2/access0/initiators/write_latency", "x");
}

/*
 * A fake /proc: pid 100 "holder" has two fds on /dev/scalepool (3
 * allocations, 6 MiB + 4 KiB in all, with a "scalepool-allocation:"
 * line each: fd 3 handles 1 and 3, fd 12 handle 7) and one on
 * /dev/null; pid 20
 * "idle" has the device open without allocations (and an fdinfo
 * without scalepool lines, as an older module shows it); pid 7 has
 * other files only; pid 8 hides its fds (another user's process); pid
 * 9's fd closed (no fdinfo) and pid 11 exited (no comm) during the scan.
 */
static inline void put_fd(const char *proc, int pid, int fd,
			  const char *target, const char *fdinfo)
{
	char rel[256], path[4096];

	snprintf(rel, sizeof(rel), "%d/fdinfo/%d", pid, fd);
	if (fdinfo)
		put(proc, rel, fdinfo);
	snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd/%d", proc, pid, fd);
	if (symlink(target, path)) {
		perror(path);
		abort();
	}
}

static inline void fake_proc(const char *proc)
{
	char path[4096];

	mkdir(proc, 0755);
	put(proc, "100/comm", "holder");
	put_fd(proc, 100, 0, "/dev/null", "pos:\t0\nflags:\t0100002");
	put_fd(proc, 100, 3, "/dev/scalepool",
	       "pos:\t0\nflags:\t02100002\nmnt_id:\t25\nino:\t42\n"
	       "scalepool-allocations:\t2\nscalepool-bytes:\t6291456\n"
	       "scalepool-exported:\t1\nscalepool-exported-bytes:\t2097152\n"
	       "scalepool-allocation:\thandle=1 length=2097152 offset=0 "
	       "policy=4\n"
	       "scalepool-allocation:\thandle=3 length=4194304 "
	       "offset=4194304 policy=2\n");
	put_fd(proc, 100, 12, "/dev/scalepool",
	       "pos:\t0\nscalepool-allocations:\t1\n"
	       "scalepool-bytes:\t4096\nflags:\t02\n"
	       "scalepool-exported-bytes:\t4096\nscalepool-exported:\t1\n"
	       "scalepool-allocation:\thandle=7 length=4096 offset=8192 "
	       "policy=0");
	put(proc, "20/comm", "idle");
	put_fd(proc, 20, 5, "/dev/scalepool", "pos:\t0\nflags:\t02");
	put(proc, "7/comm", "other");
	put_fd(proc, 7, 1, "/dev/scalepoolx", "pos:\t0");
	put_fd(proc, 7, 2, "/dev/scalepool (deleted)", "pos:\t0");
	put(proc, "8/comm", "hidden");
	put(proc, "9/comm", "closing");
	put_fd(proc, 9, 3, "/dev/scalepool", NULL);
	put_fd(proc, 11, 3, "/dev/scalepool", "scalepool-allocations:\t1");
	put(proc, "sys/kernel", "");
	snprintf(path, sizeof(path), "%s/self", proc);
	if (symlink("100", path)) {
		perror(path);
		abort();
	}
}

struct fake_sysfs {
	char top[64];		/* the temporary directory */
	char sys[128];		/* its scalepool/: /sys/kernel/scalepool */
	char nodes[128];	/* its node/: /sys/devices/system/node */
	char proc[128];		/* its proc/: /proc */
	struct pool_ctx *ctx;	/* fake_sysfs_ctx()'s, or NULL */
};

/*
 * A new temporary directory with the standard pool (fake_pool()) and
 * /proc (fake_proc()) in it; 0, or -1 when it cannot be made.
 */
static inline int fake_sysfs_create(struct fake_sysfs *fs)
{
	memset(fs, 0, sizeof(*fs));
	strcpy(fs->top, "/tmp/scalepool-host.XXXXXX");
	if (!mkdtemp(fs->top))
		return -1;
	snprintf(fs->sys, sizeof(fs->sys), "%s/scalepool", fs->top);
	snprintf(fs->nodes, sizeof(fs->nodes), "%s/node", fs->top);
	snprintf(fs->proc, sizeof(fs->proc), "%s/proc", fs->top);
	fake_pool(fs->sys, fs->nodes);
	fake_proc(fs->proc);
	return 0;
}

/*
 * fs->ctx: a context rooted in the fake trees, without members, its
 * log silenced (the tests provoke errors); 0 or -errno.
 */
static inline int fake_sysfs_ctx(struct fake_sysfs *fs)
{
	const struct lp_roots roots = {
		.sysfs = fs->sys,
		.node = fs->nodes,
		.proc = fs->proc,
	};
	int rc = lp_ctx_alloc(&fs->ctx, &roots);

	if (!rc)
		pool_set_log_priority(fs->ctx, 0);
	return rc;
}

/* fs->ctx (made when there is none) with the members loaded. */
static inline int fake_sysfs_load(struct fake_sysfs *fs)
{
	int rc = fs->ctx ? 0 : fake_sysfs_ctx(fs);

	return rc ? rc : lp_members_load(fs->ctx);
}

static inline void fake_sysfs_destroy(struct fake_sysfs *fs)
{
	if (fs->ctx)
		lp_ctx_free(fs->ctx);
	fs->ctx = NULL;
	if (fs->top[0])
		rm_tree(fs->top);
}

#endif /* _FAKE_SYSFS_H_ */
