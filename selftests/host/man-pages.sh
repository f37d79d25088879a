#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The manual pages (Documentation/man, built into build/man by make man):
# every page renders with man -l without a warning; every poolctl
# command has its page, and every option the command takes (as poolctl's
# own help lists them, so that the list follows poolctl) is in it;
# every symbol of lib/libpool.sym is a page or another name of one and
# is described there; a malformed page fails make man.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

man_dir=$top/build/man
pages=("$top"/Documentation/man/*.scd)
commands=$("$poolctl" --help 2>/dev/null |
	awk '/^Commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 }')
symbols=$(sed -n -E 's/^\t(pool_[a-z0-9_]+);$/\1/p' "$top/lib/libpool.sym")

tap_plan $((${#pages[@]} + $(wc -w <<<"$commands") + 9))

tap_ok "make man builds every page" \
	make -s --no-print-directory -C "$top" man

# Each page once through man -l (about half a second each), two at a
# time: its text in $tmp/text/<page> (col -b: no overstrike), what man
# said on stderr in $tmp/err/<page>.  man-db's --warnings=all passes
# groff's -wall: anything on stderr is a warning or an error.
mkdir -p "$tmp/text" "$tmp/err"
render_one() {
	MANWIDTH=80 man -l --warnings=all "$2/$3" 2>"$1/err/$3" |
		col -bx >"$1/text/$3"
}
n=0
for src in "${pages[@]}"; do
	page=${src##*/}
	render_one "$tmp" "$man_dir" "${page%.scd}" &
	n=$((n + 1))
	[ $((n % 2)) = 0 ] && wait
done
wait

for src in "${pages[@]}"; do
	page=${src##*/}
	page=${page%.scd}
	err=$(cat "$tmp/err/$page" 2>/dev/null)
	[ -n "$err" ] && tap_diag "$page: $err"
	tap_ok "man -l $page renders without a warning" \
		test -s "$man_dir/$page" -a -s "$tmp/text/$page" -a \
		-f "$tmp/err/$page" -a -z "$err"
done

# The check can fail: a page groff warns about (an invalid scale
# indicator) leaves a warning in err/.
printf '.TH BAD 8\n.SH NAME\nbad\n.sp 3z\n' >"$tmp/bad.8"
render_one "$tmp" "$tmp" bad.8
tap_ok "a page with a groff warning is caught" \
	grep -q warning "$tmp/err/bad.8"

# whatis and apropos index a page by its NAME line, "a, b - summary" on
# the lines after NAME: scdoc makes a line starting "- " a list item,
# which man-db's lexgrog (and lintian's bad-whatis-entry) cannot parse.
bad=0
for src in "${pages[@]}"; do
	page=${src##*/}
	page=${page%.scd}
	lexgrog "$man_dir/$page" >/dev/null 2>&1 ||
		{ tap_diag "lexgrog cannot parse $page's NAME line"; bad=1; }
done
tap_result "every page's NAME line gives whatis its entries (lexgrog)" "$bad"

tap_ok "poolctl --help lists commands" test -n "$commands"

main_text=$(cat "$tmp/text/poolctl.8")
missing=""
for cmd in $commands; do
	grep -qw -- "poolctl-$cmd(8)" <<<"$main_text" || missing+=" $cmd"
done
tap_is "poolctl(8) names every command's page" "$missing" ""

# The options of each command: its help's option lines, "    -m,
# --members <ids>" or "        --hold <seconds>" (their further lines
# are indented more).
for cmd in $commands; do
	file=$tmp/text/poolctl-$cmd.8
	if [ ! -s "$file" ]; then
		tap_result "poolctl-$cmd(8) exists and has every option" 1
		continue
	fi
	text=$(cat "$file")
	opts=$("$poolctl" help "$cmd" |
		sed -n -E 's/^(    -([A-Za-z]), |        )--([a-z][a-z0-9-]*).*/-\2 --\3/p')
	# "--members" anywhere, and "-m, --members" as the option's heading.
	missing=$(awk 'NR == FNR { want[$0] = 1; next }
		{ for (w in want) if (index($0, w)) delete want[w] }
		END { for (w in want) printf " %s", w }' \
		<(awk '{ print $2; if ($1 != "-") print $1 ", " $2 }' <<<"$opts") \
		"$file")
	[ -n "$missing" ] && tap_diag "poolctl-$cmd(8) lacks:$missing"
	tap_ok "poolctl-$cmd(8) has all $(wc -l <<<"$opts") options of 'poolctl help $cmd'" \
		test -n "$opts" -a -z "$missing"
done

# Each symbol: a page of its name, or another name of a page
# (tools/install/man-links), whose text describes it ("sym()" as a
# heading or in the synopsis).
declare -A page_of
while read -r page alias; do
	page_of[$alias]=$page
done < <("$top/tools/install/man-links")
missing=""
for sym in $symbols; do
	page=$sym.3
	[ -s "$tmp/text/$page" ] || page=${page_of[$sym.3]-}
	text=""
	[ -n "$page" ] && text=$(<"$tmp/text/$page")
	[[ "$text" == *"$sym("* ]] || missing+=" $sym"
done
tap_ok "libpool.sym has symbols" test "$(wc -w <<<"$symbols")" -gt 50
[ -n "$missing" ] && tap_diag "no page describes:$missing"
tap_is "every libpool.sym symbol has a page that describes it" \
	"$missing" ""

# A copy of the sources with one page broken (an unclosed bold): make
# man must fail, say which page, and leave no page for it.  The intact
# copy builds, so the failure is the bad page's.
mkdir -p "$tmp/src"
cp "$top/Documentation/man/poolctl.8.scd" "$top/Documentation/man/libpool.3.scd" \
	"$tmp/src/"
mk_man() {
	make -s --no-print-directory -C "$top" man MAN_SRCDIR="$tmp/src" \
		BUILD="$tmp/build"
}
mk_man >/dev/null 2>&1
good=$?
sed 's/^# DESCRIPTION$/# DESCRIPTION\n\nAn *unclosed bold./' \
	"$top/Documentation/man/poolctl.8.scd" >"$tmp/src/bad.8.scd"
err=$(mk_man 2>&1 >/dev/null)
st=$?
tap_diag "make man with a bad page: status $st, said: $err"
tap_ok "a malformed page fails make man, naming it, with no page left" \
	test "$good" = 0 -a "$st" != 0 -a ! -e "$tmp/build/man/bad.8" -a \
	! -e "$tmp/build/man/bad.8.tmp" -a -f "$tmp/build/man/poolctl.8"
tap_ok "and scdoc said why" grep -q "bad.8.scd" <<<"$err"

tap_done
