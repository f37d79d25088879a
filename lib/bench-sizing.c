// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: how large the engine's buffers are by default.  The
 * initiator's last-level cache from sysfs, and the rules that size the
 * chase's buffer and the bandwidth arrays from it, the probed speed of
 * the memory and the time budget.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>

#include "bench-private.h"

#define MIN_DEFAULT_SIZE	(32ULL << 20)
#define LLC_FACTOR		4	/* arrays vs the LLC, as STREAM */
#define MIN_SIZE		(64ULL << 10)	/* shrinking stops here */
/*
 * The chase's buffer: LLC_FACTOR times the LLC, at least LAT_MIN_SIZE;
 * on slow memory down to LAT_FLOOR_FACTOR times the LLC, never less: a
 * chase within the cache measures the cache, and on CXL under TCG a
 * 100 KiB chase ran faster than one over DRAM.
 */
#define LAT_MIN_SIZE		(16ULL << 20)
#define LAT_FLOOR_FACTOR	2
/* Share of the time budget that setting up the chase's buffer may take. */
#define LAT_SETUP_SHARE		0.4
/* Passes over the buffer to set it up: populating it, writing the links. */
#define LAT_SETUP_PASSES	2
/* Share of the time budget that setting up the arrays may take. */
#define SETUP_SHARE		0.25
/* Share of a kind's budget that one pass may take on slow memory. */
#define PASS_SHARE		0.25
/* Shrink only when the size that fits is this much below the default. */
#define SLOW_FACTOR		4

static int first_cpu(struct bitmask *cpus)
{
	unsigned int cpu;

	for (cpu = 0; cpu < cpus->size; cpu++)
		if (numa_bitmask_isbitset(cpus, cpu))
			return (int)cpu;
	return -1;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int rc = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		rc = -ENODATA;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return rc;
}

/* "32768K" or "16M", as sysfs writes cache sizes. */
static long long parse_cache_size(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -ENODATA;
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	else if (*end == 'G')
		v <<= 30;
	return v;
}

long long pool_bench_llc_size(int node)
{
	struct bitmask *cpus = lp_bench_node_cpus(node);
	char path[128], buf[64];
	long long size = -ENODATA, s;
	int cpu, index, level, best = -1;

	if (!cpus)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	cpu = first_cpu(cpus);
	numa_free_cpumask(cpus);
	for (index = 0; index < 16; index++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/type",
			 cpu, index);
		if (read_line(path, buf, sizeof(buf)))
			break;
		if (strcmp(buf, "Data") && strcmp(buf, "Unified"))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/level",
			 cpu, index);
		if (read_line(path, buf, sizeof(buf)))
			continue;
		level = atoi(buf);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cache/index%d/size",
			 cpu, index);
		if (level <= best || read_line(path, buf, sizeof(buf)))
			continue;
		s = parse_cache_size(buf);
		if (s > 0) {
			best = level;
			size = s;
		}
	}
	return size;
}

/*
 * The default size of the bandwidth arrays: LLC_FACTOR times the LLC, at
 * least MIN_DEFAULT_SIZE.  On slow memory, smaller: setting the arrays up
 * (zeroing every array, then the warm-up pass) must take at most
 * SETUP_SHARE of @budget, and one pass over every array at most
 * PASS_SHARE of a kind's share, at the probed speed.  Only a clear miss
 * (SLOW_FACTOR) shrinks, so that a busy host does not shrink DRAM.
 */
size_t lp_bench_array_size(long long llc, double mbps, double budget,
			   unsigned int arrays, unsigned int nkinds,
			   bool *shrunk)
{
	double size = llc > 0 ? (double)llc * LLC_FACTOR : 0, fit, pass;

	if (size < MIN_DEFAULT_SIZE)
		size = MIN_DEFAULT_SIZE;
	fit = budget * SETUP_SHARE * mbps * 1e6 / (arrays + 1);
	pass = budget / nkinds * PASS_SHARE * mbps * 1e6 / arrays;
	if (pass < fit)
		fit = pass;
	*shrunk = fit * SLOW_FACTOR < size;
	if (*shrunk)
		size = fit < MIN_SIZE ? MIN_SIZE : fit;
	return (size_t)size;
}

/*
 * The default size of the chase's buffer: LLC_FACTOR times the LLC, at
 * least LAT_MIN_SIZE; on slow memory what LAT_SETUP_SHARE of @budget can
 * set up at the probed speed, but never below LAT_FLOOR_FACTOR times the
 * LLC nor LAT_MIN_SIZE.  Unlike the arrays, the chase needs no pass over
 * the whole buffer, only its setup.
 */
size_t lp_bench_latency_size(long long llc, double mbps, double budget)
{
	double want = LAT_MIN_SIZE, floor = LAT_MIN_SIZE, fit;

	if (llc > 0 && (double)llc * LLC_FACTOR > want)
		want = (double)llc * LLC_FACTOR;
	if (llc > 0 && (double)llc * LAT_FLOOR_FACTOR > floor)
		floor = (double)llc * LAT_FLOOR_FACTOR;
	fit = budget * LAT_SETUP_SHARE * mbps * 1e6 / LAT_SETUP_PASSES;
	if (fit < want)
		want = fit < floor ? floor : fit;
	return (size_t)want;
}
