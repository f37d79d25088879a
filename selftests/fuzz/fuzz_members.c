// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's members: the live list (sysfs), the baseline of each
 * member's used bytes, the NUMA nodes with CPUs, and the admin's
 * add_bar and remove_member on ivshmem devices the fuzzer binds to
 * scalepool (and unbinds at the end), with their documented errnos
 * (Documentation/admin-guide.rst).
 */
#include <ctype.h>

#include "fuzz.h"

#define ERRS(...)	((const int[]){ __VA_ARGS__, -1 })
/*
 * Member ids come from a counter in the module that only counts up, one
 * per member added; a long run adds thousands of bar members (about one
 * call in 200 is a successful add_bar), so the ids of bar members are
 * remembered up to this bound, and a run that passes it stops.
 */
#define F_MAX_ID	(1U << 20)
/* No run adds this many members: ids from here on name no member. */
#define F_NOT_A_MEMBER	0x80000000U

pthread_mutex_t f_members_lock = PTHREAD_MUTEX_INITIALIZER;
struct f_member f_members[T_MAX_IDS];
int f_nmembers;
/* The highest member id the run saw (ids past T_MAX_IDS: a long run). */
__u32 f_max_member_id;
struct f_dev f_devs[F_NR_DEVS];
int f_ndevs;
char f_busy_bdf[32];
int f_cpu_nodes[8], f_ncpu_nodes, f_cpuless_node = -1;
/* The limit and measured figures of the members at the start, to put back. */
static struct {
	__u32 id;
	unsigned long long limit;
	char measured[256];
} saved[T_MAX_IDS];
static int nsaved;
/* The pool-wide tiering knobs (tier.c) as the run found them. */
static const char *const tier_knobs[] = { T_SYSFS "/tier_rate_limit_MBps",
					  T_SYSFS "/tier_scan_ms" };
static char tier_saved[2][32];
/*
 * The kind of each id the run saw: 0 not known yet, ID_BAR for a bar
 * member (its memory can be revoked), ID_PEER for another peer member
 * (p2pmem), ID_NODE for a node member.
 */
enum { ID_UNKNOWN, ID_BAR, ID_PEER, ID_NODE };
static unsigned char id_kinds[F_MAX_ID];

/* ID_* of a member's "kind" file; NULL (no file): a bar member gone. */
static int kind_of(const char *kind)
{
	if (!kind || !strcmp(kind, "bar"))
		return ID_BAR;
	return strcmp(kind, "node") ? ID_PEER : ID_NODE;
}

/* Reloads the list; used0 kept by id, -1 for members new since start. */
static void load_members(bool baseline)
{
	struct f_member old[T_MAX_IDS];
	__u32 ids[T_MAX_IDS];
	int n, i, j, nold = f_nmembers;

	memcpy(old, f_members, sizeof(old));
	n = t_members(ids, T_MAX_IDS);
	for (i = 0; i < n; i++) {
		struct f_member *m = &f_members[i];
		char mem[16];

		m->id = ids[i];
		if (t_member_attr(ids[i], "kind", m->kind, sizeof(m->kind)))
			snprintf(m->kind, sizeof(m->kind), "?");
		m->cxl = !t_member_attr(ids[i], "memory", mem, sizeof(mem)) &&
			 !strcmp(mem, "cxl");
		m->used0 = baseline ? t_member_ll(ids[i], "used") : -1;
		for (j = 0; !baseline && j < nold; j++)
			if (old[j].id == ids[i])
				m->used0 = old[j].used0;
		if (ids[i] > f_max_member_id)
			f_max_member_id = ids[i];
		if (ids[i] >= F_MAX_ID)
			f_fail("member id %u: past the ids the fuzzer tracks (%u)",
			       ids[i], F_MAX_ID);
		else
			__atomic_store_n(&id_kinds[ids[i]], kind_of(m->kind),
					 __ATOMIC_SEQ_CST);
	}
	f_nmembers = n;
}

