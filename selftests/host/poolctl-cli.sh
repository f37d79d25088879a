#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl's command line on a host without the module: version, help,
# usage, errors and exit statuses.  POOLCTL overrides build/poolctl.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/selftests/lib/poolctl.sh"

# fails_cleanly: exit status 1, nothing on stdout, something on stderr.
fails_cleanly() {
	[ "$st" = 1 ] && [ -z "$out" ] && [ -n "$err" ]
}

# usage_error CMD: fails_cleanly, naming the problem and showing the usage.
usage_error() {
	fails_cleanly && grep -q "^usage: poolctl$1" <<<"$err"
}

lines() {
	printf '%s\n' "$1" | wc -l
}

tap_plan 17

if [ ! -x "$poolctl" ]; then
	for _ in $(seq 17); do
		tap_result "poolctl is built ($poolctl)" 1
	done
	exit 1
fi

run --version
tap_ok "--version prints 'poolctl <version>'" \
	test "$st" = 0 -a -z "$err" -a "$(lines "$out")" = 1 \
	-a "${out#poolctl }" != "$out" -a -n "${out#poolctl }"
version=$out

run version
tap_is "'version' prints the same" "$st:$out" "0:$version"

run help
tap_ok "help lists list, help and version" \
	test "$st" = 0 -a -z "$err" -a "$(grep -cE '^ +(list|help|version) ' \
	<<<"$out")" = 3

run help list
tap_ok "help list prints the usage of list" \
	test "$st" = 0 -a -z "$err" -a \
	"$(head -n 1 <<<"$out")" = "usage: poolctl list [<options>]"
usage=$out
tap_ok "it documents --human and -u" grep -q -- '-u, --human' <<<"$usage"

run list --help
tap_is "list --help prints the same" "$st:$out" "0:$usage"

run list -u -h
tap_is "list -u -h prints the same" "$st:$out" "0:$usage"

run frobnicate
tap_ok "an unknown command fails with one line on stderr" \
	test "$st" = 1 -a -z "$out" -a "$(lines "$err")" = 1
tap_ok "which names the command" grep -q "'frobnicate'" <<<"$err"

run help frobnicate
tap_ok "help of an unknown command fails" fails_cleanly

run list --bogus
tap_ok "list --bogus fails with one line" \
	eval 'fails_cleanly && [ "$(lines "$err")" = 1 ]'
tap_ok "which names the option" grep -q -- "'--bogus'" <<<"$err"

run list extra
tap_ok "list with an argument is a usage error" usage_error " list"

run
tap_ok "no command prints the usage and fails" usage_error ""

if [ -e /sys/module/scalepool ]; then
	tap_skip "list without the module fails" "scalepool is loaded here"
	tap_skip "which says the module is not loaded" \
		"scalepool is loaded here"
	tap_skip "list --human without the module fails" \
		"scalepool is loaded here"
else
	run list
	one_line=$(fails_cleanly && lines "$err")
	tap_is "list without the module fails with one line on stderr" \
		"$one_line" 1
	tap_ok "which says the module is not loaded" \
		grep -q "scalepool module not loaded" <<<"$err"
	run list --human
	tap_is "list --human without the module fails the same way" \
		"$(fails_cleanly && lines "$err")" 1
fi
tap_done
