// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool-preload.so: the malloc family of an unmodified program, with
 * allocations of at least a threshold placed in pool memory (pool_alloc()
 * with a policy from the environment) and smaller ones left to glibc's
 * malloc, as in the unbound program.  Documentation/bind.rst gives the
 * design: one jemalloc arena whose extent hooks take pool memory, set
 * up at the first allocation it serves, a pool buffer of their own for
 * allocations of 32 MiB and more, an eager copy of both at fork
 * (pthread_atfork), and the fallback to glibc's malloc, counted, when
 * the pool cannot serve.
 *
 * Environment (scalepool-bind(7)): SCALEPOOL_BIND_POLICY, _NODES,
 * _MEMBERS, _WEIGHTS, _GRANULARITY, _INITIATOR, _THRESHOLD, _STRICT,
 * _STATS.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/mman.h>

#include <gnu/lib-names.h>
#include <malloc.h>
#include <jemalloc/jemalloc.h>
#include <linux/scalepool.h>
#include <libpool.h>

#include "place-rules.h"

#define BIND_EXPORT		__attribute__((visibility("default")))
#define BIND_TLS		__attribute__((tls_model("initial-exec")))
#define BIND_MAX_REGIONS	4096
/*
 * Allocations of this size and more get a pool buffer each, outside
 * jemalloc, given back to the pool at free(): glibc's largest mmap
 * threshold.  jemalloc would put them in an extent of its next size class
 * plus a page, grown to its next extent size (a 64 MiB + 32 request took
 * a 96 MiB region), all zeroed at ALLOC, and would keep it for the life
 * of the process.
 */
#define BIND_DIRECT_MIN		(32UL << 20)
#define BIND_MAX_DIRECT		4096
#define BIND_DEFAULT_THRESHOLD	(256UL << 10)
/* glibc never aligns less than this (MALLOC_ALIGNMENT on x86-64). */
#define BIND_LIBC_ALIGN		16UL
/* A racy peek is enough: a stale value only costs a copy. */
#define READ_ONCE_INT(x)	(*(volatile int *)&(x))

/* Why an allocation that should have gone to the pool did not. */
enum bind_reason {
	BIND_FB_NO_MODULE,	/* no /dev/scalepool, or pool_new() failed */
	BIND_FB_FULL,		/* ENOMEM: the allowed members lack memory */
	BIND_FB_LIMIT,		/* ENOSPC: a member's limit */
	BIND_FB_OTHER,		/* any other error, or too many regions */
	BIND_FB_NR,
};

static const char *const bind_reason_names[BIND_FB_NR] = {
	[BIND_FB_NO_MODULE] = "no_module",
	[BIND_FB_FULL] = "pool_full",
	[BIND_FB_LIMIT] = "member_limit",
	[BIND_FB_OTHER] = "other",
};

/*
 * A pool mapping: one the arena's extents live in, never unmapped, or a
 * direct allocation's, unmapped at its free().
 */
struct bind_region {
	void *addr;
	size_t size;
	struct pool_buf *buf;	/* NULL once a fork copy replaced it */
	bool private_mem;	/* anonymous private copy: fork needs none */
};

/* The copy of a region taken before fork. */
struct bind_snap {
	void *addr;
	struct pool_buf *buf;	/* NULL: anonymous memory */
};

struct bind_counter {
	atomic_ullong requests;
	atomic_ullong bytes;
};

static struct {
	size_t threshold;
	bool strict;
	bool enabled;			/* a usable configuration */
	struct place_rules place;	/* the opts' members and weights */
	struct pool_alloc_opts opts;
	const char *stats;
	pid_t stats_pid;		/* 0: every process */
} cfg = { .threshold = SIZE_MAX };

/*
 * jemalloc's options, which its constructor reads from this symbol when
 * the program defines none (MALLOC_CONF still overrides): its own
 * memory off transparent huge pages.  Under THP "always", which the
 * guests' Debian kernel has, the first touch of jemalloc's first
 * metadata block faulted in a whole 2 MiB page: about 20 ms of every
 * bound start under TCG (Documentation/benchmarks.rst).  Pool memory is
 * the module's and never was a transparent huge page.
 */
BIND_EXPORT const char *malloc_conf = "thp:never";

static atomic_int init_state;
static int stats_fd = -1;		/* 0 none, 1 running, 2 done */
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static unsigned int pool_arena;
static bool arena_ok;			/* set once, in arena_once */

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool_ctx *ctx;		/* under ctx_lock */
static int ctx_error;			/* pool_new()'s, cached */

/*
 * After ENOMEM (the allowed members are full) the pool is not asked
 * again for a pause: a failing ALLOC can be the slowest call the preload
 * makes (the module allocates and zeroes what it can of the request,
 * then gives it all back), and jemalloc would ask twice at every large
 * allocation of a program bound to a full node.  The pause
 * doubles with each failure in a row, from 10 ms to 1 s; a success ends
 * the series.  Under ctx_lock.
 */
#define BIND_PAUSE_MIN_NS	(10ULL * 1000 * 1000)
#define BIND_PAUSE_MAX_NS	(1000ULL * 1000 * 1000)
static unsigned long long full_until_ns, full_pause_ns;

static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bind_region regions[BIND_MAX_REGIONS];
static atomic_uint nr_regions;
/* The bounds of all regions: most free()s are glibc's, outside them. */
static atomic_uintptr_t regions_lo = UINTPTR_MAX, regions_hi;
static struct bind_snap snaps[BIND_MAX_REGIONS];
static unsigned int nr_snaps;

