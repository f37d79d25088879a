// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's ioctl calls: ALLOC, FREE, INFO, EXPORT, QUERY and
 * unknown commands on fds it opened, each struct passed with its size
 * field right, short, long with a zero tail, long with a non-zero tail,
 * running into an unmapped page, at a bad address, or in read-only
 * memory (the UAPI header's size/flags contract says what each gets).
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "fuzz.h"

struct f_fd f_fds[F_NR_FDS];
#define PG	4096UL

#define ERRS(...)	((const int[]){ __VA_ARGS__, -1 })

/*
 * Each thread's arena: pages 0-1 read-write, page 2 unmapped, page 3
 * read-only (a memfd page that t->ro maps writable elsewhere).
 */
void f_arena_init(struct f_thread *t)
{
	char *a = mmap(NULL, 4 * PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mfd = memfd_create("fuzz-ro", MFD_CLOEXEC);

	if (a == MAP_FAILED || mfd < 0 || ftruncate(mfd, PG) ||
	    mprotect(a, 2 * PG, PROT_READ | PROT_WRITE) ||
	    mmap(a + 3 * PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, mfd, 0) ==
	    MAP_FAILED) {
		printf("Bail out! arena: %s\n", strerror(errno));
		exit(1);
	}
	t->ro = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (t->ro == MAP_FAILED) {
		printf("Bail out! arena: %s\n", strerror(errno));
		exit(1);
	}
	close(mfd);
	t->arena = a;
}

/* One ioctl as the fuzzer makes it. */
struct f_call {
	unsigned long cmd;
	const char *name;
	void *st;		/* the struct, size field set by f_ioctl() */
	size_t known;		/* its size in this UAPI (also the minimum) */
	bool write;		/* needs an fd opened for writing */
	bool out;		/* has output fields, written back */
	int exp[F_MAX_ERRS];	/* what the handler may answer */
	char desc[160];
};

enum { SZ_NORMAL, SZ_SHORT, SZ_LONG0, SZ_LONGX, SZ_TAILFAULT, SZ_BADPTR,
	SZ_RO };
static const char *const sz_names[] = { "", " size-short", " size-long0",
	" size-longx", " size-tailfault", " badptr", " ro-struct" };

static int pick_size_mode(void)
{
	unsigned int r = f_below(100);

	return r < 72 ? SZ_NORMAL : r < 76 ? SZ_SHORT : r < 83 ? SZ_LONG0 :
	       r < 87 ? SZ_LONGX : r < 90 ? SZ_TAILFAULT : r < 93 ? SZ_BADPTR :
	       SZ_RO;
}

static void set_exp(int *exp, const int *set)
{
	int i;

	for (i = 0; i < F_MAX_ERRS; i++) {
		exp[i] = set[i];
		if (set[i] < 0)
			break;
	}
}

/* The size/flags contract, applied to what the handler would answer. */
static void contract_exp(struct f_call *c, int mode, int fmode, int *exp)
{
	int i;

	set_exp(exp, c->exp);
	if (c->write && fmode == O_RDONLY)
		set_exp(exp, ERRS(EBADF));
	else if (mode == SZ_BADPTR || mode == SZ_TAILFAULT)
		set_exp(exp, ERRS(EFAULT));
	else if (mode == SZ_SHORT)
		set_exp(exp, ERRS(EINVAL));
	else if (mode == SZ_LONGX)
		set_exp(exp, ERRS(E2BIG));
	else if (mode == SZ_RO && c->out)
		for (i = 0; i < F_MAX_ERRS && exp[i] >= 0; i++)
			if (!exp[i])
				exp[i] = EFAULT;
}

/*
 * Makes the call with a size mode of its own choosing; 0 or -errno.
 * The struct's output is copied back to c->st when the call succeeded.
 * Checks the errno against the contract and, for long structs, that the
 * kernel wrote nothing past the size it knows.
 */
static int f_ioctl(int fd, int fmode, struct f_call *c)
{
	int mode = pick_size_mode(), exp[F_MAX_ERRS], ret, i;
	char *buf = self->arena;
	size_t size = c->known, extra = 0;
	char what[200];

	if (mode == SZ_SHORT)
		size = f_below(c->known);
	else if (mode == SZ_LONG0 || mode == SZ_LONGX)
		size = c->known + 1 + f_below(PG - c->known);
	else if (mode == SZ_TAILFAULT) {
		extra = 1 + f_below(64);
		buf = self->arena + 2 * PG - c->known - f_below(8);
		size = (self->arena + 2 * PG - buf) + extra;
	}
	*(__u32 *)c->st = (__u32)size;
	if (mode == SZ_RO) {
		memcpy(self->ro, c->st, c->known);
		buf = self->arena + 3 * PG;
	} else if (mode == SZ_BADPTR) {
		buf = (char *[]){ NULL, self->arena + 2 * PG,
				  (char *)-4096L }[f_below(3)];
	} else {
		/* Page 0, or the end of page 1: page 1 holds the arrays. */
		memset(buf, 0, mode == SZ_TAILFAULT ? self->arena + 2 * PG -
		       buf : PG);
		memcpy(buf, c->st, c->known);
		if (mode == SZ_LONGX)
			buf[c->known + f_below(size - c->known)] = 1 +
				f_below(255);
	}
	contract_exp(c, mode, fmode, exp);
	f_note("%s fd%d %s%s size=%zu", c->name, fd, c->desc, sz_names[mode],
	       size);
	ret = ioctl(fd, c->cmd, buf) ? -errno : 0;
	f_result(ret);
	snprintf(what, sizeof(what), "%s %s%s", c->name, c->desc,
		 sz_names[mode]);
	f_check(what, -ret, exp);
	if (mode == SZ_LONG0 && !ret)
		for (i = c->known; i < (int)size; i++)
			if (buf[i]) {
				f_fail("%s wrote byte %d of a %zu-byte struct it knows as %zu",
				       c->name, i, size, c->known);
				break;
			}
	if (!ret && mode != SZ_RO && mode != SZ_BADPTR)
		memcpy(c->st, buf, c->known);
	return ret;
}

static int find_handle(struct f_fd *s, __u32 h)
{
	int i;

	for (i = 0; i < F_NR_ALLOCS; i++)
		if (s->a[i].used && s->a[i].handle == h)
			return i;
	return -1;
}

static int live_index(struct f_fd *s)
{
	int i, n = 0, pick = -1;

	for (i = 0; i < F_NR_ALLOCS; i++)
		if (s->a[i].used && !f_below(++n))
			pick = i;
	return pick;
}

/*
 * A handle for a call on @s: live, stale (freed), foreign (another
 * fd's), 0 or random.  *@idx: the live allocation of @s it names, or -1.
 */
static __u32 pick_handle(struct f_fd *s, int *idx, const char **kind)
{
	unsigned int r = f_below(100);
	struct f_fd *o;
	__u32 h = 0;
	int i;

	*idx = live_index(s);
	*kind = "live";
	if (r < 70 && *idx >= 0)
		return s->a[*idx].handle;
	if (r < 82 && s->nstale) {
		*kind = "stale";
		h = s->stale[f_below(s->nstale < F_NR_STALE ? s->nstale :
				     F_NR_STALE)];
	} else if (r < 92) {
		*kind = "foreign";
		o = &f_fds[f_below(F_NR_FDS)];
		i = f_below(F_NR_ALLOCS);
		h = __atomic_load_n(&o->a[i].handle, __ATOMIC_RELAXED);
	} else if (r < 96) {
		*kind = "random";
		h = (__u32)f_rand();
	} else {
		*kind = "zero";
	}
	*idx = find_handle(s, h);
	return h;
}

static void stale_add(struct f_fd *s, __u32 h, __u64 off)
{
	s->stale[s->nstale % F_NR_STALE] = h;
	s->stale_off[s->nstale % F_NR_STALE] = off;
	s->nstale++;
}

static const int open_modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDWR,
	O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY };

/* Slot @s, write-locked: closes its fd; its allocations go with it. */
static void slot_close(struct f_fd *s)
{
	int i, ret, fd;

	if (s->fd < 0)
		return;
	for (i = 0; i < F_NR_ALLOCS; i++)
		if (s->a[i].used) {
			s->a[i].used = 0;
			f_rec_put(s->a[i].rec);
		}
	/* Cleared first: f_fd_check_new() sees no number that is free. */
	fd = s->fd;
	__atomic_store_n(&s->fd, -1, __ATOMIC_SEQ_CST);
	f_note("close(fd%d)", fd);
	ret = close(fd) ? -errno : 0;
	f_result(ret);
	f_check("close", -ret, ERRS(0));
	s->nstale = 0;
	s->inherited = 0;
}

static void slot_open(struct f_fd *s)
{
	int mode = open_modes[f_below(T_ARRAY_SIZE(open_modes))], fd;

	f_note("open(%s, %s)", T_DEV, mode == O_RDWR ? "O_RDWR" :
	       mode == O_RDONLY ? "O_RDONLY" : "O_WRONLY");
	fd = open(T_DEV, mode | O_CLOEXEC);
	f_result(fd < 0 ? -errno : fd);
	if (fd < 0) {
		f_check("open", errno, ERRS(EMFILE, ENFILE, ENOMEM));
		return;
	}
	f_fd_check_new(fd, "open");
	__atomic_store_n(&s->fd, fd, __ATOMIC_SEQ_CST);
	s->mode = mode;
	s->nstale = 0;
}

/*
 * A random slot with an open fd, locked for reading or (@wr) writing;
 * the slot's index, or -1.  A forked child changes only fds of its
 * own: it gives up an inherited fd that it would change.
 */
int f_fd_pick(bool wr)
{
	int tries, i;
	struct f_fd *s;

	for (tries = 0; tries < 4; tries++) {
		i = f_below(F_NR_FDS);
		s = &f_fds[i];
		if (wr)
			pthread_rwlock_wrlock(&s->lock);
		else
			pthread_rwlock_rdlock(&s->lock);
		if (s->fd >= 0 && !(wr && s->inherited))
			return i;
		pthread_rwlock_unlock(&s->lock);
		pthread_rwlock_wrlock(&s->lock);
		if (s->inherited)
			slot_close(s);
		if (s->fd < 0)
			slot_open(s);
		pthread_rwlock_unlock(&s->lock);
	}
	return -1;
}

void f_op_open(void)
{
	struct f_fd *s = &f_fds[f_below(F_NR_FDS)];

	pthread_rwlock_wrlock(&s->lock);
	slot_close(s);
	slot_open(s);
	pthread_rwlock_unlock(&s->lock);
}

void f_op_close(void)
{
	struct f_fd *s = &f_fds[f_below(F_NR_FDS)];

	pthread_rwlock_wrlock(&s->lock);
	slot_close(s);
	pthread_rwlock_unlock(&s->lock);
}

void f_fds_release_all(void)
{
	int i;

	for (i = 0; i < F_NR_FDS; i++) {
		pthread_rwlock_wrlock(&f_fds[i].lock);
		slot_close(&f_fds[i]);
		pthread_rwlock_unlock(&f_fds[i].lock);
	}
}

/* ---- ALLOC */

struct gen_alloc {
	struct scalepool_alloc a;
	__u32 *ids, *w;
	int exp[F_MAX_ERRS];
	bool peer, cxl, faulty;
	const char *fault;
};

static const __u64 lengths[] = { 1, 4095, 4096, 4097, 3 * 4096, 8 * 4096,
	16 * 4096 + 1, 64 * 1024, 256 * 1024, 2 * T_MIB, 2 * T_MIB + 4096,
	4 * T_MIB, 16 * T_MIB };

/* A valid length: small where the memory is slow (CXL, BARs) or tight. */
static __u64 pick_length(bool slow)
{
	unsigned int n = T_ARRAY_SIZE(lengths);

	if (slow || __atomic_load_n(&f_sh->live_bytes, __ATOMIC_RELAXED) >
	    F_BUDGET / 2)
		n = 8;
	else if (__atomic_load_n(&f_sh->live_bytes, __ATOMIC_RELAXED) >
		 F_BUDGET / 8)
		n--;
	if (f_chance(30))
		return (1 + f_below(slow ? 16 : 128)) * 4096ULL -
		       f_below(2) * f_below(4096);
	return lengths[f_below(n)];
}

static bool id_in(const __u32 *ids, int n, __u32 id)
{
	while (n--)
		if (ids[n] == id)
			return true;
	return false;
}

/* The set and policy of a valid ALLOC, from the live member list. */
static void gen_members(struct gen_alloc *g)
{
	struct f_member m[T_MAX_IDS];
	int n, i, j, k, nodes[T_MAX_IDS], nn = 0, peers[T_MAX_IDS], np = 0;

	pthread_mutex_lock(&f_members_lock);
	n = f_nmembers;
	memcpy(m, f_members, n * sizeof(*m));
	pthread_mutex_unlock(&f_members_lock);
	for (i = 0; i < n; i++) {
		if (!strcmp(m[i].kind, "node"))
			nodes[nn++] = i;
		else
			peers[np++] = i;
	}
	g->a.policy = f_below(5);
	if (np && f_chance(15)) {
		i = peers[f_below(np)];
		g->ids[0] = m[i].id;
		g->a.nr_members = 1;
		g->a.policy = f_chance(50) ? SCALEPOOL_POLICY_BIND :
					     SCALEPOOL_POLICY_NEAREST;
		g->peer = true;
		return;
	}
	k = 1 + f_below(nn < 4 ? nn : 4);
	if ((g->a.policy == SCALEPOOL_POLICY_NEAREST ||
	     g->a.policy == SCALEPOOL_POLICY_TIERED) && f_chance(30))
		k = 0;
	for (i = 0; i < k; i++) {
		do {
			j = nodes[f_below(nn)];
			g->ids[i] = m[j].id;
		} while (id_in(g->ids, i, g->ids[i]));
		g->cxl |= m[j].cxl;
	}
	/* An empty set may reach every node member: the CXL one too. */
	g->cxl |= !k;
	g->a.nr_members = k;
}

static void gen_valid(struct gen_alloc *g)
{
	unsigned int i;

	gen_members(g);
	g->a.initiator = f_chance(50) || !f_ncpu_nodes ?
			 SCALEPOOL_INITIATOR_LOCAL :
			 f_cpu_nodes[f_below(f_ncpu_nodes)];
	if (f_chance(25))
		g->a.flags |= SCALEPOOL_ALLOC_POPULATE;
	if (f_chance(25))
		g->a.flags |= SCALEPOOL_ALLOC_NO_HUGE;
	if (g->a.policy == SCALEPOOL_POLICY_INTERLEAVE) {
		if (f_chance(50)) {
			for (i = 0; i < g->a.nr_members; i++)
				g->w[i] = 1 + f_below(SCALEPOOL_MAX_WEIGHT);
			g->a.weights_ptr = (uintptr_t)g->w;
		}
		if (f_chance(40))
			g->a.granularity = (__u64[]){ 4096, 8192, 65536,
						      2 * T_MIB }[f_below(4)];
	}
	if (g->a.policy == SCALEPOOL_POLICY_NEAREST && f_busy_bdf[0] &&
	    f_chance(15)) {
		unsigned int bus, dev, fn;

		/* The NVMe's own device: the one PCI initiator we know. */
		if (sscanf(f_busy_bdf + 5, "%x:%x.%x", &bus, &dev, &fn) == 3) {
			g->a.flags |= SCALEPOOL_ALLOC_PCI_INITIATOR;
			g->a.initiator = SCALEPOOL_INITIATOR_LOCAL;
			g->a.initiator_pci_bdf =
				SCALEPOOL_PCI_BDF(bus, (dev << 3) | fn);
			/* May land on the CMB, or on a BAR behind a switch. */
			g->cxl = g->peer = true;
		}
	}
	g->a.length = pick_length(g->cxl || g->peer);
	set_exp(g->exp, g->peer ? ERRS(0, ENOMEM, ENOSPC, ENOENT) :
		ERRS(0, ENOMEM, ENOSPC));
}

/* A wrong scalar field (0-9): the errno the header gives it. */
static int fault_scalar(struct gen_alloc *g, unsigned int f)
{
	struct scalepool_alloc *a = &g->a;
	int err = EINVAL;

	switch (f) {
	case 0:
		g->fault = "flag";
		a->flags |= 1U << (3 + f_below(29));
		err = EOPNOTSUPP;
		break;
	case 1:
		g->fault = "length 0";
		a->length = 0;
		break;
	case 2:
		g->fault = "length overflow";
		a->length = (__u64[]){ SCALEPOOL_MAX_ALLOC_SIZE + 1, ~0ULL,
				       ~0ULL - 4094, 1ULL << 63 }[f_below(4)];
		err = EOVERFLOW;
		break;
	case 3:
		g->fault = "policy";
		a->policy = 5 + f_below(3) * (f_rand() % 0x7fffffff);
		break;
	case 4:
		g->fault = "nr_members > max";
		a->nr_members = SCALEPOOL_MAX_MEMBERS + 1 + f_below(3) *
				(__u32)f_rand();
		break;
	case 5:
		g->fault = "no members";
		a->nr_members = 0;
		a->policy = f_below(3);
		a->weights_ptr = 0;
		break;
	case 6:
		g->fault = "weights without interleave";
		a->policy = SCALEPOOL_POLICY_BIND;
		a->weights_ptr = (uintptr_t)g->w;
		a->granularity = 0;
		break;
	case 7:
		g->fault = "granularity without interleave";
		a->policy = SCALEPOOL_POLICY_PREFERRED;
		a->weights_ptr = 0;
		a->granularity = 4096;
		break;
	case 8:
		g->fault = "granularity";
		if (!a->nr_members)
			a->nr_members = 1;
		a->policy = SCALEPOOL_POLICY_INTERLEAVE;
		a->granularity = (__u64[]){ 1, 4095, 4097,
			SCALEPOOL_MAX_GRANULARITY + 4096, ~0ULL }[f_below(5)];
		break;
	case 9:
		g->fault = "initiator";
		a->initiator = (__s32[]){ -2, 64, INT_MIN, INT_MAX,
					  f_cpuless_node }[f_below(5)];
		if (a->initiator == -1)
			a->initiator = -3;
		break;
	}
	return err;
}

/* A wrong PCI initiator or member set (10-17): its errno. */
static int fault_set(struct gen_alloc *g, unsigned int f)
{
	struct scalepool_alloc *a = &g->a;
	int err = EINVAL;
	unsigned int i;

	switch (f) {
	case 10:
		g->fault = "pci initiator, not nearest";
		a->flags |= SCALEPOOL_ALLOC_PCI_INITIATOR;
		a->policy = SCALEPOOL_POLICY_BIND;
		a->initiator = SCALEPOOL_INITIATOR_LOCAL;
		break;
	case 11:
		g->fault = "pci bdf or domain out of range";
		a->flags |= SCALEPOOL_ALLOC_PCI_INITIATOR;
		a->policy = SCALEPOOL_POLICY_NEAREST;
		a->initiator = SCALEPOOL_INITIATOR_LOCAL;
		a->weights_ptr = a->granularity = 0;
		if (f_chance(50))
			a->initiator_pci_bdf = 0x10000 << f_below(16);
		else
			a->initiator_pci_domain = 0x80000000U + f_below(1000);
		break;
	case 12:
		g->fault = "pci fields without the flag";
		a->flags &= ~SCALEPOOL_ALLOC_PCI_INITIATOR;
		if (f_chance(50))
			a->initiator_pci_bdf = 1 + f_below(0xffff);
		else
			a->initiator_pci_domain = 1 + f_below(0xffff);
		break;
	case 13:
		g->fault = "pci device absent";
		a->flags |= SCALEPOOL_ALLOC_PCI_INITIATOR;
		a->policy = SCALEPOOL_POLICY_NEAREST;
		a->initiator = SCALEPOOL_INITIATOR_LOCAL;
		a->weights_ptr = a->granularity = 0;
		a->initiator_pci_domain = 0x1234;
		a->initiator_pci_bdf = SCALEPOOL_PCI_BDF(0xfe, 0xff);
		err = ENODEV;
		break;
	case 14:
		g->fault = "members_ptr unreadable";
		if (!a->nr_members)
			a->nr_members = 1;
		memcpy(self->arena + 2 * PG - 4 * (a->nr_members - 1), g->ids,
		       4 * (a->nr_members - 1));
		a->members_ptr = f_chance(50) ? 0 : (uintptr_t)(self->arena +
				 2 * PG - 4 * (a->nr_members - 1));
		err = EFAULT;
		break;
	case 15:
		g->fault = "duplicate member";
		if (a->nr_members < 1)
			a->nr_members = 1;
		g->ids[a->nr_members] = g->ids[f_below(a->nr_members)];
		a->nr_members++;
		if (a->weights_ptr)
			g->w[a->nr_members - 1] = 1;
		break;
	case 16:
		g->fault = "weight";
		if (!a->nr_members)
			a->nr_members = 1;
		a->policy = SCALEPOOL_POLICY_INTERLEAVE;
		for (i = 0; i < a->nr_members; i++)
			g->w[i] = 1 + f_below(SCALEPOOL_MAX_WEIGHT);
		g->w[f_below(a->nr_members)] = f_chance(50) ? 0 :
			SCALEPOOL_MAX_WEIGHT + 1 + f_below(1000);
		a->weights_ptr = (uintptr_t)g->w;
		break;
	default:
		g->fault = "member not a member";
		a->flags &= ~SCALEPOOL_ALLOC_PCI_INITIATOR;
		a->initiator_pci_bdf = 0;
		if (g->peer || !a->nr_members)
			a->policy = SCALEPOOL_POLICY_BIND;
		g->ids[a->nr_members] = f_not_a_member_id();
		a->nr_members++;
		a->weights_ptr = 0;
		err = ENOENT;
		break;
	}
	return err;
}

/* One wrong field; g->exp gets the errno the header gives it. */
static void gen_fault(struct gen_alloc *g)
{
	struct scalepool_alloc *a = &g->a;
	unsigned int f = f_below(18);
	int err = f < 10 ? fault_scalar(g, f) : fault_set(g, f);

	/* Whatever the fault, the memory it names must stay small. */
	if (err != EOVERFLOW && a->length > 256 * 1024)
		a->length = 4096;
	/* A set of ids must have been a valid set but for the fault. */
	if (g->peer && f != 4 && f != 14 && f != 15 && err != ENOENT &&
	    (a->nr_members != 1 || (a->policy != SCALEPOOL_POLICY_BIND &&
				    a->policy != SCALEPOOL_POLICY_NEAREST)))
		set_exp(g->exp, ERRS(err, ENOENT, EINVAL));
	else
		set_exp(g->exp, ERRS(err));
	g->faulty = true;
}

/*
 * Whether member @id is a node member.  Node members never go during a
 * run (remove_member refuses them), so a member that is gone was a peer.
 */
static bool member_is_node(__u32 id)
{
	char path[96], kind[16];

	snprintf(path, sizeof(path), T_MEMBERS "/%u/kind", id);
	return !t_read_line(path, kind, sizeof(kind)) &&
	       !strcmp(kind, "node");
}

/* INFO right after a good ALLOC: what it says must match the request. */
static void alloc_verify(int fd, struct gen_alloc *g, int *bar_member)
{
	struct scalepool_placement pl[8];
	struct scalepool_info info = { .size = sizeof(info),
				       .handle = g->a.handle,
				       .nr_placements = 8,
				       .placements_ptr = (uintptr_t)pl };
	__u64 len = (g->a.length + 4095) & ~4095ULL, sum = 0;
	unsigned int i, j;
	bool in, any, on_peer = false;

	*bar_member = -1;
	f_note("INFO fd%d handle=%u (after ALLOC)", fd, g->a.handle);
	i = ioctl(fd, SCALEPOOL_INFO, &info) ? errno : 0;
	f_result(-(long)i);
	if (i) {
		f_fail("INFO of the new handle %u: %s", g->a.handle,
		       strerror(i));
		return;
	}
	if (info.length != len || info.offset != g->a.offset ||
	    info.policy != g->a.policy || info.alloc_flags != g->a.flags ||
	    !info.nr_placements || info.nr_placements > 8)
		f_fail("INFO after ALLOC: length %llu/%llu offset %#llx/%#llx policy %u/%u flags %#x/%#x placements %u state %u",
		       info.length, len, info.offset, g->a.offset, info.policy,
		       g->a.policy, info.alloc_flags, g->a.flags,
		       info.nr_placements, info.state);
	/*
	 * No set, or PREFERRED naming one member: every node member may
	 * hold bytes (the preferred one spills to the others when full or
	 * at its limit, which the admin's writes of the run set).
	 */
	any = !g->a.nr_members || (g->a.policy == SCALEPOOL_POLICY_PREFERRED &&
				   g->a.nr_members == 1);
	for (i = 0; i < info.nr_placements && i < 8; i++) {
		sum += pl[i].bytes;
		for (in = any, j = 0; j < g->a.nr_members; j++)
			in |= pl[i].member == g->ids[j];
		if (!in && !(g->a.flags & SCALEPOOL_ALLOC_PCI_INITIATOR))
			f_fail("ALLOC placed bytes on member %u, not in its set",
			       pl[i].member);
		if (pl[i].huge_bytes > pl[i].bytes ||
		    ((g->a.flags & SCALEPOOL_ALLOC_NO_HUGE) &&
		     pl[i].huge_bytes))
			f_fail("placement on member %u: %llu huge bytes of %llu",
			       pl[i].member, pl[i].huge_bytes, pl[i].bytes);
		if (f_member_is_bar(pl[i].member))
			*bar_member = pl[i].member;
		on_peer |= !member_is_node(pl[i].member);
	}
	if (sum != len)
		f_fail("placements add up to %llu bytes, not %llu", sum, len);
	/* Another thread may have removed the peer member since ALLOC. */
	if (info.state && (info.state != SCALEPOOL_INFO_STATE_REVOKED ||
			   !on_peer))
		f_fail("INFO after ALLOC: state %u, placed on %s", info.state,
		       on_peer ? "a peer member" : "node members only");
}

/* Records a new allocation of slot @s; FREEs it when there is no room. */
static void alloc_record(struct f_fd *s, struct gen_alloc *g,
			 unsigned long removes0)
{
	int i, bar, rec, slot = -1;
	__u64 len = (g->a.length + 4095) & ~4095ULL;

	if (!g->a.handle || g->a.offset % 4096 || g->a.offset >> 44 ||
	    (len >= 2 * T_MIB && g->a.offset % (2 * T_MIB)))
		f_fail("ALLOC gave handle %u offset %#llx for %llu bytes",
		       g->a.handle, g->a.offset, len);
	for (i = 0; i < F_NR_ALLOCS; i++) {
		if (s->a[i].used && (s->a[i].handle == g->a.handle ||
				     s->a[i].offset == g->a.offset))
			f_fail("ALLOC handle %u offset %#llx reuses a live one",
			       g->a.handle, g->a.offset);
		if (!s->a[i].used && slot < 0)
			slot = i;
	}
	for (i = 0; i < (int)s->nstale && i < F_NR_STALE; i++)
		if (s->stale[i] == g->a.handle)
			f_fail("ALLOC handed out freed handle %u again",
			       g->a.handle);
	alloc_verify(s->fd, g, &bar);
	rec = slot < 0 ? -1 : f_rec_new(len);
	if (rec < 0) {
		struct scalepool_free fr = { .size = sizeof(fr),
					     .handle = g->a.handle };

		f_note("FREE fd%d handle=%u (no room)", s->fd, g->a.handle);
		f_result(ioctl(s->fd, SCALEPOOL_FREE, &fr) ? -errno : 0);
		return;
	}
	f_sh->recs[rec].bar = bar >= 0;
	f_sh->recs[rec].member = bar;
	f_sh->recs[rec].removes0 = removes0;
	s->a[slot] = (struct f_alloc){ .used = 1, .handle = g->a.handle,
		.offset = g->a.offset, .length = len, .flags = g->a.flags,
		.policy = g->a.policy, .rec = rec };
}

/* A writable fd, write-locked, and @g's arrays cleared; NULL: none. */
static struct f_fd *gen_start(struct gen_alloc *g)
{
	int si = f_fd_pick(true);

	if (si < 0)
		return NULL;
	memset(g->ids, 0, 2 * 512 * 4);
	g->a.members_ptr = (uintptr_t)g->ids;
	return &f_fds[si];
}

/* " ids=0,2,7" for a call's note (the first few: a failure names them). */
static const char *ids_text(char *buf, size_t size, const __u32 *ids,
			    unsigned int n)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && i < 5 && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%u",
				i ? "," : " ids=", ids[i]);
	return buf;
}

