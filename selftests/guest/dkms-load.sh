#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module DKMS built from the installed source (the host test
# install-dkms.sh, or make dkms-module: build/dkms/tree/) loads: the
# device appears and poolctl lists the members.  Runs in the guest,
# booted with --no-load in selftests/run (the dkms suite, stock kernel:
# DKMS builds for Debian's kernel only).  With the tree's module loaded
# it takes its place, and puts it back at the end.  No awk (the guest
# may lack Debian's alternatives link).
. "$(dirname "$0")/../lib/tap.sh"
krel=$(uname -r)

tap_plan 6

ko=
for f in build/dkms/tree/scalepool/*/"$krel"/*/module/scalepool.ko*; do
	[ -f "$f" ] && ko=$f
done
if [ -z "$ko" ]; then
	for t in "the tree's module is not loaded" \
		 "insmod the DKMS-built module" "scalepool is loaded" \
		 "/dev/scalepool exists" "poolctl list lists members" \
		 "rmmod the DKMS-built module"; do
		tap_skip "$t" "no DKMS-built module for $krel in build/dkms (make dkms-module builds one for Debian's kernel)"
	done
	exit 0
fi
tap_diag "DKMS-built module: $ko"

tree_module=
if grep -q '^scalepool ' /proc/modules; then
	tree_module=$(. /mnt/host/env && echo "$MODULE")
	rmmod scalepool
fi
tap_ok "the tree's module is not loaded" \
	bash -c '! grep -q "^scalepool " /proc/modules'
tap_ok "insmod the DKMS-built module" insmod "$ko"
tap_ok "scalepool is loaded" grep -q '^scalepool ' /proc/modules
tap_ok "/dev/scalepool exists" test -c /dev/scalepool
out=$(poolctl list 2>&1)
st=$?
tap_diag "poolctl list: status $st, $(grep -c '"id"' <<<"$out") members"
grep -q '"kind": "node"' <<<"$out" || st="$st, no node member"
tap_is "poolctl list lists members" "$st" 0
tap_ok "rmmod the DKMS-built module" rmmod scalepool
[ -z "$tree_module" ] || insmod "$tree_module"
tap_done
