// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl list: the members of the pool, as JSON or as a table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cxl/libcxl.h>
#include <daxctl/libdaxctl.h>
#include <json-c/json.h>
#include <libpool.h>
#include <linux/scalepool.h>

#include "poolctl.h"

#define P2PMEM_ABSENT "no p2pmem members: the kernel lacks " \
		      "CONFIG_PCI_P2PDMA (or the module does not support it)"

const char usage_list[] =
"usage: poolctl list [<options>]\n"
"\n"
"List the members of the pool: JSON on stdout, {\"members\": [...]}.\n"
"Each shows the firmware's access figures and those measured (poolctl\n"
"bench --apply), per initiator node.\n"
"Peer members (PCI device memory) add \"pci\", \"bar\" and\n"
"\"peer_distance\" ({\"<id>\": hops, -1 for no peer-to-peer path}).\n"
"A \"notes\" array says why a kind of member cannot exist here.\n"
"\n"
"    -u, --human    an aligned table with sizes in KiB/MiB/GiB\n"
"    -h, --help     show this help\n";

/*
 * json-c takes a NULL value as JSON null; only a failed allocation of a
 * non-NULL value is an error, which the callers detect through @ok
 * (pj_* in util.c).
 */
static struct json_object *new_figure(long long v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

static struct json_object *firmware_json(struct pool_member *m, bool *ok)
{
	struct json_object *fw = json_object_new_object();
	struct json_object *v;
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

	if (!fw) {
		*ok = false;
		return NULL;
	}
	for (i = 0; i < ARRAY_SIZE(figs); i++) {
		long long f = figs[i].get(m);

		v = new_figure(f);
		if (f >= 0 && !v)
			*ok = false;
		pj_add(fw, figs[i].key, v, ok);
	}
	return fw;
}

/* [{"initiator", "latency_ns", "bandwidth_mbps"}, ...], by initiator. */
static struct json_object *measured_json(struct pool_member *m, bool *ok)
{
	struct json_object *arr = json_object_new_array(), *fig;
	unsigned long long lat, bw;
	int n;

	if (!arr) {
		*ok = false;
		return NULL;
	}
	for (n = pool_member_get_next_measured(m, -1); n >= 0;
	     n = pool_member_get_next_measured(m, n)) {
		if (pool_member_get_measured(m, n, &lat, &bw))
			continue;
		fig = json_object_new_object();
		if (!fig) {
			*ok = false;
			break;
		}
		pj_add(fig, "initiator", pj_int(n, ok), ok);
		pj_add(fig, "latency_ns", pj_u64(lat, ok), ok);
		pj_add(fig, "bandwidth_mbps", pj_u64(bw, ok), ok);
		pj_append(arr, fig, ok);
	}
	return arr;
}

static struct json_object *cxl_json(struct pool_member *m, bool *ok)
{
	struct cxl_region *region = pool_member_get_cxl_region(m);
	struct daxctl_dev *dax = pool_member_get_dax_device(m);
	int i, n = pool_member_get_nr_cxl_memdevs(m);
	struct json_object *cxl, *memdevs;
	const char *rname, *dname;

	cxl = json_object_new_object();
	memdevs = json_object_new_array();
	if (!cxl || !memdevs) {
		json_object_put(cxl);
		json_object_put(memdevs);
		*ok = false;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct cxl_memdev *md = pool_member_get_cxl_memdev(m, i);
		struct json_object *name;

		name = pj_str(cxl_memdev_get_devname(md), ok);
		if (name && json_object_array_add(memdevs, name)) {
			json_object_put(name);
			*ok = false;
		}
	}
	pj_add(cxl, "memdevs", memdevs, ok);
	rname = region ? cxl_region_get_devname(region) : NULL;
	dname = dax ? daxctl_dev_get_devname(dax) : NULL;
	pj_add(cxl, "region", pj_str(rname, ok), ok);
	pj_add(cxl, "dax", pj_str(dname, ok), ok);
	return cxl;
}

/* {"<id>": distance} to every other peer member. */
static struct json_object *peer_json(struct pool_member *m, bool *ok)
{
	struct json_object *jd = json_object_new_object();
	struct pool_member *p;
	char key[16];
	int d;

	if (!jd) {
		*ok = false;
		return NULL;
	}
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

static struct json_object *member_json(struct pool_member *m, bool *ok)
{
	struct json_object *jm = json_object_new_object();

	if (!jm) {
		*ok = false;
		return NULL;
	}
	pj_add(jm, "id", pj_u64(pool_member_get_id(m), ok), ok);
	pj_add(jm, "kind", pj_str(pool_member_get_kind(m), ok), ok);
	pj_add(jm, "name", pj_str(pool_member_get_name(m), ok), ok);
	pj_add(jm, "node", pj_int(pool_member_get_node(m), ok), ok);
	pj_add(jm, "memory", pj_str(pool_member_get_memory(m), ok),
	    ok);
	pj_add(jm, "capacity", pj_u64(pool_member_get_capacity(m), ok), ok);
	pj_add(jm, "used", pj_u64(pool_member_get_used(m), ok), ok);
	pj_add(jm, "limit", pj_u64(pool_member_get_limit(m), ok), ok);
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

int poolctl_list_json(struct pool_ctx *ctx, FILE *f)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;
	struct json_object *root, *members, *jm;
	struct pool_member *m;
	bool ok = true;

	root = json_object_new_object();
	members = json_object_new_array();
	if (!root || !members) {
		json_object_put(root);
		json_object_put(members);
		poolctl_error("out of memory");
		return 1;
	}
	pool_member_foreach(ctx, m) {
		jm = member_json(m, &ok);
		if (jm && json_object_array_add(members, jm)) {
			json_object_put(jm);
			ok = false;
		}
	}
	pj_add(root, "members", members, &ok);
	if (!(pool_get_caps(ctx) & SCALEPOOL_CAP_P2PMEM_MEMBERS)) {
		struct json_object *notes = json_object_new_array();

		if (!notes)
			ok = false;
		pj_append(notes, pj_str(P2PMEM_ABSENT, &ok), &ok);
		pj_add(root, "notes", notes, &ok);
	}
	if (ok)
		fprintf(f, "%s\n", json_object_to_json_string_ext(root, flags));
	else
		poolctl_error("out of memory");
	json_object_put(root);
	return ok ? 0 : 1;
}

enum {
	COL_ID, COL_KIND, COL_NAME, COL_NODE, COL_MEMORY, COL_CAPACITY,
	COL_USED, COL_LATENCY, COL_BANDWIDTH, COL_MEASURED, COL_CHAIN, COL_PCI,
	COL_PEERS,
	NR_COLS,
};

static const char *const col_titles[NR_COLS] = {
	"ID", "KIND", "NAME", "NODE", "MEMORY", "CAPACITY", "USED",
	"FW-LATENCY", "FW-BANDWIDTH", "MEASURED", "CXL-CHAIN", "PCI/BAR",
	"PEER-DISTANCE",
};

static const bool col_right[NR_COLS] = {
	[COL_ID] = true, [COL_NODE] = true, [COL_CAPACITY] = true,
	[COL_USED] = true, [COL_LATENCY] = true, [COL_BANDWIDTH] = true,
};

#define CELL_MAX POOLCTL_CELL_MAX

/* "r/w unit", one side "?" when unknown, "-" when both are. */
static void fmt_pair(char *buf, long long r, long long w, const char *unit)
{
	char rs[24] = "?", ws[24] = "?";

	if (r < 0 && w < 0) {
		strcpy(buf, "-");
		return;
	}
	if (r >= 0)
		snprintf(rs, sizeof(rs), "%lld", r);
	if (w >= 0)
		snprintf(ws, sizeof(ws), "%lld", w);
	snprintf(buf, CELL_MAX, "%s/%s %s", rs, ws, unit);
}

/*
 * "0:95ns/18000MB/s,1:160ns/9000MB/s": initiator node, latency and
 * bandwidth measured from it; "-" when none.  Ends in ",..." when the
 * cell cannot hold them all.
 */
static void fmt_measured(char *buf, struct pool_member *m)
{
	unsigned long long lat, bw;
	char one[CELL_MAX];
	size_t len = 0;
	int n, w;

	strcpy(buf, "-");
	for (n = pool_member_get_next_measured(m, -1); n >= 0;
	     n = pool_member_get_next_measured(m, n)) {
		if (pool_member_get_measured(m, n, &lat, &bw))
			continue;
		w = snprintf(one, sizeof(one), "%s%d:%lluns/%lluMB/s",
			     len ? "," : "", n, lat, bw);
		if (len + (size_t)w + sizeof(",...") > CELL_MAX) {
			strcpy(buf + len, ",...");
			return;
		}
		strcpy(buf + len, one);
		len += (size_t)w;
	}
}

/*
 * "mem0,mem1>region0>dax0.0": devices, region, dax device, "?" for a
 * part not found, "?" alone when nothing was; "-" when not CXL.
 */
static void fmt_chain(char *buf, struct pool_member *m)
{
	struct cxl_region *region = pool_member_get_cxl_region(m);
	struct daxctl_dev *dax = pool_member_get_dax_device(m);
	int i, n = pool_member_get_nr_cxl_memdevs(m);
	size_t len = 0;

	if (strcmp(pool_member_get_memory(m), "cxl") != 0) {
		strcpy(buf, "-");
		return;
	}
	if (!region && !dax) {
		strcpy(buf, "?");
		return;
	}
	strcpy(buf, n ? "" : "?");
	for (i = 0; i < n && len < CELL_MAX; i++)
		len += snprintf(buf + len, CELL_MAX - len, "%s%s",
				i ? "," : "",
				cxl_memdev_get_devname(
					pool_member_get_cxl_memdev(m, i)));
	len = strlen(buf);
	snprintf(buf + len, CELL_MAX - len, ">%s>%s",
		 region ? cxl_region_get_devname(region) : "?",
		 dax ? daxctl_dev_get_devname(dax) : "?");
}

/* "0000:01:00.0/2" and "4:4,5:-1" (id:distance); "-" for node members. */
static void fmt_peer(char *pci, char *peers, struct pool_member *m)
{
	struct pool_member *p;
	size_t len = 0;
	int d;

	strcpy(pci, "-");
	strcpy(peers, "-");
	if (!pool_member_get_pci(m))
		return;
	snprintf(pci, CELL_MAX, "%s/%d", pool_member_get_pci(m),
		 pool_member_get_bar(m));
	pool_member_foreach(pool_member_get_ctx(m), p) {
		d = pool_member_get_peer_distance(m, p);
		if (p == m || d == -ENOENT || len >= CELL_MAX)
			continue;
		len += snprintf(peers + len, CELL_MAX - len, "%s%u:%d",
				len ? "," : "", pool_member_get_id(p), d);
	}
}

static void fill_row(char (*row)[CELL_MAX], struct pool_member *m)
{
	snprintf(row[COL_ID], CELL_MAX, "%u", pool_member_get_id(m));
	snprintf(row[COL_KIND], CELL_MAX, "%s", pool_member_get_kind(m));
	snprintf(row[COL_NAME], CELL_MAX, "%s", pool_member_get_name(m));
	snprintf(row[COL_NODE], CELL_MAX, "%d", pool_member_get_node(m));
	snprintf(row[COL_MEMORY], CELL_MAX, "%s", pool_member_get_memory(m));
	pool_format_size(pool_member_get_capacity(m), row[COL_CAPACITY],
			 CELL_MAX);
	pool_format_size(pool_member_get_used(m), row[COL_USED], CELL_MAX);
	fmt_pair(row[COL_LATENCY], pool_member_get_fw_read_latency(m),
		 pool_member_get_fw_write_latency(m), "ns");
	fmt_pair(row[COL_BANDWIDTH], pool_member_get_fw_read_bandwidth(m),
		 pool_member_get_fw_write_bandwidth(m), "MB/s");
	fmt_measured(row[COL_MEASURED], m);
	fmt_chain(row[COL_CHAIN], m);
	fmt_peer(row[COL_PCI], row[COL_PEERS], m);
}

int poolctl_list_human(struct pool_ctx *ctx, FILE *f)
{
	int rows = 0, n = pool_get_nr_members(ctx);
	char (*cells)[CELL_MAX];
	struct pool_member *m;

	cells = calloc((size_t)n * NR_COLS + 1, sizeof(*cells));
	if (!cells) {
		poolctl_error("out of memory");
		return 1;
	}
	pool_member_foreach(ctx, m)
		if (rows < n)
			fill_row(&cells[rows++ * NR_COLS], m);
	poolctl_print_table(f, NR_COLS, col_titles, col_right, cells, rows);
	free(cells);
	if (!(pool_get_caps(ctx) & SCALEPOOL_CAP_P2PMEM_MEMBERS))
		fprintf(stderr, "poolctl list: %s\n", P2PMEM_ABSENT);
	return 0;
}

int cmd_list(int argc, char **argv, struct pool_ctx **ctx)
{
	bool human;
	int rc;

	rc = poolctl_parse_view_opts(argc, argv, "list", usage_list, &human);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_usage_error("list", "unexpected argument '%s'",
					   argv[optind]);

	if (poolctl_open(ctx))
		return 1;
	if (human)
		return poolctl_list_human(*ctx, stdout);
	return poolctl_list_json(*ctx, stdout);
}
