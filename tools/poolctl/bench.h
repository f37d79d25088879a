/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl bench: the cells of the initiator x member matrix, shared by
 * the command (bench.c) and its picture (plot.c, poolctl-plot.so).
 */
#ifndef _POOLCTL_BENCH_H_
#define _POOLCTL_BENCH_H_

#include <stdio.h>

#include <libpool.h>

struct poolctl_place;

/*
 * One cell: memory of @member (a member id, or with --no-module a NUMA
 * node) measured from the CPUs of node @initiator.
 */
struct bench_cell {
	int initiator;
	int member;
	int node;			/* the memory's node */
	const char *memory;		/* "dram", "cxl"; "numa" without module */
	long long fw_latency_ns;	/* -1: firmware says nothing */
	long long fw_read_mbps;		/* for this initiator */
	int threads_asked;		/* 0: one per CPU ("all") */
	struct pool_bench_result res;
	struct pool_bench_curve curve;	/* --loaded, instead of @res */
	/* --policy's cell: @member -1, @memory the policy's name. */
	const struct poolctl_place *place;
};

struct bench_matrix {
	bool no_module;
	bool loaded;			/* --loaded: curves, not figures */
	double time;			/* budget per cell, seconds */
	bool applied;			/* --apply wrote the figures */
	double max_spread;		/* --max-spread, a fraction */
	int nr_cells;
	struct bench_cell *cells;	/* initiator-major */
};

/*
 * A figure's spread, (max - min) / median over its repetitions (0 with
 * fewer than two), and whether it is above @max_spread: noisy (json.c).
 */
double poolctl_bench_spread(const struct pool_bench_figure *f);
bool poolctl_bench_noisy(const struct pool_bench_figure *f,
			 double max_spread);
/* "normal", "nt" or "auto" for a POOL_BENCH_STORES_*; the inverse. */
const char *poolctl_bench_stores_name(int stores);
int poolctl_bench_stores_from_name(const char *name);

/* The matrix's JSON (json.c). */
struct json_object *poolctl_json_bench(const struct bench_matrix *mx,
				       bool *ok);
/*
 * The matrix is drawn into a file, PNG for a name ending in .png, else
 * SVG, by the plugin poolctl-plot.so (plot.c, plugin.h).
 */
/* "read" or "copy" for a POOL_BENCH_INJECT_*; the inverse (json.c). */
const char *poolctl_bench_inject_name(int inject);
int poolctl_bench_inject_from_name(const char *name);

#endif /* _POOLCTL_BENCH_H_ */