/*
 * An id that names no member, whatever the run has added: never one
 * from the counter's range a run can reach (ids past T_MAX_IDS are live
 * bar members after a few hundred adds).
 */
__u32 f_not_a_member_id(void)
{
	return f_chance(50) ? 0xffffffffU : F_NOT_A_MEMBER + f_below(1000);
}

void f_members_refresh(void)
{
	pthread_mutex_lock(&f_members_lock);
	load_members(false);
	pthread_mutex_unlock(&f_members_lock);
}

/*
 * The ID_* of @id, or ID_UNKNOWN past F_MAX_ID.  An id not seen yet is
 * read from sysfs: ALLOC with a PCI initiator may land on a bar member
 * another thread's add_bar made a moment ago, before that thread
 * reloaded the list (seed 1796466518383493: its EXPORT got ENODEV after
 * the removal, where the oracle knew of no bar).  Ids come from the
 * live list or a placement, and node members stay: one gone was a bar
 * member another thread removed since (seed 1796463663374669).
 */
static int member_kind(__u32 id)
{
	char kind[16];
	int k;

	if (id >= F_MAX_ID)
		return ID_UNKNOWN;
	k = __atomic_load_n(&id_kinds[id], __ATOMIC_SEQ_CST);
	if (k == ID_UNKNOWN) {
		k = kind_of(t_member_attr(id, "kind", kind, sizeof(kind)) ?
			    NULL : kind);
		__atomic_store_n(&id_kinds[id], k, __ATOMIC_SEQ_CST);
	}
	return k;
}

bool f_member_is_bar(__u32 id)
{
	return member_kind(id) == ID_BAR;
}

bool f_member_is_peer(__u32 id)
{
	int k = member_kind(id);

	return k == ID_BAR || k == ID_PEER;
}

/* "0-1,3" from a node list file into @out; how many. */
static int node_list(const char *path, int *out, int max)
{
	char buf[128], *p;
	int n = 0, a, b;

	if (t_read_line(path, buf, sizeof(buf)))
		return 0;
	for (p = strtok(buf, ","); p; p = strtok(NULL, ",")) {
		if (sscanf(p, "%d-%d", &a, &b) != 2)
			b = a = atoi(p);
		for (; a <= b && n < max; a++)
			out[n++] = a;
	}
	return n;
}

static void nodes_setup(void)
{
	int mem[16], n, i, j, cpu;

	f_ncpu_nodes = node_list("/sys/devices/system/node/has_cpu",
				 f_cpu_nodes, 8);
	n = node_list("/sys/devices/system/node/has_memory", mem, 16);
	for (i = 0; i < n; i++) {
		for (cpu = 0, j = 0; j < f_ncpu_nodes; j++)
			cpu |= f_cpu_nodes[j] == mem[i];
		if (!cpu)
			f_cpuless_node = mem[i];
	}
}

/* The fuzzer's ivshmem devices, bound to scalepool; 0 or -1. */
static int devs_setup(void)
{
	struct t_pci_dev d[F_NR_DEVS];
	int n, i, ret;

	n = t_pci_find(T_IVSHMEM_VENDOR, T_IVSHMEM_DEVICE, 1, d, F_NR_DEVS);
	for (i = 0; i < n; i++) {
		ret = t_pci_bind(d[i].bdf, T_SP_DRIVER);
		if (ret) {
			printf("# %s: bind to scalepool: %s\n", d[i].bdf,
			       strerror(-ret));
			t_pci_unbind(d[i].bdf, T_SP_DRIVER);
			continue;
		}
		snprintf(f_devs[f_ndevs].bdf, sizeof(f_devs[0].bdf), "%.31s",
			 d[i].bdf);
		f_devs[f_ndevs++].member = -1;
	}
	if (f_opt.members > 0 && !f_ndevs) {
		printf("Bail out! --members on: no unbound ivshmem device to add\n");
		return -1;
	}
	f_opt.members = f_ndevs > 0;
	return 0;
}

