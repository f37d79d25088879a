// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool-fuzz: the project's own fuzzer of /dev/scalepool's ioctls,
 * its mappings and the admin's member add and remove.
 *
 * Usage: fuzz [--seed N] [--iterations N] [--threads N] [--log]
 *             [--members on|off|auto] [--no-fork]
 *
 * Seeded: every thread draws from its own generator, seeded from the
 * seed and its number, so one seed gives the same calls in each thread
 * (with --threads 1 and --no-fork the same run).  Every run prints its
 * seed; a failure prints the seed and the last calls of the thread that
 * saw it.  Output is TAP: one line per thread, one for the forked
 * children, one for the fds, one for the members' used bytes.
 * Documentation/testing.rst says how to run and reproduce.
 */
#include <stdarg.h>
#include <sys/time.h>

#include "fuzz.h"

struct f_opts f_opt = { .iterations = 20000, .threads = 4, .members = -1,
			.forks = 1 };
struct f_shared *f_sh;
__thread struct f_thread *self;
static pthread_rwlock_t op_lock;
/* This process reported a failure (a child exits 1 only for its own). */
static int own_failure;
static struct f_thread *threads;

unsigned long long f_rand(void)
{
	/* xorshift64*: small, fast, and the same on every machine */
	unsigned long long x = self->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	self->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

unsigned int f_below(unsigned int n)
{
	return n ? (unsigned int)(f_rand() % n) : 0;
}

bool f_chance(unsigned int percent)
{
	return f_below(100) < percent;
}

/* Starts the ring entry of the next call; f_result() ends it. */
void f_note(const char *fmt, ...)
{
	char *e = self->ring[self->ring_pos % F_RING];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e, F_RING_LEN, fmt, ap);
	va_end(ap);
	self->calls++;
	__atomic_add_fetch(&f_sh->calls, 1, __ATOMIC_RELAXED);
}

void f_result(long ret)
{
	char *e = self->ring[self->ring_pos % F_RING];
	size_t n = strlen(e);

	if (ret < 0)
		snprintf(e + n, F_RING_LEN - n, " = %s", strerrorname_np(-ret) ?:
			 "?");
	else
		snprintf(e + n, F_RING_LEN - n, " = %ld", ret);
	self->ring_pos++;
	if (f_opt.log) {
		pthread_mutex_lock(&f_sh->print_lock);
		printf("# [%s%d] %s\n", self->child ? "child " : "t", self->id,
		       e);
		pthread_mutex_unlock(&f_sh->print_lock);
	}
}

static void ring_dump(struct f_thread *t)
{
	unsigned int i, n = t->ring_pos < F_RING ? t->ring_pos : F_RING;

	printf("# last %u calls of %sthread %d, oldest first:\n", n,
	       t->child ? "forked child's " : "", t->id);
	for (i = t->ring_pos - n; i != t->ring_pos; i++)
		printf("#   %s\n", t->ring[i % F_RING]);
}

static void print_repro(void)
{
	printf("# reproduce: fuzz --seed %llu --iterations %ld --threads %d%s%s\n",
	       f_opt.seed, f_opt.iterations, f_opt.threads,
	       f_opt.members == 0 ? " --members off" : "",
	       f_opt.forks ? "" : " --no-fork");
}

/* A defect: say what, with the seed and the calls that led there. */
void f_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&f_sh->print_lock);
	printf("# FAIL (seed %llu, %sthread %d, call %ld): ", f_opt.seed,
	       self->child ? "forked child of " : "", self->id, self->calls);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	ring_dump(self);
	print_repro();
	fflush(stdout);
	f_sh->failed = 1;
	own_failure = 1;
	pthread_mutex_unlock(&f_sh->print_lock);
	if (self->child)
		_exit(1);
}

bool f_errno_in(int err, const int *set)
{
	int i;

	for (i = 0; i < F_MAX_ERRS && set[i] >= 0; i++)
		if (set[i] == err)
			return true;
	return false;
}

/* @err (0 or an errno) must be in @set (ends with -1). */
void f_check(const char *what, int err, const int *set)
{
	char want[128] = "";
	size_t n = 0;
	int i;

	if (f_errno_in(err, set))
		return;
	for (i = 0; i < F_MAX_ERRS && set[i] >= 0; i++)
		n += snprintf(want + n, sizeof(want) - n, "%s%s", i ? "|" : "",
			      set[i] ? strerrorname_np(set[i]) : "0");
	f_fail("%s returned %s, expected %s", what,
	       err ? strerrorname_np(err) : "0", want);
}

