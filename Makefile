# SPDX-License-Identifier: GPL-2.0
#
# scalepool top-level build.
#   make               module (against Debian's 6.12), libpool, poolctl
#   make check         the whole test suite: host, stock guest, debug guest
#   make KDIR=DIR      build the module against another kernel tree
#   make W=1           extra warnings (kernel and user space)
#   make style         checkpatch --strict over kernel/ and the UAPI header
#   make man           the manual pages (scdoc), in build/man

# Debian's newest installed 6.12 kernel is the default target kernel.
STOCK_KREL := $(shell . tools/kernel/common.sh && stock_kernel_release 2>/dev/null)
KDIR ?= /lib/modules/$(STOCK_KREL)/build
BUILD := build

CC ?= gcc
PKG_CONFIG ?= pkg-config
DEPS_PC := json-c libcxl libdaxctl numa
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wno-unused-parameter
ifeq ($(W),1)
WARN += -Wcast-align -Wpointer-arith -Wundef -Wwrite-strings \
	-Wmissing-declarations -Wredundant-decls
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP \
	-Ikernel/uapi -Ilib
LIBS_numa := -lnuma
# libpool links libnuma and opens libcxl and libdaxctl when it first
# resolves a CXL chain (lib/cxl.c says why); poolctl also needs json-c.
LIBS_lib := $(LIBS_numa)
LIBS_deps := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null) -lnuma -lm

# poolctl bench --plot draws with cairo (libcairo2-dev, tools/setup), and
# poolctl monitor reads the module's trace events with libtracefs and
# libtraceevent (libtracefs-dev): hard build dependencies, checked before
# their objects are built, but linked into the plugins poolctl-plot.so
# and poolctl-monitor.so only, not into poolctl, which loads a plugin
# when its command runs (tools/poolctl/plugin.h).
CAIRO_CFLAGS := $(shell $(PKG_CONFIG) --cflags cairo fontconfig 2>/dev/null)
LIBS_plot := $(shell $(PKG_CONFIG) --libs cairo fontconfig 2>/dev/null) -lm
TRACEFS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libtracefs 2>/dev/null)
LIBS_monitor := $(shell $(PKG_CONFIG) --libs libtracefs json-c 2>/dev/null)

