// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: worker processes allocate from every member, map, fill and
 * check, export dma-bufs, pass device fds and dma-buf fds to each other
 * over unix sockets (SCM_RIGHTS), fork children that allocate and are
 * killed mid-way or exit, and are themselves SIGKILLed and restarted,
 * while one process offlines and onlines CXL memory blocks and another
 * removes and re-adds a bar member (peer topology).  selftests/guest/
 * stress.sh puts the machine under memory pressure (stress-ng) around
 * this program and checks kmemleak, dmesg and rmmod after it.
 *
 * After the run: no data mismatch, no errno outside the expected ones,
 * every kind of operation ran, every CXL block back online, every
 * member's `used` 0 and no scalepool dma-buf in dma_buf/bufinfo.
 *
 * Usage: stress [--seconds N] [--workers N] [--seed N] [--first N]
 *   --first N  number the TAP lines from N and print no plan (the
 *              wrapper prints the plan of the whole run)
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "pool_test.h"

#define ST_MAX_WORKERS	16
#define ST_MAX_RECS	8	/* allocations a worker holds at once */
#define ST_MAX_MEMBERS	32
#define ST_CHILD_ALLOCS	4	/* a forked child's allocations */
#define ST_MAX_BLOCKS	64
#define ST_MAX_BARS	4
#define ST_NR_TESTS	8

/* Counters shared by every process (MAP_SHARED). */
enum st_count {
	C_ALLOC, C_ALLOC_NOMEM, C_ALLOC_GONE, C_FREE, C_CHECK, C_EXPORT,
	C_EXPORT_GONE, C_SEND_DEV, C_SEND_BUF, C_SEND_DROP, C_RECV_DEV,
	C_RECV_BUF, C_FORK, C_CHILD_KILL, C_REVOKED, C_WORKER_KILL,
	C_OFF_OK, C_OFF_BUSY, C_OFF_OTHER, C_ON_OK, C_ON_FAIL,
	C_BAR_REMOVE, C_BAR_ADD, C_BAR_FAIL, C_MISMATCH, C_UNEXPECTED,
	C_NR
};

static const char * const st_count_names[C_NR] = {
	"allocs", "alloc_enomem", "alloc_member_gone", "frees", "checks",
	"exports", "export_revoked", "sent_dev_fds", "sent_dmabuf_fds",
	"sends_dropped", "received_dev_fds", "received_dmabuf_fds", "forks",
	"children_killed", "revoked_sigbus", "workers_killed",
	"cxl_offline_ok", "cxl_offline_ebusy", "cxl_offline_other",
	"cxl_online_ok", "cxl_online_failed", "bar_removed", "bar_added",
	"bar_cycle_failed", "mismatches", "unexpected_errors",
};

struct st_shared {
	long long count[C_NR];
	int stop;
	int have_cxl, have_bar;
};

static struct st_shared *st;
static unsigned int st_seed = 1;
static int st_nr_workers = 6;
static int st_seconds = 60;
static int st_slot = -1;	/* the worker's slot, -1 in the supervisor */
static char st_sock_base[64];

static void st_inc(enum st_count c)
{
	__atomic_fetch_add(&st->count[c], 1, __ATOMIC_RELAXED);
}

/* An errno outside the expected ones: counted and logged (the first 20). */
static void st_unexpected(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&st->count[C_UNEXPECTED], 1, __ATOMIC_RELAXED) >=
	    20)
		return;
	fprintf(stderr, "# worker %d: ", st_slot);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool st_stopping(void)
{
	return __atomic_load_n(&st->stop, __ATOMIC_RELAXED);
}

/* xorshift, per process. */
static unsigned int st_rnd_state;

static unsigned int st_rnd(unsigned int n)
{
	unsigned int x = st_rnd_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	st_rnd_state = x ? x : 1;
	return n ? st_rnd_state % n : 0;
}

static void st_msleep(unsigned int ms)
{
	usleep(ms * 1000);
}

/* ---- members, as the workers see them (refreshed now and then) */

enum st_kind { K_DRAM, K_CXL, K_DEVICE };

struct st_member {
	__u32 id;
	enum st_kind kind;
};

static struct st_member st_members[ST_MAX_MEMBERS];
static int st_nr_members;