/* SIGBUS and SIGSEGV: a touch handles its own, the rest is a crash. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
	static const char msg[] = "# CRASH: signal outside a touch\n";

	if (self && self->in_touch)
		siglongjmp(self->jb, sig);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	if (self) {
		printf("# CRASH signal %d at %p (seed %llu, thread %d)\n", sig,
		       si->si_addr, f_opt.seed, self->id);
		ring_dump(self);
		print_repro();
		fflush(stdout);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fork_child_run(void);

/*
 * A child shares the fds and mappings: the forking thread holds
 * @op_lock for writing, so that no other thread is inside a call and
 * every private lock is free in the child's copy.  The child's refs on
 * the records it inherits are taken here, for it.
 */
static void op_fork(void)
{
	int i, j, status;
	pid_t pid;

	pthread_rwlock_wrlock(&op_lock);
	for (i = 0; i < F_NR_FDS; i++)
		for (j = 0; f_fds[i].fd >= 0 && j < F_NR_ALLOCS; j++)
			if (f_fds[i].a[j].used)
				f_rec_get(f_fds[i].a[j].rec);
	for (i = 0; i < F_NR_MAPS; i++)
		if (f_maps[i].used)
			f_rec_get(f_maps[i].rec);
	for (i = 0; i < F_NR_BUFS; i++)
		if (f_bufs[i].fd >= 0)
			f_rec_get(f_bufs[i].rec);
	fflush(stdout);
	f_note("fork()");
	pid = fork();
	if (!pid)
		fork_child_run();
	f_result(pid < 0 ? -errno : pid);
	pthread_rwlock_unlock(&op_lock);
	if (pid < 0) {
		/* EAGAIN/ENOMEM: the child's refs go back. */
		f_check("fork", errno, (const int[]){ EAGAIN, ENOMEM, -1 });
		return;
	}
	self->forks++;
	f_note("waitpid(%d)", pid);
	i = waitpid(pid, &status, 0);
	f_result(i < 0 ? -errno : status);
	if (i != pid)
		f_fail("waitpid(%d): %s", pid, strerror(errno));
	else if (WIFSIGNALED(status))
		f_fail("forked child %d crashed: signal %d", pid,
		       WTERMSIG(status));
	else if (WEXITSTATUS(status))
		f_fail("forked child %d failed (exit %d, its report above)",
		       pid, WEXITSTATUS(status));
}

enum f_op {
	OP_ALLOC, OP_FREE, OP_INFO, OP_EXPORT, OP_QUERY, OP_BADCMD, OP_MMAP,
	OP_MUNMAP, OP_MREMAP, OP_MADVISE, OP_TOUCH, OP_BUF_MMAP, OP_BUF_SYNC,
	OP_BUF_CLOSE, OP_OPEN, OP_CLOSE, OP_FORK, OP_MEMBER_ADD,
	OP_MEMBER_REMOVE, OP_MIGRATE, OP_MEMBER_WRITE, OP_COUNT,
};

static const struct {
	void (*fn)(void);
	unsigned int weight;
	bool child;		/* also in a forked child */
} ops[OP_COUNT] = {
	[OP_ALLOC] = { f_op_alloc, 14, true },
	[OP_FREE] = { f_op_free, 8, true },
	[OP_INFO] = { f_op_info, 9, true },
	[OP_EXPORT] = { f_op_export, 4, true },
	[OP_QUERY] = { f_op_query, 2, true },
	[OP_BADCMD] = { f_op_badcmd, 1, true },
	[OP_MMAP] = { f_op_mmap, 10, true },
	[OP_MUNMAP] = { f_op_munmap, 6, true },
	[OP_MREMAP] = { f_op_mremap, 3, true },
	[OP_MADVISE] = { f_op_madvise, 4, true },
	[OP_TOUCH] = { f_op_touch, 14, true },
	[OP_BUF_MMAP] = { f_op_buf_mmap, 3, true },
	[OP_BUF_SYNC] = { f_op_buf_sync, 2, true },
	[OP_BUF_CLOSE] = { f_op_buf_close, 3, true },
	[OP_OPEN] = { f_op_open, 2, true },
	[OP_CLOSE] = { f_op_close, 1, true },
	[OP_FORK] = { op_fork, 0, false },
	[OP_MEMBER_ADD] = { f_op_member_add, 0, false },
	[OP_MEMBER_REMOVE] = { f_op_member_remove, 0, false },
	[OP_MIGRATE] = { f_op_migrate, 3, true },
	[OP_MEMBER_WRITE] = { f_op_member_write, 0, false },
};

static unsigned int op_weight(int op)
{
	if (self->child && !ops[op].child)
		return 0;
	if (op == OP_FORK)
		return f_opt.forks && f_opt.threads > 0 ? 1 : 0;
	if (op == OP_MEMBER_ADD || op == OP_MEMBER_REMOVE ||
	    op == OP_MEMBER_WRITE)
		return f_opt.members > 0 ? 1 : 0;
	return ops[op].weight;
}