void f_op_alloc(void)
{
	__u32 *ids = (__u32 *)(self->arena + PG);
	struct gen_alloc g = { .ids = ids, .w = ids + 512 };
	struct f_call c = { .cmd = SCALEPOOL_ALLOC, .name = "ALLOC",
			    .st = &g.a, .known = sizeof(g.a), .write = true,
			    .out = true };
	unsigned long removes0;
	struct f_fd *s;
	char ids_note[64];
	int ret;

	s = gen_start(&g);
	if (!s)
		return;
	gen_valid(&g);
	if (f_chance(30))
		gen_fault(&g);
	memcpy(c.exp, g.exp, sizeof(c.exp));
	snprintf(c.desc, sizeof(c.desc), "len=%llu pol=%u n=%u%s flags=%#x%s%s",
		 g.a.length, g.a.policy, g.a.nr_members,
		 ids_text(ids_note, sizeof(ids_note), g.ids, g.a.nr_members), g.a.flags,
		 g.fault ? " fault=" : "", g.fault ?: "");
	removes0 = __atomic_load_n(&f_sh->removes, __ATOMIC_SEQ_CST);
	ret = f_ioctl(s->fd, s->mode, &c);
	if (!ret)
		alloc_record(s, &g, removes0);
	pthread_rwlock_unlock(&s->lock);
}