/*
 * Direct allocations, packed: a free() moves the last one into its slot.
 * Lock order: ctx_lock, then direct_lock.  direct_live is nr_direct for
 * the lock-free "there are none" of every free().
 */
static pthread_mutex_t direct_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bind_region direct[BIND_MAX_DIRECT];
static unsigned int nr_direct;
static atomic_uint direct_live;
static struct bind_snap direct_snaps[BIND_MAX_DIRECT];
static unsigned int nr_direct_snaps;
static atomic_ullong st_direct;

static unsigned long long member_bytes[SCALEPOOL_MAX_MEMBERS];
static int member_node[SCALEPOOL_MAX_MEMBERS];

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool fork_pending;
static atomic_int hooks_active;

static struct bind_counter st_pool, st_fallback[BIND_FB_NR];
static atomic_ullong st_strict_failed, st_fork_pool, st_fork_anon;
static atomic_ullong st_paused;		/* ENOMEM without asking */

/* In libpool or the preload's own setup: all goes to ordinary memory. */
static __thread int tl_inside BIND_TLS;
/* Why the last pool extent of this thread failed. */
static __thread int tl_fail BIND_TLS;
/* In arenas.create: jemalloc's metadata for the arena, not pool memory. */
static __thread bool tl_creating BIND_TLS;

/*
 * glibc's malloc under its exported second names (GLIBC_2.2.5): the
 * preload's own malloc family shadows the first.  malloc_usable_size
 * has none: bind_libc_usable() finds it.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/*
 * glibc's malloc_usable_size(), looked up in libc itself: dlsym(RTLD_NEXT)
 * could find a program's own allocator first (one linked to jemalloc).
 * Found by the constructor, or at the first use before it.
 */
static size_t (*_Atomic libc_usable)(void *);

static void bind_find_libc_usable(void)
{
	void *libc;

	tl_inside++;	/* dlopen() may allocate: glibc's memory */
	libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
	if (libc) {
		atomic_store(&libc_usable, (size_t (*)(void *))
			     dlsym(libc, "malloc_usable_size"));
		dlclose(libc);
	}
	tl_inside--;
}

static size_t bind_libc_usable(void *p)
{
	size_t (*fn)(void *) = atomic_load(&libc_usable);

	if (!fn) {
		bind_find_libc_usable();
		fn = atomic_load(&libc_usable);
	}
	return fn ? fn(p) : 0;
}

static void bind_count(struct bind_counter *c, size_t size)
{
	atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->bytes, size, memory_order_relaxed);
}

