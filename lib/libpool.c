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

int lp_ctx_alloc(struct pool_ctx **ctxp, const char *sysfs_dir,
		 const char *node_dir)
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

	ctx->sysfs_dir = strdup(sysfs_dir ? sysfs_dir : POOL_SYSFS_DIR);
	ctx->node_dir = strdup(node_dir ? node_dir : POOL_NODE_DIR);
	ctx->proc_dir = strdup(POOL_PROC_DIR);
	ctx->pci_dir = strdup(POOL_PCI_DIR);
	if (!ctx->sysfs_dir || !ctx->node_dir || !ctx->proc_dir ||
	    !ctx->pci_dir) {
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
	free(ctx->sysfs_dir);
	free(ctx->node_dir);
	free(ctx->proc_dir);
	free(ctx->pci_dir);
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

	if (stat(POOL_MODULE_PATH, &st) < 0) {
		dbg(ctx, "%s: %s\n", POOL_MODULE_PATH, strerror(errno));
		return -ENODEV;
	}
	ctx->fd = open(POOL_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0) {
		rc = -errno;
		dbg(ctx, "open %s: %s\n", POOL_DEV_PATH, strerror(-rc));
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
	rc = lp_ctx_alloc(&ctx, NULL, NULL);
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
