/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake /sys/kernel/scalepool and /sys/devices/system/node for host
 * tests of library internals.  Included by one test file each; needs
 * _GNU_SOURCE (for nftw()), which the Makefile defines.
 */
#ifndef _FAKE_SYSFS_H_
#define _FAKE_SYSFS_H_

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	put(sys, "abi_version", "1");
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

#endif /* _FAKE_SYSFS_H_ */
