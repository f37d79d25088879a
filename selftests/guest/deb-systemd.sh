#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages installed on a server, from the installed files
# alone: tools/vm/run --install-debs --init systemd (selftests/run, the
# "deb-systemd" suite, stock kernel, peer topology, CXL offline) has
# installed them with dpkg, written /etc/scalepool/scalepool.conf (this
# script with --before-boot) and booted systemd as PID 1; this runs as
# a unit after multi-user.target.  It checks:
# - dpkg installed the four packages; poolctl is /usr/bin/poolctl, no
#   build/ on PATH; scalepool-dkms's postinst made the group scalepool
#   and DKMS installed the module into updates/dkms, built from the
#   package's source;
# - at boot, systemd-modules-load loaded that module (modules-load.d),
#   systemd-udevd made /dev/scalepool root:scalepool 0660, and the
#   enabled scalepool.service applied the configuration: node 0's limit,
#   a bar member added with its limit;
# - a member of the group allocates and cannot set a limit, another
#   user cannot open the device;
# - a configuration error: poolctl apply and `systemctl reload
#   scalepool` report file and line (the journal has it) and change
#   nothing; after the fix, the reload applies the new limit;
# - a bar member added later and the CXL memory onlined later get their
#   lines from the package's udev rule, through scalepool-apply@.service;
#   so does a PCI device a bar line names that appears after boot
#   (removed, then back with a rescan), through
#   scalepool-apply@pci:<address>.service, and the add events of the
#   other PCI devices start no unit; no unit failed.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"
PCI=/sys/bus/pci/devices

ivshmem() {	# the PCI addresses of the ivshmem devices (1af4:1110)
	local d
	for d in "$PCI"/*; do
		[ "$(cat "$d/device")" = 0x1110 ] && echo "${d##*/}"
	done
}

if [ "${1:-}" = --before-boot ]; then
	# Before systemd boots: the configuration scalepool.service applies.
	read -r A _ < <(ivshmem | paste -sd' ')
	mkdir -p /etc/scalepool
	cat >/etc/scalepool/scalepool.conf <<EOT
# written by selftests/guest/deb-systemd.sh before boot
limit node:0 512M
bar pci:$A
limit pci:$A 16M
EOT
	exit 0
fi

tap_plan 29
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
krel=$(uname -r)
read -r A B _ < <(ivshmem | paste -sd' ')
m0=$(member_of_node 0)
m1=$(member_of_node 1)

# ---- what dpkg installed
tap_is "poolctl is the package's, build/ is not on PATH" \
	"$(command -v poolctl) $(tr : '\n' <<<"$PATH" | grep -c /build)" \
	"/usr/bin/poolctl 0"
version=$(dpkg-query -W -f '${Version}' poolctl 2>/dev/null)
tap_is "dpkg: the four packages installed, version $version" \
	"$(dpkg-query -W -f '${db:Status-Abbrev}${Version} ' scalepool-dkms \
		libpool1 libpool-dev poolctl 2>&1)" \
	"$(printf 'ii %s ' "$version" "$version" "$version" "$version")"
upstream=${version%-*}
gid=$(getent group scalepool | cut -d: -f3)
tap_ok "the postinst made the group scalepool (systemd-sysusers)" \
	test -n "$gid"
tap_is "dkms status: installed for $krel" \
	"$(dkms status "scalepool/$upstream" -k "$krel" 2>/dev/null)" \
	"scalepool/$upstream, $krel, x86_64: installed"
ko=$(modinfo -n scalepool 2>&1)
# Debian's kernel compresses its modules (.ko.xz), the debug kernel not.
tap_is "modprobe finds the DKMS module in updates/dkms" \
	"${ko%.xz}" "/lib/modules/$krel/updates/dkms/scalepool.ko"
# tools/vm/run --install-debs gave the postinst DKMS's build of the
# tree's make install source (build/dkms): the package's source is it.
tap_ok "the package's module source is what DKMS built from" \
	diff -r "/usr/src/scalepool-$upstream" \
	"build/dkms/root/usr/src/scalepool-$upstream"

# ---- the boot
tap_is "systemd is PID 1" "$(readlink /proc/1/exe)" /usr/lib/systemd/systemd
journalctl -b -t systemd-modules-load --no-pager -o cat \
	>"$tmp/ml" 2>&1
st=0
grep -q "Inserted module 'scalepool'" "$tmp/ml" || st=1
tap_result "systemd-modules-load loaded scalepool (modules-load.d)" "$st"
[ "$st" = 0 ] || while read -r l; do tap_diag "modules-load: $l"; done <"$tmp/ml"
unit_state() {	# unit_state UNIT: its ActiveState, Result and status
	local p
	for p in ActiveState Result ExecMainStatus; do
		systemctl show -P "$p" "$1"
	done | paste -sd' '
}
tap_is "scalepool.service: enabled, ran and exited 0" \
	"$(systemctl is-enabled scalepool.service) $(unit_state scalepool.service)" \
	"enabled active success 0"
journalctl -b -u scalepool.service --no-pager -o cat 2>&1 | tail -n 8 |
	while read -r l; do tap_diag "scalepool.service: $l"; done
idA=$(bar_member_of "$A")
tap_is "the configuration applied at boot: node 0's limit, bar member $A's" \
	"$(member_attr "$m0" limit) ${idA:+$(member_attr "$idA" limit)}" \
	"536870912 16777216"
