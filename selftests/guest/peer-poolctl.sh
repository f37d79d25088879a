#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl member add/remove and the peer fields of poolctl list, in the
# "peer" topology (three ivshmem-plain devices: two behind a PCIe
# switch, one on pcie.0; NVMe controllers bound to nvme; QEMU's edu
# device, whose BAR is not prefetchable).  Every refusal
# is one line on stderr that names the cause, and leaves the device as
# it was.  A poolctl monitor sees the members come and go (the module's
# member_add and member_remove trace events, with the PCI address), and
# the revoke of a mapped allocation whose bar member is removed under
# it (the revoke event, with the allocation's id).
# Runs in the guest with the module loaded.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

tap_plan 53

tmp=$(mktemp -d)
PCI=/sys/bus/pci/devices

driver_of() {
	local l
	l=$(readlink "$PCI/$1/driver" 2>/dev/null) || return 0
	echo "${l##*/}"
}

# Unbound, no override: as the topology leaves an ivshmem device.
pristine() {
	[ -z "$(driver_of "$1")" ] &&
		[ "$(cat "$PCI/$1/driver_override")" = "(null)" ]
}

# Leave every ivshmem device unbound, without override, as it was.
mon=
cleanup() {
	local m d
	[ -n "$mon" ] && kill "$mon" 2>/dev/null
	for m in $(members); do
		[ "$(member_attr "$m" kind)" = bar ] &&
			poolctl member remove "$m" >/dev/null 2>&1
	done
	for d in "$PCI"/*; do
		[ "$(cat "$d/device")" = 0x1110 ] ||
			[ "$(cat "$d/device")" = 0x11e8 ] || continue
		[ "$(driver_of "${d##*/}")" = scalepool ] &&
			echo "${d##*/}" >/sys/bus/pci/drivers/scalepool/unbind
		echo >"$d/driver_override"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ivshmem devices: behind the switch (A the larger, B) and on pcie.0 (R).
sw=() root=
for d in "$PCI"/*; do
	[ "$(cat "$d/device")" = 0x1110 ] || continue
	b=${d##*/}
	if [ "${b:5:3}" = "00:" ]; then root=$b; else sw+=("$b"); fi
done
bar_bytes() {	# bar_bytes BDF N: size of BAR N from the resource file
	local i=0 s e f
	while read -r s e f; do
		if [ "$i" = "$2" ]; then
			[ "$((e))" -gt "$((s))" ] && echo $((e - s + 1)) || echo 0
			return
		fi
		i=$((i + 1))
	done <"$PCI/$1/resource"
}
A=${sw[0]} B=${sw[1]}
if [ "$(bar_bytes "$B" 2)" -gt "$(bar_bytes "$A" 2)" ]; then
	A=${sw[1]} B=${sw[0]}
