#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading scalepool.ko: clean loops, the device and sysfs
# come and go with the module, an open fd pins the module, and poolctl
# says in one line when the module is not loaded.
# Runs in the guest with the module loaded.
. "$(dirname "$0")/../lib/tap.sh"
module=${SCALEPOOL_MODULE:-$(. /mnt/host/env && echo "$MODULE")}
loops=${LOAD_LOOPS:-20}

tap_plan 9

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
tap_ok "load again for the tests that follow" insmod "$module"
tap_done
