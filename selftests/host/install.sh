#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make install and make uninstall in a DESTDIR (tools/install/install.mk):
# exactly the expected files, the library's links and soname, libpool.pc
# used through pkg-config to build Documentation/libpool.rst's example
# against the installed copy, the installed poolctl without an rpath
# into the build tree, its plugins loaded from LIBDIR/scalepool/, the
# manual pages with a link for every other name a page has, poolctl's bash completion, uninstall leaving no
# file, and bad directories refused.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

tap_plan 32

mk() {
	make -s --no-print-directory -C "$top" "$@"
}

version=$(mk print-version)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
root=$tmp/root
lib=$root/usr/local/lib/$ma
udevrules=$(pkg-config --variable=udevdir udev)/rules.d
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
modloaddir=$(pkg-config --variable=modulesloaddir systemd)
sysusersdir=$(pkg-config --variable=sysusersdir systemd)

# What the default PREFIX installs: files and links, relative to DESTDIR.
expected() {
	local f
	cat <<LIST
usr/local/bin/poolctl
usr/local/include/libpool.h
usr/local/include/scalepool/linux/scalepool.h
usr/local/lib/$ma/libpool.so
usr/local/lib/$ma/libpool.so.1
usr/local/lib/$ma/libpool.so.$version
usr/local/lib/$ma/pkgconfig/libpool.pc
usr/local/lib/$ma/scalepool/libpool-preload.so
usr/local/lib/$ma/scalepool/poolctl-monitor.so
usr/local/lib/$ma/scalepool/poolctl-plot.so
usr/src/scalepool-$version/Kbuild
usr/src/scalepool-$version/dkms.conf
usr/src/scalepool-$version/kernel/uapi/linux/scalepool.h
LIST
	# The module source: every source and header of kernel/.
	for f in "$top"/kernel/*.c "$top"/kernel/*.h; do
		echo "usr/src/scalepool-$version/kernel/${f##*/}"
	done
	echo usr/local/share/bash-completion/completions/poolctl
	# udev's and systemd's files where they look, whatever PREFIX is.
	echo "${udevrules#/}/60-scalepool.rules"
	echo "${udevrules#/}/61-scalepool-apply.rules"
	echo "${unitdir#/}/scalepool.service"
	echo "${unitdir#/}/scalepool-apply@.service"
	echo "${modloaddir#/}/scalepool.conf"
	echo "${sysusersdir#/}/scalepool.conf"
	# Every page of Documentation/man in man<section>, and its other
	# names.
	for f in "$top"/Documentation/man/*.scd; do
		f=${f##*/}
		f=${f%.scd}
		echo "usr/local/share/man/man${f##*.}/$f"
	done
	"$top/tools/install/man-links" | while read -r page alias; do
		echo "usr/local/share/man/man${alias##*.}/$alias"
	done
}

installed() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
}

tap_ok "make install DESTDIR=..." mk install DESTDIR="$root"
tap_is "exactly the expected files" \
	"$(installed "$root")" "$(expected | LC_ALL=C sort)"

tap_is "libpool.so.1 links to libpool.so.$version" \
	"$(readlink "$lib/libpool.so.1")" "libpool.so.$version"
tap_is "libpool.so links to libpool.so.1" \
	"$(readlink "$lib/libpool.so")" "libpool.so.1"
tap_is "the library's soname is libpool.so.1" \
	"$(readelf -d "$lib/libpool.so.$version" |
	   sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libpool.so.1"
# lib/cxl.c opens libcxl and libdaxctl on first use: linked, they would
# load libcrypto and five more into every bound program.
tap_is "libpool does not link libcxl or libdaxctl" \
	"$(readelf -d "$lib/libpool.so.$version" |
	   grep -cE 'NEEDED.*(libcxl|libdaxctl)')" 0
tap_is "libpool.pc: prefix, libdir and version" \
	"$(sed -n -e 's/^prefix=//p' -e 's/^libdir=//p' \
	   -e 's/^Version: //p' "$lib/pkgconfig/libpool.pc" | paste -sd' ')" \
	"/usr/local \${prefix}/lib/$ma $version"

