#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl alloc, stat and limit on a host without the module: every bad
# argument is found before the module is needed and fails with status 1,
# nothing on stdout and one line on stderr, "poolctl <cmd>: <reason>:
# <strerror>"; --help works; good arguments fail only for want of the
# module.  POOLCTL overrides build/poolctl.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

# Each case: "command and arguments (no blanks inside one)|text expected
# in the error line".  The size limits are SCALEPOOL_MAX_ALLOC_SIZE (1 TiB)
# and SCALEPOOL_MAX_GRANULARITY (1 GiB).
bad=(
	"alloc|--size is required: Invalid argument"
	"alloc --size|'--size' needs a value: Invalid argument"
	"alloc -s|'-s' needs a value: Invalid argument"
	"alloc --size 0|size must not be 0: Invalid argument"
	"alloc --size abc|bad size 'abc': Invalid argument"
	"alloc --size -1|bad size '-1': Invalid argument"
	"alloc --size 1.5M|bad size '1.5M': Invalid argument"
	"alloc --size 4X|bad size '4X': Invalid argument"
	"alloc --size 99999999999999999999|too large: Value too large"
	"alloc --size 16777216T|too large: Value too large"
	"alloc --size 2T|maximum of 1.0 TiB: Value too large"
	"alloc --size 4M --policy foo|unknown policy 'foo'"
	"alloc --size 4M --policy BIND|unknown policy 'BIND'"
	"alloc --size 4M --policy|'--policy' needs a value"
	"alloc --size 4M --members a|bad member list 'a': Invalid argument"
	"alloc --size 4M --members 0,|bad member list '0,'"
	"alloc --size 4M --members ,0|bad member list ',0'"
	"alloc --size 4M --members 1-0|bad member list '1-0'"
	"alloc --size 4M --members 0,0|repeats a member: Invalid argument"
	"alloc --size 4M --members 0-2,1|repeats a member"
	"alloc --size 4M --members 0-64|more than 64 members"
	"alloc --size 4M --members 4294967296|Value too large"
	"alloc --size 4M --members 0 --nodes 0|exclude each other"
	"alloc --size 4M --nodes abc|bad node list 'abc'"
	"alloc --size 4M --nodes 9999|bad node list '9999'"
	"alloc --size 4M --nodes 0-|bad node list '0-'"
	"alloc --size 4M --nodes !all|no nodes in '!all': Invalid argument"
	"alloc --size 4M --policy bind|policy bind needs --members or --nodes"
	"alloc --size 4M --policy preferred|policy preferred needs"
	"alloc --size 4M --policy interleave|policy interleave needs"
	"alloc --size 4M -w 1|--weights needs --policy interleave, not tiered"
	"alloc --size 4M -m 0,1 -w 1,1|needs --policy interleave, not bind"
	"alloc --size 4M -p interleave -m 0,1 -w 3|1 weights for 2 members"
	"alloc --size 4M -p interleave -m 0 -w 1,1|2 weights for 1 members"
	"alloc --size 4M -p interleave -n 0 -w 1,1|2 weights for 1 members"
	"alloc --size 4M -p interleave -m 0,1 -w 0,1|weight 0 is not between 1"
	"alloc --size 4M -p interleave -m 0,1 -w 256,1|weight 256 is not"
	"alloc --size 4M -p interleave -m 0,1 -w 3,x|bad weight list '3,x'"
	"alloc --size 4M -g 4K|--granularity needs --policy interleave"
	"alloc --size 4M -p interleave -m 0 -g 1000|not a multiple of the page"
	"alloc --size 4M -p interleave -m 0 -g 0|granularity must not be 0"
	"alloc --size 4M -p interleave -m 0 -g 2G|above the maximum of 1.0 GiB"
	"alloc --size 4M --initiator -1|bad initiator '-1'"
	"alloc --size 4M --initiator x|bad initiator 'x'"
	"alloc --size 4M --initiator 99999999999|bad initiator"
	"alloc --size 4M --initiator 9999|initiator 9999 is not a node with"
	"alloc --size 4M --initiator-pci 0000:00:00.0|needs --policy nearest"
	"alloc --size 4M -p nearest -i 0 --initiator-pci 0000:00:00.0|--initiator and --initiator-pci exclude each other"
	"alloc --size 4M -p nearest --initiator-pci 0000:fe:1f.7|no PCI device '0000:fe:1f.7'"
	"member|no subcommand (add, remove or drain): Invalid argument"
	"member frob|unknown subcommand 'frob'"
	"member add|no device given"
	"member add 0000:00:04.0|bad device '0000:00:04.0' (expected pci:DDDD:BB:DD.F)"
	"member add pci:0000:00:04|bad device 'pci:0000:00:04'"
	"member add pci:0000:00:20.0|bad device"
	"member add pci:0000:00:04.0 --bar 6|bad BAR index '6' (0 to 5)"
	"member add pci:0000:00:04.0 --bar x|bad BAR index 'x'"
	"member add pci:0000:00:04.0 extra|unexpected argument 'extra'"
	"member add pci:0000:00:04.0 --bogus|unknown option '--bogus'"
	"member remove|no member given"
	"member remove 1 2|unexpected argument '2'"
	"alloc --size 4M --hold -1|bad hold time '-1'"
	"alloc --size 4M --hold x|bad hold time 'x'"
	"alloc --size 4M --hold nan|bad hold time 'nan'"
	"alloc --size 4M --hold inf|bad hold time 'inf'"
	"alloc --size 4M --hold 1e9|more than a year"
	"alloc --size 4M --bogus|unknown option '--bogus': Invalid argument"
	"alloc --size 4M -x|unknown option '-x': Invalid argument"
	"alloc --size 4M extra|unexpected argument 'extra'"
	"stat --bogus|unknown option '--bogus'"
	"stat -x|unknown option '-x'"
	"stat extra|unexpected argument 'extra'"
	"limit|no member given: Invalid argument"
	"limit x|bad member id 'x': Invalid argument"
	"limit 4294967296|bad member id '4294967296': Value too large"
	"limit 1 abc|bad size 'abc': Invalid argument"
	"limit 1 -5|bad size '-5'"
	"limit 1 99999999999999999999|bad size '99999999999999999999': Value"
	"limit 1 4M 5|unexpected argument '5'"
	"limit --bogus 1|unknown option '--bogus'"
	"apply --member pci:00:03.0|bad PCI address '00:03.0' (pci:DDDD:BB:DD.F, as in sysfs)"
	"apply --member pci:0000:00:03.8|bad PCI address '0000:00:03.8'"
	"apply --member pci:|bad PCI address ''"
	"apply --member x|bad member 'x' (an id, or pci:DDDD:BB:DD.F)"
	"apply --member node:0|bad member 'node:0'"
	"apply --names|--names needs --member pci:<addr>: Invalid argument"
	"apply --names --member 3|--names needs --member pci:<addr>"
)
helps=(alloc stat limit member)
nr_plain=10
tap_plan $(( ${#bad[@]} + ${#helps[@]} * 2 + nr_plain ))

if [ ! -x "$poolctl" ]; then
	for _ in $(seq $(( ${#bad[@]} + ${#helps[@]} * 2 + nr_plain ))); do
		tap_result "poolctl is built ($poolctl)" 1
	done
	exit 1
fi

# run ARGS...: sets $out, $err (the texts) and $st.
run() {
	st=0
	"$poolctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || st=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# one_line_error CMD TEXT: status 1, no stdout, one stderr line starting
# "poolctl CMD: " and containing TEXT.
one_line_error() {
	[ "$st" = 1 ] && [ -z "$out" ] &&
		[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
		[[ "$err" == "poolctl $1: "* ]] &&
		[[ "$err" == *"$2"* ]]
}

for c in "${bad[@]}"; do
	args=${c%%|*}
	want=${c#*|}
	# shellcheck disable=SC2086 # the arguments have no blanks
	run $args
	if one_line_error "${args%% *}" "$want"; then
		tap_result "poolctl $args: one line, '$want'" 0
	else
		echo "# status $st, stdout '$out', stderr '$err'"
		tap_result "poolctl $args: one line, '$want'" 1
	fi
done

usage_of() {
	[ "$st" = 0 ] && [ -z "$err" ] && [[ "$out" == "usage: poolctl $1 "* ]]
}

for c in "${helps[@]}"; do
	run "$c" --help
	tap_ok "$c --help prints its usage" usage_of "$c"
	usage=$out
	run help "$c"
	tap_is "help $c prints the same" "$st:$out" "0:$usage"
done

run help
tap_ok "help lists alloc, stat and limit" \
	test "$(grep -cE '^ +(alloc|stat|limit) ' <<<"$out")" = 3
run alloc --help
for o in --size --policy --members --nodes --weights --granularity \
	--initiator --no-huge --populate --touch --hold; do
	grep -q -- "$o" <<<"$out" || { echo "# no $o"; st=1; }
done
tap_ok "alloc --help documents every option" test "$st" = 0

# The udev rule's test before it starts a unit: the status alone,
# nothing printed, module or not; a configuration error says yes (the
# unit's apply reports it).
printf 'bar pci:0000:00:03.0\n' >"$tmp/names.conf"
printf 'bogus\n' >"$tmp/names-bad.conf"
names=
for c in "pci:0000:00:03.0 names" "pci:0000:00:04.0 names" \
	"pci:0000:00:04.0 names-bad"; do
	read -r dev conf <<<"$c"
	run apply --names --member "$dev" "$tmp/$conf.conf"
	names+="$st|$out|$err "
done
tap_is "apply --names: 0 for a device a bar line names, 1 for another, \
0 for a configuration error; nothing printed" "$names" "0|| 1|| 0|| "

if [ -e /sys/module/scalepool ]; then
	for t in "alloc" "alloc with a set" "stat" "stat --human" "limit" \
		"apply --member pci: of a device no bar line names" \
		"apply --member pci: of a device a bar line names"; do
		tap_skip "$t without the module fails in one line" \
			"scalepool is loaded here"
	done
else
	run alloc --size 4M
	tap_ok "alloc without the module fails in one line" \
		one_line_error alloc \
		"module not loaded (no /dev/scalepool): No such device"
	run alloc --size 4M -p interleave --nodes 0 --weights 3 -g 8K \
		--initiator 0 --no-huge --populate --touch --hold 0.5
	tap_ok "alloc with a set without the module fails in one line" \
		one_line_error alloc "module not loaded"
	run stat
	tap_ok "stat without the module fails in one line" \
		one_line_error stat "module not loaded"
	run stat --human
	tap_ok "stat --human without the module fails in one line" \
		one_line_error stat "module not loaded"
	run limit 2 none
	tap_ok "limit without the module fails in one line" \
		one_line_error limit "module not loaded"
	# The udev rule runs it for every PCI device that appears.
	printf 'bar pci:0000:00:03.0\nlimit pci:0000:00:03.0 8M\n' \
		>"$tmp/pci.conf"
	run apply --member pci:0000:00:04.0 "$tmp/pci.conf"
	tap_is "apply --member pci: of a device no bar line names: quiet, 0" \
		"$st|$out|$err" "0||"
	run apply --member pci:0000:00:03.0 "$tmp/pci.conf"
	tap_ok "apply --member pci: of a device a bar line names needs the module" \
		one_line_error apply "module not loaded"
fi
tap_done