/* One line on stderr, without stdio (whose buffers malloc). */
static void bind_warn(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static int bind_reason_of(int rc)
{
	switch (rc) {
	case -ENODEV:
	case -ENOENT:
	case -EOPNOTSUPP:
	case -EPROTO:
		return BIND_FB_NO_MODULE;
	case -ENOMEM:
		return BIND_FB_FULL;
	case -ENOSPC:
		return BIND_FB_LIMIT;
	}
	return BIND_FB_OTHER;
}

/* ---- configuration from the environment ---- */

static bool bind_parse_size(const char *name, const char *s,
			    unsigned long long *val)
{
	if (pool_parse_size(s, val) || !*val) {
		bind_warn("libpool-preload: %s: bad size '%s'", name, s);
		return false;
	}
	return true;
}

static const char *bind_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * How many nodes SCALEPOOL_BIND_NODES names, when it is a plain list
 * ("0-1,3"); libnuma's other forms ("all", "!0") are left to libpool at
 * the first pool allocation (0: not counted).  Not libnuma here: this
 * runs at the first malloc, maybe before libnuma's constructor.
 */
static int bind_count_nodes(void *arg, const char *nodes, unsigned int *nr,
			    char *msg, size_t len)
{
	unsigned int ids[SCALEPOOL_MAX_MEMBERS];
	int rc = place_rules_list(nodes, true, SCALEPOOL_MAX_MEMBERS, ids, nr);

	(void)arg;
	if (rc == -E2BIG || rc == -EEXIST) {
		snprintf(msg, len, "%s in node list '%s'", rc == -E2BIG ?
			 "too many nodes" : "a node twice", nodes);
		return -rc;
	}
	if (rc)
		*nr = 0;
	return 0;
}

/* One SCALEPOOL_BIND_* setting by the rules poolctl's option obeys. */
static bool bind_place_var(const char *name,
			   int (*rule)(struct place_rules *, const char *,
				       char *, size_t))
{
	const char *v = bind_env(name);
	char msg[PLACE_MSG_MAX];

	if (!v || !rule(&cfg.place, v, msg, sizeof(msg)))
		return true;
	bind_warn("libpool-preload: %s: %s", name, msg);
	return false;
}

/*
 * The placement: the same names, values and rules as poolctl's
 * placement options (place-rules.c), the initiator's CPUs left to the
 * kernel.
 */
static bool bind_read_placement(void)
{
	static const struct place_rules_names names = {
		.members = "SCALEPOOL_BIND_MEMBERS",
		.nodes = "SCALEPOOL_BIND_NODES",
		.weights = "SCALEPOOL_BIND_WEIGHTS",
		.granularity = "SCALEPOOL_BIND_GRANULARITY",
		.policy = "SCALEPOOL_BIND_POLICY",
	};
	static const struct place_rules_system sys = {
		.count_nodes = bind_count_nodes,
	};
	struct place_rules *r = &cfg.place;
	char msg[PLACE_MSG_MAX];

	r->policy = -1;
	r->nodes = bind_env("SCALEPOOL_BIND_NODES");
	if (!bind_place_var("SCALEPOOL_BIND_POLICY", place_rules_policy) ||
	    !bind_place_var("SCALEPOOL_BIND_MEMBERS", place_rules_members) ||
	    !bind_place_var("SCALEPOOL_BIND_WEIGHTS", place_rules_weights) ||
	    !bind_place_var("SCALEPOOL_BIND_GRANULARITY",
			    place_rules_granularity) ||
	    !bind_place_var("SCALEPOOL_BIND_INITIATOR",
			    place_rules_initiator))
		return false;
	if (place_rules_check(r, &names, &sys, msg, sizeof(msg))) {
		bind_warn("libpool-preload: %s", msg);
		return false;
	}
	cfg.opts.sz = sizeof(cfg.opts);
	cfg.opts.policy = r->policy;
	cfg.opts.nodes = r->nodes;
	cfg.opts.members = r->members_arg ? r->members : NULL;
	cfg.opts.nr_members = r->members_arg ? r->nr_members : 0;
	cfg.opts.weights = r->have_weights ? r->weights : NULL;
	cfg.opts.granularity = r->granularity;
	cfg.opts.initiator = r->initiator;
	cfg.opts.initiator_set = r->have_initiator;
	return true;
}

static bool bind_read_env(void)
{
	const char *thr = bind_env("SCALEPOOL_BIND_THRESHOLD");
	const char *strict = bind_env("SCALEPOOL_BIND_STRICT");
	unsigned long long t = BIND_DEFAULT_THRESHOLD;
	const char *pid = bind_env("SCALEPOOL_BIND_STATS_PID");

	cfg.stats = bind_env("SCALEPOOL_BIND_STATS");
	if (pid)
		cfg.stats_pid = (pid_t)strtol(pid, NULL, 10);
	if (strict && strcmp(strict, "0") != 0 && strcmp(strict, "1") != 0) {
		bind_warn("libpool-preload: SCALEPOOL_BIND_STRICT: '%s' is "
			  "not 0 or 1", strict);
		return false;
	}
	cfg.strict = strict && strcmp(strict, "1") == 0;
	if (thr && !bind_parse_size("SCALEPOOL_BIND_THRESHOLD", thr, &t))
		return false;
	if (t > SIZE_MAX / 2) {
		bind_warn("libpool-preload: SCALEPOOL_BIND_THRESHOLD: '%s' "
			  "is too large", thr);
		return false;
	}
	if (!bind_read_placement())
		return false;
	cfg.threshold = (size_t)t;
	return true;
}

/* ---- the pool and its regions ---- */

/* Opens the pool once per process; under ctx_lock. */
static int bind_open_locked(void)
{
	if (ctx)
		return 0;
	if (ctx_error)
		return ctx_error;
	ctx_error = pool_new(&ctx);
	if (ctx_error)
		ctx = NULL;
	return ctx_error;
}

static int bind_open(void)
{
	int rc;

	pthread_mutex_lock(&ctx_lock);
	tl_inside++;
	rc = bind_open_locked();
	tl_inside--;
	pthread_mutex_unlock(&ctx_lock);
	return rc;
}

/* Which bytes of @buf went to which member, for --stats. */
static void bind_account(struct pool_buf *buf)
{
	struct pool_placement pl[SCALEPOOL_MAX_MEMBERS];
	int i, n = pool_buf_get_placement(buf, pl, SCALEPOOL_MAX_MEMBERS);

	for (i = 0; i < n && i < SCALEPOOL_MAX_MEMBERS; i++) {
		if (pl[i].member >= SCALEPOOL_MAX_MEMBERS)
			continue;
		member_bytes[pl[i].member] += pl[i].bytes;
		member_node[pl[i].member] = pl[i].node;
	}
}

/*
 * Moves the mapping of @buf (@size bytes at @addr) to an address aligned
 * to @align; the new address, or NULL.
 */
static void *bind_align(void *addr, size_t size, size_t align)
{
	uintptr_t res, target;
	void *r, *m;

	if (!((uintptr_t)addr & (align - 1)))
		return addr;
	if (size > SIZE_MAX - align)
		return NULL;
	r = mmap(NULL, size + align, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	res = (uintptr_t)r;
	target = (res + align - 1) & ~(uintptr_t)(align - 1);
	m = mremap(addr, size, size, MREMAP_MAYMOVE | MREMAP_FIXED,
		   (void *)target);
	if (m == MAP_FAILED) {
		munmap(r, size + align);
		return NULL;
	}
	if (target > res)
		munmap(r, target - res);
	if (res + size + align > target + size)
		munmap((void *)(target + size), res + align - target);
	return m;
}

static unsigned long long bind_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

/* pool_alloc() with the placement, unless in a pause; ctx_lock held. */
static int bind_pool_alloc_locked(size_t size, struct pool_buf **buf)
{
	int rc;

	if (full_until_ns && bind_now_ns() < full_until_ns) {
		atomic_fetch_add_explicit(&st_paused, 1,
					  memory_order_relaxed);
		return -ENOMEM;
	}
	rc = pool_alloc(ctx, size, &cfg.opts, buf);
	if (rc == -ENOMEM) {
		full_pause_ns = full_pause_ns ? 2 * full_pause_ns :
						BIND_PAUSE_MIN_NS;
		if (full_pause_ns > BIND_PAUSE_MAX_NS)
			full_pause_ns = BIND_PAUSE_MAX_NS;
		full_until_ns = bind_now_ns() + full_pause_ns;
	} else if (!rc) {
		full_pause_ns = 0;
		full_until_ns = 0;
	}
	return rc;
}

/* A new pool region of @size bytes aligned to @align; 0 or -errno. */
static int bind_region_new(size_t size, size_t align, void **addrp)
{
	struct pool_buf *buf;
	unsigned int n;
	void *addr;
	int rc;

	pthread_mutex_lock(&ctx_lock);
	rc = bind_open_locked();
	if (!rc)
		rc = bind_pool_alloc_locked(size, &buf);
	if (rc)
		goto out;
	addr = bind_align(pool_buf_get_addr(buf), size, align);
	if (!addr || atomic_load(&nr_regions) >= BIND_MAX_REGIONS) {
		pool_buf_free(buf);
		rc = -E2BIG;
		goto out;
	}
	bind_account(buf);
	pthread_mutex_lock(&region_lock);
	n = atomic_load(&nr_regions);
	regions[n] = (struct bind_region){ addr, size, buf, false };
	/* Before the count: a reader that sees the region sees them. */
	if ((uintptr_t)addr < atomic_load(&regions_lo))
		atomic_store(&regions_lo, (uintptr_t)addr);
	if ((uintptr_t)addr + size > atomic_load(&regions_hi))
		atomic_store(&regions_hi, (uintptr_t)addr + size);
	atomic_store_explicit(&nr_regions, n + 1, memory_order_release);
	pthread_mutex_unlock(&region_lock);
	*addrp = addr;
out:
	pthread_mutex_unlock(&ctx_lock);
	return rc;
}

/* ---- jemalloc's extent hooks for the pool arena ---- */

/*
 * The arena's own metadata (jemalloc's base blocks), which arenas.create
 * asks the hooks for: ordinary anonymous memory, so that the arena exists
 * whether or not the pool does.
 */
static void *bind_metadata(size_t size, size_t align, bool *zero,
			   bool *commit)
{
	void *p;

	if (size > SIZE_MAX - align)
		return NULL;
	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	*zero = true;
	*commit = true;
	return (void *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

static void *bind_hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
			     size_t alignment, bool *zero, bool *commit,
			     unsigned int arena_ind)
{
	void *addr = NULL;
	int rc;

	/* Pool memory goes where the kernel maps it, not at @new_addr. */
	if (new_addr)
		return NULL;
	if (tl_creating)
		return bind_metadata(size, alignment, zero, commit);
	/*
	 * No new region while a fork copies them: the hook may run under
	 * the arena's locks, which jemalloc's own fork handler may take
	 * after the preload's, so it cannot wait for the fork; the caller
	 * retries after it.
	 */
	atomic_fetch_add(&hooks_active, 1);
	if (atomic_load(&fork_pending)) {
		atomic_fetch_sub(&hooks_active, 1);
		tl_fail = -EAGAIN;
		return NULL;
	}
	tl_inside++;
	rc = bind_region_new(size, alignment, &addr);
	tl_inside--;
	atomic_fetch_sub(&hooks_active, 1);
	if (rc) {
		tl_fail = rc;
		return NULL;
	}
	*zero = true;		/* the module zeroes what it allocates */
	*commit = true;
	return addr;
}

/* Regions stay for the process's life: jemalloc keeps them (retained). */
static bool bind_hook_dalloc(extent_hooks_t *h, void *addr, size_t size,
			     bool committed, unsigned int arena_ind)
{
	return true;
}

static bool bind_hook_split(extent_hooks_t *h, void *addr, size_t size,
			    size_t size_a, size_t size_b, bool committed,
			    unsigned int arena_ind)
{
	return false;
}

static extent_hooks_t bind_hooks = {
	.alloc = bind_hook_alloc,
	.dalloc = bind_hook_dalloc,
	.split = bind_hook_split,
	/* No merge: an extent stays within one region. */
};

static bool bind_in_pool(const void *p)
{
	unsigned int i, n = atomic_load_explicit(&nr_regions,
						 memory_order_acquire);
	uintptr_t a = (uintptr_t)p;

	if (!n || a < atomic_load_explicit(&regions_lo, memory_order_relaxed) ||
	    a >= atomic_load_explicit(&regions_hi, memory_order_relaxed))
		return false;
	for (i = 0; i < n; i++)
		if (a >= (uintptr_t)regions[i].addr &&
		    a - (uintptr_t)regions[i].addr < regions[i].size)
			return true;
	return false;
}

/* ---- direct allocations: a pool buffer each ---- */

/* Every pool mapping starts on a page, and pages are at least 4 KiB. */
#define BIND_MIN_PAGE		4096UL

/* Pool memory of its own for @size bytes aligned as @flags say? */
static bool bind_direct_wanted(size_t size, int flags)
{
	/* MALLOCX_ALIGN() keeps the alignment's log in the low 6 bits. */
	return size >= BIND_DIRECT_MIN &&
	       (1UL << (flags & 0x3f)) <= BIND_MIN_PAGE;
}

/* The slot of the direct allocation at @p, or -1; direct_lock held. */
static int bind_direct_slot(const void *p)
{
	unsigned int i;

	for (i = 0; i < nr_direct; i++)
		if (direct[i].addr == p)
			return (int)i;
	return -1;
}

/*
 * Could @p be a direct allocation?  The check every free() makes.  Not
 * inside the preload or libpool (tl_inside): what they free is their
 * own, and the fork handlers free with direct_lock held.
 */
static bool bind_direct_maybe(const void *p)
{
	return !tl_inside &&
	       atomic_load_explicit(&direct_live, memory_order_acquire) &&
	       !((uintptr_t)p & (BIND_MIN_PAGE - 1));
}

/* The usable bytes of the direct allocation at @p, or 0: not one. */
static size_t bind_direct_size(const void *p)
{
	size_t size = 0;
	int i;

	if (!bind_direct_maybe(p))
		return 0;
	pthread_mutex_lock(&direct_lock);
	i = bind_direct_slot(p);
	if (i >= 0)
		size = direct[i].size;
	pthread_mutex_unlock(&direct_lock);
	return size;
}

/* A direct allocation of @size bytes at *@addrp; 0 or -errno. */
static int bind_direct_new(size_t size, void **addrp)
{
	struct pool_buf *buf = NULL;
	int rc;

	pthread_mutex_lock(&ctx_lock);
	tl_inside++;
	rc = bind_open_locked();
	if (!rc)
		rc = bind_pool_alloc_locked(size, &buf);
	if (!rc) {
		pthread_mutex_lock(&direct_lock);
		if (nr_direct < BIND_MAX_DIRECT)
			direct[nr_direct++] = (struct bind_region){
				pool_buf_get_addr(buf), pool_buf_get_size(buf),
				buf, false };
		else
			rc = -E2BIG;
		atomic_store_explicit(&direct_live, nr_direct,
				      memory_order_release);
		pthread_mutex_unlock(&direct_lock);
	}
	if (!rc) {
		bind_account(buf);
		*addrp = pool_buf_get_addr(buf);
	} else {
		pool_buf_free(buf);
	}
	tl_inside--;
	pthread_mutex_unlock(&ctx_lock);
	return rc;
}

/*
 * Gives the direct allocation at @p back, if it is one: FREE in the
 * process that made it; in a forked child, whose copy has no handle,
 * the mapping.  ctx_lock is held throughout, so that no fork copies the
 * allocation half freed.
 */
static bool bind_direct_free(void *p)
{
	struct bind_region r;
	int i;

	/* First without ctx_lock: most page-aligned frees are not ours. */
	if (!bind_direct_size(p))
		return false;
	pthread_mutex_lock(&ctx_lock);
	pthread_mutex_lock(&direct_lock);
	i = bind_direct_slot(p);
	if (i >= 0) {
		r = direct[i];
		direct[i] = direct[--nr_direct];
		atomic_store_explicit(&direct_live, nr_direct,
				      memory_order_release);
	}
	pthread_mutex_unlock(&direct_lock);
	if (i >= 0) {
		tl_inside++;
		if (r.buf)
			pool_buf_free(r.buf);
		else
			munmap(r.addr, r.size);
		tl_inside--;
	}
	pthread_mutex_unlock(&ctx_lock);
	return i >= 0;
}

/* ---- fork: each process its own copy of the pool regions ---- */

/* The copy of region @r into a new pool buffer, else anonymous memory. */
static void bind_snap_region(struct bind_region *r, struct bind_snap *s)
{
	s->buf = NULL;
	s->addr = NULL;
	if (!bind_open_locked() &&
	    !bind_pool_alloc_locked(r->size, &s->buf)) {
		s->addr = pool_buf_get_addr(s->buf);
	} else {
		s->buf = NULL;
		s->addr = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->addr == MAP_FAILED) {
			s->addr = NULL;
			return;
		}
	}
	memcpy(s->addr, r->addr, r->size);
}

/* Snapshots of the @n regions at @rs that fork must copy, into @ss. */
static void bind_snap_all(struct bind_region *rs, struct bind_snap *ss,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ss[i].addr = NULL;
		ss[i].buf = NULL;
		if (!rs[i].private_mem)
			bind_snap_region(&rs[i], &ss[i]);
	}
}

/* The parent's side: the snapshots go. */
static void bind_snaps_free(struct bind_region *rs, struct bind_snap *ss,
			    unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (ss[i].buf)
			pool_buf_free(ss[i].buf);
		else if (ss[i].addr)
			munmap(ss[i].addr, rs[i].size);
	}
}

