// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: where it finds what it loads besides libpool, and its
 * plugins (plugin.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpool.h>

#include "poolctl.h"
#include "plugin.h"

int poolctl_find_lib(const char *name, char *path, size_t len)
{
	static const char *const subdirs[] = { "scalepool/", "" };
	const char *slash;
	Dl_info info;
	size_t i;
	int dir;

	if (!dladdr((void *)pool_new, &info) || !info.dli_fname)
		return -ESRCH;
	slash = strrchr(info.dli_fname, '/');
	dir = slash ? (int)(slash - info.dli_fname + 1) : 0;
	for (i = 0; i < ARRAY_SIZE(subdirs); i++) {
		if (snprintf(path, len, "%.*s%s%s", dir, info.dli_fname,
			     subdirs[i], name) >= (int)len)
			return -ENAMETOOLONG;
		if (access(path, R_OK) == 0)
			return 0;
	}
	/* The installed place: where a missing plugin should be. */
	snprintf(path, len, "%.*s%s%s", dir, info.dli_fname, subdirs[0], name);
	return -ENOENT;
}

void *poolctl_plugin(const char *cmd, const char *file, const char *entry)
{
	char path[PATH_MAX];
	const char *why;
	void *h, *fn;
	size_t n;
	int rc;

	rc = poolctl_find_lib(file, path, sizeof(path));
	if (rc == -ESRCH)
		poolctl_err(cmd, 0, "cannot load %s: cannot find where "
			    "libpool is loaded from", file);
	if (rc == -ENAMETOOLONG)
		poolctl_err(cmd, ENAMETOOLONG, "cannot load %s", file);
	if (rc && rc != -ENOENT)
		return NULL;
	/* -ENOENT too: dlerror() says why the file does not load. */
	dlerror();
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	fn = h ? dlsym(h, entry) : NULL;
	if (fn)
		return fn;
	why = dlerror();
	if (!why)
		why = "no such entry";
	/* "<path>: cannot open shared object file": the path once. */
	n = strlen(path);
	if (!strncmp(why, path, n) && !strncmp(why + n, ": ", 2))
		why += n + 2;
	poolctl_err(cmd, 0, "cannot load %s: %s", path, why);
	/*
	 * A handle without the entry stays open too, as the command fails
	 * now: dlclose() would unload the libraries it brought, and with
	 * them what their constructors allocated and still point to (a
	 * leak to the sanitizer build's LeakSanitizer).
	 */
	return NULL;
}
