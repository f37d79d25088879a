#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading scalepool.ko: clean loops, the device and sysfs
# come and go with the module, an open fd pins the module, and poolctl
# says in one line when the module is not loaded.  A poolctl monitor
# whose tracefs instance has the module's events enabled does not pin
# it: 6.12 removes a module's events from every instance at unload
# (trace_module_remove_events()); the monitor says so and exits 1,
# removing its instance.
# Runs in the guest with the module loaded.
. "$(dirname "$0")/../lib/tap.sh"
module=${SCALEPOOL_MODULE:-$(. /mnt/host/env && echo "$MODULE")}
loops=${LOAD_LOOPS:-20}

tap_plan 16

tap_ok "module is loaded at start" grep -q '^scalepool ' /proc/modules

exec 3<>/dev/scalepool
tap_ok "an open fd refuses rmmod" bash -c '! rmmod scalepool 2>/dev/null'
exec 3>&-

tap_ok "rmmod after close" rmmod scalepool
tap_ok "/dev/scalepool is gone" test ! -e /dev/scalepool
tap_ok "/sys/kernel/scalepool is gone" test ! -e /sys/kernel/scalepool

err=$(poolctl list 2>&1 >/dev/null)
rc=$?
tap_ok "poolctl list without the module fails" test "$rc" -ne 0
tap_is "and says so in one line" "$(printf '%s\n' "$err" | wc -l)" 1
tap_diag "poolctl said: $err"

err=$(poolctl monitor 2>&1 >/dev/null)
tap_is "poolctl monitor without the module: status 1, one line" \
	"$? ${err%%(*}" "1 poolctl monitor: scalepool module not loaded "

# Unload under a monitor: events enabled in its instance, a reader of
# its trace_pipe.  Then a fresh monitor sees the reloaded module.
tap_ok "load for the monitor" insmod "$module"
inst=/sys/kernel/tracing/instances
poolctl monitor >/dev/null 2>/tmp/monitor.err &
mon=$!
# The monitor reads every event format of the kernel first, which takes
# tens of seconds on the debug kernel under emulation: an rmmod before
# it enabled the events would race its set-up, not test the unload.
ready=1
for ((i = 0; i < 2400; i++)); do
	[ "$(cat "$inst/poolctl-monitor-$mon/events/scalepool/enable" 2>/dev/null)" = 1 ] &&
		{ ready=0; break; }
	sleep 0.05
done
tap_result "the monitor enabled the events in its instance" "$ready"
tap_ok "rmmod with the events enabled in a monitor's instance" \
	rmmod scalepool
# Bounded: a monitor that missed the unload fails here, not the harness.
for ((i = 0; i < 600; i++)); do
	kill -0 "$mon" 2>/dev/null || break
	sleep 0.1
done
kill -9 "$mon" 2>/dev/null && echo "# the monitor was still running 60 s after the rmmod"
wait "$mon"
st=$?
tap_is "the monitor says the module went, status 1" \
	"$st $(cat /tmp/monitor.err)" \
	"1 poolctl monitor: the scalepool module was unloaded"
tap_ok "and its instance is gone" test ! -e "$inst/poolctl-monitor-$mon"
rm -f /tmp/monitor.err

ok=0
for ((i = 0; i < loops; i++)); do
	insmod "$module" || { ok=1; break; }
	[ -c /dev/scalepool ] && [ -d /sys/kernel/scalepool/members ] || { ok=1; break; }
	# Every readable member file (drain is write-only: open refuses it).
	find /sys/kernel/scalepool/members/ -mindepth 2 -maxdepth 2 \
		-type f -perm /444 -exec cat {} + >/dev/null || { ok=1; break; }
	rmmod scalepool || { ok=1; break; }
done
tap_result "$loops load/unload loops" "$ok"
# Tiering's worker (kernel/tier.c) stops on unload, also right after
# the last user of an allocation went, while a pass may hold it.
ok=0
for ((i = 0; i < 3; i++)); do
	insmod "$module" || { ok=1; break; }
	echo 10 >/sys/kernel/scalepool/tier_scan_ms &&
		echo 64 >/sys/kernel/scalepool/tier_rate_limit_MBps ||
		{ ok=1; break; }
	poolctl alloc --size 4M --policy tiered --nodes 0-1 --touch \
		--hold 1 >/dev/null || { ok=1; break; }
	rmmod scalepool || { ok=1; break; }
done
tap_result "unload with tiering on, after a tiered allocation" "$ok"
tap_ok "load again for the tests that follow" insmod "$module"
tap_done
