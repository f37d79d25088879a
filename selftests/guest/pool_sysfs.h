/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files of sysfs and procfs: members (/sys/kernel/scalepool/members)
 * and NUMA nodes, the ground truth the module does not compute
 * (per-node MemUsed, vmstat).
 * Part of the guest tests' helpers: include pool_test.h, not this file.
 */
#ifndef _POOL_SYSFS_H_
#define _POOL_SYSFS_H_

#include "../lib/fds.h"	/* t_dir_entries(), t_count_fds(): shared */

/* ---- files */

/* Reads the first line of @path into @buf; 0 or -errno. */
static inline int t_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* Writes @val to @path in one write(2); 0 or -errno of open or write. */
static inline int t_write_file(const char *path, const char *val)
{
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(val))
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * t_write_file() as user and group nobody (65534), in a child: what it
 * returned, or -ECHILD when the child could not drop its privileges or
 * did not exit.  Refusals show as -EACCES (at open, the file's mode) or
 * -EPERM (at write, a capability check).
 */
static inline int t_write_file_unprivileged(const char *path,
					    const char *val)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(255);
		_exit(-t_write_file(path, val) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 255)
		return -ECHILD;
	return -WEXITSTATUS(status);
}

static inline long long t_read_ll(const char *path)
{
	char buf[64];

	if (t_read_line(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/*
 * The number after @key on the first line of @path that starts with
 * @key and then ':' or ' ' ("MemTotal:  16 kB", "oom_kill 0"), or -1.
 */
static inline long long t_keyed_ll(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long v = -1;
	char line[256];
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == ' ')) {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The value of line @key in /proc/self/fdinfo/@fd, or -1. */
static inline long long t_fdinfo_ll(int fd, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return t_keyed_ll(path, key);
}

/* ---- members */

/*
 * Removes member @id (sysfs remove_member); 0 or -errno.  Signed, so
 * that a test can hand the module a negative id.
 */
static inline int t_remove_member(int id)
{
	char val[16];

	snprintf(val, sizeof(val), "%d", id);
	return t_write_file(T_SYSFS "/remove_member", val);
}

/* Ids of all members, ascending; returns how many (at most @max). */
static inline int t_members(__u32 *ids, int max)
{
	DIR *dir = opendir(T_MEMBERS);
	struct dirent *de;
	int n = 0, i, j;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max)
		if (de->d_name[0] != '.')
			ids[n++] = strtoul(de->d_name, NULL, 10);
	closedir(dir);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			__u32 t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

static inline int t_member_attr(__u32 id, const char *attr, char *buf,
				size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/%s", id, attr);
	return t_read_line(path, buf, len);
}

/* A numeric member attribute (used, limit, capacity, node); -1 if absent. */
static inline long long t_member_ll(__u32 id, const char *attr)
{
	char path[256];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/%s", id, attr);
	return t_read_ll(path);
}

static inline int t_member_set_limit(__u32 id, unsigned long long bytes)
{
	char path[256], val[32];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/limit", id);
	snprintf(val, sizeof(val), "%llu\n", bytes);
	return t_write_file(path, val);
}

/* The id of the node member of NUMA node @node, or -1. */
static inline int t_member_of_node(int node)
{
	__u32 ids[T_MAX_IDS];
	char kind[32];
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++) {
		if (t_member_attr(ids[i], "kind", kind, sizeof(kind)) ||
		    strcmp(kind, "node"))
			continue;
		if (t_member_ll(ids[i], "node") == node)
			return ids[i];
	}
	return -1;
}

/* The member of kind @kind ("bar", "p2pmem") on PCI device @bdf, or -1. */
static inline int t_member_of_pci(const char *kind, const char *bdf)
{
	__u32 ids[T_MAX_IDS];
	char buf[64];
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++) {
		if (t_member_attr(ids[i], "kind", buf, sizeof(buf)) ||
		    strcmp(buf, kind))
			continue;
		if (!t_member_attr(ids[i], "pci", buf, sizeof(buf)) &&
		    !strcmp(buf, bdf))
			return (int)ids[i];
	}
	return -1;
}

/* Whether member @id is backed by @type ("dram", "cxl"). */
static inline int t_member_is(__u32 id, const char *type)
{
	char buf[32];

	return !t_member_attr(id, "memory", buf, sizeof(buf)) &&
	       !strcmp(buf, type);
}

/* The NUMA node of the first CXL node member, or -1 when none is online. */
static inline int t_cxl_node(void)
{
	__u32 ids[T_MAX_IDS];
	int i, n = t_members(ids, T_MAX_IDS);

	for (i = 0; i < n; i++)
		if (t_member_is(ids[i], "cxl"))
			return t_member_ll(ids[i], "node");
	return -1;
}

/* `used` of every member, to check that a failed call leaked nothing. */
struct t_used {
	int n;
	__u32 ids[T_MAX_IDS];
	long long used[T_MAX_IDS];
};

static inline void t_used_snapshot(struct t_used *u)
{
	int i;

	u->n = t_members(u->ids, T_MAX_IDS);
	for (i = 0; i < u->n; i++)
		u->used[i] = t_member_ll(u->ids[i], "used");
}

/* The first member whose `used` differs from @u, or -1 when none does. */
static inline int t_used_changed(const struct t_used *u)
{
	int i;

	for (i = 0; i < u->n; i++)
		if (t_member_ll(u->ids[i], "used") != u->used[i])
			return u->ids[i];
	return -1;
}

/*
 * Waits up to @secs for `used` of every member to be back to @u (frees
 * that the module may finish after munmap returns); -1 when it is, else
 * the first member that still differs.
 */
static inline int t_used_settle(const struct t_used *u, int secs)
{
	int i, m = -1;

	for (i = 0; i <= secs * 20; i++) {
		m = t_used_changed(u);
		if (m < 0)
			break;
		usleep(50000);
	}
	return m;
}

/* ---- NUMA ground truth */

static inline int t_node_online(int node)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	return access(path, F_OK) == 0;
}

