# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # $tmp comes from the sourcing script
# Running poolctl in shell tests, host and guest alike.  Sourced, after
# tap.sh, by a script that has set $tmp (a scratch directory) and, on
# the host, $poolctl (the binary; the guest's is on PATH).
#
#   run ARGS...     poolctl ARGS: sets $st, $out (stdout), $err (stderr)
#   ok_run          status 0 and nothing on stderr (else logged)
#   one_line TEXT   status 1, nothing on stdout, one stderr line that
#                   starts with $one_line_prefix ("poolctl " unless set)
#                   and contains TEXT

run() {
	st=0
	"${poolctl:-poolctl}" "$@" >"$tmp/out" 2>"$tmp/err" || st=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

ok_run() {
	[ "$st" = 0 ] && [ -z "$err" ] && return 0
	tap_diag "status $st, stderr: ${err:0:300}"
	return 1
}

one_line() {
	if [ "$st" = 1 ] && [ -z "$out" ] && [[ "$err" != *$'\n'* ]] &&
	   [[ "$err" == "${one_line_prefix:-poolctl }"*"$1"* ]]; then
		return 0
	fi
	tap_diag "status $st, stdout '${out:0:100}', stderr '${err:0:300}'"
	return 1
}
