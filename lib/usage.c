// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: which processes use the pool, from /proc/<pid>/fd links to
 * /dev/scalepool and the module's lines in /proc/<pid>/fdinfo/<fd>:
 *
 *	scalepool-allocations:	<N>
 *	scalepool-bytes:	<B>
 *	scalepool-exported:	<N>	(of those, with a dma-buf)
 *	scalepool-exported-bytes:	<B>
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

#define FDINFO_ALLOCATIONS	"scalepool-allocations:"
#define FDINFO_BYTES		"scalepool-bytes:"
#define FDINFO_EXPORTED		"scalepool-exported:"
#define FDINFO_EXPORTED_BYTES	"scalepool-exported-bytes:"

/* A decimal name (pid or fd) that fits an int, or -1. */
static int dec_name(const char *name)
{
	unsigned long long v;

	if (lp_parse_u64(name, &v) || v > INT_MAX)
		return -1;
	return (int)v;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Doubles the room of *@pids (256 to begin with); -ENOMEM keeps it. */
static int grow_pids(int **pids, size_t *room)
{
	size_t want = *room ? *room * 2 : 256;
	int *more = reallocarray(*pids, want, sizeof(**pids));

	if (!more)
		return -ENOMEM;
	*pids = more;
	*room = want;
	return 0;
}

/* The pids under @dir, ascending, in a malloc'ed array. */
static int list_pids(struct pool_ctx *ctx, int **pidsp, size_t *nrp)
{
	size_t nr = 0, room = 0;
	int *pids = NULL, pid, rc = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(ctx->roots.proc);
	if (!d) {
		rc = -errno;
		dbg(ctx, "%s: %s\n", ctx->roots.proc, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		pid = dec_name(de->d_name);
		if (pid < 0)
			continue;
		if (nr == room) {
			rc = grow_pids(&pids, &room);
			if (rc)
				break;
		}
		pids[nr++] = pid;
	}
	closedir(d);
	if (rc) {
		free(pids);
		return rc;
	}
	if (nr)
		qsort(pids, nr, sizeof(*pids), cmp_int);
	*pidsp = pids;
	*nrp = nr;
	return 0;
}

/* Adds the value of the line starting with @key in @text to *@sum. */
static void add_line(const char *text, const char *key,
		     unsigned long long *sum)
{
	size_t klen = strlen(key);
	const char *line = text;
	unsigned long long v;
	char num[32];
	size_t n;

	while (*line) {
		if (strncmp(line, key, klen) == 0) {
			line += klen;
			line += strspn(line, " \t");
			n = strcspn(line, "\n");
			if (n >= sizeof(num))
				return;
			memcpy(num, line, n);
			num[n] = '\0';
			if (!lp_parse_u64(num, &v))
				*sum += v;
			return;
		}
		line = strchr(line, '\n');
		if (!line)
			return;
		line++;
	}
}

/*
 * Sums the scalepool fds of one process into @u; 0 when it has none
 * (or vanished), 1 when it has some.
 */
static int scan_fds(struct pool_ctx *ctx, int pid,
		    struct pool_process_usage *u)
{
	char path[PATH_MAX], link[PATH_MAX];
	char text[LP_ATTR_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%d/fd", ctx->roots.proc, pid);
	d = opendir(path);
	if (!d)		/* gone, or another user's without root */
		return 0;
	while ((de = readdir(d))) {
		if (dec_name(de->d_name) < 0)
			continue;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, ctx->roots.dev) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%d/fdinfo/%s",
			 ctx->roots.proc, pid, de->d_name);
		if (lp_read_attr(ctx, path, text, sizeof(text)))
			continue;	/* closed meanwhile */
		u->nr_fds++;
		add_line(text, FDINFO_ALLOCATIONS, &u->allocations);
		add_line(text, FDINFO_BYTES, &u->bytes);
		add_line(text, FDINFO_EXPORTED, &u->exported);
		add_line(text, FDINFO_EXPORTED_BYTES, &u->exported_bytes);
	}
	closedir(d);
	return u->nr_fds > 0;
}

int pool_for_each_process_usage(struct pool_ctx *ctx,
				int (*fn)(const struct pool_process_usage *u,
					  void *arg),
				void *arg)
{
	char path[PATH_MAX], comm[LP_ATTR_MAX];
	struct pool_process_usage u;
	size_t i, nr = 0;
	int *pids = NULL, rc;

	if (!ctx || !fn)
		return -EINVAL;
	rc = list_pids(ctx, &pids, &nr);
	if (rc)
		return rc;
	for (i = 0; i < nr && !rc; i++) {
		memset(&u, 0, sizeof(u));
		u.pid = pids[i];
		if (!scan_fds(ctx, u.pid, &u))
			continue;
		snprintf(path, sizeof(path), "%s/%d/comm", ctx->roots.proc,
			 u.pid);
		if (lp_read_attr(ctx, path, comm, sizeof(comm)))
			continue;	/* exited after the scan */
		u.comm = comm;
		dbg(ctx, "pid %d (%s): %u fds, %llu allocations, %llu bytes, %llu exported\n",
		    u.pid, u.comm, u.nr_fds, u.allocations, u.bytes,
		    u.exported);
		rc = fn(&u, arg);
	}
	free(pids);
	return rc;
}
