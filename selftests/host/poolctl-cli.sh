#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl's command line on a host without the module: version, help,
# usage, errors and exit statuses; its plugins (tools/poolctl/plugin.h):
# poolctl links none of their libraries, monitor loads its plugin once
# its options are good, and a plugin that is missing or not one is one
# line naming the file, the other commands unaffected.  POOLCTL
# overrides build/poolctl.
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

tap_plan 26

if [ ! -x "$poolctl" ]; then
	for _ in $(seq 26); do
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

# The libraries of bench --plot and monitor are their plugins', not
# poolctl's: a start of poolctl loads none of them (issue 13).
needed=$(readelf -d "$poolctl" 2>&1 | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
tap_diag "poolctl needs: $(paste -sd' ' <<<"$needed")"
tap_ok "poolctl has NEEDED entries, libpool.so.1 among them" \
	grep -qx libpool.so.1 <<<"$needed"
tap_is "and none for cairo, fontconfig, libtracefs or libtraceevent" \
	"$(grep -E '^lib(cairo|fontconfig|tracefs|traceevent)\.' <<<"$needed")" ""

# monitor, run without CAP_SYS_ADMIN (setpriv): whatever it loads, its
# first check refuses before tracefs is touched, so that the host's
# tracefs stays as it is.  Without setpriv, as root, not run.
run_monitor() {
	st=0
	setpriv --bounding-set=-sys_admin "$poolctl" monitor "$@" \
		>"$tmp/out" 2>"$tmp/err" || st=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}
one_line_prefix="poolctl monitor: "
if ! command -v setpriv >/dev/null; then
	for _ in $(seq 7); do
		tap_skip "monitor and its plugin" "no setpriv"
	done
	tap_done
	exit 0
fi
run_monitor
tap_ok "monitor runs its plugin: without CAP_SYS_ADMIN, it needs root" \
	one_line "needs root (CAP_SYS_ADMIN)"

# A copy of poolctl and libpool without the plugins beside them.
bare=$tmp/bare
mkdir -p "$bare"
cp "$poolctl" "$(dirname "$poolctl")/libpool.so.1" "$bare/"
plot_so=$(dirname "$poolctl")/poolctl-plot.so
poolctl=$bare/poolctl
run --version
tap_is "without the plugins, --version works" "$st:$out" "0:$version"
run_monitor --help
tap_ok "and so does monitor --help" \
	test "$st" = 0 -a -z "$err" -a "$(head -n 1 <<<"$out")" = \
	"usage: poolctl monitor [<options>]"
run_monitor --count 0
tap_ok "and a bad option of monitor is refused as before" \
	one_line "bad count '0'"
run_monitor
tap_ok "monitor without its plugin: one line naming the file" \
	one_line "cannot load $bare/scalepool/poolctl-monitor.so: cannot open shared object file"
# Not a plugin of this interface: the entry's name has its number.
cp "$plot_so" "$bare/poolctl-monitor.so"
run_monitor
tap_ok "a file that is not the monitor's plugin: one line, the entry missing" \
	one_line "cannot load $bare/poolctl-monitor.so: undefined symbol: poolctl_monitor_v1"
: >"$bare/poolctl-monitor.so"
run_monitor
tap_ok "an empty file: one line, dlerror()'s reason" \
	one_line "cannot load $bare/poolctl-monitor.so: file too short"
tap_done
