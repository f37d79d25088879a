#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Two CXL devices behind two host bridges, one 2-way interleaved region:
# the pool shows one CXL member of the region's size, chained to both
# memdevs.  Runs in the guest, `tools/vm/run --topology interleave`.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 6
region=$(cxl_region)
ways=$(cxl list -r "$region" | jq -r '.[0].interleave_ways')
size=$(cxl list -r "$region" | jq -r '.[0].size')
tap_is "the region is 2-way interleaved" "$ways" 2
json=$(poolctl list)
tap_is "one cxl member" \
	"$(jq '[.members[] | select(.memory == "cxl")] | length' <<<"$json")" 1
tap_is "its capacity is the region's size" \
	"$(jq '.members[] | select(.memory == "cxl") | .capacity' <<<"$json")" \
	"$size"
tap_is "its chain names the region" \
	"$(jq -r '.members[] | select(.memory == "cxl") | .cxl.region' <<<"$json")" \
	"$region"
tap_is "its chain names both memdevs" \
	"$(jq -r '.members[] | select(.memory == "cxl") | .cxl.memdevs | sort | join(",")' <<<"$json")" \
	"$(cxl list -M | jq -r '[.[].memdev] | sort | join(",")')"
tap_is "the member's node is the dax device's target node" \
	"$(jq '.members[] | select(.memory == "cxl") | .node' <<<"$json")" \
	"$(cat /sys/bus/dax/devices/"$(region_dax "$region")"/target_node)"
tap_done