/* ---- FREE, INFO, EXPORT, QUERY */

void f_op_free(void)
{
	struct scalepool_free fr = {};
	struct f_call c = { .cmd = SCALEPOOL_FREE, .name = "FREE", .st = &fr,
			    .known = sizeof(fr), .write = true };
	const char *kind;
	int si, idx, ret;
	struct f_fd *s;

	si = f_fd_pick(true);
	if (si < 0)
		return;
	s = &f_fds[si];
	fr.handle = pick_handle(s, &idx, &kind);
	set_exp(c.exp, idx >= 0 ? ERRS(0) : ERRS(ENOENT));
	if (f_chance(5)) {
		fr.flags = 1U << f_below(32);
		set_exp(c.exp, ERRS(EOPNOTSUPP));
	} else if (f_chance(5)) {
		fr.__reserved = 1 + f_below(0xffff);
		set_exp(c.exp, ERRS(EINVAL));
	}
	snprintf(c.desc, sizeof(c.desc), "handle=%u (%s) flags=%#x rsv=%u",
		 fr.handle, kind, fr.flags, fr.__reserved);
	ret = f_ioctl(s->fd, s->mode, &c);
	/* Whatever it answered, INFO says whether the handle is gone. */
	if (idx >= 0) {
		struct scalepool_info info = { .size = sizeof(info),
					       .handle = fr.handle };
		bool gone = ioctl(s->fd, SCALEPOOL_INFO, &info) &&
			    errno == ENOENT;

		if (gone != !ret)
			f_fail("FREE of handle %u answered %s but the handle is %s",
			       fr.handle, ret ? strerrorname_np(-ret) : "0",
			       gone ? "gone" : "still there");
		if (gone) {
			s->a[idx].used = 0;
			stale_add(s, fr.handle, s->a[idx].offset);
			f_rec_put(s->a[idx].rec);
		}
	}
	pthread_rwlock_unlock(&s->lock);
}

