// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the JSON of every command, one builder per object, and the
 * helpers that build it.  --human prints these same objects' keys as
 * tables (poolctl_print_rows()); nothing is rendered from libpool twice.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/scalepool.h>
#include <libpool.h>

#include "poolctl.h"
#include "bench.h"

int poolctl_print_json(const char *cmd, struct json_object *root, bool ok,
		       FILE *f)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;

	if (ok && root)
		fprintf(f, "%s\n", json_object_to_json_string_ext(root, flags));
	json_object_put(root);
	if (!ok || !root)
		return poolctl_err(cmd, ENOMEM,
					 "cannot build the output");
	return 0;
}

/* ---- list */

/* A figure of the firmware's, null when it says nothing (-1). */
static struct json_object *fw_figure(long long v, bool *ok)
{
	return v < 0 ? NULL : pj_int(v, ok);
}

static struct json_object *firmware_json(struct pool_member *m, bool *ok)
{
	struct json_object *fw = pj_object(ok);
	const struct {
		const char *key;
		long long (*get)(struct pool_member *m);
	} figs[] = {
		{ "read_latency_ns", pool_member_get_fw_read_latency },
		{ "write_latency_ns", pool_member_get_fw_write_latency },
		{ "read_bandwidth_mbps", pool_member_get_fw_read_bandwidth },
		{ "write_bandwidth_mbps", pool_member_get_fw_write_bandwidth },
	};
	size_t i;

	if (!fw)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(figs); i++)
		pj_add(fw, figs[i].key, fw_figure(figs[i].get(m), ok), ok);
	return fw;
}

/* [{"initiator", "latency_ns", "bandwidth_mbps"}, ...], by initiator. */
static struct json_object *measured_json(struct pool_member *m, bool *ok)
{
	struct json_object *arr = pj_array(ok), *fig;
	unsigned long long lat, bw;
	int n;

	if (!arr)
		return NULL;
	for (n = pool_member_get_next_measured(m, -1); n >= 0;
	     n = pool_member_get_next_measured(m, n)) {
		if (pool_member_get_measured(m, n, &lat, &bw))
			continue;
		fig = pj_object(ok);
		if (!fig)
			break;
		pj_add(fig, "initiator", pj_int(n, ok), ok);
		pj_add(fig, "latency_ns", pj_u64(lat, ok), ok);
		pj_add(fig, "bandwidth_mbps", pj_u64(bw, ok), ok);
		pj_append(arr, fig, ok);
	}
	return arr;
}

static struct json_object *cxl_json(struct pool_member *m, bool *ok)
{
	int i, n = pool_member_get_nr_cxl_memdevs(m);
	struct json_object *cxl, *memdevs;

	cxl = pj_object(ok);
	memdevs = pj_array(ok);
	if (!cxl || !memdevs) {
		json_object_put(cxl);
		json_object_put(memdevs);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		const char *name = pool_member_get_cxl_memdev_name(m, i);

		pj_append(memdevs, pj_str(name, ok), ok);
	}
	pj_add(cxl, "memdevs", memdevs, ok);
	pj_add(cxl, "region", pj_str(pool_member_get_cxl_region_name(m), ok),
	       ok);
	pj_add(cxl, "dax", pj_str(pool_member_get_dax_device_name(m), ok), ok);
	return cxl;
}

/* {"<id>": distance} to every other peer member. */
static struct json_object *peer_json(struct pool_member *m, bool *ok)
{
	struct json_object *jd = pj_object(ok);
	struct pool_member *p;
	char key[16];
	int d;

	if (!jd)
		return NULL;
	pool_member_foreach(pool_member_get_ctx(m), p) {
		if (p == m || !pool_member_get_pci(p))
			continue;
		d = pool_member_get_peer_distance(m, p);
		if (d == -ENOENT)
			continue;
		snprintf(key, sizeof(key), "%u", pool_member_get_id(p));
		pj_add(jd, key, pj_int(d, ok), ok);
	}
	return jd;
}