/*
 * The arena's regions and the direct allocations are copied with
 * ctx_lock and direct_lock held, so that none is made or freed until
 * the fork is over.
 */
static void bind_prefork(void)
{
	if (atomic_load(&init_state) != 2 || !cfg.enabled)
		return;
	pthread_mutex_lock(&fork_lock);
	atomic_store(&fork_pending, true);
	while (atomic_load(&hooks_active))
		sched_yield();
	pthread_mutex_lock(&ctx_lock);
	pthread_mutex_lock(&direct_lock);
	tl_inside++;
	nr_snaps = atomic_load(&nr_regions);
	bind_snap_all(regions, snaps, nr_snaps);
	nr_direct_snaps = nr_direct;
	bind_snap_all(direct, direct_snaps, nr_direct_snaps);
	tl_inside--;
}

/*
 * After the fork, in either process: @done on both tables' snapshots,
 * which are then forgotten, and the tables open again.
 */
static void bind_snaps_done(void (*done)(struct bind_region *,
					 struct bind_snap *, unsigned int))
{
	tl_inside++;
	done(regions, snaps, nr_snaps);
	done(direct, direct_snaps, nr_direct_snaps);
	tl_inside--;
	nr_snaps = 0;
	nr_direct_snaps = 0;
	pthread_mutex_unlock(&direct_lock);
}

