#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl apply and the system files of tools/install in the "peer"
# topology with the CXL memory left offline (selftests/run):
# - a configuration file sets node limits and adds a bar member with its
#   limit; the dry run before changes nothing; a second run changes
#   nothing; an error (with a good line before it) names file and line
#   and changes nothing; tier lines turn tiering on (the module's knobs
#   read back) and off again;
# - under Debian's systemd-udevd (from the host's /usr), with the rules
#   of tools/install and the group of sysusers.conf: /dev/scalepool is
#   root:scalepool 0660, a member of the group allocates and cannot
#   set a limit, another user cannot open it; a bar member added later
#   and the CXL memory onlined later get their lines of
#   /etc/scalepool/ from 61-scalepool-apply.rules; so does a PCI device
#   a bar line names when it appears (removed, then back with a
#   rescan), while one no bar line names is left alone, quietly.
# Runs in the guest with the module loaded; leaves the pool as it was
# (limits none, no bar member, CXL offline, no udevd).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

tap_plan 24

tmp=$(mktemp -d)
PCI=/sys/bus/pci/devices
top=$PWD
udevd=/lib/systemd/systemd-udevd

driver_of() {
	local l
	l=$(readlink "$PCI/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}

cleanup() {
	local m d
	if [ -n "${udevd_pid-}" ]; then
		udevadm control --exit 2>/dev/null || kill "$udevd_pid"
		wait "$udevd_pid" 2>/dev/null
	fi
	rm -rf /etc/scalepool /etc/udev/rules.d/6[01]-scalepool*.rules
	for m in $(members); do
		if [ "$(member_attr "$m" kind)" = bar ]; then
			poolctl member remove "$m" >/dev/null 2>&1
		else
			echo 0 >"$SP/members/$m/limit"
		fi
	done
	for d in "$PCI"/*; do
		[ "$(cat "$d/device")" = 0x1110 ] || continue
		[ "$(driver_of "${d##*/}")" = scalepool ] &&
			echo "${d##*/}" >/sys/bus/pci/drivers/scalepool/unbind
		echo >"$d/driver_override"
	done
	[ -n "${scan_ms-}" ] && echo "$scan_ms" >"$SP/tier_scan_ms"
	echo 0 >"$SP/tier_rate_limit_MBps"
	[ -n "${cxl_dax-}" ] && daxctl offline-memory "$cxl_dax" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# Two ivshmem devices (QEMU's ivshmem-plain, 1af4:1110): A and B.
ivshmem=()
for d in "$PCI"/*; do
	[ "$(cat "$d/device")" = 0x1110 ] && ivshmem+=("${d##*/}")
done
A=${ivshmem[0]} B=${ivshmem[1]}
m0=$(member_of_node 0)
m1=$(member_of_node 1)
tap_diag "ivshmem: ${ivshmem[*]}; node members $m0 $m1"

# ---- a configuration file
conf=$tmp/pool.conf
cat >"$conf" <<EOF
# node 0 limited, node 1 not
limit node:0 512M
limit node:1 none

bar pci:$A
limit pci:$A 16M   # the member the line above adds
EOF
run apply --dry-run "$conf"
tap_ok "apply --dry-run: the bar member first, then the limits" \
	test "$st" = 0 -a -z "$err" -a "$out" = "$conf:5: add bar member pci:$A, its largest prefetchable BAR
$conf:2: limit of node0 (member $m0): none -> 512.0 MiB
$conf:6: limit of pci:$A (added by $conf:5): - -> 16.0 MiB
dry run: 3 changes, nothing written"
[ "$st" = 0 ] || tap_diag "status $st, out: $out, err: $err"
tap_is "the dry run changed nothing" \
	"$(member_attr "$m0" limit) $(bar_member_of "$A")" "0 "

run apply "$conf"
tap_ok "apply: three changes made" \
	test "$st" = 0 -a -z "$err" -a "$(tail -n 1 <<<"$out")" = \
	"3 changes made"
[ "$st" = 0 ] || tap_diag "status $st, out: $out, err: $err"
idA=$(bar_member_of "$A")
tap_ok "the bar member of $A is there" test -n "$idA"
tap_is "limits: node 0, node 1, the bar member" \
	"$(member_attr "$m0" limit) $(member_attr "$m1" limit) $(member_attr "$idA" limit 2>/dev/null)" \
	"536870912 0 16777216"
