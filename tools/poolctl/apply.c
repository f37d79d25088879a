// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl apply: make the pool what /etc/scalepool/ says (member
 * limits, bar members, measured figures, member attributes, the
 * tiering knobs).  The whole
 * configuration is read and checked against the pool first; only then
 * is anything written, and only what differs, so a second run changes
 * nothing.  scalepool.service runs it at boot, and the udev rules
 * 61-scalepool-apply.rules for each member and each PCI device that
 * appears later (--member).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpool.h>

#include "poolctl.h"
#include "apply.h"

#define CMD "apply"

struct apply_roots poolctl_apply_roots = {
	.sysfs = "/sys/kernel/scalepool",
	.pci_devices = "/sys/bus/pci/devices",
};

__attribute__((format(printf, 3, 4)))
static int line_err(struct apply_conf *c, const struct apply_line *l,
		    const char *fmt, ...)
{
	va_list args;

	fprintf(c->err, "poolctl apply: %s:%u: ", l->file, l->line);
	va_start(args, fmt);
	vfprintf(c->err, fmt, args);
	va_end(args);
	fputc('\n', c->err);
	c->nr_errors++;
	return -EINVAL;
}

static bool member_matches(struct pool_member *m, const struct apply_member *s)
{
	const char *pci;

	switch (s->by) {
	case APPLY_BY_NODE:
		return !strcmp(pool_member_get_kind(m), "node") &&
		       pool_member_get_node(m) == (int)s->num;
	case APPLY_BY_PCI:
		pci = pool_member_get_pci(m);
		return pci && !strcmp(pci, s->text + 4);
	case APPLY_BY_NAME:
		return !strcmp(pool_member_get_name(m), s->text + 5);
	case APPLY_BY_ID:
		return pool_member_get_id(m) == s->num;
	}
	return false;
}

/* Would the member @bar adds be the one @s names? */
static bool bar_adds(const struct apply_line *bar, const struct apply_member *s)
{
	size_t n = strlen(bar->bdf);
	const char *name = s->text + 5;
	char want[32];

	if (s->by == APPLY_BY_PCI)
		return !strcmp(s->text + 4, bar->bdf);
	if (s->by != APPLY_BY_NAME || strncmp(name, bar->bdf, n) ||
	    strncmp(name + n, "-bar", 4))
		return false;
	snprintf(want, sizeof(want), "%s-bar%d", bar->bdf, bar->bar);
	return bar->bar < 0 || !strcmp(name, want);
}

/* The member of a bar line when it is there already. */
static int resolve_bar(struct apply_conf *c, struct apply_line *l,
		       struct pool_ctx *ctx, const struct apply_opts *o)
{
	struct pool_member *m;
	char path[PATH_MAX];
	const char *pci;

	l->skip = o->member >= 0 || (o->pci && strcasecmp(l->bdf, o->pci));
	pool_member_foreach(ctx, m) {
		pci = pool_member_get_pci(m);
		if (pci && !strcmp(pci, l->bdf) && !strcmp(
		    pool_member_get_kind(m), "bar") &&
		    (l->bar < 0 || pool_member_get_bar(m) == l->bar)) {
			l->m = m;
			l->id = pool_member_get_id(m);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", poolctl_apply_roots.pci_devices,
		 l->bdf);
	if (l->m || l->skip || access(path, F_OK) == 0)
		return 0;
	if (o->allow_absent) {
		l->skip = true;
		return 0;
	}
	return line_err(c, l, "no PCI device %s", l->bdf);
}

/*
 * The sysfs file of an attr or tier line, when its member is here (or
 * it has none): its path in @buf, else NULL.
 */
static const char *line_path(const struct apply_line *l, char *buf,
			     size_t len)
{
	if (l->kind == APPLY_TIER)
		snprintf(buf, len, "%s/%s", poolctl_apply_roots.sysfs,
			 l->attr);
	else if (l->m)
		snprintf(buf, len, "%s/members/%u/%s",
			 poolctl_apply_roots.sysfs, pool_member_get_id(l->m),
			 l->attr);
	else
		return NULL;
	return buf;
}

/* A file apply can read and write: 0, -ENOENT or -EACCES. */
static int check_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -ENOENT;
	/* root reads and writes a 0444 file: the mode is what tells. */
	return (st.st_mode & 0600) == 0600 ? 0 : -EACCES;
}

