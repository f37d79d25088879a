/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpool internals: the real structures behind the opaque handles.
 *
 * Functions shared between the library's files are named lp_*, never
 * pool_*: the version script exports every pool_* symbol.
 */
#ifndef _LIBPOOL_PRIVATE_H_
#define _LIBPOOL_PRIVATE_H_

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "libpool.h"

/*
 * Every file the library opens for a context lies under one of these:
 * the real ones unless a host test roots the context elsewhere
 * (lp_ctx_alloc()).  A NULL field stands for the real one.  Not under
 * them: what libcxl, libdaxctl and libnuma read for themselves, and the
 * CPU caches pool_bench_llc_size() reads, which takes no context.
 */
struct lp_roots {
	const char *dev;	/* the device node, "/dev/scalepool" */
	const char *module;	/* "/sys/module/scalepool" */
	const char *sysfs;	/* "/sys/kernel/scalepool" */
	const char *node;	/* "/sys/devices/system/node" */
	const char *pci;	/* "/sys/bus/pci" */
	const char *proc;	/* "/proc" */
};

#ifndef offsetofend
#define offsetofend(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* sysfs attributes are at most a page; members' are much shorter. */
#define LP_ATTR_MAX		4096

enum lp_fw_figure {
	LP_FW_READ_LATENCY,
	LP_FW_WRITE_LATENCY,
	LP_FW_READ_BANDWIDTH,
	LP_FW_WRITE_BANDWIDTH,
	LP_FW_NR,
};

/* Figures measured from one initiator CPU node (measured.c). */
struct lp_measured {
	int initiator;
	unsigned long long latency_ns;
	unsigned long long bandwidth_mbps;
};

struct pool_member {
	struct pool_ctx *ctx;
	struct pool_member *next;	/* ascending id */
	unsigned int id;
	char *kind;
	char *name;
	char *memory;
	int node;
	unsigned long long capacity;
	unsigned long long used;
	unsigned long long limit;
	long long free;			/* -ENODATA when not published */
	long long fw[LP_FW_NR];		/* -ENODATA when unknown */
	struct lp_measured *measured;	/* ascending initiator */
	int nr_measured;
	/*
	 * CXL chain, NULL/0 unless memory is "cxl" and it resolved;
	 * resolved on the first getter that asks (cxl_resolved), not by
	 * pool_new().
	 */
	bool cxl_resolved;
	struct daxctl_dev *dax;
	struct cxl_region *region;
	int nr_memdevs;
	struct cxl_memdev **memdevs;	/* by interleave position */
	/* Peer members ("bar", "p2pmem"); NULL/-1/0 for node members. */
	char *pci;
	int bar;
	int nr_peers;
	unsigned int *peer_ids;		/* other peer members ... */
	int *peer_dist;			/* ... and the distance to each */
};

struct pool_ctx {
	int refcount;
	void (*log_fn)(struct pool_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args);
	int log_priority;
	void *userdata;
	int fd;				/* /dev/scalepool, -1 in tests */
	unsigned int abi_version;
	unsigned int query_nr_members;
	unsigned long long caps;
	struct lp_roots roots;		/* copies, none NULL */
	struct pool_member *members;
	int nr_members;
	struct cxl_ctx *cxl;		/* created when a CXL member exists */
	struct daxctl_ctx *daxctl;
	bool cxl_load_reported;	/* cx_ready() said why it failed */
};

__attribute__((format(printf, 6, 7)))
void lp_log(struct pool_ctx *ctx, int priority, const char *file, int line,
	    const char *fn, const char *format, ...);

#define POOL_LOG(ctx, prio, ...)					\
	do {								\
		if ((ctx)->log_priority >= (prio))			\
			lp_log(ctx, prio, __FILE__, __LINE__, __func__,	\
			       __VA_ARGS__);				\
	} while (0)

#define dbg(ctx, ...)	POOL_LOG(ctx, LOG_DEBUG, __VA_ARGS__)
#define info(ctx, ...)	POOL_LOG(ctx, LOG_INFO, __VA_ARGS__)
#define err(ctx, ...)	POOL_LOG(ctx, LOG_ERR, __VA_ARGS__)

/*
 * A context without a device or members, its files under @roots (NULL:
 * all the real ones).  pool_new() uses it with NULL; host tests root it
 * in fake trees (selftests/host/fake-sysfs.h), the one way to do so:
 * nothing of it is in the ABI.
 */
int lp_ctx_alloc(struct pool_ctx **ctx, const struct lp_roots *roots);
void lp_ctx_free(struct pool_ctx *ctx);

/* member.c */
int lp_members_load(struct pool_ctx *ctx);
void lp_members_free(struct pool_ctx *ctx);
int lp_read_attr(struct pool_ctx *ctx, const char *path, char *buf,
		 size_t len);
