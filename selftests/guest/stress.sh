#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stress under memory pressure, then the leak checks: stress-ng fills the
# DRAM nodes (bound to them, never to CXL memory, which is a few MB/s
# under TCG) while build/selftests/guest/stress runs its workers, CXL
# block cycling and bar member cycling; then kmemleak, dmesg, rmmod and
# insmod; then rmmod and insmod again and again while a CXL block goes
# offline and online.  Runs in the guest with the module loaded.
#
# Usage: stress.sh [--seconds N] [--workers N] [--seed N]
#   (or STRESS_SECONDS, STRESS_WORKERS, STRESS_SEED in the environment)
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
prog=$top/build/selftests/guest/stress
module=${SCALEPOOL_MODULE:-$(. /mnt/host/env && echo "$MODULE")}
seconds=${STRESS_SECONDS:-30}
workers=${STRESS_WORKERS:-6}
seed=${STRESS_SEED:-1}
# Left free on the DRAM nodes for the workers (up to 8 allocations of
# at most 4 MiB each), their page tables and the kernel: no OOM kill.
reserve_mib=${STRESS_RESERVE_MIB:-320}
# The same kernel reports tools/vm/run fails a run on.
splat='(WARNING:|BUG:|Oops|KASAN|UBSAN|general protection fault|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|kmemleak: [0-9]+ new suspected|INFO: task .* blocked|rcu: INFO|detected stall|Call Trace:)'
prog_tests=8

while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=${2:?--seconds needs a number}; shift ;;
	--workers) workers=${2:?--workers needs a number}; shift ;;
	--seed) seed=${2:?--seed needs a number}; shift ;;
	*) echo "stress.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "stress.sh: bad --seconds" >&2; exit 2; }

# DRAM nodes: those with CPUs.
dram_nodes=$(cat /sys/devices/system/node/has_cpu)
# This script and everything it starts keep their memory on DRAM.  With
# stress-ng holding DRAM, the kernel would put their page cache (the
# programs they exec, read over 9p) and anonymous memory on the CXL
# node, which QEMU cannot DMA into ("virtio: bogus descriptor or out of
# resources", then a hung queue) nor, under TCG, run code from (QEMU
# died with SIGSEGV while only the workers were bound):
# ../shared/PLATFORM.md, Documentation/testing.rst.  Pool memory goes
# where the pool puts it, whatever the task's policy.
if [ -z "${STRESS_ON_DRAM:-}" ]; then
	STRESS_ON_DRAM=1 exec numactl --membind="$dram_nodes" "$0" \
		--seconds "$seconds" --workers "$workers" --seed "$seed"
fi

tap_plan $((prog_tests + 9))

node_free_kib() {	# MemFree of the DRAM nodes, summed, in KiB
	# Bash alone: a fork costs about 200 ms in the debug guest.
	local d cpus line sum=0
	for d in /sys/devices/system/node/node*; do
		read -r cpus <"$d/cpulist" || continue
		[ -n "$cpus" ] || continue
		while read -r line; do
			[[ "$line" =~ MemFree:\ +([0-9]+) ]] &&
				sum=$((sum + BASH_REMATCH[1]))
		done <"$d/meminfo"
	done
	echo "$sum"
}

vmstat_sum() {	# the sum of /proc/vmstat counters matching $1
	awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' /proc/vmstat
}

uptime_s() { cut -d. -f1 /proc/uptime; }
# kmemleak's own scans off (one scan after the stress instead): a scan
# holds mem_hotplug_lock for reading (get_online_mems()) through its walk
# of every struct page, at nice 10; with both vCPUs busy it ran for
# minutes, and the CXL block offline waited behind it, uninterruptibly,
# until the hung-task detector reported it.  Stopping the thread waits
# for a scan in progress.
kmemleak=/sys/kernel/debug/kmemleak
[ -w "$kmemleak" ] && echo scan=off >"$kmemleak"
t0=$(uptime_s)
dmesg -c >/dev/null	# what follows is the stress's
free0=$(node_free_kib)
hog_mib=$((free0 / 1024 - reserve_mib))
[ "$hog_mib" -gt 64 ] || hog_mib=64
tap_diag "DRAM nodes $dram_nodes: $((free0 / 1024)) MiB free; stress-ng takes $hog_mib MiB"
pressure0=$(vmstat_sum '^(allocstall|compact_stall|pgscan_)')
cd /tmp || exit 1
# Huge pages: a 4 KiB fault at a time takes minutes to fill a GiB in the
# debug guest.
numactl --membind="$dram_nodes" stress-ng --vm 2 --vm-bytes "${hog_mib}m" \
	--vm-keep --vm-madvise hugepage --timeout "$((seconds + 120))" \
	--temp-path /tmp -q &