run apply "$conf"
tap_ok "a second apply changes nothing, and says so" \
	test "$st" = 0 -a -z "$err" -a "$out" = \
	"nothing to change: the pool is as configured"

# ---- the tiering knobs: on, read back, off (the module's default)
scan_ms=$(cat "$SP/tier_scan_ms")
knobs() { echo "$(cat "$SP/tier_rate_limit_MBps") $(cat "$SP/tier_scan_ms")"; }
tier=$tmp/tier.conf
printf 'tier rate-limit-MBps 64\ntier scan-ms 250\n' >"$tier"
run apply "$tier"
tap_ok "apply: tier lines turn tiering on" \
	test "$st" = 0 -a -z "$err" -a "$(knobs)" = "64 250"
[ "$st" = 0 ] || tap_diag "status $st, out: $out, err: $err"
printf 'tier rate-limit-MBps 0\ntier scan-ms %s\n' "$scan_ms" >"$tier"
run apply "$tier"
tap_ok "and off again: rate 0, the period as it was" \
	test "$st" = 0 -a -z "$err" -a "$(knobs)" = "0 $scan_ms"

# An error after good lines: all reported, nothing written.
bad=$tmp/bad.conf
printf 'limit node:1 1G\nbar pci:%s\nlimit node:0 12Q\nlimit node:9 1G\n' \
	"$B" >"$bad"
run apply "$bad"
tap_ok "errors name file and line" \
	test "$st" = 1 -a -z "$out" -a "$err" = "poolctl apply: $bad:3: bad size '12Q' (bytes, or with K, M, G, T: 512M; none: no limit)
poolctl apply: 1 error in the configuration: nothing changed"
[ "$st" = 1 ] || tap_diag "status $st, out: $out, err: $err"
printf 'limit node:1 1G\nbar pci:%s\nlimit node:9 1G\n' "$B" >"$bad"
run apply "$bad"
tap_ok "a member that is not there is an error of its line" \
	test "$st" = 1 -a -z "$out" -a "$err" = "poolctl apply: $bad:3: no member node:9
poolctl apply: 1 error in the configuration: nothing changed"
tap_is "and nothing changed: node 1's limit, no member for $B" \
	"$(member_attr "$m1" limit) $(bar_member_of "$B")" "0 "
run apply --allow-absent "$bad"
tap_ok "with --allow-absent its line waits, the others are applied" \
	test "$st" = 0 -a "$(head -n 1 <<<"$out")" = \
	"$bad:3: node:9 is not present: left for when it appears" -a \
	"$(member_attr "$m1" limit)" = 1073741824 -a -n "$(bar_member_of "$B")"
poolctl member remove "$(bar_member_of "$B")" >/dev/null 2>&1
echo "$B" >/sys/bus/pci/drivers/scalepool/unbind 2>/dev/null
echo >"$PCI/$B/driver_override"

# ---- udev: the device's group and mode, members that appear later
if [ ! -x "$udevd" ]; then
	for i in $(seq 12); do
		tap_skip "udev test $i" "no $udevd in this guest"
	done
	tap_done
	exit
fi
# The guest's root is a chroot, where systemd's tools do nothing unless
# told to (udevadm trigger and settle, systemd-sysusers).
export SYSTEMD_IGNORE_CHROOT=1
mkdir -p /etc/udev/rules.d /run/udev /etc/scalepool
cp tools/install/60-scalepool.rules /etc/udev/rules.d/
sed "s|@BINDIR@|$top/build|" tools/install/61-scalepool-apply.rules.in \
	>/etc/udev/rules.d/61-scalepool-apply.rules
systemd-sysusers - <tools/install/sysusers.conf >"$tmp/sysusers" 2>&1
gid=$(getent group scalepool | cut -d: -f3)
tap_ok "systemd-sysusers makes the group scalepool" test -n "$gid"
[ -n "$gid" ] || tap_diag "systemd-sysusers: $(cat "$tmp/sysusers")"
# In the background, its debug log kept: what it ran, and what that said.
"$udevd" --debug >"$tmp/udevd.log" 2>&1 &
udevd_pid=$!
for _ in $(seq 50); do
	udevadm control --ping 2>/dev/null && break
	sleep 0.2