static void bind_postfork_parent(void)
{
	if (atomic_load(&init_state) != 2 || !cfg.enabled)
		return;
	bind_snaps_done(bind_snaps_free);
	pthread_mutex_unlock(&ctx_lock);
	atomic_store(&fork_pending, false);
	pthread_mutex_unlock(&fork_lock);
}

/* Puts snapshot @s in place of region @r in the child. */
static void bind_adopt(struct bind_region *r, struct bind_snap *s)
{
	void *m;

	if (!s->addr) {
		/*
		 * The parent had no memory for a copy: the child copies the
		 * shared region itself, later than the parent's copy would
		 * have been (the parent may be writing to it by now).
		 */
		s->addr = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->addr == MAP_FAILED) {
			s->addr = NULL;
			bind_warn("libpool-preload: fork: no memory to copy "
				  "%zu bytes at %p: shared with the parent",
				  r->size, r->addr);
			return;
		}
		memcpy(s->addr, r->addr, r->size);
	}
	m = mremap(s->addr, r->size, r->size, MREMAP_MAYMOVE | MREMAP_FIXED,
		   r->addr);
	if (m == MAP_FAILED) {
		/* Then an anonymous copy, from the snapshot. */
		m = mmap(r->addr, r->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (m != MAP_FAILED)
			memcpy(r->addr, s->addr, r->size);
		else
			bind_warn("libpool-preload: fork: %zu bytes at %p "
				  "lost in the child", r->size, r->addr);
		munmap(s->addr, r->size);
		r->private_mem = true;
	} else {
		r->private_mem = !s->buf;
	}
	atomic_fetch_add(s->buf && !r->private_mem ? &st_fork_pool :
			 &st_fork_anon, 1);
}

