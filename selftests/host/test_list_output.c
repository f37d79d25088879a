// SPDX-License-Identifier: GPL-2.0
/*
 * The output of 'poolctl list' for a fake pool (no module needed): the
 * JSON keys, types and nulls, measured figures next to the firmware's,
 * and the --human table's columns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"
#include "json-helpers.h"
#include "../../tools/poolctl/poolctl.h"

FIXTURE(pool) {
	struct fake_sysfs fs;
	char *text;
	size_t len;
};

FIXTURE_SETUP(pool)
{
	const char *sys = self->fs.sys;

	self->text = NULL;
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
	put(sys, "members/1/limit", "536870912");
	/* Member 0 measured from nodes 0 and 1, member 2 from node 1. */
	put(sys, "members/0/measured", "0 95 18000\n1 160 9000");
	put(sys, "members/2/measured", "1 2500 6");
	ASSERT_EQ(0, fake_sysfs_load(&self->fs));
}

FIXTURE_TEARDOWN(pool)
{
	free(self->text);
	fake_sysfs_destroy(&self->fs);
}

static const char *output(struct __test_metadata *_metadata,
			  FIXTURE_DATA(pool) *self, bool human)
{
	FILE *f = open_memstream(&self->text, &self->len);

	ASSERT_NE(NULL, f);
	if (human) {
		ASSERT_EQ(0, poolctl_list_human(self->fs.ctx, f));
	} else {
		ASSERT_EQ(0, poolctl_list_json(self->fs.ctx, f));
	}
	ASSERT_EQ(0, fclose(f));
	return self->text;
}

TEST_F(pool, json_shape)
{
	static const struct {
		const char *key;
		json_type type;
	} keys[] = {
		{ "id", json_type_int }, { "kind", json_type_string },
		{ "name", json_type_string }, { "node", json_type_int },
		{ "memory", json_type_string }, { "capacity", json_type_int },
		{ "used", json_type_int }, { "limit", json_type_int },
		{ "firmware", json_type_object },
		{ "measured", json_type_array },
	};
	struct json_object *root, *members, *m;
	size_t i, k;

	root = json_tokener_parse(output(_metadata, self, false));
	ASSERT_NE(NULL, root);
	ASSERT_TRUE(json_object_is_type(root, json_type_object));
	/* The fake module has no P2PDMA: a note says why. */
	EXPECT_EQ(2, json_object_object_length(root));
	ASSERT_TRUE(has(root, "members", json_type_array));
	ASSERT_TRUE(has(root, "notes", json_type_array));
	members = get(root, "members");
	ASSERT_EQ(3, json_object_array_length(members));
	for (i = 0; i < 3; i++) {
		m = json_object_array_get_idx(members, i);
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			EXPECT_TRUE(has(m, keys[k].key, keys[k].type)) {
				TH_LOG("member %zu: key %zu missing or of the "
				       "wrong type", i, k);
			}
		EXPECT_EQ((long long)i, num(m, "id"));
		/* The cxl object only for CXL members. */
		EXPECT_EQ(i == 2, has(m, "cxl", json_type_object));
	}
	json_object_put(root);
}

TEST_F(pool, json_values)
{
	struct json_object *root, *members, *m, *fw, *cxl;

	root = json_tokener_parse(output(_metadata, self, false));
	ASSERT_NE(NULL, root);
	members = get(root, "members");
	ASSERT_NE(NULL, members);

	m = json_object_array_get_idx(members, 0);
	EXPECT_STREQ("node0", str(m, "name"));
	EXPECT_STREQ("dram", str(m, "memory"));
	EXPECT_EQ(1LL << 30, num(m, "capacity"));
	EXPECT_EQ(1LL << 28, num(m, "used"));
	fw = get(m, "firmware");
	EXPECT_EQ(4, json_object_object_length(fw));
	EXPECT_EQ(80, num(fw, "read_latency_ns"));
	EXPECT_EQ(90, num(fw, "write_latency_ns"));
	EXPECT_EQ(20000, num(fw, "read_bandwidth_mbps"));
	EXPECT_TRUE(has(fw, "write_bandwidth_mbps", json_type_null));

	m = json_object_array_get_idx(members, 1);
	EXPECT_EQ(512LL << 20, num(m, "limit"));
	fw = get(m, "firmware");
	EXPECT_TRUE(has(fw, "read_latency_ns", json_type_null));
	EXPECT_TRUE(has(fw, "read_bandwidth_mbps", json_type_null));

	/* Measured: an empty array when none. */
	EXPECT_EQ(0, json_object_array_length(get(m, "measured")));

	/* CXL member without CXL hardware: the chain is empty. */
	m = json_object_array_get_idx(members, 2);
	EXPECT_STREQ("cxl", str(m, "memory"));
	EXPECT_EQ(2, num(m, "node"));
	cxl = get(m, "cxl");
	ASSERT_TRUE(has(cxl, "memdevs", json_type_array));
	EXPECT_EQ(0, json_object_array_length(get(cxl, "memdevs")));
	EXPECT_TRUE(has(cxl, "region", json_type_null));
	EXPECT_TRUE(has(cxl, "dax", json_type_null));
	json_object_put(root);
}

