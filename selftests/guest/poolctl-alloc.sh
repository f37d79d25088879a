#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl alloc, stat and limit against the module: placement on each
# node, an exact 3:1 interleave, the errors scripts rely on (one line,
# status 1, ENOSPC for a limit), a held allocation seen by poolctl stat,
# member drain refused for it (BIND: nowhere to go) and the reason in
# stat, limits set, shown and removed, the placement's basis.  Runs in the
# guest with the module loaded and a CXL region online as node 2 (after
# poolctl-list.sh in the default suite; it onlines the first region
# itself otherwise).  CXL memory runs at 2-3 MB/s under TCG: at most
# 2 MiB there.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

tap_plan 34

tmp=$(mktemp -d)
limit_member=
cleanup() {
	[ -n "$limit_member" ] && poolctl limit "$limit_member" none \
		>/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

MiB=$((1024 * 1024))

# The placement as "member:node:bytes ..." in member order.
placement() {
	jq -r '[.placement[] | "\(.member):\(.node):\(.bytes)"] | join(" ")' \
		<<<"$out" 2>&1
}

cxl_node_or_online
[ -n "$cxl_node" ] || tap_diag "no CXL node: only DRAM nodes are tried"

# ---- placement on each node
nodes=$(member_nodes)
each_ok=0
for n in $nodes; do
	m=$(member_of_node "$n")
	size=$((4 * MiB))
	[ "$n" = "$cxl_node" ] && size=$((2 * MiB))
	run alloc --size "$size" --nodes "$n" --touch
	got=$(placement)
	if ! ok_run || [ "$got" != "$m:$n:$size" ]; then
		tap_diag "--nodes $n: placement '$got', want '$m:$n:$size'"
		each_ok=1
	fi
done
tap_result "alloc --nodes N puts every byte on node N's member ($nodes)" \
	"$each_ok"

n0=$(member_of_node 0)
n1=$(member_of_node 1)
run alloc --size 4M --nodes 0
tap_ok "alloc --size 4M --nodes 0 succeeds" ok_run
tap_is "the output is {size, policy, placement, basis, revoked}, of the \
right types" \
	"$(jq -c '[keys, (.size | type), (.policy | type),
		(.placement | type), (.basis | type), .revoked]' <<<"$out" 2>&1)" \
	'[["basis","placement","policy","revoked","size"],"number","string","array","string",false]'
tap_is "placement entries are {member, node, bytes, huge_bytes}" \
	"$(jq -c '[.placement[] | [keys, ([.[] | type] | unique)]] | unique' \
		<<<"$out" 2>&1)" \
	'[[["bytes","huge_bytes","member","node"],["number"]]]'
tap_is "the size is the allocation's and the default policy with a set \
is bind" "$(jq -r '"\(.size) \(.policy)"' <<<"$out" 2>&1)" "$((4 * MiB)) bind"

run alloc --size 1M
tap_is "without a set, the default is tiered over every member" \
	"$(ok_run && jq -r '"\(.policy) \([.placement[].bytes] | add)"' \
		<<<"$out" 2>&1)" "tiered $MiB"

run alloc --size 4M --nodes 0 --no-huge
tap_is "--no-huge: no bytes in huge pages" \
	"$(ok_run && jq -r '[.placement[].huge_bytes] | add' <<<"$out" 2>&1)" 0

run alloc --size 4M --policy interleave --nodes 0,1 --weights 3,1 \
	--granularity 4K
tap_ok "interleave --nodes 0,1 --weights 3,1 succeeds" ok_run
tap_is "it splits 3:1 exactly, by the caller's weights (basis none)" \
	"$(jq -r '"\(.policy) \(.basis)"' <<<"$out") $(placement)" \
	"interleave none $n0:0:$((3 * MiB)) $n1:1:$MiB"

run alloc --size 1M --members "$n1,$n0" --policy preferred --populate
tap_is "preferred --members $n1,$n0 puts it on member $n1" \
	"$(ok_run && placement)" "$n1:1:$MiB"

run alloc --size 1M --policy nearest --initiator 1
tap_is "nearest --initiator 1 puts it on node 1's member, by distance" \
	"$(ok_run && jq -r .basis <<<"$out") $(placement)" \
	"distance $n1:1:$MiB"

# ---- errors
run alloc --size 0
tap_ok "a zero size: one line, status 1" one_line "size must not be 0"
run alloc --size 1M --policy sideways
tap_ok "an unknown policy: one line" one_line "unknown policy 'sideways'"
run alloc --size 1M --members 999
tap_ok "a member that does not exist: one line, ENOENT" \
	one_line "no member 999: No such file or directory"
if [ -n "$cxl_node" ]; then
	run alloc --size 1M --policy nearest --initiator "$cxl_node"
	tap_ok "a CPU-less initiator (CXL node $cxl_node): one line" \
		one_line "is not a node with CPUs: Invalid argument"
else
	tap_skip "a CPU-less initiator: one line" "no CXL node"
fi
run alloc --size 1M --nodes 0 --weights 1
tap_ok "weights without interleave: one line" one_line "--weights needs"
big=$(( $(member_attr "$n0" capacity) * 2 ))
# Above the per-fd cap (half of the RAM by default) ALLOC gets ENOSPC first.
cap_param=/sys/module/scalepool/parameters/max_bytes_per_fd
cap=$(cat "$cap_param")
echo 0 >"$cap_param"
run alloc --size "$big" --nodes 0
tap_ok "more than node 0 has: one line, ENOMEM" \
	one_line "cannot allocate $big bytes: Cannot allocate memory"
