// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl member: add and remove peer members (PCI BARs).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <libpool.h>
#include <linux/scalepool.h>

#include "poolctl.h"

#define CMD "member"
#define PCI_DEVICES "/sys/bus/pci/devices"
#define LOCKDOWN_FILE "/sys/kernel/security/lockdown"

const char usage_member[] =
"usage: poolctl member add pci:<DDDD:BB:DD.F> [--bar <N>]\n"
"       poolctl member remove <id>|<name>\n"
"\n"
"add: make a BAR of a PCI device a \"bar\" member of the pool.  The\n"
"device must be unbound (it is bound to the scalepool PCI driver) or\n"
"bound to scalepool already.  Without --bar, its largest prefetchable\n"
"memory BAR (one that is not prefetchable may hold registers: it is\n"
"added only when named with --bar); a BAR must be at least 1 MiB.\n"
"Prints the new member as JSON,\n"
"{\"id\", \"name\", \"pci\", \"bar\", \"capacity\"}.\n"
"\n"
"remove: remove a bar member.  Mappings of its allocations are revoked\n"
"(accesses get SIGBUS).  The device is unbound from scalepool when it\n"
"has no other member.  Node members cannot be removed; p2pmem members\n"
"come and go with the driver that publishes their memory.\n"
"\n"
"Both need root.\n"
"\n"
"    -b, --bar <N>  the BAR index, 0 to 5\n"
"    -h, --help     show this help\n";

/* The driver @bdf is bound to, in @buf ("" for none). */
static void pci_driver_name(const char *bdf, char *buf, size_t len)
{
	char path[256], link[256];
	const char *base;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(buf, len, "%s", base ? base + 1 : link);
}

