// SPDX-License-Identifier: GPL-2.0
/*
 * The output of 'poolctl stat' for a fake pool and a fake /proc (no
 * module needed): JSON keys, types, nulls and values, poolctl itself
 * left out, and the --human tables.
 */
#include <errno.h>
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
	put(sys, "members/0/free", "805306368");
	put(sys, "members/2/free", "268435456");
	put(sys, "members/2/limit", "2097152");
	put(sys, "members/0/refused", "");
	put(sys, "members/2/refused",
	    "offline of pfn 0x10000-0x17fff refused: no room (-ENOSPC)");
	/* Tiering's counters: member 1's module has none. */
	put(sys, "members/0/tier_sampled", "8388608");
	put(sys, "members/0/tier_promoted", "3145728");
	put(sys, "members/0/tier_demoted", "0");
	put(sys, "members/2/tier_sampled", "16777216");
	put(sys, "members/2/tier_promoted", "0");
	put(sys, "members/2/tier_demoted", "1048576");
	ASSERT_EQ(0, fake_sysfs_load(&self->fs));
}

FIXTURE_TEARDOWN(pool)
{
	free(self->text);
	fake_sysfs_destroy(&self->fs);
}

static const char *output(struct __test_metadata *_metadata,
			  FIXTURE_DATA(pool) *self, bool human, int self_pid,
			  bool allocations)
{
	FILE *f;

	free(self->text);
	self->text = NULL;
	f = open_memstream(&self->text, &self->len);
	ASSERT_NE(NULL, f);
	if (human) {
		ASSERT_EQ(0, poolctl_stat_human(self->fs.ctx, self_pid,
						allocations, f));
	} else {
		ASSERT_EQ(0, poolctl_stat_json(self->fs.ctx, self_pid, f));
	}
	ASSERT_EQ(0, fclose(f));
	return self->text;
}

TEST_F(pool, json)
{
	static const char *const mkeys[] = {
		"id", "name", "node", "memory", "capacity", "used", "free",
		"limit", "refused", "tier_sampled", "tier_promoted",
		"tier_demoted",
	};
	struct json_object *root, *members, *procs, *m, *p;
	size_t i, k;

	root = json_tokener_parse(output(_metadata, self, false, 1, false));
	ASSERT_NE(NULL, root);
	EXPECT_EQ(3, json_object_object_length(root));
	ASSERT_TRUE(has(root, "members", json_type_array));
	ASSERT_TRUE(has(root, "processes", json_type_array));
	ASSERT_TRUE(has(root, "allocations", json_type_array));
	members = get(root, "members");
	ASSERT_EQ(3, json_object_array_length(members));
	for (i = 0; i < 3; i++) {
		m = json_object_array_get_idx(members, i);
		EXPECT_EQ(ARRAY_SIZE(mkeys),
			  (size_t)json_object_object_length(m));
		for (k = 0; k < ARRAY_SIZE(mkeys); k++)
			EXPECT_TRUE(json_object_object_get_ex(m, mkeys[k],
							      NULL)) {
				TH_LOG("member %zu lacks key %zu", i, k);
			}
		EXPECT_EQ((long long)i, num(m, "id"));
	}
	m = json_object_array_get_idx(members, 0);
	EXPECT_EQ(805306368, num(m, "free"));
	EXPECT_EQ(1LL << 28, num(m, "used"));
	EXPECT_EQ(0, num(m, "limit"));
	EXPECT_STREQ("node0", json_object_get_string(get(m, "name")));
	/* Member 1's module published no free bytes. */
	EXPECT_TRUE(has(json_object_array_get_idx(members, 1), "free",
			json_type_null));
	/* Nothing refused (empty), or no file (an older module): null. */
	EXPECT_TRUE(has(json_object_array_get_idx(members, 0), "refused",
			json_type_null));
	EXPECT_TRUE(has(json_object_array_get_idx(members, 1), "refused",
			json_type_null));
	m = json_object_array_get_idx(members, 2);
	EXPECT_STREQ("offline of pfn 0x10000-0x17fff refused: no room (-ENOSPC)",
		     json_object_get_string(get(m, "refused")));
	EXPECT_EQ(2097152, num(m, "limit"));
	EXPECT_STREQ("cxl", json_object_get_string(get(m, "memory")));
	EXPECT_EQ(16777216, num(m, "tier_sampled"));
	EXPECT_EQ(0, num(m, "tier_promoted"));
	EXPECT_EQ(1048576, num(m, "tier_demoted"));
	m = json_object_array_get_idx(members, 0);
	EXPECT_EQ(8388608, num(m, "tier_sampled"));
	EXPECT_EQ(3145728, num(m, "tier_promoted"));
	EXPECT_EQ(0, num(m, "tier_demoted"));
	/* A module without tiering: null, not 0. */
	EXPECT_TRUE(has(json_object_array_get_idx(members, 1), "tier_sampled",
			json_type_null));
	EXPECT_TRUE(has(json_object_array_get_idx(members, 1), "tier_demoted",
			json_type_null));

	procs = get(root, "processes");
	ASSERT_EQ(2, json_object_array_length(procs));
	p = json_object_array_get_idx(procs, 1);
	EXPECT_EQ(6, json_object_object_length(p));
	EXPECT_EQ(100, num(p, "pid"));
	EXPECT_STREQ("holder", json_object_get_string(get(p, "comm")));
	EXPECT_EQ(3, num(p, "allocations"));
	EXPECT_EQ((6LL << 20) + 4096, num(p, "bytes"));
	EXPECT_EQ(2, num(p, "exported"));
	EXPECT_EQ((2LL << 20) + 4096, num(p, "exported_bytes"));
	/* A process whose fdinfo has no export lines: zeroes, not absent. */
	p = json_object_array_get_idx(procs, 0);
	EXPECT_EQ(0, num(p, "exported"));
	EXPECT_EQ(0, num(p, "exported_bytes"));
	EXPECT_EQ(20, num(json_object_array_get_idx(procs, 0), "pid"));
	json_object_put(root);
}