echo "$cap" >"$cap_param"
run alloc --size "$big" --nodes 0
tap_ok "more than the per-fd cap: one line, ENOSPC" \
	one_line "cannot allocate $big bytes: No space left on device"

# ---- a held allocation, seen by poolctl stat
run stat
tap_is "stat prints {allocations, members, processes} with the documented keys" \
	"$(ok_run && jq -c '[keys, ([.members[] | keys] | unique)]' \
		<<<"$out" 2>&1)" \
	'[["allocations","members","processes"],[["capacity","free","id",'\
'"limit","memory","name","node","refused","tier_demoted",'\
'"tier_promoted","tier_sampled","used"]]]'
# Tiering's counters are the module's sysfs figures (0 with it off).
tap_is "stat's tier_sampled of node 0's member is its sysfs file" \
	"$(jq -r ".members[] | select(.id == $n0) | .tier_sampled" \
		<<<"$out" 2>&1)" "$(member_attr "$n0" tier_sampled)"
used0=$(member_attr "$n0" used)

# The holder holds until killed: a debug kernel's poolctl stat can take
# longer than a short --hold.
poolctl alloc --size 8M --nodes 0 --touch --hold 600 >"$tmp/held" \
	2>"$tmp/held.err" &
pid=$!
for _ in $(seq 300); do
	[ -s "$tmp/held" ] || ! kill -0 "$pid" 2>/dev/null && break
	sleep 0.1
done
run stat
tap_is "stat shows the holder: pid, comm, allocations, bytes" \
	"$(ok_run && jq -r --argjson p "$pid" '.processes[] |
		select(.pid == $p) | "\(.comm) \(.allocations) \(.bytes)"' \
		<<<"$out" 2>&1)" "poolctl 1 $((8 * MiB))"
tap_is "and its allocation: length and policy, a handle" \
	"$(jq -r --argjson p "$pid" '.allocations[] | select(.pid == $p) |
		"\(.length) \(.policy) \(.handle > 0)"' <<<"$out" 2>&1)" \
	"$((8 * MiB)) bind true"
tap_is "and node 0's member holds 8 MiB more" \
	"$(jq -r --argjson m "$n0" '.members[] | select(.id == $m) | .used' \
		<<<"$out" 2>&1)" "$((used0 + 8 * MiB))"
# BIND to node 0: a drain of its member has nowhere to put the pages.
run member drain "$n0"
tap_ok "member drain with no room: one line with the module's reason" \
	one_line "cannot drain member $n0: drain refused: no room"
run stat
tap_is "stat shows why the drain was refused" \
	"$(ok_run && jq -r --argjson m "$n0" '.members[] |
		select(.id == $m) | .refused' <<<"$out" 2>&1 | cut -c1-26)" \
	"drain refused: no room in "
kill "$pid" 2>/dev/null
wait "$pid"
# The module frees when the fd goes; give a deferred free a moment.
for _ in $(seq 20); do
	[ "$(member_attr "$n0" used)" = "$used0" ] && break
	sleep 0.1
done
run stat
tap_is "when the holder is gone, so are its process entry and memory" \
	"$(jq -r --argjson p "$pid" --argjson m "$n0" \
		'"\([.processes[] | select(.pid == $p)] | length)" +
		 " \(.members[] | select(.id == $m) | .used)"' \
		<<<"$out" 2>&1)" "0 $used0"
run member drain "$n0"
st2=$st
run stat
tap_is "member drain of an empty member succeeds; stat's refused is null" \
	"$st2 $(ok_run && jq -r --argjson m "$n0" '.members[] |
		select(.id == $m) | .refused' <<<"$out" 2>&1)" "0 null"
run member drain 999
tap_ok "member drain of a member that does not exist: one line, ENOENT" \
	one_line "no member '999'"
run alloc --size 1M --nodes 0 --hold 0.2
tap_is "--hold 0.2 prints the placement, waits and exits 0" \
	"$(ok_run && placement)" "$n0:0:$MiB"

# ---- limits
limit_member=$n1
run limit "$n1"
tap_is "limit shows {id, name, limit}, no limit at first" \
	"$(ok_run && jq -c . <<<"$out" 2>&1)" \
	"{\"id\":$n1,\"name\":\"node1\",\"limit\":0}"
run limit "$n1" 1M
tap_is "limit MEMBER 1M sets it (JSON and sysfs)" \
	"$(ok_run && jq -r .limit <<<"$out" 2>&1) $(member_attr "$n1" limit)" \
	"$MiB $MiB"
run alloc --size 2M --members "$n1"
tap_ok "an allocation above the limit fails in one line with ENOSPC" \
	one_line "cannot allocate 2097152 bytes: No space left on device"
run limit "$n1" none
st2=$st
run alloc --size 2M --members "$n1"
tap_is "limit MEMBER none removes it, and the allocation succeeds" \
	"$st2 $(member_attr "$n1" limit) $(ok_run && placement)" \
	"0 0 $n1:1:$((2 * MiB))"
limit_member=
run limit 999
tap_ok "limit of a member that does not exist: one line, ENOENT" \
	one_line "no member 999: No such file or directory"
tap_done
