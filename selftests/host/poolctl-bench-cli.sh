#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl bench on a host without the module (--no-module, plain NUMA
# nodes): the JSON schema of the matrix, --human, --plot's SVG and PNG,
# and the bad arguments (one line on stderr, status 1, nothing on
# stdout); the stores, thread lists, spreads, loaded latency (--loaded)
# and PNG plots of issue 15; --plot without its plugin.
# Never checks a figure's size, only that it is a positive number.
# POOLCTL overrides build/poolctl.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/selftests/lib/poolctl.sh"
# shellcheck disable=SC2034 # read by one_line (lib/poolctl.sh)
one_line_prefix="poolctl bench: "

tap_plan 65

if ! command -v jq >/dev/null || [ ! -x "$poolctl" ] ||
   ! numactl --hardware >/dev/null 2>&1; then
	for _ in $(seq 65); do
		tap_skip "poolctl bench --no-module" \
			"needs jq, numactl and build/poolctl on a NUMA host"
	done
	exit 0
fi

quick=(--no-module --initiators 0 --members 0 --size 4M --time 0.3)

run bench "${quick[@]}"
tap_ok "--no-module measures node 0 from node 0" test "$st" = 0 -a -z "$err"

# The schema: every figure a positive number, the rest of the right type.
schema='
	(.source == "numa") and (.time_s > 0) and (.results | length == 1) and
	(.results | all(
		(.initiator | type == "number") and
		(.member | type == "number") and (.node == .member) and
		([.latency_ns, .read_mbps, .write_mbps, .copy_mbps,
		  .triad_mbps] | all(type == "number" and . > 0)) and
		(.size == 4194304) and (.threads >= 1) and
		(.isa | IN("scalar", "sse2", "avx2")) and
		((.llc_size > 4194304) as $cb | .cache_bound == $cb and
		 ([.detail[].cache_bound] | all(. == $cb))) and
		(.shrunk == false) and (.lines == 65536) and
		(.latency_size == 4194304) and
		(.fw_latency_ns == null) and
		(.detail | keys == ["copy", "latency", "read", "triad", "write"])
		and (.detail | to_entries | all(.value |
			(.repetitions + (if .partial then 1 else 0 end) >= 1)
			and .min <= .max and .seconds >= 0 and
			(.spread >= 0) and (.noisy | type == "boolean")))
		and (.threads_asked == "all") and (.stores == "auto") and
		(.noisy == ([.detail[].noisy] | any)) and
		([.detail.write, .detail.copy, .detail.triad] |
		 all(.stores | IN("normal", "nt"))) and
		(.detail.read.stores == null) and
		(.detail.latency.stores == null))) and (.max_spread == 0.1)'
tap_is "the JSON has the documented schema" \
	"$(jq "$schema" <<<"$out" 2>&1)" true

run bench "${quick[@]}" --kinds latency,read
tap_is "--kinds measures only those" \
	"$(jq -c '.results[0] | [(.latency_ns > 0), (.read_mbps > 0),
		.write_mbps, .copy_mbps, .triad_mbps, (.detail | keys)]' \
		<<<"$out" 2>&1)" \
	'[true,true,null,null,null,["latency","read"]]'

run bench "${quick[@]}" --threads 3 --isa scalar --kinds read
tap_is "--threads and --isa are used" \
	"$(jq -c '.results[0] | [.threads, .isa]' <<<"$out" 2>&1)" \
	'[3,"scalar"]'

run bench "${quick[@]}" --human --plot "$tmp/m.svg"
tap_ok "--human prints a table with the measured and firmware columns" \
	eval '[ "$st" = 0 ] && grep -q "^INITIATOR  *NODE .*LAT ns  *FW LAT" <<<"$out"'
if command -v xmllint >/dev/null; then
	tap_ok "--plot writes a well-formed SVG" \
		xmllint --noout "$tmp/m.svg"
else
	tap_ok "--plot writes an SVG" grep -q '</svg>' "$tmp/m.svg"
fi
# The sizes are plot.c's layout: a heatmap panel of one initiator is 108
# pixels high (title 48, a row 36, gap 24) and 240 wide; a line plot
# 352 high (title, plot 220, axis 44, a legend line 16, gap) and 536
# wide; 8 pixels at the bottom.
tap_ok "with one heatmap panel per kind (its size)" \
	grep -q 'viewBox="0 0 240 548"' "$tmp/m.svg"