/* The NVMe (bound to nvme): add_bar of it is EBUSY. */
static void busy_setup(void)
{
	struct t_pci_dev d[4];
	char drv[64];
	int n, i;

	/* QEMU's NVMe, 1b36:0010 */
	n = t_pci_find(0x1b36, 0x0010, 0, d, 4);
	for (i = 0; i < n; i++) {
		t_pci_driver_of(d[i].bdf, drv, sizeof(drv));
		if (!strcmp(drv, "nvme")) {
			snprintf(f_busy_bdf, sizeof(f_busy_bdf), "%.31s",
				 d[i].bdf);
			return;
		}
	}
}

/* The whole of a member's file @name (lines and all) into @buf. */
static void member_file_read(__u32 id, const char *name, char *buf,
			     size_t size)
{
	char path[96];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), T_MEMBERS "/%u/%s", id, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
}

/* Each member's limit and measured figures, as the run found them. */
static void admin_save(void)
{
	int i;

	for (i = 0; i < f_nmembers; i++) {
		saved[i].id = f_members[i].id;
		saved[i].limit = t_member_ll(f_members[i].id, "limit");
		member_file_read(f_members[i].id, "measured",
				 saved[i].measured, sizeof(saved[i].measured));
	}
	nsaved = f_nmembers;
	for (i = 0; i < 2; i++)
		if (t_read_line(tier_knobs[i], tier_saved[i],
				sizeof(tier_saved[i])))
			tier_saved[i][0] = 0;
}

int f_members_setup(void)
{
	nodes_setup();
	busy_setup();
	load_members(true);
	admin_save();
	if (f_opt.members && geteuid()) {
		if (f_opt.members > 0) {
			printf("Bail out! --members on needs root\n");
			return -1;
		}
		f_opt.members = 0;
	}
	return f_opt.members ? devs_setup() : 0;
}

static void set_errs(int *exp, const int *set)
{
	int i;

	for (i = 0; i < F_MAX_ERRS; i++)
		if ((exp[i] = set[i]) < 0)
			break;
}

/* Appends the errnos of @more to the list @exp (room permitting). */
static void add_errs(int *exp, const int *more)
{
	int i = 0;

	while (i < F_MAX_ERRS - 1 && exp[i] >= 0)
		i++;
	for (; i < F_MAX_ERRS - 1 && *more >= 0; i++)
		exp[i] = *more++;
	exp[i] = -1;
}

static int write_checked(const char *file, const char *arg, const int *exp)
{
	char what[96];
	int ret;

	f_note("write %s \"%s\"", file, arg);
	ret = t_write_file(file, arg);
	f_result(ret);
	snprintf(what, sizeof(what), "write \"%s\" to %s", arg, file);
	f_check(what, -ret, exp);
	return ret;
}