/* An attribute that apply can read and write, when the member is here. */
static int check_attr(struct apply_conf *c, const struct apply_line *l)
{
	char path[PATH_MAX];
	int rc;

	if (!line_path(l, path, sizeof(path)))
		return 0;
	rc = check_file(path);
	if (rc == -ENOENT)
		return line_err(c, l, "member %s has no attribute '%s'",
				pool_member_get_name(l->m), l->attr);
	if (rc)
		return line_err(c, l, "attribute '%s' of member %s is not "
				"readable and writable", l->attr,
				pool_member_get_name(l->m));
	return 0;
}

/* A pool-wide knob: not a member's (--member leaves it out). */
static int resolve_tier(struct apply_conf *c, struct apply_line *l,
			const struct apply_opts *o)
{
	char path[PATH_MAX];
	int rc;

	l->skip = o->member >= 0 || o->pci;
	if (l->skip)
		return 0;
	rc = check_file(line_path(l, path, sizeof(path)));
	if (rc == -ENOENT)
		return line_err(c, l, "tier %s: the module has no %s: it is "
				"older than tiering, update it", l->knob,
				path);
	if (rc)
		return line_err(c, l, "tier %s: %s is not readable and "
				"writable", l->knob, path);
	return 0;
}

/*
 * --member pci:BDF: does @l name the member a bar line of BDF adds, or
 * added before?  (The other bar lines are skipped: none of them adds.)
 */
static bool of_selected_bar(const struct apply_conf *c,
			    const struct apply_line *l)
{
	const struct apply_line *b;
	int i;

	if (l->adds)
		return true;
	for (i = 0; l->m && i < c->nr_lines; i++) {
		b = &c->lines[i];
		if (b->kind == APPLY_BAR && !b->skip && b->m && b->id == l->id)
			return true;
	}
	return false;
}

static int resolve_member(struct apply_conf *c, struct apply_line *l,
			  struct pool_ctx *ctx, const struct apply_opts *o)
{
	struct pool_member *m;
	int i, n = 0;

	pool_member_foreach(ctx, m)
		if (member_matches(m, &l->member) && n++ == 0) {
			l->m = m;
			l->id = pool_member_get_id(m);
		}
	if (n > 1)
		return line_err(c, l, "%s is %d members: name one with "
				"name:<name>", l->member.text, n);
	for (i = 0; !l->m && i < c->nr_lines; i++)
		if (c->lines[i].kind == APPLY_BAR && !c->lines[i].m &&
		    !c->lines[i].skip && bar_adds(&c->lines[i], &l->member))
			l->adds = &c->lines[i];
	if (o->member >= 0) {
		l->skip = !l->m || pool_member_get_id(l->m) != (unsigned int)
			  o->member;
		return 0;
	}
	if (o->pci) {
		l->skip = !of_selected_bar(c, l);
		if (l->skip)
			return 0;
	}
	if (!l->m && !l->adds) {
		if (o->allow_absent) {
			l->skip = true;
			return 0;
		}
		return line_err(c, l, "no member %s", l->member.text);
	}
	return l->kind == APPLY_ATTR ? check_attr(c, l) : 0;
}

/* Do @a and @b set the same thing? (@a earlier.) */
static bool same_setting(const struct apply_line *a,
			 const struct apply_line *b)
{
	if (a->kind != b->kind || a->skip || b->skip)
		return false;
	if (a->kind == APPLY_BAR)
		return !strcmp(a->bdf, b->bdf) &&
		       (a->bar == b->bar || a->bar < 0 || b->bar < 0);
	if (a->kind == APPLY_TIER)
		return !strcmp(a->attr, b->attr);
	if (a->m != b->m || (!a->m && strcmp(a->member.text, b->member.text)))
		return false;
	if (a->kind == APPLY_MEASURED)
		return a->initiator == b->initiator;
	if (a->kind == APPLY_ATTR)
		return !strcmp(a->attr, b->attr);
	return true;
}

