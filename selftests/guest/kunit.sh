#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The KUnit tests of scalepool (scalepool_kunit.ko, kernel/*_kunit.c):
# loads the test module beside the loaded scalepool.ko, which runs its
# suites, reads each suite's KTAP from /sys/kernel/debug/kunit/<suite>/
# results and prints every case as a TAP line of its own, so that the
# suite counts cases, not modules.  Fails when the module does not load,
# a suite is missing or failed, or a case failed; a kernel without
# CONFIG_KUNIT (Debian's) builds no test module: one skip, saying so.
# Runs in the guest with scalepool.ko loaded.
. "$(dirname "$0")/../lib/tap.sh"
module=${SCALEPOOL_MODULE:-$(. /mnt/host/env && echo "$MODULE")}
kunit_module=$(dirname "$module")/scalepool_kunit.ko
debugfs=/sys/kernel/debug/kunit
# Every suite of kernel/*_kunit.c; one that did not run is a failure.
suites="scalepool_rank scalepool_weights scalepool_deal scalepool_place_order
scalepool_requests scalepool_measured"

if ! grep -qs '^CONFIG_KUNIT=[ym]' "/boot/config-$(uname -r)" &&
   ! zcat /proc/config.gz 2>/dev/null | grep -q '^CONFIG_KUNIT=[ym]' &&
   [ ! -d "$debugfs" ] && [ ! -f "$kunit_module" ]; then
	tap_plan 1
	tap_skip "kunit" "$(uname -r) has no CONFIG_KUNIT: no test module"
	exit 0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

if [ ! -f "$kunit_module" ]; then
	tap_plan 1
	tap_result "kunit: $kunit_module built" 1
	tap_done
	exit
fi
if ! err=$(insmod "$kunit_module" 2>&1); then
	tap_plan 1
	tap_diag "insmod: $err"
	tap_result "kunit: scalepool_kunit.ko loads" 1
	tap_done
	exit
fi

# emit_suite SUITE: a TAP line per case, "not ok" lines with the case's
# diagnostics; a line for the suite itself only when it failed without a
# failed case (its init failed) or ran fewer cases than it planned.
emit_suite() {
	local suite=$1 results=$debugfs/$1/results
	if [ ! -r "$results" ]; then
		echo "not ok - $suite: no $results (suite did not run)"
		return
	fi
	awk -v suite="$suite" '
	/^    1\.\.[0-9]+$/ { sub(/^    1\.\./, ""); plan = $0 + 0; next }
	/^    (not )?ok [0-9]+ / {
		line = substr($0, 5)
		notok = line ~ /^not ok/
		sub(/^(not )?ok [0-9]+ /, "", line)
		cases++
		if (notok) {
			failed++
			printf "%s", diag
			print "not ok - " suite "." line
		} else {
			print "ok - " suite "." line
		}
		diag = ""
		next
	}
	/^not ok [0-9]+ / { suite_failed = 1; next }
	/KTAP version|^1\.\.|# Subtest:/ { next }
	# The rest is diagnostics: "# case: EXPECTATION FAILED at ...",
	# and the lines of the assertion that follow.
	{ line = $0; sub(/^ *(# )?/, "", line); diag = diag "# " line "\n" }
	END {
		if (suite_failed && !failed) {
			printf "%s", diag
			print "not ok - " suite ": the suite failed"
		}
		if (cases < plan)
			print "not ok - " suite ": " cases " of " plan " cases ran"
		if (!cases && !plan)
			print "not ok - " suite ": no case in the KTAP"
	}' "$results"
}

for s in $suites; do
	emit_suite "$s"
done >"$out"

if ! err=$(rmmod scalepool_kunit 2>&1); then
	echo "not ok - kunit: rmmod scalepool_kunit: $err" >>"$out"
fi

# The plan first, then the cases numbered in order.
tap_plan "$(grep -Ec '^(not )?ok ' "$out")"
awk '/^(not )?ok - / { n++; sub(/ - /, " " n " ") } { print }' "$out"
! grep -q '^not ok' "$out"
