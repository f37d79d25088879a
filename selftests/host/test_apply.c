// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl apply against a fake /sys/kernel/scalepool (fake-sysfs.h):
 * every kind of bad line is one error naming file and line, an error
 * anywhere writes nothing, the dry run's output, a real run's writes
 * and the second run that changes nothing, --member (an id, and
 * pci:BDF: the udev rule of PCI devices), --allow-absent,
 * the default directory's order, measured-file and the pool-wide
 * tiering knobs (tier lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "private.h"
#include "fake-sysfs.h"
#include "../../tools/poolctl/apply.h"

FIXTURE(apply) {
	struct fake_sysfs fs;
	char conf[200], pci[200];
	char *out, *err;
	size_t out_len, err_len;
};

FIXTURE_SETUP(apply)
{
	ASSERT_EQ(0, fake_sysfs_create(&self->fs));
	/* A bar member of 0000:00:03.0 BAR 2, a tiering-like knob. */
	put_member(self->fs.sys, 3, "bar", -1, "pci", 64ULL << 20);
	put(self->fs.sys, "members/3/name", "0000:00:03.0-bar2");
	put(self->fs.sys, "members/0/tier", "1");
	put(self->fs.sys, "members/0/measured", "");
	put(self->fs.sys, "members/2/measured", "0 300 5000");
	/* The module's pool-wide knobs at their defaults (kernel/tier.c). */
	put(self->fs.sys, "tier_rate_limit_MBps", "0");
	put(self->fs.sys, "tier_scan_ms", "1000");
	snprintf(self->conf, sizeof(self->conf), "%s/etc", self->fs.top);
	mkdir(self->conf, 0755);
	snprintf(self->pci, sizeof(self->pci), "%s/pci", self->fs.top);
	mkdir(self->pci, 0755);
	put(self->pci, "0000:00:03.0/vendor", "0x1af4");
	put(self->pci, "0000:00:04.0/vendor", "0x1af4");
	poolctl_apply_roots.sysfs = self->fs.sys;
	poolctl_apply_roots.pci_devices = self->pci;
	self->out = self->err = NULL;
}

FIXTURE_TEARDOWN(apply)
{
	free(self->out);
	free(self->err);
	fake_sysfs_destroy(&self->fs);
}

/* @text as the file @name of the configuration directory. */
static void conf_file(FIXTURE_DATA(apply) *self, const char *name,
		      const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", self->conf, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

/*
 * poolctl apply of the configuration directory with @o (member -1 when
 * NULL), against the pool loaded afresh; its output and errors in
 * self->out and self->err.  Returns its result.
 */
static int run_apply(struct __test_metadata *_metadata,
		     FIXTURE_DATA(apply) *self, const struct apply_opts *o)
{
	const struct apply_opts all = { .member = -1 };
	struct apply_conf c = { 0 };
	FILE *out, *err;
	int rc;

	free(self->out);
	free(self->err);
	out = open_memstream(&self->out, &self->out_len);
	err = open_memstream(&self->err, &self->err_len);
	ASSERT_NE(NULL, out);
	ASSERT_NE(NULL, err);
	if (self->fs.ctx)
		lp_ctx_free(self->fs.ctx);
	self->fs.ctx = NULL;
	EXPECT_EQ(0, fake_sysfs_load(&self->fs));
	c.err = err;
	EXPECT_EQ(0, poolctl_apply_read_dir(&c, self->conf));
	/* poolctl_err() writes to stderr: the harness shows it. */
	rc = poolctl_apply_conf(&c, self->fs.ctx, o ? o : &all, out);
	poolctl_apply_conf_free(&c);
	fclose(out);
	fclose(err);
	return rc;
}

static char *attr(FIXTURE_DATA(apply) *self, const char *rel)
{
	static char buf[256];
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", self->fs.sys, rel);
	buf[0] = '\0';
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Each bad line alone: one error, "<file>:<line>: <reason>". */
static const struct {
	const char *text;
	const char *error;
} bad_lines[] = {
	{ "frob node:0 1G\n", "2: unknown key 'frob'" },
	{ "limit node:0 12Q\n", "2: bad size '12Q'" },
	{ "limit node:0 -1\n", "2: bad size '-1'" },
	{ "limit node:0\n", "2: limit takes a member and a size" },
	{ "limit node:0 1G 2G\n", "2: limit takes a member and a size" },
	{ "limit nod:0 1G\n", "2: bad member 'nod:0'" },
	{ "limit node:x 1G\n", "2: bad member 'node:x'" },
	{ "limit pci:0000:00:3.0 1G\n", "2: bad member 'pci:0000:00:3.0'" },
	{ "limit name: 1G\n", "2: bad member 'name:'" },
	{ "limit node:7 1G\n", "2: no member node:7" },
	{ "limit id:9 1G\n", "2: no member id:9" },
	{ "limit name:node9 1G\n", "2: no member name:node9" },
	{ "limit pci:0000:00:04.0 1G\n", "2: no member pci:0000:00:04.0" },
	{ "limit node:0 1G\nlimit name:node0 2G\n",
	  "3: duplicate limit: " },
	{ "measured node:0 0 100 200\nmeasured id:0 0 100 300\n",
	  "3: duplicate measured figures: " },
	{ "bar pci:0000:00:04.0\nbar pci:0000:00:04.0 2\n",
	  "3: duplicate bar member: " },
	{ "attr node:0 tier 2\nattr node:0 tier 3\n", "3: duplicate attr" },
	{ "bar pci:0000:00:04 2\n", "2: bad device 'pci:0000:00:04'" },
	{ "bar pci:0000:00:04.0 6\n", "2: bad BAR index '6'" },
	{ "bar pci:0000:00:05.0\n", "2: no PCI device 0000:00:05.0" },
	{ "measured node:0 x 100 200\n", "2: bad initiator node 'x'" },
	{ "measured node:0 0 0 200\n", "2: bad latency '0'" },
	{ "measured node:0 0 100 2k\n", "2: bad bandwidth '2k'" },
	{ "measured node:0 0 100\n", "2: measured takes a member" },
	{ "attr node:0 limit 1\n", "2: attr cannot set 'limit'" },
	{ "attr node:0 Tier 1\n", "2: bad attribute name 'Tier'" },
	{ "attr node:0 ../limit 1\n", "2: bad attribute name '../limit'" },
	{ "attr node:0 nothere 1\n", "2: member node0 has no attribute" },
	{ "attr node:0 capacity 1\n", "2: attr cannot set 'capacity'" },
	{ "measured-file nothere.conf\n", "2: cannot read measured-file" },
	{ "limit node:0 1G \x01\n", "2: not text: byte 0x01 at column 17" },
	{ "garbage\n", "2: unknown key 'garbage'" },
	{ "a b c d e f g h i\n", "2: too many words" },
	{ "tier scan-ms 9\n", "2: bad scan-ms '9' (10 to 60000)" },
	{ "tier scan-ms 60001\n", "2: bad scan-ms '60001' (10 to 60000)" },
	{ "tier rate-limit-MBps 1048577\n",
	  "2: bad rate-limit-MBps '1048577' (0 to 1048576)" },
	{ "tier rate-limit-MBps 4294967296\n",
	  "2: bad rate-limit-MBps '4294967296'" },
	{ "tier rate-limit-MBps -1\n", "2: bad rate-limit-MBps '-1'" },
	{ "tier rate-limit-MBps 64M\n", "2: bad rate-limit-MBps '64M'" },
	{ "tier rate-limit-MBps\n", "2: tier takes a knob and a number" },
	{ "tier scan-ms 250 500\n", "2: tier takes a knob and a number" },
	{ "tier scan_ms 250\n", "2: unknown tier knob 'scan_ms'" },
	{ "tier tier_scan_ms 250\n", "2: unknown tier knob 'tier_scan_ms'" },
	{ "tier scan-ms 250\ntier scan-ms 250\n",
	  "3: duplicate tier knob: " },
	{ "tier rate-limit-MBps 0\nlimit node:0 1G\ntier rate-limit-MBps 64\n",
	  "4: duplicate tier knob: " },
};

TEST_F(apply, each_bad_line_is_one_error_and_writes_nothing)
{
	char text[512], want[512];
	const char *nl;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		/* A good line first: the bad one must stop it too. */
		snprintf(text, sizeof(text), "limit node:1 64M\n%s",
			 bad_lines[i].text);
		conf_file(self, "scalepool.conf", text);
		EXPECT_EQ(1, run_apply(_metadata, self, NULL)) {
			TH_LOG("line %zu: %s", i, bad_lines[i].text);
		}
		snprintf(want, sizeof(want), "poolctl apply: %s/scalepool.conf:"
			 "%s", self->conf, bad_lines[i].error);
		EXPECT_NE(NULL, strstr(self->err, want)) {
			TH_LOG("line %zu: want '%s', got '%s'", i, want,
			       self->err);
		}
		/* One error line, then the summary. */
		nl = strchr(self->err, '\n');
		EXPECT_TRUE(nl && !strcmp(nl + 1, "poolctl apply: 1 error in "
			    "the configuration: nothing changed\n")) {
			TH_LOG("line %zu: more than one error: %s", i,
			       self->err);
		}
		EXPECT_STREQ("", self->out);
		EXPECT_STREQ("0", attr(self, "members/1/limit"));
		EXPECT_STREQ("0", attr(self, "tier_rate_limit_MBps"));
		EXPECT_STREQ("1000", attr(self, "tier_scan_ms"));
	}
}

TEST_F(apply, all_errors_are_reported)
{
	conf_file(self, "scalepool.conf", "frob\nlimit node:0 x\n"
		  "limit node:1 1G\nbar pci:0000:00:03.0 9\n");
	EXPECT_EQ(1, run_apply(_metadata, self, NULL));
	EXPECT_NE(NULL, strstr(self->err, "scalepool.conf:1: unknown key"));
	EXPECT_NE(NULL, strstr(self->err, "scalepool.conf:2: bad size"));
	EXPECT_NE(NULL, strstr(self->err, "scalepool.conf:4: bad BAR index"));
	EXPECT_STREQ("0", attr(self, "members/1/limit"));
}

static const char good_conf[] =
	"# comment line\n"
	"\n"
	"limit node:0 1G   # a comment after\n"
	"limit node:1 none\n"
	"limit name:0000:00:03.0-bar2 32M\n"
	"measured node:2 0 250 9000\n"
	"attr node:0 tier 2\n"
	"bar pci:0000:00:03.0 2\n"
	"tier rate-limit-MBps 064\n"
	"tier scan-ms 250\n";

TEST_F(apply, dry_run_prints_what_would_change_and_writes_nothing)
{
	const struct apply_opts o = { .dry_run = true, .member = -1 };
	char want[2048];
	const char *f;

	conf_file(self, "scalepool.conf", good_conf);
	ASSERT_EQ(0, run_apply(_metadata, self, &o));
	f = self->conf;
	snprintf(want, sizeof(want),
		 "%s/scalepool.conf:3: limit of node0 (member 0): none -> "
		 "1.0 GiB\n"
		 "%s/scalepool.conf:5: limit of 0000:00:03.0-bar2 (member 3):"
		 " none -> 32.0 MiB\n"
		 "%s/scalepool.conf:6: measured figures of node2 (member 2) "
		 "from node 0: 300 ns, 5000 MB/s -> 250 ns, 9000 MB/s\n"
		 "%s/scalepool.conf:7: attr tier of node0 (member 0): 1 -> 2\n"
		 "%s/scalepool.conf:9: tier rate-limit-MBps: 0 -> 64\n"
		 "%s/scalepool.conf:10: tier scan-ms: 1000 -> 250\n"
		 "dry run: 6 changes, nothing written\n", f, f, f, f, f, f);
	EXPECT_STREQ(want, self->out);
	EXPECT_STREQ("", self->err);
	EXPECT_STREQ("0", attr(self, "members/0/limit"));
	EXPECT_STREQ("1", attr(self, "members/0/tier"));
	EXPECT_STREQ("0 300 5000", attr(self, "members/2/measured"));
	EXPECT_STREQ("0", attr(self, "tier_rate_limit_MBps"));
	EXPECT_STREQ("1000", attr(self, "tier_scan_ms"));
}

TEST_F(apply, writes_then_a_second_run_changes_nothing)
{
	const struct apply_opts dry = { .dry_run = true, .member = -1 };

	conf_file(self, "scalepool.conf", good_conf);
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_NE(NULL, strstr(self->out, "6 changes made\n"));
	EXPECT_STREQ("1073741824", attr(self, "members/0/limit"));
	EXPECT_STREQ("33554432", attr(self, "members/3/limit"));
	EXPECT_STREQ("0 250 9000", attr(self, "members/2/measured"));
	EXPECT_STREQ("2", attr(self, "members/0/tier"));
	EXPECT_STREQ("64", attr(self, "tier_rate_limit_MBps"));
	EXPECT_STREQ("250", attr(self, "tier_scan_ms"));
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_STREQ("nothing to change: the pool is as configured\n",
		     self->out);
	ASSERT_EQ(0, run_apply(_metadata, self, &dry));
	EXPECT_STREQ("dry run: nothing to change: the pool is as "
		     "configured\n", self->out);
}

TEST_F(apply, a_bar_to_add_names_its_member_ahead)
{
	const struct apply_opts o = { .dry_run = true, .member = -1 };
	char want[1024];
	const char *f = self->conf;

	conf_file(self, "scalepool.conf", "limit pci:0000:00:04.0 16M\n"
		  "bar pci:0000:00:04.0\n");
	ASSERT_EQ(0, run_apply(_metadata, self, &o));
	snprintf(want, sizeof(want),
		 "%s/scalepool.conf:2: add bar member pci:0000:00:04.0, its "
		 "largest prefetchable BAR\n"
		 "%s/scalepool.conf:1: limit of pci:0000:00:04.0 (added by "
		 "%s/scalepool.conf:2): - -> 16.0 MiB\n"
		 "dry run: 2 changes, nothing written\n", f, f, f);
	EXPECT_STREQ(want, self->out);
	/* A name with another BAR than the bar line's is not its member. */
	conf_file(self, "scalepool.conf", "limit name:0000:00:04.0-bar1 1M\n"
		  "bar pci:0000:00:04.0 2\n");
	EXPECT_EQ(1, run_apply(_metadata, self, &o));
	EXPECT_NE(NULL, strstr(self->err, ":1: no member "
			       "name:0000:00:04.0-bar1"));
}

TEST_F(apply, member_option_applies_that_member_only)
{
	const struct apply_opts o = { .member = 1 };

	conf_file(self, "scalepool.conf", "limit node:0 1G\nlimit node:1 2G\n"
		  "limit node:7 1G\nbar pci:0000:00:05.0\ntier scan-ms 250\n");
	ASSERT_EQ(0, run_apply(_metadata, self, &o));
	EXPECT_NE(NULL, strstr(self->out, ":2: limit of node1 (member 1)"));
	EXPECT_NE(NULL, strstr(self->out, "1 change made\n"));
	EXPECT_STREQ("0", attr(self, "members/0/limit"));
	/* Pool-wide: not a member's line. */
	EXPECT_STREQ("1000", attr(self, "tier_scan_ms"));
	EXPECT_STREQ("2147483648", attr(self, "members/1/limit"));
}

/* The udev rule of PCI devices: --member pci:BDF. */
static const char pci_conf[] =
	"limit node:0 1G\n"
	"bar pci:0000:00:04.0\n"
	"limit pci:0000:00:04.0 16M\n"
	"bar pci:0000:00:03.0 2\n"
	"limit name:0000:00:03.0-bar2 8M\n"
	"limit node:7 1G\n"
	"tier scan-ms 250\n";

TEST_F(apply, member_pci_applies_the_bar_lines_of_that_device_only)
{
	const struct apply_opts o03 = { .member = -1, .pci = "0000:00:03.0" };
	const struct apply_opts o04 = { .dry_run = true, .member = -1,
					.pci = "0000:00:04.0" };
	char want[1024];
	const char *f = self->conf;

	conf_file(self, "scalepool.conf", pci_conf);
	/* A member there already: its bar line is done, its limit set. */
	ASSERT_EQ(0, run_apply(_metadata, self, &o03));
	snprintf(want, sizeof(want),
		 "%s/scalepool.conf:5: limit of 0000:00:03.0-bar2 (member 3):"
		 " none -> 8.0 MiB\n1 change made\n", f);
	EXPECT_STREQ(want, self->out);
	EXPECT_STREQ("", self->err);
	EXPECT_STREQ("8388608", attr(self, "members/3/limit"));
	/* Not the other device's, not a node's (node:7 is no error). */
	EXPECT_STREQ("0", attr(self, "members/0/limit"));
	EXPECT_STREQ("1000", attr(self, "tier_scan_ms"));
	/* A device that appeared: its bar member first, then its limit. */
	ASSERT_EQ(0, run_apply(_metadata, self, &o04));
	snprintf(want, sizeof(want),
		 "%s/scalepool.conf:2: add bar member pci:0000:00:04.0, its "
		 "largest prefetchable BAR\n"
		 "%s/scalepool.conf:3: limit of pci:0000:00:04.0 (added by "
		 "%s/scalepool.conf:2): - -> 16.0 MiB\n"
		 "dry run: 2 changes, nothing written\n", f, f, f);
	EXPECT_STREQ(want, self->out);
	EXPECT_STREQ("", self->err);
}

TEST_F(apply, member_pci_of_an_absent_named_device_is_an_error)
{
	const struct apply_opts o = { .member = -1, .pci = "0000:00:05.0" };

	conf_file(self, "scalepool.conf", "limit node:0 1G\n"
		  "bar pci:0000:00:05.0\n");
	EXPECT_EQ(1, run_apply(_metadata, self, &o));
	EXPECT_NE(NULL, strstr(self->err, ":2: no PCI device 0000:00:05.0"));
	EXPECT_STREQ("0", attr(self, "members/0/limit"));
}

TEST_F(apply, names_pci_only_for_a_bar_line_of_the_device)
{
	struct apply_conf c = { .err = stderr };
	char path[300];

	conf_file(self, "scalepool.conf", "bar pci:0000:00:0A.0\n"
		  "limit pci:0000:00:05.0 1M\n");
	snprintf(path, sizeof(path), "%s/scalepool.conf", self->conf);
	ASSERT_EQ(0, poolctl_apply_read(&c, path));
	ASSERT_EQ(0, c.nr_errors);
	EXPECT_TRUE(poolctl_apply_names_pci(&c, "0000:00:0a.0"));
	EXPECT_TRUE(poolctl_apply_names_pci(&c, "0000:00:0A.0"));
	/* A limit line is the member uevent's business, not the device's. */
	EXPECT_FALSE(poolctl_apply_names_pci(&c, "0000:00:05.0"));
	EXPECT_FALSE(poolctl_apply_names_pci(&c, "0000:00:0b.0"));
	poolctl_apply_conf_free(&c);
}

/*
 * An address however it was typed (upper case, a domain of 8 digits)
 * names the device sysfs lists in lower case with 4 digits.
 */
TEST_F(apply, pci_addresses_match_as_sysfs_writes_them)
{
	const struct apply_opts o = { .dry_run = true, .member = -1 };
	char want[4096], canon[24];
	const char *f = self->conf;

	conf_file(self, "scalepool.conf", "limit pci:00000000:00:03.0 8M\n"
		  "bar pci:0000:00:04.0\nlimit pci:0000:00:04.0 1M\n");
	ASSERT_EQ(0, run_apply(_metadata, self, &o));
	snprintf(want, sizeof(want),
		 "%s/scalepool.conf:2: add bar member pci:0000:00:04.0, its "
		 "largest prefetchable BAR\n"
		 "%s/scalepool.conf:1: limit of 0000:00:03.0-bar2 (member 3):"
		 " none -> 8.0 MiB\n"
		 "%s/scalepool.conf:3: limit of pci:0000:00:04.0 (added by "
		 "%s/scalepool.conf:2): - -> 1.0 MiB\n"
		 "dry run: 3 changes, nothing written\n", f, f, f, f);
	EXPECT_STREQ(want, self->out);
	EXPECT_STREQ("", self->err);

	EXPECT_EQ(0, poolctl_apply_canon_bdf("0000:AF:1F.7", canon,
					     sizeof(canon)));
	EXPECT_STREQ("0000:af:1f.7", canon);
	EXPECT_EQ(0, poolctl_apply_canon_bdf("7fffffff:00:00.0", canon,
					     sizeof(canon)));
	EXPECT_STREQ("7fffffff:00:00.0", canon);
	EXPECT_EQ(-EINVAL, poolctl_apply_canon_bdf("00:03.0", canon,
						   sizeof(canon)));
	EXPECT_EQ(-EINVAL, poolctl_apply_canon_bdf("0000:00:20.0", canon,
						   sizeof(canon)));
	EXPECT_EQ(-EINVAL, poolctl_apply_canon_bdf("0000:00:03.0", canon, 8));
}

TEST_F(apply, allow_absent_leaves_lines_for_later)
{
	const struct apply_opts o = { .member = -1, .allow_absent = true };

	conf_file(self, "scalepool.conf", "limit node:7 1G\n"
		  "bar pci:0000:00:05.0\nlimit node:1 2G\n");
	ASSERT_EQ(0, run_apply(_metadata, self, &o));
	EXPECT_NE(NULL, strstr(self->out, ":1: node:7 is not present: left "
			       "for when it appears\n"));
	EXPECT_NE(NULL, strstr(self->out, ":2: pci:0000:00:05.0 is not "
			       "present"));
	EXPECT_NE(NULL, strstr(self->out, "1 change made\n"));
}

TEST_F(apply, conf_d_after_the_main_file_in_name_order)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/conf.d", self->conf);
	ASSERT_EQ(0, mkdir(path, 0755));
	conf_file(self, "scalepool.conf", "limit node:0 1M\n");
	conf_file(self, "conf.d/b.conf", "limit node:1 2M\n");
	conf_file(self, "conf.d/a.conf", "limit node:2 3M\n");
	conf_file(self, "conf.d/c.conf.dpkg-old", "garbage\n");
	conf_file(self, "conf.d/.hidden.conf", "garbage\n");
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_EQ(0, fnmatch("*/scalepool.conf:1:*\n*/conf.d/a.conf:1:*\n"
			     "*/conf.d/b.conf:1:*\n3 changes made\n",
			     self->out, 0)) {
		TH_LOG("%s", self->out);
	}
}

TEST_F(apply, no_configuration_changes_nothing)
{
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_STREQ("nothing to change: the pool is as configured\n",
		     self->out);
}

TEST_F(apply, measured_file_lines_name_their_file)
{
	char want[1024];

	conf_file(self, "scalepool.conf", "measured-file figures\n");
	conf_file(self, "figures", "# poolctl bench --save\n"
		  "measured node:2 0 250 9000\nmeasured node:0 1 90 20000\n");
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	snprintf(want, sizeof(want), "%s/figures:2: measured figures of "
		 "node2", self->conf);
	EXPECT_NE(NULL, strstr(self->out, want));
	EXPECT_STREQ("1 90 20000", attr(self, "members/0/measured"));
	/* Only measured lines there, and no measured-file. */
	conf_file(self, "figures", "measured node:2 0 250 9000\n"
		  "limit node:0 1G\nmeasured-file figures\n");
	EXPECT_EQ(1, run_apply(_metadata, self, NULL));
	snprintf(want, sizeof(want), "%s/figures:2: a measured-file holds "
		 "measured lines only\npoolctl apply: %s/figures:3: a "
		 "measured-file holds measured lines only\n", self->conf,
		 self->conf);
	EXPECT_NE(NULL, strstr(self->err, want)) {
		TH_LOG("%s", self->err);
	}
}

TEST_F(apply, ambiguous_pci_and_read_only_attr)
{
	char path[300];

	put_member(self->fs.sys, 4, "bar", -1, "pci", 64ULL << 20);
	put(self->fs.sys, "members/4/pci", "0000:00:03.0");
	put(self->fs.sys, "members/4/name", "0000:00:03.0-bar4");
	snprintf(path, sizeof(path), "%s/members/0/tier", self->fs.sys);
	ASSERT_EQ(0, chmod(path, 0444));
	conf_file(self, "scalepool.conf", "limit pci:0000:00:03.0 1M\n"
		  "attr node:0 tier 2\n");
	EXPECT_EQ(1, run_apply(_metadata, self, NULL));
	EXPECT_NE(NULL, strstr(self->err, ":1: pci:0000:00:03.0 is 2 "
			       "members: name one with name:<name>"));
	/* root reads and writes a 0444 file: the mode is what is checked. */
	EXPECT_NE(NULL, strstr(self->err, ":2: attribute 'tier' of member "
			       "node0 is not readable and writable"));
}

TEST_F(apply, tier_knobs_at_the_ends_of_their_ranges)
{
	conf_file(self, "scalepool.conf", "tier rate-limit-MBps 1048576\n"
		  "tier scan-ms 10\n");
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_STREQ("1048576", attr(self, "tier_rate_limit_MBps"));
	EXPECT_STREQ("10", attr(self, "tier_scan_ms"));
	conf_file(self, "scalepool.conf", "tier rate-limit-MBps 0\n"
		  "tier scan-ms 60000\n");
	ASSERT_EQ(0, run_apply(_metadata, self, NULL));
	EXPECT_NE(NULL, strstr(self->out, ":1: tier rate-limit-MBps: 1048576 "
			       "-> 0\n"));
	EXPECT_STREQ("0", attr(self, "tier_rate_limit_MBps"));
	EXPECT_STREQ("60000", attr(self, "tier_scan_ms"));
}

/* A module older than tiering: no knob files, and nothing written. */
TEST_F(apply, tier_knob_the_module_lacks_is_an_error_of_its_line)
{
	char path[300], want[1024];

	snprintf(path, sizeof(path), "%s/tier_scan_ms", self->fs.sys);
	ASSERT_EQ(0, unlink(path));
	conf_file(self, "scalepool.conf", "limit node:1 64M\n"
		  "tier rate-limit-MBps 64\ntier scan-ms 250\n");
	EXPECT_EQ(1, run_apply(_metadata, self, NULL));
	snprintf(want, sizeof(want), "poolctl apply: %s/scalepool.conf:3: "
		 "tier scan-ms: the module has no %s: it is older than "
		 "tiering, update it\npoolctl apply: 1 error in the "
		 "configuration: nothing changed\n", self->conf, path);
	EXPECT_STREQ(want, self->err);
	EXPECT_STREQ("", self->out);
	EXPECT_STREQ("0", attr(self, "members/1/limit"));
	EXPECT_STREQ("0", attr(self, "tier_rate_limit_MBps"));
	snprintf(path, sizeof(path), "%s/tier_rate_limit_MBps", self->fs.sys);
	ASSERT_EQ(0, chmod(path, 0444));
	EXPECT_EQ(1, run_apply(_metadata, self, NULL));
	EXPECT_NE(NULL, strstr(self->err, ":2: tier rate-limit-MBps: "));
	EXPECT_NE(NULL, strstr(self->err, "tier_rate_limit_MBps is not "
			       "readable and writable\n"));
}

TEST_HARNESS_MAIN