static int pick_op(void)
{
	unsigned int total = 0, r;
	int op;

	for (op = 0; op < OP_COUNT; op++)
		total += op_weight(op);
	r = f_below(total);
	for (op = 0; op < OP_COUNT; op++) {
		if (r < op_weight(op))
			return op;
		r -= op_weight(op);
	}
	return OP_QUERY;
}

static void run_ops(long n)
{
	long i;
	int op;

	for (i = 0; i < n && !f_sh->failed; i++) {
		op = pick_op();
		self->ops++;
		__atomic_add_fetch(&f_sh->ops, 1, __ATOMIC_RELAXED);
		if (op == OP_FORK) {
			op_fork();
			continue;
		}
		pthread_rwlock_rdlock(&op_lock);
		ops[op].fn();
		pthread_rwlock_unlock(&op_lock);
	}
}

/* Closes and unmaps everything this process holds. */
static void release_all(void)
{
	f_maps_release_all();
	f_bufs_release_all();
	f_fds_release_all();
}

/* The child: inherited fds are the parent's too, so it only reads them. */
static void fork_child_run(void)
{
	int i;

	pthread_rwlock_init(&op_lock, NULL);
	self->child = 1;
	self->rng ^= 0x5bd1e995ULL * (unsigned long long)getpid();
	for (i = 0; i < F_NR_FDS; i++)
		f_fds[i].inherited = f_fds[i].fd >= 0;
	/* Mappings the parent asked not to share are not here. */
	for (i = 0; i < F_NR_MAPS; i++)
		if (f_maps[i].used && f_maps[i].dontfork) {
			f_maps[i].used = 0;
			f_rec_put(f_maps[i].rec);
		}
	run_ops(F_CHILD_OPS);
	release_all();
	fflush(stdout);
	_exit(own_failure);
}

static void *thread_main(void *arg)
{
	struct f_thread *t = arg;
	long n = f_opt.iterations / f_opt.threads;

	self = t;
	if (t->id < f_opt.iterations % f_opt.threads)
		n++;
	run_ops(n);
	return NULL;
}

static void usage(int status)
{
	printf("usage: fuzz [--seed N] [--iterations N] [--threads N] [--log]\n"
	       "            [--members on|off|auto] [--no-fork]\n");
	exit(status);
}

static void parse_args(int argc, char **argv)
{
	int i;

	f_opt.seed = (unsigned long long)time(NULL) * 1000003ULL ^ getpid();
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--log")) {
			f_opt.log = 1;
			continue;
		}
		if (!strcmp(a, "--no-fork")) {
			f_opt.forks = 0;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage(0);
		if (!v)
			usage(2);
		i++;
		if (!strcmp(a, "--seed"))
			f_opt.seed = strtoull(v, NULL, 0);
		else if (!strcmp(a, "--iterations"))
			f_opt.iterations = strtol(v, NULL, 0);
		else if (!strcmp(a, "--threads"))
			f_opt.threads = atoi(v);
		else if (!strcmp(a, "--members"))
			f_opt.members = !strcmp(v, "on") ? 1 :
					!strcmp(v, "off") ? 0 : -1;
		else
			usage(2);
	}
	if (f_opt.threads < 1 || f_opt.threads > 64 || f_opt.iterations < 1) {
		fprintf(stderr, "fuzz: --threads 1-64, --iterations >= 1\n");
		exit(2);
	}
}

static void shared_init(void)
{
	pthread_mutexattr_t ma;
	int i;

	f_sh = mmap(NULL, sizeof(*f_sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f_sh == MAP_FAILED) {
		perror("fuzz: mmap");
		exit(1);
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	/* A child that crashed holding one must not hang the parent. */
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&f_sh->print_lock, &ma);
	for (i = 0; i < F_NR_RECS; i++)
		pthread_mutex_init(&f_sh->recs[i].lock, &ma);
	for (i = 0; i < F_NR_FDS; i++) {
		pthread_rwlock_init(&f_fds[i].lock, NULL);
		f_fds[i].fd = -1;
	}
	for (i = 0; i < F_NR_MAPS; i++)
		pthread_mutex_init(&f_maps[i].lock, NULL);
	for (i = 0; i < F_NR_BUFS; i++) {
		pthread_mutex_init(&f_bufs[i].lock, NULL);
		f_bufs[i].fd = -1;
	}
}

static void signals_init(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * What the process still maps of the pool (allocation files, dma-bufs)
 * once it released everything it knows of: any line here is a mapping
 * the fuzzer lost track of, none means the module holds the memory.
 */
static void print_pool_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "scalepool") && !strstr(line, "dmabuf"))
			continue;
		printf("# still mapped: %s", line);
		n++;
	}
	fclose(f);
	printf("# %d pool mappings left in the fuzzer, %d fds open\n", n,
	       t_count_fds());
}

