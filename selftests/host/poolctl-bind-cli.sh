#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl bind without the module: bad input is one line, status 1 and
# the command never starts; the environment it sets
# (scalepool-bind(7)); the command's exit status; and libpool-preload.so
# falling back to ordinary memory, counted as no_module, or failing
# allocations with --strict; a bad variable set without poolctl.  The
# malloc family (bind_malloc) passes in fallback.  The guest's bind.sh
# tests the pool itself.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/selftests/lib/poolctl.sh"

tap_plan 29

started=$tmp/started
bad() {	# bad TEXT OPTIONS...: one line with TEXT, the command not run
	local text=$1
	shift
	rm -f "$started"
	run bind "$@" -- touch "$started"
	one_line "$text" && [ ! -e "$started" ]
}

tap_ok "unknown policy" bad "unknown policy 'fast'" --policy fast
tap_ok "empty node set" bad "bad node list ','" --nodes ,
tap_ok "a node that does not exist" bad "bad node list '97'" --nodes 97
tap_ok "threshold 0" bad "threshold must not be 0" --threshold 0
tap_ok "threshold garbage" bad "bad threshold '12q'" --threshold 12q
tap_ok "interleave without a set" bad "policy interleave needs" \
	--policy interleave
rm -f "$started"
run bind --nodes 0
tap_ok "no command" one_line "no command to run"
run bind -- "$tmp/nonexistent"
tap_ok "a command that does not exist" one_line "$tmp/nonexistent"
printf '#!/bin/sh\ntouch %s\n' "$started" >"$tmp/noexec"
run bind -- "$tmp/noexec"
tap_ok "a command that is not executable, not started" \
	eval 'one_line "is not an executable file" && [ ! -e "$started" ]'
run bind -- no-such-command-anywhere
tap_ok "a command not in PATH" one_line "not found in PATH"

preload=$(dirname "$(readlink -f "$poolctl")")/libpool-preload.so
# The sanitizer build's preload links the ASan libpool: it cannot be
# preloaded into programs built without ASan, so nothing runs under it.
asan=
ldd "$preload" 2>/dev/null | grep -q libasan &&
	asan="the preload links an ASan libpool (build/san)"
if [ -n "$asan" ]; then
	for t in "exit status" "environment" "LD_PRELOAD" "stats of cat" \
		"stats of true"; do
		tap_skip "$t" "$asan"
	done
else
# (--strict without a module fails every allocation at the threshold.)
run bind --policy interleave --nodes 0 --weights 3 --threshold 1G \
	--strict -- sh -c 'env | grep ^SCALEPOOL_BIND_ | sort; exit 7'
tap_is "the command's exit status is poolctl's" "$st" 7
tap_is "the environment scalepool-bind(7) documents" "$out" \
"SCALEPOOL_BIND_NODES=0
SCALEPOOL_BIND_POLICY=interleave
SCALEPOOL_BIND_STRICT=1
SCALEPOOL_BIND_THRESHOLD=1073741824
SCALEPOOL_BIND_WEIGHTS=3"
run bind -- sh -c 'echo "$LD_PRELOAD"'
tap_is "LD_PRELOAD: the preload beside libpool.so.1" "$out" "$preload"
# gnulib's close_stdout() closes stderr before the destructors run.
run bind --stats -- cat /dev/null
tap_is "--stats reaches stderr after the program closed it (cat)" \
	"$(jq -r '.pool.requests' <<<"$err" 2>&1)" 0
# true(1) calls malloc no more after the preload's constructor, which
# printed no line before (setup waited for the first malloc).
run bind --stats -- true
tap_is "--stats of a program that allocates nothing (true)" \
	"$(jq -r '.pool.requests' <<<"$err" 2>&1)" 0
fi