static void info_check(struct f_fd *s, int idx, struct scalepool_info *in,
		       struct scalepool_placement *pl, unsigned int room)
{
	struct f_alloc *a = &s->a[idx];
	struct f_rec *r = &f_sh->recs[a->rec];
	unsigned int i;

	if (in->length != a->length || in->offset != a->offset ||
	    in->policy != a->policy || in->alloc_flags != a->flags ||
	    !in->nr_placements || in->basis > SCALEPOOL_BASIS_MEASURED)
		f_fail("INFO of handle %u: length %llu/%llu offset %#llx/%#llx policy %u/%u flags %#x/%#x nr %u basis %u",
		       a->handle, in->length, a->length, in->offset, a->offset,
		       in->policy, a->policy, in->alloc_flags, a->flags,
		       in->nr_placements, in->basis);
	if (__atomic_load_n(&r->revoked, __ATOMIC_SEQ_CST) &&
	    !(in->state & SCALEPOOL_INFO_STATE_REVOKED))
		f_fail("INFO of handle %u: not revoked after its member went",
		       a->handle);
	if (in->state && !f_rec_may_sigbus(r))
		f_fail("INFO of handle %u: state %#x, no member went",
		       a->handle, in->state);
	/* Room for @room entries: the one past it is left alone. */
	for (i = 0; i < room && i < in->nr_placements; i++)
		if (!pl[i].bytes)
			f_fail("INFO placement %u of handle %u has 0 bytes", i,
			       a->handle);
	if (room < 8 && pl[room].member != 0xdeadbeef)
		f_fail("INFO wrote placement %u past its room of %u", room,
		       room);
}