/*
 * After the run: members' used back where it started, within 60 s: the
 * module may finish a free after munmap returns, and a tiering pass in
 * flight (tier.c) holds the allocation it works on until its next page
 * (seed 1796488965450568: node 1's used 348160 bytes over at 5 s, when
 * a pass held every allocation it collected until it ended).
 */
static int check_used(void)
{
	int i, bad = 0, tries;
	long long used;

	for (tries = 0; tries < 600; tries++) {
		for (bad = 0, i = 0; i < f_nmembers; i++)
			bad += f_members[i].used0 >= 0 &&
			       t_member_ll(f_members[i].id, "used") !=
			       f_members[i].used0;
		if (!bad)
			return 0;
		usleep(100000);
	}
	print_pool_mappings();
	for (i = 0; i < f_nmembers; i++) {
		if (f_members[i].used0 < 0)
			continue;
		used = t_member_ll(f_members[i].id, "used");
		if (used != f_members[i].used0) {
			printf("# member %u (%s): used %lld, was %lld\n",
			       f_members[i].id, f_members[i].kind, used,
			       f_members[i].used0);
			bad++;
		}
	}
	return bad;
}

static void run_threads(struct f_thread *main_thread)
{
	pthread_attr_t pa;
	int i;

	pthread_attr_init(&pa);
	pthread_attr_setstacksize(&pa, 1 << 20);
	pthread_rwlockattr_t ra;

	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&op_lock, &ra);
	for (i = 0; i < f_opt.threads; i++) {
		threads[i].id = i;
		threads[i].rng = (f_opt.seed + 0x9E3779B97F4A7C15ULL *
				  (i + 1)) | 1;
		f_arena_init(&threads[i]);
		if (pthread_create(&threads[i].pt, &pa, thread_main,
				   &threads[i])) {
			printf("Bail out! pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < f_opt.threads; i++)
		pthread_join(threads[i].pt, NULL);
	self = main_thread;
}

int main(int argc, char **argv)
{
	static struct f_thread main_thread = { .id = -1 };
	int i, fds0, fds1, plan, bad, members_bad = 0;
	long forks = 0;
	double t0;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	shared_init();
	self = &main_thread;
	main_thread.rng = f_opt.seed | 1;
	if (access(T_DEV, R_OK | W_OK)) {
		printf("1..0 # SKIP %s: %s\n", T_DEV, strerror(errno));
		return 0;
	}
	if (f_members_setup())
		return 1;
	plan = f_opt.threads + 3 + (f_opt.members > 0);
	printf("TAP version 13\n1..%d\n", plan);
	printf("# fuzz: seed %llu, %ld iterations, %d threads, members %s, fork %s\n",
	       f_opt.seed, f_opt.iterations, f_opt.threads,
	       f_opt.members > 0 ? "added and removed" : "fixed",
	       f_opt.forks ? "on" : "off");
	threads = calloc(f_opt.threads, sizeof(*threads));
	signals_init();
	fds0 = t_count_fds();
	t0 = now();
	run_threads(&main_thread);
	release_all();

	for (i = 0; i < f_opt.threads; i++) {
		forks += threads[i].forks;
		printf("%s %d - thread %d: %ld ops, %ld calls\n",
		       f_sh->failed ? "not ok" : "ok", i + 1, i,
		       threads[i].ops, threads[i].calls);
	}
	printf("%s %d - %ld forked children exited cleanly\n",
	       f_sh->failed ? "not ok" : "ok", ++i, forks);
	if (f_opt.members > 0) {
		members_bad = f_members_restore();
		f_members_refresh();
		printf("%s %d - added bar members removed, devices unbound\n",
		       members_bad ? "not ok" : "ok", ++i);
	}
	fds1 = t_count_fds();
	printf("%s %d - every fd closed (%d open, %d at start)\n",
	       fds1 == fds0 ? "ok" : "not ok", ++i, fds1, fds0);
	bad = check_used();
	printf("%s %d - every member's used back to its start\n",
	       bad ? "not ok" : "ok", ++i);
	printf("# fuzz: seed %llu: %lld ops, %lld calls in %.1f s (%.0f calls/s), member ids up to %u\n",
	       f_opt.seed, f_sh->ops, f_sh->calls, now() - t0,
	       f_sh->calls / (now() - t0), f_max_member_id);
	if (f_sh->failed)
		print_repro();
	return f_sh->failed || bad || fds1 != fds0 || members_bad;
}
