/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest C tests: the device, ALLOC/FREE/INFO/
 * EXPORT wrappers, members from sysfs, dma-bufs and the importer module
 * (scalepool_import_test.ko), and the ground truth the module does not
 * compute (per-node MemUsed, page frames from /proc/self/pagemap).
 * Header-only; every function is static inline so that a test may use
 * any subset.  Needs _GNU_SOURCE (the Makefile defines it).
 */
#ifndef _POOL_TEST_H_
#define _POOL_TEST_H_

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>
#include <linux/scalepool.h>

#include "../kmod/scalepool_import_test.h"

/*
 * The harness's TEST_F wrapper keeps a pid across setjmp(); gcc's
 * -Wclobbered flags it in files with many fixtures.  Harmless there.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

#define T_DEV		"/dev/scalepool"
#define T_SYSFS	"/sys/kernel/scalepool"
#define T_MEMBERS	T_SYSFS "/members"
#define T_IMPORT_MODULE	"scalepool_import_test"
#define T_PCI_DEVICES	"/sys/bus/pci/devices"
#define T_IVSHMEM_VENDOR	0x1af4	/* ivshmem-plain: the test */
#define T_IVSHMEM_DEVICE	0x1110	/* topologies' PCI memory */
#define T_IMPORT_DRIVER	"/sys/bus/pci/drivers/" T_IMPORT_MODULE
#define T_PAGE		4096ULL
#define T_KIB		1024ULL
#define T_MIB		(1024ULL * 1024)
#define T_HUGE		(2 * T_MIB)
#define T_MAX_IDS	256
#define T_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Tolerances of the MemUsed ground truth.  DRAM nodes carry the rest of
 * the system (page cache, slab, page tables): a few MiB of noise.  The
 * CXL node is idle: only the pool puts pages there.
 */
#define T_TOL_DRAM	(4 * T_MIB)
#define T_TOL_CXL	(256 * T_KIB)

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

static inline long long t_read_ll(const char *path)
{
	char buf[64];

	if (t_read_line(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/* ---- the device and its commands */

static inline int t_open(void)
{
	return open(T_DEV, O_RDWR | O_CLOEXEC);
}

/* ioctl() returning 0 or -errno. */
static inline int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/*
 * struct scalepool_alloc with the fields most tests set.  @members and
 * @weights point to @nr entries (weights may be NULL).
 */
static inline void t_alloc_init(struct scalepool_alloc *a, __u32 policy,
				 __u32 flags, __u64 length,
				 const __u32 *members, __u32 nr,
				 const __u32 *weights, __u64 granularity,
				 int initiator)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = flags;
	a->length = length;
	a->policy = policy;
	a->nr_members = nr;
	a->members_ptr = (uintptr_t)members;
	a->weights_ptr = (uintptr_t)weights;
	a->granularity = granularity;
	a->initiator = initiator;
}

/* ALLOC; 0 with @handle and @offset set (either may be NULL), or -errno. */
static inline int t_do_alloc(int fd, __u32 policy, __u32 flags,
			      __u64 length, const __u32 *members, __u32 nr,
			      const __u32 *weights, __u64 granularity,
			      int initiator, __u32 *handle, __u64 *offset)
{
	struct scalepool_alloc a;
	int ret;

	t_alloc_init(&a, policy, flags, length, members, nr, weights,
		      granularity, initiator);
	ret = t_ioctl(fd, SCALEPOOL_ALLOC, &a);
	if (ret)
		return ret;
	if (handle)
		*handle = a.handle;
	if (offset)
		*offset = a.offset;
	return 0;
}

/* BIND to the one member @id (initiator: the calling CPU): the common case. */
static inline int t_alloc_on(int fd, __u32 id, __u32 flags, __u64 length,
			      __u32 *handle, __u64 *offset)
{
	return t_do_alloc(fd, SCALEPOOL_POLICY_BIND, flags, length, &id, 1,
			   NULL, 0, SCALEPOOL_INITIATOR_LOCAL, handle,
			   offset);
}

static inline int t_free(int fd, __u32 handle)
{
	struct scalepool_free f = { .size = sizeof(f), .handle = handle };

	return t_ioctl(fd, SCALEPOOL_FREE, &f);
}

/*
 * INFO into @info with room for @room placements at @pl; 0 or -errno.
 * @info->nr_placements says how many the allocation has.
 */
static inline int t_info(int fd, __u32 handle, struct scalepool_info *info,
			  struct scalepool_placement *pl, __u32 room)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->handle = handle;
	info->nr_placements = room;
	info->placements_ptr = (uintptr_t)pl;
	return t_ioctl(fd, SCALEPOOL_INFO, info);
}

/* mmap(MAP_SHARED) of @len bytes at @offset; MAP_FAILED on error. */
static inline void *t_map(int fd, __u64 offset, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)offset);
}

