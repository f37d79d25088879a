// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: members, loaded from /sys/kernel/scalepool/members/<id>/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "private.h"

int lp_read_attr(struct pool_ctx *ctx, const char *path, char *buf,
		 size_t len)
{
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		dbg(ctx, "open %s: %s\n", path, strerror(-rc));
		return rc;
	}
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc) {
		dbg(ctx, "read %s: %s\n", path, strerror(-rc));
		return rc;
	}
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

int lp_write_attr(struct pool_ctx *ctx, const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		dbg(ctx, "open %s: %s\n", path, strerror(-rc));
		return rc;
	}
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		dbg(ctx, "write '%.*s' to %s: %s\n", (int)strcspn(val, "\n"),
		    val, path, strerror(-rc));
	return rc;
}

int lp_parse_u64(const char *str, unsigned long long *val)
{
	unsigned long long v;
	char *end;

	/* strtoull() takes blanks and signs: "-1" would be ULLONG_MAX. */
	if (*str < '0' || *str > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (errno == ERANGE)
		return -EOVERFLOW;
	if (*end)
		return -EINVAL;
	*val = v;
	return 0;
}

int lp_parse_int(const char *str, int *val)
{
	char *end;
	long v;

	if (*str != '-' && (*str < '0' || *str > '9'))
		return -EINVAL;
	errno = 0;
	v = strtol(str, &end, 10);
	if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
		return -EOVERFLOW;
	if (end == str || *end)
		return -EINVAL;
	*val = (int)v;
	return 0;
}

/* One attribute of a member: 0, or a negative errno (logged). */
static int member_attr(struct pool_ctx *ctx, const char *dir,
		       const char *attr, char *buf)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return lp_read_attr(ctx, path, buf, LP_ATTR_MAX);
}

static int member_str(struct pool_ctx *ctx, const char *dir,
		      const char *attr, char **val)
{
	char buf[LP_ATTR_MAX];
	int rc;

	rc = member_attr(ctx, dir, attr, buf);
	if (rc)
		return rc;
	*val = strdup(buf);
	return *val ? 0 : -ENOMEM;
}

static int member_u64(struct pool_ctx *ctx, const char *dir,
		      const char *attr, unsigned long long *val)
{
	char buf[LP_ATTR_MAX];
	int rc;

	rc = member_attr(ctx, dir, attr, buf);
	if (rc)
		return rc;
	rc = lp_parse_u64(buf, val);
	if (rc)
		err(ctx, "%s/%s: bad value '%s'\n", dir, attr, buf);
	return rc;
}

static int member_int(struct pool_ctx *ctx, const char *dir,
		      const char *attr, int *val)
{
	char buf[LP_ATTR_MAX];
	int rc;

	rc = member_attr(ctx, dir, attr, buf);
	if (rc)
		return rc;
	rc = lp_parse_int(buf, val);
	if (rc)
		err(ctx, "%s/%s: bad value '%s'\n", dir, attr, buf);
	return rc;
}

static const char *const fw_files[LP_FW_NR] = {
	[LP_FW_READ_LATENCY] = "read_latency",
	[LP_FW_WRITE_LATENCY] = "write_latency",
	[LP_FW_READ_BANDWIDTH] = "read_bandwidth",
	[LP_FW_WRITE_BANDWIDTH] = "write_bandwidth",
};

/*
 * The kernel publishes access0 (the nearest initiators) only when the
 * firmware described the node; a figure it lacks reads as 0.
 */
static void member_load_fw(struct pool_member *m)
{
	struct pool_ctx *ctx = m->ctx;
	unsigned long long v;
	char path[PATH_MAX], buf[LP_ATTR_MAX];
	int i;

	for (i = 0; i < LP_FW_NR; i++) {
		m->fw[i] = -ENODATA;
		if (m->node < 0)
			continue;
		if (snprintf(path, sizeof(path),
			     "%s/node%d/access0/initiators/%s", ctx->roots.node,
			     m->node, fw_files[i]) >= (int)sizeof(path))
			continue;
		if (lp_read_attr(ctx, path, buf, sizeof(buf)))
			continue;
		if (lp_parse_u64(buf, &v) || v == 0 || v > LLONG_MAX) {
			dbg(ctx, "%s: ignored '%s'\n", path, buf);
			continue;
		}
		m->fw[i] = (long long)v;
	}
}

/* "free" came with allocation support: older modules lack it. */
static void member_load_free(struct pool_member *m, const char *dir)
{
	unsigned long long v;
	char buf[LP_ATTR_MAX];

	m->free = -ENODATA;
	if (member_attr(m->ctx, dir, "free", buf))
		return;
	if (lp_parse_u64(buf, &v) || v > LLONG_MAX) {
		dbg(m->ctx, "%s/free: ignored '%s'\n", dir, buf);
		return;
	}
	m->free = (long long)v;
}