done
# What udevd did with the add events of members (after a failure).
udev_diag() {
	grep -E 'members/|poolctl' "$tmp/udevd.log" | tail -n 15 |
		sed 's/^/udevd: /' | while read -r l; do tap_diag "$l"; done
}
# limit_from_udev NAME ID BYTES: the member's limit becomes BYTES.
limit_from_udev() {
	local lim
	lim=$(wait_limit "$2" "$3")
	tap_is "$1" "$lim" "$3"
	[ "$lim" = "$3" ] || udev_diag
}
udevadm trigger --action=add --subsystem-match=misc \
	--sysname-match=scalepool && udevadm settle --timeout=60
tap_is "udev makes /dev/scalepool root:scalepool 0660" \
	"$(stat -c '%U:%G %a' /dev/scalepool)" "root:scalepool 660"

group_access_checks "$gid" "$m0"

# A bar member added by hand: the udev rule applies its lines.
echo "limit pci:$B 8M" >/etc/scalepool/scalepool.conf
run member add "pci:$B"
udevadm settle --timeout=60
limit_from_udev "a bar member added later gets its limit from the udev rule" \
	"$(bar_member_of "$B")" 8388608

# A PCI device that appears after boot: the rule on its add event runs
# poolctl apply --member pci:$B.  First with no bar line for it.
pci_rule_ran() {	# the rule's poolctl for $B ran, exit 0, no output
	tail -n +"$((mark + 1))" "$tmp/udevd.log" |
		grep -aF "poolctl apply --member pci:$B" >"$tmp/rule" || true
	grep -q "succeeded" "$tmp/rule" && ! grep -qE "\((out|err)\)" "$tmp/rule"
}
printf 'bar pci:%s\nlimit pci:%s 16M\n' "$A" "$A" \
	>/etc/scalepool/scalepool.conf
mark=$(wc -l <"$tmp/udevd.log")
pci_unplug "$B"
tap_is "$B off the PCI bus: its bar member went with it" \
	"$(bar_member_of "$B")" ""
pci_rescan
udevadm settle --timeout=60
st=0
pci_rule_ran || st=1
tap_result "back after a rescan, with no bar line for it: the rule's apply exits 0, quietly" "$st"
[ "$st" = 0 ] || grep -aF "pci:$B" "$tmp/udevd.log" | tail -n 8 |
	while read -r l; do tap_diag "udevd: $l"; done
tap_is "and it is no member" "$(bar_member_of "$B")" ""
# Then with a bar line and a limit for its member.
printf 'bar pci:%s\nlimit pci:%s 16M\nbar pci:%s\nlimit pci:%s 4M\n' \
	"$A" "$A" "$B" "$B" >/etc/scalepool/scalepool.conf
pci_unplug "$B"
pci_rescan
udevadm settle --timeout=60
idB=$(wait_bar_member "$B")
limit_from_udev "with a bar line: a bar member again, with its limit, no apply by hand" \
	"${idB:-none}" 4194304

# The CXL memory onlined after boot (daxctl): its node member too.
# On the debug kernel the rule's poolctl, started when the member
# appears, waits for the onlining of the whole region, which takes
# minutes under KASAN, past udev's 180 s event timeout: udev kills it
# (seen 2026-12-05, no kernel report; Documentation/admin-guide.rst,
# "Boot-time configuration").  Not yet understood: skipped there.
region=$(cxl_region 2>/dev/null)
if [ -e /sys/kernel/debug/kmemleak ]; then
	tap_skip "CXL memory onlined later gets its limit" \
		"debug kernel: the rule's poolctl waits past udev's timeout for the onlining (known)"
	tap_skip "and the rule's apply left the other members alone" \
		"debug kernel (known)"
elif [ -z "$region" ] || [ -n "$(cxl_member)" ]; then
	tap_skip "CXL memory onlined later gets its limit" \
		"no offline CXL region in this guest"
	tap_skip "and the rule's apply left the other members alone" \
		"no offline CXL region"
else
	cxl_dax=$(region_dax "$region")
	node=$(cat "/sys/bus/dax/devices/$cxl_dax/target_node")
	printf 'limit pci:%s 8M\nlimit node:%s 32M\nlimit node:0 128M\n' \
		"$B" "$node" >/etc/scalepool/scalepool.conf
	tools/vm/guest/cxl-online "$region" >/dev/null 2>&1
	udevadm settle --timeout=180
	limit_from_udev "CXL memory onlined later (node $node) gets its limit" \
		"$(member_of_node "$node")" 33554432
	tap_is "and the rule's apply left the other members alone" \
		"$(member_attr "$m0" limit)" 536870912
fi
tap_done
