#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End to end: figures that `poolctl bench --apply` really measured change
# what NEAREST picks.  On tools/vm/topologies/measured the firmware puts
# the CXL node nearer to node 0 than node 1 (SLIT 20 against 30), while
# under TCG the CXL memory is far slower than node 1's DRAM: without
# figures nearest from node 0 over {node 1, CXL} picks the CXL node,
# after --apply node 1.  Skips on other machines.  Clears every member's
# figures on exit.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 4

tmp=$(mktemp -d)
cleanup() {
	clear_measured
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! measured_topology; then
	for i in 1 2 3 4; do
		tap_skip "bench --apply changes nearest ($i)" \
			"needs --topology measured (node 1 farther than CXL)"
	done
	exit 0
fi
clear_measured

nearest() {	# "basis member" of nearest from node 0 over {node 1, CXL}
	poolctl alloc --size 64K --policy nearest --members "$m1,$cxl" \
		--initiator 0 2>"$tmp/err" |
		jq -r '"\(.basis) \(.placement[0].member)"' 2>&1
	[ -s "$tmp/err" ] && tap_diag "stderr: $(head -c 300 "$tmp/err")"
}

tap_is "without figures the firmware's SLIT picks the CXL node" \
	"$(nearest)" "distance $cxl"

st=0
# Default sizes: the chase's buffer stays well above the LLC even on
# the CXL member, where the bandwidth arrays shrink (a chase within the
# cache ran faster over CXL than over DRAM under TCG).
# TCG's figures on a shared machine spread widely: noise is not what
# this checks (poolctl-bench.sh checks that --apply refuses it).
poolctl bench --apply --kinds latency,read --max-spread 1000 \
	--initiators 0 --members "$m1,$cxl" >"$tmp/out" 2>"$tmp/err" || st=$?
# stderr holds bench's progress lines: only worth showing on failure.
[ "$st" = 0 ] || tap_diag "bench stderr: $(tail -c 300 "$tmp/err")"
tap_is "poolctl bench --apply measures both members from node 0" \
	"$st $(jq -r .applied "$tmp/out" 2>&1)" "0 true"

# The measured figures, as the module holds them: "latency bandwidth".
fig() {
	awk '$1 == 0 { print $2, $3 }' "$SP/members/$1/measured"
}
f1=$(fig "$m1")
fc=$(fig "$cxl")
tap_diag "measured from node 0: node 1 '$f1', CXL '$fc'"
tap_ok "the CXL memory measured slower than node 1's DRAM" \
	test -n "$f1" -a -n "$fc" -a "${f1%% *}" -lt "${fc%% *}"

tap_is "with the measured figures nearest picks node 1" \
	"$(nearest)" "measured $m1"
tap_done