tap_is "systemd-udevd made /dev/scalepool root:scalepool 0660" \
	"$(stat -c '%U:%G %a' /dev/scalepool)" "root:scalepool 660"
failed=$(systemctl --failed --plain --no-legend | cut -d' ' -f1 | paste -sd' ')
tap_is "no failed unit" "$failed" ""

# ---- access
group_access_checks "$gid" "$m0"

# ---- an error, then the fix, through the service
mkdir -p /etc/scalepool/conf.d
bad=/etc/scalepool/conf.d/50-test.conf
printf '# a good line, then a bad one\nlimit node:1 256M\nlimit node:1 12Q\n' >"$bad"
run apply
tap_ok "poolctl apply: the error names file and line" \
	test "$st" = 1 -a -z "$out" -a "$err" = "poolctl apply: $bad:3: bad size '12Q' (bytes, or with K, M, G, T: 512M; none: no limit)
poolctl apply: 1 error in the configuration: nothing changed"
[ "$st" = 1 ] || tap_diag "status $st, out: $out, err: $err"
since=$(date '+%Y-%m-%d %H:%M:%S')
st=0
systemctl reload scalepool.service 2>"$tmp/err" || st=$?
tap_ok "systemctl reload scalepool fails" test "$st" != 0
tap_ok "and the journal has the file and line" \
	grep -q "$bad:3: bad size '12Q'" \
	<(journalctl -u scalepool.service --since "$since" --no-pager -o cat)
tap_is "nothing changed: the limits of nodes 0 and 1" \
	"$(member_attr "$m0" limit) $(member_attr "$m1" limit)" "536870912 0"
printf 'limit node:1 256M\n' >"$bad"
st=0
systemctl reload scalepool.service 2>"$tmp/err" || st=$?
[ "$st" = 0 ] || journalctl -u scalepool.service -n 6 --no-pager -o cat |
	while read -r l; do tap_diag "scalepool.service: $l"; done
tap_is "after the fix, systemctl reload applies the new limit" \
	"$st $(member_attr "$m1" limit)" "0 268435456"

# ---- members that appear later: the udev rule, through systemd
# apply_unit_set_limit ID: scalepool-apply@ID.service set ID's limit.
apply_unit_set_limit() {
	grep -q "limit of .*(member $1): " \
		<(journalctl -b -u "scalepool-apply@$1.service" --no-pager -o cat)
}
echo "limit pci:$B 8M" >"$bad"
run member add "pci:$B"
idB=$(bar_member_of "$B")
tap_is "a bar member added later gets its limit (61-scalepool-apply.rules)" \
	"$(wait_limit "$idB" 8388608)" 8388608
tap_ok "the apply ran as scalepool-apply@$idB.service, not in udev" \
	apply_unit_set_limit "$idB"

# A PCI device that a bar line names appears after boot: the rule on its
# add event starts scalepool-apply@pci:<address>.service.
printf 'bar pci:%s\nlimit pci:%s 4M\n' "$B" "$B" >"$bad"
pci_unplug "$B"
tap_is "$B off the PCI bus: its bar member went with it" \
	"$(bar_member_of "$B")" ""
pci_rescan
idB=$(wait_bar_member "$B")
tap_is "back after a rescan: a bar member again, with its limit, no apply by hand" \
	"${idB:+$(wait_limit "$idB" 4194304)}" 4194304
journalctl -b -u "scalepool-apply@pci:$B.service" --no-pager -o cat \
	>"$tmp/pci" 2>&1
st=0
grep -q "add bar member pci:$B" "$tmp/pci" || st=1
tap_result "the apply ran as scalepool-apply@pci:$B.service" "$st"
[ "$st" = 0 ] || while read -r l; do tap_diag "journal: $l"; done <"$tmp/pci"

region=$(cxl_region 2>/dev/null)
if [ -z "$region" ] || [ -n "$(cxl_member)" ]; then
	tap_skip "CXL memory onlined later gets its limit" \
		"no offline CXL region in this guest"
	tap_skip "the apply ran as scalepool-apply@ of the member" \
		"no offline CXL region"
else
	cxl_dax=$(region_dax "$region")
	node=$(cat "/sys/bus/dax/devices/$cxl_dax/target_node")
	echo "limit node:$node 32M" >"$bad"
	tools/vm/guest/cxl-online "$region" >/dev/null 2>&1
	id=$(member_of_node "$node")
	tap_is "CXL memory onlined later (node $node) gets its limit" \
		"$(wait_limit "$id" 33554432)" 33554432
	tap_ok "the apply ran as scalepool-apply@$id.service" \
		apply_unit_set_limit "$id"
fi
# Every PCI device's add event again, the module loaded: the rule starts
# a unit only for the devices a bar line names ($A and $B), after
# poolctl apply --names; none for the others (virtio, the bridges).
udevadm trigger --subsystem-match=pci --action=add
udevadm settle --timeout=60
tap_is "PCI add events start scalepool-apply@pci: only for devices a bar line names" \
	"$(journalctl -b --no-pager -o cat -u 'scalepool-apply@pci:*' |
		sed -n 's/.*Configure scalepool member pci:\([0-9a-f:.]*\) .*/\1/p' |
		sort -u | paste -sd' ')" \
	"$(printf '%s\n' "$A" "$B" | sort | paste -sd' ')"
failed=$(systemctl --failed --plain --no-legend | cut -d' ' -f1 | paste -sd' ')
tap_is "no failed unit at the end" "$failed" ""
tap_done
