# SPDX-License-Identifier: GPL-2.0
#
# Host fuzzing with libFuzzer, included by the Makefile (README, Tests).
#
#   make fuzz          build every target, then run each in turn
#                      (scripts/fuzz; installs clang first)
#   make fuzz-build    build them only: build/fuzz/TARGET
#   make fuzz-seeds    remake the generated seeds (record, cipher, trace)
#                      in tests/fuzz/corpus from real GnuTLS sessions
#
#   FUZZ_TARGETS="record trace"   which (default: all four)
#   FUZZ_RUNS=N        inputs per target (default: ten million)
#   FUZZ_SECONDS=S     and at most S seconds per target (default: no cap)
#
# A target is tests/fuzz/TARGET_fuzz.c with the sources FZ_TARGET lists
# (the ones its unit test links) and the libraries FZ_LIBS_TARGET, all
# compiled by clang with AddressSanitizer, UBSan and libFuzzer's
# coverage, into objects of their own under build/fuzz/obj.

FUZZ_CC := clang
FUZZ_ALL := record cipher trace config
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?=
FUZZ_OBJ := build/fuzz/obj
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(BASE_CFLAGS)

FZ_record := $(KSHARED_SRCS)
FZ_cipher := $(KSHARED_SRCS)
FZ_trace := $(UT_trace_test)
FZ_LIBS_trace := $(UT_LIBS_trace_test)
FZ_config := $(UT_config_test)
FZ_LIBS_config := $(UT_LIBS_config_test)

FUZZ_BINS := $(addprefix build/fuzz/,$(FUZZ_ALL))
fuzzobjs = $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(1))

$(FUZZ_OBJ)/userspace/tlsod/%.o: FZ_XCFLAGS = -Iuserspace/lib $(NL_CFLAGS)
$(FUZZ_OBJ)/tests/fuzz/%.o: FZ_XCFLAGS = -Ikmod -Iuserspace/lib \
	-Iuserspace/tlsod $(NL_CFLAGS)

# The names of code points are looked up in long tables: libFuzzer's
# hook on each comparison there took a third of the trace target's time,
# for values that only change what is printed.
$(FUZZ_OBJ)/userspace/tlsod/trace_names.o: FZ_COV = \
	-fno-sanitize-coverage=trace-cmp

$(FUZZ_OBJ)/%.o: %.c
	$(call msg,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FZ_XCFLAGS) $(FZ_COV) -MMD -MP \
		-c -o $@ $<

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)

$(FUZZ_BINS): build/fuzz/%: $(FUZZ_OBJ)/tests/fuzz/%_fuzz.o \
		$$(call fuzzobjs,$$(FZ_$$*))
	$(call msg,LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
		$(FZ_LIBS_$*)

.PHONY: fuzz fuzz-build fuzz-seeds

fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))

fuzz:
	@scripts/deps --fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/fuzz --runs $(FUZZ_RUNS) \
		$(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS)) $(FUZZ_TARGETS)

# Not sanitized: it only writes files.
build/fuzz/seeds: tests/fuzz/seeds.c $(KEYS_SRCS)
	$(call msg,LD,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(BASE_CFLAGS) -Iuserspace/lib -o $@ $^ \
		$(GNUTLS_LIBS) -lpthread

fuzz-seeds: build/fuzz/seeds
	$(Q)rm -rf $(addprefix tests/fuzz/corpus/,record cipher trace)
	$(Q)build/fuzz/seeds tests/fuzz/corpus
