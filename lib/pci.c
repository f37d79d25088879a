// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: peer members (PCI device memory): their sysfs files, and
 * adding and removing "bar" members.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <linux/scalepool.h>

#include "private.h"

/* "<id> <distance>" lines of members/<id>/peer_distance. */
static int parse_peer_distance(struct pool_member *m, char *buf)
{
	char *line, *save = NULL;
	unsigned int id;
	int dist, n = 0;

	for (line = buf; *line; line++)
		n += *line == '\n';
	n++;
	m->peer_ids = calloc((size_t)n, sizeof(*m->peer_ids));
	m->peer_dist = calloc((size_t)n, sizeof(*m->peer_dist));
	if (!m->peer_ids || !m->peer_dist)
		return -ENOMEM;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char extra;

		if (sscanf(line, "%u %d %c", &id, &dist, &extra) != 2) {
			err(m->ctx, "member %u: bad peer_distance line '%s'\n",
			    m->id, line);
			return -EINVAL;
		}
		m->peer_ids[m->nr_peers] = id;
		m->peer_dist[m->nr_peers++] = dist;
	}
	return 0;
}

static int peer_attr(struct pool_member *m, const char *dir, const char *attr,
		     char *buf)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	return lp_read_attr(m->ctx, path, buf, LP_ATTR_MAX);
}

int lp_member_load_peer(struct pool_member *m, const char *dir)
{
	char buf[LP_ATTR_MAX];
	int rc;

	m->bar = -1;
	if (strcmp(m->kind, "bar") && strcmp(m->kind, "p2pmem"))
		return 0;
	rc = peer_attr(m, dir, "pci", buf);
	if (rc)
		return rc;
	m->pci = strdup(buf);
	if (!m->pci)
		return -ENOMEM;
	rc = peer_attr(m, dir, "bar", buf);
	if (!rc)
		rc = lp_parse_int(buf, &m->bar);
	if (!rc)
		rc = peer_attr(m, dir, "peer_distance", buf);
	if (!rc)
		rc = parse_peer_distance(m, buf);
	return rc;
}

void lp_member_clear_peer(struct pool_member *m)
{
	free(m->pci);
	free(m->peer_ids);
	free(m->peer_dist);
	m->pci = NULL;
	m->peer_ids = NULL;
	m->peer_dist = NULL;
	m->nr_peers = 0;
}

const char *pool_member_get_pci(struct pool_member *m)
{
	return m ? m->pci : NULL;
}

int pool_member_get_bar(struct pool_member *m)
{
	return m ? m->bar : -1;
}

int pool_member_get_peer_distance(struct pool_member *m,
				  struct pool_member *peer)
{
	int i;

	if (!m || !peer)
		return -EINVAL;
	for (i = 0; i < m->nr_peers; i++)
		if (m->peer_ids[i] == peer->id)
			return m->peer_dist[i];
	return -ENOENT;
}