/* One write(2) of @val to the sysfs file @path; -errno, logged with dbg. */
int lp_write_attr(struct pool_ctx *ctx, const char *path, const char *val);
int lp_parse_u64(const char *str, unsigned long long *val);
int lp_parse_int(const char *str, int *val);

/*
 * util.c: an enum's name from a table indexed by value (NULL when out of
 * range), and the value of a name (-EINVAL when unknown).
 */
const char *lp_name_of(const char *const *names, size_t nr, int value);
int lp_name_index(const char *const *names, size_t nr, const char *name);

/* pci.c */
int lp_member_load_peer(struct pool_member *m, const char *dir);
void lp_member_clear_peer(struct pool_member *m);
/*
 * "DDDD:BB:DD.F" (a domain of 4 to 8 hex digits) to a PCI domain and
 * SCALEPOOL_PCI_BDF(); 0 or -EINVAL.
 */
int lp_parse_bdf(const char *bdf, unsigned int *domain, unsigned int *bdf16);

struct pool_buf {
	struct pool_ctx *ctx;		/* holds a reference */
	int fd;				/* the handle's: ctx->fd or borrowed */
	bool borrowed;			/* another process's (migrate.c) */
	void *addr;			/* NULL when borrowed */
	size_t size;			/* page-rounded */
	unsigned int handle;
	int policy;
};

/*
 * OPTS rules (alloc.c): -EINVAL when @sz cannot even hold the size
 * field, -E2BIG when the caller's struct is longer than @known and its
 * extra bytes are not all zero.  A field counts when the caller's
 * struct holds all of it.
 */
int lp_opts_check(const void *opts, size_t sz, size_t known);
#define LP_OPTS_HAS(opts, field)					\
	((opts) && (opts)->sz >= offsetofend(typeof(*(opts)), field))
#define LP_OPTS_GET(opts, field, fallback)				\
	(LP_OPTS_HAS(opts, field) ? (opts)->field : (fallback))

/*
 * A SCALEPOOL_ALLOC request built from pool_alloc()'s arguments
 * (alloc.c), without the ioctl, so that host tests can check it.
 * *ids is the member array the request points to (NULL or malloc'ed,
 * for the caller to free).
 */
struct scalepool_alloc;
int lp_alloc_request(struct pool_ctx *ctx, size_t size,
		     const struct pool_alloc_opts *opts,
		     struct scalepool_alloc *req, unsigned int **ids);
/*
 * The placement fields that ALLOC and MIGRATE share, from a
 * pool_alloc_opts (alloc.c): one conversion for pool_alloc() and
 * pool_buf_migrate().  Checks the opts' size and tail, the policy and
 * the member/node exclusion, resolves @nodes; *ids as above.  Fields
 * only ALLOC has (flags, initiator_pci) are the caller's business.
 */
struct lp_place {
	unsigned int policy;
	unsigned int nr_members;
	uint64_t members_ptr;
	uint64_t weights_ptr;
	uint64_t granularity;
	int initiator;
};
int lp_place_request(struct pool_ctx *ctx,
		     const struct pool_alloc_opts *opts,
		     struct lp_place *place, unsigned int **ids);
/* Into a struct scalepool_alloc or _migrate: their fields share names. */
#define LP_PLACE_SET(req, place)					\
	do {								\
		(req)->policy = (place)->policy;			\
		(req)->nr_members = (place)->nr_members;		\
		(req)->members_ptr = (place)->members_ptr;		\
		(req)->weights_ptr = (place)->weights_ptr;		\
		(req)->granularity = (place)->granularity;		\
		(req)->initiator = (place)->initiator;			\
	} while (0)
/*
 * A SCALEPOOL_MIGRATE request for @handle built from pool_buf_migrate()'s
 * arguments (migrate.c), without the ioctl; *ids as above.
 */
struct scalepool_migrate;
int lp_migrate_request(struct pool_ctx *ctx, unsigned int handle,
		       size_t offset, size_t length,
		       const struct pool_alloc_opts *opts,
		       struct scalepool_migrate *req, unsigned int **ids);
/* The node members of the nodes set in @nodes, ascending (alloc.c). */
struct bitmask;
int lp_nodes_to_members(struct pool_ctx *ctx, struct bitmask *nodes,
			unsigned int **ids, unsigned int *nr);

/*
 * usage.c: the /dev/scalepool fds of process @pid under the context's
 * proc root, ascending, in a malloc'ed array (*nr 0 and *fds NULL when
 * none); the errno of opendir(3) when the process is gone (-ENOENT) or
 * hidden (-EACCES).
 */
int lp_process_pool_fds(struct pool_ctx *ctx, int pid, int **fds,
			size_t *nr);

/* measured.c */
int lp_member_load_measured(struct pool_member *m);
void lp_member_free_measured(struct pool_member *m);

/* cxl.c */
void lp_member_clear_cxl(struct pool_member *m);
void lp_cxl_release(struct pool_ctx *ctx);

#endif /* _LIBPOOL_PRIVATE_H_ */