void f_op_info(void)
{
	struct scalepool_placement *pl = (void *)(self->arena + PG);
	struct scalepool_info in = {};
	struct f_call c = { .cmd = SCALEPOOL_INFO, .name = "INFO", .st = &in,
			    .known = sizeof(in), .out = true };
	unsigned int room = f_below(4), i;
	const char *kind;
	int si, idx, ret;
	struct f_fd *s;

	si = f_fd_pick(false);
	if (si < 0)
		return;
	s = &f_fds[si];
	for (i = 0; i < 8; i++)
		pl[i].member = 0xdeadbeef;
	in.handle = pick_handle(s, &idx, &kind);
	in.nr_placements = room;
	in.placements_ptr = room || f_chance(50) ? (uintptr_t)pl : 0;
	set_exp(c.exp, idx >= 0 ? ERRS(0) : ERRS(ENOENT));
	if (f_chance(5)) {
		in.flags = 1U << f_below(32);
		set_exp(c.exp, ERRS(EOPNOTSUPP));
	} else if (f_chance(6) && idx >= 0) {
		in.nr_placements = 1 + f_below(64);
		in.placements_ptr = (uintptr_t[]){ 0,
			(uintptr_t)(self->arena + 2 * PG),
			(uintptr_t)(self->arena + 3 * PG) }[f_below(3)];
		set_exp(c.exp, ERRS(EFAULT));
	}
	if (s->inherited)
		set_exp(c.exp, in.flags ? ERRS(EOPNOTSUPP) :
			ERRS(0, ENOENT, EFAULT));
	snprintf(c.desc, sizeof(c.desc), "handle=%u (%s) room=%u ptr=%#llx flags=%#x",
		 in.handle, kind, in.nr_placements, in.placements_ptr,
		 in.flags);
	ret = f_ioctl(s->fd, s->mode, &c);
	if (!ret && idx >= 0 && !s->inherited)
		info_check(s, idx, &in, pl, room);
	pthread_rwlock_unlock(&s->lock);
}