static void member_free(struct pool_member *m)
{
	lp_member_clear_cxl(m);
	lp_member_free_measured(m);
	lp_member_clear_peer(m);
	free(m->kind);
	free(m->name);
	free(m->memory);
	free(m);
}

/* Inserts @m in id order; -EEXIST when the id is already there. */
static int member_insert(struct pool_ctx *ctx, struct pool_member *m)
{
	struct pool_member **pos = &ctx->members;

	while (*pos && (*pos)->id < m->id)
		pos = &(*pos)->next;
	if (*pos && (*pos)->id == m->id)
		return -EEXIST;
	m->next = *pos;
	*pos = m;
	ctx->nr_members++;
	return 0;
}

static int member_load(struct pool_ctx *ctx, const char *dir)
{
	unsigned long long id;
	struct pool_member *m;
	int rc;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	m->bar = -1;

	rc = member_u64(ctx, dir, "id", &id);
	if (rc)
		goto err_free;
	if (id > UINT_MAX) {
		err(ctx, "%s: id %llu out of range\n", dir, id);
		rc = -ERANGE;
		goto err_free;
	}
	m->id = (unsigned int)id;
	rc = member_str(ctx, dir, "kind", &m->kind);
	if (!rc)
		rc = member_str(ctx, dir, "name", &m->name);
	if (!rc)
		rc = member_str(ctx, dir, "memory", &m->memory);
	if (!rc)
		rc = member_int(ctx, dir, "node", &m->node);
	if (!rc)
		rc = member_u64(ctx, dir, "capacity", &m->capacity);
	if (!rc)
		rc = member_u64(ctx, dir, "used", &m->used);
	if (!rc)
		rc = member_u64(ctx, dir, "limit", &m->limit);
	if (rc)
		goto err_free;

	member_load_free(m, dir);
	member_load_fw(m);
	rc = lp_member_load_measured(m);
	if (!rc)
		rc = lp_member_load_peer(m, dir);
	if (rc)
		goto err_free;
	rc = member_insert(ctx, m);
	if (rc) {
		err(ctx, "%s: duplicate member id %u\n", dir, m->id);
		goto err_free;
	}
	dbg(ctx, "member %u: %s %s node %d %s %llu bytes\n", m->id, m->kind,
	    m->name, m->node, m->memory, m->capacity);
	return 0;

err_free:
	member_free(m);
	return rc;
}

