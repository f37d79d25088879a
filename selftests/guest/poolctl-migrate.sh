#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl migrate against the module: a helper process (migrate_holder)
# holds an 8 MiB allocation on node 0 and keeps reading and rewriting
# it; poolctl stat lists it (pid, fd, handle), poolctl migrate moves it
# to node 1 by pid and handle, then a 2 MiB range of it back, and INFO
# (poolctl's "after", and the holder's own INFO on its own fd) shows the
# new placement; the holder finds every word intact.  Errors: no such
# process, fd, handle, an fd that is not /dev/scalepool, and another
# user without ptrace rights over the holder (EPERM).  Needs two DRAM
# nodes with members (0 and 1); SKIPs otherwise, and SKIPs all when the
# module cannot migrate (no SCALEPOOL_CAP_MIGRATE).  Last, a smoke run
# of tools/bench/migrate-bench (4 MiB, one round: every method moves
# every page; no figure is judged).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../lib/poolctl.sh"

nr_tests=14
tap_plan $nr_tests

MiB=$((1024 * 1024))
tmp=$(mktemp -d)
holder_pid=
dev_mode=
cleanup() {
	[ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
	[ -n "$dev_mode" ] && chmod "$dev_mode" /dev/scalepool
	rm -rf "$tmp"
}
trap cleanup EXIT

holder=build/selftests/guest/migrate_holder
skip_all() {
	local i
	for ((i = 0; i < nr_tests; i++)); do
		tap_skip "poolctl migrate" "$1"
	done
	exit 0
}
if [ -z "$(member_of_node 0)" ] || [ -z "$(member_of_node 1)" ]; then
	skip_all "needs node members on nodes 0 and 1"
fi
[ -x "$holder" ] || skip_all "no $holder (make selftests)"

# The module's capability, from the library's view (poolctl migrate
# says EOPNOTSUPP without it).
"$holder" $((2 * MiB)) 0 >"$tmp/probe" &
probe=$!
for _ in $(seq 100); do [ -s "$tmp/probe" ] && break; sleep 0.1; done
read -r ppid _ phandle <"$tmp/probe"
run migrate --pid "$ppid" --handle "$phandle" --nodes 0
kill "$probe" 2>/dev/null
wait "$probe" 2>/dev/null
[[ "$err" == *"Operation not supported"* ]] &&
	skip_all "the module cannot migrate (no SCALEPOOL_CAP_MIGRATE)"

# "node:bytes ..." of poolctl migrate's "before" or "after" ($1).
placement() {
	jq -r "[.$1.placement[] | \"\(.node):\(.bytes)\"] | join(\" \")" \
		<<<"$out" 2>&1
}

# ---- the holder: 8 MiB on node 0, touched all the time
"$holder" $((8 * MiB)) 0 >"$tmp/holder" &
holder_pid=$!
for _ in $(seq 100); do [ -s "$tmp/holder" ] && break; sleep 0.1; done
read -r pid fd handle <"$tmp/holder"
[ "$pid" = "$holder_pid" ] || tap_diag "holder said '$(cat "$tmp/holder")'"

run stat
got=$(jq -c ".allocations[] | select(.pid == $holder_pid) |
	[.fd, .handle, .length, .policy]" <<<"$out" 2>&1)
tap_is "stat lists the holder's allocation (fd, handle, length, policy)" \
	"$got" "[$fd,$handle,$((8 * MiB)),\"bind\"]"

run stat --human --allocations
tap_ok "stat -u -a shows it in the allocation table" \
	grep -qE "^ *$holder_pid +migrate_holde.* +$fd +$handle +8\.0 MiB +bind$" \
	<<<"$out"

# ---- the whole allocation to node 1, by pid and handle
run migrate --pid "$holder_pid" --handle "$handle" --nodes 1
tap_ok "migrate --pid --handle --nodes 1 succeeds" ok_run
tap_is "it reports 8 MiB moved, node 0 before and node 1 after" \
	"$(jq -r '"\(.moved) \(.after.policy)"' <<<"$out") $(placement before) / $(placement after)" \
	"$((8 * MiB)) bind 0:$((8 * MiB)) / 1:$((8 * MiB))"
positive() {
	jq -e '.seconds > 0 and .mb_per_s > 0 and .handle == '"$handle" \
		<<<"$out" >/dev/null
}
tap_ok "seconds and MB/s are positive numbers" positive

# ---- 2 MiB of it back, with the fd named, as a table
run migrate --pid "$holder_pid" --fd "$fd" --handle "$handle" \
	--offset 2M --length 2M --nodes 0 --human
tap_ok "a 2 MiB range back to node 0 (--fd, --offset, --length, -u)" \
	grep -q "^moved 2.0 MiB in .* policy bind -> bind" <<<"$out"

# ---- errors
dead=$(sh -c 'echo $$')
# shellcheck disable=SC2034 # read by one_line (lib/poolctl.sh)
one_line_prefix="poolctl migrate: "
run migrate --pid "$dead" --handle 1 --nodes 0
tap_ok "a pid that is gone: no process" one_line "no process $dead: No such process"
run migrate --pid "$holder_pid" --handle 999 --nodes 0
tap_ok "a handle the fd lacks" one_line "no allocation 999"
run migrate --pid "$holder_pid" --fd 99 --handle "$handle" --nodes 0
tap_ok "an fd the process lacks" one_line "process $holder_pid has no fd 99"
run migrate --pid "$holder_pid" --fd 1 --handle "$handle" --nodes 0
tap_ok "an fd that is not /dev/scalepool" \
	one_line "fd 1 of process $holder_pid is not /dev/scalepool"

# Another user may open the device (for this test) but not take a
# root process's fds: pidfd_getfd(2)'s ptrace check.
if command -v setpriv >/dev/null; then
	dev_mode=$(stat -c %a /dev/scalepool)
	chmod 0666 /dev/scalepool
	st=0
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$(command -v poolctl)" migrate --pid "$holder_pid" \
		--handle "$handle" --nodes 0 >"$tmp/out" 2>"$tmp/err" || st=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	chmod "$dev_mode" /dev/scalepool
	dev_mode=
	tap_ok "another user gets EPERM" one_line "Operation not permitted"
else
	tap_skip "another user gets EPERM" "no setpriv"
fi

# ---- the holder's own view
kill -USR1 "$holder_pid"
st=0
wait "$holder_pid" || st=$?
holder_pid=
tap_is "the holder found every word intact while it moved" \
	"$st $(sed -n 2p "$tmp/holder")" "0 intact"
tap_is "its own INFO: 2 MiB on node 0, 6 MiB on node 1" \
	"$(sed -n 3p "$tmp/holder")" \
	"placement 0:$((2 * MiB)) 1:$((6 * MiB))"

bench=build/bench/migrate-bench
if [ -x "$bench" ]; then
	st=0
	"$bench" --size 4M --rounds 1 >"$tmp/bench" 2>&1 || st=$?
	[ "$st" = 0 ] || sed 's/^/# /' "$tmp/bench"
	tap_ok "migrate-bench --size 4M --rounds 1: every method moves" \
		test "$st:$(grep -cE '^ *(4K|2M) ' "$tmp/bench")" = 0:2
else
	tap_skip "migrate-bench smoke run" "no $bench (make bench)"
fi
tap_done
