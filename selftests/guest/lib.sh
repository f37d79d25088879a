# SPDX-License-Identifier: GPL-2.0
# Helpers for guest shell tests: members from sysfs, and ground truth
# from the kernel's own NUMA and CXL views.  Sourced, after tap.sh.
SP=/sys/kernel/scalepool

members() {
	ls "$SP/members" 2>/dev/null | sort -n
}

member_attr() {	# member_attr ID ATTR
	cat "$SP/members/$1/$2" 2>/dev/null
}

member_of_node() {	# the id of the node member of NUMA node $1
	local m
	for m in $(members); do
		[ "$(member_attr "$m" kind)" = node ] &&
			[ "$(member_attr "$m" node)" = "$1" ] && echo "$m"
	done
}

cxl_member() {	# the id of the (last) member on CXL memory, or nothing
	local m c=
	for m in $(members); do
		[ "$(member_attr "$m" memory)" = cxl ] && c=$m
	done
	echo "$c"
}

# Sets $cxl_node: the node of the CXL member; when there is none and a
# CXL region exists, onlines the first region (tools/vm/guest/cxl-online,
# relative to the source tree, the tests' working directory).
cxl_node_or_online() {
	local m
	cxl_node=
	for m in $(members); do
		[ "$(member_attr "$m" memory)" = cxl ] &&
			cxl_node=$(member_attr "$m" node)
	done
	if [ -z "$cxl_node" ] && [ -n "$(cxl_region 2>/dev/null)" ]; then
		tap_diag "no CXL memory online: onlining $(cxl_region)"
		cxl_node=$(tools/vm/guest/cxl-online "$(cxl_region)" 2>/dev/null)
	fi
}

clear_measured() {	# clears every member's measured figures
	local m
	for m in $(members); do
		echo clear >"$SP/members/$m/measured" 2>/dev/null
	done
}

member_nodes() {	# the NUMA nodes that have a node member, sorted
	local m
	for m in $(members); do
		[ "$(member_attr "$m" kind)" = node ] && member_attr "$m" node
	done | sort -n | tr '\n' ' '
}

node_distance() {	# SLIT distance from node $1 to node $2
	cut -d' ' -f$(($2 + 1)) "/sys/devices/system/node/node$1/distance"
}

# Sets $cxl, $m0 and $m1 (the CXL member, node 0's and node 1's); true
# on tools/vm/topologies/measured, where the firmware puts node 1 farther
# from node 0 than the CXL node (SLIT).
measured_topology() {
	cxl=$(cxl_member)
	m0=$(member_of_node 0)
	m1=$(member_of_node 1)
	[ -n "$cxl" ] && [ -n "$m0" ] && [ -n "$m1" ] &&
		[ "$(node_distance 0 1)" -gt \
		  "$(node_distance 0 "$(member_attr "$cxl" node)")" ]
}

nodes_with_memory() {	# the kernel's N_MEMORY node list, expanded
	local n
	for n in $(tr ',' ' ' </sys/devices/system/node/has_memory); do
		case "$n" in
		*-*) seq "${n%-*}" "${n#*-}" ;;
		*) echo "$n" ;;
		esac
	done | sort -n | tr '\n' ' '
}

# Bytes of node $1 in use: MemUsed less the pages on the per-CPU free
# lists (free, but counted as used; tens of MiB on 6.12), after folding
# the per-CPU counters: the rule of t_node_used() in pool_sysfs.h.
node_used_bytes() {
	local i
	for i in 1 2 3 4; do echo 1 >/proc/sys/vm/stat_refresh; done
	awk -v node="$1" -v pg="$(getconf PAGESIZE)" '
		FILENAME != "/proc/zoneinfo" && $3 == "MemUsed:" { kb = $4 }
		FILENAME == "/proc/zoneinfo" && $1 == "Node" {
			cur = ($2 == node ",")
		}
		FILENAME == "/proc/zoneinfo" && cur && $1 == "count:" {
			pcp += $2
		}
		END { printf "%d\n", kb * 1024 - pcp * pg }' \
		"/sys/devices/system/node/node$1/meminfo" /proc/zoneinfo
}

