# SPDX-License-Identifier: GPL-2.0
# Shared by the kernel scripts: where the cache lives and which kernels
# are installed.  Sourced, not run.

# Built kernels and the extracted source live outside the repository so
# that clean clones (CI) reuse them.
: "${SCALEPOOL_CACHE:=/var/cache/scalepool}"

# Debian's newest installed 6.12 kernel release, e.g. 6.12.117+deb12-amd64.
stock_kernel_release() {
	local v
	v=$(ls /lib/modules 2>/dev/null | grep -E '^6\.12\..*-amd64$' |
		sort -V | tail -n 1)
	if [ -z "$v" ]; then
		echo "no Debian 6.12 kernel in /lib/modules: run tools/setup" >&2
		return 1
	fi
	echo "$v"
}

# Version of the linux-source-6.12 package, e.g. 6.12.117-1~deb12u1.
source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null
}

source_dir() {
	echo "$SCALEPOOL_CACHE/src/linux-source-$(source_version)"
}

# The debug kernel's build directory: keyed by the source version, the
# config fragment and the build script, so a change of any rebuilds it.
debug_kernel_dir() {
	local here key
	here=$(dirname "${BASH_SOURCE[0]}")
	key=$( { source_version; cat "$here/debug.config" "$here/build-debug"; } |
		sha256sum | cut -c1-12)
	echo "$SCALEPOOL_CACHE/kernel-debug-$key"
}
