// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: option tables.  Each command describes its options once, in
 * a table of struct poolctl_option (poolctl.h); getopt_long()'s longopts
 * and optstring, the actions and the help text are all made from it, in
 * the manner of ndctl's parse-options.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "poolctl.h"

/* Every table gets --help, last, written here once. */
static const struct poolctl_option help_option =
	POOLCTL_OPT_FLAG('h', "help", 0, "show this help");

#define OPTS_MAX	32

static size_t nr_options(const struct poolctl_option *opts)
{
	size_t n = 0;

	while (opts && opts[n].long_name)
		n++;
	return n;
}

static const struct poolctl_option *option_at(const struct poolctl_usage *u,
					      size_t i)
{
	return i < nr_options(u->options) ? &u->options[i] : &help_option;
}

/* "    -s, --size <size>" into @buf; its length. */
static int option_left(const struct poolctl_option *o, char *buf, size_t len)
{
	char s[8] = "    ";

	if (o->short_name)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	return snprintf(buf, len, "    %s--%s%s%s", s, o->long_name,
			o->argh ? " " : "", o->argh ? o->argh : "");
}

/* The options as the help shows them, help text in one column. */
static void print_options(const struct poolctl_usage *u, FILE *f)
{
	size_t i, n = nr_options(u->options) + 1;
	const struct poolctl_option *o;
	const char *line, *nl;
	int w, col = 0;
	char left[128];

	for (i = 0; i < n; i++) {
		w = option_left(option_at(u, i), left, sizeof(left));
		if (w > col)
			col = w;
	}
	col += 2;
	for (i = 0; i < n; i++) {
		o = option_at(u, i);
		option_left(o, left, sizeof(left));
		fprintf(f, "%-*s", col, left);
		for (line = o->help; (nl = strchr(line, '\n')); line = nl + 1)
			fprintf(f, "%.*s\n%*s", (int)(nl - line), line, col,
				"");
		fprintf(f, "%s\n", line);
	}
}

void poolctl_print_usage(const struct poolctl_usage *u, FILE *f)
{
	fprintf(f, "%s\n", u->text);
	print_options(u, f);
	if (u->epilogue)
		fprintf(f, "\n%s", u->epilogue);
}

/* getopt_long()'s view of the table: ids are indexes into it. */
struct getopt_view {
	struct option longopts[OPTS_MAX + 1];
	char optstring[3 * OPTS_MAX + 4];
};

#define SHORT_ID(c)	(c)
#define LONG_ID(i)	(256 + (int)(i))

static void make_view(const struct poolctl_usage *u, struct getopt_view *v)
{
	size_t i, n = nr_options(u->options) + 1;
	const struct poolctl_option *o;
	char *p = v->optstring;

	if (!u->permute)
		*p++ = '+';
	*p++ = ':';
	for (i = 0; i < n && i < OPTS_MAX; i++) {
		o = option_at(u, i);
		v->longopts[i] = (struct option){
			.name = o->long_name,
			.has_arg = o->argh ? required_argument : no_argument,
			.val = o->short_name ? SHORT_ID(o->short_name) :
					       LONG_ID(i),
		};
		if (o->short_name) {
			*p++ = (char)o->short_name;
			if (o->argh)
				*p++ = ':';
		}
	}
	*p = '\0';
	v->longopts[i] = (struct option){ 0 };
}

static const struct poolctl_option *find_option(const struct poolctl_usage *u,
						int val)
{
	size_t i, n = nr_options(u->options) + 1;

	for (i = 0; i < n; i++) {
		const struct poolctl_option *o = option_at(u, i);

		if (o->short_name ? SHORT_ID(o->short_name) == val :
				    LONG_ID(i) == val)
			return o;
	}
	return NULL;
}

/* For getopt_long()'s '?' and ':' (the optstring has a ':'). */
static int option_error(const char *cmd, int opt, char **argv)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		return poolctl_err(cmd, EINVAL, "option '%s' needs a value",
				   arg);
	if (optopt && strncmp(arg, "--", 2) != 0)
		return poolctl_err(cmd, EINVAL, "unknown option '-%c'", optopt);
	return poolctl_err(cmd, EINVAL, "unknown option '%s'", arg);
}

/* Carries out @o for the command's @args; 0 or 1 after an error. */
static int apply_option(const struct poolctl_option *o, void *args,
			const char *val)
{
	char *field = (char *)args + o->offset;

	switch (o->type) {
	case POOLCTL_OPT_TYPE_FLAG:
		*(bool *)field = true;
		return 0;
	case POOLCTL_OPT_TYPE_BIT:
		*(unsigned int *)field |= o->bit;
		return 0;
	case POOLCTL_OPT_TYPE_STRING:
		*(const char **)field = val;
		return 0;
	case POOLCTL_OPT_TYPE_CALLBACK:
		return o->parse(args, val);
	}
	return 0;
}

int poolctl_parse_options(const struct poolctl_usage *u, void *args,
			  int argc, char **argv)
{
	const struct poolctl_option *o;
	struct getopt_view v;
	int opt, rc;

	make_view(u, &v);
	optind = 0;	/* afresh, whatever parsed before */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, v.optstring, v.longopts,
				  NULL)) != -1) {
		o = find_option(u, opt);
		if (!o)
			return option_error(u->cmd, opt, argv);
		if (o == &help_option) {
			poolctl_print_usage(u, stdout);
			return 0;
		}
		rc = apply_option(o, args, optarg);
		if (rc)
			return rc;
	}
	return -1;
}
