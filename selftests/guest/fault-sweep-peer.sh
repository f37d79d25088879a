#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The fault-injection sweep's rows on PCI members (add_bar,
# remove_member, BAR and p2pmem allocations and faults): fault_sweep
# --peer, on the peer topology.  Run from the source tree, as the suite
# runs every guest test.
exec build/selftests/guest/fault_sweep --peer "$@"