void f_op_member_add(void)
{
	struct f_dev *d = &f_devs[f_below(f_ndevs)];
	int exp[F_MAX_ERRS];
	char arg[64];
	bool valid = false;

	pthread_mutex_lock(&f_members_lock);
	switch (f_below(12)) {
	case 0:		/* ivshmem's BAR 0: 256 bytes of registers */
		snprintf(arg, sizeof(arg), "%s 0", d->bdf);
		set_errs(exp, ERRS(ERANGE));
		break;
	case 1:
		snprintf(arg, sizeof(arg), "%s %s", d->bdf,
			 (const char *[]){ "6", "-1", "x", "2 3" }[f_below(4)]);
		set_errs(exp, ERRS(EINVAL));
		break;
	case 2:		/* the upper half of BAR 2, an unused BAR */
		snprintf(arg, sizeof(arg), "%s %d", d->bdf, 3 + f_below(3));
		set_errs(exp, ERRS(ENXIO));
		break;
	case 3:
		snprintf(arg, sizeof(arg), "0000:7f:1f.7");
		set_errs(exp, ERRS(ENODEV));
		break;
	case 4:
		snprintf(arg, sizeof(arg), "%s", f_busy_bdf[0] ? f_busy_bdf :
			 "0000:7e:1f.7");
		set_errs(exp, f_busy_bdf[0] ? ERRS(EBUSY) : ERRS(ENODEV));
		break;
	case 5:
		snprintf(arg, sizeof(arg), "%s", (const char *[]){ "y", "x",
			 "0000:zz:00.0", "00000:00:00.0:0" }[f_below(4)]);
		set_errs(exp, ERRS(EINVAL, ENODEV));
		break;
	default:
		snprintf(arg, sizeof(arg), f_chance(50) ? "%s" : "%s 2",
			 d->bdf);
		set_errs(exp, d->member >= 0 ? ERRS(EEXIST) : ERRS(0));
		valid = true;
		break;
	}
	if (!write_checked(T_SYSFS "/add_bar", arg, exp) && valid) {
		d->member = t_member_of_pci("bar", d->bdf);
		load_members(false);
		if (d->member < 0)
			f_fail("add_bar %s: 0, but no bar member of it", arg);
	}
	pthread_mutex_unlock(&f_members_lock);
}

/* Every live record on bar member @id: its member's removal completed. */
static void mark_revoked(int id)
{
	int i;

	for (i = 0; i < F_NR_RECS; i++)
		if (__atomic_load_n(&f_sh->recs[i].refs, __ATOMIC_SEQ_CST) &&
		    f_sh->recs[i].bar && f_sh->recs[i].member == id)
			__atomic_store_n(&f_sh->recs[i].revoked, 1,
					 __ATOMIC_SEQ_CST);
}

static int remove_one(struct f_dev *d, const int *exp)
{
	char arg[16];
	int ret;

	snprintf(arg, sizeof(arg), "%d", d->member);
	/* Before and after: ALLOCs that overlap the removal see a change. */
	__atomic_add_fetch(&f_sh->removes, 1, __ATOMIC_SEQ_CST);
	ret = write_checked(T_SYSFS "/remove_member", arg, exp);
	__atomic_add_fetch(&f_sh->removes, 1, __ATOMIC_SEQ_CST);
	if (!ret) {
		mark_revoked(d->member);
		d->member = -1;
		load_members(false);
	}
	return ret;
}

void f_op_member_remove(void)
{
	struct f_dev *d = &f_devs[f_below(f_ndevs)];
	int i, r = f_below(10);
	char arg[32];

	pthread_mutex_lock(&f_members_lock);
	if (r < 6 && d->member >= 0) {
		remove_one(d, ERRS(0));
	} else if (r < 8) {
		/* Node and p2pmem members cannot be removed. */
		for (i = f_below(f_nmembers); i < f_nmembers; i++)
			if (strcmp(f_members[i].kind, "bar"))
				break;
		if (i < f_nmembers) {
			snprintf(arg, sizeof(arg), "%u", f_members[i].id);
			write_checked(T_SYSFS "/remove_member", arg,
				      ERRS(EINVAL));
		}
	} else {
		if (f_chance(50))
			snprintf(arg, sizeof(arg), "%u", f_not_a_member_id());
		else
			snprintf(arg, sizeof(arg), "%s", f_chance(50) ? "-1" :
				 "x");
		write_checked(T_SYSFS "/remove_member", arg, isdigit(arg[0]) ?
			      ERRS(ENOENT) : ERRS(EINVAL));
	}
	pthread_mutex_unlock(&f_members_lock);
}

/* ---- the admin's writes to a member's files: limit, drain, measured */

