/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading poolctl's JSON in host tests: typed lookups that give a value
 * a test can compare rather than crash on.  Static functions, included
 * by the tests that need them.
 */
#ifndef _POOL_TEST_JSON_H
#define _POOL_TEST_JSON_H

#include <stdbool.h>
#include <json-c/json.h>

/* Has @obj a @key of @type?  json_type_null: a key whose value is null. */
static inline bool has(struct json_object *obj, const char *key,
		       json_type type)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) &&
	       json_object_is_type(v, type);
}

static inline struct json_object *get(struct json_object *obj,
				      const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* The integer at @key, or -12345 when it is missing or not an integer. */
static inline long long num(struct json_object *obj, const char *key)
{
	return has(obj, key, json_type_int) ?
	       json_object_get_int64(get(obj, key)) : -12345;
}

static inline const char *str(struct json_object *obj, const char *key)
{
	return has(obj, key, json_type_string) ?
	       json_object_get_string(get(obj, key)) : "(not a string)";
}

#endif /* _POOL_TEST_JSON_H */