# pkg-config as a program's build would use it, with the DESTDIR as the
# sysroot: only the installed copy's directories.
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs libpool)
tap_diag "pkg-config --cflags --libs libpool: $flags"
tap_ok "pkg-config names the DESTDIR's include and lib directories" \
	grep -q -- "-I$root/usr/local/include .*-L$lib -lpool" <<<"$flags"

# The example of Documentation/libpool.rst.
libpool_example "$tmp/interleave.c"
tap_ok "the example is in Documentation/libpool.rst" \
	grep -q 'int main(void)' "$tmp/interleave.c"
# shellcheck disable=SC2086 # the flags are words
tap_libpool_example "the installed copy" "$lib" $flags

poolctl_i=$root/usr/local/bin/poolctl
tap_is "installed poolctl has no RPATH or RUNPATH" \
	"$(readelf -d "$poolctl_i" | grep -cE '\((RPATH|RUNPATH)\)')" 0
tap_is "and loads the installed libpool" \
	"$(LD_LIBRARY_PATH=$lib ldd "$poolctl_i" | awk '/libpool/ { print $3 }')" \
	"$lib/libpool.so.1"
out=$(LD_LIBRARY_PATH=$lib "$poolctl_i" --version 2>&1)
tap_ok "installed poolctl --version" grep -q "^poolctl " <<<"$out"
out=$(LD_LIBRARY_PATH=$lib "$poolctl_i" --help 2>&1)
tap_ok "installed poolctl --help" grep -q "^usage: poolctl" <<<"$out"
# Its plugins (tools/poolctl/plugin.h), from LIBDIR/scalepool/: --plot
# draws, monitor runs (and, without CAP_SYS_ADMIN, refuses).
if numactl --hardware >/dev/null 2>&1; then
	out=$(LD_LIBRARY_PATH=$lib "$poolctl_i" bench --no-module \
		--initiators 0 --members 0 --size 4M --time 0.3 \
		--plot "$tmp/plot.svg" 2>&1 >/dev/null)
	tap_ok "installed poolctl bench --plot draws with the installed plugin" \
		test -z "$out" -a -n "$(grep -l '</svg>' "$tmp/plot.svg")"
else
	tap_skip "installed poolctl bench --plot draws with the installed plugin" \
		"no NUMA (numactl --hardware)"
fi
if command -v setpriv >/dev/null; then
	out=$(LD_LIBRARY_PATH=$lib setpriv --bounding-set=-sys_admin \
		"$poolctl_i" monitor 2>&1)
	tap_ok "installed poolctl monitor runs the installed plugin" \
		grep -q "^poolctl monitor: needs root" <<<"$out"
else
	tap_skip "installed poolctl monitor runs the installed plugin" \
		"no setpriv"
fi
tap_is "dkms.conf carries the version" \
	"$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' \
	   "$root/usr/src/scalepool-$version/dkms.conf")" "$version"

man=$root/usr/local/share/man
bad=0
while read -r page alias; do
	target=$(readlink "$man/man${alias##*.}/$alias")
	if [ "$target" != "$page" ] || [ ! -f "$man/man${page##*.}/$page" ]; then
		tap_diag "$alias links to '$target', not to the page $page"
		bad=1
	fi
done < <("$top/tools/install/man-links")
tap_result "every other name of a page links to the page beside it" "$bad"
tap_ok "the pages are installed uncompressed, mode 0644" \
	test -z "$(find "$man" -type f ! -perm 0644)" -a \
	-z "$(find "$man" -name '*.gz')" -a -f "$man/man8/poolctl.8"
out=$(MANWIDTH=80 man -l "$man/man3/pool_ref.3" 2>&1)
tap_ok "man -l on an installed link shows the page of pool_ref()" \
	grep -q '^ *pool_ref()' <<<"$out"
# shellcheck disable=SC2016 # $1 is the inner bash's
tap_ok "the bash completion defines _poolctl for poolctl" \
	bash -c '. "$1" && complete -p poolctl | grep -q "_poolctl poolctl$"' \
	_ "$root/usr/local/share/bash-completion/completions/poolctl"