/* The child's side: each region replaced by its snapshot. */
static void bind_adopt_all(struct bind_region *rs, struct bind_snap *ss,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (rs[i].private_mem)
			continue;
		bind_adopt(&rs[i], &ss[i]);
		/*
		 * The handles belong to the parent's open file: drop the
		 * library's objects without FREE; the mappings hold the
		 * memory now (a direct allocation's free() unmaps it).
		 */
		pool_buf_disown(ss[i].buf);
		pool_buf_disown(rs[i].buf);
		rs[i].buf = NULL;
	}
}

static void bind_postfork_child(void)
{
	if (atomic_load(&init_state) != 2 || !cfg.enabled)
		return;
	bind_snaps_done(bind_adopt_all);
	tl_inside++;
	/* The child's own open file, at its next pool allocation. */
	pool_unref(ctx);
	ctx = NULL;
	ctx_error = 0;
	/* A hook another thread was entering is not in the child. */
	atomic_store(&hooks_active, 0);
	tl_inside--;
	pthread_mutex_unlock(&ctx_lock);
	atomic_store(&fork_pending, false);
	pthread_mutex_unlock(&fork_lock);
}

/* ---- setup ---- */

/*
 * The statistics' descriptor, opened now: by the time destructors run a
 * program may have closed stderr (gnulib's close_stdout() in coreutils
 * does) or changed directory.
 */
static void bind_open_stats(void)
{
	if (!cfg.stats)
		return;
	if (strcmp(cfg.stats, "stderr") == 0)
		stats_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	else
		stats_fd = open(cfg.stats, O_WRONLY | O_CREAT | O_APPEND |
				O_CLOEXEC, 0644);
	if (stats_fd < 0)
		bind_warn("libpool-preload: SCALEPOOL_BIND_STATS: %s: %s",
			  cfg.stats, strerror(errno));
}

/*
 * The fork handlers call no jemalloc (their own allocations are glibc's,
 * tl_inside), so they may run before or after jemalloc's, which it
 * registers when the pool arena first sets it up.
 */
static void bind_setup(void)
{
	if (!bind_read_env())
		return;
	bind_open_stats();
	if (pthread_atfork(bind_prefork, bind_postfork_parent,
			   bind_postfork_child)) {
		bind_warn("libpool-preload: pthread_atfork failed");
		return;
	}
	cfg.enabled = true;
}

/*
 * The pool arena, made at the first allocation it is to serve, not at
 * start-up: a program whose large allocations are all direct, or that
 * makes none, never has one (jemalloc's own constructor still sets
 * jemalloc up when it is loaded).  Under no lock of the preload: a fork
 * holds glibc's list of fork handlers while it waits for the preload's
 * locks, and jemalloc may register its handlers here.
 */
static void bind_arena_create(void)
{
	extent_hooks_t *hooks = &bind_hooks;
	size_t sz = sizeof(pool_arena);

	tl_inside++;
	tl_creating = true;
	arena_ok = !mallctl("arenas.create", &pool_arena, &sz, &hooks,
			    sizeof(hooks));
	tl_creating = false;
	tl_inside--;
	if (!arena_ok)
		bind_warn("libpool-preload: jemalloc cannot create an arena");
}

static bool bind_arena(void)
{
	pthread_once(&arena_once, bind_arena_create);
	return arena_ok;
}