static bool hex_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * "DDDD:BB:DD.F" as sysfs names PCI devices ("%04x:%02x:%02x.%d"): a
 * domain of 4 to 8 hex digits up to 0x7fffffff (Linux's domain numbers
 * are ints; VMD's start at 0x10000), nothing else.
 */
static bool parse_bdf(const char *s, unsigned int *domain, unsigned int *bus,
		      unsigned int *devfn)
{
	size_t dlen = strcspn(s, ":");
	unsigned long d;

	if (dlen < 4 || dlen > 8 || strlen(s) != dlen + 8 ||
	    !hex_digits(s, dlen) || s[dlen] != ':' ||
	    !hex_digits(s + dlen + 1, 2) || s[dlen + 3] != ':' ||
	    !hex_digits(s + dlen + 4, 2) || s[dlen + 6] != '.' ||
	    s[dlen + 7] < '0' || s[dlen + 7] > '7')
		return false;
	d = strtoul(s, NULL, 16);
	if (d > SCALEPOOL_PCI_DOMAIN_MAX)
		return false;
	*domain = (unsigned int)d;
	*bus = (unsigned int)strtoul(s + dlen + 1, NULL, 16);
	*devfn = (unsigned int)strtoul(s + dlen + 4, NULL, 16);
	if (*devfn > 0x1f)
		return false;
	*devfn = (*devfn << 3) | (unsigned int)(s[dlen + 7] - '0');
	return true;
}

int pool_pci_check_address(const char *bdf)
{
	unsigned int d, b, devfn;

	return bdf && parse_bdf(bdf, &d, &b, &devfn) ? 0 : -EINVAL;
}

int lp_parse_bdf(const char *bdf, unsigned int *domain, unsigned int *bdf16)
{
	unsigned int d, b, devfn;

	if (!parse_bdf(bdf, &d, &b, &devfn))
		return -EINVAL;
	*domain = d;
	*bdf16 = SCALEPOOL_PCI_BDF(b, devfn);
	return 0;
}

__attribute__((format(printf, 4, 5)))
static int pci_path(struct pool_ctx *ctx, char *path, size_t len,
		    const char *fmt, ...)
{
	char tail[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(tail) ||
	    snprintf(path, len, "%s/%s", ctx->roots.pci, tail) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * The driver a device is bound to, in @drv: "" for none.
 * Return: 0, -ENODEV when there is no such device.
 */
static int pci_driver_of(struct pool_ctx *ctx, const char *bdf, char *drv,
			 size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct stat st;
	const char *base;
	ssize_t n;
	int rc;

	rc = pci_path(ctx, path, sizeof(path), "devices/%s", bdf);
	if (rc)
		return rc;
	if (stat(path, &st) < 0)
		return -ENODEV;
	rc = pci_path(ctx, path, sizeof(path), "devices/%s/driver", bdf);
	if (rc)
		return rc;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		drv[0] = '\0';
		return 0;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	snprintf(drv, len, "%s", base ? base + 1 : link);
	return 0;
}

/* Give @bdf (unbound) to the scalepool PCI driver. */
static int pci_bind_scalepool(struct pool_ctx *ctx, const char *bdf)
{
	char path[PATH_MAX];
	int rc;

	rc = pci_path(ctx, path, sizeof(path), "devices/%s/driver_override",
		      bdf);
	if (!rc)
		rc = lp_write_attr(ctx, path, "scalepool");
	if (rc)
		return rc;
	rc = pci_path(ctx, path, sizeof(path), "drivers/scalepool/bind");
	if (!rc)
		rc = lp_write_attr(ctx, path, bdf);
	return rc;
}

/* Unbind @bdf from scalepool and clear its driver_override. */
static void pci_unbind_scalepool(struct pool_ctx *ctx, const char *bdf)
{
	char path[PATH_MAX], drv[PATH_MAX];

	if (!pci_driver_of(ctx, bdf, drv, sizeof(drv)) &&
	    !strcmp(drv, "scalepool") &&
	    !pci_path(ctx, path, sizeof(path), "drivers/scalepool/unbind"))
		lp_write_attr(ctx, path, bdf);
	if (!pci_path(ctx, path, sizeof(path), "devices/%s/driver_override",
		      bdf))
		lp_write_attr(ctx, path, "\n");
}

/* The id of the newest bar member of @bdf (BAR @bar, or any for -1). */
static int find_bar_member(struct pool_ctx *ctx, const char *bdf, int bar,
			   unsigned int *id)
{
	struct pool_member *m, *found = NULL;
	int rc;

	rc = pool_refresh(ctx);
	if (rc)
		return rc;
	pool_member_foreach(ctx, m) {
		if (m->pci && !strcmp(m->kind, "bar") &&
		    !strcmp(m->pci, bdf) && (bar < 0 || m->bar == bar))
			found = m;
	}
	if (!found)
		return -ENOENT;
	*id = found->id;
	return 0;
}

#define LOCKDOWN_FILE		"/sys/kernel/security/lockdown"
#define IORESOURCE_MEM		0x200
#define IORESOURCE_PREFETCH	0x2000
#define PCI_NR_BARS		6
#define BAR_MIN_SIZE		(1ULL << 20)

/* Size and flags of a BAR as the device's resource file gives them. */
struct pci_bar {
	unsigned long long size;
	unsigned long long flags;
};

static int pci_read_bars(struct pool_ctx *ctx, const char *bdf,
			 struct pci_bar *bars)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX];
	FILE *f;
	int i;

	memset(bars, 0, PCI_NR_BARS * sizeof(*bars));
	if (pci_path(ctx, path, sizeof(path), "devices/%s/resource", bdf))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; i < PCI_NR_BARS; i++) {
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		bars[i].size = end > start ? end - start + 1 : 0;
		bars[i].flags = flags;
	}
	fclose(f);
	return 0;
}

