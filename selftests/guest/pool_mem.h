/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory and processes: patterns, page frames, revocation readers
 * (children holding a mapping) and bounded runs.
 * Part of the guest tests' helpers: include pool_test.h, not this file.
 */
#ifndef _POOL_MEM_H_
#define _POOL_MEM_H_

/* ---- memory */

/* Writes one byte in every 4 KiB page: faults the whole range in. */
static inline void t_touch(void *p, size_t len)
{
	volatile char *c = p;
	size_t off;

	for (off = 0; off < len; off += T_PAGE)
		c[off] = 1;
}

/* Minor page faults of the calling thread so far, or -1. */
static inline long t_minflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return -1;
	return ru.ru_minflt;
}

/* Writes @val to one byte of every page of @p: the minor faults taken. */
static inline long t_touch_faults(volatile unsigned char *p, size_t len,
				  unsigned char val)
{
	long before = t_minflt();
	size_t off;

	for (off = 0; off < len; off += T_PAGE)
		p[off] = val;
	return t_minflt() - before;
}

/* A value for the 64-bit word at byte @off of a buffer filled with @seed. */
static inline uint64_t t_pattern(uint64_t seed, size_t off)
{
	return (seed * 0x9e3779b97f4a7c15ULL) ^ (off * 0x100000001b3ULL) ^ off;
}

static inline void t_fill(void *p, size_t len, uint64_t seed)
{
	volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = t_pattern(seed, i * 8);
}

/* Byte offset of the first word that differs from the pattern, or -1. */
static inline long t_check(const void *p, size_t len, uint64_t seed)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != t_pattern(seed, i * 8))
			return i * 8;
	return -1;
}

/* Byte offset of the first non-zero word, or -1. */
static inline long t_check_zero(const void *p, size_t len)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return i * 8;
	return -1;
}

/* The page frame mapped at @addr (root only), or 0 when not present. */
static inline uint64_t t_pfn(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (uintptr_t)addr / T_PAGE * 8) !=
	    sizeof(e))
		e = 0;
	close(fd);
	if (!(e & (1ULL << 63)))
		return 0;
	return e & ((1ULL << 55) - 1);
}

/* Page frames of @n pages from @addr into @out (0: not present); 0 or -errno. */
static inline int t_pfns(const void *addr, size_t n, uint64_t *out)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t got;
	size_t i;

	if (fd < 0)
		return -errno;
	got = pread(fd, out, n * 8, (uintptr_t)addr / T_PAGE * 8);
	close(fd);
	if (got != (ssize_t)(n * 8))
		return got < 0 ? -errno : -EIO;
	for (i = 0; i < n; i++)
		out[i] = out[i] & (1ULL << 63) ? out[i] & ((1ULL << 55) - 1) : 0;
	return 0;
}

/* move_pages(2) status query (NULL nodes) for @n pages of this process. */
static inline long t_move_pages(unsigned long n, void **pages, int *status)
{
	return syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
}

/* ---- revocation: mappings that lose their memory */

/* The signal a child got reading the first byte of @p, or 0. */
static inline int t_read_signal(volatile unsigned char *p)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/*
 * A child holding an inherited mapping across a revocation: started
 * while the memory is there, it checks that @p[0] reads @val, then waits
 * for t_reader_finish() and reads @p[@later] (a byte it has not touched,
 * so the read faults anew).  Exits 3 when that read still gave @val, 4
 * when it gave something else, 5 when the first read was wrong, 2 when
 * released badly; a SIGBUS is what a revoked mapping gives.
 */
struct t_reader {
	pid_t pid;
	int go;		/* write end: one byte releases the child */
};

