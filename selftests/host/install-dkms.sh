#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DKMS builds scalepool.ko from the source `make install` puts in
# /usr/src/scalepool-<version>/, for Debian's 6.12 headers, in a DKMS
# tree of its own (tools/install/dkms-build, build/dkms/; the host's
# /var/lib/dkms is untouched).  The host cannot load the module: the
# guest test dkms-load.sh loads the one built here.  About a minute.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/tools/kernel/common.sh"

tap_plan 6

krel=$(stock_kernel_release)
version=$(make -s --no-print-directory -C "$top" print-version)
tree=$top/build/dkms/tree
dk=(--dkmstree "$tree" --sourcetree "$top/build/dkms/root/usr/src")

ko=$("$top/tools/install/dkms-build" "$krel" 2>"$tmp/log")
st=$?
[ "$st" = 0 ] || sed 's/^/# /' "$tmp/log"
tap_result "dkms add and build scalepool/$version for $krel" "$st"
tap_is "dkms status: built for $krel" \
	"$(dkms status "scalepool/$version" "${dk[@]}" 2>/dev/null)" \
	"scalepool/$version, $krel, x86_64: built"
tap_is "the module's vermagic names $krel" \
	"$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')" "$krel"
# The same code as build/kmod's module (Debian's kernel has no
# srcversion without MODULE_VERSION): their .text sections are equal.
kmod=$top/build/kmod/$krel/scalepool.ko
if [ -f "$kmod" ]; then
	xz -dcf "$ko" >"$tmp/dkms.ko" 2>/dev/null
	objcopy -O binary --only-section=.text "$tmp/dkms.ko" "$tmp/dkms.text"
	objcopy -O binary --only-section=.text "$kmod" "$tmp/kmod.text"
	tap_ok "the same code as $kmod" cmp -s "$tmp/dkms.text" "$tmp/kmod.text"
else
	tap_skip "the same code as build/kmod's module" "no $kmod (make module)"
fi
# BUILD_EXCLUSIVE_KERNEL: another kernel is skipped (77), not failed.
dkms build "scalepool/$version" -k 6.1.0-99-amd64 "${dk[@]}" \
	--kernelsourcedir "/lib/modules/$krel/build" >"$tmp/out" 2>&1
st=$?
grep -q BUILD_EXCLUSIVE "$tmp/out" || st="$st, no BUILD_EXCLUSIVE message"
tap_is "dkms skips a kernel other than 6.12 (BUILD_EXCLUSIVE_KERNEL)" \
	"$st" 77
tap_ok "the host's /var/lib/dkms has no scalepool" \
	test ! -e /var/lib/dkms/scalepool