/* limit: bytes (0: none) or something kstrtou64() refuses. */
static void limit_arg(char *arg, size_t size, int *exp)
{
	static const char *const bad[] = { "-1", "x", "1 2", "0x10",
					   "18446744073709551616" };

	if (f_chance(25)) {
		snprintf(arg, size, "%s", bad[f_below(T_ARRAY_SIZE(bad))]);
		set_errs(exp, ERRS(EINVAL));
		return;
	}
	/*
	 * Mostly none or more than any member has; one in ten binds (a
	 * page to 2 GiB), and while it does, ALLOCs spill to the other
	 * members, the CXL one too, which is slow under TCG.
	 */
	if (f_chance(10))
		snprintf(arg, size, "%llu", 4096ULL << f_below(20));
	else
		snprintf(arg, size, "%llu", f_chance(50) ? 0ULL :
			 (1ULL << 40) << f_below(20));
	set_errs(exp, ERRS(0));
}

/*
 * drain: every page the pool holds there moves to the other members
 * each policy allows, or the write says why not (admin-guide.rst).
 */
static void drain_arg(char *arg, size_t size, bool peer, int *exp)
{
	if (f_chance(40)) {
		/* kstrtobool() reads the first character: "yes" is yes. */
		snprintf(arg, size, "%s", (const char *[]){ "0", "n", "2",
			 "x", "off" }[f_below(5)]);
		set_errs(exp, ERRS(EINVAL));
		return;
	}
	snprintf(arg, size, "%s", f_chance(50) ? "1" : "y");
	set_errs(exp, peer ? ERRS(EOPNOTSUPP) : ERRS(0, ENOSPC, ENOMEM, EBUSY));
}

/* measured: "NODE LATENCY_NS BANDWIDTH_MBPS" from a CPU node, or clear. */
static void measured_arg(char *arg, size_t size, int *exp)
{
	int node = f_ncpu_nodes ? f_cpu_nodes[f_below(f_ncpu_nodes)] : 0;

	switch (f_below(4)) {
	case 0:
		snprintf(arg, size, "clear");
		set_errs(exp, ERRS(0));
		break;
	case 1:
		snprintf(arg, size, "%d %u %u", node, 1 + f_below(1000),
			 1 + f_below(100000));
		set_errs(exp, ERRS(0));
		break;
	case 2:
		snprintf(arg, size, "%d %u %u", f_cpuless_node >= 0 ?
			 f_cpuless_node : 64, 1 + f_below(1000), 100);
		set_errs(exp, ERRS(EINVAL));
		break;
	default:
		snprintf(arg, size, "%s", (const char *[]){ "0 0 100",
			 "0 100 0", "0 1 2 3", "0 1", "-1 1 1", "x y z",
			 "0 18446744073709551616 1" }[f_below(7)]);
		set_errs(exp, ERRS(EINVAL));
		break;
	}
}

/*
 * The tiering knobs: a rate (MiB/s, 0 to 2^20, 0 off) and a scan period
 * (10 to 60000 ms), or what kstrtouint() refuses.  While the rate is not
 * 0, the worker unmaps and moves the pages of TIERED allocations under
 * every other op, within each allocation's set, as the oracle allows.
 */
static void tier_knob_write(void)
{
	static const char *const bad[] = { "-1", "x", "1 2", "0x10" };
	bool rate = f_chance(50);
	int errs[F_MAX_ERRS];
	char arg[32];
	unsigned int v;

	if (f_chance(15)) {
		snprintf(arg, sizeof(arg), "%s", f_chance(20) ? "4294967296" :
			 bad[f_below(T_ARRAY_SIZE(bad))]);
		set_errs(errs, arg[0] == '4' ? ERRS(ERANGE) : ERRS(EINVAL));
	} else {
		if (rate)
			v = f_chance(40) ? 0 : f_chance(90) ?
			    1 + f_below(4096) : (1U << 20) + 1 + f_below(99);
		else
			v = f_chance(90) ? (const unsigned int[]){ 10, 100,
			    500, 1000 }[f_below(4)] : f_chance(50) ?
			    f_below(10) : 60001 + f_below(99);
		snprintf(arg, sizeof(arg), "%u", v);
		set_errs(errs, (rate && v > 1U << 20) ||
			 (!rate && (v < 10 || v > 60000)) ?
			 ERRS(ERANGE) : ERRS(0));
	}
	write_checked(tier_knobs[!rate], arg, errs);
}

