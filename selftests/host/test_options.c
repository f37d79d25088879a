// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl's option tables (tools/poolctl/options.c): the help of every
 * command lists every option of its table, help text in one column;
 * unknown options and missing values give the same one-line errors in
 * every command; the actions (flag, bit, string, callback), --help, and
 * where option parsing stops.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../tools/poolctl/poolctl.h"

static const struct poolctl_usage *const usages[] = {
	&usage_list, &usage_alloc, &usage_stat, &usage_limit, &usage_bench,
	&usage_member,
};

#define NR_USAGES (sizeof(usages) / sizeof(usages[0]))
#define TEXT_MAX 8192
#define ARGS_MAX 4096	/* room for any command's argument struct */

struct run {
	int rc;
	char out[TEXT_MAX];
	char err[TEXT_MAX];
};

static void slurp(FILE *f, char *buf)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, TEXT_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* poolctl_parse_options() with stdout and stderr captured. */
static void parse(const struct poolctl_usage *u, void *args, int argc,
		  char **argv, struct run *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out = dup(1), saved_err = dup(2);

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	r->rc = poolctl_parse_options(u, args, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, r->out);
	slurp(err, r->err);
}

static void usage_text(const struct poolctl_usage *u, char *buf)
{
	FILE *f = tmpfile();

	poolctl_print_usage(u, f);
	slurp(f, buf);
}

/* The line of the help that shows option --@name, or NULL. */
static const char *option_line(const char *text, const char *name)
{
	char want[64];
	const char *p;
	int n;

	for (p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		snprintf(want, sizeof(want), "        --%s%n", name, &n);
		if (!strncmp(p, want, (size_t)n) &&
		    (p[n] == ' ' || p[n] == '\n'))
			return p;
		if (!strncmp(p, "    -", 5) && p[6] == ',' &&
		    !strncmp(p + 7, want + 7, (size_t)n - 7) &&
		    (p[n] == ' ' || p[n] == '\n'))
			return p;
	}
	return NULL;
}

TEST(help_lists_every_option)
{
	char text[TEXT_MAX], want[96];
	const struct poolctl_option *o;
	const char *line;
	size_t i;

	for (i = 0; i < NR_USAGES; i++) {
		usage_text(usages[i], text);
		ASSERT_EQ(0, strncmp(text, "usage: poolctl ", 15));
		for (o = usages[i]->options; o->long_name; o++) {
			line = option_line(text, o->long_name);
			ASSERT_NE(NULL, line) {
				TH_LOG("%s: no --%s in\n%s", usages[i]->cmd,
				       o->long_name, text);
			}
			if (o->short_name) {
				snprintf(want, sizeof(want), "    -%c, --%s",
					 o->short_name, o->long_name);
				EXPECT_EQ(0, strncmp(line, want,
						     strlen(want)));
			}
			if (o->argh) {
				snprintf(want, sizeof(want), "--%s %s ",
					 o->long_name, o->argh);
				EXPECT_NE(NULL, strstr(line, want));
			}
		}
		EXPECT_NE(NULL, option_line(text, "help"));
	}
}

/* Each option's help, continuation lines too, starts in one column. */
TEST(help_is_one_column)
{
	const struct poolctl_option *o;
	const char *line, *help, *nl;
	char text[TEXT_MAX];
	size_t i, len;
	int col;

	for (i = 0; i < NR_USAGES; i++) {
		usage_text(usages[i], text);
		line = option_line(text, "help");
		ASSERT_NE(NULL, line);
		col = (int)(strstr(line, "show this help") - line);
		for (o = usages[i]->options; o->long_name; o++) {
			line = option_line(text, o->long_name);
			ASSERT_NE(NULL, line);
			for (help = o->help; help; help = nl ? nl + 1 : NULL) {
				nl = strchr(help, '\n');
				len = nl ? (size_t)(nl - help) : strlen(help);
				EXPECT_EQ(0, strncmp(line + col, help, len)) {
					TH_LOG("%s --%s: '%.70s'",
					       usages[i]->cmd, o->long_name,
					       line);
				}
				EXPECT_EQ(' ', line[col - 1]);
				line = strchr(line, '\n') + 1;
			}
		}
	}
}

/* The same errors for the same mistakes, in every command. */
TEST(unknown_options)
{
	char *argv[3], want[128];
	static char args[ARGS_MAX];
	struct run r;
	size_t i;

	for (i = 0; i < NR_USAGES; i++) {
		const char *cmd = usages[i]->cmd;

		argv[0] = (char *)cmd;
		argv[1] = "--bogus";
		argv[2] = NULL;
		memset(args, 0, sizeof(args));
		parse(usages[i], args, 2, argv, &r);
		EXPECT_EQ(1, r.rc);
		EXPECT_STREQ("", r.out);
		snprintf(want, sizeof(want), "poolctl %s: unknown option "
			 "'--bogus': Invalid argument\n", cmd);
		EXPECT_STREQ(want, r.err);

		argv[1] = "-x";
		parse(usages[i], args, 2, argv, &r);
		EXPECT_EQ(1, r.rc);
		snprintf(want, sizeof(want), "poolctl %s: unknown option "
			 "'-x': Invalid argument\n", cmd);
		EXPECT_STREQ(want, r.err);
	}
}