# png_is NAME FILE WxH: FILE decodes whole (selftests/lib/png-size) to
# an image of that size.
png_is() {
	if command -v python3 >/dev/null; then
		tap_is "$1" "$("$top/selftests/lib/png-size" "$2" 2>&1)" "$3"
	else
		tap_skip "$1" "needs python3 to decode the PNG"
	fi
}
run bench "${quick[@]}" --plot "$tmp/m.png"
tap_ok "--plot FILE.png writes the heatmaps as PNG" ok_run
png_is "the PNG decodes, one heatmap panel per kind" "$tmp/m.png" 240x548
run bench "${quick[@]}" --plot "$tmp/m.PNG" --kinds latency,read
png_is "a .PNG name is a PNG too, a panel per kind asked for" "$tmp/m.PNG" 240x224
run bench "${quick[@]}" --kinds latency,read,copy --threads 1,2 \
	--plot "$tmp/t.png"
png_is "several thread counts: the latency heatmap and a line plot per \
bandwidth kind" "$tmp/t.png" 536x820
run bench "${quick[@]}" --kinds read --threads 1,2 --plot "$tmp/t.svg"
tap_ok "and the same as SVG" eval 'ok_run &&
	grep -q "viewBox=\"0 0 536 360\"" "$tmp/t.svg"'

# --stores: the asked kind per cell, the used stores per storing kind.
for k in nt normal; do
	run bench "${quick[@]}" --kinds read,write,copy,triad --stores "$k"
	tap_is "--stores $k is used by write, copy and triad" \
		"$(jq -c '.results[0] | [.stores, .detail.write.stores,
			.detail.copy.stores, .detail.triad.stores,
			.detail.read.stores]' <<<"$out" 2>&1)" \
		"[\"$k\",\"$k\",\"$k\",\"$k\",null]"
done
# auto: nt above the LLC, or from 32 MiB when sysfs does not say.
run bench "${quick[@]}" --kinds copy --stores auto
tap_is "--stores auto picks nt only above the LLC" \
	"$(jq -r '.results[0] | (if .llc_size > 0 then .size > .llc_size
		else .size >= 33554432 end) as $nt |
		.detail.copy.stores == (if $nt then "nt" else "normal" end)' \
		<<<"$out" 2>&1)" true
run bench "${quick[@]}" --kinds copy --stores nt --human
tap_ok "--human names nt stores in the notes" \
	eval '[ "$st" = 0 ] && grep -q "avx2 nt\|sse2 nt\|scalar nt" <<<"$out"'

# --threads as a list: a row per count, "all" once per distinct count.
ncpu=$(numactl --hardware | awk '/^node 0 cpus:/ { print NF - 3 }')
want=$(printf '%s\n' 1 2 "$ncpu" | awk '!seen[$1]++' | paste -sd, -)
run bench "${quick[@]}" --kinds read --threads 1,2,all
tap_is "--threads 1,2,all measures each distinct count once, in order" \
	"$(jq -r '[.results[].threads] | map(tostring) | join(",")' \
		<<<"$out" 2>&1)" "$want"
tap_is "each row says the count asked for" \
	"$(jq -c '[.results[] | .threads_asked] | .[0:2]' <<<"$out" 2>&1)" \
	"[1,2]"
run bench "${quick[@]}" --kinds read --threads 2,1 --human
tap_ok "--human has a THR column, a row per count" \
	eval '[ "$st" = 0 ] && grep -q "^INITIATOR .* THR " <<<"$out" &&
	[ "$(grep -c "^ *0  *0  *numa" <<<"$out")" = 2 ]'

# noisy: spread above --max-spread; at 0 any repetitions that differ.
run bench "${quick[@]}" --kinds latency,read --max-spread 0
tap_is "--max-spread 0 flags every figure whose repetitions differ" \
	"$(jq '.max_spread == 0 and (.results[0].detail | to_entries |
		all(.value | .noisy == (.repetitions >= 2 and .max > .min)))' \
		<<<"$out" 2>&1)" true
