// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: helpers of the commands that report errors in one line
 * (alloc, stat, limit): messages, option errors, lists, JSON, tables.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "poolctl.h"

int poolctl_cmd_error(const char *cmd, int err, const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "poolctl %s: ", cmd);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, ": %s\n", strerror(err));
	return 1;
}

int poolctl_option_error(const char *cmd, int opt, char **argv)
{
	const char *arg = argv[optind - 1];

	if (opt == ':')
		return poolctl_cmd_error(cmd, EINVAL,
					 "option '%s' needs a value", arg);
	if (optopt && strncmp(arg, "--", 2) != 0)
		return poolctl_cmd_error(cmd, EINVAL, "unknown option '-%c'",
					 optopt);
	return poolctl_cmd_error(cmd, EINVAL, "unknown option '%s'", arg);
}

int poolctl_parse_view_opts(int argc, char **argv, const char *cmd,
			    const char *usage, bool *human)
{
	static const struct option longopts[] = {
		{ "human", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*human = false;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:uh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			*human = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return poolctl_option_error(cmd, opt, argv);
		}
	}
	return -1;
}

/* A decimal unsigned int, nothing else. */
static int parse_uint(const char *s, const char **end, unsigned int *val)
{
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > UINT_MAX)
			return -EOVERFLOW;
	}
	*end = s;
	*val = (unsigned int)v;
	return 0;
}

int poolctl_parse_uint(const char *s, unsigned int *val)
{
	const char *end;
	int rc = parse_uint(s, &end, val);

	if (!rc && *end)
		rc = -EINVAL;
	return rc;
}

int poolctl_parse_list(const char *s, bool ranges, unsigned int max,
		       unsigned int *vals, unsigned int *nr)
{
	unsigned int a, b, i, n = 0;
	const char *p = s;
	int rc;

	for (;;) {
		rc = parse_uint(p, &p, &a);
		if (rc)
			return rc;
		b = a;
		if (ranges && *p == '-') {
			rc = parse_uint(p + 1, &p, &b);
			if (rc)
				return rc;
			if (b < a)
				return -EINVAL;
		}
		for (;; a++) {
			for (i = 0; ranges && i < n; i++)
				if (vals[i] == a)
					return -EEXIST;
			if (n == max)
				return -E2BIG;
			vals[n++] = a;
			if (a == b)
				break;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
	*nr = n;
	return 0;
}

void pj_add(struct json_object *obj, const char *key,
	    struct json_object *val, bool *ok)
{
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		*ok = false;
	}
}

void pj_append(struct json_object *arr, struct json_object *val, bool *ok)
{
	if (!val || json_object_array_add(arr, val)) {
		json_object_put(val);
		*ok = false;
	}
}

struct json_object *pj_u64(unsigned long long v, bool *ok)
{
	struct json_object *j = json_object_new_uint64(v);

	if (!j)
		*ok = false;
	return j;
}

struct json_object *pj_int(long long v, bool *ok)
{
	struct json_object *j = json_object_new_int64(v);

	if (!j)
		*ok = false;
	return j;
}

struct json_object *pj_bool(bool v, bool *ok)
{
	struct json_object *j = json_object_new_boolean(v);

	if (!j)
		*ok = false;
	return j;
}

struct json_object *pj_str(const char *s, bool *ok)
{
	struct json_object *j;

	if (!s)
		return NULL;
	j = json_object_new_string(s);
	if (!j)
		*ok = false;
	return j;
}

int poolctl_print_json(const char *cmd, struct json_object *root, bool ok,
		       FILE *f)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;

	if (ok && root)
		fprintf(f, "%s\n", json_object_to_json_string_ext(root, flags));
	json_object_put(root);
	if (!ok || !root)
		return poolctl_cmd_error(cmd, ENOMEM,
					 "cannot build the output");
	return 0;
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