# The variables obey the rules of poolctl's options (one source,
# lib/preload/place-rules.c): each bad setting is one line, the rule
# poolctl gives for the same options, and the program still runs.
# Before, the preload took the last four, and every pool allocation
# then fell back as "other".  VARIABLES|OPTIONS|PRELOAD'S|POOLCTL'S
rules=$(cat <<'EOF'
SCALEPOOL_BIND_MEMBERS=0-1 SCALEPOOL_BIND_NODES=0|--members 0-1 --nodes 0|SCALEPOOL_BIND_MEMBERS and SCALEPOOL_BIND_NODES exclude each other|--members and --nodes exclude each other
SCALEPOOL_BIND_MEMBERS=1,1|--members 1,1|SCALEPOOL_BIND_MEMBERS: member list '1,1' repeats a member|member list '1,1' repeats a member
SCALEPOOL_BIND_NODES=0 SCALEPOOL_BIND_WEIGHTS=0|--nodes 0 --policy interleave --weights 0|SCALEPOOL_BIND_WEIGHTS: weight 0 is not between 1 and 255|weight 0 is not between 1 and 255
SCALEPOOL_BIND_NODES=0 SCALEPOOL_BIND_WEIGHTS=3|--nodes 0 --weights 3|SCALEPOOL_BIND_WEIGHTS needs SCALEPOOL_BIND_POLICY interleave, not bind|--weights needs --policy interleave, not bind
SCALEPOOL_BIND_POLICY=interleave SCALEPOOL_BIND_NODES=0 SCALEPOOL_BIND_GRANULARITY=5000|--policy interleave --nodes 0 --granularity 5000|SCALEPOOL_BIND_GRANULARITY: granularity '5000' is not a multiple of the page size (4096)|granularity '5000' is not a multiple of the page size (4096)
SCALEPOOL_BIND_POLICY=interleave SCALEPOOL_BIND_NODES=0 SCALEPOOL_BIND_WEIGHTS=3,1|--policy interleave --nodes 0 --weights 3,1|2 weights for 1 members|2 weights for 1 members
EOF
)
skip=$asan
[ -e /dev/scalepool ] && skip="the module is loaded here"
PY=/usr/bin/python3
prog=$top/build/selftests/guest/bind_malloc
if [ -n "$skip" ]; then
	for t in "python3 same output" "no_module fallback counted" \
		"pool bytes 0" "--strict MemoryError" "bad variable: one line" \
		"bad variable: runs" "bind_malloc in fallback" \
		"bind_malloc 8 passed"; do
		tap_skip "$t" "$skip"
	done
	while IFS='|' read -r vars _; do
		tap_skip "$vars: one line, the rule of poolctl bind" "$skip"
	done <<<"$rules"
	tap_done
	exit
fi

code='b = bytearray(8 << 20); b[::4096] = b"x" * 2048; print(sum(b))'
run bind --stats -- "$PY" -c "$code"
tap_is "python3 under bind without the module: the same output" "$out" \
	"$("$PY" -c "$code")"
tap_ok "its stats count the 8 MiB as a no_module fallback" \
	test "$(jq -r '.fallback.no_module.bytes' <<<"$err" 2>&1)" \
	-ge $((8 << 20))
tap_is "and nothing in the pool" \
	"$(jq -r '"\(.pool.requests) \(.pool.members)"' <<<"$err" 2>&1)" \
	"0 []"
run bind --strict -- "$PY" -c "$code"
tap_ok "--strict: the allocation fails, python3 raises MemoryError" \
	grep -q MemoryError <<<"$err"
err=$(SCALEPOOL_BIND_POLICY=fast LD_PRELOAD=$preload "$PY" -c 'print(1)' \
	2>&1 >/dev/null)
tap_is "a bad variable without poolctl: one line" "$err" \
	"libpool-preload: SCALEPOOL_BIND_POLICY: unknown policy 'fast' (bind, \
preferred, interleave, nearest or tiered)"
tap_is "and the program runs on ordinary memory" \
	"$(SCALEPOOL_BIND_POLICY=fast LD_PRELOAD=$preload "$PY" -c "$code" \
		2>/dev/null)" "$("$PY" -c "$code")"
while IFS='|' read -r vars opts want pwant; do
	# shellcheck disable=SC2086 # $vars: split on purpose
	envout=$(env $vars LD_PRELOAD="$preload" "$PY" -c 'print(1)' \
		2>"$tmp/env.err")
	envout="$envout $(cat "$tmp/env.err")"
	# shellcheck disable=SC2086 # $opts: split on purpose
	run bind $opts -- true
	tap_is "$vars: one line, the rule of poolctl bind $opts" \
		"$envout | $(one_line "$pwant" && echo same)" \
		"1 libpool-preload: $want | same"
done <<<"$rules"
if [ -x "$prog" ]; then
	"$poolctl" bind --threshold 256K -- "$prog" >"$tmp/malloc.tap" 2>&1
	tap_ok "bind_malloc (malloc family, fork, threads) in fallback" \
		grep -q '^# PASSED: 9 / 9 tests passed' "$tmp/malloc.tap"
	tap_is "its tests, none failed" \
		"$(grep -c '^not ok' "$tmp/malloc.tap")" 0
else
	tap_skip "bind_malloc in fallback" "not built (make selftests)"
	tap_skip "bind_malloc 8 passed" "not built (make selftests)"
fi
tap_done
