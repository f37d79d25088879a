#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every page of Documentation/ parses as reStructuredText without a
# warning (Debian's docutils, python3-docutils from tools/setup): a
# definition whose term runs over two lines, or a list that ends without
# a blank line, reads as intended in the source but renders as an error.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

pages=("$top"/Documentation/*.rst)
tap_plan ${#pages[@]}
for page in "${pages[@]}"; do
	# --report=2: warnings and worse; --halt=5: report all, stop on none.
	out=$(/usr/bin/python3 -m docutils --report=2 --halt=5 \
		"$page" /dev/null 2>&1)
	[ -n "$out" ] && tap_diag "$out"
	tap_is "Documentation/${page##*/} parses without a warning" "$out" ""
done
