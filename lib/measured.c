// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: measured access figures of members, in
 * /sys/kernel/scalepool/members/<id>/measured: one line per initiator
 * CPU node, "<node> <latency_ns> <bandwidth_mbps>", ascending node.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static int measured_path(struct pool_member *m, char *path, size_t len)
{
	if (snprintf(path, len, "%s/members/%u/measured", m->ctx->roots.sysfs,
		     m->id) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* One line "<node> <latency> <bandwidth>", figures above zero. */
static int parse_line(char *line, struct lp_measured *out)
{
	char *tok[3] = { NULL }, *save = NULL;
	unsigned long long v[2];
	int i, rc;

	for (i = 0; i < 3; i++) {
		tok[i] = strtok_r(i ? NULL : line, " \t", &save);
		if (!tok[i])
			return -EINVAL;
	}
	if (strtok_r(NULL, " \t", &save))
		return -EINVAL;
	rc = lp_parse_int(tok[0], &out->initiator);
	if (!rc)
		rc = lp_parse_u64(tok[1], &v[0]);
	if (!rc)
		rc = lp_parse_u64(tok[2], &v[1]);
	if (rc)
		return rc;
	if (out->initiator < 0 || !v[0] || !v[1])
		return -EINVAL;
	out->latency_ns = v[0];
	out->bandwidth_mbps = v[1];
	return 0;
}

/*
 * Parses the file's text into a new array, ascending initiator; the
 * kernel writes them so, anything else is a bad file.
 */
static int parse_measured(char *text, struct lp_measured **out, int *nr)
{
	struct lp_measured *figs = NULL, *tmp;
	char *line, *save = NULL;
	int n = 0, rc = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		tmp = realloc(figs, (n + 1) * sizeof(*figs));
		if (!tmp) {
			rc = -ENOMEM;
			break;
		}
		figs = tmp;
		rc = parse_line(line, &figs[n]);
		if (!rc && n && figs[n].initiator <= figs[n - 1].initiator)
			rc = -EINVAL;
		if (rc)
			break;
		n++;
	}
	if (rc) {
		free(figs);
		return rc;
	}
	*out = figs;
	*nr = n;
	return 0;
}

/*
 * Loads @m's figures.  A module without the file (before measured
 * figures) means none; a file that does not parse fails the load, as
 * any bad attribute does.
 */
int lp_member_load_measured(struct pool_member *m)
{
	char path[PATH_MAX], buf[LP_ATTR_MAX];
	struct lp_measured *figs = NULL;
	int nr = 0, rc;

	rc = measured_path(m, path, sizeof(path));
	if (rc)
		return rc;
	rc = lp_read_attr(m->ctx, path, buf, sizeof(buf));
	if (rc == -ENOENT)
		rc = 0;
	else if (!rc)
		rc = parse_measured(buf, &figs, &nr);
	if (rc) {
		err(m->ctx, "%s: %s\n", path, strerror(-rc));
		return rc;
	}
	lp_member_free_measured(m);
	m->measured = figs;
	m->nr_measured = nr;
	return 0;
}

void lp_member_free_measured(struct pool_member *m)
{
	free(m->measured);
	m->measured = NULL;
	m->nr_measured = 0;
}

/* One write(2) of @val to the member's measured file. */
static int write_measured(struct pool_member *m, const char *val)
{
	char path[PATH_MAX];
	int rc;

	rc = measured_path(m, path, sizeof(path));
	if (rc)
		return rc;
	return lp_write_attr(m->ctx, path, val);
}

/*
 * Room for one more entry, taken before the write so that a write the
 * module accepted is always recorded.
 */
static int grow_measured(struct pool_member *m)
{
	struct lp_measured *tmp;

	tmp = realloc(m->measured, (m->nr_measured + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	m->measured = tmp;
	return 0;
}

int pool_member_set_measured(struct pool_member *member, int initiator,
			     unsigned long long latency_ns,
			     unsigned long long bandwidth_mbps)
{
	struct lp_measured *fig;
	char val[80];
	int i, rc;

	if (!member || initiator < 0 || !latency_ns || !bandwidth_mbps)
		return -EINVAL;
	rc = grow_measured(member);
	if (rc)
		return rc;
	snprintf(val, sizeof(val), "%d %llu %llu\n", initiator, latency_ns,
		 bandwidth_mbps);
	rc = write_measured(member, val);
	if (rc)
		return rc;
	info(member->ctx, "member %u: from node %d %llu ns %llu MB/s\n",
	     member->id, initiator, latency_ns, bandwidth_mbps);

	/* The module replaced that node's figures or added them. */
	for (i = 0; i < member->nr_measured; i++)
		if (member->measured[i].initiator >= initiator)
			break;
	fig = &member->measured[i];
	if (i == member->nr_measured || fig->initiator != initiator) {
		memmove(fig + 1, fig, (member->nr_measured - i) * sizeof(*fig));
		member->nr_measured++;
	}
	fig->initiator = initiator;
	fig->latency_ns = latency_ns;
	fig->bandwidth_mbps = bandwidth_mbps;
	return 0;
}

int pool_member_clear_measured(struct pool_member *member)
{
	int rc;

	if (!member)
		return -EINVAL;
	rc = write_measured(member, "clear\n");
	if (rc)
		return rc;
	info(member->ctx, "member %u: measured figures cleared\n",
	     member->id);
	lp_member_free_measured(member);
	return 0;
}

int pool_member_get_measured(struct pool_member *member, int initiator,
			     unsigned long long *latency_ns,
			     unsigned long long *bandwidth_mbps)
{
	int i;

	if (!member)
		return -EINVAL;
	for (i = 0; i < member->nr_measured; i++) {
		if (member->measured[i].initiator != initiator)
			continue;
		if (latency_ns)
			*latency_ns = member->measured[i].latency_ns;
		if (bandwidth_mbps)
			*bandwidth_mbps = member->measured[i].bandwidth_mbps;
		return 0;
	}
	return -ENOENT;
}

int pool_member_get_next_measured(struct pool_member *member, int after)
{
	int i;

	if (!member)
		return -EINVAL;
	for (i = 0; i < member->nr_measured; i++)
		if (member->measured[i].initiator > after)
			return member->measured[i].initiator;
	return -ENOENT;
}
