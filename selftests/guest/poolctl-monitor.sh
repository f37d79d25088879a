#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl monitor against the module's trace events: a monitor started
# in the background shows what other processes do, one JSON object a
# line: an interleaved allocation by poolctl alloc (its length, policy,
# members and bytes per member, pid) and its free; a dma-buf export
# (monitor_export); the moves of a MIGRATE (poolctl migrate of a
# migrate_holder's allocation) and of a drain, with their reasons,
# members and bytes.  --event and --count filter and stop; SIGTERM ends
# it with status 0; its tracefs instance is gone afterwards, and one a
# SIGKILLed monitor left is removed by the next monitor.  Errors:
# bad options, an unknown event, a user without CAP_SYS_ADMIN.  Needs
# node members on nodes 0 and 1 (SKIPs otherwise).  The unload of the
# module under a monitor is in load-unload.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

nr_tests=21
tap_plan $nr_tests

MiB=$((1024 * 1024))
TRACING=/sys/kernel/tracing
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

skip_all() {
	local i
	for ((i = 0; i < nr_tests; i++)); do
		tap_skip "poolctl monitor" "$1"
	done
	exit 0
}
m0=$(member_of_node 0)
m1=$(member_of_node 1)
[ -n "$m0" ] && [ -n "$m1" ] || skip_all "needs node members on nodes 0 and 1"
holder=build/selftests/guest/migrate_holder
exporter=build/selftests/guest/monitor_export
[ -x "$holder" ] && [ -x "$exporter" ] || skip_all "no $holder or $exporter (make selftests)"

# Start a monitor in the background (ARGS...) writing to $tmp/mon*;
# sets $mon (its pid) once its instance has the free event enabled (the
# last one it enables, in both uses here).
start_monitor() {
	poolctl monitor "$@" >"$tmp/mon" 2>"$tmp/mon.err" &
	mon=$!
	pids+=("$mon")
	monitor_ready "$mon" free 200 && return 0
	tap_diag "the monitor's instance never came: $(cat "$tmp/mon.err")"
	return 1
}

# The monitor's events (jq select expression $1) as compact JSON.
events() {
	jq -c "select($1)" "$tmp/mon" 2>&1
}

start_monitor
tap_is "tracefs is on /sys/kernel/tracing (the monitor mounts it)" \
	"$(stat -f -c %T "$TRACING")" tracefs
# ---- an allocation by another process: alloc and free
poolctl alloc --size 4M --policy interleave --nodes 0-1 >"$tmp/alloc" &
apid=$!
wait "$apid"
tap_is "poolctl alloc in the background" "$?" 0
tap_diag "at $SECONDS s"
# ---- a dma-buf export, by a small program of its own
read -r epid ehandle efd < <("$exporter" "$m0")
tap_ok "monitor_export ran" test -n "$efd"
tap_diag "at $SECONDS s"
# ---- a MIGRATE: 2 MiB from node 0 to node 1
"$holder" $((2 * MiB)) 0 >"$tmp/holder" &
hpid=$!
pids+=("$hpid")
for _ in $(seq 100); do [ -s "$tmp/holder" ] && break; sleep 0.1; done
read -r _ _ hhandle <"$tmp/holder"
run migrate --pid "$hpid" --handle "$hhandle" --nodes 1
tap_ok "poolctl migrate moved the holder's allocation" ok_run
tap_diag "at $SECONDS s"
# ---- a drain of node 0's member: a PREFERRED allocation leaves it
poolctl alloc --size 2M --policy preferred --nodes 0 --hold 30 >"$tmp/pref" &
ppid=$!
pids+=("$ppid")
for _ in $(seq 100); do [ -s "$tmp/pref" ] && break; sleep 0.1; done
run member drain "$m0"
tap_ok "poolctl member drain $m0" ok_run
kill "$ppid" "$hpid"
wait "$ppid" "$hpid" 2>/dev/null
sleep 0.5
tap_diag "at $SECONDS s"
kill -TERM "$mon"
wait "$mon"
tap_diag "at $SECONDS s"
tap_is "SIGTERM ends the monitor with status 0" "$?" 0
tap_is "and nothing on its stderr" "$(cat "$tmp/mon.err")" ""
tap_ok "its tracefs instance is gone" test ! -e "$TRACING/instances/poolctl-monitor-$mon"

got=$(events ".event == \"scalepool_alloc\" and .pid == $apid" |
	jq -c '[.data.length, .data.policy, .data.members, .data.bytes]' 2>&1)
