#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl bench against the module: a full initiator x member matrix on
# the default topology (every CPU node x every member, every figure a
# positive number: no figure's size is checked), --human, --plot's SVG,
# --apply (the figures reach the member's measured file, a cache-bound
# latency is refused; the placement that follows from them is tested by
# the measured figures' own tests), --loaded on a member (the curve's
# shape, not its figures: TCG), --policy interleave over two members
# beside their own cells, and the bad arguments (one line, status 1).  Onlines the first CXL
# region if no CXL memory is online yet.  --time 2 per cell keeps the
# matrix at about 15 s of guest time.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

tap_plan 22

tmp=$(mktemp -d)
applied=
cleanup() {
	[ -n "$applied" ] && echo clear >"$SP/members/$applied/measured"
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck disable=SC2034 # read by one_line (lib/poolctl.sh)
one_line_prefix="poolctl bench: "

cxl_node_or_online

cpu_nodes=
for d in /sys/devices/system/node/node[0-9]*; do
	[ -n "$(cat "$d/cpulist")" ] && cpu_nodes+="${d##*node} "
done
cpu_nodes=$(tr ' ' '\n' <<<"$cpu_nodes" | sort -n | xargs)
mems=$(members | xargs)
tap_diag "initiators: $cpu_nodes; members: $mems; CXL node: ${cxl_node:--}"

run bench --time 2 --plot "$tmp/m.svg"
tap_ok "poolctl bench succeeds with nothing on stderr" \
	test "$st" = 0 -a -z "$err"
want=
for i in $cpu_nodes; do
	for m in $mems; do
		want+="$i:$m "
	done
done
got=$(jq -r '[.results[] | "\(.initiator):\(.member)"] | join(" ")' \
	<<<"$out" 2>&1)
tap_is "one cell per initiator and member" "$got" "${want% }"
tap_is "every figure is a positive number" \
	"$(jq '[.results[] | .latency_ns, .read_mbps, .write_mbps,
		.copy_mbps, .triad_mbps] | all(type == "number" and . > 0)' \
		<<<"$out" 2>&1)" true
tap_is "each cell's node is its member's" \
	"$(jq -r '[.results[] | "\(.member):\(.node)"] | unique | join(" ")' \
		<<<"$out" 2>&1)" \
	"$(for m in $mems; do printf '%s:%s ' "$m" "$(member_attr "$m" node)"
	   done | sed 's/ $//')"
if [ -n "$cxl_node" ]; then
	tap_is "the CXL member is measured from every initiator" \
		"$(jq "[.results[] | select(.node == $cxl_node)] | length" \
			<<<"$out" 2>&1)" "$(wc -w <<<"$cpu_nodes")"
else
	tap_skip "the CXL member is measured from every initiator" \
		"no CXL memory online"
fi
if command -v xmllint >/dev/null; then
	tap_ok "--plot wrote a well-formed SVG" xmllint --noout "$tmp/m.svg"
else
	tap_ok "--plot wrote an SVG" grep -q '</svg>' "$tmp/m.svg"
fi

m0=$(members | head -n 1)
i0=${cpu_nodes%% *}
run bench --human --time 0.5 --initiators "$i0" --members "$m0"
tap_ok "--human prints the table, one row" \
	eval '[ "$st" = 0 ] && grep -q "^INITIATOR  *MEMBER" <<<"$out" &&
	[ "$(grep -cE "^ +$i0 +$m0 " <<<"$out")" = 1 ]'

# The pool path of --stores and a --threads list.
run bench --time 0.5 --initiators "$i0" --members "$m0" \
	--kinds write,copy --stores nt --threads 1,2
tap_is "--stores nt and --threads 1,2 on a member: a row per count" \
	"$(jq -c '[.results[] | [.threads, .detail.write.stores,
		.detail.copy.stores, (.copy_mbps > 0)]]' <<<"$out" 2>&1)" \
	'[[1,"nt","nt",true],[2,"nt","nt",true]]'

t_new=$(date +%s.%N)
# --loaded on a member, tiny and short (about 3 s under TCG).  A guest's
# CPU node has one CPU: --threads 2 puts the chase and the injector on
# it, which the JSON says.
run bench --loaded --threads 2 --points 3 --time 1.5 --size 1M \
	--initiators "$i0" --members "$m0" --plot "$tmp/l.svg"
tap_is "--loaded on a member: 3 points from idle, ascending, positive" \
	"$(jq --argjson m "$m0" '.loaded and (.results | length == 1) and
		(.results[0] | .member == $m and .threads == 2 and
		 (.curve | length == 3) and .curve[0].target_mbps == 0 and
		 ([.curve[].target_mbps] | . == sort and
		  (unique | length == 3)) and
		 (.curve | all(.latency_ns > 0 and .loads > 0)) and
		 .curve[-1].inject_mbps > 0)' <<<"$out" 2>&1)" true
