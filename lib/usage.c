// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: which processes use the pool, from /proc/<pid>/fd links to
 * /dev/scalepool and the module's lines in /proc/<pid>/fdinfo/<fd>:
 *
 *	scalepool-allocations:	<N>
 *	scalepool-bytes:	<B>
 *	scalepool-exported:	<N>	(of those, with a dma-buf)
 *	scalepool-exported-bytes:	<B>
 *	scalepool-allocation:	handle=<H> length=<B> offset=<B> policy=<P>
 *
 * (the last once per live allocation of the fd, since SCALEPOOL_CAP_MIGRATE).
 */
#include <dirent.h>
#include <fcntl.h>
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
#define FDINFO_ALLOCATION	"scalepool-allocation:"

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

/* Doubles the room of *@nums (256 to begin with); -ENOMEM keeps it. */
static int grow_nums(int **nums, size_t *room)
{
	size_t want = *room ? *room * 2 : 256;
	int *more = reallocarray(*nums, want, sizeof(**nums));

	if (!more)
		return -ENOMEM;
	*nums = more;
	*room = want;
	return 0;
}

/* Whether the entry @name of @d is a link to the context's device. */
static bool is_pool_fd(struct pool_ctx *ctx, DIR *d, const char *name)
{
	char link[PATH_MAX];
	ssize_t n;

	n = readlinkat(dirfd(d), name, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, ctx->roots.dev) == 0;
}

/*
 * The decimal names under @dir, ascending, in a malloc'ed array: pids
 * under /proc, or with @pool_fds the fds under /proc/<pid>/fd that are
 * links to the device.  -errno when @dir cannot be opened.
 */
static int list_nums(struct pool_ctx *ctx, const char *dir, bool pool_fds,
		     int **numsp, size_t *nrp)
{
	size_t nr = 0, room = 0;
	int *nums = NULL, num, rc = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		rc = -errno;
		dbg(ctx, "%s: %s\n", dir, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		num = dec_name(de->d_name);
		if (num < 0 || (pool_fds && !is_pool_fd(ctx, d, de->d_name)))
			continue;
		if (nr == room) {
			rc = grow_nums(&nums, &room);
			if (rc)
				break;
		}
		nums[nr++] = num;
	}
	closedir(d);
	if (rc) {
		free(nums);
		return rc;
	}
	if (nr)
		qsort(nums, nr, sizeof(*nums), cmp_int);
	*numsp = nums;
	*nrp = nr;
	return 0;
}

static int list_pids(struct pool_ctx *ctx, int **pidsp, size_t *nrp)
{
	return list_nums(ctx, ctx->roots.proc, false, pidsp, nrp);
}

int lp_process_pool_fds(struct pool_ctx *ctx, int pid, int **fds,
			size_t *nr)
{
	char path[PATH_MAX];

	*fds = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "%s/%d/fd", ctx->roots.proc, pid);
	return list_nums(ctx, path, true, fds, nr);
}

/*
 * The whole of /proc/<pid>/fdinfo/<fd> in a malloc'ed string (one line
 * per allocation makes it longer than a page); -errno, -ENOENT when the
 * fd was closed meanwhile.
 */