/* A new dma-buf fd of @rec: kept in a free buffer slot, or closed. */
static void buf_keep(int dfd, int rec, bool rdonly)
{
	struct stat st;
	int i;

	f_fd_check_new(dfd, "EXPORT");

	for (i = 0; i < F_NR_BUFS; i++) {
		if (pthread_mutex_trylock(&f_bufs[i].lock))
			continue;
		if (f_bufs[i].fd < 0) {
			f_rec_get(rec);
			f_bufs[i].rec = rec;
			f_bufs[i].uid = f_sh->recs[rec].uid;
			f_bufs[i].ino = fstat(dfd, &st) ? 0 : st.st_ino;
			f_bufs[i].rdonly = rdonly;
			__atomic_store_n(&f_bufs[i].fd, dfd, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&f_bufs[i].lock);
			return;
		}
		pthread_mutex_unlock(&f_bufs[i].lock);
	}
	f_note("close(dmabuf %d) (no room)", dfd);
	f_result(close(dfd) ? -errno : 0);
}

void f_op_export(void)
{
	struct scalepool_export e = { .fd = -1 };
	struct f_call c = { .cmd = SCALEPOOL_EXPORT, .name = "EXPORT",
			    .st = &e, .known = sizeof(e), .out = true };
	const char *kind;
	int si, idx, ret, fdf;
	struct f_fd *s;
	struct f_rec *r = NULL;

	si = f_fd_pick(false);
	if (si < 0)
		return;
	s = &f_fds[si];
	e.handle = pick_handle(s, &idx, &kind);
	e.flags = f_below(4);
	if (idx >= 0)
		r = &f_sh->recs[s->a[idx].rec];
	set_exp(c.exp, idx < 0 ? ERRS(ENOENT) :
		__atomic_load_n(&r->revoked, __ATOMIC_SEQ_CST) ? ERRS(ENODEV) :
		f_rec_may_sigbus(r) ? ERRS(0, ENODEV) : ERRS(0, EMFILE));
	if (f_chance(5)) {
		e.flags |= 4U << f_below(30);
		set_exp(c.exp, ERRS(EOPNOTSUPP));
	}
	if (s->inherited && !(e.flags & ~3U))
		set_exp(c.exp, ERRS(0, ENOENT, ENODEV));
	snprintf(c.desc, sizeof(c.desc), "handle=%u (%s) flags=%#x",
		 e.handle, kind, e.flags);
	ret = f_ioctl(s->fd, s->mode, &c);
	if (!ret) {
		fdf = fcntl(e.fd, F_GETFD);
		if (fdf < 0 || !(fdf & FD_CLOEXEC) !=
		    !(e.flags & SCALEPOOL_EXPORT_CLOEXEC))
			f_fail("EXPORT fd %d: F_GETFD %d for flags %#x", e.fd,
			       fdf, e.flags);
		if (idx >= 0 && fdf >= 0)
			buf_keep(e.fd, s->a[idx].rec,
				 (e.flags & SCALEPOOL_EXPORT_RDONLY) ||
				 s->mode == O_RDONLY);
		else if (fdf >= 0)
			close(e.fd);
	}
	pthread_rwlock_unlock(&s->lock);
}

