# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall: libpool, its headers and libpool.pc,
# poolctl and its plugins, the manual pages, poolctl's bash completion,
# and the module source with its dkms.conf for DKMS.  Included from the
# top-level Makefile.  Documentation/admin-guide.rst, "Install
# on a server", lists what goes where.
#
#   PREFIX      /usr/local
#   LIBDIR      $(PREFIX)/lib/<multiarch triplet>, as Debian's own
#               libraries (dpkg-architecture, else gcc -print-multiarch)
#   BINDIR      $(PREFIX)/bin
#   INCLUDEDIR  $(PREFIX)/include
#   MANDIR      $(PREFIX)/share/man: man3, man4, man8, uncompressed
#               (Debian's dh_compress compresses them and their links)
#   BASHCOMPDIR $(PREFIX)/share/bash-completion/completions
#   DKMSSRCDIR  /usr/src, whatever PREFIX is: DKMS looks for its
#               sources there only
#   UDEVRULESDIR   udev's rules, $(udevdir)/rules.d of udev.pc
#   SYSTEMDUNITDIR systemd's system units (systemd.pc)
#   MODULESLOADDIR systemd's modules-load.d (systemd.pc)
#   SYSUSERSDIR    systemd's sysusers.d (systemd.pc)
#               these four whatever PREFIX is, as DKMSSRCDIR: udev and
#               systemd look there, not under /usr/local
#   DESTDIR     staging root prepended to all of them (absolute)
#
# The version of the release is the library's, LIB_VERSION in the
# Makefile: libpool.so.$(LIB_VERSION), libpool.pc, scalepool/$(LIB_VERSION)
# for DKMS.

PREFIX ?= /usr/local
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || \
	$(CC) -print-multiarch 2>/dev/null)
# Without a trailing slash, so that PREFIX=/usr/ gives /usr/lib/...
prefix_ := $(patsubst %/,%,$(PREFIX))
LIBDIR ?= $(prefix_)/lib$(if $(MULTIARCH),/$(MULTIARCH))
BINDIR ?= $(prefix_)/bin
INCLUDEDIR ?= $(prefix_)/include
MANDIR ?= $(prefix_)/share/man
BASHCOMPDIR ?= $(prefix_)/share/bash-completion/completions
DKMSSRCDIR ?= /usr/src
# The system's own directories: not under a PKG_CONFIG_SYSROOT_DIR that
# a build (or a test) set for libraries.
pc_var = $(or $(shell env -u PKG_CONFIG_SYSROOT_DIR $(PKG_CONFIG) \
	--variable=$(2) $(1) 2>/dev/null),$(3))
UDEVRULESDIR ?= $(call pc_var,udev,udevdir,/lib/udev)/rules.d
SYSTEMDUNITDIR ?= $(call pc_var,systemd,systemdsystemunitdir,\
	/lib/systemd/system)
MODULESLOADDIR ?= $(call pc_var,systemd,modulesloaddir,\
	/usr/lib/modules-load.d)
SYSUSERSDIR ?= $(call pc_var,systemd,sysusersdir,/usr/lib/sysusers.d)
PKGCONFIGDIR := $(LIBDIR)/pkgconfig
DKMS_NAME := scalepool-$(LIB_VERSION)
# The UAPI header goes to <includedir>/scalepool/linux/scalepool.h and
# libpool.pc adds -I<includedir>/scalepool: programs include it as
# <linux/scalepool.h>, as in the tree, and /usr/include/linux (Debian's
# linux-libc-dev) gets no foreign file.
UAPI_INCLUDEDIR := $(INCLUDEDIR)/scalepool

# libpool.pc.in's placeholders; libdir and includedir relative to
# ${prefix} when they are under it (pkg-config --define-prefix works).
pc_rel = $(patsubst $(prefix_)/%,$${prefix}/%,$(1))
PC_SUBST := -e 's|@VERSION@|$(LIB_VERSION)|' \
	-e 's|@PREFIX@|$(prefix_)|' \
	-e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|' \
	-e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|'

