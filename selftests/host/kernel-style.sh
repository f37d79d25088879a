#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make style`: the kernel sources and the UAPI header pass checkpatch
# --strict (about ten seconds), and the target does fail on a file with
# a single --strict check, so that a clean run means something.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checkpatch=$(. "$top/tools/kernel/common.sh" && echo "$(source_dir)")/scripts/checkpatch.pl

tap_plan 2
if [ ! -f "$checkpatch" ]; then
	tap_skip "kernel/ and the UAPI header pass make style" \
		"no $checkpatch (tools/setup)"
	tap_skip "make style fails on a --strict check" "no checkpatch.pl"
	exit 0
fi

out=$(make -s -C "$top" style 2>&1)
st=$?
[ "$st" = 0 ] || printf '# %s\n' "$out"
tap_result "kernel/ and the UAPI header pass make style" "$st"

# A cast followed by a space: a CHECK under --strict, nothing without.
printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
	'static int f(long b)' '{' '	return (int) b;' '}' >"$tmp/cast.c"
out=$(make -s -C "$top" style STYLE_FILES="$tmp/cast.c" 2>&1)
st=$?
tap_ok "make style fails on a --strict check" \
	test "$st" != 0 -a -n "$(grep -F 'cast.c:4: CHECK' <<<"$out")"
tap_done