static void check_duplicates(struct apply_conf *c)
{
	static const char *const what[] = {
		[APPLY_LIMIT] = "limit", [APPLY_BAR] = "bar member",
		[APPLY_MEASURED] = "measured figures", [APPLY_ATTR] = "attr",
		[APPLY_TIER] = "tier knob",
	};
	const struct apply_line *a, *b;
	int i, j;

	for (j = 1; j < c->nr_lines; j++)
		for (i = 0; i < j; i++) {
			a = &c->lines[i];
			b = &c->lines[j];
			if (!same_setting(a, b))
				continue;
			line_err(c, b, "duplicate %s: %s:%u sets it already",
				 what[b->kind], a->file, a->line);
			break;
		}
}

/* Bar lines first: the members the others name may be theirs. */
static void resolve(struct apply_conf *c, struct pool_ctx *ctx,
		    const struct apply_opts *o)
{
	struct apply_line *l;
	int i;

	for (i = 0; i < c->nr_lines; i++) {
		l = &c->lines[i];
		if (l->kind == APPLY_BAR)
			resolve_bar(c, l, ctx, o);
	}
	for (i = 0; i < c->nr_lines; i++) {
		l = &c->lines[i];
		if (l->kind == APPLY_TIER)
			resolve_tier(c, l, o);
		else if (l->kind != APPLY_BAR)
			resolve_member(c, l, ctx, o);
	}
	check_duplicates(c);
}

/* "node2 (member 2)", or the selector of a member not added yet. */
static const char *member_desc(const struct apply_line *l, char *buf,
			       size_t len)
{
	if (l->m)
		snprintf(buf, len, "%s (member %u)", pool_member_get_name(l->m),
			 pool_member_get_id(l->m));
	else
		snprintf(buf, len, "%s (added by %s:%u)", l->member.text,
			 l->adds->file, l->adds->line);
	return buf;
}

static void limit_text(unsigned long long bytes, char *buf, size_t len)
{
	if (!bytes)
		snprintf(buf, len, "none");
	else if (pool_format_size(bytes, buf, len) < 0)
		snprintf(buf, len, "%llu", bytes);
}

static int do_limit(struct apply_line *l, bool write, FILE *out,
		    bool *changed)
{
	unsigned long long cur = l->m ? pool_member_get_limit(l->m) : 0;
	char who[128], from[32], to[32];
	int rc;

	*changed = !l->m || cur != l->bytes;
	if (!*changed)
		return 0;
	limit_text(cur, from, sizeof(from));
	limit_text(l->bytes, to, sizeof(to));
	fprintf(out, "%s:%u: limit of %s: %s -> %s\n", l->file, l->line,
		member_desc(l, who, sizeof(who)), l->m ? from : "-", to);
	if (!write)
		return 0;
	rc = pool_member_set_limit(l->m, l->bytes);
	return rc ? poolctl_err(CMD, -rc, "%s:%u: cannot set the limit of %s",
				l->file, l->line, who) : 0;
}

static int do_measured(struct apply_line *l, bool write, FILE *out,
		       bool *changed)
{
	unsigned long long lat = 0, bw = 0;
	char who[128], from[64] = "none";
	bool had;
	int rc;

	had = l->m && !pool_member_get_measured(l->m, l->initiator, &lat, &bw);
	*changed = !had || lat != l->latency_ns || bw != l->bandwidth_mbps;
	if (!*changed)
		return 0;
	if (had)
		snprintf(from, sizeof(from), "%llu ns, %llu MB/s", lat, bw);
	fprintf(out, "%s:%u: measured figures of %s from node %d: %s -> "
		"%llu ns, %llu MB/s\n", l->file, l->line,
		member_desc(l, who, sizeof(who)), l->initiator, from,
		l->latency_ns, l->bandwidth_mbps);
	if (!write)
		return 0;
	rc = pool_member_set_measured(l->m, l->initiator, l->latency_ns,
				      l->bandwidth_mbps);
	return rc ? poolctl_err(CMD, -rc, "%s:%u: cannot set the measured "
				"figures of %s", l->file, l->line, who) : 0;
}