if [ "$(numactl --hardware | awk -v n="$i0" '$1 == "node" && $2 == n &&
	$3 == "cpus:" { print NF - 3 }')" = 1 ]; then
	run bench --loaded --initiators "$i0" --members "$m0"
	tap_ok "--loaded with one CPU and no --threads is refused" \
		one_line "node $i0 has one CPU: --threads 2 shares it"
else
	tap_skip "--loaded with one CPU and no --threads is refused" \
		"node $i0 has more than one CPU"
fi

# --policy: the placement's cell after the members' own, per initiator.
dram=$(for m in $mems; do
	[ "$(member_attr "$m" memory)" = dram ] && echo "$m"; done |
	head -n 2 | paste -sd, -)
if [ "$(tr ',' '\n' <<<"$dram" | wc -l)" = 2 ]; then
	run bench --policy interleave --members "$dram" --weights 2,1 \
		--kinds read --time 0.5 --size 1M --initiators "$i0"
	tap_is "--policy interleave: a cell beside the members' own" \
		"$(jq -c '[.results[] | [.member, .policy, .members, .weights,
			(.read_mbps > 0)]]' <<<"$out" 2>&1)" \
		"[[${dram%,*},null,null,null,true],[${dram#*,},null,null,null,true],[null,\"interleave\",[$dram],[2,1],true]]"
else
	tap_skip "--policy interleave: a cell beside the members' own" \
		"fewer than two DRAM members"
fi
run bench --policy interleave --members "$m0,4000"
tap_ok "a policy over a member that does not exist is refused" \
	one_line "no member 4000"
tap_diag "--loaded and --policy took $(awk -v a="$t_new" \
	-v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

run bench --members 4000
tap_ok "an unknown member is refused" one_line "no member 4000"
run bench --size 0
tap_ok "a zero size is refused" one_line "size must not be 0"
run bench --threads 0
tap_ok "zero threads are refused" one_line "threads must not be 0"
if [ -n "$cxl_node" ]; then
	run bench --initiators "$cxl_node"
	tap_ok "a CPU-less initiator is refused" one_line "not a node with CPUs"
else
	tap_skip "a CPU-less initiator is refused" "no CPU-less node"
fi
run bench --initiators 0-4095
tap_ok "a node that does not exist is refused" one_line "bad initiator list"

if [ -e "$SP/members/$m0/measured" ]; then
	applied=$m0
	# Figures under TCG on a shared machine spread widely; this checks
	# the writing, the refusal of noisy figures is checked below.
	run bench --apply --time 0.5 --max-spread 1000 --initiators "$i0" \
		--members "$m0"
	# The JSON prints one decimal; the module gets whole units, rounded
	# from the full figure: they agree within 0.55.
	want=$(jq -r '.results[0] | "\(.initiator) \(.latency_ns) \(.read_mbps)"' <<<"$out" 2>&1)
	got=$(grep "^$i0 " "$SP/members/$m0/measured")
	tap_ok "--apply writes latency and read bandwidth to measured" \
		eval '[ "$st" = 0 ] && [ "$(jq .applied <<<"$out")" = true ] &&
		awk -v g="$got" -v w="$want" "BEGIN {
			split(g, a); split(w, b)
			d1 = a[2] - b[2]; d2 = a[3] - b[3]
			exit !(a[1] == b[1] && d1 * d1 <= 0.3025 && d2 * d2 <= 0.3025)
		}" || { tap_diag "measured: \"$got\", JSON: \"$want\""; false; }'
	# A chase of 64 KiB runs in the cache: its figure would mislead
	# nearest, so --apply refuses it and writes nothing.
	echo clear >"$SP/members/$m0/measured"
	run bench --apply --size 64K --time 0.3 --kinds latency,read \
		--initiators "$i0" --members "$m0"
	tap_ok "--apply refuses a cache-bound latency and writes nothing" \
		eval 'one_line "the latency of member $m0 from node $i0 is cache-bound" &&
		[ -z "$(cat "$SP/members/$m0/measured")" ]'
	# At --max-spread 0 any figure whose repetitions differ is noisy.
	echo clear >"$SP/members/$m0/measured"
	run bench --apply --max-spread 0 --time 1 --kinds latency,read \
		--initiators "$i0" --members "$m0"
	tap_ok "--apply refuses a noisy figure and writes nothing" \
		eval 'one_line "of member $m0 from node $i0 is noisy" &&
		[ -z "$(cat "$SP/members/$m0/measured")" ]'
else
	tap_skip "--apply writes latency and read bandwidth to measured" \
		"the module has no measured file"
	tap_skip "--apply refuses a cache-bound latency and writes nothing" \
		"the module has no measured file"
	tap_skip "--apply refuses a noisy figure and writes nothing" \
		"the module has no measured file"
fi
if command -v setpriv >/dev/null; then
	st=0
	setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin -- \
		poolctl bench --apply >"$tmp/out" 2>"$tmp/err" || st=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	tap_ok "--apply without CAP_SYS_ADMIN is refused" \
		one_line "--apply needs CAP_SYS_ADMIN"
else
	tap_skip "--apply without CAP_SYS_ADMIN is refused" "no setpriv"
fi
run bench --apply --no-module
tap_ok "--apply with --no-module is refused" one_line "--apply needs the module"
tap_done