TEST(missing_values)
{
	const struct poolctl_option *o;
	char *argv[3], opt[64], want[160];
	static char args[ARGS_MAX];
	int nr = 0, s;
	struct run r;
	size_t i;

	for (i = 0; i < NR_USAGES; i++) {
		for (o = usages[i]->options; o->long_name; o++) {
			if (!o->argh)
				continue;
			for (s = 0; s < 2; s++) {
				if (s && !o->short_name)
					break;
				if (s)
					snprintf(opt, sizeof(opt), "-%c",
						 o->short_name);
				else
					snprintf(opt, sizeof(opt), "--%s",
						 o->long_name);
				argv[0] = (char *)usages[i]->cmd;
				argv[1] = opt;
				argv[2] = NULL;
				memset(args, 0, sizeof(args));
				parse(usages[i], args, 2, argv, &r);
				EXPECT_EQ(1, r.rc);
				snprintf(want, sizeof(want), "poolctl %s: "
					 "option '%s' needs a value: Invalid "
					 "argument\n", usages[i]->cmd, opt);
				EXPECT_STREQ(want, r.err);
				nr++;
			}
		}
	}
	EXPECT_LT(20, nr);	/* alloc, bench and member have values */
}

TEST(help_option)
{
	char *argv[] = { "alloc", "-h", NULL }, text[TEXT_MAX];
	static char args[ARGS_MAX];
	struct run r;

	parse(&usage_alloc, args, 2, argv, &r);
	EXPECT_EQ(0, r.rc);
	EXPECT_STREQ("", r.err);
	usage_text(&usage_alloc, text);
	EXPECT_STREQ(text, r.out);
	argv[1] = "--help";
	parse(&usage_alloc, args, 2, argv, &r);
	EXPECT_EQ(0, r.rc);
	EXPECT_STREQ(text, r.out);
}

/* A table of every kind of option, on a struct of its own. */
struct test_args {
	bool flag;
	unsigned int bits;
	const char *str;
	int calls;
	const char *last;
};

static int test_cb(void *args, const char *val)
{
	struct test_args *a = args;

	a->calls++;
	a->last = val;
	return strcmp(val, "bad") ? 0 : poolctl_err("test", 0, "bad value");
}

#define TA(f) offsetof(struct test_args, f)

static const struct poolctl_option test_options[] = {
	POOLCTL_OPT_FLAG('f', "flag", TA(flag), "a flag"),
	POOLCTL_OPT_BIT(0, "bit1", TA(bits), 1, "bit 1"),
	POOLCTL_OPT_BIT('4', "bit4", TA(bits), 4, "bit 4"),
	POOLCTL_OPT_STRING('s', "str", "<s>", TA(str), "a string"),
	POOLCTL_OPT_CALLBACK(0, "cb", "<v>", test_cb, "a callback\non two"),
	POOLCTL_OPT_END,
};

static struct poolctl_usage test_usage = {
	.cmd = "test",
	.text = "usage: poolctl test [<options>] <x>\n",
	.options = test_options,
	.epilogue = "The end.\n",
};

TEST(actions)
{
	char *argv[] = { "test", "-f4", "--bit1", "-s", "v", "--cb=x",
			 "--cb", "y", "op", "--flag", NULL };
	struct test_args a = { 0 };
	struct run r;

	parse(&test_usage, &a, 10, argv, &r);
	EXPECT_EQ(-1, r.rc);
	EXPECT_STREQ("", r.err);
	EXPECT_TRUE(a.flag);
	EXPECT_EQ(5U, a.bits);
	EXPECT_STREQ("v", a.str);
	EXPECT_EQ(2, a.calls);
	EXPECT_STREQ("y", a.last);
	/* Options end at the first operand... */
	EXPECT_EQ(8, optind);
}

TEST(permute)
{
	char *argv[] = { "test", "op", "--str", "v", NULL };
	struct test_args a = { 0 };
	struct run r;

	/* ... unless the command lets them follow (member add). */
	test_usage.permute = true;
	parse(&test_usage, &a, 4, argv, &r);
	test_usage.permute = false;
	EXPECT_EQ(-1, r.rc);
	EXPECT_STREQ("v", a.str);
	EXPECT_EQ(3, optind);
	EXPECT_STREQ("op", argv[optind]);
}

TEST(callback_error_stops)
{
	char *argv[] = { "test", "--cb", "bad", "--flag", NULL };
	struct test_args a = { 0 };
	struct run r;

	parse(&test_usage, &a, 4, argv, &r);
	EXPECT_EQ(1, r.rc);
	EXPECT_STREQ("poolctl test: bad value\n", r.err);
	EXPECT_FALSE(a.flag);
}

TEST(abbreviated_long_options)
{
	char *argv[] = { "test", "--fl", "--st", "v", NULL };
	struct test_args a = { 0 };
	struct run r;

	parse(&test_usage, &a, 4, argv, &r);
	EXPECT_EQ(-1, r.rc);
	EXPECT_TRUE(a.flag);
	EXPECT_STREQ("v", a.str);
}

TEST(help_layout)
{
	char text[TEXT_MAX];

	usage_text(&test_usage, text);
	EXPECT_STREQ("usage: poolctl test [<options>] <x>\n"
		     "\n"
		     "    -f, --flag     a flag\n"
		     "        --bit1     bit 1\n"
		     "    -4, --bit4     bit 4\n"
		     "    -s, --str <s>  a string\n"
		     "        --cb <v>   a callback\n"
		     "                   on two\n"
		     "    -h, --help     show this help\n"
		     "\n"
		     "The end.\n", text);
}

TEST_HARNESS_MAIN