/* ---- MIGRATE */

/* Does the set name a peer member (or one removed since: f_member_is_peer)? */
static bool set_has_peer(const __u32 *ids, unsigned int n)
{
	while (n--)
		if (f_member_is_peer(ids[n]))
			return true;
	return false;
}

/* Is the allocation @h of @fd on a peer member (INFO)?  -1: unknown. */
static int migrate_on_peer(int fd, __u32 h, __u32 *policy)
{
	struct scalepool_placement pl[8];
	struct scalepool_info info = { .size = sizeof(info), .handle = h,
				       .nr_placements = 8,
				       .placements_ptr = (uintptr_t)pl };

	if (ioctl(fd, SCALEPOOL_INFO, &info) || !info.nr_placements)
		return -1;
	*policy = info.policy;
	return !member_is_node(pl[0].member);
}

/*
 * A valid range of an allocation of @len bytes: small (moves of CXL
 * memory are slow under TCG), the whole of a small one, length 0 (to
 * the end) now and then.
 */
static void migrate_range(struct scalepool_migrate *m, __u64 len)
{
	__u64 pages = len / 4096, first = f_below(pages);

	if (len <= 2 * T_MIB && f_chance(40))
		return;
	m->start = first * 4096;
	m->length = (1 + f_below(pages - first < 64 ? pages - first : 64)) *
		    4096;
	if (pages - first <= 64 && f_chance(30))
		m->length = 0;
}

/* One wrong field of the range or flags: its errno. */
static int migrate_fault(struct scalepool_migrate *m, __u64 len,
			 const char **fault)
{
	switch (f_below(5)) {
	case 0:
		*fault = "flag";
		m->flags = 1U << f_below(32);
		return EOPNOTSUPP;
	case 1:
		*fault = "start unaligned";
		m->start = m->start + 1 + f_below(4095);
		break;
	case 2:
		*fault = "start past the end";
		m->start = len + 4096 * f_below(4);
		break;
	case 3:
		*fault = "range past the end";
		m->length = len - m->start + 4096 * (1 + f_below(4));
		break;
	default:
		*fault = "range wraps";
		m->length = -4096ULL * (1 + f_below(4));
		break;
	}
	return EINVAL;
}

/*
 * The policy and set of @g (a valid ALLOC's, or one with a wrong field
 * MIGRATE shares with ALLOC), then the range; the errnos it may get.
 */
static void gen_migrate(struct gen_alloc *g, struct scalepool_migrate *m,
			__u64 len, int on_peer)
{
	static const unsigned int shared[] = { 3, 4, 5, 6, 7, 8, 9, 14, 15,
					       16, 17 };
	unsigned int f;
	int err = 0;

	gen_valid(g);
	/* gen_valid()'s peer also means a PCI initiator: MIGRATE has none. */
	g->peer = set_has_peer(g->ids, g->a.nr_members);
	/* A peer member removed meanwhile names nothing: ENOENT. */
	set_exp(g->exp, g->peer ? ERRS(EINVAL, ENOENT) :
		ERRS(0, ENOMEM, ENOSPC, EBUSY));
	if (f_chance(25)) {
		f = shared[f_below(T_ARRAY_SIZE(shared))];
		err = f < 10 ? fault_scalar(g, f) : fault_set(g, f);
		/* A peer member in the set is EINVAL too, after the ids. */
		set_exp(g->exp, g->peer ? ERRS(err, EINVAL) : ERRS(err));
	}
	m->policy = g->a.policy;
	m->nr_members = g->a.nr_members;
	m->initiator = g->a.initiator;
	m->members_ptr = g->a.members_ptr;
	m->weights_ptr = g->a.weights_ptr;
	m->granularity = g->a.granularity;
	migrate_range(m, len);
	if (!err && f_chance(15))
		set_exp(g->exp, ERRS(migrate_fault(m, len, &g->fault)));
	/*
	 * The allocation's own checks (peer, revoked) come after the
	 * fields' and before the members' (ENOENT, a peer in the set).
	 */
	else if (on_peer > 0 && (!err || err == ENOENT))
		set_exp(g->exp, ERRS(EOPNOTSUPP, ENODEV));
}

