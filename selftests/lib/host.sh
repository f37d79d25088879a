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
