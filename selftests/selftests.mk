# SPDX-License-Identifier: GPL-2.0
# Guest selftests: C programs built with the kernel's kselftest harness
# (from Debian's linux-source-6.12, extracted by tools/setup), run in the
# guest by selftests/run.  Included from the top-level Makefile.
KSFT_DIR ?= $(shell . tools/kernel/common.sh && echo "$$(source_dir)")/tools/testing/selftests
SELFTEST_CFLAGS := -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-D_GNU_SOURCE \
	-Ikernel/uapi -Ilib -I$(KSFT_DIR)
GUEST_TESTS := $(patsubst selftests/guest/%.c,$(BUILD)/selftests/guest/%,\
	$(wildcard selftests/guest/*.c))

.PHONY: selftests selftests-guest selftests-kmod
selftests: selftests-guest selftests-host selftests-kmod
selftests-guest: $(GUEST_TESTS)

# The tests' dma-buf importer, against $(KDIR) like the module;
# tools/vm/run builds it again for the kernel it boots.
selftests-kmod:
	+@tools/kernel/build-module --selftests "$(KDIR)" $(if $(W),W=$(W)) \
		>/dev/null

# Per-program libraries: $(BUILD)/selftests/guest/<name>: GUEST_LDLIBS += ...
GUEST_LDLIBS :=
$(BUILD)/selftests/guest/alloc_lifetime: GUEST_LDLIBS += -luring
$(BUILD)/selftests/guest/alloc_move: GUEST_LDLIBS += -luring
$(BUILD)/selftests/guest/alloc_migrate: GUEST_LDLIBS += -luring
# The dma-buf tests use libpool and the importer module's header.
DMABUF_TESTS := $(BUILD)/selftests/guest/dmabuf \
	$(BUILD)/selftests/guest/dmabuf_peer
$(DMABUF_TESTS): GUEST_LDLIBS += -L$(BUILD) -lpool -Wl,-rpath,'$$ORIGIN/../..'
$(DMABUF_TESTS): $(BUILD)/$(LIB_SONAME)
# A 32-bit program (gcc-multilib, installed by tools/setup), static so
# that the guest needs no 32-bit libraries.
$(BUILD)/selftests/guest/compat32: SELFTEST_CFLAGS += -m32 -static \
	-D_FILE_OFFSET_BITS=64 -Wno-pointer-to-int-cast -Wno-clobbered

$(BUILD)/selftests/guest/%: selftests/guest/%.c kernel/uapi/linux/scalepool.h \
		$(wildcard selftests/guest/*.h) \
		selftests/kmod/scalepool_import_test.h
	@mkdir -p $(dir $@)
	@test -f $(KSFT_DIR)/kselftest_harness.h || { \
		echo "no kselftest harness in $(KSFT_DIR): run tools/setup" >&2; \
		exit 1; }
	$(CC) $(SELFTEST_CFLAGS) -o $@ $< $(GUEST_LDLIBS) -lpthread

# Stress, minutes long: selftests/guest/stress.sh (workers allocating,
# mapping, exporting and passing fds, forks and kills, CXL blocks
# offlined and onlined, a bar member removed and re-added, under
# stress-ng's memory pressure; leak checks after) for MINUTES minutes on
# STRESS_KERNEL in the peer topology.  The default suite runs 30 s of it.
MINUTES ?= 10
STRESS_KERNEL ?= debug
.PHONY: stress
stress:
	@case "$(MINUTES)" in ''|*[!0-9]*|0) \
		echo "make stress: MINUTES must be a positive number" >&2; \
		exit 2;; esac
	+@$(MAKE) --no-print-directory -s all selftests-guest selftests-kmod
	tools/vm/run --kernel $(STRESS_KERNEL) --topology peer \
		--timeout $$(($(MINUTES) * 60 + 900)) -- \
		env STRESS_SECONDS=$$(($(MINUTES) * 60)) \
		selftests/lib/run-tests selftests/guest/stress.sh

# The fuzzer (selftests/fuzz/), static so that it runs in any guest;
# Documentation/testing.rst says how to run it and reproduce a seed.
FUZZ := $(BUILD)/selftests/fuzz/fuzz
FUZZ_SRCS := $(wildcard selftests/fuzz/*.c)
selftests-guest: $(FUZZ)
$(FUZZ): $(FUZZ_SRCS) selftests/fuzz/fuzz.h kernel/uapi/linux/scalepool.h \
		$(wildcard selftests/guest/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(SELFTEST_CFLAGS) -static -o $@ $(FUZZ_SRCS) -lpthread

# The long fuzzer run (not in make check): the debug kernel's guest on
# the peer topology, ITERATIONS ops (default 10^6 calls' worth), SEED
# to repeat a run, FUZZ_THREADS threads; the guest's timeout follows
# from the iterations (about 3.6 ms per op under KASAN and TCG with four
# threads, measured on 2026-12-05, plus margin).
# selftests/fuzz/long.sh prints every member's used after the fuzzer's
# exit too.
ITERATIONS ?= 800000
FUZZ_THREADS ?= 4
FUZZ_TIMEOUT ?= $(shell echo $$(( 600 + $(ITERATIONS) / 200 )))
.PHONY: fuzz-long
fuzz-long: all selftests
	@tools/kernel/build-debug >/dev/null
	tools/vm/run --kernel debug --topology peer --timeout $(FUZZ_TIMEOUT) \
		-- selftests/fuzz/long.sh --iterations $(ITERATIONS) \
		--threads $(FUZZ_THREADS) \
		$(if $(SEED),--seed $(SEED))
