// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's memory: records of each allocation's memory (shared with
 * forked children), mappings of allocations and of dma-bufs, and the
 * calls on them: mmap, munmap, mremap, madvise, touches that check and
 * write a pattern, and the dma-buf fds' mmap, sync and close.
 */
#include "fuzz.h"

struct f_map f_maps[F_NR_MAPS];
struct f_buf f_bufs[F_NR_BUFS];
#define PG	4096UL
#define ERRS(...)	((const int[]){ __VA_ARGS__, -1 })

/* ---- records */

/* A free record for @length bytes, with one reference; -1 when none. */
int f_rec_new(__u64 length)
{
	unsigned int start = f_below(F_NR_RECS), i;
	struct f_rec *r;
	int zero;

	for (i = 0; i < F_NR_RECS; i++) {
		r = &f_sh->recs[(start + i) % F_NR_RECS];
		zero = 0;
		if (!__atomic_compare_exchange_n(&r->refs, &zero, 1, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			continue;
		r->uid = __atomic_add_fetch(&f_sh->next_uid, 1,
					    __ATOMIC_SEQ_CST);
		r->length = length;
		r->bar = 0;
		r->member = -1;
		r->revoked = 0;
		memset(r->gen, 0, sizeof(r->gen));
		__atomic_add_fetch(&f_sh->live_bytes, length, __ATOMIC_SEQ_CST);
		return (start + i) % F_NR_RECS;
	}
	return -1;
}

void f_rec_get(int rec)
{
	__atomic_add_fetch(&f_sh->recs[rec].refs, 1, __ATOMIC_SEQ_CST);
}

void f_rec_put(int rec)
{
	struct f_rec *r = &f_sh->recs[rec];
	__u64 len = r->length;

	if (!__atomic_sub_fetch(&r->refs, 1, __ATOMIC_SEQ_CST))
		__atomic_sub_fetch(&f_sh->live_bytes, len, __ATOMIC_SEQ_CST);
}

/* Whether a bar member was removed since the allocation was made. */
bool f_rec_may_sigbus(const struct f_rec *r)
{
	return r->bar && __atomic_load_n(&f_sh->removes, __ATOMIC_SEQ_CST) !=
			 r->removes0;
}

/* ---- mappings */

/* Records a new mapping in a free slot; -1 when there is none. */
int f_map_add(char *addr, size_t len, __u64 pgoff, int rec, int prot, int io)
{
	int i;

	for (i = 0; i < F_NR_MAPS; i++) {
		if (pthread_mutex_trylock(&f_maps[i].lock))
			continue;
		if (!f_maps[i].used) {
			f_rec_get(rec);
			f_maps[i] = (struct f_map){ .lock = f_maps[i].lock,
				.used = 1, .addr = addr, .len = len,
				.pgoff = pgoff, .rec = rec, .prot = prot,
				.io = io };
			pthread_mutex_unlock(&f_maps[i].lock);
			return i;
		}
		pthread_mutex_unlock(&f_maps[i].lock);
	}
	return -1;
}

/* A used mapping, locked; -1 when the slot tried was free or busy. */
static int map_pick(void)
{
	int i = f_below(F_NR_MAPS);

	if (pthread_mutex_trylock(&f_maps[i].lock))
		return -1;
	if (f_maps[i].used)
		return i;
	pthread_mutex_unlock(&f_maps[i].lock);
	return -1;
}

static void map_drop(struct f_map *m)
{
	m->used = 0;
	f_rec_put(m->rec);
}

static void do_munmap(void *addr, size_t len)
{
	int ret;

	f_note("munmap(%p, %#zx)", addr, len);
	ret = munmap(addr, len) ? -errno : 0;
	f_result(ret);
	f_check("munmap", -ret, ERRS(0));
}

/* Maps @len bytes at page @pgoff of what @fd names at @off, or unmaps. */
static void map_keep(void *p, size_t len, __u64 pgoff, int rec, int prot)
{
	if (f_map_add(p, len, pgoff, rec, prot, f_sh->recs[rec].bar) < 0)
		do_munmap(p, len);
}

struct mmap_req {
	size_t len;
	__u64 off;
	int prot, flags;
	int exp[F_MAX_ERRS];
	const char *what;
};

/* The expected answer of mmap() of a file opened @fmode, in the core's
 * order: length and alignment, then the file's mode, then the driver. */
static void mmap_exp(struct mmap_req *r, int fmode, const int *drv)
{
	static const int einval[] = { EINVAL, -1 }, eacces[] = { EACCES, -1 };
	const int *e = drv;
	int i;

	if (!r->len || r->off % PG)
		e = einval;
	else if (fmode == O_WRONLY)
		e = eacces;
	else if ((r->flags & MAP_SHARED) && (r->prot & PROT_WRITE) &&
		 fmode == O_RDONLY)
		e = eacces;
	for (i = 0; i < F_MAX_ERRS; i++) {
		r->exp[i] = e[i];
		if (e[i] < 0)
			break;
	}
}

/* A range of @pages pages: right most of the time, else hostile. */
static void mmap_range(struct mmap_req *r, __u64 pages, __u64 base)
{
	__u64 first = f_below(pages), n = 1 + f_below(pages - first);
	unsigned int h = f_below(100);

	r->prot = f_chance(80) ? PROT_READ | PROT_WRITE : PROT_READ;
	r->flags = MAP_SHARED | (f_chance(10) ? MAP_POPULATE : 0);
	r->off = base + first * PG;
	r->len = n * PG;
	r->what = "mmap";
	if (h < 4) {
		r->len = (pages - first + 1 + f_below(4)) * PG;
		r->what = "mmap past the end";
	} else if (h < 7) {
		r->flags = MAP_PRIVATE;
		r->what = "mmap private";
	} else if (h < 9) {
		r->len = 0;
		r->what = "mmap 0 bytes";
	} else if (h < 11) {
		r->off += 1 + f_below(PG - 1);
		r->what = "mmap unaligned offset";
	}
}

static void *do_mmap(int fd, struct mmap_req *r)
{
	void *p;
	int err;

	f_note("%s(fd%d, len=%#zx, prot=%d, flags=%#x, off=%#llx)", r->what,
	       fd, r->len, r->prot, r->flags, r->off);
	p = mmap(NULL, r->len, r->prot, r->flags, fd, (off_t)r->off);
	err = p == MAP_FAILED ? errno : 0;
	f_result(err ? -err : 0);
	f_check(r->what, err, r->exp);
	return p;
}

void f_op_mmap(void)
{
	struct mmap_req r = {};
	struct f_alloc *a = NULL;
	int si, i, n = 0, rec = -1;
	struct f_fd *s;
	__u64 base;
	void *p;

	si = f_fd_pick(false);
	if (si < 0)
		return;
	s = &f_fds[si];
	for (i = 0; i < F_NR_ALLOCS; i++)
		if (s->a[i].used && !f_below(++n))
			a = &s->a[i];
	if (a && f_chance(92)) {
		rec = a->rec;
		mmap_range(&r, a->length / PG, a->offset);
		/*
		 * The device's mmap() maps a revoked allocation too (its
		 * faults get SIGBUS): only a dma-buf's refuses one.
		 */
		mmap_exp(&r, s->mode, !strcmp(r.what, "mmap") ? ERRS(0) :
			 ERRS(EINVAL));
		base = a->offset;
	} else {
		/* A freed allocation's offset, or one that names nothing. */
		base = s->nstale && f_chance(70) ?
		       s->stale_off[f_below(s->nstale < F_NR_STALE ?
					    s->nstale : F_NR_STALE)] :
		       (f_rand() % (1ULL << 44)) & ~(PG - 1);
		/*
		 * At that first page: offsets are packed, so the next page
		 * may well start a live allocation.
		 */
		mmap_range(&r, 1, base);
		r.what = "mmap of no allocation";
		mmap_exp(&r, s->mode, ERRS(EINVAL));
	}
	/* Another process may free what an inherited fd holds. */
	if (s->inherited)
		mmap_exp(&r, s->mode, ERRS(0, EINVAL));
	p = do_mmap(s->fd, &r);
	if (p != MAP_FAILED) {
		if (rec >= 0)
			map_keep(p, r.len, (r.off - base) / PG, rec, r.prot);
		else
			do_munmap(p, r.len);
	}
	pthread_rwlock_unlock(&s->lock);
}

/* The whole mapping, its head, its tail, or a hole in its middle. */
void f_op_munmap(void)
{
	int i = map_pick(), j;
	struct f_map *m;
	size_t pages, cut, at;

	if (i < 0)
		return;
	m = &f_maps[i];
	pages = m->len / PG;
	cut = 1 + f_below(pages);
	switch (pages > 1 ? f_below(4) : 0) {
	case 0:
		do_munmap(m->addr, m->len);
		map_drop(m);
		break;
	case 1:
		cut = cut < pages ? cut : pages - 1;
		do_munmap(m->addr, cut * PG);
		m->addr += cut * PG;
		m->len -= cut * PG;
		m->pgoff += cut;
		break;
	case 2:
		cut = cut < pages ? cut : pages - 1;
		do_munmap(m->addr + m->len - cut * PG, cut * PG);
		m->len -= cut * PG;
		break;
	default:
		if (pages < 3)
			break;
		at = 1 + f_below(pages - 2);
		cut = 1 + f_below(pages - 1 - at);
		j = f_map_add(m->addr + (at + cut) * PG,
			      m->len - (at + cut) * PG, m->pgoff + at + cut,
			      m->rec, m->prot, m->io);
		if (j < 0)
			break;
		f_maps[j].dontfork = m->dontfork;
		do_munmap(m->addr + at * PG, cut * PG);
		m->len = at * PG;
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

/*
 * Shrink in place, move to a new place, or the refused ones: grow
 * (VM_DONTEXPAND: EFAULT) and MREMAP_DONTUNMAP (EINVAL).
 */
void f_op_mremap(void)
{
	int i = map_pick(), err;
	struct f_map *m;
	size_t nlen;
	void *p, *to;

	if (i < 0)
		return;
	m = &f_maps[i];
	switch (f_below(4)) {
	case 0:
		nlen = m->len > PG ? PG * (1 + f_below(m->len / PG - 1)) :
			m->len;
		f_note("mremap(%p, %#zx, %#zx, 0)", m->addr, m->len, nlen);
		p = mremap(m->addr, m->len, nlen, 0);
		f_result(p == MAP_FAILED ? -errno : 0);
		if (p != m->addr)
			f_fail("mremap shrinking %p to %#zx: %p (%s)", m->addr,
			       nlen, p, strerror(errno));
		else
			m->len = nlen;
		break;
	case 1:
		to = mmap(NULL, m->len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (to == MAP_FAILED)
			break;
		f_note("mremap(%p, %#zx, %#zx, MAYMOVE|FIXED, %p)", m->addr,
		       m->len, m->len, to);
		p = mremap(m->addr, m->len, m->len,
			   MREMAP_MAYMOVE | MREMAP_FIXED, to);
		f_result(p == MAP_FAILED ? -errno : 0);
		if (p != to) {
			f_fail("mremap moving %p: %s", m->addr,
			       strerror(errno));
			munmap(to, m->len);
		} else {
			m->addr = p;
		}
		break;
	default:
		nlen = m->len + PG * (1 + f_below(4));
		err = f_chance(50);
		f_note("mremap(%p, %#zx, %#zx, %s)", m->addr, m->len,
		       err ? m->len : nlen, err ? "MAYMOVE|DONTUNMAP" :
		       "MAYMOVE");
		p = err ? mremap(m->addr, m->len, m->len,
				 MREMAP_MAYMOVE | MREMAP_DONTUNMAP) :
			  mremap(m->addr, m->len, nlen, MREMAP_MAYMOVE);
		f_result(p == MAP_FAILED ? -errno : 0);
		f_check(err ? "mremap DONTUNMAP" : "mremap growing",
			p == MAP_FAILED ? errno : 0,
			err ? ERRS(EINVAL) : ERRS(EFAULT));
		break;
	}
	pthread_mutex_unlock(&m->lock);
}

struct advice {
	int advice;
	const char *name;
	bool partial;		/* keeps the VMA's flags: any part of it */
	int mixed[5];		/* answers on a page-backed mapping */
	int io[5];		/* on a bar member's PFN mapping */
};

/* What 6.12 answers for a VM_MIXEDMAP or VM_PFNMAP|VM_IO mapping. */
static const struct advice advices[] = {
	{ MADV_DONTNEED, "DONTNEED", true, { 0, -1 }, { EINVAL, -1 } },
	{ MADV_DONTFORK, "DONTFORK", false, { 0, -1 }, { 0, -1 } },
	{ MADV_DOFORK, "DOFORK", false, { 0, -1 }, { EINVAL, -1 } },
	{ MADV_COLD, "COLD", true, { 0, -1 }, { EINVAL, -1 } },
	{ MADV_PAGEOUT, "PAGEOUT", true, { 0, -1 }, { EINVAL, -1 } },
	{ MADV_WILLNEED, "WILLNEED", true, { 0, EBADF, EINVAL, -1 },
	  { 0, EBADF, EINVAL, -1 } },
	{ MADV_POPULATE_READ, "POPULATE_READ", true,
	  { 0, EFAULT, EINVAL, ENOMEM, -1 }, { 0, EFAULT, EINVAL, ENOMEM, -1 } },
	{ MADV_POPULATE_WRITE, "POPULATE_WRITE", true,
	  { 0, EFAULT, EINVAL, ENOMEM, -1 }, { 0, EFAULT, EINVAL, ENOMEM, -1 } },
	{ MADV_HUGEPAGE, "HUGEPAGE", false, { 0, EINVAL, -1 }, { 0, EINVAL, -1 } },
	{ MADV_NOHUGEPAGE, "NOHUGEPAGE", false, { 0, EINVAL, -1 },
	  { 0, EINVAL, -1 } },
	/* vfs_fallocate() of an anonymous inode's file: ENODEV. */
	{ MADV_REMOVE, "REMOVE", true, { ENODEV, EINVAL, EACCES, -1 },
	  { ENODEV, EINVAL, EACCES, -1 } },
	{ MADV_FREE, "FREE", true, { EINVAL, -1 }, { EINVAL, -1 } },
	{ MADV_DODUMP, "DODUMP", false, { EINVAL, -1 }, { EINVAL, -1 } },
	{ MADV_DONTDUMP, "DONTDUMP", false, { 0, -1 }, { 0, -1 } },
	{ MADV_RANDOM, "RANDOM", false, { 0, -1 }, { 0, -1 } },
	{ MADV_NORMAL, "NORMAL", false, { 0, -1 }, { 0, -1 } },
	{ MADV_WIPEONFORK, "WIPEONFORK", false, { EINVAL, -1 }, { EINVAL, -1 } },
	{ 999, "999", false, { EINVAL, -1 }, { EINVAL, -1 } },
};

void f_op_madvise(void)
{
	const struct advice *a = &advices[f_below(T_ARRAY_SIZE(advices))];
	int i = map_pick(), ret, exp[F_MAX_ERRS];
	size_t pages, first = 0, n;
	struct f_map *m;

	if (i < 0)
		return;
	m = &f_maps[i];
	pages = m->len / PG;
	n = pages;
	/*
	 * Advice that changes the VMA's flags goes to the whole mapping:
	 * a part would split it, and mremap() of the mapping would then
	 * cross VMAs (EFAULT); the child must also know about DONTFORK.
	 */
	if (a->partial && f_chance(50)) {
		first = f_below(pages);
		n = 1 + f_below(pages - first);
	}
	memcpy(exp, m->io ? a->io : a->mixed, sizeof(a->io));
	exp[5] = -1;
	/* Populating memory whose member went is a fault. */
	for (i = 0; i < 5 && exp[i] >= 0; i++)
		;
	if (f_rec_may_sigbus(&f_sh->recs[m->rec]))
		exp[i] = EFAULT, exp[i + 1] = -1;
	f_note("madvise(%p, %#zx, %s)", m->addr + first * PG, n * PG,
	       a->name);
	ret = madvise(m->addr + first * PG, n * PG, a->advice) ? -errno : 0;
	f_result(ret);
	f_check(a->name, -ret, exp);
	if (!ret && a->advice == MADV_DONTFORK)
		m->dontfork = 1;
	if (!ret && a->advice == MADV_DOFORK)
		m->dontfork = 0;
	pthread_mutex_unlock(&m->lock);
}

/* ---- touches */

static __u64 pattern(unsigned int uid, __u64 page, unsigned int gen)
{
	__u64 x = ((__u64)uid << 40) ^ (page << 16) ^ gen;

	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	return x | 1;
}

/* Page @p of the mapping must hold generation @gen (0: zeroes). */
static long page_check(volatile __u64 *w, unsigned int uid, __u64 page,
		       unsigned int gen)
{
	__u64 base = gen ? pattern(uid, page, gen) : 0;
	long i;

	for (i = 0; i < (long)(PG / 8); i++)
		if (w[i] != (gen ? base + i * 0x9E3779B97F4A7C15ULL : 0))
			return i;
	return -1;
}

static void page_write(volatile __u64 *w, unsigned int uid, __u64 page,
		       unsigned int gen)
{
	__u64 base = pattern(uid, page, gen);
	long i;

	for (i = 0; i < (long)(PG / 8); i++)
		w[i] = base + i * 0x9E3779B97F4A7C15ULL;
}

/*
 * Reads a page of a mapping against the record and may write the next
 * generation, under the record's lock (shared with forked children).
 * A SIGBUS is right only for memory of a bar member that went, and
 * must come once its removal completed.
 */
void f_op_touch(void)
{
	int i = map_pick(), sig;
	volatile __u64 *w;
	struct f_rec *r;
	struct f_map *m;
	__u64 page;
	unsigned int gen, ngen = 0;
	bool revoked;
	long bad;

	if (i < 0)
		return;
	m = &f_maps[i];
	r = &f_sh->recs[m->rec];
	page = f_below(m->len / PG);
	w = (volatile __u64 *)(m->addr + page * PG);
	page += m->pgoff;
	if (pthread_mutex_lock(&r->lock) == EOWNERDEAD) {
		pthread_mutex_consistent(&r->lock);
		f_fail("a forked child died touching uid %u", r->uid);
	}
	revoked = __atomic_load_n(&r->revoked, __ATOMIC_SEQ_CST);
	gen = page < F_TRACK ? r->gen[page] : 0;
	if (page < F_TRACK && (m->prot & PROT_WRITE) && f_chance(60))
		ngen = gen + 1 + f_below(1000);
	f_note("touch %p (page %llu of uid %u, gen %u -> %u)", (void *)w,
	       page, r->uid, gen, ngen);
	self->in_touch = 1;
	sig = sigsetjmp(self->jb, 1);
	if (!sig) {
		bad = page_check(w, r->uid, page, gen);
		if (bad < 0 && ngen)
			page_write(w, r->uid, page, ngen);
	}
	self->in_touch = 0;
	f_result(sig ? -(sig == SIGBUS ? EFAULT : EPERM) : 0);
	if (sig == SIGBUS && !f_rec_may_sigbus(r))
		f_fail("SIGBUS touching page %llu of uid %u, whose member stays",
		       page, r->uid);
	else if (sig && sig != SIGBUS)
		f_fail("signal %d touching page %llu of uid %u", sig, page,
		       r->uid);
	else if (!sig && revoked)
		f_fail("page %llu of uid %u readable after its member went",
		       page, r->uid);
	else if (!sig && bad >= 0)
		f_fail("page %llu of uid %u: word %ld is %#llx, expected generation %u",
		       page, r->uid, bad, (unsigned long long)w[bad], gen);
	else if (!sig && ngen)
		r->gen[page] = ngen;
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&m->lock);
}

/* ---- dma-buf fds */

/*
 * A new fd from the kernel (open, EXPORT) names no fd the fuzzer still
 * records: slots clear their fd before closing it, so a number recorded
 * here was closed behind the fuzzer's back, and the slot would go on to
 * act on someone else's file (seed 1796475231409622: a dma-buf's mmap
 * got ENODEV, which a sysfs file answers).
 */
void f_fd_check_new(int fd, const char *what)
{
	int i;

	for (i = 0; i < F_NR_FDS; i++)
		if (__atomic_load_n(&f_fds[i].fd, __ATOMIC_SEQ_CST) == fd)
			f_fail("%s gave fd %d, which device slot %d holds",
			       what, fd, i);
	for (i = 0; i < F_NR_BUFS; i++)
		if (__atomic_load_n(&f_bufs[i].fd, __ATOMIC_SEQ_CST) == fd)
			f_fail("%s gave fd %d, which dma-buf slot %d holds",
			       what, fd, i);
}

/* Slot @b still names its dma-buf, and its record is still that one. */
static void buf_verify(const struct f_buf *b)
{
	char link[64], path[32];
	struct stat st;
	ssize_t n;

	if (f_sh->recs[b->rec].uid != b->uid)
		f_fail("dma-buf fd %d: record %d reused (uid %u, kept %u)",
		       b->fd, b->rec, f_sh->recs[b->rec].uid, b->uid);
	if (!fstat(b->fd, &st) && st.st_ino == b->ino)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", b->fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	f_fail("dma-buf fd %d now names \"%s\", not its dma-buf", b->fd,
	       link);
}

static int buf_pick(void)
{
	int i = f_below(F_NR_BUFS);

	if (pthread_mutex_trylock(&f_bufs[i].lock))
		return -1;
	if (f_bufs[i].fd >= 0) {
		buf_verify(&f_bufs[i]);
		return i;
	}
	pthread_mutex_unlock(&f_bufs[i].lock);
	return -1;
}

void f_op_buf_mmap(void)
{
	int i = buf_pick();
	struct mmap_req r = {};
	struct f_rec *rec;
	struct f_buf *b;
	void *p;

	if (i < 0)
		return;
	b = &f_bufs[i];
	rec = &f_sh->recs[b->rec];
	mmap_range(&r, rec->length / PG, 0);
	mmap_exp(&r, b->rdonly ? O_RDONLY : O_RDWR,
		 strcmp(r.what, "mmap") ? ERRS(EINVAL) :
		 __atomic_load_n(&rec->revoked, __ATOMIC_SEQ_CST) ?
		 ERRS(ENODEV) : f_rec_may_sigbus(rec) ? ERRS(0, ENODEV) :
		 ERRS(0));
	p = do_mmap(b->fd, &r);
	if (p != MAP_FAILED)
		map_keep(p, r.len, r.off / PG, b->rec, r.prot);
	pthread_mutex_unlock(&b->lock);
}

void f_op_buf_sync(void)
{
	static const __u64 good[] = { DMA_BUF_SYNC_READ, DMA_BUF_SYNC_WRITE,
		DMA_BUF_SYNC_RW, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW,
		DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };
	struct dma_buf_sync s;
	int i = buf_pick(), ret;
	bool bad = f_chance(20);

	if (i < 0)
		return;
	s.flags = bad ? (f_chance(50) ? 0 : 8ULL << f_below(40)) :
		  good[f_below(T_ARRAY_SIZE(good))];
	f_note("DMA_BUF_IOCTL_SYNC(dmabuf %d, %#llx)", f_bufs[i].fd, s.flags);
	ret = ioctl(f_bufs[i].fd, DMA_BUF_IOCTL_SYNC, &s) ? -errno : 0;
	f_result(ret);
	f_check("DMA_BUF_IOCTL_SYNC", -ret, bad ? ERRS(EINVAL) : ERRS(0));
	pthread_mutex_unlock(&f_bufs[i].lock);
}

static void buf_close(struct f_buf *b)
{
	int ret, fd = b->fd;

	/* Cleared first: f_fd_check_new() sees no number that is free. */
	__atomic_store_n(&b->fd, -1, __ATOMIC_SEQ_CST);
	f_note("close(dmabuf %d)", fd);
	ret = close(fd) ? -errno : 0;
	f_result(ret);
	f_check("close of a dma-buf", -ret, ERRS(0));
	f_rec_put(b->rec);
}

void f_op_buf_close(void)
{
	int i = buf_pick();

	if (i < 0)
		return;
	buf_close(&f_bufs[i]);
	pthread_mutex_unlock(&f_bufs[i].lock);
}

void f_maps_release_all(void)
{
	int i;

	for (i = 0; i < F_NR_MAPS; i++) {
		pthread_mutex_lock(&f_maps[i].lock);
		if (f_maps[i].used) {
			do_munmap(f_maps[i].addr, f_maps[i].len);
			map_drop(&f_maps[i]);
		}
		pthread_mutex_unlock(&f_maps[i].lock);
	}
}

void f_bufs_release_all(void)
{
	int i;

	for (i = 0; i < F_NR_BUFS; i++) {
		pthread_mutex_lock(&f_bufs[i].lock);
		if (f_bufs[i].fd >= 0)
			buf_close(&f_bufs[i]);
		pthread_mutex_unlock(&f_bufs[i].lock);
	}
}