run bench "${quick[@]}" --kinds read --max-spread 0 --human
tap_ok "--human marks noisy figures with ~ and says why" \
	eval '[ "$st" = 0 ] && grep -q "[0-9]~ " <<<"$out" &&
	grep -q "^~: noisy" <<<"$out" && grep -q " noisy " <<<"$out"'

run bench "${quick[@]}" --size 0
tap_ok "--size 0 is refused" one_line "size must not be 0"
run bench "${quick[@]}" --threads 0
tap_ok "--threads 0 is refused" one_line "threads must not be 0"
run bench "${quick[@]}" --time 0
tap_ok "--time 0 is refused" one_line "time must not be 0"
run bench --no-module --members 4096
tap_ok "an unknown node is refused" one_line "no NUMA node 4096"
run bench --no-module --initiators 4096
tap_ok "an unknown initiator is refused" one_line "bad initiator list"
cpuless=
for d in /sys/devices/system/node/node[0-9]*; do
	[ -z "$(tr -d ',0\n' <"$d/cpumap")" ] && cpuless=${d##*node}
done
if [ -n "$cpuless" ]; then
	run bench --no-module --initiators "$cpuless"
	tap_ok "a CPU-less initiator is refused" one_line "not a node with CPUs"
else
	tap_skip "a CPU-less initiator is refused" "no CPU-less node here"
fi
run bench "${quick[@]}" --kinds latency,bogus
tap_ok "an unknown kind is refused" one_line "unknown kind 'bogus'"
run bench "${quick[@]}" --isa avx512
tap_ok "an unknown isa is refused" one_line "unknown isa 'avx512'"
run bench "${quick[@]}" --plot "$tmp/no/such/dir/m.png"
tap_ok "a PNG that cannot be written is one line" \
	one_line "cannot write '$tmp/no/such/dir/m.png'"
# --plot draws in the plugin poolctl-plot.so (tools/poolctl/plugin.h):
# without it, one line naming it, before anything is measured.
mkdir -p "$tmp/bare"
cp "$poolctl" "$(dirname "$poolctl")/libpool.so.1" "$tmp/bare/"
poolctl_built=$poolctl poolctl=$tmp/bare/poolctl
run bench "${quick[@]}" --plot "$tmp/bare.png"
poolctl=$poolctl_built
tap_ok "--plot without its plugin: one line naming the file, no plot" \
	eval 'one_line "cannot load $tmp/bare/scalepool/poolctl-plot.so: cannot open shared object file" && [ ! -e "$tmp/bare.png" ]'
run bench "${quick[@]}" --stores streaming
tap_ok "an unknown store kind is refused" one_line "unknown stores 'streaming'"
run bench "${quick[@]}" --threads 1,0
tap_ok "a thread count of 0 in a list is refused" one_line "threads must not be 0"
run bench "${quick[@]}" --threads 1,two
tap_ok "a thread count that is not a number is refused" \
	one_line "bad number of threads 'two'"
run bench "${quick[@]}" --threads 1,-2
tap_ok "a negative thread count is refused" one_line "bad number of threads '-2'"
run bench "${quick[@]}" --threads 2,4096
tap_ok "a thread count out of range is refused" one_line "more than 1024 threads"
run bench "${quick[@]}" --threads 1,2,1
tap_ok "a thread count given twice is refused" one_line "threads '1' given twice"
run bench "${quick[@]}" --threads all,all
tap_ok "all given twice is refused" one_line "threads 'all' given twice"
run bench "${quick[@]}" --threads ,
tap_ok "an empty thread list is refused" one_line "no thread counts in ','"
run bench --apply --threads 1,2
tap_ok "--apply with two thread counts is refused" one_line "--apply needs one thread count"
run bench "${quick[@]}" --max-spread -1
tap_ok "a negative spread is refused" one_line "bad spread '-1'"
run bench "${quick[@]}" --max-spread 10x
tap_ok "a spread that is not a number is refused" one_line "bad spread '10x'"

# --loaded: a curve per cell, idle to saturation.
loaded=(--no-module --initiators 0 --members 0 --size 4M --time 1
	--threads 2 --loaded)
run bench "${loaded[@]}" --points 4
tap_ok "--loaded measures node 0 from node 0" ok_run
curve_schema='
	(.loaded == true) and (.source == "numa") and
	(.results | length == 1) and (.results | all(
		(.initiator == 0) and (.member == 0) and (.threads == 2) and
		(.injectors == 1) and (.inject == "read") and
		(.shared_cpus | type == "boolean") and
		(.isa | IN("scalar", "sse2", "avx2")) and
		(.latency_size == 4194304) and (.inject_size == 4194304) and
		(.lines == 65536) and
		(.cache_bound == (.llc_size > 4194304)) and
		(.curve | length == 4) and
		(.curve[0].target_mbps == 0) and (.curve[0].inject_mbps == 0) and
		([.curve[].target_mbps] | . == sort and
		 (unique | length == 4)) and
		(.curve[-1].target_mbps == .curve[-1].inject_mbps) and
		(.curve[-1].inject_mbps > 0) and
		(.curve | all(.latency_ns > 0 and .inject_mbps >= 0 and
			      .loads > 0 and .seconds > 0))))'
tap_is "the curve: rates ascending from idle, latencies positive, the \
points asked for" "$(jq "$curve_schema" <<<"$out" 2>&1)" true
run bench "${loaded[@]}" --points 2 --inject copy --human \
	--plot "$tmp/l.png"
tap_ok "--human prints a row per point" eval 'ok_run &&
	grep -q "^INITIATOR  *NODE .* POINT  *TARGET MB/s  *INJECTED MB/s  *LAT ns" \
		<<<"$out" &&
	[ "$(grep -c "^ *0  *0  *numa  *2  *copy " <<<"$out")" = 2 ]'
png_is "--plot draws the curve: one line plot" "$tmp/l.png" 536x360
run bench "${loaded[@]}" --points 2 --inject copy
tap_is "--inject copy is used" \
	"$(jq -c '.results[0] | [.inject, (.curve | length)]' <<<"$out" 2>&1)" \
	'["copy",2]'

run bench "${quick[@]}" --loaded --threads 1
tap_ok "--loaded with one thread is refused" \
	one_line "--loaded needs 2 threads at least: one chase and one injector"
run bench "${quick[@]}" --loaded --threads 2,4
tap_ok "--loaded with two thread counts is refused" \
	one_line "--loaded takes one thread count, not 2"
for o in "--kinds read" "--stores nt" "--max-spread 5"; do
	# shellcheck disable=SC2086 # the option and its value
	run bench "${quick[@]}" --loaded --threads 2 $o
	tap_ok "--loaded with ${o% *} is refused" \
		one_line "--loaded cannot be combined with ${o% *}"
done
run bench --loaded --apply
tap_ok "--loaded with --apply is refused" \
	one_line "--loaded cannot be combined with --apply"
run bench "${quick[@]}" --points 4
tap_ok "--points without --loaded is refused" one_line "--points needs --loaded"
run bench "${quick[@]}" --inject copy
tap_ok "--inject without --loaded is refused" one_line "--inject needs --loaded"
for p in 1 33 x; do
	run bench "${loaded[@]}" --points "$p"
	tap_ok "--points $p is refused" \
		one_line "bad number of points '$p' (2 to 32)"
done
run bench "${loaded[@]}" --inject write
tap_ok "an unknown injection is refused" \
	one_line "unknown injection 'write' (read or copy)"

# --policy (a placement beside the members) needs the module: the guest
# test measures it; here the refusals before the pool is opened.
run bench "${quick[@]}" --policy interleave
tap_ok "--policy with --no-module is refused" \
	one_line "--policy needs the module, not --no-module"
run bench --policy interleave --members 0,1 --loaded --threads 2
tap_ok "--policy with --loaded is refused" \
	one_line "--policy cannot be combined with --loaded"
run bench --policy striped --members 0,1
tap_ok "an unknown policy is refused" one_line "unknown policy 'striped'"
run bench --members 0,1 --weights 3,1
tap_ok "--weights without --policy interleave is refused" \
	one_line "--weights needs --policy interleave, not bind"
run bench --policy interleave --members 0,1 --weights 3
tap_ok "a weight per member or none" one_line "1 weights for 2 members"

run bench "${quick[@]}" extra
tap_ok "an extra argument is refused" one_line "unexpected argument 'extra'"
tap_done
