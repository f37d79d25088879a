#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Kernel lockdown (LOCKDOWN_PCI_ACCESS) refuses bar members: add_bar
# gets EPERM for a device already bound to scalepool, binding a device
# to scalepool fails, and poolctl says "kernel lockdown".  Lockdown is
# one-way for the boot: this must be the last program of its guest run.
# Skipped when the kernel has no lockdown LSM.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"

tap_plan 7

PCI=/sys/bus/pci/devices
LOCKDOWN=/sys/kernel/security/lockdown
[ -e "$LOCKDOWN" ] || mount -t securityfs none /sys/kernel/security 2>/dev/null
if [ ! -e "$LOCKDOWN" ]; then
	for i in 1 2 3 4 5 6 7; do
		tap_skip "lockdown $i" "no $LOCKDOWN (kernel without the lockdown LSM)"
	done
	tap_done
	exit 0
fi

devs=()
for d in "$PCI"/*; do
	[ "$(cat "$d/device")" = 0x1110 ] && devs+=("${d##*/}")
done
A=${devs[0]} B=${devs[1]}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A is bound to scalepool before lockdown, B is not.
if [ -e "$PCI/$B/driver" ]; then
	echo "$B" >"$(readlink -f "$PCI/$B/driver")/unbind"
fi
echo >"$PCI/$B/driver_override"
echo scalepool >"$PCI/$A/driver_override"
echo "$A" >/sys/bus/pci/drivers/scalepool/bind
tap_diag "lockdown was: $(cat "$LOCKDOWN")"
tap_ok "lockdown to integrity" sh -c "echo integrity > $LOCKDOWN"
tap_ok "it is in force" grep -q '\[integrity\]' "$LOCKDOWN"

err=$( { echo "$A" >/sys/kernel/scalepool/add_bar; } 2>&1)
tap_ok "add_bar is refused" test -n "$err"
tap_ok "with EPERM" grep -q "Operation not permitted" <<<"$err"

st=0
poolctl member add "pci:$A" >"$tmp/out" 2>"$tmp/err" || st=$?
tap_ok "poolctl member add of a bound device says kernel lockdown" \
	bash -c '[ "$0" = 1 ] && [ "$(wc -l <"$1")" = 1 ] && grep -q "refused by kernel lockdown (integrity)" "$1"' \
	"$st" "$tmp/err"
st=0
poolctl member add "pci:$B" >"$tmp/out" 2>"$tmp/err" || st=$?
tap_ok "so does binding an unbound one" \
	bash -c '[ "$0" = 1 ] && grep -q "kernel lockdown" "$1"' "$st" "$tmp/err"
tap_ok "which is left unbound, without override" \
	bash -c '[ ! -e "$0/driver" ] && [ "$(cat "$0/driver_override")" = "(null)" ]' \
	"$PCI/$B"
cat "$tmp/err" | while read -r l; do tap_diag "poolctl: $l"; done
tap_done