/*
 * Why the last memory offline or drain of the member was refused: null
 * when it was not (or the module does not move pages).
 */
static struct json_object *refused_json(struct pool_member *m, bool *ok)
{
	char why[256];

	if (pool_member_get_refused(m, why, sizeof(why)) || !why[0])
		return NULL;
	return pj_str(why, ok);
}

/*
 * Tiering's counters of the member (bytes sampled, promoted to it,
 * demoted to it), as "tier_sampled", "tier_promoted", "tier_demoted":
 * null when the module has no tiering.
 */
static void tier_json(struct json_object *j, struct pool_member *m,
		      bool *ok)
{
	unsigned long long v[3];
	bool have = !pool_member_get_tier(m, &v[0], &v[1], &v[2]);

	pj_add(j, "tier_sampled", have ? pj_u64(v[0], ok) : NULL, ok);
	pj_add(j, "tier_promoted", have ? pj_u64(v[1], ok) : NULL, ok);
	pj_add(j, "tier_demoted", have ? pj_u64(v[2], ok) : NULL, ok);
}

/*
 * The keys of a member that list and stat share, in their order; list
 * adds "kind", stat "free", "refused" and tiering's counters.
 */
static struct json_object *member_json(struct pool_member *m, bool stat,
				       bool *ok)
{
	struct json_object *j = pj_object(ok);
	long long free_bytes = pool_member_get_free(m);

	if (!j)
		return NULL;
	pj_add(j, "id", pj_u64(pool_member_get_id(m), ok), ok);
	if (!stat)
		pj_add(j, "kind", pj_str(pool_member_get_kind(m), ok), ok);
	pj_add(j, "name", pj_str(pool_member_get_name(m), ok), ok);
	pj_add(j, "node", pj_int(pool_member_get_node(m), ok), ok);
	pj_add(j, "memory", pj_str(pool_member_get_memory(m), ok), ok);
	pj_add(j, "capacity", pj_u64(pool_member_get_capacity(m), ok), ok);
	pj_add(j, "used", pj_u64(pool_member_get_used(m), ok), ok);
	if (stat)
		pj_add(j, "free", free_bytes < 0 ? NULL :
		       pj_int(free_bytes, ok), ok);
	pj_add(j, "limit", pj_u64(pool_member_get_limit(m), ok), ok);
	if (stat) {
		pj_add(j, "refused", refused_json(m, ok), ok);
		tier_json(j, m, ok);
	}
	return j;
}

static struct json_object *list_member_json(struct pool_member *m, bool *ok)
{
	struct json_object *jm = member_json(m, false, ok);

	if (!jm)
		return NULL;
	pj_add(jm, "firmware", firmware_json(m, ok), ok);
	pj_add(jm, "measured", measured_json(m, ok), ok);
	if (strcmp(pool_member_get_memory(m), "cxl") == 0)
		pj_add(jm, "cxl", cxl_json(m, ok), ok);
	if (pool_member_get_pci(m)) {
		pj_add(jm, "pci", pj_str(pool_member_get_pci(m), ok), ok);
		pj_add(jm, "bar", pj_int(pool_member_get_bar(m), ok), ok);
		pj_add(jm, "peer_distance", peer_json(m, ok), ok);
	}
	return jm;
}

/* {"pid", "comm"}: a process and an allocation put theirs after. */
static struct json_object *pid_comm_json(int pid, const char *comm,
					 bool *ok)
{
	struct json_object *j = pj_object(ok);

	if (j) {
		pj_add(j, "pid", pj_int(pid, ok), ok);
		pj_add(j, "comm", pj_str(comm, ok), ok);
	}
	return j;
}