/*
 * Set by the preload's constructor, which ld.so runs after those of the
 * libraries it needs: before it, libnuma may not be set up (libpool's
 * pool_alloc() parses node lists with it, and libnuma exits the process
 * on a bitmask of size 0), so allocations go to ordinary memory.  The
 * program's own constructors run after it: their allocations are placed.
 */
static atomic_bool deps_ready;
static bool bind_ready(void);

/*
 * Sets up here too, not only at the first malloc after it: a program
 * that allocates nothing more (true(1)) still gets its --stats line.
 */
__attribute__((constructor)) static void bind_deps_ready(void)
{
	if (!atomic_load(&libc_usable))
		bind_find_libc_usable();
	atomic_store_explicit(&deps_ready, true, memory_order_release);
	bind_ready();
}

/* Whether pool placement is on; sets it up at the first call. */
static bool bind_ready(void)
{
	int expect = 0;

	if (!atomic_load_explicit(&deps_ready, memory_order_acquire))
		return false;

	if (atomic_load_explicit(&init_state, memory_order_acquire) == 2)
		return cfg.enabled;
	if (tl_inside)
		return false;	/* our own setup's allocations */
	if (atomic_compare_exchange_strong(&init_state, &expect, 1)) {
		tl_inside++;
		bind_setup();
		tl_inside--;
		atomic_store_explicit(&init_state, 2, memory_order_release);
		return cfg.enabled;
	}
	while (atomic_load_explicit(&init_state, memory_order_acquire) != 2)
		sched_yield();
	return cfg.enabled;
}

/* ---- the malloc family ---- */

/* The alignment MALLOCX_ALIGN() put in @flags (its log, low 6 bits). */
static size_t bind_flags_align(int flags)
{
	return flags & 0x3f ? (size_t)1 << (flags & 0x3f) : 0;
}

/* glibc's malloc, as @flags ask; errno is glibc's. */
static void *bind_libc(size_t size, int flags)
{
	size_t align = bind_flags_align(flags);
	void *p;

	if (align <= BIND_LIBC_ALIGN)
		return flags & MALLOCX_ZERO ? __libc_calloc(1, size) :
					      __libc_malloc(size);
	p = __libc_memalign(align, size);
	if (p && (flags & MALLOCX_ZERO))
		memset(p, 0, size);
	return p;
}

/* Ordinary memory; counted only as a fallback (@c), for speed. */
static void *bind_ordinary(size_t size, int flags, struct bind_counter *c)
{
	void *p = bind_libc(size, flags);

	if (p && c)
		bind_count(c, size);
	return p;
}

static void *bind_pool(size_t size, int flags)
{
	int rc = bind_open();
	void *p;

	if (!rc && bind_direct_wanted(size, flags)) {
		rc = bind_direct_new(size, &p);
		if (!rc) {
			bind_count(&st_pool, size);
			atomic_fetch_add(&st_direct, 1);
			return p;
		}
		/* More than the table holds: the arena's way. */
		if (rc == -E2BIG)
			rc = 0;
	}
	if (!rc && !bind_arena())
		rc = -ENOSYS;	/* counted as "other" */
	while (!rc) {
		tl_fail = 0;
		p = mallocx(size, flags | MALLOCX_ARENA(pool_arena) |
			    MALLOCX_TCACHE_NONE);
		if (p) {
			bind_count(&st_pool, size);
			return p;
		}
		rc = tl_fail ? tl_fail : -ENOMEM;
		if (rc != -EAGAIN)
			break;
		/* A fork was copying the regions: again once it is done. */
		while (atomic_load(&fork_pending))
			sched_yield();
		rc = 0;
	}
	if (cfg.strict) {
		atomic_fetch_add(&st_strict_failed, 1);
		errno = ENOMEM;
		return NULL;
	}
	return bind_ordinary(size, flags, &st_fallback[bind_reason_of(rc)]);
}

static void *bind_malloc(size_t size, int flags)
{
	if (!bind_ready() || tl_inside || size < cfg.threshold)
		return bind_ordinary(size, flags, NULL);
	return bind_pool(size, flags);
}

static void bind_free(void *p)
{
	if (bind_direct_free(p))
		return;
	if (bind_in_pool(p))
		dallocx(p, MALLOCX_TCACHE_NONE);
	else
		__libc_free(p);
}

BIND_EXPORT void *malloc(size_t size)
{
	return bind_malloc(size, 0);
}

BIND_EXPORT void free(void *p)
{
	if (p)
		bind_free(p);
}

BIND_EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return bind_malloc(total, MALLOCX_ZERO);
}

/*
 * Whether @size belongs in the pool.  Without a pool (its opening
 * failed) everything stays ordinary and resizes in place.
 */
static bool bind_pool_wanted(size_t size)
{
	return cfg.enabled && !tl_inside && size >= cfg.threshold &&
	       !READ_ONCE_INT(ctx_error);
}

/*
 * The resize of @p, not a direct allocation, on its own side of the
 * threshold: glibc's realloc, or jemalloc's in the pool arena.  The
 * result with *@done set, or NULL with *@done clear when @p is on the
 * other side or the pool could not grow it (then malloc()'s rules
 * apply), and *@old its usable size.
 */
static void *bind_resize(void *p, size_t size, size_t *old, bool *done)
{
	bool pool = bind_in_pool(p);
	void *q = NULL;

	*done = false;
	if (pool == bind_pool_wanted(size)) {
		if (!pool) {
			*done = true;
			return __libc_realloc(p, size);
		}
		q = rallocx(p, size, MALLOCX_ARENA(pool_arena) |
			    MALLOCX_TCACHE_NONE);
		if (q) {
			/* @p may be freed now: nothing more of it. */
			*done = true;
			return q;
		}
	}
	*old = pool ? sallocx(p, 0) : bind_libc_usable(p);
	return NULL;
}

