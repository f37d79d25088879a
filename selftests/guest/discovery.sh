#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Member discovery and memory hotplug: one node member per NUMA node with
# memory, DRAM told from CXL, a CXL node onlined after the module loaded
# appears with the region's size and one taken offline disappears.
# Runs in the guest, booted with `tools/vm/run --cxl offline`.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 12

tap_ok "module loaded" test -d /sys/kernel/scalepool/members

# Ground truth the module does not compute: the nodes the kernel lists
# with memory, and each node's present pages from /proc/zoneinfo.
tap_is "one member per node with memory, before CXL is online" \
	"$(member_nodes)" "$(nodes_with_memory)"
# Node members only: on kernels with P2PDMA the NVMe's CMB is a member too.
all_dram=0
for m in $(members); do
	[ "$(member_attr "$m" kind)" = node ] || continue
	[ "$(member_attr "$m" memory)" = dram ] || all_dram=1
done
tap_result "DRAM nodes are dram members" "$all_dram"
sizes_ok=0
for m in $(members); do
	[ "$(member_attr "$m" kind)" = node ] || continue
	n=$(member_attr "$m" node)
	[ "$(member_attr "$m" capacity)" = "$(node_present_bytes "$n")" ] || {
		tap_diag "member $m: capacity $(member_attr "$m" capacity), node $n present $(node_present_bytes "$n")"
		sizes_ok=1
	}
done
tap_result "capacity is the node's present memory" "$sizes_ok"

region=$(cxl_region)
region_size=$(cxl list -r "$region" | jq -r '.[0].size')
node=$(tools/vm/guest/cxl-online "$region" 2>/dev/null)
tap_ok "CXL region $region onlined as node $node" test -n "$node"
m=$(member_of_node "$node")
tap_ok "the new node became a member at once" test -n "$m"
tap_is "it is a cxl member" "$(member_attr "$m" memory)" cxl
tap_is "its capacity is the region's size" \
	"$(member_attr "$m" capacity)" "$region_size"
tap_is "members match the nodes with memory" \
	"$(member_nodes)" "$(nodes_with_memory)"

dax=$(region_dax "$region")
daxctl offline-memory "$dax" >/dev/null 2>&1
tap_is "offlining the CXL memory removes its member" \
	"$(member_of_node "$node")" ""
tools/vm/guest/cxl-online "$region" >/dev/null 2>&1
m2=$(member_of_node "$node")
tap_ok "onlining it again brings a member back" test -n "$m2"
tap_is "the member's name is stable" "$(member_attr "$m2" name)" "node$node"
tap_done
