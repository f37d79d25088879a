# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2154 # $top in, the rest out
# The start of every host shell test: sourced first, with $top set to
# the tree.  Brings TAP (tap.sh), sets $poolctl (POOLCTL overrides
# build/poolctl) and $tmp, a scratch directory removed on exit.

. "$top/selftests/lib/tap.sh"

poolctl=${POOLCTL:-$top/build/poolctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Documentation/libpool.rst's example program, as the page has it (the
# literal block from its cc line to the end of the block), into FILE:
# the install tests build it against what they installed.
libpool_example() {
	awk '/cc -o interleave interleave\.c/ { on = 1 }
	     on && /^[^ ]/ { exit }
	     on { sub(/^  /, ""); print }' \
		"$top/Documentation/libpool.rst" >"$1"
}

# Build that example with FLAGS (pkg-config's) and run it with LIBDIR
# first in the loader's path: three TAP results, that it builds, that it
# loads LIBDIR's libpool.so.1 and, with no module loaded, that it
# reports pool_new()'s ENODEV.
# Usage: tap_libpool_example WHAT LIBDIR FLAGS...
tap_libpool_example() {
	local what=$1 lib=$2 out st
	shift 2
	libpool_example "$tmp/interleave.c"
	tap_ok "Documentation/libpool.rst's example builds against $what" \
		gcc -Wall -Werror -o "$tmp/interleave" "$tmp/interleave.c" "$@"
	tap_is "it loads $what's libpool.so.1" \
		"$(LD_LIBRARY_PATH=$lib ldd "$tmp/interleave" |
		   awk '/libpool/ { print $3 }')" "$lib/libpool.so.1"
	out=$(LD_LIBRARY_PATH=$lib "$tmp/interleave" 2>&1)
	st=$?
	tap_diag "the example said: $out"
	if [ -e /dev/scalepool ]; then
		tap_skip "it reports that there is no device" \
			"/dev/scalepool exists"
	else
		tap_is "it reports that there is no device" "$st: $out" \
			"1: pool_new: No such device"
	fi
}
