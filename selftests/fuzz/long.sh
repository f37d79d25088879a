#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make fuzz-long`: the fuzzer, then every member's
# used bytes once the fuzzer's process is gone.  The fuzzer checks used
# itself before it exits; a figure that is still off here, after its
# mappings and fds died with it, is the module's, not the fuzzer's.
# The tiering and move counters say how much the run's tiering and
# drains moved.
fuzz=$(dirname "$0")/../../build/selftests/fuzz/fuzz
"$fuzz" "$@"
rc=$?
for m in /sys/kernel/scalepool/members/*/; do
	echo "# after exit: member $(basename "$m") ($(cat "$m/kind")):" \
		"used $(cat "$m/used"), moved in $(cat "$m/moved_in")," \
		"tier sampled $(cat "$m/tier_sampled")," \
		"promoted $(cat "$m/tier_promoted")," \
		"demoted $(cat "$m/tier_demoted")"
done
exit $rc