struct json_object *poolctl_json_process(const struct pool_process_usage *r,
					 bool *ok)
{
	struct json_object *j = pid_comm_json(r->pid, r->comm, ok);

	if (!j)
		return NULL;
	pj_add(j, "allocations", pj_u64(r->allocations, ok), ok);
	pj_add(j, "bytes", pj_u64(r->bytes, ok), ok);
	pj_add(j, "exported", pj_u64(r->exported, ok), ok);
	pj_add(j, "exported_bytes", pj_u64(r->exported_bytes, ok), ok);
	return j;
}

/* poolctl list: {"members": [...], "notes": [...]}. */
struct json_object *poolctl_json_list(struct pool_ctx *ctx, bool *ok)
{
	struct json_object *root = pj_object(ok);
	struct json_object *members = pj_array(ok), *notes;
	struct pool_member *m;

	if (!root || !members) {
		json_object_put(root);
		json_object_put(members);
		return NULL;
	}
	pool_member_foreach(ctx, m)
		pj_append(members, list_member_json(m, ok), ok);
	pj_add(root, "members", members, ok);
	if (!(pool_get_caps(ctx) & SCALEPOOL_CAP_P2PMEM_MEMBERS)) {
		notes = pj_array(ok);
		pj_append(notes, pj_str(POOLCTL_P2PMEM_ABSENT, ok), ok);
		pj_add(root, "notes", notes, ok);
	}
	return root;
}

struct process_rows {
	int self_pid;
	struct json_object *arr;
	bool *ok;
};

static int process_row(const struct pool_process_usage *u, void *arg)
{
	struct process_rows *p = arg;

	if (u->pid != p->self_pid)
		pj_append(p->arr, poolctl_json_process(u, p->ok), p->ok);
	return *p->ok ? 0 : -ENOMEM;
}

struct json_object *poolctl_json_allocation(
	const struct pool_process_allocation *a, bool *ok)
{
	struct json_object *j = pid_comm_json(a->pid, a->comm, ok);

	if (!j)
		return NULL;
	pj_add(j, "fd", pj_int(a->fd, ok), ok);
	pj_add(j, "handle", pj_u64(a->handle, ok), ok);
	pj_add(j, "length", pj_u64(a->length, ok), ok);
	pj_add(j, "offset", pj_u64(a->offset, ok), ok);
	pj_add(j, "policy", pj_str(pool_policy_name(a->policy), ok), ok);
	return j;
}

static int allocation_row(const struct pool_process_allocation *a,
			  void *arg)
{
	struct process_rows *p = arg;

	if (a->pid != p->self_pid)
		pj_append(p->arr, poolctl_json_allocation(a, p->ok), p->ok);
	return *p->ok ? 0 : -ENOMEM;
}

/*
 * poolctl stat: {"members": [...], "processes": [...],
 * "allocations": [...]}, @self_pid left out of the processes and
 * allocations.  *@root is NULL (and *@ok false) when out of
 * memory; the return value is 0 or the error of the /proc scan.
 */
int poolctl_json_stat(struct pool_ctx *ctx, int self_pid,
		      struct json_object **root, bool *ok)
{
	struct process_rows p = { self_pid, pj_array(ok), ok };
	struct process_rows al = { self_pid, pj_array(ok), ok };
	struct json_object *members = pj_array(ok);
	struct pool_member *m;
	int rc = 0;

	*root = pj_object(ok);
	if (!*root || !members || !p.arr || !al.arr) {
		json_object_put(members);
		json_object_put(p.arr);
		json_object_put(al.arr);
		json_object_put(*root);
		*root = NULL;
		return 0;
	}
	pool_member_foreach(ctx, m)
		pj_append(members, member_json(m, true, ok), ok);
	rc = pool_for_each_process_usage(ctx, process_row, &p);
	if (!rc)
		rc = pool_for_each_process_allocation(ctx, allocation_row,
						      &al);
	pj_add(*root, "members", members, ok);
	pj_add(*root, "processes", p.arr, ok);
	pj_add(*root, "allocations", al.arr, ok);
	return rc < 0 && *ok ? rc : 0;
}