static void st_members_refresh(void)
{
	__u32 ids[T_MAX_IDS];
	char kind[32];
	int i, n = t_members(ids, T_MAX_IDS);

	st_nr_members = 0;
	for (i = 0; i < n && st_nr_members < ST_MAX_MEMBERS; i++) {
		struct st_member *m = &st_members[st_nr_members];

		if (t_member_attr(ids[i], "kind", kind, sizeof(kind)))
			continue;	/* went away meanwhile */
		m->id = ids[i];
		if (strcmp(kind, "node"))
			m->kind = K_DEVICE;
		else
			m->kind = t_member_is(ids[i], "cxl") ? K_CXL : K_DRAM;
		st_nr_members++;
	}
}

/*
 * A length for @kind: CXL memory is a few MB/s under TCG and the BARs
 * are small, so those get small allocations.
 */
static size_t st_length(enum st_kind kind)
{
	static const size_t dram[] = {
		T_PAGE, 16 * T_KIB, 64 * T_KIB, T_MIB, T_HUGE, 2 * T_HUGE,
	};
	static const size_t small[] = { T_PAGE, 16 * T_KIB, 64 * T_KIB };

	if (kind == K_DRAM)
		return dram[st_rnd(T_ARRAY_SIZE(dram))];
	return small[st_rnd(T_ARRAY_SIZE(small))];
}

/* ---- guarded access: device memory may be revoked (SIGBUS) */

static sigjmp_buf *st_guard;

