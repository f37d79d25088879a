#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages (debian/, make deb): built once, in a copy, with
# the tree left as it was; lintian finds no error and no warning; each
# package holds exactly its files, and together exactly what `make
# install DESTDIR=... PREFIX=/usr` installs, beside Debian's own
# (copyright, changelog, lintian overrides), with the same content (ELF
# files aside); the dependencies dpkg-shlibdeps and dh_dkms give; the
# packages extracted into a directory build Documentation/libpool.rst's
# example through pkg-config; apt would install them.  About 50 s on a
# quiet 2-core host, most of it dpkg-buildpackage and lintian.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

tap_plan 27

version=$(make -s --no-print-directory -C "$top" print-version)
debver=$(cd "$top" && dpkg-parsechangelog -SVersion)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
out=$top/build/deb
pkgs=(scalepool-dkms libpool1 libpool-dev poolctl)

# The tree's files, but build/ and the VCS: the same before and after.
tree_files() {
	(cd "$top" && find . \( -path ./build -o -name .git \) -prune -o -print |
		LC_ALL=C sort)
}

deb() {
	local a=$arch
	[ "$1" = scalepool-dkms ] && a=all
	echo "$out/${1}_${debver}_$a.deb"
}

# A package's files (no directories), symbolic links as "path -> target".
deb_files() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ {
		p = $6; sub(/^\.\//, "", p)
		if ($1 ~ /^l/) p = p " -> " $8
		print p }' | LC_ALL=C sort
}

tree_files >"$tmp/tree.before"
start=$(date +%s)
make -s --no-print-directory -C "$top" deb >"$tmp/build.log" 2>&1
st=$?
[ "$st" = 0 ] || tail -n 40 "$tmp/build.log" | sed 's/^/# /'
tap_diag "make deb took $(($(date +%s) - start)) s"
tap_result "make deb (dpkg-buildpackage -b -us -uc in build/deb/)" "$st"
tree_files >"$tmp/tree.after"
if cmp -s "$tmp/tree.before" "$tmp/tree.after"; then
	tap_result "the tree outside build/ is as it was" 0
else
	diff "$tmp/tree.before" "$tmp/tree.after" | sed 's/^/# /'
	tap_result "the tree outside build/ is as it was" 1
fi

tap_is "the packages, with the -dbgsym of the two programs" \
	"$(cd "$out" 2>/dev/null && printf '%s\n' *.deb | LC_ALL=C sort |
	   paste -sd' ')" \
	"$(for p in "${pkgs[@]}" libpool1-dbgsym poolctl-dbgsym; do
		deb "$p"
	   done | sed 's|.*/||' | LC_ALL=C sort | paste -sd' ')"

# lintian over the .changes (every package): an error or a warning
# fails.  Overrides (debian/*.lintian-overrides) are shown.
start=$(date +%s)
lintian --pedantic -I --show-overrides "$out/scalepool_${debver}_$arch.changes" \
	>"$tmp/lintian" 2>"$tmp/lintian.err"
st=$?
tap_diag "lintian took $(($(date +%s) - start)) s"
grep -v '^N: ' "$tmp/lintian" | sed 's/^/# lintian: /'
grep -v 'running with root privileges' "$tmp/lintian.err" | sed 's/^/# /'
tap_is "lintian: no error" "$st $(grep -c '^E: ' "$tmp/lintian")" "0 0"
tap_is "lintian: no warning" \
	"$(sed -n 's/^W: \([^:]*: [^ ]*\).*/\1/p' "$tmp/lintian" | paste -sd,)" ""

# make install's tree for PREFIX=/usr, the reference.
make -s --no-print-directory -C "$top" install DESTDIR="$tmp/inst" \
	PREFIX=/usr >/dev/null 2>"$tmp/err" || sed 's/^/# /' "$tmp/err"
(cd "$tmp/inst" && find . ! -type d \( -type l -printf '%P -> %l\n' -o \
	-printf '%P\n' \) | LC_ALL=C sort) >"$tmp/inst.files"

