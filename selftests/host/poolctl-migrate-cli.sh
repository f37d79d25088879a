#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl migrate and stat --allocations on a host without the module:
# every bad argument is found before the module is needed and fails
# with status 1 (poolctl's status for every error), nothing on stdout
# and one line on stderr, "poolctl migrate: <reason>: <strerror>";
# --help documents every option; good arguments fail only for want of
# the module.  POOLCTL overrides build/poolctl.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/selftests/lib/poolctl.sh"

# "arguments (no blanks inside one)|text expected in the error line"
bad=(
	"migrate|--pid is required: Invalid argument"
	"migrate --handle 1|--pid is required"
	"migrate --pid 1|--handle is required: Invalid argument"
	"migrate --pid|'--pid' needs a value"
	"migrate --pid 0 --handle 1|bad pid '0': Invalid argument"
	"migrate --pid -3 --handle 1|bad pid '-3'"
	"migrate --pid x --handle 1|bad pid 'x'"
	"migrate --pid 2147483648 --handle 1|bad pid '2147483648'"
	"migrate --pid 1 --handle 0|bad handle '0' (handles start at 1)"
	"migrate --pid 1 --handle x|bad handle 'x'"
	"migrate --pid 1 --handle 4294967296|bad handle '4294967296'"
	"migrate --pid 1 --handle 1 --fd -1|bad fd '-1'"
	"migrate --pid 1 --handle 1 --fd x|bad fd 'x'"
	"migrate --pid 1 --handle 1 --offset 100|offset '100' is not a multiple of the page size"
	"migrate --pid 1 --handle 1 --offset x|bad offset 'x'"
	"migrate --pid 1 --handle 1 --offset 2T|offset '2T' is above the maximum"
	"migrate --pid 1 --handle 1 --length 0|length must not be 0"
	"migrate --pid 1 --handle 1 --length 6K|length '6K' is not a multiple"
	"migrate --pid 1 --handle 1 --offset 1T --length 4K|the range ends past the longest allocation"
	"migrate --pid 1 --handle 1 -p foo|unknown policy 'foo'"
	"migrate --pid 1 --handle 1 -p bind|policy bind needs --members or --nodes"
	"migrate --pid 1 --handle 1 -m 0 -n 0|--members and --nodes exclude each other"
	"migrate --pid 1 --handle 1 -m 0,0|repeats a member"
	"migrate --pid 1 --handle 1 -n abc|bad node list 'abc'"
	"migrate --pid 1 --handle 1 -w 1|--weights needs --policy interleave, not tiered"
	"migrate --pid 1 --handle 1 -p interleave -m 0,1 -w 1|1 weights for 2 members"
	"migrate --pid 1 --handle 1 -g 4K|--granularity needs --policy interleave"
	"migrate --pid 1 --handle 1 -p interleave -m 0 -g 1000|not a multiple of the page"
	"migrate --pid 1 --handle 1 -i 9999|initiator 9999 is not a node with"
	"migrate --pid 1 --handle 1 -i x|bad initiator 'x'"
	"migrate --pid 1 --handle 1 --no-huge|unknown option '--no-huge'"
	"migrate --pid 1 --handle 1 --initiator-pci 0000:00:04.0|unknown option '--initiator-pci'"
	"migrate --pid 1 --handle 1 extra|unexpected argument 'extra'"
	"stat --allocations extra|unexpected argument 'extra'"
)
nr_plain=6
tap_plan $(( ${#bad[@]} + nr_plain ))

for c in "${bad[@]}"; do
	args=${c%%|*}
	want=${c#*|}
	one_line_prefix="poolctl ${args%% *}: "
	# shellcheck disable=SC2086 # the arguments have no blanks
	run $args </dev/null
	tap_ok "poolctl $args: one line, '$want'" one_line "$want"
done
one_line_prefix="poolctl migrate: "

run migrate --help
st_help=$st
for o in --pid --fd --handle --offset --length --policy --members --nodes \
	--weights --granularity --initiator --human; do
	grep -q -- "$o" <<<"$out" || { echo "# no $o"; st_help=1; }
done
tap_ok "migrate --help documents every option" test "$st_help" = 0
usage=$out
run help migrate
tap_is "help migrate prints the same" "$st:$out" "0:$usage"
run help
tap_ok "help lists migrate" grep -qE '^ +migrate ' <<<"$out"
run stat --help
tap_ok "stat --help documents --allocations" \
	grep -q -- '-a, --allocations' <<<"$out"

if [ -e /sys/module/scalepool ]; then
	tap_skip "migrate without the module fails in one line" \
		"scalepool is loaded here"
	tap_skip "stat --allocations without the module fails in one line" \
		"scalepool is loaded here"
else
	run migrate --pid 1 --handle 1 -p interleave -n 0 -w 2 -g 8K \
		-i 0 --offset 4K --length 8K --human
	tap_ok "migrate without the module fails in one line" \
		one_line "module not loaded (no /dev/scalepool): No such device"
	run stat --human --allocations
	one_line_prefix="poolctl stat: "
	tap_ok "stat --allocations without the module fails in one line" \
		one_line "module not loaded"
fi
tap_done