static void st_on_sigbus(int sig)
{
	if (st_guard)
		siglongjmp(*st_guard, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Fills (@fill) or checks @len bytes at @p against @seed: 0, 1 on a
 * mismatch, -EFAULT on SIGBUS.
 */
static int st_access(void *p, size_t len, uint64_t seed, bool fill)
{
	sigjmp_buf jb;
	int ret = 0;

	if (sigsetjmp(jb, 1)) {
		st_guard = NULL;
		return -EFAULT;
	}
	st_guard = &jb;
	if (fill)
		t_fill(p, len, seed);
	else
		ret = t_check(p, len, seed) >= 0;
	st_guard = NULL;
	return ret;
}

/* ---- a worker's allocations */

struct st_rec {
	bool used;
	int fd;			/* the device fd the handle lives on */
	bool own_fd;		/* @fd is this allocation's alone */
	__u32 handle;
	__u64 offset;
	size_t len;
	uint64_t seed;
	enum st_kind kind;
	void *map;
	int dfd;		/* exported dma-buf, or -1 */
	bool revoked;
};

static struct st_rec st_recs[ST_MAX_RECS];
static int st_devfd = -1;	/* the worker's shared device fd */

static struct st_rec *st_rec_free_slot(void)
{
	int i;

	for (i = 0; i < ST_MAX_RECS; i++)
		if (!st_recs[i].used)
			return &st_recs[i];
	return NULL;
}

static struct st_rec *st_rec_pick(void)
{
	int i, start = st_rnd(ST_MAX_RECS);

	for (i = 0; i < ST_MAX_RECS; i++) {
		struct st_rec *r = &st_recs[(start + i) % ST_MAX_RECS];

		if (r->used)
			return r;
	}
	return NULL;
}

/*
 * A revoked device allocation: INFO, when the handle is still there,
 * must say so.
 */
static void st_revoked(struct st_rec *r, const char *what)
{
	struct scalepool_info info;
	int ret;

	st_inc(C_REVOKED);
	r->revoked = true;
	if (r->kind != K_DEVICE) {
		st_unexpected("%s: SIGBUS on node memory (%zu bytes)", what,
			      r->len);
		return;
	}
	ret = _test_cmd_info(r->fd, r->handle, &info, NULL, 0);
	if (!ret && !(info.state & SCALEPOOL_INFO_STATE_REVOKED))
		st_unexpected("%s: SIGBUS but INFO says not revoked", what);
}

/* Checks @r's mapping: a mismatch is a failure, SIGBUS only on devices. */
static void st_rec_check(struct st_rec *r, const char *what)
{
	int ret;

	if (!r->map || r->revoked)
		return;
	ret = st_access(r->map, r->len, r->seed, false);
	st_inc(C_CHECK);
	if (ret == -EFAULT) {
		st_revoked(r, what);
	} else if (ret) {
		st_inc(C_MISMATCH);
		st_unexpected("%s: data mismatch in %zu bytes", what, r->len);
	}
}

/* Whether ALLOC's @err is one the stress may give: memory or member gone. */
static bool st_alloc_err_ok(int err, enum st_kind kind)
{
	if (err == -ENOMEM || err == -ENOSPC) {
		st_inc(C_ALLOC_NOMEM);
		return true;
	}
	/* Bar members come and go; a CXL block may be on its way out. */
	if ((err == -ENOENT || err == -ENODEV) && kind != K_DRAM) {
		st_inc(C_ALLOC_GONE);
		return true;
	}
	return false;
}

/* An ALLOC request for @m: BIND mostly, INTERLEAVE or PREFERRED else. */
static struct scalepool_alloc st_alloc_req(const struct st_member *m,
					   __u32 *ids, size_t len)
{
	__u32 flags = st_rnd(3) ? 0 : SCALEPOOL_ALLOC_POPULATE;
	int i, n = 0;

	if (!st_rnd(4))
		flags |= SCALEPOOL_ALLOC_NO_HUGE;
	ids[n++] = m->id;
	if (m->kind == K_DRAM && !st_rnd(3)) {
		for (i = 0; i < st_nr_members && n < 4; i++)
			if (st_members[i].kind == K_DRAM &&
			    st_members[i].id != m->id)
				ids[n++] = st_members[i].id;
		return T_ALLOC(.flags = flags, .length = len,
			       .policy = SCALEPOOL_POLICY_INTERLEAVE,
			       .nr_members = n, .members_ptr = (uintptr_t)ids,
			       .initiator = SCALEPOOL_INITIATOR_LOCAL);
	}
	return T_ALLOC(.flags = flags, .length = len,
		       .policy = m->kind == K_DRAM && !st_rnd(4) ?
				 SCALEPOOL_POLICY_PREFERRED :
				 SCALEPOOL_POLICY_BIND,
		       .nr_members = 1, .members_ptr = (uintptr_t)ids,
		       .initiator = SCALEPOOL_INITIATOR_LOCAL);
}

/* ALLOC on a random member, map, fill, check. */
static void st_op_alloc(void)
{
	struct st_rec *r = st_rec_free_slot();
	struct scalepool_alloc a;
	const struct st_member *m;
	__u32 ids[4];
	int ret;

	if (!r || !st_nr_members)
		return;
	m = &st_members[st_rnd(st_nr_members)];
	memset(r, 0, sizeof(*r));
	r->dfd = -1;
	r->kind = m->kind;
	r->len = st_length(m->kind);
	r->seed = ((uint64_t)getpid() << 32) ^ st_rnd(~0U);
	r->own_fd = !st_rnd(3);
	r->fd = r->own_fd ? t_open() : st_devfd;
	if (r->fd < 0) {
		st_unexpected("open: %s", strerror(errno));
		return;
	}
	a = st_alloc_req(m, ids, r->len);
	ret = _test_cmd_alloc(r->fd, &a);
	if (ret) {
		if (!st_alloc_err_ok(ret, m->kind))
			st_unexpected("ALLOC %zu on member %u: %s", r->len,
				      m->id, strerror(-ret));
		if (r->own_fd)
			close(r->fd);
		return;
	}
	st_inc(C_ALLOC);
	r->used = true;
	r->handle = a.handle;
	r->offset = a.offset;
	r->map = t_map(r->fd, r->offset, r->len);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		if (m->kind != K_DEVICE || errno != ENODEV)
			st_unexpected("mmap of %zu on member %u: %s", r->len,
				      m->id, strerror(errno));
		return;
	}
	if (st_access(r->map, r->len, r->seed, true) == -EFAULT)
		st_revoked(r, "fill");
	st_rec_check(r, "check after fill");
}

/* Undoes @r in a random order of FREE, munmap and the closes. */
static void st_rec_release(struct st_rec *r)
{
	int ret, order = st_rnd(3);

	if (order == 0 && r->own_fd) {
		close(r->fd);	/* the mapping and dma-buf hold it */
		r->fd = -1;
	} else if (r->fd >= 0 && (order == 1 || !r->own_fd)) {
		ret = _test_cmd_free(r->fd, r->handle);
		if (ret)
			st_unexpected("FREE: %s", strerror(-ret));
		else
			st_inc(C_FREE);
	}
	if (r->map && st_rnd(2))
		st_rec_check(r, "check before release");
	if (r->map)
		munmap(r->map, r->len);
	if (r->dfd >= 0)
		close(r->dfd);
	if (order == 2 && r->fd >= 0 && r->own_fd) {
		ret = _test_cmd_free(r->fd, r->handle);
		if (ret)
			st_unexpected("FREE after munmap: %s", strerror(-ret));
		else
			st_inc(C_FREE);
	}
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	r->used = false;
}

/*
 * Maps dma-buf @dfd of @len bytes and checks it against @seed inside
 * DMA_BUF_IOCTL_SYNC; @kind says whether revocation is allowed.
 */
static void st_dmabuf_check(int dfd, size_t len, uint64_t seed,
			    enum st_kind kind, const char *what)
{
	struct st_rec tmp = {
		.fd = -1, .handle = ~0U, .len = len, .seed = seed, .kind = kind,
	};
	void *p = t_dmabuf_map(dfd, len, 0);

	if (p == MAP_FAILED) {
		if (kind != K_DEVICE || errno != ENODEV)
			st_unexpected("%s: mmap of dma-buf: %s", what,
				      strerror(errno));
		else
			st_inc(C_REVOKED);
		return;
	}
	tmp.map = p;
	t_dmabuf_sync(dfd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	st_rec_check(&tmp, what);
	t_dmabuf_sync(dfd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	munmap(p, len);
}

/* EXPORT @r as a dma-buf and check the dma-buf's mapping. */
static void st_op_export(struct st_rec *r)
{
	int dfd;

	if (r->dfd >= 0 || r->fd < 0)
		return;
	dfd = _test_cmd_export(r->fd, r->handle, SCALEPOOL_EXPORT_CLOEXEC);
	if (dfd < 0) {
		if (dfd == -ENODEV && r->kind == K_DEVICE)
			st_inc(C_EXPORT_GONE);
		else
			st_unexpected("EXPORT: %s", strerror(-dfd));
		return;
	}
	st_inc(C_EXPORT);
	r->dfd = dfd;
	if (!r->revoked)
		st_dmabuf_check(dfd, r->len, r->seed, r->kind, "export");
}

/* ---- fd passing between workers */

enum st_msg_kind { MSG_DEV = 1, MSG_DMABUF };

struct st_msg {
	__u32 kind;
	__u32 handle;
	__u64 offset;
	__u64 len;
	__u64 seed;
	__u32 mkind;
	__u32 hops;
};

static int st_sock = -1;

static socklen_t st_sock_addr(int slot, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* Abstract: sun_path[0] is '\0'. */
	snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "%s-%d",
		 st_sock_base, slot);
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       strlen(sun->sun_path + 1);
}

/* This worker's datagram socket; the previous owner of the slot is dead. */
static int st_sock_open(int slot)
{
	struct sockaddr_un sun;
	socklen_t len = st_sock_addr(slot, &sun);
	int fd, i;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < 100; i++) {
		if (!bind(fd, (struct sockaddr *)&sun, len))
			return fd;
		if (errno != EADDRINUSE)
			break;
		st_msleep(20);
	}
	i = -errno;
	close(fd);
	return i;
}

/* Sends @fd with @msg to another worker: whether it went. */
static bool st_send(const struct st_msg *msg, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct sockaddr_un sun;
	int to = st_rnd(st_nr_workers);

	if (st_nr_workers > 1 && to == st_slot)
		to = (to + 1) % st_nr_workers;
	mh.msg_name = &sun;
	mh.msg_namelen = st_sock_addr(to, &sun);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(st_sock, &mh, MSG_DONTWAIT) == sizeof(*msg))
		return true;
	/* A full queue, or a worker being restarted. */
	if (errno != EAGAIN && errno != ECONNREFUSED && errno != ENOENT)
		st_unexpected("sendmsg: %s", strerror(errno));
	st_inc(C_SEND_DROP);
	return false;
}