static bool bar_is_mem(const struct pci_bar *b)
{
	return (b->flags & IORESOURCE_MEM) && b->size;
}

static bool bar_prefetchable(const struct pci_bar *b)
{
	return b->flags & IORESOURCE_PREFETCH;
}

/*
 * "BAR 0 (256 bytes), BAR 2 (16384 bytes)", or with @small "BAR 0 is 256
 * bytes, ...": the memory BARs that are prefetchable (or not, @prefetch
 * false) and, when @small, under 1 MiB; how many, the last one's index
 * in *@last.
 */
static int describe_bars(const struct pci_bar *bars, bool prefetch,
			 bool small, char *buf, size_t len, int *last)
{
	size_t used = 0;
	int i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < PCI_NR_BARS; i++) {
		if (!bar_is_mem(&bars[i]) ||
		    bar_prefetchable(&bars[i]) != prefetch ||
		    (small && bars[i].size >= BAR_MIN_SIZE) || used >= len)
			continue;
		used += (size_t)snprintf(buf + used, len - used,
					 "%sBAR %d %s%llu bytes%s",
					 n ? ", " : "", i, small ? "is " : "(",
					 bars[i].size, small ? "" : ")");
		*last = i;
		n++;
	}
	return n;
}

/* The lockdown mode in force ("integrity"), or NULL for none. */
static const char *lockdown_mode(char *buf, size_t len)
{
	char line[128], *l, *r;
	FILE *f = fopen(LOCKDOWN_FILE, "re");

	if (!f)
		return NULL;
	l = fgets(line, sizeof(line), f) ? strchr(line, '[') : NULL;
	fclose(f);
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return NULL;
	*r = '\0';
	snprintf(buf, len, "%s", l + 1);
	return strcmp(buf, "none") ? buf : NULL;
}

/* Why @what (a device or "member N") was refused with EPERM or EACCES. */
static int pci_explain_perm(struct pool_ctx *ctx, const char *what, int rc)
{
	char mode[32];

	if (geteuid())
		err(ctx, "%s: not root: %s\n", what, strerror(-rc));
	else if (lockdown_mode(mode, sizeof(mode)))
		err(ctx, "%s: refused by kernel lockdown (%s): %s\n", what,
		    mode, strerror(-rc));
	else
		err(ctx, "%s: %s\n", what, strerror(-rc));
	return rc;
}

/*
 * add_bar's EEXIST without a BAR named: the bar members of @bdf that the
 * context knows (no refresh: the caller's member pointers stay valid).
 */
