# SPDX-License-Identifier: GPL-2.0
# make deb: the Debian packages scalepool-dkms, libpool1, libpool-dev
# and poolctl from debian/, built by dpkg-buildpackage -b -us -uc in a
# copy of the tree, into build/deb/ (tools/install/deb-build; about
# 30 s).  Included from the top-level Makefile.  debian/rules drives
# `make install` (install.mk), so the packages hold what it installs.
.PHONY: deb deb-symbols
deb:
	@tools/install/deb-build

# debian/libpool1.symbols again from lib/libpool.sym, after a symbol or
# a version node was added there.
deb-symbols:
	tools/install/deb-symbols >debian/libpool1.symbols