tap_is "alloc event: pid, length, policy, members, bytes" "$got" \
	"[$((4 * MiB)),\"interleave\",[$m0,$m1],[$((2 * MiB)),$((2 * MiB))]]"
aid=$(events ".event == \"scalepool_alloc\" and .pid == $apid" | jq .data.id)
got=$(events ".event == \"scalepool_free\" and .data.id == ${aid:-0}" |
	jq -c '[.pid, .data.length]' 2>&1)
tap_is "free event of it, same id, by the same process" "$got" \
	"[$apid,$((4 * MiB))]"
got=$(events ".event == \"scalepool_export\" and .pid == ${epid:-0}" |
	jq -c '[.data.handle, .data.fd, .data.length, .data.rdonly]' 2>&1)
tap_is "export event: handle, fd, length, rdonly" "$got" \
	"[$ehandle,$efd,$MiB,false]"
hid=$(events ".event == \"scalepool_alloc\" and .pid == $hpid" | jq .data.id)
got=$(events ".event == \"scalepool_move\" and .data.id == ${hid:-0}" |
	jq -s -c '[(map(.data.reason) | unique), (map([.data.from, .data.to]) | unique),
		   (map(.data.bytes) | add)]' 2>&1)
tap_is "move events of the MIGRATE: reason, from, to, bytes" "$got" \
	"[[\"migrate\"],[[$m0,$m1]],$((2 * MiB))]"
pid_of_pref=$(events ".event == \"scalepool_alloc\" and .pid == $ppid" | jq .data.id)
got=$(events ".event == \"scalepool_move\" and .data.id == ${pid_of_pref:-0}" |
	jq -s -c '[(map(.data.reason) | unique), (map(.data.from) | unique),
		   (map(.data.bytes) | add)]' 2>&1)
tap_is "move events of the drain: reason, from, bytes" "$got" \
	"[[\"drain\"],[$m0],$((2 * MiB))]"
got=$(jq -r 'select(.timestamp > 0 and .cpu >= 0) | .event' "$tmp/mon" 2>&1 |
	sort -u | tr '\n' ' ')
tap_is "every line is an event with a timestamp and a cpu" "$got" \
	"scalepool_alloc scalepool_export scalepool_free scalepool_move "

tap_diag "at $SECONDS s"
# ---- --event and --count: the first free only, then exit 0
start_monitor --event free --count 1
poolctl alloc --size 1M --nodes 0 >/dev/null
wait "$mon"
st=$?
got=$(jq -r '.event' "$tmp/mon" 2>&1 | tr '\n' ' ')
tap_is "--event free --count 1: one free event, status 0" "$st $got" \
	"0 scalepool_free "
tap_ok "its tracefs instance is gone" test ! -e "$TRACING/instances/poolctl-monitor-$mon"

# ---- a monitor killed with SIGKILL cannot remove its instance (its
# events stay enabled into a buffer nobody reads); the next one does.
start_monitor --event free
stale=$mon
kill -KILL "$stale"
wait "$stale" 2>/dev/null
tap_ok "SIGKILL leaves the monitor's tracefs instance behind" \
	test -e "$TRACING/instances/poolctl-monitor-$stale"
start_monitor --event free --count 1
poolctl alloc --size 1M --nodes 0 >/dev/null
wait "$mon"
tap_ok "the next monitor removed it, and its own on exit" test ! -e \
	"$TRACING/instances/poolctl-monitor-$stale" -a ! -e \
	"$TRACING/instances/poolctl-monitor-$mon"

tap_diag "at $SECONDS s"
# ---- errors: one line each, status 1
ok=0
for args in "--count 0" "--event Bad" "--duration -1" "--event nosuch" \
	    "extra"; do
	# shellcheck disable=SC2086 # the options split on purpose
	run monitor $args
	one_line_prefix="poolctl monitor: " one_line "" ||
		{ ok=1; tap_diag "for: $args"; }
done
tap_result "bad options and an unknown event: one line, status 1" "$ok"
st=0
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$(command -v poolctl)" monitor 2>&1 >/dev/null) || st=$?
tap_is "without CAP_SYS_ADMIN: status 1 and why" "$st ${err%:*}" \
	"1 poolctl monitor: needs root (CAP_SYS_ADMIN) to read the trace buffers"
tap_ok "no monitor instance is left" \
	bash -c "! ls -d $TRACING/instances/poolctl-monitor-* 2>/dev/null"
tap_diag "poolctl-monitor.sh took $SECONDS s"
tap_done