/* ---- PCI devices */

struct t_pci_dev {
	char bdf[NAME_MAX + 1];
	int root_bus;		/* on pcie.0, not behind a switch */
};

/*
 * The PCI devices @vendor:@device, in readdir order, into @devs (at most
 * @max); with @unbound only those bound to no driver.  How many.
 */
static inline int t_pci_find(unsigned int vendor, unsigned int device,
			      int unbound, struct t_pci_dev *devs, int max)
{
	DIR *d = opendir(T_PCI_DEVICES);
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/vendor",
			 de->d_name);
		if (t_read_ll(path) != vendor)
			continue;
		snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/device",
			 de->d_name);
		if (t_read_ll(path) != device)
			continue;
		snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver",
			 de->d_name);
		if (unbound && !access(path, F_OK))
			continue;
		snprintf(devs[n].bdf, sizeof(devs[n].bdf), "%s", de->d_name);
		devs[n].root_bus = !strncmp(de->d_name + 5, "00:", 3);
		n++;
	}
	closedir(d);
	return n;
}

/* BAR @bar of a PCI device as sysfs "resource" gives it. */
struct t_bar_res {
	unsigned long long start, end, flags;
};

/* BAR @bar of @bdf into @r (zeroes where absent); 0, or -ENOENT. */
static inline int t_pci_bar_res(const char *bdf, int bar,
				 struct t_bar_res *r)
{
	char path[PATH_MAX];
	int i, ret = 0;
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	for (i = 0; i <= bar && !ret; i++)
		if (fscanf(f, "%llx %llx %llx", &r->start, &r->end,
			   &r->flags) != 3)
			ret = -ENOENT;
	fclose(f);
	if (ret)
		memset(r, 0, sizeof(*r));
	return ret;
}

/* The size of BAR @bar of @bdf, 0 when it has none. */
static inline unsigned long long t_pci_bar_size(const char *bdf, int bar)
{
	struct t_bar_res r;

	if (t_pci_bar_res(bdf, bar, &r) || r.end <= r.start)
		return 0;
	return r.end - r.start + 1;
}

/* The value of line @key in /proc/self/fdinfo/@fd, or -1. */
static inline long long t_fdinfo_ll(int fd, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
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

/* A PCI address as ALLOC's @initiator_pci_domain and @initiator_pci_bdf. */
struct t_pci_id {
	__u32 domain, bdf;
};

/* The t_pci_id of "DDDD:BB:DD.F"; zeroes when it does not parse. */
static inline struct t_pci_id t_pci_id_of(const char *bdf)
{
	unsigned int dom, bus, dev, fn;
	struct t_pci_id id = { 0, 0 };

	if (sscanf(bdf, "%x:%x:%x.%u", &dom, &bus, &dev, &fn) != 4)
		return id;
	id.domain = dom;
	id.bdf = SCALEPOOL_PCI_BDF(bus, (dev << 3) | fn);
	return id;
}

/* ---- dma-bufs and the importer module */

/* SCALEPOOL_EXPORT: the new fd, or -errno. */
static inline int t_export(int fd, __u32 handle, __u32 flags)
{
	struct scalepool_export e = {
		.size = sizeof(e), .flags = flags, .handle = handle, .fd = -1,
	};
	int ret = t_ioctl(fd, SCALEPOOL_EXPORT, &e);

	return ret ? ret : e.fd;
}

static inline int t_dmabuf_sync(int dfd, __u64 flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(dfd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
}

static inline void *t_dmabuf_map(int dfd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dfd, off);
}

/* The importer module's checksum (FNV-1a 64) of @len bytes at @p. */
static inline __u64 t_fnv64(const void *p, size_t len)
{
	const volatile unsigned char *c = p;
	__u64 h = SP_FNV64_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= c[i];
		h *= SP_FNV64_PRIME;
	}
	return h;
}