static void explain_exists(struct pool_ctx *ctx, const char *bdf, int rc)
{
	char list[64] = "";
	struct pool_member *m;
	size_t used = 0;
	int n = 0, bar = -1;

	pool_member_foreach(ctx, m) {
		if (!m->pci || strcmp(m->kind, "bar") || strcmp(m->pci, bdf) ||
		    used >= sizeof(list))
			continue;
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%d", n++ ? ", " : "", m->bar);
		bar = m->bar;
	}
	if (n == 1)
		err(ctx, "%s: BAR %d is already a member: %s\n", bdf, bar,
		    strerror(-rc));
	else if (n)
		err(ctx, "%s: already a member (BARs %s): %s\n", bdf, list,
		    strerror(-rc));
	else
		err(ctx, "%s: already a member: %s\n", bdf, strerror(-rc));
}

/* add_bar's refusal of a BAR not named (@bar < 0), from the BARs. */
static void explain_unnamed(struct pool_ctx *ctx, const char *bdf,
			    const struct pci_bar *bars, int rc)
{
	char list[256];
	int n, last = -1;

	switch (-rc) {
	case EOPNOTSUPP:
		n = describe_bars(bars, false, false, list, sizeof(list),
				  &last);
		err(ctx, "%s: %s %s not prefetchable and may hold registers; "
		    "name %s with --bar %d if it is memory: %s\n", bdf, list,
		    n > 1 ? "are" : "is", n > 1 ? "one" : "it", last,
		    strerror(-rc));
		break;
	case ERANGE:
		describe_bars(bars, true, true, list, sizeof(list), &last);
		err(ctx, "%s: %s (< 1 MiB): %s\n", bdf, list, strerror(-rc));
		break;
	default:
		err(ctx, "%s has no memory BAR: %s\n", bdf, strerror(-rc));
		break;
	}
}

/*
 * Logs at LOG_ERR why adding BAR @bar (-1: the kernel's pick) of @bdf
 * failed with @rc, in the words a user can act on; returns @rc.  The
 * BARs are described from the resource file, never guessed: which BAR
 * the kernel picks is its rule alone.
 */
static int pci_explain(struct pool_ctx *ctx, const char *bdf, int bar, int rc)
{
	struct pci_bar bars[PCI_NR_BARS];

	switch (-rc) {
	case EPERM:
	case EACCES:
		return pci_explain_perm(ctx, bdf, rc);
	case ENODEV:
		err(ctx, "%s: not bound to the scalepool PCI driver (is the "
		    "module loaded?): %s\n", bdf, strerror(-rc));
		return rc;
	case EEXIST:
		if (bar < 0) {
			explain_exists(ctx, bdf, rc);
			return rc;
		}
		err(ctx, "%s: BAR %d is already a member: %s\n", bdf, bar,
		    strerror(-rc));
		return rc;
	case EBUSY:
		if (bar < 0)
			err(ctx, "%s: its memory BAR is claimed by another "
			    "user: %s\n", bdf, strerror(-rc));
		else
			err(ctx, "%s: BAR %d is claimed by another user: %s\n",
			    bdf, bar, strerror(-rc));
		return rc;
	}
	if ((rc == -ENXIO || rc == -ERANGE || rc == -EOPNOTSUPP) &&
	    !pci_read_bars(ctx, bdf, bars)) {
		if (bar < 0)
			explain_unnamed(ctx, bdf, bars, rc);
		else if (rc == -ERANGE)
			err(ctx, "%s: BAR %d is %llu bytes (< 1 MiB)%s: %s\n",
			    bdf, bar, bars[bar].size,
			    bar_prefetchable(&bars[bar]) ? "" :
			    ", not prefetchable: registers?", strerror(-rc));
		else
			err(ctx, "%s: BAR %d is not a memory BAR: %s\n", bdf,
			    bar, strerror(-rc));
		return rc;
	}
	err(ctx, "cannot add %s: %s\n", bdf, strerror(-rc));
	return rc;
}

