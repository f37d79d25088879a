/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpool: the C API of scalepool, one memory pool over DRAM, CXL and
 * PCIe-attached memory.
 *
 * Objects are opaque and reached from a context: pool_new() opens
 * /dev/scalepool and loads the pool's members; every other object
 * belongs to the context and lives until pool_refresh() or the last
 * pool_unref().  Functions that can fail return a negative errno.
 *
 * The manual pages document every function: libpool(3) lists them, and
 * each function's name is a page in section 3 (man 3 pool_alloc).
 */
#ifndef _LIBPOOL_H_
#define _LIBPOOL_H_

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pool_ctx;
struct pool_member;
struct pool_buf;

/* Objects of libcxl and libdaxctl that a CXL member resolves to. */
struct cxl_region;
struct cxl_memdev;
struct daxctl_dev;

/* Create a library context for /dev/scalepool. */
int pool_new(struct pool_ctx **ctx);

/* Take a reference on a context. */
struct pool_ctx *pool_ref(struct pool_ctx *ctx);

/* Drop a reference on a context. */
void pool_unref(struct pool_ctx *ctx);

/* Reload the members of a context. */
int pool_refresh(struct pool_ctx *ctx);

/* ABI version of the running module. */
unsigned int pool_get_abi_version(struct pool_ctx *ctx);

/* Capabilities of the running module. */
unsigned long long pool_get_caps(struct pool_ctx *ctx);

/* Number of members loaded in a context. */
int pool_get_nr_members(struct pool_ctx *ctx);

/* Route the library's log messages. */
void pool_set_log_fn(struct pool_ctx *ctx,
		     void (*log_fn)(struct pool_ctx *ctx, int priority,
				    const char *file, int line,
				    const char *fn, const char *format,
				    va_list args));

/* Current log priority of a context. */
int pool_get_log_priority(struct pool_ctx *ctx);

/* Set the log priority of a context. */
void pool_set_log_priority(struct pool_ctx *ctx, int priority);

/* Attach caller data to a context. */
void pool_set_userdata(struct pool_ctx *ctx, void *userdata);

/* Caller data attached to a context. */
void *pool_get_userdata(struct pool_ctx *ctx);

/* First member of a context. */
struct pool_member *pool_member_get_first(struct pool_ctx *ctx);

/* Next member in id order. */
struct pool_member *pool_member_get_next(struct pool_member *member);

#define pool_member_foreach(ctx, member)				\
	for (member = pool_member_get_first(ctx); member != NULL;	\
	     member = pool_member_get_next(member))

/* Look a member up by its id. */
struct pool_member *pool_member_get_by_id(struct pool_ctx *ctx,
					  unsigned int id);

/* Context a member belongs to. */
struct pool_ctx *pool_member_get_ctx(struct pool_member *member);

/* Id of a member. */
unsigned int pool_member_get_id(struct pool_member *member);

/* Kind of a member. */
const char *pool_member_get_kind(struct pool_member *member);

/* Stable name of a member. */
const char *pool_member_get_name(struct pool_member *member);

/* Home NUMA node of a member. */
int pool_member_get_node(struct pool_member *member);

/* Type of memory behind a member. */
const char *pool_member_get_memory(struct pool_member *member);

/* Size of a member. */
unsigned long long pool_member_get_capacity(struct pool_member *member);

/* Bytes of a member in use. */
unsigned long long pool_member_get_used(struct pool_member *member);

/* Administrator's limit on a member. */
unsigned long long pool_member_get_limit(struct pool_member *member);

/* Firmware read latency of a member. */
long long pool_member_get_fw_read_latency(struct pool_member *member);

/* Firmware write latency. */
long long pool_member_get_fw_write_latency(struct pool_member *member);

/* Firmware read bandwidth. */
long long pool_member_get_fw_read_bandwidth(struct pool_member *member);

/* Firmware write bandwidth. */
long long pool_member_get_fw_write_bandwidth(struct pool_member *member);

/* PCI device of a peer member. */
const char *pool_member_get_pci(struct pool_member *member);

/* BAR index of a peer member. */
int pool_member_get_bar(struct pool_member *member);

/* Peer-to-peer distance of two members. */
int pool_member_get_peer_distance(struct pool_member *member,
				  struct pool_member *peer);

/* Is a string a PCI device address. */
int pool_pci_check_address(const char *bdf);

/* Make a BAR of a PCI device a "bar" member. */
int pool_member_add_bar(struct pool_ctx *ctx, const char *bdf, int bar,
			unsigned int *id);

