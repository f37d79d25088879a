// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl list: the members of the pool, as JSON (json.c) or, with
 * --human, the same keys as a table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libpool.h>
#include <linux/scalepool.h>

#include "poolctl.h"

#define CMD "list"

const struct poolctl_usage usage_list = {
	.cmd = CMD,
	.text =
"usage: poolctl list [<options>]\n"
"\n"
"List the members of the pool: JSON on stdout, {\"members\": [...]}.\n"
"Each shows the firmware's access figures and those measured (poolctl\n"
"bench --apply), per initiator node.\n"
"Peer members (PCI device memory) add \"pci\", \"bar\" and\n"
"\"peer_distance\" ({\"<id>\": hops, -1 for no peer-to-peer path}).\n"
"A \"notes\" array says why a kind of member cannot exist here.\n",
	.options = poolctl_view_options,
};

#define CELL_MAX POOLCTL_CELL_MAX

static long long key_int(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return -1;
	return json_object_get_int64(v);
}

static unsigned long long key_u64(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return 0;
	return json_object_get_uint64(v);
}

static const char *key_str(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

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

static void fmt_fw_latency(struct json_object *fw, char *cell)
{
	fmt_pair(cell, key_int(fw, "read_latency_ns"),
		 key_int(fw, "write_latency_ns"), "ns");
}

static void fmt_fw_bandwidth(struct json_object *fw, char *cell)
{
	fmt_pair(cell, key_int(fw, "read_bandwidth_mbps"),
		 key_int(fw, "write_bandwidth_mbps"), "MB/s");
}

/*
 * "0:95ns/18000MB/s,1:160ns/9000MB/s": initiator node, latency and
 * bandwidth measured from it; "-" when none.  Ends in ",..." when the
 * cell cannot hold them all.
 */
static void fmt_measured(struct json_object *arr, char *buf)
{
	size_t i, len = 0, n = arr ? json_object_array_length(arr) : 0;
	struct json_object *fig;
	char one[CELL_MAX];
	int w;

	strcpy(buf, "-");
	for (i = 0; i < n; i++) {
		fig = json_object_array_get_idx(arr, i);
		w = snprintf(one, sizeof(one), "%s%lld:%lluns/%lluMB/s",
			     len ? "," : "", key_int(fig, "initiator"),
			     key_u64(fig, "latency_ns"),
			     key_u64(fig, "bandwidth_mbps"));
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
static void fmt_chain(struct json_object *cxl, char *buf)
{
	const char *region = key_str(cxl, "region"), *dax = key_str(cxl, "dax");
	struct json_object *memdevs = NULL;
	size_t i, n, len = 0;

	if (!cxl) {
		strcpy(buf, "-");
		return;
	}
	if (!region && !dax) {
		strcpy(buf, "?");
		return;
	}
	json_object_object_get_ex(cxl, "memdevs", &memdevs);
	n = memdevs ? json_object_array_length(memdevs) : 0;
	strcpy(buf, n ? "" : "?");
	for (i = 0; i < n && len < CELL_MAX; i++)
		len += snprintf(buf + len, CELL_MAX - len, "%s%s",
				i ? "," : "", json_object_get_string(
					json_object_array_get_idx(memdevs, i)));
	len = strlen(buf);
	snprintf(buf + len, CELL_MAX - len, ">%s>%s", region ? region : "?",
		 dax ? dax : "?");
}

/* "0000:01:00.0/2"; "-" for node members. */
static void fmt_pci(struct json_object *jm, char *cell)
{
	const char *pci = key_str(jm, "pci");

	if (pci)
		snprintf(cell, CELL_MAX, "%s/%lld", pci, key_int(jm, "bar"));
	else
		strcpy(cell, "-");
}

/* "4:4,5:-1" (id:distance); "-" when none. */
static void fmt_peers(struct json_object *dist, char *cell)
{
	size_t len = 0;

	strcpy(cell, "-");
	if (!dist)
		return;
	json_object_object_foreach(dist, id, d) {
		if (len >= CELL_MAX)
			break;
		len += snprintf(cell + len, CELL_MAX - len, "%s%s:%d",
				len ? "," : "", id, json_object_get_int(d));
	}
}

static const struct poolctl_column list_columns[] = {
	{ "ID", "id", true, NULL },
	{ "KIND", "kind", false, NULL },
	{ "NAME", "name", false, NULL },
	{ "NODE", "node", true, NULL },
	{ "MEMORY", "memory", false, NULL },
	{ "CAPACITY", "capacity", true, poolctl_cell_size },
	{ "USED", "used", true, poolctl_cell_size },
	{ "FW-LATENCY", "firmware", true, fmt_fw_latency },
	{ "FW-BANDWIDTH", "firmware", true, fmt_fw_bandwidth },
	{ "MEASURED", "measured", false, fmt_measured },
	{ "CXL-CHAIN", "cxl", false, fmt_chain },
	{ "PCI/BAR", NULL, false, fmt_pci },
	{ "PEER-DISTANCE", "peer_distance", false, fmt_peers },
};

static int print_list(struct pool_ctx *ctx, bool human, FILE *f)
{
	struct json_object *root, *members;
	bool ok = true;
	int rc;

	root = poolctl_json_list(ctx, &ok);
	if (!human || !ok)
		return poolctl_print_json(CMD, root, ok, f);
	json_object_object_get_ex(root, "members", &members);
	rc = poolctl_print_rows(f, members, list_columns,
				ARRAY_SIZE(list_columns));
	json_object_put(root);
	if (rc)
		return poolctl_err(CMD, -rc, "cannot build the output");
	/* The notes of the JSON, for people on stderr. */
	if (!(pool_get_caps(ctx) & SCALEPOOL_CAP_P2PMEM_MEMBERS))
		fprintf(stderr, "poolctl list: %s\n", POOLCTL_P2PMEM_ABSENT);
	return 0;
}

int poolctl_list_json(struct pool_ctx *ctx, FILE *f)
{
	return print_list(ctx, false, f);
}

int poolctl_list_human(struct pool_ctx *ctx, FILE *f)
{
	return print_list(ctx, true, f);
}

int cmd_list(int argc, char **argv, struct pool_ctx **ctx)
{
	struct poolctl_view_args a = { 0 };
	int rc;

	rc = poolctl_parse_options(&usage_list, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return poolctl_usage_err(&usage_list, "unexpected argument "
					 "'%s'", argv[optind]);
	if (poolctl_open(CMD, ctx))
		return 1;
	return print_list(*ctx, a.human, stdout);
}
