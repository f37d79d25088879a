#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl list against the kernel's own views: JSON keys and types, one
# node member per NUMA node with memory (numactl -H), sizes against the
# node's memory, the CXL members against cxl list and daxctl list, and
# the --human table.  Runs in the guest with the module loaded and a CXL
# region onlined as a node (after discovery.sh in the default suite; it
# onlines the first region itself otherwise).  Few processes (a fork and
# exec costs about 200 ms in the debug guest), no awk (Debian's awk is an
# alternatives link the guest may lack) and no <(...) (no /dev/fd).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 17

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- ground truth
declare -A region_size region_memdevs node_dax node_region
declare -a present
load_truth() {
	local w1 w2 w3 w4 n dax r size memdevs node key val pages

	# Nodes with memory, as numactl reports them ("node N size: S MB").
	numactl -H >"$tmp/numactl"
	numa_nodes=
	while read -r w1 w2 w3 w4 _; do
		[ "$w1 $w3" = "node size:" ] && [ "$w4" -gt 0 ] &&
			numa_nodes+="$w2 "
	done <"$tmp/numactl"

	# Present pages per node, from /proc/zoneinfo.
	pages=$(getconf PAGESIZE)
	node=
	present=()
	while read -r key val _; do
		case "$key" in
		Node) node=${val%,} ;;
		present) present[node]=$(( ${present[node]:-0} + val * pages )) ;;
		esac
	done </proc/zoneinfo

	# CXL regions: "region size memdevs" (memdevs sorted, with commas).
	cxl list -R -T >"$tmp/regions" 2>/dev/null || echo '[]' >"$tmp/regions"
	jq -r '.[] | [.region, .size,
		([.mappings[]?.memdev] | sort | join(","))] | @tsv' \
		"$tmp/regions" >"$tmp/regions.tsv"
	nr_regions=0
	while IFS=$'\t' read -r r size memdevs; do
		region_size[$r]=$size
		region_memdevs[$r]=$memdevs
		nr_regions=$((nr_regions + 1))
	done <"$tmp/regions.tsv"

	# Dax devices whose memory is online, under a CXL region (daxctl's
	# region path runs through it): "node dax region".
	daxctl list -R -D >"$tmp/dax" 2>/dev/null || echo '[]' >"$tmp/dax"
	jq -r '(if type == "array" then .[] else . end) |
		(.path // "" | capture("/(?<r>region[0-9]+)/") | .r) as $r |
		.devices[]? | select(.mode == "system-ram" and
			(.online_memblocks // 0) > 0) |
		[.target_node, .chardev, $r] | @tsv' "$tmp/dax" >"$tmp/dax.tsv"
	node_dax=() node_region=()
	while IFS=$'\t' read -r n dax r; do
		node_dax[$n]=$dax
		node_region[$n]=$r
	done <"$tmp/dax.tsv"
	cxl_nodes=
	for n in $numa_nodes; do
		[ -n "${node_dax[$n]:-}" ] && cxl_nodes+="$n "
	done
}

load_truth
if [ "$nr_regions" -gt 0 ] && [ -z "$cxl_nodes" ]; then
	tap_diag "no CXL memory online: onlining $(cxl_region)"
	tools/vm/guest/cxl-online "$(cxl_region)" >/dev/null 2>&1 ||
		tap_diag "cxl-online failed"
	load_truth
fi

# ---- poolctl list
rc=0
poolctl list >"$tmp/json" 2>"$tmp/err" || rc=$?
tap_ok "poolctl list succeeds, nothing on stderr" \
	test "$rc" = 0 -a ! -s "$tmp/err"
[ -s "$tmp/err" ] && tap_diag "stderr: $(head -c 300 "$tmp/err")"

# "notes" (an array) says why a kind of member cannot exist here.
tap_is "the output is one JSON object {\"members\": [...]}" \
	"$(jq -c '[type, keys - ["notes"], (.members | type), (.notes // [] | type)]' "$tmp/json" 2>&1)" \
	'["object",["members"],"array","array"]'

tap_is "every member has the stable keys, of the right types" \
	"$(jq -r '
	{id: "number", kind: "string", name: "string", node: "number",
	 memory: "string", capacity: "number", used: "number",
	 limit: "number", firmware: "object", measured: "array"} as $want |
	[.members[] as $m | $want | to_entries[] |
	 select(($m[.key] | type) != .value) | "\($m.id).\(.key)"] |
	join(" ")' "$tmp/json" 2>&1)" ""

tap_is "firmware has the four figures, each null or positive" \
	"$(jq -r '
	["read_bandwidth_mbps", "read_latency_ns", "write_bandwidth_mbps",
	 "write_latency_ns"] as $keys |
	[.members[] | select((.firmware | keys) != $keys or
	 ([.firmware[] | select(. != null and
	   ((type != "number") or . <= 0))] | length) > 0) | .id] |
	join(" ")' "$tmp/json" 2>&1)" ""

# One line per member for the checks against sysfs and the kernel.
jq -r '.members[] | [.id, .kind, .name, .node, .memory, .capacity,
	.used, .limit,
	(.firmware | .read_latency_ns, .write_latency_ns,
	 .read_bandwidth_mbps, .write_bandwidth_mbps | . // "null"),
	(if has("cxl") then "yes" else "no" end),
	(.cxl.region // "-"), (.cxl.dax // "-"),
	((.cxl.memdevs // []) | sort | join(",") | if . == "" then "-"
	 else . end)] | @tsv' "$tmp/json" >"$tmp/rows"

tap_is "the members are sysfs's members" \
	"$(cut -f1 "$tmp/rows" | tr '\n' ' ')" "$(members | tr '\n' ' ')"

node_members=
while IFS=$'\t' read -r _ kind _ node _; do
	[ "$kind" = node ] && node_members+="$node "
done <"$tmp/rows"
# shellcheck disable=SC2086 # split the list on purpose
node_members=$(printf '%s\n' $node_members | sort -n | tr '\n' ' ')
tap_is "one node member per NUMA node that numactl lists with memory" \
	"$node_members" "$numa_nodes"

names_ok=0 sizes_ok=0 sysfs_ok=0 fw_ok=0 cxlkey_ok=0
declare -A cxl_member
while IFS=$'\t' read -r id kind name node memory cap used limit \
	rl wl rb wb hascxl region dax memdevs; do
	d=$SP/members/$id
	read -r s_cap <"$d/capacity"
	read -r s_used <"$d/used"
	read -r s_limit <"$d/limit"
	[ "$cap:$used:$limit" = "$s_cap:$s_used:$s_limit" ] || {
		tap_diag "member $id: $cap:$used:$limit, sysfs $s_cap:$s_used:$s_limit"
		sysfs_ok=1
	}
	[ "$used" -le "$cap" ] || sysfs_ok=1
	[ "$memory" = cxl ] && cxl_member[$id]="$node $cap $region $dax $memdevs"
	[ "$hascxl" = "$([ "$memory" = cxl ] && echo yes || echo no)" ] ||
		cxlkey_ok=1
	[ "$kind" = node ] || continue
	[ "$name" = "node$node" ] || names_ok=1
	# The node's memory: at least what the kernel manages (MemTotal),
	# at most its present pages; a member is all of its node.
	total=0
	while read -r _ _ key val _; do
		[ "$key" = MemTotal: ] && total=$((val * 1024))
	done <"/sys/devices/system/node/node$node/meminfo"
	max=${present[node]:-0}
	if [ "$total" = 0 ] || [ "$cap" -lt "$total" ] ||
	   [ "$cap" -gt "$max" ]; then
		tap_diag "node $node: capacity $cap, MemTotal $total, present $max"
		sizes_ok=1
	fi
	# Firmware figures as in access0, null when absent or 0.
	figs=("$rl" "$wl" "$rb" "$wb")
	i=0
	for f in read_latency write_latency read_bandwidth write_bandwidth; do
		want=null
		a=/sys/devices/system/node/node$node/access0/initiators/$f
		[ -r "$a" ] && read -r want <"$a"
		[ "$want" = 0 ] && want=null
		[ "${figs[i]}" = "$want" ] || {
			tap_diag "node $node $f: poolctl ${figs[i]}, sysfs $want"
			fw_ok=1
		}
		i=$((i + 1))
	done
done <"$tmp/rows"
tap_result "node members are named node<N>" "$names_ok"
tap_result "capacity, used and limit are sysfs's, used <= capacity" \
	"$sysfs_ok"
tap_result "node capacity is between MemTotal and present memory" \
	"$sizes_ok"
tap_result "firmware figures are the node's access0 figures" "$fw_ok"
tap_result "only cxl members have a cxl object" "$cxlkey_ok"

if [ -z "$cxl_nodes" ]; then
	for t in "the cxl members are the nodes daxctl onlined from CXL regions" \
		 "each cxl chain names its region and dax device" \
		 "each cxl chain names its region's memdevs" \
		 "each cxl member's capacity is its region's size"; do
		tap_skip "$t" "no CXL region online as a node"
	done
else
	got=$(for id in "${!cxl_member[@]}"; do
		echo "${cxl_member[$id]%% *}"
	done | sort -n | tr '\n' ' ')
	tap_is "the cxl members are the nodes daxctl onlined from CXL regions" \
		"$got" "$cxl_nodes"
	chain_ok=0 memdevs_ok=0 size_ok=0
	for id in "${!cxl_member[@]}"; do
		read -r node cap region dax memdevs <<<"${cxl_member[$id]}"
		want_r=${node_region[$node]:-none}
		want_d=${node_dax[$node]:-none}
		want_m=${region_memdevs[$want_r]:-none}
		want_s=${region_size[$want_r]:-none}
		[ "$region $dax" = "$want_r $want_d" ] || {
			tap_diag "member $id: $region $dax, daxctl $want_r $want_d"
			chain_ok=1
		}
		[ "$memdevs" = "$want_m" ] || {
			tap_diag "member $id: memdevs $memdevs, cxl list $want_m"
			memdevs_ok=1
		}
		[ "$cap" = "$want_s" ] || {
			tap_diag "member $id: capacity $cap, region size $want_s"
			size_ok=1
		}
	done
	tap_result "each cxl chain names its region and dax device" "$chain_ok"
	tap_result "each cxl chain names its region's memdevs" "$memdevs_ok"
	tap_result "each cxl member's capacity is its region's size" "$size_ok"
fi

# ---- poolctl list --human
rc=0
poolctl list --human >"$tmp/human" 2>"$tmp/err" || rc=$?
read -r -a head <"$tmp/human"
tap_is "--human prints the header" "$rc:${head[*]}" \
	"0:ID KIND NAME NODE MEMORY CAPACITY USED FW-LATENCY FW-BANDWIDTH MEASURED CXL-CHAIN PCI/BAR PEER-DISTANCE"
ids=$({ read -r _; while read -r id _; do echo "$id"; done; } <"$tmp/human" |
	tr '\n' ' ')
tap_is "--human prints one row per member, in id order" \
	"$ids" "$(cut -f1 "$tmp/rows" | tr '\n' ' ')"
tap_done