/* Passes @r on: its device fd when it has one alone, else a dma-buf. */
static void st_op_send(struct st_rec *r)
{
	struct st_msg msg = {
		.handle = r->handle, .offset = r->offset, .len = r->len,
		.seed = r->seed, .mkind = r->kind,
	};

	if (r->revoked)
		return;
	if (r->own_fd && r->fd >= 0 && st_rnd(2)) {
		msg.kind = MSG_DEV;
		if (st_send(&msg, r->fd))
			st_inc(C_SEND_DEV);
		/*
		 * The fd shares its open file with the receiver's: no FREE
		 * here, only our mapping and descriptors go.
		 */
		if (r->map)
			munmap(r->map, r->len);
		if (r->dfd >= 0)
			close(r->dfd);
		close(r->fd);
		r->used = false;
		return;
	}
	st_op_export(r);
	if (r->dfd < 0)
		return;
	msg.kind = MSG_DMABUF;
	if (st_send(&msg, r->dfd))
		st_inc(C_SEND_BUF);
	close(r->dfd);
	r->dfd = -1;
}

/* A received device fd: INFO, map, check; keep it or FREE it. */
static void st_recv_dev(const struct st_msg *msg, int fd)
{
	struct st_rec *r = st_rnd(2) ? st_rec_free_slot() : NULL;
	struct st_rec tmp = { 0 };
	struct scalepool_info info;
	int ret;

	st_inc(C_RECV_DEV);
	if (!r)
		r = &tmp;
	*r = (struct st_rec){
		.used = true, .fd = fd, .own_fd = true, .handle = msg->handle,
		.offset = msg->offset, .len = msg->len, .seed = msg->seed,
		.kind = msg->mkind, .dfd = -1,
	};
	ret = _test_cmd_info(fd, msg->handle, &info, NULL, 0);
	if (ret)
		st_unexpected("INFO of a received handle: %s", strerror(-ret));
	else if (info.length != msg->len || info.offset != msg->offset)
		st_unexpected("INFO of a received handle: length %llu",
			      (unsigned long long)info.length);
	r->map = t_map(fd, msg->offset, msg->len);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		st_unexpected("mmap of a received handle: %s", strerror(errno));
	} else {
		st_rec_check(r, "received device fd");
	}
	if (r == &tmp)
		st_rec_release(r);
}

