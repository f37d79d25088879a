// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl apply: reading the configuration (scalepool.conf(5)).  Each
 * line is one directive, checked here without the pool; apply.c then
 * resolves the members and compares with the pool.  Every error names
 * the file and the line, and all of them are reported, not the first.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpool.h>

#include "poolctl.h"
#include "apply.h"

#define LINE_MAX_LEN	4096	/* bytes of a line, its newline too */
#define MAX_TOKENS	8
#define MAX_BAR		5

__attribute__((format(printf, 4, 5)))
static int conf_err(struct apply_conf *c, const char *file, unsigned int line,
		    const char *fmt, ...)
{
	va_list args;

	fprintf(c->err, "poolctl apply: %s:%u: ", file, line);
	va_start(args, fmt);
	vfprintf(c->err, fmt, args);
	va_end(args);
	fputc('\n', c->err);
	c->nr_errors++;
	return -EINVAL;
}

/* A copy of @path that lives as long as @c: the lines point at it. */
static const char *conf_file_name(struct apply_conf *c, const char *path)
{
	char **files = realloc(c->files, (c->nr_files + 1) * sizeof(*files));

	if (!files)
		return NULL;
	c->files = files;
	files[c->nr_files] = strdup(path);
	return files[c->nr_files] ? files[c->nr_files++] : NULL;
}

static struct apply_line *conf_new_line(struct apply_conf *c,
					enum apply_kind kind,
					const char *file, unsigned int line)
{
	struct apply_line *l;

	if (c->nr_lines == c->alloc_lines) {
		int n = c->alloc_lines ? 2 * c->alloc_lines : 16;

		l = realloc(c->lines, (size_t)n * sizeof(*l));
		if (!l)
			return NULL;
		c->lines = l;
		c->alloc_lines = n;
	}
	l = &c->lines[c->nr_lines++];
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->file = file;
	l->line = line;
	return l;
}

/*
 * Lines and --member name a device however the admin typed it
 * ("0000:AF:00.0"); sysfs and the module write lower case.
 */
