#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sparse (tools/kernel/sparse-check) finds nothing in the module against
# Debian's stock headers and, when it is built, the debug kernel (the
# only one with CONFIG_PCI_P2PDMA, so the only check of p2pmem.c); and it
# does fail on a module with a finding, so that a clean run means
# something.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/tools/kernel/common.sh"

check=$top/tools/kernel/sparse-check
stock=/lib/modules/$(stock_kernel_release)/build
debug=$(debug_kernel_dir)

tap_plan 3
if ! command -v sparse >/dev/null || [ ! -f "$stock/Makefile" ]; then
	for t in stock debug planted; do
		tap_skip "sparse_$t" "no sparse or no kernel headers (tools/setup)"
	done
	exit 0
fi

# run_check NAME ARGS...: ok when sparse-check passes; its output if not.
run_check() {
	local name=$1 out st
	shift
	out=$("$check" "$@" 2>&1)
	st=$?
	[ "$st" = 0 ] || printf '# %s\n' "$out" | head -n 40
	tap_result "$name" "$st"
}

run_check "sparse_finds_nothing_against_the_stock_kernel" "$stock"
if [ -f "$debug/.scalepool-done" ]; then
	run_check "sparse_finds_nothing_against_the_debug_kernel" "$debug"
else
	tap_skip "sparse_finds_nothing_against_the_debug_kernel" \
		"the debug kernel is not built yet"
fi

# A global that no header declares: sparse asks whether it should be
# static (gcc does not warn without W=1).
mkdir -p "$tmp/mod"
echo 'obj-m := planted.o' >"$tmp/mod/Kbuild"
printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
	'#include <linux/module.h>' 'int planted_undeclared;' \
	'MODULE_LICENSE("GPL");' >"$tmp/mod/planted.c"
out=$("$check" "$stock" "$tmp/mod" 2>&1)
st=$?
tap_ok "sparse_check_fails_on_a_planted_finding" \
	test "$st" != 0 -a -n "$(grep -F 'planted.c:3' <<<"$out")"
tap_done