node_present_bytes() {	# present pages of node $1 from /proc/zoneinfo
	awk -v n="$1" -v pg="$(getconf PAGESIZE)" '
		$1 == "Node" { cur = ($2 == n ",") }
		cur && $1 == "present" { sum += $2 }
		END { printf "%d\n", sum * pg }' /proc/zoneinfo
}

cxl_region() {	# the first CXL region
	cxl list -R | jq -r '.[0].region'
}

region_dax() {	# the dax device of CXL region $1
	basename "$(ls -d /sys/bus/cxl/devices/"$1"/dax_region*/dax*.* | head -n 1)"
}

bar_member_of() {	# the bar member of PCI device $1, or nothing
	local m
	for m in $(members); do
		[ "$(member_attr "$m" kind)" = bar ] &&
			[ "$(member_attr "$m" pci)" = "$1" ] && echo "$m"
	done
}

as_user() {	# as_user GROUPS CMD...: uid 65534 with these groups
	local groups=$1
	shift
	if [ -n "$groups" ]; then
		setpriv --reuid=65534 --regid=65534 --groups="$groups" "$@"
	else
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	fi
}

# group_access_checks GID ID: three results, what 60-scalepool.rules
# gives: a member of group GID allocates and cannot change member ID's
# limit (CAP_SYS_ADMIN), another user cannot open /dev/scalepool.
# Scratch files in $tmp.
group_access_checks() {
	local gid=$1 id=$2 lim st
	lim=$(member_attr "$id" limit)
	st=0
	as_user "$gid" poolctl alloc --size 1M >"$tmp/out" 2>"$tmp/err" || st=$?
	tap_ok "a member of the group allocates" test "$st" = 0
	[ "$st" = 0 ] || tap_diag "$(cat "$tmp/err")"
	st=0
	as_user "$gid" poolctl limit "$id" 1G >"$tmp/out" 2>"$tmp/err" || st=$?
	tap_ok "and cannot set a limit (CAP_SYS_ADMIN)" \
		test "$st" = 1 -a "$(member_attr "$id" limit)" = "$lim"
	st=0
	as_user "" poolctl list >"$tmp/out" 2>"$tmp/err" || st=$?
	tap_ok "another user cannot open /dev/scalepool" \
		grep -q "Permission denied" "$tmp/err"
	[ "$st" = 1 ] || tap_diag "status $st: $(cat "$tmp/err")"
}

# wait_limit ID BYTES: member ID's limit, once it is BYTES or after 90 s
# (set by an apply that udev or systemd started).
wait_limit() {
	local _
	for _ in $(seq 180); do
		[ "$(member_attr "$1" limit)" = "$2" ] && break
		sleep 0.5
	done
	member_attr "$1" limit
}

# wait_bar_member BDF: the bar member of PCI device BDF, once there is
# one or after 90 s (added by an apply that udev or systemd started).
wait_bar_member() {
	local _ m
	for _ in $(seq 180); do
		m=$(bar_member_of "$1")
		[ -n "$m" ] && break
		sleep 0.5
	done
	echo "$m"
}

# pci_unplug BDF: the device leaves the PCI bus (its driver's remove:
# a bar member goes with it); pci_rescan brings it back with an add
# uevent, as a hot plug would.
pci_unplug() {
	echo 1 >"/sys/bus/pci/devices/$1/remove"
}
pci_rescan() {
	echo 1 >/sys/bus/pci/rescan
}

# monitor_ready PID EVENT TRIES: waits, 0.05 s a try, until the tracefs
# instance of the poolctl monitor PID has scalepool's EVENT enabled (the
# last one it enables: it reads every event format first, slow on the
# debug kernel).  Status 1 if it never has.
monitor_ready() {
	local i
	local f=/sys/kernel/tracing/instances/poolctl-monitor-$1/events
	f=$f/scalepool/scalepool_$2/enable
	for ((i = 0; i < $3; i++)); do
		[ "$(cat "$f" 2>/dev/null)" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}
