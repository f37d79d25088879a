// SPDX-License-Identifier: GPL-2.0
/*
 * poolctl: the errors and the JSON values, what poolctl shares with its
 * plugins (plugin.h).  Compiled into poolctl and into poolctl-monitor.so
 * alike: no state and nothing but libc and json-c, so that the plugin
 * links without poolctl's other objects and prints its errors and its
 * JSON as the rest of poolctl does.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "poolctl.h"

void poolctl_verr(const char *cmd, int err, const char *fmt, va_list args)
{
	fprintf(stderr, "poolctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, args);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

int poolctl_err(const char *cmd, int err, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	poolctl_verr(cmd, err, fmt, args);
	va_end(args);
	return 1;
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

struct json_object *pj_object(bool *ok)
{
	struct json_object *j = json_object_new_object();

	if (!j)
		*ok = false;
	return j;
}

struct json_object *pj_array(bool *ok)
{
	struct json_object *j = json_object_new_array();

	if (!j)
		*ok = false;
	return j;
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

struct json_object *pj_double(double v, int decimals, bool *ok)
{
	struct json_object *j;
	char text[64];

	snprintf(text, sizeof(text), "%.*f", decimals, v);
	j = json_object_new_double_s(v, text);
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
