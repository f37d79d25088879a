// SPDX-License-Identifier: GPL-2.0
/*
 * malloc-mix: an allocation-heavy loop for tools/bench/compare-bind.
 * Keeps a window of live blocks, replacing one at a time by a block of a
 * size drawn around a threshold (an eighth of it to four times it, half
 * below and half above), writing a byte per page of each block, and
 * growing one in every eight with realloc.  With --min and --max the
 * sizes are spread evenly over the octaves from --min to twice --max
 * instead, whatever the threshold: one fixed mix for the threshold sweep
 * of compare-bind.  Prints the operations per second and the bytes asked
 * for (malloc and realloc sizes) on one line of JSON.  Plain malloc: it
 * is meant to be run unbound, under numactl and under poolctl bind.
 *
 * Usage: malloc-mix [--threshold BYTES] [--ops N] [--window N]
 *                   [--min BYTES --max BYTES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long arg(int argc, char **argv, const char *name,
			      unsigned long long def)
{
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return strtoull(argv[i + 1], NULL, 0);
	return def;
}

static void touch(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i += 4096)
		p[i] = (unsigned char)i;
}

/*
 * The next block size: around the threshold, or in an octave between
 * min and max drawn uniformly, then uniformly within it (as many blocks
 * of 4-8 KiB as of 4-8 MiB: the mix of a program's large allocations).
 */
static size_t next_size(unsigned int seed, size_t threshold, size_t min,
			size_t max)
{
	unsigned int octaves = 0, o;
	size_t lo;

	if (!min)
		return threshold / 8 + (seed >> 8) % (threshold * 4);
	while ((min << (octaves + 1)) <= max)
		octaves++;
	o = (seed >> 8) % (octaves + 1);
	lo = min << o;
	return lo + (seed >> 4) % lo;
}

int main(int argc, char **argv)
{
	size_t threshold = arg(argc, argv, "--threshold", 1 << 20);
	size_t min = arg(argc, argv, "--min", 0);
	size_t max = arg(argc, argv, "--max", 0);
	unsigned long long ops = arg(argc, argv, "--ops", 20000), i;
	unsigned long long bytes = 0;
	size_t window = arg(argc, argv, "--window", 64), slot, size;
	unsigned int seed = 12345;
	struct timespec a, b;
	unsigned char **live;
	double secs;

	live = calloc(window, sizeof(*live));
	if (!live || !threshold || !window || (min && max < min) ||
	    (!min && max))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < ops; i++) {
		seed = seed * 1103515245 + 12345;
		slot = (seed >> 4) % window;
		size = next_size(seed, threshold, min, max);
		free(live[slot]);
		live[slot] = malloc(size);
		if (!live[slot])
			return 1;
		bytes += size;
		touch(live[slot], size);
		if (!(i % 8)) {
			unsigned char *q = realloc(live[slot], size * 2);

			if (!q)
				return 1;
			live[slot] = q;
			bytes += size * 2;
			touch(q + size, size);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	for (slot = 0; slot < window; slot++)
		free(live[slot]);
	free(live);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("{\"ops\":%llu,\"bytes\":%llu,\"seconds\":%.3f,"
	       "\"ops_per_s\":%.0f}\n", ops, bytes, secs, (double)ops / secs);
	return 0;
}