hog=$!
# Let the hog fill most of its memory before the stress starts (it goes
# on filling during the stress if it is slower).
min_free=$free0
for ((i = 0; i < 20; i++)); do
	sleep 1
	f=$(node_free_kib)
	[ "$f" -lt "$min_free" ] && min_free=$f
	[ "$f" -lt $(((reserve_mib + 128) * 1024)) ] && break
done
tap_ok "stress-ng holds the DRAM nodes' memory" kill -0 "$hog"
tap_diag "after $(($(uptime_s) - t0)) s, $((f / 1024)) MiB of DRAM free"

# Sample free memory while the stress runs.
(
	m=$min_free
	while sleep 1; do
		f=$(node_free_kib)
		[ "$f" -lt "$m" ] && m=$f
		echo "$m" >/tmp/stress-min-free
	done
) &
sampler=$!

t1=$(uptime_s)
"$prog" --seconds "$seconds" --workers "$workers" --seed "$seed" \
	--first $((tap_n + 1)) 2>&1
rc=$?
tap_n=$((tap_n + prog_tests))
[ "$rc" = 0 ] || tap_failed=$((tap_failed + 1))

kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
min_free=$(cat /tmp/stress-min-free 2>/dev/null || echo "$min_free")
pressure=$(($(vmstat_sum '^(allocstall|compact_stall|pgscan_)') - pressure0))
tap_diag "lowest DRAM free during the stress: $((min_free / 1024)) MiB;" \
	"reclaim and compaction events: $pressure"
tap_ok "stress-ng was still running at the end" kill -0 "$hog"
kill "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
tap_ok "DRAM was under pressure (under $((reserve_mib * 2)) MiB free)" \
	test "$min_free" -lt $((reserve_mib * 2 * 1024))

tap_diag "the stress and its checks took $(($(uptime_s) - t1)) s"
t1=$(uptime_s)
if [ -w "$kmemleak" ]; then
	echo scan >"$kmemleak"
	leaks=$(grep -c '^unreferenced object' "$kmemleak")
	[ "$leaks" = 0 ] || head -n 40 "$kmemleak" | sed 's/^/# /'
	tap_is "kmemleak finds nothing" "$leaks" 0
else
	tap_skip "kmemleak finds nothing" "kernel without CONFIG_DEBUG_KMEMLEAK"
fi
reports=$(dmesg | grep -E "$splat")
# With what follows the first: the console has no KERN_INFO lines (a
# hung task's stack), dmesg has them.
[ -z "$reports" ] || dmesg | grep -E -A 40 -m 1 "$splat" | sed 's/^/# /'
tap_is "no kernel report in dmesg" "$(printf '%s' "$reports" | grep -c .)" 0
tap_ok "rmmod scalepool" rmmod scalepool
tap_ok "insmod again, /dev/scalepool back" \
	bash -c "insmod '$module' && test -c /dev/scalepool"
tap_diag "kmemleak, dmesg, rmmod and insmod took $(($(uptime_s) - t1)) s;" \
	"$(uptime_s) s since boot"

# An online memory block of a node without CPUs (the CXL node).
cxl_block() {
	local d b cpus state
	for d in /sys/devices/system/node/node*; do
		read -r cpus <"$d/cpulist" || continue
		[ -z "$cpus" ] || continue
		for b in "$d"/memory*; do
			read -r state <"$b/state" 2>/dev/null || continue
			[ "$state" = online ] && { echo "$b"; return 0; }
		done
	done
	return 1
}

# Unload racing offline: the module's memory notifier comes and goes
# with it while a CXL block goes offline and back, again and again.
unload_loops=${STRESS_UNLOAD_LOOPS:-8}
if block=$(cxl_block); then
	rm -f /tmp/stress-cycle-stop /tmp/stress-cycles
	(
		n=0
		while [ ! -e /tmp/stress-cycle-stop ]; do
			echo offline >"$block/state" 2>/dev/null &&
				echo online_movable >"$block/state" &&
				n=$((n + 1))
		done
		echo "$n" >/tmp/stress-cycles
	) &
	cycler=$!
	ok=0
	for ((i = 0; i < unload_loops; i++)); do
		rmmod scalepool && insmod "$module" || { ok=1; break; }
	done
	touch /tmp/stress-cycle-stop
	wait "$cycler"
	read -r state <"$block/state"
	[ "$state" = online ] || ok=1
	what="$unload_loops rmmod and insmod while ${block##*/} went"
	what+=" offline and online $(cat /tmp/stress-cycles) times"
	tap_result "$what" "$ok"
	tap_ok "/dev/scalepool back after them" test -c /dev/scalepool
else
	tap_skip "rmmod and insmod while a CXL block goes offline" \
		"no online CXL memory block"
	tap_skip "/dev/scalepool back after them" "no online CXL memory block"
fi
tap_done