LIB_VERSION := 1.9.0
LIB_SONAME := libpool.so.1
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# The plugins' sources (tools/poolctl/plugin.h), not poolctl's; report.c
# is in both.
PLUGINS := plot monitor
PLUGIN_SRCS_plot := tools/poolctl/plot.c
PLUGIN_SRCS_monitor := tools/poolctl/monitor.c tools/poolctl/report.c
PLUGIN_SRCS := $(sort $(foreach p,$(PLUGINS),$(PLUGIN_SRCS_$(p))))
PLUGIN_SOS := $(PLUGINS:%=$(BUILD)/poolctl-%.so)
POOLCTL_SRCS := $(filter-out $(PLUGIN_SRCS),$(wildcard tools/poolctl/*.c)) \
	tools/poolctl/report.c
POOLCTL_OBJS := $(POOLCTL_SRCS:%.c=$(BUILD)/%.o)
# The placement rules poolctl shares with libpool-preload.so: one source
# (lib/preload/place-rules.c), compiled into both.
POOLCTL_OBJS += $(BUILD)/tools/poolctl/place-rules.o

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

# Host tests: selftests/host/<name>.c -> build/selftests/host/<name>, on
# the kernel's kselftest harness (TAP, KSFT_DIR from selftests.mk).  They
# link libpool.so.1, except those in HOST_TESTS_INTERNAL, which test
# internals and link the objects...
HOST_TEST_SRCS := $(wildcard selftests/host/*.c)
HOST_TESTS := $(HOST_TEST_SRCS:%.c=$(BUILD)/%)
HOST_TESTS_INTERNAL := test_members test_list_output test_alloc_opts \
	test_measured test_bench_engine \
	test_usage test_stat_output test_process_buf
# ... and these test poolctl's output, with the poolctl objects named in
# POOLCTL_OBJS_<test>.
HOST_TESTS_POOLCTL := test_list_output test_stat_output test_options
POOLCTL_OBJS_test_list_output := list.o util.o json.o report.o options.o \
	place-rules.o
POOLCTL_OBJS_test_stat_output := stat.o util.o json.o report.o options.o \
	place-rules.o
POOLCTL_OBJS_test_options := $(filter-out poolctl.o, \
	$(notdir $(POOLCTL_OBJS)))
# The harness's FIXTURE_SETUP() and FIXTURE_TEARDOWN() define functions
# that are neither static nor declared.
HOST_TEST_CFLAGS := -Wno-missing-prototypes -Wno-missing-declarations
# Not beside the tests: the runner executes every file there.
HOST_DEP_DIR := $(BUILD)/selftests/.deps
HOST_TEST_DEPS := $(HOST_TEST_SRCS:selftests/host/%.c=$(HOST_DEP_DIR)/%.d)

.PHONY: all module lib tools selftests-host check check-host check-guest \
	clean style analyze selftests-host-san
all: module lib tools man

# The module builds in a copy of Kbuild and kernel/ per kernel release,
# so that stock and debug builds do not overwrite each other.
module:
	+@tools/kernel/build-module "$(KDIR)" $(if $(W),W=$(W))

lib: $(BUILD)/$(LIB_SONAME) $(BUILD)/libpool.pc $(BUILD)/libpool-preload.so
tools: $(BUILD)/poolctl $(PLUGIN_SOS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -DPOOL_VERSION='"$(VERSION)"' \
		$(shell $(PKG_CONFIG) --cflags json-c libcxl libdaxctl) -c -o $@ $<

$(BUILD)/$(LIB_SONAME): $(LIB_OBJS) lib/libpool.sym
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libpool.sym -Wl,-z,defs \
		-o $@ $(LIB_OBJS) $(LIBS_lib)
	ln -sf $(LIB_SONAME) $(BUILD)/libpool.so

# libpool-preload.so (poolctl bind, Documentation/bind.rst): the malloc
# family, small allocations on glibc's, large ones from libpool through
# an arena of Debian's jemalloc (libjemalloc-dev, tools/setup).  Not in
# LIB_SRCS: its own directory.
PRELOAD_SRCS := lib/preload/preload.c lib/preload/place-rules.c
# Never with the sanitizers (make selftests-host-san): an ASan library
# cannot be preloaded into programs built without ASan.
PRELOAD_OBJS := $(PRELOAD_SRCS:%.c=$(BUILD)/%.o)
PRELOAD_NOSAN = $(filter-out -fsanitize% -fno-sanitize%,$(1))
$(BUILD)/lib/preload/%.o: lib/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(call PRELOAD_NOSAN,$(ALL_CFLAGS)) -fPIC -c -o $@ $<
$(BUILD)/libpool-preload.so: $(PRELOAD_OBJS) $(BUILD)/$(LIB_SONAME)
	$(CC) $(call PRELOAD_NOSAN,$(LDFLAGS)) -shared -Wl,-soname,libpool-preload.so \
		-Wl,-z,defs -o $@ $(PRELOAD_OBJS) -L$(BUILD) -lpool \
		-Wl,-rpath,'$$ORIGIN' -ljemalloc -lpthread

# For the default PREFIX and LIBDIR (tools/install/install.mk).
$(BUILD)/libpool.pc: lib/libpool.pc.in
	sed $(PC_SUBST) $< >$@

.PHONY: cairo-check
cairo-check:
	@$(PKG_CONFIG) --exists cairo fontconfig || { echo "poolctl needs cairo" \
		"for bench --plot: install libcairo2-dev (tools/setup)" >&2; \
		exit 1; }
$(BUILD)/tools/poolctl/plot.o: | cairo-check
$(BUILD)/tools/poolctl/place-rules.o: lib/preload/place-rules.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/tools/poolctl/plot.o: ALL_CFLAGS += $(CAIRO_CFLAGS)

.PHONY: tracefs-check
tracefs-check:
	@$(PKG_CONFIG) --exists libtracefs || { echo "poolctl needs" \
		"libtracefs for monitor: install libtracefs-dev" \
		"(tools/setup)" >&2; exit 1; }
$(BUILD)/tools/poolctl/monitor.o: | tracefs-check
$(BUILD)/tools/poolctl/monitor.o: ALL_CFLAGS += $(TRACEFS_CFLAGS)

$(BUILD)/poolctl: $(POOLCTL_OBJS) $(BUILD)/$(LIB_SONAME)
	$(CC) $(LDFLAGS) -o $@ $(POOLCTL_OBJS) -L$(BUILD) -lpool -Wl,-rpath,'$$ORIGIN' \
		$(LIBS_deps)

# The plugins: beside libpool.so.1 here, in LIBDIR/scalepool/ installed
# (poolctl_find_lib()), the same file in both (they need no rpath: no
# libpool).  -z defs: every symbol from the plugin's own libraries, none
# from poolctl; the version script exports the entry alone.
$(BUILD)/poolctl-plot.so: $(PLUGIN_SRCS_plot:%.c=$(BUILD)/%.o)
$(BUILD)/poolctl-monitor.so: $(PLUGIN_SRCS_monitor:%.c=$(BUILD)/%.o)
$(BUILD)/poolctl-%.so: tools/poolctl/plugin.sym
	$(CC) $(LDFLAGS) -shared -Wl,-soname,poolctl-$*.so -Wl,-z,defs \
		-Wl,--version-script=tools/poolctl/plugin.sym -o $@ \
		$(filter %.o,$^) $(LIBS_$*)

selftests-host: lib tools $(HOST_TESTS)

$(BUILD)/selftests/host/%: selftests/host/%.c $(BUILD)/$(LIB_SONAME) \
		$(POOLCTL_OBJS)
	@test -f "$(KSFT_DIR)/kselftest_harness.h" || \
		{ echo "no kselftest_harness.h in $(KSFT_DIR): run tools/setup" \
		>&2; exit 1; }
	@mkdir -p $(dir $@) $(HOST_DEP_DIR)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(HOST_TEST_CFLAGS) \
		-MF $(HOST_DEP_DIR)/$*.d \
		-isystem "$(KSFT_DIR)" -o $@ $< \
		$(if $(filter $*,$(HOST_TESTS_POOLCTL)), \
		$(addprefix $(BUILD)/tools/poolctl/,$(POOLCTL_OBJS_$*))) \
		$(if $(filter $*,$(HOST_TESTS_INTERNAL)),$(LIB_OBJS), \
		-L$(BUILD) -lpool -Wl,-rpath,'$$ORIGIN/../..') $(LIBS_deps)

# poolctl apply's host test: a fake sysfs (the library's internals) and
# poolctl's objects.
HOST_TESTS_INTERNAL += test_apply
HOST_TESTS_POOLCTL += test_apply
POOLCTL_OBJS_test_apply := $(POOLCTL_OBJS_test_options)

check: all selftests-host
	@selftests/run

check-host: lib tools selftests-host
	@selftests/run --host

# Kernel style, as wireguard's Makefile has it: checkpatch.pl from the
# kernel source tools/setup extracted (tools/kernel/prepare-source).
# checkpatch exits 1 on any error, warning or (with --strict) check.
CHECKPATCH ?= $(shell . tools/kernel/common.sh && \
	echo "$$(source_dir)")/scripts/checkpatch.pl
STYLE_FILES ?= $(wildcard kernel/*.c kernel/*.h) \
	kernel/uapi/linux/scalepool.h
style:
	@test -f "$(CHECKPATCH)" || { echo "no checkpatch.pl at" \
		"$(CHECKPATCH): run tools/setup" >&2; exit 1; }
	@perl "$(CHECKPATCH)" --strict --no-tree --terse --no-summary \
		--show-types -f $(STYLE_FILES)

# The host tests again, with the library, poolctl and the tests built
# with AddressSanitizer and UndefinedBehaviorSanitizer (in build/san):
# a report fails the test that made it.  selftests/run --host runs it.
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
selftests-host-san:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/san \
		CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
		lib tools selftests-host

# gcc's static analyzer over lib/ and tools/poolctl/: a finding fails.
ANALYZE_CFLAGS := $(filter-out -MMD -MP,$(ALL_CFLAGS)) -fanalyzer -Werror \
	-DPOOL_VERSION='"analyze"'
ANALYZE_FILES ?= $(LIB_SRCS) $(POOLCTL_SRCS) $(filter-out $(POOLCTL_SRCS), \
	$(PLUGIN_SRCS))
analyze:
	@for f in $(ANALYZE_FILES); do \
		$(CC) $(ANALYZE_CFLAGS) $(shell $(PKG_CONFIG) --cflags json-c \
		libcxl libdaxctl) $(CAIRO_CFLAGS) $(TRACEFS_CFLAGS) \
		-c -o /dev/null $$f || \
		exit 1; \
	done; echo "analyze: no findings in lib/ and tools/poolctl/"

# The kernel's Coccinelle semantic patches (scripts/coccinelle) over
# kernel/ in report mode, as `make coccicheck MODE=report M=kernel` in
# the kernel: a report fails (tools/kernel/coccicheck; the host test
# kernel-coccicheck.sh runs it).
.PHONY: coccicheck
coccicheck:
	@tools/kernel/coccicheck

clean:
	rm -rf $(BUILD) *.o *.ko *.mod *.mod.c .*.cmd modules.order \
		Module.symvers kernel/*.o kernel/.*.cmd \
		selftests/kmod/*.o selftests/kmod/.*.cmd

# Manual pages: Documentation/man/<name>.<section>.scd, in scdoc's
# format, -> build/man/<name>.<section>.  scdoc exits non-zero on a
# malformed page, and the rule then fails and leaves no page behind.
# The date in a page is SOURCE_DATE_EPOCH when set, else the date of
# the release in debian/changelog, which is what dpkg-buildpackage sets
# it to: make install and the packages then hold the same pages, and
# builds are repeatable.  (The date of each page's last commit was used
# before: a page committed on another day than the release differed.)
# (MAN_SRCDIR: the host test man-pages.sh builds a copy with a bad page.)
SCDOC ?= scdoc
MAN_SRCDIR ?= Documentation/man
MAN_SRCS := $(wildcard $(MAN_SRCDIR)/*.scd)
MAN_PAGES := $(MAN_SRCS:$(MAN_SRCDIR)/%.scd=$(BUILD)/man/%)
MAN_EPOCH = $(shell date -d "$$(sed -n 's/^ -- .*>  //p' \
	debian/changelog | head -n 1)" +%s 2>/dev/null)
.PHONY: man
man: $(MAN_PAGES)
$(BUILD)/man/%: $(MAN_SRCDIR)/%.scd debian/changelog
	@command -v $(SCDOC) >/dev/null || { echo "make: no $(SCDOC) to" \
		"build the manual pages: run tools/setup" >&2; exit 1; }
	@mkdir -p $(dir $@)
	@epoch=$${SOURCE_DATE_EPOCH:-$(MAN_EPOCH)}; \
	if [ -n "$$epoch" ]; then export SOURCE_DATE_EPOCH=$$epoch; fi; \
	$(SCDOC) <$< >$@.tmp && mv $@.tmp $@ || \
		{ rm -f $@.tmp; echo "make: $<: not a valid scdoc page" >&2; \
		exit 1; }

include selftests/selftests.mk
include tools/bench/bench.mk
include tools/install/install.mk
include tools/install/deb.mk

-include $(LIB_OBJS:.o=.d) $(POOLCTL_OBJS:.o=.d) $(HOST_TEST_DEPS) \
	$(PRELOAD_OBJS:.o=.d) $(PLUGIN_SRCS:%.c=$(BUILD)/%.d)