static bool is_id(const char *name)
{
	if (!*name)
		return false;
	for (; *name; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

int lp_members_load(struct pool_ctx *ctx)
{
	char dir[PATH_MAX], mdir[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (snprintf(dir, sizeof(dir), "%s/members", ctx->roots.sysfs) >=
	    (int)sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		err(ctx, "%s: %s\n", dir, strerror(-rc));
		return rc;
	}
	while ((de = readdir(d))) {
		if (!is_id(de->d_name))
			continue;
		if (snprintf(mdir, sizeof(mdir), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(mdir)) {
			rc = -ENAMETOOLONG;
			break;
		}
		rc = member_load(ctx, mdir);
		/* A member that went away while we read it is no error. */
		if (rc == -ENOENT && stat(mdir, &st) < 0 && errno == ENOENT) {
			dbg(ctx, "%s: gone\n", mdir);
			rc = 0;
		}
		if (rc)
			break;
	}
	closedir(d);
	if (rc)
		lp_members_free(ctx);
	return rc;
}

void lp_members_free(struct pool_ctx *ctx)
{
	struct pool_member *m, *next;

	for (m = ctx->members; m; m = next) {
		next = m->next;
		member_free(m);
	}
	ctx->members = NULL;
	ctx->nr_members = 0;
}

struct pool_member *pool_member_get_first(struct pool_ctx *ctx)
{
	return ctx->members;
}

struct pool_member *pool_member_get_next(struct pool_member *member)
{
	return member->next;
}

struct pool_member *pool_member_get_by_id(struct pool_ctx *ctx,
					  unsigned int id)
{
	struct pool_member *m;

	pool_member_foreach(ctx, m)
		if (m->id == id)
			return m;
	return NULL;
}

struct pool_ctx *pool_member_get_ctx(struct pool_member *member)
{
	return member->ctx;
}

unsigned int pool_member_get_id(struct pool_member *member)
{
	return member->id;
}

const char *pool_member_get_kind(struct pool_member *member)
{
	return member->kind;
}

const char *pool_member_get_name(struct pool_member *member)
{
	return member->name;
}

int pool_member_get_node(struct pool_member *member)
{
	return member->node;
}

const char *pool_member_get_memory(struct pool_member *member)
{
	return member->memory;
}

unsigned long long pool_member_get_capacity(struct pool_member *member)
{
	return member->capacity;
}

unsigned long long pool_member_get_used(struct pool_member *member)
{
	return member->used;
}

unsigned long long pool_member_get_limit(struct pool_member *member)
{
	return member->limit;
}

long long pool_member_get_fw_read_latency(struct pool_member *member)
{
	return member->fw[LP_FW_READ_LATENCY];
}

long long pool_member_get_fw_write_latency(struct pool_member *member)
{
	return member->fw[LP_FW_WRITE_LATENCY];
}

long long pool_member_get_fw_read_bandwidth(struct pool_member *member)
{
	return member->fw[LP_FW_READ_BANDWIDTH];
}

long long pool_member_get_fw_write_bandwidth(struct pool_member *member)
{
	return member->fw[LP_FW_WRITE_BANDWIDTH];
}

long long pool_member_get_free(struct pool_member *member)
{
	return member->free;
}

int pool_member_set_limit(struct pool_member *member,
			  unsigned long long bytes)
{
	struct pool_ctx *ctx = member->ctx;
	char path[PATH_MAX], val[32];
	unsigned long long now;
	int fd, len, rc = 0;
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/members/%u/limit",
		     ctx->roots.sysfs, member->id) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	len = snprintf(val, sizeof(val), "%llu\n", bytes);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		dbg(ctx, "open %s: %s\n", path, strerror(-rc));
		return rc;
	}
	do {
		n = write(fd, val, (size_t)len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = -errno;
	else if (n != len)
		rc = -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc) {
		dbg(ctx, "write %llu to %s: %s\n", bytes, path, strerror(-rc));
		return rc;
	}
	member->limit = bytes;
	if (!lp_read_attr(ctx, path, val, sizeof(val)) &&
	    !lp_parse_u64(val, &now))
		member->limit = now;
	info(ctx, "member %u: limit %llu\n", member->id, member->limit);
	return 0;
}

static int member_attr_path(struct pool_member *member, const char *attr,
			    char *path, size_t len)
{
	if (snprintf(path, len, "%s/members/%u/%s", member->ctx->roots.sysfs,
		     member->id, attr) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int pool_member_get_refused(struct pool_member *member, char *buf,
			    size_t len)
{
	char path[PATH_MAX];
	int rc;

	if (!member || !buf || !len)
		return -EINVAL;
	rc = member_attr_path(member, "refused", path, sizeof(path));
	return rc ? rc : lp_read_attr(member->ctx, path, buf, len);
}

/* A member's decimal attribute @attr, read now. */
static int member_read_u64(struct pool_member *member, const char *attr,
			   unsigned long long *val)
{
	char path[PATH_MAX], buf[32];
	int rc;

	rc = member_attr_path(member, attr, path, sizeof(path));
	if (!rc)
		rc = lp_read_attr(member->ctx, path, buf, sizeof(buf));
	return rc ? rc : lp_parse_u64(buf, val);
}

int pool_member_get_tier(struct pool_member *member,
			 unsigned long long *sampled,
			 unsigned long long *promoted,
			 unsigned long long *demoted)
{
	unsigned long long v[3];
	int rc;

	if (!member || !sampled || !promoted || !demoted)
		return -EINVAL;
	rc = member_read_u64(member, "tier_sampled", &v[0]);
	if (!rc)
		rc = member_read_u64(member, "tier_promoted", &v[1]);
	if (!rc)
		rc = member_read_u64(member, "tier_demoted", &v[2]);
	if (rc)
		return rc;
	*sampled = v[0];
	*promoted = v[1];
	*demoted = v[2];
	return 0;
}

int pool_member_drain(struct pool_member *member)
{
	char path[PATH_MAX], why[256];
	int rc;

	if (!member)
		return -EINVAL;
	rc = member_attr_path(member, "drain", path, sizeof(path));
	if (!rc)
		rc = lp_write_attr(member->ctx, path, "1\n");
	if (!rc) {
		info(member->ctx, "member %u: drained\n", member->id);
		return 0;
	}
	if (!pool_member_get_refused(member, why, sizeof(why)) && why[0])
		err(member->ctx, "cannot drain member %u: %s\n", member->id,
		    why);
	else
		err(member->ctx, "cannot drain member %u: %s\n", member->id,
		    strerror(-rc));
	return rc;
}
