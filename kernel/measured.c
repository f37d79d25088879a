// SPDX-License-Identifier: GPL-2.0
/*
 * scalepool: measured access figures of members.
 *
 * A member may carry, per initiator CPU node, the latency and bandwidth
 * that someone measured from that node (`poolctl bench --apply`, or an
 * admin), through /sys/kernel/scalepool/members/<id>/measured.  Placement
 * prefers them over firmware figures and SLIT distances (policy.c).
 *
 * Locking: a seqlock per member.  Placement reads the figures of every
 * candidate at every ALLOC, the writers are rare admin writes.  Readers
 * of a seqlock write nothing shared, so concurrent allocations do not
 * bounce a lock's cache line, and they still see each initiator's
 * latency and bandwidth as one consistent pair (two u64s that a plain
 * READ_ONCE could not give together, nor at all on 32-bit).  RCU would
 * copy the whole per-node array at every write for no gain; a spinlock
 * would serialise the readers.  The seqlock's own spinlock serialises
 * the writers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/nodemask.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "scalepool.h"
#include "visible.h"

/* Longest accepted write: "<node> <u64> <u64>" with blanks to spare. */
#define SP_MEASURED_WRITE_MAX	96

/**
 * sp_measured_init() - give a member room for measured figures
 * @m: a member being created, not yet published
 *
 * One entry per possible node id, all empty.
 *
 * Return: 0 or -ENOMEM.
 */
int sp_measured_init(struct sp_member *m)
{
	seqlock_init(&m->measured_lock);
	m->measured = kcalloc(nr_node_ids, sizeof(*m->measured), GFP_KERNEL);
	return m->measured ? 0 : -ENOMEM;
}

/**
 * sp_measured_free() - free a member's measured figures
 * @m: the member, from its kobject release (nobody else can see it)
 */
void sp_measured_free(struct sp_member *m)
{
	kfree(m->measured);
	m->measured = NULL;
}

/**
 * sp_measured_get() - the figures measured from one initiator
 * @m: the member
 * @initiator: a node id, 0 to nr_node_ids - 1
 * @fig: out: the figures, when there are some
 *
 * Lockless (see the top of this file): may run concurrently with
 * writers, and sees either the old or the new pair, never a mix.
 *
 * Return: true when @m has figures for @initiator.
 */
bool sp_measured_get(const struct sp_member *m, int initiator,
		     struct sp_measured_fig *fig)
{
	unsigned int seq;

	if (initiator < 0 || (unsigned int)initiator >= nr_node_ids ||
	    !m->measured)
		return false;
	do {
		seq = read_seqbegin(&m->measured_lock);
		*fig = m->measured[initiator];
	} while (read_seqretry(&m->measured_lock, seq));
	return fig->latency_ns != 0;
}

static ssize_t measured_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	struct sp_member *m = to_sp_member(kobj);
	struct sp_measured_fig fig;
	unsigned int nid;
	int len = 0;

	for (nid = 0; nid < nr_node_ids; nid++) {
		if (!sp_measured_get(m, nid, &fig))
			continue;
		len += sysfs_emit_at(buf, len, "%u %llu %llu\n", nid,
				     fig.latency_ns, fig.bandwidth_mbps);
	}
	return len;
}

/**
 * sp_measured_parse() - parse a write to members/<id>/measured
 * @s: "<initiator-node> <latency_ns> <bandwidth_mbps>", NUL-terminated;
 *     cut up in place
 * @nid: out: the initiator node
 * @fig: out: the figures
 *
 * Exactly three blank-separated decimal tokens; the node must have CPUs
 * and both figures must be above zero.
 *
 * Return: 0 or -EINVAL.
 */
VISIBLE_IF_KUNIT int sp_measured_parse(char *s, int *nid,
				       struct sp_measured_fig *fig)
{
	char *tok[3];
	int i;

	for (i = 0; i < 3; i++) {
		/* strsep() leaves @s NULL once the last token is cut. */
		if (!s)
			return -EINVAL;
		s = skip_spaces(s);
		tok[i] = strsep(&s, " \t\n");
		if (!tok[i] || !*tok[i])
			return -EINVAL;
	}
	if (s && *skip_spaces(s))
		return -EINVAL;

	if (kstrtoint(tok[0], 10, nid) ||
	    kstrtou64(tok[1], 10, &fig->latency_ns) ||
	    kstrtou64(tok[2], 10, &fig->bandwidth_mbps))
		return -EINVAL;
	if (*nid < 0 || (unsigned int)*nid >= nr_node_ids ||
	    !node_state(*nid, N_CPU))
		return -EINVAL;
	if (!fig->latency_ns || !fig->bandwidth_mbps)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(sp_measured_parse);

static void sp_measured_clear(struct sp_member *m)
{
	write_seqlock(&m->measured_lock);
	memset(m->measured, 0, nr_node_ids * sizeof(*m->measured));
	write_sequnlock(&m->measured_lock);
}

static void sp_measured_set(struct sp_member *m, int nid,
			    const struct sp_measured_fig *fig)
{
	write_seqlock(&m->measured_lock);
	m->measured[nid] = *fig;
	write_sequnlock(&m->measured_lock);
}

static ssize_t measured_store(struct kobject *kobj,
			      struct kobj_attribute *attr, const char *buf,
			      size_t count)
{
	struct sp_member *m = to_sp_member(kobj);
	struct sp_measured_fig fig;
	char *copy;
	int nid, ret;

	/* The file is root's already; an fd passed to others is not enough. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (count > SP_MEASURED_WRITE_MAX)
		return -EINVAL;
	if (sysfs_streq(buf, "clear")) {
		sp_measured_clear(m);
		pr_debug("member %u: measured figures cleared\n", m->id);
		return count;
	}

	copy = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = sp_measured_parse(copy, &nid, &fig);
	kfree(copy);
	if (ret)
		return ret;

	sp_measured_set(m, nid, &fig);
	pr_debug("member %u: from node %d %llu ns %llu MB/s\n", m->id, nid,
		 fig.latency_ns, fig.bandwidth_mbps);
	return count;
}

/* 0644: anyone reads, root writes (and measured_store() checks it). */
struct kobj_attribute sp_measured_attr = __ATTR_RW(measured);