fi
nvme=
for d in "$PCI"/*; do
	[ "$(driver_of "${d##*/}")" = nvme ] && { nvme=${d##*/}; break; }
done
tap_diag "switch: $A $B, pcie.0: $root, nvme: $nvme"

# A monitor of the member events, ready once the last one is enabled.
poolctl monitor --event member_add --event member_remove >"$tmp/mon" \
	2>"$tmp/mon.err" &
mon=$!
monitor_ready "$mon" member_remove 200

# ---- add
run member add "pci:$A"
tap_ok "member add pci:$A" ok_run
idA=$(jq -r .id <<<"$out")
tap_is "its JSON: pci, bar, capacity" \
	"$(jq -c '[.pci, .bar, .capacity]' <<<"$out")" \
	"[\"$A\",2,$(bar_bytes "$A" 2)]"
tap_is "the device is bound to scalepool" "$(driver_of "$A")" scalepool
tap_is "sysfs agrees" "$(member_attr "$idA" kind) $(member_attr "$idA" pci)" \
	"bar $A"

run member add "pci:$B" --bar 2
tap_ok "member add pci:$B --bar 2" ok_run
idB=$(jq -r .id <<<"$out")
run member add "pci:$root"
tap_ok "member add pci:$root (on pcie.0)" ok_run
idR=$(jq -r .id <<<"$out")

# ---- list
run list
tap_ok "list" ok_run
tap_is "a bar member shows pci, bar and memory" \
	"$(jq -c ".members[] | select(.id == $idA) | [.kind, .memory, .pci, .bar]" <<<"$out")" \
	"[\"bar\",\"pci\",\"$A\",2]"
tap_is "peer_distance: 4 through the switch, -1 via the host bridge" \
	"$(jq -c ".members[] | select(.id == $idA) | .peer_distance | [.[\"$idB\"], .[\"$idR\"]]" <<<"$out")" \
	"[4,-1]"
tap_is "node members have no pci field" \
	"$(jq -c '[.members[] | select(.kind == "node") | has("pci")] | any' <<<"$out")" \
	false
# Without the capability a note says why; with it, no note is needed.
if [ "$(jq -r '.notes // [] | length' <<<"$out")" != 0 ]; then
	tap_ok "list notes why p2pmem members are absent" \
		grep -q CONFIG_PCI_P2PDMA <<<"$(jq -r '.notes[]' <<<"$out")"
else
	tap_ok "no note: p2pmem members are supported" \
		grep -q '"kind": "p2pmem"' <<<"$out"
fi
run list --human
tap_ok "list --human shows PCI/BAR and peer distances" \
	grep -Eq "$A/2 .*(^|[ ,])$idB:4,.*$idR:-1" <<<"$out"

# ---- placement for a PCI device: the NVMe behind the switch
swnvme=
for d in "$PCI"/*; do
	b=${d##*/}
	[ "$(cat "$d/class")" = 0x010802 ] && [ "${b:5:3}" != "00:" ] &&
		{ swnvme=$b; break; }
done
run alloc --size 1M --policy nearest --initiator-pci "$swnvme"
tap_ok "alloc --initiator-pci $swnvme" ok_run
got=$(jq -r '.placement[0].member' <<<"$out")
# Its own CMB (a p2pmem member, distance 0) where the kernel has P2PDMA.
tap_ok "lands on a BAR behind the same switch, or on its own CMB" \
	test "$got" = "$idA" -o "$got" = "$idB" -o \
	"$(member_attr "$got" kind) $(member_attr "$got" pci)" = "p2pmem $swnvme"
run alloc --size 1M --initiator-pci "$swnvme"
tap_ok "--initiator-pci needs nearest" one_line "needs --policy nearest"
run alloc --size 1M --policy nearest --initiator-pci 0000:fe:00.0
tap_ok "--initiator-pci of no device" one_line "no PCI device '0000:fe:00.0'"

# ---- refusals: one line naming the cause, nothing changed
run member add "pci:$A"
tap_ok "again: already a member" one_line "BAR 2 is already a member"
run member add "pci:$B" --bar 0
tap_ok "BAR 0: 256 bytes (< 1 MiB)" one_line "BAR 0 is 256 bytes (< 1 MiB)"
run member add "pci:$B" --bar 3
tap_ok "BAR 3: not a memory BAR" one_line "BAR 3 is not a memory BAR"
run member add "pci:$B" --bar 9
tap_ok "--bar 9: bad index" one_line "bad BAR index '9'"
run member add pci:0000:fe:1f.7
tap_ok "no such device" one_line "no such device 0000:fe:1f.7"
run member add pci:garbage
tap_ok "bad address" one_line "bad device 'pci:garbage'"
run member add "$A"
tap_ok "no pci: prefix" one_line "expected pci:DDDD:BB:DD.F"
if [ -n "$nvme" ]; then
	run member add "pci:$nvme"
	tap_ok "a device bound to nvme" one_line "$nvme is bound to driver nvme"
	tap_is "which keeps its driver" "$(driver_of "$nvme")" nvme
else
	tap_skip "a device bound to nvme" "no NVMe controller bound to nvme"
	tap_skip "which keeps its driver" "no NVMe controller bound to nvme"
fi
run member remove 0
tap_ok "remove a node member" one_line "is a node member: only bar members"
run member remove 999999
tap_ok "remove an unknown member" one_line "no member '999999'"
run member remove
tap_ok "remove without a member" one_line "no member given"
run member frob
tap_ok "unknown subcommand" bash -c '[ "$0" = 1 ] && [[ "$1" == *"unknown subcommand"* ]]' "$st" "$err"

# ---- a BAR that is not prefetchable: QEMU's edu, 1 MiB of registers
edu=
for d in "$PCI"/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] &&
		{ edu=${d##*/}; break; }
done
if [ -n "$edu" ]; then
	run member add "pci:$edu"
	tap_ok "edu without --bar: not prefetchable, refused" \
		one_line "BAR 0 (1048576 bytes) is not prefetchable"
	tap_ok "the refusal says how to add it anyway" \
		grep -q -- "name it with --bar 0" <<<"$err"
	tap_ok "edu is left unbound, no override" pristine "$edu"
	run member add "pci:$edu" --bar 0
	tap_ok "edu --bar 0: named, so added" ok_run
	run member remove "$(jq -r .id <<<"$out")"
	tap_ok "and removed" ok_run
	tap_ok "edu is left as it was found" pristine "$edu"
else
	for t in 1 2 3 4 5 6; do
		tap_skip "edu BAR not prefetchable ($t)" "no edu device"
	done
fi

# ---- remove
run member remove "$idB"
tap_ok "member remove $idB" ok_run
tap_ok "the member is gone" test ! -e "/sys/kernel/scalepool/members/$idB"
tap_ok "the device is unbound and its override cleared" pristine "$B"
run member remove "$(member_attr "$idR" name)"
tap_ok "member remove by name" ok_run
tap_ok "that device is left as it was found too" pristine "$root"
kill -TERM "$mon"
wait "$mon"
tap_is "monitor: member_add of $idA, its kind and PCI address" \
	"$(jq -c "select(.event == \"scalepool_member_add\" and .data.id == $idA) |
		[.data.kind, .data.pci]" "$tmp/mon" 2>&1)" "[\"bar\",\"$A\"]"
tap_is "monitor: member_remove of $idB, its kind and PCI address" \
	"$(jq -c "select(.event == \"scalepool_member_remove\" and .data.id == $idB) |
		[.data.kind, .data.pci]" "$tmp/mon" 2>&1)" "[\"bar\",\"$B\"]"
mon=

# A refused add of an unbound device leaves it unbound.
run member add "pci:$B" --bar 0
tap_ok "a refused add of an unbound device" one_line "BAR 0 is 256 bytes"
tap_ok "leaves it unbound, no override" pristine "$B"

# Re-add after remove: a new id.
run member add "pci:$B"
tap_ok "re-add after remove" ok_run
tap_ok "with a new id" test "$(jq -r .id <<<"$out")" != "$idB"
idB=$(jq -r .id <<<"$out")

# ---- revoke: the member removed under an allocation another process
# has mapped and touched; the monitor sees its alloc, then its revoke.
poolctl monitor --event alloc --event revoke >"$tmp/mon2" \
	2>"$tmp/mon2.err" &
mon=$!
monitor_ready "$mon" revoke 2400
poolctl alloc --size 1M --members "$idB" --touch --hold 600 \
	>"$tmp/hold" 2>&1 &
holder=$!
for _ in $(seq 600); do [ -s "$tmp/hold" ] && break; sleep 0.1; done
run member remove "$idB"
tap_ok "member remove $idB under a mapped allocation" ok_run
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
kill -TERM "$mon"
wait "$mon"
mon=
[ -s "$tmp/mon2.err" ] && tap_diag "monitor: $(cat "$tmp/mon2.err")"
aid=$(jq "select(.event == \"scalepool_alloc\" and .pid == $holder) |
	.data.id" "$tmp/mon2" 2>&1)
tap_is "monitor: the holder's alloc, on member $idB" \
	"$(jq -c "select(.event == \"scalepool_alloc\" and .pid == $holder) |
		[.data.members, .data.length]" "$tmp/mon2" 2>&1)" \
	"[[$idB],1048576]"
tap_is "monitor: one revoke, of that allocation (id ${aid:-none}), member $idB" \
	"$(jq -c 'select(.event == "scalepool_revoke") |
		[.data.id, .data.member, .data.length]' "$tmp/mon2" 2>&1)" \
	"[${aid:-none},$idB,1048576]"

# Unload with bar members (and no allocation): the driver's remove takes
# them; loading again binds the devices (driver_override) without
# members until add_bar.
module=${SCALEPOOL_MODULE:-$(. /mnt/host/env && echo "$MODULE")}
tap_ok "rmmod with bar members" rmmod scalepool
tap_ok "the devices are unbound" test -z "$(driver_of "$A")$(driver_of "$B")"
tap_ok "insmod again" insmod "$module"
tap_ok "the devices are bound again, no bar member" bash -c \
	'[ "$(basename "$(readlink "$0/driver")")" = scalepool ] &&
	 ! grep -qx bar /sys/kernel/scalepool/members/*/kind' "$PCI/$A"
tap_done