/* Remove a "bar" member. */
int pool_member_remove(struct pool_member *member);

/* Dax device that onlined a CXL member. */
struct daxctl_dev *pool_member_get_dax_device(struct pool_member *member);

/* CXL region behind a CXL member. */
struct cxl_region *pool_member_get_cxl_region(struct pool_member *member);

/* Memory devices of a CXL member. */
int pool_member_get_nr_cxl_memdevs(struct pool_member *member);

/* One memory device of a CXL member. */
struct cxl_memdev *pool_member_get_cxl_memdev(struct pool_member *member,
					      int index);

/* Names of the chain's dax device, region and memory devices. */
const char *pool_member_get_dax_device_name(struct pool_member *member);
const char *pool_member_get_cxl_region_name(struct pool_member *member);
const char *pool_member_get_cxl_memdev_name(struct pool_member *member,
					    int index);

/* Parse a size with an optional binary suffix. */
int pool_parse_size(const char *str, unsigned long long *size);

/* Format a byte count for people. */
int pool_format_size(unsigned long long bytes, char *buf, size_t len);

/* Free memory on a member's node. */
long long pool_member_get_free(struct pool_member *member);

/* Set the administrator's limit on a member. */
int pool_member_set_limit(struct pool_member *member,
			  unsigned long long bytes);

/* Move every page of a member to other members. */
int pool_member_drain(struct pool_member *member);

/* Why the member's memory could not be emptied. */
int pool_member_get_refused(struct pool_member *member, char *buf,
			    size_t len);

/* Tiering's counters of a member, in bytes, read now. */
int pool_member_get_tier(struct pool_member *member,
			 unsigned long long *sampled,
			 unsigned long long *promoted,
			 unsigned long long *demoted);

/* Record access figures measured from a node. */
int pool_member_set_measured(struct pool_member *member, int initiator,
			     unsigned long long latency_ns,
			     unsigned long long bandwidth_mbps);

/* Drop a member's measured figures. */
int pool_member_clear_measured(struct pool_member *member);

/* Access figures measured from a node. */
int pool_member_get_measured(struct pool_member *member, int initiator,
			     unsigned long long *latency_ns,
			     unsigned long long *bandwidth_mbps);

/* Walk the nodes with measured figures. */
int pool_member_get_next_measured(struct pool_member *member, int after);

/* Placement policies, the values of SCALEPOOL_POLICY_*: pool_alloc(3). */
#define POOL_POLICY_BIND	0	/* only the set, nearest first */
#define POOL_POLICY_PREFERRED	1	/* members[0], then the rest */
#define POOL_POLICY_INTERLEAVE	2	/* weighted round robin */
#define POOL_POLICY_NEAREST	3	/* the one nearest member */
#define POOL_POLICY_TIERED	4	/* fastest tier first, then spill */

/* struct pool_alloc_opts @flags, the values of SCALEPOOL_ALLOC_*. */
#define POOL_ALLOC_POPULATE	(1U << 0)	/* map every page at mmap */
#define POOL_ALLOC_NO_HUGE	(1U << 1)	/* 4 KiB pages only */

/* The initiator is the CPU node of the calling thread. */
#define POOL_INITIATOR_LOCAL	(-1)

/* How pool_alloc() places an allocation; declare it with POOL_OPTS(). */
struct pool_alloc_opts {
	size_t sz;			/* sizeof, set by POOL_OPTS() */
	int policy;			/* POOL_POLICY_* */
	unsigned int flags;		/* POOL_ALLOC_* */
	const unsigned int *members;	/* member ids, in order */
	unsigned int nr_members;	/* entries in members and weights */
	const char *nodes;		/* or a NUMA node list: "0-1,3" */
	const unsigned int *weights;	/* INTERLEAVE: 1 to 255 each */
	unsigned long long granularity;	/* INTERLEAVE: bytes per chunk */
	int initiator;			/* CPU node, with initiator_set */
	bool initiator_set;		/* take initiator into account */
	const char *initiator_pci;	/* NEAREST: "DDDD:BB:DD.F" */
	size_t :0;
};

/* Declares struct TYPE NAME zeroed, with .sz set: pool_alloc(3). */
#define POOL_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = __extension__ ({				\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE) {						\
			.sz = sizeof(struct TYPE),			\
			__VA_ARGS__					\
		};							\
	})