/* Binds @bdf to scalepool unless it is already; *@bound_here if it was. */
static int pci_claim(struct pool_ctx *ctx, const char *bdf, bool *bound_here)
{
	char drv[PATH_MAX];
	int rc;

	rc = pci_driver_of(ctx, bdf, drv, sizeof(drv));
	if (rc == -ENODEV) {
		err(ctx, "no such device %s: %s\n", bdf, strerror(ENODEV));
		return rc;
	}
	if (rc)
		return pci_explain(ctx, bdf, -1, rc);
	if (drv[0] && strcmp(drv, "scalepool")) {
		err(ctx, "%s is bound to driver %s: %s\n", bdf, drv,
		    strerror(EBUSY));
		return -EBUSY;
	}
	if (drv[0])
		return 0;
	rc = pci_bind_scalepool(ctx, bdf);
	if (rc) {
		pci_unbind_scalepool(ctx, bdf);
		if (rc == -EPERM || rc == -EACCES)
			return pci_explain_perm(ctx, bdf, rc);
		err(ctx, "%s: cannot bind to scalepool (is the module "
		    "loaded?): %s\n", bdf, strerror(-rc));
		return rc;
	}
	*bound_here = true;
	return 0;
}

int pool_member_add_bar(struct pool_ctx *ctx, const char *bdf, int bar,
			unsigned int *id)
{
	char path[PATH_MAX], val[32];
	bool bound_here = false;
	int rc;

	if (!ctx)
		return -EINVAL;
	if (pool_pci_check_address(bdf) || bar > 5) {
		err(ctx, "bad device address '%s' or BAR %d: %s\n",
		    bdf ? bdf : "(null)", bar, strerror(EINVAL));
		return -EINVAL;
	}
	rc = pci_claim(ctx, bdf, &bound_here);
	if (rc)
		return rc;

	if (bar < 0)
		snprintf(val, sizeof(val), "%s\n", bdf);
	else
		snprintf(val, sizeof(val), "%s %d\n", bdf, bar);
	if (snprintf(path, sizeof(path), "%s/add_bar", ctx->roots.sysfs) >=
	    (int)sizeof(path))
		rc = -ENAMETOOLONG;
	else
		rc = lp_write_attr(ctx, path, val);
	if (rc) {
		if (bound_here)
			pci_unbind_scalepool(ctx, bdf);
		return pci_explain(ctx, bdf, bar, rc);
	}
	rc = find_bar_member(ctx, bdf, bar, id ? id : &(unsigned int){0});
	if (rc)
		err(ctx, "%s: added, but its member is not in sysfs\n", bdf);
	return rc;
}

/* Does any member in sysfs still use @bdf? */
static bool pci_in_use(struct pool_ctx *ctx, const char *bdf)
{
	struct pool_member *m;

	if (pool_refresh(ctx))
		return true;
	pool_member_foreach(ctx, m)
		if (m->pci && !strcmp(m->pci, bdf))
			return true;
	return false;
}

int pool_member_remove(struct pool_member *m)
{
	struct pool_ctx *ctx;
	char path[PATH_MAX], val[32], *bdf;
	int rc;

	if (!m)
		return -EINVAL;
	ctx = m->ctx;
	if (!m->pci || strcmp(m->kind, "bar"))
		return -EINVAL;
	/* @m goes with the refresh below. */
	bdf = strdup(m->pci);
	if (!bdf)
		return -ENOMEM;
	snprintf(val, sizeof(val), "%u\n", m->id);
	if (snprintf(path, sizeof(path), "%s/remove_member",
		     ctx->roots.sysfs) >= (int)sizeof(path))
		rc = -ENAMETOOLONG;
	else
		rc = lp_write_attr(ctx, path, val);
	val[strcspn(val, "\n")] = '\0';
	if (rc == -EPERM || rc == -EACCES)
		pci_explain_perm(ctx, bdf, rc);
	else if (rc)
		err(ctx, "cannot remove member %s: %s\n", val, strerror(-rc));
	if (!rc && !pci_in_use(ctx, bdf))
		pci_unbind_scalepool(ctx, bdf);
	free(bdf);
	return rc;
}
