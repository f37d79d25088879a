#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl with measured figures: `poolctl list` shows what the module
# holds (JSON "measured" next to "firmware", the --human MEASURED
# column), and `poolctl alloc` says which figures placed an allocation.
# Figures are written through sysfs here (synthetic); `poolctl bench
# --apply` writes real ones.  Expects tools/vm/topologies/measured
# (node 1 farther than the CXL node from node 0 by SLIT); skips
# otherwise.  Clears every member's figures on exit.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 7

tmp=$(mktemp -d)
cleanup() {
	clear_measured
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! measured_topology; then
	for i in 1 2 3 4 5 6 7; do
		tap_skip "measured figures in poolctl ($i)" \
			"needs --topology measured (node 1 farther than CXL)"
	done
	exit 0
fi
clear_measured

# run ARGS...: poolctl ARGS; sets $st and $out, stderr into $tmp/err.
run() {
	st=0
	out=$(poolctl "$@" 2>"$tmp/err") || st=$?
	[ -s "$tmp/err" ] && tap_diag "stderr: $(head -c 300 "$tmp/err")"
	return 0
}

run list
tap_is "without figures every member's \"measured\" is []" \
	"$st:$(jq -c '[.members[].measured] | unique' <<<"$out" 2>&1)" \
	'0:[[]]'

echo "0 160 8000" >"$SP/members/$m1/measured"
echo "1 90 19000" >"$SP/members/$m1/measured"
echo "0 2500 6" >"$SP/members/$cxl/measured"
run list
tap_is "\"measured\" lists the figures per initiator, as sysfs holds them" \
	"$(jq -c --argjson m1 "$m1" --argjson mc "$cxl" '
	[.members[] | select(.id == $m1 or .id == $mc) | .measured]' \
	<<<"$out" 2>&1)" \
	'[[{"initiator":0,"latency_ns":160,"bandwidth_mbps":8000},{"initiator":1,"latency_ns":90,"bandwidth_mbps":19000}],[{"initiator":0,"latency_ns":2500,"bandwidth_mbps":6}]]'
tap_is "and leaves \"firmware\" as the firmware gives it" \
	"$(jq -c --argjson m1 "$m1" '.members[] | select(.id == $m1) |
	.firmware.read_latency_ns' <<<"$out")" \
	"$(cat /sys/devices/system/node/node1/access0/initiators/read_latency)"

run list --human
col=$(head -n 1 <<<"$out" | grep -bo MEASURED | cut -d: -f1)
row() {	# the --human cell under MEASURED for member $1
	awk -v id="$1" -v c="$col" '$1 == id { s = substr($0, c + 1);
		sub(/ .*/, "", s); print s }' <<<"$out"
}
tap_is "--human shows them under MEASURED, \"-\" where there are none" \
	"$(row "$m1") $(row "$cxl") $(row "$m0")" \
	"0:160ns/8000MB/s,1:90ns/19000MB/s 0:2500ns/6MB/s -"

basis_of() {	# "basis member" of poolctl alloc ARGS
	run alloc --size 64K "$@"
	jq -r '"\(.basis) \(.placement[0].member)"' <<<"$out" 2>&1
}
tap_is "nearest from node 0 over {node 1, CXL}: measured picks node 1" \
	"$(basis_of --policy nearest --members "$m1,$cxl" --initiator 0)" \
	"measured $m1"
echo clear >"$SP/members/$cxl/measured"
tap_is "cleared: the firmware's SLIT picks the CXL node" \
	"$(basis_of --policy nearest --members "$m1,$cxl" --initiator 0)" \
	"distance $cxl"

echo "0 100 3000" >"$SP/members/$m0/measured"
echo "0 160 1000" >"$SP/members/$m1/measured"
run alloc --size 64K --policy interleave --members "$m0,$m1" --initiator 0
tap_is "interleave without weights: 3:1 by measured bandwidth" \
	"$(jq -r '"\(.basis) \([.placement[].bytes] | join(":"))"' \
	<<<"$out" 2>&1)" "measured 49152:16384"
tap_done
