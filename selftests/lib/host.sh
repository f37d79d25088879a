# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2154 # $top in, the rest out
# The start of every host shell test: sourced first, with $top set to
# the tree.  Brings TAP (tap.sh), sets $poolctl (POOLCTL overrides
# build/poolctl) and $tmp, a scratch directory removed on exit.

. "$top/selftests/lib/tap.sh"

poolctl=${POOLCTL:-$top/build/poolctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