/* The attribute's value, one line without its newline: 0 or -errno. */
static int read_attr(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_attr(const char *path, const char *val)
{
	ssize_t n;
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	else if ((size_t)n != strlen(val))
		n = -EIO;
	close(fd);
	return n < 0 ? (int)n : 0;
}

/*
 * An attr or tier line: its file's value made @l->value.  @what:
 * "attr tier of node0 (member 0)", "tier scan-ms".
 */
static int do_file(struct apply_line *l, const char *what, bool write,
		   FILE *out, bool *changed)
{
	char buf[PATH_MAX], cur[256] = "";
	const char *path = line_path(l, buf, sizeof(buf));
	int rc = path ? read_attr(path, cur, sizeof(cur)) : 0;

	if (rc)
		return poolctl_err(CMD, -rc, "%s:%u: cannot read %s (%s)",
				   l->file, l->line, what, path);
	*changed = !path || strcmp(cur, l->value);
	if (!*changed)
		return 0;
	fprintf(out, "%s:%u: %s: %s -> %s\n", l->file, l->line, what,
		path ? cur : "-", l->value);
	if (!write)
		return 0;
	rc = write_attr(path, l->value);
	return rc ? poolctl_err(CMD, -rc, "%s:%u: cannot write '%s' to %s "
				"(%s)", l->file, l->line, l->value, what,
				path) : 0;
}

static int do_attr(struct apply_line *l, bool write, FILE *out,
		   bool *changed)
{
	char who[128], what[256];

	snprintf(what, sizeof(what), "attr %s of %s", l->attr,
		 member_desc(l, who, sizeof(who)));
	return do_file(l, what, write, out, changed);
}

static int do_tier(struct apply_line *l, bool write, FILE *out,
		   bool *changed)
{
	char what[64];

	snprintf(what, sizeof(what), "tier %s", l->knob);
	return do_file(l, what, write, out, changed);
}

/*
 * Adding a bar member reloads libpool's members (pool_refresh()), which
 * frees the ones the lines point at: each line finds its member again
 * by id, and the lines that named the new member get it.  A name: that
 * turns out to be another member's is an error (the module chose
 * another BAR than the name says).
 */
static int bar_added(struct apply_conf *c, struct apply_line *bar,
		     struct pool_ctx *ctx, unsigned int id)
{
	struct apply_line *l;
	int i;

	for (i = 0; i < c->nr_lines; i++) {
		l = &c->lines[i];
		if (l == bar || l->adds == bar) {
			l->m = pool_member_get_by_id(ctx, id);
			l->id = id;
			l->adds = NULL;
		} else if (l->m) {
			/* NULL when it went away: apply_line() says so. */
			l->m = pool_member_get_by_id(ctx, l->id);
		}
		if (l->m && l->kind != APPLY_BAR && l->id == id &&
		    !member_matches(l->m, &l->member))
			return line_err(c, l, "%s added member %s, not %s",
					bar->bdf, pool_member_get_name(l->m),
					l->member.text);
	}
	if (!bar->m)
		return poolctl_err(CMD, ENOENT, "%s:%u: member %u of %s went "
				   "away", bar->file, bar->line, id, bar->bdf);
	return 0;
}

static int do_bar(struct apply_conf *c, struct apply_line *l,
		  struct pool_ctx *ctx, bool write, FILE *out, bool *changed)
{
	unsigned int id;
	int rc;

	*changed = !l->m;
	if (!*changed)
		return 0;
	if (l->bar < 0)
		fprintf(out, "%s:%u: add bar member pci:%s, its largest "
			"prefetchable BAR\n", l->file, l->line, l->bdf);
	else
		fprintf(out, "%s:%u: add bar member pci:%s BAR %d\n",
			l->file, l->line, l->bdf, l->bar);
	if (!write)
		return 0;
	rc = pool_member_add_bar(ctx, l->bdf, l->bar, &id);
	if (rc)
		return poolctl_failed(CMD, -rc, "%s:%u: cannot add %s",
				      l->file, l->line, l->bdf);
	return bar_added(c, l, ctx, id);
}

static int apply_line(struct apply_conf *c, struct apply_line *l,
		      struct pool_ctx *ctx, bool write, FILE *out,
		      bool *changed)
{
	if (l->kind != APPLY_BAR && l->kind != APPLY_TIER && !l->m &&
	    !l->adds)
		return poolctl_err(CMD, ENOENT, "%s:%u: %s went away",
				   l->file, l->line, l->member.text);
	switch (l->kind) {
	case APPLY_BAR:
		return do_bar(c, l, ctx, write, out, changed);
	case APPLY_LIMIT:
		return do_limit(l, write, out, changed);
	case APPLY_MEASURED:
		return do_measured(l, write, out, changed);
	case APPLY_ATTR:
		return do_attr(l, write, out, changed);
	case APPLY_TIER:
		return do_tier(l, write, out, changed);
	}
	return 0;
}

/* Lines left for members that are not here (--allow-absent). */
static void print_absent(const struct apply_conf *c, FILE *out)
{
	const struct apply_line *l;
	int i;

	for (i = 0; i < c->nr_lines; i++) {
		l = &c->lines[i];
		if (!l->skip)
			continue;
		if (l->kind == APPLY_BAR)
			fprintf(out, "%s:%u: pci:%s is not present: left "
				"for when it appears\n", l->file, l->line,
				l->bdf);
		else
			fprintf(out, "%s:%u: %s is not present: left for "
				"when it appears\n", l->file, l->line,
				l->member.text);
	}
}

int poolctl_apply_conf(struct apply_conf *c, struct pool_ctx *ctx,
		       const struct apply_opts *o, FILE *out)
{
	unsigned int nr_changes = 0;
	bool changed;
	int i, pass, rc = 0;

	if (!c->nr_errors)
		resolve(c, ctx, o);
	if (c->nr_errors) {
		fprintf(c->err, "poolctl apply: %u error%s in the "
			"configuration: nothing changed\n", c->nr_errors,
			c->nr_errors == 1 ? "" : "s");
		return 1;
	}
	if (o->member < 0 && !o->pci)
		print_absent(c, out);
	/* Bar members first: the other lines may name them. */
	for (pass = 0; pass < 2 && !rc; pass++)
		for (i = 0; i < c->nr_lines && !rc; i++) {
			if (c->lines[i].skip ||
			    (c->lines[i].kind == APPLY_BAR) != (pass == 0))
				continue;
			rc = apply_line(c, &c->lines[i], ctx, !o->dry_run,
					out, &changed);
			nr_changes += !rc && changed;
		}
	if (rc)
		return 1;
	if (!nr_changes)
		fprintf(out, "%snothing to change: the pool is as "
			"configured\n", o->dry_run ? "dry run: " : "");
	else if (o->dry_run)
		fprintf(out, "dry run: %u change%s, nothing written\n",
			nr_changes, nr_changes == 1 ? "" : "s");
	else
		fprintf(out, "%u change%s made\n", nr_changes,
			nr_changes == 1 ? "" : "s");
	return 0;
}

bool poolctl_apply_names_pci(const struct apply_conf *c, const char *bdf)
{
	int i;

	for (i = 0; i < c->nr_lines; i++)
		if (c->lines[i].kind == APPLY_BAR &&
		    !strcasecmp(c->lines[i].bdf, bdf))
			return true;
	return false;
}

struct cmd_apply_args {
	bool dry_run;
	bool allow_absent;
	bool names;
	int member;
	const char *pci;		/* NULL, or pci_buf */
	char pci_buf[32];
};

/*
 * An id (the udev rule of members), or pci:BDF (the udev rule of PCI
 * devices: a device a bar line names appeared or was bound).
 */
static int opt_member(void *args, const char *arg)
{
	struct cmd_apply_args *a = args;
	unsigned int id;

	if (!strncmp(arg, "pci:", 4)) {
		if (poolctl_apply_canon_bdf(arg + 4, a->pci_buf,
					    sizeof(a->pci_buf)))
			return poolctl_err(CMD, EINVAL, "bad PCI address '%s' "
					   "(pci:DDDD:BB:DD.F, as in sysfs)",
					   arg + 4);
		a->pci = a->pci_buf;
		a->member = -1;
		return 0;
	}
	if (poolctl_parse_uint(arg, &id) || id > INT_MAX)
		return poolctl_err(CMD, EINVAL, "bad member '%s' (an id, or "
				   "pci:DDDD:BB:DD.F)", arg);
	a->member = (int)id;
	a->pci = NULL;
	return 0;
}

static const struct poolctl_option apply_options[] = {
	POOLCTL_OPT_FLAG('n', "dry-run",
		offsetof(struct cmd_apply_args, dry_run),
		"print what would change, change nothing"),
	POOLCTL_OPT_CALLBACK('m', "member", "<id>|pci:<addr>", opt_member,
		"only the lines of this member (the udev\n"
		"rule, when a member appears); no bar or\n"
		"tier lines.  pci:<addr>: the bar lines of\n"
		"that PCI device and the lines of the member\n"
		"they add (when the device appears); nothing\n"
		"when no bar line names it"),
	POOLCTL_OPT_FLAG(0, "allow-absent",
		offsetof(struct cmd_apply_args, allow_absent),
		"a member or PCI device that is not present\n"
		"is not an error: its lines wait for it\n"
		"(scalepool.service)"),
	POOLCTL_OPT_FLAG(0, "names",
		offsetof(struct cmd_apply_args, names),
		"with --member pci:<addr>: only the exit\n"
		"status, 0 when a bar line names the device\n"
		"(or the configuration has an error, which\n"
		"the apply then reports), 1 when none does;\n"
		"changes nothing, prints nothing (the udev\n"
		"rule's test, before it starts a unit)"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_apply = {
	.cmd = CMD,
	.text =
"usage: poolctl apply [<options>] [<file>...]\n"
"\n"
"Make the pool what the configuration says: member limits, bar members\n"
"to add, measured figures, member attributes, tiering knobs\n"
"(scalepool.conf(5)).\n"
"Without a file, " POOLCTL_APPLY_DIR "/scalepool.conf and then\n"
POOLCTL_APPLY_DIR "/conf.d/*.conf.  The whole configuration is checked\n"
"first, and an error (file:line: reason) changes nothing.  Only what\n"
"differs is written, a line for each change; a second run changes\n"
"nothing.  Writing needs root.\n",
	.options = apply_options,
};

/*
 * One apply at a time: the udev rule runs for each member that
 * appears, maybe while scalepool.service runs.  An exclusive flock on
 * the module's sysfs directory, held until exit.
 */
static int lock_pool(void)
{
	int fd = open(poolctl_apply_roots.sysfs, O_RDONLY | O_DIRECTORY |
		      O_CLOEXEC);

	if (fd < 0)
		return poolctl_err(CMD, errno, "cannot open %s",
				   poolctl_apply_roots.sysfs);
	if (flock(fd, LOCK_EX))
		return poolctl_err(CMD, errno, "cannot lock %s",
				   poolctl_apply_roots.sysfs);
	return 0;	/* the fd stays open: the lock with it */
}

int cmd_apply(int argc, char **argv, struct pool_ctx **ctx)
{
	struct cmd_apply_args a = { .member = -1 };
	struct apply_conf c = { .err = stderr };
	struct apply_opts o;
	bool named;
	int i, rc;

	rc = poolctl_parse_options(&usage_apply, &a, argc, argv);
	if (rc >= 0)
		return rc;
	if (a.names && !a.pci)
		return poolctl_err(CMD, EINVAL, "--names needs --member "
				   "pci:<addr>");
	/* The unit it starts reports the errors; the test says nothing. */
	if (a.names) {
		c.err = fopen("/dev/null", "we");
		if (!c.err)
			return poolctl_err(CMD, errno, "cannot open /dev/null");
	}
	if (optind == argc)
		poolctl_apply_read_dir(&c, POOLCTL_APPLY_DIR);
	for (i = optind; i < argc; i++)
		poolctl_apply_read(&c, argv[i]);
	/*
	 * The udev rule runs this for every PCI device that appears: one
	 * that no bar line names is none of apply's business, quietly,
	 * module or not.  --names: the rule's question alone, so that
	 * systemd starts a unit only for a device that has lines (or for a
	 * configuration error, which the unit's apply then logs).
	 */
	named = !a.pci || c.nr_errors || poolctl_apply_names_pci(&c, a.pci);
	if (a.names || !named) {
		if (a.names)
			fclose(c.err);
		poolctl_apply_conf_free(&c);
		return a.names && !named;
	}
	o = (struct apply_opts){ .dry_run = a.dry_run, .member = a.member,
				 .pci = a.pci, .allow_absent = a.allow_absent };
	/* Errors of the text first: they need no module. */
	rc = c.nr_errors ? poolctl_apply_conf(&c, NULL, &o, stdout) :
	     poolctl_open(CMD, ctx);
	if (!rc && !a.dry_run) {
		/* What another apply changed before the lock is seen. */
		rc = lock_pool();
		if (!rc && pool_refresh(*ctx))
			rc = poolctl_err(CMD, 0, "cannot read the pool again");
	}
	if (!rc && !c.nr_errors)
		rc = poolctl_apply_conf(&c, *ctx, &o, stdout);
	poolctl_apply_conf_free(&c);
	return rc;
}
