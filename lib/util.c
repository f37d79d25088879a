// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpool: helpers for sizes given and shown to people, and for tables
 * of names.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "private.h"

int pool_parse_size(const char *str, unsigned long long *size)
{
	unsigned long long v = 0;
	static const char units[] = "kmgt";
	const char *p = str, *unit;
	unsigned int shift;

	if (!str || !size)
		return -EINVAL;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (__builtin_mul_overflow(v, 10ULL, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -EOVERFLOW;
	}
	if (!*p) {
		*size = v;
		return 0;
	}
	/* K, M, G or T (either case), optionally followed by "iB". */
	unit = strchr(units, tolower((unsigned char)*p));
	if (!unit)
		return -EINVAL;
	shift = 10 * (unsigned int)(unit - units + 1);
	p++;
	if (strcmp(p, "iB") != 0 && *p)
		return -EINVAL;
	if (v > (~0ULL >> shift))
		return -EOVERFLOW;
	*size = v << shift;
	return 0;
}

int pool_format_size(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	const unsigned int nr_units = ARRAY_SIZE(units);
	unsigned long long whole, frac, unit = 1024;
	unsigned int i = 0;
	int n;

	if (!buf)
		return -EINVAL;
	if (bytes < 1024) {
		n = snprintf(buf, len, "%llu B", bytes);
		return n >= 0 && (size_t)n < len ? n : -ENOSPC;
	}
	while (i + 1 < nr_units &&
	       bytes / unit >= 1024) {
		unit <<= 10;
		i++;
	}
	whole = bytes / unit;
	/* (bytes % unit) < 2^60 for EiB, so the * 10 cannot overflow. */
	frac = ((bytes % unit) * 10 + unit / 2) / unit;
	if (frac == 10) {
		whole++;
		frac = 0;
		/* 1023.96 KiB rounds to 1.0 MiB, not 1024.0 KiB. */
		if (whole == 1024 && i + 1 < nr_units) {
			whole = 1;
			i++;
		}
	}
	n = snprintf(buf, len, "%llu.%llu %s", whole, frac, units[i]);
	return n >= 0 && (size_t)n < len ? n : -ENOSPC;
}

const char *lp_name_of(const char *const *names, size_t nr, int value)
{
	if (value < 0 || (size_t)value >= nr)
		return NULL;
	return names[value];
}

int lp_name_index(const char *const *names, size_t nr, const char *name)
{
	size_t i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (names[i] && strcmp(name, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}