/* Where some of an allocation's bytes live. */
struct pool_placement {
	unsigned int member;		/* member id */
	int node;			/* the member's NUMA node */
	unsigned long long bytes;	/* bytes on that member */
	unsigned long long huge_bytes;	/* of which in 2 MiB pages */
};

/* Allocate memory from the pool and map it. */
int pool_alloc(struct pool_ctx *ctx, size_t size,
	       const struct pool_alloc_opts *opts, struct pool_buf **buf);

/* Unmap and free an allocation. */
int pool_buf_free(struct pool_buf *buf);

/*
 * Drop the library's object of an allocation without unmapping or
 * freeing it: in a child after fork(), whose mappings hold the memory
 * but whose handle belongs to the parent's open file.  Since LIBPOOL_1.8.
 */
void pool_buf_disown(struct pool_buf *buf);

/* Address of an allocation's mapping. */
void *pool_buf_get_addr(struct pool_buf *buf);

/* Size of an allocation. */
size_t pool_buf_get_size(struct pool_buf *buf);

/* Module handle of an allocation. */
unsigned int pool_buf_get_handle(struct pool_buf *buf);

/* Placement policy of an allocation. */
int pool_buf_get_policy(struct pool_buf *buf);

/* Where an allocation's bytes live. */
int pool_buf_get_placement(struct pool_buf *buf, struct pool_placement *out,
			   unsigned int nr);

/* What placed an allocation, the values of SCALEPOOL_BASIS_*. */
#define POOL_BASIS_NONE		0	/* nothing ranked: caller's order */
#define POOL_BASIS_DISTANCE	1	/* SLIT distance */
#define POOL_BASIS_FIRMWARE	2	/* HMAT/CDAT figures (memory tiers) */
#define POOL_BASIS_MEASURED	3	/* measured figures */

/* What placed an allocation. */
int pool_buf_get_basis(struct pool_buf *buf);

/* Name of a placement basis. */
const char *pool_basis_name(int basis);

/* What happened to an allocation, the values of SCALEPOOL_INFO_STATE_*. */
#define POOL_BUF_REVOKED	(1U << 0)	/* its member went away */

/* What happened to an allocation since it was made. */
int pool_buf_get_state(struct pool_buf *buf);

/* Name of a placement policy. */
const char *pool_policy_name(int policy);

/* Placement policy of a name. */
int pool_policy_from_name(const char *name);

/* One process's use of the pool; later versions may add fields. */
struct pool_process_usage {
	int pid;
	const char *comm;		/* valid during the callback only */
	unsigned int nr_fds;		/* its fds on /dev/scalepool */
	unsigned long long allocations;	/* owned by those fds */
	unsigned long long bytes;	/* of those allocations */
	unsigned long long exported;	/* of them with a dma-buf (1.2) */
	unsigned long long exported_bytes; /* their bytes (1.2) */
};

/* The processes that use the pool. */
int pool_for_each_process_usage(struct pool_ctx *ctx,
				int (*fn)(const struct pool_process_usage *u,
					  void *arg),
				void *arg);

/* One allocation of a process (1.6); later versions may add fields. */
struct pool_process_allocation {
	int pid;
	const char *comm;		/* valid during the callback only */
	int fd;				/* the fd owning it, in that process */
	unsigned int handle;		/* its handle on that fd */
	unsigned long long length;	/* bytes */
	unsigned long long offset;	/* its mmap offset on that fd */
	int policy;			/* POOL_POLICY_* */
};

/* Every allocation of every process. */
int pool_for_each_process_allocation(struct pool_ctx *ctx,
		int (*fn)(const struct pool_process_allocation *a, void *arg),
		void *arg);

/* Move an allocation, or part of it, to other members. */
int pool_buf_migrate(struct pool_buf *buf, size_t offset, size_t length,
		     const struct pool_alloc_opts *opts,
		     unsigned long long *moved);

/* Reach another process's allocation. */
int pool_process_buf_open(struct pool_ctx *ctx, int pid, int fd,
			  unsigned int handle, struct pool_buf **buf);

/* Move another process's allocation. */
int pool_process_migrate(struct pool_ctx *ctx, int pid, int fd,
			 unsigned int handle, size_t offset, size_t length,
			 const struct pool_alloc_opts *opts,
			 unsigned long long *moved);

/* The measurement engine: pool_bench_member(3). */

