#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make analyze`: gcc's static analyzer finds nothing in lib/ and
# tools/poolctl/, and does fail on a file with a use after free, so that
# a clean run means something.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

tap_plan 2
out=$(make -s -C "$top" analyze 2>&1)
st=$?
[ "$st" = 0 ] || printf '# %s\n' "$out" | head -n 40
tap_result "lib/ and tools/poolctl/ pass make analyze" "$st"

printf '%s\n' '#include <stdlib.h>' 'int use_after_free(void);' \
	'int use_after_free(void)' '{' '	int *p = malloc(sizeof(*p));' \
	'	if (!p)' '		return 0;' '	*p = 1;' '	free(p);' \
	'	return *p;' '}' >"$tmp/uaf.c"
out=$(make -s -C "$top" analyze ANALYZE_FILES="$tmp/uaf.c" 2>&1)
st=$?
tap_ok "make analyze fails on a use after free" \
	test "$st" != 0 -a -n "$(grep -F 'uaf.c:10' <<<"$out")"
tap_done