void f_op_migrate(void)
{
	__u32 *ids = (__u32 *)(self->arena + PG), before = 0, after = 0;
	struct gen_alloc g = { .ids = ids, .w = ids + 512 };
	struct scalepool_migrate m = {};
	struct f_call c = { .cmd = SCALEPOOL_MIGRATE, .name = "MIGRATE",
			    .st = &m, .known = sizeof(m), .write = true,
			    .out = true };
	int idx, on_peer = 0, ret;
	const char *kind;
	char ids_note[64];
	struct f_fd *s;

	s = gen_start(&g);
	if (!s)
		return;
	m.handle = pick_handle(s, &idx, &kind);
	if (idx >= 0)
		on_peer = migrate_on_peer(s->fd, m.handle, &before);
	gen_migrate(&g, &m, idx >= 0 ? s->a[idx].length : 4096, on_peer);
	memcpy(c.exp, g.exp, sizeof(c.exp));
	if (idx < 0)
		set_exp(c.exp, ERRS(ENOENT));
	snprintf(c.desc, sizeof(c.desc), "handle=%u (%s) pol=%u n=%u%s %#llx+%#llx%s%s",
		 m.handle, kind, m.policy, m.nr_members,
		 ids_text(ids_note, sizeof(ids_note), ids, m.nr_members),
		 m.start, m.length, g.fault ? " fault=" : "", g.fault ?: "");
	ret = f_ioctl(s->fd, s->mode, &c);
	if (!ret && idx >= 0 && m.moved > s->a[idx].length)
		f_fail("MIGRATE moved %llu bytes of %llu", m.moved,
		       s->a[idx].length);
	/*
	 * A whole MIGRATE changes the policy, even when the struct's write
	 * back failed: INFO says which, one of the two.
	 */
	if (idx >= 0 && migrate_on_peer(s->fd, m.handle, &after) >= 0) {
		if (after != before && after != m.policy)
			f_fail("MIGRATE to policy %u: INFO says %u, was %u",
			       m.policy, after, before);
		s->a[idx].policy = after;
	}
	pthread_rwlock_unlock(&s->lock);
}

void f_op_query(void)
{
	struct scalepool_query q = {};
	struct f_call c = { .cmd = SCALEPOOL_QUERY, .name = "QUERY", .st = &q,
			    .known = sizeof(q), .out = true };
	__u64 need = SCALEPOOL_CAP_NODE_MEMBERS | SCALEPOOL_CAP_ALLOC |
		     SCALEPOOL_CAP_EXPORT;
	int si;

	si = f_fd_pick(false);
	if (si < 0)
		return;
	set_exp(c.exp, ERRS(0));
	if (f_chance(10)) {
		q.flags = 1U << f_below(32);
		set_exp(c.exp, ERRS(EOPNOTSUPP));
	}
	snprintf(c.desc, sizeof(c.desc), "flags=%#x", q.flags);
	if (!f_ioctl(f_fds[si].fd, f_fds[si].mode, &c) &&
	    (q.abi_version != SCALEPOOL_ABI_VERSION || !q.nr_members ||
	     (q.caps & need) != need))
		f_fail("QUERY: abi %u, %u members, caps %#llx", q.abi_version,
		       q.nr_members, q.caps);
	pthread_rwlock_unlock(&f_fds[si].lock);
}

/* Commands the device does not have: ENOTTY, whatever the argument. */
void f_op_badcmd(void)
{
	unsigned int nr = f_below(0x100);
	unsigned long cmd;
	int si, ret;

	si = f_fd_pick(false);
	if (si < 0)
		return;
	if (nr >= SCALEPOOL_CMD_BASE && nr <= SCALEPOOL_CMD_MIGRATE)
		nr = SCALEPOOL_CMD_MIGRATE + 1 +
		     f_below(0xff - SCALEPOOL_CMD_MIGRATE);
	switch (f_below(4)) {
	case 0:
		cmd = _IO(SCALEPOOL_TYPE, nr);
		break;
	case 1:
		cmd = _IOWR(SCALEPOOL_TYPE, SCALEPOOL_CMD_BASE + f_below(6),
			    struct scalepool_alloc);
		break;
	case 2:
		cmd = _IO(SCALEPOOL_TYPE + 1 + f_below(0x30),
			  SCALEPOOL_CMD_BASE + f_below(6));
		break;
	default:
		cmd = (unsigned int)f_rand();
		if (_IOC_TYPE(cmd) == SCALEPOOL_TYPE)
			cmd ^= _IOC(0, 1, 0, 0);
		/* FIONCLEX and the like are the VFS's, not ours. */
		if (_IOC_TYPE(cmd) == 'T' || _IOC_TYPE(cmd) == 0x66 ||
		    _IOC_TYPE(cmd) == 0x58 || _IOC_TYPE(cmd) == 0x94 ||
		    _IOC_TYPE(cmd) == 0x12 || _IOC_TYPE(cmd) == 0x15 ||
		    _IOC_TYPE(cmd) == 0x00)
			cmd = _IO(0xCC, 0x80);
		break;
	}
	f_note("ioctl fd%d cmd=%#lx", f_fds[si].fd, cmd);
	ret = ioctl(f_fds[si].fd, cmd, self->arena) ? -errno : 0;
	f_result(ret);
	f_check("unknown command", -ret, ERRS(ENOTTY));
	pthread_rwlock_unlock(&f_fds[si].lock);
}
