// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: context, device, logging.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/scalepool.h>

#include "private.h"

static void log_stderr(struct pool_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	fprintf(stderr, "libpool: %s: ", fn);
	vfprintf(stderr, format, args);
}

void lp_log(struct pool_ctx *ctx, int priority, const char *file, int line,
	    const char *fn, const char *format, ...)
{
	va_list args;
	int saved = errno;

	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
	errno = saved;
}

static int log_priority(const char *prio)
{
	char *end;
	long n;

	n = strtol(prio, &end, 10);
	if (end != prio && (*end == '\0' || isspace((unsigned char)*end)))
		return n < LOG_EMERG ? LOG_EMERG :
		       n > LOG_DEBUG ? LOG_DEBUG : (int)n;
	if (strncmp(prio, "err", 3) == 0)
		return LOG_ERR;
	if (strncmp(prio, "info", 4) == 0)
		return LOG_INFO;
	if (strncmp(prio, "debug", 5) == 0)
		return LOG_DEBUG;
	return LOG_ERR;
}

static const struct lp_roots real_roots = {
	.dev = "/dev/scalepool",
	.module = "/sys/module/scalepool",
	.sysfs = "/sys/kernel/scalepool",
	.node = "/sys/devices/system/node",
	.pci = "/sys/bus/pci",
	.proc = "/proc",
};

/* A copy of @given, or of @real when @given is NULL. */
static const char *root_dup(const char *given, const char *real)
{
	return strdup(given ? given : real);
}

static void roots_free(struct lp_roots *roots)
{
	free((char *)roots->dev);
	free((char *)roots->module);
	free((char *)roots->sysfs);
	free((char *)roots->node);
	free((char *)roots->pci);
	free((char *)roots->proc);
}

int lp_ctx_alloc(struct pool_ctx **ctxp, const struct lp_roots *roots)
{
	struct pool_ctx *ctx;
	const char *env;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->fd = -1;
	ctx->log_fn = log_stderr;
	ctx->log_priority = LOG_ERR;
	env = secure_getenv("LIBPOOL_LOG");
	if (env)
		ctx->log_priority = log_priority(env);

	if (!roots)
		roots = &real_roots;
	ctx->roots.dev = root_dup(roots->dev, real_roots.dev);
	ctx->roots.module = root_dup(roots->module, real_roots.module);
	ctx->roots.sysfs = root_dup(roots->sysfs, real_roots.sysfs);
	ctx->roots.node = root_dup(roots->node, real_roots.node);
	ctx->roots.pci = root_dup(roots->pci, real_roots.pci);
	ctx->roots.proc = root_dup(roots->proc, real_roots.proc);
	if (!ctx->roots.dev || !ctx->roots.module || !ctx->roots.sysfs ||
	    !ctx->roots.node || !ctx->roots.pci || !ctx->roots.proc) {
		lp_ctx_free(ctx);
		return -ENOMEM;
	}
	*ctxp = ctx;
	return 0;
}

void lp_ctx_free(struct pool_ctx *ctx)
{
	lp_members_free(ctx);
	lp_cxl_release(ctx);
	if (ctx->fd >= 0)
		close(ctx->fd);
	roots_free(&ctx->roots);
	free(ctx);
}

static int pool_query(struct pool_ctx *ctx)
{
	struct scalepool_query q = { .size = sizeof(q) };

	if (ioctl(ctx->fd, SCALEPOOL_QUERY, &q) < 0) {
		int rc = -errno;

		err(ctx, "SCALEPOOL_QUERY: %s\n", strerror(-rc));
		return rc;
	}
	if (q.abi_version != SCALEPOOL_ABI_VERSION) {
		err(ctx, "module ABI version %u, library speaks %u\n",
		    q.abi_version, SCALEPOOL_ABI_VERSION);
		return -EPROTO;
	}
	ctx->abi_version = q.abi_version;
	ctx->query_nr_members = q.nr_members;
	ctx->caps = q.caps;
	dbg(ctx, "abi %u, %u members, caps %#llx\n", q.abi_version,
	    q.nr_members, (unsigned long long)q.caps);
	return 0;
}

static int pool_open(struct pool_ctx *ctx)
{
	struct stat st;
	int rc;

	if (stat(ctx->roots.module, &st) < 0) {
		dbg(ctx, "%s: %s\n", ctx->roots.module, strerror(errno));
		return -ENODEV;
	}
	ctx->fd = open(ctx->roots.dev, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0) {
		rc = -errno;
		dbg(ctx, "open %s: %s\n", ctx->roots.dev, strerror(-rc));
		/* No node, or a stale node without a driver behind it. */
		if (rc == -ENOENT || rc == -ENXIO)
			rc = -ENODEV;
		return rc;
	}
	return 0;
}

int pool_new(struct pool_ctx **ctxp)
{
	struct pool_ctx *ctx;
	int rc;

	if (!ctxp)
		return -EINVAL;
	rc = lp_ctx_alloc(&ctx, NULL);
	if (rc)
		return rc;
	rc = pool_open(ctx);
	if (rc)
		goto err_free;
	rc = pool_query(ctx);
	if (rc)
		goto err_free;
	rc = lp_members_load(ctx);
	if (rc)
		goto err_free;
	info(ctx, "ctx %p created, %d members\n", (void *)ctx,
	     ctx->nr_members);
	*ctxp = ctx;
	return 0;

err_free:
	lp_ctx_free(ctx);
	return rc;
}

struct pool_ctx *pool_ref(struct pool_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

void pool_unref(struct pool_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return;
	info(ctx, "ctx %p released\n", (void *)ctx);
	lp_ctx_free(ctx);
}

int pool_refresh(struct pool_ctx *ctx)
{
	int rc;

	lp_members_free(ctx);
	/* libcxl and libdaxctl cache their topology: start them afresh. */
	lp_cxl_release(ctx);
	if (ctx->fd >= 0) {
		rc = pool_query(ctx);
		if (rc)
			return rc;
	}
	return lp_members_load(ctx);
}

unsigned int pool_get_abi_version(struct pool_ctx *ctx)
{
	return ctx->abi_version;
}

unsigned long long pool_get_caps(struct pool_ctx *ctx)
{
	return ctx->caps;
}

int pool_get_nr_members(struct pool_ctx *ctx)
{
	return ctx->nr_members;
}

void pool_set_log_fn(struct pool_ctx *ctx,
		     void (*log_fn)(struct pool_ctx *ctx, int priority,
				    const char *file, int line,
				    const char *fn, const char *format,
				    va_list args))
{
	ctx->log_fn = log_fn ? log_fn : log_stderr;
	info(ctx, "%s logging function registered\n",
	     log_fn ? "custom" : "default");
}

int pool_get_log_priority(struct pool_ctx *ctx)
{
	return ctx->log_priority;
}

void pool_set_log_priority(struct pool_ctx *ctx, int priority)
{
	ctx->log_priority = priority;
}

void pool_set_userdata(struct pool_ctx *ctx, void *userdata)
{
	ctx->userdata = userdata;
}

void *pool_get_userdata(struct pool_ctx *ctx)
{
	return ctx->userdata;
}