/* A received dma-buf: check it, forward it now and then, close it. */
static void st_recv_buf(struct st_msg *msg, int fd)
{
	st_inc(C_RECV_BUF);
	st_dmabuf_check(fd, msg->len, msg->seed, msg->mkind,
			"received dma-buf");
	if (msg->hops < 3 && !st_rnd(4)) {
		msg->hops++;
		if (st_send(msg, fd))
			st_inc(C_SEND_BUF);
	}
	close(fd);
}

static void st_op_recv(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct st_msg msg;
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int i, fd;

	for (i = 0; i < 4; i++) {
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(st_sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) !=
		    sizeof(msg))
			return;
		c = CMSG_FIRSTHDR(&mh);
		if (!c || c->cmsg_type != SCM_RIGHTS) {
			st_unexpected("a message without its fd");
			continue;
		}
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if (msg.kind == MSG_DEV)
			st_recv_dev(&msg, fd);
		else
			st_recv_buf(&msg, fd);
	}
}

/* ---- forked children */

/*
 * The child: checks what it inherited, allocates on the inherited
 * device fd (left for the last close to free) and touches it, and
 * loops so that a SIGKILL finds it mid-way.
 */
static void st_child(int rounds)
{
	int i, ret;

	st_rnd_state ^= getpid();
	for (i = 0; i < ST_MAX_RECS; i++)
		if (st_recs[i].used && st_rnd(2))
			st_rec_check(&st_recs[i], "child");
	for (i = 0; i < rounds && i < ST_CHILD_ALLOCS; i++) {
		__u32 h;
		__u64 off;
		void *p;
		const struct st_member *m = &st_members[st_rnd(st_nr_members)];
		/*
		 * Small: what children leave stays until the fd closes, and
		 * the DRAM nodes have little room to spare.
		 */
		size_t len = st_length(K_DEVICE);

		ret = _test_cmd_alloc_on(st_devfd, m->id, 0, len, &h, &off);
		if (ret) {
			if (!st_alloc_err_ok(ret, m->kind))
				st_unexpected("child ALLOC: %s", strerror(-ret));
			continue;
		}
		st_inc(C_ALLOC);
		p = t_map(st_devfd, off, len);
		if (p != MAP_FAILED &&
		    st_access(p, len, off, true) == -EFAULT &&
		    m->kind != K_DEVICE)
			st_unexpected("child: SIGBUS on node memory");
	}
	_exit(0);
}

static void st_op_fork(void)
{
	int status, kill_it = st_rnd(2);
	pid_t pid;

	if (!st_nr_members)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		if (errno != EAGAIN && errno != ENOMEM)
			st_unexpected("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		st_child(1 + st_rnd(ST_CHILD_ALLOCS));
	st_inc(C_FORK);
	if (kill_it) {
		st_msleep(st_rnd(30));
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) != pid)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && kill_it)
		st_inc(C_CHILD_KILL);
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		st_unexpected("child ended with status 0x%x", status);
}

/*
 * A new shared device fd.  Of what the old one holds, some is released
 * first and the rest stays mapped (and exported) past its close, with
 * no fd left to FREE it on.
 */
static void st_op_new_devfd(void)
{
	struct st_rec *r;
	int fd = t_open();

	if (fd < 0) {
		st_unexpected("open: %s", strerror(errno));
		return;
	}
	for (r = st_recs; r < st_recs + ST_MAX_RECS; r++) {
		if (!r->used || r->fd != st_devfd)
			continue;
		if (st_rnd(2))
			st_rec_release(r);
		else
			r->fd = -1;
	}
	close(st_devfd);
	st_devfd = fd;
}

