#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debian/ against the tree, without building: debian/libpool1.symbols
# is lib/libpool.sym (every global symbol with its node's first release,
# and no other), no version node is newer than the release, and
# debian/changelog names the release's version (LIB_VERSION, make
# print-version).  tools/install/deb-symbols refuses a malformed
# version script.  deb-package.sh builds and checks the packages.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

tap_plan 8

symbols=$top/debian/libpool1.symbols
gen=$top/tools/install/deb-symbols
version=$(make -s --no-print-directory -C "$top" print-version)

"$gen" >"$tmp/generated" 2>"$tmp/err"
tap_result "tools/install/deb-symbols reads lib/libpool.sym" $?
if diff -u "$symbols" "$tmp/generated" >"$tmp/diff"; then
	tap_result "debian/libpool1.symbols is lib/libpool.sym's (make deb-symbols)" 0
else
	sed 's/^/# /' "$tmp/diff"
	tap_result "debian/libpool1.symbols is lib/libpool.sym's (make deb-symbols)" 1
fi

# The same names on both sides, read without the generator: the
# version script's "name;" lines and the symbols file's name@NODE.
grep -oE '^[[:space:]]+pool_[A-Za-z0-9_]+;' "$top/lib/libpool.sym" |
	tr -d ' \t;' | LC_ALL=C sort >"$tmp/names.sym"
sed -n 's/^ \(pool_[A-Za-z0-9_]*\)@LIBPOOL_[0-9.]* .*/\1/p' "$symbols" |
	LC_ALL=C sort >"$tmp/names.deb"
if [ -s "$tmp/names.sym" ] && cmp -s "$tmp/names.sym" "$tmp/names.deb"; then
	tap_result "the same $(wc -l <"$tmp/names.sym") symbols in libpool.sym and libpool1.symbols" 0
else
	comm -3 "$tmp/names.sym" "$tmp/names.deb" |
		sed 's/^\t/# only in libpool1.symbols: /; t; s/^/# only in libpool.sym: /'
	tap_result "the same symbols in libpool.sym and libpool1.symbols" 1
fi

# A node's version is its first release: none may be newer than this
# release (a new node needs LIB_VERSION raised).
bad=0
while read -r node ver; do
	if ! dpkg --compare-versions "$ver" le "$version"; then
		tap_diag "$node is version $ver, newer than the release, $version"
		bad=1
	fi
done < <(sed -n 's/^ \(LIBPOOL_[0-9.]*\)@LIBPOOL_[0-9.]* \(.*\)/\1 \2/p' "$symbols")
tap_result "no version node newer than the release, $version" "$bad"

tap_is "debian/changelog's upstream version is the release's" \
	"$(cd "$top" && dpkg-parsechangelog -SVersion | sed 's/-[^-]*$//')" \
	"$version"

# Malformed version scripts: an error naming the file and line.
printf 'LIBPOOL_1 {\nglobal:\n\tpool_new;\n};\nPOOL_2 {\nglobal:\n\tpool_x;\n};\n' \
	>"$tmp/badnode.sym"
printf 'LIBPOOL_1 {\nlocal:\n\t*;\n};\n' >"$tmp/empty.sym"
bad=0
for f in badnode:5:'node POOL_2 is not LIBPOOL_X' empty:4:'no global symbols'; do
	name=${f%%:*} rest=${f#*:}
	err=$("$gen" "$tmp/$name.sym" 2>&1 >/dev/null)
	st=$?
	if [ "$st" = 0 ] || [[ "$err" != *"$name.sym:${rest%%:*}: ${rest#*:}"* ]]; then
		tap_diag "deb-symbols $name.sym: status $st, said: $err"
		bad=1
	fi
done
tap_result "deb-symbols refuses a bad node name and a script without symbols" "$bad"

# The packaging files the tree must have.
missing=
for f in control changelog copyright rules source/format \
	 scalepool-dkms.install scalepool-dkms.dkms libpool1.install \
	 libpool-dev.install poolctl.install libpool1.symbols; do
	[ -f "$top/debian/$f" ] || missing="$missing $f"
done
tap_is "debian/ has its files" "$missing" ""
tap_ok "debian/rules is executable" test -x "$top/debian/rules"
tap_done