/* The build directory, from this program's path; 0 or -errno. */
static inline int t_build_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *p;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "/selftests/guest/");
	if (!p)
		return -ENOENT;
	*p = '\0';
	return 0;
}

/*
 * Loads scalepool_import_test.ko from beside scalepool.ko: the build
 * directory of this kernel, found from this program's own path
 * (build/selftests/guest/dmabuf -> build/kmod/<release>/).  0, or -errno.
 */
static inline int t_import_module_load(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 128];
	struct utsname u;
	int fd, ret;

	if (!access(SP_IMPORT_TEST_DEV, F_OK))
		return 0;
	ret = t_build_dir(dir, sizeof(dir));
	if (ret)
		return ret;
	if (uname(&u))
		return -errno;
	snprintf(path, sizeof(path), "%s/kmod/%s/%s.ko", dir, u.release,
		 T_IMPORT_MODULE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
		ret = -errno;
	close(fd);
	return ret;
}

static inline void t_import_module_unload(void)
{
	syscall(SYS_delete_module, T_IMPORT_MODULE, O_NONBLOCK);
}

/* SP_IMPORT_CHECK of dma-buf @dfd into @c; 0 or -errno. */
static inline int t_import_check(int dfd, __u32 flags,
				  struct sp_import_check *c)
{
	int fd = open(SP_IMPORT_TEST_DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	memset(c, 0, sizeof(*c));
	c->fd = dfd;
	c->flags = flags;
	ret = ioctl(fd, SP_IMPORT_CHECK, c) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * A held attachment (SP_IMPORT_ATTACH): the import module's fd holding
 * it, or -errno.  @flags: SP_IMPORT_P2P, SP_IMPORT_PCI, SP_IMPORT_KEEP.
 */
static inline int t_import_attach(int dfd, __u32 flags)
{
	struct sp_import_hold h = { .fd = dfd, .flags = flags };
	int fd = open(SP_IMPORT_TEST_DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SP_IMPORT_ATTACH, &h) ? -errno : 0;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* SP_IMPORT_STATUS, or SP_IMPORT_MAP, of held attachment @ifd into @h. */
static inline int t_import_status(int ifd, unsigned long cmd,
				   struct sp_import_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->map_error = 1;
	return ioctl(ifd, cmd, h) ? -errno : 0;
}

/* Binds @bdf to the import module's PCI driver (driver_override). */
static inline int t_pci_bind_importer(const char *bdf)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override",
		 bdf);
	ret = t_write_file(path, T_IMPORT_MODULE);
	if (ret)
		return ret;
	return t_write_file(T_IMPORT_DRIVER "/bind", bdf);
}

static inline void t_pci_unbind_importer(const char *bdf)
{
	char path[PATH_MAX];

	t_write_file(T_IMPORT_DRIVER "/unbind", bdf);
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override",
		 bdf);
	t_write_file(path, "\n");
}

/* ---- members */

/* The caps of SCALEPOOL_QUERY, 0 when the device does not answer. */
static inline __u64 t_query_caps(void)
{
	struct scalepool_query q = { .size = sizeof(q) };
	int fd = t_open();

	if (fd < 0)
		return 0;
	if (t_ioctl(fd, SCALEPOOL_QUERY, &q))
		q.caps = 0;
	close(fd);
	return q.caps;
}

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

/* ---- revocation: mappings that lose their memory */