/* ---- the worker */

static void st_worker_ops(unsigned int op)
{
	struct st_rec *r = st_rec_pick();

	if (op < 30) {
		st_op_alloc();
	} else if (op < 45) {
		if (r)
			st_rec_check(r, "check");
	} else if (op < 55) {
		if (r)
			st_op_export(r);
	} else if (op < 70) {
		if (r)
			st_op_send(r);
	} else if (op < 75) {
		st_op_fork();
	} else if (op < 95) {
		if (r)
			st_rec_release(r);
	} else {
		st_op_new_devfd();
	}
}

static void st_worker(int slot)
{
	struct sigaction sa = { .sa_handler = st_on_sigbus };
	unsigned long n;
	int i;

	st_slot = slot;
	st_rnd_state = st_seed * 2654435761U ^ (slot + 1) * 40503U ^ getpid();
	sigaction(SIGBUS, &sa, NULL);
	st_sock = st_sock_open(slot);
	st_devfd = t_open();
	if (st_sock < 0 || st_devfd < 0) {
		st_unexpected("worker set-up: %s", strerror(errno));
		_exit(1);
	}
	for (n = 0; !st_stopping(); n++) {
		if (n % 32 == 0)
			st_members_refresh();
		st_op_recv();
		st_worker_ops(st_rnd(100));
	}
	/* Half clean up, half leave it all to exit. */
	if (st_rnd(2))
		for (i = 0; i < ST_MAX_RECS; i++)
			if (st_recs[i].used)
				st_rec_release(&st_recs[i]);
	_exit(0);
}

static pid_t st_spawn(void (*fn)(int), int arg)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		fn(arg);
	return pid;
}

/* ---- CXL memory blocks offlined and onlined */

static long st_blocks[ST_MAX_BLOCKS];
static int st_nr_blocks;

/* The memory blocks of the first CXL node; how many. */
static int st_cxl_blocks(void)
{
	char path[128];
	struct dirent *de;
	DIR *d;
	int node = t_cxl_node();

	st_nr_blocks = 0;
	if (node < 0)
		return 0;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) && st_nr_blocks < ST_MAX_BLOCKS) {
		long b;

		if (sscanf(de->d_name, "memory%ld", &b) == 1)
			st_blocks[st_nr_blocks++] = b;
	}
	closedir(d);
	return st_nr_blocks;
}

/*
 * Offline of a block the pool holds pages of is EBUSY at once; one it
 * does not hold goes offline, and comes back as daxctl put it.
 */
static void st_cxl_cycle(long block)
{
	int ret = t_block_set(block, "offline", 60);

	if (ret == EBUSY) {
		st_inc(C_OFF_BUSY);
		return;
	}
	if (ret) {
		st_inc(C_OFF_OTHER);
		st_unexpected("offline of memory%ld: %s", block,
			      ret > 0 ? strerror(ret) : "no answer in 60 s");
		if (ret > 0)
			return;
	} else {
		st_inc(C_OFF_OK);
	}
	st_msleep(50 + st_rnd(200));
	ret = t_block_set(block, "online_movable", 60);
	if (ret) {
		st_inc(C_ON_FAIL);
		st_unexpected("online of memory%ld: %s", block,
			      ret > 0 ? strerror(ret) : "no answer in 60 s");
	} else {
		st_inc(C_ON_OK);
	}
}

static void st_cxl_cycler(int unused)
{
	st_slot = -2;
	st_rnd_state = st_seed ^ 0x5eed;
	while (!st_stopping()) {
		long b = st_blocks[st_rnd(st_nr_blocks)];

		if (t_block_is(b, "online"))
			st_cxl_cycle(b);
		st_msleep(100 + st_rnd(400));
	}
	_exit(0);
}

/* ---- a bar member removed and re-added */

static struct t_pci_dev st_bars[ST_MAX_BARS];
static int st_nr_bars;

/* Adds every ivshmem behind a switch as a bar member; how many. */
static int st_bars_add(void)
{
	struct t_pci_dev devs[8];
	int i, ret, n;

	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 0, devs, 8);

	st_nr_bars = 0;
	for (i = 0; i < n && st_nr_bars < ST_MAX_BARS; i++) {
		if (devs[i].root_bus)
			continue;
		ret = t_bar_member_add(devs[i].bdf);
		if (ret < 0) {
			fprintf(stderr, "# add_bar %s: %s\n", devs[i].bdf,
				strerror(-ret));
			continue;
		}
		st_bars[st_nr_bars++] = devs[i];
	}
	return st_nr_bars;
}

