# SPDX-License-Identifier: GPL-2.0
# Benchmarks: tools/bench/<name>.c -> build/bench/<name>.  Included from
# the top-level Makefile; `make bench` builds them, tools/bench/run runs
# them in the emulated machine.
BENCHES := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,\
	$(wildcard tools/bench/*.c))

.PHONY: bench
bench: $(BENCHES)

$(BUILD)/bench/%: tools/bench/%.c tools/bench/bench-util.h $(BUILD)/$(LIB_SONAME)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD) -lpool \
		-Wl,-rpath,'$$ORIGIN/..' -lnuma

# Tiering effectiveness (tools/bench/tier-bench.c, Documentation/
# benchmarks.rst): a shifting hot set, tiering off then on, in the
# default topology (DRAM node 0 and the CXL node).  TIER_ARGS adds
# options, e.g. TIER_ARGS="--phases 2 --sweeps 50".
.PHONY: bench-tier
bench-tier:
	tools/bench/run tier-bench $(TIER_ARGS)

# poolctl bind's overhead (tools/bench/compare-bind, Documentation/
# benchmarks.rst): the same programs unbound, under numactl and under
# poolctl bind in one guest run, the ratios printed, then the threshold
# sweep behind the preload's default.  BIND_ARGS replaces the options,
# e.g. BIND_ARGS="--policy interleave --nodes 0,1 --rounds 5".  CXL
# memory offline: malloc-mix fills node 0 with pool regions, and guest
# I/O that then lands in CXL memory hangs QEMU (two runs did).
BIND_ARGS ?= --rounds 3 --ops 1000 --py 100 --sweep 64K,256K,1M,4M
.PHONY: bench-bind
bench-bind:
	tools/bench/run --cxl offline compare-bind $(BIND_ARGS)