TEST_F(pool, json_measured)
{
	static const long long want[][3] = { { 0, 95, 18000 },
					     { 1, 160, 9000 } };
	struct json_object *root, *members, *arr, *fig;
	size_t i;

	root = json_tokener_parse(output(_metadata, self, false));
	ASSERT_NE(NULL, root);
	members = get(root, "members");
	ASSERT_NE(NULL, members);

	arr = get(json_object_array_get_idx(members, 0), "measured");
	ASSERT_TRUE(json_object_is_type(arr, json_type_array));
	ASSERT_EQ(2, json_object_array_length(arr));
	for (i = 0; i < 2; i++) {
		fig = json_object_array_get_idx(arr, i);
		EXPECT_EQ(3, json_object_object_length(fig));
		EXPECT_EQ(want[i][0], num(fig, "initiator"));
		EXPECT_EQ(want[i][1], num(fig, "latency_ns"));
		EXPECT_EQ(want[i][2], num(fig, "bandwidth_mbps"));
	}
	arr = get(json_object_array_get_idx(members, 2), "measured");
	ASSERT_EQ(1, json_object_array_length(arr));
	fig = json_object_array_get_idx(arr, 0);
	EXPECT_EQ(1, num(fig, "initiator"));
	EXPECT_EQ(2500, num(fig, "latency_ns"));
	EXPECT_EQ(6, num(fig, "bandwidth_mbps"));
	/* The firmware's figures stay as they were, beside them. */
	EXPECT_EQ(250, num(get(json_object_array_get_idx(members, 2),
			       "firmware"), "read_latency_ns"));
	json_object_put(root);
}

/* Does @cell in @line start (or end) where @title does in @head? */
static bool aligned(const char *head, const char *title, const char *line,
		    const char *cell, bool right)
{
	const char *h = strstr(head, title), *c = strstr(line, cell);

	if (!h || !c)
		return false;
	if (right)
		return h + strlen(title) - head == c + strlen(cell) - line;
	return h - head == c - line;
}

TEST_F(pool, human_table)
{
	static const char *const titles[] = {
		"ID", "KIND", "NAME", "NODE", "MEMORY", "CAPACITY", "USED",
		"FW-LATENCY", "FW-BANDWIDTH", "MEASURED", "CXL-CHAIN", "PCI/BAR",
		"PEER-DISTANCE",
	};
	char *lines[5] = { 0 }, *save = NULL, *text, *p;
	int i, n = 0;

	text = strdup(output(_metadata, self, true));
	ASSERT_NE(NULL, text);
	for (p = strtok_r(text, "\n", &save); p && n < 5;
	     p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	ASSERT_EQ(4, n);
	/* The header: every title, in order, at the start of its column. */
	for (p = lines[0], i = 0; i < (int)ARRAY_SIZE(titles); i++) {
		p = strstr(p, titles[i]);
		ASSERT_NE(NULL, p) {
			TH_LOG("no %s in order in '%s'", titles[i], lines[0]);
		}
	}
	EXPECT_EQ(0, strncmp(lines[0], "ID  KIND  NAME", 14));
	/* Left-aligned text under its title, numbers ending under it. */
	EXPECT_TRUE(aligned(lines[0], "NAME", lines[1], "node0", false));
	EXPECT_TRUE(aligned(lines[0], "MEMORY", lines[3], "cxl", false));
	EXPECT_TRUE(aligned(lines[0], "CAPACITY", lines[1], "1.0 GiB",
			    true));
	EXPECT_TRUE(aligned(lines[0], "USED", lines[3], "64.0 MiB", true));
	EXPECT_TRUE(aligned(lines[0], "LATENCY", lines[1], "80/90 ns", true));
	EXPECT_TRUE(aligned(lines[0], "BANDWIDTH", lines[1], "20000/? MB/s",
			    true));
	EXPECT_TRUE(aligned(lines[0], "LATENCY", lines[3], "250/? ns", true));
	/* Measured figures, left-aligned: "-" when none. */
	EXPECT_TRUE(aligned(lines[0], "MEASURED", lines[1],
			    "0:95ns/18000MB/s,1:160ns/9000MB/s", false));
	p = strstr(lines[0], "MEASURED");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, strncmp(lines[2] + (p - lines[0]), "- ", 2));
	EXPECT_TRUE(aligned(lines[0], "MEASURED", lines[3], "1:2500ns/6MB/s",
			    false));
	/* Not CXL: "-"; CXL with nothing resolved: "?". */
	EXPECT_EQ('-', lines[1][strstr(lines[0], "CXL-CHAIN") - lines[0]]);
	EXPECT_EQ('?', lines[3][strstr(lines[0], "CXL-CHAIN") - lines[0]]);
	/* No peer member: "-" under PCI/BAR and PEER-DISTANCE. */
	EXPECT_EQ('-', lines[1][strstr(lines[0], "PCI/BAR") - lines[0]]);
	EXPECT_STREQ("-", strrchr(lines[1], ' ') + 1);
	EXPECT_NE(NULL, strstr(lines[1], " 256.0 MiB "));	/* used */
	free(text);
}

/* Figures from many initiators: the cell ends in ",..." within bounds. */
TEST_F(pool, human_measured_cell_is_bounded)
{
	char val[1024];
	size_t len = 0;
	int n;

	for (n = 0; n < 16; n++)
		len += snprintf(val + len, sizeof(val) - len,
				"%d 18446744073709551615 18446744073709551615\n",
				n);
	put(self->fs.sys, "members/1/measured", val);
	ASSERT_EQ(0, pool_refresh(self->fs.ctx));
	output(_metadata, self, true);
	EXPECT_NE(NULL, strstr(self->text, ",...")) {
		TH_LOG("%s", self->text);
	}
	EXPECT_NE(NULL, strstr(self->text,
		" 0:18446744073709551615ns/18446744073709551615MB/s,1:"));
}

TEST_HARNESS_MAIN