/* Removes the bar members and unbinds their devices, as found. */
static void st_bars_remove(void)
{
	int i, id;

	for (i = 0; i < st_nr_bars; i++) {
		id = t_member_of_pci("bar", st_bars[i].bdf);
		if (id >= 0)
			t_remove_member(id);
		t_pci_unbind(st_bars[i].bdf, T_SP_DRIVER);
	}
}

/* Removes and re-adds the first bar member, with live allocations on it. */
static void st_bar_cycler(int unused)
{
	const char *bdf = st_bars[0].bdf;
	int id, ret;

	st_slot = -3;
	st_rnd_state = st_seed ^ 0xba5;
	while (!st_stopping()) {
		st_msleep(300 + st_rnd(1200));
		id = t_member_of_pci("bar", bdf);
		ret = id < 0 ? -ENOENT : t_remove_member(id);
		if (ret) {
			st_inc(C_BAR_FAIL);
			st_unexpected("remove_member %d: %s", id,
				      strerror(-ret));
		} else {
			st_inc(C_BAR_REMOVE);
		}
		st_msleep(100 + st_rnd(400));
		id = t_bar_member_add(bdf);
		if (id < 0) {
			st_inc(C_BAR_FAIL);
			st_unexpected("add_bar %s: %s", bdf, strerror(-id));
		} else {
			st_inc(C_BAR_ADD);
		}
	}
	_exit(0);
}

/* ---- the supervisor */

struct st_run {
	pid_t workers[ST_MAX_WORKERS];
	pid_t cxl, bar;
};

/* SIGKILLs a random worker now and then and starts a new one. */
static void st_supervise(struct st_run *run)
{
	struct timespec start, now;
	int status, i;
	pid_t pid;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= st_seconds)
			break;
		st_msleep(300 + st_rnd(1500));
		i = st_rnd(st_nr_workers);
		if (kill(run->workers[i], SIGKILL) ||
		    waitpid(run->workers[i], &status, 0) != run->workers[i]) {
			st_unexpected("kill of worker %d: %s", i,
				      strerror(errno));
			continue;
		}
		if (!WIFSIGNALED(status))
			st_unexpected("worker %d ended with 0x%x", i, status);
		st_inc(C_WORKER_KILL);
		run->workers[i] = st_spawn(st_worker, i);
	}
	__atomic_store_n(&st->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < st_nr_workers; i++) {
		pid = waitpid(run->workers[i], &status, 0);
		if (pid != run->workers[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			st_unexpected("worker %d ended with 0x%x", i, status);
	}
	if (run->cxl > 0)
		waitpid(run->cxl, &status, 0);
	if (run->bar > 0)
		waitpid(run->bar, &status, 0);
}

/* ---- checks after the run */

static int st_tap_n;
static int st_tap_failed;

static void st_tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		st_tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", ++st_tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void st_tap_skip(const char *what, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++st_tap_n, what, why);
	fflush(stdout);
}

static long long st_c(enum st_count c)
{
	return st->count[c];
}

/* Every member's `used` is 0 within @secs (frees finish after exit). */
static bool st_used_zero(int secs)
{
	__u32 ids[T_MAX_IDS];
	int i, n, t;

	for (t = 0; t <= secs * 10; t++) {
		n = t_members(ids, T_MAX_IDS);
		for (i = 0; i < n; i++)
			if (t_member_ll(ids[i], "used") > 0)
				break;
		if (i == n)
			return true;
		st_msleep(100);
	}
	for (i = 0; i < n; i++)
		printf("# member %u: used %lld\n", ids[i],
		       t_member_ll(ids[i], "used"));
	return false;
}

#define ST_BUFINFO	"/sys/kernel/debug/dma_buf/bufinfo"

/*
 * scalepool dma-bufs in debugfs's bufinfo (exporter name "scalepool"),
 * within @secs (the last fput is delayed work); -1 without the file.
 */
static int st_bufinfo_left(int secs)
{
	char line[512];
	int t, n = -1;
	FILE *f;

	for (t = 0; t <= secs * 10; t++) {
		f = fopen(ST_BUFINFO, "re");
		if (!f)
			return -1;
		n = 0;
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "\tscalepool\t"))
				n++;
		fclose(f);
		if (!n)
			break;
		st_msleep(100);
	}
	return n;
}

