#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# poolctl's bash completion (tools/completion/poolctl), sourced into a
# bash and driven as bash drives it, through COMP_WORDS and COMP_CWORD
# (the words split at ':' as COMP_WORDBREAKS makes bash split them):
# commands and options as poolctl's own help lists them, member ids and
# names, NUMA nodes and PCI addresses from a fake sysfs
# (_POOLCTL_SYSFS), and nothing harmful without the module: no output,
# no error, no wait.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/selftests/lib/host.sh"

tap_plan 22

# shellcheck source=tools/completion/poolctl
. "$top/tools/completion/poolctl"

# complete WORD...: the candidates for the last word, one line each,
# sorted; what the function printed on stdout or stderr goes to
# $tmp/noise.
complete_words() {
	COMP_WORDS=("$poolctl" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_poolctl >"$tmp/noise" 2>&1
	printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort
}
c() {
	complete_words "$@" | paste -sd' '
}

tap_ok "the script registers _poolctl for poolctl" \
	grep -q '_poolctl poolctl$' <<<"$(complete -p poolctl)"

# A fake sysfs: two node members and a bar member, two nodes, two PCI
# devices.
sys=$tmp/sys
member() {
	mkdir -p "$sys/kernel/scalepool/members/$1"
	echo "$1" >"$sys/kernel/scalepool/members/$1/id"
	echo "$2" >"$sys/kernel/scalepool/members/$1/name"
	echo "$3" >"$sys/kernel/scalepool/members/$1/kind"
}
member 0 node0 node
member 1 node1 node
member 5 0000:04:00.0-bar2 bar
mkdir -p "$sys/devices/system/node/node0" "$sys/devices/system/node/node1" \
	"$sys/bus/pci/devices/0000:00:01.0" "$sys/bus/pci/devices/0000:04:00.0"
export _POOLCTL_SYSFS=$sys

commands=$("$poolctl" --help |
	awk '/^Commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 }' |
	LC_ALL=C sort | paste -sd' ')
tap_is "no word: every command poolctl --help lists" "$(c '')" "$commands"
tap_is "'mi': migrate" "$(c mi)" "migrate"

# Every long option of every command, from poolctl's help.
bad=0
for cmd in $commands; do
	want=$("$poolctl" help "$cmd" |
		sed -n -E 's/^(    -[A-Za-z], |        )(--[a-z][a-z0-9-]*).*/\2/p' |
		LC_ALL=C sort | paste -sd' ')
	got=$(c "$cmd" --)
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		tap_diag "$cmd --: got '$got', expected '$want'"
		bad=1
	fi
done
tap_result "'<command> --': exactly the command's options, for every command" "$bad"
tap_is "'alloc --ini': --initiator and --initiator-pci" \
	"$(c alloc --ini)" "--initiator --initiator-pci"
tap_is "'monitor --event m': the events that start so" \
	"$(c monitor --event m)" "member_add member_remove move"
tap_is "'alloc --policy': the policies" "$(c alloc --policy '')" \
	"bind interleave nearest preferred tiered"

# PCI addresses: bash splits "0000:04" into 0000 : 04 and replaces only
# the text after the last ':'.
tap_is "'alloc --initiator-pci': the PCI addresses" \
	"$(c alloc --initiator-pci '')" "0000:00:01.0 0000:04:00.0"
tap_is "'alloc --initiator-pci 0000:04' completes after the last ':'" \
	"$(c alloc --initiator-pci 0000 : 04)" "04:00.0"
tap_is "'member add pci:' gives the addresses after 'pci:'" \
	"$(c member add pci :)" "0000:00:01.0 0000:04:00.0"

tap_is "'alloc --members 1,': the member ids after the comma" \
	"$(c alloc --members 1,)" "1,0 1,1 1,5"
tap_is "'member remove': the bar member's id and name" \
	"$(c member remove '')" "0000:04:00.0-bar2 5"
tap_is "'limit': the member ids, then none" \
	"$(c limit '') / $(c limit 0 '')" "0 1 5 / none"
tap_is "'apply --member': the member ids; 'apply --d': --dry-run" \
	"$(c apply --member '') / $(c apply --d)" \
	"0 1 5 pci:0000:00:01.0 pci:0000:04:00.0 / --dry-run"
tap_is "'apply --member pci:' gives the addresses after 'pci:'" \
	"$(c apply --member pci :)" "0000:00:01.0 0000:04:00.0"
tap_is "'bench -m 0 --initiators': the nodes and all (options skipped)" \
	"$(c bench -m 0 --initiators '')" "0 1 all"
tap_is "'bind --nodes': the nodes, as alloc's" \
	"$(c bind --nodes '')" "$(c alloc --nodes '')"
tap_ok "'bind -n 0 -- pyth': commands after --" \
	grep -qx python3 <(c bind -n 0 -- pyth | tr ' ' '\n')

# Without the module: the real sysfs (or one without scalepool).
unset _POOLCTL_SYSFS
if [ -e /sys/kernel/scalepool ]; then
	sys_note="the module is loaded here"
	export _POOLCTL_SYSFS=$tmp/empty
	mkdir -p "$tmp/empty"
fi
start=$SECONDS
out="$(c limit '')|$(c member drain '')|$(c alloc --members '')"
noise=$(cat "$tmp/noise")
tap_is "no module: no members, nothing printed${sys_note:+ ($sys_note: empty sysfs)}" \
	"$out|$noise" "|||"
tap_ok "and no wait" test $((SECONDS - start)) -le 2

first_pci=$(find /sys/bus/pci/devices -mindepth 1 -maxdepth 1 2>/dev/null |
	sed 's|.*/||' | LC_ALL=C sort | head -n 1)
if [ -z "$first_pci" ]; then
	tap_skip "the real PCI addresses" "no PCI device in /sys/bus/pci/devices"
elif [ -n "${_POOLCTL_SYSFS-}" ]; then
	tap_skip "the real PCI addresses" "$sys_note"
else
	tap_ok "'alloc --initiator-pci' offers this machine's $first_pci" \
		grep -qx "$first_pci" <(complete_words alloc --initiator-pci '')
fi

# A poolctl that does not run: nothing, and no error.
COMP_WORDS=("$tmp/no-such-poolctl" "")
COMP_CWORD=1
COMPREPLY=()
err=$(_poolctl 2>&1)
tap_is "a poolctl that does not run: no candidates, no error" \
	"${#COMPREPLY[@]}:$err" "0:"

tap_done
