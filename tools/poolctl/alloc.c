// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl alloc: allocate from the pool with a placement policy, print
 * where the bytes landed, optionally touch and hold the memory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/scalepool.h>
#include <numa.h>
#include <libpool.h>

#include "poolctl.h"

#define CMD "alloc"
#define TOUCH_STRIDE	4096
/* Longer holds are surely a mistake (a unit taken for seconds). */

struct alloc_args {
	struct poolctl_place place;	/* first: the options reach it */
	unsigned long long size;
	bool have_size;
	const char *initiator_pci;
	unsigned int flags;
	bool touch;
	double hold;
};

static int opt_size(void *args, const char *arg)
{
	struct alloc_args *a = args;

	a->have_size = true;
	return poolctl_parse_size_arg(CMD, "size", arg,
				      SCALEPOOL_MAX_ALLOC_SIZE, false,
				      &a->size);
}

static int opt_hold(void *args, const char *arg)
{
	struct alloc_args *a = args;

	if (poolctl_parse_seconds(arg, &a->hold) || a->hold < 0)
		return poolctl_err(CMD, EINVAL, "bad hold time '%s' (seconds, "
				   "0 or more)", arg);
	if (a->hold > POOLCTL_MAX_SECONDS)
		return poolctl_err(CMD, ERANGE, "hold time '%s' is more than "
				   "a year", arg);
	return 0;
}

#define ARG(field) offsetof(struct alloc_args, field)
_Static_assert(ARG(place) == 0, "the placement options reach it");

static const struct poolctl_option alloc_options[] = {
	POOLCTL_OPT_CALLBACK('s', "size", "<size>", opt_size,
		"bytes, with a K, M, G or T suffix"),
	POOLCTL_PLACE_OPTIONS,
	POOLCTL_OPT_STRING(0, "initiator-pci", "<BDF>", ARG(initiator_pci),
		"nearest only: place for PCI device\n"
		"DDDD:BB:DD.F (peer memory it reaches\n"
		"without the host bridge first)"),
	POOLCTL_OPT_BIT(0, "no-huge", ARG(flags), POOL_ALLOC_NO_HUGE,
		"4 KiB pages only"),
	POOLCTL_OPT_BIT(0, "populate", ARG(flags), POOL_ALLOC_POPULATE,
		"map every page at once"),
	POOLCTL_OPT_FLAG('t', "touch", ARG(touch),
		"write one byte in every 4 KiB"),
	POOLCTL_OPT_CALLBACK(0, "hold", "<seconds>", opt_hold,
		"keep the memory this long before exit"),
	POOLCTL_OPT_END,
};

const struct poolctl_usage usage_alloc = {
	.cmd = CMD,
	.text =
"usage: poolctl alloc --size <size> [<options>]\n"
"\n"
"Allocate memory from the pool, print where it landed as JSON,\n"
"{\"size\", \"policy\", \"placement\": [...], \"basis\", \"revoked\"},\n"
"and free it on exit.  \"basis\" says what placed it: \"measured\",\n"
"\"firmware\" or \"distance\" figures, \"none\" (the caller's order),\n"
"null when the module does not say; \"revoked\" whether the member\n"
"holding it went away.\n",
	.options = alloc_options,
	.epilogue =
"Errors are one line on stderr, ending in the errno's text: \"No space\n"
"left on device\" (ENOSPC) when a member's limit is in the way, \"Cannot\n"
"allocate memory\" (ENOMEM) when the allowed members lack the memory.\n",
};

static int parse_options(struct alloc_args *a, int argc, char **argv)
{
	int rc = poolctl_parse_options(&usage_alloc, a, argc, argv);

	if (rc >= 0)
		return rc ? rc : -1;		/* -1: --help */
	if (optind < argc)
		return poolctl_err(CMD, EINVAL, "unexpected argument '%s'",
				   argv[optind]);
	if (!a->have_size)
		return poolctl_err(CMD, EINVAL, "--size is required");
	return 0;
}

static bool pci_exists(const char *bdf)
{
	char path[256];

	if (strchr(bdf, '/') || snprintf(path, sizeof(path),
					 "/sys/bus/pci/devices/%s", bdf) >=
				(int)sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

/* The rules of alloc's own options, after the placement's. */
static int check_options(struct alloc_args *a)
{
	const char *name;

	if (poolctl_place_check(&a->place))
		return 1;
	name = pool_policy_name(a->place.r.policy);
	if (a->initiator_pci && a->place.r.policy != POOL_POLICY_NEAREST)
		return poolctl_err(CMD, EINVAL, "--initiator-pci needs "
				   "--policy nearest, not %s", name);
	if (a->initiator_pci && a->place.r.have_initiator)
		return poolctl_err(CMD, EINVAL, "--initiator and "
				   "--initiator-pci exclude each other");
	if (a->initiator_pci && !pci_exists(a->initiator_pci))
		return poolctl_err(CMD, ENODEV, "no PCI device '%s' "
				   "(expected DDDD:BB:DD.F)",
				   a->initiator_pci);
	return 0;
}

static void touch(struct pool_buf *buf)
{
	volatile unsigned char *p = pool_buf_get_addr(buf);
	size_t off, size = pool_buf_get_size(buf);

	for (off = 0; off < size; off += TOUCH_STRIDE)
		p[off] = 0x5a;
}

static void hold(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int print_result(struct pool_buf *buf)
{
	struct pool_placement *pl = NULL;
	struct json_object *root;
	const char *basis = NULL;
	int n, state;
	bool ok = true;

	/* null where the module does not say (before measured figures). */
	n = pool_buf_get_basis(buf);
	if (n >= 0)
		basis = pool_basis_name(n);
	else if (n != -EOPNOTSUPP)
		return poolctl_err(CMD, -n, "cannot read the placement");

	state = pool_buf_get_state(buf);
	if (state < 0)
		return poolctl_err(CMD, -state, "cannot read the state");

	n = poolctl_buf_placement(buf, &pl);
	if (n < 0)
		return poolctl_err(CMD, -n, "cannot read the placement");
	root = poolctl_json_alloc(buf, pl, n, basis, state, &ok);
	free(pl);
	return poolctl_print_json(CMD, root, ok, stdout);
}

int cmd_alloc(int argc, char **argv, struct pool_ctx **ctx)
{
	struct alloc_args a = { .place = { .cmd = CMD, .r.policy = -1 } };
	struct pool_alloc_opts opts;
	struct pool_buf *buf = NULL;
	int rc, err;

	rc = parse_options(&a, argc, argv);
	if (rc)
		return rc < 0 ? 0 : rc;		/* -1: --help */
	rc = check_options(&a);
	if (rc)
		goto out;
	rc = poolctl_open(CMD, ctx);
	if (rc)
		goto out;
	rc = poolctl_place_check_pool(&a.place, *ctx);
	if (rc)
		goto out;

	poolctl_place_opts(&a.place, &opts);
	opts.flags = a.flags;
	opts.initiator_pci = a.initiator_pci;
	rc = pool_alloc(*ctx, a.size, &opts, &buf);
	if (rc) {
		rc = poolctl_err(CMD, -rc, "cannot allocate %llu bytes",
				 a.size);
		goto out;
	}
	if (a.touch)
		touch(buf);
	rc = print_result(buf);
	if (!rc && a.hold > 0) {
		fflush(stdout);
		hold(a.hold);
	}
	err = pool_buf_free(buf);
	if (err && !rc)
		rc = poolctl_err(CMD, -err, "cannot free the memory");
out:
	poolctl_place_release(&a.place);
	return rc;
}
