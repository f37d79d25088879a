#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# tools/vm/run itself: the command's status comes back, the repository is
# the working directory, the module is loaded unless --no-load, a kernel
# report or a timeout fails the run, bad options are refused.  Runs on the
# host (it boots guests); selftests/run calls it with the stock kernel.
. "$(dirname "$0")/../lib/tap.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
run="$top/tools/vm/run --kernel ${1:-stock} --cxl none"

tap_plan 15

$run -- bash -c "test \"\$PWD\" = '$top' && grep -q '^scalepool ' /proc/modules && exit 7" >/dev/null 2>&1
tap_is "the command's status, in the repository, module loaded" "$?" 7

$run --no-load -- bash -c '! grep -q "^scalepool " /proc/modules' >/dev/null 2>&1
tap_is "--no-load leaves the module out" "$?" 0

out=$($run -- sh -c 'echo l >/proc/sysrq-trigger; exit 0' 2>&1 >/dev/null)
tap_is "a Call Trace in the guest kernel log fails the run" "$?" 125
tap_ok "and the runner says why" grep -q "kernel report" <<<"$out"

# warn_alloc()'s report as the kernel prints it, written to the log.
fake_alloc_warning='for l in "fault_sweep: vmalloc error: size 4096, vm_struct allocation failed" "Call Trace:" " <TASK>" " warn_alloc+0x24a/0x3a0" " </TASK>"; do echo "<4>$l" >/dev/kmsg; done'
$run --allow-alloc-warnings -- sh -c "$fake_alloc_warning" >/dev/null 2>&1
tap_is "--allow-alloc-warnings accepts an allocation-failure warning" "$?" 0
$run --allow-alloc-warnings -- \
	sh -c "$fake_alloc_warning; echo l >/proc/sysrq-trigger" >/dev/null 2>&1
tap_is "but not a Call Trace after it" "$?" 125

start=$SECONDS
out=$($run --timeout 40 -- sleep 600 2>&1 >/dev/null)
rc=$?
tap_is "a command that outlives --timeout fails the run" "$rc" 125
tap_ok "soon after the timeout, saying so" \
	test "$((SECONDS - start))" -lt 120 -a -n "$(grep timeout <<<"$out")"

# QEMU that crashes (as Debian's 10.0 once did with SIGSEGV in the
# stress suite): a QEMU of our own on PATH that kills itself.
fake=$(mktemp -d)
printf '#!/bin/sh\nkill -SEGV $$\n' >"$fake/qemu-system-x86_64"
chmod +x "$fake/qemu-system-x86_64"
out=$(PATH="$fake:$PATH" $run -- true 2>&1 >/dev/null)
tap_is "a QEMU crash is status 123, not a guest verdict" "$?" 123
tap_ok "and the runner says so" grep -q "QEMU crashed (SIGSEGV)" <<<"$out"

# QEMU whose guest stopped getting timer events until the timeout (as
# once in CI's stress suite): RCU's report of it on the console.
cat >"$fake/qemu-system-x86_64" <<'FAKE'
#!/bin/sh
while [ $# -gt 1 ] && [ "$1" != -serial ]; do shift; done
echo "rcu: rcu_preempt kthread timer wakeup didn't happen for 77984 jiffies!" >"${2#file:}"
exec sleep 300
FAKE
out=$(PATH="$fake:$PATH" $run --timeout 5 -- true 2>&1 >/dev/null)
tap_is "a timeout with the guest's timers stopped is status 123" "$?" 123
tap_ok "and the runner says so" grep -q "timers had stopped firing" <<<"$out"

# A guest that hung after a kernel report: the report is shown, not
# only the console's last lines, which came long after it.
cat >"$fake/qemu-system-x86_64" <<'FAKE'
#!/bin/sh
while [ $# -gt 1 ] && [ "$1" != -serial ]; do shift; done
{ echo "INFO: task stress:12 blocked for more than 120 seconds."
  seq 1 100; } >"${2#file:}"
exec sleep 300
FAKE
out=$(PATH="$fake:$PATH" $run --timeout 5 -- true 2>&1 >/dev/null)
tap_ok "a timeout shows the guest's first kernel report" \
	grep -q "first kernel report" <<<"$out"
rm -rf "$fake"

$top/tools/vm/run --kernel nonsense -- true >/dev/null 2>&1
rc1=$?
$top/tools/vm/run --topology no-such-topology -- true >/dev/null 2>&1
rc2=$?
$top/tools/vm/run --timeout -3 -- true >/dev/null 2>&1
rc3=$?
tap_is "bad --kernel, --topology, --timeout are refused" "$rc1 $rc2 $rc3" "125 125 125"
# (--install-debs on the debug kernel is no longer refused: it boots.)
$top/tools/vm/run --init upstart -- true >/dev/null 2>&1
tap_is "a bad --init is refused" "$?" 125
tap_done