static int read_fdinfo(struct pool_ctx *ctx, int pid, int fd, char **textp)
{
	size_t len = 0, room = 4096;
	char path[PATH_MAX], *text, *more;
	int f, rc = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", ctx->roots.proc,
		 pid, fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	text = malloc(room);
	while (text) {
		if (len + 1 == room) {
			more = realloc(text, room * 2);
			if (!more)
				break;
			text = more;
			room *= 2;
		}
		n = read(f, text + len, room - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(f);
	if (!text || len + 1 == room || rc) {
		free(text);
		return rc ? rc : -ENOMEM;
	}
	text[len] = '\0';
	*textp = text;
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

/* A process with /dev/scalepool open: its pid, command name and those fds. */
struct pool_proc {
	int pid;
	const char *comm;
	const int *fds;
	size_t nr_fds;
};

/*
 * Calls @fn with the number and fdinfo text of each /dev/scalepool fd of
 * @p, ascending; 0, @fn's value or -ENOMEM.  An fd closed meanwhile is
 * skipped.
 */
static int each_pool_fd(struct pool_ctx *ctx, const struct pool_proc *p,
			int (*fn)(int fd, const char *text, void *arg),
			void *arg)
{
	size_t i;
	char *text;
	int rc = 0;

	for (i = 0; i < p->nr_fds && !rc; i++) {
		rc = read_fdinfo(ctx, p->pid, p->fds[i], &text);
		if (rc) {
			rc = rc == -ENOMEM ? rc : 0;
			continue;
		}
		rc = fn(p->fds[i], text, arg);
		free(text);
	}
	return rc;
}

/*
 * Calls @fn for each process under the proc root that has the device
 * open, ascending; 0, @fn's value or -errno.  Only those processes'
 * command names are read; a process gone or hidden meanwhile (no fd
 * directory, no comm) is skipped.
 */
static int each_process(struct pool_ctx *ctx,
			int (*fn)(const struct pool_proc *p, void *arg),
			void *arg)
{
	char path[PATH_MAX], comm[LP_ATTR_MAX];
	struct pool_proc p = { .comm = comm };
	size_t i, nr = 0;
	int *pids = NULL, *fds, rc;

	rc = list_pids(ctx, &pids, &nr);
	for (i = 0; i < nr && !rc; i++) {
		p.pid = pids[i];
		rc = lp_process_pool_fds(ctx, p.pid, &fds, &p.nr_fds);
		if (rc) {
			rc = rc == -ENOMEM ? rc : 0;
			continue;
		}
		p.fds = fds;
		snprintf(path, sizeof(path), "%s/%d/comm", ctx->roots.proc,
			 p.pid);
		if (p.nr_fds && !lp_read_attr(ctx, path, comm, sizeof(comm)))
			rc = fn(&p, arg);
		free(fds);
	}
	free(pids);
	return rc;
}

/* Adds one fd's lines to a process's sums. */
static int sum_fd(int fd, const char *text, void *arg)
{
	struct pool_process_usage *u = arg;

	u->nr_fds++;
	add_line(text, FDINFO_ALLOCATIONS, &u->allocations);
	add_line(text, FDINFO_BYTES, &u->bytes);
	add_line(text, FDINFO_EXPORTED, &u->exported);
	add_line(text, FDINFO_EXPORTED_BYTES, &u->exported_bytes);
	return 0;
}

struct usage_scan {
	struct pool_ctx *ctx;
	int (*fn)(const struct pool_process_usage *u, void *arg);
	void *arg;
};

/* One process's sums, for @fn when it has the device open. */
static int usage_of(const struct pool_proc *p, void *arg)
{
	struct usage_scan *scan = arg;
	struct pool_process_usage u = { .pid = p->pid, .comm = p->comm };
	int rc;

	rc = each_pool_fd(scan->ctx, p, sum_fd, &u);
	if (rc || !u.nr_fds)
		return rc;
	dbg(scan->ctx, "pid %d (%s): %u fds, %llu allocations, %llu bytes, %llu exported\n",
	    u.pid, u.comm, u.nr_fds, u.allocations, u.bytes, u.exported);
	return scan->fn(&u, scan->arg);
}

int pool_for_each_process_usage(struct pool_ctx *ctx,
				int (*fn)(const struct pool_process_usage *u,
					  void *arg),
				void *arg)
{
	struct usage_scan scan = { ctx, fn, arg };

	if (!ctx || !fn)
		return -EINVAL;
	return each_process(ctx, usage_of, &scan);
}

/*
 * One "scalepool-allocation:" line (@line past its key) into @a; 0, or
 * -EPROTO for a line this library cannot read.
 */
static int parse_allocation(const char *line,
			    struct pool_process_allocation *a)
{
	unsigned int policy;
	int end = -1;

	if (sscanf(line, " handle=%u length=%llu offset=%llu policy=%u%n",
		   &a->handle, &a->length, &a->offset, &policy, &end) != 4 ||
	    end < 0 || (line[end] != '\n' && line[end] != '\0') ||
	    policy > INT_MAX)
		return -EPROTO;
	a->policy = (int)policy;
	return 0;
}

struct allocation_scan {
	struct pool_ctx *ctx;
	struct pool_process_allocation a;
	int (*fn)(const struct pool_process_allocation *a, void *arg);
	void *arg;
};

/* Calls @fn for each allocation line of one fd's fdinfo @text. */
static int fd_allocations(int fd, const char *text, void *arg)
{
	size_t klen = strlen(FDINFO_ALLOCATION);
	struct allocation_scan *scan = arg;
	const char *line = text, *end;
	int rc;

	scan->a.fd = fd;
	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if (strncmp(line, FDINFO_ALLOCATION, klen) != 0)
			continue;
		if (parse_allocation(line + klen, &scan->a)) {
			err(scan->ctx, "pid %d fd %d: cannot read '%.*s'\n",
			    scan->a.pid, fd, (int)(end - line), line);
			return -EPROTO;
		}
		rc = scan->fn(&scan->a, scan->arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int process_allocations(const struct pool_proc *p, void *arg)
{
	struct allocation_scan *scan = arg;

	memset(&scan->a, 0, sizeof(scan->a));
	scan->a.pid = p->pid;
	scan->a.comm = p->comm;
	return each_pool_fd(scan->ctx, p, fd_allocations, scan);
}

int pool_for_each_process_allocation(struct pool_ctx *ctx,
		int (*fn)(const struct pool_process_allocation *a, void *arg),
		void *arg)
{
	struct allocation_scan scan = { .ctx = ctx, .fn = fn, .arg = arg };

	if (!ctx || !fn)
		return -EINVAL;
	return each_process(ctx, process_allocations, &scan);
}