# What each package holds.  Debian's own files in every one:
debian_files() {
	printf '%s\n' "usr/share/doc/$1/changelog.Debian.gz" \
		"usr/share/doc/$1/copyright" "usr/share/lintian/overrides/$1"
}
# and its part of make install's tree: manual pages by section (3 the
# library's, 4 the device's, 8 poolctl's) and poolctl's bash completion
# go where make install puts them, whatever their names.
expected_files() {
	local f
	{
		debian_files "$1"
		case $1 in
		scalepool-dkms)
			for f in Kbuild dkms.conf kernel/uapi/linux/scalepool.h \
				 "$top"/kernel/*.[ch]; do
				echo "usr/src/scalepool-$version/${f#"$top"/}"
			done
			grep -E '^(usr/share/man/man4/|lib/udev/rules.d/60-|usr/lib/(modules-load|sysusers)\.d/)' \
				"$tmp/inst.files" ;;
		libpool1)
			echo "usr/lib/$ma/libpool.so.$version"
			echo "usr/lib/$ma/libpool.so.1 -> libpool.so.$version" ;;
		libpool-dev)
			echo "usr/include/libpool.h"
			echo "usr/include/scalepool/linux/scalepool.h"
			echo "usr/lib/$ma/libpool.so -> libpool.so.1"
			echo "usr/lib/$ma/pkgconfig/libpool.pc"
			grep '^usr/share/man/man3/' "$tmp/inst.files" ;;
		poolctl)
			echo "usr/bin/poolctl"
			echo "usr/lib/$ma/scalepool/libpool-preload.so"
			echo "usr/lib/$ma/scalepool/poolctl-monitor.so"
			echo "usr/lib/$ma/scalepool/poolctl-plot.so"
			grep -E '^(usr/share/(man/man[578]|bash-completion)/|lib/udev/rules.d/61-|lib/systemd/system/)' \
				"$tmp/inst.files" ;;
		esac
	} | LC_ALL=C sort
}
# A package's files as make install names them: dh_compress gzips the
# manual pages (and the links to them).
deb_files_installed() {
	deb_files "$1" | sed -E '\|^usr/share/man/| s/\.gz( -> |$)/\1/g' |
		LC_ALL=C sort
}
for p in "${pkgs[@]}"; do
	deb_files_installed "$(deb "$p")" >"$tmp/$p.files" 2>/dev/null
	if diff <(expected_files "$p") "$tmp/$p.files" >"$tmp/diff"; then
		tap_result "$p holds exactly its files" 0
	else
		sed -e 's/^</# missing:/' -e 's/^>/# extra:/' -e '/^[0-9]/d' \
			"$tmp/diff"
		tap_result "$p holds exactly its files" 1
	fi
done

# Together, without Debian's own files: make install's tree, no file in
# two packages.
for p in "${pkgs[@]}"; do
	grep -vxF -f <(debian_files "$p") "$tmp/$p.files"
done | LC_ALL=C sort >"$tmp/union"
tap_is "no file in two packages" "$(uniq -d "$tmp/union")" ""
if [ -s "$tmp/inst.files" ] && diff "$tmp/inst.files" "$tmp/union" >"$tmp/diff"; then
	tap_result "the packages hold exactly make install's tree (PREFIX=/usr)" 0
else
	sed -e 's/^</# only in make install:/' -e 's/^>/# only in the packages:/' \
		-e '/^[0-9]/d' "$tmp/diff"
	tap_result "the packages hold exactly make install's tree (PREFIX=/usr)" 1
fi

field() {
	dpkg-deb -f "$(deb "$1")" "$2" 2>/dev/null
}
tap_ok "poolctl depends on libpool1 (>= $version), from the symbols" \
	grep -qF "libpool1 (>= $version)" <<<"$(field poolctl Depends)"
# poolctl links neither; its plugins do (tools/poolctl/plugin.h).
tap_ok "poolctl depends on libcairo2 and libtracefs1, for its plugins" \
	eval 'grep -qE "(^|, )libcairo2( |,|$)" <<<"$(field poolctl Depends)" &&
	grep -qE "(^|, )libtracefs1( |,|$)" <<<"$(field poolctl Depends)"'
tap_ok "libpool-dev depends on libpool1 (= $debver)" \
	grep -qF "libpool1 (= $debver)" <<<"$(field libpool-dev Depends)"
tap_is "libpool1 ships the symbols file, with its versions" \
	"$(dpkg-deb -I "$(deb libpool1)" symbols 2>&1)" \
	"$(grep -v '^#' "$top/debian/libpool1.symbols")"
# systemd-sysusers: dh_installsysusers's, for the group scalepool.
tap_ok "scalepool-dkms: Architecture all, depends on dkms and systemd-sysusers" \
	test "$(field scalepool-dkms Architecture) $(field scalepool-dkms Depends)" \
	= "all dkms (>= 2.1.0.0), systemd | systemd-standalone-sysusers | systemd-sysusers"
# dh_dkms's scripts: dkms add, build and install on configure, dkms
# remove on removal, both for scalepool/<version>.
tap_ok "scalepool-dkms's postinst and prerm are dh_dkms's for scalepool/$version" \
	test "$(dpkg-deb -I "$(deb scalepool-dkms)" postinst 2>/dev/null |
		grep -cE '^DKMS_(NAME=scalepool|VERSION='"$version"')$|common\.postinst')" \
	= 3 -a "$(dpkg-deb -I "$(deb scalepool-dkms)" prerm 2>/dev/null |
		grep -cE '^DKMS_(NAME=scalepool|VERSION='"$version"')$|dkms remove')" = 3

# The group of /dev/scalepool made when scalepool-dkms is configured
# (dh_installsysusers); scalepool.service enabled, not started, by
# poolctl's (dh_installsystemd --no-start).
tap_ok "scalepool-dkms's postinst makes the group scalepool (systemd-sysusers)" \
	grep -q 'systemd-sysusers.*scalepool\.conf' \
	<<<"$(dpkg-deb -I "$(deb scalepool-dkms)" postinst 2>/dev/null)"
postinst=$(dpkg-deb -I "$(deb poolctl)" postinst 2>/dev/null)
tap_ok "poolctl's postinst enables scalepool.service and does not start it" \
	test "$(grep -c "deb-systemd-helper enable 'scalepool.service'" \
		<<<"$postinst") $(grep -c deb-systemd-invoke <<<"$postinst")" \
	= "1 0"

# apt resolves their dependencies from the archive (simulated: the
# host's /var/lib/dkms stays without scalepool).
apt-get --simulate install "$(deb scalepool-dkms)" "$(deb libpool1)" \
	"$(deb libpool-dev)" "$(deb poolctl)" >"$tmp/apt" 2>&1
st=$?
[ "$st" = 0 ] || tail -n 5 "$tmp/apt" | sed 's/^/# /'
tap_is "apt-get --simulate installs the four packages" \
	"$st $(sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) local-deb.*/\1=\2/p' "$tmp/apt" |
	       LC_ALL=C sort | paste -sd' ')" \
	"0 libpool-dev=$debver libpool1=$debver poolctl=$debver scalepool-dkms=$debver"