static void st_report(void)
{
	int i;

	for (i = 0; i < C_NR; i++)
		printf("# %s: %lld\n", st_count_names[i], st->count[i]);
}

static void st_checks(void)
{
	bool all_ran = st_c(C_ALLOC) && st_c(C_EXPORT) && st_c(C_SEND_DEV) &&
		       st_c(C_SEND_BUF) && st_c(C_RECV_DEV) &&
		       st_c(C_RECV_BUF) && st_c(C_FORK) &&
		       st_c(C_CHILD_KILL) && st_c(C_WORKER_KILL);
	int i, left;

	st_tap(!st_c(C_MISMATCH), "no data mismatch in %lld checks",
	       st_c(C_CHECK));
	st_tap(!st_c(C_UNEXPECTED), "no unexpected errno or status (%lld)",
	       st_c(C_UNEXPECTED));
	st_tap(all_ran, "every operation ran: %lld allocs, %lld exports, "
	       "%lld+%lld fds passed, %lld forks, %lld workers killed",
	       st_c(C_ALLOC), st_c(C_EXPORT), st_c(C_SEND_DEV),
	       st_c(C_SEND_BUF), st_c(C_FORK), st_c(C_WORKER_KILL));
	if (!st->have_cxl) {
		st_tap_skip("CXL blocks offlined and onlined", "no CXL node");
		st_tap_skip("every CXL block online after", "no CXL node");
	} else {
		st_tap(st_c(C_OFF_OK) + st_c(C_OFF_BUSY) > 0,
		       "CXL blocks offlined and onlined: %lld offline, "
		       "%lld EBUSY", st_c(C_OFF_OK), st_c(C_OFF_BUSY));
		for (i = 0; i < st_nr_blocks; i++)
			if (!t_block_is(st_blocks[i], "online"))
				break;
		st_tap(i == st_nr_blocks, "every CXL block online after");
	}
	if (!st->have_bar)
		st_tap_skip("bar member removed and re-added",
			    "no ivshmem behind a switch (peer topology)");
	else
		st_tap(st_c(C_BAR_REMOVE) > 0 && !st_c(C_BAR_FAIL),
		       "bar member removed and re-added %lld times",
		       st_c(C_BAR_REMOVE));
	st_tap(st_used_zero(20), "every member's used is 0 after");
	left = st_bufinfo_left(20);
	if (left < 0)
		st_tap_skip("no scalepool dma-buf left", "no " ST_BUFINFO);
	else
		st_tap(!left, "no scalepool dma-buf left (%d in bufinfo)",
		       left);
}

static int st_options(int argc, char **argv, int *first)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'r' },
		{ "first", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			st_seconds = atoi(optarg);
			break;
		case 'w':
			st_nr_workers = atoi(optarg);
			break;
		case 'r':
			st_seed = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			*first = atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (st_seconds < 1 || st_nr_workers < 2 ||
	    st_nr_workers > ST_MAX_WORKERS || *first < 0 || optind != argc) {
		fprintf(stderr, "stress: --seconds N (>= 1), --workers N "
			"(2..%d), --seed N, --first N\n", ST_MAX_WORKERS);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct st_run run = { .cxl = -1, .bar = -1 };
	int i, first = 0;

	if (st_options(argc, argv, &first))
		return 2;
	if (!first) {
		printf("TAP version 13\n1..%d\n", ST_NR_TESTS);
		first = 1;
	}
	st_tap_n = first - 1;
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED || access(T_DEV, R_OK | W_OK)) {
		st_tap(false, "set-up: " T_DEV " or shared memory: %s",
		       strerror(errno));
		return 1;
	}
	snprintf(st_sock_base, sizeof(st_sock_base), "scalepool-stress-%d",
		 getpid());
	st_rnd_state = st_seed;
	st->have_cxl = st_cxl_blocks() > 0;
	st->have_bar = st_bars_add() > 0;
	printf("# %d workers for %d s, seed %u; %d CXL blocks, %d bar members\n",
	       st_nr_workers, st_seconds, st_seed, st_nr_blocks, st_nr_bars);
	fflush(stdout);
	for (i = 0; i < st_nr_workers; i++)
		run.workers[i] = st_spawn(st_worker, i);
	if (st->have_cxl)
		run.cxl = st_spawn(st_cxl_cycler, 0);
	if (st->have_bar)
		run.bar = st_spawn(st_bar_cycler, 0);
	st_supervise(&run);
	st_report();
	st_checks();
	st_bars_remove();
	return st_tap_failed ? 1 : 0;
}