/* {"id", "name"} of a member; limit and member add put theirs after. */
static struct json_object *id_name_json(struct pool_member *m, bool *ok)
{
	struct json_object *j = pj_object(ok);

	if (j) {
		pj_add(j, "id", pj_u64(pool_member_get_id(m), ok), ok);
		pj_add(j, "name", pj_str(pool_member_get_name(m), ok), ok);
	}
	return j;
}

/* poolctl limit: {"id", "name", "limit"}. */
struct json_object *poolctl_json_limit(struct pool_member *m, bool *ok)
{
	struct json_object *root = id_name_json(m, ok);

	if (!root)
		return NULL;
	pj_add(root, "limit", pj_u64(pool_member_get_limit(m), ok), ok);
	return root;
}

/* poolctl member add: {"id", "name", "pci", "bar", "capacity"}. */
struct json_object *poolctl_json_bar_member(struct pool_member *m, bool *ok)
{
	struct json_object *root = id_name_json(m, ok);

	if (!root)
		return NULL;
	pj_add(root, "pci", pj_str(pool_member_get_pci(m), ok), ok);
	pj_add(root, "bar", pj_int(pool_member_get_bar(m), ok), ok);
	pj_add(root, "capacity", pj_u64(pool_member_get_capacity(m), ok), ok);
	return root;
}

struct json_object *poolctl_json_placement(const struct pool_placement *pl,
					   int n, bool *ok)
{
	struct json_object *arr = pj_array(ok), *p;
	int i;

	if (!arr)
		return NULL;
	for (i = 0; i < n; i++) {
		p = pj_object(ok);
		if (!p)
			break;
		pj_add(p, "member", pj_u64(pl[i].member, ok), ok);
		pj_add(p, "node", pj_int(pl[i].node, ok), ok);
		pj_add(p, "bytes", pj_u64(pl[i].bytes, ok), ok);
		pj_add(p, "huge_bytes", pj_u64(pl[i].huge_bytes, ok), ok);
		pj_append(arr, p, ok);
	}
	return arr;
}

/*
 * poolctl alloc: {"size", "policy", "placement", "basis", "revoked"}
 * of @buf, whose @n placements, basis (NULL: null) and state were read.
 */
struct json_object *poolctl_json_alloc(struct pool_buf *buf,
				       const struct pool_placement *pl, int n,
				       const char *basis, int state, bool *ok)
{
	struct json_object *root = pj_object(ok);
	int policy = pool_buf_get_policy(buf);

	if (!root)
		return NULL;
	pj_add(root, "size", pj_u64(pool_buf_get_size(buf), ok), ok);
	pj_add(root, "policy", pj_str(pool_policy_name(policy), ok), ok);
	pj_add(root, "placement", poolctl_json_placement(pl, n, ok), ok);
	pj_add(root, "basis", pj_str(basis, ok), ok);
	pj_add(root, "revoked", pj_bool(state & POOL_BUF_REVOKED, ok), ok);
	return root;
}

/* ---- bench */

static const char *const json_keys[POOL_BENCH_NR_KINDS] = {
	"latency_ns", "read_mbps", "write_mbps", "copy_mbps", "triad_mbps",
};

static const char *const stores_names[] = {
	[POOL_BENCH_STORES_AUTO] = "auto",
	[POOL_BENCH_STORES_NORMAL] = "normal",
	[POOL_BENCH_STORES_NT] = "nt",
};

static const char *const inject_names[] = {
	[POOL_BENCH_INJECT_READ] = "read",
	[POOL_BENCH_INJECT_COPY] = "copy",
};

/* Entry @i of a table of @n names, or NULL; the inverse, or -EINVAL. */
static const char *name_of(const char *const *names, int n, int i)
{
	return i < 0 || i >= n ? NULL : names[i];
}

