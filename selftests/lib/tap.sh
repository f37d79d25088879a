# SPDX-License-Identifier: GPL-2.0
# TAP output for shell tests, in the format of the kselftest harness so
# that selftests/run counts shell and C tests alike.  Sourced.
#
#   tap_plan N                      print the header and the plan
#   tap_ok NAME COMMAND...          ok when COMMAND succeeds
#   tap_is NAME GOT EXPECTED        ok when the strings are equal
#   tap_result NAME STATUS          ok when STATUS is 0
#   tap_skip NAME REASON
#   tap_done                        exit 1 if anything failed

tap_n=0
tap_failed=0

tap_plan() {
	echo "TAP version 13"
	echo "1..$1"
}

tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $tap_n $1"
	else
		echo "not ok $tap_n $1"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_ok() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	tap_result "$name" "$rc"
}

tap_is() {
	if [ "$2" = "$3" ]; then
		tap_result "$1" 0
	else
		echo "# $1: got '$2', expected '$3'"
		tap_result "$1" 1
	fi
}

tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n $1 # SKIP $2"
}

tap_diag() {
	echo "# $*"
}

tap_done() {
	[ "$tap_failed" = 0 ]
}
