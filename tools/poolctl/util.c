// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: what the commands share: errors, opening the pool, libpool's
 * and libnuma's messages, number and list parsing, JSON, tables.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/scalepool.h>
#include <numa.h>
#include <libpool.h>

#include "poolctl.h"

int poolctl_usage_err(const struct poolctl_usage *u, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	poolctl_verr(u->cmd, 0, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	poolctl_print_usage(u, stderr);
	return 1;
}

/*
 * libpool's errors are @cmd's: "poolctl <cmd>: <message>", one line, no
 * errno text (the message names the cause).
 */
static unsigned int nr_logged;

static void log_error(struct pool_ctx *ctx, int priority, const char *file,
		      int line, const char *fn, const char *format,
		      va_list args)
{
	char msg[512];
	size_t n;

	if (priority > LOG_ERR) {	/* LIBPOOL_LOG=info or debug */
		fprintf(stderr, "libpool: %s: ", fn);
		vfprintf(stderr, format, args);
		return;
	}
	vsnprintf(msg, sizeof(msg), format, args);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	poolctl_err(pool_get_userdata(ctx), 0, "%s", msg);
	nr_logged++;
}

int poolctl_failed(const char *cmd, int err, const char *fmt, ...)
{
	va_list args;

	if (nr_logged)
		return 1;
	va_start(args, fmt);
	poolctl_verr(cmd, err, fmt, args);
	va_end(args);
	return 1;
}

int poolctl_open(const char *cmd, struct pool_ctx **ctx)
{
	int rc;

	if (*ctx)
		return 0;
	rc = pool_new(ctx);
	if (!rc) {
		pool_set_userdata(*ctx, (void *)cmd);
		pool_set_log_fn(*ctx, log_error);
		return 0;
	}
	*ctx = NULL;
	switch (rc) {
	case -ENODEV:
		if (access("/sys/module/scalepool", F_OK) != 0)
			return poolctl_err(cmd, -rc, "scalepool module not "
					   "loaded (no /dev/scalepool)");
		return poolctl_err(cmd, -rc, "no /dev/scalepool (the module "
				   "is loaded: is the device node missing?)");
	case -EACCES:
	case -EPERM:
		return poolctl_err(cmd, -rc, "cannot open /dev/scalepool "
				   "(needs root or a group granted access)");
	case -EPROTO:
		return poolctl_err(cmd, -rc, "the scalepool module's ABI is "
				   "not version %d, the one this libpool "
				   "speaks", SCALEPOOL_ABI_VERSION);
	default:
		return poolctl_err(cmd, -rc, "cannot open the pool");
	}
}

const struct poolctl_option poolctl_view_options[] = {
	POOLCTL_OPT_FLAG('u', "human", offsetof(struct poolctl_view_args,
						human),
			 "aligned tables, sizes in KiB/MiB/GiB"),
	POOLCTL_OPT_END,
};

/*
 * Not knowing (no memory for the mask) is not "no CPUs": let the kernel
 * (alloc) or the pinning of the threads (bench) judge.
 */
bool poolctl_node_has_cpus(int node)
{
	struct bitmask *cpus = numa_allocate_cpumask();
	bool has;

	if (!cpus)
		return true;
	has = node <= numa_max_node() && !numa_node_to_cpus(node, cpus) &&
	      numa_bitmask_weight(cpus) > 0;
	numa_free_cpumask(cpus);
	return has;
}

static bool numa_quiet;

/*
 * libnuma's warnings, as its own numa_warn() gives them (each kind
 * once), except while poolctl parses a node list: it says itself what
 * is wrong with one, in its one line.
 */
void numa_warn(int num, char *fmt, ...)
{
	static unsigned int warned;
	int saved = errno;
	va_list args;

	if (numa_quiet || (num >= 0 && num < 32 && (warned & (1U << num))))
		return;
	if (num >= 0 && num < 32)
		warned |= 1U << num;
	va_start(args, fmt);
	fputs("libnuma: Warning: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
	va_end(args);
	errno = saved;
}

struct bitmask *poolctl_parse_nodes(const char *s)
{
	struct bitmask *mask;

	numa_quiet = true;
	mask = numa_parse_nodestring(s);
	numa_quiet = false;
	return mask;
}

int poolctl_parse_uint(const char *s, unsigned int *val)
{
	const char *end;
	int rc = place_rules_uint(s, &end, val);

	if (!rc && *end)
		rc = -EINVAL;
	return rc;
}

int poolctl_parse_list(const char *s, bool ranges, unsigned int max,
		       unsigned int *vals, unsigned int *nr)
{
	return place_rules_list(s, ranges, max, vals, nr);
}

void poolctl_print_table(FILE *f, int nr_cols, const char *const *titles,
			 const bool *right, char (*cells)[POOLCTL_CELL_MAX],
			 int nr_rows)
{
	int r, c, w, width[POOLCTL_COLS_MAX] = { 0 };

	for (c = 0; c < nr_cols && c < POOLCTL_COLS_MAX; c++) {
		width[c] = (int)strlen(titles[c]);
		for (r = 0; r < nr_rows; r++) {
			w = (int)strlen(cells[r * nr_cols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (r = -1; r < nr_rows; r++) {
		for (c = 0; c < nr_cols && c < POOLCTL_COLS_MAX; c++) {
			const char *cell = r < 0 ? titles[c] :
					   cells[r * nr_cols + c];
			const char *sep = c ? "  " : "";

			if (c == nr_cols - 1 && !right[c])
				fprintf(f, "%s%s", sep, cell);
			else if (right[c])
				fprintf(f, "%s%*s", sep, width[c], cell);
			else
				fprintf(f, "%s%-*s", sep, width[c], cell);
		}
		fputc('\n', f);
	}
}

int poolctl_parse_list_arg(const char *cmd, const char *what,
			   const char *arg, bool ranges, unsigned int *vals,
			   unsigned int *nr)
{
	char msg[PLACE_MSG_MAX];
	int rc = place_rules_list_arg(what, arg, ranges, vals, nr, msg,
				      sizeof(msg));

	return rc ? poolctl_err(cmd, rc, "%s", msg) : 0;
}

int poolctl_parse_seconds(const char *s, double *val)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0 ||
	    *s == '-' || *s == '+' || *s == ' ' || *s == '\t')
		return -EINVAL;
	*val = v;
	return 0;
}

int poolctl_buf_placement(struct pool_buf *buf, struct pool_placement **plp)
{
	struct pool_placement *pl = NULL;
	int n;

	n = pool_buf_get_placement(buf, NULL, 0);
	if (n > 0) {
		pl = calloc((size_t)n, sizeof(*pl));
		if (!pl)
			return -ENOMEM;
		n = pool_buf_get_placement(buf, pl, (unsigned int)n);
	}
	if (n < 0) {
		free(pl);
		return n;
	}
	*plp = pl;
	return n;
}