static int index_of(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *poolctl_bench_stores_name(int stores)
{
	return name_of(stores_names, ARRAY_SIZE(stores_names), stores);
}

int poolctl_bench_stores_from_name(const char *name)
{
	return index_of(stores_names, ARRAY_SIZE(stores_names), name);
}

const char *poolctl_bench_inject_name(int inject)
{
	return name_of(inject_names, ARRAY_SIZE(inject_names), inject);
}

int poolctl_bench_inject_from_name(const char *name)
{
	return index_of(inject_names, ARRAY_SIZE(inject_names), name);
}

double poolctl_bench_spread(const struct pool_bench_figure *f)
{
	if (f->repetitions < 2 || f->value <= 0)
		return 0;
	return (f->max - f->min) / f->value;
}

bool poolctl_bench_noisy(const struct pool_bench_figure *f,
			 double max_spread)
{
	return poolctl_bench_spread(f) > max_spread;
}

/* A figure with one decimal, or null when not measured. */
static struct json_object *figure_json(const struct pool_bench_result *r,
				       int i, bool *ok)
{
	if (!(r->kinds & (1U << i)) || !r->figures[i].value)
		return NULL;
	return pj_double(r->figures[i].value, 1, ok);
}

static struct json_object *detail_json(const struct pool_bench_result *r,
				       double max_spread, bool *ok)
{
	struct json_object *d = pj_object(ok), *k;
	const struct pool_bench_figure *f;
	int i;

	if (!d)
		return NULL;
	for (i = 0; i < POOL_BENCH_NR_KINDS; i++) {
		if (!(r->kinds & (1U << i)))
			continue;
		f = &r->figures[i];
		k = pj_object(ok);
		if (!k)
			break;
		pj_add(k, "min", pj_double(f->min, 1, ok), ok);
		pj_add(k, "max", pj_double(f->max, 1, ok), ok);
		pj_add(k, "repetitions", pj_u64(f->repetitions, ok), ok);
		pj_add(k, "partial", pj_bool(f->partial, ok), ok);
		pj_add(k, i ? "bytes" : "loads", pj_u64(f->bytes, ok), ok);
		pj_add(k, "cache_bound", pj_bool(f->cache_bound, ok), ok);
		pj_add(k, "seconds", pj_double(f->seconds, 3, ok), ok);
		pj_add(k, "spread", pj_double(poolctl_bench_spread(f), 3, ok),
		       ok);
		pj_add(k, "noisy", pj_bool(poolctl_bench_noisy(f, max_spread),
					   ok), ok);
		if ((1U << i) & POOL_BENCH_STORING)
			pj_add(k, "stores", pj_str(r->nt_kinds & (1U << i) ?
						   "nt" : "normal", ok), ok);
		pj_add(d, pool_bench_kind_name(1U << i), k, ok);
	}
	return d;
}

static bool any_noisy(const struct pool_bench_result *r, double max_spread)
{
	int i;

	for (i = 0; i < POOL_BENCH_NR_KINDS; i++)
		if ((r->kinds & (1U << i)) &&
		    poolctl_bench_noisy(&r->figures[i], max_spread))
			return true;
	return false;
}

static struct json_object *uint_array(const unsigned int *v, unsigned int n,
				      bool *ok)
{
	struct json_object *a = pj_array(ok);
	unsigned int i;

	for (i = 0; a && i < n; i++)
		pj_append(a, pj_u64(v[i], ok), ok);
	return a;
}

/*
 * --policy's cell: the policy, its members (null: every member) and
 * weights (null: none given) and granularity (0: a page).
 */
static void placement_json(struct json_object *o, const struct bench_cell *c,
			   bool *ok)
{
	const struct place_rules *p = &c->place->r;

	pj_add(o, "policy", pj_str(pool_policy_name(p->policy), ok), ok);
	pj_add(o, "members", p->members_arg ?
	       uint_array(p->members, p->nr_members, ok) : NULL, ok);
	pj_add(o, "weights", p->have_weights ?
	       uint_array(p->weights, p->nr_weights, ok) : NULL, ok);
	pj_add(o, "granularity", pj_u64(p->granularity, ok), ok);
}

static struct json_object *cell_json(const struct bench_cell *c,
				     double max_spread, bool *ok)
{
	const struct pool_bench_result *r = &c->res;
	struct json_object *o = pj_object(ok);
	int i;

	if (!o)
		return NULL;
	pj_add(o, "initiator", pj_int(c->initiator, ok), ok);
	pj_add(o, "member", c->place ? NULL : pj_int(c->member, ok), ok);
	pj_add(o, "node", c->place ? NULL : pj_int(c->node, ok), ok);
	pj_add(o, "memory", pj_str(c->memory, ok), ok);
	if (c->place)
		placement_json(o, c, ok);
	for (i = 0; i < POOL_BENCH_NR_KINDS; i++)
		pj_add(o, json_keys[i], figure_json(r, i, ok), ok);
	pj_add(o, "fw_latency_ns", fw_figure(c->fw_latency_ns, ok), ok);
	pj_add(o, "fw_read_mbps", fw_figure(c->fw_read_mbps, ok), ok);
	pj_add(o, "size", pj_u64(r->size, ok), ok);
	pj_add(o, "shrunk", pj_bool(r->shrunk, ok), ok);
	pj_add(o, "probe_mbps", pj_double(r->probe_mbps, 1, ok), ok);
	pj_add(o, "llc_size", pj_u64(r->llc_size, ok), ok);
	pj_add(o, "cache_bound", pj_bool(r->cache_bound, ok), ok);
	pj_add(o, "threads", pj_u64(r->threads, ok), ok);
	pj_add(o, "threads_asked", c->threads_asked ?
	       pj_u64((unsigned int)c->threads_asked, ok) : pj_str("all", ok),
	       ok);
	pj_add(o, "isa", pj_str(pool_bench_isa_name(r->isa), ok), ok);
	pj_add(o, "stores", pj_str(poolctl_bench_stores_name(r->stores), ok),
	       ok);
	pj_add(o, "noisy", pj_bool(any_noisy(r, max_spread), ok), ok);
	pj_add(o, "lines", pj_u64(r->lines, ok), ok);
	pj_add(o, "latency_size", pj_u64(r->latency_size, ok), ok);
	pj_add(o, "detail", detail_json(r, max_spread, ok), ok);
	return o;
}

/* --loaded: the curve, a point per rate, by ascending target. */
static struct json_object *curve_json(const struct pool_bench_curve *cv,
				      bool *ok)
{
	const struct pool_bench_point *pt;
	struct json_object *a = pj_array(ok), *o;
	unsigned int i;

	for (i = 0; a && i < cv->nr_points; i++) {
		pt = &cv->points[i];
		o = pj_object(ok);
		if (!o)
			break;
		pj_add(o, "target_mbps", pj_double(pt->target_mbps, 1, ok), ok);
		pj_add(o, "inject_mbps", pj_double(pt->inject_mbps, 1, ok), ok);
		pj_add(o, "latency_ns", pj_double(pt->latency_ns, 1, ok), ok);
		pj_add(o, "loads", pj_u64(pt->loads, ok), ok);
		pj_add(o, "seconds", pj_double(pt->seconds, 3, ok), ok);
		pj_append(a, o, ok);
	}
	return a;
}

static struct json_object *loaded_cell_json(const struct bench_cell *c,
					    bool *ok)
{
	const struct pool_bench_curve *cv = &c->curve;
	struct json_object *o = pj_object(ok);

	if (!o)
		return NULL;
	pj_add(o, "initiator", pj_int(c->initiator, ok), ok);
	pj_add(o, "member", pj_int(c->member, ok), ok);
	pj_add(o, "node", pj_int(c->node, ok), ok);
	pj_add(o, "memory", pj_str(c->memory, ok), ok);
	pj_add(o, "threads", pj_u64(cv->threads, ok), ok);
	pj_add(o, "injectors", pj_u64(cv->threads - 1, ok), ok);
	pj_add(o, "shared_cpus", pj_bool(cv->shared_cpus, ok), ok);
	pj_add(o, "inject", pj_str(poolctl_bench_inject_name(cv->inject), ok),
	       ok);
	pj_add(o, "isa", pj_str(pool_bench_isa_name(cv->isa), ok), ok);
	pj_add(o, "latency_size", pj_u64(cv->latency_size, ok), ok);
	pj_add(o, "inject_size", pj_u64(cv->inject_size, ok), ok);
	pj_add(o, "llc_size", pj_u64(cv->llc_size, ok), ok);
	pj_add(o, "cache_bound", pj_bool(cv->cache_bound, ok), ok);
	pj_add(o, "lines", pj_u64(cv->lines, ok), ok);
	pj_add(o, "probe_mbps", pj_double(cv->probe_mbps, 1, ok), ok);
	pj_add(o, "curve", curve_json(cv, ok), ok);
	return o;
}

/*
 * poolctl bench: {"source", "time_s", "applied", "max_spread", "loaded",
 * "results": [...]}; with --loaded each result has a "curve".
 */
struct json_object *poolctl_json_bench(const struct bench_matrix *mx,
				       bool *ok)
{
	struct json_object *root = pj_object(ok);
	struct json_object *results = pj_array(ok);
	int i;

	if (!root || !results) {
		json_object_put(root);
		json_object_put(results);
		return NULL;
	}
	for (i = 0; *ok && i < mx->nr_cells; i++)
		pj_append(results, mx->loaded ?
			  loaded_cell_json(&mx->cells[i], ok) :
			  cell_json(&mx->cells[i], mx->max_spread, ok), ok);
	pj_add(root, "source", pj_str(mx->no_module ? "numa" : "pool", ok),
	       ok);
	pj_add(root, "time_s", pj_double(mx->time, 3, ok), ok);
	pj_add(root, "applied", pj_bool(mx->applied, ok), ok);
	pj_add(root, "max_spread", pj_double(mx->max_spread, 3, ok), ok);
	pj_add(root, "loaded", pj_bool(mx->loaded, ok), ok);
	pj_add(root, "results", results, ok);
	return root;
}

/* ---- --human: the keys of an array of objects as a table */

void poolctl_cell_size(struct json_object *v, char *cell)
{
	pool_format_size(json_object_get_uint64(v), cell, POOLCTL_CELL_MAX);
}

void poolctl_cell_limit(struct json_object *v, char *cell)
{
	if (json_object_get_uint64(v))
		poolctl_cell_size(v, cell);
	else
		strcpy(cell, "none");
}

static void fill_cell(struct json_object *row, const struct poolctl_column *c,
		      char *cell)
{
	struct json_object *v = row;

	if (c->key && !json_object_object_get_ex(row, c->key, &v))
		v = NULL;
	if (c->fmt)
		c->fmt(v, cell);
	else
		snprintf(cell, POOLCTL_CELL_MAX, "%s",
			 v ? json_object_get_string(v) : "-");
}

int poolctl_print_rows(FILE *f, struct json_object *rows,
		       const struct poolctl_column *cols, int nr_cols)
{
	size_t r, n = json_object_array_length(rows);
	const char *titles[POOLCTL_COLS_MAX];
	bool right[POOLCTL_COLS_MAX];
	char (*cells)[POOLCTL_CELL_MAX];
	int c;

	if (nr_cols > POOLCTL_COLS_MAX)
		return -EINVAL;
	cells = calloc(n * (size_t)nr_cols + 1, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	for (c = 0; c < nr_cols; c++) {
		titles[c] = cols[c].title;
		right[c] = cols[c].right;
	}
	for (r = 0; r < n; r++)
		for (c = 0; c < nr_cols; c++)
			fill_cell(json_object_array_get_idx(rows, r), &cols[c],
				  cells[r * (size_t)nr_cols + (size_t)c]);
	poolctl_print_table(f, nr_cols, titles, right, cells, (int)n);
	free(cells);
	return 0;
}