# The module source DKMS builds: Kbuild and every source and header of
# kernel/ (the KUnit tests too: Kbuild builds them against a kernel
# with KUnit).
DKMS_SRCS := Kbuild $(wildcard kernel/*.c kernel/*.h) \
	kernel/uapi/linux/scalepool.h

# build/poolctl finds libpool beside it through an $ORIGIN rpath; the
# installed poolctl is linked again without one, for the library in
# LIBDIR.
INSTALL_POOLCTL := $(BUILD)/install/poolctl
$(INSTALL_POOLCTL): $(POOLCTL_OBJS) $(BUILD)/$(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(POOLCTL_OBJS) -L$(BUILD) -lpool $(LIBS_deps)

# The same for libpool-preload.so, in LIBDIR/scalepool: a library for
# LD_PRELOAD only, out of the loader's search path (poolctl bind looks
# there, beside the libpool.so.1 it runs with).
INSTALL_PRELOAD := $(BUILD)/install/libpool-preload.so
$(INSTALL_PRELOAD): $(PRELOAD_OBJS) $(BUILD)/$(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(call PRELOAD_NOSAN,$(LDFLAGS)) -shared \
		-Wl,-soname,libpool-preload.so -Wl,-z,defs -o $@ \
		$(PRELOAD_OBJS) -L$(BUILD) -lpool -ljemalloc -lpthread

# poolctl's plugins (tools/poolctl/plugin.h) go to LIBDIR/scalepool too,
# where poolctl looks for them, as they are built: they have no rpath.
INSTALL_PLUGINS := $(notdir $(PLUGIN_SOS))

$(BUILD)/install/dkms.conf: tools/install/dkms.conf.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@VERSION@|$(LIB_VERSION)|g' $< >$@

# The udev rule and the unit that run poolctl name it where it goes.
INSTALL_GENERATED := $(BUILD)/install/scalepool.service \
	$(BUILD)/install/scalepool-apply@.service \
	$(BUILD)/install/61-scalepool-apply.rules
$(INSTALL_GENERATED): $(BUILD)/install/%: tools/install/%.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@BINDIR@|$(BINDIR)|g' $< >$@.tmp && \
		if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
.PHONY: FORCE
FORCE:

# Directories: absolute, no white space or shell/sed metacharacters
# (they go into libpool.pc through sed); DESTDIR empty or absolute.
install_dirs := $(prefix_) $(LIBDIR) $(BINDIR) $(INCLUDEDIR) $(DKMSSRCDIR) \
	$(MANDIR) $(BASHCOMPDIR) $(UDEVRULESDIR) $(SYSTEMDUNITDIR) \
	$(MODULESLOADDIR) $(SYSUSERSDIR)
define install_check_dirs
	@for d in $(foreach d,$(install_dirs),'$(d)'); do \
		case "$$d" in \
		/*) ;; \
		*) echo "make: PREFIX, LIBDIR, BINDIR, INCLUDEDIR," \
			"DKMSSRCDIR, MANDIR, BASHCOMPDIR, UDEVRULESDIR," \
			"SYSTEMDUNITDIR, MODULESLOADDIR and SYSUSERSDIR" \
			"must be absolute paths, not '$$d'" >&2; \
			exit 2 ;; \
		esac; \
		case "$$d" in *[!A-Za-z0-9_./+@-]*) \
			echo "make: unsupported character in '$$d'" >&2; \
			exit 2 ;; \
		esac; \
	done
	@case '$(DESTDIR)' in ''|/*) ;; \
	*) echo "make: DESTDIR must be empty or an absolute path," \
		"not '$(DESTDIR)'" >&2; exit 2 ;; esac
endef

# The manual pages: each of build/man/<name>.<section> in
# man<section>, and the other names a page's NAME section lists
# (tools/install/man-links) as symlinks to it in the same directory.
define nl


endef
MAN_SECTIONS := $(sort $(foreach p,$(MAN_PAGES),$(subst .,,$(suffix $(p)))))
define install_man
	install -d $(foreach s,$(MAN_SECTIONS),'$(DESTDIR)$(MANDIR)/man$(s)')
	$(foreach s,$(MAN_SECTIONS),install -m 0644 \
		$(filter %.$(s),$(MAN_PAGES)) '$(DESTDIR)$(MANDIR)/man$(s)'$(nl))
	@links=$$(tools/install/man-links $(MAN_SRCS)) || exit 1; \
	echo "$$links" | while read -r page alias; do \
		ln -sfn $$page '$(DESTDIR)$(MANDIR)'/man$${page##*.}/$$alias || \
			exit 1; \
	done
endef
define uninstall_man
	@for p in $(notdir $(MAN_PAGES)); do \
		rm -f '$(DESTDIR)$(MANDIR)'/man$${p##*.}/$$p || exit 1; \
	done
	@links=$$(tools/install/man-links $(MAN_SRCS)) || exit 1; \
	echo "$$links" | while read -r page alias; do \
		rm -f '$(DESTDIR)$(MANDIR)'/man$${page##*.}/$$alias || exit 1; \
	done
endef

# The system's part: the device's udev rule and group, the module
# loaded at boot, scalepool.service and the udev rule that configure
# the pool (poolctl apply, scalepool.conf(5)).  Without DESTDIR the
# group is made (systemd-sysusers) and udev and systemd reread theirs.
SYSTEM_FILES := $(UDEVRULESDIR)/60-scalepool.rules \
	$(UDEVRULESDIR)/61-scalepool-apply.rules \
	$(SYSTEMDUNITDIR)/scalepool.service \
	$(SYSTEMDUNITDIR)/scalepool-apply@.service \
	$(MODULESLOADDIR)/scalepool.conf $(SYSUSERSDIR)/scalepool.conf
define install_system
	install -D -m 0644 tools/install/60-scalepool.rules \
		'$(DESTDIR)$(UDEVRULESDIR)/60-scalepool.rules'
	install -D -m 0644 $(BUILD)/install/61-scalepool-apply.rules \
		'$(DESTDIR)$(UDEVRULESDIR)/61-scalepool-apply.rules'
	install -D -m 0644 $(BUILD)/install/scalepool.service \
		'$(DESTDIR)$(SYSTEMDUNITDIR)/scalepool.service'
	install -D -m 0644 $(BUILD)/install/scalepool-apply@.service \
		'$(DESTDIR)$(SYSTEMDUNITDIR)/scalepool-apply@.service'
	install -D -m 0644 tools/install/modules-load.conf \
		'$(DESTDIR)$(MODULESLOADDIR)/scalepool.conf'
	install -D -m 0644 tools/install/sysusers.conf \
		'$(DESTDIR)$(SYSUSERSDIR)/scalepool.conf'
	@if [ -z '$(DESTDIR)' ]; then \
		systemd-sysusers '$(SYSUSERSDIR)/scalepool.conf' || \
		{ echo "make install: cannot make the group scalepool" \
			"(systemd-sysusers)" >&2; exit 1; }; \
		if udevadm control --ping 2>/dev/null; then \
			udevadm control --reload || exit 1; fi; \
		if [ -d /run/systemd/system ]; then \
			systemctl daemon-reload || exit 1; fi; \
		echo "make install: 'systemctl enable scalepool.service'" \
			"configures the pool at boot (scalepool.conf(5))"; fi
endef

.PHONY: install uninstall
install: lib man $(INSTALL_POOLCTL) $(INSTALL_PRELOAD) $(PLUGIN_SOS) \
		$(BUILD)/install/dkms.conf $(INSTALL_GENERATED)
	$(install_check_dirs)
	install -d '$(DESTDIR)$(LIBDIR)' '$(DESTDIR)$(PKGCONFIGDIR)' \
		'$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(UAPI_INCLUDEDIR)/linux'
	install -m 0755 $(BUILD)/$(LIB_SONAME) \
		'$(DESTDIR)$(LIBDIR)/libpool.so.$(LIB_VERSION)'
	ln -sfn libpool.so.$(LIB_VERSION) '$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)'
	ln -sfn $(LIB_SONAME) '$(DESTDIR)$(LIBDIR)/libpool.so'
	install -D -m 0644 $(INSTALL_PRELOAD) \
		'$(DESTDIR)$(LIBDIR)/scalepool/libpool-preload.so'
	install -m 0644 $(PLUGIN_SOS) '$(DESTDIR)$(LIBDIR)/scalepool'
	sed $(PC_SUBST) lib/libpool.pc.in >'$(DESTDIR)$(PKGCONFIGDIR)/libpool.pc'
	chmod 0644 '$(DESTDIR)$(PKGCONFIGDIR)/libpool.pc'
	install -m 0644 lib/libpool.h '$(DESTDIR)$(INCLUDEDIR)/libpool.h'
	install -m 0644 kernel/uapi/linux/scalepool.h \
		'$(DESTDIR)$(UAPI_INCLUDEDIR)/linux/scalepool.h'
	install -m 0755 $(INSTALL_POOLCTL) '$(DESTDIR)$(BINDIR)/poolctl'
	$(install_man)
	install -D -m 0644 tools/completion/poolctl \
		'$(DESTDIR)$(BASHCOMPDIR)/poolctl'
	@for f in $(DKMS_SRCS); do \
		install -D -m 0644 $$f \
			'$(DESTDIR)$(DKMSSRCDIR)/$(DKMS_NAME)'/$$f || exit 1; \
	done
	install -m 0644 $(BUILD)/install/dkms.conf \
		'$(DESTDIR)$(DKMSSRCDIR)/$(DKMS_NAME)/dkms.conf'
	$(install_system)
	@if [ -z '$(DESTDIR)' ]; then ldconfig; \
		echo "make install: now 'dkms install scalepool/$(LIB_VERSION)'" \
		"builds and installs the module"; fi

# Exactly what install put, and the directories that are only ours
# (the UAPI header's and the module source's) when they are empty.
# The module source stays while DKMS still has the module: dkms remove
# first, or DKMS is left pointing at nothing.
uninstall:
	$(install_check_dirs)
	@if [ -z '$(DESTDIR)' ] && command -v dkms >/dev/null && \
		dkms status -m scalepool -v $(LIB_VERSION) 2>/dev/null | \
		grep -q .; then \
		echo "make uninstall: DKMS has scalepool/$(LIB_VERSION):" \
			"run 'dkms remove scalepool/$(LIB_VERSION) --all'" \
			"first" >&2; exit 1; fi
	rm -f $(foreach f,$(SYSTEM_FILES),'$(DESTDIR)$(f)') \
		'$(DESTDIR)$(LIBDIR)/libpool.so.$(LIB_VERSION)' \
		'$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)' \
		'$(DESTDIR)$(LIBDIR)/libpool.so' \
		'$(DESTDIR)$(LIBDIR)/scalepool/libpool-preload.so' \
		$(foreach p,$(INSTALL_PLUGINS),\
		'$(DESTDIR)$(LIBDIR)/scalepool/$(p)') \
		'$(DESTDIR)$(PKGCONFIGDIR)/libpool.pc' \
		'$(DESTDIR)$(INCLUDEDIR)/libpool.h' \
		'$(DESTDIR)$(UAPI_INCLUDEDIR)/linux/scalepool.h' \
		'$(DESTDIR)$(BINDIR)/poolctl' \
		'$(DESTDIR)$(BASHCOMPDIR)/poolctl'
	$(uninstall_man)
	@for f in $(DKMS_SRCS) dkms.conf; do \
		rm -f '$(DESTDIR)$(DKMSSRCDIR)/$(DKMS_NAME)'/$$f || exit 1; \
	done
	@for d in '$(DESTDIR)$(UAPI_INCLUDEDIR)/linux' \
		'$(DESTDIR)$(UAPI_INCLUDEDIR)' \
		$(foreach d,/kernel/uapi/linux /kernel/uapi /kernel /,\
		'$(DESTDIR)$(DKMSSRCDIR)/$(DKMS_NAME)$(patsubst %/,%,$(d))'); do \
		[ ! -d "$$d" ] || rmdir "$$d" || exit 1; \
	done
	@if [ -z '$(DESTDIR)' ]; then ldconfig; fi

# The release version, for scripts (tools/install/dkms-build).
.PHONY: print-version dkms-module
print-version:
	@echo $(LIB_VERSION)

# scalepool.ko built by DKMS from the installed source for Debian's 6.12
# kernel, in build/dkms/ (tools/install/dkms-build; about a minute).  The
# host test install-dkms.sh does this; the guest test dkms-load.sh loads
# the module it built.
dkms-module:
	@tools/install/dkms-build
