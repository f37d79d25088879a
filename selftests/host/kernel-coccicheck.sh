#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Coccinelle (tools/kernel/coccicheck, `make coccicheck`): the kernel's
# semantic patches report nothing in kernel/; and a report does fail
# the check, so that a clean run means something (a planted NULL check
# before kfree(), which scripts/coccinelle/free/ifnullfree.cocci
# reports; that one patch only, a second or so), and so does a function
# spatch cannot parse, which no patch would check.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"
. "$top/tools/kernel/common.sh"

check=$top/tools/kernel/coccicheck
ifnullfree=$(source_dir)/scripts/coccinelle/free/ifnullfree.cocci

tap_plan 3
if ! command -v spatch >/dev/null || [ ! -f "$ifnullfree" ]; then
	tap_skip "coccicheck_reports_nothing_in_kernel" \
		"no spatch or no kernel source (tools/setup)"
	tap_skip "coccicheck_fails_on_a_planted_report" "no spatch"
	tap_skip "coccicheck_fails_on_code_it_cannot_parse" "no spatch"
	exit 0
fi

out=$("$check" 2>&1)
st=$?
[ "$st" = 0 ] || printf '# %s\n' "$out" | head -n 40
tap_result "coccicheck_reports_nothing_in_kernel" "$st"

mkdir -p "$tmp/mod"
printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
	'#include <linux/slab.h>' 'void planted(void *p)' '{' \
	'	if (p)' '		kfree(p);' '}' >"$tmp/mod/planted.c"
out=$(COCCI=$ifnullfree "$check" "$tmp/mod" 2>&1)
st=$?
tap_ok "coccicheck_fails_on_a_planted_report" \
	test "$st" != 0 -a -n "$(grep -F 'planted.c:6' <<<"$out")"

# An unknown macro before a return type: spatch gives up on the function.
mkdir -p "$tmp/unparsed"
printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
	'UNKNOWN_MACRO unsigned int unparsed(void)' '{' '	return 0;' '}' \
	>"$tmp/unparsed/unparsed.c"
out=$(COCCI=$ifnullfree "$check" "$tmp/unparsed" 2>&1)
st=$?
tap_ok "coccicheck_fails_on_code_it_cannot_parse" \
	test "$st" != 0 -a -n "$(grep -F 'cannot parse' <<<"$out")"
tap_done
