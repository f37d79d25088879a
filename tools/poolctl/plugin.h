/* SPDX-License-Identifier: GPL-2.0 */
/*
 * poolctl's plugins: the parts of two commands that need heavy
 * libraries, each in a shared object of its own that poolctl dlopen()s
 * only when the command runs:
 *
 *   poolctl-plot.so     bench --plot (plot.c): cairo and fontconfig,
 *                       with freetype, png, pixman, X11/xcb, ...
 *   poolctl-monitor.so  monitor (monitor.c): libtracefs, libtraceevent
 *
 * poolctl itself then links none of them.  Linked, they were 21 of the
 * 26 libraries that every start of poolctl loaded and relocated, that of
 * --version and that of bind before each command it runs (issue 13):
 * half its start-up time, natively and in a guest
 * (Documentation/benchmarks.rst, "poolctl's start-up").  A plugin is a
 * shared object, not a program that poolctl runs: the command keeps
 * poolctl's option parsing, help and errors (which need no plugin), and
 * its arguments pass as they are, in memory.
 *
 * poolctl finds a plugin as bind finds libpool-preload.so
 * (poolctl_find_lib(): LIBDIR/scalepool/ when installed, build/ in the
 * tree).  It is linked with -z defs against its own libraries only
 * (report.c has what the monitor shares with poolctl), and exports
 * nothing but its entry, a function of the type below.  The number in
 * the entry's name is the interface's: change it with the type or with
 * a structure the entry reads (struct bench_matrix, struct
 * monitor_args), and a plugin of another build fails to load with
 * "undefined symbol" instead of misreading its arguments.
 */
#ifndef _POOLCTL_PLUGIN_H_
#define _POOLCTL_PLUGIN_H_

#include "poolctl.h"

/*
 * The entry @entry of plugin @file, loaded (RTLD_NOW: all its symbols
 * bound now) and kept for the life of the process (never dlclose()d).
 * NULL after one line on stderr, "poolctl <cmd>: cannot load <path>:
 * <dlerror()>", for a plugin that is missing or does not load.
 */
void *poolctl_plugin(const char *cmd, const char *file, const char *entry);

/* bench --plot: the matrix drawn into @path; 0 or a negative errno. */
#define POOLCTL_PLOT_PLUGIN	"poolctl-plot.so"
#define POOLCTL_PLOT_ENTRY	"poolctl_plot_v1"
struct bench_matrix;
typedef int poolctl_plot_fn(const struct bench_matrix *mx, const char *path);
poolctl_plot_fn poolctl_plot_v1;

/*
 * monitor: follows the events until done and returns the exit status,
 * 0 or 1 after printing the error (poolctl_err()).
 */
#define POOLCTL_MONITOR_PLUGIN	"poolctl-monitor.so"
#define POOLCTL_MONITOR_ENTRY	"poolctl_monitor_v1"
#define MONITOR_MAX_EVENTS	16
#define MONITOR_NAME_MAX	64

/* The options, parsed by poolctl (monitor-cmd.c). */
struct monitor_args {
	char events[MONITOR_MAX_EVENTS][MONITOR_NAME_MAX];
	unsigned int nr_events;
	unsigned long long count;	/* 0: no limit */
	double duration;		/* 0: no limit */
};
typedef int poolctl_monitor_fn(const struct monitor_args *a);
poolctl_monitor_fn poolctl_monitor_v1;

#endif /* _POOLCTL_PLUGIN_H_ */