/* What 'poolctl migrate' takes: pid, fd and handle per allocation. */
TEST_F(pool, json_allocations)
{
	static const char *const keys[] = {
		"pid", "comm", "fd", "handle", "length", "offset", "policy",
	};
	struct json_object *root, *allocs, *a;
	size_t k;

	root = json_tokener_parse(output(_metadata, self, false, 1, false));
	ASSERT_NE(NULL, root);
	allocs = get(root, "allocations");
	ASSERT_EQ(3, json_object_array_length(allocs));
	a = json_object_array_get_idx(allocs, 0);
	EXPECT_EQ(ARRAY_SIZE(keys), (size_t)json_object_object_length(a));
	for (k = 0; k < ARRAY_SIZE(keys); k++)
		EXPECT_TRUE(json_object_object_get_ex(a, keys[k], NULL)) {
			TH_LOG("allocation lacks key %zu", k);
		}
	EXPECT_EQ(100, num(a, "pid"));
	EXPECT_STREQ("holder", json_object_get_string(get(a, "comm")));
	EXPECT_EQ(3, num(a, "fd"));
	EXPECT_EQ(1, num(a, "handle"));
	EXPECT_EQ(2097152, num(a, "length"));
	EXPECT_EQ(0, num(a, "offset"));
	EXPECT_STREQ("tiered", json_object_get_string(get(a, "policy")));
	a = json_object_array_get_idx(allocs, 1);
	EXPECT_EQ(3, num(a, "fd"));
	EXPECT_EQ(3, num(a, "handle"));
	EXPECT_EQ(4194304, num(a, "offset"));
	EXPECT_STREQ("interleave", json_object_get_string(get(a, "policy")));
	a = json_object_array_get_idx(allocs, 2);
	EXPECT_EQ(12, num(a, "fd"));
	EXPECT_EQ(7, num(a, "handle"));
	EXPECT_EQ(4096, num(a, "length"));
	EXPECT_STREQ("bind", json_object_get_string(get(a, "policy")));
	json_object_put(root);

	/* poolctl's own allocations are left out as its process is. */
	root = json_tokener_parse(output(_metadata, self, false, 100, false));
	ASSERT_NE(NULL, root);
	EXPECT_EQ(0, json_object_array_length(get(root, "allocations")));
	json_object_put(root);
}