# scalepool.service, scalepool-apply@.service and the udev rule that
# configure the pool run the installed poolctl (the rule through
# systemctl when systemd runs, itself otherwise); systemd-analyze verify
# finds nothing to say about the units (with the DESTDIR's poolctl: it
# checks the command exists).
unit=$root$unitdir/scalepool.service
tap_is "scalepool.service and 61-scalepool-apply.rules run /usr/local/bin/poolctl" \
	"$(sed -n 's/^ExecStart=//p' "$unit") | $(grep -o 'RUN+="[^"]*"' \
	   "$root$udevrules/61-scalepool-apply.rules" | paste -sd' ') " \
	"/usr/local/bin/poolctl apply --allow-absent | $(printf 'RUN+="%s" ' \
	"/bin/systemctl --no-block start scalepool-apply@%k.service" \
	"/usr/local/bin/poolctl apply --member %k" \
	"/bin/systemctl --no-block start scalepool-apply@pci:%k.service" \
	"/usr/local/bin/poolctl apply --member pci:%k" \
	"/bin/systemctl --no-block start scalepool-apply@pci:%k.service" \
	"/usr/local/bin/poolctl apply --member pci:%k")"
# Under systemd, a PCI device's unit only when a bar line names it.
tap_is "the PCI rules under systemd test with poolctl apply --names first" \
	"$(grep 'SUBSYSTEM=="pci".*systemctl' \
	   "$root$udevrules/61-scalepool-apply.rules" |
	   grep -o 'PROGRAM=="[^"]*"' | sort -u)" \
	'PROGRAM=="/usr/local/bin/poolctl apply --names --member pci:%k"'
tap_is "scalepool-apply@.service runs poolctl apply --member" \
	"$(sed -n 's/^ExecStart=//p' "$root$unitdir/scalepool-apply@.service")" \
	"/usr/local/bin/poolctl apply --member %i"
sed "s|/usr/local/bin/poolctl|$poolctl_i|" "$unit" >"$tmp/scalepool.service"
sed "s|/usr/local/bin/poolctl|$poolctl_i|" \
	"$root$unitdir/scalepool-apply@.service" >"$tmp/scalepool-apply@.service"
out=$(systemd-analyze verify --man=no "$tmp/scalepool.service" \
	"$tmp/scalepool-apply@.service" 2>&1)
st=$?
[ -n "$out" ] && tap_diag "systemd-analyze verify: $out"
tap_ok "systemd-analyze verify: scalepool.service and scalepool-apply@ are clean" \
	test "$st" = 0 -a -z "$out"
# It can fail: a unit systemd only warns about.
sed 's/^Type=oneshot/Type=bogus/' "$tmp/scalepool.service" >"$tmp/bad.service"
tap_ok "and catches a unit it only warns about" \
	test -n "$(systemd-analyze verify --man=no "$tmp/bad.service" 2>&1)"

tap_ok "make uninstall DESTDIR=..." mk uninstall DESTDIR="$root"
tap_is "uninstall leaves no file" "$(installed "$root")" ""

# Another PREFIX: LIBDIR follows it; the module source stays in /usr/src.
mk install DESTDIR="$tmp/opt" PREFIX=/opt/scalepool/ >/dev/null
tap_is "PREFIX=/opt/scalepool/: libdir and prefix in libpool.pc" \
	"$(sed -n -e 's/^prefix=//p' -e 's/^libdir=//p' \
	   "$tmp/opt/opt/scalepool/lib/$ma/pkgconfig/libpool.pc" 2>&1 |
	   paste -sd' ')" "/opt/scalepool \${prefix}/lib/$ma"

# Relative directories are refused before anything is written.
bad=0
for args in "DESTDIR=rel/dir" "PREFIX=usr/local" "LIBDIR=lib" \
	    "PREFIX=/usr/lo cal"; do
	err=$(cd "$tmp" && mk install "$args" 2>&1 >/dev/null)
	st=$?
	if [ "$st" = 0 ] || ! grep -qE 'absolute|unsupported' <<<"$err" ||
	   [ -e "$tmp/rel" ] || [ -e "$tmp/usr" ]; then
		tap_diag "make install $args: status $st, said: $err"
		bad=1
	fi
done
tap_result "relative or odd DESTDIR, PREFIX and LIBDIR are refused" "$bad"
