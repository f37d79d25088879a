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

#define POOL_DEV_PATH		"/dev/scalepool"
#define POOL_MODULE_PATH	"/sys/module/scalepool"
#define POOL_SYSFS_DIR		"/sys/kernel/scalepool"
#define POOL_NODE_DIR		"/sys/devices/system/node"
#define POOL_PCI_DIR		"/sys/bus/pci"
#define POOL_PROC_DIR		"/proc"

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
	/* CXL chain, NULL/0 unless memory is "cxl" and it resolved. */
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
	char *sysfs_dir;		/* POOL_SYSFS_DIR unless a test */
	char *node_dir;			/* POOL_NODE_DIR unless a test */
	char *proc_dir;			/* POOL_PROC_DIR unless a test */
	char *pci_dir;			/* POOL_PCI_DIR unless a test */
	struct pool_member *members;
	int nr_members;
	struct cxl_ctx *cxl;		/* created when a CXL member exists */
	struct daxctl_ctx *daxctl;
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
 * A context without a device: sysfs_dir and node_dir replace the real
 * directories when not NULL.  pool_new() uses it with NULL, the host
 * tests with a fake sysfs tree.
 */
int lp_ctx_alloc(struct pool_ctx **ctx, const char *sysfs_dir,
		 const char *node_dir);
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
/* @names[@i], NULL when out of range; the index of @name, or -EINVAL. */
const char *lp_name_of(const char *const *names, size_t nr, int i);
int lp_index_of(const char *const *names, size_t nr, const char *name);

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
	void *addr;
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
/* The node members of the nodes set in @nodes, ascending (alloc.c). */
struct bitmask;
int lp_nodes_to_members(struct pool_ctx *ctx, struct bitmask *nodes,
			unsigned int **ids, unsigned int *nr);

/* measured.c */
int lp_member_load_measured(struct pool_member *m);
void lp_member_free_measured(struct pool_member *m);

/* cxl.c */
void lp_member_resolve_cxl(struct pool_member *m);
void lp_member_clear_cxl(struct pool_member *m);
void lp_cxl_release(struct pool_ctx *ctx);

/* bench.c, bench-loops.c: the measurement engine. */
#include <stdatomic.h>

#define LP_BENCH_LINE		64	/* bytes of a cache line */
#define LP_BENCH_CHUNK_ALIGN	4096	/* slices and chunks are pages */
#define LP_BENCH_SCALAR		3.0	/* STREAM's triad scalar */

struct lp_bench_loops {
	uint64_t (*read)(const void *src, size_t bytes);
	void (*write)(void *dst, size_t bytes);
	void (*copy)(void *dst, const void *src, size_t bytes);
	void (*triad)(void *dst, const void *b, const void *c, size_t bytes);
};

bool lp_bench_isa_supported(int isa);
int lp_bench_resolve_isa(int isa);
/* The loops of a resolved, supported ISA; NULL otherwise. */
const struct lp_bench_loops *lp_bench_get_loops(int isa);
/*
 * Default sizes (bench.c), exposed for the host tests: the bandwidth
 * arrays' (*@shrunk set when slow memory made them smaller) and the
 * chase's buffer's, from the LLC's size (<= 0: unknown), the probed
 * speed in MB/s and the seconds left.
 */
size_t lp_bench_array_size(long long llc, double mbps, double budget,
			   unsigned int arrays, unsigned int nkinds,
			   bool *shrunk);
size_t lp_bench_latency_size(long long llc, double mbps, double budget);
/*
 * Links the cache lines of @buf into one random cycle (each line's first
 * word points to the next line); returns the number of lines, 0 when
 * @size holds fewer than two or more than 2^32 lines, or the index array
 * of the shuffle (4 bytes a line, from malloc()) cannot be had.
 */
unsigned long long lp_bench_chase_build(void *buf, size_t size,
					 unsigned long long seed);
/*
 * Follows the chain from *@pos for @loads loads (rounded up to a batch
 * of 256) or until *@stop, one batch at least; returns the loads done
 * and leaves *@pos at the end.
 */
unsigned long long lp_bench_chase(void **pos, unsigned long long loads,
				  const atomic_int *stop);

/*
 * A team of worker threads pinned to the CPUs of one node, one CPU each
 * in turn (bench.c); exposed for the host tests.  lp_bench_team_run()
 * runs @fn(@arg, worker index) on every worker at once and returns when
 * all are done; after it, @cpus[i] is the CPU worker i last ran on.
 */
struct lp_bench_team;
int lp_bench_team_start(int node, unsigned int nr_threads,
			struct lp_bench_team **team);
void lp_bench_team_run(struct lp_bench_team *team,
		       void (*fn)(void *arg, unsigned int index), void *arg);
int lp_bench_team_cpu(struct lp_bench_team *team, unsigned int index);
void lp_bench_team_stop(struct lp_bench_team *team);

#endif /* _LIBPOOL_PRIVATE_H_ */