/* Size and flags of BAR @bar from the device's resource file. */
static int pci_bar_info(const char *bdf, int bar, unsigned long long *size,
			unsigned long long *flags)
{
	unsigned long long start, end, fl;
	char path[256];
	int i, rc = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i <= bar; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &fl) != 3)
			break;
		if (i == bar) {
			*size = end > start ? end - start + 1 : 0;
			*flags = fl;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

#define IORESOURCE_MEM		0x200
#define IORESOURCE_PREFETCH	0x2000

/*
 * The BAR the kernel picks by default: the largest memory BAR that is
 * @prefetchable (the kernel's rule for true; for false, the one it
 * refused), or -1.
 */
static int pci_default_bar(const char *bdf, bool prefetchable)
{
	unsigned long long size, flags, best_size = 0;
	int i, best = -1;

	for (i = 0; i < 6; i++) {
		if (pci_bar_info(bdf, i, &size, &flags) ||
		    !(flags & IORESOURCE_MEM) || !size ||
		    !(flags & IORESOURCE_PREFETCH) != !prefetchable)
			continue;
		if (best < 0 || size > best_size) {
			best = i;
			best_size = size;
		}
	}
	return best;
}

/* The lockdown mode in force ("integrity"), or NULL for none. */
static const char *lockdown_mode(char *buf, size_t len)
{
	char line[128], *l, *r;
	FILE *f = fopen(LOCKDOWN_FILE, "re");

	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	l = strchr(line, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r)
		return NULL;
	*r = '\0';
	snprintf(buf, len, "%s", l + 1);
	return strcmp(buf, "none") ? buf : NULL;
}

static int add_error(const char *bdf, int bar, int err)
{
	unsigned long long size = 0, flags = 0;
	char drv[256], mode[32];
	struct stat st;
	char path[256];
	int b = bar;

	if (b < 0)
		b = pci_default_bar(bdf, err != EOPNOTSUPP);
	switch (err) {
	case ENODEV:
		snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
		if (stat(path, &st) < 0)
			return poolctl_cmd_error(CMD, err, "no such device %s",
						 bdf);
		return poolctl_cmd_error(CMD, err, "%s: not bound to the "
					 "scalepool PCI driver (is the "
					 "module loaded?)", bdf);
	case EBUSY:
		pci_driver_name(bdf, drv, sizeof(drv));
		if (drv[0] && strcmp(drv, "scalepool"))
			return poolctl_cmd_error(CMD, err, "%s is bound to "
						 "driver %s", bdf, drv);
		return poolctl_cmd_error(CMD, err, "%s: BAR %d is claimed "
					 "by another user", bdf, b);
	case EINVAL:
		if (b < 0)
			return poolctl_cmd_error(CMD, err, "%s has no memory "
						 "BAR", bdf);
		return poolctl_cmd_error(CMD, err, "%s: BAR %d is not a "
					 "memory BAR", bdf, b);
	case EOPNOTSUPP:
		pci_bar_info(bdf, b, &size, &flags);
		return poolctl_cmd_error(CMD, err, "%s: BAR %d (%llu bytes) is "
					 "not prefetchable and may hold "
					 "registers; name it with --bar %d "
					 "if it is memory", bdf, b, size, b);
	case ERANGE:
		pci_bar_info(bdf, b, &size, &flags);
		return poolctl_cmd_error(CMD, err, "%s: BAR %d is %llu bytes "
					 "(< 1 MiB)%s", bdf, b, size,
					 flags & IORESOURCE_PREFETCH ? "" :
					 ", not prefetchable: registers?");
	case EEXIST:
		return poolctl_cmd_error(CMD, err, "%s: BAR %d is already a "
					 "member", bdf, b);
	case EPERM:
	case EACCES:
		if (lockdown_mode(mode, sizeof(mode)))
			return poolctl_cmd_error(CMD, err, "%s: refused by "
						 "kernel lockdown (%s)", bdf,
						 mode);
		if (geteuid())
			return poolctl_cmd_error(CMD, err, "%s: not root",
						 bdf);
		break;
	}
	return poolctl_cmd_error(CMD, err, "cannot add %s", bdf);
}

static int print_member(struct pool_member *m)
{
	struct json_object *root = json_object_new_object();
	bool ok = root != NULL;

	if (root) {
		pj_add(root, "id", pj_u64(pool_member_get_id(m), &ok), &ok);
		pj_add(root, "name", pj_str(pool_member_get_name(m), &ok), &ok);
		pj_add(root, "pci", pj_str(pool_member_get_pci(m), &ok), &ok);
		pj_add(root, "bar", pj_int(pool_member_get_bar(m), &ok), &ok);
		pj_add(root, "capacity",
		       pj_u64(pool_member_get_capacity(m), &ok), &ok);
	}
	return poolctl_print_json(CMD, root, ok, stdout);
}

/* As sysfs names PCI devices: a domain of 4 to 8 hex digits (an int). */
static bool is_bdf(const char *s)
{
	size_t dlen = strcspn(s, ":"), i;
	unsigned int b, dev, fn;
	int n = 0;

	if (dlen < 4 || dlen > 8 || strlen(s) != dlen + 8)
		return false;
	for (i = 0; i < dlen; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return strtoul(s, NULL, 16) <= SCALEPOOL_PCI_DOMAIN_MAX &&
	       sscanf(s + dlen, ":%2x:%2x.%1u%n", &b, &dev, &fn, &n) == 3 &&
	       n == 8 && isxdigit((unsigned char)s[dlen + 1]) &&
	       isxdigit((unsigned char)s[dlen + 4]) && dev <= 0x1f && fn <= 7;
}

static int member_add(int argc, char **argv, struct pool_ctx **ctx)
{
	static const struct option opts[] = {
		{ "bar", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int id, bar_u;
	const char *bdf;
	int opt, bar = -1, rc;

	/* Options may follow the device: pci:BDF --bar N. */
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			if (poolctl_parse_uint(optarg, &bar_u) || bar_u > 5)
				return poolctl_cmd_error(CMD, EINVAL, "bad BAR "
					"index '%s' (0 to 5)", optarg);
			bar = (int)bar_u;
			break;
		case 'h':
			fputs(usage_member, stdout);
			return 0;
		default:
			return poolctl_option_error(CMD, opt, argv);
		}
	}
	if (optind == argc)
		return poolctl_cmd_error(CMD, EINVAL, "no device given "
					 "(pci:DDDD:BB:DD.F)");
	if (argc - optind > 1)
		return poolctl_cmd_error(CMD, EINVAL, "unexpected argument "
					 "'%s'", argv[optind + 1]);
	if (strncmp(argv[optind], "pci:", 4))
		return poolctl_cmd_error(CMD, EINVAL, "bad device '%s' "
					 "(expected pci:DDDD:BB:DD.F)",
					 argv[optind]);
	bdf = argv[optind] + 4;
	if (!is_bdf(bdf))
		return poolctl_cmd_error(CMD, EINVAL, "bad device '%s' "
					 "(expected pci:DDDD:BB:DD.F)",
					 argv[optind]);

	if (poolctl_open_cmd(CMD, ctx))
		return 1;
	rc = pool_member_add_bar(*ctx, bdf, bar, &id);
	if (rc)
		return add_error(bdf, bar, -rc);
	return print_member(pool_member_get_by_id(*ctx, id));
}

static int member_remove(int argc, char **argv, struct pool_ctx **ctx)
{
	struct pool_member *m = NULL, *it;
	char mode[32];
	unsigned int id;
	const char *arg;
	int rc;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_member, stdout);
		return 0;
	}
	if (argc < 2)
		return poolctl_cmd_error(CMD, EINVAL, "no member given");
	if (argc > 2)
		return poolctl_cmd_error(CMD, EINVAL, "unexpected argument "
					 "'%s'", argv[2]);
	arg = argv[1];
	if (poolctl_open_cmd(CMD, ctx))
		return 1;
	if (!poolctl_parse_uint(arg, &id))
		m = pool_member_get_by_id(*ctx, id);
	else
		pool_member_foreach(*ctx, it)
			if (!strcmp(pool_member_get_name(it), arg))
				m = it;
	if (!m)
		return poolctl_cmd_error(CMD, ENOENT, "no member '%s'", arg);
	if (strcmp(pool_member_get_kind(m), "bar"))
		return poolctl_cmd_error(CMD, EINVAL, "member '%s' is a %s "
			"member: only bar members can be removed", arg,
			pool_member_get_kind(m));
	rc = pool_member_remove(m);
	if (rc == -EPERM || rc == -EACCES) {
		if (lockdown_mode(mode, sizeof(mode)) && geteuid() == 0)
			return poolctl_cmd_error(CMD, -rc, "refused by kernel "
						 "lockdown (%s)", mode);
		return poolctl_cmd_error(CMD, -rc, "not root");
	}
	if (rc)
		return poolctl_cmd_error(CMD, -rc, "cannot remove member '%s'",
					 arg);
	return 0;
}

int cmd_member(int argc, char **argv, struct pool_ctx **ctx)
{
	if (argc < 2)
		return poolctl_cmd_error(CMD, EINVAL, "no subcommand (add or "
					 "remove)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_member, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "add"))
		return member_add(argc - 1, argv + 1, ctx);
	if (!strcmp(argv[1], "remove"))
		return member_remove(argc - 1, argv + 1, ctx);
	return poolctl_cmd_error(CMD, EINVAL, "unknown subcommand '%s' (add "
				 "or remove)", argv[1]);
}
