/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl apply: the configuration (apply-conf.c reads it, apply.c
 * compares it with the pool and writes the differences).  The format
 * is scalepool.conf(5).
 */
#ifndef _POOLCTL_APPLY_H_
#define _POOLCTL_APPLY_H_

#include <stdbool.h>
#include <stdio.h>

#define POOLCTL_APPLY_DIR	"/etc/scalepool"

enum apply_kind {
	APPLY_LIMIT,
	APPLY_BAR,
	APPLY_MEASURED,
	APPLY_ATTR,
	APPLY_TIER,
};

enum apply_by {
	APPLY_BY_NODE,		/* node:N */
	APPLY_BY_PCI,		/* pci:DDDD:BB:DD.F */
	APPLY_BY_NAME,		/* name:NAME */
	APPLY_BY_ID,		/* id:N */
};

struct apply_member {
	enum apply_by by;
	unsigned int num;	/* node:, id: */
	char text[80];		/* as written ("node:2"), pci: as sysfs */
};

struct pool_member;

struct apply_line {
	enum apply_kind kind;
	const char *file;		/* in apply_conf's files */
	unsigned int line;
	struct apply_member member;	/* all but bar and tier */
	unsigned long long bytes;	/* limit: 0 for none */
	char bdf[24];			/* bar */
	int bar;			/* bar: -1 for the module's choice */
	int initiator;			/* measured */
	unsigned long long latency_ns, bandwidth_mbps;
	char attr[64], value[256];	/* attr; tier: file, decimal */
	const char *knob;		/* tier: "scan-ms" */
	/* apply.c: */
	struct pool_member *m;		/* the member, when present */
	unsigned int id;		/* its id (@m dies with a refresh) */
	const struct apply_line *adds;	/* or the bar line that adds it */
	bool skip;			/* absent, or not --member's */
};

struct apply_conf {
	FILE *err;			/* where errors go (stderr) */
	unsigned int nr_errors;
	struct apply_line *lines;
	int nr_lines, alloc_lines;
	char **files;
	int nr_files;
};

/*
 * Reading (apply-conf.c): each error is one line on @c->err naming the
 * file and line, counted in @c->nr_errors; the return value is -ENOMEM
 * or an unreadable file's -errno, else 0 (errors or not).
 */
int poolctl_apply_read(struct apply_conf *c, const char *path);
/* @dir/scalepool.conf, then @dir/conf.d/ *.conf by name. */
int poolctl_apply_read_dir(struct apply_conf *c, const char *dir);
void poolctl_apply_conf_free(struct apply_conf *c);
/* "node:2" and the others: 0 or -EINVAL. */
int poolctl_apply_parse_member(const char *s, struct apply_member *sel);
/*
 * PCI address @s as sysfs writes it into @out (@len bytes): lower-case
 * hex, a domain of four digits or more.  0, or -EINVAL when @s is not
 * an address.
 */
int poolctl_apply_canon_bdf(const char *s, char *out, size_t len);

/*
 * Where apply reads and writes: the module's sysfs directory and the
 * PCI devices (host tests point them into fake trees).
 */
struct apply_roots {
	const char *sysfs;		/* "/sys/kernel/scalepool" */
	const char *pci_devices;	/* "/sys/bus/pci/devices" */
};
extern struct apply_roots poolctl_apply_roots;

struct apply_opts {
	bool dry_run;
	bool allow_absent;		/* an absent member is not an error */
	int member;			/* --member: only this id; -1 all */
	/*
	 * --member pci:BDF: only the bar lines of BDF and the lines of
	 * the members they add (or added before); NULL for all.
	 */
	const char *pci;
};

/* Does a bar line of @c name @bdf? (Case-insensitive hex digits.) */
bool poolctl_apply_names_pci(const struct apply_conf *c, const char *bdf);

struct pool_ctx;
/*
 * Compares @c with the pool of @ctx and, unless @o->dry_run, writes
 * the differences; a line on @out for each (dry run: what would
 * change), then a summary line.  Nothing is written when the
 * configuration has an error.  0, or 1 after the errors on @c->err.
 */
int poolctl_apply_conf(struct apply_conf *c, struct pool_ctx *ctx,
		       const struct apply_opts *o, FILE *out);

#endif /* _POOLCTL_APPLY_H_ */