static inline int t_node_has_cpus(int node)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/cpulist", node);
	return !t_read_line(path, buf, sizeof(buf)) && buf[0];
}

/* The first CPU of @node, or -1. */
static inline int t_node_first_cpu(int node)
{
	char path[128], buf[256];

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/cpulist", node);
	if (t_read_line(path, buf, sizeof(buf)) || !buf[0])
		return -1;
	return atoi(buf);
}

/* SLIT distance from @from to @to, or -1. */
static inline int t_node_distance(int from, int to)
{
	char path[128], buf[512], *p, *end;
	int i;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/node/node%d/distance", from);
	if (t_read_line(path, buf, sizeof(buf)))
		return -1;
	p = buf;
	for (i = 0; i <= to; i++) {
		long v = strtol(p, &end, 10);

		if (end == p)
			return -1;
		if (i == to)
			return v;
		p = end;
	}
	return -1;
}

/*
 * The memory tier id of @node (lower is faster: the id is the abstract
 * distance divided by the chunk size), from
 * /sys/devices/virtual/memory_tiering/memory_tierN/nodelist; -1 if none.
 */
static inline int t_node_tier(int node)
{
	DIR *dir = opendir("/sys/devices/virtual/memory_tiering");
	struct dirent *de;
	int tier = -1;

	if (!dir)
		return -1;
	while ((de = readdir(dir)) && tier < 0) {
		char path[512], buf[256], *p = buf;
		int t;

		if (sscanf(de->d_name, "memory_tier%d", &t) != 1)
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/virtual/memory_tiering/%s/nodelist",
			 de->d_name);
		if (t_read_line(path, buf, sizeof(buf)))
			continue;
		while (*p) {
			char *end;
			long a = strtol(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			if (node >= a && node <= b)
				tier = t;
			p = *end == ',' ? end + 1 : end;
		}
	}
	closedir(dir);
	return tier;
}

/*
 * Folds the per-CPU vmstat diffs into the node counters and drains the
 * per-CPU page lists of CPU-less nodes (each refresh counts their expiry
 * down).  Root only; harmless otherwise.
 */
static inline void t_vm_settle(void)
{
	int i;

	for (i = 0; i < 4; i++)
		t_write_file("/proc/sys/vm/stat_refresh", "1\n");
}

/* Pages on the per-CPU free lists of @node's zones, from /proc/zoneinfo. */
static inline long long t_node_pcp_pages(int node)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	long long sum = 0;
	int cur = 0, n;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long long c;

		if (sscanf(line, "Node %d,", &n) == 1)
			cur = (n == node);
		else if (cur && sscanf(line, " count: %lld", &c) == 1)
			sum += c;
	}
	fclose(f);
	return sum;
}

/*
 * Bytes of @node in use: MemUsed of /sys/devices/system/node/nodeN/meminfo
 * minus the pages on per-CPU free lists (free pages the allocator keeps
 * per CPU, which MemUsed counts as used; 6.12 lets them grow to tens of
 * MiB on a DRAM node).  A ground truth that works for every kind of
 * mapping.  -1 when the node has no meminfo.
 */
static inline long long t_node_used(int node)
{
	char path[128], line[256];
	long long kb = -1;
	FILE *f;

	t_vm_settle();
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n;

		if (sscanf(line, "Node %d MemUsed: %lld kB", &n, &kb) == 2)
			break;
	}
	fclose(f);
	if (kb < 0)
		return -1;
	return kb * 1024 - t_node_pcp_pages(node) * (long long)T_PAGE;
}

/* ---- memory blocks (memory hotplug) */

static inline void t_block_state_path(char *path, size_t len, long block)
{
	snprintf(path, len, "/sys/devices/system/memory/memory%ld/state",
		 block);
}

/* Whether memory block @block's state reads @state ("online"). */
static inline int t_block_is(long block, const char *state)
{
	char path[128], buf[32];

	t_block_state_path(path, sizeof(path), block);
	return !t_read_line(path, buf, sizeof(buf)) && !strcmp(buf, state);
}

/* /proc/vmstat counter @name, or -1. */
static inline long long t_vmstat(const char *name)
{
	return t_keyed_ll("/proc/vmstat", name);
}

#endif /* _POOL_SYSFS_H_ */