BIND_EXPORT void *realloc(void *p, size_t size)
{
	bool done = false;
	size_t old;
	void *q;

	if (!p)
		return malloc(size);
	if (!size) {
		free(p);
		return NULL;
	}
	/* A direct allocation keeps its buffer down to half of it. */
	old = bind_direct_size(p);
	if (old && size <= old && size > old / 2)
		return p;
	if (!old) {
		q = bind_resize(p, size, &old, &done);
		if (done)
			return q;
	}
	/* Across the threshold, or a direct one resized: a new home. */
	q = malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	free(p);
	return q;
}

static bool bind_power_of_two(size_t a)
{
	return a && !(a & (a - 1));
}

BIND_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (!bind_power_of_two(align) || align % sizeof(void *))
		return EINVAL;
	p = bind_malloc(size, MALLOCX_ALIGN(align));
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

BIND_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!bind_power_of_two(align)) {
		errno = EINVAL;
		return NULL;
	}
	return bind_malloc(size, MALLOCX_ALIGN(align));
}

BIND_EXPORT void *memalign(size_t align, size_t size)
{
	/* As glibc: a smaller alignment is raised, others rounded up. */
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (!bind_power_of_two(align)) {
		if (align > SIZE_MAX / 2) {
			errno = EINVAL;
			return NULL;
		}
		align = (size_t)1 << (64 - __builtin_clzl(align));
	}
	return bind_malloc(size, MALLOCX_ALIGN(align));
}

BIND_EXPORT void *valloc(size_t size)
{
	return memalign((size_t)sysconf(_SC_PAGESIZE), size);
}

BIND_EXPORT void *pvalloc(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (size > SIZE_MAX - page) {
		errno = ENOMEM;
		return NULL;
	}
	return memalign(page, (size + page - 1) & ~(page - 1));
}

BIND_EXPORT size_t malloc_usable_size(void *p)
{
	size_t direct_size;

	if (!p)
		return 0;
	direct_size = bind_direct_size(p);
	if (direct_size)
		return direct_size;
	return bind_in_pool(p) ? sallocx(p, 0) : bind_libc_usable(p);
}

/* ---- --stats: one JSON line per process at exit ---- */

static int bind_put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	*off += (size_t)n;
	return 0;
}

static unsigned long long bind_load(atomic_ullong *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void bind_put_members(char *buf, size_t len, size_t *off)
{
	bool first = true;
	unsigned int i;

	bind_put(buf, len, off, "\"members\":[");
	for (i = 0; i < SCALEPOOL_MAX_MEMBERS; i++) {
		if (!member_bytes[i])
			continue;
		bind_put(buf, len, off, "%s{\"member\":%u,\"node\":%d,"
			 "\"bytes\":%llu}", first ? "" : ",", i,
			 member_node[i], member_bytes[i]);
		first = false;
	}
	bind_put(buf, len, off, "]");
}

static void bind_put_stats(char *buf, size_t len, size_t *off)
{
	unsigned long long fb_req = 0, fb_bytes = 0;
	int i;

	bind_put(buf, len, off, "{\"pid\":%d,\"threshold\":%zu,\"strict\":%s,"
		 "\"pool\":{\"requests\":%llu,\"bytes\":%llu,",
		 (int)getpid(), cfg.threshold, cfg.strict ? "true" : "false",
		 bind_load(&st_pool.requests), bind_load(&st_pool.bytes));
	bind_put(buf, len, off, "\"regions\":%u,\"direct\":%llu,",
		 atomic_load(&nr_regions), bind_load(&st_direct));
	bind_put_members(buf, len, off);
	bind_put(buf, len, off, "},\"fallback\":{");
	for (i = 0; i < BIND_FB_NR; i++) {
		fb_req += bind_load(&st_fallback[i].requests);
		fb_bytes += bind_load(&st_fallback[i].bytes);
		bind_put(buf, len, off, "\"%s\":{\"requests\":%llu,\"bytes\":"
			 "%llu},", bind_reason_names[i],
			 bind_load(&st_fallback[i].requests),
			 bind_load(&st_fallback[i].bytes));
	}
	bind_put(buf, len, off, "\"requests\":%llu,\"bytes\":%llu},"
		 "\"paused\":%llu,\"strict_failed\":%llu,"
		 "\"fork_copies\":{\"pool\":%llu,\"anonymous\":%llu}}\n",
		 fb_req, fb_bytes, bind_load(&st_paused),
		 bind_load(&st_strict_failed), bind_load(&st_fork_pool),
		 bind_load(&st_fork_anon));
}

/* After the program's atexit handlers (ld.so runs destructors last). */
__attribute__((destructor)) static void bind_stats(void)
{
	static char buf[8192];
	size_t off = 0;

	if (!cfg.stats || atomic_load(&init_state) != 2)
		return;
	/* poolctl bind --stats: its command only, not the children. */
	if (cfg.stats_pid && cfg.stats_pid != getpid())
		return;
	bind_put_stats(buf, sizeof(buf), &off);
	if (off >= sizeof(buf))
		return;
	if (stats_fd >= 0 && write(stats_fd, buf, off) != (ssize_t)off)
		bind_warn("libpool-preload: cannot write the stats");
}
