/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scalepool's ioctl and mmap fuzzer: state shared by its files.
 *
 * The fuzzer knows what it made: the fds it opened, the allocations of
 * each fd, the mappings and the dma-buf fds.  Each object has a lock,
 * held for the length of one call on it, so that the expected answer
 * of a call is exact even with several threads.  What outlives a
 * handle (the memory, which mappings and dma-bufs keep) is a record in
 * memory shared with forked children: its refcount, which bar member
 * holds it, and the pattern generation of each of its first pages, so
 * that every touch can check the data it reads.
 */
#ifndef _SCALEPOOL_FUZZ_H_
#define _SCALEPOOL_FUZZ_H_

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "../guest/pool_test.h"

#define F_NR_FDS	6	/* /dev/scalepool fds */
#define F_NR_ALLOCS	12	/* live allocations per fd */
#define F_NR_STALE	8	/* freed handles and offsets kept per fd */
#define F_NR_MAPS	40	/* mappings */
#define F_NR_BUFS	10	/* dma-buf fds */
#define F_NR_RECS	512	/* memory records (shared) */
#define F_TRACK		8	/* pages per allocation with a pattern */
#define F_RING		40	/* calls remembered per thread */
#define F_RING_LEN	200
#define F_NR_DEVS	4	/* PCI devices for add_bar */
#define F_BUDGET	(96 * T_MIB)	/* most live bytes */
#define F_CHILD_OPS	40	/* ops of a forked child */
#define F_MAX_ERRS	8

/* One record per allocation's memory, in memory shared with children. */
struct f_rec {
	pthread_mutex_t lock;	/* process-shared; held while touching */
	int refs;		/* handles, mappings, dma-bufs; atomic */
	unsigned int uid;
	unsigned long long length;
	int bar;		/* on a bar member (can be revoked) */
	int member;		/* that member */
	unsigned long removes0;	/* remove_member writes before ALLOC */
	int revoked;		/* its member's removal completed */
	unsigned int gen[F_TRACK];	/* 0: zero; else pattern generation */
};

struct f_shared {
	struct f_rec recs[F_NR_RECS];
	unsigned int next_uid;
	long long live_bytes;
	unsigned long removes;	/* remove_member writes of bar members */
	pthread_mutex_t print_lock;
	int failed;
	long long calls;
	long long ops;
};

struct f_alloc {
	int used;
	__u32 handle;
	__u64 offset;
	__u64 length;
	__u32 flags;
	__u32 policy;
	int rec;
};

struct f_fd {
	pthread_rwlock_t lock;	/* write: ALLOC, FREE, close, open */
	int fd;			/* -1: closed */
	int mode;		/* O_RDWR, O_RDONLY, O_WRONLY */
	int inherited;		/* a forked child's copy: others change it */
	struct f_alloc a[F_NR_ALLOCS];
	__u32 stale[F_NR_STALE];
	__u64 stale_off[F_NR_STALE];
	unsigned int nstale;
};

struct f_map {
	pthread_mutex_t lock;
	int used;
	char *addr;
	size_t len;
	__u64 pgoff;		/* page of the allocation at addr */
	int rec;
	int prot;
	int io;			/* a bar member's PFN mapping */
	int dontfork;
};

struct f_buf {
	pthread_mutex_t lock;
	int fd;			/* -1: none; atomic (f_fd_check_new()) */
	int rec;
	unsigned int uid;	/* the record's uid when the fd was kept */
	unsigned long ino;	/* the dma-buf file's inode */
	int rdonly;
};

struct f_member {
	__u32 id;
	char kind[16];
	int cxl;
	long long used0;
};

struct f_dev {
	char bdf[32];
	int member;		/* its bar member, -1 when none */
};

struct f_thread {
	int id;
	int child;		/* a forked child's thread */
	unsigned long long rng;
	long ops, calls, forks;
	char ring[F_RING][F_RING_LEN];
	unsigned int ring_pos;
	sigjmp_buf jb;
	volatile int in_touch;
	char *arena;		/* struct buffers, see f_arena_init() */
	char *ro;		/* read-only alias of arena page 3 */
	pthread_t pt;
};

struct f_opts {
	unsigned long long seed;
	long iterations;
	int threads;
	int log;
	int members;		/* -1 auto */
	int forks;
};

extern struct f_opts f_opt;
extern struct f_shared *f_sh;
extern struct f_fd f_fds[F_NR_FDS];
extern struct f_map f_maps[F_NR_MAPS];
extern struct f_buf f_bufs[F_NR_BUFS];
extern pthread_mutex_t f_members_lock;
extern struct f_member f_members[T_MAX_IDS];
extern int f_nmembers;
extern __u32 f_max_member_id;
extern struct f_dev f_devs[F_NR_DEVS];
extern int f_ndevs;
extern char f_busy_bdf[32];
extern int f_cpu_nodes[8], f_ncpu_nodes, f_cpuless_node;
extern __thread struct f_thread *self;

/* fuzz.c */
unsigned long long f_rand(void);
unsigned int f_below(unsigned int n);
bool f_chance(unsigned int percent);
void f_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void f_result(long ret);
void f_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool f_errno_in(int err, const int *set);
void f_check(const char *what, int err, const int *set);

/* fuzz_mem.c: records, mappings, touches */
int f_rec_new(__u64 length);
void f_rec_get(int rec);
void f_rec_put(int rec);
bool f_rec_may_sigbus(const struct f_rec *r);
void f_fd_check_new(int fd, const char *what);
void f_op_mmap(void);
void f_op_munmap(void);
void f_op_mremap(void);
void f_op_madvise(void);
void f_op_touch(void);
void f_op_buf_mmap(void);
void f_op_buf_sync(void);
void f_op_buf_close(void);
int f_map_add(char *addr, size_t len, __u64 pgoff, int rec, int prot,
	      int io);
void f_maps_release_all(void);
void f_bufs_release_all(void);

/* fuzz_ioctl.c: the commands */
void f_arena_init(struct f_thread *t);
void f_op_alloc(void);
void f_op_free(void);
void f_op_info(void);
void f_op_export(void);
void f_op_query(void);
void f_op_migrate(void);
void f_op_badcmd(void);
void f_op_open(void);
void f_op_close(void);
void f_fds_release_all(void);
int f_fd_pick(bool open_needed);

/* fuzz_members.c: member add and remove */
int f_members_setup(void);
void f_members_refresh(void);
__u32 f_not_a_member_id(void);
int f_members_restore(void);
void f_op_member_add(void);
void f_op_member_remove(void);
void f_op_member_write(void);
bool f_member_is_bar(__u32 id);
bool f_member_is_peer(__u32 id);

#endif /* _SCALEPOOL_FUZZ_H_ */