/* The signal a child got reading the first byte of @p, or 0. */
static inline int t_read_signal(volatile unsigned char *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/*
 * A child holding an inherited mapping across a revocation: started
 * while the memory is there, it checks that @p[0] reads @val, then waits
 * for t_reader_finish() and reads @p[@later] (a byte it has not touched,
 * so the read faults anew).  Exits 3 when that read still gave @val, 4
 * when it gave something else, 5 when the first read was wrong, 2 when
 * released badly; a SIGBUS is what a revoked mapping gives.
 */
struct t_reader {
	pid_t pid;
	int go;		/* write end: one byte releases the child */
};

static inline int t_reader_start(struct t_reader *r,
				  volatile unsigned char *p, size_t later,
				  unsigned char val)
{
	int pipefd[2], ready[2];
	char c;

	if (pipe(pipefd))
		return -errno;
	if (pipe(ready)) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	fflush(stdout);
	r->pid = fork();
	if (r->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	if (r->pid == 0) {
		close(pipefd[1]);
		close(ready[0]);
		if (p[0] != val)
			_exit(5);
		/* Mapped before the parent goes on to revoke. */
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		c = p[later];
		_exit(c == (char)val ? 3 : 4);
	}
	close(pipefd[0]);
	close(ready[1]);
	r->go = pipefd[1];
	/*
	 * Wait for the first read: a child scheduled only after the
	 * revocation would die of SIGBUS there, and the release's write
	 * would then raise SIGPIPE in the test (seen on a loaded host).
	 */
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	return 0;
}

/* Releases the reader and waits for it: its wait status in *@status. */
static inline int t_reader_finish(struct t_reader *r, int *status)
{
	int ret = 0;

	/* A child that already died leaves no reader: EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (write(r->go, "x", 1) != 1)
		ret = -EIO;
	close(r->go);
	if (waitpid(r->pid, status, 0) != r->pid && !ret)
		ret = -errno;
	return ret;
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

/* /proc/vmstat counter @name, or -1. */
static inline long long t_vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char key[64];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			ret = v;
			break;
		}
	fclose(f);
	return ret;
}

/* ---- memory */

/* Writes one byte in every 4 KiB page: faults the whole range in. */
static inline void t_touch(void *p, size_t len)
{
	volatile char *c = p;
	size_t off;

	for (off = 0; off < len; off += T_PAGE)
		c[off] = 1;
}

/* A value for the 64-bit word at byte @off of a buffer filled with @seed. */
static inline uint64_t t_pattern(uint64_t seed, size_t off)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (off * 0x100000001b3ULL) ^ off;
}

static inline void t_fill(void *p, size_t len, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = t_pattern(seed, i * 8);
}

/* Byte offset of the first word that differs from the pattern, or -1. */
static inline long t_check(const void *p, size_t len, uint64_t seed)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != t_pattern(seed, i * 8))
			return i * 8;
	return -1;
}

/* Byte offset of the first non-zero word, or -1. */
static inline long t_check_zero(const void *p, size_t len)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return i * 8;
	return -1;
}

/* The page frame mapped at @addr (root only), or 0 when not present. */
static inline uint64_t t_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / T_PAGE * 8) !=
	    sizeof(e))
		e = 0;
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/* Page frames of @n pages from @addr into @out (0: not present); 0 or -errno. */
static inline int t_pfns(const void *addr, size_t n, uint64_t *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t got;
	size_t i;

	if (fd < 0)
		return -errno;
	got = pread(fd, out, n * 8, (uintptr_t)addr / T_PAGE * 8);
	close(fd);
	if (got != (ssize_t)(n * 8))
		return got < 0 ? -errno : -EIO;
	for (i = 0; i < n; i++)
		out[i] = out[i] & (1ULL << 63) ? out[i] & ((1ULL << 55) - 1) : 0;
	return 0;
}

/* move_pages(2) status query (NULL nodes) for @n pages of this process. */
static inline long t_move_pages(unsigned long n, void **pages, int *status)
{
	return syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
}

/* ---- bounded runs */

/*
 * Runs @fn(@arg) in a child process and waits at most @secs for it; the
 * child's int result comes back through a pipe.  0 with *@res set when
 * it finished in time; -ETIMEDOUT when it did not (the child is then
 * SIGKILLed and reaped); -ECHILD when it died without a result.  For
 * liveness checks of kernel paths that may loop ("returns within N
 * seconds, not forever"), not for timing.
 */
static inline int t_run_bounded(int (*fn)(void *), void *arg, int secs,
				 int *res)
{
	struct timespec start, now;
	int p[2], status, ret = -ECHILD;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		int r;

		close(p[0]);
		r = fn(arg);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long left;
		int n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = secs * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
				       (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1) {
			if (read(p[0], res, sizeof(*res)) == sizeof(*res))
				ret = 0;
			break;
		}
	}
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(p[0]);
	return ret;
}

#endif /* _POOL_TEST_H_ */