/*
 * Drains are rare (one write in 50): one moves every pool page of the
 * member, to the CXL one too.  One write in 10 is a tiering knob's.
 */
void f_op_member_write(void)
{
	char file[96], arg[64], kind[16];
	const char *name;
	int errs[F_MAX_ERRS], i;
	bool peer;
	__u32 id;

	if (f_chance(10)) {
		tier_knob_write();
		return;
	}
	pthread_mutex_lock(&f_members_lock);
	if (!f_nmembers) {
		pthread_mutex_unlock(&f_members_lock);
		return;
	}
	i = f_below(f_nmembers);
	id = f_members[i].id;
	snprintf(kind, sizeof(kind), "%s", f_members[i].kind);
	pthread_mutex_unlock(&f_members_lock);
	peer = strcmp(kind, "node");
	if (f_chance(2)) {
		name = "drain";
		drain_arg(arg, sizeof(arg), peer, errs);
	} else if (f_chance(50)) {
		name = "limit";
		limit_arg(arg, sizeof(arg), errs);
	} else {
		name = "measured";
		measured_arg(arg, sizeof(arg), errs);
	}
	if (peer)	/* a bar member removed since: its files are gone */
		add_errs(errs, ERRS(ENOENT, ENODEV));
	snprintf(file, sizeof(file), T_MEMBERS "/%u/%s", id, name);
	write_checked(file, arg, errs);
}

/* The limits and measured figures of the members the run started with. */
static int admin_restore(void)
{
	char file[96], arg[32], *line, *save;
	int i, bad = 0;

	for (i = 0; i < nsaved; i++) {
		snprintf(file, sizeof(file), T_MEMBERS "/%u/limit",
			 saved[i].id);
		snprintf(arg, sizeof(arg), "%llu", saved[i].limit);
		bad += !!t_write_file(file, arg);
		snprintf(file, sizeof(file), T_MEMBERS "/%u/measured",
			 saved[i].id);
		bad += !!t_write_file(file, "clear");
		for (line = strtok_r(saved[i].measured, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			bad += !!t_write_file(file, line);
	}
	for (i = 0; i < 2; i++)
		bad += tier_saved[i][0] && !!t_write_file(tier_knobs[i],
							  tier_saved[i]);
	if (bad)
		printf("# %d writes putting limits and figures back failed\n",
		       bad);
	return bad;
}

/*
 * Removes the fuzzer's bar members and unbinds its devices, and puts
 * the members' limits and measured figures back; problems.
 */
int f_members_restore(void)
{
	char drv[64];
	int i, bad = 0;

	pthread_mutex_lock(&f_members_lock);
	for (i = 0; i < f_ndevs; i++) {
		if (f_devs[i].member >= 0) {
			if (t_member_ll(f_devs[i].member, "used") != 0) {
				printf("# bar member %d: used %lld after the run\n",
				       f_devs[i].member,
				       t_member_ll(f_devs[i].member, "used"));
				bad++;
			}
			bad += !!remove_one(&f_devs[i], ERRS(0));
		}
		t_pci_unbind(f_devs[i].bdf, T_SP_DRIVER);
		t_pci_driver_of(f_devs[i].bdf, drv, sizeof(drv));
		if (drv[0] || t_member_of_pci("bar", f_devs[i].bdf) >= 0) {
			printf("# %s: still bound (%s) or a member\n",
			       f_devs[i].bdf, drv);
			bad++;
		}
	}
	pthread_mutex_unlock(&f_members_lock);
	return bad + admin_restore();
}