int poolctl_apply_canon_bdf(const char *s, char *out, size_t len)
{
	unsigned int domain, bus, dev, fn;

	if (pool_pci_check_address(s) ||
	    sscanf(s, "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4)
		return -EINVAL;
	if (snprintf(out, len, "%04x:%02x:%02x.%x", domain, bus, dev, fn) >=
	    (int)len)
		return -EINVAL;
	return 0;
}

/*
 * A member as a line names it: node:N (the member of NUMA node N),
 * pci:DDDD:BB:DD.F (the one peer member of a device), name:NAME (the
 * member's stable name) or id:N (valid until the module is reloaded).
 */
int poolctl_apply_parse_member(const char *s, struct apply_member *sel)
{
	unsigned int n;
	size_t len;

	memset(sel, 0, sizeof(*sel));
	if (!strncmp(s, "node:", 5) && !poolctl_parse_uint(s + 5, &n) &&
	    n <= INT_MAX) {
		sel->by = APPLY_BY_NODE;
		sel->num = n;
	} else if (!strncmp(s, "id:", 3) && !poolctl_parse_uint(s + 3, &n)) {
		sel->by = APPLY_BY_ID;
		sel->num = n;
	} else if (!strncmp(s, "pci:", 4)) {
		memcpy(sel->text, "pci:", 4);
		if (poolctl_apply_canon_bdf(s + 4, sel->text + 4,
					    sizeof(sel->text) - 4))
			return -EINVAL;
		sel->by = APPLY_BY_PCI;
		return 0;
	} else if (!strncmp(s, "name:", 5)) {
		len = strlen(s + 5);
		if (!len || len >= sizeof(sel->text) - 5 ||
		    strspn(s + 5, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:.-_") != len)
			return -EINVAL;
		sel->by = APPLY_BY_NAME;
	} else {
		return -EINVAL;
	}
	snprintf(sel->text, sizeof(sel->text), "%s", s);
	return 0;
}

static int parse_member(struct apply_conf *c, struct apply_line *l,
			const char *s)
{
	if (!poolctl_apply_parse_member(s, &l->member))
		return 0;
	return conf_err(c, l->file, l->line, "bad member '%s' (node:N, "
			"pci:DDDD:BB:DD.F, name:NAME or id:N)", s);
}

/* A decimal of 1 or more, as the module takes figures. */
static int parse_figure(struct apply_conf *c, struct apply_line *l,
			const char *what, const char *s,
			unsigned long long *val)
{
	char *end;

	errno = 0;
	if (isdigit((unsigned char)*s)) {
		*val = strtoull(s, &end, 10);
		if (!errno && !*end && *val > 0)
			return 0;
	}
	return conf_err(c, l->file, l->line, "bad %s '%s' (a whole number "
			"above 0)", what, s);
}

/* A decimal in [@min, @max]. */
static int parse_range(struct apply_conf *c, struct apply_line *l,
		       const char *what, const char *s, unsigned int min,
		       unsigned int max, unsigned int *val)
{
	if (!poolctl_parse_uint(s, val) && *val >= min && *val <= max)
		return 0;
	return conf_err(c, l->file, l->line, "bad %s '%s' (%u to %u)", what, s,
			min, max);
}

static int parse_limit(struct apply_conf *c, struct apply_line *l,
		       char **tok, int n)
{
	int rc;

	if (n != 3)
		return conf_err(c, l->file, l->line, "limit takes a member "
				"and a size: limit <member> <size>|none");
	if (parse_member(c, l, tok[1]))
		return -EINVAL;
	if (!strcmp(tok[2], "none"))
		return 0;
	rc = pool_parse_size(tok[2], &l->bytes);
	if (rc)
		return conf_err(c, l->file, l->line, "bad size '%s' (bytes, "
				"or with K, M, G, T: 512M; none: no limit)",
				tok[2]);
	return 0;
}

static int parse_bar(struct apply_conf *c, struct apply_line *l, char **tok,
		     int n)
{
	unsigned int bar;

	if (n != 2 && n != 3)
		return conf_err(c, l->file, l->line, "bar takes a device and "
				"an optional BAR index: bar pci:DDDD:BB:DD.F "
				"[<0-5>]");
	if (strncmp(tok[1], "pci:", 4) ||
	    poolctl_apply_canon_bdf(tok[1] + 4, l->bdf, sizeof(l->bdf)))
		return conf_err(c, l->file, l->line, "bad device '%s' "
				"(pci:DDDD:BB:DD.F)", tok[1]);
	l->bar = -1;
	if (n == 3) {
		if (parse_range(c, l, "BAR index", tok[2], 0, MAX_BAR, &bar))
			return -EINVAL;
		l->bar = (int)bar;
	}
	return 0;
}

static int parse_measured(struct apply_conf *c, struct apply_line *l,
			  char **tok, int n)
{
	unsigned int node;

	if (n != 5)
		return conf_err(c, l->file, l->line, "measured takes a member,"
				" an initiator node, a latency and a bandwidth:"
				" measured <member> <node> <ns> <MB/s>");
	if (parse_member(c, l, tok[1]))
		return -EINVAL;
	if (poolctl_parse_uint(tok[2], &node) || node > INT_MAX)
		return conf_err(c, l->file, l->line, "bad initiator node "
				"'%s'", tok[2]);
	l->initiator = (int)node;
	if (parse_figure(c, l, "latency", tok[3], &l->latency_ns) ||
	    parse_figure(c, l, "bandwidth", tok[4], &l->bandwidth_mbps))
		return -EINVAL;
	return 0;
}

/*
 * Files of the member directory that have a directive of their own or
 * that are not settings: attr refuses them.
 */
static const char *const attr_not_settable[] = {
	"id", "kind", "name", "node", "memory", "capacity", "used", "free",
	"limit", "measured", "drain", "moved_in", "moved_out", "refused",
	"pci", "bar", "peer_distance", "uevent",
};

static int parse_attr(struct apply_conf *c, struct apply_line *l,
		      char **tok, int n)
{
	size_t i, len;

	if (n != 4)
		return conf_err(c, l->file, l->line, "attr takes a member, an"
				" attribute and a value: attr <member> <name> "
				"<value>");
	if (parse_member(c, l, tok[1]))
		return -EINVAL;
	len = strlen(tok[2]);
	if (len >= sizeof(l->attr) ||
	    strspn(tok[2], "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		return conf_err(c, l->file, l->line, "bad attribute name "
				"'%s' (a file of the member's sysfs "
				"directory)", tok[2]);
	for (i = 0; i < ARRAY_SIZE(attr_not_settable); i++)
		if (!strcmp(tok[2], attr_not_settable[i]))
			return conf_err(c, l->file, l->line, "attr cannot set "
					"'%s'%s", tok[2],
					strcmp(tok[2], "limit") &&
					strcmp(tok[2], "measured") ? "" :
					": it has a directive of its own");
	if (strlen(tok[3]) >= sizeof(l->value))
		return conf_err(c, l->file, l->line, "value too long");
	snprintf(l->attr, sizeof(l->attr), "%s", tok[2]);
	snprintf(l->value, sizeof(l->value), "%s", tok[3]);
	return 0;
}

/*
 * The module's pool-wide tiering knobs, files of /sys/kernel/scalepool/
 * (kernel/tier.c: SP_TIER_RATE_MAX, SP_TIER_SCAN_MS_MIN and _MAX; the
 * module checks them again).  Checked here so that a typo is an error
 * of the line before anything is written.
 */
static const struct {
	const char *knob, *file;
	unsigned int min, max;
} tier_knobs[] = {
	{ "rate-limit-MBps", "tier_rate_limit_MBps", 0, 1U << 20 },
	{ "scan-ms", "tier_scan_ms", 10, 60000 },
};

static int parse_tier(struct apply_conf *c, struct apply_line *l,
		      char **tok, int n)
{
	unsigned int val;
	size_t i;

	if (n != 3)
		return conf_err(c, l->file, l->line, "tier takes a knob and a "
				"number: tier rate-limit-MBps|scan-ms <number>");
	for (i = 0; i < ARRAY_SIZE(tier_knobs); i++)
		if (!strcmp(tok[1], tier_knobs[i].knob))
			break;
	if (i == ARRAY_SIZE(tier_knobs))
		return conf_err(c, l->file, l->line, "unknown tier knob "
				"'%.32s' (rate-limit-MBps or scan-ms)", tok[1]);
	if (parse_range(c, l, tier_knobs[i].knob, tok[2], tier_knobs[i].min,
			tier_knobs[i].max, &val))
		return -EINVAL;
	l->knob = tier_knobs[i].knob;
	snprintf(l->attr, sizeof(l->attr), "%s", tier_knobs[i].file);
	/* As the module shows it: "064" is 64, no change. */
	snprintf(l->value, sizeof(l->value), "%u", val);
	return 0;
}

static int parse_file(struct apply_conf *c, const char *path, bool measured,
		      const char *from, unsigned int from_line);

/* measured-file <path>: relative to the directory of the naming file. */
static int parse_measured_file(struct apply_conf *c, const char *file,
			       unsigned int line, char **tok, int n,
			       bool measured_only)
{
	char path[PATH_MAX];
	const char *slash;

	if (measured_only)
		return conf_err(c, file, line, "a measured-file holds "
				"measured lines only");
	if (n != 2)
		return conf_err(c, file, line, "measured-file takes one "
				"path: measured-file <path>");
	slash = strrchr(file, '/');
	if (tok[1][0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", tok[1]);
	else if (snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - file),
			  file, tok[1]) >= (int)sizeof(path))
		return conf_err(c, file, line, "path too long");
	return parse_file(c, path, true, file, line);
}

/* Whitespace-separated words, up to a '#': their number. */
static int split_line(char *s, char **tok)
{
	int n = 0;
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	for (s = strtok(s, " \t\r\n"); s; s = strtok(NULL, " \t\r\n")) {
		if (n == MAX_TOKENS)
			return MAX_TOKENS + 1;
		tok[n++] = s;
	}
	return n;
}

static int parse_line(struct apply_conf *c, const char *file,
		      unsigned int line, char *s, bool measured_only)
{
	static const char *const keys[] = {
		[APPLY_LIMIT] = "limit", [APPLY_BAR] = "bar",
		[APPLY_MEASURED] = "measured", [APPLY_ATTR] = "attr",
		[APPLY_TIER] = "tier",
	};
	char *tok[MAX_TOKENS];
	struct apply_line *l;
	size_t k;
	int n = split_line(s, tok);

	if (!n)
		return 0;
	if (n > MAX_TOKENS)
		return conf_err(c, file, line, "too many words");
	if (!strcmp(tok[0], "measured-file"))
		return parse_measured_file(c, file, line, tok, n,
					   measured_only);
	for (k = 0; k < ARRAY_SIZE(keys); k++)
		if (!strcmp(tok[0], keys[k]))
			break;
	if (k == ARRAY_SIZE(keys))
		return conf_err(c, file, line, "unknown key '%.32s' (limit, "
				"bar, measured, measured-file, attr or tier)",
				tok[0]);
	if (measured_only && k != APPLY_MEASURED)
		return conf_err(c, file, line, "a measured-file holds "
				"measured lines only");
	l = conf_new_line(c, (enum apply_kind)k, file, line);
	if (!l)
		return -ENOMEM;
	switch (l->kind) {
	case APPLY_LIMIT:
		return parse_limit(c, l, tok, n);
	case APPLY_BAR:
		return parse_bar(c, l, tok, n);
	case APPLY_MEASURED:
		return parse_measured(c, l, tok, n);
	case APPLY_ATTR:
		return parse_attr(c, l, tok, n);
	case APPLY_TIER:
		return parse_tier(c, l, tok, n);
	}
	return 0;
}

/* A line of printable ASCII and tabs, of at most LINE_MAX_LEN. */
static int check_text(struct apply_conf *c, const char *file,
		      unsigned int line, const char *s, size_t len)
{
	size_t i;

	if (len > LINE_MAX_LEN)
		return conf_err(c, file, line, "line too long (at most %d "
				"characters)", LINE_MAX_LEN);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch != '\t' && ch != '\n' && ch != '\r' &&
		    (ch < 0x20 || ch > 0x7e))
			return conf_err(c, file, line, "not text: byte 0x%02x "
					"at column %zu", ch, i + 1);
	}
	return 0;
}

static int parse_file(struct apply_conf *c, const char *path, bool measured,
		      const char *from, unsigned int from_line)
{
	unsigned int line = 0;
	const char *file;
	char *buf = NULL;
	size_t size = 0;
	ssize_t len;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f) {
		rc = errno;
		if (from)
			return conf_err(c, from, from_line, "cannot read "
					"measured-file %s: %s", path,
					strerror(rc));
		fprintf(c->err, "poolctl apply: cannot read %s: %s\n", path,
			strerror(rc));
		c->nr_errors++;
		return -rc;
	}
	file = conf_file_name(c, path);
	while (file && (len = getline(&buf, &size, f)) >= 0) {
		line++;
		if (check_text(c, file, line, buf, (size_t)len))
			continue;
		if (parse_line(c, file, line, buf, measured) == -ENOMEM)
			rc = -ENOMEM;
	}
	if (!file || ferror(f))
		rc = rc ?: -EIO;
	free(buf);
	fclose(f);
	if (rc) {
		fprintf(c->err, "poolctl apply: cannot read %s: %s\n", path,
			strerror(-rc));
		c->nr_errors++;
	}
	return rc;
}

int poolctl_apply_read(struct apply_conf *c, const char *path)
{
	return parse_file(c, path, false, NULL, 0);
}

static int conf_d_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	       !strcmp(d->d_name + len - 5, ".conf");
}

/*
 * The default configuration: @dir/scalepool.conf, then
 * @dir/conf.d/ *.conf in the C locale's order.  Neither is an error (a
 * server without configuration); an unreadable one is.
 */
int poolctl_apply_read_dir(struct apply_conf *c, const char *dir)
{
	char path[PATH_MAX];
	struct dirent **names;
	int i, n, rc = 0;

	snprintf(path, sizeof(path), "%s/scalepool.conf", dir);
	if (access(path, F_OK) == 0 || errno != ENOENT)
		rc = poolctl_apply_read(c, path);
	snprintf(path, sizeof(path), "%s/conf.d", dir);
	n = scandir(path, &names, conf_d_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return rc;
		fprintf(c->err, "poolctl apply: cannot read %s: %s\n", path,
			strerror(errno));
		c->nr_errors++;
		return -errno;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/conf.d/%s", dir,
			 names[i]->d_name);
		if (poolctl_apply_read(c, path) == -ENOMEM)
			rc = -ENOMEM;
		free(names[i]);
	}
	free(names);
	return rc;
}

void poolctl_apply_conf_free(struct apply_conf *c)
{
	int i;

	for (i = 0; i < c->nr_files; i++)
		free(c->files[i]);
	free(c->files);
	free(c->lines);
	memset(c, 0, sizeof(*c));
}
