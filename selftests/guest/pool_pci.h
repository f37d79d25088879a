/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI devices (lookup, BARs, driver binding), dma-bufs and the importer
 * module (scalepool_import_test.ko).
 * Part of the guest tests' helpers: include pool_test.h, not this file.
 */
#ifndef _POOL_PCI_H_
#define _POOL_PCI_H_

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

/*
 * The first PCI device, in readdir order, for which @match(bdf, @arg)
 * is true, into @bdf (@len bytes); 0, or -1 when none is.
 */
static inline int t_pci_first(int (*match)(const char *bdf, void *arg),
			      void *arg, char *bdf, size_t len)
{
	DIR *d = opendir(T_PCI_DEVICES);
	struct dirent *de;
	int ret = -1;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && match(de->d_name, arg)) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	closedir(d);
	return ret;
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

/* ---- driver binding (driver_override) and bar members */

/* The driver @bdf is bound to into @buf, "" for none. */
static inline void t_pci_driver_of(const char *bdf, char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	snprintf(buf, len, "%s", strrchr(link, '/') + 1);
}

/*
 * Binds @bdf to PCI driver @drv through driver_override (the tests'
 * one copy; libpool has its own in lib/pci.c); 0 when it is bound to
 * @drv already, else 0 or -errno of the sysfs writes.
 */
static inline int t_pci_bind(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];
	int ret;

	t_pci_driver_of(bdf, cur, sizeof(cur));
	if (!strcmp(cur, drv))
		return 0;
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override",
		 bdf);
	ret = t_write_file(path, drv);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", drv);
	return t_write_file(path, bdf);
}

/* Unbinds @bdf from @drv (when bound to it) and clears driver_override. */
static inline void t_pci_unbind(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];

	t_pci_driver_of(bdf, cur, sizeof(cur));
	if (!strcmp(cur, drv)) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
			 drv);
		t_write_file(path, bdf);
	}
	snprintf(path, sizeof(path), T_PCI_DEVICES "/%s/driver_override",
		 bdf);
	t_write_file(path, "\n");
}

/* Writes @arg ("BDF" or "BDF BAR") to add_bar; 0 or -errno. */
static inline int t_add_bar(const char *arg)
{
	return t_write_file(T_SYSFS "/add_bar", arg);
}

/* Binds @bdf to scalepool and adds its default BAR: the id, or -errno. */
static inline int t_bar_member_add(const char *bdf)
{
	int ret = t_pci_bind(bdf, T_SP_DRIVER);

	if (ret)
		return ret;
	ret = t_add_bar(bdf);
	if (ret)
		return ret;
	return t_member_of_pci("bar", bdf);
}

/* ---- dma-bufs and the importer module */

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
 * Loads scalepool_import_test.ko from the build directory of this
 * kernel, found from this program's own path (build/selftests/guest/dmabuf
 * -> build/kmod/<release>/selftests/kmod/, tools/kernel/build-module
 * --selftests).  0, or -errno.
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
	snprintf(path, sizeof(path), "%s/kmod/%s/selftests/kmod/%s.ko", dir,
		 u.release, T_IMPORT_MODULE);
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

#endif /* _POOL_PCI_H_ */