TEST_F(pool, human_allocations)
{
	const char *text = output(_metadata, self, true, 1, true);
	const char *t;

	/* The third table, after the processes'. */
	t = strstr(text, "EXPORTED-BYTES\n");
	ASSERT_NE(NULL, t);
	t = strstr(t, "\n\nPID  COMM    FD  HANDLE   LENGTH  POLICY\n");
	ASSERT_NE(NULL, t) {
		TH_LOG("no allocation table in '%s'", text);
	}
	EXPECT_NE(NULL, strstr(t, "100  holder   3       1  2.0 MiB  tiered\n"));
	EXPECT_NE(NULL, strstr(t, "100  holder  12       7  4.0 KiB  bind\n"));
	/* Without --allocations, no third table. */
	text = output(_metadata, self, true, 1, false);
	EXPECT_EQ(NULL, strstr(text, "HANDLE"));
}

TEST_F(pool, json_leaves_poolctl_out)
{
	struct json_object *root, *procs;

	root = json_tokener_parse(output(_metadata, self, false, 20, false));
	ASSERT_NE(NULL, root);
	procs = get(root, "processes");
	ASSERT_EQ(1, json_object_array_length(procs));
	EXPECT_EQ(100, num(json_object_array_get_idx(procs, 0), "pid"));
	json_object_put(root);
}

TEST_F(pool, human)
{
	const char *text = output(_metadata, self, true, 1, false);
	char *copy = strdup(text), *save = NULL, *line[10];
	int n = 0;

	ASSERT_NE(NULL, copy);
	for (line[n] = strtok_r(copy, "\n", &save); line[n] && n < 9;
	     line[n] = strtok_r(NULL, "\n", &save))
		n++;
	/* strtok_r skips the blank line between the tables. */
	ASSERT_EQ(7, n);
	EXPECT_EQ(0, strncmp(line[0], "ID  NAME   NODE  MEMORY", 23)) {
		TH_LOG("header '%s'", line[0]);
	}
	EXPECT_NE(NULL, strstr(line[0], "CAPACITY"));
	EXPECT_NE(NULL, strstr(line[0], "FREE"));
	EXPECT_NE(NULL, strstr(line[0], "LIMIT"));
	EXPECT_NE(NULL, strstr(line[1], "768.0 MiB"));	/* free */
	EXPECT_NE(NULL, strstr(line[1], " none"));
	EXPECT_NE(NULL, strstr(line[2], " ? "));	/* free unknown */
	EXPECT_NE(NULL, strstr(line[3], "2.0 MiB"));	/* limit */
	EXPECT_NE(NULL, strstr(line[0], "REFUSED"));
	EXPECT_NE(NULL, strstr(line[0], "SAMPLED  PROMOTED  DEMOTED")) {
		TH_LOG("header '%s'", line[0]);
	}
	EXPECT_NE(NULL, strstr(line[1], "8.0 MiB")) {	/* sampled */
		TH_LOG("member 0 '%s'", line[1]);
	}
	EXPECT_NE(NULL, strstr(line[1], "3.0 MiB"));	/* promoted */
	EXPECT_NE(NULL, strstr(line[3], "16.0 MiB"));	/* sampled */
	EXPECT_NE(NULL, strstr(line[3], "1.0 MiB"));	/* demoted */
	EXPECT_NE(NULL, strstr(line[3], "no room (-ENOSPC)"));
	EXPECT_EQ('-', line[1][strlen(line[1]) - 1]);	/* none refused */
	EXPECT_EQ(0, strncmp(line[4], "PID  COMM", 9));
	EXPECT_NE(NULL, strstr(line[4], "EXPORTED  EXPORTED-BYTES"));
	EXPECT_NE(NULL, strstr(line[6], "holder"));
	EXPECT_NE(NULL, strstr(line[6], "6.0 MiB"));
	/* 2 exported, 2.0 MiB + 4 KiB, right-aligned under their titles. */
	EXPECT_NE(NULL, strstr(line[6], " 2         2.0 MiB")) {
		TH_LOG("process line '%s'", line[6]);
	}
	EXPECT_NE(NULL, strstr(text, "\n\n"));
	free(copy);
}

TEST_HARNESS_MAIN