/* What to measure: struct pool_bench_opts @kinds bits. */
#define POOL_BENCH_LATENCY	(1U << 0)	/* dependent-load chase */
#define POOL_BENCH_READ		(1U << 1)	/* loads into registers */
#define POOL_BENCH_WRITE	(1U << 2)	/* stores of a constant */
#define POOL_BENCH_COPY		(1U << 3)	/* a[i] = b[i] */
#define POOL_BENCH_TRIAD	(1U << 4)	/* a[i] = b[i] + s * c[i] */
#define POOL_BENCH_ALL		0x1fU
#define POOL_BENCH_NR_KINDS	5
#define POOL_BENCH_MAX_THREADS	1024

/* Instructions of the bandwidth loops: struct pool_bench_opts @isa. */
#define POOL_BENCH_ISA_AUTO	0	/* the widest the CPU has */
#define POOL_BENCH_ISA_SCALAR	1	/* 64-bit general-purpose moves */
#define POOL_BENCH_ISA_SSE2	2	/* 128-bit movdqa/movaps, mulpd/addpd */
#define POOL_BENCH_ISA_AVX2	3	/* 256-bit vmovdqa, vmulpd/vaddpd */

/* Stores of write, copy and triad: struct pool_bench_opts @stores. */
#define POOL_BENCH_STORES_AUTO	0	/* non-temporal above the LLC */
#define POOL_BENCH_STORES_NORMAL 1	/* ordinary stores (mov, movdqa) */
#define POOL_BENCH_STORES_NT	2	/* non-temporal (movnti, movntdq) */
/* The kinds that store, and so can use non-temporal stores. */
#define POOL_BENCH_STORING	(POOL_BENCH_WRITE | POOL_BENCH_COPY | \
				 POOL_BENCH_TRIAD)

/* How pool_bench_member() measures; declare it with POOL_OPTS(). */
struct pool_bench_opts {
	size_t sz;			/* sizeof, set by POOL_OPTS() */
	unsigned int kinds;		/* POOL_BENCH_* bits; 0: all */
	unsigned long long size;	/* bytes of each array; 0: auto */
	double time;			/* seconds per call; 0: 5 */
	unsigned int threads;		/* bandwidth threads; 0: per CPU */
	unsigned int repetitions;	/* timed passes per kind; 0: 10 */
	int isa;			/* POOL_BENCH_ISA_* */
	unsigned long long seed;	/* of the chase; 0: a fixed one */
	void (*progress)(unsigned int kind, void *arg); /* per kind */
	void *progress_arg;		/* passed to progress */
	int stores;			/* POOL_BENCH_STORES_* (1.7) */
	size_t :0;
};

/* One measured figure: the median of the repetitions and more. */
struct pool_bench_figure {
	double value;			/* median: ns per load, or MB/s */
	double min;			/* smallest repetition */
	double max;			/* largest repetition */
	unsigned int repetitions;	/* timed repetitions completed */
	bool partial;			/* from a partial repetition */
	unsigned long long bytes;	/* bytes (latency: loads) measured */
	double seconds;			/* time of the timed repetitions */
	bool cache_bound;		/* buffer below the LLC */
};

/* What one call measured; set sz (POOL_OPTS() does). */
struct pool_bench_result {
	size_t sz;			/* sizeof; no more is written */
	int initiator;			/* CPU node the threads ran on */
	int node;			/* NUMA node of the memory */
	int member;			/* member id, -1 from bench_node */
	unsigned int kinds;		/* POOL_BENCH_* bits measured */
	unsigned long long size;	/* bytes of each array, as used */
	bool shrunk;			/* size shrunk: slow memory */
	double probe_mbps;		/* copy speed of the quick pass */
	unsigned long long llc_size;	/* initiator's LLC; 0: unknown */
	bool cache_bound;		/* some figure is cache_bound */
	unsigned int threads;		/* bandwidth threads used */
	int isa;			/* POOL_BENCH_ISA_* used */
	unsigned long long lines;	/* cache lines of the chase */
	unsigned long long latency_size; /* bytes of the chase */
	/* By kind, in bit order: latency, read, write, copy, triad. */
	struct pool_bench_figure figures[POOL_BENCH_NR_KINDS];
	int stores;			/* POOL_BENCH_STORES_* asked (1.7) */
	unsigned int nt_kinds;		/* kinds with nt stores (1.7) */
	size_t :0;
};

/* Measure a member from an initiator node. */
int pool_bench_member(struct pool_member *member, int initiator,
		      const struct pool_bench_opts *opts,
		      struct pool_bench_result *res);

/* Measure a plain NUMA node, without the module. */
int pool_bench_node(int node, int initiator,
		    const struct pool_bench_opts *opts,
		    struct pool_bench_result *res);

