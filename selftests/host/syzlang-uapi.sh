#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The syzkaller description (selftests/fuzz/scalepool.txt) is in step
# with the UAPI header: selftests/fuzz/check-syzlang passes on the real
# files and finds a missing field, ioctl and constant in altered copies.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

check=$top/selftests/fuzz/check-syzlang
header=$top/kernel/uapi/linux/scalepool.h
desc=$top/selftests/fuzz/scalepool.txt

# covers HEADER DESC: the check passes; its output as TAP comments.
covers() {
	"$check" "$1" "$2" | sed 's/^/# /'
	return "${PIPESTATUS[0]}"
}

# finds WHAT HEADER DESC: the check fails and names WHAT.
finds() {
	local out
	out=$("$check" "$2" "$3") && return 1
	grep -q -- "$1" <<<"$out"
}

tap_plan 4
tap_ok "description_covers_the_header" covers "$header" "$desc"

sed '/^[[:space:]]*huge_bytes/d' "$desc" >"$tmp/no-field.txt"
tap_ok "a_missing_field_is_found" \
	finds "scalepool_placement: header has fields" "$header" \
	"$tmp/no-field.txt"

sed 's/^#define SCALEPOOL_EXPORT .*/&\n#define SCALEPOOL_T_NEW _IO(SCALEPOOL_TYPE, 0xff)/' \
	"$header" >"$tmp/new-ioctl.h"
tap_ok "a_new_ioctl_is_found" finds 'no ioctl\$SCALEPOOL_T_NEW' \
	"$tmp/new-ioctl.h" "$desc"

sed 's/^#define SCALEPOOL_EXPORT_RDONLY.*/&\n#define SCALEPOOL_EXPORT_T_NEW _BITUL(2)/' \
	"$header" >"$tmp/new-flag.h"
tap_ok "a_new_constant_is_found" \
	finds "constant SCALEPOOL_EXPORT_T_NEW is not used" \
	"$tmp/new-flag.h" "$desc"
tap_done