static inline int t_reader_start(struct t_reader *r,
				 volatile unsigned char *p, size_t later,
				 unsigned char val)
{
	int pipefd[2], ready[2];
	char c;

	if (pipe(pipefd))
		return -errno;
	if (pipe(ready)) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	fflush(stdout);
	r->pid = fork();
	if (r->pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	if (r->pid == 0) {
		close(pipefd[1]);
		close(ready[0]);
		if (p[0] != val)
			_exit(5);
		/* Mapped before the parent goes on to revoke. */
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		c = p[later];
		_exit(c == (char)val ? 3 : 4);
	}
	close(pipefd[0]);
	close(ready[1]);
	r->go = pipefd[1];
	/*
	 * Wait for the first read: a child scheduled only after the
	 * revocation would die of SIGBUS there, and the release's write
	 * would then raise SIGPIPE in the test (seen on a loaded host).
	 */
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	return 0;
}

/* Releases the reader and waits for it: its wait status in *@status. */
static inline int t_reader_finish(struct t_reader *r, int *status)
{
	int ret = 0;

	/* A child that already died leaves no reader: EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (write(r->go, "x", 1) != 1)
		ret = -EIO;
	close(r->go);
	if (waitpid(r->pid, status, 0) != r->pid && !ret)
		ret = -errno;
	return ret;
}

/* ---- bounded runs */

/*
 * Runs @fn(@arg) in a child process and waits at most @secs for it; the
 * child's int result comes back through a pipe.  0 with *@res set when
 * it finished in time; -ETIMEDOUT when it did not (the child is then
 * SIGKILLed and reaped); -ECHILD when it died without a result.  For
 * liveness checks of kernel paths that may loop ("returns within N
 * seconds, not forever"), not for timing.
 */
static inline int t_run_bounded(int (*fn)(void *), void *arg, int secs,
				int *res)
{
	struct timespec start, now;
	int p[2], status, ret = -ECHILD;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0) {
		int r;

		close(p[0]);
		r = fn(arg);
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long left;
		int n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = secs * 1000L - ((now.tv_sec - start.tv_sec) * 1000L +
				       (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 1) {
			if (read(p[0], res, sizeof(*res)) == sizeof(*res))
				ret = 0;
			break;
		}
	}
	if (ret == -ETIMEDOUT)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(p[0]);
	return ret;
}

/* ---- pages that move (alloc_move.c, alloc_migrate.c) */

/* A thread that writes and reads back while pages move. */

struct t_worker {
	pthread_t thread;
	volatile uint64_t *p;
	size_t words;
	volatile int stop;
	long rounds;
	long bad;
};

static inline void *t_worker_fn(void *arg)
{
	struct t_worker *w = arg;
	uint64_t r, i;

	for (r = 1; !w->stop; r++) {
		for (i = 0; i < w->words; i++)
			w->p[i] = r << 32 | i;
		for (i = 0; i < w->words; i++)
			if (w->p[i] != (r << 32 | i)) {
				w->bad++;
				break;
			}
		w->rounds++;
	}
	return NULL;
}

static inline int t_worker_start(struct t_worker *w, void *p, size_t len)
{
	memset(w, 0, sizeof(*w));
	w->p = p;
	w->words = len / sizeof(uint64_t);
	return pthread_create(&w->thread, NULL, t_worker_fn, w);
}

/* Stops it after at least one more round; the rounds with a bad word. */
static inline long t_worker_stop(struct t_worker *w)
{
	long seen = w->rounds;

	while (w->rounds < seen + 2)
		usleep(1000);
	w->stop = 1;
	pthread_join(w->thread, NULL);
	return w->bad;
}

/* A child (fork) sees the same bytes: 0 when it did. */
static inline int t_child_checks(const void *p, size_t len, uint64_t seed)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(t_check(p, len, seed) == -1 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- memory blocks (hotplug) */

/* The size of a memory block in bytes, 0 without memory hotplug. */
static inline unsigned long t_block_size(void)
{
	char buf[64];

	if (t_read_line("/sys/devices/system/memory/block_size_bytes", buf,
			sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 16);
}

/* Brings back online (ZONE_MOVABLE) the blocks marked in @offlined. */
static inline int t_blocks_online(const long *blocks, int *offlined, int n)
{
	char path[128];
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		if (!offlined[i])
			continue;
		t_block_state_path(path, sizeof(path), blocks[i]);
		if (t_write_file(path, "online_movable"))
			bad++;
		else
			offlined[i] = 0;
	}
	return bad;
}

static inline int t_block_write_state(void *arg)
{
	const char **a = arg;

	return -t_write_file(a[0], a[1]);	/* 0 or a positive errno */
}

/*
 * Writes @state to memory block @block's state in a child, waiting at
 * most @secs: 0, a positive errno, or -ETIMEDOUT (the child is killed,
 * which stops an offline in its migration retries).
 */
static inline int t_block_set(long block, const char *state, int secs)
{
	char path[128];
	const char *a[2] = { path, state };
	int res, ret;

	t_block_state_path(path, sizeof(path), block);
	ret = t_run_bounded(t_block_write_state, a, secs, &res);
	return ret ? ret : res;
}

#endif /* _POOL_MEM_H_ */