/* Name of a measurement kind. */
const char *pool_bench_kind_name(unsigned int kind);

/* Name of a POOL_BENCH_ISA_* value. */
const char *pool_bench_isa_name(int isa);
int pool_bench_isa_from_name(const char *name);

/* Last-level cache of a CPU node. */
long long pool_bench_llc_size(int node);

/*
 * As pool_bench_member(), over memory that pool_alloc(@ctx, @alloc) places
 * (a policy over several members; POOL_ALLOC_POPULATE is added); the
 * result's @member and @node are -1.  Since LIBPOOL_1.7.
 */
int pool_bench_alloc(struct pool_ctx *ctx, const struct pool_alloc_opts *alloc,
		     int initiator, const struct pool_bench_opts *opts,
		     struct pool_bench_result *res);

/*
 * Loaded latency (lib/bench-loaded.c, since LIBPOOL_1.7): the chase's
 * latency on one thread while the other threads of the initiator inject
 * traffic into the same memory at a series of rates, idle to saturation.
 */
#define POOL_BENCH_INJECT_READ	0	/* the injectors read (loads only) */
#define POOL_BENCH_INJECT_COPY	1	/* they copy: one read, one write */
#define POOL_BENCH_MAX_POINTS	32

/* How pool_bench_loaded_*() measure; POOL_OPTS(), every field 0: default. */
struct pool_bench_loaded_opts {
	size_t sz;
	unsigned long long size;	/* chase buffer and injectors' arrays */
	double time;			/* seconds per call; default 5 */
	unsigned int threads;		/* chase + injectors, >= 2; all CPUs */
	unsigned int points;		/* 2..32 rates, idle to full; 8 */
	int inject;			/* POOL_BENCH_INJECT_* */
	int isa;			/* of the injectors' loops */
	unsigned long long seed;	/* of the chase's cycle */
	void (*progress)(unsigned int point, void *arg); /* before each */
	void *progress_arg;
	size_t :0;
};

/* One point of the curve; MB/s counted as STREAM does (copy: 2 bytes). */
struct pool_bench_point {
	double target_mbps;	/* asked of the injectors; 0: idle */
	double inject_mbps;	/* what they moved */
	double latency_ns;	/* the chase meanwhile, per load */
	unsigned long long loads;
	double seconds;
};

/*
 * A curve, points by ascending target, the last one unthrottled.  Set
 * @sz (POOL_OPTS() does); a smaller one is -EINVAL.
 */
struct pool_bench_curve {
	size_t sz;			/* sizeof; POOL_OPTS() sets it */
	int initiator;
	int node;
	int member;			/* -1 from pool_bench_loaded_node() */
	unsigned int threads;		/* chase + injectors */
	bool shared_cpus;		/* more threads than the node's CPUs */
	int inject;
	int isa;
	unsigned long long latency_size;	/* the chase's buffer */
	unsigned long long inject_size;	/* an array, the injectors' slices */
	unsigned long long llc_size;
	unsigned long long lines;	/* of the chase */
	bool cache_bound;		/* the chase's buffer < the LLC */
	double probe_mbps;
	unsigned int nr_points;
	struct pool_bench_point points[POOL_BENCH_MAX_POINTS];
	size_t :0;
};

/*
 * Measure @member's (or plain NUMA @node's) loaded latency from the CPUs
 * of @initiator.  0 or a negative errno: -EINVAL for bad arguments or
 * fewer than two threads, -E2BIG for unknown option bytes, else as
 * pool_bench_member() and pool_bench_node().
 */
int pool_bench_loaded_member(struct pool_member *member, int initiator,
			     const struct pool_bench_loaded_opts *opts,
			     struct pool_bench_curve *res);
int pool_bench_loaded_node(int node, int initiator,
			   const struct pool_bench_loaded_opts *opts,
			   struct pool_bench_curve *res);

/* pool_buf_export() @flags */
#define POOL_EXPORT_CLOEXEC	(1U << 0)	/* the new fd is close-on-exec */
#define POOL_EXPORT_RDONLY	(1U << 1)	/* a read-only dma-buf */

/* Export an allocation as a dma-buf. */
int pool_buf_export(struct pool_buf *buf, int flags);

/* Pass a descriptor over a unix socket. */
int pool_fd_send(int sock, int fd);

/* Receive a descriptor from a unix socket. */
int pool_fd_recv(int sock);

/* Map a whole dma-buf. */
void *pool_dmabuf_map(int fd, size_t *size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* _LIBPOOL_H_ */