# Installed files only: the packages extracted.
root=$tmp/root
for p in "${pkgs[@]}"; do
	dpkg-deb -x "$(deb "$p")" "$root" 2>/dev/null
done
# The same content as make install's files, but for the ELF files
# (Debian's flags, stripped); manual pages through dh_compress's gzip.
bad=0
while read -r f; do
	case $(head -c 4 "$tmp/inst/$f" | od -An -c | tr -d ' ') in
	177ELF) continue ;;
	esac
	if [ -f "$root/$f.gz" ] && [[ $f == usr/share/man/* ]]; then
		gzip -dc "$root/$f.gz" | cmp -s - "$tmp/inst/$f"
	else
		cmp -s "$root/$f" "$tmp/inst/$f"
	fi || { tap_diag "$f differs from make install's"; bad=1; }
done < <(cd "$tmp/inst" && find . -type f -printf '%P\n')
tap_result "the packages' files have make install's content (ELF aside)" "$bad"
lib=$root/usr/lib/$ma
export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs libpool 2>&1)
tap_diag "pkg-config --cflags --libs libpool: $flags"
tap_is "libpool.pc from libpool-dev: version $version" \
	"$(pkg-config --modversion libpool 2>&1)" "$version"
# shellcheck disable=SC2086 # the flags are words
tap_libpool_example "libpool-dev and libpool1" "$lib" $flags
tap_is "poolctl --version prints the package's version" \
	"$(LD_LIBRARY_PATH=$lib "$root/usr/bin/poolctl" --version 2>&1)" \
	"poolctl $debver"
if numactl --hardware >/dev/null 2>&1; then
	out=$(LD_LIBRARY_PATH=$lib "$root/usr/bin/poolctl" bench --no-module \
		--initiators 0 --members 0 --size 4M --time 0.3 \
		--plot "$tmp/plot.png" 2>&1 >/dev/null)
	tap_ok "poolctl bench --plot draws with the package's plugin" \
		test -z "$out" -a -s "$tmp/plot.png"
else
	tap_skip "poolctl bench --plot draws with the package's plugin" \
		"no NUMA (numactl --hardware)"
fi
tap_done
